//! Record tables: the `CREATE TABLE` of a collection and the migration of its table from one
//! version of the collection to the next, data kept.
//!
//! The layout is PocketBase's, checked against `.schema` of a reference data dir: columns sorted
//! by name (byte order), backtick-quoted, with the DDL [`ColumnKind`] names. Later changes are
//! made the way PocketBase makes them, with `ALTER TABLE` (`RENAME TO`, `DROP COLUMN`,
//! `RENAME COLUMN`, `ADD COLUMN`, so added columns go to the end), not by rebuilding the table:
//! this keeps an existing PocketBase table byte-compatible and costs nothing for the common
//! change of adding a field. A field whose column kind changes (e.g. a select going from single
//! to multiple) gets a new column filled from the old one through a conversion expression, which
//! then takes the old column's place.
//!
//! Fields are matched between versions by their `id` (by name when either has no id), so a
//! rename keeps its data. Indexes named in either version are dropped when they changed (or
//! when columns change, since SQLite refuses to drop an indexed column) and created again from
//! the new definition afterwards.

use std::collections::HashSet;

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::sqlite::SqliteConnection;
use pb_core::field::ColumnKind;
use pb_core::{Collection, Field, StoreError};

use crate::error;
use crate::index_sql;
use crate::lexer;
use crate::sql::{self, SchemaRow};

/// The `id` column of every record table.
const ID_COLUMN: &str = "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL";

/// The column definition (after the name) of `field`.
pub(crate) fn column_ddl(field: &Field) -> &'static str {
    if field.is_primary_key() {
        return ID_COLUMN;
    }
    match field.column_kind() {
        ColumnKind::Text => "TEXT DEFAULT '' NOT NULL",
        ColumnKind::Number => "NUMERIC DEFAULT 0 NOT NULL",
        ColumnKind::Bool => "BOOLEAN DEFAULT FALSE NOT NULL",
        ColumnKind::JsonArray => "JSON DEFAULT '[]' NOT NULL",
        ColumnKind::Json => "JSON DEFAULT NULL",
        ColumnKind::GeoPoint => "JSON DEFAULT '{\"lon\":0,\"lat\":0}' NOT NULL",
    }
}

/// PocketBase's `CREATE TABLE` for `collection`.
pub(crate) fn create_table_sql(collection: &Collection) -> Result<String, StoreError> {
    let mut fields: Vec<&Field> = collection.fields.iter().collect();
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    let columns = fields
        .iter()
        .map(|field| {
            Ok(format!(
                "{} {}",
                sql::quote(&field.name)?,
                column_ddl(field)
            ))
        })
        .collect::<Result<Vec<String>, StoreError>>()?;
    Ok(format!(
        "CREATE TABLE {} ({})",
        sql::quote(&collection.name)?,
        columns.join(", ")
    ))
}

/// Creates the table of `collection` and its indexes.
pub(crate) fn create_table(
    conn: &mut SqliteConnection,
    collection: &Collection,
) -> Result<(), StoreError> {
    execute(conn, &create_table_sql(collection)?).map_err(error::table_ddl)?;
    for index in &collection.indexes {
        create_index(conn, index)?;
    }
    Ok(())
}

/// Drops the table `name` if it exists.
pub(crate) fn drop_table(conn: &mut SqliteConnection, name: &str) -> Result<(), StoreError> {
    execute(conn, &format!("DROP TABLE IF EXISTS {}", sql::quote(name)?))
        .map_err(error::database)?;
    Ok(())
}

/// Runs one user-written index statement, which must be a single `CREATE [UNIQUE] INDEX`.
fn create_index(conn: &mut SqliteConnection, statement: &str) -> Result<(), StoreError> {
    let statement = lexer::trim_statement(statement);
    let tokens = lexer::tokenize(statement);
    let mut words = tokens.iter().filter(|token| !token.is_word("unique"));
    let is_create_index = words.next().is_some_and(|token| token.is_word("create"))
        && words.next().is_some_and(|token| token.is_word("index"));
    if !is_create_index || lexer::has_several_statements(statement) {
        return Err(StoreError::InvalidStatement(
            "expected a single CREATE INDEX statement".into(),
        ));
    }
    execute(conn, statement).map_err(error::invalid_statement)?;
    Ok(())
}

fn execute(conn: &mut SqliteConnection, statement: &str) -> QueryResult<usize> {
    diesel::sql_query(statement).execute(conn)
}

/// Migrates the table of `old` to `new` (rename, columns, indexes). `new.indexes` must already
/// name the new table.
pub(crate) fn migrate_table(
    conn: &mut SqliteConnection,
    old: &Collection,
    new: &Collection,
) -> Result<(), StoreError> {
    if old.name != new.name {
        rename_table(conn, &old.name, &new.name)?;
    }
    let plan = ColumnPlan::between(old, new);
    let kept = drop_stale_indexes(conn, old, new, !plan.is_empty())?;
    plan.apply(conn, &sql::quote(&new.name)?)?;
    for index in &new.indexes {
        let name = index_sql::index_name(index).map(|name| name.to_ascii_lowercase());
        if !name.is_some_and(|name| kept.contains(&name)) {
            create_index(conn, index)?;
        }
    }
    Ok(())
}

