//! [`SqliteLogStore`]: the request logs in `auxiliary.db`'s `_logs` table.
//!
//! It has connections of its own (a writer and a small reader pool, WAL), apart from
//! `data.db`'s, so inserting logs never waits for record writes and the reverse. A batch is
//! inserted in one transaction, row by row (each built just before it is stored) through one
//! prepared statement (diesel caches the single-row typed `INSERT`); the writer is tuned for
//! large batches (see [`WRITER_TUNING`]); reads reuse the record-row machinery of
//! [`crate::records`] over [`pb_core::logs::logs_collection`], so filters compiled by the rule
//! language run unchanged.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use pb_core::logs::{logs_collection, LogEntry, LogStore, LogsHour, NewLog};
use pb_core::ports::{Maintenance, RecordQuery, SqlFragment};
use pb_core::{Collection, Record, StoreError};
use serde_json::Value;

use crate::error;
use crate::pool::{Connections, WriterTuning};
use crate::sql;

diesel::table! {
    /// PocketBase's request log rows.
    #[sql_name = "_logs"]
    logs_table (id) {
        id -> Text,
        level -> BigInt,
        message -> Text,
        /// A JSON object.
        data -> Text,
        created -> Text,
    }
}

/// How the log writer differs from other connections, and why.
///
/// A batch of logs is one transaction of tens of thousands of rows, appended to `_logs` and to
/// indexes that grow at their end (time-ordered ids, `level`, the creation hour):
/// * `new_file_page_size`: 16 KiB pages for a new `auxiliary.db` (an existing one, such as
///   PocketBase's, keeps its 4 KiB): a quarter as many pages to find, write, checksum and
///   checkpoint for the same rows, and shallower indexes. SQLite reads any page size, so
///   PocketBase opens such a file unchanged.
/// * `checkpoint_bytes`: a checkpoint per ~64 MiB of WAL rather than SQLite's 1000 pages, so a
///   busy server checkpoints about once a batch and a quiet one seldom, with the WAL file bounded
///   near that size.
///
/// A file that has PocketBase's `idx_logs_message` also gets [`SCATTERED_INDEX_TUNING`].
pub(crate) const WRITER_TUNING: WriterTuning = WriterTuning {
    new_file_page_size: Some(16 * 1024),
    cache_kib: None,
    checkpoint_bytes: Some(64 << 20),
};

/// [`WRITER_TUNING`] plus a 64 MiB page cache, for an `auxiliary.db` with PocketBase's index on
/// `message` (the method and URL of a request log). Each batch inserts all over that index (a
/// busy API sees thousands of distinct URLs a second), rewriting most of its leaf pages; the
/// large cache keeps them (the leaves that end each message's run) between batches as the
/// table grows instead of reading them back from the OS every time. It only fills as far as
/// the file is used. A file `pb` creates has no such index (see the bootstrap), so it appends
/// only and does without.
const SCATTERED_INDEX_TUNING: WriterTuning = WriterTuning {
    cache_kib: Some(64 * 1024),
    ..WRITER_TUNING
};

/// The `_logs` table of a data dir's `auxiliary.db`.
pub struct SqliteLogStore {
    connections: Connections,
    collection: Collection,
}

