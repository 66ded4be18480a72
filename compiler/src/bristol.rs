//! Bristol circuit files: import (Bristol Fashion and the older Bristol
//! format) and export (Bristol Fashion).
//!
//! Bristol Fashion, used by MP-SPDZ, emp-toolkit and the published circuit
//! collection:
//!
//! ```text
//! <gates> <wires>
//! <niv> <width_1> ... <width_niv>      input groups, wires 0.. in order
//! <nov> <width_1> ... <width_nov>      output groups, the last wires
//!
//! <nin> <nout> <in...> <out...> <OP>   OP in XOR AND INV EQ EQW MAND
//! ```
//!
//! The older format has one header line `<n1> <n2> <n_out>` for the two
//! inputs and the output. The files do not say which party owns a group or in
//! which order bits are numbered, so [`Options`] carries both.

use crate::ir::{Circuit, Gate, Input, IrError, Output, Party, ValidCircuit, ValueType, Wire};
use std::fmt::Write as _;

/// Which Bristol dialect a file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Bristol Fashion (named groups of any count, EQ/EQW/MAND allowed).
    Fashion,
    /// The older format: two inputs and one output, XOR/AND/INV only.
    Old,
}

/// How wire `k` of a group maps to the bits of its value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BitOrder {
    /// Wire `k` is bit `k` (least significant first). Every Bristol Fashion
    /// file of the published collection reads this way.
    #[default]
    Lsb0,
    /// Wire `k` is bit `width-1-k`: the old-format crypto circuits number
    /// bits as the hex string is printed, most significant first.
    Msb0,
}

/// Import options; the defaults suit the published Bristol Fashion files.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `None` tells the dialects apart from the header.
    pub format: Option<Format>,
    pub bit_order: BitOrder,
    /// The party of each input group; by default the first group is the
    /// garbler's and every other group the evaluator's.
    pub parties: Option<Vec<Party>>,
}

/// A malformed Bristol file. Line numbers count from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BristolError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("the file ends after {found} gate lines, but its header promises {expected}")]
    Truncated { expected: u64, found: u64 },
    #[error("line {line}: the header promises {expected} gates, but more gate lines follow")]
    ExtraGates { line: usize, expected: u64 },
    #[error("the header declares {declared} wires, but {what}")]
    WireCount { declared: u64, what: String },
    #[error("--parties names {given} parties, but the circuit has {groups} input groups")]
    PartyCount { given: usize, groups: usize },
    /// A gate line that breaks the wiring rules; the source says how.
    #[error("line {line}")]
    Wiring {
        line: usize,
        #[source]
        error: IrError,
    },
    #[error(transparent)]
    Invalid(#[from] IrError),
}

/// Wire counts beyond this are refused before anything is allocated: 2^31
/// wires would already need 16 GiB of gate list.
pub(crate) const MAX_WIRES: u64 = 1 << 31;

/// Wires a file may declare beyond those its text names (see `parse`).
pub(crate) const MAX_UNNAMED_WIRES: u64 = 1 << 20;

/// Parses a Bristol file. `name` becomes the circuit's name (usually the
/// file stem); the groups are named `in0, in1, ...` and `out0, out1, ...`.
pub fn parse(name: &str, text: &str, options: &Options) -> Result<Circuit, BristolError> {
    parse_valid(name, text, options).map(ValidCircuit::into_inner)
}

/// [`parse`], with the circuit marked as valid: the importer checks every
/// wire as it reads it, so a consumer need not run [`Circuit::validate`]
/// again.
pub fn parse_valid(
    name: &str,
    text: &str,
    options: &Options,
) -> Result<ValidCircuit, BristolError> {
    read::<true>(name, text, options)
}

/// [`parse`] without the fast path for common gate lines
/// (`Wiring::common_gate`): every line goes through the general lexer and
/// gate reader. Not for users (it gives the same result, only slower): the
/// tests use it as the oracle the fast path must agree with, circuit for
/// circuit and error for error.
#[doc(hidden)]
pub fn parse_general(name: &str, text: &str, options: &Options) -> Result<Circuit, BristolError> {
    read::<false>(name, text, options).map(ValidCircuit::into_inner)
}

/// The importer; `FAST` enables `Wiring::common_gate`. A constant, so the
/// normal path is compiled as if the switch were not there.
fn read<const FAST: bool>(
    name: &str,
    text: &str,
    options: &Options,
) -> Result<ValidCircuit, BristolError> {
    let mut lex = Lexer::new(text);
    let header = read_header(&mut lex, options)?;
    let num_wires = header.num_wires;
    let (total_in, total_out) = check_wire_counts(&header, text.len())?;
    let parties = parties_of(options, header.input_widths.len())?;

    let mut wiring = Wiring::new(num_wires, total_in, text.len(), header.format);
    read_gates::<FAST>(
        &mut lex,
        &mut wiring,
        header.num_gates,
        header.third_is_gate,
    )?;
    let Wiring {
        alias,
        writer,
        gates,
        ..
    } = wiring;

    let inputs = input_groups(&header.input_widths, &parties, options.bit_order);
    let outputs = output_groups(
        &header.output_widths,
        num_wires,
        total_out,
        &alias,
        &writer,
        options.bit_order,
    )?;
    let circuit = Circuit {
        name: name.to_string(),
        num_wires: num_wires as u32,
        inputs,
        outputs,
        gates,
    };
    // Valid by construction: every wire was checked above as it was read
    // or written (in range, written once, before any read), and the groups
    // are built to match their types, so `Circuit::validate` is not run
    // again here (only in debug builds); the tests and the fuzz harness
    // check it on every circuit accepted here.
    Ok(ValidCircuit::trusted(circuit))
}

