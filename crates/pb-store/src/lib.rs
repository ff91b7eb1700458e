//! SQLite persistence for the PocketBase-compatible model, laid out exactly as PocketBase 0.40
//! lays out a data dir, so that either program can open a data dir the other wrote.
//!
//! [`SqliteStore`] implements [`pb_core::ports::Store`]: write units run one at a time on a
//! single writer connection in `BEGIN IMMEDIATE` transactions, read units on a pool of
//! `query_only` reader connections in deferred transactions (one consistent WAL snapshot each).
//! All methods block; the HTTP layer calls them from a blocking thread pool.
//!
//! Code map:
//! * `pool`: opening connections, the PRAGMAs, the writer and the reader pool.
//! * `bootstrap`: the system tables and contents of a fresh `data.db` and `auxiliary.db`.
//! * `schema`, `collection_rows`: the typed system tables and `_collections` rows.
//! * `collections`, `ddl`, `view`, `view_query`, `index_sql`, `lexer`: collection definitions
//!   and the tables, views and indexes that follow them.
//! * `records`, `values`, `sql`: record rows through bound raw SQL, decoded by field type.
//! * `params`: `_params` (settings); `migrations`: `_migrations` (the migration history).
//! * `snapshot`: consistent copies of the live databases for backups (`VACUUM INTO`).
//! * `logs`: [`SqliteLogStore`], the request logs in `auxiliary.db` (its own connections).
//! * `error`: how diesel's errors become [`StoreError`]s.
//!
//! What this crate does not do: realtime notifications (published by the caller after commit),
//! file storage.

mod bootstrap;
mod collection_rows;
mod collections;
mod ddl;
mod error;
mod index_sql;
mod lexer;
mod logs;
mod migrations;
mod params;
mod pool;
mod records;
mod schema;
mod snapshot;
mod sql;
mod tx;
mod values;
mod view;
mod view_query;

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::Connection;
use pb_core::ports::{Maintenance, Store, Work};
use pb_core::{CoreError, StoreError};

use crate::error::TxError;
use crate::pool::{Connections, WriterTuning};
use crate::tx::SqliteTx;

pub use crate::logs::SqliteLogStore;
pub use crate::view::infer_view_fields;

/// The main database of a data dir.
pub const DATA_DB: &str = "data.db";
/// The database PocketBase keeps its logs in.
pub const AUXILIARY_DB: &str = "auxiliary.db";

/// A PocketBase data dir's `data.db`, opened for reading and writing.
#[derive(Debug)]
pub struct SqliteStore {
    data_dir: PathBuf,
    connections: Connections,
}

impl SqliteStore {
    /// Opens the data dir `data_dir`, creating it when missing.
    ///
    /// A fresh dir gets everything PocketBase 0.40.6 would create: the system tables, the six
    /// system collections with their tables, the default settings, the `_migrations` rows, and
    /// `auxiliary.db` with `_logs`. An existing data dir (ours or PocketBase's) is used as is.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the dir or a database cannot be created or opened (for
    /// example a path that is not UTF-8, or a file that is not SQLite).
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|failure| {
            StoreError::Database(format!("cannot create {}: {failure}", data_dir.display()))
        })?;
        let path_text = |name: &str| {
            let path = data_dir.join(name);
            path.to_str().map(str::to_string).ok_or_else(|| {
                StoreError::Database(format!("{} is not a UTF-8 path", path.display()))
            })
        };
        let data_path = path_text(DATA_DB)?;
        let mut writer = pool::open_writer(&data_path, WriterTuning::default())?;
        bootstrap::prepare_data_db(&mut writer)?;
        let mut auxiliary = pool::open_writer(&path_text(AUXILIARY_DB)?, logs::WRITER_TUNING)?;
        bootstrap::prepare_auxiliary_db(&mut auxiliary)?;
        drop(auxiliary);
        Ok(SqliteStore {
            data_dir: data_dir.to_path_buf(),
            connections: Connections::new(&data_path, writer, WriterTuning::default())?,
        })
    }

    /// The data dir this store was opened on.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

impl Store for SqliteStore {
    fn read(&self, work: &mut Work<'_>) -> Result<(), CoreError> {
        let mut reader = self.connections.reader()?;
        let conn: &mut diesel::SqliteConnection = &mut reader;
        conn.transaction::<_, TxError, _>(|conn| {
            work(&mut SqliteTx::new(conn)).map_err(TxError::Core)
        })
        .map_err(TxError::into_core)
    }

    fn write(&self, work: &mut Work<'_>) -> Result<(), CoreError> {
        let mut writer = self.connections.writer()?;
        writer
            .immediate_transaction::<_, TxError, _>(|conn| {
                work(&mut SqliteTx::new(conn)).map_err(TxError::Core)
            })
            .map_err(TxError::into_core)
    }

    fn snapshot_into(&self, folder: &Path) -> Result<Vec<String>, CoreError> {
        let mut written = Vec::new();
        for name in [DATA_DB, AUXILIARY_DB] {
            let source = self.data_dir.join(name);
            if !source.is_file() {
                continue;
            }
            snapshot::vacuum_into(&source, &folder.join(name))?;
            written.push(name.to_string());
        }
        Ok(written)
    }
}

/// `PRAGMA wal_checkpoint(TRUNCATE)` then `PRAGMA optimize` on the writer, as PocketBase's
/// nightly job does for `data.db`.
impl Maintenance for SqliteStore {
    fn optimize(&self) -> Result<(), StoreError> {
        let mut writer = self.connections.writer()?;
        writer
            .batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(error::database)?;
        writer
            .batch_execute("PRAGMA optimize")
            .map_err(error::database)
    }
}

#[cfg(test)]
mod tests;
