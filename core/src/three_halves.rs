//! Three-halves garbling: AND gates in 1.5 blocks and 5 bits, XOR still free.
//!
//! Rosulek and Roy, "Three Halves Make a Whole? Beating the Half-Gates Lower
//! Bound for Garbled Circuits" (CRYPTO 2021, ePrint 2021/749, "RR21"). The
//! half-gates lower bound (ZRE15: two `kappa`-bit ciphertexts per AND) holds
//! for schemes whose evaluator combines *whole* labels with coefficients
//! that depend only on its colour bits. RR21 escape it by *slicing* every
//! label into two halves combined separately, and *dicing*: the coefficients
//! of those halves also depend on two random bits of the garbler, which the
//! evaluator learns (encrypted, 5 control bits per gate) for its own row
//! only. An AND costs three 64-bit half-ciphertexts `G0, G1, G2` and 5
//! control bits; free-XOR (`C1 = C0 ^ Delta`) is kept, so this is a drop-in
//! replacement for [`crate::half_gates`].
//!
//! # Notation
//!
//! A label `X` is two halves `X = [X.lo, X.hi]` (the low and high 64 bits of
//! the `u128`); `D = Delta`, `lsb(D) = 1`, so the colour `lsb(X)` (bit 0 of
//! `X.lo`) tells the two labels of a wire apart. For the AND `c = a & b`
//! the garbler knows the zero-labels `A0`, `B0`, and writes `A`, `B` for
//! the *colour-0* labels (`A = A0 ^ lsb(A0)*D`) and `al`, `be` for the
//! colours of the one-labels (`al = 1 ^ lsb(A0)`): the evaluator holding
//! colours `(i, j)` holds `A ^ i*D`, `B ^ j*D`, and the gate's output is 1
//! exactly in row `(i, j) = (al, be)`.
//!
//! `H(x, t)` is the GKWY20 TCCR hash of [`crate::hash`] (`Tccr::hash`); RR21
//! need `kappa/2 + 1` output bits per call, taken from its 128: `h(x, t)` is
//! the low 64 bits, `e(x, t)` bit 64 (the control bits' pad). The three
//! tweaks of AND `k` are `t_a = 3k`, `t_b = 3k + 1`, `t_x = 3k + 2`
//! ([`three_halves_tweak`]).
//!
//! ```text
//! slices of two labels:   u = A.lo ^ A.hi ^ B.lo    v = A.lo ^ B.hi    w = A.hi ^ B.lo ^ B.hi
//!
//! evaluate (active labels A, B of colours i = lsb(A), j = lsb(B); k = i ^ j)
//!   hashes   hA, eA = H(A, t_a)   hB, eB = H(B, t_b)   hX, eX = H(A ^ B, t_x)
//!   r0 = z0 ^ i*z2 ^ k*z4 ^ eA ^ eX          r1 = z1 ^ j*z3 ^ k*z4 ^ eB ^ eX
//!   C.lo = hA ^ hX ^ i*G0 ^ k*G2 ^ !i*B.lo ^ r0*u ^ r1*v
//!   C.hi = hB ^ hX ^ j*G1 ^ k*G2 ^ !j*A.hi ^ r0*v ^ r1*w
//!
//! garble (A, B colour-0 labels, X = A ^ B; r0, r1 fresh random bits;
//!         p = al ^ r1, q = be ^ r0; hA0 = h(A, t_a), hA1 = h(A ^ D, t_a),
//!         the same for B, X and e)
//!   C0.lo = hA0 ^ hX0 ^ B.lo ^ r0*u ^ r1*v ^ (!al & !be)*D.lo
//!   C0.hi = hB0 ^ hX0 ^ A.hi ^ r0*v ^ r1*w ^ (!al & !be)*D.hi
//!   G0 = hA0 ^ hA1 ^ B.lo ^ al*u ^ be*v ^ D.lo ^ p*(D.lo ^ D.hi) ^ q*D.hi
//!   G1 = hB0 ^ hB1 ^ A.hi ^ al*v ^ be*w ^ D.hi ^ p*D.lo ^ q*(D.lo ^ D.hi)
//!   G2 = hX0 ^ hX1 ^        al*w ^ be*u ^        q*D.lo ^ p*D.hi
//!   z0 = r0 ^ eA0 ^ eX0   z1 = r1 ^ eB0 ^ eX0
//!   z2 = al ^ eA0 ^ eA1   z3 = be ^ eB0 ^ eB1   z4 = al ^ be ^ eX0 ^ eX1
//! ```
//!
//! Why each term is there (after RR21; the derivation of the linear part
//! is ours):
//!
//! - *Three hashes, not two.* The evaluator hashes `A`, `B` and `A ^ B`;
//!   `A ^ B` takes two values (`X` and `X ^ D`), so its hash is a third
//!   "half gate" keyed on `k = i ^ j`. `G0`, `G1`, `G2` each carry the XOR
//!   of the two hashes of their wire (`hA0 ^ hA1`, ...): `i*G0` swaps `hA_i`
//!   for `hA0`, `k*G2` swaps `hX_k` for `hX0`, and so on, so in every row
//!   the hash part of `C` equals row `(0, 0)`'s, `[hA0 ^ hX0, hB0 ^ hX0]`.
//!   `C.lo` mixes `hA` and `hX`, `C.hi` `hB` and `hX`: each half of the
//!   output is masked by two hashes, and each half-ciphertext by two.
//! - *Control bits (dicing).* `z2, z3, z4` carry the pad differences
//!   `eA0 ^ eA1`, ... the same way, so the evaluator in row `(i, j)` decodes
//!   `r0 = rho0 ^ i*al ^ k*(al ^ be)` and `r1 = rho1 ^ j*be ^ k*(al ^ be)`,
//!   writing `rho0, rho1` for the garbler's random bits (`r0`, `r1` in the
//!   garbling formula): a one-time pad of bits that depend on the secret
//!   `al`, `be`, so the evaluator sees two uniform bits.
//! - *Linear part (slicing).* With `r0, r1` decoded, the evaluator adds
//!   `R_ij * [A.lo, A.hi, B.lo, B.hi]`, a 2x4 bit matrix `R_ij = [!i*B.lo;
//!   !j*A.hi] + r0*S0 + r1*S1` of its own label halves: the `!i`, `!j`
//!   terms and the two matrices `S0 = [u; v]`, `S1 = [v; w]` (the slices
//!   above) are the RR21 construction's, in this module's notation (the
//!   evaluator side follows the public emp-toolkit-based implementation
//!   `GarbleCoder/Implementation-of-threehalves`; the garbler side below was
//!   derived here from it and is checked by the tests, not copied). `R_ij` is uniform on a coset that
//!   depends on `(i, j)` only, so it reveals nothing. Because `r0, r1` move
//!   with `al, be` across the four rows, the eight conditions "row `(i, j)`
//!   yields `C0 ^ [i = al][j = be]*D`" (two halves per row) have a solution
//!   in the five unknowns `C0.lo, C0.hi, G0, G1, G2` (linear combinations of
//!   the six halves `A.lo .. D.hi`) for every `al, be, rho`: the garbling
//!   formula above is that solution, found by Gaussian elimination over
//!   GF(2) and simplified by hand to the slices: the label part of each `G`
//!   is `S0, S1` applied with the secret colours `(al, be)` in place of
//!   `(r0, r1)`, and the `Delta` part depends on `p = al ^ r1` and
//!   `q = be ^ r0` only. (Without the dicing, the evaluator's coefficients
//!   would be fixed per row: the linear model in which ZRE15 prove their
//!   two-ciphertext lower bound.) `C0` is what row `(0, 0)` computes, minus
//!   `D` if that row is the 1-row (`al = be = 0`, i.e. `lsb(A0) = lsb(B0) =
//!   1`). The test `linear_part_solves_every_row` checks the solution
//!   symbolically for all 16 values of `(al, be, rho0, rho1)` and all rows.
//! - *Tweaks.* GKWY20's TCCR bound needs each tweak hashed with one wire's
//!   two labels only, under one `Delta`: AND `k` hashes `{A, A^D}` under
//!   `3k`, `{B, B^D}` under `3k + 1` and `{X, X^D}` under `3k + 2`, and the
//!   session's AND numbering ([`crate::tweak`]) never repeats a `k`. (RR21
//!   prove the scheme from a circular correlation robustness assumption of
//!   this kind for the linear combinations the evaluator's view holds.)
//!
//! # Randomness
//!
//! `rho0, rho1` must be uniform and unknown to the evaluator: they are the
//! one-time pad of the decoded control bits (above). They cannot be derived
//! from the gate's hashes, since the evaluator computes some of those. The
//! reference [`garble_and`] asks the operating system for them;
//! [`garble_and_with`] takes them as an argument (tests, known answers); the
//! batched [`ThreeHalvesGarbler`] draws them from AES-128 in counter mode
//! under a key from the operating system, fresh per garbler, like its input
//! labels (a PRG under the PRP assumption on AES; the key schedule is
//! zeroized on drop).
//!
//! Every selection by a secret bit (`al`, `be`, `rho`, the evaluator's `i`,
//! `j`, `r0`, `r1`) is an AND with a mask ([`mask`]), never a branch or a
//! table index.
//!
//! # Speed
//!
//! On a CPU with VAES each step runs in one fused kernel per party: it
//! gathers the labels, runs both TCCR calls and combines in registers,
//! with `pi` of each AND input memoized in pi slots as half-gates does
//! ([`crate::plan`]). The garbler (`vaes/three_halves.rs`) hashes four or
//! eight ANDs at a time, 10.25 AES calls per AND on AES-128 instead of 12,
//! and draws the random bits from a pool, two per AND; the evaluator
//! (`vaes/three_halves_eval.rs`) hashes eight at a time, two AES calls per
//! AND plus the memoized share instead of six. Both combine two ANDs per
//! 256-bit register: the combine's bitwise algebra, not AES, is what
//! bounds them (it competes with AES for the vector ports; a software
//! pipeline that overlapped one chunk's combine with the next chunk's AES
//! rounds, as half-gates does, measured slower in both kernels). The
//! earlier paths (hash buffers, then a combine over arrays of words or the
//! reference's `eval_combine`) remain for CPUs without VAES and are tested
//! against the kernels and the reference.
//!
//! Measured on one core of the shared 2-core AMD EPYC (VAES, AVX2) at load
//! average 7 to 11, on the published AES-128 and SHA-256 Bristol circuits,
//! as the fastest of 3,000 (AES-128) or 750 (SHA-256) whole sessions of
//! each scheme (what `cargo bench --bench garbling` prints last), five runs
//! alternating with the code before the kernels (December 2026). A session
//! that no other job interrupted is what the minimum sees, so these moved
//! by a few percent between runs where `yao bench` (best of twenty 0.1 s
//! windows) moved by up to 2x at that load; a few runs came out 20% lower
//! on both schemes, and there the AES-128 garbling ratio was 0.49:
//!
//! | AND/s          | half-gates | three-halves | ratio     | before      |
//! |----------------|------------|--------------|-----------|-------------|
//! | AES-128 garble | 8.5e7-8.7e7| 4.41e7-4.45e7| 0.51-0.52 | 0.49 (4.2e7)|
//! | AES-128 eval   | 1.3e8-1.4e8| 8.5e7-8.6e7  | 0.61-0.64 | 0.42-0.45 (5.8e7) |
//! | SHA-256 garble | 5.5e7-5.9e7| 3.65e7-3.73e7| 0.63-0.67 | 0.60-0.61 (3.6e7) |
//! | SHA-256 eval   | 8.0e7-8.2e7| 5.68e7-5.73e7| 0.70-0.71 | 0.32-0.33 (2.7e7) |
//!
//! # Wire format
//!
//! [`Table`] holds `G0, G1, G2` (64 bits each) and `z` (bits 0 to 4 of a
//! byte). On the wire a step of `n` ANDs is [`step_bytes`]`(n)` bytes: the
//! `G0, G1, G2` of every AND, little-endian, then the 5 control bits of
//! every AND packed back to back: 24.625 bytes per AND, the paper's
//! `1.5 kappa + 5` bits (a whole byte per AND for the control bits measured
//! 25.73 bytes per AND end to end on AES-128, above the issue's 25.7). A
//! [`Table`] alone ([`Table::to_bytes`], the reference and the known-answer
//! test) is [`TABLE_BYTES`] = 25 bytes. AES-128's 6,400 ANDs take 157,600
//! bytes (half-gates: 204,800).

