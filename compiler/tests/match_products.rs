//! `match` on tuples and structs: patterns nested with literals, ranges,
//! bindings, `_`, `..` and alternatives, checked against Rust's own `match`
//! on every value, against a reference matcher on random patterns (values,
//! the missing case an error names, and the arms and alternatives warned
//! unreachable), for cost (that of the same tests written as an `if`
//! chain) and for diagnostics.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use yao_compiler::ir::Circuit;
use yao_compiler::lang::{compile_str, compile_str_checked, Diagnostics};

fn compile(src: &str) -> Circuit {
    compile_str("m.yao", src).unwrap_or_else(|d| panic!("{src}\n{d}"))
}

fn checked(src: &str) -> Result<(Circuit, Diagnostics), Diagnostics> {
    compile_str_checked("m.yao", src, None, Default::default()).map(|c| (c.circuit, c.warnings))
}

fn errors(src: &str) -> String {
    match compile_str("m.yao", src) {
        Ok(_) => panic!("compiled but should not:\n{src}"),
        Err(d) => d.render(false),
    }
}

fn bits(v: u64, w: usize) -> Vec<bool> {
    (0..w).map(|i| v >> i & 1 == 1).collect()
}

fn num(b: &[bool]) -> u64 {
    b.iter().rev().fold(0, |a, &x| a << 1 | x as u64)
}

const STRUCTS: &str = "struct P { x: u8, y: u8 }
circuit t(garbler p: P) -> u16 {
    match p {
        P { x: 0, y } => y as u16,
        P { x: 1..=9, y: 0 | 255 } => 1000,
        P { x: n @ (10 | 20 | 30), y: 100..200 } => (n as u16) * 3,
        P { x, y: 7 } | P { x: 7, y: x } => x as u16 + 2000,
        q @ P { x: 200..=255, .. } => q.y as u16 + q.x as u16,
        P { y: 0..=127, .. } => 3000,
        _ => 4000,
    }
}";

#[test]
fn struct_patterns_match_rust_on_every_value() {
    #[derive(Clone, Copy)]
    struct P {
        x: u8,
        y: u8,
    }
    let c = compile(STRUCTS);
    for x in 0..=255u8 {
        for y in 0..=255u8 {
            #[allow(unreachable_patterns)]
            let want: u16 = match (P { x, y }) {
                P { x: 0, y } => y as u16,
                P {
                    x: 1..=9,
                    y: 0 | 255,
                } => 1000,
                P {
                    x: n @ (10 | 20 | 30),
                    y: 100..200,
                } => n as u16 * 3,
                P { x, y: 7 } | P { x: 7, y: x } => x as u16 + 2000,
                q @ P { x: 200..=255, .. } => q.y as u16 + q.x as u16,
                P { y: 0..=127, .. } => 3000,
                _ => 4000,
            };
            let mut input = bits(x as u64, 8);
            input.extend(bits(y as u64, 8));
            let got = num(&c.eval_plain(&[input]).unwrap()[0]);
            assert_eq!(got, want as u64, "P {{ x: {x}, y: {y} }}");
        }
    }
}

/// No `_`: the last two arms cover what the others leave.
const TUPLES: &str = "circuit t(garbler a: i8, evaluator b: (bool, i8)) -> i16 {
    match (a, b) {
        (0, (true, _)) => 1,
        (-128..=-1, (false, v @ (-5..=5 | 100))) => (v as i16) * 10,
        (x, (_, 0)) | (0, (_, x)) => (x as i16) + 500,
        (m @ 1..=50, (c, n)) => if c { (m as i16) - (n as i16) } else { m as i16 },
        (-128, _) => -1,
        (_, (true, n)) => n as i16,
        (_, (false, _)) => 7,
    }
}";

