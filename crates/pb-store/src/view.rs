//! View collections: creating their SQL view and inferring their fields from the query, the way
//! PocketBase 0.40 does (checked against the reference server):
//!
//! * the `id` column becomes a text primary-key field without the 15-character limits;
//! * a plain column of a source collection clones that field (keeping its options, `required`
//!   and `system` included) under the output name and a `_clone_xxxx` id, except a source's `id`
//!   under another name, which becomes a single relation to that collection;
//! * `COUNT(…)` and `CAST(… AS INTEGER)` become `number` with `onlyInt`; other casts map to
//!   their type;
//! * any other expression becomes `json` with `maxSize: 1`.
//!
//! Columns whose origin the query reader cannot tell (subqueries, CTEs) fall back to the type
//! SQLite declares for the view column (`TEXT`, `NUMERIC`, `BOOLEAN`, `JSON`, none).
//!
//! The view is created as `CREATE VIEW name AS SELECT * FROM (<query>)`, PocketBase's own form.

use diesel::connection::Connection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::sqlite::SqliteConnection;
use pb_core::field::{FieldKind, JsonOptions, NumberOptions, RelationOptions};
use pb_core::{Collection, CoreError, Field, StoreError};

use crate::error::{self, TxError};
use crate::lexer;
use crate::sql::{self, ColumnInfoRow};
use crate::view_query::{self, Expression, SelectColumn, Source};

/// PocketBase's message for a view query with `*` columns.
const WILDCARD_MESSAGE: &str = "wildcard columns (*) are not supported - manually type the collection field names you want the view query to have";
/// PocketBase's message for a view query without an `id` column.
const MISSING_ID_MESSAGE: &str =
    "missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one)";
/// The temporary view [`infer_view_fields`] creates and drops again.
const INFERENCE_VIEW: &str = "_pb_view_inference";

/// The query trimmed of trailing `;`, or why it cannot be a view.
fn checked_query(query: &str) -> Result<&str, StoreError> {
    let query = lexer::trim_statement(query);
    if query.is_empty() {
        return Err(StoreError::InvalidStatement("empty view query".into()));
    }
    if lexer::has_several_statements(query) {
        return Err(StoreError::InvalidStatement(
            "a view query must be a single SELECT statement".into(),
        ));
    }
    if let Some(parsed) = view_query::parse(query) {
        if parsed
            .columns
            .iter()
            .any(|column| column.expression == Expression::Wildcard)
        {
            return Err(StoreError::InvalidStatement(WILDCARD_MESSAGE.into()));
        }
    }
    Ok(query)
}

/// Creates the view `name` for `query` and returns the fields inferred for it, given every
/// collection the query may read from.
pub(crate) fn create_view(
    conn: &mut SqliteConnection,
    name: &str,
    query: &str,
    collections: &[Collection],
) -> Result<Vec<Field>, StoreError> {
    let query = checked_query(query)?;
    let sql = format!(
        "CREATE VIEW {} AS SELECT * FROM ({query})",
        sql::quote(name)?
    );
    diesel::sql_query(sql)
        .execute(conn)
        .map_err(|failure| match error::table_ddl(failure) {
            StoreError::Database(message) => StoreError::InvalidStatement(message),
            other => other,
        })?;
    let columns = view_columns(conn, name, "main")?;
    infer_fields(query, &columns, collections)
}

/// Drops the view `name` if it exists.
pub(crate) fn drop_view(conn: &mut SqliteConnection, name: &str) -> Result<(), StoreError> {
    diesel::sql_query(format!("DROP VIEW IF EXISTS {}", sql::quote(name)?))
        .execute(conn)
        .map_err(error::database)?;
    Ok(())
}

/// The fields a view collection with `query` would get, given every collection it may read from
/// (as the collections API's dry run shows them), without leaving anything behind.
///
/// Runs in its own (nested, if needed) transaction on `conn` and creates a temporary view, so
/// `conn` must be able to write: the store's writer, not a `query_only` reader.
///
/// # Errors
/// [`StoreError::InvalidStatement`] when SQLite rejects the query, when it selects `*`, or when
/// it has no `id` column.
pub fn infer_view_fields(
    conn: &mut SqliteConnection,
    query: &str,
    collections: &[Collection],
) -> Result<Vec<Field>, StoreError> {
    let query = checked_query(query)?;
    conn.transaction::<_, TxError, _>(|conn| {
        infer_in_temporary_view(conn, query, collections)
            .map_err(|failure| TxError::Core(CoreError::Store(failure)))
    })
    .map_err(|failure| match failure.into_core() {
        CoreError::Store(store_error) => store_error,
        other => StoreError::Database(other.to_string()),
    })
}

