//! The seams between the model and the outside: a [`Store`] runs units of work in read or write
//! transactions, each handed a [`StoreTx`] with the primitive operations on collections, records
//! and parameters.
//!
//! Business logic (validation, cascades, modifiers) is written once against [`StoreTx`], so a
//! SQLite store and a PostgreSQL store share it. A write unit runs under the store's single
//! writer, which is what makes read-modify-write operations such as `views+` atomic.
//!
//! A [`Broker`] receives each committed record change (realtime), so the HTTP layer's
//! in-process fan-out can later be swapped for a multi-node one.

use serde_json::Value;

use crate::collection::Collection;
use crate::error::{CoreError, StoreError};
use crate::field::Field;
use crate::record::Record;

/// A value bound to a statement parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
}

/// A piece of SQL with its bound values, in order. Values never appear in `sql` itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SqlFragment {
    pub sql: String,
    pub binds: Vec<SqlValue>,
}

/// One ORDER BY term of a record list.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderTerm {
    /// A column of the collection (already checked against its fields).
    Column { name: String, descending: bool },
    /// `@rowid`: insertion order.
    RowId { descending: bool },
    /// `@random`.
    Random,
    /// Any expression compiled by the rule language (relation paths, …).
    Expression {
        fragment: SqlFragment,
        descending: bool,
    },
}

/// What to list: an optional WHERE (referring to the record table by its quoted name), the
/// order, and the page window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecordQuery {
    pub filter: Option<SqlFragment>,
    /// Extra `JOIN` clauses the filter or the order needs.
    pub joins: Vec<SqlFragment>,
    pub order: Vec<OrderTerm>,
    pub limit: Option<u64>,
    pub offset: u64,
}

/// The primitive operations of one transaction.
pub trait StoreTx {
    /// Every collection, in creation order.
    fn collections(&mut self) -> Result<Vec<Collection>, StoreError>;
    /// Saves a new collection and creates its table (or view) and indexes.
    fn insert_collection(&mut self, collection: &Collection) -> Result<(), StoreError>;
    /// Saves a changed collection and migrates its table: renames, added, removed and retyped
    /// columns, index changes; existing data is kept.
    fn update_collection(&mut self, old: &Collection, new: &Collection) -> Result<(), StoreError>;
    /// Drops a collection's table and its `_collections` row.
    fn delete_collection(&mut self, collection: &Collection) -> Result<(), StoreError>;
    /// The fields a view with `query` would get, leaving nothing behind; a query the database
    /// rejects is [`StoreError::InvalidStatement`]. Lets a failed save still report what is
    /// wrong with the query, as PocketBase does. The default (stores without views) accepts
    /// every query and infers nothing.
    fn infer_view_fields(&mut self, query: &str) -> Result<Vec<crate::Field>, StoreError> {
        let _ = query;
        Ok(Vec::new())
    }

    /// The first `limit` rows a view with `query` would list, decoded with `fields` (from
    /// [`Self::infer_view_fields`]); reads only, leaving nothing behind. The default (stores
    /// without views) has no rows.
    fn preview_view_rows(
        &mut self,
        query: &str,
        fields: &[crate::Field],
        limit: u64,
    ) -> Result<Vec<crate::Record>, StoreError> {
        let _ = (query, fields, limit);
        Ok(Vec::new())
    }

