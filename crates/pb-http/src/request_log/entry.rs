//! What one request leaves behind ([`PendingLog`], captured on the request path with no I/O)
//! and how it becomes a `_logs` row in PocketBase's shape ([`to_entry`], on the writer thread).
//!
//! The row: level 0 for a success and 8 for a failure; message `METHOD <unescaped URI>`;
//! `data` with `type: "request"`, `url` (the raw URI), `method`, `status`, `execTime`
//! (milliseconds), `referer`, `userAgent`, `auth` (the auth collection's name or `""`), and as
//! the settings say `authId`, `userIP` and `remoteIP`; failures add `error` and `details`.
//! Keys are stored sorted, as Go writes a map.

use pb_core::logs::{LogEntry, LEVEL_ERROR, LEVEL_INFO};
use serde_json::{Map, Number, Value};

/// PocketBase cuts the URI at 3000 bytes, and the referer and user agent at 2000.
const MAX_URI: usize = 3000;
const MAX_HEADER: usize = 2000;
const MAX_METHOD: usize = 50;

/// A failed request's error, for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogFailure {
    /// The error message the client got.
    pub message: String,
    /// The underlying cause (PocketBase's raw error data), `null` when there is none.
    pub details: Value,
}

/// A request as captured for its log.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingLog {
    /// When the response was ready, `YYYY-MM-DD HH:MM:SS.sssZ`.
    pub created: String,
    pub method: String,
    /// The path and query as received (percent-encoded).
    pub uri: String,
    pub status: u16,
    pub exec_time_ms: f64,
    pub referer: String,
    pub user_agent: String,
    /// `(userIP, remoteIP)` when `logs.logIP` is on.
    pub ips: Option<(String, String)>,
    /// The raw auth token, resolved to a record on the writer thread.
    pub token: Option<String>,
    /// Whether to store the auth record's id (`logs.logAuthId`).
    pub log_auth_id: bool,
    pub failure: Option<LogFailure>,
}

impl PendingLog {
    /// The slog level of this log.
    pub fn level(&self) -> i64 {
        if self.failure.is_some() {
            LEVEL_ERROR
        } else {
            LEVEL_INFO
        }
    }
}

/// Who a request acted as: the auth collection's name and the record id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthFacts {
    pub collection_name: String,
    pub record_id: String,
}

/// Cuts `text` to `max` bytes (at a character boundary) and marks the cut with `...`.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Go's `url.PathUnescape`: `%XX` decoded, `+` kept; `None` for a malformed escape or a result
/// that is not UTF-8.
fn path_unescape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

/// The log message: `METHOD URI`, the URI unescaped when it can be.
pub fn message(method: &str, uri: &str) -> String {
    let uri = path_unescape(uri).unwrap_or_else(|| uri.to_string());
    format!("{method} {uri}")
}

/// Builds the row of `log`, acting as `auth`, under the id `id`.
pub fn to_entry(log: PendingLog, auth: Option<&AuthFacts>, id: String) -> LogEntry {
    let level = log.level();
    let method = cut(&log.method.to_ascii_uppercase(), MAX_METHOD);
    let uri = cut(&log.uri, MAX_URI);
    let mut data = Map::new();
    data.insert("type".into(), Value::String("request".into()));
    if let Some(exec_time) = Number::from_f64(log.exec_time_ms) {
        data.insert("execTime".into(), Value::Number(exec_time));
    }
    if let Some(failure) = log.failure {
        data.insert("error".into(), Value::String(failure.message));
        data.insert("details".into(), failure.details);
    }
    data.insert("url".into(), Value::String(uri.clone()));
    data.insert("method".into(), Value::String(method.clone()));
    data.insert("status".into(), Value::from(log.status));
    data.insert(
        "referer".into(),
        Value::String(cut(&log.referer, MAX_HEADER)),
    );
    data.insert(
        "userAgent".into(),
        Value::String(cut(&log.user_agent, MAX_HEADER)),
    );
    match auth {
        Some(auth) => {
            data.insert("auth".into(), Value::String(auth.collection_name.clone()));
            if log.log_auth_id {
                data.insert("authId".into(), Value::String(auth.record_id.clone()));
            }
        }
        None => {
            data.insert("auth".into(), Value::String(String::new()));
        }
    }
    if let Some((user_ip, remote_ip)) = log.ips {
        data.insert("userIP".into(), Value::String(user_ip));
        data.insert("remoteIP".into(), Value::String(remote_ip));
    }
    data.sort_keys();
    LogEntry {
        id,
        created: log.created,
        level,
        message: message(&method, &uri),
        data: Value::Object(data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pending() -> PendingLog {
        PendingLog {
            created: "2026-11-22 23:38:46.677Z".into(),
            method: "GET".into(),
            uri: "/api/collections/users/records?filter=x%3D1".into(),
            status: 400,
            exec_time_ms: 0.279727,
            referer: "http://r/".into(),
            user_agent: "ua1".into(),
            ips: Some(("127.0.0.1".into(), "127.0.0.1".into())),
            token: None,
            log_auth_id: false,
            failure: Some(LogFailure {
                message: "Something went wrong while processing your request.".into(),
                details: Value::Null,
            }),
        }
    }

    #[test]
    fn a_failed_request_as_pocketbase_logs_it() {
        let entry = to_entry(pending(), None, "xcyn2us69r7wd7l".into());
        assert_eq!(entry.level, 8);
        assert_eq!(
            entry.message,
            "GET /api/collections/users/records?filter=x=1"
        );
        assert_eq!(
            entry.data.to_string(),
            json!({
                "auth": "", "details": null,
                "error": "Something went wrong while processing your request.",
                "execTime": 0.279727, "method": "GET", "referer": "http://r/",
                "remoteIP": "127.0.0.1", "status": 400, "type": "request",
                "url": "/api/collections/users/records?filter=x%3D1", "userAgent": "ua1",
                "userIP": "127.0.0.1"
            })
            .to_string()
        );
    }

    #[test]
    fn settings_decide_ips_and_auth_id() {
        let mut log = pending();
        log.failure = None;
        log.status = 200;
        log.ips = None;
        log.log_auth_id = true;
        let auth = AuthFacts {
            collection_name: "users".into(),
            record_id: "u1".into(),
        };
        let entry = to_entry(log, Some(&auth), "id".into());
        assert_eq!(entry.level, 0);
        assert_eq!(entry.data["auth"], "users");
        assert_eq!(entry.data["authId"], "u1");
        assert!(entry.data.get("userIP").is_none());
        assert!(entry.data.get("error").is_none());
    }

    #[test]
    fn messages_unescape_like_go() {
        assert_eq!(message("GET", "/a%20b?x=%2B+"), "GET /a b?x=++");
        assert_eq!(message("GET", "/a%zz"), "GET /a%zz");
        assert_eq!(message("GET", "/a%ff"), "GET /a%ff");
        assert_eq!(cut("abcdef", 3), "abc...");
        assert_eq!(cut("ééé", 3), "é...");
    }
}
