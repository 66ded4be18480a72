//! The gate schedule both parties follow: which AND gates are hashed
//! together, where each wire's label lives, and how the free gates are run.
//!
//! AES reaches its throughput only with many independent blocks in flight, so
//! AND gates are grouped into *steps* of mutually independent gates. The
//! planner walks the circuit in windows of [`WINDOW`] gates; inside a window
//! it levels the gates by AND-depth counted from the window's start (wires
//! made before the window are ready at level 0). Step `L` holds the ANDs of
//! level `L` (at most [`MAX_STEP_ANDS`] per step), followed by the free gates
//! of level `L`. A step's ANDs only read wires of lower levels, so they can be
//! hashed in one batch.
//!
//! # Free gates cost no memory traffic they can avoid
//!
//! Free gates are bound by memory: each one is loads and a store through the
//! label array, and a chain of them waits on store-to-load forwarding. The
//! planner therefore reduces the circuit before scheduling it:
//!
//! - *Polarity.* Every wire is a *reference* to a stored label (a *root*)
//!   plus a public *flip* bit: the wire's zero-label is the root's zero-label
//!   XOR `flip * Delta`. NOT only toggles the flip, a public constant `v` is
//!   the all-zero root with flip `v`, and an XOR whose inputs cancel (`x ^ x`)
//!   or reduce to one root is an alias too: none of these run at all. The
//!   evaluator holds the *active* label, which a flip does not change
//!   (`L0 ^ Delta` for value `b ^ 1` is `L0` for value `b`), so it ignores
//!   flips entirely; the garbler applies them, as a public mask, where a
//!   zero-label is used: AND inputs ([`AndOp::flip_a`]) and outputs
//!   ([`OutputPlan::flips`]).
//! - *Fusion.* An XOR whose result is read once, by another XOR or NOT, is
//!   not stored: its reader XORs its terms directly. Each free gate that runs
//!   is an XOR of 2 to [`MAX_XOR_ARITY`] stored labels (a longer sum keeps a
//!   stored intermediate), so a chain `((a ^ b) ^ c) ^ d` is four loads and
//!   one store instead of six loads and three stores.
//! - *Order.* Free gates of one level are list-scheduled: ready gates
//!   (independent of each other) run back to back, so their store-to-load
//!   chains overlap, and among them one arity as long as possible, so they
//!   form few segments that the runner executes without a branch per gate.
//! - *Encoding.* Slot numbers are loads too: in plans of at most 2^15 slots
//!   a gate's slots are 16-bit fields of one 64-bit word (two above arity
//!   3), one load per gate (see [`FreeOps`]).
//!
//! # No AND reads a constant
//!
//! A public constant is the zero root, whose label is the zero block in
//! every execution and under every `Delta`; an AND whose two inputs share a
//! root hashes one label twice. Such an AND needs no table (its result is
//! public or an input), and a table hashing the public zero block is what
//! turned a tweak reuse into a leak of `Delta`: as defence in depth, the
//! planner folds these ANDs as it reduces the circuit (see `fold_and`):
//! `x & 0 = 0`, `x & 1 = x`, `x & x = x` and `x & !x = 0` (same root, equal
//! or opposite flips). A folded AND is a reference like any other wire, so
//! an AND that reads it folds in turn, and gates that only folded ANDs read
//! are dropped. Every plan is checked when it is built: an AND that reads
//! [`ZERO_SLOT`] or one slot twice is a [`PlanError::Invariant`], never a
//! garbled table.
//!
//! # Memoized first hash call
//!
//! The gate hash is `H(x, i) = pi(pi(x) ^ i) ^ pi(x)` (see [`crate::hash`]);
//! `pi(x)` does not depend on the tweak. A label read by several AND gates
//! (AES-128 reads 7,200 distinct wires in its 12,800 AND inputs) needs
//! `pi(x)` once: each step lists the stored labels its ANDs read for the
//! first time ([`StepOps::pi_slots`]), the parties compute `pi` of those into
//! an array of *pi slots* ([`StepOps::pi_into`]), and the ANDs compute only
//! the tweaked second call. Pi slots are allocated like label slots but live
//! only from a label's first to its last AND reader, so the array stays small
//! (labels read by one AND free theirs in the same step): it competes with
//! the labels for the L1 cache.
//!
//! Memory stays bounded by the live wires: labels live in *slots*, and a slot
//! is recycled as soon as the last reader of its label (in schedule order) has
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

/// The most stored labels one fused free gate XORs (see the module docs).
/// Longer sums keep an intermediate; 6 measured 1% faster than 4 on AES-128.
pub const MAX_XOR_ARITY: usize = 6;

/// A slot index in the label array.
pub type Slot = u32;

/// `NO_SLOT` marks an input wire nobody reads.
pub const NO_SLOT: Slot = Slot::MAX;

/// One AND gate in slot space. The garbler's zero-label of input `a` is
/// `L[a] ^ flip_a * Delta` (see the module docs); the evaluator ignores the
/// flips.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AndOp {
    /// The slot of the first input's label.
    pub a: Slot,
    /// The slot of the second input's label.
    pub b: Slot,
    /// The slot the output label is written to.
    pub out: Slot,
    /// Whether the garbler's zero-label of `a` is `L[a] ^ Delta`.
    pub flip_a: bool,
    /// Whether the garbler's zero-label of `b` is `L[b] ^ Delta`.
    pub flip_b: bool,
    /// The pi slot holding `pi(L[a])` (see the module docs).
    pub pa: Slot,
    /// The pi slot holding `pi(L[b])`.
    pub pb: Slot,
}

/// The one reserved slot: it holds the all-zero block, the root of public
/// constants (see the module docs). No AND reads it (see "No AND reads a
/// constant"); outputs that are constants do.
pub const ZERO_SLOT: Slot = 0;
const FIRST_SLOT: u32 = 1;
/// Wide free-gate code stores byte offsets (`slot * 16`) in `u32`s.
const MAX_SLOTS: u64 = 1 << 28;
/// Narrow free-gate code stores `2 * slot` in 16 bits (see [`FreeOps`]).
const MAX_NARROW_SLOTS: u32 = 1 << 15;
const _: () = assert!(MAX_XOR_ARITY <= 7, "a narrow gate holds at most 8 slots");

/// The free gates of a range of the plan: segments of fused XORs of one
/// arity each, so the runner needs no branch per gate. Carries the bound
/// every slot in it is below (the plan's slot count, checked when the plan
/// is built), so the runner can index without per-gate bounds checks.
///
/// Free gates are bound by memory operations, and the slot numbers are a
/// third of them, so the encoding is chosen for the loads it costs:
///
/// - *Narrow* (plans of at most 2^15 slots, every circuit in practice):
///   each gate is one 64-bit word `[out, in_1, in_3, in_2]` of 16-bit
///   fields (arity 2 leaves `in_3` zero: the top field is the cheapest to
///   extract, a shift), or two words `[out, in_1 .. in_7]` for arity 4 to
///   7: one load of slot numbers per gate instead of two or three. A field
///   holds `2 * slot`, which the runner turns into the byte offset
///   `16 * slot` with the x86 address scale 8, at no cost. A segment starts
///   with a header word `arity | count << 8`.
/// - *Wide* (larger plans): segments `[arity, count, ops...]` of `u32`s,
///   each op `[out, in_1 .. in_arity]` as byte offsets `16 * slot`.
#[derive(Clone, Copy, Debug)]
pub struct FreeOps<'p> {
    code: CodeRef<'p>,
    ops: u64,
    bound: usize,
}

/// The free-gate code of a plan (see [`FreeOps`]).
#[derive(Clone, Debug)]
enum Code {
    Narrow(Vec<u64>),
    Wide(Vec<u32>),
}

/// A range of [`Code`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum CodeRef<'p> {
    Narrow(&'p [u64]),
    Wide(&'p [u32]),
}

impl Code {
    fn range(&self, r: std::ops::Range<usize>) -> CodeRef<'_> {
        match self {
            Code::Narrow(c) => CodeRef::Narrow(&c[r]),
            Code::Wide(c) => CodeRef::Wide(&c[r]),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Code::Narrow(c) => c.capacity() * 8,
            Code::Wide(c) => c.capacity() * 4,
        }
    }
}

/// Words per gate of `arity` in narrow code.
#[inline(always)]
pub(crate) const fn narrow_words(arity: usize) -> usize {
    if arity <= 3 {
        1
    } else {
        2
    }
}

/// The field of narrow code that holds element `i` (0: `out`, then the
/// inputs; past the arity: padding) of a gate of `arity` (see [`FreeOps`]).
#[inline(always)]
pub(crate) const fn narrow_field(arity: usize, i: usize) -> usize {
    match (arity <= 3, i) {
        (true, 2) => 3,
        (true, 3) => 2,
        _ => i,
    }
}

/// The segments of narrow code as `(arity, count, body)`, `body` holding
/// [`narrow_words`] words per gate (fewer than `count` gates if the code is
/// cut short).
#[inline]
pub(crate) fn narrow_segments(mut code: &[u64]) -> impl Iterator<Item = (usize, usize, &[u64])> {
    std::iter::from_fn(move || {
        let (&h, rest) = code.split_first()?;
        let (arity, count) = ((h & 0xff) as usize, (h >> 8) as usize);
        let len = narrow_words(arity).saturating_mul(count);
        let (body, rest) = rest.split_at(len.min(rest.len()));
        code = rest;
        Some((arity, count, body))
    })
}

/// The segments of wide code as `(arity, count, body)`, `body` holding
/// `arity + 1` byte offsets per gate.
#[inline]
pub(crate) fn wide_segments(mut code: &[u32]) -> impl Iterator<Item = (usize, usize, &[u32])> {
    std::iter::from_fn(move || {
        let (&arity, rest) = code.split_first()?;
        let (&count, rest) = rest.split_first()?;
        let len = (arity as usize + 1).saturating_mul(count as usize);
        let (body, rest) = rest.split_at(len.min(rest.len()));
        code = rest;
        Some((arity as usize, count as usize, body))
    })
}

/// A run of free gates of one arity.
#[derive(Clone, Copy, Debug)]
pub struct FreeSegment<'p> {
    /// Inputs per gate: each gate XORs `arity` labels into one.
    pub arity: usize,
    /// The gate count the segment's header declares.
    count: usize,
    body: CodeRef<'p>,
}

impl FreeSegment<'_> {
    /// Number of gates.
    pub fn len(&self) -> usize {
        match self.body {
            CodeRef::Narrow(b) => b.len() / narrow_words(self.arity),
            CodeRef::Wide(b) => b.len() / (self.arity + 1),
        }
    }

    /// Whether the segment has no gate.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every gate as `(out, inputs)` in slots, or `None` if the encoding is
    /// malformed (a field that is not a slot, padding that is not zero, a
    /// partial gate, fewer gates than the header says).
    pub fn gates(&self) -> Option<Vec<(Slot, Vec<Slot>)>> {
        let mut v = Vec::with_capacity(self.len());
        self.decode(|out, ins| v.push((out, ins.to_vec())))
            .then_some(v)
    }

    /// Calls `f(out, inputs)` for every gate, in slots; false if the
    /// encoding is malformed: an arity out of range, a field that is not a
    /// slot, a padding field that is not zero, a partial gate, fewer gates
    /// than the header says.
    fn decode(&self, mut f: impl FnMut(Slot, &[Slot])) -> bool {
        let k = self.arity;
        if !(2..=MAX_XOR_ARITY).contains(&k) || self.len() != self.count {
            return false;
        }
        let mut ins = [0 as Slot; MAX_XOR_ARITY];
        match self.body {
            CodeRef::Narrow(b) => {
                let w = narrow_words(k);
                if !b.len().is_multiple_of(w) {
                    return false;
                }
                for g in b.chunks_exact(w) {
                    let field = |i: usize| {
                        let p = narrow_field(k, i);
                        (g[p / 4] >> (16 * (p % 4))) as u16
                    };
                    if (k + 1..4 * w).any(|i| field(i) != 0) || (0..=k).any(|i| field(i) % 2 != 0) {
                        return false;
                    }
                    for (i, x) in ins[..k].iter_mut().enumerate() {
                        *x = Slot::from(field(i + 1) / 2);
                    }
                    f(Slot::from(field(0) / 2), &ins[..k]);
                }
            }
            CodeRef::Wide(b) => {
                if !b.len().is_multiple_of(k + 1) || b.iter().any(|x| x % 16 != 0) {
                    return false;
                }
                for op in b.chunks_exact(k + 1) {
                    for (x, &o) in ins[..k].iter_mut().zip(&op[1..]) {
                        *x = o / 16;
                    }
                    f(op[0] / 16, &ins[..k]);
                }
            }
        }
        true
    }
}

