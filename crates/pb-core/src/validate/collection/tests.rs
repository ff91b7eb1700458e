//! Tests of collection completion and validation, with the keys, codes and params the
//! conformance suite and a PocketBase 0.40.6 server report.

use super::*;
use crate::collection::CollectionType;
use crate::field::{Field, FieldKind};
use serde_json::{json, Value};

const NOW: &str = "2024-05-06 07:08:09.123Z";
const LATER: &str = "2024-05-07 00:00:00.000Z";

fn parse(value: Value) -> Collection {
    Collection::from_json(&value).unwrap()
}

fn completed(value: Value) -> Collection {
    let mut collection = parse(value);
    complete_collection(&mut collection, None, NOW);
    collection
}

/// A new auth collection the way the HTTP layer builds one: the scaffold merged with the body.
fn completed_auth(name: &str, fields: Value) -> Collection {
    let mut value = crate::system::scaffold(CollectionType::Auth);
    value["name"] = json!(name);
    value["fields"] = fields;
    completed(value)
}

/// The system collections plus a `users` auth collection and a `posts` base collection.
fn existing() -> Vec<Collection> {
    let mut all = crate::system::fresh_collections(NOW);
    all.push(completed(json!({"name": "posts", "type": "base", "indexes": ["CREATE INDEX idx_posts_title ON posts (id)"]})));
    all.push(completed(
        json!({"name": "v", "type": "view", "viewQuery": "select id from posts"}),
    ));
    all
}

fn validate_new(value: Value) -> Result<(), ValidationErrors> {
    let collection = completed(value);
    validate_collection(&collection, None, &existing())
}

fn errors_of(value: Value) -> Value {
    validate_new(value).unwrap_err().to_json()
}

fn names(collection: &Collection) -> Vec<&str> {
    collection
        .fields
        .iter()
        .map(|field| field.name.as_str())
        .collect()
}

/// Completes and validates `changed` as an update of `old` (with `old` among the existing ones).
fn validate_update(
    old: &Collection,
    mut changed: Collection,
) -> Result<Collection, ValidationErrors> {
    complete_collection(&mut changed, Some(old), LATER);
    let mut all = existing();
    all.push(old.clone());
    validate_collection(&changed, Some(old), &all).map(|()| changed)
}

fn update_errors(old: &Collection, changed: Collection) -> Value {
    validate_update(old, changed).unwrap_err().to_json()
}

// ---- completion ----

#[test]
fn completion_fills_ids_dates_and_the_id_field() {
    let collection =
        completed(json!({"name": "things", "fields": [{"name": "title", "type": "text"}]}));
    assert_eq!(collection.id, crate::ids::collection_id("base", "things"));
    assert_eq!(collection.created, NOW);
    assert_eq!(collection.updated, NOW);
    assert_eq!(names(&collection), ["id", "title"]);
    assert_eq!(collection.fields[0], Field::primary_id());
    assert_eq!(collection.fields[1].id, "text724990059");
    assert!(validate_collection(&collection, None, &existing()).is_ok());
}

#[test]
fn a_plain_base_collection_gets_only_the_id_field() {
    let collection = completed(json!({"name": "defaults", "type": "base"}));
    assert_eq!(names(&collection), ["id"]);
    assert!(collection.indexes.is_empty());
}

#[test]
fn a_given_id_field_is_forced_to_be_the_primary_key() {
    let collection = completed(json!({"name": "x3", "fields": [{"name": "id", "type": "text"}]}));
    let id = &collection.fields[0];
    assert!(id.system && id.is_primary_key() && id.required());
    assert!(matches!(&id.kind, FieldKind::Text(options) if options.pattern == "^[a-z0-9]+$"));
    assert_eq!(collection.fields.len(), 1);
}

