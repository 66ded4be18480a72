//! Garbler and evaluator sessions: one handshake and one base-OT setup, then
//! any number of executions of the circuit on fresh inputs.

use super::deadline;
use super::error::{During, Phase, ProtocolError};
use super::handshake::{handshake, Role};
use super::precomputed::{ReceiverPool, SenderPool};
use crate::block::{Block, Delta};
use crate::channel::{Channel, Traffic};
use crate::evaluator::Evaluator;
use crate::garbler::Garbler;
use crate::ir::{Circuit, CircuitId, Party};
use crate::ot::{CotReceiver, CotSender, CotSenderSetup};
use crate::plan::Plan;
use crate::tweak::AndCounter;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

// Message tags. Every message starts with one, so either party can tell
// what comes next and name what it got instead.
//
// Garbler to evaluator: an execution (the garbler's input labels, the
// garbled tables, the decoding bits), the end of the session, and the
// verdict on each execution's returned outputs.
const GOODBYE: u8 = 0;
const EXECUTE: u8 = 1;
const ACCEPTED: u8 = 2;
const REJECTED: u8 = 3;
// Evaluator to garbler: a batch of precomputed OTs (a count, then the
// OT-extension message), the corrections announcing one execution's inputs
// (one bit per evaluator input bit, see [`super::precomputed`]), and the
// output labels of the oldest execution not yet returned.
const REFILL: u8 = 0x10;
const INPUTS: u8 = 0x11;
const OUTPUTS: u8 = 0x12;

/// How many executions the evaluator may announce before the garbler has
/// garbled them; more is an error. A stream announces at most two ahead.
pub const MAX_AHEAD: usize = 4;
/// Precomputed OTs per refill in a stream (32 KiB of extension message).
const STREAM_REFILL: usize = 2048;
/// Bytes an evaluator's stream may send that the garbler has not read yet.
/// Linux buffers well over this on any TCP connection (a receive window of
/// 64 KiB and a send buffer of 16 KiB by default).
const IN_FLIGHT: usize = 48 << 10;

/// What one execution cost, for `--json` reports and benchmarks.
#[derive(Clone, Debug, Default)]
pub struct ExecutionStats {
    pub and_gates: u64,
    /// Bytes this party sent and received during the execution.
    pub traffic: Traffic,
    pub ot: Duration,
    pub inputs: Duration,
    pub tables: Duration,
    pub outputs: Duration,
}

impl ExecutionStats {
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
    }
}

/// A lap timer: each call stores the time since the previous call.
fn stopwatch() -> impl FnMut(&mut Duration) {
    let mut clock = Instant::now();
    move |d: &mut Duration| {
        *d = clock.elapsed();
        clock = Instant::now();
    }
}

/// The garbling schedule, built once per session and shared by its executions.
fn plan_for(circuit: &Circuit) -> Result<Arc<Plan>, ProtocolError> {
    Ok(Arc::new(Plan::new(circuit)?))
}

/// A schedule built on another thread.
fn joined(
    planning: std::thread::ScopedJoinHandle<'_, Result<Arc<Plan>, ProtocolError>>,
) -> Result<Arc<Plan>, ProtocolError> {
    planning.join().unwrap_or(Err(ProtocolError::PlanPanicked))
}

/// Groups of `party` in circuit order, with their widths.
fn groups_of(circuit: &Circuit, party: Party) -> Vec<(usize, usize)> {
    (0..circuit.inputs.len())
        .filter(|&k| circuit.inputs[k].party == party)
        .map(|k| (k, circuit.inputs[k].wires.len()))
        .collect()
}

fn check_widths(
    circuit: &Circuit,
    party: Party,
    inputs: &[Vec<bool>],
) -> Result<(), ProtocolError> {
    let groups = groups_of(circuit, party);
    if groups.len() != inputs.len() {
        return Err(ProtocolError::InputCount {
            party: party.name(),
            expected: groups.len(),
            found: inputs.len(),
        });
    }
    for ((k, width), bits) in groups.iter().zip(inputs) {
        if *width != bits.len() {
            return Err(ProtocolError::InputWidth {
                party: party.name(),
                group: circuit.inputs[*k].name.clone(),
                expected: *width,
                found: bits.len(),
            });
        }
    }
    Ok(())
}

fn total_output_bits(circuit: &Circuit) -> usize {
    circuit.outputs.iter().map(|o| o.wires.len()).sum()
}

fn pack(bits: impl Iterator<Item = bool>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, b) in bits.enumerate() {
        if i % 8 == 0 {
            out.push(0);
        }
        *out.last_mut().expect("pushed above") |= (b as u8) << (i % 8);
    }
    out
}

