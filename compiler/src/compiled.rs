//! Compiled circuits on disk (`.yaoc`): what `yao compile X.yao --emit
//! compiled` writes and every command loads, so that a party never
//! recompiles the same source.
//!
//! Why a format of our own: a Bristol export loses the DSL's names and
//! types and is text (a 16x16 matrix product of u32 is 381 MB that take
//! seconds to parse); JSON is larger still. Here the gates are fixed-size
//! records read with no parsing to speak of, and the file carries the
//! circuit id, which the loader recomputes: a damaged or edited file is
//! refused by name, not run.
//!
//! Layout, all integers little-endian:
//!
//! ```text
//! magic     6 bytes  "YAOC\0" and the format version (2)
//! id       32 bytes  Circuit::id() of the circuit
//! gates     u64 count, then count records of 9 bytes, each gate exactly
//!           as the id encodes it (yao_ir::encode_gate): op (0 XOR, 1 AND,
//!           2 NOT, 3 CONST), then a and b (u32 each); NOT leaves b 0,
//!           CONST stores its value in a and leaves b 0
//! header    u32 n, then n bytes of JSON: {name, inputs, outputs}
//! ```
//!
//! Wires are in *canonical numbering*: input bits `0..n` in group order,
//! then gate `i` writes wire `n + i` (how the compiler numbers them, and
//! how the id names them). So no gate stores its output, a gate is valid
//! when it reads only wires below its own, and the gate records are the
//! very bytes the id hashes: loading is one pass over the file that hashes
//! and checks each block of records while it is in cache, with no second
//! walk to validate and none to renumber. A circuit numbered otherwise
//! (a Bristol import) is stored renumbered: same id, same function.
//!
//! Because the header follows the gates, the compiler can stream a circuit
//! into its file as it emits it ([`FileWriter`]), never holding the gate
//! list (`yao compile X.yao --emit compiled`).
//!
//! Every length is checked against the bytes actually there before anything
//! is allocated, so a hostile file costs at most its own size in memory
//! (about twice: a gate takes 16 bytes in memory) and gets a clear error.

use crate::ir::{
    encode_gate, Circuit, CircuitId, Gate, IdEncoder, Input, IrError, Output, ValidCircuit, Wire,
    ENCODED_GATE_BYTES,
};
use crate::optimize::GateSink;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

/// The first bytes of every compiled circuit: "YAOC", a zero, the version.
pub const MAGIC: [u8; 6] = *b"YAOC\x00\x02";

/// The file extension `yao compile --emit compiled` suggests.
pub const EXTENSION: &str = "yaoc";

const GATE_BYTES: usize = ENCODED_GATE_BYTES;

/// Gate records checked and hashed per block while they are in cache.
const BLOCK_GATES: usize = 4096;

