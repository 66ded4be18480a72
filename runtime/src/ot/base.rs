//! Base OT: the Masny-Rindal endemic OT on the Ristretto group.
//!
//! Protocol (Masny and Rindal, "Endemic Oblivious Transfer", CCS 2019,
//! <https://eprint.iacr.org/2019/706>, the OT from a key agreement with
//! uniformly random messages, instantiated with Diffie-Hellman on Ristretto as
//! in libOTe). `G` is the Ristretto base point and `H_i` a hash onto the group
//! (blake3 into `RistrettoPoint::from_uniform_bytes`, an Elligator map):
//!
//! 1. The receiver, for each OT `i` with choice `c`, picks a secret scalar `b`,
//!    a uniformly random point `R`, and sends `(r_0, r_1)` where
//!    `r_{1-c} = R` and `r_c = b*G - H_i(R)`. Both points are uniform, so the
//!    pair hides `c` perfectly.
//! 2. The sender picks one secret scalar `a` for the batch and sends `A = a*G`.
//!    For `j` in `{0, 1}` it sets `B_j = r_j + H_i(r_{1-j})` and outputs
//!    `m_j = KDF(sid, i, A, a*B_j)`.
//! 3. The receiver outputs `m_c = KDF(sid, i, A, b*A)`; `B_c = b*G`.
//!
//! Why this protocol and not the "simplest OT" of Chou and Orlandi (2015):
//! Genç, Iovino and Rial (2017, <https://eprint.iacr.org/2017/370>) showed that
//! its UC proof is flawed (the simulator cannot extract a malicious receiver's
//! choice, and a receiver may pick its point `B` as a function of `A` so that
//! the sender's two keys are related, e.g. `B = A/2` makes the two
//! Diffie-Hellman values negatives of each other). Here the receiver never
//! chooses the points the sender exponentiates: `B_0` and `B_1` each contain a
//! random-oracle output `H_i` of the *other* message, so the receiver can know
//! the discrete logarithm of at most one of them, and the simulator extracts
//! the choice from which `H_i` query the receiver made; the receiver's message
//! is also sent before it sees `A`. Masny-Rindal prove UC security under CDH in
//! the random-oracle model.
//!
//! Hygiene: every point from the peer must be a canonical Ristretto encoding
//! and not the identity; a derived `B_j` that is the identity is refused (an
//! honest receiver produces one with negligible probability). The session id
//! `sid` is the blake3 hash of the receiver's whole message, and every hash has
//! its own blake3 `derive_key` context, so keys are bound to this session, to
//! the OT index and to `A`. Secret scalars are zeroized when dropped.

use super::OtError;
use crate::block::{fill_random, Block};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use subtle::{Choice, ConditionallySelectable};
use zeroize::{Zeroize, Zeroizing};

/// Bytes of a compressed Ristretto point.
const POINT: usize = 32;

const HASH_TO_GROUP: &str = "yao 2026-11 base OT (Masny-Rindal) hash to group";
const SESSION: &str = "yao 2026-11 base OT (Masny-Rindal) session id";
const KDF: &str = "yao 2026-11 base OT (Masny-Rindal) key derivation";

/// The receiver's message: two points per OT.
#[derive(Clone, Debug)]
pub struct ReceiverMsg {
    bytes: Vec<u8>,
    points: Vec<[RistrettoPoint; 2]>,
}

impl ReceiverMsg {
    /// The number of OTs this message is for.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }

    /// Parses a message for `count` OTs: exactly `64 * count` bytes of
    /// canonical, non-identity Ristretto points.
    pub fn from_bytes(bytes: &[u8], count: usize) -> Result<ReceiverMsg, OtError> {
        let expected = count * 2 * POINT;
        if bytes.len() != expected {
            return Err(OtError::Malformed { what: "base-OT receiver message", expected, got: bytes.len() });
        }
        let points = bytes
            .chunks_exact(2 * POINT)
            .enumerate()
            .map(|(i, pair)| {
                Ok([
                    decode(&pair[..POINT], "base-OT receiver point r0", i)?,
                    decode(&pair[POINT..], "base-OT receiver point r1", i)?,
                ])
            })
            .collect::<Result<_, OtError>>()?;
        Ok(ReceiverMsg { bytes: bytes.to_vec(), points })
    }

