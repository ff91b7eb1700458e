//! The collections of a fresh data dir (`_mfas`, `_otps`, `_externalAuths`, `_authOrigins`,
//! `_superusers`, `users`) and the scaffolds new collections start from.
//!
//! The definitions are the JSON PocketBase 0.40 serves for a brand-new data dir, kept as an
//! asset; fresh token secrets and timestamps are filled in when a data dir is created.

use serde_json::Value;

use crate::collection::{Collection, CollectionType};
use crate::field::Field;

const SYSTEM_COLLECTIONS: &str = include_str!("../assets/system-collections.json");

/// Name of the superusers collection.
pub const SUPERUSERS: &str = "_superusers";

fn system_json() -> Vec<Value> {
    serde_json::from_str(SYSTEM_COLLECTIONS).unwrap_or_default()
}

/// The collections a fresh data dir starts with, stamped with `now` and with fresh secrets.
pub fn fresh_collections(now: &str) -> Vec<Collection> {
    system_json()
        .iter()
        .filter_map(|item| Collection::from_json(item).ok())
        .map(|mut collection| {
            collection.created = now.to_string();
            collection.updated = now.to_string();
            if let Some(auth) = collection.auth.as_mut() {
                auth.fill_missing_secrets();
            }
            collection
        })
        .collect()
}

/// The system fields every auth collection has, in PocketBase's order:
/// `id, password, tokenKey, email, emailVisibility, verified`.
pub fn auth_system_fields() -> Vec<Field> {
    fresh_collections("")
        .into_iter()
        .find(|collection| collection.name == SUPERUSERS)
        .map(|collection| {
            collection
                .fields
                .into_iter()
                .filter(|field| field.name != "created" && field.name != "updated")
                .collect()
        })
        .unwrap_or_default()
}

/// The unique indexes every auth collection has on `tokenKey` and `email`.
pub fn auth_indexes(collection_id: &str, table: &str) -> Vec<String> {
    vec![
        format!("CREATE UNIQUE INDEX `idx_tokenKey_{collection_id}` ON `{table}` (`tokenKey`)"),
        format!(
            "CREATE UNIQUE INDEX `idx_email_{collection_id}` ON `{table}` (`email`) WHERE `email` != ''"
        ),
    ]
}

/// The template a new collection of `collection_type` starts from, in API JSON (empty name and
/// id, default options). Used by `GET /api/collections/meta/scaffolds` and by create.
pub fn scaffold(collection_type: CollectionType) -> Value {
    let mut collection = Collection::bare("", collection_type, vec![Field::primary_id()]);
    match collection_type {
        CollectionType::Base => {}
        CollectionType::View => collection.fields.clear(),
        CollectionType::Auth => {
            let users = fresh_collections("")
                .into_iter()
                .find(|collection| collection.name == "users");
            if let Some(mut auth) = users.and_then(|users| users.auth) {
                auth.oauth2.mapped_fields = crate::oauth2::OAuth2MappedFields::default();
                collection.auth = Some(auth);
            }
            collection.fields = auth_system_fields();
            let suffix = crate::ids::random_string(10, crate::ids::RECORD_ID_ALPHABET);
            collection.indexes = auth_indexes(&suffix, "");
        }
    }
    collection.to_api_json()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fresh_data_dir_has_the_six_system_collections() {
        let names: Vec<String> = fresh_collections("2024-01-01 00:00:00.000Z")
            .into_iter()
            .map(|collection| collection.name)
            .collect();
        assert_eq!(
            names,
            [
                "_mfas",
                "_otps",
                "_externalAuths",
                "_authOrigins",
                "_superusers",
                "users"
            ]
        );
    }

    #[test]
    fn auth_scaffold_has_system_fields_and_default_durations() {
        let scaffold = scaffold(CollectionType::Auth);
        let names: Vec<&str> = scaffold["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|field| field["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "id",
                "password",
                "tokenKey",
                "email",
                "emailVisibility",
                "verified"
            ]
        );
        assert_eq!(scaffold["authToken"]["duration"], 432000);
        assert!(scaffold["authToken"].get("secret").is_none());
        assert_eq!(scaffold["passwordAuth"]["identityFields"], json!(["email"]));
    }
}
