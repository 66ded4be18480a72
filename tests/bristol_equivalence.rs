//! The tuned Bristol importer, `Circuit::validate` and `Circuit::id` give
//! exactly what their earlier, plainer versions gave (kept verbatim in
//! `reference/bristol_v1.rs`): the same circuit, the same id, or the same
//! error message, on every published circuit under every option set, on
//! CRLF and unterminated copies, on truncated copies, on the fuzz seeds and
//! on random damage.

mod common;

#[path = "reference/bristol_v1.rs"]
mod reference;

use proptest::prelude::*;
use std::path::PathBuf;
use yao::compiler::bristol::{self, BitOrder, Format, Options};
use yao::compiler::ir::{Circuit, Gate, Input, Output, Party, ValueType};

/// Both importers on `text`: equal circuits with equal ids, or equal errors.
fn same(text: &str, options: &Options, what: &str) {
    let new = bristol::parse("x", text, options);
    let old = reference::parse("x", text, options);
    match (&new, &old) {
        (Ok(n), Ok(o)) => {
            assert_eq!(n, o, "{what}: different circuits");
            assert_eq!(n.id(), reference::id(o), "{what}: different ids");
            assert_eq!(n.validate(), Ok(()), "{what}");
        }
        (Err(n), Err(o)) => assert_eq!(n.to_string(), o.to_string(), "{what}"),
        _ => panic!(
            "{what}: new {:?}, old {:?}",
            new.map(|c| c.gates.len()),
            old.map(|c| c.gates.len())
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
        let groups = reference::parse("x", &text, &Options::default())
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
        same(&text, &option_sets(2)[options], &format!("{text:?}"));
    }

    #[test]
    fn validate_and_id_agree(
        edits in prop::collection::vec((0..10u8, 0..12u32, 0..12u32, 0..12u32), 0..6),
    ) {
        let mut c = small_circuit();
        for (kind, x, y, z) in edits {
            let g = x as usize % c.gates.len();
            match kind {
                0 => c.gates[g] = Gate::Xor { a: y, b: z, out: x },
                1 => c.gates[g] = Gate::And { a: y, b: z, out: x },
                2 => c.gates[g] = Gate::Not { a: y, out: z },
                3 => c.gates[g] = Gate::Const { value: y % 2 == 0, out: z },
                4 => c.inputs[x as usize % 2].wires[0] = y,
                5 => c.outputs[0].wires[y as usize % 2] = z,
                6 => c.num_wires = x,
                7 => {
                    let h = y as usize % c.gates.len();
                    c.gates.swap(g, h)
                }
                8 => c.inputs[1].name = ["a", "b", "c"][y as usize % 3].into(),
                _ => c.inputs[x as usize % 2].ty = ValueType::UInt(y % 4),
            }
            prop_assert_eq!(c.validate(), reference::validate(&c));
            // An invalid circuit has no id (it may index out of range).
            if c.validate().is_ok() {
                prop_assert_eq!(c.id(), reference::id(&c));
            }
        }
    }
}

fn small_circuit() -> Circuit {
    Circuit {
        name: "small".into(),
        num_wires: 10,
        inputs: vec![
            Input {
                name: "a".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(2),
                wires: vec![0, 1],
            },
            Input {
                name: "b".into(),
                party: Party::Evaluator,
                ty: ValueType::UInt(2),
                wires: vec![2, 3],
            },
        ],
        outputs: vec![Output {
            name: "o".into(),
            ty: ValueType::UInt(2),
            wires: vec![8, 9],
        }],
        gates: vec![
            Gate::And { a: 0, b: 2, out: 4 },
            Gate::Xor { a: 1, b: 3, out: 5 },
            Gate::Not { a: 4, out: 6 },
            Gate::Const {
                value: true,
                out: 7,
            },
            Gate::Xor { a: 6, b: 7, out: 8 },
            Gate::And { a: 5, b: 8, out: 9 },
        ],
    }
}
