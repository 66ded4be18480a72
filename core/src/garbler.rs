//! The garbler: half-gates garbling (Zahur-Rosulek-Evans 2015) with free-XOR.
//!
//! Every wire `w` has a zero-label `L0(w)`; its one-label is `L0(w) ^ Delta`.
//! XOR gates XOR zero-labels, NOT gates and public constants cost nothing
//! (the plan turns them into public *flips*, see [`crate::plan`]: a wire
//! with flip `f` has zero-label `L ^ f*Delta`, where `L` is the stored
//! label), and each AND gate costs two table blocks `(TG, TE)`:
//!
//! ```text
//! pa = lsb(A0), pb = lsb(B0), j = 2k, j' = 2k + 1   (k: the AND's sequence number)
//! TG = H(A0, j)  ^ H(A0 ^ D, j)  ^ pb*D          WG0 = H(A0, j)  ^ pa*TG
//! TE = H(B0, j') ^ H(B0 ^ D, j') ^ A0            WE0 = H(B0, j') ^ pb*(TE ^ A0)
//! C0 = WG0 ^ WE0
//! ```
//!
//! `H(x, j) = pi(pi(x) ^ j) ^ pi(x)`; the plan lists when each AND input is
//! read first, and the garbler computes `pi(L)` and `pi(L ^ D)` then, once per
//! wire, keeping them next to the label for every AND that reads it (see
//! [`crate::plan`], "Memoized first hash call"). This computes the same
//! function as hashing from scratch, so the TCCR argument is unchanged.
//!
//! The colour bits `pa`, `pb` are secret-dependent, so they select through
//! masks, never branches. The ANDs of one step of the [`Plan`] are hashed
//! together (4 blocks each) so AES runs at full width.
//!
//! # The batch path and the reference
//!
//! [`crate::half_gates::garble_and`] is the formula above for one gate,
//! hashed from scratch: the reference. This garbler computes the same
//! function in batches (steps of independent ANDs, `pi` memoized, the VAES
//! kernels where the CPU has them), and `runtime/tests/half_gates.rs` checks
//! every table block and output zero-label against a gate-by-gate
//! re-garbling with the reference. The portable path (no VAES) stays batched
//! too: calling the reference per gate there (the `aes` crate's AES-NI, one
//! block per call) garbled AES-128 4.2x slower (4.8e6 against 2.0e7 ANDs/s)
//! and SHA-256 6x slower, single AES calls waiting on their latency.
//!
//! # Public constants
//!
//! A `Const` gate with public value `v` is the all-zero stored label with
//! flip `v`: its zero-label is `v*Delta` and its active label (the one for
//! value `v`) is always the all-zero block, which the evaluator holds by
//! itself: nothing is sent. This reveals nothing: the evaluator learns only
//! the active label, which is a function of public data, and the other label
//! `Delta` is hidden exactly like any inactive label. The TCCR property of
//! the hash (GKWY20) holds for every adversarially chosen input `x`, public
//! or not, as long as `Delta` is secret and tweaks are fresh, so gates that
//! hash a constant wire stay secure. The decoding bit of a constant output
//! reveals `v`, which is public anyway. (Any fixed public block would be
//! equally secure; the zero block lets an XOR with a constant become a flip
//! of the other input.)

use crate::block::{Block, Delta};
use crate::hash::{and_tweak, tweak_block, Tccr};
use crate::ir::{Circuit, Party};
use crate::lane::{lane, lanes, lanes_mut, Lane};
use crate::plan::{
    narrow_segments, narrow_words, wide_segments, AndOp, CodeRef, FreeOps, Plan, PlanError, Slot,
    NO_SLOT,
};

/// Blocks per slot of the garbler's pi array: slot `p` holds
/// `(pi(L), pi(L ^ D))` at `2p`, in that order for every read; a flipped
/// read picks its zero-label's half after hashing, by mask (see
/// `vaes::garble_combine`). (A third block repeating `pi(L)`, so that a
/// flipped read could load its pair in order, was measured 3.5% slower on
/// AES-128 garbling: one more store per label.)
pub(crate) const PI_STRIDE: usize = 2;
use std::sync::Arc;
use zeroize::{Zeroize, Zeroizing};