/// Why bytes are not a compiled circuit.
#[derive(Debug, thiserror::Error)]
pub enum CompiledError {
    /// The file does not start with [`MAGIC`] (or an older version of it).
    #[error("not a compiled Yao circuit (it does not start with `YAOC`)")]
    NotCompiled,
    /// A compiled circuit of another format version.
    #[error("compiled with format version {found}; this Yao reads version {}: compile the source again", MAGIC[5])]
    Version {
        /// The file's version.
        found: u8,
    },
    /// The file ends inside a part.
    #[error("the file ends inside its {part} (at byte {offset}): it is cut short")]
    Truncated {
        /// Which part.
        part: &'static str,
        /// Where the file ends.
        offset: usize,
    },
    /// Bytes after the header.
    #[error("{extra} bytes follow the header")]
    Trailing {
        /// How many.
        extra: usize,
    },
    /// The header is not the JSON it should be.
    #[error("the header is damaged")]
    Header(#[source] serde_json::Error),
    /// The input wires are not `0, 1, 2, ...` in group order.
    #[error("the input wires are not numbered 0, 1, 2, ... in order (bit {bit} is wire {wire})")]
    Numbering {
        /// The position of the first input bit out of place.
        bit: usize,
        /// Its wire.
        wire: Wire,
    },
    /// More wires than a wire number can name.
    #[error("{inputs} input bits and {gates} gates are more wires than a circuit may have")]
    TooManyWires {
        /// Input bits.
        inputs: usize,
        /// Gates.
        gates: u64,
    },
    /// A gate record with an unknown operation.
    #[error("gate {index} has unknown operation {op}")]
    UnknownGate {
        /// The gate's number.
        index: u64,
        /// Its operation byte.
        op: u8,
    },
    /// The circuit is not well formed.
    #[error("the circuit is not well formed")]
    Invalid(#[source] IrError),
    /// The gates are not those the file was written with.
    #[error("the file is damaged: its circuit id is {computed}, but it was written as {stored}")]
    IdMismatch {
        /// The id in the file.
        stored: String,
        /// The id of what was read.
        computed: String,
    },
}

#[derive(Serialize, Deserialize)]
struct Header {
    name: String,
    inputs: Vec<Input>,
    outputs: Vec<Output>,
}

/// Whether `bytes` start like a compiled circuit (of any version).
pub fn is_compiled(bytes: &[u8]) -> bool {
    bytes.len() >= 5 && bytes[..5] == MAGIC[..5]
}

/// The canonical number of each wire of `circuit` (see the module docs),
/// or `None` if it is numbered canonically already.
fn renumbering(circuit: &Circuit) -> Option<Vec<Wire>> {
    let n_in: usize = circuit.inputs.iter().map(|i| i.wires.len()).sum();
    let canonical = circuit
        .inputs
        .iter()
        .flat_map(|i| &i.wires)
        .enumerate()
        .all(|(k, &w)| w as usize == k)
        && circuit
            .gates
            .iter()
            .enumerate()
            .all(|(i, g)| g.output() as usize == n_in + i)
        && circuit.num_wires as usize == n_in + circuit.gates.len();
    if canonical {
        return None;
    }
    let mut canon = vec![Wire::MAX; circuit.num_wires as usize];
    let writes = circuit
        .inputs
        .iter()
        .flat_map(|i| i.wires.iter().copied())
        .chain(circuit.gates.iter().map(Gate::output));
    for (k, w) in writes.enumerate() {
        canon[w as usize] = k as Wire;
    }
    Some(canon)
}

/// The compiled form of `circuit`, which must be valid
/// ([`Circuit::validate`]); its wires are stored renumbered canonically if
/// they are not already (see the module docs).
pub fn to_bytes(circuit: &Circuit) -> Vec<u8> {
    let renumber = renumbering(circuit);
    let canon = |w: Wire| match &renumber {
        Some(c) => c.get(w as usize).copied().unwrap_or(Wire::MAX),
        None => w,
    };
    let mut next: Wire = 0;
    let inputs: Vec<Input> = circuit
        .inputs
        .iter()
        .map(|i| {
            let first = next;
            next += i.wires.len() as Wire;
            Input {
                wires: (first..next).collect(),
                ..i.clone()
            }
        })
        .collect();
    let outputs: Vec<Output> = circuit
        .outputs
        .iter()
        .map(|o| Output {
            wires: o.wires.iter().map(|&w| canon(w)).collect(),
            ..o.clone()
        })
        .collect();
    let count = circuit.gates.len();
    let mut id = IdEncoder::new(&inputs, &outputs, |w| w, count as u64);
    let mut out = Vec::with_capacity(GATES_AT + GATE_BYTES * count);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[0; 32]); // the id, once the gates are written
    out.extend_from_slice(&(count as u64).to_le_bytes());
    for g in &circuit.gates {
        out.extend_from_slice(&encode_gate(g, canon));
    }
    id.encoded_gates(&out[GATES_AT..]);
    out[MAGIC.len()..GATES_AT - 8].copy_from_slice(&id.finish().0);
    out.extend_from_slice(&header(&circuit.name, inputs, outputs));
    out
}

/// The header part (see the module docs): its length, then its JSON.
fn header(name: &str, inputs: Vec<Input>, outputs: Vec<Output>) -> Vec<u8> {
    let name = name.to_string();
    let json = serde_json::to_vec(&Header {
        name,
        inputs,
        outputs,
    })
    .expect("a header serializes");
    [&(json.len() as u32).to_le_bytes()[..], &json].concat()
}

/// Where the gate records start: after the magic, the id and the count.
const GATES_AT: usize = MAGIC.len() + 32 + 8;

/// Gate records buffered per write, and hashed per read when the id is
/// computed: a few hundred KB, so the file costs no memory to speak of.
const WRITE_GATES: usize = 1 << 16;

/// A [`GateSink`] that writes a compiled circuit to a file as its gates
/// are made, for a circuit too large to hold twice (`yao compile --emit
/// compiled`). The bytes are exactly those of [`to_bytes`] for the same
/// circuit.
///
/// The gates go to `PATH.partial`, created when the first gate is due
/// ([`GateSink::start`]), after zeros where the id and the count will be;
/// [`FileWriter::finish`] writes the header, fills those in and renames
/// the file to `PATH`. A writer dropped unfinished (the program did not
/// compile) removes its partial file, so an error never clobbers or
/// leaves behind a file at `PATH`.
///
/// The id hashes the interface and the gate count *before* the gates
/// ([`IdEncoder::new`]), and neither is known until the last gate, so
/// `finish` hashes the records by reading them back: from the page cache,
/// a few hundred KB at a time.
///
/// The gates must come in canonical numbering (the compiler's; checked
/// by [`crate::lang::compile_file_into`] as they pass).
#[derive(Debug)]
pub struct FileWriter {
    path: PathBuf,
    partial: PathBuf,
    /// The partial file, once created; `None` again once renamed.
    file: Option<File>,
    /// Encoded records not yet written.
    buf: Vec<u8>,
    count: u64,
    /// The first write that failed: later gates are dropped, and
    /// `finish` returns it.
    error: Option<io::Error>,
}

impl FileWriter {
    /// A writer that will create (or replace) the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> FileWriter {
        let path = path.into();
        let mut partial = path.clone().into_os_string();
        partial.push(".partial");
        FileWriter {
            path,
            partial: partial.into(),
            file: None,
            buf: Vec::new(),
            count: 0,
            error: None,
        }
    }

