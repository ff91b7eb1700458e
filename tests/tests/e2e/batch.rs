//! `/api/batch`: off by default, then all-or-nothing record writes in one transaction.

use serde_json::json;

use crate::harness::Server;

fn enable_batch(server: &Server) {
    let (status, body) = server.superuser().patch(
        "/api/settings",
        &json!({"batch": {"enabled": true, "maxRequests": 5}}),
    );
    assert_eq!(status, 200, "{body}");
}

fn create_items_collection(server: &Server) {
    let collection = json!({"name": "items", "type": "base", "createRule": "", "updateRule": "",
        "deleteRule": "", "listRule": "", "viewRule": "",
        "fields": [{"name": "title", "type": "text", "required": true}, {"name": "n", "type": "number"}]});
    let (status, body) = server.superuser().post("/api/collections", &collection);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn batch_is_refused_until_enabled() {
    let server = Server::start();
    create_items_collection(&server);
    let request = json!({"requests": [{"method": "POST", "url": "/api/collections/items/records", "body": {"title": "a"}}]});
    let (status, body) = server.guest().post("/api/batch", &request);
    assert_eq!(
        (status, body["message"].as_str()),
        (403, Some("Batch requests are not allowed."))
    );
    enable_batch(&server);
    let (status, body) = server.guest().post("/api/batch", &request);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body[0]["status"], 200);
    assert_eq!(body[0]["body"]["title"], "a");
}

#[test]
fn a_failing_item_rolls_back_every_earlier_item() {
    let server = Server::start();
    create_items_collection(&server);
    enable_batch(&server);
    let guest = server.guest();
    let (_, kept) = guest.post(
        "/api/collections/items/records",
        &json!({"title": "kept", "n": 1}),
    );
    let id = kept["id"].as_str().unwrap();
    let request = json!({"requests": [
        {"method": "POST", "url": "/api/collections/items/records", "body": {"title": "gone"}},
        {"method": "PATCH", "url": format!("/api/collections/items/records/{id}"), "body": {"n+": 5}},
        {"method": "POST", "url": "/api/collections/items/records", "body": {"title": ""}}]});
    let (status, body) = guest.post("/api/batch", &request);
    assert_eq!(status, 400);
    assert_eq!(body["message"], "Batch transaction failed.");
    assert_eq!(
        body["data"]["requests"]["2"]["code"],
        "batch_request_failed"
    );
    assert_eq!(
        body["data"]["requests"]["2"]["response"]["data"]["title"]["code"],
        "validation_required"
    );
    let (_, list) = guest.get("/api/collections/items/records");
    assert_eq!(list["totalItems"], 1);
    assert_eq!(list["items"][0]["n"], 1);
}

#[test]
fn too_many_and_empty_batches_are_invalid() {
    let server = Server::start();
    create_items_collection(&server);
    enable_batch(&server);
    let item =
        json!({"method": "POST", "url": "/api/collections/items/records", "body": {"title": "x"}});
    let (status, body) = server
        .guest()
        .post("/api/batch", &json!({"requests": vec![item; 6]}));
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["requests"]["code"],
        "validation_length_too_long"
    );
    let (status, body) = server.guest().post("/api/batch", &json!({"requests": []}));
    assert_eq!(status, 400);
    assert_eq!(body["data"]["requests"]["code"], "validation_required");
}
