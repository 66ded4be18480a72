//! Bit-matrix transpose: 128 rows of `128 * width` bits into `128 * width`
//! blocks of 128 bits.
//!
//! OT extension works on columns (one per base OT) but outputs rows (one per
//! extended OT), so every extended OT passes through this transpose. Bit `i`
//! of row `j` becomes bit `j` of output block `i` (little-endian: bit `i` of a
//! row is bit `i % 128` of its block `i / 128`).
//!
//! The x86_64 path uses SSE2 (part of the x86_64 baseline, so no run-time
//! detection is needed): a 16x16 byte transpose by four rounds of byte
//! interleaving, then `_mm_movemask_epi8` collects one bit from each of 16
//! rows per instruction (the approach of emp-toolkit's `sse_trans`). Other
//! targets use a portable branch-free loop. Neither branches on the data.

use crate::block::Block;

/// Transposes `rows` (128 rows of `width` blocks, row-major) into `out`
/// (`128 * width` blocks).
///
/// # Panics
/// If the slice lengths do not match `width` (a caller bug, never peer input).
pub fn transpose(rows: &[Block], width: usize, out: &mut [Block]) {
    assert_eq!(rows.len(), 128 * width, "transpose: input must be 128 rows");
    assert_eq!(out.len(), 128 * width, "transpose: output length");
    #[cfg(target_arch = "x86_64")]
    sse2::transpose(rows, width, out);
    #[cfg(not(target_arch = "x86_64"))]
    transpose_portable(rows, width, out);
}

/// The reference implementation, bit by bit without branches.
pub fn transpose_portable(rows: &[Block], width: usize, out: &mut [Block]) {
    assert_eq!(rows.len(), 128 * width, "transpose: input must be 128 rows");
    assert_eq!(out.len(), 128 * width, "transpose: output length");
    for (tile, out) in out.chunks_exact_mut(128).enumerate() {
        for (i, o) in out.iter_mut().enumerate() {
            let mut v = 0u128;
            for j in 0..128 {
                v |= ((rows[j * width + tile].0 >> i) & 1) << j;
            }
            *o = Block(v);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod sse2 {
    use crate::block::Block;
    use crate::channel::blocks_as_bytes_mut;
    use std::arch::x86_64::*;

    pub fn transpose(rows: &[Block], width: usize, out: &mut [Block]) {
        debug_assert!(rows.len() == 128 * width && out.len() == 128 * width);
        for (tile, out) in out.chunks_exact_mut(128).enumerate() {
            let out: &mut [Block; 128] = out.try_into().expect("chunks of 128");
            for group in 0..8 {
                let mut x = [Block::ZERO; 16];
                for (k, x) in x.iter_mut().enumerate() {
                    *x = rows[(16 * group + k) * width + tile];
                }
                // SAFETY: SSE2 is always available on x86_64.
                unsafe { tile16(&x, group, out) };
            }
        }
    }

    /// Transposes 16 rows x 128 bits (one 16-row group of a 128x128 tile)
    /// into bits `16 * group .. 16 * group + 16` of the 128 output blocks.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn tile16(rows: &[Block; 16], group: usize, out: &mut [Block; 128]) {
        // SAFETY: each load reads the 16 bytes of one `Block` (a u128).
        let mut x: [__m128i; 16] =
            std::array::from_fn(|k| unsafe { _mm_loadu_si128((&rows[k] as *const Block).cast()) });
        // Four perfect shuffles rotate the 8-bit index (row, byte) by four
        // places: afterwards vector `c` holds byte `c` of every row.
        for _ in 0..4 {
            let mut y = [_mm_setzero_si128(); 16];
            for k in 0..8 {
                y[2 * k] = _mm_unpacklo_epi8(x[k], x[k + 8]);
                y[2 * k + 1] = _mm_unpackhi_epi8(x[k], x[k + 8]);
            }
            x = y;
        }
        let out = blocks_as_bytes_mut(out);
        for (c, mut v) in x.into_iter().enumerate() {
            // movemask takes bit 7 of each byte: bit 8c+7 of the 16 rows,
            // which is bits 16*group.. of output block 8c+7.
            for b in (0..8).rev() {
                let bits = (_mm_movemask_epi8(v) as u16).to_le_bytes();
                let at = (8 * c + b) * 16 + 2 * group;
                out[at..at + 2].copy_from_slice(&bits);
                v = _mm_slli_epi64(v, 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_matches_reference() {
        for width in [1, 2, 5] {
            let rows: Vec<Block> = (0..128 * width).map(|_| Block::random()).collect();
            let mut a = vec![Block::ZERO; 128 * width];
            let mut b = vec![Block::ZERO; 128 * width];
            transpose(&rows, width, &mut a);
            transpose_portable(&rows, width, &mut b);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn single_bits_move_to_their_place() {
        let width = 3;
        for (j, i) in [(0, 0), (5, 200), (127, 383), (64, 1), (1, 127)] {
            let mut rows = vec![Block::ZERO; 128 * width];
            rows[j * width + i / 128] = Block(1 << (i % 128));
            let mut out = vec![Block::ZERO; 128 * width];
            transpose(&rows, width, &mut out);
            for (k, o) in out.iter().enumerate() {
                let want = if k == i { Block(1 << j) } else { Block::ZERO };
                assert_eq!(*o, want, "bit ({j}, {i}) -> block {k}");
            }
        }
    }
}