/// What the garbler refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GarbleError {
    /// An input group number past the circuit's last.
    #[error("the circuit has {count} input groups; there is no group {group}")]
    NoSuchGroup {
        /// The group asked for.
        group: usize,
        /// How many groups the circuit has.
        count: usize,
    },
    /// An input value of the wrong width.
    #[error("input `{name}` has {expected} bits but {found} were given")]
    Width {
        /// The input's name.
        name: String,
        /// Its width in the circuit.
        expected: usize,
        /// The bits given.
        found: usize,
    },
    /// A value for the evaluator's input: it comes through OT instead.
    #[error("input `{name}` belongs to the {party}; the garbler only encodes its own inputs")]
    WrongParty {
        /// The input's name.
        name: String,
        /// Whose input it is.
        party: Party,
    },
    /// Input values set after the first batch.
    #[error("input labels cannot change once garbling has started")]
    AlreadyStarted,
    /// Another number of input values than the circuit has inputs.
    #[error("the circuit takes {expected} input groups but {found} were given")]
    InputCount {
        /// The circuit's inputs.
        expected: usize,
        /// The values given.
        found: usize,
    },
    /// The circuit cannot be planned.
    #[error("cannot garble this circuit")]
    Circuit(#[from] PlanError),
    /// A table buffer smaller than the next batch.
    #[error("the next batch has {needed} table blocks but the buffer holds {found}")]
    BufferTooSmall {
        /// The batch's table blocks.
        needed: usize,
        /// The buffer's blocks.
        found: usize,
    },
    /// The session has used up its AND numbers.
    #[error(transparent)]
    TweaksExhausted(#[from] crate::tweak::TweaksExhausted),
}

/// Table blocks per chunk of [`Garbler::garble_in_chunks`] and
/// [`crate::evaluator::Evaluator::eval_in_chunks`] as the protocol uses
/// them: 256 KiB, a whole AES-128, per write and per read. Fewer writes mean
/// fewer wake-ups of the peer, which cost more than the copies.
pub const TABLE_CHUNK: usize = 16384;

/// Garbles one circuit, one step at a time. Holds `Delta` and the zero-labels
/// of the live wires; all are zeroized on drop.
pub struct Garbler {
    plan: Arc<Plan>,
    delta: Delta,
    hash: Tccr,
    /// Stored labels by slot (a wire's zero-label is its stored label XOR
    /// its public flip times `Delta`, see [`crate::plan`]).
    labels: Vec<Block>,
    /// `(pi(L), pi(L ^ Delta))` of stored labels `L` that AND gates read, at
    /// `PI_STRIDE * p` for pi slot `p` (the memoized first hash call).
    pis: Vec<Block>,
    /// Zero-labels of every input wire, by group.
    inputs: Vec<Vec<Block>>,
    started: bool,
    next_step: usize,
    /// Sequence number of the plan's first AND (see `set_first_and`).
    and_base: u64,
    buf_in: Vec<Block>,
    buf_out: Vec<Block>,
}

impl Garbler {
    /// Plans `circuit` and draws random zero-labels for every input wire.
    /// Fails ([`GarbleError::Circuit`]) only if `circuit` fails
    /// [`Circuit::validate`] (every importer and the compiler validate) or
    /// is too large to plan; see [`Garbler::from_plan`] to share one plan.
    pub fn new(circuit: &Circuit, delta: Delta) -> Result<Garbler, GarbleError> {
        Ok(Garbler::from_plan(Arc::new(Plan::new(circuit)?), delta))
    }

    /// A garbler over a shared, precomputed plan (cheap: the plan is built
    /// once per circuit, not once per session).
    pub fn from_plan(plan: Arc<Plan>, delta: Delta) -> Garbler {
        Garbler::with_hash(plan, delta, Tccr::new())
    }

    /// As [`Garbler::from_plan`] with a given hash backend (tests use
    /// [`Tccr::portable`] to check the VAES kernels against the `aes` crate).
    pub fn with_hash(plan: Arc<Plan>, delta: Delta, hash: Tccr) -> Garbler {
        let inputs = plan
            .inputs()
            .iter()
            .map(|g| random_labels(g.slots.len()))
            .collect();
        Garbler {
            labels: new_labels(plan.num_slots()),
            pis: vec![Block::ZERO; PI_STRIDE * plan.num_pi_slots()],
            plan,
            delta,
            hash,
            inputs,
            started: false,
            next_step: 0,
            and_base: 0,
            // Only the portable hash path uses these; it sizes them itself
            // (allocating them up front cost a memset and a wipe per session).
            buf_in: Vec::new(),
            buf_out: Vec::new(),
        }
    }

    /// The plan being garbled.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// Overrides the zero-labels of input group `group` (the protocol uses
    /// this for the evaluator's inputs, whose zero-labels come out of
    /// correlated OT).
    pub fn set_input_zero_labels(
        &mut self,
        group: usize,
        labels: &[Block],
    ) -> Result<(), GarbleError> {
        set_zero_labels(&self.plan, &mut self.inputs, self.started, group, labels)
    }

    /// The zero-labels of input group `group` (empty if there is no such group).
    pub fn input_zero_labels(&self, group: usize) -> &[Block] {
        self.inputs.get(group).map_or(&[], |v| v.as_slice())
    }

    /// Active labels `L0 ^ bit*Delta` for the garbler's own bits of group `group`.
    pub fn encode_input(&self, group: usize, bits: &[bool]) -> Result<Vec<Block>, GarbleError> {
        encode(&self.plan, &self.inputs, &self.delta, group, bits)
    }

    /// The global offset: a wire's one-label is its zero-label XOR `Delta`.
    pub fn delta(&self) -> &Delta {
        &self.delta
    }

    /// Numbers the plan's ANDs from `n` instead of 0, for the hash tweaks.
    /// A circuit garbled as a sequence of plans (the streaming runtime,
    /// [`crate::window`]) must never reuse a tweak under one `Delta`: the
    /// TCCR security of half-gates (GKWY20) needs a fresh tweak per call.
    /// The evaluator must be told the same ([`crate::evaluator::Evaluator::set_first_and`]).
    /// A range that would reach [`crate::tweak::MAX_ANDS`] is refused.
    pub fn set_first_and(&mut self, n: u64) -> Result<(), GarbleError> {
        if self.started {
            return Err(GarbleError::AlreadyStarted);
        }
        crate::tweak::check_range(n, self.plan.num_ands())?;
        self.and_base = n;
        Ok(())
    }

    /// Table blocks the next call to [`Garbler::garble_batch`] appends.
    pub fn next_batch_len(&self) -> usize {
        2 * self.plan.step_ands(self.next_step)
    }

    /// True once every batch has been garbled.
    pub fn is_finished(&self) -> bool {
        self.started && self.next_step >= self.plan.num_steps()
    }

    fn start(&mut self) {
        if self.started {
            return;
        }
        load_inputs(&self.plan, &self.inputs, &mut self.labels);
        run_free_gates(&mut self.labels, self.plan.prelude());
        self.started = true;
    }

    /// Garbles the next step and appends its tables to `out` (2 blocks per
    /// AND). Returns false, appending nothing, once the circuit is finished.
    pub fn garble_batch(&mut self, out: &mut Vec<Block>) -> bool {
        let start = out.len();
        out.resize(start + self.next_batch_len(), Block::ZERO);
        self.garble_step(&mut out[start..])
    }

    /// Garbles the next step into the first [`Garbler::next_batch_len`]
    /// blocks of `out` and returns how many it wrote (0, writing nothing,
    /// once the circuit is finished). Unlike [`Garbler::garble_batch`] it
    /// writes only what it fills: a caller that reuses one buffer does not
    /// clear a step's worth of memory that the kernel then overwrites.
    pub fn garble_batch_into(&mut self, out: &mut [Block]) -> Result<usize, GarbleError> {
        let n = self.next_batch_len();
        let found = out.len();
        let out = out
            .get_mut(..n)
            .ok_or(GarbleError::BufferTooSmall { needed: n, found })?;
        self.garble_step(out);
        Ok(n)
    }

    /// Garbles every remaining step and hands the tables to `sink` in
    /// chunks of at least `chunk` blocks (the last may be shorter): a party
    /// sending them makes fewer, larger writes. `buf` holds a chunk and is
    /// garbled in place, never cleared, so one buffer can serve a whole
    /// session without page faults or memsets.
    pub fn garble_in_chunks<E: From<GarbleError>>(
        &mut self,
        chunk: usize,
        buf: &mut Vec<Block>,
        mut sink: impl FnMut(&[Block]) -> Result<(), E>,
    ) -> Result<(), E> {
        buf.resize(chunk + 2 * self.plan.max_step_ands(), Block::ZERO);
        let mut len = 0;
        loop {
            let n = self.garble_batch_into(&mut buf[len..])?;
            len += n;
            if len >= chunk || (n == 0 && len > 0) {
                sink(&buf[..len])?;
                len = 0;
            }
            if n == 0 {
                return Ok(());
            }
        }
    }

    /// Garbles the next step into `out`, exactly its `2 * ANDs` blocks
    /// (false once finished).
    fn garble_step(&mut self, out: &mut [Block]) -> bool {
        self.start();
        // Borrowed, not cloned: an `Arc` clone per step is two atomic
        // read-modify-writes, which SHA-256's 1,600 small steps notice.
        let plan = &*self.plan;
        let Some(step) = plan.step(self.next_step) else {
            return false;
        };
        assert_eq!(out.len(), 2 * step.ands.len(), "two table blocks per AND");
        let d = self.delta.block();
        // The VAES kernels index without bounds checks on this.
        assert!(
            self.labels.len() >= plan.num_slots()
                && self.pis.len() >= PI_STRIDE * plan.num_pi_slots(),
            "label arrays smaller than the plan"
        );
        let fresh = self.hash.has_wide() && step.mostly_fresh();
        if !fresh {
            garble_pis(
                &self.hash,
                d,
                &self.labels,
                &mut self.pis,
                step.pi_slots,
                step.pi_into,
                &mut self.buf_in,
            );
        }
        crate::tweak::note(&self.delta, self.and_base + step.first_and, step.ands.len());
        garble_ands(
            &self.hash,
            d,
            &mut self.labels,
            &mut self.pis,
            step.ands,
            self.and_base + step.first_and,
            &mut self.buf_in,
            &mut self.buf_out,
            out,
            fresh,
        );
        run_free_gates(&mut self.labels, step.frees);
        self.next_step += 1;
        true
    }

    /// One decoding bit per output wire (the colour bit of its zero-label),
    /// per output group. Call after the last batch.
    pub fn decoding_bits(&self) -> Vec<Vec<bool>> {
        self.output_zero_labels()
            .iter()
            .map(|g| g.iter().map(|l| l.lsb()).collect())
            .collect()
    }

    /// The zero-labels of the output wires, per output group. The protocol
    /// uses them to check the output labels the evaluator returns: a label
    /// that is neither `L0` nor `L0 ^ Delta` is garbage. Call after the last
    /// batch. Wiped on drop: a zero-label XOR the evaluator's one-label of
    /// the same wire is `Delta`.
    pub fn output_zero_labels(&self) -> Zeroizing<Vec<Vec<Block>>> {
        let d = self.delta.block();
        let flip = |mut groups: Zeroizing<Vec<Vec<Block>>>| {
            for (g, o) in groups.iter_mut().zip(self.plan.outputs()) {
                for (l, &f) in g.iter_mut().zip(&o.flips) {
                    *l ^= Block::mask(f) & d;
                }
            }
            groups
        };
        if self.started {
            return flip(Zeroizing::new(output_labels(&self.plan, &self.labels)));
        }
        // No batch ran (a circuit without ANDs): finish on a scratch copy.
        let mut labels = Zeroizing::new(self.labels.clone());
        load_inputs(&self.plan, &self.inputs, &mut labels);
        run_free_gates(&mut labels, self.plan.prelude());
        flip(Zeroizing::new(output_labels(&self.plan, &labels)))
    }
}

impl Drop for Garbler {
    fn drop(&mut self) {
        self.labels.zeroize();
        self.pis.zeroize();
        self.inputs.zeroize();
        self.buf_in.zeroize();
        self.buf_out.zeroize();
    }
}

/// `n` uniformly random labels: AES-128 in counter mode under a fresh key
/// from the operating system (a PRG under the standard PRP assumption on
/// AES, as in emp-toolkit). Asking the OS for every label cost ~8% of an
/// AES-128 garbling session in the kernel's ChaCha. The key schedule is
/// zeroized on drop (the `aes` crate's `zeroize` feature).
pub(crate) fn random_labels(n: usize) -> Vec<Block> {
    use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
    let mut key = [0u8; 16];
    crate::block::fill_random(&mut key);
    let prg = aes::Aes128Enc::new(&Array::from(key));
    key.zeroize();
    let mut v: Vec<Block> = (0..n as u128).map(Block).collect();
    // SAFETY: `Block` is 16 bytes without padding; the crate's block type
    // is a `repr(transparent)` `[u8; 16]` with alignment 1.
    let bytes: &mut [aes::Block] =
        unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast(), v.len()) };
    prg.encrypt_blocks(bytes);
    v
}

