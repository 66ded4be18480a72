//! Bad programs: every error is reported, at the right line and column, with
//! a message that says what was expected and what was found.

use yao_compiler::lang::{compile_file, compile_str, Diagnostics};

/// One expected diagnostic: line, column, a fragment of the message and
/// optionally a fragment of one of its hints.
type Expect<'a> = (usize, usize, &'a str, Option<&'a str>);

fn errors(src: &str) -> Diagnostics {
    match compile_str("bad.yao", src) {
        Ok(_) => panic!("compiled but should not:\n{src}"),
        Err(d) => d,
    }
}

fn check(src: &str, expect: &[Expect]) {
    let d = errors(src);
    let got: Vec<_> = d.iter().collect();
    let listing = d.render(false);
    assert_eq!(
        got.len(),
        expect.len(),
        "wrong number of diagnostics for\n{src}\n{listing}"
    );
    for (g, &(line, col, msg, hint)) in got.iter().zip(expect) {
        assert_eq!(
            (g.line, g.column),
            (line, col),
            "position of `{}`\n{listing}",
            g.message
        );
        assert!(
            g.message.contains(msg),
            "`{}` lacks `{msg}`\n{listing}",
            g.message
        );
        if let Some(h) = hint {
            assert!(
                g.hints.iter().any(|x| x.contains(h)),
                "hints {:?} lack `{h}`\n{listing}",
                g.hints
            );
        }
    }
}

#[test]
fn missing_semicolon_points_after_the_statement() {
    check(
        "circuit t(garbler a: u8) -> u8 {\n    let x = a\n    x\n}\n",
        &[(2, 13, "expected `;`, found `x`", None)],
    );
}

#[test]
fn all_syntax_errors_of_a_file_in_one_run() {
    check(
        "fn f(x: u8) -> u8 { x + }\nfn g(y: u8) -> u8 { (y }\ncircuit t(garbler a: u8) -> u8 { a ~ 1 }\n",
        &[
            (3, 36, "unexpected character `~`", Some("`!`")),
            (1, 25, "expected an expression, found `}`", None),
            (2, 24, "expected `,` or `)`, found `}`", None),
            (3, 34, "expected `;`, found `1`", None),
        ],
    );
}

#[test]
fn missing_party() {
    check(
        "circuit t(alice: u8) -> u8 { alice }",
        &[(
            1,
            11,
            "expected `garbler` or `evaluator`, found `alice`",
            Some("garbler x: u32"),
        )],
    );
}

#[test]
fn unclosed_block() {
    check(
        "circuit t(garbler a: u8) -> u8 {\n    a\n",
        &[(1, 32, "unclosed `{`", None)],
    );
}

#[test]
fn chained_comparison() {
    check(
        "circuit t(garbler a: u8, evaluator b: u8) -> bool { a < b < 3 }",
        &[(
            1,
            59,
            "comparison operators cannot be chained",
            Some("a < b && b < c"),
        )],
    );
}

#[test]
fn keyword_as_name() {
    check(
        "circuit t(garbler for: u8) -> u8 { 1 }",
        &[(1, 19, "found keyword `for`", None)],
    );
}

#[test]
fn type_errors() {
    check(
        "circuit t(garbler a: u8, evaluator b: bool) -> u8 {\n    let c = a + b;\n    let d: bool = a;\n    if a { c } else { d }\n}\n",
        &[
            (2, 13, "mismatched types: `+` has `u8` on the left and `bool` on the right", None),
            (3, 19, "mismatched types: expected `bool`, found `u8`", Some("x != 0")),
            (4, 8, "expected a `bool` condition, found `u8`", None),
        ],
    );
}

#[test]
fn width_mismatch_suggests_a_cast() {
    check(
        "circuit t(garbler a: u8, evaluator b: u16) -> u16 { a + b }",
        &[(
            1,
            53,
            "`+` has `u8` on the left and `u16` on the right",
            Some("widen the narrower side, on the left, with `(...) as u16`"),
        )],
    );
    check(
        "fn f(x: u8) -> u9 { x }\ncircuit t(garbler a: u8) -> u9 { f(a) }",
        &[(1, 21, "expected `u9`, found `u8`", Some("as u9"))],
    );
}

