//! SoftSpokenOT: OT extension with `128 / k` bits of communication per OT
//! instead of IKNP's 128, semi-honest version.
//!
//! Roy, "SoftSpokenOT: Quieter OT Extension from Small-Field Silent VOLE in
//! the Minicrypt Model", CRYPTO 2022 (ePrint 2022/192). IKNP is the case
//! `k = 1`; for `k` in {2, 4, 8} the receiver sends `128 / k` bits per OT and
//! both parties do about `2^k / k` PRG blocks per OT per 128 bits of output
//! (so per column of the matrix), which is the trade the parameter tunes.
//!
//! Roles are those of [`super::iknp`]: the extension *sender* is the garbler
//! and holds `Delta`; the *receiver* is the evaluator with choice bits `r_i`;
//! outputs are `q_i` and `t_i = q_i ^ r_i * Delta` (correlated OT with the
//! garbling's `Delta`; why no final hash is needed is explained in
//! [`super::iknp`] and holds unchanged: the output functionality is the same).
//!
//! # Construction
//!
//! `Delta`'s 128 bits are cut into `128 / k` groups of `k` bits, `Delta_g`, an
//! element of `{0,1}^k` (the paper's small field `F_{2^k}`, of which only the
//! additive structure is used here).
//!
//! 1. **1-out-of-`2^k` all-but-one OT per group** (paper, section 3, via a
//!    GGM punctured PRF, `ot::ggm`). The 128 base OTs are used `k` per
//!    group, base OT `g*k + l` for level `l` of group `g`'s tree: the
//!    evaluator (base-OT sender, pairs `(k^0, k^1)`) picks a random root,
//!    builds the tree of depth `k` and sends, per level, `K_l^0 ^ k^1` and
//!    `K_l^1 ^ k^0` (its level sums masked by the base-OT keys, [`TreeMsg`]).
//!    The garbler chose `k^{Delta bit}` in the base OT, so it unmasks
//!    exactly `K_l^{1 - Delta bit}`, the sum holding the sibling of its path,
//!    and learns every leaf seed `s_x` except `s_{Delta_g}`. The evaluator knows
//!    all `2^k`.
//! 2. **Small-field VOLE per group** (paper, section 4). Each leaf seed is
//!    expanded into a column stream `R_x = G(s_x)` ([`super::prg`], AES-CTR,
//!    counters continuing across batches as in IKNP). The evaluator computes
//!    `u_g = sum_x R_x` and, for each bit `b < k`, `v_{g,b} = sum_{x_b = 1}
//!    R_x` (the bits of `sum_x x * R_x`). The garbler, knowing `R_x` for `x !=
//!    Delta_g`, computes `w_{g,b} = sum_x (Delta_g ^ x)_b R_x`, the term
//!    `x = Delta_g` weighing zero; expanding gives `w_{g,b} = v_{g,b} ^
//!    Delta_{g,b} * u_g`, a VOLE with `u_g` in `F_2^m` and `Delta_g` in
//!    `F_2^k`. Substituting `y = x ^ Delta_g`, `w_{g,b} = sum_{y_b = 1}
//!    R_{y ^ Delta_g}`: the evaluator's sums over the garbler's leaves
//!    relabelled once at setup (in constant time, `relabel`), which puts the
//!    unknown leaf at index 0, where it weighs zero and is skipped.
//! 3. **Subspace VOLE to correlated OT** (paper, section 5, with the
//!    repetition code). Per batch of `m` OTs the evaluator sends, per group,
//!    `c_g = u_g ^ r` ([`ChunkMsg`], `128 / k` rows of `m` bits): every group's
//!    VOLE is then one on the same vector `r`. The garbler sets `q_{g,b} =
//!    w_{g,b} ^ Delta_{g,b} * c_g = v_{g,b} ^ Delta_{g,b} * r`. Column `g*k + b`
//!    of the garbler's matrix is `q_{g,b}`, of the evaluator's `v_{g,b}`; read
//!    row-wise after the transpose, OT `i` gives `q_i` and `t_i = q_i ^ r_i *
//!    Delta`, the same output as IKNP.
//!
//! (IKNP sends `u_j ^ r` for 128 columns; here one row stands for `k`
//! columns, whence the factor `k` saved. The paper's random-OT version can
//! skip one row by taking `u_0` as the choice vector; chosen choices need all
//! `128 / k`.) The evaluator's sums use a binary-counter reduction over the
//! leaves (as libOTe does): about two XORs of a column per leaf, not `k / 2`.
//!
//! # Security (semi-honest), in brief
//!
//! - The evaluator's view is its own randomness and the base-OT messages: it
//!   receives nothing in the extension, and the base OTs hide the garbler's
//!   choice bits, which are `Delta`.
//! - The garbler's view: `TreeMsg`, whose other halves are masked by base-OT
//!   keys it did not choose; its `2^k - 1` leaves per group, which by the
//!   punctured-PRF security of GGM say nothing about `s_{Delta_g}`; and
//!   `c_g = u_g ^ r`, where `u_g` contains `G(s_{Delta_g})`, a pseudorandom
//!   string independent across groups and batches (distinct seeds, fresh
//!   counters): `r` is one-time padded. This is the paper's Theorem for the
//!   semi-honest protocol (the VOLE is secure as long as the punctured leaf
//!   is pseudorandom).
//!
//! **The malicious version** is built from this one by two additions, one
//! here and one in `auth::kos`: the leaves are hardened and the trees
//! checked once at setup ([`TreeCheckMsg`], [`SoftSpokenSender::new_checked`]:
//! a deviating evaluator is reduced to a selective abort on `Delta`), and
//! every extension is followed by KOS15's consistency check on the output
//! COTs (`auth::kos`, where the argument is written out). The plain
//! [`SoftSpokenSender::new`] / [`SoftSpokenReceiver::new`] pair, used by the
//! semi-honest protocol, has neither: a deviating evaluator can use a
//! different `r` per group and probe `Delta` as with IKNP.
//!
//! Parameters: `k` in {1, 2, 4, 8} ([`SUPPORTED_K`]); each divides 128. Larger
//! `k` would need `2^k` PRG streams per group (65536 for `k = 16`), far
//! slower than the link it saves.

