//! Times `Plan::new` (and the circuit id) on a compiled circuit (`.yaoc`),
//! in CPU time and page faults of this process, and prints a digest of the plan (its full `Debug`
//! dump) so that a planner change that must not change plans can be checked.
//! Writes the file first if it does not exist, from the matmul16 program
//! (`benches/matmul16.yao`, issue 20).
//!
//! `cargo run --release -p yao-runtime --example plan_probe -- FILE [RUNS]`

use std::io::Write;
use yao_core::plan::Plan;

/// The 16x16 matrix product of u32 of issue 20, the program `benches/compile.rs` measures.
const MATMUL16: &str = include_str!("../../benches/matmul16.yao");

/// (user seconds, system seconds, minor faults) of this process so far.
fn usage() -> (f64, f64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')').
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    // minflt is field 10, utime 14, stime 15 (1-based); `f[0]` is field 3.
    (num(11) as f64 / 100.0, num(12) as f64 / 100.0, num(7))
}

/// `io::Write` into a blake3 hasher, so a large `Debug` dump is never held.
struct Digest(blake3::Hasher);

impl Write for Digest {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.update(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "/tmp/matmul16.yaoc".into());
    let runs: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    if !std::path::Path::new(&path).exists() {
        let c = yao_compiler::lang::compile_str("matmul", MATMUL16).expect("compiles");
        std::fs::write(&path, yao_compiler::compiled::to_bytes(&c)).expect("writes");
    }
    let bytes = std::fs::read(&path).expect("reads");
    let c = yao_compiler::compiled::from_bytes(&bytes).expect("loads");
    drop(bytes);
    // What a session setup paid for the id before it was carried from the
    // load (see `ir::Identified`).
    let (u0, s0, _) = usage();
    let id = c.id();
    let (u1, s1, _) = usage();
    println!(
        "id {}: user {:.2} s, sys {:.2} s",
        &id.to_hex()[..8],
        u1 - u0,
        s1 - s0
    );
    let mut plan = None;
    for _ in 0..runs {
        drop(plan.take());
        let (u0, s0, f0) = usage();
        let t = std::time::Instant::now();
        plan = Some(Plan::new(&c).expect("plans"));
        let wall = t.elapsed().as_secs_f64();
        let (u1, s1, f1) = usage();
        println!(
            "plan: wall {wall:.3} s, user {:.2} s, sys {:.2} s, faults {}",
            u1 - u0,
            s1 - s0,
            f1 - f0
        );
    }
    if let Some(p) = plan {
        let mut d = Digest(blake3::Hasher::new());
        write!(d, "{p:?}").expect("hashes");
        println!("ands {} digest {}", p.num_ands(), d.0.finalize().to_hex());
    }
}
