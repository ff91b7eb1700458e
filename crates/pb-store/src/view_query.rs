//! Reading the top level of a view's `SELECT`: what each output column is (a plain column of a
//! source, `COUNT(…)`, a `CAST`, a wildcard or some other expression) and which tables the
//! `FROM` clause names under which aliases. [`crate::view`] uses it to give each column of a
//! view collection the field PocketBase would give it.
//!
//! Anything this reader does not understand simply yields less information; SQLite decides
//! whether the query is valid.

use crate::lexer::{self, Token, TokenKind};

/// One output column of the SELECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SelectColumn {
    /// The `AS` name (or implicit alias), when there is one.
    pub(crate) alias: Option<String>,
    pub(crate) expression: Expression,
}

/// What an output column is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expression {
    /// `*` or `t.*`.
    Wildcard,
    /// `column` or `qualifier.column`.
    Column {
        qualifier: Option<String>,
        name: String,
    },
    /// `COUNT(…)`.
    Count,
    /// `CAST(… AS type)`, with the type name lowercased.
    Cast(String),
    /// Anything else.
    Other,
}

/// A table of the FROM clause (`None` for a subquery or table-valued function).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Source {
    pub(crate) table: Option<String>,
    pub(crate) alias: Option<String>,
}

/// The parts of a SELECT the view inference needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SelectQuery {
    pub(crate) columns: Vec<SelectColumn>,
    pub(crate) sources: Vec<Source>,
}

/// Words that end a FROM clause.
const FROM_END: [&str; 11] = [
    "where",
    "group",
    "order",
    "limit",
    "having",
    "window",
    "union",
    "except",
    "intersect",
    "offset",
    "returning",
];

/// Words of join syntax, which separate sources.
const JOIN_WORDS: [&str; 8] = [
    "natural", "left", "right", "full", "inner", "outer", "cross", "join",
];

/// Words that cannot be an implicit alias, or cannot precede one.
const NOT_ALIAS: [&str; 28] = [
    "end",
    "null",
    "true",
    "false",
    "and",
    "or",
    "not",
    "is",
    "in",
    "like",
    "glob",
    "between",
    "when",
    "then",
    "else",
    "case",
    "collate",
    "escape",
    "match",
    "regexp",
    "distinct",
    "as",
    "on",
    "using",
    "asc",
    "desc",
    "current_timestamp",
    "all",
];

/// Reads the first top-level SELECT of `query`; `None` when there is none.
pub(crate) fn parse(query: &str) -> Option<SelectQuery> {
    let tokens = lexer::tokenize(query);
    let depths = depths(&tokens);
    let at_top = |index: usize, word: &str| depths[index] == 0 && tokens[index].is_word(word);
    let select = (0..tokens.len()).find(|&index| at_top(index, "select"))?;
    let from = (select + 1..tokens.len()).find(|&index| at_top(index, "from"));
    let mut items_start = select + 1;
    while tokens
        .get(items_start)
        .is_some_and(|token| token.is_word("distinct") || token.is_word("all"))
    {
        items_start += 1;
    }
    let items = &tokens[items_start..from.unwrap_or(tokens.len())];
    let columns = lexer::split_top_level_commas(items)
        .into_iter()
        .filter(|item| !item.is_empty())
        .map(parse_column)
        .collect();
    let sources = match from {
        Some(from) => {
            let end = (from + 1..tokens.len())
                .find(|&index| {
                    depths[index] == 0 && FROM_END.iter().any(|word| tokens[index].is_word(word))
                })
                .unwrap_or(tokens.len());
            parse_sources(&tokens[from + 1..end])
        }
        None => Vec::new(),
    };
    Some(SelectQuery { columns, sources })
}

/// The parenthesis depth before each token.
fn depths(tokens: &[Token]) -> Vec<usize> {
    let mut depth = 0usize;
    tokens
        .iter()
        .map(|token| {
            if token.is_symbol(")") {
                depth = depth.saturating_sub(1);
            }
            let current = depth;
            if token.is_symbol("(") {
                depth += 1;
            }
            current
        })
        .collect()
}