impl<'p> FreeOps<'p> {
    /// Every slot in these ops is below this.
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Number of free gates (each a fused XOR).
    pub fn num_ops(&self) -> u64 {
        self.ops
    }

    /// The encoded gates, for the runner.
    pub(crate) fn code(&self) -> CodeRef<'p> {
        self.code
    }

    /// The segments, in order.
    pub fn segments(&self) -> impl Iterator<Item = FreeSegment<'p>> + 'p {
        let (narrow, wide) = match self.code {
            CodeRef::Narrow(c) => (Some(narrow_segments(c)), None),
            CodeRef::Wide(c) => (None, Some(wide_segments(c))),
        };
        let narrow = narrow
            .into_iter()
            .flatten()
            .map(|(arity, count, b)| FreeSegment {
                arity,
                count,
                body: CodeRef::Narrow(b),
            });
        let wide = wide
            .into_iter()
            .flatten()
            .map(|(arity, count, b)| FreeSegment {
                arity,
                count,
                body: CodeRef::Wide(b),
            });
        narrow.chain(wide)
    }

    /// Every gate as `(out, inputs)` in slots, in order (for tests and
    /// inspection; a malformed segment is left out, see
    /// [`FreeOps::well_formed`]).
    pub fn gates(&self) -> Vec<(Slot, Vec<Slot>)> {
        self.segments()
            .flat_map(|s| s.gates().unwrap_or_default())
            .collect()
    }

    /// Whether the code is well formed: every segment of a valid arity and
    /// whole gates, every field a slot below [`FreeOps::bound`], padding
    /// zero, headers and gate count adding up. The runner relies on this.
    pub fn well_formed(&self) -> bool {
        let mut count = 0u64;
        let mut words = 0usize;
        for s in self.segments() {
            let ok = match s.body {
                CodeRef::Narrow(b) => narrow_well_formed(s.arity, s.count, b, self.bound),
                CodeRef::Wide(_) => {
                    let mut in_range = true;
                    let ok = s.decode(|out, ins| {
                        in_range &=
                            out < self.bound as Slot && ins.iter().all(|&x| x < self.bound as Slot);
                    });
                    ok && in_range
                }
            };
            if !ok {
                return false;
            }
            count += s.count as u64;
            words += match self.code {
                CodeRef::Narrow(_) => 1 + s.count * narrow_words(s.arity),
                CodeRef::Wide(_) => 2 + s.count * (s.arity + 1),
            };
        }
        let len = match self.code {
            CodeRef::Narrow(c) => c.len(),
            CodeRef::Wide(c) => c.len(),
        };
        count == self.ops && words == len
    }
}

/// [`FreeSegment::decode`]'s checks on a narrow segment, plus every slot
/// below `bound`, word by word: planning checks every plan it makes, and
/// decoding field by field was a twentieth of planning time.
fn narrow_well_formed(arity: usize, count: usize, body: &[u64], bound: usize) -> bool {
    if !(2..=MAX_XOR_ARITY).contains(&arity) {
        return false;
    }
    let words = narrow_words(arity);
    if body.len() != count * words {
        return false;
    }
    // Per word of a gate: which fields hold slots (the others must be zero).
    let mut used = [0u64; 2];
    for i in 0..=arity {
        let p = narrow_field(arity, i);
        used[p / 4] |= 0xffff << (16 * (p % 4));
    }
    // A field is a slot below `bound` if it is even and below `2 * bound`.
    let limit = 2 * bound.min(1 << 15) as u64;
    let fields_ok = |w: u64| (0..4).all(|f| (w >> (16 * f)) & 0xffff < limit);
    let mut odd = 0u64;
    let mut unused = 0u64;
    let mut in_range = true;
    for g in body.chunks_exact(words) {
        for (&w, &u) in g.iter().zip(&used) {
            odd |= w;
            unused |= w & !u;
            in_range &= fields_ok(w);
        }
    }
    odd & 0x0001_0001_0001_0001 == 0 && unused == 0 && in_range
}

/// Why a circuit cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The circuit is not valid IR.
    #[error(transparent)]
    Invalid(#[from] IrError),
    /// More labels alive at once than a slot number can address.
    #[error("the circuit needs {0} labels alive at once; at most 2^28 are supported")]
    TooManyLiveWires(u64),
    /// More gates than one plan holds (see `MAX_GATES`).
    #[error("the circuit has {0} gates; at most 2^29 - 2 are planned at once (run it in windows with --stream)")]
    TooManyGates(u64),
    /// A plan broke an invariant the planner guarantees (a planner bug):
    /// see [`Plan::verify`].
    #[error("planner bug: {0}")]
    Invariant(String),
}

/// One step: the `pi` batch, a batch of independent ANDs, then the free
/// gates that follow. Offsets are cumulative ends into [`Plan::pis`],
/// [`Plan::ands`] and [`Plan::code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Step {
    pis_end: u64,
    ands_end: u64,
    code_end: u64,
    frees_end: u64,
}

/// An input group in slot space.
#[derive(Clone, Debug)]
pub struct InputPlan {
    /// The input's name in the circuit.
    pub name: String,
    /// Whose input it is.
    pub party: Party,
    /// `slots[k]` holds bit `k`, or [`NO_SLOT`] if nothing reads it.
    pub slots: Vec<Slot>,
}

/// An output group in slot space.
#[derive(Clone, Debug)]
pub struct OutputPlan {
    /// The output's name in the circuit.
    pub name: String,
    /// `slots[k]` holds the label of bit `k`.
    pub slots: Vec<Slot>,
    /// The garbler's zero-label of bit `k` is `L[slots[k]] ^ flips[k] * Delta`.
    pub flips: Vec<bool>,
}

/// The schedule of one circuit. See the module documentation.
#[derive(Clone, Debug)]
pub struct Plan {
    num_slots: u32,
    inputs: Vec<InputPlan>,
    outputs: Vec<OutputPlan>,
    pis: Vec<Slot>,
    pi_into: Vec<Slot>,
    num_pi_slots: u32,
    ands: Vec<AndOp>,
    code: Code,
    /// Free-gate segments before the first step (they read inputs only):
    /// end in `code`, and gate count.
    prelude: (u64, u64),
    steps: Vec<Step>,
    max_step_ands: usize,
    max_step_pis: usize,
}

/// A range of ops run as one unit: `pi` of new AND inputs, a batch of ANDs,
/// then free gates.
#[derive(Clone, Copy, Debug)]
pub struct StepOps<'p> {
    /// The step's AND gates, garbled as one batch.
    pub ands: &'p [AndOp],
    /// The free gates that follow them.
    pub frees: FreeOps<'p>,
    /// Sequence number of `ands[0]` in the session (for tweaks).
    pub first_and: u64,
    /// Slots whose labels this step's ANDs read for the first time: their
    /// `pi` is computed (and kept next to the label) before the ANDs run.
    /// Every AND input of the step is either here or was in an earlier
    /// step's list and not overwritten since.
    pub pi_slots: &'p [Slot],
    /// The pi slot each of `pi_slots` is computed into.
    pub pi_into: &'p [Slot],
}

