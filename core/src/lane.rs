//! Labels as SIMD registers in the hot loops.
//!
//! `Block` wraps a `u128`, which LLVM often splits into two 64-bit general
//! registers; a label stored as two 64-bit halves and reloaded as one 128-bit
//! value then misses store-to-load forwarding, which stalled the free-gate
//! loop for ~15 cycles per gate. `Lane` keeps a label in an SSE register
//! from load to store. On other architectures it is a plain `u128`.

use crate::block::Block;

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::*;

    /// One label in an SSE register (SSE2 is part of the x86-64 baseline).
    #[derive(Clone, Copy)]
    #[repr(transparent)]
    pub(crate) struct Lane(__m128i);

    impl Lane {
        #[inline(always)]
        pub(crate) fn xor(self, o: Lane) -> Lane {
            // SAFETY: SSE2 is in the x86-64 baseline.
            Lane(unsafe { _mm_xor_si128(self.0, o.0) })
        }

        #[inline(always)]
        pub(crate) fn and(self, o: Lane) -> Lane {
            // SAFETY: SSE2 is in the x86-64 baseline.
            Lane(unsafe { _mm_and_si128(self.0, o.0) })
        }

        /// The label whose low and high 64 bits are `lo` and `hi`, built
        /// in the register (stored with one 128-bit store, so that a later
        /// 128-bit load of it is forwarded; three-halves computes labels
        /// as halves).
        #[inline(always)]
        pub(crate) fn from_halves(lo: u64, hi: u64) -> Lane {
            // SAFETY: SSE2 is in the x86-64 baseline.
            Lane(unsafe { _mm_set_epi64x(hi as i64, lo as i64) })
        }

        /// All ones if the colour bit (bit 0) is set, else zero: a
        /// branch-free select mask.
        #[inline(always)]
        pub(crate) fn colour_mask(self) -> Lane {
            // SAFETY: SSE2 is in the x86-64 baseline.
            unsafe {
                let lo = _mm_shuffle_epi32::<0>(self.0);
                Lane(_mm_srai_epi32::<31>(_mm_slli_epi32::<31>(lo)))
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod imp {
    /// One label (portable fallback).
    #[derive(Clone, Copy)]
    #[repr(transparent)]
    pub struct Lane(u128);

    impl Lane {
        #[inline(always)]
        pub fn xor(self, o: Lane) -> Lane {
            Lane(self.0 ^ o.0)
        }

        #[inline(always)]
        pub fn and(self, o: Lane) -> Lane {
            Lane(self.0 & o.0)
        }

        #[inline(always)]
        pub fn from_halves(lo: u64, hi: u64) -> Lane {
            Lane(lo as u128 | (hi as u128) << 64)
        }

        #[inline(always)]
        pub fn colour_mask(self) -> Lane {
            Lane(0u128.wrapping_sub(self.0 & 1))
        }
    }
}

pub(crate) use imp::Lane;

// Both are 16 bytes with 16-byte alignment (u128 is 16-aligned on x86-64
// since Rust 1.77), so slices convert in place.
const _: () = assert!(std::mem::size_of::<Lane>() == 16 && std::mem::size_of::<Block>() == 16);
const _: () = assert!(std::mem::align_of::<Lane>() <= std::mem::align_of::<Block>());

/// Views labels as lanes.
#[inline(always)]
pub(crate) fn lanes(b: &[Block]) -> &[Lane] {
    // SAFETY: same size, Lane's alignment is not stricter (checked above),
    // every bit pattern is valid for both.
    unsafe { std::slice::from_raw_parts(b.as_ptr().cast(), b.len()) }
}

#[inline(always)]
pub(crate) fn lanes_mut(b: &mut [Block]) -> &mut [Lane] {
    // SAFETY: as in `lanes`.
    unsafe { std::slice::from_raw_parts_mut(b.as_mut_ptr().cast(), b.len()) }
}

#[inline(always)]
pub(crate) fn lane(b: Block) -> Lane {
    lanes(std::slice::from_ref(&b))[0]
}
