//! Tests of record preparation, mirroring the conformance suite and what a PocketBase 0.40.6
//! server answered for the same bodies.

use super::*;
use crate::error::FieldError;
use serde_json::json;

const NOW: &str = "2024-05-06 07:08:09.123Z";
const LATER: &str = "2024-05-07 00:00:00.000Z";

/// A reversible stand-in for argon2: `hash:<plain>`.
struct FakeHasher;

impl PasswordHasher for FakeHasher {
    fn hash(&self, password: &str) -> String {
        format!("hash:{password}")
    }

    fn verify(&self, password: &str, hash: &str) -> bool {
        hash == self.hash(password)
    }
}

static HASHER: FakeHasher = FakeHasher;

fn guest() -> Actor<'static> {
    Actor {
        is_superuser: false,
        is_manager: false,
        hasher: &HASHER,
    }
}

fn superuser() -> Actor<'static> {
    Actor {
        is_superuser: true,
        ..guest()
    }
}

fn manager() -> Actor<'static> {
    Actor {
        is_manager: true,
        ..guest()
    }
}

fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(object) => object,
        _ => Map::new(),
    }
}

fn collection(value: Value) -> Collection {
    let mut collection = Collection::from_json(&value).unwrap();
    crate::validate::collection::complete_collection(&mut collection, None, NOW);
    collection
}

