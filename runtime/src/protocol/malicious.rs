//! The malicious-security level between two processes: the handshake, the
//! preprocessing ([`crate::preprocess`]) and the online phase of
//! authenticated garbling ([`yao_core::auth::online`], WRK17 section 4)
//! over one [`Channel`].
//!
//! One session per connection runs the circuit `N` times on the same
//! inputs (`N = 1` for [`garble`] and [`evaluate`]), in order:
//!
//! 1. [`handshake`] with [`Security::Malicious`]: a semi-honest peer, or one
//!    with another circuit, is refused by name before anything else. Then
//!    both parties send `N` (8 bytes) and refuse a peer with another count
//!    ([`MaliciousError::RepeatMismatch`]).
//! 2. Base OTs both ways and the global keys, once for the session.
//! 3. In rounds of executions ([`rounds`]), the round's shared bits and AND
//!    triples (KOS15 COTs, leaky ANDs, bucketing) together, then each of
//!    its executions' four online messages, each a frame whose exact length
//!    follows from the circuit ([`Layout`]); a frame of any other length is
//!    refused before it is read into memory. Every execution takes fresh
//!    wire masks and triples, and the next AND numbers of the session
//!    ([`AndNumbering`]): under the one `Delta_A` no hash tweak repeats.
//!
//! Both parties learn every execution's outputs, each after every check of
//! that execution has passed (SECURITY.md, "Authenticated garbling"). A
//! failed check ends the session: no later execution runs.

use super::error::ProtocolError;
use super::handshake::{handshake, Role, Security, Settings};
use crate::channel::{Channel, ChannelError};
use crate::preprocess::{PreprocessError, Preprocessor};
use std::ops::Range;
use std::time::{Duration, Instant};
use yao_core::auth::auth_bit::{GlobalKey, Share};
use yao_core::auth::garble::AndNumbering;
use yao_core::auth::layout::Layout;
use yao_core::auth::online::{Evaluator, GarbledMsg, Garbler, InputMsg, MaskMsg, OutputMsg};
use yao_core::auth::schedule::{Limits, Schedule};
use yao_core::auth::triple::Triple;
use yao_core::auth::{AuthError, Role as AuthRole};
use yao_core::ir::{Circuit, Identified, Party};

/// Why a malicious-security run failed.
#[derive(Debug, thiserror::Error)]
pub enum MaliciousError {
    /// The handshake failed or refused the peer.
    #[error("malicious-security run")]
    Handshake(#[source] ProtocolError),
    /// The preprocessing failed (a check of the peer, or the channel).
    #[error("malicious-security preprocessing")]
    Preprocess(#[source] PreprocessError),
    /// The channel failed in the online phase.
    #[error("malicious-security online phase, {step}")]
    Channel {
        /// Which message.
        step: &'static str,
        /// What went wrong.
        source: ChannelError,
    },
    /// The peer failed a check of the online phase or sent a malformed
    /// message: the run is aborted, and no output was released.
    #[error("malicious-security online phase")]
    Online(#[source] AuthError),
    /// This party's own circuit or inputs cannot run.
    #[error("malicious-security run: {0}")]
    Local(AuthError),
    /// The peer asked for another number of executions in this session.
    #[error(
        "the peer runs {theirs} executions in this session, this party {ours} \
         (both must use the same --repeat)"
    )]
    RepeatMismatch {
        /// This party's count.
        ours: u64,
        /// The peer's.
        theirs: u64,
    },
    /// A session of zero executions was asked for.
    #[error("a malicious-security session runs at least one execution")]
    NoExecutions,
}

impl MaliciousError {
    /// Whether the peer went away (closed the connection).
    pub fn is_disconnect(&self) -> bool {
        match self {
            MaliciousError::Channel { source, .. } => source.is_disconnect(),
            MaliciousError::Preprocess(PreprocessError::Channel(e)) => e.is_disconnect(),
            _ => false,
        }
    }
}

/// Where the time and the bytes of a session went (this party's view;
/// bytes counted in both directions), summed over its executions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MaliciousStats {
    /// Executions run.
    pub executions: u64,
    /// AND gates garbled: the circuit's, times the executions.
    pub ands: u64,
    /// Handshake, execution count and base OTs.
    pub setup: Duration,
    /// Shared bits and triples.
    pub preprocessing: Duration,
    /// The four online messages and the garbling or evaluation.
    pub online: Duration,
    /// Bytes of the handshake and base OTs.
    pub setup_bytes: u64,
    /// Bytes of the preprocessing.
    pub preprocessing_bytes: u64,
    /// Bytes of the online phase.
    pub online_bytes: u64,
}

