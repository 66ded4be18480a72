//! The planner's output on published and random circuits passes
//! `Plan::verify`; `PLAN_DIGEST_OUT=path` also writes a digest of every plan
//! (its full `Debug` dump), to check that a planner optimization leaves the
//! plans identical.

mod common;

use common::bristol::load;
use std::fmt::Write as _;
use yao_core::ir::{Circuit, Gate, Input, Output, Party, ValueType};
use yao_core::plan::Plan;

/// Deterministic xorshift stream, so the random circuits are the same in
/// every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A random circuit of `n_gates` gates; `local` picks inputs a short
/// distance back (long XOR chains, fusion, cancellation), else anywhere.
fn random_circuit(seed: u64, n_in: u32, n_gates: u32, local: bool) -> Circuit {
    let mut rng = Rng(seed | 1);
    let mut gates = Vec::new();
    let mut n = n_in;
    for _ in 0..n_gates {
        let pick = |rng: &mut Rng, span: u32| {
            let r = rng.next() as u32;
            if local {
                n - 1 - r % n.min(span)
            } else {
                r % n
            }
        };
        let (a, b) = (pick(&mut rng, 6), pick(&mut rng, 9));
        let kind = rng.next() % 10;
        gates.push(match kind {
            0..=2 => Gate::And { a, b, out: n },
            3..=7 => Gate::Xor { a, b, out: n },
            8 => Gate::Not { a, out: n },
            _ => Gate::Const {
                value: a % 2 == 1,
                out: n,
            },
        });
        n += 1;
    }
    let outs: Vec<u32> = (0..16).map(|_| rng.next() as u32 % n).collect();
    Circuit {
        name: "random".into(),
        num_wires: n,
        inputs: vec![
            Input {
                name: "g".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(n_in / 2),
                wires: (0..n_in / 2).collect(),
            },
            Input {
                name: "e".into(),
                party: Party::Evaluator,
                ty: ValueType::UInt(n_in - n_in / 2),
                wires: (n_in / 2..n_in).collect(),
            },
        ],
        outputs: vec![Output {
            name: "out".into(),
            ty: ValueType::UInt(outs.len() as u32),
            wires: outs,
        }],
        gates,
    }
}

/// Every (circuit, window, step) planned: verified, and digested.
#[test]
fn plans_verify_on_published_and_random_circuits() {
    let mut cases: Vec<(String, Circuit, usize, usize)> = Vec::new();
    for rel in ["bristol/aes_128.txt", "bristol/sha256.txt"] {
        if let Some(c) = load(rel) {
            cases.push((rel.into(), c.clone(), 1 << 16, 256));
            cases.push((format!("{rel} small"), c, 500, 7));
        }
    }
    for seed in 1..=12u64 {
        let local = seed % 2 == 0;
        let n_gates = if seed <= 4 { 20_000 } else { 300 };
        let c = random_circuit(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 16, n_gates, local);
        cases.push((format!("random {seed}"), c.clone(), 1 << 16, 256));
        cases.push((format!("random {seed} small"), c, 1 + seed as usize * 5, 3));
    }
    let mut digests = String::new();
    for (name, c, window, step) in &cases {
        let plan = Plan::with_limits(c, *window, *step).unwrap();
        assert_eq!(plan.verify(), Ok(()), "{name}");
        // The wide encoding of free gates holds the same gates.
        let wide = Plan::with_limits_wide(c, *window, *step).unwrap();
        assert_eq!(wide.verify(), Ok(()), "{name} wide");
        assert_eq!(
            (plan.free_encoding(), wide.free_encoding()),
            ("narrow", "wide")
        );
        assert_eq!(plan.prelude().gates(), wide.prelude().gates(), "{name}");
        for i in 0..plan.num_steps() {
            let (a, b) = (plan.step(i).unwrap(), wide.step(i).unwrap());
            assert_eq!(a.frees.gates(), b.frees.gates(), "{name} step {i}");
            assert_eq!(a.ands, b.ands, "{name} step {i}");
        }
        let dump = format!("{plan:?}");
        writeln!(digests, "{name}: {}", blake3::hash(dump.as_bytes())).unwrap();
    }
    if let Some(path) = std::env::var_os("PLAN_DIGEST_OUT") {
        std::fs::write(path, digests).unwrap();
    }
}
