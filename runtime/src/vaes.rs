//! Fixed-key AES-128 on VAES-256 (two blocks per instruction), for CPUs that
//! have VAES without AVX-512, such as AMD Zen 3.
//!
//! Why this exists: the `aes` crate (0.9.4) has a VAES-256 backend, but its
//! feature detection (cpufeatures 0.3.1) demands the AVX-512 (`zmm`) register
//! state for `vaes`, so on an AVX2-only CPU it silently falls back to 128-bit
//! AES-NI, at about half the throughput. `std::arch::is_x86_feature_detected!`
//! gets this right, so this module uses it and keeps the code path tiny: a key
//! expansion and the two-layer TCCR round loop. Every result is tested against
//! the `aes` crate (FIPS-197 and random blocks). If the crate's detection is
//! fixed, this module can go.

#![cfg(target_arch = "x86_64")]

use crate::block::Block;
use crate::hash::Tweaks;
use crate::plan::AndOp;
use core::arch::x86_64::*;

/// AES-128 round keys broadcast to both 128-bit lanes.
#[derive(Clone, Copy)]
pub(crate) struct Keys {
    rk: [__m256i; 11],
}

/// True if this CPU (and OS) runs VAES-256 and AES-NI.
pub(crate) fn available() -> bool {
    is_x86_feature_detected!("vaes")
        && is_x86_feature_detected!("avx2")
        && is_x86_feature_detected!("aes")
}

impl Keys {
    /// Expands `key`; `None` if the CPU lacks VAES.
    pub(crate) fn new(key: [u8; 16]) -> Option<Keys> {
        if !available() {
            return None;
        }
        // SAFETY: the features were just detected.
        Some(unsafe { expand(key) })
    }

    /// `out[m] = pi(pi(x_m) ^ t_m) ^ pi(x_m)` with `t_m = tweaks.at(m)`,
    /// for `n = min(len)` blocks.
    #[inline]
    pub(crate) fn tccr(&self, input: &[Block], out: &mut [Block], tweaks: Tweaks) {
        let n = input.len().min(out.len());
        // SAFETY: `Keys` exists only if the features were detected.
        unsafe { tccr(&self.rk, &input[..n], &mut out[..n], tweaks) }
    }

    /// Plain fixed-key AES in place (the ceiling measurement).
    pub(crate) fn permute(&self, blocks: &mut [Block]) {
        // SAFETY: as above.
        unsafe { permute(&self.rk, blocks) }
    }
}

macro_rules! expand_round {
    ($k:expr, $rcon:literal) => {{
        let k = $k;
        let t = _mm_shuffle_epi32::<0xff>(_mm_aeskeygenassist_si128::<$rcon>(k));
        let mut k2 = _mm_xor_si128(k, _mm_slli_si128::<4>(k));
        k2 = _mm_xor_si128(k2, _mm_slli_si128::<8>(k));
        k2 = _mm_xor_si128(k2, _mm_slli_si128::<12>(k));
        _mm_xor_si128(k2, t)
    }};
}

#[target_feature(enable = "aes,avx2")]
fn expand(key: [u8; 16]) -> Keys {
    // SAFETY: unaligned load of 16 bytes from a 16-byte array.
    let k0 = unsafe { _mm_loadu_si128(key.as_ptr().cast()) };
    let k1 = expand_round!(k0, 0x01);
    let k2 = expand_round!(k1, 0x02);
    let k3 = expand_round!(k2, 0x04);
    let k4 = expand_round!(k3, 0x08);
    let k5 = expand_round!(k4, 0x10);
    let k6 = expand_round!(k5, 0x20);
    let k7 = expand_round!(k6, 0x40);
    let k8 = expand_round!(k7, 0x80);
    let k9 = expand_round!(k8, 0x1b);
    let k10 = expand_round!(k9, 0x36);
    let rk = [k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10].map(|k| _mm256_broadcastsi128_si256(k));
    Keys { rk }
}