fn unpack(bytes: &[u8], n: usize) -> Vec<bool> {
    (0..n).map(|i| bytes[i / 8] >> (i % 8) & 1 == 1).collect()
}

/// Splits `flat` into groups of the outputs' widths.
fn split_outputs<T: Clone>(circuit: &Circuit, flat: &[T]) -> Vec<Vec<T>> {
    let mut at = 0;
    circuit
        .outputs
        .iter()
        .map(|o| {
            at += o.wires.len();
            flat[at - o.wires.len()..at].to_vec()
        })
        .collect()
}

/// Called with the number of AND gates done so far in the current execution.
pub type Progress = Box<dyn FnMut(u64) + Send>;

/// What a garbler prepares before its evaluator connects: the circuit id, a
/// fresh `Delta` and its first base-OT message. A garbler that serves
/// sessions one after another prepares the next one while it waits, so a
/// connecting evaluator waits less. The garbling schedule is built when the
/// session starts, on another thread while the base OTs wait for the peer.
pub struct GarblerSetup<'c> {
    circuit: &'c Circuit,
    id: CircuitId,
    delta: Delta,
    ot: CotSenderSetup,
}

/// The part of a garbler's setup that needs no circuit: a fresh `Delta`
/// and the first base-OT message, milliseconds of public-key work. A
/// starting garbler makes it on another thread while its circuit loads.
pub struct GarblerKeys {
    delta: Delta,
    ot: CotSenderSetup,
}

impl GarblerKeys {
    pub fn new() -> GarblerKeys {
        let delta = Delta::random();
        GarblerKeys {
            ot: CotSender::prepare(&delta),
            delta,
        }
    }
}

impl Default for GarblerKeys {
    fn default() -> Self {
        GarblerKeys::new()
    }
}

impl<'c> GarblerSetup<'c> {
    pub fn new(circuit: &'c Circuit) -> Result<Self, ProtocolError> {
        Self::with_keys(circuit, GarblerKeys::new())
    }

    /// A setup with keys made beforehand (see [`GarblerKeys`]).
    pub fn with_keys(circuit: &'c Circuit, keys: GarblerKeys) -> Result<Self, ProtocolError> {
        Ok(GarblerSetup {
            circuit,
            id: circuit.id(),
            ot: keys.ot,
            delta: keys.delta,
        })
    }

    pub fn circuit(&self) -> &'c Circuit {
        self.circuit
    }
}

/// What an evaluator prepares before it connects: the circuit id and,
/// unless [deferred](EvaluatorSetup::deferred), the schedule.
pub struct EvaluatorSetup<'c> {
    circuit: &'c Circuit,
    /// `None` for a deferred setup: built when the session starts.
    plan: Option<Arc<Plan>>,
    id: CircuitId,
}

impl<'c> EvaluatorSetup<'c> {
    /// A setup with the schedule built now: a circuit that cannot be
    /// planned is refused before any connection is made.
    pub fn new(circuit: &'c Circuit) -> Result<Self, ProtocolError> {
        Ok(EvaluatorSetup {
            circuit,
            plan: Some(plan_for(circuit)?),
            id: circuit.id(),
        })
    }

    /// A setup whose schedule is built when the session starts, on another
    /// thread while the handshake and the base OTs wait for the garbler, as
    /// the garbler's is: a single execution starts milliseconds sooner
    /// (connecting needs only the circuit id). A circuit that cannot be
    /// planned is still reported before anything the peer did, by
    /// [`EvaluatorSession::start_prepared`], but after connecting.
    pub fn deferred(circuit: &'c Circuit) -> Self {
        EvaluatorSetup {
            circuit,
            plan: None,
            id: circuit.id(),
        }
    }

    pub fn circuit(&self) -> &'c Circuit {
        self.circuit
    }
}

/// Output zero-labels of an execution the garbler has garbled and whose
/// output labels the evaluator has not returned yet.
struct Pending {
    zero: Zeroizing<Vec<Block>>,
}

