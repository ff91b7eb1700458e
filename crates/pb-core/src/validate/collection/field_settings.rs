//! The settings of one field (`data.fields.<index>.<option>`): its id, name and help, and the
//! options of its type (a select needs values, a relation an existing target, a number's max
//! may not be below its min, patterns must compile, …). Every failing option is reported.

use crate::collection::Collection;
use crate::error::{FieldError, ValidationErrors};
use crate::field::{
    AutodateOptions, DomainOptions, Field, FieldKind, FileOptions, NumberOptions, PasswordOptions,
    RelationOptions, SelectOptions, TextOptions,
};
use crate::validate::record::errors;
use crate::validate::record::generate::random_string_from_pattern;
use crate::validate::record::{check_text, DEFAULT_PASSWORD_MAX};

use super::is_identifier;

/// Field names that would clash with record JSON keys or SQL words.
const RESERVED_FIELD_NAMES: [&str; 7] = [
    "null",
    "true",
    "false",
    "_rowid_",
    "collectionId",
    "collectionName",
    "expand",
];
/// How many values of an autogenerate pattern are tried against the field's own rules.
const AUTOGENERATE_SAMPLES: usize = 10;
/// The bcrypt cost range a password field accepts (0 means the default).
const PASSWORD_COST_RANGE: std::ops::RangeInclusive<u64> = 4..=31;

/// The settings errors of one field, keyed by option.
pub(super) fn field_settings_errors(
    field: &Field,
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    if let Some(error) = check_field_id(&field.id) {
        errors.add("id", error);
    }
    if let Some(error) = check_field_name(&field.name) {
        errors.add("name", error);
    }
    if let Some(error) = check_help(field_help(field)) {
        errors.add("help", error);
    }
    match &field.kind {
        FieldKind::Text(options) => check_text_settings(&mut errors, field, options, collection),
        FieldKind::Number(options) => check_number_settings(&mut errors, options),
        FieldKind::Email(options) | FieldKind::Url(options) => {
            check_domain_settings(&mut errors, options)
        }
        FieldKind::Select(options) => check_select_settings(&mut errors, options),
        FieldKind::Relation(options) => {
            check_relation_settings(&mut errors, field, options, collection, old, all)
        }
        FieldKind::File(options) => check_file_settings(&mut errors, options),
        FieldKind::Password(options) => check_password_settings(&mut errors, options),
        FieldKind::Autodate(options) => check_autodate_settings(&mut errors, field, options, old),
        FieldKind::Editor(_)
        | FieldKind::Bool(_)
        | FieldKind::Date(_)
        | FieldKind::Json(_)
        | FieldKind::GeoPoint(_) => {}
    }
    errors
}

fn check_field_id(id: &str) -> Option<FieldError> {
    if id.is_empty() {
        return Some(errors::required());
    }
    (id.chars().count() > 100).then(|| errors::length_out_of_range(1, 100))
}

/// A field name: required, 1..100 characters of `[A-Za-z0-9_]`, not reserved, no `_via_`.
pub(super) fn check_field_name(name: &str) -> Option<FieldError> {
    if name.is_empty() {
        return Some(errors::required());
    }
    if name.chars().count() > 100 {
        return Some(errors::length_out_of_range(1, 100));
    }
    if !is_identifier(name) {
        return Some(errors::match_invalid());
    }
    if RESERVED_FIELD_NAMES.contains(&name) {
        return Some(errors::not_in_invalid());
    }
    super::found_via(name)
}

fn field_help(field: &Field) -> &str {
    match &field.kind {
        FieldKind::Text(options) => &options.help,
        FieldKind::Editor(options) => &options.help,
        FieldKind::Number(options) => &options.help,
        FieldKind::Bool(options) => &options.help,
        FieldKind::Email(options) | FieldKind::Url(options) => &options.help,
        FieldKind::Date(options) => &options.help,
        FieldKind::Select(options) => &options.help,
        FieldKind::File(options) => &options.help,
        FieldKind::Relation(options) => &options.help,
        FieldKind::Json(options) => &options.help,
        FieldKind::Password(options) => &options.help,
        FieldKind::GeoPoint(options) => &options.help,
        FieldKind::Autodate(_) => "",
    }
}

