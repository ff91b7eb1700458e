//! Drop-in compatibility: a data dir written by the real PocketBase 0.40.6 is served by `pb`
//! unchanged: same collections, same records, same files, the same passwords and even the
//! tokens PocketBase signed keep working.
//!
//! The reference binary is `$PB_REFERENCE_BIN`, else whatever `../shared/tools/reference-pocketbase`
//! (next to the repository, fetched from PyPI with pip) prints. With neither, the test fails;
//! `PB_SKIP_REFERENCE=1` skips it on machines that cannot run the reference.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use crate::harness::{
    create_collection, create_record, pb_bin, workspace_root, Client, Server, SUPERUSER_EMAIL,
    SUPERUSER_PASSWORD,
};

const USERS_ID: &str = "_pb_users_auth_";
const ATTACHMENT: &[u8] = "Plain text from PocketBase — ünïcödé\n".as_bytes();

/// `(email, password, name, emailVisibility, verified)`
const USERS: [(&str, &str, &str, bool, bool); 2] = [
    ("ana@example.com", "ana-Passw0rd!", "Ana Ñúñez", true, true),
    ("bo@example.com", "bo-Secret-42", "Bo 李", false, false),
];

/// The reference PocketBase binary, or `None` when `PB_SKIP_REFERENCE=1`.
pub(crate) fn reference_bin() -> Option<PathBuf> {
    if std::env::var("PB_SKIP_REFERENCE").as_deref() == Ok("1") {
        eprintln!("PB_SKIP_REFERENCE=1: skipping the test against a real PocketBase data dir");
        return None;
    }
    if let Some(bin) = std::env::var_os("PB_REFERENCE_BIN").filter(|bin| !bin.is_empty()) {
        return Some(PathBuf::from(bin));
    }
    let script = workspace_root().join("../shared/tools/reference-pocketbase");
    let hint = "set PB_REFERENCE_BIN to a PocketBase 0.40.6 binary (or PB_SKIP_REFERENCE=1 to skip this test)";
    let output = Command::new(&script)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}; {hint}", script.display()));
    assert!(
        output.status.success(),
        "{} failed ({}): {}\n{hint}",
        script.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    Some(PathBuf::from(
        String::from_utf8(output.stdout).unwrap().trim(),
    ))
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A `multipart/form-data` body with a `@jsonPayload` part and one file part.
fn multipart(
    boundary: &str,
    json_payload: &Value,
    file_field: &str,
    file_name: &str,
    file: &[u8],
) -> Vec<u8> {
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"@jsonPayload\"\r\n\r\n{json_payload}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

fn everything_collection() -> Value {
    json!({
        "name": "everything",
        "fields": [
            {"name": "title", "type": "text", "max": 200},
            {"name": "body", "type": "editor"},
            {"name": "score", "type": "number"},
            {"name": "active", "type": "bool"},
            {"name": "contact", "type": "email"},
            {"name": "site", "type": "url"},
            {"name": "when", "type": "date"},
            {"name": "status", "type": "select", "values": ["draft", "live", "gone"], "maxSelect": 1},
            {"name": "tags", "type": "select", "values": ["go", "rust", "js", "zig"], "maxSelect": 4},
            {"name": "attachment", "type": "file", "maxSelect": 1},
            {"name": "owner", "type": "relation", "collectionId": USERS_ID, "maxSelect": 1},
            {"name": "members", "type": "relation", "collectionId": USERS_ID, "maxSelect": 5},
            {"name": "meta", "type": "json"},
            {"name": "secret", "type": "password"},
            {"name": "location", "type": "geoPoint"},
            {"name": "created", "type": "autodate", "onCreate": true, "onUpdate": false},
            {"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true}
        ],
        "indexes": ["CREATE INDEX idx_everything_title ON everything (title)"]
    })
}

/// What the reference server wrote and answered, to be compared with `pb`'s answers.
struct Snapshot {
    collections: Vec<Value>,
    users: Value,
    records: Value,
    /// `(path, bytes)` of every uploaded file.
    files: Vec<(String, Vec<u8>)>,
    /// Auth responses of the users' logins on the reference, in `USERS` order.
    user_logins: Vec<Value>,
    /// Tokens the reference signed: a superuser's and the first user's.
    superuser_token: String,
    user_token: String,
}

/// Fills the reference server with users, the `everything` collection and its records.
fn populate(superuser: &Client) -> Snapshot {
    let mut user_ids = Vec::new();
    for (email, password, name, email_visibility, verified) in USERS {
        let user = create_record(
            superuser,
            "users",
            &json!({"email": email, "password": password, "passwordConfirm": password, "name": name,
                    "emailVisibility": email_visibility, "verified": verified}),
        );
        user_ids.push(user["id"].as_str().unwrap().to_owned());
    }
    create_collection(superuser, &everything_collection());

    create_record(
        superuser,
        "everything",
        &json!({
            "title": "Grüße, 世界 🌍 \"quoted\" \\ back",
            "body": "<p>Hello <strong>world</strong> &amp; friends</p>",
            "score": 12.375_25,
            "active": true,
            "contact": "ana@example.com",
            "site": "https://example.com/path?q=1#frag",
            "when": "2024-02-29 12:34:56.789Z",
            "status": "live",
            "tags": ["rust", "go"],
            "owner": user_ids[0],
            "members": [user_ids[1], user_ids[0]],
            "meta": {"nested": {"list": [1, 2.5, "x", null, true]}, "emoji": "🎉", "big": 9007199254740993i64},
            "secret": "hunter2-hunter2",
            "location": {"lon": -122.4194, "lat": 37.7749}
        }),
    );
    create_record(superuser, "everything", &json!({}));
    create_record(
        superuser,
        "everything",
        &json!({
            "id": "custom000000001",
            "title": "offset date and odd values",
            "score": -0.000125,
            "when": "2024-01-02T10:20:30+02:00",
            "status": "gone",
            "tags": ["zig"],
            "members": [user_ids[1]],
            "meta": [1, [2, [3]], {"a": {}}],
            "location": {"lon": 0.5, "lat": -89.999999}
        }),
    );
    let payload = json!({"title": "with a file", "meta": "plain string", "score": 1e21});
    let (status, with_file) = superuser.send_raw(
        "POST",
        "/api/collections/everything/records",
        "multipart/form-data; boundary=pbE2eBoundary",
        &multipart(
            "pbE2eBoundary",
            &payload,
            "attachment",
            "Notes (final).txt",
            ATTACHMENT,
        ),
    );
    assert_eq!(
        status, 200,
        "multipart create on the reference: {with_file}"
    );

    let list_path = "/api/collections/everything/records?perPage=500&sort=id";
    let (status, records) = superuser.get(list_path);
    assert_eq!(
        (status, &records["totalItems"]),
        (200, &json!(4)),
        "{records}"
    );
    let file_path = format!(
        "/api/files/everything/{}/{}",
        with_file["id"].as_str().unwrap(),
        with_file["attachment"].as_str().unwrap()
    );
    let (status, file) = superuser.get_bytes(&file_path);
    assert_eq!(
        (status, file.as_slice()),
        (200, ATTACHMENT),
        "{file_path} on the reference"
    );

    let collections =
        ["everything", "users"].map(|name| superuser.get(&format!("/api/collections/{name}")).1);
    let user_logins: Vec<Value> = USERS
        .iter()
        .map(|(email, password, ..)| {
            let (status, body) = superuser
                .guest()
                .auth_with_password("users", email, password);
            assert_eq!(status, 200, "{email} on the reference: {body}");
            body
        })
        .collect();
    Snapshot {
        collections: collections.to_vec(),
        users: superuser
            .get("/api/collections/users/records?perPage=500&sort=id")
            .1,
        records,
        files: vec![(file_path, file)],
        superuser_token: superuser_token_of(superuser),
        user_token: user_logins[0]["token"].as_str().unwrap().to_owned(),
        user_logins,
    }
}

fn superuser_token_of(superuser: &Client) -> String {
    let (status, body) = superuser.post("/api/collections/_superusers/auth-refresh", &json!({}));
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

#[test]
fn pb_serves_a_data_dir_written_by_pocketbase() {
    let Some(reference) = reference_bin() else {
        return;
    };

    let reference_dir = tempfile::tempdir().unwrap();
    let reference_data = reference_dir.path().join("pb_data");
    let reference_server = Server::start_in(&reference, &reference_data, true);
    let snapshot = populate(&reference_server.superuser());
    drop(reference_server); // SIGKILL: pb must also cope with what is left in the WAL.

    let copy_dir_root = tempfile::tempdir().unwrap();
    let data_dir = copy_dir_root.path().join("pb_data");
    copy_dir(&reference_data, &data_dir);
    let server = Server::start_in(&pb_bin(), &data_dir, false);

    // The superuser logs in with the password PocketBase hashed.
    let superuser = server.guest().with_token(&server.guest().login(
        "_superusers",
        SUPERUSER_EMAIL,
        SUPERUSER_PASSWORD,
    ));

    for collection in &snapshot.collections {
        let name = collection["name"].as_str().unwrap();
        assert_eq!(
            superuser.get(&format!("/api/collections/{name}")),
            (200, collection.clone())
        );
    }
    assert_eq!(
        superuser.get("/api/collections/users/records?perPage=500&sort=id"),
        (200, snapshot.users.clone())
    );
    assert_eq!(
        superuser.get("/api/collections/everything/records?perPage=500&sort=id"),
        (200, snapshot.records.clone())
    );
    for record in snapshot.records["items"].as_array().unwrap() {
        let path = format!(
            "/api/collections/everything/records/{}",
            record["id"].as_str().unwrap()
        );
        assert_eq!(superuser.get(&path), (200, record.clone()));
    }
    // Uploaded files stay where PocketBase keeps them (storage/<collectionId>/<recordId>/<name>);
    // serving them over /api/files arrives with the files issue.
    let collection_id = snapshot.records["items"][0]["collectionId"]
        .as_str()
        .unwrap();
    for (path, bytes) in &snapshot.files {
        let relative = path.trim_start_matches("/api/files/everything/");
        let stored = server
            .data_dir()
            .join("storage")
            .join(collection_id)
            .join(relative);
        assert_eq!(
            &std::fs::read(&stored).unwrap(),
            bytes,
            "{}",
            stored.display()
        );
    }

    // Users log in with their passwords; wrong passwords still fail.
    for ((email, password, ..), reference_login) in USERS.iter().zip(&snapshot.user_logins) {
        let (status, login) = server.guest().auth_with_password("users", email, password);
        assert_eq!(status, 200, "{email}: {login}");
        assert_eq!(login["record"], reference_login["record"]);
        assert_eq!(
            server
                .guest()
                .auth_with_password("users", email, "not-the-password")
                .0,
            400
        );
    }

    // The bcrypt hashes PocketBase wrote were replaced by argon2id at those logins.
    for (email, ..) in USERS.iter() {
        let hash = stored_password_hash(&server.data_dir().join("data.db"), "users", email);
        assert!(hash.starts_with("$argon2id$"), "{email}: {hash}");
    }

    // Tokens PocketBase signed (tokenKey + the collection's secret) are still valid.
    let old_superuser = server.guest().with_token(&snapshot.superuser_token);
    assert_eq!(old_superuser.get("/api/collections/everything").0, 200);
    let old_user = server.guest().with_token(&snapshot.user_token);
    let (status, refreshed) = old_user.post("/api/collections/users/auth-refresh", &json!({}));
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(refreshed["record"], snapshot.user_logins[0]["record"]);
}

#[derive(diesel::QueryableByName)]
struct PasswordRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    password: String,
}

/// The stored password hash of the auth record with `email` in `table`.
fn stored_password_hash(database: &std::path::Path, table: &str, email: &str) -> String {
    use diesel::prelude::*;
    let mut connection =
        diesel::sqlite::SqliteConnection::establish(&database.display().to_string()).unwrap();
    let rows: Vec<PasswordRow> =
        diesel::sql_query(format!("SELECT password FROM `{table}` WHERE email = ?"))
            .bind::<diesel::sql_types::Text, _>(email)
            .load(&mut connection)
            .unwrap();
    rows.into_iter().next().unwrap().password
}

/// The other way round for request logs: `pb` creates `auxiliary.db` without PocketBase's
/// `message` index (see pb-store's bootstrap), and PocketBase reads and filters those logs all
/// the same.
#[test]
fn pocketbase_reads_the_request_logs_pb_wrote() {
    let Some(reference) = reference_bin() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("pb_data");
    let server = Server::start_in(&pb_bin(), &data_dir, true);
    for marker in ["first", "second"] {
        assert_eq!(
            server
                .guest()
                .get(&format!("/api/health?marker={marker}"))
                .0,
            200
        );
    }
    // The logs API stores what is queued before it answers.
    let superuser = server.superuser();
    let filter = crate::ops_support::encode("message = 'GET /api/health?marker=second'");
    let (status, written) = superuser.get(&format!("/api/logs?filter={filter}"));
    assert_eq!(status, 200, "{written}");
    assert_eq!(written["totalItems"], 1, "{written}");
    drop(server);

    let reference_server = Server::start_in(&reference, &data_dir, true);
    let (status, read) = reference_server
        .superuser()
        .get(&format!("/api/logs?filter={filter}"));
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["totalItems"], 1, "{read}");
    assert_eq!(read["items"][0]["id"], written["items"][0]["id"]);
    assert_eq!(read["items"][0]["data"], written["items"][0]["data"]);
}
