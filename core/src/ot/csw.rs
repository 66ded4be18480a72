//! Base OT: the Canetti-Sarkar-Wang OT on the Ristretto group, batched.
//!
//! Protocol (Canetti, Sarkar and Wang, "Blazing Fast OT for Three-Round UC
//! OT Extension", PKC 2020, <https://eprint.iacr.org/2020/110>), for `n`
//! random OTs that share one setup, as the paper's batched protocol does. `G`
//! is the Ristretto base point; `H1` hashes onto the group, `H2`, `H3`, `H4`
//! are hashes to strings (blake3, each with its own `derive_key` context):
//!
//! 1. Receiver, with choice bits `b_i`: a random `seed`, `T = H1(seed)`, and
//!    for each OT a secret scalar `alpha_i` and `B_i = alpha_i*G + b_i*T`.
//!    Sends `(seed, B_1..B_n)`. Each `B_i` is uniform whatever `b_i` is.
//! 2. Sender: a secret scalar `r`, `z = r*G`; for each OT the keys
//!    `p_{i,0} = H2(i, r*B_i)` and `p_{i,1} = H2(i, r*(B_i - T))`
//!    (`r*T` is computed once, so one scalar multiplication per OT). Sends
//!    `z`, then the challenge `chi_i = H3(i, p_{i,0}) ^ H3(i, p_{i,1})` and
//!    the proof `Pi = H3'(H4(H3(1, p_{1,0}), .., H3(n, p_{n,0})))`.
//! 3. Receiver: `p_{i,b_i} = H2(i, alpha_i*z)`. It rebuilds every
//!    `H3(i, p_{i,0})` as `H3(i, p_{i,b_i}) ^ b_i*chi_i`, hashes them with
//!    `H4` into `ans`, checks `H3'(ans) = Pi` and sends `ans`.
//! 4. Sender: accepts if `ans` is its own `H4` value.
//!
//! Why this protocol. It is the "simplest OT" of Chou and Orlandi (2015) with
//! the flaw fixed and a proof: in Chou-Orlandi the receiver builds `B` from
//! the sender's own key `A` (`T = A`), so it may pick `B` as a function of
//! `A` that relates the sender's two keys, and its choice cannot be
//! extracted (Genç, Iovino and Rial 2017, <https://eprint.iacr.org/2017/370>).
//! Here `T` is a random-oracle output whose discrete logarithm nobody knows,
//! fixed before the sender speaks; learning both keys means computing
//! `r*T` from `z = r*G`, the CDH problem. Steps 2-4 make the receiver prove
//! it holds one key of every OT, which lets a simulator extract its choices
//! by observing its random-oracle queries. Canetti, Sarkar and Wang prove the
//! batch UC-secure under CDH in the observable random-oracle model. What it
//! realizes is a random OT with selective failure: a malicious sender may
//! corrupt one `chi_i` and see whether the receiver aborts, which guesses
//! `b_i` (here a bit of `Delta`) at the price of being caught with
//! probability 1/2; their OT-extension proof tolerates that, as KOS does for
//! its own check.
//!
//! Why not the Masny-Rindal endemic OT (CCS 2019), which this replaced in
//! `yao_runtime::ot::CotSender` and `CotReceiver` (and which is gone since:
//! see the git history of `runtime/src/ot/base.rs`): it costs its sender two
//! variable-base scalar multiplications, two hashes onto the group and two
//! point decodings per OT, all after the receiver's message arrives. Here the
//! sender does one multiplication and one decoding per OT, the receiver's
//! first message needs nothing from the sender (the garbler makes it before
//! the evaluator connects), and the receiver's remaining work (multiplying one
//! point `z` by its scalars, through a precomputed table) runs while the
//! sender derives its keys: `z` is sent before them.
//!
//! Batching (McQuoid, Rosulek and Roy, "Batching Base Oblivious Transfers",
//! ASIACRYPT 2021, <https://eprint.iacr.org/2021/682>, show how sharing one
//! sender message across a batch goes wrong): every hash takes the OT index
//! and the session id `sid`, the blake3 hash of the receiver's whole first
//! message, and the key hash `H2` also takes `z`, so no two OTs of a batch or
//! of two sessions share a key even when the receiver repeats a point.
//!
//! Hygiene: every point from the peer must be a canonical Ristretto encoding
//! and not the identity; a receiver point `B_i = T` (which would make
//! `r*(B_i - T)` the identity) is refused. Secret scalars, Diffie-Hellman
//! values and keys are zeroized when dropped.

