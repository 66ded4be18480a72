//! The standard library (`use std::NAME;`): every function checked against a
//! Rust reference by evaluating the compiled circuit in the clear, with the
//! AND counts of the sorting network and argmax pinned.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use yao_compiler::ir::Circuit;
use yao_compiler::lang::{compile_file, compile_str, compile_str_in};

fn compile(src: &str) -> Circuit {
    compile_str("test.yao", src).unwrap_or_else(|d| panic!("{src}\n{d}"))
}

fn ands(c: &Circuit) -> u64 {
    c.stats().and
}

/// Bits of `vals`, each `w` bits wide, least significant first.
fn bits_of(vals: &[u64], w: usize) -> Vec<bool> {
    vals.iter()
        .flat_map(|&v| (0..w).map(move |k| (v >> k) & 1 == 1))
        .collect()
}

/// Evaluates `c` on input groups of `w`-bit elements; returns each output
/// group cut into `w_out`-bit elements.
fn run(c: &Circuit, inputs: &[(&[u64], usize)], w_out: usize) -> Vec<Vec<u64>> {
    let bits: Vec<Vec<bool>> = inputs.iter().map(|(v, w)| bits_of(v, *w)).collect();
    c.eval_plain(&bits)
        .unwrap()
        .iter()
        .map(|o| {
            o.chunks(w_out)
                .map(|ch| ch.iter().enumerate().map(|(k, &b)| (b as u64) << k).sum())
                .collect()
        })
        .collect()
}

/// The element types of the library: (name, width, signed).
const TYPES: [(&str, usize, bool); 5] = [
    ("u8", 8, false),
    ("u16", 16, false),
    ("u32", 32, false),
    ("u64", 64, false),
    ("i32", 32, true),
];

fn mask(w: usize) -> u64 {
    if w == 64 {
        u64::MAX
    } else {
        (1 << w) - 1
    }
}

/// The value of `w`-bit pattern `v` as a number, signed or not.
fn value(v: u64, w: usize, signed: bool) -> i128 {
    if signed && (v >> (w - 1)) & 1 == 1 {
        v as i128 - (1i128 << w)
    } else {
        v as i128
    }
}

fn random_elems(rng: &mut StdRng, n: usize, w: usize) -> Vec<u64> {
    (0..n)
        .map(|_| {
            // Few distinct values half the time, so that ties occur.
            let v: u64 = if rng.random_bool(0.5) {
                rng.random_range(0..4u64)
            } else {
                rng.random()
            };
            // Negative values for the signed type.
            let v = if rng.random_bool(0.3) {
                v.wrapping_neg()
            } else {
                v
            };
            v & mask(w)
        })
        .collect()
}

fn sort_program(t: &str, n: usize) -> String {
    format!(
        "use std::sort;
         circuit t(garbler xs: [{t}; {n}]) -> [{t}; {n}] {{ sort_{t}({n}, xs) }}"
    )
}

#[test]
fn sort_is_correct_on_every_zero_one_input() {
    // The 0-1 principle: a comparator network that sorts every 0/1 input
    // sorts every input.
    for n in 1..=12usize {
        let c = compile(&sort_program("u8", n));
        for m in 0u64..(1 << n) {
            let xs: Vec<u64> = (0..n).map(|k| (m >> k) & 1).collect();
            let mut want = xs.clone();
            want.sort();
            assert_eq!(run(&c, &[(&xs, 8)], 8)[0], want, "n = {n}, m = {m:b}");
        }
    }
}

#[test]
fn sort_matches_rust_on_random_inputs_of_every_type() {
    let mut rng = StdRng::seed_from_u64(20);
    for (t, w, signed) in TYPES {
        for n in [1usize, 2, 3, 5, 8, 13, 16, 17] {
            let c = compile(&sort_program(t, n));
            for _ in 0..20 {
                let xs = random_elems(&mut rng, n, w);
                let mut want = xs.clone();
                want.sort_by_key(|&v| value(v, w, signed));
                assert_eq!(run(&c, &[(&xs, w)], w)[0], want, "{t}, n = {n}");
            }
        }
    }
}

