//! Garbling and evaluating a circuit that is never held whole: gates arrive
//! window by window from a [`GateSource`] (the compiler's windowed Bristol
//! reader, or a circuit in memory through [`crate::ir::CircuitGates`]), and
//! memory is bounded by the circuit's live wires, not its gate count.
//!
//! # Design
//!
//! The in-memory path builds one [`Plan`] over the whole circuit: about 27
//! bytes per gate of planner scratch and the plan itself, next to the 16
//! bytes per gate of the circuit. Here the circuit is cut into *windows* of
//! consecutive gates (default [`WINDOW`], the in-memory planner's own
//! window). Each window becomes a small circuit of its own:
//!
//! - its one input group is the *carried* wires it reads (written before the
//!   window and still live), in order of first read;
//! - its gates are the window's gates, renumbered;
//! - its one output group is the wires it writes that are read after the
//!   window (or are circuit outputs); everything else it writes dies inside.
//!
//! and is planned with [`Plan::new`], the same planner the in-memory path
//! uses: the window's ANDs are batched by AND level, its free gates reduced,
//! fused and scheduled, its labels slotted, exactly as there, and the
//! existing [`Garbler`] and [`Evaluator`] run its steps unchanged. Between
//! windows only the carried wires' labels remain, in a *carry* array whose
//! slots the [`WindowPlanner`] assigns (and recycles once a wire's last
//! reader has run). Both parties run the same deterministic planner on the
//! same gates, so they produce identical window plans, and nothing about the
//! schedule is sent.
//!
//! A window's circuit knows nothing of its carried inputs, but the windows
//! before it may have left a public constant in the carry, or the same label
//! twice (a wire and its NOT, both read later). The in-memory planner folds
//! the ANDs that read such wires (see "No AND reads a constant" in
//! [`crate::plan`]); so that windows fold them too, the planning stage keeps a
//! [`CarryKnowledge`] of what each carry slot holds, and turns a window's
//! carried constants into constant gates and its carried copies of one label
//! into NOT gates of one input before planning it.
//!
//! The price is a little speed: windows are planned on the fly (the
//! in-memory planner's cost, per window, on every execution), ANDs are
//! batched only within a window, and carried labels are copied in and out
//! of each window's label array. Planning is most of a streamed party's
//! time, so [`for_each_window`] cuts, plans and runs windows on three
//! threads, one window apart: with a second core a party streams 1.7 to 2
//! times as fast. What does not change is the cryptography:
//! every window's ANDs are numbered from a session-wide counter
//! ([`Garbler::set_first_and`]), so every hash call in the whole circuit has
//! a distinct tweak, as the TCCR proof of half-gates needs (Guo, Katz, Wang
//! and Yu 2020); `Delta` is the same throughout (free-XOR across windows).
//!
//! Both garbling schemes run window by window ([`WindowGarbler::with_scheme`]).
//! Three-halves (Rosulek and Roy, CRYPTO 2021) also refuses an AND whose two
//! inputs hold the same XOR sum; no window sees the whole circuit, so both
//! parties carry a fingerprint of every carried wire's sum from window to
//! window (`CarryTags`) and check each window's plan before its tables.
//!
//! # Memory
//!
//! Per party: the carry array (16 bytes per carried wire, at most the
//! circuit's peak live wires plus the wires a window reads), the gates and
//! plans of at most five windows in flight and the label arrays of the one
//! running (all bounded by the window size), and the planner's map from
//! carried wire to slot (about 16 bytes per carried wire). The gate source
//! adds its own bookkeeping: for the compiler's `WindowedBristol` the
//! [`Deaths`] of every gate, 4 bits each, in memory for short circuits and in
//! a temporary file for long ones (see its `bristol_windowed` module), for
//! [`crate::ir::CircuitGates`] a byte per gate. They are how the
//! planner knows, without a table indexed by wire, which carried wires a
//! window reads for the last time and which wires it writes are read later.

use crate::block::{Block, Delta};
use crate::evaluator::{EvalError, Evaluator};
use crate::garbler::{GarbleError, Garbler};
use crate::hash::Tccr;
use crate::ir::{
    Circuit, Deaths, Gate, GateSource, GateSourceError, Input, Output, Party, ValueType, Wire,
    WireMap,
};
use crate::plan::{Plan, PlanError, NO_SLOT, ZERO_SLOT};
use crate::scheme::Scheme;
use crate::three_halves::{
    fingerprint_plan, step_bytes, DependentAnd, Tags, ThreeHalvesEvaluator, ThreeHalvesGarbler,
};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::sync::Arc;
use zeroize::{Zeroize, Zeroizing};

/// Gates per window: the in-memory planner's window, so that a window's
/// ANDs are batched as well as there.
pub const WINDOW: usize = crate::plan::WINDOW;

/// A carry slot (an index into a party's carry array).
pub type CarrySlot = u32;

