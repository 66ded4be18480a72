//! The published arithmetic circuits against Rust's integer arithmetic, on
//! thousands of random inputs and every pair of edge values (0, 1, max, the
//! signed boundaries, 32-bit boundaries).

mod common;

use common::{bits, bits_big, value, value_big};
use num_bigint::BigUint;
use rand::RngExt;
use yao::compiler::Circuit;

/// Random pairs per circuit; fewer in debug builds, where evaluation is ~30x
/// slower (CI runs the tests in release).
const RANDOM: usize = if cfg!(debug_assertions) { 500 } else { 2000 };

/// Interesting 64-bit patterns: the ends of the unsigned and signed ranges
/// and the 32-bit boundaries.
const EDGES: [u64; 16] = [
    0,
    1,
    2,
    3,
    u64::MAX,
    u64::MAX - 1,
    i64::MAX as u64,
    i64::MAX as u64 - 1,
    i64::MIN as u64,
    i64::MIN as u64 + 1,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x5555_5555_5555_5555,
    0xaaaa_aaaa_aaaa_aaaa,
];

/// A random value with a random number of significant bits, so that small
/// operands, short carry chains and small divisors all occur often.
fn random_u64(rng: &mut impl rand::Rng) -> u64 {
    let v: u64 = rng.random();
    match rng.random_range(0..4) {
        0 => v,
        1 => v >> rng.random_range(0..64),
        2 => (v >> rng.random_range(0..64)).wrapping_neg(), // near the top: small negatives
        _ => rng.random_range(0..8),
    }
}

/// The plain and `mand/` variants of a Bristol Fashion circuit.
fn variants(file: &str) -> Vec<(String, Circuit)> {
    ["bristol", "bristol/mand"]
        .iter()
        .filter_map(|dir| {
            let rel = format!("{dir}/{file}");
            common::load(&rel).map(|c| (rel, c))
        })
        .collect()
}

/// The operand pairs every two-input check uses: all pairs of edges, then
/// random pairs.
fn pairs(width: u32) -> Vec<(u64, u64)> {
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1 << width) - 1
    };
    let mut rng = common::rng();
    let edges: Vec<u64> = EDGES
        .iter()
        .map(|e| e & mask)
        .chain([mask >> 1, (mask >> 1) + 1])
        .collect();
    let mut out: Vec<(u64, u64)> = edges
        .iter()
        .flat_map(|&a| edges.iter().map(move |&b| (a, b)))
        .collect();
    out.extend((0..RANDOM).map(|_| (random_u64(&mut rng) & mask, random_u64(&mut rng) & mask)));
    out
}

/// Checks a circuit of two `width`-bit inputs against `expected`, which
/// returns each output group's value (`None` skips the pair).
fn check2<T: Into<u128>>(
    c: &Circuit,
    rel: &str,
    width: u32,
    expected: impl Fn(u64, u64) -> Option<Vec<T>>,
) {
    let mut checked = 0;
    for (a, b) in pairs(width) {
        let Some(want) = expected(a, b) else { continue };
        let want: Vec<u128> = want.into_iter().map(Into::into).collect();
        let out = common::run(c, &[bits(a, width as usize), bits(b, width as usize)]);
        let got: Vec<u128> = out
            .iter()
            .map(|o| value_big(o).try_into().unwrap())
            .collect();
        assert_eq!(got, want, "{rel}: a = {a:#x}, b = {b:#x}");
        checked += 1;
    }
    assert!(checked > RANDOM / 2, "{rel}: only {checked} inputs checked");
}

fn check1(c: &Circuit, rel: &str, expected: impl Fn(u64) -> u64) {
    let mut rng = common::rng();
    let values: Vec<u64> = EDGES
        .iter()
        .copied()
        .chain((0..RANDOM).map(|_| random_u64(&mut rng)))
        .collect();
    for a in values {
        let out = common::run(c, &[bits(a, 64)]);
        assert_eq!(value(&out[0]), expected(a), "{rel}: a = {a:#x}");
    }
}

