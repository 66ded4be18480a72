//! IKNP OT extension with the correlated-OT optimization of ALSZ.
//!
//! Ishai, Kilian, Nissim and Petrank ("Extending Oblivious Transfers
//! Efficiently", CRYPTO 2003) turn 128 base OTs into any number of OTs with
//! symmetric cryptography only. Roles are swapped for the base OTs: the
//! extension *sender* holds a 128-bit string `s` and receives, in base OT `j`,
//! the seed `k_j^{s_j}` of the extension *receiver*'s pair `(k_j^0, k_j^1)`.
//!
//! For a batch of `m` OTs with choice bits `r`, the receiver expands every seed
//! with a PRG into a column of `m` bits, `t_j = G(k_j^0)`, and sends
//! `u_j = t_j ^ G(k_j^1) ^ r`. The sender computes
//! `q_j = G(k_j^{s_j}) ^ s_j * u_j = t_j ^ s_j * r`. Read row-wise (after a
//! bit-matrix transpose), OT `i` gives the sender `q_i` and the receiver
//! `t_i = q_i ^ r_i * s`.
//!
//! Correlated OT (Asharov, Lindell, Schneider and Zohner, "More Efficient
//! Oblivious Transfer and Extensions for Faster Secure Computation", CCS 2013,
//! section 5.4): with `s = Delta`, the garbler's free-XOR offset, the sender's
//! outputs are the zero-labels `q_i` and the receiver's are exactly its active
//! labels `q_i ^ r_i * Delta`, so no correction message and no final hash are
//! needed. Why omitting IKNP's final hash `H(i, q_i ^ x*s)` is sound here: that
//! hash only serves to turn the *correlated* pair `(q_i, q_i ^ s)` into two
//! independent messages for a general 1-out-of-2 OT. The garbling needs the
//! correlation - it is the functionality "correlated OT with a global `Delta`"
//! (F_COT), which IKNP without the hash securely realizes against semi-honest
//! parties: the receiver's view (its own seeds) is independent of `Delta`, and
//! the sender's view `u_j ^ G(k_j^{s_j}) = G(k_j^{1-s_j}) ^ r` is
//! pseudorandom. Labels correlated by a global `Delta` are then protected by the
//! garbling's tweakable circular-correlation-robust hash, exactly as free-XOR
//! labels are (Guo, Katz, Wang and Yu, "Efficient and Secure Multiparty
//! Computation from Fixed-Key Block Ciphers", S&P 2020, which analyses IKNP
//! with the hash replaced by the TCCR hash of the garbling; emp-toolkit's
//! `send_cot` and Wang-Ranellucci-Katz 2017 use IKNP the same way).
//!
//! PRG: AES-128 in counter mode keyed by the seed ([`super::prg`]; each
//! column is one batched call). The counter continues across batches, so no
//! keystream block is ever reused.

use super::prg::Prg;
use super::transpose::{transpose_append, transpose_append_keep};
use super::MessageError;
use crate::block::{blocks_as_bytes, blocks_as_bytes_mut};
use crate::block::{Block, Delta};
use zeroize::Zeroize;

/// Base OTs, one per bit of `Delta`: the computational security parameter.
pub const KAPPA: usize = 128;

/// One batch of the receiver's matrix `u`: 128 rows (one per base OT) of
/// `ots` bits, row-major. On the wire it is exactly `16 * ots` bytes.
#[derive(Clone, Debug, Default)]
pub struct ChunkMsg {
    ots: usize,
    rows: Vec<Block>,
}

impl ChunkMsg {
    /// A zeroed message for `ots` OTs (a multiple of 128).
    pub fn new(ots: usize) -> ChunkMsg {
        let mut m = ChunkMsg::default();
        m.resize(ots);
        m
    }

    /// The number of OTs this message carries.
    pub fn ots(&self) -> usize {
        self.ots
    }

    /// Reuses the allocation for a batch of `ots` OTs.
    pub fn resize(&mut self, ots: usize) {
        assert!(
            ots.is_multiple_of(128),
            "a chunk is a whole number of 128-OT tiles"
        );
        self.ots = ots;
        self.rows.resize(ots, Block::ZERO);
    }

    /// The message as sent.
    pub fn as_bytes(&self) -> &[u8] {
        blocks_as_bytes(&self.rows)
    }