/// What the header lines of a file declare.
struct Header {
    num_gates: u64,
    num_wires: u64,
    format: Format,
    input_widths: Vec<u64>,
    output_widths: Vec<u64>,
    /// In the old format the third line is the first gate, already lexed.
    third_is_gate: bool,
}

/// Reads the header lines; separate because which lines are header and
/// which are gates depends on the format, detected (or imposed) here.
fn read_header(lex: &mut Lexer<'_>, options: &Options) -> Result<Header, BristolError> {
    if !lex.next_line() {
        return Err(BristolError::Syntax {
            line: 1,
            message: "the file is empty; expected a header `<gates> <wires>`".into(),
        });
    }
    let first_no = lex.line;
    let header = lex.numbers("the header `<gates> <wires>`")?;
    let [num_gates, num_wires] = header[..] else {
        return Err(syntax(
            first_no,
            format!("expected `<gates> <wires>`, found `{}`", lex.text().trim()),
        ));
    };
    if num_wires > MAX_WIRES {
        return Err(syntax(
            first_no,
            format!("{num_wires} wires is more than the {MAX_WIRES} supported"),
        ));
    }

    if !lex.next_line() {
        return Err(syntax(
            first_no + 1,
            "the file ends before the input header".into(),
        ));
    }
    let (second_no, second) = (lex.line, lex.text());
    let second_nums = lex.numbers("the input header")?;
    if !lex.next_line() {
        return Err(syntax(
            second_no + 1,
            "the file ends before any gate".into(),
        ));
    }
    let third_no = lex.line;
    let third_is_header = (0..lex.tokens.len()).all(|k| lex.is_u64(k));
    let format = options.format.unwrap_or(if third_is_header {
        Format::Fashion
    } else {
        Format::Old
    });

    // In the old format the third line is the first gate.
    let (input_widths, output_widths, third_is_gate) = match format {
        Format::Fashion => {
            let outputs = lex.numbers("the output header")?;
            (
                counted_list(second_no, &second_nums, "input")?,
                counted_list(third_no, &outputs, "output")?,
                false,
            )
        }
        Format::Old => {
            let [n1, n2, n_out] = second_nums[..] else {
                return Err(syntax(
                    second_no,
                    format!(
                        "expected the old-format header `<n1> <n2> <n_out>`, found `{}`",
                        second.trim()
                    ),
                ));
            };
            // Bristol Fashion refuses empty groups; a circuit with no output
            // computes nothing, so the old format refuses it too.
            if n_out == 0 {
                return Err(syntax(
                    second_no,
                    "the old-format header declares 0 output wires".into(),
                ));
            }
            // A zero-width input (the hash circuits take one message only)
            // is no group at all, and so is a zero-width output (Bristol
            // Fashion has no empty groups, so export could not write it).
            let inputs = [n1, n2].into_iter().filter(|&w| w > 0).collect();
            let outputs = [n_out].into_iter().filter(|&w| w > 0).collect();
            (inputs, outputs, true)
        }
    };
    Ok(Header {
        num_gates,
        num_wires,
        format,
        input_widths,
        output_widths,
        third_is_gate,
    })
}

/// Checks the declared wire count against the groups and the file's size,
/// returning the total input and output widths; separate because it must
/// run before anything is allocated for the wires.
fn check_wire_counts(header: &Header, text_len: usize) -> Result<(u64, u64), BristolError> {
    let num_wires = header.num_wires;
    // Saturating: absurd widths must give an error, not an overflow.
    let total_in: u64 = header
        .input_widths
        .iter()
        .fold(0, |a, &w| a.saturating_add(w));
    let total_out: u64 = header
        .output_widths
        .iter()
        .fold(0, |a, &w| a.saturating_add(w));
    if total_in > num_wires || total_out > num_wires {
        return Err(BristolError::WireCount {
            declared: num_wires,
            what: format!("the groups need {total_in} input and {total_out} output wires"),
        });
    }
    // Every wire a gate reads or writes is named in the text by at least one
    // digit and a separator, so a file names at most half its length in
    // wires; only input bits nobody reads and outputs that are inputs go
    // unnamed, and those are allowed a fixed allowance. Checking this before
    // allocating keeps a tiny file that claims two billion wires from taking
    // gigabytes of memory.
    let possible = (text_len as u64 / 2).saturating_add(MAX_UNNAMED_WIRES);
    if num_wires > possible {
        return Err(BristolError::WireCount {
            declared: num_wires,
            what: format!("a file of {text_len} bytes can hold at most {possible}"),
        });
    }
    Ok((total_in, total_out))
}

/// Reads the gate lines into `wiring`; separate because it is the hot loop
/// (with the `FAST` path) and checks the declared gate count.
fn read_gates<const FAST: bool>(
    lex: &mut Lexer<'_>,
    wiring: &mut Wiring,
    num_gates: u64,
    third_is_gate: bool,
) -> Result<(), BristolError> {
    let mut gate_lines = 0u64;
    let mut pending = third_is_gate;
    loop {
        if FAST && !pending && gate_lines < num_gates && wiring.common_gate(lex) {
            gate_lines += 1;
            continue;
        }
        if !(std::mem::take(&mut pending) || lex.next_line()) {
            break;
        }
        if gate_lines == num_gates {
            return Err(BristolError::ExtraGates {
                line: lex.line,
                expected: num_gates,
            });
        }
        gate_lines += 1;
        wiring.gate(lex)?;
    }
    if gate_lines < num_gates {
        return Err(BristolError::Truncated {
            expected: num_gates,
            found: gate_lines,
        });
    }
    Ok(())
}