    fn write_buffered(&mut self) {
        if let (Some(file), None) = (&mut self.file, &self.error) {
            if let Err(e) = file.write_all(&self.buf) {
                self.error = Some(e);
            }
        }
        self.buf.clear();
    }

    /// After the last gate, with the circuit's `interface` (its name, wire
    /// count, input and output groups; its gate list is not read): writes
    /// the header, then the id and the gate count, moves the file to its
    /// path and returns the id.
    pub fn finish(mut self, interface: &Circuit) -> io::Result<CircuitId> {
        self.write_buffered();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let Some(mut file) = self.file.take() else {
            return Err(io::Error::other("no circuit was emitted to write"));
        };
        let done = complete(&mut file, interface, self.count).and_then(|id| {
            drop(file);
            std::fs::rename(&self.partial, &self.path).map(|()| id)
        });
        if done.is_err() {
            let _ = std::fs::remove_file(&self.partial);
        }
        done
    }
}

/// Writes the header after `count` gate records, then the id and count
/// before them (see [`FileWriter`]).
fn complete(file: &mut File, interface: &Circuit, count: u64) -> io::Result<CircuitId> {
    let n_in = check_inputs(&interface.inputs).map_err(io::Error::other)?;
    if interface.num_wires as u64 != n_in as u64 + count {
        return Err(io::Error::other(format!(
            "the circuit declares {} wires, but {n_in} inputs and {count} gates were written",
            interface.num_wires
        )));
    }
    let inputs = interface.inputs.clone();
    let outputs = interface.outputs.clone();
    let mut id = IdEncoder::new(&inputs, &outputs, |w| w, count);
    file.write_all(&header(&interface.name, inputs, outputs))?;
    file.seek(SeekFrom::Start(GATES_AT as u64))?;
    let mut left = count * GATE_BYTES as u64;
    let mut block = vec![0u8; GATE_BYTES * WRITE_GATES];
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        file.read_exact(&mut block[..n])?;
        id.encoded_gates(&block[..n]);
        left -= n as u64;
    }
    let id = id.finish();
    file.seek(SeekFrom::Start(MAGIC.len() as u64))?;
    file.write_all(&id.0)?;
    file.write_all(&count.to_le_bytes())?;
    file.flush()?;
    Ok(id)
}

impl Drop for FileWriter {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

impl GateSink for FileWriter {
    fn start(&mut self, _inputs: &[Input], _gates_at_least: usize) {
        let created = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.partial);
        match created {
            Ok(file) => self.file = Some(file),
            Err(e) => self.error = Some(e),
        }
        self.buf = Vec::with_capacity(GATE_BYTES * WRITE_GATES);
        // The magic, then zeros where the id and the count will be.
        self.buf.extend_from_slice(&MAGIC);
        self.buf.resize(GATES_AT, 0);
    }