#[test]
fn sort_network_costs_are_pinned() {
    // 2w ANDs per comparator: 19 comparators for 8 elements, 63 for 16.
    assert_eq!(ands(&compile(&sort_program("u32", 8))), 19 * 64);
    assert_eq!(ands(&compile(&sort_program("u32", 16))), 63 * 64);
    assert_eq!(ands(&compile(&sort_program("u8", 8))), 19 * 16);
    assert_eq!(ands(&compile(&sort_program("u16", 32))), 191 * 32);
}

/// Compiles `f(n, xs)` from `std::array` on `[t; n]`, returning `ret`.
fn array_fn(f: &str, t: &str, n: usize, ret: &str) -> Circuit {
    compile(&format!(
        "use std::array;
         circuit t(garbler xs: [{t}; {n}]) -> {ret} {{ {f}_{t}({n}, xs) }}"
    ))
}

#[test]
fn array_reductions_match_rust() {
    let mut rng = StdRng::seed_from_u64(21);
    for (t, w, signed) in TYPES {
        for n in [1usize, 2, 3, 7, 8] {
            let min = array_fn("min", t, n, t);
            let max = array_fn("max", t, n, t);
            let argmin = array_fn("argmin", t, n, "u32");
            let argmax = array_fn("argmax", t, n, "u32");
            let sum = array_fn("sum", t, n, t);
            let count = compile(&format!(
                "use std::array;
                 circuit t(garbler xs: [{t}; {n}], evaluator v: {t}) -> u32 {{ count_eq_{t}({n}, xs, v) }}"
            ));
            for _ in 0..30 {
                let xs = random_elems(&mut rng, n, w);
                let vals: Vec<i128> = xs.iter().map(|&v| value(v, w, signed)).collect();
                let lo = *vals.iter().min().unwrap();
                let hi = *vals.iter().max().unwrap();
                let one = |c: &Circuit, wo: usize| run(c, &[(&xs, w)], wo)[0][0];
                assert_eq!(value(one(&min, w), w, signed), lo, "min_{t} {xs:?}");
                assert_eq!(value(one(&max, w), w, signed), hi, "max_{t} {xs:?}");
                // The first index on ties.
                let first = |x: i128| vals.iter().position(|&v| v == x).unwrap() as u64;
                assert_eq!(one(&argmin, 32), first(lo), "argmin_{t} {xs:?}");
                assert_eq!(one(&argmax, 32), first(hi), "argmax_{t} {xs:?}");
                let s = xs.iter().fold(0u64, |a, &v| a.wrapping_add(v)) & mask(w);
                assert_eq!(one(&sum, w), s, "sum_{t} {xs:?}");
                let v = if rng.random_bool(0.5) {
                    xs[0]
                } else {
                    random_elems(&mut rng, 1, w)[0]
                };
                let hits = xs.iter().filter(|&&x| x == v).count() as u64;
                assert_eq!(run(&count, &[(&xs, w), (&[v], w)], 32)[0][0], hits);
            }
        }
    }
}

#[test]
fn wide_sums_and_count_true_match_rust() {
    let mut rng = StdRng::seed_from_u64(22);
    for (t, w, wide) in [("u8", 8, 32), ("u16", 16, 32), ("u32", 32, 64)] {
        let n = 9;
        let c = array_fn("sum_wide", t, n, &format!("u{wide}"));
        for _ in 0..30 {
            let xs: Vec<u64> = (0..n).map(|_| rng.random::<u64>() & mask(w)).collect();
            let want: u64 = xs.iter().sum();
            assert_eq!(run(&c, &[(&xs, w)], wide)[0][0], want, "sum_wide_{t}");
        }
    }
    for n in 1..=10usize {
        let c = compile(&format!(
            "use std::array;
             circuit t(garbler xs: [bool; {n}]) -> u32 {{ count_true({n}, xs) }}"
        ));
        assert_eq!(ands(&c), (n - n.count_ones() as usize) as u64);
        for m in 0u64..(1 << n) {
            let xs: Vec<u64> = (0..n).map(|k| (m >> k) & 1).collect();
            assert_eq!(run(&c, &[(&xs, 1)], 32)[0][0], m.count_ones() as u64);
        }
    }
}

