//! What one request leaves behind ([`PendingLog`], captured on the request path with no I/O)
//! and how it becomes a `_logs` row in PocketBase's shape ([`fill_row`], on the writer thread).
//!
//! The row: level 0 for a success and 8 for a failure; message `METHOD <unescaped URI>`;
//! `data` with `type: "request"`, `url` (the raw URI), `method`, `status`, `execTime`
//! (milliseconds), `referer`, `userAgent`, `auth` (the auth collection's name or `""`), and as
//! the settings say `authId`, `userIP` and `remoteIP`; failures add `error` and `details`.
//! Keys are stored sorted, as Go writes a map.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use pb_core::ids::TimeOrderedIds;
use pb_core::logs::{NewLog, LEVEL_ERROR, LEVEL_INFO};
use serde_json::{Number, Value};

/// PocketBase cuts the URI at 3000 bytes, and the referer and user agent at 2000.
const MAX_URI: usize = 3000;
const MAX_HEADER: usize = 2000;
const MAX_METHOD: usize = 50;

/// A failed request's error, as a handler or middleware leaves it for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogFailure {
    /// The error message the client got.
    pub message: String,
    /// The underlying cause (PocketBase's raw error data), `null` when there is none.
    pub details: Value,
}

/// A failure as it travels to the writer: its message and its details as JSON text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureText<'a> {
    pub message: &'a str,
    /// JSON text (`null` when there are no details).
    pub details: &'a str,
}

/// A request as captured for its log. It borrows: from the request while it is queued
/// ([`super::writer::RequestLogger::submit`] copies it into a queue buffer), then from that
/// buffer on the writer thread. Nothing of it is allocated per request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PendingLog<'a> {
    /// When the response was ready (formatted on the writer thread).
    pub created: DateTime<Utc>,
    pub method: &'a str,
    /// The path and query as received (percent-encoded).
    pub uri: &'a str,
    pub status: u16,
    pub exec_time_ms: f64,
    pub referer: &'a str,
    pub user_agent: &'a str,
    /// `(userIP, remoteIP)` when `logs.logIP` is on.
    pub ips: Option<(&'a str, &'a str)>,
    /// The raw auth token, resolved to a record on the writer thread.
    pub token: Option<&'a str>,
    /// Whether to store the auth record's id (`logs.logAuthId`).
    pub log_auth_id: bool,
    pub failure: Option<FailureText<'a>>,
}

impl PendingLog<'_> {
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

/// `text` cut to `max` bytes (at a character boundary), the cut marked with `...`; borrowed
/// when it fits.
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}...", &text[..end]))
}

/// Go's `url.PathUnescape`: `%XX` decoded, `+` kept; `None` for a malformed escape or a result
/// that is not UTF-8. Borrowed when there is nothing to decode.
fn path_unescape(text: &str) -> Option<Cow<'_, str>> {
    if !text.contains('%') {
        return Some(Cow::Borrowed(text));
    }
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
    String::from_utf8(decoded).ok().map(Cow::Owned)
}

/// Appends the log message to `out`: `METHOD URI`, the URI unescaped when it can be.
pub fn push_message(out: &mut String, method: &str, uri: &str) {
    out.push_str(method);
    out.push(' ');
    out.push_str(&path_unescape(uri).unwrap_or(Cow::Borrowed(uri)));
}

