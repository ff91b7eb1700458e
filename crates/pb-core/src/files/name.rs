//! The name an uploaded file is stored under: `<snake_name>_<10 random [a-z0-9]><.ext>`, as
//! PocketBase 0.40 makes it, so that names never collide, never carry path separators, quotes or
//! control characters, and still tell a person what the file was.
//!
//! The rules, each checked against a PocketBase 0.40.6 server:
//! * the client's name loses any directory part (RFC 7578) and is cut to its last 300 bytes;
//! * the extension is the last one, or the last two when the name has two or more dots
//!   (`x.tar.gz` keeps `.tar.gz`, `a.b.c.d` keeps `.c.d`); characters outside
//!   `[A-Za-z0-9_.*+=#-]` are dropped, dots at its ends collapse to one leading dot (`x.y.` gives
//!   `.y`), and it keeps its last 20 characters; a name without one gets the extension of the
//!   type detected from the content (`.txt`, `.png`, or none for unknown binary data);
//! * the rest becomes snake_case over ASCII letters and digits (`My Photo (1)` is `my_photo_1`,
//!   `myPhoto` is `my_photo`, other characters separate words); under 3 characters it gets 10
//!   random characters appended, over 100 it is cut to 100;
//! * `_` and 10 random characters always follow, so the same file uploaded twice gets two names.
//!
//! One deliberate difference: PocketBase refuses a name whose 300-byte cut splits a UTF-8
//! character; here the cut moves to the next character boundary.

use crate::ids::{random_string, RECORD_ID_ALPHABET};

/// The longest original name kept, in bytes (the end of longer names is kept).
pub const MAX_ORIGINAL_NAME_BYTES: usize = 300;
/// The longest snake_case base kept.
const MAX_BASE_LENGTH: usize = 100;
/// Bases shorter than this get extra random characters.
const MIN_BASE_LENGTH: usize = 3;
/// The longest extension kept, without its dot.
const MAX_EXTENSION_LENGTH: usize = 20;
/// The length of each random part.
const RANDOM_PART_LENGTH: usize = 10;

/// The name a client sent as the server keeps it: without any directory part (only what follows
/// the last `/` counts; a name of only slashes is `/`) and cut to its last 300 bytes on a
/// character boundary. An empty name stays empty (the part is then not a file).
pub fn original_name(raw: &str) -> String {
    if raw.is_empty() {
        return String::new();
    }
    let trimmed = raw.trim_end_matches('/');
    let base = if trimmed.is_empty() {
        "/"
    } else {
        trimmed.rsplit('/').next().unwrap_or(trimmed)
    };
    last_bytes(base, MAX_ORIGINAL_NAME_BYTES).to_string()
}

/// The stored name for a file the client called `original` whose content was detected as
/// `content_type` (the extension comes from it when the name has none).
pub fn stored_file_name(original: &str, content_type: &str) -> String {
    let raw_extension = raw_extension(original);
    let mut extension = clean_extension(raw_extension);
    if extension.is_empty() {
        extension = super::mime::extension_for(content_type).to_string();
    }
    let stem = original.strip_suffix(raw_extension).unwrap_or(original);
    let mut base = snake_case(stem);
    if base.len() < MIN_BASE_LENGTH {
        base.push_str(&random_part());
    } else if base.len() > MAX_BASE_LENGTH {
        base.truncate(MAX_BASE_LENGTH);
    }
    format!("{base}_{}{extension}", random_part())
}

fn random_part() -> String {
    random_string(RANDOM_PART_LENGTH, RECORD_ID_ALPHABET)
}

