//! One connected realtime client: its id, the auth its subscriptions were set with, its
//! subscriptions, and the bounded queue its SSE stream drains. The dispatcher never waits on a
//! client: a full queue means the client cannot keep up, and it is disconnected instead.
//!
//! A client's auth and subscriptions are versioned by a [`Sequence`] shared with the published
//! events, so that an event is judged with the subscriptions and auth the client had when the
//! change was published, even if the dispatcher gets to it later: a client that unsubscribes
//! right after a write still gets its event, one that subscribes right after does not (as in
//! PocketBase, which judges events inside the write).

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use actix_web::web::Bytes;
use tokio::sync::mpsc;

use crate::auth::request_auth::AuthContext;
use crate::realtime::subscriptions::Subscription;

/// Messages a client may have queued before it counts as too slow and is dropped.
pub const QUEUE_CAPACITY: usize = 1024;

/// One SSE message on its way to a client. The data is shared by every client of the same
/// group; the frame around it (`id`, `event`) is written when the stream sends it.
#[derive(Debug, Clone)]
pub struct Message {
    /// The SSE event name: the subscription string.
    pub event: Arc<str>,
    /// The JSON of the `data:` line.
    pub data: Bytes,
}

/// What became of a message handed to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Queued,
    /// The queue is full: the client is too slow.
    Full,
    /// The client is gone.
    Closed,
}

/// Who a client is and what it listens to, as set by its last `POST /api/realtime`. Cheap to
/// clone, so the dispatcher works on a copy without holding the client's lock.
#[derive(Debug, Clone, Default)]
pub struct ClientState {
    pub auth: Option<Arc<AuthContext>>,
    pub subscriptions: Arc<[Subscription]>,
}

impl ClientState {
    /// The identity rule checks depend on: `(collection id, record id)` of the auth record.
    pub fn auth_key(&self) -> Option<(String, String)> {
        self.auth.as_deref().map(auth_key)
    }
}

fn auth_key(auth: &AuthContext) -> (String, String) {
    (auth.collection.id.clone(), auth.record.id().to_string())
}

/// The 403 of a `POST /api/realtime` whose auth differs from the one the client has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthMismatch;

/// Numbers that order published events and client state changes.
#[derive(Debug, Default)]
pub struct Sequence {
    last: AtomicU64,
    /// Every event numbered up to this one has been dispatched.
    dispatched: AtomicU64,
    /// Bumped whenever a client's subscriptions change or a client leaves, so that the
    /// dispatcher's [`InterestIndex`](crate::realtime::interest::InterestIndex) is rebuilt.
    interest: AtomicU64,
}

impl Sequence {
    /// The next number.
    pub fn next(&self) -> u64 {
        self.last.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Records that event `number` (and every one before it) has been dispatched.
    pub fn dispatched(&self, number: u64) {
        self.dispatched.fetch_max(number, Ordering::AcqRel);
    }

    /// Marks the clients' subscriptions as changed. Called before the change is numbered, so
    /// that any event numbered after it sees the new generation.
    pub fn interest_changed(&self) {
        self.interest.fetch_add(1, Ordering::SeqCst);
    }

    /// The current generation of subscriptions.
    pub fn interest_generation(&self) -> u64 {
        self.interest.load(Ordering::SeqCst)
    }

    /// The smallest number an event still to be dispatched can have.
    fn oldest_pending(&self) -> u64 {
        self.dispatched.load(Ordering::Acquire) + 1
    }
}

/// A connected client.
#[derive(Debug)]
pub struct Client {
    pub id: String,
    /// The address the stream was opened from; subscriptions must come from it too.
    remote_ip: Option<IpAddr>,
    /// Taken out (dropped) on close, which wakes and ends the stream.
    sender: Mutex<Option<mpsc::Sender<Message>>>,
    closed: AtomicBool,
    /// `(number it took effect at, state)`, oldest first, never empty; versions no pending
    /// event can need are dropped as new ones come.
    versions: Mutex<VecDeque<(u64, ClientState)>>,
}

impl Client {
    /// A client and the receiving end of its queue.
    pub fn new(id: String, remote_ip: Option<IpAddr>) -> (Client, mpsc::Receiver<Message>) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let client = Client {
            id,
            remote_ip,
            sender: Mutex::new(Some(sender)),
            closed: AtomicBool::new(false),
            versions: Mutex::new(VecDeque::from([(0, ClientState::default())])),
        };
        (client, receiver)
    }

    /// Whether a request from `ip` may act for this client.
    pub fn accepts_from(&self, ip: Option<IpAddr>) -> bool {
        self.remote_ip == ip
    }

    /// The client's current auth and subscriptions.
    pub fn state(&self) -> ClientState {
        lock(&self.versions)
            .back()
            .map(|(_, state)| state.clone())
            .unwrap_or_default()
    }

    /// The client's auth and subscriptions as they were when event `number` was published.
    pub fn state_at(&self, number: u64) -> ClientState {
        lock(&self.versions)
            .iter()
            .rev()
            .find(|(since, _)| *since <= number)
            .map(|(_, state)| state.clone())
            .unwrap_or_default()
    }

    /// The heads (part before `/`) of the topics of every version of this client's state
    /// that is still kept, without repeats.
    pub fn topic_heads(&self) -> Vec<Box<str>> {
        let versions = lock(&self.versions);
        let mut heads: Vec<Box<str>> = Vec::new();
        for (_, state) in versions.iter() {
            for subscription in state.subscriptions.iter() {
                let topic = subscription.topic();
                let head = topic.split_once('/').map_or(topic, |(head, _)| head);
                if !heads.iter().any(|known| &**known == head) {
                    heads.push(Box::from(head));
                }
            }
        }
        heads
    }

