//! `_migrations`: the history of applied migrations, one row per file with the time (Unix
//! microseconds) it was applied, shared with PocketBase's own system migration rows.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use pb_core::ports::AppliedMigration;
use pb_core::StoreError;

use crate::error;
use crate::schema::migrations_table;

/// Every row, in no particular order.
pub(crate) fn all(conn: &mut SqliteConnection) -> Result<Vec<AppliedMigration>, StoreError> {
    let rows: Vec<(String, i64)> = migrations_table::table
        .select((migrations_table::file, migrations_table::applied))
        .load(conn)
        .map_err(error::database)?;
    Ok(rows
        .into_iter()
        .map(|(file, applied)| AppliedMigration { file, applied })
        .collect())
}

/// Adds or replaces the row of `file`.
pub(crate) fn record(
    conn: &mut SqliteConnection,
    file: &str,
    applied: i64,
) -> Result<(), StoreError> {
    diesel::replace_into(migrations_table::table)
        .values((
            migrations_table::file.eq(file),
            migrations_table::applied.eq(applied),
        ))
        .execute(conn)
        .map_err(error::database)?;
    Ok(())
}

/// Removes the row of `file`, if any.
pub(crate) fn forget(conn: &mut SqliteConnection, file: &str) -> Result<(), StoreError> {
    diesel::delete(migrations_table::table.find(file))
        .execute(conn)
        .map_err(error::database)?;
    Ok(())
}
