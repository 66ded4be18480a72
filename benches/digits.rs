//! The digit classifier of `circuits/digits_mlp.yao` (a 64-32-10 network,
//! 68,606 ANDs): compiling it, classifying one image in a running session
//! over loopback TCP, and one whole session of one image (handshake, base
//! OTs, one execution). `cargo run --release --example private_inference`
//! prints the same figures over the whole test set.

use criterion::{criterion_group, criterion_main, Criterion};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};
use yao::{Party, Session};

// The example's loading code; its `main` is the example's own.
#[allow(dead_code)]
#[path = "../examples/private_inference.rs"]
mod private_inference;

use private_inference::{circuit, classify, image, model, TestSet};

fn digits(c: &mut Criterion) {
    let circuit = circuit().unwrap();
    let model = model(&circuit).unwrap();
    let test = TestSet::load().unwrap();
    let one = image(&circuit, &test.images[0]).unwrap();
    let mut group = c.benchmark_group("digits_mlp");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("compile", |b| {
        b.iter(|| private_inference::circuit().unwrap())
    });
    group.bench_function("image_in_session", |b| {
        b.iter_custom(|iters| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            thread::scope(|s| {
                s.spawn(|| {
                    let stream = listener.accept().unwrap().0;
                    let mut g = Session::start(stream, &circuit, Party::Garbler).unwrap();
                    for _ in 0..iters {
                        g.execute(&model).unwrap();
                    }
                    g.finish().unwrap();
                });
                let stream = TcpStream::connect(addr).unwrap();
                let mut e = Session::start(stream, &circuit, Party::Evaluator).unwrap();
                let t0 = Instant::now();
                for _ in 0..iters {
                    e.execute(&one).unwrap();
                }
                let elapsed = t0.elapsed();
                e.finish().unwrap();
                elapsed
            })
        })
    });
    group.bench_function("whole_session", |b| {
        b.iter(|| classify(&circuit, &model, std::slice::from_ref(&one)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, digits);
criterion_main!(benches);
