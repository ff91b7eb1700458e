//! API rules on the records routes, until the rule language compiles expressions: `null` lets
//! only superusers through, `""` lets everyone through, and any other expression lets only
//! superusers through — a rule we cannot evaluate never falls open.

use pb_core::ports::SqlFragment;

use crate::auth::request_auth::AuthContext;
use crate::error::ApiError;

/// What a rule means for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleAccess {
    /// Every record is in reach.
    All,
    /// Only the records the fragment matches.
    Matching(SqlFragment),
    /// No record is in reach (the rule failed).
    Nothing,
}

/// Evaluates `rule` for the caller; `Err` for a `null` rule and a non-superuser (403).
pub fn rule_access(
    rule: &Option<String>,
    auth: Option<&AuthContext>,
) -> Result<RuleAccess, ApiError> {
    if auth.is_some_and(AuthContext::is_superuser) {
        return Ok(RuleAccess::All);
    }
    match rule.as_deref().map(str::trim) {
        None => Err(ApiError::superusers_only()),
        Some("") => Ok(RuleAccess::All),
        Some(_expression) => Ok(RuleAccess::Nothing),
    }
}
