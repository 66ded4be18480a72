//! Input and output values: the text a user types (`42`, `-3`, `0xff`,
//! `true`, `[1, 2, 3]`, `(1, true)`, `{x: 3, y: -4}` for a struct) and the
//! bits a circuit group carries.
//!
//! Parsing is split in two: [`Value::parse`] reads the syntax without knowing
//! the type, and [`Value::encode`] checks it against the group's
//! [`ValueType`] and lays out the bits (little-endian). [`Value::decode`] goes
//! back from bits to a value, and `Display` prints it the way it is parsed.

use crate::ir::ValueType;
use num_bigint::{BigInt, Sign};
use std::fmt;

/// A value of any [`ValueType`]. Integers are arbitrary precision so that a
/// 512-bit SHA-256 block is as easy to pass as a `u8`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(BigInt),
    Array(Vec<Value>),
    Tuple(Vec<Value>),
    /// A struct's fields by name, `{x: 3, y: 4}`: encoded in the order its
    /// type declares them, whatever order the text gives them in.
    Struct(Vec<(String, Value)>),
}

/// Rust integers and `bool` as values, so that a library caller writes
/// `Value::from(42u64)` instead of building a `BigInt`.
macro_rules! from_primitive {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                Value::Int(BigInt::from(v))
            }
        }
    )*};
}

from_primitive!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<BigInt> for Value {
    fn from(i: BigInt) -> Value {
        Value::Int(i)
    }
}

/// Why a value could not be read or does not fit its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("cannot read `{text}` as a value: {reason}")]
    Syntax { text: String, reason: String },
    #[error("{} does not fit in {ty}: the range is {} to {}", show(.value), show(.min), show(.max))]
    OutOfRange {
        value: BigInt,
        ty: ValueType,
        min: BigInt,
        max: BigInt,
    },
    #[error("expected {expected}, found {found}")]
    Shape { expected: String, found: String },
    #[error("struct `{name}`: {reason}")]
    Field { name: String, reason: String },
    #[error("{ty} takes {expected} elements, found {found}")]
    Length {
        ty: ValueType,
        expected: usize,
        found: usize,
    },
}

impl Value {
    /// Reads a value: `true`/`false`, decimal (optionally negative), `0x`
    /// hex, `0b` binary, `_` separators, `[a, b, ...]` arrays,
    /// `(a, b, ...)` tuples and `{name: a, ...}` structs.
    pub fn parse(text: &str) -> Result<Value, ValueError> {
        let mut p = Parser { text, pos: 0 };
        let v = p.value(0)?;
        p.skip_ws();
        if p.pos != text.len() {
            return Err(p.error(format!("unexpected `{}` after the value", &text[p.pos..])));
        }
        Ok(v)
    }

    /// The bits of this value as type `ty` (least significant first). The
    /// value must be in the type's range (`-128..=127` for `i8`), whatever
    /// base it was written in.
    pub fn encode(&self, ty: &ValueType) -> Result<Vec<bool>, ValueError> {
        let mut bits = Vec::with_capacity(ty.width().min(1 << 20) as usize);
        self.encode_into(ty, &mut bits)?;
        Ok(bits)
    }

    fn encode_into(&self, ty: &ValueType, bits: &mut Vec<bool>) -> Result<(), ValueError> {
        match (ty, self) {
            (ValueType::Bool, Value::Bool(b)) => bits.push(*b),
            (ValueType::Bool, Value::Int(i)) if *i == BigInt::from(0) || *i == BigInt::from(1) => {
                bits.push(*i == BigInt::from(1))
            }
            (ValueType::UInt(w) | ValueType::SInt(w), Value::Int(i)) => {
                let (min, max) = int_range(ty);
                if *i < min || *i > max {
                    return Err(ValueError::OutOfRange {
                        value: i.clone(),
                        ty: ty.clone(),
                        min,
                        max,
                    });
                }
                let modulus = BigInt::from(1) << *w as usize;
                let unsigned = ((i % &modulus) + &modulus) % &modulus;
                let (_, digits) = unsigned.to_u64_digits();
                for k in 0..*w as usize {
                    let word = digits.get(k / 64).copied().unwrap_or(0);
                    bits.push((word >> (k % 64)) & 1 == 1);
                }
            }
            (ValueType::UInt(_) | ValueType::SInt(_), Value::Bool(b)) => {
                return Err(ValueError::Shape {
                    expected: ty.to_string(),
                    found: format!("`{b}`"),
                })
            }
            (ValueType::Array(elem, n), Value::Array(items)) => {
                if items.len() != *n as usize {
                    return Err(ValueError::Length {
                        ty: ty.clone(),
                        expected: *n as usize,
                        found: items.len(),
                    });
                }
                for item in items {
                    item.encode_into(elem, bits)?;
                }
            }
            (ValueType::Tuple(tys), Value::Tuple(items)) => {
                if items.len() != tys.len() {
                    return Err(ValueError::Length {
                        ty: ty.clone(),
                        expected: tys.len(),
                        found: items.len(),
                    });
                }
                for (item, t) in items.iter().zip(tys) {
                    item.encode_into(t, bits)?;
                }
            }
            (ValueType::Struct(st), Value::Struct(items)) => {
                for v in struct_fields(&st.name, &st.fields, items)? {
                    v.0.encode_into(v.1, bits)?;
                }
            }
            (ty, v) => {
                return Err(ValueError::Shape {
                    expected: ty.to_string(),
                    found: v.kind(),
                })
            }
        }
        Ok(())
    }

