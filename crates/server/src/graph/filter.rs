//! The OData `$filter` subset Graph clients send to Keybound.
//!
//! Grammar (whitespace between tokens):
//!
//! ```text
//! filter     := clause ("and" clause)*
//! clause     := "(" filter ")" | comparison | startswith | any
//! comparison := path ("eq" | "ne" | "ge" | "gt" | "le" | "lt") literal
//! startswith := "startswith(" path "," string ")"
//! any        := path "/any(" var ":" var "eq" string ")"
//! literal    := string | "true" | "false" | "null" | number | datetime
//! ```
//!
//! Parsing is separate from meaning: each endpoint checks which properties and
//! operators it supports and refuses the rest by name.

use std::fmt;

/// A parsed filter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Filter {
    /// All clauses hold.
    And(Vec<Filter>),
    /// `path op literal`.
    Compare {
        path: String,
        op: Op,
        value: Literal,
    },
    /// `startswith(path, 'prefix')`, case-insensitive as Graph applies it.
    StartsWith { path: String, prefix: String },
    /// `path/any(x: x eq 'value')`: a collection property contains the value.
    Any { path: String, value: String },
}

impl Filter {
    /// The clauses joined by `and`, flattened.
    pub(crate) fn clauses(&self) -> Vec<&Filter> {
        match self {
            Filter::And(items) => items.iter().flat_map(Filter::clauses).collect(),
            other => vec![other],
        }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Ge,
    Gt,
    Le,
    Lt,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Ge => "ge",
            Op::Gt => "gt",
            Op::Le => "le",
            Op::Lt => "lt",
        })
    }
}

/// A literal on the right of a comparison.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Literal {
    String(String),
    Bool(bool),
    Null,
    Number(f64),
    /// An unquoted ISO 8601 date-time, kept as written (`2026-01-01T00:00:00Z`).
    DateTime(String),
}

/// Why a `$filter` does not parse; the message is shown to the caller.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Invalid filter clause: {0}")]
pub(crate) struct FilterError(pub String);

/// Filters longer than this are refused before parsing (a bound on work, not a rule of Graph's).
const MAX_LEN: usize = 2048;
/// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 16;

/// Parses a `$filter` value.
pub(crate) fn parse(text: &str) -> Result<Filter, FilterError> {
    if text.len() > MAX_LEN {
        return Err(FilterError(format!(
            "the filter is longer than {MAX_LEN} characters"
        )));
    }
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    let filter = parser.filter()?;
    match parser.peek() {
        None => Ok(filter),
        Some(token) => Err(FilterError(format!(
            "unexpected `{token}` after a complete clause"
        ))),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    Comma,
    Colon,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Word(w) => f.write_str(w),
            Token::Str(s) => write!(f, "'{s}'"),
            Token::Open => f.write_str("("),
            Token::Close => f.write_str(")"),
            Token::Comma => f.write_str(","),
            Token::Colon => f.write_str(":"),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' | ':' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    ',' => Token::Comma,
                    _ => Token::Colon,
                });
            }
            '\'' => {
                chars.next();
                let mut value = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            value.push('\'');
                        }
                        Some('\'') => break,
                        Some(ch) => value.push(ch),
                        None => {
                            return Err(FilterError(
                                "a string literal is not closed with `'`".into(),
                            ))
                        }
                    }
                }
                tokens.push(Token::Str(value));
            }
            _ => {
                let mut word = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || matches!(ch, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    // A colon ends a word except inside a date-time (12:00:00).
                    if ch == ':' && !word.chars().next().is_some_and(|f| f.is_ascii_digit()) {
                        break;
                    }
                    word.push(ch);
                    chars.next();
                }
                if word.is_empty() {
                    return Err(FilterError(format!("unexpected character `{c}`")));
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn expect(&mut self, wanted: &Token) -> Result<(), FilterError> {
        match self.next() {
            Some(ref token) if token == wanted => Ok(()),
            Some(token) => Err(FilterError(format!(
                "expected `{wanted}` but found `{token}`"
            ))),
            None => Err(FilterError(format!(
                "expected `{wanted}` but the filter ended"
            ))),
        }
    }

    fn filter(&mut self) -> Result<Filter, FilterError> {
        let mut clauses = vec![self.clause()?];
        while matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case("and")) {
            self.next();
            clauses.push(self.clause()?);
        }
        if matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case("or")) {
            return Err(FilterError(
                "`or` is not supported; send one request per alternative".into(),
            ));
        }
        Ok(if clauses.len() == 1 {
            clauses.remove(0)
        } else {
            Filter::And(clauses)
        })
    }

    fn clause(&mut self) -> Result<Filter, FilterError> {
        match self.next() {
            Some(Token::Open) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(FilterError(format!(
                        "parentheses nest deeper than {MAX_DEPTH}"
                    )));
                }
                let inner = self.filter()?;
                self.expect(&Token::Close)?;
                self.depth -= 1;
                Ok(inner)
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("startswith") => {
                self.expect(&Token::Open)?;
                let path = self.path()?;
                self.expect(&Token::Comma)?;
                let prefix = self.string()?;
                self.expect(&Token::Close)?;
                Ok(Filter::StartsWith { path, prefix })
            }
            Some(Token::Word(word)) => {
                if let Some(path) = word.strip_suffix("/any") {
                    return self.any(path);
                }
                let path = check_path(word)?;
                let op = match self.next() {
                    Some(Token::Word(op)) => match op.to_ascii_lowercase().as_str() {
                        "eq" => Op::Eq,
                        "ne" => Op::Ne,
                        "ge" => Op::Ge,
                        "gt" => Op::Gt,
                        "le" => Op::Le,
                        "lt" => Op::Lt,
                        other => {
                            return Err(FilterError(format!(
                                "`{other}` is not a supported operator (eq, ne, ge, gt, le, lt)"
                            )))
                        }
                    },
                    Some(token) => {
                        return Err(FilterError(format!(
                            "expected an operator after `{path}` but found `{token}`"
                        )))
                    }
                    None => {
                        return Err(FilterError(format!("expected an operator after `{path}`")))
                    }
                };
                let value = self.literal()?;
                Ok(Filter::Compare { path, op, value })
            }
            Some(token) => Err(FilterError(format!("a clause cannot start with `{token}`"))),
            None => Err(FilterError("the filter is empty".into())),
        }
    }

    fn any(&mut self, path: &str) -> Result<Filter, FilterError> {
        let path = check_path(path.to_owned())?;
        self.expect(&Token::Open)?;
        let var = self.word()?;
        self.expect(&Token::Colon)?;
        let again = self.word()?;
        if again != var {
            return Err(FilterError(format!(
                "the lambda uses `{again}` but declares `{var}`"
            )));
        }
        match self.next() {
            Some(Token::Word(op)) if op.eq_ignore_ascii_case("eq") => {}
            _ => {
                return Err(FilterError(format!(
                    "only `{var} eq '…'` is supported inside any()"
                )))
            }
        }
        let value = self.string()?;
        self.expect(&Token::Close)?;
        Ok(Filter::Any { path, value })
    }

    fn word(&mut self) -> Result<String, FilterError> {
        match self.next() {
            Some(Token::Word(w)) => Ok(w),
            Some(token) => Err(FilterError(format!("expected a name but found `{token}`"))),
            None => Err(FilterError("expected a name but the filter ended".into())),
        }
    }

    fn path(&mut self) -> Result<String, FilterError> {
        let word = self.word()?;
        check_path(word)
    }

    fn string(&mut self) -> Result<String, FilterError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(s),
            Some(token) => Err(FilterError(format!(
                "expected a quoted string but found `{token}`"
            ))),
            None => Err(FilterError(
                "expected a quoted string but the filter ended".into(),
            )),
        }
    }

    fn literal(&mut self) -> Result<Literal, FilterError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(Literal::String(s)),
            Some(Token::Word(w)) => match w.as_str() {
                "true" => Ok(Literal::Bool(true)),
                "false" => Ok(Literal::Bool(false)),
                "null" => Ok(Literal::Null),
                _ if is_date_time(&w) => Ok(Literal::DateTime(w)),
                _ => w
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map(Literal::Number)
                    .ok_or_else(|| {
                        FilterError(format!("`{w}` is not a value; quote strings like 'this'"))
                    }),
            },
            Some(token) => Err(FilterError(format!("expected a value but found `{token}`"))),
            None => Err(FilterError("expected a value but the filter ended".into())),
        }
    }
}

