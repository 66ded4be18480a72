//! One execution of a circuit read window by window ([`yao_core::window`]):
//! a session with a [windowed](super::GarblerSetup::windowed) setup that
//! runs once. Neither party ever holds the circuit whole.
//!
//! The messages are a session's (see [`super`]); only the id offered in the
//! handshake differs, [`windowed_id`]: a windowed schedule's table stream
//! differs from the whole circuit's (windows are planned separately), so a
//! windowed party cannot run against an in-memory one or one with another
//! window size, and a mismatch is the usual clear handshake error.

use super::error::ProtocolError;
use super::{EvaluatorSession, EvaluatorSetup, GarblerSession, GarblerSetup};
use crate::channel::{Channel, Traffic};
use yao_core::ir::GateSource;

pub use super::schedule::windowed_id;

/// What one windowed execution produced and cost.
#[derive(Clone, Debug)]
pub struct WindowedOutcome {
    /// The outputs, per output group.
    pub outputs: Vec<Vec<bool>>,
    /// AND gates garbled (dead ones are dropped).
    pub and_gates: u64,
    /// Windows run.
    pub windows: u64,
    /// The most wires carried between windows at once.
    pub peak_carried: usize,
    /// Bytes sent and received over the whole session.
    pub traffic: Traffic,
}

/// The garbler's side of one windowed execution over `ch`, with `window`
/// gates per window (both parties must use the same). `inputs` holds the
/// bits of the garbler's input groups in circuit order.
pub fn garble_windowed<C: Channel, S: GateSource + Sync>(
    ch: C,
    circuit: &S,
    window: usize,
    inputs: &[Vec<bool>],
) -> Result<WindowedOutcome, ProtocolError> {
    let mut session = GarblerSession::start_prepared(ch, GarblerSetup::windowed(circuit, window))?;
    let (outputs, stats) = session.execute(inputs)?;
    let traffic = session.traffic();
    session.finish()?;
    Ok(WindowedOutcome {
        outputs,
        and_gates: stats.and_gates,
        windows: stats.windows,
        peak_carried: stats.peak_carried,
        traffic,
    })
}

/// The evaluator's side of one windowed execution (see [`garble_windowed`]).
pub fn evaluate_windowed<C: Channel, S: GateSource + Sync>(
    ch: C,
    circuit: &S,
    window: usize,
    inputs: &[Vec<bool>],
) -> Result<WindowedOutcome, ProtocolError> {
    let mut session =
        EvaluatorSession::start_prepared(ch, EvaluatorSetup::windowed(circuit, window))?;
    let (outputs, stats) = session.execute(inputs)?;
    let traffic = session.traffic();
    session.finish()?;
    Ok(WindowedOutcome {
        outputs,
        and_gates: stats.and_gates,
        windows: stats.windows,
        peak_carried: stats.peak_carried,
        traffic,
    })
}
