//! Random values for text fields with an `autogeneratePattern` (the record `id`'s `[a-z0-9]{15}`,
//! an auth `tokenKey`'s `[a-zA-Z0-9]{50}`, user patterns such as `(ab|cd)[0-9]{2}x+`).
//!
//! PocketBase can generate from any regex; we support the subset that generating needs in
//! practice: literals, escapes (`\d`, `\w`, `\s`, escaped punctuation), `.`, character classes
//! with ranges (negated classes draw from printable ASCII), groups with alternation, anchors
//! (ignored) and the quantifiers `?`, `*`, `+`, `{n}`, `{n,}`, `{n,m}` (open repeats add at most
//! ten). Anything else yields `None`, which collection validation reports as an invalid
//! autogenerate pattern rather than letting a record write fail later.

use rand::seq::SliceRandom;
use rand::Rng;

/// Open-ended quantifiers (`*`, `+`, `{n,}`) repeat at most this many extra times.
const OPEN_REPEAT_LIMIT: usize = 10;
/// Refuse patterns that would produce absurdly long values.
const LARGEST_REPEAT: usize = 10_000;

const DIGITS: &str = "0123456789";
const WORD_CHARACTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
const ALPHANUMERICS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A random string matching `pattern`, or `None` when the pattern is outside the supported subset.
pub(crate) fn random_string_from_pattern(pattern: &str) -> Option<String> {
    let mut parser = PatternParser {
        chars: pattern.chars().collect(),
        position: 0,
    };
    let node = parser.parse_alternation()?;
    if parser.position != parser.chars.len() {
        return None;
    }
    let mut output = String::new();
    node.generate(&mut rand::thread_rng(), &mut output);
    Some(output)
}

/// One piece of a parsed pattern.
#[derive(Debug, Clone, PartialEq)]
enum PatternNode {
    /// Produces nothing (anchors, empty alternatives).
    Empty,
    Literal(char),
    /// One character drawn from the set.
    OneOf(Vec<char>),
    /// Consecutive nodes.
    Sequence(Vec<PatternNode>),
    /// One of the alternatives.
    Alternatives(Vec<PatternNode>),
    Repeat {
        node: Box<PatternNode>,
        min: usize,
        max: usize,
    },
}

impl PatternNode {
    fn generate(&self, rng: &mut impl Rng, output: &mut String) {
        match self {
            PatternNode::Empty => {}
            PatternNode::Literal(character) => output.push(*character),
            PatternNode::OneOf(characters) => {
                if let Some(character) = characters.choose(rng) {
                    output.push(*character);
                }
            }
            PatternNode::Sequence(nodes) => {
                for node in nodes {
                    node.generate(rng, output);
                }
            }
            PatternNode::Alternatives(alternatives) => {
                if let Some(alternative) = alternatives.choose(rng) {
                    alternative.generate(rng, output);
                }
            }
            PatternNode::Repeat { node, min, max } => {
                let count = rng.gen_range(*min..=*max);
                for _ in 0..count {
                    node.generate(rng, output);
                }
            }
        }
    }
}

struct PatternParser {
    chars: Vec<char>,
    position: usize,
}

