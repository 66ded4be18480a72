//! The session protocol in memory: many executions in one session agree
//! with the plaintext semantics, and an evaluator whose output labels were
//! tampered with is caught by the garbler's check.

use yao_core::ir::{Circuit, Gate, Input, Output, Party, ValueType};
use yao_runtime::channel::{Channel, ChannelError, MemChannel, Traffic};
use yao_runtime::protocol::{EvaluatorSession, EvaluatorSetup, GarblerSession, ProtocolError};
use yao_runtime::report::report;
use yao_runtime::TcpChannel;

/// `sum = a + b` and `carry` over 8-bit inputs, ripple-carry.
fn adder() -> Circuit {
    let mut gates = Vec::new();
    let mut next = 16u32;
    let mut fresh = || {
        next += 1;
        next - 1
    };
    let mut sum = Vec::new();
    let mut carry = None;
    for k in 0..8u32 {
        let (a, b) = (k, 8 + k);
        let axb = fresh();
        gates.push(Gate::Xor { a, b, out: axb });
        match carry {
            None => {
                sum.push(axb);
                let c = fresh();
                gates.push(Gate::And { a, b, out: c });
                carry = Some(c);
            }
            Some(c) => {
                let s = fresh();
                gates.push(Gate::Xor {
                    a: axb,
                    b: c,
                    out: s,
                });
                sum.push(s);
                // carry' = c ^ ((a ^ c) & (b ^ c))
                let (ac, bc, t, c2) = (fresh(), fresh(), fresh(), fresh());
                gates.push(Gate::Xor { a, b: c, out: ac });
                gates.push(Gate::Xor {
                    a: b,
                    b: c,
                    out: bc,
                });
                gates.push(Gate::And {
                    a: ac,
                    b: bc,
                    out: t,
                });
                gates.push(Gate::Xor {
                    a: t,
                    b: c,
                    out: c2,
                });
                carry = Some(c2);
            }
        }
    }
    let c = Circuit {
        name: "adder8".into(),
        num_wires: next,
        inputs: vec![
            Input {
                name: "a".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(8),
                wires: (0..8).collect(),
            },
            Input {
                name: "b".into(),
                party: Party::Evaluator,
                ty: ValueType::UInt(8),
                wires: (8..16).collect(),
            },
        ],
        outputs: vec![
            Output {
                name: "sum".into(),
                ty: ValueType::UInt(8),
                wires: sum,
            },
            Output {
                name: "carry".into(),
                ty: ValueType::Bool,
                wires: vec![carry.unwrap()],
            },
        ],
        gates,
    };
    c.validate().unwrap();
    c
}

fn bits(v: u8) -> Vec<bool> {
    (0..8).map(|k| (v >> k) & 1 == 1).collect()
}

#[test]
fn many_executions_in_one_session_match_eval_plain() {
    let c = adder();
    let (ga, ev) = MemChannel::pair();
    let pairs: Vec<(u8, u8)> = vec![(0, 0), (255, 1), (200, 100), (17, 42), (128, 128)];
    std::thread::scope(|s| {
        let pairs_g = pairs.clone();
        let c_ref = &c;
        s.spawn(move || {
            let mut g = GarblerSession::start(ga, c_ref).unwrap();
            for (a, _) in pairs_g {
                g.execute(&[bits(a)]).unwrap();
            }
            g.finish().unwrap();
        });
        let mut e = EvaluatorSession::start(ev, &c).unwrap();
        for &(a, b) in &pairs {
            let (out, stats) = e.execute(&[bits(b)]).unwrap();
            assert_eq!(out, c.eval_plain(&[bits(a), bits(b)]).unwrap(), "{a} + {b}");
            assert_eq!(stats.and_gates, 8);
        }
        e.finish().unwrap();
    });
}