#[test]
fn repeated_field_ids_and_id_less_names_replace_the_earlier_field() {
    let collection = completed(json!({"name": "y7", "fields": [
        {"id": "abc", "name": "a", "type": "text"},
        {"id": "abc", "name": "b", "type": "text"},
        {"name": "c", "type": "text"},
        {"name": "c", "type": "number"}
    ]}));
    assert_eq!(names(&collection), ["id", "b", "c"]);
    assert_eq!(collection.fields[1].id, "abc");
    assert_eq!(collection.fields[2].type_name(), "number");
    assert_eq!(collection.fields[2].id, crate::ids::field_id("text", "c"));
}

#[test]
fn generated_field_ids_get_a_suffix_when_taken() {
    let taken = crate::ids::field_id("text", "title");
    let collection = completed(json!({"name": "s", "fields": [
        {"id": taken, "name": "other", "type": "text"},
        {"name": "title", "type": "text"}
    ]}));
    assert_eq!(collection.fields[2].id, format!("{taken}2"));
}

#[test]
fn auth_completion_appends_system_fields_indexes_and_secrets() {
    let collection = completed_auth("members", json!([{"name": "nick", "type": "text"}]));
    assert_eq!(
        names(&collection),
        [
            "id",
            "nick",
            "password",
            "tokenKey",
            "email",
            "emailVisibility",
            "verified"
        ]
    );
    // The scaffold's indexes (random name suffix, no table) are kept and pointed at the table.
    assert_eq!(collection.indexes.len(), 2);
    assert!(collection
        .indexes
        .iter()
        .all(|sql| sql.contains(" ON `members` (")));
    assert!(index::has_single_column_unique_index(
        &collection.indexes,
        "tokenKey"
    ));
    assert!(index::has_single_column_unique_index(
        &collection.indexes,
        "email"
    ));
    let auth = collection.auth.as_ref().unwrap();
    assert_eq!(auth.auth_token.secret.len(), 50);
    assert_eq!(auth.file_token.secret.len(), 50);
    let password = collection.field("password").unwrap();
    assert!(password.hidden && password.system);
    assert!(validate_collection(&collection, None, &existing()).is_ok());
}

#[test]
fn auth_completion_adds_indexes_named_after_the_collection_id() {
    let mut value = crate::system::scaffold(CollectionType::Auth);
    value["name"] = json!("a1");
    value["indexes"] = json!([]);
    let collection = completed(value);
    let id = crate::ids::collection_id("auth", "a1");
    assert_eq!(collection.id, id);
    assert_eq!(
        collection.indexes,
        [
            format!("CREATE UNIQUE INDEX `idx_tokenKey_{id}` ON `a1` (`tokenKey`)"),
            format!("CREATE UNIQUE INDEX `idx_email_{id}` ON `a1` (`email`) WHERE `email` != ''"),
        ]
    );
}

#[test]
fn auth_system_fields_keep_their_flags() {
    let collection = completed_auth(
        "flags",
        json!([{"name": "password", "type": "password", "hidden": false}, {"name": "email", "type": "email", "hidden": true}]),
    );
    assert!(collection.field("password").unwrap().hidden);
    assert!(!collection.field("email").unwrap().hidden);
    assert_eq!(collection.fields[1].name, "password");
}

#[test]
fn renames_keep_ids_and_retarget_indexes() {
    let old = completed(
        json!({"name": "ren", "fields": [{"name": "t", "type": "text"}],
        "indexes": ["CREATE INDEX idx_t ON ren (t)"]}),
    );
    let mut changed = old.clone();
    changed.name = "ren_new".into();
    changed.id = String::new();
    let updated = validate_update(&old, changed).unwrap();
    assert_eq!(updated.id, old.id);
    assert_eq!(updated.created, NOW);
    assert_eq!(updated.updated, LATER);
    assert_eq!(updated.indexes, ["CREATE INDEX `idx_t` ON `ren_new` (`t`)"]);
}

