//! Oblivious transfer over a channel: the drivers of the I/O-free cores in
//! `yao_core::ot` (base OT [`csw`], extension [`yao_core::ot::iknp`] or
//! [`yao_core::ot::softspoken`], chosen by [`Extension`]).
//!
//! The garbler is the OT *sender* and gets random zero-labels `q_i`; the
//! evaluator is the *receiver* and gets `q_i ^ c_i * Delta` for its input
//! bits `c_i` (correlated OT with the garbling's global `Delta`).
//!
//! Wire protocol (semi-honest, after the protocol handshake):
//! 1. setup, garbler -> evaluator: a frame of 32 + 128 * 32 bytes (the
//!    base-OT seed and points `B_i`, made before the evaluator connected);
//! 2. setup, evaluator -> garbler: a frame of 32 bytes (base-OT key `z`), then
//!    a frame of 128 * 16 + 32 bytes (the challenge and proof);
//! 3. setup, garbler -> evaluator: a frame of 32 bytes (the answer);
//! 4. SoftSpokenOT only, setup, evaluator -> garbler: a frame of
//!    [`TreeMsg::LEN`] (4096) bytes, the masked GGM level sums;
//! 5. each `extend`, evaluator -> garbler: `n` as a u64, then the matrix `u`
//!    (IKNP) or the corrections `c_g` (SoftSpokenOT) in batches of at most
//!    [`CHUNK`] OTs ([`Extension::bytes_per_ot`]: 16 bytes per OT for IKNP,
//!    `16 / k` for SoftSpokenOT, `n` rounded up to a multiple of 128).
//!    Nothing flows back, so extension is one-way streaming.
//!
//! Both parties must run the same [`Extension`]: nothing on the wire says
//! which, so the protocol's handshake has to agree on it. (A mismatch is not
//! silent garbage at setup: the frame of step 4 is either missing or
//! unexpected, and batch lengths differ.)
//!
//! Both parties know `n` from the circuit (the number of evaluator input
//! bits). The receiver still announces it, and the sender refuses a different
//! value before reading anything else, so a mismatch is a clear error rather
//! than silent garbage; the sender allocates only for its own `n`.

use crate::channel::{Channel, ChannelError};
use yao_core::block::{Block, Delta};
use yao_core::ot::csw;
use yao_core::ot::iknp::{ChunkMsg, IknpReceiver, IknpSender, KAPPA};
use yao_core::ot::softspoken::{self, SoftSpokenReceiver, SoftSpokenSender, TreeMsg};
use zeroize::{Zeroize, Zeroizing};

pub use yao_core::ot::MessageError;

/// OTs per batch of the extension matrix: bounds memory (a batch takes
/// `16 * CHUNK` bytes per buffer) whatever `n` is.
pub const CHUNK: usize = 1 << 13;

/// Which OT extension turns the 128 base OTs into any number of correlated
/// OTs. Both parties must use the same one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Extension {
    /// IKNP with the ALSZ correlated-OT optimization: 16 bytes per OT from
    /// the evaluator, one PRG block per OT per column.
    #[default]
    Iknp,
    /// SoftSpokenOT (Roy, CRYPTO 2022), semi-honest: `16 / k` bytes per OT,
    /// about `2^k / k` PRG blocks per OT per column; `k` in {1, 2, 4, 8}.
    SoftSpoken {
        /// Bits of `Delta` per small-field VOLE.
        k: u8,
    },
}

impl Extension {
    /// The SoftSpokenOT parameter to use when the handshake turns it on:
    /// `k = 4`. Measured on a 2-core AMD EPYC (VAES), correlated OTs per
    /// second per party on one thread, IKNP 1.3e8 (evaluator) / 2.0e8
    /// (garbler); SoftSpokenOT k = 2: 1.0e8 / 1.1e8, k = 4: 5.4e7-6.1e7 /
    /// 5.6e7-6.5e7, k = 8: 9.6e6 / 1.0e7 (AES-bound: 32 PRG blocks per OT).
    /// With `16 / k` bytes per OT, k = 4 keeps up with a link of about
    /// 2 Gbit/s and beats every other `k` below about 4 Gbit/s (4x IKNP's
    /// rate at 1 Gbit/s); k = 2 wins only on faster links or loopback (by
    /// about 20%), k = 8 only below about 300 Mbit/s, at 5x the CPU and
    /// 8 ms more setup. See `print_extension_rates` in `runtime/tests/ot.rs`.
    pub const SOFTSPOKEN_DEFAULT: Extension = Extension::SoftSpoken { k: 4 };

