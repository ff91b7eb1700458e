//! Turning diesel's errors into [`StoreError`]s on purpose, one function per situation, instead
//! of a blanket `From`: the same SQLite failure means different things depending on where it
//! happened (a bad user index is [`StoreError::InvalidStatement`], a UNIQUE failure on a record
//! write is [`StoreError::UniqueViolation`] naming the columns, anything else is a
//! [`StoreError::Database`] for the logs).
//!
//! [`TxError`] is the error type of the diesel transactions the store runs: it lets a
//! [`CoreError`] from the unit of work pass through the rollback unchanged.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use pb_core::{Collection, CoreError, StoreError};

use crate::index_sql;

/// The error a store transaction ends with: the unit of work's own error, or diesel's (from
/// `BEGIN`, `COMMIT` or `ROLLBACK`).
#[derive(Debug)]
pub(crate) enum TxError {
    Core(CoreError),
    Diesel(DieselError),
}

impl From<DieselError> for TxError {
    fn from(error: DieselError) -> TxError {
        TxError::Diesel(error)
    }
}

impl TxError {
    pub(crate) fn into_core(self) -> CoreError {
        match self {
            TxError::Core(error) => error,
            TxError::Diesel(error) => CoreError::Store(database(error)),
        }
    }
}

/// A failure of the database itself (I/O, busy, a statement the store built).
pub(crate) fn database(error: DieselError) -> StoreError {
    StoreError::Database(error.to_string())
}

/// A failure of a statement that came from a user (an index, a view query): SQLite's message.
pub(crate) fn invalid_statement(error: DieselError) -> StoreError {
    match error {
        DieselError::DatabaseError(_, info) => {
            StoreError::InvalidStatement(info.message().to_string())
        }
        other => database(other),
    }
}

/// A failure creating or renaming a collection's table or view: a name SQLite already has
/// (tables are named case-insensitively) is reported like a duplicate collection name.
pub(crate) fn table_ddl(error: DieselError) -> StoreError {
    match &error {
        DieselError::DatabaseError(_, info)
            if info.message().contains("already exists")
                || info.message().contains("already another table") =>
        {
            StoreError::UniqueViolation {
                columns: vec!["name".to_string()],
            }
        }
        _ => database(error),
    }
}

/// A failure writing a row of `collection`: UNIQUE failures name their columns.
pub(crate) fn record_write(error: DieselError, collection: &Collection) -> StoreError {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let field_names: Vec<&str> = collection
                .fields
                .iter()
                .map(|field| field.name.as_str())
                .collect();
            StoreError::UniqueViolation {
                columns: unique_columns(info.message(), &collection.indexes, &field_names),
            }
        }
        _ => database(error),
    }
}

/// A failure writing a `_collections` row: a UNIQUE failure is a taken name (or id).
pub(crate) fn collection_row(error: DieselError) -> StoreError {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            StoreError::UniqueViolation {
                columns: unique_columns(info.message(), &[], &[]),
            }
        }
        _ => database(error),
    }
}

/// The columns of SQLite's "UNIQUE constraint failed: t.a, t.b" (`["a", "b"]`), or of
/// "UNIQUE constraint failed: index 'idx'" looked up in `indexes` (`[]` when unknown).
pub(crate) fn unique_columns(
    message: &str,
    indexes: &[String],
    field_names: &[&str],
) -> Vec<String> {
    let Some(list) = message
        .split_once("constraint failed:")
        .map(|(_, list)| list.trim())
    else {
        return Vec::new();
    };
    if let Some(quoted) = list.strip_prefix("index ") {
        let name = quoted.trim().trim_matches('\'');
        return index_sql::index_columns(indexes, name, field_names);
    }
    list.split(',')
        .map(|column| column.trim())
        .map(|column| column.rsplit_once('.').map_or(column, |(_, name)| name))
        .filter(|column| !column.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn unique_messages_name_their_columns() {
        assert_eq!(
            unique_columns("UNIQUE constraint failed: users.email", &[], &[]),
            ["email"]
        );
        assert_eq!(
            unique_columns("UNIQUE constraint failed: t.a, t.b", &[], &[]),
            ["a", "b"]
        );
        let indexes = vec!["CREATE UNIQUE INDEX idx_l ON t (lower(em))".to_string()];
        assert_eq!(
            unique_columns(
                "UNIQUE constraint failed: index 'idx_l'",
                &indexes,
                &["em", "id"]
            ),
            ["em"]
        );
        assert!(
            unique_columns("UNIQUE constraint failed: index 'nope'", &indexes, &["em"]).is_empty()
        );
    }
}
