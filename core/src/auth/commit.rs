//! Hash commitments, coin tossing and the equality check of the
//! preprocessing.
//!
//! A commitment is `blake3(nonce || value)` under a domain-separating
//! context, with a fresh 256-bit nonce: hiding and binding with blake3
//! modelled as a random oracle (the standard instantiation of F_Com in
//! WRK17's implementation and KOS15's coin toss).
//!
//! - Coin tossing ([`CoinCommitter`], [`CoinResponder`]): one party commits
//!   to its share, the other sends its own in the clear, the first opens;
//!   the seed hashes both. Neither party can bias it: the responder speaks
//!   before seeing the committed share, the committer is bound before
//!   seeing the response.
//! - Equality (F_EQ of WRK17, [`EqCommitter`], [`eq_finish`]): party `A`
//!   commits to its value, `B` sends its own in the clear, `A` compares and
//!   opens, `B` compares. Revealing `B`'s value is harmless where it is
//!   used: when both are honest the values are equal, so each learns only
//!   what it had.

use super::{expect_len, AuthError, Check};
use crate::block::{fill_random, Block};
use crate::ot::prg::Prg;
use zeroize::Zeroize;

const COMMIT: &str = "yao 2026-12 malicious preprocessing: commitment";
const SEED: &str = "yao 2026-12 malicious preprocessing: coin-toss seed";

/// A commitment as sent: 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commitment(pub [u8; 32]);

/// The opening of a commitment: its nonce (the value travels, or is known,
/// separately).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nonce(pub [u8; 32]);

impl Commitment {
    /// A commitment's length on the wire.
    pub const LEN: usize = 32;

    /// Parses a commitment.
    pub fn from_bytes(bytes: &[u8]) -> Result<Commitment, AuthError> {
        expect_len("commitment", bytes, Self::LEN)?;
        Ok(Commitment(bytes.try_into().expect("length checked")))
    }
}

impl Nonce {
    /// Parses a nonce.
    pub fn from_bytes(bytes: &[u8]) -> Result<Nonce, AuthError> {
        expect_len("commitment opening", bytes, 32)?;
        Ok(Nonce(bytes.try_into().expect("length checked")))
    }
}

fn commitment_of(nonce: &Nonce, value: &[u8]) -> Commitment {
    let mut h = blake3::Hasher::new_derive_key(COMMIT);
    h.update(&nonce.0);
    h.update(value);
    Commitment(*h.finalize().as_bytes())
}

/// Commits to `value` with a fresh nonce.
pub fn commit(value: &[u8]) -> (Commitment, Nonce) {
    let mut nonce = Nonce([0; 32]);
    fill_random(&mut nonce.0);
    (commitment_of(&nonce, value), nonce)
}

/// Checks that `nonce` opens `commitment` to `value`.
pub fn verify(commitment: &Commitment, nonce: &Nonce, value: &[u8]) -> Result<(), AuthError> {
    // Both sides are public once opened, so a plain comparison leaks nothing.
    if commitment_of(nonce, value) == *commitment {
        Ok(())
    } else {
        Err(AuthError::CheckFailed(Check::Commitment))
    }
}

/// A seed both parties agree on and neither chose.
pub struct Seed([u8; 32]);

impl Seed {
    pub(crate) fn from_shares(committed: &[u8; 32], responded: &[u8; 32]) -> Seed {
        let mut h = blake3::Hasher::new_derive_key(SEED);
        h.update(committed);
        h.update(responded);
        Seed(*h.finalize().as_bytes())
    }

    /// `n` pseudorandom blocks: AES-128-CTR keyed by the seed.
    pub fn blocks(&self, n: usize) -> Vec<Block> {
        let mut out = vec![Block::ZERO; n];
        self.block_stream().fill(&mut out);
        out
    }

    /// The blocks of [`Seed::blocks`] as a stream, a tile at a time: long
    /// checks consume them without storing them all.
    pub fn block_stream(&self) -> BlockStream {
        let key = Block::from_bytes(self.0[..16].try_into().expect("16 bytes"));
        BlockStream {
            prg: Prg::new(key),
            next: 0,
            ctr: Vec::new(),
        }
    }

