//! `POST /api/collections/{collection}/confirm-password-reset`: `{token, password,
//! passwordConfirm}` → 204. The new password replaces the old one and the `tokenKey` rotates,
//! so every token issued before (auth tokens and this reset token included) stops working. An
//! unverified record whose email still matches the token becomes verified: the mail reached it.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::{Collection, FieldKind, ValidationErrors};
use serde_json::{json, Map, Value};

use super::form::{
    invalid_token, length, required, text, token_collection_mismatch, values_mismatch,
    INVALID_FORM, LOAD_FAILED,
};
use super::{auth_collection, save_changes_with};
use crate::auth::password::{hasher_of, Prehashed};
use crate::auth::record_tokens::{find_record_by_token, TokenType};
use crate::auth::throttle::{resend_key, resend_marks};
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn;

/// The form's minimum password length: the password field's `min`, at least 1.
fn password_min(collection: &Collection) -> usize {
    match collection.field("password").map(|field| &field.kind) {
        Some(FieldKind::Password(options)) if options.min > 0 => {
            usize::try_from(options.min).unwrap_or(1)
        }
        _ => 1,
    }
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
        let input = body.map_err(|error| error.reword_malformed(LOAD_FAILED))?;
        let token = text(&input, "token")?;
        let password = text(&input, "password")?;
        let password_confirm = text(&input, "passwordConfirm")?;
        // The password fields' errors need no database.
        let mut form_errors = ValidationErrors::new();
        if let Some(error) =
            required(&password).or_else(|| length(&password, password_min(&collection), 255))
        {
            form_errors.add("password", error);
        }
        if let Some(error) = required(&password_confirm) {
            form_errors.add("passwordConfirm", error);
        } else if password_confirm != password {
            form_errors.add("passwordConfirm", values_mismatch());
        }
        // The new password is hashed before the write begins, once a read has found the token
        // good: the write checks the token again, with the hash ready.
        let prehashed = if form_errors.is_empty() && !token.is_empty() {
            txn::read(state.store.as_ref(), "", |tx| {
                let found = find_record_by_token(tx, &schema, &token, TokenType::PasswordReset)?;
                Ok(found.is_some_and(|(owner, _, _)| owner.id == collection.id))
            })?
            .then(|| Prehashed::new(&password))
        } else {
            None
        };
        let hasher = hasher_of(&prehashed);
        txn::write(state.store.as_ref(), "Failed to set new password.", |tx| {
            let mut errors = form_errors.clone();
            let mut found = None;
            if let Some(error) = required(&token) {
                errors.add("token", error);
            } else {
                match find_record_by_token(tx, &schema, &token, TokenType::PasswordReset)? {
                    None => errors.add("token", invalid_token()),
                    Some((owner, _, _)) if owner.id != collection.id => {
                        errors.add("token", token_collection_mismatch())
                    }
                    Some((_, record, claims)) => found = Some((record, claims)),
                }
            }
            let Some((record, claims)) = found.filter(|_| errors.is_empty()) else {
                return Err(ApiError::validation(INVALID_FORM, &errors).into());
            };
            let mut changes = Map::new();
            changes.insert("password".into(), json!(password));
            changes.insert("passwordConfirm".into(), json!(password));
            let verified = record.get("verified") == Some(&Value::Bool(true));
            if !verified && claims.email.as_deref() == Some(record.get_str("email")) {
                changes.insert("verified".into(), json!(true));
            }
            save_changes_with(tx, &collection, record.id(), &changes, hasher)?;
            resend_marks().clear(&resend_key("passwordReset", &collection.id, record.id()));
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