    /// The buffer a channel reads the next batch into.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        blocks_as_bytes_mut(&mut self.rows)
    }

    /// A copy of the message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    /// Parses a batch of `ots` OTs: exactly `16 * ots` bytes.
    pub fn from_bytes(bytes: &[u8], ots: usize) -> Result<ChunkMsg, MessageError> {
        if !ots.is_multiple_of(128) || bytes.len() != 16 * ots {
            return Err(MessageError::Malformed {
                what: "OT-extension matrix batch",
                expected: 16 * ots.next_multiple_of(128),
                got: bytes.len(),
            });
        }
        let mut m = ChunkMsg::new(ots);
        m.as_bytes_mut().copy_from_slice(bytes);
        Ok(m)
    }

    fn width(&self) -> usize {
        self.ots / 128
    }
}

/// Sets `ctr` to the `width` counter blocks starting at `*counter` and
/// advances it: every column uses the same counters under its own key.
pub(super) fn next_counters(counter: &mut u64, width: usize, ctr: &mut Vec<Block>) {
    ctr.clear();
    ctr.extend((0..width as u64).map(|k| Block(u128::from(*counter + k))));
    *counter += width as u64;
}

/// The extension sender (the garbler): holds `Delta` and one seed per base OT.
pub struct IknpSender {
    /// The correlation `s`: the garbler's `Delta`, or an IT-MAC global key
    /// (`crate::auth`), whose colour bit may be zero.
    delta: Block,
    prgs: Vec<Prg>,
    counter: u64,
    ctr: Vec<Block>,
    /// The matrix `Q`, rows padded (see [`stride`]).
    q: Vec<Block>,
}

impl IknpSender {
    /// `seeds[j]` is the base-OT output `k_j^{s_j}` for choice bit `s_j`,
    /// bit `j` of `delta`.
    pub fn new(delta: &Delta, seeds: &[Block]) -> IknpSender {
        IknpSender::with_correlation(delta.block(), seeds)
    }

    /// As [`IknpSender::new`] with any correlation `s`: `seeds[j]` is the
    /// base-OT output for choice bit `s_j`.
    pub(crate) fn with_correlation(s: Block, seeds: &[Block]) -> IknpSender {
        assert_eq!(seeds.len(), KAPPA, "one seed per base OT");
        IknpSender {
            delta: s,
            prgs: seeds.iter().map(|&s| Prg::new(s)).collect(),
            counter: 0,
            ctr: Vec::new(),
            q: Vec::new(),
        }
    }

    /// Turns one batch of the receiver's matrix into `msg.ots()` zero-labels
    /// `q_i`, appended to `out`.
    pub fn receive(&mut self, msg: &ChunkMsg, out: &mut Vec<Block>) {
        let width = msg.width();
        if width == 0 {
            return; // an empty batch: no OTs, and no PRG output used
        }
        let stride = stride(width);
        self.q.resize(128 * stride, Block::ZERO);
        next_counters(&mut self.counter, width, &mut self.ctr);
        let delta = self.delta;
        for (j, ((prg, u), q)) in self
            .prgs
            .iter()
            .zip(msg.rows.chunks_exact(width))
            .zip(self.q.chunks_exact_mut(stride))
            .enumerate()
        {
            let q = &mut q[..width];
            prg.fill(&self.ctr, q);
            let mask = Block::mask((delta.0 >> j) & 1 == 1);
            for (q, u) in q.iter_mut().zip(u) {
                *q ^= *u & mask;
            }
        }
        transpose_append(&self.q, stride, width, out);
    }
}

impl Drop for IknpSender {
    fn drop(&mut self) {
        self.delta.zeroize();
        self.q.zeroize();
    }
}

/// Row stride of the local matrices: one block of padding, so that the 128
/// rows of a tile do not all fall into the same cache sets.
pub(super) fn stride(width: usize) -> usize {
    width + 1
}

/// The extension receiver (the evaluator): holds both seeds of every base OT.
pub struct IknpReceiver {
    prgs: Vec<[Prg; 2]>,
    counter: u64,
    ctr: Vec<Block>,
    t: Vec<Block>,
    r: Vec<Block>,
}

impl IknpReceiver {
    /// `seeds[j]` is the base-OT sender's pair `(k_j^0, k_j^1)`.
    pub fn new(seeds: &[[Block; 2]]) -> IknpReceiver {
        assert_eq!(seeds.len(), KAPPA, "one seed pair per base OT");
        IknpReceiver {
            prgs: seeds
                .iter()
                .map(|&[a, b]| [Prg::new(a), Prg::new(b)])
                .collect(),
            counter: 0,
            ctr: Vec::new(),
            t: Vec::new(),
            r: Vec::new(),
        }
    }

