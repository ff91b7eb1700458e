//! `POST /api/backups/upload`: stores an uploaded zip (multipart `file`, detected as
//! `application/zip` from its content) as a backup under the name it was uploaded with,
//! unless a backup has that name. No body size limit, as in PocketBase.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::NewFile;
use pb_core::{FieldError, ValidationErrors};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::backups::storage::{backups_store, settings};
use crate::blocking::run_blocking;
use crate::body::read_form;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const VALIDATION_FAILED: &str = "An error occurred while validating the submitted data.";
const ZIP: &str = "application/zip";

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    let form = read_form(&request, payload, usize::MAX, &state.files.spool_dir()).await?;
    run_blocking(move || {
        let invalid = |error: FieldError| {
            ApiError::validation(VALIDATION_FAILED, &ValidationErrors::single("file", error))
        };
        let upload = form
            .uploads
            .iter()
            .find(|upload| upload.part_name == "file")
            .ok_or_else(|| invalid(FieldError::required()))?;
        if upload.file.content_type != ZIP {
            return Err(invalid(FieldError::new(
                "validation_invalid_mime_type",
                format!(
                    "\"{}\" mime type must be one of: {ZIP}.",
                    upload.file.stored_name
                ),
            )));
        }
        let name = upload.file.original_name.clone();
        let load_failed = |error: crate::backups::BackupError| {
            super::failure(&error, "Failed to load backups filesystem.")
        };
        let settings = settings(&state).map_err(load_failed)?;
        let store = backups_store(&state, settings.as_ref()).map_err(load_failed)?;
        if !matches!(store.stat(&name), Ok(None)) {
            return Err(invalid(FieldError::new(
                "validation_backup_name_exists",
                "Backup file with the specified name already exists.",
            )));
        }
        let mut reader = upload.reader().map_err(|error| {
            tracing::error!(%error, "cannot read a spooled backup upload");
            ApiError::bad_request("Failed to upload backup.")
        })?;
        store
            .put(
                &name,
                &mut reader,
                &NewFile {
                    content_type: ZIP,
                    original_name: &name,
                },
            )
            .map_err(|error| {
                tracing::error!(%error, "cannot store an uploaded backup");
                ApiError::bad_request("Failed to upload backup.")
            })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
