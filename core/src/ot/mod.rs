//! The I/O-free cores of oblivious transfer: how the evaluator gets the
//! labels of its input bits.
//!
//! The garbler is the OT *sender*: it holds `Delta` and obtains random
//! zero-labels `q_i`. The evaluator is the OT *receiver*: with its input bits
//! as choices `c_i` it obtains `q_i ^ c_i * Delta`, its active labels, and
//! learns nothing about `q_i ^ (1 - c_i) * Delta`; the garbler learns nothing
//! about the `c_i`. This is correlated OT with a global `Delta`.
//!
//! These modules turn messages into messages; the protocol crate
//! (`yao-runtime`, its `ot` module) moves them over a channel.
//! - [`csw`]: 128 base OTs, the Canetti-Sarkar-Wang OT on Ristretto.
//! - [`iknp`]: IKNP extension with the ALSZ correlated-OT optimization.
//! - [`softspoken`]: SoftSpokenOT, OT extension sending `128 / k` bits per
//!   OT, on GGM punctured PRFs (`ggm`).
//! - [`prg`]: AES-128-CTR, the PRG that expands base-OT seeds.
//! - [`transpose`]: the SIMD bit-matrix transpose OT extension needs.

pub mod csw;
mod ggm;
pub mod iknp;
pub mod prg;
mod ristretto;
pub mod softspoken;
pub mod transpose;

/// What is wrong with a message the peer sent in an oblivious transfer.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    /// A 32-byte string that does not decode to a Ristretto point.
    #[error(
        "oblivious transfer: the peer's {what} (#{index}) is not a valid Ristretto point encoding"
    )]
    InvalidPoint {
        /// Which message.
        what: &'static str,
        /// Which point of it.
        index: usize,
    },
    /// The identity point, which would make a base-OT key predictable.
    #[error("oblivious transfer: the peer's {what} (#{index}) is the identity point")]
    IdentityPoint {
        /// Which message.
        what: &'static str,
        /// Which point of it.
        index: usize,
    },
    /// A message of the wrong length.
    #[error("oblivious transfer: malformed {what}: expected {expected} bytes, got {got}")]
    Malformed {
        /// Which message.
        what: &'static str,
        /// Its length in the protocol.
        expected: usize,
        /// Its length on the wire.
        got: usize,
    },
    /// A consistency check of the base OTs failed.
    #[error("oblivious transfer: {what} does not check: the peer deviated from the protocol")]
    CheckFailed {
        /// Which check.
        what: &'static str,
    },
}
