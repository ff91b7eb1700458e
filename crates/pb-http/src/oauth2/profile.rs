//! The two provider calls of a sign-in: the authorization code exchanged for a token at the
//! token URL, then the user's profile (from the userinfo URL, or from the `id_token` for Apple
//! and for OIDC providers without a userinfo URL) mapped onto an [`AuthUser`].
//!
//! Blocking: call only from the blocking pool.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

use super::http::{self, Answer};
use super::id_token::{ClaimChecks, IdToken};
use super::provider::{query_escape, Kind, Provider, APPLE_ISSUER, APPLE_JWKS_URL};
use super::user::{truthy, AuthUser, Token};
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
    })
}

fn profile_object(answer: &Answer, url: &str) -> Result<Map<String, Value>, OAuth2Error> {
    if answer.status >= 400 {
        return Err(OAuth2Error::Status {
            url: url.to_string(),
            status: answer.status,
            body: String::from_utf8_lossy(&answer.body).into_owned(),
        });
    }
    match serde_json::from_slice(&answer.body) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(OAuth2Error::Invalid(format!(
            "{url} did not answer a JSON object"
        ))),
    }
}

fn fetch_profile(provider: &Provider, token: &Token) -> Result<Map<String, Value>, OAuth2Error> {
    let answer = http::get_with_token(&provider.user_info_url, &token.access_token)?;
    profile_object(&answer, &provider.user_info_url)
}

