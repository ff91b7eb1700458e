//! Request logs: the rows of `auxiliary.db`'s `_logs` table and the port ([`LogStore`]) through
//! which the HTTP layer writes and reads them.
//!
//! Logs live in their own database so that writing them never contends with record writes on
//! `data.db`'s single writer. The `_logs` columns are PocketBase's (`id`, `level`, `message`,
//! `data` JSON, `created`); [`logs_collection`] describes them as a collection so that the
//! filter language and the record-row decoding serve the logs API unchanged.

use serde_json::{json, Value};

use crate::collection::Collection;
use crate::error::StoreError;
use crate::ports::{RecordQuery, SqlFragment};

/// The table of request logs in `auxiliary.db`.
pub const LOGS_TABLE: &str = "_logs";

/// slog levels, as PocketBase stores them.
pub const LEVEL_INFO: i64 = 0;
/// Failed requests are logged at this level.
pub const LEVEL_ERROR: i64 = 8;

/// One row of `_logs`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub id: String,
    /// `YYYY-MM-DD HH:MM:SS.sssZ`, UTC.
    pub created: String,
    /// slog's level: -4 debug, 0 info, 4 warn, 8 error.
    pub level: i64,
    /// `"GET /api/health"` for a request log.
    pub message: String,
    /// A JSON object (`type`, `method`, `url`, `status`, …).
    pub data: Value,
}

impl LogEntry {
    /// The JSON the logs API answers with.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "created": self.created,
            "data": self.data,
            "message": self.message,
            "level": self.level,
        })
    }
}

/// A row to add to `_logs`, its `data` already serialised: logs are written in bulk by a
/// background thread, which builds the JSON text directly rather than through a [`Value`] (into
/// one row reused for every log: `Default` is the empty row it starts from).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewLog {
    pub id: String,
    /// `YYYY-MM-DD HH:MM:SS.sssZ`, UTC.
    pub created: String,
    pub level: i64,
    pub message: String,
    /// The JSON text of an object.
    pub data: String,
}

/// The number of logs created within one hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogsHour {
    /// The hour's start, `YYYY-MM-DD HH:00:00.000Z`.
    pub date: String,
    pub total: u64,
}

/// Where request logs are kept. Every method blocks: call them from a background thread or the
/// blocking pool, never from async code.
///
/// Filters and orders are compiled against [`logs_collection`], so they refer to the table as
/// `"_logs"` and bind every value.
pub trait LogStore: Send + Sync {
    /// Inserts, in one transaction, the rows `next_row` writes into the row it is handed, one
    /// after the other until it answers `false`; returns how many. A writer of large batches
    /// thus builds each row just before it is stored, in one reused row, rather than holding
    /// the whole batch as rows. Nothing is stored (and no transaction opened) for none.
    fn insert_each(&self, next_row: &mut dyn FnMut(&mut NewLog) -> bool)
        -> Result<u64, StoreError>;

    /// Inserts `logs` in one transaction.
    fn insert(&self, logs: &[NewLog]) -> Result<(), StoreError> {
        let mut rest = logs.iter();
        let mut next_row = |row: &mut NewLog| {
            rest.next().is_some_and(|log| {
                row.clone_from(log);
                true
            })
        };
        self.insert_each(&mut next_row).map(|_| ())
    }
    /// A page of logs.
    fn list(&self, query: &RecordQuery) -> Result<Vec<LogEntry>, StoreError>;
    /// How many logs the query's filter matches.
    fn count(&self, query: &RecordQuery) -> Result<u64, StoreError>;
    fn find(&self, id: &str) -> Result<Option<LogEntry>, StoreError>;
    /// Counts per hour of the logs `filter` matches, oldest hour first.
    fn stats(&self, filter: Option<&SqlFragment>) -> Result<Vec<LogsHour>, StoreError>;
    /// Deletes the logs created at or before `created` (same format as [`LogEntry::created`]);
    /// returns how many went.
    fn delete_created_until(&self, created: &str) -> Result<u64, StoreError>;
    /// Deletes every log.
    fn delete_all(&self) -> Result<(), StoreError>;
    /// Deletes the logs new settings no longer keep: those created at or before
    /// `created_until`, and those below `min_level`; returns how many went.
    fn delete_stale(&self, created_until: &str, min_level: i64) -> Result<u64, StoreError>;
    /// Gives the space of deleted logs back to the file system (logging was turned off).
    fn vacuum(&self) -> Result<(), StoreError>;
}

/// `_logs` seen as a base collection (`id` text, `created` autodate, `level` number, `message`
/// text, `data` JSON), for compiling `filter`/`sort` params and decoding rows.
pub fn logs_collection() -> Collection {
    let definition = json!({
        "id": LOGS_TABLE,
        "name": LOGS_TABLE,
        "type": "base",
        "system": true,
        "listRule": null, "viewRule": null, "createRule": null, "updateRule": null,
        "deleteRule": null,
        "fields": [
            {"id": "text3208210256", "name": "id", "type": "text", "system": true,
             "primaryKey": true, "required": true, "hidden": false, "presentable": false,
             "autogeneratePattern": "[a-z0-9]{15}", "pattern": "^[a-z0-9]+$", "min": 15,
             "max": 15},
            {"id": "autodate2990389176", "name": "created", "type": "autodate", "system": true,
             "hidden": false, "presentable": false, "onCreate": true, "onUpdate": false},
            {"id": "number_level", "name": "level", "type": "number", "system": true,
             "hidden": false, "presentable": false, "required": false, "onlyInt": true,
             "min": null, "max": null},
            {"id": "text_message", "name": "message", "type": "text", "system": true,
             "hidden": false, "presentable": false, "required": false, "min": 0, "max": 0,
             "pattern": "", "autogeneratePattern": "", "primaryKey": false},
            {"id": "json_data", "name": "data", "type": "json", "system": true,
             "hidden": false, "presentable": false, "required": false, "maxSize": 0}
        ],
        "indexes": [],
        "created": "", "updated": ""
    });
    // The definition is a constant that the unit test below parses; should it ever fail to,
    // a collection without fields makes every filter on it fail instead of panicking.
    Collection::from_json(&definition).unwrap_or_else(|_| Collection {
        system: true,
        ..Collection::bare(
            LOGS_TABLE,
            crate::collection::CollectionType::Base,
            Vec::new(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logs_collection_has_the_table_columns() {
        let collection = logs_collection();
        assert_eq!(collection.name, LOGS_TABLE);
        let names: Vec<&str> = collection
            .fields
            .iter()
            .map(|field| field.name.as_str())
            .collect();
        assert_eq!(names, ["id", "created", "level", "message", "data"]);
    }
}
