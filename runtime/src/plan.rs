//! The gate schedule both parties follow: which AND gates are hashed
//! together, where each wire's label lives, and nothing else.
//!
//! AES reaches its throughput only with many independent blocks in flight, so
//! AND gates are grouped into *steps* of mutually independent gates. The
//! planner walks the circuit in windows of [`WINDOW`] gates; inside a window
//! it levels the gates by AND-depth counted from the window's start (wires
//! made before the window are ready at level 0). Step `L` holds the ANDs of
//! level `L` (at most [`MAX_STEP_ANDS`] per step), followed by the free gates
//! (XOR, NOT, constants) of level `L` in circuit order. A step's ANDs only read
//! wires of lower levels, so they can be hashed in one batch.
//!
//! Memory stays bounded by the live wires: labels live in *slots*, and a slot
//! is recycled as soon as the last reader of its wire (in schedule order) has
//! run. Gates whose result nobody reads, directly or through other gates, are
//! dropped. The plan depends only on the circuit, so the garbler and the
//! evaluator compute identical plans, and a plan can be shared between many
//! sessions on the same circuit (`Arc<Plan>`).

use crate::ir::{Circuit, Gate, IrError, Party};

/// Gates per planning window: large enough that the ANDs of one level of a
/// wide circuit (AES-128 has about 100 per level) land in one batch, small
/// enough that reordering inside a window adds few live wires.
pub const WINDOW: usize = 1 << 16;

/// At most this many ANDs per step: the garbler hashes 4 blocks per AND, so
/// a step's hash buffers (2 x 4 x 16 bytes per AND) stay in L1/L2.
pub const MAX_STEP_ANDS: usize = 256;

/// A slot index in the label array.
pub type Slot = u32;

/// `NO_SLOT` marks an input wire nobody reads.
pub const NO_SLOT: Slot = Slot::MAX;

/// One AND gate in slot space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AndOp {
    pub a: Slot,
    pub b: Slot,
    pub out: Slot,
}

/// Three reserved slots make every free gate a plain XOR of two slots (see
/// [`FreeOp`]): slot 0 holds the zero block, slot 1 the public constant
/// label, slot 2 the *offset*: `Delta` for the garbler, zero for the
/// evaluator.
pub const ZERO_SLOT: Slot = 0;
pub const PUBLIC_SLOT: Slot = 1;
pub const OFFSET_SLOT: Slot = 2;
const FIRST_SLOT: u32 = 3;
/// Free gates store byte offsets (`slot * 16`) in `u32`s.
const MAX_SLOTS: u64 = 1 << 28;

/// One free gate: `L[out] = L[a] ^ L[b]`, with slots stored as byte offsets
/// into the label array so the hot loop needs no arithmetic. XOR is
/// `(a, b)`; NOT is `(a, OFFSET_SLOT)` (the garbler flips by `Delta`, the
/// evaluator copies); a constant `v` is `(PUBLIC_SLOT, v ? OFFSET_SLOT :
/// ZERO_SLOT)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreeOp {
    a16: u32,
    b16: u32,
    out16: u32,
}

impl FreeOp {
    fn new(a: Slot, b: Slot, out: Slot) -> FreeOp {
        FreeOp {
            a16: a.wrapping_mul(16),
            b16: b.wrapping_mul(16),
            out16: out.wrapping_mul(16),
        }
    }

    /// Byte offsets of `a`, `b` and `out`.
    #[inline(always)]
    pub fn offsets(&self) -> (usize, usize, usize) {
        (self.a16 as usize, self.b16 as usize, self.out16 as usize)
    }

    /// Slots of `a`, `b` and `out`.
    pub fn slots(&self) -> (Slot, Slot, Slot) {
        (self.a16 / 16, self.b16 / 16, self.out16 / 16)
    }
}

/// Free gates of one plan, with the bound every slot in them is below (the
/// plan's slot count, checked when the plan is built), so the hot loop can
/// index without per-gate bounds checks.
#[derive(Clone, Copy, Debug)]
pub struct FreeOps<'p> {
    ops: &'p [FreeOp],
    bound: usize,
}

impl<'p> FreeOps<'p> {
    pub fn ops(&self) -> &'p [FreeOp] {
        self.ops
    }

    /// Every slot in these ops is below this.
    pub fn bound(&self) -> usize {
        self.bound
    }
}

/// Why a circuit cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Invalid(#[from] IrError),
    #[error("the circuit needs {0} labels alive at once; at most 2^31 are supported")]
    TooManyLiveWires(u64),
}

