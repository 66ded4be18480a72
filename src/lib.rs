//! Yao: garbled-circuit two-party computation.
//!
//! This package holds the command-line tools; the work is done by
//! [`yao_compiler`] (DSL, IR, Bristol I/O) and [`yao_runtime`] (garbling, OT,
//! protocol), re-exported here.

pub use yao_compiler as compiler;
pub use yao_runtime as runtime;
