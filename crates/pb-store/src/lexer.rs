//! A small SQLite tokenizer for the two kinds of user SQL the store has to look inside: index
//! statements (to learn an index's name, table and columns, and to rewrite the table on a rename)
//! and view queries (to tell which output column comes from which collection field).
//!
//! It is not a parser and never rejects input: SQLite remains the judge of what is valid. It only
//! has to get quoting, comments and nesting right so that the callers can walk the top level of a
//! statement without being fooled by a `,` or `)` inside a string.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A bare word: a keyword or an unquoted identifier.
    Word,
    /// A `"quoted"`, `` `quoted` `` or `[quoted]` identifier; `text` holds it unquoted.
    QuotedIdent,
    /// A `'string'` literal; `text` holds it unquoted.
    StringLit,
    /// A numeric literal.
    Number,
    /// Punctuation or an operator (`(`, `,`, `.`, `*`, `||`, `<=`, …).
    Symbol,
}

/// One token with its byte range in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: TokenKind,
    pub(crate) text: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Token {
    /// Whether this is the bare word `keyword` (ASCII case-insensitive).
    pub(crate) fn is_word(&self, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    pub(crate) fn is_symbol(&self, symbol: &str) -> bool {
        self.kind == TokenKind::Symbol && self.text == symbol
    }

    /// Whether the token can name something (a bare word or a quoted identifier).
    pub(crate) fn is_identifier(&self) -> bool {
        matches!(self.kind, TokenKind::Word | TokenKind::QuotedIdent)
    }
}

const TWO_CHAR_SYMBOLS: [&str; 8] = ["||", "<=", ">=", "!=", "<>", "==", "<<", ">>"];

/// Splits `sql` into tokens, skipping whitespace and comments. Unterminated quotes and comments
/// run to the end of the input.
pub(crate) fn tokenize(sql: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = sql.char_indices().collect();
    let byte_at = |index: usize| chars.get(index).map_or(sql.len(), |(byte, _)| *byte);
    let mut tokens = Vec::new();
    let mut index = 0;
    while let Some(&(start, c)) = chars.get(index) {
        let next = chars.get(index + 1).map(|(_, c)| *c);
        if c.is_whitespace() {
            index += 1;
        } else if c == '-' && next == Some('-') {
            while chars.get(index).is_some_and(|(_, c)| *c != '\n') {
                index += 1;
            }
        } else if c == '/' && next == Some('*') {
            index += 2;
            while let Some(&(_, c)) = chars.get(index) {
                if c == '*' && chars.get(index + 1).map(|(_, c)| *c) == Some('/') {
                    index += 2;
                    break;
                }
                index += 1;
            }
        } else if matches!(c, '\'' | '"' | '`' | '[') {
            let close = if c == '[' { ']' } else { c };
            let mut text = String::new();
            index += 1;
            while let Some(&(_, inner)) = chars.get(index) {
                index += 1;
                if inner == close {
                    // A doubled quote is an escaped quote (not for `[…]`).
                    if close != ']' && chars.get(index).map(|(_, c)| *c) == Some(close) {
                        text.push(close);
                        index += 1;
                        continue;
                    }
                    break;
                }
                text.push(inner);
            }
            let kind = if c == '\'' {
                TokenKind::StringLit
            } else {
                TokenKind::QuotedIdent
            };
            tokens.push(Token {
                kind,
                text,
                start,
                end: byte_at(index),
            });
        } else if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            while chars
                .get(index)
                .is_some_and(|(_, c)| c.is_ascii_alphanumeric() || *c == '.')
            {
                index += 1;
            }
            let end = byte_at(index);
            tokens.push(Token {
                kind: TokenKind::Number,
                text: sql[start..end].to_string(),
                start,
                end,
            });
        } else if c.is_alphabetic() || c == '_' || c == '$' || !c.is_ascii() {
            while chars.get(index).is_some_and(|(_, c)| {
                c.is_alphanumeric() || *c == '_' || *c == '$' || !c.is_ascii()
            }) {
                index += 1;
            }
            let end = byte_at(index);
            tokens.push(Token {
                kind: TokenKind::Word,
                text: sql[start..end].to_string(),
                start,
                end,
            });
        } else {
            let pair: String = [Some(c), next].iter().flatten().collect();
            let width = if TWO_CHAR_SYMBOLS.contains(&pair.as_str()) {
                2
            } else {
                1
            };
            index += width;
            let end = byte_at(index);
            tokens.push(Token {
                kind: TokenKind::Symbol,
                text: sql[start..end].to_string(),
                start,
                end,
            });
        }
    }
    tokens
}

/// Splits `tokens` at the commas that are not nested inside parentheses.
pub(crate) fn split_top_level_commas(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut part_start = 0;
    for (index, token) in tokens.iter().enumerate() {
        if token.is_symbol("(") {
            depth += 1;
        } else if token.is_symbol(")") {
            depth = depth.saturating_sub(1);
        } else if token.is_symbol(",") && depth == 0 {
            parts.push(&tokens[part_start..index]);
            part_start = index + 1;
        }
    }
    parts.push(&tokens[part_start..]);
    parts
}

/// Whether `sql` holds more than one statement: a `;` followed by anything but more `;`s.
pub(crate) fn has_several_statements(sql: &str) -> bool {
    let tokens = tokenize(sql);
    match tokens.iter().position(|token| token.is_symbol(";")) {
        Some(first) => tokens[first..].iter().any(|token| !token.is_symbol(";")),
        None => false,
    }
}

/// `sql` without trailing whitespace and `;`s.
pub(crate) fn trim_statement(sql: &str) -> &str {
    sql.trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        tokenize(sql).into_iter().map(|token| token.text).collect()
    }

    #[test]
    fn quotes_comments_and_operators() {
        assert_eq!(
            texts("SELECT `a``b`, \"c\", [d e], 'it''s' -- x\n || 1.5e3 /* y */ <= ?"),
            ["SELECT", "a`b", ",", "c", ",", "d e", ",", "it's", "||", "1.5e3", "<=", "?"]
        );
        let tokens = tokenize("x 'unterminated");
        assert_eq!(tokens[1].kind, TokenKind::StringLit);
        assert_eq!(tokens[1].end, "x 'unterminated".len());
    }

    #[test]
    fn top_level_commas_and_statement_count() {
        let tokens = tokenize("a, f(b, c), 'd,e'");
        let parts = split_top_level_commas(&tokens);
        assert_eq!(parts.len(), 3);
        assert!(!has_several_statements("CREATE INDEX a ON b (c);  ;"));
        assert!(has_several_statements(
            "CREATE INDEX a ON b (c); DROP TABLE b"
        ));
        assert!(!has_several_statements("SELECT ';'"));
        assert_eq!(trim_statement(" select 1 ;\n"), "select 1");
    }
}
