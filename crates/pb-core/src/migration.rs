//! Schema migrations as data: a migration file is a JSON document with an `up` and a `down`
//! list of operations on collection definitions, so that a change reads well in a diff and
//! replays on any data dir without running code.
//!
//! ```json
//! {
//!   "up":   [{"op": "upsert", "collection": {"id": "pbc_1", "name": "posts", …}}],
//!   "down": [{"op": "delete", "id": "pbc_1", "name": "posts"}]
//! }
//! ```
//!
//! `upsert` carries a full definition (as `GET /api/collections/{id}` shows it, plus
//! `created`/`updated`), so applying it yields the same collection wherever it runs. Secrets
//! are never written, since migration files are meant for git: token signing secrets are left
//! out, and so are OAuth2 providers (client ids and secrets are per deployment, as in
//! PocketBase's own migrations). Applying an upsert to an existing collection keeps its stored
//! secrets and providers; a new collection gets fresh token secrets and no providers.
//! `delete` names a collection by id (the name is there for readers). Files are named
//! `<unix seconds>_<label>.json` and applied in file-name order, as PocketBase orders its own.
//!
//! This module is the pure part: building the migration of a collection change and applying
//! operations through a [`StoreTx`]. Reading and writing the files is the binary's job.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::collection::Collection;
use crate::error::{CoreError, StoreError};
use crate::json_merge::merge;
use crate::ports::StoreTx;
use crate::validate::collection::{complete_collection, validate_collection};

/// The extension of migration files (their history rows end with it too).
pub const FILE_EXTENSION: &str = ".json";

/// One migration file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Migration {
    /// Applied by `migrate up` (and at `serve` start-up), in order.
    pub up: Vec<Operation>,
    /// Applied by `migrate down`, in order; undoes `up`.
    pub down: Vec<Operation>,
}

/// One change to the schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Operation {
    /// Creates the collection, or replaces the one with the same id (or else the same name).
    Upsert { collection: Value },
    /// Deletes the collection with this id (or, failing that, this name).
    Delete {
        id: String,
        #[serde(default)]
        name: String,
    },
}

/// What a collection change did, for the file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Deleted => "deleted",
        }
    }
}

/// A collection's definition as a migration file holds it: the API JSON, without secrets and
/// without OAuth2 providers.
pub fn definition(collection: &Collection) -> Value {
    let mut json = collection.to_api_json();
    if let Some(oauth2) = json.get_mut("oauth2").and_then(Value::as_object_mut) {
        oauth2.remove("providers");
    }
    json
}

/// `json` (a definition without secrets) laid over the stored definition of `old`, secrets
/// included, the way the API lays a PATCH over it: what the file does not say (secrets,
/// OAuth2 providers) stays as stored.
fn over_stored(json: &Value, old: &Collection) -> Value {
    let mut stored = old.to_api_json();
    merge(&mut stored, &old.options_json());
    merge(&mut stored, json);
    stored
}

/// The migration of one change: `up` brings `old` to `new`, `down` brings it back. `None`
/// when nothing changed (both absent, or the same definition apart from `updated`).
pub fn for_change(
    old: Option<&Collection>,
    new: Option<&Collection>,
) -> Option<(ChangeKind, String, Migration)> {
    let upsert = |collection: &Collection| Operation::Upsert {
        collection: definition(collection),
    };
    let delete = |collection: &Collection| Operation::Delete {
        id: collection.id.clone(),
        name: collection.name.clone(),
    };
    match (old, new) {
        (None, None) => None,
        (None, Some(new)) => Some((
            ChangeKind::Created,
            new.name.clone(),
            Migration {
                up: vec![upsert(new)],
                down: vec![delete(new)],
            },
        )),
        (Some(old), None) => Some((
            ChangeKind::Deleted,
            old.name.clone(),
            Migration {
                up: vec![delete(old)],
                down: vec![upsert(old)],
            },
        )),
        (Some(old), Some(new)) => {
            let mut same = old.clone();
            same.updated = new.updated.clone();
            if same == *new {
                return None;
            }
            Some((
                ChangeKind::Updated,
                old.name.clone(),
                Migration {
                    up: vec![upsert(new)],
                    down: vec![upsert(old)],
                },
            ))
        }
    }
}

/// The file name of a migration: `<unix seconds>_<label>.json`, the label snake-cased. A label
/// ending in `test` gets a trailing `_` (as PocketBase does, so no file looks like a test).
pub fn file_name(unix_seconds: i64, label: &str) -> String {
    let mut label = crate::inflect::snake_case(label);
    if label.ends_with("test") {
        label.push('_');
    }
    format!("{unix_seconds}_{label}{FILE_EXTENSION}")
}

/// The label of a change's file: `created_posts`, `updated_posts`, `deleted_posts`.
pub fn change_label(kind: ChangeKind, collection_name: &str) -> String {
    format!("{}_{}", kind.as_str(), collection_name)
}

