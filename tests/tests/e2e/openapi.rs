//! `GET /openapi/json|yaml|html`: the document is served to superusers only, the viewer page
//! to anyone, and the document follows collection changes (create, update, delete) at once.
//! Beyond PocketBase, which has no OpenAPI routes.

use std::io::Read;
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{create_collection, error_body, Client, Server};

/// `GET path` with an optional token: status, content type and body text.
fn fetch(server: &Server, path: &str, token: Option<&str>) -> (u16, String, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    let mut request = agent.get(&format!("{}{path}", server.base_url()));
    if let Some(token) = token {
        request = request.set("Authorization", token);
    }
    let response = match request.call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("GET {path}: {error}"),
    };
    let status = response.status();
    let content_type = response.header("content-type").unwrap_or("").to_string();
    let mut text = String::new();
    response.into_reader().read_to_string(&mut text).unwrap();
    (status, content_type, text)
}

fn document(client: &Client) -> Value {
    let (status, body) = client.get("/openapi/json");
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn openapi_json_yaml_and_html_are_served() {
    let server = Server::start();
    let token = server.superuser_token();

    let (status, content_type, text) = fetch(&server, "/openapi/json", Some(&token));
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/json");
    let json_document: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json_document["openapi"], "3.0.3");
    for path in [
        "/api/health",
        "/api/settings",
        "/api/collections",
        "/api/collections/{collection}",
        "/api/batch",
        "/api/realtime",
        "/api/files/{collection}/{recordId}/{filename}",
        "/api/collections/users/records",
        "/api/collections/users/records/{id}",
        "/api/collections/users/auth-with-password",
        "/api/collections/_superusers/auth-with-password",
    ] {
        assert!(
            json_document["paths"][path].is_object(),
            "{path} is not described"
        );
    }
    assert_eq!(
        json_document["components"]["securitySchemes"]["pbToken"],
        json!({
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "A PocketBase auth token (record or superuser), without a `Bearer` prefix.",
        })
    );
    assert_eq!(
        json_document["components"]["schemas"]["Error"]["required"],
        json!(["status", "message", "data"])
    );

    let (status, content_type, text) = fetch(&server, "/openapi/yaml", Some(&token));
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/yaml; charset=utf-8");
    let yaml_document: Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(yaml_document, json_document);

    let (status, content_type, html) = fetch(&server, "/openapi/html", None);
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(html.contains("fetch(\"/openapi/json\""), "{html}");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "the viewer must not load anything from elsewhere"
    );
}

#[test]
fn openapi_document_is_for_superusers_only() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    for path in ["/openapi/json", "/openapi/yaml"] {
        assert_eq!(
            guest.get(path),
            (
                401,
                error_body(
                    401,
                    "The request requires valid record authorization token."
                )
            ),
            "{path}"
        );
    }
    let (status, _) = superuser.post(
        "/api/collections/users/records",
        &json!({"email": "u@example.com", "password": "Passw0rd!123", "passwordConfirm": "Passw0rd!123"}),
    );
    assert_eq!(status, 200);
    let user = guest.with_token(&guest.login("users", "u@example.com", "Passw0rd!123"));
    assert_eq!(
        user.get("/openapi/json"),
        (
            403,
            error_body(
                403,
                "The authorized record is not allowed to perform this action."
            )
        )
    );
    assert_eq!(guest.with_token("not-a-token").get("/openapi/json").0, 401);
}

#[test]
fn collection_changes_show_in_the_document() {
    let server = Server::start();
    let superuser = server.superuser();
    let before = document(&superuser);
    assert!(before["paths"]["/api/collections/books/records"].is_null());

    let books = create_collection(
        &superuser,
        &json!({
            "name": "books", "type": "base", "listRule": "", "viewRule": null,
            "fields": [
                {"name": "title", "type": "text", "required": true, "max": 120},
                {"name": "pages", "type": "number", "onlyInt": true},
                {"name": "genre", "type": "select", "values": ["sf", "crime"], "maxSelect": 1},
                {"name": "readers", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 3},
                {"name": "cover", "type": "file", "maxSelect": 1},
                {"name": "location", "type": "geoPoint"},
                {"name": "note", "type": "text", "hidden": true},
            ],
        }),
    );
    let created = document(&superuser);
    let paths = &created["paths"];
    assert_eq!(
        paths["/api/collections/books/records"]["get"]["operationId"],
        "books_list"
    );
    assert!(paths["/api/collections/books/records"]["get"]
        .get("security")
        .is_none());
    assert_eq!(
        paths["/api/collections/books/records/{id}"]["get"]["security"],
        json!([{"pbToken": []}]),
        "a null view rule means superusers only"
    );
    assert!(
        paths["/api/collections/books/records"]["post"]["requestBody"]["content"]
            ["multipart/form-data"]
            .is_object()
    );
    assert!(paths["/api/collections/books/auth-with-password"].is_null());
    let schemas = &created["components"]["schemas"];
    let record = &schemas["booksRecord"]["properties"];
    assert_eq!(record["title"], json!({"type": "string"}));
    assert_eq!(
        record["pages"],
        json!({"type": "number", "description": "A whole number."})
    );
    assert_eq!(record["genre"]["enum"], json!(["sf", "crime", ""]));
    assert_eq!(record["readers"]["type"], "array");
    assert_eq!(record["cover"]["type"], "string");
    assert_eq!(record["location"]["required"], json!(["lon", "lat"]));
    assert!(record.get("note").is_none());
    assert_eq!(schemas["booksCreate"]["required"], json!(["title"]));
    assert_eq!(
        schemas["booksCreateForm"]["properties"]["cover"],
        json!({"type": "string", "format": "binary"})
    );

    let mut fields = books["fields"].as_array().unwrap().clone();
    for field in &mut fields {
        if field["name"] == "genre" {
            field["values"] = json!(["sf", "crime", "poetry"]);
            field["maxSelect"] = json!(2);
        }
    }
    fields.push(json!({"name": "isbn", "type": "text"}));
    let (status, body) = superuser.patch(
        "/api/collections/books",
        &json!({"fields": fields, "viewRule": ""}),
    );
    assert_eq!(status, 200, "{body}");
    let updated = document(&superuser);
    let record = &updated["components"]["schemas"]["booksRecord"]["properties"];
    assert_eq!(
        record["genre"],
        json!({"type": "array", "items": {"type": "string", "enum": ["sf", "crime", "poetry"]}})
    );
    assert_eq!(record["isbn"], json!({"type": "string"}));
    assert!(
        updated["paths"]["/api/collections/books/records/{id}"]["get"]
            .get("security")
            .is_none()
    );

    let (status, _) = superuser.delete("/api/collections/books");
    assert_eq!(status, 204);
    let deleted = document(&superuser);
    assert!(deleted["paths"]["/api/collections/books/records"].is_null());
    assert!(deleted["components"]["schemas"]["booksRecord"].is_null());
}
