//! Yao: garbled-circuit two-party computation.
//!
//! This package holds the command-line tools and the pieces they share
//! (loading circuits, reading input values, printing outputs); the work is
//! done by [`yao_compiler`] (DSL, IR, Bristol I/O) and [`yao_runtime`]
//! (garbling, OT, protocol), re-exported here.

pub mod circuit_file;
pub mod inputs;
pub mod outputs;
pub mod party;

pub use yao_compiler as compiler;
pub use yao_runtime as runtime;
