//! Both parties in one process, labels handed over directly: the reference
//! run for property tests and the in-memory benchmarks. The evaluator's input
//! labels are computed from the garbler's zero-labels and `Delta` (an ideal
//! OT), so this is *not* a secure protocol; `protocol` is.

use crate::block::{Block, Delta};
use crate::evaluator::{EvalError, Evaluator};
use crate::garbler::{GarbleError, Garbler};
use crate::hash::Tccr;
use crate::ir::{Circuit, Party};
use crate::plan::Plan;
use std::sync::Arc;

/// Why an in-memory run failed.
#[derive(Debug, thiserror::Error)]
pub enum InMemoryRunError {
    /// The garbler refused.
    #[error(transparent)]
    Garble(#[from] GarbleError),
    /// The evaluator refused.
    #[error(transparent)]
    Eval(#[from] EvalError),
}

/// Garbles and evaluates `circuit` on `inputs` (one bit vector per input
/// group, in order) and returns the decoded outputs.
pub fn run_in_memory(
    circuit: &Circuit,
    inputs: &[Vec<bool>],
) -> Result<Vec<Vec<bool>>, InMemoryRunError> {
    let plan = Arc::new(Plan::new(circuit).map_err(GarbleError::from)?);
    run_plan(&plan, inputs)
}

/// [`run_in_memory`] on a precomputed plan.
pub fn run_plan(
    plan: &Arc<Plan>,
    inputs: &[Vec<bool>],
) -> Result<Vec<Vec<bool>>, InMemoryRunError> {
    run_plan_with(plan, inputs, Tccr::new(), Tccr::new())
}

/// [`run_plan`] with chosen hash backends for each party (a VAES garbler
/// and a portable evaluator must agree, and vice versa).
pub fn run_plan_with(
    plan: &Arc<Plan>,
    inputs: &[Vec<bool>],
    garbler_hash: Tccr,
    evaluator_hash: Tccr,
) -> Result<Vec<Vec<bool>>, InMemoryRunError> {
    if inputs.len() != plan.inputs().len() {
        return Err(GarbleError::InputCount {
            expected: plan.inputs().len(),
            found: inputs.len(),
        }
        .into());
    }
    let mut g = Garbler::with_hash(Arc::clone(plan), Delta::random(), garbler_hash);
    let mut e = Evaluator::with_hash(Arc::clone(plan), evaluator_hash);
    for (k, bits) in inputs.iter().enumerate() {
        let labels = match plan.inputs()[k].party {
            Party::Garbler => g.encode_input(k, bits)?,
            Party::Evaluator => ideal_ot(plan, g.input_zero_labels(k), g.delta(), k, bits)?,
        };
        e.set_input_labels(k, &labels)?;
    }
    let mut tables = vec![Block::ZERO; 2 * plan.max_step_ands()];
    loop {
        let n = g.garble_batch_into(&mut tables)?;
        if n == 0 {
            break;
        }
        e.eval_batch(&tables[..n])?;
    }
    Ok(e.decode(&g.decoding_bits())?)
}

/// What correlated OT hands the evaluator: `L0 ^ bit*Delta` per bit of
/// input group `group`, whose zero-labels are `zero` (both schemes'
/// in-memory runs).
pub(crate) fn ideal_ot(
    plan: &Plan,
    zero: &[Block],
    delta: &Delta,
    group: usize,
    bits: &[bool],
) -> Result<Vec<Block>, GarbleError> {
    if zero.len() != bits.len() {
        return Err(GarbleError::Width {
            name: plan.inputs()[group].name.clone(),
            expected: zero.len(),
            found: bits.len(),
        });
    }
    let d = delta.block();
    Ok(zero
        .iter()
        .zip(bits)
        .map(|(&l, &b)| l ^ (Block::mask(b) & d))
        .collect())
}
