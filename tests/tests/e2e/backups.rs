//! Backups: `/api/backups` list, create, download (superuser file token only), delete, upload
//! and restore, with PocketBase's answers; a backup taken while clients keep writing is a
//! healthy database holding every write acknowledged before it began; a restore brings the
//! same process back on the same port with the backup's data.

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::{json, Value};

use crate::harness::{create_collection, create_record, error_body, Client, Server};

const WRITERS: usize = 4;
/// Creates acknowledged before the backup is asked for.
const ACKNOWLEDGED_BEFORE_BACKUP: usize = 40;
const BOUNDARY: &str = "----pbbackupboundary";

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    value: String,
}

/// The first column of `query` on the SQLite file at `path`.
fn strings(path: &Path, query: &str) -> Vec<String> {
    let mut connection = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    diesel::sql_query(query)
        .load::<TextRow>(&mut connection)
        .unwrap()
        .into_iter()
        .map(|row| row.value)
        .collect()
}

fn file_token(client: &Client) -> String {
    let (status, body) = client.post("/api/files/token", &json!({}));
    assert_eq!(status, 200, "{body}");
    body["token"].as_str().unwrap().to_string()
}

fn download(client: &Client, key: &str, token: &str) -> (u16, Vec<u8>) {
    client
        .guest()
        .get_bytes(&format!("/api/backups/{key}?token={token}"))
}

/// The entries of a zip and the bytes of one of them.
fn zip_entry(zip: &[u8], name: &str) -> (Vec<String>, Vec<u8>) {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let names = archive
        .file_names()
        .map(|name| name.unwrap().to_string())
        .collect();
    let mut content = Vec::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_end(&mut content)
        .unwrap();
    (names, content)
}

fn upload(client: &Client, filename: Option<&str>, content: &[u8]) -> (u16, Value) {
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
    match filename {
        Some(filename) => body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        ),
        None => body.extend_from_slice(b"Content-Disposition: form-data; name=\"other\"\r\n\r\n"),
    }
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    client.send_raw(
        "POST",
        "/api/backups/upload",
        &format!("multipart/form-data; boundary={BOUNDARY}"),
        &body,
    )
}

fn validation(field: &str, code: &str, message: &str) -> Value {
    json!({
        "status": 400,
        "message": "An error occurred while validating the submitted data.",
        "data": {field: {"code": code, "message": message}},
    })
}

fn keys(client: &Client) -> Vec<String> {
    let (status, list) = client.get("/api/backups");
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_backup_during_writes_is_consistent_and_restores_in_place() {
    let mut server = Server::start();
    let superuser = server.superuser();
    create_collection(
        &superuser,
        &json!({"name": "journal", "createRule": "", "viewRule": "",
                "fields": [{"name": "n", "type": "number"}]}),
    );
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (client, acknowledged, stop) = (
                superuser.guest(),
                Arc::clone(&acknowledged),
                Arc::clone(&stop),
            );
            thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let (status, body) = client.post(
                        "/api/collections/journal/records",
                        &json!({"n": writer * 1_000_000 + n}),
                    );
                    assert_eq!(status, 200, "{body}");
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(body["id"].as_str().unwrap().to_string());
                    n += 1;
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < ACKNOWLEDGED_BEFORE_BACKUP {
        assert!(Instant::now() < deadline, "the writers made no progress");
        thread::sleep(Duration::from_millis(10));
    }
    let before_backup = acknowledged.lock().unwrap().clone();
    let (status, body) = superuser.post("/api/backups", &json!({"name": "during_writes.zip"}));
    let during_backup = acknowledged.lock().unwrap().len();
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    assert_eq!(status, 204, "{body}");
    let written = acknowledged.lock().unwrap().len();
    assert!(
        written > during_backup || during_backup > before_backup.len(),
        "the writers kept writing while the backup ran"
    );

    let (status, zip) = download(&superuser, "during_writes.zip", &file_token(&superuser));
    assert_eq!(status, 200);
    let (names, database) = zip_entry(&zip, "data.db");
    assert!(names.contains(&"auxiliary.db".to_string()), "{names:?}");
    assert!(
        !names
            .iter()
            .any(|name| name.starts_with("backups/") || name.ends_with("-wal")),
        "{names:?}"
    );
    let copy = tempfile::tempdir().unwrap();
    let copy_path = copy.path().join("data.db");
    std::fs::write(&copy_path, database).unwrap();
    assert_eq!(
        strings(
            &copy_path,
            "SELECT integrity_check AS value FROM pragma_integrity_check"
        ),
        ["ok"]
    );
    let in_backup = strings(&copy_path, "SELECT id AS value FROM journal");
    for id in &before_backup {
        assert!(
            in_backup.contains(id),
            "{id} was acknowledged before the backup began"
        );
    }

    // A record made after the backup is gone once it is restored; the process is the same.
    let after = create_record(&superuser, "journal", &json!({"n": -1}));
    let after_id = after["id"].as_str().unwrap().to_string();
    let pid = server.pid();
    let (status, body) = superuser.post("/api/backups/during_writes.zip/restore", &json!({}));
    assert_eq!(status, 204, "{body}");
    let guest = superuser.guest();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(
            server.try_wait().is_none(),
            "the server exited instead of restarting"
        );
        if let Ok((404, _)) = guest.try_send(
            "GET",
            &format!("/api/collections/journal/records/{after_id}"),
            None,
        ) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restored data never showed up"
        );
        thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(server.pid(), pid);
    let (status, listed) = server
        .superuser()
        .get("/api/collections/journal/records?perPage=1");
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["totalItems"].as_u64().unwrap() as usize,
        in_backup.len()
    );
    let (status, _) = guest.get(&format!(
        "/api/collections/journal/records/{}",
        before_backup[0]
    ));
    assert_eq!(status, 200);
    // The backups folder survives a restore, and the old data is cleared at the restart.
    assert_eq!(keys(&server.superuser()), ["during_writes.zip"]);
    assert!(!server.data_dir().join(".pb_temp_to_delete").exists());
}

