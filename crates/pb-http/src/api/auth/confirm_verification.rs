//! `POST /api/collections/{collection}/confirm-verification`: `{token}` → 204 and the record
//! marked verified. A token used twice still answers 204 (verifying does not rotate the
//! `tokenKey`). When the collection has no password auth the record also gets a random
//! password, so an account pre-registered by someone else cannot be taken over later.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::{FieldError, ValidationErrors};
use serde_json::{json, Map, Value};

use super::form::{
    invalid_token, required, text, token_collection_mismatch, INVALID_FORM, LOAD_FAILED,
};
use super::request_verification::superusers_are_verified;
use super::{auth_collection, save_changes};
use crate::auth::record_tokens::{find_record_by_token, TokenType};
use crate::auth::throttle::{resend_key, resend_marks};
use crate::auth::token::peek_text_claim;
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn;

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
            return Err(superusers_are_verified());
        }
        let input = body.map_err(|error| error.reword_malformed(LOAD_FAILED))?;
        let token = text(&input, "token")?;
        txn::write(
            state.store.as_ref(),
            "An error occurred while saving the verified state.",
            |tx| {
                let token_error = if let Some(error) = required(&token) {
                    Some(error)
                } else if peek_text_claim(&token, "email")
                    .unwrap_or_default()
                    .is_empty()
                {
                    Some(FieldError::new(
                        "validation_invalid_token_claims",
                        "Missing email token claim.",
                    ))
                } else {
                    match find_record_by_token(tx, &schema, &token, TokenType::Verification)? {
                        None => Some(invalid_token()),
                        Some((owner, _, _)) if owner.id != collection.id => {
                            Some(token_collection_mismatch())
                        }
                        Some((_, record, claims))
                            if claims.email.as_deref() != Some(record.get_str("email")) =>
                        {
                            Some(FieldError::new(
                                "validation_token_email_mismatch",
                                "The record email doesn't match with the requested token claims.",
                            ))
                        }
                        Some((_, record, _)) => {
                            if record.get("verified") != Some(&Value::Bool(true)) {
                                let mut changes = Map::new();
                                changes.insert("verified".into(), json!(true));
                                let password_auth = collection
                                    .auth
                                    .as_ref()
                                    .is_some_and(|options| options.password_auth.enabled);
                                if !password_auth {
                                    let random = pb_core::ids::new_secret();
                                    changes.insert("password".into(), json!(random));
                                    changes.insert("passwordConfirm".into(), json!(random));
                                }
                                save_changes(tx, &collection, record.id(), &changes)?;
                            }
                            resend_marks().clear(&resend_key(
                                "verification",
                                &collection.id,
                                record.id(),
                            ));
                            None
                        }
                    }
                };
                match token_error {
                    Some(error) => Err(ApiError::validation(
                        INVALID_FORM,
                        &ValidationErrors::single("token", error),
                    )
                    .into()),
                    None => Ok(()),
                }
            },
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
