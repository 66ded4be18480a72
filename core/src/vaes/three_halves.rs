//! Three-halves garbling of one step on VAES-256, fused: gather, hash and
//! combine four ANDs at a time in registers and a few L1-resident arrays.
//!
//! The formulas are those of [`crate::three_halves`] (Rosulek and Roy,
//! CRYPTO 2021; the module docs there derive them), written on 128-bit
//! registers holding a label's two halves `[lo, hi]` instead of four gates'
//! words at a time: the earlier combine transposed the hashes into arrays
//! of words, and that transpose cost as much as the hashing (profiled on
//! AES-128 garbling: hashing 36%, gather and combine 50%). Also as in
//! half-gates' kernels ([`crate::plan`], "Memoized first hash call"), `pi`
//! of each AND input's two labels is computed once per label, in the step
//! of its first AND reader, not once per AND: 10.25 AES calls per AND on
//! AES-128 instead of 12. The tweaks (`3k`, `3k + 1`, `3k + 2` for AND
//! `k`) and the hash are unchanged, so the bytes equal the reference's for
//! the same random bits (tested in `core/tests/three_halves.rs`).
//!
//! The combine runs on two ANDs at once, one per 128-bit lane of 256-bit
//! registers ([`combine_pair`]): its forty-odd bitwise operations compete
//! with AES for the vector ports, and per pair they cost what one AND's
//! did (measured 5% faster garbling on AES-128 and SHA-256). The
//! evaluator's kernel (`three_halves_eval.rs`) keeps its ANDs paired from
//! the hashing on.
//!
//! Measured no faster (fastest whole sessions of `cargo bench --bench
//! garbling`, builds alternating, load 4 to 7; issue 19), so not kept,
//! against 4.36 to 4.42e7 AND/s for this kernel on AES-128:
//! - ANDs gathered in pairs from the start, as the evaluator does (one
//!   256-bit colour mask, `A = L ^ colour * D` and `X = A ^ B` per pair, no
//!   lane permutes in the combine): 4.31 and 4.39e7. `llvm-mca
//!   -mcpu=znver3` on its loop put the store pipes ahead of the vector ones
//!   (80 vector stores to the stack per eight ANDs, plus a memset of the
//!   hash array); combining each group of two pairs right after its hash,
//!   with no hash array: 4.23 and 4.28e7.
//! - The control bits written byte by byte instead of `fill(0)` then OR:
//!   4.29 to 4.39e7.
//!
//! Every secret selection (the colours, the random bits) is a mask (an AND
//! with all ones or zero), never a branch or an index.

use super::{ldp, pair_key, pi_pair, rounds, store_pi, stp, Keys};
use crate::block::Block;
use crate::plan::AndOp;
use crate::three_halves::step_bytes;
use core::arch::x86_64::*;

impl Keys {
    /// Garbles one step of `ands` with three-halves: output labels into
    /// `labels`, the step's wire bytes ([`step_bytes`]) into `out`. AND
    /// `m` of the step is AND number `first_and + m` and takes its random
    /// bits `r0, r1` from bits `2 (m % 4)` and `2 (m % 4) + 1` of
    /// `coins[m / 4]`. With `fresh`, `pi` of
    /// both labels of every input is computed here and stored in its pi
    /// slot; without, it is read from the pi slots (which
    /// [`Keys::garble_pis`] filled for the step's first reads).
    ///
    /// # Safety
    /// The slot contract of [`super`] (labels and pi slots of `ands` in
    /// bounds).
    #[allow(clippy::too_many_arguments)]
    pub(crate) unsafe fn three_halves_garble(
        &self,
        d: Block,
        labels: &mut [Block],
        pis: &mut [Block],
        ands: &[AndOp],
        first_and: u64,
        coins: &[u8],
        out: &mut [u8],
        fresh: bool,
    ) {
        let n = ands.len();
        assert_eq!(out.len(), step_bytes(n), "24.625 table bytes per AND");
        assert!(4 * coins.len() >= n, "two random bits per AND");
        // SAFETY: `Keys` exists only if the features were detected; slots
        // per the caller's contract.
        unsafe {
            if fresh {
                garble::<true>(&self.rk, d, labels, pis, ands, first_and, coins, out)
            } else {
                garble::<false>(&self.rk, d, labels, pis, ands, first_and, coins, out)
            }
        }
    }
}

