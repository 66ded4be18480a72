//! Bristol files read as a stream of gates, for circuits larger than memory.
//!
//! [`crate::bristol::parse`] builds a whole [`crate::ir::Circuit`]: 16 bytes
//! per gate, plus 8 bytes per wire of importer scratch. A runtime that
//! garbles gate by gate needs none of that; it needs, for every gate, to know
//! which of the wires it reads are read again later (a label whose last
//! reader has run is dropped). A Bristol file does not say so: a wire's last
//! reader is only known once the whole file has been read. So a
//! [`WindowedBristol`] reads the file in passes, each in fixed-size chunks:
//!
//! 1. *Check*: reads every line forward (syntax, wiring, gate count), with
//!    one bit per declared wire (written yet?), dropped after the pass.
//! 2. *Liveness*: reads the gate lines *backwards*, keeping the set of wires
//!    that are read further down the file and whose writer has not been met
//!    yet: exactly the live wires. The first read met of a wire (going
//!    backwards) is its last read. That is recorded per gate, as
//!    [`Deaths`]: 4 bits per gate (2 gates a byte), kept in memory for
//!    circuits of up to [`ScanOptions::spill_above`] gates and otherwise in
//!    an unnamed temporary file, written backwards and read forwards a chunk
//!    at a time, so that memory does not grow with the gate count at all
//!    (besides one map entry per `EQW` line). A forward pass could not do
//!    this in less than a gate index per wire (4 bytes): when a gate reads
//!    wire `w`, only the rest of the file can tell whether it is the last
//!    read.
//! 3. *Id*: computes [`Circuit::id`](crate::ir::Circuit::id) of the same
//!    circuit without building it: the id numbers wires canonically (input
//!    bits, then gate outputs in order), and only the canonical numbers of
//!    live wires are needed at any point, so a map of the live wires does.
//!    A circuit whose outputs are `EQW` copies of earlier gates takes one
//!    more light pass first (the outputs are hashed before the gates).
//! 4. Any number of *gate* passes ([`WindowedBristol::for_each_gate`]), one
//!    per execution: the gates in order with their [`Deaths`], `EQW` copies
//!    resolved to their source as the importer does, `MAND` expanded to
//!    `AND`s.
//!
//! The scan refuses everything [`crate::bristol::parse`] refuses, with the
//! same messages where they can be had without per-wire line numbers, so a
//! malformed or truncated file is reported (with its line) before a single
//! gate is garbled. A file that changes between passes is reported as such
//! by the consumer of the gate pass ([`WindowedBristolError::Changed`]).

use crate::bristol::{
    arity_error, counted_list, eq_value, gate_counts, input_groups, mand_width, ordered,
    parties_of, syntax, unknown_gate, BitOrder, BristolError, Format, Lexer, Options,
    MAX_UNNAMED_WIRES, MAX_WIRES,
};
use crate::ir::{
    check_inputs, CircuitId, Gate, IdEncoder, Input, IrError, Output, Party, PlainEvalError,
    ValueType, Wire,
};
pub use crate::ir::{Deaths, WireHasher, WireMap, WireSet};
use crate::ir::{GateSource, GateSourceError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bytes read per chunk. Lines are handed to the lexer a chunk at a time.
const CHUNK: usize = 1 << 20;
/// The longest line accepted (a `MAND` line of about a million ANDs).
const MAX_LINE: usize = 1 << 26;

/// How a [`WindowedBristol`] keeps its bookkeeping.
#[derive(Clone, Copy, Debug)]
pub struct ScanOptions {
    /// Circuits of more gates than this keep their [`Deaths`] in an unnamed
    /// temporary file instead of memory (4 bits per gate either way).
    pub spill_above: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        // 2 MiB of deaths in memory at most.
        ScanOptions {
            spill_above: 1 << 22,
        }
    }
}

/// Bytes of deaths read or written at once when they are in a file.
const DEATH_CHUNK: usize = 1 << 16;

/// Where the deaths are: in memory or in an unnamed temporary file (Unix
/// only: the file is read and written at offsets, so that clones of a
/// circuit share it without a shared position).
#[derive(Clone, Debug)]
enum DeathStore {
    Memory(Vec<u8>),
    #[cfg(unix)]
    File(Arc<std::fs::File>),
}

fn temp_error(source: std::io::Error) -> WindowedBristolError {
    WindowedBristolError::Io {
        path: "a temporary file".into(),
        source,
    }
}

/// Reads deaths in gate order.
struct DeathReader<'a> {
    store: &'a DeathStore,
    buf: Vec<u8>,
    chunk: Option<u64>,
}

impl DeathReader<'_> {
    #[inline]
    fn get(&mut self, k: u64) -> Result<Deaths, WindowedBristolError> {
        let byte = k / 2;
        let b = match self.store {
            DeathStore::Memory(v) => v.get(byte as usize).copied().unwrap_or(0),
            #[cfg(unix)]
            DeathStore::File(f) => {
                let j = byte / DEATH_CHUNK as u64;
                if self.chunk != Some(j) {
                    use std::os::unix::fs::FileExt;
                    self.buf.resize(DEATH_CHUNK, 0);
                    let mut at = 0;
                    // A short read is the end of the file.
                    while at < DEATH_CHUNK {
                        let n = f
                            .read_at(&mut self.buf[at..], j * DEATH_CHUNK as u64 + at as u64)
                            .map_err(temp_error)?;
                        if n == 0 {
                            break;
                        }
                        at += n;
                    }
                    self.buf[at..].fill(0);
                    self.chunk = Some(j);
                }
                self.buf[(byte % DEATH_CHUNK as u64) as usize]
            }
        };
        Ok(Deaths::from_bits((b >> (4 * (k % 2))) & 0xf))
    }
}

/// Why a streamed Bristol file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum WindowedBristolError {
    #[error(transparent)]
    Bristol(#[from] BristolError),
    #[error("cannot read {path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("line {line}: the file is not UTF-8 text")]
    Utf8 { line: usize },
    #[error("line {line} is longer than {MAX_LINE} bytes")]
    LineTooLong { line: usize },
    #[error("the circuit file changed while it was being read: {0}")]
    Changed(String),
}

impl From<WindowedBristolError> for GateSourceError {
    fn from(e: WindowedBristolError) -> Self {
        GateSourceError::new(e)
    }
}

/// Why a streamed plaintext evaluation ([`WindowedBristol::eval_plain`])
/// failed.
#[derive(Debug, thiserror::Error)]
pub enum WindowedPlainEvalError {
    #[error(transparent)]
    Inputs(#[from] PlainEvalError),
    #[error(transparent)]
    Stream(#[from] WindowedBristolError),
}

/// Where the bytes come from: a file, read again on every pass, or bytes in
/// memory (tests, and small circuits made on the fly).
#[derive(Clone, Debug)]
enum Source {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

impl Source {
    fn open(&self) -> Result<Box<dyn Read + '_>, WindowedBristolError> {
        match self {
            Source::File(p) => std::fs::File::open(p)
                .map(|f| Box::new(f) as Box<dyn Read>)
                .map_err(|source| WindowedBristolError::Io {
                    path: p.display().to_string(),
                    source,
                }),
            Source::Bytes(b) => Ok(Box::new(&b[..])),
        }
    }

    fn name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Bytes(_) => "<memory>".into(),
        }
    }

    fn len(&self) -> Result<u64, WindowedBristolError> {
        match self {
            Source::File(p) => {
                std::fs::metadata(p)
                    .map(|m| m.len())
                    .map_err(|source| WindowedBristolError::Io {
                        path: p.display().to_string(),
                        source,
                    })
            }
            Source::Bytes(b) => Ok(b.len() as u64),
        }
    }

