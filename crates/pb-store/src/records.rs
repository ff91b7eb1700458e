//! Reading and writing the rows of record tables, whose columns are only known at runtime.
//!
//! Reads ask SQLite to build one JSON text per row, `json_array(json_object('a', t.a, …), …)`
//! (chunks of at most [`COLUMNS_PER_OBJECT`] columns keep each call well under SQLite's argument
//! limit), read through a one-column `QueryableByName` row and decoded field by field, guided by
//! each field's column kind ([`crate::values`]). Writes are `sql_query`s whose values are bound
//! in a loop. Every identifier comes from the collection and is checked before it is quoted.

use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use pb_core::field::ColumnKind;
use pb_core::ports::{OrderTerm, RecordQuery, SqlFragment, SqlValue};
use pb_core::{Collection, Field, Record, StoreError};
use serde_json::{Map, Value};

use crate::error;
use crate::sql::{self, CountRow, JsonRow};
use crate::values;

/// Columns per `json_object(…)` call (two arguments each).
const COLUMNS_PER_OBJECT: usize = 100;
/// Ids per `IN (…)` list.
const IDS_PER_QUERY: usize = 500;
/// Conditions per `json_array(…)` call in [`matches`].
const CONDITIONS_PER_QUERY: usize = 100;

/// The select expression that yields a row of `collection` as JSON text named `row_json`.
fn row_json_select(collection: &Collection, table: &str) -> Result<String, StoreError> {
    let mut objects = Vec::new();
    for chunk in collection.fields.chunks(COLUMNS_PER_OBJECT) {
        let pairs = chunk
            .iter()
            .map(|field| {
                Ok(format!(
                    "{}, {table}.{}",
                    sql::string_literal(&field.name),
                    sql::quote(&field.name)?
                ))
            })
            .collect::<Result<Vec<String>, StoreError>>()?;
        objects.push(format!("json_object({})", pairs.join(", ")));
    }
    Ok(format!("json_array({}) AS row_json", objects.join(", ")))
}

fn decode_row(collection: &Collection, row: &JsonRow) -> Result<Record, StoreError> {
    let parsed: Value = serde_json::from_str(&row.row_json)
        .map_err(|failure| StoreError::Corrupt(format!("row of {}: {failure}", collection.name)))?;
    let mut columns = Map::new();
    if let Value::Array(objects) = parsed {
        for object in objects {
            if let Value::Object(object) = object {
                columns.extend(object);
            }
        }
    }
    let values = collection
        .fields
        .iter()
        .map(|field| {
            (
                field.name.clone(),
                values::decode(field.column_kind(), columns.get(&field.name)),
            )
        })
        .collect();
    Ok(Record {
        collection_id: collection.id.clone(),
        collection_name: collection.name.clone(),
        values,
    })
}

/// Runs `SELECT <row json> FROM <table> <rest>` with `binds` and decodes the rows.
fn select_records(
    conn: &mut SqliteConnection,
    collection: &Collection,
    rest: &str,
    binds: &[SqlValue],
) -> Result<Vec<Record>, StoreError> {
    let table = sql::quote(&collection.name)?;
    load_rows(
        conn,
        collection,
        &table,
        &table,
        rest,
        binds,
        error::database,
    )
}

/// The first `limit` rows of the `SELECT` `query`, as records of `collection`, whose name is
/// the alias the query is read under. For previews of a view query that is not saved yet; a
/// query SQLite refuses is [`StoreError::InvalidStatement`].
pub(crate) fn select_from_query(
    conn: &mut SqliteConnection,
    collection: &Collection,
    query: &str,
    limit: u64,
) -> Result<Vec<Record>, StoreError> {
    let table = sql::quote(&collection.name)?;
    let source = format!("({query}) AS {table}");
    let limit = SqlValue::Integer(i64::try_from(limit).unwrap_or(i64::MAX));
    load_rows(
        conn,
        collection,
        &table,
        &source,
        "LIMIT ?",
        &[limit],
        error::invalid_statement,
    )
}

/// Runs `SELECT <row json of table> FROM <source> <rest>` with `binds` and decodes the rows;
/// a failing statement becomes `on_error`'s error.
fn load_rows(
    conn: &mut SqliteConnection,
    collection: &Collection,
    table: &str,
    source: &str,
    rest: &str,
    binds: &[SqlValue],
    on_error: fn(diesel::result::Error) -> StoreError,
) -> Result<Vec<Record>, StoreError> {
    let statement = format!(
        "SELECT {} FROM {source} {rest}",
        row_json_select(collection, table)?
    );
    sql::bound_query(&statement, binds)
        .load::<JsonRow>(conn)
        .map_err(on_error)?
        .iter()
        .map(|row| decode_row(collection, row))
        .collect()
}

