//! The dispatcher: one thread that turns committed record events into SSE messages.
//!
//! Jobs are taken in the order writers queued them; runs of events share one read
//! transaction. For each event the subscriptions it concerns are grouped by what decides what
//! a subscriber gets: the auth record, the subscription options (query, headers) and the rule
//! (list rule for `collection/*`, view rule for `collection/ID`). Per group the rule and the
//! `filter` option are compiled with the group's `@request` (context `realtime`, method `GET`);
//! one query then judges the event's record for every group at once; each admitted group's
//! record is rendered once (hidden fields, email visibility, `expand`, `fields`) and serialised
//! once, and the same bytes go to all of the group's clients.
//!
//! Superusers pass every rule, as elsewhere; the `filter` option applies to them too, and, as in
//! PocketBase, may not name hidden fields (for anyone) nor `@request.*`/`@collection.*` (for
//! non-superusers). A rule or filter that does not compile admits nobody.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc};

use actix_web::web::Bytes;
use pb_core::ports::{RecordEvent, SqlFragment, Store, StoreTx};
use pb_core::Collection;
use pb_rules::{compile_filter, CompileOptions, RequestInfo};
use serde_json::Map;

use crate::access::{and, rule_access, RuleAccess, RuleScope};
use crate::auth::request_auth::AuthContext;
use crate::error::GENERIC_BAD_REQUEST;
use crate::output::render_record;
use crate::query::QueryParams;
use crate::realtime::client::{Client, ClientState, Message};
use crate::realtime::subscriptions::{RuleKind, SubscriptionOptions};
use crate::realtime::Registry;
use crate::request_info::RequestParts;
use crate::state::{Schema, SchemaCell};
use crate::txn::{self, Failure};

/// Events handled in one read transaction at most.
const MAX_BATCH: usize = 64;

/// Work for the dispatcher thread, in publication order.
pub enum Job {
    /// A committed change to judge and deliver, with its number in the [`Sequence`] (it is
    /// judged with the clients' subscriptions and auth as of that number).
    ///
    /// [`Sequence`]: crate::realtime::client::Sequence
    Event { number: u64, event: RecordEvent },
    /// Changes already judged by their writer (deletes judged on the database as it was
    /// before them): the messages to deliver, and the changes themselves.
    Judged {
        messages: Vec<(Arc<Client>, Message)>,
        events: Vec<RecordEvent>,
    },
}

/// Owns what the dispatcher thread needs.
pub struct Dispatcher {
    registry: Arc<Registry>,
    store: Arc<dyn Store>,
    schema: Arc<SchemaCell>,
}

impl Dispatcher {
    pub fn new(registry: Arc<Registry>, store: Arc<dyn Store>, schema: Arc<SchemaCell>) -> Self {
        Dispatcher {
            registry,
            store,
            schema,
        }
    }

    /// Dispatches jobs until every sender is gone.
    pub fn run(self, receiver: mpsc::Receiver<Job>) {
        while let Ok(first) = receiver.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            // A bug in one batch must not end realtime for the rest of the process.
            if catch_unwind(AssertUnwindSafe(|| self.dispatch(batch))).is_err() {
                tracing::error!("realtime dispatch panicked; events lost");
            }
        }
    }

    fn dispatch(&self, batch: Vec<Job>) {
        let schema = self.schema.get();
        let mut jobs = batch.into_iter().peekable();
        while jobs.peek().is_some() {
            // Judged jobs need no transaction; runs of events share one.
            if let Some(Job::Judged { .. }) = jobs.peek() {
                if let Some(Job::Judged { messages, .. }) = jobs.next() {
                    for (client, message) in messages {
                        self.registry.deliver(&client, message);
                    }
                }
                continue;
            }
            // The run of events up to the next judged job, each with its candidate clients;
            // a run nobody listens to needs no read transaction at all.
            let mut run = Vec::new();
            while let Some(Job::Event { .. }) = jobs.peek() {
                let Some(Job::Event { number, event }) = jobs.next() else {
                    break;
                };
                let clients = clients_for_event(&self.registry, &schema, number, &event);
                run.push((number, event, clients));
            }
            if run.iter().all(|(_, _, clients)| clients.is_empty()) {
                for (number, _, _) in &run {
                    self.registry.sequence.dispatched(*number);
                }
                continue;
            }
            let numbers: Vec<u64> = run.iter().map(|(number, _, _)| *number).collect();
            let result = txn::read(self.store.as_ref(), GENERIC_BAD_REQUEST, |tx| {
                for (number, event, clients) in &run {
                    if !clients.is_empty() {
                        match messages_for(tx, &schema, clients, event) {
                            Ok(messages) => {
                                for (client, message) in messages {
                                    self.registry.deliver(&client, message);
                                }
                            }
                            Err(failure) => {
                                tracing::error!(?failure, "realtime event not delivered");
                            }
                        }
                    }
                    self.registry.sequence.dispatched(*number);
                }
                Ok(())
            });
            if let Err(error) = result {
                tracing::error!(%error, "realtime events not delivered");
                // Whatever the failed transaction did not reach is dropped too.
                for number in numbers {
                    self.registry.sequence.dispatched(number);
                }
            }
        }
    }
}

