//! Every published Bristol circuit imports, survives export and re-import
//! with the same id, and has the statistics its own text implies (counted
//! here line by line, independently of the importer).

mod common;

use rand::RngExt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use yao::compiler::bristol::{self, BitOrder, Format, Options};
use yao::compiler::{Circuit, Party};

/// What a file's header and gate lines say, read with nothing but `split`.
#[derive(Debug, Default)]
struct Counted {
    gates: u64,
    wires: u64,
    inputs: Vec<u64>,
    outputs: Vec<u64>,
    /// Gate lines per operation.
    ops: BTreeMap<String, u64>,
    /// ANDs inside MAND lines (their output counts).
    mand_ands: u64,
    gate_lines: u64,
}

fn count(text: &str, old: bool) -> Counted {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let nums = |l: &str| -> Vec<u64> { l.split_whitespace().map(|t| t.parse().unwrap()).collect() };
    let header = nums(lines.next().unwrap());
    let mut c = Counted {
        gates: header[0],
        wires: header[1],
        ..Counted::default()
    };
    let second = nums(lines.next().unwrap());
    if old {
        c.inputs = second[..2].iter().copied().filter(|&w| w > 0).collect();
        c.outputs = vec![second[2]];
    } else {
        c.inputs = second[1..].to_vec();
        c.outputs = nums(lines.next().unwrap())[1..].to_vec();
    }
    for line in lines {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let op = *tokens.last().unwrap();
        *c.ops.entry(op.to_string()).or_default() += 1;
        if op == "MAND" {
            c.mand_ands += tokens[1].parse::<u64>().unwrap();
        }
        c.gate_lines += 1;
    }
    c
}

/// Every circuit file, with whether it is in the old format.
fn all_files(dir: &Path) -> Vec<(PathBuf, bool)> {
    let mut files = Vec::new();
    for (sub, old) in [
        ("bristol", false),
        ("bristol/mand", false),
        ("bristol-old", true),
    ] {
        let mut here: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        here.sort();
        assert!(!here.is_empty(), "no circuits in {sub}");
        files.extend(here.into_iter().map(|p| (p, old)));
    }
    files
}

