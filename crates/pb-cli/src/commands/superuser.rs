//! `pb superuser create|upsert|update|delete`: manages `_superusers` records straight through
//! the store, with the same validation the API applies.

use anyhow::{anyhow, Context};
use pb_core::ports::{write_with, SqlValue, Store};
use pb_core::validate::record::{prepare_create, prepare_update, Actor};
use pb_core::{CoreError, Record};
use serde_json::{json, Map, Value};

use crate::args::{GlobalArgs, SuperuserCommand};

pub(crate) fn run(global: &GlobalArgs, command: SuperuserCommand) -> anyhow::Result<()> {
    let store = pb_store::SqliteStore::open(&global.dir)
        .with_context(|| format!("failed to open the data dir {}", global.dir.display()))?;
    match command {
        SuperuserCommand::Create { email, password } => {
            save(&store, &email, &password, Mode::CreateOnly)?;
            println!("Successfully created new superuser \"{email}\"!");
        }
        SuperuserCommand::Upsert { email, password } => {
            save(&store, &email, &password, Mode::Upsert)?;
            println!("Successfully saved superuser \"{email}\"!");
        }
        SuperuserCommand::Update { email, password } => {
            save(&store, &email, &password, Mode::UpdateOnly)?;
            println!("Successfully changed superuser \"{email}\" password!");
        }
        SuperuserCommand::Delete { email } => {
            delete(&store, &email)?;
            println!("Successfully deleted superuser \"{email}\"!");
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    CreateOnly,
    UpdateOnly,
    Upsert,
}

fn find_superuser(
    tx: &mut dyn pb_core::ports::StoreTx,
    email: &str,
) -> Result<(pb_core::Collection, Option<Record>), CoreError> {
    let collection = tx
        .collections()?
        .into_iter()
        .find(|collection| collection.name == pb_core::system::SUPERUSERS)
        .ok_or(CoreError::NotFound)?;
    let existing = tx
        .find_records_by_field(&collection, "email", &SqlValue::Text(email.to_string()), 1)?
        .into_iter()
        .next();
    Ok((collection, existing))
}

fn save(store: &dyn Store, email: &str, password: &str, mode: Mode) -> anyhow::Result<()> {
    let hasher = pb_http::auth::password::Hasher;
    let actor = Actor {
        is_superuser: true,
        is_manager: true,
        hasher: &hasher,
    };
    let mut input = Map::new();
    input.insert("email".into(), Value::String(email.to_string()));
    input.insert("password".into(), Value::String(password.to_string()));
    input.insert(
        "passwordConfirm".into(),
        Value::String(password.to_string()),
    );
    input.insert("verified".into(), json!(true));
    let outcome = write_with(store, |tx| {
        let (collection, existing) = find_superuser(tx, email)?;
        let now = pb_core::datetime::now();
        match existing {
            Some(_) if mode == Mode::CreateOnly => Err(CoreError::BadRequest(
                "a superuser with this email already exists".into(),
            )),
            None if mode == Mode::UpdateOnly => Err(CoreError::NotFound),
            Some(current) => {
                let prepared = prepare_update(&collection, &current, &input, &actor, &now)?;
                tx.update_record(&collection, &prepared.record)?;
                Ok(())
            }
            None => {
                let prepared = prepare_create(&collection, &input, &actor, &now)?;
                tx.insert_record(&collection, &prepared.record)?;
                // The first real superuser ends the first-run installer.
                pb_http::installer::forget_placeholder_after_create(
                    tx,
                    &collection,
                    &prepared.record,
                )?;
                Ok(())
            }
        }
    });
    outcome.map_err(|error| describe(error, email))
}

fn delete(store: &dyn Store, email: &str) -> anyhow::Result<()> {
    write_with(store, |tx| {
        let (collection, existing) = find_superuser(tx, email)?;
        let record = existing.ok_or(CoreError::NotFound)?;
        tx.delete_record(&collection, record.id())?;
        Ok(())
    })
    .map_err(|error| describe(error, email))
}

fn describe(error: CoreError, email: &str) -> anyhow::Error {
    match error {
        CoreError::NotFound => anyhow!("superuser \"{email}\" was not found"),
        CoreError::Validation(errors) => anyhow!("invalid superuser data: {}", errors.to_json()),
        CoreError::BadRequest(message) => anyhow!(message),
        CoreError::Store(error) => anyhow!("database error: {error}"),
    }
}
