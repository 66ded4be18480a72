//! Yao's runtime: wire labels, the tweakable hash, half-gates garbling and
//! evaluation, oblivious transfer, channels and the two-party protocol.
//!
//! The cryptographic cores do no I/O; only [`channel`] moves bytes, so the
//! same code serves in-memory tests, benchmarks and TCP runs.

pub mod bench;
pub mod block;
pub mod channel;
pub mod evaluator;
pub mod garbler;
pub mod half_gates;
pub mod hash;
mod lane;
pub mod local;
pub mod ot;
pub mod plan;
pub mod protocol;
pub mod report;
pub mod tweak;
mod vaes;
pub mod window;

pub use block::{Block, Delta};
pub use channel::{Channel, ChannelError, MemChannel, TcpChannel};
/// The gate IR (the `yao-ir` crate): the runtime's only view of circuits.
pub use yao_ir as ir;
