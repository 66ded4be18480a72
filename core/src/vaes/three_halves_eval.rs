//! Three-halves evaluation of one step on VAES-256, fused: gather, hash and
//! combine eight ANDs at a time in registers.
//!
//! The formulas are the evaluator's of [`crate::three_halves`] (Rosulek and
//! Roy, CRYPTO 2021; the module docs there derive them). The evaluator
//! hashes three blocks per AND, `H(A, 3k)`, `H(B, 3k + 1)` and
//! `H(A ^ B, 3k + 2)`, with the GKWY20 TCCR `H(x, t) = pi(pi(x) ^ t) ^
//! pi(x)`. As in half-gates' kernel (`vaes.rs`, `eval_ands`), `pi(A)` and
//! `pi(B)` come memoized from the pi slots ([`crate::plan`], filled by
//! `Keys::eval_pis` for the step's first reads), so only `X = A ^ B` needs
//! its first call here: 2 AES calls per AND plus the memoized share, where
//! the unfused path (`Tccr::hash_many`) made 6.
//!
//! Register layout: one register per AND holds `(pi(A) ^ 3k, pi(B) ^ 3k +
//! 1)`, as in half-gates; the `X` blocks of two ANDs share one. A chunk of
//! eight ANDs then runs two passes of eight registers each (the number in
//! flight that covers the AES latency on both units): the first call of the
//! four `X` registers with the second call of ANDs 0 to 3, then the second
//! call of the `X` registers with that of ANDs 4 to 7. The combine runs on
//! 128-bit registers holding a label's `[lo, hi]` halves.
//!
//! The evaluator's colour bits and the control bits are public to it, but
//! every selection by them is a mask all the same, never a branch or an
//! index (the style of the garbler's kernel).

use super::three_halves::swap64;
use super::{ldp, rounds, stp, Keys};
use crate::block::Block;
use crate::plan::AndOp;
use crate::three_halves::step_bytes;
use core::arch::x86_64::*;

impl Keys {
    /// Evaluates one step of `ands` with three-halves: output labels into
    /// `labels`, from the step's wire bytes `tables` ([`step_bytes`]) and
    /// `pi` of the inputs in `pis` (one block per pi slot, as
    /// [`Keys::eval_pis`] stores them). AND `m` of the step is AND number
    /// `first_and + m`.
    ///
    /// # Safety
    /// The slot contract of [`super`] (labels and pi slots of `ands` in
    /// bounds).
    pub(crate) unsafe fn three_halves_eval(
        &self,
        labels: &mut [Block],
        pis: &[Block],
        ands: &[AndOp],
        first_and: u64,
        tables: &[u8],
    ) {
        assert_eq!(
            tables.len(),
            step_bytes(ands.len()),
            "24.625 table bytes per AND"
        );
        // SAFETY: `Keys` exists only if the features were detected; slots
        // per the caller's contract.
        unsafe { eval(&self.rk, labels, pis, ands, first_and, tables) }
    }
}

#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn eval(
    rk: &[__m256i; 11],
    labels: &mut [Block],
    pis: &[Block],
    ands: &[AndOp],
    first_and: u64,
    tables: &[u8],
) {
    let n = ands.len();
    let (halves, control) = tables.split_at(24 * n);
    let t = crate::hash::three_halves_tweak(first_and, 0) as i64;
    let mut tw = Tweaks {
        // (3k, 3k + 1): the pair of AND k's inputs.
        ab: _mm256_set_epi64x(0, t + 1, 0, t),
        // (3k + 2, 3k + 5): the X blocks of ANDs k and k + 1.
        x: _mm256_set_epi64x(0, t + 5, 0, t + 2),
    };
    let (lp, pp) = (labels.as_mut_ptr(), pis.as_ptr());
    let mut k = 0;
    macro_rules! chunks {
        ($n:literal) => {
            while k + $n <= n {
                let g: &[AndOp; $n] = ands[k..k + $n].try_into().expect("a chunk of ANDs");
                let z = get_bits(control, 5 * k, 5 * $n);
                // SAFETY: the slot contract; the chunk's 24-byte tables lie
                // in `halves`.
                unsafe { chunk::<$n>(rk, lp, pp, g, &halves[24 * k..24 * (k + $n)], z, &mut tw) };
                k += $n;
            }
        };
    }
    chunks!(8);
    chunks!(4);
    chunks!(2);
    if k < n {
        let g: &[AndOp; 1] = ands[k..k + 1].try_into().expect("one AND");
        let z = get_bits(control, 5 * k, 5);
        // SAFETY: as above.
        unsafe { single(rk, lp, pp, g, &halves[24 * k..24 * (k + 1)], z, &tw) };
        k += 1;
    }
    debug_assert_eq!(k, n);
}

