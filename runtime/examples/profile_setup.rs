//! Times what a fresh party process does before garbling, phase by phase:
//! parsing a Bristol circuit, validating it, its id, planning (the first
//! plan in a fresh process pays its page faults; the second does not).
//!
//! `cargo run --release -p yao-runtime --example profile_setup -- aes_128`

#[path = "../tests/common/bristol.rs"]
mod bristol;

use std::time::Instant;
use yao_core::plan::Plan;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--fingerprint") {
        return fingerprints();
    }
    let name = std::env::args().nth(1).unwrap_or_else(|| "aes_128".into());
    // Optional: plan this many more times (for `perf record`).
    let repeat: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let Some(c) = bristol::load(&format!("bristol/{name}.txt")) else {
        eprintln!("circuit {name} not found");
        return;
    };
    let parse = ms(t);
    let t = Instant::now();
    c.validate().expect("valid");
    let validate = ms(t);
    let t = Instant::now();
    let id = c.id();
    let hash = ms(t);
    let t = Instant::now();
    let plan = Plan::new(&c).expect("plan");
    let first = ms(t);
    let t = Instant::now();
    let again = Plan::new(&c).expect("plan");
    let second = ms(t);
    assert_eq!(plan.num_ands(), again.num_ands());
    for _ in 0..repeat {
        std::hint::black_box(Plan::new(&c).expect("plan"));
    }
    println!(
        "{name}: parse {parse:.2} ms, validate {validate:.2}, id {hash:.2} ({}), plan {first:.2} (again {second:.2})",
        &id.to_hex()[..8]
    );
}

/// Prints a hash of the plan of every published Bristol circuit, at the
/// default limits and at small ones, so that a planner change that must not
/// change plans can be checked: run before and after, compare.
fn fingerprints() {
    let dir = std::env::var("YAO_SHARED_CIRCUITS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/circuits").into());
    let mut names: Vec<_> = std::fs::read_dir(format!("{dir}/bristol"))
        .expect("shared circuits")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    names.sort();
    let ours = concat!(env!("CARGO_MANIFEST_DIR"), "/../circuits");
    let mut sources: Vec<_> = std::fs::read_dir(ours)
        .expect("circuits/")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yao"))
        .collect();
    sources.sort();
    let compiled = sources.into_iter().filter_map(|p| {
        let c = yao_compiler::lang::compile_file(&p).ok()?;
        Some((p.file_name()?.to_string_lossy().into_owned(), c))
    });
    let published = names.into_iter().filter_map(|n| {
        let c = bristol::load(&format!("bristol/{n}"))?;
        Some((n, c))
    });
    for (n, c) in published.chain(compiled) {
        let mut h = blake3::Hasher::new();
        for (w, s) in [(1 << 16, 256), (100, 7), (3, 1)] {
            for plan in [
                Plan::with_limits(&c, w, s),
                Plan::with_limits_wide(&c, w, s),
            ] {
                h.update(format!("{plan:?}").as_bytes());
            }
        }
        println!("{n} {}", &h.finalize().to_hex()[..16]);
    }
}