use super::ggm;
use super::iknp::{next_counters, pack_bits, stride, KAPPA};
use super::prg::Prg;
use super::transpose::{transpose_append, transpose_append_keep};
use super::MessageError;
use crate::block::{blocks_as_bytes, blocks_as_bytes_mut, Block, Delta};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// The values of `k` (bits of `Delta` per group) this implementation runs.
pub const SUPPORTED_K: [usize; 4] = [1, 2, 4, 8];

/// Whether `k` is one of [`SUPPORTED_K`].
pub fn is_supported(k: usize) -> bool {
    SUPPORTED_K.contains(&k)
}

fn check_k(k: usize) {
    assert!(
        is_supported(k),
        "SoftSpokenOT: k = {k} is not one of {SUPPORTED_K:?}"
    );
}

/// The evaluator's GGM level sums, masked by its base-OT keys: for base OT
/// `j` (level `j % k` of group `j / k`), `K^0 ^ k_j^1` then `K^1 ^ k_j^0`.
/// On the wire it is exactly [`TreeMsg::LEN`] bytes, whatever `k`.
#[derive(Clone, Debug)]
pub struct TreeMsg {
    blocks: Vec<Block>,
}

impl TreeMsg {
    /// Its length in bytes: two blocks per base OT.
    pub const LEN: usize = 2 * KAPPA * 16;

    /// The message as sent.
    pub fn as_bytes(&self) -> &[u8] {
        blocks_as_bytes(&self.blocks)
    }

    /// Parses the message: exactly [`TreeMsg::LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<TreeMsg, MessageError> {
        if bytes.len() != TreeMsg::LEN {
            return Err(MessageError::Malformed {
                what: "SoftSpokenOT tree sums",
                expected: TreeMsg::LEN,
                got: bytes.len(),
            });
        }
        let mut blocks = vec![Block::ZERO; 2 * KAPPA];
        blocks_as_bytes_mut(&mut blocks).copy_from_slice(bytes);
        Ok(TreeMsg { blocks })
    }
}

/// One batch of the receiver's corrections `c_g = u_g ^ r`: `128 / k` rows
/// (one per group) of `ots` bits, row-major. On the wire it is exactly
/// `16 * ots / k` bytes ([`ChunkMsg::len_for`]).
#[derive(Clone, Debug)]
pub struct ChunkMsg {
    k: usize,
    ots: usize,
    rows: Vec<Block>,
}

impl ChunkMsg {
    /// An empty message for parameter `k`.
    ///
    /// # Panics
    /// If `k` is not supported (a caller bug: check [`is_supported`]).
    pub fn new(k: usize) -> ChunkMsg {
        check_k(k);
        ChunkMsg {
            k,
            ots: 0,
            rows: Vec::new(),
        }
    }

    /// Bytes on the wire for `ots` OTs (a multiple of 128) with parameter `k`.
    pub const fn len_for(ots: usize, k: usize) -> usize {
        16 * ots / k
    }

    /// The number of OTs this message carries.
    pub fn ots(&self) -> usize {
        self.ots
    }

    /// Reuses the allocation for a batch of `ots` OTs.
    pub fn resize(&mut self, ots: usize) {
        assert!(
            ots.is_multiple_of(128),
            "a chunk is a whole number of 128-OT tiles"
        );
        self.ots = ots;
        self.rows.resize(KAPPA / self.k * (ots / 128), Block::ZERO);
    }

    /// The message as sent.
    pub fn as_bytes(&self) -> &[u8] {
        blocks_as_bytes(&self.rows)
    }

    /// The buffer a channel reads the next batch into.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        blocks_as_bytes_mut(&mut self.rows)
    }

    /// A copy of the message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }

    /// Parses a batch of `ots` OTs for parameter `k`: exactly
    /// [`ChunkMsg::len_for`]`(ots, k)` bytes.
    ///
    /// # Panics
    /// If `k` is not supported (a caller bug).
    pub fn from_bytes(bytes: &[u8], ots: usize, k: usize) -> Result<ChunkMsg, MessageError> {
        check_k(k);
        if !ots.is_multiple_of(128) {
            return Err(MessageError::Malformed {
                what: "SoftSpokenOT correction batch (of a count of OTs that is not a multiple of 128)",
                expected: ChunkMsg::len_for(ots.next_multiple_of(128), k),
                got: bytes.len(),
            });
        }
        if bytes.len() != ChunkMsg::len_for(ots, k) {
            return Err(MessageError::Malformed {
                what: "SoftSpokenOT correction batch",
                expected: ChunkMsg::len_for(ots.next_multiple_of(128), k),
                got: bytes.len(),
            });
        }
        let mut m = ChunkMsg::new(k);
        m.resize(ots);
        m.as_bytes_mut().copy_from_slice(bytes);
        Ok(m)
    }

    fn width(&self) -> usize {
        self.ots / 128
    }
}

