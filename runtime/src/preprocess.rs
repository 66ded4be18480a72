//! The malicious-security preprocessing between two processes: the driver
//! that moves the messages of `yao_core::auth` over a [`Channel`].
//!
//! [`Preprocessor::setup`] runs the base OTs in both directions (each party
//! is the KOS15 sender once, with its own global key as the correlation)
//! and, for SoftSpokenOT ([`DEFAULT_OT_K`] `> 1`), one exchange of the
//! parties' checked GGM trees;
//! [`Preprocessor::shares`] then makes shared authenticated bits and
//! [`Preprocessor::triples`] authenticated AND triples (WRK17 leaky ANDs
//! and bucketing). Both parties must ask for the same counts in the same
//! order: every message length follows from the counts, so a peer that
//! disagrees is refused at its first message, before any allocation sized
//! by it. Messages go one way at a time (`A` speaks first in every
//! exchange), so no two large writes can block each other.
//!
//! A request is served in batches and bucketing groups of bounded size
//! ([`Schedule`]; [`Preprocessor::set_limits`]), so what a party holds
//! besides its output does not grow with the AND count, and no frame is
//! longer than one batch needs.
//!
//! This is not yet wired into a session: nothing consumes the triples until
//! the authenticated garbling exists (see SECURITY.md).

use crate::channel::{Channel, ChannelError};
use crate::ot::{self, OtError};
use yao_core::auth::auth_bit::{shares_from_cots, GlobalKey, Opening, Share};
use yao_core::auth::bucket::Buckets;
use yao_core::auth::commit::{CoinCommitter, CoinOpening, CoinResponder, Commitment, Nonce};
use yao_core::auth::kos::{
    extend_msg_len, ChallengeMsg, CheckMsg, ExtendMsg, KosReceiver, KosSender, TreeSetupMsg,
};
use yao_core::auth::leaky_and::{DMsg, LeakyAnd, UMsg};
use yao_core::auth::schedule::{Limits, Schedule};
use yao_core::auth::triple::Triple;
use yao_core::auth::{AuthError, Role, KAPPA};
use yao_core::ot::csw;
use yao_core::Block;
use zeroize::Zeroizing;

