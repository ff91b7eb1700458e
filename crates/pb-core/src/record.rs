//! Records: the values of one row of a collection, keyed by field name, in the JSON form the API
//! uses (numbers as numbers, multi-value fields as arrays, dates as PocketBase datetime text).

use serde_json::{Map, Value};

use crate::collection::Collection;
use crate::field::FieldKind;

/// One record of a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub collection_id: String,
    pub collection_name: String,
    /// Field name → value, including hidden fields, the password hash and the token key.
    pub values: Map<String, Value>,
}

/// Who is looking at a record, which decides the fields they see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visibility {
    /// Superusers see hidden fields.
    pub show_hidden: bool,
    /// Auth records show `email` to themselves, superusers, managers, and in auth responses.
    pub show_email: bool,
}

impl Record {
    /// A record of `collection` with every field at its zero value.
    pub fn new(collection: &Collection) -> Record {
        let values = collection
            .fields
            .iter()
            .map(|field| (field.name.clone(), field.zero_value()))
            .collect();
        Record {
            collection_id: collection.id.clone(),
            collection_name: collection.name.clone(),
            values,
        }
    }

    pub fn id(&self) -> &str {
        self.get_str("id")
    }

    /// The value of a text-like field, or `""`.
    pub fn get_str(&self, name: &str) -> &str {
        self.values.get(name).and_then(Value::as_str).unwrap_or("")
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn set(&mut self, name: &str, value: Value) {
        self.values.insert(name.to_string(), value);
    }

    /// The record as the API serves it to a viewer with `visibility`.
    ///
    /// Passwords and token keys are never included; hidden fields only for superusers; an auth
    /// record's `email` only when `emailVisibility` is on or the viewer may see it.
    pub fn to_api_json(
        &self,
        collection: &Collection,
        visibility: Visibility,
    ) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert(
            "collectionId".into(),
            Value::String(self.collection_id.clone()),
        );
        object.insert(
            "collectionName".into(),
            Value::String(self.collection_name.clone()),
        );
        let email_visible =
            visibility.show_email || self.values.get("emailVisibility") == Some(&Value::Bool(true));
        for field in &collection.fields {
            if collection.is_auth() && (field.name == "password" || field.name == "tokenKey") {
                continue;
            }
            if field.hidden && !visibility.show_hidden {
                continue;
            }
            if collection.is_auth() && field.name == "email" && !email_visible {
                continue;
            }
            if matches!(field.kind, FieldKind::Password(_)) {
                // A password field shows that it exists, never its hash.
                object.insert(field.name.clone(), Value::String(String::new()));
                continue;
            }
            let value = self
                .values
                .get(&field.name)
                .cloned()
                .unwrap_or_else(|| field.zero_value());
            object.insert(field.name.clone(), value);
        }
        object
    }
}