/// The tweak numbers of the next chunk's registers (the same number in
/// both 64-bit words of a lane; the tweak block's key half cancels AES's
/// whitening, see `hash::tweak_block`).
struct Tweaks {
    /// `(3k, 3k + 1)` for the next AND `k`.
    ab: __m256i,
    /// `(3k + 2, 3k + 5)` for the next ANDs `k`, `k + 1`.
    x: __m256i,
}

/// The `bits` bits of the packed bit string `control` from bit `at` on
/// (the control bits of consecutive ANDs, 5 each, as the garbler's
/// `put_bits` packs them). `bits` is at most 40.
#[inline(always)]
fn get_bits(control: &[u8], at: usize, bits: usize) -> u64 {
    let bytes = (at % 8 + bits).div_ceil(8);
    let v = control[at / 8..at / 8 + bytes]
        .iter()
        .rev()
        .fold(0u64, |v, &c| v << 8 | u64::from(c));
    (v >> (at % 8)) & ((1u64 << bits) - 1)
}

/// `N` (2, 4 or 8) ANDs: register `i` of `ab` holds AND `i`'s
/// `(pi(A) ^ 3k, pi(B) ^ 3k + 1)`, register `m` of `x` the `X` blocks of
/// ANDs `2m` and `2m + 1`. Pass one hashes the `X` registers' first call
/// with the `ab` registers `0 .. N/2`, pass two their second call with the
/// rest, `N` registers in flight each time.
///
/// # Safety
/// The slot contract; `halves` holds the chunk's `24 N` table bytes.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn chunk<const N: usize>(
    rk: &[__m256i; 11],
    lp: *mut Block,
    pp: *const Block,
    ands: &[AndOp; N],
    halves: &[u8],
    z: u64,
    tw: &mut Tweaks,
) {
    let h = N / 2;
    // The tweak is the low word of each lane.
    let ab_inc = _mm256_set_epi64x(0, 3, 0, 3);
    // `(pi(A), pi(B))` per AND, kept for the TCCR's final XOR.
    let mut u = [_mm256_setzero_si256(); N];
    // Pass one, then pass two.
    let mut p1 = [_mm256_setzero_si256(); N];
    let mut p2 = [_mm256_setzero_si256(); N];
    for (i, g) in ands.iter().enumerate() {
        // SAFETY: the slot contract.
        let (a, b, pa, pb) = unsafe {
            (
                ldp(lp, g.a as usize),
                ldp(lp, g.b as usize),
                ldp(pp, g.pa as usize),
                ldp(pp, g.pb as usize),
            )
        };
        u[i] = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(pa), pb);
        let v = _mm256_xor_si256(u[i], tw.ab);
        tw.ab = _mm256_add_epi64(tw.ab, ab_inc);
        if i < h {
            p1[h + i] = v;
        } else {
            p2[i] = v;
        }
        // X = A ^ B, two ANDs per register, whitened for the first call.
        let x = _mm_xor_si128(a, b);
        p1[i / 2] = if i % 2 == 0 {
            _mm256_castsi128_si256(x)
        } else {
            _mm256_xor_si256(_mm256_inserti128_si256::<1>(p1[i / 2], x), rk[0])
        };
    }
    rounds(rk, &mut p1);
    // pi(X) of the X registers, then their second call's input.
    let x_inc = _mm256_set_epi64x(0, 6, 0, 6);
    let mut px = [_mm256_setzero_si256(); N];
    for m in 0..h {
        px[m] = p1[m];
        p2[m] = _mm256_xor_si256(p1[m], tw.x);
        tw.x = _mm256_add_epi64(tw.x, x_inc);
    }
    rounds(rk, &mut p2);
    for (i, g) in ands.iter().enumerate() {
        let hab = _mm256_xor_si256(if i < h { p1[h + i] } else { p2[i] }, u[i]);
        let hx2 = _mm256_xor_si256(p2[i / 2], px[i / 2]);
        let hx = if i % 2 == 0 {
            _mm256_castsi256_si128(hx2)
        } else {
            _mm256_extracti128_si256::<1>(hx2)
        };
        // SAFETY: the slot contract; table i's 24 bytes lie in `halves`.
        unsafe { finish(lp, g, hab, hx, &halves[24 * i..24 * i + 24], z >> (5 * i)) };
    }
}

