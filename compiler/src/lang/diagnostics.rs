//! Source files, spans and the error reports built from them.
//!
//! Every phase pushes [`Error`]s into a list instead of stopping at the first,
//! so one run reports all problems of a file. Rendering (file:line:col, the
//! source line, a caret under the span, hints) is done by
//! `codespan-reporting`.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::{self as cs_files, Files};
use codespan_reporting::term::{self, termcolor, Config};
use std::fmt;
use std::ops::Range;

/// Most errors reported per compilation; later ones are counted, not shown.
pub const MAX_ERRORS: usize = 100;

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: u32,
    pub lo: u32,
    pub hi: u32,
}

impl Span {
    pub fn new(file: u32, lo: usize, hi: usize) -> Span {
        Span {
            file,
            lo: lo as u32,
            hi: hi as u32,
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }
}

/// The loaded source files; a [`Span`]'s `file` indexes this list.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<(String, String)>,
}

impl SourceMap {
    pub fn add(&mut self, name: String, text: String) -> u32 {
        self.files.push((name, text));
        (self.files.len() - 1) as u32
    }

    pub fn name(&self, file: u32) -> &str {
        &self.files[file as usize].0
    }

    pub fn text(&self, file: u32) -> &str {
        &self.files[file as usize].1
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: u32, offset: u32) -> (usize, usize) {
        let text = self.text(file);
        let mut off = (offset as usize).min(text.len());
        while !text.is_char_boundary(off) {
            off -= 1;
        }
        let before = &text[..off];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }
}

/// One problem found in the source, with the hints that help fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub span: Span,
    pub message: String,
    /// Short text under the caret (may be empty).
    pub label: String,
    /// `= hint: ...` lines.
    pub hints: Vec<String>,
    /// Other places the report points at (e.g. a first definition).
    pub secondary: Vec<(Span, String)>,
    /// A warning: reported, but the program still compiles.
    pub warning: bool,
}

impl Error {
    pub fn new(span: Span, message: impl Into<String>) -> Error {
        Error {
            span,
            message: message.into(),
            label: String::new(),
            hints: Vec::new(),
            secondary: Vec::new(),
            warning: false,
        }
    }

    /// A warning rather than an error.
    pub fn warn(span: Span, message: impl Into<String>) -> Error {
        Error {
            warning: true,
            ..Error::new(span, message)
        }
    }

    /// Points at another place too, with its own label.
    pub fn secondary(mut self, span: Span, label: impl Into<String>) -> Error {
        self.secondary.push((span, label.into()));
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Error {
        self.label = label.into();
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hints.push(hint.into());
        self
    }
}

/// One diagnostic, located for the reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name as given (the path of a `use`d file is relative to the
    /// file that uses it, joined onto that file's directory).
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    pub hints: Vec<String>,
    /// A warning (from [`super::compile_file_checked`] and friends), not an error.
    pub is_warning: bool,
    error: Error,
}

/// All errors found in a compilation, in source order per phase.
#[derive(Clone, Debug)]
pub struct Diagnostics {
    sources: SourceMap,
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    pub(crate) fn new(sources: SourceMap, errors: Vec<Error>) -> Diagnostics {
        let mut seen = std::collections::HashSet::new();
        let mut errors: Vec<Error> = errors
            .into_iter()
            .filter(|e| seen.insert((e.span, e.message.clone())))
            .collect();
        if errors.len() > MAX_ERRORS {
            let more = errors.len() - MAX_ERRORS;
            errors.truncate(MAX_ERRORS);
            let span = errors[MAX_ERRORS - 1].span;
            let note = if errors[MAX_ERRORS - 1].warning {
                Error::warn(span, format!("{more} more warnings not shown"))
            } else {
                Error::new(
                    span,
                    format!("{more} more errors not shown; fix these first"),
                )
            };
            errors.push(note);
        }
        let list = errors
            .into_iter()
            .map(|error| {
                let (line, column) = sources.line_col(error.span.file, error.span.lo);
                Diagnostic {
                    file: sources.name(error.span.file).to_string(),
                    line,
                    column,
                    message: error.message.clone(),
                    hints: error.hints.clone(),
                    is_warning: error.warning,
                    error,
                }
            })
            .collect();
        Diagnostics { sources, list }
    }

