//! Which clients may care about a collection, without asking every client.
//!
//! Judging an event starts from the clients subscribed to its collection. Asking each
//! connected client (its lock, a copy of its state, a scan of its subscriptions) costs the
//! dispatcher time per client per event, which with hundreds of clients listening elsewhere
//! is most of an event's cost. This index maps each topic head (the part of a topic before
//! `/`: a collection name or id, or a custom topic) to the clients that subscribed to it in
//! any version of their state a pending event may still need, and is rebuilt only after a
//! subscription changed.
//!
//! The index only narrows the candidates; each candidate's exact state for the event is still
//! taken with [`Client::state_at`], so an over-inclusive index costs a little time, never a
//! wrong delivery. It is never under-inclusive: a client bumps the generation (under its own
//! lock, before its new state is numbered) whenever it subscribes, so an event numbered after
//! that sees the bump and gets a rebuilt index (see [`Sequence::interest_changed`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use pb_core::Collection;

use crate::realtime::client::Client;
use crate::realtime::Registry;

/// Clients by topic head, for one generation of subscriptions.
#[derive(Debug, Default)]
struct Built {
    generation: u64,
    by_head: HashMap<Box<str>, Vec<Arc<Client>>>,
}

/// The index; used by the dispatcher thread (the lock is never contended).
#[derive(Debug, Default)]
pub struct InterestIndex {
    built: Mutex<Option<Arc<Built>>>,
}

impl InterestIndex {
    /// The clients that may have subscribed to `collection` (by name or by id).
    pub fn candidates(&self, registry: &Registry, collection: &Collection) -> Vec<Arc<Client>> {
        let built = self.current(registry);
        let by_name = built.by_head.get(collection.name.as_str());
        let by_id = built.by_head.get(collection.id.as_str());
        let mut candidates: Vec<Arc<Client>> = by_name.cloned().unwrap_or_default();
        for client in by_id.into_iter().flatten() {
            if !candidates.iter().any(|known| Arc::ptr_eq(known, client)) {
                candidates.push(Arc::clone(client));
            }
        }
        candidates
    }

    fn current(&self, registry: &Registry) -> Arc<Built> {
        let generation = registry.sequence.interest_generation();
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(index) = built
            .as_ref()
            .filter(|index| index.generation == generation)
        {
            return Arc::clone(index);
        }
        let mut by_head: HashMap<Box<str>, Vec<Arc<Client>>> = HashMap::new();
        for client in registry.all() {
            for head in client.topic_heads() {
                by_head.entry(head).or_default().push(Arc::clone(&client));
            }
        }
        let index = Arc::new(Built {
            generation,
            by_head,
        });
        *built = Some(Arc::clone(&index));
        index
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// `users` (id `_pb_users_auth_`) or `_superusers` (id `pbc_3142635823`).
    fn collection(name: &str) -> Collection {
        pb_core::system::fresh_collections("2024-01-01 00:00:00.000Z")
            .into_iter()
            .find(|collection| collection.name == name)
            .unwrap()
    }

    fn subscribed(registry: &Registry, topics: &[&str]) -> Arc<Client> {
        let client = registry.insert_new(|id| Client::new(id, None).0).unwrap();
        let names: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
        client
            .resubscribe(&registry.sequence, None, &names)
            .unwrap();
        client
    }

    #[test]
    fn finds_subscribers_by_collection_name_or_id_and_follows_changes() {
        let registry = Registry::default();
        let users = collection("users");
        let by_name = subscribed(&registry, &["users/*"]);
        let by_id = subscribed(&registry, &["_pb_users_auth_/abc", "users?options=%7B%7D"]);
        let elsewhere = subscribed(&registry, &["_superusers/*", "@oauth2"]);
        let found = registry.interest.candidates(&registry, &users);
        assert_eq!(found.len(), 2);
        assert!(found.iter().any(|c| Arc::ptr_eq(c, &by_name)));
        assert!(found.iter().any(|c| Arc::ptr_eq(c, &by_id)));

        elsewhere
            .resubscribe(&registry.sequence, None, &["users/*".to_string()])
            .unwrap();
        let found = registry.interest.candidates(&registry, &users);
        assert!(found.iter().any(|c| Arc::ptr_eq(c, &elsewhere)));
        assert_eq!(
            registry
                .interest
                .candidates(&registry, &collection("_superusers"))
                .len(),
            // Still a candidate: an event numbered before its change may need its old state.
            1
        );
    }
}