    fn push(&mut self, gate: Gate) {
        self.buf.extend_from_slice(&encode_gate(&gate, |w| w));
        self.count += 1;
        if self.buf.len() >= GATE_BYTES * WRITE_GATES {
            self.write_buffered();
        }
    }
}

/// A reader that names the part it was reading when the bytes ran out.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, part: &'static str) -> Result<&'a [u8], CompiledError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(CompiledError::Truncated {
            part,
            offset: self.bytes.len(),
        })?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u32(&mut self, part: &'static str) -> Result<u32, CompiledError> {
        Ok(u32::from_le_bytes(self.take(4, part)?.try_into().unwrap()))
    }

    fn u64(&mut self, part: &'static str) -> Result<u64, CompiledError> {
        Ok(u64::from_le_bytes(self.take(8, part)?.try_into().unwrap()))
    }
}

/// Reads a compiled circuit, validates it and checks its id.
pub fn from_bytes(bytes: &[u8]) -> Result<ValidCircuit, CompiledError> {
    if !is_compiled(bytes) {
        return Err(CompiledError::NotCompiled);
    }
    let mut r = Reader { bytes, at: 0 };
    let magic = r.take(MAGIC.len(), "magic")?;
    if magic[5] != MAGIC[5] {
        return Err(CompiledError::Version { found: magic[5] });
    }
    let stored = CircuitId(r.take(32, "circuit id")?.try_into().unwrap());
    let count = r.u64("gate count")?;
    // Checked before allocating: the count must match the bytes there.
    let records = usize::try_from(count)
        .ok()
        .and_then(|c| c.checked_mul(GATE_BYTES))
        .unwrap_or(usize::MAX);
    let records = r.take(records, "gates")?;
    let header_len = r.u32("header length")? as usize;
    let header: Header =
        serde_json::from_slice(r.take(header_len, "header")?).map_err(CompiledError::Header)?;
    if r.at < bytes.len() {
        return Err(CompiledError::Trailing {
            extra: bytes.len() - r.at,
        });
    }
    let n_in = check_inputs(&header.inputs)?;
    let num_wires = u32::try_from(n_in as u64 + count)
        .ok()
        .filter(|&n| n < Wire::MAX)
        .ok_or(CompiledError::TooManyWires {
            inputs: n_in,
            gates: count,
        })?;
    let mut id = IdEncoder::new(&header.inputs, &header.outputs, |w| w, count);
    let mut gates = Vec::with_capacity(count as usize);
    for block in records.chunks(GATE_BYTES * BLOCK_GATES) {
        id.encoded_gates(block);
        read_gates(block, n_in as Wire, num_wires, &mut gates)?;
    }
    let circuit = Circuit {
        name: header.name,
        num_wires,
        inputs: header.inputs,
        outputs: header.outputs,
        gates,
    };
    circuit
        .validate_interface()
        .map_err(CompiledError::Invalid)?;
    // Inputs `0..n` (checked above), each gate reading wires below its own
    // (checked as read), outputs in range: every wire is written once,
    // before it is read. That is `validate`.
    let valid = ValidCircuit::trusted(circuit);
    let computed = id.finish();
    if computed != stored {
        return Err(CompiledError::IdMismatch {
            stored: stored.to_hex(),
            computed: computed.to_hex(),
        });
    }
    Ok(valid)
}

/// The number of input bits, if their wires are `0..n` in group order.
fn check_inputs(inputs: &[Input]) -> Result<usize, CompiledError> {
    let wires = inputs.iter().flat_map(|i| &i.wires).enumerate();
    for (bit, &wire) in wires {
        if wire as usize != bit {
            return Err(CompiledError::Numbering { bit, wire });
        }
    }
    Ok(inputs.iter().map(|i| i.wires.len()).sum())
}

