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
    // Its outputs are also constants, which the output-dependence warning
    // reports (tested below): only the comparisons are looked at here.
    let msgs: Vec<(usize, usize, &str)> = got
        .iter()
        .filter(|(_, _, m)| !m.starts_with("output `"))
        .map(|(l, c, m)| (*l, *c, m.as_str()))
        .collect();
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
    // `b` is a constant: reported as an output, not as a comparison.
    let got: Vec<_> = got
        .into_iter()
        .filter(|(_, _, m)| !m.starts_with("output `"))
        .collect();
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

/// The output-dependence warnings of `src`: (line, column, message).
fn dependence(src: &str) -> Vec<(usize, usize, String)> {
    warnings(src)
        .0
        .into_iter()
        .filter(|(_, _, m)| m.starts_with("output `"))
        .collect()
}

#[test]
fn outputs_that_depend_on_one_party_or_none_are_reported() {
    let src = "circuit t(garbler a: u8, evaluator b: u8) -> (s: u8, echo: u8, k: u8, gone: u8, both: bool) {
    (a + b, a * 3, 7, b ^ b ^ a ^ a, (a ^ a) == b)
}
";
    let got = dependence(src);
    let msgs: Vec<(usize, usize, &str)> =
        got.iter().map(|(l, c, m)| (*l, *c, m.as_str())).collect();
    // `gone` is built from both inputs in the source but the optimizer
    // cancels them: the warning sees the final circuit. `both` is
    // `0 == b`, which depends on the evaluator only.
    assert_eq!(
        msgs,
        [
            (1, 54, "output `echo` depends only on the garbler's input"),
            (1, 64, "output `k` depends on no input"),
            (1, 71, "output `gone` depends on no input"),
            (1, 81, "output `both` depends only on the evaluator's input"),
        ],
        "{got:?}"
    );
    let (_, text) = warnings(src);
    assert!(text.contains("name it `_echo`"), "{text}");
    assert!(
        text.contains("nothing of the evaluator's input reaches it"),
        "{text}"
    );
}

#[test]
fn the_dependence_warning_is_silenced_by_an_underscore_and_points_at_tuple_elements() {
    // A leading `_` says it is intended; a one-party circuit is one-sided
    // by design and only a constant output is reported there.
    let quiet = "circuit t(garbler a: u8, evaluator b: u8) -> (s: u8, _echo: u8) { (a + b, a) }";
    assert_eq!(dependence(quiet), []);
    let one_party = "circuit t(garbler a: u8) -> (x: u8, c: u8) { (a + 1, 5) }";
    let got = dependence(one_party);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].2.contains("`c` depends on no input"), "{got:?}");
    // Unnamed tuple results point at their element type; a single result
    // at the result type, with a hint to name it.
    let tuple = "circuit t(garbler a: u8, evaluator b: u8) -> (u8, bool) { (a & b, b == 1) }";
    let got = dependence(tuple);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0].0, got[0].1), (1, 51), "{got:?}");
    assert!(got[0].2.contains("`out1` depends only on the evaluator's"));
    let single = "circuit t(garbler a: u8, evaluator b: u8) -> u8 { a }";
    let (_, text) = warnings(single);
    assert!(text.contains("`-> (_out: T, ..)`"), "{text}");
    let renamed = "circuit t(garbler a: u8, evaluator b: u8) -> (_out: u8) { (a,) }";
    assert!(dependence(renamed).is_empty());
    // A shared input is both parties' data.
    let shared = "circuit t(shared x: u8, garbler a: u8) -> u8 { x }";
    assert_eq!(dependence(shared), []);
}

#[test]
fn which_repository_programs_have_one_sided_outputs() {
    // Pinned: the programs whose outputs depend on one party only, checked
    // by hand to be true (see docs/language.md, "Warnings").
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../circuits");
    let mut found = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yao"))
        .collect();
    paths.sort();
    for path in paths {
        let checked = compile_file_checked(&path, Default::default()).unwrap();
        for w in checked.warnings.iter() {
            if w.message.starts_with("output `") {
                let file = path.file_name().unwrap().to_string_lossy().to_string();
                found.push(format!("{file}: {}", w.message));
            }
        }
    }
    let expected: [&str; 0] = [];
    assert_eq!(found, expected, "{found:#?}");
}
