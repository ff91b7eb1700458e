//! The five token types of an auth record and how each is signed and looked up. Every type has
//! its own secret in the collection options, and every signature also covers the record's
//! `tokenKey`, so rotating the key (password reset, email change) revokes all of a record's
//! tokens at once, and rotating one secret revokes one type for the whole collection.

use std::sync::Arc;

use pb_core::collection::TokenConfig;
use pb_core::ports::StoreTx;
use pb_core::{AuthOptions, Collection, CoreError, Record};

use super::token::{peek, sign, verify, TokenClaims};
use crate::state::Schema;

/// A token type, named as in the `type` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenType {
    Auth,
    Verification,
    PasswordReset,
    EmailChange,
    File,
}

impl TokenType {
    /// The `type` claim.
    pub fn claim(self) -> &'static str {
        match self {
            TokenType::Auth => "auth",
            TokenType::Verification => "verification",
            TokenType::PasswordReset => "passwordReset",
            TokenType::EmailChange => "emailChange",
            TokenType::File => "file",
        }
    }

    /// The collection option holding this type's secret and duration.
    pub fn config(self, options: &AuthOptions) -> &TokenConfig {
        match self {
            TokenType::Auth => &options.auth_token,
            TokenType::Verification => &options.verification_token,
            TokenType::PasswordReset => &options.password_reset_token,
            TokenType::EmailChange => &options.email_change_token,
            TokenType::File => &options.file_token,
        }
    }
}

/// Signs a token of `token_type` for `record` with the collection's duration for that type
/// (or `duration_seconds` when it is positive). `claims` supplies the type-specific extras;
/// `id`, `collectionId` and `type` are always set from the record. `None` when `collection` is
/// not an auth collection or signing fails.
pub fn sign_record_token(
    collection: &Collection,
    record: &Record,
    token_type: TokenType,
    claims: TokenClaims,
    duration_seconds: i64,
) -> Option<String> {
    let options = collection.auth.as_ref()?;
    let config = token_type.config(options);
    let claims = TokenClaims {
        id: record.id().to_string(),
        collection_id: collection.id.clone(),
        token_type: token_type.claim().to_string(),
        ..claims
    };
    let duration = if duration_seconds > 0 {
        duration_seconds
    } else {
        config.duration
    };
    sign(claims, record.get_str("tokenKey"), &config.secret, duration)
}

/// The record a token of `token_type` was signed for, with its claims: `None` when the token
/// does not decode, has another type, names no record of an auth collection, is expired, or
/// its signature does not match the record's current `tokenKey` and the type's secret.
///
/// The record's collection is the one the claims name; the caller compares it with the
/// collection of the route.
pub fn find_record_by_token(
    tx: &mut dyn StoreTx,
    schema: &Schema,
    raw_token: &str,
    token_type: TokenType,
) -> Result<Option<(Arc<Collection>, Record, TokenClaims)>, CoreError> {
    let Some(claims) = peek(raw_token) else {
        return Ok(None);
    };
    if claims.token_type != token_type.claim() || claims.id.is_empty() {
        return Ok(None);
    }
    let Some(collection) = schema.find(&claims.collection_id) else {
        return Ok(None);
    };
    let Some(options) = collection.auth.as_ref() else {
        return Ok(None);
    };
    let Some(record) = tx.find_record(&collection, &claims.id)? else {
        return Ok(None);
    };
    let secret = &token_type.config(options).secret;
    match verify(raw_token, record.get_str("tokenKey"), secret) {
        Some(verified) => Ok(Some((collection, record, verified))),
        None => Ok(None),
    }
}