#[test]
fn constant_out_of_range() {
    check(
        "circuit t(garbler a: u8) -> u8 { let k: u8 = 300; a + k }",
        &[(
            1,
            46,
            "constant 300 does not fit in `u8`",
            Some("300 as u8"),
        )],
    );
    check(
        "circuit t(garbler a: i8) -> i8 { a + 128 }",
        &[(1, 38, "constant 128 does not fit in `i8`", None)],
    );
}

#[test]
fn unknown_names_suggest_the_nearest() {
    check(
        "fn double(x: u8) -> u8 { x + x }\ncircuit t(garbler alice: u8, evaluator bob: u8) -> u8 {\n    let total = alcie + bob;\n    dubble(total) + popcnt(bob) as u8\n}\n",
        &[
            (3, 17, "cannot find `alcie` in this scope", Some("did you mean `alice`?")),
            (4, 5, "cannot find function `dubble`", Some("did you mean `double`?")),
            (4, 21, "cannot find function `popcnt`", Some("did you mean `popcount`?")),
        ],
    );
    check(
        "circuit t(garbler a: u88x) -> bol { true }",
        &[
            (1, 22, "unknown type `u88x`", None),
            (1, 31, "unknown type `bol`", Some("did you mean `bool`?")),
        ],
    );
}

#[test]
fn out_of_range_indices_and_slices() {
    check(
        "circuit t(garbler a: u8, evaluator xs: [u4; 3]) -> (bool, u4, u8) {\n    (a[8], xs[3], a[4..9])\n}\n",
        &[
            (2, 8, "index 8 is out of range for `u8`", None),
            (2, 15, "index 3 is out of range for `[u4; 3]`", None),
            (2, 24, "slice bound is out of range", None),
        ],
    );
    check(
        "circuit t(garbler p: (u8, u8)) -> u8 { p.2 }",
        &[(1, 42, "`(u8, u8)` has no field 2", None)],
    );
}

#[test]
fn recursion_is_reported() {
    check(
        "fn f(x: u8) -> u8 { f(x) }\ncircuit t(garbler a: u8) -> u8 { f(a) }",
        &[(
            1,
            21,
            "recursive call: `f` calls itself",
            Some("`for` loop"),
        )],
    );
    check(
        "fn even(x: u8) -> bool { odd(x) }\nfn odd(x: u8) -> bool { even(x) }\ncircuit t(garbler a: u8) -> bool { even(a) }",
        &[(2, 25, "recursive call: `even` -> `odd` -> `even`", None)],
    );
}

#[test]
fn non_constant_loop_bound() {
    check(
        "circuit t(garbler n: u8) -> u8 {\n    let mut s: u8 = 0;\n    for i in 0..n { s += 1; }\n    s\n}\n",
        &[(3, 17, "a loop bound must be known at compile time", Some("constants"))],
    );
}

#[test]
fn missing_use_file() {
    check(
        "use \"no/such/file.yao\";\ncircuit t(garbler a: u8) -> u8 { a }",
        &[(
            1,
            1,
            "cannot find `no/such/file.yao`",
            Some("relative to the file"),
        )],
    );
}

