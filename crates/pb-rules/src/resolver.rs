//! Identifiers → SQL: what `author.name`, `tags:each`, `comments_via_post.msg`,
//! `@request.auth.id` or `@collection.users:u.name` mean against a schema.
//!
//! The semantics are PocketBase's (`core/record_field_resolver*.go`), restated:
//!
//! * Relation paths, back-relations, `@collection.*`, `@request.auth.<non-plain field>`,
//!   `@request.body.<relation>.*` and `:each` become LEFT JOINs. A join is keyed by its path,
//!   so the same path used twice in one expression refers to the same joined row
//!   (`editors.name ?= 'a' && editors.age ?> 3` asks for one editor with both properties).
//!   The compiler wraps the joins in one correlated `EXISTS`, which selects exactly the rows
//!   PocketBase's `SELECT DISTINCT … LEFT JOIN …` selects without duplicating any.
//! * A path that can reach several rows (a multiple relation, a back-relation without a
//!   single-column UNIQUE index, `@collection`, `:each` on a multiple field) also carries a
//!   "multi-match" subquery listing every value; the compiler uses it to make the plain
//!   operators mean "all items" and the `?` operators "any item".
//! * `@request.*` values are bound parameters; missing ones are `NULL` (never an error).
//! * Non-superusers (`allow_hidden` off) may not name hidden fields, only see other auth
//!   records' `email` when `emailVisibility` is on, and every collection they join through
//!   must be listable (list rule not `null`); its list rule is then applied to the joined row.

use std::collections::HashMap;

use pb_core::field::{Field, FieldKind};
use pb_core::Collection;
use serde_json::Value;

use crate::error::RuleError;
use crate::sql::{checked, column, json_array_length, json_each, json_extract, json_path};
use crate::sql::{quote, Param, Sql};
use crate::{RequestInfo, SchemaLookup};

/// PocketBase's limit on relations in one path.
pub(crate) const MAX_NESTED_RELATIONS: usize = 6;

/// How `=`/`!=` treat NULL and `''` for an operand (PocketBase's `NullFallback`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum NullFallback {
    /// `NULL` and `''` are the same value.
    #[default]
    Auto,
    /// Compare with `IS`/`IS NOT`, no fallback (JSON values, functions).
    Disabled,
    /// Never treat the operand as known to be non-empty.
    Enforced,
}

/// Something applied to a whole comparison after it is built.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AfterBuild {
    /// `NOT (…)`.
    Not,
    /// `((…) AND "alias"."emailVisibility" = TRUE)`: other users' emails only when public.
    EmailVisible { alias: String },
}

/// A LEFT JOIN: `LEFT JOIN <table> "<alias>" [ON <on>]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Join {
    pub(crate) table: Sql,
    pub(crate) alias: String,
    pub(crate) on: Option<Sql>,
}

/// A subquery listing every value a multi-valued path reaches for the current row:
/// `SELECT <value> AS "multiMatchValue" FROM "<from_table>" "<from_alias>" <joins>
///  WHERE "<from_alias>"."id" = "<target_alias>"."id"`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MultiMatch {
    pub(crate) from_table: String,
    pub(crate) from_alias: String,
    pub(crate) target_alias: String,
    pub(crate) joins: Vec<Join>,
    pub(crate) value: Sql,
}

/// A resolved operand (PocketBase's `ResolverResult`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Resolved {
    /// The SQL of the value, with its bound parameters.
    pub(crate) expr: Sql,
    pub(crate) null_fallback: NullFallback,
    pub(crate) multi_match: Option<MultiMatch>,
    pub(crate) after_build: Vec<AfterBuild>,
    /// The value's parameters are not to be looked at (the expanded `:changed` operand, which
    /// PocketBase handles as a bare placeholder).
    pub(crate) opaque: bool,
    /// Set when the value is exactly a column of the scope's own table (sorting uses it).
    pub(crate) column: Option<String>,
}

impl Resolved {
    pub(crate) fn raw(text: &str) -> Resolved {
        Resolved {
            expr: Sql::raw(text),
            ..Resolved::default()
        }
    }

    pub(crate) fn param(param: Param) -> Resolved {
        Resolved {
            expr: Sql::param(param),
            ..Resolved::default()
        }
    }

    /// How many parameters PocketBase would see on this operand.
    pub(crate) fn param_count(&self) -> usize {
        if self.opaque {
            0
        } else {
            self.expr.binds.len()
        }
    }

    pub(crate) fn has_empty_param(&self) -> bool {
        !self.opaque && self.expr.binds.iter().any(Param::is_empty)
    }
}

/// What an identifier resolves to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resolution {
    Value(Box<Resolved>),
    /// `@request.body.<field>:changed`, which the compiler expands to
    /// `@request.body.<field>:isset = true && @request.body.<field> != <field>`.
    Changed {
        field: String,
    },
}

fn resolution(resolved: Resolved) -> Resolution {
    Resolution::Value(Box::new(resolved))
}

