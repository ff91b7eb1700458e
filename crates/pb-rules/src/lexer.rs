//! Turns expression text into tokens with byte spans, accepting exactly what PocketBase's
//! `fexpr` scanner accepts.
//!
//! Some details are deliberately PocketBase's, not what a fresh design would pick:
//!
//! * Whitespace is only space, tab and `\n` (a `\r` is an error).
//! * In strings a backslash escapes the next character: `\\`, `\'` and `\"` stand for themselves,
//!   `\n`, `\t` and `\r` for newline, tab and carriage return; any other `\x` is kept as the two
//!   characters. (`fexpr` v0.6, observed on PocketBase 0.40.6.)
//! * A NUL character at the start of a token ends the input; one that interrupts a run
//!   (whitespace, identifier, number, operator, comment) is swallowed as a separator; inside a
//!   string, a group or a function call it is an error. That is how `fexpr` treats it.
//! * A number is an optional leading `-`, digits and at most one `.`; no exponent.
//! * An identifier immediately followed by `(` is a function call. Its arguments are scanned
//!   here (identifiers, numbers, strings, nested calls up to three levels, a trailing comma
//!   allowed), so the parser sees a function as one operand token.
//! * Where a parenthesised group ends is decided the way `fexpr` decides it: by counting
//!   parentheses outside quoted strings, without knowing about comments. The group's content
//!   is then scanned as if the text ended at its closing parenthesis. This makes a `)` or a quote
//!   inside a comment inside a group behave as in PocketBase (an error).

use crate::ast::{JoinOp, Operand, SignOp, Span};
use crate::error::RuleError;

/// How deeply parentheses may nest. PocketBase has no limit, but filters are at most 3500
/// bytes long and nobody writes a hundred nested groups; the limit keeps the recursive parts
/// of the crate far from the end of the stack.
pub const MAX_GROUP_DEPTH: usize = 100;

/// How deeply function calls may nest (`fexpr`'s limit).
const MAX_FUNCTION_DEPTH: usize = 3;

/// A token kind. Whitespace and comments are dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Operand(Operand),
    Sign(SignOp),
    Join(JoinOp),
    LParen,
    RParen,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Scans the whole text.
pub fn tokenize(source: &str) -> Result<Vec<Token>, RuleError> {
    let mut lexer = Lexer {
        source,
        position: 0,
        end: source.len(),
    };
    let mut tokens = Vec::new();
    // The closing positions of the groups we are inside, innermost last.
    let mut groups: Vec<usize> = Vec::new();
    loop {
        lexer.end = groups.last().copied().unwrap_or(source.len());
        let Some(character) = lexer.peek() else {
            match groups.pop() {
                Some(close) => {
                    tokens.push(Token {
                        kind: TokenKind::RParen,
                        span: Span::new(close, close + 1),
                    });
                    lexer.position = close + 1;
                    continue;
                }
                None => break,
            }
        };
        let start = lexer.position;
        match character {
            '\0' => break,
            ' ' | '\t' | '\n' => lexer.whitespace(),
            '(' => {
                let close = lexer.group_end(start)?;
                if groups.len() >= MAX_GROUP_DEPTH {
                    return Err(RuleError::too_complex(format!(
                        "parentheses nested more than {MAX_GROUP_DEPTH} levels deep"
                    )));
                }
                tokens.push(Token {
                    kind: TokenKind::LParen,
                    span: Span::new(start, start + 1),
                });
                groups.push(close);
                lexer.position += 1;
            }
            '/' => lexer.skip_comment()?,
            _ if is_identifier_start(character) => {
                let operand = lexer.identifier_or_function(MAX_FUNCTION_DEPTH)?;
                tokens.push(Token {
                    span: operand.span(),
                    kind: TokenKind::Operand(operand),
                });
            }
            _ if is_number_start(character) => {
                let operand = lexer.number()?;
                tokens.push(Token {
                    span: operand.span(),
                    kind: TokenKind::Operand(operand),
                });
            }
            '\'' | '"' => {
                let operand = lexer.text()?;
                tokens.push(Token {
                    span: operand.span(),
                    kind: TokenKind::Operand(operand),
                });
            }
            _ if is_sign_char(character) => {
                let text = lexer.take_run(is_sign_char);
                let op = SignOp::parse(text).ok_or_else(|| {
                    RuleError::syntax(format!("invalid sign operator {text:?}"), start)
                })?;
                tokens.push(Token {
                    kind: TokenKind::Sign(op),
                    span: Span::new(start, lexer.position),
                });
            }
            '&' | '|' => {
                let text = lexer.take_run(|c| c == '&' || c == '|');
                let op = match text {
                    "&&" => JoinOp::And,
                    "||" => JoinOp::Or,
                    _ => {
                        return Err(RuleError::syntax(
                            format!("invalid join operator {text:?}"),
                            start,
                        ))
                    }
                };
                tokens.push(Token {
                    kind: TokenKind::Join(op),
                    span: Span::new(start, lexer.position),
                });
            }
            other => {
                return Err(RuleError::syntax(
                    format!("unexpected character {other:?}"),
                    start,
                ))
            }
        }
    }
    tokens.push(Token {
        kind: TokenKind::Eof,
        span: Span::new(source.len(), source.len()),
    });
    Ok(tokens)
}

