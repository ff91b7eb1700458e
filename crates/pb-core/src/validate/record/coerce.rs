//! Turning whatever a client sent into the value a field stores, as leniently as PocketBase does.
//!
//! Bodies come from JSON or from forms (where every value is a string or an array of strings), so
//! each field type accepts any JSON and converts it: `"12"` is the number 12, `"abc"` is 0,
//! `"t"` is true, `["a","b"]` in a single select is `"b"`. Nothing here fails; out-of-range or
//! disallowed values are reported afterwards by the checks. Every rule below was compared with a
//! PocketBase 0.40.6 server.

use serde_json::{Map, Value};

use crate::field::{Field, FieldKind};

use super::errors::number_value;

/// Text of any value, like Go's `cast.ToString`: numbers in plain decimal (`1.5`, `123`), booleans
/// as `true`/`false`, and `""` for null, arrays and objects.
pub(super) fn to_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number_text(number),
        Value::Bool(flag) => flag.to_string(),
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    }
}

fn number_text(number: &serde_json::Number) -> String {
    if number.is_f64() {
        number
            .as_f64()
            .map(|float| format!("{float}"))
            .unwrap_or_default()
    } else {
        number.to_string()
    }
}

/// A number from any value: strings are parsed (no trimming; anything unparseable is 0), booleans
/// are 1/0, everything else 0. May return NaN or ±infinity for inputs such as `"NaN"`, which the
/// number check rejects.
pub(super) fn to_number(value: &Value) -> f64 {
    match value {
        Value::Number(number) => number.as_f64().unwrap_or(0.0),
        Value::String(text) => text.parse::<f64>().unwrap_or(0.0),
        Value::Bool(true) => 1.0,
        _ => 0.0,
    }
}

/// A boolean from any value: non-zero numbers, and the strings `1 t T TRUE true True` are true;
/// everything else (including `"on"`, `"yes"`) is false.
pub(super) fn to_bool(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|float| float != 0.0),
        Value::String(text) => matches!(text.as_str(), "1" | "t" | "T" | "TRUE" | "true" | "True"),
        _ => false,
    }
}

/// The string list of a select, relation or file value: a string is one item unless it contains
/// `[` and parses as a JSON array of strings; array items are converted with [`to_text`]; a lone
/// number or boolean is one item. Empty strings and repeats are dropped, order is kept.
pub(super) fn to_unique_strings(value: &Value) -> Vec<String> {
    let items: Vec<String> = match value {
        Value::Null | Value::Object(_) => Vec::new(),
        Value::String(text) if text.contains('[') => {
            serde_json::from_str::<Vec<String>>(text).unwrap_or_else(|_| vec![text.clone()])
        }
        Value::Array(items) => items.iter().map(to_text).collect(),
        scalar => vec![to_text(scalar)],
    };
    let mut unique: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !item.is_empty() && !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}

/// The stored shape of a string list: the list itself for multiple fields, otherwise its last
/// item (or `""`).
pub(super) fn list_value(items: Vec<String>, multiple: bool) -> Value {
    if multiple {
        return Value::Array(items.into_iter().map(Value::String).collect());
    }
    Value::String(items.last().cloned().unwrap_or_default())
}

/// A date in PocketBase's format, or `""` when the value is not a parseable date string
/// (numbers such as Unix timestamps are not accepted).
pub(super) fn to_date(value: &Value) -> String {
    match value {
        Value::String(text) => crate::datetime::normalize(text),
        _ => String::new(),
    }
}

/// The value of a json field. A string is parsed when it is `null`/`true`/`false` or starts like a
/// number, a quoted string, an array or an object and is valid JSON; any other string (`"plain"`,
/// `"{bad"`, `"  [1]"`, `""`) is kept as a JSON string. Object keys are sorted, as PocketBase
/// re-encodes objects with sorted keys.
pub(super) fn to_json(value: &Value) -> Value {
    match value {
        Value::String(text) => parse_json_text(text).unwrap_or_else(|| value.clone()),
        other => sorted_json(other),
    }
}

fn parse_json_text(text: &str) -> Option<Value> {
    let first = text.chars().next()?;
    let looks_like_json = matches!(text, "null" | "true" | "false")
        || first.is_ascii_digit()
        || matches!(first, '-' | '"' | '[' | '{');
    if !looks_like_json {
        return None;
    }
    serde_json::from_str::<Value>(text)
        .ok()
        .map(|parsed| sorted_json(&parsed))
}

