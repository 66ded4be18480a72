//! The gate IR: the one contract between the compiler and the runtime.
//!
//! A [`Circuit`] is a flat list of gates in topological order over numbered
//! wires. Every wire is written exactly once, either as an input bit or as the
//! output of one gate, before any gate reads it. Gates are XOR, AND, NOT and
//! public constants; that is all a garbled-circuit runtime needs (XOR and NOT
//! are free under free-XOR, AND costs two ciphertexts with half-gates).
//!
//! Inputs are named groups of wires tagged with the party that supplies them;
//! outputs are named groups of wires. Bit 0 of a group is the least significant
//! bit of the value. Each group carries a [`ValueType`] so that values can be
//! parsed and printed the way the user wrote them (signed, arrays, ...).
//!
//! This crate is the bottom of the dependency graph: the compiler (DSL,
//! optimizer, Bristol I/O) and the runtime both depend on it, and it on
//! neither. A runtime that executes a circuit gate by gate reads it through
//! [`GateSource`] (an in-memory [`Circuit`] via [`CircuitGates`], or the
//! compiler's windowed Bristol reader), so it never sees Bristol text.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod source;

pub use source::{CircuitGates, Deaths, GateSource, GateSourceError, WireHasher, WireMap, WireSet};

use serde::{Deserialize, Serialize};
use std::fmt;

/// A wire number. `u32` keeps a gate at 16 bytes, which matters when the
/// runtime walks hundreds of millions of gates per second.
pub type Wire = u32;

/// One gate. `#[repr(C, u8)]`-free plain enum: 16 bytes, no heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gate {
    /// `out = a ^ b`: free under free-XOR.
    Xor {
        /// First operand.
        a: Wire,
        /// Second operand.
        b: Wire,
        /// The wire written.
        out: Wire,
    },
    /// `out = a & b`: two ciphertexts with half-gates.
    And {
        /// First operand.
        a: Wire,
        /// Second operand.
        b: Wire,
        /// The wire written.
        out: Wire,
    },
    /// `out = !a`: free (XOR with the public constant 1).
    Not {
        /// The operand.
        a: Wire,
        /// The wire written.
        out: Wire,
    },
    /// `out = value`, a public constant known to both parties.
    Const {
        /// The constant bit.
        value: bool,
        /// The wire written.
        out: Wire,
    },
}

impl Gate {
    /// The wire this gate writes.
    pub fn output(&self) -> Wire {
        match *self {
            Gate::Xor { out, .. } | Gate::And { out, .. } | Gate::Not { out, .. } => out,
            Gate::Const { out, .. } => out,
        }
    }

    /// The wires this gate reads (zero, one or two).
    pub fn inputs(&self) -> impl Iterator<Item = Wire> {
        let (a, b) = match *self {
            Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => (Some(a), Some(b)),
            Gate::Not { a, .. } => (Some(a), None),
            Gate::Const { .. } => (None, None),
        };
        a.into_iter().chain(b)
    }
}

/// Who supplies an input group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Party {
    /// The party that garbles the circuit and sends its tables.
    Garbler,
    /// The party that evaluates the garbled circuit, getting its input
    /// labels by oblivious transfer.
    Evaluator,
}

impl Party {
    /// The lowercase name, as in serialized circuits and messages.
    pub fn name(self) -> &'static str {
        match self {
            Party::Garbler => "garbler",
            Party::Evaluator => "evaluator",
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the bits of a group are read as a value. Bits are laid out little-endian:
/// an integer's bit 0 first, an array's element 0 first, a tuple's field 0 first.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueType {
    /// A single bit.
    Bool,
    /// Unsigned integer of the given width in bits (Bristol groups are these).
    UInt(u32),
    /// Two's-complement signed integer of the given width in bits.
    SInt(u32),
    /// A fixed-length array: element type and length.
    Array(Box<ValueType>, u32),
    /// A tuple of the given field types, field 0 in the lowest bits.
    Tuple(Vec<ValueType>),
    /// A DSL `struct`: laid out like a tuple of its fields in declaration
    /// order; the names let values be read and printed by field name.
    Struct(Box<StructType>),
}

/// The name and fields of a [`ValueType::Struct`] (boxed: it is rare, and
/// keeps every other type small).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StructType {
    /// The struct's name in the source.
    pub name: String,
    /// Field names and types, in declaration order.
    pub fields: Vec<(String, ValueType)>,
}

