//! Converting a field's value between its API JSON form and what its SQLite column holds,
//! guided by the field's [`ColumnKind`], never by SQLite's storage class alone.
//!
//! What is stored matches PocketBase 0.40 byte for byte (checked with `sqlite3 -json` against
//! the reference server): text as TEXT; numbers as INTEGER when whole, REAL otherwise; bools as
//! 1/0; multi-value fields as JSON array text; geoPoints as JSON object text; `json` fields as
//! their JSON encoding (so the string `{bad` is stored as `"{bad"`), with JSON `null` stored as
//! SQL NULL. Reading is lenient, as PocketBase's is: a value of the wrong shape decodes to the
//! field's zero value (or, for a multi-value field holding a bare string, a one-item array)
//! instead of failing the whole row.

use pb_core::field::ColumnKind;
use pb_core::ports::SqlValue;
use serde_json::{json, Number, Value};

/// The value to bind for a field of `kind` holding `value` (`None`: the field's zero value).
pub(crate) fn encode(kind: ColumnKind, value: Option<&Value>) -> SqlValue {
    let value = value.unwrap_or(&Value::Null);
    match kind {
        ColumnKind::Text => SqlValue::Text(match value {
            Value::Null => String::new(),
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            other => other.to_string(),
        }),
        ColumnKind::Number => encode_number(value),
        ColumnKind::Bool => SqlValue::Integer(i64::from(truthy(value))),
        ColumnKind::JsonArray => SqlValue::Text(match value {
            Value::Array(_) => value.to_string(),
            Value::Null => "[]".to_string(),
            Value::String(text) if text.is_empty() => "[]".to_string(),
            other => Value::Array(vec![other.clone()]).to_string(),
        }),
        ColumnKind::Json => match value {
            Value::Null => SqlValue::Null,
            other => SqlValue::Text(other.to_string()),
        },
        ColumnKind::GeoPoint => SqlValue::Text(match value {
            Value::Object(_) => value.to_string(),
            _ => zero_geo_point().to_string(),
        }),
    }
}

fn encode_number(value: &Value) -> SqlValue {
    let real = match value {
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                return SqlValue::Integer(integer);
            }
            number.as_f64().unwrap_or(0.0)
        }
        Value::String(text) => text.trim().parse::<f64>().unwrap_or(0.0),
        Value::Bool(flag) => f64::from(u8::from(*flag)),
        _ => 0.0,
    };
    match whole_number(real) {
        Some(integer) => SqlValue::Integer(integer),
        None if real.is_finite() => SqlValue::Real(real),
        None => SqlValue::Integer(0),
    }
}

/// `real` as an `i64` when it is a whole number in range.
fn whole_number(real: f64) -> Option<i64> {
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (real.fract() == 0.0 && (-LIMIT..LIMIT).contains(&real)).then_some(real as i64)
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|real| real != 0.0),
        Value::String(text) => matches!(text.trim().to_ascii_lowercase().as_str(), "1" | "true"),
        _ => false,
    }
}

fn zero_geo_point() -> Value {
    json!({"lon": 0, "lat": 0})
}

/// The API value of a field of `kind` from the JSON value SQLite's `json_object` gave for its
/// column (TEXT columns arrive as JSON strings, INTEGER/REAL as numbers, NULL as null).
pub(crate) fn decode(kind: ColumnKind, raw: Option<&Value>) -> Value {
    let raw = raw.unwrap_or(&Value::Null);
    match kind {
        ColumnKind::Text => match raw {
            Value::String(text) => Value::String(text.clone()),
            Value::Null => Value::String(String::new()),
            Value::Number(number) => Value::String(number.to_string()),
            other => Value::String(other.to_string()),
        },
        ColumnKind::Number => match raw {
            Value::Number(number) => normalize_number(number),
            Value::String(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or(json!(0), |number| normalize_number(&number)),
            Value::Bool(flag) => json!(i64::from(*flag)),
            _ => json!(0),
        },
        ColumnKind::Bool => Value::Bool(truthy(raw)),
        ColumnKind::JsonArray => match raw {
            Value::String(text) if text.is_empty() => json!([]),
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(items)) => Value::Array(items),
                Ok(Value::Null) => json!([]),
                Ok(other) => Value::Array(vec![other]),
                Err(_) => Value::Array(vec![Value::String(text.clone())]),
            },
            Value::Array(items) => Value::Array(items.clone()),
            Value::Null => json!([]),
            other => Value::Array(vec![other.clone()]),
        },
        ColumnKind::Json => match raw {
            Value::String(text) => {
                serde_json::from_str::<Value>(text).unwrap_or_else(|_| Value::String(text.clone()))
            }
            Value::Number(number) => normalize_number(number),
            other => other.clone(),
        },
        ColumnKind::GeoPoint => match raw {
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(point)) => Value::Object(point),
                _ => zero_geo_point(),
            },
            Value::Object(point) => Value::Object(point.clone()),
            _ => zero_geo_point(),
        },
    }
}

