//! A steady loop for profilers (`perf stat`, `perf record`, callgrind):
//! garbles or evaluates one Bristol circuit over and over.
//!
//! `cargo run --release -p yao-runtime --example profile_garbling -- garble aes_128 20000`
//! (mode `garble` or `eval`, a circuit under `bristol/` of the shared circuits,
//! sessions). Prints AND gates per second and the plan's shape.

#[path = "../tests/common/bristol.rs"]
mod bristol;

use std::sync::Arc;
use std::time::Instant;
use yao_runtime::bench::garbling::garbled_session;
use yao_runtime::evaluator::Evaluator;
use yao_runtime::garbler::Garbler;
use yao_runtime::plan::Plan;
use yao_runtime::Delta;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("garble", |s| s.as_str());
    if mode == "kernel" {
        for step in [16, 64, 128, 256] {
            let (g, e) = yao_runtime::bench::garbling::kernel_rates(1.0, step);
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
    let plan = Arc::new(Plan::new(&c).expect("plan"));
    let ands = plan.num_ands();
    let mut arity = [0u64; 8];
    let mut segments = 0;
    for f in std::iter::once(plan.prelude())
        .chain((0..plan.num_steps()).filter_map(|i| plan.step(i).map(|s| s.frees)))
    {
        for s in f.segments() {
            segments += 1;
            arity[s.arity] += (s.body.len() / (s.arity + 1)) as u64;
        }
    }
    let flipped: usize = (0..plan.num_steps())
        .filter_map(|i| plan.step(i))
        .map(|s| s.ands.iter().filter(|g| g.flip_a || g.flip_b).count())
        .sum();
    eprintln!("{name}: {flipped} ANDs with a flipped input");
    eprintln!(
        "{name}: {ands} ANDs, {} steps, {} slots, {} pi slots, {} pi, {} free ops in {segments} segments, by arity {:?}",
        plan.num_steps(),
        plan.num_slots(),
        plan.num_pi_slots(),
        plan.num_pi(),
        plan.num_free_ops(),
        &arity[2..=yao_runtime::plan::MAX_XOR_ARITY],
    );
    let t = Instant::now();
    let cpu = cpu_ns();
    match mode {
        "garble" => {
            let mut buf = Vec::with_capacity(2 * plan.max_step_ands());
            for _ in 0..n {
                let mut g = Garbler::from_plan(Arc::clone(&plan), Delta::random());
                loop {
                    buf.clear();
                    if !g.garble_batch(&mut buf) {
                        break;
                    }
                }
                std::hint::black_box(g.decoding_bits());
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
            }
        }
        _ => {
            eprintln!("mode: garble or eval");
            return;
        }
    }
    let s = t.elapsed().as_secs_f64();
    let c = cpu_ns().zip(cpu).map(|(b, a)| (b - a) as f64 * 1e-9);
    println!(
        "{mode}.{name}.and_per_s: {:.4e} (per CPU second: {:.4e})",
        (n * ands) as f64 / s,
        c.map_or(0.0, |c| (n * ands) as f64 / c)
    );
}

/// Nanoseconds this thread has run on a CPU (Linux schedstat), so that
/// other jobs on a shared machine distort the figure less than wall time.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}
