//! Lowering: a parsed expression plus a [`Resolver`] → SQL with binds.
//!
//! Each comparison resolves its two operands and combines them the way PocketBase's
//! `tools/search/filter.go` does, restated:
//!
//! * `=`/`!=` treat `NULL` and `''` alike unless an operand opts out (JSON values, functions):
//!   `title = null` matches `''`, `x != ''` excludes NULL. `!=` is `IS NOT`, so NULLs compare.
//! * `~`/`!~` are `LIKE`/`NOT LIKE` with `ESCAPE '\'`; a bound right side without an unescaped
//!   `%` is wrapped in `%…%` with its `%`, `_` and `\` escaped; a column right side is wrapped
//!   with `'%' || … || '%'`.
//! * A plain (non-`?`) operator on a multi-valued operand must hold for every item: the
//!   comparison is ANDed with `NOT EXISTS (… WHERE NOT (item op other))` over the operand's
//!   multi-match subquery. The `?` operators skip that and so mean "any item".
//! * Datetime macros, `null`/`true`/`false`, strings and numbers become parameters or
//!   constants; `geoDistance()` and `strftime()` are the only functions.
//!
//! When the resolved identifiers needed joins, [`finish`] wraps the condition in one correlated
//! `EXISTS (SELECT 1 FROM (SELECT 1) LEFT JOIN … WHERE …)`, together with the list rules of
//! joined collections for non-superusers.

use chrono::{DateTime, Utc};

use crate::ast::{Comparison, Expr, JoinOp, Operand, SignOp, Span};
use crate::error::RuleError;
use crate::macros::macro_value;
use crate::parser::parse;
use crate::resolver::{AfterBuild, MultiMatch, NullFallback, RecordResolver, Resolution};
use crate::resolver::{Resolved, Resolver};
use crate::sql::{column, quote, Param, Sql};

/// State of one lowering: the instant macros use and a counter for subquery aliases.
pub(crate) struct Lowering {
    pub(crate) now: DateTime<Utc>,
    next_alias: usize,
}

impl Lowering {
    pub(crate) fn new(now: DateTime<Utc>) -> Lowering {
        Lowering { now, next_alias: 0 }
    }

    fn fresh_alias(&mut self) -> String {
        self.next_alias += 1;
        format!("pb$s{}", self.next_alias)
    }
}

/// Lowers an expression to a boolean SQL condition.
pub(crate) fn lower_expr<R: Resolver>(
    resolver: &mut R,
    lowering: &mut Lowering,
    expr: &Expr,
) -> Result<Sql, RuleError> {
    match expr {
        Expr::Comparison(comparison) => lower_comparison(resolver, lowering, comparison),
        Expr::Binary {
            op, left, right, ..
        } => {
            let left = lower_expr(resolver, lowering, left)?;
            let right = lower_expr(resolver, lowering, right)?;
            let joiner = match op {
                JoinOp::And => " AND ",
                JoinOp::Or => " OR ",
            };
            let mut out = Sql::raw("(");
            out.push_sql(&left).push(joiner).push_sql(&right).push(")");
            Ok(out)
        }
        Expr::Group { inner, .. } => lower_expr(resolver, lowering, inner),
    }
}

fn lower_comparison<R: Resolver>(
    resolver: &mut R,
    lowering: &mut Lowering,
    comparison: &Comparison,
) -> Result<Sql, RuleError> {
    let left = resolve_operand(resolver, lowering, &comparison.left)?;
    let right = resolve_operand(resolver, lowering, &comparison.right)?;
    Ok(build_comparison(lowering, &left, comparison.op, &right))
}