/// Input group `group` of `plan`, or why there is none.
fn input_group(plan: &Plan, group: usize) -> Result<&crate::plan::InputPlan, GarbleError> {
    plan.inputs().get(group).ok_or(GarbleError::NoSuchGroup {
        group,
        count: plan.inputs().len(),
    })
}

/// Sets the zero-labels of input group `group` in `inputs` (both schemes'
/// garblers: [`Garbler::set_input_zero_labels`]).
pub(crate) fn set_zero_labels(
    plan: &Plan,
    inputs: &mut [Vec<Block>],
    started: bool,
    group: usize,
    labels: &[Block],
) -> Result<(), GarbleError> {
    let g = input_group(plan, group)?;
    if labels.len() != g.slots.len() {
        return Err(GarbleError::Width {
            name: g.name.clone(),
            expected: g.slots.len(),
            found: labels.len(),
        });
    }
    if started {
        return Err(GarbleError::AlreadyStarted);
    }
    inputs[group].copy_from_slice(labels);
    Ok(())
}

/// The active labels of the garbler's `bits` of group `group` (both
/// schemes' garblers: [`Garbler::encode_input`]).
pub(crate) fn encode(
    plan: &Plan,
    inputs: &[Vec<Block>],
    delta: &Delta,
    group: usize,
    bits: &[bool],
) -> Result<Vec<Block>, GarbleError> {
    let g = input_group(plan, group)?;
    if g.party != Party::Garbler {
        return Err(GarbleError::WrongParty {
            name: g.name.clone(),
            party: g.party,
        });
    }
    if bits.len() != g.slots.len() {
        return Err(GarbleError::Width {
            name: g.name.clone(),
            expected: g.slots.len(),
            found: bits.len(),
        });
    }
    let d = delta.block();
    Ok(inputs[group]
        .iter()
        .zip(bits)
        .map(|(&l0, &bit)| l0 ^ (Block::mask(bit) & d))
        .collect())
}