/// Identifier → SQL. The compiler only needs this; tests can supply a small resolver of their
/// own.
pub(crate) trait Resolver {
    fn resolve(&mut self, identifier: &str) -> Result<Resolution, RuleError>;
}

/// Which collection bare field names refer to, under which SQL alias, and with which rights.
#[derive(Debug, Clone)]
pub(crate) struct Scope<'a> {
    pub(crate) collection: &'a Collection,
    pub(crate) alias: String,
    pub(crate) allow_hidden: bool,
    /// Distinguishes the joins of a joined collection's list rule from the main ones.
    pub(crate) id: usize,
}

/// The record field resolver: PocketBase's rules over a [`SchemaLookup`] and a
/// [`RequestInfo`]. It collects the joins the resolved identifiers need.
pub(crate) struct RecordResolver<'a> {
    schema: &'a dyn SchemaLookup,
    request: &'a RequestInfo,
    static_info: Value,
    pub(crate) scope: Scope<'a>,
    /// Joins in the order they must appear.
    pub(crate) joins: Vec<Join>,
    join_aliases: HashMap<String, String>,
    /// Joined collections whose list rule must also hold for the joined row.
    pub(crate) rule_joins: Vec<(String, &'a Collection)>,
    next_alias: usize,
    next_scope: usize,
}