/// `W` registers of two blocks each through all ten rounds; `x` already
/// holds `block ^ rk[0]`.
///
/// Round-major order matters: AES has a 4-cycle latency and two units, so
/// eight independent registers must be in flight. Left alone, LLVM runs each
/// register through all rounds before the next (a 40-cycle dependency chain
/// per register, which measured at a third of the hardware rate). An empty
/// `asm!` that takes each register after each round pins the order: a
/// register can never get more than one round ahead of the others. It emits
/// no instruction.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn rounds<const W: usize>(rk: &[__m256i; 11], x: &mut [__m256i; W]) {
    for key in &rk[1..10] {
        for v in x.iter_mut() {
            *v = _mm256_aesenc_epi128(*v, *key);
        }
        for v in x.iter_mut() {
            // SAFETY: an empty template; it only pins the value in a register.
            unsafe {
                core::arch::asm!(
                    "/* {0} */",
                    inout(ymm_reg) * v,
                    options(nomem, nostack, preserves_flags)
                )
            };
        }
    }
    for v in x.iter_mut() {
        *v = _mm256_aesenclast_epi128(*v, rk[10]);
    }
}

/// One TCCR chunk of `2W` blocks. `tv` holds the tweak numbers of the
/// chunk's first two blocks (one per lane) and advances by `inc` per
/// register. The tweak block is `i ^ rk[0]` (see `hash::tweak_block`), so
/// after AES's own whitening XOR with `rk[0]` only `u ^ i` remains.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn tccr_chunk<const W: usize>(
    rk: &[__m256i; 11],
    inp: &[Block],
    out: &mut [Block],
    tv: &mut __m256i,
    inc: __m256i,
) {
    let mut u = [_mm256_setzero_si256(); W];
    for (j, v) in u.iter_mut().enumerate() {
        // SAFETY: `inp` holds 2W blocks (the callers slice it so; indexing
        // checks it); unaligned 32-byte load.
        let x = unsafe { _mm256_loadu_si256(inp[2 * j..2 * j + 2].as_ptr().cast()) };
        *v = _mm256_xor_si256(x, rk[0]);
    }
    rounds(rk, &mut u);
    let mut v = [_mm256_setzero_si256(); W];
    for (v, u) in v.iter_mut().zip(&u) {
        *v = _mm256_xor_si256(*u, *tv);
        *tv = _mm256_add_epi64(*tv, inc);
    }
    rounds(rk, &mut v);
    for (j, (v, u)) in v.iter().zip(&u).enumerate() {
        // SAFETY: `out` holds 2W blocks; unaligned 32-byte store.
        unsafe {
            _mm256_storeu_si256(
                out[2 * j..2 * j + 2].as_mut_ptr().cast(),
                _mm256_xor_si256(*v, *u),
            )
        };
    }
}

/// Main loop in chunks of 16 blocks (8 registers: enough in flight to cover
/// the AES latency on both units); the tail goes through the smallest chunk
/// that covers it, padded. Tweaks are computed with vector adds: block `m`
/// gets `first + m / per` with `per` 1 or 2, so a register (two blocks)
/// advances by `2 / per` in each lane.
#[target_feature(enable = "vaes,avx2,aes")]
fn tccr(rk: &[__m256i; 11], input: &[Block], out: &mut [Block], tweaks: Tweaks) {
    let n = input.len();
    let step = if tweaks.pair { 1 } else { 2 };
    let mut tv = _mm256_set_epi64x(0, tweaks.at(1) as i64, 0, tweaks.at(0) as i64);
    let inc = _mm256_set_epi64x(0, step, 0, step);
    let mut i = 0;
    while i + 16 <= n {
        tccr_chunk::<8>(rk, &input[i..i + 16], &mut out[i..i + 16], &mut tv, inc);
        i += 16;
    }
    let r = n - i;
    if r == 0 {
        return;
    }
    let mut tin = [Block::ZERO; 16];
    let mut tout = [Block::ZERO; 16];
    tin[..r].copy_from_slice(&input[i..]);
    match r {
        1..=2 => tccr_chunk::<1>(rk, &tin[..2], &mut tout[..2], &mut tv, inc),
        3..=4 => tccr_chunk::<2>(rk, &tin[..4], &mut tout[..4], &mut tv, inc),
        5..=8 => tccr_chunk::<4>(rk, &tin[..8], &mut tout[..8], &mut tv, inc),
        _ => tccr_chunk::<8>(rk, &tin, &mut tout, &mut tv, inc),
    }
    out[i..].copy_from_slice(&tout[..r]);
}

