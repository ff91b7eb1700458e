//! Automatic backups on the settings' `backups.cron`: the job `__pbAutoBackup__` is
//! registered with the cron scheduler at start-up and again after every settings change, and
//! removed while the expression is empty (the default).

use std::sync::{Arc, Weak};

use serde_json::Value;

use crate::backups::service::{run_auto_backup, AUTO_BACKUP_CRON_ID};
use crate::state::AppState;

/// Brings the auto-backup job in line with `settings` (the stored settings document).
pub fn sync(state: &Arc<AppState>, settings: &Value) {
    let expression = settings
        .get("backups")
        .and_then(|backups| backups.get("cron"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim();
    let crons = &state.ops.crons;
    crons.remove(AUTO_BACKUP_CRON_ID);
    if expression.is_empty() {
        return;
    }
    // Weak: the scheduler lives in the state, and must not keep it alive.
    let weak: Weak<AppState> = Arc::downgrade(state);
    let registered = crons.register(AUTO_BACKUP_CRON_ID, expression, move || {
        let Some(state) = weak.upgrade() else {
            return;
        };
        match run_auto_backup(&state) {
            Ok(name) => tracing::info!(name, "automatic backup created"),
            Err(error) => tracing::error!(%error, "automatic backup failed"),
        }
    });
    if let Err(error) = registered {
        tracing::error!(%error, expression, "invalid backups.cron; no automatic backups");
    }
}