/// The last `limit` bytes of `text`, moved forward to a character boundary.
fn last_bytes(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut start = text.len() - limit;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The extension as written in the name, dot included: from the second-to-last dot when there
/// is one, else from the last dot; empty without dots.
fn raw_extension(name: &str) -> &str {
    let Some(last_dot) = name.rfind('.') else {
        return "";
    };
    match name[..last_dot].rfind('.') {
        Some(previous_dot) => &name[previous_dot..],
        None => &name[last_dot..],
    }
}

/// The extension with unsafe characters dropped, one leading dot, at most 20 characters after
/// it; empty when nothing is left.
fn clean_extension(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .filter(|character| {
            character.is_ascii_alphanumeric()
                || matches!(character, '_' | '.' | '*' | '-' | '+' | '=' | '#')
        })
        .collect();
    let inner = kept.trim_matches('.');
    if inner.is_empty() {
        return String::new();
    }
    // Only ASCII is left, so byte offsets are character offsets.
    let start = inner.len().saturating_sub(MAX_EXTENSION_LENGTH);
    format!(".{}", &inner[start..])
}

/// snake_case over ASCII words: runs of anything but letters and digits separate words, an
/// upper-case letter that follows a non-upper-case one inside a word starts a new word.
fn snake_case(text: &str) -> String {
    let mut output = String::new();
    for word in text
        .split(|character: char| !character.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
    {
        if !output.is_empty() {
            output.push('_');
        }
        let mut previous: Option<char> = None;
        for character in word.chars() {
            if character.is_ascii_uppercase()
                && previous.is_some_and(|previous| !previous.is_ascii_uppercase())
            {
                output.push('_');
            }
            output.push(character.to_ascii_lowercase());
            previous = Some(character);
        }
    }
    output
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use regex::Regex;

    /// `(stem, extension)` of a stored name whose random suffix is replaced by `*`.
    fn shape(original: &str, content_type: &str) -> String {
        let stored = stored_file_name(original, content_type);
        let pattern = Regex::new(r"^(.*)_[a-z0-9]{10}(\.[^.]*(\.[^.]*)?)?$").unwrap();
        let captures = pattern
            .captures(&stored)
            .unwrap_or_else(|| panic!("{stored}"));
        format!(
            "{}_*{}",
            &captures[1],
            captures.get(2).map_or("", |m| m.as_str())
        )
    }

    #[test]
    fn names_match_the_reference_server() {
        let text = "text/plain; charset=utf-8";
        assert_eq!(shape("My Photo (1).png", "image/png"), "my_photo_1_*.png");
        assert_eq!(
            shape("My Report (final).txt", text),
            "my_report_final_*.txt"
        );
        assert_eq!(shape("passwd", text), "passwd_*.txt");
        assert_eq!(shape("ÄÖÜ straße.tar.gz", text), "stra_e_*.tar.gz");
        assert_eq!(shape("a.b.c.d", text), "a_b_*.c.d");
        assert_eq!(
            shape("UPPER Case-Name_v2.PNG", text),
            "upper_case_name_v2_*.PNG"
        );
        assert_eq!(shape("myPhotoABC.txt", text), "my_photo_abc_*.txt");
        assert_eq!(shape("dots..name.txt", text), "dots_*.name.txt");
        assert_eq!(shape("trail.", text), "trail_*.txt");
        assert_eq!(shape("  spaced  .txt", text), "spaced_*.txt");
        assert_eq!(shape("img", "image/png"), "img_*.png");
        assert_eq!(shape("rnd", "application/octet-stream"), "rnd_*");
        assert_eq!(
            shape("very.long.extension_abcdefghijklmnopqrstuvwxyz", text),
            "very_*.ghijklmnopqrstuvwxyz"
        );
        assert_eq!(
            stored_file_name("a$b%c.t#x*t", text)
                .rsplit_once('.')
                .unwrap()
                .1,
            "t#x*t"
        );
    }

    #[test]
    fn short_names_get_an_extra_random_part() {
        for (original, extension) in [
            (".hidden", ".hidden"),
            ("..hidden", ".hidden"),
            ("x.TXT", ".TXT"),
            ("ab.tar.gz", ".tar.gz"),
            ("a..b", ".b"),
            ("x.y.", ".y"),
            ("a. b.txt", ".b.txt"),
            ("...", ".txt"),
            ("한국어.txt", ".txt"),
        ] {
            let stored = stored_file_name(original, "text/plain; charset=utf-8");
            let stem = stored
                .strip_suffix(extension)
                .unwrap_or_else(|| panic!("{stored}"));
            let prefix = snake_case(original.strip_suffix(raw_extension(original)).unwrap());
            let pattern = format!("^{prefix}[a-z0-9]{{10}}_[a-z0-9]{{10}}$");
            assert!(
                Regex::new(&pattern).unwrap().is_match(stem),
                "{original} -> {stored}"
            );
        }
    }

    #[test]
    fn long_names_are_cut() {
        let stored = stored_file_name(&format!("{}.txt", "b".repeat(150)), "text/plain");
        assert!(
            stored.starts_with(&format!("{}_", "b".repeat(100))),
            "{stored}"
        );
        assert_eq!(stored.len(), 100 + 1 + 10 + 4);
    }

    #[test]
    fn original_names_lose_directories_and_are_cut_on_char_boundaries() {
        assert_eq!(original_name("../../etc/passwd"), "passwd");
        assert_eq!(original_name("a/b\\c.txt"), "b\\c.txt");
        assert_eq!(original_name("dir/"), "dir");
        assert_eq!(original_name("///"), "/");
        assert_eq!(original_name(""), "");
        let long = format!("{}abc.txt", "é".repeat(200));
        let cut = original_name(&long);
        assert!(cut.len() <= MAX_ORIGINAL_NAME_BYTES && cut.ends_with("abc.txt"));
    }

    #[test]
    fn stored_names_never_hold_unsafe_characters() {
        let safe = Regex::new(r"^[a-z0-9_]+(\.[A-Za-z0-9_.*+=#-]+)?$").unwrap();
        for original in [
            "a\"b\r\nX-Injected: 1.txt",
            "nul\0byte.txt",
            "..\\..\\win.ini",
            "<script>.html",
            "semi;colon.txt",
            "%2e%2e%2fpasswd",
        ] {
            let stored = stored_file_name(&original_name(original), "text/plain");
            assert!(safe.is_match(&stored), "{original:?} -> {stored:?}");
        }
    }
}
