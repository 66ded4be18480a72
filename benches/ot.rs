//! Correlated OT between two threads over loopback TCP: base-OT setup latency
//! and extension throughput (OTs per second after setup).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};
use yao_core::Delta;
use yao_runtime::ot::{CotReceiver, CotSender};
use yao_runtime::{Channel, TcpChannel};

fn tcp_pair() -> (TcpChannel, TcpChannel) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = thread::spawn(move || TcpChannel::new(listener.accept().unwrap().0, None).unwrap());
    let b = TcpChannel::new(TcpStream::connect(addr).unwrap(), None).unwrap();
    (t.join().unwrap(), b)
}

fn setup(c: &mut Criterion) {
    let mut g = c.benchmark_group("ot");
    g.sample_size(20);
    g.bench_function("base_setup_128", |b| {
        b.iter_custom(|iters| {
            let (mut ga, mut ev) = tcp_pair();
            let garbler = thread::spawn(move || {
                let delta = Delta::random();
                for _ in 0..iters {
                    CotSender::setup(&mut ga, &delta).unwrap();
                }
            });
            let t0 = Instant::now();
            for _ in 0..iters {
                CotReceiver::setup(&mut ev).unwrap();
            }
            garbler.join().unwrap();
            t0.elapsed()
        })
    });
    // As a session sees it: the garbler's first message is made before the
    // evaluator connects (`CotSender::prepare`), outside the timing.
    g.bench_function("base_setup_128_prepared", |b| {
        b.iter_custom(|iters| {
            let (mut ga, mut ev) = tcp_pair();
            let delta = Delta::random();
            let mut prepared: Vec<_> = (0..iters).map(|_| CotSender::prepare(&delta)).collect();
            let garbler = thread::spawn(move || {
                for p in prepared.drain(..) {
                    p.run(&mut ga).unwrap();
                }
            });
            let t0 = Instant::now();
            for _ in 0..iters {
                CotReceiver::setup(&mut ev).unwrap();
            }
            garbler.join().unwrap();
            t0.elapsed()
        })
    });
    g.finish();
}

fn extend(c: &mut Criterion) {
    let mut g = c.benchmark_group("ot");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(5));
    for n in [1 << 16, 1 << 20] {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("cot_extend_{n}"), |b| {
            let choices: Vec<bool> = (0..n).map(|i| (i * 7919) % 3 == 0).collect();
            b.iter_custom(|iters| {
                let (mut ga, mut ev) = tcp_pair();
                let garbler = thread::spawn(move || {
                    let mut s = CotSender::setup(&mut ga, &Delta::random()).unwrap();
                    let mut go = [0u8];
                    ga.read_exact(&mut go).unwrap();
                    for _ in 0..iters {
                        std::hint::black_box(s.extend(&mut ga, n).unwrap());
                    }
                });
                let mut r = CotReceiver::setup(&mut ev).unwrap();
                ev.write_all(&[1]).unwrap();
                let t0 = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(r.extend(&mut ev, &choices).unwrap());
                }
                garbler.join().unwrap();
                t0.elapsed()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, setup, extend);
criterion_main!(benches);
