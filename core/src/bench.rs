//! Garbling throughput, in memory, one core: the figures `yao bench` prints
//! and the criterion bench reports. Every rate runs for about `seconds` of
//! wall time (at least one full pass).

use crate::block::{Block, Delta};
use crate::evaluator::Evaluator;
use crate::garbler::Garbler;
use crate::hash::{Tccr, Tweaks};
use crate::ir::{Circuit, Party};
use crate::plan::Plan;
use std::sync::Arc;
use std::time::Instant;

/// Runs `f` (which returns the units it processed) for about `seconds`, in
/// 20 windows, and returns the best window's units per second. The best
/// window, not the mean: on a shared machine other processes only ever slow
/// a window down, so the fastest one is the closest to the machine's own
/// speed, and the ceiling and the rates it is compared with are measured
/// the same way.
pub fn rate(seconds: f64, mut f: impl FnMut() -> u64) -> f64 {
    let window = seconds / 20.0;
    let start = Instant::now();
    let mut best = 0.0f64;
    loop {
        let w = Instant::now();
        let mut units = 0u64;
        loop {
            units += f();
            if w.elapsed().as_secs_f64() >= window {
                break;
            }
        }
        best = best.max(units as f64 / w.elapsed().as_secs_f64());
        if start.elapsed().as_secs_f64() >= seconds {
            return best;
        }
    }
}

/// Raw fixed-key AES-128 blocks per second through the `aes` crate's
/// multi-block path, with the best of a few batch sizes: the hardware ceiling
/// every garbling figure is compared with.
pub fn aes_ceiling(seconds: f64) -> f64 {
    let tccr = Tccr::new();
    let sizes = [30usize, 120, 480, 1920];
    let mut best = 0.0f64;
    for n in sizes {
        let mut buf: Vec<Block> = (0..n as u128).map(Block).collect();
        let r = rate(seconds / sizes.len() as f64, || {
            for _ in 0..64 {
                tccr.permute_in_place(&mut buf);
            }
            64 * n as u64
        });
        std::hint::black_box(&buf);
        best = best.max(r);
    }
    best
}

/// Blocks per second through the fixed-key TCCR hash (garbler layout: two
/// blocks per tweak), in batches of `batch` blocks.
pub fn tccr_rate(seconds: f64, batch: usize) -> f64 {
    let tccr = Tccr::new();
    let input: Vec<Block> = (0..batch as u128).map(|i| Block(i * 0x9e37_79b9)).collect();
    let mut out = vec![Block::ZERO; batch];
    let mut first = 0u64;
    rate(seconds, || {
        for _ in 0..64 {
            tccr.hash_many(&input, &mut out, Tweaks { first, pair: true });
            first += batch as u64;
        }
        std::hint::black_box(&out);
        64 * batch as u64
    })
}

/// AND gates garbled per second, in memory (tables are produced into a
/// reused buffer and dropped), over repeated sessions on one shared plan.
/// Returns 0 for an invalid circuit or one without AND gates.
pub fn garble_rate(circuit: &Circuit, seconds: f64) -> f64 {
    garble_rate_with(circuit, seconds, &Tccr::new())
}

/// [`garble_rate`] with a chosen hash backend ([`Tccr::portable`] measures
/// the path of CPUs without VAES).
pub fn garble_rate_with(circuit: &Circuit, seconds: f64, hash: &Tccr) -> f64 {
    let Some((plan, ands)) = plan_with_ands(circuit) else {
        return 0.0;
    };
    // Filled in place, step after step: no clearing (see
    // `Garbler::garble_batch_into`).
    let mut buf = vec![Block::ZERO; 2 * plan.max_step_ands()];
    rate(seconds, || {
        let mut g = Garbler::with_hash(Arc::clone(&plan), Delta::random(), hash.clone());
        while g.garble_batch_into(&mut buf).is_ok_and(|n| n > 0) {}
        std::hint::black_box(g.decoding_bits());
        ands
    })
}

/// The plan of `circuit` and its AND count, or `None` for an invalid
/// circuit or one without AND gates (whose rates are reported as 0).
fn plan_with_ands(circuit: &Circuit) -> Option<(Arc<Plan>, u64)> {
    let plan = Arc::new(Plan::new(circuit).ok()?);
    let ands = plan.num_ands();
    (ands > 0).then_some((plan, ands))
}

