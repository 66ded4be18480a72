//! What the session protocol and the windowed protocol put on the wire the
//! same way: the verdict on returned output labels, and the
//! checks of a party's own inputs against the circuit's groups. One copy
//! each, so the two protocols cannot drift apart.

use super::error::ProtocolError;
use yao_core::block::Block;
use yao_core::ir::{Input, Output, Party};

/// The garbler's verdict on returned output labels.
pub(super) const ACCEPTED: u8 = 2;
pub(super) const REJECTED: u8 = 3;

/// Checks a party's own `inputs` against its groups in `groups` (the
/// circuit's input groups): a caller's mistake, named, before anything is
/// sent.
pub(super) fn check_widths(
    groups: &[Input],
    party: Party,
    inputs: &[Vec<bool>],
) -> Result<(), ProtocolError> {
    let mine: Vec<&Input> = groups.iter().filter(|i| i.party == party).collect();
    if mine.len() != inputs.len() {
        return Err(ProtocolError::InputCount {
            party: party.name(),
            expected: mine.len(),
            found: inputs.len(),
        });
    }
    for (g, bits) in mine.iter().zip(inputs) {
        if g.wires.len() != bits.len() {
            return Err(ProtocolError::InputWidth {
                party: party.name(),
                group: g.name.clone(),
                expected: g.wires.len(),
                found: bits.len(),
            });
        }
    }
    Ok(())
}

/// Evaluator-input bits of one execution: what its OTs cover.
pub(super) fn evaluator_bits(groups: &[Input]) -> usize {
    groups
        .iter()
        .filter(|i| i.party == Party::Evaluator)
        .map(|i| i.wires.len())
        .sum()
}

/// Splits `flat` into groups of the outputs' widths.
pub(super) fn split_outputs<T: Clone>(outputs: &[Output], flat: &[T]) -> Vec<Vec<T>> {
    let mut at = 0;
    outputs
        .iter()
        .map(|o| {
            at += o.wires.len();
            flat[at - o.wires.len()..at].to_vec()
        })
        .collect()
}

/// Decodes the output labels the evaluator returned against their
/// zero-labels: each must be `L0` (bit 0) or `L0 ^ Delta` (bit 1). Any other
/// label is garbage or a forgery, reported by output name and bit.
pub(super) fn decode_returned(
    outputs: &[Output],
    returned: &[Block],
    zero: &[Block],
    delta: Block,
) -> Result<Vec<bool>, ProtocolError> {
    let mut bits = Vec::with_capacity(returned.len());
    for (i, (&label, &z)) in returned.iter().zip(zero).enumerate() {
        if label == z {
            bits.push(false);
        } else if label == z ^ delta {
            bits.push(true);
        } else {
            let (output, bit) = locate_output_bit(outputs, i);
            return Err(ProtocolError::ForgedOutput { output, bit });
        }
    }
    Ok(bits)
}

/// Output group name and bit index of the `i`-th output bit overall.
fn locate_output_bit(outputs: &[Output], mut i: usize) -> (String, usize) {
    for o in outputs {
        if i < o.wires.len() {
            return (o.name.clone(), i);
        }
        i -= o.wires.len();
    }
    (String::from("?"), i)
}