/// The clients that may have subscribed to the collection of `event`, with a copy of their
/// state as of its `number`.
fn clients_for_event(
    registry: &Registry,
    schema: &Schema,
    number: u64,
    event: &RecordEvent,
) -> Vec<(Arc<Client>, ClientState)> {
    let Some(collection) = schema.find_ref(&event.record.collection_id) else {
        return Vec::new();
    };
    registry
        .interest
        .candidates(registry, collection)
        .into_iter()
        .map(|client| {
            let state = client.state_at(number);
            (client, state)
        })
        .filter(|(_, state)| !state.subscriptions.is_empty())
        .collect()
}

/// Every client with at least one subscription, with a copy of its current state.
pub fn subscribed_clients(registry: &Registry) -> Vec<(Arc<Client>, ClientState)> {
    registry
        .all()
        .into_iter()
        .map(|client| {
            let state = client.state();
            (client, state)
        })
        .filter(|(_, state)| !state.subscriptions.is_empty())
        .collect()
}

/// The messages `event` gives `clients`: every subscription it concerns whose rule (and
/// `filter` option) admits the record, with the record as that subscriber sees it. Reads
/// related records through `tx`.
pub fn messages_for(
    tx: &mut dyn StoreTx,
    schema: &Schema,
    clients: &[(Arc<Client>, ClientState)],
    event: &RecordEvent,
) -> Result<Vec<(Arc<Client>, Message)>, Failure> {
    let mut messages = Vec::new();
    let Some(collection) = schema.find(&event.record.collection_id) else {
        return Ok(messages);
    };
    let groups = groups_for(clients, &collection, event.record.id());
    if groups.is_empty() {
        return Ok(messages);
    }
    let mut admitted = vec![false; groups.len()];
    let mut conditions = Vec::new();
    let mut asking = Vec::new();
    for (index, group) in groups.iter().enumerate() {
        match group.access(&collection, schema) {
            Access::Denied => {}
            Access::Granted => admitted[index] = true,
            Access::If(condition) => {
                conditions.push(condition);
                asking.push(index);
            }
        }
    }
    if !conditions.is_empty() {
        let answers = tx.record_matches(&collection, &event.record, &conditions)?;
        for (index, answer) in asking.into_iter().zip(answers) {
            admitted[index] = answer;
        }
    }
    for (group, admitted) in groups.iter().zip(admitted) {
        if !admitted {
            continue;
        }
        let data = match group.render(tx, schema, &collection, event) {
            Ok(data) => data,
            Err(failure) => {
                tracing::warn!(?failure, "realtime record not rendered");
                continue;
            }
        };
        for (client, name) in &group.targets {
            let message = Message {
                event: Arc::clone(name),
                data: data.clone(),
            };
            messages.push((Arc::clone(client), message));
        }
    }
    Ok(messages)
}