pub(crate) fn load_inputs(plan: &Plan, inputs: &[Vec<Block>], labels: &mut [Block]) {
    for (g, ls) in plan.inputs().iter().zip(inputs) {
        for (&s, &l) in g.slots.iter().zip(ls) {
            if s != NO_SLOT {
                labels[s as usize] = l;
            }
        }
    }
}

/// The labels of the output wires, per output group.
pub(crate) fn output_labels(plan: &Plan, labels: &[Block]) -> Vec<Vec<Block>> {
    plan.outputs()
        .iter()
        .map(|o| o.slots.iter().map(|&s| labels[s as usize]).collect())
        .collect()
}

/// A label array for a plan of `n` slots, all zero: slot
/// [`crate::plan::ZERO_SLOT`] stays so, and the plan writes the others
/// before it reads them.
pub(crate) fn new_labels(n: usize) -> Vec<Block> {
    vec![Block::ZERO; n.max(1)]
}

/// Runs free gates: each segment of the plan's fused XORs (see
/// [`crate::plan::FreeOps`]) through a loop specialised to its arity and
/// encoding, so no branch depends on the gate, let alone on a secret; `k`
/// loads of labels and one store per gate.
pub(crate) fn run_free_gates(labels: &mut [Block], ops: FreeOps<'_>) {
    assert!(
        labels.len() >= ops.bound(),
        "label array smaller than the plan"
    );
    let base = lanes_mut(labels).as_mut_ptr().cast::<u8>();
    // SAFETY (all calls): every slot of a plan's ops is below `ops.bound()`
    // (checked when the plan was built, `FreeOps::well_formed`), and
    // `ops.bound() <= labels.len()`: an in-bounds, 16-aligned label.
    match ops.code() {
        CodeRef::Narrow(code) => {
            for (arity, _, body) in narrow_segments(code) {
                // SAFETY: see above.
                unsafe {
                    match arity {
                        2 => xor_narrow::<2>(base, body),
                        3 => xor_narrow::<3>(base, body),
                        4 => xor_narrow::<4>(base, body),
                        5 => xor_narrow::<5>(base, body),
                        6 => xor_narrow::<6>(base, body),
                        k => unreachable!("free gate of arity {k}"),
                    }
                }
            }
        }
        CodeRef::Wide(code) => {
            for (arity, _, body) in wide_segments(code) {
                // SAFETY: see above.
                unsafe {
                    match arity {
                        2 => xor_wide::<2>(base, body),
                        3 => xor_wide::<3>(base, body),
                        4 => xor_wide::<4>(base, body),
                        5 => xor_wide::<5>(base, body),
                        6 => xor_wide::<6>(base, body),
                        k => unreachable!("free gate of arity {k}"),
                    }
                }
            }
        }
    }
}

