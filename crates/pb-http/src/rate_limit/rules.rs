//! Which rate limit rule a request falls under, with PocketBase's labels and precedence.
//!
//! A request has a list of labels, most specific first. Routes of a collection carry tags
//! (`users:authWithPassword`, `users:auth`, then the wildcards `*:authWithPassword`,
//! `*:auth`), and every request ends with `METHOD /path` and `/path`. The first label that a
//! rule names exactly (and whose audience fits) wins; after each label, rules whose label ends
//! with `/` are tried as path prefixes (`/api/` covers `/api/health`). So `*:auth` beats
//! `/api/` for a password login, and `/api/` still covers record routes no tag rule names.

use crate::live_settings::{Audience, RateLimitRule};

/// The tags of a route of a collection, as PocketBase binds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRoute<'a> {
    /// The `{collection}` path segment (id or name).
    pub collection: &'a str,
    /// A name of the route, distinct per route (the counters of one rule are kept per route).
    pub pattern: &'static str,
    pub tags: &'static [&'static str],
}

/// The collection route `method path` is, if any. Only these routes have tags; all others
/// are limited by their path alone.
pub fn collection_route<'a>(method: &str, path: &'a str) -> Option<CollectionRoute<'a>> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let route = |collection, pattern, tags| {
        Some(CollectionRoute {
            collection,
            pattern,
            tags,
        })
    };
    match (method, segments.as_slice()) {
        ("GET" | "HEAD", ["api", "files", collection, _, _]) => {
            route(collection, "GET /api/files/{c}/{r}/{f}", &["file"])
        }
        (_, ["api", "collections", collection, rest @ ..]) => match (method, rest) {
            ("GET", ["records"]) => route(collection, "GET records", &["list"]),
            ("POST", ["records"]) => route(collection, "POST records", &["create"]),
            ("GET", ["records", _]) => route(collection, "GET records/{id}", &["view"]),
            ("PATCH", ["records", _]) => route(collection, "PATCH records/{id}", &["update"]),
            ("DELETE", ["records", _]) => route(collection, "DELETE records/{id}", &["delete"]),
            ("GET", ["auth-methods"]) => route(collection, "auth-methods", &["listAuthMethods"]),
            ("POST", ["auth-refresh"]) => route(collection, "auth-refresh", &["authRefresh"]),
            ("POST", ["auth-with-password"]) => route(
                collection,
                "auth-with-password",
                &["authWithPassword", "auth"],
            ),
            ("POST", ["auth-with-oauth2"]) => {
                route(collection, "auth-with-oauth2", &["authWithOAuth2", "auth"])
            }
            ("POST", ["request-otp"]) => route(collection, "request-otp", &["requestOTP"]),
            ("POST", ["auth-with-otp"]) => {
                route(collection, "auth-with-otp", &["authWithOTP", "auth"])
            }
            ("POST", ["request-password-reset"]) => route(
                collection,
                "request-password-reset",
                &["requestPasswordReset"],
            ),
            ("POST", ["confirm-password-reset"]) => route(
                collection,
                "confirm-password-reset",
                &["confirmPasswordReset"],
            ),
            ("POST", ["request-verification"]) => {
                route(collection, "request-verification", &["requestVerification"])
            }
            ("POST", ["confirm-verification"]) => {
                route(collection, "confirm-verification", &["confirmVerification"])
            }
            ("POST", ["request-email-change"]) => {
                route(collection, "request-email-change", &["requestEmailChange"])
            }
            ("POST", ["confirm-email-change"]) => {
                route(collection, "confirm-email-change", &["confirmEmailChange"])
            }
            _ => None,
        },
        _ => None,
    }
}

/// The labels of a request to a route without tags: `METHOD /path`, then `/path`.
pub fn path_labels(method: &str, path: &str) -> Vec<String> {
    vec![format!("{method} {path}"), path.to_string()]
}