fn is_letter(character: char) -> bool {
    character.is_ascii_alphabetic()
}

fn is_identifier_start(character: char) -> bool {
    is_letter(character) || matches!(character, '@' | '_' | '#')
}

fn is_identifier_char(character: char) -> bool {
    is_letter(character) || character.is_ascii_digit() || matches!(character, '_' | '.' | ':')
}

fn is_number_start(character: char) -> bool {
    character == '-' || character.is_ascii_digit()
}

fn is_sign_char(character: char) -> bool {
    matches!(character, '=' | '?' | '!' | '>' | '<' | '~')
}

/// `fexpr`'s identifier check: not ending in `.`/`:` and not a lone `@`, `_` or `#`.
fn is_valid_identifier(text: &str) -> bool {
    match text.chars().last() {
        None => false,
        Some(last) => {
            let ends_with_combiner = matches!(last, '.' | ':');
            let lone_special = text.len() == 1 && matches!(last, '@' | '_' | '#');
            !ends_with_combiner && !lone_special
        }
    }
}

/// A cursor over the source, bounded by `end` (the closing parenthesis of the current group).
struct Lexer<'a> {
    source: &'a str,
    position: usize,
    end: usize,
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        if self.position >= self.end {
            return None;
        }
        self.source.get(self.position..self.end)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let character = self.peek()?;
        self.position += character.len_utf8();
        Some(character)
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.source.get(start..end).unwrap_or("")
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let start = self.position;
        while let Some(character) = self.peek() {
            if !keep(character) {
                break;
            }
            self.position += character.len_utf8();
        }
        self.slice(start, self.position)
    }

    /// A run of `keep` characters; a NUL right after it is swallowed.
    fn take_run(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let run = self.take_while(keep);
        self.swallow_nul();
        run
    }

    fn swallow_nul(&mut self) {
        if self.peek() == Some('\0') {
            self.position += 1;
        }
    }

    fn whitespace(&mut self) {
        self.take_run(|c| matches!(c, ' ' | '\t' | '\n'));
    }

    /// The position of the `)` closing the group opened at `open`: parentheses are counted
    /// outside quoted strings, comments are not recognised (as in `fexpr`).
    fn group_end(&self, open: usize) -> Result<usize, RuleError> {
        let mut scanner = Lexer {
            source: self.source,
            position: open + 1,
            end: self.end,
        };
        let mut depth = 1usize;
        while let Some(character) = scanner.peek() {
            match character {
                '\0' => break,
                '(' => {
                    depth += 1;
                    scanner.position += 1;
                }
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(scanner.position);
                    }
                    scanner.position += 1;
                }
                '\'' | '"' => {
                    scanner.text()?;
                }
                other => scanner.position += other.len_utf8(),
            }
        }
        Err(RuleError::syntax(
            format!("invalid formatted group - missing {depth} closing bracket(s)"),
            open,
        ))
    }

    /// `// …` up to the end of the line (or of the group).
    fn skip_comment(&mut self) -> Result<(), RuleError> {
        let start = self.position;
        if self.bump() != Some('/') || self.bump() != Some('/') {
            return Err(RuleError::syntax("invalid comment", start));
        }
        while let Some(character) = self.bump() {
            if character == '\n' || character == '\0' {
                break;
            }
        }
        Ok(())
    }

    /// A quoted string. The position must be on the opening quote.
    fn text(&mut self) -> Result<Operand, RuleError> {
        let start = self.position;
        let quote = self.bump().unwrap_or('\'');
        let unterminated = || RuleError::syntax("unterminated quoted text", start);
        let mut value = String::new();
        loop {
            match self.bump() {
                None | Some('\0') => return Err(unterminated()),
                Some('\\') => match self.bump() {
                    None | Some('\0') => return Err(unterminated()),
                    Some(escaped @ ('\\' | '\'' | '"')) => value.push(escaped),
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some('r') => value.push('\r'),
                    Some(other) => {
                        value.push('\\');
                        value.push(other);
                    }
                },
                Some(character) if character == quote => break,
                Some(character) => value.push(character),
            }
        }
        Ok(Operand::Text {
            value,
            quote,
            span: Span::new(start, self.position),
        })
    }

    fn number(&mut self) -> Result<Operand, RuleError> {
        let start = self.position;
        let mut had_dot = false;
        while let Some(character) = self.peek() {
            let accepted = character.is_ascii_digit()
                || (character == '-' && self.position == start)
                || (character == '.' && !had_dot);
            if !accepted {
                break;
            }
            had_dot |= character == '.';
            self.position += 1;
        }
        let literal = self.slice(start, self.position);
        if literal == "-" || literal.starts_with('.') || literal.ends_with('.') {
            return Err(RuleError::syntax(
                format!("invalid number {literal:?}"),
                start,
            ));
        }
        Ok(Operand::Number {
            literal: literal.to_string(),
            span: Span::new(start, self.position),
        })
    }

    /// An identifier, or a function call when the name is directly followed by `(`.
    /// `depth_left` is how many more function levels may open.
    fn identifier_or_function(&mut self, depth_left: usize) -> Result<Operand, RuleError> {
        let start = self.position;
        self.bump();
        self.take_while(is_identifier_char);
        let name = self.slice(start, self.position);
        if self.peek() == Some('(') {
            if depth_left == 0 {
                return Err(RuleError::too_complex(format!(
                    "max nested function arguments reached (max: {MAX_FUNCTION_DEPTH})"
                )));
            }
            if !is_valid_identifier(name) {
                return Err(RuleError::syntax(
                    format!("invalid function name {name:?}"),
                    start,
                ));
            }
            return self.function_arguments(name, start, depth_left);
        }
        let end = self.position;
        self.swallow_nul();
        if !is_valid_identifier(name) {
            return Err(RuleError::syntax(
                format!("invalid identifier {name:?}"),
                start,
            ));
        }
        Ok(Operand::Identifier {
            name: name.to_string(),
            span: Span::new(start, end),
        })
    }

    /// The `( … )` of a call; the position must be on the `(`.
    fn function_arguments(
        &mut self,
        name: &str,
        start: usize,
        depth_left: usize,
    ) -> Result<Operand, RuleError> {
        self.bump();
        let mut args = Vec::new();
        let mut expect_comma = false;
        loop {
            let Some(character) = self.peek().filter(|character| *character != '\0') else {
                return Err(RuleError::syntax(
                    format!("invalid or incomplete function {name:?} (expected ')')"),
                    start,
                ));
            };
            let at = self.position;
            match character {
                ')' => {
                    self.position += 1;
                    break;
                }
                ' ' | '\t' | '\n' => self.whitespace(),
                '/' => self.skip_comment()?,
                ',' if expect_comma => {
                    expect_comma = false;
                    self.position += 1;
                }
                _ if expect_comma => {
                    return Err(RuleError::syntax(
                        format!("expected comma after the last argument in function {name:?}"),
                        at,
                    ))
                }
                ',' => {
                    return Err(RuleError::syntax(
                        format!("unexpected comma in function {name:?}"),
                        at,
                    ))
                }
                _ if is_identifier_start(character) => {
                    args.push(self.identifier_or_function(depth_left - 1)?);
                    expect_comma = true;
                }
                _ if is_number_start(character) => {
                    args.push(self.number()?);
                    expect_comma = true;
                }
                '\'' | '"' => {
                    args.push(self.text()?);
                    expect_comma = true;
                }
                other => {
                    return Err(RuleError::syntax(
                        format!("unsupported argument character {other:?} in function {name:?}"),
                        at,
                    ))
                }
            }
        }
        Ok(Operand::Function {
            name: name.to_string(),
            args,
            span: Span::new(start, self.position),
        })
    }
}

