//! The HTTP face of the PocketBase-compatible backend: actix-web handlers speaking PocketBase's
//! Web API (paths, params, JSON keys, status codes, error bodies).
//!
//! This crate knows HTTP and the model (`pb-core`); it never names a concrete store. The binary
//! hands it an `Arc<dyn Store>` and it does every storage call on the blocking pool.

pub mod access;
#[cfg(feature = "ui")]
pub mod admin_ui;
pub mod api;
pub mod auth;
pub mod backups;
pub mod blocking;
pub mod body;
pub mod client_ip;
pub mod cron;
pub mod error;
pub mod expand;
pub mod fields;
pub mod files;
pub mod installer;
pub mod lifecycle;
pub mod live_settings;
pub mod middleware;
pub mod oauth2;
pub mod openapi;
pub mod ops;
pub mod output;
pub mod query;
pub mod rate_limit;
pub mod realtime;
pub mod records_service;
pub mod request_info;
pub mod request_log;
pub mod server;
pub mod state;
pub mod superuser_ips;
pub mod txn;

pub use server::{serve, ServerConfig};
pub use state::{AppState, ServerOptions};