#[test]
fn id_less_fields_reuse_the_old_id_of_the_same_name_and_type() {
    let old = completed(
        json!({"name": "evolve", "fields": [{"id": "custom1", "name": "title", "type": "text"}]}),
    );
    let changed = parse(json!({"name": "evolve", "fields": [
        {"name": "title", "type": "text"}, {"name": "extra", "type": "bool"}
    ]}));
    let updated = validate_update(&old, changed).unwrap();
    assert_eq!(names(&updated), ["id", "title", "extra"]);
    assert_eq!(updated.fields[1].id, "custom1");
    let retyped = parse(json!({"name": "evolve", "fields": [{"name": "title", "type": "number"}]}));
    let updated = validate_update(&old, retyped).unwrap();
    assert_eq!(
        updated.fields[1].id,
        crate::ids::field_id("number", "title")
    );
}

#[test]
fn views_keep_their_fields() {
    let collection = completed(
        json!({"name": "vw", "type": "view", "viewQuery": "SELECT id FROM posts", "fields": []}),
    );
    assert!(collection.fields.is_empty());
    assert!(validate_collection(&collection, None, &existing()).is_ok());
}

#[test]
fn unchanged_system_collections_stay_valid() {
    let all = crate::system::fresh_collections(NOW);
    for old in &all {
        let mut same = old.clone();
        complete_collection(&mut same, Some(old), LATER);
        assert_eq!(same.fields, old.fields, "{}", old.name);
        assert_eq!(same.indexes, old.indexes, "{}", old.name);
        let result = validate_collection(&same, Some(old), &all);
        assert!(
            result.is_ok(),
            "{}: {:?}",
            old.name,
            result.map_err(|errors| errors.to_json())
        );
    }
}

// ---- names ----

#[test]
fn collection_names_are_required_formatted_and_unique() {
    assert_eq!(
        errors_of(json!({"name": "bad name!"}))["name"],
        json!({"code": "validation_match_invalid", "message": "Must be in a valid format."})
    );
    assert_eq!(
        errors_of(json!({"name": ""}))["name"]["code"],
        "validation_required"
    );
    assert_eq!(
        errors_of(json!({"name": "POSTS"}))["name"],
        json!({"code": "validation_collection_name_exists", "message": "Collection name must be unique (case insensitive)."})
    );
    assert_eq!(
        errors_of(json!({"name": "a_via_b"}))["name"]["code"],
        "validation_found_via"
    );
    assert_eq!(
        errors_of(json!({"name": "n".repeat(256)}))["name"]["params"],
        json!({"min": 1, "max": 255})
    );
    assert_eq!(
        errors_of(json!({"name": "_pb_users_auth_"}))["name"]["code"],
        "validation_collection_name_id_duplicate"
    );
    assert!(validate_new(json!({"name": "_x1"})).is_ok());
}

#[test]
fn a_collection_keeps_its_own_name_on_update() {
    let old = completed(json!({"name": "keep"}));
    assert!(validate_update(&old, old.clone()).is_ok());
}

#[test]
fn new_collection_ids_must_be_free() {
    let errors = errors_of(json!({"id": "_pb_users_auth_", "name": "fresh"}));
    assert_eq!(errors["id"]["code"], "validation_invalid_or_existing_id");
    assert_eq!(
        errors_of(json!({"id": "bad id", "name": "fresh"}))["id"]["code"],
        "validation_match_invalid"
    );
}

// ---- fields ----

#[test]
fn select_without_values_is_reported_at_the_field_position() {
    let errors = errors_of(json!({"name": "s", "fields": [{"name": "s", "type": "select"}]}));
    assert_eq!(
        errors,
        json!({"fields": {"1": {"values": {"code": "validation_required", "message": "Cannot be blank."}}}})
    );
}

#[test]
fn select_max_select_is_bounded_by_the_values() {
    let errors = errors_of(
        json!({"name": "s", "fields": [{"name": "s", "type": "select", "values": ["a"], "maxSelect": 3}]}),
    );
    assert_eq!(
        errors["fields"]["1"]["maxSelect"],
        json!({"code": "validation_max_less_equal_than_required", "message": "Must be no greater than 1.", "params": {"threshold": 1}})
    );
}

