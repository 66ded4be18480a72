//! AND-frugal arithmetic on bit vectors (least significant bit first).
//!
//! XOR and NOT are free under free-XOR, so every construction here minimizes
//! AND gates (costs for n-bit operands):
//!
//! | operation              | ANDs          | construction                             |
//! |------------------------|---------------|------------------------------------------|
//! | `x + y`, `x - y`       | n - 1         | ripple carry, `c' = c ^ ((x^c) & (y^c))` |
//! | `x < y` (signed too)   | n             | carry out of `x + !y + 1`                |
//! | `x == y`               | n - 1         | AND tree over XNORs                      |
//! | `if s {x} else {y}`    | n             | `y ^ (s & (x ^ y))`                      |
//! | `x * y` (n bits)       | n^2 - n + 1   | schoolbook, only the low n columns       |
//! | popcount               | n - popcount(n) | recursive full-adder tree (Boyar-Peralta) |
//!
//! The ripple-carry adder with one AND per bit is the classic free-XOR adder
//! (Kolesnikov, Sadeghi, Schneider, "Improved garbled circuit building blocks
//! and applications to auctions and computing minima", CANS 2009). The
//! counting circuit achieving n - popcount(n) ANDs is from Boyar and Peralta,
//! "Tight bounds for the multiplicative complexity of symmetric functions"
//! (TCS 2008). Constants fold in the builder, so e.g. adding a public
//! constant or multiplying by one costs only what the constant requires.

use crate::optimize::{Builder, Lit};

pub fn not_all(bits: &[Lit]) -> Vec<Lit> {
    bits.iter().map(|&b| !b).collect()
}

pub fn xor_all(b: &mut Builder, x: &[Lit], y: &[Lit]) -> Vec<Lit> {
    x.iter().zip(y).map(|(&p, &q)| b.xor(p, q)).collect()
}

pub fn and_all(b: &mut Builder, x: &[Lit], y: &[Lit]) -> Vec<Lit> {
    x.iter().zip(y).map(|(&p, &q)| b.and(p, q)).collect()
}

pub fn or_all(b: &mut Builder, x: &[Lit], y: &[Lit]) -> Vec<Lit> {
    x.iter().zip(y).map(|(&p, &q)| b.or(p, q)).collect()
}

/// Bitwise `if s { t } else { f }`.
pub fn mux(b: &mut Builder, s: Lit, t: &[Lit], f: &[Lit]) -> Vec<Lit> {
    t.iter().zip(f).map(|(&p, &q)| b.mux(s, p, q)).collect()
}

/// AND of all bits as a balanced tree (n - 1 ANDs, depth log n).
pub fn reduce_and(b: &mut Builder, bits: &[Lit]) -> Lit {
    let mut layer = bits.to_vec();
    if layer.is_empty() {
        return Lit::TRUE;
    }
    while layer.len() > 1 {
        layer = layer
            .chunks(2)
            .map(|c| {
                if c.len() == 2 {
                    b.and(c[0], c[1])
                } else {
                    c[0]
                }
            })
            .collect();
    }
    layer[0]
}

pub fn reduce_or(b: &mut Builder, bits: &[Lit]) -> Lit {
    !reduce_and(b, &not_all(bits))
}

/// `x + y + cin` over `x.len()` bits, wrapping, and the carry out (computed
/// only if `want_carry`, costing one more AND).
fn add_carry(b: &mut Builder, x: &[Lit], y: &[Lit], cin: Lit, want_carry: bool) -> (Vec<Lit>, Lit) {
    let n = x.len();
    let mut c = cin;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let t = b.xor(x[i], c);
        out.push(b.xor(t, y[i]));
        if i + 1 < n || want_carry {
            let u = b.xor(y[i], c);
            let a = b.and(t, u);
            c = b.xor(c, a);
        }
    }
    (out, c)
}

/// Wrapping `x + y` (n - 1 ANDs).
pub fn add(b: &mut Builder, x: &[Lit], y: &[Lit]) -> Vec<Lit> {
    add_carry(b, x, y, Lit::FALSE, false).0
}

/// Wrapping `x - y` as `x + !y + 1` (n - 1 ANDs).
pub fn sub(b: &mut Builder, x: &[Lit], y: &[Lit]) -> Vec<Lit> {
    add_carry(b, x, &not_all(y), Lit::TRUE, false).0
}

pub fn neg(b: &mut Builder, x: &[Lit]) -> Vec<Lit> {
    sub(b, &vec![Lit::FALSE; x.len()], x)
}

/// `x < y` (n ANDs); signed compares flip the sign bits first.
pub fn less(b: &mut Builder, x: &[Lit], y: &[Lit], signed: bool) -> Lit {
    let (mut x, mut y) = (x.to_vec(), not_all(y));
    if signed {
        if let (Some(p), Some(q)) = (x.last_mut(), y.last_mut()) {
            *p = !*p;
            *q = !*q;
        }
    }
    // x - y borrows exactly when the carry out of x + !y + 1 is 0.
    !add_carry(b, &x, &y, Lit::TRUE, true).1
}

