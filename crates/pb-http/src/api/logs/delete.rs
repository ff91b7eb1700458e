//! `DELETE /api/logs` (new in PocketBase 0.40): deletes every log, answers 204. Like every
//! successful request to `/api/logs`, it is not logged itself.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    let log_store = super::log_store(&state)?;
    run_blocking(move || {
        super::store_queued_logs(&state);
        log_store.delete_all().map_err(|error| {
            tracing::warn!(%error, "cannot delete the logs");
            ApiError::internal()
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
