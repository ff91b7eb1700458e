//! A fresh data dir has PocketBase 0.40.6's layout (the expected text below was read from a
//! data dir the reference binary created; `auxiliary.db` lacks one index on purpose), and
//! reopening it changes nothing.

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;

use super::*;

/// `CREATE TABLE` text of the tables in a fresh PocketBase 0.40.6 `data.db`.
const REFERENCE_TABLES: [(&str, &str); 9] = [
    ("_migrations", "CREATE TABLE `_migrations` (file VARCHAR(255) PRIMARY KEY NOT NULL, applied INTEGER NOT NULL)"),
    ("_params", "CREATE TABLE `_params` (\n\t\t\t`id`      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,\n\t\t\t`value`   JSON DEFAULT NULL,\n\t\t\t`created` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,\n\t\t\t`updated` TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL\n\t\t)"),
    ("_collections", "CREATE TABLE `_collections` (\n\t\t\t\t`id`         TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,\n\t\t\t\t`system`     BOOLEAN DEFAULT FALSE NOT NULL,\n\t\t\t\t`type`       TEXT DEFAULT \"base\" NOT NULL,\n\t\t\t\t`name`       TEXT UNIQUE NOT NULL,\n\t\t\t\t`fields`     JSON DEFAULT \"[]\" NOT NULL,\n\t\t\t\t`indexes`    JSON DEFAULT \"[]\" NOT NULL,\n\t\t\t\t`listRule`   TEXT DEFAULT NULL,\n\t\t\t\t`viewRule`   TEXT DEFAULT NULL,\n\t\t\t\t`createRule` TEXT DEFAULT NULL,\n\t\t\t\t`updateRule` TEXT DEFAULT NULL,\n\t\t\t\t`deleteRule` TEXT DEFAULT NULL,\n\t\t\t\t`options`    JSON DEFAULT \"{}\" NOT NULL,\n\t\t\t\t`created`    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,\n\t\t\t\t`updated`    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL\n\t\t\t)"),
    ("_mfas", "CREATE TABLE `_mfas` (`collectionRef` TEXT DEFAULT '' NOT NULL, `created` TEXT DEFAULT '' NOT NULL, `id` TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, `method` TEXT DEFAULT '' NOT NULL, `recordRef` TEXT DEFAULT '' NOT NULL, `updated` TEXT DEFAULT '' NOT NULL)"),
    ("_otps", "CREATE TABLE `_otps` (`collectionRef` TEXT DEFAULT '' NOT NULL, `created` TEXT DEFAULT '' NOT NULL, `id` TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, `password` TEXT DEFAULT '' NOT NULL, `recordRef` TEXT DEFAULT '' NOT NULL, `sentTo` TEXT DEFAULT '' NOT NULL, `updated` TEXT DEFAULT '' NOT NULL)"),
    ("_externalAuths", "CREATE TABLE `_externalAuths` (`collectionRef` TEXT DEFAULT '' NOT NULL, `created` TEXT DEFAULT '' NOT NULL, `id` TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, `provider` TEXT DEFAULT '' NOT NULL, `providerId` TEXT DEFAULT '' NOT NULL, `recordRef` TEXT DEFAULT '' NOT NULL, `updated` TEXT DEFAULT '' NOT NULL)"),
    ("_authOrigins", "CREATE TABLE `_authOrigins` (`collectionRef` TEXT DEFAULT '' NOT NULL, `created` TEXT DEFAULT '' NOT NULL, `fingerprint` TEXT DEFAULT '' NOT NULL, `id` TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, `recordRef` TEXT DEFAULT '' NOT NULL, `updated` TEXT DEFAULT '' NOT NULL)"),
    ("_superusers", "CREATE TABLE `_superusers` (`created` TEXT DEFAULT '' NOT NULL, `email` TEXT DEFAULT '' NOT NULL, `emailVisibility` BOOLEAN DEFAULT FALSE NOT NULL, `id` TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, `password` TEXT DEFAULT '' NOT NULL, `tokenKey` TEXT DEFAULT '' NOT NULL, `updated` TEXT DEFAULT '' NOT NULL, `verified` BOOLEAN DEFAULT FALSE NOT NULL)"),
    ("users", "CREATE TABLE `users` (`avatar` TEXT DEFAULT '' NOT NULL, `created` TEXT DEFAULT '' NOT NULL, `email` TEXT DEFAULT '' NOT NULL, `emailVisibility` BOOLEAN DEFAULT FALSE NOT NULL, `id` TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, `name` TEXT DEFAULT '' NOT NULL, `password` TEXT DEFAULT '' NOT NULL, `tokenKey` TEXT DEFAULT '' NOT NULL, `updated` TEXT DEFAULT '' NOT NULL, `verified` BOOLEAN DEFAULT FALSE NOT NULL)"),
];

/// Index name → table in a fresh PocketBase 0.40.6 `data.db`.
const REFERENCE_INDEXES: [(&str, &str); 10] = [
    ("idx__collections_type", "_collections"),
    ("idx_mfas_collectionRef_recordRef", "_mfas"),
    ("idx_otps_collectionRef_recordRef", "_otps"),
    ("idx_externalAuths_record_provider", "_externalAuths"),
    ("idx_externalAuths_collection_provider", "_externalAuths"),
    ("idx_authOrigins_unique_pairs", "_authOrigins"),
    ("idx_tokenKey_pbc_3142635823", "_superusers"),
    ("idx_email_pbc_3142635823", "_superusers"),
    ("idx_tokenKey__pb_users_auth_", "users"),
    ("idx_email__pb_users_auth_", "users"),
];

