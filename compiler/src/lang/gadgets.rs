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
//! | `x * y`, operands extended from p, q bits | p q + p (q - 1) at most | Baugh-Wooley array, low n columns |
//! | `x / y`, `x % y` (u64) | 3198, 3325    | narrow restoring, then non-restoring     |
//! | `x / y`, `x % y` (i64) | 3387, 3514    | the unsigned divider on magnitudes       |
//! | popcount               | n - popcount(n) | recursive full-adder tree (Boyar-Peralta) |
//!
//! So `(a as i128) * (b as i128)` on `i64` costs 8128 ANDs (12097 when the
//! sign-extended operands were multiplied) and `i16 x i16 -> i32` 496 (was
//! 721); u64 division 3198 (was 8191, the Bristol Fashion `udivide64.txt`
//! has 4285), i64 division 3387 (was 8566; `divide64.txt` has 4664).
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

/// Wrapping absolute value of a two's-complement `x`: `(x ^ s) + s` for
/// the sign `s` (n - 1 ANDs); the most negative value maps to itself.
pub fn abs(b: &mut Builder, x: &[Lit]) -> Vec<Lit> {
    let Some(&s) = x.last() else {
        return Vec::new();
    };
    let flipped: Vec<Lit> = x.iter().map(|&p| b.xor(p, s)).collect();
    add_carry(b, &flipped, &vec![Lit::FALSE; x.len()], s, false).0
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

/// Low n bits of `x * y`.
///
/// Operands are often extensions of narrower values (`a as i128` for an
/// `i64` `a` repeats the sign bit, `a as u128` for a `u64` adds zeros).
/// When both are, with secret narrow parts of p and q >= 2 bits of which at
/// least one is narrower than n, `mul_narrow` multiplies the narrow
/// values (signed or unsigned each) with the Baugh-Wooley array, only the
/// columns below n: `(a as i128) * (b as i128)` on `i64` costs 8128 ANDs
/// (p q + p (q - 1)), as many as the unsigned product, instead of the
/// 12097 of multiplying the sign-extended operands, and `a * (b as i64)`
/// for an `i32` `b` no more than its unsigned counterpart. Otherwise the
/// schoolbook product restricted to the low n columns (`mul_low`); it folds
/// constant operands best.
pub fn mul(b: &mut Builder, x: &[Lit], y: &[Lit]) -> Vec<Lit> {
    let n = x.len();
    if let (Some((xs, sx)), Some((ys, sy))) = (narrow(x), narrow(y)) {
        let secret = |v: &[Lit]| v.iter().all(|l| l.constant().is_none());
        let (p, q) = (xs.len(), ys.len());
        if p >= 2 && q >= 2 && (p < n || q < n) && secret(xs) && secret(ys) {
            return mul_narrow(b, (xs, sx), (ys, sy), n);
        }
    }
    mul_low(b, x, y)
}

/// `x` as an extension of its narrowest part: `(part, signed)`, the part
/// sign-extended (the bits from its top one up are one secret literal) or
/// zero-extended (the bits above it are the constant 0). `None` for a
/// constant fill of ones.
fn narrow(x: &[Lit]) -> Option<(&[Lit], bool)> {
    let &top = x.last()?;
    let mut p = x.len();
    while p > 1 && x[p - 2] == top {
        p -= 1;
    }
    match top.constant() {
        None => Some((&x[..p], true)),
        Some(false) => Some((&x[..p - 1], false)),
        Some(true) => None,
    }
}

/// Low n bits of `x * y` (n^2 - n + 1 ANDs): row j adds `(x & y_j) << j`
/// into the columns it can still affect.
fn mul_low(b: &mut Builder, x: &[Lit], y: &[Lit]) -> Vec<Lit> {
    let n = x.len();
    let mut acc: Vec<Lit> = x.iter().map(|&xi| b.and(xi, y[0])).collect();
    for j in 1..n {
        let row: Vec<Lit> = x[..n - j].iter().map(|&xi| b.and(xi, y[j])).collect();
        let sum = add(b, &acc[j..], &row);
        acc[j..].copy_from_slice(&sum);
    }
    acc
}

/// The low n bits of the product of `x` (p bits) and `y` (q bits), each a
/// two's-complement value if its flag says signed and unsigned otherwise,
/// p, q >= 2: the Baugh-Wooley array (C. R. Baugh and B. A. Wooley, "A
/// two's complement parallel array multiplication algorithm", IEEE Trans.
/// Computers, 1973), keeping only the columns below `w = min(n, p + q)`,
/// then extended to n bits (the product fits in p + q bits). With no
/// truncation it costs p q ANDs for the partial products and p (q - 1) for
/// the ripple-carry row additions.
///
/// The product is the sum of `x_i y_j 2^(i+j)`, where a term with exactly
/// one sign bit (the top bit of a signed operand) counts negatively.
/// Writing `-t = !t - 1` turns those into complemented partial products
/// (free under free-XOR) plus a constant, which costs nothing either: mod
/// 2^(p+q) it is `2^(p-1)` if `x` is signed, plus `2^(q-1)` if `y` is, plus
/// `2^(p+q-1)` if either is. With p >= q: `2^(p-1) + 2^(q-1)` for p = q is
/// a constant one in the empty column p; else `2^(p-1)` splits the top bit
/// v of the first row into !v and a v in column p, and `2^(q-1)` is the
/// carry in of row q - 1's adder; `2^(p+q-1)` complements the top bit.
fn mul_narrow(b: &mut Builder, x: (&[Lit], bool), y: (&[Lit], bool), n: usize) -> Vec<Lit> {
    let ((x, sx), (y, sy)) = if x.0.len() >= y.0.len() {
        (x, y)
    } else {
        (y, x)
    };
    let (p, q) = (x.len(), y.len());
    let w = n.min(p + q);
    let pp = |b: &mut Builder, i: usize, j: usize| {
        let v = b.and(x[i], y[j]);
        v ^ ((sx && i == p - 1) != (sy && j == q - 1))
    };
    let mut acc = vec![Lit::FALSE; w];
    for (i, a) in acc.iter_mut().enumerate().take(p) {
        *a = pp(b, i, 0);
    }
    let mut carry_in = Lit::FALSE;
    if sx && sy && p == q {
        if p < w {
            acc[p] = Lit::TRUE;
        }
    } else {
        if sx {
            let v = acc[p - 1];
            acc[p - 1] = !v;
            if p < w {
                acc[p] = v;
            }
        }
        if sy {
            carry_in = Lit::TRUE;
        }
    }
    for j in 1..q {
        let len = p.min(w - j);
        let row: Vec<Lit> = (0..len).map(|i| pp(b, i, j)).collect();
        let cin = if j == q - 1 { carry_in } else { Lit::FALSE };
        let carry_out = j + len < w;
        let (sum, c) = add_carry(b, &acc[j..j + len], &row, cin, carry_out);
        acc[j..j + len].copy_from_slice(&sum);
        if carry_out {
            acc[j + len] = c;
        }
    }
    let signed = sx || sy;
    if signed && w == p + q {
        acc[w - 1] = !acc[w - 1];
    }
    let fill = if signed { acc[w - 1] } else { Lit::FALSE };
    acc.resize(n, fill);
    acc
}

/// Unsigned division: `(x / y, x % y)`. Division by zero gives
/// `(all ones, x)`, what the restoring recurrence produces.
///
/// Only the low m bits of `y` that are not the constant 0 count (m = n for a
/// secret `y`). Step k (k = 1..n) brings in dividend bit n - k; the exact
/// partial remainder before it is below `min(y, 2^(k-1))`. Two step kinds:
///
/// - *Restoring* with a narrow remainder, for the early steps: the trial
///   value `t = 2r + x_i` has only `min(k, m + 1)` bits, so subtracting `y`
///   and multiplexing back cost about 2k ANDs; a set bit of `y` at or above
///   bit k (a prefix OR of the high bits, computed once) forces quotient
///   bit 0.
/// - *Non-restoring* (e.g. Hennessy and Patterson, "Computer Architecture",
///   appendix J; Parhami, "Computer Arithmetic", ch. 13): the partial
///   remainder R, kept in m + 1 bits, may be negative; each step adds `y`
///   if R < 0 and subtracts it otherwise, one adder with the choice XORed
///   into `y`'s bits (free) and into the carry in: m ANDs, no multiplexer.
///   The quotient bit is `R >= 0`, the same as the restoring one, and a
///   final `R += y` if R < 0 (2m - 1 ANDs, dropped with the remainder when
///   only the quotient is used) gives the remainder.
///
/// Restoring is cheaper while 2k + 2 < m, so the steps switch kind once, at
/// the point that minimizes the estimated cost (including the correction
/// when `want_rem`): for n = 64 about n^2 - (n/2)^2 ANDs, not the 2 n^2 of
/// restoring at full width. A constant `y` folds: with y's top set bit at
/// m - 1 the first m - 1 steps are free.
pub fn udivrem(b: &mut Builder, x: &[Lit], y: &[Lit], want_rem: bool) -> (Vec<Lit>, Vec<Lit>) {
    let n = x.len();
    let m = y
        .iter()
        .rposition(|&l| l != Lit::FALSE)
        .map_or(0, |i| i + 1);
    if m == 0 {
        return (vec![Lit::TRUE; n], x.to_vec());
    }
    let d = &y[..m];
    // The cost estimate of restoring step k (no gates when a constant one
    // at or above bit k forces the quotient bit to 0).
    let forced = |k: usize| d[k.min(m)..].contains(&Lit::TRUE);
    let restoring_cost = |k: usize| match k {
        _ if forced(k) => 0,
        _ if k < m => 2 * k + 2,
        _ if k == m => 2 * k,
        _ => 2 * m + 1,
    };
    let (mut best, mut switch, mut spent) = (usize::MAX, 0, 0);
    for kk in 0..=n {
        let correction = if kk < n && want_rem { 2 * m - 1 } else { 0 };
        let total = spent + (n - kk) * m + correction;
        if total < best {
            (best, switch) = (total, kk);
        }
        if kk < n {
            spent += restoring_cost(kk + 1);
        }
    }
    // high[k] = y_k | ... | y_(m-1) (prefix ORs from the top; 0 for k >= m).
    let mut high = vec![Lit::FALSE; n + 1];
    for k in (1..m).rev() {
        high[k] = b.or(high[k + 1], d[k]);
    }
    let mut q = vec![Lit::FALSE; n];
    let mut r: Vec<Lit> = Vec::new();
    for (k, &above) in high.iter().enumerate().take(switch + 1).skip(1) {
        let i = n - k;
        let mut t = Vec::with_capacity(r.len() + 1);
        t.push(x[i]);
        t.extend_from_slice(&r);
        let w = t.len(); // min(k, m + 1)
        let mut dn: Vec<Lit> = d[..w.min(m)].iter().map(|&v| !v).collect();
        dn.resize(w, Lit::TRUE);
        let (diff, no_borrow) = add_carry(b, &t, &dn, Lit::TRUE, true);
        let qi = b.and(no_borrow, !above);
        q[i] = qi;
        let keep = w.min(m);
        r = mux(b, qi, &diff[..keep], &t[..keep]);
    }
    if switch == n {
        r.resize(n, Lit::FALSE);
        return by_zero(b, x, d, q, r);
    }
    // Non-restoring steps on R in m + 1 bits (two's complement), R >= 0 now.
    r.resize(m + 1, Lit::FALSE);
    let mut neg = Lit::FALSE;
    for k in switch + 1..=n {
        let i = n - k;
        let mut t = Vec::with_capacity(m + 1);
        t.push(x[i]);
        t.extend_from_slice(&r[..m]);
        // R >= 0: t - y = t + !y + 1; R < 0: t + y.
        let sub = !neg;
        let mut op: Vec<Lit> = d.iter().map(|&v| b.xor(v, sub)).collect();
        op.push(sub);
        r = add_carry(b, &t, &op, sub, false).0;
        neg = r[m];
        q[i] = !neg;
    }
    let masked: Vec<Lit> = d.iter().map(|&v| b.and(v, neg)).collect();
    let mut rem = add(b, &r[..m], &masked);
    rem.resize(n, Lit::FALSE);
    by_zero(b, x, d, q, rem)
}

/// The result of [`udivrem`] for the divisor `d` (its low m bits; the rest
/// are 0) from the steps' `(q, r)`. Those are right for a nonzero divisor,
/// and for 0 too when m = n; with m < n the narrow remainder cannot hold
/// the dividend, so a divisor that may be 0 costs a fix-up to
/// `(all ones, x)`: m - 1 ANDs for the test, n for each result used.
fn by_zero(
    b: &mut Builder,
    x: &[Lit],
    d: &[Lit],
    q: Vec<Lit>,
    r: Vec<Lit>,
) -> (Vec<Lit>, Vec<Lit>) {
    if d.len() == x.len() || d.contains(&Lit::TRUE) {
        return (q, r);
    }
    let zero = !reduce_or(b, d);
    let q = q.iter().map(|&v| b.or(v, zero)).collect();
    (q, mux(b, zero, x, &r))
}

/// `if s { -x } else { x }` as `(x ^ s) + s` (n - 1 ANDs: with a zero
/// second operand each carry is one AND).
fn cond_neg(b: &mut Builder, x: &[Lit], s: Lit) -> Vec<Lit> {
    let flipped: Vec<Lit> = x.iter().map(|&v| b.xor(v, s)).collect();
    add_carry(b, &flipped, &vec![Lit::FALSE; x.len()], s, false).0
}

/// Signed division truncating toward zero, remainder with the dividend's sign
/// (Rust's `wrapping_div` / `wrapping_rem`; `MIN / -1 = MIN`). By zero, the
/// magnitudes' quotient is all ones, negated when the signs differ: `x / 0`
/// is -1 for `x >= 0` and 1 for `x < 0`, and `x % 0` is `x`.
///
/// Sign-magnitude: both magnitudes by a conditional negation (n - 1 ANDs
/// each, `cond_neg`), the unsigned [`udivrem`], and conditional negations
/// of the quotient and the remainder (n - 1 each; the unused one is dropped).
pub fn sdivrem(b: &mut Builder, x: &[Lit], y: &[Lit], want_rem: bool) -> (Vec<Lit>, Vec<Lit>) {
    let n = x.len();
    let (sx, sy) = (x[n - 1], y[n - 1]);
    let ax = cond_neg(b, x, sx);
    let ay = cond_neg(b, y, sy);
    let (q, r) = udivrem(b, &ax, &ay, want_rem);
    let sq = b.xor(sx, sy);
    (cond_neg(b, &q, sq), cond_neg(b, &r, sx))
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
        amount = udivrem(b, &amount, &modulus, true).1;
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
