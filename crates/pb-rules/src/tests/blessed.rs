//! Blessed outputs: `test_data/parse.txt` (S-expressions or errors), `test_data/compile.txt`
//! (SQL with binds, compiled against the oracle's schema at a fixed instant), and the
//! parse → print → parse round trip over every parse input.

use chrono::{TimeZone, Utc};
use pb_core::ports::SqlFragment;

use super::check::{check, read_cases};
use super::oracle::{auth, load};
use crate::{compile_filter_at, compile_sort, parse, CompileOptions, RequestInfo};

fn show_fragment(fragment: &SqlFragment) -> String {
    format!("{}\nbinds: {:?}", fragment.sql, fragment.binds)
}

#[test]
fn parse_outputs() {
    check("parse.txt", |_, input| match parse(input) {
        Ok(expr) => expr.to_sexpr(),
        Err(error) => format!("error: {error:?}"),
    });
}

#[test]
fn parse_print_parse_round_trip() {
    let (_, cases) = read_cases("parse.txt");
    for case in cases {
        let Ok(expr) = parse(&case.input) else {
            continue;
        };
        let printed = expr.to_source();
        let reparsed = parse(&printed).unwrap_or_else(|error| {
            panic!("{:?} printed as {printed:?} fails: {error}", case.input)
        });
        assert_eq!(
            reparsed.without_spans(),
            expr.without_spans(),
            "{:?} printed as {printed:?}",
            case.input
        );
        assert_eq!(printed, reparsed.to_source());
    }
}

/// Header: `<who> <collection> [filter|sort]`, who being guest, su, rule (rule rights, no
/// auth) or al/bo (rule rights, authenticated as that user).
#[test]
fn compile_outputs() {
    let oracle = load();
    let now = Utc.with_ymd_and_hms(2024, 2, 10, 13, 14, 15).unwrap();
    check("compile.txt", |header, input| {
        let words: Vec<&str> = header.split_whitespace().collect();
        let (who, collection_name) = (words[0], words[1]);
        let collection = oracle
            .collections
            .iter()
            .find(|collection| collection.name == collection_name)
            .unwrap();
        let options = match who {
            "guest" => CompileOptions::filter_param(false),
            "su" => CompileOptions::filter_param(true),
            _ => CompileOptions::rule(),
        };
        if words.get(2) == Some(&"sort") {
            return match compile_sort(input, collection, &oracle.collections, &options) {
                Ok(terms) => format!("{terms:?}"),
                Err(error) => format!("error: {error:?}"),
            };
        }
        let request = RequestInfo {
            auth: auth(&oracle, who),
            method: "GET".to_string(),
            context: "default".to_string(),
            ..RequestInfo::default()
        };
        match compile_filter_at(
            input,
            collection,
            &oracle.collections,
            &request,
            &options,
            now,
        ) {
            Ok(fragment) => show_fragment(&fragment),
            Err(error) => format!("error: {error:?}"),
        }
    });
}