/// The index of the `)` closing the `(` at `open`.
fn matching_paren(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (index, token) in tokens.iter().enumerate().skip(open) {
        if token.is_symbol("(") {
            depth += 1;
        } else if token.is_symbol(")") {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(index);
            }
        }
    }
    None
}

fn is_not_alias(token: &Token) -> bool {
    NOT_ALIAS.iter().any(|word| token.is_word(word))
}

fn parse_column(item: &[Token]) -> SelectColumn {
    let count = item.len();
    let as_alias = count >= 3
        && item[count - 2].is_word("as")
        && matches!(
            item[count - 1].kind,
            TokenKind::Word | TokenKind::QuotedIdent | TokenKind::StringLit
        );
    let implicit_alias = !as_alias && count >= 2 && {
        let last = &item[count - 1];
        let previous = &item[count - 2];
        last.is_identifier()
            && !is_not_alias(last)
            && match previous.kind {
                TokenKind::Word => !is_not_alias(previous),
                TokenKind::QuotedIdent | TokenKind::Number | TokenKind::StringLit => true,
                TokenKind::Symbol => previous.text == ")",
            }
    };
    let (expression, alias) = if as_alias {
        (&item[..count - 2], Some(item[count - 1].text.clone()))
    } else if implicit_alias {
        (&item[..count - 1], Some(item[count - 1].text.clone()))
    } else {
        (item, None)
    };
    SelectColumn {
        alias,
        expression: classify(expression),
    }
}

fn classify(tokens: &[Token]) -> Expression {
    // Unwrap `( … )` around the whole expression.
    if tokens.first().is_some_and(|token| token.is_symbol("("))
        && matching_paren(tokens, 0) == Some(tokens.len() - 1)
    {
        return classify(&tokens[1..tokens.len() - 1]);
    }
    let identifier = |index: usize| tokens.get(index).filter(|token| token.is_identifier());
    let dot = |index: usize| tokens.get(index).is_some_and(|token| token.is_symbol("."));
    let star = |index: usize| tokens.get(index).is_some_and(|token| token.is_symbol("*"));
    match tokens.len() {
        1 if star(0) => return Expression::Wildcard,
        1 => {
            if let Some(name) = identifier(0) {
                return Expression::Column {
                    qualifier: None,
                    name: name.text.clone(),
                };
            }
        }
        3 if identifier(0).is_some() && dot(1) && star(2) => return Expression::Wildcard,
        3 | 5 => {
            let last = tokens.len() - 1;
            let all_path = (0..tokens.len()).all(|index| {
                if index % 2 == 0 {
                    identifier(index).is_some()
                } else {
                    dot(index)
                }
            });
            if all_path {
                return Expression::Column {
                    qualifier: Some(tokens[last - 2].text.clone()),
                    name: tokens[last].text.clone(),
                };
            }
        }
        _ => {}
    }
    let call_covers_all = tokens.get(1).is_some_and(|token| token.is_symbol("("))
        && matching_paren(tokens, 1) == Some(tokens.len() - 1);
    if call_covers_all && tokens[0].is_word("count") {
        return Expression::Count;
    }
    if call_covers_all && tokens[0].is_word("cast") {
        let inner = &tokens[2..tokens.len() - 1];
        let inner_depths = depths(inner);
        if let Some(as_index) = (0..inner.len())
            .rev()
            .find(|&index| inner_depths[index] == 0 && inner[index].is_word("as"))
        {
            let type_name: Vec<String> = inner[as_index + 1..]
                .iter()
                .take_while(|token| token.kind == TokenKind::Word)
                .map(|token| token.text.to_ascii_lowercase())
                .collect();
            return Expression::Cast(type_name.join(" "));
        }
    }
    Expression::Other
}

