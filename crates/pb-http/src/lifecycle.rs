//! The server's own life: a request to restart (after a backup restore swapped the data dir in)
//! stops the server gracefully, like a stop signal; the binary then starts itself again on the
//! same arguments.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Whether, and when, the process should start itself anew.
#[derive(Debug, Default)]
pub struct Lifecycle {
    restart: AtomicBool,
    stop: Notify,
}

impl Lifecycle {
    /// Asks the server to stop gracefully and the binary to re-execute itself.
    pub fn request_restart(&self) {
        self.restart.store(true, Ordering::SeqCst);
        // `notify_one` keeps a permit when nobody waits yet, so the request is never missed.
        self.stop.notify_one();
    }

    /// Whether a restart was asked for (checked by the binary once the server has stopped).
    pub fn restart_requested(&self) -> bool {
        self.restart.load(Ordering::SeqCst)
    }

    /// Resolves when a restart is asked for.
    pub async fn stopping(&self) {
        self.stop.notified().await;
    }
}

#[cfg(test)]
mod tests {
    use super::Lifecycle;

    #[actix_web::test]
    async fn a_request_made_before_anyone_waits_is_kept() {
        let lifecycle = Lifecycle::default();
        assert!(!lifecycle.restart_requested());
        lifecycle.request_restart();
        lifecycle.stopping().await;
        assert!(lifecycle.restart_requested());
    }
}
