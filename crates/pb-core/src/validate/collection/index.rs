//! `CREATE [UNIQUE] INDEX` statements as collections hold them: parsed to check their shape,
//! compare them, find single-column unique indexes (auth identity fields need one), and rebuilt
//! in PocketBase's layout when the collection's table is renamed.
//!
//! The parser is deliberately shallow: it finds the statement's parts and leaves column
//! expressions and the `WHERE` clause as text; SQLite judges those when the store creates the
//! index. Identifiers may be bare or quoted with backticks, double quotes, brackets or single
//! quotes.

/// A parsed index statement.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ParsedIndex {
    pub(crate) unique: bool,
    /// `IF NOT EXISTS` was given.
    pub(crate) if_not_exists: bool,
    pub(crate) schema_name: String,
    pub(crate) index_name: String,
    pub(crate) table_name: String,
    pub(crate) columns: Vec<IndexColumn>,
    /// The partial-index condition, without `WHERE`; empty when absent.
    pub(crate) where_clause: String,
}

/// One indexed column or expression.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct IndexColumn {
    /// The column name (unquoted) or expression text.
    pub(crate) name: String,
    pub(crate) collate: String,
    /// `ASC`, `DESC` or empty.
    pub(crate) sort: String,
}

const QUOTE_CHARACTERS: &[char] = &['`', '"', '\'', '[', ']'];

/// Parses an index statement; `None` when it is not a well-formed `CREATE INDEX` with a name and
/// at least one column. The table name may be empty (the auth scaffold's indexes have none): it
/// is always replaced by the collection's name.
pub(crate) fn parse_index(sql: &str) -> Option<ParsedIndex> {
    let mut cursor = Cursor {
        text: sql,
        position: 0,
    };
    cursor.expect_keyword("create")?;
    let unique = cursor.eat_keyword("unique");
    cursor.expect_keyword("index")?;
    let if_not_exists = cursor.eat_keywords(&["if", "not", "exists"]);
    let first_name = cursor.identifier()?;
    let (schema_name, index_name) = if cursor.eat_symbol('.') {
        (first_name, cursor.identifier()?)
    } else {
        (String::new(), first_name)
    };
    cursor.expect_keyword("on")?;
    let table_name = cursor.identifier()?;
    cursor.skip_whitespace();
    let column_list = cursor.parenthesized()?;
    let where_clause = cursor.where_clause()?;
    let columns: Vec<IndexColumn> = split_top_level(column_list, ',')
        .into_iter()
        .filter_map(parse_column)
        .collect();
    if index_name.is_empty() || columns.is_empty() {
        return None;
    }
    Some(ParsedIndex {
        unique,
        if_not_exists,
        schema_name,
        index_name,
        table_name,
        columns,
        where_clause,
    })
}

impl ParsedIndex {
    /// The statement in PocketBase's layout: backticked names, one column per line when there
    /// are several.
    pub(crate) fn build(&self) -> String {
        let mut sql = String::from("CREATE ");
        if self.unique {
            sql.push_str("UNIQUE ");
        }
        sql.push_str("INDEX ");
        if self.if_not_exists {
            sql.push_str("IF NOT EXISTS ");
        }
        if !self.schema_name.is_empty() {
            sql.push_str(&format!("`{}`.", self.schema_name));
        }
        sql.push_str(&format!("`{}` ON `{}` (", self.index_name, self.table_name));
        let columns: Vec<String> = self.columns.iter().map(IndexColumn::build).collect();
        if columns.len() > 1 {
            sql.push_str(&format!("\n  {}\n", columns.join(",\n  ")));
        } else {
            sql.push_str(&columns.concat());
        }
        sql.push(')');
        if !self.where_clause.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&self.where_clause);
        }
        sql
    }

    /// Whether this is a unique index on exactly `column` (compared case-insensitively).
    pub(crate) fn is_single_column_unique_on(&self, column: &str) -> bool {
        self.unique && self.columns.len() == 1 && self.columns[0].name.eq_ignore_ascii_case(column)
    }
}

impl IndexColumn {
    fn build(&self) -> String {
        let mut sql = if self.name.contains('(') || self.name.contains(' ') {
            self.name.clone()
        } else {
            format!("`{}`", self.name)
        };
        if !self.collate.is_empty() {
            sql.push_str(&format!(" COLLATE {}", self.collate));
        }
        if !self.sort.is_empty() {
            sql.push(' ');
            sql.push_str(&self.sort);
        }
        sql
    }
}

