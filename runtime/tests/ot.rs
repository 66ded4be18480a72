//! Correlated OT through the channel-driven API: correctness, what each party
//! sees, and misbehaving peers.

use std::thread;
use yao_core::{Block, Delta};
use yao_runtime::channel::Traffic;
use yao_runtime::ot::{CotReceiver, CotSender, Extension, MessageError, OtError, CHUNK};
use yao_runtime::report::report;
use yao_runtime::{Channel, ChannelError, MemChannel};

/// Records every byte a party reads: its view of the peer.
struct Recording<C> {
    inner: C,
    received: Vec<u8>,
}

impl<C: Channel> Channel for Recording<C> {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        self.inner.write_all(data)
    }
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.read_exact(buf)?;
        self.received.extend_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn traffic(&self) -> Traffic {
        self.inner.traffic()
    }
}

fn random_bits(n: usize) -> Vec<bool> {
    let mut bytes = vec![0u8; n.div_ceil(8)];
    yao_core::block::fill_random(&mut bytes);
    (0..n).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect()
}

/// Runs setup and one extend per entry of `batches` on both sides; returns
/// (sender outputs, receiver outputs) per batch and both views.
#[allow(clippy::type_complexity)]
fn run(
    delta: &Delta,
    batches: Vec<Vec<bool>>,
) -> (Vec<Vec<Block>>, Vec<Vec<Block>>, Vec<u8>, Vec<u8>) {
    run_with(delta, batches, Extension::Iknp)
}

/// [`run`] with the given extension on both sides.
#[allow(clippy::type_complexity)]
fn run_with(
    delta: &Delta,
    batches: Vec<Vec<bool>>,
    ext: Extension,
) -> (Vec<Vec<Block>>, Vec<Vec<Block>>, Vec<u8>, Vec<u8>) {
    let (a, b) = MemChannel::pair();
    let delta = delta.clone();
    let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
    let sender = thread::spawn(move || {
        let mut ch = Recording {
            inner: a,
            received: Vec::new(),
        };
        let mut s = CotSender::setup_with(&mut ch, &delta, ext).unwrap();
        assert_eq!(s.extension(), ext);
        let out: Vec<Vec<Block>> = sizes
            .iter()
            .map(|&n| s.extend(&mut ch, n).unwrap())
            .collect();
        (out, ch.received)
    });
    let mut ch = Recording {
        inner: b,
        received: Vec::new(),
    };
    let mut r = CotReceiver::setup_with(&mut ch, ext).unwrap();
    assert_eq!(r.extension(), ext);
    let got: Vec<Vec<Block>> = batches
        .iter()
        .map(|c| r.extend(&mut ch, c).unwrap())
        .collect();
    let (q, sender_view) = sender.join().unwrap();
    (q, got, sender_view, ch.received)
}

fn check(delta: &Delta, choices: &[bool], q: &[Block], t: &[Block]) {
    assert_eq!(q.len(), choices.len());
    assert_eq!(t.len(), choices.len());
    let d = delta.block();
    for i in 0..choices.len() {
        assert_eq!(t[i], q[i] ^ (d & Block::mask(choices[i])), "OT {i}");
        // The other label is never what the receiver holds.
        assert_ne!(t[i], q[i] ^ (d & Block::mask(!choices[i])), "OT {i}");
    }
}

#[test]
fn receiver_gets_exactly_the_chosen_label() {
    let delta = Delta::random();
    let sizes = [
        0,
        1,
        127,
        128,
        129,
        1000,
        CHUNK - 1,
        CHUNK,
        CHUNK + 1,
        3 * CHUNK + 77,
    ];
    let batches: Vec<Vec<bool>> = sizes.iter().map(|&n| random_bits(n)).collect();
    let (q, t, _, _) = run(&delta, batches.clone());
    for k in 0..batches.len() {
        check(&delta, &batches[k], &q[k], &t[k]);
    }
    // Fresh labels across batches: no zero-label repeats.
    let mut all: Vec<u128> = q.iter().flatten().map(|b| b.0).collect();
    let len = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), len, "zero-labels repeat");
}