    /// Bytes the evaluator sends per OT (padding aside).
    pub fn bytes_per_ot(self) -> usize {
        match self {
            Extension::Iknp => 16,
            Extension::SoftSpoken { k } => 16 / usize::from(k.max(1)),
        }
    }

    /// Refuses parameters the cores do not run, before any I/O.
    fn check(self) -> Result<(), OtError> {
        match self {
            Extension::SoftSpoken { k } if !softspoken::is_supported(usize::from(k)) => {
                Err(OtError::UnsupportedExtension { k })
            }
            _ => Ok(()),
        }
    }

    /// Every extension the cores run, IKNP first.
    pub const ALL: [Extension; 5] = [
        Extension::Iknp,
        Extension::SoftSpoken { k: 1 },
        Extension::SoftSpoken { k: 2 },
        Extension::SoftSpoken { k: 4 },
        Extension::SoftSpoken { k: 8 },
    ];

    /// The name on the command line and in messages: `iknp`,
    /// `softspoken-k4`, ...
    pub fn name(self) -> String {
        match self {
            Extension::Iknp => "iknp".to_string(),
            Extension::SoftSpoken { k } => format!("softspoken-k{k}"),
        }
    }

    /// The byte that names the extension in the handshake: 0 for IKNP,
    /// `k` for SoftSpokenOT.
    pub fn code(self) -> u8 {
        match self {
            Extension::Iknp => 0,
            Extension::SoftSpoken { k } => k,
        }
    }

    /// The extension a handshake byte names, if the cores run it.
    pub fn from_code(code: u8) -> Option<Extension> {
        Extension::ALL.into_iter().find(|e| e.code() == code)
    }
}

impl std::fmt::Display for Extension {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl std::str::FromStr for Extension {
    type Err = String;

    fn from_str(s: &str) -> Result<Extension, String> {
        Extension::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown OT extension `{s}` (expected iknp, softspoken-k1, softspoken-k2, \
                     softspoken-k4 or softspoken-k8)"
                )
            })
    }
}

/// What went wrong in an oblivious transfer.
#[derive(Debug, thiserror::Error)]
pub enum OtError {
    /// The channel failed. Shown as it is: the protocol names the phase
    /// ([`crate::protocol::Phase::ObliviousTransfer`]).
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// The peer's message is not one the protocol allows.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// The receiver asked for another number of OTs than the circuit has.
    #[error(
        "oblivious transfer: the receiver asked for {got} OTs but the sender expected {expected}"
    )]
    CountMismatch {
        /// The sender's count.
        expected: u64,
        /// The receiver's count.
        got: u64,
    },
    /// A SoftSpokenOT parameter the implementation does not run.
    #[error(
        "oblivious transfer: SoftSpokenOT with k = {k} is not supported (k must be 1, 2, 4 or 8)"
    )]
    UnsupportedExtension {
        /// The requested `k`.
        k: u8,
    },
    /// An earlier extension failed part way.
    #[error("oblivious transfer: an earlier extend failed, so the two parties' states no longer agree; run setup again")]
    Desynchronized,
}

/// The garbler's side of correlated OT.
pub struct CotSender {
    ext: SenderExt,
    healthy: bool,
}

/// The extension core and its reusable batch buffer.
enum SenderExt {
    Iknp(IknpSender, ChunkMsg),
    SoftSpoken(SoftSpokenSender, softspoken::ChunkMsg),
}

impl CotSender {
    /// Base OTs (sender here acts as base-OT receiver with choice bits =
    /// Delta's bits). Bit 0 of `Delta` is always 1 (point-and-permute), which
    /// is public anyway; the other 127 bits stay hidden from the evaluator.
    /// The base OTs use up to four threads (see [`csw`]).
    pub fn setup(ch: &mut impl Channel, delta: &Delta) -> Result<CotSender, OtError> {
        CotSender::prepare(delta).run(ch)
    }

    /// [`CotSender::setup`] with the given extension (the evaluator must use
    /// the same one).
    pub fn setup_with(
        ch: &mut impl Channel,
        delta: &Delta,
        ext: Extension,
    ) -> Result<CotSender, OtError> {
        ext.check()?;
        CotSender::prepare(delta).run_with(ch, ext)
    }

    /// The extension this sender runs.
    pub fn extension(&self) -> Extension {
        match &self.ext {
            SenderExt::Iknp(..) => Extension::Iknp,
            SenderExt::SoftSpoken(ext, _) => Extension::SoftSpoken { k: ext.k() as u8 },
        }
    }