/// The alias a previewed query's rows are read under.
const PREVIEW_ALIAS: &str = "_pb_view_preview";

/// The first `limit` rows a view collection with `query` would list, decoded with `fields`
/// (as [`infer_view_fields`] found them), without creating anything. Only reads, so it runs
/// on a `query_only` reader and never holds the writer while the query runs.
///
/// # Errors
/// [`StoreError::InvalidStatement`] when the query is refused (as by [`infer_view_fields`]) or
/// fails while running.
pub(crate) fn preview_view_rows(
    conn: &mut SqliteConnection,
    query: &str,
    fields: &[Field],
    limit: u64,
) -> Result<Vec<pb_core::Record>, StoreError> {
    let query = checked_query(query)?;
    let collection = Collection {
        view_query: query.to_string(),
        ..Collection::bare(
            PREVIEW_ALIAS,
            pb_core::collection::CollectionType::View,
            fields.to_vec(),
        )
    };
    crate::records::select_from_query(conn, &collection, query, limit)
}

fn infer_in_temporary_view(
    conn: &mut SqliteConnection,
    query: &str,
    collections: &[Collection],
) -> Result<Vec<Field>, StoreError> {
    let sql = format!("CREATE TEMP VIEW `{INFERENCE_VIEW}` AS SELECT * FROM ({query})");
    diesel::sql_query(sql)
        .execute(conn)
        .map_err(error::invalid_statement)?;
    let columns = view_columns(conn, INFERENCE_VIEW, "temp");
    diesel::sql_query(format!("DROP VIEW temp.`{INFERENCE_VIEW}`"))
        .execute(conn)
        .map_err(error::database)?;
    infer_fields(query, &columns?, collections)
}

/// The columns of the view `name` in `schema` (`main` or `temp`); SQLite reports errors in the
/// view's query here at the latest.
fn view_columns(
    conn: &mut SqliteConnection,
    name: &str,
    schema: &str,
) -> Result<Vec<ColumnInfoRow>, StoreError> {
    diesel::sql_query("SELECT name, type FROM pragma_table_info(?, ?) ORDER BY cid")
        .bind::<Text, _>(name)
        .bind::<Text, _>(schema)
        .load::<ColumnInfoRow>(conn)
        .map_err(error::invalid_statement)
}

/// The fields for the view columns `columns` of `query`.
fn infer_fields(
    query: &str,
    columns: &[ColumnInfoRow],
    collections: &[Collection],
) -> Result<Vec<Field>, StoreError> {
    if !columns.iter().any(|column| column.name == "id") {
        return Err(StoreError::InvalidStatement(MISSING_ID_MESSAGE.into()));
    }
    let parsed = view_query::parse(query).unwrap_or_default();
    let positional = parsed.columns.len() == columns.len();
    Ok(columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            if column.name == "id" {
                return view_id_field();
            }
            let select_column = if positional {
                parsed.columns.get(index)
            } else {
                parsed
                    .columns
                    .iter()
                    .find(|select_column| output_name(select_column) == Some(column.name.as_str()))
            };
            select_column
                .and_then(|select_column| {
                    field_for_expression(select_column, &column.name, &parsed.sources, collections)
                })
                .unwrap_or_else(|| field_for_declared_type(&column.name, &column.declared_type))
        })
        .collect())
}

fn output_name(column: &SelectColumn) -> Option<&str> {
    match (&column.alias, &column.expression) {
        (Some(alias), _) => Some(alias),
        (None, Expression::Column { name, .. }) => Some(name),
        _ => None,
    }
}

/// The `id` field of a view: text primary key, without the record-id length limits.
fn view_id_field() -> Field {
    let mut field = Field::primary_id();
    if let FieldKind::Text(options) = &mut field.kind {
        options.min = 0;
        options.max = 0;
        options.autogenerate_pattern = String::new();
    }
    field
}

