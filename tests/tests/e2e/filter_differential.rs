//! Differential test of the filter language: thousands of random `filter` expressions (and a
//! few `sort`s) sent to `pb` and to the real PocketBase 0.40.6, both serving the same seeded
//! records under the same explicit ids. For every expression both must answer the same status
//! and, for 200s, the same `totalItems` and the same ids in the same order.
//!
//! The schema has every field type (text, editor, number, bool, email, url, date, autodate,
//! single and multi select, single and multi relation, json, geoPoint, a hidden text) over three
//! collections: `items` (listRule `""`), `people` (related from `items`; its list rule names
//! `@request.auth.person` and `items_via_members`, so it shares joins with filters and limits
//! what non-superusers' joins see) and `notes` (listRule `null`, related *to* `items`, so
//! `notes_via_item` is a back-relation). Requests go out as a superuser, as a guest and as a
//! user of the system `users` collection (given a `person` field).
//!
//! The generator knows each operand's kind (text, number, date …) so that most comparisons are
//! meaningful and match some rows; the rest mix kinds at random, and a few are invalid on
//! purpose (unknown fields, bad modifiers, syntax errors), where only the status is compared.
//! Values that differ between the two servers by nature are kept out of anything that could
//! tell them apart: autodate values and `@now`-like macros are only compared with dates far
//! from today, `@request.auth.id` (a random superuser id) only with `=`/`!=`.
//!
//! Left out on purpose, each where the generator avoids it: `~` on `geoDistance()` (the two
//! SQLites print computed floats with different digits), sorting by multi-valued paths
//! (arbitrary in PocketBase) and more than one `@collection` join per filter (can exceed
//! PocketBase's 30 s query limit).
//!
//! `PB_DIFF_SEED` (decimal or `0x…`) and `PB_DIFF_COUNT` (default 4,000) override the
//! generator; `PB_DIFF_THREADS` (default 4) the number of client threads. To look into one
//! case, `PB_DIFF_ONLY=<filter>` runs just that filter (as a superuser, a guest and the user) on
//! `PB_DIFF_ONLY_COLLECTION` (default `items`) with `PB_DIFF_ONLY_SORT` (default `id`), on the
//! data of the same seed. The real PocketBase is located as in [`crate::pocketbase_datadir`];
//! `PB_SKIP_REFERENCE=1` skips the test.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{create_collection, Client, Server};
use crate::pocketbase_datadir::reference_bin;

const DEFAULT_SEED: u64 = 0x5EED_F117_E500_0001;
const DEFAULT_COUNT: usize = 4000;
const DEFAULT_THREADS: usize = 4;

const PEOPLE: usize = 12;
const ITEMS: usize = 40;
const NOTES: usize = 30;

/// splitmix64: tiny, deterministic, good enough to drive a generator.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, limit: usize) -> usize {
        (self.next() % limit.max(1) as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    let Ok(text) = std::env::var(name) else {
        return default;
    };
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.unwrap_or_else(|_| panic!("{name}={text:?} is not a number"))
}

fn person_id(index: usize) -> String {
    format!("p{index:014}")
}

fn item_id(index: usize) -> String {
    format!("i{index:014}")
}

fn note_id(index: usize) -> String {
    format!("n{index:014}")
}

// ---------------------------------------------------------------------------------------------
// Schema and data

/// Shares joins with filters on `people` (the same `items_via_members` rows), and lets the
/// signed-in user see their own person.
const PEOPLE_LIST_RULE: &str =
    "rank > 1 || id = @request.auth.person || items_via_members.owner ?= @request.auth.person";

const USER_EMAIL: &str = "user@example.com";
const USER_PASSWORD: &str = "user-Passw0rd!";

fn people_collection() -> Value {
    json!({
        "name": "people",
        "listRule": "rank > 1",
        "viewRule": "",
        "fields": [
            {"name": "name", "type": "text"},
            {"name": "rank", "type": "number"},
            {"name": "active", "type": "bool"},
            {"name": "tags", "type": "select", "values": ["a", "b", "c"], "maxSelect": 3},
            {"name": "info", "type": "json"}
        ]
    })
}

fn items_collection(people_id: &str) -> Value {
    json!({
        "name": "items",
        "listRule": "",
        "viewRule": "",
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "body", "type": "editor"},
            {"name": "num", "type": "number"},
            {"name": "flag", "type": "bool"},
            {"name": "mail", "type": "email"},
            {"name": "site", "type": "url"},
            {"name": "when", "type": "date"},
            {"name": "status", "type": "select", "values": ["draft", "live", "gone"], "maxSelect": 1},
            {"name": "labels", "type": "select", "values": ["red", "green", "blue", "x_y"], "maxSelect": 4},
            {"name": "owner", "type": "relation", "collectionId": people_id, "maxSelect": 1},
            {"name": "members", "type": "relation", "collectionId": people_id, "maxSelect": 5},
            {"name": "meta", "type": "json"},
            {"name": "loc", "type": "geoPoint"},
            {"name": "code", "type": "text", "hidden": true},
            {"name": "created", "type": "autodate", "onCreate": true, "onUpdate": false},
            {"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}
        ]
    })
}

fn notes_collection(items_id: &str) -> Value {
    json!({
        "name": "notes",
        "fields": [
            {"name": "text", "type": "text"},
            {"name": "score", "type": "number"},
            {"name": "item", "type": "relation", "collectionId": items_id, "maxSelect": 1},
            {"name": "refs", "type": "relation", "collectionId": items_id, "maxSelect": 6}
        ]
    })
}

