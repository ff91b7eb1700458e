//! Saving a collection definition, shared by create, update and import: JSON → model, filled in
//! and validated like PocketBase does, then stored (the store migrates the table).

use pb_core::json_merge::merge;
use pb_core::ports::StoreTx;
use pb_core::validate::collection::{complete_collection, validate_collection};
use pb_core::{Collection, CollectionType, CoreError, FieldError, StoreError, ValidationErrors};
use serde_json::Value;

use crate::error::ApiError;
use crate::txn::Failure;

/// The collection's JSON with its stored options (secrets included), the base a PATCH merges onto.
pub fn full_json(collection: &Collection) -> Value {
    let mut json = collection.to_api_json();
    merge(&mut json, &collection.options_json());
    json
}

/// Builds the new definition: `body` merged onto the old definition, or onto the scaffold of its
/// type for a new collection, then completed. Errors are answered with `message`.
pub fn build(
    body: &Value,
    old: Option<&Collection>,
    message: &str,
) -> Result<Collection, ApiError> {
    let mut json = match old {
        Some(old) => full_json(old),
        None => {
            let type_name = body.get("type").and_then(Value::as_str).unwrap_or("base");
            let collection_type = CollectionType::parse(type_name).ok_or_else(|| {
                ApiError::validation(
                    message,
                    &ValidationErrors::single(
                        "type",
                        FieldError::new("validation_in_invalid", "Must be a valid value."),
                    ),
                )
            })?;
            pb_core::system::scaffold(collection_type)
        }
    };
    let type_before = json.get("type").cloned();
    let mut body = body.clone();
    if let Some(old_auth) = old.and_then(|old| old.auth.as_ref()) {
        pb_core::oauth2::keep_stored_provider_settings(&mut body, &old_auth.oauth2.providers);
    }
    let body = &body;
    merge(&mut json, body);
    if old.is_some() && json.get("type") != type_before.as_ref() {
        return Err(ApiError::validation(
            message,
            &ValidationErrors::single(
                "type",
                FieldError::new(
                    "validation_collection_type_change",
                    "Collection type cannot be changed.",
                ),
            ),
        ));
    }
    if old.is_none() {
        if let Some(object) = json.as_object_mut() {
            // A new collection takes its id from its name unless the body gives one.
            if body
                .get("id")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                object.insert("id".into(), Value::String(String::new()));
            }
        }
    }
    let mut collection =
        Collection::from_json(&json).map_err(|_| ApiError::bad_request(message))?;
    complete_collection(&mut collection, old, &pb_core::datetime::now());
    pb_core::oauth2::unset_missing_mapped_fields(&mut collection);
    if collection.name == pb_core::system::SUPERUSERS {
        // Superusers never sign in (or up) with OAuth2, as in PocketBase.
        if let Some(auth) = collection.auth.as_mut() {
            auth.oauth2.enabled = false;
            auth.oauth2.providers.clear();
        }
    }
    rotate_auth_secret_on_auth_rule_change(&mut collection, old);
    Ok(collection)
}

/// A changed authRule changes who may hold a session, so every auth token issued under the old
/// rule stops working: the collection gets a new auth token secret (as PocketBase does).
fn rotate_auth_secret_on_auth_rule_change(collection: &mut Collection, old: Option<&Collection>) {
    let old_rule = old
        .and_then(|old| old.auth.as_ref())
        .map(|auth| auth.auth_rule.clone());
    if let (Some(old_rule), Some(auth)) = (old_rule, collection.auth.as_mut()) {
        if auth.auth_rule != old_rule {
            auth.auth_token.secret = pb_core::ids::new_secret();
        }
    }
}

/// A generated id (`pbc_<crc32>`) that is already taken — same name as before a rename, say —
/// gets a numeric suffix, as PocketBase does. Ids given in the body are left to validation.
pub fn make_generated_id_unique(
    collection: &mut Collection,
    body: &Value,
    existing: &[Collection],
) {
    if body
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| !id.is_empty())
    {
        return;
    }
    let base = collection.id.clone();
    let mut suffix = 2;
    while existing.iter().any(|other| other.id == collection.id) {
        collection.id = format!("{base}{suffix}");
        suffix += 1;
    }
}

