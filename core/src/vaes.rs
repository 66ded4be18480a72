//! AES-128 on VAES-256 (two blocks per instruction), for CPUs that have VAES
//! without AVX-512, such as AMD Zen 3: the crate's one VAES implementation,
//! serving the fixed-key TCCR and half-gates kernels (`hash`, `garbler`,
//! `evaluator`) and the keyed counter-mode PRG of OT extension (`ot::prg`).
//!
//! Why this exists: the `aes` crate (0.9.4) has a VAES-256 backend, but its
//! feature detection (cpufeatures 0.3.1) demands the AVX-512 (`zmm`) register
//! state for `vaes`, so on an AVX2-only CPU it silently falls back to 128-bit
//! AES-NI, at about half the throughput. `std::arch::is_x86_feature_detected!`
//! gets this right, so [`available`] is the one run-time check, and every
//! user falls back to the `aes` crate when it fails. Every result is tested
//! against the `aes` crate (FIPS-197 and random blocks). If the crate's
//! detection is fixed, this module can go.

#![cfg(target_arch = "x86_64")]

use crate::block::Block;
use crate::garbler::PI_STRIDE;
use crate::hash::Tweaks;
use crate::plan::{AndOp, Slot};
use core::arch::x86_64::*;

mod three_halves;
mod three_halves_eval;

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

    /// Plain AES in place (the ceiling measurement).
    pub(crate) fn permute(&self, blocks: &mut [Block]) {
        let p = blocks.as_mut_ptr();
        // SAFETY: the features were detected; `p` covers `blocks.len()`
        // blocks and source and destination are the same buffer.
        unsafe { ecb(&self.rk, p, p, blocks.len()) }
    }

    /// `out[m] = AES_k(input[m])`: counter mode when `input` holds counters
    /// (the OT extension's PRG, `ot::prg`). Panics if the lengths differ.
    pub(crate) fn encrypt(&self, input: &[Block], out: &mut [Block]) {
        assert_eq!(input.len(), out.len(), "one output block per input block");
        // SAFETY: the features were detected; both slices hold `len` blocks
        // and, one shared and one exclusive borrow, cannot overlap.
        unsafe { ecb(&self.rk, input.as_ptr(), out.as_mut_ptr(), input.len()) }
    }

    /// Overwrites the round keys with zeros (for secret keys; the fixed
    /// TCCR key is public). Volatile so the wipe is not optimized away.
    pub(crate) fn wipe(&mut self) {
        for k in self.rk.iter_mut() {
            // SAFETY: `k` is a valid, aligned, exclusive reference.
            unsafe { std::ptr::write_volatile(k, _mm256_setzero_si256()) };
        }
        std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
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
fn expand(mut key: [u8; 16]) -> Keys {
    // SAFETY: unaligned load of 16 bytes from a 16-byte array.
    let k0 = unsafe { _mm_loadu_si128(key.as_ptr().cast()) };
    zeroize::Zeroize::zeroize(&mut key);
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
    middle_rounds(rk, x);
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

/// AES-128 of `n` blocks from `src` to `dst` (which may be the same
/// buffer), sixteen blocks (eight registers) at a time.
///
/// # Safety
/// VAES, AVX2 and AES-NI must be available; `src` must be readable and `dst`
/// writable for `n` blocks, and the two either equal or disjoint.
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn ecb(rk: &[__m256i; 11], src: *const Block, dst: *mut Block, n: usize) {
    let mut i = 0;
    while i + 16 <= n {
        let mut x = [_mm256_setzero_si256(); 8];
        for (j, v) in x.iter_mut().enumerate() {
            // SAFETY: blocks i .. i + 16 are in bounds (caller); unaligned load.
            *v = _mm256_xor_si256(
                unsafe { _mm256_loadu_si256(src.add(i + 2 * j).cast()) },
                rk[0],
            );
        }
        rounds(rk, &mut x);
        for (j, v) in x.iter().enumerate() {
            // SAFETY: as above; unaligned store.
            unsafe { _mm256_storeu_si256(dst.add(i + 2 * j).cast(), *v) };
        }
        i += 16;
    }
    while i < n {
        // SAFETY: block i is in bounds (caller); unaligned 16-byte load.
        let b = unsafe { _mm_loadu_si128(src.add(i).cast()) };
        let mut x = [_mm256_xor_si256(_mm256_castsi128_si256(b), rk[0])];
        rounds(rk, &mut x);
        // SAFETY: as above; unaligned 16-byte store.
        unsafe { _mm_storeu_si128(dst.add(i).cast(), _mm256_castsi256_si128(x[0])) };
        i += 1;
    }
}

/// Loads one label into an SSE register.
#[inline(always)]
fn ld(b: &Block) -> __m128i {
    // SAFETY: a `Block` is 16 readable bytes; unaligned load.
    unsafe { _mm_loadu_si128((b as *const Block).cast()) }
}

/// All ones in each 128-bit lane whose bit 0 is set: the colour-bit select
/// mask, without a branch.
#[inline]
#[target_feature(enable = "avx2")]
fn colour_masks(x: __m256i) -> __m256i {
    _mm256_srai_epi32::<31>(_mm256_slli_epi32::<31>(_mm256_shuffle_epi32::<0>(x)))
}

// The step kernels below index labels, `pi` values and tables without
// bounds checks (they were a fifth of the garbling kernel's instructions).
// Their contract, which `Plan` guarantees for its steps (every slot below
// `num_slots`, checked when the plan is built) and the callers check once per
// step (`labels.len() >= num_slots`, `pis.len()` as below):
//
// - every label slot `s` in `slots` / `ands` has `s < labels.len()`, and
//   every pi slot `p` in `dest` / `ands` has `PI_STRIDE * p + 1 < pis.len()`
//   (garbler) or `p < pis.len()` (evaluator); `dest.len() == slots.len()`;
// - `tables.len() == 2 * ands.len()` (checked here; it is cheap).
impl Keys {
    /// `(pi(L), pi(L ^ d))` of the labels in `slots`, stored at
    /// `PI_STRIDE * p` of `pis` for the matching pi slot `p` of `dest`: the
    /// garbler's memoized
    /// first TCCR call, eight labels (sixteen blocks) at a time.
    ///
    /// # Safety
    /// The slot contract above.
    pub(crate) unsafe fn garble_pis(
        &self,
        d: Block,
        labels: &[Block],
        pis: &mut [Block],
        slots: &[Slot],
        dest: &[Slot],
    ) {
        assert_eq!(slots.len(), dest.len(), "one pi slot per label");
        // SAFETY: `Keys` exists only if the features were detected; slots
        // per the caller's contract.
        unsafe { garble_pis(&self.rk, d, labels, pis, slots, dest) }
    }

    /// `pi(W)` of the labels in `slots`, stored at the matching pi slot of
    /// `dest` in `pis`: the evaluator's memoized first TCCR call, sixteen
    /// labels at a time.
    ///
    /// # Safety
    /// The slot contract above.
    pub(crate) unsafe fn eval_pis(
        &self,
        labels: &[Block],
        pis: &mut [Block],
        slots: &[Slot],
        dest: &[Slot],
    ) {
        assert_eq!(slots.len(), dest.len(), "one pi slot per label");
        // SAFETY: as above.
        unsafe { eval_pis(&self.rk, labels, pis, slots, dest) }
    }

    /// Half-gates garbling of one step, fused: gather the memoized `pi`,
    /// hash the tweaked second call and combine in registers, four ANDs
    /// (sixteen hashed blocks) at a time. Same formulas and tweaks as
    /// `garbler::garble_ands`.
    ///
    /// # Safety
    /// The slot contract above.
    ///
    /// With `fresh`, `pi` of every input is computed here (and stored in
    /// its pi slot for later steps) instead of read: for steps whose inputs
    /// are nearly all read for the first time (SHA-256), where a separate
    /// `garble_pis` pass only adds a round trip through memory.
    #[allow(clippy::too_many_arguments)]
    pub(crate) unsafe fn garble_ands(
        &self,
        d: Block,
        labels: &mut [Block],
        pis: &mut [Block],
        ands: &[AndOp],
        first_tweak: u64,
        tables: &mut [Block],
        fresh: bool,
    ) {
        assert_eq!(tables.len(), 2 * ands.len(), "two table blocks per AND");
        // SAFETY: as above.
        unsafe {
            if fresh {
                garble_ands::<true>(&self.rk, d, labels, pis, ands, first_tweak, tables)
            } else {
                garble_ands::<false>(&self.rk, d, labels, pis, ands, first_tweak, tables)
            }
        }
    }

    /// Half-gates evaluation of one step, fused, eight ANDs at a time.
    ///
    /// # Safety
    /// The slot contract above.
    pub(crate) unsafe fn eval_ands(
        &self,
        labels: &mut [Block],
        pis: &[Block],
        ands: &[AndOp],
        first_tweak: u64,
        tables: &[Block],
    ) {
        assert_eq!(tables.len(), 2 * ands.len(), "two table blocks per AND");
        // SAFETY: as above.
        unsafe { eval_ands(&self.rk, labels, pis, ands, first_tweak, tables) }
    }
}

/// Loads label `i` of the array at `p`.
///
/// # Safety
/// `p.add(i)` must be a readable block.
#[inline(always)]
unsafe fn ldp(p: *const Block, i: usize) -> __m128i {
    // SAFETY: per the contract; unaligned 16-byte load.
    unsafe { _mm_loadu_si128(p.add(i).cast()) }
}

/// Loads blocks `i` and `i + 1` of the array at `p`.
///
/// # Safety
/// Both must be readable.
#[inline(always)]
unsafe fn ldp2(p: *const Block, i: usize) -> __m256i {
    // SAFETY: per the contract; unaligned 32-byte load.
    unsafe { _mm256_loadu_si256(p.add(i).cast()) }
}

/// Stores label `i` of the array at `p`.
///
/// # Safety
/// `p.add(i)` must be a writable block.
#[inline(always)]
unsafe fn stp(p: *mut Block, i: usize, v: __m128i) {
    // SAFETY: per the contract; unaligned 16-byte store.
    unsafe { _mm_storeu_si128(p.add(i).cast(), v) }
}

/// The pair `(pi(L), pi(L ^ D))` in pi slot `s`, in stored order: the
/// combine picks the zero-label's half by the read's flip (see
/// [`garble_combine`]).
///
/// # Safety
/// Blocks `2s`, `2s + 1` of `pis` must be readable; AVX available.
#[inline(always)]
unsafe fn pi_pair(pis: *const Block, s: Slot) -> __m256i {
    // SAFETY: per the contract.
    unsafe { ldp2(pis, PI_STRIDE * s as usize) }
}

/// Stores `(pi(L), pi(L ^ D))` into pi slot `p`.
///
/// # Safety
/// Blocks `2p`, `2p + 1` of `pis` must be writable; AVX available.
#[inline(always)]
unsafe fn store_pi(pis: *mut Block, p: Slot, v: __m256i) {
    // SAFETY: per the contract; unaligned 32-byte store.
    unsafe { _mm256_storeu_si256(pis.add(PI_STRIDE * p as usize).cast(), v) }
}

/// Loads the two blocks at `b[i]` and `b[i + 1]` (bounds-checked).
#[inline(always)]
fn ld2(b: &[Block], i: usize) -> __m256i {
    let p = &b[i..i + 2];
    // SAFETY: two readable blocks; unaligned 32-byte load.
    unsafe { _mm256_loadu_si256(p.as_ptr().cast()) }
}

/// `(0, Delta) ^ rk0`: XORed into a broadcast label it gives
/// `(L, L ^ Delta) ^ rk0`, the input of the garbler's first TCCR call.
#[inline]
#[target_feature(enable = "avx2")]
fn pair_key(rk: &[__m256i; 11], dx: __m128i) -> __m256i {
    _mm256_xor_si256(
        _mm256_inserti128_si256::<1>(_mm256_setzero_si256(), dx),
        rk[0],
    )
}

#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn garble_pis(
    rk: &[__m256i; 11],
    d: Block,
    labels: &[Block],
    pis: &mut [Block],
    slots: &[Slot],
    dest: &[Slot],
) {
    let dk = pair_key(rk, ld(&d));
    let mut i = 0;
    let n = slots.len();
    macro_rules! chunk {
        ($w:literal) => {
            garble_pi_chunk::<$w>(rk, dk, labels, pis, &slots[i..i + $w], &dest[i..i + $w]);
            i += $w;
        };
    }
    while i + 8 <= n {
        chunk!(8);
    }
    if i + 4 <= n {
        chunk!(4);
    }
    if i + 2 <= n {
        chunk!(2);
    }
    if i < n {
        garble_pi_chunk::<1>(rk, dk, labels, pis, &slots[i..], &dest[i..]);
    }
}

#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn garble_pi_chunk<const W: usize>(
    rk: &[__m256i; 11],
    dk: __m256i,
    labels: &[Block],
    pis: &mut [Block],
    slots: &[Slot],
    dest: &[Slot],
) {
    let mut u = [_mm256_setzero_si256(); W];
    let (lp, pp) = (labels.as_ptr(), pis.as_mut_ptr());
    for (v, &s) in u.iter_mut().zip(slots) {
        // SAFETY: the slot contract.
        *v = _mm256_xor_si256(
            _mm256_broadcastsi128_si256(unsafe { ldp(lp, s as usize) }),
            dk,
        );
    }
    rounds(rk, &mut u);
    for (v, &p) in u.iter().zip(dest) {
        // SAFETY: the slot contract: blocks 3p .. 3p + 3 are in `pis`.
        unsafe { store_pi(pp, p, *v) };
    }
}

