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
//! Layout: ANDs go in *pairs*, one AND per 128-bit lane of every register,
//! from the hashing to the combine: the registers of a pair hold `(A, A')`,
//! `(B, B')`, `(X, X')` and their hashes, so `X = A ^ B` is one XOR for
//! both, and the combine's bitwise algebra (about thirty operations, which
//! bound this kernel more than AES does: the vector ports are shared) runs
//! once per pair. A chunk of four pairs runs two passes of eight registers
//! (the number in flight that covers the AES latency on both units): the
//! first call of the four `X` registers with the second call of the four
//! `A` registers, then the second call of the `X` registers with that of the
//! `B` registers. A software pipeline that interleaved one chunk's combine
//! with the next chunk's rounds (as half-gates' `eval_ands` does) measured
//! about 5% slower: the hash outputs of a whole chunk spilled.
//!
//! The evaluator's colour bits and the control bits are public to it, but
//! every selection by them is a mask all the same, never a branch or an
//! index (the style of the garbler's kernel).

use super::{ldp, rounds, Keys};
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
    let (pairs, odd) = ands.as_chunks::<2>();
    let (table_pairs, _) = halves.as_chunks::<48>();
    let t = crate::hash::three_halves_tweak(first_and, 0) as i64;
    // The tweaks of the next pair (ANDs k, k + 1), in the low word of each
    // lane: `A` is hashed under 3k, `B` under 3k + 1, `X` under 3k + 2.
    let mut tw = _mm256_set_epi64x(0, t + 3, 0, t);
    let (lp, pp) = (labels.as_mut_ptr(), pis.as_ptr());
    let mut p = 0;
    macro_rules! chunk {
        ($p:literal) => {
            let g: &[[AndOp; 2]; $p] = pairs[p..p + $p].try_into().expect("pairs");
            let t: &[[u8; 48]; $p] = table_pairs[p..p + $p].try_into().expect("tables");
            let z = get_bits(control, 10 * p, 10 * $p);
            // SAFETY: the slot contract.
            unsafe { chunk::<$p, false>(rk, lp, pp, g, t, z, &mut tw) };
            p += $p;
        };
    }
    while p + 4 <= pairs.len() {
        chunk!(4);
    }
    if p + 2 <= pairs.len() {
        chunk!(2);
    }
    if p < pairs.len() {
        chunk!(1);
    }
    if let [g] = odd {
        // The last AND of an odd step: its pair's upper lane repeats it and
        // is dropped, never stored.
        let k = 2 * p;
        let mut t = [0u8; 48];
        t[..24].copy_from_slice(&halves[24 * k..24 * k + 24]);
        let z = get_bits(control, 5 * k, 5);
        // SAFETY: the slot contract.
        unsafe { chunk::<1, true>(rk, lp, pp, &[[*g, *g]], &[t], z, &mut tw) };
    }
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

/// Two 128-bit values as the lanes of one register.
#[inline(always)]
fn pair(lo: __m128i, hi: __m128i) -> __m256i {
    // SAFETY: AVX is available wherever this kernel runs (it is only
    // inlined into `vaes,avx2` functions).
    unsafe { _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(lo), hi) }
}