/// Adds a relation field pointing at the collection itself (`boss`, `parent`): a collection's id
/// is only known once it exists.
fn add_self_relation(client: &Client, collection: &Value, field: &str) {
    let id = collection["id"].as_str().unwrap();
    let mut fields = collection["fields"].as_array().unwrap().clone();
    fields.push(json!({"name": field, "type": "relation", "collectionId": id, "maxSelect": 1}));
    let (status, body) = client.patch(
        &format!("/api/collections/{id}"),
        &json!({ "fields": fields }),
    );
    assert_eq!(status, 200, "adding {field}: {body}");
}

const TEXTS: &[&str] = &[
    "",
    "alpha",
    "Alpha",
    "beta",
    "hello world",
    "Hello",
    "50%",
    "a_b",
    "it's",
    "quote\"d",
    "ünïcödé",
    "NULL",
    "null",
    "12",
    "3.5",
    "%",
    "_",
    "back\\slash",
];
const EDITORS: &[&str] = &["", "<p>hello</p>", "<b>Alpha</b> beta", "plain", "50% off"];
const NUMBERS: &[f64] = &[
    0.0,
    1.0,
    -1.0,
    2.5,
    10.0,
    100.0,
    42.0,
    -3.25,
    3.0,
    1_000_000.0,
];
const EMAILS: &[&str] = &["", "a@example.com", "B@Example.com", "x_y@test.org"];
const URLS: &[&str] = &[
    "",
    "https://example.com",
    "https://example.org/c?d=1",
    "http://alpha.example.net/50",
];
const DATES: &[&str] = &[
    "",
    "2001-02-03 04:05:06.000Z",
    "2020-12-31 23:59:59.999Z",
    "2099-01-01 00:00:00.000Z",
    "1999-06-15 12:00:00.000Z",
    "2001-02-03 00:00:00.000Z",
];
const STATUSES: &[&str] = &["", "draft", "live", "gone"];
const LABELS: &[&str] = &["red", "green", "blue", "x_y"];
const TAGS: &[&str] = &["a", "b", "c"];
const GEO: &[f64] = &[0.0, 10.5, -20.0, 45.25, 179.9, -0.5];

fn json_value(random: &mut Random) -> Value {
    match random.below(14) {
        0 => Value::Null,
        1 => json!(1),
        2 => json!(0),
        3 => json!("v"),
        4 => json!("alpha"),
        5 => json!(true),
        6 => json!(false),
        7 => json!([]),
        8 => json!([1, 2, 3]),
        9 => json!(["a", "b"]),
        10 => json!({"k": "v"}),
        11 => json!({"k": "alpha", "n": 3, "arr": [1, "x"], "sub": {"deep": 1}}),
        12 => json!({"n": 2.5, "k": "", "sub": {"deep": "x"}}),
        _ => json!({}),
    }
}

fn subset(random: &mut Random, pool: &[String], max: usize) -> Vec<String> {
    let mut chosen = Vec::new();
    for _ in 0..random.below(max + 1) {
        let value = pool[random.below(pool.len())].clone();
        if !chosen.contains(&value) {
            chosen.push(value);
        }
    }
    chosen
}

/// The records of every collection, in creation order (relations point backwards only).
struct Dataset {
    people: Vec<Value>,
    items: Vec<Value>,
    notes: Vec<Value>,
}

impl Dataset {
    fn generate(random: &mut Random) -> Dataset {
        let tags: Vec<String> = TAGS.iter().map(|tag| tag.to_string()).collect();
        let labels: Vec<String> = LABELS.iter().map(|label| label.to_string()).collect();
        let mut people = Vec::new();
        for index in 0..PEOPLE {
            let boss = if index > 0 && random.chance(70) {
                person_id(random.below(index))
            } else {
                String::new()
            };
            people.push(json!({
                "id": person_id(index),
                "name": random.pick(TEXTS),
                "rank": random.below(5),
                "active": random.chance(50),
                "tags": subset(random, &tags, 3),
                "info": json_value(random),
                "boss": boss,
            }));
        }
        let person_ids: Vec<String> = (0..PEOPLE).map(person_id).collect();
        let mut items = Vec::new();
        for index in 0..ITEMS {
            let parent = if index > 0 && random.chance(60) {
                item_id(random.below(index))
            } else {
                String::new()
            };
            let owner = if random.chance(75) {
                person_ids[random.below(person_ids.len())].clone()
            } else {
                String::new()
            };
            let mut item = json!({
                "id": item_id(index),
                "title": random.pick(TEXTS),
                "body": random.pick(EDITORS),
                "num": random.pick(NUMBERS),
                "flag": random.chance(50),
                "mail": random.pick(EMAILS),
                "site": random.pick(URLS),
                "when": random.pick(DATES),
                "status": random.pick(STATUSES),
                "labels": subset(random, &labels, 4),
                "owner": owner,
                "members": subset(random, &person_ids, 5),
                "meta": json_value(random),
                "code": random.pick(TEXTS),
                "parent": parent,
            });
            if random.chance(80) {
                item["loc"] = json!({"lon": random.pick(GEO), "lat": random.pick(GEO) / 2.0});
            }
            items.push(item);
        }
        let item_ids: Vec<String> = (0..ITEMS).map(item_id).collect();
        let mut notes = Vec::new();
        for index in 0..NOTES {
            let item = if random.chance(85) {
                item_ids[random.below(item_ids.len())].clone()
            } else {
                String::new()
            };
            notes.push(json!({
                "id": note_id(index),
                "text": random.pick(TEXTS),
                "score": random.pick(NUMBERS),
                "item": item,
                "refs": subset(random, &item_ids, 4),
            }));
        }
        Dataset {
            people,
            items,
            notes,
        }
    }
}

