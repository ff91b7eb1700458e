//! The errors of the model layer: per-field validation errors in PocketBase's
//! `{code, message, params}` shape, storage errors, and [`CoreError`] which joins them for the
//! operations that run inside a store transaction.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One field's validation failure, e.g. `validation_required` / "Cannot be blank.".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub code: String,
    pub message: String,
    /// Extra facts a client can show (`{"min": 3}`); left out of JSON when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
}

impl FieldError {
    pub fn new(code: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            code: code.to_string(),
            message: message.into(),
            params: None,
        }
    }

    pub fn with_params(mut self, params: Value) -> FieldError {
        self.params = Some(params);
        self
    }

    /// `validation_required` / "Cannot be blank."
    pub fn required() -> FieldError {
        FieldError::new("validation_required", "Cannot be blank.")
    }

    /// `validation_not_unique` / "Value must be unique."
    pub fn not_unique() -> FieldError {
        FieldError::new("validation_not_unique", "Value must be unique.")
    }

    /// The message as the validator wrote it, before PocketBase's API made a sentence of it
    /// (first letter upper-cased, a final `.` added). The request log keeps this raw form:
    /// the generic validators' messages are lower-case without a final period ("cannot be
    /// blank"), and some of PocketBase's own lack the period ("Must be greater or equal than
    /// 3"); the others are stored as sent.
    pub fn raw_message(&self) -> String {
        let lower_case = GENERIC_VALIDATOR_CODES.contains(&self.code.as_str());
        if !lower_case && !UNPUNCTUATED_CODES.contains(&self.code.as_str()) {
            return self.message.clone();
        }
        let text = self.message.strip_suffix('.').unwrap_or(&self.message);
        if !lower_case {
            return text.to_string();
        }
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => first.to_lowercase().chain(chars).collect(),
            None => String::new(),
        }
    }
}

/// Codes of the generic validators PocketBase builds on (and its one lower-case message):
/// their raw messages start lower-case and end without a period.
const GENERIC_VALIDATOR_CODES: &[&str] = &[
    "validation_required",
    "validation_nil_or_not_empty_required",
    "validation_nil",
    "validation_empty",
    "validation_in_invalid",
    "validation_not_in_invalid",
    "validation_match_invalid",
    "validation_length_out_of_range",
    "validation_length_too_long",
    "validation_length_too_short",
    "validation_length_invalid",
    "validation_min_greater_equal_than_required",
    "validation_max_less_equal_than_required",
    "validation_is_email",
    "validation_is_url",
    "validation_is_domain",
    "validation_date_invalid",
    "validation_invlaid_ip_or_subnet",
];

/// PocketBase's own codes whose raw messages end without a period.
const UNPUNCTUATED_CODES: &[&str] = &[
    "validation_content_size_limit",
    "validation_duplicated_field_name",
    "validation_email_domain_not_allowed",
    "validation_invalid_format",
    "validation_invalid_json",
    "validation_invalid_url",
    "validation_invalid_value",
    "validation_json_size_limit",
    "validation_max_number_constraint",
    "validation_min_number_constraint",
    "validation_missing_field",
    "validation_missing_rel_collection",
    "validation_missing_rel_records",
    "validation_not_a_number",
    "validation_not_enough_values",
    "validation_not_unique",
    "validation_only_int_constraint",
    "validation_too_many_files",
    "validation_too_many_values",
    "validation_url_domain_not_allowed",
];

/// A tree of field errors: leaves are [`FieldError`]s, inner nodes nest forms and array indexes
/// (`{"fields": {"1": {"name": {…}}}}`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationErrors {
    entries: BTreeMap<String, ErrorNode>,
}

#[derive(Debug, Clone, PartialEq)]
enum ErrorNode {
    Leaf(FieldError),
    Nested(ValidationErrors),
}

impl ValidationErrors {
    pub fn new() -> ValidationErrors {
        ValidationErrors::default()
    }