impl StepOps<'_> {
    /// Whether more than three quarters of the step's AND inputs are read
    /// for the first time here: the garbler then computes their `pi` inside
    /// the AND kernel rather than in a separate pass (see
    /// `vaes::Keys::garble_ands`).
    pub fn mostly_fresh(&self) -> bool {
        4 * self.pi_slots.len() > 3 * 2 * self.ands.len()
    }
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
        build(circuit, window.max(1), max_step_ands.max(1), false)
    }

    /// [`Plan::with_limits`] with the *wide* encoding of free gates, which
    /// only plans of more than 2^15 slots use otherwise (see [`FreeOps`]):
    /// tests cover it on small circuits.
    pub fn with_limits_wide(
        circuit: &Circuit,
        window: usize,
        max_step_ands: usize,
    ) -> Result<Plan, PlanError> {
        circuit.validate()?;
        build(circuit, window.max(1), max_step_ands.max(1), true)
    }

    /// The encoding of the free gates: `"narrow"` or `"wide"` (see
    /// [`FreeOps`]).
    pub fn free_encoding(&self) -> &'static str {
        match self.code {
            Code::Narrow(_) => "narrow",
            Code::Wide(_) => "wide",
        }
    }

    /// Label slots needed at once (the peak number of live wires in schedule order).
    pub fn num_slots(&self) -> usize {
        self.num_slots as usize
    }

    /// The circuit's inputs, in order, in slot space.
    pub fn inputs(&self) -> &[InputPlan] {
        &self.inputs
    }

    /// The circuit's outputs, in order, in slot space.
    pub fn outputs(&self) -> &[OutputPlan] {
        &self.outputs
    }

    /// AND gates that are garbled (dead ones are dropped): the table stream
    /// holds two blocks for each.
    pub fn num_ands(&self) -> u64 {
        self.ands.len() as u64
    }

    /// Free gates that run (fused XORs; NOTs, constants and aliases cost
    /// nothing and are not counted).
    pub fn num_free_ops(&self) -> u64 {
        self.steps.last().map_or(self.prelude.1, |s| s.frees_end)
    }

    /// Labels whose `pi` is computed (distinct AND inputs per lifetime).
    pub fn num_pi(&self) -> u64 {
        self.pis.len() as u64
    }

    /// Steps (batches of ANDs and the free gates after them).
    pub fn num_steps(&self) -> usize {
        self.steps.len()
    }

    /// The most ANDs in one step (sizes the hash buffers).
    pub fn max_step_ands(&self) -> usize {
        self.max_step_ands
    }

    /// Pi slots needed at once (sizes the `pi` arrays).
    pub fn num_pi_slots(&self) -> usize {
        self.num_pi_slots as usize
    }

    /// The longest `pi_slots` list of one step (sizes the hash buffers).
    pub fn max_step_pis(&self) -> usize {
        self.max_step_pis
    }

    /// Free gates to run before the first step.
    pub fn prelude(&self) -> FreeOps<'_> {
        FreeOps {
            code: self.code.range(0..self.prelude.0 as usize),
            ops: self.prelude.1,
            bound: self.num_slots as usize,
        }
    }

    /// ANDs in step `i` (0 past the end).
    #[inline]
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

    /// The ops of step `i`. Inlined: returned through memory, its fields
    /// were reloaded with wider loads than they were stored with, a
    /// store-forwarding stall on every step of the garbler and evaluator.
    #[inline(always)]
    pub fn step(&self, i: usize) -> Option<StepOps<'_>> {
        let s = self.steps.get(i)?;
        let p = if i == 0 {
            Step {
                pis_end: 0,
                ands_end: 0,
                code_end: self.prelude.0,
                frees_end: self.prelude.1,
            }
        } else {
            self.steps[i - 1]
        };
        Some(StepOps {
            ands: &self.ands[p.ands_end as usize..s.ands_end as usize],
            frees: FreeOps {
                code: self.code.range(p.code_end as usize..s.code_end as usize),
                ops: s.frees_end - p.frees_end,
                bound: self.num_slots as usize,
            },
            first_and: p.ands_end,
            pi_slots: &self.pis[p.pis_end as usize..s.pis_end as usize],
            pi_into: &self.pi_into[p.pis_end as usize..s.pis_end as usize],
        })
    }

    /// Checks the invariants the kernels rely on: no AND reads a public
    /// constant or one slot twice (see the module docs); every slot in range;
    /// within a step no AND writes a slot that another AND of the step reads
    /// or writes (steps are processed in chunks that write as they go); every
    /// AND input has its `pi` computed since its slot was last written; free
    /// segments well formed. For tests; `Plan::new` already guarantees all.
    pub fn verify(&self) -> Result<(), String> {
        check_and_inputs(&self.ands).map_err(|e| e.to_string())?;
        let n = self.num_slots;
        let mut pi_valid = vec![false; n as usize];
        // The label slot whose `pi` each pi slot holds.
        let mut pi_owner = vec![NO_SLOT; self.num_pi_slots as usize];
        let check_frees = |f: FreeOps<'_>, pi_valid: &mut Vec<bool>, at: &str| {
            if !f.well_formed() {
                return Err(format!("{at}: malformed free segments"));
            }
            for (out, _) in f.gates() {
                pi_valid[out as usize] = false;
            }
            Ok(())
        };
        check_frees(self.prelude(), &mut pi_valid, "prelude")?;
        for i in 0..self.num_steps() {
            let Some(step) = self.step(i) else { break };
            if step.pi_slots.len() != step.pi_into.len() {
                return Err(format!("step {i}: pi lists differ in length"));
            }
            for (&s, &d) in step.pi_slots.iter().zip(step.pi_into) {
                if s >= n || d >= self.num_pi_slots {
                    return Err(format!("step {i}: pi slot out of range"));
                }
                pi_valid[s as usize] = true;
                pi_owner[d as usize] = s;
            }
            let mut reads = std::collections::HashSet::new();
            for g in step.ands {
                if g.out >= n || g.a >= n || g.b >= n {
                    return Err(format!("step {i}: slot out of range"));
                }
                let owner = |p: Slot| pi_owner.get(p as usize).copied();
                if !pi_valid[g.a as usize]
                    || !pi_valid[g.b as usize]
                    || owner(g.pa) != Some(g.a)
                    || owner(g.pb) != Some(g.b)
                {
                    return Err(format!("step {i}: an AND input has no pi"));
                }
                reads.insert(g.a);
                reads.insert(g.b);
            }
            let mut writes = std::collections::HashSet::new();
            for g in step.ands {
                if reads.contains(&g.out) || !writes.insert(g.out) {
                    return Err(format!("step {i}: slot {} written while in use", g.out));
                }
                pi_valid[g.out as usize] = false;
            }
            check_frees(step.frees, &mut pi_valid, &format!("step {i}"))?;
        }
        Ok(())
    }

    /// Which slots some gate of the plan writes (an AND's output or a free
    /// gate's). A slot that none writes holds at the end what it held at
    /// the start: an output in such a slot is an input passed through (by
    /// NOTs or ANDs folded away), which the streaming planner needs to know
    /// (see `window::CarryKnowledge`).
    pub fn written_slots(&self) -> Vec<bool> {
        let mut written = vec![false; self.num_slots as usize];
        for g in &self.ands {
            written[g.out as usize] = true;
        }
        let frees = std::iter::once(self.prelude())
            .chain((0..self.num_steps()).filter_map(|i| Some(self.step(i)?.frees)));
        for f in frees {
            for seg in f.segments() {
                // Well formed: checked when the plan was built.
                seg.decode(|out, _| written[out as usize] = true);
            }
        }
        written
    }

    /// Heap bytes the plan itself occupies (for memory reports).
    pub fn heap_bytes(&self) -> usize {
        self.ands.capacity() * std::mem::size_of::<AndOp>()
            + self.code.heap_bytes()
            + self.pis.capacity() * 8
            + self.steps.capacity() * std::mem::size_of::<Step>()
            + self.inputs.iter().map(|i| i.slots.len() * 4).sum::<usize>()
            + self
                .outputs
                .iter()
                .map(|o| o.slots.len() * 5)
                .sum::<usize>()
    }
}

/// A stored label in the reduced circuit (see the module docs). Root 0 is the
/// all-zero block in [`ZERO_SLOT`]; the others are numbered as they appear.
type Root = u32;
const ZERO_ROOT: Root = 0;
/// An input root nothing reads.
const UNSET: Root = Root::MAX - 1;

/// What the reduction knows of a wire, in one `u32` (one table, not three:
/// a quarter of planning's page faults were these): [`WIRE_FLIP`], and
/// either its root, or [`WIRE_PENDING`] and its entry in [`Pending`] if it
/// is held as a pending XOR sum (read only by free gates, which XOR its
/// terms themselves; see [`inline_free`]), or [`WIRE_UNSET`].
type WireRef = u32;
/// The wire's flip (see the module docs).
const WIRE_FLIP: WireRef = 1 << 31;

/// `x` (a root or pending entry) with `flip`.
#[inline(always)]
fn with_flip(x: WireRef, flip: bool) -> WireRef {
    x | if flip { WIRE_FLIP } else { 0 }
}
/// The wire is pending; the bits below are its entry in [`Pending`].
const WIRE_PENDING: WireRef = 1 << 30;
/// Not defined (yet). Roots are below it: [`build`] refuses circuits of
/// more wires, and there are at most as many roots, plus the zero root.
const WIRE_UNSET: WireRef = WIRE_PENDING - 1;

/// An XOR of at most [`MAX_XOR_ARITY`] distinct non-zero roots.
#[derive(Clone, Copy, Debug)]
struct Terms {
    n: u8,
    t: [Root; MAX_XOR_ARITY],
}

impl Terms {
    const EMPTY: Terms = Terms {
        n: 0,
        t: [0; MAX_XOR_ARITY],
    };

    fn one(r: Root) -> Terms {
        let mut t = Terms::EMPTY;
        if r != ZERO_ROOT {
            t.t[0] = r;
            t.n = 1;
        }
        t
    }

    fn as_slice(&self) -> &[Root] {
        &self.t[..self.n as usize]
    }

    /// `self ^ o` (equal terms cancel), or `None` if it has too many terms.
    /// Copies whole fixed-size arrays (entries past `n` are never read): no
    /// variable-length copies on the planner's hottest path.
    fn xor(&self, o: &Terms) -> Option<Terms> {
        let mut buf = [0; 2 * MAX_XOR_ARITY];
        let mut n = self.n as usize;
        buf[..MAX_XOR_ARITY].copy_from_slice(&self.t);
        for &x in o.as_slice() {
            match buf[..n].iter().position(|&y| y == x) {
                Some(p) => {
                    buf[p] = buf[n - 1];
                    n -= 1;
                }
                None => {
                    buf[n] = x;
                    n += 1;
                }
            }
        }
        (n <= MAX_XOR_ARITY).then(|| {
            let mut t = [0; MAX_XOR_ARITY];
            t.copy_from_slice(&buf[..MAX_XOR_ARITY]);
            Terms { n: n as u8, t }
        })
    }
}

/// Whether a free wire of `terms` stored labels, read `reads` times and only
/// by free gates, is XORed into its readers instead of stored. Only for a
/// single reader: that saves a store and a load. Inlining a wire of two terms
/// into two readers also saves a store, but measured 2-10% slower on AES-128
/// and SHA-256 (more loads, more live slots).
fn inline_free(reads: u8, _terms: u8) -> bool {
    reads == 1
}

/// A pending wire: an XOR sum not stored (see [`inline_free`]).
#[derive(Clone, Copy)]
struct PendingSum {
    terms: Terms,
    /// Its defining gate, and the ops made before it: where it goes in
    /// topological order if it is stored after all (see [`Late`]).
    gate: u32,
    before: u32,
    /// Reads still to come.
    reads: u8,
}

/// Pending wires (XOR sums not stored, see [`inline_free`]): their terms,
/// defining gate, and reads still to come. Few are pending at once, so the
/// entries live in a small recycled pool, indexed by the pending wires'
/// [`WireRef`]s.
struct Pending {
    pool: Vec<PendingSum>,
    free: Vec<u32>,
    live: usize,
}

impl Pending {
    fn new() -> Pending {
        Pending {
            pool: Vec::new(),
            free: Vec::new(),
            live: 0,
        }
    }

    /// A new entry: `e`, at the index returned.
    fn insert(&mut self, e: PendingSum) -> u32 {
        let k = match self.free.pop() {
            Some(k) => {
                self.pool[k as usize] = e;
                k
            }
            None => {
                self.pool.push(e);
                self.pool.len() as u32 - 1
            }
        };
        self.live += 1;
        k
    }

    /// Frees entry `k`, which is in use.
    fn remove(&mut self, k: u32) {
        self.free.push(k);
        self.live -= 1;
    }
}

/// An op of the reduced circuit, on roots.
#[derive(Clone, Copy, Debug)]
enum Op {
    And {
        a: Root,
        b: Root,
        flip_a: bool,
        flip_b: bool,
        out: Root,
    },
    Xor {
        out: Root,
        terms: Terms,
    },
}

/// The reduced circuit's ops, packed: one record of `u32` words per op in
/// `words` (a header, the output root, the input roots: 4 words for an AND,
/// 2 + arity for an XOR), and `start[i]`, where op `i` (in topological
/// order) begins. A 36-byte [`Op`] per op was most of planning's memory and
/// page faults on large circuits; this is about 20 bytes, and putting the
/// ops in order moves 4-byte starts, not records. [`Ops::get`] unpacks one.
#[derive(Default)]
struct Ops {
    words: Vec<u32>,
    start: Vec<u32>,
}

/// Header bits of an [`Ops`] record: the XOR's arity in the low bits, or
/// an AND and its input flips.
const REC_AND: u32 = 1 << 4;
const REC_FLIP_A: u32 = 1 << 5;
const REC_FLIP_B: u32 = 1 << 6;
/// The most words a record takes (an XOR of [`MAX_XOR_ARITY`] terms).
const MAX_RECORD: u64 = 2 + MAX_XOR_ARITY as u64;
/// The most gates planned at once: every record's start must fit a `u32`,
/// and an event a `u32` with a flag bit (see [`Schedule::events`]). Such a
/// circuit holds over 8 GB of gates; larger ones run in windows.
const MAX_GATES: u64 = (1u64 << 32) / MAX_RECORD - 1;

impl Ops {
    fn with_capacity(n: usize) -> Ops {
        Ops {
            words: Vec::with_capacity(3 * n),
            start: Vec::with_capacity(n),
        }
    }

    fn len(&self) -> usize {
        self.start.len()
    }

    /// Appends `op` as the next op (in creation order), returning where its
    /// record starts.
    fn push(&mut self, op: Op) -> u32 {
        let at = self.push_record(op);
        self.start.push(at);
        at
    }

    /// Appends `op`'s record only (for a [`Late`] op), returning where it
    /// starts.
    fn push_record(&mut self, op: Op) -> u32 {
        let at = self.words.len() as u32;
        match op {
            Op::And {
                a,
                b,
                flip_a,
                flip_b,
                out,
            } => {
                let h = REC_AND
                    | if flip_a { REC_FLIP_A } else { 0 }
                    | if flip_b { REC_FLIP_B } else { 0 };
                self.words.extend_from_slice(&[h, out, a, b]);
            }
            Op::Xor { out, terms } => {
                self.words.extend_from_slice(&[terms.n as u32, out]);
                self.words.extend_from_slice(terms.as_slice());
            }
        }
        at
    }

