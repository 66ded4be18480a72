//! The compiler never panics, hangs or allocates without bound, whatever the
//! input: random text, token soup, mutations of real programs, pathological
//! nesting and sizes. Every outcome is a circuit or diagnostics.

use proptest::prelude::*;
use yao_compiler::lang::{compile_str, compile_str_with, Limits};

/// Small budgets keep the fuzz cases fast; the limits themselves are tested.
const SMALL: Limits = Limits {
    max_gates: 200_000,
    max_steps: 1_000_000,
};

const SOURCES: &[&str] = &[
    include_str!("../../circuits/millionaires.yao"),
    include_str!("../../circuits/auction.yao"),
    include_str!("../../circuits/sort8.yao"),
    include_str!("../../circuits/average_grades.yao"),
    include_str!("../../circuits/hamming.yao"),
    "const T: [u8; 4] = [1, 2, 3, 4];
     fn f(const n: u32, x: [u8; n]) -> (u8, bool) { let mut s: u8 = 0; for i in 0..n { s ^= x[i]; } (s, s == T[1]) }
     circuit c(garbler a: [u8; 3], evaluator b: u2, evaluator k: i7) -> (x: u8, y: bool, z: i9) {
         let (s, e) = f(3, a);
         let mut r = a;
         r[b] = s;
         if e { r[0] = 7; } else { r[1] = rotl(s, b); }
         (r[0] ^ r[1] ++ r[2][0..4] as u8, e || s[3], (k as i9) << 1)
     }",
];

const VOCAB: &[&str] = &[
    "circuit",
    "fn",
    "let",
    "mut",
    "const",
    "use",
    "if",
    "else",
    "for",
    "in",
    "as",
    "true",
    "false",
    "garbler",
    "evaluator",
    "u8",
    "i8",
    "u1",
    "u64",
    "u0",
    "u70000",
    "bool",
    "x",
    "y",
    "f",
    "rotl",
    "popcount",
    "0",
    "1",
    "7",
    "255",
    "0xff",
    "0b101",
    "99999999999999999999999",
    "\"lib.yao\"",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    ":",
    ".",
    "..",
    "->",
    "=",
    "==",
    "+",
    "-",
    "*",
    "/",
    "%",
    "^",
    "&",
    "|",
    "!",
    "<<",
    ">>",
    "<",
    ">=",
    "&&",
    "||",
    "++",
    "+=",
    "_",
    "\n",
    "//",
    "/*",
    "*/",
];

