//! Hostile inputs: random and mutated expressions must compile or fail cleanly, never panic
//! or overflow the stack, and whatever compiles must be SQL that SQLite accepts and runs.

use serde_json::{json, Map, Value};

use super::oracle::{auth, load, open_db};
use crate::{compile_filter, compile_list_query, parse, CompileOptions, RequestInfo};

/// xorshift64*: deterministic, no dependency. The seed must not be 0.
pub(crate) struct Random(pub(crate) u64);

impl Random {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, limit: usize) -> usize {
        (self.next() % limit.max(1) as u64) as usize
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const OPERANDS: &[&str] = &[
    "title",
    "n",
    "ok",
    "tags",
    "tags:each",
    "tags:length",
    "status",
    "status:each",
    "author",
    "author.name",
    "author.id",
    "author.email",
    "author.age",
    "editors",
    "editors.name",
    "editors.id",
    "editors:length",
    "editors:each",
    "editors.age",
    "when",
    "created",
    "meta",
    "meta.k",
    "meta.0",
    "loc.lon",
    "loc.lat",
    "secret",
    "parent.title",
    "parent.parent.n",
    "parent.editors.name",
    "comments_via_post.msg",
    "comments_via_post.user.name",
    "details_via_post.info",
    "bundles_via_items.label",
    "posts_via_parent.title",
    "profile.bio",
    "profile.owner.name",
    "lock.t",
    "title:lower",
    "author.name:lower",
    "@request.auth.id",
    "@request.auth.name",
    "@request.auth.members_via_user.role",
    "@request.auth.editors.name",
    "@request.body.t",
    "@request.body.tags:each",
    "@request.body.title:changed",
    "@request.body.author.name",
    "@request.body.n:isset",
    "@request.query.k",
    "@request.headers.x_key",
    "@request.method",
    "@request.context",
    "@collection.comments.msg",
    "@collection.comments:c.post",
    "@collection.users2.name",
    "@collection.members.user.name",
    "@now",
    "@todayStart",
    "@year",
    "@weekday",
    "null",
    "true",
    "false",
    "TRUE",
    "nope",
    "id",
    "'x'",
    "''",
    "'%'",
    "'a_b'",
    "'it\\'s'",
    "\"q\\\"\"",
    "0",
    "-1",
    "1.5",
    "geoDistance(loc.lon, loc.lat, 1, 2)",
    "geoDistance(1, 2, @year, n)",
    "strftime('%Y', created)",
    "strftime('%Y', editors.name, 'start of year')",
    "strftime('%m')",
    "unknown(1)",
];

const OPERATORS: &[&str] = &[
    "=", "!=", ">", ">=", "<", "<=", "~", "!~", "?=", "?!=", "?>", "?>=", "?<", "?<=", "?~", "?!~",
];

fn expression(random: &mut Random, depth: usize) -> String {
    if depth > 0 && random.below(3) == 0 {
        let join = if random.below(2) == 0 { "&&" } else { "||" };
        let left = expression(random, depth - 1);
        let right = expression(random, depth - 1);
        return if random.below(2) == 0 {
            format!("{left} {join} {right}")
        } else {
            format!("({left}) {join} {right}")
        };
    }
    format!(
        "{} {} {}",
        random.pick(OPERANDS),
        random.pick(OPERATORS),
        random.pick(OPERANDS)
    )
}

const NOISE: &[&str] = &[
    "(",
    ")",
    "'",
    "\"",
    "\\",
    "&&",
    "||",
    "=",
    "?=",
    "!",
    ":",
    ":each",
    ":lower",
    ".",
    ",",
    "@request.",
    "@collection.",
    "_via_",
    "//",
    "\n",
    "\r",
    "\t",
    " ",
    "é",
    "\u{0}",
    "%",
    "_",
    "0",
    "-",
    "1.2.3",
    "geoDistance(",
    "strftime(",
    "@",
    "#",
    "null",
];

fn mutate(random: &mut Random, text: &str) -> String {
    let mut characters: Vec<char> = text.chars().collect();
    for _ in 0..=random.below(3) {
        let at = random.below(characters.len() + 1);
        match random.below(3) {
            0 if !characters.is_empty() => {
                let end = (at + random.below(4) + 1).min(characters.len());
                characters.drain(at.min(end)..end);
            }
            _ => {
                let noise: Vec<char> = random.pick(NOISE).chars().collect();
                let at = at.min(characters.len());
                characters.splice(at..at, noise);
            }
        }
    }
    characters.into_iter().collect()
}

fn request(oracle: &super::oracle::Oracle) -> RequestInfo {
    let mut body = Map::new();
    body.insert("t".into(), json!("hello"));
    body.insert("tags".into(), json!(["a", "b"]));
    body.insert("author".into(), Value::String(String::new()));
    RequestInfo {
        auth: auth(oracle, "al"),
        body,
        query: Map::new(),
        headers: Map::new(),
        method: "POST".to_string(),
        context: "default".to_string(),
    }
}

#[test]
fn random_and_mutated_expressions_never_crash_and_compile_to_valid_sql() {
    let oracle = load();
    let mut db = open_db();
    let posts = oracle
        .collections
        .iter()
        .find(|collection| collection.name == "posts")
        .unwrap();
    let request = request(&oracle);
    let seeds: Vec<String> = oracle
        .cases
        .iter()
        .filter_map(|case| case["filter"].as_str())
        .filter(|filter| filter.len() < 300)
        .map(str::to_string)
        .collect();
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut compiled = 0;
    for round in 0..3000 {
        let input = if round % 2 == 0 {
            expression(&mut random, 3)
        } else {
            let seed = &seeds[random.below(seeds.len())];
            mutate(&mut random, seed)
        };
        for options in [
            CompileOptions::rule(),
            CompileOptions::filter_param(false),
            CompileOptions::filter_param(true),
        ] {
            let Ok(fragment) =
                compile_filter(&input, posts, &oracle.collections, &request, &options)
            else {
                continue;
            };
            compiled += 1;
            let sql = format!(
                "SELECT \"title\" AS label FROM \"posts\" WHERE {}",
                fragment.sql
            );
            if let Err(error) = db.labels(&sql, &fragment.binds) {
                panic!("{input:?} compiled to SQL that SQLite rejects: {error}");
            }
        }
    }
    assert!(compiled > 1000, "too few inputs compiled ({compiled})");
}

#[test]
fn list_queries_with_random_sorts_run() {
    let oracle = load();
    let mut db = open_db();
    let posts = oracle
        .collections
        .iter()
        .find(|collection| collection.name == "posts")
        .unwrap();
    let request = request(&oracle);
    let sorts = [
        "title",
        "-n",
        "author.name",
        "-editors.name",
        "profile.bio",
        "tags:length",
        "meta.k",
        "title:lower",
        "@rowid",
        "-@random",
        "parent.parent.title",
        "comments_via_post.msg",
        "@collection.comments.msg",
        "secret",
    ];
    let mut random = Random(42);
    for _ in 0..300 {
        let sort: Vec<&str> = (0..=random.below(3)).map(|_| random.pick(&sorts)).collect();
        let sort = sort.join(",");
        let filter = expression(&mut random, 2);
        for is_superuser in [false, true] {
            let options = CompileOptions::filter_param(is_superuser);
            let rule = if is_superuser {
                ""
            } else {
                "title != 'zzz' || editors.id ?= @request.auth.id"
            };
            let Ok(query) = compile_list_query(
                rule,
                &filter,
                &sort,
                posts,
                &oracle.collections,
                &request,
                &options,
            ) else {
                continue;
            };
            let mut binds = query.filter.binds.clone();
            let mut order = Vec::new();
            for term in &query.order {
                match term {
                    pb_core::ports::OrderTerm::Column { name, .. } => {
                        order.push(format!("\"posts\".\"{name}\""))
                    }
                    pb_core::ports::OrderTerm::RowId { .. } => {
                        order.push("\"posts\".\"_rowid_\"".into())
                    }
                    pb_core::ports::OrderTerm::Random => order.push("RANDOM()".into()),
                    pb_core::ports::OrderTerm::Expression { fragment, .. } => {
                        order.push(fragment.sql.clone());
                        binds.extend(fragment.binds.iter().cloned());
                    }
                }
            }
            order.push("\"posts\".\"_rowid_\"".into());
            let sql = format!(
                "SELECT \"title\" AS label FROM \"posts\" WHERE {} ORDER BY {}",
                query.filter.sql,
                order.join(", ")
            );
            if let Err(error) = db.labels(&sql, &binds) {
                panic!("filter {filter:?} sort {sort:?}: {error}");
            }
        }
    }
}

#[test]
fn huge_and_deep_inputs_fail_fast() {
    let oracle = load();
    let posts = oracle
        .collections
        .iter()
        .find(|collection| collection.name == "posts")
        .unwrap();
    let request = RequestInfo::default();
    let rule = CompileOptions::rule();
    let inputs = [
        "(".repeat(200_000),
        format!("{}n = 1{}", "(".repeat(150), ")".repeat(150)),
        "n = 1 && ".repeat(100_000) + "n = 1",
        format!("title = '{}'", "x".repeat(1_000_000)),
        "f(".repeat(10_000),
        "'".repeat(100_001),
        format!("n = 1 {}", "// x\n".repeat(100_000)),
        "a.".repeat(50_000) + "b = 1",
    ];
    for input in &inputs {
        // Must return (either way) without crashing.
        let _ = parse(input);
        let _ = compile_filter(input, posts, &oracle.collections, &request, &rule);
    }
    // Nesting within the limit still works.
    let nested = format!("{}n = 1{}", "(".repeat(90), ")".repeat(90));
    assert!(compile_filter(&nested, posts, &oracle.collections, &request, &rule).is_ok());
}
