//! What the two sides of a session share: the message tags, the limits
//! that bound what one party may send ahead, execution costs, and the
//! helpers that read circuits the same way on both sides. The sides
//! themselves are [`super::garbler_session`] and [`super::evaluator_session`]:
//! one handshake and one base-OT setup, then any number of executions of the
//! circuit on fresh inputs.

use super::error::ProtocolError;
pub(super) use super::wire::{
    check_widths, decode_returned, evaluator_bits, split_outputs, ACCEPTED, REJECTED,
};
use crate::channel::Traffic;
use std::time::{Duration, Instant};
pub(super) use yao_core::block::{pack_bits, unpack_bits};
use yao_core::ir::{Input, Output, Party};

// Message tags. Every message starts with one, so either party can tell
// what comes next and name what it got instead.
//
// Garbler to evaluator: an execution (the garbler's input labels, the
// garbled tables, the decoding bits), the end of the session, and the
// verdict on each execution's returned outputs ([`ACCEPTED`], [`REJECTED`]).
pub(super) const GOODBYE: u8 = 0;
pub(super) const EXECUTE: u8 = 1;
// Evaluator to garbler: a batch of precomputed OTs (a count, then the
// OT-extension message), the corrections announcing one execution's inputs
// (one bit per evaluator input bit, see [`super::precomputed`]), and the
// output labels of the oldest execution not yet returned.
pub(super) const REFILL: u8 = 0x10;
pub(super) const INPUTS: u8 = 0x11;
pub(super) const OUTPUTS: u8 = 0x12;

/// How many executions the evaluator may announce before the garbler has
/// garbled them; more is an error. A pipeline announces at most two ahead.
pub const MAX_AHEAD: usize = 4;
/// Precomputed OTs per refill in a pipeline (32 KiB of extension message).
pub(super) const PIPELINE_REFILL: usize = 2048;
/// Bytes an evaluator's pipeline may send that the garbler has not read yet.
/// Linux buffers well over this on any TCP connection (a receive window of
/// 64 KiB and a send buffer of 16 KiB by default).
pub(super) const IN_FLIGHT: usize = 48 << 10;

/// What one execution cost, for `--json` reports and benchmarks.
#[derive(Clone, Debug, Default)]
pub struct ExecutionStats {
    /// AND gates garbled or evaluated (dead ones are dropped).
    pub and_gates: u64,
    /// Bytes this party sent and received during the execution.
    pub traffic: Traffic,
    /// Time spent on oblivious transfer (precomputed OTs and corrections).
    pub ot: Duration,
    /// Time spent on the garbler's input labels.
    pub inputs: Duration,
    /// Time spent garbling or evaluating and moving the tables.
    pub tables: Duration,
    /// Time spent decoding and checking outputs.
    pub outputs: Duration,
    /// Windows run, for a circuit read window by window (0 otherwise).
    pub windows: u64,
    /// The most wires carried between windows at once (0 for a whole circuit).
    pub peak_carried: usize,
}

impl ExecutionStats {
    /// The whole time of the execution.
    pub fn total(&self) -> Duration {
        self.ot + self.inputs + self.tables + self.outputs
    }

    /// Adds another execution's costs to these.
    pub fn add(&mut self, other: &ExecutionStats) {
        self.and_gates += other.and_gates;
        self.traffic.sent += other.traffic.sent;
        self.traffic.received += other.traffic.received;
        self.ot += other.ot;
        self.inputs += other.inputs;
        self.tables += other.tables;
        self.outputs += other.outputs;
        self.windows += other.windows;
        self.peak_carried = self.peak_carried.max(other.peak_carried);
    }
}

/// A lap timer: each call stores the time since the previous call.
pub(super) fn stopwatch() -> impl FnMut(&mut Duration) {
    let mut clock = Instant::now();
    move |d: &mut Duration| {
        *d = clock.elapsed();
        clock = Instant::now();
    }
}

/// A schedule built on another thread.
pub(super) fn joined<T>(
    planning: std::thread::ScopedJoinHandle<'_, Result<T, ProtocolError>>,
) -> Result<T, ProtocolError> {
    planning.join().unwrap_or(Err(ProtocolError::PlanPanicked))
}

/// Groups of `party` in circuit order, with their widths.
pub(super) fn groups_of(inputs: &[Input], party: Party) -> Vec<(usize, usize)> {
    (0..inputs.len())
        .filter(|&k| inputs[k].party == party)
        .map(|k| (k, inputs[k].wires.len()))
        .collect()
}

pub(super) fn total_output_bits(outputs: &[Output]) -> usize {
    outputs.iter().map(|o| o.wires.len()).sum()
}

/// Called with the number of AND gates done so far in the current execution.
pub type Progress = Box<dyn FnMut(u64) + Send>;

/// The largest refill the garbler accepts: a pipeline's batch or one
/// execution's worth, whichever is larger.
pub(super) fn refill_max(n: usize) -> usize {
    PIPELINE_REFILL.max(n.next_multiple_of(128))
}

/// How many executions an evaluator's pipeline announces ahead of the one it
/// evaluates, and how many OTs it precomputes per refill. What it sends
/// ahead must fit in the kernel's socket buffers while the garbler, busy
/// writing tables, does not read: otherwise both could block in a write.
/// Circuits with large outputs or inputs get no look-ahead (their
/// executions are long enough that the round trip does not matter).
pub(super) fn lookahead(inputs: &[Input], outputs: &[Output]) -> (usize, usize) {
    let n = evaluator_bits(inputs);
    let per_execution = 2 + n.div_ceil(8) + 16 * total_output_bits(outputs);
    let refill_bytes = |ots: usize| 17 + 16 * ots;
    for ahead in [2, 1] {
        for refill in [refill_max(n), n.next_multiple_of(128)] {
            if ahead * per_execution + refill_bytes(refill) <= IN_FLIGHT {
                return (ahead, refill);
            }
        }
    }
    (0, refill_max(n))
}

pub(super) fn traffic_since(start: Traffic, now: Traffic) -> Traffic {
    Traffic {
        sent: now.sent - start.sent,
        received: now.received - start.received,
    }
}
