//! `/api/collections/{collection}/records`: CRUD, field validation, list pagination and sort,
//! `null` vs `""` rules, and concurrent `field+` updates.

use serde_json::{json, Value};

use crate::harness::{create_collection, create_record, error_body, Client, Server};

const ONLY_SUPERUSERS: &str = "Only superusers can perform this action.";

/// A `things` collection: title (required, 3..50 chars), score (number ≤ 10), unique slug,
/// multi select tags, json meta.
fn create_things(superuser: &Client) -> Value {
    create_collection(
        superuser,
        &json!({
            "name": "things",
            "fields": [
                {"name": "title", "type": "text", "required": true, "min": 3, "max": 50},
                {"name": "score", "type": "number", "max": 10},
                {"name": "slug", "type": "text"},
                {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
                {"name": "meta", "type": "json"}
            ],
            "indexes": ["CREATE UNIQUE INDEX idx_things_slug ON things (slug) WHERE slug != ''"]
        }),
    )
}

#[test]
fn create_view_update_delete() {
    let server = Server::start();
    let superuser = server.superuser();
    let collection = create_things(&superuser);

    let created = create_record(
        &superuser,
        "things",
        &json!({"title": "First", "score": 2.5, "tags": ["b", "a"], "meta": {"k": [1, "x"]}, "ignored": 1}),
    );
    let id = created["id"].as_str().unwrap();
    assert!(
        id.len() == 15
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{id}"
    );
    assert_eq!(
        created,
        json!({"collectionId": collection["id"], "collectionName": "things", "id": id, "title": "First",
               "score": 2.5, "slug": "", "tags": ["b", "a"], "meta": {"k": [1, "x"]}})
    );
    let path = format!("/api/collections/things/records/{id}");
    assert_eq!(superuser.get(&path), (200, created.clone()));

    let (status, updated) = superuser.patch(&path, &json!({"title": "Second", "meta": null}));
    assert_eq!(status, 200, "{updated}");
    let mut expected = created.clone();
    expected["title"] = json!("Second");
    expected["meta"] = Value::Null;
    assert_eq!(updated, expected);
    assert_eq!(superuser.get(&path), (200, expected));

    assert_eq!(superuser.delete(&path), (204, Value::Null));
    assert_eq!(
        superuser.get(&path),
        (404, error_body(404, "The requested resource wasn't found."))
    );
    assert_eq!(superuser.delete(&path).0, 404);
}

#[test]
fn a_client_may_choose_the_id() {
    let server = Server::start();
    let superuser = server.superuser();
    create_things(&superuser);
    let created = create_record(
        &superuser,
        "things",
        &json!({"id": "abcdefghij12345", "title": "mine"}),
    );
    assert_eq!(created["id"], "abcdefghij12345");

    let (status, body) = superuser.post(
        "/api/collections/things/records",
        &json!({"id": "abcdefghij12345", "title": "again"}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["data"]["id"]["code"], "validation_not_unique");
}

/// Posts `record` and returns the `data` of the expected 400 "Failed to create record." answer.
fn create_error(client: &Client, record: &Value) -> Value {
    let (status, body) = client.post("/api/collections/things/records", record);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "Failed to create record.");
    assert_eq!(body["status"], 400);
    body["data"].clone()
}

#[test]
fn validation_errors_carry_codes_and_params() {
    let server = Server::start();
    let superuser = server.superuser();
    create_things(&superuser);

    let data = create_error(&superuser, &json!({}));
    assert_eq!(
        data,
        json!({"title": {"code": "validation_required", "message": "Cannot be blank."}})
    );

    let data = create_error(&superuser, &json!({"title": "ab"}));
    assert_eq!(
        data,
        json!({"title": {"code": "validation_min_text_constraint", "message": "Must be at least 3 character(s).",
                         "params": {"min": 3}}})
    );

    let data = create_error(&superuser, &json!({"title": "fine", "score": 11}));
    assert_eq!(data["score"]["code"], "validation_max_number_constraint");
    assert_eq!(data["score"]["params"], json!({"max": 10}));

    let data = create_error(&superuser, &json!({"title": "fine", "tags": ["a", "z"]}));
    assert_eq!(data["tags"]["code"], "validation_invalid_value");

    create_record(
        &superuser,
        "things",
        &json!({"title": "one", "slug": "same"}),
    );
    let data = create_error(&superuser, &json!({"title": "two", "slug": "same"}));
    assert_eq!(
        data,
        json!({"slug": {"code": "validation_not_unique", "message": "Value must be unique."}})
    );

    // Several failing fields are reported together.
    let data = create_error(&superuser, &json!({"title": "ab", "score": 11}));
    let mut keys: Vec<&String> = data.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["score", "title"]);
}

#[test]
fn update_validates_too() {
    let server = Server::start();
    let superuser = server.superuser();
    create_things(&superuser);
    let record = create_record(&superuser, "things", &json!({"title": "valid"}));
    let path = format!(
        "/api/collections/things/records/{}",
        record["id"].as_str().unwrap()
    );

    let (status, body) = superuser.patch(&path, &json!({"title": ""}));
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "Failed to update record.");
    assert_eq!(body["data"]["title"]["code"], "validation_required");
    assert_eq!(superuser.get(&path).1["title"], "valid");
}

/// `things` records with score 1..=7 and titles "item 1".."item 7", created in shuffled order.
fn seed_scores(superuser: &Client) {
    create_things(superuser);
    for score in [4, 1, 7, 3, 6, 2, 5] {
        create_record(
            superuser,
            "things",
            &json!({"title": format!("item {score}"), "score": score}),
        );
    }
}

