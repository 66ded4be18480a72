//! Yao: garbled-circuit two-party computation.
//!
//! Two parties each hold a secret; they compute a function of both and
//! learn the result and nothing else. As a library: load or compile a
//! [`Circuit`], set each party's [`Inputs`] by name with ordinary Rust
//! values, [`run`] each party over a byte stream to the other, and read the
//! [`Outputs`] by name.
//!
//! ```
//! use std::net::{TcpListener, TcpStream};
//! use yao::{Circuit, Party};
//!
//! // Is Alice (the garbler) richer than Bob (the evaluator)?
//! let circuit = Circuit::compile(
//!     "circuit millionaires(garbler alice: u64, evaluator bob: u64) -> bool { alice > bob }",
//! )?;
//! let listener = TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//! let alice = std::thread::spawn({
//!     let circuit = circuit.clone();
//!     move || -> Result<bool, yao::Error> {
//!         let mut inputs = circuit.inputs(Party::Garbler);
//!         inputs.set("alice", 5_000_000u64)?;
//!         let (stream, _) = listener.accept()?;
//!         yao::run(stream, &inputs)?.get("out")
//!     }
//! });
//! let mut inputs = circuit.inputs(Party::Evaluator);
//! inputs.set("bob", 4_200_000u64)?;
//! let outputs = yao::run(TcpStream::connect(addr)?, &inputs)?;
//! let alice_is_richer: bool = outputs.get("out")?;
//! assert!(alice_is_richer);
//! assert_eq!(alice.join().unwrap()?, alice_is_richer); // both learn it
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Values convert by [`IntoValue`] and [`FromValue`] (integers, `bool`,
//! byte strings, arrays, tuples; see [`convert`] for widths and byte
//! order); every mistake is an [`Error`] naming the input or output, its
//! type and what was given. The command-line tools (`yao`, `garbler`,
//! `evaluator`) are built on the same functions, with modules of their own
//! for flags, files and printing; the work is done by [`yao_compiler`] (DSL,
//! IR, Bristol I/O) and [`yao_runtime`] (garbling, OT, protocol),
//! re-exported as [`compiler`] and [`runtime`].

pub mod bench;
pub mod circuit;
pub mod circuit_file;
pub mod convert;
pub mod error;
pub mod inputs;
pub mod outputs;
pub mod party;
pub mod serve;
pub mod session;
pub mod share;
pub mod split_check;
pub mod windowed;

pub use circuit::Circuit;
pub use convert::{FromValue, IntoValue};
pub use error::{Error, InputError, OutputError};
pub use inputs::Inputs;
pub use outputs::Outputs;
pub use session::{
    run, run_malicious, run_malicious_repeated, Session, StreamChannel, DEFAULT_TIMEOUT,
};
pub use yao_compiler as compiler;
pub use yao_compiler::value::Value;
pub use yao_compiler::Party;
pub use yao_core as core;
pub use yao_core::Scheme;
pub use yao_runtime as runtime;
pub use yao_runtime::protocol::Settings;

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
    let text = match e.downcast_ref::<Error>() {
        // Compiler diagnostics carry their own `error:` headers and layout.
        Some(Error::Compile(d)) => d.render(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        _ => format!("error: {}\n", error_message(e)),
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
    std::process::exit(1)
}

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
