//! The Bristol importer's fast path for the common gate lines
//! (`2 1 a b out XOR|AND`, `1 1 a out INV|NOT`, read straight from the
//! text) changes nothing: on every input, `bristol::parse` gives what
//! `bristol::parse_general`, the same importer with the fast path switched
//! off, gives: the same circuit (so the same id), or the same error. Checked
//! on every published circuit under every option set, on CRLF, unterminated
//! and tab-spaced copies, on truncated copies, on the fuzz seeds and
//! regressions, on lying headers, on random damage, and on generated files
//! of many gate lines with long and zero-padded wire numbers, odd
//! separators and bad wires.
//!
//! The general path itself is checked against the format elsewhere
//! (`bristol_known_answers`, `bristol_circuits`, the unit tests in
//! `bristol.rs`).

mod common;

use proptest::prelude::*;
use std::path::PathBuf;
use yao::compiler::bristol::{self, BitOrder, Format, Options};
use yao::compiler::ir::Party;

/// The importer with and without its fast path on `text`: equal circuits,
/// or equal errors. An accepted circuit must also pass `validate`, which the
/// importer skips in release builds, trusting its own checks.
fn same(text: &str, options: &Options, what: &str) {
    let fast = bristol::parse("x", text, options);
    let general = bristol::parse_general("x", text, options);
    match (&fast, &general) {
        (Ok(f), Ok(g)) => {
            assert_eq!(f, g, "{what}: different circuits");
            assert_eq!(f.validate(), Ok(()), "{what}");
        }
        (Err(f), Err(g)) => assert_eq!(f, g, "{what}: different errors"),
        _ => panic!(
            "{what}: fast {:?}, general {:?}",
            fast.map(|c| c.gates.len()),
            general.map(|c| c.gates.len())
        ),
    }
}

fn option_sets(inputs: usize) -> Vec<Options> {
    let mut sets = vec![Options::default()];
    for format in [Format::Fashion, Format::Old] {
        sets.push(Options {
            format: Some(format),
            ..Options::default()
        });
    }
    sets.push(Options {
        bit_order: BitOrder::Msb0,
        ..Options::default()
    });
    for n in [inputs, inputs + 1] {
        sets.push(Options {
            parties: Some(
                (0..n)
                    .map(|k| [Party::Evaluator, Party::Garbler][k % 2])
                    .collect(),
            ),
            ..Options::default()
        });
    }
    sets
}

fn published() -> Vec<PathBuf> {
    let Some(dir) = common::shared_circuits() else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for sub in ["bristol", "bristol/mand", "bristol-old"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "txt") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn published_circuits_under_every_option_set() {
    for path in published() {
        let text = std::fs::read_to_string(&path).unwrap();
        let at = path.display().to_string();
        let groups = bristol::parse_general("x", &text, &Options::default())
            .map(|c| c.inputs.len())
            .unwrap_or(2);
        for (k, options) in option_sets(groups).iter().enumerate() {
            same(&text, options, &format!("{at} options #{k}"));
        }
        same(&text.replace('\n', "\r\n"), &Options::default(), &at);
        same(text.trim_end(), &Options::default(), &at);
        same(&text.replace(' ', " \t "), &Options::default(), &at);
    }
}

#[test]
fn truncated_copies() {
    let files = published();
    let small = files.iter().filter(|p| {
        p.ends_with("bristol/adder64.txt") || p.ends_with("bristol-old/adder_32bit.txt")
    });
    for path in small {
        let text = std::fs::read_to_string(path).unwrap();
        let at = path.display();
        // Every cut in the headers and first gate lines, then a sample.
        let cuts = (0..text.len().min(600)).chain((600..text.len()).step_by(97));
        for cut in cuts {
            same(
                &text[..cut],
                &Options::default(),
                &format!("{at} cut at {cut}"),
            );
        }
    }
    for path in files.iter().filter(|p| p.ends_with("bristol/aes_128.txt")) {
        let text = std::fs::read_to_string(path).unwrap();
        for cut in (0..text.len()).step_by(text.len() / 40) {
            same(
                &text[..cut],
                &Options::default(),
                &format!("aes cut at {cut}"),
            );
        }
    }
}

#[test]
fn fuzz_seeds_and_regressions() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut n = 0;
    for kind in ["seeds", "regressions"] {
        for e in std::fs::read_dir(root.join(kind).join("bristol")).unwrap() {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            // The harness takes two option bytes first; try the file both
            // as a whole and without them.
            for text in [&bytes[..], bytes.get(2..).unwrap_or_default()] {
                if let Ok(text) = std::str::from_utf8(text) {
                    for options in option_sets(2) {
                        same(text, &options, "fuzz input");
                    }
                    n += 1;
                }
            }
        }
    }
    assert!(n >= 5, "only {n} fuzz inputs");
}