/// Decodes the gate records `block` onto `gates`, checking that each reads
/// only wires written before it (canonical numbering: below its own).
fn read_gates(
    block: &[u8],
    n_in: Wire,
    num_wires: u32,
    gates: &mut Vec<Gate>,
) -> Result<(), CompiledError> {
    for g in block.chunks_exact(GATE_BYTES) {
        let index = gates.len();
        // Below `num_wires`, which is below `Wire::MAX`: no overflow.
        let out = n_in + index as Wire;
        let word = |k: usize| u32::from_le_bytes(g[k..k + 4].try_into().unwrap());
        let (a, b) = (word(1), word(5));
        let gate = match g[0] {
            0 if a.max(b) < out => Gate::Xor { a, b, out },
            1 if a.max(b) < out => Gate::And { a, b, out },
            2 if a < out && b == 0 => Gate::Not { a, out },
            3 if b == 0 && a <= 1 => Gate::Const { value: a == 1, out },
            // A NOT's second word is 0: anything else is no gate we write.
            2 if b != 0 => {
                return Err(CompiledError::UnknownGate {
                    index: index as u64,
                    op: 2,
                })
            }
            0..=2 => {
                return Err(CompiledError::Invalid(unreadable(
                    a.max(b),
                    num_wires,
                    index,
                )))
            }
            op => {
                return Err(CompiledError::UnknownGate {
                    index: index as u64,
                    op,
                })
            }
        };
        gates.push(gate);
    }
    Ok(())
}

