//! The garbler's side of a session (see [`super::session`] for what both
//! sides share): it garbles each execution under the session's one `Delta`,
//! with AND numbers that run on across executions ([`yao_core::tweak`]), and
//! checks the output labels the evaluator returns.

use super::deadline;
use super::error::{During, Phase, ProtocolError};
use super::handshake::{handshake, Role, Security, Settings};
use super::precomputed::SenderPool;
use super::schedule::{check_scheme, garble_windows, Schedule, Subject};
use super::session::*;
use crate::channel::Channel;
use crate::ot::{CotSender, CotSenderSetup};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use yao_core::block::{Block, Delta};
use yao_core::garbler::{GarbleError, Garbler};
use yao_core::ir::{Circuit, CircuitId, GateSource, Identified, Input, Output, Party};
use yao_core::plan::Plan;
use yao_core::three_halves::ThreeHalvesGarbler;
use yao_core::tweak::AndCounter;
use yao_core::Scheme;
use zeroize::{Zeroize, Zeroizing};

/// What a garbler prepares before its evaluator connects: the circuit id, a
/// fresh `Delta` and its first base-OT message. A garbler that serves
/// sessions one after another prepares the next one while it waits, so a
/// connecting evaluator waits less. The garbling schedule is built when the
/// session starts, on another thread while the base OTs wait for the peer.
pub struct GarblerSetup<'c> {
    subject: Subject<'c>,
    id: CircuitId,
    settings: Settings,
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
        Self::identified(Identified::new(circuit), keys)
    }

    /// [`GarblerSetup::with_keys`] for a circuit whose id is known: not
    /// hashed again (see [`Identified`]).
    pub fn identified(circuit: Identified<'c>, keys: GarblerKeys) -> Result<Self, ProtocolError> {
        Ok(Self::of(
            Subject::Whole(circuit.circuit()),
            circuit.id(),
            keys,
        ))
    }

    /// A setup for a circuit read window by window, `window` gates at a
    /// time, at every execution (see [`yao_core::window`]): neither party
    /// holds it whole. The evaluator must use the same window size.
    pub fn windowed<S: GateSource + Sync>(source: &'c S, window: usize) -> Self {
        let subject = Subject::windowed(source, window);
        Self::of(subject, subject.id(), GarblerKeys::new())
    }

    fn of(subject: Subject<'c>, id: CircuitId, keys: GarblerKeys) -> Self {
        GarblerSetup {
            id,
            subject,
            settings: Settings::default(),
            ot: keys.ot,
            delta: keys.delta,
        }
    }

    /// The settings the evaluator must share (the garbling scheme); the
    /// default is half-gates.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The settings this party sends in its hello.
    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// The circuit, unless it is read window by window.
    pub fn circuit(&self) -> Option<&'c Circuit> {
        match self.subject {
            Subject::Whole(c) => Some(c),
            Subject::Windowed { .. } => None,
        }
    }

    /// The circuit with the id this setup already holds (computed or
    /// checked when it was made), unless it is read window by window.
    pub fn whole(&self) -> Option<Identified<'c>> {
        self.circuit().map(|c| Identified::trusted(c, self.id))
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
    inputs: &'c [Input],
    outputs: &'c [Output],
    schedule: Schedule<'c>,
    scheme: Scheme,
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
    /// The same for schemes whose tables are bytes.
    table_bytes: Vec<u8>,
    /// The session's AND numbering: each execution hashes under its own
    /// range of tweaks (see [`yao_core::tweak`]).
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
        if setup.settings.security != Security::SemiHonest {
            return Err(ProtocolError::WrongLevel(setup.settings.security));
        }
        tracing::debug!("garbler: session starts");
        let subject = setup.subject;
        let (schedule, ot) = std::thread::scope(|s| {
            let planning = s.spawn(|| subject.schedule());
            let ot = deadline::setup(&mut ch, |ch| {
                handshake(ch, Role::Garbler, &setup.id, setup.settings)?;
                tracing::trace!("garbler: handshake done");
                setup
                    .ot
                    .run_with(ch, setup.settings.ot)
                    .during(Phase::ObliviousTransfer)
            });
            (joined(planning), ot)
        });
        let ot = ot?;
        let schedule = schedule?;
        check_scheme(&schedule, setup.settings.scheme)?;
        tracing::debug!("garbler: handshake and base OTs done");
        Ok(GarblerSession {
            progress: None,
            ch,
            inputs: subject.inputs(),
            outputs: subject.outputs(),
            n: evaluator_bits(subject.inputs()),
            schedule,
            scheme: setup.settings.scheme,
            delta: setup.delta,
            ot,
            pool: SenderPool::default(),
            ready: VecDeque::new(),
            pending: VecDeque::new(),
            tables: Vec::new(),
            table_bytes: Vec::new(),
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
        check_widths(self.inputs, Party::Garbler, inputs)?;
        let mut outputs = Vec::new();
        let stats = self.run(std::iter::once(inputs), 0, &mut |o| outputs = o)?;
        Ok((outputs, stats))
    }

    /// One execution per item of `inputs` (the garbler's bits, as for
    /// [`GarblerSession::execute`]), pipelined: the garbler garbles an
    /// execution while the evaluator still evaluates the previous ones, and
    /// checks their returned output labels as they arrive. `on_outputs`
    /// gets the checked outputs of each execution, in order. The evaluator
    /// must run [`EvaluatorSession::execute_pipelined`](super::EvaluatorSession::execute_pipelined) (or `execute`) as many
    /// times. Returns the summed costs; on an error the session is failed.
    pub fn execute_pipelined<I>(
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
            refused = check_widths(self.inputs, Party::Garbler, x);
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
                let d = unpack_bits(&packed, self.n);
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
                on_outputs(split_outputs(self.outputs, &bits));
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
        let bits = match decode_returned(self.outputs, &returned, &pending.zero, delta) {
            Ok(bits) => bits,
            Err(forged) => {
                self.ch.write_all(&[REJECTED]).during(Phase::OutputReturn)?;
                self.ch.flush().during(Phase::OutputReturn)?;
                return Err(forged);
            }
        };
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
        let zero = match self.schedule.clone() {
            Schedule::Whole(plan) => match self.scheme {
                Scheme::HalfGates => self.garble_whole(plan, zero, inputs, &mut lap, &mut t)?,
                Scheme::ThreeHalves => {
                    self.garble_three_halves(plan, zero, inputs, &mut lap, &mut t)?
                }
            },
            Schedule::Windowed { source, window } => {
                let zero = self.input_zero_labels(zero, inputs)?;
                lap(&mut t.inputs);
                let (ch, progress) = (&mut self.ch, &mut self.progress);
                let (out, ands, counts) = garble_windows(
                    source,
                    window,
                    self.scheme,
                    &self.delta,
                    &mut self.ands,
                    &zero,
                    ch,
                    &mut |n| progress.as_mut().map_or((), |f| f(n)),
                )?;
                t.and_gates = ands;
                t.windows = counts.windows;
                t.peak_carried = counts.peak_carried;
                out
            }
        };
        lap(&mut t.tables);

        // The decoding bits are not flushed: they leave with the next
        // execution's first tables, or before this party next waits for
        // the evaluator (a channel flushes before a read that must wait).
        self.ch
            .write_all(&pack_bits(zero.iter().map(|l| l.lsb())))
            .during(Phase::OutputDecoding)?;
        self.pending.push_back(Pending { zero });
        lap(&mut t.outputs);
        stats.add(&t);
        Ok(())
    }

    /// Garbles an execution of a whole circuit on `plan` with half-gates;
    /// returns the output zero-labels.
    fn garble_whole(
        &mut self,
        plan: Arc<Plan>,
        zero: Zeroizing<Vec<Block>>,
        inputs: &[Vec<bool>],
        lap: &mut impl FnMut(&mut Duration),
        t: &mut ExecutionStats,
    ) -> Result<Zeroizing<Vec<Block>>, ProtocolError> {
        let first_and = self.ands.take(plan.num_ands())?;
        let mut garbler = Garbler::from_plan(plan, self.delta.clone());
        self.send_inputs(&mut garbler, first_and, zero, inputs, lap, t)?;

        // Tables leave in chunks of many steps: fewer, larger writes, from
        // one buffer reused across executions (a fresh quarter-megabyte
        // buffer each time would cost page faults).
        let mut tables = std::mem::take(&mut self.tables);
        let (ch, progress) = (&mut self.ch, &mut self.progress);
        garbler.garble_in_chunks(yao_core::garbler::TABLE_CHUNK, &mut tables, |chunk| {
            t.and_gates += chunk.len() as u64 / 2;
            ch.send_blocks(chunk).during(Phase::GarbledTables)?;
            if let Some(f) = progress {
                f(t.and_gates);
            }
            Ok::<_, ProtocolError>(())
        })?;
        self.tables = tables;
        Ok(flat(garbler.output_zero_labels()))
    }

    /// As [`GarblerSession::garble_whole`] with three-halves: the tables
    /// are [`yao_core::three_halves::step_bytes`] per step, sent in
    /// chunks of many steps.
    fn garble_three_halves(
        &mut self,
        plan: Arc<Plan>,
        zero: Zeroizing<Vec<Block>>,
        inputs: &[Vec<bool>],
        lap: &mut impl FnMut(&mut Duration),
        t: &mut ExecutionStats,
    ) -> Result<Zeroizing<Vec<Block>>, ProtocolError> {
        const CHUNK_BYTES: usize = 16 * yao_core::garbler::TABLE_CHUNK;
        let first_and = self.ands.take(plan.num_ands())?;
        let mut garbler = ThreeHalvesGarbler::from_plan(plan, self.delta.clone());
        self.send_inputs(&mut garbler, first_and, zero, inputs, lap, t)?;
        let mut bytes = std::mem::take(&mut self.table_bytes);
        bytes.clear();
        let mut more = true;
        while more {
            let ands = garbler.next_batch_ands() as u64;
            more = garbler.garble_batch(&mut bytes);
            t.and_gates += ands;
            if bytes.len() >= CHUNK_BYTES || (!more && !bytes.is_empty()) {
                self.ch.write_all(&bytes).during(Phase::GarbledTables)?;
                bytes.clear();
                if let Some(f) = &mut self.progress {
                    f(t.and_gates);
                }
            }
        }
        self.table_bytes = bytes;
        Ok(flat(garbler.output_zero_labels()))
    }

    /// Numbers the garbler's ANDs from `first_and`, sets the evaluator's
    /// input zero-labels (from OT) and sends the garbler's active labels.
    fn send_inputs(
        &mut self,
        garbler: &mut impl SchemeGarbler,
        first_and: u64,
        zero: Zeroizing<Vec<Block>>,
        inputs: &[Vec<bool>],
        lap: &mut impl FnMut(&mut Duration),
        t: &mut ExecutionStats,
    ) -> Result<(), ProtocolError> {
        garbler.set_first_and(first_and)?;
        let mut at = 0;
        for (k, width) in groups_of(self.inputs, Party::Evaluator) {
            garbler.set_input_zero_labels(k, &zero[at..at + width])?;
            at += width;
        }
        drop(zero);
        lap(&mut t.ot);

        for ((k, _), bits) in groups_of(self.inputs, Party::Garbler)
            .into_iter()
            .zip(inputs)
        {
            let labels = garbler.encode_input(k, bits)?;
            self.ch.send_blocks(&labels).during(Phase::GarblerInputs)?;
        }
        lap(&mut t.inputs);
        Ok(())
    }

    /// The zero-labels of every input group of a windowed execution: the
    /// evaluator's from `from_ot`, the garbler's fresh, whose active labels
    /// (for `inputs`) go to the evaluator.
    fn input_zero_labels(
        &mut self,
        from_ot: Zeroizing<Vec<Block>>,
        inputs: &[Vec<bool>],
    ) -> Result<Zeroizing<Vec<Vec<Block>>>, ProtocolError> {
        let d = self.delta.block();
        let mut zero = Zeroizing::new(Vec::with_capacity(self.inputs.len()));
        let (mut mine, mut at) = (inputs.iter(), 0);
        for g in self.inputs {
            let width = g.wires.len();
            match g.party {
                Party::Evaluator => {
                    zero.push(from_ot[at..at + width].to_vec());
                    at += width;
                }
                Party::Garbler => {
                    let labels: Vec<Block> = (0..width).map(|_| Block::random()).collect();
                    let bits = mine.next().map_or(&[][..], |b| &b[..]);
                    let mut active: Vec<Block> = labels
                        .iter()
                        .zip(bits)
                        .map(|(&l0, &b)| l0 ^ (Block::mask(b) & d))
                        .collect();
                    let sent = self.ch.send_blocks(&active).during(Phase::GarblerInputs);
                    active.zeroize();
                    zero.push(labels);
                    sent?;
                }
            }
        }
        Ok(zero)
    }

    /// Bytes sent and received in this session so far.
    pub fn traffic(&self) -> crate::channel::Traffic {
        self.ch.traffic()
    }

    /// Tells the evaluator that no execution follows.
    pub fn finish(mut self) -> Result<(), ProtocolError> {
        self.ch.write_all(&[GOODBYE]).during(Phase::Handshake)?;
        self.ch.flush().during(Phase::Handshake)
    }
}

