//! Record schemas generated from a collection's fields: what the records API answers
//! (`<name>Record`, `<name>List`) and what it accepts (`<name>Create`, `<name>Update`, and
//! `…Form` multipart variants with binary file parts when the collection has file fields).
//!
//! Response properties are never `required`: `?fields=` may pick any subset, hidden fields
//! appear for superusers only and an auth record's email only for those who may see it.

use pb_core::field::FieldKind;
use pb_core::{Collection, Field};
use serde_json::{json, Map, Value};

use crate::state::Schema;

/// Which body a schema describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    Create,
    Update,
}

/// How the body is sent: JSON cannot carry uploads, multipart carries them as binary parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Json,
    Multipart,
}

/// Component names of a collection's schemas.
pub(crate) fn record_name(collection: &Collection) -> String {
    format!("{}Record", collection.name)
}

pub(crate) fn list_name(collection: &Collection) -> String {
    format!("{}List", collection.name)
}

pub(crate) fn create_name(collection: &Collection, multipart: bool) -> String {
    format!(
        "{}Create{}",
        collection.name,
        if multipart { "Form" } else { "" }
    )
}

pub(crate) fn update_name(collection: &Collection, multipart: bool) -> String {
    format!(
        "{}Update{}",
        collection.name,
        if multipart { "Form" } else { "" }
    )
}

pub(crate) fn auth_response_name(collection: &Collection) -> String {
    format!("{}AuthResponse", collection.name)
}

/// Whether any field takes uploads.
pub(crate) fn has_files(collection: &Collection) -> bool {
    collection
        .fields
        .iter()
        .any(|field| matches!(field.kind, FieldKind::File(_)))
}

/// Adds the schemas of `collection`.
pub(crate) fn add(schemas: &mut Map<String, Value>, collection: &Collection, schema: &Schema) {
    schemas.insert(record_name(collection), record_schema(collection, schema));
    schemas.insert(
        list_name(collection),
        json!({
            "type": "object",
            "required": ["page", "perPage", "totalItems", "totalPages", "items"],
            "properties": {
                "page": {"type": "integer"},
                "perPage": {"type": "integer"},
                "totalItems": {"type": "integer", "description": "-1 with `skipTotal`."},
                "totalPages": {"type": "integer", "description": "-1 with `skipTotal`."},
                "items": {"type": "array", "items": super::schema_ref(&record_name(collection))},
            },
        }),
    );
    if collection.is_auth() {
        schemas.insert(
            auth_response_name(collection),
            json!({
                "type": "object",
                "required": ["token", "record"],
                "properties": {
                    "token": {"type": "string", "description": "Send it as the `Authorization` header."},
                    "record": super::schema_ref(&record_name(collection)),
                    "meta": {"type": "object", "additionalProperties": true},
                },
            }),
        );
    }
    if collection.is_view() {
        return;
    }
    let mut encodings = vec![Encoding::Json];
    if has_files(collection) {
        encodings.push(Encoding::Multipart);
    }
    for encoding in encodings {
        let multipart = encoding == Encoding::Multipart;
        schemas.insert(
            create_name(collection, multipart),
            write_schema(collection, schema, Body::Create, encoding),
        );
        schemas.insert(
            update_name(collection, multipart),
            write_schema(collection, schema, Body::Update, encoding),
        );
    }
}

fn record_schema(collection: &Collection, schema: &Schema) -> Value {
    let mut properties = Map::new();
    properties.insert(
        "collectionId".into(),
        json!({"type": "string", "enum": [collection.id]}),
    );
    properties.insert(
        "collectionName".into(),
        json!({"type": "string", "enum": [collection.name]}),
    );
    for field in &collection.fields {
        if let Some(field_schema) = response_schema(field, schema) {
            properties.insert(field.name.clone(), field_schema);
        }
    }
    properties.insert(
        "expand".into(),
        json!({
            "type": "object",
            "additionalProperties": true,
            "description": "Records of the relations named in `?expand=` (or all, with `pb serve --expand-all`) that the requester may view.",
        }),
    );
    let kind = if collection.is_view() {
        " (a read-only view)"
    } else {
        ""
    };
    json!({
        "type": "object",
        "description": format!("A record of `{}`{kind}.", collection.name),
        "properties": properties,
        "additionalProperties": true,
    })
}

/// A field's value in responses; `None` for fields responses never carry (passwords, hidden).
fn response_schema(field: &Field, schema: &Schema) -> Option<Value> {
    if field.hidden {
        return None;
    }
    let value = match &field.kind {
        FieldKind::Text(_) | FieldKind::Editor(_) => json!({"type": "string"}),
        // Whole numbers may come back in exponent form (`1e18`), which JSON Schema draft 4
        // (OpenAPI 3.0) does not count as an integer.
        FieldKind::Number(options) if options.only_int => {
            json!({"type": "number", "description": "A whole number."})
        }
        FieldKind::Number(_) => json!({"type": "number"}),
        FieldKind::Bool(_) => json!({"type": "boolean"}),
        FieldKind::Email(_) => {
            json!({"type": "string", "description": "An email address, or empty."})
        }
        FieldKind::Url(_) => json!({"type": "string", "description": "A URL, or empty."}),
        FieldKind::Date(_) => {
            json!({"type": "string", "description": "`2006-01-02 15:04:05.000Z`, or empty."})
        }
        FieldKind::Autodate(_) => {
            json!({"type": "string", "readOnly": true, "description": "`2006-01-02 15:04:05.000Z`, set by the server."})
        }
        FieldKind::Select(options) => {
            let values: Vec<Value> = options.values.iter().cloned().map(Value::String).collect();
            if field.is_multiple() {
                json!({"type": "array", "items": {"type": "string", "enum": values}})
            } else {
                let mut with_empty = values;
                with_empty.push(Value::String(String::new()));
                json!({"type": "string", "enum": with_empty})
            }
        }
        FieldKind::Relation(options) => {
            let target = schema
                .find_ref(&options.collection_id)
                .map_or(options.collection_id.as_str(), |target| {
                    target.name.as_str()
                });
            let description = format!("Id(s) of `{target}` records.");
            if field.is_multiple() {
                json!({"type": "array", "items": {"type": "string"}, "description": description})
            } else {
                json!({"type": "string", "description": description})
            }
        }
        FieldKind::File(_) => {
            let description = "Stored file name(s); download at `/api/files/{collectionId}/{recordId}/{filename}`.";
            if field.is_multiple() {
                json!({"type": "array", "items": {"type": "string"}, "description": description})
            } else {
                json!({"type": "string", "description": description})
            }
        }
        FieldKind::Json(_) => json!({"description": "Any JSON value, or null."}),
        FieldKind::Password(_) => return None,
        FieldKind::GeoPoint(_) => geo_point(),
    };
    Some(value)
}

