//! Rust values in and out of a circuit: [`IntoValue`] for inputs and
//! [`FromValue`] for outputs, both through the compiler's [`Value`], whose
//! encoding to and from bits is the one the command line uses.
//!
//! # Integers
//!
//! An input integer is checked by value, as on the command line: `5` (an
//! `i32` literal) sets a `u64` input, and `300u16` for a `u8` input is
//! refused because 300 does not fit, not because a `u16` is wider. An output
//! is checked by type, so that reading it cannot fail for some values only:
//! `get::<u64>` reads any `u1`..`u64` output, `get::<i64>` any `i1`..`i64`
//! and `u1`..`u63`, and `get::<u8>` refuses a `u16` output even if it holds 7.
//! A `bool` sets and reads a `bool` or a 1-bit unsigned integer (Bristol
//! files have no `bool`: their 1-bit groups are `u1`).
//!
//! # Bytes
//!
//! Byte strings (`[u8; N]`, `&[u8]`, `Vec<u8>`) fit an array-of-`u8` input
//! element by element (element `i` is byte `i`), and an unsigned integer
//! input of exactly `8 * N` bits **big-endian**: byte 0 is the most
//! significant, as the number is written in hex and as `u128::from_be_bytes`
//! reads it, so `[0x00, 0x11, ..., 0xff]` is `0x0011...ff` (an AES key as
//! the Bristol files take it with `--bit-order msb0`). For the other order,
//! reverse the bytes or convert with `from_le_bytes` first. Outputs read
//! back the same way: `get::<[u8; 32]>` on a `u256` output gives its
//! big-endian bytes.

use num_bigint::{BigInt, Sign};
use yao_compiler::value::Value;
use yao_compiler::ValueType;

/// A Rust value that can be an input: integers, `bool`, arrays, slices and
/// `Vec`s of them, byte strings (see the [module docs](self)), tuples of up
/// to six, [`BigInt`] and [`Value`] itself (e.g. from [`Value::parse`]).
///
/// Implement it for a type of your own by converting to one of these:
///
/// ```
/// use yao::compiler::value::Value;
/// use yao::compiler::ValueType;
/// struct Point { x: i16, y: i16 }
/// impl yao::IntoValue for Point {
///     fn into_value(self, ty: &ValueType) -> Value {
///         (self.x, self.y).into_value(ty)
///     }
/// }
/// ```
pub trait IntoValue {
    /// The value for an input of type `ty`. Only byte strings look at the
    /// type (a wide unsigned integer takes their bytes as one number); it
    /// is checked against `ty` afterwards, with an error naming the input.
    fn into_value(self, ty: &ValueType) -> Value;

    /// `Some` for a `u8`: lets a sequence of them be a byte string.
    #[doc(hidden)]
    fn as_byte(&self) -> Option<u8> {
        None
    }
}

/// A Rust type an output can be read as: the types [`IntoValue`] takes,
/// checked by type (see the [module docs](self)).
pub trait FromValue: Sized {
    /// Reads `value`, an output of type `ty`; `None` when this type cannot
    /// hold every value of `ty`.
    fn from_value(value: Value, ty: &ValueType) -> Option<Self>;

    /// `Some` for a `u8`: lets a sequence of them read a wide integer's bytes.
    #[doc(hidden)]
    fn from_byte(byte: u8) -> Option<Self> {
        let _ = byte;
        None
    }
}

impl IntoValue for Value {
    fn into_value(self, _: &ValueType) -> Value {
        self
    }
}

impl IntoValue for &Value {
    fn into_value(self, _: &ValueType) -> Value {
        self.clone()
    }
}

impl FromValue for Value {
    fn from_value(value: Value, _: &ValueType) -> Option<Value> {
        Some(value)
    }
}

impl IntoValue for bool {
    fn into_value(self, ty: &ValueType) -> Value {
        match ty {
            // Bristol files have no `bool`: their 1-bit groups are `u1`.
            ValueType::UInt(1) => Value::from(self as u8),
            _ => Value::Bool(self),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: Value, ty: &ValueType) -> Option<bool> {
        match (ty, value) {
            (ValueType::Bool, Value::Bool(b)) => Some(b),
            (ValueType::UInt(1), Value::Int(i)) => Some(i == BigInt::from(1)),
            _ => None,
        }
    }
}

impl IntoValue for BigInt {
    fn into_value(self, _: &ValueType) -> Value {
        Value::Int(self)
    }
}

impl FromValue for BigInt {
    fn from_value(value: Value, ty: &ValueType) -> Option<BigInt> {
        match (ty, value) {
            (ValueType::UInt(_) | ValueType::SInt(_), Value::Int(i)) => Some(i),
            _ => None,
        }
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn into_value(self, _: &ValueType) -> Value {
                Value::from(self)
            }

            fn as_byte(&self) -> Option<u8> {
                u8::try_from(*self).ok().filter(|_| <$t>::BITS == 8 && <$t>::MIN == 0)
            }
        }

