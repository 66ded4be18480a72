//! The streamed reader (`bristol_windowed`) and the importer (`bristol::parse`)
//! agree on every file: both accept it (with the same `Circuit::id`, input
//! and output groups) or both refuse it, and neither panics. Files are valid
//! Bristol circuits with random damage: bytes replaced, inserted, deleted,
//! lines cut short or dropped.

use proptest::prelude::*;
use yao_compiler::bristol::{export, parse, Options};
use yao_compiler::bristol_windowed::{ScanOptions, WindowedBristol, WindowedBristolError};

/// A valid file: a small random circuit with copies (`EQW`) and a MAND line.
fn base(seed: u64) -> String {
    let mut s = seed | 1;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let n_in = 4u64;
    let mut lines = Vec::new();
    let mut n = n_in;
    for _ in 0..(next() % 12 + 2) {
        let a = next() % n;
        let b = next() % n;
        lines.push(match next() % 4 {
            0 => format!("2 1 {a} {b} {n} AND"),
            1 => format!("2 1 {a} {b} {n} XOR"),
            2 => format!("1 1 {a} {n} INV"),
            _ => format!("1 1 {} {n} EQ", next() % 2),
        });
        n += 1;
    }
    let (a, b) = (next() % n, next() % n);
    lines.push(format!("4 2 {a} {b} {b} {a} {n} {} MAND", n + 1));
    n += 2;
    lines.push(format!("1 1 {} {n} EQW", next() % n));
    n += 1;
    format!(
        "{} {n}\n2 2 2\n2 1 1\n\n{}\n",
        lines.len(),
        lines.join("\n")
    )
}

fn check(text: &str) {
    let options = Options::default();
    let whole = parse("c", text, &options);
    for spill_above in [0, u64::MAX] {
        let streamed = WindowedBristol::from_bytes_with(
            "c",
            text.as_bytes().to_vec(),
            &options,
            ScanOptions { spill_above },
        );
        match (&whole, &streamed) {
            (Ok(c), Ok(s)) => {
                assert_eq!(s.id(), c.id(), "{text:?}");
                assert_eq!(s.inputs(), &c.inputs[..]);
                assert_eq!(s.outputs(), &c.outputs[..]);
                let mut gates = Vec::new();
                s.for_each_gate::<WindowedBristolError>(|g, _| {
                    gates.push(g);
                    Ok(())
                })
                .unwrap();
                assert_eq!(gates, c.gates);
                // Evaluated in the clear on every input, it computes what
                // the loaded circuit computes.
                let bits: usize = c.inputs.iter().map(|i| i.wires.len()).sum();
                for x in 0u32..1 << bits.min(6) {
                    let mut k = 0;
                    let inputs: Vec<Vec<bool>> = c
                        .inputs
                        .iter()
                        .map(|i| {
                            i.wires
                                .iter()
                                .map(|_| {
                                    k += 1;
                                    x >> (k - 1) & 1 == 1
                                })
                                .collect()
                        })
                        .collect();
                    assert_eq!(
                        s.eval_plain(&inputs).unwrap(),
                        c.eval_plain(&inputs).unwrap()
                    );
                }
                // And its export streams to the same id.
                let again = WindowedBristol::from_bytes("c", export(c).into_bytes(), &options);
                assert_eq!(again.unwrap().id(), c.id());
            }
            (Err(_), Err(e)) => assert!(!e.to_string().is_empty()),
            _ => panic!(
                "the importer says {:?} but the stream says {:?} for {text:?}",
                whole.as_ref().map(|_| ()),
                streamed.as_ref().map(|_| ())
            ),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn valid_files_agree(seed in any::<u64>()) {
        check(&base(seed));
    }

    #[test]
    fn damaged_files_agree(
        seed in any::<u64>(),
        edits in prop::collection::vec((0usize..4, any::<usize>(), 0usize..16), 1..4),
    ) {
        let mut bytes = base(seed).into_bytes();
        let alphabet = b"0123456789 \n\tAXORNDIVEQWM";
        for (kind, at, what) in edits {
            if bytes.is_empty() {
                break;
            }
            let at = at % bytes.len();
            let c = alphabet[what % alphabet.len()];
            match kind {
                0 => bytes[at] = c,
                1 => bytes.insert(at, c),
                2 => {
                    bytes.remove(at);
                }
                _ => bytes.truncate(at),
            }
        }
        check(&String::from_utf8_lossy(&bytes));
    }
}

/// Plaintext inputs of the wrong count or width are refused with the
/// group's name, as `Circuit::eval_plain` refuses them, not evaluated.
#[test]
fn streamed_plain_evaluation_checks_its_inputs() {
    let text = "1 4\n2 2 1\n1 1\n2 1 0 2 3 AND\n";
    let s =
        WindowedBristol::from_bytes("c", text.as_bytes().to_vec(), &Options::default()).unwrap();
    let bits = |w: usize| vec![true; w];
    assert_eq!(s.eval_plain(&[bits(2), bits(1)]).unwrap(), vec![vec![true]]);
    let count = s.eval_plain(&[bits(2)]).unwrap_err().to_string();
    assert!(count.contains("2 input groups but 1"), "{count}");
    let width = s.eval_plain(&[bits(2), bits(3)]).unwrap_err().to_string();
    let name = &s.inputs()[1].name;
    assert!(
        width.contains(&format!("`{name}` takes 1 bits but 3")),
        "{width}"
    );
}