#[test]
fn tuple_patterns_match_rust_on_every_value() {
    let c = compile(TUPLES);
    for a in i8::MIN..=i8::MAX {
        for flag in [false, true] {
            for n in i8::MIN..=i8::MAX {
                let want: i16 = match (a, (flag, n)) {
                    (0, (true, _)) => 1,
                    (-128..=-1, (false, v @ (-5..=5 | 100))) => v as i16 * 10,
                    (x, (_, 0)) | (0, (_, x)) => x as i16 + 500,
                    (m @ 1..=50, (c, n)) => {
                        if c {
                            m as i16 - n as i16
                        } else {
                            m as i16
                        }
                    }
                    (-128, _) => -1,
                    (_, (true, n)) => n as i16,
                    (_, (false, _)) => 7,
                };
                let mut b = vec![flag];
                b.extend(bits(n as u8 as u64, 8));
                let out = c.eval_plain(&[bits(a as u8 as u64, 8), b]).unwrap();
                assert_eq!(num(&out[0]) as u16 as i16, want, "({a}, ({flag}, {n}))");
            }
        }
    }
}

#[test]
fn at_with_alternatives_matches_rust_and_costs_what_the_alternatives_cost() {
    let c = compile(
        "circuit t(garbler x: u8) -> u8 { match x { n @ (1 | 5..=9 | 200) => n + 1, n @ (10..20 | 30) => n - 1, _ => 0 } }",
    );
    for x in 0..=255u8 {
        let want = match x {
            n @ (1 | 5..=9 | 200) => n.wrapping_add(1),
            n @ (10..20 | 30) => n - 1,
            _ => 0,
        };
        assert_eq!(
            num(&c.eval_plain(&[bits(x as u64, 8)]).unwrap()[0]),
            want as u64,
            "{x}"
        );
    }
    // `n @` names wires the pattern already has: no gate of its own.
    let and = |src: &str| compile(src).stats().and;
    assert_eq!(
        and("circuit t(garbler x: u8) -> u8 { match x { n @ (1 | 5..=9) => n, _ => 0 } }"),
        and("circuit t(garbler x: u8) -> u8 { match x { 1 | 5..=9 => x, _ => 0 } }"),
    );
}

/// A pattern costs the comparisons it makes: the same ANDs as the `if`
/// chain a user would write for it, counted here and pinned.
#[test]
fn patterns_cost_what_the_if_chain_costs() {
    let pre = "struct P { x: u8, y: u8 }\ncircuit t(garbler p: P, evaluator q: u8) -> u8 {";
    let and = |body: &str| compile(&format!("{pre} {body} }}")).stats().and;
    let cases = [
        (
            "match p { P { x: 0, y } => y, P { x: 1..=9, y: 0 } => q, P { x, y: 200..=255 } => x ^ q, _ => 7 }",
            "if p.x == 0 { p.y } else if p.x >= 1 && p.x <= 9 && p.y == 0 { q } else if p.y >= 200 { p.x ^ q } else { 7 }",
            57,
        ),
        (
            "match (p.x, q) { (0, 0) => 1, (0, _) => 2, (_, 0) => 3, (x, y) => x + y }",
            "if p.x == 0 && q == 0 { 1 } else if p.x == 0 { 2 } else if q == 0 { 3 } else { p.x + q }",
            46,
        ),
        (
            "match p { P { x: 5, y: 5 } => 1 ^ q, P { x: 5, .. } => 2 ^ q, P { .. } => 3 ^ q }",
            "if p.x == 5 && p.y == 5 { 1 ^ q } else if p.x == 5 { 2 ^ q } else { 3 ^ q }",
            16,
        ),
    ];
    // Two tests on a struct: 7 + 7 for the `==`s, 1 for their AND.
    assert_eq!(
        and("match p { P { x: 5, y: 5 } => true, _ => false } as u8"),
        15
    );
    // Alternatives binding different parts: the OR of the tests (1) and one
    // multiplexer for `x` (8), as `if b == 0 || a == 0 { let x = if b == 0
    // { a } else { b }; x } else { 0 }` would.
    assert_eq!(
        and("match (p.x, p.y) { (x, 0) | (0, x) => x ^ q, _ => q }"),
        and("if p.y == 0 || p.x == 0 { let x = if p.y == 0 { p.x } else { p.y }; x ^ q } else { q }")
    );
    for (m, chain, pinned) in cases {
        let (got, want) = (and(m), and(chain));
        assert!(got <= want, "{m}: {got} ANDs, the `if` chain {want}");
        assert_eq!(got, pinned, "{m}");
    }
}

