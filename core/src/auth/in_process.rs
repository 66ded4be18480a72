//! Both parties of the preprocessing in one process, every message passed
//! through its wire encoding: the reference run of the tests and the
//! benchmarks. Not a protocol (one address space holds both parties'
//! secrets), and gated like [`crate::in_memory`].
//!
//! [`Tamper`] makes one party deviate in one message, for the tests that
//! check what a cheater is caught at.

use super::auth_bit::{shares_from_cots, GlobalKey, Opening, Share};
use super::bucket::{bucket_size, Buckets};
use super::commit::{CoinCommitter, CoinOpening, CoinResponder, Commitment, Nonce};
use super::kos::{ChallengeMsg, CheckMsg, ExtendMsg, KosReceiver, KosSender, TreeSetupMsg};
use super::leaky_and::{DMsg, LeakyAnd, UMsg};
use super::triple::Triple;
use super::{AuthError, Role};
use crate::block::random_bits;
use crate::block::Block;
use crate::ot::csw::{Answer, BaseReceiver, BaseSender, Challenge, ReceiverMsg, SenderKey};
use zeroize::Zeroizing;

/// Runs the 128 base OTs of an extension whose sender holds `delta`: the
/// sender's chosen seeds and the receiver's pairs.
pub fn base_ots(delta: Block) -> (Vec<Block>, Vec<[Block; 2]>) {
    let choices: Vec<bool> = (0..super::KAPPA).map(|j| (delta.0 >> j) & 1 == 1).collect();
    let (rx, msg) = BaseReceiver::new(&choices);
    let msg = ReceiverMsg::from_bytes(msg.as_bytes(), choices.len()).expect("own message");
    let tx = BaseSender::new();
    let z = SenderKey::from_bytes(tx.key().as_bytes()).expect("own message");
    let keys = tx.keys(&msg).expect("honest base OT");
    let challenge = Challenge::from_bytes(keys.challenge().as_bytes(), choices.len()).unwrap();
    let (chosen, answer) = rx.derive(&z).answer(&challenge).expect("honest base OT");
    let pairs = keys
        .finish(&Answer::from_bytes(answer.as_bytes()).unwrap())
        .expect("honest base OT");
    (chosen, pairs)
}

/// Both ends of one extension with parameter `k` whose sender holds
/// `delta`, the SoftSpokenOT tree setup (if `k > 1`) through its wire
/// encoding.
///
/// # Panics
/// If `k` is not supported, or an honest tree setup fails (a bug).
pub fn extension(
    k: usize,
    delta: &GlobalKey,
    chosen: &[Block],
    pairs: &[[Block; 2]],
) -> (KosSender, KosReceiver) {
    if k == 1 {
        return (
            KosSender::new(delta.block(), chosen),
            KosReceiver::new(pairs),
        );
    }
    let (rx, setup) = KosReceiver::soft_spoken(k, pairs);
    let setup = TreeSetupMsg::from_bytes(&setup.to_bytes(), k).expect("own message");
    let tx = KosSender::soft_spoken(k, delta.block(), chosen, &setup).expect("honest trees");
    (tx, rx)
}

/// `A`'s and `B`'s triples.
pub type TriplePair = (Zeroizing<Vec<Triple>>, Zeroizing<Vec<Triple>>);

/// `A`'s and `B`'s outputs of a correlated OT.
pub type BlockPair = (Zeroizing<Vec<Block>>, Zeroizing<Vec<Block>>);

/// `A`'s and `B`'s shares.
pub type SharePair = (Zeroizing<Vec<Share>>, Zeroizing<Vec<Share>>);

/// One party: its global key, the extension it sends (correlation: its
/// key) and the one it receives (correlation: the peer's key).
pub struct Party {
    /// The party's role.
    pub role: Role,
    /// Its global key.
    pub delta: GlobalKey,
    sender: KosSender,
    receiver: KosReceiver,
}

/// One deviation from the protocol, for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tamper {
    /// Both parties honest.
    None,
    /// `by` flips bit `bit` of its leaky-AND message `U` for `triple`.
    FlipU {
        /// The cheater.
        by: Role,
        /// Which triple of the batch.
        triple: usize,
        /// Which bit of `U`.
        bit: u32,
    },
    /// `by` flips its leaky-AND bit `d` of `triple`.
    FlipD {
        /// The cheater.
        by: Role,
        /// Which triple of the batch.
        triple: usize,
    },
    /// `B` flips the first bit it opens during bucketing.
    FlipBucketOpening,
}

/// Both parties, set up, with a count of the bytes they exchanged.
pub struct Pair {
    /// Party `A`.
    pub a: Party,
    /// Party `B`.
    pub b: Party,
    /// Bytes sent in both directions since setup (base OTs excluded).
    pub bytes: usize,
    /// Leaky triples made so far: the numbering of the next batch.
    leaky: u64,
    /// `A`'s `x` bits of the last leaky batch (what a cheating `B` targets).
    pub last_x_a: Vec<bool>,
    /// `B`'s `x` bits of the last leaky batch.
    pub last_x_b: Vec<bool>,
}