impl<'a> RecordResolver<'a> {
    pub(crate) fn new(
        schema: &'a dyn SchemaLookup,
        request: &'a RequestInfo,
        collection: &'a Collection,
        allow_hidden: bool,
    ) -> Result<RecordResolver<'a>, RuleError> {
        let alias = checked(&collection.name)?.to_string();
        let mut static_info = serde_json::Map::new();
        static_info.insert("context".into(), Value::String(request.context.clone()));
        static_info.insert("method".into(), Value::String(request.method.clone()));
        static_info.insert("query".into(), Value::Object(request.query.clone()));
        static_info.insert("headers".into(), Value::Object(request.headers.clone()));
        static_info.insert("body".into(), Value::Object(request.body.clone()));
        static_info.insert(
            "auth".into(),
            request.auth.clone().map_or(Value::Null, Value::Object),
        );
        Ok(RecordResolver {
            schema,
            request,
            static_info: Value::Object(static_info),
            scope: Scope {
                collection,
                alias,
                allow_hidden,
                id: 0,
            },
            joins: Vec::new(),
            join_aliases: HashMap::new(),
            rule_joins: Vec::new(),
            next_alias: 0,
            next_scope: 1,
        })
    }

    /// A new scope for compiling the list rule of `collection` joined as `alias`.
    pub(crate) fn rule_scope(&mut self, collection: &'a Collection, alias: &str) -> Scope<'a> {
        let id = self.next_scope;
        self.next_scope += 1;
        Scope {
            collection,
            alias: alias.to_string(),
            allow_hidden: true,
            id,
        }
    }

    fn fresh_alias(&mut self, kind: &str) -> String {
        self.next_alias += 1;
        format!("pb${kind}{}", self.next_alias)
    }

    /// The collection with this name or id (the scope's own collection first).
    fn load_collection(&self, name_or_id: &str) -> Option<&'a Collection> {
        let own = self.scope.collection;
        if own.name == name_or_id || own.id == name_or_id {
            return Some(own);
        }
        self.schema.find_collection(name_or_id)
    }

    /// Registers (or reuses) the join with this path `key` and returns its alias. `on` builds
    /// the ON clause for the new alias. `collection` is the joined collection, if the join is
    /// one, for the list-rule check.
    fn register_join(
        &mut self,
        key: String,
        table: Sql,
        collection: Option<&'a Collection>,
        on: impl FnOnce(&mut Self, &str) -> Option<Sql>,
    ) -> Result<String, RuleError> {
        let restricted = match collection {
            Some(collection) if !self.scope.allow_hidden => {
                if collection.list_rule.is_none() {
                    return Err(RuleError::RestrictedCollection {
                        collection: collection.name.clone(),
                    });
                }
                Some(collection)
            }
            _ => None,
        };
        let alias = match self.join_aliases.get(&key) {
            Some(alias) => alias.clone(),
            None => {
                let alias = self.fresh_alias("j");
                let on = on(self, &alias);
                self.join_aliases.insert(key, alias.clone());
                self.joins.push(Join {
                    table,
                    alias: alias.clone(),
                    on,
                });
                alias
            }
        };
        if let Some(collection) = restricted {
            if !self.rule_joins.iter().any(|(joined, _)| *joined == alias) {
                self.rule_joins.push((alias.clone(), collection));
            }
        }
        Ok(alias)
    }

    fn key(&self, parts: &[&str]) -> String {
        format!("{}|{}", self.scope.id, parts.join("|"))
    }

    fn new_walk(&mut self, nullify_missing: bool) -> Result<Walk<'a>, RuleError> {
        let from_alias = self.fresh_alias("m");
        Ok(Walk {
            collection: self.scope.collection,
            alias: self.scope.alias.clone(),
            nullify_missing,
            with_multi_match: false,
            multi_match: MultiMatch {
                from_table: checked(&self.scope.collection.name)?.to_string(),
                from_alias: from_alias.clone(),
                target_alias: self.scope.alias.clone(),
                joins: Vec::new(),
                value: Sql::default(),
            },
            multi_match_alias: from_alias,
        })
    }

    // ---------------------------------------------------------------------------------------
    // @collection.*

    fn collection_field(&mut self, props: &[&str]) -> Result<Resolution, RuleError> {
        let identifier = props.join(".");
        if props.len() < 3 {
            return Err(RuleError::unknown(identifier));
        }
        let (name, alias) = match props[1].split_once(':') {
            Some((name, alias)) => (name, Some(alias)),
            None => (props[1], None),
        };
        let collection = self
            .load_collection(name)
            .ok_or_else(|| RuleError::unknown(identifier.clone()))?;
        let table = quote(checked(&collection.name)?);
        let key = match alias {
            Some(alias) if !alias.is_empty() => self.key(&["@collection:", alias]),
            _ => self.key(&["@collection", &collection.name]),
        };
        let mut walk = self.new_walk(false)?;
        walk.collection = collection;
        walk.alias =
            self.register_join(key, Sql::raw(table.clone()), Some(collection), |_, _| None)?;
        walk.with_multi_match = true;
        let mm_alias = self.fresh_alias("m");
        walk.multi_match.joins.push(Join {
            table: Sql::raw(table),
            alias: mm_alias.clone(),
            on: None,
        });
        walk.multi_match_alias = mm_alias;
        self.active_props(walk, &props[2..])
    }

    // ---------------------------------------------------------------------------------------
    // @request.*

    fn request_field(&mut self, identifier: &str, props: &[&str]) -> Result<Resolution, RuleError> {
        if identifier.starts_with("@request.auth.") {
            return self.auth_field(identifier, props);
        }
        if identifier.starts_with("@request.body.") && props.len() > 2 {
            let (name, modifier) = split_modifier(props[2])?;
            if let Some(field) = self.scope.collection.field(name) {
                if matches!(field.kind, FieldKind::Relation(_)) && props.len() > 3 {
                    return self.body_relation(field, props);
                }
                if props.len() == 3 {
                    match modifier {
                        Modifier::Each => return self.body_each(field),
                        Modifier::Length => return body_length(field, &self.request.body),
                        Modifier::Lower => return Ok(body_lower(field, &self.request.body)),
                        Modifier::Changed => {
                            return Ok(Resolution::Changed {
                                field: field.name.clone(),
                            })
                        }
                        Modifier::None | Modifier::Isset => {}
                    }
                }
            }
        }
        self.static_field(&props[1..])
    }

    /// A value read from the request (`@request.method`, `@request.query.x`, …).
    fn static_field(&self, path: &[&str]) -> Result<Resolution, RuleError> {
        let Some((last, parents)) = path.split_last() else {
            return Ok(resolution(Resolved::raw("NULL")));
        };
        let (last, modifier) = split_modifier(last)?;
        let mut keys: Vec<&str> = parents.to_vec();
        keys.push(last);
        let found = extract_nested(&self.static_info, &keys);
        if modifier == Modifier::Isset {
            return Ok(resolution(Resolved::raw(if found.is_some() {
                "TRUE"
            } else {
                "FALSE"
            })));
        }
        let param = match found {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => {
                let is_number_field = matches!(
                    self.scope.collection.field(last).map(|field| &field.kind),
                    Some(FieldKind::Number(_))
                );
                match text.parse::<f64>() {
                    Ok(number) if is_number_field && !text.starts_with("0x") => {
                        Some(Param::Real(number))
                    }
                    _ => Some(Param::Text(text.clone())),
                }
            }
            Some(Value::Bool(flag)) => Some(Param::Bool(*flag)),
            Some(Value::Number(number)) => Some(Param::Real(number.as_f64().unwrap_or(0.0))),
            Some(other) => Some(Param::Text(go_json(other))),
        };
        if !matches!(modifier, Modifier::None | Modifier::Lower) {
            return Err(RuleError::InvalidModifier {
                name: path.join("."),
            });
        }
        let Some(param) = param else {
            return Ok(resolution(Resolved::raw("NULL")));
        };
        let mut resolved = Resolved::param(param);
        if modifier == Modifier::Lower {
            resolved.expr = resolved.expr.wrapped("LOWER(", ")");
        }
        Ok(resolution(resolved))
    }

    fn auth_field(&mut self, identifier: &str, props: &[&str]) -> Result<Resolution, RuleError> {
        let request = self.request;
        let Some(auth) = &request.auth else {
            return Ok(resolution(Resolved::raw("NULL")));
        };
        let collection_ref = auth
            .get("collectionId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
            .or_else(|| auth.get("collectionName").and_then(Value::as_str));
        let Some(collection) = collection_ref.and_then(|name| self.load_collection(name)) else {
            return Ok(resolution(Resolved::raw("NULL")));
        };
        const PLAIN: [&str; 6] = [
            "@request.auth.id",
            "@request.auth.collectionId",
            "@request.auth.collectionName",
            "@request.auth.email",
            "@request.auth.emailVisibility",
            "@request.auth.verified",
        ];
        if PLAIN.contains(&identifier) {
            return self.static_field(&props[1..]);
        }
        let auth_id = auth
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let table = quote(checked(&collection.name)?);
        let mut walk = self.new_walk(true)?;
        let key = self.key(&["@auth", &collection.name]);
        let on = |alias: &str| {
            let mut on = column(alias, "id");
            on.push(" = ").push_param(Param::Text(auth_id.clone()));
            on
        };
        walk.alias = self.register_join(
            key,
            Sql::raw(table.clone()),
            Some(collection),
            |_, alias| Some(on(alias)),
        )?;
        walk.collection = collection;
        let mm_alias = self.fresh_alias("m");
        walk.multi_match.joins.push(Join {
            table: Sql::raw(table),
            alias: mm_alias.clone(),
            on: Some(on(&mm_alias)),
        });
        walk.multi_match_alias = mm_alias;
        self.active_props(walk, &props[2..])
    }

    /// `@request.body.<relation>.<…>`: the submitted related records.
    fn body_relation(&mut self, field: &'a Field, props: &[&str]) -> Result<Resolution, RuleError> {
        let FieldKind::Relation(options) = &field.kind else {
            return Err(RuleError::unknown(props.join(".")));
        };
        let collection = self
            .load_collection(&options.collection_id)
            .ok_or_else(|| RuleError::unknown(props.join(".")))?;
        let ids = unique_strings(self.request.body.get(&field.name));
        if ids.is_empty() {
            return Ok(resolution(Resolved::raw("NULL")));
        }
        let table = quote(checked(&collection.name)?);
        let on = |alias: &str| {
            let mut on = column(alias, "id");
            on.push(" IN (");
            for (index, id) in ids.iter().enumerate() {
                if index > 0 {
                    on.push(", ");
                }
                on.push_param(Param::Text(id.clone()));
            }
            on.push(")");
            on
        };
        let mut walk = self.new_walk(true)?;
        let key = self.key(&["@data", &collection.name, &field.name]);
        walk.alias = self.register_join(
            key,
            Sql::raw(table.clone()),
            Some(collection),
            |_, alias| Some(on(alias)),
        )?;
        walk.collection = collection;
        walk.with_multi_match = field.is_multiple();
        let mm_alias = self.fresh_alias("m");
        walk.multi_match.joins.push(Join {
            table: Sql::raw(table),
            alias: mm_alias.clone(),
            on: Some(on(&mm_alias)),
        });
        walk.multi_match_alias = mm_alias;
        self.active_props(walk, &props[3..])
    }

    /// `@request.body.<multi-value field>:each`: the submitted items as a `json_each` join.
    fn body_each(&mut self, field: &Field) -> Result<Resolution, RuleError> {
        if !is_multi_valuer(field) {
            return Err(RuleError::InvalidModifier {
                name: format!("@request.body.{}:each", field.name),
            });
        }
        let items = go_json(&Value::Array(to_slice(self.request.body.get(&field.name))));
        let table = || {
            let mut table = Sql::raw("json_each(");
            table.push_param(Param::Text(items.clone())).push(")");
            table
        };
        let mut walk = self.new_walk(true)?;
        let key = self.key(&["@dataEach", &field.name]);
        let alias = self.register_join(key, table(), None, |_, _| None)?;
        let mut resolved = Resolved {
            expr: column(&alias, "value"),
            ..Resolved::default()
        };
        if field.is_multiple() {
            walk.with_multi_match = true;
        }
        if walk.with_multi_match {
            let mm_alias = self.fresh_alias("m");
            walk.multi_match.joins.push(Join {
                table: table(),
                alias: mm_alias.clone(),
                on: None,
            });
            walk.multi_match.value = column(&mm_alias, "value");
            resolved.multi_match = Some(walk.multi_match);
        }
        Ok(resolution(resolved))
    }

    // ---------------------------------------------------------------------------------------
    // Field paths

    /// Walks `props` from the walk's collection: relations, back-relations and JSON paths,
    /// then the last field with its modifier.
    fn active_props(
        &mut self,
        mut walk: Walk<'a>,
        props: &[&str],
    ) -> Result<Resolution, RuleError> {
        let total = props.len();
        for (index, prop) in props.iter().enumerate() {
            if index + 1 == total {
                return self.finalize(walk, prop);
            }
            let collection = walk.collection;
            let field = collection.field(prop);
            if let Some(field) = field {
                if field.hidden && !self.scope.allow_hidden {
                    return Err(RuleError::HiddenField {
                        name: field.name.clone(),
                    });
                }
                if matches!(field.kind, FieldKind::Json(_) | FieldKind::GeoPoint(_)) {
                    let path = json_path(&props[index + 1..]);
                    let name = checked(&field.name)?;
                    let mut resolved = Resolved {
                        expr: json_extract(&column(&walk.alias, name), &path),
                        null_fallback: NullFallback::Disabled,
                        ..Resolved::default()
                    };
                    if walk.with_multi_match {
                        walk.multi_match.value =
                            json_extract(&column(&walk.multi_match_alias, name), &path);
                        resolved.multi_match = Some(walk.multi_match);
                    }
                    return Ok(resolution(resolved));
                }
            }
            if index >= MAX_NESTED_RELATIONS {
                return Err(RuleError::too_complex(format!(
                    "max nested relations reached for field {prop:?}"
                )));
            }
            let Some(field) = field else {
                match self.back_relation(&mut walk, prop)? {
                    true => continue,
                    false => return Ok(resolution(Resolved::raw("NULL"))),
                }
            };
            let FieldKind::Relation(options) = &field.kind else {
                return Err(RuleError::unknown(props.join(".")));
            };
            let target = self
                .load_collection(&options.collection_id)
                .ok_or_else(|| RuleError::unknown(props.join(".")))?;
            let multiple = field.is_multiple();
            // `rel.id` is the relation column itself: no join needed.
            if !multiple && index + 2 == total && props[index + 1] == "id" {
                return self.finalize(walk, &field.name);
            }
            let name = checked(&field.name)?;
            let target_table = quote(checked(&target.name)?);
            let parent_column = column(&walk.alias, name);
            let key = self.key(&[&walk.alias, "rel", name]);
            let joined_value = if !multiple {
                parent_column
            } else {
                let each_key = self.key(&[&walk.alias, "je", name]);
                let each_alias =
                    self.register_join(each_key, json_each(&parent_column), None, |_, _| None)?;
                column(&each_alias, "value")
            };
            let new_alias = self.register_join(
                key,
                Sql::raw(target_table.clone()),
                Some(target),
                |_, alias| {
                    let mut on = column(alias, "id");
                    on.push(" = ").push_sql(&joined_value);
                    Some(on)
                },
            )?;
            walk.collection = target;
            walk.alias = new_alias;
            if multiple {
                walk.with_multi_match = true;
            }
            let mm_alias = self.fresh_alias("m");
            let mm_parent_column = column(&walk.multi_match_alias, name);
            if !multiple {
                let mut on = column(&mm_alias, "id");
                on.push(" = ").push_sql(&mm_parent_column);
                walk.multi_match.joins.push(Join {
                    table: Sql::raw(target_table),
                    alias: mm_alias.clone(),
                    on: Some(on),
                });
            } else {
                let mm_each_alias = self.fresh_alias("m");
                walk.multi_match.joins.push(Join {
                    table: json_each(&mm_parent_column),
                    alias: mm_each_alias.clone(),
                    on: None,
                });
                let mut on = column(&mm_alias, "id");
                on.push(" = ").push_sql(&column(&mm_each_alias, "value"));
                walk.multi_match.joins.push(Join {
                    table: Sql::raw(target_table),
                    alias: mm_alias.clone(),
                    on: Some(on),
                });
            }
            walk.multi_match_alias = mm_alias;
        }
        Err(RuleError::unknown(props.join(".")))
    }

    /// Follows `<collection>_via_<field>` from the walk's collection. `Ok(false)` means the
    /// path resolves to NULL (missing parts of `@request.*` paths).
    fn back_relation(&mut self, walk: &mut Walk<'a>, prop: &str) -> Result<bool, RuleError> {
        let missing = |walk: &Walk<'a>, error: RuleError| {
            if walk.nullify_missing {
                Ok(false)
            } else {
                Err(error)
            }
        };
        let Some((collection_name, field_name)) = split_via(prop) else {
            return missing(walk, RuleError::unknown(prop));
        };
        let Some(back_collection) = self.load_collection(collection_name) else {
            return missing(walk, RuleError::unknown(prop));
        };
        let Some(back_field) = back_collection.field(field_name) else {
            return missing(walk, RuleError::unknown(prop));
        };
        let FieldKind::Relation(options) = &back_field.kind else {
            return missing(walk, RuleError::unknown(prop));
        };
        if back_field.hidden && !self.scope.allow_hidden {
            return Err(RuleError::HiddenField {
                name: back_field.name.clone(),
            });
        }
        if options.collection_id != walk.collection.id {
            return missing(walk, RuleError::unknown(prop));
        }
        let back_table = quote(checked(&back_collection.name)?);
        let back_column = checked(&back_field.name)?;
        let multiple = back_field.is_multiple();
        let key = self.key(&[&walk.alias, "via", &back_collection.name, back_column]);
        let parent_alias = walk.alias.clone();
        walk.alias = self.register_join(
            key,
            Sql::raw(back_table.clone()),
            Some(back_collection),
            |resolver, alias| {
                Some(back_relation_on(
                    resolver,
                    alias,
                    back_column,
                    &parent_alias,
                    multiple,
                ))
            },
        )?;
        walk.collection = back_collection;
        if multiple {
            walk.with_multi_match = true;
        } else if !walk.with_multi_match {
            walk.with_multi_match =
                !has_single_column_unique_index(back_collection, &back_field.name);
        }
        let mm_alias = self.fresh_alias("m");
        let mm_parent_alias = walk.multi_match_alias.clone();
        let mm_on = back_relation_on(self, &mm_alias, back_column, &mm_parent_alias, multiple);
        walk.multi_match.joins.push(Join {
            table: Sql::raw(back_table),
            alias: mm_alias.clone(),
            on: Some(mm_on),
        });
        walk.multi_match_alias = mm_alias;
        Ok(true)
    }

    /// The last prop of a path: a field of the walk's collection with an optional modifier.
    fn finalize(&mut self, mut walk: Walk<'a>, prop: &str) -> Result<Resolution, RuleError> {
        let (name, modifier) = split_modifier(prop)?;
        let collection = walk.collection;
        let Some(field) = collection.field(name) else {
            if walk.nullify_missing {
                return Ok(resolution(Resolved::raw("NULL")));
            }
            return Err(RuleError::unknown(name));
        };
        if field.hidden && !self.scope.allow_hidden {
            return Err(RuleError::HiddenField {
                name: field.name.clone(),
            });
        }
        let name = checked(&field.name)?;
        let own_column = column(&walk.alias, name);
        let mm_column = column(&walk.multi_match_alias, name);
        let multi_valuer = is_multi_valuer(field);

        if modifier == Modifier::Length && multi_valuer {
            let mut resolved = Resolved {
                expr: json_array_length(&own_column),
                ..Resolved::default()
            };
            if walk.with_multi_match {
                walk.multi_match.value = json_array_length(&mm_column);
                resolved.multi_match = Some(walk.multi_match);
            }
            return Ok(resolution(resolved));
        }

        if modifier == Modifier::Each && multi_valuer {
            let key = self.key(&[&walk.alias, "je", name]);
            let each_alias = self.register_join(key, json_each(&own_column), None, |_, _| None)?;
            let mut resolved = Resolved {
                expr: column(&each_alias, "value"),
                ..Resolved::default()
            };
            if field.is_multiple() {
                walk.with_multi_match = true;
            }
            if walk.with_multi_match {
                let mm_each_alias = self.fresh_alias("m");
                walk.multi_match.joins.push(Join {
                    table: json_each(&mm_column),
                    alias: mm_each_alias.clone(),
                    on: None,
                });
                walk.multi_match.value = column(&mm_each_alias, "value");
                resolved.multi_match = Some(walk.multi_match);
            }
            return Ok(resolution(resolved));
        }

        let is_own_column = walk.alias == self.scope.alias;
        let mut resolved = Resolved {
            expr: own_column.clone(),
            ..Resolved::default()
        };
        let mut mm_value = mm_column.clone();
        if field.name == "email" && !self.scope.allow_hidden && collection.is_auth() {
            resolved.after_build.push(AfterBuild::EmailVisible {
                alias: walk.alias.clone(),
            });
        }
        let is_json = matches!(field.kind, FieldKind::Json(_));
        if is_json {
            resolved.null_fallback = NullFallback::Disabled;
            resolved.expr = json_extract(&own_column, "");
            mm_value = json_extract(&mm_column, "");
        }
        if modifier == Modifier::Lower {
            resolved.expr = resolved.expr.wrapped("LOWER(", ")");
            mm_value = mm_value.wrapped("LOWER(", ")");
        } else if is_own_column && !is_json {
            resolved.column = Some(field.name.clone());
        }
        if walk.with_multi_match {
            walk.multi_match.value = mm_value;
            resolved.multi_match = Some(walk.multi_match);
        }
        Ok(resolution(resolved))
    }
}