#[test]
fn adder64() {
    for (rel, c) in variants("adder64.txt") {
        check2(&c, &rel, 64, |a, b| Some(vec![a.wrapping_add(b)]));
    }
}

#[test]
fn sub64() {
    for (rel, c) in variants("sub64.txt") {
        check2(&c, &rel, 64, |a, b| Some(vec![a.wrapping_sub(b)]));
    }
}

#[test]
fn neg64() {
    for (rel, c) in variants("neg64.txt") {
        check1(&c, &rel, |a| a.wrapping_neg());
    }
}

#[test]
fn zero_equal() {
    for (rel, c) in variants("zero_equal.txt") {
        check1(&c, &rel, |a| (a == 0) as u64);
    }
}

#[test]
fn mult64() {
    for (rel, c) in variants("mult64.txt") {
        check2(&c, &rel, 64, |a, b| Some(vec![a.wrapping_mul(b)]));
    }
}

/// The full unsigned 128-bit product: output 0 is the high half, output 1
/// the low half (the README's claim, verified here).
#[test]
fn mult2_64() {
    for (rel, c) in variants("mult2_64.txt") {
        check2(&c, &rel, 64, |a, b| {
            let p = a as u128 * b as u128;
            Some(vec![(p >> 64) as u64, p as u64])
        });
    }
}

/// Unsigned division. Division by zero gives all ones (the quotient a
/// restoring divider produces), which the test pins down.
#[test]
fn udivide64() {
    for (rel, c) in variants("udivide64.txt") {
        check2(&c, &rel, 64, |a, b| {
            Some(vec![a.checked_div(b).unwrap_or(u64::MAX)])
        });
    }
}

/// Signed division truncating toward zero, wrapping on `i64::MIN / -1`
/// (`wrapping_div`). Division by zero is checked separately below.
#[test]
fn divide64() {
    for (rel, c) in variants("divide64.txt") {
        check2(&c, &rel, 64, |a, b| {
            (b != 0).then(|| vec![(a as i64).wrapping_div(b as i64) as u64])
        });
    }
}

/// Signed division by zero is not specified anywhere; the circuit divides
/// magnitudes (giving all ones) and negates for a negative dividend: -1 for
/// `a >= 0`, 1 for `a < 0`, except `i64::MIN / 0 = 2`. Observed by probing
/// and pinned here so that a change in import or evaluation shows up.
#[test]
fn divide64_by_zero_as_observed() {
    for (rel, c) in variants("divide64.txt") {
        let mut values: Vec<u64> = EDGES.to_vec();
        let mut rng = common::rng();
        values.extend((0..200).map(|_| random_u64(&mut rng)));
        for a in values {
            let want = match a as i64 {
                i64::MIN => 2,
                x if x < 0 => 1,
                _ => -1i64,
            };
            let out = common::run(&c, &[bits(a, 64), bits(0, 64)]);
            assert_eq!(value(&out[0]) as i64, want, "{rel}: {a:#x} / 0");
        }
    }
}

fn random_big(rng: &mut impl rand::Rng, bits: u64) -> BigUint {
    let mut v = BigUint::default();
    for k in 0..bits {
        v.set_bit(k, rng.random());
    }
    v
}

/// Random moduli: full width, shorter, odd and even, and the largest one.
fn moduli(rng: &mut impl rand::Rng, n: usize) -> Vec<BigUint> {
    let max = (BigUint::from(1u8) << 512u32) - 1u8;
    let mut ps = vec![
        max,
        BigUint::from(2u8),
        BigUint::from(3u8),
        BigUint::from(1u8) << 511u32,
    ];
    ps.extend((0..n).map(|_| {
        let width = [512, 511, 256, 64, 17][rng.random_range(0..5)];
        random_big(rng, width).max(BigUint::from(2u8))
    }));
    ps
}