/// `x == y` (n - 1 ANDs).
pub fn equal(b: &mut Builder, x: &[Lit], y: &[Lit]) -> Lit {
    let same: Vec<Lit> = x.iter().zip(y).map(|(&p, &q)| !b.xor(p, q)).collect();
    reduce_and(b, &same)
}

/// Low n bits of `x * y` (n^2 - n + 1 ANDs): row j adds `(x & y_j) << j`
/// into the columns it can still affect.
pub fn mul(b: &mut Builder, x: &[Lit], y: &[Lit]) -> Vec<Lit> {
    let n = x.len();
    let mut acc: Vec<Lit> = x.iter().map(|&xi| b.and(xi, y[0])).collect();
    for j in 1..n {
        let row: Vec<Lit> = x[..n - j].iter().map(|&xi| b.and(xi, y[j])).collect();
        let sum = add(b, &acc[j..], &row);
        acc[j..].copy_from_slice(&sum);
    }
    acc
}

/// Unsigned restoring division: `(x / y, x % y)`. Division by zero gives
/// `(all ones, x)`, which is what the restoring steps produce.
pub fn udivrem(b: &mut Builder, x: &[Lit], y: &[Lit]) -> (Vec<Lit>, Vec<Lit>) {
    let n = x.len();
    let mut r = vec![Lit::FALSE; n];
    let mut q = vec![Lit::FALSE; n];
    let mut yp = y.to_vec();
    yp.push(Lit::FALSE);
    let ny = not_all(&yp);
    for i in (0..n).rev() {
        // r' = 2r + x_i over n + 1 bits.
        let mut rp = Vec::with_capacity(n + 1);
        rp.push(x[i]);
        rp.extend_from_slice(&r);
        let (d, no_borrow) = add_carry(b, &rp, &ny, Lit::TRUE, true);
        q[i] = no_borrow;
        r = mux(b, no_borrow, &d[..n], &rp[..n]);
    }
    (q, r)
}

/// Signed division truncating toward zero, remainder with the dividend's sign
/// (Rust's `wrapping_div` / `wrapping_rem`; `MIN / -1 = MIN`). By zero, the
/// magnitudes' quotient is all ones, negated when the signs differ: `x / 0`
/// is -1 for `x >= 0` and 1 for `x < 0`, and `x % 0` is `x`.
pub fn sdivrem(b: &mut Builder, x: &[Lit], y: &[Lit]) -> (Vec<Lit>, Vec<Lit>) {
    let n = x.len();
    let (sx, sy) = (x[n - 1], y[n - 1]);
    let nx = neg(b, x);
    let ny = neg(b, y);
    let ax = mux(b, sx, &nx, x);
    let ay = mux(b, sy, &ny, y);
    let (q, r) = udivrem(b, &ax, &ay);
    let sq = b.xor(sx, sy);
    let nq = neg(b, &q);
    let nr = neg(b, &r);
    (mux(b, sq, &nq, &q), mux(b, sx, &nr, &r))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shift {
    Left,
    /// Right, filling with the given bit (zero, or the sign bit).
    Right(Lit),
    RotLeft,
    RotRight,
}

/// `x` shifted or rotated by the constant `k` (free: wiring only).
/// Shifts by `k >= n` give all fill bits.
pub fn shift_const(x: &[Lit], k: u64, how: Shift) -> Vec<Lit> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let (fill, rot_k) = match how {
        Shift::Left => (Lit::FALSE, None),
        Shift::Right(f) => (f, None),
        Shift::RotLeft => (Lit::FALSE, Some((k % n as u64) as usize)),
        Shift::RotRight => (Lit::FALSE, Some((n - (k % n as u64) as usize) % n)),
    };
    if let Some(r) = rot_k {
        // Rotate left by r: out[i] = x[(i - r) mod n].
        return (0..n).map(|i| x[(i + n - r) % n]).collect();
    }
    let k = k.min(n as u64) as usize;
    match how {
        Shift::Left => (0..n)
            .map(|i| if i >= k { x[i - k] } else { fill })
            .collect(),
        _ => (0..n)
            .map(|i| if i + k < n { x[i + k] } else { fill })
            .collect(),
    }
}

