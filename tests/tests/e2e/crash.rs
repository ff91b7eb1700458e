//! Durability: every create answered 200 before a SIGKILL is still there after a restart, and
//! the database passes `PRAGMA integrity_check`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;

use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::json;

use crate::harness::{create_collection, Server};

const WRITERS: usize = 4;
/// Creates that must have been acknowledged before the kill.
const ACKNOWLEDGED_BEFORE_KILL: usize = 50;

#[derive(QueryableByName)]
struct IntegrityCheckRow {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// The rows of `PRAGMA integrity_check` on the SQLite file at `path` (`["ok"]` when healthy).
fn integrity_check(path: &Path) -> Vec<String> {
    let mut connection = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
    let rows: Vec<IntegrityCheckRow> = diesel::sql_query("PRAGMA integrity_check")
        .load(&mut connection)
        .unwrap();
    rows.into_iter().map(|row| row.integrity_check).collect()
}

#[test]
fn acknowledged_creates_survive_sigkill() {
    let mut server = Server::start();
    let superuser = server.superuser();
    create_collection(
        &superuser,
        &json!({"name": "journal", "fields": [{"name": "title", "type": "text"}, {"name": "n", "type": "number"}]}),
    );

    let (acknowledged_ids, ids) = mpsc::channel::<String>();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let (client, acknowledged_ids, stop) =
                (superuser.clone(), acknowledged_ids.clone(), stop.clone());
            thread::spawn(move || -> Result<(), String> {
                for n in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let record = json!({"title": format!("writer {writer} entry {n}"), "n": n});
                    match client.try_send("POST", "/api/collections/journal/records", Some(&record))
                    {
                        Ok((200, body)) => {
                            let id = body["id"].as_str().ok_or(format!("no id in {body}"))?;
                            // The receiver is gone only once the test has failed anyway.
                            let _ = acknowledged_ids.send(id.to_owned());
                        }
                        Ok((status, body)) => {
                            return Err(format!("create answered {status}: {body}"))
                        }
                        // No answer: the server has been killed.
                        Err(_) => break,
                    }
                }
                Ok(())
            })
        })
        .collect();
    drop(acknowledged_ids);

    let mut remembered: Vec<String> = Vec::new();
    while remembered.len() < ACKNOWLEDGED_BEFORE_KILL {
        match ids.recv() {
            Ok(id) => remembered.push(id),
            Err(_) => break,
        }
    }
    server.kill();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().unwrap().unwrap();
    }
    remembered.extend(ids.iter());
    assert!(
        remembered.len() >= ACKNOWLEDGED_BEFORE_KILL,
        "only {} creates were acknowledged",
        remembered.len()
    );

    let mut server = server.restart();
    let superuser = server.superuser();
    for id in &remembered {
        let (status, body) = superuser.get(&format!("/api/collections/journal/records/{id}"));
        assert_eq!(status, 200, "acknowledged record {id} is lost: {body}");
        assert_eq!(body["id"], id.as_str());
    }
    let (_, list) = superuser.get("/api/collections/journal/records?perPage=1");
    assert!(
        list["totalItems"].as_u64().unwrap() >= remembered.len() as u64,
        "{list}"
    );

    server.kill();
    assert_eq!(integrity_check(&server.data_dir().join("data.db")), ["ok"]);
}