    /// The root op `i` defines.
    #[inline(always)]
    fn out(&self, i: u32) -> Root {
        self.words[self.start[i as usize] as usize + 1]
    }

    /// Op `i`, unpacked (inlined: returned through memory, a call was a
    /// tenth of planning).
    #[inline(always)]
    fn get(&self, i: u32) -> Op {
        let s = self.start[i as usize] as usize;
        let rec = &self.words[s..];
        let (h, out) = (rec[0], rec[1]);
        if h & REC_AND != 0 {
            Op::And {
                a: rec[2],
                b: rec[3],
                flip_a: h & REC_FLIP_A != 0,
                flip_b: h & REC_FLIP_B != 0,
                out,
            }
        } else {
            let n = (h as usize).min(MAX_XOR_ARITY);
            let mut terms = Terms::EMPTY;
            // A whole-array copy where the words are there (entries past
            // `n` are never read): no variable-length copy per op.
            match rec.get(2..2 + MAX_XOR_ARITY) {
                Some(t) => terms.t.copy_from_slice(t),
                None => terms.t[..n].copy_from_slice(&rec[2..2 + n]),
            }
            terms.n = n as u8;
            Op::Xor { out, terms }
        }
    }

    fn shrink_to_fit(&mut self) {
        self.words.shrink_to_fit();
        self.start.shrink_to_fit();
    }
}

/// What `AND(x, y)` of two references (root, flip) reduces to without a
/// gate, if anything (see "No AND reads a constant" in the module docs):
/// with a constant `v` on either side, the constant 0 (`v = 0`) or the other
/// input (`v = 1`); with both sides on one root, that reference (`x & x`) or
/// the constant 0 (`x & !x`). An AND that is left reads two distinct roots,
/// neither of them the zero root.
fn fold_and(x: (Root, bool), y: (Root, bool)) -> Option<(Root, bool)> {
    const ZERO: (Root, bool) = (ZERO_ROOT, false);
    if x.0 == ZERO_ROOT {
        Some(if x.1 { y } else { ZERO })
    } else if y.0 == ZERO_ROOT {
        Some(if y.1 { x } else { ZERO })
    } else if x.0 == y.0 {
        Some(if x.1 == y.1 { x } else { ZERO })
    } else {
        None
    }
}

/// Drops the ops whose result nothing reads, directly or through other ops,
/// and returns which roots are still read. The first pass, [`count_reads`],
/// already skips gates nothing needs; what it cannot see are reads that the
/// reduction removed: an AND folded away ([`fold_and`]) no longer reads its
/// inputs, which may then be dead. `ops` is in topological order, so one
/// backward pass finds every reader of an op before the op itself. Run only
/// when an AND folded, so that other plans stay as they were (and cost no
/// extra pass): there, only a sum whose terms cancel can leave a dead op,
/// as it always could.
fn drop_dead_ops<'a>(
    ops: &mut Ops,
    n_roots: usize,
    outputs: impl Iterator<Item = &'a (Root, bool)>,
) -> Vec<bool> {
    let mut read = vec![false; n_roots];
    for &(r, _) in outputs {
        read[r as usize] = true;
    }
    for i in (0..ops.len() as u32).rev() {
        match ops.get(i) {
            Op::And { a, b, out, .. } if read[out as usize] => {
                read[a as usize] = true;
                read[b as usize] = true;
            }
            Op::Xor { out, terms } if read[out as usize] => {
                for &r in terms.as_slice() {
                    read[r as usize] = true;
                }
            }
            _ => {}
        }
    }
    let words = &ops.words;
    ops.start.retain(|&s| read[words[s as usize + 1] as usize]);
    read
}

/// The invariant [`fold_and`] establishes, checked on the finished AND ops:
/// no AND reads [`ZERO_SLOT`] (a public constant, whose label is the same
/// zero block in every execution) or the same slot twice. A violation is a
/// planner bug; the plan is refused rather than garbled.
fn check_and_inputs(ands: &[AndOp]) -> Result<(), PlanError> {
    match ands
        .iter()
        .position(|g| g.a == ZERO_SLOT || g.b == ZERO_SLOT || g.a == g.b)
    {
        None => Ok(()),
        Some(k) => Err(PlanError::Invariant(format!(
            "AND {k} reads slots {} and {}: a public constant or one label twice",
            ands[k].a, ands[k].b
        ))),
    }
}

/// The schedule before slots: the prelude's free ops, then steps, each a
/// batch of ANDs and the free ops after it (indices into the op list).
#[derive(Clone, Copy)]
enum Event {
    Free(u32),
    Ands(u32, u32),
}

/// An [`Event`] in one `u32` (a third of the memory): a free op's index, or
/// [`EVENT_ANDS`] and the end of the step's range of [`Schedule::order`]
/// (which starts where the previous step's ended).
const EVENT_ANDS: u32 = 1 << 31;

/// An op stored late: a pending sum the reduction stores after all (see
/// [`Reducer::pending_sum`]) when a later gate reads it, so it is appended
/// after ops that must follow it. Its place in topological order is that of
/// its defining gate `gate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Late {
    /// The gate defining it.
    gate: u32,
    /// How many in-order ops (those not late) were made before `gate`.
    before: u32,
    /// Its record's start in [`Ops::words`].
    at: u32,
}

/// Puts the late ops into `start`, which holds the record starts of the
/// in-order ops (one per gate that made one, in gate order), so that all
/// ops are in the order of their defining gates (late ops of one gate in
/// the order they were stored). Linear apart from sorting the few late
/// ones: the planner once kept a 64-bit sort key for every op, a tenth of
/// its memory on large circuits, to sort them all.
fn merge_late(start: &mut Vec<u32>, late: &mut [Late]) {
    if late.is_empty() {
        return;
    }
    // No late op shares its gate with an in-order one (a gate makes one
    // op, stored at once or late), so "before in-order op k" is
    // `before <= k`, and sorting by gate sorts by `before` too.
    late.sort_unstable_by_key(|l| (l.gate, l.at));
    let (mut i, mut j) = (start.len(), late.len());
    start.resize(i + j, 0);
    while j > 0 {
        let w = i + j - 1;
        if i > 0 && (late[j - 1].before as usize) < i {
            start[w] = start[i - 1];
            i -= 1;
        } else {
            start[w] = late[j - 1].at;
            j -= 1;
        }
    }
}

/// Scratch buffers of [`FreeScheduler::schedule`], reused across levels so that
/// planning allocates per circuit, not per level or per op.
struct FreeScheduler {
    /// Position of a root's op in the current level, or `NOT_HERE`; dense
    /// over all roots, reset after each level.
    level_pos: Vec<u32>,
    /// Same-level inputs each op still waits for.
    waiting: Vec<u8>,
    /// The ops reading each op's output, as one flat list (`users`) with
    /// the start of each op's run (`user_start`, one extra entry).
    user_start: Vec<u32>,
    users: Vec<u32>,
    /// `(producer, reader)` positions of the level's same-level reads, in
    /// reader order: found once, then sorted into `users`.
    edges: Vec<(u32, u32)>,
    /// Ready ops, one FIFO per arity.
    ready: [Fifo; MAX_XOR_ARITY + 1],
}

/// A first-in, first-out list that is filled and drained within one level:
/// a vector and a read position, cheaper than a ring buffer.
#[derive(Default)]
struct Fifo {
    items: Vec<u32>,
    head: usize,
}

impl Fifo {
    fn len(&self) -> usize {
        self.items.len() - self.head
    }

    fn pop(&mut self) -> Option<u32> {
        let x = *self.items.get(self.head)?;
        self.head += 1;
        Some(x)
    }

    fn clear(&mut self) {
        self.items.clear();
        self.head = 0;
    }
}

const NOT_HERE: u32 = u32::MAX;

impl FreeScheduler {
    fn new(n_roots: usize) -> FreeScheduler {
        FreeScheduler {
            level_pos: vec![NOT_HERE; n_roots],
            waiting: Vec::new(),
            user_start: Vec::new(),
            users: Vec::new(),
            edges: Vec::new(),
            ready: Default::default(),
        }
    }

    /// Appends the free ops `frees` (`(arity, op index)`, one level, in a
    /// topological order) to `events` in list-scheduling order: Kahn's
    /// algorithm with one ready list per arity, staying on the current arity
    /// while it has ready ops, else switching to the arity with the most.
    fn schedule(&mut self, frees: &[(u8, u32)], ops: &Ops, events: &mut Vec<u32>) {
        let terms_of = |i: u32| match ops.get(i) {
            Op::Xor { terms, .. } => terms,
            Op::And { .. } => unreachable!("free ops are XORs"),
        };
        let n = frees.len();
        let level_pos = &mut self.level_pos;
        for (k, &(_, i)) in frees.iter().enumerate() {
            level_pos[ops.out(i) as usize] = k as u32;
        }
        // Each op's same-level inputs (as edges, in reader order) and the
        // number of readers of each op; then the readers laid out flat, in
        // reader order (the order the ready lists see them).
        self.waiting.clear();
        self.edges.clear();
        self.user_start.clear();
        self.user_start.resize(n + 1, 0);
        for (k, &(_, i)) in frees.iter().enumerate() {
            let mut waits = 0;
            for &r in terms_of(i).as_slice() {
                let p = level_pos[r as usize];
                if p != NOT_HERE {
                    waits += 1;
                    self.user_start[p as usize + 1] += 1;
                    self.edges.push((p, k as u32));
                }
            }
            self.waiting.push(waits);
        }
        for &(_, i) in frees {
            level_pos[ops.out(i) as usize] = NOT_HERE;
        }
        for k in 0..n {
            self.user_start[k + 1] += self.user_start[k];
        }
        self.users.clear();
        self.users.resize(self.edges.len(), 0);
        {
            // `fill[p]`: the next free position in op p's run.
            let fill = &mut self.user_start[..n];
            for &(p, k) in &self.edges {
                self.users[fill[p as usize] as usize] = k;
                fill[p as usize] += 1;
            }
        }
        // After filling, `user_start[p]` is the end of run p, which is the
        // start of run p + 1: shift back to get the starts.
        self.user_start.copy_within(0..n, 1);
        self.user_start[0] = 0;
        // First in, first out: an op that just became ready runs after the
        // ops that were ready before it, not right after its own input.
        let ready = &mut self.ready;
        ready.iter_mut().for_each(Fifo::clear);
        for (k, &(arity, _)) in frees.iter().enumerate() {
            if self.waiting[k] == 0 {
                ready[arity as usize].items.push(k as u32);
            }
        }
        let mut arity = 0usize;
        for _ in 0..n {
            if ready[arity].len() == 0 {
                arity = (0..ready.len())
                    .max_by_key(|&a| ready[a].len())
                    .unwrap_or(0);
            }
            let Some(k) = ready[arity].pop() else {
                unreachable!("a level's free ops form a DAG")
            };
            events.push(frees[k as usize].1);
            let run =
                self.user_start[k as usize] as usize..self.user_start[k as usize + 1] as usize;
            for &u in &self.users[run] {
                self.waiting[u as usize] -= 1;
                if self.waiting[u as usize] == 0 {
                    ready[frees[u as usize].0 as usize].items.push(u);
                }
            }
        }
    }
}