#[test]
fn relations_need_an_existing_non_view_target() {
    let missing = errors_of(
        json!({"name": "r", "fields": [{"name": "r", "type": "relation", "collectionId": "missing_coll"}]}),
    );
    assert_eq!(
        missing["fields"]["1"]["collectionId"],
        json!({"code": "validation_field_relation_missing_collection", "message": "The relation collection doesn't exist."})
    );
    let by_name = errors_of(
        json!({"name": "r", "fields": [{"name": "r", "type": "relation", "collectionId": "users"}]}),
    );
    assert_eq!(
        by_name["fields"]["1"]["collectionId"]["code"],
        "validation_field_relation_missing_collection"
    );
    let blank = errors_of(json!({"name": "r", "fields": [{"name": "r", "type": "relation"}]}));
    assert_eq!(
        blank["fields"]["1"]["collectionId"]["code"],
        "validation_required"
    );
    let view_id = crate::ids::collection_id("view", "v");
    let to_view = errors_of(
        json!({"name": "r", "fields": [{"name": "r", "type": "relation", "collectionId": view_id}]}),
    );
    assert_eq!(
        to_view["fields"]["1"]["collectionId"]["code"],
        "validation_relation_field_non_view_base_collection"
    );
    let counts = errors_of(json!({"name": "r", "fields": [
        {"name": "a", "type": "relation", "collectionId": "_pb_users_auth_", "minSelect": 2},
        {"name": "b", "type": "relation", "collectionId": "_pb_users_auth_", "minSelect": 3, "maxSelect": 2}
    ]}));
    assert_eq!(
        counts["fields"]["1"]["maxSelect"]["code"],
        "validation_required"
    );
    assert_eq!(
        counts["fields"]["2"]["maxSelect"],
        json!({"code": "validation_min_greater_equal_than_required", "message": "Must be no less than 3.", "params": {"threshold": 3}})
    );
    assert!(validate_new(json!({"name": "r", "fields": [{"name": "r", "type": "relation", "collectionId": "_pb_users_auth_"}]})).is_ok());
}

#[test]
fn field_names_are_checked_per_position() {
    let errors = errors_of(json!({"name": "f", "fields": [
        {"name": "a b", "type": "text"}, {"name": "expand", "type": "text"}, {"name": "Expand2", "type": "text"}
    ]}));
    assert_eq!(
        errors["fields"]["1"]["name"]["code"],
        "validation_match_invalid"
    );
    assert_eq!(
        errors["fields"]["2"]["name"],
        json!({"code": "validation_not_in_invalid", "message": "Must not be in list."})
    );
    assert!(errors["fields"].get("3").is_none());
}

#[test]
fn duplicated_field_names_stop_the_field_checks() {
    let errors = errors_of(json!({"name": "x2", "fields": [
        {"name": "a", "type": "text"}, {"name": "A", "type": "text"}, {"name": "expand", "type": "text"}
    ]}));
    assert_eq!(
        errors,
        json!({"fields": {"2": {"name": {"code": "validation_duplicated_field_name",
            "message": "Duplicated or invalid field name A.", "params": {"fieldName": "A"}}}}})
    );
}

#[test]
fn number_max_below_min_and_fractional_bounds() {
    let errors = errors_of(json!({"name": "n", "fields": [
        {"name": "n", "type": "number", "min": 10, "max": 5},
        {"name": "m", "type": "number", "min": 1.5, "onlyInt": true}
    ]}));
    assert_eq!(
        errors["fields"]["1"]["max"],
        json!({"code": "validation_min_number_constraint", "message": "Must be greater or equal than 10.", "params": {"min": 10}})
    );
    assert_eq!(
        errors["fields"]["2"]["min"]["code"],
        "validation_only_int_constraint"
    );
}