/// One AND (a step's last when its count is odd): the `X` register's
/// upper lane is zero and its hash unused.
///
/// # Safety
/// The slot contract; `halves` holds the AND's 24 table bytes.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn single(
    rk: &[__m256i; 11],
    lp: *mut Block,
    pp: *const Block,
    ands: &[AndOp; 1],
    halves: &[u8],
    z: u64,
    tw: &Tweaks,
) {
    let g = &ands[0];
    // SAFETY: the slot contract.
    let (a, b, pa, pb) = unsafe {
        (
            ldp(lp, g.a as usize),
            ldp(lp, g.b as usize),
            ldp(pp, g.pa as usize),
            ldp(pp, g.pb as usize),
        )
    };
    let u = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(pa), pb);
    let mut x = [_mm256_xor_si256(
        _mm256_zextsi128_si256(_mm_xor_si128(a, b)),
        rk[0],
    )];
    rounds(rk, &mut x);
    let mut p = [_mm256_xor_si256(x[0], tw.x), _mm256_xor_si256(u, tw.ab)];
    rounds(rk, &mut p);
    let hab = _mm256_xor_si256(p[1], u);
    let hx = _mm256_castsi256_si128(_mm256_xor_si256(p[0], x[0]));
    // SAFETY: the slot contract.
    unsafe { finish(lp, g, hab, hx, halves, z) };
}

/// Combines one AND and stores its output label: `hab = (H(A), H(B))`,
/// `hx = H(A ^ B)`, `table` its 24 bytes `G0, G1, G2`, bits 0 to 4 of `z`
/// its control bits.
///
/// # Safety
/// The slot contract; AVX2 available.
#[inline(always)]
unsafe fn finish(lp: *mut Block, g: &AndOp, hab: __m256i, hx: __m128i, table: &[u8], z: u64) {
    let table: &[u8; 24] = table.try_into().expect("24 table bytes");
    // SAFETY: the slot contract; `table` holds 24 readable bytes: 16 at
    // offset 0 and 8 at offset 16 (unaligned loads).
    unsafe {
        let (a, b) = (ldp(lp, g.a as usize), ldp(lp, g.b as usize));
        let g01 = _mm_loadu_si128(table.as_ptr().cast());
        let g22 = _mm_castpd_si128(_mm_loaddup_pd(table.as_ptr().add(16).cast()));
        let c = combine(
            a,
            b,
            _mm256_castsi256_si128(hab),
            _mm256_extracti128_si256::<1>(hab),
            hx,
            g01,
            g22,
            z,
        );
        stp(lp, g.out as usize, c);
    }
}

/// The evaluator's combine of one AND (`eval_combine` of
/// [`crate::three_halves`] on registers) from its active labels `a`, `b`,
/// the hashes `ha = H(A)`, `hb = H(B)`, `hx = H(A ^ B)`, the table halves
/// `[G0, G1]` and `[G2, G2]`, and the control bits in bits 0 to 4 of `z`:
/// the output label.
///
/// With `I = [i, j]` the colour masks of `A`, `B` and `K = [k, k]`,
/// `k = i ^ j`, both output halves at once:
///
/// ```text
/// [r0, r1] = [z0, z1] ^ I*[z2, z3] ^ K*[z4, z4] ^ [eA ^ eX, eB ^ eX]
/// C = [hA, hB] ^ [hX, hX] ^ I*[G0, G1] ^ K*[G2, G2] ^ !I*[B.lo, A.hi]
///     ^ r0*[u, v] ^ r1*[v, w]
/// ```
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "avx2")]
fn combine(
    a: __m128i,
    b: __m128i,
    ha: __m128i,
    hb: __m128i,
    hx: __m128i,
    g01: __m128i,
    g22: __m128i,
    z: u64,
) -> __m128i {
    let x = _mm_xor_si128;
    let and = _mm_and_si128;
    // [i, j] as masks: bit 0 of A.lo and of B.lo, spread over their words.
    let ab_lo = _mm_unpacklo_epi64(a, b);
    let im = _mm_srai_epi32::<31>(_mm_slli_epi32::<31>(_mm_shuffle_epi32::<0b1010_0000>(
        ab_lo,
    )));
    let km = x(im, swap64(im));
    // The hash halves and, in bit 0 of the high words, the pads e.
    let h = x(_mm_unpacklo_epi64(ha, hb), _mm_unpacklo_epi64(hx, hx));
    let e = x(_mm_unpackhi_epi64(ha, hb), _mm_unpackhi_epi64(hx, hx));
    // The decoded bits [r0, r1] in bit 0, then as masks.
    let zv = _mm_set1_epi64x(z as i64);
    let s = _mm_srlv_epi64(zv, _mm_set_epi64x(1, 0));
    let r = x(
        x(s, e),
        x(
            and(im, _mm_srli_epi64::<2>(s)),
            and(km, _mm_srli_epi64::<4>(zv)),
        ),
    );
    let rm = _mm_sub_epi64(_mm_setzero_si128(), and(r, _mm_set1_epi64x(1)));
    let (r0, r1) = (_mm_unpacklo_epi64(rm, rm), _mm_unpackhi_epi64(rm, rm));
    // The slices S0 = [u, v], S1 = [v, w] and [B.lo, A.hi].
    let t = x(a, swap64(b));
    let s1 = x(t, and(b, _mm_set_epi64x(-1, 0)));
    let s0 = x(swap64(t), and(a, _mm_set_epi64x(0, -1)));
    let ba = _mm_blend_epi32::<0b1100>(b, a);
    x(
        x(
            x(h, and(im, g01)),
            x(and(km, g22), _mm_andnot_si128(im, ba)),
        ),
        x(and(r0, s0), and(r1, s1)),
    )
}

