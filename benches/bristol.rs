//! Bristol import time (on the published AES-128 and SHA-256 circuits, 0.9
//! and 3.5 MB) and plaintext evaluation speed on SHA-256 (135k gates).
//!
//! `cargo bench --bench bristol`. Import is reported per file (and in MB/s),
//! evaluation in gates per second (criterion's "elem/s"). `bristol/plan`
//! times `Plan::new` (on the evaluator's path before it connects) on
//! AES-128 and SHA-256.

use criterion::{Criterion, Throughput};
use std::hint::black_box;
use yao::compiler::bristol::{self, Options};
use yao::core::plan::Plan;

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    let Some(dir) = common::shared_circuits() else {
        return;
    };
    let text =
        std::fs::read_to_string(dir.join("bristol/sha256.txt")).expect("sha256.txt is readable");
    let options = Options::default();
    let circuit = bristol::parse("sha256", &text, &options).expect("sha256.txt imports");

    let mut c = Criterion::default().configure_from_args();

    // AES-128 is what `yao bench`'s one-shot figure imports on both sides.
    let mut group = c.benchmark_group("bristol/import");
    for name in ["aes_128.txt", "sha256.txt"] {
        let text = std::fs::read_to_string(dir.join("bristol").join(name))
            .expect("the circuit is readable");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| bristol::parse(name, black_box(&text), &options).unwrap())
        });
    }
    group.finish();

    // A fixed, non-trivial input: the "abc" block and the SHA-256 IV.
    let inputs: Vec<Vec<bool>> = circuit
        .inputs
        .iter()
        .enumerate()
        .map(|(k, i)| {
            (0..i.wires.len())
                .map(|j| (j * 7 + k * 3) % 5 < 2)
                .collect()
        })
        .collect();
    let mut group = c.benchmark_group("bristol/eval_plain");
    group.throughput(Throughput::Elements(circuit.gates.len() as u64));
    group.bench_function("sha256.txt", |b| {
        b.iter(|| circuit.eval_plain(black_box(&inputs)).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("bristol/export");
    group.throughput(Throughput::Elements(circuit.gates.len() as u64));
    group.bench_function("sha256.txt", |b| {
        b.iter(|| bristol::export(black_box(&circuit)))
    });
    group.finish();

    let mut group = c.benchmark_group("bristol/plan");
    for name in ["aes_128.txt", "sha256.txt"] {
        let text = std::fs::read_to_string(dir.join("bristol").join(name))
            .expect("the circuit is readable");
        let circuit = bristol::parse(name, &text, &options).expect("the circuit imports");
        group.throughput(Throughput::Elements(circuit.gates.len() as u64));
        group.bench_function(name, |b| b.iter(|| Plan::new(black_box(&circuit)).unwrap()));
    }
    group.finish();

    c.final_summary();
}