#[target_feature(enable = "vaes,avx2,aes")]
fn permute(rk: &[__m256i; 11], blocks: &mut [Block]) {
    let mut chunks = blocks.chunks_exact_mut(16);
    for c in &mut chunks {
        let mut x = [_mm256_setzero_si256(); 8];
        for (j, v) in x.iter_mut().enumerate() {
            // SAFETY: 16 blocks per chunk; unaligned load.
            *v = _mm256_xor_si256(
                unsafe { _mm256_loadu_si256(c[2 * j..].as_ptr().cast()) },
                rk[0],
            );
        }
        rounds(rk, &mut x);
        for (j, v) in x.iter().enumerate() {
            // SAFETY: as above; unaligned store.
            unsafe { _mm256_storeu_si256(c[2 * j..].as_mut_ptr().cast(), *v) };
        }
    }
    for b in chunks.into_remainder() {
        let mut x = [_mm256_xor_si256(
            _mm256_set_epi64x(0, 0, (b.0 >> 64) as i64, b.0 as i64),
            rk[0],
        )];
        rounds(rk, &mut x);
        let lo = _mm256_castsi256_si128(x[0]);
        let mut bytes = [0u8; 16];
        // SAFETY: 16-byte unaligned store into a 16-byte array.
        unsafe { _mm_storeu_si128(bytes.as_mut_ptr().cast(), lo) };
        *b = Block::from_bytes(bytes);
    }
}

/// Loads one label into an SSE register.
#[inline(always)]
fn ld(b: &Block) -> __m128i {
    // SAFETY: a `Block` is 16 readable bytes; unaligned load.
    unsafe { _mm_loadu_si128((b as *const Block).cast()) }
}

#[inline(always)]
fn st(b: &mut Block, v: __m128i) {
    // SAFETY: a `Block` is 16 writable bytes; unaligned store.
    unsafe { _mm_storeu_si128((b as *mut Block).cast(), v) }
}

/// All ones in each 128-bit lane whose bit 0 is set: the colour-bit select
/// mask, without a branch.
#[inline]
#[target_feature(enable = "avx2")]
fn colour_masks(x: __m256i) -> __m256i {
    _mm256_srai_epi32::<31>(_mm256_slli_epi32::<31>(_mm256_shuffle_epi32::<0>(x)))
}

impl Keys {
    /// Half-gates garbling of one step, fused: gather, hash and combine in
    /// registers, four ANDs (sixteen hashed blocks) at a time. Same
    /// formulas and tweaks as `garbler::garble_ands`.
    pub(crate) fn garble_ands(
        &self,
        d: Block,
        labels: &mut [Block],
        ands: &[AndOp],
        first_tweak: u64,
        tables: &mut [Block],
    ) {
        // SAFETY: `Keys` exists only if the features were detected.
        unsafe { garble_ands(&self.rk, d, labels, ands, first_tweak, tables) }
    }

    /// Half-gates evaluation of one step, fused, eight ANDs at a time.
    pub(crate) fn eval_ands(
        &self,
        labels: &mut [Block],
        ands: &[AndOp],
        first_tweak: u64,
        tables: &[Block],
    ) {
        // SAFETY: as above.
        unsafe { eval_ands(&self.rk, labels, ands, first_tweak, tables) }
    }
}

