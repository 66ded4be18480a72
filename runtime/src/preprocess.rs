//! The malicious-security preprocessing between two processes: the driver
//! that moves the messages of `yao_core::auth` over a [`Channel`].
//!
//! [`Preprocessor::setup`] makes the base OTs of both extensions (each party
//! is the KOS15 sender once, with its own global key as the correlation):
//! one public-key base OT for `A`'s, and `B`'s bootstrapped from 128
//! checked OTs of `A`'s ([`bootstrap`]); with SoftSpokenOT
//! ([`DEFAULT_OT_K`] `> 1`) each extension's receiver also sends its checked
//! GGM trees once, before the extension's first use;
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
use yao_core::auth::bootstrap::{self, SwapMsg};
use yao_core::auth::bucket::Buckets;
use yao_core::auth::commit::{CoinCommitter, CoinOpening, CoinResponder, Commitment, Nonce};
use yao_core::auth::kos::{
    extend_msg_len, extended_len, ChallengeMsg, CheckMsg, ExtendMsg, KosReceiver, KosSender,
    Matrix, TreeSetupMsg,
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

/// A party's bits, its MACs on them and its keys for the peer's bits.
type Cots = (
    Zeroizing<Vec<bool>>,
    Zeroizing<Vec<Block>>,
    Zeroizing<Vec<Block>>,
);

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

/// `n` correlated OTs with this party as KOS15 sender: its keys `q_i`.
fn cot_send(
    sender: &mut KosSender,
    ch: &mut impl Channel,
    n: usize,
) -> Result<Zeroizing<Vec<Block>>> {
    let msg = recv_extend(ch, n, sender.k())?;
    let (challenge, waiting) = sender.receive(&msg, n)?;
    ch.send_frame(&challenge.0)?;
    ch.flush()?;
    let check = ch.recv_frame("KOS15 check message", 96)?;
    Ok(waiting.finish(&CheckMsg::from_bytes(&check)?)?)
}

/// Receives the KOS15 extension message of `n` OTs straight into its
/// matrix: the frame must have exactly the length `n` fixes (longer is
/// refused before anything is read, as [`Channel::recv_frame`] does), and
/// the matrix, the largest message of the preprocessing, is not copied out
/// of a frame buffer.
fn recv_extend(ch: &mut impl Channel, n: usize, k: usize) -> Result<ExtendMsg> {
    const WHAT: &str = "KOS15 extension message";
    let ots = extended_len(n);
    let len = extend_msg_len(n, k);
    let announced = ch.recv_u64()?;
    if announced > len as u64 {
        return Err(ChannelError::TooLarge {
            what: WHAT,
            len: announced,
            max: len as u64,
        }
        .into());
    }
    if announced < len as u64 {
        return Err(AuthError::Malformed {
            what: WHAT,
            expected: len,
            got: announced as usize,
        }
        .into());
    }
    let mut matrix = Matrix::for_ots(ots, k);
    ch.read_exact(matrix.as_bytes_mut())?;
    let mut commitment = [0u8; Commitment::LEN];
    ch.read_exact(&mut commitment)?;
    Ok(ExtendMsg {
        matrix,
        commitment: Commitment::from_bytes(&commitment)?,
    })
}

/// Correlated OTs with this party as KOS15 receiver: its MACs `t_i`.
fn cot_receive(
    receiver: &mut KosReceiver,
    ch: &mut impl Channel,
    choices: &[bool],
) -> Result<Zeroizing<Vec<Block>>> {
    let (msg, pending) = receiver.extend(choices);
    // One frame, its two parts written where they are (no joined copy).
    let matrix = msg.matrix.as_bytes();
    ch.send_u64((matrix.len() + Commitment::LEN) as u64)?;
    ch.write_all(matrix)?;
    ch.write_all(&msg.commitment.0)?;
    ch.flush()?;
    let challenge = ch.recv_frame("KOS15 challenge", 32)?;
    let (check, t) = pending.respond(&ChallengeMsg::from_bytes(&challenge)?);
    ch.send_frame(&check.to_bytes())?;
    ch.flush()?;
    Ok(t)
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

/// The KOS15 sender of an extension whose base OTs chose the bits of
/// `delta` (`chosen`). With SoftSpokenOT (`k > 1`) it first receives and
/// checks the receiver's GGM trees (`yao_core::auth::kos`, "Over
/// SoftSpokenOT"), the message the extension needs once, before its first
/// use.
fn extension_sender(
    ch: &mut impl Channel,
    k: usize,
    delta: &GlobalKey,
    chosen: &[Block],
) -> Result<KosSender> {
    if k == 1 {
        return Ok(KosSender::new(delta.block(), chosen));
    }
    let tree = ch.recv_frame("SoftSpokenOT tree setup", TreeSetupMsg::len_for(k) as u64)?;
    let tree = TreeSetupMsg::from_bytes(&tree, k)?;
    Ok(KosSender::soft_spoken(k, delta.block(), chosen, &tree)?)
}

/// The KOS15 receiver of an extension whose base OTs it sent (`pairs`);
/// with SoftSpokenOT (`k > 1`) it sends its checked GGM trees first.
fn extension_receiver(
    ch: &mut impl Channel,
    k: usize,
    pairs: &[[Block; 2]],
) -> Result<KosReceiver> {
    if k == 1 {
        return Ok(KosReceiver::new(pairs));
    }
    let (receiver, tree) = KosReceiver::soft_spoken(k, pairs);
    ch.send_frame(&tree.to_bytes())?;
    ch.flush()?;
    Ok(receiver)
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
    /// one public-key base OT for `A`'s (A chooses the bits of its key),
    /// then 128 checked OTs of `A`'s extension, hashed and derandomized
    /// onto the bits of `B`'s key, for `B`'s ([`bootstrap`]; `B`'s swap
    /// bits go ahead of its extension message, in the same flush). The
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
        let (sender, receiver) = match role {
            Role::A => {
                let chosen = base_receive(ch, delta.block())?;
                let mut sender = extension_sender(ch, k, &delta, &chosen)?;
                let swap = ch.recv_frame("base-OT bootstrap swap bits", SwapMsg::LEN as u64)?;
                let swap = SwapMsg::from_bytes(&swap)?;
                let q = cot_send(&mut sender, ch, KAPPA)?;
                let pairs = bootstrap::seed_pairs(&q, delta.block(), &swap);
                (sender, extension_receiver(ch, k, &pairs)?)
            }
            Role::B => {
                let pairs = ot::base_send(ch)?;
                let mut receiver = extension_receiver(ch, k, &pairs)?;
                let choices = bootstrap::choices();
                ch.send_frame(&bootstrap::swap_msg(&choices, delta.block()).0)?;
                let t = cot_receive(&mut receiver, ch, &choices)?;
                let seeds = bootstrap::chosen_seeds(&t);
                (extension_sender(ch, k, &delta, &seeds)?, receiver)
            }
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

    /// `n` random shared authenticated bits: `A`'s extension first.
    pub fn shares(&mut self, ch: &mut impl Channel, n: usize) -> Result<Zeroizing<Vec<Share>>> {
        let (bits, macs, keys) = self.cots(ch, n)?;
        Ok(shares_from_cots(&bits, &macs, &keys))
    }

    /// The correlated OTs of `n` shared bits, `A`'s extension first: this
    /// party's random bits, its MACs on them and its keys for the peer's.
    fn cots(&mut self, ch: &mut impl Channel, n: usize) -> Result<Cots> {
        let bits = Zeroizing::new(yao_core::block::random_bits(n));
        let (keys, macs) = match self.role {
            Role::A => {
                let keys = cot_send(&mut self.sender, ch, n)?;
                (keys, cot_receive(&mut self.receiver, ch, &bits)?)
            }
            Role::B => {
                let macs = cot_receive(&mut self.receiver, ch, &bits)?;
                (cot_send(&mut self.sender, ch, n)?, macs)
            }
        };
        Ok((bits, macs, keys))
    }

    /// `n` leaky AND triples (WRK17 section 5.1), equality-checked.
    pub fn leaky_triples(
        &mut self,
        ch: &mut impl Channel,
        n: usize,
    ) -> Result<Zeroizing<Vec<Triple>>> {
        let (bits, macs, keys) = self.cots(ch, 3 * n)?;
        let first = self.leaky;
        self.leaky += n as u64;
        let (run, u) = LeakyAnd::from_cots(self.role, &self.delta, (&bits, &macs, &keys), first);
        drop((bits, macs, keys));
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
