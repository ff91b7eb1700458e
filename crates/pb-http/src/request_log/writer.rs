//! The hand-off between requests and the log table: per-thread queue buffers drained by one
//! background thread that writes batches.
//!
//! A request appends its [`PendingLog`] to a byte buffer (one of [`SHARDS`], picked by the
//! request's thread, so that threads do not contend for one lock) and goes on; it never waits
//! for the database. The writer wakes every [`BATCH_WINDOW`] (or at once for a
//! [`RequestLogger::flush`]), swaps each buffer for an empty one and hands what it took to its
//! sink in batches of at most [`BATCH_SIZE`] (one transaction each). The buffers go back and
//! forth and keep their capacity, so a steady stream of logs allocates nothing per request and
//! no thread frees what another allocated. A buffer holding [`SHARD_CAPACITY`] bytes takes no
//! more logs until drained: they are dropped and counted ([`RequestLogger::dropped`]); losing a
//! log line is better than slowing every request down when the disk stalls.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::encoding;
use super::entry::PendingLog;

/// Queue buffers; a thread always uses the same one.
pub const SHARDS: usize = 16;
/// Bytes one queue buffer holds at most (some 150,000 typical logs: a few windows' worth of a
/// busy server whose requests all run on one thread).
pub const SHARD_CAPACITY: usize = 32 << 20;
/// Logs written per batch (one transaction) at most: a few windows' worth for a server answering
/// some 20,000 requests a second.
pub const BATCH_SIZE: usize = 65_536;
/// How often the writer takes what the buffers hold: PocketBase's logs also take up to 3
/// seconds to appear. Fewer, larger transactions cost less per log (fewer commits and
/// checkpoints, and in a data dir PocketBase created, whose `_logs` indexes `message`, fewer
/// rewrites of the index pages each batch lands all over). The logs API does not wait for the
/// window: it flushes what is queued before it reads.
pub const BATCH_WINDOW: Duration = Duration::from_secs(3);
/// A drained buffer larger than this that was mostly empty is shrunk (after a burst).
const KEEP_CAPACITY: usize = 1 << 20;

/// Requests to the writer thread besides its timer.
enum Control {
    /// Write everything queued before this, then answer.
    Flush(SyncSender<()>),
}

/// One queue buffer.
#[derive(Default)]
struct Shard {
    queued: Mutex<Vec<u8>>,
}

impl Shard {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panic while appending leaves at worst a cut log, which decoding skips.
        self.queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The buffer of the calling thread: threads take the next one the first time they log.
fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    INDEX.with(|index| *index)
}

/// The sending side, shared by every request.
pub struct RequestLogger {
    shards: Arc<[Shard]>,
    capacity: usize,
    control: SyncSender<Control>,
    receiver: Mutex<Option<Receiver<Control>>>,
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
        RequestLogger::new(SHARD_CAPACITY)
    }
}

impl RequestLogger {
    /// A logger whose buffers hold `capacity` bytes each; nothing is written until
    /// [`Self::start`].
    pub fn new(capacity: usize) -> RequestLogger {
        let (control, receiver) = mpsc::sync_channel(64);
        RequestLogger {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            capacity,
            control,
            receiver: Mutex::new(Some(receiver)),
            dropped: AtomicU64::new(0),
        }
    }

    /// Queues `log` without waiting; drops and counts it when the thread's buffer is full.
    pub fn submit(&self, log: &PendingLog<'_>) {
        let mut queued = self.shards[shard_index()].lock();
        if queued.len() >= self.capacity {
            drop(queued);
            let before = self.dropped.fetch_add(1, Ordering::Relaxed);
            if before.is_power_of_two() {
                tracing::warn!(dropped = before + 1, "request log queue full; logs dropped");
            }
            return;
        }
        encoding::encode(log, &mut queued);
    }

    /// Logs dropped because a queue buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Whether [`Self::start`] took the control channel's receiving end for a writer thread.
    fn started(&self) -> bool {
        match self.receiver.lock() {
            Ok(slot) => slot.is_none(),
            Err(poisoned) => poisoned.into_inner().is_none(),
        }
    }