    /// A diagnostic that is not about a place in a file (e.g. an unreadable root file).
    pub(crate) fn without_source(name: &str, message: String) -> Diagnostics {
        let mut sources = SourceMap::default();
        let file = sources.add(name.to_string(), String::new());
        Diagnostics::new(sources, vec![Error::new(Span::new(file, 0, 0), message)])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Human-readable report of every diagnostic, ANSI-colored if `color`.
    /// Control characters in the echoed source lines are shown escaped (see
    /// `Shown`).
    pub fn render(&self, color: bool) -> String {
        let files = ShownFiles(
            self.sources
                .files
                .iter()
                .map(|(name, text)| Shown::new(name, text))
                .collect(),
        );
        let config = Config::default();
        let mut out = termcolor::Buffer::no_color();
        if color {
            out = termcolor::Buffer::ansi();
        }
        let styles = term::Styles::default();
        let mut writer = term::StylesWriter::new(&mut out, &styles);
        for d in &self.list {
            let e = &d.error;
            let range_of = |span: &Span| {
                let shown = &files.0[span.file as usize];
                let text_len = shown.original.len();
                let lo = (span.lo as usize).min(text_len);
                let hi = (span.hi as usize).clamp(lo, text_len);
                shown.to_shown(lo)..shown.to_shown(hi)
            };
            let mut labels = vec![
                Label::primary(e.span.file as usize, range_of(&e.span)).with_message(&e.label)
            ];
            for (s, l) in &e.secondary {
                labels.push(Label::secondary(s.file as usize, range_of(s)).with_message(l));
            }
            let cs = if e.warning {
                CsDiagnostic::warning()
            } else {
                CsDiagnostic::error()
            };
            let cs = cs
                .with_message(&e.message)
                .with_labels(labels)
                .with_notes(e.hints.iter().map(|h| format!("hint: {h}")).collect());
            if term::emit_to_write_style(&mut writer, &config, &files, &cs).is_err() {
                // Rendering the snippet failed (cannot happen with clamped
                // spans); fall back to the plain one-line form.
                let kind = if e.warning { "warning" } else { "error" };
                let line = format!(
                    "{}:{}:{}: {kind}: {}\n",
                    d.file, d.line, d.column, d.message
                );
                let _ = std::io::Write::write_all(&mut writer, line.as_bytes());
            }
        }
        String::from_utf8_lossy(out.as_slice()).into_owned()
    }
}

/// Whether a report shows `c` escaped: control characters (a terminal acts
/// on them, and having no width they leave a caret nothing to point at;
/// tabs and line breaks are laid out as usual) and the bidirectional
/// overrides and isolates (which reorder the text around them on screen).
fn shown_escaped(c: char, next: Option<char>) -> bool {
    let control = c.is_control() && !matches!(c, '\t' | '\n') && !(c == '\r' && next == Some('\n'));
    control || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A source file as a report shows it: every character [`shown_escaped`]
/// picks is replaced by its Rust escape (`\u{7}`, `\0`, `\r`), the form
/// the lexer's messages name it by. Spans are mapped onto the escaped text
/// ([`Shown::to_shown`]), so a caret sits under the whole escape, and the
/// column in a report's header stays the one an editor shows.
struct Shown<'s> {
    name: &'s str,
    original: &'s str,
    text: String,
    /// Line starts of `text` and of `original` (the same lines).
    line_starts: Vec<usize>,
    original_line_starts: Vec<usize>,
    /// Each escaped character: its bytes in `original`, then in `text`.
    escapes: Vec<(Range<usize>, Range<usize>)>,
}

impl<'s> Shown<'s> {
    fn new(name: &'s str, original: &'s str) -> Shown<'s> {
        let mut text = String::with_capacity(original.len());
        let mut escapes = Vec::new();
        let mut chars = original.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if shown_escaped(c, chars.peek().map(|&(_, n)| n)) {
                let start = text.len();
                text.extend(c.escape_debug());
                escapes.push((at..at + c.len_utf8(), start..text.len()));
            } else {
                text.push(c);
            }
        }
        Shown {
            name,
            original,
            line_starts: cs_files::line_starts(&text).collect(),
            original_line_starts: cs_files::line_starts(original).collect(),
            text,
            escapes,
        }
    }

    /// The offset in the shown text of `offset` in the original.
    fn to_shown(&self, offset: usize) -> usize {
        self.map(offset, true)
    }

    /// The offset in the original of `offset` in the shown text.
    fn to_original(&self, offset: usize) -> usize {
        self.map(offset, false)
    }

    /// Maps `offset` from the original to the shown text (`forward`) or
    /// back: text between escapes moves by the escapes before it, and an
    /// offset inside an escape goes to the start of its counterpart.
    fn map(&self, offset: usize, forward: bool) -> usize {
        let sides = |(original, shown): &(Range<usize>, Range<usize>)| {
            if forward {
                (original.clone(), shown.clone())
            } else {
                (shown.clone(), original.clone())
            }
        };
        let before = self.escapes.partition_point(|e| sides(e).0.start < offset);
        match before.checked_sub(1).map(|k| sides(&self.escapes[k])) {
            None => offset,
            Some((from, to)) if offset < from.end => to.start,
            Some((from, to)) => offset - from.end + to.end,
        }
    }

    fn line_range(starts: &[usize], len: usize, line: usize) -> Range<usize> {
        let start = starts.get(line).copied().unwrap_or(len);
        let end = starts.get(line + 1).copied().unwrap_or(len);
        start..end
    }
}

/// The files of a report, as shown.
struct ShownFiles<'s>(Vec<Shown<'s>>);

impl<'a, 's: 'a> Files<'a> for ShownFiles<'s> {
    type FileId = usize;
    type Name = &'s str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'s str, cs_files::Error> {
        Ok(self.0.get(id).ok_or(cs_files::Error::FileMissing)?.name)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, cs_files::Error> {
        Ok(&self.0.get(id).ok_or(cs_files::Error::FileMissing)?.text)
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, cs_files::Error> {
        let f = self.0.get(id).ok_or(cs_files::Error::FileMissing)?;
        Ok(f.line_starts
            .binary_search(&byte_index)
            .unwrap_or_else(|next| next - 1))
    }

    fn line_range(&'a self, id: usize, line: usize) -> Result<Range<usize>, cs_files::Error> {
        let f = self.0.get(id).ok_or(cs_files::Error::FileMissing)?;
        Ok(Shown::line_range(&f.line_starts, f.text.len(), line))
    }

    /// The column in the original line, not in the escaped one.
    fn column_number(
        &'a self,
        id: usize,
        line: usize,
        byte_index: usize,
    ) -> Result<usize, cs_files::Error> {
        let f = self.0.get(id).ok_or(cs_files::Error::FileMissing)?;
        let range = Shown::line_range(&f.original_line_starts, f.original.len(), line);
        let at = f.to_original(byte_index);
        Ok(cs_files::column_index(f.original, range, at) + 1)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}

/// The known name closest to `name`, if close enough to be a likely typo
/// (edit distance counting a swap of neighbours as one edit).
pub fn nearest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .filter(|k| *k != name)
        .map(|k| (strsim::osa_distance(name, k), k))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, k)| k)
}
