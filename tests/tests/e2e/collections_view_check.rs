//! Checking a view query without saving it: a create that fails validation (here: no name)
//! still reports what is wrong with the view query, beside the other errors, and stores
//! nothing — as PocketBase 0.40 answers (checked against the reference server). The dashboard's
//! live check of the view query relies on it.

use serde_json::{json, Value};

use crate::harness::Server;
use crate::migrations::migration_files;

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

#[test]
fn collections_view_preview_shows_fields_and_first_rows_and_stores_nothing() {
    let server = Server::start();
    let superuser = server.superuser();
    for n in 0..12 {
        let email = format!("user{n:02}@example.com");
        let (status, body) = superuser.post(
            "/api/collections/users/records",
            &json!({"email": email, "password": "passpass123", "passwordConfirm": "passpass123",
                "emailVisibility": true}),
        );
        assert_eq!(status, 200, "{body}");
    }
    let collections_before = superuser.get("/api/collections?perPage=500").1["totalItems"].clone();
    let files_before = migration_files(server.data_dir());

    let (status, body) = superuser.post(
        "/api/collections/meta/view-preview",
        &json!({"viewQuery": "select id, email, verified as checked from users order by email"}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["fields"],
        json!([
            {"name": "id", "type": "text"},
            {"name": "email", "type": "email"},
            {"name": "checked", "type": "bool"},
        ])
    );
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 10, "the first ten rows only");
    assert_eq!(items[0]["email"], "user00@example.com");
    assert_eq!(items[9]["email"], "user09@example.com");
    assert_eq!(items[0]["checked"], false);
    assert_eq!(items[0]["id"].as_str().unwrap().len(), 15);

    let (status, body) = superuser.post(
        "/api/collections/meta/view-preview",
        &json!({"viewQuery": "select id, nope from users"}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Failed to preview the view query.");
    assert_eq!(
        body["data"]["viewQuery"]["code"],
        "validation_invalid_view_query"
    );
    assert!(body["data"]["viewQuery"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid query - "));

    let (status, body) = superuser.post(
        "/api/collections/meta/view-preview",
        &json!({"viewQuery": "select id from users; delete from users"}),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = superuser.post(
        "/api/collections/meta/view-preview",
        &json!({"viewQuery": " "}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["data"]["viewQuery"]["code"], "validation_required");

    let (status, _) = server.guest().post(
        "/api/collections/meta/view-preview",
        &json!({"viewQuery": "select id from users"}),
    );
    assert_eq!(status, 401);

    assert_eq!(
        superuser.get("/api/collections?perPage=500").1["totalItems"],
        collections_before
    );
    assert_eq!(
        migration_files(server.data_dir()),
        files_before,
        "no migration written"
    );
    assert_eq!(
        superuser.get("/api/collections/users/records?perPage=1").1["totalItems"],
        12
    );
}