// Tests panic on purpose when something is off.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    #[test]
    fn strings_unescape_like_fexpr_v0_6() {
        let tokens = kinds(r#"'it\'s' "a\'b\"c" 'a\\b\n\t\r\x\"' 'a\\'"#);
        let values: Vec<String> = tokens
            .iter()
            .filter_map(|kind| match kind {
                TokenKind::Operand(Operand::Text { value, .. }) => Some(value.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(values, ["it's", r#"a'b"c"#, "a\\b\n\t\r\\x\"", "a\\"]);
    }

    #[test]
    fn rejects_what_fexpr_rejects() {
        for bad in [
            "a\r= 1",
            "a = -",
            "a = 1.",
            "a = .5",
            "a ==== 1",
            "a &&& b",
            "a = 'x",
            "a / b",
            "@ = 1",
            "a. = 1",
            "(a = 1",
            "a = 1)",
            "f(,1) = 1",
            "f(1 2) = 1",
            "é = 1",
            "f(g(h(i(1)))) = 1",
        ] {
            assert!(tokenize(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nul_ends_input_or_separates_like_fexpr() {
        assert_eq!(kinds("n = 1\0 garbage").len(), 4);
        assert_eq!(kinds("n\0= 1").len(), 4);
        assert!(tokenize("n = 'a\0'").is_err());
        assert!(tokenize("(n = 1\0)").is_err());
        assert!(tokenize("f(1,\0 2) = 1").is_err());
    }

    #[test]
    fn group_extent_ignores_comments_like_fexpr() {
        // The `)` inside the comment closes the group, so the real `)` is unexpected.
        assert!(tokenize("(a = 1 // )\n)").is_err());
        // A quote inside a comment inside a group starts a string.
        assert!(tokenize("(a = 1 // it's\n)").is_err());
        // Outside a group a comment is just a comment.
        assert!(tokenize("a = 1 // it's )").is_ok());
    }

    #[test]
    fn functions_are_single_tokens() {
        let tokens = kinds("geoDistance(a.lon, -1, 'x',) > 1");
        assert!(matches!(
            &tokens[0],
            TokenKind::Operand(Operand::Function { name, args, .. }) if name == "geoDistance" && args.len() == 3
        ));
    }
}
