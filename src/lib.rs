//! Yao: garbled-circuit two-party computation.
//!
//! This package holds the command-line tools and the pieces they share
//! (loading circuits, reading input values, printing outputs); the work is
//! done by [`yao_compiler`] (DSL, IR, Bristol I/O) and [`yao_runtime`]
//! (garbling, OT, protocol), re-exported here.

pub mod bench;
pub mod circuit_file;
pub mod inputs;
pub mod outputs;
pub mod party;
pub mod serve;
pub mod share;
pub mod split_check;
pub mod streamed;

pub use yao_compiler as compiler;
pub use yao_runtime as runtime;

/// The message a binary prints for an error: each context and cause,
/// outermost first, joined with `: `. No error of the workspace repeats its
/// source in its own message (see [`yao_runtime::protocol::ProtocolError`],
/// "Printing"), so each is printed once.
pub fn error_message(e: &anyhow::Error) -> String {
    e.chain()
        .map(|cause| cause.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

/// Prints `error: ...` to standard error and exits with status 1. Writing
/// ignores a closed standard error, so a parent that stopped listening
/// cannot turn a clean failure into a panic.
pub fn exit_with(e: &anyhow::Error) -> ! {
    use std::io::Write;
    let text = match e.downcast_ref::<RenderedDiagnostics>() {
        // Compiler diagnostics carry their own `error:` headers and layout.
        Some(d) => d.0.clone(),
        None => format!("error: {}\n", error_message(e)),
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
    std::process::exit(1)
}

/// Compiler diagnostics ([`yao_compiler::lang::Diagnostics`]) rendered for
/// the terminal, printed as they are.
#[derive(Debug)]
pub struct RenderedDiagnostics(pub String);

impl std::fmt::Display for RenderedDiagnostics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RenderedDiagnostics {}

/// Writes to standard output, ignoring a closed pipe (`yao ... | head`).
pub fn say(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
}

/// Writes a status line to standard error, ignoring a closed pipe.
pub fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}
