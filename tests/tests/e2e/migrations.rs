//! Migrations: collection changes made through the API are written to `pb_migrations` beside
//! the data dir (automigrate) and replay on a fresh data dir to the same schema at start-up;
//! `pb migrate down|up|collections|history-sync` revert, reapply, snapshot and tidy the history.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::{json, Value};

use crate::harness::{
    create_collection, pb_bin, upsert_superuser, Client, Server, SUPERUSER_EMAIL,
    SUPERUSER_PASSWORD,
};

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

/// Runs `pb <args> --dir=<data_dir>` with `answer` on stdin; returns (success, stdout+stderr).
fn pb(data_dir: &Path, args: &[&str], answer: &str) -> (bool, String) {
    let mut child = Command::new(pb_bin())
        .args(args)
        .arg(format!("--dir={}", data_dir.display()))
        .current_dir(data_dir.parent().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Every file in the migrations folder beside `data_dir` (automigrate writes one per change),
/// sorted.
pub(crate) fn migration_files(data_dir: &Path) -> Vec<String> {
    let folder = data_dir.parent().unwrap().join("pb_migrations");
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The `.json` rows of `_migrations`.
fn history(data_dir: &Path) -> Vec<String> {
    let path = data_dir.join("data.db");
    let mut connection = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let mut rows: Vec<String> =
        diesel::sql_query("SELECT file AS value FROM _migrations WHERE file LIKE '%.json'")
            .load::<TextRow>(&mut connection)
            .unwrap()
            .into_iter()
            .map(|row| row.value)
            .collect();
    rows.sort();
    rows
}

/// The names in `_collections` equal to `name`.
fn stored_collections(data_dir: &Path, name: &str) -> Vec<String> {
    let path = data_dir.join("data.db");
    let mut connection = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    diesel::sql_query("SELECT name AS value FROM _collections WHERE name = ?")
        .bind::<Text, _>(name)
        .load::<TextRow>(&mut connection)
        .unwrap()
        .into_iter()
        .map(|row| row.value)
        .collect()
}

/// Every collection as the API lists it, by name.
fn collections(client: &Client) -> Vec<Value> {
    let (status, body) = client.get("/api/collections?perPage=500&sort=name");
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// Collections as compared across data dirs: the migrated ones whole, the others (created
/// with each fresh dir) without their timestamps.
fn comparable(collections: Vec<Value>) -> Vec<Value> {
    collections
        .into_iter()
        .map(|mut collection| {
            let migrated = ["posts", "members"].contains(&collection["name"].as_str().unwrap());
            if !migrated {
                let object = collection.as_object_mut().unwrap();
                object.remove("created");
                object.remove("updated");
            }
            collection
        })
        .collect()
}

/// Compares two listings collection by collection, so a failure names the one that differs.
fn assert_same_schema(left: Vec<Value>, right: Vec<Value>) {
    let (left, right) = (comparable(left), comparable(right));
    assert_eq!(names(&left), names(&right));
    for (left, right) in left.iter().zip(&right) {
        assert_eq!(left, right, "collection {}", left["name"]);
    }
}

fn names(collections: &[Value]) -> Vec<String> {
    collections
        .iter()
        .map(|collection| collection["name"].as_str().unwrap().to_string())
        .collect()
}

/// A fresh data dir beside a copy of `source`'s migration files, served.
fn replay(source: &Path, temp: &Path) -> Server {
    let folder = temp.join("pb_migrations");
    std::fs::create_dir_all(&folder).unwrap();
    for file in migration_files(source) {
        std::fs::copy(
            source.parent().unwrap().join("pb_migrations").join(&file),
            folder.join(&file),
        )
        .unwrap();
    }
    Server::start_in(&pb_bin(), &temp.join("pb_data"), true)
}

/// Makes four changes through the API: creates posts, tags and members, changes posts and
/// deletes tags.
fn change_the_schema(superuser: &Client) {
    create_collection(
        superuser,
        &json!({"name": "posts", "fields": [{"name": "title", "type": "text"}],
                "indexes": ["CREATE INDEX idx_title ON posts (title)"]}),
    );
    create_collection(superuser, &json!({"name": "tags", "type": "base"}));
    create_collection(
        superuser,
        &json!({"name": "members", "type": "auth", "listRule": "id = @request.auth.id"}),
    );
    let (status, body) = superuser.patch(
        "/api/collections/posts",
        &json!({"listRule": "", "fields": [
            {"name": "title", "type": "text"},
            {"name": "views", "type": "number"}
        ]}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = superuser.delete("/api/collections/tags");
    assert_eq!(status, 204, "{body}");
}

#[test]
fn api_changes_become_migrations_that_replay_to_the_same_schema() {
    let server = Server::start();
    let superuser = server.superuser();
    change_the_schema(&superuser);
    let files = migration_files(server.data_dir());
    let labels: Vec<&str> = files
        .iter()
        .map(|file| file.split_once('_').unwrap().1)
        .collect();
    assert_eq!(
        labels,
        [
            "created_posts.json",
            "created_tags.json",
            "created_members.json",
            "updated_posts.json",
            "deleted_tags.json"
        ]
    );
    let update: Value = serde_json::from_str(
        &std::fs::read_to_string(
            server
                .data_dir()
                .parent()
                .unwrap()
                .join("pb_migrations")
                .join(&files[3]),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(update["up"][0]["op"], "upsert");
    assert_eq!(update["up"][0]["collection"]["listRule"], "");
    assert_eq!(update["down"][0]["collection"]["listRule"], Value::Null);
    assert_eq!(history(server.data_dir()), files, "recorded as applied");

    let original = collections(&superuser);
    let temp = tempfile::tempdir().unwrap();
    let replayed = replay(server.data_dir(), temp.path());
    let replayed_collections = collections(&replayed.superuser());
    assert_same_schema(replayed_collections, original.clone());
    assert!(names(&original).contains(&"members".to_string()));
    assert!(!names(&original).contains(&"tags".to_string()));
    // Applied at start-up and recorded; replaying writes no new files.
    assert_eq!(history(replayed.data_dir()), files);
    assert_eq!(migration_files(replayed.data_dir()), files);
    // The replayed schema works: records go into the migrated table.
    let (status, body) = replayed.superuser().post(
        "/api/collections/posts/records",
        &json!({"title": "hello", "views": 3}),
    );
    assert_eq!(status, 200, "{body}");

    // An update that changes nothing but `updated` writes no migration.
    let (status, _) = superuser.patch("/api/collections/posts", &json!({}));
    assert_eq!(status, 200);
    assert_eq!(migration_files(server.data_dir()), files);
}

#[test]
fn migrate_down_reverts_the_last_and_up_reapplies_it() {
    let mut server = Server::start();
    let superuser = server.superuser();
    change_the_schema(&superuser);
    let data_dir = server.data_dir().to_path_buf();
    let files = migration_files(&data_dir);
    let last = files.last().unwrap().clone();
    server.kill();

    let (ok, output) = pb(&data_dir, &["migrate", "down", "1"], "n\n");
    assert!(ok, "{output}");
    assert!(
        output.contains("The command has been cancelled"),
        "{output}"
    );
    assert_eq!(history(&data_dir), files);

    let (ok, output) = pb(&data_dir, &["migrate", "down", "1"], "y\n");
    assert!(ok, "{output}");
    assert!(
        output.contains(&format!(
            "{last}\nDo you really want to revert the last 1 applied migration(s)?"
        )),
        "{output}"
    );
    assert!(output.contains(&format!("Reverted {last}")), "{output}");
    assert_eq!(history(&data_dir), files[..files.len() - 1]);

    // The deleted collection is back (a later `serve` would apply the pending file again,
    // as PocketBase does).
    assert_eq!(stored_collections(&data_dir, "tags"), ["tags"]);

    let (ok, output) = pb(&data_dir, &["migrate", "up"], "");
    assert!(ok, "{output}");
    assert!(output.contains(&format!("Applied {last}")), "{output}");
    let (ok, output) = pb(&data_dir, &["migrate"], "");
    assert!(
        ok && output.contains("No new migrations to apply."),
        "{output}"
    );
    assert_eq!(history(&data_dir), files);
    assert!(stored_collections(&data_dir, "tags").is_empty());
    let server = server.restart();
    let (status, _) = server.superuser().get("/api/collections/tags");
    assert_eq!(status, 404);
}

#[test]
fn a_collections_snapshot_replays_and_history_sync_forgets_missing_files() {
    let mut server = Server::start();
    let superuser = server.superuser();
    change_the_schema(&superuser);
    let original = collections(&superuser);
    let data_dir = server.data_dir().to_path_buf();
    let automigrated = migration_files(&data_dir);
    server.kill();

    // The automatic files are replaced by one snapshot.
    std::fs::remove_dir_all(data_dir.parent().unwrap().join("pb_migrations")).unwrap();
    let (ok, output) = pb(&data_dir, &["migrate", "collections"], "y\n");
    assert!(ok, "{output}");
    assert!(output.contains("Successfully created file"), "{output}");
    let snapshot = migration_files(&data_dir);
    assert_eq!(snapshot.len(), 1);
    assert!(
        snapshot[0].ends_with("_collections_snapshot.json"),
        "{snapshot:?}"
    );

    // The history still names the deleted files until it is synced.
    assert_eq!(history(&data_dir), automigrated);
    let (ok, output) = pb(&data_dir, &["migrate", "history-sync"], "");
    assert!(ok, "{output}");
    assert!(
        output.contains("The _migrations table was synced with the available migrations."),
        "{output}"
    );
    assert!(history(&data_dir).is_empty());

    let temp = tempfile::tempdir().unwrap();
    let replayed = replay(&data_dir, temp.path());
    assert_same_schema(collections(&replayed.superuser()), original);

    // A blank migration applies as a no-op and is recorded.
    let (ok, output) = pb(&data_dir, &["migrate", "create", "add things"], "y\n");
    assert!(ok, "{output}");
    let files = migration_files(&data_dir);
    let blank = files
        .iter()
        .find(|file| file.ends_with("_add_things.json"))
        .unwrap();
    let content: Value = serde_json::from_str(
        &std::fs::read_to_string(data_dir.parent().unwrap().join("pb_migrations").join(blank))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(content, json!({"up": [], "down": []}));
    let (ok, output) = pb(&data_dir, &["migrate", "up"], "");
    assert!(ok, "{output}");
    assert!(output.contains(&format!("Applied {blank}")), "{output}");
}

#[test]
fn automigrate_false_writes_no_migration_files() {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().join("pb_data");
    upsert_superuser(&pb_bin(), &data_dir, SUPERUSER_EMAIL, SUPERUSER_PASSWORD);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = KillOnDrop(
        Command::new(pb_bin())
            .args(["serve", "--automigrate=false"])
            .arg(format!("--http=127.0.0.1:{port}"))
            .arg(format!("--dir={}", data_dir.display()))
            .current_dir(temp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while ureq::get(&format!("{base}/api/health")).call().is_err() {
        assert!(child.0.try_wait().unwrap().is_none(), "the server exited");
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let login: Value = ureq::post(&format!(
        "{base}/api/collections/_superusers/auth-with-password"
    ))
    .send_json(json!({"identity": SUPERUSER_EMAIL, "password": SUPERUSER_PASSWORD}))
    .unwrap()
    .into_json()
    .unwrap();
    let created = ureq::post(&format!("{base}/api/collections"))
        .set("Authorization", login["token"].as_str().unwrap())
        .send_json(json!({"name": "posts"}))
        .unwrap();
    assert_eq!(created.status(), 200);
    drop(child);
    assert!(migration_files(&data_dir).is_empty());
    assert!(history(&data_dir).is_empty());
}

/// A server process killed (and reaped) when the test ends, pass or fail.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