/// Output zero-labels by group, flattened (and still wiped on drop).
fn flat(by_group: Zeroizing<Vec<Vec<Block>>>) -> Zeroizing<Vec<Block>> {
    Zeroizing::new(by_group.iter().flatten().copied().collect())
}

/// What a session needs of a scheme's garbler besides its tables: the
/// same calls on [`Garbler`] and [`ThreeHalvesGarbler`].
trait SchemeGarbler {
    fn set_first_and(&mut self, n: u64) -> Result<(), GarbleError>;
    fn set_input_zero_labels(&mut self, group: usize, labels: &[Block]) -> Result<(), GarbleError>;
    fn encode_input(&self, group: usize, bits: &[bool]) -> Result<Vec<Block>, GarbleError>;
}

macro_rules! scheme_garbler {
    ($t:ty) => {
        impl SchemeGarbler for $t {
            fn set_first_and(&mut self, n: u64) -> Result<(), GarbleError> {
                <$t>::set_first_and(self, n)
            }
            fn set_input_zero_labels(
                &mut self,
                group: usize,
                labels: &[Block],
            ) -> Result<(), GarbleError> {
                <$t>::set_input_zero_labels(self, group, labels)
            }
            fn encode_input(&self, group: usize, bits: &[bool]) -> Result<Vec<Block>, GarbleError> {
                <$t>::encode_input(self, group, bits)
            }
        }
    };
}
scheme_garbler!(Garbler);
scheme_garbler!(ThreeHalvesGarbler);
