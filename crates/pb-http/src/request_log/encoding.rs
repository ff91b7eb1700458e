//! How a [`PendingLog`] is laid out in a queue buffer: requests append their logs to a byte
//! buffer ([`encode`]) and the writer reads them back in place ([`decode_all`]), so that a log
//! costs its request one copy into a buffer that is reused, not a handful of allocations that
//! another thread would have to free.
//!
//! A log is: the creation instant (microseconds since the epoch, `i64`), the execution time
//! (`f64`), the status (`u16`), a flags byte saying which optional parts follow, then its
//! texts, each as a `u32` length and the bytes. Numbers are little-endian. Only this module
//! writes or reads the layout, and a buffer never leaves the process.

use chrono::DateTime;

use super::entry::{FailureText, PendingLog};

const HAS_IPS: u8 = 1;
const HAS_TOKEN: u8 = 1 << 1;
const LOG_AUTH_ID: u8 = 1 << 2;
const HAS_FAILURE: u8 = 1 << 3;

fn push_text(out: &mut Vec<u8>, text: &str) {
    // A text longer than 4 GiB cannot be in a request; cut rather than wrap the length.
    let length = u32::try_from(text.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(&text.as_bytes()[..length as usize]);
}

/// Appends `log` to `out`.
pub fn encode(log: &PendingLog<'_>, out: &mut Vec<u8>) {
    let mut flags = 0;
    if log.ips.is_some() {
        flags |= HAS_IPS;
    }
    if log.token.is_some() {
        flags |= HAS_TOKEN;
    }
    if log.log_auth_id {
        flags |= LOG_AUTH_ID;
    }
    if log.failure.is_some() {
        flags |= HAS_FAILURE;
    }
    out.extend_from_slice(&log.created.timestamp_micros().to_le_bytes());
    out.extend_from_slice(&log.exec_time_ms.to_le_bytes());
    out.extend_from_slice(&log.status.to_le_bytes());
    out.push(flags);
    push_text(out, log.method);
    push_text(out, log.uri);
    push_text(out, log.referer);
    push_text(out, log.user_agent);
    if let Some((user_ip, remote_ip)) = log.ips {
        push_text(out, user_ip);
        push_text(out, remote_ip);
    }
    if let Some(token) = log.token {
        push_text(out, token);
    }
    if let Some(failure) = log.failure {
        push_text(out, failure.message);
        push_text(out, failure.details);
    }
}

/// Reads logs from the front of a buffer.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.bytes.split_first_chunk::<N>()?;
        self.bytes = rest;
        Some(*head)
    }

    fn text(&mut self) -> Option<&'a str> {
        let length = u32::from_le_bytes(self.take::<4>()?) as usize;
        let text = self.bytes.get(..length)?;
        self.bytes = &self.bytes[length..];
        std::str::from_utf8(text).ok()
    }

    fn log(&mut self) -> Option<PendingLog<'a>> {
        let created = DateTime::from_timestamp_micros(i64::from_le_bytes(self.take::<8>()?))?;
        let exec_time_ms = f64::from_le_bytes(self.take::<8>()?);
        let status = u16::from_le_bytes(self.take::<2>()?);
        let [flags] = self.take::<1>()?;
        let method = self.text()?;
        let uri = self.text()?;
        let referer = self.text()?;
        let user_agent = self.text()?;
        let ips = if flags & HAS_IPS != 0 {
            Some((self.text()?, self.text()?))
        } else {
            None
        };
        let token = if flags & HAS_TOKEN != 0 {
            Some(self.text()?)
        } else {
            None
        };
        let failure = if flags & HAS_FAILURE != 0 {
            Some(FailureText {
                message: self.text()?,
                details: self.text()?,
            })
        } else {
            None
        };
        Some(PendingLog {
            created,
            method,
            uri,
            status,
            exec_time_ms,
            referer,
            user_agent,
            ips,
            token,
            log_auth_id: flags & LOG_AUTH_ID != 0,
            failure,
        })
    }
}

/// Appends to `logs` every log [`encode`]d into `bytes`, borrowing their texts from it.
/// (Reading stops at anything that is not a whole log, which `encode` never leaves.)
pub fn decode_all<'a>(bytes: &'a [u8], logs: &mut Vec<PendingLog<'a>>) {
    let mut reader = Reader { bytes };
    while !reader.bytes.is_empty() {
        match reader.log() {
            Some(log) => logs.push(log),
            None => {
                tracing::error!("a request log queue buffer is damaged; the rest is dropped");
                return;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> PendingLog<'static> {
        PendingLog {
            created: DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap(),
            method: "PATCH",
            uri: "/api/collections/posts/records/abc?expand=author",
            status: 404,
            exec_time_ms: 1.25,
            referer: "",
            user_agent: "sdk/1 ✓",
            ips: Some(("10.0.0.1", "127.0.0.1")),
            token: Some("eyJ.token"),
            log_auth_id: true,
            failure: Some(FailureText {
                message: "The requested resource wasn't found.",
                details: r#""sql: no rows in result set""#,
            }),
        }
    }

    #[test]
    fn logs_come_back_as_they_went_in_and_in_order() {
        let full = sample();
        let bare = PendingLog {
            ips: None,
            token: None,
            log_auth_id: false,
            failure: None,
            status: 200,
            ..sample()
        };
        let mut buffer = Vec::new();
        encode(&full, &mut buffer);
        encode(&bare, &mut buffer);
        encode(&full, &mut buffer);
        let mut logs = Vec::new();
        decode_all(&buffer, &mut logs);
        assert_eq!(logs, vec![full, bare, full]);
    }

    #[test]
    fn a_cut_buffer_yields_the_whole_logs_before_the_cut() {
        let mut buffer = Vec::new();
        encode(&sample(), &mut buffer);
        let whole = buffer.len();
        encode(&sample(), &mut buffer);
        let mut logs = Vec::new();
        decode_all(&buffer[..whole + 10], &mut logs);
        assert_eq!(logs, vec![sample()]);
    }
}