fn check_help(help: &str) -> Option<FieldError> {
    (help.chars().count() > 300).then(|| errors::length_out_of_range(1, 300))
}

fn check_text_settings(
    errors: &mut ValidationErrors,
    field: &Field,
    options: &TextOptions,
    collection: &Collection,
) {
    if options.primary_key {
        if field.name != "id" {
            errors.add(
                "name",
                errors::in_invalid("The primary key must be named \"id\"."),
            );
        }
        let primary_keys = collection
            .fields
            .iter()
            .filter(|other| other.is_primary_key())
            .count();
        if primary_keys > 1 {
            errors.add(
                "primaryKey",
                FieldError::new(
                    "validation_unsupported_composite_pk",
                    "Composite PKs are not supported and the collection must have only 1 PK.",
                ),
            );
        }
        if options.pattern.is_empty() {
            errors.add("pattern", errors::required());
        }
        if field.hidden {
            errors.add("hidden", errors::must_be_empty());
        }
        if !options.required {
            errors.add("required", errors::required());
        }
    }
    if options.max != 0 && options.max < options.min {
        errors.add("max", errors::number_below_threshold(options.min as f64));
    }
    if let Some(error) = check_regex(&options.pattern) {
        errors.add("pattern", error);
    }
    if let Some(error) = check_autogenerate_pattern(options) {
        errors.add("autogeneratePattern", error);
    }
}

fn check_regex(pattern: &str) -> Option<FieldError> {
    if pattern.is_empty() {
        return None;
    }
    regex::Regex::new(pattern)
        .err()
        .map(|error| errors::invalid_regex(&first_line(&error.to_string())))
}

fn first_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .rfind(|line| line.starts_with("error:"))
        .map_or_else(
            || text.trim().to_string(),
            |line| line.trim_start_matches("error:").trim().to_string(),
        )
}

/// The pattern must compile, be generatable, and produce values the field itself accepts.
fn check_autogenerate_pattern(options: &TextOptions) -> Option<FieldError> {
    let pattern = &options.autogenerate_pattern;
    if pattern.is_empty() {
        return None;
    }
    if let Some(error) = check_regex(pattern) {
        return Some(error);
    }
    for _ in 0..AUTOGENERATE_SAMPLES {
        let Some(sample) = random_string_from_pattern(pattern) else {
            return Some(FieldError::new(
                "validation_invalid_autogenerate_pattern",
                "The autogenerate pattern is not supported (use literals, classes, groups and quantifiers).",
            ));
        };
        if check_text(options, &sample, options.primary_key).is_some() {
            return Some(FieldError::new(
                "validation_invalid_autogenerate_pattern_value",
                format!("The provided autogenerate pattern could produce invalid field values, ex.: {sample:?}."),
            ));
        }
    }
    None
}

fn check_number_settings(errors: &mut ValidationErrors, options: &NumberOptions) {
    let fractional =
        |bound: Option<f64>| options.only_int && bound.is_some_and(|bound| bound.fract() != 0.0);
    if fractional(options.min) {
        errors.add("min", errors::only_int());
    }
    if fractional(options.max) {
        errors.add("max", errors::only_int());
    } else if let (Some(min), Some(max)) = (options.min, options.max) {
        if max < min {
            errors.add("max", errors::number_too_small(min));
        }
    }
}

