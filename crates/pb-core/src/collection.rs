//! Collections: a named, typed set of fields with access rules, indexes and (for auth and view
//! collections) type-specific options.
//!
//! Two JSON shapes exist. The API shape ([`Collection::to_api_json`]) is what clients see: flat,
//! with type-specific options at the top level and token secrets left out. The stored shape
//! ([`Collection::options_json`]) is the `options` column of `_collections`, secrets included.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::field::{Field, FieldKind};

/// `base`, `auth` or `view`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CollectionType {
    Base,
    Auth,
    View,
}

impl CollectionType {
    pub fn as_str(self) -> &'static str {
        match self {
            CollectionType::Base => "base",
            CollectionType::Auth => "auth",
            CollectionType::View => "view",
        }
    }

    /// Parses `base`, `auth` or `view`.
    pub fn parse(text: &str) -> Option<CollectionType> {
        match text {
            "base" => Some(CollectionType::Base),
            "auth" => Some(CollectionType::Auth),
            "view" => Some(CollectionType::View),
            _ => None,
        }
    }
}

/// A collection definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub id: String,
    pub name: String,
    pub collection_type: CollectionType,
    pub system: bool,
    pub fields: Vec<Field>,
    /// Raw `CREATE [UNIQUE] INDEX` statements, created as written.
    pub indexes: Vec<String>,
    pub list_rule: Option<String>,
    pub view_rule: Option<String>,
    pub create_rule: Option<String>,
    pub update_rule: Option<String>,
    pub delete_rule: Option<String>,
    pub created: String,
    pub updated: String,
    /// The SELECT of a view collection; empty for the other types.
    pub view_query: String,
    /// Options of an auth collection; `None` for the other types.
    pub auth: Option<AuthOptions>,
}

/// A subject/body pair with `{APP_NAME}`-style placeholders.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailTemplate {
    pub subject: String,
    pub body: String,
}

