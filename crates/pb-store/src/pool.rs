//! The connections of a store: one writer behind a mutex and a small pool of readers, all set up
//! by [`apply_pragmas`].
//!
//! SQLite allows one writer at a time anyway; keeping a single writer connection in-process
//! turns that into a plain mutex wait instead of `SQLITE_BUSY` retries, and makes every write
//! unit (`BEGIN IMMEDIATE`) strictly serial, which read-modify-write operations rely on. In WAL
//! mode readers work on their own snapshot next to the writer, so they get their own
//! connections from an r2d2 pool.

use std::sync::{Mutex, MutexGuard};

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult, RunQueryDsl};
use pb_core::StoreError;

use crate::error;

/// Reader connections kept open.
const READERS: u32 = 4;

/// What a connection is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Writer,
    Reader,
}

/// The per-connection settings, one statement each.
///
/// * `busy_timeout = 10000`, first, so that even the statements below wait up to 10 s for a lock
///   held by another process (PocketBase, the `sqlite3` CLI, a backup) instead of failing at
///   once with `SQLITE_BUSY`.
/// * `journal_mode = WAL`: readers and the writer do not block each other, and a reader sees
///   one consistent snapshot for its whole transaction. Stored in the file; PocketBase uses it.
/// * `journal_size_limit = 200000000`: truncates the WAL file back to 200 MB after a
///   checkpoint, so one large write does not leave a huge file behind (as PocketBase does).
/// * `synchronous = NORMAL`: in WAL mode a commit appends to the WAL with `write()` before it
///   returns, and only checkpoints `fsync`. A committed transaction therefore survives a crash or
///   SIGKILL of *this process* (the data is in the OS page cache): every create answered 200
///   survives the process being killed. Only an OS crash or power loss can lose the most recent
///   commits, and never corrupts the database. `FULL` would add an `fsync` per commit.
/// * `temp_store = MEMORY`: sorter and temporary tables stay in memory.
/// * `cache_size = -16000`: about 16 MB of page cache per connection.
/// * Readers only: `query_only = ON`, so a unit of work given to `read` cannot write by mistake.
///
/// `foreign_keys` is left alone: PocketBase tables declare no foreign keys (relations are
/// checked by the model, not by SQLite).
///
/// Then the writer's `tuning`, the page size before `journal_mode` (see [`WriterTuning`]).
pub(crate) fn apply_pragmas(
    conn: &mut SqliteConnection,
    role: Role,
    tuning: WriterTuning,
) -> QueryResult<()> {
    conn.batch_execute("PRAGMA busy_timeout = 10000")?;
    if let Some(page_size) = tuning.new_file_page_size {
        conn.batch_execute(&format!("PRAGMA page_size = {page_size}"))?;
    }
    conn.batch_execute("PRAGMA journal_mode = WAL")?;
    conn.batch_execute("PRAGMA journal_size_limit = 200000000")?;
    conn.batch_execute("PRAGMA synchronous = NORMAL")?;
    conn.batch_execute("PRAGMA temp_store = MEMORY")?;
    conn.batch_execute("PRAGMA cache_size = -16000")?;
    if role == Role::Reader {
        conn.batch_execute("PRAGMA query_only = ON")?;
    }
    if let Some(cache_kib) = tuning.cache_kib {
        conn.batch_execute(&format!("PRAGMA cache_size = -{cache_kib}"))?;
    }
    if let Some(bytes) = tuning.checkpoint_bytes {
        let page_size = u64::try_from(pragma_number(conn, "page_size")?).unwrap_or(4096);
        let pages = (bytes / page_size.max(512)).max(1);
        conn.batch_execute(&format!("PRAGMA wal_autocheckpoint = {pages}"))?;
    }
    Ok(())
}

