//! Oblivious transfer: how the evaluator gets the labels of its input bits.
//!
//! The garbler is the OT *sender*: it holds `Delta` and obtains random
//! zero-labels `q_i`. The evaluator is the OT *receiver*: with its input bits
//! as choices `c_i` it obtains `q_i ^ c_i * Delta`, its active labels, and
//! learns nothing about `q_i ^ (1 - c_i) * Delta`; the garbler learns nothing
//! about the `c_i`. This is correlated OT with a global `Delta`.
//!
//! Layers (the cores do no I/O; only [`CotSender`] and [`CotReceiver`] touch a
//! [`Channel`]):
//! - [`base`]: 128 base OTs, Masny-Rindal endemic OT on Ristretto.
//! - [`iknp`]: IKNP extension with the ALSZ correlated-OT optimization.
//! - [`prg`]: AES-128-CTR, the PRG that expands base-OT seeds.
//! - [`transpose`]: the SIMD bit-matrix transpose IKNP needs.
//!
//! Wire protocol (semi-honest, after the protocol handshake):
//! 1. setup, garbler -> evaluator: a frame of 128 * 64 bytes (base-OT points);
//! 2. setup, evaluator -> garbler: a frame of 32 bytes (base-OT key `A`);
//! 3. each `extend`, evaluator -> garbler: `n` as a u64, then the matrix `u`
//!    in batches of at most [`CHUNK`] OTs (16 bytes per OT, `n` rounded up to a
//!    multiple of 128). Nothing flows back, so extension is one-way streaming.
//!
//! Both parties know `n` from the circuit (the number of evaluator input
//! bits). The receiver still announces it, and the sender refuses a different
//! value before reading anything else, so a mismatch is a clear error rather
//! than silent garbage; the sender allocates only for its own `n`.

pub mod base;
pub mod iknp;
pub mod prg;
pub mod transpose;

use crate::block::{Block, Delta};
use crate::channel::{Channel, ChannelError};
use iknp::{ChunkMsg, IknpReceiver, IknpSender, KAPPA};
use zeroize::{Zeroize, Zeroizing};

/// OTs per batch of the extension matrix: bounds memory (a batch takes
/// `16 * CHUNK` bytes per buffer) whatever `n` is.
pub const CHUNK: usize = 1 << 13;

/// What went wrong in an oblivious transfer.
#[derive(Debug, thiserror::Error)]
pub enum OtError {
    #[error("oblivious transfer: {0}")]
    Channel(#[from] ChannelError),
    #[error(
        "oblivious transfer: the peer's {what} (#{index}) is not a valid Ristretto point encoding"
    )]
    InvalidPoint { what: &'static str, index: usize },
    #[error("oblivious transfer: the peer's {what} (#{index}) is the identity point")]
    IdentityPoint { what: &'static str, index: usize },
    #[error("oblivious transfer: malformed {what}: expected {expected} bytes, got {got}")]
    Malformed {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    #[error(
        "oblivious transfer: the receiver asked for {got} OTs but the sender expected {expected}"
    )]
    CountMismatch { expected: u64, got: u64 },
    #[error("oblivious transfer: an earlier extend failed, so the two parties' states no longer agree; run setup again")]
    Desynchronized,
}

/// The garbler's side of correlated OT.
pub struct CotSender {
    ext: IknpSender,
    msg: ChunkMsg,
    healthy: bool,
}

impl CotSender {
    /// Base OTs (sender here acts as base-OT receiver with choice bits =
    /// Delta's bits). Bit 0 of `Delta` is always 1 (point-and-permute), which
    /// is public anyway; the other 127 bits stay hidden from the evaluator.
    /// The base OTs use up to four threads.
    pub fn setup(ch: &mut impl Channel, delta: &Delta) -> Result<CotSender, OtError> {
        CotSender::prepare(delta).run(ch)
    }

    /// The garbler's half of the base OTs that needs no peer: its first
    /// message depends only on `Delta`, so a garbler computes it while it
    /// waits for an evaluator to connect, and [`CotSenderSetup::run`] then
    /// costs one round trip and the key derivation.
    pub fn prepare(delta: &Delta) -> CotSenderSetup {
        let bits = Zeroizing::new(
            (0..KAPPA)
                .map(|j| (delta.block().0 >> j) & 1 == 1)
                .collect::<Vec<bool>>(),
        );
        let (rx, msg) = base::BaseReceiver::new(&bits);
        CotSenderSetup {
            delta: delta.clone(),
            rx,
            msg: msg.to_bytes(),
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
            self.msg.resize(CHUNK.min(padded - out.len()));
            ch.read_exact(self.msg.as_bytes_mut())?;
            self.ext.receive(&self.msg, &mut out);
        }
        out[n..].iter_mut().for_each(Zeroize::zeroize);
        out.truncate(n);
        self.healthy = true;
        Ok(out)
    }
}

/// A [`CotSender`] whose first base-OT message is ready to send.
pub struct CotSenderSetup {
    delta: Delta,
    rx: base::BaseReceiver,
    msg: Vec<u8>,
}

impl CotSenderSetup {
    /// Sends the prepared message, reads the evaluator's answer and derives
    /// the base-OT seeds.
    pub fn run(self, ch: &mut impl Channel) -> Result<CotSender, OtError> {
        ch.send_frame(&self.msg)?;
        ch.flush()?;
        let reply = ch.recv_frame("base-OT sender message", base::SenderMsg::LEN as u64)?;
        let reply = base::SenderMsg::from_bytes(&reply)?;
        let mut seeds = self.rx.finish(&reply);
        let ext = IknpSender::new(&self.delta, &seeds);
        seeds.zeroize();
        Ok(CotSender {
            ext,
            msg: ChunkMsg::default(),
            healthy: true,
        })
    }
}

/// The evaluator's side of correlated OT.
pub struct CotReceiver {
    ext: IknpReceiver,
    msg: ChunkMsg,
    healthy: bool,
}

impl CotReceiver {
    /// Base OTs (the evaluator is the base-OT sender).
    pub fn setup(ch: &mut impl Channel) -> Result<CotReceiver, OtError> {
        let bytes = ch.recv_frame("base-OT receiver message", (KAPPA * 2 * 32) as u64)?;
        let msg = base::ReceiverMsg::from_bytes(&bytes, KAPPA)?;
        // Answer first: the garbler derives its keys while we derive ours.
        let (reply, sender) = base::respond(msg);
        ch.send_frame(&reply.to_bytes())?;
        ch.flush()?;
        let mut seeds = sender.keys()?;
        let ext = IknpReceiver::new(&seeds);
        seeds.zeroize();
        Ok(CotReceiver {
            ext,
            msg: ChunkMsg::default(),
            healthy: true,
        })
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
            self.ext.send(c, &mut self.msg, &mut out);
            ch.write_all(self.msg.as_bytes())?;
        }
        ch.flush()?;
        self.healthy = true;
        Ok(out)
    }
}