impl ValueType {
    /// Number of bits a value of this type occupies. Saturates at
    /// `u64::MAX`: a type from an untrusted source (a deserialized circuit)
    /// may nest arrays of 2^32 elements, which no group can match in width.
    pub fn width(&self) -> u64 {
        match self {
            ValueType::Bool => 1,
            ValueType::UInt(w) | ValueType::SInt(w) => *w as u64,
            ValueType::Array(t, n) => t.width().saturating_mul(*n as u64),
            ValueType::Tuple(ts) => ts.iter().fold(0u64, |sum, t| sum.saturating_add(t.width())),
            ValueType::Struct(s) => s
                .fields
                .iter()
                .fold(0u64, |sum, (_, t)| sum.saturating_add(t.width())),
        }
    }
}

impl ValueType {
    /// The type written out in full: a struct with every field's name and
    /// type, nested structs too (`Rect { lo: Point { x: i16, y: i16 } }`).
    /// This is what the circuit id hashes, so that two structs of one name
    /// but other fields are different interfaces. For every other type it
    /// is the `Display` text.
    pub fn layout(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = self.write(&mut s, true);
        s
    }

    /// `full`: structs with their fields, else by name only.
    fn write(&self, f: &mut impl fmt::Write, full: bool) -> fmt::Result {
        match self {
            ValueType::Bool => f.write_str("bool"),
            ValueType::UInt(w) => write!(f, "u{w}"),
            ValueType::SInt(w) => write!(f, "i{w}"),
            ValueType::Array(t, n) => {
                f.write_str("[")?;
                t.write(f, full)?;
                write!(f, "; {n}]")
            }
            ValueType::Tuple(ts) => {
                f.write_str("(")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    t.write(f, full)?;
                }
                f.write_str(")")
            }
            ValueType::Struct(s) if !full => f.write_str(&s.name),
            ValueType::Struct(s) => {
                if s.fields.is_empty() {
                    return write!(f, "{} {{}}", s.name);
                }
                write!(f, "{} {{", s.name)?;
                for (i, (n, t)) in s.fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, " {n}: ")?;
                    t.write(f, true)?;
                }
                f.write_str(" }")
            }
        }
    }
}

/// Short: a struct by its name (see [`ValueType::layout`] for its fields).
impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

/// A named input group and the party that supplies it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// The group's name, unique among the circuit's inputs.
    pub name: String,
    /// The party that provides this group.
    pub party: Party,
    /// How the group's bits are read as a value; as wide as `wires`.
    pub ty: ValueType,
    /// `wires[k]` carries bit `k` of the value.
    pub wires: Vec<Wire>,
}

/// A named output group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    /// The group's name, unique among the circuit's outputs.
    pub name: String,
    /// How the group's bits are read as a value; as wide as `wires`.
    pub ty: ValueType,
    /// `wires[k]` carries bit `k` of the value. A wire may appear in several
    /// outputs, and an output may be an input wire directly.
    pub wires: Vec<Wire>,
}

/// A Boolean circuit in topological order with single-assignment wires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Circuit {
    /// The circuit's name (the DSL `circuit` name, or the Bristol file stem).
    pub name: String,
    /// Wires are numbered `0..num_wires`.
    pub num_wires: u32,
    /// Input groups; their wires are written before any gate runs.
    pub inputs: Vec<Input>,
    /// Output groups, read after all gates have run.
    pub outputs: Vec<Output>,
    /// The gates in topological order: each wire is written once, before it is read.
    pub gates: Vec<Gate>,
}

/// Why a circuit is not well formed. Every variant says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IrError {
    /// A wire number is not below `num_wires`.
    #[error("wire {wire} is out of range: the circuit has {num_wires} wires ({place})")]
    OutOfRange {
        /// The offending wire.
        wire: Wire,
        /// The circuit's wire count.
        num_wires: u32,
        /// Where it occurs, e.g. "gate 7" or "input `x`".
        place: String,
    },
    /// A gate or output reads a wire that nothing has written yet.
    #[error("wire {wire} is read by {place} before anything writes it")]
    ReadBeforeWrite {
        /// The wire read.
        wire: Wire,
        /// The reader, e.g. "gate 7" or "output `y`".
        place: String,
    },
    /// A wire is written twice, breaking single assignment.
    #[error("wire {wire} is written twice: by {first} and by {second}")]
    WrittenTwice {
        /// The wire written.
        wire: Wire,
        /// The first writer.
        first: String,
        /// The second writer.
        second: String,
    },
    /// A group's type is not as wide as its list of wires.
    #[error("{kind} group `{name}` has type {ty} ({width} bits) but {wires} wires")]
    WidthMismatch {
        /// "input" or "output".
        kind: &'static str,
        /// The group's name.
        name: String,
        /// The group's type.
        ty: ValueType,
        /// The type's width in bits.
        width: u64,
        /// The group's number of wires.
        wires: usize,
    },
    /// Two input groups, or two output groups, share a name.
    #[error("two {kind} groups are named `{name}`")]
    DuplicateName {
        /// "input" or "output".
        kind: &'static str,
        /// The shared name.
        name: String,
    },
}

