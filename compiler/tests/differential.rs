//! Differential tests: random expressions over random integer widths,
//! compiled by the DSL compiler and evaluated with `Circuit::eval_plain`,
//! agree with the same expressions computed with Rust's wrapping integer
//! arithmetic (the language's documented semantics).

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use yao_compiler::lang::compile_str;
use yao_compiler::optimize::optimize;

#[derive(Clone, Copy, Debug)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    And,
    Or,
    Xor,
}

#[derive(Clone, Copy, Debug)]
enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Clone, Debug)]
enum E {
    Var(usize),
    Const(i128),
    Bin(Op, Box<E>, Box<E>),
    Not(Box<E>),
    Neg(Box<E>),
    ShlC(Box<E>, u32),
    ShrC(Box<E>, u32),
    ShlV(Box<E>, Box<E>),
    ShrV(Box<E>, Box<E>),
    Rotl(Box<E>, Box<E>),
    Rotr(Box<E>, Box<E>),
    RotlC(Box<E>, u32),
    If(Cmp, Box<E>, Box<E>, Box<E>, Box<E>),
    Via(Box<E>, u32, bool),
    Bit(Box<E>, u32),
    Popcount(Box<E>),
    /// `min` (false) or `max` (true).
    MinMax(bool, Box<E>, Box<E>),
    Abs(Box<E>),
    /// `match x { l | l => e, ..., _ => d }`, literals as raw bits.
    Match(Box<E>, Vec<(Vec<u128>, E)>, Box<E>),
}

/// The type all expressions share: width and signedness.
#[derive(Clone, Copy, Debug)]
struct T {
    w: u32,
    signed: bool,
}

impl T {
    fn mask(self) -> u128 {
        if self.w == 128 {
            u128::MAX
        } else {
            (1u128 << self.w) - 1
        }
    }
    fn name(self) -> String {
        format!("{}{}", if self.signed { 'i' } else { 'u' }, self.w)
    }
    /// The value of raw bits under this type's signedness.
    fn value(self, raw: u128) -> i128 {
        if self.signed && self.w < 128 && (raw >> (self.w - 1)) & 1 == 1 {
            raw as i128 - (1i128 << self.w)
        } else {
            raw as i128
        }
    }
}

/// A random expression; `ext` adds `min`, `max`, `abs` and `match` (without
/// it, the random stream is the one the recorded regressions were made with).
fn gen(rng: &mut StdRng, t: T, depth: u32, ext: bool) -> E {
    if depth == 0 || rng.random_range(0..10) < 2 {
        return if rng.random_bool(0.7) {
            E::Var(rng.random_range(0..3))
        } else {
            let raw = rng.random::<u128>() & t.mask();
            let raw = match rng.random_range(0..4) {
                0 => 0,
                1 => 1 & t.mask(),
                _ => raw,
            };
            E::Const(t.value(raw))
        };
    }
    let d = depth - 1;
    let sub = |rng: &mut StdRng| Box::new(gen(rng, t, d, ext));
    match rng.random_range(0..if ext { 21 } else { 17 }) {
        0..=4 => {
            let op = [
                Op::Add,
                Op::Sub,
                Op::Mul,
                Op::Div,
                Op::Rem,
                Op::And,
                Op::Or,
                Op::Xor,
            ][rng.random_range(0..8)];
            E::Bin(op, sub(rng), sub(rng))
        }
        5 => E::Not(sub(rng)),
        6 => E::Neg(sub(rng)),
        7 => E::ShlC(sub(rng), rng.random_range(0..t.w + 3)),
        8 => E::ShrC(sub(rng), rng.random_range(0..t.w + 3)),
        9 => {
            if rng.random_bool(0.5) {
                E::ShlV(sub(rng), sub(rng))
            } else {
                E::ShrV(sub(rng), sub(rng))
            }
        }
        10 => {
            if rng.random_bool(0.5) {
                E::Rotl(sub(rng), sub(rng))
            } else {
                E::Rotr(sub(rng), sub(rng))
            }
        }
        11 => E::RotlC(sub(rng), rng.random_range(0..2 * t.w)),
        12 | 13 => {
            let c = [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Eq, Cmp::Ne][rng.random_range(0..6)];
            E::If(c, sub(rng), sub(rng), sub(rng), sub(rng))
        }
        14 => E::Via(sub(rng), rng.random_range(1..=70), rng.random_bool(0.5)),
        15 => E::Bit(sub(rng), rng.random_range(0..t.w)),
        16 => E::Popcount(sub(rng)),
        17 => E::MinMax(rng.random_bool(0.5), sub(rng), sub(rng)),
        18 if t.signed => E::Abs(sub(rng)),
        18 => E::MinMax(rng.random_bool(0.5), sub(rng), sub(rng)),
        _ => {
            let lit = |rng: &mut StdRng| match rng.random_range(0..5) {
                0 => 0,
                1 => 1 & t.mask(),
                2 => t.mask(),
                3 => 1u128 << (t.w - 1),
                _ => rng.random::<u128>() & t.mask(),
            };
            let arms = (0..rng.random_range(1..4))
                .map(|_| {
                    let lits = (0..rng.random_range(1..3)).map(|_| lit(rng)).collect();
                    (lits, *sub(rng))
                })
                .collect();
            E::Match(sub(rng), arms, sub(rng))
        }
    }
}