/// Validates `collection` against `all` (which holds every other collection): its definition,
/// then every rule it carries, compiled against the new schema.
pub fn check(
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Result<(), CoreError> {
    validate_collection(collection, old, all).map_err(CoreError::Validation)?;
    let mut schema: Vec<Collection> = all
        .iter()
        .filter(|other| other.id != collection.id)
        .cloned()
        .collect();
    schema.push(collection.clone());
    if collection.is_view() && collection.fields.is_empty() {
        // A new view's fields are inferred from its query when it is stored; its rules can
        // only be checked against them after that (left for the view-rules follow-up).
        return Ok(());
    }
    let mut errors = ValidationErrors::new();
    for (key, rule) in rules_of(collection) {
        let Some(rule) = rule else { continue };
        if let Err(error) = pb_rules::validate_rule(&rule, collection, &schema) {
            errors.add(
                key,
                FieldError::new(
                    "validation_invalid_rule",
                    format!("Invalid rule. Raw error: {error}."),
                ),
            );
        }
    }
    errors.into_result().map_err(CoreError::Validation)
}

/// A view collection that fails validation still gets its query checked, and a query the
/// database rejects is reported beside the other errors (with `fields` blank, as no field could
/// be inferred), as PocketBase does. The dashboard checks a query this way, with a create that
/// cannot succeed, so nothing is ever stored.
pub fn with_view_query_error(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    error: CoreError,
) -> CoreError {
    let CoreError::Validation(mut errors) = error else {
        return error;
    };
    if collection.is_view()
        && !collection.view_query.trim().is_empty()
        && !errors.contains("viewQuery")
    {
        if let Err(StoreError::InvalidStatement(reason)) =
            tx.infer_view_fields(&collection.view_query)
        {
            errors.add("viewQuery", invalid_view_query(&reason));
            // No fields could be inferred from the query, so PocketBase finds none.
            if !errors.contains("fields") {
                errors.add("fields", FieldError::required());
            }
        }
    }
    CoreError::Validation(errors)
}

pub(super) fn invalid_view_query(reason: &str) -> FieldError {
    FieldError::new(
        "validation_invalid_view_query",
        format!("Invalid query - {reason}."),
    )
}

/// The rules a collection carries, keyed as in its JSON.
fn rules_of(collection: &Collection) -> Vec<(&'static str, Option<String>)> {
    let mut rules = vec![
        ("listRule", collection.list_rule.clone()),
        ("viewRule", collection.view_rule.clone()),
        ("createRule", collection.create_rule.clone()),
        ("updateRule", collection.update_rule.clone()),
        ("deleteRule", collection.delete_rule.clone()),
    ];
    if let Some(auth) = &collection.auth {
        rules.push(("authRule", auth.auth_rule.clone()));
        rules.push(("manageRule", auth.manage_rule.clone()));
    }
    rules
}

/// Stores a new or changed collection, then reads every collection back: the saved one as
/// the store keeps it (a view's inferred fields included) and the whole list for the new schema
/// snapshot.
pub fn store_and_reload(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    old: Option<&Collection>,
) -> Result<(Collection, Vec<Collection>), Failure> {
    store(tx, collection, old)?;
    let all = tx.collections()?;
    let saved = all
        .iter()
        .find(|other| other.id == collection.id)
        .cloned()
        .ok_or_else(ApiError::internal)?;
    Ok((saved, all))
}

/// Stores a new or changed collection inside the caller's transaction.
pub fn store(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    old: Option<&Collection>,
) -> Result<(), Failure> {
    let result = match old {
        Some(old) => tx.update_collection(old, collection),
        None => tx.insert_collection(collection),
    };
    result.map_err(|error| statement_error(collection, error))
}

fn statement_error(collection: &Collection, error: StoreError) -> Failure {
    match error {
        StoreError::InvalidStatement(reason) if collection.is_view() => {
            Failure::Core(CoreError::Validation(ValidationErrors::single(
                "viewQuery",
                invalid_view_query(&reason),
            )))
        }
        StoreError::InvalidStatement(reason) => {
            let mut by_index = ValidationErrors::new();
            by_index.add(
                "0",
                FieldError::new(
                    "validation_invalid_index_expression",
                    format!("Invalid index expression - {reason}."),
                ),
            );
            let mut errors = ValidationErrors::new();
            errors.nest("indexes", by_index);
            Failure::Core(CoreError::Validation(errors))
        }
        StoreError::UniqueViolation { .. } => {
            Failure::Core(CoreError::Validation(ValidationErrors::single(
                "name",
                FieldError::new(
                    "validation_collection_name_exists",
                    "Collection name must be unique (case insensitive).",
                ),
            )))
        }
        other => Failure::Core(CoreError::Store(other)),
    }
}