#[cfg(test)]
mod tests {
    use crate::block::Block;
    use crate::hash::Tccr;
    use crate::plan::AndOp;
    use crate::three_halves::{eval_and, step_bytes, unpack_step};

    /// A small deterministic generator (xorshift64*), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn block(&mut self) -> Block {
            Block(u128::from(self.next()) | u128::from(self.next()) << 64)
        }
    }

    /// The kernel against the scalar reference `eval_and`, AND by AND: steps
    /// of 1 to 40 ANDs (every chunk size and tail, odd and even), random
    /// labels of every colour, random table bytes (the evaluator's function
    /// is defined on any bytes), AND numbers from 0 and near 2^62. Inputs
    /// read from one half of the label array, outputs written to the other,
    /// several ANDs sharing an input; `pi` of the inputs from `eval_pis`.
    #[test]
    fn kernel_matches_reference_gate_by_gate() {
        let h = Tccr::new();
        let Some(keys) = h.wide() else {
            eprintln!("skipping: no VAES on this CPU");
            return;
        };
        let reference = Tccr::portable();
        let mut rng = Rng(0x5eed_0003_4a1f_0001);
        const INPUTS: u32 = 48;
        for n in 1..=40usize {
            for first in [0u64, 7, (1 << 62) - 41] {
                let mut labels: Vec<Block> =
                    (0..INPUTS as usize + 40).map(|_| rng.block()).collect();
                let ands: Vec<AndOp> = (0..n)
                    .map(|m| {
                        let a = (rng.next() % u64::from(INPUTS)) as u32;
                        let b = (a + 1 + (rng.next() % u64::from(INPUTS - 1)) as u32) % INPUTS;
                        AndOp {
                            a,
                            b,
                            out: INPUTS + m as u32,
                            flip_a: rng.next() & 1 == 1,
                            flip_b: rng.next() & 1 == 1,
                            // Pi slot = label slot here.
                            pa: a,
                            pb: b,
                        }
                    })
                    .collect();
                let mut tables = vec![0u8; step_bytes(n)];
                tables.iter_mut().for_each(|t| *t = rng.next() as u8);
                let mut pis = vec![Block::ZERO; INPUTS as usize];
                let slots: Vec<u32> = (0..INPUTS).collect();
                let before = labels.clone();
                // SAFETY: every slot is below the arrays' lengths.
                unsafe {
                    keys.eval_pis(&labels, &mut pis, &slots, &slots);
                    keys.three_halves_eval(&mut labels, &pis, &ands, first, &tables);
                }
                let parsed = unpack_step(&tables, n).unwrap();
                for (m, g) in ands.iter().enumerate() {
                    let want = eval_and(
                        &reference,
                        before[g.a as usize],
                        before[g.b as usize],
                        &parsed[m],
                        first + m as u64,
                    );
                    assert_eq!(labels[g.out as usize], want, "n={n} first={first} AND {m}");
                }
                // Nothing else written.
                assert_eq!(labels[..INPUTS as usize], before[..INPUTS as usize]);
                assert_eq!(labels[INPUTS as usize + n..], before[INPUTS as usize + n..]);
            }
        }
    }

    /// The control bits are read where the garbler's `put_bits` and
    /// `step_bytes` put them: bit `5m + b` of the packed string is bit `b`
    /// of AND `m`'s control bits, for any start and width.
    #[test]
    fn get_bits_reads_the_packed_string() {
        let mut rng = Rng(99);
        let bytes: Vec<u8> = (0..64).map(|_| rng.next() as u8).collect();
        let bit = |i: usize| u64::from(bytes[i / 8] >> (i % 8) & 1);
        for at in 0..200 {
            for width in [5, 10, 20, 40] {
                let want = (0..width).fold(0u64, |v, b| v | bit(at + b) << b);
                assert_eq!(
                    super::get_bits(&bytes, at, width),
                    want,
                    "at={at} width={width}"
                );
            }
        }
    }
}
