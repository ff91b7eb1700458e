//! The `expand` query parameter: embeds the records that relation fields point at (and
//! back-relations `<collection>_via_<field>`), nested with dots up to six levels, under each
//! record's `expand` key. The target collection's view rule applies with the requester's auth;
//! records the requester may not view, and unknown names, are silently left out.

use std::collections::{BTreeMap, HashMap};

use pb_core::field::FieldKind;
use pb_core::ports::{RecordQuery, SqlFragment, SqlValue, StoreTx};
use pb_core::{Collection, Field, Record};
use pb_rules::RequestInfo;
use serde_json::{Map, Value};

use crate::access::{and, quote, rule_access, RuleAccess, RuleScope};
use crate::auth::request_auth::AuthContext;
use crate::output::visibility_for;
use crate::state::Schema;
use crate::txn::Failure;

/// PocketBase expands at most this many levels.
const MAX_DEPTH: usize = 6;
/// A back-relation expands at most this many records.
const MAX_BACK_RELATIONS: u64 = 1000;

/// The requested expansions, as a tree of relation names.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ExpandTree {
    children: BTreeMap<String, ExpandTree>,
}

impl ExpandTree {
    /// Parses `a,b.c,d_via_e.f`; deeper paths than six levels are cut.
    pub fn parse(expand: &str) -> ExpandTree {
        let mut root = ExpandTree::default();
        for path in expand
            .split(',')
            .map(str::trim)
            .filter(|path| !path.is_empty())
        {
            let mut node = &mut root;
            for name in path.split('.').map(str::trim).take(MAX_DEPTH) {
                if name.is_empty() {
                    break;
                }
                node = node.children.entry(name.to_string()).or_default();
            }
        }
        root
    }

    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// Every relation field of `collection` and, below each, every relation field of its
    /// target, down to six levels (`pb serve --expand-all`). A collection already on the path
    /// is not entered again, so `a -> b -> a` stops at `b` and self-relations are not
    /// followed; relations to unknown collections are left out.
    pub fn all_relations(schema: &Schema, collection: &Collection) -> ExpandTree {
        let mut path = vec![collection.id.clone()];
        ExpandTree::relations_below(schema, collection, &mut path)
    }

    fn relations_below(
        schema: &Schema,
        collection: &Collection,
        path: &mut Vec<String>,
    ) -> ExpandTree {
        let mut tree = ExpandTree::default();
        if path.len() > MAX_DEPTH {
            return tree;
        }
        for field in &collection.fields {
            let FieldKind::Relation(options) = &field.kind else {
                continue;
            };
            let Some(target) = schema.find_ref(&options.collection_id) else {
                continue;
            };
            if path.contains(&target.id) {
                continue;
            }
            path.push(target.id.clone());
            let subtree = ExpandTree::relations_below(schema, target, path);
            path.pop();
            tree.children.insert(field.name.clone(), subtree);
        }
        tree
    }

    /// Adds every path of `other` to this tree.
    pub fn merge(&mut self, other: ExpandTree) {
        for (name, subtree) in other.children {
            self.children.entry(name).or_default().merge(subtree);
        }
    }
}

/// Everything the expansion needs besides the records.
pub struct Expander<'a> {
    pub schema: &'a Schema,
    pub viewer: Option<&'a AuthContext>,
    /// The request as rules see it (view rules of the expanded collections).
    pub request: &'a RequestInfo,
}