/// Builds the output groups from the last wires; separate because each
/// output wire must be checked as written and resolved through its alias.
fn output_groups(
    output_widths: &[u64],
    num_wires: u64,
    total_out: u64,
    alias: &[Wire],
    writer: &[u32],
    bit_order: BitOrder,
) -> Result<Vec<Output>, BristolError> {
    let mut outputs = Vec::with_capacity(output_widths.len());
    let mut next = (num_wires - total_out) as u32;
    for (k, &width) in output_widths.iter().enumerate() {
        let raw: Vec<Wire> = (next..next + width as u32).collect();
        for &w in &raw {
            if writer[w as usize] == 0 {
                return Err(BristolError::WireCount {
                    declared: num_wires,
                    what: format!("output wire {w} (group out{k}) is never written"),
                });
            }
        }
        let alias = |w: Wire| alias.get(w as usize).copied().unwrap_or(w);
        let wires = ordered(raw.into_iter().map(alias).collect(), bit_order);
        next += width as u32;
        outputs.push(Output {
            name: format!("out{k}"),
            ty: ValueType::UInt(width as u32),
            wires,
        });
    }
    Ok(outputs)
}

/// A common gate line read by [`Lexer::peek_common`]: the gate with its
/// wires as written (eight digits at most, so they fit a [`Wire`]) and the
/// line's length before its `\n`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CommonLine {
    pub(crate) gate: Gate,
    /// The operation as written: `XOR`, `AND`, `INV` or `NOT`.
    pub(crate) op: &'static str,
    len: usize,
}

/// A token of a line: where it is in the text, and its value when it is
/// plain decimal digits that fit a `u64`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Token {
    start: usize,
    end: usize,
    pub(crate) value: Option<u64>,
}

/// The text as numbered lines of tokens, read in one pass over its bytes.
///
/// Tokens are separated by ASCII whitespace, lines by `\n` (so `\r\n` works
/// too: `\r` is whitespace), lines with no token are skipped, and each
/// token's decimal value is computed as it is read. This does what `lines`,
/// `split_ascii_whitespace` and `u64::from_str` would, without their
/// per-line iterator machinery or a second look at any byte: the importer
/// is on the path from process start to the first garbled gate.
pub(crate) struct Lexer<'a> {
    text: &'a str,
    /// Where the line after the current one starts.
    next: usize,
    /// The current line: its number (from 1), where it starts and ends
    /// (before its `\n`), and its tokens.
    pub(crate) line: usize,
    start: usize,
    end: usize,
    pub(crate) tokens: Vec<Token>,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lexer {
            text,
            next: 0,
            line: 0,
            start: 0,
            end: 0,
            tokens: Vec::new(),
        }
    }

    /// Moves to the next line that has a token; false at the end of the text.
    pub(crate) fn next_line(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        while self.next < bytes.len() {
            let mut i = self.next;
            self.line += 1;
            self.start = i;
            self.tokens.clear();
            loop {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i == bytes.len() || bytes[i] == b'\n' {
                    break;
                }
                let start = i;
                // Wrapping arithmetic is exact for up to 19 digits; longer
                // tokens are read again, checked.
                let (mut value, mut digits_only) = (0u64, true);
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
                    let digit = bytes[i].wrapping_sub(b'0');
                    digits_only &= digit <= 9;
                    value = value.wrapping_mul(10).wrapping_add(digit as u64);
                    i += 1;
                }
                let value = match (digits_only, i - start) {
                    (false, _) => None,
                    (true, 0..=19) => Some(value),
                    (true, _) => decimal(&bytes[start..i]),
                };
                self.tokens.push(Token {
                    start,
                    end: i,
                    value,
                });
            }
            self.end = i;
            // Past the `\n`, or at the end of the text.
            self.next = (i + 1).min(bytes.len());
            if !self.tokens.is_empty() {
                return true;
            }
        }
        false
    }

    /// The next line, if it is one of the common gate lines
    /// `2 1 <a> <b> <out> XOR|AND` or `1 1 <a> <out> INV|NOT` with single
    /// spaces, wire numbers of at most eight digits and a `\n`: read
    /// straight from the text, eight digits at a time, with no tokens (most
    /// of a file is such lines, and reading them is the hot path of the
    /// importer and of the streamed reader). The wires are as written, not
    /// checked against anything. `None` for any other line (blank, near the
    /// end of the text, or written otherwise), which [`Lexer::next_line`]
    /// then reads; [`Lexer::take_common`] moves past a line read here.
    #[inline]
    pub(crate) fn peek_common(&self) -> Option<CommonLine> {
        const XOR: u32 = u32::from_le_bytes(*b"XOR\n");
        const AND: u32 = u32::from_le_bytes(*b"AND\n");
        const INV: u32 = u32::from_le_bytes(*b"INV\n");
        const NOT: u32 = u32::from_le_bytes(*b"NOT\n");
        // Long enough for the longest such line: 4 + 3 * 9 + 4 bytes.
        let text = self.text.as_bytes().get(self.next..self.next + 40)?;
        let word = |at: usize| {
            text.get(at..at + 4)
                .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        };
        let (gate, op, at) = match &text[..4] {
            b"2 1 " => {
                let (a, at) = spaced_number(text, 4)?;
                let (b, at) = spaced_number(text, at)?;
                let (out, at) = spaced_number(text, at)?;
                let (a, b, out) = (a as Wire, b as Wire, out as Wire);
                match word(at)? {
                    XOR => (Gate::Xor { a, b, out }, "XOR", at),
                    AND => (Gate::And { a, b, out }, "AND", at),
                    _ => return None,
                }
            }
            b"1 1 " => {
                let (a, at) = spaced_number(text, 4)?;
                let (out, at) = spaced_number(text, at)?;
                let (a, out) = (a as Wire, out as Wire);
                match word(at)? {
                    INV => (Gate::Not { a, out }, "INV", at),
                    NOT => (Gate::Not { a, out }, "NOT", at),
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some(CommonLine {
            gate,
            op,
            len: at + 3,
        })
    }

    /// Moves past the line [`Lexer::peek_common`] just read, as
    /// [`Lexer::next_line`] would (it has no tokens).
    #[inline]
    pub(crate) fn take_common(&mut self, common: &CommonLine) {
        self.line += 1;
        self.start = self.next;
        self.end = self.next + common.len;
        self.next = self.end + 1;
        self.tokens.clear();
    }

    /// The current line (without its line break).
    pub(crate) fn text(&self) -> &'a str {
        // Lines and tokens start and end at ASCII bytes or at the ends of
        // the text, so these are always character boundaries.
        self.text.get(self.start..self.end).unwrap_or_default()
    }

    /// Token `k` of the current line (which must have one).
    pub(crate) fn token(&self, k: usize) -> &'a str {
        let t = self.tokens[k];
        self.text.get(t.start..t.end).unwrap_or_default()
    }

    /// Token `k` as a number, or an error naming `what` was expected.
    #[inline]
    pub(crate) fn number(&self, k: usize, what: &str) -> Result<u64, BristolError> {
        match self.tokens.get(k) {
            Some(Token { value: Some(v), .. }) => Ok(*v),
            _ => Err(self.not_a_number(k, what)),
        }
    }

    /// The error for token `k` (or the end of the line) where `what`, a
    /// number, was expected: built out of line, off the importer's hot path.
    #[cold]
    #[inline(never)]
    pub(crate) fn not_a_number(&self, k: usize, what: &str) -> BristolError {
        let found = match self.tokens.get(k) {
            Some(_) => format!("`{}`", self.token(k)),
            None => "the end of the line".into(),
        };
        syntax(self.line, format!("expected {what}, found {found}"))
    }

    /// Every token of the current line as a number.
    pub(crate) fn numbers(&self, what: &str) -> Result<Vec<u64>, BristolError> {
        (0..self.tokens.len())
            .map(|k| self.number(k, &format!("a number in {what}")))
            .collect()
    }

    /// Whether token `k` reads as a `u64` the way `str::parse` reads one,
    /// which also takes a leading `+`.
    #[inline]
    pub(crate) fn is_u64(&self, k: usize) -> bool {
        let t = self.tokens[k];
        t.value.is_some()
            || (self.text.as_bytes()[t.start] == b'+' && self.token(k).parse::<u64>().is_ok())
    }

    /// Token `k` as bytes (the gate names are compared as such).
    #[inline]
    fn bytes(&self, k: usize) -> &'a [u8] {
        let t = self.tokens[k];
        &self.text.as_bytes()[t.start..t.end]
    }
}

