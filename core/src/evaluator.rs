//! The evaluator: half-gates evaluation (Zahur-Rosulek-Evans 2015).
//!
//! The evaluator holds one *active* label per live wire. For an AND gate with
//! active input labels `A`, `B`, colour bits `sa = lsb(A)`, `sb = lsb(B)` and
//! table `(TG, TE)`:
//!
//! ```text
//! C = H(A, 2k) ^ sa*TG  ^  H(B, 2k + 1) ^ sb*(TE ^ A)
//! ```
//!
//! with `H(x, j) = pi(pi(x) ^ j) ^ pi(x)`; `pi(A)` is computed once per label
//! that ANDs read and kept next to it (see [`crate::plan`]). XOR gates XOR
//! labels; NOT gates and constants cost nothing (the plan turns them into
//! public flips, which change the garbler's zero-labels but never the active
//! label; see [`crate::plan`] and [`crate::garbler`]). Steps follow the
//! same [`Plan`] as the garbler, so the evaluator knows how many table blocks
//! each step consumes and the stream needs no length prefixes.
//!
//! [`crate::half_gates::eval_and`] is the formula above for one gate, hashed
//! from scratch: the reference this batched path (and its VAES kernel) is
//! tested against in `runtime/tests/half_gates.rs`. Per gate it measured
//! 5x to 7x slower on the portable path, so both paths stay batched (see
//! [`crate::garbler`], "The batch path and the reference").

use crate::block::Block;
use crate::garbler::{new_labels, run_free_gates};
use crate::hash::{and_tweak, tweak_block, Tccr};
use crate::ir::Circuit;
use crate::lane::{lane, lanes, lanes_mut};
use crate::plan::{AndOp, Plan, PlanError, Slot, NO_SLOT};
use std::sync::Arc;
use zeroize::Zeroize;