impl std::fmt::Debug for SqliteLogStore {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SqliteLogStore")
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl SqliteLogStore {
    /// Opens `auxiliary.db` of `data_dir`, creating `_logs` when missing.
    ///
    /// # Errors
    /// [`StoreError::Database`] when the file cannot be opened or is not SQLite.
    pub fn open(data_dir: &Path) -> Result<SqliteLogStore, StoreError> {
        let path = data_dir.join(crate::AUXILIARY_DB);
        let path = path.to_str().ok_or_else(|| {
            StoreError::Database(format!("{} is not a UTF-8 path", path.display()))
        })?;
        let mut writer = crate::pool::open_writer(path, WRITER_TUNING)?;
        crate::bootstrap::prepare_auxiliary_db(&mut writer)?;
        let mut tuning = WRITER_TUNING;
        if crate::bootstrap::has_schema_object(&mut writer, "index", "idx_logs_message")? {
            tuning = SCATTERED_INDEX_TUNING;
            crate::pool::apply_pragmas(&mut writer, crate::pool::Role::Writer, tuning)
                .map_err(error::database)?;
        }
        Ok(SqliteLogStore {
            connections: Connections::new(path, writer, tuning)?,
            collection: logs_collection(),
        })
    }
}

fn entry_of(record: Record) -> LogEntry {
    let text = |name: &str| record.get_str(name).to_string();
    LogEntry {
        id: text("id"),
        created: text("created"),
        level: record.get("level").and_then(Value::as_i64).unwrap_or(0),
        message: text("message"),
        data: record.get("data").cloned().unwrap_or(Value::Null),
    }
}

#[derive(QueryableByName)]
struct HourRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    date: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    total: i64,
}

fn insert_row(conn: &mut SqliteConnection, log: &NewLog) -> QueryResult<usize> {
    diesel::insert_into(logs_table::table)
        .values((
            logs_table::id.eq(&log.id),
            logs_table::level.eq(log.level),
            logs_table::message.eq(&log.message),
            logs_table::data.eq(&log.data),
            logs_table::created.eq(&log.created),
        ))
        .execute(conn)
}

impl LogStore for SqliteLogStore {
    fn insert_each(
        &self,
        next_row: &mut dyn FnMut(&mut NewLog) -> bool,
    ) -> Result<u64, StoreError> {
        let mut row = NewLog::default();
        if !next_row(&mut row) {
            return Ok(0);
        }
        let mut writer = self.connections.writer()?;
        writer
            .immediate_transaction(|conn| {
                let mut stored = 0;
                loop {
                    insert_row(conn, &row)?;
                    stored += 1;
                    if !next_row(&mut row) {
                        return Ok(stored);
                    }
                }
            })
            .map_err(error::database)
    }

    fn list(&self, query: &RecordQuery) -> Result<Vec<LogEntry>, StoreError> {
        let mut reader = self.connections.reader()?;
        let records = crate::records::list(&mut reader, &self.collection, query)?;
        Ok(records.into_iter().map(entry_of).collect())
    }

    fn count(&self, query: &RecordQuery) -> Result<u64, StoreError> {
        let mut reader = self.connections.reader()?;
        crate::records::count(&mut reader, &self.collection, query)
    }

    fn find(&self, id: &str) -> Result<Option<LogEntry>, StoreError> {
        let mut reader = self.connections.reader()?;
        Ok(crate::records::find(&mut reader, &self.collection, id)?.map(entry_of))
    }

    fn stats(&self, filter: Option<&SqlFragment>) -> Result<Vec<LogsHour>, StoreError> {
        let mut statement = String::from(
            "SELECT strftime('%Y-%m-%d %H:00:00', `created`) AS date, count(`id`) AS total FROM `_logs`",
        );
        let mut binds = Vec::new();
        if let Some(filter) = filter {
            statement.push_str(" WHERE (");
            statement.push_str(&filter.sql);
            statement.push(')');
            binds.extend(filter.binds.iter().cloned());
        }
        statement.push_str(" GROUP BY date ORDER BY date");
        let mut reader = self.connections.reader()?;
        let rows = sql::bound_query(&statement, &binds)
            .load::<HourRow>(&mut *reader)
            .map_err(error::database)?;
        Ok(rows
            .into_iter()
            .map(|row| LogsHour {
                date: format!("{}.000Z", row.date),
                total: u64::try_from(row.total).unwrap_or(0),
            })
            .collect())
    }

