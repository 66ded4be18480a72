//! The Yao DSL: source text to an optimized, validated [`Circuit`].
//!
//! Phases: `lexer.rs` (nom) -> `parser.rs` (syntax tree with spans) ->
//! loading of `use`d files (`use "path";`) and standard library modules
//! (`use std::NAME;`, embedded: [`stdlib`]) -> `lower/` (type checking and lowering by
//! symbolic evaluation into the [`crate::optimize::Builder`], which folds and
//! hashes as it goes) -> dead-gate removal and scheduling. Every phase collects
//! all its errors; the result is either a circuit or [`Diagnostics`].
//!
//! The language is described for users in `docs/language.md`.
//!
//! Output naming: a circuit `-> T` has one output `out`; `-> (A, B)` has
//! outputs `out0`, `out1`, ...; `-> (max: u32, who: u8)` has outputs named
//! `max` and `who`. Inputs keep their declared names, parties and types;
//! a `shared x` input becomes two groups `x.g` and `x.e` ([`shared`]).

mod ast;
mod dependence;
mod diagnostics;
mod emitted;
mod gadgets;
mod lexer;
mod lower;
mod parser;
pub mod shared;
pub mod stdlib;
mod types;

pub(crate) use diagnostics::nearest;
pub use diagnostics::{Diagnostic, Diagnostics};
pub use lower::{Limits, MAX_CALL_DEPTH, MAX_LOOP};
pub use types::{MAX_ARRAY_LEN, MAX_VALUE_BITS, MAX_WIDTH};

use crate::ir::{Circuit, Gate};
use crate::optimize::GateSink;
use ast::Item;
use diagnostics::{Error, SourceMap, Span};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

/// Largest source file read.
pub const MAX_SOURCE_BYTES: u64 = 16 << 20;
/// Most files one compilation may load through `use`.
pub const MAX_FILES: usize = 256;

/// A compiled circuit and the warnings found compiling it.
#[derive(Clone, Debug)]
pub struct Checked {
    pub circuit: Circuit,
    /// Unused variables, parameters and inputs, comparisons the type
    /// decides, outputs that depend on no input or on one party's input only
    /// (`dependence`): reported, not fatal. Empty
    /// if there are none; render them with [`Diagnostics::render`].
    pub warnings: Diagnostics,
}

/// A compiled circuit whose gates were sent to a sink as they were made
/// ([`compile_file_into`]), and the warnings found compiling it.
#[derive(Debug)]
pub struct Streamed<S> {
    /// The circuit's name, wire count, input and output groups, with no
    /// gates: they are in `gates`.
    pub interface: Circuit,
    /// The sink, after the last gate: the gates in circuit order, in
    /// canonical numbering (input bits `0..n`, then gate `i` writes wire
    /// `n + i`), validated as they passed.
    pub gates: S,
    /// As in [`Checked::warnings`].
    pub warnings: Diagnostics,
}

impl Streamed<Vec<Gate>> {
    fn into_checked(self) -> Checked {
        Checked {
            circuit: Circuit {
                gates: self.gates,
                ..self.interface
            },
            warnings: self.warnings,
        }
    }
}

/// Compiles a `.yao` file (resolving `use "other.yao"` relative to it) to an
/// optimized, validated circuit.
pub fn compile_file(path: &Path) -> Result<Circuit, Diagnostics> {
    compile_file_with(path, Limits::default())
}

/// [`compile_file`] with explicit resource budgets.
pub fn compile_file_with(path: &Path, limits: Limits) -> Result<Circuit, Diagnostics> {
    compile_file_checked(path, limits).map(|c| c.circuit)
}

/// [`compile_file_with`], also returning the warnings of a program that
/// compiles (a program with errors reports only its errors).
pub fn compile_file_checked(path: &Path, limits: Limits) -> Result<Checked, Diagnostics> {
    compile_file_into(path, limits, Vec::new()).map(Streamed::into_checked)
}

/// [`compile_file_checked`] with the gates sent to `sink` as the compiler
/// makes them, never held as a list: how `yao compile --emit compiled`
/// writes a large circuit straight to its file
/// ([`crate::compiled::FileWriter`]). On an error the sink may already
/// have seen gates (of a circuit that was lowered while another part of
/// the program had errors, or that failed the compiler's own checks): the
/// caller discards what it wrote.
pub fn compile_file_into<S: GateSink + Send + 'static>(
    path: &Path,
    limits: Limits,
    sink: S,
) -> Result<Streamed<S>, Diagnostics> {
    let name = path.display().to_string();
    let text = read_source(path).map_err(|m| Diagnostics::without_source(&name, m))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let canon = std::fs::canonicalize(path).ok();
    on_big_stack(move || compile(&name, text, dir, canon, limits, sink))
}

