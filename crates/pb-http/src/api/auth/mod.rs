//! Auth routes of auth collections: password login and token refresh. (OTP, MFA, OAuth2 and
//! the email flows come with the auth issue.)

pub mod refresh;
pub mod response;
pub mod with_password;

use std::sync::Arc;

use pb_core::Collection;

use crate::error::ApiError;
use crate::state::Schema;
use actix_web::http::StatusCode;

/// The auth collection a route addresses, or 404 "Missing or invalid auth collection context.".
pub fn auth_collection(schema: &Schema, name: &str) -> Result<Arc<Collection>, ApiError> {
    schema
        .find(name)
        .filter(|collection| collection.is_auth())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "Missing or invalid auth collection context.",
            )
        })
}
