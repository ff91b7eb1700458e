//! The syntax tree of a filter/rule expression, with a byte span on every node.
//!
//! The tree is what the parser understood and nothing more: identifiers are still plain text
//! (`author.name`, `@request.auth.id`, `tags:each`); what they mean is decided later by the
//! resolver against a schema. Two printers live here: [`Expr::to_source`] prints an expression
//! that parses back to the same tree (the round-trip tests rely on it), and
//! [`Expr::to_sexpr`] prints the S-expression form used by the blessed test outputs.

use std::fmt::Write;

/// A byte range `start..end` of the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// `&&` or `||`. `&&` binds tighter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOp {
    And,
    Or,
}

impl JoinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinOp::And => "&&",
            JoinOp::Or => "||",
        }
    }
}

/// A comparison operator. The `Any*` forms are the `?`-prefixed "at least one item" operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignOp {
    Eq,
    Neq,
    Like,
    NotLike,
    Lt,
    Lte,
    Gt,
    Gte,
    AnyEq,
    AnyNeq,
    AnyLike,
    AnyNotLike,
    AnyLt,
    AnyLte,
    AnyGt,
    AnyGte,
}

impl SignOp {
    /// Parses an operator exactly as written (`?!~`, `>=` …).
    pub fn parse(text: &str) -> Option<SignOp> {
        Some(match text {
            "=" => SignOp::Eq,
            "!=" => SignOp::Neq,
            "~" => SignOp::Like,
            "!~" => SignOp::NotLike,
            "<" => SignOp::Lt,
            "<=" => SignOp::Lte,
            ">" => SignOp::Gt,
            ">=" => SignOp::Gte,
            "?=" => SignOp::AnyEq,
            "?!=" => SignOp::AnyNeq,
            "?~" => SignOp::AnyLike,
            "?!~" => SignOp::AnyNotLike,
            "?<" => SignOp::AnyLt,
            "?<=" => SignOp::AnyLte,
            "?>" => SignOp::AnyGt,
            "?>=" => SignOp::AnyGte,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SignOp::Eq => "=",
            SignOp::Neq => "!=",
            SignOp::Like => "~",
            SignOp::NotLike => "!~",
            SignOp::Lt => "<",
            SignOp::Lte => "<=",
            SignOp::Gt => ">",
            SignOp::Gte => ">=",
            SignOp::AnyEq => "?=",
            SignOp::AnyNeq => "?!=",
            SignOp::AnyLike => "?~",
            SignOp::AnyNotLike => "?!~",
            SignOp::AnyLt => "?<",
            SignOp::AnyLte => "?<=",
            SignOp::AnyGt => "?>",
            SignOp::AnyGte => "?>=",
        }
    }

    /// Whether this is one of the `?` "any of" operators.
    pub fn is_any(self) -> bool {
        matches!(
            self,
            SignOp::AnyEq
                | SignOp::AnyNeq
                | SignOp::AnyLike
                | SignOp::AnyNotLike
                | SignOp::AnyLt
                | SignOp::AnyLte
                | SignOp::AnyGt
                | SignOp::AnyGte
        )
    }

    /// The operator without its `?`: `?>=` → `>=`.
    pub fn without_any(self) -> SignOp {
        match self {
            SignOp::AnyEq => SignOp::Eq,
            SignOp::AnyNeq => SignOp::Neq,
            SignOp::AnyLike => SignOp::Like,
            SignOp::AnyNotLike => SignOp::NotLike,
            SignOp::AnyLt => SignOp::Lt,
            SignOp::AnyLte => SignOp::Lte,
            SignOp::AnyGt => SignOp::Gt,
            SignOp::AnyGte => SignOp::Gte,
            other => other,
        }
    }
}

/// One side of a comparison, or a function argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A field path, macro or `@request`/`@collection` reference, with its modifiers
    /// (`author.name`, `tags:each`, `@now`, `null`).
    Identifier { name: String, span: Span },
    /// A quoted string, already unescaped. `quote` is the quote character used (`'` or `"`),
    /// kept so that the source printer uses it again.
    Text {
        value: String,
        quote: char,
        span: Span,
    },
    /// A number literal as written (`10`, `-3`, `1.5`).
    Number { literal: String, span: Span },
    /// `name(arg, …)`.
    Function {
        name: String,
        args: Vec<Operand>,
        span: Span,
    },
}

impl Operand {
    pub fn span(&self) -> Span {
        match self {
            Operand::Identifier { span, .. }
            | Operand::Text { span, .. }
            | Operand::Number { span, .. }
            | Operand::Function { span, .. } => *span,
        }
    }