#[test]
fn header_lies() {
    let body = "2 1 0 1 2 AND\n2 1 0 2 3 XOR\n";
    for header in [
        "2 4",
        "1 4",
        "3 4",
        "0 4",
        "2 3",
        "2 5",
        "2 4000000",
        "99999999 4",
        "18446744073709551615 4",
        "2 2147483648",
        "2 2147483647",
        "4000000000 4000000",
    ] {
        for groups in ["2 1 1\n1 1", "2 1 1\n1 2", "3 1 1 1\n1 1", "2 1 1\n"] {
            let text = format!("{header}\n{groups}\n\n{body}");
            same(&text, &Options::default(), &text);
        }
    }
}

/// Tokens random edits insert: numbers small and large, gate names, junk,
/// every separator and bytes near them.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0u64..12).prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec![
            "18446744073709551615", "18446744073709551616", "99999999999999999999",
            "00000000000000000000001", "+1", "-1", "+", "0x1", "1e3",
        ])
        .prop_map(str::to_string),
        2 => prop::sample::select(vec![
            "AND", "XOR", "INV", "NOT", "EQ", "EQW", "MAND", "and", "XOR2", "",
            "\n", "\r\n", "\t", " ", "\x0b", "\x0c", "\r", "/", ":", "é", "\u{a0}",
        ])
        .prop_map(str::to_string),
    ]
}

const SEEDS: [&str; 4] = [
    "4 8\n2 2 1\n1 2\n\n2 1 0 2 3 AND\n1 1 1 4 INV\n2 1 3 4 6 XOR\n1 1 0 7 EQW\n",
    "4 9\n2 2 2\n1 2\n\n4 2 0 1 2 3 4 5 MAND\n1 1 1 6 EQ\n2 1 4 5 7 XOR\n2 1 6 7 8 AND\n",
    "3 7\n2 2 1\n\n2 1 0 2 4 AND\n1 1 1 5 INV\n2 1 4 5 6 XOR\n",
    "3 7\n2 1 1\n1 1\n\n1 1 0 2 EQ\n2 1 0 2 5 XOR\n1 1 5 6 NOT\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn damaged_files(
        seed in 0..SEEDS.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), token(), 0..3u8), 0..6),
        options in 0..6usize,
    ) {
        // Edits at byte positions (on character boundaries).
        let mut text = SEEDS[seed].to_string();
        for (at, tok, kind) in edits {
            let mut i = at.index(text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            match kind {
                0 => text.insert_str(i, &tok),
                1 => {
                    let mut j = (i + tok.len().max(1)).min(text.len());
                    while !text.is_char_boundary(j) {
                        j -= 1;
                    }
                    text.replace_range(i..j, &tok);
                }
                _ => text.truncate(i),
            }
        }
        let options = &option_sets(2)[options];
        same(&text, options, &format!("{text:?}"));
        // The fast path reads a line only with 40 bytes of text after its
        // start; blank lines after the last give every line those.
        text.push_str(&"\n".repeat(40));
        same(&text, options, &format!("{text:?}"));
    }
}

/// One generated gate line: its operation, wires (as offsets back from the
/// next fresh wire, or absolute), zero padding and separators.
#[derive(Debug, Clone)]
struct Line {
    op: usize,
    wires: [u32; 3],
    absolute: bool,
    pad: [usize; 3],
    sep: usize,
    end: usize,
}

fn line() -> impl Strategy<Value = Line> {
    (
        prop_oneof![40 => 0..2usize, 10 => 2..4usize, 3 => 4..7usize, 1 => 7..9usize],
        (
            0..6u32,
            0..6u32,
            prop_oneof![60 => Just(0u32), 1 => 1..3u32],
        )
            .prop_map(|(a, b, out)| [a, b, out]),
        prop::bool::weighted(0.01),
        prop_oneof![8 => Just([0usize; 3]), 1 => [0..10usize, 0..10usize, 0..10usize]],
        prop_oneof![20 => Just(0usize), 1 => 1..5usize],
        prop_oneof![20 => Just(0usize), 1 => 1..4usize],
    )
        .prop_map(|(op, wires, absolute, pad, sep, end)| Line {
            op,
            wires,
            absolute,
            pad,
            sep,
            end,
        })
}

