//! Property: literal values reach the SQL only as bound parameters. Random expressions over
//! the oracle's `posts` schema carry random string literals (quotes, backslashes, LIKE
//! wildcards, SQL fragments such as `' OR 1=1 --`, control characters) and random numbers;
//! whatever compiles must
//!
//! * not contain a literal in its SQL text: every string literal generated here holds a
//!   non-ASCII character, which the SQL (ASCII identifiers from the schema, keywords) never
//!   has unless a value was pasted in; long numbers are checked the same way;
//! * have every non-empty string literal among its binds (for `~`, inside the LIKE pattern);
//! * give the same SQL text when all literals are replaced by other values, which also covers
//!   ASCII-only literals.
//!
//! The fuzz target `fuzz/fuzz_targets/compile.rs` checks the same on arbitrary input.

use pb_core::ports::{SqlFragment, SqlValue};
use serde_json::{json, Map};

use super::oracle::{auth, load};
use super::robustness::Random;
use crate::ast::{Comparison, Expr, Operand};
use crate::{compile_filter, parse, CompileOptions, RequestInfo};

/// Operands of `posts` and of the request, each with a comparison that makes sense for it.
const OPERANDS: &[&str] = &[
    "title",
    "title:lower",
    "n",
    "ok",
    "tags",
    "tags:each",
    "tags:length",
    "status",
    "author",
    "author.name",
    "author.name:lower",
    "editors.name",
    "editors:each",
    "editors:length",
    "when",
    "created",
    "meta",
    "meta.k",
    "meta.a.b",
    "loc.lon",
    "secret",
    "parent.title",
    "parent.parent.n",
    "comments_via_post.msg",
    "comments_via_post.user.name",
    "profile.bio",
    "@request.auth.name",
    "@request.auth.editors.name",
    "@request.body.t",
    "@request.body.tags:each",
    "@request.body.title:isset",
    "@request.query.k",
    "@request.headers.x_key",
    "@request.method",
    "@collection.comments.msg",
    "@collection.comments:c.post",
    "@todayStart",
    "@now",
    "null",
    "true",
];

const OPERATORS: &[&str] = &[
    "=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~",
];

/// Pieces of string literals: hostile to SQL, to LIKE, to the lexer.
const PIECES: &[&str] = &[
    "' OR 1=1 --",
    "\"; DROP TABLE posts; --",
    "')) OR ((1=1",
    "?",
    "?1",
    "$1",
    ":name",
    "{:p0}",
    "%",
    "%%",
    "_",
    "__",
    "\\",
    "\\%",
    "\\_",
    "'",
    "\"",
    "NULL",
    "pb$j1",
    "posts",
    "\"posts\".\"title\"",
    "title",
    "&&",
    "||",
    "//",
    "\n",
    "\t",
    "\u{0}",
    " ",
    "a",
    "Z",
    "0",
];

/// Non-ASCII pieces: one of them is in every generated string literal.
const MARKERS: &[&str] = &["é", "ß", "中", "😀", "\u{a0}", "ü%", "Ω_"];

/// A random string literal holding at least one non-ASCII marker, in single or double quotes
/// with the quote escaped. A backslash right before the closing quote would escape it, so the
/// value never ends with one.
fn string_literal(random: &mut Random) -> String {
    let mut value = String::new();
    let marker_at = random.below(4);
    for index in 0..4 {
        if index == marker_at {
            value.push_str(random.pick(MARKERS));
        }
        if random.below(2) == 0 {
            value.push_str(random.pick(PIECES));
        }
    }
    while value.ends_with('\\') {
        value.pop();
    }
    let quote = if random.below(3) == 0 { '"' } else { '\'' };
    let mut out = String::new();
    out.push(quote);
    for character in value.chars() {
        if character == quote {
            out.push('\\');
        }
        out.push(character);
    }
    out.push(quote);
    out
}

/// A number long enough that its digits cannot occur in SQL by chance.
fn number_literal(random: &mut Random) -> String {
    let sign = if random.below(2) == 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:03}",
        10_000 + random.below(89_999),
        1 + random.below(998)
    )
}

fn literal(random: &mut Random) -> String {
    if random.below(3) == 0 {
        number_literal(random)
    } else {
        string_literal(random)
    }
}

fn comparison(random: &mut Random) -> String {
    let op = random.pick(OPERATORS);
    match random.below(10) {
        0 => format!(
            "strftime({}, created, {}) {op} {}",
            string_literal(random),
            string_literal(random),
            literal(random)
        ),
        1 => format!(
            "geoDistance(loc.lon, loc.lat, {}, {}) {op} {}",
            number_literal(random),
            number_literal(random),
            number_literal(random)
        ),
        2 => format!("{} {op} {}", literal(random), random.pick(OPERANDS)),
        3 => format!("{} {op} {}", literal(random), literal(random)),
        _ => format!("{} {op} {}", random.pick(OPERANDS), literal(random)),
    }
}

fn expression(random: &mut Random, depth: usize) -> String {
    if depth > 0 && random.below(2) == 0 {
        let join = if random.below(2) == 0 { "&&" } else { "||" };
        let left = expression(random, depth - 1);
        let right = expression(random, depth - 1);
        return if random.below(2) == 0 {
            format!("({left}) {join} {right}")
        } else {
            format!("{left} {join} ({right})")
        };
    }
    comparison(random)
}

