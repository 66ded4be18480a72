//! What both parties of authenticated garbling derive from the circuit
//! alone: which wire gets which preprocessed share, and every message
//! length. A peer's message is measured against these before it is parsed.

use super::AuthError;
use std::sync::OnceLock;
use yao_ir::{Circuit, Gate, Party, Wire};

/// One gate in the evaluator's order ([`Layout::by_and_depth`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Its index in [`Layout::gates`].
    pub gate: u32,
    /// For an AND, its number among the ANDs in circuit order (which its
    /// table and tweaks go by).
    pub and: u32,
    /// Its AND depth.
    pub depth: u32,
}

/// The public shape of one authenticated-garbling run of a circuit.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The circuit's wire count.
    pub num_wires: usize,
    /// The gates, in the circuit's (topological) order.
    pub gates: Vec<Gate>,
    /// The garbler's input wires: its groups in circuit order, bit 0 first.
    pub garbler_inputs: Vec<Wire>,
    /// The evaluator's input wires, likewise.
    pub evaluator_inputs: Vec<Wire>,
    /// Every output group's wires, concatenated in circuit order.
    pub outputs: Vec<Wire>,
    /// The number of AND gates.
    pub ands: usize,
    /// [`Layout::by_and_depth`], built on first use (the garbler never
    /// needs it).
    by_depth: OnceLock<Vec<Step>>,
}

impl Layout {
    /// The layout of `circuit`, which must be well formed (checked here, so
    /// no later step indexes out of range).
    pub fn new(circuit: &Circuit) -> Result<Layout, AuthError> {
        circuit
            .validate()
            .map_err(|e| AuthError::Circuit(e.to_string()))?;
        let wires = |party| -> Vec<Wire> {
            circuit
                .inputs_of(party)
                .flat_map(|i| i.wires.iter().copied())
                .collect()
        };
        Ok(Layout {
            num_wires: circuit.num_wires as usize,
            gates: circuit.gates.clone(),
            garbler_inputs: wires(Party::Garbler),
            evaluator_inputs: wires(Party::Evaluator),
            outputs: circuit
                .outputs
                .iter()
                .flat_map(|o| o.wires.iter().copied())
                .collect(),
            ands: circuit
                .gates
                .iter()
                .filter(|g| matches!(g, Gate::And { .. }))
                .count(),
            by_depth: OnceLock::new(),
        })
    }

    /// The gates in an order an evaluator can run with many ANDs per hash
    /// call: by AND depth `d` (an AND is one deeper than its deeper input,
    /// a linear gate as deep as its deeper input), and within depth `d`
    /// first its ANDs, which read only shallower wires and so are
    /// independent of each other, then its linear gates in circuit order.
    /// Each depth's ANDs are one run of consecutive steps (followed by the
    /// next depth's ANDs where a depth has no linear gate: the steps' depth
    /// tells the runs apart).
    pub fn by_and_depth(&self) -> &[Step] {
        self.by_depth.get_or_init(|| {
            // Each gate writes its own wire (validated), so gate and AND
            // indices fit the `u32` of wires.
            let mut depth = vec![0u32; self.num_wires];
            let mut keyed = Vec::with_capacity(self.gates.len());
            let mut and = 0u32;
            for (i, gate) in self.gates.iter().enumerate() {
                let of = |w: Wire| depth[w as usize];
                let (d, step) = match *gate {
                    Gate::And { a, b, .. } => {
                        and += 1;
                        (of(a).max(of(b)) + 1, and - 1)
                    }
                    Gate::Xor { a, b, .. } => (of(a).max(of(b)), 0),
                    Gate::Not { a, .. } => (of(a), 0),
                    Gate::Const { .. } => (0, 0),
                };
                depth[gate.output() as usize] = d;
                let linear = !matches!(gate, Gate::And { .. });
                let key = 2 * u64::from(d) + u64::from(linear);
                keyed.push((
                    key,
                    Step {
                        gate: i as u32,
                        and: step,
                        depth: d,
                    },
                ));
            }
            // Stable: circuit order within each key.
            keyed.sort_by_key(|&(key, _)| key);
            keyed.into_iter().map(|(_, step)| step).collect()
        })
    }

    /// Shared authenticated random bits one run consumes: one mask per
    /// input wire (the garbler's first, then the evaluator's) and one per
    /// AND output, in gate order.
    pub fn shares_needed(&self) -> usize {
        self.garbler_inputs.len() + self.evaluator_inputs.len() + self.ands
    }

    /// Authenticated AND triples one run consumes: one per AND gate.
    pub fn triples_needed(&self) -> usize {
        self.ands
    }

    /// Splits the output bits of a run back into the circuit's groups.
    pub fn split_outputs(circuit: &Circuit, bits: &[bool]) -> Vec<Vec<bool>> {
        let mut at = 0;
        circuit
            .outputs
            .iter()
            .map(|o| {
                let group = bits[at..at + o.wires.len()].to_vec();
                at += o.wires.len();
                group
            })
            .collect()
    }
}

/// Checks that a caller handed over as many items as the layout needs.
pub(crate) fn expect_count(
    what: &'static str,
    got: usize,
    expected: usize,
) -> Result<(), AuthError> {
    if got == expected {
        Ok(())
    } else {
        Err(AuthError::WrongCount {
            what,
            expected,
            got,
        })
    }
}