#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn eval_pis(
    rk: &[__m256i; 11],
    labels: &[Block],
    pis: &mut [Block],
    slots: &[Slot],
    dest: &[Slot],
) {
    let mut chunks = slots.chunks_exact(16).zip(dest.chunks_exact(16));
    for (c, d) in &mut chunks {
        eval_pi_chunk::<8>(rk, labels, pis, c, d);
    }
    let done = slots.len() / 16 * 16;
    let (rest, rest_d) = (&slots[done..], &dest[done..]);
    if rest.is_empty() {
        return;
    }
    // Pad the tail with its last slot (hashed twice, stored twice: harmless).
    let mut pad = [rest[rest.len() - 1]; 16];
    pad[..rest.len()].copy_from_slice(rest);
    let mut pad_d = [rest_d[rest_d.len() - 1]; 16];
    pad_d[..rest_d.len()].copy_from_slice(rest_d);
    match rest.len() {
        1..=2 => eval_pi_chunk::<1>(rk, labels, pis, &pad[..2], &pad_d[..2]),
        3..=4 => eval_pi_chunk::<2>(rk, labels, pis, &pad[..4], &pad_d[..4]),
        5..=8 => eval_pi_chunk::<4>(rk, labels, pis, &pad[..8], &pad_d[..8]),
        _ => eval_pi_chunk::<8>(rk, labels, pis, &pad, &pad_d),
    }
}