/// `x` shifted or rotated by a secret amount (bits of an unsigned integer):
/// a barrel shifter, one multiplexer layer per amount bit that matters.
/// Shifts by `amount >= n` give all fill bits; rotations are modulo `n`.
pub fn shift_var(b: &mut Builder, x: &[Lit], amount: &[Lit], how: Shift) -> Vec<Lit> {
    let n = x.len() as u64;
    let mut amount = amount.to_vec();
    let rotate = matches!(how, Shift::RotLeft | Shift::RotRight);
    if rotate && !n.is_power_of_two() {
        let w = amount.len().max(64 - n.leading_zeros() as usize);
        amount.resize(w, Lit::FALSE);
        let modulus: Vec<Lit> = (0..w)
            .map(|i| Lit::from_bool(i < 64 && (n >> i) & 1 == 1))
            .collect();
        amount = udivrem(b, &amount, &modulus).1;
    }
    let mut out = x.to_vec();
    let mut overflow = Vec::new();
    for (t, &s) in amount.iter().enumerate() {
        if t >= 63 || (1u64 << t) >= n {
            overflow.push(s);
            continue;
        }
        let shifted = shift_const(&out, 1 << t, how);
        out = mux(b, s, &shifted, &out);
    }
    if !rotate {
        let over = reduce_or(b, &overflow);
        let fill = match how {
            Shift::Right(f) => f,
            _ => Lit::FALSE,
        };
        out = out.iter().map(|&o| b.mux(over, fill, o)).collect();
    }
    out
}

/// `x + y + cin` for operands of possibly different lengths, with the carry
/// out as an extra top bit (one AND per bit of the longer operand).
fn add_widen(b: &mut Builder, x: &[Lit], y: &[Lit], cin: Lit) -> Vec<Lit> {
    let m = x.len().max(y.len());
    let mut xs = x.to_vec();
    let mut ys = y.to_vec();
    xs.resize(m, Lit::FALSE);
    ys.resize(m, Lit::FALSE);
    let (mut s, c) = add_carry(b, &xs, &ys, cin, true);
    s.push(c);
    s
}

/// The number of set bits, in the fewest bits that hold it, with
/// n - popcount(n) ANDs: split n = (2^k - 1) + rest + 1, count both parts and
/// add them with the last bit as the carry in.
pub fn popcount(b: &mut Builder, bits: &[Lit]) -> Vec<Lit> {
    let n = bits.len();
    match n {
        0 => Vec::new(),
        1 => vec![bits[0]],
        _ => {
            let k = usize::BITS - 1 - n.leading_zeros();
            let a = (1usize << k) - 1;
            let ca = popcount(b, &bits[..a]);
            let cb = popcount(b, &bits[a..n - 1]);
            add_widen(b, &ca, &cb, bits[n - 1])
        }
    }
}

/// `items[idx]` for a secret index (each item a bit vector of one width);
/// an index past the end selects all zeros.
pub fn select(b: &mut Builder, idx: &[Lit], items: &[Vec<Lit>], width: usize) -> Vec<Lit> {
    let len = items.len();
    if len == 0 {
        return vec![Lit::FALSE; width];
    }
    let need = (usize::BITS - (len - 1).leading_zeros()) as usize;
    let (low, high) = idx.split_at(need.min(idx.len()));
    let mut layer: Vec<Vec<Lit>> = items.to_vec();
    for &s in low {
        layer = layer
            .chunks(2)
            .map(|c| {
                let zero = vec![Lit::FALSE; width];
                let odd = c.get(1).unwrap_or(&zero);
                mux(b, s, odd, &c[0])
            })
            .collect();
    }
    // A set bit above those that address `items` means out of range. (With
    // fewer index bits than needed, layer 0 is the item the index picks.)
    let over = reduce_or(b, high);
    let mut r = layer.swap_remove(0);
    r.iter_mut().for_each(|x| *x = b.and(!over, *x));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_cost_is_n_minus_popcount_n() {
        for n in 1..=130usize {
            let mut b = Builder::new();
            let bits: Vec<Lit> = (0..n).map(|_| b.input()).collect();
            let out = popcount(&mut b, &bits);
            let c = b.finish(
                "p",
                vec![(
                    "x".into(),
                    crate::ir::Party::Garbler,
                    crate::ir::ValueType::UInt(n as u32),
                    bits,
                )],
                vec![(
                    "y".into(),
                    crate::ir::ValueType::UInt(out.len() as u32),
                    out.clone(),
                )],
            );
            assert_eq!(
                c.stats().and as usize,
                n - n.count_ones() as usize,
                "n = {n}"
            );
            // Spot-check values.
            for v in [
                0u128,
                1,
                (1u128 << n.min(127)) - 1,
                0x5555_5555_5555_5555_5555,
            ] {
                let input: Vec<bool> = (0..n).map(|i| i < 128 && (v >> i) & 1 == 1).collect();
                let expect = input.iter().filter(|&&x| x).count();
                let got = c.eval_plain(&[input]).unwrap().remove(0);
                let got: usize = got
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (x as usize) << i)
                    .sum();
                assert_eq!(got, expect);
            }
        }
    }
}
