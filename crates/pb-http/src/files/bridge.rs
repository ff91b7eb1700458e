//! The async runtime behind the blocking [`pb_core::ports::FileStore`]: `object_store` is async
//! (its S3 client needs tokio's I/O driver), while the store port blocks, and handlers call it
//! from actix's blocking pool. The bridge owns a small multi-thread runtime of its own, so the
//! futures run on threads that drive their I/O, whatever thread waits for them, and actix's
//! per-worker runtimes are never blocked.
//!
//! Three shapes of crossing: [`Bridge::run`] waits for one future; [`Bridge::read_stream`]
//! turns a byte stream into a blocking [`Read`]; uploads feed chunks through a bounded channel
//! (see `object.rs`).

use std::future::Future;
use std::io::Read;
use std::sync::mpsc as std_mpsc;

use actix_web::web::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use tokio::runtime::{Handle, Runtime};
use tokio::sync::mpsc;

/// Worker threads of the bridge runtime; the work is I/O bound.
const WORKER_THREADS: usize = 2;
/// Chunks a download may run ahead of its reader.
const READ_AHEAD: usize = 4;

/// A runtime for storage futures, shut down without waiting when dropped (dropping may happen
/// on an async thread, where a blocking shutdown would panic).
pub struct Bridge {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl Bridge {
    pub fn new() -> std::io::Result<Bridge> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKER_THREADS)
            .thread_name("pb-files")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Bridge {
            runtime: Some(runtime),
            handle,
        })
    }

    /// The runtime's handle, for spawning.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` on the bridge runtime and blocks until it is done. Must not be called from
    /// async code (it blocks the calling thread); `None` if the runtime shut down under it.
    pub fn run<F>(&self, future: F) -> Option<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (sender, receiver) = std_mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let output = future.await;
            let _ = sender.send(output);
        });
        receiver.recv().ok()
    }

    /// A blocking reader over `stream`, pulled on the bridge runtime a few chunks ahead.
    pub fn read_stream(
        &self,
        mut stream: BoxStream<'static, Result<Bytes, std::io::Error>>,
    ) -> StreamReader {
        let (sender, receiver) = mpsc::channel(READ_AHEAD);
        self.handle.spawn(async move {
            while let Some(chunk) = stream.next().await {
                let failed = chunk.is_err();
                if sender.send(chunk).await.is_err() || failed {
                    break;
                }
            }
        });
        StreamReader {
            receiver,
            current: Bytes::new(),
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A [`Read`] over chunks produced on the bridge runtime.
pub struct StreamReader {
    receiver: mpsc::Receiver<Result<Bytes, std::io::Error>>,
    current: Bytes,
}

impl Read for StreamReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.receiver.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
        let length = buffer.len().min(self.current.len());
        buffer[..length].copy_from_slice(&self.current.split_to(length));
        Ok(length)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn runs_futures_and_reads_streams_from_plain_threads() {
        let bridge = Bridge::new().unwrap();
        assert_eq!(bridge.run(async { 40 + 2 }), Some(42));
        let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
            Ok(Bytes::from_static(b"hello ")),
            Ok(Bytes::new()),
            Ok(Bytes::from_static(b"world")),
        ];
        let mut reader = bridge.read_stream(futures_util::stream::iter(chunks).boxed());
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        assert_eq!(text, "hello world");
    }
}