    /// Reads `bits` (least significant first) as a value of type `ty`.
    /// Returns `None` when the number of bits does not match the type.
    pub fn decode(bits: &[bool], ty: &ValueType) -> Option<Value> {
        if bits.len() as u64 != ty.width() {
            return None;
        }
        Some(Self::decode_exact(bits, ty))
    }

    fn decode_exact(bits: &[bool], ty: &ValueType) -> Value {
        match ty {
            ValueType::Bool => Value::Bool(bits[0]),
            ValueType::UInt(_) | ValueType::SInt(_) => {
                let mut digits = vec![0u32; bits.len().div_ceil(32)];
                for (k, &b) in bits.iter().enumerate() {
                    digits[k / 32] |= (b as u32) << (k % 32);
                }
                let mut v = BigInt::from_slice(Sign::Plus, &digits);
                if matches!(ty, ValueType::SInt(_)) && bits.last() == Some(&true) {
                    v -= BigInt::from(1) << bits.len();
                }
                Value::Int(v)
            }
            ValueType::Array(elem, n) => {
                let w = elem.width() as usize;
                Value::Array(
                    (0..*n as usize)
                        .map(|i| Self::decode_exact(&bits[i * w..(i + 1) * w], elem))
                        .collect(),
                )
            }
            ValueType::Tuple(tys) => {
                let mut at = 0;
                Value::Tuple(
                    tys.iter()
                        .map(|t| {
                            let w = t.width() as usize;
                            at += w;
                            Self::decode_exact(&bits[at - w..at], t)
                        })
                        .collect(),
                )
            }
            ValueType::Struct(st) => {
                let mut at = 0;
                Value::Struct(
                    st.fields
                        .iter()
                        .map(|(n, t)| {
                            let w = t.width() as usize;
                            at += w;
                            (n.clone(), Self::decode_exact(&bits[at - w..at], t))
                        })
                        .collect(),
                )
            }
        }
    }

    /// Prints the value with integers in `0x` hex (negative ones as their
    /// two's-complement pattern is not what a user expects, so they keep a sign).
    pub fn to_hex_string(&self) -> String {
        match self {
            Value::Bool(b) => b.to_string(),
            Value::Int(i) if i.sign() == Sign::Minus => format!("-0x{:x}", -i),
            Value::Int(i) => format!("0x{i:x}"),
            Value::Array(items) => list("[", items.iter().map(Value::to_hex_string), "]"),
            Value::Tuple(items) => list("(", items.iter().map(Value::to_hex_string), ")"),
            Value::Struct(fields) => list(
                "{",
                fields
                    .iter()
                    .map(|(n, v)| format!("{n}: {}", v.to_hex_string())),
                "}",
            ),
        }
    }

    fn kind(&self) -> String {
        match self {
            Value::Bool(b) => format!("`{b}`"),
            Value::Int(i) => format!("the number {i}"),
            Value::Array(items) => format!("an array of {} elements", items.len()),
            Value::Tuple(items) => format!("a tuple of {} elements", items.len()),
            Value::Struct(_) => "a struct value `{...}`".into(),
        }
    }
}

fn list(open: &str, items: impl Iterator<Item = String>, close: &str) -> String {
    let items: Vec<String> = items.collect();
    format!("{open}{}{close}", items.join(", "))
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Array(items) => {
                f.write_str(&list("[", items.iter().map(|v| v.to_string()), "]"))
            }
            Value::Tuple(items) => {
                f.write_str(&list("(", items.iter().map(|v| v.to_string()), ")"))
            }
            Value::Struct(fields) => f.write_str(&list(
                "{",
                fields.iter().map(|(n, v)| format!("{n}: {v}")),
                "}",
            )),
        }
    }
}

