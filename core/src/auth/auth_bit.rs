//! Authenticated bits: information-theoretic MACs under a global key.
//!
//! WRK17 (section 2, "authenticated bits"; the idea is from Nielsen,
//! Nordholt, Orlandi and Burra, "A New Approach to Practical Active-Secure
//! Two-Party Computation", CRYPTO 2012): each party `P` holds a global key
//! `Delta_P`. A bit `b` that `P` holds is authenticated to its peer `Q` by
//! a MAC `M[b]` that `P` holds and a key `K[b]` that `Q` holds, with
//!
//! ```text
//! M[b] = K[b] ^ b * Delta_Q
//! ```
//!
//! To open `b`, `P` reveals `b` and `M[b]`; `Q` checks the equation. A `P`
//! that reveals `!b` must produce `M[b] ^ Delta_Q`, which means guessing
//! `Delta_Q`: probability `2^-127` (one bit of each key is fixed, see
//! [`GlobalKey`]). The relation is XOR-linear, so XORs of authenticated bits
//! cost nothing and stay authenticated.
//!
//! Correlated OT with `Delta_Q` as the correlation produces them directly:
//! `P`, the COT receiver with choice `b`, gets `t = q ^ b * Delta_Q = M[b]`,
//! and `Q`, the sender, gets `q = K[b]`. Running the COT once in each
//! direction ([`super::kos`]) gives both parties authenticated bits; pairing
//! the `i`-th of each gives a *shared* bit `v = v_A ^ v_B`, of which each
//! party holds a [`Share`].
//!
//! Batched opening ([`open`], [`verify_opening`]): instead of one MAC per
//! bit, the opener sends its bits and one hash of all their MACs; the
//! verifier recomputes the MACs from its keys and compares hashes (blake3,
//! collision resistant: a wrong bit or MAC anywhere changes the hash, except
//! with probability `2^-127` for guessing the key, plus a collision).

use super::{expect_len, pack, unpack, AuthError, Check, Role};
use crate::block::{blocks_as_bytes, Block};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const OPENING: &str = "yao 2026-12 malicious preprocessing: opened MACs";

/// A party's global MAC key `Delta`. Secret: it prints nothing and is
/// zeroized when dropped.
///
/// Its least significant bit is fixed by the role: 1 for `A`, 0 for `B`.
/// `A`'s key doubles as the garbling offset, whose colour bit must be 1
/// (point-and-permute); `lsb(Delta_A ^ Delta_B) = 1` lets the leaky-AND
/// protocol read a shared bit off two values that differ by
/// `d * (Delta_A ^ Delta_B)` ([`super::leaky_and`]). Each key thus has 127
/// secret bits.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct GlobalKey(Block);

impl GlobalKey {
    /// A fresh random key for `role`.
    pub fn random(role: Role) -> GlobalKey {
        GlobalKey::from_block(Block::random(), role)
    }

    /// Wraps a block, setting the colour bit that `role` requires.
    pub fn from_block(b: Block, role: Role) -> GlobalKey {
        match role {
            Role::A => GlobalKey(Block(b.0 | 1)),
            Role::B => GlobalKey(Block(b.0 & !1)),
        }
    }

    /// The key as a block.
    pub fn block(&self) -> Block {
        self.0
    }
}

impl std::fmt::Debug for GlobalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GlobalKey(<secret>)")
    }
}

/// One party's part of a shared authenticated bit `v = v_A ^ v_B`: its own
/// bit with its MAC under the peer's key, and its key for the peer's bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Zeroize)]
pub struct Share {
    /// This party's bit `v_P`.
    pub bit: bool,
    /// `M[v_P]`, under the peer's global key.
    pub mac: Block,
    /// `K[v_Q]`, under this party's global key.
    pub key: Block,
}

impl Share {
    /// The share of `v ^ w`: XOR is free.
    pub fn xor(self, other: Share) -> Share {
        Share {
            bit: self.bit ^ other.bit,
            mac: self.mac ^ other.mac,
            key: self.key ^ other.key,
        }
    }

    /// The share of `c & v` for a public bit `c`.
    pub fn and_public(self, c: bool) -> Share {
        let m = Block::mask(c);
        Share {
            bit: self.bit & c,
            mac: self.mac & m,
            key: self.key & m,
        }
    }

    /// The share of `v ^ c` for a public bit `c`: `A` flips its bit, `B`
    /// moves its key for `A`'s bit by `c * Delta_B` so `A`'s MAC stays valid.
    pub fn xor_public(self, c: bool, role: Role, own: &GlobalKey) -> Share {
        match role {
            Role::A => Share {
                bit: self.bit ^ c,
                ..self
            },
            Role::B => Share {
                key: self.key ^ (own.block() & Block::mask(c)),
                ..self
            },
        }
    }
}

/// Shares from the outputs of the two COTs: as receiver, this party's bits
/// and their MACs; as sender, its keys for the peer's bits. All three have
/// one entry per shared bit.
pub fn shares_from_cots(bits: &[bool], macs: &[Block], keys: &[Block]) -> Zeroizing<Vec<Share>> {
    assert!(bits.len() == macs.len() && macs.len() == keys.len());
    Zeroizing::new(
        bits.iter()
            .zip(macs)
            .zip(keys)
            .map(|((&bit, &mac), &key)| Share { bit, mac, key })
            .collect(),
    )
}

/// A batch of opened bits: the opener's bits and a hash of their MACs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opening {
    /// The opener's bits.
    pub bits: Vec<bool>,
    /// The hash of their MACs.
    pub digest: [u8; 32],
}

