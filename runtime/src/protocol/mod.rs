//! The two-party protocol: the only code that moves bytes between the
//! garbler and the evaluator.
//!
//! One session, in order (DESIGN.md, "Protocol"):
//!
//! 1. [`handshake`]: magic, version, roles and circuit id, both ways.
//! 2. Base OTs, once per session (the garbler is the OT sender and uses its
//!    free-XOR `Delta` as the correlation).
//! 3. Then any number of executions, each: correlated OTs for the evaluator's
//!    input labels, the garbler's input labels, the garbled tables streamed
//!    in batches, the output decoding bits, and the evaluator's output labels
//!    sent back so that both parties learn the outputs.
//!
//! The cryptographic cores ([`crate::garbler`], [`crate::evaluator`],
//! [`crate::ot`]) do no I/O; this module drives them over a [`Channel`].

mod error;
pub mod handshake;
mod precomputed;
mod session;

pub use error::{Phase, ProtocolError};
pub use session::{
    EvaluatorSession, EvaluatorSetup, ExecutionStats, GarblerKeys, GarblerSession, GarblerSetup,
    Progress, MAX_AHEAD,
};