impl PatternParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.position).copied()
    }

    fn next_char(&mut self) -> Option<char> {
        let character = self.peek()?;
        self.position += 1;
        Some(character)
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn parse_alternation(&mut self) -> Option<PatternNode> {
        let mut alternatives = vec![self.parse_sequence()?];
        while self.eat('|') {
            alternatives.push(self.parse_sequence()?);
        }
        if alternatives.len() == 1 {
            return alternatives.pop();
        }
        Some(PatternNode::Alternatives(alternatives))
    }

    fn parse_sequence(&mut self) -> Option<PatternNode> {
        let mut nodes = Vec::new();
        while let Some(character) = self.peek() {
            if character == '|' || character == ')' {
                break;
            }
            let atom = self.parse_atom()?;
            nodes.push(self.parse_quantifier(atom)?);
        }
        Some(PatternNode::Sequence(nodes))
    }

    fn parse_atom(&mut self) -> Option<PatternNode> {
        match self.next_char()? {
            '(' => {
                if self.eat('?') && !self.eat(':') {
                    return None;
                }
                let inner = self.parse_alternation()?;
                self.eat(')').then_some(inner)
            }
            '[' => self.parse_class(),
            '\\' => self.parse_escape().map(PatternNode::OneOf),
            '.' => Some(PatternNode::OneOf(ALPHANUMERICS.chars().collect())),
            '^' | '$' => Some(PatternNode::Empty),
            '*' | '+' | '?' | '{' | ']' | '}' => None,
            literal => Some(PatternNode::Literal(literal)),
        }
    }

    /// The characters an escape stands for (`\d` → digits, `\.` → `.`).
    fn parse_escape(&mut self) -> Option<Vec<char>> {
        let characters = match self.next_char()? {
            'd' => DIGITS.chars().collect(),
            'w' => WORD_CHARACTERS.chars().collect(),
            's' => vec![' '],
            'n' => vec!['\n'],
            't' => vec!['\t'],
            letter if letter.is_ascii_alphanumeric() => return None,
            punctuation => vec![punctuation],
        };
        Some(characters)
    }

    fn parse_class(&mut self) -> Option<PatternNode> {
        let negated = self.eat('^');
        let mut members: Vec<char> = Vec::new();
        let mut first = true;
        loop {
            let character = self.next_char()?;
            if character == ']' && !first {
                break;
            }
            first = false;
            let start = if character == '\\' {
                let escaped = self.parse_escape()?;
                if escaped.len() != 1 {
                    members.extend(escaped);
                    continue;
                }
                escaped[0]
            } else {
                character
            };
            if self.peek() == Some('-') && self.chars.get(self.position + 1) != Some(&']') {
                self.position += 1;
                let end = self.next_char()?;
                if end < start {
                    return None;
                }
                members.extend(start..=end);
            } else {
                members.push(start);
            }
        }
        if negated {
            members = (0x21u8..0x7f)
                .map(char::from)
                .filter(|character| !members.contains(character))
                .collect();
        }
        members.sort_unstable();
        members.dedup();
        if members.is_empty() {
            return None;
        }
        Some(PatternNode::OneOf(members))
    }

    fn parse_quantifier(&mut self, atom: PatternNode) -> Option<PatternNode> {
        let (min, max) = match self.peek() {
            Some('?') => (0, 1),
            Some('*') => (0, OPEN_REPEAT_LIMIT),
            Some('+') => (1, 1 + OPEN_REPEAT_LIMIT),
            Some('{') => return self.parse_counted_repeat(atom),
            _ => return Some(atom),
        };
        self.position += 1;
        self.eat('?');
        Some(PatternNode::Repeat {
            node: Box::new(atom),
            min,
            max,
        })
    }

    fn parse_counted_repeat(&mut self, atom: PatternNode) -> Option<PatternNode> {
        self.position += 1;
        let min = self.parse_count()?;
        let max = if self.eat(',') {
            if self.peek() == Some('}') {
                min + OPEN_REPEAT_LIMIT
            } else {
                self.parse_count()?
            }
        } else {
            min
        };
        if !self.eat('}') || max < min || max > LARGEST_REPEAT {
            return None;
        }
        self.eat('?');
        Some(PatternNode::Repeat {
            node: Box::new(atom),
            min,
            max,
        })
    }

    fn parse_count(&mut self) -> Option<usize> {
        let start = self.position;
        while self
            .peek()
            .is_some_and(|character| character.is_ascii_digit())
        {
            self.position += 1;
        }
        let digits: String = self.chars[start..self.position].iter().collect();
        digits.parse().ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use regex::Regex;

    fn assert_generates_matching(pattern: &str) {
        let checker = Regex::new(&format!("^(?:{pattern})$")).unwrap();
        for _ in 0..50 {
            let generated = random_string_from_pattern(pattern).unwrap();
            assert!(
                checker.is_match(&generated),
                "{pattern} produced {generated:?}"
            );
        }
    }

    #[test]
    fn generates_the_system_patterns() {
        let id = random_string_from_pattern("[a-z0-9]{15}").unwrap();
        assert_eq!(id.len(), 15);
        let token_key = random_string_from_pattern("[a-zA-Z0-9]{50}").unwrap();
        assert_eq!(token_key.len(), 50);
        assert_generates_matching("[a-z0-9]{15}");
        assert_generates_matching("[a-zA-Z0-9]{50}");
    }

    #[test]
    fn generates_groups_escapes_and_quantifiers() {
        for pattern in [
            "(ab|cd)[0-9]{2}x+",
            r"^\d{3}-\w{2,4}$",
            "a?b*c+",
            "[^a-z]{5}",
            r"[\d_.-]{8}",
            "(?:x|y|)z{2,}",
            r"id\.[A-F]{1}",
        ] {
            assert_generates_matching(pattern);
        }
    }

    #[test]
    fn rejects_what_it_cannot_generate() {
        for pattern in [
            "(ab", "[a-", "a{3", r"\p{L}", "*a", "(?=x)", "[z-a]", "a{99999}",
        ] {
            assert_eq!(random_string_from_pattern(pattern), None, "{pattern}");
        }
    }
}