#[test]
fn millions_of_random_choices() {
    // A few seconds in release mode; smaller in debug builds.
    let n = if cfg!(debug_assertions) {
        1 << 18
    } else {
        1 << 22
    };
    let delta = Delta::random();
    let batches = vec![random_bits(n), random_bits(n / 2 + 13)];
    let (q, t, _, _) = run(&delta, batches.clone());
    for k in 0..batches.len() {
        check(&delta, &batches[k], &q[k], &t[k]);
    }
}

#[test]
fn receiver_view_does_not_contain_delta() {
    let delta = Delta::random();
    let choices = random_bits(4096);
    let (q, t, _, receiver_view) = run(&delta, vec![choices.clone()]);
    check(&delta, &choices, &q[0], &t[0]);
    // The receiver only ever receives the base-OT receiver's two messages:
    // the seed and points, and the 32-byte answer (each framed).
    assert_eq!(
        receiver_view.len(),
        8 + 32 + 128 * 32 + 8 + 32,
        "only the base-OT messages"
    );
    let d = delta.block().to_bytes();
    assert!(!receiver_view.windows(16).any(|w| w == d));
    // No pair of its outputs differs by Delta (which would reveal it).
    let set: std::collections::HashSet<u128> = t[0].iter().map(|b| b.0).collect();
    for x in &t[0] {
        assert!(!set.contains(&(x.0 ^ delta.block().0)));
    }
}

/// Fraction of set bits.
fn balance(bytes: &[u8]) -> f64 {
    let ones: u64 = bytes.iter().map(|b| b.count_ones() as u64).sum();
    ones as f64 / (8.0 * bytes.len() as f64)
}

#[test]
fn sender_view_is_independent_of_the_choices() {
    let delta = Delta::random();
    let n = 1 << 16;
    let zeros = vec![false; n];
    let ones = vec![true; n];
    let (_, _, view0, _) = run(&delta, vec![zeros]);
    let (_, _, view1, _) = run(&delta, vec![ones]);
    assert_eq!(view0.len(), view1.len(), "same length whatever the choices");
    // The extension matrix starts after the base-OT frames (the key `z`,
    // the challenge for 128 OTs) and the count.
    let matrix = |v: &[u8]| v[8 + 32 + 8 + 128 * 16 + 32 + 8..].to_vec();
    let (m0, m1) = (matrix(&view0), matrix(&view1));
    assert_eq!(m0.len(), 16 * n);
    // Each matrix has 2^20 bits: a balanced coin is within 5 sigma
    // (sigma = 0.5 / 1024) of one half except with probability ~6e-7.
    let tol = 5.0 * 0.5 / ((8 * m0.len()) as f64).sqrt();
    for (name, m) in [("all-zero", &m0), ("all-one", &m1)] {
        let b = balance(m);
        assert!((b - 0.5).abs() < tol, "{name} choices: bit balance {b}");
        // Row by row (one row per base OT): 2^16 bits each, 6 sigma.
        let row_tol = 6.0 * 0.5 / ((8 * n / 8) as f64).sqrt();
        for (j, row) in m.chunks_exact(n / 8).enumerate() {
            let b = balance(row);
            assert!(
                (b - 0.5).abs() < row_tol,
                "{name} choices: row {j} balance {b}"
            );
        }
    }
    // The two views are unrelated: their XOR is balanced too.
    let x: Vec<u8> = m0.iter().zip(&m1).map(|(a, b)| a ^ b).collect();
    let b = balance(&x);
    assert!((b - 0.5).abs() < tol, "xor of views: {b}");
}

#[test]
fn works_over_tcp() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let delta = Delta::random();
    let d2 = delta.clone();
    let sender = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut ch = yao_runtime::TcpChannel::new(s, None).unwrap();
        let mut s = CotSender::setup(&mut ch, &d2).unwrap();
        (
            s.extend(&mut ch, 5000).unwrap(),
            s.extend(&mut ch, 70_000).unwrap(),
        )
    });
    let s = std::net::TcpStream::connect(addr).unwrap();
    let mut ch = yao_runtime::TcpChannel::new(s, None).unwrap();
    let mut r = CotReceiver::setup(&mut ch).unwrap();
    let (c1, c2) = (random_bits(5000), random_bits(70_000));
    let t1 = r.extend(&mut ch, &c1).unwrap();
    let t2 = r.extend(&mut ch, &c2).unwrap();
    let (q1, q2) = sender.join().unwrap();
    check(&delta, &c1, &q1, &t1);
    check(&delta, &c2, &q2, &t2);
}

