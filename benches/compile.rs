//! Compile time of every DSL circuit in `circuits/`: lexing, parsing, type
//! checking, lowering with folding and hashing, dead-gate removal and
//! scheduling, i.e. exactly what `yao compile` does.
//!
//! Run: `cargo bench --bench compile`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::PathBuf;
use yao_compiler::lang::compile_file;
use yao_compiler::optimize::optimize;

fn circuits() -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/circuits"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("circuits/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yao"))
        .collect();
    files.sort();
    files
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    for path in circuits() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        group.bench_function(&name, |b| {
            b.iter(|| compile_file(black_box(&path)).expect("circuit compiles"))
        });
    }
    group.finish();
    // The optimizer alone, on the largest circuit (what a Bristol import pays).
    let sha = circuits().into_iter().find(|p| p.ends_with("sha256.yao"));
    if let Some(path) = sha {
        let circuit = compile_file(&path).expect("sha256 compiles");
        c.bench_function("optimize/sha256", |b| {
            b.iter(|| optimize(black_box(&circuit)))
        });
    }
}

criterion_group!(benches, compile);
criterion_main!(benches);
