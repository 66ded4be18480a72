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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::compile_str;

    fn bits(v: u64, w: usize) -> Vec<bool> {
        (0..w).map(|i| (v >> i) & 1 == 1).collect()
    }

    #[test]
    fn a_shared_input_is_two_groups_xored_for_free() {
        let c = compile_str(
            "t.yao",
            "circuit t(garbler k: u8, shared x: u8, evaluator m: u8) -> u8 { x ^ k ^ m }",
        )
        .unwrap();
        let names: Vec<(&str, Party)> = c
            .inputs
            .iter()
            .map(|i| (i.name.as_str(), i.party))
            .collect();
        assert_eq!(
            names,
            [
                ("k", Party::Garbler),
                ("x.g", Party::Garbler),
                ("x.e", Party::Evaluator),
                ("m", Party::Evaluator)
            ]
        );
        assert_eq!(c.stats().and, 0, "reconstruction costs no AND gate");
        let out = c
            .eval_plain(&[bits(1, 8), bits(0xa5, 8), bits(0x5a ^ 7, 8), bits(2, 8)])
            .unwrap();
        assert_eq!(out[0], bits(0xff ^ 7 ^ 1 ^ 2, 8));
        assert_eq!(
            shared_inputs(&c),
            [SharedInput {
                name: "x".into(),
                ty: ValueType::UInt(8),
                garbler: 1,
                evaluator: 2
            }]
        );
        assert_eq!(shared_input_of(&c, "x.e").unwrap().name, "x");
        assert!(shared_input_of(&c, "k").is_none());
    }

    #[test]
    fn shared_arrays_tuples_and_bools() {
        let c = compile_str(
            "t.yao",
            "circuit t(shared a: [(u4, bool); 2], shared b: bool) -> u4 {
                 if a[1].1 ^ b { a[0].0 } else { a[1].0 }
             }",
        )
        .unwrap();
        let shared = shared_inputs(&c);
        assert_eq!(shared.len(), 2);
        assert_eq!(shared[0].ty.to_string(), "[(u4, bool); 2]");
        assert_eq!(shared[1].ty, ValueType::Bool);
        // a = [(3, _), (9, true)] split with a random-looking mask; b = false.
        let a = 3 | (9 << 5) | (1 << 9);
        let mask = 0b10_1101_0110;
        let out = c
            .eval_plain(&[bits(mask, 10), bits(a ^ mask, 10), bits(1, 1), bits(1, 1)])
            .unwrap();
        assert_eq!(out[0], bits(3, 4));
    }

    #[test]
    fn shared_is_a_keyword_with_a_clear_error_elsewhere() {
        let e = compile_str("t.yao", "circuit t(shared: u8) -> u8 { 1 }").unwrap_err();
        assert!(e.to_string().contains("an input name"), "{e}");
        let e = compile_str("t.yao", "circuit t(alice: u8) -> u8 { alice }").unwrap_err();
        assert!(e.to_string().contains("`shared`"), "{e}");
    }
}
