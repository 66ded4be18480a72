//! The library's errors: every call returns [`Error`]; the mistakes a
//! caller makes with input and output names, types and values have enums of
//! their own ([`InputError`], [`OutputError`]) so that they can be matched.
//!
//! Messages name what is wrong the way the circuit declares it (`garbler
//! input `alice: u64``), say what was given, and suggest a fix where there
//! is one. As everywhere in the workspace, a wrapper either shows its cause
//! or returns it from `source()`, never both (see
//! [`yao_runtime::protocol::ProtocolError`], "Printing"): print a whole chain
//! with [`yao_runtime::report::report`] or `anyhow`'s `{:#}`.

use std::path::PathBuf;
use yao_compiler::bristol::BristolError;
use yao_compiler::ir::IrError;
use yao_compiler::value::ValueError;
use yao_compiler::{Party, ValueType};
use yao_runtime::protocol::ProtocolError;

/// Anything a library call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `.yao` source did not compile. Displays the rendered diagnostics
    /// (file, line, caret and hints), as `yao compile` prints them.
    #[error("{0}")]
    Compile(yao_compiler::lang::Diagnostics),
    /// A circuit file could not be opened or read.
    #[error("cannot {action} circuit `{}`", .path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    /// A circuit file is larger than [`crate::circuit::MAX_FILE_BYTES`].
    #[error("circuit `{}` is longer than the {max} bytes a circuit file may have", .path.display())]
    TooLarge { path: PathBuf, max: u64 },
    #[error("cannot read circuit `{}`: it is not UTF-8 text (invalid byte at offset {offset})", .path.display())]
    NotUtf8 { path: PathBuf, offset: usize },
    /// A Bristol file (or text) that does not parse.
    #[error("`{name}` is not a valid Bristol circuit")]
    Bristol {
        name: String,
        #[source]
        error: BristolError,
    },
    /// A compiled circuit (`.yaoc`) that does not load.
    #[error("`{}` is not a usable compiled circuit", path.display())]
    Compiled {
        path: PathBuf,
        #[source]
        error: yao_compiler::compiled::CompiledError,
    },
    /// A circuit built by other means that breaks the IR's invariants.
    #[error("the circuit is not well formed")]
    Invalid(#[source] IrError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Share files that cannot be used (see [`crate::share`]).
    #[error(transparent)]
    Share(Box<crate::share::ShareError>),
    /// The two servers' share files are not halves of the same splits.
    #[error(transparent)]
    SplitCheck(#[from] crate::split_check::CheckError),
    /// The peer used share files and this party did not.
    #[error(
        "the {peer} uses share files (--shares) and this {us} does not: give both servers \
         their share files with --shares (a library caller: `Inputs::set_shares`), or neither"
    )]
    SharesOnOneSide { peer: Party, us: Party },
    /// The session failed: the peer went away, misbehaved, or runs another
    /// circuit.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A run at the malicious security level failed: the peer was refused
    /// in the handshake, failed a check (the error names it), or the
    /// connection failed. No output was released.
    #[error(transparent)]
    Malicious(#[from] yao_runtime::protocol::malicious::MaliciousError),
    /// The malicious level runs whole circuits of plain inputs (no share
    /// files, no `--stream`).
    #[error("--security malicious {0}")]
    MaliciousUnsupported(&'static str),
    /// Setting up the connection failed (and, so that `?` works on
    /// `listener.accept()` in a function returning this `Error`, any other
    /// I/O error).
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<crate::share::ShareError> for Error {
    fn from(e: crate::share::ShareError) -> Error {
        Error::Share(Box::new(e))
    }
}

/// A mistake in a party's inputs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// No input of this party has this name.
    #[error("{party} input `{name}` does not exist{}", hint(.suggestion, .available, &format!("the {party}'s inputs are"), &format!("the {party} has no inputs")))]
    Unknown {
        party: Party,
        name: String,
        /// The closest name, if one is close.
        suggestion: Option<String>,
        /// All of the party's input names.
        available: Vec<String>,
    },
    /// The input is the other party's.
    #[error("`{name}` is the {owner}'s input, not the {party}'s")]
    WrongParty {
        name: String,
        owner: Party,
        party: Party,
    },
    /// The value does not fit the input's type: out of range, the wrong
    /// shape, the wrong number of elements or bytes.
    #[error("{party} input `{name}: {ty}`: {error}")]
    Value {
        party: Party,
        name: String,
        ty: ValueType,
        error: Box<ValueError>,
    },
    /// An input was never set.
    #[error("missing {party} input `{name}: {ty}`{}", match .shared {
        Some(s) => format!(", the {party}'s share of the shared input `{s}`"),
        None => String::new(),
    })]
    Missing {
        party: Party,
        name: String,
        ty: ValueType,
        /// For a share group (`x.g`), the shared input (`x`).
        shared: Option<String>,
    },
    /// A share group set by value after share files filled it, or the
    /// other way round.
    #[error("{party} input `{name}` is given both as a value and by share files")]
    SetTwice { party: Party, name: String },
    /// The inputs are the other party's.
    #[error("these are the {found}'s inputs, where the {expected}'s are expected")]
    Party { expected: Party, found: Party },
    /// The inputs were made for a different circuit.
    #[error("these inputs are for circuit `{found}`, not `{expected}`")]
    OtherCircuit { expected: String, found: String },
    /// Inputs from share files can only be run by [`crate::run`], which
    /// checks the servers' splits before the session starts.
    #[error("inputs from share files need the servers' check of their splits before the session: run them with `yao::run`")]
    SharesNeedRun,
}

/// A mistake in reading an output.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// No output has this name.
    #[error("output `{name}` does not exist{}", hint(.suggestion, .available, "the outputs are", "the circuit has no outputs"))]
    Unknown {
        name: String,
        suggestion: Option<String>,
        available: Vec<String>,
    },
    /// The Rust type asked for cannot hold every value of the output's type.
    #[error("output `{name}: {ty}` cannot be read as {requested}; read it as {}", crate::convert::rust_type(.ty))]
    Type {
        name: String,
        ty: ValueType,
        /// The Rust type asked for.
        requested: &'static str,
    },
}

/// `; did you mean `x`?`, or the list of names, or that there are none.
fn hint(suggestion: &Option<String>, available: &[String], list: &str, none: &str) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None if available.is_empty() => format!("; {none}"),
        None => format!("; {list} {}", available.join(", ")),
    }
}

/// The name among `names` closest to `name`, if it is close enough to be a
/// typo of it.
pub(crate) fn closest<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<String> {
    names
        .map(|n| (strsim::levenshtein(n, name), n))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, _)| *d <= 2.max(name.len() / 3))
        .map(|(_, n)| n.to_string())
}
