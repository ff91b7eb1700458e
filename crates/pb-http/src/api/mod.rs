//! Route table: every endpoint mounted in one place, one handler per file below.

pub mod auth;
pub mod backups;
pub mod batch;
pub mod collections;
pub mod crons;
pub mod fallback;
pub mod files;
pub mod health;
pub mod logs;
pub mod oauth2_redirect;
pub mod openapi;
pub mod realtime;
pub mod records;
pub mod settings;
pub mod superuser;

use actix_web::web;

/// Mounts every route.
pub fn configure(config: &mut web::ServiceConfig) {
    // The admin dashboard at /_/ (its own module; absent without the `ui` feature).
    #[cfg(feature = "ui")]
    config.configure(crate::admin_ui::configure);
    config
        .route("/api/health", web::get().to(health::handle))
        .route("/api/health", web::head().to(health::handle))
        .route("/api/batch", web::post().to(batch::handle))
        .route("/api/files/token", web::post().to(files::token::handle))
        .route(
            "/api/files/{collection}/{record}/{filename}",
            web::get().to(files::download::handle),
        )
        .route(
            "/api/files/{collection}/{record}/{filename}",
            web::head().to(files::download::handle),
        )
        .route("/api/realtime", web::get().to(realtime::connect::handle))
        .route("/api/realtime", web::post().to(realtime::subscribe::handle))
        .route("/api/backups", web::get().to(backups::list::handle))
        .route("/api/backups", web::post().to(backups::create::handle))
        .route(
            "/api/backups/upload",
            web::post().to(backups::upload::handle),
        )
        .route(
            "/api/backups/{key}",
            web::get().to(backups::download::handle),
        )
        .route(
            "/api/backups/{key}",
            web::head().to(backups::download::handle),
        )
        .route(
            "/api/backups/{key}",
            web::delete().to(backups::delete::handle),
        )
        .route(
            "/api/backups/{key}/restore",
            web::post().to(backups::restore::handle),
        )
        .route("/api/settings", web::get().to(settings::get))
        .route("/api/settings", web::patch().to(settings::patch))
        .route(
            "/api/settings/test/email",
            web::post().to(settings::test_email::handle),
        )
        .route(
            "/api/settings/test/s3",
            web::post().to(settings::test_s3::handle),
        )
        .route("/api/collections", web::get().to(collections::list::handle))
        .route(
            "/api/collections",
            web::post().to(collections::create::handle),
        )
        .route(
            "/api/collections/import",
            web::put().to(collections::import::handle),
        )
        .route(
            "/api/collections/meta/scaffolds",
            web::get().to(collections::scaffolds::handle),
        )
        .route(
            "/api/collections/meta/view-preview",
            web::post().to(collections::view_preview::handle),
        )
        .route(
            "/api/collections/{collection}",
            web::get().to(collections::view::handle),
        )
        .route(
            "/api/collections/{collection}",
            web::patch().to(collections::update::handle),
        )
        .route(
            "/api/collections/{collection}",
            web::delete().to(collections::delete::handle),
        )
        .route(
            "/api/collections/{collection}/truncate",
            web::delete().to(collections::truncate::handle),
        )
        .route(
            "/api/collections/{collection}/records",
            web::get().to(records::list::handle),
        )
        .route(
            "/api/collections/{collection}/records",
            web::post().to(records::create::handle),
        )
        .route(
            "/api/collections/{collection}/records/{id}",
            web::get().to(records::view::handle),
        )
        .route(
            "/api/collections/{collection}/records/{id}",
            web::patch().to(records::update::handle),
        )
        .route(
            "/api/collections/{collection}/records/{id}",
            web::delete().to(records::delete::handle),
        )
        .route(
            "/api/collections/{collection}/auth-with-password",
            web::post().to(auth::with_password::handle),
        )
        .route(
            "/api/collections/{collection}/auth-refresh",
            web::post().to(auth::refresh::handle),
        )
        .route(
            "/api/collections/{collection}/auth-methods",
            web::get().to(auth::methods::handle),
        )
        .route(
            "/api/collections/{collection}/auth-with-oauth2",
            web::post().to(auth::with_oauth2::handle),
        )
        .route(
            "/api/oauth2-redirect",
            web::get().to(oauth2_redirect::handle),
        )
        .route(
            "/api/oauth2-redirect",
            web::post().to(oauth2_redirect::handle),
        )
        .route(
            "/api/collections/{collection}/auth-with-otp",
            web::post().to(auth::with_otp::handle),
        )
        .route(
            "/api/collections/{collection}/request-otp",
            web::post().to(auth::request_otp::handle),
        )
        .route(
            "/api/collections/{collection}/impersonate/{id}",
            web::post().to(auth::impersonate::handle),
        )
        .route(
            "/api/collections/{collection}/request-verification",
            web::post().to(auth::request_verification::handle),
        )
        .route(
            "/api/collections/{collection}/confirm-verification",
            web::post().to(auth::confirm_verification::handle),
        )
        .route(
            "/api/collections/{collection}/request-password-reset",
            web::post().to(auth::request_password_reset::handle),
        )
        .route(
            "/api/collections/{collection}/confirm-password-reset",
            web::post().to(auth::confirm_password_reset::handle),
        )
        .route(
            "/api/collections/{collection}/request-email-change",
            web::post().to(auth::request_email_change::handle),
        )
        .route(
            "/api/collections/{collection}/confirm-email-change",
            web::post().to(auth::confirm_email_change::handle),
        )
        .route("/openapi/json", web::get().to(openapi::json))
        .route("/openapi/yaml", web::get().to(openapi::yaml))
        .route("/openapi/html", web::get().to(openapi::html))
        .route("/api/logs", web::get().to(logs::list::handle))
        .route("/api/logs", web::delete().to(logs::delete::handle))
        .route("/api/logs/stats", web::get().to(logs::stats::handle))
        .route("/api/logs/{id}", web::get().to(logs::view::handle))
        .route("/api/crons", web::get().to(crons::list::handle))
        .route("/api/crons/{id}", web::post().to(crons::run::handle))
        .default_service(web::to(fallback::handle));
}
