//! `/api/realtime`: the SSE stream and its `PB_CONNECT`, subscriptions and their errors, record
//! events filtered by each subscriber's rules and shaped as that subscriber sees the record,
//! unsubscribing, reconnecting, and a thousand subscribers at once.
//!
//! Streams are read with a small SSE reader over a plain `TcpStream` (chunked transfer decoded
//! by hand). To show that an event was *not* delivered without sleeping, each test ends a
//! sequence with a marker record every subscriber may see: events reach a client in order, so
//! once the marker is in, everything before it has been decided.
//!
//! These tests pass against the real PocketBase 0.40 too (`PB_BIN=…`).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{create_collection, create_record, error_body, Client, Server};

/// Upper bound for any one awaited event.
const EVENT_TIMEOUT: Duration = Duration::from_secs(20);
const PASSWORD: &str = "Passw0rd!123";

/// One SSE message.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    id: String,
    pub(crate) name: String,
    pub(crate) data: Value,
}

/// A client of `GET /api/realtime`.
pub(crate) struct Sse {
    reader: BufReader<TcpStream>,
    /// Decoded body text not yet split into messages.
    pending: String,
    pub(crate) client_id: String,
}

impl Sse {
    /// Opens the stream and reads `PB_CONNECT`.
    pub(crate) fn connect(server: &Server) -> Sse {
        let address = server.base_url().trim_start_matches("http://").to_string();
        let mut stream = TcpStream::connect(&address).unwrap();
        write!(
            stream,
            "GET /api/realtime HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        stream.set_read_timeout(Some(EVENT_TIMEOUT)).unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line.to_ascii_lowercase());
        }
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("content-type: text/event-stream"), "{head}");
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
        let mut sse = Sse {
            reader,
            pending: String::new(),
            client_id: String::new(),
        };
        let connect = sse.next().expect("PB_CONNECT");
        assert_eq!(connect.name, "PB_CONNECT");
        assert_eq!(connect.data, json!({"clientId": connect.id}));
        sse.client_id = connect.id;
        sse
    }

    /// The next message, or `None` when the stream ends.
    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.pending.find("\n\n") {
                let message: String = self.pending.drain(..end + 2).collect();
                return Some(parse_message(&message));
            }
            let chunk = self.read_chunk()?;
            self.pending.push_str(&chunk);
        }
    }

    /// The next message, which must come.
    pub(crate) fn expect(&mut self) -> Event {
        self.next()
            .unwrap_or_else(|| panic!("stream of {} ended", self.client_id))
    }

    /// Messages up to and including the one whose record id is `marker_id`.
    fn until_marker(&mut self, marker_id: &str) -> Vec<Event> {
        let mut events = Vec::new();
        loop {
            let event = self.expect();
            let done = event.data["record"]["id"] == marker_id;
            events.push(event);
            if done {
                return events;
            }
        }
    }

    /// One chunk of the chunked body; `None` at its end or when the peer closed.
    fn read_chunk(&mut self) -> Option<String> {
        let mut size_line = String::new();
        if self.reader.read_line(&mut size_line).ok()? == 0 {
            return None;
        }
        let size = usize::from_str_radix(size_line.trim(), 16).unwrap();
        let mut chunk = vec![0; size + 2];
        self.reader.read_exact(&mut chunk).ok()?;
        chunk.truncate(size);
        (size > 0).then(|| String::from_utf8(chunk).unwrap())
    }

    /// `POST /api/realtime` for this client as `client`.
    pub(crate) fn subscribe(&self, client: &Client, subscriptions: &[&str]) -> (u16, Value) {
        client.post(
            "/api/realtime",
            &json!({"clientId": self.client_id, "subscriptions": subscriptions}),
        )
    }
}

/// `id:…\nevent:…\ndata:…\n\n`, exactly, with no space after the colons.
fn parse_message(message: &str) -> Event {
    let lines: Vec<&str> = message.trim_end_matches('\n').split('\n').collect();
    assert_eq!(lines.len(), 3, "{message:?}");
    let field = |line: &str, name: &str| -> String {
        line.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(':'))
            .unwrap_or_else(|| panic!("{name} line expected in {message:?}"))
            .to_string()
    };
    Event {
        id: field(lines[0], "id"),
        name: field(lines[1], "event"),
        data: serde_json::from_str(&field(lines[2], "data")).unwrap(),
    }
}

