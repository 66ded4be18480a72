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

/// A random XOR-heavy circuit over a few inputs: long sums that cancel or
/// repeat, with NOTs, constants and some ANDs.
fn xor_heavy_circuit(seed: u64) -> Circuit {
    let mut c = random_circuit(seed);
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut next = c.inputs.iter().map(|i| i.wires.len() as u32).sum::<u32>();
    c.gates.clear();
    for _ in 0..rng.random_range(0..150) {
        let a = rng.random_range(next.saturating_sub(12)..next);
        let b = rng.random_range(0..next);
        let out = next;
        next += 1;
        c.gates.push(match rng.random_range(0..20) {
            0..=14 => Gate::Xor { a, b, out },
            15..=16 => Gate::And { a, b, out },
            17..=18 => Gate::Not { a, out },
            _ => Gate::Const {
                value: rng.random_bool(0.5),
                out,
            },
        });
    }
    c.num_wires = next;
    for o in &mut c.outputs {
        for w in &mut o.wires {
            *w = rng.random_range(0..next);
        }
    }
    c
}

/// By wire, the sum it is (the inputs and AND outputs it XORs, each once)
/// and its parity (NOTs and constants).
fn sums(c: &Circuit) -> Vec<(std::collections::BTreeSet<u32>, bool)> {
    let mut s = vec![(std::collections::BTreeSet::new(), false); c.num_wires as usize];
    for w in c.inputs.iter().flat_map(|i| &i.wires) {
        s[*w as usize].0.insert(*w);
    }
    for g in &c.gates {
        let v = match *g {
            Gate::Xor { a, b, .. } => {
                let (x, y) = (&s[a as usize], &s[b as usize]);
                (x.0.symmetric_difference(&y.0).copied().collect(), x.1 ^ y.1)
            }
            Gate::And { out, .. } => ([out].into(), false),
            Gate::Not { a, .. } => (s[a as usize].0.clone(), !s[a as usize].1),
            Gate::Const { value, .. } => (Default::default(), value),
        };
        s[g.output() as usize] = v;
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// XOR-heavy circuits keep their function, and after optimizing, sums
    /// are normal: no XOR gate is a sum of fewer than two leaves (it would
    /// cancel to a constant or a wire), no two XOR gates are the same sum,
    /// and no AND reads a constant or two wires of one sum.
    #[test]
    fn xor_sums_are_normalized(seed in any::<u64>()) {
        let c = xor_heavy_circuit(seed);
        c.validate().unwrap();
        let o = optimize(&c);
        o.validate().unwrap();
        prop_assert!(o.stats().and <= c.stats().and);
        let wa = c.inputs[0].wires.len();
        let wb = c.inputs[1].wires.len();
        for x in 0u32..(1 << (wa + wb)) {
            let inputs = vec![
                (0..wa).map(|i| (x >> i) & 1 == 1).collect(),
                (0..wb).map(|i| (x >> (wa + i)) & 1 == 1).collect(),
            ];
            prop_assert_eq!(o.eval_plain(&inputs).unwrap(), c.eval_plain(&inputs).unwrap());
        }
        let s = sums(&o);
        let mut seen = std::collections::HashSet::new();
        for g in &o.gates {
            match *g {
                Gate::Xor { out, .. } => {
                    let sum = &s[out as usize].0;
                    prop_assert!(sum.len() >= 2, "{:?}", g);
                    prop_assert!(seen.insert(sum.clone()), "a second XOR of {:?}", sum);
                }
                Gate::And { a, b, .. } => {
                    let (x, y) = (&s[a as usize].0, &s[b as usize].0);
                    prop_assert!(!x.is_empty() && !y.is_empty() && x != y, "{:?}", g);
                }
                _ => {}
            }
        }
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

/// `(((a ^ b) ^ (b ^ c)) ^ (a ^ c)) & d`: the sum cancels, so the AND
/// reads the constant 0 and folds; the circuit has no gate and outputs the
/// constant 0. The same circuit imported gate for gate and optimized too.
#[test]
fn a_sum_that_cancels_compiles_to_a_constant() {
    let src = "circuit c(garbler a: bool, garbler b: bool, evaluator c: bool, evaluator d: bool) -> bool { (((a ^ b) ^ (b ^ c)) ^ (a ^ c)) & d }";
    let c = yao_compiler::lang::compile_str("c", src).unwrap();
    let s = c.stats();
    assert_eq!((s.and, s.xor), (0, 0));
    let written = Circuit {
        num_wires: 10,
        gates: vec![
            Gate::Xor { a: 0, b: 1, out: 4 },
            Gate::Xor { a: 1, b: 2, out: 5 },
            Gate::Xor { a: 4, b: 5, out: 6 },
            Gate::Xor { a: 0, b: 2, out: 7 },
            Gate::Xor { a: 6, b: 7, out: 8 },
            Gate::And { a: 8, b: 3, out: 9 },
        ],
        outputs: vec![Output {
            name: "out".into(),
            ty: ValueType::Bool,
            wires: vec![9],
        }],
        ..c.clone()
    };
    assert_eq!(
        written
            .inputs
            .iter()
            .flat_map(|i| i.wires.clone())
            .collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    let o = optimize(&written);
    for circuit in [&c, &o] {
        assert!(
            circuit
                .gates
                .iter()
                .all(|g| matches!(g, Gate::Const { .. })),
            "{:?}",
            circuit.gates
        );
        for x in 0..16u32 {
            let inputs: Vec<Vec<bool>> = (0..4).map(|k| vec![x >> k & 1 == 1]).collect();
            assert_eq!(circuit.eval_plain(&inputs).unwrap(), vec![vec![false]]);
        }
    }
}

#[test]
fn invalid_circuits_are_returned_unchanged() {
    let mut c = random_circuit(7);
    c.num_wires = 0;
    assert_eq!(optimize(&c), c);
}
