//! Multi-factor authentication: when a record needs it, the first successful method does not
//! log in but opens an MFA session (a `_mfas` row naming the method) and the client is told its
//! id; a second, different method that names the session within `mfa.duration` seconds
//! completes the login and closes the session.

use pb_core::ports::StoreTx;
use pb_core::{Collection, Record};
use serde_json::Value;

use super::refs::{belongs_to, has_expired, new_row};
use crate::error::ApiError;
use crate::txn::Failure;

/// How an authentication method stands with MFA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaStep {
    /// No second factor needed, or this was the second one: log in.
    Proceed,
    /// First factor done: answer `401 {"mfaId": …}`.
    Challenge(String),
}

/// The outcome of one MFA check: the step, or an error to answer after the transaction has
/// committed (an expired session is deleted even though the attempt fails).
pub type MfaOutcome = Result<MfaStep, ApiError>;

/// Runs the MFA step of `method` for `record`, whose collection requires MFA for it.
/// `mfa_id` is the session the client names (empty for a first factor).
pub fn mfa_step(
    tx: &mut dyn StoreTx,
    mfas: &Collection,
    auth_collection: &Collection,
    record: &Record,
    method: &str,
    mfa_id: &str,
) -> Result<MfaOutcome, Failure> {
    if mfa_id.is_empty() {
        let mut row = new_row(mfas, auth_collection, record, &pb_core::datetime::now());
        row.set("method", Value::String(method.to_string()));
        tx.insert_record(mfas, &row)?;
        return Ok(Ok(MfaStep::Challenge(row.id().to_string())));
    }
    let duration = auth_collection
        .auth
        .as_ref()
        .map_or(0, |options| options.mfa.duration);
    let session = tx.find_record(mfas, mfa_id)?;
    let Some(session) = session else {
        return Ok(Err(ApiError::bad_request(
            "Invalid or expired MFA session.",
        )));
    };
    if has_expired(&session, duration) {
        tx.delete_record(mfas, session.id())?;
        return Ok(Err(ApiError::bad_request(
            "Invalid or expired MFA session.",
        )));
    }
    if !belongs_to(&session, auth_collection, record) {
        return Ok(Err(ApiError::bad_request("Invalid MFA session.")));
    }
    if session.get_str("method") == method {
        return Ok(Err(ApiError::bad_request(
            "A different authentication method is required.",
        )));
    }
    tx.delete_record(mfas, session.id())?;
    Ok(Ok(MfaStep::Proceed))
}