#[test]
fn list_create_download_delete_and_upload_round_trip() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, list) = superuser.get("/api/backups");
    assert_eq!((status, list), (200, json!([])));

    let (status, body) = superuser.post("/api/backups", &json!({"name": "first.zip"}));
    assert_eq!(status, 204, "{body}");
    let (status, body) = superuser.post("/api/backups", &json!({"name": "first.zip"}));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        validation(
            "name",
            "validation_backup_name_exists",
            "The backup file name is invalid or already exists."
        )
    );
    for bad in ["Bad.zip", "x.tar", "a b.zip"] {
        let (status, body) = superuser.post("/api/backups", &json!({"name": bad}));
        assert_eq!(status, 400);
        assert_eq!(
            body,
            validation(
                "name",
                "validation_match_invalid",
                "Must be in a valid format."
            )
        );
    }
    let (status, body) = superuser.send_raw("POST", "/api/backups", "application/json", b"xx");
    assert_eq!(
        (status, body),
        (
            400,
            error_body(400, "An error occurred while loading the submitted data.")
        )
    );
    // Without a name: pb_backup_<app name>_<UTC time>.zip.
    let (status, _) = superuser.post("/api/backups", &json!({}));
    assert_eq!(status, 204);
    let (status, list) = superuser.get("/api/backups");
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["key"], "first.zip");
    let generated = list[1]["key"].as_str().unwrap();
    assert!(
        generated.starts_with("pb_backup_acme_") && generated.ends_with(".zip"),
        "{generated}"
    );
    assert_eq!(generated.len(), "pb_backup_acme_".len() + 14 + 4);
    assert!(list[0]["size"].as_u64().unwrap() > 0);
    let modified = list[0]["modified"].as_str().unwrap();
    assert_eq!(
        modified.len(),
        "2024-01-01 00:00:00.000Z".len(),
        "{modified}"
    );

    // Download: only a superuser's file token in the query opens it.
    let token = file_token(&superuser);
    let (status, zip) = download(&superuser, "first.zip", &token);
    assert_eq!(status, 200);
    assert_eq!(zip.len() as u64, list[0]["size"].as_u64().unwrap());
    let (_, database) = zip_entry(&zip, "data.db");
    assert!(database.starts_with(b"SQLite format 3\0"));
    let forbidden = error_body(403, "Insufficient permissions to access the resource.");
    let auth_token = server.superuser_token();
    for token in ["", "nonsense", auth_token.as_str()] {
        let (status, body) = superuser
            .guest()
            .get(&format!("/api/backups/first.zip?token={token}"));
        assert_eq!((status, body), (403, forbidden.clone()), "token {token:?}");
    }
    let (status, body) = superuser.get("/api/backups/first.zip");
    assert_eq!((status, body), (403, forbidden.clone()));
    let (status, body) = superuser
        .guest()
        .get(&format!("/api/backups/missing.zip?token={token}"));
    assert_eq!(
        (status, body),
        (404, error_body(404, "The requested resource wasn't found."))
    );

    // Delete, then delete again.
    let (status, _) = superuser.delete("/api/backups/first.zip");
    assert_eq!(status, 204);
    let (status, body) = superuser.delete("/api/backups/first.zip");
    assert_eq!(status, 400);
    assert!(body["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid or already deleted backup file. Raw error: \n"));

    // Upload the downloaded zip back under its own name.
    let (status, body) = upload(&superuser, Some("uploaded.zip"), &zip);
    assert_eq!(status, 204, "{body}");
    let (status, list) = superuser.get("/api/backups");
    assert_eq!(status, 200);
    let uploaded = list
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["key"] == "uploaded.zip")
        .unwrap();
    assert_eq!(uploaded["size"].as_u64().unwrap(), zip.len() as u64);
    let (status, again) = download(&superuser, "uploaded.zip", &token);
    assert_eq!((status, again == zip), (200, true));
    let (status, body) = upload(&superuser, Some("uploaded.zip"), &zip);
    assert_eq!(status, 400);
    assert_eq!(
        body,
        validation(
            "file",
            "validation_backup_name_exists",
            "Backup file with the specified name already exists."
        )
    );
    let (status, body) = upload(&superuser, Some("notes.zip"), b"just some text");
    assert_eq!(status, 400);
    assert_eq!(body["data"]["file"]["code"], "validation_invalid_mime_type");
    let message = body["data"]["file"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("\"notes_")
            && message.ends_with(".zip\" mime type must be one of: application/zip."),
        "{message}"
    );
    let (status, body) = upload(&superuser, None, b"");
    assert_eq!(status, 400);
    assert_eq!(
        body,
        validation("file", "validation_required", "Cannot be blank.")
    );
    assert_eq!(keys(&superuser).len(), 2);

    let (status, body) = superuser.post("/api/backups/missing.zip/restore", &json!({}));
    assert_eq!(
        (status, body),
        (400, error_body(400, "Missing or invalid backup file."))
    );
}

