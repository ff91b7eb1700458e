//! Interoperability with the real PocketBase 0.40.6 binary, when `PB_REFERENCE_BIN` names it
//! (skipped otherwise; the end-to-end suite covers it too): a data dir PocketBase created opens
//! as is and serves its data, and PocketBase accepts a data dir this store created.

use std::path::Path;
use std::process::Command;

use pb_core::ports::SqlValue;

use super::*;

fn reference_bin() -> Option<String> {
    let bin = std::env::var("PB_REFERENCE_BIN")
        .ok()
        .filter(|bin| !bin.is_empty());
    if bin.is_none() {
        eprintln!("PB_REFERENCE_BIN is not set: skipping the PocketBase interoperability test");
    }
    bin
}

fn upsert_superuser(bin: &str, dir: &Path, email: &str) {
    let output = Command::new(bin)
        .args([
            "superuser",
            "upsert",
            email,
            "Passw0rd!123",
            &format!("--dir={}", dir.display()),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Every `CREATE` statement of the file, read without going through the store.
fn raw_schema(path: &Path) -> Vec<String> {
    let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    diesel::sql_query("SELECT coalesce(sql, name) AS value FROM sqlite_master ORDER BY name")
        .load::<TextRow>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|row| row.value)
        .collect()
}

fn superuser(store: &SqliteStore, email: &str) -> pb_core::Record {
    read(store, |tx| {
        let superusers = tx
            .collections()?
            .into_iter()
            .find(|collection| collection.name == "_superusers")
            .unwrap();
        Ok(tx.find_records_by_field(&superusers, "email", &SqlValue::Text(email.into()), 2)?)
    })
    .unwrap()
    .pop()
    .unwrap()
}

#[test]
fn a_pocketbase_data_dir_opens_as_is() {
    let Some(bin) = reference_bin() else { return };
    let dir = tempfile::tempdir().unwrap();
    upsert_superuser(&bin, dir.path(), "a@b.com");
    let before = raw_schema(&dir.path().join(crate::DATA_DB));
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(raw_schema(&dir.path().join(crate::DATA_DB)), before);

    let names: Vec<String> = read(&store, |tx| {
        Ok(tx
            .collections()?
            .into_iter()
            .map(|collection| collection.name)
            .collect())
    })
    .unwrap();
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
    let record = superuser(&store, "a@b.com");
    assert_eq!(record.id().len(), 15);
    assert!(record.get_str("password").starts_with("$2a$"));
    assert_eq!(record.get("verified"), Some(&json!(true)));
    assert_eq!(record.get("emailVisibility"), Some(&json!(false)));
    assert_eq!(record.get_str("tokenKey").len(), 50);
    let settings = read(&store, |tx| Ok(tx.get_param("settings")?))
        .unwrap()
        .unwrap();
    assert_eq!(settings["meta"]["appName"], "Acme");
}

#[test]
fn pocketbase_accepts_a_data_dir_created_here() {
    let Some(bin) = reference_bin() else { return };
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let migrations_before = {
        let store = SqliteStore::open(dir.path()).unwrap();
        strings(
            &store,
            "SELECT file AS value FROM _migrations ORDER BY file",
        )
    };
    // PocketBase loads our collections, validates and inserts a superuser through our indexes.
    upsert_superuser(&bin, dir.path(), "z@b.com");
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(
        strings(
            &store,
            "SELECT file AS value FROM _migrations ORDER BY file"
        ),
        migrations_before
    );
    let record = superuser(&store, "z@b.com");
    assert!(record.get_str("password").starts_with("$2a$"));
}