/// The number of 1 to 8 decimal digits at `text[at..]`, if a single space
/// follows them, and where the next token starts; `None` for anything else.
/// Branch-free on eight bytes at once.
#[inline(always)]
fn spaced_number(text: &[u8], at: usize) -> Option<(u64, usize)> {
    let bytes: [u8; 8] = text.get(at..at + 8)?.try_into().ok()?;
    // Digits become the bytes 0 to 9, and only digits do.
    let t = u64::from_le_bytes(bytes) ^ 0x3030_3030_3030_3030;
    // Bit 7 of each byte that is 10 or more: the low seven bits plus 0x76
    // reach 0x80 without carrying into the next byte, or bit 7 was set.
    let high = 0x8080_8080_8080_8080;
    let not_digit = (((t & !high) + 0x7676_7676_7676_7676) | t) & high;
    let digits = (not_digit.trailing_zeros() / 8) as usize;
    if digits == 0 || text.get(at + digits) != Some(&b' ') {
        return None;
    }
    // The digits into the high bytes (the low ones become leading zeros;
    // byte k holds the k-th digit read), then pairs, quads and the octet
    // combined by multiplication.
    let v = t << (8 * (8 - digits));
    let v = (v.wrapping_mul(10 << 8 | 1) >> 8) & 0x00ff_00ff_00ff_00ff;
    let v = (v.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_ffff_0000_ffff;
    let v = v.wrapping_mul(10000 << 32 | 1) >> 32;
    Some((v, at + digits + 1))
}

/// Plain decimal digits, no sign (the file's numbers are counts and wire
/// indices), or `None` if they do not fit a `u64`.
fn decimal(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &b| {
        acc.checked_mul(10)?
            .checked_add(b.wrapping_sub(b'0') as u64)
    })
}

/// The gates read so far, and what they wrote.
struct Wiring {
    format: Format,
    num_wires: u64,
    /// EQW copies a wire; the IR has no copy gate, so the destination
    /// becomes an alias of the source. Empty (every wire its own alias)
    /// until the first EQW: most files have none.
    alias: Vec<Wire>,
    /// The line that wrote each wire: 0 for none yet, [`INPUT`] for input
    /// bits.
    writer: Vec<u32>,
    gates: Vec<Gate>,
}

/// The writer of an input bit (see [`Wiring::writer`]).
const INPUT: u32 = u32::MAX;

/// The fewest bytes of text a gate takes: `1 1 0 5 EQ\n` is 11, and a MAND
/// line spends at least 6 (three wire numbers) on each AND it holds.
const MIN_GATE_BYTES: u64 = 6;

/// A gate line's operation, told from its last token.
#[derive(Clone, Copy)]
enum Op {
    Xor,
    And,
    Inv,
    Eq,
    Eqw,
    Mand,
    Unknown,
}

impl Op {
    #[inline]
    fn of(name: &[u8]) -> Op {
        match name {
            b"XOR" => Op::Xor,
            b"AND" => Op::And,
            b"INV" | b"NOT" => Op::Inv,
            b"EQ" => Op::Eq,
            b"EQW" => Op::Eqw,
            b"MAND" => Op::Mand,
            _ => Op::Unknown,
        }
    }
}