/// `table.column` for a field name of `collection` (which must have it).
fn column_of(collection: &Collection, table: &str, name: &str) -> Result<String, StoreError> {
    if collection.field(name).is_none() {
        return Err(StoreError::InvalidStatement(format!(
            "{} has no field {name:?}",
            collection.name
        )));
    }
    Ok(format!("{table}.{}", sql::quote(name)?))
}

pub(crate) fn find(
    conn: &mut SqliteConnection,
    collection: &Collection,
    id: &str,
) -> Result<Option<Record>, StoreError> {
    let table = sql::quote(&collection.name)?;
    let rest = format!("WHERE {table}.`id` = ? LIMIT 1");
    Ok(select_records(conn, collection, &rest, &[SqlValue::Text(id.to_string())])?.pop())
}

pub(crate) fn find_by_field(
    conn: &mut SqliteConnection,
    collection: &Collection,
    field: &str,
    value: &SqlValue,
    limit: u64,
) -> Result<Vec<Record>, StoreError> {
    let table = sql::quote(&collection.name)?;
    let rest = format!(
        "WHERE {} = ? LIMIT ?",
        column_of(collection, &table, field)?
    );
    select_records(
        conn,
        collection,
        &rest,
        &[value.clone(), sql::integer(limit)],
    )
}

pub(crate) fn existing_ids(
    conn: &mut SqliteConnection,
    collection: &Collection,
    ids: &[String],
) -> Result<Vec<String>, StoreError> {
    let table = sql::quote(&collection.name)?;
    let mut found = Vec::new();
    for chunk in ids.chunks(IDS_PER_QUERY) {
        let placeholders = vec!["?"; chunk.len()].join(", ");
        let statement = format!(
            "SELECT {table}.`id` AS value FROM {table} WHERE {table}.`id` IN ({placeholders})"
        );
        let binds: Vec<SqlValue> = chunk.iter().map(|id| SqlValue::Text(id.clone())).collect();
        let rows = sql::bound_query(&statement, &binds)
            .load::<sql::TextRow>(conn)
            .map_err(error::database)?;
        found.extend(rows.into_iter().map(|row| row.value));
    }
    Ok(found)
}

pub(crate) fn find_referencing(
    conn: &mut SqliteConnection,
    collection: &Collection,
    field: &Field,
    target_id: &str,
) -> Result<Vec<Record>, StoreError> {
    let table = sql::quote(&collection.name)?;
    let column = column_of(collection, &table, &field.name)?;
    let target = SqlValue::Text(target_id.to_string());
    if field.column_kind() == ColumnKind::JsonArray {
        // json_each fails on malformed JSON, so only valid arrays are searched.
        let rest = format!(
            "WHERE CASE WHEN json_valid({column}) \
             THEN EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?) \
             ELSE {column} = ? END"
        );
        select_records(conn, collection, &rest, &[target.clone(), target])
    } else {
        select_records(conn, collection, &format!("WHERE {column} = ?"), &[target])
    }
}

/// The joins and WHERE of a list query, with their binds appended to `binds`.
fn joins_and_filter(query: &RecordQuery, binds: &mut Vec<SqlValue>) -> String {
    let mut clause = String::new();
    for join in &query.joins {
        clause.push(' ');
        clause.push_str(&join.sql);
        binds.extend(join.binds.iter().cloned());
    }
    if let Some(filter) = &query.filter {
        clause.push_str(" WHERE (");
        clause.push_str(&filter.sql);
        clause.push(')');
        binds.extend(filter.binds.iter().cloned());
    }
    clause
}