use super::ristretto::{decode, half, par_fill, receiver_keys, sender_keys, POINT};
use super::MessageError;
use crate::block::{fill_random, Block};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

/// Bytes of the receiver's seed.
const SEED: usize = 32;
/// Bytes of a challenge entry `chi_i`.
const CHI: usize = 16;
/// Bytes of the proof `Pi` and of the answer `ans`.
const DIGEST: usize = 32;

const HASH_TO_GROUP: &str = "yao 2026-11 base OT (Canetti-Sarkar-Wang) H1 hash to group";
const SESSION: &str = "yao 2026-11 base OT (Canetti-Sarkar-Wang) session id";
const KEY: &str = "yao 2026-11 base OT (Canetti-Sarkar-Wang) H2 key derivation";
const CHECK: &str = "yao 2026-11 base OT (Canetti-Sarkar-Wang) H3 check";
const AGGREGATE: &str = "yao 2026-11 base OT (Canetti-Sarkar-Wang) H4 aggregate";
const PROOF: &str = "yao 2026-11 base OT (Canetti-Sarkar-Wang) H3 proof";

/// The receiver's message: the seed of `T`, then one point `B_i` per OT.
#[derive(Clone, Debug)]
pub struct ReceiverMsg {
    bytes: Vec<u8>,
    points: Vec<RistrettoPoint>,
}

impl ReceiverMsg {
    /// Length of the encoding for `count` OTs.
    pub const fn len_for(count: usize) -> usize {
        SEED + POINT * count
    }

    /// The number of OTs this message is for.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the message holds no point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The message as sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Parses a message for `count` OTs: exactly `32 + 32 * count` bytes, a
    /// seed and canonical, non-identity Ristretto points.
    pub fn from_bytes(bytes: &[u8], count: usize) -> Result<ReceiverMsg, MessageError> {
        let expected = Self::len_for(count);
        if bytes.len() != expected {
            return Err(MessageError::Malformed {
                what: "base-OT receiver message",
                expected,
                got: bytes.len(),
            });
        }
        let mut points = vec![RistrettoPoint::identity(); count];
        par_fill(&mut points, |range, out| {
            for (i, p) in range.zip(out) {
                let at = SEED + POINT * i;
                *p = decode(&bytes[at..at + POINT], "base-OT receiver point B", i)?;
            }
            Ok::<_, MessageError>(())
        })?;
        Ok(ReceiverMsg {
            bytes: bytes.to_vec(),
            points,
        })
    }

    fn seed(&self) -> &[u8] {
        &self.bytes[..SEED]
    }

    fn session_id(&self) -> [u8; 32] {
        blake3::derive_key(SESSION, &self.bytes)
    }
}

/// The sender's key `z = r*G`.
#[derive(Clone, Debug)]
pub struct SenderKey {
    point: RistrettoPoint,
    bytes: [u8; POINT],
}

impl SenderKey {
    /// Length of the encoding.
    pub const LEN: usize = POINT;

    /// The key as sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Parses exactly 32 bytes: a canonical, non-identity Ristretto point.
    pub fn from_bytes(bytes: &[u8]) -> Result<SenderKey, MessageError> {
        if bytes.len() != POINT {
            return Err(MessageError::Malformed {
                what: "base-OT sender key",
                expected: POINT,
                got: bytes.len(),
            });
        }
        let point = decode(bytes, "base-OT sender key z", 0)?;
        let mut enc = [0u8; POINT];
        enc.copy_from_slice(bytes);
        Ok(SenderKey { point, bytes: enc })
    }
}

/// The sender's challenge: `chi_i` for each OT, then the proof `Pi`.
#[derive(Clone, Debug)]
pub struct Challenge {
    bytes: Vec<u8>,
}

impl Challenge {
    /// Length of the encoding for `count` OTs.
    pub const fn len_for(count: usize) -> usize {
        CHI * count + DIGEST
    }

