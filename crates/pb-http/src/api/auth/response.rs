//! How every authentication ends, whichever method proved the identity: the collection's
//! `authRule`, then MFA, then the login alert, then the auth response `{meta?, record, token}`
//! (the record with its email shown and `expand` resolved as the record itself may see it,
//! `fields` applied to the whole response; `meta` only for OAuth2).
//!
//! Impersonation and refresh pass no method: they skip MFA and the alert but not the authRule.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use pb_core::record::Visibility;
use pb_core::{Collection, Record};
use pb_rules::RequestInfo;
use serde_json::{json, Value};

use crate::auth::emails::login_alert_message;
use crate::auth::mail::{send_in_background, MailSettings};
use crate::auth::mfa::{mfa_step, MfaStep};
use crate::auth::origins::{remember_origin, ClientInfo};
use crate::auth::record_tokens::{sign_record_token, TokenType};
use crate::auth::refs::{system_collection, AUTH_ORIGINS, MFAS};
use crate::auth::request_auth::AuthContext;
use crate::auth::rules::{auth_rule_allows, mfa_required, RuleContext};
use crate::auth::token::TokenClaims;
use crate::error::ApiError;
use crate::expand::{ExpandTree, Expander};
use crate::state::{AppState, Schema};
use crate::txn;

/// The method that proved the identity, as `_mfas.method` names it.
pub const METHOD_PASSWORD: &str = "password";
pub const METHOD_OTP: &str = "otp";
pub const METHOD_OAUTH2: &str = "oauth2";

/// Signs a refreshable auth token for `record`.
pub fn new_auth_token(collection: &Collection, record: &Record) -> Result<String, ApiError> {
    let claims = TokenClaims {
        refreshable: Some(true),
        ..TokenClaims::new(record.id(), &collection.id, TokenType::Auth.claim())
    };
    sign_record_token(collection, record, TokenType::Auth, claims, 0).ok_or_else(ApiError::internal)
}

/// `{"meta": …, "record": …, "token": …}` (in PocketBase's key order, `meta` only when given)
/// with `fields` applied to the whole response. A record shows its email here whatever
/// `emailVisibility` says; a superuser's record shows its hidden fields. `expansion` is the
/// record's `expand` object, when one was asked for.
pub fn auth_response(
    collection: &Collection,
    record: &Record,
    token: String,
    fields: &str,
    meta: Option<Value>,
    expansion: Option<Value>,
) -> Value {
    let visibility = Visibility {
        show_hidden: collection.name == pb_core::system::SUPERUSERS,
        show_email: true,
    };
    let mut record_object = record.to_api_json(collection, visibility);
    if let Some(expansion) = expansion {
        record_object.insert("expand".into(), expansion);
    }
    let mut body = serde_json::Map::new();
    if let Some(meta) = meta {
        body.insert("meta".into(), meta);
    }
    body.insert("record".into(), Value::Object(record_object));
    body.insert("token".into(), Value::String(token));
    crate::fields::pick(Value::Object(body), fields)
}

/// The `expand` object of `record` for `?expand=`, resolved with the record itself as the
/// viewer (as PocketBase does); `None` when nothing was asked for or nothing is a relation.
fn expansion(
    state: &AppState,
    schema: &Schema,
    collection: &Arc<Collection>,
    record: &Record,
    request: &RequestInfo,
    expand: &str,
) -> Result<Option<Value>, ApiError> {
    let tree = ExpandTree::parse(expand);
    if tree.is_empty() {
        return Ok(None);
    }
    let viewer = AuthContext {
        collection: Arc::clone(collection),
        record: record.clone(),
    };
    let expander = Expander {
        schema,
        viewer: Some(&viewer),
        request,
    };
    let rendered = txn::read(state.store.as_ref(), "", |tx| {
        expander.render(tx, collection, std::slice::from_ref(record), &tree)
    })?;
    Ok(rendered
        .into_iter()
        .next()
        .and_then(|value| value.get("expand").cloned()))
}

/// A finished authentication.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthReply {
    /// `200 {token, record}`.
    Authenticated(Value),
    /// `401 {"mfaId": …}`: a second, different method must follow.
    MfaRequired(String),
}