    /// A reader at any offset, for the backward pass.
    fn open_at(&self) -> Result<ReadAt<'_>, WindowedBristolError> {
        let len = self.len()?;
        let inner = match self {
            Source::File(p) => {
                At::File(
                    std::fs::File::open(p).map_err(|source| WindowedBristolError::Io {
                        path: p.display().to_string(),
                        source,
                    })?,
                )
            }
            Source::Bytes(b) => At::Bytes(b),
        };
        Ok(ReadAt {
            inner,
            len,
            name: self.name(),
        })
    }

    /// Calls `f` with the lexer on every line that has a token, in order
    /// (see [`Source::visit_chunks`]).
    fn visit_lines<E: From<WindowedBristolError>>(
        &self,
        mut f: impl FnMut(&Lexer) -> Result<(), E>,
    ) -> Result<(), E> {
        self.visit_chunks(|lex| {
            while lex.next_line() {
                f(lex)?;
            }
            Ok(())
        })
    }

    /// Calls `f` on every line that has a token, in order, as
    /// [`next_gate_line`] reads it: common gate lines with wires below
    /// `num_wires` without the lexer's tokens.
    fn visit_gate_lines<E: From<WindowedBristolError>>(
        &self,
        num_wires: u64,
        mut f: impl FnMut(Line) -> Result<(), E>,
    ) -> Result<(), E> {
        self.visit_chunks(|lex| {
            while let Some(line) = next_gate_line(lex, num_wires) {
                f(line)?;
            }
            Ok(())
        })
    }

    /// Calls `each` with a lexer over every chunk of whole lines, in order,
    /// reading [`CHUNK`] bytes at a time: memory stays at one chunk (or the
    /// longest line) whatever the file's size. The lexer numbers lines from
    /// the file's start.
    fn visit_chunks<E: From<WindowedBristolError>>(
        &self,
        mut each: impl FnMut(&mut Lexer) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut r = self.open()?;
        let io = |source| WindowedBristolError::Io {
            path: self.name(),
            source,
        };
        let mut buf = vec![0u8; CHUNK];
        let (mut start, mut end, mut line, mut eof) = (0usize, 0usize, 0usize, false);
        while !eof {
            if start > 0 {
                buf.copy_within(start..end, 0);
                end -= start;
                start = 0;
            }
            if end == buf.len() {
                if buf.len() >= MAX_LINE {
                    return Err(WindowedBristolError::LineTooLong { line: line + 1 }.into());
                }
                buf.resize(2 * buf.len(), 0);
            }
            let n = loop {
                match r.read(&mut buf[end..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(io(e).into()),
                }
            };
            eof = n == 0;
            end += n;
            // Whole lines only, unless the file ends without a line break.
            let upto = if eof {
                end
            } else {
                match buf[start..end].iter().rposition(|&b| b == b'\n') {
                    Some(p) => start + p + 1,
                    None => continue,
                }
            };
            let bytes = &buf[start..upto];
            let text = std::str::from_utf8(bytes).map_err(|e| WindowedBristolError::Utf8 {
                line: line
                    + 1
                    + bytes[..e.valid_up_to()]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count(),
            })?;
            let mut lex = Lexer::new(text);
            lex.line = line;
            each(&mut lex)?;
            line = lex.line;
            start = upto;
        }
        Ok(())
    }
}

/// A file or bytes read at given offsets.
struct ReadAt<'a> {
    inner: At<'a>,
    len: u64,
    name: String,
}

enum At<'a> {
    File(std::fs::File),
    Bytes(&'a [u8]),
}

impl ReadAt<'_> {
    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> Result<(), WindowedBristolError> {
        use std::io::{Seek, SeekFrom};
        let io = |source| WindowedBristolError::Io {
            path: self.name.clone(),
            source,
        };
        match &mut self.inner {
            At::File(f) => {
                f.seek(SeekFrom::Start(at)).map_err(io)?;
                f.read_exact(buf).map_err(io)
            }
            At::Bytes(b) => {
                let src = b
                    .get(at as usize..at as usize + buf.len())
                    .ok_or_else(|| WindowedBristolError::Changed("shorter than before".into()))?;
                buf.copy_from_slice(src);
                Ok(())
            }
        }
    }
}

/// What one gate line means: a gate of the IR (a `MAND` line is several), or
/// an `EQW` copy, which the IR has not (its destination becomes an alias of
/// its source, as in [`crate::bristol::parse`]).
#[derive(Clone, Copy, Debug)]
enum Item {
    /// A gate and its operation as the file spells it (`INV` or `NOT`, `AND`
    /// or `MAND`), for error messages that quote the file.
    Gate(Gate, &'static str),
    Copy {
        src: Wire,
        dst: Wire,
    },
}

/// One of the first three lines of a file.
struct HeaderLine {
    line: usize,
    numbers: Result<Vec<u64>, BristolError>,
    all_numeric: bool,
    text: String,
}

/// The header as [`crate::bristol::parse`] reads it.
#[derive(Clone, Debug)]
struct Header {
    num_gates: u64,
    num_wires: u64,
    format: Format,
    /// Header lines (with a token) before the first gate line.
    lines: usize,
    input_widths: Vec<u64>,
    output_widths: Vec<u64>,
}

/// A Bristol circuit that is read from its file on every use instead of
/// being held in memory (see the module docs).
#[derive(Clone, Debug)]
pub struct WindowedBristol {
    name: String,
    source: Source,
    header: Header,
    inputs: Vec<Input>,
    outputs: Vec<Output>,
    /// Gates of the IR (`MAND` expanded, `EQW` not counted).
    num_gates: u64,
    counts: [u64; 4],
    /// [`Deaths`] of gate `k` in the low (`k` even) or high half of byte
    /// `k / 2`.
    deaths: DeathStore,
    scan_options: ScanOptions,
    /// Input bits something reads (or that are outputs).
    inputs_used: WireSet,
    /// Gate lines (`EQW` lines included, a `MAND` line once).
    gate_lines: u64,
    /// `EQW` destinations and the wire each copies.
    aliases: WireMap<Wire>,
    id: CircuitId,
    peak_live: u64,
}

/// The figures of a streamed circuit (the counts of
/// [`crate::ir::Stats`] that need no AND-depth).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowedStats {
    pub gates: u64,
    pub and: u64,
    pub xor: u64,
    pub not: u64,
    pub constants: u64,
    pub wires: u64,
    pub peak_live_wires: u64,
    /// Heap bytes of the per-wire bookkeeping the streamed circuit keeps.
    pub bookkeeping_bytes: u64,
}

impl WindowedBristol {
    /// Scans the Bristol file at `path` (see the module docs); the circuit
    /// is named after the file stem, as the importer names it.
    pub fn open(path: &Path, options: &Options) -> Result<WindowedBristol, WindowedBristolError> {
        WindowedBristol::open_with(path, options, ScanOptions::default())
    }

