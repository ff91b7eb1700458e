//! Parsed API rules, kept between requests. A collection's rules are a handful of strings that
//! every request re-evaluates; parsing them once saves the lexer and parser on the hot path.
//! Only rules are cached (filters sent by clients are not, so they cannot fill memory), keyed
//! by their text — a syntax tree does not depend on the schema.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use crate::ast::Expr;
use crate::error::RuleError;

/// More distinct rule texts than any schema has; past it the cache starts over.
const MAX_ENTRIES: usize = 4096;

static PARSED_RULES: LazyLock<Mutex<HashMap<String, Arc<Expr>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The syntax tree of a rule, parsed once per distinct text. Errors are not cached.
pub(crate) fn parse_rule(expression: &str) -> Result<Arc<Expr>, RuleError> {
    if let Ok(cache) = PARSED_RULES.lock() {
        if let Some(expr) = cache.get(expression) {
            return Ok(Arc::clone(expr));
        }
    }
    let expr = Arc::new(crate::parse(expression)?);
    if let Ok(mut cache) = PARSED_RULES.lock() {
        if cache.len() >= MAX_ENTRIES {
            cache.clear();
        }
        cache.insert(expression.to_string(), Arc::clone(&expr));
    }
    Ok(expr)
}

/// Whether an expression compiles to the same SQL and binds for every request (given the same
/// schema): it names neither `@request.*` nor a datetime macro. Conservative: any `@` other
/// than `@collection.` (even inside a string literal) counts as request-dependent.
pub fn is_request_independent(expression: &str) -> bool {
    !expression.replace("@collection.", "").contains('@')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_once_and_shares_the_tree() {
        let first = parse_rule("status = 'published' && views > 1").unwrap();
        let second = parse_rule("status = 'published' && views > 1").unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert!(parse_rule("status = ").is_err());
    }

    #[test]
    fn request_independence_is_judged_conservatively() {
        assert!(is_request_independent("status = 'published'"));
        assert!(is_request_independent("@collection.users.id ?= author"));
        assert!(!is_request_independent("author = @request.auth.id"));
        assert!(!is_request_independent("created > @now"));
        assert!(!is_request_independent("email ~ '@example.com'"));
    }
}