/// One operand: a macro, an identifier through the resolver (with the `null`/`true`/`false`
/// fallbacks), a literal or a function call.
pub(crate) fn resolve_operand<R: Resolver>(
    resolver: &mut R,
    lowering: &mut Lowering,
    operand: &Operand,
) -> Result<Resolved, RuleError> {
    match operand {
        Operand::Identifier { name, .. } => {
            if let Some(value) = macro_value(name, lowering.now) {
                return Ok(Resolved::param(value));
            }
            let resolution = resolver.resolve(name);
            let error = match resolution {
                Ok(Resolution::Value(resolved)) if !resolved.expr.text.is_empty() => {
                    return Ok(*resolved)
                }
                Ok(Resolution::Changed { field }) => {
                    return lower_changed(resolver, lowering, &field)
                }
                Ok(Resolution::Value(_)) => RuleError::unknown(name.clone()),
                Err(error) => error,
            };
            for (literal, sql) in [("null", "NULL"), ("true", "1"), ("false", "0")] {
                if name.eq_ignore_ascii_case(literal) {
                    return Ok(Resolved::raw(sql));
                }
            }
            Err(error)
        }
        Operand::Text { value, .. } => Ok(Resolved::param(Param::Text(value.clone()))),
        Operand::Number { literal, .. } => Ok(Resolved::param(Param::Real(parse_number(literal)))),
        Operand::Function { name, args, .. } => match name.as_str() {
            "geoDistance" => geo_distance(resolver, lowering, args),
            "strftime" => strftime(resolver, lowering, args),
            _ => Err(RuleError::function(format!("unknown function {name:?}"))),
        },
    }
}

/// A number literal as a float; out-of-range literals are 0, as Go's `cast.ToFloat64` makes
/// them.
fn parse_number(literal: &str) -> f64 {
    match literal.parse::<f64>() {
        Ok(number) if number.is_finite() => number,
        _ => 0.0,
    }
}

/// `@request.body.x:changed` → `(@request.body.x:isset = true && @request.body.x != x)`.
fn lower_changed<R: Resolver>(
    resolver: &mut R,
    lowering: &mut Lowering,
    field: &str,
) -> Result<Resolved, RuleError> {
    let identifier = |name: String| Operand::Identifier {
        name,
        span: Span::default(),
    };
    let comparison = |left: Operand, op: SignOp, right: Operand| {
        Expr::Comparison(Comparison {
            left,
            op,
            right,
            span: Span::default(),
        })
    };
    let alias = Expr::Binary {
        op: JoinOp::And,
        left: Box::new(comparison(
            identifier(format!("@request.body.{field}:isset")),
            SignOp::Eq,
            identifier("true".to_string()),
        )),
        right: Box::new(comparison(
            identifier(format!("@request.body.{field}")),
            SignOp::Neq,
            identifier(field.to_string()),
        )),
        span: Span::default(),
    };
    Ok(Resolved {
        expr: lower_expr(resolver, lowering, &alias)?,
        null_fallback: NullFallback::Disabled,
        opaque: true,
        ..Resolved::default()
    })
}

/// `geoDistance(lonA, latA, lonB, latB)`: haversine distance in km.
fn geo_distance<R: Resolver>(
    resolver: &mut R,
    lowering: &mut Lowering,
    args: &[Operand],
) -> Result<Resolved, RuleError> {
    if args.len() != 4 {
        return Err(RuleError::function(format!(
            "[geoDistance] expected 4 arguments, got {}",
            args.len()
        )));
    }
    let mut resolved = Vec::with_capacity(4);
    for (index, arg) in args.iter().enumerate() {
        if !matches!(arg, Operand::Identifier { .. } | Operand::Number { .. }) {
            return Err(RuleError::function(format!(
                "[geoDistance] argument {index} must be an identifier or number"
            )));
        }
        resolved.push(resolve_operand(resolver, lowering, arg)?.expr);
    }
    let (lon_a, lat_a, lon_b, lat_b) = (&resolved[0], &resolved[1], &resolved[2], &resolved[3]);
    let mut expr = Sql::raw("(6371 * acos(cos(radians(");
    expr.push_sql(lat_a)
        .push(")) * cos(radians(")
        .push_sql(lat_b)
        .push(")) * cos(radians(")
        .push_sql(lon_b)
        .push(") - radians(")
        .push_sql(lon_a)
        .push(")) + sin(radians(")
        .push_sql(lat_a)
        .push(")) * sin(radians(")
        .push_sql(lat_b)
        .push("))))");
    Ok(Resolved {
        expr,
        null_fallback: NullFallback::Disabled,
        ..Resolved::default()
    })
}

