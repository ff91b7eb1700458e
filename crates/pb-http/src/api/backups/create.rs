//! `POST /api/backups`: creates a backup now, named by the body's optional `name` (lower-case
//! letters, digits, `_`, `-`, ending in `.zip`, unused) or `pb_backup_<app>_<time>.zip`.
//! Answers 204 once the backup is stored.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::{FieldError, ValidationErrors};
use serde_json::Value;

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::backups::names::{has_valid_format, MAX_NAME_LENGTH};
use crate::backups::storage::{backups_store, settings};
use crate::backups::{create_backup, BackupError};
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const VALIDATION_FAILED: &str = "An error occurred while validating the submitted data.";
/// What PocketBase answers while another backup or restore runs (no final period here).
pub const BUSY: &str = "Try again later - another backup/restore process has already been started";

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    if state.backups.is_busy() {
        return Err(ApiError::bad_request(BUSY));
    }
    let body = read_object(&request, payload).await.map_err(|error| {
        error.reword_malformed("An error occurred while loading the submitted data.")
    })?;
    let name = match body.get("name") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(name)) => name.clone(),
        Some(_) => {
            return Err(ApiError::bad_request(
                "An error occurred while loading the submitted data.",
            ))
        }
    };
    run_blocking(move || {
        if !name.is_empty() {
            check_name(&state, &name)?;
        }
        let name = Some(name.as_str()).filter(|name| !name.is_empty());
        create_backup(&state, name).map_err(|error| match error {
            BackupError::Busy => ApiError::bad_request(BUSY),
            other => super::failure(&other, "Failed to create backup."),
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Length, format, then uniqueness, as PocketBase checks them; the first failure is reported.
fn check_name(state: &AppState, name: &str) -> Result<(), ApiError> {
    let error = if name.chars().count() > MAX_NAME_LENGTH {
        Some(FieldError::new(
            "validation_length_out_of_range",
            format!("The length must be between 1 and {MAX_NAME_LENGTH}."),
        ))
    } else if !has_valid_format(name) {
        Some(FieldError::new(
            "validation_match_invalid",
            "Must be in a valid format.",
        ))
    } else {
        let exists = settings(state)
            .and_then(|settings| backups_store(state, settings.as_ref()))
            .map(|store| !matches!(store.stat(name), Ok(None)))
            .unwrap_or(true);
        exists.then(|| {
            FieldError::new(
                "validation_backup_name_exists",
                "The backup file name is invalid or already exists.",
            )
        })
    };
    match error {
        Some(error) => Err(ApiError::validation(
            VALIDATION_FAILED,
            &ValidationErrors::single("name", error),
        )),
        None => Ok(()),
    }
}
