//! The scalar half-gates reference (`yao_core::half_gates`) as the oracle
//! of the batched garbler and evaluator and of their VAES kernels.
//!
//! Each test garbles a circuit with the real [`Garbler`], re-garbles it gate
//! by gate with [`garble_and`] over the same input zero-labels, the same
//! `Delta` and the same AND numbering (the plan's steps in order, AND `i` of
//! a step numbered `first_and + step.first_and + i`; free gates replayed from
//! the plan's decoded ops, NOT and constants as public flips, see
//! `core/src/plan.rs`), and requires every table block and every output
//! zero-label to be equal. The real [`Evaluator`] then evaluates the real
//! tables, and its output labels must equal a gate-by-gate evaluation with
//! [`eval_and`]; at every AND the reference evaluator's label must be
//! `C0 ^ (a & b)*Delta` for the reference garbler's `C0`.
//!
//! The reference hashes through the `aes` crate one block at a time
//! (`Tccr::hash`), so it shares no code with the VAES kernels, which the
//! real parties use when the CPU has VAES.

mod common;

use common::bristol::load;
use common::random::{random_circuit, Reads};
use proptest::prelude::*;
use std::sync::Arc;
use yao_core::evaluator::Evaluator;
use yao_core::garbler::Garbler;
use yao_core::half_gates::{eval_and, garble_and};
use yao_core::hash::Tccr;
use yao_core::ir::Circuit;
use yao_core::plan::{FreeOps, Plan, NO_SLOT};
use yao_core::{Block, Delta};

/// The gate-by-gate re-garbling and evaluation of one session.
struct Reference {
    /// Every table block, in stream order.
    tables: Vec<Block>,
    /// The garbler's output zero-labels, per output group.
    zero_out: Vec<Vec<Block>>,
    /// The evaluator's active output labels, per output group.
    active_out: Vec<Vec<Block>>,
}

/// Runs the free gates `ops` on one label array (XOR of the stored labels).
fn run_frees(labels: &mut [Block], ops: FreeOps<'_>) {
    for (out, ins) in ops.gates() {
        let x = ins
            .iter()
            .fold(Block::ZERO, |acc, &s| acc ^ labels[s as usize]);
        labels[out as usize] = x;
    }
}

/// Re-garbles `plan` with [`garble_and`] from the input zero-labels `zero_in`
/// under `delta`, numbering ANDs from `first_and`, and evaluates it with
/// [`eval_and`] on the input bits `bits`.
fn reference(
    plan: &Plan,
    delta: Block,
    zero_in: &[Vec<Block>],
    bits: &[Vec<bool>],
    first_and: u64,
) -> Reference {
    let h = Tccr::portable();
    let d = |bit: bool| Block::mask(bit) & delta;
    let n = plan.num_slots().max(1);
    // Stored labels by slot: the garbler's (a wire's zero-label is its
    // stored label ^ flip*Delta) and the evaluator's active ones; slot 0,
    // the root of constants, is zero for both.
    let mut z = vec![Block::ZERO; n];
    let mut e = vec![Block::ZERO; n];
    for ((g, zl), b) in plan.inputs().iter().zip(zero_in).zip(bits) {
        for ((&s, &l), &bit) in g.slots.iter().zip(zl).zip(b) {
            if s != NO_SLOT {
                z[s as usize] = l;
                e[s as usize] = l ^ d(bit);
            }
        }
    }
    run_frees(&mut z, plan.prelude());
    run_frees(&mut e, plan.prelude());
    let mut tables = Vec::with_capacity(2 * plan.num_ands() as usize);
    for i in 0..plan.num_steps() {
        let step = plan.step(i).expect("a step below num_steps");
        // The ANDs of a step are independent (no AND writes a slot another
        // reads, `Plan::verify`), so one after the other is the same.
        for (j, op) in step.ands.iter().enumerate() {
            let k = first_and + step.first_and + j as u64;
            let a0 = z[op.a as usize] ^ d(op.flip_a);
            let b0 = z[op.b as usize] ^ d(op.flip_b);
            let (t, c0) = garble_and(&h, delta, a0, b0, k);
            tables.extend_from_slice(&t);
            let (a, b) = (e[op.a as usize], e[op.b as usize]);
            let value = |l: Block, l0: Block| {
                assert!(
                    l == l0 || l == l0 ^ delta,
                    "AND {k}: not a label of its wire"
                );
                l != l0
            };
            let (va, vb) = (value(a, a0), value(b, b0));
            let c = eval_and(&h, a, b, t, k);
            assert_eq!(c, c0 ^ d(va & vb), "AND {k}: eval_and against garble_and");
            z[op.out as usize] = c0;
            e[op.out as usize] = c;
        }
        run_frees(&mut z, step.frees);
        run_frees(&mut e, step.frees);
    }
    let zero_out = plan
        .outputs()
        .iter()
        .map(|o| {
            o.slots
                .iter()
                .zip(&o.flips)
                .map(|(&s, &f)| z[s as usize] ^ d(f))
                .collect()
        })
        .collect();
    let active_out = plan
        .outputs()
        .iter()
        .map(|o| o.slots.iter().map(|&s| e[s as usize]).collect())
        .collect();
    Reference {
        tables,
        zero_out,
        active_out,
    }
}

fn random_bits(n: usize) -> Vec<bool> {
    let mut bytes = vec![0u8; n.div_ceil(8)];
    yao_core::block::fill_random(&mut bytes);
    (0..n).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect()
}

