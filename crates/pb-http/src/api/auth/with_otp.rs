//! `POST /api/collections/{collection}/auth-with-otp`: `{otpId, password, mfaId?}` →
//! `{token, record}` (or `401 {mfaId}` when a second factor is due). Every bad id, expired OTP
//! or wrong password answers the same 400 "Invalid or expired OTP."; after 5 attempts on one
//! record from one client within 3 minutes the answer is 429 until the window passes. A used
//! OTP is deleted. An OTP that was mailed to the record's current address also verifies it.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use pb_core::ValidationErrors;
use serde_json::{json, Map, Value};

use super::form::{client_info, length, required, text, INVALID_FORM, LOAD_FAILED};
use super::request_otp::otp_disabled;
use super::response::{complete, Completion, METHOD_OTP};
use super::with_password::mfa_id;
use super::{auth_collection, save_changes};
use crate::auth::otp::password_matches;
use crate::auth::refs::{has_expired, system_collection, OTPS};
use crate::auth::throttle::{otp_attempts, OTP_MAX_ATTEMPTS};
use crate::blocking::run_blocking;
use crate::body::read_object;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;
use crate::request_info::RequestParts;
use crate::state::AppState;
use crate::txn;

fn invalid_otp() -> ApiError {
    ApiError::bad_request("Invalid or expired OTP.")
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
    let body = read_object(&request, payload).await;
    let query_mfa_id = mfa_id(&request, &Map::new());
    let state = Arc::clone(&state.into_inner());
    let reply = run_blocking(move || {
        let schema = state.schema();
        let collection = auth_collection(&schema, &collection_name)?;
        let options = collection.auth.clone().unwrap_or_default();
        if !options.otp.enabled {
            return Err(otp_disabled());
        }
        let input = body.map_err(|error| error.reword_malformed(LOAD_FAILED))?;
        let otp_id = text(&input, "otpId")?;
        let password = text(&input, "password")?;
        let mfa_id = if query_mfa_id.is_empty() {
            text(&input, "mfaId")?
        } else {
            query_mfa_id
        };
        let mut errors = ValidationErrors::new();
        if let Some(error) = required(&otp_id).or_else(|| length(&otp_id, 1, 255)) {
            errors.add("otpId", error);
        }
        if let Some(error) = required(&password).or_else(|| length(&password, 1, 71)) {
            errors.add("password", error);
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(INVALID_FORM, &errors));
        }
        let otps = system_collection(&schema, OTPS)?;
        let (otp, record) = txn::read(state.store.as_ref(), "", |tx| {
            let Some(otp) = tx.find_record(&otps, &otp_id)? else {
                return Err(invalid_otp().into());
            };
            if otp.get_str("collectionRef") != collection.id
                || has_expired(&otp, options.otp.duration)
            {
                return Err(invalid_otp().into());
            }
            let record = tx
                .find_record(&collection, otp.get_str("recordRef"))?
                .ok_or_else(invalid_otp)?;
            Ok((otp, record))
        })?;
        let attempt_key = format!("{}:{}:{}", collection.id, record.id(), client.ip);
        if !otp_attempts().consume(&attempt_key, OTP_MAX_ATTEMPTS) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts, please try again later with a new OTP.",
            ));
        }
        if !password_matches(&otp, &password) {
            return Err(invalid_otp());
        }
        txn::write(state.store.as_ref(), "", |tx| {
            Ok(tx.delete_record(&otps, otp.id())?)
        })?;
        let mut record = record;
        let sent_to = otp.get_str("sentTo");
        let verified = record.get("verified") == Some(&Value::Bool(true));
        if !verified && !sent_to.is_empty() && sent_to == record.get_str("email") {
            let mut changes = Map::new();
            changes.insert("verified".into(), json!(true));
            if !options.mfa.enabled {
                // The mailbox is proven, the password is not: make it unusable.
                let random = pb_core::ids::new_secret();
                changes.insert("password".into(), json!(random));
                changes.insert("passwordConfirm".into(), json!(random));
            }
            let saved = txn::write(state.store.as_ref(), "", |tx| {
                save_changes(tx, &collection, record.id(), &changes)
            });
            match saved {
                Ok(updated) => record = updated,
                Err(error) => {
                    tracing::error!(error = %error.message, "marking the record verified after an OTP failed")
                }
            }
        }
        let request_info = parts.info(None, input, "otp");
        complete(Completion {
            state: &state,
            schema: &schema,
            collection: &collection,
            record,
            method: METHOD_OTP,
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