#[target_feature(enable = "vaes,avx2,aes")]
fn garble_ands(
    rk: &[__m256i; 11],
    d: Block,
    labels: &mut [Block],
    ands: &[AndOp],
    first: u64,
    tables: &mut [Block],
) {
    let dx = ld(&d);
    // (0, Delta) ^ rk0: turns a broadcast label into (L0, L1) ^ rk0.
    let dk = _mm256_xor_si256(
        _mm256_inserti128_si256::<1>(_mm256_setzero_si256(), dx),
        rk[0],
    );
    // Register 2i holds AND i's A labels (tweak 2k), 2i+1 its B labels (2k+1).
    let mut tv = _mm256_set_epi64x(0, first as i64, 0, first as i64);
    let inc = _mm256_set_epi64x(0, 1, 0, 1);
    let n = ands.len();
    let mut i = 0;
    while i + 4 <= n {
        garble_chunk::<4, 8>(
            rk,
            dx,
            dk,
            labels,
            &ands[i..i + 4],
            &mut tables[2 * i..2 * i + 8],
            &mut tv,
            inc,
        );
        i += 4;
    }
    if i + 2 <= n {
        garble_chunk::<2, 4>(
            rk,
            dx,
            dk,
            labels,
            &ands[i..i + 2],
            &mut tables[2 * i..2 * i + 4],
            &mut tv,
            inc,
        );
        i += 2;
    }
    if i < n {
        garble_chunk::<1, 2>(
            rk,
            dx,
            dk,
            labels,
            &ands[i..i + 1],
            &mut tables[2 * i..2 * i + 2],
            &mut tv,
            inc,
        );
    }
}

/// `N` ANDs in `W = 2N` registers.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn garble_chunk<const N: usize, const W: usize>(
    rk: &[__m256i; 11],
    dx: __m128i,
    dk: __m256i,
    labels: &mut [Block],
    ands: &[AndOp],
    tables: &mut [Block],
    tv: &mut __m256i,
    inc: __m256i,
) {
    debug_assert!(W == 2 * N && ands.len() == N && tables.len() == 2 * N);
    let mut a0 = [_mm_setzero_si128(); N];
    let mut b0 = [_mm_setzero_si128(); N];
    let mut u = [_mm256_setzero_si256(); W];
    for i in 0..N {
        let g = ands[i];
        a0[i] = ld(&labels[g.a as usize]);
        b0[i] = ld(&labels[g.b as usize]);
        u[2 * i] = _mm256_xor_si256(_mm256_broadcastsi128_si256(a0[i]), dk);
        u[2 * i + 1] = _mm256_xor_si256(_mm256_broadcastsi128_si256(b0[i]), dk);
    }
    rounds(rk, &mut u);
    let mut v = [_mm256_setzero_si256(); W];
    for (v, u) in v.iter_mut().zip(&u) {
        *v = _mm256_xor_si256(*u, *tv);
        *tv = _mm256_add_epi64(*tv, inc);
    }
    rounds(rk, &mut v);
    for i in 0..N {
        let ha = _mm256_xor_si256(v[2 * i], u[2 * i]); // (H(A0), H(A1))
        let hb = _mm256_xor_si256(v[2 * i + 1], u[2 * i + 1]); // (H(B0), H(B1))
        let ha0 = _mm256_castsi256_si128(ha);
        let hb0 = _mm256_castsi256_si128(hb);
        let ha01 = _mm_xor_si128(ha0, _mm256_extracti128_si256::<1>(ha));
        let hb01 = _mm_xor_si128(hb0, _mm256_extracti128_si256::<1>(hb));
        let pa = _mm_srai_epi32::<31>(_mm_slli_epi32::<31>(_mm_shuffle_epi32::<0>(a0[i])));
        let pb = _mm_srai_epi32::<31>(_mm_slli_epi32::<31>(_mm_shuffle_epi32::<0>(b0[i])));
        let tg = _mm_xor_si128(ha01, _mm_and_si128(pb, dx));
        let wg = _mm_xor_si128(ha0, _mm_and_si128(pa, tg));
        let te = _mm_xor_si128(hb01, a0[i]);
        let we = _mm_xor_si128(hb0, _mm_and_si128(pb, _mm_xor_si128(te, a0[i])));
        st(&mut labels[ands[i].out as usize], _mm_xor_si128(wg, we));
        st(&mut tables[2 * i], tg);
        st(&mut tables[2 * i + 1], te);
    }
}

