//! Yao's garbling core: wire labels, the tweakable hash, half-gates garbling
//! and evaluation, the plan that drives them, windowed garbling and the
//! message cores of oblivious transfer.
//!
//! Nothing here does I/O: every function turns values into values, so the
//! same code serves tests, benchmarks and the protocol crate (`yao-runtime`),
//! which alone moves bytes. The gate IR comes from `yao-ir`.

#![deny(missing_docs, unreachable_pub)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod auth;
#[cfg(feature = "bench")]
pub mod bench;
pub mod block;
pub mod evaluator;
pub mod garbler;
pub mod half_gates;
pub mod hash;
#[cfg(any(test, feature = "bench"))]
pub mod in_memory;
mod lane;
pub mod ot;
pub mod plan;
pub mod scheme;
pub mod three_halves;
pub mod tweak;
mod vaes;
pub mod window;

pub use block::{Block, Delta};
pub use scheme::Scheme;
/// The gate IR (the `yao-ir` crate): the core's only view of circuits.
pub use yao_ir as ir;