/// A number as PocketBase serves it: whole values without a fraction (`12`, not `12.0`).
fn normalize_number(number: &Number) -> Value {
    if number.is_i64() || number.is_u64() {
        return Value::Number(number.clone());
    }
    match number.as_f64() {
        Some(real) => match whole_number(real) {
            Some(integer) => json!(integer),
            None => Number::from_f64(real).map_or(json!(0), Value::Number),
        },
        None => json!(0),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_pocketbase_stores() {
        assert_eq!(
            encode(ColumnKind::Number, Some(&json!(12.0))),
            SqlValue::Integer(12)
        );
        assert_eq!(
            encode(ColumnKind::Number, Some(&json!(12.5))),
            SqlValue::Real(12.5)
        );
        assert_eq!(
            encode(ColumnKind::Number, Some(&json!(1e20))),
            SqlValue::Real(1e20)
        );
        assert_eq!(
            encode(ColumnKind::Bool, Some(&json!(true))),
            SqlValue::Integer(1)
        );
        assert_eq!(
            encode(ColumnKind::Json, Some(&json!("{bad"))),
            SqlValue::Text("\"{bad\"".into())
        );
        assert_eq!(encode(ColumnKind::Json, Some(&Value::Null)), SqlValue::Null);
        assert_eq!(
            encode(ColumnKind::JsonArray, None),
            SqlValue::Text("[]".into())
        );
        assert_eq!(
            encode(ColumnKind::Text, None),
            SqlValue::Text(String::new())
        );
        assert_eq!(
            encode(ColumnKind::GeoPoint, Some(&json!({"lon": 1.5, "lat": -2}))),
            SqlValue::Text("{\"lon\":1.5,\"lat\":-2}".into())
        );
    }

    #[test]
    fn decodes_leniently() {
        assert_eq!(decode(ColumnKind::Number, Some(&json!(12.0))), json!(12));
        assert_eq!(decode(ColumnKind::Number, Some(&json!(12.5))), json!(12.5));
        assert_eq!(decode(ColumnKind::Bool, Some(&json!(1))), json!(true));
        assert_eq!(decode(ColumnKind::Bool, Some(&json!("true"))), json!(true));
        assert_eq!(
            decode(ColumnKind::Json, Some(&json!("\"{bad\""))),
            json!("{bad")
        );
        assert_eq!(decode(ColumnKind::Json, Some(&json!(12))), json!(12));
        assert_eq!(decode(ColumnKind::Json, None), Value::Null);
        assert_eq!(
            decode(ColumnKind::JsonArray, Some(&json!("[\"a\"]"))),
            json!(["a"])
        );
        assert_eq!(
            decode(ColumnKind::JsonArray, Some(&json!("abc"))),
            json!(["abc"])
        );
        assert_eq!(decode(ColumnKind::JsonArray, Some(&json!(""))), json!([]));
        assert_eq!(decode(ColumnKind::Text, None), json!(""));
        assert_eq!(
            decode(ColumnKind::GeoPoint, Some(&json!("nope"))),
            json!({"lon": 0, "lat": 0})
        );
    }
}