use crate::block::{Block, Delta};
use crate::evaluator::EvalError;
use crate::garbler::{
    encode, load_inputs, new_labels, output_labels, random_labels, run_free_gates, set_zero_labels,
    GarbleError, PI_STRIDE,
};
use crate::hash::{three_halves_tweak, Tccr, Tweaks};
use crate::ir::Circuit;
use crate::lane::{lane, lanes, lanes_mut, Lane};
use crate::plan::{AndOp, Plan, NO_SLOT};
use std::sync::Arc;
use zeroize::{Zeroize, Zeroizing};

/// Bytes of one [`Table`] on its own: three 8-byte half-ciphertexts and one
/// control byte (the reference's and the known-answer test's format).
pub const TABLE_BYTES: usize = 25;

/// Wire bytes of a step of `n` ANDs: the three half-ciphertexts of every
/// AND in order (`24 n` bytes), then the 5 control bits of every AND packed
/// back to back, least significant bit first (`ceil(5 n / 8)` bytes):
/// 24.625 bytes per AND, RR21's `1.5 kappa + 5` bits, where a byte per
/// AND for the control bits would cost 25.
pub fn step_bytes(n: usize) -> usize {
    24 * n + (5 * n).div_ceil(8)
}

/// Stores the 5 control bits `z` of AND `k` of a step into its packed
/// control bytes (which start zeroed). Where they go depends on `k` only.
#[inline(always)]
fn put_control(control: &mut [u8], k: usize, z: u8) {
    let (at, shift) = (5 * k / 8, 5 * k % 8);
    let v = u16::from(z & 0x1f) << shift;
    control[at] |= v as u8;
    if shift > 3 {
        control[at + 1] |= (v >> 8) as u8;
    }
}

/// The 5 control bits of AND `k` of a step.
#[inline(always)]
fn get_control(control: &[u8], k: usize) -> u8 {
    let (at, shift) = (5 * k / 8, 5 * k % 8);
    let lo = u16::from(control[at]);
    let hi = u16::from(control.get(at + 1).copied().unwrap_or(0));
    (((lo | hi << 8) >> shift) & 0x1f) as u8
}

/// The tables of a step of `n` ANDs from its wire bytes ([`step_bytes`]),
/// or `None` if there are not exactly that many.
pub fn unpack_step(bytes: &[u8], n: usize) -> Option<Vec<Table>> {
    if bytes.len() != step_bytes(n) {
        return None;
    }
    let (halves, control) = bytes.split_at(24 * n);
    let w = |t: &[u8], j: usize| u64::from_le_bytes(t[8 * j..8 * j + 8].try_into().unwrap());
    Some(
        halves
            .chunks_exact(24)
            .enumerate()
            .map(|(k, t)| Table {
                g: [w(t, 0), w(t, 1), w(t, 2)],
                z: get_control(control, k),
            })
            .collect(),
    )
}

/// The garbled table of one AND gate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The half-ciphertexts `G0`, `G1`, `G2`.
    pub g: [u64; 3],
    /// The control bits `z0 .. z4` in bits 0 to 4.
    pub z: u8,
}

impl Table {
    /// The table's [`TABLE_BYTES`] wire bytes (see the module docs).
    pub fn to_bytes(&self) -> [u8; TABLE_BYTES] {
        let mut out = [0u8; TABLE_BYTES];
        self.write(&mut out);
        out
    }

    /// Writes the wire bytes into `out[..TABLE_BYTES]`.
    #[inline(always)]
    pub fn write(&self, out: &mut [u8]) {
        out[0..8].copy_from_slice(&self.g[0].to_le_bytes());
        out[8..16].copy_from_slice(&self.g[1].to_le_bytes());
        out[16..24].copy_from_slice(&self.g[2].to_le_bytes());
        out[24] = self.z;
    }

    /// Reads a table from its wire bytes `bytes[..TABLE_BYTES]` (bits 5 to
    /// 7 of the control byte are dropped).
    #[inline(always)]
    pub fn read(bytes: &[u8]) -> Table {
        let w = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[8 * i..8 * i + 8]);
            u64::from_le_bytes(b)
        };
        Table {
            g: [w(0), w(1), w(2)],
            z: bytes[24] & 0x1f,
        }
    }
}

/// All ones if `bit`, else zero: the branch-free select of every secret
/// bit in this module.
#[inline(always)]
pub fn mask(bit: bool) -> u64 {
    0u64.wrapping_sub(bit as u64)
}

#[inline(always)]
fn lo(x: Block) -> u64 {
    x.0 as u64
}

#[inline(always)]
fn hi(x: Block) -> u64 {
    (x.0 >> 64) as u64
}

#[inline(always)]
fn join(lo: u64, hi: u64) -> Block {
    Block(lo as u128 | (hi as u128) << 64)
}