/// The garbler's side of a session.
pub struct GarblerSession<'c, C: Channel> {
    progress: Option<Progress>,
    ch: C,
    circuit: &'c Circuit,
    plan: Arc<Plan>,
    delta: Delta,
    ot: CotSender,
    pool: SenderPool,
    /// Evaluator-input bits per execution.
    n: usize,
    /// Zero-labels of the evaluator's inputs for executions it announced
    /// and the garbler has not garbled yet.
    ready: VecDeque<Zeroizing<Vec<Block>>>,
    /// Executions garbled whose outputs are not back yet, oldest first.
    pending: VecDeque<Pending>,
    /// Garbled tables on their way out (public: not wiped).
    tables: Vec<Block>,
    /// The session's AND numbering: each execution hashes under its own
    /// range of tweaks (see [`crate::tweak`]).
    ands: AndCounter,
    /// Set while executions run and cleared when they succeed: after any
    /// failure (a forged output label above all) the session refuses to run
    /// again, so a cheating evaluator gets no further answers under this
    /// `Delta`.
    failed: bool,
}

impl<'c, C: Channel> GarblerSession<'c, C> {
    /// Handshake and base OTs.
    pub fn start(ch: C, circuit: &'c Circuit) -> Result<Self, ProtocolError> {
        Self::start_prepared(ch, GarblerSetup::new(circuit)?)
    }

    /// Handshake and base OTs, with the work that needs no peer done
    /// beforehand (see [`GarblerSetup`]).
    pub fn start_prepared(mut ch: C, setup: GarblerSetup<'c>) -> Result<Self, ProtocolError> {
        tracing::debug!("garbler: session starts");
        let circuit = setup.circuit;
        let (plan, ot) = std::thread::scope(|s| {
            let planning = s.spawn(|| plan_for(circuit));
            let ot = deadline::setup(&mut ch, |ch| {
                handshake(ch, Role::Garbler, &setup.id)?;
                tracing::trace!("garbler: handshake done");
                setup.ot.run(ch).during(Phase::ObliviousTransfer)
            });
            (joined(planning), ot)
        });
        let ot = ot?;
        tracing::debug!("garbler: handshake and base OTs done");
        Ok(GarblerSession {
            progress: None,
            ch,
            circuit,
            n: evaluator_bits(circuit),
            plan: plan?,
            delta: setup.delta,
            ot,
            pool: SenderPool::default(),
            ready: VecDeque::new(),
            pending: VecDeque::new(),
            tables: Vec::new(),
            ands: AndCounter::new(),
            failed: false,
        })
    }

    /// Reports progress through the garbled tables to `f`.
    pub fn set_progress(&mut self, f: Progress) {
        self.progress = Some(f);
    }

    /// One execution. `inputs` holds the bits of the garbler's input groups
    /// in circuit order; returns the outputs the evaluator decoded (checked:
    /// every output label it returns must be one of the two labels of that
    /// output wire, so garbage from the peer cannot pass as an output).
    pub fn execute(
        &mut self,
        inputs: &[Vec<bool>],
    ) -> Result<(Vec<Vec<bool>>, ExecutionStats), ProtocolError> {
        check_widths(self.circuit, Party::Garbler, inputs)?;
        let mut outputs = Vec::new();
        let stats = self.run(std::iter::once(inputs), 0, &mut |o| outputs = o)?;
        Ok((outputs, stats))
    }

    /// One execution per item of `inputs` (the garbler's bits, as for
    /// [`GarblerSession::execute`]), pipelined: the garbler garbles an
    /// execution while the evaluator still evaluates the previous ones, and
    /// checks their returned output labels as they arrive. `on_outputs`
    /// gets the checked outputs of each execution, in order. The evaluator
    /// must run [`EvaluatorSession::execute_stream`] (or `execute`) as many
    /// times. Returns the summed costs; on an error the session is failed.
    pub fn execute_stream<I>(
        &mut self,
        inputs: I,
        mut on_outputs: impl FnMut(Vec<Vec<bool>>),
    ) -> Result<ExecutionStats, ProtocolError>
    where
        I: IntoIterator,
        I::Item: AsRef<[Vec<bool>]>,
    {
        self.run(inputs, MAX_AHEAD + 1, &mut on_outputs)
    }

    /// Garbles one execution per input, letting at most `window` executions
    /// wait for their outputs, then collects the outstanding outputs.
    fn run<I>(
        &mut self,
        inputs: I,
        window: usize,
        on_outputs: &mut dyn FnMut(Vec<Vec<bool>>),
    ) -> Result<ExecutionStats, ProtocolError>
    where
        I: IntoIterator,
        I::Item: AsRef<[Vec<bool>]>,
    {
        if self.failed {
            return Err(ProtocolError::SessionFailed);
        }
        self.failed = true;
        let start_traffic = self.ch.traffic();
        let mut stats = ExecutionStats::default();
        // Inputs of the wrong width are the caller's mistake, not the
        // peer's: the executions before them complete, and the session
        // stays usable.
        let mut refused = Ok(());
        for x in inputs {
            let x = x.as_ref();
            refused = check_widths(self.circuit, Party::Garbler, x);
            if refused.is_err() {
                break;
            }
            while self.ready.is_empty() || self.pending.len() > window {
                self.next_message(&mut stats, on_outputs)?;
            }
            self.garble_one(x, &mut stats)?;
        }
        while !self.pending.is_empty() {
            self.next_message(&mut stats, on_outputs)?;
        }
        self.ch.flush().during(Phase::OutputReturn)?;
        stats.traffic = traffic_since(start_traffic, self.ch.traffic());
        self.failed = false;
        refused?;
        tracing::debug!(?stats, "garbler: executions done");
        Ok(stats)
    }

