//! Gates visited in order with their liveness: what a runtime that executes
//! a circuit window by window needs from it, whether the circuit is held in
//! memory ([`CircuitGates`]) or read from a file in passes (the compiler's
//! `bristol_windowed::WindowedBristol`).

use crate::{Circuit, CircuitId, Gate, Input, Output, Wire};
use std::collections::{HashMap, HashSet};

/// Which wires a gate reads for the last time, and whether anything reads
/// the wire it writes: 3 bits (a gate source may store them 4 bits a gate).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Deaths(u8);

impl Deaths {
    /// Bit of [`Deaths::a`] in [`Deaths::bits`].
    pub const A: u8 = 1;
    /// Bit of [`Deaths::b`] in [`Deaths::bits`].
    pub const B: u8 = 2;
    /// Bit of [`Deaths::unused`] in [`Deaths::bits`].
    pub const UNUSED: u8 = 4;

    /// From its bits ([`Deaths::A`], [`Deaths::B`], [`Deaths::UNUSED`]);
    /// other bits are dropped.
    #[inline]
    pub const fn from_bits(bits: u8) -> Deaths {
        Deaths(bits & (Self::A | Self::B | Self::UNUSED))
    }

    /// Its bits (see [`Deaths::from_bits`]).
    #[inline]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// This gate is the last reader of its first input.
    #[inline]
    pub fn a(self) -> bool {
        self.0 & Self::A != 0
    }

    /// This gate is the last reader of its second input (never set when
    /// both inputs are one wire: that wire's death is `a`).
    #[inline]
    pub fn b(self) -> bool {
        self.0 & Self::B != 0
    }

    /// Nothing reads the wire this gate writes (and it is no output).
    #[inline]
    pub fn unused(self) -> bool {
        self.0 & Self::UNUSED != 0
    }

    /// Whether this gate reads `w` for the last time.
    #[inline]
    pub fn kills(self, g: &Gate, w: Wire) -> bool {
        match *g {
            Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => {
                (self.a() && a == w) || (self.b() && b == w)
            }
            Gate::Not { a, .. } => self.a() && a == w,
            Gate::Const { .. } => false,
        }
    }
}

/// A fast hash for wire numbers (one multiplication, as FxHash), for the
/// maps of live wires that gate sources and the window planner update for
/// every gate: SipHash was a fifth of the streaming path's time. Wire
/// numbers come from the user's own circuit, not from the peer.
#[derive(Clone, Copy, Debug, Default)]
pub struct WireHasher(u64);

impl std::hash::Hasher for WireHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by wire numbers (see [`WireHasher`]).
pub type WireMap<V> = HashMap<Wire, V, std::hash::BuildHasherDefault<WireHasher>>;
/// A set of wire numbers (see [`WireHasher`]).
pub type WireSet = HashSet<Wire, std::hash::BuildHasherDefault<WireHasher>>;

/// Why a [`GateSource`] could not yield its gates (a file that could not be
/// read, or that changed since it was scanned): the source's own error,
/// boxed. It shows as that error, with that error's causes.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct GateSourceError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl GateSourceError {
    /// Wraps a gate source's error.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> GateSourceError {
        GateSourceError(Box::new(e))
    }

    /// The source's error, if it is an `E`.
    pub fn downcast_ref<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref()
    }

    /// The source's error.
    pub fn into_inner(self) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self.0
    }
}

/// A circuit as a runtime executes it gate by gate: its input and output
/// groups, and its gates in order, each with its [`Deaths`] (so that a
/// consumer drops a wire at its last read without a table indexed by wire).
///
/// Implemented by [`CircuitGates`] (a [`Circuit`] in memory) and by the
/// compiler's `WindowedBristol` (a Bristol file read in passes). Every
/// visit yields the same gates with the same deaths.
pub trait GateSource {
    /// The input groups; their wires are written before the first gate.
    fn inputs(&self) -> &[Input];

    /// The output groups.
    fn outputs(&self) -> &[Output];

    /// How many gates [`GateSource::for_each_gate`] yields.
    fn num_gates(&self) -> u64;

    /// Equal to [`Circuit::id`] of the same circuit.
    fn id(&self) -> CircuitId;

    /// Whether some gate reads input bit `w` (or it is an output bit).
    fn input_used(&self, w: Wire) -> bool;

    /// Calls `f` with every gate in order and its [`Deaths`]. Stops at the
    /// first error of `f`, or of the source itself.
    fn for_each_gate<E: From<GateSourceError>>(
        &self,
        f: impl FnMut(Gate, Deaths) -> Result<(), E>,
    ) -> Result<(), E>;
}

impl<S: GateSource + ?Sized> GateSource for &S {
    fn inputs(&self) -> &[Input] {
        (**self).inputs()
    }

    fn outputs(&self) -> &[Output] {
        (**self).outputs()
    }

    fn num_gates(&self) -> u64 {
        (**self).num_gates()
    }

    fn id(&self) -> CircuitId {
        (**self).id()
    }