#[test]
fn errors_in_a_used_file_name_that_file() {
    let dir = std::env::temp_dir().join(format!("yao-diag-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lib.yao"), "fn f(x: u8) -> u8 {\n    x +* 2\n}\n").unwrap();
    std::fs::write(
        dir.join("main.yao"),
        "use \"lib.yao\";\ncircuit t(garbler a: u8) -> u8 { f(a) }\n",
    )
    .unwrap();
    let d = compile_file(&dir.join("main.yao")).unwrap_err();
    let first = d.iter().next().unwrap();
    assert!(first.file.ends_with("lib.yao"), "{}", first.file);
    assert_eq!((first.line, first.column), (2, 8));
    assert!(d.render(false).contains("lib.yao:2:8"), "{d}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resource_limits_are_diagnostics() {
    check(
        "circuit t(garbler a: u100000) -> u8 { 1 }",
        &[(1, 22, "integer width 100000 is out of range", None)],
    );
    check(
        "circuit t(garbler a: u8) -> u8 {\n    let mut s: u8 = 0;\n    for i in 0..100000000 { s += a; }\n    s\n}\n",
        &[(3, 14, "loop runs 100000000 times", None)],
    );
    check(
        "circuit t(garbler a: [u8; 99999999999]) -> u8 { 1 }",
        &[(1, 27, "array length 99999999999 exceeds the limit", None)],
    );
    check(
        "circuit t(garbler a: u60000, evaluator b: u60000) -> u60000 { a * b }",
        &[(1, 63, "would exceed the gate limit", None)],
    );
}

#[test]
fn mutability_and_definitions() {
    check(
        "const K: u8 = 1;\nfn K(x: u8) -> u8 { x }\ncircuit t(garbler a: u8) -> u8 {\n    let x = a;\n    x = 2;\n    K = 3;\n    x\n}\n",
        &[
            (2, 4, "`K` is defined more than once", Some("first defined at bad.yao:1:7")),
            (5, 5, "cannot assign to `x`, which is not `mut`", Some("let mut x")),
            (6, 5, "cannot assign to constant `K`", None),
        ],
    );
}

#[test]
fn calls() {
    check(
        "fn f(const n: u32, x: u8) -> u8 { x << n }\ncircuit t(garbler a: u8, evaluator b: u32) -> u8 {\n    f(1) + f(b, a)\n}\n",
        &[
            (3, 5, "`f` takes 2 arguments but 1 was given", None),
            (3, 14, "argument for `const n` must be known at compile time", None),
        ],
    );
}

#[test]
fn secret_if_needs_typed_constants() {
    check(
        "circuit t(garbler a: bool) -> u8 { let k = if a { 1 } else { 2 }; k }",
        &[(1, 44, "give different untyped constants", Some("1 as u8"))],
    );
}

#[test]
fn no_circuit_and_two_circuits() {
    check(
        "fn f(x: u8) -> u8 { x }",
        &[(1, 1, "defines no circuit", None)],
    );
    check(
        "circuit a(garbler x: u8) -> u8 { x }\ncircuit b(garbler x: u8) -> u8 { x }",
        &[(2, 9, "a file may define only one circuit", None)],
    );
    check(
        "circuit a(garbler x: u8) { x }",
        &[(1, 9, "declares no result", Some("-> bool"))],
    );
}

#[test]
fn errors_in_unused_functions_are_reported() {
    check(
        "fn unused(x: u8) -> u8 { x + true }\ncircuit t(garbler a: u8) -> u8 { a }",
        &[(1, 26, "mismatched types", None)],
    );
}

#[test]
fn rendering_shows_file_line_col_source_and_caret() {
    let d = errors("circuit t(garbler alice: u8) -> u8 {\n    alcie + 1\n}\n");
    let text = d.to_string();
    assert!(
        text.contains("error: cannot find `alcie` in this scope"),
        "{text}"
    );
    assert!(text.contains("bad.yao:2:5"), "{text}");
    assert!(text.contains("    alcie + 1"), "{text}");
    assert!(text.contains("^^^^^"), "{text}");
    assert!(text.contains("hint: did you mean `alice`?"), "{text}");
    assert!(
        d.render(true).contains("\u{1b}["),
        "color output has ANSI codes"
    );
}

#[test]
fn unreadable_root_file() {
    let d = compile_file(std::path::Path::new("/nonexistent/x.yao")).unwrap_err();
    assert!(
        d.to_string().contains("cannot open `/nonexistent/x.yao`"),
        "{d}"
    );
}

#[test]
fn control_characters_are_echoed_escaped_with_the_caret_under_them() {
    let src =
        "circuit t(garbler a: u8, evaluator b: u8) -> u8 {\n  a +\u{7} b\u{0} + \u{1b}[31m\n}\n";
    let d = errors(src);
    let text = d.to_string();
    // Nothing a terminal would act on reaches it.
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}"
    );
    let echoed = r"2 │   a +\u{7} b\0 + \u{1b}[31m";
    assert!(text.contains(echoed), "{text}");
    // Each report's caret line underlines its character's whole escape, and
    // the header gives the column an editor shows.
    for (column, escape) in [(6, r"\u{7}"), (9, r"\0"), (13, r"\u{1b}")] {
        let header = format!("bad.yao:2:{column}\n");
        let at = text
            .find(&header)
            .unwrap_or_else(|| panic!("{header}{text}"));
        let report = &text[at..];
        let carets = report
            .lines()
            .skip_while(|l| !l.starts_with("2 │"))
            .nth(1)
            .unwrap_or_else(|| panic!("no caret line\n{report}"));
        let caret_at = carets
            .find('^')
            .unwrap_or_else(|| panic!("no caret\n{report}"));
        let width = carets[caret_at..].chars().take_while(|&c| c == '^').count();
        let escape_at = echoed.find(escape).unwrap();
        assert_eq!(
            (caret_at, width),
            (escape_at, escape.len()),
            "caret of {escape:?}\n{report}"
        );
    }
}