/// The control-bit pad `e(x, t)`: bit 64 of a hash output.
#[inline(always)]
fn pad(h: Block) -> u8 {
    (h.0 >> 64) as u8 & 1
}

/// The garbler's linear terms, as masks: `[C0.lo, C0.hi, G0, G1, G2]` minus
/// their hashes, from the colours `al`, `be` of the one-labels, the random
/// bits `r0`, `r1` and the halves `x = [A.lo, A.hi, B.lo, B.hi, D.lo,
/// D.hi]` of the colour-0 labels and `Delta` (see the module docs for
/// `u`, `v`, `w`, `p`, `q`). Every bit argument is a mask (all ones or zero).
#[inline(always)]
pub(crate) fn garble_linear(al: u64, be: u64, r0: u64, r1: u64, x: [u64; 6]) -> [u64; 5] {
    let [a_lo, a_hi, b_lo, b_hi, d_lo, d_hi] = x;
    let (u, v, w) = slices(a_lo, a_hi, b_lo, b_hi);
    let (p, q) = (al ^ r1, be ^ r0);
    // Row (0, 0) is the 1-row iff al = be = 0.
    let one00 = !(al | be);
    let d_x = d_lo ^ d_hi;
    [
        b_lo ^ (r0 & u) ^ (r1 & v) ^ (one00 & d_lo),
        a_hi ^ (r0 & v) ^ (r1 & w) ^ (one00 & d_hi),
        b_lo ^ (al & u) ^ (be & v) ^ d_lo ^ (p & d_x) ^ (q & d_hi),
        a_hi ^ (al & v) ^ (be & w) ^ d_hi ^ (p & d_lo) ^ (q & d_x),
        (al & w) ^ (be & u) ^ (q & d_lo) ^ (p & d_hi),
    ]
}

/// The three slices `u = A.lo ^ A.hi ^ B.lo`, `v = A.lo ^ B.hi`,
/// `w = A.hi ^ B.lo ^ B.hi` of two labels (the rows of `S0 = [u; v]` and
/// `S1 = [v; w]` in the module docs).
#[inline(always)]
fn slices(a_lo: u64, a_hi: u64, b_lo: u64, b_hi: u64) -> (u64, u64, u64) {
    (a_lo ^ a_hi ^ b_lo, a_lo ^ b_hi, a_hi ^ b_lo ^ b_hi)
}

/// The evaluator's linear terms `[C.lo, C.hi]` minus its hashes, from its
/// colour masks `i`, `j`, decoded bits `r0`, `r1` (masks), the table halves
/// `g` and its label halves `x = [A.lo, A.hi, B.lo, B.hi]`.
#[inline(always)]
pub(crate) fn eval_linear(i: u64, j: u64, r0: u64, r1: u64, g: [u64; 3], x: [u64; 4]) -> [u64; 2] {
    let [a_lo, a_hi, b_lo, b_hi] = x;
    let (u, v, w) = slices(a_lo, a_hi, b_lo, b_hi);
    let kg2 = (i ^ j) & g[2];
    [
        (i & g[0]) ^ kg2 ^ (!i & b_lo) ^ (r0 & u) ^ (r1 & v),
        (j & g[1]) ^ kg2 ^ (!j & a_hi) ^ (r0 & v) ^ (r1 & w),
    ]
}

/// The garbler's half of one AND from its six hashes: `hs` =
/// `[H(A), H(A^D), H(B), H(B^D), H(X), H(X^D)]` under the gate's tweaks
/// (`A`, `B` the colour-0 labels, `X = A ^ B`), the colour-0 labels, `d`,
/// the one-label colours `al`, `be` and the random bits. Returns the table
/// and the halves `[C0.lo, C0.hi]`. Shared by [`garble_and_with`] and the
/// batched garbler.
#[inline(always)]
pub(crate) fn garble_combine(
    hs: &[Block; 6],
    a: Block,
    b: Block,
    d: Block,
    al: bool,
    be: bool,
    rho: [bool; 2],
) -> (Table, [u64; 2]) {
    let h = |m: usize| lo(hs[m]);
    let e = |m: usize| pad(hs[m]);
    let x = [lo(a), hi(a), lo(b), hi(b), lo(d), hi(d)];
    let [c_lo, c_hi, g0, g1, g2] = garble_linear(mask(al), mask(be), mask(rho[0]), mask(rho[1]), x);
    let table = Table {
        g: [h(0) ^ h(1) ^ g0, h(2) ^ h(3) ^ g1, h(4) ^ h(5) ^ g2],
        z: (rho[0] as u8 ^ e(0) ^ e(4))
            | (rho[1] as u8 ^ e(2) ^ e(4)) << 1
            | (al as u8 ^ e(0) ^ e(1)) << 2
            | (be as u8 ^ e(2) ^ e(3)) << 3
            | ((al ^ be) as u8 ^ e(4) ^ e(5)) << 4,
    };
    (table, [h(0) ^ h(4) ^ c_lo, h(2) ^ h(4) ^ c_hi])
}

/// Gates per group of [`garble_group`].
const GROUP: usize = 4;

/// [`garble_combine`] for [`GROUP`] gates at once, as arrays of their
/// 64-bit words (structure of arrays), so that the compiler runs the
/// bitwise algebra in vector registers: `hs` and `xs` hold the six hashes
/// and six hashed labels of each gate (as the batched garbler lays them
/// out), `bits[l]` the gate's `al | be << 1 | r0 << 2 | r1 << 3`. Returns
/// `[C0.lo, C0.hi, G0, G1, G2]` and the control bytes, per gate. The
/// batched garbler's path, checked against the reference gate by gate
/// (`core/tests/three_halves.rs`).
#[inline(always)]
fn garble_group(
    hs: &[Block],
    xs: &[Block],
    bits: &[u8],
    d: Block,
) -> ([[u64; GROUP]; 5], [u8; GROUP]) {
    let (hs, xs, bits) = (&hs[..6 * GROUP], &xs[..6 * GROUP], &bits[..GROUP]);
    let mut h = [[0u64; GROUP]; 6];
    let mut e = [[0u64; GROUP]; 6];
    let mut x = [[0u64; GROUP]; 4];
    let mut m = [[0u64; GROUP]; 4];
    for l in 0..GROUP {
        for k in 0..6 {
            h[k][l] = lo(hs[6 * l + k]);
            e[k][l] = hi(hs[6 * l + k]);
        }
        x[0][l] = lo(xs[6 * l]);
        x[1][l] = hi(xs[6 * l]);
        x[2][l] = lo(xs[6 * l + 2]);
        x[3][l] = hi(xs[6 * l + 2]);
        for (k, mk) in m.iter_mut().enumerate() {
            mk[l] = mask(bits[l] >> k & 1 == 1);
        }
    }
    let mut out = [[0u64; GROUP]; 5];
    let mut z = [0u8; GROUP];
    for l in 0..GROUP {
        let lin = garble_linear(
            m[0][l],
            m[1][l],
            m[2][l],
            m[3][l],
            [x[0][l], x[1][l], x[2][l], x[3][l], lo(d), hi(d)],
        );
        out[0][l] = h[0][l] ^ h[4][l] ^ lin[0];
        out[1][l] = h[2][l] ^ h[4][l] ^ lin[1];
        out[2][l] = h[0][l] ^ h[1][l] ^ lin[2];
        out[3][l] = h[2][l] ^ h[3][l] ^ lin[3];
        out[4][l] = h[4][l] ^ h[5][l] ^ lin[4];
        // Bit 0 of each high word is the pad e; the plain bits are r0, r1,
        // al, be, al ^ be.
        let pads = ((e[0][l] ^ e[4][l]) & 1)
            | ((e[2][l] ^ e[4][l]) & 1) << 1
            | ((e[0][l] ^ e[1][l]) & 1) << 2
            | ((e[2][l] ^ e[3][l]) & 1) << 3
            | ((e[4][l] ^ e[5][l]) & 1) << 4;
        let b = bits[l];
        let plain = (b >> 2) | (b & 3) << 2 | ((b ^ b >> 1) & 1) << 4;
        z[l] = pads as u8 ^ plain;
    }
    (out, z)
}