/// A Bristol Fashion file of many gate lines, mostly the common kind the
/// importer reads on its fast path, with wire numbers near `base` (up to
/// seven digits, eight or more with zero padding) and occasional damage:
/// odd separators, CR, other gates, wires out of range, unread or written
/// twice, a wrong gate count.
fn generated(base: u32, lines: &[Line], gate_delta: i64, wire_delta: i64) -> String {
    let ops = [
        "XOR", "AND", "INV", "NOT", "EQ", "EQW", "MAND", "XOR\r", "OR",
    ];
    let seps = [" ", "  ", "\t", " \r ", "\x0c"];
    let ends = ["\n", "\r\n", "\n\n", " \n"];
    let mut body = String::new();
    let mut next = base + 4;
    let num = |w: u32, pad: usize| format!("{}{w}", "0".repeat(pad));
    for l in lines {
        let fresh = next;
        let pick = |k: usize| {
            if l.absolute {
                l.wires[k] * 7
            } else {
                fresh.saturating_sub(1 + l.wires[k])
            }
        };
        let op = ops[l.op];
        let (a, b) = (num(pick(0), l.pad[0]), num(pick(1), l.pad[1]));
        let out = num(if l.wires[2] == 0 { fresh } else { pick(2) }, l.pad[2]);
        let sep = seps[l.sep];
        let text = match op {
            "INV" | "NOT" | "EQW" => format!("1{sep}1 {a} {out} {op}"),
            "EQ" => format!("1 1 {} {out} EQ", l.wires[0] % 3),
            "MAND" => format!("4 2 {a} {b} {a} {b} {out} {} MAND", fresh + 1),
            _ => format!("2 1{sep}{a} {b} {out} {op}"),
        };
        body.push_str(&text);
        body.push_str(ends[l.end]);
        next += if op == "MAND" { 2 } else { 1 };
    }
    let gates = (lines.len() as i64 + gate_delta).max(0);
    let wires = (next as i64 + wire_delta).max(0);
    // Inputs: wires 0..base+4 (a group of base+2 bits and one of 2).
    format!("{gates} {wires}\n2 {} 2\n1 1\n\n{body}", base + 2)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn generated_gate_lines(
        base in prop_oneof![Just(0u32), Just(120), Just(99_990), Just(999_990), Just(1_000_000)],
        lines in prop::collection::vec(line(), 1..40),
        gate_delta in prop_oneof![8 => Just(0i64), 1 => -2..3i64],
        wire_delta in prop_oneof![8 => Just(0i64), 1 => -3..3i64],
        cut in prop_oneof![8 => Just(usize::MAX), 1 => any::<usize>()],
    ) {
        let mut text = generated(base, &lines, gate_delta, wire_delta);
        if cut != usize::MAX {
            text.truncate(cut % (text.len() + 1));
        }
        same(&text, &Options::default(), &text);
    }
}

#[test]
fn generated_files_are_a_mix_of_valid_and_damaged() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = (
        prop_oneof![Just(0u32), Just(999_990)],
        prop::collection::vec(line(), 1..40),
    );
    let mut ok = 0;
    for _ in 0..400 {
        let (base, lines) = strategy.new_tree(&mut runner).unwrap().current();
        let text = generated(base, &lines, 0, 0);
        ok += bristol::parse("x", &text, &Options::default()).is_ok() as usize;
    }
    eprintln!("{ok} of 400 generated files import");
    assert!((80..320).contains(&ok), "{ok} of 400 import");
}

#[test]
fn generated_files_import() {
    // The generator is not all damage: most of its files are valid, so the
    // comparison above covers the fast path's successes, not only its
    // refusals.
    let l = |op, wires, pad| Line {
        op,
        wires,
        absolute: false,
        pad,
        sep: 0,
        end: 0,
    };
    let lines = [
        l(0, [0, 1, 0], [0, 0, 0]),
        l(1, [0, 2, 0], [3, 0, 5]),
        l(2, [0, 0, 0], [0, 0, 0]),
        l(3, [1, 0, 0], [7, 0, 0]),
        l(0, [0, 4, 0], [0, 8, 0]),
    ];
    for base in [0, 120, 99_990, 999_990, 1_000_000] {
        let text = generated(base, &lines, 0, 0);
        let c = bristol::parse("x", &text, &Options::default()).unwrap();
        assert_eq!(c.gates.len(), 5);
        same(&text, &Options::default(), &text);
    }
}
