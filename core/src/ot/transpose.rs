//! Bit-matrix transpose: 128 rows of `128 * width` bits into `128 * width`
//! blocks of 128 bits. Rows are `stride >= width` blocks apart, so callers
//! can pad them: a power-of-two stride makes the 128 rows of a tile collide
//! in the same few cache sets.
//!
//! OT extension works on columns (one per base OT) but outputs rows (one per
//! extended OT), so every extended OT passes through this transpose. Bit `i`
//! of row `j` becomes bit `j` of output block `i` (little-endian: bit `i` of a
//! row is bit `i % 128` of its block `i / 128`).
//!
//! On x86_64: a 16x16 byte transpose by four rounds of byte interleaving,
//! then `movemask` collects one bit from each of 16 (SSE2) or 32 (AVX2,
//! detected at run time) rows per instruction, the idea of emp-toolkit's
//! `sse_trans`. Other targets use a portable branch-free loop. No path
//! branches on the data.

use crate::block::Block;
use zeroize::Zeroize;

/// Transposes `rows` (128 rows, row `j` at `rows[j * stride..]`, of
/// `out.len() / 128` blocks each) into `out`.
///
/// # Panics
/// If the shapes do not fit (a caller bug, never peer input).
pub fn transpose(rows: &[Block], stride: usize, out: &mut [Block]) {
    check(rows, stride, out.len());
    // SAFETY: `out` is valid for `out.len()` writes and `check` passed.
    unsafe { transpose_raw(rows, stride, out.len() / 128, out.as_mut_ptr()) }
}

/// Like [`transpose`] for `width` tiles, appending the `128 * width` blocks to
/// `out` without zeroing them first (the output of OT extension is large;
/// writing it once instead of twice matters).
pub fn transpose_append(rows: &[Block], stride: usize, width: usize, out: &mut Vec<Block>) {
    let m = 128 * width;
    check(rows, stride, m);
    out.reserve(m);
    let len = out.len();
    // SAFETY: `reserve` made room for `m` blocks after `len`; `transpose_raw`
    // writes all 16 bytes of each of them before `set_len` exposes them.
    unsafe {
        transpose_raw(rows, stride, width, out.as_mut_ptr().add(len));
        out.set_len(len + m);
    }
}

/// [`transpose_append`], keeping only the first `keep` of the `128 * width`
/// rows: the rows past `keep` are the padding of an OT batch to a whole
/// tile, labels that are nobody's, so they are wiped before they are
/// dropped (both OT-extension receivers).
pub fn transpose_append_keep(
    rows: &[Block],
    stride: usize,
    width: usize,
    keep: usize,
    out: &mut Vec<Block>,
) {
    let len = out.len();
    transpose_append(rows, stride, width, out);
    out[len + keep..].iter_mut().for_each(Zeroize::zeroize);
    out.truncate(len + keep);
}

fn check(rows: &[Block], stride: usize, out_len: usize) {
    assert!(
        out_len.is_multiple_of(128),
        "transpose: whole 128-block tiles"
    );
    assert!(
        stride >= out_len / 128,
        "transpose: stride shorter than a row"
    );
    assert_eq!(
        rows.len(),
        128 * stride,
        "transpose: input must be 128 rows"
    );
}

/// # Safety
/// `check(rows, stride, 128 * width)` holds and `out` is valid for writes of
/// `128 * width` blocks.
unsafe fn transpose_raw(rows: &[Block], stride: usize, width: usize, out: *mut Block) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: forwarded.
    unsafe {
        x86::transpose(rows, stride, width, out)
    }
    #[cfg(not(target_arch = "x86_64"))]
    // SAFETY: forwarded.
    unsafe {
        portable_raw(rows, stride, width, out)
    }
}

/// The branch-free portable path.
///
/// # Safety
/// As for `transpose_raw`.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
unsafe fn portable_raw(rows: &[Block], stride: usize, width: usize, out: *mut Block) {
    for tile in 0..width {
        for i in 0..128 {
            let mut v = 0u128;
            for j in 0..128 {
                v |= ((rows[j * stride + tile].0 >> i) & 1) << j;
            }
            // SAFETY: `tile * 128 + i < 128 * width`.
            unsafe { out.add(tile * 128 + i).write(Block(v)) };
        }
    }
}