/// The evaluator's half of one AND from its three hashes `hs = [H(A), H(B),
/// H(A ^ B)]` (active labels `a`, `b`) and the table: the halves
/// `[C.lo, C.hi]`. Shared by [`eval_and`] and the batched evaluator.
#[inline(always)]
pub(crate) fn eval_combine(hs: &[Block; 3], a: Block, b: Block, table: &Table) -> [u64; 2] {
    let (i, j) = (a.lsb(), b.lsb());
    let z = |n: u32| (table.z >> n) & 1;
    let (ea, eb, ex) = (pad(hs[0]), pad(hs[1]), pad(hs[2]));
    let (im, jm, km) = (i as u8, j as u8, (i ^ j) as u8);
    let r0 = z(0) ^ (im & z(2)) ^ (km & z(4)) ^ ea ^ ex;
    let r1 = z(1) ^ (jm & z(3)) ^ (km & z(4)) ^ eb ^ ex;
    let x = [lo(a), hi(a), lo(b), hi(b)];
    let [c_lo, c_hi] = eval_linear(mask(i), mask(j), mask(r0 == 1), mask(r1 == 1), table.g, x);
    [lo(hs[0]) ^ lo(hs[2]) ^ c_lo, lo(hs[1]) ^ lo(hs[2]) ^ c_hi]
}

/// Garbles the AND gate with sequence number `and_index` whose input
/// zero-labels are `a0` and `b0`, under `delta` (least significant bit
/// set), drawing its two random bits from the operating system. Returns the
/// table and the output zero-label `C0` (see the module docs).
pub fn garble_and(
    hash: &Tccr,
    delta: Block,
    a0: Block,
    b0: Block,
    and_index: u64,
) -> (Table, Block) {
    let mut byte = [0u8; 1];
    crate::block::fill_random(&mut byte);
    let rho = [byte[0] & 1 == 1, byte[0] & 2 == 2];
    byte.zeroize();
    garble_and_with(hash, delta, a0, b0, and_index, rho)
}

/// [`garble_and`] with the garbler's random bits `rho` given (tests and
/// known answers; a real garbling must draw them fresh and keep them from
/// the evaluator).
pub fn garble_and_with(
    hash: &Tccr,
    delta: Block,
    a0: Block,
    b0: Block,
    and_index: u64,
    rho: [bool; 2],
) -> (Table, Block) {
    debug_assert!(delta.lsb(), "point-and-permute needs lsb(Delta) = 1");
    let d = delta;
    // Colour-0 labels; the one-labels have colours al = !lsb(A0), be = !lsb(B0).
    let a = a0 ^ (Block::mask(a0.lsb()) & d);
    let b = b0 ^ (Block::mask(b0.lsb()) & d);
    let x = a ^ b;
    let t = |w: u64| three_halves_tweak(and_index, w);
    let hs = [
        hash.hash(a, t(0)),
        hash.hash(a ^ d, t(0)),
        hash.hash(b, t(1)),
        hash.hash(b ^ d, t(1)),
        hash.hash(x, t(2)),
        hash.hash(x ^ d, t(2)),
    ];
    let (table, [c_lo, c_hi]) = garble_combine(&hs, a, b, d, !a0.lsb(), !b0.lsb(), rho);
    (table, join(c_lo, c_hi))
}

/// Evaluates the AND gate with sequence number `and_index` from the active
/// input labels `a`, `b` and its table: returns the active output label
/// `C0 ^ (a & b)*Delta`.
pub fn eval_and(hash: &Tccr, a: Block, b: Block, table: &Table, and_index: u64) -> Block {
    let t = |w: u64| three_halves_tweak(and_index, w);
    let hs = [
        hash.hash(a, t(0)),
        hash.hash(b, t(1)),
        hash.hash(a ^ b, t(2)),
    ];
    let [c_lo, c_hi] = eval_combine(&hs, a, b, table);
    join(c_lo, c_hi)
}

// ---------------------------------------------------------------------------
// Whole circuits: the plan-driven garbler and evaluator.
// ---------------------------------------------------------------------------

/// The garbler's random bits `rho` (two per AND): AES-128 in counter mode
/// under a key from the operating system, fresh per garbler (see the module
/// docs, "Randomness"). The stream is made [`COIN_POOL`] bytes at a time
/// (one wide AES call) and handed out from that pool: a step needs a few
/// dozen bytes, and encrypting and wiping a buffer per step cost 6% of
/// AES-128 garbling. The key schedule (the `aes` crate's `zeroize` feature)
/// and the pool are zeroized on drop, and each byte of the pool once handed
/// out.
struct Coins {
    prg: aes::Aes128Enc,
    counter: u128,
    pool: Box<[u8; COIN_POOL]>,
    /// Bytes of `pool` handed out.
    used: usize,
}

/// Bytes of the coin pool (64 AES blocks).
const COIN_POOL: usize = 1024;

impl Coins {
    fn new() -> Coins {
        use aes::cipher::{Array, KeyInit};
        let mut key = [0u8; 16];
        crate::block::fill_random(&mut key);
        let prg = aes::Aes128Enc::new(&Array::from(key));
        key.zeroize();
        Coins {
            prg,
            counter: 0,
            pool: Box::new([0u8; COIN_POOL]),
            used: COIN_POOL,
        }
    }

    /// The next `COIN_POOL` bytes of the counter-mode stream, into the pool.
    fn refill(&mut self) {
        use aes::cipher::BlockCipherEncrypt;
        for b in self.pool.chunks_exact_mut(16) {
            b.copy_from_slice(&self.counter.to_le_bytes());
            self.counter += 1;
        }
        // SAFETY: the pool is a whole number of 16-byte blocks; the `aes`
        // crate's block type is a `repr(transparent)` `[u8; 16]` with
        // alignment 1.
        let blocks: &mut [aes::Block] = unsafe {
            std::slice::from_raw_parts_mut(self.pool.as_mut_ptr().cast(), COIN_POOL / 16)
        };
        self.prg.encrypt_blocks(blocks);
        self.used = 0;
    }

    /// Fills `buf` with fresh pseudorandom bytes.
    fn fill(&mut self, buf: &mut [u8]) {
        let mut at = 0;
        while at < buf.len() {
            if self.used == COIN_POOL {
                self.refill();
            }
            let n = (buf.len() - at).min(COIN_POOL - self.used);
            let taken = &mut self.pool[self.used..self.used + n];
            buf[at..at + n].copy_from_slice(taken);
            taken.zeroize();
            self.used += n;
            at += n;
        }
    }
}

impl Drop for Coins {
    fn drop(&mut self) {
        self.pool.zeroize();
    }
}

/// Garbles one circuit with three-halves, one step of the [`Plan`] at a
/// time: the same plan, labels, free gates, flips, input handling and AND
/// numbering as [`crate::garbler::Garbler`] (read its docs), but each AND
/// is [`TABLE_BYTES`] bytes of [`Table`] instead of two blocks. On a CPU
/// with VAES a step runs in one fused kernel (`vaes/three_halves.rs`:
/// gather, both TCCR calls and the combine in registers, four or eight ANDs
/// at a time, with `pi` of each AND input memoized in pi slots as for
/// half-gates). Elsewhere the six hashes of each AND of a step go through
/// [`Tccr::hash_many`] in one batch (tweaks `3k + m/2` for block `m` of the
/// AND, the pair layout) and the combination runs four gates at a time as
/// arrays of words (`garble_group`, over the reference's own linear algebra
/// `garble_linear`). Both are checked against the reference gate by gate in
/// `core/tests/three_halves.rs`. Holds `Delta` and the zero-labels of the
/// live wires; all are zeroized on drop.
pub struct ThreeHalvesGarbler {
    plan: Arc<Plan>,
    delta: Delta,
    hash: Tccr,
    labels: Vec<Block>,
    inputs: Vec<Vec<Block>>,
    started: bool,
    next_step: usize,
    and_base: u64,
    coins: Coins,
    /// The memoized first hash call of the live AND inputs, `PI_STRIDE`
    /// blocks per pi slot (see [`crate::plan`]; the VAES path only).
    pis: Vec<Block>,
    /// Whether the CPU has AVX2 (the combine pass's wide path).
    avx2: bool,
    /// Per AND of the step: `al | be << 1 | r0 << 2 | r1 << 3` (secret;
    /// wiped on drop).
    colours: Vec<u8>,
    buf_in: Vec<Block>,
    buf_out: Vec<Block>,
}

impl ThreeHalvesGarbler {
    /// Plans `circuit` and draws random zero-labels for every input wire
    /// (see [`crate::garbler::Garbler::new`]).
    pub fn new(circuit: &Circuit, delta: Delta) -> Result<ThreeHalvesGarbler, GarbleError> {
        Ok(ThreeHalvesGarbler::from_plan(
            Arc::new(Plan::new(circuit)?),
            delta,
        ))
    }

    /// A garbler over a shared, precomputed plan.
    pub fn from_plan(plan: Arc<Plan>, delta: Delta) -> ThreeHalvesGarbler {
        ThreeHalvesGarbler::with_hash(plan, delta, Tccr::new())
    }

