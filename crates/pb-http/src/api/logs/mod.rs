//! `GET /api/logs`, `GET /api/logs/stats`, `GET /api/logs/{id}`, `DELETE /api/logs` (new in
//! PocketBase 0.40) (superusers only): the request
//! logs of `auxiliary.db`, filtered and sorted with the rule language over the `_logs` columns
//! (`id`, `created`, `level`, `message`, and `data.*` JSON paths). Reads and the delete first
//! have the request log writer store what it still holds, so they see every request that
//! finished before theirs (PocketBase's logs may lag by a few seconds; ours do not).

pub mod delete;
pub mod list;
pub mod stats;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use pb_core::logs::LogStore;
use pb_core::ports::SqlFragment;
use pb_rules::{CompileOptions, RequestInfo};

use crate::error::ApiError;
use crate::state::AppState;

/// The log store, or a 404 when the server keeps no logs (none attached).
fn log_store(state: &AppState) -> Result<Arc<dyn LogStore>, ApiError> {
    state.ops.log_store.clone().ok_or_else(ApiError::not_found)
}

/// How long a logs request waits for the writer to store the logs it holds.
const QUEUED_LOGS_WAIT: Duration = Duration::from_secs(5);

/// Has the request log writer store every log queued so far (blocking: call it inside
/// `run_blocking`). A writer busy for longer than [`QUEUED_LOGS_WAIT`] only delays the newest
/// logs: the request goes on with what is stored.
fn store_queued_logs(state: &AppState) {
    if !state.ops.request_log.flush(QUEUED_LOGS_WAIT) {
        tracing::debug!("queued request logs not stored before a logs request");
    }
}

/// A `filter` param over `_logs`, compiled as a superuser's filter; `None` for no filter.
fn compile_filter(filter: &str) -> Result<Option<SqlFragment>, pb_rules::RuleError> {
    if filter.is_empty() {
        return Ok(None);
    }
    let collection = pb_core::logs::logs_collection();
    let no_collections: Vec<pb_core::Collection> = Vec::new();
    let fragment = pb_rules::compile_filter(
        filter,
        &collection,
        &no_collections,
        &RequestInfo::default(),
        &CompileOptions::filter_param(true),
    )?;
    Ok(Some(fragment))
}
