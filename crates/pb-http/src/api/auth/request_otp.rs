//! `POST /api/collections/{collection}/request-otp`: `{email}` → `{"otpId": …}`. For a known
//! address a one-time password is stored (hashed) and mailed in the background; an unknown
//! address gets a made-up id that no OTP will ever match, so the answer reveals nothing. A
//! record with many live OTPs gets the newest id again and no new mail.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::form::email_form;
use super::{auth_collection, find_by_email};
use crate::auth::emails::otp_message;
use crate::auth::mail::{send_in_background, MailSettings};
use crate::auth::otp::{generate_password, hash_password, insert_otp, reusable_otp};
use crate::auth::refs::{system_collection, OTPS};
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::txn;

/// The 403 of the OTP routes on a collection without OTP auth.
pub fn otp_disabled() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "The collection is not configured to allow OTP authentication.",
    )
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
    let otp_id = run_blocking(move || {
        let schema = state.schema();
        let collection = auth_collection(&schema, &collection_name)?;
        let options = collection.auth.clone().unwrap_or_default();
        if !options.otp.enabled {
            return Err(otp_disabled());
        }
        let email = email_form(body)?;
        let otps = system_collection(&schema, OTPS)?;
        let password = generate_password(options.otp.length);
        let password_hash = hash_password(&password);
        let issued = txn::write(state.store.as_ref(), "", |tx| {
            let Some(record) = find_by_email(tx, &collection, &email)? else {
                return Ok(None);
            };
            if let Some(live) = reusable_otp(tx, &otps, &collection, &record, options.otp.duration)?
            {
                tracing::warn!(record = %record.id(), "too many OTP requests; reusing the newest");
                return Ok(Some((live.id().to_string(), None)));
            }
            let now = pb_core::datetime::now();
            let address = record.get_str("email").to_string();
            let row = insert_otp(
                tx,
                &otps,
                &collection,
                &record,
                &password_hash,
                &address,
                &now,
            )?;
            let settings = MailSettings::read(tx)?;
            Ok(Some((row.id().to_string(), Some((record, settings)))))
        })?;
        let Some((otp_id, fresh)) = issued else {
            return Ok(pb_core::ids::new_record_id());
        };
        if let Some((record, settings)) = fresh {
            let message = otp_message(&settings, &collection, &record, &otp_id, &password);
            let sent_id = otp_id.clone();
            let store = Arc::clone(&state.store);
            send_in_background(settings.mailer(), message, move |outcome| {
                if outcome.is_ok() {
                    return;
                }
                // An OTP nobody received is useless: drop it.
                let deleted = txn::write(store.as_ref(), "", |tx| {
                    Ok(tx.delete_record(&otps, &sent_id)?)
                });
                if let Err(error) = deleted {
                    tracing::error!(error = %error.message, "deleting an undelivered OTP failed");
                }
            });
        }
        Ok(otp_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "otpId": otp_id })))
}