impl Wiring {
    /// `text_len` bounds the gate list reserved up front: every gate writes
    /// a wire the header declares, and takes [`MIN_GATE_BYTES`] of text, so
    /// a header that lies cannot reserve more than the file could hold.
    fn new(num_wires: u64, total_in: u64, text_len: usize, format: Format) -> Self {
        let mut writer = vec![0u32; num_wires as usize];
        writer[..total_in as usize].fill(INPUT);
        let most_gates = (num_wires - total_in).min(text_len as u64 / MIN_GATE_BYTES);
        Wiring {
            format,
            num_wires,
            alias: Vec::new(),
            writer,
            gates: Vec::with_capacity(most_gates as usize),
        }
    }

    /// Reads the gate on the lexer's current line.
    fn gate(&mut self, lex: &Lexer) -> Result<(), BristolError> {
        let last = lex.tokens.len() - 1;
        let (nin, nout) = gate_counts(lex)?;
        let arity = |ins: u64, outs: u64| -> Result<(), BristolError> {
            if (nin, nout) != (ins, outs) {
                return Err(arity_error(lex, (ins, outs), (nin, nout)));
            }
            Ok(())
        };
        let op = Op::of(lex.bytes(last));
        match (op, self.format) {
            (Op::Xor | Op::And, _) => {
                arity(2, 1)?;
                let a = self.wire(lex, 0, false)?;
                let b = self.wire(lex, 1, false)?;
                let out = self.wire(lex, 2, true)?;
                self.gates.push(if let Op::Xor = op {
                    Gate::Xor { a, b, out }
                } else {
                    Gate::And { a, b, out }
                });
            }
            (Op::Inv, _) => {
                arity(1, 1)?;
                let a = self.wire(lex, 0, false)?;
                let out = self.wire(lex, 1, true)?;
                self.gates.push(Gate::Not { a, out });
            }
            (Op::Eq, Format::Fashion) => {
                arity(1, 1)?;
                let value = eq_value(lex)?;
                let out = self.wire(lex, 1, true)?;
                self.gates.push(Gate::Const { value, out });
            }
            (Op::Eqw, Format::Fashion) => {
                arity(1, 1)?;
                let src = self.wire(lex, 0, false)?;
                let dst = self.wire(lex, 1, true)?;
                if self.alias.is_empty() {
                    self.alias = (0..self.num_wires as u32).collect();
                }
                self.alias[dst as usize] = src;
            }
            (Op::Mand, Format::Fashion) => {
                let n = mand_width(lex, nin, nout)?;
                for k in 0..n {
                    let a = self.wire(lex, k, false)?;
                    let b = self.wire(lex, n + k, false)?;
                    let out = self.wire(lex, 2 * n + k, true)?;
                    self.gates.push(Gate::And { a, b, out });
                }
            }
            _ => return Err(unknown_gate(lex, self.format)),
        }
        Ok(())
    }

    /// Reads the next line if it is one of the common gate lines (see
    /// [`Lexer::peek_common`]) and its wires check out (each read wire in
    /// range and written, the written one in range and unwritten). Any
    /// other line, or one whose wires do not check out, is left alone
    /// (false, nothing changed) for [`Lexer::next_line`] and
    /// [`Wiring::gate`], so the circuit and every error are what they alone
    /// would give ([`parse_general`], which the tests compare against).
    #[inline]
    fn common_gate(&mut self, lex: &mut Lexer) -> bool {
        let Some(common) = lex.peek_common() else {
            return false;
        };
        let gate = match common.gate {
            Gate::Xor { a, b, out } | Gate::And { a, b, out } => {
                let (Some(a), Some(b), true) = (
                    self.readable(a as u64),
                    self.readable(b as u64),
                    self.writable(out as u64),
                ) else {
                    return false;
                };
                match common.gate {
                    Gate::Xor { .. } => Gate::Xor { a, b, out },
                    _ => Gate::And { a, b, out },
                }
            }
            Gate::Not { a, out } => {
                let (Some(a), true) = (self.readable(a as u64), self.writable(out as u64)) else {
                    return false;
                };
                Gate::Not { a, out }
            }
            Gate::Const { .. } => return false,
        };
        lex.take_common(&common);
        self.writer[gate.output() as usize] = lex.line.min(INPUT as usize - 1) as u32;
        self.gates.push(gate);
        true
    }

    /// Wire `w`'s alias if a gate may read it (it is in range and written).
    #[inline(always)]
    fn readable(&self, w: u64) -> Option<Wire> {
        match self.writer.get(w as usize) {
            Some(&writer) if w < self.num_wires && writer != 0 => Some(self.alias(w as usize)),
            _ => None,
        }
    }

    /// Whether a gate may write wire `w` (it is in range and unwritten).
    #[inline(always)]
    fn writable(&self, w: u64) -> bool {
        w < self.num_wires && self.writer.get(w as usize) == Some(&0)
    }

    /// What wire `w` stands for: itself, or the source of the EQW that
    /// copied it.
    #[inline(always)]
    fn alias(&self, w: usize) -> Wire {
        match self.alias.get(w) {
            Some(&a) => a,
            None => w as Wire,
        }
    }

    /// Wire argument `i` of the current line's gate: read (checked to be
    /// written already; its alias is returned) or written (checked to be
    /// written only here).
    #[inline(always)]
    fn wire(&mut self, lex: &Lexer, i: usize, is_output: bool) -> Result<Wire, BristolError> {
        let line = lex.line;
        let Some(w) = lex.tokens.get(2 + i).and_then(|t| t.value) else {
            return Err(lex.not_a_number(2 + i, "a wire number"));
        };
        // Checked against `num_wires` (at most 2^31) before any indexing.
        let fits = w < self.num_wires;
        let at = if fits { w as usize } else { 0 };
        match (fits, is_output, self.writer.get(at).copied()) {
            (true, true, Some(0)) => {
                self.writer[at] = line.min(INPUT as usize - 1) as u32;
                Ok(w as Wire)
            }
            (true, false, Some(writer)) if writer != 0 => Ok(self.alias(at)),
            _ => Err(self.miswired(lex, w, is_output)),
        }
    }

