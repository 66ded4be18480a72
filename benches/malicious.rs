//! The malicious-security preprocessing, both parties in one thread
//! (`yao_core::auth::in_process`: no network, every message through its wire
//! encoding): KOS15-checked correlated OTs per second, and authenticated AND
//! triples per second at the bucket sizes of a small and a large circuit;
//! and the runtime driver between two threads, setup included. Each for the
//! OT extensions under the KOS15 check: IKNP (`k = 1`, the unsuffixed
//! names) and SoftSpokenOT with `k = 4` and `k = 8` (`_k4`, `_k8`).
//! Bytes per triple (both directions) are printed once per size.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use yao_core::auth::bucket::bucket_size;
use yao_core::auth::in_process::{Pair, Tamper};
use yao_core::auth::kos::TreeSetupMsg;

/// The SoftSpokenOT parameters measured (1: IKNP).
const KS: [usize; 3] = [1, 4, 8];

/// A bench name's suffix for `k`: none for IKNP, which keeps its old names.
fn suffix(k: usize) -> String {
    if k == 1 {
        String::new()
    } else {
        format!("_k{k}")
    }
}

fn random_bits(n: usize) -> Vec<bool> {
    (0..n).map(|i| (i * 0x9e37_79b9) >> 7 & 1 == 1).collect()
}

fn cots(c: &mut Criterion) {
    let mut g = c.benchmark_group("malicious");
    g.sample_size(10);
    for k in KS {
        let mut pair = Pair::with_k(k);
        for n in [1 << 12, 1 << 18] {
            let choices = random_bits(n);
            g.throughput(Throughput::Elements(n as u64));
            g.bench_function(format!("kos_cot{}/{n}", suffix(k)), |b| {
                b.iter(|| pair.cots(&choices).unwrap())
            });
        }
    }
    g.finish();
}

fn triples(c: &mut Criterion) {
    let mut g = c.benchmark_group("malicious");
    g.sample_size(10);
    // 6,800 ANDs (AES-128, B = 4) and 2^19 (B = 3).
    for (k, ands) in KS.into_iter().flat_map(|k| [(k, 6_800), (k, 1 << 19)]) {
        g.throughput(Throughput::Elements(ands as u64));
        // Set up (and the bytes counted) on the first call, so a
        // filtered-out size costs nothing.
        let mut pair: Option<Pair> = None;
        let name = format!("triples{}/{ands}", suffix(k));
        g.bench_function(&name, |b| {
            let pair = pair.get_or_insert_with(|| {
                let mut pair = Pair::with_k(k);
                pair.triples(ands, Tamper::None).unwrap();
                eprintln!(
                    "malicious/{name}: B = {}, {:.1} bytes per triple (both directions; \
                     the once-per-session tree setup, {} bytes both ways, not included)",
                    bucket_size(ands),
                    pair.bytes as f64 / ands as f64,
                    if k == 1 {
                        0
                    } else {
                        2 * TreeSetupMsg::len_for(k)
                    },
                );
                pair
            });
            b.iter(|| pair.triples(ands, Tamper::None).unwrap())
        });
    }
    g.finish();
}

/// The runtime driver (`yao_runtime::preprocess`) with the two parties in
/// two threads over an in-process channel: one run from setup (base OTs
/// both ways) to triples, as a session would do it. Unlike the in-process
/// pair above, the driver serves a request in bounded batches and groups
/// (`yao_core::auth::schedule`), so its memory stays bounded.
fn two_threads(c: &mut Criterion) {
    use std::thread;
    use yao_core::auth::Role;
    use yao_runtime::preprocess::Preprocessor;
    use yao_runtime::MemChannel;
    let mut g = c.benchmark_group("malicious");
    g.sample_size(10);
    for (k, ands) in KS.into_iter().flat_map(|k| [(k, 6_800), (k, 1 << 19)]) {
        g.throughput(Throughput::Elements(ands as u64));
        g.bench_function(format!("two_threads_with_setup{}/{ands}", suffix(k)), |b| {
            b.iter(|| {
                let (mut ca, mut cb) = MemChannel::pair();
                let a = thread::spawn(move || {
                    let mut p = Preprocessor::setup_with_k(&mut ca, Role::A, k).unwrap();
                    p.triples(&mut ca, ands).unwrap().len()
                });
                let mut p = Preprocessor::setup_with_k(&mut cb, Role::B, k).unwrap();
                let n = p.triples(&mut cb, ands).unwrap().len();
                assert_eq!(a.join().unwrap(), n);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, cots, triples, two_threads);
criterion_main!(benches);