#[test]
fn array_costs_are_pinned() {
    // argmax: per element a w-bit comparison, a w-bit multiplexer for the
    // best value (not on the last element, whose value nobody reads) and
    // one per varying bit of the index: 7 * 32 + 6 * 32 + 14 = 430 for 8
    // elements.
    let argmax8 = ands(&array_fn("argmax", "u32", 8, "u32"));
    let argmax16 = ands(&array_fn("argmax", "u32", 16, "u32"));
    let argmin8 = ands(&array_fn("argmin", "u32", 8, "u32"));
    let max8 = ands(&array_fn("max", "u32", 8, "u32"));
    let sum8 = ands(&array_fn("sum", "u32", 8, "u32"));
    assert_eq!(
        (argmax8, argmax16, argmin8, max8, sum8),
        (430, 973, 430, 7 * 64, 7 * 31)
    );
}

/// Compiles a `std::fixed` call: `body` over inputs `a` and `b` (i32).
fn fixed_fn(body: &str, a_ty: &str, ret: &str) -> Circuit {
    compile(&format!(
        "use std::fixed;
         circuit t(garbler a: {a_ty}, evaluator b: i32) -> {ret} {{ let _b = b; {body} }}"
    ))
}

/// Interesting Q16.16 values: edges, halves, and random ones.
fn fixed_values(rng: &mut StdRng) -> Vec<i32> {
    let mut v = vec![
        0,
        1,
        -1,
        0x8000,
        -0x8000,
        0x18000,
        -0x18000,
        0x10000,
        -0x10000,
        i32::MAX,
        i32::MIN,
        0x7fff_8000,
    ];
    for _ in 0..60 {
        v.push(if rng.random_bool(0.5) {
            rng.random::<i32>()
        } else {
            rng.random_range(-0x40000..0x40000)
        });
    }
    v
}

#[test]
fn fixed_point_matches_rust() {
    let mut rng = StdRng::seed_from_u64(23);
    let vals = fixed_values(&mut rng);
    let from = fixed_fn("fx_from_int(a)", "i16", "i32");
    let floor = fixed_fn("fx_floor(b)", "i16", "i16");
    let round = fixed_fn("fx_round(b)", "i16", "i16");
    let mul = fixed_fn("fx_mul(a, b)", "i32", "i32");
    let div = fixed_fn("fx_div(a, b)", "i32", "i32");
    let u = |x: i32| x as u32 as u64;
    for x in [0i16, 1, -1, 300, -300, i16::MAX, i16::MIN] {
        let got = run(&from, &[(&[x as u16 as u64], 16), (&[0], 32)], 32)[0][0];
        assert_eq!(got, u((x as i32) << 16), "fx_from_int({x})");
    }
    for &b in &vals {
        let one = |c: &Circuit, w| run(c, &[(&[0], 16), (&[u(b)], 32)], w)[0][0];
        assert_eq!(
            one(&floor, 16),
            ((b >> 16) as i16) as u16 as u64,
            "fx_floor"
        );
        let nearest = ((b as i64 + 0x8000) >> 16) as i16;
        assert_eq!(one(&round, 16), nearest as u16 as u64, "fx_round({b:#x})");
        for &a in &vals {
            let two = |c: &Circuit| run(c, &[(&[u(a)], 32), (&[u(b)], 32)], 32)[0][0];
            let p = (a as i64 * b as i64 + 0x8000) >> 16;
            assert_eq!(two(&mul), u(p as i32), "fx_mul({a:#x}, {b:#x})");
            let q = if b == 0 {
                if a >= 0 {
                    -1
                } else {
                    1
                }
            } else {
                ((a as i64) << 16) / b as i64
            };
            assert_eq!(two(&div), u(q as i32), "fx_div({a:#x}, {b:#x})");
        }
    }
    // Costs, for the documentation.
    assert_eq!(
        (
            ands(&from),
            ands(&floor),
            ands(&round),
            ands(&mul),
            ands(&div)
        ),
        (0, 0, 15, 1790, 1994)
    );
}

