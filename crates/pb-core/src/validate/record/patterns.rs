//! Compiled user patterns (a text field's `pattern`), kept between records.
//!
//! Every record create checks its id against the id field's pattern, so compiling the pattern
//! per value would cost more than the rest of the validation. Patterns come from collection
//! definitions, which are few; the cache is cleared if it ever grows past [`MAX_PATTERNS`]
//! (schemas edited many times over a long run), so it cannot grow without bound.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use regex::Regex;

/// Patterns remembered at most.
const MAX_PATTERNS: usize = 512;

/// Pattern text to its compiled form, `None` for a pattern that does not compile.
static COMPILED: LazyLock<Mutex<HashMap<String, Option<Regex>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Whether `text` matches `pattern`; a pattern that does not compile matches nothing.
pub(super) fn matches(pattern: &str, text: &str) -> bool {
    compiled(pattern).is_some_and(|regex| regex.is_match(text))
}

fn compiled(pattern: &str) -> Option<Regex> {
    let mut cache = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(found) = cache.get(pattern) {
        return found.clone();
    }
    if cache.len() >= MAX_PATTERNS {
        cache.clear();
    }
    let regex = Regex::new(pattern).ok();
    cache.insert(pattern.to_string(), regex.clone());
    regex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_a_fresh_regex_and_remembers_bad_patterns_as_matching_nothing() {
        assert!(matches("^[a-z0-9]+$", "abc123"));
        assert!(!matches("^[a-z0-9]+$", "ABC"));
        assert!(matches("^[a-z0-9]+$", "zzz"));
        assert!(!matches("(unclosed", "(unclosed"));
        assert!(!matches("(unclosed", "anything"));
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        for n in 0..(MAX_PATTERNS + 10) {
            assert!(matches(&format!("^x{n}$"), &format!("x{n}")));
        }
        let size = COMPILED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        assert!(size <= MAX_PATTERNS, "cache holds {size}");
    }
}
