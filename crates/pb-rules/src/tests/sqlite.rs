//! A real in-memory SQLite (diesel, bundled SQLite; a dev-dependency only) loaded with the
//! tables and rows dumped from the reference PocketBase, to run compiled fragments against.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text};
use diesel::sqlite::Sqlite;
use pb_core::ports::SqlValue;

#[derive(QueryableByName)]
struct LabelRow {
    #[diesel(sql_type = Nullable<Text>)]
    label: Option<String>,
}

diesel::define_sql_function! { fn radians(x: Nullable<Double>) -> Nullable<Double>; }
diesel::define_sql_function! { fn acos(x: Nullable<Double>) -> Nullable<Double>; }
diesel::define_sql_function! { fn cos(x: Nullable<Double>) -> Nullable<Double>; }
diesel::define_sql_function! { fn sin(x: Nullable<Double>) -> Nullable<Double>; }

/// SQLite's math functions give NULL for NULL and for results that are not numbers.
fn math(function: fn(f64) -> f64) -> impl Fn(Option<f64>) -> Option<f64> {
    move |x| x.map(function).filter(|result| !result.is_nan())
}

pub(crate) struct Db {
    connection: SqliteConnection,
}

impl Db {
    /// An in-memory database with `setup` (DDL and INSERTs) applied.
    pub(crate) fn open(setup: &str) -> Db {
        let mut connection = SqliteConnection::establish(":memory:").unwrap();
        connection.batch_execute(setup).unwrap();
        // The bundled SQLite is built without the math functions geoDistance() needs; the
        // store has to provide them the same way (or build SQLite with them).
        if connection.batch_execute("SELECT radians(1)").is_err() {
            radians_utils::register_impl(&mut connection, math(f64::to_radians)).unwrap();
            acos_utils::register_impl(&mut connection, math(f64::acos)).unwrap();
            cos_utils::register_impl(&mut connection, math(f64::cos)).unwrap();
            sin_utils::register_impl(&mut connection, math(f64::sin)).unwrap();
        }
        Db { connection }
    }

    /// Runs `sql` (selecting one column named `label`) with `binds`; NULL labels become
    /// `<null>` and empty ones `<empty>`.
    pub(crate) fn labels(&mut self, sql: &str, binds: &[SqlValue]) -> Result<Vec<String>, String> {
        let mut query = diesel::sql_query(sql.to_string()).into_boxed::<Sqlite>();
        for bind in binds {
            query = match bind {
                SqlValue::Null => query.bind::<Nullable<Text>, _>(None::<String>),
                SqlValue::Integer(value) => query.bind::<BigInt, _>(*value),
                SqlValue::Real(value) => query.bind::<Double, _>(*value),
                SqlValue::Text(value) => query.bind::<Text, _>(value.clone()),
            };
        }
        let rows: Vec<LabelRow> = query
            .load(&mut self.connection)
            .map_err(|error| format!("{error}\nSQL: {sql}\nBINDS: {binds:?}"))?;
        Ok(rows
            .into_iter()
            .map(|row| match row.label {
                None => "<null>".to_string(),
                Some(label) if label.is_empty() => "<empty>".to_string(),
                Some(label) => label,
            })
            .collect())
    }
}
