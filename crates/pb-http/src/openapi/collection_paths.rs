//! The routes of one collection: its records API (read-only for view collections) and, for
//! auth collections, the auth routes, with the collection's own schemas and its API rules.

use pb_core::Collection;
use serde_json::{json, Map, Value};

use super::record_schemas::{
    auth_response_name, create_name, has_files, list_name, record_name, update_name,
};
use super::{
    insert, json_body, json_response, no_content, parameter_ref, path_parameter, schema_ref,
    Operation,
};

/// The tag grouping a collection's routes.
pub(crate) fn tag(collection: &Collection) -> String {
    format!("records: {}", collection.name)
}

/// Builds the operations of one collection, which all share its tag.
struct Builder<'a> {
    collection: &'a Collection,
    tag: &'a str,
}

impl<'a> Builder<'a> {
    fn operation(&self, suffix: &str, summary: &str) -> Operation<'a> {
        Operation {
            id: format!("{}_{suffix}", self.collection.name),
            tag: self.tag,
            summary: summary.to_string(),
            parameters: Vec::new(),
            body: None,
            responses: Vec::new(),
            superuser_only: false,
            description: String::new(),
        }
    }

    /// An operation guarded by an API rule: superusers only when the rule is `null`.
    fn ruled(
        &self,
        suffix: &str,
        summary: &str,
        rule_name: &str,
        rule: &Option<String>,
    ) -> Operation<'a> {
        let description = match rule.as_deref() {
            None => String::new(),
            Some("") => format!("{rule_name}: everyone."),
            Some(rule) => format!("{rule_name}: `{rule}`."),
        };
        Operation {
            superuser_only: rule.is_none(),
            description,
            ..self.operation(suffix, summary)
        }
    }

    fn path(&self, rest: &str) -> String {
        format!("/api/collections/{}/{rest}", self.collection.name)
    }
}

fn output_parameters() -> Vec<Value> {
    vec![parameter_ref("expand"), parameter_ref("fields")]
}

/// A record body in JSON, and as multipart when the collection has file fields.
fn record_body(
    collection: &Collection,
    json_schema: String,
    form_schema: String,
    required: bool,
) -> Value {
    let mut content = Map::new();
    content.insert(
        "application/json".into(),
        json!({"schema": schema_ref(&json_schema)}),
    );
    if has_files(collection) {
        content.insert(
            "multipart/form-data".into(),
            json!({"schema": schema_ref(&form_schema)}),
        );
    }
    json!({"required": required, "content": content})
}

/// Adds the routes of `collection`.
pub(crate) fn add(paths: &mut Map<String, Value>, collection: &Collection) {
    let tag = tag(collection);
    let builder = Builder {
        collection,
        tag: &tag,
    };
    let record = || json_response("The record.", schema_ref(&record_name(collection)));
    let id_parameter = || path_parameter("id", "Record id.");
    let mut list_parameters: Vec<Value> = ["page", "perPage", "sort", "filter"]
        .into_iter()
        .map(parameter_ref)
        .collect();
    list_parameters.extend(output_parameters());
    list_parameters.push(parameter_ref("skipTotal"));
    insert(
        paths,
        &builder.path("records"),
        "get",
        Operation {
            parameters: list_parameters,
            responses: vec![(
                "200",
                json_response("A page of records.", schema_ref(&list_name(collection))),
            )],
            ..builder.ruled(
                "list",
                &format!("List {} records", collection.name),
                "List rule",
                &collection.list_rule,
            )
        },
    );
    insert(
        paths,
        &builder.path("records/{id}"),
        "get",
        Operation {
            parameters: [vec![id_parameter()], output_parameters()].concat(),
            responses: vec![("200", record())],
            ..builder.ruled(
                "view",
                &format!("View a {} record", collection.name),
                "View rule",
                &collection.view_rule,
            )
        },
    );
    if !collection.is_view() {
        insert(
            paths,
            &builder.path("records"),
            "post",
            Operation {
                parameters: output_parameters(),
                body: Some(record_body(
                    collection,
                    create_name(collection, false),
                    create_name(collection, true),
                    true,
                )),
                responses: vec![("200", record())],
                ..builder.ruled(
                    "create",
                    &format!("Create a {} record", collection.name),
                    "Create rule",
                    &collection.create_rule,
                )
            },
        );
        insert(
            paths,
            &builder.path("records/{id}"),
            "patch",
            Operation {
                parameters: [vec![id_parameter()], output_parameters()].concat(),
                body: Some(record_body(
                    collection,
                    update_name(collection, false),
                    update_name(collection, true),
                    false,
                )),
                responses: vec![("200", record())],
                ..builder.ruled(
                    "update",
                    &format!("Change a {} record", collection.name),
                    "Update rule",
                    &collection.update_rule,
                )
            },
        );
        insert(
            paths,
            &builder.path("records/{id}"),
            "delete",
            Operation {
                parameters: vec![id_parameter()],
                responses: vec![("204", no_content())],
                ..builder.ruled(
                    "delete",
                    &format!("Delete a {} record", collection.name),
                    "Delete rule",
                    &collection.delete_rule,
                )
            },
        );
    }
    if collection.is_auth() {
        add_auth(paths, &builder);
    }
}

