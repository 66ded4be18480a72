//! Correlated OT secure against a malicious receiver: IKNP with the KOS15
//! consistency check.
//!
//! Keller, Orsini and Scholl, "Actively Secure OT Extension with Optimal
//! Overhead" (CRYPTO 2015, KOS15), section 4: a malicious IKNP receiver may
//! use different choice bits in different columns of its matrix `u`; the
//! sender's outputs `q_i` then mix bits of the correlation `Delta` into
//! values the receiver can predict, and a later use (here: a MAC check)
//! that passes or fails tells the receiver bits of `Delta`. The check
//! forces consistency:
//!
//! 1. The receiver extends `count` OTs plus at least `KAPPA + RHO = 168`
//!    more with random choices (rounded up to a whole 128-OT tile) and sends
//!    the matrix ([`ExtendMsg`], which also carries a commitment to its
//!    share of the challenge seed).
//! 2. The sender answers with its share of the seed ([`ChallengeMsg`]).
//!    The seed hashes both shares: the receiver was bound to its matrix and
//!    its share before seeing the sender's, and the sender did not see the
//!    receiver's share, so neither chose the coefficients
//!    `chi_i in GF(2^128)` (KOS15 draws them from an ideal coin toss; this
//!    is its usual instantiation, see [`super::commit`]).
//! 3. The receiver sends `x = sum chi_i * r_i` and `t = sum chi_i * t_i`
//!    ([`CheckMsg`], with the opening of its share).
//! 4. The sender accepts iff `sum chi_i * q_i = t + x * Delta`.
//!
//! An honest receiver passes: `q_i = t_i + r_i * Delta` for every `i`.
//! A receiver whose columns disagree passes only by guessing the bits of
//! `Delta` its inconsistency touches (probability `2^-k` for `k` bits;
//! KOS15's analysis, which Roy's SoftSpokenOT paper, CRYPTO 2022, revisits
//! for its generalisation of this check); the extra 168 random choices make `x` uniform
//! and hide the real choices from the sender except with probability
//! `2^-40`, which is why they are discarded afterwards.
//!
//! The sender's output is usable only after [`SenderPending::finish`]
//! accepts; a malicious *sender* gains nothing from IKNP (its view is the
//! receiver's matrix, pseudorandom), so the receiver's output is final at
//! once.

use super::commit::{CoinCommitter, CoinOpening, CoinResponder, Commitment, Seed};
use super::field::{mul, Accumulator};
use super::{expect_len, AuthError, Check, KAPPA, RHO};
use crate::block::random_bits;
use crate::block::Block;
use crate::ot::iknp::{ChunkMsg, IknpReceiver, IknpSender};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// OTs extended beyond those asked for, with random choices: KOS15's
/// `kappa + s`.
pub const EXTRA: usize = KAPPA + RHO;

/// The OTs one extension of `count` makes: `count + EXTRA`, rounded up to a
/// multiple of 128.
pub fn extended_len(count: usize) -> usize {
    (count + EXTRA).next_multiple_of(128)
}

/// The receiver's first message: the IKNP matrix and a commitment to its
/// share of the challenge seed. `16 * extended_len(count) + 32` bytes.
#[derive(Clone, Debug)]
pub struct ExtendMsg {
    /// The IKNP matrix `u`.
    pub matrix: ChunkMsg,
    /// The commitment to the receiver's coin share.
    pub commitment: Commitment,
}

impl ExtendMsg {
    /// The message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.matrix.to_bytes();
        out.extend_from_slice(&self.commitment.0);
        out
    }

    /// Parses the message of an extension of `count` OTs.
    pub fn from_bytes(bytes: &[u8], count: usize) -> Result<ExtendMsg, AuthError> {
        let ots = extended_len(count);
        expect_len("KOS15 extension message", bytes, 16 * ots + 32)?;
        let (matrix, commitment) = bytes.split_at(16 * ots);
        let matrix = ChunkMsg::from_bytes(matrix, ots).map_err(|_| AuthError::Malformed {
            what: "KOS15 extension matrix",
            expected: 16 * ots,
            got: matrix.len(),
        })?;
        Ok(ExtendMsg {
            matrix,
            commitment: Commitment::from_bytes(commitment)?,
        })
    }
}

/// The sender's share of the challenge seed, 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChallengeMsg(pub [u8; 32]);