    /// Replaces every subscription (an empty list unsubscribes from everything) and binds the
    /// client to `auth`. A client bound to one auth record cannot switch to another (or to
    /// none): that is a 403 in PocketBase, and the client must reconnect instead.
    pub fn resubscribe(
        &self,
        sequence: &Sequence,
        auth: Option<AuthContext>,
        names: &[String],
    ) -> Result<(), AuthMismatch> {
        let mut versions = lock(&self.versions);
        let current = versions
            .back()
            .map(|(_, state)| state.clone())
            .unwrap_or_default();
        if let Some(previous) = current.auth.as_deref() {
            if auth.as_ref().map(auth_key) != Some(auth_key(previous)) {
                return Err(AuthMismatch);
            }
        }
        let mut subscriptions: Vec<Subscription> = Vec::with_capacity(names.len());
        for name in names.iter().filter(|name| !name.is_empty()) {
            if subscriptions
                .iter()
                .all(|existing| &*existing.name != name.as_str())
            {
                subscriptions.push(Subscription::parse(name));
            }
        }
        let state = ClientState {
            auth: auth.map(Arc::new),
            subscriptions: subscriptions.into(),
        };
        sequence.interest_changed();
        push_version(&mut versions, sequence, state);
        Ok(())
    }

    /// Keeps the stored auth in step with its record (`None`: deleted): a newer version of it
    /// replaces the old one, unless its token key changed (password change, logout
    /// everywhere), which drops it like a delete does.
    pub fn refresh_auth(
        &self,
        sequence: &Sequence,
        collection_id: &str,
        id: &str,
        record: Option<&pb_core::Record>,
    ) {
        let mut versions = lock(&self.versions);
        let Some(mut state) = versions.back().map(|(_, state)| state.clone()) else {
            return;
        };
        let Some(current) = state.auth.as_deref() else {
            return;
        };
        if current.collection.id != collection_id || current.record.id() != id {
            return;
        }
        state.auth = match record {
            Some(record) if record.get_str("tokenKey") == current.record.get_str("tokenKey") => {
                Some(Arc::new(AuthContext {
                    collection: Arc::clone(&current.collection),
                    record: record.clone(),
                }))
            }
            _ => None,
        };
        push_version(&mut versions, sequence, state);
    }

    /// Whether the client is now subscribed to exactly `name`.
    pub fn has_subscription(&self, name: &str) -> bool {
        self.state()
            .subscriptions
            .iter()
            .any(|subscription| &*subscription.name == name)
    }

    /// Queues `message` without waiting.
    pub fn deliver(&self, message: Message) -> Delivery {
        let sender = lock(&self.sender);
        let Some(sender) = sender.as_ref() else {
            return Delivery::Closed;
        };
        match sender.try_send(message) {
            Ok(()) => Delivery::Queued,
            Err(mpsc::error::TrySendError::Full(_)) => Delivery::Full,
            Err(mpsc::error::TrySendError::Closed(_)) => Delivery::Closed,
        }
    }

    /// Ends the client's stream at its next poll, dropping what is still queued.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        lock(&self.sender).take();
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// Adds `state` as the newest version, numbered now, and drops the versions that no event
/// still to be dispatched can need (all but the newest one in effect at the oldest pending
/// event, and those after it).
fn push_version(
    versions: &mut VecDeque<(u64, ClientState)>,
    sequence: &Sequence,
    state: ClientState,
) {
    versions.push_back((sequence.next(), state));
    let oldest_pending = sequence.oldest_pending();
    while versions.len() > 1 && versions[1].0 <= oldest_pending {
        versions.pop_front();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            event: Arc::from("posts/*"),
            data: Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn a_full_queue_reports_the_client_as_too_slow() {
        let (client, mut receiver) = Client::new("c".into(), None);
        for _ in 0..QUEUE_CAPACITY {
            assert_eq!(client.deliver(message()), Delivery::Queued);
        }
        assert_eq!(client.deliver(message()), Delivery::Full);
        assert!(receiver.try_recv().is_ok());
        assert_eq!(client.deliver(message()), Delivery::Queued);
        client.close();
        assert!(client.is_closed());
        assert_eq!(client.deliver(message()), Delivery::Closed);
    }

    #[test]
    fn subscriptions_are_replaced_deduplicated_and_bound_to_one_auth() {
        let (client, _receiver) = Client::new("c".into(), None);
        let names = [
            "a/*".to_string(),
            String::new(),
            "a/*".to_string(),
            "b".to_string(),
        ];
        let sequence = Sequence::default();
        client.resubscribe(&sequence, None, &names).unwrap();
        let state = client.state();
        let kept: Vec<&str> = state.subscriptions.iter().map(|s| &*s.name).collect();
        assert_eq!(kept, ["a/*", "b"]);
        assert!(client.has_subscription("b"));
        client.resubscribe(&sequence, None, &[]).unwrap();
        assert!(client.state().subscriptions.is_empty());
    }

    #[test]
    fn events_see_the_subscriptions_of_their_time() {
        let sequence = Sequence::default();
        let (client, _receiver) = Client::new("c".into(), None);
        client.resubscribe(&sequence, None, &["a".into()]).unwrap();
        let event = sequence.next();
        client.resubscribe(&sequence, None, &[]).unwrap();
        assert_eq!(client.state_at(event).subscriptions.len(), 1);
        assert!(client.state().subscriptions.is_empty());
        // Once the event is dispatched, the versions only it needed are dropped.
        sequence.dispatched(event);
        client.resubscribe(&sequence, None, &["b".into()]).unwrap();
        assert_eq!(lock(&client.versions).len(), 2);
        assert_eq!(client.state().subscriptions.len(), 1);
    }
}
