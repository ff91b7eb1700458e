//! `POST /api/collections/{collection}/confirm-email-change`: `{token, password}` → 204. The
//! token (mailed to the new address) proves the address; the current password proves the
//! owner. The record takes the new email, becomes verified, and its `tokenKey` rotates.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ports::{PasswordHasher, StoreTx};
use pb_core::{Collection, FieldError, Record, ValidationErrors};
use serde_json::{json, Map};

use super::form::{
    invalid_token, length, required, text, token_collection_mismatch, INVALID_FORM, LOAD_FAILED,
};
use super::{auth_collection, find_by_email, save_changes};
use crate::auth::password::Hasher;
use crate::auth::record_tokens::{find_record_by_token, TokenType};
use crate::auth::token::peek_text_claim;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Schema};
use crate::txn::{self, Failure};

/// The 400 of the email flows on `_superusers`.
pub fn superusers_change_directly() -> ApiError {
    ApiError::bad_request("All superusers can change their emails directly.")
}

/// The record and new email a token stands for, or the `token` field error.
fn parse_token(
    tx: &mut dyn StoreTx,
    schema: &Schema,
    collection: &Collection,
    token: &str,
) -> Result<Result<(Record, String), FieldError>, Failure> {
    let new_email = peek_text_claim(token, "newEmail").unwrap_or_default();
    if new_email.is_empty() {
        return Ok(Err(FieldError::new(
            "validation_invalid_token_payload",
            "Invalid token payload - newEmail must be set.",
        )));
    }
    let Some((owner, record, _)) = find_record_by_token(tx, schema, token, TokenType::EmailChange)?
    else {
        return Ok(Err(invalid_token()));
    };
    if owner.id != collection.id {
        return Ok(Err(token_collection_mismatch()));
    }
    if find_by_email(tx, collection, &new_email)?.is_some() {
        return Ok(Err(FieldError::new(
            "validation_invalid_token_email",
            "The new email address is invalid.",
        )));
    }
    Ok(Ok((record, new_email)))
}

pub async fn handle(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let collection_name = path.into_inner();
    let body = read_object(&request, payload).await;
    let state = Arc::clone(&state.into_inner());
    run_blocking(move || {
        let schema = state.schema();
        let collection = auth_collection(&schema, &collection_name)?;
        if collection.name == pb_core::system::SUPERUSERS {
            return Err(superusers_change_directly());
        }
        let input = body.map_err(|error| error.reword_malformed(LOAD_FAILED))?;
        let token = text(&input, "token")?;
        let password = text(&input, "password")?;
        let password_error = required(&password).or_else(|| length(&password, 1, 100));
        // The password is checked (argon2 work) against the record as a read finds it, before
        // the write begins; the write then accepts it only while that hash is still stored.
        let checked_hash = if password_error.is_none() && !token.is_empty() {
            txn::read(state.store.as_ref(), "", |tx| {
                let parsed = parse_token(tx, &schema, &collection, &token)?;
                Ok(parsed
                    .ok()
                    .map(|(record, _)| record.get_str("password").to_string()))
            })?
            .filter(|hash| Hasher.verify(&password, hash))
        } else {
            None
        };
        txn::write(
            state.store.as_ref(),
            "Failed to confirm email change.",
            |tx| {
                let mut errors = ValidationErrors::new();
                let parsed = if token.is_empty() {
                    Err(FieldError::required())
                } else {
                    parse_token(tx, &schema, &collection, &token)?
                };
                let record = match parsed {
                    Ok(found) => Some(found),
                    Err(error) => {
                        errors.add("token", error);
                        None
                    }
                };
                if let Some(error) = password_error.clone() {
                    errors.add("password", error);
                } else if !record.as_ref().is_some_and(|(record, _)| {
                    checked_hash.as_deref() == Some(record.get_str("password"))
                }) {
                    errors.add(
                        "password",
                        FieldError::new(
                            "validation_invalid_password",
                            "Missing or invalid auth record password.",
                        ),
                    );
                }
                let Some((record, new_email)) = record.filter(|_| errors.is_empty()) else {
                    return Err(ApiError::validation(INVALID_FORM, &errors).into());
                };
                let mut changes = Map::new();
                changes.insert("email".into(), json!(new_email));
                changes.insert("verified".into(), json!(true));
                save_changes(tx, &collection, record.id(), &changes)?;
                Ok(())
            },
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
