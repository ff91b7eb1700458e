//! The providers this server can talk to, with PocketBase's defaults (display name, scopes,
//! PKCE, endpoints), and the authorization URL a client sends its user to.
//!
//! The defaults come from [`super::catalog`], which knows every provider PocketBase does.

use pb_core::oauth2::OAuth2ProviderConfig;
use serde_json::{Map, Value};

use super::catalog::{defaults, Kind};

/// A provider ready to use: defaults overlaid with the collection's config.
#[derive(Debug, Clone)]
pub struct Provider {
    pub name: String,
    pub kind: Kind,
    pub display_name: String,
    pub pkce: bool,
    pub scopes: Vec<String>,
    pub client_id: String,
    pub client_secret: String,
    pub auth_url: String,
    pub token_url: String,
    pub user_info_url: String,
    pub extra: Map<String, Value>,
}

/// Apple's signing keys for its `id_token`s; `extra.jwksURL` replaces it (tests, proxies).
pub const APPLE_JWKS_URL: &str = "https://appleid.apple.com/auth/keys";
pub const APPLE_ISSUER: &str = "https://appleid.apple.com";

fn or_default(configured: &str, default: &str) -> String {
    if configured.is_empty() {
        default.to_string()
    } else {
        configured.to_string()
    }
}

impl Provider {
    /// The provider `config` names, set up; `None` for names this server cannot talk to.
    pub fn from_config(config: &OAuth2ProviderConfig) -> Option<Provider> {
        let defaults = defaults(&config.name)?;
        let mut scopes: Vec<String> = defaults.scopes.iter().map(|s| s.to_string()).collect();
        if defaults.kind == Kind::Microsoft
            && config
                .extra
                .get("idTokenEmailClaim")
                .and_then(Value::as_str)
                .is_some_and(|claim| !claim.is_empty())
            && !scopes.iter().any(|scope| scope == "openid")
        {
            // The email claims live in the id_token, which only comes with `openid`.
            scopes.push("openid".into());
        }
        Some(Provider {
            name: config.name.clone(),
            kind: defaults.kind,
            display_name: or_default(&config.display_name, defaults.display_name),
            pkce: config.pkce.unwrap_or(defaults.pkce),
            scopes,
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            auth_url: or_default(&config.auth_url, defaults.auth_url),
            token_url: or_default(&config.token_url, defaults.token_url),
            user_info_url: or_default(&config.user_info_url, defaults.user_info_url),
            extra: config.extra.clone(),
        })
    }

    /// An `extra` option as text (`""` when missing or not a string).
    pub fn extra_text(&self, key: &str) -> String {
        self.extra
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    /// The consent page URL for `state` (with the PKCE challenge when given), its query sorted
    /// by key and ending in `&redirect_uri=` for the client to complete.
    pub fn authorization_url(&self, state: &str, code_challenge: Option<&str>) -> String {
        let mut params: Vec<(&str, String)> = vec![
            ("client_id", self.client_id.clone()),
            ("response_type", "code".into()),
        ];
        if !self.scopes.is_empty() {
            params.push(("scope", self.scopes.join(" ")));
        }
        if !state.is_empty() {
            params.push(("state", state.to_string()));
        }
        if self.kind == Kind::Apple {
            // Apple posts the answer back (it sends the user's name only that way).
            params.push(("response_mode", "form_post".into()));
        }
        if let Some(challenge) = code_challenge {
            params.push(("code_challenge", challenge.to_string()));
            params.push(("code_challenge_method", "S256".into()));
        }
        params.sort_by(|a, b| a.0.cmp(b.0));
        let query: Vec<String> = params
            .iter()
            .map(|(key, value)| format!("{}={}", query_escape(key), query_escape(value)))
            .collect();
        let separator = if self.auth_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{}{}&redirect_uri=",
            self.auth_url,
            separator,
            query.join("&")
        )
    }
}

/// Query component escaping as Go's `url.QueryEscape` does it (what PocketBase's URLs use):
/// letters, digits and `-_.~` stay, a space becomes `+`, every other byte `%XX`.
pub fn query_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                escaped.push(char::from(byte));
            }
            b' ' => escaped.push('+'),
            _ => escaped.push_str(&format!("%{byte:02X}")),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(name: &str) -> OAuth2ProviderConfig {
        OAuth2ProviderConfig {
            name: name.into(),
            client_id: "cid123".into(),
            client_secret: "s".into(),
            ..OAuth2ProviderConfig::default()
        }
    }

    #[test]
    fn authorization_urls_match_pocketbase() {
        let google = Provider::from_config(&config("google")).unwrap_or_else(|| unreachable!());
        assert_eq!(
            google.authorization_url("ST", Some("CH")),
            "https://accounts.google.com/o/oauth2/v2/auth?client_id=cid123&code_challenge=CH\
             &code_challenge_method=S256&response_type=code&scope=https%3A%2F%2Fwww.googleapis.com\
             %2Fauth%2Fuserinfo.profile+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email\
             &state=ST&redirect_uri="
        );
        let mut apple_config = config("apple");
        apple_config.client_id = "a".into();
        apple_config.pkce = Some(false);
        let apple = Provider::from_config(&apple_config).unwrap_or_else(|| unreachable!());
        assert!(!apple.pkce);
        assert_eq!(
            apple.authorization_url("ST", None),
            "https://appleid.apple.com/auth/authorize?client_id=a&response_mode=form_post\
             &response_type=code&scope=name+email&state=ST&redirect_uri="
        );
        let mut oidc_config = config("oidc");
        oidc_config.client_id = "o".into();
        oidc_config.auth_url = "http://127.0.0.1:9/auth?x=1".into();
        let oidc = Provider::from_config(&oidc_config).unwrap_or_else(|| unreachable!());
        assert_eq!(oidc.display_name, "OIDC");
        assert_eq!(
            oidc.authorization_url("ST", Some("CH")),
            "http://127.0.0.1:9/auth?x=1&client_id=o&code_challenge=CH&code_challenge_method=S256\
             &response_type=code&scope=openid+email+profile&state=ST&redirect_uri="
        );
        let vk = Provider::from_config(&config("vk")).unwrap_or_else(|| unreachable!());
        assert!(!vk.pkce);
        assert_eq!(
            vk.authorization_url("ST", None),
            "https://oauth.vk.com/authorize?client_id=cid123&response_type=code&scope=email\
             &state=ST&redirect_uri="
        );
        // No scopes: no `scope` parameter at all.
        let notion = Provider::from_config(&config("notion")).unwrap_or_else(|| unreachable!());
        assert_eq!(
            notion.authorization_url("ST", Some("CH")),
            "https://api.notion.com/v1/oauth/authorize?client_id=cid123&code_challenge=CH\
             &code_challenge_method=S256&response_type=code&state=ST&redirect_uri="
        );
        assert!(Provider::from_config(&config("instagram")).is_none());
    }
}
