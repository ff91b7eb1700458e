//! What a settings save (and start-up, which loads the settings) does to the logs already
//! stored, as PocketBase does on every settings reload: the logs the `logs` settings no longer keep go at once — those created `maxDays`
//! days ago or earlier (all of them for `maxDays = 0`) and those below `minLevel` — and with
//! logging turned off (`maxDays = 0`) `auxiliary.db` is vacuumed to give the space back.
//! The daily-style pruning of [`crate::cron::system_jobs`] keeps doing the age part later on.
//!
//! Blocking: runs on the blocking pool, before the settings answer is sent.

use chrono::{DateTime, Utc};

use crate::state::AppState;

/// The cutoff of `max_days` at `now`: logs created at or before it are stale.
pub fn stale_before(now: DateTime<Utc>, max_days: i64) -> String {
    pb_core::datetime::format(now - chrono::Duration::days(max_days.max(0)))
}

/// Deletes the stored logs the current settings no longer keep; failures are logged.
pub fn prune_after_settings_change(state: &AppState) {
    let Some(log_store) = state.ops.log_store.as_ref() else {
        return;
    };
    let logs = state.ops.settings.get().logs.clone();
    let cutoff = stale_before(Utc::now(), logs.max_days);
    if let Err(error) = log_store.delete_stale(&cutoff, logs.min_level) {
        tracing::warn!(%error, "cannot delete the logs the new settings do not keep");
    }
    if logs.max_days <= 0 {
        if let Err(error) = log_store.vacuum() {
            tracing::warn!(%error, "cannot vacuum the logs database");
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_max_days_back() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T03:20:00.5Z")
            .unwrap()
            .to_utc();
        assert_eq!(stale_before(now, 5), "2026-11-18 03:20:00.500Z");
        assert_eq!(stale_before(now, 0), "2026-11-23 03:20:00.500Z");
    }
}