fn parse(path: &Path, text: &str, options: &Options) -> Circuit {
    let name = path.file_stem().unwrap().to_string_lossy();
    bristol::parse(&name, text, options).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

fn random_inputs(c: &Circuit, rng: &mut impl rand::Rng) -> Vec<Vec<bool>> {
    c.inputs
        .iter()
        .map(|i| (0..i.wires.len()).map(|_| rng.random()).collect())
        .collect()
}

#[test]
fn every_circuit_imports_round_trips_and_has_the_stats_its_text_implies() {
    let Some(dir) = common::shared_circuits() else {
        return;
    };
    let files = all_files(&dir);
    assert!(
        files.len() >= 50,
        "expected the whole collection, found {} files",
        files.len()
    );
    let mut rng = common::rng();
    for (path, old) in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let at = path.display();
        let counted = count(&text, old);
        let c = parse(&path, &text, &Options::default());

        // The dialect is told apart correctly: forcing it changes nothing.
        let format = if old { Format::Old } else { Format::Fashion };
        let forced = parse(
            &path,
            &text,
            &Options {
                format: Some(format),
                ..Options::default()
            },
        );
        assert_eq!(forced, c, "{at}: detected and forced format differ");

        // Stats agree with the text.
        assert_eq!(
            counted.gate_lines, counted.gates,
            "{at}: header gate count vs gate lines"
        );
        let s = c.stats();
        let op = |name: &str| counted.ops.get(name).copied().unwrap_or(0);
        let known = ["AND", "XOR", "INV", "EQ", "EQW", "MAND"];
        assert!(
            counted.ops.keys().all(|k| known.contains(&k.as_str())),
            "{at}: ops {:?}",
            counted.ops
        );
        assert_eq!(s.and, op("AND") + counted.mand_ands, "{at}: AND count");
        assert_eq!(s.xor, op("XOR"), "{at}: XOR count");
        assert_eq!(s.not, op("INV"), "{at}: INV count");
        assert_eq!(s.constants, op("EQ"), "{at}: EQ count");
        assert_eq!(s.wires, counted.wires, "{at}: wire count");
        assert_eq!(
            c.gates.len() as u64,
            s.and + s.xor + s.not + s.constants,
            "{at}: EQW adds no gate"
        );
        let widths =
            |gs: &[yao::compiler::ir::GroupStats]| gs.iter().map(|g| g.bits).collect::<Vec<_>>();
        assert_eq!(widths(&s.inputs), counted.inputs, "{at}: input widths");
        assert_eq!(widths(&s.outputs), counted.outputs, "{at}: output widths");
        let names: Vec<&str> = c.inputs.iter().map(|i| i.name.as_str()).collect();
        let expected: Vec<String> = (0..counted.inputs.len())
            .map(|k| format!("in{k}"))
            .collect();
        assert_eq!(names, expected, "{at}: input names");
        let parties: Vec<Party> = c.inputs.iter().map(|i| i.party).collect();
        assert_eq!(parties[0], Party::Garbler, "{at}");
        assert!(
            parties[1..].iter().all(|&p| p == Party::Evaluator),
            "{at}: {parties:?}"
        );
        assert!(
            s.and_depth <= s.and && s.peak_live_wires <= s.wires,
            "{at}: {s:?}"
        );

        // Export, re-import: same id, same stats, same function.
        let exported = bristol::export(&c);
        let again = parse(&path, &exported, &Options::default());
        assert_eq!(
            again.id(),
            c.id(),
            "{at}: id changed by export and re-import"
        );
        let s2 = again.stats();
        assert_eq!(
            (s2.and, s2.xor, s2.not, s2.constants),
            (s.and, s.xor, s.not, s.constants),
            "{at}"
        );
        let inputs = random_inputs(&c, &mut rng);
        assert_eq!(
            common::run(&again, &inputs),
            common::run(&c, &inputs),
            "{at}: exported circuit differs"
        );

        // The bit order only renumbers group bits; it round-trips too.
        let msb0 = parse(
            &path,
            &text,
            &Options {
                bit_order: BitOrder::Msb0,
                ..Options::default()
            },
        );
        let again = parse(&path, &bristol::export(&msb0), &Options::default());
        assert_eq!(again.id(), msb0.id(), "{at}: msb0 round trip");
        if c.inputs.iter().any(|i| i.wires.len() > 1) {
            assert_ne!(msb0.id(), c.id(), "{at}: bit order must change the id");
        }
    }
}

/// The `mand/` files are the same circuits with ANDs merged into MAND lines:
/// they must compute the same functions.
#[test]
fn mand_variants_compute_the_same_functions() {
    let Some(dir) = common::shared_circuits() else {
        return;
    };
    let mut rng = common::rng();
    let mut compared = 0;
    for entry in std::fs::read_dir(dir.join("bristol/mand")).unwrap() {
        let path = entry.unwrap().path();
        let plain_path = dir.join("bristol").join(path.file_name().unwrap());
        if !plain_path.exists() {
            continue; // AES-non-expanded exists only here; see bristol_crypto.rs.
        }
        let mand = parse(
            &path,
            &std::fs::read_to_string(&path).unwrap(),
            &Options::default(),
        );
        let plain = parse(
            &plain_path,
            &std::fs::read_to_string(&plain_path).unwrap(),
            &Options::default(),
        );
        assert_eq!(
            mand.stats().inputs,
            plain.stats().inputs,
            "{}",
            path.display()
        );
        assert_eq!(
            mand.stats().outputs,
            plain.stats().outputs,
            "{}",
            path.display()
        );
        for _ in 0..20 {
            let inputs = random_inputs(&plain, &mut rng);
            assert_eq!(
                common::run(&mand, &inputs),
                common::run(&plain, &inputs),
                "{}",
                path.display()
            );
        }
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} mand/plain pairs");
}

#[test]
fn old_hash_circuits_take_one_input_group() {
    for (file, out) in [("md5", 128), ("sha-1", 160), ("sha-256", 256)] {
        let Some(c) = common::load(&format!("bristol-old/{file}.txt")) else {
            return;
        };
        let widths: Vec<usize> = c.inputs.iter().map(|i| i.wires.len()).collect();
        assert_eq!(widths, [512], "{file}");
        assert_eq!(c.outputs[0].wires.len(), out, "{file}");
    }
}
