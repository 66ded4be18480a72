//! One execution of a windowed circuit ([`yao_core::window`]) between two
//! parties: the circuit is read from its [`GateSource`] (typically the
//! compiler's windowed Bristol reader) window by window on both sides, and
//! neither party ever holds it whole.
//!
//! The messages, in order: the handshake (with [`windowed_id`] in place of the
//! circuit id), base OTs, one correlated-OT extension on the evaluator's
//! input bits, the garbler's active input labels, the garbled tables of
//! every window in order, the output decoding bits; then the evaluator
//! returns its output labels and the garbler answers with a verdict, so
//! that both learn the outputs, as in a [`super::GarblerSession`].
//!
//! A streaming party cannot run against an in-memory one: their schedules
//! differ (windows are planned separately), so their table streams do. The
//! id each side offers in the handshake therefore names the circuit *and*
//! the streaming schedule (its window size), and a mismatch is the usual
//! clear handshake error instead of garbage later.

use super::deadline;
use super::error::{During, Phase, ProtocolError};
use super::handshake::{handshake, Role};
use super::wire::{
    check_widths, decode_returned, evaluator_bits, pack, split_outputs, unpack, ACCEPTED, REJECTED,
};
use crate::channel::{Channel, Traffic};
use crate::ot::{CotReceiver, CotSender};
use yao_core::block::{Block, Delta};
use yao_core::ir::{CircuitId, GateSource, Party};
use yao_core::window::{for_each_window, WindowEvaluator, WindowGarbler, WindowPlanner};
use zeroize::{Zeroize, Zeroizing};

/// What one streamed execution produced and cost.
#[derive(Clone, Debug)]
pub struct WindowedOutcome {
    /// The outputs, per output group.
    pub outputs: Vec<Vec<bool>>,
    /// AND gates garbled (dead ones are dropped).
    pub and_gates: u64,
    pub windows: u64,
    /// The most wires carried between windows at once.
    pub peak_carried: usize,
    pub traffic: Traffic,
}

/// The id a streaming party offers in the handshake: the circuit id
/// ([`GateSource::id`], equal to the in-memory `Circuit::id`) bound to
/// the streaming schedule's window size.
pub fn windowed_id<S: GateSource + ?Sized>(circuit: &S, window: usize) -> CircuitId {
    let mut h = blake3::Hasher::new();
    h.update(b"yao-stream-v1\0");
    h.update(&circuit.id().0);
    h.update(&(window.max(1) as u64).to_le_bytes());
    CircuitId(*h.finalize().as_bytes())
}

/// The garbler's side of one streamed execution over `ch`, with `window`
/// gates per window (both parties must use the same). `inputs` holds the
/// bits of the garbler's input groups in circuit order.
pub fn garble_windowed<C: Channel, S: GateSource + Sync + ?Sized>(
    mut ch: C,
    circuit: &S,
    window: usize,
    inputs: &[Vec<bool>],
) -> Result<WindowedOutcome, ProtocolError> {
    check_widths(circuit.inputs(), Party::Garbler, inputs)?;
    let delta = Delta::random();
    let mut ot = deadline::setup(&mut ch, |ch| {
        handshake(ch, Role::Garbler, &windowed_id(circuit, window))?;
        CotSender::setup(ch, &delta).during(Phase::ObliviousTransfer)
    })?;
    let n = evaluator_bits(circuit.inputs());
    let mut from_ot = Zeroizing::new(if n > 0 {
        ot.extend(&mut ch, n).during(Phase::ObliviousTransfer)?
    } else {
        Vec::new()
    });

    // Zero-labels of every input bit: fresh for the garbler's, from the OT
    // for the evaluator's; the garbler's active labels go out.
    let d = delta.block();
    let mut zero: Vec<Vec<Block>> = Vec::new();
    let (mut mine, mut theirs) = (inputs.iter(), 0usize);
    for g in circuit.inputs() {
        let labels: Vec<Block> = match g.party {
            Party::Evaluator => {
                let l = from_ot[theirs..theirs + g.wires.len()].to_vec();
                theirs += g.wires.len();
                l
            }
            Party::Garbler => {
                let l: Vec<Block> = (0..g.wires.len()).map(|_| Block::random()).collect();
                let bits = mine.next().map_or(&[][..], |b| &b[..]);
                let mut active: Vec<Block> = l
                    .iter()
                    .zip(bits)
                    .map(|(&l0, &b)| l0 ^ (Block::mask(b) & d))
                    .collect();
                let sent = ch.send_blocks(&active).during(Phase::GarblerInputs);
                active.zeroize();
                sent?;
                l
            }
        };
        zero.push(labels);
    }
    from_ot.zeroize();

    let (mut planner, slots) = WindowPlanner::new(circuit.inputs(), circuit.num_gates(), |w| {
        circuit.input_used(w)
    });
    let mut garbler = WindowGarbler::new(delta);
    garbler.set_inputs(&slots, &zero);
    zero.zeroize();
    let mut and_gates = 0u64;
    let out_slots = for_each_window::<ProtocolError>(circuit, window, &mut planner, |w| {
        and_gates += w.plan.num_ands();
        garbler.run_window(w, &mut |t: &[Block]| {
            ch.send_blocks(t).during(Phase::GarbledTables)
        })
    })?;

    let out_zero: Zeroizing<Vec<Block>> = Zeroizing::new(
        garbler
            .output_zero_labels(&out_slots)
            .iter()
            .flatten()
            .copied()
            .collect(),
    );
    ch.write_all(&pack(out_zero.iter().map(|l| l.lsb())))
        .during(Phase::OutputDecoding)?;
    ch.flush().during(Phase::OutputDecoding)?;

    let mut returned = vec![Block::ZERO; out_zero.len()];
    ch.recv_blocks(&mut returned).during(Phase::OutputReturn)?;
    let bits = match decode_returned(circuit.outputs(), &returned, &out_zero, d) {
        Ok(bits) => bits,
        Err(forged) => {
            ch.write_all(&[REJECTED]).during(Phase::OutputReturn)?;
            ch.flush().during(Phase::OutputReturn)?;
            return Err(forged);
        }
    };
    ch.write_all(&[ACCEPTED]).during(Phase::OutputReturn)?;
    ch.flush().during(Phase::OutputReturn)?;
    Ok(WindowedOutcome {
        outputs: split_outputs(circuit.outputs(), &bits),
        and_gates,
        windows: planner.windows(),
        peak_carried: planner.peak_carried(),
        traffic: ch.traffic(),
    })
}