/// `2W` labels in `W` registers.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn eval_pi_chunk<const W: usize>(
    rk: &[__m256i; 11],
    labels: &[Block],
    pis: &mut [Block],
    slots: &[Slot],
    dest: &[Slot],
) {
    let mut u = [_mm256_setzero_si256(); W];
    let (slots, dest) = (&slots[..2 * W], &dest[..2 * W]);
    let (lp, pp) = (labels.as_ptr(), pis.as_mut_ptr());
    for (j, v) in u.iter_mut().enumerate() {
        // SAFETY: the slot contract.
        let (a, b) = unsafe {
            (
                ldp(lp, slots[2 * j] as usize),
                ldp(lp, slots[2 * j + 1] as usize),
            )
        };
        *v = _mm256_xor_si256(
            _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(a), b),
            rk[0],
        );
    }
    rounds(rk, &mut u);
    for (j, v) in u.iter().enumerate() {
        // SAFETY: the slot contract.
        unsafe {
            stp(pp, dest[2 * j] as usize, _mm256_castsi256_si128(*v));
            stp(
                pp,
                dest[2 * j + 1] as usize,
                _mm256_extracti128_si256::<1>(*v),
            );
        }
    }
}

#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn garble_ands<const FRESH: bool>(
    rk: &[__m256i; 11],
    d: Block,
    labels: &mut [Block],
    pis: &mut [Block],
    ands: &[AndOp],
    first: u64,
    tables: &mut [Block],
) {
    let dx = ld(&d);
    let dk = pair_key(rk, dx);
    // Register 2i holds AND i's A pair (tweak 2k), 2i+1 its B pair (2k+1).
    let mut tv = _mm256_set_epi64x(0, first as i64, 0, first as i64);
    let inc = _mm256_set_epi64x(0, 1, 0, 1);
    let n = ands.len();
    // Fresh steps compute `pi` first, in chunks (`garble_chunk`); pipelining
    // them three deep (first call, second call, combine) measured no faster.
    let mut i = if FRESH {
        0
    } else {
        garble_pipelined(rk, dx, labels, pis, ands, tables, &mut tv, inc)
    };
    macro_rules! chunk {
        ($n:literal, $w:literal) => {
            garble_chunk::<$n, $w, FRESH>(
                rk,
                dx,
                dk,
                labels,
                pis,
                &ands[i..i + $n],
                &mut tables[2 * i..2 * i + 2 * $n],
                &mut tv,
                inc,
            );
            i += $n;
        };
    }
    while i + 4 <= n {
        chunk!(4, 8);
    }
    if i + 2 <= n {
        chunk!(2, 4);
    }
    if i < n {
        chunk!(1, 2);
    }
    debug_assert_eq!(i, n);
}