/// `L[out] = L[in_1] ^ .. ^ L[in_K]` for each gate of narrow code `body`
/// (one 64-bit word of four 16-bit fields `2 * slot` per gate, two words
/// for `K > 3`; see [`crate::plan::FreeOps`] for the order): one load
/// fetches a gate's slots, and the address scale 8 turns `2 * slot` into the
/// byte offset.
///
/// The loop runs about eight instructions per gate of arity 2, so its own
/// increment and branch count: long segments (AES-128's have about 80 gates)
/// run four gates per iteration (8% faster on AES-128's free gates), short
/// ones (SHA-256's have about 8) one, as a remainder loop after an unrolled
/// one measured 20% slower there.
///
/// # Safety
/// Every field `f` of `body` must satisfy `f / 2 < ` the length of the label
/// array at `base`.
#[inline(always)]
unsafe fn xor_narrow<const K: usize>(base: *mut u8, body: &[u64]) {
    let w = narrow_words(K);
    debug_assert!(body.len().is_multiple_of(w));
    // SAFETY (all calls): in bounds by the caller's contract.
    if body.len() < 16 * w {
        for g in body.chunks_exact(w) {
            // SAFETY: see above.
            unsafe { narrow_gate::<K>(base, g) };
        }
        return;
    }
    let mut quads = body.chunks_exact(4 * w);
    for q in &mut quads {
        // SAFETY: see above.
        unsafe {
            narrow_gate::<K>(base, &q[..w]);
            narrow_gate::<K>(base, &q[w..2 * w]);
            narrow_gate::<K>(base, &q[2 * w..3 * w]);
            narrow_gate::<K>(base, &q[3 * w..]);
        }
    }
    for g in quads.remainder().chunks_exact(w) {
        // SAFETY: see above.
        unsafe { narrow_gate::<K>(base, g) };
    }
}

