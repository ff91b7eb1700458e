//! The two rules an authentication must pass, evaluated in this one place with the rule
//! language (`crate::access`):
//!
//! * `authRule`: checked for every auth response (password, OTP, refresh, impersonation) with
//!   the request as it came in (`@request.auth` is the caller, usually nobody). `null` lets
//!   only a superuser caller through, `""` everyone; an expression must match the record.
//! * `mfa.rule`: which records need a second factor. `""` means every record; an expression
//!   selects them.
//!
//! Neither may fall open: a rule that cannot be evaluated refuses the login (authRule) or
//! refuses the attempt with "Failed to authenticate." (mfa.rule), never skips the check.

use pb_core::{Collection, Record};
use pb_rules::RequestInfo;

use crate::access::{record_in_reach, rule_access, RuleAccess, RuleScope};
use crate::auth::request_auth::AuthContext;
use crate::error::ApiError;
use crate::state::Schema;
use crate::txn::Failure;
use pb_core::ports::StoreTx;

/// Who is authenticating and what the rules may read of the request.
pub struct RuleContext<'a> {
    pub schema: &'a Schema,
    /// The caller of the request (a superuser for impersonation, the record itself for a
    /// refresh, nobody for a login).
    pub caller: Option<&'a AuthContext>,
    pub request: &'a RequestInfo,
}

/// Evaluates `rule` for `record`: `Some(true)` when it matches, `Some(false)` when it does not,
/// `None` when it cannot be evaluated. A `null` rule matches for superuser callers only.
fn rule_matches(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    record: &Record,
    rule: &Option<String>,
    context: &RuleContext<'_>,
) -> Result<Option<bool>, Failure> {
    let scope = RuleScope {
        schema: context.schema,
        auth: context.caller,
        request: context.request,
    };
    match rule_access(rule, collection, &scope) {
        Err(_superusers_only) => Ok(Some(false)),
        Ok(RuleAccess::All) => Ok(Some(true)),
        Ok(RuleAccess::Nothing) => Ok(None),
        Ok(access @ RuleAccess::Matching(_)) => {
            Ok(Some(record_in_reach(tx, collection, record.id(), &access)?))
        }
    }
}

/// Whether the collection's `authRule` lets `record` authenticate (an unevaluable rule does
/// not).
pub fn auth_rule_allows(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    record: &Record,
    context: &RuleContext<'_>,
) -> Result<bool, Failure> {
    let rule = collection
        .auth
        .as_ref()
        .and_then(|options| options.auth_rule.clone());
    Ok(rule_matches(tx, collection, record, &rule, context)?.unwrap_or(false))
}

/// Whether `record` needs a second factor under the collection's `mfa.rule` (MFA itself being
/// enabled is the caller's check). An unevaluable rule is a 400 "Failed to authenticate.".
pub fn mfa_required(
    tx: &mut dyn StoreTx,
    collection: &Collection,
    record: &Record,
    context: &RuleContext<'_>,
) -> Result<bool, Failure> {
    let rule = collection
        .auth
        .as_ref()
        .map(|options| options.mfa.rule.clone())
        .unwrap_or_default();
    if rule.trim().is_empty() {
        return Ok(true);
    }
    // Evaluated as if by a guest, so that a superuser caller does not skip it.
    let context = RuleContext {
        caller: context.caller.filter(|caller| !caller.is_superuser()),
        ..*context
    };
    match rule_matches(tx, collection, record, &Some(rule), &context)? {
        Some(required) => Ok(required),
        None => Err(ApiError::bad_request("Failed to authenticate.").into()),
    }
}