/// Why a plaintext evaluation could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlainEvalError {
    /// The number of input bit vectors is not the number of input groups.
    #[error("the circuit takes {expected} input groups but {found} were given")]
    InputCount {
        /// The circuit's number of input groups.
        expected: usize,
        /// The number of bit vectors given.
        found: usize,
    },
    /// An input bit vector is not as wide as its group.
    #[error("input `{name}` takes {expected} bits but {found} were given")]
    InputWidth {
        /// The group's name.
        name: String,
        /// The group's width in bits.
        expected: usize,
        /// The length of the bit vector given.
        found: usize,
    },
}

/// Checks plaintext inputs against the input groups they are for: one bit
/// vector per group, each as wide as its group.
pub fn check_inputs(groups: &[Input], inputs: &[Vec<bool>]) -> Result<(), PlainEvalError> {
    if inputs.len() != groups.len() {
        return Err(PlainEvalError::InputCount {
            expected: groups.len(),
            found: inputs.len(),
        });
    }
    match groups
        .iter()
        .zip(inputs)
        .find(|(g, b)| g.wires.len() != b.len())
    {
        Some((g, b)) => Err(PlainEvalError::InputWidth {
            name: g.name.clone(),
            expected: g.wires.len(),
            found: b.len(),
        }),
        None => Ok(()),
    }
}

/// The figures `yao compile --emit stats` prints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Number of AND gates (each costs two ciphertexts).
    pub and: u64,
    /// Number of XOR gates.
    pub xor: u64,
    /// Number of NOT gates.
    pub not: u64,
    /// Number of constant gates.
    #[serde(rename = "const")]
    pub constants: u64,
    /// Number of wires (`Circuit::num_wires`).
    pub wires: u64,
    /// The largest number of AND gates on any path from an input to a wire.
    pub and_depth: u64,
    /// The largest number of wires alive at once (written and still to be read)
    /// when the gates run in order: the label memory a streaming runtime needs.
    pub peak_live_wires: u64,
    /// The input groups, in circuit order.
    pub inputs: Vec<GroupStats>,
    /// The output groups, in circuit order.
    pub outputs: Vec<GroupStats>,
    /// `Circuit::id()` in hex.
    pub id: String,
}

/// One input or output group in [`Stats`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupStats {
    /// The group's name.
    pub name: String,
    /// The party that provides an input group; `None` for an output group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Party>,
    /// The group's type written out (e.g. `u32`, `[i8; 4]`, a struct with
    /// its fields: [`ValueType::layout`]).
    #[serde(rename = "type")]
    pub ty: String,
    /// The group's width in bits.
    pub bits: u64,
}

/// The 32-byte circuit identity both parties compare in the handshake.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CircuitId(pub [u8; 32]);

impl CircuitId {
    /// The 64 lowercase hex digits of the id.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for CircuitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for CircuitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CircuitId({})", self.to_hex())
    }
}

/// A circuit with its id ([`Circuit::id`]). The id hashes every gate
/// (150 ms on a circuit of 12 M gates), so a party that runs sessions on
/// one circuit computes it once, or takes it from a loader that checked it
/// against the gates it read (a compiled file's stored id), and hands this
/// to each session instead of the bare circuit.
#[derive(Clone, Copy, Debug)]
pub struct Identified<'c> {
    circuit: &'c Circuit,
    id: CircuitId,
}