/// Whether any of `indexes` is a unique index on exactly `column`.
pub(crate) fn has_single_column_unique_index(indexes: &[String], column: &str) -> bool {
    indexes
        .iter()
        .filter_map(|sql| parse_index(sql))
        .any(|index| index.is_single_column_unique_on(column))
}

fn parse_column(raw: &str) -> Option<IndexColumn> {
    let (rest, sort) = split_sort(raw.trim());
    let (expression, collate) = split_collate(rest);
    let name =
        expression.trim_matches(|c: char| c.is_whitespace() || QUOTE_CHARACTERS.contains(&c));
    if name.is_empty() {
        return None;
    }
    Some(IndexColumn {
        name: name.to_string(),
        collate: collate.to_string(),
        sort: sort.to_ascii_uppercase(),
    })
}

/// `("b", "desc")` for `b desc`; `(text, "")` without a sort order.
fn split_sort(text: &str) -> (&str, &str) {
    match text.rsplit_once(char::is_whitespace) {
        Some((before, last))
            if last.eq_ignore_ascii_case("asc") || last.eq_ignore_ascii_case("desc") =>
        {
            (before.trim_end(), last)
        }
        _ => (text, ""),
    }
}

/// `("a", "nocase")` for `a COLLATE nocase`; `(text, "")` without a collation.
fn split_collate(text: &str) -> (&str, &str) {
    let Some((before, collation)) = text.rsplit_once(char::is_whitespace) else {
        return (text, "");
    };
    match before.trim_end().rsplit_once(char::is_whitespace) {
        Some((expression, keyword))
            if keyword.eq_ignore_ascii_case("collate") && is_word(collation) =>
        {
            (expression.trim_end(), collation)
        }
        _ => (text, ""),
    }
}

