//! `match` with range patterns (`1..=5`, `0..8`) and binding patterns
//! (`n => ...`), checked against Rust's `match` on every value.

use yao_compiler::ir::Circuit;
use yao_compiler::lang::compile_str;

fn compile(src: &str) -> Circuit {
    compile_str("match.yao", src).unwrap_or_else(|d| panic!("{src}\n{d}"))
}

fn errors(src: &str) -> String {
    match compile_str("bad.yao", src) {
        Ok(_) => panic!("compiled but should not:\n{src}"),
        Err(d) => d.render(false),
    }
}

/// Runs a one-input circuit of `width` bits on `x` (its bit pattern) and
/// returns its single output's bit pattern.
fn run(c: &Circuit, x: u64) -> u64 {
    let width = c.inputs[0].wires.len();
    let bits: Vec<bool> = (0..width).map(|k| (x >> k) & 1 == 1).collect();
    c.eval_plain(&[bits]).unwrap()[0]
        .iter()
        .enumerate()
        .map(|(k, &b)| (b as u64) << k)
        .sum()
}

#[test]
fn unsigned_ranges_and_a_binding_match_rust() {
    let c = compile(
        "circuit t(garbler x: u8) -> u16 {
            match x {
                0 => 1000,
                1..=9 => 1,
                10..20 | 42 => 2,
                200..=255 => 3,
                n => (n as u16) * 2,
            }
        }",
    );
    for x in 0..=255u8 {
        let want: u16 = match x {
            0 => 1000,
            1..=9 => 1,
            10..20 | 42 => 2,
            200..=255 => 3,
            n => n as u16 * 2,
        };
        assert_eq!(run(&c, x as u64), want as u64, "x = {x}");
    }
}

#[test]
fn signed_ranges_match_rust_and_cover_every_value() {
    // No `_`: the ranges name all 256 values.
    let c = compile(
        "circuit t(garbler x: i8) -> i8 {
            match x {
                -128..=-100 => -1,
                -99..0 => x + 1,
                0 => 0,
                1..=126 => x - 1,
                127 => 7,
            }
        }",
    );
    for x in i8::MIN..=i8::MAX {
        let want: i8 = match x {
            -128..=-100 => -1,
            -99..0 => x + 1,
            0 => 0,
            1..=126 => x - 1,
            127 => 7,
        };
        assert_eq!(run(&c, x as u8 as u64) as u8 as i8, want, "x = {x}");
    }
}

#[test]
fn a_known_value_picks_its_range_at_compile_time() {
    let c = compile(
        "fn class(const k: u32) -> u8 { match k { 0..=9 => 1, 10..=99 => 2, big => (big % 7) as u8 } }
         circuit t(garbler x: u8) -> u8 { x + (class(5) + class(50) + class(1000)) }",
    );
    assert_eq!(run(&c, 10), 10 + 1 + 2 + (1000 % 7));
    // Only the addition of the constant 9 remains.
    let plain = compile("circuit t(garbler x: u8) -> u8 { x + 9 }");
    assert_eq!(c.gates, plain.gates);
}

/// A range costs one comparison per bound that excludes values: `0..=20`
/// on a `u8` needs only `x <= 20`.
#[test]
fn range_costs() {
    let and = |pat: &str| {
        compile(&format!(
            "circuit t(garbler x: u8) -> bool {{ match x {{ {pat} => true, _ => false }} }}"
        ))
        .stats()
        .and
    };
    let one_bound = and("0..=20");
    let two_bounds = and("10..=20");
    assert!(one_bound <= 8, "{one_bound}");
    assert!(two_bounds <= 2 * 8 + 1, "{two_bounds}");
    assert!(one_bound < two_bounds);
    assert_eq!(and("0..=255"), 0);
}

#[test]
fn wide_types_can_be_covered_by_ranges() {
    let c = compile(
        "circuit t(garbler x: u64) -> u8 {
            match x { 0..=0xffff_ffff => 0, 0x1_0000_0000..=0xffff_ffff_ffff_ffff => 1 }
        }",
    );
    assert_eq!(run(&c, 5), 0);
    assert_eq!(run(&c, 1 << 40), 1);
}

