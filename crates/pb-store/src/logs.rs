//! [`SqliteLogStore`]: the request logs in `auxiliary.db`'s `_logs` table.
//!
//! It has connections of its own (a writer and a small reader pool, WAL), apart from
//! `data.db`'s, so inserting logs never waits for record writes and the reverse. A batch is
//! inserted in one transaction, row by row through one prepared statement (diesel caches the
//! single-row typed `INSERT`); the writer checkpoints the WAL less often than SQLite's default
//! (see [`WAL_AUTOCHECKPOINT_PAGES`]), since log batches rewrite the same index pages; reads
//! reuse the record-row machinery of [`crate::records`] over
//! [`pb_core::logs::logs_collection`], so filters compiled by the rule language run unchanged.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use pb_core::logs::{logs_collection, LogEntry, LogStore, LogsHour, NewLog};
use pb_core::ports::{Maintenance, RecordQuery, SqlFragment};
use pb_core::{Collection, Record, StoreError};
use serde_json::Value;

use crate::error;
use crate::pool::{Connections, Role};
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

/// WAL pages after which the writer copies them back into `auxiliary.db` (SQLite's default is
/// 1000). `message` and `level` index pages are rewritten by every batch; a checkpoint writes
/// each page once however many batches changed it since the last, so checkpointing every
/// ~40 MB rather than ~4 MB of WAL writes far less for a busy server.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;

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
        let mut writer = crate::pool::open_connection(path, Role::Writer)?;
        crate::bootstrap::prepare_auxiliary_db(&mut writer)?;
        writer
            .batch_execute(&format!(
                "PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}"
            ))
            .map_err(error::database)?;
        Ok(SqliteLogStore {
            connections: Connections::new(path, writer)?,
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

fn insert_all(conn: &mut SqliteConnection, logs: &[NewLog]) -> QueryResult<()> {
    for log in logs {
        diesel::insert_into(logs_table::table)
            .values((
                logs_table::id.eq(&log.id),
                logs_table::level.eq(log.level),
                logs_table::message.eq(&log.message),
                logs_table::data.eq(&log.data),
                logs_table::created.eq(&log.created),
            ))
            .execute(conn)?;
    }
    Ok(())
}

impl LogStore for SqliteLogStore {
    fn insert(&self, logs: &[NewLog]) -> Result<(), StoreError> {
        if logs.is_empty() {
            return Ok(());
        }
        let mut writer = self.connections.writer()?;
        writer
            .immediate_transaction(|conn| insert_all(conn, logs))
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