/// The outputs of a one-execution session (one vector per output group)
/// and its stats.
#[derive(Clone, Debug)]
pub struct MaliciousOutcome {
    /// Every output group's bits, least significant first.
    pub outputs: Vec<Vec<bool>>,
    /// Time and bytes per phase.
    pub stats: MaliciousStats,
}

fn traffic(ch: &impl Channel) -> u64 {
    let t = ch.traffic();
    t.sent + t.received
}

fn send(ch: &mut impl Channel, step: &'static str, bytes: &[u8]) -> Result<(), MaliciousError> {
    ch.send_frame(bytes)
        .and_then(|()| ch.flush())
        .map_err(|source| MaliciousError::Channel { step, source })
}

/// Receives a frame that must be exactly `len` bytes (longer ones are
/// refused before allocation, shorter ones by the parser).
fn recv(ch: &mut impl Channel, step: &'static str, len: usize) -> Result<Vec<u8>, MaliciousError> {
    ch.recv_frame(step, len as u64)
        .map_err(|source| MaliciousError::Channel { step, source })
}

/// This party's input bits (its groups, in circuit order) flattened, after
/// checking there is one vector per group of the right width.
fn flatten(
    circuit: &Circuit,
    party: Party,
    inputs: &[Vec<bool>],
) -> Result<Vec<bool>, MaliciousError> {
    let groups: Vec<_> = circuit.inputs_of(party).collect();
    let wrong = |expected, got| {
        MaliciousError::Local(AuthError::WrongCount {
            what: "input bits",
            expected,
            got,
        })
    };
    if groups.len() != inputs.len() {
        return Err(wrong(groups.len(), inputs.len()));
    }
    for (g, bits) in groups.iter().zip(inputs) {
        if g.wires.len() != bits.len() {
            return Err(wrong(g.wires.len(), bits.len()));
        }
    }
    Ok(inputs.concat())
}

/// One execution of a session, handed over once all its checks passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// Which execution of the session, from 0.
    pub index: u64,
    /// Every output group's bits, least significant first.
    pub outputs: Vec<Vec<bool>>,
    /// The session's AND numbers this execution garbled under: its hash
    /// tweaks are theirs ([`yao_core::auth::garble`]), disjoint from every
    /// other execution's.
    pub ands: Range<u64>,
}

/// Shared bits held by one round are bounded like its triples: at most this
/// many per round (48 bytes each, so 100 MB), unless one execution needs
/// more.
pub const MAX_ROUND_SHARES: usize = 1 << 21;

/// How many executions of a circuit of `layout` each preprocessing round
/// of a session of `repeat` serves, under the bucketing `limits`.
///
/// The bucket size `B` falls as a request grows, as long as it fits one
/// bucketing group ([`Schedule`]); a request split into groups pays a union
/// bound and gains nothing. So a round is at most the largest number of
/// executions whose ANDs fit one group (and whose shares stay under
/// [`MAX_ROUND_SHARES`]), and the session is cut into the fewest such
/// rounds, of near-equal sizes (the larger first), so that no small last
/// round pays a larger `B`. For AES-128 (6,400 ANDs) under
/// [`Limits::DEFAULT`] a round holds up to 109 executions, and every round
/// of 44 or more has `B = 3` (one execution alone has `B = 4`).
pub fn rounds(layout: &Layout, repeat: u64, limits: Limits) -> impl Iterator<Item = u64> {
    let most = most_per_round(layout, limits).min(repeat.max(1));
    let count = repeat.div_ceil(most);
    let (q, r) = (repeat / count.max(1), repeat % count.max(1));
    (0..count).map(move |i| q + u64::from(i < r))
}