#[test]
fn text_settings_are_checked() {
    let errors = errors_of(json!({"name": "p", "fields": [
        {"name": "t", "type": "text", "pattern": "(["},
        {"name": "t2", "type": "text", "min": 5, "max": 3},
        {"name": "t3", "type": "text", "autogeneratePattern": "[a-z]{3}", "min": 5},
        {"name": "t4", "type": "text", "autogeneratePattern": "(["},
        {"name": "t5", "type": "text", "autogeneratePattern": "(ab|cd)[0-9]{2}x+"}
    ]}));
    assert_eq!(
        errors["fields"]["1"]["pattern"]["code"],
        "validation_invalid_regex"
    );
    assert_eq!(
        errors["fields"]["2"]["max"],
        json!({"code": "validation_min_greater_equal_than_required", "message": "Must be no less than 5.", "params": {"threshold": 5}})
    );
    assert_eq!(
        errors["fields"]["3"]["autogeneratePattern"]["code"],
        "validation_invalid_autogenerate_pattern_value"
    );
    assert_eq!(
        errors["fields"]["4"]["autogeneratePattern"]["code"],
        "validation_invalid_regex"
    );
    assert!(errors["fields"].get("5").is_none());
}

#[test]
fn primary_key_settings_are_checked() {
    let errors = errors_of(json!({"name": "y6", "fields": [
        {"name": "id", "type": "text", "primaryKey": false},
        {"name": "x", "type": "text", "primaryKey": true}
    ]}));
    assert_eq!(
        errors["fields"]["0"]["primaryKey"]["code"],
        "validation_unsupported_composite_pk"
    );
    assert_eq!(
        errors["fields"]["1"]["primaryKey"]["code"],
        "validation_unsupported_composite_pk"
    );
    assert_eq!(
        errors["fields"]["1"]["name"],
        json!({"code": "validation_in_invalid", "message": "The primary key must be named \"id\"."})
    );
    assert_eq!(
        errors["fields"]["1"]["pattern"]["code"],
        "validation_required"
    );
    assert_eq!(
        errors["fields"]["1"]["required"]["code"],
        "validation_required"
    );
}

#[test]
fn autodates_need_on_create_or_on_update() {
    let errors = errors_of(json!({"name": "d", "fields": [{"name": "d", "type": "autodate"}]}));
    let either = json!({"code": "validation_required", "message": "Either onCreate or onUpdate must be enabled."});
    assert_eq!(errors["fields"]["1"]["onCreate"], either);
    assert_eq!(errors["fields"]["1"]["onUpdate"], either);
}

#[test]
fn domain_and_help_settings_are_checked() {
    let errors = errors_of(json!({"name": "y5", "fields": [
        {"name": "e", "type": "email", "onlyDomains": ["a.com"], "exceptDomains": ["b.com"]},
        {"name": "e2", "type": "url", "onlyDomains": ["not a domain"]},
        {"name": "h", "type": "text", "help": "h".repeat(301)}
    ]}));
    assert_eq!(
        errors["fields"]["1"]["exceptDomains"],
        json!({"code": "validation_empty", "message": "Must be blank."})
    );
    assert_eq!(
        errors["fields"]["1"]["onlyDomains"]["code"],
        "validation_empty"
    );
    assert_eq!(
        errors["fields"]["2"]["onlyDomains"]["0"],
        json!({"code": "validation_is_domain", "message": "Must be a valid domain."})
    );
    assert_eq!(
        errors["fields"]["3"]["help"]["params"],
        json!({"min": 1, "max": 300})
    );
}

#[test]
fn file_and_password_settings_are_checked() {
    let errors = errors_of(json!({"name": "fp", "fields": [
        {"name": "f", "type": "file", "thumbs": ["100x100", "0x0", "big"]},
        {"name": "p", "type": "password", "min": 10, "max": 5, "cost": 40}
    ]}));
    assert_eq!(
        errors["fields"]["1"]["thumbs"]["1"]["code"],
        "validation_not_in_invalid"
    );
    assert_eq!(
        errors["fields"]["1"]["thumbs"]["2"]["code"],
        "validation_match_invalid"
    );
    assert!(errors["fields"]["1"]["thumbs"].get("0").is_none());
    assert_eq!(
        errors["fields"]["2"]["max"]["code"],
        "validation_min_greater_equal_than_required"
    );
    assert_eq!(
        errors["fields"]["2"]["cost"]["params"],
        json!({"threshold": 31})
    );
}