    /// As [`ThreeHalvesGarbler::from_plan`] with a given hash backend.
    pub fn with_hash(plan: Arc<Plan>, delta: Delta, hash: Tccr) -> ThreeHalvesGarbler {
        let inputs = plan
            .inputs()
            .iter()
            .map(|g| random_labels(g.slots.len()))
            .collect();
        ThreeHalvesGarbler {
            labels: new_labels(plan.num_slots()),
            pis: vec![Block::ZERO; PI_STRIDE * plan.num_pi_slots()],
            plan,
            delta,
            hash,
            inputs,
            started: false,
            next_step: 0,
            and_base: 0,
            coins: Coins::new(),
            #[cfg(target_arch = "x86_64")]
            avx2: std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(not(target_arch = "x86_64"))]
            avx2: false,
            colours: Vec::new(),
            buf_in: Vec::new(),
            buf_out: Vec::new(),
        }
    }

    /// The plan being garbled.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// Overrides the zero-labels of input group `group` (the evaluator's
    /// inputs, from correlated OT).
    pub fn set_input_zero_labels(
        &mut self,
        group: usize,
        labels: &[Block],
    ) -> Result<(), GarbleError> {
        set_zero_labels(&self.plan, &mut self.inputs, self.started, group, labels)
    }

    /// The zero-labels of input group `group` (empty if there is no such group).
    pub fn input_zero_labels(&self, group: usize) -> &[Block] {
        self.inputs.get(group).map_or(&[], |v| v.as_slice())
    }

    /// Active labels `L0 ^ bit*Delta` for the garbler's own bits of group `group`.
    pub fn encode_input(&self, group: usize, bits: &[bool]) -> Result<Vec<Block>, GarbleError> {
        encode(&self.plan, &self.inputs, &self.delta, group, bits)
    }

    /// The global offset.
    pub fn delta(&self) -> &Delta {
        &self.delta
    }

    /// Numbers the plan's ANDs from `n` instead of 0 (see
    /// [`crate::garbler::Garbler::set_first_and`]); AND `k` hashes with
    /// tweaks `3k .. 3k + 2`.
    pub fn set_first_and(&mut self, n: u64) -> Result<(), GarbleError> {
        if self.started {
            return Err(GarbleError::AlreadyStarted);
        }
        crate::tweak::check_range(n, self.plan.num_ands())?;
        self.and_base = n;
        Ok(())
    }

    /// Table *bytes* the next call to [`ThreeHalvesGarbler::garble_batch_into`]
    /// writes ([`step_bytes`] of the step's ANDs).
    pub fn next_batch_len(&self) -> usize {
        step_bytes(self.plan.step_ands(self.next_step))
    }

    /// AND gates of the next step.
    pub fn next_batch_ands(&self) -> usize {
        self.plan.step_ands(self.next_step)
    }

    /// True once every batch has been garbled.
    pub fn is_finished(&self) -> bool {
        self.started && self.next_step >= self.plan.num_steps()
    }

    fn start(&mut self) {
        if self.started {
            return;
        }
        load_inputs(&self.plan, &self.inputs, &mut self.labels);
        run_free_gates(&mut self.labels, self.plan.prelude());
        self.started = true;
    }

    /// Garbles the next step and appends its table bytes to `out`. Returns
    /// false, appending nothing, once the circuit is finished.
    pub fn garble_batch(&mut self, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        out.resize(start + self.next_batch_len(), 0);
        self.garble_step(&mut out[start..])
    }

    /// Garbles the next step into the first
    /// [`ThreeHalvesGarbler::next_batch_len`] bytes of `out` and returns how
    /// many it wrote (0 once finished). A short buffer is
    /// [`GarbleError::BufferTooSmall`] (its counts are bytes here).
    pub fn garble_batch_into(&mut self, out: &mut [u8]) -> Result<usize, GarbleError> {
        let n = self.next_batch_len();
        let found = out.len();
        let out = out
            .get_mut(..n)
            .ok_or(GarbleError::BufferTooSmall { needed: n, found })?;
        self.garble_step(out);
        Ok(n)
    }

    fn garble_step(&mut self, out: &mut [u8]) -> bool {
        self.start();
        let plan = &*self.plan;
        let Some(step) = plan.step(self.next_step) else {
            return false;
        };
        let n = step.ands.len();
        assert_eq!(out.len(), step_bytes(n), "24.625 table bytes per AND");
        let d = self.delta.block();
        let first = self.and_base + step.first_and;
        crate::tweak::note(&self.delta, first, n);
        #[cfg(target_arch = "x86_64")]
        if let Some(keys) = self.hash.wide() {
            // The kernels index without bounds checks on this.
            assert!(
                self.labels.len() >= plan.num_slots()
                    && self.pis.len() >= PI_STRIDE * plan.num_pi_slots(),
                "label arrays smaller than the plan"
            );
            let fresh = step.mostly_fresh();
            // Two random bits per AND, four ANDs per byte.
            let coin_bytes = n.div_ceil(4);
            self.colours.resize(coin_bytes, 0);
            self.coins.fill(&mut self.colours[..coin_bytes]);
            // SAFETY: the plan's slots are below `num_slots` and its pi
            // slots below `num_pi_slots` (checked when it was built), and
            // the arrays are that large (asserted above).
            unsafe {
                if !fresh {
                    keys.garble_pis(d, &self.labels, &mut self.pis, step.pi_slots, step.pi_into);
                }
                keys.three_halves_garble(
                    d,
                    &mut self.labels,
                    &mut self.pis,
                    step.ands,
                    first,
                    &self.colours,
                    out,
                    fresh,
                );
            }
            run_free_gates(&mut self.labels, step.frees);
            self.next_step += 1;
            return true;
        }
        // Buffers padded to whole groups; the padding's results are dropped.
        let padded = n.next_multiple_of(GROUP);
        self.colours.resize(padded, 0);
        self.coins.fill(&mut self.colours[..n]);
        self.buf_in.resize(6 * padded, Block::ZERO);
        self.buf_out.resize(6 * padded, Block::ZERO);
        let (buf_in, buf_out) = (
            &mut self.buf_in[..6 * padded],
            &mut self.buf_out[..6 * padded],
        );
        // Gather: every label this step reads, read once, here. The colour-0
        // label of a wire is L ^ lsb(L)*D whatever its flip; lsb(A0) =
        // lsb(L) ^ flip, and the one-label has the other colour.
        let dl = lane(d);
        let colour0 = |l: Lane| l.xor(l.colour_mask().and(dl));
        let (stored, lanes_in) = (lanes(&self.labels), lanes_mut(buf_in));
        for ((x, g), c) in lanes_in
            .chunks_exact_mut(6)
            .zip(step.ands)
            .zip(self.colours.iter_mut())
        {
            let (la, lb) = (stored[g.a as usize], stored[g.b as usize]);
            let (a, b) = (colour0(la), colour0(lb));
            let ab = a.xor(b);
            x.copy_from_slice(&[a, a.xor(dl), b, b.xor(dl), ab, ab.xor(dl)]);
            let al = !(self.labels[g.a as usize].lsb() ^ g.flip_a);
            let be = !(self.labels[g.b as usize].lsb() ^ g.flip_b);
            // Bits 2 and 3 of the random byte are r0, r1.
            *c = (*c & 0x0c) | al as u8 | (be as u8) << 1;
        }
        let tweaks = Tweaks {
            first: three_halves_tweak(first, 0),
            pair: true,
        };
        self.hash
            .hash_many(&buf_in[..6 * n], &mut buf_out[..6 * n], tweaks);
        // Combine, a group of gates at a time, from the buffers alone.
        let labels = lanes_mut(&mut self.labels);
        #[cfg(target_arch = "x86_64")]
        if self.avx2 {
            // SAFETY: the CPU has AVX2 (checked when the garbler was made).
            unsafe { combine_avx2(labels, step.ands, buf_in, buf_out, &self.colours, d, out) };
        } else {
            combine(labels, step.ands, buf_in, buf_out, &self.colours, d, out);
        }
        #[cfg(not(target_arch = "x86_64"))]
        combine(labels, step.ands, buf_in, buf_out, &self.colours, d, out);
        run_free_gates(&mut self.labels, step.frees);
        self.next_step += 1;
        true
    }

    /// One decoding bit per output wire, per output group. Call after the
    /// last batch.
    pub fn decoding_bits(&self) -> Vec<Vec<bool>> {
        self.output_zero_labels()
            .iter()
            .map(|g| g.iter().map(|l| l.lsb()).collect())
            .collect()
    }

    /// The zero-labels of the output wires, per output group (wiped on
    /// drop). Call after the last batch.
    pub fn output_zero_labels(&self) -> Zeroizing<Vec<Vec<Block>>> {
        let d = self.delta.block();
        let flip = |mut groups: Zeroizing<Vec<Vec<Block>>>| {
            for (g, o) in groups.iter_mut().zip(self.plan.outputs()) {
                for (l, &f) in g.iter_mut().zip(&o.flips) {
                    *l ^= Block::mask(f) & d;
                }
            }
            groups
        };
        if self.started {
            return flip(Zeroizing::new(output_labels(&self.plan, &self.labels)));
        }
        let mut labels = Zeroizing::new(self.labels.clone());
        load_inputs(&self.plan, &self.inputs, &mut labels);
        run_free_gates(&mut labels, self.plan.prelude());
        flip(Zeroizing::new(output_labels(&self.plan, &labels)))
    }
}

