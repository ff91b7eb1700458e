//! `/api/collections`: create, get, list, update (add, rename, remove fields) and delete.

use serde_json::{json, Value};

use crate::harness::{create_collection, create_record, error_body, Server};

/// CRC-32 (IEEE), which PocketBase uses for field ids: `<type><crc32(name)>`.
fn crc32(text: &str) -> u32 {
    let mut crc = !0u32;
    for byte in text.bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn field_names(collection: &Value) -> Vec<&str> {
    collection["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["name"].as_str().unwrap())
        .collect()
}

fn field<'a>(collection: &'a Value, name: &str) -> &'a Value {
    let fields = collection["fields"].as_array().unwrap();
    fields
        .iter()
        .find(|field| field["name"] == name)
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn assert_datetime(value: &Value) {
    let text = value.as_str().unwrap_or_default();
    let shape: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { '0' } else { c })
        .collect();
    assert_eq!(
        shape, "0000-00-00 00:00:00.000Z",
        "not a PocketBase datetime: {value}"
    );
}

fn posts_collection() -> Value {
    json!({
        "name": "posts",
        "type": "base",
        "fields": [
            {"name": "title", "type": "text", "required": true, "max": 100},
            {"name": "views", "type": "number", "onlyInt": true},
            {"name": "public", "type": "bool"},
            {"name": "contact", "type": "email"},
            {"name": "tags", "type": "select", "values": ["go", "rust", "js"], "maxSelect": 3},
            {"name": "meta", "type": "json"},
            {"name": "created", "type": "autodate", "onCreate": true, "onUpdate": false},
            {"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}
        ],
        "indexes": ["CREATE INDEX idx_posts_title ON posts (title)"]
    })
}

#[test]
fn create_base_collection_fills_in_defaults() {
    let server = Server::start();
    let collection = create_collection(&server.superuser(), &posts_collection());

    let id = collection["id"].as_str().unwrap();
    assert!(
        id.starts_with("pbc_") && id[4..].chars().all(|c| c.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(collection["name"], "posts");
    assert_eq!(collection["type"], "base");
    assert_eq!(collection["system"], false);
    for rule in [
        "listRule",
        "viewRule",
        "createRule",
        "updateRule",
        "deleteRule",
    ] {
        assert_eq!(collection[rule], Value::Null, "{rule}");
    }
    assert_eq!(
        collection["indexes"],
        json!(["CREATE INDEX idx_posts_title ON posts (title)"])
    );
    assert_datetime(&collection["created"]);
    assert_datetime(&collection["updated"]);

    assert_eq!(
        field_names(&collection),
        ["id", "title", "views", "public", "contact", "tags", "meta", "created", "updated"]
    );
    for field in collection["fields"].as_array().unwrap() {
        let expected_id = format!(
            "{}{}",
            field["type"].as_str().unwrap(),
            crc32(field["name"].as_str().unwrap())
        );
        assert_eq!(field["id"], expected_id.as_str());
    }
    assert_eq!(
        field(&collection, "id"),
        &json!({"autogeneratePattern": "[a-z0-9]{15}", "help": "", "hidden": false, "id": "text3208210256",
                "max": 15, "min": 15, "name": "id", "pattern": "^[a-z0-9]+$", "presentable": false,
                "primaryKey": true, "required": true, "system": true, "type": "text"})
    );
    assert_eq!(
        field(&collection, "title"),
        &json!({"autogeneratePattern": "", "help": "", "hidden": false, "id": "text724990059", "max": 100,
                "min": 0, "name": "title", "pattern": "", "presentable": false, "primaryKey": false,
                "required": true, "system": false, "type": "text"})
    );
    let views = field(&collection, "views");
    assert_eq!(
        (&views["min"], &views["max"], &views["onlyInt"]),
        (&Value::Null, &Value::Null, &json!(true))
    );
    assert_eq!(field(&collection, "tags")["maxSelect"], 3);
    assert_eq!(field(&collection, "contact")["onlyDomains"], json!([]));
    assert_eq!(field(&collection, "meta")["maxSize"], 0);
    assert_eq!(
        field(&collection, "updated"),
        &json!({"hidden": false, "id": "autodate3332085495", "name": "updated", "onCreate": true,
                "onUpdate": true, "presentable": false, "system": false, "type": "autodate"})
    );
}

#[test]
fn get_by_name_or_id_and_list() {
    let server = Server::start();
    let superuser = server.superuser();
    let created = create_collection(&superuser, &posts_collection());
    let id = created["id"].as_str().unwrap();

    assert_eq!(
        superuser.get("/api/collections/posts"),
        (200, created.clone())
    );
    assert_eq!(
        superuser.get(&format!("/api/collections/{id}")),
        (200, created.clone())
    );

    let (status, list) = superuser.get("/api/collections?filter=(name='posts')");
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list,
        json!({"page": 1, "perPage": 30, "totalItems": 1, "totalPages": 1, "items": [created]})
    );

    // 6 collections come with a fresh data dir: _superusers, users, _mfas, _otps, _externalAuths, _authOrigins.
    let (_, all) = superuser.get("/api/collections?perPage=5&sort=name");
    assert_eq!(
        (&all["totalItems"], &all["totalPages"], &all["perPage"]),
        (&json!(7), &json!(2), &json!(5))
    );
    let names: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "_authOrigins",
            "_externalAuths",
            "_mfas",
            "_otps",
            "_superusers"
        ]
    );
}