fn compile_no_panic(src: &str) {
    if let Err(d) = compile_str_with("fuzz.yao", src, None, SMALL) {
        let text = d.to_string();
        assert!(
            !text.contains("internal compiler error"),
            "compiler bug on:\n{src}\n{text}"
        );
        assert!(!d.is_empty());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_text_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        compile_no_panic(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn token_soup_never_panics(toks in proptest::collection::vec(0..VOCAB.len(), 0..120)) {
        let src: Vec<&str> = toks.iter().map(|&i| VOCAB[i]).collect();
        compile_no_panic(&src.join(" "));
    }

    #[test]
    fn mutated_programs_never_panic(
        which in 0..SOURCES.len(),
        edits in proptest::collection::vec((0usize..10_000, 0usize..12, 0..VOCAB.len(), 0u8..4), 1..6),
    ) {
        let mut src = SOURCES[which].to_string();
        for (pos, len, tok, kind) in edits {
            let mut at = pos % (src.len() + 1);
            while !src.is_char_boundary(at) { at -= 1; }
            let mut end = (at + len).min(src.len());
            while !src.is_char_boundary(end) { end -= 1; }
            match kind {
                0 => { src.replace_range(at..end, ""); }
                1 => src.insert_str(at, VOCAB[tok]),
                2 => { src.replace_range(at..end, VOCAB[tok]); }
                _ => { let dup = src[at..end].to_string(); src.insert_str(at, &dup); }
            }
        }
        compile_no_panic(&src);
    }
}

#[test]
fn pathological_nesting_is_an_error_not_a_stack_overflow() {
    let deep = |open: &str, mid: &str, close: &str, n: usize| {
        format!(
            "circuit t(garbler a: u8) -> u8 {{ {}{}{} }}",
            open.repeat(n),
            mid,
            close.repeat(n)
        )
    };
    for src in [
        deep("(", "a", ")", 100_000),
        deep("-", "a", "", 100_000),
        deep("!", "a", "", 100_000),
        deep("{", "a", "}", 100_000),
        deep("if a[0] { ", "a", " } else { a }", 50_000),
        deep("[", "a", "]", 100_000),
        format!(
            "circuit t(garbler a: {}u8{}) -> u8 {{ 1 }}",
            "[".repeat(50_000),
            "; 1]".repeat(50_000)
        ),
        format!(
            "circuit t(garbler a: u8) -> u8 {{ a{} }}",
            "[0]".repeat(100_000)
        ),
        format!(
            "circuit t(garbler a: u8) -> u8 {{ a{} }}",
            " + a".repeat(100_000)
        ),
    ] {
        compile_no_panic(&src);
    }
}

#[test]
fn deep_call_chains_and_nesting_within_limits_compile() {
    // 100 functions each calling the next, each body nested 100 deep.
    let mut src = String::new();
    for i in 0..100 {
        let body = if i == 99 {
            "x".to_string()
        } else {
            format!("f{}(x)", i + 1)
        };
        src += &format!(
            "fn f{i}(x: u8) -> u8 {{ {}{body}{} }}\n",
            "(".repeat(100),
            ")".repeat(100)
        );
    }
    src += "circuit t(garbler a: u8) -> u8 { f0(a) }";
    compile_str("deep.yao", &src).unwrap_or_else(|d| panic!("{d}"));
}

#[test]
fn huge_sizes_are_refused_quickly() {
    for src in [
        "circuit t(garbler a: u8) -> u8 { let x = [a; 1000000000]; a }",
        "circuit t(garbler a: [[u8; 65536]; 65536]) -> u8 { 1 }",
        "circuit t(garbler a: u65536) -> u65536 { a ++ a }",
        "circuit t(garbler a: u8) -> u8 { let k = 1 << 100000000; a }",
        "circuit t(garbler a: u8) -> u8 { let mut s = a; for i in 0..1000000 { for j in 0..1000000 { s = s + a; } } s }",
        "circuit t(garbler a: u65536, evaluator b: u65536) -> u65536 { a / b }",
        "circuit t(garbler a: u8) -> u8 { let k = 0xffffffffffffffffffffffffffff << 65530; a }",
    ] {
        let r = compile_str_with("big.yao", src, None, SMALL);
        assert!(r.is_err(), "{src}");
        compile_no_panic(src);
    }
    let long = format!(
        "circuit t(garbler a: u8) -> u8 {{ {} }}",
        "9".repeat(10_000)
    );
    compile_no_panic(&long);
}

#[test]
fn budgets_are_reported_where_they_run_out() {
    let src = "circuit t(garbler a: u32) -> u32 {\n    let mut s = a;\n    for i in 0..100000 { s = s * a; }\n    s\n}\n";
    let d = compile_str_with("budget.yao", src, None, SMALL).unwrap_err();
    let first = d.iter().next().unwrap();
    assert!(first.message.contains("exceeds 200000 gates"), "{d}");
    assert_eq!(first.line, 3, "{d}");
    let steps = Limits {
        max_gates: 1 << 20,
        max_steps: 1000,
    };
    let src = "circuit t(garbler a: u8) -> u8 { for i in 0..10000 { } a }";
    let d = compile_str_with("budget.yao", src, None, steps).unwrap_err();
    assert!(
        d.to_string().contains("exceeds 1000 evaluation steps"),
        "{d}"
    );
}

#[test]
fn error_floods_are_capped() {
    let src = "circuit t(garbler a: u8) -> u8 {\n".to_string()
        + &"    let x: u8 = true;\n".repeat(500)
        + "    a\n}\n";
    let d = compile_str("flood.yao", &src).unwrap_err();
    assert!(d.len() <= 101, "{}", d.len());
    assert!(d.to_string().contains("more errors not shown"));
    let src = ") ".repeat(10_000);
    let d = compile_str("flood.yao", &src).unwrap_err();
    assert!(d.len() <= 101, "{}", d.len());
}