/// Why gate `index` cannot read wire `w`.
#[cold]
fn unreadable(w: Wire, num_wires: u32, index: usize) -> IrError {
    let place = format!("gate {index}");
    if w >= num_wires {
        IrError::OutOfRange {
            wire: w,
            num_wires,
            place,
        }
    } else {
        IrError::ReadBeforeWrite { wire: w, place }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Party, ValueType};
    use crate::Report;

    fn sample() -> Circuit {
        crate::lang::compile_str(
            "t",
            "circuit t(garbler a: u8, evaluator b: i8) -> (s: u8, n: bool, c: [u4; 2]) {
                 (a * (b as u8), !(a < 3), [1, a as u4])
             }",
        )
        .unwrap()
    }

    /// A file of `records` and `header` with the id they hash to, so that
    /// only the structural checks can refuse it.
    fn craft(header: &Header, records: &[[u8; GATE_BYTES]]) -> Vec<u8> {
        let mut id = IdEncoder::new(&header.inputs, &header.outputs, |w| w, records.len() as u64);
        id.encoded_gates(&records.concat());
        let json = serde_json::to_vec(header).unwrap();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&id.finish().0);
        out.extend_from_slice(&(records.len() as u64).to_le_bytes());
        out.extend_from_slice(&records.concat());
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        out
    }

    fn record(op: u8, a: u32, b: u32) -> [u8; GATE_BYTES] {
        let mut r = [op, 0, 0, 0, 0, 0, 0, 0, 0];
        r[1..5].copy_from_slice(&a.to_le_bytes());
        r[5..9].copy_from_slice(&b.to_le_bytes());
        r
    }

    /// Two one-bit inputs (wires 0 and 1) and one output reading `out`.
    fn header(out: Wire) -> Header {
        let input = |name: &str, party, wire| Input {
            name: name.into(),
            party,
            ty: ValueType::Bool,
            wires: vec![wire],
        };
        Header {
            name: "t".into(),
            inputs: vec![
                input("x", Party::Garbler, 0),
                input("y", Party::Evaluator, 1),
            ],
            outputs: vec![Output {
                name: "z".into(),
                ty: ValueType::Bool,
                wires: vec![out],
            }],
        }
    }

    /// Streamed into a file from the compiler, a circuit has the very bytes
    /// `to_bytes` gives for it compiled whole (so the same id), on
    /// programs with NOT and constant gates and with more gates than one
    /// write buffer holds.
    #[test]
    fn streaming_writes_the_bytes_to_bytes_writes() {
        let dir = tempfile::tempdir().unwrap();
        let programs = [
            "circuit t(garbler a: u8, evaluator b: i8) -> (s: u8, n: bool, c: [u4; 2]) {
                 (a * (b as u8), !(a < 3), [1, a as u4])
             }",
            // 70,000 gates and more: the write buffer is flushed midway.
            "circuit m(garbler a: [u32; 32], evaluator b: [u32; 32]) -> u32 {
                 let mut s: u32 = 0;
                 for i in 0..32 { s = s + a[i] * b[i]; }
                 s
             }",
            "circuit k(garbler a: bool) -> (_one: bool, x: bool) { (true, !a) }",
        ];
        for (i, text) in programs.iter().enumerate() {
            let src = dir.path().join(format!("p{i}.yao"));
            std::fs::write(&src, text).unwrap();
            let whole = crate::lang::compile_file(&src).unwrap();
            let out = dir.path().join(format!("p{i}.yaoc"));
            let lim = crate::lang::Limits::default();
            let streamed =
                crate::lang::compile_file_into(&src, lim, FileWriter::new(&out)).unwrap();
            assert!(streamed.interface.gates.is_empty());
            let id = streamed.gates.finish(&streamed.interface).unwrap();
            assert_eq!(id, whole.id(), "program {i}");
            assert_eq!(
                std::fs::read(&out).unwrap(),
                to_bytes(&whole),
                "program {i}"
            );
            if i == 1 {
                assert!(whole.gates.len() > WRITE_GATES, "{}", whole.gates.len());
            }
        }
        let partials = std::fs::read_dir(dir.path()).unwrap().filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .to_string_lossy()
                .ends_with(".partial")
        });
        assert_eq!(partials.count(), 0);
    }

    /// A program that does not compile leaves a file already at the path
    /// as it was, and no partial file, whether lowering ran or not.
    #[test]
    fn a_failed_compile_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("c.yaoc");
        std::fs::write(&out, b"old").unwrap();
        let bad = [
            // Lowering never runs.
            "circuit c(garbler a: u8) -> u8 { a + }",
            // Lowering runs (its gates go to the writer); another item is
            // wrong.
            "fn f() -> u8 { 1 }\nfn f() -> u8 { 2 }\ncircuit c(garbler a: u8) -> u8 { a + 1 }",
        ];
        for text in bad {
            let src = dir.path().join("c.yao");
            std::fs::write(&src, text).unwrap();
            let lim = crate::lang::Limits::default();
            assert!(crate::lang::compile_file_into(&src, lim, FileWriter::new(&out)).is_err());
            assert_eq!(std::fs::read(&out).unwrap(), b"old");
            assert!(!dir.path().join("c.yaoc.partial").exists());
        }
    }

    /// A writer that cannot create its file reports it at `finish`.
    #[test]
    fn an_unwritable_path_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("c.yao");
        std::fs::write(&src, "circuit c(garbler a: u8) -> u8 { a + 1 }").unwrap();
        let out = dir.path().join("no/such/dir/c.yaoc");
        let lim = crate::lang::Limits::default();
        let s = crate::lang::compile_file_into(&src, lim, FileWriter::new(&out)).unwrap();
        assert!(s.gates.finish(&s.interface).is_err());
        assert!(!out.exists());
    }

    #[test]
    fn round_trip_keeps_names_types_gates_and_id() {
        let c = sample();
        let bytes = to_bytes(&c);
        assert!(is_compiled(&bytes));
        let back = from_bytes(&bytes).unwrap();
        assert_eq!(*back, c);
        assert_eq!(back.id(), c.id());
        assert_eq!(bytes[6..38], c.id().0);
    }

    /// A circuit numbered otherwise (here: wires permuted, one unused) is
    /// stored renumbered: the same id and function, canonical numbers.
    #[test]
    fn other_numberings_are_stored_canonically() {
        let c = Circuit {
            name: "perm".into(),
            num_wires: 7,
            inputs: vec![Input {
                name: "x".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(2),
                wires: vec![5, 2],
            }],
            outputs: vec![Output {
                name: "z".into(),
                ty: ValueType::UInt(3),
                wires: vec![0, 6, 2],
            }],
            gates: vec![
                Gate::And { a: 2, b: 5, out: 6 },
                Gate::Not { a: 6, out: 3 },
                Gate::Xor { a: 3, b: 5, out: 0 },
            ],
        };
        c.validate().unwrap();
        let back = from_bytes(&to_bytes(&c)).unwrap();
        assert_eq!(back.id(), c.id());
        assert_eq!(back.num_wires, 5);
        assert_eq!(back.inputs[0].wires, [0, 1]);
        assert_eq!(back.outputs[0].wires, [4, 2, 1]);
        for x in 0..4u8 {
            let bits = vec![vec![x & 1 == 1, x & 2 == 2]];
            assert_eq!(
                back.eval_plain(&bits).unwrap(),
                c.eval_plain(&bits).unwrap()
            );
        }
    }

    #[test]
    fn every_cut_is_refused_by_part() {
        let bytes = to_bytes(&sample());
        for n in 0..bytes.len() {
            let err = from_bytes(&bytes[..n]).unwrap_err();
            assert!(
                matches!(
                    err,
                    CompiledError::NotCompiled | CompiledError::Truncated { .. }
                ),
                "cut at {n}: {}",
                err.report()
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(matches!(
            from_bytes(&long),
            Err(CompiledError::Trailing { extra: 1 })
        ));
    }

    #[test]
    fn damage_is_refused_never_run() {
        let bytes = to_bytes(&sample());
        // Each byte of the first gates flipped: a clear error every time.
        for i in GATES_AT..GATES_AT + 4 * GATE_BYTES {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(from_bytes(&bad).is_err(), "flip at {i} accepted");
        }
        let mut bad = bytes.clone();
        bad[5] = 9;
        assert_eq!(
            from_bytes(&bad).unwrap_err().report(),
            "compiled with format version 9; this Yao reads version 2: compile the source again"
        );
        // A gate count far beyond the file allocates nothing.
        let mut bad = bytes.clone();
        bad[GATES_AT - 8..GATES_AT].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            from_bytes(&bad),
            Err(CompiledError::Truncated { part: "gates", .. })
        ));
        // An operation byte that names no gate.
        let mut bad = bytes.clone();
        bad[GATES_AT] = 7;
        assert!(matches!(
            from_bytes(&bad),
            Err(CompiledError::UnknownGate { index: 0, op: 7 })
        ));
    }

    /// Random damage anywhere (bytes overwritten, cut, or spliced from
    /// another file) is an error, never a panic, or else harmless.
    #[test]
    fn random_damage_never_panics() {
        let good = to_bytes(&sample());
        let other = to_bytes(&Circuit {
            name: "n".into(),
            ..(*from_bytes(&craft(&header(2), &[record(1, 0, 1)])).unwrap()).clone()
        });
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as usize
        };
        for _ in 0..2000 {
            let mut bad = good.clone();
            for _ in 0..1 + next() % 4 {
                let at = next() % bad.len();
                bad[at] = next() as u8;
            }
            match next() % 3 {
                0 => bad.truncate(next() % bad.len()),
                1 => {
                    let at = next() % bad.len().min(other.len());
                    bad.splice(at.., other[at..].iter().copied());
                }
                _ => {}
            }
            // What loads (damage to the name, say) is what its id says.
            if let Ok(c) = from_bytes(&bad) {
                assert_eq!(c.id().0, bad[6..38]);
                c.validate().unwrap();
            }
        }
    }

    /// Files whose id matches what they hold, but what they hold is not a
    /// circuit: the structure is checked, not only the id.
    #[test]
    fn a_matching_id_does_not_make_a_bad_circuit_load() {
        let and = record(1, 0, 1);
        assert!(from_bytes(&craft(&header(2), &[and])).is_ok());
        let refused = |h: &Header, records: &[[u8; GATE_BYTES]]| {
            from_bytes(&craft(h, records)).unwrap_err().report()
        };
        // A gate reads its own wire, a later one, one past the end.
        assert!(refused(&header(3), &[and, record(0, 0, 3)])
            .contains("wire 3 is read by gate 1 before"));
        assert!(refused(&header(3), &[record(1, 2, 1), and])
            .contains("wire 2 is read by gate 0 before"));
        assert!(refused(&header(2), &[record(2, 9, 0)]).contains("wire 9 is out of range"));
        // Malformed NOT and constant records.
        assert!(refused(&header(2), &[record(2, 0, 1)]).contains("unknown operation 2"));
        assert!(refused(&header(2), &[record(3, 2, 0)]).contains("unknown operation 3"));
        // An output past the last wire; inputs not numbered 0, 1, ...
        assert!(refused(&header(3), &[and]).contains("wire 3 is out of range"));
        let mut h = header(2);
        h.inputs[1].wires = vec![2];
        assert!(refused(&h, &[and]).contains("bit 1 is wire 2"));
        // Interface checks: duplicate names, widths.
        let mut h = header(2);
        h.inputs[1].name = "x".into();
        assert!(refused(&h, &[and]).contains("not well formed"));
        let mut h = header(2);
        h.outputs[0].ty = ValueType::UInt(2);
        assert!(refused(&h, &[and]).contains("2 bits"));
    }
}
