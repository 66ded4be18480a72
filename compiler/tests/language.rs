//! Language features, each checked by evaluating a small program.

use yao_compiler::ir::{Circuit, Gate, ValueType};
use yao_compiler::lang::{compile_file, compile_str, compile_str_in};

fn compile(src: &str) -> Circuit {
    compile_str("test.yao", src).unwrap_or_else(|d| panic!("{src}\n{d}"))
}

/// Runs a circuit on integer inputs (each input group read as one unsigned
/// integer of its width) and returns each output group as an integer.
fn run(c: &Circuit, inputs: &[u128]) -> Vec<u128> {
    let bits: Vec<Vec<bool>> = c
        .inputs
        .iter()
        .zip(inputs)
        .map(|(i, &v)| {
            (0..i.wires.len())
                .map(|k| k < 128 && (v >> k) & 1 == 1)
                .collect()
        })
        .collect();
    c.eval_plain(&bits)
        .unwrap()
        .iter()
        .map(|o| o.iter().enumerate().map(|(k, &b)| (b as u128) << k).sum())
        .collect()
}

fn eval(src: &str, inputs: &[u128]) -> Vec<u128> {
    run(&compile(src), inputs)
}

#[test]
fn let_mut_loops_and_blocks() {
    let src = "circuit t(garbler a: u8, evaluator b: u8) -> u16 {
        let mut acc: u16 = 0;
        for i in 0..8 {
            if b[i] { acc += (a as u16) << i; }
        }
        let bonus = { let x = 2; x * 3 };
        acc + bonus
    }";
    let c = compile(src);
    for (a, b) in [(3u128, 5u128), (255, 255), (0, 7), (17, 0)] {
        assert_eq!(run(&c, &[a, b]), [a * b + 6]);
    }
}

#[test]
fn secret_if_merges_variables_and_values() {
    let src = "circuit t(garbler a: u8, evaluator b: u8) -> (u8, u8, u8) {
        let mut lo = a;
        let mut hi = b;
        if a > b { lo = b; hi = a; }
        let kind: u8 = if a == b { 0 } else if a < b { 1 } else { 2 };
        (lo, hi, kind)
    }";
    let c = compile(src);
    assert_eq!(run(&c, &[9, 4]), [4, 9, 2]);
    assert_eq!(run(&c, &[4, 9]), [4, 9, 1]);
    assert_eq!(run(&c, &[7, 7]), [7, 7, 0]);
    assert_eq!(c.outputs[2].name, "out2");
}

#[test]
fn constant_conditions_fold_away() {
    // Only the taken branch exists: no multiplexer is built.
    let src = "circuit t(garbler a: u32, evaluator b: u32) -> u32 {
        let n = 3;
        if n > 2 { a + b } else { a * b }
    }";
    let c = compile(src);
    assert_eq!(c.stats().and, 31);
    assert_eq!(run(&c, &[5, 6]), [11]);
}

#[test]
fn arrays_secret_index_and_element_assignment() {
    let src = "circuit t(garbler xs: [u8; 5], evaluator i: u3, evaluator v: u8) -> ([u8; 5], u8) {
        let mut ys = xs;
        ys[i] = v;
        (ys, xs[i])
    }";
    let c = compile(src);
    let xs: u128 = 0x0504030201; // [1, 2, 3, 4, 5]
    let out = run(&c, &[xs, 2, 0xaa]);
    assert_eq!(out, [0x0504aa0201, 3]);
    // Index past the end: no element changes, reading gives 0.
    let out = run(&c, &[xs, 6, 0xaa]);
    assert_eq!(out, [xs, 0]);
}

#[test]
fn bits_slices_concat_and_casts() {
    let src = "circuit t(garbler a: u16, evaluator s: i8) -> (u8, u8, bool, u24, i16, u16, u4) {
        (a[8..16], a[..8], a[15], a ++ a[0..8], s as i16, (s as u8) as u16, a[4..8])
    }";
    let c = compile(src);
    let out = run(&c, &[0xbeef, 0xf0]);
    assert_eq!(out, [0xbe, 0xef, 1, 0xbeefef, 0xfff0, 0xf0, 0xe]);
}

