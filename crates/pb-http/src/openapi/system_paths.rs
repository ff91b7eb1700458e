//! The routes that do not depend on the collections: health, settings, the collections API,
//! batch, realtime, files and this document itself. Kept in step with `api/mod.rs` by the
//! unit test that compares the two.

use serde_json::{json, Map, Value};

use super::{
    insert, json_body, json_response, no_content, parameter_ref, path_parameter, schema_ref,
    Operation,
};

/// The tags of these routes, with their descriptions.
pub(crate) const TAGS: &[(&str, &str)] = &[
    ("health", "Liveness."),
    ("settings", "Application settings (superusers only)."),
    ("collections", "Collection definitions (superusers only)."),
    ("batch", "Several record writes in one transaction."),
    ("realtime", "Server-sent events of record changes."),
    ("files", "Files of file fields."),
    ("openapi", "This document."),
];

fn operation<'a>(id: &str, tag: &'a str, summary: &str) -> Operation<'a> {
    Operation {
        id: id.to_string(),
        tag,
        summary: summary.to_string(),
        parameters: Vec::new(),
        body: None,
        responses: Vec::new(),
        superuser_only: false,
        description: String::new(),
    }
}

fn superuser<'a>(id: &str, tag: &'a str, summary: &str) -> Operation<'a> {
    Operation {
        superuser_only: true,
        ..operation(id, tag, summary)
    }
}

