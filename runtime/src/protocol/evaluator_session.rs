//! The evaluator's side of a session (see [`super::session`] for what both
//! sides share): it announces its inputs through precomputed OTs, evaluates
//! each execution with the garbler's AND numbering, and returns its output
//! labels for the garbler's check.

use super::deadline;
use super::error::{During, Phase, ProtocolError};
use super::handshake::{handshake, Role, Security, Settings};
use super::precomputed::ReceiverPool;
use super::schedule::{check_scheme, evaluate_windows, Schedule, Subject};
use super::session::*;
use crate::channel::{Channel, Traffic};
use crate::ot::CotReceiver;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use yao_core::block::Block;
use yao_core::evaluator::{EvalError, Evaluator};
use yao_core::ir::{Circuit, CircuitId, GateSource, Identified, Input, Output, Party};
use yao_core::plan::Plan;
use yao_core::three_halves::ThreeHalvesEvaluator;
use yao_core::tweak::AndCounter;
use yao_core::Scheme;
use zeroize::{Zeroize, Zeroizing};

/// What an evaluator prepares before it connects: the circuit id and,
/// unless [deferred](EvaluatorSetup::deferred), the schedule.
pub struct EvaluatorSetup<'c> {
    subject: Subject<'c>,
    /// `None` for a deferred setup: built when the session starts.
    schedule: Option<Schedule<'c>>,
    id: CircuitId,
    settings: Settings,
}

impl<'c> EvaluatorSetup<'c> {
    /// A setup with the schedule built now: a circuit that cannot be
    /// planned is refused before any connection is made.
    pub fn new(circuit: &'c Circuit) -> Result<Self, ProtocolError> {
        let subject = Subject::Whole(circuit);
        Ok(EvaluatorSetup {
            schedule: Some(subject.schedule()?),
            id: subject.id(),
            subject,
            settings: Settings::default(),
        })
    }

    /// A setup whose schedule is built when the session starts, on another
    /// thread while the handshake and the base OTs wait for the garbler, as
    /// the garbler's is: a single execution starts milliseconds sooner
    /// (connecting needs only the circuit id). A circuit that cannot be
    /// planned is still reported before anything the peer did, by
    /// [`EvaluatorSession::start_prepared`], but after connecting.
    pub fn deferred(circuit: &'c Circuit) -> Self {
        Self::deferred_identified(Identified::new(circuit))
    }

    /// [`EvaluatorSetup::deferred`] for a circuit whose id is known: not
    /// hashed again (see [`Identified`]).
    pub fn deferred_identified(circuit: Identified<'c>) -> Self {
        EvaluatorSetup {
            subject: Subject::Whole(circuit.circuit()),
            schedule: None,
            id: circuit.id(),
            settings: Settings::default(),
        }
    }

    /// A setup for a circuit read window by window (see
    /// [`super::GarblerSetup::windowed`]; the garbler must use the same
    /// window size).
    pub fn windowed<S: GateSource + Sync>(source: &'c S, window: usize) -> Self {
        let subject = Subject::windowed(source, window);
        EvaluatorSetup {
            schedule: None,
            id: subject.id(),
            subject,
            settings: Settings::default(),
        }
    }