fn render(e: &E, t: T) -> String {
    let r = |x: &E| render(x, t);
    match e {
        E::Var(i) => ["a", "b", "c"][*i].to_string(),
        E::Const(v) => format!("({v} as {})", t.name()),
        E::Bin(op, x, y) => {
            // A constant operand of a binary operator stays untyped: it takes
            // the other operand's type.
            let both = matches!((&**x, &**y), (E::Const(_), E::Const(_)));
            let r = |x: &E| match x {
                E::Const(v) if !both => format!("({v})"),
                _ => render(x, t),
            };
            let s = match op {
                Op::Add => "+",
                Op::Sub => "-",
                Op::Mul => "*",
                Op::Div => "/",
                Op::Rem => "%",
                Op::And => "&",
                Op::Or => "|",
                Op::Xor => "^",
            };
            format!("({} {s} {})", r(x), r(y))
        }
        E::Not(x) => format!("(!{})", r(x)),
        E::Neg(x) => format!("(-{})", r(x)),
        E::ShlC(x, k) => format!("({} << {k})", r(x)),
        E::ShrC(x, k) => format!("({} >> {k})", r(x)),
        E::ShlV(x, y) => format!("({} << {})", r(x), r(y)),
        E::ShrV(x, y) => format!("({} >> {})", r(x), r(y)),
        E::Rotl(x, y) => format!("rotl({}, {})", r(x), r(y)),
        E::Rotr(x, y) => format!("rotr({}, {})", r(x), r(y)),
        E::RotlC(x, k) => format!("rotl({}, {k})", r(x)),
        E::If(c, x, y, p, q) => {
            let s = match c {
                Cmp::Lt => "<",
                Cmp::Le => "<=",
                Cmp::Gt => ">",
                Cmp::Ge => ">=",
                Cmp::Eq => "==",
                Cmp::Ne => "!=",
            };
            format!(
                "if {} {s} {} {{ {} }} else {{ {} }}",
                r(x),
                r(y),
                r(p),
                r(q)
            )
        }
        E::Via(x, w, s) => {
            let mid = T { w: *w, signed: *s };
            format!("(({} as {}) as {})", r(x), mid.name(), t.name())
        }
        E::Bit(x, k) => format!("({}[{k}] as {})", r(x), t.name()),
        E::Popcount(x) => format!("(popcount({}) as {})", r(x), t.name()),
        E::MinMax(max, x, y) => {
            format!("{}({}, {})", if *max { "max" } else { "min" }, r(x), r(y))
        }
        E::Abs(x) => format!("abs({})", r(x)),
        E::Match(x, arms, d) => {
            let arms: Vec<String> = arms
                .iter()
                .map(|(lits, e)| {
                    let pats: Vec<String> = lits.iter().map(|&l| t.value(l).to_string()).collect();
                    format!("{} => {}", pats.join(" | "), r(e))
                })
                .collect();
            format!("(match {} {{ {}, _ => {} }})", r(x), arms.join(", "), r(d))
        }
    }
}