/// A `Q(w-f).f` format of `std::fixed`: its function prefix, total width
/// `w` (a signed integer type) and fraction bits `f = w / 2`.
struct QFormat {
    prefix: &'static str,
    w: usize,
}

impl QFormat {
    fn f(&self) -> usize {
        self.w / 2
    }

    /// The `w`-bit pattern of `v`, wrapped like the circuit wraps.
    fn wrap(&self, v: i128, w: usize) -> u64 {
        (v as u128 & mask(w) as u128) as u64
    }

    /// Compiles `prefix_op` applied to inputs `a: a_w bits`, `b: w bits`.
    fn circuit(&self, op: &str, args: &str, a_w: usize, ret_w: usize) -> Circuit {
        compile(&format!(
            "use std::fixed;
             circuit t(garbler a: i{a_w}, evaluator b: i{w}) -> i{ret_w} {{ let _a = a; let _b = b; {p}_{op}({args}) }}",
            w = self.w,
            p = self.prefix
        ))
    }

    /// Edges (0, ±1 ulp, ±half, ±1.5, the extremes, the largest value that
    /// rounds up) and random values, half of them small.
    fn values(&self, rng: &mut StdRng) -> Vec<i128> {
        let (w, f) = (self.w, self.f());
        let (one, half) = (1i128 << f, 1i128 << (f - 1));
        let (max, min) = ((1i128 << (w - 1)) - 1, -(1i128 << (w - 1)));
        let mut v = vec![
            0,
            1,
            -1,
            half,
            -half,
            one + half,
            -(one + half),
            one,
            -one,
            max,
            min,
            max - half + 1,
            3 * half,
            -3 * half,
        ];
        for _ in 0..56 {
            let r = value(rng.random::<u64>() & mask(w), w, true);
            v.push(if rng.random_bool(0.5) {
                r
            } else {
                r % (4 * one)
            });
        }
        v
    }
}

/// Every format's functions against a Rust reference in `i128`: the
/// product and `round` are `(x + half ulp) >> f` (ties up), the quotient
/// truncates toward zero, and everything wraps to the format's width.
#[test]
fn fixed_point_formats_match_rust() {
    let mut rng = StdRng::seed_from_u64(29);
    for q in [
        QFormat {
            prefix: "q8",
            w: 16,
        },
        QFormat {
            prefix: "q16",
            w: 32,
        },
        QFormat {
            prefix: "q32",
            w: 64,
        },
    ] {
        let (w, f) = (q.w, q.f());
        let p = q.prefix;
        let vals = q.values(&mut rng);
        let from = q.circuit("from_int", "a", f, w);
        let floor = q.circuit("floor", "b", f, f);
        let round = q.circuit("round", "b", f, f);
        let mul = q.circuit("mul", "a, b", w, w);
        let div = q.circuit("div", "a, b", w, w);
        let half = 1i128 << (f - 1);
        for &x in &vals {
            let x = value(q.wrap(x, f), f, true);
            let got = run(&from, &[(&[q.wrap(x, f)], f), (&[0], w)], w)[0][0];
            assert_eq!(got, q.wrap(x << f, w), "{p}_from_int({x})");
        }
        for &b in &vals {
            let one = |c: &Circuit| run(c, &[(&[0], f), (&[q.wrap(b, w)], w)], f)[0][0];
            assert_eq!(one(&floor), q.wrap(b >> f, f), "{p}_floor({b})");
            assert_eq!(one(&round), q.wrap((b + half) >> f, f), "{p}_round({b})");
            for &a in &vals {
                let two =
                    |c: &Circuit| run(c, &[(&[q.wrap(a, w)], w), (&[q.wrap(b, w)], w)], w)[0][0];
                let prod = (a * b + half) >> f;
                assert_eq!(two(&mul), q.wrap(prod, w), "{p}_mul({a}, {b})");
                let quot = match b {
                    0 if a >= 0 => -1,
                    0 => 1,
                    _ => (a << f) / b,
                };
                assert_eq!(two(&div), q.wrap(quot, w), "{p}_div({a}, {b})");
            }
        }
    }
}

