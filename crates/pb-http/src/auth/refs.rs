//! Rows of the system collections that hang off an auth record (`_otps`, `_mfas`,
//! `_authOrigins`): each has `collectionRef` and `recordRef` pointing at the record, plus the
//! `created`/`updated` autodates that expiry is measured from. They are ordinary records of
//! ordinary (system) collections, so they go through the same store calls as any record.

use std::sync::Arc;

use pb_core::ports::{OrderTerm, RecordQuery, SqlFragment, SqlValue, StoreTx};
use pb_core::{Collection, Record, StoreError};
use serde_json::Value;

use crate::error::ApiError;
use crate::state::Schema;

pub const OTPS: &str = "_otps";
pub const MFAS: &str = "_mfas";
pub const AUTH_ORIGINS: &str = "_authOrigins";

/// A system collection by name; 500 if the data dir lacks it (it cannot be deleted).
pub fn system_collection(schema: &Schema, name: &str) -> Result<Arc<Collection>, ApiError> {
    schema.find(name).ok_or_else(|| {
        tracing::error!(collection = name, "a system collection is missing");
        ApiError::internal()
    })
}

/// A new row for `record` of `auth_collection`, stamped `now`.
pub fn new_row(
    collection: &Collection,
    auth_collection: &Collection,
    record: &Record,
    now: &str,
) -> Record {
    let mut row = Record::new(collection);
    row.set("id", Value::String(pb_core::ids::new_record_id()));
    row.set("collectionRef", Value::String(auth_collection.id.clone()));
    row.set("recordRef", Value::String(record.id().to_string()));
    row.set("created", Value::String(now.to_string()));
    row.set("updated", Value::String(now.to_string()));
    row
}

/// The rows of `collection` that belong to `record`, newest first.
pub fn rows_of_record(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    auth_collection: &Collection,
    record: &Record,
) -> Result<Vec<Record>, StoreError> {
    let table = format!("\"{}\"", collection.name.replace('"', "\"\""));
    let query = RecordQuery {
        filter: Some(SqlFragment {
            sql: format!("{table}.\"collectionRef\" = ? AND {table}.\"recordRef\" = ?"),
            binds: vec![
                SqlValue::Text(auth_collection.id.clone()),
                SqlValue::Text(record.id().to_string()),
            ],
        }),
        order: vec![
            OrderTerm::Column {
                name: "created".into(),
                descending: true,
            },
            OrderTerm::RowId { descending: true },
        ],
        ..RecordQuery::default()
    };
    tx.list_records(collection, &query)
}

/// Whether `row` was created more than `duration_seconds` ago (a row with an unreadable
/// `created` counts as expired).
pub fn has_expired(row: &Record, duration_seconds: i64) -> bool {
    match pb_core::datetime::parse(row.get_str("created")) {
        Some(created) => {
            let age = chrono::Utc::now().signed_duration_since(created);
            age.num_milliseconds() > duration_seconds.saturating_mul(1000)
        }
        None => true,
    }
}

/// Whether `row` points at `record` of `auth_collection`.
pub fn belongs_to(row: &Record, auth_collection: &Collection, record: &Record) -> bool {
    row.get_str("collectionRef") == auth_collection.id && row.get_str("recordRef") == record.id()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_created(created: String) -> Record {
        let mut row = Record {
            collection_id: "pbc_1".into(),
            collection_name: "_otps".into(),
            values: serde_json::Map::new(),
        };
        row.set("created", Value::String(created));
        row
    }

    #[test]
    fn expiry_counts_from_created() {
        let now = chrono::Utc::now();
        let fresh = row_created(pb_core::datetime::format(now));
        assert!(!has_expired(&fresh, 180));
        let old = row_created(pb_core::datetime::format(
            now - chrono::Duration::seconds(181),
        ));
        assert!(has_expired(&old, 180));
        assert!(has_expired(&row_created(String::new()), 180));
    }
}
