//! Random circuits for property tests: `ops[i] = (kind, x, y)` picks the
//! gate kind and, from the seeds `x` and `y`, earlier wires to read.
#![allow(dead_code)]

use yao_core::ir::{Circuit, Gate, Input, Output, Party, ValueType};

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

/// A random circuit made for the planner's folds (see "No AND reads a
/// constant" in `yao_core::plan`): among plain ANDs, XORs, NOTs and
/// constants, ANDs of a wire and a constant (either side), of a wire and
/// itself, of a wire and its NOT, and of `(a ^ b) ^ b` and `a`; ANDs that
/// read the results of those fold in turn. `ops` and `outs` as in
/// [`random_circuit`]; inputs are read anywhere.
///
/// Without `xors`, XORs become NOTs: then every label is an input's, an
/// AND's or a constant's, up to `Delta`, and the only ANDs that read a
/// constant or one label twice are those the planner folds (with XORs, a
/// sum of stored labels may cancel, which it does not look for).
pub fn folding_circuit(
    g_bits: u32,
    e_bits: u32,
    ops: &[(u8, u32, u32)],
    outs: &[u32],
    xors: bool,
) -> Circuit {
    let mut c = random_circuit(g_bits, e_bits, &[], &[0], Reads::Anywhere);
    let mut gates = Vec::new();
    // Appends the gate writing the next wire; returns that wire.
    fn push(gates: &mut Vec<Gate>, n: &mut u32, g: impl FnOnce(u32) -> Gate) -> u32 {
        gates.push(g(*n));
        *n += 1;
        *n - 1
    }
    let mut n = g_bits + e_bits;
    for &(kind, x, y) in ops {
        let (a, b) = (x % n, y % n);
        // An AND of `p` and `q`, in either order.
        let and = |p: u32, q: u32| {
            let (a, b) = if y % 2 == 1 { (q, p) } else { (p, q) };
            move |out| Gate::And { a, b, out }
        };
        let g = &mut gates;
        match kind % 8 {
            4 | 7 if !xors => push(g, &mut n, |out| Gate::Not { a, out }),
            0 => push(g, &mut n, |out| Gate::And { a, b, out }),
            1 => push(g, &mut n, |out| Gate::And { a, b: a, out }),
            2 => {
                let t = push(g, &mut n, |out| Gate::Not { a, out });
                push(g, &mut n, and(a, t))
            }
            3 => {
                let value = x / 2 % 2 == 1;
                let t = push(g, &mut n, |out| Gate::Const { value, out });
                push(g, &mut n, and(a, t))
            }
            4 => push(g, &mut n, |out| Gate::Xor { a, b, out }),
            5 => push(g, &mut n, |out| Gate::Not { a, out }),
            6 => push(g, &mut n, |out| Gate::Const {
                value: y / 2 % 2 == 1,
                out,
            }),
            _ => {
                let t = push(g, &mut n, |out| Gate::Xor { a, b, out });
                let u = push(g, &mut n, |out| Gate::Xor { a: t, b, out });
                push(g, &mut n, and(u, a))
            }
        };
    }
    let wires: Vec<u32> = outs.iter().map(|&o| o % n).collect();
    c.num_wires = n;
    c.gates = gates;
    c.outputs[0].ty = ValueType::UInt(wires.len() as u32);
    c.outputs[0].wires = wires;
    c
}
