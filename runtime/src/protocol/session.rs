//! Garbler and evaluator sessions: one handshake and one base-OT setup, then
//! any number of executions of the circuit on fresh inputs.

use super::error::{During, Phase, ProtocolError};
use super::handshake::{handshake, Role};
use crate::block::{Block, Delta};
use crate::channel::{Channel, Traffic};
use crate::evaluator::Evaluator;
use crate::garbler::Garbler;
use crate::ot::{CotReceiver, CotSender, CotSenderSetup};
use crate::plan::Plan;
use std::sync::Arc;
use std::time::{Duration, Instant};
use yao_compiler::ir::{Circuit, CircuitId, Party};

/// Sent by the garbler before each execution and at the end of the session,
/// so the evaluator can tell "another execution" from "goodbye".
const EXECUTE: u8 = 1;
const GOODBYE: u8 = 0;
/// The garbler's verdict on the output labels the evaluator returned.
const ACCEPTED: u8 = 0;
const REJECTED: u8 = 1;

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
    Plan::new(circuit)
        .map(Arc::new)
        .map_err(|e| ProtocolError::Garbling(format!("cannot garble this circuit: {e}")))
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
        return Err(ProtocolError::InputWidth {
            party: party.name(),
            group: format!("count (the {party} has {} groups)", groups.len()),
            expected: groups.len(),
            found: inputs.len(),
        });
    }
    for ((k, width), bits) in groups.iter().zip(inputs) {
        if *width != bits.len() {
            return Err(ProtocolError::InputWidth {
                party: party.name(),
                group: format!("`{}`", circuit.inputs[*k].name),
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

/// What a garbler prepares before its evaluator connects: the garbling
/// schedule, the circuit id, a fresh `Delta` and its first base-OT message.
/// A garbler that serves sessions one after another prepares the next one
/// while it waits, so a connecting evaluator waits less.
pub struct GarblerSetup<'c> {
    circuit: &'c Circuit,
    plan: Arc<Plan>,
    id: CircuitId,
    delta: Delta,
    ot: CotSenderSetup,
}

impl<'c> GarblerSetup<'c> {
    pub fn new(circuit: &'c Circuit) -> Result<Self, ProtocolError> {
        let delta = Delta::random();
        Ok(GarblerSetup {
            circuit,
            plan: plan_for(circuit)?,
            id: circuit.id(),
            ot: CotSender::prepare(&delta),
            delta,
        })
    }

    pub fn circuit(&self) -> &'c Circuit {
        self.circuit
    }
}

/// What an evaluator prepares before it connects: the schedule and the
/// circuit id.
pub struct EvaluatorSetup<'c> {
    circuit: &'c Circuit,
    plan: Arc<Plan>,
    id: CircuitId,
}

impl<'c> EvaluatorSetup<'c> {
    pub fn new(circuit: &'c Circuit) -> Result<Self, ProtocolError> {
        Ok(EvaluatorSetup {
            circuit,
            plan: plan_for(circuit)?,
            id: circuit.id(),
        })
    }

    pub fn circuit(&self) -> &'c Circuit {
        self.circuit
    }
}

