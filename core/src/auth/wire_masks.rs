//! Wire masks of authenticated garbling: WRK17 section 4 (Wang, Ranellucci
//! and Katz, "Authenticated Garbling and Efficient Maliciously Secure
//! Two-Party Computation", CCS 2017), the function-dependent
//! preprocessing.
//!
//! Every wire `w` carries a shared authenticated mask `lambda_w` that
//! neither party knows; the evaluator sees only the masked value
//! `Lambda_w = v_w ^ lambda_w`. Input wires and AND outputs take a fresh
//! random shared bit; XOR outputs take the XOR of their inputs' masks, NOT
//! outputs the complement, constants their own value (so their masked
//! value is 0). All of that is local: masks are XOR-linear.
//!
//! Each AND gate `(a, b) -> g` also needs a sharing of `lambda_a & lambda_b`.
//! It takes one random triple `(x, y, z)` and derandomizes it onto the
//! masks (Beaver's trick): the parties open `d = lambda_a ^ x` and
//! `e = lambda_b ^ y` (MAC-checked, one batch for the whole circuit) and set
//! `lambda_ab = z ^ d*y ^ e*x ^ d*e`, since
//! `(d ^ x)(e ^ y) = d*e ^ d*y ^ e*x ^ x*y`. `d` and `e` are one-time pads
//! of the masks by the triple's random `x`, `y`, so they reveal nothing; a
//! party that opens a wrong `d` must forge a MAC ([`Check::Derandomization`]).

use super::auth_bit::{open, verify_opening, GlobalKey, Opening, Share};
use super::layout::{expect_count, Layout};
use super::triple::Triple;
use super::{AuthError, Check, Role};
use yao_ir::Gate;
use zeroize::Zeroizing;

/// One party's shares of every wire mask and of every AND's
/// `lambda_a & lambda_b`.
pub struct Masks {
    /// `lambda_w`, indexed by wire.
    pub wire: Zeroizing<Vec<Share>>,
    /// `lambda_a & lambda_b` of the `k`-th AND gate.
    pub and_ab: Zeroizing<Vec<Share>>,
}

/// The masks before the derandomization openings are exchanged.
pub struct PendingMasks {
    role: Role,
    wire: Zeroizing<Vec<Share>>,
    triples: Zeroizing<Vec<Triple>>,
    /// This party's shares of `d` and `e`, interleaved per AND.
    de: Zeroizing<Vec<Share>>,
}

/// Assigns masks from `shares` (as [`Layout::shares_needed`] orders them)
/// and starts derandomizing `triples` onto the AND gates: returns the
/// state and this party's opening of its shares of every `d`, `e`.
pub fn start(
    layout: &Layout,
    role: Role,
    own: &GlobalKey,
    shares: &[Share],
    triples: &[Triple],
) -> Result<(PendingMasks, Opening), AuthError> {
    expect_count(
        "shared authenticated bits",
        shares.len(),
        layout.shares_needed(),
    )?;
    expect_count(
        "authenticated triples",
        triples.len(),
        layout.triples_needed(),
    )?;
    let mut wire = Zeroizing::new(vec![Share::default(); layout.num_wires]);
    let mut fresh = shares.iter().copied();
    for &w in layout.garbler_inputs.iter().chain(&layout.evaluator_inputs) {
        wire[w as usize] = fresh.next().expect("counted");
    }
    let mut de = Zeroizing::new(Vec::with_capacity(2 * layout.ands));
    let mut k = 0;
    for gate in &layout.gates {
        let mask = match *gate {
            Gate::Xor { a, b, .. } => wire[a as usize].xor(wire[b as usize]),
            Gate::Not { a, .. } => wire[a as usize].xor_public(true, role, own),
            Gate::Const { value, .. } => Share::default().xor_public(value, role, own),
            Gate::And { a, b, .. } => {
                let t = &triples[k];
                de.push(wire[a as usize].xor(t.x));
                de.push(wire[b as usize].xor(t.y));
                k += 1;
                fresh.next().expect("counted")
            }
        };
        wire[gate.output() as usize] = mask;
    }
    let opening = open(&de);
    Ok((
        PendingMasks {
            role,
            wire,
            triples: Zeroizing::new(triples.to_vec()),
            de,
        },
        opening,
    ))
}

impl PendingMasks {
    /// This party's shares of every wire mask (final already: only the AND
    /// masks' `lambda_a & lambda_b` wait for the openings).
    pub fn wire(&self) -> &[Share] {
        &self.wire
    }

    /// Checks the peer's opening of its `d`, `e` shares and finishes the
    /// AND masks.
    pub fn finish(self, own: &GlobalKey, peer: &Opening) -> Result<Masks, AuthError> {
        let de =
            verify_opening(&self.de, own, peer).map_err(|e| e.naming(Check::Derandomization))?;
        let and_ab = self
            .triples
            .iter()
            .zip(de.chunks_exact(2))
            .map(|(t, de)| {
                let (d, e) = (de[0], de[1]);
                t.z.xor(t.y.and_public(d))
                    .xor(t.x.and_public(e))
                    .xor_public(d & e, self.role, own)
            })
            .collect();
        Ok(Masks {
            wire: self.wire,
            and_ab: Zeroizing::new(and_ab),
        })
    }
}