/// A struct pattern may name the struct through an alias, as in Rust.
#[test]
fn an_alias_names_the_struct_in_a_pattern() {
    let c = compile(
        "struct P { x: u8, y: u8 }
         type Q = P;
         circuit t(garbler p: P) -> u8 { match p { Q { x: 0, y } => y, P { x, .. } => x } }",
    );
    for (x, y) in [(0u64, 9u64), (4, 9)] {
        let mut input = bits(x, 8);
        input.extend(bits(y, 8));
        let want = if x == 0 { y } else { x };
        assert_eq!(num(&c.eval_plain(&[input]).unwrap()[0]), want);
    }
}

#[test]
fn a_known_struct_picks_its_arm_at_compile_time() {
    let c = compile(
        "struct P { x: u8, y: u8 }
         const ORIGIN: P = P { x: 0, y: 3 };
         fn f(p: P, v: u8) -> u8 { match p { P { x: 0, y } => v + y, P { x, .. } => v * x } }
         circuit t(garbler v: u8) -> u8 { f(ORIGIN, v) }",
    );
    assert_eq!(
        c.gates,
        compile("circuit t(garbler v: u8) -> u8 { v + 3 }").gates
    );
}

#[test]
fn missing_cases_are_named_as_patterns() {
    let s = "struct P { x: u8, y: bool }\n";
    let cases = [
        (
            "circuit t(garbler p: P) -> u8 { match p { P { x: 0, .. } => 1 } }",
            "non-exhaustive `match` on `P`: `P { x: 1..=255, .. }` is not covered",
        ),
        (
            "circuit t(garbler p: P) -> u8 { match p { P { y: true, .. } => 1, P { x: 0..=9, y: false } => 2 } }",
            "`P { x: 10..=255, y: false }` is not covered",
        ),
        (
            "circuit t(garbler p: (u8, i8)) -> u8 { match p { (0, _) => 1, (_, 0..=127) => 2 } }",
            "non-exhaustive `match` on `(u8, i8)`: `(1..=255, -128..=-1)` is not covered",
        ),
        (
            "circuit t(garbler p: ((bool, bool), u8)) -> u8 { match p { ((true, _), _) => 1, ((_, true), 0) => 2 } }",
            "`((false, false), _)` is not covered",
        ),
        (
            "circuit t(garbler p: (u8, bool)) -> u8 { match p { (0 | 2..=255, true) => 1, (_, false) => 2 } }",
            "`(1, true)` is not covered",
        ),
    ];
    for (src, want) in cases {
        let e = errors(&format!("{s}{src}"));
        assert!(e.contains(want), "{src}\n{e}");
        assert!(e.contains("add a last arm `_ => ...`"), "{e}");
    }
}

#[test]
fn arms_that_cannot_run_are_reported() {
    let warned = |src: &str| -> Vec<(usize, usize, String)> {
        let (_, w) = checked(src).unwrap_or_else(|d| panic!("{src}\n{}", d.render(false)));
        w.iter()
            .filter(|d| d.message.starts_with("unreachable"))
            .map(|d| (d.line, d.column, d.message.clone()))
            .collect()
    };
    // Covered by two earlier arms together (no single one covers it).
    let w = warned(
        "circuit t(garbler p: (u8, bool)) -> u8 {
    match p {
        (0, true) => 1,
        (_, false) => 2,
        (0, _) => 3,
        (1..=5, _) | (0, false) => 4,
        _ => 5,
    }
}",
    );
    assert_eq!(
        w,
        [
            (5, 9, "unreachable `match` arm".to_string()),
            (6, 22, "unreachable pattern".to_string()),
        ]
    );
    // A catch-all arm before others stays an error, as before.
    let e = errors(
        "struct P { x: u8 }\ncircuit t(garbler p: P) -> u8 { match p { P { .. } => 1, P { x: 0 } => 2 } }",
    );
    assert!(e.contains("unreachable `match` arm"), "{e}");
    assert!(e.contains("this pattern matches every value"), "{e}");
}