/// Applies `operations` in order inside the caller's transaction. Each upserted definition is
/// completed and validated like one sent to the API (against the collections as they are at
/// that point); its `created` and `updated` are kept when given, so a replay reads the same.
pub fn apply(tx: &mut dyn StoreTx, operations: &[Operation], now: &str) -> Result<(), CoreError> {
    for operation in operations {
        let existing = tx.collections()?;
        match operation {
            Operation::Upsert { collection } => {
                let parse = |json: &Value| {
                    Collection::from_json(json).map_err(|reason| {
                        CoreError::BadRequest(format!("invalid collection definition: {reason}"))
                    })
                };
                let parsed = parse(collection)?;
                let old = find(&existing, &parsed.id, &parsed.name).cloned();
                let mut new = match &old {
                    Some(old) => parse(&over_stored(collection, old))?,
                    None => parsed,
                };
                if let Some(old) = &old {
                    new.id = old.id.clone();
                }
                let (created, updated) = (new.created.clone(), new.updated.clone());
                complete_collection(&mut new, old.as_ref(), now);
                if let Some(auth) = new.auth.as_mut() {
                    auth.fill_missing_secrets();
                }
                if !created.is_empty() {
                    new.created = created;
                }
                if !updated.is_empty() {
                    new.updated = updated;
                }
                validate_collection(&new, old.as_ref(), &existing)
                    .map_err(CoreError::Validation)?;
                match &old {
                    Some(old) => tx.update_collection(old, &new)?,
                    None => tx.insert_collection(&new)?,
                }
            }
            Operation::Delete { id, name } => {
                let Some(old) = find(&existing, id, name) else {
                    return Err(CoreError::Store(StoreError::Database(format!(
                        "cannot delete the missing collection {id:?} ({name:?})"
                    ))));
                };
                tx.delete_collection(old)?;
            }
        }
    }
    Ok(())
}

fn find<'a>(existing: &'a [Collection], id: &str, name: &str) -> Option<&'a Collection> {
    existing
        .iter()
        .find(|collection| !id.is_empty() && collection.id == id)
        .or_else(|| {
            existing
                .iter()
                .find(|collection| !name.is_empty() && collection.name.eq_ignore_ascii_case(name))
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn posts() -> Collection {
        let mut json = crate::system::scaffold(crate::CollectionType::Base);
        merge(&mut json, &json!({"id": "pbc_1", "name": "posts"}));
        let mut collection = Collection::from_json(&json).unwrap();
        complete_collection(&mut collection, None, "2024-01-01 00:00:00.000Z");
        collection
    }

    #[test]
    fn created_updated_and_deleted_changes_undo_each_other() {
        let old = posts();
        let mut new = old.clone();
        new.list_rule = Some(String::new());
        new.updated = "2024-01-02 00:00:00.000Z".into();

        let (kind, name, created) = for_change(None, Some(&old)).unwrap();
        assert_eq!((kind, name.as_str()), (ChangeKind::Created, "posts"));
        assert_eq!(
            created.down,
            vec![Operation::Delete {
                id: "pbc_1".into(),
                name: "posts".into()
            }]
        );
        let (kind, _, updated) = for_change(Some(&old), Some(&new)).unwrap();
        assert_eq!(kind, ChangeKind::Updated);
        assert_eq!(
            updated.down,
            vec![Operation::Upsert {
                collection: definition(&old)
            }]
        );
        let (kind, _, deleted) = for_change(Some(&new), None).unwrap();
        assert_eq!(kind, ChangeKind::Deleted);
        assert_eq!(deleted.up, created.down);
    }

    fn users_with_a_provider() -> Collection {
        let mut users = crate::system::fresh_collections("2024-01-01 00:00:00.000Z")
            .into_iter()
            .find(|collection| collection.name == "users")
            .unwrap();
        let auth = users.auth.as_mut().unwrap();
        auth.oauth2.enabled = true;
        auth.oauth2.providers = serde_json::from_value(json!([
            {"name": "github", "clientId": "id-1", "clientSecret": "very-secret"}
        ]))
        .unwrap();
        users
    }

    #[test]
    fn files_hold_no_secrets_and_applying_keeps_the_stored_ones() {
        let users = users_with_a_provider();
        let auth = users.auth.as_ref().unwrap();
        let written = definition(&users);
        let text = written.to_string();
        assert!(!text.contains(&auth.auth_token.secret), "{text}");
        assert!(!text.contains("very-secret"), "{text}");
        assert!(written["oauth2"].get("providers").is_none(), "{text}");
        assert_eq!(written["oauth2"]["enabled"], json!(true));

        let mut changed = written.clone();
        changed["listRule"] = json!("id != ''");
        let applied = Collection::from_json(&over_stored(&changed, &users)).unwrap();
        let applied_auth = applied.auth.as_ref().unwrap();
        assert_eq!(applied.list_rule.as_deref(), Some("id != ''"));
        assert_eq!(applied_auth.auth_token.secret, auth.auth_token.secret);
        assert_eq!(
            applied_auth.password_reset_token.secret,
            auth.password_reset_token.secret
        );
        assert_eq!(applied_auth.oauth2.providers, auth.oauth2.providers);
    }

    #[test]
    fn an_unchanged_definition_needs_no_migration() {
        let old = posts();
        let mut touched = old.clone();
        touched.updated = "2030-01-01 00:00:00.000Z".into();
        assert_eq!(for_change(Some(&old), Some(&touched)), None);
        assert_eq!(for_change(None, None), None);
    }

    #[test]
    fn files_round_trip_and_are_named_like_pocketbase() {
        assert_eq!(
            file_name(1700000000, &change_label(ChangeKind::Created, "myPosts")),
            "1700000000_created_my_posts.json"
        );
        assert_eq!(file_name(1, "latest test"), "1_latest_test_.json");
        let (_, _, migration) = for_change(None, Some(&posts())).unwrap();
        let text = serde_json::to_string_pretty(&migration).unwrap();
        assert!(text.contains("\"op\": \"upsert\""));
        assert_eq!(serde_json::from_str::<Migration>(&text).unwrap(), migration);
        assert_eq!(
            serde_json::from_str::<Migration>("{}").unwrap(),
            Migration::default()
        );
    }
}
