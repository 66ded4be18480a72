//! The Bristol importer, `Circuit::validate` and `Circuit::id` as they were
//! at commit 43fb2ba, before they were tuned for speed: the reference the
//! current code is compared against (tests/bristol_equivalence.rs). Kept as
//! it was, apart from the imports and the public types it now names by path.

#![allow(dead_code)]

use yao::compiler::bristol::{BitOrder, BristolError, Format, Options};
use yao::compiler::ir::{Circuit, CircuitId, Gate, Input, IrError, Output, Party, ValueType, Wire};

/// Wire counts beyond this are refused before anything is allocated: 2^31
/// wires would already need 16 GiB of gate list.
const MAX_WIRES: u64 = 1 << 31;

/// Wires a file may declare beyond those its text names (see `parse`).
const MAX_UNNAMED_WIRES: u64 = 1 << 20;

/// Parses a Bristol file. `name` becomes the circuit's name (usually the
/// file stem); the groups are named `in0, in1, ...` and `out0, out1, ...`.
pub fn parse(name: &str, text: &str, options: &Options) -> Result<Circuit, BristolError> {
    let mut lex = Lexer::new(text);
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

    // Saturating: absurd widths must give an error, not an overflow.
    let total_in: u64 = input_widths.iter().fold(0, |a, &w| a.saturating_add(w));
    let total_out: u64 = output_widths.iter().fold(0, |a, &w| a.saturating_add(w));
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
    let possible = (text.len() as u64 / 2).saturating_add(MAX_UNNAMED_WIRES);
    if num_wires > possible {
        return Err(BristolError::WireCount {
            declared: num_wires,
            what: format!("a file of {} bytes can hold at most {possible}", text.len()),
        });
    }
    let parties = match &options.parties {
        Some(p) if p.len() != input_widths.len() => {
            return Err(BristolError::PartyCount {
                given: p.len(),
                groups: input_widths.len(),
            })
        }
        Some(p) => p.clone(),
        None => (0..input_widths.len())
            .map(|i| {
                if i == 0 {
                    Party::Garbler
                } else {
                    Party::Evaluator
                }
            })
            .collect(),
    };

    let mut wiring = Wiring::new(num_gates, num_wires, total_in, format);
    let mut gate_lines = 0u64;
    let mut pending = third_is_gate;
    while std::mem::take(&mut pending) || lex.next_line() {
        if gate_lines == num_gates {
            return Err(BristolError::ExtraGates {
                line: lex.line,
                expected: num_gates,
            });
        }
        gate_lines += 1;
        wiring.gate(&lex)?;
    }
    if gate_lines < num_gates {
        return Err(BristolError::Truncated {
            expected: num_gates,
            found: gate_lines,
        });
    }
    let Wiring {
        alias,
        writer,
        gates,
        ..
    } = wiring;

    let mut inputs = Vec::with_capacity(input_widths.len());
    let mut next = 0u32;
    for (k, (&width, &party)) in input_widths.iter().zip(&parties).enumerate() {
        let wires = ordered((next..next + width as u32).collect(), options.bit_order);
        next += width as u32;
        inputs.push(Input {
            name: format!("in{k}"),
            party,
            ty: ValueType::UInt(width as u32),
            wires,
        });
    }
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
        let wires = ordered(
            raw.into_iter().map(|w| alias[w as usize]).collect(),
            options.bit_order,
        );
        next += width as u32;
        outputs.push(Output {
            name: format!("out{k}"),
            ty: ValueType::UInt(width as u32),
            wires,
        });
    }
    let circuit = Circuit {
        name: name.to_string(),
        num_wires: num_wires as u32,
        inputs,
        outputs,
        gates,
    };
    validate(&circuit)?;
    Ok(circuit)
}

/// A token of a line: where it is in the text, and its value when it is
/// plain decimal digits that fit a `u64`.
#[derive(Clone, Copy, Debug)]
struct Token {
    start: usize,
    end: usize,
    value: Option<u64>,
}

