//! Correlated OT secure against a malicious receiver: IKNP, or
//! SoftSpokenOT with `k` in {2, 4, 8}, under the KOS15 consistency check.
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
//!
//! # Over SoftSpokenOT (`k > 1`)
//!
//! The same check runs over SoftSpokenOT (Roy, "SoftSpokenOT", CRYPTO 2022,
//! ePrint 2022/192; [`crate::ot::softspoken`]): the matrix is `128 / k`
//! rows `u_g ^ r` instead of 128 columns, `16 / k` bytes per OT, and the
//! output COTs are the same. `k = 1` is the IKNP path above, unchanged.
//! Once per session, before any extension, the receiver sends its GGM
//! level sums with a proof that its trees are consistent ([`TreeSetupMsg`],
//! checked by [`KosSender::soft_spoken`]). Why the pair is as good as IKNP
//! under KOS15:
//!
//! 1. *Trees.* After the tree check (the one Roy's malicious small-field
//!    VOLE uses; libOTe's `SoftSpokenMalOtExt` does it with Blake2, here
//!    blake3, see [`crate::ot::softspoken::TreeCheckMsg`]) there is, for
//!    each group `g`, a set `A_g` of values of `Delta_g` that pass, and at
//!    every `Delta` in `A = prod A_g` the sender's leaves are the puncturing
//!    of one leaf vector the receiver knows (collision resistance). So at
//!    every accepted `Delta` each group's VOLE is correct,
//!    `w_g = v_g + Delta_g * u_g` with `u_g`, `v_g` known to the receiver,
//!    and what the receiver learned is that `Delta` is in `A`, at the price
//!    of an abort with probability `1 - |A| / 2^127`: a selective abort,
//!    like the CSW base OT's (SECURITY.md).
//! 2. *Reduction to a KOS15 receiver.* The sender's outputs are then
//!    `q_i = t_i + x_i (.) Delta` with `t_i` known to the receiver and
//!    `x_i` the row `i` of the per-column choices, where column `g*k + b`
//!    used `u_g ^ c_g`: exactly what a malicious IKNP receiver produces,
//!    except that `x_i` is constant on each group of `k` columns. So every
//!    deviation here is one a KOS15 receiver can make, and the check (which
//!    only sees `t_i`, `x_i`, `chi`, the answer and `Delta`) treats it the
//!    same way: passing with inconsistent rows means guessing the touched
//!    bits of `Delta`, now `k` at a time.
//! 3. *The prior leak changes no bound.* `Delta` is uniform and independent
//!    of the receiver's view except for passing the tree check. For any
//!    event of the form "`Delta` in `P`" with `P` fixed by the receiver's
//!    coins and `chi` (passing the check, and passing with a bad `P`), the
//!    probability of passing both checks with that event is
//!    `E|P intersect A| / 2^127 <= E|P| / 2^127`, the probability of the
//!    same event for the KOS15 receiver that makes the same moves against
//!    a uniform `Delta`. Learning `Delta` in `A` then `Delta` in `P` is
//!    the same kind of leak as the bit guesses KOS15 already allows: an
//!    attacker that later guesses `Delta` wins with probability at most
//!    `(guesses) / 2^127` overall, whatever the shape of the sets.
//! 4. *A malicious sender.* Its view is the tree message (halves masked by
//!    base-OT keys it did not choose), the tags `e_x` of the tree check,
//!    which the hardening keeps independent of the seeds `s'_x`, and rows
//!    `u_g ^ r` padded by the stream of its punctured leaf `s'_{Delta_g}`:
//!    one unknown leaf per group whatever base-OT choices it made. `x` in
//!    the check is hidden by the 168 extra OTs as with IKNP.
//!
//! What the preprocessing assumes of this COT (`auth_bit`, `leaky_and`)
//! is what it assumed of KOS15: outputs `q_i = t_i + r_i * Delta` for
//! choices `r_i` the receiver knows, and a leak about `Delta` of the
//! selective-abort kind. The SoftSpokenOT paper itself pairs its VOLE with
//! a universal hash per group and a final correlation-robust hash for
//! random OT; this module uses KOS15's GF(2^128) check instead because it is
//! the check the preprocessing already trusts, and the reduction above
//! lets its analysis carry over unchanged.

use super::commit::{CoinCommitter, CoinOpening, CoinResponder, Commitment, Seed};
use super::field::{mul, Accumulator};
use super::{expect_len, AuthError, Check, KAPPA, RHO};
use crate::block::random_bits;
use crate::block::Block;
use crate::ot::iknp::{self, IknpReceiver, IknpSender};
use crate::ot::softspoken::{self, SoftSpokenReceiver, SoftSpokenSender, TreeCheckMsg, TreeMsg};
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