#[test]
fn fixed_point_format_costs_are_pinned() {
    let costs = |q: QFormat| {
        let (w, f) = (q.w, q.f());
        [
            ands(&q.circuit("from_int", "a", f, w)),
            ands(&q.circuit("floor", "b", f, f)),
            ands(&q.circuit("round", "b", f, f)),
            ands(&q.circuit("mul", "a, b", w, w)),
            ands(&q.circuit("div", "a, b", w, w)),
        ]
    };
    // The `q16_` names are the `fx_` circuits, gate for gate.
    let q16 = QFormat {
        prefix: "q16",
        w: 32,
    };
    for (op, args, a_w, ret_w) in [
        ("from_int", "a", 16, 32),
        ("floor", "b", 16, 16),
        ("round", "b", 16, 16),
        ("mul", "a, b", 32, 32),
        ("div", "a, b", 32, 32),
    ] {
        let fx = QFormat {
            prefix: "fx",
            w: 32,
        };
        assert_eq!(
            q16.circuit(op, args, a_w, ret_w).id(),
            fx.circuit(op, args, a_w, ret_w).id(),
            "q16_{op}"
        );
    }
    assert_eq!(
        costs(QFormat {
            prefix: "q16",
            w: 32
        }),
        [0, 0, 15, 1790, 1994]
    );
    assert_eq!(
        costs(QFormat {
            prefix: "q8",
            w: 16
        }),
        [0, 0, 7, 446, 546]
    );
    assert_eq!(
        costs(QFormat {
            prefix: "q32",
            w: 64
        }),
        [0, 0, 31, 7166, 7578]
    );
}

#[test]
fn unknown_std_module_lists_the_modules() {
    let err = compile_str(
        "t.yao",
        "use std::srot;\ncircuit t(garbler a: u8) -> u8 { a }",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("the standard library has no module `srot`"),
        "{err}"
    );
    assert!(err.contains("did you mean `std::sort`?"), "{err}");
    assert!(
        err.contains("`aes128`, `array`, `fixed`, `sha256`, `sort`"),
        "{err}"
    );
    assert!(err.contains("t.yao:1:1"), "{err}");
    let err = compile_str(
        "t.yao",
        "use std::crypto;\ncircuit t(garbler a: u8) -> u8 { a }",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no module `crypto`"), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
    assert!(
        err.contains("`aes128`, `array`, `fixed`, `sha256`, `sort`"),
        "{err}"
    );
    // `std` needs a module name.
    let err = compile_str("t.yao", "use std;\ncircuit t(garbler a: u8) -> u8 { a }")
        .unwrap_err()
        .to_string();
    assert!(err.contains("expected `::`"), "{err}");
}

#[test]
fn std_modules_load_from_anywhere_once() {
    // No files on disk and no base directory: the modules are embedded.
    let src = "use std::array;
        use std::sort;
        use std::array;
        circuit t(garbler xs: [u8; 4]) -> (u8, [u8; 4]) { (max_u8(4, xs), sort_u8(4, xs)) }";
    let c = compile_str_in("t.yao", src, None).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        run(&c, &[(&[3, 9, 1, 4], 8)], 8),
        [vec![9], vec![1, 3, 4, 9]]
    );
    // From a file in a directory of its own, and through a used file that
    // uses the same module again.
    let dir = std::env::temp_dir().join(format!("yao-stdlib-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("lib.yao"),
        "use std::array;\nfn top(xs: [u16; 3]) -> u16 { max_u16(3, xs) }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.yao"),
        "use \"lib.yao\";\nuse std::array;\ncircuit t(garbler xs: [u16; 3]) -> (u16, u16) { (top(xs), min_u16(3, xs)) }\n",
    )
    .unwrap();
    let c = compile_file(&dir.join("main.yao"));
    std::fs::remove_dir_all(&dir).unwrap();
    let c = c.unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(run(&c, &[(&[7, 300, 2], 16)], 16), [vec![300], vec![2]]);
}

