//! `POST /api/crons/{id}`: starts the job in the background and answers 204 at once;
//! 404 "Missing or invalid cron job." for an unknown id.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(&request)).await?;
    if !state.ops.crons.run_now(&path.into_inner()) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Missing or invalid cron job.",
        ));
    }
    Ok(HttpResponse::NoContent().finish())
}