/// Bytes of an [`ExtendMsg`] for `count` OTs with SoftSpokenOT parameter `k`
/// (`k = 1`: IKNP): the matrix, `16 / k` bytes per extended OT, and the
/// 32-byte commitment.
///
/// # Panics
/// If `k` is not supported ([`softspoken::is_supported`]; a caller bug).
pub fn extend_msg_len(count: usize, k: usize) -> usize {
    assert!(softspoken::is_supported(k), "k = {k} is not supported");
    16 * extended_len(count) / k + 32
}

/// The receiver's matrix of one extension: IKNP's 128 columns `u_j ^ r`
/// (`k = 1`), or SoftSpokenOT's `128 / k` rows `u_g ^ r`.
#[derive(Clone, Debug)]
pub enum Matrix {
    /// IKNP, `k = 1`.
    Iknp(iknp::ChunkMsg),
    /// SoftSpokenOT with `k` in {2, 4, 8}.
    SoftSpoken(softspoken::ChunkMsg),
}

impl Matrix {
    /// A zeroed matrix of `ots` OTs (a multiple of 128) with parameter `k`,
    /// for a channel to read the peer's matrix into.
    ///
    /// # Panics
    /// If `k` is not supported or `ots` is not a multiple of 128 (caller
    /// bugs).
    pub fn for_ots(ots: usize, k: usize) -> Matrix {
        if k == 1 {
            Matrix::Iknp(iknp::ChunkMsg::new(ots))
        } else {
            let mut m = softspoken::ChunkMsg::new(k);
            m.resize(ots);
            Matrix::SoftSpoken(m)
        }
    }

    /// The matrix as sent.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Matrix::Iknp(m) => m.as_bytes(),
            Matrix::SoftSpoken(m) => m.as_bytes(),
        }
    }

    /// The buffer a channel reads the matrix into.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Matrix::Iknp(m) => m.as_bytes_mut(),
            Matrix::SoftSpoken(m) => m.as_bytes_mut(),
        }
    }
}

/// The receiver's first message: the matrix and a commitment to its share
/// of the challenge seed, [`extend_msg_len`] bytes.
#[derive(Clone, Debug)]
pub struct ExtendMsg {
    /// The matrix.
    pub matrix: Matrix,
    /// The commitment to the receiver's coin share.
    pub commitment: Commitment,
}

impl ExtendMsg {
    /// The message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.matrix.as_bytes().to_vec();
        out.extend_from_slice(&self.commitment.0);
        out
    }

    /// Parses the message of an IKNP extension of `count` OTs.
    pub fn from_bytes(bytes: &[u8], count: usize) -> Result<ExtendMsg, AuthError> {
        ExtendMsg::from_bytes_for(bytes, count, 1)
    }

    /// Parses the message of an extension of `count` OTs with parameter `k`
    /// (`k = 1`: IKNP): exactly [`extend_msg_len`]`(count, k)` bytes.
    ///
    /// # Panics
    /// If `k` is not supported (a caller bug).
    pub fn from_bytes_for(bytes: &[u8], count: usize, k: usize) -> Result<ExtendMsg, AuthError> {
        let ots = extended_len(count);
        expect_len("KOS15 extension message", bytes, extend_msg_len(count, k))?;
        let (matrix, commitment) = bytes.split_at(bytes.len() - 32);
        let malformed = |_| AuthError::Malformed {
            what: "KOS15 extension matrix",
            expected: 16 * ots / k,
            got: matrix.len(),
        };
        let matrix = if k == 1 {
            Matrix::Iknp(iknp::ChunkMsg::from_bytes(matrix, ots).map_err(malformed)?)
        } else {
            Matrix::SoftSpoken(softspoken::ChunkMsg::from_bytes(matrix, ots, k).map_err(malformed)?)
        };
        Ok(ExtendMsg {
            matrix,
            commitment: Commitment::from_bytes(commitment)?,
        })
    }
}

/// What the extension receiver sends once per session when `k > 1`: its
/// GGM level sums and the proof that its trees are consistent
/// ([`softspoken::TreeCheckMsg`]). [`TreeSetupMsg::len_for`] bytes.
#[derive(Clone, Debug)]
pub struct TreeSetupMsg {
    /// The level sums masked by the base-OT keys.
    pub tree: TreeMsg,
    /// The tag sums and hash of the hardened leaves.
    pub check: TreeCheckMsg,
}