fn scores(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["score"].as_i64().unwrap())
        .collect()
}

#[test]
fn list_paginates() {
    let server = Server::start();
    let superuser = server.superuser();
    seed_scores(&superuser);
    let list = |query: &str| {
        let (status, body) = superuser.get(&format!("/api/collections/things/records?{query}"));
        assert_eq!(status, 200, "{query}: {body}");
        body
    };

    let page = list("sort=score&perPage=3&page=2");
    assert_eq!(
        (
            &page["page"],
            &page["perPage"],
            &page["totalItems"],
            &page["totalPages"]
        ),
        (&json!(2), &json!(3), &json!(7), &json!(3))
    );
    assert_eq!(scores(&page), [4, 5, 6]);
    assert_eq!(scores(&list("sort=score&perPage=3&page=3")), [7]);
    let past_end = list("sort=score&perPage=3&page=4");
    assert_eq!(
        (&past_end["items"], &past_end["totalItems"]),
        (&json!([]), &json!(7))
    );

    let defaults = list("");
    assert_eq!(
        (
            &defaults["page"],
            &defaults["perPage"],
            &defaults["totalPages"]
        ),
        (&json!(1), &json!(30), &json!(1))
    );
    // Without sort: insertion order.
    assert_eq!(scores(&defaults), [4, 1, 7, 3, 6, 2, 5]);

    let skipped = list("sort=score&perPage=2&skipTotal=1");
    assert_eq!(
        (
            &skipped["totalItems"],
            &skipped["totalPages"],
            &skipped["perPage"]
        ),
        (&json!(-1), &json!(-1), &json!(2))
    );
    assert_eq!(scores(&skipped), [1, 2]);

    let clamped = list("perPage=5000&page=0");
    assert_eq!(
        (&clamped["perPage"], &clamped["page"]),
        (&json!(1000), &json!(1))
    );
}

#[test]
fn list_sorts_ascending_and_descending() {
    let server = Server::start();
    let superuser = server.superuser();
    seed_scores(&superuser);
    let sorted = |sort: &str| {
        scores(
            &superuser
                .get(&format!("/api/collections/things/records?sort={sort}"))
                .1,
        )
    };
    assert_eq!(sorted("score"), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(sorted("%2Bscore"), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(sorted("-score"), [7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(sorted("-title"), [7, 6, 5, 4, 3, 2, 1]);
    assert_eq!(
        superuser.get("/api/collections/things/records?sort=nope").0,
        400
    );
}

#[test]
fn null_rules_are_for_superusers_and_empty_rules_for_everyone() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    create_collection(
        &superuser,
        &json!({"name": "locked", "fields": [{"name": "title", "type": "text"}]}),
    );
    create_collection(
        &superuser,
        &json!({"name": "open", "listRule": "", "viewRule": "", "createRule": "", "updateRule": "", "deleteRule": "",
                "fields": [{"name": "title", "type": "text"}]}),
    );
    let locked = create_record(&superuser, "locked", &json!({"title": "secret"}));
    let locked_path = format!(
        "/api/collections/locked/records/{}",
        locked["id"].as_str().unwrap()
    );

    let forbidden = (403, error_body(403, ONLY_SUPERUSERS));
    assert_eq!(guest.get("/api/collections/locked/records"), forbidden);
    assert_eq!(guest.get(&locked_path), forbidden);
    assert_eq!(
        guest.post("/api/collections/locked/records", &json!({"title": "x"})),
        forbidden
    );
    assert_eq!(guest.patch(&locked_path, &json!({"title": "x"})), forbidden);
    assert_eq!(guest.delete(&locked_path), forbidden);
    assert_eq!(superuser.get(&locked_path).1["title"], "secret");

    let (status, created) = guest.post(
        "/api/collections/open/records",
        &json!({"title": "by a guest"}),
    );
    assert_eq!(status, 200, "{created}");
    let open_path = format!(
        "/api/collections/open/records/{}",
        created["id"].as_str().unwrap()
    );
    let (status, list) = guest.get("/api/collections/open/records");
    assert_eq!((status, &list["totalItems"]), (200, &json!(1)));
    assert_eq!(guest.get(&open_path), (200, created));
    assert_eq!(
        guest.patch(&open_path, &json!({"title": "edited"})).1["title"],
        "edited"
    );
    assert_eq!(guest.delete(&open_path), (204, Value::Null));
}

/// PocketBase itself loses some of these increments under load; `pb` must not.
#[test]
fn concurrent_increments_are_not_lost() {
    const THREADS: usize = 8;
    const REQUESTS_PER_THREAD: usize = 25;
    let server = Server::start();
    let superuser = server.superuser();
    create_collection(
        &superuser,
        &json!({"name": "counters", "fields": [{"name": "views", "type": "number"}]}),
    );
    let counter = create_record(&superuser, "counters", &json!({}));
    let path = format!(
        "/api/collections/counters/records/{}",
        counter["id"].as_str().unwrap()
    );

    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..REQUESTS_PER_THREAD {
                    let (status, body) = superuser.patch(&path, &json!({"views+": 1}));
                    assert_eq!(status, 200, "{body}");
                }
            });
        }
    });
    assert_eq!(
        superuser.get(&path).1["views"],
        json!(THREADS * REQUESTS_PER_THREAD)
    );
}