    fn delete_created_until(&self, created: &str) -> Result<u64, StoreError> {
        let mut writer = self.connections.writer()?;
        let deleted = diesel::delete(logs_table::table.filter(logs_table::created.le(created)))
            .execute(&mut *writer)
            .map_err(error::database)?;
        Ok(u64::try_from(deleted).unwrap_or(0))
    }

    fn delete_all(&self) -> Result<(), StoreError> {
        let mut writer = self.connections.writer()?;
        diesel::delete(logs_table::table)
            .execute(&mut *writer)
            .map_err(error::database)?;
        Ok(())
    }

    fn delete_stale(&self, created_until: &str, min_level: i64) -> Result<u64, StoreError> {
        let mut writer = self.connections.writer()?;
        let stale = logs_table::created
            .le(created_until)
            .or(logs_table::level.lt(min_level));
        let deleted = diesel::delete(logs_table::table.filter(stale))
            .execute(&mut *writer)
            .map_err(error::database)?;
        Ok(u64::try_from(deleted).unwrap_or(0))
    }

    fn vacuum(&self) -> Result<(), StoreError> {
        let mut writer = self.connections.writer()?;
        writer.batch_execute("VACUUM").map_err(error::database)
    }
}

/// `PRAGMA wal_checkpoint(TRUNCATE)` of `auxiliary.db` (PocketBase's nightly job).
impl Maintenance for SqliteLogStore {
    fn optimize(&self) -> Result<(), StoreError> {
        let mut writer = self.connections.writer()?;
        writer
            .batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .map_err(error::database)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::pool::pragma_number;
    use serde_json::json;

    fn entry(id: &str, created: &str, level: i64) -> LogEntry {
        LogEntry {
            id: id.to_string(),
            created: created.to_string(),
            level,
            message: format!("GET /api/{id}"),
            data: json!({"type": "request", "status": 200, "url": format!("/api/{id}")}),
        }
    }

    fn new_log(entry: &LogEntry) -> NewLog {
        NewLog {
            id: entry.id.clone(),
            created: entry.created.clone(),
            level: entry.level,
            message: entry.message.clone(),
            data: entry.data.to_string(),
        }
    }

    #[test]
    fn a_new_log_file_gets_large_pages_and_the_writer_its_checkpoint_interval() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteLogStore::open(dir.path()).unwrap();
        let mut writer = store.connections.writer().unwrap();
        assert_eq!(pragma_number(&mut writer, "page_size").unwrap(), 16 * 1024);
        // The cache every connection gets: nothing here inserts all over an index.
        assert_eq!(pragma_number(&mut writer, "cache_size").unwrap(), -16_000);
        // Not offered as pragma_wal_autocheckpoint(): read through the PRAGMA itself.
        let checkpoint = diesel::sql_query("PRAGMA wal_autocheckpoint")
            .get_result::<Checkpoint>(&mut *writer)
            .unwrap();
        assert_eq!(checkpoint.wal_autocheckpoint, 4096);
    }

    #[derive(QueryableByName)]
    struct Checkpoint {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        wal_autocheckpoint: i64,
    }

