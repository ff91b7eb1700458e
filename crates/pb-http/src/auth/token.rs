//! PocketBase's JWTs: HS256, signed with the record's `tokenKey` followed by the collection's
//! secret for the token type, with claims `{id, collectionId, type, exp}` plus `refreshable` on
//! auth tokens, `email` on verification and password-reset tokens and `email` + `newEmail` on
//! email-change tokens; no `iat`/`iss`/`sub`. Signed and checked with biscuit.

use biscuit::jwa::SignatureAlgorithm;
use biscuit::jws::{RegisteredHeader, Secret};
use biscuit::{ClaimsSet, Empty, RegisteredClaims, Timestamp, JWT};
use serde::{Deserialize, Serialize};

/// The private claims PocketBase puts in its tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenClaims {
    pub id: String,
    #[serde(rename = "collectionId")]
    pub collection_id: String,
    #[serde(rename = "type")]
    pub token_type: String,
    /// Only on auth tokens: `false` for impersonation tokens.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub refreshable: Option<bool>,
    /// The record's email when the token was made (verification, password reset, email
    /// change tokens).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub email: Option<String>,
    /// The address an email-change token moves the record to.
    #[serde(rename = "newEmail", skip_serializing_if = "Option::is_none", default)]
    pub new_email: Option<String>,
}

impl TokenClaims {
    /// The claims of a token of `token_type` for record `id` of collection `collection_id`,
    /// without the type-specific extras.
    pub fn new(id: &str, collection_id: &str, token_type: &str) -> TokenClaims {
        TokenClaims {
            id: id.to_string(),
            collection_id: collection_id.to_string(),
            token_type: token_type.to_string(),
            refreshable: None,
            email: None,
            new_email: None,
        }
    }
}

/// The latest `exp` a token gets (the last second of year 9999), however long a duration is
/// asked for.
pub const MAX_EXPIRY: i64 = 253_402_300_799;

/// Signs `claims` expiring `duration_seconds` from now with `tokenKey + secret`.
pub fn sign(
    claims: TokenClaims,
    token_key: &str,
    secret: &str,
    duration_seconds: i64,
) -> Option<String> {
    let expiry = chrono::Utc::now()
        .timestamp()
        .saturating_add(duration_seconds.max(1))
        .min(MAX_EXPIRY);
    let claims_set = ClaimsSet {
        registered: RegisteredClaims {
            expiry: Some(Timestamp::from(expiry)),
            ..RegisteredClaims::default()
        },
        private: claims,
    };
    let header = RegisteredHeader {
        algorithm: SignatureAlgorithm::HS256,
        media_type: Some("JWT".to_string()),
        ..RegisteredHeader::default()
    };
    let jwt: JWT<TokenClaims, Empty> = JWT::new_decoded(header.into(), claims_set);
    let key = Secret::Bytes(format!("{token_key}{secret}").into_bytes());
    match jwt.into_encoded(&key) {
        Ok(encoded) => encoded.encoded().ok().map(|compact| compact.to_string()),
        Err(error) => {
            tracing::error!(%error, "signing a token failed");
            None
        }
    }
}

/// Reads the claims without checking the signature, to find the record whose key signs it.
pub fn peek(token: &str) -> Option<TokenClaims> {
    let jwt: JWT<TokenClaims, Empty> = JWT::new_encoded(token);
    jwt.unverified_payload().ok().map(|claims| claims.private)
}

/// One text claim of a token, without checking the signature: `None` when the token does not
/// decode or the claim is missing or not a string. The confirm endpoints report a missing
/// `email`/`newEmail` claim before they look at the signature, as PocketBase does.
pub fn peek_text_claim(token: &str, name: &str) -> Option<String> {
    let jwt: JWT<serde_json::Map<String, serde_json::Value>, Empty> = JWT::new_encoded(token);
    let claims = jwt.unverified_payload().ok()?;
    claims.private.get(name)?.as_str().map(str::to_string)
}

/// Checks signature (HS256 only) and expiry; returns the claims when both hold.
pub fn verify(token: &str, token_key: &str, secret: &str) -> Option<TokenClaims> {
    let jwt: JWT<TokenClaims, Empty> = JWT::new_encoded(token);
    let key = Secret::Bytes(format!("{token_key}{secret}").into_bytes());
    let decoded = jwt.into_decoded(&key, SignatureAlgorithm::HS256).ok()?;
    let payload = decoded.payload().ok()?;
    let expiry = payload.registered.expiry.as_ref()?;
    if expiry.timestamp() <= chrono::Utc::now().timestamp() {
        return None;
    }
    Some(payload.private.clone())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use base64_check::decode_part;

    mod base64_check {
        /// Decodes one base64url JWT part (test-only helper without a base64 dependency).
        pub(super) fn decode_part(part: &str) -> serde_json::Value {
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut bits = 0u32;
            let mut count = 0;
            let mut bytes = Vec::new();
            for byte in part.bytes() {
                let value = alphabet.iter().position(|c| *c == byte).unwrap() as u32;
                bits = (bits << 6) | value;
                count += 6;
                if count >= 8 {
                    count -= 8;
                    bytes.push((bits >> count) as u8);
                    bits &= (1 << count) - 1;
                }
            }
            serde_json::from_slice(&bytes).unwrap()
        }
    }

    fn claims() -> TokenClaims {
        TokenClaims {
            refreshable: Some(true),
            ..TokenClaims::new("abc", "pbc_1", "auth")
        }
    }

    #[test]
    fn signed_tokens_have_pocketbase_header_and_claims() {
        let token = sign(claims(), "key", "secret", 60).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode_part(parts[0]),
            serde_json::json!({"alg": "HS256", "typ": "JWT"})
        );
        let payload = decode_part(parts[1]);
        assert_eq!(payload["type"], "auth");
        assert_eq!(payload["collectionId"], "pbc_1");
        assert_eq!(payload["refreshable"], true);
        assert!(payload["exp"].as_i64().unwrap() > chrono::Utc::now().timestamp());
        assert_eq!(payload.as_object().unwrap().len(), 5);
    }

    #[test]
    fn verification_needs_the_same_key_and_a_future_expiry() {
        let token = sign(claims(), "key", "secret", 60).unwrap();
        assert_eq!(verify(&token, "key", "secret"), Some(claims()));
        assert_eq!(verify(&token, "other", "secret"), None);
        assert_eq!(peek(&token), Some(claims()));
        assert_eq!(verify("garbage", "key", "secret"), None);
    }

    #[test]
    fn absurd_durations_are_capped() {
        let token = sign(claims(), "key", "secret", i64::MAX).unwrap();
        let payload = decode_part(token.split('.').nth(1).unwrap());
        assert_eq!(payload["exp"], MAX_EXPIRY);
    }

    #[test]
    fn email_change_tokens_carry_both_addresses() {
        let claims = TokenClaims {
            email: Some("old@example.com".into()),
            new_email: Some("new@example.com".into()),
            ..TokenClaims::new("abc", "pbc_1", "emailChange")
        };
        let token = sign(claims.clone(), "key", "secret", 60).unwrap();
        let payload = decode_part(token.split('.').nth(1).unwrap());
        assert_eq!(payload["email"], "old@example.com");
        assert_eq!(payload["newEmail"], "new@example.com");
        assert!(payload.get("refreshable").is_none());
        assert_eq!(verify(&token, "key", "secret"), Some(claims));
        assert_eq!(
            peek_text_claim(&token, "newEmail").as_deref(),
            Some("new@example.com")
        );
        assert_eq!(peek_text_claim(&token, "missing"), None);
        assert_eq!(peek_text_claim("garbage", "email"), None);
    }
}