    fn find_record(
        &mut self,
        collection: &Collection,
        id: &str,
    ) -> Result<Option<Record>, StoreError>;
    /// Records whose `field` equals `value` (e.g. an auth identity), at most `limit`.
    fn find_records_by_field(
        &mut self,
        collection: &Collection,
        field: &str,
        value: &SqlValue,
        limit: u64,
    ) -> Result<Vec<Record>, StoreError>;
    /// Which of `ids` exist in `collection`.
    fn existing_ids(
        &mut self,
        collection: &Collection,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError>;
    /// Records of `collection` whose relation `field` holds `target_id`.
    fn find_referencing_records(
        &mut self,
        collection: &Collection,
        field: &Field,
        target_id: &str,
    ) -> Result<Vec<Record>, StoreError>;
    fn list_records(
        &mut self,
        collection: &Collection,
        query: &RecordQuery,
    ) -> Result<Vec<Record>, StoreError>;
    /// The number of records the query's filter matches (its order and window are ignored).
    fn count_records(
        &mut self,
        collection: &Collection,
        query: &RecordQuery,
    ) -> Result<u64, StoreError>;
    fn insert_record(&mut self, collection: &Collection, record: &Record)
        -> Result<(), StoreError>;
    /// Rewrites the stored row whose id is `record.id()`.
    fn update_record(&mut self, collection: &Collection, record: &Record)
        -> Result<(), StoreError>;
    fn delete_record(&mut self, collection: &Collection, id: &str) -> Result<(), StoreError>;
    fn delete_all_records(&mut self, collection: &Collection) -> Result<(), StoreError>;

    /// A value of `_params` (e.g. `settings`).
    fn get_param(&mut self, key: &str) -> Result<Option<Value>, StoreError>;
    fn set_param(&mut self, key: &str, value: &Value) -> Result<(), StoreError>;

    /// For each of `conditions` (boolean SQL on `collection`'s table, as in
    /// [`RecordQuery::filter`]), whether `record` satisfies it. The record is judged on the
    /// values given, not on its stored row, so a record deleted or changed since is judged as it
    /// was; the other rows a condition reads (relations, back-relations, `@collection`) are read
    /// as stored. Realtime checks rules this way after the write has committed.
    fn record_matches(
        &mut self,
        collection: &Collection,
        record: &Record,
        conditions: &[SqlFragment],
    ) -> Result<Vec<bool>, StoreError>;

    /// Every row of the migration history (`_migrations`), PocketBase's own rows included.
    /// Stores without a history answer [`StoreError::Database`].
    fn applied_migrations(&mut self) -> Result<Vec<AppliedMigration>, StoreError> {
        Err(no_migration_history())
    }
    /// Records `file` as applied at `applied` (Unix microseconds), replacing an older row.
    fn record_migration(&mut self, file: &str, applied: i64) -> Result<(), StoreError> {
        let _ = (file, applied);
        Err(no_migration_history())
    }
    /// Removes `file` from the migration history (it was reverted or its file is gone).
    fn forget_migration(&mut self, file: &str) -> Result<(), StoreError> {
        let _ = file;
        Err(no_migration_history())
    }
}

/// One row of the migration history: a migration file and when it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub file: String,
    /// Unix time in microseconds (PocketBase's unit; older rows may hold seconds).
    pub applied: i64,
}

fn no_migration_history() -> StoreError {
    StoreError::Database("this store keeps no migration history".into())
}

/// Told about every collection change made through the API, inside the write transaction that
/// makes it (after the change is stored), so that the change and its record commit together.
/// `old` is `None` for a created collection, `new` is `None` for a deleted one.
///
/// The binary implements it to write migration files (automigrate); failing rolls the change
/// back, as PocketBase does when it cannot write the migration.
pub trait SchemaJournal: Send + Sync {
    fn record(
        &self,
        tx: &mut dyn StoreTx,
        old: Option<&Collection>,
        new: Option<&Collection>,
    ) -> Result<(), CoreError>;
}

/// A unit of work run inside a transaction.
pub type Work<'a> = dyn FnMut(&mut dyn StoreTx) -> Result<(), CoreError> + 'a;