#[test]
fn a_function_named_like_a_built_in_shadows_it_with_a_warning() {
    for builtin in ["popcount", "rotl", "rotr", "min", "max", "abs"] {
        let src = format!(
            "fn {builtin}(x: u8) -> u8 {{ x ^ 7 }}\ncircuit t(garbler a: u8) -> u8 {{ {builtin}(a) }}\n"
        );
        assert_eq!(
            warnings(&src),
            [(
                1,
                4,
                format!("function `{builtin}` shadows the built-in function `{builtin}`")
            )]
        );
        let checked =
            yao_compiler::lang::compile_str_checked("warn.yao", &src, None, Default::default())
                .unwrap();
        let shown = checked.warnings.render(false);
        assert!(shown.contains("┌─ warn.yao:1:4"), "{shown}");
        assert!(
            shown.contains(&format!("the built-in is `{builtin}(")),
            "{shown}"
        );
        assert!(shown.contains(&format!("e.g. `my_{builtin}`")), "{shown}");
        // The user's function wins: every call computes `x ^ 7`.
        for a in 0..=255u8 {
            let bits: Vec<bool> = (0..8).map(|k| (a >> k) & 1 == 1).collect();
            let out = checked.circuit.eval_plain(&[bits]).unwrap();
            let got = out[0]
                .iter()
                .enumerate()
                .fold(0u8, |v, (k, &b)| v | (b as u8) << k);
            assert_eq!(got, a ^ 7, "{builtin}({a})");
        }
    }
}

/// docs/language.md shows the shadowing warning as the compiler prints it.
#[test]
fn the_documented_shadowing_warning_is_the_printed_one() {
    let doc = include_str!("../../docs/language.md");
    let start = doc
        .find("warning: function `max` shadows")
        .expect("the docs show the warning");
    let shown_in_docs = &doc[start..start + doc[start..].find("```").unwrap()];
    let src = "fn max(a: u8, b: u8, c: u8) -> u8 { a + b + c }\ncircuit t(garbler x: u8, evaluator y: u8) -> u8 { max(x, y, 1) }\n";
    let checked =
        yao_compiler::lang::compile_str_checked("w.yao", src, None, Default::default()).unwrap();
    let printed = checked.warnings.render(false);
    assert_eq!(printed.trim_end(), shown_in_docs.trim_end());
}

