//! The malicious-security level between two threads over an in-process
//! channel (`yao_runtime::protocol::malicious`): honest runs match
//! `eval_plain`, a peer at the other level is refused in the handshake, a
//! semi-honest session refuses to claim the malicious level, and a frame of
//! the wrong length is refused.

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
    let want = c.eval_plain(&all).unwrap();
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