#[test]
fn bad_product_patterns() {
    let s = "struct P { x: u8, y: u8 }\nstruct Q { x: u8 }\n";
    let cases = [
        (
            "match p { (x, y) => x, }",
            "mismatched types: expected a `P` pattern, found `a tuple`",
        ),
        (
            "match p { Q { x } => x }",
            "this pattern takes a `Q`, but the value is a `P`",
        ),
        (
            "match p { P { x: 0 } => 1, _ => 0 }",
            "pattern does not mention field `y`",
        ),
        (
            "match p { P { z: 0, .. } => 1, _ => 0 }",
            "struct `P` has no field `z`",
        ),
        (
            "match p { P { x: 0, x: 1, .. } => 1, _ => 0 }",
            "field `x` appears more than once in this pattern",
        ),
        (
            "match p { P { x, y: x } => x }",
            "`x` is bound more than once in this pattern",
        ),
        (
            "match p { P { x: 3, y: true } => 1, _ => 0 }",
            "expected a `u8` pattern, found `true`",
        ),
        (
            "match p { P { x: 300, .. } => 1, _ => 0 }",
            "constant 300 does not fit in `u8`",
        ),
        (
            "match (p.x, p.y) { (a, b, c) => a }",
            "this pattern has 3 elements, but the value, a `(u8, u8)`, has 2",
        ),
        (
            "match (p.x, p.y) { 3 => 1, _ => 0 }",
            "expected a `(u8, u8)` pattern, found `3`",
        ),
        (
            "match (p.x, p.y) { (n @ 1 | 2, _) => n, _ => 0 }",
            "every alternative of these alternatives must bind `n`",
        ),
        (
            "match (p.x, p.y) { (a, 0) | (0, b) => a, _ => 0 }",
            "binds `b` instead",
        ),
        (
            "match (p.x, true) { (a, true) | (_, a) => 1, _ => 0 }",
            "`a` is a `u8` in the first alternative and a `bool` in this one",
        ),
        (
            "match (p.x, p.y) { (1 | n, _) => 1, _ => 0 }",
            "`n` cannot be one of several alternatives",
        ),
        (
            "match (p.x, p.y) { (n @ m, _) => 1, _ => 0 }",
            "expected a pattern that is not a name after `@`",
        ),
        (
            "match (p.x, p.y) { (1, 2 => 1, _ => 0 }",
            "expected `,` or `)`",
        ),
        (
            "match p { P { x: 1, .., } => 1, _ => 0 }",
            "`}` (`..` comes last)",
        ),
    ];
    for (body, want) in cases {
        let src = format!("{s}circuit t(garbler p: P) -> u8 {{ {body} }}");
        let e = errors(&src);
        assert!(e.contains(want), "{src}\n{e}");
    }
}

// ---------------------------------------------------------------------
// Random patterns against a reference matcher.

/// A pattern on one integer or `bool` part of the value.
#[derive(Clone, Debug)]
enum Leaf {
    Any,
    Lit(i64),
    /// Inclusive bounds.
    Range(i64, i64),
    /// Alternatives `(a | b)`.
    Or(Vec<Leaf>),
}

impl Leaf {
    fn matches(&self, v: i64) -> bool {
        match self {
            Leaf::Any => true,
            Leaf::Lit(k) => v == *k,
            Leaf::Range(a, b) => *a <= v && v <= *b,
            Leaf::Or(ls) => ls.iter().any(|l| l.matches(v)),
        }
    }

    /// Matches every value by its form alone (a range never does, even
    /// one that spans the type, as the compiler sees it).
    fn irrefutable(&self) -> bool {
        match self {
            Leaf::Any => true,
            Leaf::Or(ls) => ls.iter().any(Leaf::irrefutable),
            _ => false,
        }
    }