/// What every AND of a step shares: `Delta` and the combinations of its
/// halves that the formulas use.
struct Consts {
    /// `[D.lo, D.hi]`.
    d: __m128i,
    /// `[D.hi, D.lo]`.
    d_swap: __m128i,
    /// `[D.lo ^ D.hi, D.lo]`: what `p` selects into `[G0, G1]`.
    dp: __m128i,
    /// `[D.hi, D.lo ^ D.hi]`: what `q` selects into `[G0, G1]`.
    dq: __m128i,
    /// `[0, all ones]`.
    hi: __m128i,
    /// `[all ones, 0]`.
    lo: __m128i,
    /// `(0, D) ^ rk0`: a broadcast label XOR this is `(L, L ^ D) ^ rk0`.
    dk: __m256i,
}

#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn garble<const FRESH: bool>(
    rk: &[__m256i; 11],
    d: Block,
    labels: &mut [Block],
    pis: &mut [Block],
    ands: &[AndOp],
    first_and: u64,
    coins: &[u8],
    out: &mut [u8],
) {
    let n = ands.len();
    let (halves, control) = out.split_at_mut(24 * n);
    control.fill(0);
    let (d_lo, d_hi) = (d.0 as u64 as i64, (d.0 >> 64) as u64 as i64);
    let dv = _mm_set_epi64x(d_hi, d_lo);
    let c = Consts {
        d: dv,
        d_swap: _mm_set_epi64x(d_lo, d_hi),
        dp: _mm_set_epi64x(d_lo, d_lo ^ d_hi),
        dq: _mm_set_epi64x(d_lo ^ d_hi, d_hi),
        hi: _mm_set_epi64x(-1, 0),
        lo: _mm_set_epi64x(0, -1),
        dk: pair_key(rk, dv),
    };
    // Register r of a chunk holds one wire's two labels; its tweak (the same
    // in both lanes) is 3k + r mod 3, one more per register.
    let t = crate::hash::three_halves_tweak(first_and, 0) as i64;
    let mut tv = _mm256_set_epi64x(0, t, 0, t);
    let inc = _mm256_set_epi64x(0, 1, 0, 1);
    let (lp, pp, hp) = (labels.as_mut_ptr(), pis.as_mut_ptr(), halves.as_mut_ptr());
    let mut k = 0;
    // Eight ANDs per chunk when only (X, X ^ D) needs its first call: eight
    // registers in flight cover the AES latency, where four would wait on
    // it; four when all three pairs do (twelve registers).
    macro_rules! chunks {
        ($wide:literal) => {
            while k + $wide <= n {
                let g: &[AndOp; $wide] = ands[k..k + $wide].try_into().expect("a chunk of ANDs");
                // SAFETY: the slot contract; the ANDs' 24-byte tables lie in
                // `halves`.
                unsafe {
                    chunk::<$wide, FRESH>(rk, &c, lp, pp, g, coins, hp, control, k, &mut tv, inc)
                };
                k += $wide;
            }
        };
    }
    if FRESH {
        chunks!(4);
    } else {
        chunks!(8);
    }
    while k < n {
        let g: &[AndOp; 1] = ands[k..k + 1].try_into().expect("one AND");
        // SAFETY: as above.
        unsafe { chunk::<1, FRESH>(rk, &c, lp, pp, g, coins, hp, control, k, &mut tv, inc) };
        k += 1;
    }
}

/// ORs the `bits` low bits of `v` into the packed bit string `control`
/// from bit `at` on (the control bits of consecutive ANDs, 5 each; the
/// bytes start zeroed). Where they go depends on public counts only.
#[inline(always)]
fn put_bits(control: &mut [u8], at: usize, v: u64, bits: usize) {
    let v = v << (at % 8);
    let bytes = (at % 8 + bits).div_ceil(8);
    for (j, c) in control[at / 8..at / 8 + bytes].iter_mut().enumerate() {
        *c |= (v >> (8 * j)) as u8;
    }
}

/// All ones (in both 64-bit halves) if bit 0 of `x` is set: the colour
/// select mask.
#[inline(always)]
fn colour(x: __m128i) -> __m128i {
    // SAFETY: SSE2 is in the x86-64 baseline.
    unsafe { _mm_srai_epi32::<31>(_mm_slli_epi32::<31>(_mm_shuffle_epi32::<0>(x))) }
}

/// All ones if `bit` (0 or 1), else zero, in both halves.
#[inline(always)]
fn bit_mask(bit: u8) -> __m128i {
    // SAFETY: SSE2 is in the x86-64 baseline.
    unsafe { _mm_set1_epi64x(-i64::from(bit & 1)) }
}