/// `P` (1, 2 or 4) pairs of ANDs with their table bytes and control bits
/// (`10 P` bits of `z`): two passes of `2 P` registers, then the combine
/// of each pair (see the module docs). With `ODD`, the one pair's upper
/// lane is a repeat whose output is not stored.
///
/// # Safety
/// The slot contract.
#[inline]
#[target_feature(enable = "vaes,avx2,aes")]
unsafe fn chunk<const P: usize, const ODD: bool>(
    rk: &[__m256i; 11],
    lp: *mut Block,
    pp: *const Block,
    pairs: &[[AndOp; 2]; P],
    tables: &[[u8; 48]; P],
    z: u64,
    tw: &mut __m256i,
) {
    let inc = _mm256_set_epi64x(0, 6, 0, 6);
    let one = _mm256_set_epi64x(0, 1, 0, 1);
    // Pass one: the whitened `X` registers, then the `A` registers' second
    // call; pass two: the `X` registers' second call, then the `B`
    // registers'. `u` keeps `pi(A)`, `pi(B)` for the TCCR's final XOR.
    let mut p1 = [[_mm256_setzero_si256(); P]; 2];
    let mut p2 = [[_mm256_setzero_si256(); P]; 2];
    let mut u = [[_mm256_setzero_si256(); P]; 2];
    let mut tws = [_mm256_setzero_si256(); P];
    for (m, g) in pairs.iter().enumerate() {
        // SAFETY: the slot contract.
        let ld = |s: u32| unsafe { ldp(lp, s as usize) };
        // SAFETY: as above.
        let ldpi = |s: u32| unsafe { ldp(pp, s as usize) };
        let x = _mm256_xor_si256(pair(ld(g[0].a), ld(g[1].a)), pair(ld(g[0].b), ld(g[1].b)));
        p1[0][m] = _mm256_xor_si256(x, rk[0]);
        u[0][m] = pair(ldpi(g[0].pa), ldpi(g[1].pa));
        u[1][m] = pair(ldpi(g[0].pb), ldpi(g[1].pb));
        p1[1][m] = _mm256_xor_si256(u[0][m], *tw);
        p2[1][m] = _mm256_xor_si256(u[1][m], _mm256_add_epi64(*tw, one));
        tws[m] = *tw;
        *tw = _mm256_add_epi64(*tw, inc);
    }
    let mut v1: [__m256i; 8] = [_mm256_setzero_si256(); 8];
    v1[..P].copy_from_slice(&p1[0]);
    v1[P..2 * P].copy_from_slice(&p1[1]);
    passes(rk, &mut v1, P);
    // pi(X), then its second call under 3k + 2.
    let two = _mm256_add_epi64(one, one);
    let mut v2: [__m256i; 8] = [_mm256_setzero_si256(); 8];
    for m in 0..P {
        v2[m] = _mm256_xor_si256(v1[m], _mm256_add_epi64(tws[m], two));
    }
    v2[P..2 * P].copy_from_slice(&p2[1]);
    passes(rk, &mut v2, P);
    for (m, g) in pairs.iter().enumerate() {
        let ha = _mm256_xor_si256(v1[P + m], u[0][m]);
        let hb = _mm256_xor_si256(v2[P + m], u[1][m]);
        let hx = _mm256_xor_si256(v2[m], v1[m]);
        // SAFETY: the slot contract.
        unsafe { finish::<ODD>(lp, g, ha, hb, hx, &tables[m], z >> (10 * m)) };
    }
}

/// The AES rounds of the first `2 P` registers of `v` (`P` is 1, 2 or 4:
/// arrays of 2, 4 or 8 registers, so that they stay in registers).
#[inline(always)]
fn passes(rk: &[__m256i; 11], v: &mut [__m256i; 8], p: usize) {
    // SAFETY: the callers run with VAES, AVX2 and AES-NI.
    unsafe {
        match p {
            4 => rounds(rk, v),
            2 => {
                let mut w: [__m256i; 4] = v[..4].try_into().expect("four");
                rounds(rk, &mut w);
                v[..4].copy_from_slice(&w);
            }
            _ => {
                let mut w: [__m256i; 2] = v[..2].try_into().expect("two");
                rounds(rk, &mut w);
                v[..2].copy_from_slice(&w);
            }
        }
    }
}

