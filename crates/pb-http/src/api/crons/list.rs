//! `GET /api/crons`: `[{"id","expression"}]`, other jobs by id first, then PocketBase's own.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    let jobs: Vec<Value> = state
        .ops
        .crons
        .list()
        .into_iter()
        .map(|job| json!({"id": job.id, "expression": job.expression}))
        .collect();
    Ok(HttpResponse::Ok().json(jobs))
}
