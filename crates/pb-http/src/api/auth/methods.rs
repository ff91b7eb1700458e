//! `GET /api/collections/{collection}/auth-methods`: which ways of logging in a collection
//! offers, public. Durations are 0 for disabled methods, identity fields empty when password
//! auth is off, and the legacy keys of older SDKs (`authProviders`, `usernamePassword`,
//! `emailPassword`) are still sent.
//!
//! With OAuth2 enabled, each configured provider this server can talk to is listed in config
//! order with a fresh `state`, PKCE pair (empty strings when the provider's PKCE is off) and
//! its authorization URL ending in `redirect_uri=`. `logo` is always `""`: the provider logos
//! are PocketBase's artwork, which this project does not ship. `authProviders` repeats the
//! list (PocketBase blanks its logos); both lists are empty while OAuth2 is disabled.

use std::sync::Arc;

use actix_web::{web, HttpResponse};
use pb_core::oauth2::OAuth2ProviderConfig;
use pb_core::AuthOptions;
use serde_json::{json, Value};

use super::auth_collection;
use crate::error::ApiResult;
use crate::oauth2::pkce::{random_text, s256_challenge, STATE_LENGTH, VERIFIER_LENGTH};
use crate::oauth2::provider::Provider;
use crate::state::AppState;

/// The auth-methods body of a collection with `options`.
pub fn auth_methods(options: &AuthOptions) -> Value {
    let password_enabled = options.password_auth.enabled;
    let identity_fields: Vec<String> = if password_enabled {
        options.password_auth.identity_fields.clone()
    } else {
        Vec::new()
    };
    let has_identity = |name: &str| identity_fields.iter().any(|field| field == name);
    let enabled_duration = |enabled: bool, duration: i64| if enabled { duration } else { 0 };
    let providers = if options.oauth2.enabled {
        provider_infos(&options.oauth2.providers)
    } else {
        Vec::new()
    };
    json!({
        "password": {"identityFields": identity_fields, "enabled": password_enabled},
        "oauth2": {"providers": providers, "enabled": options.oauth2.enabled},
        "mfa": {
            "enabled": options.mfa.enabled,
            "duration": enabled_duration(options.mfa.enabled, options.mfa.duration),
        },
        "otp": {
            "enabled": options.otp.enabled,
            "duration": enabled_duration(options.otp.enabled, options.otp.duration),
        },
        "authProviders": providers,
        "usernamePassword": password_enabled && has_identity("username"),
        "emailPassword": password_enabled && has_identity("email"),
    })
}

/// One entry per usable provider, in config order.
fn provider_infos(configs: &[OAuth2ProviderConfig]) -> Vec<Value> {
    configs
        .iter()
        .filter_map(Provider::from_config)
        .map(|provider| {
            let state = random_text(STATE_LENGTH);
            let (verifier, challenge, method) = if provider.pkce {
                let verifier = random_text(VERIFIER_LENGTH);
                let challenge = s256_challenge(&verifier);
                (verifier, challenge, "S256")
            } else {
                (String::new(), String::new(), "")
            };
            let challenge_param = provider.pkce.then_some(challenge.as_str());
            let auth_url = provider.authorization_url(&state, challenge_param);
            json!({
                "name": provider.name,
                "displayName": provider.display_name,
                "logo": "",
                "state": state,
                "authURL": auth_url,
                "authUrl": auth_url,
                "codeVerifier": verifier,
                "codeChallenge": challenge,
                "codeChallengeMethod": method,
            })
        })
        .collect()
}

pub async fn handle(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let collection_name = path.into_inner();
    let state = Arc::clone(&state.into_inner());
    let collection = auth_collection(&state.schema(), &collection_name)?;
    let options = collection.auth.clone().unwrap_or_default();
    Ok(HttpResponse::Ok().json(auth_methods(&options)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_methods_report_zero_durations_and_legacy_keys_follow_identity_fields() {
        let mut options = AuthOptions::default();
        options.password_auth.enabled = true;
        options.password_auth.identity_fields = vec!["email".into(), "username".into()];
        options.otp.duration = 180;
        options.mfa.enabled = true;
        options.mfa.duration = 600;
        let body = auth_methods(&options);
        assert_eq!(
            body,
            json!({"password": {"identityFields": ["email", "username"], "enabled": true},
                   "oauth2": {"providers": [], "enabled": false},
                   "mfa": {"enabled": true, "duration": 600},
                   "otp": {"enabled": false, "duration": 0},
                   "authProviders": [], "usernamePassword": true, "emailPassword": true})
        );
        options.password_auth.enabled = false;
        options.oauth2.enabled = true;
        options.oauth2.providers = vec![
            OAuth2ProviderConfig {
                name: "github".into(),
                client_id: "x".into(),
                pkce: Some(false),
                ..OAuth2ProviderConfig::default()
            },
            OAuth2ProviderConfig {
                name: "yandex".into(),
                ..OAuth2ProviderConfig::default()
            },
        ];
        let body = auth_methods(&options);
        let github = &body["oauth2"]["providers"][0];
        assert_eq!(
            body["oauth2"]["providers"].as_array().map(Vec::len),
            Some(2)
        );
        assert_eq!(body["oauth2"]["providers"][1]["displayName"], "Yandex");
        assert_eq!(github["displayName"], "GitHub");
        assert_eq!(github["codeChallengeMethod"], "");
        let state = github["state"].as_str().unwrap_or_default();
        assert_eq!(state.len(), 30);
        assert_eq!(
            github["authURL"],
            format!(
                "https://github.com/login/oauth/authorize?client_id=x&response_type=code\
                     &scope=read%3Auser+user%3Aemail&state={state}&redirect_uri="
            )
        );
        assert_eq!(body["authProviders"], body["oauth2"]["providers"]);
        assert_eq!(body["password"]["identityFields"], json!([]));
        assert_eq!(body["emailPassword"], false);
    }
}
