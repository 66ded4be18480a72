//! Leaky authenticated AND triples: WRK17 section 5.1 (protocol
//! Pi_LaAND), in its symmetric form.
//!
//! From random shared authenticated bits `x`, `y`, `r` (one set per
//! triple), the parties compute a share of `z = x & y` as follows; `P` is
//! either party, `Q` the other, `Delta_P` `P`'s global key and `H` the
//! tweakable circular-correlation-robust hash of the garbling
//! ([`crate::hash::Tccr`], each triple and key owner with its own tweak):
//!
//! 1. `Phi_P = K[y_Q] ^ M[y_P] ^ y_P * Delta_P`; then
//!    `Phi_A ^ Phi_B = y * (Delta_A ^ Delta_B)`.
//!    `P` sends `U_P = H(K[x_Q]) ^ H(K[x_Q] ^ Delta_P) ^ Phi_P` ([`UMsg`]).
//!    With `M[x_Q] = K[x_Q] ^ x_Q * Delta_P`, `Q` computes
//!    `H(M[x_Q]) ^ x_Q * U_P = H(K[x_Q]) ^ x_Q * Phi_P`: an XOR-sharing of
//!    `x_Q * Phi_P` between the two (an OT from the MAC correlation).
//! 2. Summing both such sharings, the local `x_P * Phi_P`, and the shares
//!    of `r` gives values with
//!    `S_A ^ S_B = (x & y ^ r) * (Delta_A ^ Delta_B)`. As
//!    `lsb(Delta_A ^ Delta_B) = 1` ([`super::auth_bit::GlobalKey`]), the
//!    bit `d = x & y ^ r` is `lsb(S_A) ^ lsb(S_B)`: each sends its
//!    `lsb(S_P)` ([`DMsg`]), and `z = r ^ d`, a public correction.
//! 3. Then `S_P ^ d * Delta_P` must be equal on both sides. The parties
//!    compare hashes of them with the equality check (F_EQ,
//!    [`super::commit`]): `A` commits, `B` reveals, `A` opens.
//!
//! What a cheater can do (WRK17 prove that Pi_LaAND realizes F_LaAND): a `P`
//! that sends `U_P ^ E` makes `Q`'s side differ by `x_Q * E`; the check
//! then passes iff `x_Q = 0` (or `P` guessed `Delta_Q`), and a passing
//! triple is correct. So cheating in triple `i` reveals `x_Q` of triple `i`
//! through abort-or-not, and is caught with probability 1/2: the leak that
//! [`super::bucket`] removes. A wrong `d` bit makes the two values differ by
//! `Delta_A ^ Delta_B` and is always caught. Tests check both.
//!
//! The outputs exist only after the equality check passed ([`AwaitDigest`],
//! [`AwaitOpening`]).

use super::auth_bit::{GlobalKey, Share};
use super::commit::{eq_finish, Commitment, EqCommitter, Nonce};
use super::triple::Triple;
use super::{expect_len, pack, unpack, AuthError, Check, Role};
use crate::block::{blocks_as_bytes, Block};
use crate::hash::{Domain, Tccr};
use zeroize::{Zeroize, Zeroizing};

/// Leaky triples one session can make: `first + n` must stay below it.
pub const MAX_LEAKY: u64 = 1 << 61;

/// The leaky ANDs hash in a tweak domain of their own
/// ([`Domain::LeakyAnd`]), so no tweak of theirs can meet a garbling tweak
/// under the same global key. Within it, keys of `A`'s global key use
/// tweak `i`, those of `B`'s `2^62 + i`, for the `i`-th leaky triple
/// (`i < MAX_LEAKY`).
fn tweak_base(owner: Role) -> u64 {
    match owner {
        Role::A => 0,
        Role::B => 1 << 62,
    }
}

const EQUALITY: &str = "yao 2026-12 malicious preprocessing: leaky-AND equality";

/// `U_P`, one block per triple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UMsg(pub Vec<Block>);

impl UMsg {
    /// The message as sent: `16 * n` bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        blocks_as_bytes(&self.0).to_vec()
    }

    /// Parses the message of `n` triples.
    pub fn from_bytes(bytes: &[u8], n: usize) -> Result<UMsg, AuthError> {
        expect_len("leaky-AND message U", bytes, 16 * n)?;
        Ok(UMsg(
            bytes
                .chunks_exact(16)
                .map(|c| Block::from_bytes(c.try_into().expect("16 bytes")))
                .collect(),
        ))
    }
}

/// `lsb(S_P)`, one bit per triple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DMsg(pub Vec<bool>);