/// AND gates evaluated per second, in memory, on tables garbled once
/// beforehand. Returns 0 for an invalid circuit or one without AND gates.
pub fn eval_rate(circuit: &Circuit, seconds: f64) -> f64 {
    eval_rate_with(circuit, seconds, &Tccr::new())
}

/// [`eval_rate`] with a chosen hash backend (see [`garble_rate_with`]).
pub fn eval_rate_with(circuit: &Circuit, seconds: f64, hash: &Tccr) -> f64 {
    let Some((plan, ands)) = plan_with_ands(circuit) else {
        return 0.0;
    };
    let (labels, tables) = garbled_session(&plan);
    rate(seconds, || {
        let mut e = Evaluator::with_hash(Arc::clone(&plan), hash.clone());
        for (k, l) in labels.iter().enumerate() {
            let _ = e.set_input_labels(k, l);
        }
        let mut pos = 0;
        loop {
            let n = e.next_batch_len();
            if n == 0 || e.eval_batch(&tables[pos..pos + n]).is_err() {
                break;
            }
            pos += n;
        }
        std::hint::black_box(&e);
        ands
    })
}

/// AND gates garbled per second with three-halves
/// ([`crate::three_halves::ThreeHalvesGarbler`]), measured like
/// [`garble_rate`]: in memory, tables into a reused buffer, repeated
/// sessions on one shared plan. Returns 0 for an invalid circuit or one
/// without AND gates.
pub fn garble_rate_three_halves(circuit: &Circuit, seconds: f64) -> f64 {
    use crate::three_halves::{ThreeHalvesGarbler, TABLE_BYTES};
    let Some((plan, ands)) = plan_with_ands(circuit) else {
        return 0.0;
    };
    let mut buf = vec![0u8; TABLE_BYTES * plan.max_step_ands()];
    rate(seconds, || {
        let mut g = ThreeHalvesGarbler::from_plan(Arc::clone(&plan), Delta::random());
        while g.garble_batch_into(&mut buf).is_ok_and(|n| n > 0) {}
        std::hint::black_box(g.decoding_bits());
        ands
    })
}

/// AND gates evaluated per second with three-halves, on tables garbled once
/// beforehand (as [`eval_rate`]). Returns 0 for an invalid circuit or one
/// without AND gates.
pub fn eval_rate_three_halves(circuit: &Circuit, seconds: f64) -> f64 {
    use crate::three_halves::{ThreeHalvesEvaluator, ThreeHalvesGarbler};
    let Some((plan, ands)) = plan_with_ands(circuit) else {
        return 0.0;
    };
    let mut g = ThreeHalvesGarbler::from_plan(Arc::clone(&plan), Delta::random());
    let labels: Vec<Vec<Block>> = plan
        .inputs()
        .iter()
        .enumerate()
        .map(|(k, i)| match i.party {
            Party::Garbler => g
                .encode_input(k, &vec![false; i.slots.len()])
                .unwrap_or_default(),
            Party::Evaluator => g.input_zero_labels(k).to_vec(),
        })
        .collect();
    let mut tables = Vec::new();
    while g.garble_batch(&mut tables) {}
    rate(seconds, || {
        let mut e = ThreeHalvesEvaluator::from_plan(Arc::clone(&plan));
        for (k, l) in labels.iter().enumerate() {
            let _ = e.set_input_labels(k, l);
        }
        let mut pos = 0;
        loop {
            let n = e.next_batch_len();
            if n == 0 || e.eval_batch(&tables[pos..pos + n]).is_err() {
                break;
            }
            pos += n;
        }
        std::hint::black_box(&e);
        ands
    })
}

/// Garbles `plan` once on all-zero inputs: the evaluator's input labels and
/// every table, for evaluation benchmarks.
pub fn garbled_session(plan: &Arc<Plan>) -> (Vec<Vec<Block>>, Vec<Block>) {
    let mut g = Garbler::from_plan(Arc::clone(plan), Delta::random());
    let labels = plan
        .inputs()
        .iter()
        .enumerate()
        .map(|(k, i)| match i.party {
            Party::Garbler => g
                .encode_input(k, &vec![false; i.slots.len()])
                .unwrap_or_default(),
            Party::Evaluator => g.input_zero_labels(k).to_vec(),
        })
        .collect();
    let mut tables = Vec::with_capacity(2 * plan.num_ands() as usize);
    while g.garble_batch(&mut tables) {}
    (labels, tables)
}