    /// The garbler's half of the base OTs that needs no peer: its first
    /// message depends only on `Delta`, so a garbler computes it while it
    /// waits for an evaluator to connect, and [`CotSenderSetup::run`] then
    /// costs one round trip and a half and the key derivation.
    pub fn prepare(delta: &Delta) -> CotSenderSetup {
        let bits = Zeroizing::new(
            (0..KAPPA)
                .map(|j| (delta.block().0 >> j) & 1 == 1)
                .collect::<Vec<bool>>(),
        );
        let (rx, msg) = csw::BaseReceiver::new(&bits);
        CotSenderSetup {
            delta: delta.clone(),
            rx,
            msg: msg.as_bytes().to_vec(),
        }
    }

    /// `n` correlated OTs: returns the zero-labels `q_i`. Can be called
    /// repeatedly after one setup.
    pub fn extend(&mut self, ch: &mut impl Channel, n: usize) -> Result<Vec<Block>, OtError> {
        if !self.healthy {
            return Err(OtError::Desynchronized);
        }
        // Cleared on success; any error leaves the PRG counters out of step.
        self.healthy = false;
        let got = ch.recv_u64()?;
        if got != n as u64 {
            return Err(OtError::CountMismatch {
                expected: n as u64,
                got,
            });
        }
        let padded = n.next_multiple_of(128);
        let mut out = Vec::with_capacity(padded);
        while out.len() < padded {
            let ots = CHUNK.min(padded - out.len());
            match &mut self.ext {
                SenderExt::Iknp(ext, msg) => {
                    msg.resize(ots);
                    ch.read_exact(msg.as_bytes_mut())?;
                    ext.receive(msg, &mut out);
                }
                SenderExt::SoftSpoken(ext, msg) => {
                    msg.resize(ots);
                    ch.read_exact(msg.as_bytes_mut())?;
                    ext.receive(msg, &mut out);
                }
            }
        }
        out[n..].iter_mut().for_each(Zeroize::zeroize);
        out.truncate(n);
        self.healthy = true;
        Ok(out)
    }
}

/// The base OTs (steps 1-3 of the wire protocol) on the base-OT receiver's
/// side: sends its first message `msg` (made with `rx`), derives the chosen
/// keys from the peer's key and answers the peer's challenge. Returns one
/// seed per base OT. Shared by [`CotSenderSetup`] and the malicious
/// preprocessing (`crate::preprocess`), whose parties are each base-OT
/// receiver once.
pub(crate) fn base_receive(
    ch: &mut impl Channel,
    rx: csw::BaseReceiver,
    msg: &[u8],
) -> Result<Zeroizing<Vec<Block>>, OtError> {
    ch.send_frame(msg)?;
    ch.flush()?;
    let z = ch.recv_frame("base-OT sender key", csw::SenderKey::LEN as u64)?;
    let z = csw::SenderKey::from_bytes(&z)?;
    // The peer derives its keys meanwhile: it sent `z` first.
    let keys = rx.derive(&z);
    let challenge = ch.recv_frame("base-OT challenge", csw::Challenge::len_for(KAPPA) as u64)?;
    let challenge = csw::Challenge::from_bytes(&challenge, KAPPA)?;
    let (seeds, answer) = keys.answer(&challenge)?;
    let seeds = Zeroizing::new(seeds);
    ch.send_frame(answer.as_bytes())?;
    ch.flush()?;
    Ok(seeds)
}

/// The base OTs on the base-OT sender's side: both seeds of each base OT.
pub(crate) fn base_send(ch: &mut impl Channel) -> Result<Zeroizing<Vec<[Block; 2]>>, OtError> {
    let sender = csw::BaseSender::new();
    let bytes = ch.recv_frame(
        "base-OT receiver message",
        csw::ReceiverMsg::len_for(KAPPA) as u64,
    )?;
    // `z` first, as soon as the peer's message is in (decoding it is ours to
    // do): the peer derives its keys while we derive ours. A bad message is
    // the error to report even if the peer has gone.
    let sent = ch
        .send_frame(sender.key().as_bytes())
        .and_then(|()| ch.flush());
    let msg = csw::ReceiverMsg::from_bytes(&bytes, KAPPA)?;
    sent?;
    let keys = sender.keys(&msg)?;
    ch.send_frame(keys.challenge().as_bytes())?;
    ch.flush()?;
    let answer = ch.recv_frame("base-OT answer", csw::Answer::LEN as u64)?;
    Ok(Zeroizing::new(
        keys.finish(&csw::Answer::from_bytes(&answer)?)?,
    ))
}