impl Default for Pair {
    fn default() -> Self {
        Pair::new()
    }
}

impl Pair {
    /// Fresh global keys and base OTs in both directions; IKNP extensions.
    pub fn new() -> Pair {
        Pair::with_k(1)
    }

    /// As [`Pair::new`] with SoftSpokenOT parameter `k` in {1, 2, 4, 8}
    /// (1: IKNP); the tree setup messages, through their wire encoding, are
    /// not counted in [`Pair::bytes`] (like the base OTs: once per session).
    ///
    /// # Panics
    /// If `k` is not supported, or an honest tree setup fails (a bug).
    pub fn with_k(k: usize) -> Pair {
        let (da, db) = (GlobalKey::random(Role::A), GlobalKey::random(Role::B));
        // `A`'s extension: `A` sends (chose the bits of its key), `B`
        // receives (holds the pairs); and the other way round.
        let (a_chosen, b_pairs) = base_ots(da.block());
        let (b_chosen, a_pairs) = base_ots(db.block());
        let (a_sender, b_receiver) = extension(k, &da, &a_chosen, &b_pairs);
        let (b_sender, a_receiver) = extension(k, &db, &b_chosen, &a_pairs);
        Pair {
            a: Party {
                role: Role::A,
                sender: a_sender,
                receiver: a_receiver,
                delta: da,
            },
            b: Party {
                role: Role::B,
                sender: b_sender,
                receiver: b_receiver,
                delta: db,
            },
            bytes: 0,
            leaky: 0,
            last_x_a: Vec::new(),
            last_x_b: Vec::new(),
        }
    }

    /// One KOS15 extension: `receiver` chooses, `sender` holds the
    /// correlation. Returns (sender's `q`, receiver's `t`).
    fn cot(
        bytes: &mut usize,
        sender: &mut KosSender,
        receiver: &mut KosReceiver,
        choices: &[bool],
    ) -> Result<BlockPair, AuthError> {
        let n = choices.len();
        let (msg, pending) = receiver.extend(choices);
        let wire = msg.to_bytes();
        *bytes += wire.len();
        let (challenge, waiting) =
            sender.receive(&ExtendMsg::from_bytes_for(&wire, n, sender.k())?, n)?;
        *bytes += challenge.0.len();
        let (check, t) = pending.respond(&ChallengeMsg::from_bytes(&challenge.0)?);
        let wire = check.to_bytes();
        *bytes += wire.len();
        let q = waiting.finish(&CheckMsg::from_bytes(&wire)?)?;
        Ok((q, t))
    }

    /// One KOS15 extension with `A` as sender and `B` choosing `choices`:
    /// (`A`'s `q`, `B`'s `t = q ^ choices * Delta_A`).
    pub fn cots(&mut self, choices: &[bool]) -> Result<BlockPair, AuthError> {
        Pair::cot(
            &mut self.bytes,
            &mut self.a.sender,
            &mut self.b.receiver,
            choices,
        )
    }

    /// `n` random shared authenticated bits.
    pub fn shares(&mut self, n: usize) -> Result<SharePair, AuthError> {
        let (bits_a, bits_b) = (random_bits(n), random_bits(n));
        let (keys_b, macs_a) = Pair::cot(
            &mut self.bytes,
            &mut self.b.sender,
            &mut self.a.receiver,
            &bits_a,
        )?;
        let (keys_a, macs_b) = Pair::cot(
            &mut self.bytes,
            &mut self.a.sender,
            &mut self.b.receiver,
            &bits_b,
        )?;
        Ok((
            shares_from_cots(&bits_a, &macs_a, &keys_a),
            shares_from_cots(&bits_b, &macs_b, &keys_b),
        ))
    }