    /// Reads and handles one message of the evaluator: precomputed OTs, the
    /// corrections announcing an execution's inputs, or the output labels of
    /// the oldest pending execution (checked, answered with a verdict).
    fn next_message(
        &mut self,
        stats: &mut ExecutionStats,
        on_outputs: &mut dyn FnMut(Vec<Vec<bool>>),
    ) -> Result<(), ProtocolError> {
        let mut lap = stopwatch();
        let phase = if self.pending.is_empty() {
            Phase::ObliviousTransfer
        } else {
            Phase::OutputReturn
        };
        let mut tag = [0u8];
        self.ch.read_exact(&mut tag).during(phase)?;
        match tag[0] {
            REFILL => {
                let count = self.ch.recv_u64().during(Phase::ObliviousTransfer)?;
                let max = refill_max(self.n);
                if self.n == 0
                    || self.pool.available() >= self.n
                    || count == 0
                    || count > max as u64
                {
                    return Err(ProtocolError::Refill {
                        count,
                        max,
                        available: self.pool.available(),
                    });
                }
                self.pool
                    .refill(&mut self.ot, &mut self.ch, count as usize)
                    .during(Phase::ObliviousTransfer)?;
                let mut t = Duration::ZERO;
                lap(&mut t);
                stats.ot += t;
            }
            INPUTS => {
                if self.ready.len() >= MAX_AHEAD {
                    return Err(ProtocolError::RanAhead { max: MAX_AHEAD });
                }
                if self.pool.available() < self.n {
                    return Err(ProtocolError::Unexpected {
                        phase: Phase::ObliviousTransfer,
                        found: INPUTS,
                        expected: "precomputed OTs before the inputs that spend them",
                    });
                }
                let mut packed = vec![0u8; self.n.div_ceil(8)];
                self.ch
                    .read_exact(&mut packed)
                    .during(Phase::ObliviousTransfer)?;
                let d = unpack(&packed, self.n);
                let zero = self.pool.take(&d, &self.delta);
                self.ready.push_back(zero);
                let mut t = Duration::ZERO;
                lap(&mut t);
                stats.ot += t;
            }
            OUTPUTS => {
                let Some(pending) = self.pending.pop_front() else {
                    return Err(ProtocolError::Unexpected {
                        phase: Phase::OutputReturn,
                        found: OUTPUTS,
                        expected: "no outputs: none are due",
                    });
                };
                let bits = self.check_outputs(&pending)?;
                on_outputs(split_outputs(self.circuit, &bits));
                let mut t = Duration::ZERO;
                lap(&mut t);
                stats.outputs += t;
            }
            other => {
                return Err(ProtocolError::Unexpected {
                    phase,
                    found: other,
                    expected: "precomputed OTs, inputs or outputs",
                })
            }
        }
        Ok(())
    }

    /// Reads the returned output labels of `pending` and decodes them, or
    /// rejects them if any is neither of its wire's two labels.
    fn check_outputs(&mut self, pending: &Pending) -> Result<Vec<bool>, ProtocolError> {
        let mut returned = vec![Block::ZERO; pending.zero.len()];
        self.ch
            .recv_blocks(&mut returned)
            .during(Phase::OutputReturn)?;
        let delta = self.delta.block();
        let mut bits = Vec::with_capacity(returned.len());
        for (i, (&label, &zero)) in returned.iter().zip(pending.zero.iter()).enumerate() {
            if label == zero {
                bits.push(false);
            } else if label == zero ^ delta {
                bits.push(true);
            } else {
                self.ch.write_all(&[REJECTED]).during(Phase::OutputReturn)?;
                self.ch.flush().during(Phase::OutputReturn)?;
                let (output, bit) = locate_output_bit(self.circuit, i);
                return Err(ProtocolError::ForgedOutput { output, bit });
            }
        }
        self.ch.write_all(&[ACCEPTED]).during(Phase::OutputReturn)?;
        Ok(bits)
    }

