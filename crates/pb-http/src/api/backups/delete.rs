//! `DELETE /api/backups/{key}`: deletes a backup, unless it is the one being written or
//! restored. A missing key is a 400, as in PocketBase.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::backups::storage::{backups_store, settings};
use crate::backups::BACKUPS_DIR;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let key = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    run_blocking(move || {
        if state.backups.is_active(&key) {
            return Err(ApiError::bad_request(
                "The backup is currently being used and cannot be deleted.",
            ));
        }
        let load_failed = |error: crate::backups::BackupError| {
            tracing::error!(%error, "failed to load the backups filesystem");
            ApiError::internal()
        };
        let settings = settings(&state).map_err(load_failed)?;
        let store = backups_store(&state, settings.as_ref()).map_err(load_failed)?;
        let missing = || {
            let path = state.backups.data_dir().join(BACKUPS_DIR).join(&key);
            ApiError::bad_request(format!(
                "Invalid or already deleted backup file. Raw error: \n[key: {key}] remove {}: no such file or directory\nresource not found.",
                path.display()
            ))
        };
        match store.stat(&key) {
            Ok(Some(_)) => {}
            _ => return Err(missing()),
        }
        store.delete(&key).map_err(|error| {
            ApiError::bad_request(format!(
                "Invalid or already deleted backup file. Raw error: \n{error}"
            ))
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
