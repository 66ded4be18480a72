//! What both parties of authenticated garbling derive from the circuit
//! alone: which wire gets which preprocessed share, and every message
//! length. A peer's message is measured against these before it is parsed.

use super::AuthError;
use yao_ir::{Circuit, Gate, Party, Wire};

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
