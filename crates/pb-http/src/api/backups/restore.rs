//! `POST /api/backups/{key}/restore`: answers 204 at once, then restores the backup in the
//! background and restarts the process on the restored data (see
//! [`crate::backups::restore_backup`]). The graceful stop lets this and every other in-flight
//! request finish first.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::backups::storage::{backups_store, settings};
use crate::backups::{restore_backup, BackupError};
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// PocketBase's answer while another backup or restore runs (with a final period here).
const BUSY: &str = "Try again later - another backup/restore process has already been started.";

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    if state.backups.is_busy() {
        return Err(ApiError::bad_request(BUSY));
    }
    run_blocking(move || {
        let exists = settings(&state)
            .and_then(|settings| backups_store(&state, settings.as_ref()))
            .map(|store| matches!(store.stat(&key), Ok(Some(_))))
            .unwrap_or(false);
        if !exists {
            return Err(ApiError::bad_request("Missing or invalid backup file."));
        }
        let active = state.backups.begin(&key).map_err(|error| match error {
            BackupError::Busy => ApiError::bad_request(BUSY),
            other => super::failure(&other, "Failed to restore backup."),
        })?;
        let worker = Arc::clone(&state);
        std::thread::Builder::new()
            .name("backup-restore".into())
            .spawn(move || {
                if let Err(error) = restore_backup(&worker, &key, active) {
                    tracing::error!(%error, key, "failed to restore backup");
                }
            })
            .map_err(|error| {
                tracing::error!(%error, "cannot start the restore");
                ApiError::internal()
            })?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
