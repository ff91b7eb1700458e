//! The auth response `{token, record}`: a fresh auth token and the record with its email shown.

use pb_core::{Collection, Record};
use serde_json::{json, Value};

use crate::auth::request_auth::AuthContext;
use crate::auth::token::{sign, TokenClaims};
use crate::error::ApiError;
use crate::output::visibility_for;

/// Signs a refreshable auth token for `record`.
pub fn new_auth_token(collection: &Collection, record: &Record) -> Result<String, ApiError> {
    let options = collection.auth.as_ref().ok_or_else(ApiError::internal)?;
    let claims = TokenClaims {
        id: record.id().to_string(),
        collection_id: collection.id.clone(),
        token_type: "auth".to_string(),
        refreshable: Some(true),
    };
    sign(
        claims,
        record.get_str("tokenKey"),
        &options.auth_token.secret,
        options.auth_token.duration,
    )
    .ok_or_else(ApiError::internal)
}

/// `{"token": …, "record": …}` with `fields` applied to the record.
pub fn auth_response(
    collection: &Collection,
    record: &Record,
    token: String,
    viewer: Option<&AuthContext>,
    fields: &str,
) -> Value {
    let visibility = visibility_for(viewer, record, true);
    let record_value = Value::Object(record.to_api_json(collection, visibility));
    json!({"token": token, "record": crate::fields::pick(record_value, fields)})
}
