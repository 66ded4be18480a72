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
//! magic     6 bytes  "YAOC\0" and the format version (1)
//! id       32 bytes  Circuit::id() of the circuit
//! header    u32 n, then n bytes of JSON: {name, num_wires, inputs, outputs}
//! gates     u64 count, then count records of 13 bytes:
//!           op (0 XOR, 1 AND, 2 NOT, 3 CONST), a, b, out (u32 each);
//!           NOT leaves b 0, CONST stores its value in a and leaves b 0
//! ```
//!
//! Every length is checked against the bytes actually there before anything
//! is allocated, and the circuit is validated after loading, so a hostile
//! file costs at most its own size in memory and gets a clear error.

use crate::ir::{Circuit, CircuitId, Gate, Input, IrError, Output, ValidCircuit};
use serde::{Deserialize, Serialize};

/// The first bytes of every compiled circuit: "YAOC", a zero, the version.
pub const MAGIC: [u8; 6] = *b"YAOC\x00\x01";

/// The file extension `yao compile --emit compiled` suggests.
pub const EXTENSION: &str = "yaoc";

const GATE_BYTES: usize = 13;

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
    /// Bytes after the last gate.
    #[error("{extra} bytes follow the last gate")]
    Trailing {
        /// How many.
        extra: usize,
    },
    /// The header is not the JSON it should be.
    #[error("the header is damaged")]
    Header(#[source] serde_json::Error),
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
    num_wires: u32,
    inputs: Vec<Input>,
    outputs: Vec<Output>,
}

/// Whether `bytes` start like a compiled circuit (of any version).
pub fn is_compiled(bytes: &[u8]) -> bool {
    bytes.len() >= 5 && bytes[..5] == MAGIC[..5]
}

/// The compiled form of `circuit`.
pub fn to_bytes(circuit: &Circuit) -> Vec<u8> {
    let header = serde_json::to_vec(&Header {
        name: circuit.name.clone(),
        num_wires: circuit.num_wires,
        inputs: circuit.inputs.clone(),
        outputs: circuit.outputs.clone(),
    })
    .expect("a header serializes");
    let mut out =
        Vec::with_capacity(6 + 32 + 4 + header.len() + 8 + GATE_BYTES * circuit.gates.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&circuit.id().0);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&(circuit.gates.len() as u64).to_le_bytes());
    for g in &circuit.gates {
        let (op, a, b, o) = match *g {
            Gate::Xor { a, b, out } => (0u8, a, b, out),
            Gate::And { a, b, out } => (1, a, b, out),
            Gate::Not { a, out } => (2, a, 0, out),
            Gate::Const { value, out } => (3, value as u32, 0, out),
        };
        out.push(op);
        out.extend_from_slice(&a.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
        out.extend_from_slice(&o.to_le_bytes());
    }
    out
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
    let header_len = r.u32("header length")? as usize;
    let header: Header =
        serde_json::from_slice(r.take(header_len, "header")?).map_err(CompiledError::Header)?;
    let count = r.u64("gate count")?;
    let left = bytes.len() - r.at;
    // Checked before allocating: the count must match the bytes there.
    let want = usize::try_from(count)
        .ok()
        .and_then(|c| c.checked_mul(GATE_BYTES));
    match want {
        Some(w) if w <= left => {
            if w < left {
                return Err(CompiledError::Trailing { extra: left - w });
            }
        }
        _ => {
            return Err(CompiledError::Truncated {
                part: "gates",
                offset: bytes.len(),
            })
        }
    }
    let gates = r.bytes[r.at..]
        .chunks_exact(GATE_BYTES)
        .enumerate()
        .map(|(i, g)| {
            let word = |k: usize| u32::from_le_bytes(g[k..k + 4].try_into().unwrap());
            let (a, b, out) = (word(1), word(5), word(9));
            match g[0] {
                0 => Ok(Gate::Xor { a, b, out }),
                1 => Ok(Gate::And { a, b, out }),
                2 if b == 0 => Ok(Gate::Not { a, out }),
                3 if b == 0 && a <= 1 => Ok(Gate::Const { value: a == 1, out }),
                op => Err(CompiledError::UnknownGate {
                    index: i as u64,
                    op,
                }),
            }
        })
        .collect::<Result<Vec<Gate>, _>>()?;
    let circuit = Circuit {
        name: header.name,
        num_wires: header.num_wires,
        inputs: header.inputs,
        outputs: header.outputs,
        gates,
    };
    let valid = ValidCircuit::new(circuit).map_err(CompiledError::Invalid)?;
    let computed = valid.id();
    if computed != stored {
        return Err(CompiledError::IdMismatch {
            stored: stored.to_hex(),
            computed: computed.to_hex(),
        });
    }
    Ok(valid)
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn round_trip_keeps_names_types_gates_and_id() {
        let c = sample();
        let bytes = to_bytes(&c);
        assert!(is_compiled(&bytes));
        let back = from_bytes(&bytes).unwrap();
        assert_eq!(*back, c);
        assert_eq!(back.id(), c.id());
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
        let gates_at = bytes.len() - GATE_BYTES * sample().gates.len();
        // Each byte of the first gates flipped: a clear error every time.
        for i in gates_at..gates_at + 4 * GATE_BYTES {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            assert!(from_bytes(&bad).is_err(), "flip at {i} accepted");
        }
        let mut bad = bytes.clone();
        bad[5] = 9;
        assert_eq!(
            from_bytes(&bad).unwrap_err().report(),
            "compiled with format version 9; this Yao reads version 1: compile the source again"
        );
        // A gate count far beyond the file allocates nothing.
        let mut bad = bytes.clone();
        bad[gates_at - 8..gates_at].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(
            from_bytes(&bad),
            Err(CompiledError::Truncated { part: "gates", .. })
        ));
        // An operation byte that names no gate.
        let mut bad = bytes.clone();
        bad[gates_at] = 7;
        assert!(matches!(
            from_bytes(&bad),
            Err(CompiledError::UnknownGate { index: 0, op: 7 })
        ));
    }
}