/// Reduces the circuit, schedules it by windowed AND-level, then assigns
/// slots in that order. Each pass is a function of its own, run in this
/// order; each reads the tables of the passes before it and frees what no
/// later pass needs (planning's peak memory is a few tables per wire).
fn build(c: &Circuit, window_len: usize, max_step: usize, wide: bool) -> Result<Plan, PlanError> {
    if c.num_wires >= WIRE_UNSET - 1 {
        return Err(PlanError::TooManyLiveWires(c.num_wires as u64));
    }
    if c.gates.len() as u64 > MAX_GATES {
        return Err(PlanError::TooManyGates(c.gates.len() as u64));
    }
    let reduced = reduce(c, count_reads(c));
    let schedule = schedule(&reduced, window_len, max_step);
    let layout = assign_slots(c, &reduced, schedule);
    finish_plan(layout, wide)
}

/// How each wire is read, from [`count_reads`]: one byte per wire (one
/// table, not two: a tenth less of planning's page faults), [`HARD`] and
/// a read count.
struct Reads(Vec<u8>);

/// Set if an AND or an output reads the wire ("hard"): those readers need
/// the wire's own label, so it cannot stay a pending sum.
const HARD: u8 = 0x80;

impl Reads {
    /// Whether the wire is read at all.
    fn needed(&self, w: u32) -> bool {
        self.0[w as usize] != 0
    }

    fn hard(&self, w: u32) -> bool {
        self.0[w as usize] & HARD != 0
    }

    /// How often the wire is read, saturating at 127: a pending sum
    /// ([`inline_free`]) counts its readers, and has one.
    fn count(&self, w: u32) -> u8 {
        self.0[w as usize] & !HARD
    }

    /// Counts one more read of `w`, by an AND or output if `hard`.
    fn add(&mut self, w: u32, hard: bool) {
        let x = &mut self.0[w as usize];
        let count = (*x & !HARD).saturating_add(1).min(!HARD);
        *x = (*x & HARD) | if hard { HARD } else { 0 } | count;
    }
}

/// Pass 1, which gates matter: a reverse pass from the outputs counts the
/// reads of each wire and marks the hard ones (see [`Reads`]). A pass of its
/// own because the reduction, which runs forward, must know a wire's readers
/// when it defines the wire.
fn count_reads(c: &Circuit) -> Reads {
    let mut reads = Reads(vec![0u8; c.num_wires as usize]);
    for o in &c.outputs {
        for &w in &o.wires {
            reads.add(w, true);
        }
    }
    for g in c.gates.iter().rev() {
        if reads.needed(g.output()) {
            let (ins, n, is_and) = match *g {
                Gate::And { a, b, .. } => ([a, b], 2, true),
                Gate::Xor { a, b, .. } => ([a, b], 2, false),
                Gate::Not { a, .. } => ([a, a], 1, false),
                Gate::Const { .. } => ([0, 0], 0, false),
            };
            for &w in &ins[..n] {
                reads.add(w, is_and);
            }
        }
    }
    reads
}

/// The circuit reduced to ops on roots, from [`reduce`].
struct Reduced {
    /// The ops that run, in topological order.
    ops: Ops,
    n_roots: usize,
    /// How many of `ops` are ANDs (before dead ops are dropped: a bound).
    num_ands: usize,
    /// The root of each input bit, or `UNSET` if nothing reads it.
    input_roots: Vec<Vec<Root>>,
    /// The reference (root, flip) of each output bit.
    output_refs: Vec<Vec<(Root, bool)>>,
}

/// The state of the reduction ([`reduce`]) as it walks the gates forward.
struct Reducer {
    /// Each wire's root or pending entry, and flip.
    wire: Vec<WireRef>,
    pending: Pending,
    /// The ops: in the order of their defining gates but for the late ones
    /// (see [`Late`]), merged in at the end.
    ops: Ops,
    late: Vec<Late>,
    n_roots: Root,
    num_ands: usize,
    folded_ands: usize,
}

/// Pass 2, reduction: every wire becomes a root and a flip; free gates become
/// fused XORs of roots, or nothing, and ANDs with a constant or one root fold
/// (see the module docs). Ops carry the index of the gate that defines them,
/// for a topological order. A pass of its own because scheduling needs the
/// whole reduced circuit: the levels are those of the ops, not of the gates.
fn reduce(c: &Circuit, reads: Reads) -> Reduced {
    let n_wires = c.num_wires as usize;
    let mut r = Reducer {
        wire: vec![WIRE_UNSET; n_wires],
        pending: Pending::new(),
        ops: Ops::with_capacity(c.gates.len()),
        late: Vec::new(),
        n_roots: 1,
        num_ands: 0,
        folded_ands: 0,
    };
    let input_roots: Vec<Vec<Root>> = c
        .inputs
        .iter()
        .map(|i| {
            i.wires
                .iter()
                .map(|&w| {
                    if reads.needed(w) {
                        let root = r.new_root();
                        r.wire[w as usize] = root;
                        root
                    } else {
                        UNSET
                    }
                })
                .collect()
        })
        .collect();
    for (idx, g) in c.gates.iter().enumerate() {
        if !reads.needed(g.output()) {
            continue;
        }
        let idx = idx as u32;
        match *g {
            Gate::And { a, b, out } => r.and(a, b, out),
            Gate::Xor { a, b, out } => r.free(idx, false, &[a, b], out, &reads),
            Gate::Not { a, out } => r.free(idx, true, &[a], out, &reads),
            Gate::Const { value, out } => r.free(idx, value, &[], out, &reads),
        }
    }
    debug_assert!(r.pending.live == 0, "every pending wire has a reader");
    drop(reads);
    r.into_reduced(c, input_roots)
}

impl Reducer {
    fn new_root(&mut self) -> Root {
        self.n_roots += 1;
        self.n_roots - 1
    }

    /// An AND gate, `out = a & b`: folded into a reference, or a new AND op.
    fn and(&mut self, a: u32, b: u32, out: u32) {
        let out = out as usize;
        // AND inputs are never pending (see `Reads::hard`).
        let (x, y) = (self.stored(a), self.stored(b));
        let (root, flip) = match fold_and(x, y) {
            Some(folded) => {
                self.folded_ands += 1;
                folded
            }
            None => {
                let r = self.new_root();
                self.num_ands += 1;
                self.ops.push(Op::And {
                    a: x.0,
                    b: y.0,
                    flip_a: x.1,
                    flip_b: y.1,
                    out: r,
                });
                (r, false)
            }
        };
        self.wire[out] = with_flip(root, flip);
    }

    /// The (root, flip) of wire `w`, which is stored (not pending).
    #[inline(always)]
    fn stored(&self, w: u32) -> (Root, bool) {
        let x = self.wire[w as usize];
        debug_assert!(x & WIRE_PENDING == 0, "a stored wire");
        (x & !WIRE_FLIP, x & WIRE_FLIP != 0)
    }

    /// Free gate `idx`, `out = flip ^ ins[0] ^ ...` (an XOR, a NOT or a
    /// constant): an alias of a root, a pending sum, or a new XOR op.
    fn free(&mut self, idx: u32, mut flip: bool, ins: &[u32], out: u32, reads: &Reads) {
        let out = out as usize;
        for &w in ins {
            flip ^= self.wire[w as usize] & WIRE_FLIP != 0;
        }
        let terms = if ins
            .iter()
            .all(|&w| self.wire[w as usize] & WIRE_PENDING == 0)
        {
            self.stored_sum(ins)
        } else {
            self.pending_sum(ins)
        };
        let x = match terms.n {
            0 => ZERO_ROOT,
            1 => terms.t[0],
            _ if !reads.hard(out as u32) && inline_free(reads.count(out as u32), terms.n) => {
                let sum = PendingSum {
                    terms,
                    gate: idx,
                    before: self.ops.len() as u32,
                    reads: reads.count(out as u32),
                };
                WIRE_PENDING | self.pending.insert(sum)
            }
            _ => {
                let r = self.new_root();
                self.ops.push(Op::Xor { out: r, terms });
                r
            }
        };
        self.wire[out] = with_flip(x, flip);
    }

    /// The sum of free-gate inputs that are all stored, the common case:
    /// the same sum as [`Reducer::pending_sum`] (zero dropped, equal roots
    /// cancel), without the general merge.
    fn stored_sum(&self, ins: &[u32]) -> Terms {
        let mut t = Terms::EMPTY;
        for &w in ins {
            let r = self.wire[w as usize] & !WIRE_FLIP;
            if r == ZERO_ROOT {
            } else if t.n == 1 && t.t[0] == r {
                t = Terms::EMPTY;
            } else {
                t.t[t.n as usize] = r;
                t.n += 1;
            }
        }
        t
    }

    /// The sum of free-gate inputs of which some are pending: their terms
    /// merged, each pending input's read used up. A sum of too many terms
    /// stores its longest pending input after all (as an op of that input's
    /// defining gate), and tries again.
    fn pending_sum(&mut self, ins: &[u32]) -> Terms {
        // Each input: its wire, its terms, the defining gate if it is
        // pending, and its pending entry if reads of it are still to come.
        let mut buf = [(0u32, Terms::EMPTY, None::<(u32, u32)>, None::<u32>); 2];
        for (part, &w) in buf.iter_mut().zip(ins) {
            let x = self.wire[w as usize] & !WIRE_FLIP;
            *part = if x & WIRE_PENDING != 0 {
                let k = x & !WIRE_PENDING;
                let e = &mut self.pending.pool[k as usize];
                let (t, at) = (e.terms, (e.gate, e.before));
                e.reads -= 1;
                let live = if e.reads == 0 {
                    self.pending.remove(k);
                    None
                } else {
                    Some(k)
                };
                (w, t, Some(at), live)
            } else {
                (w, Terms::one(x), None, None)
            };
        }
        let parts = &mut buf[..ins.len()];
        loop {
            // (`EMPTY ^ t` is `t`: terms are distinct and non-zero.)
            let sum = match parts {
                [(_, t, _, _)] => Some(*t),
                [(_, t, _, _), (_, u, _, _)] => t.xor(u),
                _ => unreachable!("a free gate with a pending input has one or two"),
            };
            if let Some(t) = sum {
                break t;
            }
            // Too many terms: store the longest pending input after all.
            let p = parts
                .iter_mut()
                .filter(|p| p.2.is_some())
                .max_by_key(|p| p.1.n)
                .expect("only pending inputs have several terms");
            let r = self.new_root();
            let (gate, before) = p.2.take().expect("filtered on pending");
            let at = self.ops.push_record(Op::Xor { out: r, terms: p.1 });
            self.late.push(Late { gate, before, at });
            // Its later readers (if any) read the stored label.
            if let Some(k) = p.3.take() {
                self.pending.remove(k);
            }
            let flip = self.wire[p.0 as usize] & WIRE_FLIP != 0;
            self.wire[p.0 as usize] = with_flip(r, flip);
            p.1 = Terms::one(r);
        }
    }

    /// The reduced circuit: ops in topological order, output references,
    /// and, if an AND folded, dead ops dropped (see [`drop_dead_ops`]).
    fn into_reduced(self, c: &Circuit, mut input_roots: Vec<Vec<Root>>) -> Reduced {
        let Reducer {
            wire,
            pending,
            mut ops,
            mut late,
            n_roots,
            num_ands,
            folded_ands,
        } = self;
        drop(pending);
        // Topological order: by defining gate. Ops are appended in that
        // order except stored pending sums, which come late: their record
        // starts are merged in, the records stay where they are.
        merge_late(&mut ops.start, &mut late);
        drop(late);
        let n_roots = n_roots as usize;
        let output_refs: Vec<Vec<(Root, bool)>> = c
            .outputs
            .iter()
            .map(|o| {
                o.wires
                    .iter()
                    .map(|&w| {
                        let x = wire[w as usize];
                        (x & !WIRE_FLIP, x & WIRE_FLIP != 0)
                    })
                    .collect()
            })
            .collect();
        drop(wire);
        if folded_ands > 0 {
            let read = drop_dead_ops(&mut ops, n_roots, output_refs.iter().flatten());
            for r in input_roots.iter_mut().flatten() {
                if *r != UNSET && !read[*r as usize] {
                    *r = UNSET;
                }
            }
        }
        ops.shrink_to_fit();
        Reduced {
            ops,
            n_roots,
            num_ands,
            input_roots,
            output_refs,
        }
    }
}