#[test]
fn non_exhaustive_match_suggests_a_wildcard() {
    check(
        "circuit t(garbler x: u8) -> u8 {\n    match x { 0 => 1, 1 | 2 => 3 }\n}\n",
        &[(
            2,
            11,
            "non-exhaustive `match` on `u8`: `3..=255` is not covered",
            Some("add a last arm `_ => ...`"),
        )],
    );
    check(
        "circuit t(garbler b: bool) -> u8 {\n    match b { true => 1 }\n}\n",
        &[(
            2,
            11,
            "non-exhaustive `match` on `bool`: `false` is not covered",
            Some("`_ => ...`"),
        )],
    );
}

#[test]
fn bad_match_patterns_and_arms() {
    check(
        "circuit t(garbler x: u8) -> u8 {\n    match x { [1] => 1, 2 => 3 x, _ => 0 }\n}\n",
        &[
            (2, 15, "expected a pattern, found `[`", Some("`_`")),
            (2, 32, "expected `,` or `}`, found `x`", None),
        ],
    );
    check(
        "circuit t(garbler x: u8, evaluator y: [u8; 2]) -> u8 {\n    let a = match x { 300 => 1, true => 2, _ => 3 };\n    let b = match y { _ => 1 };\n    let c = match x { _ => 1, 2 => 3 };\n    a + b + c\n}\n",
        &[
            (2, 23, "constant 300 does not fit in `u8`", None),
            (2, 33, "expected a `u8` pattern, found `true`", None),
            (
                3,
                19,
                "`match` works on integers, `bool`, tuples and structs, found `[u8; 2]`",
                Some("`match v[0] { .. }`"),
            ),
            (
                4,
                31,
                "unreachable `match` arm",
                Some("put the arm that matches every value last"),
            ),
        ],
    );
}

#[test]
fn unsupported_loops_explain_the_compile_time_bound() {
    check(
        "circuit t(garbler x: u8) -> u8 {\n    let mut i: u8 = 0;\n    while i < x { i += 1; }\n    i\n}\n",
        &[(
            3,
            5,
            "`while` loops are not supported",
            Some("for i in 0..N { if cond { ... } }"),
        )],
    );
    check(
        "fn f(x: u8) -> u8 {\n    for i in 0..8 { if x[i] { break; } }\n    return x;\n}\ncircuit t(garbler x: u8) -> u8 { loop { } }\n",
        &[
            (2, 31, "`break` is not supported", Some("keep a flag")),
            (3, 5, "`return` is not supported", Some("last expression")),
            (5, 34, "`loop` loops are not supported", Some("for i in 0..N")),
        ],
    );
}

#[test]
fn bad_for_loops() {
    check(
        "circuit t(garbler x: u8) -> u8 {\n    for i in (0..8).skip(1) { }\n    x\n}\n",
        &[(
            2,
            21,
            "expected `rev()` or `step_by(k)`, found `skip`",
            None,
        )],
    );
    check(
        "circuit t(garbler x: u8) -> u8 {\n    for b in x { }\n    for i in (0..8).step_by(0) { }\n    x\n}\n",
        &[
            (2, 14, "cannot iterate over a value of type `u8`", Some("for i in 0..8")),
            (3, 29, "`step_by` needs a positive step, found 0", None),
        ],
    );
}

#[test]
fn mixed_widths_suggest_widening_the_narrower_side() {
    check(
        "circuit t(garbler a: u32, evaluator b: i8) -> bool {\n    let mut acc: u32 = 0;\n    acc += b;\n    a < b\n}\n",
        &[
            (3, 5, "`+` has `u32` on the left and `i8` on the right", Some("on the right, with `(...) as u32`")),
            (4, 5, "`<` has `u32` on the left and `i8` on the right", Some("on the right")),
        ],
    );
    let d = errors("circuit t(garbler a: u8, evaluator b: u16) -> u16 { a + b }");
    assert!(d.render(false).contains("this is `u8`"), "{d}");
}