/// What the evaluator refuses.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// An input group number past the circuit's last.
    #[error("the circuit has {count} input groups; there is no group {group}")]
    NoSuchGroup {
        /// The group asked for.
        group: usize,
        /// How many groups the circuit has.
        count: usize,
    },
    /// Labels for an input, one per bit, of the wrong count.
    #[error("input `{name}` has {expected} bits but {found} labels were given")]
    Width {
        /// The input's name.
        name: String,
        /// Its width in the circuit.
        expected: usize,
        /// The labels given.
        found: usize,
    },
    /// Evaluation needs every input's labels.
    #[error("the labels of input `{name}` were never set")]
    MissingInput {
        /// The input's name.
        name: String,
    },
    /// Input labels set after the first batch.
    #[error("input labels cannot change once evaluation has started")]
    AlreadyStarted,
    /// A batch of garbled tables of the wrong size.
    #[error("batch {step} takes {expected} table blocks but {found} were given")]
    TableLength {
        /// The batch number.
        step: usize,
        /// Its table blocks in the plan.
        expected: usize,
        /// The blocks given.
        found: usize,
    },
    /// A batch given after the last.
    #[error("all {steps} batches were already evaluated")]
    Finished {
        /// The plan's batches.
        steps: usize,
    },
    /// Outputs asked for before the last batch.
    #[error("cannot decode yet: {remaining} of {steps} batches are still to be evaluated")]
    NotFinished {
        /// Batches not yet evaluated.
        remaining: usize,
        /// The plan's batches.
        steps: usize,
    },
    /// Decoding bits for another number of outputs than the circuit has.
    #[error("decoding bits for {found} output groups, but the circuit has {expected}")]
    DecodingGroups {
        /// The circuit's outputs.
        expected: usize,
        /// The groups of decoding bits given.
        found: usize,
    },
    /// Decoding bits of one output of the wrong count.
    #[error("output `{name}` has {expected} bits but {found} decoding bits were given")]
    DecodingWidth {
        /// The output's name.
        name: String,
        /// Its width in the circuit.
        expected: usize,
        /// The decoding bits given.
        found: usize,
    },
    /// The circuit cannot be planned.
    #[error("cannot evaluate this circuit")]
    Circuit(#[from] PlanError),
    /// The session has used up its AND numbers.
    #[error(transparent)]
    TweaksExhausted(#[from] crate::tweak::TweaksExhausted),
}

/// Evaluates one garbled circuit, one step at a time.
pub struct Evaluator {
    plan: Arc<Plan>,
    hash: Tccr,
    /// Active labels by slot.
    labels: Vec<Block>,
    /// `pi(W)` of active label `W`, by slot, for the labels AND gates read
    /// (the memoized first hash call).
    pis: Vec<Block>,
    inputs_set: Vec<bool>,
    started: bool,
    next_step: usize,
    /// Sequence number of the plan's first AND (see `set_first_and`).
    and_base: u64,
    buf_in: Vec<Block>,
    buf_out: Vec<Block>,
}

impl Evaluator {
    /// Plans `circuit`. Fails ([`EvalError::Circuit`]) only if `circuit`
    /// fails [`Circuit::validate`] (every importer and the compiler
    /// validate) or is too large to plan; see [`Evaluator::from_plan`] to
    /// share one plan.
    pub fn new(circuit: &Circuit) -> Result<Evaluator, EvalError> {
        Ok(Evaluator::from_plan(Arc::new(Plan::new(circuit)?)))
    }

    /// An evaluator over a shared, precomputed plan.
    pub fn from_plan(plan: Arc<Plan>) -> Evaluator {
        Evaluator::with_hash(plan, Tccr::new())
    }

    /// As [`Evaluator::from_plan`] with a given hash backend.
    pub fn with_hash(plan: Arc<Plan>, hash: Tccr) -> Evaluator {
        Evaluator {
            labels: new_labels(plan.num_slots()),
            pis: vec![Block::ZERO; plan.num_pi_slots()],
            inputs_set: vec![false; plan.inputs().len()],
            plan,
            hash,
            started: false,
            next_step: 0,
            and_base: 0,
            // Only the portable hash path uses these; it sizes them itself
            // (allocating them up front cost a memset and a wipe per session).
            buf_in: Vec::new(),
            buf_out: Vec::new(),
        }
    }

    /// The plan being evaluated.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// Sets the active labels of input group `group`.
    pub fn set_input_labels(&mut self, group: usize, labels: &[Block]) -> Result<(), EvalError> {
        if self.started {
            return Err(EvalError::AlreadyStarted);
        }
        load_group(&self.plan, &mut self.labels, group, labels)?;
        self.inputs_set[group] = true;
        Ok(())
    }

    /// Numbers the plan's ANDs from `n` instead of 0, as the garbler did
    /// ([`crate::garbler::Garbler::set_first_and`]).
    pub fn set_first_and(&mut self, n: u64) -> Result<(), EvalError> {
        if self.started {
            return Err(EvalError::AlreadyStarted);
        }
        crate::tweak::check_range(n, self.plan.num_ands())?;
        self.and_base = n;
        Ok(())
    }

    /// Table blocks the next batch consumes (0 when finished).
    pub fn next_batch_len(&self) -> usize {
        2 * self.plan.step_ands(self.next_step)
    }

    /// True once every batch has been evaluated.
    pub fn is_finished(&self) -> bool {
        self.next_step >= self.plan.num_steps()
    }

    fn start(&mut self) -> Result<(), EvalError> {
        if self.started {
            return Ok(());
        }
        if let Some(k) = self.inputs_set.iter().position(|&s| !s) {
            return Err(EvalError::MissingInput {
                name: self.plan.inputs()[k].name.clone(),
            });
        }
        run_free_gates(&mut self.labels, self.plan.prelude());
        self.started = true;
        Ok(())
    }

    /// Evaluates every remaining step from tables that `source` fills in
    /// chunks of whole steps, at least `chunk` blocks each (the last may be
    /// shorter). Chunk sizes come from this party's own plan, never from the
    /// peer, so nothing read off a wire sizes an allocation.
    pub fn eval_in_chunks<E: From<EvalError>>(
        &mut self,
        chunk: usize,
        buf: &mut Vec<Block>,
        mut source: impl FnMut(&mut [Block]) -> Result<(), E>,
    ) -> Result<(), E> {
        let plan = Arc::clone(&self.plan);
        let mut step = self.next_step;
        while plan.step_ands(step) > 0 {
            let first = step;
            let mut len = 0;
            while plan.step_ands(step) > 0 && (len == 0 || len < chunk) {
                len += 2 * plan.step_ands(step);
                step += 1;
            }
            buf.resize(len, Block::ZERO);
            source(buf)?;
            let mut at = 0;
            for s in first..step {
                let n = 2 * plan.step_ands(s);
                self.eval_batch(&buf[at..at + n])?;
                at += n;
            }
        }
        Ok(())
    }

    /// Evaluates the next step with its `2 * ANDs` table blocks.
    pub fn eval_batch(&mut self, tables: &[Block]) -> Result<(), EvalError> {
        self.start()?;
        // Borrowed, not cloned (see `Garbler::garble_batch_into`).
        let plan = &*self.plan;
        let step = plan
            .step(self.next_step)
            .ok_or_else(|| EvalError::Finished {
                steps: plan.num_steps(),
            })?;
        if tables.len() != 2 * step.ands.len() {
            return Err(EvalError::TableLength {
                step: self.next_step,
                expected: 2 * step.ands.len(),
                found: tables.len(),
            });
        }
        // The VAES kernels index without bounds checks on this.
        assert!(
            self.labels.len() >= plan.num_slots() && self.pis.len() >= plan.num_pi_slots(),
            "label arrays smaller than the plan"
        );
        eval_pis(
            &self.hash,
            &self.labels,
            &mut self.pis,
            step.pi_slots,
            step.pi_into,
            &mut self.buf_in,
        );
        eval_ands(
            &self.hash,
            &mut self.labels,
            &self.pis,
            step.ands,
            self.and_base + step.first_and,
            &mut self.buf_in,
            &mut self.buf_out,
            tables,
        );
        run_free_gates(&mut self.labels, step.frees);
        self.next_step += 1;
        Ok(())
    }

    /// Decodes the outputs with the garbler's decoding bits (one group per
    /// output group). Call after the last batch.
    pub fn decode(&self, decoding_bits: &[Vec<bool>]) -> Result<Vec<Vec<bool>>, EvalError> {
        let labels = self.output_labels()?;
        if decoding_bits.len() != labels.len() {
            return Err(EvalError::DecodingGroups {
                expected: labels.len(),
                found: decoding_bits.len(),
            });
        }
        let outs = self.plan.outputs();
        for ((o, l), d) in outs.iter().zip(&labels).zip(decoding_bits) {
            if l.len() != d.len() {
                return Err(EvalError::DecodingWidth {
                    name: o.name.clone(),
                    expected: l.len(),
                    found: d.len(),
                });
            }
        }
        Ok(labels
            .iter()
            .zip(decoding_bits)
            .map(|(l, d)| l.iter().zip(d).map(|(l, &bit)| l.lsb() ^ bit).collect())
            .collect())
    }

    /// The active labels of the output wires, per output group. Returned to
    /// the garbler so that it learns the outputs and can check that they
    /// came from its garbling. Call after the last batch.
    pub fn output_labels(&self) -> Result<Vec<Vec<Block>>, EvalError> {
        if !self.is_finished() {
            return Err(EvalError::NotFinished {
                remaining: self.plan.num_steps() - self.next_step,
                steps: self.plan.num_steps(),
            });
        }
        if self.started {
            return Ok(crate::garbler::output_labels(&self.plan, &self.labels));
        }
        // No batch ran (a circuit without ANDs): finish on a copy.
        if let Some(k) = self.inputs_set.iter().position(|&s| !s) {
            return Err(EvalError::MissingInput {
                name: self.plan.inputs()[k].name.clone(),
            });
        }
        let mut labels = self.labels.clone();
        run_free_gates(&mut labels, self.plan.prelude());
        let out = crate::garbler::output_labels(&self.plan, &labels);
        labels.zeroize();
        Ok(out)
    }
}

impl Drop for Evaluator {
    fn drop(&mut self) {
        self.labels.zeroize();
        self.pis.zeroize();
        self.buf_in.zeroize();
        self.buf_out.zeroize();
    }
}

/// `pi(W)` of the labels in `slots`, into `pis` at the matching pi slot of
/// `dest`.
fn eval_pis(
    hash: &Tccr,
    labels: &[Block],
    pis: &mut [Block],
    slots: &[Slot],
    dest: &[Slot],
    buf: &mut Vec<Block>,
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(w) = hash.wide() {
        // SAFETY: the slots come from the plan whose `num_slots` and
        // `num_pi_slots` sized
        // `labels` and `pis` (checked by the caller, `Evaluator::eval_batch`).
        return unsafe { w.eval_pis(labels, pis, slots, dest) };
    }
    buf.clear();
    buf.extend(slots.iter().map(|&s| labels[s as usize]));
    hash.permute_in_place(buf);
    for (&s, &p) in dest.iter().zip(buf.iter()) {
        pis[s as usize] = p;
    }
}

/// Evaluates one step of independent ANDs from the memoized `pi` of their
/// inputs.
#[inline]
#[allow(clippy::too_many_arguments)]
fn eval_ands(
    hash: &Tccr,
    labels: &mut [Block],
    pis: &[Block],
    ands: &[AndOp],
    first_and: u64,
    buf_in: &mut Vec<Block>,
    buf_out: &mut Vec<Block>,
    tables: &[Block],
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(w) = hash.wide() {
        // SAFETY: as in `eval_pis`.
        return unsafe { w.eval_ands(labels, pis, ands, and_tweak(first_and, 0), tables) };
    }
    let n = ands.len();
    buf_in.resize(2 * n, Block::ZERO);
    buf_out.resize(2 * n, Block::ZERO);
    let (buf_in, buf_out) = (&mut buf_in[..2 * n], &mut buf_out[..2 * n]);
    // Block 2i + h: pi(x) ^ tweak for half h of AND i.
    for (k, (x, g)) in buf_in.chunks_exact_mut(2).zip(ands).enumerate() {
        let k = first_and + k as u64;
        x[0] = pis[g.pa as usize] ^ Block(tweak_block(and_tweak(k, 0)));
        x[1] = pis[g.pb as usize] ^ Block(tweak_block(and_tweak(k, 1)));
    }
    buf_out.copy_from_slice(buf_in);
    hash.permute_in_place(buf_out);
    for ((((x, h), g), t), k) in lanes(buf_in)
        .chunks_exact(2)
        .zip(lanes(buf_out).chunks_exact(2))
        .zip(ands)
        .zip(lanes(tables).chunks_exact(2))
        .zip(first_and..)
    {
        let l = lanes(labels);
        let (a, b) = (l[g.a as usize], l[g.b as usize]);
        let ha = h[0]
            .xor(x[0])
            .xor(lane(Block(tweak_block(and_tweak(k, 0)))));
        let hb = h[1]
            .xor(x[1])
            .xor(lane(Block(tweak_block(and_tweak(k, 1)))));
        let wg = ha.xor(a.colour_mask().and(t[0]));
        let we = hb.xor(b.colour_mask().and(t[1].xor(a)));
        lanes_mut(labels)[g.out as usize] = wg.xor(we);
    }
}

/// Writes the active labels of input group `group` into their slots (both
/// schemes' evaluators), refusing a group that does not exist or labels of
/// the wrong count.
pub(crate) fn load_group(
    plan: &Plan,
    slots_labels: &mut [Block],
    group: usize,
    labels: &[Block],
) -> Result<(), EvalError> {
    let g = plan.inputs().get(group).ok_or(EvalError::NoSuchGroup {
        group,
        count: plan.inputs().len(),
    })?;
    if labels.len() != g.slots.len() {
        return Err(EvalError::Width {
            name: g.name.clone(),
            expected: g.slots.len(),
            found: labels.len(),
        });
    }
    for (&s, &l) in g.slots.iter().zip(labels) {
        if s != NO_SLOT {
            slots_labels[s as usize] = l;
        }
    }
    Ok(())
}
