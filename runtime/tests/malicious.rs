//! The malicious-security level between two threads over an in-process
//! channel (`yao_runtime::protocol::malicious`): honest runs match
//! `eval_plain`, a peer at the other level is refused in the handshake, a
//! semi-honest session refuses to claim the malicious level, and a frame of
//! the wrong length is refused. Streams of executions in one session: each
//! matches `eval_plain` under AND numbers of its own, a cheat in a later
//! execution is caught, and parties asking for different counts refuse
//! each other.

mod common;

use common::random::{random_circuit, Reads};
use std::thread;
use yao_core::ir::{Circuit, Party};
use yao_runtime::protocol::malicious::{self, MaliciousError, MaliciousOutcome};
use yao_runtime::protocol::{
    EvaluatorSession, EvaluatorSetup, GarblerSession, GarblerSetup, ProtocolError, Security,
    Settings,
};
use yao_runtime::MemChannel;

fn inputs(c: &Circuit, party: Party, seed: u64) -> Vec<Vec<bool>> {
    let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
    c.inputs_of(party)
        .map(|i| {
            i.wires
                .iter()
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x & 1 == 1
                })
                .collect()
        })
        .collect()
}

type Pair = (
    Result<MaliciousOutcome, MaliciousError>,
    Result<MaliciousOutcome, MaliciousError>,
);

fn run(c: &Circuit, seed: u64) -> Pair {
    let (mut ca, mut cb) = MemChannel::pair();
    let (x, y) = (
        inputs(c, Party::Garbler, seed),
        inputs(c, Party::Evaluator, seed + 1),
    );
    thread::scope(|s| {
        let a = s.spawn(|| malicious::garble(&mut ca, c, &x));
        let b = malicious::evaluate(&mut cb, c, &y);
        (a.join().unwrap(), b)
    })
}

fn expect_plain(c: &Circuit, seed: u64, (a, b): Pair) {
    let want = plain(c, seed);
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.outputs, want, "garbler");
    assert_eq!(b.outputs, want, "evaluator");
    assert_eq!(a.stats.ands, c.stats().and);
    assert!(b.stats.online_bytes > 0 && b.stats.preprocessing_bytes > 0);
}

#[test]
fn honest_random_circuits_match_eval_plain() {
    for seed in 0..6u64 {
        let ops: Vec<(u8, u32, u32)> = (0..(60 + 40 * seed as u32))
            .map(|i| ((i * 5 + seed as u32) as u8 % 7, i * 7 + 3, i * 13 + 1))
            .collect();
        let outs: Vec<u32> = (0..10).map(|i| 5 + i * 31 + seed as u32).collect();
        let c = random_circuit(8, 6, &ops, &outs, Reads::Anywhere);
        expect_plain(&c, seed, run(&c, seed));
    }
}

#[test]
fn aes_128_matches_eval_plain() {
    let Some(c) = common::bristol::load("bristol/aes_128.txt") else {
        return;
    };
    expect_plain(&c, 7, run(&c, 7));
}

/// A malicious-level party and a semi-honest one refuse each other in the
/// handshake, both naming the levels.
#[test]
fn a_security_mismatch_is_refused_in_the_handshake() {
    let Some(c) = common::bristol::load("bristol/aes_128.txt") else {
        return;
    };
    let (ca, mut cb) = MemChannel::pair();
    let y = inputs(&c, Party::Evaluator, 1);
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| GarblerSession::start(ca, &c).map(|_| ()));
        let b = malicious::evaluate(&mut cb, &c, &y);
        (a.join().unwrap(), b)
    });
    let a = a.unwrap_err();
    assert!(matches!(a, ProtocolError::SecurityMismatch { .. }), "{a}");
    assert_eq!(
        a.to_string(),
        "the peer runs at security level malicious, this party at semi-honest \
         (both must use the same --security)"
    );
    match b {
        Err(MaliciousError::Handshake(ProtocolError::SecurityMismatch { ours, theirs })) => {
            assert_eq!((ours, theirs), (Security::Malicious, Security::SemiHonest))
        }
        other => panic!("{other:?}"),
    }
}

