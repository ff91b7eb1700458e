//! Migration files on disk and the runner that applies them (the pure format and the apply
//! logic live in `pb_core::migration`).
//!
//! * `folder`: the `pb_migrations` folder: listing, reading, writing files under names whose
//!   timestamps only ever grow, so file-name order is the order changes were made.
//! * `runner`: `up`, `down`, `history-sync` against the store's `_migrations` history, each
//!   migration in a transaction of its own.
//! * `journal`: automigrate, the [`pb_core::ports::SchemaJournal`] that writes a migration for
//!   every collection change made through the API.

pub(crate) mod folder;
pub(crate) mod journal;
pub(crate) mod runner;

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix microseconds (the unit of `_migrations.applied`).
pub(crate) fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