/// `strftime(format, [timeValue, modifiers…])`: SQLite's strftime with 1 to 10 arguments.
fn strftime<R: Resolver>(
    resolver: &mut R,
    lowering: &mut Lowering,
    args: &[Operand],
) -> Result<Resolved, RuleError> {
    if args.is_empty() {
        return Err(RuleError::function(
            "[strftime] expected at least 1 arguments, got 0",
        ));
    }
    if args.len() > 10 {
        return Err(RuleError::function(format!(
            "[strftime] too many arguments (max allowed 10, got {})",
            args.len()
        )));
    }
    if !matches!(args[0], Operand::Text { .. }) {
        return Err(RuleError::function(
            "[strftime] expects the first argument to be a format string",
        ));
    }
    let format = resolve_operand(resolver, lowering, &args[0])?.expr;
    if args.len() == 1 {
        return Ok(Resolved {
            expr: format.wrapped("strftime(", ")"),
            null_fallback: NullFallback::Enforced,
            ..Resolved::default()
        });
    }
    if matches!(args[1], Operand::Function { .. }) {
        return Err(RuleError::function(
            "[strftime] expects the second argument to be of a valid time-value type",
        ));
    }
    let time_value = resolve_operand(resolver, lowering, &args[1])?;
    let mut modifiers = Vec::new();
    for (index, arg) in args[2..].iter().enumerate() {
        if !matches!(arg, Operand::Text { .. }) {
            return Err(RuleError::function(format!(
                "[strftime] invalid modifier argument {index} - can be only string"
            )));
        }
        modifiers.push(resolve_operand(resolver, lowering, arg)?.expr);
    }
    let call = |value: &Sql| {
        let mut expr = Sql::raw("strftime(");
        expr.push_sql(&format).push(",").push_sql(value);
        for modifier in &modifiers {
            expr.push(",").push_sql(modifier);
        }
        expr.push(")");
        expr
    };
    let multi_match = time_value.multi_match.map(|mut multi_match| {
        multi_match.value = call(&multi_match.value);
        multi_match
    });
    Ok(Resolved {
        expr: call(&time_value.expr),
        null_fallback: NullFallback::Enforced,
        multi_match,
        ..Resolved::default()
    })
}

/// `left op right`, with the multi-match constraints and the operands' after-build steps.
pub(crate) fn build_comparison(
    lowering: &mut Lowering,
    left: &Resolved,
    op: SignOp,
    right: &Resolved,
) -> Sql {
    let mut expr = match op.without_any() {
        SignOp::Eq => equal_expr(true, left, right),
        SignOp::Neq => equal_expr(false, left, right),
        SignOp::Like => like_expr(false, left, right),
        SignOp::NotLike => like_expr(true, left, right),
        other => {
            let mut expr = left.expr.clone();
            expr.push(" ")
                .push(other.as_str())
                .push(" ")
                .push_sql(&right.expr);
            expr
        }
    };
    if !op.is_any() {
        let constraint = match (&left.multi_match, &right.multi_match) {
            (Some(_), Some(_)) => Some(many_vs_many(lowering, left, op, right)),
            (Some(multi_match), None) => Some(many_vs_one(
                lowering,
                multi_match,
                left.null_fallback,
                op,
                right,
                false,
            )),
            (None, Some(multi_match)) => Some(many_vs_one(
                lowering,
                multi_match,
                right.null_fallback,
                op,
                left,
                true,
            )),
            (None, None) => None,
        };
        if let Some(constraint) = constraint {
            let mut combined = Sql::raw("((");
            combined
                .push_sql(&expr)
                .push(") AND (")
                .push_sql(&constraint)
                .push("))");
            expr = combined;
        }
    }
    for step in left.after_build.iter().chain(&right.after_build) {
        expr = match step {
            AfterBuild::Not => expr.wrapped("NOT (", ")"),
            AfterBuild::EmailVisible { alias } => {
                let mut out = Sql::raw("((");
                out.push_sql(&expr)
                    .push(") AND ")
                    .push_sql(&column(alias, "emailVisibility"))
                    .push(" = TRUE)");
                out
            }
        };
    }
    expr
}

fn is_empty_identifier(operand: &Resolved) -> bool {
    matches!(
        operand.expr.text.to_ascii_lowercase().as_str(),
        "" | "null" | "''" | "\"\"" | "``"
    )
}

