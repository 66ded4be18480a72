//! What a session runs: a circuit held whole (planned once per session) or
//! one read window by window at every execution ([`yao_core::window`]).
//! Both go through the same session and the same messages; only the way
//! the garbler makes, and the evaluator consumes, the table stream differs.

use super::error::{During, Phase, ProtocolError};
use crate::channel::Channel;
use std::sync::Arc;
use yao_core::block::{Block, Delta};
use yao_core::ir::{Circuit, CircuitId, GateSource, Input, Output};
use yao_core::plan::Plan;
use yao_core::tweak::AndCounter;
use yao_core::window::{
    for_each_window, CarrySlot, WindowEvaluator, WindowGarbler, WindowPlan, WindowPlanner,
};
use yao_core::Scheme;
use zeroize::Zeroizing;

/// The id a party offers in the handshake for a circuit read window by
/// window: the circuit id ([`GateSource::id`], equal to the in-memory
/// `Circuit::id`) bound to the window size.
pub fn windowed_id<S: GateSource + ?Sized>(circuit: &S, window: usize) -> CircuitId {
    let mut h = blake3::Hasher::new();
    h.update(b"yao-stream-v1\0");
    h.update(&circuit.id().0);
    h.update(&(window.max(1) as u64).to_le_bytes());
    CircuitId(*h.finalize().as_bytes())
}

/// The circuit of a session, as a setup names it.
#[derive(Clone, Copy)]
pub(super) enum Subject<'c> {
    /// In memory.
    Whole(&'c Circuit),
    /// Read window by window, `window` gates at a time.
    Windowed {
        source: &'c dyn Windows,
        inputs: &'c [Input],
        outputs: &'c [Output],
        window: usize,
        id: CircuitId,
    },
}

impl<'c> Subject<'c> {
    pub(super) fn windowed<S: GateSource + Sync>(source: &'c S, window: usize) -> Self {
        Subject::Windowed {
            source,
            inputs: source.inputs(),
            outputs: source.outputs(),
            window: window.max(1),
            id: windowed_id(source, window),
        }
    }

    pub(super) fn inputs(&self) -> &'c [Input] {
        match *self {
            Subject::Whole(c) => &c.inputs,
            Subject::Windowed { inputs, .. } => inputs,
        }
    }

    pub(super) fn outputs(&self) -> &'c [Output] {
        match *self {
            Subject::Whole(c) => &c.outputs,
            Subject::Windowed { outputs, .. } => outputs,
        }
    }

    /// The id both parties offer in the handshake: a windowed schedule's
    /// table stream differs from the whole circuit's (windows are planned
    /// separately), so its id names the window size too.
    pub(super) fn id(&self) -> CircuitId {
        match *self {
            Subject::Whole(c) => c.id(),
            Subject::Windowed { id, .. } => id,
        }
    }

    /// The schedule of a session: a whole circuit's plan is built here.
    pub(super) fn schedule(&self) -> Result<Schedule<'c>, ProtocolError> {
        Ok(match *self {
            Subject::Whole(c) => Schedule::Whole(Arc::new(Plan::new(c)?)),
            Subject::Windowed { source, window, .. } => Schedule::Windowed { source, window },
        })
    }
}

/// Refuses a schedule the scheme cannot garble safely: three-halves takes
/// no AND whose inputs share an XOR sum
/// ([`yao_core::three_halves::check_independent_inputs`]). A windowed
/// schedule is checked window by window as it runs, by both parties,
/// before each window's tables (see `yao_core::window`).
pub(super) fn check_scheme(
    schedule: &Schedule<'_>,
    scheme: yao_core::Scheme,
) -> Result<(), ProtocolError> {
    match (schedule, scheme) {
        (Schedule::Whole(plan), yao_core::Scheme::ThreeHalves) => {
            Ok(yao_core::three_halves::check_independent_inputs(plan)?)
        }
        _ => Ok(()),
    }
}

/// How a session's executions get their gates.
#[derive(Clone)]
pub(super) enum Schedule<'c> {
    /// One plan for every execution.
    Whole(Arc<Plan>),
    /// Windows read and planned again at every execution.
    Windowed {
        source: &'c dyn Windows,
        window: usize,
    },
}

/// A windowed circuit as a session drives it. [`GateSource`] is not
/// object-safe (its visitor is generic); this is, so one session type
/// serves every source.
pub(super) trait Windows: Sync {
    /// An upper bound on the circuit's ANDs (its gate count): the AND
    /// numbers a windowed execution takes from the session before it knows
    /// how many ANDs its windows keep.
    fn max_ands(&self) -> u64;

