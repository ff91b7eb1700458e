//! The validation errors PocketBase reports, with the exact codes, messages and params a client
//! sees, in one place so record and collection validation cannot drift apart.
//!
//! Messages are written out the way PocketBase 0.40 renders them (first letter upper-case, final
//! period), and the numbers inside them the way Go prints them; both were checked against a real
//! server. Collection validation reuses these constructors, which is why this module is
//! `pub(crate)`.

use chrono::{DateTime, Timelike, Utc};
use serde_json::{json, Value};

use crate::error::FieldError;

/// `validation_required` / "Cannot be blank."
pub(crate) fn required() -> FieldError {
    FieldError::required()
}

/// A custom message for `validation_required` (e.g. the autodate settings).
pub(crate) fn required_with_message(message: &str) -> FieldError {
    FieldError::new("validation_required", message)
}

/// `validation_values_mismatch`: a value that must equal another one does not.
pub(crate) fn values_mismatch() -> FieldError {
    FieldError::new("validation_values_mismatch", "Values don't match.")
}

/// `validation_empty`: the value must be blank (e.g. both onlyDomains and exceptDomains set).
pub(crate) fn must_be_empty() -> FieldError {
    FieldError::new("validation_empty", "Must be blank.")
}

/// `validation_nil`: the value must be null (a view collection's write rules).
pub(crate) fn must_be_nil() -> FieldError {
    FieldError::new("validation_nil", "Must be blank.")
}

/// `validation_match_invalid`: the value does not match a required format.
pub(crate) fn match_invalid() -> FieldError {
    FieldError::new("validation_match_invalid", "Must be in a valid format.")
}

/// `validation_not_in_invalid`: the value is one of the forbidden values.
pub(crate) fn not_in_invalid() -> FieldError {
    FieldError::new("validation_not_in_invalid", "Must not be in list.")
}

/// `validation_in_invalid` with a custom message.
pub(crate) fn in_invalid(message: &str) -> FieldError {
    FieldError::new("validation_in_invalid", message)
}

/// `validation_length_out_of_range` with params `{min, max}`.
pub(crate) fn length_out_of_range(min: u64, max: u64) -> FieldError {
    FieldError::new(
        "validation_length_out_of_range",
        format!("The length must be between {min} and {max}."),
    )
    .with_params(json!({"min": min, "max": max}))
}

/// `validation_min_greater_equal_than_required` with param `{threshold}` (a number).
pub(crate) fn number_below_threshold(threshold: f64) -> FieldError {
    FieldError::new(
        "validation_min_greater_equal_than_required",
        format!("Must be no less than {}.", go_number_text(threshold)),
    )
    .with_params(json!({"threshold": number_value(threshold)}))
}

/// `validation_max_less_equal_than_required` with param `{threshold}` (a number).
pub(crate) fn number_above_threshold(threshold: f64) -> FieldError {
    FieldError::new(
        "validation_max_less_equal_than_required",
        format!("Must be no greater than {}.", go_number_text(threshold)),
    )
    .with_params(json!({"threshold": number_value(threshold)}))
}

/// `validation_min_greater_equal_than_required` for a date before the field's `min`.
pub(crate) fn date_below_threshold(threshold: DateTime<Utc>) -> FieldError {
    FieldError::new(
        "validation_min_greater_equal_than_required",
        format!("Must be no less than {}.", go_time_text(threshold)),
    )
    .with_params(json!({"threshold": rfc3339_nano(threshold)}))
}

/// `validation_max_less_equal_than_required` for a date after the field's `max`.
pub(crate) fn date_above_threshold(threshold: DateTime<Utc>) -> FieldError {
    FieldError::new(
        "validation_max_less_equal_than_required",
        format!("Must be no greater than {}.", go_time_text(threshold)),
    )
    .with_params(json!({"threshold": rfc3339_nano(threshold)}))
}

/// `validation_min_text_constraint` with param `{min}`.
pub(crate) fn text_too_short(min: u64) -> FieldError {
    FieldError::new(
        "validation_min_text_constraint",
        format!("Must be at least {min} character(s)."),
    )
    .with_params(json!({ "min": min }))
}

/// `validation_max_text_constraint` with param `{max}`.
pub(crate) fn text_too_long(max: u64) -> FieldError {
    FieldError::new(
        "validation_max_text_constraint",
        format!("Must be no more than {max} character(s)."),
    )
    .with_params(json!({ "max": max }))
}

/// `validation_invalid_format`: a text or password value does not match the field's pattern.
pub(crate) fn invalid_format() -> FieldError {
    FieldError::new("validation_invalid_format", "Invalid value format.")
}