    /// Why wire `w` cannot be read (or written) by this line's gate.
    #[cold]
    #[inline(never)]
    fn miswired(&self, lex: &Lexer, w: u64, is_output: bool) -> BristolError {
        let op = lex.token(lex.tokens.len() - 1);
        let error = if w >= self.num_wires {
            IrError::OutOfRange {
                wire: w as u32,
                num_wires: self.num_wires as u32,
                place: format!("the {op} gate"),
            }
        } else if is_output {
            IrError::WrittenTwice {
                wire: w as u32,
                first: match self.writer[w as usize] {
                    INPUT => "an input".to_string(),
                    l => format!("line {l}"),
                },
                second: format!("this {op} gate"),
            }
        } else {
            IrError::ReadBeforeWrite {
                wire: w as u32,
                place: format!("the {op} gate"),
            }
        };
        BristolError::Wiring {
            line: lex.line,
            error,
        }
    }
}

/// A gate named on the current line with the wrong number of inputs or
/// outputs: built out of line, off the importer's hot path.
#[cold]
#[inline(never)]
/// The party of each of `groups` input groups: as `options` says, or the
/// first group the garbler's and the others the evaluator's.
pub(crate) fn parties_of(options: &Options, groups: usize) -> Result<Vec<Party>, BristolError> {
    match &options.parties {
        Some(p) if p.len() != groups => Err(BristolError::PartyCount {
            given: p.len(),
            groups,
        }),
        Some(p) => Ok(p.clone()),
        None => Ok((0..groups)
            .map(|i| {
                if i == 0 {
                    Party::Garbler
                } else {
                    Party::Evaluator
                }
            })
            .collect()),
    }
}

/// The input and output counts of the gate line `lex` holds, checked
/// against the wires it lists and its gate name (the checks every reader of
/// gate lines shares: the importer and `bristol_windowed`).
pub(crate) fn gate_counts(lex: &Lexer) -> Result<(u64, u64), BristolError> {
    let last = lex.tokens.len() - 1;
    let nin = lex.number(0, "the input count")?;
    let nout = lex.number(1, "the output count")?;
    if lex.is_u64(last) {
        return Err(syntax(
            lex.line,
            format!(
                "`{}` ends without a gate name (a truncated line?)",
                lex.text().trim()
            ),
        ));
    }
    // The wires, then the gate name.
    let args = lex.tokens.len() - 2;
    // u128: the counts are untrusted and may be near u64::MAX.
    if args as u128 != nin as u128 + nout as u128 + 1 {
        return Err(syntax(
            lex.line,
            format!(
                "the gate says {nin} inputs and {nout} outputs, but lists {} wires",
                args.saturating_sub(1)
            ),
        ));
    }
    Ok((nin, nout))
}

/// The constant an `EQ` line assigns.
pub(crate) fn eq_value(lex: &Lexer) -> Result<bool, BristolError> {
    match lex.bytes(2) {
        b"0" => Ok(false),
        b"1" => Ok(true),
        _ => Err(syntax(
            lex.line,
            format!("EQ assigns a constant 0 or 1, not `{}`", lex.token(2)),
        )),
    }
}

/// The number of ANDs `n` of a `MAND` line of `2n` inputs and `n` outputs.
pub(crate) fn mand_width(lex: &Lexer, nin: u64, nout: u64) -> Result<usize, BristolError> {
    if nin as u128 != 2 * nout as u128 || nout == 0 {
        return Err(syntax(
            lex.line,
            format!("MAND takes 2n inputs and n outputs, not {nin} and {nout}"),
        ));
    }
    Ok(nout as usize)
}

/// A gate name `format` does not have.
pub(crate) fn unknown_gate(lex: &Lexer, format: Format) -> BristolError {
    let known = match format {
        Format::Fashion => "XOR, AND, INV, EQ, EQW or MAND",
        Format::Old => "XOR, AND or INV (the old Bristol format)",
    };
    syntax(
        lex.line,
        format!(
            "unknown gate `{}`; expected {known}",
            lex.token(lex.tokens.len() - 1)
        ),
    )
}

pub(crate) fn arity_error(lex: &Lexer, expected: (u64, u64), found: (u64, u64)) -> BristolError {
    let op = lex.token(lex.tokens.len() - 1);
    syntax(
        lex.line,
        format!(
            "{op} takes {} inputs and {} outputs, not {} and {}",
            expected.0, expected.1, found.0, found.1
        ),
    )
}

/// The input groups `in0, in1, ..` of the given widths and parties, on
/// wires `0..`: they depend on the header alone (the importer and the
/// streamed reader both make them here).
pub(crate) fn input_groups(widths: &[u64], parties: &[Party], order: BitOrder) -> Vec<Input> {
    let mut next = 0u32;
    let mut inputs = Vec::with_capacity(widths.len());
    for (k, (&width, &party)) in widths.iter().zip(parties).enumerate() {
        let wires = ordered((next..next + width as u32).collect(), order);
        next += width as u32;
        inputs.push(Input {
            name: format!("in{k}"),
            party,
            ty: ValueType::UInt(width as u32),
            wires,
        });
    }
    inputs
}

/// Wires in group order: reversed for [`BitOrder::Msb0`].
pub(crate) fn ordered(mut wires: Vec<Wire>, order: BitOrder) -> Vec<Wire> {
    if order == BitOrder::Msb0 {
        wires.reverse();
    }
    wires
}

pub(crate) fn syntax(line: usize, message: String) -> BristolError {
    BristolError::Syntax { line, message }
}