/// Adds every collection-independent route.
pub(crate) fn add(paths: &mut Map<String, Value>) {
    insert(
        paths,
        "/api/health",
        "get",
        Operation {
            responses: vec![(
                "200",
                json_response(
                    "Healthy; superusers get a few facts in `data`.",
                    schema_ref("Health"),
                ),
            )],
            ..operation("health", "health", "Health check")
        },
    );
    add_settings(paths);
    add_collections(paths);
    insert(
        paths,
        "/api/batch",
        "post",
        Operation {
            body: Some(json!({
                "required": true,
                "content": {
                    "application/json": {"schema": schema_ref("BatchRequest")},
                    "multipart/form-data": {"schema": {
                        "type": "object",
                        "properties": {"@jsonPayload": {"type": "string", "description": "The BatchRequest as JSON; file parts are named `requests.N.field`."}},
                    }},
                },
            })),
            responses: vec![("200", json_response("The answer of each request, in order.", schema_ref("BatchResponse")))],
            ..operation("batch", "batch", "Run record creates, updates, upserts and deletes in one transaction (when enabled in the settings)")
        },
    );
    insert(
        paths,
        "/api/realtime",
        "get",
        Operation {
            responses: vec![(
                "200",
                json!({
                    "description": "An event stream: `PB_CONNECT` with the client id first, then one event per subscribed change.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                }),
            )],
            ..operation("realtimeConnect", "realtime", "Open the event stream")
        },
    );
    insert(
        paths,
        "/api/realtime",
        "post",
        Operation {
            body: Some(json_body(schema_ref("RealtimeSubscriptions"), true)),
            responses: vec![("204", no_content())],
            ..operation(
                "realtimeSubscribe",
                "realtime",
                "Set the subscriptions of a connected client",
            )
        },
    );
    insert(
        paths,
        "/api/files/token",
        "post",
        Operation {
            responses: vec![(
                "200",
                json_response(
                    "A short-lived token for protected files.",
                    schema_ref("FileToken"),
                ),
            )],
            ..operation(
                "fileToken",
                "files",
                "Get a token for protected files (auth required)",
            )
        },
    );
    let query = |name: &str, description: &str| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}, "description": description});
    insert(
        paths,
        "/api/files/{collection}/{recordId}/{filename}",
        "get",
        Operation {
            parameters: vec![
                path_parameter("collection", "Collection id or name."),
                path_parameter("recordId", "Record id."),
                path_parameter("filename", "A stored file name of the record."),
                query(
                    "thumb",
                    "A thumb size the field lists, e.g. `100x100`, `0x50`, `100x100t`.",
                ),
                query("token", "A file token, for protected files."),
                query("download", "`1` to send `Content-Disposition: attachment`."),
            ],
            responses: vec![(
                "200",
                json!({
                    "description": "The file.",
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
                }),
            )],
            ..operation("fileDownload", "files", "Download a file (or its thumb)")
        },
    );
    for (format, media_type, schema) in [
        ("json", "application/json", json!({"type": "object"})),
        ("yaml", "application/yaml", json!({"type": "object"})),
    ] {
        insert(
            paths,
            &format!("/openapi/{format}"),
            "get",
            Operation {
                responses: vec![(
                    "200",
                    json!({
                        "description": "This document.",
                        "content": {media_type: {"schema": schema}},
                    }),
                )],
                ..superuser(
                    &format!("openapi{}", format.to_uppercase()),
                    "openapi",
                    &format!("This document as {}", format.to_uppercase()),
                )
            },
        );
    }
    insert(
        paths,
        "/openapi/html",
        "get",
        Operation {
            responses: vec![(
                "200",
                json!({
                    "description": "A page that loads `/openapi/json` with the token you enter and renders it.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                }),
            )],
            ..operation("openapiHTML", "openapi", "A viewer for this document")
        },
    );
}

fn add_settings(paths: &mut Map<String, Value>) {
    insert(
        paths,
        "/api/settings",
        "get",
        Operation {
            parameters: vec![parameter_ref("fields")],
            responses: vec![(
                "200",
                json_response("The settings.", schema_ref("Settings")),
            )],
            ..superuser("settingsView", "settings", "View the settings")
        },
    );
    insert(
        paths,
        "/api/settings",
        "patch",
        Operation {
            body: Some(json_body(schema_ref("Settings"), true)),
            responses: vec![(
                "200",
                json_response("The settings after the change.", schema_ref("Settings")),
            )],
            ..superuser("settingsUpdate", "settings", "Change some settings")
        },
    );
}

fn add_collections(paths: &mut Map<String, Value>) {
    let collection_param = || path_parameter("collection", "Collection id or name.");
    let one = || json_response("The collection.", schema_ref("Collection"));
    insert(
        paths,
        "/api/collections",
        "get",
        Operation {
            parameters: ["page", "perPage", "sort", "filter", "fields", "skipTotal"]
                .into_iter()
                .map(parameter_ref)
                .collect(),
            responses: vec![(
                "200",
                json_response("A page of collections.", schema_ref("CollectionList")),
            )],
            ..superuser("collectionsList", "collections", "List collections")
        },
    );
    insert(
        paths,
        "/api/collections",
        "post",
        Operation {
            parameters: vec![parameter_ref("fields")],
            body: Some(json_body(schema_ref("CollectionWrite"), true)),
            responses: vec![("200", one())],
            ..superuser("collectionsCreate", "collections", "Create a collection")
        },
    );
    insert(
        paths,
        "/api/collections/import",
        "put",
        Operation {
            body: Some(json_body(schema_ref("CollectionsImport"), true)),
            responses: vec![("204", no_content())],
            ..superuser(
                "collectionsImport",
                "collections",
                "Create or replace many collections at once",
            )
        },
    );
    insert(
        paths,
        "/api/collections/meta/scaffolds",
        "get",
        Operation {
            responses: vec![(
                "200",
                json_response("Blank collections by type.", schema_ref("Scaffolds")),
            )],
            ..superuser(
                "collectionsScaffolds",
                "collections",
                "Blank collections of each type",
            )
        },
    );
    insert(
        paths,
        "/api/collections/{collection}",
        "get",
        Operation {
            parameters: vec![collection_param(), parameter_ref("fields")],
            responses: vec![("200", one())],
            ..superuser("collectionsView", "collections", "View a collection")
        },
    );
    insert(
        paths,
        "/api/collections/{collection}",
        "patch",
        Operation {
            parameters: vec![collection_param(), parameter_ref("fields")],
            body: Some(json_body(schema_ref("CollectionWrite"), true)),
            responses: vec![("200", one())],
            ..superuser(
                "collectionsUpdate",
                "collections",
                "Change a collection (its table is migrated)",
            )
        },
    );
    insert(
        paths,
        "/api/collections/{collection}",
        "delete",
        Operation {
            parameters: vec![collection_param()],
            responses: vec![("204", no_content())],
            ..superuser(
                "collectionsDelete",
                "collections",
                "Delete a collection and its records",
            )
        },
    );
    insert(
        paths,
        "/api/collections/{collection}/truncate",
        "delete",
        Operation {
            parameters: vec![collection_param()],
            responses: vec![("204", no_content())],
            ..superuser(
                "collectionsTruncate",
                "collections",
                "Delete every record of a collection",
            )
        },
    );
}