/// Why a streamed circuit could not run.
#[derive(Debug, thiserror::Error)]
pub enum WindowRunError {
    /// The gate source failed (a read error or a malformed file).
    #[error(transparent)]
    Source(#[from] GateSourceError),
    /// A gate read a wire that is dead or never written.
    #[error("gate {gate} reads wire {wire}, which is not live there (the gate source does not match its deaths)")]
    NotLive {
        /// The gate's number.
        gate: u64,
        /// The wire it read.
        wire: Wire,
    },
    /// A gate wrote a wire that is live.
    #[error("gate {gate} writes wire {wire}, which is already written")]
    WrittenTwice {
        /// The gate's number.
        gate: u64,
        /// The wire it wrote.
        wire: Wire,
    },
    /// The source yielded another number of gates than its deaths cover.
    #[error("the gate source yielded {found} gates, but its deaths were computed for {expected}")]
    GateCount {
        /// The gates the deaths cover.
        expected: u64,
        /// The gates yielded.
        found: u64,
    },
    /// A window cannot be planned.
    #[error("cannot plan window {window}")]
    Plan {
        /// The window's number.
        window: u64,
        /// Why.
        #[source]
        error: PlanError,
    },
    /// The garbler refused a window.
    #[error(transparent)]
    Garble(#[from] GarbleError),
    /// The evaluator refused a window.
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// Three-halves refuses a window: one of its ANDs reads two wires with
    /// the same XOR sum (possibly carried from different windows).
    #[error(transparent)]
    DependentAnd(#[from] DependentAnd),
}

/// One window, planned: its [`Plan`] and where its carried inputs and
/// outputs live in the carry array.
#[derive(Clone, Debug)]
pub struct WindowPlan {
    /// The window's own plan; input group 0 is the carried wires.
    pub plan: Arc<Plan>,
    /// Carry slot of each bit of the plan's input group 0 (none if the
    /// window reads no carried wire).
    pub inputs: Vec<CarrySlot>,
    /// Carry slot of each bit of the plan's output group 0.
    pub outputs: Vec<CarrySlot>,
    /// Sequence number of the window's first AND in the whole circuit: the
    /// ANDs the windows before it garble. Set by [`for_each_window`] as the
    /// windows run in order (0 until then): windows are planned ahead.
    pub first_and: u64,
    /// Carry slots in use up to the end of this window (sizes the carry
    /// array).
    pub carry_len: usize,
}

/// One window, cut from the gate stream but not yet planned
/// ([`WindowPlanner::cut_window`]).
#[derive(Debug)]
pub struct WindowCut {
    /// The window's gates as a circuit of their own (see the module docs).
    circuit: Circuit,
    /// The window's number, from 0.
    window: u64,
    inputs: Vec<CarrySlot>,
    outputs: Vec<CarrySlot>,
    carry_len: usize,
}

impl WindowCut {
    /// Plans the window with the in-memory planner (its
    /// [`WindowPlan::first_and`] is left 0). `carry` is what the windows
    /// planned before this one left in the carry array: windows must be
    /// planned in order, with one [`CarryKnowledge`] for the whole circuit.
    pub fn plan(mut self, carry: &mut CarryKnowledge) -> Result<WindowPlan, WindowRunError> {
        let window = self.window;
        carry.substitute(&mut self.circuit, &mut self.inputs);
        let plan =
            Plan::new(&self.circuit).map_err(|error| WindowRunError::Plan { window, error })?;
        carry.learn(&plan, &self.inputs, &self.outputs);
        Ok(WindowPlan {
            plan: Arc::new(plan),
            inputs: self.inputs,
            outputs: self.outputs,
            first_and: 0,
            carry_len: self.carry_len,
        })
    }
}

/// What the planner knows of a carried label (see [`CarryKnowledge`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    /// Nothing: a label of its own (a circuit input, or a slot not yet
    /// written).
    Own,
    /// A public constant of this value (the label is a public block).
    Const(bool),
    /// The label of class `id`, flipped if the flag is set: carry slots of
    /// one class hold one label up to `Delta` (their wires are one root of
    /// the planner, with different flips).
    Class(u64, bool),
}

/// What the windows planned so far left in each carry slot, in the terms
/// of the in-memory planner: a public constant, or the same label as other
/// carry slots up to a flip (a wire and its NOT, say, both read after the
/// window that wrote them). The planner sees a window as a circuit of its
/// own, whose carried inputs are labels it knows nothing about; without
/// this, an AND in a later window would read a carried constant (a public
/// block) or two copies of one label, which the in-memory planner folds
/// away (see "No AND reads a constant" in [`crate::plan`]). With it, each
/// window's carried constants become constant gates and its carried copies
/// of one label one input (copies are NOT gates of it), so the planner folds
/// those ANDs as it would in one circuit.
///
/// Kept by the planning stage, which plans windows in order: a window's
/// carried inputs were all written by earlier windows. Sized by the carry
/// array (about 16 bytes per carry slot).
#[derive(Debug, Default)]
pub struct CarryKnowledge {
    of: Vec<Known>,
    next_class: u64,
}

impl CarryKnowledge {
    fn get(&self, slot: CarrySlot) -> Known {
        self.of.get(slot as usize).copied().unwrap_or(Known::Own)
    }

    fn set(&mut self, slot: CarrySlot, k: Known) {
        if self.of.len() <= slot as usize {
            self.of.resize(slot as usize + 1, Known::Own);
        }
        self.of[slot as usize] = k;
    }

    fn new_class(&mut self) -> u64 {
        self.next_class += 1;
        self.next_class - 1
    }

    /// Rewrites a window's circuit so that carried constants are constant
    /// gates and carried copies of one label read one input: each such
    /// input leaves the input group (and `inputs`, its carry slots) and is
    /// written instead by gates at the start of the window. Windows without
    /// such inputs are left as they are.
    fn substitute(&self, circuit: &mut Circuit, inputs: &mut Vec<CarrySlot>) {
        let Some(group) = circuit.inputs.first() else {
            return;
        };
        // The first input of each class: its wire and flip.
        let mut first: HashMap<u64, (Wire, bool)> = HashMap::new();
        let mut prefix: Vec<Gate> = Vec::new();
        let mut kept: Vec<(Wire, CarrySlot)> = Vec::with_capacity(inputs.len());
        let mut num_wires = circuit.num_wires;
        for (&w, &slot) in group.wires.iter().zip(inputs.iter()) {
            match self.get(slot) {
                Known::Const(value) => prefix.push(Gate::Const { value, out: w }),
                Known::Class(id, flip) => match first.entry(id) {
                    Entry::Occupied(e) => {
                        let (w0, flip0) = *e.get();
                        prefix.extend(copy_gates(w0, flip ^ flip0, w, &mut num_wires));
                    }
                    Entry::Vacant(e) => {
                        e.insert((w, flip));
                        kept.push((w, slot));
                    }
                },
                Known::Own => kept.push((w, slot)),
            }
        }
        if prefix.is_empty() {
            return;
        }
        circuit.num_wires = num_wires;
        circuit.gates.splice(0..0, prefix);
        *inputs = kept.iter().map(|&(_, s)| s).collect();
        if kept.is_empty() {
            circuit.inputs.clear();
        } else {
            let group = &mut circuit.inputs[0];
            group.wires = kept.iter().map(|&(w, _)| w).collect();
            group.ty = ValueType::UInt(kept.len() as u32);
        }
    }

    /// Records what a planned window wrote into the carry: for each output
    /// bit, a constant (the plan's output is the zero slot), or the class of
    /// the label it copies (a carried input's, or an earlier output's of the
    /// same window slot), or a class of its own. `inputs` and `outputs` are
    /// the carry slots of the plan's input and output groups.
    fn learn(&mut self, plan: &Plan, inputs: &[CarrySlot], outputs: &[CarrySlot]) {
        let Some(out) = plan.outputs().first() else {
            return;
        };
        // By window slot: the class whose label (flipped if the flag is
        // set) the slot holds at the end of the window. An input's slot
        // still holds the input if no gate wrote it (slots are recycled).
        let mut at: Vec<Option<(u64, bool)>> = vec![None; plan.num_slots()];
        let group = plan.inputs().first().filter(|g| {
            let mut is_input = vec![false; plan.num_slots()];
            g.slots
                .iter()
                .filter(|&&s| s != NO_SLOT)
                .for_each(|&s| is_input[s as usize] = true);
            out.slots.iter().any(|&s| is_input[s as usize])
        });
        if let Some(group) = group {
            let written = plan.written_slots();
            for (&s, &slot) in group.slots.iter().zip(inputs) {
                if s == NO_SLOT || written[s as usize] {
                    continue;
                }
                let class = match self.get(slot) {
                    Known::Class(id, flip) => (id, flip),
                    // (`substitute` left no constant among the inputs.)
                    Known::Own | Known::Const(_) => {
                        let id = self.new_class();
                        self.set(slot, Known::Class(id, false));
                        (id, false)
                    }
                };
                at[s as usize] = Some(class);
            }
        }
        // Every output's knowledge first, from the slots as they were
        // (an output may reuse the carry slot of an input read here last).
        let mut learned = Vec::with_capacity(outputs.len());
        for (&s, &flip) in out.slots.iter().zip(&out.flips) {
            learned.push(if s == ZERO_SLOT {
                Known::Const(flip)
            } else {
                let (id, f) = *at[s as usize].get_or_insert_with(|| (self.new_class(), false));
                Known::Class(id, f ^ flip)
            });
        }
        for (&slot, k) in outputs.iter().zip(learned) {
            self.set(slot, k);
        }
    }
}

/// Gates that make `out` a copy of wire `w` (negated if `flip`): a NOT, or
/// two (the IR has no copy gate; the planner turns NOTs into flips, so
/// either costs nothing). A second NOT needs a fresh wire, `num_wires`.
fn copy_gates(w: Wire, flip: bool, out: Wire, num_wires: &mut Wire) -> Vec<Gate> {
    if flip {
        return vec![Gate::Not { a: w, out }];
    }
    let t = *num_wires;
    *num_wires += 1;
    vec![Gate::Not { a: w, out: t }, Gate::Not { a: t, out }]
}

/// Cuts a gate stream into windows and plans each (see the module docs).
/// Holds only the carried wires' slots between windows.
#[derive(Debug)]
pub struct WindowPlanner {
    num_gates: u64,
    carry_of: WireMap<CarrySlot>,
    free: Vec<CarrySlot>,
    carry_len: u32,
    next_gate: u64,
    windows: u64,
    peak_carry: usize,
    /// Scratch: the window's wires, global to local.
    local: WireMap<Wire>,
    /// Scratch: by local wire, whether the window reads it for the last
    /// time.
    dead: Vec<bool>,
}

impl WindowPlanner {
    /// A planner for a circuit of `num_gates` gates with these input groups;
    /// `used(w)` tells whether anything reads input bit `w`. Returns the
    /// planner and the carry slot of every input bit ([`NO_SLOT`] for bits
    /// nothing reads).
    pub fn new(
        inputs: &[Input],
        num_gates: u64,
        used: impl Fn(Wire) -> bool,
    ) -> (WindowPlanner, Vec<Vec<CarrySlot>>) {
        let mut p = WindowPlanner {
            num_gates,
            carry_of: WireMap::default(),
            free: Vec::new(),
            carry_len: 0,
            next_gate: 0,
            windows: 0,
            peak_carry: 0,
            local: WireMap::default(),
            dead: Vec::new(),
        };
        let slots = inputs
            .iter()
            .map(|i| {
                i.wires
                    .iter()
                    .map(|&w| if used(w) { p.alloc(w) } else { NO_SLOT })
                    .collect()
            })
            .collect();
        (p, slots)
    }

    fn alloc(&mut self, w: Wire) -> CarrySlot {
        let s = self.free.pop().unwrap_or_else(|| {
            self.carry_len += 1;
            self.carry_len - 1
        });
        self.carry_of.insert(w, s);
        self.peak_carry = self.peak_carry.max(self.carry_of.len());
        s
    }

    /// The most wires carried between windows at once.
    pub fn peak_carried(&self) -> usize {
        self.peak_carry
    }

    /// Windows planned so far.
    pub fn windows(&self) -> u64 {
        self.windows
    }

    /// Cuts the next window: `gates` are the circuit's next gates (at least
    /// one) with their [`Deaths`]. Renumbers them into a circuit of their
    /// own and assigns the carry slots its inputs and outputs use; the
    /// window is planned by [`WindowCut::plan`], which needs nothing from
    /// the planner (so windows are planned while the next is cut).
    pub fn cut_window(&mut self, gates: &[(Gate, Deaths)]) -> Result<WindowCut, WindowRunError> {
        let base = self.next_gate;
        let end = base + gates.len() as u64;
        self.local.clear();
        self.dead.clear();
        // Carried in, and written here: global and local numbers (and for
        // the written ones, whether anything reads them).
        let mut carried: Vec<(Wire, Wire)> = Vec::new();
        let mut written: Vec<(Wire, Wire, bool)> = Vec::new();
        let mut local_gates = Vec::with_capacity(gates.len());
        let mut next_local: Wire = 0;
        for (k, (g, d)) in gates.iter().enumerate() {
            let gate = base + k as u64;
            let mut read = |w: Wire| -> Result<Wire, WindowRunError> {
                let l = match self.local.get(&w) {
                    Some(&l) => l,
                    None => {
                        if !self.carry_of.contains_key(&w) {
                            return Err(WindowRunError::NotLive { gate, wire: w });
                        }
                        let l = next_local;
                        next_local += 1;
                        self.local.insert(w, l);
                        self.dead.push(false);
                        carried.push((w, l));
                        l
                    }
                };
                if d.kills(g, w) {
                    self.dead[l as usize] = true;
                }
                Ok(l)
            };
            let g = match *g {
                Gate::Xor { a, b, out } => Gate::Xor {
                    a: read(a)?,
                    b: read(b)?,
                    out,
                },
                Gate::And { a, b, out } => Gate::And {
                    a: read(a)?,
                    b: read(b)?,
                    out,
                },
                Gate::Not { a, out } => Gate::Not { a: read(a)?, out },
                c @ Gate::Const { .. } => c,
            };
            let out = g.output();
            let l = next_local;
            let written_twice = WindowRunError::WrittenTwice { gate, wire: out };
            if self.carry_of.contains_key(&out) {
                return Err(written_twice);
            }
            match self.local.entry(out) {
                Entry::Occupied(_) => return Err(written_twice),
                Entry::Vacant(v) => v.insert(l),
            };
            next_local += 1;
            self.dead.push(false);
            written.push((out, l, !d.unused()));
            local_gates.push(match g {
                Gate::Xor { a, b, .. } => Gate::Xor { a, b, out: l },
                Gate::And { a, b, .. } => Gate::And { a, b, out: l },
                Gate::Not { a, .. } => Gate::Not { a, out: l },
                Gate::Const { value, .. } => Gate::Const { value, out: l },
            });
        }
        // Wires written here and read after the window (or output).
        let leaving: Vec<(Wire, Wire)> = written
            .iter()
            .filter(|&&(_, l, used)| used && !self.dead[l as usize])
            .map(|&(w, l, _)| (w, l))
            .collect();
        let group = |name: &str, ws: &[(Wire, Wire)]| {
            (
                name.to_string(),
                ValueType::UInt(ws.len() as u32),
                ws.iter().map(|&(_, l)| l).collect::<Vec<Wire>>(),
            )
        };
        let mut circuit = Circuit {
            name: String::new(),
            num_wires: next_local,
            inputs: Vec::new(),
            outputs: Vec::new(),
            gates: local_gates,
        };
        if !carried.is_empty() {
            let (name, ty, wires) = group("carried", &carried);
            circuit.inputs.push(Input {
                name,
                party: Party::Garbler,
                ty,
                wires,
            });
        }
        if !leaving.is_empty() {
            let (name, ty, wires) = group("leaving", &leaving);
            circuit.outputs.push(Output { name, ty, wires });
        }
        // Carried wires read here for the last time free their slots, then
        // the leaving wires take slots (the parties gather a window's inputs
        // before they scatter its outputs, so reuse is safe).
        let inputs: Vec<CarrySlot> = carried.iter().map(|(w, _)| self.carry_of[w]).collect();
        for &(w, l) in &carried {
            if self.dead[l as usize] {
                if let Some(s) = self.carry_of.remove(&w) {
                    self.free.push(s);
                }
            }
        }
        let outputs: Vec<CarrySlot> = leaving.iter().map(|&(w, _)| self.alloc(w)).collect();
        let window = self.windows;
        self.next_gate = end;
        self.windows += 1;
        Ok(WindowCut {
            circuit,
            window,
            inputs,
            outputs,
            carry_len: self.carry_len as usize,
        })
    }

    /// The carry slot of every output bit, after the last window; checks
    /// that the source yielded every gate its liveness counted.
    pub fn finish(&self, outputs: &[Output]) -> Result<Vec<Vec<CarrySlot>>, WindowRunError> {
        if self.next_gate != self.num_gates {
            return Err(WindowRunError::GateCount {
                expected: self.num_gates,
                found: self.next_gate,
            });
        }
        outputs
            .iter()
            .map(|o| {
                o.wires
                    .iter()
                    .map(|&w| {
                        self.carry_of
                            .get(&w)
                            .copied()
                            .ok_or(WindowRunError::NotLive {
                                gate: self.num_gates,
                                wire: w,
                            })
                    })
                    .collect()
            })
            .collect()
    }
}

/// Drives the windows of a gate source: calls `run` with each planned
/// window, in order, and returns the carry slots of the outputs.
///
/// Three stages, each on a thread of its own, joined by channels of one
/// window: reading and cutting windows (this and the liveness of carried
/// wires are sequential), planning them ([`Plan::new`], the costliest
/// part), and `run`, on the calling thread. Reading and planning are
/// almost all of a streamed party's time (the kernels garble tens of
/// millions of ANDs per second; reading and planning get through about a
/// million ANDs' worth of circuit per second); with a second core they now
/// overlap. Memory stays bounded: at most five windows are in flight (one
/// being cut, one queued, one being planned, one queued, one running).
pub fn for_each_window<E>(
    circuit: &(impl GateSource + Sync + ?Sized),
    window: usize,
    planner: &mut WindowPlanner,
    mut run: impl FnMut(&WindowPlan) -> Result<(), E>,
) -> Result<Vec<Vec<CarrySlot>>, E>
where
    E: From<WindowRunError> + Send,
{
    let window = window.max(1);
    let (cut_tx, cut_rx) = crossbeam::channel::bounded::<WindowCut>(1);
    let (plan_tx, plan_rx) = crossbeam::channel::bounded::<Result<WindowPlan, WindowRunError>>(1);
    std::thread::scope(|s| {
        let cutting = s.spawn(move || -> Result<_, Cutting<E>> {
            let mut gates: Vec<(Gate, Deaths)> =
                Vec::with_capacity(window.min(circuit.num_gates() as usize));
            let mut cut = |gates: &mut Vec<(Gate, Deaths)>| -> Result<(), Cutting<E>> {
                let w = planner
                    .cut_window(gates)
                    .map_err(|e| Cutting::Failed(e.into()))?;
                gates.clear();
                cut_tx.send(w).map_err(|_| Cutting::Stopped)
            };
            circuit.for_each_gate::<Cutting<E>>(|g, d| {
                gates.push((g, d));
                if gates.len() == window {
                    cut(&mut gates)?;
                }
                Ok(())
            })?;
            if !gates.is_empty() {
                cut(&mut gates)?;
            }
            planner
                .finish(circuit.outputs())
                .map_err(|e| Cutting::Failed(e.into()))
        });
        // Plans are numbered when they run: a window's first AND depends on
        // how many ANDs the planner kept in the windows before it.
        let planning = s.spawn(move || {
            let mut carry = CarryKnowledge::default();
            for w in cut_rx {
                if plan_tx.send(w.plan(&mut carry)).is_err() {
                    break;
                }
            }
        });
        let mut next_and = 0;
        // Ends when every window ran (the planners' senders dropped) or one
        // failed.
        let ran = plan_rx.iter().try_for_each(|w| {
            let mut w = w?;
            w.first_and = next_and;
            next_and += w.plan.num_ands();
            run(&w)
        });
        // Threads blocked on a full channel now see it closed and stop.
        drop(plan_rx);
        if let Err(panic) = planning.join() {
            std::panic::resume_unwind(panic);
        }
        let cut = cutting
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        ran?;
        cut.map_err(|e| match e {
            Cutting::Failed(e) => e,
            // The channels close early only after `run` failed (returned above).
            Cutting::Stopped => unreachable!("windows refused while every window ran"),
        })
    })
}

/// How the cutting thread of [`for_each_window`] ended early.
enum Cutting<E> {
    /// Reading the file or cutting a window failed.
    Failed(E),
    /// A later stage failed, and nobody takes windows any more.
    Stopped,
}

impl<E: From<WindowRunError>> From<GateSourceError> for Cutting<E> {
    fn from(e: GateSourceError) -> Self {
        Cutting::Failed(WindowRunError::from(e).into())
    }
}

/// Evaluates every step of `e`, reading the table bytes of several steps
/// at a time (about [`THREE_HALVES_CHUNK`]) through `source`.
fn eval_three_halves_chunks<E: From<EvalError>>(
    e: &mut ThreeHalvesEvaluator,
    buf: &mut Vec<u8>,
    source: &mut impl FnMut(&mut [u8], u64) -> Result<(), E>,
) -> Result<(), E> {
    let plan = Arc::clone(e.plan());
    let mut step = 0;
    while plan.step_ands(step) > 0 {
        let (first, mut len, mut ands) = (step, 0, 0u64);
        while plan.step_ands(step) > 0 && (len == 0 || len < THREE_HALVES_CHUNK) {
            len += step_bytes(plan.step_ands(step));
            ands += plan.step_ands(step) as u64;
            step += 1;
        }
        buf.resize(len, 0);
        source(buf, ands)?;
        let mut at = 0;
        for s in first..step {
            let n = step_bytes(plan.step_ands(s));
            e.eval_batch(&buf[at..at + n])?;
            at += n;
        }
    }
    Ok(())
}

/// The carry array: labels of carried wires by carry slot, zeroized when
/// dropped and whenever it moves.
#[derive(Default)]
struct Carry(Vec<Block>);

impl Carry {
    fn reserve(&mut self, n: usize) {
        if self.0.len() >= n {
            return;
        }
        // Grown by hand so the old buffer is wiped, not freed with labels in it.
        let mut v = vec![Block::ZERO; n.max(2 * self.0.len())];
        v[..self.0.len()].copy_from_slice(&self.0);
        self.0.zeroize();
        self.0 = v;
    }

    fn gather(&self, slots: &[CarrySlot]) -> Vec<Block> {
        slots.iter().map(|&s| self.0[s as usize]).collect()
    }

    /// Lends the labels in `slots` to `use_labels` (a window's input group
    /// 0) and wipes the copy afterwards.
    fn lend<E>(
        &self,
        slots: &[CarrySlot],
        use_labels: impl FnOnce(&[Block]) -> Result<(), E>,
    ) -> Result<(), E> {
        if slots.is_empty() {
            return Ok(());
        }
        let mut labels = self.gather(slots);
        let done = use_labels(&labels);
        labels.zeroize();
        done
    }

    fn scatter(&mut self, slots: &[CarrySlot], labels: &[Block]) {
        for (&s, &l) in slots.iter().zip(labels) {
            self.0[s as usize] = l;
        }
    }
}

impl Drop for Carry {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Fingerprints of the carried wires' XOR sums, for three-halves' refusal
/// of ANDs whose inputs share a sum ([`crate::three_halves::DependentAnd`])
/// across windows: no party holds the whole circuit, so the check of
/// [`crate::three_halves::check_independent_inputs`] runs window by window
/// ([`fingerprint_plan`]), each window's carried inputs taking the
/// fingerprints its predecessors left in their carry slots and its outputs
/// leaving theirs. A fingerprint is the XOR of the tags of the input bits
/// and AND outputs the wire sums, whichever window computed it, so two
/// carried wires with one sum have one fingerprint (the whole-circuit check,
/// one window at a time); the cost is O(1) per gate and 16 bytes per carry
/// slot. Both parties run it on the same windows, so both refuse alike, and
/// before the window's tables are garbled or read.
#[derive(Default)]
struct CarryTags {
    tags: Tags,
    carry: Vec<Block>,
}

impl CarryTags {
    fn reserve(&mut self, n: usize) {
        if self.carry.len() < n {
            self.carry.resize(n, Block::ZERO);
        }
    }

    /// A fresh tag for every input bit of the circuit.
    fn set_inputs(&mut self, slots: &[Vec<CarrySlot>]) {
        for &s in slots.iter().flatten().filter(|&&s| s != NO_SLOT) {
            self.reserve(s as usize + 1);
            self.carry[s as usize] = self.tags.fresh();
        }
    }

    /// Checks window `w` (its ANDs numbered from `first_and`) and records
    /// the fingerprints of its outputs.
    fn check(&mut self, w: &WindowPlan, first_and: u64) -> Result<(), DependentAnd> {
        self.reserve(w.carry_len);
        let inputs: Vec<Vec<Block>> = match w.plan.inputs().first() {
            Some(_) => vec![w.inputs.iter().map(|&s| self.carry[s as usize]).collect()],
            None => Vec::new(),
        };
        let fp = fingerprint_plan(&w.plan, &inputs, &mut self.tags, first_and)?;
        if let Some(out) = w.plan.outputs().first() {
            for (&s, &c) in out.slots.iter().zip(&w.outputs) {
                self.carry[c as usize] = fp[s as usize];
            }
        }
        Ok(())
    }
}

/// Table bytes a three-halves window hands out at once (several steps),
/// as many as half-gates' chunks.
const THREE_HALVES_CHUNK: usize = 16 * crate::garbler::TABLE_CHUNK;

/// The garbler's side: zero-labels of the carried wires and `Delta`.
pub struct WindowGarbler {
    delta: Delta,
    scheme: Scheme,
    /// AND number of the execution's first AND in its session.
    first_and: u64,
    hash: Tccr,
    carry: Carry,
    tables: Vec<Block>,
    bytes: Vec<u8>,
    /// Three-halves only.
    tags: CarryTags,
}

impl WindowGarbler {
    /// A half-gates garbler of windows under `delta`, one for a whole
    /// windowed execution.
    pub fn new(delta: Delta) -> WindowGarbler {
        WindowGarbler::with_scheme(delta, Scheme::HalfGates)
    }

    /// A garbler of windows under `delta` with `scheme`.
    pub fn with_scheme(delta: Delta, scheme: Scheme) -> WindowGarbler {
        WindowGarbler {
            delta,
            scheme,
            first_and: 0,
            hash: Tccr::new(),
            carry: Carry::default(),
            tables: Vec::new(),
            bytes: Vec::new(),
            tags: CarryTags::default(),
        }
    }

    /// The global offset shared by all windows.
    pub fn delta(&self) -> &Delta {
        &self.delta
    }

    /// Numbers the execution's ANDs from `n` on (window `i`'s first AND is
    /// `n + `[`WindowPlan::first_and`]), so that the executions of one
    /// session under one `Delta` never share a tweak ([`crate::tweak`]).
    pub fn set_first_and(&mut self, n: u64) {
        self.first_and = n;
    }

    /// Sets the zero-labels of the circuit's input bits (`slots` from
    /// [`WindowPlanner::new`], `labels` by group).
    pub fn set_inputs(&mut self, slots: &[Vec<CarrySlot>], labels: &[Vec<Block>]) {
        let n = slots.iter().flatten().filter(|&&s| s != NO_SLOT).count();
        let max = slots.iter().flatten().filter(|&&s| s != NO_SLOT).max();
        self.carry.reserve(max.map_or(n, |&m| m as usize + 1));
        for (s, l) in slots.iter().zip(labels) {
            for (&s, &l) in s.iter().zip(l) {
                if s != NO_SLOT {
                    self.carry.0[s as usize] = l;
                }
            }
        }
        self.tags.set_inputs(slots);
    }

    /// Garbles one window, handing its table bytes to `sink` in chunks of
    /// whole steps, with the number of ANDs each chunk garbles.
    pub fn run_window<E: From<WindowRunError> + From<GarbleError>>(
        &mut self,
        w: &WindowPlan,
        sink: &mut impl FnMut(&[u8], u64) -> Result<(), E>,
    ) -> Result<(), E> {
        self.carry.reserve(w.carry_len);
        let first_and = self.first_and.saturating_add(w.first_and);
        let out = match self.scheme {
            Scheme::HalfGates => {
                let plan = Arc::clone(&w.plan);
                let mut g = Garbler::with_hash(plan, self.delta.clone(), self.hash.clone());
                g.set_first_and(first_and).map_err(WindowRunError::from)?;
                self.set_window_inputs(w, |l| g.set_input_zero_labels(0, l))?;
                let mut tables = std::mem::take(&mut self.tables);
                let done = g.garble_in_chunks(crate::garbler::TABLE_CHUNK, &mut tables, |t| {
                    sink(crate::block::blocks_as_bytes(t), t.len() as u64 / 2)
                });
                self.tables = tables;
                done?;
                g.output_zero_labels()
            }
            Scheme::ThreeHalves => {
                self.tags
                    .check(w, first_and)
                    .map_err(WindowRunError::from)?;
                let plan = Arc::clone(&w.plan);
                let mut g =
                    ThreeHalvesGarbler::with_hash(plan, self.delta.clone(), self.hash.clone());
                g.set_first_and(first_and).map_err(WindowRunError::from)?;
                self.set_window_inputs(w, |l| g.set_input_zero_labels(0, l))?;
                let mut bytes = std::mem::take(&mut self.bytes);
                bytes.clear();
                let mut ands = 0u64;
                let mut sent = Ok(());
                loop {
                    let n = g.next_batch_ands() as u64;
                    let more = g.garble_batch(&mut bytes);
                    ands += n;
                    if bytes.len() >= THREE_HALVES_CHUNK || (!more && !bytes.is_empty()) {
                        sent = sink(&bytes, ands);
                        bytes.clear();
                        ands = 0;
                        if sent.is_err() {
                            break;
                        }
                    }
                    if !more {
                        break;
                    }
                }
                self.bytes = bytes;
                sent?;
                g.output_zero_labels()
            }
        };
        if !w.outputs.is_empty() {
            self.carry.scatter(&w.outputs, &out[0]);
        }
        Ok(())
    }

    /// Gives window `w`'s carried zero-labels to `set` (its input group 0).
    fn set_window_inputs(
        &self,
        w: &WindowPlan,
        set: impl FnOnce(&[Block]) -> Result<(), GarbleError>,
    ) -> Result<(), WindowRunError> {
        Ok(self.carry.lend(&w.inputs, set)?)
    }

    /// The zero-labels of the outputs (`slots` from
    /// [`WindowPlanner::finish`]).
    /// Wiped on drop, as [`Garbler::output_zero_labels`].
    pub fn output_zero_labels(&self, slots: &[Vec<CarrySlot>]) -> Zeroizing<Vec<Vec<Block>>> {
        Zeroizing::new(slots.iter().map(|s| self.carry.gather(s)).collect())
    }
}

/// The evaluator's side: active labels of the carried wires.
pub struct WindowEvaluator {
    scheme: Scheme,
    /// AND number of the execution's first AND in its session.
    first_and: u64,
    hash: Tccr,
    carry: Carry,
    tables: Vec<Block>,
    bytes: Vec<u8>,
    /// Three-halves only.
    tags: CarryTags,
}

impl Default for WindowEvaluator {
    fn default() -> Self {
        WindowEvaluator::new()
    }
}
impl WindowEvaluator {
    /// A half-gates evaluator of windows, one for a whole windowed
    /// execution.
    pub fn new() -> WindowEvaluator {
        WindowEvaluator::with_scheme(Scheme::HalfGates)
    }

    /// An evaluator of windows garbled with `scheme`.
    pub fn with_scheme(scheme: Scheme) -> WindowEvaluator {
        WindowEvaluator {
            scheme,
            first_and: 0,
            hash: Tccr::new(),
            carry: Carry::default(),
            tables: Vec::new(),
            bytes: Vec::new(),
            tags: CarryTags::default(),
        }
    }

    /// Follows the garbler's numbering ([`WindowGarbler::set_first_and`]).
    pub fn set_first_and(&mut self, n: u64) {
        self.first_and = n;
    }

    /// Sets the active labels of the circuit's input bits.
    pub fn set_inputs(&mut self, slots: &[Vec<CarrySlot>], labels: &[Vec<Block>]) {
        let max = slots.iter().flatten().filter(|&&s| s != NO_SLOT).max();
        self.carry.reserve(max.map_or(0, |&m| m as usize + 1));
        for (s, l) in slots.iter().zip(labels) {
            for (&s, &l) in s.iter().zip(l) {
                if s != NO_SLOT {
                    self.carry.0[s as usize] = l;
                }
            }
        }
        self.tags.set_inputs(slots);
    }

    /// Evaluates one window; `source` fills each buffer it is given with the
    /// next table bytes (one or several whole steps, of as many ANDs as the
    /// second argument says).
    pub fn run_window<E: From<WindowRunError> + From<EvalError>>(
        &mut self,
        w: &WindowPlan,
        source: &mut impl FnMut(&mut [u8], u64) -> Result<(), E>,
    ) -> Result<(), E> {
        self.carry.reserve(w.carry_len);
        let first_and = self.first_and.saturating_add(w.first_and);
        let mut out = match self.scheme {
            Scheme::HalfGates => {
                let mut e = Evaluator::with_hash(Arc::clone(&w.plan), self.hash.clone());
                e.set_first_and(first_and).map_err(WindowRunError::from)?;
                self.set_window_inputs(w, |l| e.set_input_labels(0, l))?;
                let mut tables = std::mem::take(&mut self.tables);
                let done = e.eval_in_chunks(crate::garbler::TABLE_CHUNK, &mut tables, |t| {
                    let ands = t.len() as u64 / 2;
                    source(crate::block::blocks_as_bytes_mut(t), ands)
                });
                self.tables = tables;
                done?;
                e.output_labels().map_err(WindowRunError::from)?
            }
            Scheme::ThreeHalves => {
                self.tags
                    .check(w, first_and)
                    .map_err(WindowRunError::from)?;
                let mut e = ThreeHalvesEvaluator::with_hash(Arc::clone(&w.plan), self.hash.clone());
                e.set_first_and(first_and).map_err(WindowRunError::from)?;
                self.set_window_inputs(w, |l| e.set_input_labels(0, l))?;
                let mut bytes = std::mem::take(&mut self.bytes);
                let done = eval_three_halves_chunks(&mut e, &mut bytes, source);
                self.bytes = bytes;
                done?;
                e.output_labels().map_err(WindowRunError::from)?
            }
        };
        if !w.outputs.is_empty() {
            self.carry.scatter(&w.outputs, &out[0]);
        }
        out.zeroize();
        Ok(())
    }

    /// Gives window `w`'s carried active labels to `set` (its input group 0).
    fn set_window_inputs(
        &self,
        w: &WindowPlan,
        set: impl FnOnce(&[Block]) -> Result<(), EvalError>,
    ) -> Result<(), WindowRunError> {
        Ok(self.carry.lend(&w.inputs, set)?)
    }

    /// The active labels of the outputs.
    pub fn output_labels(&self, slots: &[Vec<CarrySlot>]) -> Vec<Vec<Block>> {
        slots.iter().map(|s| self.carry.gather(s)).collect()
    }
}
