//! The first provider call of a sign-in: the authorization code exchanged for a token at the
//! provider's token URL.
//!
//! Blocking: call only from the blocking pool.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

use super::http::{self, Answer};
use super::provider::{query_escape, Provider};
use super::user::Token;
use super::OAuth2Error;

/// Exchanges `code` (with the PKCE verifier when the provider uses PKCE) for a token. As Go's
/// `oauth2` package (and so PocketBase) does, the client credentials go first in an HTTP Basic
/// `Authorization` header, and when that attempt fails, once more in the form body.
pub fn exchange_code(
    provider: &Provider,
    code: &str,
    code_verifier: &str,
    redirect_url: &str,
) -> Result<Token, OAuth2Error> {
    let mut form: Vec<(&str, &str)> = vec![("grant_type", "authorization_code"), ("code", code)];
    if !redirect_url.is_empty() {
        form.push(("redirect_uri", redirect_url));
    }
    if provider.pkce {
        form.push(("code_verifier", code_verifier));
    }
    let credentials = format!(
        "{}:{}",
        query_escape(&provider.client_id),
        query_escape(&provider.client_secret)
    );
    let basic = format!("Basic {}", STANDARD.encode(credentials));
    let in_header = exchange(provider, Some(&basic), &form);
    if in_header.is_ok() {
        return in_header;
    }
    form.push(("client_id", &provider.client_id));
    if !provider.client_secret.is_empty() {
        form.push(("client_secret", &provider.client_secret));
    }
    exchange(provider, None, &form)
}

fn exchange(
    provider: &Provider,
    authorization: Option<&str>,
    form: &[(&str, &str)],
) -> Result<Token, OAuth2Error> {
    let answer = http::post_form(&provider.token_url, authorization, form)?;
    if !(200..300).contains(&answer.status) {
        return Err(OAuth2Error::Status {
            url: provider.token_url.clone(),
            status: answer.status,
            body: String::from_utf8_lossy(&answer.body).into_owned(),
        });
    }
    parse_token(&answer, chrono::Utc::now())
}

/// Reads a token answer: JSON, or a form (`application/x-www-form-urlencoded`, `text/plain`)
/// as some providers still send. An answer with an `error` or without `access_token` fails.
fn parse_token(answer: &Answer, now: chrono::DateTime<chrono::Utc>) -> Result<Token, OAuth2Error> {
    let fields: Map<String, Value> = if answer.content_type == "application/x-www-form-urlencoded"
        || answer.content_type == "text/plain"
    {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&answer.body).unwrap_or_default();
        pairs
            .into_iter()
            .map(|(key, value)| (key, Value::String(value)))
            .collect()
    } else {
        match serde_json::from_slice(&answer.body) {
            Ok(Value::Object(object)) => object,
            _ => return Err(OAuth2Error::Invalid("the token answer is not JSON".into())),
        }
    };
    let text = |key: &str| match fields.get(key) {
        Some(Value::String(text)) => text.clone(),
        _ => String::new(),
    };
    if !text("error").is_empty() {
        return Err(OAuth2Error::Invalid(format!(
            "token error {}",
            text("error")
        )));
    }
    let access_token = text("access_token");
    if access_token.is_empty() {
        return Err(OAuth2Error::Invalid(
            "server response missing access_token".into(),
        ));
    }
    let expires_in = match fields.get("expires_in") {
        Some(Value::Number(number)) => number.as_i64().unwrap_or(0),
        Some(Value::String(text)) => text.parse().unwrap_or(0),
        _ => 0,
    };
    let expiry = if expires_in > 0 {
        pb_core::datetime::format(now + chrono::Duration::seconds(expires_in))
    } else {
        String::new()
    };
    Ok(Token {
        access_token,
        refresh_token: text("refresh_token"),
        expiry,
        id_token: text("id_token"),
        token_type: text("token_type"),
        answer: fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(content_type: &str, body: &str) -> Answer {
        Answer {
            status: 200,
            content_type: content_type.into(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn token_answers_in_json_and_form_shapes() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|time| time.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        let token = parse_token(
            &answer(
                "application/json",
                r#"{"access_token":"a","refresh_token":"r","expires_in":3600,"id_token":"i"}"#,
            ),
            now,
        )
        .unwrap_or_default();
        assert_eq!(token.access_token, "a");
        assert_eq!(token.expiry, "2026-01-01 01:00:00.000Z");
        assert_eq!(token.id_token, "i");
        assert_eq!(token.authorization(), "Bearer a");
        assert_eq!(token.answer["expires_in"], 3600);
        let form = parse_token(
            &answer(
                "application/x-www-form-urlencoded",
                "access_token=b&scope=x",
            ),
            now,
        )
        .unwrap_or_default();
        assert_eq!(
            (form.access_token.as_str(), form.expiry.as_str()),
            ("b", "")
        );
        assert!(parse_token(
            &answer("application/json", r#"{"error":"bad_verification_code"}"#),
            now
        )
        .is_err());
        assert!(parse_token(&answer("application/json", "{}"), now).is_err());
    }
}