impl<'c> Identified<'c> {
    /// Computes the id of `circuit`.
    pub fn new(circuit: &'c Circuit) -> Identified<'c> {
        Identified {
            circuit,
            id: circuit.id(),
        }
    }

    /// For a holder that computed `id` with [`Circuit::id`] before, or
    /// loaded it from a file whose gates it was checked against, checked
    /// again in debug builds. A wrong id makes an honest peer refuse the
    /// handshake, or lets two different circuits meet: never pass an id
    /// that was not checked.
    #[doc(hidden)]
    pub fn trusted(circuit: &'c Circuit, id: CircuitId) -> Identified<'c> {
        debug_assert_eq!(circuit.id(), id);
        Identified { circuit, id }
    }

    /// The circuit.
    pub fn circuit(&self) -> &'c Circuit {
        self.circuit
    }

    /// Its id.
    pub fn id(&self) -> CircuitId {
        self.id
    }
}

impl<'c> From<&'c Circuit> for Identified<'c> {
    fn from(circuit: &'c Circuit) -> Identified<'c> {
        Identified::new(circuit)
    }
}

impl Circuit {
    /// Checks the invariants every consumer relies on: wires in range, each
    /// written once before it is read, group widths that match their types,
    /// unique group names. The compiler calls this before handing a circuit
    /// out, and the Bristol importer checks the same as it reads each wire;
    /// the runtime's planner calls it again, so it may index without bounds
    /// surprises.
    pub fn validate(&self) -> Result<(), IrError> {
        let n = self.num_wires;
        // One bit per wire, written or not: a fortieth of the memory a
        // writer per wire would take (this runs on every import and again
        // in the runtime's planner). Who wrote a wire is only looked up
        // for the error message.
        let mut written = Written(vec![0u64; (n as usize).div_ceil(64)]);
        let check_range = |wire: Wire, place: &dyn Fn() -> String| {
            if wire >= n {
                Err(IrError::OutOfRange {
                    wire,
                    num_wires: n,
                    place: place(),
                })
            } else {
                Ok(())
            }
        };
        let mut seen = std::collections::HashSet::new();
        for (k, input) in self.inputs.iter().enumerate() {
            if !seen.insert(input.name.as_str()) {
                return Err(IrError::DuplicateName {
                    kind: "input",
                    name: input.name.clone(),
                });
            }
            check_width("input", &input.name, &input.ty, input.wires.len())?;
            for (j, &w) in input.wires.iter().enumerate() {
                check_range(w, &|| format!("input `{}`", input.name))?;
                if written.set(w) {
                    return Err(IrError::WrittenTwice {
                        wire: w,
                        first: self.first_writer(w, k, j, 0),
                        second: format!("input `{}`", input.name),
                    });
                }
            }
        }
        for (i, gate) in self.gates.iter().enumerate() {
            let unreadable = |w: Wire| w >= n || !written.get(w);
            let out = match *gate {
                Gate::Xor { a, b, out } | Gate::And { a, b, out } => {
                    for w in [a, b] {
                        if unreadable(w) {
                            return Err(self.unreadable(w, &|| format!("gate {i}")));
                        }
                    }
                    out
                }
                Gate::Not { a, out } => {
                    if unreadable(a) {
                        return Err(self.unreadable(a, &|| format!("gate {i}")));
                    }
                    out
                }
                Gate::Const { out, .. } => out,
            };
            check_range(out, &|| format!("gate {i}"))?;
            if written.set(out) {
                return Err(IrError::WrittenTwice {
                    wire: out,
                    first: self.first_writer(out, self.inputs.len(), 0, i),
                    second: format!("gate {i}"),
                });
            }
        }
        let mut seen = std::collections::HashSet::new();
        for output in &self.outputs {
            if !seen.insert(output.name.as_str()) {
                return Err(IrError::DuplicateName {
                    kind: "output",
                    name: output.name.clone(),
                });
            }
            check_width("output", &output.name, &output.ty, output.wires.len())?;
            for &w in &output.wires {
                if w >= n || !written.get(w) {
                    return Err(self.unreadable(w, &|| format!("output `{}`", output.name)));
                }
            }
        }
        Ok(())
    }

    /// The checks of [`Circuit::validate`] that do not walk the gates:
    /// unique group names, widths that match the types, output wires in
    /// range. For loaders whose circuits are in canonical numbering (input
    /// bits `0..n` in order, then one wire per gate, as the compiler
    /// numbers them): there every wire is written before it is read once
    /// each gate reads only lower wires, which such a loader checks as it
    /// reads the gates (`compiled::from_bytes`), so this and that check
    /// together are `validate`, in one pass over the gates instead of two.
    pub fn validate_interface(&self) -> Result<(), IrError> {
        let mut seen = std::collections::HashSet::new();
        for input in &self.inputs {
            if !seen.insert(input.name.as_str()) {
                return Err(IrError::DuplicateName {
                    kind: "input",
                    name: input.name.clone(),
                });
            }
            check_width("input", &input.name, &input.ty, input.wires.len())?;
        }
        let mut seen = std::collections::HashSet::new();
        for output in &self.outputs {
            if !seen.insert(output.name.as_str()) {
                return Err(IrError::DuplicateName {
                    kind: "output",
                    name: output.name.clone(),
                });
            }
            check_width("output", &output.name, &output.ty, output.wires.len())?;
            if let Some(&wire) = output.wires.iter().find(|&&w| w >= self.num_wires) {
                return Err(IrError::OutOfRange {
                    wire,
                    num_wires: self.num_wires,
                    place: format!("output `{}`", output.name),
                });
            }
        }
        Ok(())
    }

