//! Arithmetic in GF(2^128), the field of the KOS15 consistency check.
//!
//! Elements are [`Block`]s read as polynomials over GF(2): bit `i` of the
//! `u128` is the coefficient of `x^i`, reduced modulo
//! `x^128 + x^7 + x^2 + x + 1` (the GCM polynomial, here without GCM's
//! reflected bit order, which only matters for interoperating with GHASH).
//! Any irreducible polynomial of degree 128 gives the field KOS15 needs.
//!
//! The check sums thousands of products, so products are accumulated as
//! unreduced 256-bit carry-less products and reduced once
//! ([`inner_product`]): reduction is linear. The carry-less multiply uses
//! `pclmulqdq` when the CPU has it (runtime detection) and a portable
//! shift-and-XOR loop otherwise; tests check both against a bit-serial
//! reference.

use crate::block::Block;

/// The product `a * b` in GF(2^128).
pub fn mul(a: Block, b: Block) -> Block {
    inner_product(&[a], &[b])
}

/// `sum_i a[i] * b[i]` in GF(2^128); the slices have equal length.
pub fn inner_product(a: &[Block], b: &[Block]) -> Block {
    let mut sum = Accumulator::default();
    sum.add_inner_product(a, b);
    sum.finish()
}

/// A sum of products kept unreduced (256 bits) across calls, so that an
/// inner product computed a tile at a time (its coefficients generated
/// tile by tile, never stored whole) costs one reduction, as
/// [`inner_product`] does.
#[derive(Clone, Copy, Debug, Default)]
pub struct Accumulator {
    lo: u128,
    hi: u128,
}

impl Accumulator {
    /// Adds `sum_i a[i] * b[i]`; the slices have equal length.
    pub fn add_inner_product(&mut self, a: &[Block], b: &[Block]) {
        assert_eq!(a.len(), b.len(), "an inner product of equal-length vectors");
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("pclmulqdq") {
            // SAFETY: the CPU has PCLMULQDQ (checked just above); SSE2 is
            // part of the x86_64 baseline.
            let (lo, hi) = unsafe { clmul::inner_product_wide(a, b) };
            self.lo ^= lo;
            self.hi ^= hi;
            return;
        }
        let (lo, hi) = portable_inner_product_wide(a, b);
        self.lo ^= lo;
        self.hi ^= hi;
    }

    /// The reduced sum.
    pub fn finish(self) -> Block {
        Block(reduce(self.lo, self.hi))
    }
}

/// The 256-bit carry-less product sum, without reduction, on any CPU.
fn portable_inner_product_wide(a: &[Block], b: &[Block]) -> (u128, u128) {
    let (mut lo, mut hi) = (0u128, 0u128);
    for (x, y) in a.iter().zip(b) {
        let (l, h) = portable_mul_wide(x.0, y.0);
        lo ^= l;
        hi ^= h;
    }
    (lo, hi)
}

/// The carry-less product of two 64-bit polynomials, branch-free.
fn portable_clmul64(a: u64, b: u64) -> u128 {
    let a = u128::from(a);
    (0..64).fold(0u128, |acc, i| {
        let bit = u128::from((b >> i) & 1);
        acc ^ ((a << i) & 0u128.wrapping_sub(bit))
    })
}

/// The 256-bit carry-less product of two 128-bit polynomials, as
/// (low, high) halves.
fn portable_mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a0, a1) = (a as u64, (a >> 64) as u64);
    let (b0, b1) = (b as u64, (b >> 64) as u64);
    let low = portable_clmul64(a0, b0);
    let high = portable_clmul64(a1, b1);
    let mid = portable_clmul64(a0, b1) ^ portable_clmul64(a1, b0);
    (low ^ (mid << 64), high ^ (mid >> 64))
}

/// Reduces `hi * x^128 + lo` modulo `x^128 + x^7 + x^2 + x + 1`.
fn reduce(lo: u128, hi: u128) -> u128 {
    // x^128 = x^7 + x^2 + x + 1, so hi * x^128 = hi * (x^7 + x^2 + x + 1):
    // its low 128 bits, and the (at most 7) bits that spill over x^128,
    // which fold once more without spilling again.
    let folded = hi ^ (hi << 1) ^ (hi << 2) ^ (hi << 7);
    let spill = (hi >> 127) ^ (hi >> 126) ^ (hi >> 121);
    lo ^ folded ^ spill ^ (spill << 1) ^ (spill << 2) ^ (spill << 7)
}

#[cfg(target_arch = "x86_64")]
mod clmul {
    use crate::block::Block;
    use std::arch::x86_64::{
        __m128i, _mm_clmulepi64_si128, _mm_loadu_si128, _mm_setzero_si128, _mm_storeu_si128,
        _mm_xor_si128,
    };