/// `(action, record id)` of each event.
fn actions(events: &[Event]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|event| {
            (
                event.data["action"].as_str().unwrap().to_string(),
                event.data["record"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A user of the default `users` collection and a client logged in as it.
fn user(server: &Server, superuser: &Client, email: &str, role: &str) -> (Value, Client) {
    let record = create_record(
        superuser,
        "users",
        &json!({"email": email, "password": PASSWORD, "passwordConfirm": PASSWORD, "role": role}),
    );
    let token = server.guest().login("users", email, PASSWORD);
    (record, server.guest().with_token(&token))
}

#[test]
fn connecting_and_subscribing_follow_pocketbase() {
    let server = Server::start();
    let guest = server.guest();
    let sse = Sse::connect(&server);
    assert_eq!(sse.client_id.len(), 40);
    assert!(sse.client_id.chars().all(|c| c.is_ascii_alphanumeric()));

    assert_eq!(sse.subscribe(&guest, &["users/*"]), (204, Value::Null));
    assert_eq!(
        guest.post(
            "/api/realtime",
            &json!({"clientId": "unknown", "subscriptions": []})
        ),
        (404, error_body(404, "Missing or invalid client id."))
    );
    let (status, body) = guest.post("/api/realtime", &json!({"subscriptions": ["a"]}));
    assert_eq!(status, 400);
    assert_eq!(
        body["data"],
        json!({"clientId": {"code": "validation_required", "message": "Cannot be blank."}})
    );
    let too_long = "x".repeat(2501);
    let (status, body) = sse.subscribe(&guest, &["ok", &too_long]);
    assert_eq!(status, 400);
    assert_eq!(
        body["data"]["subscriptions"]["1"]["code"],
        "validation_length_too_long"
    );

    // Bound to a user, the client cannot switch to a guest or to another user.
    let superuser = server.superuser();
    let (_, first) = user(&server, &superuser, "first@example.com", "");
    let (_, second) = user(&server, &superuser, "second@example.com", "");
    assert_eq!(sse.subscribe(&first, &["users/*"]).0, 204);
    let mismatch = error_body(
        403,
        "The current and the previous request authorization don't match.",
    );
    assert_eq!(
        sse.subscribe(&second, &["users/*"]),
        (403, mismatch.clone())
    );
    assert_eq!(sse.subscribe(&guest, &[]), (403, mismatch));
    assert_eq!(sse.subscribe(&first, &[]).0, 204);
}

#[test]
fn events_follow_each_subscribers_rules() {
    let server = Server::start();
    let superuser = server.superuser();
    let (status, mut users) = superuser.get("/api/collections/users");
    assert_eq!(status, 200, "{users}");
    users["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "role", "type": "text"}));
    let (status, body) = superuser.patch(
        "/api/collections/users",
        &json!({"fields": users["fields"]}),
    );
    assert_eq!(status, 200, "{body}");
    let (owner, owner_client) = user(&server, &superuser, "owner@example.com", "");
    let (_, editor_client) = user(&server, &superuser, "editor@example.com", "editor");
    let (other, other_client) = user(&server, &superuser, "other@example.com", "");
    let rule = "public = true || owner = @request.auth.id || @request.auth.role = 'editor'";
    create_collection(
        &superuser,
        &json!({
            "name": "notes",
            "listRule": rule,
            "viewRule": rule,
            "fields": [
                {"name": "text", "type": "text"},
                {"name": "public", "type": "bool"},
                {"name": "secret", "type": "text", "hidden": true},
                {"name": "owner", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}
            ]
        }),
    );

    let subscribers = [
        ("owner", owner_client),
        ("editor", editor_client),
        ("other", other_client),
        ("guest", server.guest()),
        ("superuser", superuser.clone()),
    ];
    let mut streams: Vec<(&str, Sse)> = subscribers
        .iter()
        .map(|(name, client)| {
            let sse = Sse::connect(&server);
            assert_eq!(sse.subscribe(client, &["notes/*"]).0, 204);
            (*name, sse)
        })
        .collect();

    let owned = create_record(
        &superuser,
        "notes",
        &json!({"text": "a", "owner": owner["id"], "secret": "s"}),
    );
    let owned_id = owned["id"].as_str().unwrap();
    let others = create_record(
        &superuser,
        "notes",
        &json!({"text": "b", "owner": other["id"]}),
    );
    let others_id = others["id"].as_str().unwrap();
    let path = format!("/api/collections/notes/records/{owned_id}");
    assert_eq!(superuser.patch(&path, &json!({"text": "a2"})).0, 200);
    // Judged on the record as it was: the owner still sees its delete.
    assert_eq!(superuser.delete(&path).0, 204);
    let marker = create_record(&superuser, "notes", &json!({"text": "m", "public": true}));
    let marker_id = marker["id"].as_str().unwrap();

    let owned_events = [
        ("create".to_string(), owned_id.to_string()),
        ("update".to_string(), owned_id.to_string()),
        ("delete".to_string(), owned_id.to_string()),
    ];
    let others_event = ("create".to_string(), others_id.to_string());
    let marker_event = ("create".to_string(), marker_id.to_string());
    for (name, sse) in &mut streams {
        let events = sse.until_marker(marker_id);
        let mut expected: Vec<(String, String)> = Vec::new();
        if matches!(*name, "owner" | "editor" | "superuser") {
            expected.extend(owned_events.iter().cloned());
        }
        if matches!(*name, "editor" | "other" | "superuser") {
            expected.push(others_event.clone());
        }
        expected.push(marker_event.clone());
        let mut got = actions(&events);
        // Only the order of each record's own events is guaranteed here.
        let key = |pair: &(String, String)| (pair.1 != owned_id, pair.1.clone());
        got.sort_by_key(key);
        expected.sort_by_key(key);
        assert_eq!(got, expected, "{name}");
        for event in &events {
            assert_eq!(event.name, "notes/*");
            assert_eq!(event.id, sse.client_id);
            let record = &event.data["record"];
            assert_eq!(record["collectionName"], "notes");
            assert_eq!(
                record.get("secret").is_some(),
                *name == "superuser",
                "{name}: {record}"
            );
        }
        if *name == "owner" {
            assert_eq!(events[1].data["record"]["text"], "a2");
            assert_eq!(events[2].data["record"]["text"], "a2");
        }
    }
}

#[test]
fn options_shape_the_record_and_record_topics_use_the_view_rule() {
    let server = Server::start();
    let superuser = server.superuser();
    let (author, author_client) = user(&server, &superuser, "author@example.com", "");
    create_collection(
        &superuser,
        &json!({
            "name": "posts",
            "listRule": "",
            "viewRule": "author = @request.auth.id",
            "fields": [
                {"name": "title", "type": "text"},
                {"name": "author", "type": "relation", "collectionId": "_pb_users_auth_", "maxSelect": 1}
            ]
        }),
    );
    let post = create_record(
        &superuser,
        "posts",
        &json!({"title": "t", "author": author["id"]}),
    );
    let post_id = post["id"].as_str().unwrap();
    let options = json!({"query": {"expand": "author", "fields": "id,title,expand.author.email", "filter": "title != 'skip'"}});
    let query = serde_json_query(&options);
    let shaped = format!("posts/*?{query}");
    let by_id = format!("posts/{post_id}");

    let mut author_stream = Sse::connect(&server);
    let subscriptions = [shaped.as_str(), by_id.as_str()];
    assert_eq!(
        author_stream.subscribe(&author_client, &subscriptions).0,
        204
    );
    let mut guest_stream = Sse::connect(&server);
    assert_eq!(
        guest_stream.subscribe(&server.guest(), &subscriptions).0,
        204
    );

    let path = format!("/api/collections/posts/records/{post_id}");
    assert_eq!(superuser.patch(&path, &json!({"title": "skip"})).0, 200);
    assert_eq!(superuser.patch(&path, &json!({"title": "u"})).0, 200);
    let marker = create_record(&superuser, "posts", &json!({"title": "marker"}));
    let marker_id = marker["id"].as_str().unwrap();

    // The author: the record topic for both updates, the filtered list topic for the second,
    // the email of its own expanded record.
    let events = author_stream.until_marker(marker_id);
    let seen: BTreeSet<(String, String)> = events
        .iter()
        .map(|event| {
            (
                event.name.clone(),
                event.data["record"]["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        (by_id.clone(), "skip".to_string()),
        (by_id.clone(), "u".to_string()),
        (shaped.clone(), "u".to_string()),
        (shaped.clone(), "marker".to_string()),
    ]
    .into_iter()
    .collect();
    assert_eq!(seen, expected);
    let shaped_update = events
        .iter()
        .find(|event| event.name == shaped && event.data["record"]["id"] == post_id)
        .unwrap();
    assert_eq!(
        shaped_update.data["record"],
        json!({"id": post_id, "title": "u", "expand": {"author": {"email": "author@example.com"}}})
    );

    // A guest: no record topic (view rule), and the author expanded without its email.
    let events = guest_stream.until_marker(marker_id);
    assert_eq!(
        actions(&events),
        [
            ("update".to_string(), post_id.to_string()),
            ("create".to_string(), marker_id.to_string())
        ]
    );
    assert_eq!(events[0].name, shaped);
    assert_eq!(
        events[0].data["record"],
        json!({"id": post_id, "title": "u", "expand": {}})
    );
}

/// `options=<json>` as a query string.
fn serde_json_query(options: &Value) -> String {
    let mut encoded = String::from("options=");
    for byte in options.to_string().bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[test]
fn unsubscribing_and_reconnecting() {
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    for name in ["first", "second"] {
        create_collection(
            &superuser,
            &json!({"name": name, "listRule": "", "viewRule": "",
                                              "fields": [{"name": "n", "type": "text"}]}),
        );
    }
    let mut sse = Sse::connect(&server);
    assert_eq!(sse.subscribe(&guest, &["first/*", "second/*"]).0, 204);
    let one = create_record(&superuser, "first", &json!({"n": "1"}));
    assert_eq!(sse.expect().data["record"]["id"], one["id"]);

    // The list replaces the previous one.
    assert_eq!(sse.subscribe(&guest, &["second/*"]).0, 204);
    create_record(&superuser, "first", &json!({"n": "2"}));
    let kept = create_record(&superuser, "second", &json!({"n": "3"}));
    let event = sse.expect();
    assert_eq!(event.name, "second/*");
    assert_eq!(event.data["record"]["id"], kept["id"]);

    // An empty list unsubscribes from everything.
    assert_eq!(sse.subscribe(&guest, &[]).0, 204);
    create_record(&superuser, "second", &json!({"n": "4"}));
    assert_eq!(sse.subscribe(&guest, &["second/*"]).0, 204);
    let after = create_record(&superuser, "second", &json!({"n": "5"}));
    assert_eq!(sse.expect().data["record"]["id"], after["id"]);

    // Gone when the connection closes; a new connection is a new client.
    let old_id = sse.client_id.clone();
    drop(sse);
    let deadline = Instant::now() + EVENT_TIMEOUT;
    while sse_subscribe_status(&guest, &old_id) != 404 {
        assert!(Instant::now() < deadline, "{old_id} still registered");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut again = Sse::connect(&server);
    assert_ne!(again.client_id, old_id);
    assert_eq!(again.subscribe(&guest, &["first/*"]).0, 204);
    let fresh = create_record(&superuser, "first", &json!({"n": "6"}));
    let event = again.expect();
    assert_eq!(event.id, again.client_id);
    assert_eq!(event.data["record"]["id"], fresh["id"]);
}

fn sse_subscribe_status(client: &Client, client_id: &str) -> u16 {
    client
        .post(
            "/api/realtime",
            &json!({"clientId": client_id, "subscriptions": []}),
        )
        .0
}

#[test]
fn a_thousand_subscribers_each_receive_every_event() {
    const SUBSCRIBERS: usize = 1000;
    const EVENTS: usize = 5;
    let started = Instant::now();
    let server = Server::start();
    let superuser = server.superuser();
    let guest = server.guest();
    create_collection(
        &superuser,
        &json!({"name": "feed", "listRule": "", "viewRule": "", "fields": [{"name": "n", "type": "number"}]}),
    );
    let mut streams: Vec<Sse> = (0..SUBSCRIBERS)
        .map(|_| {
            let sse = Sse::connect(&server);
            assert_eq!(sse.subscribe(&guest, &["feed/*"]).0, 204);
            sse
        })
        .collect();
    let ids: Vec<Value> = (0..EVENTS)
        .map(|n| create_record(&superuser, "feed", &json!({"n": n}))["id"].clone())
        .collect();
    // Each client gets every event. (This server also keeps their order; PocketBase, which
    // sends each message from its own goroutine, may not under this load.)
    let expected: BTreeSet<String> = ids
        .iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect();
    for sse in &mut streams {
        let received: BTreeSet<String> = (0..EVENTS)
            .map(|_| {
                let event = sse.expect();
                assert_eq!(event.data["action"], "create");
                event.data["record"]["id"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(received, expected);
    }
    assert!(
        started.elapsed() < Duration::from_secs(120),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn the_stored_auth_follows_its_record() {
    let server = Server::start();
    let superuser = server.superuser();
    let members_only = "@request.auth.id != ''";
    create_collection(
        &superuser,
        &json!({"name": "members", "listRule": members_only, "viewRule": members_only,
                "fields": [{"name": "n", "type": "text"}]}),
    );
    create_collection(
        &superuser,
        &json!({"name": "public", "listRule": "", "viewRule": "", "fields": [{"name": "n", "type": "text"}]}),
    );
    let (member, member_client) = user(&server, &superuser, "member@example.com", "");
    let user_path = format!(
        "/api/collections/users/records/{}",
        member["id"].as_str().unwrap()
    );
    let mut sse = Sse::connect(&server);
    assert_eq!(
        sse.subscribe(&member_client, &["members/*", "public/*", "users/*"])
            .0,
        204
    );

    // A newer version of the auth record replaces the stored one.
    let (status, _) = superuser.patch(&user_path, &json!({"name": "renamed"}));
    assert_eq!(status, 200);
    let event = sse.expect();
    assert_eq!(event.name, "users/*");
    // The owner sees its own email.
    assert_eq!(event.data["record"]["email"], "member@example.com");
    let seen = create_record(&superuser, "members", &json!({"n": "1"}));
    assert_eq!(sse.expect().data["record"]["id"], seen["id"]);

    // A new password (new token key) drops it: the client is a guest from then on, already
    // for that update (the users' list rule is `id = @request.auth.id`).
    let (status, _) = superuser.patch(
        &user_path,
        &json!({"password": "An0ther!Passw0rd", "passwordConfirm": "An0ther!Passw0rd"}),
    );
    assert_eq!(status, 200);
    create_record(&superuser, "members", &json!({"n": "2"}));
    let marker = create_record(&superuser, "public", &json!({"n": "m"}));
    let marker_id = marker["id"].as_str().unwrap();
    let events = sse.until_marker(marker_id);
    assert_eq!(events.len(), 1, "{events:?}");
    // Without a stored auth, a guest may subscribe again on the same client.
    assert_eq!(sse.subscribe(&server.guest(), &["public/*"]).0, 204);
}

#[test]
fn cascade_deletes_are_judged_as_the_records_were() {
    let server = Server::start();
    let superuser = server.superuser();
    let posts = create_collection(
        &superuser,
        &json!({"name": "posts", "listRule": "public = true", "viewRule": "public = true",
                "fields": [{"name": "public", "type": "bool"}]}),
    );
    // A comment is visible through its post, which the cascade deletes along with it.
    create_collection(
        &superuser,
        &json!({"name": "comments", "listRule": "post.public = true", "viewRule": "post.public = true",
                "fields": [{"name": "post", "type": "relation", "collectionId": posts["id"],
                            "maxSelect": 1, "cascadeDelete": true}]}),
    );
    let post = create_record(&superuser, "posts", &json!({"public": true}));
    let post_id = post["id"].as_str().unwrap();
    let comment = create_record(&superuser, "comments", &json!({"post": post_id}));
    let comment_id = comment["id"].as_str().unwrap();

    let mut sse = Sse::connect(&server);
    assert_eq!(
        sse.subscribe(&server.guest(), &["posts/*", "comments/*"]).0,
        204
    );
    let path = format!("/api/collections/posts/records/{post_id}");
    assert_eq!(superuser.delete(&path).0, 204);
    let first = sse.expect();
    let second = sse.expect();
    assert_eq!(
        actions(&[first.clone(), second.clone()]),
        [
            ("delete".to_string(), comment_id.to_string()),
            ("delete".to_string(), post_id.to_string())
        ]
    );
    assert_eq!(first.name, "comments/*");
    assert_eq!(first.data["record"]["post"], post_id);
}