/// What the garbler's combine selects by an input's public flip: the
/// offset from the stored label to the zero-label (`0` or `Delta`) and the
/// flip as a mask.
struct FlipSel {
    offset: [__m128i; 2],
    mask: [__m128i; 2],
}

impl FlipSel {
    #[inline(always)]
    fn new(dx: __m128i) -> FlipSel {
        // SAFETY: SSE2 is in the x86-64 baseline.
        unsafe {
            FlipSel {
                offset: [_mm_setzero_si128(), dx],
                mask: [_mm_setzero_si128(), _mm_set1_epi32(-1)],
            }
        }
    }
}

/// `sel[flip]` (a [`FlipSel`] field), read from memory. A plain index let
/// LLVM turn the pick into a branch on the flip: public, so not a leak, but
/// about a quarter of AES-128's AND inputs are flipped in no pattern a
/// branch predictor can learn. The volatile read keeps it a load (LLVM now
/// emits a `cmov` of the address).
#[inline(always)]
fn flip_offset(sel: &[__m128i; 2], flip: bool) -> __m128i {
    // SAFETY: `flip as usize` is 0 or 1, in bounds of `sel`.
    unsafe { core::ptr::read_volatile(sel.as_ptr().add(flip as usize)) }
}

/// The whole chunks of four ANDs of a step whose `pi` values are memoized,
/// software-pipelined as in [`eval_ands`]: the rounds of one chunk are
/// interleaved with the combine of the one before. Returns the number of
/// ANDs done (a multiple of four); the caller garbles the rest.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn garble_pipelined(
    rk: &[__m256i; 11],
    dx: __m128i,
    labels: &mut [Block],
    pis: &[Block],
    ands: &[AndOp],
    tables: &mut [Block],
    tv: &mut __m256i,
    inc: __m256i,
) -> usize {
    let (chunks, _) = ands.as_chunks::<4>();
    let (tchunks, _) = tables.as_chunks_mut::<8>();
    let (lp, pp) = (labels.as_mut_ptr(), pis.as_ptr());
    let sel = FlipSel::new(dx);
    // Registers 2i, 2i + 1: the `pi` pairs of AND i's inputs XOR their tweak.
    let load = |g: &[AndOp; 4], tv: &mut __m256i| {
        let mut x = [_mm256_setzero_si256(); 8];
        for (i, g) in g.iter().enumerate() {
            // SAFETY: the slot contract.
            let u = unsafe { [pi_pair(pp, g.pa), pi_pair(pp, g.pb)] };
            for (h, u) in u.into_iter().enumerate() {
                x[2 * i + h] = _mm256_xor_si256(u, *tv);
                *tv = _mm256_add_epi64(*tv, inc);
            }
        }
        x
    };
    // The last round and the TCCR's final XOR with the pair, read again
    // from the pi array rather than kept in eight more registers (which
    // spilled).
    let finish = |x: &[__m256i; 8], g: &[AndOp; 4]| -> [__m256i; 8] {
        core::array::from_fn(|j| {
            let s = if j % 2 == 0 { g[j / 2].pa } else { g[j / 2].pb };
            // SAFETY: the slot contract.
            let u = unsafe { pi_pair(pp, s) };
            _mm256_xor_si256(_mm256_aesenclast_epi128(x[j], rk[10]), u)
        })
    };
    let Some((first_chunk, rest)) = chunks.split_first() else {
        return 0;
    };
    // `(H(A0), H(A1))` and `(H(B0), H(B1))` of the chunk awaiting its combine.
    let mut x = load(first_chunk, tv);
    middle_rounds(rk, &mut x);
    let mut hbuf = finish(&x, first_chunk);
    let mut prev = first_chunk;
    let mut prev_t = 0;
    for (c, cur) in rest.iter().enumerate() {
        let mut x = load(cur, tv);
        macro_rules! round {
            ($r:literal) => {
                for v in x.iter_mut() {
                    *v = _mm256_aesenc_epi128(*v, rk[$r]);
                }
                pin(&mut x);
            };
            ($r:literal, $i:literal) => {
                round!($r);
                // SAFETY: the slot contract.
                unsafe {
                    garble_combine(
                        lp,
                        &prev[$i],
                        &sel,
                        dx,
                        hbuf[2 * $i],
                        hbuf[2 * $i + 1],
                        tchunks[prev_t][2 * $i..].as_mut_ptr(),
                    )
                };
            };
        }
        round!(1, 0);
        round!(2);
        round!(3, 1);
        round!(4);
        round!(5, 2);
        round!(6);
        round!(7, 3);
        round!(8);
        round!(9);
        hbuf = finish(&x, cur);
        prev = cur;
        prev_t = c + 1;
    }
    for (i, g) in prev.iter().enumerate() {
        // SAFETY: the slot contract.
        unsafe {
            garble_combine(
                lp,
                g,
                &sel,
                dx,
                hbuf[2 * i],
                hbuf[2 * i + 1],
                tchunks[prev_t][2 * i..].as_mut_ptr(),
            )
        };
    }
    4 * chunks.len()
}

