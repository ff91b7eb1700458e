//! The per-type checks of a record's final values: one error per field at most, in the order
//! PocketBase checks (e.g. `required` before lengths, size before `required` for json).
//!
//! Every field is checked on every write, changed or not, as PocketBase does; relation targets and
//! uniqueness are the caller's lookups and are not checked here.

use serde_json::{json, Value};

use crate::error::FieldError;
use crate::field::{
    DateOptions, DomainOptions, EditorOptions, Field, FieldKind, JsonOptions, NumberOptions,
    PasswordOptions, RelationOptions, SelectOptions, TextOptions,
};

use super::coerce::{coordinates_of, json_encoded_size, to_unique_strings};
use super::draft::Draft;
use super::errors;
use super::syntax::{is_email, is_url, url_host};

/// Text fields without a `max` accept this many characters.
const DEFAULT_TEXT_MAX: u64 = 5000;
/// Editor fields without a `maxSize` accept this many bytes (5 MiB).
const DEFAULT_EDITOR_MAX_SIZE: u64 = 5 << 20;
/// JSON fields without a `maxSize` accept this many bytes (1 MiB).
const DEFAULT_JSON_MAX_SIZE: u64 = 1 << 20;
/// Password fields without a `max` accept this many characters (bcrypt's limit).
pub(crate) const DEFAULT_PASSWORD_MAX: u64 = 71;
/// The default pattern of the `id` field; other patterns get the extra primary-key checks.
const DEFAULT_ID_PATTERN: &str = "^[a-z0-9]+$";
/// Characters a custom primary key may not contain (they break file paths and URLs).
const FORBIDDEN_PRIMARY_KEY_CHARACTERS: [&str; 19] = [
    ".", "/", "\\", "|", "\"", "'", "`", "<", ">", ":", "?", "*", "%", "$", "\0", "\t", "\n", "\r",
    " ",
];
/// Windows device names, refused as primary keys in any letter case.
const RESERVED_PRIMARY_KEYS: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// The check of one field of the draft.
pub(super) fn check_field(draft: &Draft<'_>, field: &Field) -> Option<FieldError> {
    let value = draft.value(&field.name);
    let text = value.as_str().unwrap_or("");
    match &field.kind {
        FieldKind::Text(options) if options.primary_key => check_primary_key(draft, options, text),
        FieldKind::Text(options) => check_text(options, text, false),
        FieldKind::Editor(options) => check_editor(options, text),
        FieldKind::Number(options) => check_number(draft, field, options, value),
        FieldKind::Bool(options) => {
            (options.required && value != &Value::Bool(true)).then(errors::required)
        }
        FieldKind::Email(options) => check_email(options, text),
        FieldKind::Url(options) => check_url(options, text),
        FieldKind::Date(options) => check_date(options, text),
        FieldKind::Autodate(_) => None,
        FieldKind::Select(options) => check_select(options, value),
        FieldKind::Relation(options) => check_relation(options, value),
        FieldKind::File(options) => super::files::check_file(draft, &field.name, options, value),
        FieldKind::Json(options) => check_json(options, value),
        FieldKind::Password(options) => check_password(draft, field, options),
        FieldKind::GeoPoint(options) => check_geo_point(options.required, value),
    }
}

/// The record id: it cannot change on update (an unchanged stored id needs no other check).
fn check_primary_key(draft: &Draft<'_>, options: &TextOptions, id: &str) -> Option<FieldError> {
    if let Some(current) = draft.current {
        if current.id() != id {
            return Some(FieldError::new(
                "validation_pk_change",
                "The record primary key cannot be changed.",
            ));
        }
        if !id.is_empty() {
            return None;
        }
    }
    check_text(options, id, true)
}

/// The rules of a text value: required, length in characters, pattern, and for a primary key with a
/// custom pattern the forbidden characters and reserved names. Also used to check the values an
/// `autogeneratePattern` produces.
pub(crate) fn check_text(
    options: &TextOptions,
    text: &str,
    is_primary_key: bool,
) -> Option<FieldError> {
    if text.is_empty() {
        return (options.required || is_primary_key).then(errors::required);
    }
    let length = text.chars().count() as u64;
    if options.min > 0 && length < options.min {
        return Some(errors::text_too_short(options.min));
    }
    let max = if options.max == 0 {
        DEFAULT_TEXT_MAX
    } else {
        options.max
    };
    if length > max {
        return Some(errors::text_too_long(max));
    }
    if !options.pattern.is_empty() && !matches_pattern(&options.pattern, text) {
        return Some(errors::invalid_format());
    }
    if is_primary_key && options.pattern != DEFAULT_ID_PATTERN {
        return check_custom_primary_key(text);
    }
    None
}

