//! The `GET /api/realtime` response body: a Server-Sent Events stream that starts with
//! `PB_CONNECT` and then sends whatever the dispatcher queues for the client.
//!
//! The wire format is PocketBase's: `id:<clientId>\nevent:<name>\ndata:<json>\n\n`, no space
//! after the colons, one `data:` line, and the SSE `id` always the client id. No heartbeat is
//! sent (PocketBase sends none). The stream ends after [`IDLE_TIMEOUT`] without a message, after
//! [`MAX_LIFETIME`], when the client is closed (too slow, server stopping), or when the peer
//! goes away; SDKs reconnect and subscribe again. Ending or dropping the stream unregisters the
//! client.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};

use crate::realtime::client::{Client, Message};
use crate::realtime::Registry;

/// A stream that delivered nothing for this long ends (PocketBase: 5 minutes).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// No stream lives longer than this (PocketBase: 30 minutes).
pub const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// Queued messages written as one chunk at most (when more are waiting, the rest follow in
/// the next chunk).
const COALESCE_BYTES: usize = 64 * 1024;

/// A message that arrives this soon after the stream's last write waits out the rest of this
/// time, so that whatever else comes meanwhile goes out in the same write. A client that
/// hears of a change now and then gets each one at once; one listening to a busy collection
/// gets at most one write per `LINGER`, however many changes it covers: socket writes, not
/// bytes, are most of what fanning events out to many clients costs.
const LINGER: Duration = Duration::from_millis(10);

/// One SSE message.
pub fn frame(client_id: &str, event: &str, data: &[u8]) -> Bytes {
    let mut bytes = Vec::with_capacity(frame_len(client_id, event, data));
    append_frame(&mut bytes, client_id, event, data);
    Bytes::from(bytes)
}

fn frame_len(client_id: &str, event: &str, data: &[u8]) -> usize {
    client_id.len() + event.len() + data.len() + 20
}

fn append_frame(bytes: &mut Vec<u8>, client_id: &str, event: &str, data: &[u8]) {
    bytes.extend_from_slice(b"id:");
    bytes.extend_from_slice(client_id.as_bytes());
    bytes.extend_from_slice(b"\nevent:");
    bytes.extend_from_slice(event.as_bytes());
    bytes.extend_from_slice(b"\ndata:");
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(b"\n\n");
}

/// The event stream of one client.
pub struct EventStream {
    registry: Arc<Registry>,
    client: Arc<Client>,
    receiver: mpsc::Receiver<Message>,
    greeting: Option<Bytes>,
    idle: Pin<Box<Sleep>>,
    lifetime: Pin<Box<Sleep>>,
    /// When the stream last wrote messages.
    last_write: Option<Instant>,
    /// A message taken from the queue that waits for [`Self::linger`] to end.
    held: Option<Message>,
    linger: Pin<Box<Sleep>>,
}

impl EventStream {
    pub(crate) fn new(
        registry: Arc<Registry>,
        client: Arc<Client>,
        receiver: mpsc::Receiver<Message>,
    ) -> EventStream {
        let data = serde_json::json!({ "clientId": client.id }).to_string();
        let greeting = frame(&client.id, "PB_CONNECT", data.as_bytes());
        EventStream {
            registry,
            client,
            receiver,
            greeting: Some(greeting),
            idle: Box::pin(tokio::time::sleep(IDLE_TIMEOUT)),
            lifetime: Box::pin(tokio::time::sleep(MAX_LIFETIME)),
            last_write: None,
            held: None,
            linger: Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }
}

impl EventStream {
    /// `first` and whatever else is already queued (up to [`COALESCE_BYTES`]) as one chunk:
    /// under load a client gets one write for many events instead of one each, which is most
    /// of the cost of fanning an event out to many clients.
    fn coalesce(&mut self, first: Message) -> Bytes {
        let id = &self.client.id;
        let mut bytes = Vec::with_capacity(frame_len(id, &first.event, &first.data));
        append_frame(&mut bytes, id, &first.event, &first.data);
        while bytes.len() < COALESCE_BYTES {
            match self.receiver.try_recv() {
                Ok(message) => append_frame(&mut bytes, id, &message.event, &message.data),
                Err(_) => break,
            }
        }
        Bytes::from(bytes)
    }
}

impl Stream for EventStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(greeting) = this.greeting.take() {
            return Poll::Ready(Some(Ok(greeting)));
        }
        if this.client.is_closed() {
            return Poll::Ready(None);
        }
        let first = match this.held.take() {
            Some(held) => {
                if this.linger.as_mut().poll(cx).is_pending() {
                    this.held = Some(held);
                    return Poll::Pending;
                }
                Some(held)
            }
            None => match this.receiver.poll_recv(cx) {
                Poll::Ready(Some(message)) => {
                    let now = Instant::now();
                    match this.last_write.map(|last| last + LINGER) {
                        Some(until) if until > now => {
                            this.linger.as_mut().reset(until);
                            if this.linger.as_mut().poll(cx).is_pending() {
                                this.held = Some(message);
                                return Poll::Pending;
                            }
                            Some(message)
                        }
                        _ => Some(message),
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => None,
            },
        };
        if let Some(first) = first {
            let now = Instant::now();
            this.last_write = Some(now);
            this.idle.as_mut().reset(now + IDLE_TIMEOUT);
            return Poll::Ready(Some(Ok(this.coalesce(first))));
        }
        if this.idle.as_mut().poll(cx).is_ready() || this.lifetime.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.client.close();
        self.registry.remove(&self.client);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn message(event: &str) -> Message {
        Message {
            event: Arc::from(event),
            data: Bytes::from_static(b"{}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn messages_right_behind_a_write_wait_and_go_out_together() {
        let registry = Arc::new(Registry::default());
        let mut queue = None;
        let client = registry
            .insert_new(|id| {
                let (client, receiver) = Client::new(id, None);
                queue = Some(receiver);
                client
            })
            .unwrap();
        let mut stream =
            EventStream::new(Arc::clone(&registry), Arc::clone(&client), queue.unwrap());
        let id = client.id.clone();
        let greeting = stream.next().await.unwrap().unwrap();
        assert!(greeting.starts_with(format!("id:{id}\nevent:PB_CONNECT\n").as_bytes()));

        client.deliver(message("a"));
        let started = Instant::now();
        let chunk = stream.next().await.unwrap().unwrap();
        assert_eq!(
            chunk,
            frame(&id, "a", b"{}"),
            "a first message goes out at once"
        );
        assert_eq!(Instant::now(), started);

        client.deliver(message("b"));
        assert!(futures_util::poll!(stream.next()).is_pending(), "b waits");
        client.deliver(message("c"));
        let chunk = stream.next().await.unwrap().unwrap();
        assert_eq!(Instant::now() - started, LINGER);
        let mut both = frame(&id, "b", b"{}").to_vec();
        both.extend_from_slice(&frame(&id, "c", b"{}"));
        assert_eq!(chunk.to_vec(), both, "b and c in one write");

        tokio::time::advance(LINGER * 5).await;
        client.deliver(message("d"));
        let quiet = Instant::now();
        let chunk = stream.next().await.unwrap().unwrap();
        assert_eq!(chunk, frame(&id, "d", b"{}"));
        assert_eq!(
            Instant::now(),
            quiet,
            "after a quiet spell a message goes out at once"
        );
    }

    #[test]
    fn frames_have_no_space_after_colons() {
        let bytes = frame("abc", "posts/*", br#"{"action":"create"}"#);
        assert_eq!(
            &bytes[..],
            b"id:abc\nevent:posts/*\ndata:{\"action\":\"create\"}\n\n"
        );
    }
}