    /// The settings the garbler must share (the garbling scheme); the
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

/// The evaluator's side of a session.
pub struct EvaluatorSession<'c, C: Channel> {
    progress: Option<Progress>,
    /// Outputs returned whose verdict the garbler has not sent yet.
    verdicts_due: usize,
    ch: C,
    inputs: &'c [Input],
    outputs: &'c [Output],
    schedule: Schedule<'c>,
    scheme: Scheme,
    ot: CotReceiver,
    pool: ReceiverPool,
    /// This party's input labels for executions announced to the garbler
    /// and not evaluated yet, oldest first.
    mine: VecDeque<Zeroizing<Vec<Block>>>,
    /// OTs precomputed by the last refill.
    last_refill: usize,
    /// Garbled tables as they arrive (public: not wiped).
    tables: Vec<Block>,
    /// The same for schemes whose tables are bytes.
    table_bytes: Vec<u8>,
    /// The garbler's AND numbering, followed step by step (see
    /// [`yao_core::tweak`]).
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
        let EvaluatorSetup {
            subject,
            schedule,
            id,
            settings,
        } = setup;
        if settings.security != Security::SemiHonest {
            return Err(ProtocolError::WrongLevel(settings.security));
        }
        tracing::debug!("evaluator: session starts");
        let (schedule, ot) = std::thread::scope(|s| {
            // `Err`: the schedule is being built.
            let planning = schedule.ok_or_else(|| s.spawn(|| subject.schedule()));
            let ot = deadline::setup(&mut ch, |ch| {
                handshake(ch, Role::Evaluator, &id, settings)?;
                tracing::trace!("evaluator: handshake done");
                CotReceiver::setup_with(ch, settings.ot).during(Phase::ObliviousTransfer)
            });
            (planning.or_else(joined), ot)
        });
        // A circuit this party cannot plan is its own error, reported first
        // as when the schedule is built before connecting.
        let schedule = schedule?;
        check_scheme(&schedule, settings.scheme)?;
        let ot = ot?;
        tracing::debug!("evaluator: handshake and base OTs done");
        Ok(EvaluatorSession {
            progress: None,
            verdicts_due: 0,
            ch,
            inputs: subject.inputs(),
            outputs: subject.outputs(),
            schedule,
            scheme: settings.scheme,
            ot,
            pool: ReceiverPool::default(),
            mine: VecDeque::new(),
            last_refill: 0,
            tables: Vec::new(),
            table_bytes: Vec::new(),
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
        check_widths(self.inputs, Party::Evaluator, inputs)?;
        let start_traffic = self.ch.traffic();
        let mut stats = ExecutionStats::default();
        // One execution at a time, the refills grow (doubling) as long as
        // executions keep coming: a single one precomputes no more OTs than
        // it needs, a long run few and large batches.
        let refill = (2 * self.last_refill).min(refill_max(evaluator_bits(self.inputs)));
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
    /// [`GarblerSession::execute_pipelined`](super::GarblerSession::execute_pipelined): the inputs of the next executions
    /// are announced before this one is evaluated, so the garbler never
    /// waits for them. `on_outputs` gets each execution's outputs, in order.
    /// Returns the summed costs; on an error the session is failed.
    pub fn execute_pipelined<I>(
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
        let result = self.pipeline(inputs, &mut on_outputs, &mut stats);
        // A refused input (the outer `Ok`) leaves the session as it was.
        let refused = self.forget_on_error(result)?;
        stats.traffic = traffic_since(start_traffic, self.ch.traffic());
        tracing::debug!(?stats, "evaluator: executions done");
        refused.map(|()| stats)
    }

    /// Runs the pipeline; the inner result is the refusal of inputs of the
    /// wrong width, which ends the pipeline without harming the session.
    fn pipeline<I>(
        &mut self,
        inputs: I,
        on_outputs: &mut dyn FnMut(Vec<Vec<bool>>),
        stats: &mut ExecutionStats,
    ) -> Result<Result<(), ProtocolError>, ProtocolError>
    where
        I: IntoIterator,
        I::Item: AsRef<[Vec<bool>]>,
    {
        let (ahead, refill) = lookahead(self.inputs, self.outputs);
        let n = evaluator_bits(self.inputs);
        let mut inputs = inputs.into_iter();
        // As on the garbler's side, inputs of the wrong width end the
        // pipeline after the executions already announced, without an error
        // in the session.
        let mut refused = Ok(());
        loop {
            while self.mine.len() <= ahead && refused.is_ok() {
                // No more OTs than the executions still to come need, as
                // far as the iterator tells.
                let coming = inputs.size_hint().0.saturating_mul(n);
                let Some(x) = inputs.next() else { break };
                let x = x.as_ref();
                refused = check_widths(self.inputs, Party::Evaluator, x);
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
            .write_all(&pack_bits(d))
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
        let mut lap = stopwatch();
        let mut t = ExecutionStats::default();
        self.await_execution()?;
        let mine = self.mine.pop_front().ok_or(ProtocolError::Unexpected {
            phase: Phase::ObliviousTransfer,
            found: EXECUTE,
            expected: "no execution: this party announced none",
        })?;
        let labels = match self.schedule.clone() {
            Schedule::Whole(plan) => match self.scheme {
                Scheme::HalfGates => self.evaluate_whole(plan, mine, &mut lap, &mut t)?,
                Scheme::ThreeHalves => self.evaluate_three_halves(plan, mine, &mut lap, &mut t)?,
            },
            Schedule::Windowed { source, window } => {
                let active = self.input_labels(mine)?;
                lap(&mut t.inputs);
                let (ch, progress) = (&mut self.ch, &mut self.progress);
                let (out, ands, counts) = evaluate_windows(
                    source,
                    window,
                    self.scheme,
                    &mut self.ands,
                    &active,
                    ch,
                    &mut |n| progress.as_mut().map_or((), |f| f(n)),
                )?;
                t.and_gates = ands;
                t.windows = counts.windows;
                t.peak_carried = counts.peak_carried;
                out.into_iter().flatten().collect()
            }
        };
        lap(&mut t.tables);

        let mut packed = vec![0u8; labels.len().div_ceil(8)];
        self.ch
            .read_exact(&mut packed)
            .during(Phase::OutputDecoding)?;
        let bits: Vec<bool> = labels
            .iter()
            .zip(unpack_bits(&packed, labels.len()))
            .map(|(l, d)| l.lsb() ^ d)
            .collect();
        self.ch.write_all(&[OUTPUTS]).during(Phase::OutputReturn)?;
        self.ch.send_blocks(&labels).during(Phase::OutputReturn)?;
        // The garbler's verdict on these labels is read before the next
        // execution or in `finish`, so that waiting for it costs no round
        // trip per execution.
        self.verdicts_due += 1;
        lap(&mut t.outputs);
        stats.add(&t);
        Ok(split_outputs(self.outputs, &bits))
    }

    /// Evaluates an execution of a whole circuit on `plan` with half-gates,
    /// this party's input labels being `mine`; returns the output labels,
    /// flattened.
    fn evaluate_whole(
        &mut self,
        plan: Arc<Plan>,
        mine: Zeroizing<Vec<Block>>,
        lap: &mut impl FnMut(&mut Duration),
        t: &mut ExecutionStats,
    ) -> Result<Vec<Block>, ProtocolError> {
        let first_and = self.ands.take(plan.num_ands())?;
        let mut evaluator = Evaluator::from_plan(plan);
        self.receive_inputs(&mut evaluator, first_and, mine, lap, t)?;

        // Tables are read in chunks of many steps (sized by this party's
        // own plan, never by the peer), each straight into `tables`.
        let mut tables = std::mem::take(&mut self.tables);
        let (ch, progress) = (&mut self.ch, &mut self.progress);
        evaluator.eval_in_chunks(yao_core::garbler::TABLE_CHUNK, &mut tables, |chunk| {
            ch.recv_blocks(chunk).during(Phase::GarbledTables)?;
            t.and_gates += chunk.len() as u64 / 2;
            if let Some(f) = progress {
                f(t.and_gates);
            }
            Ok::<_, ProtocolError>(())
        })?;
        self.tables = tables;
        Ok(evaluator.output_labels()?.into_iter().flatten().collect())
    }

    /// As [`EvaluatorSession::evaluate_whole`] with three-halves: each step's
    /// table bytes are read as its own plan sizes them.
    fn evaluate_three_halves(
        &mut self,
        plan: Arc<Plan>,
        mine: Zeroizing<Vec<Block>>,
        lap: &mut impl FnMut(&mut Duration),
        t: &mut ExecutionStats,
    ) -> Result<Vec<Block>, ProtocolError> {
        let first_and = self.ands.take(plan.num_ands())?;
        let steps = plan.num_steps();
        let mut evaluator = ThreeHalvesEvaluator::from_plan(plan);
        self.receive_inputs(&mut evaluator, first_and, mine, lap, t)?;
        let mut bytes = std::mem::take(&mut self.table_bytes);
        for _ in 0..steps {
            let ands = evaluator.next_batch_ands() as u64;
            bytes.resize(evaluator.next_batch_len(), 0);
            self.ch
                .read_exact(&mut bytes)
                .during(Phase::GarbledTables)?;
            evaluator.eval_batch(&bytes)?;
            t.and_gates += ands;
            if let Some(f) = &mut self.progress {
                f(t.and_gates);
            }
        }
        self.table_bytes = bytes;
        Ok(evaluator.output_labels()?.into_iter().flatten().collect())
    }

    /// Follows the garbler's AND numbering from `first_and`, sets this
    /// party's input labels (`mine`, from OT) and reads the garbler's.
    fn receive_inputs(
        &mut self,
        evaluator: &mut impl SchemeEvaluator,
        first_and: u64,
        mine: Zeroizing<Vec<Block>>,
        lap: &mut impl FnMut(&mut Duration),
        t: &mut ExecutionStats,
    ) -> Result<(), ProtocolError> {
        evaluator.set_first_and(first_and)?;
        let mut at = 0;
        for (k, width) in groups_of(self.inputs, Party::Evaluator) {
            evaluator.set_input_labels(k, &mine[at..at + width])?;
            at += width;
        }
        drop(mine);
        lap(&mut t.ot);

        for (k, width) in groups_of(self.inputs, Party::Garbler) {
            let mut labels = Zeroizing::new(vec![Block::ZERO; width]);
            self.ch
                .recv_blocks(&mut labels)
                .during(Phase::GarblerInputs)?;
            evaluator.set_input_labels(k, &labels)?;
        }
        lap(&mut t.inputs);
        Ok(())
    }

    /// The active labels of every input group of a windowed execution:
    /// this party's from `mine`, the garbler's as it sends them.
    fn input_labels(
        &mut self,
        mine: Zeroizing<Vec<Block>>,
    ) -> Result<Zeroizing<Vec<Vec<Block>>>, ProtocolError> {
        let mut active = Zeroizing::new(Vec::with_capacity(self.inputs.len()));
        let mut at = 0;
        for g in self.inputs {
            let width = g.wires.len();
            let mut labels = vec![Block::ZERO; width];
            match g.party {
                Party::Evaluator => {
                    labels.copy_from_slice(&mine[at..at + width]);
                    at += width;
                }
                Party::Garbler => {
                    let got = self.ch.recv_blocks(&mut labels);
                    if got.is_err() {
                        labels.zeroize();
                    }
                    got.during(Phase::GarblerInputs)?;
                }
            }
            active.push(labels);
        }
        Ok(active)
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

/// What a session needs of a scheme's evaluator besides its tables: the
/// same calls on [`Evaluator`] and [`ThreeHalvesEvaluator`].
trait SchemeEvaluator {
    fn set_first_and(&mut self, n: u64) -> Result<(), EvalError>;
    fn set_input_labels(&mut self, group: usize, labels: &[Block]) -> Result<(), EvalError>;
}

macro_rules! scheme_evaluator {
    ($t:ty) => {
        impl SchemeEvaluator for $t {
            fn set_first_and(&mut self, n: u64) -> Result<(), EvalError> {
                <$t>::set_first_and(self, n)
            }
            fn set_input_labels(
                &mut self,
                group: usize,
                labels: &[Block],
            ) -> Result<(), EvalError> {
                <$t>::set_input_labels(self, group, labels)
            }
        }
    };
}
scheme_evaluator!(Evaluator);
scheme_evaluator!(ThreeHalvesEvaluator);