    /// The challenge as sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Parses a challenge for `count` OTs: exactly `16 * count + 32` bytes
    /// (any value is well-formed; the receiver's check judges it).
    pub fn from_bytes(bytes: &[u8], count: usize) -> Result<Challenge, MessageError> {
        let expected = Self::len_for(count);
        if bytes.len() != expected {
            return Err(MessageError::Malformed {
                what: "base-OT challenge",
                expected,
                got: bytes.len(),
            });
        }
        Ok(Challenge {
            bytes: bytes.to_vec(),
        })
    }

    fn chi(&self, i: usize) -> Block {
        let mut b = [0u8; CHI];
        b.copy_from_slice(&self.bytes[CHI * i..CHI * (i + 1)]);
        Block::from_bytes(b)
    }

    fn proof(&self) -> &[u8] {
        &self.bytes[self.bytes.len() - DIGEST..]
    }
}

/// The receiver's answer `ans`: proves it holds one key of every OT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer([u8; DIGEST]);

impl Answer {
    /// Length of the encoding.
    pub const LEN: usize = DIGEST;

    /// The answer as sent.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Parses exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Answer, MessageError> {
        let a: [u8; DIGEST] = bytes.try_into().map_err(|_| MessageError::Malformed {
            what: "base-OT answer",
            expected: DIGEST,
            got: bytes.len(),
        })?;
        Ok(Answer(a))
    }
}

/// The receiver before the sender's key arrives.
pub struct BaseReceiver {
    /// `alpha_i / 2`: the Diffie-Hellman value is compressed as
    /// `2 * (alpha_i/2) * z`, which lets a batch share one field inversion.
    halves: Vec<Zeroizing<Scalar>>,
    choices: Zeroizing<Vec<bool>>,
    sid: [u8; 32],
}

impl BaseReceiver {
    /// Starts one base OT per choice bit; needs nothing from the sender.
    pub fn new(choices: &[bool]) -> (BaseReceiver, ReceiverMsg) {
        let mut seed = [0u8; SEED];
        fill_random(&mut seed);
        let t = hash_to_group(&seed);
        // Points are made as halves, `B_i = 2 * ((alpha_i/2)*G + b_i*(T/2))`,
        // and compressed with `double_and_compress_batch`, which shares one
        // field inversion across the batch.
        let t_half = t * half();
        let mut halves: Vec<Zeroizing<Scalar>> = (0..choices.len())
            .map(|_| Zeroizing::new(Scalar::ZERO))
            .collect();
        let parts = par_fill(&mut halves, |range, halves| {
            let mut wide = Zeroizing::new(vec![0u8; 64 * range.len()]);
            fill_random(&mut wide);
            let owns: Vec<RistrettoPoint> = range
                .clone()
                .zip(halves.iter_mut())
                .zip(wide.chunks_exact(64))
                .map(|((i, h), w)| {
                    let alpha = Zeroizing::new(Scalar::from_bytes_mod_order_wide(
                        w.try_into().expect("64 bytes"),
                    ));
                    **h = *alpha * half();
                    // Add `T/2` or the identity without branching on `b_i`.
                    let c = Choice::from(choices[i] as u8);
                    let add =
                        RistrettoPoint::conditional_select(&RistrettoPoint::identity(), &t_half, c);
                    RistrettoPoint::mul_base(h) + add
                })
                .collect();
            let enc = RistrettoPoint::double_and_compress_batch(&owns);
            let points: Vec<RistrettoPoint> = owns.iter().map(|p| p + p).collect();
            Ok::<_, MessageError>((enc, points))
        })
        .expect("generating the receiver message cannot fail");
        let mut msg = ReceiverMsg {
            bytes: Vec::with_capacity(ReceiverMsg::len_for(choices.len())),
            points: Vec::with_capacity(choices.len()),
        };
        msg.bytes.extend_from_slice(&seed);
        for (enc, points) in parts {
            msg.bytes.extend(enc.iter().flat_map(|e| e.to_bytes()));
            msg.points.extend(points);
        }
        let sid = msg.session_id();
        let rx = BaseReceiver {
            halves,
            choices: Zeroizing::new(choices.to_vec()),
            sid,
        };
        (rx, msg)
    }

