//! PocketBase's datetime text format: UTC, `YYYY-MM-DD HH:MM:SS.mmmZ`, always three millisecond
//! digits. Stored and served in exactly this form so sorting the text sorts the instants.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

const FORMAT: &str = "%Y-%m-%d %H:%M:%S%.3fZ";

/// The current instant in PocketBase's format.
pub fn now() -> String {
    format(Utc::now())
}

/// Formats an instant in PocketBase's format.
///
/// Written field by field rather than through chrono's strftime, which parses the pattern on
/// every call: every record write and every request log formats at least one instant.
pub fn format(instant: DateTime<Utc>) -> String {
    let mut text = String::with_capacity(24);
    format_into(instant, &mut text);
    text
}

/// Appends `instant` in PocketBase's format to `text`: for writers that reuse one buffer per
/// row (the request log writer formats thousands a second).
pub fn format_into(instant: DateTime<Utc>, text: &mut String) {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let year = instant.year();
    if !(0..=9999).contains(&year) {
        // Writing into a String cannot fail.
        let _ = write!(text, "{}", instant.format(FORMAT));
        return;
    }
    let _ = write!(
        text,
        "{year:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}Z",
        instant.month(),
        instant.day(),
        instant.hour(),
        instant.minute(),
        instant.second(),
        // chrono counts a leap second as a nanosecond value of 1e9 and more.
        (instant.nanosecond() % 1_000_000_000) / 1_000_000,
    );
}

/// Parses the inputs PocketBase accepts for a date value: RFC 3339 with any offset, the stored form
/// (`2024-01-02 10:20:30.123Z`), `2024-01-02 10:20:30`, and a bare `2024-01-02`. Fractions beyond
/// milliseconds are truncated. Returns `None` for anything else (PocketBase then stores `""`).
pub fn parse(input: &str) -> Option<DateTime<Utc>> {
    let text = input.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Some(parsed.with_timezone(&Utc));
    }
    let with_t = text.replacen(' ', "T", 1);
    if let Ok(parsed) = DateTime::parse_from_rfc3339(&with_t) {
        return Some(parsed.with_timezone(&Utc));
    }
    let without_zone = with_t.trim_end_matches('Z');
    for pattern in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(without_zone, pattern) {
            return Some(naive.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
}

/// Normalises any accepted input to PocketBase's format, or `""` when it cannot be parsed.
pub fn normalize(input: &str) -> String {
    parse(input).map(format).unwrap_or_default()
}

/// RFC 3339 text of an instant, used in validation error params (`{threshold}`).
pub fn rfc3339(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_strftime_would() {
        for text in [
            "2024-01-02T03:04:05.006789Z",
            "1999-12-31T23:59:59.999Z",
            "0007-03-04T00:00:00Z",
            "2026-11-23T02:51:50.5Z",
        ] {
            let instant = DateTime::parse_from_rfc3339(text).unwrap().to_utc();
            assert_eq!(format(instant), instant.format(FORMAT).to_string());
        }
    }

    #[test]
    fn normalizes_the_accepted_inputs() {
        assert_eq!(
            normalize("2024-01-02T03:04:05Z"),
            "2024-01-02 03:04:05.000Z"
        );
        assert_eq!(normalize("2024-01-02"), "2024-01-02 00:00:00.000Z");
        assert_eq!(
            normalize("2024-05-06 07:08:09.123Z"),
            "2024-05-06 07:08:09.123Z"
        );
        assert_eq!(
            normalize("2024-01-02T10:20:30+02:00"),
            "2024-01-02 08:20:30.000Z"
        );
        assert_eq!(normalize("2024-01-02 10:20:30"), "2024-01-02 10:20:30.000Z");
        assert_eq!(
            normalize("2024-01-02 10:20:30.123456Z"),
            "2024-01-02 10:20:30.123Z"
        );
        assert_eq!(normalize("not a date"), "");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn now_has_three_millisecond_digits() {
        let text = now();
        assert_eq!(text.len(), 24);
        assert!(text.ends_with('Z'));
        assert_eq!(&text[10..11], " ");
    }
}