/// AND gates per second through the fused step kernels alone (no free
/// gates, no planning): `(garble, eval)` on steps of `step` independent ANDs
/// over 1024 live labels. Zero when the CPU lacks VAES.
pub fn kernel_rates(seconds: f64, step: usize) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::plan::AndOp;
        let tccr = Tccr::new();
        let Some(w) = tccr.wide() else {
            return (0.0, 0.0);
        };
        let mut labels: Vec<Block> = (0..2048u128)
            .map(|i| Block(i * 0x9e37_79b9_7f4a_7c15))
            .collect();
        let ands: Vec<AndOp> = (0..step as u32)
            .map(|i| AndOp {
                a: (i * 7) % 1024,
                b: (i * 13 + 5) % 1024,
                out: 1024 + i % 1024,
                flip_a: i % 3 == 0,
                flip_b: false,
                // Pi slots numbered like the label slots.
                pa: (i * 7) % 1024,
                pb: (i * 13 + 5) % 1024,
            })
            .collect();
        let mut tables = vec![Block::ZERO; 2 * step];
        let d = Block(0x1234_5678_9abc_def1);
        // Every AND input's pi computed once per step, as in a session whose
        // AND inputs are read once (SHA-256; AES-128 shares more).
        let pi_slots: Vec<u32> = {
            let mut s: Vec<u32> = ands.iter().flat_map(|g| [g.a, g.b]).collect();
            s.sort_unstable();
            s.dedup();
            s
        };
        let mut pis = vec![Block::ZERO; 2 * labels.len()];
        let mut k = 0u64;
        let g = rate(seconds, || {
            for _ in 0..16 {
                // SAFETY: every slot is below 2048 = labels.len(), and
                // pis holds two blocks per label.
                unsafe {
                    w.garble_pis(d, &labels, &mut pis, &pi_slots, &pi_slots);
                    w.garble_ands(d, &mut labels, &mut pis, &ands, k, &mut tables, false);
                }
                k += 2 * step as u64;
            }
            16 * step as u64
        });
        let e = rate(seconds, || {
            for _ in 0..16 {
                // SAFETY: as above.
                unsafe {
                    w.eval_pis(&labels, &mut pis, &pi_slots, &pi_slots);
                    w.eval_ands(&mut labels, &pis, &ands, k, &tables);
                }
                k += 2 * step as u64;
            }
            16 * step as u64
        });
        (g, e)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (seconds, step);
        (0.0, 0.0)
    }
}

/// Free gates per second (the plan's fused XORs only, the ANDs skipped)
/// over the whole plan of `circuit`: how much of a session the free gates
/// cost. Counts the fused gates that run, not the circuit's XOR/NOT gates.
pub fn free_gate_rate(circuit: &Circuit, seconds: f64) -> f64 {
    let Ok(plan) = Plan::new(circuit) else {
        return 0.0;
    };
    let mut labels = crate::garbler::new_labels(plan.num_slots());
    let n = plan.num_free_ops();
    rate(seconds, || {
        crate::garbler::run_free_gates(&mut labels, plan.prelude());
        for i in 0..plan.num_steps() {
            if let Some(s) = plan.step(i) {
                crate::garbler::run_free_gates(&mut labels, s.frees);
            }
        }
        n
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Gate, Input, Output, ValueType};

    #[test]
    fn rates_are_positive() {
        let c = Circuit {
            name: "and".into(),
            num_wires: 3,
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
                name: "o".into(),
                ty: ValueType::Bool,
                wires: vec![2],
            }],
            gates: vec![Gate::And { a: 0, b: 1, out: 2 }],
        };
        assert!(garble_rate(&c, 0.001) > 0.0);
        assert!(eval_rate(&c, 0.001) > 0.0);
        assert!(aes_ceiling(0.001) > 0.0);
        assert!(tccr_rate(0.001, 64) > 0.0);
        assert!(garble_rate_three_halves(&c, 0.001) > 0.0);
        assert!(eval_rate_three_halves(&c, 0.001) > 0.0);
    }
}
