//! The hand-off between requests and the log table: a bounded queue drained by one background
//! thread that writes batches.
//!
//! A request only builds a [`PendingLog`] and `try_send`s it: it never waits for the database
//! or for a full queue. When the queue is full the log is dropped and counted
//! ([`RequestLogger::dropped`]); losing a log line is better than slowing every request down
//! when the disk stalls. After the first log of a batch the thread sleeps [`BATCH_WINDOW`],
//! then hands everything queued to its sink in batches of at most [`BATCH_SIZE`] (one
//! transaction each); so under load it wakes a few times a second, not once per request. [`RequestLogger::flush`] lets a stopping server write what is queued.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::entry::PendingLog;

/// Logs queued at most; more are dropped (two windows of a server answering ~16k requests a
/// second).
pub const QUEUE_CAPACITY: usize = 32_768;
/// Logs written per batch (one transaction) at most.
pub const BATCH_SIZE: usize = 16_384;
/// How long the writer lets logs gather after the first one of a batch. Each transaction
/// rewrites the `_logs` index pages its rows land on, so the cost per log falls as batches
/// grow: a second's worth is several times cheaper per row than a quarter second's.
pub const BATCH_WINDOW: Duration = Duration::from_secs(1);

enum Message {
    Log(Box<PendingLog>),
    /// Write everything queued before this, then answer.
    Flush(SyncSender<()>),
}

/// The sending side, shared by every request.
pub struct RequestLogger {
    sender: SyncSender<Message>,
    receiver: Mutex<Option<Receiver<Message>>>,
    dropped: AtomicU64,
}

impl std::fmt::Debug for RequestLogger {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("RequestLogger")
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl Default for RequestLogger {
    fn default() -> Self {
        RequestLogger::new(QUEUE_CAPACITY)
    }
}

impl RequestLogger {
    /// A logger whose queue holds `capacity` logs; nothing is written until [`Self::start`].
    pub fn new(capacity: usize) -> RequestLogger {
        let (sender, receiver) = mpsc::sync_channel(capacity);
        RequestLogger {
            sender,
            receiver: Mutex::new(Some(receiver)),
            dropped: AtomicU64::new(0),
        }
    }

    /// Queues `log` without waiting; drops and counts it when the queue is full.
    pub fn submit(&self, log: PendingLog) {
        match self.sender.try_send(Message::Log(Box::new(log))) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let before = self.dropped.fetch_add(1, Ordering::Relaxed);
                if before.is_power_of_two() {
                    tracing::warn!(dropped = before + 1, "request log queue full; logs dropped");
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Logs dropped because the queue was full (or the writer gone).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Starts the writer thread, which hands each batch to `sink`. Only the first call starts
    /// one; later calls return `false`.
    pub fn start(&self, sink: impl FnMut(Vec<PendingLog>) + Send + 'static) -> bool {
        let receiver = match self.receiver.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        let Some(receiver) = receiver else {
            return false;
        };
        let spawned = std::thread::Builder::new()
            .name("pb-request-logs".into())
            .spawn(move || drain(&receiver, sink));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the request log writer");
            return false;
        }
        true
    }

    /// Waits (up to `timeout`) until every log queued before this call has been written.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (done_sender, done) = mpsc::sync_channel(1);
        let deadline = Instant::now() + timeout;
        let mut message = Message::Flush(done_sender);
        loop {
            match self.sender.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(returned)) if Instant::now() < deadline => {
                    message = returned;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        done.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }
}

fn drain(receiver: &Receiver<Message>, mut sink: impl FnMut(Vec<PendingLog>)) {
    let mut batch: Vec<PendingLog> = Vec::with_capacity(BATCH_SIZE);
    while let Ok(first) = receiver.recv() {
        let mut flushes = Vec::new();
        sort(first, &mut batch, &mut flushes);
        // Sleep instead of waiting on the queue: a writer blocked in `recv` would be woken by
        // every single request, a context switch per request; asleep, it is woken once per
        // window and takes everything that arrived meanwhile.
        if flushes.is_empty() {
            std::thread::sleep(BATCH_WINDOW);
        }
        loop {
            while batch.len() < BATCH_SIZE {
                match receiver.try_recv() {
                    Ok(message) => sort(message, &mut batch, &mut flushes),
                    Err(_) => break,
                }
            }
            let full = batch.len() >= BATCH_SIZE;
            if !batch.is_empty() {
                sink(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(BATCH_SIZE),
                ));
            }
            if !full {
                break;
            }
        }
        for done in flushes {
            let _ = done.try_send(());
        }
    }
}

fn sort(message: Message, batch: &mut Vec<PendingLog>, flushes: &mut Vec<SyncSender<()>>) {
    match message {
        Message::Log(log) => batch.push(*log),
        Message::Flush(done) => flushes.push(done),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn log(status: u16) -> PendingLog {
        PendingLog {
            created: chrono::DateTime::UNIX_EPOCH,
            method: "GET".into(),
            uri: "/".into(),
            status,
            exec_time_ms: 0.0,
            referer: String::new(),
            user_agent: String::new(),
            ips: None,
            token: None,
            log_auth_id: false,
            failure: None,
        }
    }

    #[test]
    fn batches_reach_the_sink_and_flush_waits_for_them() {
        let logger = RequestLogger::new(1000);
        let batches: Arc<Mutex<Vec<Vec<u16>>>> = Arc::default();
        let seen = Arc::clone(&batches);
        assert!(logger.start(move |batch| {
            seen.lock()
                .unwrap()
                .push(batch.iter().map(|log| log.status).collect());
        }));
        assert!(!logger.start(|_| {}), "one writer only");
        for status in 0..600 {
            logger.submit(log(status));
        }
        assert!(logger.flush(Duration::from_secs(10)));
        let batches = batches.lock().unwrap();
        let all: Vec<u16> = batches.iter().flatten().copied().collect();
        assert_eq!(all, (0..600).collect::<Vec<u16>>());
        assert!(batches.iter().all(|batch| batch.len() <= BATCH_SIZE));
        assert_eq!(logger.dropped(), 0);
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        let logger = RequestLogger::new(2);
        for status in 0..5 {
            logger.submit(log(status));
        }
        assert_eq!(logger.dropped(), 3);
    }
}