/// A transactional store. Both methods block: call them from a blocking thread pool.
pub trait Store: Send + Sync {
    /// Runs `work` in a read transaction on one of the reader connections.
    fn read(&self, work: &mut Work<'_>) -> Result<(), CoreError>;
    /// Runs `work` in a write transaction (`BEGIN IMMEDIATE` on SQLite) on the single writer;
    /// commits when it returns `Ok`, rolls back otherwise.
    fn write(&self, work: &mut Work<'_>) -> Result<(), CoreError>;

    /// Writes a consistent copy of each of the store's database files into the existing folder
    /// `folder`, under the names they have in the data dir, while writers go on writing (the
    /// copies are the state of one committed moment each). Returns the names written. Never a
    /// raw copy of a live file, which could tear.
    fn snapshot_into(&self, folder: &std::path::Path) -> Result<Vec<String>, CoreError> {
        let _ = folder;
        Err(CoreError::Store(StoreError::Database(
            "this store cannot take snapshots".into(),
        )))
    }
}

/// Runs `work` in a read transaction and returns its result.
pub fn read_with<T>(
    store: &dyn Store,
    work: impl FnOnce(&mut dyn StoreTx) -> Result<T, CoreError>,
) -> Result<T, CoreError> {
    run_once(|closure| store.read(closure), work)
}

/// Runs `work` in a write transaction and returns its result.
pub fn write_with<T>(
    store: &dyn Store,
    work: impl FnOnce(&mut dyn StoreTx) -> Result<T, CoreError>,
) -> Result<T, CoreError> {
    run_once(|closure| store.write(closure), work)
}

fn run_once<T>(
    run: impl FnOnce(&mut Work<'_>) -> Result<(), CoreError>,
    work: impl FnOnce(&mut dyn StoreTx) -> Result<T, CoreError>,
) -> Result<T, CoreError> {
    let mut work = Some(work);
    let mut output = None;
    run(&mut |tx: &mut dyn StoreTx| {
        let work = work.take().ok_or_else(|| {
            CoreError::Store(StoreError::Database("unit of work ran twice".into()))
        })?;
        output = Some(work(tx)?);
        Ok(())
    })?;
    output.ok_or_else(|| CoreError::Store(StoreError::Database("unit of work did not run".into())))
}

/// Hashes and verifies passwords. The HTTP layer supplies it (argon2id for new hashes, bcrypt
/// hashes from PocketBase data dirs still verified), so the model stays free of crypto choices.
pub trait PasswordHasher {
    /// A new hash of `password`.
    fn hash(&self, password: &str) -> String;
    /// Whether `password` matches `hash` (constant-time where the scheme allows).
    fn verify(&self, password: &str, hash: &str) -> bool;
}

/// An email as the auth flows compose it: an HTML body with a plain-text alternative, from the
/// application's sender to one or more addresses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailMessage {
    /// The sender's display name (`meta.senderName`); may be empty.
    pub from_name: String,
    /// The sender's address (`meta.senderAddress`).
    pub from_address: String,
    /// Recipient addresses.
    pub to: Vec<String>,
    pub subject: String,
    pub html: String,
    /// The plain-text alternative of `html`.
    pub text: String,
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// No transport is configured (SMTP disabled); the message was dropped.
    #[error("no mail transport is configured")]
    NotConfigured,
    /// The message itself is unusable (an address that does not parse, …).
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// The transport failed (connection, TLS, authentication, rejected recipient, …).
    #[error("mail transport failed: {0}")]
    Transport(String),
}

/// Delivers email. Sending blocks until the transport is done: callers run it on a blocking
/// thread, and in the background when the client must not wait for it.
pub trait Mailer: Send + Sync {
    fn send(&self, message: &MailMessage) -> Result<(), MailError>;
}

/// What a committed write did to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordAction {
    Create,
    Update,
    Delete,
}

impl RecordAction {
    /// The name realtime clients see (`"create"`, `"update"`, `"delete"`).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordAction::Create => "create",
            RecordAction::Update => "update",
            RecordAction::Delete => "delete",
        }
    }
}

/// One committed change of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordEvent {
    pub action: RecordAction,
    /// The record as written (create, update) or as it was when deleted, with every value
    /// (hidden fields included); whoever delivers it decides what each subscriber may see.
    pub record: Record,
}