/// Creates the collections and records through the API, as a superuser, and a user of the
/// system `users` collection whose new `person` field points at the second person.
fn load(client: &Client, dataset: &Dataset) {
    // The list rule of `people` names `@request.auth.person`, which must exist first.
    let (status, users) = client.get("/api/collections/users");
    assert_eq!(status, 200, "{users}");
    let mut fields = users["fields"].as_array().unwrap().clone();
    fields.push(json!({"name": "person", "type": "text"}));
    let (status, body) = client.patch("/api/collections/users", &json!({ "fields": fields }));
    assert_eq!(status, 200, "adding users.person: {body}");
    let people = create_collection(client, &people_collection());
    add_self_relation(client, &people, "boss");
    let items = create_collection(client, &items_collection(people["id"].as_str().unwrap()));
    add_self_relation(client, &items, "parent");
    create_collection(client, &notes_collection(items["id"].as_str().unwrap()));
    // Only now does `items_via_members` exist.
    let (status, body) = client.patch(
        "/api/collections/people",
        &json!({ "listRule": PEOPLE_LIST_RULE }),
    );
    assert_eq!(status, 200, "people listRule: {body}");
    for (collection, records) in [
        ("people", &dataset.people),
        ("items", &dataset.items),
        ("notes", &dataset.notes),
    ] {
        for record in records {
            let (status, body) =
                client.post(&format!("/api/collections/{collection}/records"), record);
            assert_eq!(status, 200, "create {collection} {record}: {body}");
        }
    }
    let user = json!({
        "id": "u00000000000001",
        "email": USER_EMAIL,
        "password": USER_PASSWORD,
        "passwordConfirm": USER_PASSWORD,
        "person": person_id(1),
    });
    let (status, body) = client.post("/api/collections/users/records", &user);
    assert_eq!(status, 200, "create user: {body}");
}

/// Every record as the server stores it, without what differs by nature.
fn stored_records(client: &Client, collection: &str) -> Vec<Value> {
    let (status, body) = client.get(&format!(
        "/api/collections/{collection}/records?sort=id&perPage=500"
    ));
    assert_eq!(status, 200, "{body}");
    let mut records = body["items"].as_array().unwrap().clone();
    for record in &mut records {
        let object = record.as_object_mut().unwrap();
        for key in ["collectionId", "created", "updated"] {
            object.remove(key);
        }
    }
    records
}

// ---------------------------------------------------------------------------------------------
// Expressions

/// What an operand holds, to pick sensible right sides and operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Bool,
    /// Dates far from today.
    Date,
    /// Autodate values and `@now`-like macros: different on the two servers, so only ordered
    /// against dates far from today.
    Moment,
    Json,
    Id,
    /// `@request.auth.id`: a random id, so only `=`/`!=` with values it cannot be.
    Exact,
}

