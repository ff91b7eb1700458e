//! The checks of a collection's field list: duplicates, the fields every collection (and every
//! auth collection) must have, system fields that may not go away, type changes, and each field's
//! own settings (`data.fields.<index>.<option>`).
//!
//! The list-level rules run in PocketBase's order and the first one that fails is the only one
//! reported under `fields`; the per-field settings (the last rule, in [`super::field_settings`])
//! report every field and every option at once.

use serde_json::json;

use crate::collection::Collection;
use crate::error::{FieldError, ValidationErrors};
use crate::field::{Field, FieldKind};
use crate::validate::record::errors;

use super::field_settings::field_settings_errors;
use super::Outcome;

/// Names an auth collection's fields may not take (they are request-only keys).
const RESERVED_AUTH_FIELD_NAMES: [&str; 2] = ["passwordConfirm", "oldPassword"];

/// The checks of `collection.fields` (not run for view collections, whose fields the store infers).
pub(super) fn check_fields(
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Option<Outcome> {
    let fields = &collection.fields;
    duplicated_field(fields)
        .or_else(|| missing_required_fields(collection))
        .or_else(|| removed_or_renamed_system_field(fields, old))
        .or_else(|| changed_field_types(fields, old))
        .or_else(|| reserved_auth_field_names(collection))
        .or_else(|| invalid_field_settings(collection, old, all))
}

fn nested_at(index: usize, key: &str, error: FieldError) -> Outcome {
    let mut inner = ValidationErrors::new();
    inner.add(key, error);
    let mut outer = ValidationErrors::new();
    outer.nest(&index.to_string(), inner);
    Outcome::Nested(outer)
}

/// The first field whose id, or name (case-insensitively), repeats an earlier one.
fn duplicated_field(fields: &[Field]) -> Option<Outcome> {
    for (index, field) in fields.iter().enumerate() {
        let earlier = &fields[..index];
        if earlier.iter().any(|other| other.id == field.id) {
            let error = FieldError::new(
                "validation_duplicated_field_id",
                format!("Duplicated or invalid field id {:?}.", field.id),
            );
            return Some(nested_at(index, "id", error));
        }
        if earlier
            .iter()
            .any(|other| other.name.eq_ignore_ascii_case(&field.name))
        {
            let error = FieldError::new(
                "validation_duplicated_field_name",
                format!("Duplicated or invalid field name {}.", field.name),
            )
            .with_params(json!({ "fieldName": field.name }));
            return Some(nested_at(index, "name", error));
        }
    }
    None
}

/// An empty list, a missing `id` primary key, or a missing or misflagged auth system field.
fn missing_required_fields(collection: &Collection) -> Option<Outcome> {
    let fields = &collection.fields;
    if fields.is_empty() {
        return Some(Outcome::Leaf(errors::required()));
    }
    let has_primary_key = collection.field("id").is_some_and(
        |field| matches!(&field.kind, FieldKind::Text(options) if options.primary_key),
    );
    if !has_primary_key {
        return Some(Outcome::Leaf(FieldError::new(
            "validation_missing_primary_key",
            "Missing or invalid \"id\" PK field.",
        )));
    }
    if !collection.is_auth() {
        return None;
    }
    let requirements = [
        ("password", "password", true),
        ("tokenKey", "text", true),
        ("email", "email", false),
        ("emailVisibility", "bool", false),
        ("verified", "bool", false),
    ];
    requirements
        .into_iter()
        .find_map(|(name, type_name, must_be_hidden)| {
            let Some(field) = collection
                .field(name)
                .filter(|field| field.type_name() == type_name)
            else {
                return Some(Outcome::Leaf(FieldError::new(
                    &format!("validation_missing_{name}_field"),
                    format!("System \"{name}\" field is required."),
                )));
            };
            let error = if must_be_hidden && !(field.hidden && field.system) {
                FieldError::new(
                    "validation_must_be_system_and_hidden",
                    "The field must be marked as \"System\" and \"Hidden\".",
                )
            } else if !field.system {
                FieldError::new(
                    "validation_must_be_system",
                    "The field must be marked as \"System\".",
                )
            } else {
                return None;
            };
            let mut nested = ValidationErrors::new();
            nested.add(name, error);
            Some(Outcome::Nested(nested))
        })
}

fn removed_or_renamed_system_field(fields: &[Field], old: Option<&Collection>) -> Option<Outcome> {
    let old = old?;
    let broken = old
        .fields
        .iter()
        .filter(|old_field| old_field.system)
        .any(|old_field| {
            fields
                .iter()
                .find(|field| field.id == old_field.id)
                .is_none_or(|field| field.name != old_field.name)
        });
    broken.then(|| {
        Outcome::Leaf(FieldError::new(
            "validation_system_field_change",
            "System fields cannot be deleted or renamed.",
        ))
    })
}

fn changed_field_types(fields: &[Field], old: Option<&Collection>) -> Option<Outcome> {
    let old = old?;
    let mut errors = ValidationErrors::new();
    for (index, field) in fields.iter().enumerate() {
        let old_field = old.fields.iter().find(|old_field| old_field.id == field.id);
        if old_field.is_some_and(|old_field| old_field.type_name() != field.type_name()) {
            errors.add(
                &index.to_string(),
                FieldError::new(
                    "validation_field_type_change",
                    "Field type cannot be changed.",
                ),
            );
        }
    }
    (!errors.is_empty()).then_some(Outcome::Nested(errors))
}

fn reserved_auth_field_names(collection: &Collection) -> Option<Outcome> {
    if !collection.is_auth() {
        return None;
    }
    let mut errors = ValidationErrors::new();
    for (index, field) in collection.fields.iter().enumerate() {
        if RESERVED_AUTH_FIELD_NAMES.contains(&field.name.as_str()) {
            let mut inner = ValidationErrors::new();
            inner.add(
                "name",
                FieldError::new(
                    "validation_reserved_field_name",
                    "The field name is reserved and cannot be used.",
                ),
            );
            errors.nest(&index.to_string(), inner);
        }
    }
    (!errors.is_empty()).then_some(Outcome::Nested(errors))
}

fn invalid_field_settings(
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Option<Outcome> {
    let mut errors = ValidationErrors::new();
    for (index, field) in collection.fields.iter().enumerate() {
        errors.nest(
            &index.to_string(),
            field_settings_errors(field, collection, old, all),
        );
    }
    (!errors.is_empty()).then_some(Outcome::Nested(errors))
}