fn text(object: &Map<String, Value>, key: &str) -> String {
    match object.get(key) {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

fn now_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The checked claims of the token's `id_token` for Apple and userinfo-less OIDC providers.
fn id_token_claims(provider: &Provider, token: &Token) -> Result<Map<String, Value>, OAuth2Error> {
    let id_token = IdToken::parse(&token.id_token)?;
    let (checks, jwks_url) = if provider.kind == Kind::Apple {
        let jwks_url = match provider.extra_text("jwksURL") {
            url if url.is_empty() => APPLE_JWKS_URL.to_string(),
            url => url,
        };
        (
            ClaimChecks {
                require_exp: true,
                audience: Some(&provider.client_id),
                issuers: vec![APPLE_ISSUER.to_string()],
            },
            jwks_url,
        )
    } else {
        let issuers = match provider.extra.get("issuers") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect(),
            Some(Value::String(one)) if !one.is_empty() => vec![one.clone()],
            _ => Vec::new(),
        };
        (
            ClaimChecks {
                require_exp: false,
                audience: Some(&provider.client_id),
                issuers,
            },
            provider.extra_text("jwksURL"),
        )
    };
    id_token.check_claims(&checks, now_seconds())?;
    if !jwks_url.is_empty() {
        id_token.check_signature(&jwks_url)?;
    }
    Ok(id_token.claims)
}

/// Microsoft's `id_token` claims, checked for time only (it came straight from Microsoft).
fn microsoft_claims(token: &Token) -> Map<String, Value> {
    IdToken::parse(&token.id_token)
        .ok()
        .filter(|id_token| {
            id_token
                .check_claims(&ClaimChecks::default(), now_seconds())
                .is_ok()
        })
        .map(|id_token| id_token.claims)
        .unwrap_or_default()
}

/// The signed-in user as the provider describes them.
pub fn fetch_user(provider: &Provider, token: &Token) -> Result<AuthUser, OAuth2Error> {
    let raw = match provider.kind {
        Kind::Apple => id_token_claims(provider, token)?,
        Kind::Oidc if provider.user_info_url.is_empty() => id_token_claims(provider, token)?,
        _ => fetch_profile(provider, token)?,
    };
    let mut user = AuthUser::from_token(token, raw.clone());
    match provider.kind {
        Kind::Google => {
            user.id = text(&raw, "sub");
            user.name = text(&raw, "name");
            user.avatar_url = text(&raw, "picture");
            if truthy(raw.get("email_verified")) {
                user.email = text(&raw, "email");
            }
        }
        Kind::Oidc => {
            user.id = text(&raw, "sub");
            user.name = text(&raw, "name");
            user.username = text(&raw, "preferred_username");
            user.avatar_url = text(&raw, "picture");
            if truthy(raw.get("email_verified")) {
                user.email = text(&raw, "email");
            }
        }
        Kind::Apple => {
            user.id = text(&raw, "sub");
            user.name = text(&raw, "name");
            if truthy(raw.get("email_verified")) {
                user.email = text(&raw, "email");
            }
        }
        Kind::Github => {
            user.id = text(&raw, "id");
            user.name = text(&raw, "name");
            user.username = text(&raw, "login");
            user.avatar_url = text(&raw, "avatar_url");
            // Always ask for the verified primary address: the profile's `email` may be
            // missing (private) or, on some setups, unverified.
            user.email = github_verified_primary_email(provider, token)?;
        }
        Kind::Gitlab => {
            user.id = text(&raw, "id");
            user.name = text(&raw, "name");
            user.username = text(&raw, "username");
            user.avatar_url = text(&raw, "avatar_url");
            let confirmed = chrono::DateTime::parse_from_rfc3339(&text(&raw, "confirmed_at"));
            if confirmed.is_ok() {
                user.email = text(&raw, "email");
            }
        }
        Kind::Discord => {
            user.id = text(&raw, "id");
            user.username = text(&raw, "username");
            let avatar = text(&raw, "avatar");
            if !avatar.is_empty() {
                user.avatar_url = format!(
                    "https://cdn.discordapp.com/avatars/{}/{avatar}.png",
                    user.id
                );
            }
            user.name = text(&raw, "global_name");
            if user.name.is_empty() {
                user.name = user.username.clone();
                let discriminator = text(&raw, "discriminator");
                if !discriminator.is_empty() && discriminator != "0" {
                    user.name = format!("{}#{discriminator}", user.name);
                }
            }
            if truthy(raw.get("verified")) {
                user.email = text(&raw, "email");
            }
        }
        Kind::Microsoft => {
            user.id = text(&raw, "id");
            user.name = text(&raw, "displayName");
            user.email = microsoft_email(provider, token, &raw);
        }
        Kind::Facebook => {
            user.id = text(&raw, "id");
            user.name = text(&raw, "name");
            // Facebook only hands out confirmed addresses (PocketBase trusts it likewise).
            user.email = text(&raw, "email");
            user.avatar_url = raw
                .get("picture")
                .and_then(|picture| picture.get("data"))
                .and_then(|data| data.get("url"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
        }
    }
    Ok(user)
}

/// Which address of a Microsoft account to trust, per `extra.idTokenEmailClaim`; without it
/// the Graph profile's `mail` (PocketBase's default, safe for single-tenant apps).
fn microsoft_email(provider: &Provider, token: &Token, raw: &Map<String, Value>) -> String {
    let claims = || microsoft_claims(token);
    let verified_primary = |claims: &Map<String, Value>| text(claims, "verified_primary_email");
    let xms_edov = |claims: &Map<String, Value>| {
        if truthy(claims.get("xms_edov")) {
            text(claims, "email")
        } else {
            String::new()
        }
    };
    match provider.extra_text("idTokenEmailClaim").as_str() {
        "any_verified" => {
            let claims = claims();
            match verified_primary(&claims) {
                email if email.is_empty() => xms_edov(&claims),
                email => email,
            }
        }
        "verified_primary_email" => verified_primary(&claims()),
        "email_and_xms_edov" => xms_edov(&claims()),
        "email" => text(&claims(), "email"),
        _ => text(raw, "mail"),
    }
}

/// GitHub's verified primary address from `<userinfo>/emails`; `""` when there is none or
/// the token lacks the scope (401, 403, 404).
fn github_verified_primary_email(
    provider: &Provider,
    token: &Token,
) -> Result<String, OAuth2Error> {
    let url = format!("{}/emails", provider.user_info_url);
    let answer = http::get_with_token(&url, &token.access_token)?;
    if matches!(answer.status, 401 | 403 | 404) {
        return Ok(String::new());
    }
    let emails: Vec<Value> = serde_json::from_slice(&answer.body)
        .map_err(|_| OAuth2Error::Invalid(format!("{url} did not answer a JSON list")))?;
    Ok(emails
        .iter()
        .find(|email| truthy(email.get("verified")) && truthy(email.get("primary")))
        .and_then(|email| email.get("email"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string())
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
