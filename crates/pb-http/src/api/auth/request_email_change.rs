//! `POST /api/collections/{collection}/request-email-change`: `{newEmail}` from an
//! authenticated record → 204 once the confirmation mail to the new address is sent. The mail
//! goes out before answering (the client learns whether it could be delivered: 400 "Failed to
//! request email change." if not), on the blocking pool like all the handler's work.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::{FieldError, ValidationErrors};

use super::confirm_email_change::superusers_change_directly;
use super::form::{check_email, text, INVALID_FORM, LOAD_FAILED};
use super::{find_by_email, require_auth_type, route_collection};
use crate::auth::emails::email_change_message;
use crate::auth::mail::MailSettings;
use crate::auth::request_auth::{authenticate, bearer_token};
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
    let token = bearer_token(&request);
    let collection_name = path.into_inner();
    let body = read_object(&request, payload).await;
    let state = Arc::clone(&state.into_inner());
    run_blocking(move || {
        let schema = state.schema();
        let collection = route_collection(&schema, &collection_name)?;
        let auth = match token {
            Some(token) => txn::read(state.store.as_ref(), "", |tx| {
                Ok(authenticate(tx, &schema, &token)?)
            })?,
            None => None,
        }
        .ok_or_else(ApiError::unauthorized)?;
        let collection = require_auth_type(collection)?;
        if collection.name == pb_core::system::SUPERUSERS {
            return Err(superusers_change_directly());
        }
        let input = body.map_err(|error| error.reword_malformed(LOAD_FAILED))?;
        let new_email = text(&input, "newEmail")?;
        // The record changes its own email, within its own collection.
        let (owner, record) = (&auth.collection, &auth.record);
        let (taken, settings) = txn::read(state.store.as_ref(), "", |tx| {
            let taken = find_by_email(tx, owner, &new_email)?
                .is_some_and(|found| found.id() != record.id());
            Ok((taken, MailSettings::read(tx)?))
        })?;
        let error = check_email(&new_email)
            .or_else(|| {
                (new_email == record.get_str("email"))
                    .then(|| FieldError::new("validation_not_in_invalid", "Must not be in list."))
            })
            .or_else(|| {
                taken.then(|| {
                    FieldError::new("validation_invalid_new_email", "Invalid new email address.")
                })
            });
        if let Some(error) = error {
            return Err(ApiError::validation(
                INVALID_FORM,
                &ValidationErrors::single("newEmail", error),
            ));
        }
        let message = email_change_message(&settings, owner, record, &new_email)
            .ok_or_else(ApiError::internal)?;
        settings.mailer().send(&message).map_err(|error| {
            tracing::error!(%error, "sending the email change confirmation failed");
            ApiError::bad_request("Failed to request email change.")
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