impl AuthReply {
    pub fn into_response(self) -> HttpResponse {
        match self {
            AuthReply::Authenticated(body) => HttpResponse::Ok().json(body),
            AuthReply::MfaRequired(mfa_id) => {
                HttpResponse::Unauthorized().json(json!({ "mfaId": mfa_id }))
            }
        }
    }
}

/// Everything the last steps of an authentication need.
pub struct Completion<'a> {
    pub state: &'a AppState,
    pub schema: &'a Schema,
    pub collection: &'a Arc<Collection>,
    pub record: Record,
    /// [`METHOD_PASSWORD`], [`METHOD_OTP`], or `""` (impersonation, refresh).
    pub method: &'a str,
    /// A token to answer with instead of a new one (impersonation, non-refreshable refresh).
    pub token: Option<String>,
    /// Who made the request (nobody for a login).
    pub caller: Option<&'a AuthContext>,
    pub request: &'a RequestInfo,
    /// The MFA session the client names (body or `?mfaId=`), or `""`.
    pub mfa_id: &'a str,
    pub client: &'a ClientInfo,
    pub fields: &'a str,
    /// The `?expand=` of the request.
    pub expand: &'a str,
    /// The `meta` object of the response (OAuth2 only).
    pub meta: Option<Value>,
}

/// The 403 of a record the authRule refuses.
fn auth_rule_refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "The request doesn't satisfy the collection requirements to authenticate.",
    )
}

/// Runs the authRule, MFA and alert steps and builds the reply.
pub fn complete(completion: Completion<'_>) -> Result<AuthReply, ApiError> {
    let Completion {
        state,
        schema,
        collection,
        record,
        method,
        token,
        caller,
        request,
        mfa_id,
        client,
        fields,
        expand,
        meta,
    } = completion;
    // A superuser outside the settings' superuserIPs gets no token (the password was right:
    // a wrong one already got the usual 400).
    if collection.name == pb_core::system::SUPERUSERS
        && !crate::superuser_ips::ip_allowed(&state.ops.settings.get().superuser_ips, &client.ip)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            crate::superuser_ips::NOT_ALLOWED,
        ));
    }
    let options = collection.auth.clone().unwrap_or_default();
    let store = state.store.as_ref();
    let rule_context = RuleContext {
        schema,
        caller,
        request,
    };
    let check_mfa = options.mfa.enabled && !method.is_empty();
    let mfa_wanted = txn::read(store, "", |tx| {
        if !auth_rule_allows(tx, collection, &record, &rule_context)? {
            return Err(auth_rule_refused().into());
        }
        if check_mfa {
            mfa_required(tx, collection, &record, &rule_context)
        } else {
            Ok(false)
        }
    })?;
    if mfa_wanted {
        let mfas = system_collection(schema, MFAS)?;
        let outcome = txn::write(store, "", |tx| {
            mfa_step(tx, &mfas, collection, &record, method, mfa_id)
        })?;
        if let MfaStep::Challenge(session_id) = outcome? {
            return Ok(AuthReply::MfaRequired(session_id));
        }
    }
    let token = match token {
        Some(token) => token,
        None => new_auth_token(collection, &record)?,
    };
    if !method.is_empty() && options.auth_alert.enabled {
        if let Err(error) = alert_on_new_origin(state, schema, collection, &record, client) {
            tracing::warn!(error = %error.message, "recording the login origin failed");
        }
    }
    let expansion = expansion(state, schema, collection, &record, request, expand)?;
    Ok(AuthReply::Authenticated(auth_response(
        collection, &record, token, fields, meta, expansion,
    )))
}

/// Remembers where `record` logged in from and, for a new origin, mails it an alert in the
/// background.
fn alert_on_new_origin(
    state: &AppState,
    schema: &Schema,
    collection: &Collection,
    record: &Record,
    client: &ClientInfo,
) -> Result<(), ApiError> {
    let origins = system_collection(schema, AUTH_ORIGINS)?;
    let (alert, settings) = txn::write(state.store.as_ref(), "", |tx| {
        let alert = remember_origin(tx, &origins, collection, record, client)?;
        Ok((alert, MailSettings::read(tx)?))
    })?;
    if !alert {
        return Ok(());
    }
    let info = client.alert_info(&pb_core::datetime::now());
    let message = login_alert_message(&settings, collection, record, &info);
    send_in_background(settings.mailer(), message, |_| {});
    Ok(())
}
