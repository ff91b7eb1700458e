//! Subscription strings as PocketBase clients send them: a topic (`posts/*`, `posts`,
//! `posts/RECORD_ID`, or anything else for custom topics) optionally followed by
//! `?options=<url-encoded JSON>` carrying `{"query": {…}, "headers": {…}}`. The whole string
//! stays the SSE event name; the options feed `@request.query.*`/`@request.headers.*` of the
//! rule checks and the `expand`, `fields` and `filter` of the delivered record.

use std::collections::BTreeMap;
use std::sync::Arc;

use pb_core::Collection;
use serde_json::{Map, Value};

/// Which API rule admits a subscriber to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleKind {
    /// `collection/*` (and the bare `collection`): the list rule.
    List,
    /// `collection/RECORD_ID`: the view rule.
    View,
}

/// The options of a subscription (`?options=`), values as strings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubscriptionOptions {
    /// Query params as a rule sees them (`@request.query.*`).
    pub query: Map<String, Value>,
    /// Header names lowercased with `-` as `_`, as a rule sees them (`@request.headers.*`).
    pub headers: Map<String, Value>,
}

impl SubscriptionOptions {
    /// A query param, or `""`.
    pub fn query_param(&self, name: &str) -> &str {
        self.query.get(name).and_then(Value::as_str).unwrap_or("")
    }
}

/// One subscription of a client.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The string as subscribed; also the SSE event name of what it delivers.
    pub name: Arc<str>,
    /// The part before `?`.
    topic: String,
    pub options: Arc<SubscriptionOptions>,
    /// The options in a canonical form: subscribers with equal keys (and auth) see the same
    /// thing, so one rule check and one serialisation serve all of them.
    pub options_key: Arc<str>,
}

impl Subscription {
    /// Parses a subscription string. Malformed options are ignored, as PocketBase ignores them.
    pub fn parse(name: &str) -> Subscription {
        let (topic, raw_query) = match name.split_once('?') {
            Some((topic, query)) => (topic, query),
            None => (name, ""),
        };
        let options = parse_options(raw_query);
        let options_key = canonical_key(&options);
        Subscription {
            name: Arc::from(name),
            topic: topic.to_string(),
            options: Arc::new(options),
            options_key: Arc::from(options_key),
        }
    }

    /// The topic: the subscription string without its options.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Which rule applies when a record `record_id` of `collection` changes, or `None` when
    /// this subscription is not about it. Names and ids are matched exactly (case matters, as
    /// in PocketBase).
    pub fn rule_for(&self, collection: &Collection, record_id: &str) -> Option<RuleKind> {
        let (head, tail) = match self.topic.split_once('/') {
            Some((head, tail)) => (head, Some(tail)),
            None => (self.topic.as_str(), None),
        };
        if head != collection.name && head != collection.id {
            return None;
        }
        match tail {
            None | Some("*") => Some(RuleKind::List),
            Some(id) if id == record_id => Some(RuleKind::View),
            Some(_) => None,
        }
    }
}

/// The `options` param of a subscription's query string, decoded.
fn parse_options(raw_query: &str) -> SubscriptionOptions {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw_query).unwrap_or_default();
    let Some((_, raw)) = pairs.iter().find(|(key, _)| key == "options") else {
        return SubscriptionOptions::default();
    };
    let Ok(Value::Object(parsed)) = serde_json::from_str::<Value>(raw) else {
        return SubscriptionOptions::default();
    };
    let mut options = SubscriptionOptions::default();
    if let Some(Value::Object(query)) = parsed.get("query") {
        for (key, value) in query {
            options.query.insert(key.clone(), as_string(value));
        }
    }
    if let Some(Value::Object(headers)) = parsed.get("headers") {
        for (key, value) in headers {
            let name = key.to_ascii_lowercase().replace('-', "_");
            options.headers.insert(name, as_string(value));
        }
    }
    options
}

/// A value cast to a string the way PocketBase casts option values: strings as they are,
/// numbers and booleans printed, anything else empty.
fn as_string(value: &Value) -> Value {
    Value::String(match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    })
}

fn canonical_key(options: &SubscriptionOptions) -> String {
    let sorted = |map: &Map<String, Value>| -> BTreeMap<String, Value> {
        map.iter()
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    };
    serde_json::json!([sorted(&options.query), sorted(&options.headers)]).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn posts() -> Collection {
        Collection::from_json(&serde_json::json!({
            "id": "pbc_1", "name": "posts", "type": "base",
            "fields": [{"id": "text3208210256", "name": "id", "type": "text", "primaryKey": true,
                        "required": true, "system": true, "min": 15, "max": 15,
                        "pattern": "^[a-z0-9]+$", "autogeneratePattern": "[a-z0-9]{15}"}]
        }))
        .unwrap()
    }

    #[test]
    fn topics_pick_the_rule() {
        let posts = posts();
        let rule = |name: &str, id: &str| Subscription::parse(name).rule_for(&posts, id);
        assert_eq!(rule("posts/*", "a"), Some(RuleKind::List));
        assert_eq!(rule("posts", "a"), Some(RuleKind::List));
        assert_eq!(rule("pbc_1/*", "a"), Some(RuleKind::List));
        assert_eq!(rule("posts/a", "a"), Some(RuleKind::View));
        assert_eq!(rule("pbc_1/a?options=%7B%7D", "a"), Some(RuleKind::View));
        assert_eq!(rule("posts/b", "a"), None);
        assert_eq!(rule("Posts/*", "a"), None);
        assert_eq!(rule("comments/*", "a"), None);
        assert_eq!(rule("@oauth2", "a"), None);
    }

    #[test]
    fn options_become_strings_and_snake_case_headers() {
        let options = serde_json::json!({
            "query": {"expand": "author", "page": 1, "flag": true, "nested": {"a": 1}},
            "headers": {"X-Token": "abc", "XOther": "d"}
        });
        let query = serde_urlencoded::to_string([("options", options.to_string())]).unwrap();
        let subscription = Subscription::parse(&format!("posts/*?{query}"));
        assert_eq!(subscription.topic(), "posts/*");
        assert_eq!(subscription.options.query_param("expand"), "author");
        assert_eq!(subscription.options.query_param("page"), "1");
        assert_eq!(subscription.options.query_param("flag"), "true");
        assert_eq!(subscription.options.query_param("nested"), "");
        assert_eq!(subscription.options.headers["x_token"], "abc");
        assert_eq!(subscription.options.headers["xother"], "d");

        let broken = Subscription::parse("posts/*?options=notjson");
        assert_eq!(*broken.options, SubscriptionOptions::default());
        assert_eq!(
            broken.options_key,
            Subscription::parse("posts/a").options_key
        );
        assert_ne!(subscription.options_key, broken.options_key);
    }
}
