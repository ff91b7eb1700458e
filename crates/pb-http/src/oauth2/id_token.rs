//! OpenID Connect `id_token`s: their claims, the time/audience/issuer checks, and the
//! signature check against a JSON Web Key Set (RSA `RS256/384/512` and `EdDSA` keys, found by
//! `kid`), as PocketBase does them:
//!
//! * Apple: `exp` required, `iss` must be Apple's, `aud` must be the client id, and the
//!   signature is always checked against Apple's keys (the `extra.jwksURL` option replaces
//!   the keys URL, which is how tests sign their own tokens; PocketBase has the URL fixed).
//! * `oidc*` without a userinfo URL: `aud` must be the client id, `iss` must be one of
//!   `extra.issuers` when that is set, and the signature is checked when `extra.jwksURL` is
//!   set (the token came straight from the provider over TLS, so without keys it is trusted,
//!   as in PocketBase).
//! * Microsoft's optional email claims: times only, the token is trusted as it came over TLS.
//!
//! Times allow five minutes of clock skew.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use super::http;
use super::OAuth2Error;

/// Clock skew allowed on `exp`, `iat` and `nbf`, in seconds.
const LEEWAY: i64 = 300;

/// The checks to run on a token's claims.
#[derive(Debug, Default)]
pub struct ClaimChecks<'a> {
    pub require_exp: bool,
    /// The client id the `aud` claim must hold; `None` skips the check.
    pub audience: Option<&'a str>,
    /// Accepted issuers; empty accepts any.
    pub issuers: Vec<String>,
}

/// A token split into its parts.
pub struct IdToken {
    header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signed: String,
    signature: Vec<u8>,
}

fn invalid(reason: impl Into<String>) -> OAuth2Error {
    OAuth2Error::IdToken(reason.into())
}

fn decode_json(part: &str) -> Result<Map<String, Value>, OAuth2Error> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| invalid("malformed base64"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(invalid("malformed JSON")),
    }
}

impl IdToken {
    /// Splits and decodes `token` without checking anything.
    pub fn parse(token: &str) -> Result<IdToken, OAuth2Error> {
        if token.is_empty() {
            return Err(invalid("empty id_token"));
        }
        let parts: Vec<&str> = token.split('.').collect();
        let [header, claims, signature] = parts.as_slice() else {
            return Err(invalid("not a JWS in compact form"));
        };
        Ok(IdToken {
            header: decode_json(header)?,
            claims: decode_json(claims)?,
            signed: format!("{header}.{claims}"),
            signature: URL_SAFE_NO_PAD
                .decode(signature.trim_end_matches('='))
                .map_err(|_| invalid("malformed signature"))?,
        })
    }

    /// Runs the claim checks at `now` (Unix seconds).
    pub fn check_claims(&self, checks: &ClaimChecks<'_>, now: i64) -> Result<(), OAuth2Error> {
        let number = |key: &str| {
            self.claims
                .get(key)
                .and_then(Value::as_f64)
                .map(|n| n as i64)
        };
        match number("exp") {
            Some(exp) if now > exp + LEEWAY => return Err(invalid("token is expired")),
            None if checks.require_exp || self.claims.contains_key("exp") => {
                return Err(invalid("exp is missing or invalid"))
            }
            _ => {}
        }
        if let Some(iat) = number("iat") {
            if iat > now + LEEWAY {
                return Err(invalid("token used before issued"));
            }
        }
        if let Some(nbf) = number("nbf") {
            if nbf > now + LEEWAY {
                return Err(invalid("token is not valid yet"));
            }
        }
        if let Some(audience) = checks.audience {
            let matches = match self.claims.get("aud") {
                Some(Value::String(aud)) => aud == audience,
                Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(audience)),
                _ => false,
            };
            if !matches {
                return Err(invalid("aud does not name this client"));
            }
        }
        if !checks.issuers.is_empty() {
            let issuer = self
                .claims
                .get("iss")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !checks.issuers.iter().any(|accepted| accepted == issuer) {
                return Err(invalid(format!("iss {issuer:?} is not accepted")));
            }
        }
        Ok(())
    }

    /// Checks the signature with the key of the token's `kid` from the JWKS at `jwks_url`.
    pub fn check_signature(&self, jwks_url: &str) -> Result<(), OAuth2Error> {
        let kid = self
            .header
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if kid.is_empty() {
            return Err(invalid("missing kid header value"));
        }
        let answer = http::get(jwks_url)?;
        if answer.status >= 400 {
            return Err(OAuth2Error::Status {
                url: jwks_url.to_string(),
                status: answer.status,
                body: String::from_utf8_lossy(&answer.body).into_owned(),
            });
        }
        let jwks: Value =
            serde_json::from_slice(&answer.body).map_err(|_| invalid("the JWKS is not JSON"))?;
        let key = jwks
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|key| {
                key.get("kid").and_then(Value::as_str) == Some(kid)
                    && key
                        .get("alg")
                        .and_then(Value::as_str)
                        .is_some_and(|alg| !alg.is_empty())
            })
            .ok_or_else(|| invalid(format!("missing JWK with kid {kid:?} and non-empty alg")))?;
        let alg = self
            .header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default();
        verify_with_key(key, alg, self.signed.as_bytes(), &self.signature)
    }
}