/// One gate of narrow code: `g` holds its [`narrow_words`] words.
///
/// # Safety
/// As for [`xor_narrow`].
#[inline(always)]
unsafe fn narrow_gate<const K: usize>(base: *mut u8, g: &[u64]) {
    const { assert!(K >= 2 && K <= 7) };
    // Field `i` of a word, scaled to a byte offset.
    let at = |x: u64, i: u32| ((x >> (16 * i)) & 0xffff) as usize * 8;
    // SAFETY: in bounds by the caller's contract.
    let lane = |o: usize| unsafe { *base.add(o).cast::<Lane>() };
    // Fields: `[out, in_1, in_3, in_2]` for `K <= 3`.
    let x = g[0];
    let mut v = lane(at(x, 1)).xor(lane(at(x, if K <= 3 { 3 } else { 2 })));
    if K >= 3 {
        v = v.xor(lane(at(x, if K <= 3 { 2 } else { 3 })));
    }
    if K >= 4 {
        let y = g[narrow_words(K) - 1];
        for i in 0..(K as u32 - 3) {
            v = v.xor(lane(at(y, i)));
        }
    }
    // SAFETY: as above.
    unsafe { *base.add(at(x, 0)).cast::<Lane>() = v };
}

/// `L[out] = L[in_1] ^ .. ^ L[in_K]` for each gate of wide code `body`
/// (`K + 1` byte offsets per gate, `out` first).
///
/// The loop is bound by loads, so the offsets are read two at a time (one
/// unaligned 64-bit load for two 32-bit offsets): an XOR of two inputs is
/// four loads and a store instead of five loads and a store.
///
/// # Safety
/// Every offset in `body` must be `16 * slot` for a slot of the array at `base`.
#[inline(always)]
unsafe fn xor_wide<const K: usize>(base: *mut u8, body: &[u32]) {
    debug_assert!(body.len().is_multiple_of(K + 1));
    let n = body.len() / (K + 1);
    let p = body.as_ptr();
    // Offset `j` of gate `g`; `pair` reads `j` and `j + 1` at once.
    // SAFETY: `g * (K + 1) + j <= g * (K + 1) + K` is in `body`.
    let one = |g: usize, j: usize| unsafe { *p.add(g * (K + 1) + j) as usize };
    let pair = |g: usize, j: usize| {
        // SAFETY: `g * (K + 1) + j + 1 <= g * (K + 1) + K` is in `body`.
        let x = unsafe { p.add(g * (K + 1) + j).cast::<u64>().read_unaligned() };
        ((x & 0xffff_ffff) as usize, (x >> 32) as usize)
    };
    // SAFETY: `o` is an offset from `body`, in bounds by the caller's contract.
    let lane = |o: usize| unsafe { *base.add(o).cast::<Lane>() };
    for g in 0..n {
        // SAFETY: the offsets are in bounds by the caller's contract.
        unsafe {
            let (out, a) = pair(g, 0);
            let mut v = lane(a);
            let mut j = 2;
            while j < K {
                let (x, y) = pair(g, j);
                v = v.xor(lane(x)).xor(lane(y));
                j += 2;
            }
            if j == K {
                v = v.xor(lane(one(g, K)));
            }
            *base.add(out).cast::<Lane>() = v;
        }
    }
}