/// Lifetime and signing secret of one token type.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenConfig {
    /// Never served by the API; accepted on write.
    pub secret: String,
    /// Seconds.
    pub duration: i64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthAlertOptions {
    pub enabled: bool,
    pub email_template: EmailTemplate,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OAuth2Options {
    pub providers: Vec<crate::oauth2::OAuth2ProviderConfig>,
    pub mapped_fields: crate::oauth2::OAuth2MappedFields,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PasswordAuthOptions {
    pub enabled: bool,
    pub identity_fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MfaOptions {
    pub enabled: bool,
    pub duration: i64,
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OtpOptions {
    pub enabled: bool,
    pub duration: i64,
    pub length: i64,
    pub email_template: EmailTemplate,
}

/// Everything an auth collection has beyond a base collection.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AuthOptions {
    /// Checked on every successful authentication; `""` means no extra condition.
    pub auth_rule: Option<String>,
    /// Who may change other records' email, password and verified state.
    pub manage_rule: Option<String>,
    pub auth_alert: AuthAlertOptions,
    pub oauth2: OAuth2Options,
    pub password_auth: PasswordAuthOptions,
    pub mfa: MfaOptions,
    pub otp: OtpOptions,
    pub auth_token: TokenConfig,
    pub password_reset_token: TokenConfig,
    pub email_change_token: TokenConfig,
    pub verification_token: TokenConfig,
    pub file_token: TokenConfig,
    pub verification_template: EmailTemplate,
    pub reset_password_template: EmailTemplate,
    pub confirm_email_change_template: EmailTemplate,
}

const TOKEN_KEYS: [&str; 5] = [
    "authToken",
    "passwordResetToken",
    "emailChangeToken",
    "verificationToken",
    "fileToken",
];

impl AuthOptions {
    /// Gives every token config without a secret a fresh one (new collections, imports).
    pub fn fill_missing_secrets(&mut self) {
        for config in [
            &mut self.auth_token,
            &mut self.password_reset_token,
            &mut self.email_change_token,
            &mut self.verification_token,
            &mut self.file_token,
        ] {
            if config.secret.is_empty() {
                config.secret = crate::ids::new_secret();
            }
        }
    }
}

impl Collection {
    /// A collection of `collection_type` named `name` (also its id) with `fields` and nothing
    /// else: no rules (superusers only), no indexes, no timestamps, no view query or auth
    /// options. For describing tables that are not user collections (`_logs`,
    /// `_collections`), scaffolds and previews.
    pub fn bare(name: &str, collection_type: CollectionType, fields: Vec<Field>) -> Collection {
        Collection {
            id: name.to_string(),
            name: name.to_string(),
            collection_type,
            system: false,
            fields,
            indexes: Vec::new(),
            list_rule: None,
            view_rule: None,
            create_rule: None,
            update_rule: None,
            delete_rule: None,
            created: String::new(),
            updated: String::new(),
            view_query: String::new(),
            auth: None,
        }
    }

    /// The field with this name, if any.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    pub fn is_auth(&self) -> bool {
        self.collection_type == CollectionType::Auth
    }

    pub fn is_view(&self) -> bool {
        self.collection_type == CollectionType::View
    }

    /// The collection as the API serves it: token secrets and OAuth2 client secrets left out.
    pub fn to_api_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), Value::String(self.id.clone()));
        for (key, rule) in [
            ("listRule", &self.list_rule),
            ("viewRule", &self.view_rule),
            ("createRule", &self.create_rule),
            ("updateRule", &self.update_rule),
            ("deleteRule", &self.delete_rule),
        ] {
            object.insert(key.into(), rule_json(rule));
        }
        object.insert("name".into(), Value::String(self.name.clone()));
        object.insert(
            "type".into(),
            Value::String(self.collection_type.as_str().into()),
        );
        object.insert(
            "fields".into(),
            serde_json::to_value(&self.fields).unwrap_or(Value::Array(Vec::new())),
        );
        object.insert(
            "indexes".into(),
            Value::Array(self.indexes.iter().cloned().map(Value::String).collect()),
        );
        object.insert("created".into(), Value::String(self.created.clone()));
        object.insert("updated".into(), Value::String(self.updated.clone()));
        object.insert("system".into(), Value::Bool(self.system));
        if let Value::Object(options) = self.options_json() {
            for (key, mut value) in options {
                strip_secrets(&key, &mut value);
                object.insert(key, value);
            }
        }
        Value::Object(object)
    }

    /// The stored `options` column: auth options with their secrets, or `{"viewQuery": …}`.
    pub fn options_json(&self) -> Value {
        match self.collection_type {
            CollectionType::Auth => self
                .auth
                .as_ref()
                .and_then(|auth| serde_json::to_value(auth).ok())
                .unwrap_or_else(|| Value::Object(Map::new())),
            CollectionType::View => {
                serde_json::json!({ "viewQuery": self.view_query })
            }
            CollectionType::Base => Value::Object(Map::new()),
        }
    }

    /// Rebuilds a collection from the API shape (or the API shape merged with stored options).
    ///
    /// Returns `Err` with a short reason when the JSON is not a collection at all (wrong types,
    /// unknown field type); semantic checks live in [`crate::validate::collection`].
    pub fn from_json(json: &Value) -> Result<Collection, String> {
        let input: CollectionInput = serde_json::from_value(without_null_field_options(json))
            .map_err(|error| error.to_string())?;
        let collection_type = CollectionType::parse(&input.collection_type)
            .ok_or_else(|| format!("invalid collection type {:?}", input.collection_type))?;
        let auth = match collection_type {
            CollectionType::Auth => Some(
                serde_json::from_value::<AuthOptions>(json.clone())
                    .map_err(|error| error.to_string())?,
            ),
            _ => None,
        };
        Ok(Collection {
            id: input.id,
            name: input.name,
            collection_type,
            system: input.system,
            fields: input.fields,
            indexes: input.indexes,
            list_rule: input.list_rule,
            view_rule: input.view_rule,
            create_rule: input.create_rule,
            update_rule: input.update_rule,
            delete_rule: input.delete_rule,
            created: input.created,
            updated: input.updated,
            view_query: input.view_query,
            auth,
        })
    }

    /// The names of the relation fields (in any collection of `all`) that point at this one.
    pub fn referencing_collections<'a>(&self, all: &'a [Collection]) -> Vec<&'a Collection> {
        all.iter()
            .filter(|other| other.id != self.id)
            .filter(|other| {
                other.fields.iter().any(|field| {
                    matches!(&field.kind, FieldKind::Relation(o) if o.collection_id == self.id)
                })
            })
            .collect()
    }
}