    /// Garbles and sends one execution on the oldest announced evaluator
    /// inputs.
    fn garble_one(
        &mut self,
        inputs: &[Vec<bool>],
        stats: &mut ExecutionStats,
    ) -> Result<(), ProtocolError> {
        let circuit = self.circuit;
        let mut lap = stopwatch();
        let mut t = ExecutionStats::default();
        let zero = self.ready.pop_front().ok_or(ProtocolError::Unexpected {
            phase: Phase::ObliviousTransfer,
            found: EXECUTE,
            expected: "inputs announced before their execution",
        })?;
        self.ch
            .write_all(&[EXECUTE])
            .during(Phase::ObliviousTransfer)?;
        let mut garbler = Garbler::from_plan(self.plan.clone(), self.delta.clone());
        let first_and = self.ands.take(self.plan.num_ands())?;
        garbler.set_first_and(first_and)?;
        let mut at = 0;
        for (k, width) in groups_of(circuit, Party::Evaluator) {
            garbler.set_input_zero_labels(k, &zero[at..at + width])?;
            at += width;
        }
        drop(zero);
        lap(&mut t.ot);

        for ((k, _), bits) in groups_of(circuit, Party::Garbler).into_iter().zip(inputs) {
            let labels = garbler.encode_input(k, bits)?;
            self.ch.send_blocks(&labels).during(Phase::GarblerInputs)?;
        }
        lap(&mut t.inputs);

        // Tables leave in chunks of many steps: fewer, larger writes, from
        // one buffer reused across executions (a fresh quarter-megabyte
        // buffer each time would cost page faults).
        let mut tables = std::mem::take(&mut self.tables);
        let (ch, progress) = (&mut self.ch, &mut self.progress);
        garbler.garble_in_chunks(crate::garbler::TABLE_CHUNK, &mut tables, |chunk| {
            t.and_gates += chunk.len() as u64 / 2;
            ch.send_blocks(chunk).during(Phase::GarbledTables)?;
            if let Some(f) = progress {
                f(t.and_gates);
            }
            Ok::<_, ProtocolError>(())
        })?;
        self.tables = tables;
        lap(&mut t.tables);

        // The decoding bits are not flushed: they leave with the next
        // execution's first tables, or before this party next waits for
        // the evaluator (a channel flushes before a read that must wait).
        let zero: Zeroizing<Vec<Block>> = Zeroizing::new(
            garbler
                .output_zero_labels()
                .iter()
                .flatten()
                .copied()
                .collect(),
        );
        self.ch
            .write_all(&pack(zero.iter().map(|l| l.lsb())))
            .during(Phase::OutputDecoding)?;
        self.pending.push_back(Pending { zero });
        lap(&mut t.outputs);
        stats.add(&t);
        Ok(())
    }

    /// Tells the evaluator that no execution follows.
    pub fn finish(mut self) -> Result<(), ProtocolError> {
        self.ch.write_all(&[GOODBYE]).during(Phase::Handshake)?;
        self.ch.flush().during(Phase::Handshake)
    }
}

/// The evaluator's side of a session.
pub struct EvaluatorSession<'c, C: Channel> {
    progress: Option<Progress>,
    /// Outputs returned whose verdict the garbler has not sent yet.
    verdicts_due: usize,
    ch: C,
    circuit: &'c Circuit,
    plan: Arc<Plan>,
    ot: CotReceiver,
    pool: ReceiverPool,
    /// This party's input labels for executions announced to the garbler
    /// and not evaluated yet, oldest first.
    mine: VecDeque<Zeroizing<Vec<Block>>>,
    /// OTs precomputed by the last refill.
    last_refill: usize,
    /// Garbled tables as they arrive (public: not wiped).
    tables: Vec<Block>,
    /// The garbler's AND numbering, followed step by step (see
    /// [`crate::tweak`]).
    ands: AndCounter,
}

impl<'c, C: Channel> EvaluatorSession<'c, C> {
    /// Handshake and base OTs.
    pub fn start(ch: C, circuit: &'c Circuit) -> Result<Self, ProtocolError> {
        Self::start_prepared(ch, EvaluatorSetup::new(circuit)?)
    }