    /// The chosen key of each OT, from the sender's key `z`: the costly part,
    /// done while the sender derives its own keys.
    pub fn derive(self, z: &SenderKey) -> ReceiverKeys {
        let keys = receiver_keys(&z.point, &self.halves, |i, shared| {
            key(&self.sid, i, &z.bytes, shared)
        });
        ReceiverKeys {
            keys,
            choices: self.choices,
            sid: self.sid,
        }
    }
}

/// The receiver's chosen keys, held back until the sender's challenge checks.
pub struct ReceiverKeys {
    keys: Vec<Block>,
    choices: Zeroizing<Vec<bool>>,
    sid: [u8; 32],
}

impl ReceiverKeys {
    /// Checks the sender's proof and returns the chosen keys and the answer
    /// to send. A proof that does not check means the sender deviated.
    pub fn answer(mut self, challenge: &Challenge) -> Result<(Vec<Block>, Answer), MessageError> {
        if challenge.bytes.len() != Challenge::len_for(self.keys.len()) {
            return Err(MessageError::Malformed {
                what: "base-OT challenge",
                expected: Challenge::len_for(self.keys.len()),
                got: challenge.bytes.len(),
            });
        }
        // `H3(i, p_{i,0})` for every OT, whichever key the receiver holds.
        let zeros: Vec<Block> = self
            .keys
            .iter()
            .zip(self.choices.iter())
            .enumerate()
            .map(|(i, (k, &c))| check(&self.sid, i, k) ^ (challenge.chi(i) & Block::mask(c)))
            .collect();
        let ans = aggregate(&self.sid, &zeros);
        let proof = blake3::derive_key(PROOF, &ans);
        if !bool::from(proof.ct_eq(challenge.proof())) {
            return Err(MessageError::CheckFailed {
                what: "the base-OT sender's proof",
            });
        }
        Ok((std::mem::take(&mut self.keys), Answer(ans)))
    }
}

impl Drop for ReceiverKeys {
    fn drop(&mut self) {
        self.keys.zeroize();
    }
}

/// The sender: its secret `r` and key `z = r*G`, made before the receiver's
/// message arrives (but sent after it: the receiver speaks first).
pub struct BaseSender {
    /// `r / 2`, for the batched compression.
    half: Zeroizing<Scalar>,
    key: SenderKey,
}

impl Default for BaseSender {
    fn default() -> Self {
        Self::new()
    }
}

impl BaseSender {
    /// A sender with a fresh secret key from the operating system's generator.
    pub fn new() -> BaseSender {
        let mut wide = Zeroizing::new([0u8; 64]);
        fill_random(&mut wide[..]);
        let r = Zeroizing::new(Scalar::from_bytes_mod_order_wide(&wide));
        let point = RistrettoPoint::mul_base(&r);
        BaseSender {
            half: Zeroizing::new(*r * half()),
            key: SenderKey {
                point,
                bytes: point.compress().to_bytes(),
            },
        }
    }

    /// The key `z` to send once the receiver's message is in.
    pub fn key(&self) -> &SenderKey {
        &self.key
    }

    /// Both keys `[p_0, p_1]` of every OT, and the challenge for the
    /// receiver.
    pub fn keys(self, msg: &ReceiverMsg) -> Result<SenderKeys, MessageError> {
        let sid = msg.session_id();
        let t = hash_to_group(msg.seed());
        // `(r/2)*T`, subtracted from every `(r/2)*B_i`.
        let rt = Zeroizing::new(t * *self.half);
        let keys = sender_keys(
            msg.len(),
            |i| {
                let b = &msg.points[i];
                if b.ct_eq(&t).into() {
                    return Err(MessageError::IdentityPoint {
                        what: "base-OT derived point B - T",
                        index: i,
                    });
                }
                let p0 = b * *self.half;
                Ok([p0, p0 - *rt])
            },
            |i, shared| key(&sid, i, &self.key.bytes, shared),
        )?;
        let mut zeros = Vec::with_capacity(keys.len());
        let mut bytes = Vec::with_capacity(Challenge::len_for(keys.len()));
        for (i, [k0, k1]) in keys.iter().enumerate() {
            let h0 = check(&sid, i, k0);
            bytes.extend_from_slice(&(h0 ^ check(&sid, i, k1)).to_bytes());
            zeros.push(h0);
        }
        let expected = aggregate(&sid, &zeros);
        bytes.extend_from_slice(&blake3::derive_key(PROOF, &expected));
        Ok(SenderKeys {
            keys,
            challenge: Challenge { bytes },
            expected: Answer(expected),
        })
    }
}

