//! End to end over loopback TCP (two threads of one process): AES-128
//! executions one at a time in one session, the same as one pipelined
//! stream (`execute_pipelined`), and one whole session (handshake, base OTs,
//! one execution). The `yao bench` command measures the same with
//! the two parties as separate processes.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};
use yao_runtime::protocol::{EvaluatorSession, GarblerSession};
use yao_runtime::TcpChannel;

#[path = "../tests/common/mod.rs"]
mod common;

fn tcp_pair() -> (TcpChannel, TcpChannel) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = thread::spawn(move || TcpChannel::new(listener.accept().unwrap().0, None).unwrap());
    let b = TcpChannel::new(TcpStream::connect(addr).unwrap(), None).unwrap();
    (t.join().unwrap(), b)
}

fn e2e(c: &mut Criterion) {
    let Some(circuit) = common::load("bristol/aes_128.txt") else {
        return;
    };
    let g_in = vec![vec![true; 128]];
    let e_in = vec![vec![false; 128]];
    let mut group = c.benchmark_group("e2e_aes128");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(circuit.stats().and));
    group.bench_function("execution_in_session", |b| {
        b.iter_custom(|iters| {
            let (ga, ev) = tcp_pair();
            thread::scope(|s| {
                s.spawn(|| {
                    let mut g = GarblerSession::start(ga, &circuit).unwrap();
                    for _ in 0..iters {
                        g.execute(&g_in).unwrap();
                    }
                    g.finish().unwrap();
                });
                let mut e = EvaluatorSession::start(ev, &circuit).unwrap();
                let t0 = Instant::now();
                for _ in 0..iters {
                    e.execute(&e_in).unwrap();
                }
                let elapsed = t0.elapsed();
                e.finish().unwrap();
                elapsed
            })
        })
    });
    group.bench_function("stream_in_session", |b| {
        b.iter_custom(|iters| {
            let (ga, ev) = tcp_pair();
            let n = iters as usize;
            thread::scope(|s| {
                s.spawn(|| {
                    let mut g = GarblerSession::start(ga, &circuit).unwrap();
                    g.execute_pipelined(std::iter::repeat_n(&g_in, n), |_| {})
                        .unwrap();
                    g.finish().unwrap();
                });
                let mut e = EvaluatorSession::start(ev, &circuit).unwrap();
                let t0 = Instant::now();
                e.execute_pipelined(std::iter::repeat_n(&e_in, n), |_| {})
                    .unwrap();
                let elapsed = t0.elapsed();
                e.finish().unwrap();
                elapsed
            })
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("whole_session", |b| {
        b.iter_custom(|iters| {
            let t0 = Instant::now();
            for _ in 0..iters {
                let (ga, ev) = tcp_pair();
                thread::scope(|s| {
                    s.spawn(|| {
                        let mut g = GarblerSession::start(ga, &circuit).unwrap();
                        g.execute(&g_in).unwrap();
                        g.finish().unwrap();
                    });
                    let mut e = EvaluatorSession::start(ev, &circuit).unwrap();
                    e.execute(&e_in).unwrap();
                    e.finish().unwrap();
                });
            }
            t0.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, e2e);
criterion_main!(benches);
