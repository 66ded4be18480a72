//! `Block`: a 128-bit wire label, and `Delta`: the garbler's global free-XOR offset.
//!
//! Free-XOR (Kolesnikov-Schneider 2008) gives every wire a zero-label `L0`
//! and sets its one-label to `L0 ^ Delta` for one secret `Delta` shared by all
//! wires, so XOR gates cost nothing. Point-and-permute needs `lsb(Delta) = 1`,
//! so the two labels of a wire always differ in their last bit (the "colour"
//! bit the evaluator uses to pick a table row without learning the value).

use rand::TryRng;
use std::ops::{BitAnd, BitXor, BitXorAssign};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A 128-bit label. `u128` XOR compiles to one SSE instruction, and the
/// 16-byte alignment lets slices of blocks be handed to AES without copies.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Zeroize)]
#[repr(transparent)]
pub struct Block(pub u128);

impl Block {
    /// The all-zero block.
    pub const ZERO: Block = Block(0);
    /// The all-ones block.
    pub const ONES: Block = Block(u128::MAX);

    /// A uniformly random block from the operating system's generator.
    pub fn random() -> Block {
        let mut bytes = [0u8; 16];
        fill_random(&mut bytes);
        Block(u128::from_le_bytes(bytes))
    }

    /// The block whose little-endian bytes are `bytes`.
    pub fn from_bytes(bytes: [u8; 16]) -> Block {
        Block(u128::from_le_bytes(bytes))
    }

    /// The block's little-endian bytes.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_le_bytes()
    }

    /// The point-and-permute (colour) bit.
    #[inline(always)]
    pub fn lsb(self) -> bool {
        self.0 & 1 == 1
    }

    /// All ones if `bit`, all zeros otherwise, without a branch: the mask
    /// used to select `Delta` or a table row from a secret bit.
    #[inline(always)]
    pub fn mask(bit: bool) -> Block {
        Block(0u128.wrapping_sub(bit as u128))
    }
}

impl BitXor for Block {
    type Output = Block;
    #[inline(always)]
    fn bitxor(self, rhs: Block) -> Block {
        Block(self.0 ^ rhs.0)
    }
}

impl BitXorAssign for Block {
    #[inline(always)]
    fn bitxor_assign(&mut self, rhs: Block) {
        self.0 ^= rhs.0;
    }
}

impl BitAnd for Block {
    type Output = Block;
    #[inline(always)]
    fn bitand(self, rhs: Block) -> Block {
        Block(self.0 & rhs.0)
    }
}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Block({:032x})", self.0)
    }
}

/// The global free-XOR offset. Knowing it means knowing both labels of every
/// wire, so it never leaves the garbler, its `Debug` prints nothing, and it is
/// zeroized when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Delta(Block);

impl Delta {
    /// A fresh random `Delta` with its least significant bit set.
    pub fn random() -> Delta {
        Delta(Block(Block::random().0 | 1))
    }

    /// Wraps a block, forcing the point-and-permute bit on.
    pub fn from_block(b: Block) -> Delta {
        Delta(Block(b.0 | 1))
    }

    /// `Delta` as a block, for XOR into labels.
    #[inline(always)]
    pub fn block(&self) -> Block {
        self.0
    }
}

impl std::fmt::Debug for Delta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Delta(<secret>)")
    }
}

/// Fills `buf` from the operating system's generator (getrandom). A failure
/// of the OS generator is unrecoverable for a cryptographic protocol, so it
/// aborts with a message rather than continuing with weak randomness.
pub fn fill_random(buf: &mut [u8]) {
    if let Err(e) = rand::rngs::SysRng.try_fill_bytes(buf) {
        panic!("the operating system's random number generator failed: {e}");
    }
}

/// `n` uniformly random bits from the operating system's generator (choice
/// bits, masks): one bit of [`fill_random`]'s bytes each, the bytes wiped.
pub fn random_bits(n: usize) -> Vec<bool> {
    let mut bytes = vec![0u8; n.div_ceil(8)];
    fill_random(&mut bytes);
    let bits = unpack_bits(&bytes, n);
    bytes.zeroize();
    bits
}

/// Bits packed eight to a byte, bit `i` at bit `i % 8` of byte `i / 8`: the
/// one wire order of every packed bit string.
pub fn pack_bits(bits: impl IntoIterator<Item = bool>) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, b) in bits.into_iter().enumerate() {
        if i % 8 == 0 {
            out.push(0);
        }
        if let Some(last) = out.last_mut() {
            *last |= (b as u8) << (i % 8);
        }
    }
    out
}

/// The first `n` bits of `bytes` as [`pack_bits`] wrote them; a missing
/// byte reads as zeros (callers that must refuse short or padded input
/// check the length first).
pub fn unpack_bits(bytes: &[u8], n: usize) -> Vec<bool> {
    (0..n)
        .map(|i| bytes.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 == 1))
        .collect()
}

/// Views blocks as their little-endian bytes (x86_64 and aarch64 are
/// little-endian, so `Block(u128)` is already in wire order).
pub fn blocks_as_bytes(blocks: &[Block]) -> &[u8] {
    #[cfg(target_endian = "big")]
    compile_error!("Yao's wire format assumes a little-endian target");
    // SAFETY: Block is repr(transparent) over u128, which has no padding and
    // no invalid bit patterns; u8 has alignment 1.
    unsafe { std::slice::from_raw_parts(blocks.as_ptr().cast(), std::mem::size_of_val(blocks)) }
}

/// As [`blocks_as_bytes`], writable: the OT cores and channels fill blocks
/// in place from bytes.
pub fn blocks_as_bytes_mut(blocks: &mut [Block]) -> &mut [u8] {
    // SAFETY: as above; every byte pattern is a valid u128.
    unsafe {
        std::slice::from_raw_parts_mut(blocks.as_mut_ptr().cast(), std::mem::size_of_val(blocks))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_bits_round_trip_least_significant_first() {
        let bits: Vec<bool> = (0..19).map(|i| i % 3 == 0).collect();
        let packed = pack_bits(bits.iter().copied());
        assert_eq!(packed, [0b0100_1001, 0b1001_0010, 0b100]);
        assert_eq!(unpack_bits(&packed, 19), bits);
    }

    #[test]
    fn delta_has_colour_bit() {
        for _ in 0..100 {
            assert!(Delta::random().block().lsb());
        }
    }

    #[test]
    fn random_blocks_differ() {
        assert_ne!(Block::random(), Block::random());
    }

    #[test]
    fn mask_selects() {
        let b = Block::random();
        assert_eq!(b & Block::mask(true), b);
        assert_eq!(b & Block::mask(false), Block::ZERO);
    }
}
