//! GGM punctured PRF: `2^k` leaves from one root, and all leaves but one
//! from `k` level sums.
//!
//! Goldreich, Goldwasser and Micali ("How to Construct Random Functions",
//! JACM 1986) build a tree by expanding each node with a length-doubling PRG
//! `G(s) = (G_0(s), G_1(s))`. Giving out, for every level, the sibling of the
//! path to a leaf `alpha` reveals every leaf except `alpha`, and `alpha`'s leaf
//! stays pseudorandom (the punctured PRF of Boneh-Waters, Kiayias et al. and
//! Boyle-Gilboa-Ishai, Asiacrypt 2013 / CCS 2013 / Eurocrypt 2015). The
//! siblings are obtained by oblivious transfer as in Doerner and shelat
//! ("Scaling ORAM for Secure Computation", CCS 2017) and SoftSpokenOT: for
//! level `l` the full-tree holder offers the two level sums `K_l^0`, `K_l^1`
//! (XOR of all left children, of all right children), and the other party
//! asks for `K_l^{1 - alpha_l}`; XORing out the children it already knows
//! leaves exactly the sibling of its path.
//!
//! Layout: after level `l` the nodes are indexed by the low `l` bits of the
//! leaves below them; the children of node `q` at level `l` are `q` (bit `l`
//! clear) and `q + 2^l` (bit `l` set). So bit `l` of a leaf index is chosen at
//! level `l` (counting from 0), and the expansion works in place.
//!
//! PRG: AES-128 keyed by the node, on the counters 0 and 1 ([`super::prg`]),
//! the same primitive (and the same standard-model PRF assumption on AES) as
//! the column PRG of OT extension. A key schedule per node costs about as
//! much as a few encryptions, and trees are built once per setup (fewer than
//! `2 * 128 / k * 2^k` nodes in all), so a fixed-key construction, which
//! would need an ideal-permutation argument, would buy nothing that matters.
//!
//! The punctured expansion never branches on `alpha` and never indexes by
//! it: the node on the path is kept at zero, and every read and write that
//! depends on the path goes through masks over all nodes of the level.

use super::prg::Prg;
use crate::block::Block;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// The counters of the length-doubling PRG: left child, right child.
const CHILDREN: [Block; 2] = [Block(0), Block(1)];

/// Expands `node` into its two children.
fn expand(node: Block) -> [Block; 2] {
    let mut kids = [Block::ZERO; 2];
    Prg::new(node).fill(&CHILDREN, &mut kids);
    kids
}

/// All ones if `a == b`, in constant time.
fn eq_mask(a: usize, b: usize) -> Block {
    let eq = (a as u64).ct_eq(&(b as u64)).unwrap_u8();
    Block(0u128.wrapping_sub(u128::from(eq)))
}

/// The full tree of depth `k` from `root`: writes its `2^k` leaves to
/// `leaves` and, for each level `l`, the sums `[K_l^0, K_l^1]` of its left
/// and right children to `sums[l]`.
pub(super) fn full(root: Block, k: usize, leaves: &mut Vec<Block>, sums: &mut [[Block; 2]]) {
    assert_eq!(sums.len(), k, "one pair of sums per level");
    leaves.zeroize();
    leaves.clear();
    leaves.resize(1 << k, Block::ZERO);
    leaves[0] = root;
    for (l, sum) in sums.iter_mut().enumerate() {
        let half = 1 << l;
        let mut s = [Block::ZERO; 2];
        for q in 0..half {
            let mut kids = expand(leaves[q]);
            leaves[q] = kids[0];
            leaves[q + half] = kids[1];
            s[0] ^= kids[0];
            s[1] ^= kids[1];
            kids.zeroize();
        }
        *sum = s;
        s.zeroize();
    }
}

/// The tree punctured at `alpha` (`k` bits): from `siblings[l]`, the level sum
/// `K_l^{1 - alpha_l}`, writes all `2^k` leaves to `leaves`, equal to those of
/// [`full`] except the one at `alpha`, which is zero.
pub(super) fn punctured(alpha: usize, siblings: &[Block], k: usize, leaves: &mut Vec<Block>) {
    assert_eq!(siblings.len(), k, "one sibling sum per level");
    assert!(alpha < 1 << k, "the punctured point is a leaf");
    leaves.zeroize();
    leaves.clear();
    leaves.resize(1 << k, Block::ZERO);
    // Level 0: the root is the path node, unknown: zero.
    for (l, &sibling) in siblings.iter().enumerate() {
        let half = 1 << l;
        let path = alpha & (half - 1);
        let right = Block::mask((alpha >> l) & 1 == 1);
        let left = Block(!right.0);
        // Children of every known node; the path node's are wiped.
        let mut known = [Block::ZERO; 2];
        for q in 0..half {
            let keep = Block(!eq_mask(q, path).0);
            let mut kids = expand(leaves[q]);
            kids[0] = kids[0] & keep;
            kids[1] = kids[1] & keep;
            leaves[q] = kids[0];
            leaves[q + half] = kids[1];
            known[0] ^= kids[0];
            known[1] ^= kids[1];
            kids.zeroize();
        }
        // The path goes right (left): its sibling is the left (right) child
        // of the path node, the level's left (right) sum minus the others.
        let missing = sibling ^ (known[0] & right) ^ (known[1] & left);
        for q in 0..half {
            let here = eq_mask(q, path);
            leaves[q] ^= missing & here & right;
            leaves[q + half] ^= missing & here & left;
        }
        known.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctured_tree_has_every_leaf_but_one() {
        for k in 1..=8 {
            for _ in 0..4 {
                let root = Block::random();
                let mut leaves = Vec::new();
                let mut sums = vec![[Block::ZERO; 2]; k];
                full(root, k, &mut leaves, &mut sums);
                assert_eq!(leaves.len(), 1 << k);
                let alpha = (Block::random().0 as usize) & ((1 << k) - 1);
                let siblings: Vec<Block> =
                    (0..k).map(|l| sums[l][1 - ((alpha >> l) & 1)]).collect();
                let mut punct = Vec::new();
                punctured(alpha, &siblings, k, &mut punct);
                for x in 0..1 << k {
                    if x == alpha {
                        assert_eq!(punct[x], Block::ZERO, "k {k}: punctured leaf");
                        assert_ne!(leaves[x], Block::ZERO);
                    } else {
                        assert_eq!(punct[x], leaves[x], "k {k}, alpha {alpha}, leaf {x}");
                    }
                }
                // Distinct leaves (a PRG, not a constant).
                let mut sorted: Vec<u128> = leaves.iter().map(|b| b.0).collect();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), 1 << k);
            }
        }
    }

    #[test]
    fn a_wrong_sibling_changes_leaves() {
        let k = 4;
        let mut leaves = Vec::new();
        let mut sums = vec![[Block::ZERO; 2]; k];
        full(Block::random(), k, &mut leaves, &mut sums);
        let alpha = 0b1010;
        // Asking for the path's own sums (the other base-OT message) gives
        // nothing useful: the leaves differ.
        let wrong: Vec<Block> = (0..k).map(|l| sums[l][(alpha >> l) & 1]).collect();
        let mut punct = Vec::new();
        punctured(alpha, &wrong, k, &mut punct);
        assert!((0..1 << k).any(|x| x != alpha && punct[x] != leaves[x]));
    }
}