type Operand = (&'static str, Kind);

const ITEM_OPERANDS: &[Operand] = &[
    ("title", Kind::Text),
    ("body", Kind::Text),
    ("mail", Kind::Text),
    ("site", Kind::Text),
    ("status", Kind::Text),
    ("status:each", Kind::Text),
    ("code", Kind::Text),
    ("title:lower", Kind::Text),
    ("body:lower", Kind::Text),
    ("mail:lower", Kind::Text),
    ("owner.name", Kind::Text),
    ("owner.name:lower", Kind::Text),
    ("parent.title", Kind::Text),
    ("parent.status", Kind::Text),
    ("members.name", Kind::Text),
    ("members.name:lower", Kind::Text),
    ("parent.owner.name", Kind::Text),
    ("parent.parent.title", Kind::Text),
    ("owner.boss.name", Kind::Text),
    ("notes_via_item.text", Kind::Text),
    ("notes_via_refs.text", Kind::Text),
    ("items_via_parent.title", Kind::Text),
    ("items_via_parent.owner.name", Kind::Text),
    ("labels", Kind::Text),
    ("labels:each", Kind::Text),
    ("owner.tags", Kind::Text),
    ("owner.tags:each", Kind::Text),
    ("members.tags:each", Kind::Text),
    ("meta.k", Kind::Text),
    ("@collection.people.name", Kind::Text),
    ("@collection.people:p.name", Kind::Text),
    ("@collection.notes.text", Kind::Text),
    ("@request.query.q", Kind::Text),
    ("@request.query.sort", Kind::Text),
    ("@request.method", Kind::Text),
    ("@request.context", Kind::Text),
    ("@request.auth.email", Kind::Text),
    ("@request.auth.collectionName", Kind::Text),
    ("@request.headers.user_agent", Kind::Text),
    ("@request.headers.x_missing", Kind::Text),
    ("@request.body.title", Kind::Text),
    ("strftime('%Y', when)", Kind::Text),
    ("strftime('%m-%d', when, 'start of month')", Kind::Text),
    ("strftime('%Y', members.name)", Kind::Text),
    ("site:lower", Kind::Text),
    ("labels:lower", Kind::Text),
    ("labels:each:lower", Kind::Text),
    ("Title", Kind::Text),
    ("OWNER.name", Kind::Text),
    ("meta.arr.1", Kind::Text),
    ("notes_via_refs.item.title", Kind::Text),
    ("members.boss.name", Kind::Text),
    ("items_via_parent.members.name", Kind::Text),
    ("owner.items_via_owner.title", Kind::Text),
    ("parent.parent.parent.parent.parent.title", Kind::Text),
    ("@collection.items.title", Kind::Text),
    ("@collection.people:p.tags:each", Kind::Text),
    ("@request.query.q:lower", Kind::Text),
    ("num", Kind::Number),
    ("labels:length", Kind::Number),
    ("members:length", Kind::Number),
    ("owner.rank", Kind::Number),
    ("members.rank", Kind::Number),
    ("owner.tags:length", Kind::Number),
    ("notes_via_item.score", Kind::Number),
    ("notes_via_refs.score", Kind::Number),
    ("meta.n", Kind::Number),
    ("meta.sub.deep", Kind::Number),
    ("meta.arr.0", Kind::Number),
    ("loc.lon", Kind::Number),
    ("loc.lat", Kind::Number),
    ("parent.num", Kind::Number),
    ("owner.boss.rank", Kind::Number),
    ("@collection.notes.score", Kind::Number),
    ("geoDistance(loc.lon, loc.lat, 10.5, -10)", Kind::Number),
    ("geoDistance(0, 0, loc.lon, loc.lat)", Kind::Number),
    ("@year", Kind::Number),
    ("@month", Kind::Number),
    ("@day", Kind::Number),
    ("@weekday", Kind::Number),
    ("@request.query.perPage", Kind::Number),
    ("members.tags:length", Kind::Number),
    ("notes_via_item.refs:length", Kind::Number),
    ("@collection.people.rank", Kind::Number),
    ("owner.items_via_owner.num", Kind::Number),
    ("meta.arr:length", Kind::Number),
    ("flag", Kind::Bool),
    ("owner.active", Kind::Bool),
    ("members.active", Kind::Bool),
    ("parent.flag", Kind::Bool),
    ("@request.body.title:isset", Kind::Bool),
    ("@request.query.q:isset", Kind::Bool),
    ("@request.query.nope:isset", Kind::Bool),
    ("when", Kind::Date),
    ("parent.when", Kind::Date),
    ("items_via_parent.when", Kind::Date),
    ("created", Kind::Moment),
    ("updated", Kind::Moment),
    ("parent.created", Kind::Moment),
    ("@now", Kind::Moment),
    ("@todayStart", Kind::Moment),
    ("@todayEnd", Kind::Moment),
    ("@yesterday", Kind::Moment),
    ("@tomorrow", Kind::Moment),
    ("@monthStart", Kind::Moment),
    ("@monthEnd", Kind::Moment),
    ("@yearStart", Kind::Moment),
    ("@yearEnd", Kind::Moment),
    ("meta", Kind::Json),
    ("meta.sub", Kind::Json),
    ("meta.arr", Kind::Json),
    ("owner.info", Kind::Json),
    ("owner.info.k", Kind::Json),
    ("members.info.n", Kind::Json),
    ("loc", Kind::Json),
    ("meta.arr.5", Kind::Json),
    ("meta.sub.deep.x", Kind::Json),
    ("id", Kind::Id),
    ("owner", Kind::Id),
    ("parent", Kind::Id),
    ("members", Kind::Id),
    ("members:each", Kind::Id),
    ("owner.id", Kind::Id),
    ("members.id", Kind::Id),
    ("parent.id", Kind::Id),
    ("owner.boss", Kind::Id),
    ("parent.owner", Kind::Id),
    ("notes_via_item.id", Kind::Id),
    ("items_via_parent.id", Kind::Id),
    ("@collection.notes.item", Kind::Id),
    ("@collection.notes:n.refs", Kind::Id),
    ("members.boss", Kind::Id),
    ("parent.members", Kind::Id),
    ("parent.members:each", Kind::Id),
    ("notes_via_refs.refs", Kind::Id),
    ("@request.auth.id", Kind::Exact),
];

const PEOPLE_OPERANDS: &[Operand] = &[
    ("name", Kind::Text),
    ("name:lower", Kind::Text),
    ("tags", Kind::Text),
    ("tags:each", Kind::Text),
    ("boss.name", Kind::Text),
    ("boss.boss.name", Kind::Text),
    ("items_via_owner.title", Kind::Text),
    ("items_via_members.title", Kind::Text),
    ("people_via_boss.name", Kind::Text),
    ("items_via_owner.labels:each", Kind::Text),
    ("@collection.items.title", Kind::Text),
    ("info.k", Kind::Text),
    ("rank", Kind::Number),
    ("tags:length", Kind::Number),
    ("boss.rank", Kind::Number),
    ("items_via_owner.num", Kind::Number),
    ("items_via_members.members:length", Kind::Number),
    ("info.n", Kind::Number),
    ("active", Kind::Bool),
    ("boss.active", Kind::Bool),
    ("items_via_owner.when", Kind::Date),
    ("items_via_owner.created", Kind::Moment),
    ("@todayStart", Kind::Moment),
    ("info", Kind::Json),
    ("id", Kind::Id),
    ("boss", Kind::Id),
    ("boss.id", Kind::Id),
    ("items_via_owner.id", Kind::Id),
    ("items_via_members.parent", Kind::Id),
];

const NOTE_OPERANDS: &[Operand] = &[
    ("text", Kind::Text),
    ("item.title", Kind::Text),
    ("item.owner.name", Kind::Text),
    ("refs.title", Kind::Text),
    ("refs.members.name", Kind::Text),
    ("item.labels:each", Kind::Text),
    ("refs.labels:each", Kind::Text),
    ("score", Kind::Number),
    ("refs:length", Kind::Number),
    ("refs.num", Kind::Number),
    ("item.num", Kind::Number),
    ("item.flag", Kind::Bool),
    ("refs.flag", Kind::Bool),
    ("item.when", Kind::Date),
    ("item.meta", Kind::Json),
    ("item.meta.k", Kind::Json),
    ("id", Kind::Id),
    ("item", Kind::Id),
    ("refs", Kind::Id),
    ("refs:each", Kind::Id),
    ("item.parent", Kind::Id),
    ("refs.owner", Kind::Id),
];

const OPERATORS: &[&str] = &[
    "=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~",
];
/// Operators whose result cannot depend on the digits of a timestamp.
const ORDER_OPERATORS: &[&str] = &[
    "=", "!=", ">", ">=", "<", "<=", "?=", "?!=", "?>", "?>=", "?<", "?<=",
];
const EQUALITY_OPERATORS: &[&str] = &["=", "!=", "?=", "?!="];

const TEXT_LITERALS: &[&str] = &[
    "",
    "alpha",
    "Alpha",
    "ALPHA",
    "beta",
    "hello world",
    "Hello",
    "50%",
    "a_b",
    "it's",
    "quote\"d",
    "ünïcödé",
    "NULL",
    "null",
    "12",
    "3.5",
    "%",
    "_",
    "draft",
    "live",
    "red",
    "x_y",
    "v",
    "a",
    "a@example.com",
    "example",
    "<p>",
    "admin@example.com",
    "_superusers",
    "GET",
    "default",
    "ureq",
    "alpha%",
    "%world",
    "h_llo",
    "%a%",
    "back\\slash",
    "id",
    "2001",
    "02-01",
    "sort",
];
const NUMBER_LITERALS: &[&str] = &[
    "0", "1", "-1", "2.5", "10", "100", "42", "-3.25", "3", "1000000", "0.5", "2", "5", "500",
    "2026", "12", "-0", "007", "1.0",
];
const BOOL_LITERALS: &[&str] = &[
    "true", "false", "null", "1", "0", "'true'", "''", "'false'", "TRUE", "False",
];
const DATE_LITERALS: &[&str] = &[
    "'2001-02-03 04:05:06.000Z'",
    "'2001-02-03'",
    "'2001-02-03 00:00:00.000Z'",
    "'2020-12-31 23:59:59.999Z'",
    "'2050-01-01 00:00:00.000Z'",
    "'2099-01-01 00:00:00.000Z'",
    "'1999'",
    "'1999-06-15 12:00:00.000Z'",
    "''",
    "null",
    "\"2020-12-31\"",
];
const JSON_LITERALS: &[&str] = &[
    "null",
    "1",
    "0",
    "'v'",
    "'alpha'",
    "true",
    "false",
    "3",
    "2.5",
    "'[]'",
    "'{}'",
    "'[1,2,3]'",
    "''",
    "'x'",
    "'{\"k\":\"v\"}'",
];
const EXACT_LITERALS: &[&str] = &["''", "null", "'nope'", "id", "'p00000000000001'"];

/// Filters that must fail (or, in a few cases, might surprisingly not): the statuses must
/// still agree.
const INVALID: &[&str] = &[
    "unknown_field = 1",
    "title = ",
    "(title = 'a'",
    "title = 'a')",
    "title == 'a'",
    "title = 'unterminated",
    "title:foo = 1",
    "created:year = 2020",
    "@rowid > 2",
    "owner.nope = 1",
    "nope_via_owner.x = 1",
    "items_via_nope.title = 1",
    "unknown(1) = 1",
    "geoDistance(1, 2, 3) > 1",
    "geoDistance(1, 2, 3, 'x') > 1",
    "strftime(title) = 1",
    "strftime() = 1",
    "strftime('%Y', geoDistance(1,2,3,4)) = 1",
    " ",
    "// only a comment",
    "&& title = 'a'",
    "title ~",
    "1 = 1 ||",
    "title = 'a' title = 'b'",
    "members:each.name = 'x'",
    "notes_via_item:length > 0",
    "title:length > 1",
    "num:each = 1",
    "title:isset = true",
    "@request.nope = 1",
    "@collection.nope.x = 1",
    "@collection.people.nope = 1",
    "@request.auth.nope = 1",
    "@request.body.title:changed = true",
    "()",
    "(())",
    "title = 'a' &&& num = 1",
    "title = 'a' | num = 1",
    "title !== 'a'",
    "title =! 'a'",
    "title ?? 'a'",
    "title = @unknownMacro",
    "title = @",
    "title.x = 1",
    "num.x = 1",
    "owner.name.x = 1",
    "meta.a-b = 1",
    "a.b.c.d.e.f.g.h = 1",
    "parent.parent.parent.parent.parent.parent.parent.title = 'x'",
    "title = 'a' // trailing comment",
    "title = 'a'\n// comment\n&& num = 1",
    "title = '\\''",
    "num > 1e3",
    "num > .5",
    "num > 5.",
    "num > 1.2.3",
    "num > --1",
    "num > +1",
    "num = 0x10",
    "title ~ %",
    "loc.x = 1",
    "loc.lon.x = 1",
    "code ~ ''",
    "@request.body = ''",
    "@request.auth = ''",
    "@request.query = ''",
    "@request.auth.name = ''",
    "@collection = 1",
    "@collection.people = 1",
    "meta.k:isset = true",
    "title:lower:lower = 'a'",
    "labels:each:each = 'a'",
    "owner:each = 'a'",
    "members:lower = 'a'",
];

/// Sorts used with some filters; every one ends in `id` so that the order is total. No sort by
/// a multi-valued path (`members.rank`): which item's value orders a record is arbitrary in
/// PocketBase (a `DISTINCT` over joined rows), so the two servers may legitimately differ.
const SORTS: &[&str] = &[
    "id",
    "id",
    "id",
    "-id",
    "num,id",
    "-num,id",
    "title,id",
    "-title,-id",
    "status,id",
    "-flag,id",
    "when,id",
    "owner.name,id",
    "-owner.rank,id",
    "parent.owner.name,-id",
    "title:lower,id",
    "labels:length,id",
    "meta.n,-id",
    "@rowid",
    "-@rowid",
    "code,id",
];

/// Sorts for `people`: joins of `people` itself, whose list rule then filters the listed rows
/// for non-superusers.
const PEOPLE_SORTS: &[&str] = &[
    "name,id",
    "-rank,id",
    "boss.name,id",
    "-boss.rank,-id",
    "boss.boss.name,id",
];

/// A text literal in single or double quotes, escaping the quote with a backslash.
fn quoted(random: &mut Random, text: &str) -> String {
    let quote = if random.chance(70) { '\'' } else { '"' };
    let mut out = String::new();
    out.push(quote);
    for character in text.chars() {
        if character == quote {
            out.push('\\');
        }
        out.push(character);
    }
    out.push(quote);
    out
}

fn random_text(random: &mut Random) -> String {
    const ALPHABET: &[char] = &['a', 'b', 'A', '%', '_', ' ', 'é', '1', '.', '-', 'x', 'l'];
    (0..random.below(5))
        .map(|_| random.pick(ALPHABET))
        .collect()
}

fn literal(random: &mut Random, kind: Kind, dataset_ids: &[String]) -> String {
    match kind {
        Kind::Text => {
            if random.chance(85) {
                let text = random.pick(TEXT_LITERALS);
                quoted(random, text)
            } else {
                let text = random_text(random);
                quoted(random, &text)
            }
        }
        Kind::Number => {
            if random.chance(80) {
                let number = random.pick(NUMBER_LITERALS);
                if random.chance(10) {
                    format!("'{number}'")
                } else {
                    number.to_string()
                }
            } else {
                let integer = random.below(200) as i64 - 50;
                if random.chance(50) {
                    integer.to_string()
                } else {
                    format!("{integer}.{}", random.below(100))
                }
            }
        }
        Kind::Bool => random.pick(BOOL_LITERALS).to_string(),
        Kind::Date | Kind::Moment => random.pick(DATE_LITERALS).to_string(),
        Kind::Json => random.pick(JSON_LITERALS).to_string(),
        Kind::Id => match random.below(6) {
            0 => "''".to_string(),
            1 => "null".to_string(),
            2 => "'nope'".to_string(),
            _ => {
                let id = dataset_ids[random.below(dataset_ids.len())].clone();
                quoted(random, &id)
            }
        },
        Kind::Exact => random.pick(EXACT_LITERALS).to_string(),
    }
}

/// Kinds whose values are the same on both servers, for mixing kinds at random.
fn is_stable(kind: Kind) -> bool {
    !matches!(kind, Kind::Moment | Kind::Exact)
}

struct Generator<'a> {
    operands: &'static [Operand],
    ids: &'a [String],
}