#[test]
fn bad_range_and_binding_patterns() {
    let e = errors("circuit t(garbler x: u8) -> u8 { match x { 0..=99 => 1, 101..=255 => 2 } }");
    assert!(
        e.contains("non-exhaustive `match` on `u8`: `100` is not covered"),
        "{e}"
    );
    let e = errors("circuit t(garbler x: i8) -> u8 { match x { -128..-1 => 1, 0..=127 => 2 } }");
    assert!(e.contains("`-1` is not covered"), "{e}");
    let e = errors("circuit t(garbler x: u8) -> u8 { match x { 9..=3 => 1, _ => 2 } }");
    assert!(
        e.contains("empty range pattern") && e.contains("bad.yao:1:44"),
        "{e}"
    );
    let e = errors("circuit t(garbler x: u8) -> u8 { match x { 5..5 => 1, _ => 2 } }");
    assert!(e.contains("empty range pattern"), "{e}");
    let e = errors("circuit t(garbler x: u8) -> u8 { match x { 0..=300 => 1, _ => 2 } }");
    assert!(e.contains("constant 300 does not fit in `u8`"), "{e}");
    let e = errors("circuit t(garbler x: u8) -> u8 { match x { 1 | n => n, _ => 2 } }");
    assert!(
        e.contains("`n` cannot be one of several alternatives"),
        "{e}"
    );
    let e = errors("circuit t(garbler x: u8) -> u8 { match x { n => n, 3 => 2 } }");
    assert!(e.contains("unreachable `match` arm"), "{e}");
    let e = errors("circuit t(garbler x: bool) -> u8 { match x { 0..=1 => 1, _ => 2 } }");
    assert!(
        e.contains("a range pattern needs an integer, found `bool`"),
        "{e}"
    );
}

#[test]
fn at_bindings_match_rust() {
    // `n @ PAT` names what PAT matched; the last arm's ranges cover the
    // rest, so no `_` is needed.
    let c = compile(
        "circuit t(garbler x: i8) -> i8 {
            match x {
                n @ 1..=5 => n * 2,
                k @ 10 | k @ 20..30 => k + 1,
                0 => 99,
                m @ -128..=0 | m @ 6..=127 => m - 1,
            }
        }",
    );
    for x in i8::MIN..=i8::MAX {
        let want: i8 = match x {
            n @ 1..=5 => n * 2,
            k @ 10 | k @ 20..30 => k + 1,
            0 => 99,
            m @ -128..=0 | m @ 6..=127 => m.wrapping_sub(1),
        };
        assert_eq!(run(&c, x as u8 as u64) as u8 as i8, want, "x = {x}");
    }
    // A known scrutinee still picks its arm at compile time.
    let known = compile(
        "circuit t(garbler x: u8) -> u8 { let v: u8 = 3; match v { n @ 1..=5 => x + n, _ => x } }",
    );
    let plain = compile("circuit t(garbler x: u8) -> u8 { x + 3 }");
    assert_eq!(known.gates, plain.gates);
}

#[test]
fn bad_at_bindings() {
    let cases = [
        (
            "match x { n @ 1 | 2 => n, _ => 0 }",
            "every alternative of this arm must bind `n`",
        ),
        (
            "match x { n @ 1 | m @ 2 => n, _ => 0 }",
            "binds `m` instead",
        ),
        (
            "match x { n @ m => n, _ => 0 }",
            "expected a pattern that is not a name after `@`",
        ),
        ("match x { n @ 1..=300 => n, _ => 0 }", "300"),
        ("match x { n @ 1..=3 => 0, _ => 0 }", ""),
    ];
    for (body, want) in cases {
        let src = format!("circuit t(garbler x: u8) -> u8 {{ {body} }}");
        if want.is_empty() {
            // An unused name is a warning, not an error.
            let checked =
                yao_compiler::lang::compile_str_checked("w.yao", &src, None, Default::default())
                    .unwrap();
            assert!(
                checked
                    .warnings
                    .iter()
                    .any(|w| w.message == "unused variable `n`"),
                "{}",
                checked.warnings.render(false)
            );
            continue;
        }
        let err = errors(&src);
        assert!(err.contains(want), "{src}\n{err}");
    }
}
