//! Rows of `_collections` and the [`Collection`]s they hold.
//!
//! PocketBase spreads a collection over columns (`fields` and `indexes` as JSON text, one column
//! per rule) plus an `options` JSON object with the type-specific keys. Reading rebuilds the API
//! shape from the columns, adds the `options` keys (auth options with their secrets, or
//! `viewQuery`) and hands it to [`Collection::from_json`], so a data dir written by PocketBase
//! reads exactly like one written here.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use pb_core::{Collection, StoreError};
use serde_json::{Map, Value};

use crate::error;
use crate::schema::collections_table;

/// One `_collections` row, column for column.
#[derive(Debug, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = collections_table, check_for_backend(diesel::sqlite::Sqlite), treat_none_as_null = true)]
struct CollectionRow {
    id: String,
    system: bool,
    collection_type: String,
    name: String,
    fields: String,
    indexes: String,
    list_rule: Option<String>,
    view_rule: Option<String>,
    create_rule: Option<String>,
    update_rule: Option<String>,
    delete_rule: Option<String>,
    options: String,
    created: String,
    updated: String,
}

impl CollectionRow {
    fn from_collection(collection: &Collection) -> Result<CollectionRow, StoreError> {
        let encode = |value: Result<String, serde_json::Error>| {
            value.map_err(|error| {
                StoreError::Corrupt(format!("collection {}: {error}", collection.name))
            })
        };
        Ok(CollectionRow {
            id: collection.id.clone(),
            system: collection.system,
            collection_type: collection.collection_type.as_str().to_string(),
            name: collection.name.clone(),
            fields: encode(serde_json::to_string(&collection.fields))?,
            indexes: encode(serde_json::to_string(&collection.indexes))?,
            list_rule: collection.list_rule.clone(),
            view_rule: collection.view_rule.clone(),
            create_rule: collection.create_rule.clone(),
            update_rule: collection.update_rule.clone(),
            delete_rule: collection.delete_rule.clone(),
            options: collection.options_json().to_string(),
            created: collection.created.clone(),
            updated: collection.updated.clone(),
        })
    }

    fn into_collection(self) -> Result<Collection, StoreError> {
        let corrupt = |what: &str, reason: String| {
            StoreError::Corrupt(format!("collection {:?}: {what}: {reason}", self.name))
        };
        let fields: Value = serde_json::from_str(&self.fields)
            .map_err(|error| corrupt("fields", error.to_string()))?;
        let indexes: Value = serde_json::from_str(&self.indexes)
            .map_err(|error| corrupt("indexes", error.to_string()))?;
        let options: Value = serde_json::from_str(&self.options)
            .map_err(|error| corrupt("options", error.to_string()))?;
        let rule = |rule: &Option<String>| rule.clone().map_or(Value::Null, Value::String);
        let mut object = Map::new();
        object.insert("id".into(), Value::String(self.id.clone()));
        object.insert("listRule".into(), rule(&self.list_rule));
        object.insert("viewRule".into(), rule(&self.view_rule));
        object.insert("createRule".into(), rule(&self.create_rule));
        object.insert("updateRule".into(), rule(&self.update_rule));
        object.insert("deleteRule".into(), rule(&self.delete_rule));
        object.insert("name".into(), Value::String(self.name.clone()));
        object.insert("type".into(), Value::String(self.collection_type.clone()));
        object.insert("fields".into(), fields);
        object.insert("indexes".into(), indexes);
        object.insert("created".into(), Value::String(self.created.clone()));
        object.insert("updated".into(), Value::String(self.updated.clone()));
        object.insert("system".into(), Value::Bool(self.system));
        if let Value::Object(options) = options {
            for (key, value) in options {
                // The columns win over a stray option of the same name.
                object.entry(key).or_insert(value);
            }
        }
        Collection::from_json(&Value::Object(object))
            .map_err(|reason| corrupt("definition", reason))
    }
}

/// Every collection, in insertion (`rowid`) order.
pub(crate) fn load_all(conn: &mut SqliteConnection) -> Result<Vec<Collection>, StoreError> {
    collections_table::table
        .select(CollectionRow::as_select())
        .order(diesel::dsl::sql::<diesel::sql_types::BigInt>("rowid"))
        .load::<CollectionRow>(conn)
        .map_err(error::database)?
        .into_iter()
        .map(CollectionRow::into_collection)
        .collect()
}

/// Adds the row of a new collection.
pub(crate) fn insert(
    conn: &mut SqliteConnection,
    collection: &Collection,
) -> Result<(), StoreError> {
    let row = CollectionRow::from_collection(collection)?;
    diesel::insert_into(collections_table::table)
        .values(&row)
        .execute(conn)
        .map_err(error::collection_row)?;
    Ok(())
}

/// Rewrites the row whose id is `id` with `collection` (whose id may differ only if the caller
/// changes it on purpose).
pub(crate) fn update(
    conn: &mut SqliteConnection,
    id: &str,
    collection: &Collection,
) -> Result<(), StoreError> {
    let row = CollectionRow::from_collection(collection)?;
    let changed = diesel::update(collections_table::table.find(id))
        .set(&row)
        .execute(conn)
        .map_err(error::collection_row)?;
    if changed == 0 {
        return Err(StoreError::Corrupt(format!(
            "collection {id:?} has no _collections row"
        )));
    }
    Ok(())
}

/// Removes the row whose id is `id` (no error when it is already gone).
pub(crate) fn delete(conn: &mut SqliteConnection, id: &str) -> Result<(), StoreError> {
    diesel::delete(collections_table::table.find(id))
        .execute(conn)
        .map_err(error::database)?;
    Ok(())
}