impl ChallengeMsg {
    /// Parses the message.
    pub fn from_bytes(bytes: &[u8]) -> Result<ChallengeMsg, AuthError> {
        expect_len("KOS15 challenge", bytes, 32)?;
        Ok(ChallengeMsg(bytes.try_into().expect("length checked")))
    }
}

/// The receiver's answer: the opening of its coin share and the check
/// values `x`, `t`. 96 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckMsg {
    /// The receiver's coin share and nonce.
    pub opening: CoinOpening,
    /// `sum chi_i * r_i`.
    pub x: Block,
    /// `sum chi_i * t_i`.
    pub t: Block,
}

impl CheckMsg {
    /// The message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.opening.to_bytes().to_vec();
        out.extend_from_slice(&self.x.to_bytes());
        out.extend_from_slice(&self.t.to_bytes());
        out
    }

    /// Parses the message.
    pub fn from_bytes(bytes: &[u8]) -> Result<CheckMsg, AuthError> {
        expect_len("KOS15 check message", bytes, 96)?;
        let block = |at: usize| Block::from_bytes(bytes[at..at + 16].try_into().expect("16"));
        Ok(CheckMsg {
            opening: CoinOpening::from_bytes(&bytes[..64])?,
            x: block(64),
            t: block(80),
        })
    }
}

/// Coefficients generated per tile of [`chi_sums`]: they stay in L1.
const CHI_TILE: usize = 512;

/// KOS15's check sums over the coefficients `chi_i` of `seed`:
/// `sum chi_i * values_i` and, given the choice bits, `sum chi_i * bits_i`.
/// The `chi_i` (public once the seed is) are made a tile at a time and the
/// products summed unreduced, so no vector of them is ever stored.
fn chi_sums(seed: &Seed, values: &[Block], bits: Option<&[bool]>) -> (Block, Block) {
    let mut stream = seed.block_stream();
    let mut chi = [Block::ZERO; CHI_TILE];
    let mut sum = Accumulator::default();
    let mut x = Block::ZERO;
    for (i, tile) in values.chunks(CHI_TILE).enumerate() {
        let chi = &mut chi[..tile.len()];
        stream.fill(chi);
        sum.add_inner_product(chi, tile);
        if let Some(bits) = bits {
            let bits = &bits[i * CHI_TILE..i * CHI_TILE + tile.len()];
            x = chi
                .iter()
                .zip(bits)
                .fold(x, |acc, (&c, &r)| acc ^ (c & Block::mask(r)));
        }
    }
    (sum.finish(), x)
}

/// The extension sender: holds the correlation `Delta` (a global key).
pub struct KosSender {
    iknp: IknpSender,
    delta: Zeroizing<Block>,
}

impl KosSender {
    /// `seeds[j]` is the base-OT output for choice bit `j` of `delta`.
    pub fn new(delta: Block, seeds: &[Block]) -> KosSender {
        KosSender {
            iknp: IknpSender::with_correlation(delta, seeds),
            delta: Zeroizing::new(delta),
        }
    }

    /// Takes the receiver's matrix for `count` OTs (a number both parties
    /// agreed on; the message was parsed for it) and answers with the
    /// sender's coin share. The outputs wait for the check.
    pub fn receive(
        &mut self,
        msg: &ExtendMsg,
        count: usize,
    ) -> Result<(ChallengeMsg, SenderPending), AuthError> {
        let ots = extended_len(count);
        expect_len("KOS15 extension matrix", msg.matrix.as_bytes(), 16 * ots)?;
        let mut q = Vec::with_capacity(ots);
        self.iknp.receive(&msg.matrix, &mut q);
        let (responder, share) = CoinResponder::new(msg.commitment);
        let pending = SenderPending {
            q: Zeroizing::new(q),
            count,
            responder,
            delta: self.delta.clone(),
        };
        Ok((ChallengeMsg(share), pending))
    }
}

/// The sender's outputs of one extension, until the check passes.
pub struct SenderPending {
    q: Zeroizing<Vec<Block>>,
    count: usize,
    responder: CoinResponder,
    delta: Zeroizing<Block>,
}

impl SenderPending {
    /// Runs KOS15's check on the receiver's answer; on success, the `count`
    /// outputs `q_i` (the extra OTs are dropped).
    pub fn finish(mut self, check: &CheckMsg) -> Result<Zeroizing<Vec<Block>>, AuthError> {
        let seed = self.responder.finish(&check.opening)?;
        let lhs = chi_sums(&seed, &self.q, None).0;
        let rhs = check.t ^ mul(check.x, *self.delta);
        if !bool::from(lhs.to_bytes().ct_eq(&rhs.to_bytes())) {
            return Err(AuthError::CheckFailed(Check::KosConsistency));
        }
        self.q.truncate(self.count);
        Ok(std::mem::take(&mut self.q))
    }
}