// ---- misbehaving peers ----

/// Runs `CotSender::setup` against a scripted evaluator.
fn sender_against(peer: impl FnOnce(MemChannel) + Send + 'static) -> OtError {
    let (a, b) = MemChannel::pair();
    let t = thread::spawn(move || peer(b));
    let mut a = a;
    let err = CotSender::setup(&mut a, &Delta::random())
        .err()
        .expect("setup must fail");
    drop(a);
    t.join().unwrap();
    err
}

/// Runs `CotReceiver::setup` against a scripted garbler.
fn receiver_against(peer: impl FnOnce(MemChannel) + Send + 'static) -> OtError {
    let (a, b) = MemChannel::pair();
    let t = thread::spawn(move || peer(b));
    let mut a = a;
    let err = CotReceiver::setup(&mut a).err().expect("setup must fail");
    drop(a);
    t.join().unwrap();
    err
}

/// A valid base-OT receiver message, to be corrupted (made once: base OT is
/// slow in debug builds).
fn honest_points() -> Vec<u8> {
    static POINTS: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    POINTS
        .get_or_init(|| {
            let (a, mut b) = MemChannel::pair();
            let t = thread::spawn(move || {
                let mut a = a;
                let _ = CotSender::setup(&mut a, &Delta::random());
            });
            let frame = b.recv_frame("points", 1 << 20).unwrap();
            drop(b);
            t.join().unwrap();
            frame
        })
        .clone()
}