    /// [`WindowedBristol::open`] with other [`ScanOptions`].
    pub fn open_with(
        path: &Path,
        options: &Options,
        scan: ScanOptions,
    ) -> Result<WindowedBristol, WindowedBristolError> {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "circuit".into());
        WindowedBristol::scan(name, Source::File(path.to_path_buf()), options, scan)
    }

    /// As [`WindowedBristol::open`] over Bristol text in memory.
    pub fn from_bytes(
        name: &str,
        bytes: impl Into<Arc<[u8]>>,
        options: &Options,
    ) -> Result<WindowedBristol, WindowedBristolError> {
        WindowedBristol::from_bytes_with(name, bytes, options, ScanOptions::default())
    }

    /// [`WindowedBristol::from_bytes`] with other [`ScanOptions`].
    pub fn from_bytes_with(
        name: &str,
        bytes: impl Into<Arc<[u8]>>,
        options: &Options,
        scan: ScanOptions,
    ) -> Result<WindowedBristol, WindowedBristolError> {
        WindowedBristol::scan(name.to_string(), Source::Bytes(bytes.into()), options, scan)
    }

    /// The input groups of the Bristol file at `path` from its header alone,
    /// without a pass over the gates: a party can check its input values
    /// against them before a long scan. They equal the
    /// [`WindowedBristol::inputs`] of the scanned file.
    pub fn read_inputs(path: &Path, options: &Options) -> Result<Vec<Input>, WindowedBristolError> {
        let (header, parties) = scan_header(&Source::File(path.to_path_buf()), options)?;
        Ok(input_groups(
            &header.input_widths,
            &parties,
            options.bit_order,
        ))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The input groups, as [`crate::bristol::parse`] makes them.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// The output groups (wires are the sources of `EQW` copies).
    pub fn outputs(&self) -> &[Output] {
        &self.outputs
    }

    /// Wires are numbered `0..num_wires`.
    pub fn num_wires(&self) -> u32 {
        self.header.num_wires as u32
    }

    /// Gates of the IR the gate pass yields.
    pub fn num_gates(&self) -> u64 {
        self.num_gates
    }

    /// Equal to [`Circuit::id`](crate::ir::Circuit::id) of the same file
    /// imported with the same options.
    pub fn id(&self) -> CircuitId {
        self.id
    }

    fn death_reader(&self) -> DeathReader<'_> {
        DeathReader {
            store: &self.deaths,
            buf: Vec::new(),
            chunk: None,
        }
    }

    /// Whether the deaths are in a temporary file rather than memory.
    pub fn spilled(&self) -> bool {
        !matches!(self.deaths, DeathStore::Memory(_))
    }

    /// Whether something reads input bit `w` (or it is an output).
    pub fn input_used(&self, w: Wire) -> bool {
        self.inputs_used.contains(&w)
    }

    pub fn stats(&self) -> WindowedStats {
        let [and, xor, not, constants] = self.counts;
        WindowedStats {
            gates: self.num_gates,
            and,
            xor,
            not,
            constants,
            wires: self.header.num_wires,
            peak_live_wires: self.peak_live,
            bookkeeping_bytes: (match &self.deaths {
                DeathStore::Memory(v) => v.capacity(),
                #[cfg(unix)]
                DeathStore::File(_) => 0,
            } + self.aliases.capacity() * 8
                + self.inputs_used.capacity() * 4) as u64,
        }
    }

    /// Evaluates the circuit in the clear, reading the file once more: the
    /// streamed [`crate::ir::Circuit::eval_plain`] (same inputs, same
    /// outputs), against which `yao run --stream` checks the two parties'
    /// outputs. Memory follows the live wires, as everywhere on this path:
    /// each wire's bit is dropped at its last read.
    pub fn eval_plain(
        &self,
        inputs: &[Vec<bool>],
    ) -> Result<Vec<Vec<bool>>, WindowedPlainEvalError> {
        check_inputs(&self.inputs, inputs)?;
        let mut live = WireMap::<bool>::default();
        for (group, bits) in self.inputs.iter().zip(inputs) {
            for (&w, &bit) in group.wires.iter().zip(bits) {
                if self.input_used(w) {
                    live.insert(w, bit);
                }
            }
        }
        let mut gate = 0u64;
        self.for_each_gate::<WindowedPlainEvalError>(|g, deaths| {
            let mut read = |w: Wire, last: bool| {
                let bit = if last {
                    live.remove(&w)
                } else {
                    live.get(&w).copied()
                };
                bit.ok_or_else(|| {
                    WindowedBristolError::Changed(format!(
                        "gate {gate} reads wire {w}, which is not live"
                    ))
                })
            };
            let bit = match g {
                // `b` is read first: when both inputs are one wire, its death is `a`'s.
                Gate::Xor { a, b, .. } => read(b, deaths.b())? ^ read(a, deaths.a())?,
                Gate::And { a, b, .. } => read(b, deaths.b())? & read(a, deaths.a())?,
                Gate::Not { a, .. } => !read(a, deaths.a())?,
                Gate::Const { value, .. } => value,
            };
            if !deaths.unused() {
                live.insert(g.output(), bit);
            }
            gate += 1;
            Ok(())
        })?;
        let bit = |w: &Wire| {
            live.get(w).copied().ok_or_else(|| {
                WindowedBristolError::Changed(format!("output wire {w} is not written"))
            })
        };
        Ok(self
            .outputs
            .iter()
            .map(|o| o.wires.iter().map(bit).collect::<Result<Vec<bool>, _>>())
            .collect::<Result<_, _>>()?)
    }

    /// Calls `f` with every gate in order (`EQW` sources resolved, `MAND`
    /// expanded) and its [`Deaths`], reading the file once more. Stops at the first error of
    /// `f`; a file that no longer matches its scan is
    /// [`WindowedBristolError::Changed`].
    pub fn for_each_gate<E: From<WindowedBristolError>>(
        &self,
        mut f: impl FnMut(Gate, Deaths) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut count = 0u64;
        let mut deaths = self.death_reader();
        self.visit_items::<E>(|item, _| {
            if let Item::Gate(g, _) = item {
                f(self.resolve_gate(g), deaths.get(count)?)?;
                count += 1;
            }
            Ok(())
        })?;
        if count != self.num_gates {
            return Err(WindowedBristolError::Changed(format!(
                "{count} gates now, {} when it was scanned",
                self.num_gates
            ))
            .into());
        }
        Ok(())
    }

    #[inline]
    fn resolve(&self, w: Wire) -> Wire {
        if self.aliases.is_empty() {
            return w;
        }
        self.aliases.get(&w).copied().unwrap_or(w)
    }

    #[inline]
    fn resolve_gate(&self, g: Gate) -> Gate {
        match g {
            Gate::Xor { a, b, out } => Gate::Xor {
                a: self.resolve(a),
                b: self.resolve(b),
                out,
            },
            Gate::And { a, b, out } => Gate::And {
                a: self.resolve(a),
                b: self.resolve(b),
                out,
            },
            Gate::Not { a, out } => Gate::Not {
                a: self.resolve(a),
                out,
            },
            c @ Gate::Const { .. } => c,
        }
    }

    /// Calls `f` with every item of the gate lines and its line number.
    fn visit_items<E: From<WindowedBristolError>>(
        &self,
        mut f: impl FnMut(Item, usize) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut seen = 0usize;
        let (format, wires) = (self.header.format, self.header.num_wires);
        self.source.visit_gate_lines(wires, |line| {
            seen += 1;
            if seen <= self.header.lines {
                return Ok(());
            }
            decode_line(line, format, wires, &mut f)
        })
    }

    /// Calls `f` with every item of the gate lines in reverse order (the
    /// last line first, a `MAND` line's last AND first), reading the file
    /// backwards a chunk at a time. The lines were checked by pass 1; a
    /// decoding error now means the file changed.
    fn visit_items_rev(&self, mut f: impl FnMut(Item)) -> Result<(), WindowedBristolError> {
        let (format, wires) = (self.header.format, self.header.num_wires);
        let mut reader = self.source.open_at()?;
        let mut pos = reader.len;
        let mut tail: Vec<u8> = Vec::new();
        let mut remaining = self.gate_lines;
        let mut items: Vec<Item> = Vec::new();
        let mut line_starts: Vec<usize> = Vec::new();
        let changed = |what: &str| WindowedBristolError::Changed(what.to_string());
        while remaining > 0 {
            if pos == 0 {
                return Err(changed("fewer gate lines read backwards"));
            }
            let lo = pos.saturating_sub(CHUNK as u64);
            let mut block = vec![0u8; (pos - lo) as usize];
            reader.read_at(lo, &mut block)?;
            block.extend_from_slice(&tail);
            // The first line may go on in the chunk before: keep it for then.
            let cut = if lo == 0 {
                0
            } else {
                match block.iter().position(|&b| b == b'\n') {
                    Some(p) => p + 1,
                    None if block.len() > MAX_LINE => {
                        return Err(WindowedBristolError::LineTooLong { line: 0 })
                    }
                    None => {
                        tail = block;
                        pos = lo;
                        continue;
                    }
                }
            };
            tail = block[..cut].to_vec();
            let text = std::str::from_utf8(&block[cut..]).map_err(|_| changed("not UTF-8 now"))?;
            // Only the last `remaining` lines are gate lines; the header may
            // be in the first chunk. A chunk with fewer line breaks than
            // `remaining` holds no header line.
            let breaks = text.bytes().filter(|&b| b == b'\n').count() as u64;
            let skip = if breaks + 1 < remaining {
                0
            } else {
                let mut lex = Lexer::new(text);
                let mut lines = 0u64;
                while lex.next_line() {
                    lines += 1;
                }
                lines.saturating_sub(remaining)
            };
            let mut lex = Lexer::new(text);
            let mut seen = 0u64;
            items.clear();
            line_starts.clear();
            while let Some(line) = next_gate_line(&mut lex, wires) {
                seen += 1;
                if seen <= skip {
                    continue;
                }
                line_starts.push(items.len());
                decode_line::<WindowedBristolError>(line, format, wires, &mut |item, _| {
                    items.push(item);
                    Ok(())
                })
                .map_err(|_| changed("a gate line no longer reads as it did"))?;
            }
            line_starts.push(items.len());
            for l in (0..line_starts.len() - 1).rev() {
                for &item in items[line_starts[l]..line_starts[l + 1]].iter().rev() {
                    f(item);
                }
            }
            remaining = remaining.saturating_sub(line_starts.len() as u64 - 1);
            pos = lo;
        }
        Ok(())
    }

    /// The header, then passes 1 (checks), 2 (deaths) and 3 (the id).
    fn scan(
        name: String,
        source: Source,
        options: &Options,
        scan_options: ScanOptions,
    ) -> Result<Self, WindowedBristolError> {
        let (header, parties) = scan_header(&source, options)?;
        let total_in: u64 = header.input_widths.iter().sum();
        let total_out: u64 = header.output_widths.iter().sum();
        let num_wires = header.num_wires;
        let out_start = (num_wires - total_out) as Wire;

        let mut this = WindowedBristol {
            name,
            source,
            header,
            inputs: Vec::new(),
            outputs: Vec::new(),
            num_gates: 0,
            counts: [0; 4],
            deaths: DeathStore::Memory(Vec::new()),
            scan_options,
            inputs_used: WireSet::default(),
            gate_lines: 0,
            aliases: WireMap::default(),
            id: CircuitId([0; 32]),
            peak_live: 0,
        };

        let checked = this.check_lines(total_in, out_start)?;
        // Groups, as `parse` makes them.
        this.inputs = input_groups(&this.header.input_widths, &parties, options.bit_order);
        this.outputs = this.output_groups(&checked, out_start, options.bit_order)?;
        let Checked {
            written,
            mut aliases,
            out_canon,
            gate_lines,
            num_gates,
            counts,
        } = checked;
        drop(written);
        this.num_gates = num_gates;
        this.counts = counts;
        this.gate_lines = gate_lines;
        aliases.shrink_to_fit();
        this.aliases = aliases;
        this.compute_deaths()?;
        this.compute_id(out_canon, total_in)?;
        Ok(this)
    }

    /// Pass 1: checks every gate line (wires in range, written once, before
    /// any read; the declared gate count); separate because it is the only
    /// pass that can reject the file, and it keeps one bit per wire.
    fn check_lines(&self, total_in: u64, out_start: Wire) -> Result<Checked, WindowedBristolError> {
        // One bit per wire: written yet?
        let mut written = vec![0u64; (self.header.num_wires as usize).div_ceil(64)];
        for w in 0..total_in as Wire {
            written[w as usize / 64] |= 1 << (w % 64);
        }
        let mut aliases: WireMap<Wire> = WireMap::default();
        // Canonical numbers of gate outputs in the output range.
        let mut out_canon: WireMap<u32> = WireMap::default();
        let mut gate_lines = 0u64;
        let mut last_line = 0usize;
        let mut k = 0u64;
        let mut counts = [0u64; 4];
        let expected = self.header.num_gates;
        self.visit_items::<WindowedBristolError>(|item, line| {
            if line != last_line {
                if gate_lines == expected {
                    return Err(BristolError::ExtraGates { line, expected }.into());
                }
                gate_lines += 1;
                last_line = line;
            }
            let resolve = |w: Wire| aliases.get(&w).copied().unwrap_or(w);
            let read = |w: Wire, written: &[u64], op: &str| -> Result<Wire, WindowedBristolError> {
                let r = resolve(w);
                if !is_written(written, r) {
                    return Err(wiring(
                        line,
                        IrError::ReadBeforeWrite {
                            wire: w,
                            place: format!("the {op} gate"),
                        },
                    ));
                }
                Ok(r)
            };
            let write =
                |w: Wire, written: &mut [u64], op: &str| -> Result<(), WindowedBristolError> {
                    if is_written(written, w) {
                        let first = if (w as u64) < total_in {
                            "an input".to_string()
                        } else {
                            "an earlier line".to_string()
                        };
                        return Err(wiring(
                            line,
                            IrError::WrittenTwice {
                                wire: w,
                                first,
                                second: format!("this {op} gate"),
                            },
                        ));
                    }
                    written[w as usize / 64] |= 1 << (w % 64);
                    Ok(())
                };
            match item {
                Item::Gate(g, op) => {
                    for w in g.inputs() {
                        read(w, &written, op)?;
                    }
                    write(g.output(), &mut written, op)?;
                    if g.output() >= out_start {
                        out_canon.insert(g.output(), (total_in + k) as u32);
                    }
                    counts[match g {
                        Gate::And { .. } => 0,
                        Gate::Xor { .. } => 1,
                        Gate::Not { .. } => 2,
                        Gate::Const { .. } => 3,
                    }] += 1;
                    k += 1;
                }
                Item::Copy { src, dst } => {
                    let r = read(src, &written, "EQW")?;
                    write(dst, &mut written, "EQW")?;
                    aliases.insert(dst, r);
                }
            }
            Ok(())
        })?;
        if gate_lines < expected {
            return Err(BristolError::Truncated {
                expected,
                found: gate_lines,
            }
            .into());
        }
        Ok(Checked {
            written,
            aliases,
            out_canon,
            gate_lines,
            num_gates: k,
            counts,
        })
    }

    /// The output groups, as `parse` makes them; separate because each
    /// output wire must be checked as written and resolved through its alias.
    fn output_groups(
        &self,
        checked: &Checked,
        out_start: Wire,
        bit_order: BitOrder,
    ) -> Result<Vec<Output>, WindowedBristolError> {
        let mut outputs = Vec::with_capacity(self.header.output_widths.len());
        let mut next = out_start;
        for (i, &width) in self.header.output_widths.iter().enumerate() {
            let raw: Vec<Wire> = (next..next + width as u32).collect();
            if let Some(&w) = raw.iter().find(|&&w| !is_written(&checked.written, w)) {
                return Err(BristolError::WireCount {
                    declared: self.header.num_wires,
                    what: format!("output wire {w} (group out{i}) is never written"),
                }
                .into());
            }
            let wires: Vec<Wire> = raw
                .into_iter()
                .map(|w| checked.aliases.get(&w).copied().unwrap_or(w))
                .collect();
            next += width as u32;
            outputs.push(Output {
                name: format!("out{i}"),
                ty: ValueType::UInt(width as u32),
                wires: ordered(wires, bit_order),
            });
        }
        Ok(outputs)
    }

    /// Pass 2: the [`Deaths`] of every gate, reading the gate lines
    /// backwards with the set of live wires (see the module docs), and the
    /// peak number of live wires.
    fn compute_deaths(&mut self) -> Result<(), WindowedBristolError> {
        let n = self.num_gates;
        let bytes = n.div_ceil(2);
        let spill = cfg!(unix) && n > self.scan_options.spill_above;
        // In memory: all of them; spilled: the chunk being filled.
        let mut deaths = vec![0u8; if spill { DEATH_CHUNK } else { bytes as usize }];
        #[cfg(unix)]
        let file = if spill {
            Some(tempfile::tempfile().map_err(temp_error)?)
        } else {
            None
        };
        let mut chunk: Option<u64> = None;
        let mut io_error = None;
        #[allow(unused_variables)]
        let flush = |deaths: &[u8], j: u64| -> Result<(), std::io::Error> {
            #[cfg(unix)]
            if let Some(f) = &file {
                use std::os::unix::fs::FileExt;
                let start = j * DEATH_CHUNK as u64;
                let len = (bytes - start).min(DEATH_CHUNK as u64) as usize;
                f.write_all_at(&deaths[..len], start)?;
            }
            Ok(())
        };
        // Read below the current gate, writer not met yet.
        let mut live: WireSet = self
            .outputs
            .iter()
            .flat_map(|o| &o.wires)
            .copied()
            .collect();
        let mut peak = 0u64;
        let mut k = n;
        let mut changed = false;
        self.visit_items_rev(|item| {
            let Item::Gate(g, _) = item else { return };
            let g = self.resolve_gate(g);
            if k == 0 {
                changed = true;
                return;
            }
            k -= 1;
            let mut d = 0u8;
            let (a, b) = match g {
                Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => (Some(a), Some(b)),
                Gate::Not { a, .. } => (Some(a), None),
                Gate::Const { .. } => (None, None),
            };
            let new_a = a.is_some_and(|a| !live.contains(&a));
            let new_b = b.is_some_and(|b| !live.contains(&b) && Some(b) != a);
            // Live across this gate: what is read below it, and its inputs.
            peak = peak.max(live.len() as u64 + new_a as u64 + new_b as u64);
            if !live.remove(&g.output()) {
                d |= Deaths::UNUSED;
            }
            if new_a {
                d |= Deaths::A;
            }
            if new_b {
                d |= Deaths::B;
            }
            live.extend(a);
            live.extend(b);
            let byte = k / 2;
            let at = if spill {
                let j = byte / DEATH_CHUNK as u64;
                if chunk != Some(j) {
                    if let Some(c) = chunk {
                        if let Err(e) = flush(&deaths, c) {
                            io_error.get_or_insert(e);
                        }
                    }
                    deaths.fill(0);
                    chunk = Some(j);
                }
                (byte % DEATH_CHUNK as u64) as usize
            } else {
                byte as usize
            };
            deaths[at] |= d << (4 * (k % 2));
        })?;
        if let Some(c) = chunk {
            flush(&deaths, c).map_err(temp_error)?;
        }
        if let Some(e) = io_error {
            return Err(temp_error(e));
        }
        if k != 0 || changed {
            return Err(WindowedBristolError::Changed(
                "its gate count differs read backwards".into(),
            ));
        }
        self.deaths = DeathStore::Memory(Vec::new());
        #[cfg(unix)]
        if let Some(f) = file {
            self.deaths = DeathStore::File(Arc::new(f));
        }
        if !spill {
            self.deaths = DeathStore::Memory(deaths);
        }
        // What is left is the input bits something reads.
        self.peak_live = peak.max(live.len() as u64);
        self.inputs_used = live;
        self.inputs_used.shrink_to_fit();
        Ok(())
    }

    /// Pass 3: [`Circuit::id`](crate::ir::Circuit::id) over the stream (the
    /// same bytes in the same order).
    fn compute_id(
        &mut self,
        mut out_canon: WireMap<u32>,
        total_in: u64,
    ) -> Result<(), WindowedBristolError> {
        // Canonical numbers of the input bits: their position in the groups.
        let mut input_canon: WireMap<u32> = WireMap::default();
        let mut next = 0u32;
        for i in &self.inputs {
            for &w in &i.wires {
                if self.inputs_used.contains(&w) {
                    input_canon.insert(w, next);
                }
                next += 1;
            }
        }
        // Outputs that copy (EQW) a gate output outside the output range:
        // one light pass finds their gates.
        let missing: WireSet = self
            .outputs
            .iter()
            .flat_map(|o| &o.wires)
            .copied()
            .filter(|w| (*w as u64) >= total_in && !out_canon.contains_key(w))
            .collect();
        if !missing.is_empty() {
            let mut k = 0u64;
            self.visit_items::<WindowedBristolError>(|item, _| {
                if let Item::Gate(g, _) = item {
                    if missing.contains(&g.output()) {
                        out_canon.insert(g.output(), (total_in + k) as u32);
                    }
                    k += 1;
                }
                Ok(())
            })?;
        }
        let canon_out = |w: Wire| -> u32 {
            input_canon
                .get(&w)
                .or_else(|| out_canon.get(&w))
                .copied()
                .unwrap_or(u32::MAX)
        };

        let mut id = IdEncoder::new(&self.inputs, &self.outputs, canon_out, self.num_gates);

        // The live wires' canonical numbers.
        let mut live: WireMap<u32> = input_canon;
        let mut deaths = self.death_reader();
        let mut k = 0u64;
        let mut lost = None;
        self.visit_items::<WindowedBristolError>(|item, line| {
            let Item::Gate(g, _) = item else {
                return Ok(());
            };
            let g = self.resolve_gate(g);
            id.gate(&g, |w: Wire| match live.get(&w) {
                Some(&c) => c,
                None => {
                    lost.get_or_insert(line);
                    u32::MAX
                }
            });
            let d = deaths.get(k)?;
            if !d.unused() {
                live.insert(g.output(), (total_in + k) as u32);
            }
            for w in g.inputs() {
                if d.kills(&g, w) {
                    live.remove(&w);
                }
            }
            k += 1;
            Ok(())
        })?;
        if let Some(line) = lost {
            return Err(WindowedBristolError::Changed(format!(
                "line {line} reads a wire that was not live when it was scanned"
            )));
        }
        self.id = id.finish();
        Ok(())
    }
}