impl RecordEvent {
    pub fn created(record: Record) -> RecordEvent {
        RecordEvent {
            action: RecordAction::Create,
            record,
        }
    }

    pub fn updated(record: Record) -> RecordEvent {
        RecordEvent {
            action: RecordAction::Update,
            record,
        }
    }

    pub fn deleted(record: Record) -> RecordEvent {
        RecordEvent {
            action: RecordAction::Delete,
            record,
        }
    }
}

/// Where committed record changes go (realtime subscriptions). Writers publish each change
/// after its transaction has committed, in commit order; a failed write publishes nothing.
///
/// `publish` must return at once: it may queue the event, never wait for subscribers. Access
/// rules and the shaping of what each subscriber sees are the implementation's business, so an
/// in-process fan-out and a multi-node one are interchangeable behind this trait.
pub trait Broker: Send + Sync {
    fn publish(&self, event: RecordEvent);
}

/// A broker that drops every event (no realtime clients can exist).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoBroker;

impl Broker for NoBroker {
    fn publish(&self, _event: RecordEvent) {}
}

/// Why a file operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileStoreError {
    /// The key cannot name a file in this store (a `..` segment, a control character, …).
    #[error("invalid file key {0:?}")]
    InvalidKey(String),
    /// Reading the content to store failed (the upload's spool file, …).
    #[error("reading the content to store failed: {0}")]
    Source(String),
    /// The storage itself failed (disk, network, permissions, bucket settings).
    #[error("file storage failed: {0}")]
    Backend(String),
}

/// What a file store knows about one stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub key: String,
    pub size: u64,
    pub modified: std::time::SystemTime,
    /// The content type recorded when the file was stored; `None` when the store keeps none
    /// for it (listings, files written by other tools).
    pub content_type: Option<String>,
}

/// The description of a file being stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewFile<'a> {
    /// The detected type, served back as `Content-Type`.
    pub content_type: &'a str,
    /// The name the client uploaded it as (kept as metadata, never used as a path).
    pub original_name: &'a str,
}

/// An open stored file: its description and a reader over the requested bytes.
pub struct FileContent {
    pub file: StoredFile,
    pub reader: Box<dyn std::io::Read + Send>,
}

/// Where the files of `file` fields live: a local directory or an S3-compatible bucket.
///
/// Keys are `/`-separated paths (see [`crate::files`] for the layout). Every method blocks: call
/// them from a blocking thread pool. Writes are all or nothing: a file is either absent or
/// complete under its key, never half written, so a record never points at a torn file.
pub trait FileStore: Send + Sync {
    /// Stores everything `content` yields under `key`, replacing a file already there.
    fn put(
        &self,
        key: &str,
        content: &mut dyn std::io::Read,
        file: &NewFile<'_>,
    ) -> Result<(), FileStoreError>;
    /// The file under `key`, or `None`.
    fn stat(&self, key: &str) -> Result<Option<StoredFile>, FileStoreError>;
    /// Opens the file under `key` for reading `range` (byte offsets, end excluded; `None` for
    /// all of it), or `None` when there is no such file. The range must lie within the file.
    fn open(
        &self,
        key: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<Option<FileContent>, FileStoreError>;
    /// Removes the file under `key` (with any metadata the store keeps for it); a missing file
    /// is not an error.
    fn delete(&self, key: &str) -> Result<(), FileStoreError>;
    /// Removes every file whose key starts with `prefix` (which ends with `/`).
    fn delete_prefix(&self, prefix: &str) -> Result<(), FileStoreError>;
    /// Every file whose key starts with `prefix`, in no particular order.
    fn list(&self, prefix: &str) -> Result<Vec<StoredFile>, FileStoreError>;
}

/// Periodic upkeep of a database (PocketBase's nightly `__pbDBOptimize__` job): checkpoint and
/// truncate the write-ahead log, refresh the query planner's statistics. Blocks.
pub trait Maintenance: Send + Sync {
    fn optimize(&self) -> Result<(), StoreError>;
}
