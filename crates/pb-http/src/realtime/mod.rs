//! Realtime: clients hold a Server-Sent Events stream open (`GET /api/realtime`), say what they
//! listen to (`POST /api/realtime`), and receive every committed record change their
//! subscriptions and the collection's API rules admit, shaped as they would see the record.
//!
//! [`Realtime`] is the in-process implementation of [`pb_core::ports::Broker`]:
//!
//! * Writers call [`Broker::publish`] after their transaction commits. It only queues the
//!   event (an unbounded channel; nothing is queued while no client is connected), so a writer
//!   never waits for subscribers.
//! * One dispatcher thread ([`dispatch`]) takes the queued events in commit order and, for each,
//!   groups the matching subscriptions by (auth record, options, rule). Per event, one query
//!   decides every group (see `StoreTx::record_matches`), and each admitted group's record is
//!   rendered and serialised once, then handed to each of the group's clients.
//! * Every client has a bounded queue drained by its SSE stream ([`sse`]). A client whose
//!   queue is full is disconnected rather than slowing anyone else down.
//!
//! Rules are judged on the record as the event carries it, not on the stored row: a delete is
//! judged on the record as it was before deletion, and a create or update on the values
//! written, even if the row has changed again since. Other rows a rule reads through relations
//! are read after the commit; a rule of a cascade-deleted record that reads its (also deleted)
//! parent therefore sees no parent, where PocketBase would still see it.
//!
//! Not here: the `@oauth2` topic's messages (OAuth2 is not built yet). A client may subscribe to
//! it like to any custom topic; [`Realtime::notify`] is how the OAuth2 redirect handler will
//! send its result to the client whose id is the OAuth2 state.

pub mod client;
pub mod dispatch;
pub mod sse;
pub mod subscriptions;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, PoisonError, RwLock};

use actix_web::web::Bytes;
use pb_core::ports::{Broker, RecordEvent, Store};
use rand::distributions::Alphanumeric;
use rand::Rng;

use crate::realtime::client::{Client, Delivery, Message};
use crate::realtime::sse::EventStream;
use crate::state::SchemaCell;

/// Length of a client id (letters and digits), as PocketBase's.
pub const CLIENT_ID_LENGTH: usize = 40;

/// The connected clients, by id.
#[derive(Debug, Default)]
pub struct Registry {
    clients: RwLock<HashMap<String, Arc<Client>>>,
    count: AtomicUsize,
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
    fn insert_new(&self, make: impl Fn(String) -> Client) -> Option<Arc<Client>> {
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
    events: mpsc::Sender<RecordEvent>,
}

impl Realtime {
    /// A hub with its dispatcher thread, which reads records from `store` and rules from the
    /// current schema. The thread ends when the hub is dropped.
    pub fn start(store: Arc<dyn Store>, schema: Arc<SchemaCell>) -> Realtime {
        let registry = Arc::new(Registry::default());
        let (events, receiver) = mpsc::channel();
        let dispatcher = dispatch::Dispatcher::new(Arc::clone(&registry), store, schema);
        let spawned = std::thread::Builder::new()
            .name("pb-realtime".into())
            .spawn(move || dispatcher.run(receiver));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the realtime dispatcher; no events will be sent");
        }
        Realtime { registry, events }
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
        // Fails only when the dispatcher thread is gone; then nobody can be told anyway.
        let _ = self.events.send(event);
    }
}