impl Opening {
    /// The opening as sent: packed bits, then the digest.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = pack(&self.bits);
        out.extend_from_slice(&self.digest);
        out
    }

    /// Parses the opening of `n` bits: `ceil(n / 8) + 32` bytes.
    pub fn from_bytes(bytes: &[u8], n: usize) -> Result<Opening, AuthError> {
        let len = n.div_ceil(8);
        expect_len("opening of authenticated bits", bytes, len + 32)?;
        Ok(Opening {
            bits: unpack("opened bits", &bytes[..len], n)?,
            digest: bytes[len..].try_into().expect("length checked"),
        })
    }
}

fn digest(macs: impl Iterator<Item = Block>, n: usize) -> [u8; 32] {
    // One contiguous buffer lets blake3 hash many chunks in parallel (SIMD);
    // MACs are secret until compared, so the buffer is wiped.
    let macs = Zeroizing::new(macs.collect::<Vec<Block>>());
    let mut h = blake3::Hasher::new_derive_key(OPENING);
    h.update(&(n as u64).to_le_bytes());
    h.update(blocks_as_bytes(&macs));
    *h.finalize().as_bytes()
}

/// Opens this party's bits of `shares` to the peer.
pub fn open(shares: &[Share]) -> Opening {
    Opening {
        bits: shares.iter().map(|s| s.bit).collect(),
        digest: digest(shares.iter().map(|s| s.mac), shares.len()),
    }
}

/// Checks the peer's opening of its bits of `shares` against this party's
/// keys and global key; on success, the opened values `v = v_P ^ v_Q`.
pub fn verify_opening(
    shares: &[Share],
    own: &GlobalKey,
    peer: &Opening,
) -> Result<Vec<bool>, AuthError> {
    if peer.bits.len() != shares.len() {
        return Err(AuthError::Malformed {
            what: "opening of authenticated bits",
            expected: shares.len(),
            got: peer.bits.len(),
        });
    }
    let delta = own.block();
    let want = digest(
        shares
            .iter()
            .zip(&peer.bits)
            .map(|(s, &b)| s.key ^ (delta & Block::mask(b))),
        shares.len(),
    );
    if !bool::from(want.ct_eq(&peer.digest)) {
        return Err(AuthError::CheckFailed(Check::Mac));
    }
    Ok(shares
        .iter()
        .zip(&peer.bits)
        .map(|(s, &b)| s.bit ^ b)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::in_process::Pair;
    use super::*;

    #[test]
    fn colour_bits_follow_the_role() {
        for _ in 0..20 {
            assert!(GlobalKey::random(Role::A).block().lsb());
            assert!(!GlobalKey::random(Role::B).block().lsb());
        }
        assert_eq!(
            format!("{:?}", GlobalKey::random(Role::A)),
            "GlobalKey(<secret>)"
        );
    }

    #[test]
    fn shares_carry_valid_macs_and_open_to_their_xor() {
        let mut p = Pair::new();
        let (a, b) = p.shares(1000).unwrap();
        p.assert_valid(&a, &b);
        let values = verify_opening(&a, &p.a.delta, &open(&b)).unwrap();
        let back = verify_opening(&b, &p.b.delta, &open(&a)).unwrap();
        assert_eq!(values, back);
        for i in 0..1000 {
            assert_eq!(values[i], a[i].bit ^ b[i].bit);
        }
        // Linear operations keep MACs valid.
        let (da, db) = (&p.a.delta, &p.b.delta);
        let xa: Vec<Share> = (0..999)
            .map(|i| {
                a[i].xor(a[i + 1])
                    .and_public(i % 3 == 0)
                    .xor_public(i % 2 == 0, Role::A, da)
            })
            .collect();
        let xb: Vec<Share> = (0..999)
            .map(|i| {
                b[i].xor(b[i + 1])
                    .and_public(i % 3 == 0)
                    .xor_public(i % 2 == 0, Role::B, db)
            })
            .collect();
        p.assert_valid(&xa, &xb);
        let v = verify_opening(&xa, da, &open(&xb)).unwrap();
        for i in 0..999 {
            let want = ((values[i] ^ values[i + 1]) & (i % 3 == 0)) ^ (i % 2 == 0);
            assert_eq!(v[i], want, "{i}");
        }
    }

    #[test]
    fn a_wrong_bit_or_mac_is_caught() {
        let mut p = Pair::new();
        let (a, b) = p.shares(300).unwrap();
        let mut lie = open(&b);
        lie.bits[123] ^= true;
        assert_eq!(
            verify_opening(&a, &p.a.delta, &lie),
            Err(AuthError::CheckFailed(Check::Mac))
        );
        // A MAC off by one bit, then opened honestly otherwise.
        let mut bad = b.to_vec();
        bad[7].mac.0 ^= 1 << 64;
        let err = verify_opening(&a, &p.a.delta, &open(&bad)).unwrap_err();
        assert!(err.to_string().contains("MAC check"), "{err}");
        // Flipping the bit and moving the MAC by a wrong guess of Delta_A.
        let mut guess = b.to_vec();
        guess[0].bit ^= true;
        guess[0].mac ^= Block::random();
        assert!(verify_opening(&a, &p.a.delta, &open(&guess)).is_err());
        // And a truncated opening is refused before any check.
        let wire = open(&b).to_bytes();
        assert!(Opening::from_bytes(&wire[1..], 300).is_err());
        let short = Opening::from_bytes(&open(&b[..299]).to_bytes(), 299).unwrap();
        assert!(matches!(
            verify_opening(&a, &p.a.delta, &short),
            Err(AuthError::Malformed { .. })
        ));
    }
}
