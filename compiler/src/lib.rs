//! Yao's compiler side: the gate IR every other part speaks, Bristol circuit
//! import and export, input values, and the DSL compiler.
//!
//! Nothing here knows about cryptography: a [`ir::Circuit`] is plain data with
//! a plaintext reference semantics ([`ir::Circuit::eval_plain`]).

pub mod bristol;
pub mod bristol_stream;
pub mod ir;
pub mod lang;
pub mod optimize;
pub mod value;

pub use ir::{Circuit, Gate, Party, ValidCircuit, ValueType, Wire};
