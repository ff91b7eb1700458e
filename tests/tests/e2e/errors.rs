//! The `{status, message, data}` error shape for missing things and malformed requests.

use serde_json::json;

use crate::harness::{create_collection, error_body, Client, Server};

const GENERIC_400: &str = "Something went wrong while processing your request.";

fn server_with_items() -> (Server, Client) {
    let server = Server::start();
    let superuser = server.superuser();
    create_collection(
        &superuser,
        &json!({"name": "items", "listRule": "", "viewRule": "", "createRule": "",
                "fields": [{"name": "title", "type": "text"}]}),
    );
    (server, superuser)
}

#[test]
fn missing_record_is_404() {
    let (server, superuser) = server_with_items();
    let expected = (404, error_body(404, "The requested resource wasn't found."));
    assert_eq!(
        superuser.get("/api/collections/items/records/nosuchrecord000"),
        expected
    );
    assert_eq!(
        server
            .guest()
            .get("/api/collections/items/records/nosuchrecord000"),
        expected
    );
    assert_eq!(
        superuser.patch(
            "/api/collections/items/records/nosuchrecord000",
            &json!({"title": "x"})
        ),
        expected
    );
}

/// Reading and deleting name a missing collection one way, creating and updating another.
#[test]
fn unknown_collection_is_404() {
    let (server, superuser) = server_with_items();
    let missing = (404, error_body(404, "Missing collection context."));
    assert_eq!(superuser.get("/api/collections/nope/records"), missing);
    let guest = server.guest();
    assert_eq!(
        guest.get("/api/collections/nope/records/abcdefghij12345"),
        missing
    );
    assert_eq!(
        superuser.delete("/api/collections/nope/records/abcdefghij12345"),
        missing
    );

    let missing_or_invalid = (
        404,
        error_body(404, "Missing or invalid collection context."),
    );
    assert_eq!(
        superuser.post("/api/collections/nope/records", &json!({})),
        missing_or_invalid
    );
    let path = "/api/collections/nope/records/abcdefghij12345";
    assert_eq!(superuser.patch(path, &json!({})), missing_or_invalid);
}

#[test]
fn unknown_route_is_404_file_not_found() {
    let (server, _) = server_with_items();
    assert_eq!(
        server.guest().get("/api/nonexistent"),
        (404, error_body(404, "File not found."))
    );
}

/// Each endpoint words its "cannot parse the body" 400 its own way.
#[test]
fn malformed_json_is_400() {
    let (server, superuser) = server_with_items();
    let body = br#"{"title": "unterminated"#;
    let malformed = |client: &Client, method: &str, path: &str| {
        client.send_raw(method, path, "application/json", body)
    };
    let generic = (400, error_body(400, GENERIC_400));
    assert_eq!(
        malformed(&superuser, "POST", "/api/collections/items/records"),
        generic
    );
    assert_eq!(
        malformed(&server.guest(), "POST", "/api/collections/items/records"),
        generic
    );
    assert_eq!(
        malformed(&superuser, "POST", "/api/collections"),
        (
            400,
            error_body(
                400,
                "Failed to load the collection type data due to invalid formatting."
            )
        )
    );
    assert_eq!(
        malformed(&superuser, "PATCH", "/api/collections/items"),
        (
            400,
            error_body(
                400,
                "Failed to load the submitted data due to invalid formatting."
            )
        )
    );
    assert_eq!(
        malformed(
            &server.guest(),
            "POST",
            "/api/collections/users/auth-with-password"
        ),
        (
            400,
            error_body(400, "An error occurred while loading the submitted data.")
        )
    );
}

#[test]
fn bad_list_parameters_are_400() {
    let (_server, superuser) = server_with_items();
    let expected = (400, error_body(400, GENERIC_400));
    assert_eq!(
        superuser.get("/api/collections/items/records?filter=(title%3D"),
        expected
    );
    assert_eq!(
        superuser.get("/api/collections/items/records?filter=(nosuchfield%3D1)"),
        expected
    );
    assert_eq!(
        superuser.get("/api/collections/items/records?perPage=abc"),
        expected
    );
    assert_eq!(
        superuser.get("/api/collections/items/records?page=abc"),
        expected
    );
}