    fn render(&self, is_bool: bool) -> String {
        match self {
            Leaf::Any => "_".into(),
            Leaf::Lit(k) if is_bool => (*k == 1).to_string(),
            Leaf::Lit(k) => k.to_string(),
            Leaf::Range(a, b) => format!("{a}..={b}"),
            Leaf::Or(ls) => {
                let parts: Vec<String> = ls.iter().map(|l| l.render(is_bool)).collect();
                format!("({})", parts.join(" | "))
            }
        }
    }
}

/// One alternative: a pattern per part `(a, b, c)` (`c` a `bool`), and
/// which of `a`, `b` is named `v` (`v @ ...`), if the arm binds `v`.
#[derive(Clone, Debug)]
struct Alt {
    parts: [Leaf; 3],
    bind: Option<usize>,
}

/// The scrutinee's integer parts: width and signedness.
#[derive(Clone, Copy, Debug)]
struct Int {
    w: u32,
    signed: bool,
}

impl Int {
    fn lo(self) -> i64 {
        if self.signed {
            -(1 << (self.w - 1))
        } else {
            0
        }
    }
    fn hi(self) -> i64 {
        if self.signed {
            (1 << (self.w - 1)) - 1
        } else {
            (1 << self.w) - 1
        }
    }
    fn name(self) -> String {
        format!("{}{}", if self.signed { 'i' } else { 'u' }, self.w)
    }
}

fn gen_leaf(rng: &mut StdRng, t: Int, is_bool: bool, depth: u32) -> Leaf {
    let (lo, hi) = if is_bool { (0, 1) } else { (t.lo(), t.hi()) };
    match rng.random_range(0..if depth > 0 { 9 } else { 8 }) {
        0 | 1 => Leaf::Any,
        2..=4 => Leaf::Lit(rng.random_range(lo..=hi)),
        5..=7 if is_bool => Leaf::Lit(rng.random_range(0..=1)),
        5..=7 => {
            let a = rng.random_range(lo..=hi);
            let b = rng.random_range(a..=hi);
            Leaf::Range(a, b)
        }
        _ => Leaf::Or(
            (0..rng.random_range(2..=3))
                .map(|_| gen_leaf(rng, t, is_bool, depth - 1))
                .collect(),
        ),
    }
}

/// A random `match` on `(a, b, c)` of types `(t, t, bool)`, as a tuple or
/// as `struct S { a, b, c }`: each arm and each alternative on its own
/// line (from line 3), so diagnostics can be matched to them.
struct Case {
    t: Int,
    as_struct: bool,
    arms: Vec<Vec<Alt>>,
    wildcard: bool,
}

impl Case {
    fn gen(rng: &mut StdRng) -> Case {
        let t = Int {
            w: rng.random_range(2..=5),
            signed: rng.random_bool(0.5),
        };
        let arms = (0..rng.random_range(1..=6))
            .map(|_| {
                let bind = rng.random_bool(0.4);
                (0..rng.random_range(1..=3))
                    .map(|_| Alt {
                        parts: [
                            gen_leaf(rng, t, false, 1),
                            gen_leaf(rng, t, false, 1),
                            gen_leaf(rng, t, true, 1),
                        ],
                        bind: bind.then(|| rng.random_range(0..2)),
                    })
                    .collect()
            })
            .collect();
        Case {
            t,
            as_struct: rng.random_bool(0.5),
            arms,
            wildcard: rng.random_bool(0.6),
        }
    }

    fn render_alt(&self, alt: &Alt) -> String {
        let parts: Vec<String> = (0..3)
            .map(|i| {
                let p = alt.parts[i].render(i == 2);
                if alt.bind == Some(i) {
                    // `v @ _` is written `v`.
                    match alt.parts[i] {
                        Leaf::Any => "v".into(),
                        Leaf::Or(_) => format!("v @ {p}"),
                        _ => format!("v @ {p}"),
                    }
                } else {
                    p
                }
            })
            .collect();
        if self.as_struct {
            format!("S {{ a: {}, b: {}, c: {} }}", parts[0], parts[1], parts[2])
        } else {
            format!("({}, {}, {})", parts[0], parts[1], parts[2])
        }
    }