#[test]
fn auth_collections_reserve_form_key_names() {
    let collection = completed_auth("x10", json!([{"name": "passwordConfirm", "type": "text"}]));
    let errors = validate_collection(&collection, None, &existing())
        .unwrap_err()
        .to_json();
    assert_eq!(
        errors["fields"]["1"]["name"],
        json!({"code": "validation_reserved_field_name", "message": "The field name is reserved and cannot be used."})
    );
}

#[test]
fn a_renamed_id_field_is_a_missing_primary_key() {
    let old = completed(json!({"name": "z1"}));
    let mut changed = old.clone();
    changed.fields[0].name = "idx".into();
    assert_eq!(
        update_errors(&old, changed)["fields"],
        json!({"code": "validation_missing_primary_key", "message": "Missing or invalid \"id\" PK field."})
    );
}

#[test]
fn field_types_cannot_change_by_id() {
    let old = completed(json!({"name": "z1", "fields": [{"name": "n", "type": "number"}]}));
    let mut changed = old.clone();
    changed.fields[1].kind = FieldKind::Text(Default::default());
    assert_eq!(
        update_errors(&old, changed)["fields"],
        json!({"1": {"code": "validation_field_type_change", "message": "Field type cannot be changed."}})
    );
}

#[test]
fn system_fields_cannot_be_renamed_or_removed() {
    let old = crate::system::fresh_collections(NOW)
        .into_iter()
        .find(|c| c.name == "_mfas")
        .unwrap();
    let mut renamed = old.clone();
    renamed.fields[1].name = "collectionRef2".into();
    assert_eq!(
        update_errors(&old, renamed)["fields"],
        json!({"code": "validation_system_field_change", "message": "System fields cannot be deleted or renamed."})
    );
    let mut removed = old.clone();
    removed.fields.remove(1);
    assert_eq!(
        update_errors(&old, removed)["fields"]["code"],
        "validation_system_field_change"
    );
}

#[test]
fn removed_auth_system_fields_come_back() {
    let old = completed_auth("back", json!([]));
    let mut changed = old.clone();
    changed.fields.retain(|field| field.name != "verified");
    let updated = validate_update(&old, changed).unwrap();
    assert_eq!(updated.fields.len(), old.fields.len());
    assert_eq!(
        updated.field("verified").unwrap().id,
        old.field("verified").unwrap().id
    );
}

#[test]
fn relation_targets_cannot_change() {
    let old = completed(
        json!({"name": "rc", "fields": [{"name": "r", "type": "relation", "collectionId": "_pb_users_auth_"}]}),
    );
    let mut changed = old.clone();
    if let FieldKind::Relation(options) = &mut changed.fields[1].kind {
        options.collection_id = crate::ids::collection_id("base", "posts");
    }
    assert_eq!(
        update_errors(&old, changed)["fields"]["1"]["collectionId"]["code"],
        "validation_field_relation_change"
    );
}

#[test]
fn self_relations_need_a_saved_collection() {
    let own_id = crate::ids::collection_id("base", "selfrel");
    let body = json!({"name": "selfrel", "fields": [{"name": "p", "type": "relation", "collectionId": own_id}]});
    assert_eq!(
        errors_of(body.clone())["fields"]["1"]["collectionId"]["code"],
        "validation_field_relation_missing_collection"
    );
    let old = completed(json!({"name": "selfrel"}));
    let mut changed = parse(body);
    changed.id = own_id;
    complete_collection(&mut changed, Some(&old), LATER);
    assert!(validate_collection(&changed, Some(&old), &existing()).is_ok());
}

// ---- type, system flag, rules ----