#[test]
fn bit_assignment() {
    let src = "circuit t(garbler a: u8, evaluator k: u3) -> (u8, u8) {
        let mut x = a;
        x[0] = true;
        let mut y = a;
        y[k] = !y[k];
        (x, y)
    }";
    let c = compile(src);
    assert_eq!(run(&c, &[0x10, 3]), [0x11, 0x18]);
}

#[test]
fn shifts_and_rotations() {
    let src =
        "circuit t(garbler a: u8, evaluator n: u4, evaluator s: i8) -> (u8, u8, u8, u8, i8, u8) {
        (a << n, a >> n, rotl(a, n), rotr(a, 3), s >> 2, rotl(a, 9))
    }";
    let c = compile(src);
    for n in 0..16u32 {
        let a = 0b1001_0110u8;
        let s = -100i8;
        let out = run(&c, &[a as u128, n as u128, s as u8 as u128]);
        let shl = if n < 8 { a << n } else { 0 };
        let shr = if n < 8 { a >> n } else { 0 };
        assert_eq!(
            out,
            [
                shl as u128,
                shr as u128,
                a.rotate_left(n) as u128,
                a.rotate_right(3) as u128,
                (s >> 2) as u8 as u128,
                a.rotate_left(1) as u128
            ]
        );
    }
}

#[test]
fn functions_with_const_parameters() {
    let src = "
        fn sum(const n: u32, xs: [u16; n]) -> u16 {
            let mut s: u16 = 0;
            for i in 0..n { s += xs[i]; }
            s
        }
        fn double(x: u16) -> u16 { x << 1 }
        circuit t(garbler a: [u16; 3], evaluator b: [u16; 2]) -> u16 {
            double(sum(3, a)) + sum(2, b)
        }";
    let c = compile(src);
    assert_eq!(run(&c, &[(3 << 32) | (2 << 16) | 1, (5 << 16) | 4]), [21]);
}

#[test]
fn const_tables_and_compile_time_evaluation() {
    let src = "
        const SQUARES: [u8; 4] = [0, 1, 4, 9];
        const LIMIT: u32 = 2 + 2;
        fn fact(const n: u32) -> u32 {
            let mut f = 1 as u32;
            for i in 1..n + 1 { f = f * i; }
            f
        }
        circuit t(garbler i: u2) -> (u8, u32, u8) {
            (SQUARES[i], fact(5), SQUARES[LIMIT - 1])
        }";
    let c = compile(src);
    for i in 0..4u128 {
        assert_eq!(run(&c, &[i]), [i * i, 120, 9]);
    }
    // fact(5) is computed while compiling: its output bits are constants.
    assert!(c.gates.iter().any(|g| matches!(g, Gate::Const { .. })));
}

#[test]
fn tuples_destructuring_and_named_outputs() {
    let src = "
        fn divmod(a: u8, b: u8) -> (u8, u8) { (a / b, a % b) }
        circuit t(garbler a: u8, evaluator b: u8) -> (q: u8, r: u8, pair: (u8, bool)) {
            let (q, r) = divmod(a, b);
            let t = (q, r == 0);
            (q, r, t)
        }";
    let c = compile(src);
    let names: Vec<_> = c.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["q", "r", "pair"]);
    assert_eq!(
        c.outputs[2].ty,
        ValueType::Tuple(vec![ValueType::UInt(8), ValueType::Bool])
    );
    assert_eq!(run(&c, &[47, 5]), [9, 2, 9]);
    assert_eq!(run(&c, &[45, 5]), [9, 0, 9 | 1 << 8]);
}

#[test]
fn signed_arithmetic_and_comparison() {
    let src = "circuit t(garbler a: i16, evaluator b: i16) -> (bool, i16, i16, i16) {
        (a < b, a / b, a % b, -a)
    }";
    let c = compile(src);
    for (a, b) in [(-7i16, 2i16), (7, -2), (-32768, -1), (100, 7), (-1, 1)] {
        let out = run(&c, &[a as u16 as u128, b as u16 as u128]);
        assert_eq!(
            out,
            [
                (a < b) as u128,
                a.wrapping_div(b) as u16 as u128,
                a.wrapping_rem(b) as u16 as u128,
                a.wrapping_neg() as u16 as u128
            ]
        );
    }
}

