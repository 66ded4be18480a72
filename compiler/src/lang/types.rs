//! Types and values of the language during compilation.
//!
//! A value is either an untyped compile-time integer ([`Val::Int`], what a
//! literal or a loop counter is until it meets a typed value) or a bundle of
//! signals ([`Lit`]s of the gate builder). A signal may be a public constant,
//! so "known at compile time" is simply "every bit is constant".

use crate::ir::{StructType, ValueType};
use crate::optimize::Lit;
use num_bigint::{BigInt, BigUint, Sign};
use std::fmt;
use std::sync::Arc;

/// Widest integer type accepted (`u65536`).
pub const MAX_WIDTH: u64 = 1 << 16;
/// Longest array accepted.
pub const MAX_ARRAY_LEN: u64 = 1 << 20;
/// Most bits one value (input, output, variable) may occupy.
pub const MAX_VALUE_BITS: u64 = 1 << 22;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ty {
    Bool,
    UInt(u32),
    SInt(u32),
    /// An untyped compile-time integer (a literal, a loop counter).
    Int,
    Array(Box<Ty>, u32),
    Tuple(Vec<Ty>),
    /// A declared `struct`: types are equal when they are the same
    /// declaration (names are unique among a program's types).
    Struct(Arc<StructTy>),
}

/// A resolved `struct` declaration: its fields' types are evaluated once,
/// and every value of it shares them.
#[derive(Debug, PartialEq, Eq)]
pub struct StructTy {
    pub name: String,
    pub fields: Vec<(String, Ty)>,
}

impl StructTy {
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|(n, _)| n == name)
    }
}

impl Ty {
    pub fn unit() -> Ty {
        Ty::Tuple(Vec::new())
    }

    /// Number of signal bits; `None` if the type holds an untyped integer.
    pub fn bits(&self) -> Option<u64> {
        Some(match self {
            Ty::Bool => 1,
            Ty::UInt(w) | Ty::SInt(w) => *w as u64,
            Ty::Int => return None,
            Ty::Array(t, n) => t.bits()?.saturating_mul(*n as u64),
            Ty::Tuple(ts) => {
                let mut sum = 0u64;
                for t in ts {
                    sum = sum.saturating_add(t.bits()?);
                }
                sum
            }
            Ty::Struct(s) => {
                let mut sum = 0u64;
                for (_, t) in &s.fields {
                    sum = sum.saturating_add(t.bits()?);
                }
                sum
            }
        })
    }

    pub fn is_int(&self) -> bool {
        matches!(self, Ty::UInt(_) | Ty::SInt(_))
    }

    pub fn value_type(&self) -> Option<ValueType> {
        Some(match self {
            Ty::Bool => ValueType::Bool,
            Ty::UInt(w) => ValueType::UInt(*w),
            Ty::SInt(w) => ValueType::SInt(*w),
            Ty::Int => return None,
            Ty::Array(t, n) => ValueType::Array(Box::new(t.value_type()?), *n),
            Ty::Tuple(ts) => {
                ValueType::Tuple(ts.iter().map(Ty::value_type).collect::<Option<Vec<_>>>()?)
            }
            Ty::Struct(s) => ValueType::Struct(Box::new(StructType {
                name: s.name.clone(),
                fields: s
                    .fields
                    .iter()
                    .map(|(n, t)| Some((n.clone(), t.value_type()?)))
                    .collect::<Option<Vec<_>>>()?,
            })),
        })
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Bool => f.write_str("bool"),
            Ty::UInt(w) => write!(f, "u{w}"),
            Ty::SInt(w) => write!(f, "i{w}"),
            Ty::Int => f.write_str("{integer}"),
            Ty::Array(t, n) => write!(f, "[{t}; {n}]"),
            Ty::Tuple(ts) => {
                f.write_str("(")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                if ts.len() == 1 {
                    f.write_str(",")?;
                }
                f.write_str(")")
            }
            Ty::Struct(s) => f.write_str(&s.name),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    /// `bool` (one bit) or an integer type; bits least significant first.
    Bits(Ty, Vec<Lit>),
    Int(BigInt),
    /// Element type and elements.
    Array(Ty, Vec<Val>),
    Tuple(Vec<Val>),
    /// A struct's field values, in declaration order.
    Struct(Arc<StructTy>, Vec<Val>),
    /// The result of an expression that already produced an error.
    Error,
}

impl Val {
    pub fn unit() -> Val {
        Val::Tuple(Vec::new())
    }