/// The sender's keys, held back until the receiver's answer checks.
pub struct SenderKeys {
    keys: Vec<[Block; 2]>,
    challenge: Challenge,
    expected: Answer,
}

impl SenderKeys {
    /// What to send to the receiver.
    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// Both keys of every OT, if the receiver's answer checks.
    pub fn finish(mut self, answer: &Answer) -> Result<Vec<[Block; 2]>, MessageError> {
        if !bool::from(self.expected.0.ct_eq(&answer.0)) {
            return Err(MessageError::CheckFailed {
                what: "the base-OT receiver's answer",
            });
        }
        Ok(std::mem::take(&mut self.keys))
    }
}

impl Drop for SenderKeys {
    fn drop(&mut self) {
        self.keys.zeroize();
    }
}

/// `H1`: blake3 into `from_uniform_bytes` (two Elligator maps, a random
/// oracle onto the group).
fn hash_to_group(seed: &[u8]) -> RistrettoPoint {
    let mut wide = [0u8; 64];
    blake3::Hasher::new_derive_key(HASH_TO_GROUP)
        .update(seed)
        .finalize_xof()
        .fill(&mut wide);
    RistrettoPoint::from_uniform_bytes(&wide)
}

/// `H2`: the key of OT `i` from a Diffie-Hellman value.
fn key(sid: &[u8; 32], i: usize, z: &[u8; POINT], shared: &[u8; POINT]) -> Block {
    let mut h = blake3::Hasher::new_derive_key(KEY);
    h.update(sid);
    h.update(&(i as u64).to_le_bytes());
    h.update(z);
    h.update(shared);
    let mut out = [0u8; 16];
    h.finalize_xof().fill(&mut out);
    let k = Block::from_bytes(out);
    out.zeroize();
    h.zeroize();
    k
}

/// `H3`: the check value of key `k` of OT `i`.
fn check(sid: &[u8; 32], i: usize, k: &Block) -> Block {
    let mut h = blake3::Hasher::new_derive_key(CHECK);
    h.update(sid);
    h.update(&(i as u64).to_le_bytes());
    h.update(&k.to_bytes());
    let mut out = [0u8; 16];
    h.finalize_xof().fill(&mut out);
    h.zeroize();
    Block::from_bytes(out)
}