/// One step: a batch of independent ANDs, then the free gates that follow.
/// Offsets are cumulative ends into [`Plan::ands`] and [`Plan::frees`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Step {
    ands_end: u64,
    frees_end: u64,
}

/// An input group in slot space.
#[derive(Clone, Debug)]
pub struct InputPlan {
    pub name: String,
    pub party: Party,
    /// `slots[k]` holds bit `k`, or [`NO_SLOT`] if nothing reads it.
    pub slots: Vec<Slot>,
}

/// An output group in slot space.
#[derive(Clone, Debug)]
pub struct OutputPlan {
    pub name: String,
    pub slots: Vec<Slot>,
}

/// The schedule of one circuit. See the module documentation.
#[derive(Clone, Debug)]
pub struct Plan {
    num_slots: u32,
    inputs: Vec<InputPlan>,
    outputs: Vec<OutputPlan>,
    ands: Vec<AndOp>,
    frees: Vec<FreeOp>,
    /// Free gates before the first step (they read inputs only).
    prelude: u64,
    steps: Vec<Step>,
    max_step_ands: usize,
}

/// A range of ops run as one unit: a batch of ANDs, then free gates.
#[derive(Clone, Copy, Debug)]
pub struct StepOps<'p> {
    pub ands: &'p [AndOp],
    pub frees: FreeOps<'p>,
    /// Sequence number of `ands[0]` in the session (for tweaks).
    pub first_and: u64,
}

impl Plan {
    /// Plans `circuit` after checking it with [`Circuit::validate`].
    pub fn new(circuit: &Circuit) -> Result<Plan, PlanError> {
        Plan::with_limits(circuit, WINDOW, MAX_STEP_ANDS)
    }

    /// [`Plan::new`] with another window and step size (both at least 1);
    /// tests use tiny ones to exercise every boundary.
    pub fn with_limits(
        circuit: &Circuit,
        window: usize,
        max_step_ands: usize,
    ) -> Result<Plan, PlanError> {
        circuit.validate()?;
        let plan = build(circuit, window.max(1), max_step_ands.max(1));
        if plan.num_slots as u64 >= MAX_SLOTS {
            return Err(PlanError::TooManyLiveWires(plan.num_slots as u64));
        }
        Ok(plan)
    }

    /// Label slots needed at once (the peak number of live wires in schedule order).
    pub fn num_slots(&self) -> usize {
        self.num_slots as usize
    }

    pub fn inputs(&self) -> &[InputPlan] {
        &self.inputs
    }

    pub fn outputs(&self) -> &[OutputPlan] {
        &self.outputs
    }

    /// AND gates that are garbled (dead ones are dropped): the table stream
    /// holds two blocks for each.
    pub fn num_ands(&self) -> u64 {
        self.ands.len() as u64
    }

    pub fn num_steps(&self) -> usize {
        self.steps.len()
    }

    /// The most ANDs in one step (sizes the hash buffers).
    pub fn max_step_ands(&self) -> usize {
        self.max_step_ands
    }

    /// Free gates to run before the first step.
    pub fn prelude(&self) -> FreeOps<'_> {
        self.free_ops(0, self.prelude)
    }

    fn free_ops(&self, start: u64, end: u64) -> FreeOps<'_> {
        FreeOps {
            ops: &self.frees[start as usize..end as usize],
            bound: self.num_slots as usize,
        }
    }

    /// ANDs in step `i` (0 past the end).
    pub fn step_ands(&self, i: usize) -> usize {
        match self.steps.get(i) {
            None => 0,
            Some(s) => {
                let start = if i == 0 {
                    0
                } else {
                    self.steps[i - 1].ands_end
                };
                (s.ands_end - start) as usize
            }
        }
    }

    /// The ops of step `i`.
    pub fn step(&self, i: usize) -> Option<StepOps<'_>> {
        let s = self.steps.get(i)?;
        let (a0, f0) = if i == 0 {
            (0, self.prelude)
        } else {
            let p = self.steps[i - 1];
            (p.ands_end, p.frees_end)
        };
        Some(StepOps {
            ands: &self.ands[a0 as usize..s.ands_end as usize],
            frees: self.free_ops(f0, s.frees_end),
            first_and: a0,
        })
    }

    /// Checks the invariants the kernels rely on: every slot in range, and
    /// within a step no AND writes a slot that another AND of the step reads
    /// or writes (steps are processed in chunks that write as they go).
    /// For tests; `Plan::new` already guarantees both.
    pub fn verify(&self) -> Result<(), String> {
        for i in 0..self.num_steps() {
            let Some(step) = self.step(i) else { break };
            let mut reads = std::collections::HashSet::new();
            for g in step.ands {
                reads.insert(g.a);
                reads.insert(g.b);
            }
            let mut writes = std::collections::HashSet::new();
            for g in step.ands {
                if g.out >= self.num_slots || g.a >= self.num_slots || g.b >= self.num_slots {
                    return Err(format!("step {i}: slot out of range"));
                }
                if reads.contains(&g.out) || !writes.insert(g.out) {
                    return Err(format!("step {i}: slot {} written while in use", g.out));
                }
            }
        }
        Ok(())
    }

    /// Heap bytes the plan itself occupies (for memory reports).
    pub fn heap_bytes(&self) -> usize {
        self.ands.capacity() * std::mem::size_of::<AndOp>()
            + self.frees.capacity() * std::mem::size_of::<FreeOp>()
            + self.steps.capacity() * std::mem::size_of::<Step>()
            + self.inputs.iter().map(|i| i.slots.len() * 4).sum::<usize>()
            + self
                .outputs
                .iter()
                .map(|o| o.slots.len() * 4)
                .sum::<usize>()
    }
}