/// The text as numbered lines of tokens, read in one pass over its bytes.
///
/// Tokens are separated by ASCII whitespace, lines by `\n` (so `\r\n` works
/// too: `\r` is whitespace), lines with no token are skipped, and each
/// token's decimal value is computed as it is read. This does what `lines`,
/// `split_ascii_whitespace` and `u64::from_str` would, without their
/// per-line iterator machinery or a second look at any byte: the importer
/// is on the path from process start to the first garbled gate.
struct Lexer<'a> {
    text: &'a str,
    /// Where the line after the current one starts.
    next: usize,
    /// The current line: its number (from 1), where it starts and ends
    /// (before its `\n`), and its tokens.
    line: usize,
    start: usize,
    end: usize,
    tokens: Vec<Token>,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
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
    fn next_line(&mut self) -> bool {
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

    /// The current line (without its line break).
    fn text(&self) -> &'a str {
        // Lines and tokens start and end at ASCII bytes or at the ends of
        // the text, so these are always character boundaries.
        self.text.get(self.start..self.end).unwrap_or_default()
    }

    /// Token `k` of the current line (which must have one).
    fn token(&self, k: usize) -> &'a str {
        let t = self.tokens[k];
        self.text.get(t.start..t.end).unwrap_or_default()
    }

    /// Token `k` as a number, or an error naming `what` was expected.
    #[inline]
    fn number(&self, k: usize, what: &str) -> Result<u64, BristolError> {
        match self.tokens.get(k) {
            Some(Token { value: Some(v), .. }) => Ok(*v),
            _ => Err(self.not_a_number(k, what)),
        }
    }

    /// The error for token `k` (or the end of the line) where `what`, a
    /// number, was expected: built out of line, off the importer's hot path.
    #[cold]
    #[inline(never)]
    fn not_a_number(&self, k: usize, what: &str) -> BristolError {
        let found = match self.tokens.get(k) {
            Some(_) => format!("`{}`", self.token(k)),
            None => "the end of the line".into(),
        };
        syntax(self.line, format!("expected {what}, found {found}"))
    }

    /// Every token of the current line as a number.
    fn numbers(&self, what: &str) -> Result<Vec<u64>, BristolError> {
        (0..self.tokens.len())
            .map(|k| self.number(k, &format!("a number in {what}")))
            .collect()
    }

    /// Whether token `k` reads as a `u64` the way `str::parse` reads one,
    /// which also takes a leading `+`.
    #[inline]
    fn is_u64(&self, k: usize) -> bool {
        self.tokens[k].value.is_some()
            || (self.token(k).starts_with('+') && self.token(k).parse::<u64>().is_ok())
    }
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
    /// becomes an alias of the source.
    alias: Vec<Wire>,
    /// The line that wrote each wire: 0 for none yet, [`INPUT`] for input
    /// bits.
    writer: Vec<u32>,
    gates: Vec<Gate>,
}

/// The writer of an input bit (see [`Wiring::writer`]).
const INPUT: u32 = u32::MAX;

impl Wiring {
    fn new(num_gates: u64, num_wires: u64, total_in: u64, format: Format) -> Self {
        let mut writer = vec![0u32; num_wires as usize];
        writer[..total_in as usize].fill(INPUT);
        Wiring {
            format,
            num_wires,
            alias: (0..num_wires as u32).collect(),
            writer,
            gates: Vec::with_capacity(num_gates.min(num_wires) as usize),
        }
    }

