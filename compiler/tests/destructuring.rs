//! Destructuring: `let P { x, y } = p;`, nested and tuple patterns, in `let`
//! and `for`; checked against the same code in Rust, for cost (none: a
//! pattern only names wires) and for its diagnostics.

use yao_compiler::ir::Circuit;
use yao_compiler::lang::compile_str;

fn compile(src: &str) -> Circuit {
    compile_str("d.yao", src).unwrap_or_else(|d| panic!("{src}\n{d}"))
}

fn errors(src: &str) -> String {
    match compile_str("d.yao", src) {
        Ok(_) => panic!("compiled:\n{src}"),
        Err(d) => d.render(false),
    }
}

fn bits(v: u64, w: usize) -> Vec<bool> {
    (0..w).map(|i| v >> i & 1 == 1).collect()
}

fn num(b: &[bool]) -> u64 {
    b.iter().rev().fold(0, |a, &x| a << 1 | x as u64)
}

const SRC: &str = "struct P { x: u8, y: u8 }
struct Seg { a: P, b: P, tag: (u8, bool) }
fn len2(s: Seg) -> u8 {
    let Seg { a: P { x: ax, y: ay }, b, .. } = s;
    let P { mut x, y } = b;
    x -= ax;
    x * x + (y - ay) * (y - ay)
}
circuit t(garbler s: Seg, evaluator ps: [P; 3]) -> (d: u8, sum: u8, t: u8) {
    let mut sum: u8 = 0;
    for P { x, y: _ } in ps { sum += x; }
    let Seg { tag: (k, on), .. } = s;
    (len2(s), sum, if on { k } else { 0 })
}
";

#[test]
fn struct_patterns_agree_with_rust() {
    struct P {
        x: u8,
        y: u8,
    }
    let c = compile(SRC);
    let mut r: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        let byte = |k: u32| (r >> (8 * k)) as u8;
        let (a, b) = (
            P {
                x: byte(0),
                y: byte(1),
            },
            P {
                x: byte(2),
                y: byte(3),
            },
        );
        let (k, on) = (byte(4), byte(5) & 1 == 1);
        let ps = [byte(5), byte(6), byte(7)];
        // Rust's own destructuring, as the reference.
        let P { x: ax, y: ay } = a;
        let P { x: bx, y: by } = b;
        let dx = bx.wrapping_sub(ax);
        let dy = by.wrapping_sub(ay);
        let d = dx.wrapping_mul(dx).wrapping_add(dy.wrapping_mul(dy));
        let sum = ps.iter().fold(0u8, |s, &x| s.wrapping_add(x));
        let t = if on { k } else { 0 };

        let mut g = Vec::new();
        for v in [ax, ay, bx, by, k] {
            g.extend(bits(v as u64, 8));
        }
        g.push(on);
        let mut e = Vec::new();
        for x in ps {
            e.extend(bits(x as u64, 8));
            e.extend(bits(0x5a, 8));
        }
        let out = c.eval_plain(&[g, e]).unwrap();
        assert_eq!(
            [num(&out[0]), num(&out[1]), num(&out[2])],
            [d as u64, sum as u64, t as u64]
        );
    }
}

#[test]
fn a_pattern_costs_nothing() {
    let by_field = "struct P { x: u8, y: u8 }
circuit t(garbler p: P, evaluator q: P) -> u8 { p.x * q.y + p.y }";
    let by_pattern = "struct P { x: u8, y: u8 }
circuit t(garbler p: P, evaluator q: P) -> u8 {
    let P { x, y } = p;
    let P { y: qy, .. } = q;
    x * qy + y
}";
    assert_eq!(compile(by_field).gates, compile(by_pattern).gates);
    assert_eq!(compile(by_field).id(), compile(by_pattern).id());
}

#[test]
fn bad_struct_patterns_are_explained() {
    let head = "struct P { x: u8, y: u8 }\nstruct Q { x: u8 }\ncircuit t(garbler p: P, evaluator q: Q) -> u8 {\n";
    let cases = [
        (
            "let P { x } = p; x",
            "pattern does not mention field `y`",
            "end the pattern with `..`",
        ),
        (
            "let P { x, z, .. } = p; x",
            "struct `P` has no field `z`",
            "its fields are",
        ),
        (
            "let P { x, x: w, .. } = p; x + w",
            "field `x` is bound more than once",
            "first here",
        ),
        (
            "let Q { x } = p; x",
            "this pattern takes a `Q`, but the value is a `P`",
            "expected `P`",
        ),
        (
            "let P { x, y } = (1, 2); x",
            "this pattern takes a `P`, but the value is a `(",
            "",
        ),
        ("let P { .., x } = p; x", "`}` (`..` comes last)", ""),
    ];
    for (body, want, also) in cases {
        let src = format!("{head}    {body}\n}}\n");
        let err = errors(&src);
        assert!(err.contains(want), "{src}\n{err}");
        assert!(err.contains(also), "{src}\n{err}");
    }
}