#[test]
fn type_system_flag_and_system_names_cannot_change() {
    let old = completed(json!({"name": "z1"}));
    let mut retyped = old.clone();
    retyped.collection_type = CollectionType::View;
    retyped.view_query = "select id from posts".into();
    assert_eq!(
        update_errors(&old, retyped)["type"],
        json!({"code": "validation_collection_type_change", "message": "Collection type cannot be changed."})
    );
    let mut flagged = old.clone();
    flagged.system = true;
    assert_eq!(
        update_errors(&old, flagged)["system"]["code"],
        "validation_collection_system_flag_change"
    );

    let superusers = crate::system::fresh_collections(NOW)
        .into_iter()
        .find(|c| c.name == "_superusers")
        .unwrap();
    let mut renamed = superusers.clone();
    renamed.name = "_su2".into();
    let mut all = existing();
    all.retain(|collection| collection.id != superusers.id);
    complete_collection(&mut renamed, Some(&superusers), LATER);
    let errors = validate_collection(&renamed, Some(&superusers), &all)
        .unwrap_err()
        .to_json();
    assert_eq!(
        errors["name"],
        json!({"code": "validation_collection_system_name_change", "message": "System collection name cannot be changed."})
    );
}

#[test]
fn system_rules_are_fixed_and_view_write_rules_must_be_null() {
    let mfas = crate::system::fresh_collections(NOW)
        .into_iter()
        .find(|c| c.name == "_mfas")
        .unwrap();
    let mut changed = mfas.clone();
    changed.list_rule = Some(String::new());
    let mut all = existing();
    all.retain(|collection| collection.id != mfas.id);
    complete_collection(&mut changed, Some(&mfas), LATER);
    let errors = validate_collection(&changed, Some(&mfas), &all)
        .unwrap_err()
        .to_json();
    assert_eq!(
        errors["listRule"]["code"],
        "validation_collection_system_rule_change"
    );

    let errors = errors_of(
        json!({"name": "vr", "type": "view", "viewQuery": "select id from posts", "createRule": ""}),
    );
    assert_eq!(
        errors["createRule"],
        json!({"code": "validation_nil", "message": "Must be blank."})
    );
}

// ---- indexes ----

#[test]
fn index_statements_must_parse() {
    let errors = errors_of(json!({"name": "ix", "indexes": ["not an index"]}));
    assert_eq!(
        errors["indexes"],
        json!({"0": {"code": "validation_invalid_index_expression", "message": "Invalid CREATE INDEX expression."}})
    );
}

#[test]
fn index_names_and_definitions_must_be_unique() {
    let errors = errors_of(json!({"name": "x6", "indexes": [
        "CREATE INDEX idx1 ON x6 (id)", "create unique index IF NOT EXISTS `IDX1` on `x6` (`id`)"
    ]}));
    assert_eq!(
        errors["indexes"]["1"]["code"],
        "validation_duplicated_index_name"
    );
    let errors = errors_of(
        json!({"name": "x7", "indexes": ["CREATE INDEX idx1 ON x7 (id)", "CREATE INDEX idx2 ON x7 (id)"]}),
    );
    assert_eq!(
        errors["indexes"]["1"]["code"],
        "validation_duplicated_index_definition"
    );
    let errors =
        errors_of(json!({"name": "x8", "indexes": ["CREATE INDEX idx_posts_title ON x8 (id)"]}));
    assert_eq!(
        errors["indexes"]["0"],
        json!({"code": "validation_existing_index_name", "message": "The index name is already used in posts collection.",
            "params": {"usedTableName": "posts"}})
    );
}

#[test]
fn views_cannot_have_indexes_and_need_a_query() {
    let errors = errors_of(
        json!({"name": "y2", "type": "view", "viewQuery": "select id from posts", "indexes": ["CREATE INDEX i ON y2 (id)"]}),
    );
    assert_eq!(
        errors["indexes"],
        json!({"code": "validation_indexes_not_supported", "message": "View collections don't support indexes."})
    );
    let errors = errors_of(json!({"name": "x8", "type": "view"}));
    assert_eq!(errors["viewQuery"]["code"], "validation_required");
    assert_eq!(errors["fields"]["code"], "validation_required");
}

