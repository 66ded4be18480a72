//! Security against a malicious peer: authenticated garbling and its
//! preprocessing, as I/O-free message cores.
//!
//! Authenticated garbling (Wang, Ranellucci and Katz, "Authenticated
//! Garbling and Efficient Maliciously Secure Two-Party Computation", CCS
//! 2017, WRK17) needs, before the circuit is garbled, *authenticated bits*
//! and *authenticated AND triples* held by the two parties with
//! information-theoretic MACs under global keys. The preprocessing makes
//! them:
//!
//! - [`field`]: GF(2^128) arithmetic for the check below.
//! - [`kos`]: correlated OT secure against a malicious receiver: IKNP with
//!   the consistency check of Keller, Orsini and Scholl ("Actively Secure
//!   OT Extension with Optimal Overhead", CRYPTO 2015, KOS15), its
//!   challenge drawn by a commit-then-reveal coin toss.
//! - [`bootstrap`]: the base OTs of the second extension, made from 128
//!   checked OTs of the first (one public-key base OT per setup, not two).
//! - [`auth_bit`]: IT-MACs with a global key, `M[x] = K[x] ^ x * Delta`
//!   (WRK17 section 2's authenticated bits), made from that COT run once in
//!   each direction, and their batched opening.
//! - [`leaky_and`]: WRK17 section 5's leaky AND triples: correct, or the
//!   run aborts, but a cheater may learn one bit `x` of the honest party
//!   per attempt at the price of being caught with probability 1/2.
//! - [`bucket`]: WRK17's bucketing, which combines `B` leaky triples into
//!   one whose `x` nobody learns, with `B` chosen for statistical security
//!   `2^-40`.
//! - [`commit`]: hash commitments, coin tossing and the equality check the
//!   steps above share.
//! - [`schedule`]: how a request is split into batches and bucketing groups
//!   so that memory stays bounded, and the bucket size that split needs.
//!
//! The online phase (WRK17 section 4) consumes them for one circuit:
//!
//! - [`layout`]: what both parties derive from the circuit (which share
//!   masks which wire, every message length).
//! - [`wire_masks`]: the wire masks, and the triples derandomized onto the
//!   AND gates (`lambda_a & lambda_b`).
//! - [`garble`] and [`evaluate`]: the authenticated garbled tables, four
//!   rows of two blocks per AND, each row's garbler share checked by its
//!   MAC; the masked value rides in the label's colour bit.
//! - [`online`]: the two parties' state machines and the four messages
//!   between them, input and output handling included.
//!
//! Security parameters: computational [`KAPPA`] = 128 (the global keys,
//! one bit of each is fixed, see [`auth_bit::GlobalKey`]), statistical
//! [`RHO`] = 40 (the KOS15 check's extra OTs and the bucket size).
//!
//! `in_process` and `online_harness` (tests and benchmarks, behind the
//! `bench` feature) run both parties in one process;
//! `yao_runtime::preprocess` and `yao_runtime::protocol::malicious` move
//! the messages between processes.
//! Not built: KRRW18's half-size tables and cheaper preprocessing (Katz,
//! Ranellucci, Rosulek and Wang, CRYPTO 2018); see SECURITY.md.

pub mod auth_bit;
pub mod bootstrap;
pub mod bucket;
pub mod commit;
pub mod evaluate;
pub mod field;
pub mod garble;
#[cfg(any(test, feature = "bench"))]
pub mod in_process;
pub mod kos;
pub mod layout;
pub mod leaky_and;
pub mod online;
#[cfg(any(test, feature = "bench"))]
pub mod online_harness;
#[cfg(test)]
mod online_tests;
pub mod schedule;
pub mod triple;
pub mod wire_masks;

/// Computational security parameter: bits of a global key.
pub const KAPPA: usize = 128;

/// Statistical security parameter: a cheater goes undetected with
/// probability at most `2^-RHO`.
pub const RHO: usize = 40;

/// The two parties of WRK17: `A` garbles, `B` evaluates. The roles fix who
/// commits first in a coin toss and the colour bit of each global key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The garbler (WRK17's `P_A`).
    A,
    /// The evaluator (WRK17's `P_B`).
    B,
}

impl Role {
    /// The other party.
    pub fn peer(self) -> Role {
        match self {
            Role::A => Role::B,
            Role::B => Role::A,
        }
    }
}