fn is_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits at `separator` outside parentheses and quotes.
fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (offset, character) in text.char_indices() {
        match (quote, character) {
            (Some(open), c) if c == closing_quote(open) => quote = None,
            (Some(_), _) => {}
            (None, '`' | '"' | '\'' | '[') => quote = Some(character),
            (None, '(') => depth += 1,
            (None, ')') => depth = depth.saturating_sub(1),
            (None, c) if c == separator && depth == 0 => {
                parts.push(&text[start..offset]);
                start = offset + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn closing_quote(open: char) -> char {
    if open == '[' {
        ']'
    } else {
        open
    }
}

struct Cursor<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.position..]
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        self.position += rest.len() - rest.trim_start().len();
    }

    /// Consumes `keyword` (any case) when it is the next word.
    fn eat_keyword(&mut self, keyword: &str) -> bool {
        self.skip_whitespace();
        let rest = self.rest();
        let Some(candidate) = rest.get(..keyword.len()) else {
            return false;
        };
        let boundary = rest[keyword.len()..]
            .chars()
            .next()
            .is_none_or(|next| !(next.is_alphanumeric() || next == '_'));
        if candidate.eq_ignore_ascii_case(keyword) && boundary {
            self.position += keyword.len();
            true
        } else {
            false
        }
    }

    fn expect_keyword(&mut self, keyword: &str) -> Option<()> {
        self.eat_keyword(keyword).then_some(())
    }

    /// Consumes all of `keywords` in order, or nothing.
    fn eat_keywords(&mut self, keywords: &[&str]) -> bool {
        let start = self.position;
        if keywords.iter().all(|keyword| self.eat_keyword(keyword)) {
            return true;
        }
        self.position = start;
        false
    }

    fn eat_symbol(&mut self, symbol: char) -> bool {
        self.skip_whitespace();
        if self.rest().starts_with(symbol) {
            self.position += symbol.len_utf8();
            true
        } else {
            false
        }
    }

    /// A bare or quoted identifier, returned without its quotes.
    fn identifier(&mut self) -> Option<String> {
        self.skip_whitespace();
        let rest = self.rest();
        let first = rest.chars().next()?;
        if matches!(first, '`' | '"' | '\'' | '[') {
            let body = &rest[1..];
            let end = body.find(closing_quote(first))?;
            self.position += end + 2;
            return Some(body[..end].trim().to_string());
        }
        let length = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .unwrap_or(rest.len());
        if length == 0 {
            return None;
        }
        self.position += length;
        Some(rest[..length].to_string())
    }

    /// The text between a `(` here and its matching `)`.
    fn parenthesized(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        if !rest.starts_with('(') {
            return None;
        }
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        for (offset, character) in rest.char_indices() {
            match (quote, character) {
                (Some(open), c) if c == closing_quote(open) => quote = None,
                (Some(_), _) => {}
                (None, '`' | '"' | '\'' | '[') => quote = Some(character),
                (None, '(') => depth += 1,
                (None, ')') => {
                    depth -= 1;
                    if depth == 0 {
                        self.position += offset + 1;
                        return Some(&rest[1..offset]);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// What follows the column list: nothing, or `WHERE <condition>`, optionally ending in `;`.
    fn where_clause(&mut self) -> Option<String> {
        self.skip_whitespace();
        let rest = self.rest().trim_end().trim_end_matches(';').trim_end();
        if rest.is_empty() {
            return Some(String::new());
        }
        if !self.eat_keyword("where") {
            return None;
        }
        let condition = self.rest().trim().trim_end_matches(';').trim();
        (!condition.is_empty()).then(|| condition.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_quoting_styles() {
        let index = parse_index("CREATE INDEX idx_posts_title ON posts (title)").unwrap();
        assert_eq!(index.index_name, "idx_posts_title");
        assert_eq!(index.table_name, "posts");
        assert_eq!(index.columns[0].name, "title");
        assert!(!index.unique);

        let index = parse_index(
            "create unique index IF NOT EXISTS `main`.`idx1` on \"x6\" ([a] COLLATE nocase desc, `b`) WHERE b != ''",
        )
        .unwrap();
        assert!(index.unique && index.if_not_exists);
        assert_eq!(index.schema_name, "main");
        assert_eq!(index.index_name, "idx1");
        assert_eq!(index.table_name, "x6");
        assert_eq!(
            index.columns,
            vec![
                IndexColumn {
                    name: "a".into(),
                    collate: "nocase".into(),
                    sort: "DESC".into()
                },
                IndexColumn {
                    name: "b".into(),
                    ..IndexColumn::default()
                },
            ]
        );
        assert_eq!(index.where_clause, "b != ''");
    }

    #[test]
    fn keeps_expressions_whole() {
        let index =
            parse_index("CREATE INDEX i ON t (lower(name), json_extract(data, '$.a,b'))").unwrap();
        let names: Vec<&str> = index
            .columns
            .iter()
            .map(|column| column.name.as_str())
            .collect();
        assert_eq!(names, ["lower(name)", "json_extract(data, '$.a,b')"]);
    }

    #[test]
    fn rejects_what_is_not_an_index() {
        for sql in [
            "not an index",
            "",
            "CREATE INDEX ON t (a)",
            "CREATE INDEX i ON t ()",
            "CREATE INDEX i ON t (a",
            "CREATE INDEX i t (a)",
            "CREATE TABLE i (a)",
            "CREATE INDEX i ON t (a) garbage",
            "CREATE INDEX i ON t (a) WHERE",
        ] {
            assert_eq!(parse_index(sql), None, "{sql}");
        }
        assert!(parse_index("CREATE INDEX i ON t (a);").is_some());
    }

    #[test]
    fn builds_pocketbase_layout() {
        let index = parse_index("create unique index idx1 on t (a, b desc) where a > 1").unwrap();
        assert_eq!(
            index.build(),
            "CREATE UNIQUE INDEX `idx1` ON `t` (\n  `a`,\n  `b` DESC\n) WHERE a > 1"
        );
        let auth = "CREATE UNIQUE INDEX `idx_email_x` ON `users` (`email`) WHERE `email` != ''";
        assert_eq!(parse_index(auth).unwrap().build(), auth);
    }

    #[test]
    fn finds_single_column_unique_indexes() {
        let indexes = vec![
            "CREATE UNIQUE INDEX a ON t (Email)".to_string(),
            "CREATE UNIQUE INDEX b ON t (x, y)".to_string(),
            "CREATE INDEX c ON t (z)".to_string(),
        ];
        assert!(has_single_column_unique_index(&indexes, "email"));
        assert!(!has_single_column_unique_index(&indexes, "x"));
        assert!(!has_single_column_unique_index(&indexes, "z"));
    }
}
