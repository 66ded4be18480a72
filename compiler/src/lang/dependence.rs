//! Which parties' inputs each output depends on, computed on the final,
//! optimized circuit (so `x ^ x` or `x & !x` depends on nothing), and the
//! warnings that follow from it.
//!
//! Every output of a two-party computation is revealed. An output that
//! depends on no input is a constant both parties knew already; one that
//! depends on one party's input only, while the other party supplies input
//! too, reveals a function of the first party's data to the other without
//! mixing in anything of theirs: the first party could have sent it in the
//! clear. Both are often mistakes (a wrong variable returned); when they are
//! intended (an echo, a debug value) the output is named with a leading `_`.

use super::diagnostics::{Error, Span};
use crate::ir::{Circuit, Gate, Party};

/// Set when a wire depends on a garbler input bit.
const GARBLER: u8 = 1;
/// Set when a wire depends on an evaluator input bit.
const EVALUATOR: u8 = 2;

fn bit(p: Party) -> u8 {
    match p {
        Party::Garbler => GARBLER,
        Party::Evaluator => EVALUATOR,
    }
}

/// For each output group, the parties whose input bits reach it (a mask of
/// [`GARBLER`] and [`EVALUATOR`]). One pass over the gates: a wire depends
/// on what its operands depend on. Structural, not semantic: a wire such
/// as `(x & y) ^ (x & y)` built so the optimizer does not fold it would
/// count as depending on both.
fn output_parties(c: &Circuit) -> Vec<u8> {
    let mut mask = vec![0u8; c.num_wires as usize];
    for input in &c.inputs {
        for &w in &input.wires {
            mask[w as usize] |= bit(input.party);
        }
    }
    for g in &c.gates {
        let m = match *g {
            Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => mask[a as usize] | mask[b as usize],
            Gate::Not { a, .. } => mask[a as usize],
            Gate::Const { .. } => 0,
        };
        mask[g.output() as usize] = m;
    }
    c.outputs
        .iter()
        .map(|o| o.wires.iter().fold(0, |acc, &w| acc | mask[w as usize]))
        .collect()
}

fn party_name(mask: u8) -> &'static str {
    if mask == GARBLER {
        "garbler"
    } else {
        "evaluator"
    }
}

/// The warnings for `c`'s outputs: one per output that depends on no input,
/// or on one party's input only while the other party has input bits.
/// `span_of` gives where an output is declared; outputs whose names start
/// with `_` are not reported.
pub fn warnings(c: &Circuit, span_of: impl Fn(&str) -> Span) -> Vec<Error> {
    let supplied = c
        .inputs
        .iter()
        .filter(|i| !i.wires.is_empty())
        .fold(0, |acc, i| acc | bit(i.party));
    let mut out = Vec::new();
    for (o, deps) in c.outputs.iter().zip(output_parties(c)) {
        if o.name.starts_with('_') {
            continue;
        }
        let n = &o.name;
        let allow = allow_hint(n);
        if deps == 0 {
            out.push(
                Error::warn(span_of(n), format!("output `{n}` depends on no input"))
                    .label("a constant")
                    .hint(format!(
                        "both parties can compute it without running the circuit; {allow}"
                    )),
            );
        } else if deps != GARBLER | EVALUATOR && supplied == GARBLER | EVALUATOR {
            let (who, other) = (party_name(deps), party_name(!deps & 3));
            out.push(
                Error::warn(
                    span_of(n),
                    format!("output `{n}` depends only on the {who}'s input"),
                )
                .label(format!("nothing of the {other}'s input reaches it"))
                .hint(format!(
                    "it reveals a function of the {who}'s data to the {other}, who adds nothing to it: the {who} could send it in the clear; {allow}"
                )),
            );
        }
    }
    out
}

/// How to say "this output is meant to be this way".
fn allow_hint(name: &str) -> String {
    if name == "out"
        || name
            .strip_prefix("out")
            .is_some_and(|d| d.parse::<u32>().is_ok())
    {
        format!("if that is intended, name the result with a leading `_`, e.g. `-> (_{name}: T, ..)` with the body's result a tuple")
    } else {
        format!("if that is intended, name it `_{name}`")
    }
}