    /// The source; the arm `k` gives `k * 64 + v` (`v` as a `u8`, or 0).
    fn source(&self) -> String {
        let t = self.t.name();
        let mut s = format!(
            "struct S {{ a: {t}, b: {t}, c: bool }}\ncircuit m(garbler s: {}) -> u16 {{ match s {{\n",
            if self.as_struct {
                "S".to_string()
            } else {
                format!("({t}, {t}, bool)")
            }
        );
        for (k, arm) in self.arms.iter().enumerate() {
            for (j, alt) in arm.iter().enumerate() {
                s += if j == 0 { "  " } else { "  | " };
                s += &self.render_alt(alt);
                s += "\n";
            }
            let v = if arm[0].bind.is_some() {
                " + ((v as u8) as u16)"
            } else {
                ""
            };
            s += &format!("  => {} as u16{v},\n", k * 64);
        }
        if self.wildcard {
            s += "  _ => 1000,\n";
        }
        s += "} }\n";
        s
    }

    fn values(&self) -> Vec<[i64; 3]> {
        let mut out = Vec::new();
        for a in self.t.lo()..=self.t.hi() {
            for b in self.t.lo()..=self.t.hi() {
                for c in 0..=1 {
                    out.push([a, b, c]);
                }
            }
        }
        out
    }

    fn alt_matches(alt: &Alt, v: &[i64; 3]) -> bool {
        (0..3).all(|i| alt.parts[i].matches(v[i]))
    }

    /// The arm that runs and the output, as Rust's `match` semantics give.
    fn reference(&self, v: &[i64; 3]) -> Option<(usize, u16)> {
        for (k, arm) in self.arms.iter().enumerate() {
            if let Some(alt) = arm.iter().find(|a| Self::alt_matches(a, v)) {
                let bound = alt.bind.map_or(0, |i| (v[i] as u8) as u16);
                return Some((k, (k * 64) as u16 + bound));
            }
        }
        self.wildcard.then_some((self.arms.len(), 1000))
    }

    /// Source lines (1-based) of the arms and alternatives no value reaches.
    fn unreachable(&self, vals: &[[i64; 3]]) -> (Vec<usize>, Vec<usize>) {
        let (mut arms, mut alts) = (Vec::new(), Vec::new());
        let mut line = 3;
        for (k, arm) in self.arms.iter().enumerate() {
            let earlier = |v: &[i64; 3]| {
                self.arms[..k]
                    .iter()
                    .any(|a| a.iter().any(|x| Self::alt_matches(x, v)))
            };
            let live: Vec<bool> = (0..arm.len())
                .map(|j| {
                    vals.iter().any(|v| {
                        Self::alt_matches(&arm[j], v)
                            && !earlier(v)
                            && !arm[..j].iter().any(|x| Self::alt_matches(x, v))
                    })
                })
                .collect();
            if k > 0 && live.iter().all(|l| !l) {
                arms.push(line);
            } else if live.iter().any(|l| *l) {
                for (j, l) in live.iter().enumerate() {
                    if !l {
                        alts.push(line + j);
                    }
                }
            }
            line += arm.len() + 1;
        }
        if self.wildcard {
            let covered = vals.iter().all(|v| {
                self.arms
                    .iter()
                    .any(|a| a.iter().any(|x| Self::alt_matches(x, v)))
            });
            if covered && !self.arms.is_empty() {
                arms.push(line);
            }
        }
        (arms, alts)
    }

    fn input(&self, v: &[i64; 3]) -> Vec<bool> {
        let w = self.t.w as usize;
        let mut b = bits(v[0] as u64, w);
        b.extend(bits(v[1] as u64, w));
        b.push(v[2] == 1);
        b
    }
}