    fn write_source(&self, out: &mut String) {
        match self {
            Operand::Identifier { name, .. } => out.push_str(name),
            Operand::Number { literal, .. } => out.push_str(literal),
            Operand::Text { value, quote, .. } => {
                out.push(*quote);
                for character in value.chars() {
                    if character == *quote || character == '\\' {
                        out.push('\\');
                    }
                    out.push(character);
                }
                out.push(*quote);
            }
            Operand::Function { name, args, .. } => {
                out.push_str(name);
                out.push('(');
                for (index, arg) in args.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    arg.write_source(out);
                }
                out.push(')');
            }
        }
    }

    fn write_sexpr(&self, out: &mut String) {
        match self {
            Operand::Identifier { name, .. } => out.push_str(name),
            Operand::Number { literal, .. } => out.push_str(literal),
            Operand::Text { value, .. } => {
                let _ = write!(out, "{value:?}");
            }
            Operand::Function { name, args, .. } => {
                out.push('(');
                out.push_str(name);
                for arg in args {
                    out.push(' ');
                    arg.write_sexpr(out);
                }
                out.push(')');
            }
        }
    }

    /// The operand without spans, for comparing trees parsed from different texts.
    pub fn without_spans(&self) -> Operand {
        match self {
            Operand::Identifier { name, .. } => Operand::Identifier {
                name: name.clone(),
                span: Span::default(),
            },
            Operand::Text { value, quote, .. } => Operand::Text {
                value: value.clone(),
                quote: *quote,
                span: Span::default(),
            },
            Operand::Number { literal, .. } => Operand::Number {
                literal: literal.clone(),
                span: Span::default(),
            },
            Operand::Function { name, args, .. } => Operand::Function {
                name: name.clone(),
                args: args.iter().map(Operand::without_spans).collect(),
                span: Span::default(),
            },
        }
    }
}

/// `left op right`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub left: Operand,
    pub op: SignOp,
    pub right: Operand,
    pub span: Span,
}

/// An expression: comparisons joined by `&&`/`||`, with parenthesised groups.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Comparison(Comparison),
    Binary {
        op: JoinOp,
        left: Box<Expr>,
        right: Box<Expr>,
        span: Span,
    },
    /// `( … )`, kept so that printing reproduces the grouping.
    Group {
        inner: Box<Expr>,
        span: Span,
    },
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Comparison(comparison) => comparison.span,
            Expr::Binary { span, .. } | Expr::Group { span, .. } => *span,
        }
    }

    /// Prints the expression as filter text that parses back to the same tree.
    pub fn to_source(&self) -> String {
        let mut out = String::new();
        self.write_source(&mut out);
        out
    }

    fn write_source(&self, out: &mut String) {
        match self {
            Expr::Comparison(comparison) => {
                comparison.left.write_source(out);
                out.push(' ');
                out.push_str(comparison.op.as_str());
                out.push(' ');
                comparison.right.write_source(out);
            }
            Expr::Binary {
                op, left, right, ..
            } => {
                left.write_source(out);
                out.push(' ');
                out.push_str(op.as_str());
                out.push(' ');
                right.write_source(out);
            }
            Expr::Group { inner, .. } => {
                out.push('(');
                inner.write_source(out);
                out.push(')');
            }
        }
    }

    /// Prints the tree as an S-expression: `(&& (= title "a") (group (|| …)))`.
    pub fn to_sexpr(&self) -> String {
        let mut out = String::new();
        self.write_sexpr(&mut out);
        out
    }

    fn write_sexpr(&self, out: &mut String) {
        match self {
            Expr::Comparison(comparison) => {
                out.push('(');
                out.push_str(comparison.op.as_str());
                out.push(' ');
                comparison.left.write_sexpr(out);
                out.push(' ');
                comparison.right.write_sexpr(out);
                out.push(')');
            }
            Expr::Binary {
                op, left, right, ..
            } => {
                out.push('(');
                out.push_str(op.as_str());
                out.push(' ');
                left.write_sexpr(out);
                out.push(' ');
                right.write_sexpr(out);
                out.push(')');
            }
            Expr::Group { inner, .. } => {
                out.push_str("(group ");
                inner.write_sexpr(out);
                out.push(')');
            }
        }
    }

    /// The number of comparisons in the tree.
    pub fn comparison_count(&self) -> usize {
        match self {
            Expr::Comparison(_) => 1,
            Expr::Binary { left, right, .. } => left.comparison_count() + right.comparison_count(),
            Expr::Group { inner, .. } => inner.comparison_count(),
        }
    }

    /// The tree without spans, for comparing trees parsed from different texts.
    pub fn without_spans(&self) -> Expr {
        match self {
            Expr::Comparison(comparison) => Expr::Comparison(Comparison {
                left: comparison.left.without_spans(),
                op: comparison.op,
                right: comparison.right.without_spans(),
                span: Span::default(),
            }),
            Expr::Binary {
                op, left, right, ..
            } => Expr::Binary {
                op: *op,
                left: Box::new(left.without_spans()),
                right: Box::new(right.without_spans()),
                span: Span::default(),
            },
            Expr::Group { inner, .. } => Expr::Group {
                inner: Box::new(inner.without_spans()),
                span: Span::default(),
            },
        }
    }
}
