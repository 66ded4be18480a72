//! Bucketing: WRK17 section 5.2 (protocol Pi_aAND) combines `B` leaky
//! triples into one that leaks nothing.
//!
//! After the leaky triples are fixed, the parties toss coins for a random
//! permutation and cut the permuted triples into buckets of `B`. A bucket
//! `(x_1, y_1, z_1), .., (x_B, y_B, z_B)` becomes one triple with the same
//! `y = y_1`: for each `j > 1` the parties open `d_j = y_1 ^ y_j` (with MAC
//! checks, [`super::auth_bit::verify_opening`]) and set
//!
//! ```text
//! x = x_1 ^ .. ^ x_B,    z = z_1 ^ .. ^ z_B ^ (d_2 & x_2) ^ .. ^ (d_B & x_B)
//! ```
//!
//! which is correct as `x_j & y_1 = x_j & y_j ^ d_j & x_j = z_j ^ d_j & x_j`.
//! The `x` of the result is hidden unless the cheater learned the `x` of
//! *every* triple of the bucket.
//!
//! # Bucket size
//!
//! A cheater that attacks `t` of the `l * B` leaky triples survives the
//! leaky-AND checks with probability `2^-t` (each attack is caught with
//! probability 1/2, [`super::leaky_and`]) and wins only if some bucket is
//! made of attacked triples only. With a uniform permutation a given bucket
//! is all-attacked with probability `C(t, B) / C(l*B, B)`; a union bound over
//! the `l` buckets and the worst `t` gives the cheater's success probability
//!
//! ```text
//! eps(l, B) = max_{t >= B} 2^-t * l * C(t, B) / C(l*B, B)
//! ```
//!
//! (the counting argument of WRK17 section 5.2 for Pi_aAND, as in the
//! bucketing analyses it builds on). [`bucket_size`] is the smallest `B`
//! with `eps <= 2^-RHO`. It reproduces the parameters that WRK17's
//! implementation (emp-ag2pc, `fpre.h`) uses for `RHO = 40`: `B = 3` from
//! 280,000 ANDs, `B = 4` from 3,100, `B = 5` from 320 (emp-ag2pc never
//! makes fewer than 320); below 320 it grows further (6 from 84, 7 from
//! 34, .., 40 for a single AND). The exact thresholds of the formula are
//! 320, 3,044 and 276,350: the published 3,100 and 280,000 are these
//! rounded up. The tests pin them.

use super::auth_bit::{open, verify_opening, GlobalKey, Opening, Share};
use super::commit::Seed;
use super::triple::Triple;
use super::{AuthError, RHO};
use zeroize::Zeroizing;

/// `log2 C(n, k)`, summed term by term (`k` is a bucket size: small).
fn log2_binomial(n: f64, k: usize) -> f64 {
    (0..k)
        .map(|i| ((n - i as f64) / (k - i) as f64).log2())
        .sum()
}

/// `log2 eps(ands, b)`: the cheater's success probability with `ands`
/// buckets of `b` leaky triples (see the module documentation).
pub fn failure_log2(ands: usize, b: usize) -> f64 {
    assert!(ands >= 1 && b >= 1);
    let total = (ands * b) as f64;
    let base = (ands as f64).log2() - log2_binomial(total, b);
    // 2^-t * C(t, b) grows while t < 2b - 1 and shrinks after, so the
    // maximum lies in b..=2b; t cannot exceed the number of triples.
    (b..=(2 * b).min(ands * b))
        .map(|t| -(t as f64) + log2_binomial(t as f64, b))
        .fold(f64::NEG_INFINITY, f64::max)
        + base
}

/// The smallest bucket size that keeps the cheater's success probability at
/// most `2^-40` for a circuit of `ands` AND gates (at least 1).
pub fn bucket_size(ands: usize) -> usize {
    let ands = ands.max(1);
    // B = RHO always suffices: with one bucket the bound is 2^-B at worst.
    (2..=RHO)
        .find(|&b| failure_log2(ands, b) <= -(RHO as f64))
        .unwrap_or(RHO)
}

/// One party's bucketing of `ands * b` leaky triples into `ands` triples.
pub struct Buckets {
    /// The leaky triples in permuted order: bucket `k` is `b` consecutive
    /// entries from `k * b`.
    leaky: Zeroizing<Vec<Triple>>,
    b: usize,
    d: Zeroizing<Vec<Share>>,
}

/// Reorders `v` in place so that `v[i]` becomes the old `v[order[i]]`
/// (`order` a permutation), following its cycles: each triple moves once,
/// and the later passes over the buckets read memory in order instead of
/// gathering at random (twice) from a store larger than the caches.
fn permute_in_place(v: &mut [Triple], order: &[usize]) {
    let mut placed = vec![false; v.len()];
    for start in 0..v.len() {
        if placed[start] {
            continue;
        }
        let first = v[start];
        let mut i = start;
        loop {
            placed[i] = true;
            let from = order[i];
            if from == start {
                v[i] = first;
                break;
            }
            v[i] = v[from];
            i = from;
        }
    }
}

