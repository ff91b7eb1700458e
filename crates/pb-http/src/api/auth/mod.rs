//! Auth routes of auth collections: the methods a collection offers, password and OTP login
//! (with MFA), refresh, impersonation, and the email flows (verification, password reset,
//! email change), OAuth2 sign-in (with the realtime popup redirect in
//! [`crate::api::oauth2_redirect`]).

pub mod confirm_email_change;
pub mod confirm_password_reset;
pub mod confirm_verification;
pub mod form;
pub mod impersonate;
pub mod methods;
pub mod refresh;
pub mod request_email_change;
pub mod request_otp;
pub mod request_password_reset;
pub mod request_verification;
pub mod response;
pub mod with_oauth2;
pub mod with_otp;
pub mod with_password;

use std::sync::Arc;

use pb_core::ports::{SqlValue, StoreTx};
use pb_core::{Collection, Record, StoreError};

use crate::error::ApiError;
use crate::state::Schema;
use actix_web::http::StatusCode;

/// The collection a route names, or 404 "Missing or invalid collection context.".
pub fn route_collection(schema: &Schema, name: &str) -> Result<Arc<Collection>, ApiError> {
    schema
        .find(name)
        .ok_or_else(ApiError::missing_or_invalid_collection)
}

/// `collection` if it is an auth collection, or 404 "Missing or invalid auth collection
/// context.".
pub fn require_auth_type(collection: Arc<Collection>) -> Result<Arc<Collection>, ApiError> {
    if collection.is_auth() {
        Ok(collection)
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Missing or invalid auth collection context.",
        ))
    }
}

/// The auth collection a route addresses: 404 "Missing or invalid collection context." when
/// there is no such collection, 404 "Missing or invalid auth collection context." when it is
/// not an auth collection.
pub fn auth_collection(schema: &Schema, name: &str) -> Result<Arc<Collection>, ApiError> {
    require_auth_type(route_collection(schema, name)?)
}

/// The record of `collection` with exactly this email, if any.
pub fn find_by_email(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    email: &str,
) -> Result<Option<Record>, StoreError> {
    if email.is_empty() {
        return Ok(None);
    }
    let found =
        tx.find_records_by_field(collection, "email", &SqlValue::Text(email.to_string()), 1)?;
    Ok(found.into_iter().next())
}

/// Applies `changes` (record keys, as a superuser may write them) to the stored `record_id`
/// and saves it, with the record checks of any write (field rules, autodates, the `tokenKey`
/// rotation when the password or email changes, unique indexes). Field errors are reported
/// under the caller's transaction message.
pub fn save_changes(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    record_id: &str,
    changes: &serde_json::Map<String, serde_json::Value>,
) -> Result<Record, crate::txn::Failure> {
    save_changes_with(
        tx,
        collection,
        record_id,
        changes,
        &crate::auth::password::Hasher,
    )
}

/// [`save_changes`] with a given `hasher` for a new `password`: a
/// [`crate::auth::password::Prehashed`] keeps argon2 out of the write transaction.
pub fn save_changes_with(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    record_id: &str,
    changes: &serde_json::Map<String, serde_json::Value>,
    hasher: &dyn pb_core::ports::PasswordHasher,
) -> Result<Record, crate::txn::Failure> {
    let current = tx
        .find_record(collection, record_id)?
        .ok_or_else(ApiError::not_found)?;
    let actor = pb_core::validate::record::Actor {
        is_superuser: true,
        is_manager: true,
        hasher,
    };
    let now = pb_core::datetime::now();
    let prepared =
        pb_core::validate::record::prepare_update(collection, &current, changes, &actor, &now)
            .map_err(pb_core::CoreError::Validation)?;
    tx.update_record(collection, &prepared.record)
        .map_err(|error| {
            crate::api::records::write_checks::unique_to_validation(collection, error)
        })?;
    Ok(prepared.record)
}