#[test]
fn a_deferred_evaluator_setup_plans_during_the_base_ots() {
    let c = adder();
    let (ga, ev) = MemChannel::pair();
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut g = GarblerSession::start(ga, &c).unwrap();
            for a in [3, 250] {
                g.execute(&[bits(a)]).unwrap();
            }
            g.finish().unwrap();
        });
        let setup = EvaluatorSetup::deferred(&c);
        let mut e = EvaluatorSession::start_prepared(ev, setup).unwrap();
        for (a, b) in [(3, 9), (250, 7)] {
            let (out, _) = e.execute(&[bits(b)]).unwrap();
            assert_eq!(out, c.eval_plain(&[bits(a), bits(b)]).unwrap(), "{a} + {b}");
        }
        e.finish().unwrap();
    });
}

#[test]
fn a_deferred_evaluator_setup_still_names_a_circuit_mismatch() {
    let c = adder();
    let mut other = adder();
    other.outputs.swap(0, 1);
    let (ga, ev) = MemChannel::pair();
    std::thread::scope(|s| {
        s.spawn(|| GarblerSession::start(ga, &other).err());
        let setup = EvaluatorSetup::deferred(&c);
        let err = EvaluatorSession::start_prepared(ev, setup).err().unwrap();
        assert!(
            matches!(err, ProtocolError::CircuitMismatch { .. }),
            "{err}"
        );
    });
}

/// A channel that counts what it sends and can flip one bit of it.
struct Tamper<C> {
    inner: C,
    sent: u64,
    flip_at: Option<u64>,
}

impl<C: Channel> Channel for Tamper<C> {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        let mut data = data.to_vec();
        if let Some(at) = self.flip_at {
            if at >= self.sent && at < self.sent + data.len() as u64 {
                data[(at - self.sent) as usize] ^= 0x80;
            }
        }
        self.sent += data.len() as u64;
        self.inner.write_all(&data)
    }
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.read_exact(buf)
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn traffic(&self) -> Traffic {
        self.inner.traffic()
    }
}

/// Runs one execution with the evaluator's channel wrapped; returns the
/// garbler's result, the evaluator's finish result and the bytes it sent.
fn run_tampered(
    flip_at: Option<u64>,
) -> (Result<(), ProtocolError>, Result<(), ProtocolError>, u64) {
    let c = adder();
    let (ga, ev) = MemChannel::pair();
    std::thread::scope(|s| {
        let c_ref = &c;
        let garbler = s.spawn(move || {
            let mut g = GarblerSession::start(ga, c_ref)?;
            if let Err(e) = g.execute(&[bits(3)]) {
                // A failed session answers no more executions.
                assert!(matches!(
                    g.execute(&[bits(3)]),
                    Err(ProtocolError::SessionFailed)
                ));
                return Err(e);
            }
            g.finish()
        });
        let tamper = Tamper {
            inner: ev,
            sent: 0,
            flip_at,
        };
        let mut e = EvaluatorSession::start(tamper, &c).unwrap();
        let (out, _) = e.execute(&[bits(4)]).unwrap();
        assert_eq!(out[0], bits(7));
        // What the evaluator has sent so far ends with its output labels.
        let sent = e_sent(&e);
        let finished = e.finish();
        (garbler.join().unwrap(), finished, sent)
    })
}

fn e_sent<C: Channel>(e: &EvaluatorSession<'_, C>) -> u64 {
    e.traffic().sent
}

#[test]
fn forged_output_labels_are_caught() {
    let (g, e, sent) = run_tampered(None);
    g.unwrap();
    e.unwrap();
    // The last 16 bytes the evaluator sends are the label of `carry`.
    let (g, e, _) = run_tampered(Some(sent - 1));
    let g = g.unwrap_err();
    assert!(
        matches!(&g, ProtocolError::ForgedOutput { output, bit: 0 } if output == "carry"),
        "{g}"
    );
    assert!(report(&g).contains("neither of its two labels"), "{g}");
    assert!(matches!(e, Err(ProtocolError::OutputsRejected)), "{e:?}");
}

/// One execution's outputs, by group.
type Outputs = Vec<Vec<bool>>;