/// Division by zero is defined (a circuit cannot trap), the same whether
/// the zero is a secret input, a typed constant or a literal: unsigned
/// `a / 0` is all ones, signed `a / 0` is -1 for `a >= 0` and 1 for
/// `a < 0`, and `a % 0` is `a` (docs/language.md, "Operators").
#[test]
fn division_by_zero_gives_defined_values() {
    let src = "circuit t(garbler a: i8, garbler u: u8, evaluator z: i8, evaluator y: u8)
        -> (q: i8, r: i8, uq: u8, ur: u8, cq: i8, cr: i8, lq: i8, lr: i8, lu: u8, lv: u8) {
        let zero: i8 = 0;
        (a / z, a % z, u / y, u % y, a / zero, a % zero, a / 0, a % 0, u / 0, u % 0)
    }";
    let c = compile(src);
    for a in i8::MIN..=i8::MAX {
        let u = a as u8;
        let q: i8 = if a >= 0 { -1 } else { 1 };
        let out = run(&c, &[u as u128, u as u128, 0, 0]);
        let signed = [q as u8, u, u8::MAX, u];
        let expected: Vec<u128> = signed
            .iter()
            .chain(&[q as u8, u, q as u8, u, u8::MAX, u])
            .map(|&v| v as u128)
            .collect();
        assert_eq!(out, expected, "a = {a}");
    }
    // Untyped compile-time integers have no width to wrap in: an error.
    let e = compile_str("t.yao", "circuit t(garbler a: u8) -> u8 { a + 7 / 0 }").unwrap_err();
    assert!(
        e.to_string()
            .contains("division by zero in a compile-time expression"),
        "{e}"
    );
}

#[test]
fn logic_and_popcount() {
    let src = "circuit t(garbler a: u8, evaluator b: u8) -> (bool, bool, u32, bool) {
        (a > 3 && b > 3, a == 0 || b == 0, popcount(a ++ b), [a, b] == [b, a])
    }";
    let c = compile(src);
    assert_eq!(run(&c, &[5, 4]), [1, 0, 3, 0]);
    assert_eq!(run(&c, &[0, 0xff]), [0, 1, 8, 0]);
    assert_eq!(run(&c, &[9, 9]), [1, 0, 4, 1]);
}