impl DMsg {
    /// The message as sent: `ceil(n / 8)` bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        pack(&self.0)
    }

    /// Parses the message of `n` triples.
    pub fn from_bytes(bytes: &[u8], n: usize) -> Result<DMsg, AuthError> {
        Ok(DMsg(unpack("leaky-AND message d", bytes, n)?))
    }
}

/// Triples hashed per call of the batched TCCR kernel: the tile's buffers
/// (a few KB on the stack) stay in L1 between the hash and the XORs that
/// use it, instead of whole-batch vectors that miss every cache.
const TILE: usize = 256;

/// `Phi_P = K[y_Q] ^ M[y_P] ^ y_P * Delta_P`.
#[inline(always)]
fn phi(y: &Share, delta: Block) -> Block {
    y.key ^ y.mac ^ (delta & Block::mask(y.bit))
}

/// The tweak of triple `i` of the session under `owner`'s key.
fn tweak(owner: Role, i: u64) -> u64 {
    tweak_base(owner) + i
}

/// One party's run of a batch of leaky ANDs, after sending `U_P`.
pub struct LeakyAnd {
    role: Role,
    delta: Zeroizing<Block>,
    first: u64,
    /// The batch's shared bits `x`, `y`, `r` as triples whose `z` holds
    /// `r` until [`LeakyAndD::finish`] corrects it to `z = r ^ d` in place:
    /// the output is this vector, not a copy of it.
    triples: Zeroizing<Vec<Triple>>,
    /// The part of `S_P` known before `U_Q` arrives:
    /// `H(K[x_Q]) ^ M[r_P] ^ K[r_Q] ^ r_P * Delta_P`.
    w: Zeroizing<Vec<Block>>,
    tccr: Tccr,
}

impl LeakyAnd {
    /// Starts `x.len()` leaky ANDs from random shared bits `x`, `y`, `r` of
    /// equal length; `first` numbers the first of them within the session
    /// (both parties count alike; every batch takes fresh numbers).
    pub fn new(
        role: Role,
        own: &GlobalKey,
        mut x: Vec<Share>,
        mut y: Vec<Share>,
        mut r: Vec<Share>,
        first: u64,
    ) -> (LeakyAnd, UMsg) {
        let n = x.len();
        assert!(y.len() == n && r.len() == n, "one x, y, r per triple");
        let triples = Zeroizing::new(
            x.iter()
                .zip(&y)
                .zip(&r)
                .map(|((&x, &y), &z)| Triple { x, y, z })
                .collect(),
        );
        for v in [&mut x, &mut y, &mut r] {
            v.zeroize();
        }
        LeakyAnd::from_triples(role, own, triples, first)
    }

    /// As [`LeakyAnd::new`], with the shared bits straight from the
    /// correlated OTs of both directions (the `3n` bits of this party, its
    /// MACs on them and its keys for the peer's bits, `x` the first third,
    /// `y` the second, `r` the last), so no vector of shares is made.
    ///
    /// # Panics
    /// If the three lengths differ or are not a multiple of 3 (a caller
    /// bug).
    pub fn from_cots(
        role: Role,
        own: &GlobalKey,
        (bits, macs, keys): (&[bool], &[Block], &[Block]),
        first: u64,
    ) -> (LeakyAnd, UMsg) {
        let len = bits.len();
        assert!(
            macs.len() == len && keys.len() == len && len.is_multiple_of(3),
            "one x, y, r per triple"
        );
        let n = len / 3;
        let share = |k: usize| Share {
            bit: bits[k],
            mac: macs[k],
            key: keys[k],
        };
        let triples = Zeroizing::new(
            (0..n)
                .map(|i| Triple {
                    x: share(i),
                    y: share(n + i),
                    z: share(2 * n + i),
                })
                .collect(),
        );
        LeakyAnd::from_triples(role, own, triples, first)
    }

