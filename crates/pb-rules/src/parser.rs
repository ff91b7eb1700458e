//! A Pratt parser from tokens to [`Expr`], with a binding-power table for `&&`/`||`, a
//! depth guard and the 200-comparison limit.
//!
//! The grammar is PocketBase's `fexpr`: a sequence of items (a comparison or a parenthesised
//! group) separated by `&&`/`||`, where `&&` binds tighter (PocketBase gets that from SQL's
//! precedence; here the binding powers say it). Two quirks of `fexpr`'s state machine are kept
//! because rules saved in PocketBase rely on whatever it accepts:
//!
//! * A group may follow an item without an operator; it is then joined with the last operator
//!   seen at that nesting level (`&&` if none): `(a = 1) (b = 2)` means `a = 1 && b = 2`.
//! * A group met where a comparison was half written replaces it: `a = (b = 1)` and `a (b = 1)`
//!   both mean `b = 1`.
//!
//! An empty group `()` and an empty expression are errors, as in PocketBase.

use crate::ast::{Comparison, Expr, JoinOp, Operand};
use crate::error::RuleError;
use crate::lexer::{tokenize, Token, TokenKind, MAX_GROUP_DEPTH};

/// PocketBase's limit on comparisons in one expression.
pub const MAX_COMPARISONS: usize = 200;

/// Parses an expression. Whitespace-only and comment-only texts are errors (PocketBase:
/// "empty filter expression"); callers treat the empty rule `""` specially before parsing.
pub fn parse(source: &str) -> Result<Expr, RuleError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        tokens,
        position: 0,
        depth: 0,
        comparisons: 0,
        last_join: vec![JoinOp::And],
    };
    if parser.at(&TokenKind::Eof) {
        return Err(RuleError::syntax("empty filter expression", 0));
    }
    let expr = parser.expression(0)?;
    if !parser.at(&TokenKind::Eof) {
        let token = parser.peek();
        return Err(RuleError::syntax(
            format!("expected && or ||, got {}", describe(&token.kind)),
            token.span.start,
        ));
    }
    Ok(expr)
}

/// Left and right binding power of a join operator. Both are left-associative; `&&` binds
/// tighter than `||`.
fn binding_power(op: JoinOp) -> (u8, u8) {
    match op {
        JoinOp::Or => (1, 2),
        JoinOp::And => (3, 4),
    }
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Operand(Operand::Identifier { name, .. }) => format!("identifier {name:?}"),
        TokenKind::Operand(Operand::Text { value, .. }) => format!("text {value:?}"),
        TokenKind::Operand(Operand::Number { literal, .. }) => format!("number {literal}"),
        TokenKind::Operand(Operand::Function { name, .. }) => format!("function {name:?}"),
        TokenKind::Sign(op) => format!("operator {:?}", op.as_str()),
        TokenKind::Join(op) => format!("operator {:?}", op.as_str()),
        TokenKind::LParen => "\"(\"".to_string(),
        TokenKind::RParen => "\")\"".to_string(),
        TokenKind::Eof => "the end of the expression".to_string(),
    }
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    /// Current group nesting.
    depth: usize,
    comparisons: usize,
    /// The last join operator seen at each open nesting level (for implicit joins).
    last_join: Vec<JoinOp>,
}

impl Parser {
    fn peek(&self) -> Token {
        self.tokens
            .get(self.position)
            .or_else(|| self.tokens.last())
            .cloned()
            .unwrap_or(Token {
                kind: TokenKind::Eof,
                span: Default::default(),
            })
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.tokens.get(self.position).map(|token| &token.kind) == Some(kind)
    }

    fn bump(&mut self) -> Token {
        let token = self.peek();
        if self.position < self.tokens.len() {
            self.position += 1;
        }
        token
    }

    fn set_last_join(&mut self, op: JoinOp) {
        if let Some(last) = self.last_join.last_mut() {
            *last = op;
        }
    }

    fn current_last_join(&self) -> JoinOp {
        self.last_join.last().copied().unwrap_or(JoinOp::And)
    }