#[test]
fn use_loads_library_files_relative_to_the_user() {
    let dir = std::env::temp_dir().join(format!("yao-use-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("lib")).unwrap();
    std::fs::write(
        dir.join("lib/math.yao"),
        "use \"bits.yao\";\nfn avg(a: u8, b: u8) -> u8 { half(a) + half(b) + (a & b & 1) }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("lib/bits.yao"),
        "fn half(x: u8) -> u8 { x >> 1 }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.yao"),
        "use \"lib/math.yao\";\ncircuit m(garbler a: u8, evaluator b: u8) -> u8 { avg(a, b) }\n",
    )
    .unwrap();
    let c = compile_file(&dir.join("main.yao")).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(run(&c, &[200, 101]), [150]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn constant_outputs_use_const_gates() {
    let c = compile("circuit t(garbler a: u4) -> (u4, u4) { (a, 5) }");
    c.validate().unwrap();
    assert_eq!(run(&c, &[9]), [9, 5]);
}

#[test]
fn unused_inputs_and_dead_code_cost_nothing() {
    let c =
        compile("circuit t(garbler a: u32, evaluator b: u32) -> u32 { let unused = a * b; a ^ b }");
    assert_eq!(c.stats().and, 0);
}

#[test]
fn comments_and_trailing_commas() {
    let src = "/* block\ncomment */ circuit t(garbler a: u8, evaluator b: u8,) -> u8 {
        // line comment
        let xs = [a, b,];
        xs[0] ^ xs[1]
    }";
    assert_eq!(eval(src, &[0xf0, 0x0f]), [0xff]);
}

#[test]
fn compile_str_resolves_use_against_the_given_directory() {
    let dir = std::env::temp_dir().join(format!("yao-base-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("inc.yao"), "fn inc(x: u8) -> u8 { x + 1 }\n").unwrap();
    let src = "use \"inc.yao\";\ncircuit t(garbler a: u8) -> u8 { inc(a) }";
    let c = compile_str_in("<stdin>", src, Some(&dir)).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(run(&c, &[41]), [42]);
    let name = dir.join("main.yao");
    let c = compile_str(name.to_str().unwrap(), src).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(run(&c, &[1]), [2]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Rust's reading of a `u8` bit pattern as `i8`.
fn i8_of(v: u128) -> i8 {
    v as u8 as i8
}

#[test]
fn match_on_a_secret_integer_selects_like_an_if_chain() {
    let src = "circuit t(garbler x: u8) -> u8 {
        match x {
            0 => 100,
            1 | 2 | 3 => x * 2,
            0xff => { let y = x - 1; y }
            _ => x + 1,
        }
    }";
    let c = compile(src);
    for x in 0..=255u128 {
        let want = match x {
            0 => 100,
            1..=3 => x * 2,
            0xff => 0xfe,
            _ => (x + 1) & 0xff,
        };
        assert_eq!(run(&c, &[x]), [want], "x = {x}");
    }
}

#[test]
fn match_on_signed_and_bool_and_merges_variables() {
    let src = "circuit t(garbler x: i8, evaluator b: bool) -> (i8, u8, u8) {
        let mut count: u8 = 0;
        let mut other: u8 = 7;
        let s = match x {
            -128 => { count = 1; 1 }
            -1 | 1 => { count = 2; other = 9; 0 }
            _ => -x,
        };
        let k: u8 = match b { true => 10, false => 20 };
        (s, count + k, other)
    }";
    let c = compile(src);
    for x in 0..=255u128 {
        for b in [0u128, 1] {
            let xi = i8_of(x);
            let (s, count, other) = match xi {
                -128 => (1i8, 1u8, 7u8),
                -1 | 1 => (0, 2, 9),
                _ => (xi.wrapping_neg(), 0, 7),
            };
            let k = if b == 1 { 10 } else { 20 };
            let want = [s as u8 as u128, (count + k) as u128, other as u128];
            assert_eq!(run(&c, &[x, b]), want, "x = {xi}, b = {b}");
        }
    }
}

#[test]
fn match_on_a_known_value_picks_the_arm_at_compile_time() {
    // Only the chosen arm is compiled: no comparison, no multiplexer, and
    // the untyped constants of the other arms need no common type.
    let src = "circuit t(garbler a: u32, evaluator b: u32) -> u32 {
        let mut acc: u32 = 0;
        for i in 0..4 {
            acc += match i { 0 => a, 1 | 2 => b, _ => a & b };
        }
        acc
    }";
    let c = compile(src);
    let by_if = compile(&src.replace(
        "match i { 0 => a, 1 | 2 => b, _ => a & b }",
        "if i == 0 { a } else if i == 1 || i == 2 { b } else { a & b }",
    ));
    assert_eq!(c.stats().and, by_if.stats().and);
    assert!(c.stats().and <= 32 + 3 * 31);
    let (a, b) = (0x1234_5678u128, 0x0f0f_0f0fu128);
    assert_eq!(run(&c, &[a, b]), [(a + 2 * b + (a & b)) & 0xffff_ffff]);
}

#[test]
fn match_covering_every_value_needs_no_wildcard() {
    let src = "circuit t(garbler x: u2) -> u8 {
        match x { 0 => 5, 1 => 6, 2 => 7, 3 => 8 }
    }";
    let c = compile(src);
    for x in 0..4u128 {
        assert_eq!(run(&c, &[x]), [x + 5]);
    }
}

#[test]
fn for_over_array_elements_and_arrays_of_arrays() {
    let src = "circuit t(garbler xs: [u8; 4], evaluator m: [[u4; 2]; 3]) -> (u16, u8) {
        let mut s: u16 = 0;
        for x in xs { s += x as u16; }
        let mut t: u8 = 0;
        for row in m {
            for v in row { t += v as u8; }
        }
        let mut first: u8 = 0;
        for (i, p) in [(0, 1), (2, 3)] { first += (i + p) as u8; }
        (s, t + first)
    }";
    let c = compile(src);
    let xs: u128 = 0xff_10_20_30;
    let m: u128 = 0xfedcba; // rows [0xa, 0xb], [0xc, 0xd], [0xe, 0xf]
    let want_t = (0xa + 0xb + 0xc + 0xd + 0xe + 0xf) + 6;
    assert_eq!(run(&c, &[xs, m]), [0xff + 0x10 + 0x20 + 0x30, want_t]);
}

#[test]
fn inclusive_reversed_and_stepped_ranges() {
    // Each loop records its counters in order: acc = acc * 16 + i.
    let src = "circuit t(garbler a: u64) -> (u64, u64, u64, u64, u64, u64) {
        let mut r0: u64 = 0; for i in 1..=5 { r0 = (r0 << 4) | i; }
        let mut r1: u64 = 0; for i in (0..5).rev() { r1 = (r1 << 4) | i; }
        let mut r2: u64 = 0; for i in (0..11).step_by(3) { r2 = (r2 << 4) | i; }
        let mut r3: u64 = 0; for i in (0..11).step_by(3).rev() { r3 = (r3 << 4) | i; }
        let mut r4: u64 = 0; for i in (0..11).rev().step_by(3) { r4 = (r4 << 4) | i; }
        let mut r5: u64 = a; for i in (3..=3).rev() { r5 = r5 + i; } for _ in 5..=4 { r5 = 0; }
        for i in (0..10).step_by(1000000).step_by(1000000).rev().step_by(7) { r5 = r5 + i; }
        (r0, r1, r2, r3, r4, r5)
    }";
    let rec = |it: &mut dyn Iterator<Item = u32>| it.fold(0u128, |acc, i| (acc << 4) | i as u128);
    let want = [
        rec(&mut (1..=5)),
        rec(&mut (0..5).rev()),
        rec(&mut (0..11).step_by(3)),
        rec(&mut (0..11).step_by(3).rev()),
        rec(&mut (0..11).rev().step_by(3)),
        100 + 3,
    ];
    assert_eq!(eval(src, &[100]), want);
}