    /// Reads the gate on the lexer's current line.
    fn gate(&mut self, lex: &Lexer) -> Result<(), BristolError> {
        let line_no = lex.line;
        let last = lex.tokens.len() - 1;
        let op = lex.token(last);
        let nin = lex.number(0, "the input count")?;
        let nout = lex.number(1, "the output count")?;
        if lex.is_u64(last) {
            return Err(syntax(
                line_no,
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
                line_no,
                format!(
                    "the gate says {nin} inputs and {nout} outputs, but lists {} wires",
                    args.saturating_sub(1)
                ),
            ));
        }
        let arity = |ins: u64, outs: u64| -> Result<(), BristolError> {
            if (nin, nout) != (ins, outs) {
                return Err(syntax(
                    line_no,
                    format!("{op} takes {ins} inputs and {outs} outputs, not {nin} and {nout}"),
                ));
            }
            Ok(())
        };
        match (op, self.format) {
            ("XOR" | "AND", _) => {
                arity(2, 1)?;
                let a = self.wire(lex, 0, false, op)?;
                let b = self.wire(lex, 1, false, op)?;
                let out = self.wire(lex, 2, true, op)?;
                self.gates.push(if op == "XOR" {
                    Gate::Xor { a, b, out }
                } else {
                    Gate::And { a, b, out }
                });
            }
            ("INV" | "NOT", _) => {
                arity(1, 1)?;
                let a = self.wire(lex, 0, false, op)?;
                let out = self.wire(lex, 1, true, op)?;
                self.gates.push(Gate::Not { a, out });
            }
            ("EQ", Format::Fashion) => {
                arity(1, 1)?;
                let value = match lex.token(2) {
                    "0" => false,
                    "1" => true,
                    other => {
                        return Err(syntax(
                            line_no,
                            format!("EQ assigns a constant 0 or 1, not `{other}`"),
                        ))
                    }
                };
                let out = self.wire(lex, 1, true, op)?;
                self.gates.push(Gate::Const { value, out });
            }
            ("EQW", Format::Fashion) => {
                arity(1, 1)?;
                let src = self.wire(lex, 0, false, op)?;
                let dst = self.wire(lex, 1, true, op)?;
                self.alias[dst as usize] = src;
            }
            ("MAND", Format::Fashion) => {
                if nin as u128 != 2 * nout as u128 || nout == 0 {
                    return Err(syntax(
                        line_no,
                        format!("MAND takes 2n inputs and n outputs, not {nin} and {nout}"),
                    ));
                }
                let n = nout as usize;
                for k in 0..n {
                    let a = self.wire(lex, k, false, op)?;
                    let b = self.wire(lex, n + k, false, op)?;
                    let out = self.wire(lex, 2 * n + k, true, op)?;
                    self.gates.push(Gate::And { a, b, out });
                }
            }
            _ => {
                let known = match self.format {
                    Format::Fashion => "XOR, AND, INV, EQ, EQW or MAND",
                    Format::Old => "XOR, AND or INV (the old Bristol format)",
                };
                return Err(syntax(
                    line_no,
                    format!("unknown gate `{op}`; expected {known}"),
                ));
            }
        }
        Ok(())
    }

    /// Wire argument `i` of the current line's `op` gate: read (checked to
    /// be written already; its alias is returned) or written (checked to be
    /// written only here).
    #[inline(always)]
    fn wire(
        &mut self,
        lex: &Lexer,
        i: usize,
        is_output: bool,
        op: &str,
    ) -> Result<Wire, BristolError> {
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
            (true, false, Some(writer)) if writer != 0 => Ok(self.alias[at]),
            _ => Err(self.miswired(line, w, is_output, op)),
        }
    }

    /// Why wire `w` cannot be read (or written) by this line's `op` gate.
    #[cold]
    #[inline(never)]
    fn miswired(&self, line: usize, w: u64, is_output: bool, op: &str) -> BristolError {
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
        BristolError::Wiring { line, error }
    }
}

fn ordered(mut wires: Vec<Wire>, order: BitOrder) -> Vec<Wire> {
    if order == BitOrder::Msb0 {
        wires.reverse();
    }
    wires
}

fn syntax(line: usize, message: String) -> BristolError {
    BristolError::Syntax { line, message }
}