/// The order the ops run in, from [`schedule`].
struct Schedule {
    /// The prelude's free ops, then the steps, encoded (see [`EVENT_ANDS`]).
    events: Vec<u32>,
    /// AND op indices in schedule order; [`Event::Ands`] are ranges of it.
    order: Vec<u32>,
    /// Per root: its last reads in this order, and room for its slots.
    roots: Vec<RootState>,
}

/// Everything the planner tracks per root after the reduction, in one
/// record: scheduling, last reads and slot assignment each touch a root's
/// fields together, so one cache miss serves them all (in separate tables,
/// these misses were most of those passes' time on large circuits).
#[derive(Clone, Copy)]
struct RootState {
    /// While scheduling: the global level after which the root exists (0 =
    /// inputs and anything before the window base).
    ready: u32,
    /// The time (event number, counted from 1) of the root's last read by
    /// any reader, after which its slot is free; 0 if it is never read,
    /// [`FOREVER`] for the roots of outputs (read after the last event).
    last: u32,
    /// The same for AND readers only: its pi slot is free after it.
    last_and: u32,
    /// While slots are assigned: its label slot, or [`NO_SLOT`] if it has
    /// none (yet, or any more).
    slot: Slot,
    /// Its pi slot: [`NO_SLOT`] before its `pi` is listed, [`PI_GONE`]
    /// after its pi slot is freed.
    pi: Slot,
}

impl RootState {
    const NEW: RootState = RootState {
        ready: 0,
        last: 0,
        last_and: 0,
        slot: NO_SLOT,
        pi: NO_SLOT,
    };
}

/// [`RootState::last`] of an output's root.
const FOREVER: u32 = u32::MAX;
/// [`RootState::pi`] of a root whose `pi` was listed and whose pi slot is
/// free again: its `pi` is never listed twice (pi slots are below
/// [`MAX_SLOTS`], far from this).
const PI_GONE: Slot = NO_SLOT - 1;

/// The events of a [`Schedule`], decoded.
fn decode_events(events: &[u32]) -> impl Iterator<Item = Event> + '_ {
    let mut start = 0;
    events.iter().map(move |&e| {
        if e & EVENT_ANDS == 0 {
            Event::Free(e)
        } else {
            let end = e & !EVENT_ANDS;
            let s = std::mem::replace(&mut start, end);
            Event::Ands(s, end)
        }
    })
}

/// Pass 3, order: windows, levels, steps (see the module docs). Within a
/// level, the ANDs come first, in steps of at most `max_step`, then the free
/// ops, list-scheduled by [`FreeScheduler`]. A pass of its own because slots
/// (below) are assigned in this order, and need each root's last reader in it
/// first: this pass records those as it places the ops (see [`RootState`]).
///
/// Time advances once per step for its ANDs (all read before any writes) and
/// once per free op, so it counts at most one per op and fits a `u32`; so do
/// levels, at most one per op.
fn schedule(reduced: &Reduced, window_len: usize, max_step: usize) -> Schedule {
    let ops = &reduced.ops;
    let mut roots = vec![RootState::NEW; reduced.n_roots];
    let mut events: Vec<u32> = Vec::with_capacity(ops.len());
    let mut order: Vec<u32> = Vec::with_capacity(reduced.num_ands);
    let mut base: Root = 0;
    let mut by_level_ands: Vec<Vec<u32>> = vec![Vec::new()];
    let mut by_level_frees: Vec<Vec<(u8, u32)>> = vec![Vec::new()];
    let mut scheduler = FreeScheduler::new(reduced.n_roots);
    for w0 in (0..ops.len()).step_by(window_len) {
        by_level_ands.iter_mut().for_each(Vec::clear);
        by_level_frees.iter_mut().for_each(Vec::clear);
        let mut max_level = 0usize;
        for idx in w0 as u32..(w0 + window_len).min(ops.len()) as u32 {
            let op = ops.get(idx);
            let lvl = |r: Root| roots[r as usize].ready.saturating_sub(base) as usize;
            let (level, out) = match op {
                Op::And { a, b, out, .. } => (lvl(a).max(lvl(b)) + 1, out),
                Op::Xor { terms, out } => (
                    terms.as_slice().iter().map(|&r| lvl(r)).max().unwrap_or(0),
                    out,
                ),
            };
            if by_level_ands.len() <= level {
                by_level_ands.resize_with(level + 1, Vec::new);
                by_level_frees.resize_with(level + 1, Vec::new);
            }
            max_level = max_level.max(level);
            roots[out as usize].ready = base + level as Root;
            match op {
                Op::And { .. } => by_level_ands[level].push(idx),
                Op::Xor { terms, .. } => by_level_frees[level].push((terms.n, idx)),
            }
        }
        for level in 0..=max_level {
            for chunk in by_level_ands[level].chunks(max_step) {
                let start = order.len() as u32;
                order.extend_from_slice(chunk);
                debug_assert!(start < EVENT_ANDS);
                events.push(EVENT_ANDS | order.len() as u32);
                let t = events.len() as u32;
                for &i in chunk {
                    if let Op::And { a, b, .. } = ops.get(i) {
                        for r in [a, b] {
                            roots[r as usize].last = t;
                            roots[r as usize].last_and = t;
                        }
                    }
                }
            }
            // List scheduling of the level's free ops: an op is ready once
            // its same-level inputs ran; ready ops are independent of each
            // other, so running them back to back lets their store-to-load
            // chains overlap in the CPU. Among ready ops, stay with one
            // arity as long as possible: each change of arity starts a
            // segment, a branch the CPU mispredicts (SHA-256 has small
            // levels, where sorting by depth alone made ten segments each).
            let frees = &by_level_frees[level];
            let from = events.len();
            scheduler.schedule(frees, ops, &mut events);
            for (t, &i) in (from as u32 + 1..).zip(&events[from..]) {
                if let Op::Xor { terms, .. } = ops.get(i) {
                    for &r in terms.as_slice() {
                        roots[r as usize].last = t;
                    }
                }
            }
        }
        base += max_level as Root;
    }
    for &(r, _) in reduced.output_refs.iter().flatten() {
        roots[r as usize].last = FOREVER;
    }
    Schedule {
        events,
        order,
        roots,
    }
}

/// A plan before its checks and its final encoding, from [`assign_slots`].
struct Layout {
    inputs: Vec<InputPlan>,
    outputs: Vec<OutputPlan>,
    /// Slots used (may be past [`MAX_SLOTS`], which [`finish_plan`] rejects).
    num_slots: u64,
    num_pi_slots: u64,
    pis: Vec<Slot>,
    pi_into: Vec<Slot>,
    ands: Vec<AndOp>,
    /// The free ops in the wide encoding.
    code: Vec<u32>,
    /// The prelude's code and free-op ends, if it was closed.
    prelude: Option<(u64, u64)>,
    steps: Vec<Step>,
}

/// The state of slot assignment ([`assign_slots`]) as it walks the events.
struct SlotAssigner<'a> {
    ops: &'a Ops,
    /// Each root's last reads and slots (see [`RootState`]).
    roots: Vec<RootState>,
    /// Recycled label slots.
    free_slots: Vec<Slot>,
    num_slots: u64,
    /// Recycled pi slots.
    pi_free: Vec<Slot>,
    num_pi_slots: u64,
    pis: Vec<Slot>,
    pi_into: Vec<Slot>,
    ands: Vec<AndOp>,
    code: Vec<u32>,
    n_frees: u64,
    prelude: Option<(u64, u64)>,
    steps: Vec<Step>,
    /// The open segment: index of its header and its arity.
    segment: Option<(usize, u8)>,
}

/// Pass 5, slots in the schedule's order; the `pi` lists; free segments.
/// Input slots first, then each event's reads and writes, a slot released at
/// its root's last read (see [`RootState`]), then the output slots. The last
/// pass over the ops: it emits the plan's tables.
fn assign_slots(c: &Circuit, reduced: &Reduced, schedule: Schedule) -> Layout {
    let Schedule {
        events,
        order,
        mut roots,
    } = schedule;
    roots[ZERO_ROOT as usize].slot = ZERO_SLOT;
    let mut s = SlotAssigner {
        ops: &reduced.ops,
        roots,
        free_slots: Vec::new(),
        num_slots: FIRST_SLOT as u64,
        pi_free: Vec::new(),
        num_pi_slots: 0,
        pis: Vec::new(),
        pi_into: Vec::new(),
        ands: Vec::with_capacity(order.len()),
        code: Vec::new(),
        n_frees: 0,
        prelude: None,
        steps: Vec::new(),
        segment: None,
    };
    let inputs: Vec<InputPlan> = c
        .inputs
        .iter()
        .zip(&reduced.input_roots)
        .map(|(i, roots)| InputPlan {
            name: i.name.clone(),
            party: i.party,
            slots: roots
                .iter()
                .map(|&r| if r == UNSET { NO_SLOT } else { s.alloc(r) })
                .collect(),
        })
        .collect();
    for (t, e) in decode_events(&events).enumerate() {
        let t = t as u32 + 1;
        match e {
            Event::Free(i) => s.free_op(i, t),
            Event::Ands(a, e) => s.and_step(&order[a as usize..e as usize], t),
        }
    }
    s.close();
    let outputs = c
        .outputs
        .iter()
        .zip(&reduced.output_refs)
        .map(|(o, refs)| OutputPlan {
            name: o.name.clone(),
            slots: refs
                .iter()
                .map(|&(r, _)| s.roots[r as usize].slot)
                .collect(),
            flips: refs.iter().map(|&(_, f)| f).collect(),
        })
        .collect();
    Layout {
        inputs,
        outputs,
        num_slots: s.num_slots,
        num_pi_slots: s.num_pi_slots,
        pis: s.pis,
        pi_into: s.pi_into,
        ands: s.ands,
        code: s.code,
        prelude: s.prelude,
        steps: s.steps,
    }
}

