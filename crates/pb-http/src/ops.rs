//! The operating side of the server, grouped in one [`Ops`] value of the state: the settings
//! the request path reads ([`LiveSettingsCell`]), the request log queue, the rate limit
//! counters, the cron jobs, and the stores they work on ([`LogStore`] for `_logs`,
//! [`Maintenance`] for the nightly optimize).
//!
//! [`start`] starts the background parts (the log writer, the cron scheduler with PocketBase's
//! system jobs); [`Ops::settings_changed`] applies a committed settings change.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use pb_core::logs::LogStore;
use pb_core::ports::Maintenance;
use serde_json::Value;

use crate::cron::Crons;
use crate::live_settings::{LiveSettings, LiveSettingsCell};
use crate::rate_limit::counter::Counters;
use crate::request_log::RequestLogger;
use crate::state::AppState;

/// PocketBase's job that forgets idle rate limit windows, registered once limits are in use.
pub const RATE_LIMITERS_CLEANUP: &str = "__pbRateLimitersCleanup__";

/// See the module docs.
pub struct Ops {
    pub settings: LiveSettingsCell,
    pub request_log: RequestLogger,
    pub rate_limits: Arc<Counters>,
    pub crons: Arc<Crons>,
    /// Where request logs go; without one nothing is logged and the logs API lists nothing.
    pub log_store: Option<Arc<dyn LogStore>>,
    /// The databases `__pbDBOptimize__` tends.
    pub maintenance: Vec<Arc<dyn Maintenance>>,
    cleanup_registered: AtomicBool,
}

impl std::fmt::Debug for Ops {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Ops")
            .field("settings", &self.settings)
            .field("crons", &self.crons)
            .finish_non_exhaustive()
    }
}

impl Ops {
    /// Operations over the stored settings document `settings`, with no log store yet.
    pub fn new(settings: &Value) -> Ops {
        Ops {
            settings: LiveSettingsCell::new(LiveSettings::from_json(settings)),
            request_log: RequestLogger::default(),
            rate_limits: Arc::new(Counters::new()),
            crons: Arc::new(Crons::new()),
            log_store: None,
            maintenance: Vec::new(),
            cleanup_registered: AtomicBool::new(false),
        }
    }

    pub fn has_log_store(&self) -> bool {
        self.log_store.is_some()
    }

    /// Applies committed settings: the request path sees them from now on, and the rate limit
    /// counters start afresh (as PocketBase resets its limiters on a settings reload).
    pub fn settings_changed(&self, settings: &Value) {
        self.settings.replace(LiveSettings::from_json(settings));
        self.rate_limits.clear();
        if self.cleanup_registered.swap(false, Ordering::SeqCst) {
            self.crons.remove(RATE_LIMITERS_CLEANUP);
        }
    }

    /// Registers the hourly sweep of idle rate limit windows the first time limits are used.
    pub fn ensure_rate_limit_cleanup(&self) {
        if self.cleanup_registered.swap(true, Ordering::SeqCst) {
            return;
        }
        let counters = Arc::clone(&self.rate_limits);
        let registered = self
            .crons
            .register(RATE_LIMITERS_CLEANUP, "2 * * * *", move || {
                counters.sweep(unix_now());
            });
        if let Err(error) = registered {
            tracing::error!(%error, "cannot register the rate limiters cleanup");
        }
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// Starts the request log writer and the cron scheduler with PocketBase's system jobs (and
/// the automatic backups, when the settings schedule them).
pub fn start(state: &Arc<AppState>) {
    // Start-up loads the settings: PocketBase prunes the logs they do not keep then as well.
    crate::request_log::retention::prune_after_settings_change(state);
    if let Some(log_store) = state.ops.log_store.clone() {
        crate::request_log::start_writer(state, log_store);
    }
    crate::cron::system_jobs::register(state);
    let stored = pb_core::ports::read_with(state.store.as_ref(), |tx| {
        Ok(tx.get_param(pb_core::settings::SETTINGS_KEY)?)
    });
    match stored {
        Ok(Some(settings)) => crate::backups::schedule::sync(state, &settings),
        Ok(None) => {}
        Err(error) => tracing::error!(%error, "cannot read the settings; no automatic backups"),
    }
    state.ops.crons.start();
}
