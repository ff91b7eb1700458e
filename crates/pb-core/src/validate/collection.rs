//! Collection definitions: completing what a client may leave out, then checking the result
//! with the error keys and codes PocketBase's collections API reports.
//!
//! Why two steps: PocketBase fills in ids, timestamps, the `id` field, the auth system fields and
//! their indexes *before* validating, and error keys refer to the completed definition (the first
//! user field is `fields.1` because `id` sits at 0). Callers therefore run
//! [`complete_collection`] and then [`validate_collection`].
//!
//! Not checked here: API rules (the rule language lives in another crate), view queries (the
//! store runs them and reports `validation_invalid_view_query`), index columns and names of
//! internal tables (SQLite rejects them when the store creates the index or table).

mod auth_options;
mod complete;
mod field_settings;
mod fields;
mod index;

use crate::error::{FieldError, ValidationErrors};
use crate::validate::record::errors;
use crate::Collection;

use self::index::{parse_index, ParsedIndex};

/// Fills in what PocketBase fills in before validating a new or changed collection.
///
/// * id: `old`'s; otherwise, when empty, `pbc_<crc32(type + name)>`; `created` from `old` or
///   `now`; `updated` = `now`.
/// * Base and auth: field ids (`<type><crc32(name)>`, or `old`'s id for a same-named field of the
///   same type); the `id` primary-key field, first when added; for auth collections the missing
///   system fields appended in PocketBase's order, their flags enforced, the `tokenKey` and
///   `email` unique indexes added when missing, and empty token secrets generated; fields that
///   were system fields in `old` stay system fields; every index statement pointed at the
///   collection's table (a rename rewrites them).
/// * View collections keep their fields as given: the store infers them from the query.
pub fn complete_collection(collection: &mut Collection, old: Option<&Collection>, now: &str) {
    complete::complete(collection, old, now);
}

/// Checks a collection definition. `all` is every existing collection (for name clashes and relation targets; on update it contains the old version too).
///
/// Whether `all` includes the old version of an updated collection does not matter: the
/// collection's own id is excluded from clash checks and accepted as a relation target.
///
/// Every top-level key with a problem is reported (`name`, `type`, `fields`, `indexes`,
/// `viewQuery`, auth options …), one error per key, nested for fields and indexes
/// (`fields.1.values`, `indexes.0`) with array positions in the completed lists.
pub fn validate_collection(
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::new();
    add_error(&mut errors, "id", check_id(collection, old, all));
    add_error(&mut errors, "system", check_system_flag(collection, old));
    add_error(&mut errors, "type", check_type(collection, old));
    add_error(&mut errors, "name", check_name(collection, old, all));
    add_outcome(
        &mut errors,
        "fields",
        check_field_list(collection, old, all),
    );
    check_rules(&mut errors, collection, old);
    add_outcome(&mut errors, "indexes", check_indexes(collection, old, all));
    if collection.is_view() && collection.view_query.trim().is_empty() {
        errors.add("viewQuery", errors::required());
    }
    if collection.is_auth() {
        auth_options::check_auth_options(&mut errors, collection, old);
    }
    errors.into_result()
}

/// What a list-level rule reports: one error for the whole key, or errors by position.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Leaf(FieldError),
    Nested(ValidationErrors),
}

fn add_error(errors: &mut ValidationErrors, key: &str, error: Option<FieldError>) {
    if let Some(error) = error {
        errors.add(key, error);
    }
}

fn add_outcome(errors: &mut ValidationErrors, key: &str, outcome: Option<Outcome>) {
    match outcome {
        Some(Outcome::Leaf(error)) => errors.add(key, error),
        Some(Outcome::Nested(nested)) => errors.nest(key, nested),
        None => {}
    }
}

/// Whether `text` is made only of ASCII letters, digits and `_` (Go's `^\w+$`).
fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// `validation_found_via`: names may not contain `_via_`, the back-relation separator.
fn found_via(name: &str) -> Option<FieldError> {
    name.to_ascii_lowercase().contains("_via_").then(|| {
        FieldError::new(
            "validation_found_via",
            "The value cannot contain \"_via_\".",
        )
    })
}

fn system_rule_change() -> FieldError {
    FieldError::new(
        "validation_collection_system_rule_change",
        "System collection API rule cannot be changed.",
    )
}