        impl FromValue for $t {
            fn from_value(value: Value, ty: &ValueType) -> Option<$t> {
                let signed = <$t>::MIN != 0;
                let fits = match *ty {
                    ValueType::UInt(w) => w < <$t>::BITS || (w == <$t>::BITS && !signed),
                    ValueType::SInt(w) => signed && w <= <$t>::BITS,
                    _ => false,
                };
                match value {
                    Value::Int(i) if fits => <$t>::try_from(i).ok(),
                    _ => None,
                }
            }

            fn from_byte(byte: u8) -> Option<$t> {
                (<$t>::BITS == 8 && <$t>::MIN == 0).then_some(byte as $t)
            }
        }
    )*};
}

integers!(u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize);

/// The value of a sequence (array, slice, `Vec`) for an input of type `ty`:
/// a byte string as one big-endian number when `ty` is an unsigned integer
/// of exactly its bits, otherwise an array, each element for the element type.
fn sequence<T: IntoValue>(items: Vec<T>, ty: &ValueType) -> Value {
    match ty {
        ValueType::UInt(w) if *w as usize == 8 * items.len() => {
            if let Some(bytes) = items.iter().map(T::as_byte).collect::<Option<Vec<u8>>>() {
                return Value::Int(BigInt::from_bytes_be(Sign::Plus, &bytes));
            }
        }
        ValueType::Array(elem, _) => {
            return Value::Array(items.into_iter().map(|x| x.into_value(elem)).collect())
        }
        _ => {}
    }
    // The shape is wrong; the check against `ty` says so.
    Value::Array(items.into_iter().map(|x| x.into_value(ty)).collect())
}

/// The elements of an array output of `n` elements, or the big-endian bytes
/// of an unsigned output of `8 * n` bits (any `n` if `n` is `None`).
fn elements<T: FromValue>(value: Value, ty: &ValueType, n: Option<usize>) -> Option<Vec<T>> {
    match (ty, value) {
        (ValueType::Array(elem, len), Value::Array(items))
            if n.is_none_or(|n| n == *len as usize) =>
        {
            items.into_iter().map(|x| T::from_value(x, elem)).collect()
        }
        (ValueType::UInt(w), Value::Int(i))
            if w.is_multiple_of(8) && n.is_none_or(|n| 8 * n == *w as usize) =>
        {
            let len = *w as usize / 8;
            let (_, digits) = i.to_bytes_be();
            let mut bytes = vec![0u8; len.saturating_sub(digits.len())];
            bytes.extend(digits);
            bytes.into_iter().map(T::from_byte).collect()
        }
        _ => None,
    }
}

impl<T: IntoValue, const N: usize> IntoValue for [T; N] {
    fn into_value(self, ty: &ValueType) -> Value {
        sequence(self.into(), ty)
    }
}

impl<T: IntoValue + Clone, const N: usize> IntoValue for &[T; N] {
    fn into_value(self, ty: &ValueType) -> Value {
        sequence(self.to_vec(), ty)
    }
}

impl<T: IntoValue + Clone> IntoValue for &[T] {
    fn into_value(self, ty: &ValueType) -> Value {
        sequence(self.to_vec(), ty)
    }
}

impl<T: IntoValue> IntoValue for Vec<T> {
    fn into_value(self, ty: &ValueType) -> Value {
        sequence(self, ty)
    }
}

impl<T: FromValue, const N: usize> FromValue for [T; N] {
    fn from_value(value: Value, ty: &ValueType) -> Option<[T; N]> {
        elements(value, ty, Some(N))?.try_into().ok()
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value, ty: &ValueType) -> Option<Vec<T>> {
        elements(value, ty, None)
    }
}

/// The type of field `i` of a tuple type, or `ty` itself when it is not a
/// tuple (the check against `ty` then reports the shape).
fn field(ty: &ValueType, i: usize) -> &ValueType {
    match ty {
        ValueType::Tuple(fields) => fields.get(i).unwrap_or(ty),
        _ => ty,
    }
}

macro_rules! tuples {
    ($(($($t:ident $i:tt),+))*) => {$(
        impl<$($t: IntoValue),+> IntoValue for ($($t,)+) {
            fn into_value(self, ty: &ValueType) -> Value {
                Value::Tuple(vec![$(self.$i.into_value(field(ty, $i))),+])
            }
        }

        impl<$($t: FromValue),+> FromValue for ($($t,)+) {
            fn from_value(value: Value, ty: &ValueType) -> Option<Self> {
                let (ValueType::Tuple(fields), Value::Tuple(items)) = (ty, value) else {
                    return None;
                };
                const LEN: usize = [$($i),+].len();
                if fields.len() != LEN || items.len() != LEN {
                    return None;
                }
                let mut items = items.into_iter();
                Some(($($t::from_value(items.next()?, &fields[$i])?,)+))
            }
        }
    )*};
}

tuples! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
}