    /// The common start: `triples[i].z` holds `r_i`.
    fn from_triples(
        role: Role,
        own: &GlobalKey,
        triples: Zeroizing<Vec<Triple>>,
        first: u64,
    ) -> (LeakyAnd, UMsg) {
        let n = triples.len();
        assert!(
            first
                .checked_add(n as u64)
                .is_some_and(|end| end <= MAX_LEAKY),
            "leaky-AND numbering exhausted"
        );
        let delta = own.block();
        let tccr = Tccr::new();
        let mut u = Vec::with_capacity(n);
        let mut w = Zeroizing::new(Vec::with_capacity(n));
        // H(K) and H(K ^ Delta), both under triple i's tweak.
        let mut keys = Zeroizing::new([[Block::ZERO; TILE]; 2]);
        let mut hashed = Zeroizing::new([[Block::ZERO; TILE]; 2]);
        for (t, tile) in triples.chunks(TILE).enumerate() {
            let at = t * TILE;
            let len = tile.len();
            for (i, tr) in tile.iter().enumerate() {
                keys[0][i] = tr.x.key;
                keys[1][i] = tr.x.key ^ delta;
            }
            let tw = tweak(role, first + at as u64);
            let [h0, h1] = &mut *hashed;
            tccr.hash_many_in(Domain::LeakyAnd, &keys[0][..len], &mut h0[..len], tw);
            tccr.hash_many_in(Domain::LeakyAnd, &keys[1][..len], &mut h1[..len], tw);
            for (i, tr) in tile.iter().enumerate() {
                let rs = &tr.z;
                u.push(h0[i] ^ h1[i] ^ phi(&tr.y, delta));
                w.push(h0[i] ^ rs.mac ^ rs.key ^ (delta & Block::mask(rs.bit)));
            }
        }
        let run = LeakyAnd {
            role,
            delta: Zeroizing::new(delta),
            first,
            triples,
            w,
            tccr,
        };
        (run, UMsg(u))
    }

    /// The number of triples of this batch.
    pub fn len(&self) -> usize {
        self.triples.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.triples.is_empty()
    }

    /// On the peer's `U_Q`: this party's `d` bits.
    pub fn respond(self, peer: &UMsg) -> Result<(LeakyAndD, DMsg), AuthError> {
        let n = self.len();
        if peer.0.len() != n {
            return Err(AuthError::Malformed {
                what: "leaky-AND message U",
                expected: 16 * n,
                got: 16 * peer.0.len(),
            });
        }
        let delta = *self.delta;
        let mut s = Zeroizing::new(Vec::with_capacity(n));
        let mut macs = Zeroizing::new([Block::ZERO; TILE]);
        let mut hm = Zeroizing::new([Block::ZERO; TILE]);
        for (t, tile) in self.triples.chunks(TILE).enumerate() {
            let at = t * TILE;
            let len = tile.len();
            for (m, tr) in macs.iter_mut().zip(tile) {
                *m = tr.x.mac;
            }
            let tw = tweak(self.role.peer(), self.first + at as u64);
            self.tccr
                .hash_many_in(Domain::LeakyAnd, &macs[..len], &mut hm[..len], tw);
            // S_P = H(K[x_Q]) ^ H(M[x_P]) ^ x_P * (U_Q ^ Phi_P) ^ (r's part).
            for (i, tr) in tile.iter().enumerate() {
                let j = at + i;
                let v = (peer.0[j] ^ phi(&tr.y, delta)) & Block::mask(tr.x.bit);
                s.push(self.w[j] ^ hm[i] ^ v);
            }
        }
        let d = DMsg(s.iter().map(|b| b.lsb()).collect());
        let next = LeakyAndD {
            role: self.role,
            delta: Zeroizing::new(delta),
            s,
            d: d.0.clone(),
            triples: self.triples,
        };
        Ok((next, d))
    }
}

/// After sending `d_P`: waits for the peer's.
pub struct LeakyAndD {
    role: Role,
    delta: Zeroizing<Block>,
    s: Zeroizing<Vec<Block>>,
    d: Vec<bool>,
    /// `z` still holds `r`.
    triples: Zeroizing<Vec<Triple>>,
}

impl LeakyAndD {
    /// On the peer's `d_Q`: the (unchecked) triples and the value to compare.
    pub fn finish(mut self, peer: &DMsg, own: &GlobalKey) -> Result<Unchecked, AuthError> {
        let n = self.s.len();
        if peer.0.len() != n {
            return Err(AuthError::Malformed {
                what: "leaky-AND message d",
                expected: n.div_ceil(8),
                got: peer.0.len().div_ceil(8),
            });
        }
        let mut triples = std::mem::take(&mut self.triples);
        for (i, t) in triples.iter_mut().enumerate() {
            let d = self.d[i] ^ peer.0[i];
            t.z = t.z.xor_public(d, self.role, own);
            self.s[i] ^= *self.delta & Block::mask(d);
        }
        // One contiguous update: blake3 hashes its chunks in parallel.
        let digest = *blake3::Hasher::new_derive_key(EQUALITY)
            .update(blocks_as_bytes(&self.s))
            .finalize()
            .as_bytes();
        self.s.zeroize();
        Ok(Unchecked { triples, digest })
    }
}

/// Triples whose equality check has not run yet.
pub struct Unchecked {
    triples: Zeroizing<Vec<Triple>>,
    digest: [u8; 32],
}