/// Runs `pairs` as one pipelined stream on both sides over `(ga, ev)`;
/// returns the outputs each side saw.
fn stream<C: Channel + Send>(
    c: &Circuit,
    ga: C,
    ev: C,
    pairs: &[(u8, u8)],
) -> (Vec<Outputs>, Vec<Outputs>) {
    std::thread::scope(|s| {
        let g = s.spawn(move || {
            let mut g = GarblerSession::start(ga, c).unwrap();
            let mut seen = Vec::new();
            let inputs = pairs.iter().map(|&(a, _)| vec![bits(a)]);
            let stats = g.execute_pipelined(inputs, |o| seen.push(o)).unwrap();
            assert_eq!(stats.and_gates, 8 * pairs.len() as u64);
            g.finish().unwrap();
            seen
        });
        let mut e = EvaluatorSession::start(ev, c).unwrap();
        let mut seen = Vec::new();
        let inputs = pairs.iter().map(|&(_, b)| vec![bits(b)]);
        e.execute_pipelined(inputs, |o| seen.push(o)).unwrap();
        e.finish().unwrap();
        (g.join().unwrap(), seen)
    })
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(16))]

    /// Pipelined streams of random executions (long enough to refill the
    /// precomputed OTs several times) agree with the plaintext semantics,
    /// and the garbler learns the same outputs as the evaluator.
    #[test]
    fn a_stream_of_random_executions_matches_eval_plain(
        pairs in proptest::collection::vec(proptest::prelude::any::<(u8, u8)>(), 0..300)
    ) {
        let c = adder();
        let (ga, ev) = MemChannel::pair();
        let (garbler_saw, evaluator_saw) = stream(&c, ga, ev, &pairs);
        proptest::prop_assert_eq!(&garbler_saw, &evaluator_saw);
        proptest::prop_assert_eq!(evaluator_saw.len(), pairs.len());
        for (&(a, b), out) in pairs.iter().zip(&evaluator_saw) {
            proptest::prop_assert_eq!(out, &c.eval_plain(&[bits(a), bits(b)]).unwrap());
        }
    }
}

#[test]
fn a_stream_over_tcp_matches_eval_plain() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let timeout = Some(std::time::Duration::from_secs(20));
    let accept = std::thread::spawn(move || listener.accept().unwrap().0);
    let ev = TcpChannel::new(std::net::TcpStream::connect(addr).unwrap(), timeout).unwrap();
    let ga = TcpChannel::new(accept.join().unwrap(), timeout).unwrap();
    let c = adder();
    let pairs: Vec<(u8, u8)> = (0..1000u32)
        .map(|i| ((i * 37 % 256) as u8, (i * 101 % 256) as u8))
        .collect();
    let (garbler_saw, evaluator_saw) = stream(&c, ga, ev, &pairs);
    assert_eq!(garbler_saw, evaluator_saw);
    for (&(a, b), out) in pairs.iter().zip(&evaluator_saw) {
        assert_eq!(out, &c.eval_plain(&[bits(a), bits(b)]).unwrap());
    }
}

/// Message tags are explicit, so a streaming party and a party that runs
/// one execution at a time work together, either way round.
#[test]
fn streams_and_single_executions_interoperate() {
    let c = adder();
    let pairs: Vec<(u8, u8)> = (0..40u8).map(|i| (i.wrapping_mul(7), 200 - i)).collect();
    for garbler_streams in [true, false] {
        let (ga, ev) = MemChannel::pair();
        std::thread::scope(|s| {
            let (c, pairs) = (&c, &pairs);
            s.spawn(move || {
                let mut g = GarblerSession::start(ga, c).unwrap();
                if garbler_streams {
                    g.execute_pipelined(pairs.iter().map(|&(a, _)| vec![bits(a)]), |_| {})
                        .unwrap();
                } else {
                    for &(a, _) in pairs {
                        g.execute(&[bits(a)]).unwrap();
                    }
                }
                g.finish().unwrap();
            });
            let mut e = EvaluatorSession::start(ev, c).unwrap();
            let mut seen = Vec::new();
            if garbler_streams {
                for &(_, b) in pairs {
                    seen.push(e.execute(&[bits(b)]).unwrap().0);
                }
            } else {
                e.execute_pipelined(pairs.iter().map(|&(_, b)| vec![bits(b)]), |o| seen.push(o))
                    .unwrap();
            }
            e.finish().unwrap();
            for (&(a, b), out) in pairs.iter().zip(&seen) {
                assert_eq!(out, &c.eval_plain(&[bits(a), bits(b)]).unwrap());
            }
        });
    }
}