/// Reference semantics on raw bits (masked to the width).
fn eval(e: &E, t: T, vars: &[u128; 3]) -> u128 {
    let m = t.mask();
    let w = t.w;
    let ev = |x: &E| eval(x, t, vars);
    let shl = |a: u128, k: u128| if k >= w as u128 { 0 } else { (a << k) & m };
    let shr = |a: u128, k: u128| {
        if t.signed {
            let k = k.min(w as u128 - 1) as u32;
            ((t.value(a) >> k) as u128) & m
        } else if k >= w as u128 {
            0
        } else {
            a >> k
        }
    };
    let rotl = |a: u128, k: u128| {
        let k = (k % w as u128) as u32;
        if k == 0 {
            a
        } else {
            ((a << k) | (a >> (w - k))) & m
        }
    };
    match e {
        E::Var(i) => vars[*i] & m,
        E::Const(v) => (*v as u128) & m,
        E::Bin(op, x, y) => {
            let (a, b) = (ev(x), ev(y));
            let (sa, sb) = (t.value(a), t.value(b));
            match op {
                Op::Add => a.wrapping_add(b) & m,
                Op::Sub => a.wrapping_sub(b) & m,
                Op::Mul => a.wrapping_mul(b) & m,
                Op::And => a & b,
                Op::Or => a | b,
                Op::Xor => a ^ b,
                Op::Div if b == 0 => {
                    if t.signed && sa < 0 {
                        1
                    } else {
                        m
                    }
                }
                Op::Rem if b == 0 => a,
                Op::Div if t.signed => (sa.wrapping_div(sb) as u128) & m,
                Op::Rem if t.signed => (sa.wrapping_rem(sb) as u128) & m,
                Op::Div => a / b,
                Op::Rem => a % b,
            }
        }
        E::Not(x) => !ev(x) & m,
        E::Neg(x) => ev(x).wrapping_neg() & m,
        E::ShlC(x, k) => shl(ev(x), *k as u128),
        E::ShrC(x, k) => shr(ev(x), *k as u128),
        E::ShlV(x, y) => shl(ev(x), ev(y)),
        E::ShrV(x, y) => shr(ev(x), ev(y)),
        E::Rotl(x, y) => rotl(ev(x), ev(y)),
        E::Rotr(x, y) => {
            let k = ev(y) % w as u128;
            rotl(ev(x), (w as u128 - k) % w as u128)
        }
        E::RotlC(x, k) => rotl(ev(x), *k as u128),
        E::If(c, x, y, p, q) => {
            let (a, b) = (t.value(ev(x)), t.value(ev(y)));
            let hit = match c {
                Cmp::Lt => a < b,
                Cmp::Le => a <= b,
                Cmp::Gt => a > b,
                Cmp::Ge => a >= b,
                Cmp::Eq => a == b,
                Cmp::Ne => a != b,
            };
            if hit {
                ev(p)
            } else {
                ev(q)
            }
        }
        E::Via(x, w2, s2) => {
            let mid = T {
                w: *w2,
                signed: *s2,
            };
            // To the middle type: extend by t's signedness, then truncate.
            let v = (t.value(ev(x)) as u128) & mid.mask();
            // Back: extend by mid's signedness, truncate to t.
            (mid.value(v) as u128) & m
        }
        E::Bit(x, k) => (ev(x) >> k) & 1,
        E::Popcount(x) => (ev(x).count_ones() as u128) & m,
        E::MinMax(max, x, y) => {
            let (a, b) = (ev(x), ev(y));
            let less = t.value(a) < t.value(b);
            if less != *max {
                a
            } else {
                b
            }
        }
        E::Abs(x) => (t.value(ev(x)).wrapping_abs() as u128) & m,
        E::Match(x, arms, d) => {
            let s = ev(x);
            match arms.iter().find(|(lits, _)| lits.contains(&s)) {
                Some((_, e)) => ev(e),
                None => ev(d),
            }
        }
    }
}

