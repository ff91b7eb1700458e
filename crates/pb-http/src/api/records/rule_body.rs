//! `@request.body` for create and update rules, shaped as PocketBase shapes it: modifier keys
//! (`tags+`, `+tags`, `views-`) folded onto their field with the value after the change, field
//! values normalised as they will be stored (`"5"` → `5`), and hidden fields left out for
//! non-superusers. Keys that are not fields pass through as sent.

use pb_core::{Collection, Record};
use serde_json::{Map, Value};

/// The body a rule sees. `record` is the prepared record (after validation); without it (the
/// body failed validation) field values are passed as sent.
pub fn rule_body(
    collection: &Collection,
    input: &Map<String, Value>,
    record: Option<&Record>,
    is_superuser: bool,
) -> Map<String, Value> {
    let mut body = Map::new();
    for (key, raw) in input {
        let name = field_name(key);
        let Some(field) = collection.field(name) else {
            body.insert(key.clone(), raw.clone());
            continue;
        };
        let is_auth_password = collection.is_auth() && field.name == "password";
        if field.hidden && !is_superuser && !is_auth_password {
            continue;
        }
        let value = match record {
            Some(record) if !is_auth_password => record.get(name).cloned().unwrap_or(Value::Null),
            _ => raw.clone(),
        };
        body.insert(name.to_string(), value);
    }
    body
}

/// `tags+`, `+tags` and `tags-` all name `tags`.
fn field_name(key: &str) -> &str {
    let key = key.strip_prefix('+').unwrap_or(key);
    key.strip_suffix('+')
        .or_else(|| key.strip_suffix('-'))
        .unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modifier_keys_name_their_field() {
        assert_eq!(field_name("tags+"), "tags");
        assert_eq!(field_name("+tags"), "tags");
        assert_eq!(field_name("views-"), "views");
        assert_eq!(field_name("title"), "title");
    }
}
