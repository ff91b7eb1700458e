//! The provider's answer in one shape ([`AuthUser`], PocketBase's `AuthUser`) and as the
//! `meta` object of the auth response.

use serde_json::{Map, Value};

/// What the token endpoint answered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Token {
    pub access_token: String,
    pub refresh_token: String,
    /// `YYYY-MM-DD HH:MM:SS.mmmZ`, or `""` when the provider gave no lifetime.
    pub expiry: String,
    /// The OpenID Connect `id_token`, if any.
    pub id_token: String,
    /// `token_type` as sent (`""` when missing); see [`Token::authorization`].
    pub token_type: String,
    /// The whole answer: a few providers put user data beside the token (VK's `email`,
    /// Instagram's `permissions`).
    pub answer: Map<String, Value>,
}

impl Token {
    /// The `Authorization` header for calls made with this token: its type, spelled as the
    /// HTTP schemes are (`Bearer` for `bearer` or no type), then the access token.
    pub fn authorization(&self) -> String {
        let scheme = match self.token_type.to_ascii_lowercase().as_str() {
            "" | "bearer" => "Bearer",
            "mac" => "MAC",
            "basic" => "Basic",
            _ => self.token_type.as_str(),
        };
        format!("{scheme} {}", self.access_token)
    }
}

/// A signed-in provider user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthUser {
    pub id: String,
    pub name: String,
    pub username: String,
    /// Only an address the provider has verified; `""` otherwise.
    pub email: String,
    pub avatar_url: String,
    pub access_token: String,
    pub refresh_token: String,
    pub expiry: String,
    /// The provider's profile as it came.
    pub raw_user: Map<String, Value>,
}

impl AuthUser {
    /// A user with the token's fields filled in.
    pub fn from_token(token: &Token, raw_user: Map<String, Value>) -> AuthUser {
        AuthUser {
            access_token: token.access_token.clone(),
            refresh_token: token.refresh_token.clone(),
            expiry: token.expiry.clone(),
            raw_user,
            ..AuthUser::default()
        }
    }

    /// The `meta` of the auth response. Keys are sorted at every level, as PocketBase (which
    /// serialises a map) sends them; `avatarUrl` is the legacy twin of `avatarURL`.
    pub fn meta(&self, is_new: bool) -> Value {
        let mut meta = Map::new();
        meta.insert(
            "accessToken".into(),
            Value::String(self.access_token.clone()),
        );
        meta.insert("avatarURL".into(), Value::String(self.avatar_url.clone()));
        meta.insert("avatarUrl".into(), Value::String(self.avatar_url.clone()));
        meta.insert("email".into(), Value::String(self.email.clone()));
        meta.insert("expiry".into(), Value::String(self.expiry.clone()));
        meta.insert("id".into(), Value::String(self.id.clone()));
        meta.insert("isNew".into(), Value::Bool(is_new));
        meta.insert("name".into(), Value::String(self.name.clone()));
        meta.insert(
            "rawUser".into(),
            sorted(&Value::Object(self.raw_user.clone())),
        );
        meta.insert(
            "refreshToken".into(),
            Value::String(self.refresh_token.clone()),
        );
        meta.insert("username".into(), Value::String(self.username.clone()));
        Value::Object(meta)
    }
}

/// `value` with the keys of every object sorted.
pub fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut keys: Vec<&String> = object.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|key| (key.clone(), sorted(&object[key])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// A JSON value as PocketBase's lenient bool cast reads it (`true`, `"true"`, `"1"`, `1` …).
pub fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => {
            matches!(text.to_ascii_lowercase().as_str(), "1" | "t" | "true")
        }
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn meta_keys_are_sorted_everywhere() {
        let raw = json!({"z": 1, "a": {"y": 1, "b": 2}});
        let user = AuthUser {
            id: "1".into(),
            raw_user: raw.as_object().cloned().unwrap_or_default(),
            ..AuthUser::default()
        };
        let meta = user.meta(true);
        let keys: Vec<&String> = meta
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "accessToken",
                "avatarURL",
                "avatarUrl",
                "email",
                "expiry",
                "id",
                "isNew",
                "name",
                "rawUser",
                "refreshToken",
                "username"
            ]
        );
        assert_eq!(meta["rawUser"].to_string(), r#"{"a":{"b":2,"y":1},"z":1}"#);
        assert!(truthy(Some(&json!("true"))) && !truthy(Some(&json!("no"))));
    }
}