fn is_known_non_empty(operand: &Resolved) -> bool {
    if operand.null_fallback == NullFallback::Enforced {
        return false;
    }
    if matches!(
        operand.expr.text.to_ascii_lowercase().as_str(),
        "1" | "0" | "false" | "true"
    ) {
        return true;
    }
    operand.param_count() > 0 && !operand.has_empty_param() && !is_empty_identifier(operand)
}

fn is_empty_operand(operand: &Resolved) -> bool {
    is_empty_identifier(operand)
        || (operand.null_fallback == NullFallback::Auto
            && operand.param_count() == 1
            && operand.has_empty_param())
}

/// `=` (`equal`) or `!=`, with PocketBase's NULL/'' handling.
fn equal_expr(equal: bool, left: &Resolved, right: &Resolved) -> Sql {
    let (equal_op, null_equal_op, joiner, null_test) = if equal {
        ("=", "IS", "OR", "IS NULL")
    } else {
        ("IS NOT", "IS NOT", "AND", "IS NOT NULL")
    };
    let binary = |a: &Sql, op: &str, b: &Sql| {
        let mut out = a.clone();
        out.push(" ").push(op).push(" ").push_sql(b);
        out
    };
    if left.null_fallback == NullFallback::Disabled || right.null_fallback == NullFallback::Disabled
    {
        return binary(&left.expr, null_equal_op, &right.expr);
    }
    let left_empty = is_empty_operand(left);
    let right_empty = is_empty_operand(right);
    let empty = Sql::raw("''");
    if left_empty && right_empty {
        return binary(&empty, equal_op, &empty);
    }
    if is_known_non_empty(left) || is_known_non_empty(right) {
        let left_sql = if left_empty { &empty } else { &left.expr };
        let right_sql = if right_empty { &empty } else { &right.expr };
        return binary(left_sql, equal_op, right_sql);
    }
    let null_fallback = |value: &Sql| {
        let mut out = Sql::raw("(");
        out.push_sql(&binary(&empty, equal_op, value))
            .push(" ")
            .push(joiner)
            .push(" ")
            .push_sql(value)
            .push(" ")
            .push(null_test)
            .push(")");
        out
    };
    if left_empty {
        return null_fallback(&right.expr);
    }
    if right_empty {
        let mut out = Sql::raw("(");
        out.push_sql(&binary(&left.expr, equal_op, &empty))
            .push(" ")
            .push(joiner)
            .push(" ")
            .push_sql(&left.expr)
            .push(" ")
            .push(null_test)
            .push(")");
        return out;
    }
    binary(
        &left.expr.wrapped("COALESCE(", ", '')"),
        equal_op,
        &right.expr.wrapped("COALESCE(", ", '')"),
    )
}

/// `~` or `!~` (`negate`).
fn like_expr(negate: bool, left: &Resolved, right: &Resolved) -> Sql {
    let keyword = if negate { " NOT LIKE " } else { " LIKE " };
    let mut out = left.expr.clone();
    out.push(keyword);
    if right.param_count() == 0 {
        out.push("('%' || ").push_sql(&right.expr).push(" || '%')");
    } else {
        out.push_sql(&Sql {
            text: right.expr.text.clone(),
            binds: right
                .expr
                .binds
                .iter()
                .map(|param| Param::Text(like_pattern(&param.to_text())))
                .collect(),
        });
    }
    out.push(" ESCAPE '\\'");
    out
}

/// The LIKE pattern of a bound value: used as is when it has an unescaped `%`, otherwise
/// `%value%` with `\`, `%` and `_` escaped.
pub(crate) fn like_pattern(value: &str) -> String {
    if contains_unescaped_percent(value) {
        value.to_string()
    } else {
        format!("%{}%", escape_unescaped(value))
    }
}

fn contains_unescaped_percent(value: &str) -> bool {
    let mut previous = '\0';
    for character in value.chars() {
        if character == '%' && previous != '\\' {
            return true;
        }
        previous = if character == '\\' && previous == '\\' {
            '\0'
        } else {
            character
        };
    }
    false
}

