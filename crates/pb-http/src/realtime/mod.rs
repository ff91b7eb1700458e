//! Realtime: clients hold a Server-Sent Events stream open (`GET /api/realtime`), say what they
//! listen to (`POST /api/realtime`), and receive every committed record change their
//! subscriptions and the collection's API rules admit, shaped as they would see the record.
//!
//! [`Realtime`] is the in-process implementation of [`pb_core::ports::Broker`]:
//!
//! * Writers call [`Broker::publish`] after their transaction commits. It only numbers and
//!   queues the event (an unbounded channel; nothing is queued while no client is connected),
//!   so a writer never waits for subscribers. The event is later judged with each client's
//!   subscriptions and auth as they were at that number (see [`client::Sequence`]).
//! * One dispatcher thread ([`dispatch`]) takes the queued events in commit order and, for each,
//!   groups the matching subscriptions by (auth record, options, rule). Per event, one query
//!   decides every group (see `StoreTx::record_matches`), and each admitted group's record is
//!   rendered and serialised once, then handed to each of the group's clients.
//! * Every client has a bounded queue drained by its SSE stream ([`sse`]). A client whose
//!   queue is full is disconnected rather than slowing anyone else down.
//!
//! Rules are judged on the record as the event carries it, not on the stored row: a create or
//! update on the values written (even if the row has changed again since), a delete on the
//! record as it was. Deletes are judged while their write transaction is still open, on a
//! reader connection, which sees the database as it was before the write: the records a
//! cascade removed along with it are still there for rules that read them, as in PocketBase
//! (see [`Realtime::prepare_cascade`]). This is the one place realtime adds to a write
//! transaction, and only for deletes while clients are connected; creates and updates are
//! judged by the dispatcher after the commit, off the writer.
//!
//! The `@oauth2` topic is a custom topic like any other: the OAuth2 redirect handler
//! (`api/oauth2_redirect.rs`) sends its result with [`Realtime::notify`] to the client whose id
//! is the OAuth2 state, then drops that subscription ([`Realtime::unsubscribe`]).

pub mod client;
pub mod dispatch;
pub mod interest;
pub mod sse;
pub mod subscriptions;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError, RwLock};

use actix_web::web::Bytes;
use pb_core::cascade::CascadeOutcome;
use pb_core::ports::{Broker, RecordAction, RecordEvent, Store};
use pb_core::Record;
use rand::distributions::Alphanumeric;
use rand::Rng;

use crate::auth::request_auth::AuthContext;
use crate::error::GENERIC_BAD_REQUEST;
use crate::realtime::client::{AuthMismatch, Client, Delivery, Message, Sequence};
use crate::realtime::dispatch::Job;
use crate::realtime::sse::EventStream;
use crate::state::SchemaCell;
use crate::txn;

/// Length of a client id (letters and digits), as PocketBase's.
pub const CLIENT_ID_LENGTH: usize = 40;

/// The connected clients, by id.
#[derive(Debug, Default)]
pub struct Registry {
    clients: RwLock<HashMap<String, Arc<Client>>>,
    count: AtomicUsize,
    /// Orders published events and client state changes.
    pub sequence: Sequence,
    /// The clients subscribed to each collection, for the dispatcher.
    pub interest: interest::InterestIndex,
}

impl Registry {
    pub fn get(&self, id: &str) -> Option<Arc<Client>> {
        self.read().get(id).cloned()
    }

