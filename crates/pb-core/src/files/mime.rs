//! The MIME type of a file, read from its first bytes the way PocketBase does (it never trusts
//! the type a client declares): the `mimeTypes` option of a file field is checked against it, it
//! is stored with the file and served as its `Content-Type`, and it supplies the extension of a
//! name that has none.
//!
//! The detection covers the formats people upload in practice (images, documents, archives,
//! audio, video, text formats) with the type strings PocketBase's detector reports; anything else
//! is `application/octet-stream`. Text is `text/plain; charset=utf-8`, as PocketBase reports it.

/// How many leading bytes detection looks at (PocketBase's detector reads as many).
pub const HEAD_LENGTH: usize = 3072;

/// The type of data whose detection found nothing more specific.
pub const OCTET_STREAM: &str = "application/octet-stream";
/// The type of text files.
pub const PLAIN_TEXT: &str = "text/plain; charset=utf-8";

/// Binary formats recognised by a signature at a fixed offset: (offset, signature, type).
const SIGNATURES: &[(usize, &[u8], &str)] = &[
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"\x00\x00\x01\x00", "image/x-icon"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"Rar!\x1a\x07", "application/x-rar-compressed"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"OggS", "application/ogg"),
    (0, b"fLaC", "audio/flac"),
    (0, b"\x1a\x45\xdf\xa3", "video/x-matroska"),
    (0, b"wOFF", "font/woff"),
    (0, b"wOF2", "font/woff2"),
    (0, b"\x00\x01\x00\x00\x00", "font/ttf"),
    (0, b"OTTO", "font/otf"),
    (0, b"\x7fELF", "application/x-elf"),
    (
        0,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "application/x-ole-storage",
    ),
];

/// Extensions of the detected types, as PocketBase names them.
const EXTENSIONS: &[(&str, &str)] = &[
    ("image/png", ".png"),
    ("image/jpeg", ".jpg"),
    ("image/gif", ".gif"),
    ("image/webp", ".webp"),
    ("image/bmp", ".bmp"),
    ("image/x-icon", ".ico"),
    ("image/tiff", ".tiff"),
    ("image/avif", ".avif"),
    ("image/heic", ".heic"),
    ("image/svg+xml", ".svg"),
    ("application/pdf", ".pdf"),
    ("application/zip", ".zip"),
    ("application/gzip", ".gz"),
    ("application/x-7z-compressed", ".7z"),
    ("application/x-rar-compressed", ".rar"),
    ("application/ogg", ".ogg"),
    ("application/json", ".json"),
    ("application/x-elf", ""),
    ("application/x-ole-storage", ""),
    ("audio/mpeg", ".mp3"),
    ("audio/flac", ".flac"),
    ("audio/wav", ".wav"),
    ("audio/x-m4a", ".m4a"),
    ("video/mp4", ".mp4"),
    ("video/quicktime", ".mov"),
    ("video/3gpp", ".3gp"),
    ("video/webm", ".webm"),
    ("video/x-matroska", ".mkv"),
    ("video/x-msvideo", ".avi"),
    ("font/woff", ".woff"),
    ("font/woff2", ".woff2"),
    ("font/ttf", ".ttf"),
    ("font/otf", ".otf"),
    ("text/html", ".html"),
    ("text/xml", ".xml"),
    ("text/csv", ".csv"),
    ("text/plain", ".txt"),
];

/// Other names clients use for detected types (`mimeTypes` may list either).
const ALIASES: &[(&str, &str)] = &[
    ("application/zip", "application/x-zip"),
    ("application/zip", "application/x-zip-compressed"),
    ("application/pdf", "application/x-pdf"),
    ("application/gzip", "application/x-gzip"),
    ("text/xml", "application/xml"),
    ("audio/mpeg", "audio/mp3"),
    ("audio/wav", "audio/x-wav"),
    ("audio/wav", "audio/wave"),
    ("image/x-icon", "image/vnd.microsoft.icon"),
];

