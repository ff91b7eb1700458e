//! `GET /openapi/json`, `/openapi/yaml` and `/openapi/html`: the OpenAPI document of the
//! current schema (`crate::openapi`) and an offline viewer for it.
//!
//! The document lists every collection with its fields and rules, which PocketBase only shows
//! to superusers (`/api/collections`), so json and yaml are superuser-only too (401 without a
//! token, 403 for other records). The viewer page itself holds no data: it asks for a token and
//! fetches the json with it, so it is served to anyone.

use std::sync::Arc;

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::superuser::ensure_superuser;
use crate::auth::request_auth::bearer_token;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The viewer: one self-contained page, no external scripts, styles or fonts.
const VIEWER_HTML: &str = include_str!("../openapi/viewer.html");

async fn document(
    state: web::Data<AppState>,
    request: &HttpRequest,
) -> ApiResult<Arc<serde_json::Value>> {
    let state = Arc::clone(&state.into_inner());
    ensure_superuser(&state, bearer_token(request)).await?;
    Ok(state.schema().openapi_document())
}

pub async fn json(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let document = document(state, &request).await?;
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .json(document.as_ref()))
}

pub async fn yaml(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let document = document(state, &request).await?;
    let text = serde_norway::to_string(document.as_ref()).map_err(|_| ApiError::internal())?;
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .content_type("application/yaml; charset=utf-8")
        .body(text))
}

pub async fn html() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(VIEWER_HTML)
}
