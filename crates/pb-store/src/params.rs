//! `_params`: named JSON values such as the application settings (id `settings`), stored as
//! PocketBase stores them (the value as JSON text, `created`/`updated` as PocketBase datetimes).
//!
//! Settings encrypted by PocketBase's `--encryptionEnv` are not JSON and read as
//! [`StoreError::Corrupt`]; decrypting them is not supported.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use pb_core::StoreError;
use serde_json::Value;

use crate::error;
use crate::schema::params_table;

/// The value stored under `key`; a NULL value reads as JSON `null`.
pub(crate) fn get(conn: &mut SqliteConnection, key: &str) -> Result<Option<Value>, StoreError> {
    let stored: Option<Option<String>> = params_table::table
        .find(key)
        .select(params_table::value)
        .first(conn)
        .optional()
        .map_err(error::database)?;
    match stored {
        None => Ok(None),
        Some(None) => Ok(Some(Value::Null)),
        Some(Some(text)) => serde_json::from_str(&text).map(Some).map_err(|failure| {
            StoreError::Corrupt(format!("param {key:?} is not JSON: {failure}"))
        }),
    }
}

/// Stores `value` under `key`, creating the row when missing; `updated` becomes `now`.
pub(crate) fn set(
    conn: &mut SqliteConnection,
    key: &str,
    value: &Value,
    now: &str,
) -> Result<(), StoreError> {
    let text = value.to_string();
    let changed = diesel::update(params_table::table.find(key))
        .set((
            params_table::value.eq(Some(&text)),
            params_table::updated.eq(now),
        ))
        .execute(conn)
        .map_err(error::database)?;
    if changed == 0 {
        diesel::insert_into(params_table::table)
            .values((
                params_table::id.eq(key),
                params_table::value.eq(Some(&text)),
                params_table::created.eq(now),
                params_table::updated.eq(now),
            ))
            .execute(conn)
            .map_err(error::database)?;
    }
    Ok(())
}