/// The evaluator's proof that its GGM trees are consistent, for the
/// malicious-secure setup (Roy, SoftSpokenOT, CRYPTO 2022, the all-but-one
/// OT check of its malicious small-field VOLE; libOTe's
/// `SoftSpokenMalOtExt` does the same with Blake2).
///
/// Every leaf `s_x` is *hardened*: `(e_x, s'_x) = H(s_x)` (a
/// 32-byte tag and the 16-byte seed the column PRG then uses). The message
/// carries, per group, `sum_x e_x` (XOR) and a hash of the group's tags in
/// leaf order. The sender knows every `s_x` but its punctured one, so every
/// `e_x` but one, recovers that one from the sum and checks the hash. By
/// collision resistance, two punctured points of a group that both pass
/// see the same tags, hence the same leaves: whatever the evaluator sent,
/// at every accepted `Delta_g` the sender's leaves are the puncturing of
/// one leaf vector, so the VOLE is correct, and the deviation is reduced
/// to a selective abort: "is `Delta_g` in the set `A_g` that passes?", a
/// set the evaluator (or a simulator holding both base-OT keys) finds by
/// trying the `2^k` points. The sender learns `e_x` for its punctured
/// leaf, which says nothing about `s'_x` (another part of the hash output).
///
/// `64 * (128 / k)` bytes ([`TreeCheckMsg::len_for`]).
#[derive(Clone, Debug)]
pub struct TreeCheckMsg {
    k: usize,
    /// Per group: the XOR of its tags, then the hash of its tags.
    groups: Vec<[[u8; 32]; 2]>,
}

impl TreeCheckMsg {
    /// Its length in bytes for parameter `k`.
    pub const fn len_for(k: usize) -> usize {
        64 * (KAPPA / k)
    }

    /// The message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.groups.iter().flatten().flatten().copied().collect()
    }

    /// Parses the message for parameter `k`: exactly
    /// [`TreeCheckMsg::len_for`]`(k)` bytes.
    ///
    /// # Panics
    /// If `k` is not supported (a caller bug).
    pub fn from_bytes(bytes: &[u8], k: usize) -> Result<TreeCheckMsg, MessageError> {
        check_k(k);
        let len = TreeCheckMsg::len_for(k);
        if bytes.len() != len {
            return Err(MessageError::Malformed {
                what: "SoftSpokenOT tree check",
                expected: len,
                got: bytes.len(),
            });
        }
        let groups = bytes
            .chunks_exact(64)
            .map(|g| {
                let (sum, hash) = g.split_at(32);
                [sum.try_into().expect("32"), hash.try_into().expect("32")]
            })
            .collect();
        Ok(TreeCheckMsg { k, groups })
    }
}

const LEAF_CONTEXT: &str = "yao 2026-12 SoftSpokenOT malicious: leaf tag and seed";
const TREE_CONTEXT: &str = "yao 2026-12 SoftSpokenOT malicious: tree check";

/// A leaf's tag and the seed its column stream uses: the 48-byte blake3
/// output of the leaf under its own context. The tag binds the leaf
/// (collision resistance of the first 32 bytes); the seed is independent
/// of the tag for a leaf the holder of the tag does not know.
fn harden(leaf: Block) -> ([u8; 32], Block) {
    let mut h = blake3::Hasher::new_derive_key(LEAF_CONTEXT);
    h.update(&leaf.to_bytes());
    let mut out = [0u8; 48];
    h.finalize_xof().fill(&mut out);
    let tag: [u8; 32] = out[..32].try_into().expect("32");
    let seed = Block::from_bytes(out[32..].try_into().expect("16"));
    out.zeroize();
    (tag, seed)
}

/// The hash of group `g`'s tags, bound to `k` and `g`.
fn tree_hasher(k: usize, g: usize) -> blake3::Hasher {
    let mut h = blake3::Hasher::new_derive_key(TREE_CONTEXT);
    h.update(&[k as u8, g as u8]);
    h
}

fn xor_bytes(dst: &mut [u8; 32], src: &[u8; 32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= s;
    }
}

/// The sender's side of the tree check for one group, punctured at `alpha`:
/// hardens `leaves` in place (the punctured one becomes junk, which
/// `relabel` then moves to index 0, where it is dropped), recovers the
/// punctured leaf's tag from `correction` and feeds all tags, in leaf
/// order, to `hasher`. Branch-free in `alpha`: every leaf is hashed, and
/// the tags are selected with masks.
fn check_group(
    leaves: &mut [Block],
    alpha: usize,
    correction: &[u8; 32],
    mut hasher: blake3::Hasher,
) -> blake3::Hash {
    let mut tags = vec![[0u8; 32]; leaves.len()];
    let mut missing = *correction;
    for (x, (leaf, tag)) in leaves.iter_mut().zip(tags.iter_mut()).enumerate() {
        let (t, seed) = harden(*leaf);
        *leaf = seed;
        *tag = t;
        let known = !byte_eq_mask(x, alpha);
        for (m, b) in missing.iter_mut().zip(tag.iter()) {
            *m ^= b & known;
        }
    }
    for (x, tag) in tags.iter_mut().enumerate() {
        let here = byte_eq_mask(x, alpha);
        for (t, m) in tag.iter_mut().zip(missing.iter()) {
            *t ^= (*t ^ m) & here;
        }
        hasher.update(tag);
    }
    tags.zeroize();
    missing.zeroize();
    hasher.finalize()
}

/// `0xff` if `a == b`, else `0`, in constant time.
fn byte_eq_mask(a: usize, b: usize) -> u8 {
    0u8.wrapping_sub((a as u64).ct_eq(&(b as u64)).unwrap_u8())
}