/// `(a + b) mod p` for `a, b < p` (a sum that may carry past 512 bits minus
/// at most one `p`).
#[test]
fn mod_add_512() {
    let mut rng = common::rng();
    for (rel, c) in variants("ModAdd512.txt") {
        for p in moduli(&mut rng, 300) {
            let one = BigUint::from(1u8);
            let r = |rng: &mut _| random_big(rng, 512) % &p;
            for (a, b) in [
                (r(&mut rng), r(&mut rng)),
                (&p - &one, &p - &one),
                (BigUint::default(), &p - &one),
            ] {
                let out = common::run(
                    &c,
                    &[bits_big(&a, 512), bits_big(&b, 512), bits_big(&p, 512)],
                );
                assert_eq!(
                    value_big(&out[0]),
                    (&a + &b) % &p,
                    "{rel}: a = {a:#x}, b = {b:#x}, p = {p:#x}"
                );
            }
        }
    }
}

/// Conversion of an additively shared value mod p to a signed 64-bit
/// integer: `x = (a + b) mod p`, read as `x - p` when `x >= floor(p / 2)`,
/// truncated to 64 bits in two's complement. (Semantics found by probing the
/// circuit and checked here on random 512-bit moduli.)
#[test]
fn lsss_to_gc() {
    let mut rng = common::rng();
    let Some(c) = common::load("bristol/LSSS_to_GC.txt") else {
        return;
    };
    let mand = common::load("bristol/mand/LSSS_to_GC.txt").unwrap();
    for p in moduli(&mut rng, 300) {
        let half = &p >> 1u32;
        let r = |rng: &mut _| random_big(rng, 512) % &p;
        let mut cases = vec![
            (r(&mut rng), r(&mut rng)),
            (half.clone(), BigUint::default()),
        ];
        if half > BigUint::default() {
            cases.push((&half - 1u8, BigUint::default()));
        }
        for (a, b) in cases {
            let x = (&a + &b) % &p;
            let signed = if x >= half {
                num_bigint::BigInt::from(x) - num_bigint::BigInt::from(p.clone())
            } else {
                x.into()
            };
            let low = (signed & num_bigint::BigInt::from(u64::MAX))
                .to_u64_digits()
                .1
                .first()
                .copied()
                .unwrap_or(0);
            let inputs = [bits_big(&a, 512), bits_big(&b, 512), bits_big(&p, 512)];
            for circuit in [&c, &mand] {
                let out = common::run(circuit, &inputs);
                assert_eq!(value(&out[0]), low, "a = {a:#x}, b = {b:#x}, p = {p:#x}");
            }
        }
    }
}

/// The old format's adders output one carry bit more than their inputs.
#[test]
fn old_adders() {
    for width in [32u32, 64] {
        let rel = format!("bristol-old/adder_{width}bit.txt");
        let Some(c) = common::load(&rel) else { return };
        check2(&c, &rel, width, |a, b| Some(vec![a as u128 + b as u128]));
    }
}

#[test]
fn old_mult_32x32_is_the_full_unsigned_product() {
    let rel = "bristol-old/mult_32x32.txt";
    let Some(c) = common::load(rel) else { return };
    check2(&c, rel, 32, |a, b| Some(vec![a * b]));
}

#[test]
fn old_comparators() {
    let sign = |v: u64| v as u32 as i32;
    type Cmp = fn(u64, u64, &dyn Fn(u64) -> i32) -> bool;
    let cases: [(&str, Cmp); 4] = [
        ("signed_lt", |a, b, s| s(a) < s(b)),
        ("signed_lteq", |a, b, s| s(a) <= s(b)),
        ("unsigned_lt", |a, b, _| a < b),
        ("unsigned_lteq", |a, b, _| a <= b),
    ];
    for (name, cmp) in cases {
        let rel = format!("bristol-old/comparator_32bit_{name}.txt");
        let Some(c) = common::load(&rel) else { return };
        check2(&c, &rel, 32, |a, b| Some(vec![cmp(a, b, &sign) as u64]));
    }
}