/// The evaluator's side of one streamed execution (see [`garble_windowed`]).
pub fn evaluate_windowed<C: Channel, S: GateSource + Sync + ?Sized>(
    mut ch: C,
    circuit: &S,
    window: usize,
    inputs: &[Vec<bool>],
) -> Result<WindowedOutcome, ProtocolError> {
    check_widths(circuit.inputs(), Party::Evaluator, inputs)?;
    let mut ot = deadline::setup(&mut ch, |ch| {
        handshake(ch, Role::Evaluator, &windowed_id(circuit, window))?;
        CotReceiver::setup(ch).during(Phase::ObliviousTransfer)
    })?;
    let choices: Zeroizing<Vec<bool>> = Zeroizing::new(inputs.iter().flatten().copied().collect());
    let mut from_ot = Zeroizing::new(if choices.is_empty() {
        Vec::new()
    } else {
        ot.extend(&mut ch, &choices)
            .during(Phase::ObliviousTransfer)?
    });

    let mut active: Vec<Vec<Block>> = Vec::new();
    let mut theirs = 0usize;
    for g in circuit.inputs() {
        let mut labels = vec![Block::ZERO; g.wires.len()];
        match g.party {
            Party::Evaluator => {
                labels.copy_from_slice(&from_ot[theirs..theirs + g.wires.len()]);
                theirs += g.wires.len();
            }
            Party::Garbler => ch.recv_blocks(&mut labels).during(Phase::GarblerInputs)?,
        }
        active.push(labels);
    }
    from_ot.zeroize();

    let (mut planner, slots) = WindowPlanner::new(circuit.inputs(), circuit.num_gates(), |w| {
        circuit.input_used(w)
    });
    let mut evaluator = WindowEvaluator::new();
    evaluator.set_inputs(&slots, &active);
    active.zeroize();
    let mut and_gates = 0u64;
    let out_slots = for_each_window::<ProtocolError>(circuit, window, &mut planner, |w| {
        and_gates += w.plan.num_ands();
        evaluator.run_window(w, &mut |t: &mut [Block]| {
            ch.recv_blocks(t).during(Phase::GarbledTables)
        })
    })?;

    let labels: Vec<Block> = evaluator
        .output_labels(&out_slots)
        .into_iter()
        .flatten()
        .collect();
    let mut packed = vec![0u8; labels.len().div_ceil(8)];
    ch.read_exact(&mut packed).during(Phase::OutputDecoding)?;
    let decoding = unpack(&packed, labels.len());
    let bits: Vec<bool> = labels
        .iter()
        .zip(decoding)
        .map(|(l, d)| l.lsb() ^ d)
        .collect();
    ch.send_blocks(&labels).during(Phase::OutputReturn)?;
    ch.flush().during(Phase::OutputReturn)?;
    let mut verdict = [0u8];
    ch.read_exact(&mut verdict).during(Phase::OutputReturn)?;
    match verdict[0] {
        ACCEPTED => {}
        REJECTED => return Err(ProtocolError::OutputsRejected),
        found => {
            return Err(ProtocolError::Unexpected {
                phase: Phase::OutputReturn,
                found,
                expected: "the garbler's verdict on the outputs",
            })
        }
    }
    Ok(WindowedOutcome {
        outputs: split_outputs(circuit.outputs(), &bits),
        and_gates,
        windows: planner.windows(),
        peak_carried: planner.peak_carried(),
        traffic: ch.traffic(),
    })
}
