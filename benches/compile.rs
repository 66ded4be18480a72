//! Compile time of every DSL circuit in `circuits/`: lexing, parsing, type
//! checking, lowering with folding and hashing, dead-gate removal and
//! scheduling, i.e. exactly what `yao compile` does.
//!
//! Also the front end of a large program, the 16x16 matrix product of u32
//! (4,186,368 ANDs): compiling it (into memory, and streamed into a
//! `.yaoc` file as `yao compile --emit compiled` does), loading its
//! compiled form and planning it, the costs a party pays before the
//! first AND.
//!
//! Run: `cargo bench --bench compile`.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::PathBuf;
use yao_compiler::compiled;
use yao_compiler::lang::{compile_file, compile_file_into, compile_str, Limits};
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

/// The 16x16 matrix product of u32 of issue 20 (`benches/matmul16.yao`).
pub const MATMUL16: &str = include_str!("matmul16.yao");

fn front_end(c: &mut Criterion) {
    let mut group = c.benchmark_group("matmul16");
    group.sample_size(10);
    group.bench_function("compile", |b| {
        b.iter(|| compile_str("matmul", black_box(MATMUL16)).expect("compiles"))
    });
    // What `yao compile mm.yao --emit compiled -o mm.yaoc` does: the gates
    // streamed into the file, never held.
    let dir = std::env::temp_dir().join(format!("yao-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let source = dir.join("matmul.yao");
    std::fs::write(&source, MATMUL16).expect("source written");
    let out = dir.join("matmul.yaoc");
    group.bench_function("compile_to_file", |b| {
        b.iter(|| {
            let writer = compiled::FileWriter::new(&out);
            let s =
                compile_file_into(black_box(&source), Limits::default(), writer).expect("compiles");
            s.gates.finish(&s.interface).expect("written")
        })
    });
    let _ = std::fs::remove_dir_all(&dir);
    let circuit = compile_str("matmul", MATMUL16).expect("compiles");
    let bytes = compiled::to_bytes(&circuit);
    group.bench_function("load_compiled", |b| {
        b.iter(|| compiled::from_bytes(black_box(&bytes)).expect("loads"))
    });
    group.bench_function("plan", |b| {
        b.iter(|| yao_core::plan::Plan::new(black_box(&circuit)).expect("plans"))
    });
    group.finish();
}

criterion_group!(benches, compile, front_end);
criterion_main!(benches);
