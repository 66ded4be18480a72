//! Base OT: the Masny-Rindal endemic OT on the Ristretto group.
//!
//! Protocol (Masny and Rindal, "Endemic Oblivious Transfer", CCS 2019,
//! <https://eprint.iacr.org/2019/706>, the OT from a key agreement with
//! uniformly random messages, instantiated with Diffie-Hellman on Ristretto as
//! in libOTe). `G` is the Ristretto base point and `H_i` a hash onto the group
//! (blake3 into `RistrettoPoint::from_uniform_bytes`, two Elligator maps,
//! doubled; see `hash_to_group`):
//!
//! 1. The receiver, for each OT `i` with choice `c`, picks a secret scalar `b`,
//!    a uniformly random point `R`, and sends `(r_0, r_1)` where
//!    `r_{1-c} = R` and `r_c = b*G - H_i(R)`. Both points are uniform, so the
//!    pair hides `c` perfectly.
//! 2. The sender picks one secret scalar `a` for the batch (as libOTe does; the
//!    KDF separates the OTs by index) and, once it holds the receiver's whole
//!    message, sends `A = a*G`.
//!    For `j` in `{0, 1}` it sets `B_j = r_j + H_i(r_{1-j})` and outputs
//!    `m_j = KDF(sid, i, A, a*B_j)`.
//! 3. The receiver outputs `m_c = KDF(sid, i, A, b*A)`; `B_c = b*G`.
//!
//! Why this protocol and not the "simplest OT" of Chou and Orlandi (2015):
//! Genç, Iovino and Rial (2017, <https://eprint.iacr.org/2017/370>) showed that
//! its UC proof is flawed: the simulator cannot extract a malicious receiver's
//! choice, because the receiver's single point `B` commits to nothing, and
//! the receiver may choose `B` as a function of `A` so that the sender's two
//! keys are related (`B = A/2` makes the two Diffie-Hellman values negatives
//! of each other, equal under an x-only encoding). Hauck and Loss (2017)
//! patch it with extra checks; we use Masny-Rindal instead, where the receiver
//! never chooses the points the sender exponentiates: `B_0` and `B_1` each
//! contain a random-oracle output `H_i` of the *other* point, so the receiver
//! can know the discrete logarithm of at most one of them, and the simulator
//! extracts the choice from which `H_i` query the receiver made. Masny and
//! Rindal prove this UC-secure in the random-oracle model from a key agreement
//! with uniformly random messages (Diffie-Hellman under CDH, messages encoded
//! uniformly, here by Ristretto's Elligator map). The receiver's message is
//! also sent before it sees `A`.
//!
//! Hygiene: every point from the peer must be a canonical Ristretto encoding
//! and not the identity; a derived `B_j` that is the identity is refused (an
//! honest receiver produces one with negligible probability). The session id
//! `sid` is the blake3 hash of the receiver's whole message, and every hash has
//! its own blake3 `derive_key` context, so keys are bound to this session, to
//! the OT index and to `A`. Secret scalars are zeroized when dropped.

use super::ristretto::{decode, half, par_fill, receiver_keys, sender_keys, POINT};
use super::OtError;
use crate::block::{fill_random, Block};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};
use subtle::{Choice, ConditionallySelectable};
use zeroize::{Zeroize, Zeroizing};

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
            return Err(OtError::Malformed {
                what: "base-OT receiver message",
                expected,
                got: bytes.len(),
            });
        }
        let mut points = vec![[RistrettoPoint::identity(); 2]; count];
        par_fill(&mut points, |range, out| {
            for (i, p) in range.zip(out) {
                let pair = &bytes[2 * POINT * i..2 * POINT * (i + 1)];
                *p = [
                    decode(&pair[..POINT], "base-OT receiver point r0", i)?,
                    decode(&pair[POINT..], "base-OT receiver point r1", i)?,
                ];
            }
            Ok::<_, OtError>(())
        })?;
        Ok(ReceiverMsg {
            bytes: bytes.to_vec(),
            points,
        })
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
    /// `b / 2` for each OT: the key is compressed as `2 * (b/2) * A`, which
    /// lets a whole batch share one field inversion.
    halves: Vec<Zeroizing<Scalar>>,
    sid: [u8; 32],
}