/// Lists records. With joins, rows are grouped by id so that a record matched through several
/// joined rows is listed once.
pub(crate) fn list(
    conn: &mut SqliteConnection,
    collection: &Collection,
    query: &RecordQuery,
) -> Result<Vec<Record>, StoreError> {
    let table = sql::quote(&collection.name)?;
    let mut binds = Vec::new();
    let mut rest = joins_and_filter(query, &mut binds);
    if !query.joins.is_empty() {
        rest.push_str(&format!(" GROUP BY {table}.`id`"));
    }
    let mut terms = Vec::new();
    for term in &query.order {
        let direction = |descending: bool| if descending { "DESC" } else { "ASC" };
        terms.push(match term {
            OrderTerm::Column { name, descending } => {
                format!("{table}.{} {}", sql::quote(name)?, direction(*descending))
            }
            OrderTerm::RowId { descending } => format!("{table}.rowid {}", direction(*descending)),
            OrderTerm::Random => "RANDOM()".to_string(),
            OrderTerm::Expression {
                fragment,
                descending,
            } => {
                binds.extend(fragment.binds.iter().cloned());
                format!("({}) {}", fragment.sql, direction(*descending))
            }
        });
    }
    if !terms.is_empty() {
        rest.push_str(" ORDER BY ");
        rest.push_str(&terms.join(", "));
    }
    match query.limit {
        Some(limit) => {
            rest.push_str(" LIMIT ? OFFSET ?");
            binds.push(sql::integer(limit));
            binds.push(sql::integer(query.offset));
        }
        None if query.offset > 0 => {
            rest.push_str(" LIMIT -1 OFFSET ?");
            binds.push(sql::integer(query.offset));
        }
        None => {}
    }
    select_records(conn, collection, &rest, &binds)
}

/// Counts the records the query's joins and filter match.
pub(crate) fn count(
    conn: &mut SqliteConnection,
    collection: &Collection,
    query: &RecordQuery,
) -> Result<u64, StoreError> {
    let table = sql::quote(&collection.name)?;
    let mut binds = Vec::new();
    let rest = joins_and_filter(query, &mut binds);
    let counted = if query.joins.is_empty() {
        "*".to_string()
    } else {
        format!("DISTINCT {table}.`id`")
    };
    let statement = format!("SELECT COUNT({counted}) AS count FROM {table}{rest}");
    let row = sql::bound_query(&statement, &binds)
        .get_result::<CountRow>(conn)
        .map_err(error::database)?;
    Ok(u64::try_from(row.count).unwrap_or(0))
}

/// The column names and bound values of every field of `record`.
fn columns_and_values(
    collection: &Collection,
    record: &Record,
) -> Result<Vec<(String, SqlValue)>, StoreError> {
    collection
        .fields
        .iter()
        .map(|field| {
            Ok((
                sql::quote(&field.name)?,
                values::encode(field.column_kind(), record.get(&field.name)),
            ))
        })
        .collect()
}

fn writable(collection: &Collection) -> Result<(), StoreError> {
    if collection.is_view() {
        return Err(StoreError::InvalidStatement(format!(
            "{} is a view and has no writable records",
            collection.name
        )));
    }
    Ok(())
}

pub(crate) fn insert(
    conn: &mut SqliteConnection,
    collection: &Collection,
    record: &Record,
) -> Result<(), StoreError> {
    writable(collection)?;
    let columns = columns_and_values(collection, record)?;
    let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
    let statement = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        sql::quote(&collection.name)?,
        names.join(", "),
        vec!["?"; names.len()].join(", ")
    );
    sql::bound_query(&statement, columns.iter().map(|(_, value)| value))
        .execute(conn)
        .map_err(|failure| error::record_write(failure, collection))?;
    Ok(())
}

pub(crate) fn update(
    conn: &mut SqliteConnection,
    collection: &Collection,
    record: &Record,
) -> Result<(), StoreError> {
    writable(collection)?;
    let columns: Vec<(String, SqlValue)> = columns_and_values(collection, record)?
        .into_iter()
        .filter(|(name, _)| name != "`id`")
        .collect();
    if columns.is_empty() {
        return Ok(());
    }
    let assignments: Vec<String> = columns
        .iter()
        .map(|(name, _)| format!("{name} = ?"))
        .collect();
    let statement = format!(
        "UPDATE {} SET {} WHERE `id` = ?",
        sql::quote(&collection.name)?,
        assignments.join(", ")
    );
    let id = SqlValue::Text(record.id().to_string());
    sql::bound_query(
        &statement,
        columns.iter().map(|(_, value)| value).chain([&id]),
    )
    .execute(conn)
    .map_err(|failure| error::record_write(failure, collection))?;
    Ok(())
}

pub(crate) fn delete(
    conn: &mut SqliteConnection,
    collection: &Collection,
    id: &str,
) -> Result<(), StoreError> {
    writable(collection)?;
    let statement = format!(
        "DELETE FROM {} WHERE `id` = ?",
        sql::quote(&collection.name)?
    );
    sql::bound_query(&statement, [&SqlValue::Text(id.to_string())])
        .execute(conn)
        .map_err(error::database)?;
    Ok(())
}