fn check_custom_primary_key(id: &str) -> Option<FieldError> {
    if let Some(character) = FORBIDDEN_PRIMARY_KEY_CHARACTERS
        .iter()
        .find(|character| id.contains(**character))
    {
        return Some(
            FieldError::new(
                "validation_forbidden_pk_character",
                format!("'{character}' is not a valid primary key character."),
            )
            .with_params(json!({ "ch": character })),
        );
    }
    let reserved = RESERVED_PRIMARY_KEYS
        .iter()
        .find(|reserved| reserved.eq_ignore_ascii_case(id))?;
    Some(
        FieldError::new(
            "validation_reserved_pk",
            format!("The primary key '{reserved}' is reserved and cannot be used."),
        )
        .with_params(json!({ "reserved": reserved })),
    )
}

/// Whether `text` matches a user pattern; a pattern that does not compile matches nothing.
fn matches_pattern(pattern: &str, text: &str) -> bool {
    super::patterns::matches(pattern, text)
}

fn check_editor(options: &EditorOptions, html: &str) -> Option<FieldError> {
    if html.is_empty() {
        return options.required.then(errors::required);
    }
    let max_size = if options.max_size == 0 {
        DEFAULT_EDITOR_MAX_SIZE
    } else {
        options.max_size
    };
    (html.len() as u64 > max_size).then(|| {
        FieldError::new(
            "validation_content_size_limit",
            format!("The maximum allowed content size is {max_size} bytes."),
        )
        .with_params(json!({ "maxSize": max_size }))
    })
}

/// Numbers: 0 only fails `required` (min/max do not apply to it), then onlyInt, min, max.
fn check_number(
    draft: &Draft<'_>,
    field: &Field,
    options: &NumberOptions,
    value: &Value,
) -> Option<FieldError> {
    if draft.non_finite_numbers.contains(&field.name) {
        return Some(FieldError::new(
            "validation_not_a_number",
            "The submitted number is not properly formatted.",
        ));
    }
    let number = value.as_f64().unwrap_or(0.0);
    if number == 0.0 {
        return options.required.then(errors::required);
    }
    if options.only_int && !is_int64(number) {
        return Some(errors::only_int());
    }
    if let Some(min) = options.min.filter(|min| number < *min) {
        return Some(errors::number_too_small(min));
    }
    options
        .max
        .filter(|max| number > *max)
        .map(errors::number_too_large)
}

/// Whether `number` is a whole number a 64-bit integer holds, which is what PocketBase's
/// `onlyInt` accepts (`3.8e30` is whole but is refused like a decimal).
fn is_int64(number: f64) -> bool {
    /// 2^63: the first whole number past `i64::MAX`.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    number.fract() == 0.0 && (-LIMIT..LIMIT).contains(&number)
}

fn check_email(options: &DomainOptions, email: &str) -> Option<FieldError> {
    if email.is_empty() {
        return options.required.then(errors::required);
    }
    if !is_email(email) {
        return Some(FieldError::new(
            "validation_is_email",
            "Must be a valid email address.",
        ));
    }
    let domain = email.rsplit_once('@').map_or("", |(_, domain)| domain);
    (!domain_allowed(options, domain)).then(|| {
        FieldError::new(
            "validation_email_domain_not_allowed",
            "Email domain is not allowed.",
        )
    })
}

fn domain_allowed(options: &DomainOptions, domain: &str) -> bool {
    let listed = |domains: &[String]| domains.iter().any(|allowed| allowed == domain);
    if !options.only_domains.is_empty() && !listed(&options.only_domains) {
        return false;
    }
    options.except_domains.is_empty() || !listed(&options.except_domains)
}

fn check_url(options: &DomainOptions, url: &str) -> Option<FieldError> {
    if url.is_empty() {
        return options.required.then(errors::required);
    }
    if !is_url(url) {
        return Some(FieldError::new(
            "validation_invalid_url",
            "Must be a valid url.",
        ));
    }
    (!domain_allowed(options, url_host(url))).then(|| {
        FieldError::new(
            "validation_url_domain_not_allowed",
            "Url domain is not allowed.",
        )
    })
}

fn check_date(options: &DateOptions, date: &str) -> Option<FieldError> {
    let Some(instant) = crate::datetime::parse(date) else {
        return options.required.then(errors::required);
    };
    if let Some(min) = crate::datetime::parse(&options.min).filter(|min| instant < *min) {
        return Some(errors::date_below_threshold(min));
    }
    crate::datetime::parse(&options.max)
        .filter(|max| instant > *max)
        .map(errors::date_above_threshold)
}

fn too_many_values(max_select: u64) -> FieldError {
    FieldError::new(
        "validation_too_many_values",
        format!("Select no more than {max_select}."),
    )
    .with_params(json!({ "maxSelect": max_select }))
}

fn check_select(options: &SelectOptions, value: &Value) -> Option<FieldError> {
    let items = to_unique_strings(value);
    if items.is_empty() {
        return options.required.then(errors::required);
    }
    let max_select = options.max_select.max(1);
    if items.len() as u64 > max_select {
        return Some(too_many_values(max_select));
    }
    let invalid = items.iter().find(|item| !options.values.contains(item))?;
    Some(
        FieldError::new(
            "validation_invalid_value",
            format!("Invalid value {invalid}."),
        )
        .with_params(json!({ "value": invalid })),
    )
}