    fn input_used(&self, w: Wire) -> bool {
        (**self).input_used(w)
    }

    fn for_each_gate<E: From<GateSourceError>>(
        &self,
        f: impl FnMut(Gate, Deaths) -> Result<(), E>,
    ) -> Result<(), E> {
        (**self).for_each_gate(f)
    }
}

/// A [`Circuit`] in memory as a [`GateSource`]: its gates with their
/// [`Deaths`], found by one backward pass (1 byte per gate, plus the set of
/// input bits something reads).
#[derive(Clone, Debug)]
pub struct CircuitGates<'a> {
    circuit: &'a Circuit,
    deaths: Vec<Deaths>,
    inputs_used: WireSet,
    id: CircuitId,
}

impl<'a> CircuitGates<'a> {
    /// Computes the liveness of `circuit`'s wires (and its id).
    pub fn new(circuit: &'a Circuit) -> CircuitGates<'a> {
        // Going backwards, the live wires are those read further down (or
        // outputs) whose writer has not been met yet: the first read met of
        // a wire is its last read.
        let mut live: WireSet = circuit
            .outputs
            .iter()
            .flat_map(|o| o.wires.iter().copied())
            .collect();
        let mut deaths = vec![Deaths::default(); circuit.gates.len()];
        for (g, d) in circuit.gates.iter().zip(deaths.iter_mut()).rev() {
            let mut bits = 0;
            if !live.remove(&g.output()) {
                bits |= Deaths::UNUSED;
            }
            match *g {
                Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => {
                    if live.insert(a) {
                        bits |= Deaths::A;
                    }
                    if live.insert(b) {
                        bits |= Deaths::B;
                    }
                }
                Gate::Not { a, .. } => {
                    if live.insert(a) {
                        bits |= Deaths::A;
                    }
                }
                Gate::Const { .. } => {}
            }
            *d = Deaths(bits);
        }
        CircuitGates {
            circuit,
            deaths,
            inputs_used: live,
            id: circuit.id(),
        }
    }

    /// The circuit.
    pub fn circuit(&self) -> &'a Circuit {
        self.circuit
    }

    /// The [`Deaths`] of every gate, in order.
    pub fn deaths(&self) -> &[Deaths] {
        &self.deaths
    }
}

impl GateSource for CircuitGates<'_> {
    fn inputs(&self) -> &[Input] {
        &self.circuit.inputs
    }

    fn outputs(&self) -> &[Output] {
        &self.circuit.outputs
    }

    fn num_gates(&self) -> u64 {
        self.circuit.gates.len() as u64
    }

    fn id(&self) -> CircuitId {
        self.id
    }

    fn input_used(&self, w: Wire) -> bool {
        self.inputs_used.contains(&w)
    }

    fn for_each_gate<E: From<GateSourceError>>(
        &self,
        mut f: impl FnMut(Gate, Deaths) -> Result<(), E>,
    ) -> Result<(), E> {
        for (&g, &d) in self.circuit.gates.iter().zip(&self.deaths) {
            f(g, d)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Party, ValueType};

    /// out = (a & b) ^ (a ^ a), with a dead NOT of b.
    fn circuit() -> Circuit {
        Circuit {
            name: "t".into(),
            num_wires: 7,
            inputs: vec![
                Input {
                    name: "a".into(),
                    party: Party::Garbler,
                    ty: ValueType::Bool,
                    wires: vec![0],
                },
                Input {
                    name: "b".into(),
                    party: Party::Evaluator,
                    ty: ValueType::UInt(2),
                    wires: vec![1, 5],
                },
            ],
            outputs: vec![Output {
                name: "out".into(),
                ty: ValueType::Bool,
                wires: vec![4],
            }],
            gates: vec![
                Gate::And { a: 0, b: 1, out: 2 },
                Gate::Not { a: 1, out: 6 },
                Gate::Xor { a: 0, b: 0, out: 3 },
                Gate::Xor { a: 2, b: 3, out: 4 },
            ],
        }
    }

    #[test]
    fn deaths_of_an_in_memory_circuit() {
        let c = circuit();
        let s = CircuitGates::new(&c);
        let d = |bits| Deaths::from_bits(bits);
        assert_eq!(
            s.deaths(),
            &[
                d(0),
                d(Deaths::A | Deaths::UNUSED),
                // One wire read twice: its death is `a`'s.
                d(Deaths::A),
                d(Deaths::A | Deaths::B),
            ]
        );
        assert!(s.input_used(0) && s.input_used(1) && !s.input_used(5));
        assert_eq!(s.num_gates(), 4);
        assert_eq!(s.id(), c.id());
        let mut seen = Vec::new();
        s.for_each_gate::<GateSourceError>(|g, d| {
            seen.push((g, d));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[1].0, c.gates[1]);
    }

    #[test]
    fn a_source_error_shows_as_itself() {
        let e = GateSourceError::new(std::io::Error::other("gone"));
        assert_eq!(e.to_string(), "gone");
        assert!(e.downcast_ref::<std::io::Error>().is_some());
    }
}