impl SlotAssigner<'_> {
    /// A slot for root `r`: a recycled one, else a new one.
    fn alloc(&mut self, r: Root) -> Slot {
        let s = self.free_slots.pop().unwrap_or_else(|| {
            self.num_slots += 1;
            // Saturates instead of wrapping; the plan is rejected in
            // `finish_plan`.
            (self.num_slots - 1).min(MAX_SLOTS - 1) as Slot
        });
        self.roots[r as usize].slot = s;
        s
    }

    /// Frees root `r`'s slot if time `t` is its last read.
    fn release(&mut self, r: Root, t: u32) {
        let x = &mut self.roots[r as usize];
        if r != ZERO_ROOT && x.last == t && x.slot != NO_SLOT {
            self.free_slots.push(x.slot);
            x.slot = NO_SLOT;
        }
    }

    /// Ends the prelude, or the last step, at the code so far.
    fn close(&mut self) {
        let (code, n) = (self.code.len() as u64, self.n_frees);
        match self.steps.last_mut() {
            Some(s) => {
                s.code_end = code;
                s.frees_end = n;
            }
            None => self.prelude = Some((code, n)),
        }
    }

    /// Free op `i` at time `t`: appended to the open segment of its arity
    /// (or a new one), its inputs released before its output is allocated.
    fn free_op(&mut self, i: u32, t: u32) {
        let Op::Xor { out, terms } = self.ops.get(i) else {
            unreachable!("free events are XORs")
        };
        let ins = terms.as_slice();
        if self.segment.is_none_or(|(_, n)| n != terms.n) {
            self.segment = Some((self.code.len(), terms.n));
            self.code.extend_from_slice(&[terms.n as u32, 0]);
        }
        let Some((header, _)) = self.segment else {
            unreachable!()
        };
        self.code[header + 1] += 1;
        let start = self.code.len();
        self.code.push(0);
        let roots = &self.roots;
        self.code
            .extend(ins.iter().map(|&r| roots[r as usize].slot.wrapping_mul(16)));
        for &r in ins {
            self.release(r, t);
        }
        self.code[start] = self.alloc(out).wrapping_mul(16);
        self.n_frees += 1;
    }

    /// A step of the AND ops `gs` at time `t`: the `pi` of labels read for
    /// the first time, the ANDs, their outputs allocated, then their inputs
    /// (and pi slots) released.
    fn and_step(&mut self, gs: &[u32], t: u32) {
        self.close();
        self.segment = None;
        let first = self.ands.len();
        for &i in gs {
            if let Op::And {
                a,
                b,
                flip_a,
                flip_b,
                ..
            } = self.ops.get(i)
            {
                for r in [a, b] {
                    if self.roots[r as usize].pi == NO_SLOT {
                        let d = self.pi_free.pop().unwrap_or_else(|| {
                            self.num_pi_slots += 1;
                            (self.num_pi_slots - 1).min(MAX_SLOTS - 1) as Slot
                        });
                        let x = &mut self.roots[r as usize];
                        x.pi = d;
                        self.pis.push(x.slot);
                        self.pi_into.push(d);
                    }
                }
                let (x, y) = (self.roots[a as usize], self.roots[b as usize]);
                self.ands.push(AndOp {
                    a: x.slot,
                    b: y.slot,
                    out: 0,
                    flip_a,
                    flip_b,
                    pa: x.pi,
                    pb: y.pi,
                });
            }
        }
        // Outputs first, then release the inputs: an AND's output never
        // reuses a slot another AND of the same step still reads, so a step
        // may be processed in chunks that write as they go.
        for (k, &i) in gs.iter().enumerate() {
            if let Op::And { out, .. } = self.ops.get(i) {
                self.ands[first + k].out = self.alloc(out);
            }
        }
        for &i in gs {
            if let Op::And { a, b, .. } = self.ops.get(i) {
                for r in [a, b] {
                    // A pi slot is free after the last AND reader.
                    let x = &mut self.roots[r as usize];
                    if x.last_and == t && x.pi < PI_GONE {
                        self.pi_free.push(x.pi);
                        x.pi = PI_GONE;
                    }
                }
                self.release(a, t);
                self.release(b, t);
            }
        }
        self.steps.push(Step {
            pis_end: self.pis.len() as u64,
            ands_end: self.ands.len() as u64,
            code_end: self.code.len() as u64,
            frees_end: self.n_frees,
        });
    }
}

/// Pass 6, the plan: step maxima, the slot limits, the free ops' final
/// encoding (narrow if the slots fit, see [`FreeOps`]), and the checks every
/// plan passes before it is used. A pass of its own because it looks at the
/// finished tables only.
fn finish_plan(layout: Layout, wide: bool) -> Result<Plan, PlanError> {
    let Layout {
        inputs,
        outputs,
        num_slots,
        num_pi_slots,
        pis,
        pi_into,
        ands,
        code,
        prelude,
        mut steps,
    } = layout;
    let mut max_step_ands = 0;
    let mut max_step_pis = 0;
    let (mut a0, mut p0) = (0, 0);
    for s in &steps {
        max_step_ands = max_step_ands.max((s.ands_end - a0) as usize);
        max_step_pis = max_step_pis.max((s.pis_end - p0) as usize);
        (a0, p0) = (s.ands_end, s.pis_end);
    }
    if num_slots >= MAX_SLOTS || num_pi_slots >= MAX_SLOTS {
        return Err(PlanError::TooManyLiveWires(num_slots.max(num_pi_slots)));
    }
    let num_slots = num_slots as u32;
    // The hot loops rely on this (see `FreeOps`): a planner bug must stop
    // here, not corrupt memory.
    let in_range = |s: Slot| s < num_slots;
    let mut prelude = prelude.unwrap_or((0, 0));
    let code = if num_slots <= MAX_NARROW_SLOTS && !wide {
        Code::Narrow(narrow_code(&code, &mut prelude.0, &mut steps))
    } else {
        Code::Wide(code)
    };
    let plan = Plan {
        num_slots,
        inputs,
        outputs,
        pis,
        pi_into,
        num_pi_slots: num_pi_slots as u32,
        ands,
        code,
        prelude,
        steps,
        max_step_ands,
        max_step_pis,
    };
    check_and_inputs(&plan.ands)?;
    let frees_ok = |f: FreeOps<'_>| f.well_formed();
    assert!(
        plan.pis.iter().all(|&s| in_range(s))
            && plan.pi_into.iter().all(|&d| d < plan.num_pi_slots)
            && plan.ands.iter().all(|g| {
                in_range(g.a)
                    && in_range(g.b)
                    && in_range(g.out)
                    && g.pa < plan.num_pi_slots
                    && g.pb < plan.num_pi_slots
            })
            && frees_ok(plan.prelude())
            && (0..plan.num_steps()).all(|i| plan.step(i).is_some_and(|s| frees_ok(s.frees))),
        "planner bug: a slot is out of range"
    );
    Ok(plan)
}