    /// Why `validate` cannot read wire `w` at `place`: out of range, or not
    /// written yet.
    #[cold]
    fn unreadable(&self, w: Wire, place: &dyn Fn() -> String) -> IrError {
        if w >= self.num_wires {
            IrError::OutOfRange {
                wire: w,
                num_wires: self.num_wires,
                place: place(),
            }
        } else {
            IrError::ReadBeforeWrite {
                wire: w,
                place: place(),
            }
        }
    }

    /// Who first wrote wire `w`, for `validate`'s message when something
    /// writes it again: the first input group (before group `group`, bit
    /// `bit`) or gate (before gate `gate`) that lists it as its output.
    #[cold]
    fn first_writer(&self, w: Wire, group: usize, bit: usize, gate: usize) -> String {
        for (k, input) in self.inputs.iter().enumerate().take(group + 1) {
            let bits = if k == group {
                &input.wires[..bit]
            } else {
                &input.wires[..]
            };
            if bits.contains(&w) {
                return format!("input `{}`", input.name);
            }
        }
        match self.gates[..gate].iter().position(|g| g.output() == w) {
            Some(i) => format!("gate {i}"),
            None => "an earlier writer".into(),
        }
    }

    /// The input groups of one party, in order.
    pub fn inputs_of(&self, party: Party) -> impl Iterator<Item = &Input> {
        self.inputs.iter().filter(move |i| i.party == party)
    }

    /// Evaluates the circuit in the clear: the reference semantics every
    /// garbled execution is tested against. `inputs[k]` holds the bits of
    /// input group `k` (least significant first); the result holds the bits of
    /// each output group.
    pub fn eval_plain(&self, inputs: &[Vec<bool>]) -> Result<Vec<Vec<bool>>, PlainEvalError> {
        check_inputs(&self.inputs, inputs)?;
        let mut wires = vec![false; self.num_wires as usize];
        for (group, bits) in self.inputs.iter().zip(inputs) {
            for (&w, &bit) in group.wires.iter().zip(bits) {
                wires[w as usize] = bit;
            }
        }
        for gate in &self.gates {
            match *gate {
                Gate::Xor { a, b, out } => {
                    wires[out as usize] = wires[a as usize] ^ wires[b as usize]
                }
                Gate::And { a, b, out } => {
                    wires[out as usize] = wires[a as usize] & wires[b as usize]
                }
                Gate::Not { a, out } => wires[out as usize] = !wires[a as usize],
                Gate::Const { value, out } => wires[out as usize] = value,
            }
        }
        Ok(self
            .outputs
            .iter()
            .map(|o| o.wires.iter().map(|&w| wires[w as usize]).collect())
            .collect())
    }

    /// Gate counts, AND-depth, peak live wires and the circuit id.
    pub fn stats(&self) -> Stats {
        let (mut and, mut xor, mut not, mut constants) = (0, 0, 0, 0);
        let mut depth = vec![0u32; self.num_wires as usize];
        let mut and_depth = 0u32;
        for gate in &self.gates {
            let d = match *gate {
                Gate::Xor { a, b, .. } => {
                    xor += 1;
                    depth[a as usize].max(depth[b as usize])
                }
                Gate::And { a, b, .. } => {
                    and += 1;
                    depth[a as usize].max(depth[b as usize]) + 1
                }
                Gate::Not { a, .. } => {
                    not += 1;
                    depth[a as usize]
                }
                Gate::Const { .. } => {
                    constants += 1;
                    0
                }
            };
            depth[gate.output() as usize] = d;
            and_depth = and_depth.max(d);
        }
        let group = |name: &str, party: Option<Party>, ty: &ValueType| GroupStats {
            name: name.to_string(),
            party,
            ty: ty.layout(),
            bits: ty.width(),
        };
        Stats {
            and,
            xor,
            not,
            constants,
            wires: self.num_wires as u64,
            and_depth: and_depth as u64,
            peak_live_wires: self.peak_live_wires(),
            inputs: self
                .inputs
                .iter()
                .map(|i| group(&i.name, Some(i.party), &i.ty))
                .collect(),
            outputs: self
                .outputs
                .iter()
                .map(|o| group(&o.name, None, &o.ty))
                .collect(),
            id: self.id().to_hex(),
        }
    }