/// The largest number of executions one round may hold (at least 1).
fn most_per_round(layout: &Layout, limits: Limits) -> u64 {
    let by_shares = (MAX_ROUND_SHARES / layout.shares_needed().max(1)).max(1);
    if layout.ands == 0 {
        return by_shares as u64;
    }
    // A group of `limits.group` leaky triples holds `group / B` ANDs at
    // bucket size `B`; take the most executions that one group actually
    // holds at the bucket size the schedule then picks.
    (2..=limits.group / 2)
        .map(|b| (limits.group / (b * layout.ands)).min(by_shares))
        .take_while(|&k| k >= 1)
        .find(|&k| Schedule::new(k * layout.ands, limits).groups().len() <= 1)
        .unwrap_or(1) as u64
}

/// Both parties send their execution count; a peer with another is
/// refused.
fn agree_on_repeat(ch: &mut impl Channel, repeat: u64) -> Result<(), MaliciousError> {
    send(ch, "execution count", &repeat.to_le_bytes())?;
    let theirs = recv(ch, "peer's execution count", 8)?;
    let theirs = <[u8; 8]>::try_from(theirs.as_slice())
        .map(u64::from_le_bytes)
        .map_err(|_| {
            MaliciousError::Online(AuthError::WrongCount {
                what: "bytes of the execution count",
                expected: 8,
                got: theirs.len(),
            })
        })?;
    if theirs != repeat {
        return Err(MaliciousError::RepeatMismatch {
            ours: repeat,
            theirs,
        });
    }
    Ok(())
}

/// One execution's preprocessed material and AND numbers.
struct Material<'a> {
    key: &'a GlobalKey,
    shares: &'a [Share],
    triples: &'a [Triple],
    first_and: u64,
}

/// Runs a session of `repeat` executions of `circuit` on this party's
/// `inputs` (one vector per input group of `role`), handing each to `each`
/// once its checks passed.
fn session(
    ch: &mut impl Channel,
    identified: Identified<'_>,
    role: Role,
    inputs: &[Vec<bool>],
    repeat: u64,
    mut each: impl FnMut(Execution),
) -> Result<MaliciousStats, MaliciousError> {
    let party = match role {
        Role::Garbler => Party::Garbler,
        Role::Evaluator => Party::Evaluator,
    };
    let circuit = identified.circuit();
    let bits = flatten(circuit, party, inputs)?;
    if repeat == 0 {
        return Err(MaliciousError::NoExecutions);
    }
    let layout = Layout::new(circuit).map_err(MaliciousError::Local)?;
    let settings = Settings {
        security: Security::Malicious,
        ..Settings::default()
    };
    let start = Instant::now();
    handshake(ch, role, &identified.id(), settings).map_err(MaliciousError::Handshake)?;
    agree_on_repeat(ch, repeat)?;
    let auth_role = match role {
        Role::Garbler => AuthRole::A,
        Role::Evaluator => AuthRole::B,
    };
    let mut pre = Preprocessor::setup(ch, auth_role).map_err(MaliciousError::Preprocess)?;
    let mut stats = MaliciousStats {
        setup: start.elapsed(),
        setup_bytes: traffic(ch),
        ..MaliciousStats::default()
    };
    let mut numbering = AndNumbering::new();
    let (per_shares, per_ands) = (layout.shares_needed(), layout.ands);
    for round in rounds(&layout, repeat, pre.limits()) {
        let n = round as usize;
        let (start, before) = (Instant::now(), traffic(ch));
        let shares = pre
            .shares(ch, n * per_shares)
            .map_err(MaliciousError::Preprocess)?;
        let triples = pre
            .triples(ch, n * per_ands)
            .map_err(MaliciousError::Preprocess)?;
        stats.preprocessing += start.elapsed();
        stats.preprocessing_bytes += traffic(ch) - before;
        for i in 0..n {
            let (start, before) = (Instant::now(), traffic(ch));
            let ands = numbering.take(per_ands).map_err(MaliciousError::Local)?;
            let m = Material {
                key: pre.delta(),
                shares: &shares[i * per_shares..][..per_shares],
                triples: &triples[i * per_ands..][..per_ands],
                first_and: ands.start,
            };
            let out = match role {
                Role::Garbler => garble_once(ch, &layout, m, &bits)?,
                Role::Evaluator => evaluate_once(ch, &layout, m, &bits)?,
            };
            stats.online += start.elapsed();
            stats.online_bytes += traffic(ch) - before;
            each(Execution {
                index: stats.executions,
                outputs: Layout::split_outputs(circuit, &out),
                ands,
            });
            stats.executions += 1;
            stats.ands += per_ands as u64;
        }
    }
    Ok(stats)
}