#[test]
fn min_max_abs_match_rust() {
    let src = "circuit t(garbler a: i8, evaluator b: i8) -> (i8, i8, i8, u8, u8, i8) {
        (min(a, b), max(a, b), abs(a), min(a as u8, b as u8), max(a as u8, 3), min(-5, 7) + max(abs(-3), 2))
    }";
    let c = compile(src);
    for a in 0..=255u128 {
        for b in 0..=255u128 {
            let (x, y) = (i8_of(a), i8_of(b));
            let want = [
                x.min(y) as u8 as u128,
                x.max(y) as u8 as u128,
                x.wrapping_abs() as u8 as u128,
                (a as u8).min(b as u8) as u128,
                (a as u8).max(3) as u128,
                (-5i8 + 3) as u8 as u128,
            ];
            assert_eq!(run(&c, &[a, b]), want, "a = {x}, b = {y}");
        }
    }
}

#[test]
fn min_max_abs_costs() {
    let min = compile("circuit t(garbler a: u32, evaluator b: u32) -> u32 { min(a, b) }");
    assert_eq!(min.stats().and, 32 + 32);
    let max = compile("circuit t(garbler a: i32, evaluator b: i32) -> i32 { max(a, b) }");
    assert_eq!(max.stats().and, 32 + 32);
    let abs = compile("circuit t(garbler a: i32) -> i32 { abs(a) }");
    assert_eq!(abs.stats().and, 31);
}

#[test]
fn documented_examples_for_match_loops_and_built_ins() {
    let src = "circuit t(garbler tier: u8, evaluator xs: [u8; 16], garbler a: i16, evaluator b: i16) -> (u16, u8, i16, i16, i16) {
        let fee: u16 = match tier {
            0 => 0,
            1 | 2 => 5,
            3 => { let base: u16 = 7; base * 2 }
            _ => 20,
        };
        let mut acc: u8 = 0;
        let mut done = false;
        for i in 0..16 {
            if !done {
                acc += xs[i];
                if xs[i] == 0 { done = true; }
            }
        }
        let lo = min(a, b);
        let hi = max(a, 0);
        let d = abs(a - b);
        (fee, acc, lo, hi, d)
    }";
    let c = compile(src);
    let xs: u128 = 0x0000_0000_0000_0000_0000_0000_0003_0201; // 1, 2, 3, 0, ...
    for tier in [0u128, 1, 2, 3, 4, 255] {
        let (a, b) = (-300i16, 12i16);
        let want_fee = match tier {
            0 => 0,
            1 | 2 => 5,
            3 => 14,
            _ => 20,
        };
        let out = run(&c, &[tier, xs, a as u16 as u128, b as u16 as u128]);
        let want = [
            want_fee,
            6,
            a.min(b) as u16 as u128,
            a.max(0) as u16 as u128,
            a.wrapping_sub(b).wrapping_abs() as u16 as u128,
        ];
        assert_eq!(out, want, "tier {tier}");
    }
}

