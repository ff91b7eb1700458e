//! The one HTTP error type. Every failure leaves the server as PocketBase's
//! `{"status": …, "message": …, "data": {…}}` body with the same status and message the real
//! server uses for that situation.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use pb_core::{CoreError, StoreError, ValidationErrors};
use serde_json::{json, Map, Value};

/// An error answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status} {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The `data` object: field errors, or empty.
    pub data: Value,
    /// What caused the failure, for the request log's `data.details` only (PocketBase logs its
    /// error's raw data there); never sent to the client. `None` (logged as `null`) when there
    /// is nothing to add. Boxed: errors travel in `Result`s and should stay small.
    pub details: Option<Box<Value>>,
}

/// The cause PocketBase logs when a row it looked up is missing (Go's `sql.ErrNoRows`).
pub const NO_ROWS: &str = "sql: no rows in result set";

/// The generic 400 message (malformed bodies, bad filters, unknown sort fields, …).
pub const GENERIC_BAD_REQUEST: &str = "Something went wrong while processing your request.";

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            data: Value::Object(Map::new()),
            details: None,
        }
    }

    /// The same error, logged with `details` as its cause.
    pub fn with_details(mut self, details: impl Into<Value>) -> ApiError {
        self.details = Some(Box::new(details.into()));
        self
    }

    /// The request log's `data.details` of this error.
    pub fn log_details(&self) -> Value {
        self.details.as_deref().cloned().unwrap_or(Value::Null)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 400 with the generic message.
    pub fn generic_bad_request() -> ApiError {
        ApiError::bad_request(GENERIC_BAD_REQUEST)
    }

    /// 400 with field errors under `data`.
    pub fn validation(message: impl Into<String>, errors: &ValidationErrors) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            data: errors.to_json(),
            details: Some(Box::new(errors.to_log_details())),
        }
    }

    /// 404 "The requested resource wasn't found."
    pub fn not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "The requested resource wasn't found.",
        )
    }

    /// 404 for a record that is missing or out of the caller's reach (logged, as in
    /// PocketBase, as a lookup that found no row).
    pub fn record_not_found() -> ApiError {
        ApiError::not_found().with_details(NO_ROWS)
    }

    /// 404 for an unknown collection in the records routes.
    pub fn missing_collection() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Missing collection context.").with_details(NO_ROWS)
    }

    /// Replaces the generic 400 message (a malformed body) with an endpoint's own wording.
    pub fn reword_malformed(mut self, message: &str) -> ApiError {
        if self.status == StatusCode::BAD_REQUEST && self.message == GENERIC_BAD_REQUEST {
            self.message = message.to_string();
        }
        self
    }

    /// 404 for an unknown collection on record create and update.
    pub fn missing_or_invalid_collection() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "Missing or invalid collection context.",
        )
        .with_details(NO_ROWS)
    }

    /// 401 for endpoints that need an auth token.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "The request requires valid record authorization token.",
        )
    }

    /// 403 for a regular user on a superuser-only endpoint.
    pub fn forbidden_record() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "The authorized record is not allowed to perform this action.",
        )
    }

    /// 403 for a `null` (superusers only) rule.
    pub fn superusers_only() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "Only superusers can perform this action.",
        )
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong while processing your request.",
        )
    }

    /// Maps a model error, using `validation_message` for field errors (e.g.
    /// "Failed to create record.").
    pub fn from_core(error: CoreError, validation_message: &str) -> ApiError {
        match error {
            CoreError::Validation(errors) => ApiError::validation(validation_message, &errors),
            CoreError::NotFound => ApiError::record_not_found(),
            CoreError::BadRequest(message) => ApiError::bad_request(message),
            CoreError::Store(StoreError::InvalidStatement(message)) => {
                tracing::debug!(%message, "statement rejected");
                ApiError::bad_request(validation_message).with_details(message)
            }
            CoreError::Store(store_error) => {
                tracing::error!(error = %store_error, "store failure");
                ApiError::internal().with_details(store_error.to_string())
            }
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({"status": self.status.as_u16(), "message": self.message, "data": self.data})
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status).json(self.body())
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
