//! OAuth2 settings of an auth collection: which providers it offers, with what client
//! credentials and endpoints, and which record fields receive the provider's id, name, username
//! and avatar.
//!
//! The JSON shapes are PocketBase's (`oauth2.providers[]`, `oauth2.mappedFields`). A provider's
//! `clientSecret` is stored but never served; because clients cannot send back what they were
//! never shown, an update that names a provider without a secret keeps the stored one
//! ([`keep_stored_provider_settings`]). Talking to providers is the HTTP layer's job; this
//! module only knows names, shapes and validity.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::collection::Collection;
use crate::error::{FieldError, ValidationErrors};

/// Every provider name PocketBase 0.40 accepts in `oauth2.providers[].name`.
pub const PROVIDER_NAMES: [&str; 32] = [
    "apple",
    "google",
    "microsoft",
    "yandex",
    "facebook",
    "instagram2",
    "github",
    "gitlab",
    "bitbucket",
    "gitee",
    "gitea",
    "discord",
    "twitter",
    "kakao",
    "vk",
    "linear",
    "notion",
    "monday",
    "lark",
    "box",
    "spotify",
    "trakt",
    "twitch",
    "patreon",
    "strava",
    "wakatime",
    "livechat",
    "mailcow",
    "planningcenter",
    "oidc",
    "oidc2",
    "oidc3",
];

/// One configured provider. Empty URLs and display name mean "the provider's default";
/// `pkce: None` likewise.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OAuth2ProviderConfig {
    pub pkce: Option<bool>,
    pub name: String,
    pub client_id: String,
    /// Stored, never served by the API.
    pub client_secret: String,
    #[serde(rename = "authURL")]
    pub auth_url: String,
    #[serde(rename = "tokenURL")]
    pub token_url: String,
    #[serde(rename = "userInfoURL")]
    pub user_info_url: String,
    pub display_name: String,
    /// Provider specific options (`jwksURL`, `issuers`, `idTokenEmailClaim` …); always an
    /// object in the JSON, `null` is read as empty.
    #[serde(deserialize_with = "object_or_null")]
    pub extra: Map<String, Value>,
}

/// The record fields that receive the provider's data on sign-up; `""` maps nothing.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuth2MappedFields {
    pub id: String,
    pub name: String,
    pub username: String,
    #[serde(rename = "avatarURL")]
    pub avatar_url: String,
}

fn object_or_null<'de, D>(deserializer: D) -> Result<Map<String, Value>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(Option::<Map<String, Value>>::deserialize(deserializer)?.unwrap_or_default())
}

/// Whether PocketBase knows a provider of this name.
pub fn is_known_provider(name: &str) -> bool {
    PROVIDER_NAMES.contains(&name)
}

/// The errors of `oauth2` when it is enabled (nothing is checked while it is disabled, as in
/// PocketBase): a duplicated name alone, else per provider a known name, a client id and
/// secret, and URLs that look like URLs. Keys are `providers.<index>.<key>`.
pub fn check_providers(providers: &[OAuth2ProviderConfig]) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    let mut seen: Vec<&str> = Vec::new();
    for (index, provider) in providers.iter().enumerate() {
        if provider.name.is_empty() {
            continue;
        }
        if seen.contains(&provider.name.as_str()) {
            let duplicate = FieldError::new(
                "validation_duplicated_provider",
                format!("The provider {} is already registered.", provider.name),
            )
            .with_params(json!({"name": provider.name}));
            let mut at_index = ValidationErrors::new();
            at_index.nest(
                &index.to_string(),
                ValidationErrors::single("name", duplicate),
            );
            errors.nest("providers", at_index);
            return errors;
        }
        seen.push(&provider.name);
    }
    let mut by_index = ValidationErrors::new();
    for (index, provider) in providers.iter().enumerate() {
        let provider_errors = provider_errors(provider);
        if !provider_errors.is_empty() {
            by_index.nest(&index.to_string(), provider_errors);
        }
    }
    if !by_index.is_empty() {
        errors.nest("providers", by_index);
    }
    errors
}

fn provider_errors(provider: &OAuth2ProviderConfig) -> ValidationErrors {
    let mut errors = ValidationErrors::new();
    if provider.name.is_empty() {
        errors.add("name", FieldError::required());
    } else if !is_known_provider(&provider.name) {
        errors.add(
            "name",
            FieldError::new(
                "validation_missing_provider",
                format!("Invalid or missing provider with name {}.", provider.name),
            )
            .with_params(json!({"name": provider.name})),
        );
    }
    if provider.client_id.is_empty() {
        errors.add("clientId", FieldError::required());
    }
    if provider.client_secret.is_empty() {
        errors.add("clientSecret", FieldError::required());
    }
    for (key, url) in [
        ("authURL", &provider.auth_url),
        ("tokenURL", &provider.token_url),
        ("userInfoURL", &provider.user_info_url),
    ] {
        if !url.is_empty() && !looks_like_url(url) {
            errors.add(
                key,
                FieldError::new("validation_is_url", "Must be a valid URL."),
            );
        }
    }
    errors
}