/// What pass 1 ([`WindowedBristol::check_lines`]) learns from the gate lines.
struct Checked {
    /// One bit per wire: written by an input or a gate?
    written: Vec<u64>,
    /// The destination of every `EQW` copy, mapped to its (resolved) source.
    aliases: WireMap<Wire>,
    /// Canonical numbers of gate outputs in the output range.
    out_canon: WireMap<u32>,
    gate_lines: u64,
    num_gates: u64,
    /// AND, XOR, NOT and constant gates.
    counts: [u64; 4],
}

/// Whether wire `w` is set in the one-bit-per-wire set `written`.
fn is_written(written: &[u64], w: Wire) -> bool {
    written[w as usize / 64] >> (w % 64) & 1 == 1
}

fn wiring(line: usize, error: IrError) -> WindowedBristolError {
    BristolError::Wiring { line, error }.into()
}

/// The header (the file's first three lines with a token, each read as
/// numbers or kept as the error `parse` would report when it is due) and
/// the party of each input group.
fn scan_header(
    source: &Source,
    options: &Options,
) -> Result<(Header, Vec<Party>), WindowedBristolError> {
    let file_len = source.len()?;
    // The header: its first three lines, each read as numbers (or the
    // error `parse` would report, kept for when it is due).
    let mut header_lines: Vec<HeaderLine> = Vec::new();
    let what = [
        "the header `<gates> <wires>`",
        "the input header",
        "the output header",
    ];
    let mut stopped = false;
    let visited = source.visit_lines(|lex: &Lexer| {
        let k = header_lines.len();
        header_lines.push(HeaderLine {
            line: lex.line,
            numbers: lex.numbers(what[k]),
            all_numeric: (0..lex.tokens.len()).all(|k| lex.is_u64(k)),
            text: lex.text().trim().to_string(),
        });
        if header_lines.len() == 3 {
            // Stops the pass: the rest is the gates'.
            stopped = true;
            return Err(WindowedBristolError::Changed(String::new()));
        }
        Ok(())
    });
    if !stopped {
        visited?;
    }
    let header = read_header(&header_lines, file_len, options)?;
    let parties = parties_of(options, header.input_widths.len())?;
    Ok((header, parties))
}