impl Drop for ThreeHalvesGarbler {
    fn drop(&mut self) {
        self.labels.zeroize();
        self.colours.zeroize();
        self.pis.zeroize();
        self.inputs.zeroize();
        self.buf_in.zeroize();
        self.buf_out.zeroize();
    }
}

/// The garbler's combine pass over one step of `ands` (buffers padded to
/// whole groups, see `ThreeHalvesGarbler::garble_step`): output labels into
/// `labels`, each built in a register and stored whole (see
/// `Lane::from_halves`), tables into `out`.
#[inline(always)]
fn combine(
    labels: &mut [Lane],
    ands: &[AndOp],
    buf_in: &[Block],
    buf_out: &[Block],
    colours: &[u8],
    d: Block,
    out: &mut [u8],
) {
    let n = ands.len();
    let (halves, control) = out.split_at_mut(24 * n);
    control.fill(0);
    for (gi, ((x, hs), c)) in buf_in
        .chunks_exact(6 * GROUP)
        .zip(buf_out.chunks_exact(6 * GROUP))
        .zip(colours.chunks_exact(GROUP))
        .enumerate()
    {
        let (w, z) = garble_group(hs, x, c, d);
        for l in 0..GROUP.min(n - GROUP * gi) {
            let k = GROUP * gi + l;
            labels[ands[k].out as usize] = Lane::from_halves(w[0][l], w[1][l]);
            for (j, g) in [w[2][l], w[3][l], w[4][l]].into_iter().enumerate() {
                halves[24 * k + 8 * j..24 * k + 8 * j + 8].copy_from_slice(&g.to_le_bytes());
            }
            put_control(control, k, z[l]);
        }
    }
}

/// [`combine`] compiled for AVX2 (four 64-bit words per register).
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn combine_avx2(
    labels: &mut [Lane],
    ands: &[AndOp],
    buf_in: &[Block],
    buf_out: &[Block],
    colours: &[u8],
    d: Block,
    out: &mut [u8],
) {
    combine(labels, ands, buf_in, buf_out, colours, d, out)
}

/// Evaluates one circuit garbled by [`ThreeHalvesGarbler`], one step at a
/// time (the same plan; see [`crate::evaluator::Evaluator`]). On a CPU
/// with VAES a step runs in one fused kernel (`vaes/three_halves_eval.rs`:
/// gather, hash and combine in registers, eight ANDs at a time), with `pi`
/// of each AND input memoized in pi slots as for half-gates. Elsewhere the
/// three hashes of each AND of a step go through [`Tccr::hash_many`] in one
/// batch (tweaks `3k, 3k + 1, 3k + 2`, consecutive) and the combination is
/// `eval_combine`, the reference's own code. Both are checked against the
/// reference in `core/tests/three_halves.rs`.
pub struct ThreeHalvesEvaluator {
    plan: Arc<Plan>,
    hash: Tccr,
    labels: Vec<Block>,
    /// `pi` of the live AND inputs, one block per pi slot (see
    /// [`crate::plan`]; the VAES path only, empty otherwise).
    pis: Vec<Block>,
    inputs_set: Vec<bool>,
    started: bool,
    next_step: usize,
    and_base: u64,
    buf_in: Vec<Block>,
    buf_out: Vec<Block>,
}

impl ThreeHalvesEvaluator {
    /// Plans `circuit`.
    pub fn new(circuit: &Circuit) -> Result<ThreeHalvesEvaluator, EvalError> {
        Ok(ThreeHalvesEvaluator::from_plan(Arc::new(Plan::new(
            circuit,
        )?)))
    }

    /// An evaluator over a shared, precomputed plan.
    pub fn from_plan(plan: Arc<Plan>) -> ThreeHalvesEvaluator {
        ThreeHalvesEvaluator::with_hash(plan, Tccr::new())
    }

    /// As [`ThreeHalvesEvaluator::from_plan`] with a given hash backend.
    pub fn with_hash(plan: Arc<Plan>, hash: Tccr) -> ThreeHalvesEvaluator {
        let pis = if hash.has_wide() {
            vec![Block::ZERO; plan.num_pi_slots()]
        } else {
            Vec::new()
        };
        ThreeHalvesEvaluator {
            labels: new_labels(plan.num_slots()),
            pis,
            inputs_set: vec![false; plan.inputs().len()],
            plan,
            hash,
            started: false,
            next_step: 0,
            and_base: 0,
            buf_in: Vec::new(),
            buf_out: Vec::new(),
        }
    }

    /// The plan being evaluated.
    pub fn plan(&self) -> &Arc<Plan> {
        &self.plan
    }

    /// Sets the active labels of input group `group`.
    pub fn set_input_labels(&mut self, group: usize, labels: &[Block]) -> Result<(), EvalError> {
        if self.started {
            return Err(EvalError::AlreadyStarted);
        }
        crate::evaluator::load_group(&self.plan, &mut self.labels, group, labels)?;
        self.inputs_set[group] = true;
        Ok(())
    }

    /// Numbers the plan's ANDs from `n` instead of 0, as the garbler did.
    pub fn set_first_and(&mut self, n: u64) -> Result<(), EvalError> {
        if self.started {
            return Err(EvalError::AlreadyStarted);
        }
        crate::tweak::check_range(n, self.plan.num_ands())?;
        self.and_base = n;
        Ok(())
    }

    /// Table bytes the next batch consumes ([`step_bytes`]; 0 when finished).
    pub fn next_batch_len(&self) -> usize {
        step_bytes(self.plan.step_ands(self.next_step))
    }

    /// AND gates of the next step.
    pub fn next_batch_ands(&self) -> usize {
        self.plan.step_ands(self.next_step)
    }

    /// True once every batch has been evaluated.
    pub fn is_finished(&self) -> bool {
        self.next_step >= self.plan.num_steps()
    }

    fn start(&mut self) -> Result<(), EvalError> {
        if self.started {
            return Ok(());
        }
        if let Some(k) = self.inputs_set.iter().position(|&s| !s) {
            return Err(EvalError::MissingInput {
                name: self.plan.inputs()[k].name.clone(),
            });
        }
        run_free_gates(&mut self.labels, self.plan.prelude());
        self.started = true;
        Ok(())
    }

    /// Evaluates the next step with its table bytes ([`step_bytes`]; a
    /// wrong length is [`EvalError::TableLength`], counted in bytes here).
    pub fn eval_batch(&mut self, tables: &[u8]) -> Result<(), EvalError> {
        self.start()?;
        let plan = &*self.plan;
        let step = plan
            .step(self.next_step)
            .ok_or_else(|| EvalError::Finished {
                steps: plan.num_steps(),
            })?;
        let n = step.ands.len();
        if tables.len() != step_bytes(n) {
            return Err(EvalError::TableLength {
                step: self.next_step,
                expected: step_bytes(n),
                found: tables.len(),
            });
        }
        let first = self.and_base + step.first_and;
        #[cfg(target_arch = "x86_64")]
        if let Some(keys) = self.hash.wide() {
            // The kernels index without bounds checks on this.
            assert!(
                self.labels.len() >= plan.num_slots() && self.pis.len() >= plan.num_pi_slots(),
                "label arrays smaller than the plan"
            );
            // SAFETY: the plan's slots are below `num_slots` and its pi
            // slots below `num_pi_slots` (checked when it was built), and
            // the arrays are that large (asserted above).
            unsafe {
                keys.eval_pis(&self.labels, &mut self.pis, step.pi_slots, step.pi_into);
                keys.three_halves_eval(&mut self.labels, &self.pis, step.ands, first, tables);
            }
            run_free_gates(&mut self.labels, step.frees);
            self.next_step += 1;
            return Ok(());
        }
        let (halves, control) = tables.split_at(24 * n);
        self.buf_in.resize(3 * n, Block::ZERO);
        self.buf_out.resize(3 * n, Block::ZERO);
        let (buf_in, buf_out) = (&mut self.buf_in[..3 * n], &mut self.buf_out[..3 * n]);
        let stored = lanes(&self.labels);
        for (x, g) in lanes_mut(buf_in).chunks_exact_mut(3).zip(step.ands) {
            let (a, b) = (stored[g.a as usize], stored[g.b as usize]);
            x.copy_from_slice(&[a, b, a.xor(b)]);
        }
        let tweaks = Tweaks {
            first: three_halves_tweak(first, 0),
            pair: false,
        };
        self.hash.hash_many(buf_in, buf_out, tweaks);
        let labels = lanes_mut(&mut self.labels);
        for ((x, hs), (k, (g, t))) in buf_in
            .chunks_exact(3)
            .zip(buf_out.chunks_exact(3))
            .zip(step.ands.iter().zip(halves.chunks_exact(24)).enumerate())
        {
            let hs: &[Block; 3] = hs.try_into().expect("three hashes per AND");
            let w = |j: usize| u64::from_le_bytes(t[8 * j..8 * j + 8].try_into().unwrap());
            let table = Table {
                g: [w(0), w(1), w(2)],
                z: get_control(control, k),
            };
            let [c_lo, c_hi] = eval_combine(hs, x[0], x[1], &table);
            labels[g.out as usize] = Lane::from_halves(c_lo, c_hi);
        }
        run_free_gates(&mut self.labels, step.frees);
        self.next_step += 1;
        Ok(())
    }