/// Re-encodes the wide code the planner builds as narrow code (see
/// [`FreeOps`]), and moves the code ends of the prelude and the steps, which
/// are segment boundaries, along. A field that is not a narrow slot becomes
/// an odd number, which [`FreeOps::well_formed`] rejects.
fn narrow_code(wide: &[u32], prelude_end: &mut u64, steps: &mut [Step]) -> Vec<u64> {
    let mut out = Vec::with_capacity(wide.len() / 2);
    // (wide position, narrow position) of every segment start and the end.
    let mut at = Vec::new();
    let mut pos = 0u64;
    for (arity, count, body) in wide_segments(wide) {
        at.push((pos, out.len() as u64));
        pos += 2 + body.len() as u64;
        out.push(arity as u64 | (count as u64) << 8);
        for op in body.chunks_exact(arity + 1) {
            let mut words = [0u64; 2];
            for (i, &x) in op.iter().enumerate() {
                // `x` is `16 * slot`; the field holds `2 * slot`.
                let field = u16::try_from(x / 8)
                    .ok()
                    .filter(|_| x % 16 == 0)
                    .unwrap_or(1);
                let p = narrow_field(arity, i);
                words[p / 4] |= u64::from(field) << (16 * (p % 4));
            }
            out.extend_from_slice(&words[..narrow_words(arity)]);
        }
    }
    at.push((pos, out.len() as u64));
    let moved = |end: u64| {
        let k = at.partition_point(|&(w, _)| w < end).min(at.len() - 1);
        debug_assert_eq!(at[k].0, end, "code ends are segment boundaries");
        at[k].1
    };
    *prelude_end = moved(*prelude_end);
    for s in steps {
        s.code_end = moved(s.code_end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Merging the late ops in gives the order of a full sort by (defining
    /// gate, creation), on ops made as the reducer makes them: in-order ops
    /// one per gate, late ones for gates without an in-order op, created
    /// after later gates' ops.
    #[test]
    fn merge_late_is_a_sort() {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for n in [0u32, 1, 2, 3, 10, 100, 1000] {
            for late_every in [1u64, 2, 5, 50, u64::MAX] {
                // Gates that stay pending: (gate, in-order ops before it).
                let mut pending = Vec::new();
                let (mut start, mut late) = (Vec::new(), Vec::new());
                // Every op as (gate, record start), for the full sort.
                let mut all = Vec::new();
                let mut at = 0u32;
                for gate in 0..n {
                    if late_every != u64::MAX && next() % late_every == 0 {
                        pending.push((gate, start.len() as u32));
                    } else {
                        start.push(at);
                        all.push((gate, at));
                        at += 1;
                    }
                    // Sometimes store an earlier pending gate now.
                    if !pending.is_empty() && next() % 3 == 0 {
                        let k = next() as usize % pending.len();
                        let (g, before) = pending.swap_remove(k);
                        late.push(Late {
                            gate: g,
                            before,
                            at,
                        });
                        all.push((g, at));
                        at += 1;
                    }
                }
                all.sort_unstable();
                merge_late(&mut start, &mut late);
                let want: Vec<u32> = all.iter().map(|&(_, a)| a).collect();
                assert_eq!(start, want, "n = {n}, {late_every}");
            }
        }
    }

    /// Every op comes back from the packed store as it went in.
    #[test]
    fn ops_round_trip() {
        let mut ops = Ops::default();
        let mut want = Vec::new();
        for k in 0..50u32 {
            let op = if k % 3 == 0 {
                Op::And {
                    a: k + 1,
                    b: k + 2,
                    flip_a: k % 2 == 0,
                    flip_b: k % 5 == 0,
                    out: k + 100,
                }
            } else {
                let n = 2 + (k as usize % (MAX_XOR_ARITY - 1));
                let mut terms = Terms::EMPTY;
                for (i, t) in terms.t[..n].iter_mut().enumerate() {
                    *t = k * 10 + i as u32 + 1;
                }
                terms.n = n as u8;
                Op::Xor {
                    out: k + 100,
                    terms,
                }
            };
            ops.push(op);
            want.push(format!("{op:?}"));
        }
        for (i, w) in want.iter().enumerate() {
            let got = ops.get(i as u32);
            // Terms past `n` are not part of the op.
            let got = match got {
                Op::Xor { out, terms } => {
                    let mut t = Terms::EMPTY;
                    t.t[..terms.n as usize].copy_from_slice(terms.as_slice());
                    t.n = terms.n;
                    Op::Xor { out, terms: t }
                }
                and => and,
            };
            assert_eq!(&format!("{got:?}"), w);
            assert_eq!(ops.out(i as u32), 100 + i as u32);
        }
    }

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

    /// NOT gates and constants run nothing: they become flips.
    #[test]
    fn nots_and_constants_are_flips() {
        let gates = vec![
            Gate::Not { a: 0, out: 2 },
            Gate::Not { a: 2, out: 3 },
            Gate::Const {
                value: true,
                out: 4,
            },
            Gate::Xor { a: 3, b: 4, out: 5 }, // x0 ^ 1: a flip of x0
            Gate::And { a: 5, b: 1, out: 6 },
        ];
        let c = circuit(2, gates, vec![2, 3, 4, 5, 6], 7);
        let p = Plan::new(&c).unwrap();
        assert_eq!(p.num_free_ops(), 0);
        assert_eq!(p.num_ands(), 1);
        let o = &p.outputs()[0];
        assert_eq!(o.flips, vec![true, false, true, true, false]);
        let x0 = p.inputs()[0].slots[0];
        assert_eq!(&o.slots[..2], &[x0, x0]);
        assert_eq!(o.slots[2], ZERO_SLOT);
        assert_eq!(o.slots[3], x0);
        let g = p.step(0).unwrap().ands[0];
        assert_eq!((g.a, g.flip_a, g.flip_b), (x0, true, false));
        assert_eq!(p.verify(), Ok(()));
    }

    /// A chain of single-use XORs is one fused gate; `x ^ x` cancels.
    #[test]
    fn xor_chains_fuse_and_cancel() {
        let gates = vec![
            Gate::Xor { a: 0, b: 1, out: 4 },
            Gate::Xor { a: 4, b: 2, out: 5 },
            Gate::Xor { a: 5, b: 3, out: 6 }, // x0 ^ x1 ^ x2 ^ x3
            Gate::Xor { a: 6, b: 6, out: 7 }, // 0
            Gate::And { a: 6, b: 7, out: 8 },
        ];
        let c = circuit(4, gates, vec![8, 6], 9);
        let p = Plan::new(&c).unwrap();
        assert_eq!(p.num_free_ops(), 1);
        let ops = p.prelude().gates();
        assert_eq!(ops.len(), 1);
        let mut ins = ops[0].1.clone();
        ins.sort_unstable();
        let mut want = p.inputs()[0].slots.clone();
        want.sort_unstable();
        assert_eq!(ins, want);
        // `(x ^ x) & y` reads a constant: folded to the constant 0.
        assert_eq!(p.num_ands(), 0);
        let o = &p.outputs()[0];
        assert_eq!((o.slots[0], o.flips[0]), (ZERO_SLOT, false));
        assert_eq!(p.verify(), Ok(()));
    }

    /// A sum longer than the widest fused gate keeps an intermediate.
    #[test]
    fn long_chains_split() {
        let n = 40u32;
        let mut gates = vec![];
        let mut acc = 0;
        for i in 1..n {
            gates.push(Gate::Xor {
                a: acc,
                b: i,
                out: n + i - 1,
            });
            acc = n + i - 1;
        }
        let c = circuit(n, gates, vec![acc], 2 * n - 1);
        let p = Plan::with_limits(&c, 7, 3).unwrap();
        assert_eq!(p.verify(), Ok(()));
        let ops: Vec<_> = (0..p.num_steps())
            .filter_map(|i| p.step(i))
            .flat_map(|s| s.frees.gates())
            .chain(p.prelude().gates())
            .collect();
        assert!(ops.iter().all(|(_, ins)| ins.len() <= MAX_XOR_ARITY));
        // n inputs in sums of at most MAX_XOR_ARITY terms, each stored
        // intermediate counting as one term of the next.
        assert_eq!(
            ops.len(),
            (n as usize - 1).div_ceil(MAX_XOR_ARITY - 1),
            "{ops:?}"
        );
    }

    /// Each label's pi is computed once, in the step of its first AND
    /// reader, however many ANDs read it.
    #[test]
    fn pi_once_per_label() {
        let gates = vec![
            Gate::And { a: 0, b: 1, out: 3 },
            Gate::And { a: 0, b: 2, out: 4 },
            Gate::And { a: 1, b: 0, out: 5 },
            Gate::And { a: 3, b: 0, out: 6 },
        ];
        let c = circuit(3, gates, vec![4, 5, 6], 7);
        let p = Plan::new(&c).unwrap();
        assert_eq!(p.num_steps(), 2);
        assert_eq!(p.num_pi(), 4); // x0, x1, x2, and w3
        assert_eq!(p.step(0).unwrap().pi_slots.len(), 3);
        assert_eq!(p.step(1).unwrap().pi_slots.len(), 1);
        assert_eq!(p.verify(), Ok(()));
    }

    /// Narrow free-gate code decodes to its gates, and any field that is
    /// not a slot of the plan, non-zero padding or a short segment is
    /// malformed.
    #[test]
    fn narrow_code_is_checked() {
        let word = |f: [u16; 4]| (0..4).fold(0u64, |w, i| w | u64::from(f[i]) << (16 * i));
        fn ops(code: &[u64], ops: u64) -> FreeOps<'_> {
            FreeOps {
                code: CodeRef::Narrow(code),
                ops,
                bound: 10,
            }
        }
        // x5 = x3 ^ x4 (fields out, in_1, -, in_2); x6 = x1 ^ x2 ^ x3 ^ x4
        // (two words).
        let good = [
            2 | 1 << 8,
            word([10, 6, 0, 8]),
            4 | 1 << 8,
            word([12, 2, 4, 6]),
            word([8, 0, 0, 0]),
        ];
        assert!(ops(&good, 2).well_formed());
        assert_eq!(
            ops(&good, 2).gates(),
            vec![(5, vec![3, 4]), (6, vec![1, 2, 3, 4])]
        );
        let mut bad = Vec::new();
        for (at, w) in [
            (1, word([10, 6, 2, 8])),  // padding
            (1, word([10, 7, 0, 8])),  // odd field
            (1, word([10, 20, 0, 8])), // slot 10 out of range
            (4, word([8, 0, 2, 0])),   // padding in the second word
            (1, word([20, 6, 0, 8])),  // output slot 10 out of range
            (3, word([12, 2, 4, 20])), // slot 10 in a two-word gate
            (4, word([9, 0, 0, 0])),   // odd field in the second word
        ] {
            let mut c = good;
            c[at] = w;
            bad.push(c.to_vec());
        }
        bad.push(good[..4].to_vec()); // cut short
        bad.push([&[2 | 2 << 8], &good[1..]].concat()); // header says 2 gates
        bad.push([&[1 | 1 << 8], &good[1..]].concat()); // arity 1
        for c in &bad {
            assert!(!ops(c, 2).well_formed(), "{c:x?}");
        }
        assert!(!ops(&good, 3).well_formed(), "gate count");
    }

    #[test]
    fn invalid_circuit_is_an_error() {
        let c = circuit(1, vec![Gate::Not { a: 7, out: 1 }], vec![1], 2);
        assert!(Plan::new(&c).is_err());
    }

    /// Plans `c` (at the default limits and at tiny ones), checks that it
    /// keeps `ands` ANDs and verifies, and that garbling it gives
    /// `eval_plain`'s outputs on every input (`c` has a few input bits).
    /// Returns the default plan.
    fn check_folds(c: &Circuit, ands: u64) -> Plan {
        let n = c.inputs[0].wires.len();
        for (window, step) in [(WINDOW, MAX_STEP_ANDS), (1, 1)] {
            let p = std::sync::Arc::new(Plan::with_limits(c, window, step).unwrap());
            assert_eq!(p.num_ands(), ands, "window {window}");
            assert_eq!(p.verify(), Ok(()));
            for x in 0..1u32 << n {
                let bits = vec![(0..n).map(|k| x >> k & 1 == 1).collect()];
                let want = c.eval_plain(&bits).unwrap();
                assert_eq!(
                    crate::in_memory::run_plan(&p, &bits).unwrap(),
                    want,
                    "x = {x}"
                );
            }
        }
        Plan::new(c).unwrap()
    }

    /// `x & 0 = 0` and `x & 1 = x`, with the constant on either side and
    /// `x` plain or negated: no AND, the output is the constant or `x`.
    #[test]
    fn and_with_a_constant_folds() {
        for v in [false, true] {
            for const_first in [false, true] {
                for negated in [false, true] {
                    let x = if negated { 3 } else { 0 };
                    let (a, b) = if const_first { (2, x) } else { (x, 2) };
                    let gates = vec![
                        Gate::Const { value: v, out: 2 },
                        Gate::Not { a: 0, out: 3 },
                        Gate::And { a, b, out: 4 },
                    ];
                    let c = circuit(2, gates, vec![4, 1], 5);
                    let p = check_folds(&c, 0);
                    let o = &p.outputs()[0];
                    let x0 = p.inputs()[0].slots[0];
                    let want = if v { (x0, negated) } else { (ZERO_SLOT, false) };
                    assert_eq!((o.slots[0], o.flips[0]), want, "{v} {const_first}");
                    if !v {
                        // Nothing reads x0 any more.
                        assert_eq!(x0, NO_SLOT);
                    }
                }
            }
        }
    }

    /// `x & x = x` and `x & !x = 0`, in every polarity, on an input and on a
    /// stored XOR.
    #[test]
    fn and_of_one_root_folds() {
        for (na, nb) in [(false, false), (false, true), (true, false), (true, true)] {
            for root in [0u32, 4] {
                let gates = vec![
                    Gate::Xor { a: 0, b: 1, out: 4 },
                    Gate::Not { a: root, out: 5 },
                    Gate::And {
                        a: if na { 5 } else { root },
                        b: if nb { 5 } else { root },
                        out: 6,
                    },
                    // Reads the XOR a second time, so it is stored.
                    Gate::And { a: 4, b: 2, out: 7 },
                ];
                let c = circuit(3, gates, vec![6, 7], 8);
                let p = check_folds(&c, 1);
                let o = &p.outputs()[0];
                if na == nb {
                    assert_eq!(o.flips[0], na);
                    assert_ne!(o.slots[0], ZERO_SLOT);
                } else {
                    assert_eq!((o.slots[0], o.flips[0]), (ZERO_SLOT, false));
                }
            }
        }
    }

    /// An AND that reads a folded AND folds in turn, and the gates only
    /// folded ANDs read are dropped (with the inputs only they read).
    #[test]
    fn folds_propagate() {
        let gates = vec![
            Gate::Const {
                value: false,
                out: 4,
            },
            Gate::And { a: 0, b: 4, out: 5 }, // 0
            Gate::Not { a: 5, out: 6 },       // 1
            Gate::And { a: 1, b: 6, out: 7 }, // x1
            Gate::And { a: 7, b: 1, out: 8 }, // x1 & x1 = x1
            Gate::Not { a: 1, out: 9 },
            Gate::And {
                a: 8,
                b: 9,
                out: 10,
            }, // x1 & !x1 = 0
            Gate::Xor {
                a: 10,
                b: 2,
                out: 11,
            }, // x2
            Gate::And {
                a: 11,
                b: 2,
                out: 12,
            }, // x2
            Gate::And {
                a: 3,
                b: 2,
                out: 13,
            }, // dead once folded away:
            Gate::And {
                a: 13,
                b: 10,
                out: 14,
            }, // 0
            Gate::Xor {
                a: 12,
                b: 14,
                out: 15,
            }, // x2
        ];
        let c = circuit(4, gates, vec![15, 8, 10, 5], 16);
        let p = check_folds(&c, 0);
        let slots = &p.inputs()[0].slots;
        assert_eq!((slots[0], slots[3]), (NO_SLOT, NO_SLOT));
        let o = &p.outputs()[0];
        assert_eq!(o.slots, vec![slots[2], slots[1], ZERO_SLOT, ZERO_SLOT]);
        assert_eq!(o.flips, vec![false; 4]);
        assert_eq!(p.num_free_ops(), 0);
    }

    /// `(((a ^ b) ^ (b ^ c)) ^ (a ^ c)) & d`: the sum cancels to the
    /// constant 0 in the reduction, and the AND that reads it folds.
    #[test]
    fn a_sum_that_cancels_folds_the_and_reading_it() {
        let gates = vec![
            Gate::Xor { a: 0, b: 1, out: 4 },
            Gate::Xor { a: 1, b: 2, out: 5 },
            Gate::Xor { a: 4, b: 5, out: 6 },
            Gate::Xor { a: 0, b: 2, out: 7 },
            Gate::Xor { a: 6, b: 7, out: 8 },
            Gate::And { a: 8, b: 3, out: 9 },
        ];
        let c = circuit(4, gates, vec![9], 10);
        let p = check_folds(&c, 0);
        assert_eq!(p.outputs()[0].slots, vec![ZERO_SLOT]);
        assert!(p.inputs()[0].slots.iter().all(|&s| s == NO_SLOT));
    }

    /// The invariant is checked on the AND ops themselves: a plan whose AND
    /// read the zero slot or one slot twice would be an error, not a panic.
    #[test]
    fn and_invariant_violations_are_errors() {
        let op = |a, b| AndOp {
            a,
            b,
            out: 9,
            flip_a: false,
            flip_b: false,
            pa: 0,
            pb: 1,
        };
        assert_eq!(check_and_inputs(&[op(3, 4), op(5, 6)]), Ok(()));
        for bad in [op(ZERO_SLOT, 4), op(3, ZERO_SLOT), op(5, 5)] {
            let e = check_and_inputs(&[op(3, 4), bad]).unwrap_err();
            assert!(matches!(e, PlanError::Invariant(_)), "{e}");
            assert!(e.to_string().contains("AND 1"), "{e}");
        }
    }
}