/// The garbler's half-gates combine of one AND (see `garbler`'s module
/// docs) from `ha = (H(L_a), H(L_a ^ D))` and `hb` likewise, in the stored
/// order of the inputs' labels `L`: stores the output's stored label and
/// writes `(TG, TE)` to `table`.
///
/// A flipped read (zero-label `A0 = L_a ^ D`) needs the pair's high half
/// as `H(A0)`: `H(A0) = H(L_a) ^ f * (H(L_a) ^ H(L_a ^ D))` with the flip as
/// a mask from [`FlipSel`], two bitwise ops on any vector port. Swapping the
/// halves before hashing (`vpermd`) took the AES ports' own shuffle port
/// for two cycles per input (`llvm-mca -mcpu=znver3`); the masks measured
/// 3% faster on AES-128 garbling and the same on SHA-256.
///
/// # Safety
/// The slot contract; `table` holds two writable blocks; AVX2 available.
#[inline(always)]
unsafe fn garble_combine(
    lp: *mut Block,
    g: &AndOp,
    sel: &FlipSel,
    dx: __m128i,
    ha: __m256i,
    hb: __m256i,
    table: *mut Block,
) {
    // SAFETY: the slot contract.
    let (a0, b0) = unsafe {
        (
            _mm_xor_si128(ldp(lp, g.a as usize), flip_offset(&sel.offset, g.flip_a)),
            _mm_xor_si128(ldp(lp, g.b as usize), flip_offset(&sel.offset, g.flip_b)),
        )
    };
    let (fa, fb) = (
        flip_offset(&sel.mask, g.flip_a),
        flip_offset(&sel.mask, g.flip_b),
    );
    let (ha_lo, hb_lo) = (_mm256_castsi256_si128(ha), _mm256_castsi256_si128(hb));
    let ha01 = _mm_xor_si128(ha_lo, _mm256_extracti128_si256::<1>(ha));
    let hb01 = _mm_xor_si128(hb_lo, _mm256_extracti128_si256::<1>(hb));
    // H(A0): the pair's high half if the read is flipped.
    let ha0 = _mm_xor_si128(ha_lo, _mm_and_si128(fa, ha01));
    let pa = _mm_srai_epi32::<31>(_mm_slli_epi32::<31>(_mm_shuffle_epi32::<0>(a0)));
    let pb = _mm_srai_epi32::<31>(_mm_slli_epi32::<31>(_mm_shuffle_epi32::<0>(b0)));
    let tg = _mm_xor_si128(ha01, _mm_and_si128(pb, dx));
    let wg = _mm_xor_si128(ha0, _mm_and_si128(pa, tg));
    let te = _mm_xor_si128(hb01, a0);
    // H(B0) ^ pb*hb01 = H(B_lo) ^ (pb ^ fb)*hb01, as H(B0) = H(B_lo) ^ fb*hb01.
    let we = _mm_xor_si128(hb_lo, _mm_and_si128(_mm_xor_si128(pb, fb), hb01));
    // SAFETY: the slot contract; `table` holds two writable blocks.
    unsafe {
        stp(lp, g.out as usize, _mm_xor_si128(wg, we));
        stp(table, 0, tg);
        stp(table, 1, te);
    }
}