    /// Decodes the outputs with the garbler's decoding bits. Call after the
    /// last batch.
    pub fn decode(&self, decoding_bits: &[Vec<bool>]) -> Result<Vec<Vec<bool>>, EvalError> {
        let labels = self.output_labels()?;
        if decoding_bits.len() != labels.len() {
            return Err(EvalError::DecodingGroups {
                expected: labels.len(),
                found: decoding_bits.len(),
            });
        }
        for ((o, l), d) in self.plan.outputs().iter().zip(&labels).zip(decoding_bits) {
            if l.len() != d.len() {
                return Err(EvalError::DecodingWidth {
                    name: o.name.clone(),
                    expected: l.len(),
                    found: d.len(),
                });
            }
        }
        Ok(labels
            .iter()
            .zip(decoding_bits)
            .map(|(l, d)| l.iter().zip(d).map(|(l, &bit)| l.lsb() ^ bit).collect())
            .collect())
    }

    /// The active labels of the output wires, per output group. Call after
    /// the last batch.
    pub fn output_labels(&self) -> Result<Vec<Vec<Block>>, EvalError> {
        if !self.is_finished() {
            return Err(EvalError::NotFinished {
                remaining: self.plan.num_steps() - self.next_step,
                steps: self.plan.num_steps(),
            });
        }
        if self.started {
            return Ok(output_labels(&self.plan, &self.labels));
        }
        if let Some(k) = self.inputs_set.iter().position(|&s| !s) {
            return Err(EvalError::MissingInput {
                name: self.plan.inputs()[k].name.clone(),
            });
        }
        let mut labels = self.labels.clone();
        run_free_gates(&mut labels, self.plan.prelude());
        let out = output_labels(&self.plan, &labels);
        labels.zeroize();
        Ok(out)
    }
}

impl Drop for ThreeHalvesEvaluator {
    fn drop(&mut self) {
        self.labels.zeroize();
        self.pis.zeroize();
        self.buf_in.zeroize();
        self.buf_out.zeroize();
    }
}

/// An AND gate whose two inputs always carry labels that are equal or
/// differ by `Delta`: they are different slots holding the same XOR sum of
/// input bits and AND outputs. Three-halves would hash `a ^ b`, a public 0
/// or `Delta`, which the paper's proof does not cover (see SECURITY.md).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "AND gate {and} of the garbling schedule reads two wires that always hold equal or \
     complementary values (the same XOR sum); three-halves garbling does not take such a \
     gate: compile the circuit from the DSL (its optimizer merges equal sums) or use half-gates"
)]
pub struct DependentAnd {
    /// The AND's number in the plan (in a circuit read window by window,
    /// in the whole execution).
    pub and: u64,
}

/// Refuses a plan in which some AND reads two slots with the same XOR sum
/// ([`DependentAnd`]). It runs the plan on *fingerprints* instead of
/// labels ([`fingerprint_plan`]): a fresh tag for every input bit and AND
/// output, XORed by the free gates exactly as labels are. Equal sums have
/// equal fingerprints; different sums collide only by accident (see
/// [`Tags`]), which would only refuse a good circuit. Both parties run it on
/// the same plan, so both refuse alike.
pub fn check_independent_inputs(plan: &Plan) -> Result<(), DependentAnd> {
    let mut tags = Tags::default();
    let inputs: Vec<Vec<Block>> = plan
        .inputs()
        .iter()
        .map(|g| g.slots.iter().map(|_| tags.fresh()).collect())
        .collect();
    fingerprint_plan(plan, &inputs, &mut tags, 0).map(|_| ())
}

/// The tags of [`fingerprint_plan`]: 128-bit values from a counter through
/// the splitmix64 finalizer, deterministic so that both parties compute the
/// same ones. A fingerprint is the XOR of the tags of the input bits and
/// AND outputs a wire sums, so two wires with the same sum always have the
/// same fingerprint (the check never misses a dependent AND); two different
/// sums collide only if the tags they differ in XOR to zero, which refuses
/// a good circuit, never admits a bad one.
#[derive(Clone, Debug, Default)]
pub struct Tags {
    next: u64,
}

impl Tags {
    /// The next tag.
    pub fn fresh(&mut self) -> Block {
        self.next += 1;
        let mix = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let z = self.next.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        Block(u128::from(mix(z)) | u128::from(mix(!z)) << 64)
    }
}

/// Runs `plan` on fingerprints: `inputs[g][i]` is the fingerprint of bit
/// `i` of input group `g`, every AND output gets a fresh tag from `tags`,
/// free gates XOR them as they XOR labels (a NOT is a flip, not a change
/// of the stored label, so complements share a fingerprint; constants are
/// the zero block). Refuses the first AND whose two inputs have equal
/// fingerprints, numbered from `first_and`; otherwise returns the
/// fingerprint of every slot at the end of the plan (what its outputs
/// carry on, for a window of a streamed circuit).
pub fn fingerprint_plan(
    plan: &Plan,
    inputs: &[Vec<Block>],
    tags: &mut Tags,
    first_and: u64,
) -> Result<Vec<Block>, DependentAnd> {
    let mut fp = new_labels(plan.num_slots());
    for (g, v) in plan.inputs().iter().zip(inputs) {
        for (&s, &t) in g.slots.iter().zip(v) {
            if s != NO_SLOT {
                fp[s as usize] = t;
            }
        }
    }
    run_free_gates(&mut fp, plan.prelude());
    let mut and = first_and;
    for i in 0..plan.num_steps() {
        let step = plan.step(i).expect("a step below num_steps");
        // A step's ANDs read before any of them writes.
        for op in step.ands {
            if fp[op.a as usize] == fp[op.b as usize] {
                return Err(DependentAnd { and });
            }
            and += 1;
        }
        for op in step.ands {
            fp[op.out as usize] = tags.fresh();
        }
        run_free_gates(&mut fp, step.frees);
    }
    Ok(fp)
}