/// New collections: a free `^\w+$` id of at most 100 characters; updates: the old id.
fn check_id(
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Option<FieldError> {
    let id = collection.id.as_str();
    if let Some(old) = old {
        return (id != old.id).then(errors::values_mismatch);
    }
    if id.is_empty() {
        return Some(errors::required());
    }
    if id.chars().count() > 100 {
        return Some(errors::length_out_of_range(1, 100));
    }
    if !is_identifier(id) {
        return Some(errors::match_invalid());
    }
    all.iter().any(|other| other.id == id).then(|| {
        FieldError::new(
            "validation_invalid_or_existing_id",
            "The model id is invalid or already exists.",
        )
    })
}

fn check_system_flag(collection: &Collection, old: Option<&Collection>) -> Option<FieldError> {
    let old = old?;
    (collection.system != old.system).then(|| {
        FieldError::new(
            "validation_collection_system_flag_change",
            "System collection state cannot be changed.",
        )
    })
}

fn check_type(collection: &Collection, old: Option<&Collection>) -> Option<FieldError> {
    let old = old?;
    (collection.collection_type != old.collection_type).then(|| {
        FieldError::new(
            "validation_collection_type_change",
            "Collection type cannot be changed.",
        )
    })
}

/// Required, at most 255 characters, no `_via_`, `^\w+$`, unchanged for system collections,
/// unique case-insensitively, and not another collection's id.
fn check_name(
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Option<FieldError> {
    let name = collection.name.as_str();
    if name.is_empty() {
        return Some(errors::required());
    }
    if name.chars().count() > 255 {
        return Some(errors::length_out_of_range(1, 255));
    }
    if let Some(error) = found_via(name) {
        return Some(error);
    }
    if !is_identifier(name) {
        return Some(errors::match_invalid());
    }
    if old.is_some_and(|old| old.system && old.name != name) {
        return Some(FieldError::new(
            "validation_collection_system_name_change",
            "System collection name cannot be changed.",
        ));
    }
    let taken = all
        .iter()
        .any(|other| other.id != collection.id && other.name.eq_ignore_ascii_case(name));
    if taken {
        return Some(FieldError::new(
            "validation_collection_name_exists",
            "Collection name must be unique (case insensitive).",
        ));
    }
    all.iter().any(|other| other.id == name).then(|| {
        FieldError::new(
            "validation_collection_name_id_duplicate",
            "The name must not match an existing collection id.",
        )
    })
}

/// Views: only a blank definition (no query, no fields) is reported; the store infers and checks
/// view fields. Other types: the full list checks.
fn check_field_list(
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Option<Outcome> {
    if collection.is_view() {
        let blank = collection.fields.is_empty() && collection.view_query.trim().is_empty();
        return blank.then(|| Outcome::Leaf(errors::required()));
    }
    fields::check_fields(collection, old, all)
}

/// Views cannot have write rules; system collections cannot change their rules.
fn check_rules(errors: &mut ValidationErrors, collection: &Collection, old: Option<&Collection>) {
    let old_system = old.filter(|old| old.system);
    let rules = [
        (
            "listRule",
            &collection.list_rule,
            old_system.map(|old| &old.list_rule),
            false,
        ),
        (
            "viewRule",
            &collection.view_rule,
            old_system.map(|old| &old.view_rule),
            false,
        ),
        (
            "createRule",
            &collection.create_rule,
            old_system.map(|old| &old.create_rule),
            true,
        ),
        (
            "updateRule",
            &collection.update_rule,
            old_system.map(|old| &old.update_rule),
            true,
        ),
        (
            "deleteRule",
            &collection.delete_rule,
            old_system.map(|old| &old.delete_rule),
            true,
        ),
    ];
    for (key, rule, old_rule, is_write_rule) in rules {
        if is_write_rule && collection.is_view() && rule.is_some() {
            errors.add(key, errors::must_be_nil());
        } else if old_rule.is_some_and(|old_rule| old_rule != rule) {
            errors.add(key, system_rule_change());
        }
    }
}

/// Index statements, in PocketBase's order; the first failure is the only one reported.
fn check_indexes(
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Option<Outcome> {
    if collection.is_view() {
        return (!collection.indexes.is_empty()).then(|| {
            Outcome::Leaf(FieldError::new(
                "validation_indexes_not_supported",
                "View collections don't support indexes.",
            ))
        });
    }
    invalid_index_statement(collection, old, all)
        .or_else(|| dropped_system_unique_index(collection, old))
        .or_else(|| missing_auth_unique_index(collection))
}

fn index_error_at(position: usize, error: FieldError) -> Outcome {
    Outcome::Nested(ValidationErrors::single(&position.to_string(), error))
}

fn invalid_index_statement(
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Option<Outcome> {
    let mut names: Vec<String> = Vec::new();
    let mut definitions: Vec<String> = Vec::new();
    for (position, statement) in collection.indexes.iter().enumerate() {
        let Some(index) = parse_index(statement) else {
            return Some(index_error_at(
                position,
                FieldError::new(
                    "validation_invalid_index_expression",
                    "Invalid CREATE INDEX expression.",
                ),
            ));
        };
        let name = index.index_name.to_ascii_lowercase();
        if names.contains(&name) {
            return Some(index_error_at(
                position,
                FieldError::new(
                    "validation_duplicated_index_name",
                    "The index name already exists.",
                ),
            ));
        }
        names.push(name);
        if let Some(used_by) = collection_using_index_name(&index.index_name, collection, old, all)
        {
            return Some(index_error_at(
                position,
                FieldError::new(
                    "validation_existing_index_name",
                    format!("The index name is already used in {used_by} collection."),
                )
                .with_params(serde_json::json!({ "usedTableName": used_by })),
            ));
        }
        let definition = anonymous_definition(&index);
        if definitions.contains(&definition) {
            return Some(index_error_at(
                position,
                FieldError::new(
                    "validation_duplicated_index_definition",
                    "The index definition already exists.",
                ),
            ));
        }
        definitions.push(definition);
    }
    None
}

/// The name of another collection (not this one, before or after a rename) that has an index
/// called `index_name`.
fn collection_using_index_name(
    index_name: &str,
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Option<String> {
    let own_names = [
        Some(collection.name.as_str()),
        old.map(|old| old.name.as_str()),
    ];
    all.iter()
        .filter(|other| other.id != collection.id)
        .filter(|other| {
            !own_names
                .iter()
                .flatten()
                .any(|own| own.eq_ignore_ascii_case(&other.name))
        })
        .find(|other| {
            other
                .indexes
                .iter()
                .filter_map(|statement| parse_index(statement))
                .any(|index| index.index_name.eq_ignore_ascii_case(index_name))
        })
        .map(|other| other.name.clone())
}

/// The statement with its schema, name and table blanked, to compare what two indexes index.
fn anonymous_definition(index: &ParsedIndex) -> String {
    ParsedIndex {
        schema_name: "validator".into(),
        index_name: "validator".into(),
        table_name: "validator".into(),
        ..index.clone()
    }
    .build()
}

/// An update may not drop or alter a unique index that covers one of the old system fields.
fn dropped_system_unique_index(
    collection: &Collection,
    old: Option<&Collection>,
) -> Option<Outcome> {
    let old = old?;
    let new_indexes: Vec<ParsedIndex> = collection
        .indexes
        .iter()
        .filter_map(|sql| parse_index(sql))
        .collect();
    for old_index in old
        .indexes
        .iter()
        .filter_map(|sql| parse_index(sql))
        .filter(|index| index.unique)
    {
        let system_field = old_index.columns.iter().find_map(|column| {
            old.fields
                .iter()
                .find(|field| field.system && field.name.eq_ignore_ascii_case(&column.name))
        });
        let Some(system_field) = system_field else {
            continue;
        };
        let expected = unique_constraint_shape(&old_index, &old_index);
        let kept = new_indexes
            .iter()
            .any(|new_index| unique_constraint_shape(new_index, &old_index) == expected);
        if !kept {
            return Some(Outcome::Leaf(
                FieldError::new(
                    "validation_invalid_unique_system_field_index",
                    format!(
                        "Unique index definition on system fields ({}) is invalid or missing.",
                        system_field.name
                    ),
                )
                .with_params(serde_json::json!({ "fieldName": system_field.name })),
            ));
        }
    }
    None
}

/// What matters for a unique constraint: uniqueness and columns, with names, table, condition,
/// collation and order taken from `reference`/cleared.
fn unique_constraint_shape(index: &ParsedIndex, reference: &ParsedIndex) -> String {
    let columns = index
        .columns
        .iter()
        .map(|column| index::IndexColumn {
            name: column.name.clone(),
            ..index::IndexColumn::default()
        })
        .collect();
    ParsedIndex {
        schema_name: reference.schema_name.clone(),
        index_name: reference.index_name.clone(),
        table_name: reference.table_name.clone(),
        where_clause: reference.where_clause.clone(),
        columns,
        ..index.clone()
    }
    .build()
}

fn missing_auth_unique_index(collection: &Collection) -> Option<Outcome> {
    if !collection.is_auth() {
        return None;
    }
    ["tokenKey", "email"]
        .into_iter()
        .find(|column| !index::has_single_column_unique_index(&collection.indexes, column))
        .map(|column| {
            Outcome::Leaf(
                FieldError::new(
                    "validation_missing_required_unique_index",
                    format!("Missing required unique index for field \"{column}\"."),
                )
                .with_params(serde_json::json!({ "fieldName": column })),
            )
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