/// The values a rendered witness such as `(1..=3, _, true)` or
/// `S { a: -2, .. }` stands for: one representative per part.
fn witness_value(shown: &str, t: Int) -> [i64; 3] {
    let part = |s: &str, is_bool: bool| -> i64 {
        match s.trim() {
            "_" => 0,
            "true" => 1,
            "false" => 0,
            r => {
                let first = r.split("..=").next().unwrap();
                let v: i64 = first.parse().unwrap_or_else(|_| panic!("part {r:?}"));
                assert!(!is_bool);
                assert!(t.lo() <= v && v <= t.hi());
                v
            }
        }
    };
    if let Some(body) = shown.strip_prefix("S {") {
        let mut v = [0; 3];
        for field in body.trim_end_matches('}').split(',') {
            let field = field.trim();
            if field == ".." || field.is_empty() {
                continue;
            }
            let (name, p) = field.split_once(':').unwrap();
            let i = ["a", "b", "c"]
                .iter()
                .position(|n| *n == name.trim())
                .unwrap();
            v[i] = part(p, i == 2);
        }
        v
    } else {
        let inner = shown.trim_start_matches('(').trim_end_matches(')');
        let ps: Vec<&str> = inner.split(',').collect();
        assert_eq!(ps.len(), 3, "{shown}");
        [part(ps[0], false), part(ps[1], false), part(ps[2], true)]
    }
}

/// What a random case came to.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Outcome {
    /// Refused as non-exhaustive, with a missing case the reference confirms.
    Missing,
    /// Refused: an arm after one that matches every value.
    AfterCatchAll,
    /// Compiled and agreed on every value; whether it warned about an
    /// arm, and about an alternative.
    Ran { dead_arm: bool, dead_alt: bool },
}

fn check_random(seed: u64) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let case = Case::gen(&mut rng);
    let src = case.source();
    let vals = case.values();
    let exhaustive = vals.iter().all(|v| case.reference(v).is_some());
    // An arm that matches every value by its form (`_` or a name in every
    // part) before another arm makes that arm an error, not a warning.
    let catch_all = case.arms.iter().position(|arm| {
        arm.iter()
            .any(|alt| alt.parts.iter().all(Leaf::irrefutable))
    });
    if catch_all.is_some_and(|k| k + 1 < case.arms.len() || case.wildcard) {
        let e = errors(&src);
        assert!(e.contains("unreachable `match` arm"), "{src}\n{e}");
        return Outcome::AfterCatchAll;
    }
    let (circuit, warnings) = match checked(&src) {
        Ok(ok) => ok,
        Err(d) => {
            let text = d.render(false);
            assert!(!exhaustive, "refused an exhaustive match:\n{src}\n{text}");
            let d = d.iter().next().unwrap();
            let shown = d
                .message
                .split('`')
                .nth(5)
                .unwrap_or_else(|| panic!("{src}\n{text}"));
            assert!(d.message.starts_with("non-exhaustive"), "{src}\n{text}");
            let v = witness_value(shown, case.t);
            assert!(
                case.reference(&v).is_none(),
                "the missing case {shown} is covered:\n{src}"
            );
            return Outcome::Missing;
        }
    };
    assert!(exhaustive, "accepted a match that misses values:\n{src}");
    for v in &vals {
        let (_, want) = case.reference(v).unwrap();
        let got = num(&circuit.eval_plain(&[case.input(v)]).unwrap()[0]);
        assert_eq!(got, want as u64, "{v:?}\n{src}");
    }
    let (arms, alts) = case.unreachable(&vals);
    let lines = |msg: &str| -> Vec<usize> {
        warnings
            .iter()
            .filter(|d| d.message == msg)
            .map(|d| d.line)
            .collect()
    };
    assert_eq!(
        lines("unreachable `match` arm"),
        arms,
        "{src}\n{}",
        warnings.render(false)
    );
    assert_eq!(
        lines("unreachable pattern"),
        alts,
        "{src}\n{}",
        warnings.render(false)
    );
    Outcome::Ran {
        dead_arm: !arms.is_empty(),
        dead_alt: !alts.is_empty(),
    }
}