    /// The position of the last read of every wire: `gates.len()` for output
    /// wires (read at the end), `None` for wires nobody reads.
    pub fn last_use(&self) -> Vec<Option<u32>> {
        let mut last = vec![None; self.num_wires as usize];
        for (i, gate) in self.gates.iter().enumerate() {
            for w in gate.inputs() {
                last[w as usize] = Some(i as u32);
            }
        }
        let end = self.gates.len() as u32;
        for o in &self.outputs {
            for &w in &o.wires {
                last[w as usize] = Some(end);
            }
        }
        last
    }

    /// The largest number of wires alive at once when the gates run in order.
    /// Input wires are alive from the start; a wire dies after its last read.
    pub fn peak_live_wires(&self) -> u64 {
        let last = self.last_use();
        // deaths[i] = number of wires whose last read is gate i.
        let mut deaths = vec![0u32; self.gates.len() + 1];
        let mut live: i64 = 0;
        for input in &self.inputs {
            for &w in &input.wires {
                if let Some(l) = last[w as usize] {
                    deaths[l as usize] += 1;
                    live += 1;
                }
            }
        }
        let mut peak = live;
        for (i, gate) in self.gates.iter().enumerate() {
            let out = gate.output();
            if let Some(l) = last[out as usize] {
                deaths[l as usize] += 1;
                live += 1;
            }
            peak = peak.max(live);
            live -= deaths[i] as i64;
        }
        peak.max(0) as u64
    }

    /// The blake3 hash of a canonical encoding of everything that determines
    /// the computation and its interpretation: input and output names,
    /// parties, types, and the gates. Wires are renumbered canonically (input
    /// bits first, then gate outputs in order) before hashing, so the id does
    /// not depend on how a file happened to number its wires, nor on the
    /// circuit's name: two parties with the same id run the same function.
    pub fn id(&self) -> CircuitId {
        let mut canon = vec![u32::MAX; self.num_wires as usize];
        let mut next = 0u32;
        for w in self.inputs.iter().flat_map(|i| &i.wires) {
            canon[*w as usize] = next;
            next += 1;
        }
        for g in &self.gates {
            canon[g.output() as usize] = next;
            next += 1;
        }
        let c = |w: Wire| canon.get(w as usize).copied().unwrap_or(u32::MAX);
        let mut id = IdEncoder::new(&self.inputs, &self.outputs, c, self.gates.len() as u64);
        for g in &self.gates {
            id.gate(g, c);
        }
        id.finish()
    }
}

/// The one encoder of [`CircuitId`]s, fed in circuit order, so that a
/// circuit held whole ([`Circuit::id`]) and one read from a file gate by gate
/// (`bristol_windowed`) get the same id from the same bytes.
///
/// The encoding names every wire by its *canonical number*: input bits by
/// their position in the input groups, then gate outputs by gate position.
/// Wire numbering is thus irrelevant, and gate outputs are implied. Strings
/// and lists carry their lengths, so the encoding is unambiguous.
pub struct IdEncoder {
    hash: blake3::Hasher,
    /// Gates are hashed a few thousand at a time.
    buf: Vec<u8>,
}

/// Bytes of one gate in the id's encoding ([`encode_gate`]).
pub const ENCODED_GATE_BYTES: usize = 9;

/// One gate as the id encodes it: a tag (0 XOR, 1 AND, 2 NOT, 3 constant),
/// then two little-endian `u32`s: the canonical numbers of its inputs
/// (named by `canon`), a NOT's second 0, a constant's value and 0. The
/// output is implied (the next canonical number).
pub fn encode_gate(g: &Gate, mut canon: impl FnMut(Wire) -> u32) -> [u8; ENCODED_GATE_BYTES] {
    let (tag, a, b) = match *g {
        Gate::Xor { a, b, .. } => (0u8, canon(a), canon(b)),
        Gate::And { a, b, .. } => (1, canon(a), canon(b)),
        Gate::Not { a, .. } => (2, canon(a), 0),
        Gate::Const { value, .. } => (3, value as u32, 0),
    };
    let mut r = [0u8; ENCODED_GATE_BYTES];
    r[0] = tag;
    r[1..5].copy_from_slice(&a.to_le_bytes());
    r[5..9].copy_from_slice(&b.to_le_bytes());
    r
}
const GATES_PER_UPDATE: usize = 4096;

impl IdEncoder {
    /// Starts an id with the circuit's interface: its input groups (whose
    /// bits are numbered by position), its output groups (`canon` gives the
    /// canonical number of each output wire) and its gate count.
    pub fn new(
        inputs: &[Input],
        outputs: &[Output],
        canon: impl Fn(Wire) -> u32,
        gates: u64,
    ) -> IdEncoder {
        let mut id = IdEncoder {
            hash: blake3::Hasher::new(),
            buf: Vec::with_capacity(ENCODED_GATE_BYTES * GATES_PER_UPDATE),
        };
        id.hash.update(b"yao-circuit-v1\0");
        id.len(inputs.len());
        let mut next = 0u32;
        for i in inputs {
            id.str(&i.name);
            id.hash.update(&[i.party as u8]);
            id.str(&i.ty.layout());
            id.len(i.wires.len());
            for _ in &i.wires {
                id.hash.update(&next.to_le_bytes());
                next += 1;
            }
        }
        id.len(outputs.len());
        for o in outputs {
            id.str(&o.name);
            id.str(&o.ty.layout());
            id.len(o.wires.len());
            for &w in &o.wires {
                id.hash.update(&canon(w).to_le_bytes());
            }
        }
        id.hash.update(&gates.to_le_bytes());
        id
    }

