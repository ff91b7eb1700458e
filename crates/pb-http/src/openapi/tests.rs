//! Unit tests of the document: in step with the route table, field schemas per type, and
//! every `$ref` resolving.

use serde_json::{json, Value};

use super::document;
use crate::state::Schema;

fn schema_with_posts() -> Schema {
    let mut collections = pb_core::system::fresh_collections("2024-01-01 00:00:00.000Z");
    let posts = pb_core::Collection::from_json(&json!({
        "id": "pbc_posts", "name": "posts", "type": "base",
        "listRule": "", "viewRule": null,
        "fields": [
            {"name": "id", "type": "text", "primaryKey": true, "required": true, "system": true,
             "min": 15, "max": 15, "pattern": "^[a-z0-9]+$", "autogeneratePattern": "[a-z0-9]{15}"},
            {"name": "title", "type": "text", "required": true, "max": 100},
            {"name": "views", "type": "number", "onlyInt": true},
            {"name": "draft", "type": "bool"},
            {"name": "contact", "type": "email"},
            {"name": "site", "type": "url"},
            {"name": "published", "type": "date"},
            {"name": "status", "type": "select", "values": ["a", "b"], "maxSelect": 1},
            {"name": "labels", "type": "select", "values": ["x", "y"], "maxSelect": 2},
            {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1},
            {"name": "readers", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 5},
            {"name": "cover", "type": "file", "maxSelect": 1},
            {"name": "gallery", "type": "file", "maxSelect": 3},
            {"name": "meta", "type": "json"},
            {"name": "where", "type": "geoPoint"},
            {"name": "secret", "type": "text", "hidden": true},
            {"name": "created", "type": "autodate", "onCreate": true},
        ],
    }))
    .unwrap();
    collections.push(posts);
    Schema::new(collections)
}

fn pointer<'a>(document: &'a Value, path: &str) -> &'a Value {
    document
        .pointer(path)
        .unwrap_or_else(|| panic!("{path} missing"))
}

#[test]
fn every_mounted_route_is_described() {
    let schema = schema_with_posts();
    let document = document(&schema);
    let table = include_str!("../api/mod.rs");
    let mut checked = 0;
    for chunk in table.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap();
        let method = chunk
            .split("web::")
            .nth(1)
            .unwrap()
            .split('(')
            .next()
            .unwrap();
        if method == "head" {
            continue;
        }
        let path = path
            .replace(
                "/api/collections/{collection}/records",
                "/api/collections/posts/records",
            )
            .replace("{record}", "{recordId}");
        let path =
            if path.starts_with("/api/collections/{collection}/") && !path.ends_with("/truncate") {
                path.replace("{collection}", "users")
            } else {
                path
            };
        assert!(
            document["paths"][&path][method].is_object(),
            "{method} {path} is mounted but not described"
        );
        checked += 1;
    }
    assert!(checked > 30, "only {checked} routes found in api/mod.rs");
}

#[test]
fn record_schemas_follow_the_fields() {
    let document = document(&schema_with_posts());
    let record = pointer(&document, "/components/schemas/postsRecord/properties");
    assert_eq!(record["title"], json!({"type": "string"}));
    assert_eq!(
        record["views"],
        json!({"type": "number", "description": "A whole number."})
    );
    assert_eq!(record["draft"], json!({"type": "boolean"}));
    assert_eq!(record["status"]["enum"], json!(["a", "b", ""]));
    assert_eq!(record["labels"]["items"]["enum"], json!(["x", "y"]));
    assert_eq!(record["author"]["type"], "string");
    assert_eq!(record["readers"]["type"], "array");
    assert_eq!(record["cover"]["type"], "string");
    assert_eq!(record["gallery"]["items"]["type"], "string");
    assert_eq!(record["meta"].get("type"), None);
    assert_eq!(record["where"]["required"], json!(["lon", "lat"]));
    assert_eq!(record["created"]["readOnly"], true);
    assert_eq!(record["collectionName"]["enum"], json!(["posts"]));
    assert!(
        record.get("secret").is_none(),
        "hidden fields are not in responses"
    );

    let create = pointer(&document, "/components/schemas/postsCreate");
    assert_eq!(create["required"], json!(["title"]));
    assert_eq!(create["properties"]["title"]["maxLength"], 100);
    assert_eq!(create["properties"]["title"]["minLength"], 1);
    assert_eq!(create["properties"]["contact"]["format"], "email");
    assert_eq!(create["properties"]["site"]["format"], "uri");
    assert!(create["properties"].get("cover").is_none());
    assert!(create["properties"].get("created").is_none());
    let form = pointer(&document, "/components/schemas/postsCreateForm/properties");
    assert_eq!(form["cover"]["format"], "binary");
    assert_eq!(form["gallery"]["items"]["format"], "binary");
    assert!(pointer(&document, "/components/schemas/postsUpdate")
        .get("required")
        .is_none());

    let users = pointer(&document, "/components/schemas/usersCreate/properties");
    assert_eq!(users["password"]["writeOnly"], true);
    assert_eq!(users["passwordConfirm"]["writeOnly"], true);
    assert!(users.get("tokenKey").is_none());
    let users_record = pointer(&document, "/components/schemas/usersRecord/properties");
    assert!(users_record.get("password").is_none());
    assert!(users_record.get("tokenKey").is_none());
    assert_eq!(users_record["emailVisibility"]["type"], "boolean");
}

#[test]
fn rules_decide_who_may_call() {
    let document = document(&schema_with_posts());
    let list = pointer(&document, "/paths/~1api~1collections~1posts~1records/get");
    assert!(list.get("security").is_none());
    let view = pointer(
        &document,
        "/paths/~1api~1collections~1posts~1records~1{id}/get",
    );
    assert_eq!(view["security"], json!([{"pbToken": []}]));
    assert_eq!(
        pointer(&document, "/components/securitySchemes/pbToken/name"),
        "Authorization"
    );
    assert_eq!(
        *pointer(&document, "/components/schemas/Error/required"),
        json!(["status", "message", "data"])
    );
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                refs.push(target.clone());
            }
            map.values().for_each(|item| collect_refs(item, refs));
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, refs)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_operation_ids_are_unique() {
    let document = document(&schema_with_posts());
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(!refs.is_empty());
    for target in refs {
        let path = target.trim_start_matches('#');
        assert!(
            document.pointer(path).is_some(),
            "{target} does not resolve"
        );
    }
    let mut ids: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|operation| operation["operationId"].as_str().unwrap())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count);
}

#[test]
fn view_collections_are_read_only() {
    let mut collections = pb_core::system::fresh_collections("2024-01-01 00:00:00.000Z");
    collections.push(
        pb_core::Collection::from_json(&json!({
            "id": "pbc_v", "name": "v", "type": "view", "viewQuery": "select id from users",
            "fields": [{"name": "id", "type": "text", "primaryKey": true}],
        }))
        .unwrap(),
    );
    let document = document(&Schema::new(collections));
    let item = pointer(&document, "/paths/~1api~1collections~1v~1records");
    assert!(item.get("get").is_some());
    assert!(item.get("post").is_none());
    assert!(document["components"]["schemas"].get("vCreate").is_none());
}