/// The labels of a collection route: `name:tag` for each tag, `*:tag` for each tag, then the
/// path labels.
pub fn collection_labels(
    collection_name: &str,
    tags: &[&str],
    method: &str,
    path: &str,
) -> Vec<String> {
    let mut labels: Vec<String> = tags
        .iter()
        .map(|tag| format!("{collection_name}:{tag}"))
        .collect();
    labels.extend(tags.iter().map(|tag| format!("*:{tag}")));
    labels.extend(path_labels(method, path));
    labels
}

/// The rule for `labels` among `rules`, for a guest (`is_auth == false`) or an authenticated
/// record. Rules whose audience is the other kind of requester are passed over.
pub fn find_rule<'a>(
    rules: &'a [RateLimitRule],
    labels: &[String],
    is_auth: bool,
) -> Option<&'a RateLimitRule> {
    let fits = |rule: &RateLimitRule| match rule.audience {
        Audience::All => true,
        Audience::Guest => !is_auth,
        Audience::Auth => is_auth,
    };
    let prefix_rules: Vec<&RateLimitRule> = rules
        .iter()
        .filter(|rule| rule.label.ends_with('/'))
        .collect();
    for label in labels {
        if let Some(rule) = rules.iter().find(|rule| rule.label == *label && fits(rule)) {
            return Some(rule);
        }
        let with_slash = format!("{label}/");
        if let Some(rule) = prefix_rules
            .iter()
            .find(|rule| with_slash.starts_with(rule.label.as_str()) && fits(rule))
        {
            return Some(rule);
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::live_settings::LiveSettings;

    fn default_rules() -> Vec<RateLimitRule> {
        LiveSettings::from_json(&serde_json::json!({}))
            .rate_limits
            .rules
    }

    fn rule_for(rules: &[RateLimitRule], method: &str, path: &str, is_auth: bool) -> String {
        let labels = match collection_route(method, path) {
            Some(route) => collection_labels(route.collection, route.tags, method, path),
            None => path_labels(method, path),
        };
        find_rule(rules, &labels, is_auth)
            .map(|rule| rule.label.clone())
            .unwrap_or_default()
    }

    #[test]
    fn default_rules_cover_routes_as_pocketbase_s() {
        let rules = default_rules();
        let cases = [
            (
                "POST",
                "/api/collections/users/auth-with-password",
                "*:auth",
            ),
            ("POST", "/api/collections/users/auth-with-otp", "*:auth"),
            ("POST", "/api/collections/users/auth-with-oauth2", "*:auth"),
            ("POST", "/api/collections/users/request-otp", "/api/"),
            ("POST", "/api/collections/users/auth-refresh", "/api/"),
            ("POST", "/api/collections/posts/records", "*:create"),
            ("GET", "/api/collections/posts/records", "/api/"),
            ("POST", "/api/batch", "/api/batch"),
            ("GET", "/api/health", "/api/"),
            ("GET", "/_/", ""),
        ];
        for (method, path, expected) in cases {
            assert_eq!(rule_for(&rules, method, path, false), expected, "{path}");
        }
    }

    #[test]
    fn specific_labels_and_audiences() {
        let rule = |label: &str, audience| RateLimitRule {
            label: label.into(),
            max_requests: 1,
            duration: 1,
            audience,
        };
        let rules = vec![
            rule("users:list", Audience::Auth),
            rule("GET /api/collections/posts/records", Audience::All),
            rule("/api/collections/", Audience::Guest),
        ];
        let list_users = "/api/collections/users/records";
        assert_eq!(rule_for(&rules, "GET", list_users, true), "users:list");
        assert_eq!(
            rule_for(&rules, "GET", list_users, false),
            "/api/collections/"
        );
        assert_eq!(
            rule_for(&rules, "GET", "/api/collections/posts/records", true),
            "GET /api/collections/posts/records"
        );
        assert_eq!(
            rule_for(&rules, "POST", "/api/collections/posts/records", true),
            ""
        );
    }
}
