//! PocketBase's filter and access-rule language, compiled to parameterised SQLite SQL.
//!
//! The same language serves the `filter` and `sort` query params and the collections' API
//! rules. An expression goes through four steps, one module each:
//!
//! 1. [`lexer`]: text → tokens with byte spans, accepting exactly what PocketBase's `fexpr`
//!    scanner accepts;
//! 2. [`parser`]: tokens → [`ast::Expr`] (Pratt parser, `&&` over `||`, depth and size limits);
//! 3. `resolver`: each identifier → SQL against the schema and the request (`author.name`,
//!    `@request.auth.id`, `comments_via_post.msg`, `tags:each` …);
//! 4. `compile`: comparisons → SQL with PocketBase's NULL, LIKE and "all items / any item"
//!    semantics, wrapped in one correlated `EXISTS` when joins were needed.
//!
//! The result is a [`SqlFragment`] that refers to the record table by its own quoted name
//! (`"posts"."title"`) and binds every value; identifiers come only from the schema and are
//! checked against `^[A-Za-z0-9_]+$`. Rows are never duplicated, so no `DISTINCT` is needed
//! and `count(*)` stays right.
//!
//! Invariant: nothing here panics on user input. Every failure is a [`RuleError`]; deeply
//! nested or huge expressions hit limits before they can exhaust the stack. That, and "values
//! only as binds", are checked by random tests (`src/tests/robustness.rs`, `binds.rs`) and by
//! the cargo-fuzz target in `fuzz/` (`RUSTC_BOOTSTRAP=1 cargo fuzz run compile`, 60 s in CI).
//!
//! Entry points: [`compile_filter`] for one rule or filter, [`compile_list_query`] for a whole
//! list request (list rule, `filter` and `sort` sharing joins exactly as PocketBase does),
//! [`compile_sort`] for a `sort` param alone, [`validate_rule`] when a collection is saved,
//! and [`parse`] for the syntax tree.
//!
//! The SQL is SQLite's (`json_each`, `json_extract`, `iif`); `geoDistance()` needs SQLite's
//! math functions (`radians`, `acos`, `cos`, `sin`), which the bundled SQLite lacks unless
//! built with `SQLITE_ENABLE_MATH_FUNCTIONS` or given them as application functions.
//!
//! Not done here, by design: deciding who is a superuser, treating a `null` rule as
//! "superusers only" and skipping rules for superusers (the HTTP layer's job), and running the
//! SQL (the store's).

pub mod ast;
mod cache;
mod compile;
pub mod error;
pub mod lexer;
mod macros;
pub mod parser;
mod resolver;
mod sql;

// Tests panic on purpose when something is off.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

use chrono::{DateTime, Utc};
use pb_core::ports::{OrderTerm, SqlFragment};
use pb_core::Collection;
use serde_json::{Map, Value};

pub use cache::is_request_independent;
pub use error::RuleError;
pub use parser::{parse, MAX_COMPARISONS};

use compile::{finish, finish_sort_value, lower_expr, Lowering};
use resolver::{RecordResolver, Resolution, Resolver};

/// PocketBase's limit on the length of a `filter` query param, in bytes.
pub const MAX_FILTER_LENGTH: usize = 3500;
/// PocketBase's limit on the number of `sort` terms.
pub const MAX_SORT_TERMS: usize = 8;
/// PocketBase's limit on the length of one `sort` term, in bytes.
pub const MAX_SORT_TERM_LENGTH: usize = 255;