/// The ON clause joining back-relation rows `alias` (whose relation column is `back_column`)
/// to the rows of `parent_alias` they point at.
fn back_relation_on(
    resolver: &mut RecordResolver<'_>,
    alias: &str,
    back_column: &str,
    parent_alias: &str,
    multiple: bool,
) -> Sql {
    if !multiple {
        let mut on = column(alias, back_column);
        on.push(" = ").push_sql(&column(parent_alias, "id"));
        return on;
    }
    let each_alias = resolver.fresh_alias("e");
    let mut on = column(parent_alias, "id");
    on.push(" IN (SELECT ")
        .push_sql(&column(&each_alias, "value"))
        .push(" FROM ")
        .push_sql(&json_each(&column(alias, back_column)))
        .push(" ")
        .push(&quote(&each_alias))
        .push(")");
    on
}

impl Resolver for RecordResolver<'_> {
    fn resolve(&mut self, identifier: &str) -> Result<Resolution, RuleError> {
        if !is_allowed_identifier(identifier) {
            return Err(RuleError::unknown(identifier));
        }
        let props: Vec<&str> = identifier.split('.').collect();
        match props[0] {
            "@collection" => self.collection_field(&props),
            "@request" => self.request_field(identifier, &props),
            _ => {
                let walk = self.new_walk(false)?;
                self.active_props(walk, &props)
            }
        }
    }
}