/// The extension receiver: holds both seeds of every base OT.
pub struct KosReceiver {
    iknp: IknpReceiver,
}

impl KosReceiver {
    /// `seeds[j]` is the base-OT sender's pair `(k_j^0, k_j^1)`.
    pub fn new(seeds: &[[Block; 2]]) -> KosReceiver {
        KosReceiver {
            iknp: IknpReceiver::new(seeds),
        }
    }

    /// Starts an extension with these choice bits: the message for the
    /// sender and the state that answers its challenge.
    pub fn extend(&mut self, choices: &[bool]) -> (ExtendMsg, ReceiverPending) {
        let ots = extended_len(choices.len());
        let mut r = Zeroizing::new(choices.to_vec());
        r.extend(random_bits(ots - choices.len()));
        let mut matrix = ChunkMsg::default();
        let mut t = Vec::with_capacity(ots);
        self.iknp.send(&r, &mut matrix, &mut t);
        let (committer, commitment) = CoinCommitter::new();
        let pending = ReceiverPending {
            t: Zeroizing::new(t),
            r,
            count: choices.len(),
            committer,
        };
        (ExtendMsg { matrix, commitment }, pending)
    }
}

/// The receiver's outputs of one extension, with what the check needs.
pub struct ReceiverPending {
    t: Zeroizing<Vec<Block>>,
    r: Zeroizing<Vec<bool>>,
    count: usize,
    committer: CoinCommitter,
}

impl ReceiverPending {
    /// Answers the sender's challenge: the check message, and the outputs
    /// `t_i = q_i ^ choices[i] * Delta` of the `count` requested OTs.
    pub fn respond(mut self, challenge: &ChallengeMsg) -> (CheckMsg, Zeroizing<Vec<Block>>) {
        let (opening, seed) = self.committer.open(&challenge.0);
        let (t, x) = chi_sums(&seed, &self.t, Some(&self.r));
        self.t.truncate(self.count);
        (CheckMsg { opening, x, t }, std::mem::take(&mut self.t))
    }
}

#[cfg(test)]
mod tests {
    use super::super::auth_bit::GlobalKey;
    use super::super::commit::Seed;
    use super::super::in_process::{base_ots, BlockPair};
    use super::super::Role;
    use super::*;

    fn pair(role: Role) -> (GlobalKey, KosSender, KosReceiver) {
        let delta = GlobalKey::random(role);
        let (chosen, pairs) = base_ots(delta.block());
        let tx = KosSender::new(delta.block(), &chosen);
        let rx = KosReceiver::new(&pairs);
        (delta, tx, rx)
    }

    /// One extension through the wire encodings; `tamper` may change the
    /// matrix bytes and the answer.
    fn run(
        tx: &mut KosSender,
        rx: &mut KosReceiver,
        choices: &[bool],
        tamper_matrix: impl FnOnce(&mut [u8]),
        tamper_check: impl FnOnce(&mut CheckMsg),
    ) -> Result<BlockPair, AuthError> {
        let n = choices.len();
        let (msg, pending) = rx.extend(choices);
        let mut bytes = msg.to_bytes();
        tamper_matrix(&mut bytes);
        let msg = ExtendMsg::from_bytes(&bytes, n)?;
        let (challenge, waiting) = tx.receive(&msg, n)?;
        let challenge = ChallengeMsg::from_bytes(&challenge.0)?;
        let (mut check, t) = pending.respond(&challenge);
        tamper_check(&mut check);
        let q = waiting.finish(&CheckMsg::from_bytes(&check.to_bytes())?)?;
        Ok((q, t))
    }

    /// Flips, in the matrix bytes, bit `i` of column `j`: the receiver used
    /// choice `!r_i` in column `j` only.
    fn flip(bytes: &mut [u8], ots: usize, j: usize, i: usize) {
        let block = j * (ots / 128) + i / 128;
        bytes[16 * block + (i % 128) / 8] ^= 1 << (i % 8);
    }

    #[test]
    fn honest_runs_give_correlated_ots_of_every_size() {
        for role in [Role::A, Role::B] {
            let (delta, mut tx, mut rx) = pair(role);
            for n in [0, 1, 87, 128, 1000, 5000] {
                let choices = random_bits(n);
                let (q, t) = run(&mut tx, &mut rx, &choices, |_| {}, |_| {}).unwrap();
                assert_eq!((q.len(), t.len()), (n, n));
                for i in 0..n {
                    assert_eq!(
                        t[i],
                        q[i] ^ (delta.block() & Block::mask(choices[i])),
                        "{i}"
                    );
                }
            }
        }
    }