/// The garbler's side of a session.
pub struct GarblerSession<'c, C: Channel> {
    progress: Option<Progress>,
    ch: C,
    circuit: &'c Circuit,
    plan: Arc<Plan>,
    delta: Delta,
    ot: CotSender,
    /// Set while an execution runs and cleared when it succeeds: after any
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
        handshake(&mut ch, Role::Garbler, &setup.id)?;
        tracing::trace!("garbler: handshake done");
        let ot = setup.ot.run(&mut ch).during(Phase::ObliviousTransfer)?;
        tracing::debug!("garbler: handshake and base OTs done");
        Ok(GarblerSession {
            progress: None,
            ch,
            circuit: setup.circuit,
            plan: setup.plan,
            delta: setup.delta,
            ot,
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
        let circuit = self.circuit;
        check_widths(circuit, Party::Garbler, inputs)?;
        if self.failed {
            return Err(ProtocolError::SessionFailed);
        }
        self.failed = true;
        let start_traffic = self.ch.traffic();
        let mut stats = ExecutionStats::default();
        let mut lap = stopwatch();

        self.ch
            .write_all(&[EXECUTE])
            .during(Phase::ObliviousTransfer)?;
        let mut garbler = Garbler::from_plan(self.plan.clone(), self.delta.clone());
        let evaluator_groups = groups_of(circuit, Party::Evaluator);
        let n: usize = evaluator_groups.iter().map(|g| g.1).sum();
        let zero_labels = self
            .ot
            .extend(&mut self.ch, n)
            .during(Phase::ObliviousTransfer)?;
        let mut at = 0;
        for &(k, width) in &evaluator_groups {
            garbler
                .set_input_zero_labels(k, &zero_labels[at..at + width])
                .map_err(|e| ProtocolError::Garbling(e.to_string()))?;
            at += width;
        }
        lap(&mut stats.ot);

        for ((k, _), bits) in groups_of(circuit, Party::Garbler).into_iter().zip(inputs) {
            let labels = garbler
                .encode_input(k, bits)
                .map_err(|e| ProtocolError::Garbling(e.to_string()))?;
            self.ch.send_blocks(&labels).during(Phase::GarblerInputs)?;
        }
        lap(&mut stats.inputs);

        let mut tables = Vec::new();
        while garbler.garble_batch(&mut tables) {
            stats.and_gates += tables.len() as u64 / 2;
            self.ch.send_blocks(&tables).during(Phase::GarbledTables)?;
            tables.clear();
            if let Some(f) = &mut self.progress {
                f(stats.and_gates);
            }
        }
        lap(&mut stats.tables);

        let decoding = garbler.decoding_bits();
        self.ch
            .write_all(&pack(decoding.iter().flatten().copied()))
            .during(Phase::OutputDecoding)?;
        self.ch.flush().during(Phase::OutputDecoding)?;

        let zero_labels: Vec<Block> = garbler.output_zero_labels().into_iter().flatten().collect();
        let mut returned = vec![Block::ZERO; zero_labels.len()];
        self.ch
            .recv_blocks(&mut returned)
            .during(Phase::OutputReturn)?;
        let delta = self.delta.block();
        let mut bits = Vec::with_capacity(returned.len());
        for (i, (&label, &zero)) in returned.iter().zip(&zero_labels).enumerate() {
            if label == zero {
                bits.push(false);
            } else if label == zero ^ delta {
                bits.push(true);
            } else {
                self.ch.write_all(&[REJECTED]).during(Phase::OutputReturn)?;
                self.ch.flush().during(Phase::OutputReturn)?;
                let (output, bit) = locate_output_bit(circuit, i);
                return Err(ProtocolError::ForgedOutput { output, bit });
            }
        }
        self.ch.write_all(&[ACCEPTED]).during(Phase::OutputReturn)?;
        self.ch.flush().during(Phase::OutputReturn)?;
        lap(&mut stats.outputs);
        stats.traffic = traffic_since(start_traffic, self.ch.traffic());
        self.failed = false;
        tracing::debug!(?stats, "garbler: execution done");
        Ok((split_outputs(circuit, &bits), stats))
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
    /// The garbler's verdict on the last outputs is still to be read.
    verdict_pending: bool,
    ch: C,
    circuit: &'c Circuit,
    plan: Arc<Plan>,
    ot: CotReceiver,
}

impl<'c, C: Channel> EvaluatorSession<'c, C> {
    /// Handshake and base OTs.
    pub fn start(ch: C, circuit: &'c Circuit) -> Result<Self, ProtocolError> {
        Self::start_prepared(ch, EvaluatorSetup::new(circuit)?)
    }

    /// Handshake and base OTs, with the schedule built beforehand.
    pub fn start_prepared(mut ch: C, setup: EvaluatorSetup<'c>) -> Result<Self, ProtocolError> {
        let EvaluatorSetup { circuit, plan, id } = setup;
        tracing::debug!("evaluator: session starts");
        handshake(&mut ch, Role::Evaluator, &id)?;
        tracing::trace!("evaluator: handshake done");
        let ot = CotReceiver::setup(&mut ch).during(Phase::ObliviousTransfer)?;
        tracing::debug!("evaluator: handshake and base OTs done");
        Ok(EvaluatorSession {
            progress: None,
            verdict_pending: false,
            ch,
            circuit,
            plan,
            ot,
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
        let circuit = self.circuit;
        check_widths(circuit, Party::Evaluator, inputs)?;
        let start_traffic = self.ch.traffic();
        let mut stats = ExecutionStats::default();
        let mut lap = stopwatch();

        // The OT message goes out first: it needs nothing from the garbler,
        // so the garbler's marker and verdict travel while it does.
        let mut evaluator = Evaluator::from_plan(self.plan.clone());
        let choices: Vec<bool> = inputs.iter().flatten().copied().collect();
        let labels = self
            .ot
            .extend(&mut self.ch, &choices)
            .during(Phase::ObliviousTransfer)?;
        self.take_verdict()?;
        let mut marker = [0u8];
        self.ch
            .read_exact(&mut marker)
            .during(Phase::ObliviousTransfer)?;
        match marker[0] {
            EXECUTE => {}
            GOODBYE => {
                return Err(ProtocolError::Unexpected {
                    phase: Phase::ObliviousTransfer,
                    found: GOODBYE,
                    expected: "the start of an execution; the garbler ended the session",
                })
            }
            other => {
                return Err(ProtocolError::Unexpected {
                    phase: Phase::ObliviousTransfer,
                    found: other,
                    expected: "the start of an execution",
                })
            }
        }
        let mut at = 0;
        for (k, width) in groups_of(circuit, Party::Evaluator) {
            evaluator
                .set_input_labels(k, &labels[at..at + width])
                .map_err(|e| ProtocolError::Garbling(e.to_string()))?;
            at += width;
        }
        lap(&mut stats.ot);

        for (k, width) in groups_of(circuit, Party::Garbler) {
            let mut labels = vec![Block::ZERO; width];
            self.ch
                .recv_blocks(&mut labels)
                .during(Phase::GarblerInputs)?;
            evaluator
                .set_input_labels(k, &labels)
                .map_err(|e| ProtocolError::Garbling(e.to_string()))?;
        }
        lap(&mut stats.inputs);

        let mut tables = Vec::new();
        loop {
            let n = evaluator.next_batch_len();
            if n == 0 {
                break;
            }
            tables.resize(n, Block::ZERO);
            self.ch
                .recv_blocks(&mut tables)
                .during(Phase::GarbledTables)?;
            evaluator
                .eval_batch(&tables)
                .map_err(|e| ProtocolError::Garbling(e.to_string()))?;
            stats.and_gates += n as u64 / 2;
            if let Some(f) = &mut self.progress {
                f(stats.and_gates);
            }
        }
        lap(&mut stats.tables);

        let n_out = total_output_bits(circuit);
        let mut packed = vec![0u8; n_out.div_ceil(8)];
        self.ch
            .read_exact(&mut packed)
            .during(Phase::OutputDecoding)?;
        let decoding = split_outputs(circuit, &unpack(&packed, n_out));
        let outputs = evaluator
            .decode(&decoding)
            .map_err(|e| ProtocolError::Garbling(e.to_string()))?;

        let labels: Vec<Block> = evaluator
            .output_labels()
            .map_err(|e| ProtocolError::Garbling(e.to_string()))?
            .into_iter()
            .flatten()
            .collect();
        self.ch.send_blocks(&labels).during(Phase::OutputReturn)?;
        self.ch.flush().during(Phase::OutputReturn)?;
        // The garbler's verdict on these labels is read at the start of the
        // next execution or in `finish`, so that waiting for it costs no
        // round trip per execution.
        self.verdict_pending = true;
        lap(&mut stats.outputs);
        stats.traffic = traffic_since(start_traffic, self.ch.traffic());
        tracing::debug!(?stats, "evaluator: execution done");
        Ok((outputs, stats))
    }

    /// Bytes sent and received in this session so far.
    pub fn traffic(&self) -> Traffic {
        self.ch.traffic()
    }

    /// Reads the garbler's verdict on the outputs of the previous
    /// execution, if one is due.
    fn take_verdict(&mut self) -> Result<(), ProtocolError> {
        if !std::mem::take(&mut self.verdict_pending) {
            return Ok(());
        }
        let mut verdict = [0u8];
        self.ch
            .read_exact(&mut verdict)
            .during(Phase::OutputReturn)?;
        match verdict[0] {
            ACCEPTED => Ok(()),
            REJECTED => Err(ProtocolError::OutputsRejected),
            other => Err(ProtocolError::Unexpected {
                phase: Phase::OutputReturn,
                found: other,
                expected: "the garbler's verdict on the outputs",
            }),
        }
    }

    /// Waits for the garbler's verdict on the last outputs and its goodbye.
    /// Until this returns `Ok`, the garbler has not confirmed that the last
    /// outputs came from its garbling.
    pub fn finish(mut self) -> Result<(), ProtocolError> {
        self.take_verdict()?;
        let mut marker = [0u8];
        self.ch.read_exact(&mut marker).during(Phase::Handshake)?;
        if marker[0] != GOODBYE {
            return Err(ProtocolError::Unexpected {
                phase: Phase::Handshake,
                found: marker[0],
                expected: "the garbler's goodbye",
            });
        }
        Ok(())
    }
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