/// `validation_min_number_constraint` with param `{min}`.
pub(crate) fn number_too_small(min: f64) -> FieldError {
    FieldError::new(
        "validation_min_number_constraint",
        format!("Must be greater or equal than {}.", go_number_text(min)),
    )
    .with_params(json!({"min": number_value(min)}))
}

/// `validation_max_number_constraint` with param `{max}`.
pub(crate) fn number_too_large(max: f64) -> FieldError {
    FieldError::new(
        "validation_max_number_constraint",
        format!("Must be less or equal than {}.", go_number_text(max)),
    )
    .with_params(json!({"max": number_value(max)}))
}

/// `validation_only_int_constraint`.
pub(crate) fn only_int() -> FieldError {
    FieldError::new(
        "validation_only_int_constraint",
        "Decimal numbers are not allowed.",
    )
}

/// `validation_invalid_regex`: a pattern option does not compile.
pub(crate) fn invalid_regex(reason: &str) -> FieldError {
    FieldError::new(
        "validation_invalid_regex",
        format!(
            "Invalid regular expression: {}.",
            reason.trim_end_matches('.')
        ),
    )
}

/// A JSON number for `number`: integral values as integers (`12`, not `12.0`), like Go's
/// encoder prints a float64. Non-finite numbers (never stored) become `0`.
pub(crate) fn number_value(number: f64) -> Value {
    const LARGEST_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;
    if number.fract() == 0.0 && number.abs() < LARGEST_EXACT_INTEGER {
        return Value::from(number as i64);
    }
    serde_json::Number::from_f64(number).map_or_else(|| Value::from(0), Value::Number)
}

/// A float as Go's `%v` prints it inside a message: `2`, `1.5`, `1e+21`.
pub(crate) fn go_number_text(number: f64) -> String {
    let magnitude = number.abs();
    if magnitude != 0.0 && !(1e-4..1e21).contains(&magnitude) {
        let text = format!("{number:e}");
        return match text.split_once('e') {
            Some((mantissa, exponent)) if exponent.starts_with('-') => {
                format!("{mantissa}e-{:0>2}", &exponent[1..])
            }
            Some((mantissa, exponent)) => format!("{mantissa}e+{exponent:0>2}"),
            None => text,
        };
    }
    format!("{number}")
}

/// An instant as Go's `time.Time.String()` prints it: `2020-01-01 00:00:00 +0000 UTC`.
fn go_time_text(instant: DateTime<Utc>) -> String {
    format!(
        "{}{} +0000 UTC",
        instant.format("%Y-%m-%d %H:%M:%S"),
        trimmed_fraction(instant)
    )
}

/// An instant in RFC 3339 with only the fraction digits needed, as Go's JSON encoder prints it.
fn rfc3339_nano(instant: DateTime<Utc>) -> String {
    format!(
        "{}{}Z",
        instant.format("%Y-%m-%dT%H:%M:%S"),
        trimmed_fraction(instant)
    )
}

fn trimmed_fraction(instant: DateTime<Utc>) -> String {
    let nanos = instant.nanosecond() % 1_000_000_000;
    if nanos == 0 {
        return String::new();
    }
    let digits = format!("{nanos:09}");
    format!(".{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_go() {
        assert_eq!(go_number_text(2.0), "2");
        assert_eq!(go_number_text(1.5), "1.5");
        assert_eq!(go_number_text(-3.25), "-3.25");
        assert_eq!(go_number_text(1e21), "1e+21");
        assert_eq!(go_number_text(0.00001), "1e-05");
        assert_eq!(number_value(12.0), json!(12));
        assert_eq!(number_value(2.75), json!(2.75));
    }

    #[test]
    fn date_thresholds_match_the_server() {
        let instant = crate::datetime::parse("2020-01-01 00:00:00.000Z").unwrap();
        let error = date_below_threshold(instant);
        assert_eq!(error.code, "validation_min_greater_equal_than_required");
        assert_eq!(
            error.message,
            "Must be no less than 2020-01-01 00:00:00 +0000 UTC."
        );
        assert_eq!(
            error.params,
            Some(json!({"threshold": "2020-01-01T00:00:00Z"}))
        );
        let with_fraction = crate::datetime::parse("2030-01-01 00:00:00.500Z").unwrap();
        let error = date_above_threshold(with_fraction);
        assert_eq!(
            error.message,
            "Must be no greater than 2030-01-01 00:00:00.5 +0000 UTC."
        );
        assert_eq!(
            error.params,
            Some(json!({"threshold": "2030-01-01T00:00:00.5Z"}))
        );
    }
}