/// The conformance suite's `posts` collection, plus a few types it does not cover.
fn posts() -> Collection {
    collection(json!({
        "id": "pbc_posts", "name": "posts", "type": "base",
        "fields": [
            {"name": "title", "type": "text", "required": true, "min": 3, "max": 20, "pattern": "^[a-z0-9 ]+$"},
            {"name": "views", "type": "number", "min": 0, "max": 1000, "onlyInt": true},
            {"name": "score", "type": "number"},
            {"name": "active", "type": "bool"},
            {"name": "contact", "type": "email", "onlyDomains": ["example.com"]},
            {"name": "mail", "type": "email", "exceptDomains": ["bad.com"]},
            {"name": "site", "type": "url", "onlyDomains": ["example.com"]},
            {"name": "when", "type": "date", "min": "2020-01-01 00:00:00.000Z", "max": "2030-01-01 00:00:00.000Z"},
            {"name": "status", "type": "select", "values": ["draft", "published"], "maxSelect": 1},
            {"name": "tags", "type": "select", "values": ["a", "b", "c", "d"], "maxSelect": 3},
            {"name": "meta", "type": "json"},
            {"name": "small", "type": "json", "maxSize": 20},
            {"name": "author", "type": "relation", "collectionId": "pbc_users", "maxSelect": 1},
            {"name": "editors", "type": "relation", "collectionId": "pbc_users", "maxSelect": 3, "minSelect": 2},
            {"name": "body", "type": "editor", "maxSize": 10},
            {"name": "geo", "type": "geoPoint"},
            {"name": "pin", "type": "password", "min": 3},
            {"name": "files", "type": "file", "maxSelect": 2},
            {"name": "secret", "type": "text", "hidden": true},
            {"name": "slug", "type": "text", "autogeneratePattern": "[a-z]{8}"},
            {"name": "created", "type": "autodate", "onCreate": true, "onUpdate": false},
            {"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true},
            {"name": "touched", "type": "autodate", "onCreate": false, "onUpdate": true}
        ]
    }))
}

fn users() -> Collection {
    collection(json!({
        "id": "pbc_users", "name": "users", "type": "auth",
        "fields": [{"name": "name", "type": "text"}, {"name": "note", "type": "text", "hidden": true}]
    }))
}

fn create(collection: &Collection, input: Value) -> Result<PreparedRecord, ValidationErrors> {
    prepare_create(collection, &body(input), &guest(), NOW)
}

fn created(collection: &Collection, input: Value) -> Record {
    create(collection, input).unwrap().record
}

fn create_error(collection: &Collection, input: Value, field: &str) -> FieldError {
    let errors = create(collection, input).unwrap_err();
    errors
        .get(field)
        .cloned()
        .unwrap_or_else(|| panic!("no error on {field}: {:?}", errors.to_json()))
}

fn code(collection: &Collection, input: Value, field: &str) -> String {
    create_error(collection, input, field).code
}

fn update_as(
    actor: &Actor<'_>,
    collection: &Collection,
    current: &Record,
    input: Value,
) -> Result<PreparedRecord, ValidationErrors> {
    prepare_update(collection, current, &body(input), actor, LATER)
}

fn error_keys(errors: &ValidationErrors) -> Vec<String> {
    errors
        .to_json()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[test]
fn create_fills_zero_values_and_generates_the_id() {
    let record = created(&posts(), json!({"title": "zero defaults"}));
    let values = &record.values;
    assert_eq!(record.collection_id, "pbc_posts");
    assert_eq!(record.collection_name, "posts");
    assert_eq!(record.id().len(), 15);
    assert!(record
        .id()
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
    assert_eq!(values["views"], json!(0));
    assert_eq!(values["active"], json!(false));
    assert_eq!(values["when"], json!(""));
    assert_eq!(values["status"], json!(""));
    assert_eq!(values["tags"], json!([]));
    assert_eq!(values["meta"], json!(null));
    assert_eq!(values["author"], json!(""));
    assert_eq!(values["editors"], json!([]));
    assert_eq!(values["geo"], json!({"lon": 0, "lat": 0}));
    assert_eq!(values["files"], json!([]));
    assert_eq!(values["created"], json!(NOW));
    assert_eq!(values["updated"], json!(NOW));
    assert_eq!(values["touched"], json!(""));
}

#[test]
fn custom_ids_are_checked_against_the_id_field() {
    let posts = posts();
    let record = created(&posts, json!({"id": "abcdefghij12345", "title": "abc"}));
    assert_eq!(record.id(), "abcdefghij12345");
    let error = create_error(&posts, json!({"id": "short", "title": "abc"}), "id");
    assert_eq!(error.code, "validation_min_text_constraint");
    assert_eq!(error.params, Some(json!({"min": 15})));
    let error = create_error(
        &posts,
        json!({"id": "ABCDEFGHIJ12345", "title": "abc"}),
        "id",
    );
    assert_eq!(error.code, "validation_invalid_format");
    assert_eq!(
        created(&posts, json!({"id": "", "title": "abc"}))
            .id()
            .len(),
        15
    );
}

#[test]
fn unknown_and_metadata_keys_are_ignored() {
    let record = created(
        &posts(),
        json!({"title": "abc", "notAField": 1, "collectionId": "x", "collectionName": "y", "expand": {}}),
    );
    assert!(!record.values.contains_key("notAField"));
    assert_eq!(record.collection_id, "pbc_posts");
}

#[test]
fn missing_required_text_is_the_only_error() {
    let errors = create(&posts(), json!({})).unwrap_err();
    assert_eq!(error_keys(&errors), ["title"]);
    assert_eq!(
        errors.get("title"),
        Some(&FieldError::new("validation_required", "Cannot be blank."))
    );
}

#[test]
fn all_failing_fields_are_reported_together() {
    let errors = create(
        &posts(),
        json!({"title": "ab", "views": 1.5, "mail": "nope"}),
    )
    .unwrap_err();
    assert_eq!(error_keys(&errors), ["mail", "title", "views"]);
}

#[test]
fn text_coerces_numbers_and_checks_lengths_and_pattern() {
    let posts = posts();
    assert_eq!(
        created(&posts, json!({"title": 123})).values["title"],
        json!("123")
    );
    assert_eq!(
        created(&posts, json!({"title": "abc", "slug": true})).values["slug"],
        json!("true")
    );
    let short = create_error(&posts, json!({"title": "ab"}), "title");
    assert_eq!(short.params, Some(json!({"min": 3})));
    let long = create_error(&posts, json!({"title": "a".repeat(21)}), "title");
    assert_eq!(long.code, "validation_max_text_constraint");
    assert_eq!(long.params, Some(json!({"max": 20})));
    assert_eq!(
        code(&posts, json!({"title": "Upper Case"}), "title"),
        "validation_invalid_format"
    );
}

#[test]
fn numbers_coerce_and_check_only_int_min_and_max() {
    let posts = posts();
    let record = created(
        &posts,
        json!({"title": "abc", "views": "12", "score": 2.75}),
    );
    assert_eq!(record.values["views"], json!(12));
    assert_eq!(record.values["score"], json!(2.75));
    assert_eq!(
        created(&posts, json!({"title": "abc", "score": "abc"})).values["score"],
        json!(0)
    );
    let max = create_error(&posts, json!({"title": "abc", "views": 1001}), "views");
    assert_eq!(max.code, "validation_max_number_constraint");
    assert_eq!(max.params, Some(json!({"max": 1000})));
    assert_eq!(max.message, "Must be less or equal than 1000.");
    let min = create_error(&posts, json!({"title": "abc", "views": -1}), "views");
    assert_eq!(min.code, "validation_min_number_constraint");
    assert_eq!(min.params, Some(json!({"min": 0})));
    let too_big = create_error(&posts, json!({"title": "abc", "views": 3.8e30}), "views");
    assert_eq!(too_big.code, "validation_only_int_constraint");
    let only_int = create_error(&posts, json!({"title": "abc", "views": 1.5}), "views");
    assert_eq!(
        only_int,
        FieldError::new(
            "validation_only_int_constraint",
            "Decimal numbers are not allowed."
        )
    );
    assert_eq!(
        code(&posts, json!({"title": "abc", "score": "NaN"}), "score"),
        "validation_not_a_number"
    );
}

#[test]
fn zero_is_exempt_from_number_min() {
    let collection =
        collection(json!({"name": "n", "fields": [{"name": "n", "type": "number", "min": 2}]}));
    assert!(create(&collection, json!({"n": 0})).is_ok());
    let error = create_error(&collection, json!({"n": 1}), "n");
    assert_eq!(error.message, "Must be greater or equal than 2.");
    assert_eq!(error.params, Some(json!({"min": 2})));
}

#[test]
fn bools_coerce_like_the_server() {
    let posts = posts();
    for (input, expected) in [
        (json!(true), true),
        (json!("true"), true),
        (json!(1), true),
        (json!("1"), true),
        (json!(false), false),
        (json!("maybe"), false),
    ] {
        let record = created(&posts, json!({"title": "abc", "active": input}));
        assert_eq!(record.values["active"], json!(expected), "{input}");
    }
}

#[test]
fn required_bool_must_be_true() {
    let collection = collection(
        json!({"name": "b", "fields": [{"name": "ok", "type": "bool", "required": true}]}),
    );
    assert_eq!(
        code(&collection, json!({"ok": false}), "ok"),
        "validation_required"
    );
}

#[test]
fn emails_are_checked_for_format_and_domains() {
    let posts = posts();
    let error = create_error(
        &posts,
        json!({"title": "abc", "mail": "not-an-email"}),
        "mail",
    );
    assert_eq!(
        error,
        FieldError::new("validation_is_email", "Must be a valid email address.")
    );
    let error = create_error(
        &posts,
        json!({"title": "abc", "contact": "x@other.org"}),
        "contact",
    );
    assert_eq!(
        error,
        FieldError::new(
            "validation_email_domain_not_allowed",
            "Email domain is not allowed."
        )
    );
    assert_eq!(
        code(&posts, json!({"title": "abc", "mail": "x@bad.com"}), "mail"),
        "validation_email_domain_not_allowed"
    );
    assert!(create(&posts, json!({"title": "abc", "contact": "x@example.com"})).is_ok());
}

#[test]
fn urls_are_checked_for_format_and_domains() {
    let posts = posts();
    let error = create_error(&posts, json!({"title": "abc", "site": "not a url"}), "site");
    assert_eq!(
        error,
        FieldError::new("validation_invalid_url", "Must be a valid url.")
    );
    let error = create_error(
        &posts,
        json!({"title": "abc", "site": "https://other.com/x"}),
        "site",
    );
    assert_eq!(
        error,
        FieldError::new(
            "validation_url_domain_not_allowed",
            "Url domain is not allowed."
        )
    );
    assert_eq!(
        code(
            &posts,
            json!({"title": "abc", "site": "example.com"}),
            "site"
        ),
        "validation_url_domain_not_allowed"
    );
    let record = created(
        &posts,
        json!({"title": "abc", "site": "https://example.com/x?y=1"}),
    );
    assert_eq!(record.values["site"], json!("https://example.com/x?y=1"));
}

#[test]
fn dates_are_normalised_and_bounded() {
    let posts = posts();
    let record = created(
        &posts,
        json!({"title": "abc", "when": "2024-01-02T03:04:05Z"}),
    );
    assert_eq!(record.values["when"], json!("2024-01-02 03:04:05.000Z"));
    assert_eq!(
        created(&posts, json!({"title": "abc", "when": "garbage"})).values["when"],
        json!("")
    );
    assert_eq!(
        created(&posts, json!({"title": "abc", "when": 1700000000})).values["when"],
        json!("")
    );
    let early = create_error(
        &posts,
        json!({"title": "abc", "when": "2019-01-01"}),
        "when",
    );
    assert_eq!(early.code, "validation_min_greater_equal_than_required");
    assert_eq!(
        early.params,
        Some(json!({"threshold": "2020-01-01T00:00:00Z"}))
    );
    let late = create_error(
        &posts,
        json!({"title": "abc", "when": "2031-01-01"}),
        "when",
    );
    assert_eq!(late.code, "validation_max_less_equal_than_required");
    assert_eq!(
        late.message,
        "Must be no greater than 2030-01-01 00:00:00 +0000 UTC."
    );
}

#[test]
fn selects_take_the_right_shape_and_values() {
    let posts = posts();
    let record = created(
        &posts,
        json!({"title": "abc", "tags": "c", "status": "draft"}),
    );
    assert_eq!(record.values["tags"], json!(["c"]));
    assert_eq!(record.values["status"], json!("draft"));
    let record = created(
        &posts,
        json!({"title": "abc", "status": ["draft", "published"], "tags": ["a", "a", "b"]}),
    );
    assert_eq!(record.values["status"], json!("published"));
    assert_eq!(record.values["tags"], json!(["a", "b"]));
    let invalid = create_error(
        &posts,
        json!({"title": "abc", "status": "archived"}),
        "status",
    );
    assert_eq!(invalid.code, "validation_invalid_value");
    assert_eq!(invalid.params, Some(json!({"value": "archived"})));
    assert_eq!(invalid.message, "Invalid value archived.");
    assert_eq!(
        code(&posts, json!({"title": "abc", "tags": ["a", "z"]}), "tags"),
        "validation_invalid_value"
    );
    let too_many = create_error(
        &posts,
        json!({"title": "abc", "tags": ["a", "b", "c", "d"]}),
        "tags",
    );
    assert_eq!(too_many.code, "validation_too_many_values");
    assert_eq!(too_many.params, Some(json!({"maxSelect": 3})));
    assert_eq!(too_many.message, "Select no more than 3.");
}

#[test]
fn relations_are_shaped_counted_and_handed_back_for_lookup() {
    let posts = posts();
    let prepared = create(
        &posts,
        json!({"title": "abc", "author": "u1", "editors": ["u1", "u2"]}),
    )
    .unwrap();
    assert_eq!(prepared.record.values["author"], json!("u1"));
    assert_eq!(prepared.record.values["editors"], json!(["u1", "u2"]));
    assert_eq!(
        prepared.relation_checks,
        vec![
            RelationCheck {
                field: "author".into(),
                collection_id: "pbc_users".into(),
                ids: vec!["u1".into()]
            },
            RelationCheck {
                field: "editors".into(),
                collection_id: "pbc_users".into(),
                ids: vec!["u1".into(), "u2".into()]
            },
        ]
    );
    let too_many = create_error(
        &posts,
        json!({"title": "abc", "editors": ["a", "b", "c", "d"]}),
        "editors",
    );
    assert_eq!(too_many.code, "validation_too_many_values");
    assert_eq!(too_many.params, Some(json!({"maxSelect": 3})));
    let too_few = create_error(&posts, json!({"title": "abc", "editors": "a"}), "editors");
    assert_eq!(too_few.code, "validation_not_enough_values");
    assert_eq!(too_few.params, Some(json!({"minSelect": 2})));
    assert_eq!(too_few.message, "Select at least 2.");
}

#[test]
fn unchanged_relations_are_not_looked_up_again() {
    let posts = posts();
    let stored = created(
        &posts,
        json!({"title": "abc", "author": "u1", "editors": ["u1", "u2"]}),
    );
    let prepared = update_as(
        &guest(),
        &posts,
        &stored,
        json!({"author": "u1", "editors+": "u3"}),
    )
    .unwrap();
    assert_eq!(prepared.relation_checks.len(), 1);
    assert_eq!(prepared.relation_checks[0].field, "editors");
    assert_eq!(prepared.relation_checks[0].ids, ["u1", "u2", "u3"]);
}

#[test]
fn json_values_parse_strings_and_respect_max_size() {
    let posts = posts();
    let value = |input: Value| {
        created(&posts, json!({"title": "abc", "meta": input})).values["meta"].clone()
    };
    assert_eq!(
        value(json!({"a": [1, 2, {"b": null}]})),
        json!({"a": [1, 2, {"b": null}]})
    );
    assert_eq!(value(json!("[1,2]")), json!([1, 2]));
    assert_eq!(value(json!("{bad")), json!("{bad"));
    assert_eq!(value(json!("")), json!(""));
    assert_eq!(value(json!(null)), json!(null));
    let error = create_error(
        &posts,
        json!({"title": "abc", "small": {"aaaaaaaaaa": "bbbbbbbbbbbb"}}),
        "small",
    );
    assert_eq!(error.code, "validation_json_size_limit");
    assert_eq!(error.params, Some(json!({"maxSize": 20})));
    assert_eq!(error.message, "The maximum allowed JSON size is 20 bytes.");
}

#[test]
fn required_json_treats_empty_containers_as_blank() {
    let collection = collection(
        json!({"name": "j", "fields": [{"name": "j", "type": "json", "required": true}]}),
    );
    for blank in [json!({}), json!([]), json!(""), json!(null)] {
        assert_eq!(
            code(&collection, json!({"j": blank}), "j"),
            "validation_required"
        );
    }
    assert!(create(&collection, json!({"j": 0})).is_ok());
}

#[test]
fn editor_size_is_limited_in_bytes() {
    let error = create_error(
        &posts(),
        json!({"title": "abc", "body": "12345678901"}),
        "body",
    );
    assert_eq!(error.code, "validation_content_size_limit");
    assert_eq!(error.params, Some(json!({"maxSize": 10})));
}

#[test]
fn geo_points_are_range_checked_latitude_first() {
    let posts = posts();
    let lon = create_error(
        &posts,
        json!({"title": "abc", "geo": {"lon": 181, "lat": 0}}),
        "geo",
    );
    assert_eq!(
        lon,
        FieldError::new(
            "validation_invalid_longitude",
            "Longitude must be between -180 and 180 degrees."
        )
    );
    assert_eq!(
        code(
            &posts,
            json!({"title": "abc", "geo": {"lon": 200, "lat": 91}}),
            "geo"
        ),
        "validation_invalid_latitude"
    );
    let record = created(
        &posts,
        json!({"title": "abc", "geo": {"lon": 1.5, "lat": 2.5}}),
    );
    assert_eq!(record.values["geo"], json!({"lon": 1.5, "lat": 2.5}));
}

#[test]
fn password_fields_store_only_hashes() {
    let posts = posts();
    let record = created(&posts, json!({"title": "abc", "pin": "1234"}));
    assert_eq!(record.values["pin"], json!("hash:1234"));
    let error = create_error(&posts, json!({"title": "abc", "pin": "12"}), "pin");
    assert_eq!(
        error,
        FieldError::new(
            "validation_min_text_constraint",
            "Must be at least 3 character(s)."
        )
    );
}

#[test]
fn files_may_only_name_files_the_record_has() {
    let posts = posts();
    let error = create_error(
        &posts,
        json!({"title": "abc", "files": ["x.txt", "y.txt"]}),
        "files",
    );
    assert_eq!(error.code, "validation_invalid_file");
    assert_eq!(
        error.params,
        Some(json!({"invalidFiles": ["x.txt", "y.txt"]}))
    );
    assert_eq!(error.message, "Invalid new files: [x.txt y.txt].");

    let mut stored = created(&posts, json!({"title": "abc"}));
    stored.set("files", json!(["a.txt", "b.txt"]));
    let kept = update_as(&guest(), &posts, &stored, json!({"files": ["b.txt"]})).unwrap();
    assert_eq!(kept.record.values["files"], json!(["b.txt"]));
    let removed = update_as(&guest(), &posts, &stored, json!({"files-": "a.txt"})).unwrap();
    assert_eq!(removed.record.values["files"], json!(["b.txt"]));
    let cleared = update_as(&guest(), &posts, &stored, json!({"files": null})).unwrap();
    assert_eq!(cleared.record.values["files"], json!([]));
}

#[test]
fn number_modifiers_apply_to_the_stored_value_and_are_validated() {
    let posts = posts();
    let stored = created(&posts, json!({"title": "abc", "views": 10}));
    let added = update_as(&guest(), &posts, &stored, json!({"views+": 5}))
        .unwrap()
        .record;
    assert_eq!(added.values["views"], json!(15));
    let subtracted = update_as(&guest(), &posts, &added, json!({"views-": 3}))
        .unwrap()
        .record;
    assert_eq!(subtracted.values["views"], json!(12));
    let ignored = update_as(&guest(), &posts, &added, json!({"views+": "abc"}))
        .unwrap()
        .record;
    assert_eq!(ignored.values["views"], json!(15));
    let errors = update_as(&guest(), &posts, &added, json!({"views-": 20})).unwrap_err();
    assert_eq!(
        errors.get("views").unwrap().code,
        "validation_min_number_constraint"
    );
}

#[test]
fn list_modifiers_append_prepend_and_remove() {
    let posts = posts();
    let stored = created(&posts, json!({"title": "abc", "tags": ["b"]}));
    let appended = update_as(&guest(), &posts, &stored, json!({"tags+": "c"}))
        .unwrap()
        .record;
    assert_eq!(appended.values["tags"], json!(["b", "c"]));
    let prepended = update_as(&guest(), &posts, &appended, json!({"+tags": "a"}))
        .unwrap()
        .record;
    assert_eq!(prepended.values["tags"], json!(["a", "b", "c"]));
    let removed = update_as(&guest(), &posts, &prepended, json!({"tags-": ["b", "c"]}))
        .unwrap()
        .record;
    assert_eq!(removed.values["tags"], json!(["a"]));
    let errors = update_as(&guest(), &posts, &prepended, json!({"tags+": "d"})).unwrap_err();
    assert_eq!(
        errors.get("tags").unwrap().code,
        "validation_too_many_values"
    );
}

#[test]
fn modifiers_work_on_create_after_plain_keys() {
    let posts = posts();
    let record = created(
        &posts,
        json!({"tags+": ["a", "b"], "title": "abc", "tags": ["c"], "views+": 5, "views": 3}),
    );
    assert_eq!(record.values["tags"], json!(["c", "a", "b"]));
    assert_eq!(record.values["views"], json!(8));
    let error = create_error(&posts, json!({"title": "abc", "views-": 1}), "views");
    assert_eq!(error.code, "validation_min_number_constraint");
    let record = created(&posts, json!({"title": "abc", "status+": "draft"}));
    assert_eq!(record.values["status"], json!("draft"));
}

#[test]
fn client_autodates_are_ignored_even_for_superusers() {
    let posts = posts();
    let input = json!({"title": "abc", "created": "2000-01-01 00:00:00.000Z", "touched": "2000-01-01 00:00:00.000Z"});
    let record = prepare_create(&posts, &body(input.clone()), &superuser(), NOW)
        .unwrap()
        .record;
    assert_eq!(record.values["created"], json!(NOW));
    assert_eq!(record.values["touched"], json!(""));
    let updated = update_as(&superuser(), &posts, &record, input)
        .unwrap()
        .record;
    assert_eq!(updated.values["created"], json!(NOW));
    assert_eq!(updated.values["updated"], json!(LATER));
    assert_eq!(updated.values["touched"], json!(LATER));
}

#[test]
fn hidden_fields_are_writable_only_by_superusers() {
    let posts = posts();
    assert_eq!(
        created(&posts, json!({"title": "abc", "secret": "x"})).values["secret"],
        json!("")
    );
    let record = prepare_create(
        &posts,
        &body(json!({"title": "abc", "secret": "x"})),
        &superuser(),
        NOW,
    )
    .unwrap()
    .record;
    assert_eq!(record.values["secret"], json!("x"));
    let updated = update_as(&guest(), &posts, &record, json!({"secret": "y"}))
        .unwrap()
        .record;
    assert_eq!(updated.values["secret"], json!("x"));
}

#[test]
fn text_autogeneration_happens_on_create_only() {
    let posts = posts();
    let record = created(&posts, json!({"title": "abc"}));
    let slug = record.values["slug"].as_str().unwrap().to_string();
    assert_eq!(slug.len(), 8);
    let kept = created(&posts, json!({"title": "abc", "slug": "given"}));
    assert_eq!(kept.values["slug"], json!("given"));
    let cleared = update_as(&guest(), &posts, &record, json!({"slug": ""}))
        .unwrap()
        .record;
    assert_eq!(cleared.values["slug"], json!(""));
    let prefixed = created(&posts, json!({"title": "abc", "slug:autogenerate": "pre-"}));
    let prefixed = prefixed.values["slug"].as_str().unwrap();
    assert!(
        prefixed.starts_with("pre-") && prefixed.len() == 12,
        "{prefixed}"
    );
}

#[test]
fn the_id_cannot_change_on_update() {
    let posts = posts();
    let stored = created(&posts, json!({"title": "abc"}));
    let same = update_as(&guest(), &posts, &stored, json!({"id": stored.id()})).unwrap();
    assert_eq!(same.record.id(), stored.id());
    let errors =
        update_as(&guest(), &posts, &stored, json!({"id": "zzzzzzzzzzzzzzz"})).unwrap_err();
    assert_eq!(
        errors.get("id"),
        Some(&FieldError::new(
            "validation_pk_change",
            "The record primary key cannot be changed."
        ))
    );
}

#[test]
fn updates_recheck_every_field() {
    let mut posts = posts();
    let stored = created(&posts, json!({"title": "abc"}));
    if let FieldKind::Number(options) = &mut posts.fields[2].kind {
        options.required = true;
    }
    let errors = update_as(&guest(), &posts, &stored, json!({"title": "abcd"})).unwrap_err();
    assert_eq!(error_keys(&errors), ["views"]);
}

// ---- auth collections ----

fn signup() -> Value {
    json!({"email": "u1@example.com", "password": "longenough1", "passwordConfirm": "longenough1"})
}

fn stored_user() -> Record {
    prepare_create(&users(), &body(signup()), &guest(), NOW)
        .unwrap()
        .record
}

#[test]
fn auth_create_needs_password_and_confirmation() {
    let users = users();
    let errors = create(&users, json!({"email": "u1@example.com"})).unwrap_err();
    assert_eq!(error_keys(&errors), ["password", "passwordConfirm"]);
    assert_eq!(errors.get("password").unwrap().code, "validation_required");
    assert_eq!(
        errors.get("passwordConfirm").unwrap().code,
        "validation_required"
    );
    let errors = create(
        &users,
        json!({"email": "u@example.com", "passwordConfirm": "longenough1"}),
    )
    .unwrap_err();
    assert_eq!(errors.get("password").unwrap().code, "validation_required");
    assert_eq!(
        errors.get("passwordConfirm").unwrap().code,
        "validation_values_mismatch"
    );
}

#[test]
fn auth_form_errors_hide_field_errors() {
    let errors = create(
        &users(),
        json!({"email": "bad", "password": "longenough1", "passwordConfirm": "other"}),
    )
    .unwrap_err();
    assert_eq!(error_keys(&errors), ["passwordConfirm"]);
    assert_eq!(
        errors.get("passwordConfirm"),
        Some(&FieldError::new(
            "validation_values_mismatch",
            "Values don't match."
        ))
    );
    let errors = create(
        &users(),
        json!({"email": "bad", "password": "longenough1", "passwordConfirm": "longenough1"}),
    )
    .unwrap_err();
    assert_eq!(errors.get("email").unwrap().code, "validation_is_email");
}

#[test]
fn auth_password_length_is_reported_without_params() {
    let users = users();
    let short = create_error(
        &users,
        json!({"email": "u@example.com", "password": "short", "passwordConfirm": "short"}),
        "password",
    );
    assert_eq!(
        short,
        FieldError::new(
            "validation_min_text_constraint",
            "Must be at least 8 character(s)."
        )
    );
    let long = "p".repeat(72);
    let error = create_error(
        &users,
        json!({"email": "u@example.com", "password": long, "passwordConfirm": long}),
        "password",
    );
    assert_eq!(
        error,
        FieldError::new(
            "validation_max_text_constraint",
            "Must be less than 71 character(s)."
        )
    );
    assert_eq!(
        code(
            &users,
            json!({"email": "", "password": "longenough1", "passwordConfirm": "longenough1"}),
            "email"
        ),
        "validation_required"
    );
}

#[test]
fn auth_create_hashes_and_generates_the_token_key() {
    let record = stored_user();
    assert_eq!(record.values["password"], json!("hash:longenough1"));
    assert_eq!(record.values["tokenKey"].as_str().unwrap().len(), 50);
    assert_eq!(record.values["verified"], json!(false));
    assert!(!record.values.contains_key("passwordConfirm"));
}

#[test]
fn only_superusers_and_managers_may_create_verified_records() {
    let users = users();
    let mut input = signup();
    input["verified"] = json!(true);
    assert_eq!(
        code(&users, input.clone(), "verified"),
        "validation_values_mismatch"
    );
    for actor in [superuser(), manager()] {
        let record = prepare_create(&users, &body(input.clone()), &actor, NOW)
            .unwrap()
            .record;
        assert_eq!(record.values["verified"], json!(true));
    }
}

#[test]
fn token_keys_are_set_only_by_superusers() {
    let users = users();
    let mut input = signup();
    input["tokenKey"] = json!("abcdefghijabcdefghijabcdefghij12");
    let record = created(&users, input.clone());
    assert_ne!(record.values["tokenKey"], input["tokenKey"]);
    let record = prepare_create(&users, &body(input.clone()), &superuser(), NOW)
        .unwrap()
        .record;
    assert_eq!(record.values["tokenKey"], input["tokenKey"]);
    input["tokenKey"] = json!("abc");
    let errors = prepare_create(&users, &body(input), &superuser(), NOW).unwrap_err();
    assert_eq!(
        errors.get("tokenKey").unwrap().params,
        Some(json!({"min": 30}))
    );
}

#[test]
fn owners_cannot_change_email_or_verified() {
    let users = users();
    let stored = stored_user();
    let errors = update_as(
        &guest(),
        &users,
        &stored,
        json!({"email": "new@example.com"}),
    )
    .unwrap_err();
    assert_eq!(
        errors.get("email").unwrap().code,
        "validation_values_mismatch"
    );
    let errors = update_as(&guest(), &users, &stored, json!({"verified": true})).unwrap_err();
    assert_eq!(
        errors.get("verified").unwrap().code,
        "validation_values_mismatch"
    );
    let same = update_as(
        &guest(),
        &users,
        &stored,
        json!({"email": "u1@example.com", "name": "x"}),
    )
    .unwrap();
    assert_eq!(same.record.values["tokenKey"], stored.values["tokenKey"]);
}

#[test]
fn owners_need_the_old_password_to_change_it() {
    let users = users();
    let stored = stored_user();
    let errors = update_as(
        &guest(),
        &users,
        &stored,
        json!({"password": "newpassword1"}),
    )
    .unwrap_err();
    assert_eq!(error_keys(&errors), ["oldPassword", "passwordConfirm"]);
    let change = json!({"password": "newpassword1", "passwordConfirm": "newpassword1"});
    let errors = update_as(&guest(), &users, &stored, change.clone()).unwrap_err();
    assert_eq!(
        errors.get("oldPassword").unwrap().code,
        "validation_required"
    );
    let mut wrong = change.clone();
    wrong["oldPassword"] = json!("wrong");
    let errors = update_as(&guest(), &users, &stored, wrong).unwrap_err();
    assert_eq!(
        errors.get("oldPassword"),
        Some(&FieldError::new(
            "validation_invalid_old_password",
            "Missing or invalid old password."
        ))
    );
    let mut right = change;
    right["oldPassword"] = json!("longenough1");
    let updated = update_as(&guest(), &users, &stored, right).unwrap().record;
    assert_eq!(updated.values["password"], json!("hash:newpassword1"));
    assert_ne!(updated.values["tokenKey"], stored.values["tokenKey"]);
}

#[test]
fn lone_password_form_keys_are_reported_like_the_server() {
    let users = users();
    let stored = stored_user();
    let errors = update_as(&guest(), &users, &stored, json!({"oldPassword": "wrong"})).unwrap_err();
    assert_eq!(error_keys(&errors), ["password", "passwordConfirm"]);
    let errors = update_as(&guest(), &users, &stored, json!({"passwordConfirm": "x"})).unwrap_err();
    assert_eq!(
        error_keys(&errors),
        ["oldPassword", "password", "passwordConfirm"]
    );
    assert_eq!(
        errors.get("passwordConfirm").unwrap().code,
        "validation_values_mismatch"
    );
    let errors = update_as(&guest(), &users, &stored, json!({"password": ""})).unwrap_err();
    assert_eq!(errors.get("password").unwrap().code, "validation_required");
}

#[test]
fn superusers_and_managers_change_credentials_freely() {
    let users = users();
    let stored = stored_user();
    for actor in [superuser(), manager()] {
        let input = json!({"password": "newpassword1", "passwordConfirm": "newpassword1"});
        let updated = update_as(&actor, &users, &stored, input).unwrap().record;
        assert_eq!(updated.values["password"], json!("hash:newpassword1"));
        let input = json!({"email": "new@example.com", "verified": true});
        let updated = update_as(&actor, &users, &stored, input).unwrap().record;
        assert_eq!(updated.values["email"], json!("new@example.com"));
        assert_ne!(updated.values["tokenKey"], stored.values["tokenKey"]);
    }
    let errors = update_as(
        &superuser(),
        &users,
        &stored,
        json!({"password": "newpassword1"}),
    )
    .unwrap_err();
    assert_eq!(error_keys(&errors), ["passwordConfirm"]);
}

#[test]
fn auth_owners_may_not_write_hidden_fields_but_may_set_their_password() {
    let users = users();
    let stored = stored_user();
    let input = json!({"note": "x", "password": "newpassword1", "passwordConfirm": "newpassword1", "oldPassword": "longenough1"});
    let updated = update_as(&guest(), &users, &stored, input).unwrap().record;
    assert_eq!(updated.values["note"], json!(""));
    assert_eq!(updated.values["password"], json!("hash:newpassword1"));
}

/// A collection with the file fields of the conformance suite.
fn uploads_collection() -> Collection {
    collection(json!({
        "id": "pbc_files", "name": "files", "type": "base",
        "fields": [
            {"name": "title", "type": "text"},
            {"name": "doc", "type": "file", "maxSelect": 1, "maxSize": 100},
            {"name": "pics", "type": "file", "maxSelect": 3, "mimeTypes": ["image/png", "text/plain"]},
            {"name": "locked", "type": "file", "maxSelect": 2, "hidden": true}
        ]
    }))
}

fn upload(key: &str, stored_name: &str, size: u64, content_type: &str) -> UploadedFile {
    UploadedFile {
        key: key.into(),
        original_name: format!("original {stored_name}"),
        stored_name: stored_name.into(),
        size,
        content_type: content_type.into(),
    }
}

#[test]
fn uploads_become_the_field_value_and_are_listed_for_storing() {
    let files = uploads_collection();
    let uploads = [
        upload("pics", "a_1.png", 10, "image/png"),
        upload("pics", "b_2.txt", 10, "text/plain; charset=utf-8"),
        upload("doc", "d_3.txt", 10, "text/plain; charset=utf-8"),
        upload("nope", "n_4.txt", 10, "text/plain; charset=utf-8"),
    ];
    let prepared = prepare_create_with_files(
        &files,
        &body(json!({"title": "t"})),
        &uploads,
        &guest(),
        NOW,
    )
    .unwrap();
    assert_eq!(
        prepared.record.values["pics"],
        json!(["a_1.png", "b_2.txt"])
    );
    assert_eq!(prepared.record.values["doc"], json!("d_3.txt"));
    assert_eq!(prepared.files.uploads, [0, 1, 2]);
    assert!(prepared.files.removed.is_empty());
}

#[test]
fn a_single_file_field_keeps_the_last_upload() {
    let files = uploads_collection();
    let uploads = [
        upload("doc", "first_1.txt", 10, "text/plain"),
        upload("doc", "second_2.txt", 10, "text/plain"),
    ];
    let prepared = prepare_create_with_files(&files, &Map::new(), &uploads, &guest(), NOW).unwrap();
    assert_eq!(prepared.record.values["doc"], json!("second_2.txt"));
    assert_eq!(prepared.files.uploads, [1]);
}

#[test]
fn upload_errors_use_pocketbase_codes() {
    let files = uploads_collection();
    let create_with = |uploads: &[UploadedFile]| {
        prepare_create_with_files(&files, &Map::new(), uploads, &guest(), NOW).unwrap_err()
    };
    let errors = create_with(&[upload("doc", "big_1.png", 101, "image/png")]);
    let error = errors.get("doc").unwrap();
    assert_eq!(error.code, "validation_file_size_limit");
    assert_eq!(
        error.message,
        "Failed to upload original big_1.png - the maximum allowed file size is 100 bytes."
    );
    assert_eq!(
        error.params,
        Some(json!({"file": "original big_1.png", "maxSize": 100}))
    );
    let errors = create_with(&[upload("pics", "x_1.pdf", 10, "application/pdf")]);
    let error = errors.get("pics").unwrap();
    assert_eq!(error.code, "validation_invalid_mime_type");
    assert_eq!(
        error.message,
        "\"x_1.pdf\" mime type must be one of: image/png, text/plain."
    );
    assert_eq!(error.params, None);
    let many: Vec<UploadedFile> = (0..4)
        .map(|index| upload("pics", &format!("f_{index}.txt"), 1, "text/plain"))
        .collect();
    assert_eq!(
        create_with(&many).get("pics").unwrap().code,
        "validation_too_many_files"
    );
}

#[test]
fn default_max_size_is_five_mebibytes() {
    let files = collection(json!({"id": "pbc_f", "name": "f", "type": "base",
        "fields": [{"name": "any", "type": "file", "maxSelect": 1}]}));
    let fits = [upload(
        "any",
        "a_1.bin",
        5 << 20,
        "application/octet-stream",
    )];
    assert!(prepare_create_with_files(&files, &Map::new(), &fits, &guest(), NOW).is_ok());
    let too_big = [upload(
        "any",
        "a_1.bin",
        (5 << 20) + 1,
        "application/octet-stream",
    )];
    let errors =
        prepare_create_with_files(&files, &Map::new(), &too_big, &guest(), NOW).unwrap_err();
    assert_eq!(
        errors.get("any").unwrap().params.as_ref().unwrap()["maxSize"],
        5 << 20
    );
}

#[test]
fn updates_merge_append_prepend_and_report_removed_files() {
    let files = uploads_collection();
    let mut stored = created(&files, json!({"title": "t"}));
    stored.set("pics", json!(["old_1.png", "old_2.png"]));
    stored.set("doc", json!("doc_1.txt"));
    let update_with = |input: Value, uploads: &[UploadedFile]| {
        prepare_update_with_files(&files, &stored, &body(input), uploads, &guest(), LATER).unwrap()
    };
    // Names sent with the plain key are kept, the rest replaced.
    let merged = update_with(
        json!({"pics": "old_2.png"}),
        &[upload("pics", "new_3.txt", 1, "text/plain")],
    );
    assert_eq!(
        merged.record.values["pics"],
        json!(["old_2.png", "new_3.txt"])
    );
    assert_eq!(merged.files.removed, ["old_1.png"]);
    // Uploads alone replace everything.
    let replaced = update_with(json!({}), &[upload("pics", "only_4.txt", 1, "text/plain")]);
    assert_eq!(replaced.record.values["pics"], json!(["only_4.txt"]));
    assert_eq!(replaced.files.removed, ["old_1.png", "old_2.png"]);
    // `pics+` and `+pics` keep what is there.
    let prepended = update_with(json!({}), &[upload("+pics", "pre_5.txt", 1, "text/plain")]);
    assert_eq!(
        prepended.record.values["pics"],
        json!(["pre_5.txt", "old_1.png", "old_2.png"])
    );
    assert!(prepended.files.removed.is_empty());
    let appended = update_with(json!({}), &[upload("pics+", "app_6.txt", 1, "text/plain")]);
    assert_eq!(
        appended.record.values["pics"],
        json!(["old_1.png", "old_2.png", "app_6.txt"])
    );
    assert_eq!(appended.files.uploads, [0]);
    // Clearing and removing by name report what to delete after the commit.
    let cleared = update_with(json!({"doc": null, "pics-": ["old_1.png"]}), &[]);
    assert_eq!(cleared.record.values["doc"], json!(""));
    assert_eq!(cleared.files.removed, ["doc_1.txt", "old_1.png"]);
    // A file field the writer may not set ignores its uploads.
    let hidden = update_with(json!({}), &[upload("locked", "l_7.txt", 1, "text/plain")]);
    assert_eq!(hidden.record.values["locked"], json!([]));
    assert!(hidden.files.uploads.is_empty());
}