    /// A planner and the carry slots of the input bits.
    fn planner(&self) -> (WindowPlanner, Vec<Vec<CarrySlot>>);

    /// Cuts, plans and runs every window ([`for_each_window`]); returns
    /// the carry slots of the outputs.
    fn run(
        &self,
        window: usize,
        planner: &mut WindowPlanner,
        run: &mut dyn FnMut(&WindowPlan) -> Result<(), ProtocolError>,
    ) -> Result<Vec<Vec<CarrySlot>>, ProtocolError>;
}

impl<S: GateSource + Sync> Windows for S {
    fn max_ands(&self) -> u64 {
        self.num_gates()
    }

    fn planner(&self) -> (WindowPlanner, Vec<Vec<CarrySlot>>) {
        WindowPlanner::new(self.inputs(), self.num_gates(), |w| self.input_used(w))
    }

    fn run(
        &self,
        window: usize,
        planner: &mut WindowPlanner,
        run: &mut dyn FnMut(&WindowPlan) -> Result<(), ProtocolError>,
    ) -> Result<Vec<Vec<CarrySlot>>, ProtocolError> {
        for_each_window(self, window, planner, run)
    }
}

/// What a windowed execution adds to its costs.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct WindowCounts {
    pub(super) windows: u64,
    pub(super) peak_carried: usize,
}

/// Garbles one windowed execution: `zero` holds the zero-labels of every
/// input group (the garbler's fresh, the evaluator's from OT); the tables
/// go to `ch` window by window. Returns the output zero-labels, flattened,
/// the ANDs garbled and the window counts.
#[allow(clippy::too_many_arguments)]
pub(super) fn garble_windows<C: Channel>(
    source: &dyn Windows,
    window: usize,
    scheme: Scheme,
    delta: &Delta,
    ands: &mut AndCounter,
    zero: &[Vec<Block>],
    ch: &mut C,
    progress: &mut dyn FnMut(u64),
) -> Result<(Zeroizing<Vec<Block>>, u64, WindowCounts), ProtocolError> {
    let first_and = ands.take(source.max_ands())?;
    let (mut planner, slots) = source.planner();
    let mut garbler = WindowGarbler::with_scheme(delta.clone(), scheme);
    garbler.set_first_and(first_and);
    garbler.set_inputs(&slots, zero);
    let mut and_gates = 0u64;
    let out_slots = source.run(window, &mut planner, &mut |w| {
        garbler.run_window(w, &mut |t: &[u8], ands: u64| {
            and_gates += ands;
            ch.write_all(t).during(Phase::GarbledTables)?;
            progress(and_gates);
            Ok(())
        })
    })?;
    let zero = Zeroizing::new(
        garbler
            .output_zero_labels(&out_slots)
            .iter()
            .flatten()
            .copied()
            .collect(),
    );
    let counts = WindowCounts {
        windows: planner.windows(),
        peak_carried: planner.peak_carried(),
    };
    Ok((zero, and_gates, counts))
}

/// Evaluates one windowed execution on the active labels of every input
/// group; reads the tables from `ch`. Returns the output labels by group,
/// the ANDs evaluated and the window counts.
pub(super) fn evaluate_windows<C: Channel>(
    source: &dyn Windows,
    window: usize,
    scheme: Scheme,
    ands: &mut AndCounter,
    active: &[Vec<Block>],
    ch: &mut C,
    progress: &mut dyn FnMut(u64),
) -> Result<(Vec<Vec<Block>>, u64, WindowCounts), ProtocolError> {
    let first_and = ands.take(source.max_ands())?;
    let (mut planner, slots) = source.planner();
    let mut evaluator = WindowEvaluator::with_scheme(scheme);
    evaluator.set_first_and(first_and);
    evaluator.set_inputs(&slots, active);
    let mut and_gates = 0u64;
    let out_slots = source.run(window, &mut planner, &mut |w| {
        evaluator.run_window(w, &mut |t: &mut [u8], ands: u64| {
            ch.read_exact(t).during(Phase::GarbledTables)?;
            and_gates += ands;
            progress(and_gates);
            Ok(())
        })
    })?;
    let counts = WindowCounts {
        windows: planner.windows(),
        peak_carried: planner.peak_carried(),
    };
    Ok((evaluator.output_labels(&out_slots), and_gates, counts))
}