/// A URL with a scheme and a host (any scheme), or a bare host name with a dot; no spaces.
fn looks_like_url(text: &str) -> bool {
    if text.chars().any(char::is_whitespace) {
        return false;
    }
    let host_of = |candidate: &str| {
        url::Url::parse(candidate)
            .ok()
            .and_then(|url| url.host_str().map(str::to_string))
    };
    if text.contains("://") {
        return host_of(text).is_some_and(|host| !host.is_empty());
    }
    host_of(&format!("http://{text}")).is_some_and(|host| host.contains('.'))
}

/// Rewrites the `oauth2.providers` of an update `body` so that each provider it names is laid
/// over the stored provider of the same name (`stored`, secrets included): a client that
/// resends a provider without its `clientSecret` (which it was never shown) keeps the secret.
pub fn keep_stored_provider_settings(body: &mut Value, stored: &[OAuth2ProviderConfig]) {
    let Some(Value::Array(providers)) = body
        .get_mut("oauth2")
        .and_then(|oauth2| oauth2.get_mut("providers"))
    else {
        return;
    };
    for provider in providers.iter_mut() {
        let Value::Object(sent) = provider else {
            continue;
        };
        let name = sent.get("name").and_then(Value::as_str).unwrap_or_default();
        let Some(old) = stored.iter().find(|old| old.name == name) else {
            continue;
        };
        let Ok(Value::Object(mut merged)) = serde_json::to_value(old) else {
            continue;
        };
        for (key, value) in std::mem::take(sent) {
            merged.insert(key, value);
        }
        *sent = merged;
    }
}

/// Blanks the mapped fields that name no field of `collection` (PocketBase drops them on save).
pub fn unset_missing_mapped_fields(collection: &mut Collection) {
    let names: Vec<String> = collection
        .fields
        .iter()
        .map(|field| field.name.clone())
        .collect();
    let Some(auth) = collection.auth.as_mut() else {
        return;
    };
    let mapped = &mut auth.oauth2.mapped_fields;
    for slot in [
        &mut mapped.id,
        &mut mapped.name,
        &mut mapped.username,
        &mut mapped.avatar_url,
    ] {
        if !slot.is_empty() && !names.iter().any(|name| name == slot) {
            slot.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(name: &str, id: &str, secret: &str) -> OAuth2ProviderConfig {
        OAuth2ProviderConfig {
            name: name.into(),
            client_id: id.into(),
            client_secret: secret.into(),
            ..OAuth2ProviderConfig::default()
        }
    }

    #[test]
    fn provider_errors_are_keyed_by_index_and_duplicates_win() {
        let mut bad_urls = provider("github", "x", "y");
        bad_urls.auth_url = "notaurl".into();
        bad_urls.token_url = "ftp://x".into();
        bad_urls.user_info_url = "http://a b".into();
        let errors = check_providers(&[provider("nope", "", ""), bad_urls]);
        assert_eq!(
            errors.to_json(),
            json!({"providers": {
                "0": {"clientId": {"code": "validation_required", "message": "Cannot be blank."},
                      "clientSecret": {"code": "validation_required", "message": "Cannot be blank."},
                      "name": {"code": "validation_missing_provider",
                               "message": "Invalid or missing provider with name nope.",
                               "params": {"name": "nope"}}},
                "1": {"authURL": {"code": "validation_is_url", "message": "Must be a valid URL."},
                      "userInfoURL": {"code": "validation_is_url", "message": "Must be a valid URL."}}}})
        );
        let duplicated = check_providers(&[
            provider("nope", "", ""),
            provider("github", "a", "b"),
            provider("github", "a", "b"),
        ]);
        assert_eq!(
            duplicated.to_json(),
            json!({"providers": {"2": {"name": {"code": "validation_duplicated_provider",
                "message": "The provider github is already registered.",
                "params": {"name": "github"}}}}})
        );
    }

    #[test]
    fn a_resent_provider_keeps_its_stored_secret_and_settings() {
        let mut stored = provider("github", "x", "secret");
        stored.display_name = "GH".into();
        let mut body = json!({"oauth2": {"providers": [
            {"name": "github", "clientId": "x2"},
            {"name": "google", "clientId": "g"}]}});
        keep_stored_provider_settings(&mut body, &[stored]);
        let providers = &body["oauth2"]["providers"];
        assert_eq!(providers[0]["clientSecret"], "secret");
        assert_eq!(providers[0]["clientId"], "x2");
        assert_eq!(providers[0]["displayName"], "GH");
        assert_eq!(providers[1], json!({"name": "google", "clientId": "g"}));
    }

    #[test]
    fn provider_json_has_pocketbase_keys_and_extra_is_always_an_object() {
        let parsed: OAuth2ProviderConfig =
            serde_json::from_value(json!({"name": "oidc", "extra": null, "pkce": false}))
                .unwrap_or_default();
        assert_eq!(parsed.pkce, Some(false));
        let keys: Vec<String> = serde_json::to_value(&parsed)
            .ok()
            .and_then(|value| value.as_object().map(|o| o.keys().cloned().collect()))
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "pkce",
                "name",
                "clientId",
                "clientSecret",
                "authURL",
                "tokenURL",
                "userInfoURL",
                "displayName",
                "extra"
            ]
        );
        assert_eq!(
            serde_json::to_value(&parsed).unwrap_or_default()["extra"],
            json!({})
        );
    }
}
