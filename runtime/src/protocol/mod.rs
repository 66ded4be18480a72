//! The two-party protocol: the only code that moves bytes between the
//! garbler and the evaluator.
//!
//! One session, in order (DESIGN.md, "Protocol"), wire version 4:
//!
//! 1. [`handshake`]: magic, version, roles and circuit id, both ways.
//! 2. Base OTs, once per session (the garbler is the OT sender and uses its
//!    free-XOR `Delta` as the correlation). Steps 1 and 2 must be done
//!    within the channel's timeout as a whole (`deadline.rs`).
//! 3. Then any number of executions. Every message starts with a tag byte.
//!    The evaluator runs the OT extension on random choice bits in batches
//!    ahead of need and announces each execution's inputs with one
//!    correction bit per input bit (`precomputed.rs`, Beaver's
//!    derandomization). The garbler sends its input labels, the garbled
//!    tables in chunks and the output decoding bits; the evaluator sends
//!    back its output labels, which the garbler checks and answers with a
//!    verdict, so that both parties learn the outputs.
//!
//! [`GarblerSession::execute`] and [`EvaluatorSession::execute`] run one
//! execution; `execute_pipelined` on both sides pipelines many: the evaluator
//! announces up to two executions ahead, so the garbler garbles the next one
//! while the evaluator evaluates, and no execution waits for a round trip.
//! Tags make the two styles interoperate.
//!
//! A session runs a circuit held whole, planned once, or one read window by
//! window at every execution (`schedule.rs`; [`GarblerSetup::windowed`]):
//! the messages are the same, only the table stream is cut differently.
//!
//! The cryptographic cores ([`yao_core::garbler`], [`yao_core::evaluator`],
//! [`crate::ot`]) do no I/O; this module drives them over a [`Channel`](crate::channel::Channel).

mod deadline;
mod error;
mod evaluator_session;
mod garbler_session;
pub mod handshake;
pub mod malicious;
mod precomputed;
mod schedule;
mod session;
mod windowed;
mod wire;

pub use error::{Phase, ProtocolError};
pub use evaluator_session::{EvaluatorSession, EvaluatorSetup};
pub use garbler_session::{GarblerKeys, GarblerSession, GarblerSetup};
pub use handshake::{Security, Settings};
pub use session::{ExecutionStats, Progress, MAX_AHEAD};
pub use windowed::{evaluate_windowed, garble_windowed, windowed_id, WindowedOutcome};
