//! The second provider call of a sign-in: the user's profile, fetched as each provider wants
//! it asked (a plain GET with the token, extra headers, a GraphQL query, or nothing at all when
//! the `id_token` carries it, as for Apple and OIDC providers without a userinfo URL), read by
//! [`super::mapping`], then completed with the verified address of providers that keep it
//! elsewhere (an emails list, or Microsoft's `id_token`).
//!
//! Blocking: call only from the blocking pool.

use serde_json::{json, Map, Value};

use super::catalog::Kind;
use super::emails;
use super::http::{self, Answer};
use super::id_token::{ClaimChecks, IdToken};
use super::mapping::{read_profile, text_at};
use super::provider::{Provider, APPLE_ISSUER, APPLE_JWKS_URL};
use super::user::{truthy, AuthUser, Token};
use super::OAuth2Error;

/// Notion's API answers only requests that name the version they were written for.
const NOTION_VERSION: &str = "2022-06-28";

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
    let url = provider.user_info_url.as_str();
    let authorization = token.authorization();
    let answer = match provider.kind {
        Kind::Linear => {
            let query = "query Me { viewer { id displayName name email avatarUrl active } }";
            http::post_json_with_token(url, &authorization, &json!({"query": query}).to_string())?
        }
        Kind::Monday => {
            let query = "query { me { id enabled name email is_verified photo_small }}";
            http::post_json_with_token(url, &authorization, &json!({"query": query}).to_string())?
        }
        Kind::Notion => {
            http::get_with_token(url, &authorization, &[("Notion-Version", NOTION_VERSION)])?
        }
        Kind::Trakt => http::get_with_token(
            url,
            &authorization,
            &[
                ("Content-Type", "application/json"),
                ("trakt-api-key", &provider.client_id),
                ("trakt-api-version", "2"),
            ],
        )?,
        Kind::Twitch => {
            http::get_with_token(url, &authorization, &[("Client-Id", &provider.client_id)])?
        }
        _ => http::get_with_token(url, &authorization, &[])?,
    };
    profile_object(&answer, url)
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

/// Apple's `id_token` claims, with the `user` object (the person's name, a JSON text) as
/// `user` when it came beside the token: Apple hands out the name only on the first sign-in,
/// and never in the `id_token`.
fn apple_claims(provider: &Provider, token: &Token) -> Result<Map<String, Value>, OAuth2Error> {
    let mut claims = id_token_claims(provider, token)?;
    if let Some(Value::String(user)) = token.answer.get("user").filter(|user| user != &"") {
        let user: Map<String, Value> = serde_json::from_str(user)
            .map_err(|_| OAuth2Error::Invalid("Apple's `user` is not a JSON object".into()))?;
        claims.insert("user".into(), Value::Object(user));
    }
    Ok(claims)
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
        Kind::Apple => apple_claims(provider, token)?,
        Kind::Oidc if provider.user_info_url.is_empty() => id_token_claims(provider, token)?,
        _ => fetch_profile(provider, token)?,
    };
    let mut user = read_profile(provider.kind, raw, token)?;
    match provider.kind {
        Kind::Github | Kind::Gitea => {
            // Always the verified primary address: the profile's `email` may be missing
            // (private) or, on some setups, unverified.
            let url = format!("{}/emails", provider.user_info_url);
            user.email = match emails_answer(&url, token)? {
                answer if matches!(answer.status, 401 | 403 | 404) => String::new(),
                answer => emails::verified_primary(&json_answer(&answer, &url)?),
            };
        }
        Kind::Bitbucket => {
            let url = format!("{}/emails", provider.user_info_url);
            user.email = match emails_answer(&url, token)? {
                answer if answer.status >= 400 => String::new(),
                answer => emails::bitbucket_confirmed_primary(&json_answer(&answer, &url)?),
            };
        }
        Kind::Gitee if user.email.is_empty() => {
            // Beside the profile (`…/v5/user` → `…/v5/emails`). A private address comes back
            // as a single object instead of a list, and is no address to sign in with.
            let url = sibling_url(&provider.user_info_url, "emails");
            let answer = emails_answer(&url, token)?;
            if !matches!(answer.status, 401 | 403 | 404) {
                let list = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
                user.email = emails::gitee_confirmed_primary(&list);
            }
        }
        Kind::Microsoft => user.email = microsoft_email(provider, token, &user.raw_user),
        _ => {}
    }
    Ok(user)
}

fn emails_answer(url: &str, token: &Token) -> Result<Answer, OAuth2Error> {
    http::get_with_token(url, &token.authorization(), &[])
}

fn json_answer(answer: &Answer, url: &str) -> Result<Value, OAuth2Error> {
    serde_json::from_slice(&answer.body)
        .map_err(|_| OAuth2Error::Invalid(format!("{url} did not answer JSON")))
}

/// `url` with its last path segment replaced by `name` and no query (`…/v5/user` →
/// `…/v5/emails`).
fn sibling_url(url: &str, name: &str) -> String {
    let path = url.split_once('?').map_or(url, |(path, _)| path);
    let parent = path.rsplit_once('/').map_or(path, |(parent, _)| parent);
    format!("{parent}/{name}")
}

/// Which address of a Microsoft account to trust, per `extra.idTokenEmailClaim`; without it
/// the Graph profile's `mail` (PocketBase's default, safe for single-tenant apps).
fn microsoft_email(provider: &Provider, token: &Token, raw: &Map<String, Value>) -> String {
    let claims = || microsoft_claims(token);
    let verified_primary =
        |claims: &Map<String, Value>| text_at(claims, &["verified_primary_email"]);
    let xms_edov = |claims: &Map<String, Value>| {
        if truthy(claims.get("xms_edov")) {
            text_at(claims, &["email"])
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
        "email" => text_at(&claims(), &["email"]),
        _ => text_at(raw, &["mail"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitees_emails_sit_beside_its_profile() {
        assert_eq!(
            sibling_url("https://gitee.com/api/v5/user", "emails"),
            "https://gitee.com/api/v5/emails"
        );
        assert_eq!(
            sibling_url("http://127.0.0.1:9/user?x=1", "emails"),
            "http://127.0.0.1:9/emails"
        );
    }
}