/// Work buffers of the per-group VOLE sums, all `width` blocks per row.
#[derive(Default)]
struct Sums {
    /// The current leaf's stream, then running partial sums.
    r: Vec<Block>,
    /// Pending left operands, one row per level of the combining tree.
    stack: Vec<Block>,
    /// `u` of the group: the sum of all leaves' streams.
    u: Vec<Block>,
}

impl Sums {
    /// For one group with leaf PRGs `prgs` (`2^k` of them, or `2^k - 1` for
    /// leaves `1..2^k` with leaf 0 taken as the zero stream): writes
    /// `sum_{x_b = 1} G(s_x)` to `v[b * stride..][..width]` for each `b < k`
    /// and `sum_x G(s_x)` to `self.u`, the PRGs run on counters `ctr`.
    ///
    /// Binary-counter reduction: the leaves are summed pairwise up a binary
    /// tree; when node `x` of level `b` is odd it is added to `v_b` (all
    /// leaves below it have bit `b` set) and to its even sibling, pending on
    /// `stack[b]`, to form the parent. The root is `u`.
    fn group(&mut self, prgs: &[Prg], k: usize, ctr: &[Block], v: &mut [Block], stride: usize) {
        let width = ctr.len();
        let first = (1 << k) - prgs.len();
        debug_assert!(first <= 1);
        self.r.resize(width, Block::ZERO);
        self.stack.resize(k * width, Block::ZERO);
        self.u.resize(width, Block::ZERO);
        for b in 0..k {
            v[b * stride..][..width].fill(Block::ZERO);
        }
        // Leaf 0 as the zero stream: pending at level 0 (a public shape).
        self.stack[..width].fill(Block::ZERO);
        for (x, prg) in (first..).zip(prgs) {
            if x & 1 == 0 {
                // Pending at level 0 (public index: no secret branch).
                prg.fill(ctr, &mut self.stack[..width]);
                continue;
            }
            prg.fill(ctr, &mut self.r);
            let mut idx = x;
            let mut level = 0;
            loop {
                if level == k {
                    self.u.copy_from_slice(&self.r);
                    break;
                }
                if idx & 1 == 0 {
                    self.stack[level * width..][..width].copy_from_slice(&self.r);
                    break;
                }
                xor_into(&mut v[level * stride..][..width], &self.r);
                xor_into(&mut self.r, &self.stack[level * width..][..width]);
                idx >>= 1;
                level += 1;
            }
        }
    }
}

impl Drop for Sums {
    fn drop(&mut self) {
        self.r.zeroize();
        self.stack.zeroize();
        self.u.zeroize();
    }
}

fn xor_into(dst: &mut [Block], src: &[Block]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= *s;
    }
}

/// The leaf PRGs of all groups, group-major (`2^k` per group).
fn leaf_prgs(leaves: &[Block]) -> Vec<Prg> {
    leaves.iter().map(|&s| Prg::new(s)).collect()
}

/// The extension sender (the garbler): holds `Delta` and all leaf seeds but
/// one per group, relabelled so that the unknown one is leaf 0 (see
/// `relabel`); only the `2^k - 1` known ones have a PRG.
pub struct SoftSpokenSender {
    k: usize,
    /// The correlation: `Delta`, or a global MAC key.
    delta: Block,
    prgs: Vec<Prg>,
    counter: u64,
    ctr: Vec<Block>,
    sums: Sums,
    /// The matrix `Q`, rows padded (see `iknp::stride`).
    q: Vec<Block>,
}

impl SoftSpokenSender {
    /// `seeds[j]` is the base-OT output `k_j^{s_j}` for choice bit `s_j`, bit
    /// `j` of `delta`; `tree` is the evaluator's [`TreeMsg`].
    ///
    /// # Panics
    /// If `k` is not supported or `seeds` is not 128 long (caller bugs).
    pub fn new(k: usize, delta: &Delta, seeds: &[Block], tree: &TreeMsg) -> SoftSpokenSender {
        let (sender, _) = SoftSpokenSender::build(k, delta.block(), seeds, tree, None);
        sender
    }

    /// The malicious-secure setup (see [`TreeCheckMsg`]): as
    /// [`SoftSpokenSender::new`] with any correlation `s` (a global MAC key
    /// need not have its lowest bit set), every leaf hardened, and the
    /// evaluator's trees checked against `check`. An error means the
    /// evaluator's trees are not those of one leaf vector at this party's
    /// punctured points: it deviated.
    ///
    /// # Panics
    /// If `k` is not supported or `seeds` is not 128 long (caller bugs).
    pub fn new_checked(
        k: usize,
        s: Block,
        seeds: &[Block],
        tree: &TreeMsg,
        check: &TreeCheckMsg,
    ) -> Result<SoftSpokenSender, MessageError> {
        assert_eq!(check.k, k, "a tree check for this k");
        let (sender, ok) = SoftSpokenSender::build(k, s, seeds, tree, Some(check));
        if ok {
            Ok(sender)
        } else {
            Err(MessageError::CheckFailed {
                what: "SoftSpokenOT tree check (the evaluator's GGM trees)",
            })
        }
    }

