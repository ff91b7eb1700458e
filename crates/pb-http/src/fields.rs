//! The `fields` query parameter: picks output keys (`id,title,expand.author.name`, `*` for every
//! key at a level) and applies the `:excerpt(max, withEllipsis)` modifier to text values.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// What to keep at one level of an object.
#[derive(Debug, Default, Clone, PartialEq)]
struct Selection {
    all: bool,
    keys: BTreeMap<String, Node>,
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Node {
    /// `None` keeps the whole value; `Some` picks inside it.
    inner: Option<Selection>,
    excerpt: Option<(usize, bool)>,
}

/// Applies a `fields` expression to a response value (an object or an array of objects).
/// An empty expression keeps everything.
pub fn pick(value: Value, fields: &str) -> Value {
    if fields.trim().is_empty() {
        return value;
    }
    let selection = parse(fields);
    apply(value, &selection)
}

fn parse(fields: &str) -> Selection {
    let mut root = Selection::default();
    for item in split_top_level(fields) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (path, excerpt) = match item.split_once(':') {
            Some((path, modifier)) => (path, parse_excerpt(modifier)),
            None => (item, None),
        };
        let segments: Vec<&str> = path.split('.').collect();
        insert(&mut root, &segments, excerpt);
    }
    root
}

fn insert(selection: &mut Selection, segments: &[&str], excerpt: Option<(usize, bool)>) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    if *first == "*" && rest.is_empty() {
        selection.all = true;
        return;
    }
    let node = selection.keys.entry((*first).to_string()).or_default();
    if rest.is_empty() {
        node.excerpt = excerpt.or(node.excerpt);
        return;
    }
    let inner = node.inner.get_or_insert_with(Selection::default);
    insert(inner, rest, excerpt);
}

fn parse_excerpt(modifier: &str) -> Option<(usize, bool)> {
    let arguments = modifier.strip_prefix("excerpt(")?.strip_suffix(')')?;
    let mut parts = arguments.split(',').map(str::trim);
    let max = parts.next()?.parse::<usize>().ok()?;
    let ellipsis = matches!(parts.next(), Some("true" | "1" | "t"));
    Some((max, ellipsis))
}

/// Splits on commas that are not inside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (index, character) in text.char_indices() {
        match character {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth <= 0 => {
                parts.push(&text[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn apply(value: Value, selection: &Selection) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| apply(item, selection))
                .collect(),
        ),
        Value::Object(object) => {
            let mut picked = Map::new();
            for (key, item) in object {
                let node = selection.keys.get(&key);
                if node.is_none() && !selection.all {
                    continue;
                }
                let item = match node {
                    Some(node) => apply_node(item, node),
                    None => item,
                };
                picked.insert(key, item);
            }
            Value::Object(picked)
        }
        other => other,
    }
}

fn apply_node(value: Value, node: &Node) -> Value {
    let value = match &node.inner {
        Some(inner) => apply(value, inner),
        None => value,
    };
    match (node.excerpt, value) {
        (Some((max, ellipsis)), Value::String(text)) => {
            Value::String(excerpt(&text, max, ellipsis))
        }
        (_, value) => value,
    }
}

/// Plain text of `html`, whitespace collapsed, cut to `max` characters.
pub fn excerpt(html: &str, max: usize, with_ellipsis: bool) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(max).collect();
    cut = cut.trim_end().to_string();
    if with_ellipsis {
        cut.push_str("...");
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn picks_keys_nested_paths_and_wildcards() {
        let value = json!({"id": "a", "title": "Hello world", "n": 1,
            "expand": {"author": {"name": "x", "email": "y"}}});
        assert_eq!(pick(value.clone(), "id,n"), json!({"id": "a", "n": 1}));
        assert_eq!(
            pick(value.clone(), "id,expand.author.name"),
            json!({"id": "a", "expand": {"author": {"name": "x"}}})
        );
        assert_eq!(
            pick(value.clone(), "*,title:excerpt(5,true)"),
            json!({"id": "a", "title": "Hello...", "n": 1, "expand": {"author": {"name": "x", "email": "y"}}})
        );
        assert_eq!(pick(json!([{"a": 1, "b": 2}]), "b"), json!([{"b": 2}]));
        assert_eq!(pick(value.clone(), ""), value);
    }

    #[test]
    fn excerpt_strips_html() {
        assert_eq!(
            excerpt("<p>Hello <b>big</b> world</p>", 9, false),
            "Hello big"
        );
        assert_eq!(excerpt("short", 10, true), "short");
    }
}