fn check_relation(options: &RelationOptions, value: &Value) -> Option<FieldError> {
    let ids = to_unique_strings(value);
    if ids.is_empty() {
        return options.required.then(errors::required);
    }
    let count = ids.len() as u64;
    if options.min_select > 0 && count < options.min_select {
        return Some(
            FieldError::new(
                "validation_not_enough_values",
                format!("Select at least {}.", options.min_select),
            )
            .with_params(json!({ "minSelect": options.min_select })),
        );
    }
    let max_select = options.max_select.max(1);
    (count > max_select).then(|| too_many_values(max_select))
}

/// JSON: the encoded size first, then `required`, which treats `null`, `""`, `[]` and `{}` as blank.
fn check_json(options: &JsonOptions, value: &Value) -> Option<FieldError> {
    let max_size = if options.max_size == 0 {
        DEFAULT_JSON_MAX_SIZE
    } else {
        options.max_size
    };
    if json_encoded_size(value) > max_size {
        return Some(
            FieldError::new(
                "validation_json_size_limit",
                format!("The maximum allowed JSON size is {max_size} bytes."),
            )
            .with_params(json!({ "maxSize": max_size })),
        );
    }
    let blank = match value {
        Value::Null => true,
        Value::String(text) => text.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(object) => object.is_empty(),
        _ => false,
    };
    (options.required && blank).then(errors::required)
}

/// Passwords: `required` looks at the hash the record will have; length (in characters, without
/// params, as PocketBase reports it) and pattern apply only to a password set by this request.
fn check_password(
    draft: &Draft<'_>,
    field: &Field,
    options: &PasswordOptions,
) -> Option<FieldError> {
    if options.required && !draft.will_have_password_hash(&field.name) {
        return Some(errors::required());
    }
    let plain = draft
        .plain_passwords
        .get(&field.name)
        .map_or("", String::as_str);
    if plain.is_empty() {
        return None;
    }
    let length = plain.chars().count() as u64;
    if length < options.min {
        return Some(FieldError::new(
            "validation_min_text_constraint",
            format!("Must be at least {} character(s).", options.min),
        ));
    }
    let max = if options.max == 0 {
        DEFAULT_PASSWORD_MAX
    } else {
        options.max
    };
    if length > max {
        return Some(FieldError::new(
            "validation_max_text_constraint",
            format!("Must be less than {max} character(s)."),
        ));
    }
    (!options.pattern.is_empty() && !matches_pattern(&options.pattern, plain))
        .then(errors::invalid_format)
}

fn check_geo_point(required: bool, value: &Value) -> Option<FieldError> {
    let (lon, lat) = value
        .as_object()
        .and_then(coordinates_of)
        .unwrap_or((0.0, 0.0));
    if lon == 0.0 && lat == 0.0 {
        return required.then(errors::required);
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Some(FieldError::new(
            "validation_invalid_latitude",
            "Latitude must be between -90 and 90 degrees.",
        ));
    }
    (!(-180.0..=180.0).contains(&lon)).then(|| {
        FieldError::new(
            "validation_invalid_longitude",
            "Longitude must be between -180 and 180 degrees.",
        )
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_rules_in_order() {
        let options = TextOptions {
            required: true,
            min: 3,
            max: 20,
            pattern: "^[a-z0-9 ]+$".into(),
            ..TextOptions::default()
        };
        assert_eq!(
            check_text(&options, "", false).unwrap().code,
            "validation_required"
        );
        let short = check_text(&options, "ab", false).unwrap();
        assert_eq!(short.code, "validation_min_text_constraint");
        assert_eq!(short.params, Some(json!({"min": 3})));
        assert_eq!(short.message, "Must be at least 3 character(s).");
        let long = check_text(&options, &"a".repeat(21), false).unwrap();
        assert_eq!(long.code, "validation_max_text_constraint");
        assert_eq!(long.params, Some(json!({"max": 20})));
        assert_eq!(
            check_text(&options, "Upper", false).unwrap().code,
            "validation_invalid_format"
        );
        assert_eq!(check_text(&options, "ok text", false), None);
    }

    #[test]
    fn text_max_defaults_to_5000_characters() {
        let options = TextOptions::default();
        assert_eq!(check_text(&options, &"é".repeat(5000), false), None);
        let error = check_text(&options, &"é".repeat(5001), false).unwrap();
        assert_eq!(error.params, Some(json!({"max": 5000})));
    }

    #[test]
    fn custom_primary_keys_refuse_path_characters_and_device_names() {
        let options = TextOptions {
            pattern: "^.+$".into(),
            primary_key: true,
            ..TextOptions::default()
        };
        let error = check_text(&options, "a.b", true).unwrap();
        assert_eq!(error.code, "validation_forbidden_pk_character");
        assert_eq!(error.params, Some(json!({"ch": "."})));
        assert_eq!(error.message, "'.' is not a valid primary key character.");
        let error = check_text(&options, "con", true).unwrap();
        assert_eq!(error.code, "validation_reserved_pk");
        assert_eq!(error.params, Some(json!({"reserved": "CON"})));
        assert_eq!(check_text(&options, "ok_id", true), None);
    }
}