/// What a group of subscribers is admitted to, before looking at the record.
enum Access {
    Denied,
    Granted,
    /// When the record satisfies this condition.
    If(SqlFragment),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct GroupKey {
    auth: Option<(String, String)>,
    options: Arc<str>,
    rule: RuleKind,
}

/// Subscribers that see an event identically.
struct Group {
    viewer: Option<Arc<AuthContext>>,
    options: Arc<SubscriptionOptions>,
    rule: RuleKind,
    /// Each client with the subscription name (event name) the message goes out under.
    targets: Vec<(Arc<Client>, Arc<str>)>,
}

/// The subscriptions concerned by a change of record `record_id` of `collection`, grouped.
fn groups_for(
    clients: &[(Arc<Client>, ClientState)],
    collection: &Collection,
    record_id: &str,
) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<GroupKey, usize> = HashMap::new();
    for (client, state) in clients {
        for subscription in state.subscriptions.iter() {
            let Some(rule) = subscription.rule_for(collection, record_id) else {
                continue;
            };
            let key = GroupKey {
                auth: state.auth_key(),
                options: Arc::clone(&subscription.options_key),
                rule,
            };
            let position = *index.entry(key).or_insert_with(|| {
                groups.push(Group {
                    viewer: state.auth.clone(),
                    options: Arc::clone(&subscription.options),
                    rule,
                    targets: Vec::new(),
                });
                groups.len() - 1
            });
            groups[position]
                .targets
                .push((Arc::clone(client), Arc::clone(&subscription.name)));
        }
    }
    groups
}

impl Group {
    fn is_superuser(&self) -> bool {
        self.viewer
            .as_deref()
            .is_some_and(AuthContext::is_superuser)
    }

    /// `@request` as the group's rules see it.
    fn request_info(&self) -> RequestInfo {
        RequestParts::new(
            self.options.query.clone(),
            self.options.headers.clone(),
            "GET",
        )
        .info(self.viewer.as_deref(), Map::new(), "realtime")
    }

    /// The rule and the `filter` option, combined.
    fn access(&self, collection: &Collection, schema: &Schema) -> Access {
        let info = self.request_info();
        let scope = RuleScope {
            schema,
            auth: self.viewer.as_deref(),
            request: &info,
        };
        let rule = match self.rule {
            RuleKind::List => &collection.list_rule,
            RuleKind::View => &collection.view_rule,
        };
        let mut condition = match rule_access(rule, collection, &scope) {
            Ok(RuleAccess::All) => None,
            Ok(RuleAccess::Matching(fragment)) => Some(fragment),
            Ok(RuleAccess::Nothing) | Err(_) => return Access::Denied,
        };
        let filter = self.options.query_param("filter");
        if !filter.is_empty() {
            let options = CompileOptions {
                allow_hidden_fields: false,
                allow_request_and_collection_refs: self.is_superuser(),
                max_length: None,
            };
            match compile_filter(filter, collection, schema, &info, &options) {
                Ok(fragment) => {
                    condition = Some(match condition {
                        Some(rule) => and(rule, fragment),
                        None => fragment,
                    })
                }
                Err(error) => {
                    tracing::debug!(%error, "realtime filter refused");
                    return Access::Denied;
                }
            }
        }
        match condition {
            None => Access::Granted,
            Some(condition) => Access::If(condition),
        }
    }

    /// `{"action": …, "record": …}` for this group, serialised.
    fn render(
        &self,
        tx: &mut dyn StoreTx,
        schema: &Schema,
        collection: &Collection,
        event: &RecordEvent,
    ) -> Result<Bytes, Failure> {
        let info = self.request_info();
        let params = QueryParams {
            expand: self.options.query_param("expand").to_string(),
            fields: self.options.query_param("fields").to_string(),
            ..QueryParams::default()
        };
        let record = render_record(
            tx,
            schema,
            collection,
            &event.record,
            self.viewer.as_deref(),
            &info,
            &params,
        )?;
        let data = serde_json::json!({ "action": event.action.as_str(), "record": record });
        Ok(Bytes::from(data.to_string()))
    }
}