#[test]
fn min_max_abs_type_errors() {
    check(
        "circuit t(garbler a: u8, evaluator b: u16, evaluator c: bool) -> u8 {\n    let x = min(a, b);\n    let y = max(c, c);\n    let z = abs(a);\n    let w = abs(a, a);\n    a\n}\n",
        &[
            (2, 17, "mismatched types: `min` has `u8` on the left and `u16` on the right", Some("`(...) as u16`")),
            (3, 13, "`max` takes integers, found `bool`", Some("`a || b`")),
            (4, 17, "`abs` takes a signed integer, found `u8`", Some("abs(x as i8)")),
            (5, 13, "`abs` takes 1 argument, but 2 were given", None),
        ],
    );
}

#[test]
fn missing_return_type_suggests_one() {
    check(
        "fn twice(x: u8) {\n    x + x\n}\ncircuit t(garbler a: u8) -> u8 { twice(a); a }\n",
        &[(
            2,
            5,
            "`twice` declares no return type, but its body gives a `u8`",
            Some("`fn twice(...) -> u8`"),
        )],
    );
    check(
        "circuit t(garbler a: u8) {\n    a == 1\n}\n",
        &[(
            1,
            9,
            "circuit `t` declares no result",
            Some("add `-> bool`"),
        )],
    );
    // Functions that are never called are checked too.
    check(
        "fn seven() { 7 }\ncircuit t(garbler a: u8) -> u8 { a }\n",
        &[(1, 14, "`seven` declares no return type", Some("-> u32"))],
    );
}

#[test]
fn duplicate_parameters_point_to_the_first() {
    let src = "fn f(x: u8, y: u8, x: u16) -> u8 { y }\ncircuit t(garbler a: u8, evaluator a: u8) -> u8 { f(a, a, 0) }\n";
    check(
        src,
        &[
            (
                1,
                20,
                "parameter `x` is declared more than once",
                Some("rename"),
            ),
            (2, 36, "two inputs are named `a`", Some("rename")),
        ],
    );
    let shown = errors(src).render(false);
    assert!(shown.contains("first `x` here"), "{shown}");
    assert!(shown.contains("first `a` here"), "{shown}");
    assert!(shown.contains("1 │ fn f(x: u8, y: u8, x: u16)"), "{shown}");
}

/// The warnings of a program that compiles: line, column, message fragment.
fn warnings(src: &str) -> Vec<(usize, usize, String)> {
    let checked =
        yao_compiler::lang::compile_str_checked("warn.yao", src, None, Default::default())
            .unwrap_or_else(|d| panic!("{src}\n{d}"));
    assert!(checked.warnings.iter().all(|w| w.is_warning));
    checked
        .warnings
        .iter()
        .map(|w| (w.line, w.column, w.message.clone()))
        .collect()
}

#[test]
fn unused_variables_parameters_and_inputs_are_warnings() {
    let src = "fn f(x: u8, y: u8, _z: u8) -> u8 { x }\ncircuit t(garbler a: u8, evaluator b: u8, evaluator _c: u8) -> u8 {\n    let t = a + 1;\n    let (q, _) = (a, a);\n    for i in 0..2 { }\n    for j in 0..2 { if j == 1 { let k = a; } }\n    let mut acc: u8 = 0;\n    acc += 1;\n    f(a, q, q)\n}\n";
    let got = warnings(src);
    let want = [
        (2, 36, "input `b` is never used"),
        (1, 13, "unused parameter `y`"),
        (3, 9, "unused variable `t`"),
        (5, 9, "unused variable `i`"),
        (6, 37, "unused variable `k`"),
        (7, 13, "unused variable `acc`"),
        // True, as the evaluator's inputs are all unused.
        (2, 64, "output `out` depends only on the garbler's input"),
    ];
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted: Vec<_> = want
        .iter()
        .map(|&(l, c, m)| (l, c, m.to_string()))
        .collect();
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted, "{got:?}");
    // Rendered like errors, as warnings, with the `_name` hint.
    let checked =
        yao_compiler::lang::compile_str_checked("warn.yao", src, None, Default::default()).unwrap();
    let shown = checked.warnings.render(false);
    assert!(shown.contains("warning: unused variable `t`"), "{shown}");
    assert!(shown.contains("┌─ warn.yao:3:9"), "{shown}");
    assert!(shown.contains("name it `_t`"), "{shown}");
    // The plain API compiles the same program without a word.
    assert!(compile_str("warn.yao", src).is_ok());
}

