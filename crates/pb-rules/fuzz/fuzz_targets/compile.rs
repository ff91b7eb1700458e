//! Fuzz target `compile`: arbitrary UTF-8 through [`pb_rules::parse`], [`compile_filter`] (as a
//! rule for a signed-in user, as a guest's `filter` and as a superuser's), [`compile_sort`] and
//! [`compile_list_query`], against the schema recorded from PocketBase in
//! `test_data/oracle/oracle.json` (collection `posts`, which has relations, back-relations,
//! JSON, geoPoint, select and hidden fields).
//!
//! Asserted, besides "nothing panics or overflows the stack":
//!
//! * literal values reach the SQL only as binds: compiling the same expression with every
//!   non-empty string literal and every number replaced by other values gives the very same SQL
//!   text (so no literal can be part of it), and
//! * every non-empty string literal is among the binds (as is, or inside its LIKE pattern).

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use pb_core::ports::{SqlFragment, SqlValue};
use pb_core::Collection;
use pb_rules::ast::{Comparison, Expr, Operand};
use pb_rules::{
    compile_filter, compile_list_query, compile_sort, parse, CompileOptions, RequestInfo,
};
use serde_json::{Map, Value};

const ORACLE: &str = include_str!("../../test_data/oracle/oracle.json");

struct Fixture {
    collections: Vec<Collection>,
    request: RequestInfo,
}

impl Fixture {
    fn posts(&self) -> &Collection {
        self.collections
            .iter()
            .find(|collection| collection.name == "posts")
            .unwrap_or_else(|| panic!("oracle.json has no posts collection"))
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let json: Value =
            serde_json::from_str(ORACLE).unwrap_or_else(|error| panic!("oracle.json: {error}"));
        let collections = json["collections"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| {
                        Collection::from_json(item)
                            .unwrap_or_else(|error| panic!("collection {item}: {error:?}"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut body = Map::new();
        body.insert("t".into(), Value::String("hello".into()));
        body.insert("tags".into(), serde_json::json!(["a", "b"]));
        let request = RequestInfo {
            auth: json["users"]["al"].as_object().cloned(),
            body,
            method: "POST".into(),
            context: "default".into(),
            ..RequestInfo::default()
        };
        Fixture {
            collections,
            request,
        }
    })
}

/// The non-empty string literals of an expression, function arguments included.
fn text_literals(expr: &Expr, out: &mut Vec<String>) {
    fn visit(operand: &Operand, out: &mut Vec<String>) {
        match operand {
            Operand::Text { value, .. } if !value.is_empty() => out.push(value.clone()),
            Operand::Function { args, .. } => args.iter().for_each(|arg| visit(arg, out)),
            _ => {}
        }
    }
    match expr {
        Expr::Comparison(comparison) => {
            visit(&comparison.left, out);
            visit(&comparison.right, out);
        }
        Expr::Binary { left, right, .. } => {
            text_literals(left, out);
            text_literals(right, out);
        }
        Expr::Group { inner, .. } => text_literals(inner, out),
    }
}

/// The same expression with other literal values: each non-empty string becomes a marker
/// unlike any SQL, each number `7`. Empty strings stay empty (`''` means "empty" in rules).
fn with_other_literals(expr: &Expr, counter: &mut usize) -> Expr {
    fn replace(operand: &Operand, counter: &mut usize) -> Operand {
        match operand {
            Operand::Text { value, quote, span } if !value.is_empty() => {
                *counter += 1;
                Operand::Text {
                    value: format!("\u{1}lit{counter}\u{1}"),
                    quote: *quote,
                    span: *span,
                }
            }
            Operand::Number { span, .. } => Operand::Number {
                literal: "7".into(),
                span: *span,
            },
            Operand::Function { name, args, span } => Operand::Function {
                name: name.clone(),
                args: args.iter().map(|arg| replace(arg, counter)).collect(),
                span: *span,
            },
            other => other.clone(),
        }
    }
    match expr {
        Expr::Comparison(comparison) => Expr::Comparison(Comparison {
            left: replace(&comparison.left, counter),
            op: comparison.op,
            right: replace(&comparison.right, counter),
            span: comparison.span,
        }),
        Expr::Binary {
            op,
            left,
            right,
            span,
        } => Expr::Binary {
            op: *op,
            left: Box::new(with_other_literals(left, counter)),
            right: Box::new(with_other_literals(right, counter)),
            span: *span,
        },
        Expr::Group { inner, span } => Expr::Group {
            inner: Box::new(with_other_literals(inner, counter)),
            span: *span,
        },
    }
}

/// `text` without backslashes. A LIKE pattern escapes `%`, `_` and `\` by inserting a
/// backslash before them, PocketBase's way, which skips the character right after an escaped
/// one (`b__` → `%b_\_%`), so compare without them.
fn unescaped(text: &str) -> String {
    text.chars()
        .filter(|character| *character != '\\')
        .collect()
}

fn assert_bound(input: &str, literals: &[String], fragment: &SqlFragment) {
    for literal in literals {
        let plain = unescaped(literal);
        let bound = fragment.binds.iter().any(|bind| {
            matches!(bind, SqlValue::Text(text) if text == literal || unescaped(text).contains(&plain))
        });
        assert!(
            bound,
            "{input:?}: literal {literal:?} is not among the binds {:?} of {:?}",
            fragment.binds, fragment.sql
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let fixture = fixture();
    let posts = fixture.posts();
    let schema = fixture.collections.as_slice();
    let parsed = parse(input);

    let all_options = [
        CompileOptions::rule(),
        CompileOptions::filter_param(false),
        CompileOptions::filter_param(true),
    ];
    for options in &all_options {
        let compiled = compile_filter(input, posts, &schema, &fixture.request, options);
        if let (Ok(expr), Ok(fragment)) = (&parsed, &compiled) {
            let mut literals = Vec::new();
            text_literals(expr, &mut literals);
            assert_bound(input, &literals, fragment);
        }
    }

    // Rule options: no length limit and no substring test for `@request.`, both of which
    // may legitimately see the literals.
    if let (Ok(expr), Ok(fragment)) = (
        &parsed,
        compile_filter(
            input,
            posts,
            &schema,
            &fixture.request,
            &CompileOptions::rule(),
        ),
    ) {
        let variant = with_other_literals(expr, &mut 0).to_source();
        match compile_filter(
            &variant,
            posts,
            &schema,
            &fixture.request,
            &CompileOptions::rule(),
        ) {
            Ok(other) => assert_eq!(
                fragment.sql, other.sql,
                "the SQL of {input:?} depends on its literal values (variant {variant:?})"
            ),
            Err(error) => panic!("{input:?} compiles but its variant {variant:?} fails: {error}"),
        }
    }

    let _ = compile_sort(input, posts, &schema, &CompileOptions::filter_param(true));
    let rule = "title != 'zzz' || editors.id ?= @request.auth.id";
    let _ = compile_list_query(
        rule,
        input,
        input,
        posts,
        &schema,
        &fixture.request,
        &CompileOptions::filter_param(false),
    );
});
