//! PocketBase's JWTs: HS256, signed with the record's `tokenKey` followed by the collection's
//! secret for the token type, with claims `{id, collectionId, type, exp[, refreshable]}` and no
//! `iat`/`iss`/`sub`. Signed and checked with biscuit.

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
}

/// Signs `claims` expiring `duration_seconds` from now with `tokenKey + secret`.
pub fn sign(
    claims: TokenClaims,
    token_key: &str,
    secret: &str,
    duration_seconds: i64,
) -> Option<String> {
    let expiry = chrono::Utc::now().timestamp() + duration_seconds.max(1);
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
            id: "abc".into(),
            collection_id: "pbc_1".into(),
            token_type: "auth".into(),
            refreshable: Some(true),
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
}