/// What went wrong in the preprocessing.
#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    /// The channel failed.
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// The base OTs failed (a channel error or a message the protocol does
    /// not allow).
    #[error(transparent)]
    BaseOt(#[from] OtError),
    /// The peer failed a check or sent a malformed message.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

type Result<T> = std::result::Result<T, PreprocessError>;

/// One party's preprocessing state: its global key and the two extensions.
pub struct Preprocessor {
    role: Role,
    delta: GlobalKey,
    sender: KosSender,
    receiver: KosReceiver,
    /// Leaky triples made so far: numbers the next batch's hash tweaks.
    leaky: u64,
    /// Batch and group sizes of [`Preprocessor::triples`].
    limits: Limits,
}

/// Base OT with this party as receiver, choosing the bits of `delta`.
fn base_receive(ch: &mut impl Channel, delta: Block) -> Result<Zeroizing<Vec<Block>>> {
    let bits: Vec<bool> = (0..KAPPA).map(|j| (delta.0 >> j) & 1 == 1).collect();
    let bits = Zeroizing::new(bits);
    let (rx, msg) = csw::BaseReceiver::new(&bits);
    Ok(ot::base_receive(ch, rx, msg.as_bytes())?)
}

/// Sends `mine` and receives the peer's message of `len` bytes, `A` first.
fn exchange(
    ch: &mut impl Channel,
    role: Role,
    mine: &[u8],
    what: &'static str,
    len: usize,
) -> Result<Vec<u8>> {
    if role == Role::A {
        ch.send_frame(mine)?;
        ch.flush()?;
        Ok(ch.recv_frame(what, len as u64)?)
    } else {
        let theirs = ch.recv_frame(what, len as u64)?;
        ch.send_frame(mine)?;
        ch.flush()?;
        Ok(theirs)
    }
}

/// With SoftSpokenOT (`k > 1`), the message each extension needs once,
/// before its first use: as extension receiver this party sends its trees,
/// as sender it checks the peer's (`yao_core::auth::kos`, "Over
/// SoftSpokenOT"). One exchange, `A` first.
fn soft_spoken_setup(
    ch: &mut impl Channel,
    role: Role,
    k: usize,
    delta: &GlobalKey,
    chosen: &[Block],
    pairs: &[[Block; 2]],
) -> Result<(KosSender, KosReceiver)> {
    let (receiver, mine) = KosReceiver::soft_spoken(k, pairs);
    let len = TreeSetupMsg::len_for(k);
    let theirs = exchange(ch, role, &mine.to_bytes(), "SoftSpokenOT tree setup", len)?;
    let theirs = TreeSetupMsg::from_bytes(&theirs, k)?;
    let sender = KosSender::soft_spoken(k, delta.block(), chosen, &theirs)?;
    Ok((sender, receiver))
}

/// The OT extension under the KOS15 check that [`Preprocessor::setup`]
/// uses: the SoftSpokenOT parameter `k`, 1 for IKNP. Chosen by measurement
/// (`yao bench --only e2e.aes128.malicious`, `benches/malicious.rs`): at
/// AES-128's size `k = 4` sends 235 preprocessing bytes per AND against
/// IKNP's 550, in a time that could not be told apart from IKNP's; `k = 8`
/// sends 182 but took about 40% longer (its `2^8` PRG streams per group).
/// Both parties of a session must use the same value (it sets message
/// lengths; changing it changes the wire protocol).
pub const DEFAULT_OT_K: usize = 4;

impl Preprocessor {
    /// A fresh global key for `role` and the base OTs of both extensions:
    /// first `A`'s (A chooses the bits of its key), then `B`'s. The
    /// extensions are [`DEFAULT_OT_K`]'s.
    pub fn setup(ch: &mut impl Channel, role: Role) -> Result<Preprocessor> {
        Preprocessor::setup_with_k(ch, role, DEFAULT_OT_K)
    }

    /// As [`Preprocessor::setup`] with SoftSpokenOT parameter `k` in
    /// {1, 2, 4, 8} (1: IKNP, exactly [`Preprocessor::setup`]'s messages
    /// when that is the default; otherwise one more exchange, the trees).
    /// Both parties must use the same `k`: it fixes the message lengths, so
    /// a peer with another `k` is refused at its tree message or first
    /// extension message.
    ///
    /// # Panics
    /// If `k` is not one of {1, 2, 4, 8} (a caller bug).
    pub fn setup_with_k(ch: &mut impl Channel, role: Role, k: usize) -> Result<Preprocessor> {
        assert!(
            yao_core::ot::softspoken::is_supported(k),
            "k = {k} is not one of {:?}",
            yao_core::ot::softspoken::SUPPORTED_K
        );
        let delta = GlobalKey::random(role);
        let (chosen, pairs) = match role {
            Role::A => {
                let chosen = base_receive(ch, delta.block())?;
                (chosen, ot::base_send(ch)?)
            }
            Role::B => {
                let pairs = ot::base_send(ch)?;
                (base_receive(ch, delta.block())?, pairs)
            }
        };
        let (sender, receiver) = if k == 1 {
            (
                KosSender::new(delta.block(), &chosen),
                KosReceiver::new(&pairs),
            )
        } else {
            soft_spoken_setup(ch, role, k, &delta, &chosen, &pairs)?
        };
        Ok(Preprocessor {
            role,
            sender,
            receiver,
            delta,
            leaky: 0,
            limits: Limits::DEFAULT,
        })
    }

    /// The batch and group sizes [`Preprocessor::triples`] splits requests
    /// into ([`Limits::DEFAULT`] unless set).
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Sets the batch and group sizes. Both parties must set the same ones:
    /// they fix the message lengths and the bucket size, so a peer with
    /// other limits is refused at the first message whose length differs.
    ///
    /// # Panics
    /// If a limit is below its minimum ([`Schedule::new`]).
    pub fn set_limits(&mut self, limits: Limits) {
        Schedule::new(1, limits);
        self.limits = limits;
    }

    /// This party's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The SoftSpokenOT parameter of the extensions (1: IKNP).
    pub fn ot_k(&self) -> usize {
        self.sender.k()
    }

    /// This party's global key.
    pub fn delta(&self) -> &GlobalKey {
        &self.delta
    }

    /// `n` correlated OTs with this party as KOS15 sender: its keys `q_i`.
    fn cot_send(&mut self, ch: &mut impl Channel, n: usize) -> Result<Zeroizing<Vec<Block>>> {
        let k = self.sender.k();
        let len = extend_msg_len(n, k);
        let bytes = ch.recv_frame("KOS15 extension message", len as u64)?;
        let msg = ExtendMsg::from_bytes_for(&bytes, n, k)?;
        let (challenge, waiting) = self.sender.receive(&msg, n)?;
        ch.send_frame(&challenge.0)?;
        ch.flush()?;
        let check = ch.recv_frame("KOS15 check message", 96)?;
        Ok(waiting.finish(&CheckMsg::from_bytes(&check)?)?)
    }

    /// Correlated OTs with this party as receiver: its MACs `t_i`.
    fn cot_receive(
        &mut self,
        ch: &mut impl Channel,
        choices: &[bool],
    ) -> Result<Zeroizing<Vec<Block>>> {
        let (msg, pending) = self.receiver.extend(choices);
        ch.send_frame(&msg.to_bytes())?;
        ch.flush()?;
        let challenge = ch.recv_frame("KOS15 challenge", 32)?;
        let (check, t) = pending.respond(&ChallengeMsg::from_bytes(&challenge)?);
        ch.send_frame(&check.to_bytes())?;
        ch.flush()?;
        Ok(t)
    }

    /// `n` random shared authenticated bits: `A`'s extension first.
    pub fn shares(&mut self, ch: &mut impl Channel, n: usize) -> Result<Zeroizing<Vec<Share>>> {
        let bits = Zeroizing::new(yao_core::block::random_bits(n));
        let (keys, macs) = match self.role {
            Role::A => {
                let keys = self.cot_send(ch, n)?;
                (keys, self.cot_receive(ch, &bits)?)
            }
            Role::B => {
                let macs = self.cot_receive(ch, &bits)?;
                (self.cot_send(ch, n)?, macs)
            }
        };
        Ok(shares_from_cots(&bits, &macs, &keys))
    }

    /// `n` leaky AND triples (WRK17 section 5.1), equality-checked.
    pub fn leaky_triples(
        &mut self,
        ch: &mut impl Channel,
        n: usize,
    ) -> Result<Zeroizing<Vec<Triple>>> {
        let shares = self.shares(ch, 3 * n)?;
        let first = self.leaky;
        self.leaky += n as u64;
        let (run, u) = LeakyAnd::from_shares(self.role, &self.delta, shares, first);
        let theirs = exchange(ch, self.role, &u.to_bytes(), "leaky-AND message U", 16 * n)?;
        let (next, d) = run.respond(&UMsg::from_bytes(&theirs, n)?)?;
        let theirs = exchange(
            ch,
            self.role,
            &d.to_bytes(),
            "leaky-AND message d",
            n.div_ceil(8),
        )?;
        let done = next.finish(&DMsg::from_bytes(&theirs, n)?, &self.delta)?;
        // Equality check: A commits, B reveals, A checks and opens, B checks.
        match self.role {
            Role::A => {
                let (wait, c) = done.commit();
                ch.send_frame(&c.0)?;
                ch.flush()?;
                let digest = ch.recv_frame("leaky-AND digest", 32)?;
                let digest: [u8; 32] =
                    digest
                        .try_into()
                        .map_err(|d: Vec<u8>| AuthError::Malformed {
                            what: "leaky-AND digest",
                            expected: 32,
                            got: d.len(),
                        })?;
                let (triples, nonce) = wait.check(&digest)?;
                ch.send_frame(&nonce.0)?;
                ch.flush()?;
                Ok(triples)
            }
            Role::B => {
                let c = Commitment::from_bytes(&ch.recv_frame("leaky-AND commitment", 32)?)?;
                let (wait, digest) = done.reveal(c);
                ch.send_frame(&digest)?;
                ch.flush()?;
                let nonce = Nonce::from_bytes(&ch.recv_frame("leaky-AND opening", 32)?)?;
                Ok(wait.finish(&nonce)?)
            }
        }
    }

    /// `ands` authenticated AND triples (WRK17 section 5.2): leaky triples
    /// in buckets, served in batches and bucketing groups of bounded size
    /// ([`Schedule`], under [`Preprocessor::limits`]) so that memory beyond
    /// the output does not grow with `ands`. The bucket size is the one that
    /// split needs for statistical security `2^-40`.
    pub fn triples(
        &mut self,
        ch: &mut impl Channel,
        ands: usize,
    ) -> Result<Zeroizing<Vec<Triple>>> {
        let schedule = Schedule::new(ands, self.limits);
        let b = schedule.bucket();
        // A request of one group and one batch (AES-128's, say) moves its
        // vectors through without copying them.
        let mut out: Option<Zeroizing<Vec<Triple>>> = None;
        for &group in schedule.groups() {
            let mut leaky: Option<Zeroizing<Vec<Triple>>> = None;
            for n in schedule.batches(group) {
                let batch = self.leaky_triples(ch, n)?;
                match &mut leaky {
                    Some(all) => all.extend_from_slice(&batch),
                    None if batch.len() == group * b => leaky = Some(batch),
                    None => {
                        let mut all = Zeroizing::new(Vec::with_capacity(group * b));
                        all.extend_from_slice(&batch);
                        leaky = Some(all);
                    }
                }
            }
            let leaky = leaky.unwrap_or_default();
            let triples = self.bucket(ch, leaky, group, b)?;
            match &mut out {
                Some(all) => all.extend_from_slice(&triples),
                None if triples.len() == ands => out = Some(triples),
                None => {
                    let mut all = Zeroizing::new(Vec::with_capacity(ands));
                    all.extend_from_slice(&triples);
                    out = Some(all);
                }
            }
        }
        Ok(out.unwrap_or_default())
    }

    /// Buckets one group's leaky triples (all of them equality-checked) into
    /// `ands` triples, after a coin toss for the permutation.
    fn bucket(
        &mut self,
        ch: &mut impl Channel,
        leaky: Zeroizing<Vec<Triple>>,
        ands: usize,
        b: usize,
    ) -> Result<Zeroizing<Vec<Triple>>> {
        // Coin toss for the permutation: A commits.
        let seed = match self.role {
            Role::A => {
                let (committer, c) = CoinCommitter::new();
                ch.send_frame(&c.0)?;
                ch.flush()?;
                let share = ch.recv_frame("coin-toss share", 32)?;
                let share: [u8; 32] =
                    share
                        .try_into()
                        .map_err(|s: Vec<u8>| AuthError::Malformed {
                            what: "coin-toss share",
                            expected: 32,
                            got: s.len(),
                        })?;
                let (opening, seed) = committer.open(&share);
                ch.send_frame(&opening.to_bytes())?;
                ch.flush()?;
                seed
            }
            Role::B => {
                let c = Commitment::from_bytes(&ch.recv_frame("coin-toss commitment", 32)?)?;
                let (responder, share) = CoinResponder::new(c);
                ch.send_frame(&share)?;
                ch.flush()?;
                let opening = ch.recv_frame("coin-toss opening", 64)?;
                responder.finish(&CoinOpening::from_bytes(&opening)?)?
            }
        };
        let (buckets, opening) = Buckets::new(leaky, &seed, b);
        let n = ands * (b - 1);
        let len = n.div_ceil(8) + 32;
        let theirs = exchange(ch, self.role, &opening.to_bytes(), "bucket opening", len)?;
        Ok(buckets.finish(&self.delta, &Opening::from_bytes(&theirs, n)?)?)
    }
}
