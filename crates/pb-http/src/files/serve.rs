//! Serving a stored file as PocketBase does (Go's `http.ServeContent` behind it): conditional
//! requests (`If-Modified-Since` gives 304, `If-Range`), byte ranges (one range gives 206 with
//! `Content-Range`, several a `multipart/byteranges` body, none satisfiable 416), and the cache,
//! disposition and sandboxing headers of file responses.
//!
//! The body is streamed from the store: a blocking task reads 64 KiB at a time into a small
//! channel the response drains, so a download never sits in memory and a slow client only holds
//! one blocking thread.

use std::io::Read;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;
use std::time::SystemTime;

use actix_web::body::SizedStream;
use actix_web::http::header::{HeaderName, HeaderValue, HttpDate};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use pb_core::ports::FileStore;
use tokio::sync::mpsc;

use crate::error::ApiError;

/// PocketBase's cache policy for files (30 days, then a day of stale-while-revalidate).
const CACHE_CONTROL: &str = "max-age=2592000, stale-while-revalidate=86400";
/// File responses are sandboxed: an uploaded HTML or SVG file cannot run script on this origin.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox";
/// Bytes read per chunk of a streamed body.
const CHUNK: usize = 64 << 10;
/// Chunks a body may run ahead of the client.
const CHUNKS_AHEAD: usize = 4;

/// The request headers that shape a file response.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    pub range: Option<String>,
    pub if_range: Option<String>,
    pub if_modified_since: Option<String>,
}

impl Conditions {
    /// The `Range`, `If-Range` and `If-Modified-Since` headers of `request`.
    pub fn from_request(request: &actix_web::HttpRequest) -> Conditions {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        Conditions {
            range: header("range"),
            if_range: header("if-range"),
            if_modified_since: header("if-modified-since"),
        }
    }
}

/// A stored file about to be served.
pub struct ServedFile {
    pub store: Arc<dyn FileStore>,
    pub key: String,
    pub size: u64,
    pub modified: SystemTime,
    pub content_type: String,
    /// The name in `Content-Disposition`.
    pub filename: String,
    /// `attachment` instead of `inline`.
    pub attachment: bool,
}

/// A response decided on the blocking pool, turned into an actix response on the async side.
pub struct Prepared {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: PreparedBody,
}

enum PreparedBody {
    Empty,
    Text(String),
    Stream { length: u64, segments: Vec<Segment> },
}

enum Segment {
    Bytes(Vec<u8>),
    Reader(Box<dyn Read + Send>),
}

impl ServedFile {
    /// Decides the response and opens what it reads. Blocks (store calls).
    pub fn prepare(self, conditions: &Conditions) -> Result<Prepared, ApiError> {
        let disposition = format!(
            "{}; filename=\"{}\"",
            if self.attachment || !pb_core::files::mime::is_inline(&self.content_type) {
                "attachment"
            } else {
                "inline"
            },
            self.filename
        );
        let last_modified = HttpDate::from(self.modified).to_string();
        let mut headers = vec![
            ("content-disposition", disposition),
            (
                "content-security-policy",
                CONTENT_SECURITY_POLICY.to_string(),
            ),
            ("content-type", self.content_type.clone()),
        ];
        if not_modified_since(self.modified, conditions.if_modified_since.as_deref()) {
            headers.retain(|(name, _)| *name != "content-type");
            headers.push(("cache-control", CACHE_CONTROL.to_string()));
            headers.push(("last-modified", last_modified));
            return Ok(Prepared {
                status: StatusCode::NOT_MODIFIED,
                headers,
                body: PreparedBody::Empty,
            });
        }
        let range_header = conditions
            .range
            .as_deref()
            .filter(|_| if_range_holds(self.modified, conditions.if_range.as_deref()));
        let ranges = match range_header.map(|header| parse_ranges(header, self.size)) {
            None => Vec::new(),
            Some(Ok(ranges)) => ranges,
            Some(Err(RangeError::NoOverlap)) => {
                headers.push(("content-range", format!("bytes */{}", self.size)));
                return Ok(unsatisfiable(headers, "invalid range: failed to overlap"));
            }
            Some(Err(RangeError::Invalid)) => return Ok(unsatisfiable(headers, "invalid range")),
        };
        let ranges = if ranges
            .iter()
            .map(|range| range.end - range.start)
            .sum::<u64>()
            > self.size
        {
            Vec::new()
        } else {
            ranges
        };
        headers.push(("accept-ranges", "bytes".to_string()));
        headers.push(("cache-control", CACHE_CONTROL.to_string()));
        headers.push(("last-modified", last_modified));
        match ranges.len() {
            0 => {
                let reader = self.open(None)?;
                Ok(Prepared {
                    status: StatusCode::OK,
                    headers,
                    body: PreparedBody::Stream {
                        length: self.size,
                        segments: vec![Segment::Reader(reader)],
                    },
                })
            }
            1 => {
                let range = ranges[0].clone();
                headers.push((
                    "content-range",
                    format!("bytes {}-{}/{}", range.start, range.end - 1, self.size),
                ));
                let reader = self.open(Some(range.clone()))?;
                Ok(Prepared {
                    status: StatusCode::PARTIAL_CONTENT,
                    headers,
                    body: PreparedBody::Stream {
                        length: range.end - range.start,
                        segments: vec![Segment::Reader(reader)],
                    },
                })
            }
            _ => self.multipart(headers, &ranges),
        }
    }