    fn len(&mut self, n: usize) {
        self.hash.update(&(n as u64).to_le_bytes());
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.hash.update(s.as_bytes());
    }

    /// Gates already encoded, whole records of the encoding in circuit
    /// order: a compiled file stores its gates in exactly this form
    /// (`compiled`), so its id is one hash of the bytes as they lie.
    pub fn encoded_gates(&mut self, records: &[u8]) {
        debug_assert_eq!(records.len() % ENCODED_GATE_BYTES, 0);
        self.hash.update(&self.buf);
        self.buf.clear();
        self.hash.update(records);
    }

    /// The next gate, its inputs named by `canon`.
    pub fn gate(&mut self, g: &Gate, canon: impl FnMut(Wire) -> u32) {
        self.buf.extend_from_slice(&encode_gate(g, canon));
        if self.buf.len() >= ENCODED_GATE_BYTES * GATES_PER_UPDATE {
            self.hash.update(&self.buf);
            self.buf.clear();
        }
    }

    /// The id, once every gate has been fed.
    pub fn finish(mut self) -> CircuitId {
        self.hash.update(&self.buf);
        CircuitId(*self.hash.finalize().as_bytes())
    }
}

/// A circuit known to pass [`Circuit::validate`]: checked by
/// [`ValidCircuit::new`], or built by an importer that checks the same as it
/// reads (the compiler's `bristol::parse_valid`). It derefs to the circuit but
/// cannot be changed, so a consumer (the runtime's planner) may skip checking
/// it again; [`ValidCircuit::into_inner`] gives the circuit back to edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidCircuit(Circuit);

impl ValidCircuit {
    /// Validates `circuit`.
    pub fn new(circuit: Circuit) -> Result<ValidCircuit, IrError> {
        circuit.validate()?;
        Ok(ValidCircuit(circuit))
    }

    /// For the importers that check the invariants themselves as they read
    /// (the compiler's Bristol importer), checked again in debug builds. A
    /// circuit that breaks them anyway makes its consumers refuse it or
    /// panic, not misbehave silently: nothing relies on them for memory
    /// safety.
    #[doc(hidden)]
    pub fn trusted(circuit: Circuit) -> ValidCircuit {
        debug_assert_eq!(circuit.validate(), Ok(()));
        ValidCircuit(circuit)
    }

    /// The circuit back, to edit (it must be validated again after).
    pub fn into_inner(self) -> Circuit {
        self.0
    }
}

impl std::ops::Deref for ValidCircuit {
    type Target = Circuit;

    fn deref(&self) -> &Circuit {
        &self.0
    }
}

impl AsRef<Circuit> for ValidCircuit {
    fn as_ref(&self) -> &Circuit {
        &self.0
    }
}

impl TryFrom<Circuit> for ValidCircuit {
    type Error = IrError;