    /// Handshake and base OTs, with the schedule built beforehand or, for a
    /// [deferred](EvaluatorSetup::deferred) setup, meanwhile.
    pub fn start_prepared(mut ch: C, setup: EvaluatorSetup<'c>) -> Result<Self, ProtocolError> {
        let EvaluatorSetup { circuit, plan, id } = setup;
        tracing::debug!("evaluator: session starts");
        let (plan, ot) = std::thread::scope(|s| {
            // `Err`: the schedule is being built.
            let planning = plan.ok_or_else(|| s.spawn(|| plan_for(circuit)));
            let ot = deadline::setup(&mut ch, |ch| {
                handshake(ch, Role::Evaluator, &id)?;
                tracing::trace!("evaluator: handshake done");
                CotReceiver::setup(ch).during(Phase::ObliviousTransfer)
            });
            (planning.or_else(joined), ot)
        });
        // A circuit this party cannot plan is its own error, reported first
        // as when the schedule is built before connecting.
        let plan = plan?;
        let ot = ot?;
        tracing::debug!("evaluator: handshake and base OTs done");
        Ok(EvaluatorSession {
            progress: None,
            verdicts_due: 0,
            ch,
            circuit,
            plan,
            ot,
            pool: ReceiverPool::default(),
            mine: VecDeque::new(),
            last_refill: 0,
            tables: Vec::new(),
            ands: AndCounter::new(),
        })
    }

    /// Reports progress through the garbled tables to `f`.
    pub fn set_progress(&mut self, f: Progress) {
        self.progress = Some(f);
    }

    /// One execution. `inputs` holds the bits of the evaluator's input
    /// groups in circuit order; returns the outputs.
    pub fn execute(
        &mut self,
        inputs: &[Vec<bool>],
    ) -> Result<(Vec<Vec<bool>>, ExecutionStats), ProtocolError> {
        check_widths(self.circuit, Party::Evaluator, inputs)?;
        let start_traffic = self.ch.traffic();
        let mut stats = ExecutionStats::default();
        // One execution at a time, the refills grow (doubling) as long as
        // executions keep coming: a single one precomputes no more OTs than
        // it needs, a long run few and large batches.
        let refill = (2 * self.last_refill).min(refill_max(evaluator_bits(self.circuit)));
        let result = self.announce(inputs, refill, &mut stats).and_then(|()| {
            let outputs = self.evaluate_one(&mut stats)?;
            self.ch.flush().during(Phase::OutputReturn)?;
            Ok(outputs)
        });
        let outputs = self.forget_on_error(result)?;
        stats.traffic = traffic_since(start_traffic, self.ch.traffic());
        tracing::debug!(?stats, "evaluator: execution done");
        Ok((outputs, stats))
    }

    /// One execution per item of `inputs`, pipelined with the garbler's
    /// [`GarblerSession::execute_stream`]: the inputs of the next executions
    /// are announced before this one is evaluated, so the garbler never
    /// waits for them. `on_outputs` gets each execution's outputs, in order.
    /// Returns the summed costs; on an error the session is failed.
    pub fn execute_stream<I>(
        &mut self,
        inputs: I,
        mut on_outputs: impl FnMut(Vec<Vec<bool>>),
    ) -> Result<ExecutionStats, ProtocolError>
    where
        I: IntoIterator,
        I::Item: AsRef<[Vec<bool>]>,
    {
        let start_traffic = self.ch.traffic();
        let mut stats = ExecutionStats::default();
        let result = self.stream(inputs, &mut on_outputs, &mut stats);
        // A refused input (the outer `Ok`) leaves the session as it was.
        let refused = self.forget_on_error(result)?;
        stats.traffic = traffic_since(start_traffic, self.ch.traffic());
        tracing::debug!(?stats, "evaluator: executions done");
        refused.map(|()| stats)
    }

    /// Runs the stream; the inner result is the refusal of inputs of the
    /// wrong width, which ends the stream without harming the session.
    fn stream<I>(
        &mut self,
        inputs: I,
        on_outputs: &mut dyn FnMut(Vec<Vec<bool>>),
        stats: &mut ExecutionStats,
    ) -> Result<Result<(), ProtocolError>, ProtocolError>
    where
        I: IntoIterator,
        I::Item: AsRef<[Vec<bool>]>,
    {
        let (ahead, refill) = lookahead(self.circuit);
        let n = evaluator_bits(self.circuit);
        let mut inputs = inputs.into_iter();
        // As on the garbler's side, inputs of the wrong width end the
        // stream after the executions already announced, without an error
        // in the session.
        let mut refused = Ok(());
        loop {
            while self.mine.len() <= ahead && refused.is_ok() {
                // No more OTs than the executions still to come need, as
                // far as the iterator tells.
                let coming = inputs.size_hint().0.saturating_mul(n);
                let Some(x) = inputs.next() else { break };
                let x = x.as_ref();
                refused = check_widths(self.circuit, Party::Evaluator, x);
                if refused.is_ok() {
                    self.announce(x, refill.min(coming), stats)?;
                }
            }
            if self.mine.is_empty() {
                break;
            }
            on_outputs(self.evaluate_one(stats)?);
        }
        self.ch.flush().during(Phase::OutputReturn)?;
        Ok(refused)
    }