/// Appends `value` to `out` as JSON.
fn push_json(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    // Serialising a string, number or `Value` into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Appends `,"key":` (or `{"key":` for the first key) to `out`. The keys are this module's
/// constants, plain ASCII letters: nothing to escape.
fn push_key(out: &mut Vec<u8>, key: &'static str) {
    debug_assert!(key.bytes().all(|byte| byte.is_ascii_alphabetic()));
    out.push(if out.is_empty() { b'{' } else { b',' });
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// `method` in capitals, borrowed when it already is.
fn upper(method: &str) -> Cow<'_, str> {
    if method.bytes().any(|byte| byte.is_ascii_lowercase()) {
        Cow::Owned(method.to_ascii_uppercase())
    } else {
        Cow::Borrowed(method)
    }
}

/// Makes `row` the row of `log`, acting as `auth`, under the next id of `ids`. The row's
/// buffers are reused (the store hands the same row for every log of a batch), so a steady
/// stream of logs allocates next to nothing here. `data`'s JSON is written straight into text,
/// its keys in Go's (byte) order.
pub fn fill_row(
    row: &mut NewLog,
    log: &PendingLog<'_>,
    auth: Option<&AuthFacts>,
    ids: &mut TimeOrderedIds,
) {
    let method = upper(log.method);
    let method = cut(&method, MAX_METHOD);
    let uri = cut(log.uri, MAX_URI);
    row.id.clear();
    ids.next_into(
        u64::try_from(log.created.timestamp_millis()).unwrap_or(0),
        &mut row.id,
    );
    row.created.clear();
    pb_core::datetime::format_into(log.created, &mut row.created);
    row.level = log.level();
    row.message.clear();
    push_message(&mut row.message, &method, &uri);

    let mut data = std::mem::take(&mut row.data).into_bytes();
    data.clear();
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
        data.extend_from_slice(failure.details.as_bytes());
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
    push_json(&mut data, &cut(log.referer, MAX_HEADER));
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
    push_json(&mut data, &cut(log.user_agent, MAX_HEADER));
    if let Some((user_ip, _)) = &log.ips {
        push_key(&mut data, "userIP");
        push_json(&mut data, user_ip);
    }
    data.push(b'}');
    // serde_json writes UTF-8 only, and the details were JSON text.
    row.data = String::from_utf8(data).unwrap_or_default();
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pending() -> PendingLog<'static> {
        PendingLog {
            created: DateTime::parse_from_rfc3339("2026-11-22T23:38:46.677Z")
                .unwrap()
                .to_utc(),
            method: "GET",
            uri: "/api/collections/users/records?filter=x%3D1",
            status: 400,
            exec_time_ms: 0.279727,
            referer: "http://r/",
            user_agent: "ua1",
            ips: Some(("127.0.0.1", "127.0.0.1")),
            token: None,
            log_auth_id: false,
            failure: Some(FailureText {
                message: "Something went wrong while processing your request.",
                details: "null",
            }),
        }
    }

    fn row_of(log: &PendingLog<'_>, auth: Option<&AuthFacts>) -> NewLog {
        let mut row = NewLog::default();
        fill_row(&mut row, log, auth, &mut TimeOrderedIds::default());
        row
    }

    #[test]
    fn a_failed_request_as_pocketbase_logs_it() {
        let entry = row_of(&pending(), None);
        assert_eq!(entry.created, "2026-11-22 23:38:46.677Z");
        assert_eq!(entry.level, 8);
        assert_eq!(entry.id.len(), 15);
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
        let entry = row_of(&log, Some(&auth));
        assert_eq!(entry.level, 0);
        assert_eq!(
            entry.data,
            r#"{"auth":"users","authId":"u1","execTime":0.279727,"method":"GET","referer":"http://r/","status":200,"type":"request","url":"/api/collections/users/records?filter=x%3D1","userAgent":"ua1"}"#
        );
        log.log_auth_id = false;
        log.referer = "q\"uote\u{1}";
        let entry = row_of(&log, Some(&auth));
        let data: Value = serde_json::from_str(&entry.data).unwrap();
        assert_eq!(data["referer"], "q\"uote\u{1}");
        assert!(data.get("authId").is_none());
    }

    #[test]
    fn a_reused_row_keeps_nothing_of_the_last_one() {
        let mut row = NewLog::default();
        let mut ids = TimeOrderedIds::default();
        let long_uri = "/long".repeat(700);
        let mut first = pending();
        first.method = "post";
        first.uri = &long_uri;
        fill_row(&mut row, &first, None, &mut ids);
        assert!(row.message.starts_with("POST /long/long"));
        assert!(row.message.ends_with("..."));
        let first_id = row.id.clone();
        let mut second = pending();
        second.failure = None;
        second.uri = "/api/health";
        fill_row(&mut row, &second, None, &mut ids);
        assert_eq!(row.message, "GET /api/health");
        assert_eq!(row.level, 0);
        assert_eq!(row.created, "2026-11-22 23:38:46.677Z");
        assert!(row.id > first_id, "ids keep growing");
        let data: Value = serde_json::from_str(&row.data).unwrap();
        assert_eq!(data["url"], "/api/health");
        assert!(data.get("error").is_none());
    }

    fn message(method: &str, uri: &str) -> String {
        let mut out = String::new();
        push_message(&mut out, method, uri);
        out
    }

    #[test]
    fn messages_unescape_like_go() {
        assert_eq!(message("GET", "/a%20b?x=%2B+"), "GET /a b?x=++");
        assert_eq!(message("GET", "/a%zz"), "GET /a%zz");
        assert_eq!(message("GET", "/a%ff"), "GET /a%ff");
        assert_eq!(message("GET", "/plain"), "GET /plain");
        assert_eq!(cut("abcdef", 3), "abc...");
        assert_eq!(cut("ééé", 3), "é...");
        assert!(matches!(cut("abc", 3), Cow::Borrowed("abc")));
    }
}
