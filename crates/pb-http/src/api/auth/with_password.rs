//! `POST /api/collections/{collection}/auth-with-password`: `{identity, password,
//! identityField?}` → `{token, record}`. Every failure to match says the same
//! "Failed to authenticate." so accounts cannot be probed. A bcrypt hash from a PocketBase data
//! dir is replaced with argon2id after a successful login.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::{PasswordHasher, SqlValue};
use pb_core::{FieldError, ValidationErrors};
use serde_json::{Map, Value};

use super::auth_collection;
use super::response::{auth_response, new_auth_token};
use crate::auth::password::{is_legacy_hash, Hasher};
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::state::AppState;
use crate::txn;

const FAILED: &str = "Failed to authenticate.";
const INVALID_FORM: &str = "An error occurred while validating the submitted data.";

fn text(input: &Map<String, Value>, key: &str) -> String {
    match input.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let params = QueryParams::output_only(&request);
    let collection_name = path.into_inner();
    let input = read_object(&request, payload).await.map_err(|error| {
        error.reword_malformed("An error occurred while loading the submitted data.")
    })?;
    let state = Arc::clone(&state.into_inner());
    let body = run_blocking(move || {
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
            options.password_auth.identity_fields.clone()
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
            return Err(ApiError::bad_request(FAILED));
        };
        let hash = record.get_str("password").to_string();
        if !Hasher.verify(&password, &hash) {
            return Err(ApiError::bad_request(FAILED));
        }
        if options
            .auth_rule
            .as_deref()
            .is_some_and(|rule| !rule.trim().is_empty())
        {
            // authRule expressions are evaluated with the rule language; until then a
            // non-empty authRule refuses the login rather than ignoring the condition.
            return Err(ApiError::bad_request(FAILED));
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
        let token = new_auth_token(&collection, &record)?;
        Ok(auth_response(
            &collection,
            &record,
            token,
            None,
            &params.fields,
        ))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}