    /// A uniformly random permutation of `0..n` (Fisher-Yates, with
    /// rejection sampling so no index is favoured).
    pub fn permutation(&self, n: usize) -> Vec<usize> {
        let mut words = Words::new(self);
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = words.below(i as u64 + 1) as usize;
            p.swap(i, j);
        }
        p
    }
}

impl Drop for Seed {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// The pseudorandom blocks of a seed, in order ([`Seed::block_stream`]).
pub struct BlockStream {
    prg: Prg,
    next: u128,
    ctr: Vec<Block>,
}

impl BlockStream {
    /// Fills `out` with the next `out.len()` blocks.
    pub fn fill(&mut self, out: &mut [Block]) {
        self.ctr.clear();
        let end = self.next + out.len() as u128;
        self.ctr.extend((self.next..end).map(Block));
        self.next = end;
        self.prg.fill(&self.ctr, out);
    }
}

/// A stream of pseudorandom 64-bit words from a seed.
struct Words {
    prg: Prg,
    counter: u128,
    buf: Vec<u64>,
}

impl Words {
    fn new(seed: &Seed) -> Words {
        // The second half of the seed keys this stream, apart from `blocks`.
        let key = Block::from_bytes(seed.0[16..].try_into().expect("16 bytes"));
        Words {
            prg: Prg::new(key),
            counter: 0,
            buf: Vec::new(),
        }
    }

    fn next(&mut self) -> u64 {
        if self.buf.is_empty() {
            let ctr: Vec<Block> = (self.counter..self.counter + 64).map(Block).collect();
            self.counter += 64;
            let mut out = vec![Block::ZERO; 64];
            self.prg.fill(&ctr, &mut out);
            self.buf = out
                .iter()
                .flat_map(|b| [b.0 as u64, (b.0 >> 64) as u64])
                .collect();
        }
        self.buf.pop().expect("refilled above")
    }

    /// A uniform integer in `0..bound` (`bound >= 1`).
    fn below(&mut self, bound: u64) -> u64 {
        // Reject the top `2^64 mod bound` values so every residue is equally
        // likely.
        let zone = u64::MAX - (u64::MAX % bound + 1) % bound;
        loop {
            let w = self.next();
            if w <= zone {
                return w % bound;
            }
        }
    }
}

/// The coin-toss party that commits first (and opens last).
pub struct CoinCommitter {
    share: [u8; 32],
    nonce: Nonce,
}

impl CoinCommitter {
    /// Draws a share and commits to it.
    pub fn new() -> (CoinCommitter, Commitment) {
        let mut share = [0u8; 32];
        fill_random(&mut share);
        let (c, nonce) = commit(&share);
        (CoinCommitter { share, nonce }, c)
    }

    /// Given the responder's share: the opening to send (share, nonce) and
    /// the seed.
    pub fn open(self, response: &[u8; 32]) -> (CoinOpening, Seed) {
        let seed = Seed::from_shares(&self.share, response);
        (
            CoinOpening {
                share: self.share,
                nonce: self.nonce,
            },
            seed,
        )
    }
}

/// The committer's opening: its share and the nonce, 64 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoinOpening {
    /// The committed share.
    pub share: [u8; 32],
    /// The commitment's nonce.
    pub nonce: Nonce,
}

impl CoinOpening {
    /// The opening as sent.
    pub fn to_bytes(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.share);
        out[32..].copy_from_slice(&self.nonce.0);
        out
    }

    /// Parses an opening.
    pub fn from_bytes(bytes: &[u8]) -> Result<CoinOpening, AuthError> {
        expect_len("coin-toss opening", bytes, 64)?;
        Ok(CoinOpening {
            share: bytes[..32].try_into().expect("length checked"),
            nonce: Nonce(bytes[32..].try_into().expect("length checked")),
        })
    }
}

/// The coin-toss party that answers a commitment with its share.
pub struct CoinResponder {
    commitment: Commitment,
    share: [u8; 32],
}

impl CoinResponder {
    /// On the peer's commitment: a fresh share to send in the clear.
    pub fn new(commitment: Commitment) -> (CoinResponder, [u8; 32]) {
        let mut share = [0u8; 32];
        fill_random(&mut share);
        (CoinResponder { commitment, share }, share)
    }

