//! `GET /api/logs/stats`: the number of logs per hour (`[{"date","total"}]`, oldest first),
//! of all logs or of those `filter` matches. A filter that does not compile is
//! 400 "Invalid filter format."; one the database refuses, 400 "Failed to generate logs stats.".

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::blocking::run_blocking;
use crate::error::{ApiError, ApiResult};
use crate::query::pairs;
use crate::state::AppState;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    let log_store = super::log_store(&state)?;
    let filter = pairs(&request)
        .into_iter()
        .find(|(key, _)| key == "filter")
        .map(|(_, value)| value)
        .unwrap_or_default();
    let filter = super::compile_filter(&filter).map_err(|error| {
        tracing::debug!(%error, "logs stats filter refused");
        ApiError::bad_request("Invalid filter format.")
    })?;
    let hours = run_blocking(move || {
        super::store_queued_logs(&state);
        log_store.stats(filter.as_ref()).map_err(|error| {
            tracing::debug!(%error, "logs stats failed");
            ApiError::bad_request("Failed to generate logs stats.")
        })
    })
    .await?;
    let body: Vec<Value> = hours
        .into_iter()
        .map(|hour| json!({"date": hour.date, "total": hour.total}))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