/// The header from its first lines, with the checks of [`crate::bristol::parse`].
fn read_header(
    lines: &[HeaderLine],
    file_len: u64,
    options: &Options,
) -> Result<Header, BristolError> {
    let Some(first) = lines.first() else {
        return Err(syntax(
            1,
            "the file is empty; expected a header `<gates> <wires>`".into(),
        ));
    };
    let first_no = first.line;
    let [num_gates, num_wires] = first.numbers.clone()?[..] else {
        return Err(syntax(
            first_no,
            format!("expected `<gates> <wires>`, found `{}`", first.text),
        ));
    };
    if num_wires > MAX_WIRES {
        return Err(syntax(
            first_no,
            format!("{num_wires} wires is more than the {MAX_WIRES} supported"),
        ));
    }
    let Some(second) = lines.get(1) else {
        return Err(syntax(
            first_no + 1,
            "the file ends before the input header".into(),
        ));
    };
    let second_nums = second.numbers.clone()?;
    let Some(third) = lines.get(2) else {
        return Err(syntax(
            second.line + 1,
            "the file ends before any gate".into(),
        ));
    };
    let format = options.format.unwrap_or(if third.all_numeric {
        Format::Fashion
    } else {
        Format::Old
    });
    let (input_widths, output_widths, n_lines) = match format {
        Format::Fashion => {
            let outputs = third.numbers.clone()?;
            (
                counted_list(second.line, &second_nums, "input")?,
                counted_list(third.line, &outputs, "output")?,
                3,
            )
        }
        Format::Old => {
            let [n1, n2, n_out] = second_nums[..] else {
                return Err(syntax(
                    second.line,
                    format!(
                        "expected the old-format header `<n1> <n2> <n_out>`, found `{}`",
                        second.text
                    ),
                ));
            };
            if n_out == 0 {
                return Err(syntax(
                    second.line,
                    "the old-format header declares 0 output wires".into(),
                ));
            }
            let inputs = [n1, n2].into_iter().filter(|&w| w > 0).collect();
            (inputs, vec![n_out], 2)
        }
    };
    let total_in: u64 = input_widths
        .iter()
        .fold(0, |a: u64, &w| a.saturating_add(w));
    let total_out: u64 = output_widths
        .iter()
        .fold(0, |a: u64, &w| a.saturating_add(w));
    if total_in > num_wires || total_out > num_wires {
        return Err(BristolError::WireCount {
            declared: num_wires,
            what: format!("the groups need {total_in} input and {total_out} output wires"),
        });
    }
    // As in `parse`: a file names at most half its length in wires.
    let possible = (file_len / 2).saturating_add(MAX_UNNAMED_WIRES);
    if num_wires > possible {
        return Err(BristolError::WireCount {
            declared: num_wires,
            what: format!("a file of {file_len} bytes can hold at most {possible}"),
        });
    }
    Ok(Header {
        num_gates,
        num_wires,
        format,
        lines: n_lines,
        input_widths,
        output_widths,
    })
}

