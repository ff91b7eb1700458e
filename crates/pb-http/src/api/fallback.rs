//! Everything no route matched: files from the public dir (with an `index.html` fallback for
//! single-page apps), else PocketBase's 404 "File not found." in the error shape.

use std::path::{Component, Path, PathBuf};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn handle(state: web::Data<AppState>, request: HttpRequest) -> ApiResult<HttpResponse> {
    let not_found = || ApiError::new(StatusCode::NOT_FOUND, "File not found.");
    let path = request.path();
    if path.starts_with("/api/") || path == "/api" {
        return Err(not_found());
    }
    let Some(public_dir) = state.options.public_dir.clone() else {
        return Err(not_found());
    };
    let Some(relative) = safe_relative(path) else {
        return Err(not_found());
    };
    let bytes = web::block(move || read_public_file(&public_dir, &relative))
        .await
        .map_err(|_| ApiError::internal())?;
    match bytes {
        Some((content, file)) => Ok(HttpResponse::Ok()
            .content_type(content_type(&file))
            .body(content)),
        None => Err(not_found()),
    }
}

/// The request path as a relative path, refusing `..` and other escapes.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let decoded = path.trim_start_matches('/');
    let relative = PathBuf::from(decoded);
    relative
        .components()
        .all(|component| matches!(component, Component::Normal(_)))
        .then_some(relative)
}

fn read_public_file(public_dir: &Path, relative: &Path) -> Option<(Vec<u8>, PathBuf)> {
    let mut candidate = public_dir.join(relative);
    if candidate.is_dir() {
        candidate = candidate.join("index.html");
    }
    if !candidate.is_file() {
        // Single-page apps route on the client: unknown paths get the root index.html.
        candidate = public_dir.join("index.html");
    }
    std::fs::read(&candidate)
        .ok()
        .map(|content| (content, candidate))
}

fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|extension| extension.to_str())
        .unwrap_or("")
    {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}