fn string_object(required: &[&str], optional: &[&str]) -> Value {
    let properties: Map<String, Value> = required
        .iter()
        .chain(optional)
        .map(|name| (name.to_string(), json!({"type": "string"})))
        .collect();
    json!({"type": "object", "required": required, "properties": properties})
}

fn add_auth(paths: &mut Map<String, Value>, builder: &Builder) {
    let collection = builder.collection;
    let authenticated = || json_response("Signed in.", schema_ref(&auth_response_name(collection)));
    // A first factor with MFA on answers 401 with an `mfaId` instead of the error shape.
    let first_factor = || {
        json!({
            "description": "MFA required (`mfaId`), or not signed in.",
            "content": {"application/json": {"schema": {"oneOf": [schema_ref("MfaRequired"), schema_ref("Error")]}}},
        })
    };
    let post = |paths: &mut Map<String, Value>, rest: &str, operation: Operation| {
        insert(paths, &builder.path(rest), "post", operation);
    };
    insert(
        paths,
        &builder.path("auth-methods"),
        "get",
        Operation {
            parameters: vec![parameter_ref("fields")],
            responses: vec![(
                "200",
                json_response("The sign-in methods.", schema_ref("AuthMethods")),
            )],
            ..builder.operation("authMethods", "Which sign-in methods are enabled")
        },
    );
    post(
        paths,
        "auth-with-password",
        Operation {
            parameters: output_parameters(),
            body: Some(json_body(
                string_object(&["identity", "password"], &["identityField"]),
                true,
            )),
            responses: vec![("200", authenticated()), ("401", first_factor())],
            ..builder.operation(
                "authWithPassword",
                "Sign in with an identity (email or another unique field) and password",
            )
        },
    );
    post(
        paths,
        "auth-refresh",
        Operation {
            parameters: output_parameters(),
            responses: vec![("200", authenticated())],
            description: "Needs a valid token of this collection.".into(),
            ..builder.operation("authRefresh", "A fresh token for the signed-in record")
        },
    );
    post(
        paths,
        "request-otp",
        Operation {
            body: Some(json_body(string_object(&["email"], &[]), true)),
            responses: vec![(
                "200",
                json_response("The id to sign in with.", schema_ref("OtpRequested")),
            )],
            ..builder.operation("requestOtp", "Email a one-time password")
        },
    );
    post(
        paths,
        "auth-with-otp",
        Operation {
            parameters: output_parameters(),
            body: Some(json_body(string_object(&["otpId", "password"], &[]), true)),
            responses: vec![("200", authenticated()), ("401", first_factor())],
            ..builder.operation("authWithOtp", "Sign in with a one-time password")
        },
    );
    post(
        paths,
        "auth-with-oauth2",
        Operation {
            parameters: output_parameters(),
            body: Some(json_body(
                json!({
                    "type": "object",
                    "required": ["provider", "code", "codeVerifier", "redirectURL"],
                    "properties": {
                        "provider": {"type": "string"},
                        "code": {"type": "string"},
                        "codeVerifier": {"type": "string"},
                        "redirectURL": {"type": "string"},
                        "createData": {"type": "object", "description": "Fields of a new record, when the sign-in creates one."},
                    },
                }),
                true,
            )),
            responses: vec![("200", authenticated()), ("401", first_factor())],
            ..builder.operation(
                "authWithOAuth2",
                "Sign in (or up) with an OAuth2 provider's code",
            )
        },
    );
    insert(
        paths,
        &builder.path("impersonate/{id}"),
        "post",
        Operation {
            parameters: [
                vec![path_parameter("id", "The record to act as.")],
                output_parameters(),
            ]
            .concat(),
            body: Some(json_body(
                json!({
                    "type": "object",
                    "properties": {"duration": {"type": "integer", "minimum": 0, "description": "Token lifetime in seconds (0: the collection's default)."}},
                }),
                false,
            )),
            responses: vec![("200", authenticated())],
            superuser_only: true,
            ..builder.operation("impersonate", "A non-refreshable token of another record")
        },
    );
    for (rest, suffix, summary, required, optional) in [
        (
            "request-verification",
            "requestVerification",
            "Email a verification link",
            &["email"][..],
            &[][..],
        ),
        (
            "confirm-verification",
            "confirmVerification",
            "Mark the record verified",
            &["token"][..],
            &[][..],
        ),
        (
            "request-password-reset",
            "requestPasswordReset",
            "Email a password reset link",
            &["email"][..],
            &[][..],
        ),
        (
            "confirm-password-reset",
            "confirmPasswordReset",
            "Set a new password",
            &["token", "password", "passwordConfirm"][..],
            &[][..],
        ),
        (
            "request-email-change",
            "requestEmailChange",
            "Email a link confirming a new address (signed in)",
            &["newEmail"][..],
            &[][..],
        ),
        (
            "confirm-email-change",
            "confirmEmailChange",
            "Switch to the new address",
            &["token", "password"][..],
            &[][..],
        ),
    ] {
        post(
            paths,
            rest,
            Operation {
                body: Some(json_body(string_object(required, optional), true)),
                responses: vec![("204", no_content())],
                ..builder.operation(suffix, summary)
            },
        );
    }
}
