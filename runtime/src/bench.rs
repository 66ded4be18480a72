//! Correlated-OT throughput between two threads over loopback TCP.

use crate::channel::{Channel, TcpChannel};
use crate::ot::{CotReceiver, CotSender, Extension};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};
use yao_core::block::{fill_random, Delta};

/// Setups timed; the median is reported (a shared machine makes single
/// millisecond-scale timings noisy).
const SETUPS: usize = 5;

/// Runs base-OT setup, then batches of `n` correlated OTs for about
/// `seconds`, between a garbler thread and an evaluator thread connected over
/// TCP on 127.0.0.1. Returns (correlated OTs per second after setup, setup
/// time in milliseconds: until both parties are done, median of 5).
///
/// # Panics
/// If the loopback connection or the protocol fails (a benchmark has no one
/// to report an error to).
pub fn cot_rate(n: usize, seconds: f64) -> (f64, f64) {
    let r = cot_rate_with(n, seconds, Extension::Iknp);
    (r.cot_per_s, r.setup_ms)
}

/// What [`cot_rate_with`] measured.
#[derive(Clone, Copy, Debug)]
pub struct CotRate {
    /// Correlated OTs per second after setup.
    pub cot_per_s: f64,
    /// Setup time in milliseconds, until both parties are done, median of 5.
    pub setup_ms: f64,
    /// Bytes the evaluator sent per OT during extension (from its channel's
    /// traffic counter, the benchmark's one control byte per batch excluded,
    /// the 8-byte count of each `extend` included).
    pub bytes_per_ot: f64,
}

/// [`cot_rate`] for the given extension, also measuring the evaluator ->
/// garbler bytes per OT.
///
/// # Panics
/// As [`cot_rate`].
pub fn cot_rate_with(n: usize, seconds: f64, ext: Extension) -> CotRate {
    let start = Arc::new(Barrier::new(2));
    let start2 = start.clone();
    let garbler = move |mut ch: TcpChannel| {
        let delta = Delta::random();
        let mut setups = Vec::new();
        let mut sender = None;
        for _ in 0..SETUPS {
            start2.wait();
            let t0 = Instant::now();
            sender = Some(CotSender::setup_with(&mut ch, &delta, ext).expect("OT setup (garbler)"));
            setups.push(t0.elapsed());
        }
        let mut sender = sender.expect("at least one setup");
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
        setups
    };
    let evaluator = |mut ch: TcpChannel| {
        let mut bytes = vec![0u8; n];
        fill_random(&mut bytes);
        let choices: Vec<bool> = bytes.iter().map(|b| b & 1 == 1).collect();
        let mut setups = Vec::new();
        let mut receiver = None;
        for _ in 0..SETUPS {
            start.wait();
            let t0 = Instant::now();
            receiver = Some(CotReceiver::setup_with(&mut ch, ext).expect("OT setup (evaluator)"));
            setups.push(t0.elapsed());
        }
        let mut receiver = receiver.expect("at least one setup");
        let budget = Duration::from_secs_f64(seconds);
        let sent0 = ch.traffic().sent;
        let t1 = Instant::now();
        let mut done = 0usize;
        let mut batches = 0u64;
        while done == 0 || t1.elapsed() < budget {
            batches += 1;
            ch.write_all(&[1]).expect("bench control byte");
            let labels = receiver
                .extend(&mut ch, &choices)
                .expect("OT extend (evaluator)");
            std::hint::black_box(&labels);
            done += n;
        }
        let sent = ch.traffic().sent - sent0 - batches;
        ch.write_all(&[0]).expect("bench control byte");
        ch.flush().expect("flush");
        (setups, done, t1, sent)
    };
    // The garbler has consumed the last batch once `on_loopback` returns.
    let (setups_garbler, (setups, done, t1, sent)) = on_loopback(garbler, evaluator);
    let elapsed = t1.elapsed().as_secs_f64();
    CotRate {
        cot_per_s: done as f64 / elapsed,
        setup_ms: median_ms(&setups, &setups_garbler),
        bytes_per_ot: sent as f64 / done as f64,
    }
}

/// Base-OT setup as a session sees it: the garbler has prepared its first
/// message ([`CotSender::prepare`]) before the evaluator connects, so only
/// [`crate::ot::CotSenderSetup::run`] and [`CotReceiver::setup`] are timed,
/// until both parties are done, over TCP on 127.0.0.1. Median of `reps`
/// setups, in milliseconds.
///
/// # Panics
/// As [`cot_rate`].
pub fn setup_prepared_ms(reps: usize) -> f64 {
    let reps = reps.max(1);
    let start = Arc::new(Barrier::new(2));
    let start2 = start.clone();
    let garbler = move |mut ch: TcpChannel| {
        let delta = Delta::random();
        (0..reps)
            .map(|_| {
                let prepared = CotSender::prepare(&delta);
                start2.wait();
                let t0 = Instant::now();
                prepared.run(&mut ch).expect("OT setup (garbler)");
                t0.elapsed()
            })
            .collect::<Vec<_>>()
    };
    let evaluator = |mut ch: TcpChannel| {
        (0..reps)
            .map(|_| {
                start.wait();
                let t0 = Instant::now();
                CotReceiver::setup(&mut ch).expect("OT setup (evaluator)");
                t0.elapsed()
            })
            .collect::<Vec<Duration>>()
    };
    let (garbler, evaluator) = on_loopback(garbler, evaluator);
    median_ms(&evaluator, &garbler)
}

/// Runs `garbler` on a thread and `evaluator` here, each on its end of a TCP
/// connection over 127.0.0.1, and returns what both returned.
fn on_loopback<G: Send + 'static, E>(
    garbler: impl FnOnce(TcpChannel) -> G + Send + 'static,
    evaluator: impl FnOnce(TcpChannel) -> E,
) -> (G, E) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("loopback address");
    let garbler = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept loopback");
        garbler(TcpChannel::new(stream, None).expect("tcp channel"))
    });
    let stream = TcpStream::connect(addr).expect("connect loopback");
    let e = evaluator(TcpChannel::new(stream, None).expect("tcp channel"));
    (garbler.join().expect("garbler thread"), e)
}

/// The median over runs of the later party's time, in milliseconds: a
/// setup is done when both parties are.
fn median_ms(evaluator: &[Duration], garbler: &[Duration]) -> f64 {
    let mut both: Vec<Duration> = evaluator
        .iter()
        .zip(garbler)
        .map(|(e, g)| *e.max(g))
        .collect();
    both.sort_unstable();
    both[both.len() / 2].as_secs_f64() * 1e3
}