/// Values of the request a rule may read through `@request.*`.
///
/// Fill it the way PocketBase fills its `RequestInfo`, since rules compare these values as
/// given:
/// * `auth`: the authenticated record's values (`id`, `collectionId`, `collectionName` and
///   every field including hidden ones and `email` whatever `emailVisibility` says), or `None`
///   for guests. `@request.auth.id`, `.collectionId`, `.collectionName`, `.email`,
///   `.emailVisibility` and `.verified` are read from here; every other `@request.auth.*` is
///   read from the auth record's row (a join on its id), so its collection must be in the
///   schema.
/// * `body`: what PocketBase calls the request body for create/update rules, which is *not*
///   the raw JSON: modifier keys (`tags+`, `-tags`, `views+`) are applied against the record,
///   and every key naming a field holds the value the record will hold (`"5"` → `5` for a
///   number, `""` → `[]` for a multi select, `"true"` → `true` for a bool …; PocketBase's
///   `ReplaceModifiers`); unknown keys stay as sent; hidden fields are removed for
///   non-superusers (except an auth collection's `password`). Multipart values are strings
///   (arrays for repeated keys) before that normalisation. Empty for GET.
/// * `query`: the first value of each query param, as strings.
/// * `headers`: header names lowercased with `-` replaced by `_` (`x_token`), first values,
///   as strings.
/// * `method`: `"GET"`, `"POST"` …
/// * `context`: `"default"`, `"oauth2"`, `"otp"`, `"password"`, `"realtime"`,
///   `"protectedFile"`, `"batch"` or `"expand"`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestInfo {
    pub auth: Option<Map<String, Value>>,
    pub body: Map<String, Value>,
    pub query: Map<String, Value>,
    pub headers: Map<String, Value>,
    pub method: String,
    pub context: String,
}

/// Every collection, for relation targets, back-relations and `@collection`.
pub trait SchemaLookup {
    /// The collection with this id, or else with this name (case-insensitive, as PocketBase).
    fn find_collection(&self, id_or_name: &str) -> Option<&Collection>;
}

impl SchemaLookup for [Collection] {
    fn find_collection(&self, id_or_name: &str) -> Option<&Collection> {
        self.iter()
            .find(|collection| collection.id == id_or_name)
            .or_else(|| {
                self.iter()
                    .find(|collection| collection.name.eq_ignore_ascii_case(id_or_name))
            })
    }
}

/// For `&dyn SchemaLookup` from a slice: pass `&slice` where `slice: &[Collection]`.
impl SchemaLookup for &[Collection] {
    fn find_collection(&self, id_or_name: &str) -> Option<&Collection> {
        (**self).find_collection(id_or_name)
    }
}

impl SchemaLookup for Vec<Collection> {
    fn find_collection(&self, id_or_name: &str) -> Option<&Collection> {
        self.as_slice().find_collection(id_or_name)
    }
}

/// Who is compiling what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompileOptions {
    /// Superusers may filter by hidden fields, other users' emails and collections whose list
    /// rule is `null`; everyone else gets an error for hidden fields and has joined
    /// collections' list rules applied. Rules are compiled with `true`.
    pub allow_hidden_fields: bool,
    /// Filters and sorts sent by non-superusers may not contain `@request.`/`@collection.`
    /// (403 "Only superusers can filter by @request."; a plain substring test, as in
    /// PocketBase); rules always may.
    pub allow_request_and_collection_refs: bool,
    /// The maximum expression length in bytes: [`MAX_FILTER_LENGTH`] for `filter` query
    /// params, `None` for rules.
    pub max_length: Option<usize>,
}

impl CompileOptions {
    /// Options for an API rule (list/view/create/update/delete, auth, manage rules).
    pub fn rule() -> CompileOptions {
        CompileOptions {
            allow_hidden_fields: true,
            allow_request_and_collection_refs: true,
            max_length: None,
        }
    }

    /// Options for a `filter`/`sort` query param sent by a superuser or someone else.
    pub fn filter_param(is_superuser: bool) -> CompileOptions {
        CompileOptions {
            allow_hidden_fields: is_superuser,
            allow_request_and_collection_refs: is_superuser,
            max_length: Some(MAX_FILTER_LENGTH),
        }
    }
}

/// Compiles a filter or rule to a boolean SQL condition on the collection's table.
///
/// The empty expression `""` compiles to `1=1` (an empty *rule* means "everyone"; a `null`
/// rule is the caller's business). Whitespace- or comment-only expressions are errors, as in
/// PocketBase.
///
/// Rules: compile with [`CompileOptions::rule`] and AND the result with the user's filter (or
/// use [`compile_list_filter`], which also lets both share joined rows exactly as PocketBase
/// does). For a create rule, insert the new row in a transaction and check
/// `SELECT 1 FROM "t" WHERE "t"."id" = ? AND (<rule>)`; for update and delete rules, check the
/// stored row (`@request.body` carries the submitted data).
pub fn compile_filter(
    expression: &str,
    collection: &Collection,
    schema: &dyn SchemaLookup,
    request: &RequestInfo,
    options: &CompileOptions,
) -> Result<SqlFragment, RuleError> {
    compile_filter_at(expression, collection, schema, request, options, Utc::now())
}

