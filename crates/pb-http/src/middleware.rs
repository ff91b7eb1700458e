//! Cross-cutting response behaviour: PocketBase's CORS answers (any origin, 204 preflight) and
//! its default security headers.
//!
//! Panics are not caught here: routing needs the request uniquely owned, so it cannot be kept
//! for a fallback response. Handlers do their work in [`crate::blocking::run_blocking`], which
//! turns a panic there into a 500, and actix restarts a worker whose async code panicked.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;

const ALLOWED_METHODS: &str = "GET,HEAD,PUT,PATCH,POST,DELETE";

/// Put in a response's extensions by handlers whose responses must not carry
/// `X-Frame-Options` (file downloads, which PocketBase serves without it so that images and
/// PDFs can be embedded).
#[derive(Debug, Clone, Copy)]
pub struct NoFrameOptions;

/// Applies CORS, security headers and panic recovery to every request.
pub async fn common_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let has_origin = request.headers().contains_key("origin");
    if request.method() == Method::OPTIONS
        && has_origin
        && request
            .headers()
            .contains_key("access-control-request-method")
    {
        let requested_headers = request
            .headers()
            .get("access-control-request-headers")
            .cloned();
        let mut response = HttpResponse::new(StatusCode::NO_CONTENT);
        let headers = response.headers_mut();
        insert(headers, "access-control-allow-origin", "*");
        insert(headers, "access-control-allow-methods", ALLOWED_METHODS);
        if let Some(value) = requested_headers {
            headers.insert(
                HeaderName::from_static("access-control-allow-headers"),
                value,
            );
        }
        insert(
            headers,
            "vary",
            "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
        );
        return Ok(request.into_response(response));
    }

    let mut response = next.call(request).await?.map_into_boxed_body();
    let frame_options = response
        .response()
        .extensions()
        .get::<NoFrameOptions>()
        .is_none();
    let headers = response.headers_mut();
    if has_origin {
        insert(headers, "access-control-allow-origin", "*");
    }
    insert(headers, "vary", "Origin");
    insert(headers, "x-xss-protection", "1; mode=block");
    insert(headers, "x-content-type-options", "nosniff");
    if frame_options {
        insert(headers, "x-frame-options", "SAMEORIGIN");
    }
    insert(headers, "cross-origin-opener-policy", "same-origin");
    Ok(response)
}

fn insert(
    headers: &mut actix_web::http::header::HeaderMap,
    name: &'static str,
    value: &'static str,
) {
    headers.insert(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    );
}
