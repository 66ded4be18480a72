//! The malicious-security preprocessing serves a request larger than its
//! limits in several batches and bucketing groups: the output is still
//! correct with valid MACs, no message is larger than one batch needs, and
//! parties whose limits differ are refused rather than left with wrong
//! triples.

use std::thread;
use yao_core::auth::kos::{extend_msg_len, TreeSetupMsg};
use yao_core::auth::schedule::{Limits, Schedule};
use yao_core::auth::triple::Triple;
use yao_core::auth::Role;
use yao_core::Block;
use yao_runtime::preprocess::{PreprocessError, Preprocessor, DEFAULT_OT_K};
use yao_runtime::{Channel, ChannelError, MemChannel};

/// A channel that remembers its largest single write.
struct Largest {
    inner: MemChannel,
    max: usize,
}

impl Channel for Largest {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.max = self.max.max(data.len());
        self.inner.write_all(data)
    }
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.read_exact(buf)
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn traffic(&self) -> yao_runtime::channel::Traffic {
        self.inner.traffic()
    }
}

/// A party's global key, triples, largest write and bytes sent after setup.
type Outcome = Result<(Block, Vec<Triple>, usize, u64), PreprocessError>;

fn party(inner: MemChannel, role: Role, limits: Limits, ands: usize) -> Outcome {
    let mut ch = Largest { inner, max: 0 };
    let mut p = Preprocessor::setup(&mut ch, role)?;
    p.set_limits(limits);
    let before = ch.traffic().sent;
    let triples = p.triples(&mut ch, ands)?;
    let sent = ch.traffic().sent - before;
    Ok((p.delta().block(), triples.to_vec(), ch.max, sent))
}

fn run(limits: [Limits; 2], ands: usize) -> (Outcome, Outcome) {
    let (ca, cb) = MemChannel::pair();
    let a = thread::spawn(move || party(ca, Role::A, limits[0], ands));
    let b = party(cb, Role::B, limits[1], ands);
    (a.join().unwrap(), b)
}

const SMALL: Limits = Limits {
    batch: 1_000,
    group: 8_000,
};

#[test]
fn a_large_request_is_served_in_batches_and_groups() {
    let ands = 3_000;
    let schedule = Schedule::new(ands, SMALL);
    assert!(schedule.groups().len() >= 2, "{schedule:?}");
    let batches: usize = schedule
        .groups()
        .iter()
        .map(|&g| schedule.batches(g).count())
        .sum();
    assert!(batches >= 10, "{schedule:?}");

    let (a, b) = run([SMALL; 2], ands);
    let (da, ta, max_a, _) = a.unwrap();
    let (db, tb, max_b, _) = b.unwrap();
    assert_eq!((ta.len(), tb.len()), (ands, ands));
    for (a, b) in ta.iter().zip(&tb) {
        assert_eq!((a.x.bit ^ b.x.bit) & (a.y.bit ^ b.y.bit), a.z.bit ^ b.z.bit);
        for (s, t) in [(a.x, b.x), (a.y, b.y), (a.z, b.z)] {
            assert_eq!(s.mac, t.key ^ (db & Block::mask(s.bit)), "A's MAC");
            assert_eq!(t.mac, s.key ^ (da & Block::mask(t.bit)), "B's MAC");
        }
    }
    // The largest write is one batch's, not the request's: its OT matrix
    // (the frame's 32-byte commitment is written after it) or its leaky-AND
    // message `U` (16 bytes per triple; longer than the matrix with
    // SoftSpokenOT), or the once-per-session tree setup.
    let matrix = extend_msg_len(3 * SMALL.batch, DEFAULT_OT_K) - 32;
    let trees = if DEFAULT_OT_K == 1 {
        0
    } else {
        TreeSetupMsg::len_for(DEFAULT_OT_K)
    };
    let u = 16 * SMALL.batch;
    assert_eq!(max_a.max(max_b), matrix.max(trees).max(u));
    // Unchunked, the first matrix alone would cover every leaky triple.
    assert!(16 * 3 * ands * schedule.bucket() > 10 * matrix);
}

#[test]
fn parties_with_different_limits_are_refused() {
    let other = Limits {
        batch: 700,
        ..SMALL
    };
    let (a, b) = run([SMALL, other], 3_000);
    assert!(a.is_err() && b.is_err(), "{:?} {:?}", a.is_ok(), b.is_ok());
}

/// Not a test: a probe to run under `/usr/bin/time -v` for the peak memory
/// of one request of `YAO_PRE_ANDS` triples (default `2^19`), both parties
/// in this process, with the default limits or, if `YAO_PRE_ONE_BATCH` is
/// set, with limits so large that the request is one batch and one group
/// (the unchunked shape); `YAO_PRE_BATCH` overrides the batch size:
/// `cargo test --release -p yao-runtime --test preprocess_chunks -- --ignored`.
#[test]
#[ignore]
fn peak_memory_probe() {
    let ands = std::env::var("YAO_PRE_ANDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 19);
    let mut limits = if std::env::var_os("YAO_PRE_ONE_BATCH").is_some() {
        Limits {
            batch: 1 << 40,
            group: 1 << 40,
        }
    } else {
        Limits::DEFAULT
    };
    if let Some(batch) = std::env::var("YAO_PRE_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        limits.batch = batch;
    }
    let (a, b) = run([limits; 2], ands);
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.1.len(), b.1.len());
    eprintln!(
        "{ands} ANDs, B = {}, {:?}: {:.1} bytes per triple (both directions)",
        Schedule::new(ands, limits).bucket(),
        limits,
        (a.3 + b.3) as f64 / ands as f64
    );
}