pub(crate) fn compile_filter_at(
    expression: &str,
    collection: &Collection,
    schema: &dyn SchemaLookup,
    request: &RequestInfo,
    options: &CompileOptions,
    now: DateTime<Utc>,
) -> Result<SqlFragment, RuleError> {
    compile_parts(
        &[Part {
            expression,
            options,
            // Rule options (no length limit) mark an API rule: its parse is cached.
            is_rule: options.max_length.is_none(),
        }],
        collection,
        schema,
        request,
        now,
    )
    .map(sql::Sql::into_fragment)
}

/// Compiles a collection's list (or view) rule and a user's filter into one condition, the way
/// PocketBase's list endpoint does: both are evaluated over the same joined rows, so a rule
/// `members.user ?= @request.auth.id` and a filter `members.role ?= 'admin'` talk about the
/// same member. The rule is compiled with full rights; the filter with `filter_options`.
/// Either may be `""` (skipped).
pub fn compile_list_filter(
    rule: &str,
    filter: &str,
    collection: &Collection,
    schema: &dyn SchemaLookup,
    request: &RequestInfo,
    filter_options: &CompileOptions,
) -> Result<SqlFragment, RuleError> {
    compile_list_filter_at(
        rule,
        filter,
        collection,
        schema,
        request,
        filter_options,
        Utc::now(),
    )
}

pub(crate) fn compile_list_filter_at(
    rule: &str,
    filter: &str,
    collection: &Collection,
    schema: &dyn SchemaLookup,
    request: &RequestInfo,
    filter_options: &CompileOptions,
    now: DateTime<Utc>,
) -> Result<SqlFragment, RuleError> {
    let rule_options = CompileOptions::rule();
    compile_parts(
        &list_parts(rule, filter, &rule_options, filter_options),
        collection,
        schema,
        request,
        now,
    )
    .map(sql::Sql::into_fragment)
}

fn list_parts<'a>(
    rule: &'a str,
    filter: &'a str,
    rule_options: &'a CompileOptions,
    filter_options: &'a CompileOptions,
) -> [Part<'a>; 2] {
    [
        Part {
            expression: rule,
            options: rule_options,
            is_rule: true,
        },
        Part {
            expression: filter,
            options: filter_options,
            is_rule: false,
        },
    ]
}

struct Part<'a> {
    expression: &'a str,
    options: &'a CompileOptions,
    is_rule: bool,
}

fn check_param_limits(expression: &str, options: &CompileOptions) -> Result<(), RuleError> {
    check_forbidden_refs(expression, options)?;
    if let Some(max) = options.max_length {
        if expression.len() > max {
            return Err(RuleError::TooLong {
                length: expression.len(),
                max,
            });
        }
    }
    Ok(())
}