#[test]
fn bad_base_ot_key_from_the_evaluator() {
    // Not a canonical encoding.
    let err = sender_against(|mut ch| {
        let _ = ch.recv_frame("points", 1 << 20);
        ch.send_frame(&[0xff; 32]).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(
            err,
            OtError::Message(MessageError::InvalidPoint { index: 0, .. })
        ),
        "{err}"
    );
    assert!(
        report(&err).contains("not a valid Ristretto point"),
        "{err}"
    );
    // The identity (all-zero encoding).
    let err = sender_against(|mut ch| {
        let _ = ch.recv_frame("points", 1 << 20);
        ch.send_frame(&[0; 32]).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(err, OtError::Message(MessageError::IdentityPoint { .. })),
        "{err}"
    );
    assert!(report(&err).contains("identity"), "{err}");
    // Short message.
    let err = sender_against(|mut ch| {
        let _ = ch.recv_frame("points", 1 << 20);
        ch.send_frame(&[7; 31]).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(
            err,
            OtError::Message(MessageError::Malformed {
                expected: 32,
                got: 31,
                ..
            })
        ),
        "{err}"
    );
    // Oversized announcement: refused before allocation.
    let err = sender_against(|mut ch| {
        let _ = ch.recv_frame("points", 1 << 20);
        ch.send_u64(1 << 40).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(err, OtError::Channel(ChannelError::TooLarge { .. })),
        "{err}"
    );
    // Disconnect.
    let err = sender_against(drop);
    assert!(
        matches!(err, OtError::Channel(ChannelError::Closed)),
        "{err}"
    );
}

/// Byte offset of base-OT point `B_i` in the garbler's first message (after
/// the 32-byte seed).
fn point_at(i: usize) -> std::ops::Range<usize> {
    32 + 32 * i..32 + 32 * (i + 1)
}

#[test]
fn bad_base_ot_points_from_the_garbler() {
    let mut invalid = honest_points();
    invalid[point_at(5)].fill(0xff);
    let err = receiver_against(move |mut ch| {
        ch.send_frame(&invalid).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(
            err,
            OtError::Message(MessageError::InvalidPoint { index: 5, .. })
        ),
        "{err}"
    );
    assert!(
        report(&err).contains("receiver point B"),
        "names the point: {err}"
    );

    let mut identity = honest_points();
    identity[point_at(7)].fill(0);
    let err = receiver_against(move |mut ch| {
        ch.send_frame(&identity).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(
            err,
            OtError::Message(MessageError::IdentityPoint { index: 7, .. })
        ),
        "{err}"
    );

    let short = honest_points()[..1000].to_vec();
    let err = receiver_against(move |mut ch| {
        ch.send_frame(&short).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(
            err,
            OtError::Message(MessageError::Malformed {
                expected: 4128,
                got: 1000,
                ..
            })
        ),
        "{err}"
    );

    // Frame header promises more than arrives, then the peer leaves.
    let err = receiver_against(|mut ch| {
        ch.send_u64(4128).unwrap();
        ch.write_all(&[1; 100]).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(err, OtError::Channel(ChannelError::Closed)),
        "{err}"
    );
}

/// Plays an honest evaluator up to its challenge, which `corrupt` may
/// change, and returns what the garbler's setup says.
fn garbler_sees_challenge(corrupt: fn(&mut Vec<u8>)) -> Result<(), OtError> {
    let (a, b) = MemChannel::pair();
    let t = thread::spawn(move || {
        // An honest evaluator whose challenge frame is intercepted: run the
        // real setup on a second pair and relay, corrupting the challenge.
        let (c, d) = MemChannel::pair();
        let evaluator = thread::spawn(move || {
            let mut d = d;
            let _ = CotReceiver::setup(&mut d);
        });
        let (mut b, mut c) = (b, c);
        let msg = b.recv_frame("points", 1 << 20).unwrap();
        c.send_frame(&msg).unwrap();
        c.flush().unwrap();
        let z = c.recv_frame("z", 32).unwrap();
        b.send_frame(&z).unwrap();
        let mut challenge = c.recv_frame("challenge", 1 << 20).unwrap();
        corrupt(&mut challenge);
        b.send_frame(&challenge).unwrap();
        b.flush().unwrap();
        if let Ok(answer) = b.recv_frame("answer", 32) {
            c.send_frame(&answer).unwrap();
            c.flush().unwrap();
        }
        drop(c);
        evaluator.join().unwrap();
    });
    let mut a = a;
    let result = CotSender::setup(&mut a, &Delta::from_block(Block(!0))).map(drop);
    drop(a);
    t.join().unwrap();
    result
}

#[test]
fn a_bad_challenge_from_the_evaluator_is_refused() {
    // Relaying an honest challenge works (the relay itself is sound).
    garbler_sees_challenge(|_| {}).unwrap();
    // Delta is all ones here, so every chi_i matters, and so does the proof.
    for corrupt in [
        (|c: &mut Vec<u8>| c[0] ^= 1) as fn(&mut Vec<u8>),
        |c| c[16 * 77 + 3] ^= 0x40,
        |c| *c.last_mut().unwrap() ^= 1,
    ] {
        let err = garbler_sees_challenge(corrupt).unwrap_err();
        assert!(
            matches!(err, OtError::Message(MessageError::CheckFailed { .. })),
            "{err}"
        );
        assert!(report(&err).contains("sender's proof"), "{err}");
    }
    let err = garbler_sees_challenge(|c| {
        c.pop();
    })
    .unwrap_err();
    assert!(
        matches!(
            err,
            OtError::Message(MessageError::Malformed {
                expected: 2080,
                got: 2079,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn a_bad_answer_from_the_garbler_is_refused() {
    let err = receiver_against(|mut ch| {
        ch.send_frame(&honest_points()).unwrap();
        ch.flush().unwrap();
        let _z = ch.recv_frame("z", 32).unwrap();
        let _challenge = ch.recv_frame("challenge", 1 << 20).unwrap();
        ch.send_frame(&[0x5a; 32]).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(err, OtError::Message(MessageError::CheckFailed { .. })),
        "{err}"
    );
    assert!(report(&err).contains("receiver's answer"), "{err}");
    let err = receiver_against(|mut ch| {
        ch.send_frame(&honest_points()).unwrap();
        ch.flush().unwrap();
        let _z = ch.recv_frame("z", 32).unwrap();
        let _challenge = ch.recv_frame("challenge", 1 << 20).unwrap();
        ch.send_frame(&[0x5a; 31]).unwrap();
        ch.flush().unwrap();
    });
    assert!(
        matches!(
            err,
            OtError::Message(MessageError::Malformed {
                expected: 32,
                got: 31,
                ..
            })
        ),
        "{err}"
    );
}

#[test]
fn extension_errors_are_clear_and_sticky() {
    let (a, b) = MemChannel::pair();
    let delta = Delta::random();
    let t = thread::spawn(move || {
        let mut b = b;
        let mut r = CotReceiver::setup(&mut b).unwrap();
        r.extend(&mut b, &random_bits(1000)).unwrap();
        // Then a truncated batch and a disconnect.
        b.send_u64(500).unwrap();
        b.write_all(&[0; 100]).unwrap();
        b.flush().unwrap();
    });
    let mut a = a;
    let mut s = CotSender::setup(&mut a, &delta).unwrap();
    let err = s.extend(&mut a, 999).unwrap_err();
    assert!(
        matches!(
            err,
            OtError::CountMismatch {
                expected: 999,
                got: 1000
            }
        ),
        "{err}"
    );
    let err = s.extend(&mut a, 1000).unwrap_err();
    assert!(matches!(err, OtError::Desynchronized), "{err}");
    t.join().unwrap();

    // A fresh pair: truncated matrix then disconnect gives Closed.
    let (a, b) = MemChannel::pair();
    let t = thread::spawn(move || {
        let mut b = b;
        let _r = CotReceiver::setup(&mut b).unwrap();
        b.send_u64(500).unwrap();
        b.write_all(&[0; 100]).unwrap();
        b.flush().unwrap();
    });
    let mut a = a;
    let mut s = CotSender::setup(&mut a, &delta).unwrap();
    t.join().unwrap();
    let err = s.extend(&mut a, 500).unwrap_err();
    assert!(
        matches!(err, OtError::Channel(ChannelError::Closed)),
        "{err}"
    );
    assert!(report(&err).contains("closed"), "{err}");

    // The receiver sees the sender vanish.
    let (a, b) = MemChannel::pair();
    drop(a);
    let mut b = b;
    let err = CotReceiver::setup(&mut b).err().unwrap();
    assert!(
        matches!(err, OtError::Channel(ChannelError::Closed)),
        "{err}"
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "five base-OT setups: release builds only")]
fn bench_helper_runs() {
    let (rate, setup_ms) = yao_runtime::bench::cot_rate(1 << 12, 0.01);
    assert!(rate.is_finite() && rate > 0.0, "rate {rate}");
    assert!(setup_ms.is_finite() && setup_ms > 0.0, "setup {setup_ms}");
    let prepared = yao_runtime::bench::setup_prepared_ms(2);
    assert!(
        prepared.is_finite() && prepared > 0.0,
        "prepared {prepared}"
    );
}

// ---- SoftSpokenOT ----

const SOFTSPOKEN: [Extension; 4] = [
    Extension::SoftSpoken { k: 1 },
    Extension::SoftSpoken { k: 2 },
    Extension::SoftSpoken { k: 4 },
    Extension::SoftSpoken { k: 8 },
];

#[test]
fn softspoken_gets_exactly_the_chosen_label_for_every_k() {
    let sizes = [0, 1, 129, 1000, CHUNK, CHUNK + 1, 2 * CHUNK + 77];
    for ext in SOFTSPOKEN {
        let delta = Delta::random();
        let batches: Vec<Vec<bool>> = sizes.iter().map(|&n| random_bits(n)).collect();
        let (q, t, sender_view, _) = run_with(&delta, batches.clone(), ext);
        for i in 0..batches.len() {
            check(&delta, &batches[i], &q[i], &t[i]);
        }
        let mut all: Vec<u128> = q.iter().flatten().map(|b| b.0).collect();
        let len = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), len, "{ext:?}: zero-labels repeat");
        // What the garbler read after its base OTs: the tree sums (a frame),
        // then per extend the count and 16 / k bytes per padded OT.
        let extension: usize = sizes
            .iter()
            .map(|&n| 8 + n.next_multiple_of(128) * ext.bytes_per_ot())
            .sum();
        let setup = 8 + 32 + 8 + 128 * 16 + 32 + 8 + 4096;
        assert_eq!(sender_view.len(), setup + extension, "{ext:?}");
    }
}

#[test]
fn softspoken_views_hide_delta_and_choices() {
    // The garbler sees balanced corrections whatever the choices; the
    // evaluator reads nothing in extension.
    for ext in SOFTSPOKEN {
        let delta = Delta::random();
        let n = 1 << 14;
        let (_, _, zeros_view, recv_view0) = run_with(&delta, vec![vec![false; n]], ext);
        let (_, _, ones_view, recv_view1) = run_with(&delta, vec![vec![true; n]], ext);
        let tail = n * ext.bytes_per_ot();
        for view in [&zeros_view, &ones_view] {
            let b = balance(&view[view.len() - tail..]);
            assert!((0.48..0.52).contains(&b), "{ext:?}: {b}");
        }
        assert_eq!(recv_view0.len(), recv_view1.len());
        assert_eq!(recv_view0.len(), 8 + 32 + 128 * 32 + 8 + 32, "{ext:?}");
    }
}

#[test]
fn unsupported_k_is_refused_before_any_io() {
    for k in [0u8, 3, 5, 16, 255] {
        let (a, b) = MemChannel::pair();
        let mut a = a;
        let mut b = b;
        let ext = Extension::SoftSpoken { k };
        let err = CotSender::setup_with(&mut a, &Delta::random(), ext)
            .err()
            .unwrap();
        assert!(
            matches!(err, OtError::UnsupportedExtension { k: got } if got == k),
            "{err}"
        );
        assert!(report(&err).contains("not supported"), "{err}");
        let err = CotReceiver::setup_with(&mut b, ext).err().unwrap();
        assert!(matches!(err, OtError::UnsupportedExtension { .. }), "{err}");
        let err = CotSender::prepare(&Delta::random())
            .run_with(&mut a, ext)
            .err()
            .unwrap();
        assert!(matches!(err, OtError::UnsupportedExtension { .. }), "{err}");
        assert_eq!(a.traffic().sent, 0);
        assert_eq!(b.traffic().sent, 0);
    }
}

/// Runs `CotSender::setup_with` (SoftSpokenOT, k = 4) against an evaluator
/// that runs honest base OTs and then does `then`.
fn softspoken_sender_against(then: impl FnOnce(&mut MemChannel) + Send + 'static) -> OtError {
    let (a, b) = MemChannel::pair();
    let t = thread::spawn(move || {
        let mut b = b;
        // IKNP setup: the base OTs, and no tree sums.
        let _r = CotReceiver::setup(&mut b).unwrap();
        then(&mut b);
    });
    let mut a = a;
    let err = CotSender::setup_with(&mut a, &Delta::random(), Extension::SoftSpoken { k: 4 })
        .err()
        .expect("setup must fail");
    drop(a);
    t.join().unwrap();
    err
}

#[test]
fn bad_tree_sums_from_the_evaluator() {
    // Too short a frame.
    let err = softspoken_sender_against(|b| {
        b.send_frame(&[7; 4095]).unwrap();
        b.flush().unwrap();
    });
    assert!(
        matches!(
            err,
            OtError::Message(MessageError::Malformed {
                expected: 4096,
                got: 4095,
                ..
            })
        ),
        "{err}"
    );
    assert!(report(&err).contains("SoftSpokenOT tree sums"), "{err}");
    // A frame announcing more than the protocol allows: refused unread.
    let err = softspoken_sender_against(|b| {
        b.send_u64(1 << 40).unwrap();
        b.flush().unwrap();
    });
    assert!(
        matches!(err, OtError::Channel(ChannelError::TooLarge { .. })),
        "{err}"
    );
    // Truncated, then gone (an IKNP evaluator, which sends no tree sums).
    let err = softspoken_sender_against(|b| {
        b.send_u64(4096).unwrap();
        b.write_all(&[1; 100]).unwrap();
        b.flush().unwrap();
    });
    assert!(
        matches!(err, OtError::Channel(ChannelError::Closed)),
        "{err}"
    );
    let err = softspoken_sender_against(|_| {});
    assert!(
        matches!(err, OtError::Channel(ChannelError::Closed)),
        "{err}"
    );
}

#[test]
fn softspoken_extension_errors_are_clear_and_sticky() {
    let ext = Extension::SoftSpoken { k: 8 };
    // A truncated correction batch, then a disconnect.
    let (a, b) = MemChannel::pair();
    let t = thread::spawn(move || {
        let mut b = b;
        let mut r = CotReceiver::setup_with(&mut b, ext).unwrap();
        r.extend(&mut b, &random_bits(1000)).unwrap();
        b.send_u64(500).unwrap();
        b.write_all(&[0; 100]).unwrap();
        b.flush().unwrap();
    });
    let mut a = a;
    let delta = Delta::random();
    let mut s = CotSender::setup_with(&mut a, &delta, ext).unwrap();
    s.extend(&mut a, 1000).unwrap();
    t.join().unwrap();
    let err = s.extend(&mut a, 500).unwrap_err();
    assert!(
        matches!(err, OtError::Channel(ChannelError::Closed)),
        "{err}"
    );
    let err = s.extend(&mut a, 500).unwrap_err();
    assert!(matches!(err, OtError::Desynchronized), "{err}");

    // Garbage of the right length: no panic, just labels nobody holds.
    let (a, b) = MemChannel::pair();
    let t = thread::spawn(move || {
        let mut b = b;
        let _r = CotReceiver::setup_with(&mut b, ext).unwrap();
        b.send_u64(300).unwrap();
        let mut junk = vec![0u8; 384 * ext.bytes_per_ot()];
        yao_core::block::fill_random(&mut junk);
        b.write_all(&junk).unwrap();
        b.flush().unwrap();
    });
    let mut a = a;
    let mut s = CotSender::setup_with(&mut a, &delta, ext).unwrap();
    assert_eq!(s.extend(&mut a, 300).unwrap().len(), 300);
    t.join().unwrap();
}

#[test]
#[cfg_attr(debug_assertions, ignore = "five base-OT setups: release builds only")]
fn softspoken_bench_helper_runs() {
    let r = yao_runtime::bench::cot_rate_with(1 << 12, 0.01, Extension::SoftSpoken { k: 4 });
    assert!(r.cot_per_s.is_finite() && r.cot_per_s > 0.0, "{r:?}");
    // 4 bytes per OT, plus the 8-byte count per extend of 4096 OTs.
    assert!(
        (r.bytes_per_ot - (4.0 + 8.0 / 4096.0)).abs() < 1e-9,
        "{r:?}"
    );
}

/// Rates on this machine: `cargo test --release -p yao-runtime --test ot --
/// --ignored --nocapture print_extension_rates`.
#[test]
#[ignore = "a measurement: run by hand on a quiet machine"]
fn print_extension_rates() {
    let seconds: f64 = std::env::var("YAO_OT_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    // The last two columns bound the rate over a link of 1 Gbit/s and
    // 100 Mbit/s: the lesser of the loopback rate and what the evaluator's
    // bytes per OT let through (latency aside: extension is one-way).
    println!(
        "{:<20} {:>11} {:>9} {:>9} {:>11} {:>11}",
        "extension", "cot_per_s", "bytes/OT", "setup_ms", "@1Gbit/s", "@100Mbit/s"
    );
    for ext in std::iter::once(Extension::Iknp).chain(SOFTSPOKEN) {
        let r = yao_runtime::bench::cot_rate_with(1 << 20, seconds, ext);
        let link = |bits: f64| r.cot_per_s.min(bits / 8.0 / r.bytes_per_ot);
        println!(
            "{:<20} {:>11.3e} {:>9.3} {:>9.2} {:>11.3e} {:>11.3e}",
            format!("{ext:?}"),
            r.cot_per_s,
            r.bytes_per_ot,
            r.setup_ms,
            link(1e9),
            link(1e8)
        );
    }
}
