//! Short-lived, in-memory limits of the auth flows, kept per process as PocketBase keeps them in
//! its app store: "a verification / password-reset mail went out less than two minutes ago"
//! and "at most 5 OTP attempts per record and client IP in 3 minutes". They are deliberately
//! not persisted: a restart forgets them, which only re-allows a mail or a few guesses.
//!
//! Both are fixed windows keyed by a string; stale keys are pruned when the table grows.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a sent verification or password-reset mail blocks the next one.
pub const RESEND_WINDOW: Duration = Duration::from_secs(120);
/// The OTP guessing window and its budget.
pub const OTP_ATTEMPT_WINDOW: Duration = Duration::from_secs(180);
pub const OTP_MAX_ATTEMPTS: u32 = 5;

/// Prune stale entries once a table holds this many keys (or twice what survived the last
/// pruning, so a table full of live keys is not scanned on every use).
const PRUNE_AT: usize = 4096;

/// A window that started at `started` and has been used `count` times.
#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    count: u32,
}

/// A table of fixed windows of one length.
#[derive(Debug)]
pub struct Windows {
    length: Duration,
    entries: Mutex<Entries>,
}

#[derive(Debug)]
struct Entries {
    windows: HashMap<String, Window>,
    prune_at: usize,
}

impl Windows {
    pub fn new(length: Duration) -> Windows {
        Windows {
            length,
            entries: Mutex::new(Entries {
                windows: HashMap::new(),
                prune_at: PRUNE_AT,
            }),
        }
    }

    fn with_entries<T>(&self, work: impl FnOnce(&mut HashMap<String, Window>) -> T) -> T {
        let mut guard = match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if guard.windows.len() >= guard.prune_at {
            let length = self.length;
            guard
                .windows
                .retain(|_, window| window.started.elapsed() < length);
            guard.prune_at = PRUNE_AT.max(guard.windows.len() * 2);
        }
        work(&mut guard.windows)
    }

    /// Counts one use of `key`; `false` once more than `max` uses fall in the current window.
    pub fn consume(&self, key: &str, max: u32) -> bool {
        let length = self.length;
        self.with_entries(|entries| {
            let window = entries.entry(key.to_string()).or_insert(Window {
                started: Instant::now(),
                count: 0,
            });
            if window.started.elapsed() >= length {
                *window = Window {
                    started: Instant::now(),
                    count: 0,
                };
            }
            window.count = window.count.saturating_add(1);
            window.count <= max
        })
    }

    /// Starts a window for `key` (a mail just went out).
    pub fn mark(&self, key: &str) {
        self.with_entries(|entries| {
            entries.insert(
                key.to_string(),
                Window {
                    started: Instant::now(),
                    count: 1,
                },
            );
        });
    }

    /// Whether `key` has a window that is still open.
    pub fn is_marked(&self, key: &str) -> bool {
        let length = self.length;
        self.with_entries(|entries| {
            entries
                .get(key)
                .is_some_and(|window| window.started.elapsed() < length)
        })
    }

    /// Forgets `key`.
    pub fn clear(&self, key: &str) {
        self.with_entries(|entries| {
            entries.remove(key);
        });
    }
}

/// Recently sent verification and password-reset mails.
pub fn resend_marks() -> &'static Windows {
    static MARKS: OnceLock<Windows> = OnceLock::new();
    MARKS.get_or_init(|| Windows::new(RESEND_WINDOW))
}

/// OTP attempts per record and client.
pub fn otp_attempts() -> &'static Windows {
    static ATTEMPTS: OnceLock<Windows> = OnceLock::new();
    ATTEMPTS.get_or_init(|| Windows::new(OTP_ATTEMPT_WINDOW))
}

/// The resend key of a flow (`verification`, `passwordReset`) for one record.
pub fn resend_key(flow: &str, collection_id: &str, record_id: &str) -> String {
    format!("{flow}:{collection_id}:{record_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_max_uses_then_refuses() {
        let windows = Windows::new(Duration::from_secs(60));
        for _ in 0..5 {
            assert!(windows.consume("otp:a", 5));
        }
        assert!(!windows.consume("otp:a", 5));
        assert!(windows.consume("otp:b", 5), "keys are independent");
    }

    #[test]
    fn an_elapsed_window_starts_over() {
        let windows = Windows::new(Duration::ZERO);
        assert!(windows.consume("k", 1));
        assert!(windows.consume("k", 1));
        windows.mark("m");
        assert!(!windows.is_marked("m"));
    }

    #[test]
    fn marks_last_until_cleared() {
        let windows = Windows::new(Duration::from_secs(60));
        assert!(!windows.is_marked("m"));
        windows.mark("m");
        assert!(windows.is_marked("m"));
        windows.clear("m");
        assert!(!windows.is_marked("m"));
    }
}