/// `H4`: all check values of the batch into one digest.
fn aggregate(sid: &[u8; 32], zeros: &[Block]) -> [u8; DIGEST] {
    let mut h = blake3::Hasher::new_derive_key(AGGREGATE);
    h.update(sid);
    for z in zeros {
        h.update(&z.to_bytes());
    }
    *h.finalize().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the protocol in memory through the wire encodings.
    fn run(choices: &[bool]) -> (Vec<Block>, Vec<[Block; 2]>) {
        let n = choices.len();
        let (rx, msg) = BaseReceiver::new(choices);
        let msg = ReceiverMsg::from_bytes(msg.as_bytes(), n).unwrap();
        let tx = BaseSender::new();
        let z = SenderKey::from_bytes(tx.key().as_bytes()).unwrap();
        let sent = tx.keys(&msg).unwrap();
        let chosen = rx.derive(&z);
        let challenge = Challenge::from_bytes(sent.challenge().as_bytes(), n).unwrap();
        let (got, answer) = chosen.answer(&challenge).unwrap();
        let answer = Answer::from_bytes(answer.as_bytes()).unwrap();
        (got, sent.finish(&answer).unwrap())
    }

    #[test]
    fn receiver_gets_the_chosen_key_only() {
        for n in [1, 2, 128, 130] {
            let choices: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
            let (got, keys) = run(&choices);
            assert_eq!(got.len(), n);
            assert_eq!(keys.len(), n);
            for i in 0..n {
                let c = choices[i] as usize;
                assert_eq!(got[i], keys[i][c], "OT {i}");
                assert_ne!(got[i], keys[i][1 - c], "OT {i}");
            }
        }
    }

    #[test]
    fn keys_are_distinct_across_ots_and_sessions() {
        let choices = [false, true, false, true];
        let (_, a) = run(&choices);
        let (_, b) = run(&choices);
        let mut all: Vec<Block> = a.iter().chain(&b).flatten().copied().collect();
        all.sort_by_key(|k| k.0);
        all.dedup();
        assert_eq!(all.len(), 16);
    }

    #[test]
    fn message_hides_the_choices_in_its_form() {
        // Same length and all points valid whatever the choices; the points
        // themselves are uniform (a statistical test is in tests/ot.rs).
        let (_, a) = BaseReceiver::new(&[false; 8]);
        let (_, b) = BaseReceiver::new(&[true; 8]);
        assert_eq!(a.as_bytes().len(), b.as_bytes().len());
        assert!(ReceiverMsg::from_bytes(b.as_bytes(), 8).is_ok());
    }

    #[test]
    fn a_corrupted_challenge_is_refused() {
        let choices = [true, false, true];
        for (at, flip) in [(0, 1u8), (16, 0x80), (Challenge::len_for(3) - 1, 4)] {
            let (rx, msg) = BaseReceiver::new(&choices);
            let tx = BaseSender::new();
            let z = tx.key().clone();
            let sent = tx.keys(&msg).unwrap();
            let mut bytes = sent.challenge().as_bytes().to_vec();
            bytes[at] ^= flip;
            let bad = Challenge::from_bytes(&bytes, 3).unwrap();
            // chi_1 does not matter to a receiver whose choice is 0 there:
            // that is the selective failure the paper's functionality allows.
            let result = rx.derive(&z).answer(&bad);
            if at == 16 {
                assert!(result.is_ok());
            } else {
                assert!(
                    matches!(result, Err(MessageError::CheckFailed { .. })),
                    "byte {at}"
                );
            }
        }
    }

    #[test]
    fn a_wrong_answer_is_refused() {
        let (rx, msg) = BaseReceiver::new(&[true, false]);
        let tx = BaseSender::new();
        let z = tx.key().clone();
        let sent = tx.keys(&msg).unwrap();
        let (_, answer) = rx.derive(&z).answer(sent.challenge()).unwrap();
        let mut bytes = answer.as_bytes().to_vec();
        bytes[31] ^= 1;
        let err = sent.finish(&Answer::from_bytes(&bytes).unwrap());
        assert!(matches!(err, Err(MessageError::CheckFailed { .. })));
    }

    #[test]
    fn a_receiver_point_equal_to_t_is_refused() {
        // B_1 = T would make r*(B_1 - T) the identity: a public key.
        let (_, honest) = BaseReceiver::new(&[false, false]);
        let mut bytes = honest.as_bytes().to_vec();
        let t = hash_to_group(&bytes[..SEED]).compress().to_bytes();
        bytes[SEED + POINT..].copy_from_slice(&t);
        let msg = ReceiverMsg::from_bytes(&bytes, 2).unwrap();
        assert!(matches!(
            BaseSender::new().keys(&msg),
            Err(MessageError::IdentityPoint { index: 1, .. })
        ));
    }

    #[test]
    fn lengths_and_points_are_checked() {
        assert!(matches!(
            ReceiverMsg::from_bytes(&[0; 63], 1),
            Err(MessageError::Malformed {
                expected: 64,
                got: 63,
                ..
            })
        ));
        let mut bad = vec![0u8; 64];
        bad[SEED..].fill(0xff);
        assert!(matches!(
            ReceiverMsg::from_bytes(&bad, 1),
            Err(MessageError::InvalidPoint { index: 0, .. })
        ));
        assert!(matches!(
            ReceiverMsg::from_bytes(&[0; 64], 1),
            Err(MessageError::IdentityPoint { index: 0, .. })
        ));
        assert!(matches!(
            SenderKey::from_bytes(&[0; 33]),
            Err(MessageError::Malformed {
                expected: 32,
                got: 33,
                ..
            })
        ));
        assert!(matches!(
            SenderKey::from_bytes(&[0; 32]),
            Err(MessageError::IdentityPoint { .. })
        ));
        assert!(matches!(
            Challenge::from_bytes(&[0; 47], 1),
            Err(MessageError::Malformed {
                expected: 48,
                got: 47,
                ..
            })
        ));
        assert!(matches!(
            Answer::from_bytes(&[0; 31]),
            Err(MessageError::Malformed {
                expected: 32,
                got: 31,
                ..
            })
        ));
    }
}
