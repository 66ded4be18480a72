//! The garbling schemes a session can use for AND gates. Both keep
//! free-XOR, the plan and the TCCR hash; they differ in the tables' size
//! and in the hash work per AND.
//!
//! - [`Scheme::HalfGates`]: Zahur, Rosulek, Evans (EUROCRYPT 2015), two
//!   blocks (32 bytes) per AND; garbling costs 4 hash calls per AND,
//!   evaluation 2 ([`crate::garbler`], [`crate::evaluator`]).
//! - [`Scheme::ThreeHalves`]: Rosulek, Roy (CRYPTO 2021), 24.625 bytes per AND;
//!   garbling 6 hash calls, evaluation 3 ([`crate::three_halves`]).
//!
//! Their tweaks overlap (`2k + 1` of one AND is `3k'` of another), so one
//! `Delta` garbles with one scheme only: a session fixes its scheme in the
//! handshake.

use std::fmt;
use std::str::FromStr;

/// How AND gates are garbled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Half-gates: two blocks per AND, the fastest to compute.
    #[default]
    HalfGates,
    /// Three-halves: 24.625 bytes per AND, about a fifth fewer bytes on the
    /// wire, at about half the garbling speed.
    ThreeHalves,
}

impl Scheme {
    /// Every scheme, in the order of their codes.
    pub const ALL: [Scheme; 2] = [Scheme::HalfGates, Scheme::ThreeHalves];

    /// The name on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::HalfGates => "half-gates",
            Scheme::ThreeHalves => "three-halves",
        }
    }

    /// The byte that names the scheme in the handshake.
    pub fn code(self) -> u8 {
        match self {
            Scheme::HalfGates => 0,
            Scheme::ThreeHalves => 1,
        }
    }

    /// The scheme a handshake byte names, if any.
    pub fn from_code(code: u8) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Garbled-table bits per AND gate on the wire (three-halves packs its
    /// 5 control bits: 24.625 bytes per AND).
    pub fn table_bits_per_and(self) -> usize {
        match self {
            Scheme::HalfGates => 256,
            Scheme::ThreeHalves => 197,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scheme name that is not one of [`Scheme::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown garbling scheme `{0}` (expected `half-gates` or `three-halves`)")]
pub struct UnknownScheme(pub String);

impl FromStr for Scheme {
    type Err = UnknownScheme;

    fn from_str(s: &str) -> Result<Scheme, UnknownScheme> {
        Scheme::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| UnknownScheme(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_round_trip() {
        for s in Scheme::ALL {
            assert_eq!(s.name().parse::<Scheme>(), Ok(s));
            assert_eq!(Scheme::from_code(s.code()), Some(s));
        }
        assert_eq!(Scheme::from_code(2), None);
        assert!("halfgates".parse::<Scheme>().is_err());
        assert_eq!(Scheme::default(), Scheme::HalfGates);
    }
}