impl BaseReceiver {
    /// Starts one base OT per choice bit.
    pub fn new(choices: &[bool]) -> (BaseReceiver, ReceiverMsg) {
        let half = half();
        let mut halves: Vec<Zeroizing<Scalar>> = (0..choices.len())
            .map(|_| Zeroizing::new(Scalar::ZERO))
            .collect();
        let parts = par_fill(&mut halves, |range, halves| {
            // 64 bytes for the scalar and 64 for the random point, per OT.
            let mut seed = Zeroizing::new(vec![0u8; 128 * range.len()]);
            fill_random(&mut seed);
            let mut others_half = Vec::with_capacity(range.len());
            for (s, h) in seed.chunks_exact(128).zip(halves.iter_mut()) {
                let b = Zeroizing::new(Scalar::from_bytes_mod_order_wide(
                    s[..64].try_into().expect("64 bytes"),
                ));
                **h = *b * half;
                others_half.push(RistrettoPoint::from_uniform_bytes(
                    s[64..].try_into().expect("64 bytes"),
                ));
            }
            // Points are made as halves and compressed with
            // `double_and_compress_batch`, which shares one field inversion
            // across the batch: `R = 2 * R'` is as uniform as `R'`, and
            // `r_c = b*G - H(R) = 2 * ((b/2)*G - H'(R))` (see `hash_to_group`).
            let others_enc = RistrettoPoint::double_and_compress_batch(&others_half);
            let mut owns_half: Vec<RistrettoPoint> = range
                .clone()
                .zip(halves.iter())
                .zip(&others_enc)
                .map(|((i, h), enc)| RistrettoPoint::mul_base(h) - hash_half(i, enc.as_bytes()))
                .collect();
            let owns_enc = RistrettoPoint::double_and_compress_batch(&owns_half);
            let mut bytes = Vec::with_capacity(2 * POINT * range.len());
            let mut points = Vec::with_capacity(range.len());
            for (k, i) in range.clone().enumerate() {
                let other = others_half[k] + others_half[k];
                let own = owns_half[k] + owns_half[k];
                let (other_enc, own_enc) = (others_enc[k].to_bytes(), owns_enc[k].to_bytes());
                // Place the two points without branching on the choice.
                let c = Choice::from(choices[i] as u8);
                let r0 = RistrettoPoint::conditional_select(&own, &other, c);
                let r1 = RistrettoPoint::conditional_select(&other, &own, c);
                bytes
                    .extend_from_slice(&<[u8; POINT]>::conditional_select(&own_enc, &other_enc, c));
                bytes
                    .extend_from_slice(&<[u8; POINT]>::conditional_select(&other_enc, &own_enc, c));
                points.push([r0, r1]);
            }
            // Which point is whose is the choice: wipe the unordered copies.
            owns_half.zeroize();
            Ok::<_, OtError>((bytes, points))
        })
        .expect("generating the receiver message cannot fail");
        let mut msg = ReceiverMsg {
            bytes: Vec::with_capacity(2 * POINT * choices.len()),
            points: Vec::with_capacity(choices.len()),
        };
        for (b, p) in parts {
            msg.bytes.extend(b);
            msg.points.extend(p);
        }
        let sid = msg.session_id();
        (BaseReceiver { halves, sid }, msg)
    }

    /// The chosen key of each OT, from the sender's answer.
    pub fn finish(self, msg: &SenderMsg) -> Vec<Block> {
        receiver_keys(&msg.point, &self.halves, |i, shared| {
            kdf(&self.sid, i, &msg.bytes, shared)
        })
    }
}

/// The sender after it has answered: it sends `A` as soon as it has the
/// receiver's whole message, then derives its keys while `A` travels.
pub struct BaseSender {
    /// `a / 2`, for the same batched compression as the receiver's.
    half: Zeroizing<Scalar>,
    reply: SenderMsg,
    msg: ReceiverMsg,
}

/// The sender's answer to the receiver's message: `A`, and the state that
/// derives both keys of every OT.
pub fn respond(msg: ReceiverMsg) -> (SenderMsg, BaseSender) {
    let mut wide = Zeroizing::new([0u8; 64]);
    fill_random(&mut wide[..]);
    let a = Zeroizing::new(Scalar::from_bytes_mod_order_wide(&wide));
    let point = RistrettoPoint::mul_base(&a);
    let reply = SenderMsg {
        point,
        bytes: point.compress().to_bytes(),
    };
    let half = Zeroizing::new(*a * half());
    (reply.clone(), BaseSender { half, reply, msg })
}

