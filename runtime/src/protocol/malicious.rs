//! The malicious-security level between two processes: the handshake, the
//! preprocessing ([`crate::preprocess`]) and the online phase of
//! authenticated garbling ([`yao_core::auth::online`], WRK17 section 4)
//! over one [`Channel`].
//!
//! One run per connection, in order:
//!
//! 1. [`handshake`] with [`Security::Malicious`]: a semi-honest peer, or one
//!    with another circuit, is refused by name before anything else.
//! 2. Base OTs both ways, then the circuit's shared bits and AND triples
//!    (KOS15 COTs, leaky ANDs, bucketing).
//! 3. The four online messages, each a frame whose exact length follows
//!    from the circuit ([`Layout`]); a frame of any other length is refused
//!    before it is read into memory.
//!
//! Both parties learn every output, after every check has passed
//! (SECURITY.md, "Authenticated garbling").

use super::error::ProtocolError;
use super::handshake::{handshake, Role, Security, Settings};
use crate::channel::{Channel, ChannelError};
use crate::preprocess::{PreprocessError, Preprocessor};
use std::time::{Duration, Instant};
use yao_core::auth::layout::Layout;
use yao_core::auth::online::{Evaluator, GarbledMsg, Garbler, InputMsg, MaskMsg, OutputMsg};
use yao_core::auth::{AuthError, Role as AuthRole};
use yao_core::ir::{Circuit, Party};

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

/// Where the time and the bytes of one run went (this party's view; bytes
/// counted in both directions).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MaliciousStats {
    /// AND gates of the circuit.
    pub ands: u64,
    /// Handshake and base OTs.
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

/// The outputs of a run (one vector per output group) and its stats.
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

struct Prepared {
    pre: Preprocessor,
    layout: Layout,
    shares: zeroize::Zeroizing<Vec<yao_core::auth::auth_bit::Share>>,
    triples: zeroize::Zeroizing<Vec<yao_core::auth::triple::Triple>>,
    stats: MaliciousStats,
}

/// Steps 1 and 2.
fn prepare(
    ch: &mut impl Channel,
    circuit: &Circuit,
    role: Role,
) -> Result<Prepared, MaliciousError> {
    let layout = Layout::new(circuit).map_err(MaliciousError::Local)?;
    let settings = Settings {
        security: Security::Malicious,
        ..Settings::default()
    };
    let start = Instant::now();
    handshake(ch, role, &circuit.id(), settings).map_err(MaliciousError::Handshake)?;
    let auth_role = match role {
        Role::Garbler => AuthRole::A,
        Role::Evaluator => AuthRole::B,
    };
    let mut pre = Preprocessor::setup(ch, auth_role).map_err(MaliciousError::Preprocess)?;
    let setup = start.elapsed();
    let setup_bytes = traffic(ch);
    let start = Instant::now();
    let shares = pre
        .shares(ch, layout.shares_needed())
        .map_err(MaliciousError::Preprocess)?;
    let triples = pre
        .triples(ch, layout.triples_needed())
        .map_err(MaliciousError::Preprocess)?;
    let stats = MaliciousStats {
        ands: layout.ands as u64,
        setup,
        preprocessing: start.elapsed(),
        setup_bytes,
        preprocessing_bytes: traffic(ch) - setup_bytes,
        ..MaliciousStats::default()
    };
    Ok(Prepared {
        pre,
        layout,
        shares,
        triples,
        stats,
    })
}

/// Runs `circuit` as the garbler (WRK17's `A`) with `inputs`, one vector
/// per garbler input group.
pub fn garble(
    ch: &mut impl Channel,
    circuit: &Circuit,
    inputs: &[Vec<bool>],
) -> Result<MaliciousOutcome, MaliciousError> {
    let bits = flatten(circuit, Party::Garbler, inputs)?;
    let p = prepare(ch, circuit, Role::Garbler)?;
    let (start, before) = (Instant::now(), traffic(ch));
    let online = MaliciousError::Online;
    let (garbler, m1) = Garbler::start(circuit, p.pre.delta(), &p.shares, &p.triples, 0, &bits)
        .map_err(MaliciousError::Local)?;
    send(ch, "mask opening", &m1.to_bytes())?;
    let m2 = recv(
        ch,
        "peer's mask opening",
        MaskMsg::len(&p.layout, AuthRole::B),
    )?;
    let m2 = MaskMsg::from_bytes(&m2, &p.layout, AuthRole::B).map_err(online)?;
    let input = recv(ch, "masked evaluator inputs", InputMsg::len(&p.layout))?;
    let input = InputMsg::from_bytes(&input, &p.layout).map_err(online)?;
    let (waiting, m3) = garbler.garble(&m2, &input).map_err(online)?;
    send(ch, "garbled circuit", &m3.to_bytes())?;
    let m4 = recv(ch, "evaluator's outputs", OutputMsg::len(&p.layout))?;
    let m4 = OutputMsg::from_bytes(&m4, &p.layout).map_err(online)?;
    let bits = waiting.finish(&m4).map_err(online)?;
    Ok(MaliciousOutcome {
        outputs: Layout::split_outputs(circuit, &bits),
        stats: MaliciousStats {
            online: start.elapsed(),
            online_bytes: traffic(ch) - before,
            ..p.stats
        },
    })
}

/// Runs `circuit` as the evaluator (WRK17's `B`) with `inputs`, one vector
/// per evaluator input group.
pub fn evaluate(
    ch: &mut impl Channel,
    circuit: &Circuit,
    inputs: &[Vec<bool>],
) -> Result<MaliciousOutcome, MaliciousError> {
    let bits = flatten(circuit, Party::Evaluator, inputs)?;
    let p = prepare(ch, circuit, Role::Evaluator)?;
    let (start, before) = (Instant::now(), traffic(ch));
    let online = MaliciousError::Online;
    let evaluator = Evaluator::start(circuit, p.pre.delta(), &p.shares, &p.triples, 0, &bits)
        .map_err(MaliciousError::Local)?;
    let m1 = recv(
        ch,
        "peer's mask opening",
        MaskMsg::len(&p.layout, AuthRole::A),
    )?;
    let m1 = MaskMsg::from_bytes(&m1, &p.layout, AuthRole::A).map_err(online)?;
    let (waiting, m2, input) = evaluator.respond(&m1).map_err(online)?;
    send(ch, "mask opening", &m2.to_bytes())?;
    send(ch, "masked evaluator inputs", &input.to_bytes())?;
    let m3 = recv(ch, "garbled circuit", GarbledMsg::len(&p.layout))?;
    let m3 = GarbledMsg::from_bytes(&m3, &p.layout).map_err(online)?;
    let (bits, m4) = waiting.evaluate(&m3).map_err(online)?;
    send(ch, "outputs", &m4.to_bytes())?;
    Ok(MaliciousOutcome {
        outputs: Layout::split_outputs(circuit, &bits),
        stats: MaliciousStats {
            online: start.elapsed(),
            online_bytes: traffic(ch) - before,
            ..p.stats
        },
    })
}