fn parse_sources(tokens: &[Token]) -> Vec<Source> {
    let depths = depths(tokens);
    let is_separator = |index: usize| {
        depths[index] == 0
            && (tokens[index].is_symbol(",")
                || JOIN_WORDS.iter().any(|word| tokens[index].is_word(word)))
    };
    let mut sources = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        if is_separator(index) {
            index += 1;
            continue;
        }
        let token = &tokens[index];
        let table = if token.is_symbol("(") {
            index = matching_paren(tokens, index).map_or(tokens.len(), |close| close + 1);
            None
        } else if token.is_identifier() {
            let mut name = token.text.clone();
            index += 1;
            if tokens.get(index).is_some_and(|token| token.is_symbol("."))
                && tokens.get(index + 1).is_some_and(Token::is_identifier)
            {
                name = tokens[index + 1].text.clone();
                index += 2;
            }
            if tokens.get(index).is_some_and(|token| token.is_symbol("(")) {
                // A table-valued function such as json_each(…).
                index = matching_paren(tokens, index).map_or(tokens.len(), |close| close + 1);
                None
            } else {
                Some(name)
            }
        } else {
            index += 1;
            continue;
        };
        let mut alias = None;
        if tokens.get(index).is_some_and(|token| token.is_word("as")) {
            alias = tokens
                .get(index + 1)
                .filter(|token| token.is_identifier())
                .map(|token| token.text.clone());
            index += 2;
        } else if let Some(token) = tokens.get(index) {
            if token.is_identifier() && !is_not_alias(token) && !is_separator(index) {
                alias = Some(token.text.clone());
                index += 1;
            }
        }
        sources.push(Source { table, alias });
        // Skip the join constraint (ON … / USING (…)) up to the next source.
        while index < tokens.len() && !is_separator(index) {
            index += 1;
        }
    }
    sources
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn column(qualifier: Option<&str>, name: &str) -> Expression {
        Expression::Column {
            qualifier: qualifier.map(str::to_string),
            name: name.to_string(),
        }
    }

    #[test]
    fn classifies_output_columns() {
        let query = parse(
            "select a.id, a.t, a.n as num, count(*) as c, max(a.n) mx, (a.t || 1) as cat, \
             cast(n as integer) ni, \"t\" as qt, case when x then 1 else 2 end from alltypes a group by a.id",
        )
        .unwrap();
        let expressions: Vec<(Option<&str>, &Expression)> = query
            .columns
            .iter()
            .map(|column| (column.alias.as_deref(), &column.expression))
            .collect();
        assert_eq!(
            expressions,
            vec![
                (None, &column(Some("a"), "id")),
                (None, &column(Some("a"), "t")),
                (Some("num"), &column(Some("a"), "n")),
                (Some("c"), &Expression::Count),
                (Some("mx"), &Expression::Other),
                (Some("cat"), &Expression::Other),
                (Some("ni"), &Expression::Cast("integer".into())),
                (Some("qt"), &column(None, "t")),
                (None, &Expression::Other),
            ]
        );
        assert_eq!(
            query.sources,
            vec![Source {
                table: Some("alltypes".into()),
                alias: Some("a".into())
            }]
        );
    }

    #[test]
    fn reads_joins_subqueries_and_wildcards() {
        let query = parse(
            "SELECT u.id, p.* FROM users u LEFT JOIN posts AS p ON p.author = u.id, \
             (select 1) sub JOIN json_each(u.tags) t INNER JOIN comments WHERE 1",
        )
        .unwrap();
        assert_eq!(query.columns[1].expression, Expression::Wildcard);
        assert_eq!(
            query.sources,
            vec![
                Source {
                    table: Some("users".into()),
                    alias: Some("u".into())
                },
                Source {
                    table: Some("posts".into()),
                    alias: Some("p".into())
                },
                Source {
                    table: None,
                    alias: Some("sub".into())
                },
                Source {
                    table: None,
                    alias: Some("t".into())
                },
                Source {
                    table: Some("comments".into()),
                    alias: None
                },
            ]
        );
        assert!(
            parse("with x as (select 1) select * from x")
                .unwrap()
                .columns[0]
                .expression
                == Expression::Wildcard
        );
        assert!(parse("not a query").is_none());
    }
}