impl Buckets {
    /// Cuts the leaky triples, permuted by the coin-tossed `seed`, into
    /// buckets of `b` (the length must be a multiple of `b`); the opening of
    /// this party's shares of the `d_j` goes to the peer.
    pub fn new(mut leaky: Zeroizing<Vec<Triple>>, seed: &Seed, b: usize) -> (Buckets, Opening) {
        assert!(b >= 1 && leaky.len().is_multiple_of(b), "whole buckets");
        let order = seed.permutation(leaky.len());
        permute_in_place(&mut leaky, &order);
        let mut d = Zeroizing::new(Vec::with_capacity(leaky.len() / b * (b - 1)));
        for bucket in leaky.chunks_exact(b) {
            let first = bucket[0].y;
            d.extend(bucket[1..].iter().map(|t| first.xor(t.y)));
        }
        let opening = open(&d);
        (Buckets { leaky, b, d }, opening)
    }

    /// Checks the peer's opening and combines: one triple per bucket.
    pub fn finish(
        self,
        own: &GlobalKey,
        peer: &Opening,
    ) -> Result<Zeroizing<Vec<Triple>>, AuthError> {
        let d = verify_opening(&self.d, own, peer)?;
        let mut out = Zeroizing::new(Vec::with_capacity(self.leaky.len() / self.b));
        for (bucket, d) in self.leaky.chunks_exact(self.b).zip(d.chunks(self.b - 1)) {
            let mut t = bucket[0];
            for (other, &dj) in bucket[1..].iter().zip(d) {
                t.x = t.x.xor(other.x);
                t.z = t.z.xor(other.z).xor(other.x.and_public(dj));
            }
            out.push(t);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::in_process::{Pair, Tamper};
    use super::super::{Check, Role};
    use super::*;

    #[test]
    fn bucket_sizes_match_the_published_parameters() {
        assert_eq!(bucket_size(280_000), 3);
        assert_eq!(bucket_size(1_000_000), 3);
        // The exact thresholds; the published ones are these rounded up.
        assert_eq!(bucket_size(276_350), 3);
        assert_eq!(bucket_size(276_300), 4);
        assert_eq!(bucket_size(3_044), 4);
        assert_eq!(bucket_size(3_043), 5);
        assert_eq!(bucket_size(319), 6);
        assert_eq!(bucket_size(3_100), 4);
        assert_eq!(bucket_size(6_800), 4, "AES-128's ANDs");
        assert_eq!(bucket_size(3_000), 5);
        assert_eq!(bucket_size(320), 5);
        assert_eq!(bucket_size(1), RHO);
        assert_eq!(bucket_size(0), RHO);
    }

    #[test]
    fn the_bound_is_met_and_smaller_buckets_miss_it() {
        for ands in [1, 10, 320, 3_100, 50_000, 280_000, 10_000_000] {
            let b = bucket_size(ands);
            assert!(failure_log2(ands, b) <= -40.0, "{ands}");
            if b > 2 {
                assert!(failure_log2(ands, b - 1) > -40.0, "{ands}");
            }
        }
        // One bucket of B: the cheater must attack all B and survive all B.
        assert!((failure_log2(1, 7) + 7.0).abs() < 1e-9);
    }

    #[test]
    fn honest_triples_are_correct_with_valid_macs() {
        let mut p = Pair::new();
        for ands in [1, 17, 400] {
            let (a, b) = p.triples(ands, Tamper::None).unwrap();
            assert_eq!(a.len(), ands);
            p.assert_triples(&a, &b);
        }
    }

    #[test]
    fn permuting_in_place_matches_gathering() {
        let seed = super::super::commit::Seed::from_shares(&[1; 32], &[2; 32]);
        for n in [0, 1, 2, 5, 64, 1000] {
            let order = seed.permutation(n);
            let v: Vec<Triple> = (0..n)
                .map(|i| {
                    let mut t = Triple::default();
                    t.x.mac.0 = i as u128;
                    t
                })
                .collect();
            let want: Vec<Triple> = order.iter().map(|&j| v[j]).collect();
            let mut got = v.clone();
            permute_in_place(&mut got, &order);
            assert_eq!(got, want, "{n}");
        }
    }

    #[test]
    fn a_wrong_bucket_opening_is_caught() {
        let mut p = Pair::new();
        let err = p.triples(50, Tamper::FlipBucketOpening).unwrap_err();
        assert_eq!(err, AuthError::CheckFailed(Check::Mac));
    }

    #[test]
    fn cheating_in_a_leaky_and_never_yields_a_wrong_triple() {
        // Either the run aborts or every combined triple is correct.
        for _ in 0..6 {
            let mut p = Pair::new();
            let tamper = Tamper::FlipU {
                by: Role::B,
                triple: 9,
                bit: 5,
            };
            match p.triples(20, tamper) {
                Ok((a, b)) => p.assert_triples(&a, &b),
                Err(e) => assert_eq!(e, AuthError::CheckFailed(Check::LeakyAndEquality)),
            }
        }
    }
}