/// `pi(L)` and `pi(L ^ Delta)` of the labels in `slots`, into `pis` at
/// `PI_STRIDE * p` for the matching pi slot `p` of `dest` (the memoized
/// first call of the TCCR hash, see the module docs).
fn garble_pis(
    hash: &Tccr,
    d: Block,
    labels: &[Block],
    pis: &mut [Block],
    slots: &[Slot],
    dest: &[Slot],
    buf: &mut Vec<Block>,
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(w) = hash.wide() {
        // SAFETY: the slots come from the plan whose `num_slots` and
        // `num_pi_slots` sized `labels` and `pis` (checked by the caller,
        // `Garbler::garble_step`).
        return unsafe { w.garble_pis(d, labels, pis, slots, dest) };
    }
    buf.clear();
    for &s in slots {
        let l = labels[s as usize];
        buf.extend_from_slice(&[l, l ^ d]);
    }
    hash.permute_in_place(buf);
    for (&s, p) in dest.iter().zip(buf.chunks_exact(2)) {
        let at = PI_STRIDE * s as usize;
        pis[at..at + 2].copy_from_slice(p);
    }
}

/// Garbles one step of independent ANDs into `tables` (2 blocks each), from
/// the memoized `pi` of their inputs, or (`fresh`, VAES kernel only)
/// computing and storing it.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn garble_ands(
    hash: &Tccr,
    d: Block,
    labels: &mut [Block],
    pis: &mut [Block],
    ands: &[AndOp],
    first_and: u64,
    buf_in: &mut Vec<Block>,
    buf_out: &mut Vec<Block>,
    tables: &mut [Block],
    fresh: bool,
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(w) = hash.wide() {
        // SAFETY: as in `garble_pis`.
        return unsafe {
            w.garble_ands(d, labels, pis, ands, and_tweak(first_and, 0), tables, fresh)
        };
    }
    assert!(!fresh, "only the VAES kernel computes pi in the AND pass");
    let n = ands.len();
    buf_in.resize(4 * n, Block::ZERO);
    buf_out.resize(4 * n, Block::ZERO);
    let (buf_in, buf_out) = (&mut buf_in[..4 * n], &mut buf_out[..4 * n]);
    // Block 4i + 2h + c: half h of AND i, label c of that input:
    // pi(x) ^ tweak, whose AES output XOR pi(x) is H(x, tweak).
    for (k, (x, g)) in buf_in.chunks_exact_mut(4).zip(ands).enumerate() {
        let k = first_and + k as u64;
        for (h, s) in [g.pa, g.pb].into_iter().enumerate() {
            let t = Block(tweak_block(and_tweak(k, h as u64)));
            let p = &pis[PI_STRIDE * s as usize..PI_STRIDE * s as usize + 2];
            x[2 * h] = p[0] ^ t;
            x[2 * h + 1] = p[1] ^ t;
        }
    }
    buf_out.copy_from_slice(buf_in);
    hash.permute_in_place(buf_out);
    let dl = lane(d);
    for ((((x, h), g), t), k) in lanes(buf_in)
        .chunks_exact(4)
        .zip(lanes_mut(buf_out).chunks_exact_mut(4))
        .zip(ands)
        .zip(lanes_mut(tables).chunks_exact_mut(2))
        .zip(first_and..)
    {
        let l = lanes(labels);
        let (ma, mb) = (lane(Block::mask(g.flip_a)), lane(Block::mask(g.flip_b)));
        let a0 = l[g.a as usize].xor(ma.and(dl));
        let b0 = l[g.b as usize].xor(mb.and(dl));
        // H of the stored labels L and L ^ D; a flipped input swaps them.
        let ta = lane(Block(tweak_block(and_tweak(k, 0))));
        let tb = lane(Block(tweak_block(and_tweak(k, 1))));
        let hs: [Lane; 4] = [
            h[0].xor(x[0]).xor(ta),
            h[1].xor(x[1]).xor(ta),
            h[2].xor(x[2]).xor(tb),
            h[3].xor(x[3]).xor(tb),
        ];
        let ha01 = hs[0].xor(hs[1]);
        let hb01 = hs[2].xor(hs[3]);
        let ha0 = hs[0].xor(ma.and(ha01));
        let hb0 = hs[2].xor(mb.and(hb01));
        let pa = a0.colour_mask();
        let pb = b0.colour_mask();
        let tg = ha01.xor(pb.and(dl));
        let wg = ha0.xor(pa.and(tg));
        let te = hb01.xor(a0);
        let we = hb0.xor(pb.and(te.xor(a0)));
        lanes_mut(labels)[g.out as usize] = wg.xor(we);
        t[0] = tg;
        t[1] = te;
    }
}