/// The Rust type that reads every value of `ty`, for error messages:
/// `u64` for `u33`..`u64`, `[u8; 32]` or `BigInt` beyond 128 bits.
pub(crate) fn rust_type(ty: &ValueType) -> String {
    let int = |prefix: char, w: u32| match w {
        0..=8 => format!("{prefix}8"),
        9..=128 => format!("{prefix}{}", w.next_power_of_two()),
        _ if prefix == 'u' && w.is_multiple_of(8) => format!("[u8; {}]", w / 8),
        _ => "BigInt".into(),
    };
    match ty {
        ValueType::Bool => "bool".into(),
        ValueType::UInt(w) => int('u', *w),
        ValueType::SInt(w) => int('i', *w),
        ValueType::Array(elem, n) => format!("[{}; {n}]", rust_type(elem)),
        ValueType::Tuple(fields) if fields.len() == 1 => format!("({},)", rust_type(&fields[0])),
        ValueType::Tuple(fields) => {
            let fields: Vec<String> = fields.iter().map(rust_type).collect();
            format!("({})", fields.join(", "))
        }
        // Read by name through `Value::Struct`, or as a tuple of its fields.
        ValueType::Struct(_) => "Value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: IntoValue, U: FromValue>(v: T, ty: &ValueType) -> Option<U> {
        let bits = v.into_value(ty).encode(ty).ok()?;
        U::from_value(Value::decode(&bits, ty)?, ty)
    }

    #[test]
    fn integers_by_value_in_and_by_type_out() {
        let u64_ = ValueType::UInt(64);
        assert_eq!(round_trip::<_, u64>(5, &u64_), Some(5));
        assert_eq!(round_trip::<_, u64>(u64::MAX, &u64_), Some(u64::MAX));
        assert_eq!(round_trip::<_, u32>(5u64, &u64_), None);
        assert_eq!(round_trip::<_, i64>(5u64, &u64_), None);
        assert_eq!(round_trip::<_, i128>(5u64, &u64_), Some(5));
        let i8_ = ValueType::SInt(8);
        assert_eq!(round_trip::<_, i8>(-128, &i8_), Some(-128));
        assert_eq!(round_trip::<_, u8>(-1, &i8_), None);
        assert!((-1)
            .into_value(&ValueType::UInt(8))
            .encode(&ValueType::UInt(8))
            .is_err());
        assert_eq!(round_trip::<_, bool>(true, &ValueType::UInt(1)), Some(true));
        assert_eq!(round_trip::<_, bool>(true, &ValueType::Bool), Some(true));
        assert_eq!(round_trip::<_, u8>(true, &ValueType::Bool), None);
    }

    #[test]
    fn bytes_are_big_endian_for_integers_and_elementwise_for_arrays() {
        let bytes: [u8; 16] = std::array::from_fn(|i| (i * 0x11) as u8);
        let u128_ = ValueType::UInt(128);
        assert_eq!(
            round_trip::<_, u128>(bytes, &u128_),
            Some(u128::from_be_bytes(bytes))
        );
        assert_eq!(round_trip::<_, [u8; 16]>(&bytes[..], &u128_), Some(bytes));
        assert_eq!(
            round_trip::<_, Vec<u8>>(bytes.to_vec(), &u128_),
            Some(bytes.to_vec())
        );
        let arr = ValueType::Array(Box::new(ValueType::UInt(8)), 16);
        let bits = bytes.into_value(&arr).encode(&arr).unwrap();
        assert_eq!(
            bits[8..16],
            [true, false, false, false, true, false, false, false]
        );
        assert_eq!(round_trip::<_, [u8; 16]>(&bytes, &arr), Some(bytes));
        // 15 bytes are not a u128, and u16s are not bytes.
        assert!(bytes[1..].into_value(&u128_).encode(&u128_).is_err());
        let ty = ValueType::UInt(32);
        assert!([1u16, 2].into_value(&ty).encode(&ty).is_err());
        // Leading zero bytes survive the way back.
        assert_eq!(
            round_trip::<_, [u8; 4]>([0u8, 0, 0, 1], &ty),
            Some([0, 0, 0, 1])
        );
    }

    #[test]
    fn tuples_and_nesting() {
        let ty = ValueType::Tuple(vec![
            ValueType::SInt(5),
            ValueType::Array(Box::new(ValueType::UInt(16)), 2),
            ValueType::Bool,
        ]);
        let v = (-3i8, vec![[0x12u8, 0x34], [0, 1]], false);
        assert_eq!(
            round_trip::<_, (i8, [u16; 2], bool)>(v, &ty),
            Some((-3, [0x1234, 1], false))
        );
        assert_eq!(
            round_trip::<_, (i8, [u16; 2])>((-3i8, [1, 2], true), &ty),
            None
        );
    }

    #[test]
    fn rust_types_for_messages() {
        let cases = [
            (ValueType::UInt(1), "u8"),
            (ValueType::UInt(33), "u64"),
            (ValueType::SInt(128), "i128"),
            (ValueType::UInt(256), "[u8; 32]"),
            (ValueType::SInt(200), "BigInt"),
            (
                ValueType::Tuple(vec![
                    ValueType::Bool,
                    ValueType::Array(Box::new(ValueType::SInt(4)), 3),
                ]),
                "(bool, [i8; 3])",
            ),
        ];
        for (ty, rust) in cases {
            assert_eq!(rust_type(&ty), rust);
        }
    }
}
