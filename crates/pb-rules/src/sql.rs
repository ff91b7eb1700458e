//! SQL text building: a fragment type that keeps its `?` placeholders and their values
//! together, identifier checking and quoting, and the SQLite JSON helpers PocketBase uses to
//! treat plain and JSON columns alike.
//!
//! Keeping text and values in one [`Sql`] value is what keeps positional binds in order:
//! fragments are only ever concatenated, and each concatenation carries its values along, so the
//! n-th `?` of the final text is always the n-th value.

use pb_core::ports::{SqlFragment, SqlValue};

use crate::error::RuleError;

/// A bound value, typed the way PocketBase's Go values are before they reach SQLite: numbers
/// from literals and JSON are floats (`REAL`), calendar macros are integers, booleans from
/// request data bind as `1`/`0`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Text(String),
    Real(f64),
    Integer(i64),
    Bool(bool),
}

impl Param {
    /// PocketBase treats `nil` and `""` parameters as empty values.
    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, Param::Text(text) if text.is_empty())
    }

    /// The value as text, formatted like Go's `cast.ToString` (used when a value is wrapped in
    /// `%` for LIKE).
    pub(crate) fn to_text(&self) -> String {
        match self {
            Param::Text(text) => text.clone(),
            Param::Real(number) => format_float(*number),
            Param::Integer(number) => number.to_string(),
            Param::Bool(flag) => flag.to_string(),
        }
    }

    pub(crate) fn to_sql_value(&self) -> SqlValue {
        match self {
            Param::Text(text) => SqlValue::Text(text.clone()),
            Param::Real(number) => SqlValue::Real(*number),
            Param::Integer(number) => SqlValue::Integer(*number),
            Param::Bool(flag) => SqlValue::Integer(i64::from(*flag)),
        }
    }
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, never an exponent.
pub(crate) fn format_float(number: f64) -> String {
    if number.is_nan() {
        "NaN".to_string()
    } else if number.is_infinite() {
        if number > 0.0 { "+Inf" } else { "-Inf" }.to_string()
    } else {
        format!("{number}")
    }
}

/// SQL text with `?` placeholders and their values in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) binds: Vec<Param>,
}

impl Sql {
    /// Raw SQL without values. Callers only pass text built from constants and checked
    /// identifiers.
    pub(crate) fn raw(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            binds: Vec::new(),
        }
    }

    /// A single `?` bound to `param`.
    pub(crate) fn param(param: Param) -> Sql {
        Sql {
            text: "?".to_string(),
            binds: vec![param],
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    pub(crate) fn push_sql(&mut self, other: &Sql) -> &mut Sql {
        self.text.push_str(&other.text);
        self.binds.extend(other.binds.iter().cloned());
        self
    }

    pub(crate) fn push_param(&mut self, param: Param) -> &mut Sql {
        self.text.push('?');
        self.binds.push(param);
        self
    }

    /// `before` + self + `after`.
    pub(crate) fn wrapped(&self, before: &str, after: &str) -> Sql {
        let mut out = Sql::raw(before);
        out.push_sql(self).push(after);
        out
    }

    pub(crate) fn into_fragment(self) -> SqlFragment {
        SqlFragment {
            sql: self.text,
            binds: self.binds.iter().map(Param::to_sql_value).collect(),
        }
    }
}

/// Whether `name` may be used as an SQL identifier: `^[A-Za-z0-9_]+$`.
pub(crate) fn is_safe_identifier(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// Checks a schema name (collection or field) before it goes into SQL.
pub(crate) fn checked(name: &str) -> Result<&str, RuleError> {
    if is_safe_identifier(name) {
        Ok(name)
    } else {
        Err(RuleError::UnsafeIdentifier {
            name: name.to_string(),
        })
    }
}

/// `"name"`. Only for checked schema names and the crate's own aliases, which never contain a
/// double quote.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// `"alias"."column"`.
pub(crate) fn column(alias: &str, column: &str) -> Sql {
    Sql::raw(format!("{}.{}", quote(alias), quote(column)))
}

/// `json_each()` over a column that may hold a JSON array or a plain value (a plain value is
/// treated as a one-item array).
pub(crate) fn json_each(column: &Sql) -> Sql {
    let mut out = Sql::raw("json_each(CASE WHEN iif(json_valid(");
    out.push_sql(column)
        .push("), json_type(")
        .push_sql(column)
        .push(")='array', FALSE) THEN ")
        .push_sql(column)
        .push(" ELSE json_array(")
        .push_sql(column)
        .push(") END)");
    out
}

/// The item count of a column that may hold a JSON array, a plain value (1) or `''`/NULL (0).
pub(crate) fn json_array_length(column: &Sql) -> Sql {
    let mut out = Sql::raw("json_array_length(CASE WHEN iif(json_valid(");
    out.push_sql(column)
        .push("), json_type(")
        .push_sql(column)
        .push(")='array', FALSE) THEN ")
        .push_sql(column)
        .push(" ELSE (CASE WHEN ")
        .push_sql(column)
        .push(" = '' OR ")
        .push_sql(column)
        .push(" IS NULL THEN json_array() ELSE json_array(")
        .push_sql(column)
        .push(") END) END)");
    out
}

/// `json_extract` of `path` (`a.b[0]`, or `""` for the whole value) from a column that may hold
/// JSON or a plain value. `path` must come from [`json_path`], which only lets identifier
/// characters, dots and brackets through, so it can sit in a string literal.
pub(crate) fn json_extract(column: &Sql, path: &str) -> Sql {
    let path = if path.is_empty() || path.starts_with('[') {
        path.to_string()
    } else {
        format!(".{path}")
    };
    let mut out = Sql::raw("(CASE WHEN json_valid(");
    out.push_sql(column)
        .push(") THEN JSON_EXTRACT(")
        .push_sql(column)
        .push(&format!(
            ", '${path}') ELSE JSON_EXTRACT(json_object('pb', "
        ))
        .push_sql(column)
        .push(&format!("), '$.pb{path}') END)"));
    out
}

/// The JSON path of the segments after a json/geoPoint field: numeric segments become `[n]`,
/// other segments keep only their identifier characters (PocketBase's `Columnify`, which for
/// our lexer's identifiers only drops `:`).
pub(crate) fn json_path(segments: &[&str]) -> String {
    let mut path = String::new();
    for (index, segment) in segments.iter().enumerate() {
        let clean: String = segment
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if segment.parse::<i64>().is_ok() {
            path.push('[');
            path.push_str(&clean);
            path.push(']');
        } else {
            if index > 0 {
                path.push('.');
            }
            path.push_str(&clean);
        }
    }
    path
}

// Tests panic on purpose when something is off.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_match_pocketbase() {
        assert_eq!(json_path(&["a", "b"]), "a.b");
        assert_eq!(json_path(&["a", "0", "b"]), "a[0].b");
        assert_eq!(json_path(&["0"]), "[0]");
        assert_eq!(json_path(&["k:lower"]), "klower");
    }

    #[test]
    fn floats_format_like_go() {
        assert_eq!(format_float(2.0), "2");
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(-0.25), "-0.25");
        assert_eq!(format_float(1e21), "1000000000000000000000");
    }
}