pub(crate) fn delete_all(
    conn: &mut SqliteConnection,
    collection: &Collection,
) -> Result<(), StoreError> {
    writable(collection)?;
    diesel::sql_query(format!("DELETE FROM {}", sql::quote(&collection.name)?))
        .execute(conn)
        .map_err(error::database)?;
    Ok(())
}

/// Evaluates `conditions` against `record` as given, in queries of the shape
///
/// ```sql
/// SELECT json_array((c1), (c2), …) AS row_json
/// FROM (SELECT CAST(? AS TEXT) AS `a`, CAST(? AS NUMERIC) AS `b`, ? AS `c`, …) AS `t`
/// ```
///
/// The one-row subquery stands in for the table under the table's own name, so the conditions'
/// `t.column` references read the given values, while joins inside them still reach the real
/// tables. Each column gets the affinity its table column has (a `CAST` to the declared type,
/// which leaves these already encoded values as they are), so comparisons behave as they do
/// against a stored row: `'5'` equals a number column holding 5. `JSON` columns, whose
/// numeric affinity would turn text into 0 under a `CAST`, are bound the way storing them
/// would convert them instead (numeric text as a number).
pub(crate) fn matches(
    conn: &mut SqliteConnection,
    collection: &Collection,
    record: &Record,
    conditions: &[SqlFragment],
) -> Result<Vec<bool>, StoreError> {
    if conditions.is_empty() {
        return Ok(Vec::new());
    }
    let table = sql::quote(&collection.name)?;
    let mut columns = Vec::with_capacity(collection.fields.len());
    let mut values = Vec::with_capacity(collection.fields.len());
    for field in &collection.fields {
        let kind = field.column_kind();
        let value = values::encode(kind, record.get(&field.name));
        let name = sql::quote(&field.name)?;
        columns.push(match kind {
            ColumnKind::Text => format!("CAST(? AS TEXT) AS {name}"),
            ColumnKind::Number | ColumnKind::Bool => format!("CAST(? AS NUMERIC) AS {name}"),
            ColumnKind::JsonArray | ColumnKind::Json | ColumnKind::GeoPoint => {
                format!("? AS {name}")
            }
        });
        values.push(match kind {
            ColumnKind::JsonArray | ColumnKind::Json | ColumnKind::GeoPoint => {
                as_numeric_affinity(value)
            }
            _ => value,
        });
    }
    let from = format!("FROM (SELECT {}) AS {table}", columns.join(", "));
    let mut answers = Vec::with_capacity(conditions.len());
    for chunk in conditions.chunks(CONDITIONS_PER_QUERY) {
        let mut binds: Vec<&SqlValue> = Vec::new();
        let mut items = Vec::with_capacity(chunk.len());
        for condition in chunk {
            items.push(format!("({})", condition.sql));
            binds.extend(condition.binds.iter());
        }
        binds.extend(values.iter());
        let statement = format!("SELECT json_array({}) AS row_json {from}", items.join(", "));
        let row = sql::bound_query(&statement, binds)
            .get_result::<JsonRow>(conn)
            .map_err(error::database)?;
        let parsed: Value = serde_json::from_str(&row.row_json)
            .map_err(|failure| StoreError::Database(format!("condition results: {failure}")))?;
        let results = parsed.as_array().cloned().unwrap_or_default();
        if results.len() != chunk.len() {
            return Err(StoreError::Database(
                "condition results do not match the conditions".into(),
            ));
        }
        answers.extend(results.iter().map(is_true));
    }
    Ok(answers)
}

/// What a column with NUMERIC affinity makes of `value` when it is stored: numeric text
/// becomes a number.
fn as_numeric_affinity(value: SqlValue) -> SqlValue {
    let SqlValue::Text(text) = &value else {
        return value;
    };
    if let Ok(integer) = text.trim().parse::<i64>() {
        return SqlValue::Integer(integer);
    }
    match text.trim().parse::<f64>() {
        Ok(real) if real.is_finite() && text.bytes().any(|byte| byte.is_ascii_digit()) => {
            SqlValue::Real(real)
        }
        _ => value,
    }
}

/// SQLite's truth: a non-zero number (NULL and text are false here).
fn is_true(value: &Value) -> bool {
    value.as_f64().is_some_and(|number| number != 0.0)
}