fn rename_table(conn: &mut SqliteConnection, from: &str, to: &str) -> Result<(), StoreError> {
    let rename = |conn: &mut SqliteConnection, from: &str, to: &str| -> Result<(), StoreError> {
        let statement = format!(
            "ALTER TABLE {} RENAME TO {}",
            sql::quote(from)?,
            sql::quote(to)?
        );
        execute(conn, &statement).map_err(error::table_ddl)?;
        Ok(())
    };
    if from.eq_ignore_ascii_case(to) {
        // SQLite names are case-insensitive: go through a temporary name.
        let temporary = format!("_pb_rename_{to}");
        rename(conn, from, &temporary)?;
        rename(conn, &temporary, to)
    } else {
        rename(conn, from, to)
    }
}

/// Drops the indexes of the table that either version names and that will not survive as they
/// are; returns the (lowercased) names of those kept.
fn drop_stale_indexes(
    conn: &mut SqliteConnection,
    old: &Collection,
    new: &Collection,
    columns_change: bool,
) -> Result<HashSet<String>, StoreError> {
    let named = |indexes: &[String]| -> Vec<(String, String)> {
        indexes
            .iter()
            .filter_map(|sql| {
                index_sql::index_name(sql).map(|name| (name.to_ascii_lowercase(), sql.clone()))
            })
            .collect()
    };
    let new_indexes = named(&new.indexes);
    let tracked: HashSet<String> = named(&old.indexes)
        .into_iter()
        .chain(new_indexes.iter().cloned())
        .map(|(name, _)| name)
        .collect();
    let existing = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? COLLATE NOCASE AND sql IS NOT NULL",
    )
    .bind::<Text, _>(&new.name)
    .load::<SchemaRow>(conn)
    .map_err(error::database)?;
    let mut kept = HashSet::new();
    for row in existing {
        let name = row.name.to_ascii_lowercase();
        if !tracked.contains(&name) {
            continue;
        }
        let unchanged = !columns_change
            && new_indexes.iter().any(|(new_name, sql)| {
                *new_name == name
                    && row.sql.as_deref().map(str::trim) == Some(lexer::trim_statement(sql))
            });
        if unchanged {
            kept.insert(name);
        } else {
            let statement = format!("DROP INDEX IF EXISTS `{}`", row.name.replace('`', "``"));
            execute(conn, &statement).map_err(error::database)?;
        }
    }
    Ok(kept)
}

/// The column changes between two versions of a collection.
#[derive(Debug, Default)]
struct ColumnPlan<'a> {
    dropped: Vec<&'a str>,
    /// (old name, new name)
    renamed: Vec<(&'a str, &'a str)>,
    /// (the old column kind, the new field), applied after renames.
    retyped: Vec<(ColumnKind, &'a Field)>,
    added: Vec<&'a Field>,
}