/// The garbler's online phase of one execution: its output bits.
fn garble_once(
    ch: &mut impl Channel,
    layout: &Layout,
    m: Material,
    bits: &[bool],
) -> Result<Vec<bool>, MaliciousError> {
    let online = MaliciousError::Online;
    let (garbler, m1) = Garbler::start(layout, m.key, m.shares, m.triples, m.first_and, bits)
        .map_err(MaliciousError::Local)?;
    send(ch, "mask opening", &m1.to_bytes())?;
    let m2 = recv(ch, "peer's mask opening", MaskMsg::len(layout, AuthRole::B))?;
    let m2 = MaskMsg::from_bytes(&m2, layout, AuthRole::B).map_err(online)?;
    let input = recv(ch, "masked evaluator inputs", InputMsg::len(layout))?;
    let input = InputMsg::from_bytes(&input, layout).map_err(online)?;
    let (waiting, m3) = garbler.garble(&m2, &input).map_err(online)?;
    send(ch, "garbled circuit", &m3.to_bytes())?;
    let m4 = recv(ch, "evaluator's outputs", OutputMsg::len(layout))?;
    let m4 = OutputMsg::from_bytes(&m4, layout).map_err(online)?;
    waiting.finish(&m4).map_err(online)
}

/// The evaluator's online phase of one execution: its output bits.
fn evaluate_once(
    ch: &mut impl Channel,
    layout: &Layout,
    m: Material,
    bits: &[bool],
) -> Result<Vec<bool>, MaliciousError> {
    let online = MaliciousError::Online;
    let evaluator = Evaluator::start(layout, m.key, m.shares, m.triples, m.first_and, bits)
        .map_err(MaliciousError::Local)?;
    let m1 = recv(ch, "peer's mask opening", MaskMsg::len(layout, AuthRole::A))?;
    let m1 = MaskMsg::from_bytes(&m1, layout, AuthRole::A).map_err(online)?;
    let (waiting, m2, input) = evaluator.respond(&m1).map_err(online)?;
    send(ch, "mask opening", &m2.to_bytes())?;
    send(ch, "masked evaluator inputs", &input.to_bytes())?;
    let m3 = recv(ch, "garbled circuit", GarbledMsg::len(layout))?;
    let m3 = GarbledMsg::from_bytes(&m3, layout).map_err(online)?;
    let (bits, m4) = waiting.evaluate(&m3).map_err(online)?;
    send(ch, "outputs", &m4.to_bytes())?;
    Ok(bits)
}

/// The outcome of a one-execution session.
fn one(
    run: impl FnOnce(&mut dyn FnMut(Execution)) -> Result<MaliciousStats, MaliciousError>,
) -> Result<MaliciousOutcome, MaliciousError> {
    let mut outputs = Vec::new();
    let stats = run(&mut |e| outputs = e.outputs)?;
    Ok(MaliciousOutcome { outputs, stats })
}

/// Runs `circuit` once as the garbler (WRK17's `A`) with `inputs`, one
/// vector per garbler input group.
pub fn garble(
    ch: &mut impl Channel,
    circuit: &Circuit,
    inputs: &[Vec<bool>],
) -> Result<MaliciousOutcome, MaliciousError> {
    one(|each| garble_repeated(ch, circuit, inputs, 1, each))
}