/// The generator reaches every outcome often, so the property below
/// tests each of them.
#[test]
fn random_cases_reach_every_outcome() {
    let outcomes: Vec<Outcome> = (0..300).map(check_random).collect();
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let counts = [
        ("missing", count(&|o| *o == Outcome::Missing)),
        (
            "after a catch-all",
            count(&|o| *o == Outcome::AfterCatchAll),
        ),
        (
            "clean",
            count(&|o| {
                *o == Outcome::Ran {
                    dead_arm: false,
                    dead_alt: false,
                }
            }),
        ),
        (
            "dead arm",
            count(&|o| matches!(o, Outcome::Ran { dead_arm: true, .. })),
        ),
        (
            "dead alternative",
            count(&|o| matches!(o, Outcome::Ran { dead_alt: true, .. })),
        ),
    ];
    for (what, n) in counts {
        assert!(n >= 15, "{what}: {n} of 300 ({counts:?})");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn random_patterns_agree_with_a_reference_matcher(seed in any::<u64>()) {
        let _ = check_random(seed);
    }
}

/// A lookup table written as one arm per value needs no `_`; leaving out
/// one entry names exactly that entry.
#[test]
fn a_full_table_is_exhaustive_and_a_gap_is_named() {
    let table = |skip: Option<(u8, u8)>| {
        let mut s = String::from("circuit t(garbler p: (u4, u4)) -> u8 { match p {\n");
        for a in 0..16u8 {
            for b in 0..16u8 {
                if skip != Some((a, b)) {
                    s += &format!("({a}, {b}) => {},\n", a * b);
                }
            }
        }
        s + "} }"
    };
    let c = compile(&table(None));
    for a in 0..16u64 {
        for b in 0..16u64 {
            let mut input = bits(a, 4);
            input.extend(bits(b, 4));
            assert_eq!(num(&c.eval_plain(&[input]).unwrap()[0]), a * b);
        }
    }
    let e = errors(&table(Some((9, 14))));
    assert!(e.contains("`(9, 14)` is not covered"), "{e}");
}

/// The examples of docs/language.md ("Statements and expressions"), and
/// the error it quotes.
#[test]
fn the_documented_examples_compile_and_the_quoted_error_is_given() {
    let quadrant = "struct Point { x: i16, y: i16 }
fn quadrant(p: Point) -> u8 {
    match p {
        Point { x: 0, y: 0 } => 0,
        Point { x: 1..=32767, y: 0..=32767 } => 1,
        Point { x: -32768..=0, y: 1..=32767 } => 2,
        Point { x: -32768..=-1, .. } => 3,
        LAST
    }
}
circuit t(garbler p: Point, evaluator dir: u8, evaluator speed: u8) -> (q: u8, step: u8) {
    let step: u8 = match (dir, speed) {
        (0, 0) => 1,
        (0, s @ 1..=3) => s * 4,
        (d @ (1 | 2), _) | (_, d @ (8 | 9)) => d,
        _ => 0,
    };
    (quadrant(p), step)
}";
    let c = compile(&quadrant.replace("LAST", "Point { .. } => 4,"));
    let run = |x: i16, y: i16, dir: u8, speed: u8| {
        let mut p = bits(x as u16 as u64, 16);
        p.extend(bits(y as u16 as u64, 16));
        let out = c
            .eval_plain(&[p, bits(dir as u64, 8), bits(speed as u64, 8)])
            .unwrap();
        (num(&out[0]) as u8, num(&out[1]) as u8)
    };
    assert_eq!(run(0, 0, 0, 0), (0, 1));
    assert_eq!(run(5, 0, 0, 3), (1, 12));
    assert_eq!(run(0, 9, 2, 7), (2, 2));
    assert_eq!(run(-1, -1, 5, 9), (3, 9));
    assert_eq!(run(3, -4, 5, 7), (4, 0));
    let e = errors(&quadrant.replace("LAST", ""));
    assert!(
        e.contains(
            "non-exhaustive `match` on `Point`: `Point { x: 0, y: -32768..=-1 }` is not covered"
        ),
        "{e}"
    );
}

/// The fuzz seed for these patterns compiles, so the fuzzer starts from
/// the feature and not from an error path.
#[test]
fn the_fuzz_seed_compiles() {
    let c = compile(include_str!("../../fuzz/seeds/dsl/match-products.yao"));
    assert_eq!(c.outputs.len(), 2);
}