impl BaseSender {
    /// Both keys `[m_0, m_1]` of every OT.
    pub fn keys(self) -> Result<Vec<[Block; 2]>, OtError> {
        let sid = self.msg.session_id();
        let msg = &self.msg;
        let keys = sender_keys(
            msg.len(),
            |i| {
                let [r0, r1] = &msg.points[i];
                let b0 = r0 + hash_to_group(i, msg.encoding(i, 1));
                let b1 = r1 + hash_to_group(i, msg.encoding(i, 0));
                if b0.is_identity() || b1.is_identity() {
                    return Err(OtError::IdentityPoint {
                        what: "base-OT derived point B_j",
                        index: i,
                    });
                }
                Ok([*self.half * b0, *self.half * b1])
            },
            |i, shared| kdf(&sid, i, &self.reply.bytes, shared),
        )?;
        Ok(keys)
    }
}

/// `H_i(P) = 2 * H'_i(P)` with `H'_i` = blake3 into `from_uniform_bytes`.
/// Doubling is a bijection of the prime-order group, so `H_i` is as uniform
/// as `H'_i`; the factor 2 lets the receiver compress its points in a batch.
fn hash_to_group(i: usize, encoding: &[u8]) -> RistrettoPoint {
    let h = hash_half(i, encoding);
    h + h
}

fn hash_half(i: usize, encoding: &[u8]) -> RistrettoPoint {
    let mut h = blake3::Hasher::new_derive_key(HASH_TO_GROUP);
    h.update(&(i as u64).to_le_bytes());
    h.update(encoding);
    let mut wide = [0u8; 64];
    h.finalize_xof().fill(&mut wide);
    RistrettoPoint::from_uniform_bytes(&wide)
}

fn kdf(sid: &[u8; 32], i: usize, a_enc: &[u8; POINT], shared_enc: &[u8; POINT]) -> Block {
    let mut h = blake3::Hasher::new_derive_key(KDF);
    h.update(sid);
    h.update(&(i as u64).to_le_bytes());
    h.update(a_enc);
    h.update(shared_enc);
    let mut out = [0u8; 16];
    h.finalize_xof().fill(&mut out);
    let key = Block::from_bytes(out);
    out.zeroize();
    h.zeroize();
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_gets_the_chosen_key_only() {
        for n in [1, 128, 130] {
            chosen_key_only(n);
        }
    }

    fn chosen_key_only(n: usize) {
        let choices: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
        let (rx, msg) = BaseReceiver::new(&choices);
        let msg = ReceiverMsg::from_bytes(&msg.to_bytes(), n).unwrap();
        let (reply, sender) = respond(msg);
        let keys = sender.keys().unwrap();
        let reply = SenderMsg::from_bytes(&reply.to_bytes()).unwrap();
        let got = rx.finish(&reply);
        assert_eq!(got.len(), n);
        for i in 0..n {
            let c = choices[i] as usize;
            assert_eq!(got[i], keys[i][c]);
            assert_ne!(got[i], keys[i][1 - c]);
        }
    }

    #[test]
    fn derived_identity_is_refused() {
        // A cheating receiver sets r_0 = -H_0(r_1), so that B_0 is the identity
        // and m_0 would be public.
        let r1 = RistrettoPoint::mul_base(&Scalar::from(7u64));
        let r1_enc = r1.compress().to_bytes();
        let r0 = -hash_to_group(0, &r1_enc);
        let mut bytes = r0.compress().to_bytes().to_vec();
        bytes.extend_from_slice(&r1_enc);
        let msg = ReceiverMsg::from_bytes(&bytes, 1).unwrap();
        assert!(matches!(
            respond(msg).1.keys(),
            Err(OtError::IdentityPoint { index: 0, .. })
        ));
    }

    #[test]
    fn lengths_are_checked() {
        assert!(matches!(
            ReceiverMsg::from_bytes(&[0; 63], 1),
            Err(OtError::Malformed {
                expected: 64,
                got: 63,
                ..
            })
        ));
        assert!(matches!(
            SenderMsg::from_bytes(&[0; 33]),
            Err(OtError::Malformed {
                expected: 32,
                got: 33,
                ..
            })
        ));
    }
}
