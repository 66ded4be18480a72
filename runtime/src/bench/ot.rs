//! Correlated-OT throughput between two threads over loopback TCP.

use crate::block::{fill_random, Delta};
use crate::channel::{Channel, TcpChannel};
use crate::ot::{CotReceiver, CotSender};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// Runs base-OT setup, then batches of `n` correlated OTs for about
/// `seconds`, between a garbler thread and an evaluator thread connected over
/// TCP on 127.0.0.1. Returns (correlated OTs per second after setup, setup
/// time in milliseconds: the later of the two parties to finish).
///
/// # Panics
/// If the loopback connection or the protocol fails (a benchmark has no one
/// to report an error to).
pub fn cot_rate(n: usize, seconds: f64) -> (f64, f64) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("loopback address");
    let start = Arc::new(Barrier::new(2));
    let start2 = start.clone();
    let garbler = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept loopback");
        let mut ch = TcpChannel::new(stream, None).expect("tcp channel");
        let delta = Delta::random();
        start2.wait();
        let t0 = Instant::now();
        let mut sender = CotSender::setup(&mut ch, &delta).expect("OT setup (garbler)");
        let setup = t0.elapsed();
        // The evaluator says whether another batch follows (one byte per
        // batch: harness control, not part of the OT protocol).
        let mut more = [0u8];
        loop {
            ch.read_exact(&mut more).expect("bench control byte");
            if more[0] == 0 {
                break;
            }
            sender.extend(&mut ch, n).expect("OT extend (garbler)");
        }
        setup
    });
    let stream = TcpStream::connect(addr).expect("connect loopback");
    let mut ch = TcpChannel::new(stream, None).expect("tcp channel");
    let mut bytes = vec![0u8; n];
    fill_random(&mut bytes);
    let choices: Vec<bool> = bytes.iter().map(|b| b & 1 == 1).collect();
    start.wait();
    let t0 = Instant::now();
    let mut receiver = CotReceiver::setup(&mut ch).expect("OT setup (evaluator)");
    let setup_evaluator = t0.elapsed();
    let budget = Duration::from_secs_f64(seconds);
    let t1 = Instant::now();
    let mut done = 0usize;
    while done == 0 || t1.elapsed() < budget {
        ch.write_all(&[1]).expect("bench control byte");
        let labels = receiver.extend(&mut ch, &choices).expect("OT extend (evaluator)");
        std::hint::black_box(&labels);
        done += n;
    }
    ch.write_all(&[0]).expect("bench control byte");
    ch.flush().expect("flush");
    let setup_garbler = garbler.join().expect("garbler thread");
    // The garbler finishes the last batch after the evaluator sent it;
    // it has to have read every byte before the join returns.
    let elapsed = t1.elapsed().as_secs_f64();
    let setup = setup_garbler.max(setup_evaluator);
    (done as f64 / elapsed, setup.as_secs_f64() * 1e3)
}