#[test]
fn std_names_clash_like_any_other_definition() {
    let err = compile_str(
        "t.yao",
        "use std::array;\nfn max_u8(const n: u32, xs: [u8; n]) -> u8 { xs[0] }\ncircuit t(garbler a: u8) -> u8 { a }",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("`max_u8` is defined more than once"), "{err}");
    assert!(err.contains("std::array"), "{err}");
}

/// A user's `min` or `max` shadows the built-in in the user's calls only:
/// `std::array` still means the built-ins, and a user function of a
/// built-in's name may call the library without that counting as recursion.
#[test]
fn shadowing_a_built_in_leaves_the_standard_library_alone() {
    let c = compile(
        "use std::array;
         fn max(a: u32, b: u32) -> u32 { a + b }
         fn min(a: u32, b: u32) -> u32 { min_u32(2, [a, b]) }
         circuit t(garbler xs: [u32; 4]) -> (m: u32, s: u32, lo: u32) {
             (max_u32(4, xs), max(xs[0], xs[1]), min(xs[2], xs[3]))
         }",
    );
    let mut rng = StdRng::seed_from_u64(31);
    for _ in 0..200 {
        let xs = random_elems(&mut rng, 4, 32);
        let out = run(&c, &[(&xs, 32)], 32);
        let want = [
            *xs.iter().max().unwrap(),
            (xs[0] + xs[1]) & mask(32),
            xs[2].min(xs[3]),
        ];
        assert_eq!([out[0][0], out[1][0], out[2][0]], want, "{xs:?}");
    }
}

#[test]
fn every_std_module_compiles_on_its_own() {
    for name in yao_compiler::lang::stdlib::names() {
        let src = format!("use std::{name};\ncircuit t(garbler a: u8) -> u8 {{ a }}");
        let checked = yao_compiler::lang::compile_str_checked(
            "t.yao",
            &src,
            None,
            yao_compiler::lang::Limits::default(),
        )
        .unwrap_or_else(|d| panic!("std::{name}: {d}"));
        assert!(checked.warnings.is_empty(), "std::{name} warns");
    }
}

#[test]
fn documented_examples_compile() {
    let doc = include_str!("../../docs/language.md");
    let start = doc.find("## Standard library").unwrap();
    let end = start + doc[start..].find("\n## Constants").unwrap();
    let blocks: Vec<&str> = doc[start..end]
        .split("```")
        .skip(1)
        .step_by(2)
        .filter(|b| b.contains("circuit"))
        .collect();
    assert_eq!(blocks.len(), 6);
    for b in blocks {
        compile(b);
    }
}

