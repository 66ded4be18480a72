//! The optimizer preserves the function of any valid circuit and never adds
//! AND gates; it removes duplicates, constants and dead gates.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use yao_compiler::ir::{Circuit, Gate, Input, Output, Party, ValueType};
use yao_compiler::optimize::optimize;

/// A random valid circuit: two input groups, gates over earlier wires
/// (constants included), outputs anywhere (inputs and constants too).
fn random_circuit(seed: u64) -> Circuit {
    let mut rng = StdRng::seed_from_u64(seed);
    let wa = rng.random_range(1..8u32);
    let wb = rng.random_range(1..8u32);
    let mut next = wa + wb;
    let mut gates = Vec::new();
    for _ in 0..rng.random_range(0..120) {
        let a = rng.random_range(0..next);
        let b = rng.random_range(0..next);
        let out = next;
        next += 1;
        gates.push(match rng.random_range(0..10) {
            0..=3 => Gate::Xor { a, b, out },
            4..=7 => Gate::And { a, b, out },
            8 => Gate::Not { a, out },
            _ => Gate::Const {
                value: rng.random_bool(0.5),
                out,
            },
        });
    }
    let outputs = (0..rng.random_range(1..4))
        .map(|k| {
            let w = rng.random_range(1..6u32);
            Output {
                name: format!("out{k}"),
                ty: ValueType::UInt(w),
                wires: (0..w).map(|_| rng.random_range(0..next)).collect(),
            }
        })
        .collect();
    Circuit {
        name: "random".into(),
        num_wires: next,
        inputs: vec![
            Input {
                name: "a".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(wa),
                wires: (0..wa).collect(),
            },
            Input {
                name: "b".into(),
                party: Party::Evaluator,
                ty: ValueType::UInt(wb),
                wires: (wa..wa + wb).collect(),
            },
        ],
        outputs,
        gates,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn optimize_preserves_the_function(seed in any::<u64>()) {
        let c = random_circuit(seed);
        c.validate().unwrap();
        let o = optimize(&c);
        o.validate().unwrap();
        prop_assert!(o.stats().and <= c.stats().and);
        prop_assert_eq!(&o.inputs.iter().map(|i| (&i.name, i.party, &i.ty)).collect::<Vec<_>>(),
                        &c.inputs.iter().map(|i| (&i.name, i.party, &i.ty)).collect::<Vec<_>>());
        let wa = c.inputs[0].wires.len();
        let wb = c.inputs[1].wires.len();
        // Exhaustive over all inputs (at most 14 bits).
        for x in 0u32..(1 << (wa + wb)) {
            let inputs = vec![
                (0..wa).map(|i| (x >> i) & 1 == 1).collect(),
                (0..wb).map(|i| (x >> (wa + i)) & 1 == 1).collect(),
            ];
            prop_assert_eq!(o.eval_plain(&inputs).unwrap(), c.eval_plain(&inputs).unwrap());
        }
        // Optimizing again finds nothing more.
        prop_assert_eq!(optimize(&o).stats().and, o.stats().and);
    }
}

#[test]
fn duplicates_constants_and_dead_gates_go() {
    // out = (a & b) ^ (b & a) ^ (a & 1) ^ dead stuff = a
    let c = Circuit {
        name: "t".into(),
        num_wires: 9,
        inputs: vec![
            Input {
                name: "a".into(),
                party: Party::Garbler,
                ty: ValueType::Bool,
                wires: vec![0],
            },
            Input {
                name: "b".into(),
                party: Party::Evaluator,
                ty: ValueType::Bool,
                wires: vec![1],
            },
        ],
        outputs: vec![Output {
            name: "out".into(),
            ty: ValueType::Bool,
            wires: vec![7],
        }],
        gates: vec![
            Gate::And { a: 0, b: 1, out: 2 },
            Gate::And { a: 1, b: 0, out: 3 },
            Gate::Const {
                value: true,
                out: 4,
            },
            Gate::And { a: 0, b: 4, out: 5 },
            Gate::Xor { a: 2, b: 3, out: 6 },
            Gate::Xor { a: 6, b: 5, out: 7 },
            Gate::And { a: 7, b: 1, out: 8 },
        ],
    };
    let o = optimize(&c);
    assert_eq!(o.gates.len(), 0, "{:?}", o.gates);
    assert_eq!(o.outputs[0].wires, o.inputs[0].wires);
}

#[test]
fn invalid_circuits_are_returned_unchanged() {
    let mut c = random_circuit(7);
    c.num_wires = 0;
    assert_eq!(optimize(&c), c);
}