    fn encoding(&self, i: usize, j: usize) -> &[u8] {
        let at = (2 * i + j) * POINT;
        &self.bytes[at..at + POINT]
    }

    fn session_id(&self) -> [u8; 32] {
        blake3::derive_key(SESSION, &self.bytes)
    }
}

/// The sender's message: its public key `A`.
#[derive(Clone, Debug)]
pub struct SenderMsg {
    point: RistrettoPoint,
    bytes: [u8; POINT],
}

impl SenderMsg {
    /// Length of the encoding.
    pub const LEN: usize = POINT;

    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes.to_vec()
    }

    /// Parses exactly 32 bytes: a canonical, non-identity Ristretto point.
    pub fn from_bytes(bytes: &[u8]) -> Result<SenderMsg, OtError> {
        if bytes.len() != POINT {
            return Err(OtError::Malformed {
                what: "base-OT sender message",
                expected: POINT,
                got: bytes.len(),
            });
        }
        let point = decode(bytes, "base-OT sender key A", 0)?;
        let mut enc = [0u8; POINT];
        enc.copy_from_slice(bytes);
        Ok(SenderMsg { point, bytes: enc })
    }
}

/// The receiver between its message and the sender's answer.
pub struct BaseReceiver {
    secrets: Vec<Zeroizing<Scalar>>,
    sid: [u8; 32],
}

impl BaseReceiver {
    /// Starts one base OT per choice bit.
    pub fn new(choices: &[bool]) -> (BaseReceiver, ReceiverMsg) {
        let mut bytes = Vec::with_capacity(choices.len() * 2 * POINT);
        let mut points = Vec::with_capacity(choices.len());
        let mut secrets = Vec::with_capacity(choices.len());
        for (i, &c) in choices.iter().enumerate() {
            let b = random_scalar();
            let big_b = RistrettoPoint::mul_base(&b);
            let other = random_point();
            let other_enc = other.compress().to_bytes();
            let own = big_b - hash_to_group(i, &other_enc);
            let own_enc = own.compress().to_bytes();
            // Place the two points without branching on the choice.
            let c = Choice::from(c as u8);
            let r0 = RistrettoPoint::conditional_select(&own, &other, c);
            let r1 = RistrettoPoint::conditional_select(&other, &own, c);
            let e0 = <[u8; POINT]>::conditional_select(&own_enc, &other_enc, c);
            let e1 = <[u8; POINT]>::conditional_select(&other_enc, &own_enc, c);
            bytes.extend_from_slice(&e0);
            bytes.extend_from_slice(&e1);
            points.push([r0, r1]);
            secrets.push(b);
        }
        let msg = ReceiverMsg { bytes, points };
        let sid = msg.session_id();
        (BaseReceiver { secrets, sid }, msg)
    }

    /// The chosen key of each OT, from the sender's answer.
    pub fn finish(self, msg: &SenderMsg) -> Vec<Block> {
        let table = RistrettoBasepointTable::create(&msg.point);
        self.secrets
            .iter()
            .enumerate()
            .map(|(i, b)| kdf(&self.sid, i, &msg.bytes, &(&table * &**b)))
            .collect()
    }
}

/// The sender's whole part: answers the receiver's message and returns both
/// keys `[m_0, m_1]` of every OT.
pub fn respond(msg: &ReceiverMsg) -> Result<(SenderMsg, Vec<[Block; 2]>), OtError> {
    let a = random_scalar();
    let point = RistrettoPoint::mul_base(&a);
    let reply = SenderMsg { point, bytes: point.compress().to_bytes() };
    let sid = msg.session_id();
    let mut keys = Vec::with_capacity(msg.len());
    for (i, [r0, r1]) in msg.points.iter().enumerate() {
        let b0 = r0 + hash_to_group(i, msg.encoding(i, 1));
        let b1 = r1 + hash_to_group(i, msg.encoding(i, 0));
        if b0.is_identity() || b1.is_identity() {
            return Err(OtError::IdentityPoint { what: "base-OT derived point B_j", index: i });
        }
        keys.push([kdf(&sid, i, &reply.bytes, &(*a * b0)), kdf(&sid, i, &reply.bytes, &(*a * b1))]);
    }
    Ok((reply, keys))
}