#[test]
fn only_superusers_manage_backups() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, _) = superuser.post("/api/backups", &json!({"name": "a.zip"}));
    assert_eq!(status, 204);
    create_record(
        &superuser,
        "users",
        &json!({"email": "user@example.com", "password": "12345678", "passwordConfirm": "12345678"}),
    );
    let user =
        superuser
            .guest()
            .with_token(&superuser.login("users", "user@example.com", "12345678"));
    let unauthorized = error_body(
        401,
        "The request requires valid record authorization token.",
    );
    let forbidden = error_body(
        403,
        "The authorized record is not allowed to perform this action.",
    );
    for (method, path) in [
        ("GET", "/api/backups"),
        ("POST", "/api/backups"),
        ("DELETE", "/api/backups/a.zip"),
        ("POST", "/api/backups/a.zip/restore"),
        ("POST", "/api/backups/upload"),
    ] {
        let (status, body) = superuser.guest().send(method, path, None);
        assert_eq!(
            (status, body),
            (401, unauthorized.clone()),
            "guest {method} {path}"
        );
        let (status, body) = user.send(method, path, None);
        assert_eq!(
            (status, body),
            (403, forbidden.clone()),
            "user {method} {path}"
        );
    }
    let user_file_token = file_token(&user);
    // A user's file token does not open a backup.
    let (status, body) = user
        .guest()
        .get(&format!("/api/backups/a.zip?token={user_file_token}"));
    assert_eq!(
        (status, body),
        (
            403,
            error_body(403, "Insufficient permissions to access the resource.")
        )
    );
    assert_eq!(keys(&superuser), ["a.zip"]);
}

/// `settings.backups.cron` registers `__pbAutoBackup__`; running it makes an `@auto_pb_backup_`
/// zip; an empty expression removes the job.
#[test]
fn the_backups_cron_schedules_automatic_backups() {
    let server = Server::start();
    let superuser = server.superuser();
    let job = |client: &Client| -> Option<Value> {
        let (status, crons) = client.get("/api/crons");
        assert_eq!(status, 200, "{crons}");
        crons
            .as_array()
            .unwrap()
            .iter()
            .find(|cron| cron["id"] == "__pbAutoBackup__")
            .cloned()
    };
    assert_eq!(job(&superuser), None);

    let (status, body) = superuser.patch(
        "/api/settings",
        &json!({"backups": {"cron": "0 3 * * *", "cronMaxKeep": 2}}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        job(&superuser),
        Some(json!({"id": "__pbAutoBackup__", "expression": "0 3 * * *"}))
    );
    let (status, body) = superuser.post("/api/crons/__pbAutoBackup__", &json!({}));
    assert_eq!(status, 204, "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let auto = loop {
        let auto: Vec<String> = keys(&superuser)
            .into_iter()
            .filter(|key| key.starts_with("@auto_pb_backup_"))
            .collect();
        if !auto.is_empty() || Instant::now() > deadline {
            break auto;
        }
        // Polling for the job's result, which the scheduler produces on its own thread.
        thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(auto.len(), 1, "{auto:?}");
    assert!(auto[0].ends_with(".zip"), "{auto:?}");

    let (status, _) = superuser.patch("/api/settings", &json!({"backups": {"cron": ""}}));
    assert_eq!(status, 200);
    assert_eq!(job(&superuser), None);
}