/// `json` with the `null` options of its fields left out: PocketBase reads a `null` option
/// (`"min": null` on a text field) as the option's zero value, which is what an absent option
/// gets here too.
fn without_null_field_options(json: &Value) -> Value {
    let mut json = json.clone();
    if let Some(fields) = json.get_mut("fields").and_then(Value::as_array_mut) {
        for field in fields.iter_mut().filter_map(Value::as_object_mut) {
            field.retain(|_, value| !value.is_null());
        }
    }
    json
}

fn rule_json(rule: &Option<String>) -> Value {
    rule.as_ref()
        .map_or(Value::Null, |text| Value::String(text.clone()))
}

fn strip_secrets(key: &str, value: &mut Value) {
    if TOKEN_KEYS.contains(&key) {
        if let Value::Object(config) = value {
            config.remove("secret");
        }
    }
    if key == "oauth2" {
        if let Some(Value::Array(providers)) = value.get_mut("providers") {
            for provider in providers {
                if let Value::Object(provider) = provider {
                    provider.remove("clientSecret");
                }
            }
        }
    }
}

/// The common keys of a collection's JSON, read leniently (missing keys take defaults).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CollectionInput {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(rename = "type", default = "default_type")]
    collection_type: String,
    #[serde(default)]
    system: bool,
    #[serde(default)]
    fields: Vec<Field>,
    #[serde(default)]
    indexes: Vec<String>,
    #[serde(default)]
    list_rule: Option<String>,
    #[serde(default)]
    view_rule: Option<String>,
    #[serde(default)]
    create_rule: Option<String>,
    #[serde(default)]
    update_rule: Option<String>,
    #[serde(default)]
    delete_rule: Option<String>,
    #[serde(default)]
    created: String,
    #[serde(default)]
    updated: String,
    #[serde(default)]
    view_query: String,
}

fn default_type() -> String {
    "base".to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn system_collections_round_trip_through_api_json() {
        let text = include_str!("../assets/system-collections.json");
        let items: Vec<Value> = serde_json::from_str(text).unwrap();
        for item in items {
            let collection = Collection::from_json(&item).unwrap();
            assert_eq!(collection.to_api_json(), item, "{}", collection.name);
        }
    }

    #[test]
    fn api_json_hides_token_secrets() {
        let text = include_str!("../assets/system-collections.json");
        let items: Vec<Value> = serde_json::from_str(text).unwrap();
        let mut users = items
            .iter()
            .map(|item| Collection::from_json(item).unwrap())
            .find(|collection| collection.name == "users")
            .unwrap();
        users.auth.as_mut().unwrap().fill_missing_secrets();
        let api = users.to_api_json();
        assert!(api["authToken"].get("secret").is_none());
        assert_eq!(api["authToken"]["duration"], 432000);
        assert_eq!(
            users.options_json()["authToken"]["secret"]
                .as_str()
                .unwrap()
                .len(),
            50
        );
    }

    #[test]
    fn null_field_options_read_as_absent() {
        let json = serde_json::json!({
            "name": "posts", "type": "base",
            "fields": [
                {"name": "title", "type": "text", "min": null, "max": null, "pattern": null},
                {"name": "views", "type": "number", "min": null, "onlyInt": null}
            ]
        });
        let with_nulls = Collection::from_json(&json).unwrap();
        let without = Collection::from_json(&serde_json::json!({
            "name": "posts", "type": "base",
            "fields": [{"name": "title", "type": "text"}, {"name": "views", "type": "number"}]
        }))
        .unwrap();
        assert_eq!(with_nulls, without);
    }
}
