//! PocketBase's filter and access-rule language, compiled to parameterised SQL.
//!
//! Deliberately empty for now: the parser, resolver and compiler arrive with their own issue.
//! Until then the HTTP layer refuses `filter=` with a 400 and treats every non-empty rule as
//! "superusers only", so no rule can fall open for want of an evaluator.
