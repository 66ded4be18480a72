//! The gates lowering emits, checked and measured on their way to the
//! caller's sink, so that a circuit streamed to a file gets the same
//! validation and the same dependence warnings as one held whole.
//!
//! The builder numbers wires canonically (input bits `0..n` in order, then
//! gate `i` writes wire `n + i`). In that numbering a circuit is valid iff
//! every gate reads only wires below its own and the interface is valid
//! ([`Circuit::validate_interface`]): the same argument as the compiled
//! loader's (`compiled::from_bytes`), checked here gate by gate instead of
//! by [`Circuit::validate`] on a gate list that may not exist.

use super::dependence::Dependence;
use crate::ir::{Circuit, Gate, Input, Wire};
use crate::optimize::GateSink;

/// A [`GateSink`] that checks canonical numbering and tracks which
/// parties each wire depends on, then passes each gate on to `inner`.
pub(crate) struct Checking<S> {
    inner: S,
    deps: Dependence,
    /// The wire the next gate must write.
    next: Wire,
    /// The first thing found wrong (a compiler bug), for the diagnostic.
    fault: Option<String>,
}

impl<S> Checking<S> {
    pub(crate) fn new(inner: S) -> Checking<S> {
        Checking {
            inner,
            deps: Dependence::new(&[]),
            next: 0,
            fault: None,
        }
    }

    fn fault(&mut self, what: impl FnOnce() -> String) {
        if self.fault.is_none() {
            self.fault = Some(what());
        }
    }

    /// After the last gate, with the circuit's `interface` (its gates are
    /// not read): the sink and the parties each output depends on, or why
    /// the emitted circuit is not valid.
    pub(crate) fn verdict(mut self, interface: &Circuit) -> Result<(S, Vec<u8>), String> {
        if interface.num_wires != self.next {
            let (declared, written) = (interface.num_wires, self.next);
            self.fault(|| format!("it declares {declared} wires but writes {written}"));
        }
        if let Err(e) = interface.validate_interface() {
            self.fault(|| e.to_string());
        }
        match self.fault {
            Some(f) => Err(f),
            None => Ok((self.inner, self.deps.outputs(&interface.outputs))),
        }
    }
}

impl<S: GateSink> GateSink for Checking<S> {
    fn start(&mut self, inputs: &[Input], gates_at_least: usize) {
        for (k, &w) in inputs.iter().flat_map(|i| &i.wires).enumerate() {
            if w as usize != k {
                self.fault(|| format!("input bit {k} is wire {w}, not {k}"));
            }
            self.next = self.next.max(w.saturating_add(1));
        }
        self.deps = Dependence::new(inputs);
        self.inner.start(inputs, gates_at_least);
    }

    fn push(&mut self, gate: Gate) {
        let out = self.next;
        if gate.output() != out {
            let w = gate.output();
            self.fault(|| format!("gate writing wire {w} comes where wire {out} is due"));
        }
        if let Some(w) = gate.inputs().find(|&w| w >= out) {
            self.fault(|| format!("the gate writing wire {out} reads wire {w}, not written yet"));
        }
        self.deps.gate(&gate);
        self.inner.push(gate);
        self.next = out.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Output, Party, ValueType};

    fn interface(num_wires: Wire, output: Wire) -> Circuit {
        Circuit {
            name: "t".into(),
            num_wires,
            inputs: vec![Input {
                name: "x".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(2),
                wires: vec![0, 1],
            }],
            outputs: vec![Output {
                name: "out".into(),
                ty: ValueType::Bool,
                wires: vec![output],
            }],
            gates: Vec::new(),
        }
    }

    fn run(gates: &[Gate], num_wires: Wire) -> Result<(Vec<Gate>, Vec<u8>), String> {
        let i = interface(num_wires, num_wires.saturating_sub(1));
        let mut c = Checking::new(Vec::new());
        c.start(&i.inputs, gates.len());
        for &g in gates {
            c.push(g);
        }
        c.verdict(&i)
    }

    #[test]
    fn canonical_gates_pass_through_with_their_dependence() {
        let gates = [
            Gate::And { a: 0, b: 1, out: 2 },
            Gate::Const {
                value: true,
                out: 3,
            },
        ];
        let (passed, parties) = run(&gates[..1], 3).unwrap();
        assert_eq!(passed, gates[..1]);
        assert_eq!(parties, vec![1], "the garbler's bit");
        let (passed, parties) = run(&gates, 4).unwrap();
        assert_eq!(passed, gates);
        assert_eq!(parties, vec![0], "a constant depends on nobody");
    }

    /// Each way a gate stream can break canonical numbering is refused.
    #[test]
    fn broken_numbering_is_refused() {
        let reads_itself = [Gate::Xor { a: 0, b: 2, out: 2 }];
        assert!(run(&reads_itself, 3).unwrap_err().contains("reads wire 2"));
        let skips = [Gate::Not { a: 0, out: 3 }];
        assert!(run(&skips, 4).unwrap_err().contains("wire 2 is due"));
        let short = [Gate::Not { a: 0, out: 2 }];
        assert!(run(&short, 4).unwrap_err().contains("writes 3"));
        let mut i = interface(3, 2);
        i.inputs[0].wires = vec![1, 0];
        let mut c = Checking::new(Vec::new());
        c.start(&i.inputs, 1);
        c.push(Gate::And { a: 0, b: 1, out: 2 });
        assert!(c.verdict(&i).unwrap_err().contains("input bit 0 is wire 1"));
    }
}