fn check_domain_settings(errors: &mut ValidationErrors, options: &DomainOptions) {
    let both = !options.only_domains.is_empty() && !options.except_domains.is_empty();
    for (key, domains) in [
        ("exceptDomains", &options.except_domains),
        ("onlyDomains", &options.only_domains),
    ] {
        if both {
            errors.add(key, errors::must_be_empty());
            continue;
        }
        let mut invalid = ValidationErrors::new();
        for (index, domain) in domains.iter().enumerate() {
            if !is_domain(domain) {
                invalid.add(
                    &index.to_string(),
                    FieldError::new("validation_is_domain", "Must be a valid domain."),
                );
            }
        }
        errors.nest(key, invalid);
    }
}

/// A DNS domain with at least two labels of letters, digits and inner hyphens, ending in a
/// letters-only top-level label.
fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let valid_label = |label: &&str| {
        (1..=63).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
    };
    domain.len() <= 255
        && labels.len() >= 2
        && labels.iter().all(valid_label)
        && labels
            .last()
            .is_some_and(|top| top.bytes().all(|byte| byte.is_ascii_alphabetic()))
}

fn check_select_settings(errors: &mut ValidationErrors, options: &SelectOptions) {
    if options.values.is_empty() {
        errors.add("values", errors::required());
    }
    let largest = options.values.len().max(1) as u64;
    if options.max_select > largest {
        errors.add("maxSelect", errors::number_above_threshold(largest as f64));
    }
}

fn check_relation_settings(
    errors: &mut ValidationErrors,
    field: &Field,
    options: &RelationOptions,
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) {
    if let Some(error) = check_relation_target(field, options, collection, old, all) {
        errors.add("collectionId", error);
    }
    if options.min_select > 0 && options.max_select == 0 {
        errors.add("maxSelect", errors::required());
    } else if options.max_select != 0 && options.max_select < options.min_select {
        errors.add(
            "maxSelect",
            errors::number_below_threshold(options.min_select as f64),
        );
    }
}

/// The target must be given, unchanged on update, an existing collection id (a new collection
/// cannot point at itself yet, a saved one can), and not a view (unless this is a view too).
fn check_relation_target(
    field: &Field,
    options: &RelationOptions,
    collection: &Collection,
    old: Option<&Collection>,
    all: &[Collection],
) -> Option<FieldError> {
    let target_id = options.collection_id.as_str();
    if target_id.is_empty() {
        return Some(errors::required());
    }
    let old_target = old
        .and_then(|old| old.fields.iter().find(|old_field| old_field.id == field.id))
        .and_then(|old_field| match &old_field.kind {
            FieldKind::Relation(old_options) => Some(old_options.collection_id.as_str()),
            _ => None,
        });
    if old_target.is_some_and(|old_target| old_target != target_id) {
        return Some(FieldError::new(
            "validation_field_relation_change",
            "The relation collection cannot be changed.",
        ));
    }
    // On update the collection itself exists, whether or not the caller lists it in `all`.
    let saved_self = old.is_some() && target_id == collection.id;
    let target = all
        .iter()
        .find(|candidate| candidate.id == target_id)
        .or(saved_self.then_some(collection));
    let Some(target) = target else {
        return Some(FieldError::new(
            "validation_field_relation_missing_collection",
            "The relation collection doesn't exist.",
        ));
    };
    (!collection.is_view() && target.is_view()).then(|| {
        FieldError::new(
            "validation_relation_field_non_view_base_collection",
            "Only view collections are allowed to have relations to other views.",
        )
    })
}

fn check_file_settings(errors: &mut ValidationErrors, options: &FileOptions) {
    let mut invalid = ValidationErrors::new();
    for (index, thumb) in options.thumbs.iter().enumerate() {
        let error = if ["0x0", "0x0t", "0x0b", "0x0f"].contains(&thumb.as_str()) {
            Some(errors::not_in_invalid())
        } else if !is_thumb_size(thumb) {
            Some(errors::match_invalid())
        } else {
            None
        };
        if let Some(error) = error {
            invalid.add(&index.to_string(), error);
        }
    }
    errors.nest("thumbs", invalid);
}