/// Garbles and evaluates `circuit` under `plan` with the given backends and
/// first AND number, and checks both parties against [`reference`] and the
/// plaintext semantics.
fn check(circuit: &Circuit, plan: &Arc<Plan>, first_and: u64, gh: Tccr, eh: Tccr) {
    let delta = Delta::random();
    let dl = delta.block();
    let mut g = Garbler::with_hash(Arc::clone(plan), delta, gh);
    g.set_first_and(first_and).unwrap();
    let bits: Vec<Vec<bool>> = circuit
        .inputs
        .iter()
        .map(|i| random_bits(i.wires.len()))
        .collect();
    let zero_in: Vec<Vec<Block>> = (0..plan.inputs().len())
        .map(|k| g.input_zero_labels(k).to_vec())
        .collect();
    let mut tables = Vec::new();
    while g.garble_batch(&mut tables) {}
    let r = reference(plan, dl, &zero_in, &bits, first_and);

    assert_eq!(tables.len(), r.tables.len(), "table length");
    if let Some(i) = (0..tables.len()).find(|&i| tables[i] != r.tables[i]) {
        panic!(
            "table block {i} (AND {}, {}): garbler {:?}, reference {:?}",
            first_and + i as u64 / 2,
            ["TG", "TE"][i % 2],
            tables[i],
            r.tables[i]
        );
    }
    assert_eq!(*g.output_zero_labels(), r.zero_out, "output zero-labels");

    let mut e = Evaluator::with_hash(Arc::clone(plan), eh);
    e.set_first_and(first_and).unwrap();
    for (k, (zl, b)) in zero_in.iter().zip(&bits).enumerate() {
        let active: Vec<Block> = zl
            .iter()
            .zip(b)
            .map(|(&l, &bit)| l ^ (Block::mask(bit) & dl))
            .collect();
        e.set_input_labels(k, &active).unwrap();
    }
    let mut pos = 0;
    while e.next_batch_len() > 0 {
        let n = e.next_batch_len();
        e.eval_batch(&tables[pos..pos + n]).unwrap();
        pos += n;
    }
    assert_eq!(e.output_labels().unwrap(), r.active_out, "output labels");

    // And the labels mean the plaintext outputs.
    let want = circuit.eval_plain(&bits).unwrap();
    for ((z, a), w) in r.zero_out.iter().zip(&r.active_out).zip(&want) {
        for ((&z, &a), &w) in z.iter().zip(a).zip(w) {
            assert_eq!(a, z ^ (Block::mask(w) & dl), "decoded output");
        }
    }
}

/// Every backend pairing: the fastest this CPU has (the VAES kernels here),
/// the `aes` crate's batched path, and each garbling for the other.
fn check_backends(circuit: &Circuit, plan: &Arc<Plan>, first_and: u64) {
    check(circuit, plan, first_and, Tccr::new(), Tccr::new());
    check(circuit, plan, first_and, Tccr::portable(), Tccr::portable());
    check(circuit, plan, first_and, Tccr::new(), Tccr::portable());
}

/// The VAES kernels are what these tests are for: make sure they run
/// wherever the CPU has them, rather than silently testing the fallback.
#[test]
fn vaes_kernels_run_where_the_cpu_has_them() {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("vaes")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("aes")
    {
        assert_eq!(Tccr::new().backend(), "vaes256");
        return;
    }
    eprintln!("no VAES on this CPU: the kernels tested are the aes crate's");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random circuits, random plan limits (tiny windows and steps, both
    /// free-gate encodings), random first AND numbers.
    #[test]
    fn random_circuits_match_the_reference(
        g_bits in 1u32..8,
        e_bits in 1u32..8,
        ops in prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 0..300),
        outs in prop::collection::vec(any::<u32>(), 1..16),
        far in any::<bool>(),
        window in 1usize..200,
        step in 1usize..40,
        wide in any::<bool>(),
        first_and in prop_oneof![Just(0u64), 0u64..1 << 20, Just((1u64 << 40) + 7)],
    ) {
        let reads = if far { Reads::FarBack } else { Reads::Anywhere };
        let c = random_circuit(g_bits, e_bits, &ops, &outs, reads);
        let plan = if wide {
            Plan::with_limits_wide(&c, window, step)
        } else {
            Plan::with_limits(&c, window, step)
        };
        let plan = Arc::new(plan.unwrap());
        prop_assert_eq!(plan.verify(), Ok(()));
        check_backends(&c, &plan, first_and);
    }
}

/// Random circuits under the default plan: full steps of up to 256 ANDs,
/// where the VAES kernels take their wide paths.
#[test]
fn large_random_circuits_match_the_reference() {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    for round in 0..3 {
        let mut ops = Vec::new();
        for _ in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ops.push(((s % 6) as u8, (s >> 8) as u32, (s >> 36) as u32));
        }
        let outs: Vec<u32> = (0..128).map(|i| u32::MAX - 3 * i).collect();
        let c = random_circuit(128, 128, &ops, &outs, Reads::Anywhere);
        let plan = Arc::new(Plan::new(&c).unwrap());
        assert!(plan.max_step_ands() > 100, "round {round}: wide steps");
        check_backends(&c, &plan, round * 1_000_003);
    }
}

/// The published AES-128 and SHA-256 circuits (skipped when the shared
/// circuits are not installed, see `YAO_SHARED_CIRCUITS`).
#[test]
fn shared_circuits_match_the_reference() {
    for name in ["aes_128", "sha256"] {
        let Some(c) = load(&format!("bristol/{name}.txt")) else {
            return;
        };
        let plan = Arc::new(Plan::new(&c).unwrap());
        check_backends(&c, &plan, 0);
        check(&c, &plan, (1 << 40) + 7, Tccr::new(), Tccr::new());
    }
}