/// The state of one identifier's walk through the schema.
struct Walk<'a> {
    collection: &'a Collection,
    alias: String,
    /// Missing fields resolve to NULL instead of failing (`@request.*` paths).
    nullify_missing: bool,
    with_multi_match: bool,
    multi_match: MultiMatch,
    multi_match_alias: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modifier {
    None,
    Isset,
    Each,
    Length,
    Lower,
    Changed,
}

/// `name:modifier` → (name, modifier). Anything but exactly one `:` is a plain name; an
/// unknown modifier is an error.
fn split_modifier(prop: &str) -> Result<(&str, Modifier), RuleError> {
    let parts: Vec<&str> = prop.split(':').collect();
    if parts.len() != 2 {
        return Ok((prop, Modifier::None));
    }
    let modifier = match parts[1] {
        "isset" => Modifier::Isset,
        "each" => Modifier::Each,
        "length" => Modifier::Length,
        "lower" => Modifier::Lower,
        "changed" => Modifier::Changed,
        _ => {
            return Err(RuleError::InvalidModifier {
                name: prop.to_string(),
            })
        }
    };
    Ok((parts[0], modifier))
}

/// Fields with a list form (`:each`, `:length`): select, file and relation, single or not.
fn is_multi_valuer(field: &Field) -> bool {
    matches!(
        field.kind,
        FieldKind::Select(_) | FieldKind::File(_) | FieldKind::Relation(_)
    )
}