fn decode(bytes: &[u8], what: &'static str, index: usize) -> Result<RistrettoPoint, OtError> {
    let point = CompressedRistretto::from_slice(bytes)
        .ok()
        .and_then(|c| c.decompress())
        .ok_or(OtError::InvalidPoint { what, index })?;
    if point.is_identity() {
        return Err(OtError::IdentityPoint { what, index });
    }
    Ok(point)
}

fn random_scalar() -> Zeroizing<Scalar> {
    let mut wide = Zeroizing::new([0u8; 64]);
    fill_random(&mut wide[..]);
    Zeroizing::new(Scalar::from_bytes_mod_order_wide(&wide))
}

/// A uniformly random group element (its discrete logarithm is unknown to
/// everyone, which is what the endemic receiver needs for `r_{1-c}`).
fn random_point() -> RistrettoPoint {
    let mut wide = [0u8; 64];
    fill_random(&mut wide);
    let p = RistrettoPoint::from_uniform_bytes(&wide);
    wide.zeroize();
    p
}

fn hash_to_group(i: usize, encoding: &[u8]) -> RistrettoPoint {
    let mut h = blake3::Hasher::new_derive_key(HASH_TO_GROUP);
    h.update(&(i as u64).to_le_bytes());
    h.update(encoding);
    let mut wide = [0u8; 64];
    h.finalize_xof().fill(&mut wide);
    RistrettoPoint::from_uniform_bytes(&wide)
}

fn kdf(sid: &[u8; 32], i: usize, a_enc: &[u8; POINT], shared: &RistrettoPoint) -> Block {
    let mut shared_enc = shared.compress().to_bytes();
    let mut h = blake3::Hasher::new_derive_key(KDF);
    h.update(sid);
    h.update(&(i as u64).to_le_bytes());
    h.update(a_enc);
    h.update(&shared_enc);
    shared_enc.zeroize();
    let mut out = [0u8; 16];
    h.finalize_xof().fill(&mut out);
    let key = Block::from_bytes(out);
    out.zeroize();
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_gets_the_chosen_key_only() {
        let choices: Vec<bool> = (0..128).map(|i| i % 3 == 0).collect();
        let (rx, msg) = BaseReceiver::new(&choices);
        let msg = ReceiverMsg::from_bytes(&msg.to_bytes(), 128).unwrap();
        let (reply, keys) = respond(&msg).unwrap();
        let reply = SenderMsg::from_bytes(&reply.to_bytes()).unwrap();
        let got = rx.finish(&reply);
        for i in 0..128 {
            let c = choices[i] as usize;
            assert_eq!(got[i], keys[i][c]);
            assert_ne!(got[i], keys[i][1 - c]);
        }
    }

    #[test]
    fn derived_identity_is_refused() {
        // A cheating receiver sets r_0 = -H_0(r_1), so that B_0 is the identity
        // and m_0 would be public.
        let r1 = random_point();
        let r1_enc = r1.compress().to_bytes();
        let r0 = -hash_to_group(0, &r1_enc);
        let mut bytes = r0.compress().to_bytes().to_vec();
        bytes.extend_from_slice(&r1_enc);
        let msg = ReceiverMsg::from_bytes(&bytes, 1).unwrap();
        assert!(matches!(respond(&msg), Err(OtError::IdentityPoint { index: 0, .. })));
    }

    #[test]
    fn lengths_are_checked() {
        assert!(matches!(
            ReceiverMsg::from_bytes(&[0; 63], 1),
            Err(OtError::Malformed { expected: 64, got: 63, .. })
        ));
        assert!(matches!(
            SenderMsg::from_bytes(&[0; 33]),
            Err(OtError::Malformed { expected: 32, got: 33, .. })
        ));
    }
}