fn compile_parts(
    parts: &[Part<'_>],
    collection: &Collection,
    schema: &dyn SchemaLookup,
    request: &RequestInfo,
    now: DateTime<Utc>,
) -> Result<sql::Sql, RuleError> {
    let mut parsed = Vec::new();
    for part in parts {
        if part.expression.is_empty() {
            continue;
        }
        if !part.is_rule {
            check_param_limits(part.expression, part.options)?;
        }
        let expr = if part.is_rule {
            cache::parse_rule(part.expression)?
        } else {
            std::sync::Arc::new(parse(part.expression)?)
        };
        parsed.push((expr, part.options));
    }
    if parsed.is_empty() {
        return Ok(sql::Sql::raw("1=1"));
    }
    let mut resolver = RecordResolver::new(schema, request, collection, true)?;
    let mut lowering = Lowering::new(now);
    let mut condition: Option<sql::Sql> = None;
    for (expr, options) in &parsed {
        resolver.scope.allow_hidden = options.allow_hidden_fields;
        let lowered = lower_expr(&mut resolver, &mut lowering, expr)?;
        condition = Some(match condition {
            None => lowered,
            Some(previous) => {
                let mut combined = previous.wrapped("(", ") AND (");
                combined.push_sql(&lowered).push(")");
                combined
            }
        });
    }
    let condition = condition.unwrap_or_else(|| sql::Sql::raw("1=1"));
    finish(&mut resolver, &mut lowering, condition)
}

/// Compiles a `sort` query param (`-created,author.name,@random`) to ORDER BY terms.
///
/// `-` sorts descending, `+` or nothing ascending. `@random` and `@rowid` are special; plain
/// fields of the collection become [`OrderTerm::Column`]; anything else (relation paths,
/// `:lower`, `:length`, JSON paths, `@collection.*`) an [`OrderTerm::Expression`] — a scalar
/// subquery when joins are involved, taking the first joined row (PocketBase's order is just as
/// arbitrary for multi-valued paths). `@request.*` values are not sortable. An empty param
/// gives no terms. At most [`MAX_SORT_TERMS`] terms of at most [`MAX_SORT_TERM_LENGTH`] bytes.
///
/// For non-superusers PocketBase also applies the list rule of a collection joined for sorting
/// as an extra *filter* on the listed rows (sorting posts by `profile.bio` hides the posts whose
/// profile the user may not list). Only [`compile_list_query`] can do that; here such a value
/// merely sorts as NULL.
pub fn compile_sort(
    sort: &str,
    collection: &Collection,
    schema: &dyn SchemaLookup,
    options: &CompileOptions,
) -> Result<Vec<OrderTerm>, RuleError> {
    check_forbidden_refs(sort, options)?;
    // No request: the row conditions that would need it are dropped here.
    let request = RequestInfo::default();
    Ok(
        sort_terms(sort, collection, schema, &request, options, Utc::now())?
            .into_iter()
            .map(|(term, _)| term)
            .collect(),
    )
}

/// The terms of a sort param, each with the condition its joined collections' list rules put
/// on the listed rows (non-superusers only). Those rules see the requester's `request` (a
/// rule `id = @request.auth.person` depends on who sorts).
fn sort_terms(
    sort: &str,
    collection: &Collection,
    schema: &dyn SchemaLookup,
    request: &RequestInfo,
    options: &CompileOptions,
    now: DateTime<Utc>,
) -> Result<Vec<(OrderTerm, Option<sql::Sql>)>, RuleError> {
    if sort.is_empty() {
        return Ok(Vec::new());
    }
    let terms: Vec<&str> = sort.split(',').map(str::trim).collect();
    if terms.len() > MAX_SORT_TERMS {
        return Err(RuleError::too_complex(format!(
            "more than {MAX_SORT_TERMS} sort terms"
        )));
    }
    let mut order = Vec::with_capacity(terms.len());
    for term in terms {
        let (name, descending) = match term.strip_prefix('-') {
            Some(name) => (name, true),
            None => (term.strip_prefix('+').unwrap_or(term), false),
        };
        if name.len() > MAX_SORT_TERM_LENGTH {
            return Err(RuleError::too_complex(format!(
                "sort term longer than {MAX_SORT_TERM_LENGTH} bytes"
            )));
        }
        match name {
            "@random" => order.push((OrderTerm::Random, None)),
            "@rowid" => order.push((OrderTerm::RowId { descending }, None)),
            _ => order.push(sort_term(
                name, descending, collection, schema, request, options, now,
            )?),
        }
    }
    Ok(order)
}

fn sort_term(
    name: &str,
    descending: bool,
    collection: &Collection,
    schema: &dyn SchemaLookup,
    request: &RequestInfo,
    options: &CompileOptions,
    now: DateTime<Utc>,
) -> Result<(OrderTerm, Option<sql::Sql>), RuleError> {
    let invalid = || RuleError::InvalidSort {
        name: name.to_string(),
    };
    let mut resolver =
        RecordResolver::new(schema, request, collection, options.allow_hidden_fields)?;
    let resolved = match resolver.resolve(name) {
        Ok(Resolution::Value(resolved)) => *resolved,
        Ok(Resolution::Changed { .. }) => return Err(invalid()),
        Err(error @ (RuleError::HiddenField { .. } | RuleError::RestrictedCollection { .. })) => {
            return Err(error)
        }
        Err(_) => return Err(invalid()),
    };
    if resolved.param_count() > 0
        || resolved.expr.text.is_empty()
        || resolved.expr.text.eq_ignore_ascii_case("null")
        || resolved.opaque
    {
        return Err(invalid());
    }
    if resolver.joins.is_empty() {
        if let Some(column) = resolved.column {
            return Ok((
                OrderTerm::Column {
                    name: column,
                    descending,
                },
                None,
            ));
        }
    }
    let mut lowering = Lowering::new(now);
    let (value, row_condition) = finish_sort_value(&mut resolver, &mut lowering, resolved.expr)?;
    Ok((
        OrderTerm::Expression {
            fragment: value.into_fragment(),
            descending,
        },
        row_condition,
    ))
}

/// A list request compiled at once: the WHERE condition and the ORDER BY terms.
#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub filter: SqlFragment,
    pub order: Vec<OrderTerm>,
}

