//! PocketBase's own cron jobs, with its ids and schedules (as a fresh PocketBase 0.40.6 lists
//! them in `GET /api/crons`, in this order):
//!
//! * `__pbDBOptimize__` (`0 0 * * *`): WAL checkpoint of both databases and `PRAGMA optimize`.
//! * `__pbMFACleanup__` / `__pbOTPCleanup__` (`0 * * * *`): deletes the `_mfas` / `_otps`
//!   rows older than their auth collection's `mfa.duration` / `otp.duration`.
//! * `__pbLogsCleanup__` (`0 */6 * * *`): deletes the logs created `logs.maxDays` days ago or
//!   earlier.

use std::sync::Arc;

use chrono::Utc;
use pb_core::ports::{write_with, RecordQuery, SqlFragment, SqlValue};
use pb_core::CoreError;

use crate::state::AppState;

pub const DB_OPTIMIZE: &str = "__pbDBOptimize__";
pub const MFA_CLEANUP: &str = "__pbMFACleanup__";
pub const OTP_CLEANUP: &str = "__pbOTPCleanup__";
pub const LOGS_CLEANUP: &str = "__pbLogsCleanup__";

/// A system job: its id, its schedule and what it does.
type SystemJob = (&'static str, &'static str, fn(&AppState));

/// Registers the system jobs on `state.ops.crons`.
pub fn register(state: &Arc<AppState>) {
    let crons = &state.ops.crons;
    let jobs: [SystemJob; 4] = [
        (DB_OPTIMIZE, "0 0 * * *", optimize_databases),
        (MFA_CLEANUP, "0 * * * *", |state| {
            delete_expired_rows(state, "_mfas", |auth| auth.mfa.duration);
        }),
        (OTP_CLEANUP, "0 * * * *", |state| {
            delete_expired_rows(state, "_otps", |auth| auth.otp.duration);
        }),
        (LOGS_CLEANUP, "0 */6 * * *", |state| {
            delete_old_logs(state);
        }),
    ];
    for (id, expression, job) in jobs {
        let weak = Arc::downgrade(state);
        let registered = crons.register(id, expression, move || {
            if let Some(state) = weak.upgrade() {
                job(&state);
            }
        });
        if let Err(error) = registered {
            tracing::error!(%error, job = id, "cannot register a system cron job");
        }
    }
}

fn optimize_databases(state: &AppState) {
    for database in &state.ops.maintenance {
        if let Err(error) = database.optimize() {
            tracing::warn!(%error, "periodic database optimize failed");
        }
    }
}

/// Deletes the logs created `logs.maxDays` days ago or earlier; returns how many went.
pub fn delete_old_logs(state: &AppState) -> u64 {
    let Some(log_store) = state.ops.log_store.as_ref() else {
        return 0;
    };
    let max_days = state.ops.settings.get().logs.max_days;
    let cutoff = Utc::now() - chrono::Duration::days(max_days);
    match log_store.delete_created_until(&pb_core::datetime::format(cutoff)) {
        Ok(deleted) => deleted,
        Err(error) => {
            tracing::warn!(%error, "failed to delete old logs");
            0
        }
    }
}

/// Deletes the rows of `table` (`_otps` or `_mfas`) older than the duration (in seconds) their
/// auth collection allows.
fn delete_expired_rows(state: &AppState, table: &str, duration: fn(&pb_core::AuthOptions) -> i64) {
    let schema = state.schema();
    let Some(rows_collection) = schema.find(table) else {
        return;
    };
    let now = Utc::now();
    let result = write_with(state.store.as_ref(), |tx| {
        for collection in schema.all() {
            let Some(auth) = collection.auth.as_ref() else {
                continue;
            };
            let oldest_valid = now - chrono::Duration::seconds(duration(auth));
            let query = RecordQuery {
                filter: Some(SqlFragment {
                    sql: format!("`{table}`.`collectionRef` = ? AND `{table}`.`created` < ?"),
                    binds: vec![
                        SqlValue::Text(collection.id.clone()),
                        SqlValue::Text(pb_core::datetime::format(oldest_valid)),
                    ],
                }),
                ..RecordQuery::default()
            };
            for row in tx.list_records(&rows_collection, &query)? {
                tx.delete_record(&rows_collection, row.id())?;
            }
        }
        Ok::<(), CoreError>(())
    });
    if let Err(error) = result {
        tracing::warn!(%error, table, "failed to delete expired rows");
    }
}