/// Compiles source text named `name` (used in diagnostics). `use` paths are
/// resolved relative to the directory part of `name` (the current directory
/// if it has none).
pub fn compile_str(name: &str, source: &str) -> Result<Circuit, Diagnostics> {
    let dir = Path::new(name).parent().map(Path::to_path_buf);
    compile_str_in(name, source, dir.as_deref())
}

/// Like [`compile_str`], resolving `use` paths relative to `base_dir`.
pub fn compile_str_in(
    name: &str,
    source: &str,
    base_dir: Option<&Path>,
) -> Result<Circuit, Diagnostics> {
    compile_str_with(name, source, base_dir, Limits::default())
}

/// [`compile_str_in`] with explicit resource budgets.
pub fn compile_str_with(
    name: &str,
    source: &str,
    base_dir: Option<&Path>,
    limits: Limits,
) -> Result<Circuit, Diagnostics> {
    compile_str_checked(name, source, base_dir, limits).map(|c| c.circuit)
}

/// [`compile_str_with`], also returning the warnings of a program that
/// compiles.
pub fn compile_str_checked(
    name: &str,
    source: &str,
    base_dir: Option<&Path>,
    limits: Limits,
) -> Result<Checked, Diagnostics> {
    let dir = base_dir.map(Path::to_path_buf).unwrap_or_default();
    let (name, source) = (name.to_string(), source.to_string());
    on_big_stack(move || compile(&name, source, dir, None, limits, Vec::new()))
        .map(Streamed::into_checked)
}

/// Runs the compiler on a thread with a generous stack: nesting is bounded
/// ([`parser::MAX_NESTING`]), but a deep expression still recurses through
/// several frames per level. A panic (a compiler bug) becomes a diagnostic.
fn on_big_stack<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Diagnostics> + Send + 'static,
) -> Result<T, Diagnostics> {
    let handle = std::thread::Builder::new()
        .name("yao-compile".into())
        .stack_size(256 << 20)
        .spawn(f);
    match handle {
        Ok(h) => h.join().unwrap_or_else(|_| {
            Err(Diagnostics::without_source(
                "<compiler>",
                "internal compiler error (a bug: please report it with the source)".into(),
            ))
        }),
        Err(e) => Err(Diagnostics::without_source(
            "<compiler>",
            format!("cannot start the compiler thread: {e}"),
        )),
    }
}

