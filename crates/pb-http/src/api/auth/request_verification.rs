//! `POST /api/collections/{collection}/request-verification`: `{email}` → 204, always the same
//! for unknown, verified and recently mailed addresses, so the answer reveals nothing. An
//! unverified record gets a verification email, sent in the background; another request for
//! it within two minutes sends nothing.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use super::form::email_form;
use super::{auth_collection, find_by_email};
use crate::auth::emails::verification_message;
use crate::auth::mail::{send_in_background, MailSettings};
use crate::auth::throttle::{resend_key, resend_marks};
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn;

/// The 400 of the flows that make no sense for superusers.
pub fn superusers_are_verified() -> ApiError {
    ApiError::bad_request("All superusers are verified by default.")
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
        let collection = auth_collection(&state.schema(), &collection_name)?;
        if collection.name == pb_core::system::SUPERUSERS {
            return Err(superusers_are_verified());
        }
        let email = email_form(body)?;
        let (record, settings) = txn::read(state.store.as_ref(), "", |tx| {
            Ok((
                find_by_email(tx, &collection, &email)?,
                MailSettings::read(tx)?,
            ))
        })?;
        let Some(record) = record else {
            return Ok(());
        };
        if record.get("verified") == Some(&serde_json::Value::Bool(true)) {
            return Ok(());
        }
        let key = resend_key("verification", &collection.id, record.id());
        if resend_marks().is_marked(&key) {
            return Ok(());
        }
        let message =
            verification_message(&settings, &collection, &record).ok_or_else(ApiError::internal)?;
        resend_marks().mark(&key);
        send_in_background(settings.mailer(), message, |_| {});
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
