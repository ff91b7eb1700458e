//! First-run installer, as PocketBase does it: while `_superusers` holds no real superuser,
//! `pb serve` keeps one placeholder superuser (`__pbinstaller@example.com`, random password) and
//! prints a dashboard link `/_/#/pbinstall/<token>` carrying a short-lived, non-refreshable auth
//! token of that placeholder. The dashboard's installer page uses the token to create the first
//! real superuser through the ordinary records API; creating any other superuser deletes the
//! placeholder in the same transaction, which also revokes the token.
//!
//! The placeholder is a real row (PocketBase lists it too), so a restart before the setup is
//! finished reuses it and prints a fresh link.

use pb_core::ports::{write_with, RecordQuery, SqlValue, Store, StoreTx};
use pb_core::validate::record::{prepare_create, Actor};
use pb_core::{Collection, CoreError, Record};
use serde_json::{Map, Value};

use crate::auth::password::Hasher;
use crate::auth::record_tokens::{sign_record_token, TokenType};
use crate::auth::token::TokenClaims;

/// The email of the placeholder superuser (the same address PocketBase uses, so data dirs move
/// between the two servers either way).
pub const INSTALLER_EMAIL: &str = "__pbinstaller@example.com";

/// How long an installer link works: 30 minutes, as in PocketBase.
pub const INSTALLER_TOKEN_SECONDS: i64 = 30 * 60;

/// The dashboard route of the installer page, below `/_/`.
pub const INSTALLER_ROUTE: &str = "#/pbinstall/";

/// The installer token when the data dir has no real superuser yet (creating the placeholder
/// if needed), `None` once one exists.
pub fn installer_token(store: &dyn Store) -> Result<Option<String>, CoreError> {
    let password = pb_core::ids::random_string(30, pb_core::ids::SECRET_ALPHABET);
    write_with(store, |tx| {
        let collection = superusers(tx)?;
        let placeholder = find_placeholder(tx, &collection)?;
        let total = tx.count_records(&collection, &RecordQuery::default())?;
        let real = total.saturating_sub(u64::from(placeholder.is_some()));
        if real > 0 {
            return Ok(None);
        }
        let record = match placeholder {
            Some(record) => record,
            None => create_placeholder(tx, &collection, &password)?,
        };
        let token = sign_record_token(
            &collection,
            &record,
            TokenType::Auth,
            TokenClaims {
                refreshable: Some(false),
                ..TokenClaims::new("", "", "")
            },
            INSTALLER_TOKEN_SECONDS,
        )
        .ok_or_else(|| CoreError::BadRequest("failed to sign the installer token".into()))?;
        Ok(Some(token))
    })
}

/// The link `pb serve` prints: `{base_url}/_/#/pbinstall/{token}`.
pub fn installer_link(base_url: &str, token: &str) -> String {
    format!(
        "{}/_/{INSTALLER_ROUTE}{token}",
        base_url.trim_end_matches('/')
    )
}

/// Called after a record of `collection` was inserted: when it is a real superuser, deletes the
/// placeholder (if any) in the same transaction.
pub fn forget_placeholder_after_create(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    created: &Record,
) -> Result<(), CoreError> {
    if collection.name != pb_core::system::SUPERUSERS || is_placeholder(created) {
        return Ok(());
    }
    if let Some(placeholder) = find_placeholder(tx, collection)? {
        tx.delete_record(collection, placeholder.id())?;
    }
    Ok(())
}

/// Whether `record` is the installer's placeholder superuser.
pub fn is_placeholder(record: &Record) -> bool {
    record.get_str("email") == INSTALLER_EMAIL
}

fn superusers(tx: &mut dyn StoreTx) -> Result<Collection, CoreError> {
    tx.collections()?
        .into_iter()
        .find(|collection| collection.name == pb_core::system::SUPERUSERS)
        .ok_or(CoreError::NotFound)
}

fn find_placeholder(
    tx: &mut dyn StoreTx,
    collection: &Collection,
) -> Result<Option<Record>, CoreError> {
    let email = SqlValue::Text(INSTALLER_EMAIL.to_string());
    Ok(tx
        .find_records_by_field(collection, "email", &email, 1)?
        .into_iter()
        .next())
}

fn create_placeholder(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    password: &str,
) -> Result<Record, CoreError> {
    let actor = Actor {
        is_superuser: true,
        is_manager: true,
        hasher: &Hasher,
    };
    let mut input = Map::new();
    input.insert("email".into(), Value::String(INSTALLER_EMAIL.into()));
    input.insert("password".into(), Value::String(password.into()));
    input.insert("passwordConfirm".into(), Value::String(password.into()));
    input.insert("verified".into(), Value::Bool(true));
    let prepared = prepare_create(collection, &input, &actor, &pb_core::datetime::now())?;
    tx.insert_record(collection, &prepared.record)?;
    Ok(prepared.record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_point_at_the_dashboard_installer_route() {
        assert_eq!(
            installer_link("http://127.0.0.1:8090/", "abc.def.ghi"),
            "http://127.0.0.1:8090/_/#/pbinstall/abc.def.ghi"
        );
    }
}
