//! The routes that do not depend on the collections: health, settings, the collections API,
//! batch, realtime, files, backups, logs, crons, the OAuth2 redirect and this document itself.
//! Kept in step with `api/mod.rs` by the unit test that compares the two.

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
    ("oauth2", "The OAuth2 popup flow's redirect."),
    ("backups", "Backups of the data dir (superusers only)."),
    ("logs", "Request logs (superusers only)."),
    ("crons", "Scheduled jobs (superusers only)."),
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
    add_backups(paths);
    add_logs_and_crons(paths);
    add_oauth2_redirect(paths);
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
    insert(
        paths,
        "/api/settings/test/email",
        "post",
        Operation {
            body: Some(json_body(
                json!({
                    "type": "object",
                    "required": ["email", "template"],
                    "properties": {
                        "email": {"type": "string", "format": "email"},
                        "template": {"type": "string", "enum": [
                            "verification", "password-reset", "email-change", "otp", "login-alert"
                        ]},
                        "collection": {
                            "type": "string",
                            "description": "Auth collection id or name; `_superusers` when empty."
                        },
                    },
                }),
                true,
            )),
            responses: vec![("204", no_content())],
            ..superuser(
                "settingsTestEmail",
                "settings",
                "Send a test email of one template through the configured mailer",
            )
        },
    );
    insert(
        paths,
        "/api/settings/test/s3",
        "post",
        Operation {
            body: Some(json_body(
                json!({
                    "type": "object",
                    "required": ["filesystem"],
                    "properties": {
                        "filesystem": {"type": "string", "enum": ["storage", "backups"]},
                    },
                }),
                true,
            )),
            responses: vec![("204", no_content())],
            ..superuser(
                "settingsTestS3",
                "settings",
                "Check the S3 settings of the file storage or the backups",
            )
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
        "/api/collections/meta/view-preview",
        "post",
        Operation {
            body: Some(json_body(
                json!({
                    "type": "object",
                    "required": ["viewQuery"],
                    "properties": {"viewQuery": {"type": "string"}},
                }),
                true,
            )),
            responses: vec![(
                "200",
                json_response(
                    "The fields a view with this query would get and its first rows.",
                    json!({
                        "type": "object",
                        "required": ["fields", "items"],
                        "properties": {
                            "fields": {"type": "array", "items": {
                                "type": "object",
                                "required": ["name", "type"],
                                "properties": {
                                    "name": {"type": "string"},
                                    "type": {"type": "string"},
                                },
                            }},
                            "items": {"type": "array", "items": {"type": "object"}},
                        },
                    }),
                ),
            )],
            ..superuser(
                "collectionsViewPreview",
                "collections",
                "Preview a view query without saving it (not in PocketBase)",
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

fn add_backups(paths: &mut Map<String, Value>) {
    let key = || path_parameter("key", "The backup's file name.");
    insert(
        paths,
        "/api/backups",
        "get",
        Operation {
            parameters: vec![parameter_ref("fields")],
            responses: vec![(
                "200",
                json_response(
                    "Every backup, by key.",
                    json!({"type": "array", "items": {
                        "type": "object",
                        "properties": {
                            "key": {"type": "string"},
                            "size": {"type": "integer"},
                            "modified": {"type": "string"},
                        },
                    }}),
                ),
            )],
            ..superuser("backupsList", "backups", "List backups")
        },
    );
    insert(
        paths,
        "/api/backups",
        "post",
        Operation {
            body: Some(json_body(
                json!({"type": "object", "properties": {"name": {"type": "string", "description": "`[a-z0-9_-]+\\.zip`; generated when empty."}}}),
                false,
            )),
            responses: vec![("204", no_content())],
            ..superuser("backupsCreate", "backups", "Back up the data dir now")
        },
    );
    insert(
        paths,
        "/api/backups/upload",
        "post",
        Operation {
            body: Some(json!({
                "required": true,
                "content": {"multipart/form-data": {"schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }}},
            })),
            responses: vec![("204", no_content())],
            ..superuser("backupsUpload", "backups", "Upload a backup zip")
        },
    );
    insert(
        paths,
        "/api/backups/{key}",
        "get",
        Operation {
            parameters: vec![
                key(),
                json!({"name": "token", "in": "query", "required": true, "schema": {"type": "string"}, "description": "A superuser's file token (`POST /api/files/token`)."}),
            ],
            responses: vec![(
                "200",
                json!({
                    "description": "The zip.",
                    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
                }),
            )],
            ..operation(
                "backupsDownload",
                "backups",
                "Download a backup (with a superuser file token)",
            )
        },
    );
    insert(
        paths,
        "/api/backups/{key}",
        "delete",
        Operation {
            parameters: vec![key()],
            responses: vec![("204", no_content())],
            ..superuser("backupsDelete", "backups", "Delete a backup")
        },
    );
    insert(
        paths,
        "/api/backups/{key}/restore",
        "post",
        Operation {
            parameters: vec![key()],
            responses: vec![("204", no_content())],
            ..superuser(
                "backupsRestore",
                "backups",
                "Restore a backup; the server restarts on it",
            )
        },
    );
}

fn add_logs_and_crons(paths: &mut Map<String, Value>) {
    let log = || {
        json!({"type": "object", "properties": {
            "id": {"type": "string"},
            "created": {"type": "string"},
            "level": {"type": "integer"},
            "message": {"type": "string"},
            "data": {"type": "object"},
        }})
    };
    insert(
        paths,
        "/api/logs",
        "get",
        Operation {
            parameters: ["page", "perPage", "sort", "filter", "fields", "skipTotal"]
                .into_iter()
                .map(parameter_ref)
                .collect(),
            responses: vec![(
                "200",
                json_response(
                    "A page of logs.",
                    json!({"type": "object", "properties": {
                        "page": {"type": "integer"},
                        "perPage": {"type": "integer"},
                        "totalItems": {"type": "integer"},
                        "totalPages": {"type": "integer"},
                        "items": {"type": "array", "items": log()},
                    }}),
                ),
            )],
            ..superuser("logsList", "logs", "List request logs")
        },
    );
    insert(
        paths,
        "/api/logs",
        "delete",
        Operation {
            responses: vec![("204", no_content())],
            ..superuser("logsDelete", "logs", "Delete every log")
        },
    );
    insert(
        paths,
        "/api/logs/stats",
        "get",
        Operation {
            parameters: vec![parameter_ref("filter"), parameter_ref("fields")],
            responses: vec![(
                "200",
                json_response(
                    "Logs per hour.",
                    json!({"type": "array", "items": {"type": "object", "properties": {
                        "date": {"type": "string"},
                        "total": {"type": "integer"},
                    }}}),
                ),
            )],
            ..superuser("logsStats", "logs", "Count logs per hour")
        },
    );
    insert(
        paths,
        "/api/logs/{id}",
        "get",
        Operation {
            parameters: vec![path_parameter("id", "Log id."), parameter_ref("fields")],
            responses: vec![("200", json_response("The log.", log()))],
            ..superuser("logsView", "logs", "View a log")
        },
    );
    insert(
        paths,
        "/api/crons",
        "get",
        Operation {
            parameters: vec![parameter_ref("fields")],
            responses: vec![(
                "200",
                json_response(
                    "The scheduled jobs.",
                    json!({"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "string"},
                        "expression": {"type": "string"},
                    }}}),
                ),
            )],
            ..superuser("cronsList", "crons", "List scheduled jobs")
        },
    );
    insert(
        paths,
        "/api/crons/{id}",
        "post",
        Operation {
            parameters: vec![path_parameter("id", "Job id, e.g. `__pbLogsCleanup__`.")],
            responses: vec![("204", no_content())],
            ..superuser("cronsRun", "crons", "Run a job now")
        },
    );
}

fn add_oauth2_redirect(paths: &mut Map<String, Value>) {
    let query = |name: &str| json!({"name": name, "in": "query", "required": false, "schema": {"type": "string"}});
    for (method, status) in [("get", "307"), ("post", "303")] {
        insert(
            paths,
            "/api/oauth2-redirect",
            method,
            Operation {
                parameters: if method == "get" {
                    vec![query("state"), query("code"), query("error")]
                } else {
                    Vec::new()
                },
                body: (method == "post").then(|| {
                    json!({"content": {"application/x-www-form-urlencoded": {"schema": {
                        "type": "object",
                        "properties": {"state": {"type": "string"}, "code": {"type": "string"}, "error": {"type": "string"}},
                    }}}})
                }),
                responses: vec![(
                    status,
                    json!({"description": "To the dashboard's success or failure page; the realtime client named by `state` gets the code on `@oauth2`."}),
                )],
                ..operation(
                    &format!("oauth2Redirect{}", method.to_uppercase()),
                    "oauth2",
                    "Hand an OAuth2 code to the realtime client that started the sign-in",
                )
            },
        );
    }
}