    /// Every connected client.
    pub fn all(&self) -> Vec<Arc<Client>> {
        self.read().values().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    /// Adds a client under a fresh id; `None` if ids kept colliding (they do not).
    fn insert_new(&self, mut make: impl FnMut(String) -> Client) -> Option<Arc<Client>> {
        let mut clients = self.clients.write().unwrap_or_else(PoisonError::into_inner);
        for _attempt in 0..8 {
            let id = new_client_id();
            if clients.contains_key(&id) {
                continue;
            }
            let client = Arc::new(make(id.clone()));
            clients.insert(id, Arc::clone(&client));
            self.count.store(clients.len(), Ordering::Release);
            return Some(client);
        }
        None
    }

    /// Forgets `client` (if it is still the one registered under its id).
    pub fn remove(&self, client: &Arc<Client>) {
        let mut clients = self.clients.write().unwrap_or_else(PoisonError::into_inner);
        if clients
            .get(&client.id)
            .is_some_and(|registered| Arc::ptr_eq(registered, client))
        {
            clients.remove(&client.id);
            self.sequence.interest_changed();
        }
        self.count.store(clients.len(), Ordering::Release);
    }

    /// Hands `message` to `client`; a client that cannot take it is closed and forgotten.
    pub fn deliver(&self, client: &Arc<Client>, message: Message) -> Delivery {
        let delivery = client.deliver(message);
        match delivery {
            Delivery::Queued => {}
            Delivery::Full => {
                tracing::info!(client = %client.id, "realtime client too slow; disconnecting it");
                client.close();
                self.remove(client);
            }
            Delivery::Closed => self.remove(client),
        }
        delivery
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Arc<Client>>> {
        self.clients.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fresh client id: [`CLIENT_ID_LENGTH`] random letters and digits.
fn new_client_id() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(CLIENT_ID_LENGTH)
        .map(char::from)
        .collect()
}

/// The realtime hub of one server process.
pub struct Realtime {
    registry: Arc<Registry>,
    /// Held while an event is numbered and queued, so the queue is in number order.
    jobs: Mutex<mpsc::Sender<Job>>,
    schema: Arc<SchemaCell>,
}

impl Realtime {
    /// A hub with its dispatcher thread, which reads records from `store` and rules from the
    /// current schema. The thread ends when the hub is dropped.
    pub fn start(store: Arc<dyn Store>, schema: Arc<SchemaCell>) -> Realtime {
        let registry = Arc::new(Registry::default());
        let (jobs, receiver) = mpsc::channel();
        let dispatcher =
            dispatch::Dispatcher::new(Arc::clone(&registry), store, Arc::clone(&schema));
        let spawned = std::thread::Builder::new()
            .name("pb-realtime".into())
            .spawn(move || dispatcher.run(receiver));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the realtime dispatcher; no events will be sent");
        }
        Realtime {
            registry,
            jobs: Mutex::new(jobs),
            schema,
        }
    }

    /// Registers a new client connecting from `remote_ip`; its stream starts with
    /// `PB_CONNECT`. `None` only if no unused id could be drawn.
    pub fn connect(&self, remote_ip: Option<IpAddr>) -> Option<EventStream> {
        let mut receiver = None;
        let client = self.registry.insert_new(|id| {
            let (client, queue) = Client::new(id, remote_ip);
            receiver = Some(queue);
            client
        })?;
        let receiver = receiver?;
        Some(EventStream::new(
            Arc::clone(&self.registry),
            client,
            receiver,
        ))
    }

    /// The connected client with this id.
    pub fn client(&self, id: &str) -> Option<Arc<Client>> {
        self.registry.get(id)
    }

    /// Replaces the subscriptions of `client` and binds it to `auth` (see
    /// [`Client::resubscribe`]); events published from now on see them.
    pub fn subscribe(
        &self,
        client: &Client,
        auth: Option<AuthContext>,
        names: &[String],
    ) -> Result<(), AuthMismatch> {
        client.resubscribe(&self.registry.sequence, auth, names)
    }

    /// Numbers and queues an event, or queues judged deletes, bringing the stored auth of
    /// clients authenticated as a changed record up to date. As PocketBase does, an update of
    /// the auth record is judged with the refreshed auth (so a password change, which drops
    /// it, is not sent to the rule `id = @request.auth.id`), while a delete is judged with the
    /// auth as it was (the record's own delete still reaches it).
    fn queue(&self, event: Option<RecordEvent>, judged: Option<Job>) {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(event) = event {
            if event.action == RecordAction::Update {
                self.refresh_auth(&event);
            }
            let number = self.registry.sequence.next();
            if event.action == RecordAction::Delete {
                self.refresh_auth(&event);
            }
            // Fails only when the dispatcher thread is gone; then nobody can be told anyway.
            let _ = jobs.send(Job::Event { number, event });
        }
        if let Some(Job::Judged { messages, events }) = judged {
            for event in &events {
                self.refresh_auth(event);
            }
            let _ = jobs.send(Job::Judged { messages, events });
        }
    }

    /// Updates or drops the stored auth of clients authenticated as the record of `event`.
    fn refresh_auth(&self, event: &RecordEvent) {
        let record = match event.action {
            RecordAction::Create => return,
            RecordAction::Update => Some(&event.record),
            RecordAction::Delete => None,
        };
        let is_auth = self
            .schema
            .get()
            .find_ref(&event.record.collection_id)
            .is_some_and(pb_core::Collection::is_auth);
        if !is_auth {
            return;
        }
        for client in self.registry.all() {
            client.refresh_auth(
                &self.registry.sequence,
                &event.record.collection_id,
                event.record.id(),
                record,
            );
        }
    }

    /// Sends `data` as event `topic` to client `client_id` if it subscribed to `topic`
    /// (e.g. `@oauth2`); whether it was queued.
    pub fn notify(&self, client_id: &str, topic: &str, data: &serde_json::Value) -> bool {
        let Some(client) = self.registry.get(client_id) else {
            return false;
        };
        if !client.has_subscription(topic) {
            return false;
        }
        let message = Message {
            event: Arc::from(topic),
            data: Bytes::from(data.to_string()),
        };
        self.registry.deliver(&client, message) == Delivery::Queued
    }

    /// Drops the subscription named exactly `name` from `client`, keeping its other
    /// subscriptions and its auth (the OAuth2 redirect does this after delivering its code).
    pub fn unsubscribe(&self, client: &Client, name: &str) {
        let state = client.state();
        let names: Vec<String> = state
            .subscriptions
            .iter()
            .filter(|subscription| &*subscription.name != name)
            .map(|subscription| subscription.name.to_string())
            .collect();
        let auth = state.auth.as_deref().cloned();
        if client
            .resubscribe(&self.registry.sequence, auth, &names)
            .is_err()
        {
            tracing::warn!(client = %client.id, "could not drop a realtime subscription");
        }
    }

    /// Ends every stream (the server is stopping).
    pub fn close_all(&self) {
        for client in self.registry.all() {
            client.close();
            self.registry.remove(&client);
        }
    }

    /// How many clients are connected.
    pub fn client_count(&self) -> usize {
        self.registry.count.load(Ordering::Acquire)
    }
}

impl Broker for Realtime {
    fn publish(&self, event: RecordEvent) {
        if self.registry.is_empty() {
            return;
        }
        self.queue(Some(event), None);
    }
}

/// What a delete publishes once its transaction has committed; see
/// [`Realtime::prepare_cascade`].
#[must_use = "publish it after the commit"]
pub struct PendingCascade {
    updated: Vec<Record>,
    judged: Option<Job>,
}

impl Realtime {
    /// Call inside a delete's write transaction, after the cascade ran and before the commit:
    /// judges the events of the deleted records on a reader connection, which still sees the
    /// database as it was before this write (so a cascade-deleted record whose rule reads its
    /// deleted parent is judged with the parent in place, as PocketBase does). Nothing is sent
    /// until [`Realtime::publish_cascade`], and nothing at all if the write rolls back.
    pub fn prepare_cascade(&self, store: &dyn Store, outcome: CascadeOutcome) -> PendingCascade {
        if self.registry.is_empty() {
            return PendingCascade {
                updated: Vec::new(),
                judged: None,
            };
        }
        let schema = self.schema.get();
        let clients = dispatch::subscribed_clients(&self.registry);
        let events: Vec<RecordEvent> = outcome
            .deleted
            .into_iter()
            .map(RecordEvent::deleted)
            .collect();
        let judged = txn::read(store, GENERIC_BAD_REQUEST, |snapshot| {
            let mut messages = Vec::new();
            for event in &events {
                match dispatch::messages_for(snapshot, &schema, &clients, event) {
                    Ok(more) => messages.extend(more),
                    Err(failure) => tracing::error!(?failure, "realtime delete not judged"),
                }
            }
            Ok(messages)
        });
        let messages = judged.unwrap_or_else(|error| {
            tracing::error!(%error, "realtime deletes not judged");
            Vec::new()
        });
        PendingCascade {
            updated: outcome.updated,
            judged: Some(Job::Judged { messages, events }),
        }
    }

    /// Sends what [`Realtime::prepare_cascade`] judged, after the commit: the cleared
    /// references (updates) first, then the deletes, the cascade before its target.
    pub fn publish_cascade(&self, pending: PendingCascade) {
        for record in pending.updated {
            self.publish(RecordEvent::updated(record));
        }
        if pending.judged.is_some() {
            self.queue(None, pending.judged);
        }
    }
}

/// Publishes what a committed delete did through any broker: the references it cleared
/// (updates) first, then every deleted record, the cascade before its target. The deletes are
/// then judged after the commit, where a rule reading a cascade-deleted parent no longer finds
/// it; [`Realtime::prepare_cascade`] avoids that.
pub fn publish_outcome(broker: &dyn Broker, outcome: CascadeOutcome) {
    for record in outcome.updated {
        broker.publish(RecordEvent::updated(record));
    }
    for record in outcome.deleted {
        broker.publish(RecordEvent::deleted(record));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn message() -> Message {
        Message {
            event: Arc::from("x"),
            data: Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn a_client_too_slow_for_its_queue_is_closed_and_forgotten() {
        let registry = Registry::default();
        let mut receiver = None;
        let client = registry
            .insert_new(|id| {
                let (client, queue) = Client::new(id, None);
                receiver = Some(queue);
                client
            })
            .unwrap();
        assert_eq!(client.id.len(), CLIENT_ID_LENGTH);
        assert!(client.id.chars().all(|c| c.is_ascii_alphanumeric()));
        for _ in 0..client::QUEUE_CAPACITY {
            assert_eq!(registry.deliver(&client, message()), Delivery::Queued);
        }
        assert_eq!(registry.deliver(&client, message()), Delivery::Full);
        assert!(client.is_closed());
        assert!(registry.get(&client.id).is_none());
        assert!(registry.is_empty());
        drop(receiver);
    }

    #[test]
    fn a_client_whose_stream_is_gone_is_forgotten() {
        let registry = Registry::default();
        let client = registry.insert_new(|id| Client::new(id, None).0).unwrap();
        assert!(registry.get(&client.id).is_some());
        assert_eq!(registry.deliver(&client, message()), Delivery::Closed);
        assert!(registry.get(&client.id).is_none());
    }
}