fn key_bytes(key: &Value, name: &str) -> Result<Vec<u8>, OAuth2Error> {
    let text = key.get(name).and_then(Value::as_str).unwrap_or_default();
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| invalid(format!("malformed JWK {name}")))
}

fn verify_with_key(
    key: &Value,
    alg: &str,
    message: &[u8],
    signature: &[u8],
) -> Result<(), OAuth2Error> {
    use ring::signature as sig;
    let kty = key.get("kty").and_then(Value::as_str).unwrap_or_default();
    let verified = match (kty, alg) {
        ("RSA", "RS256" | "RS384" | "RS512") => {
            let algorithm = match alg {
                "RS256" => &sig::RSA_PKCS1_2048_8192_SHA256,
                "RS384" => &sig::RSA_PKCS1_2048_8192_SHA384,
                _ => &sig::RSA_PKCS1_2048_8192_SHA512,
            };
            let components = sig::RsaPublicKeyComponents {
                n: key_bytes(key, "n")?,
                e: key_bytes(key, "e")?,
            };
            components.verify(algorithm, message, signature).is_ok()
        }
        ("OKP", "EdDSA") => {
            if key.get("crv").and_then(Value::as_str) != Some("Ed25519") {
                return Err(invalid("unsupported OKP curve (must be Ed25519)"));
            }
            sig::UnparsedPublicKey::new(&sig::ED25519, key_bytes(key, "x")?)
                .verify(message, signature)
                .is_ok()
        }
        _ => return Err(invalid(format!("unsupported key {kty:?} for alg {alg:?}"))),
    };
    if verified {
        Ok(())
    } else {
        Err(invalid("signature mismatch"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn unsigned(claims: Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"k1"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{body}.c2ln")
    }

    #[test]
    fn claims_are_checked_with_leeway() {
        let now = 1_700_000_000;
        let token = IdToken::parse(&unsigned(json!({"aud": ["x", "cid"], "exp": now - 100, "iat": now, "iss": "https://appleid.apple.com"})))
            .unwrap_or_else(|_| unreachable!());
        let checks = ClaimChecks {
            require_exp: true,
            audience: Some("cid"),
            issuers: vec!["https://appleid.apple.com".into()],
        };
        assert!(token.check_claims(&checks, now).is_ok());
        assert!(token.check_claims(&checks, now + 1000).is_err());
        let other_audience = ClaimChecks {
            audience: Some("other"),
            ..ClaimChecks::default()
        };
        assert!(token.check_claims(&other_audience, now).is_err());
        let no_exp =
            IdToken::parse(&unsigned(json!({"aud": "cid"}))).unwrap_or_else(|_| unreachable!());
        assert!(no_exp.check_claims(&checks, now).is_err());
        assert!(IdToken::parse("a.b").is_err());
    }

    #[test]
    fn ed25519_signatures_verify_and_tampering_fails() {
        use ring::signature::{Ed25519KeyPair, KeyPair};
        let rng = ring::rand::SystemRandom::new();
        let document = Ed25519KeyPair::generate_pkcs8(&rng).unwrap_or_else(|_| unreachable!());
        let pair = Ed25519KeyPair::from_pkcs8(document.as_ref()).unwrap_or_else(|_| unreachable!());
        let key = json!({"kty": "OKP", "crv": "Ed25519", "kid": "k", "alg": "EdDSA",
                         "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref())});
        let signature = pair.sign(b"a.b");
        assert!(verify_with_key(&key, "EdDSA", b"a.b", signature.as_ref()).is_ok());
        assert!(verify_with_key(&key, "EdDSA", b"a.c", signature.as_ref()).is_err());
    }
}