    /// The setup of both variants; with `check`, the leaves are hardened and
    /// the second value says whether the check passed (it is computed in
    /// full either way, so its time does not depend on where it fails).
    fn build(
        k: usize,
        s: Block,
        seeds: &[Block],
        tree: &TreeMsg,
        check: Option<&TreeCheckMsg>,
    ) -> (SoftSpokenSender, bool) {
        check_k(k);
        assert_eq!(seeds.len(), KAPPA, "one seed per base OT");
        let d = s.0;
        let mut siblings = vec![Block::ZERO; k];
        let mut leaves = Vec::new();
        let mut all = Vec::with_capacity((KAPPA / k) << k);
        let mut ok = subtle::Choice::from(1);
        for g in 0..KAPPA / k {
            for (l, sib) in siblings.iter_mut().enumerate() {
                let j = g * k + l;
                let bit = Block::mask((d >> j) & 1 == 1);
                // Bit 1: we hold k^1 and want K^0 = (K^0 ^ k^1) ^ k^1.
                let masked = (tree.blocks[2 * j] & bit) ^ (tree.blocks[2 * j + 1] & Block(!bit.0));
                *sib = masked ^ seeds[j];
            }
            let alpha = ((d >> (g * k)) & ((1u128 << k) - 1)) as usize;
            ggm::punctured(alpha, &siblings, k, &mut leaves);
            if let Some(check) = check {
                let [sum, hash] = &check.groups[g];
                let mine = check_group(&mut leaves, alpha, sum, tree_hasher(k, g));
                ok &= mine.as_bytes().ct_eq(hash);
            }
            relabel(&mut leaves, alpha, k);
            all.extend_from_slice(&leaves[1..]);
        }
        let ok = bool::from(ok);
        let prgs = leaf_prgs(&all);
        siblings.zeroize();
        leaves.zeroize();
        all.zeroize();
        let sender = SoftSpokenSender {
            k,
            delta: s,
            prgs,
            counter: 0,
            ctr: Vec::new(),
            sums: Sums::default(),
            q: Vec::new(),
        };
        (sender, ok)
    }

    /// The parameter `k`.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Turns one batch of the receiver's corrections into `msg.ots()`
    /// zero-labels `q_i`, appended to `out`.
    ///
    /// # Panics
    /// If `msg` was made for another `k` (a caller bug).
    pub fn receive(&mut self, msg: &ChunkMsg, out: &mut Vec<Block>) {
        assert_eq!(msg.k, self.k, "a batch for this k");
        let width = msg.width();
        if width == 0 {
            return; // an empty batch: no OTs, and no PRG output used
        }
        let k = self.k;
        let stride = stride(width);
        self.q.resize(KAPPA * stride, Block::ZERO);
        next_counters(&mut self.counter, width, &mut self.ctr);
        let d = self.delta.0;
        for (g, (prgs, c)) in self
            .prgs
            .chunks_exact((1 << k) - 1)
            .zip(msg.rows.chunks_exact(width))
            .enumerate()
        {
            // Over the relabelled leaves `y = x ^ Delta_g`, the sums
            // `sum_{y_b = 1} R_{y ^ Delta_g}` are `w_b = v_b ^ Delta_b * u`
            // (leaf 0, the unknown one, weighs zero); then
            // `q_b = w_b ^ Delta_b * c = v_b ^ Delta_b * r`.
            let w = &mut self.q[g * k * stride..][..k * stride];
            self.sums.group(prgs, k, &self.ctr, w, stride);
            for b in 0..k {
                let mask = Block::mask((d >> (g * k + b)) & 1 == 1);
                for (q, c) in w[b * stride..][..width].iter_mut().zip(c) {
                    *q ^= *c & mask;
                }
            }
        }
        transpose_append(&self.q, stride, width, out);
    }
}

impl Drop for SoftSpokenSender {
    fn drop(&mut self) {
        self.q.zeroize();
    }
}

/// Relabels the `2^k` leaves of a group by `x -> x ^ alpha`, so that leaf
/// `y` of the result is leaf `y ^ alpha` of the input and the punctured leaf
/// `alpha` becomes leaf 0. In constant time: `k` rounds of conditional swaps
/// of the pairs `(x, x ^ 2^b)` under a mask from bit `b` of `alpha` (a
/// butterfly network), so neither the memory access pattern nor branches
/// depend on `alpha`. libOTe's SoftSpokenOT also puts the unknown leaf at
/// index 0; relabelling once at setup is what lets the sender skip it and
/// run `2^k - 1` PRG streams per group, one fewer than the receiver.
fn relabel(leaves: &mut [Block], alpha: usize, k: usize) {
    debug_assert_eq!(leaves.len(), 1 << k);
    for b in 0..k {
        let swap = Block::mask((alpha >> b) & 1 == 1);
        let bit = 1 << b;
        for x in (0..1 << k).filter(|x| x & bit == 0) {
            let t = (leaves[x] ^ leaves[x | bit]) & swap;
            leaves[x] ^= t;
            leaves[x | bit] ^= t;
        }
    }
}

/// The extension receiver (the evaluator): holds every leaf seed.
pub struct SoftSpokenReceiver {
    k: usize,
    prgs: Vec<Prg>,
    counter: u64,
    ctr: Vec<Block>,
    sums: Sums,
    t: Vec<Block>,
    r: Vec<Block>,
}

impl SoftSpokenReceiver {
    /// `seeds[j]` is the base-OT sender's pair `(k_j^0, k_j^1)`. Builds one
    /// GGM tree per group from a fresh random root (OS randomness) and
    /// returns the [`TreeMsg`] for the sender.
    ///
    /// # Panics
    /// If `k` is not supported or `seeds` is not 128 long (caller bugs).
    pub fn new(k: usize, seeds: &[[Block; 2]]) -> (SoftSpokenReceiver, TreeMsg) {
        let (rx, tree, _) = SoftSpokenReceiver::build(k, seeds, false);
        (rx, tree)
    }

