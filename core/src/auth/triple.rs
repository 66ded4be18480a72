//! Authenticated AND triples: what each AND gate of authenticated garbling
//! consumes.
//!
//! A triple is three shared authenticated bits `x`, `y`, `z` (see
//! [`super::auth_bit`]) with `z = x & y`, that is
//! `(x_A ^ x_B) & (y_A ^ y_B) = z_A ^ z_B`, random and known to neither
//! party (WRK17's F_aAND). They come from [`super::leaky_and`] (correct, but
//! a cheater may learn some `x`) and [`super::bucket`] (which removes that
//! leak).

use super::auth_bit::Share;
use zeroize::Zeroize;

/// One party's part of an authenticated AND triple.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Zeroize)]
pub struct Triple {
    /// The share of `x`.
    pub x: Share,
    /// The share of `y`.
    pub y: Share,
    /// The share of `z = x & y`.
    pub z: Share,
}