/// Swaps the two 64-bit halves.
#[inline(always)]
pub(super) fn swap64(x: __m128i) -> __m128i {
    // SAFETY: SSE2 is in the x86-64 baseline.
    unsafe { _mm_shuffle_epi32::<0x4e>(x) }
}

/// `N` ANDs of a step. For AND `i`, the pair `3i` is `(A, A ^ D)`, `3i + 1`
/// `(B, B ^ D)`, `3i + 2` `(X, X ^ D)` with `A`, `B` the colour-0 labels
/// and `X = A ^ B`; the second TCCR call runs four ANDs (twelve registers)
/// at a time.
///
/// # Safety
/// The slot contract; tables `k0 .. k0 + N` lie in `halves`; `coins` holds
/// the random bits of ANDs `k0 .. k0 + N` (two per AND, see
/// [`Keys::three_halves_garble`]); `N` is 1, 4 or 8.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn chunk<const N: usize, const FRESH: bool>(
    rk: &[__m256i; 11],
    c: &Consts,
    lp: *mut Block,
    pp: *mut Block,
    ands: &[AndOp; N],
    coins: &[u8],
    halves: *mut u8,
    control: &mut [u8],
    k0: usize,
    tv: &mut __m256i,
    inc: __m256i,
) {
    let mut a = [_mm_setzero_si128(); N];
    let mut b = [_mm_setzero_si128(); N];
    // The stored labels.
    let (mut la, mut lb) = ([_mm_setzero_si128(); N], [_mm_setzero_si128(); N]);
    // al | be << 1 | r0 << 2 | r1 << 3 per AND.
    let mut bits = [0u8; N];
    // The first call's outputs, three pairs per AND.
    let mut u = [[_mm256_setzero_si256(); 3]; N];
    let mut x = [_mm256_setzero_si256(); N];
    let mut masks = [(_mm_setzero_si128(), _mm_setzero_si128()); N];
    for (i, g) in ands.iter().enumerate() {
        // SAFETY: the slot contract.
        let (l_a, l_b) = unsafe { (ldp(lp, g.a as usize), ldp(lp, g.b as usize)) };
        let (ma, mb) = (colour(l_a), colour(l_b));
        a[i] = _mm_xor_si128(l_a, _mm_and_si128(ma, c.d));
        b[i] = _mm_xor_si128(l_b, _mm_and_si128(mb, c.d));
        (la[i], lb[i]) = (l_a, l_b);
        masks[i] = (ma, mb);
        // The one-label's colour: al = !lsb(A0), lsb(A0) = lsb(L) ^ flip.
        let lsb = |l: __m128i| (_mm_cvtsi128_si32(l) & 1) as u8;
        let al = 1 ^ lsb(l_a) ^ g.flip_a as u8;
        let be = 1 ^ lsb(l_b) ^ g.flip_b as u8;
        let k = k0 + i;
        let r = (coins[k / 4] >> (2 * (k % 4))) & 3;
        bits[i] = al | be << 1 | r << 2;
        x[i] = _mm256_xor_si256(_mm256_broadcastsi128_si256(_mm_xor_si128(a[i], b[i])), c.dk);
        // The inputs' pairs are hashed in stored order, `(L, L ^ D)`: the
        // combine picks `H(A)` from them by the colour mask.
        if !FRESH {
            // SAFETY: the slot contract.
            unsafe {
                u[i][0] = pi_pair(pp, g.pa);
                u[i][1] = pi_pair(pp, g.pb);
            }
        }
    }
    // The first TCCR call: pi of (X, X ^ D), and with FRESH of the inputs
    // too (stored in their pi slots for later steps, in stored order).
    if FRESH {
        for (i, ui) in u.iter_mut().enumerate() {
            *ui = [
                _mm256_xor_si256(_mm256_broadcastsi128_si256(la[i]), c.dk),
                _mm256_xor_si256(_mm256_broadcastsi128_si256(lb[i]), c.dk),
                x[i],
            ];
        }
        first_call_of_all::<N>(rk, &mut u);
        for (i, g) in ands.iter().enumerate() {
            // SAFETY: the slot contract.
            unsafe {
                store_pi(pp, g.pa, u[i][0]);
                store_pi(pp, g.pb, u[i][1]);
            }
        }
    } else {
        rounds(rk, &mut x);
        for (ui, xi) in u.iter_mut().zip(&x) {
            ui[2] = *xi;
        }
    }
    // The second: pi(pi(x) ^ t) ^ pi(x) (the tweak block's rk0 cancels
    // AES's whitening, see `hash::tweak_block`), four ANDs at a time.
    let mut h = [[_mm256_setzero_si256(); 3]; N];
    let mut z = 0u64;
    for q in (0..N).step_by(4) {
        let m = N.min(4);
        let mut v = [_mm256_setzero_si256(); 12];
        for r in 0..3 * m {
            v[r] = _mm256_xor_si256(u[q + r / 3][r % 3], *tv);
            *tv = _mm256_add_epi64(*tv, inc);
        }
        if m == 1 {
            let mut w = [v[0], v[1], v[2]];
            rounds(rk, &mut w);
            v[..3].copy_from_slice(&w);
        } else {
            rounds(rk, &mut v);
        }
        for r in 0..3 * m {
            h[q + r / 3][r % 3] = _mm256_xor_si256(v[r], u[q + r / 3][r % 3]);
        }
    }
    if N == 1 {
        let [ha, hb, hx] = h[0];
        let (ma, mb) = masks[0];
        let (c0, g01, g2, zi) = combine(c, a[0], b[0], bits[0], [ma, mb], ha, hb, hx);
        // SAFETY: the slot contract; table k0's 24 bytes lie in `halves`.
        unsafe {
            stp(lp, ands[0].out as usize, c0);
            _mm_storeu_si128(halves.add(24 * k0).cast(), g01);
            _mm_storel_epi64(halves.add(24 * k0 + 16).cast(), g2);
        }
        z = u64::from(zi);
    } else {
        let c2 = Consts2::new(c);
        for m in 0..N / 2 {
            let (i, j) = (2 * m, 2 * m + 1);
            let (c0, g01, g2, zs) = combine_pair(
                &c2,
                [pair(a[i], a[j]), pair(b[i], b[j])],
                [bits[i], bits[j]],
                [pair(masks[i].0, masks[j].0), pair(masks[i].1, masks[j].1)],
                [h[i], h[j]],
            );
            let k = k0 + i;
            let hi = |v: __m256i| _mm256_extracti128_si256::<1>(v);
            // SAFETY: the slot contract; tables k and k + 1 (48 bytes) lie
            // in `halves`.
            unsafe {
                stp(lp, ands[i].out as usize, _mm256_castsi256_si128(c0));
                stp(lp, ands[j].out as usize, hi(c0));
                _mm_storeu_si128(halves.add(24 * k).cast(), _mm256_castsi256_si128(g01));
                _mm_storel_epi64(halves.add(24 * k + 16).cast(), _mm256_castsi256_si128(g2));
                _mm_storeu_si128(halves.add(24 * k + 24).cast(), hi(g01));
                _mm_storel_epi64(halves.add(24 * k + 40).cast(), hi(g2));
            }
            z |= u64::from(zs) << (5 * i);
        }
    }
    put_bits(control, 5 * k0, z, 5 * N);
}