/// Decodes the gate on the lexer's line into items for `f`, with the checks
/// and messages of the importer (wiring is the caller's).
/// A line of the file as the gate passes read it.
enum Line<'l, 'a> {
    /// A common gate line (see [`Lexer::peek_common`]) whose wires are in
    /// range, and its line number.
    Common(Gate, &'static str, usize),
    /// Any other line, tokenized.
    Lexed(&'l Lexer<'a>),
}

/// The next line that has a token: a common gate line whose wires are all
/// below `num_wires` straight from the text (most of a file; the lexer's
/// tokens cost four times as much), anything else through the lexer, so
/// that every error is the one [`decode`] gives. `None` at the end.
#[inline]
fn next_gate_line<'l, 'a>(lex: &'l mut Lexer<'a>, num_wires: u64) -> Option<Line<'l, 'a>> {
    if let Some(common) = lex.peek_common() {
        let g = common.gate;
        if g.inputs().all(|w| (w as u64) < num_wires) && (g.output() as u64) < num_wires {
            lex.take_common(&common);
            return Some(Line::Common(g, common.op, lex.line));
        }
    }
    lex.next_line().then_some(Line::Lexed(lex))
}

/// [`decode`] of a line as [`next_gate_line`] reads it.
#[inline]
fn decode_line<E: From<WindowedBristolError>>(
    line: Line,
    format: Format,
    num_wires: u64,
    f: &mut impl FnMut(Item, usize) -> Result<(), E>,
) -> Result<(), E> {
    match line {
        Line::Common(g, op, line_no) => f(Item::Gate(g, op), line_no),
        Line::Lexed(lex) => decode(lex, format, num_wires, f),
    }
}

fn decode<E: From<WindowedBristolError>>(
    lex: &Lexer,
    format: Format,
    num_wires: u64,
    f: &mut impl FnMut(Item, usize) -> Result<(), E>,
) -> Result<(), E> {
    let line_no = lex.line;
    let err = |e: BristolError| E::from(WindowedBristolError::Bristol(e));
    let op = lex.token(lex.tokens.len() - 1);
    let (nin, nout) = gate_counts(lex).map_err(err)?;
    let arity = |ins: u64, outs: u64| -> Result<(), E> {
        if (nin, nout) != (ins, outs) {
            return Err(err(arity_error(lex, (ins, outs), (nin, nout))));
        }
        Ok(())
    };
    let wire = |i: usize| -> Result<Wire, E> {
        let Some(w) = lex.tokens.get(2 + i).and_then(|t| t.value) else {
            return Err(err(lex.not_a_number(2 + i, "a wire number")));
        };
        if w >= num_wires {
            return Err(err(BristolError::Wiring {
                line: line_no,
                error: IrError::OutOfRange {
                    wire: w as u32,
                    num_wires: num_wires as u32,
                    place: format!("the {op} gate"),
                },
            }));
        }
        Ok(w as Wire)
    };
    match (op, format) {
        ("XOR" | "AND", _) => {
            arity(2, 1)?;
            let (a, b, out) = (wire(0)?, wire(1)?, wire(2)?);
            let g = if op == "XOR" {
                Item::Gate(Gate::Xor { a, b, out }, "XOR")
            } else {
                Item::Gate(Gate::And { a, b, out }, "AND")
            };
            f(g, line_no)
        }
        ("INV" | "NOT", _) => {
            arity(1, 1)?;
            let (a, out) = (wire(0)?, wire(1)?);
            let op = if op == "INV" { "INV" } else { "NOT" };
            f(Item::Gate(Gate::Not { a, out }, op), line_no)
        }
        ("EQ", Format::Fashion) => {
            arity(1, 1)?;
            let value = eq_value(lex).map_err(err)?;
            let out = wire(1)?;
            f(Item::Gate(Gate::Const { value, out }, "EQ"), line_no)
        }
        ("EQW", Format::Fashion) => {
            arity(1, 1)?;
            let (src, dst) = (wire(0)?, wire(1)?);
            f(Item::Copy { src, dst }, line_no)
        }
        ("MAND", Format::Fashion) => {
            let n = mand_width(lex, nin, nout).map_err(err)?;
            for k in 0..n {
                let (a, b, out) = (wire(k)?, wire(n + k)?, wire(2 * n + k)?);
                f(Item::Gate(Gate::And { a, b, out }, "MAND"), line_no)?;
            }
            Ok(())
        }
        _ => Err(err(unknown_gate(lex, format))),
    }
}

/// The runtime's view of a streamed circuit: its gates in order with their
/// [`Deaths`], read from the file once more per visit.
impl GateSource for WindowedBristol {
    fn inputs(&self) -> &[Input] {
        WindowedBristol::inputs(self)
    }