/// Schedules gates by windowed AND-level, then assigns slots in that order.
fn build(c: &Circuit, window_len: usize, max_step: usize) -> Plan {
    let n_wires = c.num_wires as usize;

    // 1. Which gates matter: a reverse pass from the outputs.
    let mut needed = vec![false; n_wires];
    for o in &c.outputs {
        for &w in &o.wires {
            needed[w as usize] = true;
        }
    }
    for g in c.gates.iter().rev() {
        if needed[g.output() as usize] {
            for w in g.inputs() {
                needed[w as usize] = true;
            }
        }
    }

    // 2. Order: windows, levels, steps. `ready[w]` is the global level after
    // which wire w exists (0 = inputs and anything before the window base).
    let mut ready = vec![0u64; n_wires];
    let mut order_ands: Vec<u32> = Vec::new(); // gate indices, schedule order
    let mut order_frees: Vec<u32> = Vec::new();
    let mut prelude = 0u64;
    let mut steps: Vec<Step> = Vec::new();
    let mut base = 0u64;
    let mut by_level_ands: Vec<Vec<u32>> = vec![Vec::new()];
    // Free gates as (free-depth, gate): see below.
    let mut by_level_frees: Vec<Vec<(u32, u32)>> = vec![Vec::new()];
    // Free-depth of a wire within its level: 0 for AND outputs, 1 + the
    // deepest same-level free input for free gates.
    let mut fdepth = vec![0u32; n_wires];
    let close_frees = |steps: &mut Vec<Step>, prelude: &mut u64, n: u64| match steps.last_mut() {
        Some(s) => s.frees_end = n,
        None => *prelude = n,
    };
    for (w0, window) in c.gates.chunks(window_len).enumerate() {
        by_level_ands.iter_mut().for_each(Vec::clear);
        by_level_frees.iter_mut().for_each(Vec::clear);
        let mut max_level = 0usize;
        for (k, g) in window.iter().enumerate() {
            if !needed[g.output() as usize] {
                continue;
            }
            let idx = (w0 * window_len + k) as u32;
            let lvl = |w: u32| ready[w as usize].saturating_sub(base) as usize;
            let (level, is_and) = match *g {
                Gate::And { a, b, .. } => (lvl(a).max(lvl(b)) + 1, true),
                Gate::Xor { a, b, .. } => (lvl(a).max(lvl(b)), false),
                Gate::Not { a, .. } => (lvl(a), false),
                Gate::Const { .. } => (0, false),
            };
            let here = base + level as u64;
            ready[g.output() as usize] = here;
            if !is_and {
                let fd = g
                    .inputs()
                    .filter(|&w| ready[w as usize] == here)
                    .map(|w| fdepth[w as usize])
                    .max()
                    .unwrap_or(0);
                fdepth[g.output() as usize] = fd + 1;
            }
            max_level = max_level.max(level);
            if by_level_ands.len() <= level {
                by_level_ands.resize_with(level + 1, Vec::new);
                by_level_frees.resize_with(level + 1, Vec::new);
            }
            if is_and {
                by_level_ands[level].push(idx);
            } else {
                by_level_frees[level].push((fdepth[g.output() as usize], idx));
            }
        }
        for level in 0..=max_level {
            for chunk in by_level_ands[level].chunks(max_step) {
                order_ands.extend_from_slice(chunk);
                steps.push(Step {
                    ands_end: order_ands.len() as u64,
                    frees_end: order_frees.len() as u64,
                });
            }
            // Free gates of equal free-depth are independent: ordering by
            // depth puts independent gates next to each other, so their
            // store-to-load chains overlap in the CPU instead of serializing.
            // A gate's same-level inputs have smaller depth, so the order
            // stays topological.
            let frees = &mut by_level_frees[level];
            frees.sort_by_key(|&(fd, _)| fd);
            order_frees.extend(frees.iter().map(|&(_, g)| g));
            close_frees(&mut steps, &mut prelude, order_frees.len() as u64);
        }
        base += max_level as u64;
    }
    drop(ready);
    drop(fdepth);

    // 3. Last reader of each wire in schedule order. Time advances once per
    // step for its ANDs (all read before any writes) and once per free gate.
    const FOREVER: u64 = u64::MAX;
    let mut last = vec![0u64; n_wires];
    let walk = |f: &mut dyn FnMut(Event)| {
        let mut t = 0u64;
        let mut fi = 0usize;
        let mut ai = 0usize;
        let free_until = |end: u64, t: &mut u64, fi: &mut usize, f: &mut dyn FnMut(Event)| {
            while (*fi as u64) < end {
                *t += 1;
                f(Event::Free(*t, order_frees[*fi]));
                *fi += 1;
            }
        };
        free_until(prelude, &mut t, &mut fi, f);
        for s in &steps {
            t += 1;
            f(Event::AndStep(t, &order_ands[ai..s.ands_end as usize]));
            ai = s.ands_end as usize;
            free_until(s.frees_end, &mut t, &mut fi, f);
        }
    };
    walk(&mut |e| match e {
        Event::Free(t, g) => {
            for w in c.gates[g as usize].inputs() {
                last[w as usize] = t;
            }
        }
        Event::AndStep(t, gs) => {
            for &g in gs {
                for w in c.gates[g as usize].inputs() {
                    last[w as usize] = t;
                }
            }
        }
    });
    for o in &c.outputs {
        for &w in &o.wires {
            last[w as usize] = FOREVER;
        }
    }

    // 4. Slots, in the same order.
    let mut slot_of = vec![NO_SLOT; n_wires];
    let mut free_slots: Vec<Slot> = Vec::new();
    let mut num_slots = FIRST_SLOT as u64;
    let mut alloc = |w: u32, slot_of: &mut Vec<Slot>, free_slots: &mut Vec<Slot>| -> Slot {
        let s = free_slots.pop().unwrap_or_else(|| {
            num_slots += 1;
            // Saturates instead of wrapping; `with_limits` rejects the plan.
            (num_slots - 1).min(MAX_SLOTS - 1) as Slot
        });
        slot_of[w as usize] = s;
        s
    };
    let inputs: Vec<InputPlan> = c
        .inputs
        .iter()
        .map(|i| InputPlan {
            name: i.name.clone(),
            party: i.party,
            slots: i
                .wires
                .iter()
                .map(|&w| {
                    if needed[w as usize] {
                        alloc(w, &mut slot_of, &mut free_slots)
                    } else {
                        NO_SLOT
                    }
                })
                .collect(),
        })
        .collect();
    let release = |w: u32, t: u64, slot_of: &mut Vec<Slot>, free_slots: &mut Vec<Slot>| {
        if last[w as usize] == t && slot_of[w as usize] != NO_SLOT {
            free_slots.push(slot_of[w as usize]);
            slot_of[w as usize] = NO_SLOT;
        }
    };
    let mut ands = Vec::with_capacity(order_ands.len());
    let mut frees = Vec::with_capacity(order_frees.len());
    walk(&mut |e| match e {
        Event::Free(t, g) => {
            let gate = c.gates[g as usize];
            let op = match gate {
                Gate::Xor { a, b, .. } => (slot_of[a as usize], slot_of[b as usize]),
                Gate::Not { a, .. } => (slot_of[a as usize], 0),
                Gate::Const { .. } | Gate::And { .. } => (0, 0),
            };
            for w in gate.inputs() {
                release(w, t, &mut slot_of, &mut free_slots);
            }
            let out = alloc(gate.output(), &mut slot_of, &mut free_slots);
            frees.push(match gate {
                Gate::Xor { .. } => FreeOp::new(op.0, op.1, out),
                Gate::Not { .. } => FreeOp::new(op.0, OFFSET_SLOT, out),
                Gate::Const { value, .. } => FreeOp::new(
                    PUBLIC_SLOT,
                    if value { OFFSET_SLOT } else { ZERO_SLOT },
                    out,
                ),
                Gate::And { .. } => unreachable!("ANDs are scheduled in steps"),
            });
        }
        Event::AndStep(t, gs) => {
            let first = ands.len();
            for &g in gs {
                if let Gate::And { a, b, .. } = c.gates[g as usize] {
                    ands.push(AndOp {
                        a: slot_of[a as usize],
                        b: slot_of[b as usize],
                        out: 0,
                    });
                }
            }
            // Outputs first, then release the inputs: an AND's output never
            // reuses a slot another AND of the same step still reads, so a
            // step may be processed in chunks that write as they go.
            for (op, &g) in ands[first..].iter_mut().zip(gs) {
                op.out = alloc(c.gates[g as usize].output(), &mut slot_of, &mut free_slots);
            }
            for &g in gs {
                for w in c.gates[g as usize].inputs() {
                    release(w, t, &mut slot_of, &mut free_slots);
                }
            }
        }
    });
    let outputs = c
        .outputs
        .iter()
        .map(|o| OutputPlan {
            name: o.name.clone(),
            slots: o.wires.iter().map(|&w| slot_of[w as usize]).collect(),
        })
        .collect();
    let max_step_ands = (0..steps.len())
        .map(|i| {
            let start = if i == 0 { 0 } else { steps[i - 1].ands_end };
            (steps[i].ands_end - start) as usize
        })
        .max()
        .unwrap_or(0);
    let num_slots = num_slots.min(MAX_SLOTS) as u32;
    // The hot loops rely on this (see `FreeOps`): a planner bug must stop
    // here, not corrupt memory.
    let in_range = |s: Slot| s < num_slots;
    assert!(
        frees.iter().all(|f| {
            let (a, b, o) = f.slots();
            in_range(a) && in_range(b) && in_range(o)
        }) && ands
            .iter()
            .all(|g| in_range(g.a) && in_range(g.b) && in_range(g.out)),
        "planner bug: a slot is out of range"
    );
    Plan {
        num_slots,
        inputs,
        outputs,
        ands,
        frees,
        prelude,
        steps,
        max_step_ands,
    }
}

