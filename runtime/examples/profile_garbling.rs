//! A steady loop for profilers (`perf stat`, `perf record`, callgrind):
//! garbles or evaluates one Bristol circuit over and over.
//!
//! `cargo run --release -p yao-runtime --example profile_garbling -- garble aes_128 20000`
//! (mode `garble` or `eval`, a circuit under `bristol/` of the shared circuits,
//! sessions; mode `free` runs the plan's free gates alone for that many
//! milliseconds; mode `dump` prints the free gates, a line `S` per step and
//! then `out in_1 .. in_k` in slots per gate, for experiments on the runner). Prints AND gates per second and the plan's shape.

#[path = "../tests/common/bristol.rs"]
mod bristol;

use std::sync::Arc;
use std::time::Instant;
use yao_core::bench::garbled_session;
use yao_core::evaluator::Evaluator;
use yao_core::garbler::Garbler;
use yao_core::plan::Plan;
use yao_core::{Block, Delta};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("garble", |s| s.as_str());
    if mode == "kernel" {
        for step in [16, 64, 128, 256] {
            let (g, e) = yao_core::bench::kernel_rates(1.0, step);
            println!("kernel.step{step}: garble {g:.4e} eval {e:.4e}");
        }
        return;
    }
    let name = args.get(2).map_or("aes_128", |s| s.as_str());
    let n: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let Some(c) = bristol::load(&format!("bristol/{name}.txt")) else {
        eprintln!("circuit {name} not found");
        return;
    };
    if mode == "free" {
        let secs = n as f64 / 1000.0;
        let r = yao_core::bench::free_gate_rate(&c, secs);
        println!("free.{name}.ops_per_s: {r:.4e} ({:.3} ns per op)", 1e9 / r);
        return;
    }
    let plan = Arc::new(Plan::new(&c).expect("plan"));
    let ands = plan.num_ands();
    if mode == "dump" {
        let mut out = format!("{}\n", plan.num_slots());
        for f in std::iter::once(plan.prelude())
            .chain((0..plan.num_steps()).filter_map(|i| plan.step(i).map(|s| s.frees)))
        {
            out.push_str("S\n");
            for (o, ins) in f.gates() {
                out.push_str(&format!("{o}"));
                for i in ins {
                    out.push_str(&format!(" {i}"));
                }
                out.push('\n');
            }
        }
        print!("{out}");
        return;
    }
    let mut arity = [0u64; 8];
    let mut segments = 0;
    for f in std::iter::once(plan.prelude())
        .chain((0..plan.num_steps()).filter_map(|i| plan.step(i).map(|s| s.frees)))
    {
        for s in f.segments() {
            segments += 1;
            arity[s.arity] += s.len() as u64;
        }
    }
    let flipped: usize = (0..plan.num_steps())
        .filter_map(|i| plan.step(i))
        .map(|s| s.ands.iter().filter(|g| g.flip_a || g.flip_b).count())
        .sum();
    eprintln!("{name}: {flipped} ANDs with a flipped input");
    let (mut fresh_steps, mut fresh_ands) = (0, 0);
    for s in (0..plan.num_steps()).filter_map(|i| plan.step(i)) {
        if s.mostly_fresh() {
            fresh_steps += 1;
            fresh_ands += s.ands.len();
        }
    }
    eprintln!(
        "{name}: {fresh_ands} ANDs in {fresh_steps} steps whose inputs are mostly read first"
    );
    eprintln!(
        "{name}: {ands} ANDs, {} steps, {} slots, {} pi slots, {} pi, {} free ops in {segments} segments, by arity {:?}",
        plan.num_steps(),
        plan.num_slots(),
        plan.num_pi_slots(),
        plan.num_pi(),
        plan.num_free_ops(),
        &arity[2..=yao_core::plan::MAX_XOR_ARITY],
    );
    let t = Instant::now();
    let cpu = cpu_ns();
    // Each session's time: on a shared machine the fast sessions are the
    // ones nobody disturbed.
    let mut times: Vec<f64> = Vec::with_capacity(n as usize);
    let mut lap = Instant::now();
    let mut timed = || {
        times.push(lap.elapsed().as_secs_f64());
        lap = Instant::now();
    };
    match mode {
        "garble" => {
            let mut buf = vec![Block::ZERO; 2 * plan.max_step_ands()];
            for _ in 0..n {
                let mut g = Garbler::from_plan(Arc::clone(&plan), Delta::random());
                while g.garble_batch_into(&mut buf).is_ok_and(|n| n > 0) {}
                std::hint::black_box(g.decoding_bits());
                timed();
            }
        }
        "eval" => {
            let (labels, tables) = garbled_session(&plan);
            for _ in 0..n {
                let mut e = Evaluator::from_plan(Arc::clone(&plan));
                for (k, l) in labels.iter().enumerate() {
                    e.set_input_labels(k, l).expect("labels");
                }
                let mut pos = 0;
                loop {
                    let m = e.next_batch_len();
                    if m == 0 {
                        break;
                    }
                    e.eval_batch(&tables[pos..pos + m]).expect("batch");
                    pos += m;
                }
                std::hint::black_box(&e);
                timed();
            }
        }
        _ => {
            eprintln!("mode: garble or eval");
            return;
        }
    }
    let s = t.elapsed().as_secs_f64();
    let c = cpu_ns().zip(cpu).map(|(b, a)| (b - a) as f64 * 1e-9);
    times.sort_by(f64::total_cmp);
    let p10 = times.get(times.len() / 10).copied().unwrap_or(f64::NAN);
    println!(
        "{mode}.{name}.and_per_s: {:.4e} (per CPU second: {:.4e}, fastest decile of sessions: {:.4e})",
        (n * ands) as f64 / s,
        c.map_or(0.0, |c| (n * ands) as f64 / c),
        ands as f64 / p10
    );
}

/// Nanoseconds this thread has run on a CPU (Linux schedstat), so that
/// other jobs on a shared machine distort the figure less than wall time.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}