#[test]
fn invalid_names_are_field_errors() {
    let server = Server::start();
    let superuser = server.superuser();
    create_collection(&superuser, &json!({"name": "posts"}));

    let (status, body) = superuser.post("/api/collections", &json!({"name": "POSTS"}));
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["data"]["name"]["code"],
        "validation_collection_name_exists"
    );

    let (status, body) = superuser.post("/api/collections", &json!({"name": "bad name!"}));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["data"]["name"]["code"], "validation_match_invalid");

    let (status, body) = superuser.post(
        "/api/collections",
        &json!({"name": "things", "type": "table"}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["data"]["type"]["code"], "validation_in_invalid");
}

#[test]
fn update_adds_renames_and_removes_fields_keeping_data() {
    let server = Server::start();
    let superuser = server.superuser();
    let collection = create_collection(
        &superuser,
        &json!({"name": "notes", "fields": [
            {"name": "title", "type": "text"},
            {"name": "count", "type": "number"},
            {"name": "gone", "type": "text"}
        ]}),
    );
    let record = create_record(
        &superuser,
        "notes",
        &json!({"title": "kept", "count": 7, "gone": "bye"}),
    );
    let record_id = record["id"].as_str().unwrap();

    // PATCH replaces the field list; a field keeps its identity through its `id`.
    let mut fields: Vec<Value> = collection["fields"].as_array().unwrap().clone();
    fields.retain(|field| field["name"] != "gone");
    for field in &mut fields {
        if field["name"] == "title" {
            field["name"] = json!("headline");
        }
    }
    fields.push(json!({"name": "done", "type": "bool"}));
    let (status, updated) = superuser.patch("/api/collections/notes", &json!({"fields": fields}));
    assert_eq!(status, 200, "{updated}");
    assert_eq!(field_names(&updated), ["id", "headline", "count", "done"]);
    assert_eq!(
        field(&updated, "headline")["id"],
        field(&collection, "title")["id"]
    );
    assert_eq!(updated["id"], collection["id"]);

    let (status, record) = superuser.get(&format!("/api/collections/notes/records/{record_id}"));
    assert_eq!(status, 200, "{record}");
    assert_eq!(
        record,
        json!({"collectionId": collection["id"], "collectionName": "notes", "id": record_id,
               "headline": "kept", "count": 7, "done": false})
    );

    // Options and rules can be patched on their own; the fields stay.
    let (status, updated) = superuser.patch(
        "/api/collections/notes",
        &json!({"listRule": "", "name": "memos"}),
    );
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (&updated["listRule"], &updated["name"]),
        (&json!(""), &json!("memos"))
    );
    assert_eq!(field_names(&updated), ["id", "headline", "count", "done"]);
    assert_eq!(
        server.guest().get("/api/collections/memos/records").1["totalItems"],
        1
    );
}

#[test]
fn delete_removes_the_collection() {
    let server = Server::start();
    let superuser = server.superuser();
    let collection = create_collection(
        &superuser,
        &json!({"name": "temp", "fields": [{"name": "a", "type": "text"}]}),
    );
    create_record(&superuser, "temp", &json!({"a": "x"}));

    assert_eq!(
        superuser.delete("/api/collections/temp"),
        (204, Value::Null)
    );
    let not_found = error_body(404, "The requested resource wasn't found.");
    assert_eq!(
        superuser.get("/api/collections/temp"),
        (404, not_found.clone())
    );
    assert_eq!(
        superuser.get(&format!(
            "/api/collections/{}",
            collection["id"].as_str().unwrap()
        )),
        (404, not_found)
    );
    assert_eq!(superuser.get("/api/collections/temp/records").0, 404);
    // The name is free again.
    create_collection(&superuser, &json!({"name": "temp"}));
}

#[test]
fn system_collections_cannot_be_deleted() {
    let server = Server::start();
    let (status, body) = server.superuser().delete("/api/collections/_superusers");
    assert_eq!(
        (status, body),
        (400, error_body(400, "Failed to delete collection."))
    );
}

#[test]
fn crc32_matches_known_field_ids() {
    assert_eq!(crc32("id"), 3_208_210_256);
    assert_eq!(crc32("created"), 2_990_389_176);
    assert_eq!(crc32("password"), 901_924_565);
}

/// PocketBase reads `null` field options as their zero values (checked against 0.40.6).
#[test]
fn null_field_options_mean_their_zero_values() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, body) = superuser.post(
        "/api/collections",
        &json!({"name": "posts", "type": "base", "fields": [
            {"name": "title", "type": "text", "min": null, "max": null, "pattern": null, "required": null},
            {"name": "views", "type": "number", "min": null, "onlyInt": null}
        ]}),
    );
    assert_eq!(status, 200, "{body}");
    let fields = body["fields"].as_array().unwrap();
    let title = fields
        .iter()
        .find(|field| field["name"] == "title")
        .unwrap();
    assert_eq!(
        (
            &title["min"],
            &title["max"],
            &title["pattern"],
            &title["required"]
        ),
        (&json!(0), &json!(0), &json!(""), &json!(false))
    );
    let views = fields
        .iter()
        .find(|field| field["name"] == "views")
        .unwrap();
    assert_eq!(
        (&views["min"], &views["max"], &views["onlyInt"]),
        (&Value::Null, &Value::Null, &json!(false))
    );
}
