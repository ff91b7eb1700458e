//! Making a fresh data dir look exactly like one PocketBase 0.40 creates, and leaving an
//! existing one alone.
//!
//! `data.db` gets PocketBase's `_migrations`, `_params` and `_collections` tables (the DDL text
//! below is PocketBase's, whitespace included, as `.schema` shows it), the system collections
//! with their tables and indexes, the default settings, and the `_migrations` rows PocketBase
//! 0.40.6 writes, so that PocketBase itself would consider the dir migrated. `auxiliary.db` gets
//! the `_logs` table with all of PocketBase's indexes but one (see [`AUXILIARY_DDL`]).
//!
//! Why not `diesel_migrations`: its bookkeeping table (`__diesel_schema_migrations`) is a table
//! PocketBase does not have, and a PocketBase data dir has no record of diesel migrations, so it
//! would try to re-create tables that exist. Instead the bootstrap is idempotent code: every
//! statement is `CREATE … IF NOT EXISTS` (SQLite stores the text without that clause, so the
//! schema reads the same), and the system collections, settings and migration rows are only
//! added when `_collections` did not exist yet. An existing PocketBase data dir is therefore
//! opened as is, without any schema change.

use std::time::{SystemTime, UNIX_EPOCH};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use pb_core::StoreError;

use crate::error::{self, TxError};
use crate::schema::migrations_table;
use crate::{collections, params};

/// The system tables of `data.db`, in PocketBase's words.
const DATA_DDL: [&str; 4] = [
    "CREATE TABLE IF NOT EXISTS `_migrations` (file VARCHAR(255) PRIMARY KEY NOT NULL, applied INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS `_params` (\n\t\t\t`id`      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,\n\t\t\t`value`   JSON DEFAULT NULL,\n\t\t\t`created` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,\n\t\t\t`updated` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL\n\t\t)",
    "CREATE TABLE IF NOT EXISTS `_collections` (\n\t\t\t\t`id`         TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,\n\t\t\t\t`system`     BOOLEAN DEFAULT FALSE NOT NULL,\n\t\t\t\t`type`       TEXT DEFAULT \"base\" NOT NULL,\n\t\t\t\t`name`       TEXT UNIQUE NOT NULL,\n\t\t\t\t`fields`     JSON DEFAULT \"[]\" NOT NULL,\n\t\t\t\t`indexes`    JSON DEFAULT \"[]\" NOT NULL,\n\t\t\t\t`listRule`   TEXT DEFAULT NULL,\n\t\t\t\t`viewRule`   TEXT DEFAULT NULL,\n\t\t\t\t`createRule` TEXT DEFAULT NULL,\n\t\t\t\t`updateRule` TEXT DEFAULT NULL,\n\t\t\t\t`deleteRule` TEXT DEFAULT NULL,\n\t\t\t\t`options`    JSON DEFAULT \"{}\" NOT NULL,\n\t\t\t\t`created`    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,\n\t\t\t\t`updated`    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL\n\t\t\t)",
    "CREATE INDEX IF NOT EXISTS idx__collections_type on `_collections` (`type`)",
];

/// The `_logs` table of `auxiliary.db` and its indexes, in PocketBase's words, except that a
/// new file does not get PocketBase's `idx_logs_message` (on `message`, the request's method
/// and URL).
///
/// That index is most of what storing a request log costs: an API serving thousands of
/// distinct URLs inserts each log at a random place in it, so every batch of logs rewrites
/// pages all over it, while the other indexes and the table only grow at their end. Measured
/// with the `view` benchmark (reads of 10,000 different records), it took request logging from
/// about 5–7% to 11–14% of the server's CPU. What it speeds up is narrow: exact
/// `message = …` filters and sorts by `message`. Searching text with `~` (what PocketBase's
/// dashboard does with a search) scans either way, and the stats and the pruning job go by
/// `created`. Every filter and sort answers the same without it.
/// An `auxiliary.db` that has it (one PocketBase created) keeps it, as every statement here is
/// `IF NOT EXISTS` and nothing is dropped; PocketBase opens a file without it unchanged.
const AUXILIARY_DDL: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS `_logs` (\n\t\t\t\t\t`id`      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,\n\t\t\t\t\t`level`   INTEGER DEFAULT 0 NOT NULL,\n\t\t\t\t\t`message` TEXT DEFAULT \"\" NOT NULL,\n\t\t\t\t\t`data`    JSON DEFAULT \"{}\" NOT NULL,\n\t\t\t\t\t`created` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL\n\t\t\t\t)",
    "CREATE INDEX IF NOT EXISTS idx_logs_level on `_logs` (`level`)",
    "CREATE INDEX IF NOT EXISTS idx_logs_created_hour on `_logs` (strftime('%Y-%m-%d %H:00:00', `created`))",
];

/// The migrations a data dir created by PocketBase 0.40.6 lists as applied, in order.
pub(crate) const POCKETBASE_MIGRATIONS: [&str; 8] = [
    "1640988000_aux_init.go",
    "1640988000_init.go",
    "1717233556_v0.23_migrate.go",
    "1717233557_v0.23_migrate2.go",
    "1717233558_v0.23_migrate3.go",
    "1717233559_v0.23_migrate4.go",
    "1763020353_update_default_auth_alert_templates.go",
    "1778828400_normalize_indexes.go",
];

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    present: bool,
}

/// Whether the database has a `kind` (`table`, `index`, …) called `name`.
pub(crate) fn has_schema_object(
    conn: &mut SqliteConnection,
    kind: &str,
    name: &str,
) -> Result<bool, StoreError> {
    diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?) AS present",
    )
    .bind::<diesel::sql_types::Text, _>(kind)
    .bind::<diesel::sql_types::Text, _>(name)
    .get_result::<Exists>(conn)
    .map(|exists| exists.present)
    .map_err(error::database)
}

/// Creates what `data.db` lacks, in one `BEGIN IMMEDIATE` transaction.
pub(crate) fn prepare_data_db(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    conn.immediate_transaction::<_, TxError, _>(|conn| {
        prepare_in_transaction(conn).map_err(|failure| TxError::Core(failure.into()))
    })
    .map_err(|failure| match failure.into_core() {
        pb_core::CoreError::Store(store_error) => store_error,
        other => StoreError::Database(other.to_string()),
    })
}

fn prepare_in_transaction(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let fresh = !has_schema_object(conn, "table", "_collections")?;
    for statement in DATA_DDL {
        conn.batch_execute(statement).map_err(error::database)?;
    }
    if !fresh {
        return Ok(());
    }
    tracing::info!("initialising a fresh data.db with PocketBase's system tables and collections");
    let now = pb_core::datetime::now();
    for collection in pb_core::system::fresh_collections(&now) {
        collections::insert(conn, &collection)?;
    }
    params::set(
        conn,
        pb_core::settings::SETTINGS_KEY,
        &pb_core::settings::defaults(),
        &now,
    )?;
    let applied = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    for (offset, file) in (0i64..).zip(POCKETBASE_MIGRATIONS) {
        diesel::insert_or_ignore_into(migrations_table::table)
            .values((
                migrations_table::file.eq(file),
                migrations_table::applied.eq(applied + offset),
            ))
            .execute(conn)
            .map_err(error::database)?;
    }
    Ok(())
}

/// Creates the `_logs` table of `auxiliary.db` and its indexes where they are missing.
pub(crate) fn prepare_auxiliary_db(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    for statement in AUXILIARY_DDL {
        conn.batch_execute(statement).map_err(error::database)?;
    }
    Ok(())
}