    /// Starts the writer thread, which hands each batch to `sink` (oldest log first). Only the
    /// first call starts one; later calls return `false`.
    pub fn start(&self, sink: impl FnMut(&[PendingLog<'_>]) + Send + 'static) -> bool {
        let receiver = match self.receiver.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        let Some(receiver) = receiver else {
            return false;
        };
        let shards = Arc::clone(&self.shards);
        let spawned = std::thread::Builder::new()
            .name("pb-request-logs".into())
            .spawn(move || run(&shards, &receiver, sink));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the request log writer");
            return false;
        }
        true
    }

    /// Waits (up to `timeout`) until every log queued before this call has been written;
    /// `false` at once when no writer was started.
    pub fn flush(&self, timeout: Duration) -> bool {
        if !self.started() {
            return false;
        }
        let (done_sender, done) = mpsc::sync_channel(1);
        if self.control.try_send(Control::Flush(done_sender)).is_err() {
            return false;
        }
        done.recv_timeout(timeout).is_ok()
    }
}

/// The writer thread: drains the buffers every window, and at once when asked to flush.
fn run(shards: &[Shard], control: &Receiver<Control>, mut sink: impl FnMut(&[PendingLog<'_>])) {
    let mut drained: Vec<Vec<u8>> = shards.iter().map(|_| Vec::new()).collect();
    loop {
        let mut flushes = Vec::new();
        let stopping = match control.recv_timeout(BATCH_WINDOW) {
            Ok(Control::Flush(done)) => {
                flushes.push(done);
                false
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        while let Ok(Control::Flush(done)) = control.try_recv() {
            flushes.push(done);
        }
        write_queued(shards, &mut drained, &mut sink);
        for done in flushes {
            let _ = done.try_send(());
        }
        if stopping {
            return;
        }
    }
}

/// Swaps each shard's buffer with its (emptied) counterpart in `drained`, then hands every log
/// taken to `sink`, oldest first.
fn write_queued(
    shards: &[Shard],
    drained: &mut [Vec<u8>],
    sink: &mut impl FnMut(&[PendingLog<'_>]),
) {
    for (shard, buffer) in shards.iter().zip(drained.iter_mut()) {
        if buffer.capacity() > KEEP_CAPACITY && buffer.len() < buffer.capacity() / 4 {
            buffer.shrink_to(buffer.len().max(KEEP_CAPACITY / 4));
        }
        buffer.clear();
        std::mem::swap(&mut *shard.lock(), buffer);
    }
    let mut logs = Vec::new();
    for buffer in drained.iter() {
        encoding::decode_all(buffer, &mut logs);
    }
    if logs.is_empty() {
        return;
    }
    // Each buffer is in order; interleave them by time (a stable sort of a few sorted runs).
    logs.sort_by_key(|log| log.created);
    for batch in logs.chunks(BATCH_SIZE) {
        sink(batch);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn log(status: u16) -> PendingLog<'static> {
        PendingLog {
            created: chrono::DateTime::UNIX_EPOCH + chrono::Duration::milliseconds(status.into()),
            method: "GET",
            uri: "/",
            status,
            exec_time_ms: 0.0,
            referer: "",
            user_agent: "",
            ips: None,
            token: None,
            log_auth_id: false,
            failure: None,
        }
    }

    #[test]
    fn batches_from_every_thread_reach_the_sink_in_time_order_and_flush_waits_for_them() {
        let logger = Arc::new(RequestLogger::new(SHARD_CAPACITY));
        let batches: Arc<Mutex<Vec<Vec<u16>>>> = Arc::default();
        let seen = Arc::clone(&batches);
        assert!(logger.start(move |batch| {
            seen.lock()
                .unwrap()
                .push(batch.iter().map(|log| log.status).collect());
        }));
        assert!(!logger.start(|_| {}), "one writer only");
        let threads: Vec<_> = (0..3u16)
            .map(|thread| {
                let logger = Arc::clone(&logger);
                std::thread::spawn(move || {
                    for status in (0..600).filter(|status| status % 3 == thread) {
                        logger.submit(&log(status));
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert!(logger.flush(Duration::from_secs(10)));
        let batches = batches.lock().unwrap();
        let all: Vec<u16> = batches.iter().flatten().copied().collect();
        assert_eq!(all, (0..600).collect::<Vec<u16>>());
        assert!(batches.iter().all(|batch| batch.len() <= BATCH_SIZE));
        assert_eq!(logger.dropped(), 0);
    }

    #[test]
    fn a_full_buffer_drops_and_counts_instead_of_blocking() {
        let logger = RequestLogger::new(1);
        for status in 0..5 {
            logger.submit(&log(status));
        }
        // The first log fills this thread's buffer; the other four are dropped.
        assert_eq!(logger.dropped(), 4);
    }

    #[test]
    fn flush_without_a_writer_answers_false_without_waiting() {
        let logger = RequestLogger::new(SHARD_CAPACITY);
        logger.submit(&log(1));
        let asked = std::time::Instant::now();
        assert!(!logger.flush(Duration::from_secs(30)));
        assert!(asked.elapsed() < Duration::from_secs(5));
    }
}
