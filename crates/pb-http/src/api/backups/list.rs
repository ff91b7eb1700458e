//! `GET /api/backups`: every stored backup as `{key, size, modified}`, ordered by key.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::backups::storage::{backups_store, settings};
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    let listed = run_blocking(move || {
        let settings = settings(&state)
            .map_err(|error| super::failure(&error, "Failed to load backups filesystem."))?;
        let store = backups_store(&state, settings.as_ref())
            .map_err(|error| super::failure(&error, "Failed to load backups filesystem."))?;
        let mut files = store.list("").map_err(|error| {
            ApiError::bad_request(format!(
                "Failed to retrieve backup items. Raw error: \n{error}"
            ))
        })?;
        files.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(files
            .into_iter()
            .map(|file| {
                json!({
                    "key": file.key,
                    "size": file.size,
                    "modified": pb_core::datetime::format(file.modified.into()),
                })
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(HttpResponse::Ok().json(listed))
}
