//! Fixed-window request counters, one per (limiter, client IP), as PocketBase counts: a window
//! opens with a client's first request and allows `max_requests` until `duration` seconds have
//! passed since it opened; the next request after that opens a new window.
//!
//! A fixed window rather than `governor`'s GCRA on purpose: clients see exactly PocketBase's
//! behaviour (a burst of `max_requests`, then 429 until the window ends). The map is bounded:
//! [`Counters::sweep`] (a cron job, as in PocketBase) drops windows idle for a long time, and
//! when the map still reaches [`MAX_CLIENTS`] it is swept at once, then cleared if need be.

use std::collections::HashMap;
use std::sync::Mutex;

/// Counters kept at most; beyond it old ones are dropped.
pub const MAX_CLIENTS: usize = 100_000;
/// A window that ended this many seconds ago is forgotten by a sweep (PocketBase's 1800).
pub const IDLE_SECONDS: u64 = 1800;

#[derive(Debug, Clone, Copy)]
struct Window {
    start: u64,
    duration: u64,
    available: u64,
}

/// All counters of the process.
#[derive(Debug, Default)]
pub struct Counters {
    windows: Mutex<HashMap<(String, String), Window>>,
}

impl Counters {
    pub fn new() -> Counters {
        Counters::default()
    }

    /// Counts one request of `client` against limiter `limiter` at `now` (Unix seconds);
    /// `false` when its window's allowance is used up.
    pub fn allow(
        &self,
        limiter: &str,
        client: &str,
        max_requests: u64,
        duration: u64,
        now: u64,
    ) -> bool {
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let key = (limiter.to_string(), client.to_string());
        if !windows.contains_key(&key) && windows.len() >= MAX_CLIENTS {
            windows.retain(|_, window| !is_idle(window, now));
            if windows.len() >= MAX_CLIENTS {
                windows.clear();
            }
        }
        let window = windows.entry(key).or_insert(Window {
            start: 0,
            duration,
            available: 0,
        });
        if now.saturating_sub(window.start) >= duration {
            window.start = now;
            window.duration = duration;
            window.available = max_requests;
        }
        if window.available > 0 {
            window.available -= 1;
            true
        } else {
            false
        }
    }

    /// Forgets windows that ended more than [`IDLE_SECONDS`] before `now`.
    pub fn sweep(&self, now: u64) {
        if let Ok(mut windows) = self.windows.lock() {
            windows.retain(|_, window| !is_idle(window, now));
            windows.shrink_to_fit();
        }
    }

    /// Forgets every window (after the rules changed).
    pub fn clear(&self) {
        if let Ok(mut windows) = self.windows.lock() {
            *windows = HashMap::new();
        }
    }

    /// How many windows are kept.
    pub fn len(&self) -> usize {
        self.windows
            .lock()
            .map(|windows| windows.len())
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn is_idle(window: &Window, now: u64) -> bool {
    now.saturating_sub(window.start + window.duration) > IDLE_SECONDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_maximum_then_resets() {
        let counters = Counters::new();
        assert!(counters.allow("r", "1.1.1.1", 2, 3, 100));
        assert!(counters.allow("r", "1.1.1.1", 2, 3, 101));
        assert!(!counters.allow("r", "1.1.1.1", 2, 3, 102));
        assert!(counters.allow("r", "2.2.2.2", 2, 3, 102), "clients apart");
        assert!(
            counters.allow("other", "1.1.1.1", 2, 3, 102),
            "limiters apart"
        );
        assert!(counters.allow("r", "1.1.1.1", 2, 3, 103), "new window");
    }

    #[test]
    fn sweeps_forget_idle_windows() {
        let counters = Counters::new();
        counters.allow("r", "a", 1, 10, 0);
        counters.allow("r", "b", 1, 10, 2000);
        counters.sweep(2000);
        assert_eq!(counters.len(), 1);
        counters.clear();
        assert!(counters.is_empty());
    }
}