enum Event<'a> {
    Free(u64, u32),
    AndStep(u64, &'a [u32]),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Input, Output, ValueType};

    fn circuit(n_in: u32, gates: Vec<Gate>, outs: Vec<u32>, num_wires: u32) -> Circuit {
        Circuit {
            name: "t".into(),
            num_wires,
            inputs: vec![Input {
                name: "x".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(n_in),
                wires: (0..n_in).collect(),
            }],
            outputs: vec![Output {
                name: "y".into(),
                ty: ValueType::UInt(outs.len() as u32),
                wires: outs,
            }],
            gates,
        }
    }

    #[test]
    fn independent_ands_share_a_step_and_dead_gates_go() {
        // 4 independent ANDs, one AND on top, one dead AND.
        let mut gates = vec![];
        for i in 0..4 {
            gates.push(Gate::And {
                a: i,
                b: (i + 1) % 5,
                out: 5 + i,
            });
        }
        gates.push(Gate::And { a: 5, b: 6, out: 9 });
        gates.push(Gate::And {
            a: 7,
            b: 8,
            out: 10,
        }); // dead
        let c = circuit(5, gates, vec![9, 7, 8], 11);
        let p = Plan::new(&c).unwrap();
        assert_eq!(p.num_ands(), 5);
        assert_eq!(p.num_steps(), 2);
        assert_eq!(p.step_ands(0), 4);
        assert_eq!(p.step_ands(1), 1);
        assert_eq!(p.step_ands(2), 0);
    }

    #[test]
    fn slots_are_recycled() {
        // A long XOR chain uses a handful of slots, not one per wire.
        let n = 1000u32;
        let mut gates = vec![];
        let mut acc = 0;
        for i in 0..n {
            gates.push(Gate::Xor {
                a: acc,
                b: 1,
                out: 2 + i,
            });
            acc = 2 + i;
        }
        let c = circuit(2, gates, vec![acc], n + 2);
        let p = Plan::new(&c).unwrap();
        assert!(p.num_slots() <= 6, "{} slots", p.num_slots());
    }

    #[test]
    fn invalid_circuit_is_an_error() {
        let c = circuit(1, vec![Gate::Not { a: 7, out: 1 }], vec![1], 2);
        assert!(Plan::new(&c).is_err());
    }
}
