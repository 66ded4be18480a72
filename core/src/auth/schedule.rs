//! Splitting a request for AND triples into pieces of bounded size, so that
//! what a party holds at once does not grow with the circuit.
//!
//! Two limits ([`Limits`]):
//!
//! - A *batch* is one run of the correlated OTs (KOS15, [`super::kos`]) and
//!   the leaky ANDs ([`super::leaky_and`]) with their equality check. Its
//!   size bounds the OT matrices and hashing buffers. Batches only change
//!   how many checks run: each leaky triple is still checked before it is
//!   used, and the hash tweaks keep counting across batches.
//! - A *group* is the set of leaky triples that one coin-tossed permutation
//!   cuts into buckets ([`super::bucket`]). All of them must be held until
//!   the permutation is known, so the group size bounds that store.
//!
//! Bucketing group by group changes the statistical argument, and the
//! bucket size accounts for it. A cheater attacking `t_c` leaky triples of
//! group `c` survives with probability at most `2^-(sum t_c)`, and wins if
//! some group has a bucket of attacked triples only. Within a group the
//! argument of [`super::bucket`] applies unchanged (the group's permutation
//! is tossed after its triples are fixed, whatever happened in earlier
//! groups), so a union bound over the groups gives
//!
//! ```text
//! eps = sum over groups c of eps(l_c, B)
//! ```
//!
//! with `eps(l, B)` of [`super::bucket::failure_log2`] and `l_c` the ANDs of
//! group `c`. [`Schedule::new`] takes the smallest `B` with `eps <= 2^-RHO`.
//! With one group this is [`super::bucket::bucket_size`]: requests that fit
//! one group keep the unchunked bucket size (tested). Larger requests split
//! into the fewest near-equal groups the limit allows, and since
//! `eps(l, B)` falls like `l^(1-B)`, a split can cost a larger `B`. With the
//! default limit every request up to 699,050 ANDs is one group (so the
//! AES-128 and `2^19` cases keep `B = 4` and `B = 3`); above it, `B = 3`
//! holds only where the groups stay large enough (for example 1 to 2
//! million ANDs, not 700,000 or 4.2 million, which take `B = 4`). A larger
//! group limit trades memory for that factor 4/3.

use super::bucket::failure_log2;
use super::RHO;

/// How many leaky triples one party processes and holds at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Leaky triples per batch (COTs and leaky ANDs), at least 1.
    pub batch: usize,
    /// Leaky triples per bucketing group, at least `2 * RHO`.
    pub group: usize,
}

impl Limits {
    /// `2^16` leaky triples per batch (about 3 MB of OT matrix per
    /// direction); `2^21` per group (the group store holds one
    /// [`super::triple::Triple`] per leaky triple, 144 bytes: about 300 MB).
    pub const DEFAULT: Limits = Limits {
        batch: 1 << 16,
        group: 1 << 21,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// How a request for `ands` triples is served: the bucket size, the ANDs of
/// each bucketing group, and (per group) the leaky-triple batches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    bucket: usize,
    groups: Vec<usize>,
    batch: usize,
}

/// `n` split into `parts` near-equal sizes, the larger ones first.
fn split(n: usize, parts: usize) -> Vec<usize> {
    let (q, r) = (n / parts, n % parts);
    (0..parts).map(|i| q + usize::from(i < r)).collect()
}

/// `log2` of the cheater's success probability summed over the groups.
fn grouped_failure_log2(groups: &[usize], b: usize) -> f64 {
    groups
        .iter()
        .map(|&l| failure_log2(l, b).exp2())
        .sum::<f64>()
        .log2()
}

impl Schedule {
    /// The schedule of `ands` triples under `limits` (see the module
    /// documentation). Both parties compute it from the same numbers.
    ///
    /// # Panics
    /// If a limit is below its minimum (a caller bug, never peer input), or
    /// for counts of `2^39` ANDs and more.
    pub fn new(ands: usize, limits: Limits) -> Schedule {
        assert!(limits.batch >= 1, "a batch holds at least one leaky triple");
        assert!(limits.group >= 2 * RHO, "a group holds two buckets of RHO");
        if ands == 0 {
            return Schedule {
                bucket: RHO,
                groups: Vec::new(),
                batch: limits.batch,
            };
        }
        // A bucket of `b` must fit in a group, hence `b <= group / 2` keeps
        // at least two ANDs per group; with `group >= 2 * RHO` some `b <= RHO`
        // passes for every `ands` below 2^39 (two-AND groups of 40 fail with
        // probability below 2^-79 each).
        (2..=limits.group / 2)
            .find_map(|b| {
                let groups = split(ands, ands.saturating_mul(b).div_ceil(limits.group));
                (grouped_failure_log2(&groups, b) <= -(RHO as f64)).then_some(Schedule {
                    bucket: b,
                    groups,
                    batch: limits.batch,
                })
            })
            .expect("a bucket size meets the bound for any count that fits in memory")
    }