/// Corrupts the output labels of the `target`-th execution the evaluator
/// returns: the write after the one-byte output tag that has the length of
/// the adder's 9 output labels.
struct ForgeOutputs<C> {
    inner: C,
    tag_seen: bool,
    returned: usize,
    target: usize,
}

impl<C: Channel> Channel for ForgeOutputs<C> {
    fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
        let mut data = data.to_vec();
        if self.tag_seen && data.len() == 9 * 16 {
            if self.returned == self.target {
                data[16 * 8] ^= 1; // the label of `carry`
            }
            self.returned += 1;
        }
        self.tag_seen = data == [0x12];
        self.inner.write_all(&data)
    }
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.read_exact(buf)
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn traffic(&self) -> Traffic {
        self.inner.traffic()
    }
}

#[test]
fn a_forged_output_mid_stream_is_caught() {
    let c = adder();
    let (ga, ev) = MemChannel::pair();
    let pairs: Vec<(u8, u8)> = (0..30u8).map(|i| (i, 3 * i)).collect();
    std::thread::scope(|s| {
        let (c, pairs) = (&c, &pairs);
        let garbler = s.spawn(move || {
            let mut g = GarblerSession::start(ga, c).unwrap();
            let mut seen = Vec::new();
            let err = g
                .execute_pipelined(pairs.iter().map(|&(a, _)| vec![bits(a)]), |o| seen.push(o))
                .unwrap_err();
            // A failed session answers no more executions.
            assert!(matches!(
                g.execute(&[bits(1)]),
                Err(ProtocolError::SessionFailed)
            ));
            (err, seen)
        });
        let forge = ForgeOutputs {
            inner: ev,
            tag_seen: false,
            returned: 0,
            target: 11,
        };
        let mut e = EvaluatorSession::start(forge, c).unwrap();
        let err = e
            .execute_pipelined(pairs.iter().map(|&(_, b)| vec![bits(b)]), |_| {})
            .unwrap_err();
        // The verdict, or the garbler hanging up before the evaluator,
        // still writing ahead, got to read it.
        assert!(
            matches!(err, ProtocolError::OutputsRejected) || err.is_disconnect(),
            "{err}"
        );
        let (err, seen) = garbler.join().unwrap();
        assert!(
            matches!(&err, ProtocolError::ForgedOutput { output, bit: 0 } if output == "carry"),
            "{err}"
        );
        // Exactly the executions before the forged one delivered outputs.
        assert_eq!(seen.len(), 11);
        for (&(a, b), out) in pairs.iter().zip(&seen) {
            assert_eq!(out, &c.eval_plain(&[bits(a), bits(b)]).unwrap());
        }
    });
}

fn is_closed(e: &ProtocolError) -> bool {
    matches!(
        e,
        ProtocolError::Channel {
            source: ChannelError::Closed,
            ..
        }
    )
}

/// Either party going away half-way through a stream over TCP is a
/// "peer closed" error on the other side, not a hang (the generous
/// timeout is only a backstop: a hang would fail as a timeout).
#[test]
fn a_peer_dying_mid_stream_is_a_clear_error() {
    let c = adder();
    let pairs: Vec<(u8, u8)> = (0..200u8).map(|i| (i, i ^ 0x5a)).collect();
    for garbler_dies in [true, false] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let timeout = Some(std::time::Duration::from_secs(60));
        let accept = std::thread::spawn(move || listener.accept().unwrap().0);
        let ev = TcpChannel::new(std::net::TcpStream::connect(addr).unwrap(), timeout).unwrap();
        let ga = TcpChannel::new(accept.join().unwrap(), timeout).unwrap();
        let (c, pairs) = (&c, &pairs);
        let (g, e) = std::thread::scope(|s| {
            let garbler = s.spawn(move || {
                let mut g = GarblerSession::start(ga, c).unwrap();
                let take = if garbler_dies { 70 } else { pairs.len() };
                let r = g.execute_pipelined(
                    pairs.iter().take(take).map(|&(a, _)| vec![bits(a)]),
                    |_| {},
                );
                drop(g); // gone without a goodbye
                r
            });
            let mut e = EvaluatorSession::start(ev, c).unwrap();
            let take = if garbler_dies { pairs.len() } else { 70 };
            let r =
                e.execute_pipelined(pairs.iter().take(take).map(|&(_, b)| vec![bits(b)]), |_| {});
            drop(e);
            (garbler.join().unwrap(), r)
        });
        if garbler_dies {
            let e = e.unwrap_err();
            assert!(is_closed(&e) && e.is_disconnect(), "{e}");
            assert!(report(&e).contains("closed"), "{e}");
        } else {
            let g = g.unwrap_err();
            assert!(is_closed(&g) && g.is_disconnect(), "{g}");
        }
    }
}