    /// `n` leaky triples, with `tamper` applied.
    pub fn leaky_triples(&mut self, n: usize, tamper: Tamper) -> Result<TriplePair, AuthError> {
        let (a, b) = self.shares(3 * n)?;
        let split = |s: Zeroizing<Vec<Share>>| {
            let mut it = s.iter().copied();
            let x: Vec<Share> = it.by_ref().take(n).collect();
            let y: Vec<Share> = it.by_ref().take(n).collect();
            (x, y, it.collect::<Vec<Share>>())
        };
        let (xa, ya, ra) = split(a);
        let (xb, yb, rb) = split(b);
        self.last_x_a = xa.iter().map(|s| s.bit).collect();
        self.last_x_b = xb.iter().map(|s| s.bit).collect();
        let first = self.leaky;
        self.leaky += n as u64;
        let (run_a, mut ua) = LeakyAnd::new(Role::A, &self.a.delta, xa, ya, ra, first);
        let (run_b, mut ub) = LeakyAnd::new(Role::B, &self.b.delta, xb, yb, rb, first);
        if let Tamper::FlipU { by, triple, bit } = tamper {
            let u = if by == Role::A { &mut ua } else { &mut ub };
            u.0[triple].0 ^= 1 << bit;
        }
        let (ua, ub) = (self.wire_u(&ua, n)?, self.wire_u(&ub, n)?);
        let (next_a, mut da) = run_a.respond(&ub)?;
        let (next_b, mut db) = run_b.respond(&ua)?;
        if let Tamper::FlipD { by, triple } = tamper {
            let d = if by == Role::A { &mut da } else { &mut db };
            d.0[triple] ^= true;
        }
        let (da, db) = (self.wire_d(&da, n)?, self.wire_d(&db, n)?);
        let done_a = next_a.finish(&db, &self.a.delta)?;
        let done_b = next_b.finish(&da, &self.b.delta)?;
        // Equality check: A commits, B reveals, A checks and opens, B checks.
        let (wait_a, c) = done_a.commit();
        let c = Commitment::from_bytes(&c.0)?;
        let (wait_b, digest_b) = done_b.reveal(c);
        self.bytes += 64;
        let (triples_a, nonce) = wait_a.check(&digest_b)?;
        let nonce = Nonce::from_bytes(&nonce.0)?;
        self.bytes += 32;
        let triples_b = wait_b.finish(&nonce)?;
        Ok((triples_a, triples_b))
    }

    fn wire_u(&mut self, u: &UMsg, n: usize) -> Result<UMsg, AuthError> {
        let wire = u.to_bytes();
        self.bytes += wire.len();
        UMsg::from_bytes(&wire, n)
    }

    fn wire_d(&mut self, d: &DMsg, n: usize) -> Result<DMsg, AuthError> {
        let wire = d.to_bytes();
        self.bytes += wire.len();
        DMsg::from_bytes(&wire, n)
    }

    fn wire_opening(&mut self, o: &Opening, n: usize) -> Result<Opening, AuthError> {
        let wire = o.to_bytes();
        self.bytes += wire.len();
        Opening::from_bytes(&wire, n)
    }

    /// `ands` authenticated AND triples: leaky triples in buckets of
    /// [`bucket_size`]`(ands)`.
    pub fn triples(&mut self, ands: usize, tamper: Tamper) -> Result<TriplePair, AuthError> {
        let b = bucket_size(ands);
        let (leaky_a, leaky_b) = self.leaky_triples(ands * b, tamper)?;
        // Coin toss for the permutation: A commits.
        let (committer, c) = CoinCommitter::new();
        let (responder, share) = CoinResponder::new(Commitment::from_bytes(&c.0)?);
        let (opening, seed_a) = committer.open(&share);
        let seed_b = responder.finish(&CoinOpening::from_bytes(&opening.to_bytes())?)?;
        self.bytes += 32 + 32 + 64;
        let (buckets_a, open_a) = Buckets::new(leaky_a, &seed_a, b);
        let (buckets_b, mut open_b) = Buckets::new(leaky_b, &seed_b, b);
        if tamper == Tamper::FlipBucketOpening && !open_b.bits.is_empty() {
            open_b.bits[0] ^= true;
        }
        let n = ands * (b - 1);
        let (open_a, open_b) = (
            self.wire_opening(&open_a, n)?,
            self.wire_opening(&open_b, n)?,
        );
        let a = buckets_a.finish(&self.a.delta, &open_b)?;
        let b = buckets_b.finish(&self.b.delta, &open_a)?;
        Ok((a, b))
    }

    /// Panics unless every pair of shares carries valid MACs both ways.
    pub fn assert_valid(&self, a: &[Share], b: &[Share]) {
        assert_eq!(a.len(), b.len());
        let (da, db) = (self.a.delta.block(), self.b.delta.block());
        for (i, (a, b)) in a.iter().zip(b).enumerate() {
            assert_eq!(a.mac, b.key ^ (db & Block::mask(a.bit)), "A's MAC {i}");
            assert_eq!(b.mac, a.key ^ (da & Block::mask(b.bit)), "B's MAC {i}");
        }
    }

    /// Panics unless every triple is an AND with valid MACs.
    pub fn assert_triples(&self, a: &[Triple], b: &[Triple]) {
        assert_eq!(a.len(), b.len());
        for (i, (a, b)) in a.iter().zip(b).enumerate() {
            let (x, y, z) = (a.x.bit ^ b.x.bit, a.y.bit ^ b.y.bit, a.z.bit ^ b.z.bit);
            assert_eq!(x & y, z, "triple {i}");
        }
        let all = |t: &[Triple]| -> Vec<Share> { t.iter().flat_map(|t| [t.x, t.y, t.z]).collect() };
        self.assert_valid(&all(a), &all(b));
    }
}