/// `N` ANDs in `W = 2N` registers.
#[allow(clippy::too_many_arguments)]
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn garble_chunk<const N: usize, const W: usize, const FRESH: bool>(
    rk: &[__m256i; 11],
    dx: __m128i,
    dk: __m256i,
    labels: &mut [Block],
    pis: &mut [Block],
    ands: &[AndOp],
    tables: &mut [Block],
    tv: &mut __m256i,
    inc: __m256i,
) {
    debug_assert!(W == 2 * N);
    let ands: &[AndOp; N] = ands.try_into().expect("N ANDs");
    let tables: &mut [Block; W] = tables.try_into().expect("2N table blocks");
    let (lp, pp) = (labels.as_mut_ptr(), pis.as_mut_ptr());
    let sel = FlipSel::new(dx);
    let mut u = [_mm256_setzero_si256(); W];
    let mut v = [_mm256_setzero_si256(); W];
    if FRESH {
        for (i, g) in ands.iter().enumerate() {
            // SAFETY: the slot contract.
            let (a, b) = unsafe { (ldp(lp, g.a as usize), ldp(lp, g.b as usize)) };
            u[2 * i] = _mm256_xor_si256(_mm256_broadcastsi128_si256(a), dk);
            u[2 * i + 1] = _mm256_xor_si256(_mm256_broadcastsi128_si256(b), dk);
        }
        rounds(rk, &mut u);
        for (i, g) in ands.iter().enumerate() {
            // SAFETY: the slot contract.
            unsafe {
                store_pi(pp, g.pa, u[2 * i]);
                store_pi(pp, g.pb, u[2 * i + 1]);
            }
        }
    } else {
        for (i, g) in ands.iter().enumerate() {
            // SAFETY: the slot contract.
            unsafe {
                u[2 * i] = pi_pair(pp, g.pa);
                u[2 * i + 1] = pi_pair(pp, g.pb);
            }
        }
    }
    for (v, u) in v.iter_mut().zip(&u) {
        *v = _mm256_xor_si256(*u, *tv);
        *tv = _mm256_add_epi64(*tv, inc);
    }
    rounds(rk, &mut v);
    let tp = tables.as_mut_ptr();
    for (i, g) in ands.iter().enumerate() {
        // The TCCR's final XOR with the pairs, read again from the pi array
        // (where a fresh step has just stored them) rather than kept in
        // registers through the second call's rounds, which spilled.
        // SAFETY: the slot contract.
        let (ha, hb) = unsafe {
            (
                _mm256_xor_si256(v[2 * i], pi_pair(pp, g.pa)),
                _mm256_xor_si256(v[2 * i + 1], pi_pair(pp, g.pb)),
            )
        };
        // SAFETY: the slot contract; blocks 2i, 2i + 1 are in `tables`.
        unsafe { garble_combine(lp, g, &sel, dx, ha, hb, tp.add(2 * i)) };
    }
}