    /// The malicious-secure setup: as [`SoftSpokenReceiver::new`] with every
    /// leaf hardened, and the [`TreeCheckMsg`] that lets the sender check
    /// the trees.
    ///
    /// # Panics
    /// If `k` is not supported or `seeds` is not 128 long (caller bugs).
    pub fn new_checked(
        k: usize,
        seeds: &[[Block; 2]],
    ) -> (SoftSpokenReceiver, TreeMsg, TreeCheckMsg) {
        let (rx, tree, check) = SoftSpokenReceiver::build(k, seeds, true);
        (rx, tree, check.expect("made when asked for"))
    }

    fn build(
        k: usize,
        seeds: &[[Block; 2]],
        checked: bool,
    ) -> (SoftSpokenReceiver, TreeMsg, Option<TreeCheckMsg>) {
        check_k(k);
        assert_eq!(seeds.len(), KAPPA, "one seed pair per base OT");
        let mut sums = vec![[Block::ZERO; 2]; k];
        let mut leaves = Vec::new();
        let mut all = Vec::with_capacity((KAPPA / k) << k);
        let mut blocks = vec![Block::ZERO; 2 * KAPPA];
        let mut groups = Vec::new();
        for g in 0..KAPPA / k {
            ggm::full(Block::random(), k, &mut leaves, &mut sums);
            for (l, s) in sums.iter().enumerate() {
                let j = g * k + l;
                blocks[2 * j] = s[0] ^ seeds[j][1];
                blocks[2 * j + 1] = s[1] ^ seeds[j][0];
            }
            if checked {
                let mut sum = [0u8; 32];
                let mut hasher = tree_hasher(k, g);
                for leaf in leaves.iter_mut() {
                    let (tag, seed) = harden(*leaf);
                    *leaf = seed;
                    xor_bytes(&mut sum, &tag);
                    hasher.update(&tag);
                }
                groups.push([sum, *hasher.finalize().as_bytes()]);
            }
            all.extend_from_slice(&leaves);
        }
        let prgs = leaf_prgs(&all);
        sums.zeroize();
        leaves.zeroize();
        all.zeroize();
        let rx = SoftSpokenReceiver {
            k,
            prgs,
            counter: 0,
            ctr: Vec::new(),
            sums: Sums::default(),
            t: Vec::new(),
            r: Vec::new(),
        };
        let check = checked.then_some(TreeCheckMsg { k, groups });
        (rx, TreeMsg { blocks }, check)
    }

    /// The parameter `k`.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Makes one batch: fills `msg` (sized to `choices.len()` rounded up to
    /// 128) with the corrections for the sender and appends the receiver's
    /// labels `t_i = q_i ^ choices[i] * Delta` to `out` (one per choice).
    ///
    /// # Panics
    /// If `msg` was made for another `k` (a caller bug).
    pub fn send(&mut self, choices: &[bool], msg: &mut ChunkMsg, out: &mut Vec<Block>) {
        assert_eq!(msg.k, self.k, "a batch for this k");
        let ots = choices.len().next_multiple_of(128);
        msg.resize(ots);
        let width = msg.width();
        if width == 0 {
            return; // an empty batch: no OTs, and no PRG output used
        }
        let k = self.k;
        let stride = stride(width);
        pack_bits(choices, width, &mut self.r);
        self.t.resize(KAPPA * stride, Block::ZERO);
        next_counters(&mut self.counter, width, &mut self.ctr);
        for (g, (prgs, c)) in self
            .prgs
            .chunks_exact(1 << k)
            .zip(msg.rows.chunks_exact_mut(width))
            .enumerate()
        {
            let v = &mut self.t[g * k * stride..][..k * stride];
            self.sums.group(prgs, k, &self.ctr, v, stride);
            for ((c, u), r) in c.iter_mut().zip(&self.sums.u).zip(&self.r) {
                *c = *u ^ *r;
            }
        }
        transpose_append_keep(&self.t, stride, width, choices.len(), out);
    }
}