    /// As `portable_inner_product_wide`, with one `pclmulqdq` per 64x64
    /// product.
    ///
    /// # Safety
    /// The CPU must support PCLMULQDQ.
    #[target_feature(enable = "pclmulqdq")]
    pub(super) unsafe fn inner_product_wide(a: &[Block], b: &[Block]) -> (u128, u128) {
        let mut low = _mm_setzero_si128();
        let mut mid = _mm_setzero_si128();
        let mut high = _mm_setzero_si128();
        for (x, y) in a.iter().zip(b) {
            // SAFETY: a Block is 16 bytes; unaligned loads accept any address.
            let (x, y) = unsafe {
                (
                    _mm_loadu_si128((x as *const Block).cast::<__m128i>()),
                    _mm_loadu_si128((y as *const Block).cast::<__m128i>()),
                )
            };
            low = _mm_xor_si128(low, _mm_clmulepi64_si128::<0x00>(x, y));
            high = _mm_xor_si128(high, _mm_clmulepi64_si128::<0x11>(x, y));
            mid = _mm_xor_si128(mid, _mm_clmulepi64_si128::<0x01>(x, y));
            mid = _mm_xor_si128(mid, _mm_clmulepi64_si128::<0x10>(x, y));
        }
        let mut out = [0u128; 3];
        // SAFETY: each store writes 16 bytes into a u128 of `out`.
        unsafe {
            _mm_storeu_si128(out.as_mut_ptr().cast::<__m128i>(), low);
            _mm_storeu_si128(out.as_mut_ptr().add(1).cast::<__m128i>(), mid);
            _mm_storeu_si128(out.as_mut_ptr().add(2).cast::<__m128i>(), high);
        }
        let [low, mid, high] = out;
        (low ^ (mid << 64), high ^ (mid >> 64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bit-serial multiplication: shift `a` by `x` each step, reducing as it
    /// overflows; a different algorithm from the one under test.
    fn reference_mul(a: u128, b: u128) -> u128 {
        let (mut a, mut acc) = (a, 0u128);
        for i in 0..128 {
            if (b >> i) & 1 == 1 {
                acc ^= a;
            }
            let carry = a >> 127;
            a = (a << 1) ^ (carry * 0x87);
        }
        acc
    }

    #[test]
    fn x_to_the_128_reduces_to_the_low_terms() {
        assert_eq!(mul(Block(1 << 127), Block(2)), Block(0x87));
        assert_eq!(
            mul(Block(1 << 127), Block(1 << 127)).0,
            reference_mul(1 << 127, 1 << 127)
        );
    }

    #[test]
    fn one_is_the_identity_and_zero_annihilates() {
        let a = Block::random();
        assert_eq!(mul(a, Block(1)), a);
        assert_eq!(mul(Block::ZERO, a), Block::ZERO);
    }

    #[test]
    fn matches_the_bit_serial_reference() {
        for _ in 0..200 {
            let (a, b) = (Block::random(), Block::random());
            assert_eq!(mul(a, b).0, reference_mul(a.0, b.0));
            let (lo, hi) = portable_mul_wide(a.0, b.0);
            assert_eq!(reduce(lo, hi), reference_mul(a.0, b.0));
        }
    }

    #[test]
    fn inner_products_agree_across_backends_and_lengths() {
        for n in [0, 1, 2, 7, 64, 300] {
            let a: Vec<Block> = (0..n).map(|_| Block::random()).collect();
            let b: Vec<Block> = (0..n).map(|_| Block::random()).collect();
            let want = a
                .iter()
                .zip(&b)
                .fold(0, |acc, (x, y)| acc ^ reference_mul(x.0, y.0));
            assert_eq!(inner_product(&a, &b).0, want, "n = {n}");
            let (lo, hi) = portable_inner_product_wide(&a, &b);
            assert_eq!(reduce(lo, hi), want, "portable, n = {n}");
        }
    }

    #[test]
    fn an_accumulated_sum_equals_the_whole_inner_product() {
        let a: Vec<Block> = (0..1000).map(|_| Block::random()).collect();
        let b: Vec<Block> = (0..1000).map(|_| Block::random()).collect();
        let mut sum = Accumulator::default();
        for (x, y) in a.chunks(77).zip(b.chunks(77)) {
            sum.add_inner_product(x, y);
        }
        assert_eq!(sum.finish(), inner_product(&a, &b));
        assert_eq!(Accumulator::default().finish(), Block::ZERO);
    }

    #[test]
    fn field_laws() {
        for _ in 0..50 {
            let (a, b, c) = (Block::random(), Block::random(), Block::random());
            assert_eq!(mul(a, b), mul(b, a));
            assert_eq!(mul(mul(a, b), c), mul(a, mul(b, c)));
            assert_eq!(mul(a, b ^ c), mul(a, b) ^ mul(a, c));
        }
    }
}
