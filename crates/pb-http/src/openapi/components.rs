//! The schemas, parameters and responses shared by many routes: PocketBase's error body, the
//! list envelope's query parameters, collections, settings, batch and auth answers.

use serde_json::{json, Map, Value};

/// A string that may be `null` (API rules: `null` means superusers only).
fn nullable_string(description: &str) -> Value {
    json!({"type": "string", "nullable": true, "description": description})
}

/// Shared component schemas.
pub(crate) fn schemas() -> Map<String, Value> {
    let rule = |what: &str| {
        nullable_string(&format!(
            "Filter a requester must match to {what}; `null` means superusers only, `\"\"` everyone."
        ))
    };
    let collection_properties = json!({
        "id": {"type": "string"},
        "name": {"type": "string"},
        "type": {"type": "string", "enum": ["base", "auth", "view"]},
        "system": {"type": "boolean"},
        "fields": {"type": "array", "items": {"$ref": "#/components/schemas/CollectionField"}},
        "indexes": {"type": "array", "items": {"type": "string"}},
        "listRule": rule("list records"),
        "viewRule": rule("view a record"),
        "createRule": rule("create a record"),
        "updateRule": rule("update a record"),
        "deleteRule": rule("delete a record"),
        "viewQuery": {"type": "string", "description": "The SELECT of a view collection."},
        "authRule": rule("authenticate (auth collections)"),
        "manageRule": rule("manage other auth records (auth collections)"),
        "created": {"type": "string"},
        "updated": {"type": "string"},
    });
    let mut write_properties = collection_properties.clone();
    if let Value::Object(properties) = &mut write_properties {
        for read_only in ["system", "created", "updated"] {
            properties.remove(read_only);
        }
    }
    let auth_response = json!({
        "type": "object",
        "required": ["token", "record"],
        "properties": {
            "token": {"type": "string"},
            "record": {"type": "object", "additionalProperties": true},
            "meta": {"type": "object", "additionalProperties": true},
        },
    });
    let schemas = json!({
        "Error": {
            "type": "object",
            "description": "Every error: the HTTP status, a message, and per-field `{code, message}` for validation errors.",
            "required": ["status", "message", "data"],
            "properties": {
                "status": {"type": "integer"},
                "message": {"type": "string"},
                "data": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
            },
        },
        "Health": {
            "type": "object",
            "required": ["message", "code", "data"],
            "properties": {
                "message": {"type": "string"},
                "code": {"type": "integer"},
                "data": {"type": "object", "additionalProperties": true},
            },
        },
        "CollectionField": {
            "type": "object",
            "description": "A field definition: the common keys plus the options of its type.",
            "required": ["name", "type"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "type": {"type": "string", "enum": [
                    "text", "editor", "number", "bool", "email", "url", "date", "autodate",
                    "select", "file", "relation", "json", "password", "geoPoint",
                ]},
                "system": {"type": "boolean"},
                "hidden": {"type": "boolean"},
                "presentable": {"type": "boolean"},
                "required": {"type": "boolean"},
            },
            "additionalProperties": true,
        },
        "Collection": {
            "type": "object",
            "required": ["id", "name", "type", "system", "fields", "indexes", "created", "updated"],
            "properties": collection_properties,
            "additionalProperties": true,
        },
        "CollectionWrite": {
            "type": "object",
            "description": "A collection to create or the keys to change; auth collections take their options (passwordAuth, otp, mfa, tokens, templates) at the top level too.",
            "properties": write_properties,
            "additionalProperties": true,
        },
        "CollectionList": {
            "type": "object",
            "required": ["page", "perPage", "totalItems", "totalPages", "items"],
            "properties": {
                "page": {"type": "integer"},
                "perPage": {"type": "integer"},
                "totalItems": {"type": "integer"},
                "totalPages": {"type": "integer"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Collection"}},
            },
        },
        "CollectionsImport": {
            "type": "object",
            "required": ["collections"],
            "properties": {
                "collections": {"type": "array", "items": {"$ref": "#/components/schemas/CollectionWrite"}},
                "deleteMissing": {"type": "boolean", "description": "Delete collections (and their records) missing from the list."},
            },
        },
        "Scaffolds": {
            "type": "object",
            "description": "A blank collection of each type, by type.",
            "additionalProperties": {"$ref": "#/components/schemas/Collection"},
        },
        "Settings": {
            "type": "object",
            "description": "The application settings (secrets masked on read).",
            "properties": {
                "meta": {"type": "object", "additionalProperties": true},
                "smtp": {"type": "object", "additionalProperties": true},
                "s3": {"type": "object", "additionalProperties": true},
                "backups": {"type": "object", "additionalProperties": true},
                "batch": {"type": "object", "additionalProperties": true},
                "rateLimits": {"type": "object", "additionalProperties": true},
                "trustedProxy": {"type": "object", "additionalProperties": true},
                "logs": {"type": "object", "additionalProperties": true},
            },
            "additionalProperties": true,
        },
        "BatchRequest": {
            "type": "object",
            "required": ["requests"],
            "properties": {
                "requests": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["method", "url"],
                        "properties": {
                            "method": {"type": "string", "enum": ["POST", "PUT", "PATCH", "DELETE"]},
                            "url": {"type": "string", "description": "A records API path, e.g. `/api/collections/posts/records`."},
                            "body": {"type": "object", "additionalProperties": true},
                            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                    },
                },
            },
        },
        "BatchResponse": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["status", "body"],
                "properties": {"status": {"type": "integer"}, "body": {}},
            },
        },
        "RealtimeSubscriptions": {
            "type": "object",
            "required": ["clientId"],
            "properties": {
                "clientId": {"type": "string", "description": "From the `PB_CONNECT` event of `GET /api/realtime`."},
                "subscriptions": {"type": "array", "items": {"type": "string"}, "description": "`collection/*` or `collection/recordId`, optionally with `?options={...}`."},
            },
        },
        "FileToken": {
            "type": "object",
            "required": ["token"],
            "properties": {"token": {"type": "string"}},
        },
        "AuthResponse": auth_response,
        "MfaRequired": {
            "type": "object",
            "description": "The first factor passed; a second, different method must follow with this `mfaId`.",
            "required": ["mfaId"],
            "properties": {"mfaId": {"type": "string"}},
        },
        "AuthMethods": {
            "type": "object",
            "required": ["password", "oauth2", "mfa", "otp"],
            "properties": {
                "password": {
                    "type": "object",
                    "properties": {
                        "enabled": {"type": "boolean"},
                        "identityFields": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "oauth2": {
                    "type": "object",
                    "properties": {
                        "enabled": {"type": "boolean"},
                        "providers": {"type": "array", "items": {"type": "object", "additionalProperties": true}},
                    },
                },
                "mfa": {"type": "object", "properties": {"enabled": {"type": "boolean"}, "duration": {"type": "integer"}}},
                "otp": {"type": "object", "properties": {"enabled": {"type": "boolean"}, "duration": {"type": "integer"}}},
            },
            "additionalProperties": true,
        },
        "OtpRequested": {
            "type": "object",
            "required": ["otpId"],
            "properties": {"otpId": {"type": "string"}},
        },
    });
    match schemas {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The query parameters of list and output routes.
pub(crate) fn parameters() -> Value {
    let query = |name: &str, schema: Value, description: &str| json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description});
    json!({
        "page": query("page", json!({"type": "integer", "minimum": 1}), "Page number (from 1)."),
        "perPage": query("perPage", json!({"type": "integer", "minimum": 1, "maximum": 1000}), "Items per page (default 30, at most 1000)."),
        "sort": query("sort", json!({"type": "string"}), "Comma-separated fields, `-` for descending, e.g. `-created,title`; `@random` too."),
        "filter": query("filter", json!({"type": "string"}), "A filter expression, e.g. `title ~ 'abc' && created > '2024-01-01'`."),
        "expand": query("expand", json!({"type": "string"}), "Relations to embed under `expand`, comma-separated, nested with dots (at most 6 levels)."),
        "fields": query("fields", json!({"type": "string"}), "Comma-separated keys to return (`*`, `expand.rel.name`, `title:excerpt(200,true)`)."),
        "skipTotal": query("skipTotal", json!({"type": "boolean"}), "Skip counting: `totalItems` and `totalPages` are -1."),
    })
}

/// Shared responses.
pub(crate) fn responses() -> Value {
    json!({
        "Error": {
            "description": "An error in PocketBase's shape.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    })
}