#[target_feature(enable = "vaes,avx2,aes")]
fn eval_ands(
    rk: &[__m256i; 11],
    labels: &mut [Block],
    ands: &[AndOp],
    first: u64,
    tables: &[Block],
) {
    // Register i holds (A, B) of AND i: tweaks (2k, 2k + 1).
    let mut tv = _mm256_set_epi64x(0, first as i64 + 1, 0, first as i64);
    let inc = _mm256_set_epi64x(0, 2, 0, 2);
    let n = ands.len();
    let mut i = 0;
    while i + 8 <= n {
        eval_chunk::<8>(
            rk,
            labels,
            &ands[i..i + 8],
            &tables[2 * i..2 * i + 16],
            &mut tv,
            inc,
        );
        i += 8;
    }
    if i + 4 <= n {
        eval_chunk::<4>(
            rk,
            labels,
            &ands[i..i + 4],
            &tables[2 * i..2 * i + 8],
            &mut tv,
            inc,
        );
        i += 4;
    }
    if i + 2 <= n {
        eval_chunk::<2>(
            rk,
            labels,
            &ands[i..i + 2],
            &tables[2 * i..2 * i + 4],
            &mut tv,
            inc,
        );
        i += 2;
    }
    if i < n {
        eval_chunk::<1>(
            rk,
            labels,
            &ands[i..i + 1],
            &tables[2 * i..2 * i + 2],
            &mut tv,
            inc,
        );
    }
}

/// `N` ANDs in `N` registers.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn eval_chunk<const N: usize>(
    rk: &[__m256i; 11],
    labels: &mut [Block],
    ands: &[AndOp],
    tables: &[Block],
    tv: &mut __m256i,
    inc: __m256i,
) {
    debug_assert!(ands.len() == N && tables.len() == 2 * N);
    let mut x = [_mm256_setzero_si256(); N];
    let mut u = [_mm256_setzero_si256(); N];
    for i in 0..N {
        let g = ands[i];
        let a = ld(&labels[g.a as usize]);
        let b = ld(&labels[g.b as usize]);
        x[i] = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(a), b);
        u[i] = _mm256_xor_si256(x[i], rk[0]);
    }
    rounds(rk, &mut u);
    let mut v = [_mm256_setzero_si256(); N];
    for (v, u) in v.iter_mut().zip(&u) {
        *v = _mm256_xor_si256(*u, *tv);
        *tv = _mm256_add_epi64(*tv, inc);
    }
    rounds(rk, &mut v);
    for i in 0..N {
        let h = _mm256_xor_si256(v[i], u[i]); // (H(A), H(B))
                                              // SAFETY: `tables` holds 2N blocks; unaligned 32-byte load of (TG, TE).
        let t = unsafe { _mm256_loadu_si256(tables[2 * i..2 * i + 2].as_ptr().cast()) };
        // (TG, TE ^ A), selected by the colour bits (sa, sb).
        let a_hi = _mm256_permute2x128_si256::<0x08>(x[i], x[i]);
        let w = _mm256_xor_si256(
            h,
            _mm256_and_si256(colour_masks(x[i]), _mm256_xor_si256(t, a_hi)),
        );
        let out = _mm_xor_si128(_mm256_castsi256_si128(w), _mm256_extracti128_si256::<1>(w));
        st(&mut labels[ands[i].out as usize], out);
    }
}
