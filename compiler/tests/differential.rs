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

fn gen(rng: &mut StdRng, t: T, depth: u32) -> E {
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
    let sub = |rng: &mut StdRng| Box::new(gen(rng, t, d));
    match rng.random_range(0..17) {
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
        _ => E::Popcount(sub(rng)),
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
    }
}

fn bits(v: u128, w: u32) -> Vec<bool> {
    (0..w).map(|i| (v >> i) & 1 == 1).collect()
}

fn from_bits(b: &[bool]) -> u128 {
    b.iter().enumerate().map(|(i, &x)| (x as u128) << i).sum()
}

fn check(seed: u64) {
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
    let e = gen(&mut rng, t, 3);
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
}
