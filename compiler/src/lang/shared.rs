//! `shared` inputs: secure outsourcing, as in the article Yao grew from.
//!
//! Many input providers each split a value `x` into two XOR shares,
//! `x = s_g ^ s_e` with `s_g` uniformly random, and give `s_g` to the garbler
//! and `s_e` to the evaluator. Either share alone is uniformly distributed,
//! so neither server learns anything about `x` unless the two collude.
//!
//! A circuit input declared `shared x: T` therefore becomes two input groups
//! of type `T` in the IR, one per server, named [`share_group_name`]:
//! `x.g` (the garbler's share) and `x.e` (the evaluator's), next to each
//! other in input order. The circuit body sees `x = x.g ^ x.e`, which costs
//! only free XOR gates. A DSL identifier cannot contain `.`, so these names
//! never collide with a declared input; [`shared_inputs`] recovers the pairs
//! from any circuit, so a runtime needs nothing but the IR.

use crate::ir::{Circuit, Party, ValueType};
use crate::optimize::{Builder, Lit};

/// The name of `party`'s share group of the shared input `input`.
pub fn share_group_name(input: &str, party: Party) -> String {
    format!("{input}.{}", share_suffix(party))
}

fn share_suffix(party: Party) -> &'static str {
    match party {
        Party::Garbler => "g",
        Party::Evaluator => "e",
    }
}

/// A `shared` input of a circuit: its name, its type, and the positions in
/// `Circuit::inputs` of the garbler's and the evaluator's share groups.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedInput {
    pub name: String,
    pub ty: ValueType,
    pub garbler: usize,
    pub evaluator: usize,
}

impl SharedInput {
    /// The position in `Circuit::inputs` of `party`'s share group.
    pub fn group(&self, party: Party) -> usize {
        match party {
            Party::Garbler => self.garbler,
            Party::Evaluator => self.evaluator,
        }
    }
}

/// The shared inputs of `circuit`, in input order: every garbler group
/// `x.g` with an evaluator group `x.e` of the same type.
pub fn shared_inputs(circuit: &Circuit) -> Vec<SharedInput> {
    let mut found = Vec::new();
    for (k, g) in circuit.inputs.iter().enumerate() {
        let Some(name) = g.name.strip_suffix(".g") else {
            continue;
        };
        if g.party != Party::Garbler {
            continue;
        }
        let e_name = share_group_name(name, Party::Evaluator);
        let partner = circuit
            .inputs
            .iter()
            .position(|e| e.name == e_name && e.party == Party::Evaluator && e.ty == g.ty);
        if let Some(e) = partner {
            found.push(SharedInput {
                name: name.to_string(),
                ty: g.ty.clone(),
                garbler: k,
                evaluator: e,
            });
        }
    }
    found
}

/// If `group` (a name in `Circuit::inputs`) is a share group, the shared
/// input it belongs to.
pub fn shared_input_of(circuit: &Circuit, group: &str) -> Option<SharedInput> {
    shared_inputs(circuit).into_iter().find(|s| {
        [Party::Garbler, Party::Evaluator]
            .iter()
            .any(|&p| share_group_name(&s.name, p) == group)
    })
}

/// Lowers `shared name: T` (`bits` wide, IR type `ty`): appends the two share
/// groups to `inputs` and returns the bits of `name.g ^ name.e`, free XOR
/// gates that reconstruct the value inside the circuit.
pub(super) fn reconstruct(
    b: &mut Builder,
    name: &str,
    ty: ValueType,
    bits: u64,
    inputs: &mut Vec<(String, Party, ValueType, Vec<Lit>)>,
) -> Vec<Lit> {
    let g: Vec<Lit> = (0..bits).map(|_| b.input()).collect();
    let e: Vec<Lit> = (0..bits).map(|_| b.input()).collect();
    let value = g.iter().zip(&e).map(|(&x, &y)| b.xor(x, y)).collect();
    inputs.push((
        share_group_name(name, Party::Garbler),
        Party::Garbler,
        ty.clone(),
        g,
    ));
    inputs.push((
        share_group_name(name, Party::Evaluator),
        Party::Evaluator,
        ty,
        e,
    ));
    value
}
