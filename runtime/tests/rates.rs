//! Throughput report (not a test of speed: it only prints). Run with
//! `cargo test -p yao-runtime --release --test rates -- --ignored --nocapture`.

mod common;
#[path = "common/multi_instance.rs"]
mod multi_instance;

use yao_core::bench::*;

/// The re-keyed hash the rates compare with is the construction it names.
#[test]
fn multi_instance_matches_definition() {
    multi_instance::check_definition();
}

#[test]
#[ignore]
fn print_rates() {
    let secs: f64 = std::env::var("YAO_RATE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let ceiling = aes_ceiling(secs);
    println!("ceiling.aes_blocks_per_s: {ceiling:.4e}");
    for batch in [30, 120, 480, 1024] {
        let r = tccr_rate(secs / 2.0, batch);
        println!(
            "tccr.batch{batch}.blocks_per_s: {r:.4e} ({:.2} of AES/2)",
            r / (ceiling / 2.0)
        );
    }
    for per_key in [1, 2] {
        let r = multi_instance::multi_instance_rate(secs / 2.0, per_key);
        println!("multi_instance.per_key{per_key}.blocks_per_s: {r:.4e}");
    }
    for step in [16, 64, 256] {
        let (g, e) = kernel_rates(secs / 2.0, step);
        println!("kernel.step{step}: garble {g:.4e} ({:.3} of ceiling/8), eval {e:.4e} ({:.3} of ceiling/4)", g / (ceiling / 8.0), e / (ceiling / 4.0));
    }
    for name in ["aes_128", "sha256"] {
        let Some(c) = common::bristol::load(&format!("bristol/{name}.txt")) else {
            return;
        };
        let f = free_gate_rate(&c, secs);
        println!("free.{name}.gates_per_s: {f:.4e}");
        let g = garble_rate(&c, secs);
        let e = eval_rate(&c, secs);
        println!(
            "garble.{name}.and_per_s: {g:.4e} ({:.3} of ceiling/8)",
            g / (ceiling / 8.0)
        );
        println!(
            "eval.{name}.and_per_s: {e:.4e} ({:.3} of ceiling/4)",
            e / (ceiling / 4.0)
        );
    }
}

/// Garbling and evaluation on the path of CPUs without VAES (the `aes`
/// crate's backend: AES-NI here): `--ignored print_portable_rates`.
#[test]
#[ignore]
fn print_portable_rates() {
    let secs: f64 = std::env::var("YAO_RATE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let portable = yao_core::hash::Tccr::portable();
    for name in ["aes_128", "sha256"] {
        let Some(c) = common::bristol::load(&format!("bristol/{name}.txt")) else {
            return;
        };
        let g = garble_rate_with(&c, secs, &portable);
        let e = eval_rate_with(&c, secs, &portable);
        println!("garble.{name}.portable.and_per_s: {g:.4e}");
        println!("eval.{name}.portable.and_per_s: {e:.4e}");
    }
}

#[test]
#[ignore]
fn print_plan_shapes() {
    for name in ["aes_128", "sha256"] {
        let Some(c) = common::bristol::load(&format!("bristol/{name}.txt")) else {
            return;
        };
        let p = yao_core::plan::Plan::new(&c).unwrap();
        let s = c.stats();
        let mut hist = std::collections::BTreeMap::new();
        for i in 0..p.num_steps() {
            *hist.entry(p.step_ands(i)).or_insert(0) += 1;
        }
        println!(
            "{name}: and {} xor {} not {} depth {} peak_live {} | steps {} slots {} max_step {} sizes {:?}",
            s.and,
            s.xor,
            s.not,
            s.and_depth,
            s.peak_live_wires,
            p.num_steps(),
            p.num_slots(),
            p.max_step_ands(),
            hist
        );
    }
}

/// For `perf record`: garbles (or with YAO_PROFILE=eval, evaluates) one
/// circuit for a few seconds.
#[test]
#[ignore]
fn profile_one() {
    let name = std::env::var("YAO_PROFILE_CIRCUIT").unwrap_or("aes_128".into());
    let Some(c) = common::bristol::load(&format!("bristol/{name}.txt")) else {
        return;
    };
    let r = if std::env::var("YAO_PROFILE").as_deref() == Ok("eval") {
        eval_rate(&c, 3.0)
    } else {
        garble_rate(&c, 3.0)
    };
    println!("rate: {r:.4e}");
}

/// Peak-memory probe: garbles and evaluates `YAO_SHA_CHAIN` (default 10)
/// chained SHA-256 compressions (state_{i+1} = SHA256(block, state_i), one
/// shared 512-bit block, so live wires stay constant while gates grow). Run
/// under `/usr/bin/time -v` to read the peak RSS.
#[test]
#[ignore]
fn memory_chained_sha256() {
    use std::sync::Arc;
    use yao_core::ir::{Circuit, Gate, Input, Output, Party, ValueType};
    let k: usize = std::env::var("YAO_SHA_CHAIN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let Some(sha) = common::bristol::load("bristol/sha256.txt") else {
        return;
    };
    let mut gates = Vec::with_capacity(sha.gates.len() * k);
    let block: Vec<u32> = (0..512).collect();
    let mut state: Vec<u32> = (512..768).collect();
    let mut next = 768u32;
    let mut map = vec![0u32; sha.num_wires as usize];
    for _ in 0..k {
        for (w, &b) in sha.inputs[0].wires.iter().zip(&block) {
            map[*w as usize] = b;
        }
        for (w, &s) in sha.inputs[1].wires.iter().zip(&state) {
            map[*w as usize] = s;
        }
        for g in &sha.gates {
            let m = |w: u32| map[w as usize];
            let out = next;
            next += 1;
            gates.push(match *g {
                Gate::Xor { a, b, .. } => Gate::Xor {
                    a: m(a),
                    b: m(b),
                    out,
                },
                Gate::And { a, b, .. } => Gate::And {
                    a: m(a),
                    b: m(b),
                    out,
                },
                Gate::Not { a, .. } => Gate::Not { a: m(a), out },
                Gate::Const { value, .. } => Gate::Const { value, out },
            });
            map[g.output() as usize] = out;
        }
        state = sha.outputs[0]
            .wires
            .iter()
            .map(|&w| map[w as usize])
            .collect();
    }
    drop(map);
    let c = Circuit {
        name: format!("sha256x{k}"),
        num_wires: next,
        inputs: vec![
            Input {
                name: "block".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(512),
                wires: block,
            },
            Input {
                name: "state".into(),
                party: Party::Evaluator,
                ty: ValueType::UInt(256),
                wires: (512..768).collect(),
            },
        ],
        outputs: vec![Output {
            name: "out".into(),
            ty: ValueType::UInt(256),
            wires: state,
        }],
        gates,
    };
    let inputs: Vec<Vec<bool>> = vec![
        (0..512).map(|i| i % 3 == 0).collect(),
        (0..256).map(|i| i % 5 == 0).collect(),
    ];
    let plan = Arc::new(yao_core::plan::Plan::new(&c).unwrap());
    let t = std::time::Instant::now();
    let out = yao_core::in_memory::run_plan(&plan, &inputs).unwrap();
    let dt = t.elapsed().as_secs_f64();
    let s = c.stats();
    println!(
        "chain {k}: gates {} and {} peak_live {} | plan slots {} ({} KiB of labels per party) plan heap {} MiB, circuit {} MiB | garble+eval {:.2}s",
        c.gates.len(), s.and, s.peak_live_wires, plan.num_slots(), plan.num_slots() * 16 / 1024,
        plan.heap_bytes() >> 20, (c.gates.len() * 16) >> 20, dt
    );
    if k <= 20 {
        assert_eq!(out, c.eval_plain(&inputs).unwrap());
    }
}

/// For `valgrind --tool=callgrind` (instruction counts do not depend on the
/// machine's load): garbles, then evaluates, `YAO_SESSIONS` (default 10)
/// sessions of AES-128 on one plan (`YAO_EVAL_SESSIONS` evaluations, default
/// the same). Instructions per AND are the difference between two runs with
/// different session counts, divided by the extra ANDs.
#[test]
#[ignore]
fn fixed_sessions() {
    use std::sync::Arc;
    use yao_core::block::Delta;
    use yao_core::evaluator::Evaluator;
    use yao_core::garbler::Garbler;
    let n: usize = std::env::var("YAO_SESSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let n_eval: usize = std::env::var("YAO_EVAL_SESSIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(n);
    let Some(c) = common::bristol::load("bristol/aes_128.txt") else {
        return;
    };
    let plan = Arc::new(yao_core::plan::Plan::new(&c).unwrap());
    let (labels, tables) = garbled_session(&plan);
    let mut buf = Vec::with_capacity(2 * plan.max_step_ands());
    for _ in 0..n {
        let mut g = Garbler::from_plan(Arc::clone(&plan), Delta::random());
        buf.clear();
        while g.garble_batch(&mut buf) {
            buf.clear();
        }
    }
    for _ in 0..n_eval {
        let mut e = Evaluator::from_plan(Arc::clone(&plan));
        for (i, l) in labels.iter().enumerate() {
            e.set_input_labels(i, l).unwrap();
        }
        let mut pos = 0;
        while pos < tables.len() {
            let k = e.next_batch_len();
            e.eval_batch(&tables[pos..pos + k]).unwrap();
            pos += k;
        }
    }
    println!("{} ANDs: {n} garbled, {n_eval} evaluated", plan.num_ands());
}