/// `<count> <w_1> ... <w_count>` with every width positive.
pub(crate) fn counted_list(
    line: usize,
    nums: &[u64],
    what: &str,
) -> Result<Vec<u64>, BristolError> {
    match nums.split_first() {
        Some((&count, widths)) if count as usize == widths.len() => {
            if widths.contains(&0) {
                return Err(syntax(line, format!("an {what} group of width 0")));
            }
            Ok(widths.to_vec())
        }
        _ => Err(syntax(
            line,
            format!(
                "expected the {what} header `<count> <width_1> ... <width_count>`, found `{}`",
                join(nums)
            ),
        )),
    }
}

fn join(nums: &[u64]) -> String {
    nums.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes a circuit as Bristol Fashion. Input bits take wires `0..`, group
/// by group, bit 0 first; gate outputs follow in order; outputs must be the
/// last wires, so any output bit that is not already there (an input wire, a
/// wire used twice, a gate written earlier) is copied with `EQW`. Importing
/// the result gives back a circuit with the same [`Circuit::id`].
pub fn export(circuit: &Circuit) -> String {
    let out_wires: Vec<Wire> = circuit
        .outputs
        .iter()
        .flat_map(|o| o.wires.iter().copied())
        .collect();

    // The new number of each old wire: inputs, then gate outputs.
    let mut map = vec![u32::MAX; circuit.num_wires as usize];
    let mut next = 0u32;
    for w in circuit.inputs.iter().flat_map(|i| &i.wires) {
        map[*w as usize] = next;
        next += 1;
    }
    let total_in = next as usize;
    for g in &circuit.gates {
        map[g.output() as usize] = next;
        next += 1;
    }
    // No copies are needed when the outputs are exactly the last gate
    // outputs, in order.
    let tail = (next as usize).saturating_sub(out_wires.len());
    let in_place = tail >= total_in
        && out_wires
            .iter()
            .enumerate()
            .all(|(k, &w)| map[w as usize] as usize == tail + k);
    let copies = if in_place { 0 } else { out_wires.len() };

    let mut s = String::with_capacity(circuit.gates.len() * 20 + 64);
    let groups = |ws: Vec<usize>| {
        let list: Vec<String> = ws.iter().map(usize::to_string).collect();
        format!("{} {}", ws.len(), list.join(" "))
    };
    let _ = writeln!(
        s,
        "{} {}",
        circuit.gates.len() + copies,
        next as usize + copies
    );
    let _ = writeln!(
        s,
        "{}",
        groups(circuit.inputs.iter().map(|i| i.wires.len()).collect())
    );
    let _ = writeln!(
        s,
        "{}",
        groups(circuit.outputs.iter().map(|o| o.wires.len()).collect())
    );
    s.push('\n');
    let m = |w: Wire| map[w as usize];
    for g in &circuit.gates {
        let _ = match *g {
            Gate::Xor { a, b, out } => writeln!(s, "2 1 {} {} {} XOR", m(a), m(b), m(out)),
            Gate::And { a, b, out } => writeln!(s, "2 1 {} {} {} AND", m(a), m(b), m(out)),
            Gate::Not { a, out } => writeln!(s, "1 1 {} {} INV", m(a), m(out)),
            Gate::Const { value, out } => writeln!(s, "1 1 {} {} EQ", value as u8, m(out)),
        };
    }
    for (k, &w) in out_wires.iter().enumerate().take(copies) {
        let _ = writeln!(s, "1 1 {} {} EQW", m(w), next as usize + k);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Report;

    const ADDER2: &str = "2 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 5 XOR\n";

    #[test]
    fn parses_fashion_and_evaluates() {
        let c = parse("x", ADDER2, &Options::default()).unwrap();
        assert_eq!(c.inputs[0].party, Party::Garbler);
        assert_eq!(c.inputs[1].party, Party::Evaluator);
        assert_eq!(
            c.eval_plain(&[vec![true], vec![false]]).unwrap(),
            vec![vec![true]]
        );
    }

    #[test]
    fn export_round_trips() {
        let c = parse("x", ADDER2, &Options::default()).unwrap();
        let again = parse("x", &export(&c), &Options::default()).unwrap();
        assert_eq!(c.id(), again.id());
    }

    #[test]
    fn old_format_is_detected() {
        let old = "1 3\n1 1 1\n\n2 1 0 1 2 AND\n";
        let c = parse("x", old, &Options::default()).unwrap();
        assert_eq!(c.inputs.len(), 2);
        assert_eq!(
            c.eval_plain(&[vec![true], vec![true]]).unwrap(),
            vec![vec![true]]
        );
    }

    #[test]
    fn old_format_without_outputs_is_refused() {
        // Found by fuzzing: it imported, but its export did not.
        let err = parse("t", "1 4\n2 2 0\n2 1 0 2 3 AND\n", &Options::default()).unwrap_err();
        assert_eq!(
            err.report(),
            "line 2: the old-format header declares 0 output wires"
        );
    }

    #[test]
    fn tokens_are_split_as_the_format_says() {
        // CRLF, tabs, form feeds, leading zeros and no final line break.
        let id = parse("x", ADDER2, &Options::default()).unwrap().id();
        for text in [
            "2 6\r\n2 1 1\r\n1 1\r\n\r\n2 1 0 1 2 AND\r\n2 1 0 1 5 XOR\r\n",
            "\t2\x0c6 \n 2 1 1\n1 1\n\n2 1 0 1 2 AND\n2\t1 00 01 0005 XOR",
        ] {
            assert_eq!(parse("x", text, &Options::default()).unwrap().id(), id);
        }
        let err = |gate: &str| {
            parse(
                "x",
                &format!("1 6\n2 1 1\n1 1\n\n{gate}\n"),
                &Options::default(),
            )
            .unwrap_err()
            .report()
        };
        assert_eq!(
            err("2 1 0 1 18446744073709551616 AND"),
            "line 5: expected a wire number, found `18446744073709551616`"
        );
        assert_eq!(
            err("2 1 0 1 5 \u{c4}ND"),
            "line 5: unknown gate `\u{c4}ND`; expected XOR, AND, INV, EQ, EQW or MAND"
        );
        // A vertical tab is not whitespace to the format.
        assert!(err("2 1 0 1\x0b5 AND").ends_with("but lists 2 wires"));
        // A gate name that `str::parse` reads as a number (it takes `+`).
        assert!(err("2 1 0 1 +5").ends_with("ends without a gate name (a truncated line?)"));
        assert_eq!(
            err("2 +1 0 1 5 AND"),
            "line 5: expected the output count, found `+1`"
        );
        let plus = parse(
            "x",
            "1 6\n2 1 1\n+1 1\n\n2 1 0 1 5 AND\n",
            &Options::default(),
        );
        assert_eq!(
            plus.unwrap_err().report(),
            "line 3: expected a number in the output header, found `+1`"
        );
    }

    #[test]
    fn spaced_numbers_are_read_as_the_lexer_reads_them() {
        // Every digit count, leading zeros, and the bytes just outside the
        // digits ('/' and ':'), whitespace other than a space, and non-ASCII
        // after or inside the digits.
        let mut cases: Vec<String> = Vec::new();
        for digits in 1..=10 {
            for lead in ["", "0", "00000"] {
                let n: String = (0..digits)
                    .map(|k| char::from(b'1' + (k * 7 % 9) as u8))
                    .collect();
                for tail in [
                    " ",
                    "  ",
                    "\t",
                    "\n",
                    "/",
                    ":",
                    "\u{e9}",
                    "x ",
                    " 1 2 3 4 5 6 7",
                ] {
                    cases.push(format!("{lead}{n}{tail}         "));
                }
            }
        }
        for text in &cases {
            let bytes = text.as_bytes();
            let expected = {
                let token = text.split([' ', '\t', '\n']).next().unwrap();
                let digits = token.bytes().all(|b| b.is_ascii_digit()) && !token.is_empty();
                (digits && token.len() <= 8 && bytes[token.len()] == b' ')
                    .then(|| (token.parse::<u64>().unwrap(), token.len() + 1))
            };
            assert_eq!(spaced_number(bytes, 0), expected, "{text:?}");
        }
        assert_eq!(spaced_number(b"1234 ", 0), None, "fewer than eight bytes");
    }

    #[test]
    fn a_lying_header_reserves_no_more_than_the_file_can_hold() {
        // A million wires (allowed: most may go unnamed) and four billion
        // gates claimed; one gate line follows.
        let text = "4000000000 1000000\n2 1 1\n1 1\n\n2 1 0 1 999999 AND\n";
        let wiring = Wiring::new(1_000_000, 2, text.len(), Format::Fashion);
        assert!(wiring.gates.capacity() as u64 <= text.len() as u64 / MIN_GATE_BYTES);
        let honest = text.replacen("4000000000", "1", 1);
        let c = parse("x", &honest, &Options::default()).unwrap();
        assert_eq!(c.gates.len(), 1);
        assert!(c.gates.capacity() <= honest.len() / 6);
        assert!(parse("x", text, &Options::default())
            .unwrap_err()
            .report()
            .contains("promises 4000000000"));
    }

    #[test]
    fn errors_name_the_line() {
        let err = |text: &str| parse("x", text, &Options::default()).unwrap_err().report();
        assert_eq!(
            err(""),
            "line 1: the file is empty; expected a header `<gates> <wires>`"
        );
        assert!(err("3 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 5 XOR\n").contains("promises 3"));
        assert!(err("1 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 5 XOR\n").starts_with("line 6"));
        assert!(err("1 6\n2 1 1\n1 1\n\n2 1 0 1 5 NAND\n").contains("unknown gate `NAND`"));
        assert!(err("1 6\n2 1 1\n1 1\n\n2 1 0 3 5 AND\n")
            .contains("wire 3 is read by the AND gate before"));
        assert!(err("1 6\n2 1 1\n1 1\n\n2 1 0 9 5 AND\n").contains("wire 9 is out of range"));
        assert!(err("2 6\n2 1 1\n1 1\n\n2 1 0 1 5 AND\n2 1 0 1 5 XOR\n").contains("written twice"));
        assert!(err("1 6\n2 1 1\n1 1\n\n2 1 0 1 AND\n").contains("lists 2 wires"));
        assert!(err("1 99999999999\n2 1 1\n1 1\n\n").contains("more than"));
        assert!(err("1 6\n2 1 1\n1 1\n\n2 1 0 1 4 AND\n").contains("output wire 5"));
        assert!(err("2 6\n2 1 1\n1 1\n\n2 1 0 1 5 AND\n2 1 0 1 5 XOR\n")
            .contains("by line 5 and by this XOR"));
        // Untrusted counts: no overflow, no allocation the file cannot back.
        assert!(err("1 6\n2 1 1\n1 1\n\n18446744073709551615 1 AND\n").contains("lists 0 wires"));
        assert!(err("1 6\n2 1 1\n1 1\n\n0 18446744073709551615\n").contains("without a gate name"));
        assert!(err("2 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0")
            .contains("line 6: `2 1 0` ends without a gate"));
        let huge = "1 6\n2 1 1\n1 1\n\n18446744073709551615 9223372036854775808 0 1 5 MAND\n";
        assert!(err(huge).contains("lists"));
        assert!(
            err("1 6\n2 18446744073709551615 18446744073709551615\n1 1\n\n")
                .contains("groups need")
        );
        assert!(err("1 2000000000\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n").contains("can hold at most"));
        let inputs = "1 2000000000\n2 1000000000 1000000000\n1 1\n\n2 1 0 1 2 AND\n";
        assert!(err(inputs).contains("can hold at most"));
    }
}
