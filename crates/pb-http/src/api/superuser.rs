//! The guard of superuser-only endpoints: 401 without a valid token, 403 for other records.

use pb_core::ports::StoreTx;

use crate::auth::request_auth::{authenticate, AuthContext};
use crate::error::ApiError;
use crate::state::Schema;
use crate::txn::Failure;

/// The superuser making the request, or the error to answer.
pub fn require_superuser(
    tx: &mut dyn StoreTx,
    schema: &Schema,
    token: Option<&str>,
) -> Result<AuthContext, Failure> {
    let token = token.ok_or_else(ApiError::unauthorized)?;
    let auth = authenticate(tx, schema, token)?.ok_or_else(ApiError::unauthorized)?;
    if !auth.is_superuser() {
        return Err(ApiError::forbidden_record().into());
    }
    Ok(auth)
}
