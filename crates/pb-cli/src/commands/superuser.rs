//! `pb superuser create|upsert|update|delete|ips|otp`: manages `_superusers` records (and the
//! superuser IPs whitelist) straight through the store, with the same validation the API
//! applies.

use anyhow::{anyhow, Context};
use pb_core::ports::{write_with, SqlValue, Store};
use pb_core::settings::{self, SETTINGS_KEY};
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
        SuperuserCommand::Ips { ips } => {
            set_ips(&store, &ips)?;
            print_ips(&ips);
        }
        SuperuserCommand::Otp { email } => {
            let otp = create_otp(&store, &email)?;
            println!("Successfully created OTP for superuser \"{email}\":");
            println!("├─ Id:    {}", otp.id);
            println!("├─ Pass:  {}", otp.password);
            println!("└─ Valid: {}s", otp.duration);
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

/// Replaces `superuserIPs` in the stored settings, validated as the settings API does.
fn set_ips(store: &dyn Store, ips: &[String]) -> anyhow::Result<()> {
    write_with(store, |tx| {
        let stored = tx
            .get_param(SETTINGS_KEY)?
            .unwrap_or_else(settings::defaults);
        let updated = settings::apply_patch(&stored, &json!({ "superuserIPs": ips }));
        settings::validate(&updated).map_err(CoreError::Validation)?;
        tx.set_param(SETTINGS_KEY, &updated)?;
        Ok(())
    })
    .map_err(|error| match error {
        CoreError::Validation(errors) => {
            let problems: Vec<String> = errors.to_json()["superuserIPs"]
                .as_object()
                .map(|by_index| {
                    by_index
                        .iter()
                        .map(|(index, error)| {
                            let message = error["message"].as_str().unwrap_or("invalid");
                            format!("{index}: {}", message.to_lowercase())
                        })
                        .collect()
                })
                .unwrap_or_default();
            anyhow!("superuserIPs: ({}).", problems.join("; "))
        }
        other => describe(other, ""),
    })
}

fn print_ips(ips: &[String]) {
    if ips.is_empty() {
        println!("Successfully cleared SuperuserIPs setting!");
        return;
    }
    println!("Successfully updated SuperuserIPs setting:");
    for (index, ip) in ips.iter().enumerate() {
        let branch = if index + 1 == ips.len() {
            "└─"
        } else {
            "├─"
        };
        println!("{branch} {ip}");
    }
}

/// A new OTP: its `_otps` id, the password itself, and how long it stays valid (seconds).
struct NewOtp {
    id: String,
    password: String,
    duration: i64,
}

fn create_otp(store: &dyn Store, email: &str) -> anyhow::Result<NewOtp> {
    let now = pb_core::datetime::now();
    // Hashing is slow on purpose: done before the write transaction, as the API does.
    let prepared = pb_core::ports::read_with(store, |tx| {
        let (collection, existing) = find_superuser(tx, email)?;
        Ok((collection, existing))
    })
    .map_err(|error| describe(error, email))?;
    let (collection, Some(record)) = prepared else {
        return Err(anyhow!("superuser with email \"{email}\" doesn't exist"));
    };
    let otp_options = collection
        .auth
        .as_ref()
        .map(|auth| auth.otp.clone())
        .unwrap_or_default();
    if !otp_options.enabled {
        return Err(anyhow!(
            "OTP auth is not enabled for the {} collection",
            collection.name
        ));
    }
    let password = pb_http::auth::otp::generate_password(otp_options.length);
    let hash = pb_http::auth::otp::hash_password(&password);
    let row = write_with(store, |tx| {
        let otps = tx
            .collections()?
            .into_iter()
            .find(|candidate| candidate.name == pb_http::auth::refs::OTPS)
            .ok_or(CoreError::NotFound)?;
        Ok(pb_http::auth::otp::insert_otp(
            tx,
            &otps,
            &collection,
            &record,
            &hash,
            "",
            &now,
        )?)
    })
    .map_err(|error| describe(error, email))?;
    Ok(NewOtp {
        id: row.id().to_string(),
        password,
        duration: otp_options.duration,
    })
}

fn describe(error: CoreError, email: &str) -> anyhow::Error {
    match error {
        CoreError::NotFound => anyhow!("superuser \"{email}\" was not found"),
        CoreError::Validation(errors) => anyhow!("invalid superuser data: {}", errors.to_json()),
        CoreError::BadRequest(message) => anyhow!(message),
        CoreError::Store(error) => anyhow!("database error: {error}"),
    }
}