/// A circuit without evaluator inputs needs no OTs: streams and single
/// executions still work (the evaluator announces empty inputs).
#[test]
fn executions_without_evaluator_inputs() {
    let mut c = adder();
    c.inputs[1].party = Party::Garbler;
    c.validate().unwrap();
    let (ga, ev) = MemChannel::pair();
    std::thread::scope(|s| {
        let c = &c;
        s.spawn(move || {
            let mut g = GarblerSession::start(ga, c).unwrap();
            g.execute(&[bits(200), bits(100)]).unwrap();
            let inputs = (0..20u8).map(|i| vec![bits(i), bits(2 * i)]);
            g.execute_pipelined(inputs, |_| {}).unwrap();
            g.finish().unwrap();
        });
        let mut e = EvaluatorSession::start(ev, c).unwrap();
        let (out, _) = e.execute(&[]).unwrap();
        assert_eq!(out, c.eval_plain(&[bits(200), bits(100)]).unwrap());
        let mut seen = Vec::new();
        e.execute_pipelined(std::iter::repeat_n(Vec::new(), 20), |o| seen.push(o))
            .unwrap();
        for (i, out) in (0..20u8).zip(&seen) {
            assert_eq!(out, &c.eval_plain(&[bits(i), bits(2 * i)]).unwrap());
        }
        e.finish().unwrap();
    });
}

/// Inputs of the wrong width in a pipelined stream are the caller's
/// mistake: the executions before them complete, the call returns the
/// width error, and the session runs on (it used to be failed for good).
#[test]
fn a_wrong_width_in_a_stream_leaves_the_session_usable() {
    let c = adder();
    for garbler_errs in [true, false] {
        let (ga, ev) = MemChannel::pair();
        std::thread::scope(|s| {
            let c_ref = &c;
            s.spawn(move || {
                let mut g = GarblerSession::start(ga, c_ref).unwrap();
                let stream = if garbler_errs {
                    vec![vec![bits(1)], vec![vec![true; 3]], vec![bits(5)]]
                } else {
                    vec![vec![bits(1)]]
                };
                let mut outs = Vec::new();
                let r = g.execute_pipelined(&stream, |o| outs.push(o));
                assert_eq!(r.is_err(), garbler_errs, "{r:?}");
                assert_eq!(outs.len(), 1);
                g.execute(&[bits(7)]).unwrap();
                g.finish().unwrap();
            });
            let mut e = EvaluatorSession::start(ev, &c).unwrap();
            let stream = if garbler_errs {
                vec![vec![bits(2)]]
            } else {
                vec![vec![bits(2)], vec![vec![true; 9]]]
            };
            let mut outs = Vec::new();
            let r = e.execute_pipelined(&stream, |o| outs.push(o));
            if garbler_errs {
                r.unwrap();
            } else {
                assert!(matches!(r, Err(ProtocolError::InputWidth { .. })), "{r:?}");
            }
            assert_eq!(outs, vec![c.eval_plain(&[bits(1), bits(2)]).unwrap()]);
            let (out, _) = e.execute(&[bits(8)]).unwrap();
            assert_eq!(out, c.eval_plain(&[bits(7), bits(8)]).unwrap());
            e.finish().unwrap();
        });
    }
}