#[test]
fn match_cost_is_within_the_documented_bound() {
    // 3 literal patterns on 8 bits (7 each), one `|` (1), 2 arms before
    // the last selecting 8 bits (8 each): at most 38.
    let c = compile(
        "circuit t(garbler x: u8, evaluator a: u8, evaluator b: u8, evaluator c: u8) -> u8 {
            match x { 1 => a, 2 | 3 => b, _ => c }
        }",
    );
    assert!(c.stats().and <= 38, "{}", c.stats().and);
    for x in 0..6u128 {
        let want = match x {
            1 => 10,
            2 | 3 => 20,
            _ => 30,
        };
        assert_eq!(run(&c, &[x, 10, 20, 30]), [want]);
    }
}

#[test]
fn loop_keywords_and_match_are_reserved() {
    for kw in ["match", "while", "loop", "break", "continue", "return"] {
        let src = format!("circuit t(garbler a: u8) -> u8 {{ let {kw} = a; {kw} }}");
        assert!(compile_str("t.yao", &src).is_err(), "{kw}");
    }
}

/// `<`, `<=`, `>`, `>=` on arrays and tuples compare lexicographically, as
/// Rust orders them: the first element that differs decides.
#[test]
fn arrays_and_tuples_compare_lexicographically() {
    let src = "circuit t(garbler a: [u8; 3], evaluator b: [u8; 3]) -> (bool, bool, bool, bool) {
        (a < b, a <= b, a > b, a >= b)
    }";
    let c = compile(src);
    let lt = compile("circuit t(garbler a: [u8; 3], evaluator b: [u8; 3]) -> bool { a < b }");
    assert_eq!(lt.stats().and, 42, "the documented cost");
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..2000 {
        // Small values, so that equal prefixes are common.
        let a: [u8; 3] = std::array::from_fn(|_| (next() % 3) as u8);
        let b: [u8; 3] = std::array::from_fn(|_| (next() % 3) as u8);
        let pack = |v: [u8; 3]| {
            v.iter()
                .enumerate()
                .map(|(i, &e)| (e as u128) << (8 * i))
                .sum()
        };
        let want = [a < b, a <= b, a > b, a >= b].map(u128::from);
        assert_eq!(run(&c, &[pack(a), pack(b)]), want, "{a:?} vs {b:?}");
    }

    let src = "circuit t(garbler a: (i8, bool), evaluator b: (i8, bool)) -> (bool, bool) {
        (a < b, a >= b)
    }";
    let c = compile(src);
    for a in 0..=255u128 {
        for bb in [0u128, 1] {
            for b in [0u128, 1, 127, 128, 255, a] {
                for ab in [0u128, 1] {
                    let (x, y) = ((a as u8 as i8, ab == 1), (b as u8 as i8, bb == 1));
                    let got = run(&c, &[a | ab << 8, b | bb << 8]);
                    assert_eq!(
                        got,
                        [u128::from(x < y), u128::from(x >= y)],
                        "{x:?} vs {y:?}"
                    );
                }
            }
        }
    }

    // Against constants, and nested: arrays of tuples.
    let src = "circuit t(garbler a: [(u4, bool); 2]) -> bool { a > [(3, true), (0, false)] }";
    let c = compile(src);
    for v in 0..1024u128 {
        let e = |k: u32| ((v >> (5 * k)) & 0xf, (v >> (5 * k + 4)) & 1 == 1);
        let a = [e(0), e(1)];
        let want = a > [(3, true), (0, false)];
        assert_eq!(run(&c, &[v]), [u128::from(want)], "{a:?}");
    }
}