fn is_word(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// The identifier shapes PocketBase lets through to the resolver.
fn is_allowed_identifier(identifier: &str) -> bool {
    let word_path = |text: &str| {
        text.bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b':'))
    };
    // `[\w\.\:]*\w+`
    let tail = |text: &str| {
        word_path(text)
            && text
                .bytes()
                .last()
                .is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    };
    if let Some(first) = identifier.bytes().next() {
        if (first.is_ascii_alphanumeric() || first == b'_') && word_path(identifier) {
            return true;
        }
    }
    if identifier == "@request.context" || identifier == "@request.method" {
        return true;
    }
    for prefix in [
        "@request.auth.",
        "@request.body.",
        "@request.query.",
        "@request.headers.",
    ] {
        if let Some(rest) = identifier.strip_prefix(prefix) {
            return tail(rest);
        }
    }
    if let Some(rest) = identifier.strip_prefix("@collection.") {
        let Some((collection, path)) = rest.split_once('.') else {
            return false;
        };
        let collection_ok = match collection.split_once(':') {
            Some((name, alias)) => is_word(name) && is_word(alias),
            None => is_word(collection),
        };
        return collection_ok && tail(path);
    }
    false
}

/// `^(\w+)_via_(\w+)$` with a greedy first group.
fn split_via(prop: &str) -> Option<(&str, &str)> {
    if !is_word(prop) {
        return None;
    }
    let mut search_end = prop.len();
    while let Some(index) = prop[..search_end].rfind("_via_") {
        let (collection, field) = (&prop[..index], &prop[index + 5..]);
        if !collection.is_empty() && !field.is_empty() {
            return Some((collection, field));
        }
        search_end = index + 4;
        if index == 0 {
            break;
        }
    }
    None
}