fn schema(store: &SqliteStore, kind: &str) -> BTreeMap<String, String> {
    let statement = format!(
        "SELECT name || char(31) || coalesce(CASE WHEN type = 'index' THEN tbl_name ELSE sql END, '') AS value \
         FROM sqlite_master WHERE type = '{kind}' AND name NOT LIKE 'sqlite_%'"
    );
    strings(store, &statement)
        .into_iter()
        .map(|row| {
            let (name, rest) = row.split_once('\u{1f}').unwrap();
            (name.to_string(), rest.to_string())
        })
        .collect()
}

#[test]
fn fresh_data_dir_has_the_reference_tables_and_indexes() {
    let (dir, store) = open_store();
    let tables = schema(&store, "table");
    let expected: BTreeMap<String, String> = REFERENCE_TABLES
        .iter()
        .map(|(name, sql)| (name.to_string(), sql.to_string()))
        .collect();
    assert_eq!(tables, expected);
    let indexes = schema(&store, "index");
    let expected: BTreeMap<String, String> = REFERENCE_INDEXES
        .iter()
        .map(|(name, table)| (name.to_string(), table.to_string()))
        .collect();
    assert_eq!(indexes, expected);

    assert_eq!(
        strings(
            &store,
            "SELECT journal_mode AS value FROM pragma_journal_mode"
        ),
        ["wal"]
    );
    assert_eq!(
        strings(
            &store,
            "SELECT file AS value FROM _migrations ORDER BY applied"
        ),
        crate::bootstrap::POCKETBASE_MIGRATIONS
    );
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
    let settings = read(&store, |tx| {
        Ok(tx.get_param(pb_core::settings::SETTINGS_KEY)?)
    })
    .unwrap();
    assert_eq!(settings, Some(pb_core::settings::defaults()));

    // PocketBase's `_logs` indexes but `idx_logs_message` (see `bootstrap::AUXILIARY_DDL`).
    assert_eq!(
        logs_schema(dir.path()),
        ["_logs", "idx_logs_created_hour", "idx_logs_level"]
    );
}

/// Names of `_logs` and its indexes in the `auxiliary.db` of `data_dir`.
fn logs_schema(data_dir: &std::path::Path) -> Vec<String> {
    let mut auxiliary =
        SqliteConnection::establish(data_dir.join(crate::AUXILIARY_DB).to_str().unwrap()).unwrap();
    diesel::sql_query(
        "SELECT name AS value FROM sqlite_master WHERE tbl_name = '_logs' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .load::<TextRow>(&mut auxiliary)
    .unwrap()
    .into_iter()
    .map(|row| row.value)
    .collect()
}

#[test]
fn an_auxiliary_db_with_the_message_index_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let mut auxiliary =
        SqliteConnection::establish(dir.path().join(crate::AUXILIARY_DB).to_str().unwrap())
            .unwrap();
    auxiliary
        .batch_execute("CREATE INDEX idx_logs_message on `_logs` (`message`)")
        .unwrap();
    drop(auxiliary);

    drop(SqliteStore::open(dir.path()).unwrap());
    drop(crate::SqliteLogStore::open(dir.path()).unwrap());
    assert_eq!(
        logs_schema(dir.path()),
        [
            "_logs",
            "idx_logs_created_hour",
            "idx_logs_level",
            "idx_logs_message"
        ]
    );
}

#[test]
fn stored_system_collections_read_back_with_their_secrets() {
    let (_dir, store) = open_store();
    let collections = read(&store, |tx| Ok(tx.collections()?)).unwrap();
    let users = collections
        .iter()
        .find(|collection| collection.name == "users")
        .unwrap();
    let auth = users.auth.as_ref().unwrap();
    assert_eq!(auth.auth_token.secret.len(), 50);
    assert_eq!(auth.auth_token.duration, 432_000);
    let fresh = pb_core::system::fresh_collections("x");
    let fresh_users = fresh
        .iter()
        .find(|collection| collection.name == "users")
        .unwrap();
    assert_eq!(users.fields, fresh_users.fields);
    assert_eq!(users.indexes, fresh_users.indexes);
    assert_eq!(users.list_rule, fresh_users.list_rule);
}

#[test]
fn reopening_keeps_data_and_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let posts = base_collection("posts", json!([{"name": "title", "type": "text"}]), &[]);
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        write(&store, |tx| {
            tx.insert_collection(&posts)?;
            let mut record = pb_core::Record::new(&posts);
            record.set("id", json!("aaaaaaaaaaaaaaa"));
            record.set("title", json!("kept"));
            Ok(tx.insert_record(&posts, &record)?)
        })
        .unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    let record = read(&store, |tx| Ok(tx.find_record(&posts, "aaaaaaaaaaaaaaa")?))
        .unwrap()
        .unwrap();
    assert_eq!(record.get_str("title"), "kept");
    assert_eq!(
        strings(&store, "SELECT count(*) AS value FROM _migrations"),
        ["8"]
    );
    assert_eq!(read(&store, |tx| Ok(tx.collections()?.len())).unwrap(), 7);
    assert_eq!(store.data_dir(), dir.path());
}

#[test]
fn params_are_created_and_updated() {
    let (_dir, store) = open_store();
    let mut settings = pb_core::settings::defaults();
    settings["meta"]["appName"] = json!("Changed");
    write(&store, |tx| {
        tx.set_param(pb_core::settings::SETTINGS_KEY, &settings)?;
        Ok(tx.set_param("other", &json!([1, 2]))?)
    })
    .unwrap();
    let (stored, other, missing) = read(&store, |tx| {
        Ok((
            tx.get_param("settings")?,
            tx.get_param("other")?,
            tx.get_param("missing")?,
        ))
    })
    .unwrap();
    assert_eq!(stored.unwrap()["meta"]["appName"], "Changed");
    assert_eq!(other, Some(json!([1, 2])));
    assert_eq!(missing, None);
}
