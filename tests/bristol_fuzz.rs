//! Damaged Bristol files never panic the importer: whatever `parse` accepts
//! is a valid circuit that evaluates and round-trips; everything else is an
//! error. Property tests over random edits of small valid files.

use proptest::prelude::*;
use yao::compiler::bristol::{self, Options};

/// Small valid files in both dialects, with every gate kind.
const SEEDS: [&str; 3] = [
    "4 8\n2 2 1\n1 2\n\n2 1 0 2 3 AND\n1 1 1 4 INV\n2 1 3 4 6 XOR\n1 1 0 7 EQW\n",
    "4 9\n2 2 2\n1 2\n\n4 2 0 1 2 3 4 5 MAND\n1 1 1 6 EQ\n2 1 4 5 7 XOR\n2 1 6 7 8 AND\n",
    "3 7\n2 2 1\n\n2 1 0 2 4 AND\n1 1 1 5 INV\n2 1 4 5 6 XOR\n",
];

/// Tokens an edit may insert: numbers small and huge, gate names, junk.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        // Mostly small numbers, so that many edits still give valid files.
        8 => (0u64..10).prop_map(|n| n.to_string()),
        1 => any::<u64>().prop_map(|n| n.to_string()),
        1 => Just("18446744073709551616".to_string()),
        1 => Just("-1".to_string()),
        2 => prop::sample::select(vec!["AND", "XOR", "INV", "EQ", "EQW", "MAND", "NOT", "", "\n", "\t", "é", "0x1"])
            .prop_map(str::to_string),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, String),
    Insert(usize, String),
    Delete(usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), token()).prop_map(|(i, t)| Edit::Replace(i, t)),
        1 => (any::<usize>(), token()).prop_map(|(i, t)| Edit::Insert(i, t)),
        1 => any::<usize>().prop_map(Edit::Delete),
        1 => any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// Applies edits token by token, keeping line structure where it can.
fn apply(seed: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<Vec<String>> = seed
        .lines()
        .map(|l| l.split(' ').map(str::to_string).collect())
        .collect();
    for e in edits {
        let n: usize = lines.iter().map(Vec::len).sum::<usize>().max(1);
        let locate = |lines: &Vec<Vec<String>>, i: usize| {
            let mut i = i % n;
            for (li, l) in lines.iter().enumerate() {
                if i < l.len() {
                    return Some((li, i));
                }
                i -= l.len();
            }
            None
        };
        match e {
            Edit::Replace(i, t) => {
                if let Some((l, k)) = locate(&lines, *i) {
                    lines[l][k] = t.clone();
                }
            }
            Edit::Insert(i, t) => {
                if let Some((l, k)) = locate(&lines, *i) {
                    lines[l].insert(k, t.clone());
                }
            }
            Edit::Delete(i) => {
                if let Some((l, k)) = locate(&lines, *i) {
                    lines[l].remove(k);
                }
            }
            Edit::Truncate(i) => {
                let keep = i % (lines.len() + 1);
                lines.truncate(keep);
            }
        }
    }
    lines
        .iter()
        .map(|l| l.join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn damaged_files_are_errors_or_valid_circuits(
        seed in 0..SEEDS.len(),
        edits in prop::collection::vec(edit(), 1..3),
        input_bits in any::<u64>(),
    ) {
        let text = apply(SEEDS[seed], &edits);
        if let Ok(c) = bristol::parse("fuzz", &text, &Options::default()) {
            prop_assert!(c.validate().is_ok());
            let mut k = 0;
            let inputs: Vec<Vec<bool>> = c.inputs.iter().map(|i| {
                i.wires.iter().map(|_| { k += 1; (input_bits >> (k % 64)) & 1 == 1 }).collect()
            }).collect();
            let out = c.eval_plain(&inputs).unwrap();
            let again = bristol::parse("fuzz", &bristol::export(&c), &Options::default()).unwrap();
            prop_assert_eq!(again.id(), c.id());
            prop_assert_eq!(again.eval_plain(&inputs).unwrap(), out);
        }
    }

    /// Whatever a user types as an input value is read or refused, never a
    /// panic, for every shape of input type.
    #[test]
    fn arbitrary_values_never_panic(text in "[-+0-9a-fxXbB_ ,\\[\\]()é\u{a0}truefals]{0,40}") {
        use yao::compiler::value::Value;
        use yao::compiler::ValueType;
        if let Ok(v) = Value::parse(&text) {
            for ty in [
                ValueType::Bool,
                ValueType::UInt(0),
                ValueType::UInt(7),
                ValueType::SInt(1),
                ValueType::SInt(64),
                ValueType::UInt(512),
                ValueType::Array(Box::new(ValueType::SInt(3)), 2),
                ValueType::Tuple(vec![ValueType::Bool, ValueType::UInt(4)]),
            ] {
                if let Ok(bits) = v.encode(&ty) {
                    prop_assert_eq!(bits.len() as u64, ty.width());
                    prop_assert!(Value::decode(&bits, &ty).is_some());
                }
            }
        }
    }

    /// Arbitrary text, not only near-valid files.
    #[test]
    fn arbitrary_text_never_panics(text in "[0-9 \\nANDXORINVEQWM]{0,200}") {
        let _ = bristol::parse("fuzz", &text, &Options::default());
    }
}

#[test]
fn seeds_are_valid() {
    for seed in SEEDS {
        let c = bristol::parse("seed", seed, &Options::default()).unwrap();
        assert!(!c.gates.is_empty());
    }
}