    fn open(&self, range: Option<Range<u64>>) -> Result<Box<dyn Read + Send>, ApiError> {
        match self.store.open(&self.key, range) {
            Ok(Some(content)) => Ok(content.reader),
            Ok(None) => Err(ApiError::not_found()),
            Err(error) => {
                tracing::error!(%error, key = %self.key, "reading a stored file failed");
                Err(ApiError::internal())
            }
        }
    }

    /// A `multipart/byteranges` body with one part per range.
    fn multipart(
        &self,
        mut headers: Vec<(&'static str, String)>,
        ranges: &[Range<u64>],
    ) -> Result<Prepared, ApiError> {
        let boundary = pb_core::ids::random_string(60, "0123456789abcdef");
        let mut segments = Vec::new();
        let mut length = 0u64;
        for (index, range) in ranges.iter().enumerate() {
            let part_header = format!(
                "{}--{boundary}\r\nContent-Range: bytes {}-{}/{}\r\nContent-Type: {}\r\n\r\n",
                if index == 0 { "" } else { "\r\n" },
                range.start,
                range.end - 1,
                self.size,
                self.content_type
            );
            length += part_header.len() as u64 + (range.end - range.start);
            segments.push(Segment::Bytes(part_header.into_bytes()));
            segments.push(Segment::Reader(self.open(Some(range.clone()))?));
        }
        let closing = format!("\r\n--{boundary}--\r\n");
        length += closing.len() as u64;
        segments.push(Segment::Bytes(closing.into_bytes()));
        for (name, value) in headers.iter_mut() {
            if *name == "content-type" {
                *value = format!("multipart/byteranges; boundary={boundary}");
            }
        }
        Ok(Prepared {
            status: StatusCode::PARTIAL_CONTENT,
            headers,
            body: PreparedBody::Stream { length, segments },
        })
    }
}

fn unsatisfiable(mut headers: Vec<(&'static str, String)>, message: &str) -> Prepared {
    for (name, value) in headers.iter_mut() {
        if *name == "content-type" {
            *value = "text/plain; charset=utf-8".to_string();
        }
    }
    Prepared {
        status: StatusCode::RANGE_NOT_SATISFIABLE,
        headers,
        body: PreparedBody::Text(format!("{message}\n")),
    }
}

impl Prepared {
    /// The actix response; the body streams from a blocking task.
    pub fn into_response(self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                builder.insert_header((HeaderName::from_static(name), value));
            }
        }
        let mut response = match self.body {
            PreparedBody::Empty => builder.finish(),
            PreparedBody::Text(text) => builder.body(text),
            PreparedBody::Stream { length, segments } => {
                let (sender, mut receiver) =
                    mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_AHEAD);
                actix_web::rt::task::spawn_blocking(move || feed(segments, &sender));
                let stream =
                    futures_util::stream::poll_fn(move |context| receiver.poll_recv(context));
                builder.body(SizedStream::new(length, stream))
            }
        };
        response
            .extensions_mut()
            .insert(crate::middleware::NoFrameOptions);
        response
    }
}

/// Sends every segment's bytes down `sender`; stops when the client is gone.
fn feed(segments: Vec<Segment>, sender: &mpsc::Sender<Result<Bytes, std::io::Error>>) {
    for segment in segments {
        match segment {
            Segment::Bytes(bytes) => {
                if sender.blocking_send(Ok(Bytes::from(bytes))).is_err() {
                    return;
                }
            }
            Segment::Reader(mut reader) => loop {
                let mut buffer = vec![0u8; CHUNK];
                match reader.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(read) => {
                        buffer.truncate(read);
                        if sender.blocking_send(Ok(Bytes::from(buffer))).is_err() {
                            return;
                        }
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(error) => {
                        tracing::warn!(%error, "reading a stored file failed mid-response");
                        let _ = sender.blocking_send(Err(error));
                        return;
                    }
                }
            },
        }
    }
}

