//! The guard of superuser-only endpoints: 401 without a valid token, 403 for other records.

use std::sync::Arc;

use pb_core::ports::StoreTx;

use crate::auth::request_auth::{authenticate, AuthContext};
use crate::blocking::run_blocking;
use crate::error::ApiError;
use crate::state::AppState;
use crate::state::Schema;
use crate::txn::{self, Failure};

/// Answers 401/403 unless the request carries a superuser's token; for handlers that check
/// before reading their body.
pub async fn ensure_superuser(
    state: &Arc<AppState>,
    token: Option<String>,
) -> Result<(), ApiError> {
    let state = Arc::clone(state);
    run_blocking(move || {
        txn::read(state.store.as_ref(), "", |tx| {
            require_superuser(tx, &state.schema(), token.as_deref())?;
            Ok(())
        })
    })
    .await
}

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
