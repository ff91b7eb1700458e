//! Consistent copies of live databases for backups: `VACUUM INTO` on a connection of its own.
//!
//! `VACUUM INTO` reads the database inside one read transaction and writes a fresh, compacted
//! file holding exactly that committed state. In WAL mode the writer keeps committing meanwhile
//! (readers and the writer do not block each other), so a backup never stalls the API, unlike a
//! file copy, which would have to stop writers to avoid a torn copy.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use pb_core::StoreError;

use crate::error;

/// Writes a snapshot of the database at `source` to `target` (which must not exist).
pub(crate) fn vacuum_into(source: &Path, target: &Path) -> Result<(), StoreError> {
    let utf8 = |path: &Path| {
        path.to_str()
            .map(str::to_string)
            .ok_or_else(|| StoreError::Database(format!("{} is not a UTF-8 path", path.display())))
    };
    let source = utf8(source)?;
    let mut conn = SqliteConnection::establish(&source)
        .map_err(|failure| StoreError::Database(format!("cannot open {source}: {failure}")))?;
    // Waits for a checkpoint or a schema change in progress instead of failing at once.
    conn.batch_execute("PRAGMA busy_timeout = 10000")
        .map_err(error::database)?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(utf8(target)?)
        .execute(&mut conn)
        .map_err(error::database)?;
    Ok(())
}