/// The portable path, used where no SIMD path exists (and as the reference
/// in tests).
pub fn transpose_portable(rows: &[Block], stride: usize, out: &mut [Block]) {
    check(rows, stride, out.len());
    // SAFETY: `out` is valid for `out.len()` writes and `check` passed.
    unsafe { portable_raw(rows, stride, out.len() / 128, out.as_mut_ptr()) }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! Both paths view a 128x128 tile as 16x16 bytes per 16 rows, transpose
    //! the bytes with four rounds of `unpack{lo,hi}_epi8` (each round rotates
    //! the 8-bit index (row, byte) by one place, so four rounds swap its
    //! halves), then peel bit 7, 6, ..., 0 of every byte with `movemask`.
    //! The AVX2 path does two 16-row groups at once, one per 128-bit lane.
    use crate::block::Block;
    use std::arch::x86_64::*;

    /// # Safety
    /// As for `super::transpose_raw`.
    pub(super) unsafe fn transpose(rows: &[Block], stride: usize, width: usize, out: *mut Block) {
        if std::arch::is_x86_feature_detected!("avx2") {
            for tile in 0..width {
                for group in 0..4 {
                    // SAFETY: AVX2 was detected; the caller's contract and
                    // `tile < width <= stride`, `group < 4` keep every access
                    // of `group32` in bounds.
                    unsafe { group32(rows.as_ptr(), stride, tile, group, out) };
                }
            }
        } else {
            // SAFETY: forwarded.
            unsafe { transpose_sse2(rows, stride, width, out) }
        }
    }

    /// # Safety
    /// As for `super::transpose_raw`.
    pub(super) unsafe fn transpose_sse2(
        rows: &[Block],
        stride: usize,
        width: usize,
        out: *mut Block,
    ) {
        for tile in 0..width {
            for group in 0..8 {
                // SAFETY: SSE2 is part of x86_64; bounds as for AVX2.
                unsafe { group16(rows.as_ptr(), stride, tile, group, out) };
            }
        }
    }

    /// Rows `16 * group ..` of tile `tile` into bits `16 * group ..` of
    /// output blocks `128 * tile ..`.
    #[inline]
    #[target_feature(enable = "sse2")]
    unsafe fn group16(
        rows: *const Block,
        stride: usize,
        tile: usize,
        group: usize,
        out: *mut Block,
    ) {
        // SAFETY: rows `16 * group + k < 128` of tile `tile < stride` are in
        // `rows` by the caller's contract.
        let mut x: [__m128i; 16] = std::array::from_fn(|k| unsafe {
            _mm_loadu_si128(rows.add((16 * group + k) * stride + tile).cast())
        });
        for _ in 0..4 {
            let mut y = [_mm_setzero_si128(); 16];
            for k in 0..8 {
                y[2 * k] = _mm_unpacklo_epi8(x[k], x[k + 8]);
                y[2 * k + 1] = _mm_unpackhi_epi8(x[k], x[k + 8]);
            }
            x = y;
        }
        // SAFETY: output blocks `128 * tile ..` exist by the caller's contract.
        let out = unsafe { out.add(128 * tile).cast::<u8>().add(2 * group) };
        for (c, mut v) in x.into_iter().enumerate() {
            for b in (0..8).rev() {
                let bits = _mm_movemask_epi8(v) as u16;
                // SAFETY: byte `2 * group < 16` of block `8 * c + b < 128`.
                unsafe {
                    out.add((8 * c + b) * 16)
                        .cast::<u16>()
                        .write_unaligned(bits)
                };
                v = _mm_slli_epi64(v, 1);
            }
        }
    }

    /// Rows `32 * group ..` (low lane: the first 16, high lane: the next 16).
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn group32(
        rows: *const Block,
        stride: usize,
        tile: usize,
        group: usize,
        out: *mut Block,
    ) {
        // SAFETY: rows `32 * group + 16 + k < 128` of tile `tile < stride` are
        // in `rows` by the caller's contract.
        let mut x: [__m256i; 16] = std::array::from_fn(|k| unsafe {
            let lo = _mm_loadu_si128(rows.add((32 * group + k) * stride + tile).cast());
            let hi = _mm_loadu_si128(rows.add((32 * group + 16 + k) * stride + tile).cast());
            _mm256_set_m128i(hi, lo)
        });
        for _ in 0..4 {
            let mut y = [_mm256_setzero_si256(); 16];
            for k in 0..8 {
                y[2 * k] = _mm256_unpacklo_epi8(x[k], x[k + 8]);
                y[2 * k + 1] = _mm256_unpackhi_epi8(x[k], x[k + 8]);
            }
            x = y;
        }
        // SAFETY: output blocks `128 * tile ..` exist by the caller's contract.
        let out = unsafe { out.add(128 * tile).cast::<u8>().add(4 * group) };
        for (c, mut v) in x.into_iter().enumerate() {
            for b in (0..8).rev() {
                let bits = _mm256_movemask_epi8(v) as u32;
                // SAFETY: bytes `4 * group .. + 4 <= 16` of block `8 * c + b < 128`.
                unsafe {
                    out.add((8 * c + b) * 16)
                        .cast::<u32>()
                        .write_unaligned(bits)
                };
                v = _mm256_slli_epi64(v, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_matches_reference() {
        for (width, stride) in [(1, 1), (2, 2), (5, 5), (2, 3), (4, 9)] {
            let rows: Vec<Block> = (0..128 * stride).map(|_| Block::random()).collect();
            let mut a = vec![Block::ZERO; 128 * width];
            let mut b = vec![Block::ZERO; 128 * width];
            transpose_portable(&rows, stride, &mut b);
            transpose(&rows, stride, &mut a);
            assert_eq!(a, b);
            #[cfg(target_arch = "x86_64")]
            {
                a.fill(Block::ZERO);
                // SAFETY: shapes as checked by `transpose` above.
                unsafe { x86::transpose_sse2(&rows, stride, width, a.as_mut_ptr()) };
                assert_eq!(a, b, "sse2");
            }
            let mut c = vec![Block(7)];
            transpose_append(&rows, stride, width, &mut c);
            assert_eq!(c[0], Block(7));
            assert_eq!(&c[1..], &b[..], "append");
        }
    }

    #[test]
    fn single_bits_move_to_their_place() {
        let width = 3;
        for (j, i) in [(0, 0), (5, 200), (127, 383), (64, 1), (1, 127)] {
            let mut rows = vec![Block::ZERO; 128 * width];
            rows[j * width + i / 128] = Block(1 << (i % 128));
            let mut out = vec![Block::ZERO; 128 * width];
            let mut reference = vec![Block::ZERO; 128 * width];
            transpose(&rows, width, &mut out);
            transpose_portable(&rows, width, &mut reference);
            for k in 0..out.len() {
                let want = if k == i { Block(1 << j) } else { Block::ZERO };
                assert_eq!(out[k], want, "bit ({j}, {i}) -> block {k}");
                assert_eq!(reference[k], want, "portable: bit ({j}, {i}) -> block {k}");
            }
        }
    }
}
