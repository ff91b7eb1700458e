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
use diesel::{Connection, QueryResult};
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
pub(crate) fn apply_pragmas(conn: &mut SqliteConnection, role: Role) -> QueryResult<()> {
    conn.batch_execute("PRAGMA busy_timeout = 10000")?;
    conn.batch_execute("PRAGMA journal_mode = WAL")?;
    conn.batch_execute("PRAGMA journal_size_limit = 200000000")?;
    conn.batch_execute("PRAGMA synchronous = NORMAL")?;
    conn.batch_execute("PRAGMA temp_store = MEMORY")?;
    conn.batch_execute("PRAGMA cache_size = -16000")?;
    if role == Role::Reader {
        conn.batch_execute("PRAGMA query_only = ON")?;
    }
    Ok(())
}

/// Opens `path` and applies the PRAGMAs for `role`.
pub(crate) fn open_connection(path: &str, role: Role) -> Result<SqliteConnection, StoreError> {
    let mut conn = SqliteConnection::establish(path)
        .map_err(|failure| StoreError::Database(format!("cannot open {path}: {failure}")))?;
    apply_pragmas(&mut conn, role).map_err(error::database)?;
    Ok(conn)
}

/// Applies the reader PRAGMAs to each pooled connection when it is opened.
#[derive(Debug, Clone, Copy)]
struct ReaderSetup;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for ReaderSetup {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        apply_pragmas(conn, Role::Reader).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The writer and the readers of one database file.
pub(crate) struct Connections {
    path: String,
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
    /// Wraps an open writer and starts the reader pool. Call after the writer has switched the
    /// file to WAL and created the schema.
    pub(crate) fn new(path: &str, writer: SqliteConnection) -> Result<Connections, StoreError> {
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
            writer: Mutex::new(writer),
            readers,
        })
    }

    /// The writer. When a unit of work panicked while holding it, the connection (whose
    /// transaction may still be open) is replaced by a fresh one, which rolls that back.
    pub(crate) fn writer(&self) -> Result<MutexGuard<'_, SqliteConnection>, StoreError> {
        match self.writer.lock() {
            Ok(guard) => Ok(guard),
            Err(poisoned) => {
                tracing::warn!(path = %self.path, "a write unit panicked; reopening the writer connection");
                let mut guard = poisoned.into_inner();
                *guard = open_connection(&self.path, Role::Writer)?;
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