/// Half-gates evaluation of one step, software-pipelined: the ten AES
/// rounds of one chunk of eight ANDs are interleaved, in program order, with
/// the combine of the chunk before it (one AND between two rounds).
///
/// Why by hand: in program order after its rounds, a chunk's combine waits
/// behind up to eighty chained AES instructions for scheduler space, and the
/// AES units idle while it runs; interleaved, its instructions fill the
/// gaps between rounds (`llvm-mca -mcpu=znver3` on the loop: 86 to 68
/// cycles per chunk; measured 3 to 7% faster on AES-128 evaluation). The
/// hash outputs wait in registers between the two phases; the second TCCR
/// XOR with `pi(x)` is folded into the last round key (`aesenclast` XORs its
/// key, so `aesenclast(s, rk10 ^ u) = AES(..) ^ u`), so `u` need not stay
/// live.
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn eval_ands(
    rk: &[__m256i; 11],
    labels: &mut [Block],
    pis: &[Block],
    ands: &[AndOp],
    first: u64,
    tables: &[Block],
) {
    // Register i holds (A, B) of AND i: tweaks (2k, 2k + 1).
    let mut tv = _mm256_set_epi64x(0, first as i64 + 1, 0, first as i64);
    let inc = _mm256_set_epi64x(0, 2, 0, 2);
    let n = ands.len();
    let (chunks, _) = ands.as_chunks::<8>();
    let (tchunks, _) = tables.as_chunks::<16>();
    let (lp, pp) = (labels.as_mut_ptr(), pis.as_ptr());
    // `x ^ tweak` and `rk10 ^ x` of a chunk's eight `(pi(A), pi(B))`.
    let load = |g: &[AndOp; 8], tv: &mut __m256i| {
        let mut x = [_mm256_setzero_si256(); 8];
        let mut last = [_mm256_setzero_si256(); 8];
        for ((x, k), g) in x.iter_mut().zip(last.iter_mut()).zip(g) {
            // SAFETY: the slot contract.
            let (pa, pb) = unsafe { (ldp(pp, g.pa as usize), ldp(pp, g.pb as usize)) };
            let u = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(pa), pb);
            *x = _mm256_xor_si256(u, *tv);
            *k = _mm256_xor_si256(u, rk[10]);
            *tv = _mm256_add_epi64(*tv, inc);
        }
        (x, last)
    };
    if let Some((first_chunk, rest)) = chunks.split_first() {
        // Hash outputs `(H(A), H(B))` of the chunk waiting for its combine.
        let (x, last) = load(first_chunk, &mut tv);
        let mut hbuf = hash_rounds(rk, x, &last);
        let mut prev = first_chunk;
        let mut prev_t = &tchunks[0];
        for (c, cur) in rest.iter().enumerate() {
            let (mut x, last) = load(cur, &mut tv);
            macro_rules! round {
                ($r:literal, $i:literal) => {
                    for v in x.iter_mut() {
                        *v = _mm256_aesenc_epi128(*v, rk[$r]);
                    }
                    pin(&mut x);
                    // SAFETY: the slot contract.
                    unsafe { eval_combine(lp, &prev[$i], hbuf[$i], ld2(prev_t, 2 * $i)) };
                };
            }
            round!(1, 0);
            round!(2, 1);
            round!(3, 2);
            round!(4, 3);
            round!(5, 4);
            round!(6, 5);
            round!(7, 6);
            round!(8, 7);
            for v in x.iter_mut() {
                *v = _mm256_aesenc_epi128(*v, rk[9]);
            }
            pin(&mut x);
            hbuf = last_round(&x, &last);
            prev = cur;
            prev_t = &tchunks[c + 1];
        }
        for (i, g) in prev.iter().enumerate() {
            // SAFETY: the slot contract.
            unsafe { eval_combine(lp, g, hbuf[i], ld2(prev_t, 2 * i)) };
        }
    }
    let full = chunks.len();
    let mut i = 8 * full;
    macro_rules! chunk {
        ($n:literal) => {
            eval_chunk::<$n>(
                rk,
                labels,
                pis,
                &ands[i..i + $n],
                &tables[2 * i..2 * i + 2 * $n],
                &mut tv,
                inc,
            );
            i += $n;
        };
    }
    if i + 4 <= n {
        chunk!(4);
    }
    if i + 2 <= n {
        chunk!(2);
    }
    if i < n {
        chunk!(1);
    }
    debug_assert_eq!(i, n);
}