/// What the writer of one database file gets beyond [`apply_pragmas`]; the default is nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct WriterTuning {
    /// The page size, in bytes, of a file this connection creates. It must be set before the
    /// switch to WAL, which writes the first page; an existing file keeps its own page size.
    pub(crate) new_file_page_size: Option<u32>,
    /// The writer's page cache in KiB, instead of the ~16 MB every connection gets.
    pub(crate) cache_kib: Option<u32>,
    /// WAL bytes after which a commit checkpoints (SQLite's default is 1000 pages).
    pub(crate) checkpoint_bytes: Option<u64>,
}

/// The value of a PRAGMA that reads as a number (through its table-valued function, so `name`
/// must be one SQLite offers as `pragma_<name>()`; callers pass literals).
pub(crate) fn pragma_number(conn: &mut SqliteConnection, name: &str) -> QueryResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Number {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        value: i64,
    }
    Ok(
        diesel::sql_query(format!("SELECT {name} AS value FROM pragma_{name}()"))
            .get_result::<Number>(conn)?
            .value,
    )
}

/// Opens `path` as a writer: the usual PRAGMAs, then `tuning`.
pub(crate) fn open_writer(
    path: &str,
    tuning: WriterTuning,
) -> Result<SqliteConnection, StoreError> {
    let mut conn = SqliteConnection::establish(path)
        .map_err(|failure| StoreError::Database(format!("cannot open {path}: {failure}")))?;
    apply_pragmas(&mut conn, Role::Writer, tuning).map_err(error::database)?;
    Ok(conn)
}

/// Applies the reader PRAGMAs to each pooled connection when it is opened.
#[derive(Debug, Clone, Copy)]
struct ReaderSetup;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for ReaderSetup {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        apply_pragmas(conn, Role::Reader, WriterTuning::default())
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The writer and the readers of one database file.
pub(crate) struct Connections {
    path: String,
    tuning: WriterTuning,
    writer: Mutex<SqliteConnection>,
    readers: Pool<ConnectionManager<SqliteConnection>>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Connections")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Connections {
    /// Wraps a writer opened with `tuning` (which a reopened writer gets again) and starts the
    /// reader pool. Call after the writer has switched the file to WAL and created the schema.
    pub(crate) fn new(
        path: &str,
        writer: SqliteConnection,
        tuning: WriterTuning,
    ) -> Result<Connections, StoreError> {
        let readers = Pool::builder()
            .max_size(READERS)
            // Local files do not go stale; skip the `SELECT 1` on every checkout.
            .test_on_check_out(false)
            .connection_customizer(Box::new(ReaderSetup))
            .build(ConnectionManager::<SqliteConnection>::new(path))
            .map_err(|failure| {
                StoreError::Database(format!("cannot open readers of {path}: {failure}"))
            })?;
        Ok(Connections {
            path: path.to_string(),
            tuning,
            writer: Mutex::new(writer),
            readers,
        })
    }

    /// What a (re)opened writer gets on top of the usual PRAGMAs.
    #[cfg(test)]
    pub(crate) fn tuning(&self) -> WriterTuning {
        self.tuning
    }

    /// The writer. When a unit of work panicked while holding it, the connection (whose
    /// transaction may still be open) is replaced by a fresh one, which rolls that back.
    pub(crate) fn writer(&self) -> Result<MutexGuard<'_, SqliteConnection>, StoreError> {
        match self.writer.lock() {
            Ok(guard) => Ok(guard),
            Err(poisoned) => {
                tracing::warn!(path = %self.path, "a write unit panicked; reopening the writer connection");
                let mut guard = poisoned.into_inner();
                *guard = open_writer(&self.path, self.tuning)?;
                self.writer.clear_poison();
                Ok(guard)
            }
        }
    }

    /// A reader connection (waits up to r2d2's 30 s when all are busy).
    pub(crate) fn reader(
        &self,
    ) -> Result<PooledConnection<ConnectionManager<SqliteConnection>>, StoreError> {
        self.readers
            .get()
            .map_err(|failure| StoreError::Database(format!("no reader connection: {failure}")))
    }
}
