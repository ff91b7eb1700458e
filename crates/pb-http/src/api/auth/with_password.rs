//! `POST /api/collections/{collection}/auth-with-password`: `{identity, password,
//! identityField?, mfaId?}` → `{token, record}` (or `401 {mfaId}` when a second factor is due).
//! Every failure to match says the same "Failed to authenticate." so accounts cannot be probed.
//! Without `identityField` the email field is tried first, and only for identities that look
//! like an email. A bcrypt hash from a PocketBase data dir is replaced with argon2id after a
//! successful login.

use std::sync::{Arc, LazyLock};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::{PasswordHasher, SqlValue};
use pb_core::{FieldError, ValidationErrors};
use serde_json::{Map, Value};

use super::auth_collection;
use super::form::{client_info, is_email, INVALID_FORM};
use super::response::{complete, Completion, METHOD_PASSWORD};
use crate::auth::password::{is_legacy_hash, Hasher};
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn;

const FAILED: &str = "Failed to authenticate.";

/// The 400 of an unknown identity or a wrong password (one answer for both; the request log
/// gets PocketBase's cause).
fn bad_credentials() -> ApiError {
    ApiError::bad_request(FAILED).with_details("invalid login credentials")
}

fn text(input: &Map<String, Value>, key: &str) -> String {
    match input.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

/// The identity fields to search, email first (and skipped for identities that are not
/// emails).
fn lookup_order(identity_fields: &[String], identity: &str) -> Vec<String> {
    let mut fields: Vec<String> = identity_fields.to_vec();
    fields.sort_by_key(|field| field != "email");
    fields.retain(|field| field != "email" || is_email(identity));
    fields
}

/// The `mfaId` of the request: the query param, else the body key.
pub fn mfa_id(request: &HttpRequest, input: &Map<String, Value>) -> String {
    crate::query::pairs(request)
        .into_iter()
        .find(|(key, value)| key == "mfaId" && !value.is_empty())
        .map(|(_, value)| value)
        .unwrap_or_else(|| text(input, "mfaId"))
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let params = QueryParams::output_only(&request);
    let parts = RequestParts::from_request(&request);
    let client = client_info(&request);
    let collection_name = path.into_inner();
    let input = read_object(&request, payload).await.map_err(|error| {
        error.reword_malformed("An error occurred while loading the submitted data.")
    })?;
    let mfa_id = mfa_id(&request, &input);
    let state = Arc::clone(&state.into_inner());
    let reply = run_blocking(move || {
        let schema = state.schema();
        let collection = auth_collection(&schema, &collection_name)?;
        let options = collection.auth.clone().unwrap_or_default();
        if !options.password_auth.enabled {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "The collection is not configured to allow password authentication.",
            ));
        }
        let identity = text(&input, "identity");
        let password = text(&input, "password");
        let identity_field = text(&input, "identityField");
        let mut errors = ValidationErrors::new();
        if identity.is_empty() {
            errors.add("identity", FieldError::required());
        }
        if password.is_empty() {
            errors.add("password", FieldError::required());
        }
        if !identity_field.is_empty()
            && !options
                .password_auth
                .identity_fields
                .contains(&identity_field)
        {
            errors.add(
                "identityField",
                FieldError::new("validation_in_invalid", "Must be a valid value."),
            );
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(INVALID_FORM, &errors));
        }
        let fields: Vec<String> = if identity_field.is_empty() {
            lookup_order(&options.password_auth.identity_fields, &identity)
        } else {
            vec![identity_field]
        };
        let record = txn::read(state.store.as_ref(), FAILED, |tx| {
            for field in &fields {
                if collection.field(field).is_none() {
                    continue;
                }
                let found = tx.find_records_by_field(
                    &collection,
                    field,
                    &SqlValue::Text(identity.clone()),
                    1,
                )?;
                if let Some(record) = found.into_iter().next() {
                    return Ok(Some(record));
                }
            }
            Ok(None)
        })?;
        let Some(mut record) = record else {
            // Spend the time of a hash check anyway, so a missing account is not faster.
            Hasher.verify(&password, &DUMMY_HASH);
            return Err(bad_credentials());
        };
        let hash = record.get_str("password").to_string();
        if !Hasher.verify(&password, &hash) {
            return Err(bad_credentials());
        }
        if is_legacy_hash(&hash) {
            record.set("password", Value::String(Hasher.hash(&password)));
            let upgraded = record.clone();
            let upgrade_collection = Arc::clone(&collection);
            txn::write(state.store.as_ref(), FAILED, move |tx| {
                tx.update_record(&upgrade_collection, &upgraded)?;
                Ok(())
            })?;
        }
        let request_info = parts.info(None, input, "password");
        complete(Completion {
            state: &state,
            schema: &schema,
            collection: &collection,
            record,
            method: METHOD_PASSWORD,
            token: None,
            caller: None,
            request: &request_info,
            mfa_id: &mfa_id,
            client: &client,
            fields: &params.fields,
            expand: &params.expand,
            meta: None,
        })
    })
    .await?;
    Ok(reply.into_response())
}

/// A hash of a random password, verified against when no account matches.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| Hasher.hash(&pb_core::ids::new_secret()));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_tried_first_and_only_for_emails() {
        let fields = vec!["username".to_string(), "email".to_string()];
        assert_eq!(
            lookup_order(&fields, "ann@example.com"),
            ["email", "username"]
        );
        assert_eq!(lookup_order(&fields, "ann"), ["username"]);
    }
}