    #[test]
    fn inconsistent_columns_are_caught() {
        // Role A's key has bit 0 set: flipping column 0 changes `q_i`.
        let (_, mut tx, mut rx) = pair(Role::A);
        let n = 300;
        let ots = extended_len(n);
        let err = run(
            &mut tx,
            &mut rx,
            &random_bits(n),
            |b| flip(b, ots, 0, 17),
            |_| {},
        );
        assert_eq!(
            err.err(),
            Some(AuthError::CheckFailed(Check::KosConsistency))
        );
    }

    #[test]
    fn the_selective_attack_passes_only_when_it_guesses_delta() {
        // The classic attack: use choice !r_i in columns J only and fix up `t`
        // for a guess g_j of each Delta_j, j in J. It passes iff every guess
        // is right, so k columns cost the attacker 2^-k (KOS15 Theorem 1).
        let (delta, mut tx, mut rx) = pair(Role::A);
        let n = 200;
        let ots = extended_len(n);
        let columns = [3usize, 40, 77, 127];
        for wrong in [None, Some(0), Some(2)] {
            let i = 5;
            let choices = random_bits(n);
            let (msg, pending) = rx.extend(&choices);
            let mut bytes = msg.to_bytes();
            let mut guess = Block::ZERO;
            for (k, &j) in columns.iter().enumerate() {
                flip(&mut bytes, ots, j, i);
                let bit = (delta.block().0 >> j) & 1;
                let g = if wrong == Some(k) { bit ^ 1 } else { bit };
                guess.0 |= g << j;
            }
            let msg = ExtendMsg::from_bytes(&bytes, n).unwrap();
            let (challenge, waiting) = tx.receive(&msg, n).unwrap();
            let (mut check, _) = pending.respond(&challenge);
            // The receiver knows the seed once it opens: it fixes up `t`.
            let chi = Seed::from_shares(&check.opening.share, &challenge.0).blocks(ots);
            check.t ^= mul(chi[i], guess);
            let result = waiting.finish(&check);
            match wrong {
                None => assert!(result.is_ok(), "all guesses right: undetected"),
                Some(_) => assert_eq!(
                    result.err(),
                    Some(AuthError::CheckFailed(Check::KosConsistency))
                ),
            }
        }
    }
}

#[cfg(test)]
mod tamper_tests {
    use super::super::auth_bit::GlobalKey;
    use super::super::in_process::base_ots;
    use super::super::Role;
    use super::*;

    fn one_run(tamper: impl FnOnce(&mut CheckMsg)) -> Result<(), AuthError> {
        let delta = GlobalKey::random(Role::B);
        let (chosen, pairs) = base_ots(delta.block());
        let mut tx = KosSender::new(delta.block(), &chosen);
        let mut rx = KosReceiver::new(&pairs);
        let (msg, pending) = rx.extend(&random_bits(500));
        let (challenge, waiting) = tx.receive(&msg, 500)?;
        let (mut check, _) = pending.respond(&challenge);
        tamper(&mut check);
        waiting.finish(&check).map(|_| ())
    }

    #[test]
    fn a_tampered_check_message_is_caught_and_named() {
        assert!(one_run(|_| {}).is_ok());
        let kos = Some(AuthError::CheckFailed(Check::KosConsistency));
        assert_eq!(one_run(|c| c.x.0 ^= 1 << 9).err(), kos);
        assert_eq!(one_run(|c| c.t.0 ^= 1 << 100).err(), kos);
        let err = one_run(|c| c.opening.share[0] ^= 1).unwrap_err();
        assert_eq!(err, AuthError::CheckFailed(Check::Commitment));
        assert!(err.to_string().contains("commitment"), "{err}");
        assert!(one_run(|c| c.opening.nonce.0[31] ^= 0x80).is_err());
    }

    #[test]
    fn malformed_messages_are_refused() {
        assert!(matches!(
            ExtendMsg::from_bytes(&[0; 10], 5),
            Err(AuthError::Malformed { .. })
        ));
        assert!(CheckMsg::from_bytes(&[0; 95]).is_err());
        assert!(ChallengeMsg::from_bytes(&[0; 33]).is_err());
    }
}