impl Expander<'_> {
    /// The records as JSON for the viewer, each with its `expand` key filled per `tree`.
    pub fn render(
        &self,
        tx: &mut dyn StoreTx,
        collection: &Collection,
        records: &[Record],
        tree: &ExpandTree,
    ) -> Result<Vec<Value>, Failure> {
        let managed = self.managed_ids(tx, collection, records)?;
        let mut rendered: Vec<Map<String, Value>> = records
            .iter()
            .map(|record| {
                let is_managed = managed.iter().any(|id| id == record.id());
                record.to_api_json(collection, visibility_for(self.viewer, record, is_managed))
            })
            .collect();
        if tree.is_empty() || records.is_empty() {
            return Ok(rendered.into_iter().map(Value::Object).collect());
        }
        let mut expansions: Vec<Map<String, Value>> = vec![Map::new(); records.len()];
        // As in PocketBase, once one requested name is a relation every record gets an
        // `expand` object, empty when nothing could be (or might be) embedded.
        let mut any_relation = false;
        for (name, subtree) in &tree.children {
            if let Some(field) = collection.field(name).filter(|field| is_relation(field)) {
                any_relation = true;
                self.expand_relation(tx, field, records, subtree, &mut expansions)?;
            } else if let Some((source, field)) = self.back_relation(collection, name) {
                any_relation = true;
                self.expand_back_relation(
                    tx,
                    &source,
                    &field,
                    name,
                    records,
                    subtree,
                    &mut expansions,
                )?;
            }
        }
        for (object, expansion) in rendered.iter_mut().zip(expansions) {
            if any_relation || !expansion.is_empty() {
                object.insert("expand".into(), Value::Object(expansion));
            }
        }
        Ok(rendered.into_iter().map(Value::Object).collect())
    }

    fn expand_relation(
        &self,
        tx: &mut dyn StoreTx,
        field: &Field,
        records: &[Record],
        subtree: &ExpandTree,
        expansions: &mut [Map<String, Value>],
    ) -> Result<(), Failure> {
        let FieldKind::Relation(options) = &field.kind else {
            return Ok(());
        };
        let Some(target) = self.schema.find(&options.collection_id) else {
            return Ok(());
        };
        let ids_per_record: Vec<Vec<String>> = records
            .iter()
            .map(|record| relation_ids(record, field))
            .collect();
        let mut all_ids: Vec<String> = ids_per_record.iter().flatten().cloned().collect();
        all_ids.sort();
        all_ids.dedup();
        if all_ids.is_empty() {
            return Ok(());
        }
        let Some(filter) = self.visible_filter(&target, id_in(&target, &all_ids)) else {
            return Ok(());
        };
        let query = RecordQuery {
            filter: Some(filter),
            ..RecordQuery::default()
        };
        let found = tx.list_records(&target, &query)?;
        let rendered = self.render(tx, &target, &found, subtree)?;
        let by_id: HashMap<&str, &Value> =
            found.iter().map(Record::id).zip(rendered.iter()).collect();
        for (expansion, ids) in expansions.iter_mut().zip(ids_per_record) {
            let items: Vec<Value> = ids
                .iter()
                .filter_map(|id| by_id.get(id.as_str()).map(|v| (*v).clone()))
                .collect();
            if items.is_empty() {
                continue;
            }
            let value = if field.is_multiple() {
                Value::Array(items)
            } else {
                items.into_iter().next().unwrap_or(Value::Null)
            };
            expansion.insert(field.name.clone(), value);
        }
        Ok(())
    }

    /// `<collection>_via_<field>` where `field` is a relation of `collection` pointing here.
    fn back_relation(
        &self,
        collection: &Collection,
        name: &str,
    ) -> Option<(std::sync::Arc<Collection>, Field)> {
        let (source_name, field_name) = name.split_once("_via_")?;
        let source = self.schema.find(source_name)?;
        let field = source.field(field_name)?.clone();
        match &field.kind {
            FieldKind::Relation(options) if options.collection_id == collection.id => {
                Some((source, field))
            }
            _ => None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn expand_back_relation(
        &self,
        tx: &mut dyn StoreTx,
        source: &Collection,
        field: &Field,
        name: &str,
        records: &[Record],
        subtree: &ExpandTree,
        expansions: &mut [Map<String, Value>],
    ) -> Result<(), Failure> {
        let single = !field.is_multiple() && has_unique_index(source, &field.name);
        for (record, expansion) in records.iter().zip(expansions.iter_mut()) {
            let Some(filter) = self.visible_filter(source, references(source, field, record.id()))
            else {
                return Ok(());
            };
            let query = RecordQuery {
                filter: Some(filter),
                limit: Some(MAX_BACK_RELATIONS),
                ..RecordQuery::default()
            };
            let found = tx.list_records(source, &query)?;
            if found.is_empty() {
                continue;
            }
            let mut rendered = self.render(tx, source, &found, subtree)?;
            let value = if single {
                rendered.swap_remove(0)
            } else {
                Value::Array(rendered)
            };
            expansion.insert(name.to_string(), value);
        }
        Ok(())
    }

    /// The ids among `records` of an auth collection whose manageRule the viewer passes: a
    /// manager sees their email like the owner does. One query for the whole batch.
    fn managed_ids(
        &self,
        tx: &mut dyn StoreTx,
        collection: &Collection,
        records: &[Record],
    ) -> Result<Vec<String>, Failure> {
        let Some(viewer) = self.viewer else {
            return Ok(Vec::new());
        };
        let manage_rule = collection
            .auth
            .as_ref()
            .and_then(|auth| auth.manage_rule.clone());
        if viewer.is_superuser() || manage_rule.is_none() || records.is_empty() {
            return Ok(Vec::new());
        }
        let scope = RuleScope {
            schema: self.schema,
            auth: self.viewer,
            request: self.request,
        };
        let ids: Vec<String> = records
            .iter()
            .map(|record| record.id().to_string())
            .collect();
        let filter = match rule_access(&manage_rule, collection, &scope) {
            Ok(RuleAccess::All) => return Ok(ids),
            Ok(RuleAccess::Matching(rule)) => and(id_in(collection, &ids), rule),
            Ok(RuleAccess::Nothing) | Err(_) => return Ok(Vec::new()),
        };
        let query = RecordQuery {
            filter: Some(filter),
            ..RecordQuery::default()
        };
        Ok(tx
            .list_records(collection, &query)?
            .iter()
            .map(|record| record.id().to_string())
            .collect())
    }

    /// `filter` narrowed by the target's view rule, or `None` when the viewer may see nothing.
    fn visible_filter(&self, target: &Collection, filter: SqlFragment) -> Option<SqlFragment> {
        let scope = RuleScope {
            schema: self.schema,
            auth: self.viewer,
            request: self.request,
        };
        match rule_access(&target.view_rule, target, &scope) {
            Ok(RuleAccess::All) => Some(filter),
            Ok(RuleAccess::Matching(rule)) => Some(and(filter, rule)),
            Ok(RuleAccess::Nothing) | Err(_) => None,
        }
    }
}

fn is_relation(field: &Field) -> bool {
    matches!(field.kind, FieldKind::Relation(_))
}

fn relation_ids(record: &Record, field: &Field) -> Vec<String> {
    match record.get(&field.name) {
        Some(Value::String(id)) if !id.is_empty() => vec![id.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

fn id_in(collection: &Collection, ids: &[String]) -> SqlFragment {
    let placeholders = vec!["?"; ids.len()].join(", ");
    SqlFragment {
        sql: format!("{}.\"id\" IN ({placeholders})", quote(&collection.name)),
        binds: ids.iter().cloned().map(SqlValue::Text).collect(),
    }
}

fn references(source: &Collection, field: &Field, id: &str) -> SqlFragment {
    let column = format!("{}.{}", quote(&source.name), quote(&field.name));
    let sql = if field.is_multiple() {
        format!("EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)")
    } else {
        format!("{column} = ?")
    };
    SqlFragment {
        sql,
        binds: vec![SqlValue::Text(id.to_string())],
    }
}

/// Whether a UNIQUE index covers exactly `column` (then a back-relation is a single record).
fn has_unique_index(collection: &Collection, column: &str) -> bool {
    collection.indexes.iter().any(|index| {
        let upper = index.to_uppercase();
        if !upper.contains("UNIQUE") {
            return false;
        }
        let Some(open) = index.find('(') else {
            return false;
        };
        let Some(close) = index.rfind(')') else {
            return false;
        };
        let columns: Vec<String> = index[open + 1..close]
            .split(',')
            .map(|part| {
                part.trim()
                    .trim_matches(|c| c == '`' || c == '"' || c == '[' || c == ']')
                    .to_string()
            })
            .collect();
        columns.len() == 1 && columns[0] == column
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_paths_and_caps_depth() {
        let tree = ExpandTree::parse("author, post.author ,a.b.c.d.e.f.g.h");
        assert_eq!(tree.children.len(), 3);
        assert!(tree.children["post"].children.contains_key("author"));
        let mut depth = 0;
        let mut node = &tree.children["a"];
        while let Some(next) = node.children.values().next() {
            node = next;
            depth += 1;
        }
        assert_eq!(depth, MAX_DEPTH - 1);
        assert!(ExpandTree::parse(" , ").is_empty());
    }

    fn relation(name: &str, target: &str) -> Field {
        Field::new(
            name,
            FieldKind::Relation(pb_core::field::RelationOptions {
                collection_id: target.into(),
                max_select: 1,
                ..Default::default()
            }),
        )
    }

    fn collection(id: &str, fields: Vec<Field>) -> Collection {
        let mut collection = Collection::from_json(&serde_json::json!({
            "id": id, "name": id, "type": "base", "fields": []
        }))
        .unwrap();
        collection.fields = fields;
        collection
    }

    #[test]
    fn all_relations_follow_targets_and_stop_at_cycles() {
        let schema = Schema::new(vec![
            collection("a", vec![relation("to_b", "b"), relation("self_a", "a")]),
            collection("b", vec![relation("to_a", "a"), relation("to_c", "c")]),
            collection("c", vec![relation("missing", "nowhere")]),
        ]);
        let tree = ExpandTree::all_relations(&schema, schema.find_ref("a").unwrap());
        let mut expected = ExpandTree::parse("to_b.to_c");
        assert_eq!(tree, expected);
        expected.merge(ExpandTree::parse("to_b.to_a.to_b,other"));
        assert!(expected.children["to_b"].children["to_a"]
            .children
            .contains_key("to_b"));
        assert!(expected.children["to_b"].children.contains_key("to_c"));
        assert!(expected.children.contains_key("other"));
    }
}