    #[test]
    fn a_log_file_with_the_message_index_gets_the_large_cache_also_when_reopened() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteLogStore::open(dir.path()).unwrap());
        let path = dir.path().join(crate::AUXILIARY_DB);
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        conn.batch_execute("CREATE INDEX idx_logs_message on `_logs` (`message`)")
            .unwrap();
        drop(conn);
        let store = SqliteLogStore::open(dir.path()).unwrap();
        assert_eq!(store.connections.tuning(), SCATTERED_INDEX_TUNING);
        let mut writer = store.connections.writer().unwrap();
        assert_eq!(
            pragma_number(&mut writer, "cache_size").unwrap(),
            -64 * 1024
        );
    }

    #[test]
    fn an_existing_log_file_keeps_its_page_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::AUXILIARY_DB);
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        conn.batch_execute(
            "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE t (x)",
        )
        .unwrap();
        drop(conn);
        let store = SqliteLogStore::open(dir.path()).unwrap();
        let mut writer = store.connections.writer().unwrap();
        assert_eq!(pragma_number(&mut writer, "page_size").unwrap(), 4096);
    }

    #[test]
    fn inserts_lists_counts_and_prunes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteLogStore::open(dir.path()).unwrap();
        let entries: Vec<LogEntry> = (0..250)
            .map(|index| {
                entry(
                    &format!("log{index:012}"),
                    &format!("2026-11-{:02} 10:00:00.000Z", 1 + index % 3),
                    if index % 2 == 0 { 0 } else { 8 },
                )
            })
            .collect();
        store
            .insert(&entries.iter().map(new_log).collect::<Vec<_>>())
            .unwrap();
        let all = RecordQuery::default();
        assert_eq!(store.count(&all).unwrap(), 250);
        let found = store.find("log000000000007").unwrap().unwrap();
        assert_eq!(found, entries[7]);
        assert!(store.find("missing").unwrap().is_none());

        let stats = store.stats(None).unwrap();
        assert_eq!(
            stats,
            vec![
                LogsHour {
                    date: "2026-11-01 10:00:00.000Z".into(),
                    total: 84
                },
                LogsHour {
                    date: "2026-11-02 10:00:00.000Z".into(),
                    total: 83
                },
                LogsHour {
                    date: "2026-11-03 10:00:00.000Z".into(),
                    total: 83
                },
            ]
        );
        let errors = SqlFragment {
            sql: "`_logs`.`level` > ?".into(),
            binds: vec![pb_core::ports::SqlValue::Integer(0)],
        };
        let error_stats = store.stats(Some(&errors)).unwrap();
        assert_eq!(error_stats.iter().map(|hour| hour.total).sum::<u64>(), 125);

        let deleted = store
            .delete_created_until("2026-11-02 10:00:00.000Z")
            .unwrap();
        assert_eq!(deleted, 167);
        assert_eq!(store.count(&all).unwrap(), 83);
        store.delete_all().unwrap();
        assert_eq!(store.count(&all).unwrap(), 0);
    }

    #[test]
    fn insert_each_stores_the_rows_it_is_handed_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteLogStore::open(dir.path()).unwrap();
        assert_eq!(store.insert_each(&mut |_| false).unwrap(), 0);
        let entries: Vec<LogEntry> = (0..3)
            .map(|index| entry(&format!("each{index:011}"), "2026-11-01 10:00:00.000Z", 0))
            .collect();
        let mut rest = entries.iter();
        let stored = store
            .insert_each(&mut |row| {
                rest.next().is_some_and(|entry| {
                    *row = new_log(entry);
                    true
                })
            })
            .unwrap();
        assert_eq!(stored, 3);
        // Unsorted, a page comes in insertion order.
        assert_eq!(store.list(&RecordQuery::default()).unwrap(), entries);
    }

    #[test]
    fn stale_logs_are_the_old_and_the_low() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteLogStore::open(dir.path()).unwrap();
        let entries = [
            entry("old_error", "2026-11-01 10:00:00.000Z", 8),
            entry("new_info", "2026-11-03 10:00:00.000Z", 0),
            entry("new_warning", "2026-11-03 10:00:00.000Z", 4),
            entry("new_error", "2026-11-03 10:00:00.000Z", 8),
        ];
        store
            .insert(&entries.iter().map(new_log).collect::<Vec<_>>())
            .unwrap();
        let deleted = store.delete_stale("2026-11-02 00:00:00.000Z", 4).unwrap();
        assert_eq!(deleted, 2);
        let kept = store.list(&RecordQuery::default()).unwrap();
        let mut ids: Vec<&str> = kept.iter().map(|log| log.id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["new_error", "new_warning"]);
        store.vacuum().unwrap();
        assert_eq!(store.count(&RecordQuery::default()).unwrap(), 2);
    }
}
