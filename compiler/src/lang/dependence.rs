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
use crate::ir::{Circuit, Gate, Input, Output, Party, Wire};

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

/// The parties each wire depends on (a mask of [`GARBLER`] and
/// [`EVALUATOR`]), built one gate at a time in circuit order: a wire
/// depends on what its operands depend on. Structural, not semantic: a
/// wire such as `(x & y) ^ (x & y)` built so the optimizer does not fold
/// it would count as depending on both. Fed gate by gate so that a
/// circuit streamed to a file ([`super::compile_file_into`]) gets the same
/// warnings without its gates ever being held.
pub(crate) struct Dependence {
    mask: Vec<u8>,
}

impl Dependence {
    /// Before any gate: the input groups, with their wires.
    pub(crate) fn new(inputs: &[Input]) -> Dependence {
        let mut d = Dependence { mask: Vec::new() };
        for input in inputs {
            for &w in &input.wires {
                d.set(w, bit(input.party));
            }
        }
        d
    }

    fn set(&mut self, w: Wire, m: u8) {
        let w = w as usize;
        if w >= self.mask.len() {
            self.mask.resize(w + 1, 0);
        }
        self.mask[w] = m;
    }

    fn of(&self, w: Wire) -> u8 {
        self.mask.get(w as usize).copied().unwrap_or(0)
    }

    /// The next gate.
    pub(crate) fn gate(&mut self, g: &Gate) {
        let m = match *g {
            Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => self.of(a) | self.of(b),
            Gate::Not { a, .. } => self.of(a),
            Gate::Const { .. } => 0,
        };
        self.set(g.output(), m);
    }

    /// For each output group, the parties whose input bits reach it.
    pub(crate) fn outputs(&self, outputs: &[Output]) -> Vec<u8> {
        outputs
            .iter()
            .map(|o| o.wires.iter().fold(0, |acc, &w| acc | self.of(w)))
            .collect()
    }
}

fn party_name(mask: u8) -> &'static str {
    if mask == GARBLER {
        "garbler"
    } else {
        "evaluator"
    }
}

/// The warnings for the outputs of `c` (its interface: the gates are not
/// read), whose parties are `parties` ([`Dependence::outputs`]): one per
/// output that depends on no input, or on one party's input only while the
/// other party has input bits. `span_of` gives where an output is
/// declared; outputs whose names start with `_` are not reported.
pub(crate) fn warnings(c: &Circuit, parties: &[u8], span_of: impl Fn(&str) -> Span) -> Vec<Error> {
    let supplied = c
        .inputs
        .iter()
        .filter(|i| !i.wires.is_empty())
        .fold(0, |acc, i| acc | bit(i.party));
    let mut out = Vec::new();
    for (o, &deps) in c.outputs.iter().zip(parties) {
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
