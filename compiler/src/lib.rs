//! Yao's compiler side: Bristol circuit import and export, input values, the
//! optimizer and the DSL compiler, all over the gate IR of the `yao-ir` crate
//! (re-exported as [`ir`]).
//!
//! Nothing here knows about cryptography: a [`ir::Circuit`] is plain data with
//! a plaintext reference semantics ([`ir::Circuit::eval_plain`]).

#![forbid(unsafe_code)]

pub mod bristol;
pub mod bristol_windowed;
pub mod compiled;
/// The gate IR (the `yao-ir` crate).
pub use yao_ir as ir;
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