impl Generator<'_> {
    fn operand_of(&self, random: &mut Random, kind: Kind) -> Option<&'static str> {
        let candidates: Vec<&'static str> = self
            .operands
            .iter()
            .filter(|(_, operand_kind)| *operand_kind == kind)
            .map(|(name, _)| *name)
            .collect();
        (!candidates.is_empty()).then(|| random.pick(&candidates))
    }

    fn stable_operand(&self, random: &mut Random) -> &'static str {
        loop {
            let (name, kind) = random.pick(self.operands);
            if is_stable(kind) {
                return name;
            }
        }
    }

    fn comparison(&self, random: &mut Random) -> String {
        if random.chance(3) {
            let kinds = [Kind::Text, Kind::Number, Kind::Bool, Kind::Date, Kind::Json];
            let (left_kind, right_kind) = (random.pick(&kinds), random.pick(&kinds));
            let left = literal(random, left_kind, self.ids);
            let right = literal(random, right_kind, self.ids);
            return format!("{left} {} {right}", random.pick(OPERATORS));
        }
        let (left, kind) = random.pick(self.operands);
        let (op, right) = match kind {
            Kind::Moment => {
                let right = match random.below(4) {
                    0 => self
                        .operand_of(random, Kind::Date)
                        .map(str::to_string)
                        .unwrap_or_else(|| "null".to_string()),
                    _ => literal(random, kind, self.ids),
                };
                (random.pick(ORDER_OPERATORS), right)
            }
            Kind::Exact => (
                random.pick(EQUALITY_OPERATORS),
                literal(random, kind, self.ids),
            ),
            _ => {
                let op = random.pick(OPERATORS);
                let right = match random.below(20) {
                    0..=10 => literal(random, kind, self.ids),
                    11..=14 => self
                        .operand_of(random, kind)
                        .map(str::to_string)
                        .unwrap_or_else(|| literal(random, kind, self.ids)),
                    15..=17 => {
                        let other = random.pick(&[
                            Kind::Text,
                            Kind::Number,
                            Kind::Bool,
                            Kind::Date,
                            Kind::Json,
                            Kind::Id,
                        ]);
                        literal(random, other, self.ids)
                    }
                    _ => self.stable_operand(random).to_string(),
                };
                (op, right)
            }
        };
        // Literals and stable operands may stand on the left too.
        let swap = kind != Kind::Moment && kind != Kind::Exact && random.chance(12);
        let (left, right) = if swap {
            (right, left.to_string())
        } else {
            (left.to_string(), right)
        };
        // A computed float used as text differs in its last digits: PocketBase's SQLite
        // (modernc) renders `2088.0855338891197` where the bundled SQLite renders
        // `2088.08553388912`, so `geoDistance(…) ~ '12'` may differ without either being wrong.
        let op = if op.contains('~')
            && (left.contains("geoDistance") || right.contains("geoDistance"))
        {
            random.pick(ORDER_OPERATORS)
        } else {
            op
        };
        match random.below(10) {
            0 => format!("{left}{op}{right}"),
            1 => format!("{left}\n {op}\t{right}"),
            _ => format!("{left} {op} {right}"),
        }
    }

    fn expression(&self, random: &mut Random, depth: usize) -> String {
        if depth > 0 && random.chance(45) {
            let join = if random.chance(50) { "&&" } else { "||" };
            let left = self.expression(random, depth - 1);
            let right = self.expression(random, depth - 1);
            return match random.below(6) {
                0 => format!("({left}) {join} ({right})"),
                1 => format!("({left} {join} {right})"),
                2 => format!("{left} {join} ({right})"),
                3 => format!("{left}{join}{right}"),
                4 => format!("{left} // note\n {join} {right}"),
                _ => format!("{left} {join} {right}"),
            };
        }
        self.comparison(random)
    }

    fn filter(&self, random: &mut Random) -> String {
        match random.below(100) {
            0..=3 => random.pick(INVALID).to_string(),
            4..=5 => {
                let valid = self.expression(random, 1);
                let invalid = random.pick(INVALID);
                format!("{valid} && ({invalid})")
            }
            6 => {
                // Over PocketBase's 3,500-byte limit, or just under it.
                let long = random.chance(50);
                let repeat = if long { 400 } else { 300 };
                let mut filter = "num > -100".to_string();
                for _ in 0..repeat {
                    filter.push_str(" || id = ''");
                }
                filter
            }
            _ => self.expression(random, 3),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Superuser,
    Guest,
    /// A user of the `users` collection (list rules apply, `@request.` is off limits).
    User,
}

struct Case {
    collection: &'static str,
    who: Who,
    filter: String,
    sort: String,
}

fn generate_cases(random: &mut Random, count: usize) -> Vec<Case> {
    let mut ids: Vec<String> = (0..PEOPLE).map(person_id).collect();
    ids.extend((0..ITEMS).map(item_id));
    ids.extend((0..NOTES).map(note_id));
    let mut cases = Vec::with_capacity(count);
    for _ in 0..count {
        let (collection, who, operands) = match random.below(100) {
            0..=49 => ("items", Who::Superuser, ITEM_OPERANDS),
            50..=74 => ("items", Who::Guest, ITEM_OPERANDS),
            75..=79 => ("items", Who::User, ITEM_OPERANDS),
            80..=86 => ("people", Who::Superuser, PEOPLE_OPERANDS),
            87..=93 => ("people", Who::User, PEOPLE_OPERANDS),
            94..=96 => ("people", Who::Guest, PEOPLE_OPERANDS),
            _ => ("notes", Who::Superuser, NOTE_OPERANDS),
        };
        let generator = Generator {
            operands,
            ids: &ids,
        };
        // Two `@collection` joins (cross products of whole tables) next to a multi-valued path
        // can take PocketBase longer than its 30 s query limit, where it answers 400
        // "Something went wrong…" (pb answers in about a second): one per filter at most.
        let filter = loop {
            let filter = generator.filter(random);
            if filter.matches("@collection.").count() <= 1 {
                break filter;
            }
        };
        let sort = match collection {
            "items" if random.chance(25) => random.pick(SORTS),
            "people" if random.chance(25) => random.pick(PEOPLE_SORTS),
            _ => "id",
        };
        cases.push(Case {
            collection,
            who,
            filter,
            sort: sort.to_string(),
        });
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// Running

/// `application/x-www-form-urlencoded`-safe percent-encoding of a query value.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What one server answered to one case.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    status: u16,
    total: Option<i64>,
    ids: Vec<String>,
    /// The error message of a non-200 answer (not compared, only shown).
    message: String,
    /// How long the request took (only shown).
    elapsed: Duration,
}

fn run_case(client: &Client, case: &Case) -> Outcome {
    let path = format!(
        "/api/collections/{}/records?filter={}&sort={}&perPage=500&fields=id&q=alpha",
        case.collection,
        encode(&case.filter),
        encode(&case.sort)
    );
    let started = Instant::now();
    let (status, body) = client.get(&path);
    let elapsed = started.elapsed();
    if status != 200 {
        return Outcome {
            status,
            total: None,
            ids: Vec::new(),
            message: body["message"].as_str().unwrap_or_default().to_string(),
            elapsed,
        };
    }
    let ids = body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["id"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default();
    Outcome {
        status,
        total: body["totalItems"].as_i64(),
        ids,
        message: String::new(),
        elapsed,
    }
}

struct Clients {
    superuser: Client,
    guest: Client,
    user: Option<Client>,
}

impl Clients {
    fn new(server: &Server) -> Clients {
        let superuser = server.superuser();
        Clients {
            guest: superuser.guest(),
            superuser,
            user: None,
        }
    }

    /// Signs the user in (once the data is loaded).
    fn sign_in(&mut self) {
        let token = self.guest.login("users", USER_EMAIL, USER_PASSWORD);
        self.user = Some(self.guest.with_token(&token));
    }

    fn for_case(&self, case: &Case) -> &Client {
        match case.who {
            Who::Superuser => &self.superuser,
            Who::Guest => &self.guest,
            Who::User => self.user.as_ref().unwrap(),
        }
    }
}

#[test]
fn random_filters_match_pocketbase() {
    let Some(reference) = reference_bin() else {
        return;
    };
    let seed = env_number("PB_DIFF_SEED", DEFAULT_SEED);
    let count = env_number("PB_DIFF_COUNT", DEFAULT_COUNT as u64) as usize;
    let threads = env_number("PB_DIFF_THREADS", DEFAULT_THREADS as u64).max(1) as usize;
    eprintln!("filter_differential: seed {seed:#x}, {count} expressions, {threads} threads");

    let started = Instant::now();
    let mut random = Random(seed);
    let dataset = Dataset::generate(&mut random);
    let mut cases = generate_cases(&mut random, count);
    if let Ok(filter) = std::env::var("PB_DIFF_ONLY") {
        let collection = match std::env::var("PB_DIFF_ONLY_COLLECTION").as_deref() {
            Ok("people") => "people",
            Ok("notes") => "notes",
            _ => "items",
        };
        let sort = std::env::var("PB_DIFF_ONLY_SORT").unwrap_or_else(|_| "id".to_string());
        cases = [Who::Superuser, Who::Guest, Who::User]
            .into_iter()
            .map(|who| Case {
                collection,
                who,
                filter: filter.clone(),
                sort: sort.clone(),
            })
            .collect();
    }

    let pb = Server::start();
    let reference_dir = tempfile::tempdir().unwrap();
    let reference_server =
        Server::start_in(&reference, &reference_dir.path().join("pb_data"), true);
    let mut pb_clients = Clients::new(&pb);
    let mut reference_clients = Clients::new(&reference_server);
    load(&pb_clients.superuser, &dataset);
    load(&reference_clients.superuser, &dataset);
    pb_clients.sign_in();
    reference_clients.sign_in();
    for collection in ["people", "items", "notes"] {
        assert_eq!(
            stored_records(&pb_clients.superuser, collection),
            stored_records(&reference_clients.superuser, collection),
            "the seeded {collection} differ between pb and PocketBase, before any filter"
        );
    }
    let loaded = started.elapsed();

    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Option<(Outcome, Outcome)>>> = Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(index) else {
                    break;
                };
                let ours = run_case(pb_clients.for_case(case), case);
                let theirs = run_case(reference_clients.for_case(case), case);
                outcomes.lock().unwrap()[index] = Some((ours, theirs));
            });
        }
    });
    let outcomes = outcomes.into_inner().unwrap();

    let mut mismatches = Vec::new();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let (mut empty, mut partial, mut everything) = (0, 0, 0);
    // Error messages are not compared, only reported: (pb's, PocketBase's) → an example filter.
    let mut messages: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut slowest: Vec<(Duration, Duration, &str)> = Vec::new();
    for (case, outcome) in cases.iter().zip(outcomes) {
        let (ours, theirs) = outcome.unwrap();
        slowest.push((ours.elapsed, theirs.elapsed, &case.filter));
        *statuses.entry(theirs.status).or_default() += 1;
        if theirs.status == 200 {
            match theirs.total {
                Some(0) => empty += 1,
                Some(total) if total as usize >= collection_size(case.collection) => {
                    everything += 1
                }
                _ => partial += 1,
            }
        }
        let same = ours.status == theirs.status
            && (ours.status != 200 || (ours.total == theirs.total && ours.ids == theirs.ids));
        if same && ours.message != theirs.message {
            messages
                .entry((ours.message.clone(), theirs.message.clone()))
                .or_insert_with(|| case.filter.clone());
        }
        if !same {
            mismatches.push(format!(
                "--- {} as {:?}, sort={}\nfilter: {}\npb:         {} {:?} total={:?} {:?}\npocketbase: {} {:?} total={:?} {:?}",
                case.collection,
                case.who,
                case.sort,
                case.filter,
                ours.status,
                ours.message,
                ours.total,
                ours.ids,
                theirs.status,
                theirs.message,
                theirs.total,
                theirs.ids,
            ));
        }
    }
    eprintln!(
        "filter_differential: {} expressions in {:.1?} (setup {:.1?}); PocketBase statuses {:?}; \
         200s matching no rows {empty}, some rows {partial}, all rows {everything}; {} mismatches",
        cases.len(),
        started.elapsed(),
        loaded,
        statuses,
        mismatches.len()
    );
    slowest.sort_by_key(|(ours, theirs, _)| std::cmp::Reverse(*ours.max(theirs)));
    for (ours, theirs, filter) in slowest.iter().take(3) {
        eprintln!("filter_differential: slow: pb {ours:.1?}, PocketBase {theirs:.1?}: {filter:?}");
    }
    for ((ours, theirs), filter) in &messages {
        eprintln!("filter_differential: same status, other message: pb {ours:?}, PocketBase {theirs:?} (e.g. {filter:?})");
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} filters differ from PocketBase (seed {seed:#x}):\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

fn collection_size(collection: &str) -> usize {
    match collection {
        "people" => PEOPLE,
        "items" => ITEMS,
        _ => NOTES,
    }
}