impl Drop for SoftSpokenReceiver {
    fn drop(&mut self) {
        self.t.zeroize();
        self.r.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_ots(delta: &Delta) -> (Vec<[Block; 2]>, Vec<Block>) {
        let pairs: Vec<[Block; 2]> = (0..KAPPA)
            .map(|_| [Block::random(), Block::random()])
            .collect();
        let chosen = (0..KAPPA)
            .map(|j| pairs[j][((delta.block().0 >> j) & 1) as usize])
            .collect();
        (pairs, chosen)
    }

    #[test]
    fn correlated_outputs_for_every_k() {
        for k in SUPPORTED_K {
            let delta = Delta::random();
            let (pairs, chosen) = base_ots(&delta);
            let (mut rx, tree) = SoftSpokenReceiver::new(k, &pairs);
            let tree = TreeMsg::from_bytes(tree.as_bytes()).unwrap();
            let mut tx = SoftSpokenSender::new(k, &delta, &chosen, &tree);
            let mut msg = ChunkMsg::new(k);
            for n in [1, 128, 1000, 0, 4096, 129] {
                let choices: Vec<bool> = (0..n).map(|_| Block::random().lsb()).collect();
                let mut t = Vec::new();
                rx.send(&choices, &mut msg, &mut t);
                assert_eq!(t.len(), n);
                assert_eq!(msg.as_bytes().len(), 16 * n.next_multiple_of(128) / k);
                let wire = ChunkMsg::from_bytes(&msg.to_bytes(), msg.ots(), k).unwrap();
                let mut q = Vec::new();
                tx.receive(&wire, &mut q);
                assert_eq!(q.len(), n.next_multiple_of(128));
                for i in 0..n {
                    assert_eq!(
                        t[i],
                        q[i] ^ (delta.block() & Block::mask(choices[i])),
                        "k {k}, n {n}, OT {i}"
                    );
                }
                // Outputs are not degenerate.
                if n >= 128 {
                    assert_ne!(q[0], q[1], "k {k}");
                }
            }
        }
    }

    fn checked_pair(delta: Block) -> (Vec<[Block; 2]>, Vec<Block>) {
        let pairs: Vec<[Block; 2]> = (0..KAPPA)
            .map(|_| [Block::random(), Block::random()])
            .collect();
        let chosen = (0..KAPPA)
            .map(|j| pairs[j][((delta.0 >> j) & 1) as usize])
            .collect();
        (pairs, chosen)
    }

    #[test]
    fn checked_setup_gives_correlated_outputs_for_every_k() {
        for k in SUPPORTED_K {
            // Any correlation, lowest bit clear too (a global MAC key).
            let delta = Block(Block::random().0 & !1);
            let (pairs, chosen) = checked_pair(delta);
            let (mut rx, tree, check) = SoftSpokenReceiver::new_checked(k, &pairs);
            let tree = TreeMsg::from_bytes(tree.as_bytes()).unwrap();
            let bytes = check.to_bytes();
            assert_eq!(bytes.len(), TreeCheckMsg::len_for(k));
            let check = TreeCheckMsg::from_bytes(&bytes, k).unwrap();
            let mut tx = SoftSpokenSender::new_checked(k, delta, &chosen, &tree, &check).unwrap();
            let choices: Vec<bool> = (0..1000).map(|_| Block::random().lsb()).collect();
            let mut msg = ChunkMsg::new(k);
            let (mut t, mut q) = (Vec::new(), Vec::new());
            rx.send(&choices, &mut msg, &mut t);
            tx.receive(&msg, &mut q);
            for i in 0..choices.len() {
                assert_eq!(t[i], q[i] ^ (delta & Block::mask(choices[i])), "k {k}, {i}");
            }
        }
    }

    #[test]
    fn a_bad_tree_passes_only_at_the_points_it_was_made_for() {
        // The evaluator changes `K_0^0 ^ k^1` of group 0 and sends the check
        // of its honest trees. A sender whose bit 0 of Delta is 0 unmasks
        // the other half and sees the honest tree: it passes, and its
        // outputs are correct. One whose bit 0 is 1 sees a wrong sibling:
        // caught. This is the selective abort the argument allows: passing
        // tells the evaluator that bit of Delta, at the price of an abort
        // with probability 1/2.
        for k in SUPPORTED_K {
            for bit in [0u128, 1] {
                let delta = Block((Block::random().0 & !1) | bit);
                let (pairs, chosen) = checked_pair(delta);
                let (mut rx, tree, check) = SoftSpokenReceiver::new_checked(k, &pairs);
                let mut bytes = tree.as_bytes().to_vec();
                bytes[0] ^= 1;
                let tree = TreeMsg::from_bytes(&bytes).unwrap();
                let result = SoftSpokenSender::new_checked(k, delta, &chosen, &tree, &check);
                if bit == 1 {
                    assert!(
                        matches!(result, Err(MessageError::CheckFailed { .. })),
                        "k {k}: caught"
                    );
                    continue;
                }
                let mut tx = result.expect("the tampered half is not this sender's");
                let choices = vec![true; 256];
                let mut msg = ChunkMsg::new(k);
                let (mut t, mut q) = (Vec::new(), Vec::new());
                rx.send(&choices, &mut msg, &mut t);
                tx.receive(&msg, &mut q);
                assert!((0..256).all(|i| t[i] == q[i] ^ delta), "k {k}");
            }
        }
    }

    #[test]
    fn a_wrong_tree_check_is_caught() {
        for k in SUPPORTED_K {
            let delta = Block::random();
            let (pairs, chosen) = checked_pair(delta);
            let (_, tree, check) = SoftSpokenReceiver::new_checked(k, &pairs);
            let good = check.to_bytes();
            // A flipped bit in a group's tag sum or hash, or both halves of
            // a level's sums (whichever the sender unmasks) changed.
            for at in [0, 40, good.len() - 33, good.len() - 1] {
                let mut bad = good.clone();
                bad[at] ^= 0x10;
                let bad = TreeCheckMsg::from_bytes(&bad, k).unwrap();
                assert!(SoftSpokenSender::new_checked(k, delta, &chosen, &tree, &bad).is_err());
            }
            let mut bytes = tree.as_bytes().to_vec();
            let level = 16 * 2 * (KAPPA - 1);
            bytes[level] ^= 4;
            bytes[level + 16] ^= 4;
            let bad_tree = TreeMsg::from_bytes(&bytes).unwrap();
            assert!(SoftSpokenSender::new_checked(k, delta, &chosen, &bad_tree, &check).is_err());
            // Garbage of the right length.
            let garbage: Vec<u8> = (0..good.len()).map(|i| (i * 37) as u8).collect();
            let garbage = TreeCheckMsg::from_bytes(&garbage, k).unwrap();
            assert!(SoftSpokenSender::new_checked(k, delta, &chosen, &tree, &garbage).is_err());
            // Only the exact length parses.
            assert!(TreeCheckMsg::from_bytes(&good[1..], k).is_err());
            assert!(TreeCheckMsg::from_bytes(&[good.clone(), vec![0]].concat(), k).is_err());
            let other = if k == 8 { 4 } else { 8 };
            assert!(TreeCheckMsg::from_bytes(&good, other).is_err());
        }
    }

    #[test]
    fn relabel_is_xor_by_alpha() {
        for k in SUPPORTED_K {
            let leaves: Vec<Block> = (0..1u128 << k).map(Block).collect();
            for alpha in [0, 1, (1 << k) - 1, 0b1010_0101 & ((1 << k) - 1)] {
                let mut l = leaves.clone();
                relabel(&mut l, alpha, k);
                for y in 0..1 << k {
                    assert_eq!(l[y], leaves[y ^ alpha], "k {k}, alpha {alpha}");
                }
            }
        }
    }

    #[test]
    fn batches_use_fresh_keystream() {
        // The same choices twice give different labels: counters advance.
        let k = 4;
        let delta = Delta::random();
        let (pairs, chosen) = base_ots(&delta);
        let (mut rx, tree) = SoftSpokenReceiver::new(k, &pairs);
        let _tx = SoftSpokenSender::new(k, &delta, &chosen, &tree);
        let choices = vec![true; 256];
        let mut msg = ChunkMsg::new(k);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        rx.send(&choices, &mut msg, &mut a);
        let first = msg.to_bytes();
        rx.send(&choices, &mut msg, &mut b);
        assert_ne!(a, b);
        assert_ne!(first, msg.to_bytes());
    }

    #[test]
    fn the_corrections_hide_the_choices() {
        // All-zero and all-one choices both give balanced correction bits.
        for k in SUPPORTED_K {
            let (pairs, _) = base_ots(&Delta::random());
            let (mut rx, _) = SoftSpokenReceiver::new(k, &pairs);
            let mut msg = ChunkMsg::new(k);
            for bit in [false, true] {
                rx.send(&vec![bit; 4096], &mut msg, &mut Vec::new());
                let ones: u32 = msg.as_bytes().iter().map(|b| b.count_ones()).sum();
                let frac = f64::from(ones) / (8 * msg.as_bytes().len()) as f64;
                assert!((0.45..0.55).contains(&frac), "k {k}: {frac}");
            }
        }
    }

    #[test]
    fn malformed_messages_are_refused() {
        assert!(matches!(
            TreeMsg::from_bytes(&[0; TreeMsg::LEN - 1]),
            Err(MessageError::Malformed { .. })
        ));
        assert!(matches!(
            TreeMsg::from_bytes(&[0; TreeMsg::LEN + 16]),
            Err(MessageError::Malformed { .. })
        ));
        for k in SUPPORTED_K {
            let good = vec![0u8; ChunkMsg::len_for(256, k)];
            assert!(ChunkMsg::from_bytes(&good, 256, k).is_ok());
            assert!(ChunkMsg::from_bytes(&good[1..], 256, k).is_err());
            assert!(ChunkMsg::from_bytes(&good, 255, k).is_err());
            assert!(ChunkMsg::from_bytes(&good, 128, k).is_err());
        }
        assert!(!is_supported(3) && !is_supported(16) && !is_supported(0));
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use std::time::Instant;

    /// Single-threaded cost of each side, no channel: `cargo test --release
    /// -p yao-core --lib -- --ignored --nocapture softspoken_core_rates`.
    #[test]
    #[ignore = "a measurement"]
    fn softspoken_core_rates() {
        let n = 1 << 13;
        let reps = 64;
        {
            use crate::ot::iknp::{ChunkMsg, IknpReceiver, IknpSender};
            let delta = Delta::random();
            let pairs: Vec<[Block; 2]> = (0..KAPPA)
                .map(|_| [Block::random(), Block::random()])
                .collect();
            let chosen: Vec<Block> = (0..KAPPA)
                .map(|j| pairs[j][((delta.block().0 >> j) & 1) as usize])
                .collect();
            let mut rx = IknpReceiver::new(&pairs);
            let mut tx = IknpSender::new(&delta, &chosen);
            let choices = vec![true; n];
            let mut msg = ChunkMsg::default();
            let mut out = Vec::with_capacity(n);
            let t0 = Instant::now();
            for _ in 0..reps {
                out.clear();
                rx.send(&choices, &mut msg, &mut out);
            }
            let send = t0.elapsed().as_secs_f64();
            let t0 = Instant::now();
            for _ in 0..reps {
                out.clear();
                tx.receive(&msg, &mut out);
            }
            let recv = t0.elapsed().as_secs_f64();
            let ots = (n * reps) as f64;
            println!(
                "IKNP: receiver {:.3e} OT/s, sender {:.3e} OT/s",
                ots / send,
                ots / recv
            );
        }
        for k in SUPPORTED_K {
            let delta = Delta::random();
            let pairs: Vec<[Block; 2]> = (0..KAPPA)
                .map(|_| [Block::random(), Block::random()])
                .collect();
            let chosen: Vec<Block> = (0..KAPPA)
                .map(|j| pairs[j][((delta.block().0 >> j) & 1) as usize])
                .collect();
            let t0 = Instant::now();
            let (mut rx, tree) = SoftSpokenReceiver::new(k, &pairs);
            let mut tx = SoftSpokenSender::new(k, &delta, &chosen, &tree);
            let setup = t0.elapsed();
            let choices = vec![true; n];
            let mut msg = ChunkMsg::new(k);
            let mut out = Vec::with_capacity(n);
            let t0 = Instant::now();
            for _ in 0..reps {
                out.clear();
                rx.send(&choices, &mut msg, &mut out);
            }
            let send = t0.elapsed().as_secs_f64();
            let t0 = Instant::now();
            for _ in 0..reps {
                out.clear();
                tx.receive(&msg, &mut out);
            }
            let recv = t0.elapsed().as_secs_f64();
            let ots = (n * reps) as f64;
            println!(
                "k {k}: setup {:.2} ms, receiver {:.3e} OT/s, sender {:.3e} OT/s",
                setup.as_secs_f64() * 1e3,
                ots / send,
                ots / recv
            );
        }
    }
}