/// Two 128-bit values as the lanes of one register.
#[inline(always)]
fn pair(lo: __m128i, hi: __m128i) -> __m256i {
    // SAFETY: only inlined into `vaes,avx2` functions.
    unsafe { _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(lo), hi) }
}

/// [`Consts`] in both lanes, for [`combine_pair`].
struct Consts2 {
    d: __m256i,
    d_swap: __m256i,
    dp: __m256i,
    dq: __m256i,
    hi: __m256i,
    lo: __m256i,
}

impl Consts2 {
    #[inline(always)]
    fn new(c: &Consts) -> Consts2 {
        // SAFETY: only inlined into `vaes,avx2` functions.
        let b = |v: __m128i| unsafe { _mm256_broadcastsi128_si256(v) };
        Consts2 {
            d: b(c.d),
            d_swap: b(c.d_swap),
            dp: b(c.dp),
            dq: b(c.dq),
            hi: b(c.hi),
            lo: b(c.lo),
        }
    }
}

/// [`combine`] of two ANDs at once, one per 128-bit lane: the bitwise
/// algebra (about forty operations, which bound the kernel more than AES
/// does: the vector ports are shared) runs once per pair. The inputs are
/// per AND as for [`combine`] (`[a, b]` and the masks already paired);
/// each AND's three hash pairs `(H(L), H(L ^ D))` are regrouped into
/// `(H(L), H(L'))` and `(H(L ^ D), H(L' ^ D))` by two lane permutes per
/// wire, where the single combine extracts one lane per wire per AND.
/// Returns `C0`, `[G0, G1]`, `G2` (low word of each lane) and the two
/// ANDs' control bits (bits 0 to 4 and 5 to 9).
#[inline]
#[target_feature(enable = "avx2")]
fn combine_pair(
    c: &Consts2,
    [a, b]: [__m256i; 2],
    bits: [u8; 2],
    [ma, mb]: [__m256i; 2],
    h: [[__m256i; 3]; 2],
) -> (__m256i, __m256i, __m256i, u16) {
    let x = _mm256_xor_si256;
    let and = _mm256_and_si256;
    let swap = |v: __m256i| _mm256_shuffle_epi32::<0x4e>(v);
    // (H(L), H(L')) and (H(L ^ D), H(L' ^ D)) of wire w.
    let lo = |w: usize| _mm256_permute2x128_si256::<0x20>(h[0][w], h[1][w]);
    let hi = |w: usize| _mm256_permute2x128_si256::<0x31>(h[0][w], h[1][w]);
    let (ha_l, hb_l, hx0) = (lo(0), lo(1), lo(2));
    let (da, db, dx) = (x(ha_l, hi(0)), x(hb_l, hi(1)), x(hx0, hi(2)));
    let (ha0, hb0) = (x(ha_l, and(ma, da)), x(hb_l, and(mb, db)));
    // Bit n of each AND's bits, as a mask over its lane.
    let v = _mm256_set_epi32(
        bits[1].into(),
        bits[1].into(),
        bits[1].into(),
        bits[1].into(),
        bits[0].into(),
        bits[0].into(),
        bits[0].into(),
        bits[0].into(),
    );
    let (al, be, r0, r1) = (
        _mm256_srai_epi32::<31>(_mm256_slli_epi32::<31>(v)),
        _mm256_srai_epi32::<31>(_mm256_slli_epi32::<30>(v)),
        _mm256_srai_epi32::<31>(_mm256_slli_epi32::<29>(v)),
        _mm256_srai_epi32::<31>(_mm256_slli_epi32::<28>(v)),
    );
    let (p, q) = (x(al, r1), x(be, r0));
    let one00 = _mm256_andnot_si256(_mm256_or_si256(al, be), _mm256_set1_epi64x(-1));
    // The slices S0 = [u, v], S1 = [v, w] and [B.lo, A.hi].
    let t = x(a, swap(b));
    let s1 = x(t, and(b, c.hi));
    let s0 = x(swap(t), and(a, c.lo));
    let ba = _mm256_blend_epi32::<0b1100_1100>(b, a);
    let c0 = x(
        x(
            x(
                _mm256_unpacklo_epi64(ha0, hb0),
                _mm256_unpacklo_epi64(hx0, hx0),
            ),
            ba,
        ),
        x(x(and(r0, s0), and(r1, s1)), and(one00, c.d)),
    );
    let g01 = x(
        x(
            x(_mm256_unpacklo_epi64(da, db), ba),
            x(and(al, s0), and(be, s1)),
        ),
        x(c.d, x(and(p, c.dp), and(q, c.dq))),
    );
    let g2 = x(
        x(dx, x(and(al, swap(s1)), and(be, s0))),
        x(and(q, c.d), and(p, c.d_swap)),
    );
    // The pads e (bit 64 of each hash: the sign bit of word 1 of a lane
    // after the shift) and the plain bits r0, r1, al, be, al ^ be.
    let sign =
        |v: __m256i| _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_slli_epi64::<63>(v))) as u16;
    let e1 = sign(x(
        _mm256_unpackhi_epi64(ha0, hb0),
        _mm256_unpackhi_epi64(hx0, hx0),
    ));
    let e2 = sign(_mm256_unpackhi_epi64(da, db));
    let e3 = sign(dx);
    // Lane l's words are bits 2l, 2l + 1 of each mask.
    let pads =
        |l: u16| (e1 >> (2 * l) & 3) | (e2 >> (2 * l) & 3) << 2 | (e3 >> (2 * l + 1) & 1) << 4;
    let plain = |b: u8| u16::from((b >> 2) | (b & 3) << 2 | ((b ^ b >> 1) & 1) << 4);
    let z = (pads(0) ^ plain(bits[0])) | (pads(1) ^ plain(bits[1])) << 5;
    (c0, g01, g2, z)
}

