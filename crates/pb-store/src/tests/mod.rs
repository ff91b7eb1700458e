//! Store tests against real SQLite files in temporary dirs, one file per concern. Helpers here
//! build collections the way the HTTP layer would hand them over and run raw SQL to look at
//! what was stored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod collections;
mod layout;
mod records;
mod reference;
mod snapshots;
mod transactions;
mod views;

use diesel::prelude::*;
use pb_core::ports::{read_with, write_with, StoreTx};
use pb_core::{Collection, CoreError, Field};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::sql::TextRow;
use crate::SqliteStore;

/// A store on a fresh data dir (keep the dir alive as long as the store).
fn open_store() -> (TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    (dir, store)
}

fn write<T>(
    store: &SqliteStore,
    work: impl FnOnce(&mut dyn StoreTx) -> Result<T, CoreError>,
) -> Result<T, CoreError> {
    write_with(store, work)
}

fn read<T>(
    store: &SqliteStore,
    work: impl FnOnce(&mut dyn StoreTx) -> Result<T, CoreError>,
) -> Result<T, CoreError> {
    read_with(store, work)
}

/// A base collection named `name` with the `id` field followed by `fields` (field JSON without
/// ids gets PocketBase's id for it).
fn base_collection(name: &str, fields: Value, indexes: &[&str]) -> Collection {
    let now = pb_core::datetime::now();
    let mut all = vec![serde_json::to_value(Field::primary_id()).unwrap()];
    for mut field in fields.as_array().unwrap().clone() {
        if field.get("id").is_none() {
            let id = pb_core::ids::field_id(
                field["type"].as_str().unwrap(),
                field["name"].as_str().unwrap(),
            );
            field["id"] = Value::String(id);
        }
        all.push(field);
    }
    Collection::from_json(&json!({
        "id": pb_core::ids::collection_id("base", name),
        "name": name,
        "type": "base",
        "fields": all,
        "indexes": indexes,
        "listRule": "",
        "viewRule": "",
        "created": now,
        "updated": now,
    }))
    .unwrap()
}

/// A view collection named `name` for `query`, with no fields (the store infers them).
fn view_collection(name: &str, query: &str) -> Collection {
    let now = pb_core::datetime::now();
    Collection::from_json(&json!({
        "id": pb_core::ids::collection_id("view", name),
        "name": name,
        "type": "view",
        "viewQuery": query,
        "created": now,
        "updated": now,
    }))
    .unwrap()
}

/// The collection named `name` as stored.
fn stored_collection(store: &SqliteStore, name: &str) -> Option<Collection> {
    read(store, |tx| {
        Ok(tx
            .collections()?
            .into_iter()
            .find(|collection| collection.name == name))
    })
    .unwrap()
}

/// Runs `statement` (which selects one text column named `value`) on the writer.
fn strings(store: &SqliteStore, statement: &str) -> Vec<String> {
    let mut conn = store.connections.writer().unwrap();
    diesel::sql_query(statement)
        .load::<TextRow>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|row| row.value)
        .collect()
}
