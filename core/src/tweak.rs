//! Where every hash tweak comes from: one AND numbering per `Delta`.
//!
//! Half-gates hashes AND gate `k` with tweaks `2k` and `2k + 1`
//! ([`crate::hash::and_tweak`]). The TCCR security of the gate hash (Guo,
//! Katz, Wang, Yu, "Efficient and Secure Multiparty Computation from
//! Fixed-Key Block Ciphers", IEEE S&P 2020) holds only while no tweak is
//! used twice under one `Delta`. A session garbles many executions under
//! its one `Delta`, so AND numbers must run on across executions, windows
//! and pipelined stages: an [`AndCounter`] per session hands out disjoint
//! ranges, and the garbler and the evaluator each keep one and advance it
//! identically.
//!
//! What went wrong without it: every execution numbered its ANDs from 0, and
//! an AND that read a public constant (whose label is the zero block in
//! every execution) then hashed the same `(label, tweak)` pair under the same
//! `Delta` twice; the XOR of two executions' tables gave `Delta` to the
//! evaluator. (The planner now also folds every AND that reads a constant,
//! see [`crate::plan`]; either defence alone closes the attack.)
//!
//! [`record`] lets a test see every tweak range a garbler hashes on the
//! calling thread, so the rule above is checked, not assumed.

use crate::block::Delta;
use std::cell::{Cell, RefCell};

/// AND numbers stay below this, so that the largest tweak of the last AND
/// fits in the 64 bits the tweaks are computed in: `2k + 1` for half-gates
/// ([`crate::hash::and_tweak`]), `3k + 2 < 3 * 2^62 < 2^64` for
/// three-halves ([`crate::hash::three_halves_tweak`]). At 10^9 ANDs a
/// second a session would take 146 years to reach it.
pub const MAX_ANDS: u64 = 1 << 62;

/// The tweaks of one session are used up (only a session of 2^62 ANDs
/// gets here): it must end, and a new one draws a new `Delta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "this session has numbered {used} AND gates and cannot number {wanted} more \
     without reusing a hash tweak under its Delta; start a new session"
)]
pub struct TweaksExhausted {
    /// AND numbers handed out so far.
    pub used: u64,
    /// The size of the refused range.
    pub wanted: u64,
}

/// The next unused AND number of one `Delta`'s life (a session).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AndCounter {
    next: u64,
}

impl AndCounter {
    /// A counter for a fresh `Delta`: numbering starts at 0.
    pub fn new() -> AndCounter {
        AndCounter { next: 0 }
    }

    /// Reserves `ands` consecutive AND numbers and returns the first. The
    /// range is never handed out again, even if the execution that takes it
    /// fails.
    pub fn take(&mut self, ands: u64) -> Result<u64, TweaksExhausted> {
        check_range(self.next, ands)?;
        let first = self.next;
        self.next += ands;
        Ok(first)
    }

    /// AND numbers handed out so far.
    pub fn used(&self) -> u64 {
        self.next
    }
}

/// Checks that the ANDs `first..first + ands` have numbers below
/// [`MAX_ANDS`] (the garbler and the evaluator refuse any other range).
pub(crate) fn check_range(first: u64, ands: u64) -> Result<(), TweaksExhausted> {
    match first.checked_add(ands) {
        Some(end) if end <= MAX_ANDS => Ok(()),
        _ => Err(TweaksExhausted {
            used: first,
            wanted: ands,
        }),
    }
}

/// A range of AND numbers a garbler hashed (tweaks `2k` and `2k + 1` for
/// each `k` in `first_and..first_and + ands` with half-gates, `3k .. 3k + 2`
/// with three-halves) under the `Delta` whose
/// blake3 fingerprint is `delta_id` (the fingerprint, not `Delta`: a test
/// can tell `Delta`s apart, and check a guessed one, without holding it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TweakRange {
    /// The blake3 fingerprint of `Delta`.
    pub delta_id: [u8; 32],
    /// The first AND number.
    pub first_and: u64,
    /// How many ANDs.
    pub ands: u64,
}

thread_local! {
    static RECORDING: Cell<bool> = const { Cell::new(false) };
    static RECORDED: RefCell<Vec<TweakRange>> = const { RefCell::new(Vec::new()) };
}