/// `WxH` with an optional `t`, `b` or `f` suffix (e.g. `100x100`, `0x50t`).
fn is_thumb_size(thumb: &str) -> bool {
    let size = thumb.strip_suffix(['t', 'b', 'f']).unwrap_or(thumb);
    size.split_once('x').is_some_and(|(width, height)| {
        [width, height]
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit()))
    })
}

fn check_password_settings(errors: &mut ValidationErrors, options: &PasswordOptions) {
    if options.min > DEFAULT_PASSWORD_MAX {
        errors.add(
            "min",
            errors::number_above_threshold(DEFAULT_PASSWORD_MAX as f64),
        );
    }
    if options.max != 0 && options.max < options.min {
        errors.add("max", errors::number_below_threshold(options.min as f64));
    } else if options.max > DEFAULT_PASSWORD_MAX {
        errors.add(
            "max",
            errors::number_above_threshold(DEFAULT_PASSWORD_MAX as f64),
        );
    }
    if options.cost != 0 && options.cost < *PASSWORD_COST_RANGE.start() {
        errors.add(
            "cost",
            errors::number_below_threshold(*PASSWORD_COST_RANGE.start() as f64),
        );
    } else if options.cost > *PASSWORD_COST_RANGE.end() {
        errors.add(
            "cost",
            errors::number_above_threshold(*PASSWORD_COST_RANGE.end() as f64),
        );
    }
    if let Some(error) = check_regex(&options.pattern) {
        errors.add("pattern", error);
    }
}

/// At least one of onCreate/onUpdate; a system autodate keeps its old settings.
fn check_autodate_settings(
    errors: &mut ValidationErrors,
    field: &Field,
    options: &AutodateOptions,
    old: Option<&Collection>,
) {
    let old_options = old
        .and_then(|old| old.fields.iter().find(|old_field| old_field.id == field.id))
        .and_then(|old_field| match &old_field.kind {
            FieldKind::Autodate(old_options) => Some(old_options),
            _ => None,
        });
    let (old_on_create, old_on_update) = old_options
        .map_or((options.on_create, options.on_update), |old| {
            (old.on_create, old.on_update)
        });
    let neither = !options.on_create && !options.on_update;
    let either_message = "Either onCreate or onUpdate must be enabled.";
    for (key, value, old_value) in [
        ("onCreate", options.on_create, old_on_create),
        ("onUpdate", options.on_update, old_on_update),
    ] {
        if field.system && value != old_value {
            errors.add(key, errors::values_mismatch());
        } else if neither {
            errors.add(key, errors::required_with_message(either_message));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_names_follow_the_server_rules() {
        assert_eq!(check_field_name("").unwrap().code, "validation_required");
        assert_eq!(
            check_field_name("a b").unwrap().code,
            "validation_match_invalid"
        );
        assert_eq!(
            check_field_name("ünï").unwrap().code,
            "validation_match_invalid"
        );
        for reserved in [
            "expand",
            "collectionId",
            "collectionName",
            "null",
            "_rowid_",
        ] {
            let error = check_field_name(reserved).unwrap();
            assert_eq!(
                error,
                FieldError::new("validation_not_in_invalid", "Must not be in list.")
            );
        }
        assert_eq!(check_field_name("Expand"), None);
        assert_eq!(
            check_field_name("a_via_b").unwrap().code,
            "validation_found_via"
        );
        let long = check_field_name(&"a".repeat(101)).unwrap();
        assert_eq!(long.params, Some(json!({"min": 1, "max": 100})));
    }

    #[test]
    fn domains_and_thumbs() {
        assert!(is_domain("example.com"));
        assert!(is_domain("sub.ex-ample.co.uk"));
        assert!(!is_domain("not a domain"));
        assert!(!is_domain("localhost"));
        assert!(!is_domain("-a.com"));
        assert!(is_thumb_size("100x100"));
        assert!(is_thumb_size("0x50t"));
        assert!(!is_thumb_size("100"));
        assert!(!is_thumb_size("axb"));
    }
}
