//! The malicious-security preprocessing driver between two threads over an
//! in-process channel: honest runs give valid triples; a peer that
//! disagrees on a count, or sends a malformed or tampered message, is
//! refused with an error and nothing panics.

mod common;

use common::flip::FlipFirst;
use std::thread;
use yao_core::auth::auth_bit::Share;
use yao_core::auth::triple::Triple;
use yao_core::auth::{AuthError, Check, Role};
use yao_core::Block;
use yao_runtime::preprocess::{PreprocessError, Preprocessor, DEFAULT_OT_K};
use yao_runtime::{ChannelError, MemChannel};

fn check_macs(a: &Share, b: &Share, da: Block, db: Block) {
    assert_eq!(a.mac, b.key ^ (db & Block::mask(a.bit)), "A's MAC");
    assert_eq!(b.mac, a.key ^ (da & Block::mask(b.bit)), "B's MAC");
}

type Outcome = Result<(Block, Vec<Triple>), PreprocessError>;

fn party(mut ch: MemChannel, role: Role, ands: &[usize]) -> Outcome {
    let mut p = Preprocessor::setup(&mut ch, role)?;
    let mut all = Vec::new();
    for &n in ands {
        all.extend(p.triples(&mut ch, n)?.iter().copied());
    }
    Ok((p.delta().block(), all))
}

#[test]
fn honest_parties_get_valid_triples() {
    let (ca, cb) = MemChannel::pair();
    let sizes = [1usize, 100, 700];
    let a = thread::spawn(move || party(ca, Role::A, &sizes));
    let (db, tb) = party(cb, Role::B, &sizes).unwrap();
    let (da, ta) = a.join().unwrap().unwrap();
    assert_eq!(ta.len(), 801);
    for (a, b) in ta.iter().zip(&tb) {
        let x = a.x.bit ^ b.x.bit;
        let y = a.y.bit ^ b.y.bit;
        assert_eq!(x & y, a.z.bit ^ b.z.bit);
        for (s, t) in [(a.x, b.x), (a.y, b.y), (a.z, b.z)] {
            check_macs(&s, &t, da, db);
        }
    }
}

#[test]
fn a_count_mismatch_is_refused_before_allocation() {
    let (ca, cb) = MemChannel::pair();
    let a = thread::spawn(move || party(ca, Role::A, &[50]));
    let b = party(cb, Role::B, &[5000]);
    let a = a.join().unwrap();
    // A, the KOS15 sender first, sees a matrix longer than 50 ANDs need.
    assert!(
        matches!(
            a,
            Err(PreprocessError::Channel(ChannelError::TooLarge { .. }))
        ),
        "{:?}",
        a.err()
    );
    assert!(b.is_err());
}

/// B's first 96-byte write is its answer to A's KOS15 check of the setup's
/// bootstrap extension; `at` picks a byte of it (0..64: the coin opening,
/// 64..96: `x` and `t`).
fn tampered_b(at: usize) -> (Outcome, Result<(), PreprocessError>) {
    tampered_b_write(96, at)
}

/// B flips bit 2 of byte `at` of its first write of `len` bytes.
fn tampered_b_write(len: usize, at: usize) -> (Outcome, Result<(), PreprocessError>) {
    let (ca, cb) = MemChannel::pair();
    let a = thread::spawn(move || party(ca, Role::A, &[10]));
    let mut cb = FlipFirst::new(cb, len, at, 0x04);
    let b =
        Preprocessor::setup(&mut cb, Role::B).and_then(|mut p| p.triples(&mut cb, 10).map(drop));
    drop(cb);
    (a.join().unwrap(), b)
}

#[test]
fn a_tampered_kos_check_is_caught_and_named() {
    for (at, check) in [
        (70, Check::KosConsistency),
        (90, Check::KosConsistency),
        (3, Check::Commitment),
    ] {
        let (a, b) = tampered_b(at);
        match a {
            Err(PreprocessError::Auth(e)) => {
                assert_eq!(e, AuthError::CheckFailed(check), "byte {at}");
                assert!(e.to_string().contains("the peer failed"), "{e}");
            }
            other => panic!(
                "byte {at}: A should have refused B's check, got {:?}",
                other.map(|_| ())
            ),
        }
        assert!(b.is_err(), "B cannot finish once A aborted");
    }
}

/// B's first 16-byte write is its bootstrap swap bits. A wrong bit only
/// gives B the other seed of that base OT: its keys no longer match its
/// global key, so B's own check of A's first message on B's extension
/// fails and B aborts (the tree check with SoftSpokenOT, the KOS15 check
/// with IKNP); A is not at fault and only sees the channel close.
#[test]
fn wrong_bootstrap_swap_bits_only_make_b_abort() {
    let check = if DEFAULT_OT_K == 1 {
        Check::KosConsistency
    } else {
        Check::SoftSpokenTree
    };
    for at in [0, 9, 15] {
        let (a, b) = tampered_b_write(16, at);
        match b {
            Err(PreprocessError::Auth(e)) => {
                assert_eq!(e, AuthError::CheckFailed(check), "byte {at}")
            }
            other => panic!("byte {at}: B should abort its own check, got {other:?}"),
        }
        assert!(
            matches!(a, Err(PreprocessError::Channel(_))),
            "byte {at}: A sees the channel close, not a check of its own failing"
        );
    }
}

/// The reverse mismatch: a shorter KOS15 extension message than the count
/// needs is refused as malformed, naming the message, before it is read.
#[test]
fn a_short_extension_message_is_refused_as_malformed() {
    let (ca, cb) = MemChannel::pair();
    let a = thread::spawn(move || party(ca, Role::A, &[5000]));
    let b = party(cb, Role::B, &[50]);
    match a.join().unwrap() {
        Err(PreprocessError::Auth(AuthError::Malformed { what, .. })) => {
            assert_eq!(what, "KOS15 extension message")
        }
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(b.is_err());
}