#[test]
fn sha256_compress_matches_the_sha2_crate() {
    let c = compile(
        "use std::sha256;
         circuit t(garbler block: [u32; 16], evaluator state: [u32; 8]) -> ([u32; 8], [u32; 8]) {
             (sha256_compress(state, block), SHA256_IV)
         }",
    );
    let mut rng = StdRng::seed_from_u64(24);
    for i in 0..4 {
        let bytes: [u8; 64] = std::array::from_fn(|_| rng.random());
        let state: [u32; 8] = if i == 0 { IV } else { rng.random() };
        let mut want = state;
        sha2::compress256(&mut want, &[bytes.into()]);
        let words: Vec<u64> = bytes
            .chunks(4)
            .map(|w| u32::from_be_bytes(w.try_into().unwrap()) as u64)
            .collect();
        let st: Vec<u64> = state.iter().map(|&w| w as u64).collect();
        let out = run(&c, &[(&words, 32), (&st, 32)], 32);
        let want: Vec<u64> = want.iter().map(|&w| w as u64).collect();
        assert_eq!(out[0], want);
        assert_eq!(out[1], IV.iter().map(|&w| w as u64).collect::<Vec<_>>());
    }
    // "abc", padded: the FIPS 180-4 example.
    let mut block = [0u8; 64];
    block[..3].copy_from_slice(b"abc");
    block[3] = 0x80;
    block[63] = 24;
    let words: Vec<u64> = block
        .chunks(4)
        .map(|w| u32::from_be_bytes(w.try_into().unwrap()) as u64)
        .collect();
    let st: Vec<u64> = IV.iter().map(|&w| w as u64).collect();
    let digest: Vec<String> = run(&c, &[(&words, 32), (&st, 32)], 32)[0]
        .iter()
        .map(|w| format!("{w:08x}"))
        .collect();
    assert_eq!(
        digest.concat(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    // The same cost as the example circuit it was taken from.
    let example = compile_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../circuits/sha256.yao"
    )))
    .unwrap();
    let lib = compile(
        "use std::sha256;
         circuit t(garbler block: [u32; 16], evaluator state: [u32; 8]) -> [u32; 8] {
             sha256_compress(state, block)
         }",
    );
    assert_eq!(ands(&lib), ands(&example));
    assert_eq!(ands(&lib), 22573);
}

const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

#[test]
fn aes128_matches_the_aes_crate_and_fips197() {
    use aes::cipher::{BlockCipherEncrypt, KeyInit};
    let c = compile(
        "use std::aes128;
         circuit t(garbler key: [u8; 16], evaluator block: [u8; 16]) -> [u8; 16] {
             aes128_encrypt(key, block)
         }",
    );
    let two = compile(
        "use std::aes128;
         circuit t(garbler key: [u8; 16], evaluator a: [u8; 16], evaluator b: [u8; 16]) -> ([u8; 16], [u8; 16]) {
             let rk = aes128_expand_key(key);
             (aes128_encrypt_expanded(rk, a), aes128_encrypt_expanded(rk, b))
         }",
    );
    let b = |x: &[u8]| x.iter().map(|&v| v as u64).collect::<Vec<u64>>();
    // FIPS-197 appendix C.1.
    let key: Vec<u8> = (0..16).collect();
    let pt: Vec<u8> = (0..16).map(|i| i * 0x11).collect();
    let want = [
        0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5,
        0x5a,
    ];
    assert_eq!(run(&c, &[(&b(&key), 8), (&b(&pt), 8)], 8)[0], b(&want));
    let mut rng = StdRng::seed_from_u64(25);
    for _ in 0..8 {
        let key: [u8; 16] = rng.random();
        let p1: [u8; 16] = rng.random();
        let p2: [u8; 16] = rng.random();
        let cipher = aes::Aes128::new_from_slice(&key).unwrap();
        let enc = |p: [u8; 16]| {
            let mut block = p.into();
            cipher.encrypt_block(&mut block);
            let block: [u8; 16] = block.into();
            b(&block)
        };
        assert_eq!(run(&c, &[(&b(&key), 8), (&b(&p1), 8)], 8)[0], enc(p1));
        let out = run(&two, &[(&b(&key), 8), (&b(&p1), 8), (&b(&p2), 8)], 8);
        assert_eq!(out, [enc(p1), enc(p2)]);
    }
    // 200 S-boxes of 32 ANDs; a second block under the same key adds 160.
    assert_eq!(ands(&c), 6400);
    assert_eq!(ands(&two), 6400 + 5120);
}