    /// After an error the peer's stream is in an unknown place (over a
    /// network the session is over); forget the executions in flight, so
    /// a caller that carries on does not act on stale state.
    fn forget_on_error<T>(&mut self, result: Result<T, ProtocolError>) -> Result<T, ProtocolError> {
        if result.is_err() {
            self.mine.clear();
            self.verdicts_due = 0;
        }
        result
    }

    /// Announces an execution's inputs: spends precomputed OTs on them
    /// (running the extension for at least `refill` more first if too few
    /// are left) and sends the corrections.
    fn announce(
        &mut self,
        inputs: &[Vec<bool>],
        refill: usize,
        stats: &mut ExecutionStats,
    ) -> Result<(), ProtocolError> {
        let mut lap = stopwatch();
        let bits: Vec<bool> = inputs.iter().flatten().copied().collect();
        let available = self.pool.available();
        if available < bits.len() {
            let count = refill.max(bits.len() - available).next_multiple_of(128);
            self.ch
                .write_all(&[REFILL])
                .during(Phase::ObliviousTransfer)?;
            self.ch
                .send_u64(count as u64)
                .during(Phase::ObliviousTransfer)?;
            self.pool
                .refill(&mut self.ot, &mut self.ch, count)
                .during(Phase::ObliviousTransfer)?;
            self.last_refill = count;
        }
        let (d, labels) = self.pool.take(&bits);
        self.ch
            .write_all(&[INPUTS])
            .during(Phase::ObliviousTransfer)?;
        self.ch
            .write_all(&pack(d.into_iter()))
            .during(Phase::ObliviousTransfer)?;
        self.mine.push_back(labels);
        let mut t = Duration::ZERO;
        lap(&mut t);
        stats.ot += t;
        Ok(())
    }

    /// Evaluates the oldest announced execution and returns its output
    /// labels to the garbler (not flushed).
    fn evaluate_one(
        &mut self,
        stats: &mut ExecutionStats,
    ) -> Result<Vec<Vec<bool>>, ProtocolError> {
        let circuit = self.circuit;
        let mut lap = stopwatch();
        let mut t = ExecutionStats::default();
        self.await_execution()?;
        let mine = self.mine.pop_front().ok_or(ProtocolError::Unexpected {
            phase: Phase::ObliviousTransfer,
            found: EXECUTE,
            expected: "no execution: this party announced none",
        })?;
        let mut evaluator = Evaluator::from_plan(self.plan.clone());
        let first_and = self.ands.take(self.plan.num_ands())?;
        evaluator.set_first_and(first_and)?;
        let mut at = 0;
        for (k, width) in groups_of(circuit, Party::Evaluator) {
            evaluator.set_input_labels(k, &mine[at..at + width])?;
            at += width;
        }
        drop(mine);
        lap(&mut t.ot);

        for (k, width) in groups_of(circuit, Party::Garbler) {
            let mut labels = Zeroizing::new(vec![Block::ZERO; width]);
            self.ch
                .recv_blocks(&mut labels)
                .during(Phase::GarblerInputs)?;
            evaluator.set_input_labels(k, &labels)?;
        }
        lap(&mut t.inputs);

        // Tables are read in chunks of many steps (sized by this party's
        // own plan, never by the peer), each straight into `tables`.
        let mut tables = std::mem::take(&mut self.tables);
        let (ch, progress) = (&mut self.ch, &mut self.progress);
        evaluator.eval_in_chunks(crate::garbler::TABLE_CHUNK, &mut tables, |chunk| {
            ch.recv_blocks(chunk).during(Phase::GarbledTables)?;
            t.and_gates += chunk.len() as u64 / 2;
            if let Some(f) = progress {
                f(t.and_gates);
            }
            Ok::<_, ProtocolError>(())
        })?;
        self.tables = tables;
        lap(&mut t.tables);

        let n_out = total_output_bits(circuit);
        let mut packed = vec![0u8; n_out.div_ceil(8)];
        self.ch
            .read_exact(&mut packed)
            .during(Phase::OutputDecoding)?;
        let decoding = split_outputs(circuit, &unpack(&packed, n_out));
        let outputs = evaluator.decode(&decoding)?;

        let labels: Vec<Block> = evaluator.output_labels()?.into_iter().flatten().collect();
        self.ch.write_all(&[OUTPUTS]).during(Phase::OutputReturn)?;
        self.ch.send_blocks(&labels).during(Phase::OutputReturn)?;
        // The garbler's verdict on these labels is read before the next
        // execution or in `finish`, so that waiting for it costs no round
        // trip per execution.
        self.verdicts_due += 1;
        lap(&mut t.outputs);
        stats.add(&t);
        Ok(outputs)
    }

