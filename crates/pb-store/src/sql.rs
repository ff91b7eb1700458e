//! The raw-SQL toolbox the record and DDL code shares: checking and quoting identifiers (which
//! cannot be bound), binding [`SqlValue`]s to a boxed `sql_query` in a loop, and the one-column
//! row shapes the store reads back.
//!
//! Identifiers are quoted with backticks, as PocketBase does: unlike double quotes, a backticked
//! name that does not resolve is an error in SQLite rather than silently becoming a string.

use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel::sqlite::Sqlite;
use diesel::QueryableByName;
use pb_core::ports::SqlValue;
use pb_core::StoreError;

/// A raw query whose values are bound one by one.
pub(crate) type BoxedQuery<'a> = BoxedSqlQuery<'a, Sqlite, SqlQuery>;

/// Whether `name` is safe to splice into SQL: ASCII letters, digits and `_`, not empty.
pub(crate) fn is_plain_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// `name` quoted with backticks, after checking it is a plain identifier. Names come from the
/// schema (collection and field names), so a bad one means the schema itself is broken.
pub(crate) fn quote(name: &str) -> Result<String, StoreError> {
    if is_plain_identifier(name) {
        Ok(format!("`{name}`"))
    } else {
        Err(StoreError::Corrupt(format!("invalid identifier {name:?}")))
    }
}

/// `text` as an SQL string literal.
pub(crate) fn string_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `sql` with `binds` bound in order.
pub(crate) fn bound_query<'a>(
    sql: &str,
    binds: impl IntoIterator<Item = &'a SqlValue>,
) -> BoxedQuery<'static> {
    let mut query = diesel::sql_query(sql).into_boxed::<Sqlite>();
    for value in binds {
        query = bind(query, value);
    }
    query
}

/// Binds one value with the SQL type matching its variant.
pub(crate) fn bind<'a>(query: BoxedQuery<'a>, value: &SqlValue) -> BoxedQuery<'a> {
    match value {
        SqlValue::Null => query.bind::<Nullable<Text>, _>(None::<String>),
        SqlValue::Integer(integer) => query.bind::<BigInt, _>(*integer),
        SqlValue::Real(real) => query.bind::<Double, _>(*real),
        SqlValue::Text(text) => query.bind::<Text, _>(text.clone()),
    }
}

/// A `u64` count or offset as the `i64` SQLite takes (saturating).
pub(crate) fn integer(value: u64) -> SqlValue {
    SqlValue::Integer(i64::try_from(value).unwrap_or(i64::MAX))
}

/// A row read as one JSON text built by SQLite (see [`crate::records`]).
#[derive(Debug, QueryableByName)]
pub(crate) struct JsonRow {
    #[diesel(sql_type = Text)]
    pub(crate) row_json: String,
}

/// The result of a `COUNT(…) AS count` query.
#[derive(Debug, QueryableByName)]
pub(crate) struct CountRow {
    #[diesel(sql_type = BigInt)]
    pub(crate) count: i64,
}

/// One text column named `value`.
#[derive(Debug, QueryableByName)]
pub(crate) struct TextRow {
    #[diesel(sql_type = Text)]
    pub(crate) value: String,
}

/// A row of `sqlite_master` (`name`, `sql`).
#[derive(Debug, QueryableByName)]
pub(crate) struct SchemaRow {
    #[diesel(sql_type = Text)]
    pub(crate) name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub(crate) sql: Option<String>,
}

/// A row of `PRAGMA table_info`.
#[derive(Debug, QueryableByName)]
pub(crate) struct ColumnInfoRow {
    #[diesel(sql_type = Text)]
    pub(crate) name: String,
    #[diesel(sql_type = Text, column_name = "type")]
    pub(crate) declared_type: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_identifiers_are_quoted() {
        assert_eq!(quote("_superusers").unwrap(), "`_superusers`");
        assert!(quote("a`b").is_err());
        assert!(quote("a b").is_err());
        assert!(quote("").is_err());
        assert_eq!(string_literal("it's"), "'it''s'");
    }
}