/// Content types served inline (others are sent as attachments, so a browser never renders an
/// uploaded HTML or SVG file on the API's origin).
const INLINE: &[&str] = &[
    "image/png",
    "image/jpg",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/x-icon",
    "image/bmp",
    "video/webm",
    "video/mp4",
    "video/3gpp",
    "video/quicktime",
    "video/x-ms-wmv",
    "audio/basic",
    "audio/aiff",
    "audio/mpeg",
    "audio/midi",
    "audio/mp3",
    "audio/wave",
    "audio/wav",
    "audio/x-wav",
    "audio/x-mpeg",
    "audio/x-m4a",
    "audio/aac",
    "application/pdf",
    "application/x-pdf",
];

/// Image types thumbs are made of.
const THUMBABLE: &[&str] = &[
    "image/png",
    "image/jpg",
    "image/jpeg",
    "image/gif",
    "image/webp",
];

/// The type of a file whose first bytes (up to [`HEAD_LENGTH`]) are `head`.
pub fn detect(head: &[u8]) -> &'static str {
    if let Some(detected) = detect_binary(head) {
        return detected;
    }
    detect_text(head).unwrap_or(OCTET_STREAM)
}

fn detect_binary(head: &[u8]) -> Option<&'static str> {
    if head.len() >= 12 && &head[0..4] == b"RIFF" {
        match &head[8..12] {
            b"WEBP" => return Some("image/webp"),
            b"WAVE" => return Some("audio/wav"),
            b"AVI " => return Some("video/x-msvideo"),
            _ => {}
        }
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        return Some(match &head[8..12] {
            b"qt  " => "video/quicktime",
            b"avif" | b"avis" => "image/avif",
            b"heic" | b"heix" | b"mif1" | b"msf1" => "image/heic",
            b"M4A " | b"M4B " => "audio/x-m4a",
            brand if brand.starts_with(b"3g") => "video/3gpp",
            _ => "video/mp4",
        });
    }
    if head.starts_with(b"\x1a\x45\xdf\xa3") && contains(head, b"webm") {
        return Some("video/webm");
    }
    if head.len() >= 2 && head[0] == 0xff && (head[1] & 0xe0) == 0xe0 && head[1] != 0xff {
        return Some("audio/mpeg");
    }
    SIGNATURES
        .iter()
        .find(|(offset, signature, _)| {
            head.get(*offset..)
                .is_some_and(|rest| rest.starts_with(signature))
        })
        .map(|(_, _, detected)| *detected)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// Text formats: HTML, XML (and SVG), JSON, CSV, then plain text; `None` for binary data.
fn detect_text(head: &[u8]) -> Option<&'static str> {
    if !looks_like_text(head) {
        return None;
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let lower = trimmed
        .get(..trimmed.len().min(512))
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    if lower.starts_with("<?xml") {
        return Some(if lower.contains("<svg") {
            "image/svg+xml"
        } else {
            "text/xml; charset=utf-8"
        });
    }
    if lower.starts_with("<svg") {
        return Some("image/svg+xml");
    }
    if is_html(&lower) {
        return Some("text/html; charset=utf-8");
    }
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<serde_json::Value>(trimmed).is_ok()
    {
        return Some("application/json");
    }
    if is_csv(trimmed) {
        return Some("text/csv");
    }
    Some(PLAIN_TEXT)
}

/// No NUL bytes and no control characters other than whitespace and escape.
fn looks_like_text(head: &[u8]) -> bool {
    head.iter().all(|byte| {
        !matches!(byte, 0x00..=0x08 | 0x0e..=0x1a | 0x1c..=0x1f | 0x7f) || *byte == 0x1b
    })
}

fn is_html(lower: &str) -> bool {
    const TAGS: &[&str] = &[
        "<!doctype html",
        "<html",
        "<head",
        "<script",
        "<iframe",
        "<h1",
        "<div",
        "<font",
        "<table",
        "<a",
        "<style",
        "<title",
        "<b",
        "<body",
        "<br",
        "<p",
        "<!--",
    ];
    TAGS.iter().any(|tag| {
        lower.strip_prefix(tag).is_some_and(|rest| {
            rest.starts_with(|character: char| character == '>' || character.is_whitespace())
        })
    })
}

/// At least two lines with the same number (one or more) of commas outside quotes.
fn is_csv(text: &str) -> bool {
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.is_empty())
        .take(10)
        .collect();
    if lines.len() < 2 {
        return false;
    }
    let commas = |line: &str| {
        let mut quoted = false;
        line.chars()
            .filter(|character| {
                if *character == '"' {
                    quoted = !quoted;
                }
                *character == ',' && !quoted
            })
            .count()
    };
    let first = commas(lines[0]);
    first > 0 && lines.iter().all(|line| commas(line) == first)
}

