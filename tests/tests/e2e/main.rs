//! End-to-end tests: each test starts its own server process (see [`harness`]) on its own data
//! dir and port, and checks what PocketBase 0.40 clients see over HTTP. Modules mirror the routes.
//!
//! Tests that pass against the real PocketBase (`PB_BIN=<pocketbase> cargo test -p pb-e2e`) pin
//! its behaviour; the few that go beyond it (no lost `views+` updates) say so.

// Test code: a failed unwrap/expect is a failed test, with the panic message as the report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod admin_ui;
mod auth_attacks;
mod auth_email_flows;
mod auth_methods;
mod auth_oauth2;
mod auth_origins;
mod auth_otp_mfa;
mod auth_rules;
mod auth_support;
mod backups;
mod batch;
mod collections;
mod collections_view_check;
mod crash;
mod crons;
mod errors;
mod expand_all;
mod files;
mod filter_differential;
mod health;
mod logs;
mod migrations;
mod openapi;
mod ops_gaps;
mod ops_support;
mod pocketbase_datadir;
mod rate_limits;
mod realtime;
mod records;
mod serve;
mod settings;
mod settings_tests;
mod superuser_cli;
mod superuser_ips;
mod superusers_auth;
