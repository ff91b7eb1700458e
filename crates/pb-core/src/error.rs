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
}

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
