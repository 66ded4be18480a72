//! Warnings beyond unused names: a comparison with a literal that the
//! value's type alone decides. Warnings never change the circuit.

use yao_compiler::lang::{compile_file_checked, compile_str, compile_str_checked};

/// Each warning's line, column and message, and all of them rendered.
fn warnings(src: &str) -> (Vec<(usize, usize, String)>, String) {
    let checked = compile_str_checked("warn.yao", src, None, Default::default())
        .unwrap_or_else(|d| panic!("{src}\n{d}"));
    let list = checked
        .warnings
        .iter()
        .map(|w| {
            assert!(w.is_warning);
            (w.line, w.column, w.message.clone())
        })
        .collect();
    (list, checked.warnings.render(false))
}

#[test]
fn comparisons_decided_by_the_type_are_reported() {
    let src = "circuit t(garbler x: u8, evaluator y: i4) -> (a: bool, b: bool, c: bool, d: bool, e: bool) {
    let a = x < 0;
    let b = x <= 255;
    let c = 0 <= x;
    let d = y > -8 || y >= -8;
    let e = x < 10 && y < 7 && x >= 1 && -8 < y;
    (a, b, c, d, e)
}
";
    let (got, text) = warnings(src);
    let msgs: Vec<(usize, usize, &str)> =
        got.iter().map(|(l, c, m)| (*l, *c, m.as_str())).collect();
    assert_eq!(
        msgs,
        [
            (2, 13, "comparison is always false"),
            (3, 13, "comparison is always true"),
            (4, 13, "comparison is always true"),
            (5, 23, "comparison is always true"),
        ],
        "{got:?}"
    );
    assert!(text.contains("a `u8` is always 0 to 255"), "{text}");
    assert!(text.contains("a `i4` is always -8 to 7"), "{text}");
    // The warning is about the source, not the circuit: the same program
    // compiles to the same gates, with `a` the constant false.
    let c = compile_str("warn.yao", src).unwrap();
    assert_eq!(
        c.eval_plain(&[vec![true; 8], vec![false; 4]]).unwrap()[0],
        [false]
    );
}

#[test]
fn one_warning_per_place_and_none_for_computed_bounds() {
    // A loop evaluates the comparison 4 times; a bound from a `const`
    // parameter or a loop counter is not a literal the user wrote.
    let src = "fn under(x: u8, const n: u8) -> bool { x < n }
circuit t(garbler x: u8) -> (a: bool, b: bool) {
    let mut a = false;
    for i in 0..4 { a = a ^ (x > 255) ^ (x < i); }
    (a, under(x, 0))
}
";
    let (got, _) = warnings(src);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].0, got[0].1), (4, 29));
}

#[test]
fn repository_programs_and_the_standard_library_have_no_such_warning() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../circuits");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yao") {
            let checked = compile_file_checked(&path, Default::default()).unwrap();
            for w in checked.warnings.iter() {
                assert!(
                    !w.message.contains("comparison is always"),
                    "{}: {}",
                    path.display(),
                    w.message
                );
            }
            seen += 1;
        }
    }
    assert!(seen > 5);
    for module in yao_compiler::lang::stdlib::names() {
        let src = format!("use std::{module};\ncircuit t(garbler x: u8) -> u8 {{ x }}\n");
        let checked = compile_str_checked("std.yao", &src, None, Default::default()).unwrap();
        for w in checked.warnings.iter() {
            assert!(
                !w.message.contains("comparison is always"),
                "std::{module}: {}",
                w.message
            );
        }
    }
}