/// Puts a `\` before each `\`, `%` and `_` not already preceded by one, pairing from the end of
/// the text (so `\%` stays as is and `%` becomes `\%`).
fn escape_unescaped(value: &str) -> String {
    let characters: Vec<char> = value.chars().collect();
    let mut reversed: Vec<char> = Vec::with_capacity(characters.len() * 2);
    let mut pending = false;
    for (index, &character) in characters.iter().enumerate().rev() {
        if pending {
            if character != '\\' {
                reversed.push('\\');
            }
            pending = false;
        } else if matches!(character, '\\' | '%' | '_') {
            pending = true;
        }
        reversed.push(character);
        if index == 0 && pending {
            reversed.push('\\');
        }
    }
    reversed.into_iter().rev().collect()
}

/// `SELECT <value> AS "multiMatchValue" FROM … WHERE "<from>"."id" = "<target>"."id"`.
fn multi_match_sql(multi_match: &MultiMatch) -> Sql {
    let mut out = Sql::raw("SELECT ");
    out.push_sql(&multi_match.value)
        .push(" AS \"multiMatchValue\" FROM ")
        .push(&quote(&multi_match.from_table))
        .push(" ")
        .push(&quote(&multi_match.from_alias));
    for join in &multi_match.joins {
        out.push(" LEFT JOIN ")
            .push_sql(&join.table)
            .push(" ")
            .push(&quote(&join.alias));
        if let Some(on) = &join.on {
            out.push(" ON ").push_sql(on);
        }
    }
    out.push(" WHERE ")
        .push_sql(&column(&multi_match.from_alias, "id"))
        .push(" = ")
        .push_sql(&column(&multi_match.target_alias, "id"));
    out
}

/// Every item of `multi_match` must satisfy `item op other` (or `other op item` when
/// `inverse`).
fn many_vs_one(
    lowering: &mut Lowering,
    multi_match: &MultiMatch,
    null_fallback: NullFallback,
    op: SignOp,
    other: &Resolved,
    inverse: bool,
) -> Sql {
    let alias = lowering.fresh_alias();
    let item = Resolved {
        expr: column(&alias, "multiMatchValue"),
        null_fallback,
        after_build: vec![AfterBuild::Not],
        ..Resolved::default()
    };
    let other = Resolved {
        expr: other.expr.clone(),
        opaque: other.opaque,
        ..Resolved::default()
    };
    let condition = if inverse {
        build_comparison(lowering, &other, op, &item)
    } else {
        build_comparison(lowering, &item, op, &other)
    };
    let mut out = Sql::raw("NOT EXISTS (SELECT 1 FROM (");
    out.push_sql(&multi_match_sql(multi_match))
        .push(") ")
        .push(&quote(&alias))
        .push(" WHERE ")
        .push_sql(&condition)
        .push(")");
    out
}

/// Every pair of items of the two operands must satisfy `op`.
fn many_vs_many(lowering: &mut Lowering, left: &Resolved, op: SignOp, right: &Resolved) -> Sql {
    let (Some(left_match), Some(right_match)) = (&left.multi_match, &right.multi_match) else {
        return Sql::raw("0=1");
    };
    let left_alias = lowering.fresh_alias();
    let right_alias = lowering.fresh_alias();
    let left_item = Resolved {
        expr: column(&left_alias, "multiMatchValue"),
        null_fallback: left.null_fallback,
        ..Resolved::default()
    };
    let right_item = Resolved {
        expr: column(&right_alias, "multiMatchValue"),
        null_fallback: right.null_fallback,
        after_build: vec![AfterBuild::Not],
        ..Resolved::default()
    };
    let condition = build_comparison(lowering, &left_item, op, &right_item);
    let mut out = Sql::raw("NOT EXISTS (SELECT 1 FROM (");
    out.push_sql(&multi_match_sql(left_match))
        .push(") ")
        .push(&quote(&left_alias))
        .push(" LEFT JOIN (")
        .push_sql(&multi_match_sql(right_match))
        .push(") ")
        .push(&quote(&right_alias))
        .push(" WHERE ")
        .push_sql(&condition)
        .push(")");
    out
}