    /// Reads the garbler's verdicts until it starts the next execution.
    fn await_execution(&mut self) -> Result<(), ProtocolError> {
        match self.next_from_garbler(Phase::ObliviousTransfer)? {
            EXECUTE => Ok(()),
            found => Err(ProtocolError::Unexpected {
                phase: Phase::ObliviousTransfer,
                found,
                expected: "the start of an execution; the garbler ended the session",
            }),
        }
    }

    /// Reads the garbler's next marker, handling verdicts on the way:
    /// returns `EXECUTE` or `GOODBYE`.
    fn next_from_garbler(&mut self, phase: Phase) -> Result<u8, ProtocolError> {
        loop {
            let mut tag = [0u8];
            self.ch.read_exact(&mut tag).during(phase)?;
            match tag[0] {
                ACCEPTED | REJECTED if self.verdicts_due == 0 => {
                    return Err(ProtocolError::Unexpected {
                        phase: Phase::OutputReturn,
                        found: tag[0],
                        expected: "no verdict: no outputs await one",
                    })
                }
                ACCEPTED => self.verdicts_due -= 1,
                REJECTED => return Err(ProtocolError::OutputsRejected),
                m @ (EXECUTE | GOODBYE) => return Ok(m),
                other => {
                    return Err(ProtocolError::Unexpected {
                        phase,
                        found: other,
                        expected: "the start of an execution, a verdict or the garbler's goodbye",
                    })
                }
            }
        }
    }

    /// Bytes sent and received in this session so far.
    pub fn traffic(&self) -> Traffic {
        self.ch.traffic()
    }

    /// Waits for the garbler's verdicts on the last outputs and its goodbye.
    /// Until this returns `Ok`, the garbler has not confirmed that the last
    /// outputs came from its garbling.
    pub fn finish(mut self) -> Result<(), ProtocolError> {
        self.ch.flush().during(Phase::OutputReturn)?;
        match self.next_from_garbler(Phase::Handshake)? {
            GOODBYE if self.verdicts_due == 0 => Ok(()),
            found => Err(ProtocolError::Unexpected {
                phase: Phase::Handshake,
                found,
                expected: "the garbler's verdicts on all outputs, then its goodbye",
            }),
        }
    }
}

/// Evaluator-input bits of one execution.
fn evaluator_bits(circuit: &Circuit) -> usize {
    groups_of(circuit, Party::Evaluator)
        .iter()
        .map(|g| g.1)
        .sum()
}

/// The largest refill the garbler accepts: a stream's batch or one
/// execution's worth, whichever is larger.
fn refill_max(n: usize) -> usize {
    STREAM_REFILL.max(n.next_multiple_of(128))
}

/// How many executions an evaluator's stream announces ahead of the one it
/// evaluates, and how many OTs it precomputes per refill. What it sends
/// ahead must fit in the kernel's socket buffers while the garbler, busy
/// writing tables, does not read: otherwise both could block in a write.
/// Circuits with large outputs or inputs get no look-ahead (their
/// executions are long enough that the round trip does not matter).
fn lookahead(circuit: &Circuit) -> (usize, usize) {
    let n = evaluator_bits(circuit);
    let per_execution = 2 + n.div_ceil(8) + 16 * total_output_bits(circuit);
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

fn traffic_since(start: Traffic, now: Traffic) -> Traffic {
    Traffic {
        sent: now.sent - start.sent,
        received: now.received - start.received,
    }
}

/// Output group name and bit index of the `i`-th output bit overall.
fn locate_output_bit(circuit: &Circuit, mut i: usize) -> (String, usize) {
    for o in &circuit.outputs {
        if i < o.wires.len() {
            return (o.name.clone(), i);
        }
        i -= o.wires.len();
    }
    (String::from("?"), i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips() {
        let bits: Vec<bool> = (0..19).map(|i| i % 3 == 0).collect();
        assert_eq!(unpack(&pack(bits.iter().copied()), 19), bits);
    }
}