    /// An expression whose operators all bind at least as tightly as `min_power`.
    fn expression(&mut self, min_power: u8) -> Result<Expr, RuleError> {
        let mut left = self.item()?;
        loop {
            let token = self.peek();
            let (op, explicit) = match token.kind {
                TokenKind::Join(op) => (op, true),
                // A group right after an item: joined with the last operator of this level.
                TokenKind::LParen => (self.current_last_join(), false),
                TokenKind::Eof | TokenKind::RParen => break,
                other => {
                    return Err(RuleError::syntax(
                        format!("expected && or ||, got {}", describe(&other)),
                        token.span.start,
                    ))
                }
            };
            let (left_power, right_power) = binding_power(op);
            if left_power < min_power {
                break;
            }
            if explicit {
                self.bump();
                self.set_last_join(op);
            }
            let right = self.expression(right_power)?;
            let span = left.span().to(right.span());
            left = Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
                span,
            };
        }
        Ok(left)
    }

    /// A group or a comparison.
    fn item(&mut self) -> Result<Expr, RuleError> {
        let token = self.peek();
        match token.kind {
            TokenKind::LParen => self.group(),
            TokenKind::Operand(_) => self.comparison(),
            other => Err(RuleError::syntax(
                format!(
                    "expected left operand (identifier, function, text or number), got {}",
                    describe(&other)
                ),
                token.span.start,
            )),
        }
    }

    fn group(&mut self) -> Result<Expr, RuleError> {
        let open = self.bump();
        if self.depth >= MAX_GROUP_DEPTH {
            return Err(RuleError::too_complex(format!(
                "parentheses nested more than {MAX_GROUP_DEPTH} levels deep"
            )));
        }
        if self.at(&TokenKind::RParen) {
            return Err(RuleError::syntax(
                "empty filter expression",
                open.span.start,
            ));
        }
        self.depth += 1;
        self.last_join.push(JoinOp::And);
        let inner = self.expression(0);
        self.last_join.pop();
        self.depth -= 1;
        let inner = inner?;
        let close = self.bump();
        if close.kind != TokenKind::RParen {
            return Err(RuleError::syntax(
                format!("expected \")\", got {}", describe(&close.kind)),
                close.span.start,
            ));
        }
        Ok(Expr::Group {
            inner: Box::new(inner),
            span: open.span.to(close.span),
        })
    }

    fn comparison(&mut self) -> Result<Expr, RuleError> {
        let left_token = self.bump();
        let TokenKind::Operand(left) = left_token.kind else {
            return Err(RuleError::syntax(
                "expected left operand",
                left_token.span.start,
            ));
        };
        if self.at(&TokenKind::LParen) {
            return self.group();
        }
        let sign = self.bump();
        let TokenKind::Sign(op) = sign.kind else {
            return Err(RuleError::syntax(
                format!("expected a sign operator, got {}", describe(&sign.kind)),
                sign.span.start,
            ));
        };
        if self.at(&TokenKind::LParen) {
            return self.group();
        }
        let right_token = self.bump();
        let TokenKind::Operand(right) = right_token.kind else {
            return Err(RuleError::syntax(
                format!(
                    "expected right operand (identifier, function, text or number), got {}",
                    describe(&right_token.kind)
                ),
                right_token.span.start,
            ));
        };
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(RuleError::too_complex(format!(
                "more than {MAX_COMPARISONS} comparisons"
            )));
        }
        let span = left_token.span.to(right_token.span);
        Ok(Expr::Comparison(Comparison {
            left,
            op,
            right,
            span,
        }))
    }
}

// Tests panic on purpose when something is off.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sexpr(source: &str) -> String {
        parse(source).unwrap().to_sexpr()
    }

    #[test]
    fn and_binds_tighter_than_or() {
        assert_eq!(
            sexpr("a = 1 || b = 2 && c = 3"),
            "(|| (= a 1) (&& (= b 2) (= c 3)))"
        );
        assert_eq!(
            sexpr("a = 1 && b = 2 || c = 3"),
            "(|| (&& (= a 1) (= b 2)) (= c 3))"
        );
        assert_eq!(
            sexpr("a = 1 || b = 2 || c = 3"),
            "(|| (|| (= a 1) (= b 2)) (= c 3))"
        );
    }

    #[test]
    fn fexpr_quirks_are_kept() {
        assert_eq!(
            sexpr("(a = 1) (b = 2)"),
            "(&& (group (= a 1)) (group (= b 2)))"
        );
        assert_eq!(
            sexpr("a = 1 || (b = 2) (c = 3)"),
            "(|| (|| (= a 1) (group (= b 2))) (group (= c 3)))"
        );
        assert_eq!(sexpr("a = (b = 1)"), "(group (= b 1))");
        assert_eq!(sexpr("a (b = 1)"), "(group (= b 1))");
    }

    #[test]
    fn malformed_expressions_are_errors() {
        for bad in [
            "",
            "  ",
            "// only a comment",
            "n = 1 &&",
            "(n = 1",
            "title =",
            "!(n = 1)",
            "ok",
            "()",
            "n = 1 && ()",
            "(n = 1) = 2",
            "n = 1 n = 2",
            "&& n = 1",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn limits_are_errors_not_crashes() {
        let deep = format!("{}a = 1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(matches!(parse(&deep), Err(RuleError::TooComplex { .. })));
        let many = vec!["a = 1"; 201].join(" && ");
        assert!(matches!(parse(&many), Err(RuleError::TooComplex { .. })));
        let enough = vec!["a = 1"; 200].join(" || ");
        assert!(parse(&enough).is_ok());
    }
}