/// Reads `keys` from nested objects and arrays (array items by index).
fn extract_nested<'v>(value: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    let mut current = value;
    for key in keys {
        current = match current {
            Value::Object(map) => map.get(*key)?,
            Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// JSON text the way Go's `json.Marshal` writes it: compact, object keys sorted.
pub(crate) fn go_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(key, value)| (key.clone(), sorted(value)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string(&sorted(value)).unwrap_or_default()
}

/// A value as Go's `cast.ToString` renders it: strings as is, numbers and booleans printed,
/// anything else `""`.
fn go_string(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => crate::sql::format_float(number.as_f64().unwrap_or(0.0)),
        Some(Value::Bool(flag)) => flag.to_string(),
        _ => String::new(),
    }
}

/// A body value as a list: missing/null → `[]`, an array → its items, anything else → `[it]`.
fn to_slice(value: Option<&Value>) -> Vec<Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
    }
}

/// Relation ids from a body value: a string (or a JSON array in a string), or an array;
/// empty and repeated ids dropped.
fn unique_strings(value: Option<&Value>) -> Vec<String> {
    let raw: Vec<String> = match value {
        Some(Value::String(text)) if text.is_empty() => Vec::new(),
        Some(Value::String(text)) if text.contains('[') => {
            match serde_json::from_str::<Vec<String>>(text) {
                Ok(items) => items,
                Err(_) => vec![text.clone()],
            }
        }
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) => items.iter().map(|item| go_string(Some(item))).collect(),
        _ => Vec::new(),
    };
    let mut unique: Vec<String> = Vec::new();
    for id in raw {
        if !id.is_empty() && !unique.contains(&id) {
            unique.push(id);
        }
    }
    unique
}