fn field_for_expression(
    column: &SelectColumn,
    name: &str,
    sources: &[Source],
    collections: &[Collection],
) -> Option<Field> {
    match &column.expression {
        Expression::Column {
            qualifier,
            name: source_column,
        } => {
            let collection =
                source_collection(qualifier.as_deref(), source_column, sources, collections)?;
            let source_field = find_field(collection, source_column)?;
            if source_field.is_primary_key() || source_field.name == "id" {
                return Some(Field::new(
                    name,
                    FieldKind::Relation(RelationOptions {
                        collection_id: collection.id.clone(),
                        max_select: 1,
                        ..RelationOptions::default()
                    }),
                ));
            }
            let mut field = source_field.clone();
            field.name = name.to_string();
            field.id = format!(
                "_clone_{}",
                pb_core::ids::random_string(4, pb_core::ids::SECRET_ALPHABET)
            );
            Some(field)
        }
        Expression::Count => Some(number_field(name, true)),
        Expression::Cast(type_name) => Some(field_for_cast(name, type_name)),
        Expression::Other => Some(json_field(name)),
        Expression::Wildcard => None,
    }
}

/// The collection a (possibly qualified) column of the query reads from.
fn source_collection<'a>(
    qualifier: Option<&str>,
    column: &str,
    sources: &[Source],
    collections: &'a [Collection],
) -> Option<&'a Collection> {
    let by_name = |table: &str| {
        collections
            .iter()
            .find(|collection| collection.name.eq_ignore_ascii_case(table))
    };
    match qualifier {
        Some(qualifier) => {
            let source = sources
                .iter()
                .find(|source| match (&source.alias, &source.table) {
                    (Some(alias), _) => alias.eq_ignore_ascii_case(qualifier),
                    (None, Some(table)) => table.eq_ignore_ascii_case(qualifier),
                    (None, None) => false,
                });
            match source {
                Some(source) => source.table.as_deref().and_then(by_name),
                None => by_name(qualifier),
            }
        }
        None => {
            let candidates: Vec<&Collection> = sources
                .iter()
                .filter_map(|source| source.table.as_deref().and_then(by_name))
                .collect();
            if sources.len() == 1 && candidates.len() == 1 {
                return candidates.first().copied();
            }
            let mut having = candidates
                .into_iter()
                .filter(|collection| find_field(collection, column).is_some());
            match (having.next(), having.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        }
    }
}

fn find_field<'a>(collection: &'a Collection, name: &str) -> Option<&'a Field> {
    collection.field(name).or_else(|| {
        collection
            .fields
            .iter()
            .find(|field| field.name.eq_ignore_ascii_case(name))
    })
}

fn number_field(name: &str, only_int: bool) -> Field {
    Field::new(
        name,
        FieldKind::Number(NumberOptions {
            only_int,
            ..NumberOptions::default()
        }),
    )
}

fn json_field(name: &str) -> Field {
    Field::new(
        name,
        FieldKind::Json(JsonOptions {
            max_size: 1,
            ..JsonOptions::default()
        }),
    )
}

fn text_field(name: &str) -> Field {
    Field::new(name, FieldKind::Text(Default::default()))
}

fn bool_field(name: &str) -> Field {
    Field::new(name, FieldKind::Bool(Default::default()))
}

fn field_for_cast(name: &str, type_name: &str) -> Field {
    let upper = type_name.to_ascii_uppercase();
    if upper.contains("INT") {
        number_field(name, true)
    } else if ["REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL"]
        .iter()
        .any(|part| upper.contains(part))
    {
        number_field(name, false)
    } else if upper.starts_with("BOOL") {
        bool_field(name)
    } else if ["TEXT", "CHAR", "CLOB"]
        .iter()
        .any(|part| upper.contains(part))
    {
        text_field(name)
    } else {
        json_field(name)
    }
}

/// The fallback: a field from the type SQLite declares for the view column.
fn field_for_declared_type(name: &str, declared_type: &str) -> Field {
    let upper = declared_type.to_ascii_uppercase();
    if upper.is_empty() {
        json_field(name)
    } else if upper == "JSON" {
        Field::new(name, FieldKind::Json(JsonOptions::default()))
    } else {
        field_for_cast(name, declared_type)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn rejects_wildcards_and_several_statements() {
        assert_eq!(
            checked_query("select * from x"),
            Err(StoreError::InvalidStatement(WILDCARD_MESSAGE.into()))
        );
        assert!(checked_query("select id from a; drop table a").is_err());
        assert_eq!(checked_query(" select id from a ;"), Ok("select id from a"));
    }

    #[test]
    fn casts_and_declared_types() {
        assert_eq!(field_for_cast("n", "int").type_name(), "number");
        assert_eq!(field_for_cast("n", "text").type_name(), "text");
        assert_eq!(field_for_declared_type("b", "BOOLEAN").type_name(), "bool");
        assert_eq!(field_for_declared_type("j", "").type_name(), "json");
        assert_eq!(view_id_field().id, "text3208210256");
    }
}
