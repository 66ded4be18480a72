//! Source files, spans and the error reports built from them.
//!
//! Every phase pushes [`Error`]s into a list instead of stopping at the first,
//! so one run reports all problems of a file. Rendering (file:line:col, the
//! source line, a caret under the span, hints) is done by
//! `codespan-reporting`.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor, Config};
use std::fmt;

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
}

impl Error {
    pub fn new(span: Span, message: impl Into<String>) -> Error {
        Error {
            span,
            message: message.into(),
            label: String::new(),
            hints: Vec::new(),
        }
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
            errors.push(Error::new(
                span,
                format!("{more} more errors not shown; fix these first"),
            ));
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
    pub fn render(&self, color: bool) -> String {
        let mut files = SimpleFiles::new();
        for f in 0..self.sources.files.len() as u32 {
            files.add(self.sources.name(f), self.sources.text(f));
        }
        let config = Config::default();
        let mut out = termcolor::Buffer::no_color();
        if color {
            out = termcolor::Buffer::ansi();
        }
        let styles = term::Styles::default();
        let mut writer = term::StylesWriter::new(&mut out, &styles);
        for d in &self.list {
            let e = &d.error;
            let text_len = self.sources.text(e.span.file).len();
            let lo = (e.span.lo as usize).min(text_len);
            let hi = (e.span.hi as usize).clamp(lo, text_len);
            let cs = CsDiagnostic::error()
                .with_message(&e.message)
                .with_labels(vec![
                    Label::primary(e.span.file as usize, lo..hi).with_message(&e.label)
                ])
                .with_notes(e.hints.iter().map(|h| format!("hint: {h}")).collect());
            if term::emit_to_write_style(&mut writer, &config, &files, &cs).is_err() {
                // Rendering the snippet failed (cannot happen with clamped
                // spans); fall back to the plain one-line form.
                let line = format!("{}:{}:{}: error: {}\n", d.file, d.line, d.column, d.message);
                let _ = std::io::Write::write_all(&mut writer, line.as_bytes());
            }
        }
        String::from_utf8_lossy(out.as_slice()).into_owned()
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
