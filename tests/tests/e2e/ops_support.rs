//! Helpers of the logs, crons and rate limit tests: requests with chosen headers, and waiting
//! for request logs, which the server writes in the background.

use std::io::Read;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{create_record, Client, Server};

/// How long a request log may take to show up in `/api/logs`.
pub(crate) const LOG_DEADLINE: Duration = Duration::from_secs(15);

/// `GET path` with extra headers; answers `(status, json body)`.
pub(crate) fn get_with_headers(
    server: &Server,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    let mut request = agent.get(&format!("{}{path}", server.base_url()));
    for (name, value) in headers {
        request = request.set(name, value);
    }
    let response = match request.call() {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("GET {path}: {error}"),
    };
    let status = response.status();
    let mut text = String::new();
    response.into_reader().read_to_string(&mut text).unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// `filter` as a query param value.
pub(crate) fn encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Polls `GET /api/logs?filter=…` as `superuser` until it lists at least `count` items;
/// returns them. Panics after [`LOG_DEADLINE`].
pub(crate) fn wait_for_logs(superuser: &Client, filter: &str, count: usize) -> Vec<Value> {
    let path = format!("/api/logs?perPage=100&filter={}", encode(filter));
    let deadline = Instant::now() + LOG_DEADLINE;
    loop {
        let (status, body) = superuser.get(&path);
        assert_eq!(status, 200, "{body}");
        let items = body["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= count {
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "fewer than {count} logs match {filter:?} after {LOG_DEADLINE:?}: {body}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A `users` record with this email (password `Passw0rd!user`) and its token.
pub(crate) fn user_token(server: &Server, email: &str) -> (String, String) {
    let superuser = server.superuser();
    let user = create_record(
        &superuser,
        "users",
        &serde_json::json!({"email": email, "password": "Passw0rd!user", "passwordConfirm": "Passw0rd!user"}),
    );
    let token = server.guest().login("users", email, "Passw0rd!user");
    (user["id"].as_str().unwrap().to_string(), token)
}