impl TreeSetupMsg {
    /// Its length in bytes for parameter `k` (`k > 1`).
    pub const fn len_for(k: usize) -> usize {
        TreeMsg::LEN + TreeCheckMsg::len_for(k)
    }

    /// The message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.tree.as_bytes().to_vec();
        out.extend_from_slice(&self.check.to_bytes());
        out
    }

    /// Parses the message for parameter `k`: exactly
    /// [`TreeSetupMsg::len_for`]`(k)` bytes.
    ///
    /// # Panics
    /// If `k` is not supported (a caller bug).
    pub fn from_bytes(bytes: &[u8], k: usize) -> Result<TreeSetupMsg, AuthError> {
        assert!(softspoken::is_supported(k), "k = {k} is not supported");
        expect_len("SoftSpokenOT tree setup", bytes, TreeSetupMsg::len_for(k))?;
        let (tree, check) = bytes.split_at(TreeMsg::LEN);
        let malformed = |_| AuthError::Malformed {
            what: "SoftSpokenOT tree setup",
            expected: TreeSetupMsg::len_for(k),
            got: bytes.len(),
        };
        Ok(TreeSetupMsg {
            tree: TreeMsg::from_bytes(tree).map_err(malformed)?,
            check: TreeCheckMsg::from_bytes(check, k).map_err(malformed)?,
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

/// The OT extension under the check.
enum SenderCore {
    Iknp(IknpSender),
    SoftSpoken(SoftSpokenSender),
}

/// The extension sender: holds the correlation `Delta` (a global key).
pub struct KosSender {
    core: SenderCore,
    delta: Zeroizing<Block>,
}

impl KosSender {
    /// IKNP (`k = 1`): `seeds[j]` is the base-OT output for choice bit `j`
    /// of `delta`.
    pub fn new(delta: Block, seeds: &[Block]) -> KosSender {
        KosSender {
            core: SenderCore::Iknp(IknpSender::with_correlation(delta, seeds)),
            delta: Zeroizing::new(delta),
        }
    }

    /// SoftSpokenOT with `k` in {2, 4, 8}: `seeds` as for
    /// [`KosSender::new`], `setup` the receiver's trees, checked here
    /// ([`softspoken::TreeCheckMsg`]); an inconsistent tree is refused with
    /// [`Check::SoftSpokenTree`].
    ///
    /// # Panics
    /// If `k` is 1 or not supported, or `setup` was parsed for another `k`
    /// (caller bugs).
    pub fn soft_spoken(
        k: usize,
        delta: Block,
        seeds: &[Block],
        setup: &TreeSetupMsg,
    ) -> Result<KosSender, AuthError> {
        assert!(k > 1, "k = 1 is IKNP: KosSender::new");
        let core = SoftSpokenSender::new_checked(k, delta, seeds, &setup.tree, &setup.check)
            .map_err(|_| AuthError::CheckFailed(Check::SoftSpokenTree))?;
        Ok(KosSender {
            core: SenderCore::SoftSpoken(core),
            delta: Zeroizing::new(delta),
        })
    }

    /// The SoftSpokenOT parameter: 1 for IKNP.
    pub fn k(&self) -> usize {
        match &self.core {
            SenderCore::Iknp(_) => 1,
            SenderCore::SoftSpoken(s) => s.k(),
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
        let k = self.k();
        expect_len(
            "KOS15 extension matrix",
            msg.matrix.as_bytes(),
            16 * ots / k,
        )?;
        let mut q = Vec::with_capacity(ots);
        match (&mut self.core, &msg.matrix) {
            (SenderCore::Iknp(s), Matrix::Iknp(m)) => s.receive(m, &mut q),
            (SenderCore::SoftSpoken(s), Matrix::SoftSpoken(m)) if m.ots() == ots => {
                s.receive(m, &mut q)
            }
            _ => {
                return Err(AuthError::Malformed {
                    what: "KOS15 extension matrix (parsed for another k)",
                    expected: 16 * ots / k,
                    got: msg.matrix.as_bytes().len(),
                })
            }
        }
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

enum ReceiverCore {
    Iknp(IknpReceiver),
    SoftSpoken(SoftSpokenReceiver),
}

/// The extension receiver: holds both seeds of every base OT.
pub struct KosReceiver {
    core: ReceiverCore,
}

impl KosReceiver {
    /// IKNP (`k = 1`): `seeds[j]` is the base-OT sender's pair
    /// `(k_j^0, k_j^1)`.
    pub fn new(seeds: &[[Block; 2]]) -> KosReceiver {
        KosReceiver {
            core: ReceiverCore::Iknp(IknpReceiver::new(seeds)),
        }
    }

    /// SoftSpokenOT with `k` in {2, 4, 8}: builds the trees and returns the
    /// message the sender needs once, before any extension.
    ///
    /// # Panics
    /// If `k` is 1 or not supported (caller bugs).
    pub fn soft_spoken(k: usize, seeds: &[[Block; 2]]) -> (KosReceiver, TreeSetupMsg) {
        assert!(k > 1, "k = 1 is IKNP: KosReceiver::new");
        let (core, tree, check) = SoftSpokenReceiver::new_checked(k, seeds);
        let rx = KosReceiver {
            core: ReceiverCore::SoftSpoken(core),
        };
        (rx, TreeSetupMsg { tree, check })
    }

    /// The SoftSpokenOT parameter: 1 for IKNP.
    pub fn k(&self) -> usize {
        match &self.core {
            ReceiverCore::Iknp(_) => 1,
            ReceiverCore::SoftSpoken(r) => r.k(),
        }
    }

    /// Starts an extension with these choice bits: the message for the
    /// sender and the state that answers its challenge.
    pub fn extend(&mut self, choices: &[bool]) -> (ExtendMsg, ReceiverPending) {
        let ots = extended_len(choices.len());
        let mut r = Zeroizing::new(choices.to_vec());
        r.extend(random_bits(ots - choices.len()));
        let mut t = Vec::with_capacity(ots);
        let matrix = match &mut self.core {
            ReceiverCore::Iknp(rx) => {
                let mut m = iknp::ChunkMsg::default();
                rx.send(&r, &mut m, &mut t);
                Matrix::Iknp(m)
            }
            ReceiverCore::SoftSpoken(rx) => {
                let mut m = softspoken::ChunkMsg::new(rx.k());
                rx.send(&r, &mut m, &mut t);
                Matrix::SoftSpoken(m)
            }
        };
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
    use crate::ot::softspoken::SUPPORTED_K;

    /// Both ends of an extension with parameter `k` (1: IKNP), the tree
    /// setup message (if any) through its wire encoding.
    fn pair(role: Role, k: usize) -> (GlobalKey, KosSender, KosReceiver) {
        let delta = GlobalKey::random(role);
        let (chosen, pairs) = base_ots(delta.block());
        if k == 1 {
            let tx = KosSender::new(delta.block(), &chosen);
            return (delta, tx, KosReceiver::new(&pairs));
        }
        let (rx, setup) = KosReceiver::soft_spoken(k, &pairs);
        let bytes = setup.to_bytes();
        assert_eq!(bytes.len(), TreeSetupMsg::len_for(k));
        let setup = TreeSetupMsg::from_bytes(&bytes, k).unwrap();
        let tx = KosSender::soft_spoken(k, delta.block(), &chosen, &setup).unwrap();
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
        assert_eq!(bytes.len(), extend_msg_len(n, rx.k()));
        tamper_matrix(&mut bytes);
        let msg = ExtendMsg::from_bytes_for(&bytes, n, tx.k())?;
        let (challenge, waiting) = tx.receive(&msg, n)?;
        let challenge = ChallengeMsg::from_bytes(&challenge.0)?;
        let (mut check, t) = pending.respond(&challenge);
        tamper_check(&mut check);
        let q = waiting.finish(&CheckMsg::from_bytes(&check.to_bytes())?)?;
        Ok((q, t))
    }

    /// Flips, in the matrix bytes, bit `i` of column `j` (IKNP) or row `j`
    /// (SoftSpokenOT, group `j`): the receiver used choice `!r_i` in that
    /// column or group only.
    fn flip(bytes: &mut [u8], ots: usize, j: usize, i: usize) {
        let block = j * (ots / 128) + i / 128;
        bytes[16 * block + (i % 128) / 8] ^= 1 << (i % 8);
    }

    #[test]
    fn honest_runs_give_correlated_ots_of_every_size_and_k() {
        for (role, k) in [Role::A, Role::B]
            .into_iter()
            .flat_map(|r| SUPPORTED_K.map(|k| (r, k)))
        {
            let (delta, mut tx, mut rx) = pair(role, k);
            for n in [0, 1, 87, 128, 1000, 5000] {
                let choices = random_bits(n);
                let (q, t) = run(&mut tx, &mut rx, &choices, |_| {}, |_| {}).unwrap();
                assert_eq!((q.len(), t.len()), (n, n));
                for i in 0..n {
                    assert_eq!(
                        t[i],
                        q[i] ^ (delta.block() & Block::mask(choices[i])),
                        "k {k}, OT {i}"
                    );
                }
            }
        }
    }

    #[test]
    fn inconsistent_columns_or_rows_are_caught() {
        // Role A's key has bit 0 set: flipping column 0 (IKNP) or the row of
        // group 0 (SoftSpokenOT, bits 0..k) changes `q_i`.
        for k in SUPPORTED_K {
            let (_, mut tx, mut rx) = pair(Role::A, k);
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
                Some(AuthError::CheckFailed(Check::KosConsistency)),
                "k {k}"
            );
        }
    }

    #[test]
    fn the_selective_attack_on_a_group_passes_only_when_it_guesses_delta() {
        // SoftSpokenOT: choice `!r_i` in group `g` touches the `k` bits of
        // `Delta_g` at once; the receiver fixes up `t` for a guess of them and
        // passes iff the guess is right (probability 2^-k for a uniform
        // `Delta_g`): the KOS15 argument with the receiver's deviations
        // constrained to be constant within groups.
        for k in [2, 4, 8] {
            let (delta, mut tx, mut rx) = pair(Role::B, k);
            let n = 200;
            let ots = extended_len(n);
            let g = 3;
            let group = ((1u128 << k) - 1) << (g * k);
            for wrong in [false, true] {
                let i = 9;
                let (msg, pending) = rx.extend(&random_bits(n));
                let mut bytes = msg.to_bytes();
                flip(&mut bytes, ots, g, i);
                let msg = ExtendMsg::from_bytes_for(&bytes, n, k).unwrap();
                let (challenge, waiting) = tx.receive(&msg, n).unwrap();
                let (mut check, _) = pending.respond(&challenge);
                let chi = Seed::from_shares(&check.opening.share, &challenge.0).blocks(ots);
                let mut guess = Block(delta.block().0 & group);
                if wrong {
                    guess.0 ^= 1 << (g * k + 1);
                }
                check.t ^= mul(chi[i], guess);
                let result = waiting.finish(&check);
                assert_eq!(result.is_ok(), !wrong, "k {k}, wrong guess {wrong}");
            }
        }
    }

    #[test]
    fn triples_over_every_k_are_correct_and_cheating_is_still_caught() {
        use super::super::in_process::{Pair, Tamper};
        for k in SUPPORTED_K {
            let mut p = Pair::with_k(k);
            for ands in [1, 300] {
                let (a, b) = p.triples(ands, Tamper::None).unwrap();
                assert_eq!((a.len(), b.len()), (ands, ands), "k {k}");
                p.assert_triples(&a, &b);
            }
            let cheat = Tamper::FlipD {
                by: Role::B,
                triple: 3,
            };
            assert!(p.triples(50, cheat).is_err(), "k {k}");
        }
    }

    #[test]
    fn a_tampered_tree_setup_is_refused() {
        for k in [2, 4, 8] {
            let delta = GlobalKey::random(Role::A);
            let (chosen, pairs) = base_ots(delta.block());
            let (_, setup) = KosReceiver::soft_spoken(k, &pairs);
            let mut bytes = setup.to_bytes();
            // Both halves of one level's sums: whichever this sender unmasks.
            bytes[0] ^= 1;
            bytes[16] ^= 1;
            let bad = TreeSetupMsg::from_bytes(&bytes, k).unwrap();
            let err = KosSender::soft_spoken(k, delta.block(), &chosen, &bad).err();
            assert_eq!(err, Some(AuthError::CheckFailed(Check::SoftSpokenTree)));
            let n = bytes.len();
            assert!(TreeSetupMsg::from_bytes(&bytes[..n - 1], k).is_err());
            assert!(TreeSetupMsg::from_bytes(&[bytes, vec![0]].concat(), k).is_err());
        }
    }

    #[test]
    fn the_selective_attack_passes_only_when_it_guesses_delta() {
        // The classic attack: use choice !r_i in columns J only and fix up `t`
        // for a guess g_j of each Delta_j, j in J. It passes iff every guess
        // is right, so k columns cost the attacker 2^-k (KOS15 Theorem 1).
        let (delta, mut tx, mut rx) = pair(Role::A, 1);
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
    use crate::ot::softspoken::SUPPORTED_K;

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
        for k in SUPPORTED_K {
            let len = extend_msg_len(300, k);
            assert!(ExtendMsg::from_bytes_for(&vec![0; len], 300, k).is_ok());
            assert!(ExtendMsg::from_bytes_for(&vec![0; len - 1], 300, k).is_err());
            assert!(ExtendMsg::from_bytes_for(&vec![0; len + 16], 300, k).is_err());
        }
        assert!(CheckMsg::from_bytes(&[0; 95]).is_err());
        assert!(ChallengeMsg::from_bytes(&[0; 33]).is_err());
    }
}
