//! Authenticated garbling (WRK17, `yao_core::auth::online`) of AES-128,
//! both parties in one thread (`yao_core::auth::online_harness`: no network,
//! every message through its wire encoding): the online phase alone (masks
//! derandomized, inputs, garbling, evaluation with every MAC check,
//! outputs), and one whole run with its preprocessing (shares and triples,
//! base OTs excluded). Online bytes per AND (both directions) are printed.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::time::Duration;
use yao_core::auth::online_harness::{Cheat, Session};

#[path = "../tests/common/mod.rs"]
mod common;

fn online(c: &mut Criterion) {
    let Some(circuit) = common::load("bristol/aes_128.txt") else {
        return;
    };
    let ands = circuit.stats().and;
    let (key, plaintext) = (vec![true; 128], vec![false; 128]);
    let mut session = Session::new();
    session
        .run(&circuit, &key, &plaintext, Cheat::None)
        .expect("honest run");
    eprintln!(
        "auth_garbling/aes128: {ands} ANDs, online {:.1} bytes per AND (both directions)",
        session.online_bytes as f64 / ands as f64
    );
    let mut g = c.benchmark_group("auth_garbling_aes128");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(ands));
    let session = std::cell::RefCell::new(session);
    g.bench_function("online", |b| {
        b.iter_batched(
            || {
                session
                    .borrow_mut()
                    .prepare(&circuit)
                    .expect("preprocessing")
            },
            |p| {
                session
                    .borrow_mut()
                    .online(&circuit, p, &key, &plaintext, Cheat::None)
                    .expect("honest run")
            },
            BatchSize::PerIteration,
        )
    });
    let mut session = session.into_inner();
    g.bench_function("preprocessing_and_online", |b| {
        b.iter(|| {
            session
                .run(&circuit, &key, &plaintext, Cheat::None)
                .expect("honest run")
        })
    });
    g.finish();
}

criterion_group!(benches, online);
criterion_main!(benches);