fn check_path(word: String) -> Result<String, FilterError> {
    let valid = !word.is_empty()
        && word.split('/').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if valid {
        Ok(word)
    } else {
        Err(FilterError(format!("`{word}` is not a property name")))
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`, checked loosely; the endpoint parses it properly.
fn is_date_time(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() >= 20
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: Result<Filter, &str>) {
        let actual = parse(text).map_err(|e| e.0);
        match expected {
            Ok(filter) => assert_eq!(actual, Ok(filter), "{text}"),
            Err(fragment) => {
                let message = actual.expect_err(text);
                assert!(message.contains(fragment), "{text}: {message}");
            }
        }
    }

    fn eq(path: &str, value: Literal) -> Filter {
        Filter::Compare {
            path: path.into(),
            op: Op::Eq,
            value,
        }
    }

    #[test]
    fn parses_what_graph_clients_send() {
        check(
            "activityDisplayName eq 'Add Passkey (device-bound) security key'",
            Ok(eq(
                "activityDisplayName",
                Literal::String("Add Passkey (device-bound) security key".into()),
            )),
        );
        check(
            "startswith(userPrincipalName,'ali')",
            Ok(Filter::StartsWith {
                path: "userPrincipalName".into(),
                prefix: "ali".into(),
            }),
        );
        check(
            "methodsRegistered/any(x:x eq 'passKeyDeviceBound')",
            Ok(Filter::Any {
                path: "methodsRegistered".into(),
                value: "passKeyDeviceBound".into(),
            }),
        );
        check(
            "isPasswordlessCapable eq true",
            Ok(eq("isPasswordlessCapable", Literal::Bool(true))),
        );
        check(
            "result eq 'success' and activityDateTime ge 2026-01-01T00:00:00Z",
            Ok(Filter::And(vec![
                eq("result", Literal::String("success".into())),
                Filter::Compare {
                    path: "activityDateTime".into(),
                    op: Op::Ge,
                    value: Literal::DateTime("2026-01-01T00:00:00Z".into()),
                },
            ])),
        );
        check(
            "displayName eq 'O''Brien'",
            Ok(eq("displayName", Literal::String("O'Brien".into()))),
        );
        check(
            "(result eq 'failure')",
            Ok(eq("result", Literal::String("failure".into()))),
        );
    }

    #[test]
    fn refuses_with_a_reason() {
        check("", Err("empty"));
        check("displayName eq 'open", Err("not closed"));
        check(
            "displayName like 'x'",
            Err("`like` is not a supported operator"),
        );
        check("a eq 'x' or b eq 'y'", Err("`or` is not supported"));
        check("displayName eq bare", Err("quote strings"));
        check("a eq 'x' )", Err("unexpected `)`"));
        check(&"(".repeat(40), Err("deeper than"));
        check(&"a".repeat(3000), Err("longer than"));
        check("tags/any(x:y eq 'a')", Err("declares `x`"));
    }
}
