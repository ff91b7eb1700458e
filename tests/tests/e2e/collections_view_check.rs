//! Checking a view query without saving it: a create that fails validation (here: no name)
//! still reports what is wrong with the view query, beside the other errors, and stores
//! nothing — as PocketBase 0.40 answers (checked against the reference server). The dashboard's
//! live check of the view query relies on it.

use serde_json::{json, Value};

use crate::harness::Server;

fn error_keys(body: &Value) -> Vec<String> {
    let mut keys: Vec<String> = body["data"].as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

#[test]
fn collections_view_check_reports_a_bad_query_beside_other_errors() {
    let server = Server::start();
    let superuser = server.superuser();
    let before = superuser.get("/api/collections?perPage=500").1["totalItems"].clone();

    let (status, body) = superuser.post(
        "/api/collections",
        &json!({"name": "", "type": "view", "viewQuery": "select nope from users"}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Failed to create collection.");
    assert_eq!(error_keys(&body), ["fields", "name", "viewQuery"]);
    assert_eq!(body["data"]["name"]["code"], "validation_required");
    assert_eq!(body["data"]["fields"]["code"], "validation_required");
    assert_eq!(
        body["data"]["viewQuery"]["code"],
        "validation_invalid_view_query"
    );
    assert!(
        body["data"]["viewQuery"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid query - "),
        "{body}"
    );

    let (status, body) = superuser.post(
        "/api/collections",
        &json!({"name": "", "type": "view", "viewQuery": "select * from users"}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["viewQuery"],
        json!({
            "code": "validation_invalid_view_query",
            "message": "Invalid query - wildcard columns (*) are not supported - manually type the collection field names you want the view query to have."
        })
    );

    // A good query: only the missing name is wrong.
    let (status, body) = superuser.post(
        "/api/collections",
        &json!({"name": "", "type": "view", "viewQuery": "select id, email from users"}),
    );
    assert_eq!(status, 400);
    assert_eq!(error_keys(&body), ["name"]);

    // Nothing was stored, and the next real save still works.
    assert_eq!(
        superuser.get("/api/collections?perPage=500").1["totalItems"],
        before
    );
    let (status, body) = superuser.post(
        "/api/collections",
        &json!({"name": "emails", "type": "view", "viewQuery": "select id, email from users"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["viewQuery"], "select id, email from users");
}

#[test]
fn collections_view_check_on_update_reports_the_query_too() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, created) = superuser.post(
        "/api/collections",
        &json!({"name": "emails", "type": "view", "viewQuery": "select id, email from users"}),
    );
    assert_eq!(status, 200, "{created}");
    let (status, body) = superuser.patch(
        "/api/collections/emails",
        &json!({"name": "bad name!", "viewQuery": "select nope from users"}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Failed to update collection.");
    assert_eq!(error_keys(&body), ["fields", "name", "viewQuery"]);
    assert_eq!(
        body["data"]["viewQuery"]["code"],
        "validation_invalid_view_query"
    );
    let (_, kept) = superuser.get("/api/collections/emails");
    assert_eq!(kept["viewQuery"], "select id, email from users");
}