    fn try_from(circuit: Circuit) -> Result<ValidCircuit, IrError> {
        ValidCircuit::new(circuit)
    }
}

/// One bit per wire: written yet or not.
struct Written(Vec<u64>);

impl Written {
    #[inline(always)]
    fn get(&self, w: Wire) -> bool {
        self.0[w as usize / 64] >> (w % 64) & 1 == 1
    }

    /// Marks `w` written; whether it already was.
    #[inline(always)]
    fn set(&mut self, w: Wire) -> bool {
        let word = &mut self.0[w as usize / 64];
        let was = *word >> (w % 64) & 1 == 1;
        *word |= 1 << (w % 64);
        was
    }
}

fn check_width(
    kind: &'static str,
    name: &str,
    ty: &ValueType,
    wires: usize,
) -> Result<(), IrError> {
    if ty.width() != wires as u64 {
        return Err(IrError::WidthMismatch {
            kind,
            name: name.to_string(),
            ty: ty.clone(),
            width: ty.width(),
            wires,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// out = (a & b) ^ !a over two 1-bit inputs.
    fn tiny() -> Circuit {
        Circuit {
            name: "tiny".into(),
            num_wires: 5,
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
                    ty: ValueType::Bool,
                    wires: vec![1],
                },
            ],
            outputs: vec![Output {
                name: "out".into(),
                ty: ValueType::Bool,
                wires: vec![4],
            }],
            gates: vec![
                Gate::And { a: 0, b: 1, out: 2 },
                Gate::Not { a: 0, out: 3 },
                Gate::Xor { a: 2, b: 3, out: 4 },
            ],
        }
    }

    #[test]
    fn eval_plain_truth_table() {
        let c = tiny();
        c.validate().unwrap();
        for a in [false, true] {
            for b in [false, true] {
                let out = c.eval_plain(&[vec![a], vec![b]]).unwrap();
                assert_eq!(out, vec![vec![(a & b) ^ !a]]);
            }
        }
    }

    #[test]
    fn stats_count_and_depth_and_liveness() {
        let s = tiny().stats();
        assert_eq!((s.and, s.xor, s.not, s.wires, s.and_depth), (1, 1, 1, 5, 1));
        // a, b live; +and out (3 live) -> b dies; +not (3 live) -> a, 2, 3 die.
        assert_eq!(s.peak_live_wires, 3);
    }

    #[test]
    fn id_changes_with_any_gate() {
        let a = tiny();
        let mut b = tiny();
        b.gates[2] = Gate::And { a: 2, b: 3, out: 4 };
        assert_ne!(a.id(), b.id());
        assert_eq!(a.id(), tiny().id());
    }

    #[test]
    fn validate_reports_each_defect() {
        let mut c = tiny();
        c.gates[0] = Gate::And { a: 0, b: 3, out: 2 };
        assert!(matches!(
            c.validate(),
            Err(IrError::ReadBeforeWrite { wire: 3, .. })
        ));
        let mut c = tiny();
        c.gates[1] = Gate::Not { a: 0, out: 2 };
        assert!(matches!(
            c.validate(),
            Err(IrError::WrittenTwice { wire: 2, .. })
        ));
        let mut c = tiny();
        c.gates[1] = Gate::Not { a: 9, out: 3 };
        assert!(matches!(
            c.validate(),
            Err(IrError::OutOfRange { wire: 9, .. })
        ));
        let mut c = tiny();
        c.outputs[0].ty = ValueType::UInt(2);
        assert!(matches!(c.validate(), Err(IrError::WidthMismatch { .. })));
    }

    #[test]
    fn valid_circuits_are_checked_once() {
        let v = ValidCircuit::new(tiny()).unwrap();
        assert_eq!(v.gates.len(), 3);
        assert_eq!(v.into_inner(), tiny());
        let mut bad = tiny();
        bad.gates[0] = Gate::And { a: 0, b: 3, out: 2 };
        assert!(matches!(
            ValidCircuit::try_from(bad),
            Err(IrError::ReadBeforeWrite { wire: 3, .. })
        ));
    }

    #[test]
    fn eval_rejects_wrong_widths() {
        let c = tiny();
        assert!(matches!(
            c.eval_plain(&[vec![true]]),
            Err(PlainEvalError::InputCount { .. })
        ));
        assert!(matches!(
            c.eval_plain(&[vec![true, false], vec![true]]),
            Err(PlainEvalError::InputWidth { .. })
        ));
    }
}
