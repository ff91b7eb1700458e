//! The admin dashboard at `/_/`: a single-page app whose built files (`ui/dist`, committed, so
//! a plain `cargo build` needs no Node) are embedded in the binary by rust-embed. Built only
//! with the `ui` feature (on by default).
//!
//! Caching: Vite names every file under `assets/` after a hash of its content, so those are
//! cached for a year as immutable; `index.html`, which names the current hashes, is revalidated
//! on every load (`no-cache`). Every answer carries a strict Content-Security-Policy: scripts,
//! styles and connections only from this origin, no inline code, no framing.
//!
//! `GET /_/extensions.js` answers an empty script: the place where a deployment may later hook
//! its own dashboard code, as PocketBase does. `/_` redirects to `/_/`; unknown files answer
//! PocketBase's 404.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Compress;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::error::ApiError;

/// The built dashboard (`ui/dist`, produced by `cargo xtask ui`).
#[derive(RustEmbed)]
#[folder = "../../ui/dist"]
struct Assets;

/// Only this origin may provide scripts, styles, images and API connections; nothing inline.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Hashed, content-addressed files never change under their name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files whose name stays while their content changes must be revalidated.
const REVALIDATE: &str = "no-cache";

/// Mounts `/_`, `/_/`, `/_/extensions.js` and `/_/{file}`.
pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/_", web::get().to(redirect)).service(
        web::scope("/_")
            .wrap(Compress::default())
            .route("/extensions.js", web::get().to(extensions))
            .route("/{file:.*}", web::get().to(file)),
    );
}

async fn redirect() -> HttpResponse {
    HttpResponse::TemporaryRedirect()
        .insert_header((header::LOCATION, "/_/"))
        .finish()
}

async fn extensions() -> HttpResponse {
    with_policy(HttpResponse::Ok())
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, REVALIDATE))
        .body("")
}

async fn file(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let name = request.match_info().get("file").unwrap_or("");
    let name = if name.is_empty() { "index.html" } else { name };
    let Some(asset) = Assets::get(name) else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "File not found."));
    };
    let cache = if name.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let content_type = content_type(name);
    let body = match asset.data {
        Cow::Borrowed(bytes) => actix_web::body::BoxBody::new(bytes),
        Cow::Owned(bytes) => actix_web::body::BoxBody::new(bytes),
    };
    Ok(with_policy(HttpResponse::Ok())
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .body(body))
}

fn with_policy(mut builder: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    builder.insert_header((
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    ));
    builder
}

/// The media type of a dashboard file, from its extension (the build emits only these).
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json" | "map") => "application/json",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_dashboard_has_an_index_naming_relative_assets() {
        let index = Assets::get("index.html").map(|asset| asset.data.into_owned());
        let index = String::from_utf8(index.unwrap_or_default()).unwrap_or_default();
        assert!(index.contains("src=\"./assets/"), "{index}");
        assert!(!index.contains("src=\"/"), "{index}");
    }

    #[test]
    fn content_types_follow_extensions() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/index-abc.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("assets/x.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