    /// Checks the opening and derives the seed.
    pub fn finish(self, opening: &CoinOpening) -> Result<Seed, AuthError> {
        verify(&self.commitment, &opening.nonce, &opening.share)?;
        Ok(Seed::from_shares(&opening.share, &self.share))
    }
}

/// Party `A`'s side of the equality check: committed to its digest.
pub struct EqCommitter {
    digest: [u8; 32],
    nonce: Nonce,
}

impl EqCommitter {
    /// Commits to `digest` (a hash of the values to compare).
    pub fn new(digest: [u8; 32]) -> (EqCommitter, Commitment) {
        let (c, nonce) = commit(&digest);
        (EqCommitter { digest, nonce }, c)
    }

    /// Compares with the peer's digest; if equal, the nonce that opens the
    /// commitment.
    pub fn check(self, peer: &[u8; 32], check: Check) -> Result<Nonce, AuthError> {
        if *peer == self.digest {
            Ok(self.nonce)
        } else {
            Err(AuthError::CheckFailed(check))
        }
    }
}

/// Party `B`'s side of the equality check: checks `A`'s opening against its
/// own digest, which it sent in the clear.
pub fn eq_finish(
    commitment: &Commitment,
    nonce: &Nonce,
    own: &[u8; 32],
    check: Check,
) -> Result<(), AuthError> {
    verify(commitment, nonce, own).map_err(|_| AuthError::CheckFailed(check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitments_open_only_to_their_value() {
        let (c, n) = commit(b"value");
        assert!(verify(&c, &n, b"value").is_ok());
        assert_eq!(
            verify(&c, &n, b"other"),
            Err(AuthError::CheckFailed(Check::Commitment))
        );
        let mut bad = n;
        bad.0[0] ^= 1;
        assert!(verify(&c, &bad, b"value").is_err());
    }

    #[test]
    fn coin_toss_agrees_and_catches_a_changed_share() {
        let (committer, c) = CoinCommitter::new();
        let (responder, share) = CoinResponder::new(c);
        let (opening, seed_a) = committer.open(&share);
        let wire = CoinOpening::from_bytes(&opening.to_bytes()).unwrap();
        let seed_b = responder.finish(&wire).unwrap();
        assert_eq!(seed_a.blocks(5), seed_b.blocks(5));
        // The stream gives the same blocks, whatever the tiles.
        let mut tiles = vec![Block::ZERO; 5];
        let mut stream = seed_a.block_stream();
        stream.fill(&mut tiles[..2]);
        stream.fill(&mut tiles[2..]);
        assert_eq!(tiles, seed_b.blocks(5));

        let (committer, c) = CoinCommitter::new();
        let (responder, share) = CoinResponder::new(c);
        let (mut opening, _) = committer.open(&share);
        opening.share[3] ^= 0x10;
        assert_eq!(
            responder.finish(&opening).err(),
            Some(AuthError::CheckFailed(Check::Commitment))
        );
    }

    #[test]
    fn permutations_are_permutations() {
        let (committer, _) = CoinCommitter::new();
        let (_, seed) = committer.open(&[7; 32]);
        for n in [0, 1, 2, 10, 1000] {
            let mut p = seed.permutation(n);
            p.sort_unstable();
            assert_eq!(p, (0..n).collect::<Vec<_>>());
        }
        // Not the identity (probability 1/1000! of a false failure).
        assert_ne!(seed.permutation(1000), (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn equality_check_passes_iff_equal() {
        let (a, c) = EqCommitter::new([1; 32]);
        let nonce = a.check(&[1; 32], Check::LeakyAndEquality).unwrap();
        assert!(eq_finish(&c, &nonce, &[1; 32], Check::LeakyAndEquality).is_ok());

        let (a, _) = EqCommitter::new([1; 32]);
        assert_eq!(
            a.check(&[2; 32], Check::LeakyAndEquality).err(),
            Some(AuthError::CheckFailed(Check::LeakyAndEquality))
        );
        // A committer that opens after a mismatch anyway is caught by B.
        let (a, c) = EqCommitter::new([1; 32]);
        assert!(eq_finish(&c, &a.nonce, &[2; 32], Check::LeakyAndEquality).is_err());
    }
}