    pub fn bool(b: Lit) -> Val {
        Val::Bits(Ty::Bool, vec![b])
    }

    /// `None` for [`Val::Error`].
    pub fn ty(&self) -> Option<Ty> {
        Some(match self {
            Val::Bits(t, _) => t.clone(),
            Val::Int(_) => Ty::Int,
            Val::Array(t, vs) => Ty::Array(Box::new(t.clone()), vs.len() as u32),
            Val::Tuple(vs) => Ty::Tuple(vs.iter().map(Val::ty).collect::<Option<Vec<_>>>()?),
            Val::Struct(s, _) => Ty::Struct(s.clone()),
            Val::Error => return None,
        })
    }

    /// Appends the value's signals in the IR's order (integers LSB first,
    /// arrays element 0 first, tuples field 0 first).
    pub fn flatten(&self, out: &mut Vec<Lit>) {
        match self {
            Val::Bits(_, bits) => out.extend_from_slice(bits),
            Val::Array(_, vs) | Val::Tuple(vs) | Val::Struct(_, vs) => {
                vs.iter().for_each(|v| v.flatten(out))
            }
            Val::Int(_) | Val::Error => {}
        }
    }

    /// The inverse of [`Val::flatten`] for a signal type.
    pub fn unflatten(ty: &Ty, bits: &mut impl Iterator<Item = Lit>) -> Val {
        match ty {
            Ty::Bool | Ty::UInt(_) | Ty::SInt(_) => {
                let n = ty.bits().unwrap_or(0) as usize;
                Val::Bits(ty.clone(), bits.take(n).collect())
            }
            Ty::Int => Val::Error,
            Ty::Array(t, n) => Val::Array(
                (**t).clone(),
                (0..*n).map(|_| Val::unflatten(t, bits)).collect(),
            ),
            Ty::Tuple(ts) => Val::Tuple(ts.iter().map(|t| Val::unflatten(t, bits)).collect()),
            Ty::Struct(s) => Val::Struct(
                s.clone(),
                s.fields
                    .iter()
                    .map(|(_, t)| Val::unflatten(t, bits))
                    .collect(),
            ),
        }
    }

    /// The integer this value is known to be at compile time, if any.
    pub fn const_int(&self) -> Option<BigInt> {
        match self {
            Val::Int(v) => Some(v.clone()),
            Val::Bits(ty @ (Ty::UInt(_) | Ty::SInt(_)), bits) => {
                let mut mag = BigUint::default();
                for (i, b) in bits.iter().enumerate() {
                    if b.constant()? {
                        mag.set_bit(i as u64, true);
                    }
                }
                let mut v = BigInt::from_biguint(Sign::Plus, mag);
                if matches!(ty, Ty::SInt(_)) && bits.last().and_then(|b| b.constant()) == Some(true)
                {
                    v -= BigInt::from(1) << bits.len();
                }
                Some(v)
            }
            _ => None,
        }
    }
}

/// The `width`-bit two's-complement pattern of `v` (wrapping), LSB first.
pub fn int_to_bits(v: &BigInt, width: u32) -> Vec<Lit> {
    let m = BigInt::from(1) << width as usize;
    let r = ((v % &m) + &m) % &m;
    let mag = r.magnitude();
    (0..width as u64)
        .map(|i| Lit::from_bool(mag.bit(i)))
        .collect()
}

/// Whether `v` is representable in the integer type `ty` without wrapping.
pub fn fits(v: &BigInt, ty: &Ty) -> bool {
    let one = BigInt::from(1);
    match *ty {
        Ty::UInt(w) => v.sign() != Sign::Minus && v.bits() <= w as u64,
        Ty::SInt(w) => {
            let half = &one << (w as usize - 1);
            *v >= -half.clone() && *v < half
        }
        _ => false,
    }
}