fn geo_point() -> Value {
    json!({
        "type": "object",
        "required": ["lon", "lat"],
        "properties": {
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
        },
    })
}

fn write_schema(collection: &Collection, schema: &Schema, body: Body, encoding: Encoding) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in &collection.fields {
        let Some(field_schema) = request_schema(field, schema, encoding) else {
            continue;
        };
        properties.insert(field.name.clone(), field_schema);
        if body == Body::Create && is_required_on_create(field) {
            required.push(Value::String(field.name.clone()));
        }
    }
    let has_password = collection
        .fields
        .iter()
        .any(|field| matches!(field.kind, FieldKind::Password(_)));
    if has_password {
        properties.insert(
            "passwordConfirm".into(),
            json!({"type": "string", "writeOnly": true, "description": "Must equal `password`."}),
        );
        if body == Body::Create {
            required.push(json!("passwordConfirm"));
        } else {
            properties.insert(
                "oldPassword".into(),
                json!({"type": "string", "writeOnly": true, "description": "The current password; needed when a non-superuser changes it."}),
            );
        }
    }
    let action = match body {
        Body::Create => "create",
        Body::Update => "change",
    };
    let mut write = json!({
        "type": "object",
        "description": format!(
            "The fields to {action} in `{}`. Numbers also take `field+`/`field-`, arrays `field+`/`+field`/`field-` modifiers.",
            collection.name
        ),
        "properties": properties,
        "additionalProperties": true,
    });
    if !required.is_empty() {
        write["required"] = Value::Array(required);
    }
    write
}

/// Whether a create must carry the field: required, and not filled by the server.
fn is_required_on_create(field: &Field) -> bool {
    if !field.required() {
        return false;
    }
    !matches!(&field.kind, FieldKind::Text(options) if !options.autogenerate_pattern.is_empty())
}

/// A field's value in request bodies; `None` for fields clients do not write (autodate, the
/// internal hidden system fields such as `tokenKey`, and uploads in JSON bodies).
fn request_schema(field: &Field, schema: &Schema, encoding: Encoding) -> Option<Value> {
    if field.system && field.hidden && !matches!(field.kind, FieldKind::Password(_)) {
        return None;
    }
    let value = match &field.kind {
        FieldKind::Text(options) => {
            let mut text = json!({"type": "string"});
            // A required text must not be empty.
            let min = if options.required {
                options.min.max(1)
            } else {
                options.min
            };
            if min > 0 {
                text["minLength"] = json!(min);
            }
            if options.max > 0 {
                text["maxLength"] = json!(options.max);
            }
            if !options.pattern.is_empty() {
                text["description"] = json!(format!("Must match `{}`.", options.pattern));
            }
            text
        }
        FieldKind::Editor(_) => json!({"type": "string", "description": "HTML."}),
        FieldKind::Number(options) => {
            let mut number = if options.only_int {
                json!({"type": "integer"})
            } else {
                json!({"type": "number"})
            };
            if let Some(min) = options.min {
                number["minimum"] = json!(min);
            }
            if let Some(max) = options.max {
                number["maximum"] = json!(max);
            }
            number
        }
        FieldKind::Bool(_) => json!({"type": "boolean"}),
        FieldKind::Email(_) => json!({"type": "string", "format": "email"}),
        FieldKind::Url(_) => json!({"type": "string", "format": "uri"}),
        FieldKind::Date(_) => json!({"type": "string", "format": "date-time"}),
        FieldKind::Autodate(_) => return None,
        FieldKind::Password(options) => {
            let mut password = json!({"type": "string", "format": "password", "writeOnly": true});
            if options.min > 0 {
                password["minLength"] = json!(options.min);
            }
            if options.max > 0 {
                password["maxLength"] = json!(options.max);
            }
            password
        }
        FieldKind::File(options) => {
            if encoding == Encoding::Json {
                return None;
            }
            let binary = json!({"type": "string", "format": "binary"});
            if field.is_multiple() {
                json!({"type": "array", "items": binary, "maxItems": options.max_select})
            } else {
                binary
            }
        }
        FieldKind::Json(_) => json!({"description": "Any JSON value."}),
        FieldKind::GeoPoint(_) => geo_point(),
        FieldKind::Select(_) | FieldKind::Relation(_) => response_schema(
            &Field {
                hidden: false,
                ..field.clone()
            },
            schema,
        )?,
    };
    // Multipart parts are text: structured values go as JSON text.
    if encoding == Encoding::Multipart
        && matches!(field.kind, FieldKind::GeoPoint(_) | FieldKind::Json(_))
    {
        return Some(json!({"type": "string", "description": "JSON text."}));
    }
    Some(value)
}
