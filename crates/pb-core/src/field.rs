//! Field definitions: the common keys every field has and the options of each of PocketBase's
//! field types, as serde types whose JSON is exactly what PocketBase serves.
//!
//! A field's JSON is flat (`{"id","name","type","system","hidden","presentable", …options}`); the
//! `type` key selects the [`FieldKind`] variant. Unknown types fail to deserialize, which the
//! collections API reports as a plain 400.

use serde::{Deserialize, Serialize};

/// One field of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Stable id (`<type><crc32(name)>` when new); renames keep it, which is how a rename is told
    /// apart from a remove plus an add.
    #[serde(default)]
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub system: bool,
    /// Hidden fields are left out of API output and filters for everyone but superusers.
    #[serde(default)]
    pub hidden: bool,
    /// A UI hint; no effect on the API.
    #[serde(default)]
    pub presentable: bool,
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// The type of a field with its type-specific options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum FieldKind {
    #[serde(rename = "text")]
    Text(TextOptions),
    #[serde(rename = "editor")]
    Editor(EditorOptions),
    #[serde(rename = "number")]
    Number(NumberOptions),
    #[serde(rename = "bool")]
    Bool(BoolOptions),
    #[serde(rename = "email")]
    Email(DomainOptions),
    #[serde(rename = "url")]
    Url(DomainOptions),
    #[serde(rename = "date")]
    Date(DateOptions),
    #[serde(rename = "autodate")]
    Autodate(AutodateOptions),
    #[serde(rename = "select")]
    Select(SelectOptions),
    #[serde(rename = "file")]
    File(FileOptions),
    #[serde(rename = "relation")]
    Relation(RelationOptions),
    #[serde(rename = "json")]
    Json(JsonOptions),
    #[serde(rename = "password")]
    Password(PasswordOptions),
    #[serde(rename = "geoPoint")]
    GeoPoint(GeoPointOptions),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TextOptions {
    pub help: String,
    pub required: bool,
    /// Minimum length in characters; 0 means no minimum.
    pub min: u64,
    /// Maximum length in characters; 0 means PocketBase's default of 5000.
    pub max: u64,
    pub pattern: String,
    /// A regex-like pattern used to generate a value when none is given (e.g. `[a-z0-9]{15}`).
    pub autogenerate_pattern: String,
    pub primary_key: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EditorOptions {
    pub help: String,
    pub required: bool,
    /// Maximum size in bytes; 0 means 5 MiB.
    pub max_size: u64,
    #[serde(rename = "convertURLs")]
    pub convert_urls: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NumberOptions {
    pub help: String,
    pub required: bool,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub only_int: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BoolOptions {
    pub help: String,
    pub required: bool,
}

/// Options shared by `email` and `url` fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DomainOptions {
    pub help: String,
    pub required: bool,
    pub except_domains: Vec<String>,
    pub only_domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DateOptions {
    pub help: String,
    pub required: bool,
    pub min: String,
    pub max: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutodateOptions {
    pub on_create: bool,
    pub on_update: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SelectOptions {
    pub help: String,
    pub required: bool,
    pub values: Vec<String>,
    /// More than 1 makes the value an array.
    pub max_select: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct FileOptions {
    pub help: String,
    pub required: bool,
    pub max_select: u64,
    /// Maximum bytes per file; 0 means 5 MiB.
    pub max_size: u64,
    pub mime_types: Vec<String>,
    pub thumbs: Vec<String>,
    pub protected: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RelationOptions {
    pub help: String,
    pub required: bool,
    pub collection_id: String,
    pub cascade_delete: bool,
    pub min_select: u64,
    pub max_select: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct JsonOptions {
    pub help: String,
    pub required: bool,
    /// Maximum serialized size in bytes; 0 means 1 MiB.
    pub max_size: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordOptions {
    pub help: String,
    pub required: bool,
    pub min: u64,
    pub max: u64,
    pub pattern: String,
    /// bcrypt cost PocketBase would use; kept for compatibility, new hashes are argon2id.
    pub cost: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GeoPointOptions {
    pub help: String,
    pub required: bool,
}

/// How a field's value is stored in its SQLite column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `TEXT DEFAULT '' NOT NULL`
    Text,
    /// `NUMERIC DEFAULT 0 NOT NULL`
    Number,
    /// `BOOLEAN DEFAULT FALSE NOT NULL`
    Bool,
    /// `JSON DEFAULT '[]' NOT NULL`: multi-value select, file and relation fields.
    JsonArray,
    /// `JSON DEFAULT NULL`
    Json,
    /// `JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL`
    GeoPoint,
}

impl Field {
    /// A new field of the given kind with PocketBase's id for it.
    pub fn new(name: &str, kind: FieldKind) -> Field {
        let mut field = Field {
            id: String::new(),
            name: name.to_string(),
            system: false,
            hidden: false,
            presentable: false,
            kind,
        };
        field.id = crate::ids::field_id(field.type_name(), name);
        field
    }

    /// The `type` string of the field.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            FieldKind::Text(_) => "text",
            FieldKind::Editor(_) => "editor",
            FieldKind::Number(_) => "number",
            FieldKind::Bool(_) => "bool",
            FieldKind::Email(_) => "email",
            FieldKind::Url(_) => "url",
            FieldKind::Date(_) => "date",
            FieldKind::Autodate(_) => "autodate",
            FieldKind::Select(_) => "select",
            FieldKind::File(_) => "file",
            FieldKind::Relation(_) => "relation",
            FieldKind::Json(_) => "json",
            FieldKind::Password(_) => "password",
            FieldKind::GeoPoint(_) => "geoPoint",
        }
    }

    /// Whether a value is required (autodate fields never are).
    pub fn required(&self) -> bool {
        match &self.kind {
            FieldKind::Text(o) => o.required,
            FieldKind::Editor(o) => o.required,
            FieldKind::Number(o) => o.required,
            FieldKind::Bool(o) => o.required,
            FieldKind::Email(o) | FieldKind::Url(o) => o.required,
            FieldKind::Date(o) => o.required,
            FieldKind::Autodate(_) => false,
            FieldKind::Select(o) => o.required,
            FieldKind::File(o) => o.required,
            FieldKind::Relation(o) => o.required,
            FieldKind::Json(o) => o.required,
            FieldKind::Password(o) => o.required,
            FieldKind::GeoPoint(o) => o.required,
        }
    }

    /// Whether the value is an array: select, file and relation with `maxSelect > 1`.
    pub fn is_multiple(&self) -> bool {
        match &self.kind {
            FieldKind::Select(o) => o.max_select > 1,
            FieldKind::File(o) => o.max_select > 1,
            FieldKind::Relation(o) => o.max_select > 1,
            _ => false,
        }
    }

    /// The column the field is stored in.
    pub fn column_kind(&self) -> ColumnKind {
        match &self.kind {
            FieldKind::Number(_) => ColumnKind::Number,
            FieldKind::Bool(_) => ColumnKind::Bool,
            FieldKind::Json(_) => ColumnKind::Json,
            FieldKind::GeoPoint(_) => ColumnKind::GeoPoint,
            _ if self.is_multiple() => ColumnKind::JsonArray,
            _ => ColumnKind::Text,
        }
    }

    /// Whether this is the primary-key `id` field.
    pub fn is_primary_key(&self) -> bool {
        matches!(&self.kind, FieldKind::Text(o) if o.primary_key)
    }

    /// The value a record has for this field when nothing was set.
    pub fn zero_value(&self) -> serde_json::Value {
        use serde_json::{json, Value};
        match self.column_kind() {
            ColumnKind::Number => json!(0),
            ColumnKind::Bool => Value::Bool(false),
            ColumnKind::JsonArray => json!([]),
            ColumnKind::Json => Value::Null,
            ColumnKind::GeoPoint => json!({"lon": 0, "lat": 0}),
            ColumnKind::Text => Value::String(String::new()),
        }
    }

    /// The system `id` field every collection starts with.
    pub fn primary_id() -> Field {
        let mut field = Field::new(
            "id",
            FieldKind::Text(TextOptions {
                required: true,
                min: 15,
                max: 15,
                pattern: "^[a-z0-9]+$".to_string(),
                autogenerate_pattern: "[a-z0-9]{15}".to_string(),
                primary_key: true,
                ..TextOptions::default()
            }),
        );
        field.system = true;
        field
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_json_round_trips_to_pocketbase_shape() {
        let input = json!({"help":"","hidden":false,"id":"number112844655","max":null,"min":null,
            "name":"c","onlyInt":false,"presentable":false,"required":false,"system":false,"type":"number"});
        let field: Field = serde_json::from_value(input.clone()).unwrap();
        assert_eq!(serde_json::to_value(&field).unwrap(), input);

        let editor = json!({"convertURLs":false,"help":"","hidden":false,"id":"editor1908338681","maxSize":0,
            "name":"b","presentable":false,"required":false,"system":false,"type":"editor"});
        let field: Field = serde_json::from_value(editor.clone()).unwrap();
        assert_eq!(serde_json::to_value(&field).unwrap(), editor);

        let autodate = json!({"hidden":false,"id":"autodate2439710439","name":"h","onCreate":true,
            "onUpdate":false,"presentable":false,"system":false,"type":"autodate"});
        let field: Field = serde_json::from_value(autodate.clone()).unwrap();
        assert_eq!(serde_json::to_value(&field).unwrap(), autodate);
    }

    #[test]
    fn minimal_field_gets_defaults_and_unknown_type_fails() {
        let field: Field = serde_json::from_value(json!({"name":"t","type":"text"})).unwrap();
        assert_eq!(field.column_kind(), ColumnKind::Text);
        assert!(serde_json::from_value::<Field>(json!({"name":"a","type":"nope"})).is_err());
    }

    #[test]
    fn primary_id_matches_pocketbase() {
        let id = serde_json::to_value(Field::primary_id()).unwrap();
        assert_eq!(
            id,
            json!({"autogeneratePattern":"[a-z0-9]{15}","help":"","hidden":false,"id":"text3208210256",
                "max":15,"min":15,"name":"id","pattern":"^[a-z0-9]+$","presentable":false,
                "primaryKey":true,"required":true,"system":true,"type":"text"})
        );
    }
}
