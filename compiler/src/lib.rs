//! Yao's compiler side: the gate IR every other part speaks, Bristol circuit
//! import and export, input values, and the DSL compiler.
//!
//! Nothing here knows about cryptography: a [`ir::Circuit`] is plain data with
//! a plaintext reference semantics ([`ir::Circuit::eval_plain`]).

pub mod ir;

pub use ir::{Circuit, Gate, Party, ValueType, Wire};
