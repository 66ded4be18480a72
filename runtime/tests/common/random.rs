//! Random circuits for property tests: `ops[i] = (kind, x, y)` picks the
//! gate kind and, from the seeds `x` and `y`, earlier wires to read.
#![allow(dead_code)]

use yao_runtime::ir::{Circuit, Gate, Input, Output, Party, ValueType};

/// Where a gate's inputs come from.
#[derive(Clone, Copy)]
pub enum Reads {
    /// Any earlier wire, uniformly.
    Anywhere,
    /// For ops whose kind has its top bit set, the first input is one of
    /// the last four wires and the second any earlier wire: reads that reach
    /// far back, across many windows of a streamed circuit.
    FarBack,
}

/// A circuit with one garbler group of `g_bits` and one evaluator group of
/// `e_bits` (named `in0`, `in1` as the Bristol importer names them), the
/// gates `ops` describe, and one output group `out0` of the wires `outs`
/// picks (inputs, constants, repeats and dead wires included).
pub fn random_circuit(
    g_bits: u32,
    e_bits: u32,
    ops: &[(u8, u32, u32)],
    outs: &[u32],
    reads: Reads,
) -> Circuit {
    let n_in = g_bits + e_bits;
    let mut gates = Vec::new();
    let mut n = n_in;
    for &(kind, x, y) in ops {
        let (a, b) = match reads {
            Reads::FarBack if kind & 0x80 != 0 => (n - 1 - x % n.min(4), y % n),
            _ => (x % n, y % n),
        };
        gates.push(match kind % 7 {
            0..=2 => Gate::And { a, b, out: n },
            3..=4 => Gate::Xor { a, b, out: n },
            5 => Gate::Not { a, out: n },
            _ => Gate::Const {
                value: x % 2 == 1,
                out: n,
            },
        });
        n += 1;
    }
    let out_wires: Vec<u32> = outs.iter().map(|&o| o % n).collect();
    Circuit {
        name: "random".into(),
        num_wires: n,
        inputs: vec![
            Input {
                name: "in0".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(g_bits),
                wires: (0..g_bits).collect(),
            },
            Input {
                name: "in1".into(),
                party: Party::Evaluator,
                ty: ValueType::UInt(e_bits),
                wires: (g_bits..n_in).collect(),
            },
        ],
        outputs: vec![Output {
            name: "out0".into(),
            ty: ValueType::UInt(out_wires.len() as u32),
            wires: out_wires,
        }],
        gates,
    }
}