/// Rounds 1 to 9 of eight registers (round-major, pinned as in
/// [`rounds`]), then [`last_round`]: one chunk of a pipelined kernel hashed
/// with nothing to interleave (the first chunk of a step).
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn hash_rounds(rk: &[__m256i; 11], mut x: [__m256i; 8], last: &[__m256i; 8]) -> [__m256i; 8] {
    middle_rounds(rk, &mut x);
    last_round(&x, last)
}

/// Rounds 1 to 9, round-major, each register pinned after each round (see
/// [`rounds`]).
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn middle_rounds<const W: usize>(rk: &[__m256i; 11], x: &mut [__m256i; W]) {
    for key in &rk[1..10] {
        for v in x.iter_mut() {
            *v = _mm256_aesenc_epi128(*v, *key);
        }
        pin(x);
    }
}

/// The last AES round of eight registers, each with its own round key
/// (`rk10 ^ pi(x)`, which also makes the TCCR's final XOR).
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
fn last_round(x: &[__m256i; 8], last: &[__m256i; 8]) -> [__m256i; 8] {
    core::array::from_fn(|j| _mm256_aesenclast_epi128(x[j], last[j]))
}

/// Pins each register after an AES round (see [`rounds`]).
#[inline]
#[target_feature(enable = "avx")]
fn pin<const W: usize>(x: &mut [__m256i; W]) {
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

/// The evaluator's half-gates combine of one AND from `h = (H(A), H(B))`
/// and its table `t = (TG, TE)`: `C = H(A) ^ H(B) ^ sa*TG ^ sb*(TE ^ A)`.
///
/// # Safety
/// The slot contract; AVX2 available.
#[inline(always)]
unsafe fn eval_combine(lp: *mut Block, g: &AndOp, h: __m256i, t: __m256i) {
    // SAFETY: the slot contract.
    let (a, b) = unsafe { (ldp(lp, g.a as usize), ldp(lp, g.b as usize)) };
    let x = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(a), b);
    // (TG, TE ^ A), selected by the colour bits (sa, sb).
    let a_hi = _mm256_permute2x128_si256::<0x08>(x, x);
    let w = _mm256_xor_si256(
        h,
        _mm256_and_si256(colour_masks(x), _mm256_xor_si256(t, a_hi)),
    );
    let out = _mm_xor_si128(_mm256_castsi256_si128(w), _mm256_extracti128_si256::<1>(w));
    // SAFETY: the slot contract.
    unsafe { stp(lp, g.out as usize, out) };
}

/// `N` ANDs in `N` registers.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn eval_chunk<const N: usize>(
    rk: &[__m256i; 11],
    labels: &mut [Block],
    pis: &[Block],
    ands: &[AndOp],
    tables: &[Block],
    tv: &mut __m256i,
    inc: __m256i,
) {
    let ands: &[AndOp; N] = ands.try_into().expect("N ANDs");
    let tables = &tables[..2 * N];
    let (lp, pp) = (labels.as_mut_ptr(), pis.as_ptr());
    let mut u = [_mm256_setzero_si256(); N];
    let mut v = [_mm256_setzero_si256(); N];
    for (i, g) in ands.iter().enumerate() {
        // SAFETY: the slot contract.
        let (pa, pb) = unsafe { (ldp(pp, g.pa as usize), ldp(pp, g.pb as usize)) };
        u[i] = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(pa), pb);
        v[i] = _mm256_xor_si256(u[i], *tv);
        *tv = _mm256_add_epi64(*tv, inc);
    }
    rounds(rk, &mut v);
    for (i, g) in ands.iter().enumerate() {
        let h = _mm256_xor_si256(v[i], u[i]); // (H(A), H(B))
                                              // SAFETY: the slot contract.
        unsafe { eval_combine(lp, g, h, ld2(tables, 2 * i)) };
    }
}
