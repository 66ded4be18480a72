//! The session protocol in memory: many executions in one session agree
//! with the plaintext semantics, and an evaluator whose output labels were
//! tampered with is caught by the garbler's check.

use yao_runtime::channel::{Channel, ChannelError, MemChannel, Traffic};
use yao_runtime::ir::{Circuit, Gate, Input, Output, Party, ValueType};
use yao_runtime::protocol::{EvaluatorSession, GarblerSession, ProtocolError};

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
    assert!(g.to_string().contains("neither of its two labels"), "{g}");
    assert!(matches!(e, Err(ProtocolError::OutputsRejected)), "{e:?}");
}