/// The fingerprint of `Delta` that [`TweakRange::delta_id`] holds.
pub fn delta_id(delta: &Delta) -> [u8; 32] {
    fingerprint(&delta.block().0.to_le_bytes())
}

/// The fingerprint of a 16-byte block, as [`delta_id`] computes it: a test
/// checks a guessed `Delta` against a recorded one with it.
pub fn fingerprint(bytes: &[u8; 16]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// Runs `f` and returns, with its result, every tweak range that garblers
/// hashed on this thread meanwhile, in order. Recording costs one
/// thread-local flag read per garbled step when off.
pub fn record<R>(f: impl FnOnce() -> R) -> (R, Vec<TweakRange>) {
    let was = RECORDING.with(|r| r.replace(true));
    let before = RECORDED.with(|v| v.borrow().len());
    let out = f();
    RECORDING.with(|r| r.set(was));
    let ranges = RECORDED.with(|v| {
        let mut v = v.borrow_mut();
        let ranges = v.split_off(before);
        if !was {
            v.clear();
        }
        ranges
    });
    (out, ranges)
}

/// Called by the garbler for each step it hashes.
#[inline]
pub(crate) fn note(delta: &Delta, first_and: u64, ands: usize) {
    if RECORDING.with(|r| r.get()) {
        let range = TweakRange {
            delta_id: delta_id(delta),
            first_and,
            ands: ands as u64,
        };
        RECORDED.with(|v| v.borrow_mut().push(range));
    }
}

/// Two ranges of `ranges` that share an AND number under one `Delta`, if
/// any.
pub fn first_repeat(ranges: &[TweakRange]) -> Option<(TweakRange, TweakRange)> {
    let mut sorted: Vec<&TweakRange> = ranges.iter().filter(|r| r.ands > 0).collect();
    sorted.sort_by_key(|r| (r.delta_id, r.first_and));
    // Sorted by start, ranges overlap iff one overlaps its predecessor.
    let mut previous: Option<&TweakRange> = None;
    for r in sorted {
        match previous {
            Some(f) if f.delta_id == r.delta_id && f.first_and + f.ands > r.first_and => {
                return Some((*f, *r))
            }
            _ => previous = Some(r),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_hands_out_disjoint_ranges() {
        let mut c = AndCounter::new();
        assert_eq!(c.take(5), Ok(0));
        assert_eq!(c.take(0), Ok(5));
        assert_eq!(c.take(7), Ok(5));
        assert_eq!(c.used(), 12);
    }

    #[test]
    fn counter_refuses_to_overflow() {
        let mut c = AndCounter::new();
        assert_eq!(c.take(MAX_ANDS - 1), Ok(0));
        assert_eq!(c.take(1), Ok(MAX_ANDS - 1));
        assert!(c.take(1).is_err());
        assert!(AndCounter::new().take(u64::MAX).is_err());
        assert!(check_range(MAX_ANDS, 1).is_err());
        assert!(check_range(u64::MAX, 2).is_err());
        assert!(check_range(MAX_ANDS - 1, 1).is_ok());
    }

    #[test]
    fn repeats_are_found_only_under_one_delta() {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let r = |delta_id, first_and, ands| TweakRange {
            delta_id,
            first_and,
            ands,
        };
        assert!(first_repeat(&[r(a, 0, 4), r(a, 4, 4), r(b, 0, 8)]).is_none());
        assert!(first_repeat(&[r(a, 0, 4), r(b, 0, 8), r(a, 3, 1)]).is_some());
        assert!(first_repeat(&[r(a, 2, 0), r(a, 2, 1)]).is_none());
    }

    #[test]
    fn record_sees_only_this_thread() {
        let d = Delta::random();
        let ((), ranges) = record(|| {
            note(&d, 3, 2);
            std::thread::spawn(move || note(&Delta::random(), 0, 1))
                .join()
                .unwrap();
        });
        assert_eq!(ranges.len(), 1);
        assert_eq!(ranges[0].first_and, 3);
        assert_eq!(ranges[0].delta_id, delta_id(&d));
    }
}