fn read_source(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot open `{shown}`: {e}"))?;
    if meta.is_dir() {
        return Err(format!("`{shown}` is a directory, not a source file"));
    }
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(format!(
            "`{shown}` is {} bytes; source files are limited to {MAX_SOURCE_BYTES}",
            meta.len()
        ));
    }
    // Read through a limit as well: a device such as /dev/zero reports a
    // length of 0 and never ends.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            std::io::Read::read_to_end(
                &mut std::io::Read::take(f, MAX_SOURCE_BYTES + 1),
                &mut bytes,
            )
        })
        .map_err(|e| format!("cannot read `{shown}`: {e}"))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(format!(
            "`{shown}` is longer than the {MAX_SOURCE_BYTES} bytes a source file may have"
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{shown}` is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// A user function named like a built-in: allowed, as in Rust a local item
/// shadows a prelude one, but said out loud, since every call of that name
/// in the user's files now means the user's function. Calls inside the
/// standard library keep the built-in (see `lower::means_builtin`).
fn builtin_shadowed(name: &ast::Ident) -> Error {
    let n = &name.name;
    Error::warn(
        name.span,
        format!("function `{n}` shadows the built-in function `{n}`"),
    )
    .label("this function replaces the built-in")
    .hint(format!(
        "the built-in is {}; calls to `{n}` in this program use this function instead, the standard library still uses the built-in",
        lower::builtin_summary(n)
    ))
    .hint(format!("to keep the built-in, rename this function, e.g. `my_{n}`"))
}

/// `use std::NAME;` naming no module: lists the modules there are.
fn unknown_std_module(name: &ast::Ident, span: Span) -> Error {
    let all: Vec<String> = stdlib::names().map(|n| format!("`{n}`")).collect();
    let e = Error::new(
        span,
        format!("the standard library has no module `{}`", name.name),
    )
    .label("unknown module");
    let list = format!("the modules are {}", all.join(", "));
    match stdlib::suggest(&name.name) {
        Some(s) => e.hint(format!("did you mean `std::{s}`? {list}")),
        None => e.hint(list),
    }
}

/// A second parameter or input of one name, pointing at the first.
pub(crate) fn duplicate_name(what: &str, name: &ast::Ident, first: Span) -> Error {
    Error::new(
        name.span,
        format!("{what} `{}` is declared more than once", name.name),
    )
    .label(format!("second `{}`", name.name))
    .secondary(first, format!("first `{}` here", name.name))
    .hint("rename one of them")
}

/// Registers a struct or alias name: refused if it is taken by another
/// type, or is the name of a built-in type (which it could never replace:
/// `u8` always means the integer).
fn define_type<'a>(
    defined: &mut HashMap<&'a str, Span>,
    name: &'a ast::Ident,
    sources: &SourceMap,
) -> Result<(), Error> {
    let n = name.name.as_str();
    let int = |p: char| {
        n.strip_prefix(p)
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
    };
    if n == "bool" || int('u') || int('i') {
        return Err(Error::new(name.span, format!("`{n}` is a built-in type"))
            .label("a built-in type's name")
            .hint("choose another name for this type"));
    }
    if let Some(first) = defined.get(n) {
        let (l, c) = sources.line_col(first.file, first.lo);
        return Err(
            Error::new(name.span, format!("type `{n}` is defined more than once"))
                .label("second definition")
                .hint(format!(
                    "first defined at {}:{l}:{c}; rename one of them",
                    sources.name(first.file)
                )),
        );
    }
    defined.insert(n, name.span);
    Ok(())
}

fn compile<S: GateSink>(
    name: &str,
    text: String,
    dir: PathBuf,
    canon: Option<PathBuf>,
    limits: Limits,
    sink: S,
) -> Result<Streamed<S>, Diagnostics> {
    let mut sources = SourceMap::default();
    let mut errors = Vec::new();
    let mut files: Vec<Vec<Item>> = Vec::new();
    let mut seen: HashMap<PathBuf, u32> = HashMap::new();
    // The files of `use std::...` modules, whose calls always mean the built-ins.
    let mut std_files: HashSet<u32> = HashSet::new();
    let root = sources.add(name.to_string(), text);
    if let Some(c) = canon {
        seen.insert(c, root);
    }
    let mut queue = VecDeque::from([(root, dir)]);
    while let Some((file, dir)) = queue.pop_front() {
        let (tokens, lex_errors) = lexer::lex(file, sources.text(file));
        errors.extend(lex_errors);
        let (items, parse_errors) = parser::parse(&tokens);
        errors.extend(parse_errors);
        for item in &items {
            if let Item::UseStd { name, span } = item {
                let Some(text) = stdlib::module(&name.name) else {
                    errors.push(unknown_std_module(name, *span));
                    continue;
                };
                // Not a path: canonical paths are absolute, so no file collides.
                let key = PathBuf::from(format!("std::{}", name.name));
                if seen.contains_key(&key) {
                    continue;
                }
                let id = sources.add(format!("std::{}", name.name), text.to_string());
                seen.insert(key, id);
                std_files.insert(id);
                queue.push_back((id, PathBuf::new()));
                continue;
            }
            let Item::Use { path, span } = item else {
                continue;
            };
            let full = dir.join(path);
            let canon = match std::fs::canonicalize(&full) {
                Ok(c) => c,
                Err(e) => {
                    errors.push(
                        Error::new(*span, format!("cannot find `{path}`: {e}"))
                            .label(format!("looked for `{}`", full.display()))
                            .hint("`use` paths are relative to the file that contains the `use`"),
                    );
                    continue;
                }
            };
            if seen.contains_key(&canon) {
                continue;
            }
            if seen.len() >= MAX_FILES {
                errors.push(Error::new(
                    *span,
                    format!("more than {MAX_FILES} files are used"),
                ));
                continue;
            }
            match read_source(&full) {
                Ok(text) => {
                    let id = sources.add(full.display().to_string(), text);
                    seen.insert(canon, id);
                    let sub = full.parent().map(Path::to_path_buf).unwrap_or_default();
                    queue.push_back((id, sub));
                }
                Err(m) => errors.push(Error::new(*span, m)),
            }
        }
        files.push(items);
    }
    if !errors.is_empty() {
        return Err(Diagnostics::new(sources, errors));
    }

    // The items the circuit sees, and the circuit itself (from the root file).
    let mut scope = lower::Scope {
        fns: Vec::new(),
        consts: Vec::new(),
        structs: Vec::new(),
        aliases: Vec::new(),
        std_files,
    };
    let mut shadowing = Vec::new();
    let mut defined: HashMap<&str, Span> = HashMap::new();
    // Types have a namespace of their own, as in Rust.
    let mut types_defined: HashMap<&str, Span> = HashMap::new();
    let mut circuits = Vec::new();
    for (i, items) in files.iter().enumerate() {
        for item in items {
            let name = match item {
                Item::Fn(f) => {
                    if lower::BUILTINS.contains(&f.name.name.as_str()) {
                        shadowing.push(builtin_shadowed(&f.name));
                    }
                    let mut params: HashMap<&str, Span> = HashMap::new();
                    for p in &f.params {
                        if let Some(&first) = params.get(p.name.name.as_str()) {
                            errors.push(duplicate_name("parameter", &p.name, first));
                        } else {
                            params.insert(&p.name.name, p.name.span);
                        }
                    }
                    scope.fns.push(f);
                    &f.name
                }
                Item::Const { name, ty, value } => {
                    scope.consts.push((name, ty, value));
                    name
                }
                Item::Circuit(c) => {
                    if i == 0 {
                        circuits.push(c);
                    }
                    continue;
                }
                Item::Struct(s) => {
                    if let Err(e) = define_type(&mut types_defined, &s.name, &sources) {
                        errors.push(e);
                    }
                    scope.structs.push(s);
                    continue;
                }
                Item::TypeAlias { name, ty } => {
                    if let Err(e) = define_type(&mut types_defined, name, &sources) {
                        errors.push(e);
                    }
                    scope.aliases.push((name, ty));
                    continue;
                }
                Item::Use { .. } | Item::UseStd { .. } => continue,
            };
            if let Some(first) = defined.get(name.name.as_str()) {
                let (l, c) = sources.line_col(first.file, first.lo);
                errors.push(
                    Error::new(
                        name.span,
                        format!("`{}` is defined more than once", name.name),
                    )
                    .label("second definition")
                    .hint(format!(
                        "first defined at {}:{l}:{c}; rename one of them",
                        sources.name(first.file)
                    )),
                );
            } else {
                defined.insert(name.name.as_str(), name.span);
            }
        }
    }
    let circuit = match circuits.as_slice() {
        [] => {
            errors.push(
                Error::new(Span::new(root, 0, 0), format!("`{name}` defines no circuit"))
                    .hint("a program defines one circuit, e.g. `circuit add(garbler a: u8, evaluator b: u8) -> u8 { a + b }`"),
            );
            return Err(Diagnostics::new(sources, errors));
        }
        [c] => *c,
        [c, rest @ ..] => {
            for r in rest {
                errors.push(
                    Error::new(r.name.span, "a file may define only one circuit").hint(format!(
                        "the circuit of this file is `{}`; move the others to files of their own",
                        c.name.name
                    )),
                );
            }
            *c
        }
    };
    let def = circuit;
    match lower::lower(scope, def, limits, sink) {
        Ok(lowered) if errors.is_empty() => {
            let mut warnings = [shadowing, lowered.warnings].concat();
            warnings.extend(dependence::warnings(
                &lowered.interface,
                &lowered.output_parties,
                |n| output_span(def, n),
            ));
            Ok(Streamed {
                interface: lowered.interface,
                gates: lowered.gates,
                warnings: Diagnostics::new(sources, warnings),
            })
        }
        Ok(_) => Err(Diagnostics::new(sources, errors)),
        Err(mut e) => {
            errors.append(&mut e);
            Err(Diagnostics::new(sources, errors))
        }
    }
}

/// Where output `name` is declared: its name in `-> (name: T, ..)`, its
/// element in `-> (A, B)` (`out0`, `out1`, ..), else the result type.
fn output_span(c: &ast::CircuitDef, name: &str) -> Span {
    match &c.ret {
        Some(ast::Returns::Named(fields)) => fields
            .iter()
            .find(|(n, _)| n.name == name)
            .map_or(c.name.span, |(n, _)| n.span),
        Some(ast::Returns::Type(t)) => {
            let element = name
                .strip_prefix("out")
                .and_then(|d| d.parse::<usize>().ok());
            match (t, element) {
                (ast::TypeExpr::Tuple(ts, _), Some(i)) if i < ts.len() => ts[i].span(),
                _ => t.span(),
            }
        }
        None => c.name.span,
    }
}
