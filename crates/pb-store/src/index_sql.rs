//! Reading a collection's `CREATE [UNIQUE] INDEX` statements: their name (to tell which index
//! changed between two versions of a collection), their table (to follow a collection rename) and
//! their columns (to say which fields a "UNIQUE constraint failed: index 'x'" error is about).
//!
//! Statements are executed as written; this module only looks at them. A statement it cannot
//! read is still handed to SQLite, which then reports what is wrong with it.

use crate::lexer::{self, Token, TokenKind};

/// The parts of one index statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexStatement {
    pub(crate) unique: bool,
    pub(crate) name: String,
    pub(crate) table: String,
    /// Byte range of the table name (with its quotes) in the statement.
    table_span: (usize, usize),
    /// The identifiers each indexed column or expression mentions, in order.
    pub(crate) column_identifiers: Vec<Vec<String>>,
}

/// Words that may appear inside an indexed column term without naming a column.
const TERM_KEYWORDS: [&str; 6] = ["collate", "asc", "desc", "nocase", "binary", "rtrim"];

/// Consumes the word at `position` when it is `word`.
fn expect_word(tokens: &[Token], position: &mut usize, word: &str) -> bool {
    let found = tokens
        .get(*position)
        .is_some_and(|token| token.is_word(word));
    if found {
        *position += 1;
    }
    found
}

/// Reads `sql` as `CREATE [UNIQUE] INDEX [IF NOT EXISTS] [schema.]name ON table (terms) …`.
pub(crate) fn parse(sql: &str) -> Option<IndexStatement> {
    let tokens = lexer::tokenize(sql);
    let mut position = 0;
    if !expect_word(&tokens, &mut position, "create") {
        return None;
    }
    let unique = expect_word(&tokens, &mut position, "unique");
    if !expect_word(&tokens, &mut position, "index") {
        return None;
    }
    if expect_word(&tokens, &mut position, "if")
        && !(expect_word(&tokens, &mut position, "not")
            && expect_word(&tokens, &mut position, "exists"))
    {
        return None;
    }
    let mut name = tokens.get(position).filter(|token| token.is_identifier())?;
    position += 1;
    if tokens
        .get(position)
        .is_some_and(|token| token.is_symbol("."))
    {
        name = tokens
            .get(position + 1)
            .filter(|token| token.is_identifier())?;
        position += 2;
    }
    if !expect_word(&tokens, &mut position, "on") {
        return None;
    }
    let table = tokens.get(position).filter(|token| token.is_identifier())?;
    position += 1;
    if !tokens
        .get(position)
        .is_some_and(|token| token.is_symbol("("))
    {
        return None;
    }
    let open = position + 1;
    let mut depth = 1usize;
    let mut close = None;
    for (index, token) in tokens.iter().enumerate().skip(open) {
        if token.is_symbol("(") {
            depth += 1;
        } else if token.is_symbol(")") {
            depth -= 1;
            if depth == 0 {
                close = Some(index);
                break;
            }
        }
    }
    let terms = &tokens[open..close?];
    let column_identifiers = lexer::split_top_level_commas(terms)
        .into_iter()
        .map(|term| {
            term.iter()
                .enumerate()
                .filter(|(index, token)| match token.kind {
                    TokenKind::QuotedIdent => true,
                    // A word directly followed by `(` is a function name.
                    TokenKind::Word => {
                        !TERM_KEYWORDS.iter().any(|keyword| token.is_word(keyword))
                            && !term.get(index + 1).is_some_and(|next| next.is_symbol("("))
                    }
                    _ => false,
                })
                .map(|(_, token)| token.text.clone())
                .collect()
        })
        .collect();
    Some(IndexStatement {
        unique,
        name: name.text.clone(),
        table: table.text.clone(),
        table_span: (table.start, table.end),
        column_identifiers,
    })
}

/// The index's name, when the statement can be read.
pub(crate) fn index_name(sql: &str) -> Option<String> {
    parse(sql).map(|statement| statement.name)
}

/// `sql` with its `ON <table>` pointing at `new_table` when it named `old_table` (compared
/// ASCII case-insensitively, as SQLite does); otherwise `sql` unchanged.
pub(crate) fn retarget(sql: &str, old_table: &str, new_table: &str) -> String {
    match parse(sql) {
        Some(statement) if statement.table.eq_ignore_ascii_case(old_table) => {
            let (start, end) = statement.table_span;
            format!("{}`{}`{}", &sql[..start], new_table, &sql[end..])
        }
        _ => sql.to_string(),
    }
}

/// The columns of the index named `index_name` among `indexes` that are in `field_names`: the
/// plain columns and the columns an expression term mentions.
pub(crate) fn index_columns(
    indexes: &[String],
    index_name: &str,
    field_names: &[&str],
) -> Vec<String> {
    let Some(statement) = indexes
        .iter()
        .filter_map(|sql| parse(sql))
        .find(|statement| statement.name.eq_ignore_ascii_case(index_name))
    else {
        return Vec::new();
    };
    let mut columns: Vec<String> = Vec::new();
    for identifier in statement.column_identifiers.iter().flatten() {
        if let Some(field) = field_names
            .iter()
            .find(|name| name.eq_ignore_ascii_case(identifier))
        {
            if !columns.iter().any(|column| column == field) {
                columns.push((*field).to_string());
            }
        }
    }
    columns
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_pocketbase_and_hand_written_statements() {
        let statement =
            parse("CREATE UNIQUE INDEX `idx_email_pbc_1` ON `users` (`email`) WHERE `email` != ''")
                .unwrap();
        assert!(statement.unique);
        assert_eq!(statement.name, "idx_email_pbc_1");
        assert_eq!(statement.table, "users");
        assert_eq!(
            statement.column_identifiers,
            vec![vec!["email".to_string()]]
        );

        let statement = parse(
            "create index if not exists main.idx_x on posts (lower(title) COLLATE NOCASE, a DESC)",
        )
        .unwrap();
        assert!(!statement.unique);
        assert_eq!(statement.name, "idx_x");
        assert_eq!(
            statement.column_identifiers,
            vec![vec!["title".to_string()], vec!["a".to_string()]]
        );
        assert!(parse("DROP TABLE users").is_none());
    }

    #[test]
    fn retargets_only_the_old_table() {
        assert_eq!(
            retarget("CREATE INDEX idx_a ON posts (a)", "posts", "articles"),
            "CREATE INDEX idx_a ON `articles` (a)"
        );
        assert_eq!(
            retarget(
                "CREATE INDEX idx_a ON \"Posts\" (posts)",
                "posts",
                "articles"
            ),
            "CREATE INDEX idx_a ON `articles` (posts)"
        );
        assert_eq!(
            retarget("CREATE INDEX idx_a ON other (a)", "posts", "x"),
            "CREATE INDEX idx_a ON other (a)"
        );
    }

    #[test]
    fn maps_an_index_name_to_field_columns() {
        let indexes = vec!["CREATE UNIQUE INDEX idx_lower ON t (lower(email), `name`)".to_string()];
        assert_eq!(
            index_columns(&indexes, "idx_lower", &["email", "name", "id"]),
            ["email", "name"]
        );
        assert!(index_columns(&indexes, "missing", &["email"]).is_empty());
    }
}