/// `<count> <w_1> ... <w_count>` with every width positive.
fn counted_list(line: usize, nums: &[u64], what: &str) -> Result<Vec<u64>, BristolError> {
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

/// `Circuit::validate` as it was.
pub fn validate(this: &Circuit) -> Result<(), IrError> {
    let n = this.num_wires;
    // Who wrote each wire, for the error message: u32::MAX = nobody yet,
    // u32::MAX - 1 - k = input group k, otherwise gate index.
    const UNWRITTEN: u32 = u32::MAX;
    let mut writer = vec![UNWRITTEN; n as usize];
    let describe = |w: u32, c: &Circuit| -> String {
        if w >= u32::MAX - 1 - c.inputs.len() as u32 {
            let k = (u32::MAX - 1 - w) as usize;
            format!("input `{}`", c.inputs[k].name)
        } else {
            format!("gate {w}")
        }
    };
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
    for (k, input) in this.inputs.iter().enumerate() {
        if !seen.insert(input.name.as_str()) {
            return Err(IrError::DuplicateName {
                kind: "input",
                name: input.name.clone(),
            });
        }
        check_width("input", &input.name, &input.ty, input.wires.len())?;
        let tag = u32::MAX - 1 - k as u32;
        for &w in &input.wires {
            check_range(w, &|| format!("input `{}`", input.name))?;
            if writer[w as usize] != UNWRITTEN {
                return Err(IrError::WrittenTwice {
                    wire: w,
                    first: describe(writer[w as usize], this),
                    second: format!("input `{}`", input.name),
                });
            }
            writer[w as usize] = tag;
        }
    }
    for (i, gate) in this.gates.iter().enumerate() {
        for w in gate.inputs() {
            check_range(w, &|| format!("gate {i}"))?;
            if writer[w as usize] == UNWRITTEN {
                return Err(IrError::ReadBeforeWrite {
                    wire: w,
                    place: format!("gate {i}"),
                });
            }
        }
        let out = gate.output();
        check_range(out, &|| format!("gate {i}"))?;
        if writer[out as usize] != UNWRITTEN {
            return Err(IrError::WrittenTwice {
                wire: out,
                first: describe(writer[out as usize], this),
                second: format!("gate {i}"),
            });
        }
        writer[out as usize] = i as u32;
    }
    let mut seen = std::collections::HashSet::new();
    for output in &this.outputs {
        if !seen.insert(output.name.as_str()) {
            return Err(IrError::DuplicateName {
                kind: "output",
                name: output.name.clone(),
            });
        }
        check_width("output", &output.name, &output.ty, output.wires.len())?;
        for &w in &output.wires {
            check_range(w, &|| format!("output `{}`", output.name))?;
            if writer[w as usize] == UNWRITTEN {
                return Err(IrError::ReadBeforeWrite {
                    wire: w,
                    place: format!("output `{}`", output.name),
                });
            }
        }
    }
    Ok(())
}

/// `Circuit::id` as it was.
pub fn id(this: &Circuit) -> CircuitId {
    let mut canon = vec![u32::MAX; this.num_wires as usize];
    let mut next = 0u32;
    for w in this.inputs.iter().flat_map(|i| &i.wires) {
        canon[*w as usize] = next;
        next += 1;
    }
    for g in &this.gates {
        canon[g.output() as usize] = next;
        next += 1;
    }
    let c = |w: Wire| canon.get(w as usize).copied().unwrap_or(u32::MAX);

    let mut h = blake3::Hasher::new();
    h.update(b"yao-circuit-v1\0");
    let str_ = |h: &mut blake3::Hasher, s: &str| {
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    let wires = |h: &mut blake3::Hasher, ws: &[Wire]| {
        h.update(&(ws.len() as u64).to_le_bytes());
        for &w in ws {
            h.update(&c(w).to_le_bytes());
        }
    };
    h.update(&(this.inputs.len() as u64).to_le_bytes());
    for i in &this.inputs {
        str_(&mut h, &i.name);
        h.update(&[i.party as u8]);
        str_(&mut h, &i.ty.to_string());
        wires(&mut h, &i.wires);
    }
    h.update(&(this.outputs.len() as u64).to_le_bytes());
    for o in &this.outputs {
        str_(&mut h, &o.name);
        str_(&mut h, &o.ty.to_string());
        wires(&mut h, &o.wires);
    }
    h.update(&(this.gates.len() as u64).to_le_bytes());
    let mut buf = Vec::with_capacity(13 * 4096);
    for chunk in this.gates.chunks(4096) {
        buf.clear();
        for g in chunk {
            // Gate outputs are implied by the canonical numbering.
            let (tag, a, b) = match *g {
                Gate::Xor { a, b, .. } => (0u8, c(a), c(b)),
                Gate::And { a, b, .. } => (1, c(a), c(b)),
                Gate::Not { a, .. } => (2, c(a), 0),
                Gate::Const { value, .. } => (3, value as u32, 0),
            };
            buf.push(tag);
            buf.extend_from_slice(&a.to_le_bytes());
            buf.extend_from_slice(&b.to_le_bytes());
        }
        h.update(&buf);
    }
    CircuitId(*h.finalize().as_bytes())
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
