//! Saving and removing collection definitions: each operation keeps the `_collections` row and
//! the collection's table (or view) in step, inside the caller's write transaction.
//!
//! For a view collection the stored fields are always the ones inferred from its query (as
//! PocketBase does on every save); a previous field of the same name and type keeps its id, so
//! ids stay stable across saves. On a rename, index statements that still name the old table
//! are pointed at the new one before they are run and stored.

use diesel::sqlite::SqliteConnection;
use pb_core::{Collection, Field, StoreError};

use crate::{collection_rows, ddl, index_sql, view};

/// Creates the table (or view) and indexes of a new collection and stores its row.
pub(crate) fn insert(
    conn: &mut SqliteConnection,
    collection: &Collection,
) -> Result<(), StoreError> {
    if collection.is_view() {
        let all = collection_rows::load_all(conn)?;
        let stored = with_view_fields(conn, collection, &all)?;
        collection_rows::insert(conn, &stored)
    } else {
        ddl::create_table(conn, collection)?;
        collection_rows::insert(conn, collection)
    }
}

/// Migrates the table (or view) of `old` to `new` and rewrites the row.
pub(crate) fn update(
    conn: &mut SqliteConnection,
    old: &Collection,
    new: &Collection,
) -> Result<(), StoreError> {
    let mut stored = new.clone();
    if old.name != new.name {
        stored.indexes = new
            .indexes
            .iter()
            .map(|index| index_sql::retarget(index, &old.name, &new.name))
            .collect();
    }
    match (old.is_view(), new.is_view()) {
        (false, false) => ddl::migrate_table(conn, old, &stored)?,
        (true, true) => {
            view::drop_view(conn, &old.name)?;
            let all = collection_rows::load_all(conn)?;
            stored = with_view_fields(conn, &stored, &all)?;
        }
        (true, false) => {
            view::drop_view(conn, &old.name)?;
            ddl::create_table(conn, &stored)?;
        }
        (false, true) => {
            ddl::drop_table(conn, &old.name)?;
            let all = collection_rows::load_all(conn)?;
            stored = with_view_fields(conn, &stored, &all)?;
        }
    }
    collection_rows::update(conn, &old.id, &stored)
}

/// Drops the table (or view) of `collection` and deletes its row.
pub(crate) fn delete(
    conn: &mut SqliteConnection,
    collection: &Collection,
) -> Result<(), StoreError> {
    if collection.is_view() {
        view::drop_view(conn, &collection.name)?;
    } else {
        ddl::drop_table(conn, &collection.name)?;
    }
    collection_rows::delete(conn, &collection.id)
}

/// Creates the view of `collection` and returns the collection with the inferred fields.
fn with_view_fields(
    conn: &mut SqliteConnection,
    collection: &Collection,
    all: &[Collection],
) -> Result<Collection, StoreError> {
    let others: Vec<Collection> = all
        .iter()
        .filter(|other| other.id != collection.id)
        .cloned()
        .collect();
    let inferred = view::create_view(conn, &collection.name, &collection.view_query, &others)?;
    let mut stored = collection.clone();
    stored.fields = keep_known_ids(inferred, &collection.fields);
    Ok(stored)
}

fn keep_known_ids(inferred: Vec<Field>, previous: &[Field]) -> Vec<Field> {
    inferred
        .into_iter()
        .map(|mut field| {
            if let Some(known) = previous.iter().find(|known| {
                known.name == field.name
                    && known.type_name() == field.type_name()
                    && !known.id.is_empty()
            }) {
                field.id = known.id.clone();
            }
            field
        })
        .collect()
}