    /// Errors with a single entry.
    pub fn single(key: &str, error: FieldError) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        errors.add(key, error);
        errors
    }

    /// Records `error` under `key` unless that key already has an error (the first one wins, as
    /// PocketBase reports one error per field).
    pub fn add(&mut self, key: &str, error: FieldError) {
        self.entries
            .entry(key.to_string())
            .or_insert(ErrorNode::Leaf(error));
    }

    /// Nests `errors` under `key` (no-op when empty).
    pub fn nest(&mut self, key: &str, errors: ValidationErrors) {
        if errors.is_empty() {
            return;
        }
        match self.entries.get_mut(key) {
            Some(ErrorNode::Nested(existing)) => existing.entries.extend(errors.entries),
            Some(ErrorNode::Leaf(_)) => {}
            None => {
                self.entries
                    .insert(key.to_string(), ErrorNode::Nested(errors));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    /// The leaf error under `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<&FieldError> {
        match self.entries.get(key) {
            Some(ErrorNode::Leaf(error)) => Some(error),
            _ => None,
        }
    }

    /// `Ok(())` when empty, otherwise `Err(self)`.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// The errors as a failed request's log keeps them (`data.details`): the same tree, each
    /// leaf its raw message — before PocketBase's API turns it into a sentence, as
    /// [`FieldError::raw_message`] recovers it.
    pub fn to_log_details(&self) -> Value {
        let mut object = Map::new();
        for (key, node) in &self.entries {
            let value = match node {
                ErrorNode::Leaf(error) => Value::String(error.raw_message()),
                ErrorNode::Nested(nested) => nested.to_log_details(),
            };
            object.insert(key.clone(), value);
        }
        Value::Object(object)
    }

    /// The `data` object of a PocketBase error body.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        for (key, node) in &self.entries {
            let value = match node {
                ErrorNode::Leaf(error) => serde_json::to_value(error).unwrap_or(Value::Null),
                ErrorNode::Nested(nested) => nested.to_json(),
            };
            object.insert(key.clone(), value);
        }
        Value::Object(object)
    }
}

/// What went wrong in a store.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// A UNIQUE constraint failed; `columns` are the columns SQLite named.
    #[error("unique constraint failed on {columns:?}")]
    UniqueViolation { columns: Vec<String> },
    /// An SQL statement that came from a user (an index, a view query) was rejected.
    #[error("invalid statement: {0}")]
    InvalidStatement(String),
    /// Stored data could not be decoded (a corrupt row or an unexpected schema).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The database failed (I/O, busy, …). The message is for logs, not clients.
    #[error("database error: {0}")]
    Database(String),
}

/// The error of an operation that runs inside a store transaction; any `Err` rolls it back.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoreError {
    #[error("validation failed")]
    Validation(ValidationErrors),
    #[error("not found")]
    NotFound,
    /// A request the model refuses with a message (e.g. deleting a system collection).
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CoreError {
    fn from(error: StoreError) -> CoreError {
        CoreError::Store(error)
    }
}

impl From<ValidationErrors> for CoreError {
    fn from(errors: ValidationErrors) -> CoreError {
        CoreError::Validation(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn log_details_keep_the_raw_messages() {
        let mut errors = ValidationErrors::new();
        errors.add("title", FieldError::required());
        errors.add(
            "n",
            FieldError::new(
                "validation_min_number_constraint",
                "Must be greater or equal than 3.",
            ),
        );
        errors.add(
            "text",
            FieldError::new(
                "validation_max_text_constraint",
                "Must be no more than 5 character(s).",
            ),
        );
        errors.add(
            "mail",
            FieldError::new("validation_is_email", "Must be a valid email address."),
        );
        errors.nest(
            "fields",
            ValidationErrors::single("0", FieldError::not_unique()),
        );
        assert_eq!(
            errors.to_log_details(),
            json!({"fields": {"0": "Value must be unique"}, "mail": "must be a valid email address",
                   "n": "Must be greater or equal than 3",
                   "text": "Must be no more than 5 character(s).", "title": "cannot be blank"})
        );
    }

    #[test]
    fn nested_errors_render_as_pocketbase_data() {
        let mut inner = ValidationErrors::new();
        inner.add(
            "name",
            FieldError::new("validation_match_invalid", "Must be in a valid format."),
        );
        let mut errors = ValidationErrors::new();
        errors.nest("fields", {
            let mut by_index = ValidationErrors::new();
            by_index.nest("1", inner);
            by_index
        });
        errors.add(
            "title",
            FieldError::required().with_params(json!({"min": 3})),
        );
        assert_eq!(
            errors.to_json(),
            json!({"fields": {"1": {"name": {"code": "validation_match_invalid", "message": "Must be in a valid format."}}},
                   "title": {"code": "validation_required", "message": "Cannot be blank.", "params": {"min": 3}}})
        );
    }
}