#[test]
fn unique_indexes_of_system_fields_must_stay() {
    let old = crate::system::fresh_collections(NOW)
        .into_iter()
        .find(|c| c.name == "_externalAuths")
        .unwrap();
    let mut changed = old.clone();
    changed.indexes.clear();
    let mut all = existing();
    all.retain(|collection| collection.id != old.id);
    complete_collection(&mut changed, Some(&old), LATER);
    let errors = validate_collection(&changed, Some(&old), &all)
        .unwrap_err()
        .to_json();
    assert_eq!(
        errors["indexes"]["code"],
        "validation_invalid_unique_system_field_index"
    );
    assert_eq!(
        errors["indexes"]["params"],
        json!({"fieldName": "collectionRef"})
    );
}

#[test]
fn auth_collections_need_their_unique_indexes() {
    let mut collection = completed_auth("noidx", json!([]));
    collection.indexes.clear();
    let errors = validate_collection(&collection, None, &existing())
        .unwrap_err()
        .to_json();
    assert_eq!(
        errors["indexes"],
        json!({"code": "validation_missing_required_unique_index", "message": "Missing required unique index for field \"tokenKey\".",
            "params": {"fieldName": "tokenKey"}})
    );
}

// ---- auth options ----

#[test]
fn identity_fields_must_exist_and_be_unique() {
    let mut value = crate::system::scaffold(CollectionType::Auth);
    value["name"] = json!("x9");
    value["fields"] = json!([{"name": "nick", "type": "text"}]);
    value["passwordAuth"] = json!({"enabled": true, "identityFields": ["nick", "email"]});
    let collection = completed(value.clone());
    let errors = validate_collection(&collection, None, &existing())
        .unwrap_err()
        .to_json();
    assert_eq!(
        errors,
        json!({"passwordAuth": {"identityFields": {"code": "validation_missing_unique_constraint",
            "message": "The field nick doesn't have a UNIQUE constraint.", "params": {"fieldName": "nick"}}}})
    );
    value["passwordAuth"]["identityFields"] = json!(["zz"]);
    let errors = validate_collection(&completed(value.clone()), None, &existing())
        .unwrap_err()
        .to_json();
    assert_eq!(
        errors["passwordAuth"]["identityFields"],
        json!({"code": "validation_missing_field", "message": "Invalid or missing field zz.", "params": {"fieldName": "zz"}})
    );
    value["indexes"] = json!(["CREATE UNIQUE INDEX idx_nick ON x9 (nick)"]);
    value["passwordAuth"]["identityFields"] = json!(["nick", "email"]);
    assert!(validate_collection(&completed(value), None, &existing()).is_ok());
}

#[test]
fn auth_option_values_are_checked() {
    let mut collection = completed_auth("opts", json!([]));
    let auth = collection.auth.as_mut().unwrap();
    auth.auth_token.duration = 0;
    auth.file_token.secret = "short".into();
    auth.verification_template.subject.clear();
    auth.manage_rule = Some(String::new());
    auth.otp.enabled = true;
    auth.otp.length = 2;
    let errors = validate_collection(&collection, None, &existing())
        .unwrap_err()
        .to_json();
    assert_eq!(
        errors["authToken"]["duration"]["code"],
        "validation_required"
    );
    assert_eq!(
        errors["fileToken"]["secret"]["params"],
        json!({"min": 30, "max": 255})
    );
    assert_eq!(
        errors["verificationTemplate"]["subject"]["code"],
        "validation_required"
    );
    assert_eq!(
        errors["manageRule"]["code"],
        "validation_nil_or_not_empty_required"
    );
    assert_eq!(
        errors["otp"]["length"]["code"],
        "validation_min_greater_equal_than_required"
    );
}

#[test]
fn mfa_needs_two_auth_methods() {
    let mut collection = completed_auth("mfa", json!([]));
    let auth = collection.auth.as_mut().unwrap();
    auth.mfa.enabled = true;
    auth.mfa.duration = 600;
    let errors = validate_collection(&collection, None, &existing())
        .unwrap_err()
        .to_json();
    assert_eq!(
        errors["mfa"]["enabled"]["code"],
        "validation_mfa_not_enough_auths"
    );
    collection.auth.as_mut().unwrap().otp.enabled = true;
    assert!(validate_collection(&collection, None, &existing()).is_ok());
}