    fn outputs(&self) -> &[Output] {
        WindowedBristol::outputs(self)
    }

    fn num_gates(&self) -> u64 {
        WindowedBristol::num_gates(self)
    }

    fn id(&self) -> CircuitId {
        WindowedBristol::id(self)
    }

    fn input_used(&self, w: Wire) -> bool {
        WindowedBristol::input_used(self, w)
    }

    fn for_each_gate<E: From<GateSourceError>>(
        &self,
        mut f: impl FnMut(Gate, Deaths) -> Result<(), E>,
    ) -> Result<(), E> {
        /// The file's error or the caller's, apart.
        enum Visit<E> {
            File(WindowedBristolError),
            Caller(E),
        }
        impl<E> From<WindowedBristolError> for Visit<E> {
            fn from(e: WindowedBristolError) -> Self {
                Visit::File(e)
            }
        }
        WindowedBristol::for_each_gate::<Visit<E>>(self, |g, d| f(g, d).map_err(Visit::Caller))
            .map_err(|e| match e {
                Visit::File(e) => GateSourceError::from(e).into(),
                Visit::Caller(e) => e,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bristol::{export, parse, BitOrder};
    use crate::Report;

    const ADDER2: &str = "2 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 5 XOR\n";

    fn streamed(text: &str) -> Result<WindowedBristol, WindowedBristolError> {
        WindowedBristol::from_bytes("x", text.as_bytes().to_vec(), &Options::default())
    }

    /// The deaths `c.last_use()` implies (see [`Deaths`]).
    pub(crate) fn expected_deaths(c: &crate::ir::Circuit) -> Vec<Deaths> {
        let last = c.last_use();
        c.gates
            .iter()
            .enumerate()
            .map(|(k, g)| {
                let k = Some(k as u32);
                let mut d = 0;
                match *g {
                    Gate::Xor { a, b, .. } | Gate::And { a, b, .. } => {
                        if last[a as usize] == k {
                            d |= Deaths::A;
                        }
                        if b != a && last[b as usize] == k {
                            d |= Deaths::B;
                        }
                    }
                    Gate::Not { a, .. } if last[a as usize] == k => d |= Deaths::A,
                    _ => {}
                }
                if last[g.output() as usize].is_none() {
                    d |= Deaths::UNUSED;
                }
                Deaths::from_bits(d)
            })
            .collect()
    }

    fn gates_of(s: &WindowedBristol) -> (Vec<Gate>, Vec<Deaths>) {
        let (mut gates, mut deaths) = (Vec::new(), Vec::new());
        s.for_each_gate::<WindowedBristolError>(|g, d| {
            gates.push(g);
            deaths.push(d);
            Ok(())
        })
        .unwrap();
        (gates, deaths)
    }

    /// The streamed reading of `text` is the importer's circuit: id, gates,
    /// deaths and peak of live wires.
    fn matches_the_importer(text: &str) {
        let c = parse("x", text, &Options::default()).unwrap();
        let s = streamed(text).unwrap();
        assert_eq!(s.id(), c.id());
        let (gates, deaths) = gates_of(&s);
        assert_eq!(gates, c.gates);
        assert_eq!(deaths, expected_deaths(&c));
        assert_eq!(s.stats().peak_live_wires, c.peak_live_wires());
    }

    #[test]
    fn id_and_liveness_match_the_importer() {
        matches_the_importer(ADDER2);
    }

    #[test]
    fn chunks_backwards_and_forwards_agree() {
        // Long enough for many chunks, with a long MAND line across a chunk
        // boundary and a header that needs the first chunk.
        let n = 60_000u32;
        let mut text = format!("{} {}\n2 1 1\n1 1\n\n", n + 1, n + 3000 + 2);
        for k in 0..n {
            let a = if k == 0 { 0 } else { k + 1 };
            text += &format!(
                "2 1 {a} {} {} {}\n",
                k % 2,
                k + 2,
                ["AND", "XOR"][k as usize % 2]
            );
        }
        let ins: Vec<String> = (0..6000).map(|k| (k % 2).to_string()).collect();
        let outs: Vec<String> = (0..3000).map(|k| (n + 2 + k).to_string()).collect();
        text += &format!("6000 3000 {} {} MAND\n", ins.join(" "), outs.join(" "));
        matches_the_importer(&text);
    }

    #[test]
    fn deaths_spilled_to_a_file_read_back_in_order() {
        // More gates than one chunk of deaths holds, twice over and a bit.
        let n = 2 * 2 * DEATH_CHUNK as u32 + 1001;
        let mut text = format!("{n} {}\n2 1 1\n1 1\n\n", n + 2);
        for k in 0..n {
            // Reads reach back 1 to 3 wires: deaths at varied distances.
            let a = if k < 3 { k % 2 } else { k + 2 - 1 - k % 3 };
            let op = ["AND", "XOR"][(k % 2) as usize];
            text += &format!("2 1 {a} {} {} {op}\n", k % 2, k + 2);
        }
        let c = parse("x", &text, &Options::default()).unwrap();
        let want = expected_deaths(&c);
        for spill_above in [0, u64::MAX] {
            let s = WindowedBristol::from_bytes_with(
                "x",
                text.as_bytes().to_vec(),
                &Options::default(),
                ScanOptions { spill_above },
            )
            .unwrap();
            assert_eq!(s.spilled(), cfg!(unix) && spill_above == 0);
            assert_eq!(s.id(), c.id());
            let (gates, deaths) = gates_of(&s);
            assert_eq!(gates, c.gates);
            assert!(deaths == want, "spill_above {spill_above}");
            // A clone reads the same file independently.
            let (_, again) = gates_of(&s.clone());
            assert!(again == want);
        }
    }

    #[test]
    fn copies_and_msb0_and_old_format() {
        // An output that is an input, one that is an early gate (EQW copies).
        let text = "3 8\n2 2 1\n1 3\n\n2 1 0 1 3 AND\n1 1 0 5 EQW\n1 1 3 7 EQW\n2 1 2 3 6 XOR\n";
        let text = text.replacen("3 8", "4 8", 1);
        for options in [
            Options::default(),
            Options {
                bit_order: BitOrder::Msb0,
                ..Options::default()
            },
        ] {
            let c = parse("x", &text, &options).unwrap();
            let s = WindowedBristol::from_bytes("x", text.as_bytes().to_vec(), &options).unwrap();
            assert_eq!(s.inputs(), &c.inputs[..]);
            assert_eq!(s.outputs(), &c.outputs[..]);
            let (gates, deaths) = gates_of(&s);
            assert_eq!(gates, c.gates);
            assert_eq!(deaths, expected_deaths(&c));
            assert_eq!(s.id(), c.id());
            assert_eq!(s.outputs(), &c.outputs[..]);
            let again = export(&c);
            let c2 = parse("x", &again, &options).unwrap();
            let s2 = WindowedBristol::from_bytes("x", again.into_bytes(), &options).unwrap();
            assert_eq!(s2.id(), c2.id());
        }
        let old = "1 3\n1 1 1\n\n2 1 0 1 2 AND\n";
        let c = parse("x", old, &Options::default()).unwrap();
        assert_eq!(streamed(old).unwrap().id(), c.id());
    }

    #[test]
    fn errors_match_the_importer() {
        for text in [
            "",
            "1 6\n2 1 1\n1 1\n\n2 1 0 1 5 NAND\n",
            "1 6\n2 1 1\n1 1\n\n1 1 4 5 NOT\n",
            "1 7\n2 1 1\n1 1\n\n4 2 0 1 4 1 5 6 MAND\n",
            "3 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 5 XOR\n",
            "1 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 5 XOR\n",
            "1 6\n2 1 1\n1 1\n\n2 1 0 3 5 AND\n",
            "1 6\n2 1 1\n1 1\n\n2 1 0 9 5 AND\n",
            "1 6\n2 1 1\n1 1\n\n2 1 0 1 AND\n",
            "1 99999999999\n2 1 1\n1 1\n\n",
            "1 6\n2 1 1\n1 1\n\n2 1 0 1 4 AND\n",
            "1 6\n2 1 1\n1 1\n\n18446744073709551615 1 AND\n",
            "2 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0",
            "1 2000000000\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n",
            "1 6\n2 1 1\n+1 1\n\n2 1 0 1 5 AND\n",
            "1 6\n2 1 1\n",
            "1 6\n",
            "x y\n",
        ] {
            let want = parse("x", text, &Options::default()).unwrap_err().report();
            let got = streamed(text).unwrap_err().report();
            assert_eq!(got, want, "{text:?}");
        }
        // Written twice: the line of the first writer is not kept.
        let text = "2 6\n2 1 1\n1 1\n\n2 1 0 1 5 AND\n2 1 0 1 5 XOR\n";
        let got = streamed(text).unwrap_err().report();
        assert!(got.starts_with("line 6: wire 5 is written twice"), "{got}");
        let bad = b"1 6\n2 1 1\n1 1\n\n2 1 0 1 5 \xffND\n".to_vec();
        let got = WindowedBristol::from_bytes("x", bad, &Options::default())
            .unwrap_err()
            .report();
        assert_eq!(got, "line 5: the file is not UTF-8 text");
    }

    /// The gate passes read most lines without the lexer (`next_gate_line`);
    /// errors on such lines, well inside a file, still read as the
    /// importer's, with the same line numbers.
    #[test]
    fn errors_on_common_lines_match_the_importer() {
        // 300 gates: a chain over wires 0.. with a defect at line 5 + 150.
        let file = |defect: &str| {
            let mut lines: Vec<String> = Vec::new();
            for k in 0..300u32 {
                let out = k + 2;
                lines.push(if k == 150 {
                    defect.to_string()
                } else if k % 3 == 0 {
                    format!("1 1 {} {out} INV", k + 1)
                } else {
                    format!(
                        "2 1 {} {} {out} {}",
                        k,
                        k + 1,
                        ["XOR", "AND"][k as usize % 2]
                    )
                });
            }
            format!("300 302\n2 1 1\n1 1\n\n{}\n", lines.join("\n"))
        };
        for defect in [
            "2 1 150 151 99999999 XOR",
            "2 1 150 99999999 152 AND",
            "1 1 99999999 152 INV",
            "2 1 150 200 152 XOR",
            "1 1 290 152 NOT",
            "1 1 290 152 INV",
            "2 1 150 151 152 NAND",
        ] {
            let text = file(defect);
            let want = parse("x", &text, &Options::default()).unwrap_err().report();
            assert!(want.starts_with("line 155: "), "{want}");
            let got = streamed(&text).unwrap_err().report();
            assert_eq!(got, want, "{defect}");
        }
        // Written twice: the line of the first writer is not kept.
        let got = streamed(&file("2 1 150 151 100 AND")).unwrap_err().report();
        assert!(
            got.starts_with("line 155: wire 100 is written twice"),
            "{got}"
        );
        // And a valid file, also with CRLF line breaks (the lexer's lines).
        let text = file("2 1 150 151 152 XOR");
        matches_the_importer(&text);
        matches_the_importer(&text.replace('\n', "\r\n"));
    }

    #[test]
    fn inputs_from_the_header_alone_are_the_scanned_inputs() {
        let dir = std::env::temp_dir().join(format!("yao-inputs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.txt");
        let msb0 = Options {
            bit_order: BitOrder::Msb0,
            parties: Some(vec![Party::Evaluator, Party::Garbler]),
            ..Options::default()
        };
        for (text, options) in [
            (ADDER2, Options::default()),
            (ADDER2, msb0),
            // Old format, one zero-width input.
            ("1 3\n2 0 1\n2 1 0 1 2 AND\n", Options::default()),
        ] {
            std::fs::write(&path, text).unwrap();
            let scanned = WindowedBristol::open(&path, &options).unwrap();
            let early = WindowedBristol::read_inputs(&path, &options).unwrap();
            assert_eq!(early, scanned.inputs(), "{text:?}");
        }
        // A broken gate is found by the scan, not by the header read.
        std::fs::write(&path, "1 6\n2 1 1\n1 1\n\n2 1 0 9 5 AND\n").unwrap();
        assert_eq!(
            WindowedBristol::read_inputs(&path, &Options::default())
                .unwrap()
                .len(),
            2
        );
        assert!(WindowedBristol::open(&path, &Options::default()).is_err());
        // A broken header is reported as the scan reports it.
        std::fs::write(&path, "1 6\n2 1\n").unwrap();
        let early = WindowedBristol::read_inputs(&path, &Options::default()).unwrap_err();
        let scanned = WindowedBristol::open(&path, &Options::default()).unwrap_err();
        assert_eq!(early.to_string(), scanned.to_string());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_changed_file_is_reported() {
        let dir = std::env::temp_dir().join(format!("yao-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("adder.txt");
        std::fs::write(&path, ADDER2).unwrap();
        let s = WindowedBristol::open(&path, &Options::default()).unwrap();
        assert_eq!(s.name(), "adder");
        std::fs::write(&path, "1 6\n2 1 1\n1 1\n\n2 1 0 1 5 XOR\n").unwrap();
        let err = s
            .for_each_gate::<WindowedBristolError>(|_, _| Ok(()))
            .unwrap_err()
            .report();
        assert!(err.contains("changed"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
        let err = WindowedBristol::open(&path, &Options::default()).unwrap_err();
        assert!(err.report().starts_with("cannot read"), "{err}");
    }
}