/// Runs `circuit` once as the evaluator (WRK17's `B`) with `inputs`, one
/// vector per evaluator input group.
pub fn evaluate(
    ch: &mut impl Channel,
    circuit: &Circuit,
    inputs: &[Vec<bool>],
) -> Result<MaliciousOutcome, MaliciousError> {
    one(|each| evaluate_repeated(ch, circuit, inputs, 1, each))
}

/// Runs `circuit` `repeat` times in one session as the garbler, on the same
/// `inputs` each time; `each` receives every execution once its checks
/// passed. The evaluator must ask for as many executions. A circuit whose
/// id is already known ([`Identified`]) is not hashed again for the
/// handshake.
pub fn garble_repeated<'c>(
    ch: &mut impl Channel,
    circuit: impl Into<Identified<'c>>,
    inputs: &[Vec<bool>],
    repeat: u64,
    each: impl FnMut(Execution),
) -> Result<MaliciousStats, MaliciousError> {
    session(ch, circuit.into(), Role::Garbler, inputs, repeat, each)
}

/// The evaluator's side of [`garble_repeated`].
pub fn evaluate_repeated<'c>(
    ch: &mut impl Channel,
    circuit: impl Into<Identified<'c>>,
    inputs: &[Vec<bool>],
    repeat: u64,
    each: impl FnMut(Execution),
) -> Result<MaliciousStats, MaliciousError> {
    session(ch, circuit.into(), Role::Evaluator, inputs, repeat, each)
}

#[cfg(test)]
mod tests {
    use super::*;
    use yao_core::ir::{Gate, Input, Output, ValueType};

    /// A circuit of `ands` chained ANDs over two inputs.
    fn ands(ands: u32) -> Circuit {
        let mut gates = vec![Gate::And { a: 0, b: 1, out: 2 }];
        for i in 1..ands {
            gates.push(Gate::And {
                a: i + 1,
                b: 0,
                out: i + 2,
            });
        }
        let input = |name: &str, party, w| Input {
            name: name.into(),
            party,
            ty: ValueType::UInt(1),
            wires: vec![w],
        };
        Circuit {
            name: "ands".into(),
            num_wires: ands + 2,
            inputs: vec![
                input("x", Party::Garbler, 0),
                input("y", Party::Evaluator, 1),
            ],
            outputs: vec![Output {
                name: "z".into(),
                ty: ValueType::UInt(1),
                wires: vec![ands + 1],
            }],
            gates,
        }
    }

    /// AES-128's AND count: rounds of at most 109 executions, near equal,
    /// each one bucketing group, and (from 44 executions) at `B = 3`.
    #[test]
    fn rounds_fill_one_group_each_at_the_smallest_bucket() {
        let layout = Layout::new(&ands(6400)).unwrap();
        let limits = Limits::DEFAULT;
        let all = |n| rounds(&layout, n, limits).collect::<Vec<_>>();
        assert_eq!(all(1), [1]);
        assert_eq!(all(109), [109]);
        assert_eq!(all(110), [55, 55]);
        assert_eq!(all(128), [64, 64]);
        assert_eq!(all(219), [73, 73, 73]);
        for n in [1u64, 44, 100, 128, 300, 1000] {
            let r = all(n);
            assert_eq!(r.iter().sum::<u64>(), n);
            assert!(r.iter().max().unwrap() - r.iter().min().unwrap() <= 1);
            for &k in &r {
                let s = Schedule::new(k as usize * 6400, limits);
                assert_eq!(s.groups().len(), 1, "{n}: a round of {k}");
                if n >= 44 {
                    assert_eq!(s.bucket(), 3, "{n}: a round of {k}");
                }
            }
        }
        assert_eq!(Schedule::new(6400, limits).bucket(), 4);
        // A circuit without ANDs is bounded by its shares alone (2 each).
        let mut xor = ands(1);
        xor.gates = vec![Gate::Xor { a: 0, b: 1, out: 2 }];
        xor.outputs[0].wires = vec![2];
        xor.num_wires = 3;
        let xor = Layout::new(&xor).unwrap();
        assert_eq!(xor.ands, 0);
        let first = rounds(&xor, 1 << 40, limits).next().unwrap();
        assert_eq!(first, (MAX_ROUND_SHARES / 2) as u64);
    }
}