/// Every string (non-empty) and number literal of an expression, function arguments included.
fn literals(expr: &Expr, strings: &mut Vec<String>, numbers: &mut Vec<String>) {
    fn visit(operand: &Operand, strings: &mut Vec<String>, numbers: &mut Vec<String>) {
        match operand {
            Operand::Text { value, .. } if !value.is_empty() => strings.push(value.clone()),
            Operand::Number { literal, .. } => numbers.push(literal.clone()),
            Operand::Function { args, .. } => {
                args.iter().for_each(|arg| visit(arg, strings, numbers))
            }
            _ => {}
        }
    }
    match expr {
        Expr::Comparison(comparison) => {
            visit(&comparison.left, strings, numbers);
            visit(&comparison.right, strings, numbers);
        }
        Expr::Binary { left, right, .. } => {
            literals(left, strings, numbers);
            literals(right, strings, numbers);
        }
        Expr::Group { inner, .. } => literals(inner, strings, numbers),
    }
}

/// The expression with every non-empty string literal and every number replaced.
fn with_other_literals(expr: &Expr) -> Expr {
    fn replace(operand: &Operand) -> Operand {
        match operand {
            Operand::Text { value, quote, span } if !value.is_empty() => Operand::Text {
                value: "other".to_string(),
                quote: *quote,
                span: *span,
            },
            Operand::Number { span, .. } => Operand::Number {
                literal: "7".to_string(),
                span: *span,
            },
            Operand::Function { name, args, span } => Operand::Function {
                name: name.clone(),
                args: args.iter().map(replace).collect(),
                span: *span,
            },
            other => other.clone(),
        }
    }
    match expr {
        Expr::Comparison(comparison) => Expr::Comparison(Comparison {
            left: replace(&comparison.left),
            op: comparison.op,
            right: replace(&comparison.right),
            span: comparison.span,
        }),
        Expr::Binary {
            op,
            left,
            right,
            span,
        } => Expr::Binary {
            op: *op,
            left: Box::new(with_other_literals(left)),
            right: Box::new(with_other_literals(right)),
            span: *span,
        },
        Expr::Group { inner, span } => Expr::Group {
            inner: Box::new(with_other_literals(inner)),
            span: *span,
        },
    }
}

/// LIKE patterns only insert backslashes (PocketBase's escaping skips the character after an
/// escaped one: `b__` → `%b_\_%`), so values are compared without them.
fn unescaped(text: &str) -> String {
    text.chars()
        .filter(|character| *character != '\\')
        .collect()
}

fn check(input: &str, fragment: &SqlFragment, strings: &[String], numbers: &[String]) {
    for value in strings {
        assert!(
            !fragment.sql.contains(value.as_str()),
            "{input:?}: the literal {value:?} is in the SQL text {:?}",
            fragment.sql
        );
        let plain = unescaped(value);
        let bound = fragment.binds.iter().any(|bind| {
            matches!(bind, SqlValue::Text(text) if text == value || unescaped(text).contains(&plain))
        });
        assert!(
            bound,
            "{input:?}: the literal {value:?} is not among the binds {:?}",
            fragment.binds
        );
    }
    for literal in numbers {
        let number: f64 = literal.parse().unwrap();
        // As Go prints it (`89759.38`), which is how it appears in a LIKE pattern.
        let printed = number.abs().to_string();
        assert!(
            !fragment.sql.contains(literal.trim_start_matches('-'))
                && !fragment.sql.contains(&printed),
            "{input:?}: the number {literal} is in the SQL text {:?}",
            fragment.sql
        );
        let bound = fragment.binds.iter().any(|bind| match bind {
            SqlValue::Real(real) => *real == number,
            SqlValue::Text(text) => text.contains(&printed),
            _ => false,
        });
        assert!(
            bound,
            "{input:?}: the number {literal} is not among the binds {:?}",
            fragment.binds
        );
    }
}

#[test]
fn literals_are_bound_never_pasted_into_the_sql() {
    let oracle = load();
    let posts = oracle
        .collections
        .iter()
        .find(|collection| collection.name == "posts")
        .unwrap();
    let mut body = Map::new();
    body.insert("t".into(), json!("hello"));
    body.insert("tags".into(), json!(["a", "b"]));
    let request = RequestInfo {
        auth: auth(&oracle, "al"),
        body,
        method: "POST".to_string(),
        context: "default".to_string(),
        ..RequestInfo::default()
    };
    let all_options = [
        CompileOptions::rule(),
        CompileOptions::filter_param(false),
        CompileOptions::filter_param(true),
    ];
    let mut random = Random(0xB1AD_5EED_0000_0001);
    let (mut compiled, mut with_literals) = (0, 0);
    for _ in 0..4000 {
        let input = expression(&mut random, 3);
        let Ok(expr) = parse(&input) else {
            continue;
        };
        let (mut strings, mut numbers) = (Vec::new(), Vec::new());
        literals(&expr, &mut strings, &mut numbers);
        for options in &all_options {
            let Ok(fragment) =
                compile_filter(&input, posts, &oracle.collections, &request, options)
            else {
                continue;
            };
            compiled += 1;
            if !strings.is_empty() || !numbers.is_empty() {
                with_literals += 1;
            }
            check(&input, &fragment, &strings, &numbers);
            if *options == CompileOptions::rule() {
                let variant = with_other_literals(&expr).to_source();
                let other = compile_filter(&variant, posts, &oracle.collections, &request, options)
                    .unwrap_or_else(|error| {
                        panic!("{input:?} compiles, its variant {variant:?} not: {error}")
                    });
                assert_eq!(
                    fragment.sql, other.sql,
                    "the SQL of {input:?} depends on its literal values"
                );
            }
        }
    }
    assert!(
        with_literals > 3000,
        "too few compiled expressions with literals ({with_literals} of {compiled})"
    );
}
