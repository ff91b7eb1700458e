//! [`StoreTx`] over one SQLite connection that is already inside a transaction: each method
//! hands its work to the module that owns it.

use diesel::sqlite::SqliteConnection;
use pb_core::ports::{AppliedMigration, RecordQuery, SqlFragment, SqlValue, StoreTx};
use pb_core::{Collection, Field, Record, StoreError};
use serde_json::Value;

use crate::{collection_rows, collections, migrations, params, records};

/// The operations of one read or write transaction.
pub(crate) struct SqliteTx<'c> {
    conn: &'c mut SqliteConnection,
}

impl<'c> SqliteTx<'c> {
    pub(crate) fn new(conn: &'c mut SqliteConnection) -> SqliteTx<'c> {
        SqliteTx { conn }
    }
}

impl StoreTx for SqliteTx<'_> {
    fn collections(&mut self) -> Result<Vec<Collection>, StoreError> {
        collection_rows::load_all(self.conn)
    }

    fn insert_collection(&mut self, collection: &Collection) -> Result<(), StoreError> {
        collections::insert(self.conn, collection)
    }

    fn update_collection(&mut self, old: &Collection, new: &Collection) -> Result<(), StoreError> {
        collections::update(self.conn, old, new)
    }

    fn delete_collection(&mut self, collection: &Collection) -> Result<(), StoreError> {
        collections::delete(self.conn, collection)
    }

    fn infer_view_fields(&mut self, query: &str) -> Result<Vec<Field>, StoreError> {
        let all = collection_rows::load_all(self.conn)?;
        crate::view::infer_view_fields(self.conn, query, &all)
    }

    fn preview_view_rows(
        &mut self,
        query: &str,
        fields: &[Field],
        limit: u64,
    ) -> Result<Vec<Record>, StoreError> {
        crate::view::preview_view_rows(self.conn, query, fields, limit)
    }

    fn find_record(
        &mut self,
        collection: &Collection,
        id: &str,
    ) -> Result<Option<Record>, StoreError> {
        records::find(self.conn, collection, id)
    }

    fn find_records_by_field(
        &mut self,
        collection: &Collection,
        field: &str,
        value: &SqlValue,
        limit: u64,
    ) -> Result<Vec<Record>, StoreError> {
        records::find_by_field(self.conn, collection, field, value, limit)
    }

    fn existing_ids(
        &mut self,
        collection: &Collection,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        records::existing_ids(self.conn, collection, ids)
    }

    fn find_referencing_records(
        &mut self,
        collection: &Collection,
        field: &Field,
        target_id: &str,
    ) -> Result<Vec<Record>, StoreError> {
        records::find_referencing(self.conn, collection, field, target_id)
    }

    fn list_records(
        &mut self,
        collection: &Collection,
        query: &RecordQuery,
    ) -> Result<Vec<Record>, StoreError> {
        records::list(self.conn, collection, query)
    }

    fn count_records(
        &mut self,
        collection: &Collection,
        query: &RecordQuery,
    ) -> Result<u64, StoreError> {
        records::count(self.conn, collection, query)
    }

    fn insert_record(
        &mut self,
        collection: &Collection,
        record: &Record,
    ) -> Result<(), StoreError> {
        records::insert(self.conn, collection, record)
    }

    fn update_record(
        &mut self,
        collection: &Collection,
        record: &Record,
    ) -> Result<(), StoreError> {
        records::update(self.conn, collection, record)
    }

    fn delete_record(&mut self, collection: &Collection, id: &str) -> Result<(), StoreError> {
        records::delete(self.conn, collection, id)
    }

    fn delete_all_records(&mut self, collection: &Collection) -> Result<(), StoreError> {
        records::delete_all(self.conn, collection)
    }

    fn get_param(&mut self, key: &str) -> Result<Option<Value>, StoreError> {
        params::get(self.conn, key)
    }

    fn set_param(&mut self, key: &str, value: &Value) -> Result<(), StoreError> {
        params::set(self.conn, key, value, &pb_core::datetime::now())
    }

    fn record_matches(
        &mut self,
        collection: &Collection,
        record: &Record,
        conditions: &[SqlFragment],
    ) -> Result<Vec<bool>, StoreError> {
        records::matches(self.conn, collection, record, conditions)
    }

    fn applied_migrations(&mut self) -> Result<Vec<AppliedMigration>, StoreError> {
        migrations::all(self.conn)
    }

    fn record_migration(&mut self, file: &str, applied: i64) -> Result<(), StoreError> {
        migrations::record(self.conn, file, applied)
    }

    fn forget_migration(&mut self, file: &str) -> Result<(), StoreError> {
        migrations::forget(self.conn, file)
    }
}
