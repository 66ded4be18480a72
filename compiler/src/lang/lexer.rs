//! Source text to tokens, with `nom` recognizers for each token class.
//!
//! The lexer never fails: an unexpected character or an unterminated comment
//! becomes an [`Error`] and lexing continues, so the parser still sees the rest
//! of the file and can report its errors too.

use super::diagnostics::{Error, Span};
use nom::branch::alt;
use nom::bytes::complete::{tag, take_until, take_while, take_while1};
use nom::character::complete::{char, satisfy};
use nom::combinator::recognize;
use nom::sequence::pair;
use nom::{IResult, Parser};
use num_bigint::BigUint;

/// Longest integer literal accepted, in characters (bounds the big-integer work).
pub const MAX_LITERAL_LEN: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// Identifiers and keywords (the parser tells them apart).
    Ident(String),
    Int(BigUint),
    Str(String),
    Punct(&'static str),
    Eof,
}

impl Tok {
    /// How the token is named in "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Int(n) => format!("`{n}`"),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Eof => "end of file".into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

const PUNCTS: [&str; 47] = [
    "<<=", ">>=", "..=", "=>", "->", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "++", "+=",
    "-=", "*=", "/=", "%=", "^=", "&=", "|=", "..", "::", "+", "-", "*", "/", "%", "^", "&", "|",
    "!", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "@",
];

fn ident(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

/// A digit followed by anything alphanumeric: `12`, `0xff_00`, and also bad
/// ones like `12abc`, which [`int_value`] then rejects with a clear message.
fn number(i: &str) -> IResult<&str, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_digit()),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

fn string(i: &str) -> IResult<&str, &str> {
    let (rest, _) = char('"').parse(i)?;
    let (rest, body) = take_while(|c| c != '"' && c != '\n').parse(rest)?;
    let (rest, _) = char('"').parse(rest)?;
    Ok((rest, body))
}

fn line_comment(i: &str) -> IResult<&str, &str> {
    recognize(pair(tag("//"), take_while(|c| c != '\n'))).parse(i)
}

fn block_comment(i: &str) -> IResult<&str, &str> {
    recognize((tag("/*"), take_until("*/"), tag("*/"))).parse(i)
}

fn trivia(i: &str) -> IResult<&str, &str> {
    alt((
        take_while1(char::is_whitespace),
        line_comment,
        block_comment,
    ))
    .parse(i)
}

fn int_value(text: &str) -> Result<BigUint, String> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    let (digits, radix) = if let Some(d) = clean.strip_prefix("0x") {
        (d, 16)
    } else if let Some(d) = clean.strip_prefix("0b") {
        (d, 2)
    } else if let Some(d) = clean.strip_prefix("0o") {
        (d, 8)
    } else {
        (clean.as_str(), 10)
    };
    if digits.is_empty() {
        return Err(format!("integer literal `{text}` has no digits"));
    }
    BigUint::parse_bytes(digits.as_bytes(), radix).ok_or_else(|| {
        let kind = match radix {
            16 => "hexadecimal",
            2 => "binary",
            8 => "octal",
            _ => "decimal",
        };
        format!("invalid {kind} integer literal `{text}`")
    })
}

/// Splits `src` into tokens (ending with [`Tok::Eof`]) and lexical errors.
pub fn lex(file: u32, src: &str) -> (Vec<Token>, Vec<Error>) {
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    let mut rest = src;
    let pos = |rest: &str| src.len() - rest.len();
    while !rest.is_empty() {
        let start = pos(rest);
        if let Ok((r, _)) = trivia(rest) {
            rest = r;
            continue;
        }
        let span_to = |r: &str| Span::new(file, start, src.len() - r.len());
        if rest.starts_with("/*") {
            errors.push(
                Error::new(
                    Span::new(file, start, start + 2),
                    "unterminated block comment",
                )
                .label("this comment is never closed")
                .hint("close it with `*/`"),
            );
            break;
        }
        if let Ok((r, s)) = ident(rest) {
            tokens.push(Token {
                tok: Tok::Ident(s.to_string()),
                span: span_to(r),
            });
            rest = r;
        } else if let Ok((r, s)) = number(rest) {
            let span = span_to(r);
            let tok = if s.len() > MAX_LITERAL_LEN {
                errors.push(Error::new(
                    span,
                    format!("integer literal is longer than {MAX_LITERAL_LEN} characters"),
                ));
                Tok::Int(BigUint::default())
            } else {
                match int_value(s) {
                    Ok(v) => Tok::Int(v),
                    Err(m) => {
                        errors.push(Error::new(span, m).hint(
                            "integers are written `42`, `0x2a`, `0b101010` or `0o52`; \
                             give a type with `as`, e.g. `42 as u8`",
                        ));
                        Tok::Int(BigUint::default())
                    }
                }
            };
            tokens.push(Token { tok, span });
            rest = r;
        } else if rest.starts_with('"') {
            match string(rest) {
                Ok((r, s)) => {
                    tokens.push(Token {
                        tok: Tok::Str(s.to_string()),
                        span: span_to(r),
                    });
                    rest = r;
                }
                Err(_) => {
                    let end = rest.find('\n').unwrap_or(rest.len());
                    errors.push(
                        Error::new(Span::new(file, start, start + end), "unterminated string")
                            .hint("strings end with `\"` on the same line"),
                    );
                    rest = &rest[end..];
                }
            }
        } else if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            tokens.push(Token {
                tok: Tok::Punct(p),
                span: Span::new(file, start, start + p.len()),
            });
            rest = &rest[p.len()..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            let mut e = Error::new(
                Span::new(file, start, start + c.len_utf8()),
                format!("unexpected character `{}`", c.escape_debug()),
            );
            if c == '~' {
                e = e.hint("bitwise NOT is written `!`");
            }
            errors.push(e);
            rest = &rest[c.len_utf8()..];
        }
    }
    tokens.push(Token {
        tok: Tok::Eof,
        span: Span::new(file, src.len(), src.len()),
    });
    (tokens, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_errors() {
        let (t, e) = lex(0, "let x = 0xff_ff; // c\n a <<= b.0 $ \"f.yao\" 12q");
        let kinds: Vec<_> = t.iter().map(|t| t.tok.clone()).collect();
        assert_eq!(kinds[0], Tok::Ident("let".into()));
        assert_eq!(kinds[3], Tok::Int(BigUint::from(0xffffu32)));
        assert!(kinds.contains(&Tok::Punct("<<=")));
        assert!(kinds.contains(&Tok::Str("f.yao".into())));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(e[0].message.contains('$'));
        assert!(e[1].message.contains("12q"));
    }
}