/// Combines a pair of ANDs and stores their output labels (only the lower
/// one with `ODD`): `ha`, `hb`, `hx` the hashes of `A`, `B`, `X` of both,
/// `table` their 48 bytes `G0, G1, G2, G0', G1', G2'`, bits 0 to 9 of `z`
/// their control bits.
///
/// # Safety
/// The slot contract; AVX2 available.
#[inline(always)]
unsafe fn finish<const ODD: bool>(
    lp: *mut Block,
    g: &[AndOp; 2],
    ha: __m256i,
    hb: __m256i,
    hx: __m256i,
    table: &[u8; 48],
    z: u64,
) {
    // SAFETY: the slot contract; `table` holds 48 readable bytes (unaligned
    // loads at offsets 0, 24 and 16).
    unsafe {
        let a = pair(ldp(lp, g[0].a as usize), ldp(lp, g[1].a as usize));
        let b = pair(ldp(lp, g[0].b as usize), ldp(lp, g[1].b as usize));
        let tp = table.as_ptr();
        let g01 = pair(
            _mm_loadu_si128(tp.cast()),
            _mm_loadu_si128(tp.add(24).cast()),
        );
        // [G2, G0', G1', G2'] -> [G2, G2, G2', G2'].
        let g22 = _mm256_permute4x64_epi64::<0b11_11_00_00>(_mm256_loadu_si256(tp.add(16).cast()));
        let c = combine(a, b, ha, hb, hx, g01, g22, z);
        let out = lp.cast::<__m128i>();
        _mm_storeu_si128(out.add(g[0].out as usize), _mm256_castsi256_si128(c));
        if !ODD {
            _mm_storeu_si128(out.add(g[1].out as usize), _mm256_extracti128_si256::<1>(c));
        }
    }
}

/// The evaluator's combine (`eval_combine` of [`crate::three_halves`] on
/// registers) of two ANDs, one per 128-bit lane: from the active labels
/// `a`, `b`, the hashes `ha = H(A)`, `hb = H(B)`, `hx = H(A ^ B)`, the
/// table halves `[G0, G1]` and `[G2, G2]`, and the control bits (bits 0 to
/// 4 of `z` for the lower lane, 5 to 9 for the upper): the output labels.
///
/// In each lane, with `I = [i, j]` the colour masks of `A`, `B` and
/// `K = [k, k]`, `k = i ^ j`, both output halves at once:
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
    a: __m256i,
    b: __m256i,
    ha: __m256i,
    hb: __m256i,
    hx: __m256i,
    g01: __m256i,
    g22: __m256i,
    z: u64,
) -> __m256i {
    let x = _mm256_xor_si256;
    let and = _mm256_and_si256;
    let swap64 = |v: __m256i| _mm256_shuffle_epi32::<0x4e>(v);
    // [i, j] as masks: bit 0 of A.lo and of B.lo, spread over their words.
    let ab_lo = _mm256_unpacklo_epi64(a, b);
    let im = _mm256_srai_epi32::<31>(_mm256_slli_epi32::<31>(
        _mm256_shuffle_epi32::<0b1010_0000>(ab_lo),
    ));
    let km = x(im, swap64(im));
    // The hash halves and, in bit 0 of the high words, the pads e.
    let h = x(_mm256_unpacklo_epi64(ha, hb), _mm256_unpacklo_epi64(hx, hx));
    let e = x(_mm256_unpackhi_epi64(ha, hb), _mm256_unpackhi_epi64(hx, hx));
    // The decoded bits [r0, r1] in bit 0, then as masks.
    let zv = _mm256_set1_epi64x(z as i64);
    let s = _mm256_srlv_epi64(zv, _mm256_set_epi64x(6, 5, 1, 0));
    let z4 = _mm256_srlv_epi64(zv, _mm256_set_epi64x(9, 9, 4, 4));
    let r = x(x(s, e), x(and(im, _mm256_srli_epi64::<2>(s)), and(km, z4)));
    let rm = _mm256_sub_epi64(_mm256_setzero_si256(), and(r, _mm256_set1_epi64x(1)));
    let (r0, r1) = (_mm256_unpacklo_epi64(rm, rm), _mm256_unpackhi_epi64(rm, rm));
    // The slices S0 = [u, v], S1 = [v, w] and [B.lo, A.hi].
    let t = x(a, swap64(b));
    let s1 = x(t, and(b, _mm256_set_epi64x(-1, 0, -1, 0)));
    let s0 = x(swap64(t), and(a, _mm256_set_epi64x(0, -1, 0, -1)));
    let ba = _mm256_blend_epi32::<0b1100_1100>(b, a);
    x(
        x(
            x(h, and(im, g01)),
            x(and(km, g22), _mm256_andnot_si256(im, ba)),
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