fn sorted_json(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            let sorted: Map<String, Value> = keys
                .into_iter()
                .map(|key| (key.clone(), sorted_json(&object[key])))
                .collect();
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_json).collect()),
        scalar => scalar.clone(),
    }
}

/// The size PocketBase measures a json value by: its compact encoding, where Go escapes `<`, `>`
/// and `&` as `\u003c`-style sequences (6 bytes) and U+2028/U+2029 likewise.
pub(super) fn json_encoded_size(value: &Value) -> u64 {
    let encoded = serde_json::to_string(value).unwrap_or_default();
    let escaped_extra: usize = encoded
        .chars()
        .map(|character| match character {
            '<' | '>' | '&' => 5,
            '\u{2028}' | '\u{2029}' => 3,
            _ => 0,
        })
        .sum();
    (encoded.len() + escaped_extra) as u64
}

/// A geo point `{"lon","lat"}` from an object or a JSON string of one. Missing coordinates are 0;
/// anything malformed (a coordinate that is not a number, an array, plain text) is the zero point.
pub(super) fn to_geo_point(value: &Value) -> Value {
    let parsed;
    let object = match value {
        Value::Object(object) => Some(object),
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).ok();
            parsed.as_ref().and_then(Value::as_object)
        }
        _ => None,
    };
    let (lon, lat) = object.and_then(coordinates_of).unwrap_or((0.0, 0.0));
    geo_point_value(lon, lat)
}

/// The stored form of a point.
pub(super) fn geo_point_value(lon: f64, lat: f64) -> Value {
    let mut point = Map::new();
    point.insert("lon".into(), number_value(lon));
    point.insert("lat".into(), number_value(lat));
    Value::Object(point)
}

/// `(lon, lat)` of a stored or submitted point (keys matched case-insensitively, as Go does).
pub(super) fn coordinates_of(object: &Map<String, Value>) -> Option<(f64, f64)> {
    let mut lon = 0.0;
    let mut lat = 0.0;
    for (key, coordinate) in object {
        let target = if key.eq_ignore_ascii_case("lon") {
            &mut lon
        } else if key.eq_ignore_ascii_case("lat") {
            &mut lat
        } else {
            continue;
        };
        match coordinate {
            Value::Number(number) => *target = number.as_f64()?,
            Value::Null => {}
            _ => return None,
        }
    }
    Some((lon, lat))
}