/// The values of a struct's fields paired with their types, in the order
/// the type declares them: every field given once, and no other.
fn struct_fields<'v, 't>(
    name: &str,
    fields: &'t [(String, ValueType)],
    items: &'v [(String, Value)],
) -> Result<Vec<(&'v Value, &'t ValueType)>, ValueError> {
    let err = |reason: String| ValueError::Field {
        name: name.to_string(),
        reason,
    };
    for (i, (n, _)) in items.iter().enumerate() {
        if items[..i].iter().any(|(m, _)| m == n) {
            return Err(err(format!("field `{n}` is given twice")));
        }
        if !fields.iter().any(|(f, _)| f == n) {
            let names = fields.iter().map(|(f, _)| f.as_str());
            let hint = match crate::lang::nearest(n, names) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None => String::new(),
            };
            return Err(err(format!(
                "it has no field `{n}`{hint}; its fields are {}",
                field_list(fields)
            )));
        }
    }
    fields
        .iter()
        .map(|(f, t)| match items.iter().find(|(n, _)| n == f) {
            Some((_, v)) => Ok((v, t)),
            None => Err(err(format!(
                "field `{f}` is missing; its fields are {}",
                field_list(fields)
            ))),
        })
        .collect()
}

fn field_list(fields: &[(String, ValueType)]) -> String {
    let names: Vec<String> = fields.iter().map(|(f, _)| format!("`{f}`")).collect();
    names.join(", ")
}

/// An integer for an error message: decimal while it is short, otherwise
/// its size (a 512-bit bound in decimal is 155 unreadable digits). Range
/// bounds are powers of two (minus one), so they print as such.
fn show(v: &BigInt) -> String {
    if v.bits() <= 64 {
        return v.to_string();
    }
    let magnitude = v.magnitude();
    let sign = if v.sign() == Sign::Minus { "-" } else { "" };
    if magnitude.count_ones() == 1 {
        format!("{sign}2^{}", magnitude.bits() - 1)
    } else if magnitude.count_ones() == magnitude.bits() {
        format!("{sign}2^{} - 1", magnitude.bits())
    } else {
        format!("a {}-bit number ({sign}0x{magnitude:x})", magnitude.bits())
    }
}

/// The decimal range of an integer type: `0..=2^w-1` or `-2^(w-1)..=2^(w-1)-1`.
fn int_range(ty: &ValueType) -> (BigInt, BigInt) {
    match *ty {
        ValueType::SInt(w) if w > 0 => {
            let half = BigInt::from(1) << (w as usize - 1);
            (-half.clone(), half - 1)
        }
        ValueType::UInt(w) | ValueType::SInt(w) => {
            (BigInt::from(0), (BigInt::from(1) << w as usize) - 1)
        }
        _ => (BigInt::from(0), BigInt::from(1)),
    }
}

