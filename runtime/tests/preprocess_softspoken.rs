//! The malicious-security preprocessing over KOS15-checked SoftSpokenOT
//! (`Preprocessor::setup_with_k`), two threads over an in-process channel:
//! honest runs give valid triples for every `k`; a peer with another `k`, or
//! one that tampers with its tree setup message, is refused with an error.

mod common;

use common::flip::FlipFirst;
use std::thread;
use yao_core::auth::auth_bit::Share;
use yao_core::auth::kos::TreeSetupMsg;
use yao_core::auth::triple::Triple;
use yao_core::auth::{AuthError, Check, Role};
use yao_core::Block;
use yao_runtime::preprocess::{PreprocessError, Preprocessor};
use yao_runtime::{Channel, MemChannel};

type Outcome = Result<(Block, Vec<Triple>), PreprocessError>;

fn party(mut ch: impl Channel, role: Role, k: usize, ands: usize) -> Outcome {
    let mut p = Preprocessor::setup_with_k(&mut ch, role, k)?;
    assert_eq!(p.ot_k(), k);
    let triples = p.triples(&mut ch, ands)?;
    Ok((p.delta().block(), triples.to_vec()))
}

fn check_macs(a: &Share, b: &Share, da: Block, db: Block) {
    assert_eq!(a.mac, b.key ^ (db & Block::mask(a.bit)), "A's MAC");
    assert_eq!(b.mac, a.key ^ (da & Block::mask(b.bit)), "B's MAC");
}

#[test]
fn honest_parties_get_valid_triples_for_every_k() {
    for k in [1, 2, 4, 8] {
        let (ca, cb) = MemChannel::pair();
        let a = thread::spawn(move || party(ca, Role::A, k, 300));
        let (db, tb) = party(cb, Role::B, k, 300).unwrap();
        let (da, ta) = a.join().unwrap().unwrap();
        assert_eq!((ta.len(), tb.len()), (300, 300));
        for (a, b) in ta.iter().zip(&tb) {
            let x = a.x.bit ^ b.x.bit;
            let y = a.y.bit ^ b.y.bit;
            assert_eq!(x & y, a.z.bit ^ b.z.bit, "k {k}");
            for (s, t) in [(a.x, b.x), (a.y, b.y), (a.z, b.z)] {
                check_macs(&s, &t, da, db);
            }
        }
    }
}

#[test]
fn a_peer_with_another_k_is_refused() {
    let (ca, cb) = MemChannel::pair();
    let a = thread::spawn(move || party(ca, Role::A, 4, 10));
    let b = party(cb, Role::B, 8, 10);
    let a = a.join().unwrap();
    // B speaks first, its trees for A's extension: A expects k = 4's longer
    // message and refuses B's shorter one by its length, naming it.
    match a {
        Err(PreprocessError::Auth(AuthError::Malformed { what, .. })) => {
            assert!(what.contains("SoftSpokenOT tree"), "{what}")
        }
        other => panic!("A should refuse B's tree message, got {:?}", other.err()),
    }
    assert!(b.is_err());
}

#[test]
fn a_tampered_tree_setup_is_caught_and_named() {
    // B's tree message is for A's extension; A's key has bit 0 set, so A
    // unmasks the first block (`K_0^0 ^ k^1` of base OT 0): a flip there,
    // or in a group's tag sum, always changes what A checks.
    let k = 4;
    let len = TreeSetupMsg::len_for(k);
    for at in [0, 2 * 16 * 128 + 5] {
        let (ca, cb) = MemChannel::pair();
        let a = thread::spawn(move || party(ca, Role::A, k, 10));
        let cb = FlipFirst::new(cb, len, at, 0x01);
        let b = party(cb, Role::B, k, 10);
        match a.join().unwrap() {
            Err(PreprocessError::Auth(e)) => {
                assert_eq!(
                    e,
                    AuthError::CheckFailed(Check::SoftSpokenTree),
                    "byte {at}"
                );
                assert!(e.to_string().contains("SoftSpokenOT tree"), "{e}");
            }
            other => panic!("byte {at}: A should refuse, got {:?}", other.map(|_| ())),
        }
        assert!(b.is_err(), "B cannot finish once A aborted");
    }
}