/// The semi-honest sessions never send a hello that claims the malicious
/// level.
#[test]
fn semi_honest_sessions_refuse_the_malicious_level() {
    let Some(c) = common::bristol::load("bristol/aes_128.txt") else {
        return;
    };
    let settings = Settings {
        security: Security::Malicious,
        ..Settings::default()
    };
    let (ca, cb) = MemChannel::pair();
    let setup = GarblerSetup::new(&c).unwrap().with_settings(settings);
    let err = GarblerSession::start_prepared(ca, setup).err().unwrap();
    assert!(
        matches!(err, ProtocolError::WrongLevel(Security::Malicious)),
        "{err}"
    );
    let setup = EvaluatorSetup::new(&c).unwrap().with_settings(settings);
    let err = EvaluatorSession::start_prepared(cb, setup).err().unwrap();
    assert!(
        matches!(err, ProtocolError::WrongLevel(Security::Malicious)),
        "{err}"
    );
}

/// A peer that runs the preprocessing honestly and then sends an online
/// message one byte too long is refused before the frame is read.
#[test]
fn an_oversized_online_frame_is_refused() {
    use yao_core::auth::layout::Layout;
    use yao_core::auth::online::MaskMsg;
    use yao_core::auth::Role as AuthRole;
    use yao_runtime::preprocess::Preprocessor;
    use yao_runtime::protocol::handshake::{handshake, Role};
    use yao_runtime::{Channel, ChannelError};
    let ops: Vec<(u8, u32, u32)> = (0..50).map(|i| (i as u8 % 7, i * 3, i * 5 + 1)).collect();
    let c = random_circuit(4, 4, &ops, &[10, 20, 30], Reads::Anywhere);
    let layout = Layout::new(&c).unwrap();
    let (mut ca, mut cb) = MemChannel::pair();
    let x = inputs(&c, Party::Garbler, 3);
    let a = thread::scope(|s| {
        let a = s.spawn(|| malicious::garble(&mut ca, &c, &x));
        let settings = Settings {
            security: Security::Malicious,
            ..Settings::default()
        };
        handshake(&mut cb, Role::Evaluator, &c.id(), settings).unwrap();
        cb.send_frame(&1u64.to_le_bytes()).unwrap();
        cb.flush().unwrap();
        assert_eq!(cb.recv_frame("count", 8).unwrap(), 1u64.to_le_bytes());
        let mut p = Preprocessor::setup(&mut cb, AuthRole::B).unwrap();
        p.shares(&mut cb, layout.shares_needed()).unwrap();
        p.triples(&mut cb, layout.triples_needed()).unwrap();
        let len = MaskMsg::len(&layout, AuthRole::A) as u64;
        cb.recv_frame("mask opening", len).unwrap();
        cb.send_frame(&vec![0; MaskMsg::len(&layout, AuthRole::B) + 1])
            .unwrap();
        cb.flush().unwrap();
        a.join().unwrap()
    });
    match a {
        Err(MaliciousError::Channel {
            source: ChannelError::TooLarge { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
}

type Stream = Result<(Vec<malicious::Execution>, malicious::MaliciousStats), MaliciousError>;

/// A session of `repeat` executions (the garbler's count, then the
/// evaluator's) through `ca` and `cb`; each side's executions and stats.
/// Each party drops its channel when it returns, so a peer that aborts
/// wakes the other.
fn stream<A, B>(c: &Circuit, seed: u64, ca: A, cb: B, repeat: [u64; 2]) -> (Stream, Stream)
where
    A: yao_runtime::Channel + Send,
    B: yao_runtime::Channel,
{
    let (x, y) = (
        inputs(c, Party::Garbler, seed),
        inputs(c, Party::Evaluator, seed + 1),
    );
    thread::scope(|s| {
        let a = s.spawn(|| {
            let mut ca = ca;
            let mut all = Vec::new();
            let stats = malicious::garble_repeated(&mut ca, c, &x, repeat[0], |e| all.push(e))?;
            Ok((all, stats))
        });
        let b = {
            let mut cb = cb;
            let mut all = Vec::new();
            malicious::evaluate_repeated(&mut cb, c, &y, repeat[1], |e| all.push(e))
                .map(|stats| (all, stats))
        };
        (a.join().unwrap(), b)
    })
}

/// The plaintext outputs on the inputs that `seed` gives the garbler
/// (and `seed + 1` the evaluator).
fn plain(c: &Circuit, seed: u64) -> Vec<Vec<bool>> {
    let (x, y) = (
        inputs(c, Party::Garbler, seed),
        inputs(c, Party::Evaluator, seed + 1),
    );
    let (mut gi, mut ei) = (x.into_iter(), y.into_iter());
    let all: Vec<Vec<bool>> = c
        .inputs
        .iter()
        .map(|i| match i.party {
            Party::Garbler => gi.next().unwrap(),
            Party::Evaluator => ei.next().unwrap(),
        })
        .collect();
    c.eval_plain(&all).unwrap()
}

/// Every execution of an honest stream gives both parties the plaintext
/// outputs, and takes the session's next AND numbers (its hash tweaks):
/// the ranges follow each other with no overlap.
fn expect_stream(c: &Circuit, seed: u64, repeat: u64) {
    let (ca, cb) = MemChannel::pair();
    let (a, b) = stream(c, seed, ca, cb, [repeat, repeat]);
    let ((ea, sa), (eb, sb)) = (a.unwrap(), b.unwrap());
    let want = plain(c, seed);
    let ands = c.stats().and;
    for side in [&ea, &eb] {
        assert_eq!(side.len() as u64, repeat);
        for (i, e) in side.iter().enumerate() {
            assert_eq!(e.index, i as u64);
            assert_eq!(e.outputs, want, "execution {i}");
            assert_eq!(e.ands, i as u64 * ands..(i as u64 + 1) * ands);
        }
    }
    for s in [sa, sb] {
        assert_eq!((s.executions, s.ands), (repeat, repeat * ands));
        assert!(s.online_bytes > 0 && s.preprocessing_bytes > 0);
    }
}

#[test]
fn honest_streams_match_eval_plain_every_execution() {
    for seed in 0..3u64 {
        let ops: Vec<(u8, u32, u32)> = (0..(80 + 30 * seed as u32))
            .map(|i| ((i * 3 + seed as u32) as u8 % 7, i * 11 + 2, i * 5 + 7))
            .collect();
        let c = random_circuit(6, 5, &ops, &[9, 40, 77, 3], Reads::Anywhere);
        expect_stream(&c, seed, 1 + 2 * seed);
    }
}

#[test]
fn an_aes_128_stream_matches_eval_plain_every_execution() {
    let Some(c) = common::bristol::load("bristol/aes_128.txt") else {
        return;
    };
    expect_stream(&c, 11, 4);
}

/// A stream of a short run per round would pay a larger bucket: the
/// session's shares and triples are drawn in rounds, and the preprocessing
/// bytes per execution of a stream are below a single run's.
#[test]
fn a_stream_preprocesses_its_executions_together() {
    let Some(c) = common::bristol::load("bristol/aes_128.txt") else {
        return;
    };
    let per_and = |repeat| {
        let (ca, cb) = MemChannel::pair();
        let (_, b) = stream(&c, 5, ca, cb, [repeat, repeat]);
        let s = b.unwrap().1;
        s.preprocessing_bytes as f64 / s.ands as f64
    };
    let (one, many) = (per_and(1), per_and(48));
    // Bucket 4 against 3: the leaky triples' share of the bytes falls by a
    // quarter.
    assert!(many < 0.9 * one, "{many} vs {one} bytes per AND");
}

/// Parties that ask for different numbers of executions refuse each other
/// before the preprocessing, each naming both counts.
#[test]
fn a_repeat_count_mismatch_is_refused() {
    let ops: Vec<(u8, u32, u32)> = (0..30).map(|i| (i as u8 % 7, i * 3, i * 5 + 1)).collect();
    let c = random_circuit(3, 3, &ops, &[4, 9], Reads::Anywhere);
    let (ca, cb) = MemChannel::pair();
    let (a, b) = stream(&c, 1, ca, cb, [2, 3]);
    match (a, b) {
        (
            Err(MaliciousError::RepeatMismatch { ours: 2, theirs: 3 }),
            Err(e @ MaliciousError::RepeatMismatch { ours: 3, theirs: 2 }),
        ) => assert_eq!(
            e.to_string(),
            "the peer runs 2 executions in this session, this party 3 \
             (both must use the same --repeat)"
        ),
        other => panic!("{other:?}"),
    }
}

/// A channel that flips the last byte of the `nth` frame of `len` bytes it
/// sends (counting from 1): a garbler that cheats in one execution only.
struct FlipFrame {
    inner: MemChannel,
    len: usize,
    nth: usize,
    seen: usize,
}

impl yao_runtime::Channel for FlipFrame {
    fn write_all(&mut self, data: &[u8]) -> Result<(), yao_runtime::ChannelError> {
        self.inner.write_all(data)
    }
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), yao_runtime::ChannelError> {
        self.inner.read_exact(buf)
    }
    fn flush(&mut self) -> Result<(), yao_runtime::ChannelError> {
        self.inner.flush()
    }
    fn traffic(&self) -> yao_runtime::channel::Traffic {
        self.inner.traffic()
    }
    fn send_frame(&mut self, data: &[u8]) -> Result<(), yao_runtime::ChannelError> {
        if data.len() == self.len {
            self.seen += 1;
            if self.seen == self.nth {
                let mut bad = data.to_vec();
                *bad.last_mut().unwrap() ^= 1;
                return self.inner.send_frame(&bad);
            }
        }
        self.inner.send_frame(data)
    }
}

/// The garbler lies about its output-mask opening in the second of three
/// executions: the evaluator has the first execution's outputs, aborts in
/// the second naming the check, and the session ends there.
#[test]
fn a_cheat_in_a_later_execution_is_caught() {
    use yao_core::auth::layout::Layout;
    use yao_core::auth::online::GarbledMsg;
    use yao_core::auth::{AuthError, Check};
    let ops: Vec<(u8, u32, u32)> = (0..60).map(|i| (i as u8 % 7, i * 3, i * 5 + 1)).collect();
    let c = random_circuit(4, 4, &ops, &[10, 20, 30], Reads::Anywhere);
    let len = GarbledMsg::len(&Layout::new(&c).unwrap());
    let (ca, cb) = MemChannel::pair();
    let ca = FlipFrame {
        inner: ca,
        len,
        nth: 2,
        seen: 0,
    };
    let mut got = Vec::new();
    let y = inputs(&c, Party::Evaluator, 2);
    let (a, b) = thread::scope(|s| {
        let x = inputs(&c, Party::Garbler, 1);
        let c = &c;
        let a = s.spawn(move || {
            let (mut ca, mut seen) = (ca, 0);
            malicious::garble_repeated(&mut ca, c, &x, 3, |_| seen += 1).map(|_| seen)
        });
        let mut cb = cb;
        let b = malicious::evaluate_repeated(&mut cb, c, &y, 3, |e| got.push(e));
        drop(cb);
        (a.join().unwrap(), b)
    });
    match b {
        Err(MaliciousError::Online(AuthError::CheckFailed(Check::OutputMask))) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(got.len(), 1, "only the first execution's outputs");
    assert_eq!(got[0].outputs, plain(&c, 1));
    assert!(a.is_err(), "the garbler's session ends too: {a:?}");
}
