//! `POST /api/collections/{collection}/request-password-reset`: `{email}` → 204 whether or not
//! the address belongs to a record. A record gets a reset email in the background; once one
//! went out, further requests within two minutes send nothing.

use std::sync::Arc;

use actix_web::{web, HttpRequest, HttpResponse};

use super::form::email_form;
use super::{auth_collection, find_by_email};
use crate::auth::emails::password_reset_message;
use crate::auth::mail::{send_in_background, MailSettings};
use crate::auth::throttle::{resend_key, resend_marks};
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
        let collection = auth_collection(&state.schema(), &collection_name)?;
        let password_auth = collection
            .auth
            .as_ref()
            .is_some_and(|options| options.password_auth.enabled);
        if !password_auth {
            return Err(ApiError::bad_request(
                "The collection is not configured to allow password authentication.",
            ));
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
        let key = resend_key("passwordReset", &collection.id, record.id());
        if resend_marks().is_marked(&key) {
            return Ok(());
        }
        let message = password_reset_message(&settings, &collection, &record)
            .ok_or_else(ApiError::internal)?;
        send_in_background(settings.mailer(), message, move |outcome| {
            if outcome.is_ok() {
                resend_marks().mark(&key);
            }
        });
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
