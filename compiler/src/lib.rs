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

/// Tests compare whole messages: an error and its causes, joined with `: `
/// (an error that returns its cause from `source` does not print it).
#[cfg(test)]
pub(crate) trait Report {
    fn report(&self) -> String;
}

#[cfg(test)]
impl<E: std::error::Error + 'static> Report for E {
    fn report(&self) -> String {
        let mut text = self.to_string();
        let mut cause = self.source();
        while let Some(e) = cause {
            text.push_str(": ");
            text.push_str(&e.to_string());
            cause = e.source();
        }
        text
    }
}
