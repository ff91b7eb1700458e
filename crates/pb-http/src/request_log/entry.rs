//! What one request leaves behind ([`PendingLog`], captured on the request path with no I/O)
//! and how it becomes a `_logs` row in PocketBase's shape ([`to_new_log`], on the writer thread).
//!
//! The row: level 0 for a success and 8 for a failure; message `METHOD <unescaped URI>`;
//! `data` with `type: "request"`, `url` (the raw URI), `method`, `status`, `execTime`
//! (milliseconds), `referer`, `userAgent`, `auth` (the auth collection's name or `""`), and as
//! the settings say `authId`, `userIP` and `remoteIP`; failures add `error` and `details`.
//! Keys are stored sorted, as Go writes a map.

use chrono::{DateTime, Utc};
use pb_core::logs::{NewLog, LEVEL_ERROR, LEVEL_INFO};
use serde_json::{Number, Value};

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
    /// When the response was ready (formatted on the writer thread).
    pub created: DateTime<Utc>,
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

/// Appends `value` to `out` as JSON.
fn push_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    // Serialising a string, number or `Value` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Appends `,"key":` (or `{"key":` for the first key) to `out`.
fn push_key(out: &mut Vec<u8>, key: &str) {
    out.push(if out.is_empty() { b'{' } else { b',' });
    push_json(out, &key);
    out.push(b':');
}

/// Builds the row of `log`, acting as `auth`, under the id `id`. `data`'s JSON is written
/// straight into text, its keys in Go's (byte) order.
pub fn to_new_log(log: PendingLog, auth: Option<&AuthFacts>, id: String) -> NewLog {
    let level = log.level();
    let method = cut(&log.method.to_ascii_uppercase(), MAX_METHOD);
    let uri = cut(&log.uri, MAX_URI);
    let mut data = Vec::with_capacity(256 + uri.len() + log.user_agent.len());
    push_key(&mut data, "auth");
    push_json(
        &mut data,
        &auth.map_or("", |auth| auth.collection_name.as_str()),
    );
    if let Some(auth) = auth.filter(|_| log.log_auth_id) {
        push_key(&mut data, "authId");
        push_json(&mut data, &auth.record_id);
    }
    if let Some(failure) = &log.failure {
        push_key(&mut data, "details");
        push_json(&mut data, &failure.details);
        push_key(&mut data, "error");
        push_json(&mut data, &failure.message);
    }
    if let Some(exec_time) = Number::from_f64(log.exec_time_ms) {
        push_key(&mut data, "execTime");
        push_json(&mut data, &exec_time);
    }
    push_key(&mut data, "method");
    push_json(&mut data, &method);
    push_key(&mut data, "referer");
    push_json(&mut data, &cut(&log.referer, MAX_HEADER));
    if let Some((_, remote_ip)) = &log.ips {
        push_key(&mut data, "remoteIP");
        push_json(&mut data, remote_ip);
    }
    push_key(&mut data, "status");
    push_json(&mut data, &log.status);
    push_key(&mut data, "type");
    push_json(&mut data, &"request");
    push_key(&mut data, "url");
    push_json(&mut data, &uri);
    push_key(&mut data, "userAgent");
    push_json(&mut data, &cut(&log.user_agent, MAX_HEADER));
    if let Some((user_ip, _)) = &log.ips {
        push_key(&mut data, "userIP");
        push_json(&mut data, user_ip);
    }
    data.push(b'}');
    NewLog {
        id,
        created: pb_core::datetime::format(log.created),
        level,
        message: message(&method, &uri),
        // serde_json writes UTF-8 only.
        data: String::from_utf8(data).unwrap_or_default(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pending() -> PendingLog {
        PendingLog {
            created: DateTime::parse_from_rfc3339("2026-11-22T23:38:46.677Z")
                .unwrap()
                .to_utc(),
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
        let entry = to_new_log(pending(), None, "xcyn2us69r7wd7l".into());
        assert_eq!(entry.created, "2026-11-22 23:38:46.677Z");
        assert_eq!(entry.level, 8);
        assert_eq!(
            entry.message,
            "GET /api/collections/users/records?filter=x=1"
        );
        assert_eq!(
            entry.data,
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
        let entry = to_new_log(log.clone(), Some(&auth), "id".into());
        assert_eq!(entry.level, 0);
        assert_eq!(
            entry.data,
            r#"{"auth":"users","authId":"u1","execTime":0.279727,"method":"GET","referer":"http://r/","status":200,"type":"request","url":"/api/collections/users/records?filter=x%3D1","userAgent":"ua1"}"#
        );
        log.log_auth_id = false;
        log.referer = "q\"uote\u{1}".into();
        let entry = to_new_log(log, Some(&auth), "id".into());
        let data: Value = serde_json::from_str(&entry.data).unwrap();
        assert_eq!(data["referer"], "q\"uote\u{1}");
        assert!(data.get("authId").is_none());
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
