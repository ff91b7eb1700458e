//! `GET /api/logs/{id}`: one log, or PocketBase's generic 404.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::state::AppState;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    let log_store = super::log_store(&state)?;
    let id = path.into_inner();
    let found = run_blocking(move || {
        log_store.find(&id).map_err(|error| {
            tracing::warn!(%error, "cannot read a log");
            ApiError::not_found()
        })
    })
    .await?
    .ok_or_else(ApiError::not_found)?;
    let fields = QueryParams::output_only(&request).fields;
    Ok(HttpResponse::Ok().json(crate::fields::pick(found.to_json(), &fields)))
}
