//! `GET /api/realtime`: registers a new client and answers with its Server-Sent Events stream,
//! which starts with `PB_CONNECT {"clientId": …}`. Any auth on this request is ignored, as in
//! PocketBase: a client's auth is taken from its subscription requests.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let remote_ip = request.peer_addr().map(|address| address.ip());
    let stream = state
        .realtime
        .connect(remote_ip)
        .ok_or_else(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream))
}
