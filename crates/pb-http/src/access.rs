//! API rules on the records routes, compiled by the rule language: `null` lets only superusers
//! through (403 for others), `""` lets everyone through, and an expression narrows the records
//! in reach to those it matches for this request. A stored rule that no longer compiles denies;
//! it never falls open.

use pb_core::ports::{RecordQuery, SqlFragment, SqlValue, StoreTx};
use pb_core::Collection;
use pb_rules::{compile_filter, is_request_independent, CompileOptions, RequestInfo, RuleError};

use crate::auth::request_auth::AuthContext;
use crate::error::ApiError;
use crate::state::Schema;
use crate::txn::Failure;

/// What a rule means for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleAccess {
    /// Every record is in reach.
    All,
    /// Only the records the fragment matches.
    Matching(SqlFragment),
    /// No record is in reach (the rule could not be evaluated).
    Nothing,
}

/// Who asks, and what a rule may read of the request.
pub struct RuleScope<'a> {
    pub schema: &'a Schema,
    pub auth: Option<&'a AuthContext>,
    pub request: &'a RequestInfo,
}

impl RuleScope<'_> {
    pub fn is_superuser(&self) -> bool {
        self.auth.is_some_and(AuthContext::is_superuser)
    }
}

/// Evaluates `rule` of `collection` for the caller; `Err` (403) for a `null` rule and a
/// non-superuser.
pub fn rule_access(
    rule: &Option<String>,
    collection: &Collection,
    scope: &RuleScope<'_>,
) -> Result<RuleAccess, ApiError> {
    if scope.is_superuser() {
        return Ok(RuleAccess::All);
    }
    let Some(expression) = rule.as_deref() else {
        return Err(ApiError::superusers_only());
    };
    if expression.trim().is_empty() {
        return Ok(RuleAccess::All);
    }
    let independent = is_request_independent(expression);
    if independent {
        if let Some(fragment) = scope.schema.compiled_rule(&collection.id, expression) {
            return Ok(RuleAccess::Matching(fragment));
        }
    }
    match compile_filter(
        expression,
        collection,
        scope.schema,
        scope.request,
        &CompileOptions::rule(),
    ) {
        Ok(fragment) => {
            if independent {
                scope
                    .schema
                    .remember_compiled_rule(&collection.id, expression, &fragment);
            }
            Ok(RuleAccess::Matching(fragment))
        }
        Err(error) => {
            tracing::warn!(collection = %collection.name, %error, "a stored rule does not compile; denying");
            Ok(RuleAccess::Nothing)
        }
    }
}

/// Whether record `id` of `collection` is in reach under `access`.
pub fn record_in_reach(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    id: &str,
    access: &RuleAccess,
) -> Result<bool, Failure> {
    let rule = match access {
        RuleAccess::All => return Ok(true),
        RuleAccess::Nothing => return Ok(false),
        RuleAccess::Matching(rule) => rule,
    };
    let query = RecordQuery {
        filter: Some(and(id_equals(collection, id), rule.clone())),
        limit: Some(1),
        ..RecordQuery::default()
    };
    Ok(!tx.list_records(collection, &query)?.is_empty())
}

/// `"<table>"."id" = ?`.
pub fn id_equals(collection: &Collection, id: &str) -> SqlFragment {
    SqlFragment {
        sql: format!("{}.\"id\" = ?", quote(&collection.name)),
        binds: vec![SqlValue::Text(id.to_string())],
    }
}

/// Both conditions.
pub fn and(left: SqlFragment, right: SqlFragment) -> SqlFragment {
    let mut binds = left.binds;
    binds.extend(right.binds);
    SqlFragment {
        sql: format!("({}) AND ({})", left.sql, right.sql),
        binds,
    }
}

/// Quotes a schema identifier (validated when its collection was saved) for SQLite.
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The answer to a `filter`/`sort` param the rule language refused: 403 for `@request.`/
/// `@collection.` from non-superusers, the generic 400 otherwise.
pub fn filter_error(error: RuleError) -> ApiError {
    if error.http_status() == 403 {
        ApiError::new(actix_web::http::StatusCode::FORBIDDEN, error.to_string())
    } else {
        tracing::debug!(%error, "filter refused");
        ApiError::generic_bad_request().with_details(error.to_string())
    }
}

impl pb_rules::SchemaLookup for Schema {
    fn find_collection(&self, id_or_name: &str) -> Option<&Collection> {
        self.find_ref(id_or_name)
    }
}