fn body_length(
    field: &Field,
    body: &serde_json::Map<String, Value>,
) -> Result<Resolution, RuleError> {
    if !is_multi_valuer(field) {
        return Err(RuleError::InvalidModifier {
            name: format!("@request.body.{}:length", field.name),
        });
    }
    let count = to_slice(body.get(&field.name)).len();
    Ok(resolution(Resolved::raw(&count.to_string())))
}

fn body_lower(field: &Field, body: &serde_json::Map<String, Value>) -> Resolution {
    let text = go_string(body.get(&field.name));
    let mut resolved = Resolved::param(Param::Text(text));
    resolved.expr = resolved.expr.wrapped("LOWER(", ")");
    resolution(resolved)
}

/// Whether `collection` has a single-column UNIQUE index on `column` (partial indexes count,
/// as in PocketBase). Unparseable index statements count as "no": the stricter reading.
pub(crate) fn has_single_column_unique_index(collection: &Collection, column: &str) -> bool {
    collection
        .indexes
        .iter()
        .filter_map(|index| unique_index_columns(index))
        .any(|columns| columns.len() == 1 && columns[0].eq_ignore_ascii_case(column))
}

/// The column names of a `CREATE UNIQUE INDEX` statement; `None` for non-unique indexes and
/// anything unreadable.
fn unique_index_columns(sql: &str) -> Option<Vec<String>> {
    let lower = sql.to_ascii_lowercase();
    let mut words = lower.split_whitespace();
    if words.next()? != "create" || words.next()? != "unique" || words.next()? != "index" {
        return None;
    }
    let on = lower.find(" on ")?;
    let open = on + lower[on..].find('(')?;
    let mut depth = 0usize;
    let mut close = None;
    for (offset, byte) in sql.bytes().enumerate().skip(open) {
        match byte {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(offset);
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = sql.get(open + 1..close?)?;
    let mut columns = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for character in inner.chars() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                columns.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(character);
    }
    columns.push(current);
    let trim = |text: &str| {
        text.trim_matches(|c: char| "`\"'[] \t\r\n".contains(c))
            .to_string()
    };
    Some(
        columns
            .iter()
            .map(|column| {
                let words: Vec<&str> = column.split_whitespace().collect();
                // Drop a trailing ASC/DESC and COLLATE <name>.
                let mut end = words.len();
                if end > 0 && matches!(words[end - 1].to_ascii_lowercase().as_str(), "asc" | "desc")
                {
                    end -= 1;
                }
                if end >= 2 && words[end - 2].eq_ignore_ascii_case("collate") {
                    end -= 2;
                }
                trim(&words[..end].join(" "))
            })
            .filter(|name| !name.is_empty())
            .collect(),
    )
}

// Tests panic on purpose when something is off.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn identifier_shapes() {
        for ok in [
            "title",
            "_x",
            "a.b:each",
            "@request.context",
            "@request.auth.id",
            "@request.body.a:isset",
            "@collection.users.name",
            "@collection.users:u.name",
        ] {
            assert!(is_allowed_identifier(ok), "{ok}");
        }
        for bad in [
            "@request",
            "@request.auth",
            "@request.auth.",
            "@request.foo.x",
            "@collection.users",
            "@collection.users:.name",
            "#x",
            "@now",
            "@rowid",
            "@request.method:lower",
        ] {
            assert!(!is_allowed_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn via_splits_greedily() {
        assert_eq!(split_via("comments_via_post"), Some(("comments", "post")));
        assert_eq!(split_via("a_via_b_via_c"), Some(("a_via_b", "c")));
        assert_eq!(split_via("a_via_b_via_"), Some(("a", "b_via_")));
        assert_eq!(split_via("_via_x"), None);
        assert_eq!(split_via("posts"), None);
        assert_eq!(split_via("c_via_p:length"), None);
    }

    #[test]
    fn unique_indexes() {
        let parse = |sql: &str| unique_index_columns(sql);
        assert_eq!(
            parse("CREATE UNIQUE INDEX `idx_x` ON `comments` (`post`)"),
            Some(vec!["post".to_string()])
        );
        assert_eq!(
            parse("create unique index x on t (a COLLATE NOCASE DESC, b) where a != ''"),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(parse("CREATE INDEX x ON t (a)"), None);
    }

    #[test]
    fn go_json_sorts_keys() {
        let value = serde_json::json!({"b": 1, "a": [true, {"d": null, "c": "x"}]});
        assert_eq!(go_json(&value), r#"{"a":[true,{"c":"x","d":null}],"b":1}"#);
    }
}