/// Compiles everything of a list request the way PocketBase's list endpoint does: the
/// collection's list rule (`""` for none, and for superusers), the `filter` param and the
/// `sort` param, checked in PocketBase's order (the 403 for `@request.`/`@collection.` in
/// either param first, then the filter, then the sort). The rule and the filter share joined
/// rows (see [`compile_list_filter`]); for non-superusers, collections joined by the sort have
/// their list rules applied to the listed rows, as in PocketBase.
pub fn compile_list_query(
    rule: &str,
    filter: &str,
    sort: &str,
    collection: &Collection,
    schema: &dyn SchemaLookup,
    request: &RequestInfo,
    options: &CompileOptions,
) -> Result<ListQuery, RuleError> {
    compile_list_query_at(
        rule,
        filter,
        sort,
        collection,
        schema,
        request,
        options,
        Utc::now(),
    )
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn compile_list_query_at(
    rule: &str,
    filter: &str,
    sort: &str,
    collection: &Collection,
    schema: &dyn SchemaLookup,
    request: &RequestInfo,
    options: &CompileOptions,
    now: DateTime<Utc>,
) -> Result<ListQuery, RuleError> {
    check_forbidden_refs(filter, options)?;
    check_forbidden_refs(sort, options)?;
    let condition = compile_parts(
        &list_parts(rule, filter, &CompileOptions::rule(), options),
        collection,
        schema,
        request,
        now,
    )?;
    let terms = sort_terms(sort, collection, schema, request, options, now)?;
    let mut condition = condition;
    let mut order = Vec::with_capacity(terms.len());
    for (term, row_condition) in terms {
        if let Some(row_condition) = row_condition {
            let mut combined = condition.wrapped("(", ") AND ");
            combined.push_sql(&row_condition);
            condition = combined;
        }
        order.push(term);
    }
    Ok(ListQuery {
        filter: condition.into_fragment(),
        order,
    })
}

fn check_forbidden_refs(expression: &str, options: &CompileOptions) -> Result<(), RuleError> {
    if options.allow_request_and_collection_refs {
        return Ok(());
    }
    for prefix in ["@collection.", "@request."] {
        if expression.contains(prefix) {
            return Err(RuleError::ForbiddenRequestRef {
                prefix: prefix.to_string(),
            });
        }
    }
    Ok(())
}

/// Checks that a rule parses and that every identifier resolves against the collection (used
/// when a collection is saved; an error there is `validation_invalid_rule`). As in PocketBase
/// it is checked for a guest request with an empty body, so `@request.auth.*` and unknown
/// `@request.body.*` keys are accepted (they are NULL then), while unknown fields, unknown
/// collections, bad modifiers and bad function calls are not. `""` is valid.
pub fn validate_rule(
    expression: &str,
    collection: &Collection,
    schema: &dyn SchemaLookup,
) -> Result<(), RuleError> {
    if expression.is_empty() {
        return Ok(());
    }
    let expr = parse(expression)?;
    let request = RequestInfo::default();
    let mut resolver = RecordResolver::new(schema, &request, collection, true)?;
    let mut lowering = Lowering::new(Utc::now());
    lower_expr(&mut resolver, &mut lowering, &expr)?;
    Ok(())
}