/// A [`CotSender`] whose first base-OT message is ready to send.
pub struct CotSenderSetup {
    delta: Delta,
    rx: csw::BaseReceiver,
    msg: Vec<u8>,
}

impl CotSenderSetup {
    /// Sends the prepared message, derives the chosen base-OT keys from the
    /// evaluator's key, and answers its challenge (IKNP extension).
    pub fn run(self, ch: &mut impl Channel) -> Result<CotSender, OtError> {
        self.run_with(ch, Extension::Iknp)
    }

    /// [`CotSenderSetup::run`] with the given extension: for SoftSpokenOT it
    /// then reads the evaluator's tree sums. The extension can be decided
    /// after [`CotSender::prepare`] (the prepared message does not depend on
    /// it), e.g. by the handshake.
    pub fn run_with(self, ch: &mut impl Channel, ext: Extension) -> Result<CotSender, OtError> {
        ext.check()?;
        let seeds = base_receive(ch, self.rx, &self.msg)?;
        let ext = match ext {
            Extension::Iknp => {
                SenderExt::Iknp(IknpSender::new(&self.delta, &seeds), ChunkMsg::default())
            }
            Extension::SoftSpoken { k } => {
                let k = usize::from(k);
                let tree = ch.recv_frame("SoftSpokenOT tree sums", TreeMsg::LEN as u64)?;
                let tree = TreeMsg::from_bytes(&tree)?;
                SenderExt::SoftSpoken(
                    SoftSpokenSender::new(k, &self.delta, &seeds, &tree),
                    softspoken::ChunkMsg::new(k),
                )
            }
        };
        Ok(CotSender { ext, healthy: true })
    }
}

/// The evaluator's side of correlated OT.
pub struct CotReceiver {
    ext: ReceiverExt,
    healthy: bool,
}

/// The extension core and its reusable batch buffer.
enum ReceiverExt {
    Iknp(IknpReceiver, ChunkMsg),
    SoftSpoken(SoftSpokenReceiver, softspoken::ChunkMsg),
}

impl CotReceiver {
    /// Base OTs (the evaluator is the base-OT sender), IKNP extension.
    pub fn setup(ch: &mut impl Channel) -> Result<CotReceiver, OtError> {
        CotReceiver::setup_with(ch, Extension::Iknp)
    }

    /// [`CotReceiver::setup`] with the given extension (the garbler must use
    /// the same one): for SoftSpokenOT it then sends its tree sums.
    pub fn setup_with(ch: &mut impl Channel, ext: Extension) -> Result<CotReceiver, OtError> {
        ext.check()?;
        let seeds = base_send(ch)?;
        let ext = match ext {
            Extension::Iknp => ReceiverExt::Iknp(IknpReceiver::new(&seeds), ChunkMsg::default()),
            Extension::SoftSpoken { k } => {
                let k = usize::from(k);
                let (rx, tree) = SoftSpokenReceiver::new(k, &seeds);
                drop(seeds);
                ch.send_frame(tree.as_bytes())?;
                ch.flush()?;
                ReceiverExt::SoftSpoken(rx, softspoken::ChunkMsg::new(k))
            }
        };
        Ok(CotReceiver { ext, healthy: true })
    }

    /// The extension this receiver runs.
    pub fn extension(&self) -> Extension {
        match &self.ext {
            ReceiverExt::Iknp(..) => Extension::Iknp,
            ReceiverExt::SoftSpoken(ext, _) => Extension::SoftSpoken { k: ext.k() as u8 },
        }
    }

    /// Returns `q_i ^ choices[i] * Delta` for each `i`.
    pub fn extend(
        &mut self,
        ch: &mut impl Channel,
        choices: &[bool],
    ) -> Result<Vec<Block>, OtError> {
        if !self.healthy {
            return Err(OtError::Desynchronized);
        }
        self.healthy = false;
        ch.send_u64(choices.len() as u64)?;
        let mut out = Vec::with_capacity(choices.len().next_multiple_of(128));
        for c in choices.chunks(CHUNK) {
            match &mut self.ext {
                ReceiverExt::Iknp(ext, msg) => {
                    ext.send(c, msg, &mut out);
                    ch.write_all(msg.as_bytes())?;
                }
                ReceiverExt::SoftSpoken(ext, msg) => {
                    ext.send(c, msg, &mut out);
                    ch.write_all(msg.as_bytes())?;
                }
            }
        }
        ch.flush()?;
        self.healthy = true;
        Ok(out)
    }
}