/// Whether `If-Modified-Since` says the client's copy is current (second precision).
fn not_modified_since(modified: SystemTime, header: Option<&str>) -> bool {
    let Some(since) = header.and_then(|text| HttpDate::from_str(text.trim()).ok()) else {
        return false;
    };
    let since = SystemTime::from(since);
    seconds(modified) <= seconds(since)
}

/// Whether a `Range` applies under `If-Range` (absent, or a date equal to `Last-Modified`).
fn if_range_holds(modified: SystemTime, header: Option<&str>) -> bool {
    let Some(header) = header.map(str::trim).filter(|header| !header.is_empty()) else {
        return true;
    };
    HttpDate::from_str(header)
        .map(|date| seconds(SystemTime::from(date)) == seconds(modified))
        .unwrap_or(false)
}

fn seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|duration| duration.as_secs())
        .unwrap_or(0)
}

#[derive(Debug, PartialEq, Eq)]
enum RangeError {
    /// The header does not parse.
    Invalid,
    /// No range overlaps the file.
    NoOverlap,
}

/// The ranges of a `Range` header for a file of `size` bytes (end excluded), as Go reads them:
/// ranges starting past the end are skipped, ends past it are clamped, `-n` is the last n bytes.
fn parse_ranges(header: &str, size: u64) -> Result<Vec<Range<u64>>, RangeError> {
    let Some(specs) = header.strip_prefix("bytes=") else {
        return Err(RangeError::Invalid);
    };
    let mut ranges = Vec::new();
    let mut no_overlap = false;
    for spec in specs
        .split(',')
        .map(str::trim)
        .filter(|spec| !spec.is_empty())
    {
        let (start, end) = spec.split_once('-').ok_or(RangeError::Invalid)?;
        let (start, end) = (start.trim(), end.trim());
        let number = |text: &str| text.parse::<u64>().map_err(|_| RangeError::Invalid);
        if start.is_empty() {
            if end.is_empty() || end.starts_with('-') {
                return Err(RangeError::Invalid);
            }
            let suffix = number(end)?.min(size);
            ranges.push(size - suffix..size);
            continue;
        }
        let start = number(start)?;
        if start >= size {
            no_overlap = true;
            continue;
        }
        let end = if end.is_empty() {
            size
        } else {
            let last = number(end)?;
            if start > last {
                return Err(RangeError::Invalid);
            }
            last.min(size - 1) + 1
        };
        ranges.push(start..end);
    }
    if no_overlap && ranges.is_empty() {
        return Err(RangeError::NoOverlap);
    }
    Ok(ranges)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::single_range_in_vec_init)]
    fn ranges_like_go() {
        assert_eq!(parse_ranges("bytes=1-3", 5), Ok(vec![1..4]));
        assert_eq!(parse_ranges("bytes=2-", 5), Ok(vec![2..5]));
        assert_eq!(parse_ranges("bytes=-2", 5), Ok(vec![3..5]));
        assert_eq!(parse_ranges("bytes=-20", 5), Ok(vec![0..5]));
        assert_eq!(parse_ranges("bytes=0-100", 5), Ok(vec![0..5]));
        assert_eq!(parse_ranges("bytes=0-1,3-4", 5), Ok(vec![0..2, 3..5]));
        assert_eq!(parse_ranges("bytes=10-20", 5), Err(RangeError::NoOverlap));
        assert_eq!(parse_ranges("bytes=10-20,1-1", 5), Ok(vec![1..2]));
        assert_eq!(parse_ranges("bytes=3-1", 5), Err(RangeError::Invalid));
        assert_eq!(parse_ranges("items=0-1", 5), Err(RangeError::Invalid));
        assert_eq!(parse_ranges("bytes=a-b", 5), Err(RangeError::Invalid));
    }

    #[test]
    fn conditional_dates_compare_by_second() {
        let modified = SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_500);
        let same = HttpDate::from(modified).to_string();
        assert!(not_modified_since(modified, Some(&same)));
        assert!(!not_modified_since(
            modified,
            Some("Thu, 01 Jan 1970 00:00:00 GMT")
        ));
        assert!(!not_modified_since(modified, Some("garbage")));
        assert!(if_range_holds(modified, None));
        assert!(if_range_holds(modified, Some(&same)));
        assert!(!if_range_holds(modified, Some("\"etag\"")));
    }
}