    /// Makes one batch: fills `msg` (sized to `choices.len()` rounded up to
    /// 128) with the matrix for the sender and appends the receiver's labels
    /// `t_i = q_i ^ choices[i] * Delta` to `out` (one block per choice).
    pub fn send(&mut self, choices: &[bool], msg: &mut ChunkMsg, out: &mut Vec<Block>) {
        let ots = choices.len().next_multiple_of(128);
        msg.resize(ots);
        let width = msg.width();
        if width == 0 {
            return; // an empty batch: no OTs, and no PRG output used
        }
        let stride = stride(width);
        pack_bits(choices, width, &mut self.r);
        self.t.resize(128 * stride, Block::ZERO);
        next_counters(&mut self.counter, width, &mut self.ctr);
        for ((prg, u), t) in self
            .prgs
            .iter()
            .zip(msg.rows.chunks_exact_mut(width))
            .zip(self.t.chunks_exact_mut(stride))
        {
            let t = &mut t[..width];
            prg[0].fill(&self.ctr, t);
            prg[1].fill(&self.ctr, u);
            for ((u, t), r) in u.iter_mut().zip(t.iter()).zip(&self.r) {
                *u ^= *t ^ *r;
            }
        }
        transpose_append_keep(&self.t, stride, width, choices.len(), out);
    }
}

impl Drop for IknpReceiver {
    fn drop(&mut self) {
        self.t.zeroize();
        self.r.zeroize();
    }
}

/// Packs bools into `width` blocks, bit `i` of the whole string at bit
/// `i % 128` of block `i / 128`; the padding is zero.
pub(super) fn pack_bits(bits: &[bool], width: usize, out: &mut Vec<Block>) {
    out.clear();
    out.resize(width, Block::ZERO);
    let bytes = blocks_as_bytes_mut(out);
    let mut eights = bits.chunks_exact(8);
    for (byte, eight) in bytes.iter_mut().zip(&mut eights) {
        // Gather the low bit of eight 0/1 bytes into one byte with a
        // multiplication: byte k lands at bit 56 + k, with no carries.
        let x = u64::from_le_bytes(std::array::from_fn(|k| eight[k] as u8));
        *byte = (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8;
    }
    let rest = eights.remainder();
    if !rest.is_empty() {
        let at = bits.len() / 8;
        bytes[at] = rest
            .iter()
            .enumerate()
            .fold(0, |acc, (k, &b)| acc | (b as u8) << k);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_bits_is_little_endian() {
        let bits: Vec<bool> = (0..300).map(|i| i % 7 == 0 || i % 5 == 1).collect();
        let mut out = Vec::new();
        pack_bits(&bits, 3, &mut out);
        for (i, &b) in bits.iter().enumerate() {
            assert_eq!((out[i / 128].0 >> (i % 128)) & 1 == 1, b, "bit {i}");
        }
        assert_eq!(out[2].0 >> (300 - 256), 0, "padding is zero");
    }

    #[test]
    fn correlated_outputs_in_memory() {
        let delta = Delta::random();
        let pairs: Vec<[Block; 2]> = (0..KAPPA)
            .map(|_| [Block::random(), Block::random()])
            .collect();
        let chosen: Vec<Block> = (0..KAPPA)
            .map(|j| pairs[j][((delta.block().0 >> j) & 1) as usize])
            .collect();
        let mut tx = IknpSender::new(&delta, &chosen);
        let mut rx = IknpReceiver::new(&pairs);
        for n in [1, 128, 1000, 4096] {
            let choices: Vec<bool> = (0..n).map(|_| Block::random().lsb()).collect();
            let mut msg = ChunkMsg::default();
            let mut t = Vec::new();
            rx.send(&choices, &mut msg, &mut t);
            assert_eq!(t.len(), n);
            let wire = ChunkMsg::from_bytes(&msg.to_bytes(), msg.ots()).unwrap();
            let mut q = Vec::new();
            tx.receive(&wire, &mut q);
            assert_eq!(q.len(), n.next_multiple_of(128));
            for i in 0..n {
                assert_eq!(
                    t[i],
                    q[i] ^ (delta.block() & Block::mask(choices[i])),
                    "OT {i}"
                );
            }
        }
    }
}