/// The first TCCR call of every pair of `u`, in groups of four ANDs
/// (twelve registers), or of one.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn first_call_of_all<const N: usize>(rk: &[__m256i; 11], u: &mut [[__m256i; 3]; N]) {
    if N == 1 {
        rounds(rk, &mut u[0]);
        return;
    }
    for q in (0..N).step_by(4) {
        let mut v: [__m256i; 12] = core::array::from_fn(|r| u[q + r / 3][r % 3]);
        rounds(rk, &mut v);
        for (r, v) in v.into_iter().enumerate() {
            u[q + r / 3][r % 3] = v;
        }
    }
}

/// One AND's combine (`garble_combine` of [`crate::three_halves`] on
/// registers): from the colour-0 labels `a`, `b`, the bits `al | be << 1 |
/// r0 << 2 | r1 << 3`, the colour masks of the stored labels `L_a`, `L_b`,
/// the hash pairs `(H(L_a), H(L_a ^ D))` and `(H(L_b), H(L_b ^ D))` in
/// stored order and `(H(X), H(X ^ D))`: returns `C0`, `[G0, G1]`, `G2` (low
/// half) and the control bits.
///
/// `H(A) = H(L_a) ^ colour(L_a) * (H(L_a) ^ H(L_a ^ D))`: two bitwise ops
/// where swapping the pair's lanes before hashing took a lane-crossing
/// permute and a blend per input.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "avx2")]
fn combine(
    c: &Consts,
    a: __m128i,
    b: __m128i,
    bits: u8,
    [ma, mb]: [__m128i; 2],
    ha: __m256i,
    hb: __m256i,
    hx: __m256i,
) -> (__m128i, __m128i, __m128i, u8) {
    let x = _mm_xor_si128;
    let and = _mm_and_si128;
    let (ha_l, hb_l, hx0) = (
        _mm256_castsi256_si128(ha),
        _mm256_castsi256_si128(hb),
        _mm256_castsi256_si128(hx),
    );
    // H(.) ^ H(. ^ D) of each wire (the same in either order).
    let da = x(ha_l, _mm256_extracti128_si256::<1>(ha));
    let db = x(hb_l, _mm256_extracti128_si256::<1>(hb));
    let dx = x(hx0, _mm256_extracti128_si256::<1>(hx));
    let (ha0, hb0) = (x(ha_l, and(ma, da)), x(hb_l, and(mb, db)));
    let (al, be, r0, r1) = (
        bit_mask(bits),
        bit_mask(bits >> 1),
        bit_mask(bits >> 2),
        bit_mask(bits >> 3),
    );
    let (p, q) = (x(al, r1), x(be, r0));
    let one00 = _mm_andnot_si128(_mm_or_si128(al, be), _mm_set1_epi64x(-1));
    // The slices S0 = [u, v], S1 = [v, w] and [B.lo, A.hi].
    let t = x(a, swap64(b));
    let s1 = x(t, and(b, c.hi));
    let s0 = x(swap64(t), and(a, c.lo));
    let ba = _mm_blend_epi32::<0b1100>(b, a);
    let c0 = x(
        x(
            x(_mm_unpacklo_epi64(ha0, hb0), _mm_unpacklo_epi64(hx0, hx0)),
            ba,
        ),
        x(x(and(r0, s0), and(r1, s1)), and(one00, c.d)),
    );
    let g01 = x(
        x(
            x(_mm_unpacklo_epi64(da, db), ba),
            x(and(al, s0), and(be, s1)),
        ),
        x(c.d, x(and(p, c.dp), and(q, c.dq))),
    );
    let g2 = x(
        x(dx, x(and(al, swap64(s1)), and(be, s0))),
        x(and(q, c.d), and(p, c.d_swap)),
    );
    // The pads e (bit 64 of each hash, bit 0 of its high half) and the
    // plain bits r0, r1, al, be, al ^ be.
    let sign = |v: __m128i| _mm_movemask_pd(_mm_castsi128_pd(_mm_slli_epi64::<63>(v))) as u8;
    let e1 = x(_mm_unpackhi_epi64(ha0, hb0), _mm_unpackhi_epi64(hx0, hx0));
    let pads = sign(e1) | sign(_mm_unpackhi_epi64(da, db)) << 2 | (sign(dx) >> 1) << 4;
    let plain = (bits >> 2) | (bits & 3) << 2 | ((bits ^ bits >> 1) & 1) << 4;
    (c0, g01, g2, pads ^ plain)
}