/// The value `field` stores when a client assigns `input` to it (no modifier). Autodate and
/// password fields are handled by the caller; for them this returns the input as text.
pub(super) fn value_for_field(field: &Field, input: &Value) -> Value {
    match &field.kind {
        FieldKind::Number(_) => number_value(to_number(input)),
        FieldKind::Bool(_) => Value::Bool(to_bool(input)),
        FieldKind::Date(_) | FieldKind::Autodate(_) => Value::String(to_date(input)),
        FieldKind::Select(_) | FieldKind::Relation(_) | FieldKind::File(_) => {
            list_value(to_unique_strings(input), field.is_multiple())
        }
        FieldKind::Json(_) => to_json(input),
        FieldKind::GeoPoint(_) => to_geo_point(input),
        FieldKind::Text(_)
        | FieldKind::Editor(_)
        | FieldKind::Email(_)
        | FieldKind::Url(_)
        | FieldKind::Password(_) => Value::String(to_text(input)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_from_any_value() {
        assert_eq!(to_text(&json!(123)), "123");
        assert_eq!(to_text(&json!(1.5)), "1.5");
        assert_eq!(to_text(&json!(true)), "true");
        assert_eq!(to_text(&json!(null)), "");
        assert_eq!(to_text(&json!([1])), "");
        assert_eq!(to_text(&json!({"a": 1})), "");
    }

    #[test]
    fn numbers_from_strings_like_the_server() {
        assert_eq!(to_number(&json!("12")), 12.0);
        assert_eq!(to_number(&json!("12.5")), 12.5);
        assert_eq!(to_number(&json!("abc")), 0.0);
        assert_eq!(to_number(&json!(" 12 ")), 0.0);
        assert_eq!(to_number(&json!("1e3")), 1000.0);
        assert_eq!(to_number(&json!("0x10")), 0.0);
        assert_eq!(to_number(&json!(true)), 1.0);
        assert_eq!(to_number(&json!([5])), 0.0);
        assert!(to_number(&json!("NaN")).is_nan());
    }

    #[test]
    fn booleans_from_strings_like_the_server() {
        for truthy in [
            json!(true),
            json!("true"),
            json!("1"),
            json!("t"),
            json!("TRUE"),
            json!(2),
        ] {
            assert!(to_bool(&truthy), "{truthy}");
        }
        for falsy in [
            json!("maybe"),
            json!("on"),
            json!(0),
            json!(null),
            json!(["true"]),
        ] {
            assert!(!to_bool(&falsy), "{falsy}");
        }
    }

    #[test]
    fn string_lists_dedupe_and_parse_json_arrays() {
        assert_eq!(to_unique_strings(&json!(["a", "a", "b"])), ["a", "b"]);
        assert_eq!(to_unique_strings(&json!("[\"a\",\"b\"]")), ["a", "b"]);
        assert_eq!(to_unique_strings(&json!("[bad")), ["[bad"]);
        assert_eq!(to_unique_strings(&json!("a,b")), ["a,b"]);
        assert_eq!(to_unique_strings(&json!(["a", ""])), ["a"]);
        assert_eq!(to_unique_strings(&json!([1, "a"])), ["1", "a"]);
        assert_eq!(to_unique_strings(&json!(5)), ["5"]);
        assert!(to_unique_strings(&json!("")).is_empty());
        assert!(to_unique_strings(&json!(null)).is_empty());
        assert_eq!(list_value(vec!["a".into(), "b".into()], false), json!("b"));
        assert_eq!(list_value(Vec::new(), false), json!(""));
        assert_eq!(list_value(vec!["c".into()], true), json!(["c"]));
    }

    #[test]
    fn dates_accept_only_date_strings() {
        assert_eq!(to_date(&json!("2024-01-02")), "2024-01-02 00:00:00.000Z");
        assert_eq!(to_date(&json!("not a date")), "");
        assert_eq!(to_date(&json!(1700000000)), "");
    }

    #[test]
    fn json_strings_are_parsed_only_when_they_look_like_json() {
        assert_eq!(to_json(&json!("123")), json!(123));
        assert_eq!(to_json(&json!("[1,2]")), json!([1, 2]));
        assert_eq!(to_json(&json!("true")), json!(true));
        assert_eq!(to_json(&json!("null")), json!(null));
        assert_eq!(to_json(&json!("-5")), json!(-5));
        assert_eq!(to_json(&json!("\"quoted\"")), json!("quoted"));
        assert_eq!(to_json(&json!("{bad")), json!("{bad"));
        assert_eq!(to_json(&json!("plain")), json!("plain"));
        assert_eq!(to_json(&json!("  [1]")), json!("  [1]"));
        assert_eq!(to_json(&json!("")), json!(""));
        let sorted = to_json(&json!({"b": 1, "a": {"d": 2, "c": 3}}));
        assert_eq!(
            serde_json::to_string(&sorted).unwrap(),
            r#"{"a":{"c":3,"d":2},"b":1}"#
        );
    }

    #[test]
    fn json_size_counts_go_escapes() {
        assert_eq!(
            json_encoded_size(&json!({"aaaaaaaaaa": "bbbbbbbbbbbb"})),
            29
        );
        assert_eq!(json_encoded_size(&json!("a<b")), 10);
    }

    #[test]
    fn geo_points_from_objects_and_strings() {
        assert_eq!(
            to_geo_point(&json!({"lon": 1.5, "lat": 2.5})),
            json!({"lon": 1.5, "lat": 2.5})
        );
        assert_eq!(
            to_geo_point(&json!("{\"lon\":1,\"lat\":2}")),
            json!({"lon": 1, "lat": 2})
        );
        assert_eq!(
            to_geo_point(&json!({"lon": 1})),
            json!({"lon": 1, "lat": 0})
        );
        assert_eq!(
            to_geo_point(&json!({"lon": "1.5", "lat": 2})),
            json!({"lon": 0, "lat": 0})
        );
        assert_eq!(to_geo_point(&json!("bad")), json!({"lon": 0, "lat": 0}));
        assert_eq!(to_geo_point(&json!([1, 2])), json!({"lon": 0, "lat": 0}));
        assert_eq!(to_geo_point(&json!(null)), json!({"lon": 0, "lat": 0}));
    }
}
