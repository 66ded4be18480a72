//! Precomputed correlated OTs, spent one execution at a time.
//!
//! Beaver ("Precomputing Oblivious Transfer", CRYPTO 1995) showed that OTs
//! on *random* choice bits can be computed before the inputs are known and
//! derandomized later with one message. Here: the evaluator runs the
//! correlated-OT extension on random bits `r_i` and keeps its labels
//! `R_i ^ r_i * Delta`; the garbler keeps the zero-labels `R_i`. When the
//! evaluator's input bit `c_i` is known it sends `d_i = c_i ^ r_i`, and the
//! garbler takes `L0_i = R_i ^ d_i * Delta` as the zero-label of that input
//! wire. The evaluator's label is then
//! `R_i ^ r_i * Delta = L0_i ^ (d_i ^ r_i) * Delta = L0_i ^ c_i * Delta`,
//! exactly the label of its input bit, and `L0_i` is as uniform as `R_i`.
//! The garbler sees only `d_i`, a one-time pad of `c_i` under the hidden
//! `r_i`; the evaluator sees nothing it did not already hold. Each
//! precomputed OT is spent exactly once, in order on both sides.
//!
//! What this buys: the OT extension runs in large batches (cheaper per OT,
//! and off the critical path of a stream of executions), and an execution
//! needs one bit per evaluator input bit on the wire instead of an
//! extension message.

use crate::channel::Channel;
use crate::ot::{CotReceiver, CotSender, OtError};
use yao_core::block::{Block, Delta};
use zeroize::{Zeroize, Zeroizing};

/// The garbler's precomputed zero-labels `R_i`.
#[derive(Default)]
pub(crate) struct SenderPool {
    zero: Zeroizing<Vec<Block>>,
    used: usize,
}

impl SenderPool {
    /// Precomputed OTs not yet spent.
    pub fn available(&self) -> usize {
        self.zero.len() - self.used
    }

    /// Runs the extension for `count` more OTs (the evaluator's side is
    /// [`ReceiverPool::refill`]).
    pub fn refill(
        &mut self,
        ot: &mut CotSender,
        ch: &mut impl Channel,
        count: usize,
    ) -> Result<(), OtError> {
        let fresh = Zeroizing::new(ot.extend(ch, count)?);
        append(&mut self.zero, self.used, &fresh);
        self.used = 0;
        Ok(())
    }

    /// The zero-labels `R_i ^ d_i * Delta` of the evaluator's input wires,
    /// given its corrections `d`. The caller checks
    /// `d.len() <= self.available()`.
    pub fn take(&mut self, d: &[bool], delta: &Delta) -> Zeroizing<Vec<Block>> {
        let delta = delta.block();
        let spent = &mut self.zero[self.used..self.used + d.len()];
        let labels = spent
            .iter()
            .zip(d)
            .map(|(&r, &d)| r ^ (Block::mask(d) & delta))
            .collect();
        spent.iter_mut().for_each(Zeroize::zeroize);
        self.used += d.len();
        Zeroizing::new(labels)
    }
}

/// The evaluator's precomputed random choice bits `r_i` and labels
/// `R_i ^ r_i * Delta`.
#[derive(Default)]
pub(crate) struct ReceiverPool {
    labels: Zeroizing<Vec<Block>>,
    choices: Zeroizing<Vec<bool>>,
    used: usize,
}

impl ReceiverPool {
    pub fn available(&self) -> usize {
        self.labels.len() - self.used
    }

    /// Runs the extension for `count` more OTs on random choice bits from
    /// the operating system.
    pub fn refill(
        &mut self,
        ot: &mut CotReceiver,
        ch: &mut impl Channel,
        count: usize,
    ) -> Result<(), OtError> {
        let mut bytes = Zeroizing::new(vec![0u8; count.div_ceil(8)]);
        yao_core::block::fill_random(&mut bytes);
        let fresh_choices: Zeroizing<Vec<bool>> = Zeroizing::new(
            (0..count)
                .map(|i| bytes[i / 8] >> (i % 8) & 1 == 1)
                .collect(),
        );
        let fresh = Zeroizing::new(ot.extend(ch, &fresh_choices)?);
        // The extension may pad to a multiple of 128; only `count` are ours.
        append(
            &mut self.labels,
            self.used,
            &fresh[..count.min(fresh.len())],
        );
        append(&mut self.choices, self.used, &fresh_choices);
        self.used = 0;
        Ok(())
    }

    /// Spends `bits.len()` precomputed OTs on the input bits `bits`: returns
    /// the corrections `d_i = c_i ^ r_i` to send and the active labels of
    /// the input wires. The caller checks `bits.len() <= self.available()`.
    pub fn take(&mut self, bits: &[bool]) -> (Vec<bool>, Zeroizing<Vec<Block>>) {
        let range = self.used..self.used + bits.len();
        let d = bits
            .iter()
            .zip(&self.choices[range.clone()])
            .map(|(&c, &r)| c ^ r)
            .collect();
        let labels = Zeroizing::new(self.labels[range.clone()].to_vec());
        self.labels[range.clone()]
            .iter_mut()
            .for_each(Zeroize::zeroize);
        self.choices[range].zeroize();
        self.used += bits.len();
        (d, labels)
    }
}

/// Replaces `v` by its unspent part (from `used` on) followed by `fresh`,
/// in a new allocation: growing `v` in place could leave a copy of secrets
/// in a freed buffer, while the old `v` is zeroized when it is dropped.
fn append<T: Copy + Zeroize>(v: &mut Zeroizing<Vec<T>>, used: usize, fresh: &[T]) {
    let mut next = Vec::with_capacity(v.len() - used + fresh.len());
    next.extend_from_slice(&v[used..]);
    next.extend_from_slice(fresh);
    *v = Zeroizing::new(next);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::MemChannel;

    #[test]
    fn derandomized_labels_are_the_labels_of_the_input_bits() {
        let delta = Delta::random();
        let (mut a, mut b) = MemChannel::pair();
        let d2 = delta.clone();
        let sender = std::thread::spawn(move || {
            let mut ot = CotSender::setup(&mut a, &d2).unwrap();
            let mut pool = SenderPool::default();
            pool.refill(&mut ot, &mut a, 200).unwrap();
            pool.refill(&mut ot, &mut a, 128).unwrap();
            pool
        });
        let mut ot = CotReceiver::setup(&mut b).unwrap();
        let mut pool = ReceiverPool::default();
        pool.refill(&mut ot, &mut b, 200).unwrap();
        pool.refill(&mut ot, &mut b, 128).unwrap();
        let mut spool = sender.join().unwrap();
        assert_eq!((pool.available(), spool.available()), (328, 328));
        for round in 0..4 {
            let bits: Vec<bool> = (0..77).map(|i| (i * 7 + round) % 3 == 0).collect();
            let (d, labels) = pool.take(&bits);
            let zero = spool.take(&d, &delta);
            for ((&c, &l), &z) in bits.iter().zip(labels.iter()).zip(zero.iter()) {
                assert_eq!(l, z ^ (Block::mask(c) & delta.block()));
            }
        }
        assert_eq!((pool.available(), spool.available()), (20, 20));
    }
}
