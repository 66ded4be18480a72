//! AND gates per second of the streaming path (`yao_core::window`, the
//! Bristol file read window by window and planned on the fly, every
//! execution) against the in-memory path (one `Plan` built once, as `yao
//! bench` measures), garbling and evaluating in one process, no channel.
//!
//! ```sh
//! cargo run --release -p yao-runtime --example windowed_rate [REPS [FILE]]
//! ```
//!
//! With `FILE`, a Bristol file of any size, only its streaming rates are
//! measured (the circuit is never loaded whole).

use std::sync::Arc;
use std::time::Instant;
use yao_compiler::bristol::{parse, Options};
use yao_compiler::bristol_windowed::WindowedBristol;
use yao_core::evaluator::Evaluator;
use yao_core::garbler::Garbler;
use yao_core::plan::Plan;
use yao_core::window::{
    for_each_window, WindowEvaluator, WindowGarbler, WindowPlanner, WindowRunError, WINDOW,
};
use yao_core::{Block, Delta};

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    if let Some(file) = std::env::args().nth(2) {
        let s = WindowedBristol::open(file.as_ref(), &Options::default()).unwrap();
        let (g, e) = stream_rates(&s, reps);
        println!(
            "{file}: streaming (read + plan + garble) garble {:.2} M/s, eval {:.2} M/s",
            g / 1e6,
            e / 1e6
        );
        return;
    }
    let dir = std::env::var("YAO_SHARED_CIRCUITS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/circuits").into());
    for name in ["aes_128", "sha256"] {
        let path = format!("{dir}/bristol/{name}.txt");
        let text = std::fs::read_to_string(&path).expect("the shared circuits");
        let c = parse(name, &text, &Options::default()).unwrap();
        let delta = Delta::random();

        // In memory: the plan is built once.
        let plan = Arc::new(Plan::new(&c).unwrap());
        let ands = plan.num_ands();
        let mut buf = vec![Block::ZERO; 2 * ands as usize];
        let garble = |buf: &mut Vec<Block>| {
            let mut g = Garbler::from_plan(Arc::clone(&plan), delta.clone());
            let mut at = 0;
            loop {
                let n = g.garble_batch_into(&mut buf[at..]).unwrap();
                if n == 0 {
                    break;
                }
                at += n;
            }
        };
        garble(&mut buf);
        let t = Instant::now();
        for _ in 0..reps {
            garble(&mut buf);
        }
        let mem_g = (reps as f64 * ands as f64) / t.elapsed().as_secs_f64();
        let t = Instant::now();
        for _ in 0..reps {
            let mut e = Evaluator::from_plan(Arc::clone(&plan));
            for (k, i) in c.inputs.iter().enumerate() {
                e.set_input_labels(k, &vec![Block::ZERO; i.wires.len()])
                    .unwrap();
            }
            let mut at = 0;
            while e.next_batch_len() > 0 {
                let n = e.next_batch_len();
                e.eval_batch(&buf[at..at + n]).unwrap();
                at += n;
            }
        }
        let mem_e = (reps as f64 * ands as f64) / t.elapsed().as_secs_f64();
        // In memory, one shot: import, plan and garble every time.
        let t = Instant::now();
        for _ in 0..reps {
            let c = parse(name, &text, &Options::default()).unwrap();
            let plan = Arc::new(Plan::new(&c).unwrap());
            let mut g = Garbler::from_plan(plan, delta.clone());
            let mut at = 0;
            while g.garble_batch_into(&mut buf[at..]).unwrap() > 0 {
                at = 0;
            }
        }
        let mem_once = (reps as f64 * ands as f64) / t.elapsed().as_secs_f64();

        // Streaming: the gate pass, window planning and the kernels, every
        // execution; the one-time scan is timed on its own.
        let t = Instant::now();
        let s = WindowedBristol::from_bytes(name, text.as_bytes().to_vec(), &Options::default())
            .unwrap();
        let scan = t.elapsed();
        let (st_g, st_e) = stream_rates(&s, reps);
        println!(
            "{name}: ANDs {ands}; in-memory (plan built once) garble {:.1} M/s, \
             eval {:.1} M/s; in-memory one shot (import + plan + garble) {:.2} M/s; \
             streaming (read + plan + garble) garble {:.2} M/s, eval {:.2} M/s; \
             scan (once per file) {:.1} ms",
            mem_g / 1e6,
            mem_e / 1e6,
            mem_once / 1e6,
            st_g / 1e6,
            st_e / 1e6,
            scan.as_secs_f64() * 1e3
        );
    }
}

/// Garbling and evaluating AND gates per second of the streaming path on
/// `s`, `reps` executions each (tables kept in memory between the two).
fn stream_rates(s: &WindowedBristol, reps: usize) -> (f64, f64) {
    let delta = Delta::random();
    let mut tables: Vec<u8> = Vec::new();
    let garble_stream = |keep: bool, tables: &mut Vec<u8>| -> u64 {
        let (mut planner, slots) =
            WindowPlanner::new(s.inputs(), s.num_gates(), |w| s.input_used(w));
        let mut g = WindowGarbler::new(delta.clone());
        let zero: Vec<Vec<Block>> = slots.iter().map(|v| vec![Block::ZERO; v.len()]).collect();
        g.set_inputs(&slots, &zero);
        let mut n = 0u64;
        for_each_window::<WindowRunError>(s, WINDOW, &mut planner, |w| {
            n += w.plan.num_ands();
            g.run_window(w, &mut |t: &[u8], _ands: u64| {
                if keep {
                    tables.extend_from_slice(t);
                }
                Ok::<(), WindowRunError>(())
            })
        })
        .unwrap();
        n
    };
    let s_ands = garble_stream(true, &mut tables);
    let t = Instant::now();
    for _ in 0..reps {
        garble_stream(false, &mut tables);
    }
    let st_g = (reps as f64 * s_ands as f64) / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..reps {
        let (mut planner, slots) =
            WindowPlanner::new(s.inputs(), s.num_gates(), |w| s.input_used(w));
        let mut e = WindowEvaluator::new();
        let zero: Vec<Vec<Block>> = slots.iter().map(|v| vec![Block::ZERO; v.len()]).collect();
        e.set_inputs(&slots, &zero);
        let mut at = 0;
        for_each_window::<WindowRunError>(s, WINDOW, &mut planner, |w| {
            e.run_window(w, &mut |t: &mut [u8], _ands: u64| {
                t.copy_from_slice(&tables[at..at + t.len()]);
                at += t.len();
                Ok::<(), WindowRunError>(())
            })
        })
        .unwrap();
    }
    let st_e = (reps as f64 * s_ands as f64) / t.elapsed().as_secs_f64();
    (st_g, st_e)
}