fn bits(v: u128, w: u32) -> Vec<bool> {
    (0..w).map(|i| (v >> i) & 1 == 1).collect()
}

fn from_bits(b: &[bool]) -> u128 {
    b.iter().enumerate().map(|(i, &x)| (x as u128) << i).sum()
}

fn check(seed: u64) {
    check_with(seed, false)
}

fn check_with(seed: u64, ext: bool) {
    let mut rng = StdRng::seed_from_u64(seed);
    let w = match rng.random_range(0..4) {
        0 => rng.random_range(1..=8),
        1 => [8, 16, 32, 64][rng.random_range(0..4)],
        _ => rng.random_range(1..=64),
    };
    let t = T {
        w,
        signed: rng.random_bool(0.5),
    };
    let e = gen(&mut rng, t, 3, ext);
    let ty = t.name();
    let src = format!(
        "circuit t(garbler a: {ty}, evaluator b: {ty}, garbler c: {ty}) -> {ty} {{\n    {}\n}}\n",
        render(&e, t)
    );
    let c = compile_str("diff.yao", &src).unwrap_or_else(|d| panic!("{src}\n{d}"));
    let opt = optimize(&c);
    for _ in 0..8 {
        let vars: [u128; 3] = std::array::from_fn(|_| match rng.random_range(0..5) {
            0 => 0,
            1 => t.mask(),
            2 => 1u128 << (t.w - 1),
            _ => rng.random::<u128>() & t.mask(),
        });
        let inputs: Vec<Vec<bool>> = vars.iter().map(|&v| bits(v, t.w)).collect();
        let out = c.eval_plain(&inputs).unwrap();
        let expect = eval(&e, t, &vars);
        assert_eq!(
            from_bits(&out[0]),
            expect,
            "{src}\ninputs {vars:?} (width {}, signed {})",
            t.w,
            t.signed
        );
        assert_eq!(
            opt.eval_plain(&inputs).unwrap(),
            out,
            "optimize changed the function"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn random_expressions_match_wrapping_arithmetic(seed in any::<u64>()) {
        check(seed);
    }

    #[test]
    fn random_expressions_with_match_min_max_abs(seed in any::<u64>()) {
        check_with(seed, true);
    }
}

// Division, remainder and widening products of two inputs against Rust's
// semantics: exhaustive for 8-bit operands, edge cases and random pairs for
// wider ones. Division by zero gives `(x >= 0 ? -1 : 1, x)` (all ones for
// unsigned), `MIN / -1` gives `MIN` and `MIN % -1` gives 0.

/// Reference `a / b` (`rem`: `a % b`) on `w`-bit values.
fn div_ref(a: i128, b: i128, w: u32, signed: bool, rem: bool) -> i128 {
    let m = T { w, signed }.mask();
    let r = if b == 0 {
        if rem {
            a
        } else if signed && a < 0 {
            1
        } else {
            -1
        }
    } else if rem {
        a.wrapping_rem(b)
    } else {
        a.wrapping_div(b)
    };
    // Wrap to w bits, then read back with the signedness (MIN / -1 = MIN).
    T { w, signed }.value((r as u128) & m)
}

/// A circuit `t(a: ty_in, b: ty_in) -> ty_out { body }` checked on `pairs`
/// (values, not raw bits) against `f`, unoptimized and optimized.
fn check_pairs(
    ty_in: T,
    ty_out: T,
    body: &str,
    pairs: impl IntoIterator<Item = (i128, i128)>,
    f: impl Fn(i128, i128) -> i128,
) {
    check_mixed([ty_in, ty_in], ty_out, body, pairs, f)
}

/// [`check_pairs`] with inputs of two types.
fn check_mixed(
    [ta, tb]: [T; 2],
    ty_out: T,
    body: &str,
    pairs: impl IntoIterator<Item = (i128, i128)>,
    f: impl Fn(i128, i128) -> i128,
) {
    let src = format!(
        "circuit t(garbler a: {}, evaluator b: {}) -> {} {{\n    {body}\n}}\n",
        ta.name(),
        tb.name(),
        ty_out.name()
    );
    let c = compile_str("pairs.yao", &src).unwrap_or_else(|d| panic!("{src}\n{d}"));
    let opt = optimize(&c);
    for (a, b) in pairs {
        let inputs = vec![
            bits(a as u128 & ta.mask(), ta.w),
            bits(b as u128 & tb.mask(), tb.w),
        ];
        let out = c.eval_plain(&inputs).unwrap();
        let got = ty_out.value(from_bits(&out[0]));
        assert_eq!(got, f(a, b), "{src}\na = {a}, b = {b}");
        assert_eq!(
            opt.eval_plain(&inputs).unwrap(),
            out,
            "{src}: optimize changed it"
        );
    }
}

/// All values of a type if it has at most 8 bits, else edge cases (0, 1,
/// -1, MIN, MAX, ...) and random values, paired every way.
fn operand_pairs(t: T, rng: &mut StdRng, random: usize) -> Vec<(i128, i128)> {
    let vals: Vec<i128> = if t.w <= 8 {
        (0..=t.mask()).map(|raw| t.value(raw)).collect()
    } else {
        let m = t.mask();
        let mut raws = vec![0, 1, 2, 3, m, m - 1, m >> 1, (m >> 1) + 1, (m >> 1) + 2];
        raws.extend((0..random).map(|_| {
            // Random widths too, so that small quotients and divisors occur.
            let width = rng.random_range(1..=t.w);
            rng.random::<u128>() & (m >> (t.w - width))
        }));
        raws.into_iter().map(|raw| t.value(raw)).collect()
    };
    vals.iter()
        .flat_map(|&a| vals.iter().map(move |&b| (a, b)))
        .collect()
}

#[test]
fn division_and_remainder_match_rust() {
    let mut rng = StdRng::seed_from_u64(20);
    for (w, random) in [
        (8, 0),
        (16, 40),
        (32, 25),
        (64, 25),
        (100, 10),
        (5, 0),
        (13, 30),
    ] {
        for signed in [false, true] {
            let t = T { w, signed };
            let pairs = operand_pairs(t, &mut rng, random);
            for rem in [false, true] {
                let body = if rem { "a % b" } else { "a / b" };
                check_pairs(t, t, body, pairs.iter().copied(), |a, b| {
                    div_ref(a, b, w, signed, rem)
                });
            }
        }
    }
}

#[test]
fn division_by_narrow_divisors_matches_rust() {
    // A divisor with known-zero high bits takes the narrow path of the
    // divider, including its fix-up for division by zero.
    let mut rng = StdRng::seed_from_u64(23);
    for (w, h, random) in [
        (8, 3, 0),
        (16, 8, 40),
        (64, 32, 25),
        (64, 1, 10),
        (13, 12, 30),
    ] {
        for signed in [false, true] {
            let t = T { w, signed };
            let narrow = T { w: h, signed };
            let pairs = operand_pairs(t, &mut rng, random);
            for rem in [false, true] {
                let op = if rem { '%' } else { '/' };
                let body = format!("a {op} ((b as {}) as {})", narrow.name(), t.name());
                check_pairs(t, t, &body, pairs.iter().copied(), |a, b| {
                    let b = narrow.value((b as u128) & narrow.mask());
                    div_ref(a, b, w, signed, rem)
                });
            }
        }
    }
}

#[test]
fn division_by_constants_matches_rust() {
    let mut rng = StdRng::seed_from_u64(21);
    for (w, random) in [(8, 0), (16, 0), (64, 60), (12, 0)] {
        for signed in [false, true] {
            let t = T { w, signed };
            let m = t.mask();
            let mut divisors: Vec<u128> = vec![1, 2, 3, 7, 10, 20, 255, m, m >> 1, (m >> 1) + 1];
            divisors.extend((0..4).map(|_| rng.random::<u128>() & m));
            // Every dividend up to 16 bits.
            let xs: Vec<i128> = if w <= 16 {
                (0..=m).map(|raw| t.value(raw)).collect()
            } else {
                operand_pairs(t, &mut rng, random)
                    .into_iter()
                    .filter(|&(_, b)| b == 0)
                    .map(|(a, _)| a)
                    .collect()
            };
            for raw in divisors {
                let d = t.value(raw & m);
                for rem in [false, true] {
                    let body = format!("a {} ({d} as {})", if rem { '%' } else { '/' }, t.name());
                    check_pairs(t, t, &body, xs.iter().map(|&a| (a, d)), |a, b| {
                        div_ref(a, b, w, signed, rem)
                    });
                }
            }
        }
    }
}

#[test]
fn widening_products_match_rust() {
    let mut rng = StdRng::seed_from_u64(22);
    for (w, random) in [(8, 0), (3, 0), (16, 50), (32, 40), (64, 40)] {
        for signed in [true, false] {
            let t = T { w, signed };
            let wide = T { w: 2 * w, signed };
            let pairs = operand_pairs(t, &mut rng, random);
            let m = wide.mask();
            let body = format!("(a as {0}) * (b as {0})", wide.name());
            check_pairs(t, wide, &body, pairs.iter().copied(), |a, b| {
                wide.value((a.wrapping_mul(b) as u128) & m)
            });
            // Wider than needed, and mixed with a narrower second operand.
            if 2 * w + 3 > 120 {
                continue;
            }
            let wider = T {
                w: 2 * w + 3,
                signed,
            };
            let body = format!(
                "(a as {0}) * ((b as {1}) as {0})",
                wider.name(),
                T { w: w - 1, signed }.name()
            );
            let narrow = T { w: w - 1, signed };
            check_pairs(t, wider, &body, pairs.iter().copied(), |a, b| {
                let b = narrow.value((b as u128) & narrow.mask());
                wider.value((a.wrapping_mul(b) as u128) & wider.mask())
            });
        }
    }
}

#[test]
fn products_of_extended_operands_match_rust() {
    // Operands extended from narrower types of either signedness, products
    // as wide as the narrow ones need or truncated: all pairs of 6-bit
    // values, random ones of 40 bits.
    let mut rng = StdRng::seed_from_u64(24);
    for (wa, wb, random) in [(6, 6, 0), (6, 4, 0), (40, 40, 30), (40, 20, 30)] {
        for (sa, sb) in [(true, false), (false, true), (true, true), (false, false)] {
            let (ta, tb) = (T { w: wa, signed: sa }, T { w: wb, signed: sb });
            let both: Vec<(i128, i128)> = {
                let xs = operand_pairs(ta, &mut rng, random);
                let ys = operand_pairs(tb, &mut rng, random);
                let xs: Vec<i128> = xs.iter().filter(|p| p.1 == 0).map(|p| p.0).collect();
                let ys: Vec<i128> = ys.iter().filter(|p| p.1 == 0).map(|p| p.0).collect();
                xs.iter()
                    .flat_map(|&a| ys.iter().map(move |&b| (a, b)))
                    .collect()
            };
            for (w, signed) in [
                (wa + wb, true),
                (wa + wb + 2, false),
                (wa, sa),
                (wa + 1, true),
                (wa + wb - 1, false),
            ] {
                let out = T { w, signed };
                let body = format!("(a as {0}) * (b as {0})", out.name());
                check_mixed([ta, tb], out, &body, both.iter().copied(), |a, b| {
                    let m = out.mask();
                    let (a, b) = ((a as u128) & m, (b as u128) & m);
                    out.value(a.wrapping_mul(b) & m)
                });
            }
        }
    }
}