/// Nesting deeper than this is refused, so a hostile `[[[[...` cannot
/// overflow the stack.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: String) -> ValueError {
        ValueError::Syntax {
            text: self.text.to_string(),
            reason,
        }
    }

    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += self.text[self.pos..]
                .chars()
                .next()
                .map_or(1, char::len_utf8);
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ValueError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("nested more than {MAX_DEPTH} levels deep")));
        }
        self.skip_ws();
        let rest = &self.text[self.pos..];
        if rest.starts_with('{') {
            self.pos += 1;
            return self.struct_value(depth);
        }
        if rest.starts_with('[') || rest.starts_with('(') {
            let close = if rest.starts_with('[') { ']' } else { ')' };
            self.pos += 1;
            let mut items = Vec::new();
            loop {
                self.skip_ws();
                if self.text[self.pos..].starts_with(close) {
                    self.pos += 1;
                    break;
                }
                items.push(self.value(depth + 1)?);
                self.skip_ws();
                let rest = &self.text[self.pos..];
                if rest.starts_with(',') {
                    self.pos += 1;
                } else if rest.starts_with(close) {
                    self.pos += 1;
                    break;
                } else if rest.is_empty() {
                    return Err(self.error(format!("missing closing `{close}`")));
                } else {
                    return Err(self.error(format!("expected `,` or `{close}` at `{rest}`")));
                }
            }
            return Ok(if close == ']' {
                Value::Array(items)
            } else {
                Value::Tuple(items)
            });
        }
        let end = rest
            .find(|c: char| {
                c.is_whitespace() || matches!(c, ',' | ']' | ')' | '[' | '(' | '{' | '}' | ':')
            })
            .unwrap_or(rest.len());
        let token = &rest[..end];
        self.pos += end;
        match token {
            "true" => return Ok(Value::Bool(true)),
            "false" => return Ok(Value::Bool(false)),
            "" => return Err(self.error("expected a value".into())),
            _ => {}
        }
        let (negative, digits) = match token.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, token.strip_prefix('+').unwrap_or(token)),
        };
        let (radix, digits) =
            if let Some(d) = digits.strip_prefix("0x").or(digits.strip_prefix("0X")) {
                (16, d)
            } else if let Some(d) = digits.strip_prefix("0b").or(digits.strip_prefix("0B")) {
                (2, d)
            } else {
                (10, digits)
            };
        let clean: String = digits.chars().filter(|&c| c != '_').collect();
        let magnitude = BigInt::parse_bytes(clean.as_bytes(), radix)
            .filter(|_| !clean.is_empty() && !clean.starts_with(['+', '-']))
            .ok_or_else(|| {
                self.error(format!(
                    "`{token}` is not a number (decimal, 0x hex or 0b binary) nor true/false"
                ))
            })?;
        Ok(Value::Int(if negative { -magnitude } else { magnitude }))
    }

    /// The fields of `{name: value, ...}`, after the `{`.
    fn struct_value(&mut self, depth: usize) -> Result<Value, ValueError> {
        let mut fields = Vec::new();
        loop {
            self.skip_ws();
            let rest = &self.text[self.pos..];
            if rest.starts_with('}') {
                self.pos += 1;
                return Ok(Value::Struct(fields));
            }
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let name = &rest[..len];
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(self.error(format!(
                    "expected a field name at `{rest}` (struct values are written `{{x: 3, y: 4}}`)"
                )));
            }
            self.pos += len;
            self.skip_ws();
            if !self.text[self.pos..].starts_with(':') {
                return Err(self.error(format!("expected `:` after field `{name}`")));
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            fields.push((name.to_string(), value));
            self.skip_ws();
            let rest = &self.text[self.pos..];
            if rest.starts_with(',') {
                self.pos += 1;
            } else if rest.starts_with('}') {
                self.pos += 1;
                return Ok(Value::Struct(fields));
            } else if rest.is_empty() {
                return Err(self.error("missing closing `}`".into()));
            } else {
                return Err(self.error(format!("expected `,` or `}}` at `{rest}`")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::StructType;

    fn round_trip(text: &str, ty: &ValueType) -> String {
        let bits = Value::parse(text).unwrap().encode(ty).unwrap();
        Value::decode(&bits, ty).unwrap().to_string()
    }

    #[test]
    fn integers_round_trip() {
        assert_eq!(round_trip("42", &ValueType::UInt(8)), "42");
        assert_eq!(round_trip("0xff", &ValueType::UInt(8)), "255");
        assert_eq!(round_trip("-3", &ValueType::SInt(8)), "-3");
        assert_eq!(round_trip("-0x80", &ValueType::SInt(8)), "-128");
        assert_eq!(round_trip("-128", &ValueType::SInt(8)), "-128");
        assert_eq!(round_trip("1_000", &ValueType::UInt(16)), "1000");
        let big = "0x000102030405060708090a0b0c0d0e0f";
        assert_eq!(
            Value::parse(big)
                .unwrap()
                .encode(&ValueType::UInt(128))
                .unwrap()[..16],
            [
                true, true, true, true, false, false, false, false, false, true, true, true, false,
                false, false, false
            ]
        );
    }

    #[test]
    fn bits_are_little_endian() {
        let bits = Value::parse("6")
            .unwrap()
            .encode(&ValueType::UInt(4))
            .unwrap();
        assert_eq!(bits, [false, true, true, false]);
    }

    #[test]
    fn compound_values() {
        let ty = ValueType::Array(Box::new(ValueType::SInt(4)), 3);
        assert_eq!(round_trip("[1, -2, 7]", &ty), "[1, -2, 7]");
        let ty = ValueType::Tuple(vec![ValueType::Bool, ValueType::UInt(3)]);
        assert_eq!(round_trip("(true, 5)", &ty), "(true, 5)");
        assert_eq!(Value::parse("[1,2]").unwrap().to_hex_string(), "[0x1, 0x2]");
    }

    fn point() -> ValueType {
        ValueType::Struct(Box::new(StructType {
            name: "P".into(),
            fields: vec![
                ("x".into(), ValueType::SInt(8)),
                (
                    "ys".into(),
                    ValueType::Array(Box::new(ValueType::UInt(4)), 2),
                ),
            ],
        }))
    }

    #[test]
    fn structs_by_name() {
        let ty = point();
        assert_eq!(
            round_trip("{x: -3, ys: [1, 2]}", &ty),
            "{x: -3, ys: [1, 2]}"
        );
        // Any order in, declaration order out; bits follow the declaration.
        assert_eq!(
            round_trip(" { ys:[1,2] , x:5 } ", &ty),
            "{x: 5, ys: [1, 2]}"
        );
        let bits = Value::parse("{ys: [1, 2], x: 5}")
            .unwrap()
            .encode(&ty)
            .unwrap();
        assert_eq!(
            bits[..8],
            [true, false, true, false, false, false, false, false]
        );
        assert_eq!(bits[8..12], [true, false, false, false]);
        assert_eq!(
            Value::parse("{x: 255, ys: [0, 15]}")
                .unwrap()
                .to_hex_string(),
            "{x: 0xff, ys: [0x0, 0xf]}"
        );
        let nested = ValueType::Struct(Box::new(StructType {
            name: "Q".into(),
            fields: vec![("p".into(), point()), ("ok".into(), ValueType::Bool)],
        }));
        assert_eq!(
            round_trip("{ok: true, p: {x: 1, ys: [3, 4]}}", &nested),
            "{p: {x: 1, ys: [3, 4]}, ok: true}"
        );
        assert_eq!(ty.to_string(), "P");
        assert_eq!(
            nested.layout(),
            "Q { p: P { x: i8, ys: [u4; 2] }, ok: bool }"
        );
        assert_eq!(
            ValueType::Array(Box::new(nested.clone()), 2).to_string(),
            "[Q; 2]"
        );
    }

    #[test]
    fn struct_errors_name_the_field() {
        let ty = point();
        let e = |text: &str| {
            Value::parse(text)
                .and_then(|v| v.encode(&ty))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e("{x: 1, yz: [1, 2]}"),
            "struct `P`: it has no field `yz` (did you mean `ys`?); its fields are `x`, `ys`"
        );
        assert_eq!(
            e("{x: 1}"),
            "struct `P`: field `ys` is missing; its fields are `x`, `ys`"
        );
        assert_eq!(
            e("{x: 1, x: 2, ys: [1, 2]}"),
            "struct `P`: field `x` is given twice"
        );
        assert!(e("{x: 1, ys: [1, 2]").contains("missing closing `}`"));
        assert!(e("{x 1}").contains("expected `:` after field `x`"));
        assert!(e("{1: 1}").contains("expected a field name"));
        assert!(e("{x: 200, ys: [1, 2]}").contains("does not fit in i8"));
        assert!(e("(1, [1, 2])").contains("expected P, found a tuple"));
        let deep = "{a: ".repeat(10_000);
        assert!(Value::parse(&deep).is_err());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let e = Value::parse("256")
            .unwrap()
            .encode(&ValueType::UInt(8))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "256 does not fit in u8: the range is 0 to 255"
        );
        let e = Value::parse("0x10000000000000001")
            .unwrap()
            .encode(&ValueType::UInt(64))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "a 65-bit number (0x10000000000000001) does not fit in u64: the range is 0 to 18446744073709551615"
        );
        let e = Value::parse("-0x10")
            .unwrap()
            .encode(&ValueType::UInt(512))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "-16 does not fit in u512: the range is 0 to 2^512 - 1"
        );
        let e = Value::parse(&format!("0x{}", "f".repeat(40)))
            .unwrap()
            .encode(&ValueType::SInt(128))
            .unwrap_err();
        assert!(
            e.to_string().ends_with("the range is -2^127 to 2^127 - 1"),
            "{e}"
        );
        let e = Value::parse("128")
            .unwrap()
            .encode(&ValueType::SInt(8))
            .unwrap_err();
        assert!(e.to_string().contains("-128 to 127"), "{e}");
        assert!(Value::parse("-1")
            .unwrap()
            .encode(&ValueType::UInt(8))
            .is_err());
        assert!(Value::parse("12a").is_err());
        assert!(Value::parse("[1, 2").is_err());
        assert!(Value::parse("0x").is_err());
        assert!(Value::parse("--1").is_err());
        assert!(Value::parse("1 2").is_err());
        let ty = ValueType::Array(Box::new(ValueType::UInt(4)), 3);
        assert!(matches!(
            Value::parse("[1, 2]").unwrap().encode(&ty),
            Err(ValueError::Length {
                expected: 3,
                found: 2,
                ..
            })
        ));
        assert!(matches!(
            Value::parse("5").unwrap().encode(&ty),
            Err(ValueError::Shape { .. })
        ));
        let deep = "[".repeat(10_000);
        assert!(Value::parse(&deep).is_err());
    }
}