#[test]
fn a_name_used_in_any_unrolled_copy_is_used() {
    // `t` is read only in the last iteration, `x` only in the second call;
    // the branch never taken at compile time declares nothing.
    let src = "fn g(const n: u32, x: u8) -> u8 { if n == 1 { x } else { 0 } }\ncircuit t(garbler a: u8) -> u8 {\n    let mut s: u8 = 0;\n    for i in 0..3 { let t = a; if i == 2 { s += t; } }\n    if false { let never = 1; }\n    s + g(0, a) + g(1, a)\n}\n";
    assert_eq!(warnings(src), []);
}

#[test]
fn range_adapters_need_parentheses() {
    check(
        "circuit t(garbler x: [u8; 4]) -> u8 {\n    let mut s: u8 = 0;\n    for i in 0..4.rev() { s += x[i]; }\n    for v in x.iter() { s += v; }\n    s\n}\n",
        &[
            (3, 19, "expected a field, like `.0` or `.x`, found `rev`", Some("`for i in (a..b).rev(...)`")),
            (4, 16, "expected a field, like `.0` or `.x`, found `iter`", Some("`for x in xs { ... }`")),
        ],
    );
}

#[test]
fn zero_bit_inputs_and_outputs_are_explained() {
    // Not supported, by decision: a party with nothing to give declares no
    // input, and an output without bits reveals nothing.
    let cases = [
        (
            "circuit t(garbler a: u8, evaluator nothing: ()) -> u8 { a }",
            "input `nothing` of type `()` has no bits",
            "if the evaluator has nothing to give here, remove `nothing`",
        ),
        (
            "const N: u32 = 0;\ncircuit t(garbler a: [u8; N], evaluator b: u8) -> u8 { b }",
            "input `a` of type `[u8; 0]` has no bits",
            "a party may declare no input at all",
        ),
        (
            "circuit t(garbler a: u8, evaluator b: u8) -> () { }",
            "output `out` of type `()` has no bits",
            "return the values the parties should learn",
        ),
        (
            "circuit t(garbler a: u8, evaluator b: u8) -> (x: u8, y: ()) { (a + b, ()) }",
            "output `y` of type `()` has no bits",
            "remove the output `y`",
        ),
    ];
    for (src, want, hint) in cases {
        let err = compile_str("z.yao", src).unwrap_err().render(false);
        assert!(err.contains(want), "{src}\n{err}");
        assert!(err.contains(hint), "{src}\n{err}");
    }
    // A function may return `()` (it has no effect, but is not an error).
    assert!(compile_str(
        "z.yao",
        "fn check(x: u8) -> () { let _y = x; }\ncircuit t(garbler a: u8, evaluator b: u8) -> u8 { check(a); a + b }"
    )
    .is_ok());
}

/// A loop counter that does not fit where it is used suggests casting the
/// counter (`i as u8`), not the number it happens to be.
#[test]
fn a_counter_out_of_range_suggests_casting_the_counter() {
    check(
        "circuit t(garbler x: u8) -> u8 {\n    let mut j: u8 = 0;\n    for i in 250..300 { j = i; }\n    j + x\n}\n",
        &[(
            3,
            29,
            "constant 256 does not fit in `u8`",
            Some("`i` is 256 here; to wrap it, write `i as u8`"),
        )],
    );
    check(
        "circuit t(garbler x: u8) -> u8 {\n    let mut s = x;\n    for k in 0..1000 { s += k; }\n    s\n}\n",
        &[(3, 29, "constant 256 does not fit in `u8`", Some("`k as u8`"))],
    );
    // A literal still suggests casting the literal.
    check(
        "circuit t(garbler x: u8) -> u8 {\n    x + 300\n}\n",
        &[(
            2,
            9,
            "constant 300 does not fit in `u8`",
            Some("`300 as u8`"),
        )],
    );
}
