//! Who a request acts as. The `Authorization` header (with or without `Bearer `) carries an auth
//! token; an invalid, expired or revoked token is not an error, the request just runs as a guest.

use std::sync::Arc;

use actix_web::HttpRequest;
use pb_core::ports::StoreTx;
use pb_core::{Collection, CoreError, Record};

use crate::auth::token;
use crate::state::Schema;

/// The authenticated record of a request.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub collection: Arc<Collection>,
    pub record: Record,
}

impl AuthContext {
    pub fn is_superuser(&self) -> bool {
        self.collection.name == pb_core::system::SUPERUSERS
    }
}

/// The raw token of a request, without a `Bearer ` prefix (matched ignoring case).
pub fn bearer_token(request: &HttpRequest) -> Option<String> {
    let header = request.headers().get("authorization")?.to_str().ok()?;
    token_of_header(header).map(str::to_string)
}

/// The token an `Authorization` header value carries: the value without its `Bearer ` prefix,
/// `None` when nothing is left.
pub fn token_of_header(header: &str) -> Option<&str> {
    let header = header.trim();
    let token = match header.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => header[7..].trim(),
        _ => header,
    };
    (!token.is_empty()).then_some(token)
}

/// A header value without its `Bearer ` prefix (matched ignoring case), `""` when nothing is
/// left.
pub fn strip_bearer(header: &str) -> String {
    token_of_header(header).unwrap_or_default().to_string()
}

/// Resolves an auth token to its record, or `None` when the token does not hold.
pub fn authenticate(
    tx: &mut dyn StoreTx,
    schema: &Schema,
    raw_token: &str,
) -> Result<Option<AuthContext>, CoreError> {
    let Some(claims) = token::peek(raw_token) else {
        return Ok(None);
    };
    if claims.token_type != "auth" {
        return Ok(None);
    }
    let Some(collection) = schema.find(&claims.collection_id) else {
        return Ok(None);
    };
    if collection.id != claims.collection_id {
        return Ok(None);
    }
    let Some(auth_options) = collection.auth.as_ref() else {
        return Ok(None);
    };
    let Some(record) = tx.find_record(&collection, &claims.id)? else {
        return Ok(None);
    };
    let secret = &auth_options.auth_token.secret;
    if token::verify(raw_token, record.get_str("tokenKey"), secret).is_none() {
        return Ok(None);
    }
    Ok(Some(AuthContext { collection, record }))
}
