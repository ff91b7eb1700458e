//! The OpenAPI 3.0 description of this server (`GET /openapi/json|yaml`, viewer at
//! `/openapi/html`): every route `api/mod.rs` mounts, and for every collection of the current
//! schema its own record routes (and auth routes for auth collections) with request and
//! response schemas derived from its fields.
//!
//! The document is plain `serde_json`: the shapes depend on runtime collections, so typed
//! OpenAPI structs would add a dependency without catching more. It is built once per schema
//! snapshot (`Schema::openapi_document`), so it always matches the collections the server is
//! serving and costs nothing between schema changes.
//!
//! 3.0.3 rather than 3.1 because every tool reads it (viewers, code generators, schemathesis)
//! and `format: binary` multipart uploads mean the same thing to all of them.

mod collection_paths;
mod components;
mod record_schemas;
mod system_paths;

use serde_json::{json, Map, Value};

use crate::state::Schema;

/// The name of the security scheme: PocketBase's token, sent as is (no `Bearer` prefix).
pub(crate) const TOKEN_SCHEME: &str = "pbToken";

/// The whole document for `schema`.
pub fn document(schema: &Schema) -> Value {
    let mut paths = Map::new();
    system_paths::add(&mut paths);
    let mut record_components = Map::new();
    for collection in schema.all() {
        collection_paths::add(&mut paths, collection);
        record_schemas::add(&mut record_components, collection, schema);
    }
    let mut schemas = components::schemas();
    schemas.extend(record_components);
    let tags: Vec<Value> = system_paths::TAGS
        .iter()
        .map(|(name, description)| json!({"name": name, "description": description}))
        .chain(schema.all().iter().map(|collection| {
            json!({
                "name": collection_paths::tag(collection),
                "description": format!(
                    "Records of the {} collection `{}`.",
                    collection.collection_type.as_str(),
                    collection.name
                ),
            })
        }))
        .collect();
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "pb — PocketBase-compatible API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": concat!(
                "The Web API of PocketBase v0.40 as this server implements it. Every error is ",
                "`{status, message, data}`; `data` holds per-field `{code, message}` for ",
                "validation errors. Send a token from an auth route in the `Authorization` ",
                "header as is (no `Bearer` prefix). Record routes and schemas are generated ",
                "from the current collections.",
            ),
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": components::parameters(),
            "responses": components::responses(),
            "securitySchemes": {
                TOKEN_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "A PocketBase auth token (record or superuser), without a `Bearer` prefix.",
                },
            },
        },
        "security": [{}, {TOKEN_SCHEME: []}],
    })
}

/// One operation: its id, tag, summary, parameters, optional request body and responses.
/// Every operation also answers errors in PocketBase's shape (`default`).
pub(crate) struct Operation<'a> {
    pub(crate) id: String,
    pub(crate) tag: &'a str,
    pub(crate) summary: String,
    pub(crate) parameters: Vec<Value>,
    pub(crate) body: Option<Value>,
    pub(crate) responses: Vec<(&'a str, Value)>,
    /// Superuser-only operations need the token; the others take it optionally.
    pub(crate) superuser_only: bool,
    /// More to say (e.g. the API rule that applies); may be empty.
    pub(crate) description: String,
}

impl Operation<'_> {
    pub(crate) fn into_json(self) -> Value {
        let mut responses = Map::new();
        for (status, response) in self.responses {
            responses.insert(status.to_string(), response);
        }
        responses
            .entry("default")
            .or_insert_with(|| json!({"$ref": "#/components/responses/Error"}));
        let mut operation = json!({
            "operationId": self.id,
            "tags": [self.tag],
            "summary": self.summary,
            "responses": responses,
        });
        if !self.parameters.is_empty() {
            operation["parameters"] = Value::Array(self.parameters);
        }
        if let Some(body) = self.body {
            operation["requestBody"] = body;
        }
        let mut description = self.description;
        if self.superuser_only {
            operation["security"] = json!([{TOKEN_SCHEME: []}]);
            description = format!("Superusers only. {description}");
        }
        if !description.trim().is_empty() {
            operation["description"] = json!(description.trim());
        }
        operation
    }
}

/// Adds `operation` under `path` and `method`.
pub(crate) fn insert(
    paths: &mut Map<String, Value>,
    path: &str,
    method: &str,
    operation: Operation,
) {
    let item = paths
        .entry(path.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(item) = item {
        item.insert(method.to_string(), operation.into_json());
    }
}

/// A JSON response with `schema`.
pub(crate) fn json_response(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

/// `204 No Content`.
pub(crate) fn no_content() -> Value {
    json!({"description": "Done; no body."})
}

/// A request body of JSON (and the same fields as a form, since PocketBase reads both).
pub(crate) fn json_body(schema: Value, required: bool) -> Value {
    json!({
        "required": required,
        "content": {
            "application/json": {"schema": schema},
        },
    })
}

/// A `$ref` to a component schema.
pub(crate) fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A `$ref` to a component parameter.
pub(crate) fn parameter_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/parameters/{name}")})
}

/// A required path parameter of type string.
pub(crate) fn path_parameter(name: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "path",
        "required": true,
        "description": description,
        "schema": {"type": "string"},
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