/// The part of a content type before its parameters, lower-cased and trimmed.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// The extension (with its dot) of files of `content_type`, or `""`.
pub fn extension_for(content_type: &str) -> &'static str {
    let essence = essence(content_type);
    EXTENSIONS
        .iter()
        .find(|(known, _)| *known == essence)
        .map_or("", |(_, extension)| *extension)
}

/// Whether a detected `content_type` is one of `allowed` (a `mimeTypes` option): types compare
/// without parameters and ignoring case, and a type's aliases count as the type.
pub fn is_allowed(content_type: &str, allowed: &[String]) -> bool {
    let detected = essence(content_type);
    allowed.iter().any(|candidate| {
        let candidate = essence(candidate);
        candidate == detected
            || ALIASES
                .iter()
                .any(|(canonical, alias)| *canonical == detected && *alias == candidate)
    })
}

/// Whether files of `content_type` are served inline rather than as attachments.
pub fn is_inline(content_type: &str) -> bool {
    INLINE.contains(&content_type)
}

/// Whether thumbs can be made of files of `content_type`.
pub fn is_thumbable(content_type: &str) -> bool {
    THUMBABLE.contains(&essence(content_type).as_str())
}

/// The type to serve a file named `filename` with when detection cannot be trusted for it:
/// browsers need these exact types for stylesheets, scripts and SVG images.
pub fn served_type_override(filename: &str) -> Option<&'static str> {
    let extension = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    match extension.as_str() {
        "svg" => Some("image/svg+xml"),
        "css" => Some("text/css; charset=utf-8"),
        "js" | "mjs" => Some("text/javascript; charset=utf-8"),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_formats() {
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
        assert_eq!(detect(b"\xff\xd8\xff\xe0\0\x10JFIF"), "image/jpeg");
        assert_eq!(detect(b"GIF89a\x01\0"), "image/gif");
        assert_eq!(detect(b"RIFF\0\0\0\0WEBPVP8 "), "image/webp");
        assert_eq!(detect(b"%PDF-1.4 fake"), "application/pdf");
        assert_eq!(detect(b"PK\x03\x04rest"), "application/zip");
        assert_eq!(detect(b"\0\0\0\x18ftypmp42"), "video/mp4");
        assert_eq!(detect(b"hello world"), PLAIN_TEXT);
        assert_eq!(detect(b""), PLAIN_TEXT);
        assert_eq!(detect(b"{\"a\": 1}"), "application/json");
        assert_eq!(detect(b"<!DOCTYPE html><html>"), "text/html; charset=utf-8");
        assert_eq!(
            detect(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "image/svg+xml"
        );
        assert_eq!(
            detect(b"<?xml version=\"1.0\"?><a/>"),
            "text/xml; charset=utf-8"
        );
        assert_eq!(detect(b"a,b,c\n1,2,3\n"), "text/csv");
        assert_eq!(detect(&[0u8, 1, 2, 3, 200, 100]), OCTET_STREAM);
    }

    #[test]
    fn allowed_types_ignore_parameters_case_and_aliases() {
        let allowed = vec!["image/png".to_string(), "TEXT/PLAIN".to_string()];
        assert!(is_allowed(PLAIN_TEXT, &allowed));
        assert!(is_allowed("image/png", &allowed));
        assert!(!is_allowed("application/pdf", &allowed));
        assert!(is_allowed(
            "application/zip",
            &["application/x-zip-compressed".into()]
        ));
    }

    #[test]
    fn extensions_inline_and_thumbs() {
        assert_eq!(extension_for(PLAIN_TEXT), ".txt");
        assert_eq!(extension_for("image/jpeg"), ".jpg");
        assert_eq!(extension_for(OCTET_STREAM), "");
        assert!(is_inline("image/png"));
        assert!(!is_inline(PLAIN_TEXT));
        assert!(is_thumbable("image/webp"));
        assert!(!is_thumbable("image/svg+xml"));
        assert_eq!(served_type_override("x.SVG"), Some("image/svg+xml"));
        assert_eq!(served_type_override("x.txt"), None);
    }
}