impl<'a> ColumnPlan<'a> {
    fn between(old: &'a Collection, new: &'a Collection) -> ColumnPlan<'a> {
        let mut plan = ColumnPlan::default();
        let mut matched = vec![false; old.fields.len()];
        for field in &new.fields {
            let position = old
                .fields
                .iter()
                .enumerate()
                .position(|(index, candidate)| {
                    !matched[index]
                        && if field.id.is_empty() || candidate.id.is_empty() {
                            candidate.name == field.name
                        } else {
                            candidate.id == field.id
                        }
                });
            let Some(position) = position else {
                plan.added.push(field);
                continue;
            };
            matched[position] = true;
            let previous = &old.fields[position];
            if previous.name != field.name {
                plan.renamed.push((&previous.name, &field.name));
            }
            if column_ddl(previous) != column_ddl(field)
                && !previous.is_primary_key()
                && !field.is_primary_key()
            {
                plan.retyped.push((previous.column_kind(), field));
            }
        }
        plan.dropped = old
            .fields
            .iter()
            .zip(&matched)
            .filter(|(_, matched)| !**matched)
            .map(|(field, _)| field.name.as_str())
            .collect();
        plan
    }

    fn is_empty(&self) -> bool {
        self.dropped.is_empty()
            && self.renamed.is_empty()
            && self.retyped.is_empty()
            && self.added.is_empty()
    }

    fn apply(&self, conn: &mut SqliteConnection, table: &str) -> Result<(), StoreError> {
        let alter = |conn: &mut SqliteConnection, change: String| -> Result<(), StoreError> {
            execute(conn, &format!("ALTER TABLE {table} {change}")).map_err(error::database)?;
            Ok(())
        };
        for name in &self.dropped {
            alter(conn, format!("DROP COLUMN {}", sql::quote(name)?))?;
        }
        // Two steps, so that swapped names or a change of case never collide.
        for (index, (from, _)) in self.renamed.iter().enumerate() {
            alter(
                conn,
                format!(
                    "RENAME COLUMN {} TO `_pb_renaming_{index}`",
                    sql::quote(from)?
                ),
            )?;
        }
        for (index, (_, to)) in self.renamed.iter().enumerate() {
            alter(
                conn,
                format!(
                    "RENAME COLUMN `_pb_renaming_{index}` TO {}",
                    sql::quote(to)?
                ),
            )?;
        }
        for (from_kind, field) in &self.retyped {
            let column = sql::quote(&field.name)?;
            let converting = sql::quote(&format!("_pb_converting_{}", field.name))?;
            alter(
                conn,
                format!("ADD COLUMN {converting} {}", column_ddl(field)),
            )?;
            let conversion = conversion(&column, *from_kind, field.column_kind());
            execute(
                conn,
                &format!("UPDATE {table} SET {converting} = {conversion}"),
            )
            .map_err(error::database)?;
            alter(conn, format!("DROP COLUMN {column}"))?;
            alter(conn, format!("RENAME COLUMN {converting} TO {column}"))?;
        }
        for field in &self.added {
            alter(
                conn,
                format!(
                    "ADD COLUMN {} {}",
                    sql::quote(&field.name)?,
                    column_ddl(field)
                ),
            )?;
        }
        Ok(())
    }
}

/// An SQL expression turning the value of `column` (stored as `from`) into a value for `to`.
fn conversion(column: &str, from: ColumnKind, to: ColumnKind) -> String {
    use ColumnKind::{Bool, GeoPoint, Json, JsonArray, Number};
    match (from, to) {
        _ if from == to => column.to_string(),
        (Bool, Number) | (Number | Bool | JsonArray | GeoPoint, Json) => column.to_string(),
        (Number, Bool) => format!("(CASE WHEN {column} != 0 THEN 1 ELSE 0 END)"),
        (Number | Bool, JsonArray) => format!("json_array({column})"),
        _ => from_text(to, &to_text(from, column)),
    }
}

/// The value of `column` (stored as `from`) as text; a multi-value column gives its last item.
fn to_text(from: ColumnKind, column: &str) -> String {
    match from {
        ColumnKind::Text | ColumnKind::Number | ColumnKind::Bool => format!("COALESCE(CAST({column} AS TEXT), '')"),
        ColumnKind::JsonArray => format!(
            "(CASE WHEN json_valid({column}) AND json_type({column}) = 'array' \
             THEN COALESCE(CAST(json_extract({column}, '$[#-1]') AS TEXT), '') \
             ELSE COALESCE(CAST({column} AS TEXT), '') END)"
        ),
        ColumnKind::Json | ColumnKind::GeoPoint => format!(
            "(CASE WHEN {column} IS NULL THEN '' \
             WHEN json_valid({column}) AND json_type({column}) = 'text' THEN json_extract({column}, '$') \
             ELSE CAST({column} AS TEXT) END)"
        ),
    }
}

/// A value for a `to` column from the text expression `text`.
fn from_text(to: ColumnKind, text: &str) -> String {
    match to {
        ColumnKind::Text => text.to_string(),
        ColumnKind::Number => format!("COALESCE(CAST({text} AS NUMERIC), 0)"),
        ColumnKind::Bool => format!("(CASE WHEN lower({text}) IN ('1', 'true') THEN 1 ELSE 0 END)"),
        ColumnKind::JsonArray => format!(
            "(CASE WHEN {text} = '' THEN '[]' WHEN json_valid({text}) AND json_type({text}) = 'array' THEN {text} \
             ELSE json_array({text}) END)"
        ),
        ColumnKind::Json => {
            format!("(CASE WHEN {text} = '' THEN NULL WHEN json_valid({text}) THEN {text} ELSE json_quote({text}) END)")
        }
        ColumnKind::GeoPoint => format!(
            "(CASE WHEN json_valid({text}) AND json_type({text}) = 'object' THEN {text} \
             ELSE '{{\"lon\":0,\"lat\":0}}' END)"
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn single_to_multi_and_back() {
        assert_eq!(conversion("`c`", ColumnKind::Text, ColumnKind::Text), "`c`");
        let to_multi = conversion("`c`", ColumnKind::Text, ColumnKind::JsonArray);
        assert!(to_multi.contains("json_array("), "{to_multi}");
        let to_single = conversion("`c`", ColumnKind::JsonArray, ColumnKind::Text);
        assert!(to_single.contains("'$[#-1]'"), "{to_single}");
    }
}