/// Both parties in one process with an ideal OT, three-halves (the
/// counterpart of [`crate::in_memory::run_plan`]; not a secure protocol):
/// garbles and evaluates `plan` on `inputs` and returns the decoded outputs.
#[cfg(any(test, feature = "bench"))]
pub fn run_in_memory(
    plan: &Arc<Plan>,
    inputs: &[Vec<bool>],
) -> Result<Vec<Vec<bool>>, crate::in_memory::InMemoryRunError> {
    if inputs.len() != plan.inputs().len() {
        return Err(GarbleError::InputCount {
            expected: plan.inputs().len(),
            found: inputs.len(),
        }
        .into());
    }
    let mut g = ThreeHalvesGarbler::from_plan(Arc::clone(plan), Delta::random());
    let mut e = ThreeHalvesEvaluator::from_plan(Arc::clone(plan));
    for (k, bits) in inputs.iter().enumerate() {
        let labels = match plan.inputs()[k].party {
            crate::ir::Party::Garbler => g.encode_input(k, bits)?,
            crate::ir::Party::Evaluator => {
                crate::in_memory::ideal_ot(plan, g.input_zero_labels(k), g.delta(), k, bits)?
            }
        };
        e.set_input_labels(k, &labels)?;
    }
    let mut tables = vec![0u8; TABLE_BYTES * plan.max_step_ands()];
    loop {
        let n = g.garble_batch_into(&mut tables)?;
        if n == 0 {
            break;
        }
        e.eval_batch(&tables[..n])?;
    }
    Ok(e.decode(&g.decoding_bits())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(a0: Block, bit: bool, d: Block) -> Block {
        a0 ^ (Block::mask(bit) & d)
    }

    /// The linear part alone, symbolically: the six halves `A.lo .. D.hi`
    /// are the unit vectors `1, 2, 4, .., 32` of GF(2)^6, so XOR and masks
    /// compute coefficient vectors. For all 16 values of the garbler's
    /// secret bits and all four rows, the evaluator's linear terms (with the
    /// `r` it decodes) equal `C0`'s plus `D` in the 1-row: the eight
    /// equations of the module docs hold.
    #[test]
    fn linear_part_solves_every_row() {
        let x = [1u64, 2, 4, 8, 16, 32];
        for s in 0..16u8 {
            let [al, be, r0, r1] = [s & 1, s >> 1 & 1, s >> 2 & 1, s >> 3 & 1].map(|v| v == 1);
            let [c_lo, c_hi, g0, g1, g2] = garble_linear(mask(al), mask(be), mask(r0), mask(r1), x);
            for (i, j) in [(false, false), (false, true), (true, false), (true, true)] {
                let k = i ^ j;
                // What the control bits decode to in this row.
                let d0 = r0 ^ (i & al) ^ (k & (al ^ be));
                let d1 = r1 ^ (j & be) ^ (k & (al ^ be));
                let halves = [
                    x[0] ^ (mask(i) & x[4]),
                    x[1] ^ (mask(i) & x[5]),
                    x[2] ^ (mask(j) & x[4]),
                    x[3] ^ (mask(j) & x[5]),
                ];
                let got = eval_linear(mask(i), mask(j), mask(d0), mask(d1), [g0, g1, g2], halves);
                let one = mask(i == al && j == be);
                assert_eq!(
                    got,
                    [c_lo ^ (one & x[4]), c_hi ^ (one & x[5])],
                    "s={s} i={i} j={j}"
                );
            }
        }
    }

    /// Random labels, `Delta`, AND numbers and bits: for every colour of
    /// the zero-labels (forced, so all 16 secret combinations occur) and
    /// all four inputs, the evaluator gets `C0 ^ (a & b)*Delta`, and the
    /// VAES and portable backends garble the same bytes.
    #[test]
    fn correctness_on_random_labels() {
        let (fast, portable) = (Tccr::new(), Tccr::portable());
        for r in 0..64u64 {
            let d = Block(Block::random().0 | 1);
            let k = r.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 3;
            let rho = [r & 4 != 0, r & 8 != 0];
            let a0 = Block((Block::random().0 & !1) | (r & 1) as u128);
            let b0 = Block((Block::random().0 & !1) | (r >> 1 & 1) as u128);
            let (t, c0) = garble_and_with(&portable, d, a0, b0, k, rho);
            assert_eq!(garble_and_with(&fast, d, a0, b0, k, rho), (t, c0));
            assert_eq!(t.z >> 5, 0);
            for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
                let (la, lb) = (label(a0, a, d), label(b0, b, d));
                let want = label(c0, a & b, d);
                assert_eq!(
                    eval_and(&portable, la, lb, &t, k),
                    want,
                    "r={r} a={a} b={b}"
                );
                assert_eq!(eval_and(&fast, la, lb, &t, k), want);
                // Through the wire bytes.
                let back = Table::read(&t.to_bytes());
                assert_eq!(eval_and(&fast, la, lb, &back, k), want);
            }
            // The OS-random variant is correct too.
            let (t2, c2) = garble_and(&fast, d, a0, b0, k);
            let (la, lb) = (label(a0, true, d), label(b0, true, d));
            assert_eq!(eval_and(&fast, la, lb, &t2, k), label(c2, true, d));
        }
    }

    /// AND `k`'s tweaks are `3k, 3k + 1, 3k + 2`: consecutive ANDs get
    /// adjacent, disjoint triples, and the last AND number a session may
    /// use ([`crate::tweak::MAX_ANDS`]` - 1`) still fits in 64 bits.
    #[test]
    fn tweaks_are_disjoint_and_fit() {
        for k in 0..1000u64 {
            assert_eq!(three_halves_tweak(k, 0), 3 * k);
            assert_eq!(three_halves_tweak(k, 2) + 1, three_halves_tweak(k + 1, 0));
        }
        let last = crate::tweak::MAX_ANDS - 1;
        assert!(last.checked_mul(3).and_then(|t| t.checked_add(2)).is_some());
    }

    /// A wrong tweak or a wrong label gives garbage, not the output label:
    /// the hashes are keyed on the AND number.
    #[test]
    fn wrong_and_number_fails() {
        let h = Tccr::new();
        let d = Block(Block::random().0 | 1);
        let (a0, b0) = (Block::random(), Block::random());
        let (t, c0) = garble_and_with(&h, d, a0, b0, 7, [true, false]);
        let c = eval_and(&h, a0, b0, &t, 8);
        assert!(c != c0 && c != c0 ^ d);
    }

    fn hex_table(t: &Table) -> String {
        t.to_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Fixed `Delta`, labels, AND numbers and random bits give these exact
    /// bytes: the wire bytes of the table and `C0` (hex of its
    /// little-endian `u128`). Computed once with [`garble_and_with`] and
    /// pinned; [`correctness_on_random_labels`] and
    /// [`linear_part_solves_every_row`] check the property independently.
    /// Fails if the formula, the tweak numbering, the pad bit, the byte
    /// layout or the fixed key changes.
    #[test]
    fn known_answer() {
        let h = Tccr::new();
        let d = Block(0x0123_4567_89ab_cdef_fedc_ba98_7654_3211);
        let a0s = [
            Block(0x0f1e_2d3c_4b5a_6978_8796_a5b4_c3d2_e1f0),
            Block(0x1111_2222_3333_4444_5555_6666_7777_8889),
            Block(0xdead_beef_0000_0000_cafe_babe_0000_0001),
            Block(0x0000_0000_0000_0000_0000_0000_0000_0000),
        ];
        let b0s = [
            Block(0xa5a5_a5a5_5a5a_5a5a_0f0f_f0f0_1234_5677),
            Block(0x9999_8888_7777_6666_5555_4444_3333_2222),
            Block(0xffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff),
            Block(0x8000_0000_0000_0000_0000_0000_0000_0000),
        ];
        let ks = [0u64, (1 << 40) + 7];
        let mut got = Vec::new();
        // Colours (lsb(A0), lsb(B0)): (0, 1), (1, 0), (1, 1), (0, 0); every
        // value of rho occurs.
        for (n, (&a0, &b0)) in a0s.iter().zip(&b0s).enumerate() {
            for (m, &k) in ks.iter().enumerate() {
                let rho = [(n + m) & 1 == 1, n >> 1 == 1];
                let (t, c0) = garble_and_with(&h, d, a0, b0, k, rho);
                for (a, b) in [(false, false), (false, true), (true, false), (true, true)] {
                    let c = eval_and(&h, label(a0, a, d), label(b0, b, d), &t, k);
                    assert_eq!(c, label(c0, a & b, d));
                }
                got.push([hex_table(&t), format!("{:032x}", c0.0)]);
            }
        }
        assert_eq!(
            got,
            GOLDEN.map(|r| r.map(String::from)),
            "garbled bytes changed"
        );
    }

    /// `[table bytes, C0]` of the cases of [`known_answer`], in order.
    const GOLDEN: [[&str; 2]; 8] = [
        [
            "db1b602532215abda55511dde0a9c57824aea0ae473b17c806",
            "df454b3b0ce80351eea1efde8f89f91f",
        ],
        [
            "091432b47060df5c1413db426edfb16e342291f8157964cc15",
            "1f07c7b05564e3acd34ab46f30213469",
        ],
        [
            "8ec306cf578c05a66c902a207bd782de037ced5e1025b75a05",
            "f51b81b2142ceddbe674eda8d757b027",
        ],
        [
            "ce042309169b1bd2a95b7d6bdf1c2a990bdf71a4240ce6551d",
            "50ad44607b11bedd7589ef5fdeb53e6e",
        ],
        [
            "bc3b030df6b9d58fa9ff8531f328c259cc39f2e61c46714411",
            "2c0362ba851be0eb622f8111692bbba5",
        ],
        [
            "7ce2a5025d7362301864412ab051eeff800ac1919ca9b1331c",
            "00cf17ff25049cfbf86395f4b95d6fd7",
        ],
        [
            "26e9c3e0138c083539ef99a7eaedc52d4a513ea706a06c9011",
            "767fd329d3558af8e865509acae990ef",
        ],
        [
            "2e973051b2c0408695c272a9e0e3867744ae1bc06505f3291e",
            "6f520f4cac8c92a1ff3e0023a38ef18c",
        ],
    ];
}