/// The list rules of the collections joined for a non-superuser, each compiled against its
/// joined row as `id = '' || (<rule>)` (the `id = ''` keeps rows whose relation is empty).
/// Compiling them may add joins but no further list rules.
pub(crate) fn rule_join_conditions(
    resolver: &mut RecordResolver<'_>,
    lowering: &mut Lowering,
) -> Result<Vec<Sql>, RuleError> {
    let mut conditions = Vec::new();
    let mut index = 0;
    while index < resolver.rule_joins.len() {
        let (alias, collection) = resolver.rule_joins[index].clone();
        index += 1;
        let Some(rule) = collection
            .list_rule
            .as_deref()
            .filter(|rule| !rule.is_empty())
        else {
            continue;
        };
        let expr = parse(&format!("id='' || (\n{rule}\n)"))?;
        let scope = resolver.rule_scope(collection, &alias);
        let saved = std::mem::replace(&mut resolver.scope, scope);
        let condition = lower_expr(resolver, lowering, &expr);
        resolver.scope = saved;
        conditions.push(condition?);
    }
    Ok(conditions)
}

/// `LEFT JOIN … LEFT JOIN …` of everything the resolver joined.
fn joins_sql(resolver: &RecordResolver<'_>) -> Sql {
    let mut out = Sql::default();
    for join in &resolver.joins {
        out.push(" LEFT JOIN ")
            .push_sql(&join.table)
            .push(" ")
            .push(&quote(&join.alias));
        if let Some(on) = &join.on {
            out.push(" ON ").push_sql(on);
        }
    }
    out
}

/// The final condition: `condition` as is when nothing was joined, otherwise one correlated
/// `EXISTS` over all the joins with the joined collections' list rules.
pub(crate) fn finish(
    resolver: &mut RecordResolver<'_>,
    lowering: &mut Lowering,
    condition: Sql,
) -> Result<Sql, RuleError> {
    let rule_conditions = rule_join_conditions(resolver, lowering)?;
    if resolver.joins.is_empty() {
        return Ok(condition);
    }
    let mut out = Sql::raw("EXISTS (SELECT 1 FROM (SELECT 1)");
    out.push_sql(&joins_sql(resolver))
        .push(" WHERE (")
        .push_sql(&condition)
        .push(")");
    for rule_condition in &rule_conditions {
        out.push(" AND (").push_sql(rule_condition).push(")");
    }
    out.push(")");
    Ok(out)
}

/// A sort value: `value` as is when nothing was joined, otherwise a scalar subquery over the
/// joins (first matching row) with the joined collections' list rules as its WHERE. The second
/// part is the condition those list rules put on the listed rows (non-superusers), if any.
pub(crate) fn finish_sort_value(
    resolver: &mut RecordResolver<'_>,
    lowering: &mut Lowering,
    value: Sql,
) -> Result<(Sql, Option<Sql>), RuleError> {
    let rule_conditions = rule_join_conditions(resolver, lowering)?;
    if resolver.joins.is_empty() {
        return Ok((value, None));
    }
    let mut from = Sql::raw(" FROM (SELECT 1)");
    from.push_sql(&joins_sql(resolver));
    for (index, rule_condition) in rule_conditions.iter().enumerate() {
        from.push(if index == 0 { " WHERE (" } else { " AND (" })
            .push_sql(rule_condition)
            .push(")");
    }
    let mut sort_value = Sql::raw("(SELECT ");
    sort_value
        .push_sql(&value)
        .push_sql(&from)
        .push(" LIMIT 1)");
    let row_condition = (!rule_conditions.is_empty()).then(|| {
        let mut condition = Sql::raw("EXISTS (SELECT 1");
        condition.push_sql(&from).push(")");
        condition
    });
    Ok((sort_value, row_condition))
}

// Tests panic on purpose when something is off.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_pocketbase() {
        assert_eq!(like_pattern("am"), "%am%");
        assert_eq!(like_pattern("G%ray"), "G%ray");
        assert_eq!(like_pattern("a_"), "%a\\_%");
        assert_eq!(like_pattern("50\\%"), "%50\\%%");
        assert_eq!(like_pattern("a\\b"), "%a\\\\b%");
        assert_eq!(like_pattern("_"), "%\\_%");
        assert_eq!(like_pattern(""), "%%");
    }
}