/// Which check of the preprocessing the peer failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// KOS15's correlation check `q = t + x * Delta` of an OT extension.
    KosConsistency,
    /// The consistency check of the peer's SoftSpokenOT GGM trees
    /// ([`crate::ot::softspoken::TreeCheckMsg`]).
    SoftSpokenTree,
    /// The opening of a commitment does not match it.
    Commitment,
    /// Opened bits whose MACs do not verify under the local keys.
    Mac,
    /// WRK17's leaky-AND equality check of the two parties' values.
    LeakyAndEquality,
    /// The MACs of the opened `d = lambda_a ^ x`, `e = lambda_b ^ y` that
    /// derandomize the triples onto the AND masks ([`wire_masks`]).
    Derandomization,
    /// The MACs of the peer's opened shares of this party's input masks.
    InputMask,
    /// The colour bit of an input label the garbler returned for the
    /// evaluator's masked input differs from that masked input.
    InputLabel,
    /// The garbler's MAC on its share `r^A` in a decrypted garbled row
    /// ([`evaluate`]).
    GarbledRow,
    /// The MACs of the peer's opened shares of the output masks.
    OutputMask,
    /// An output label from the evaluator that is neither of the wire's two
    /// labels.
    OutputLabel,
}

impl AuthError {
    /// Names a failed MAC check after the step it belongs to; other errors
    /// pass unchanged.
    pub(crate) fn naming(self, check: Check) -> AuthError {
        match self {
            AuthError::CheckFailed(Check::Mac) => AuthError::CheckFailed(check),
            e => e,
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Check::KosConsistency => "KOS15 OT-extension consistency check (q = t + x*Delta)",
            Check::SoftSpokenTree => "SoftSpokenOT tree consistency check (the GGM leaf tags)",
            Check::Commitment => "commitment opening check",
            Check::Mac => "MAC check of opened authenticated bits",
            Check::LeakyAndEquality => "leaky-AND equality check (WRK17 section 5)",
            Check::Derandomization => {
                "MAC check of the opened triple differences d, e (WRK17 section 4 AND masks)"
            }
            Check::InputMask => "MAC check of the opened input-wire mask shares",
            Check::InputLabel => "input-label check (colour bit = masked input)",
            Check::GarbledRow => {
                "MAC check of the garbler's share in the garbled rows (WRK17 section 4)"
            }
            Check::OutputMask => "MAC check of the opened output-wire mask shares",
            Check::OutputLabel => "output-label check (the label is one of the wire's two)",
        })
    }
}

/// Why a step of the malicious protocol (preprocessing or authenticated
/// garbling) refused the peer's message or this party's own request.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// The peer failed a check: it deviated from the protocol (or the
    /// messages were corrupted), and the run must abort.
    #[error("malicious security: the peer failed the {0}; aborting")]
    CheckFailed(Check),
    /// A message of the wrong length.
    #[error("malicious security: malformed {what}: expected {expected} bytes, got {got}")]
    Malformed {
        /// Which message.
        what: &'static str,
        /// Its length in the protocol.
        expected: usize,
        /// Its length on the wire.
        got: usize,
    },
    /// The caller handed over the wrong number of preprocessed items or
    /// input bits for the circuit.
    #[error("authenticated garbling: expected {expected} {what}, got {got}")]
    WrongCount {
        /// What was counted.
        what: &'static str,
        /// How many the circuit needs.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// The circuit is not well formed.
    #[error("authenticated garbling: invalid circuit: {0}")]
    Circuit(String),
    /// The session's global keys have garbled as many ANDs as their tweak
    /// domain can number: a new session (new keys) is needed.
    #[error("authenticated garbling: this session's hash tweaks are used up; start a new session")]
    TweaksExhausted,
}

/// Checks a message's length before parsing it.
pub(crate) fn expect_len(
    what: &'static str,
    bytes: &[u8],
    expected: usize,
) -> Result<(), AuthError> {
    if bytes.len() == expected {
        Ok(())
    } else {
        Err(AuthError::Malformed {
            what,
            expected,
            got: bytes.len(),
        })
    }
}

/// Packs bits for the wire ([`crate::block::pack_bits`]).
pub(crate) fn pack(bits: &[bool]) -> Vec<u8> {
    crate::block::pack_bits(bits.iter().copied())
}

/// Unpacks `n` bits packed by [`pack`]; the length must be exact and the
/// padding bits zero, so every bit string has one encoding.
pub(crate) fn unpack(what: &'static str, bytes: &[u8], n: usize) -> Result<Vec<bool>, AuthError> {
    expect_len(what, bytes, n.div_ceil(8))?;
    if !n.is_multiple_of(8) && bytes[n / 8] >> (n % 8) != 0 {
        return Err(AuthError::Malformed {
            what,
            expected: n.div_ceil(8),
            got: bytes.len(),
        });
    }
    Ok(crate::block::unpack_bits(bytes, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::random_bits;

    #[test]
    fn bits_round_trip_and_padding_is_refused() {
        for n in [0, 1, 7, 8, 9, 100] {
            let bits = random_bits(n);
            assert_eq!(unpack("bits", &pack(&bits), n).unwrap(), bits);
        }
        assert!(unpack("bits", &[0b1000_0000], 7).is_err());
        assert!(unpack("bits", &[0, 0], 7).is_err());
    }

    #[test]
    fn errors_name_the_check() {
        let e = AuthError::CheckFailed(Check::KosConsistency).to_string();
        assert!(e.contains("KOS15"), "{e}");
    }
}