    /// The bucket size `B`: leaky triples per output triple.
    pub fn bucket(&self) -> usize {
        self.bucket
    }

    /// The ANDs of each bucketing group, in order.
    pub fn groups(&self) -> &[usize] {
        &self.groups
    }

    /// The leaky-triple batches of a group of `ands` ANDs: full batches,
    /// then the remainder.
    pub fn batches(&self, ands: usize) -> impl Iterator<Item = usize> {
        let leaky = ands * self.bucket;
        let batch = self.batch;
        (0..leaky.div_ceil(batch)).map(move |i| batch.min(leaky - i * batch))
    }
}

#[cfg(test)]
mod tests {
    use super::super::bucket::bucket_size;
    use super::*;

    #[test]
    fn one_group_keeps_the_unchunked_bucket_size() {
        for ands in [1, 2, 33, 319, 320, 3_043, 3_044, 6_800, 276_350, 1 << 19] {
            let s = Schedule::new(ands, Limits::DEFAULT);
            assert_eq!(s.groups(), [ands], "{ands}");
            assert_eq!(s.bucket(), bucket_size(ands), "{ands}");
        }
        assert_eq!(Schedule::new(699_050, Limits::DEFAULT).groups().len(), 1);
        assert_eq!(Schedule::new(699_051, Limits::DEFAULT).groups().len(), 2);
    }

    #[test]
    fn groups_and_batches_cover_the_request() {
        let limits = Limits {
            batch: 1000,
            group: 5000,
        };
        for ands in [1, 999, 1_250, 5_000, 12_345] {
            let s = Schedule::new(ands, limits);
            assert_eq!(s.groups().iter().sum::<usize>(), ands);
            for &g in s.groups() {
                assert!(g * s.bucket() <= limits.group, "{ands}: group {g}");
                let batches: Vec<usize> = s.batches(g).collect();
                assert_eq!(batches.iter().sum::<usize>(), g * s.bucket());
                assert!(batches.iter().all(|&m| (1..=1000).contains(&m)));
            }
        }
        assert!(Schedule::new(0, limits).groups().is_empty());
    }

    #[test]
    fn the_union_bound_over_groups_is_met_and_tight() {
        for (ands, group) in [
            (1usize << 19, 1usize << 20),
            (1 << 19, 1 << 21),
            (10_000_000, 1 << 21),
            (50_000, 40_000),
            (1_000, 400),
        ] {
            let limits = Limits { batch: 1, group };
            let s = Schedule::new(ands, limits);
            let b = s.bucket();
            assert!(grouped_failure_log2(s.groups(), b) <= -40.0, "{ands}");
            if b > 2 {
                let parts = (ands * (b - 1)).div_ceil(group);
                let smaller = split(ands, parts);
                assert!(grouped_failure_log2(&smaller, b - 1) > -40.0, "{ands}");
            }
        }
        // Two groups of 2^18 ANDs need B = 4 where one group of 2^19 has 3:
        // the price of a smaller group limit, visible to callers.
        let small = Limits {
            batch: 1 << 16,
            group: 1 << 20,
        };
        assert_eq!(Schedule::new(1 << 19, small).bucket(), 4);
        assert_eq!(Schedule::new(1 << 19, Limits::DEFAULT).bucket(), 3);
        for (ands, b) in [
            (699_050, 3),
            (700_000, 4),
            (1_000_000, 3),
            (2_000_000, 3),
            (4_200_000, 4),
            (10_000_000, 4),
        ] {
            assert_eq!(Schedule::new(ands, Limits::DEFAULT).bucket(), b, "{ands}");
        }
    }
}