impl Unchecked {
    /// Party `A`: commits to its digest.
    pub fn commit(self) -> (AwaitDigest, Commitment) {
        let (committer, c) = EqCommitter::new(self.digest);
        (
            AwaitDigest {
                triples: self.triples,
                committer,
            },
            c,
        )
    }

    /// Party `B`: on `A`'s commitment, reveals its digest.
    pub fn reveal(self, commitment: Commitment) -> (AwaitOpening, [u8; 32]) {
        let digest = self.digest;
        (
            AwaitOpening {
                triples: self.triples,
                commitment,
                digest,
            },
            digest,
        )
    }
}

/// Party `A`, committed: waits for `B`'s digest.
pub struct AwaitDigest {
    triples: Zeroizing<Vec<Triple>>,
    committer: EqCommitter,
}

impl AwaitDigest {
    /// Compares with `B`'s digest: the triples and the opening for `B`.
    pub fn check(self, peer: &[u8; 32]) -> Result<(Zeroizing<Vec<Triple>>, Nonce), AuthError> {
        let nonce = self.committer.check(peer, Check::LeakyAndEquality)?;
        Ok((self.triples, nonce))
    }
}

/// Party `B`, revealed: waits for `A`'s opening.
pub struct AwaitOpening {
    triples: Zeroizing<Vec<Triple>>,
    commitment: Commitment,
    digest: [u8; 32],
}

impl AwaitOpening {
    /// Checks `A`'s opening against `B`'s own digest: the triples.
    pub fn finish(self, nonce: &Nonce) -> Result<Zeroizing<Vec<Triple>>, AuthError> {
        eq_finish(
            &self.commitment,
            nonce,
            &self.digest,
            Check::LeakyAndEquality,
        )?;
        Ok(self.triples)
    }
}

#[cfg(test)]
mod tests {
    use super::super::in_process::{Pair, Tamper};
    use super::*;

    #[test]
    fn honest_leaky_triples_are_correct_with_valid_macs() {
        let mut p = Pair::new();
        for n in [1, 10, 1000] {
            let (a, b) = p.leaky_triples(n, Tamper::None).unwrap();
            p.assert_triples(&a, &b);
        }
    }

    #[test]
    fn a_flipped_u_aborts_exactly_when_the_victims_x_is_one() {
        // F_LaAND's leak: cheating in triple i either aborts (x_B[i] = 1) or
        // yields a correct triple (x_B[i] = 0); whichever happens tells the
        // cheater x_B[i], and it is caught half the time.
        let (mut aborted, mut passed) = (0, 0);
        for _ in 0..24 {
            let mut p = Pair::new();
            let i = 3;
            match p.leaky_triples(
                8,
                Tamper::FlipU {
                    by: Role::A,
                    triple: i,
                    bit: 77,
                },
            ) {
                Ok((a, b)) => {
                    assert!(!p.last_x_b[i], "passed although x_B = 1");
                    p.assert_triples(&a, &b);
                    passed += 1;
                }
                Err(e) => {
                    assert_eq!(e, AuthError::CheckFailed(Check::LeakyAndEquality));
                    assert!(p.last_x_b[i], "aborted although x_B = 0");
                    aborted += 1;
                }
            }
        }
        // Each happens with probability 1/2: 24 runs all one way is 2^-23.
        assert!(
            aborted > 0 && passed > 0,
            "{aborted} aborted, {passed} passed"
        );
    }

    #[test]
    fn cheating_by_b_is_symmetric() {
        for _ in 0..8 {
            let mut p = Pair::new();
            let r = p.leaky_triples(
                4,
                Tamper::FlipU {
                    by: Role::B,
                    triple: 0,
                    bit: 0,
                },
            );
            assert_eq!(r.is_err(), p.last_x_a[0]);
        }
    }

    #[test]
    fn a_flipped_d_bit_is_always_caught() {
        for by in [Role::A, Role::B] {
            let mut p = Pair::new();
            let err = p
                .leaky_triples(50, Tamper::FlipD { by, triple: 20 })
                .unwrap_err();
            assert_eq!(err, AuthError::CheckFailed(Check::LeakyAndEquality));
            assert!(err.to_string().contains("leaky-AND equality"), "{err}");
        }
    }

    #[test]
    fn malformed_messages_are_refused() {
        assert!(UMsg::from_bytes(&[0; 31], 2).is_err());
        assert!(DMsg::from_bytes(&[0xff], 3).is_err());
        assert_eq!(
            DMsg::from_bytes(&[0b101], 3).unwrap().0,
            [true, false, true]
        );
    }
}
