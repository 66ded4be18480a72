//! The garbler's side of authenticated garbling: WRK17 section 4's
//! authenticated garbled tables, with the evaluator reading masked values
//! from label colour bits.
//!
//! `A` garbles with free XOR under its global key `Delta_A` (colour bit 1):
//! input and AND-output wires get a random zero-label `L_{w,0}` with colour
//! bit 0, XOR outputs the XOR of their inputs', NOT outputs their input's
//! (the mask flips instead), constants the public zero block. So every
//! zero-label has colour 0 and `lsb(L_{w,v}) = v`: the evaluator's label of
//! a wire tells it the masked value `Lambda_w`.
//!
//! For AND gate `(a, b) -> g` and each row `(alpha, beta)`,
//! `r = lambda_ab ^ alpha*lambda_b ^ beta*lambda_a ^ alpha*beta ^ lambda_g`
//! is shared as `r^A ^ r^B` with MACs, computed locally by each party; at
//! the evaluator's row `(Lambda_a, Lambda_b)` it equals `Lambda_g`. Row
//! `(alpha, beta)` encrypts two blocks:
//!
//! ```text
//! M_A[r^A]                                  (A's MAC, under Delta_B)
//! L_{g,0} ^ r^A * Delta_A ^ K_A[r^B]        (K_A[r^B]: A's key for B's share)
//! ```
//!
//! The evaluator XORs its MAC `M_B[r^B] = K_A[r^B] ^ r^B * Delta_A` into the
//! second block and gets `L_{g, r} = L_{g, Lambda_g}`; its colour bit is
//! `Lambda_g`, hence `r^A = Lambda_g ^ r^B`, which the first block
//! authenticates ([`super::evaluate`]). WRK17 send `r^A` as an explicit bit;
//! here the colour bit carries it, so a row is two blocks (32 bytes) instead
//! of 257 bits. A garbler that wants the evaluator to read `!r^A` must
//! supply `M_A[r^A] ^ Delta_B`, that is, guess `Delta_B`; a change of the
//! label block that keeps its colour bit only yields a label that is
//! neither of the wire's two (SECURITY.md, "Authenticated garbling").
//!
//! # Row pads
//!
//! Block `j` of row `rho = 2*alpha + beta` of the `n`-th AND of the session
//! is padded with
//!
//! ```text
//! H(L_{a,alpha}, 16n + 4rho + j) ^ H(L_{b,beta}, 16n + 4rho + 2 + j)
//! ```
//!
//! where `H` is the fixed-key TCCR hash of Guo, Katz, Wang and Yu (S&P 2020,
//! [`crate::hash`]) in the tweak domain [`Domain::AuthGarbling`]. Every
//! (label, tweak) pair is hashed once under `Delta_A`: each row, block and
//! input has its own tweak, so no two pads share a term, and the XOR of the
//! four rows does not cancel (with one tweak for all rows it would: the four
//! pads XOR to zero and the four rows to a combination that holds
//! `Delta_A`). In every row but the evaluator's, at least one term hashes a
//! label `L ^ Delta_A` with `L` known to the evaluator, under a fresh tweak:
//! by TCCR it is pseudorandom even next to plaintexts that hold
//! `r^A * Delta_A` (the circular part), which is the hybrid step of the
//! half-gates proof (Zahur, Rosulek, Evans, EUROCRYPT 2015) applied per
//! row. The domain keeps these tweaks apart from the preprocessing's hashes
//! under the same `Delta_A`. The garbler hashes 16 blocks per AND, the
//! evaluator 4.

use super::auth_bit::{GlobalKey, Share};
use super::layout::Layout;
use super::wire_masks::Masks;
use super::{AuthError, Role};
use crate::block::Block;
use crate::hash::{Domain, Tccr};
use std::ops::Range;
use yao_ir::Gate;
use zeroize::Zeroizing;

/// AND numbers of one global key stay below this, so the largest tweak
/// `16n + 15` fits in 64 bits.
pub const MAX_AUTH_ANDS: u64 = 1 << 59;

/// ANDs hashed per call of the garbler (16 blocks each).
const BATCH: usize = 256;

/// Blocks per garbled AND gate: four rows of two.
pub const BLOCKS_PER_AND: usize = 8;

/// The first tweak of the `n`-th AND of a session.
#[inline(always)]
pub(crate) fn gate_tweak(n: u64) -> u64 {
    16 * n
}

/// Checks that ANDs `first..first + ands` have tweaks in range.
pub(crate) fn check_numbering(first: u64, ands: usize) -> Result<(), AuthError> {
    match first.checked_add(ands as u64) {
        Some(end) if end <= MAX_AUTH_ANDS => Ok(()),
        _ => Err(AuthError::TweaksExhausted),
    }
}

/// The AND numbering of one session (one global key `Delta_A`): every
/// execution takes the next numbers, so no two executions of the session
/// hash a row pad under the same tweak (`gate_tweak`, 16 per AND), as the leaky ANDs'
/// counter does for the preprocessing. Both parties count alike.
#[derive(Clone, Debug, Default)]
pub struct AndNumbering {
    next: u64,
}

impl AndNumbering {
    /// The numbering of a fresh session: its first AND is 0.
    pub fn new() -> AndNumbering {
        AndNumbering::default()
    }

    /// The first number of the next execution: the session's ANDs so far.
    pub fn next(&self) -> u64 {
        self.next
    }

    /// The numbers of the next execution's `ands` ANDs (its first is what
    /// [`super::online::Garbler::start`] takes), or
    /// [`AuthError::TweaksExhausted`] when the session has used them up.
    pub fn take(&mut self, ands: usize) -> Result<Range<u64>, AuthError> {
        check_numbering(self.next, ands)?;
        let first = self.next;
        self.next += ands as u64;
        Ok(first..self.next)
    }
}

/// The row-pad tweaks each side hashed, recorded in tests only, so that a
/// test can check that no tweak repeats across the executions of a session.
#[cfg(test)]
pub(crate) mod hashed {
    use std::cell::RefCell;
    use std::ops::Range;

    thread_local! {
        /// The garbler's hash calls, as tweak ranges.
        pub(crate) static GARBLER: RefCell<Vec<Range<u64>>> = const { RefCell::new(Vec::new()) };
        /// The evaluator's.
        pub(crate) static EVALUATOR: RefCell<Vec<Range<u64>>> = const { RefCell::new(Vec::new()) };
    }
}

/// Records a hash call over `n` blocks from tweak `first` (tests only).
#[inline(always)]
#[allow(unused_variables)]
pub(crate) fn record_tweaks(garbler: bool, first: u64, n: usize) {
    #[cfg(test)]
    {
        let list = if garbler {
            &hashed::GARBLER
        } else {
            &hashed::EVALUATOR
        };
        list.with(|l| l.borrow_mut().push(first..first + n as u64));
    }
}

/// One party's shares of an AND gate's masks: `lambda_a & lambda_b`,
/// `lambda_a`, `lambda_b` and the output's `lambda_g`.
#[derive(Clone, Copy)]
pub(crate) struct GateShares {
    pub(crate) ab: Share,
    pub(crate) a: Share,
    pub(crate) b: Share,
    pub(crate) g: Share,
}

impl GateShares {
    /// The share of row `(alpha, beta)`'s
    /// `r = lambda_ab ^ alpha*lambda_b ^ beta*lambda_a ^ alpha*beta ^ lambda_g`.
    #[inline(always)]
    pub(crate) fn row(&self, role: Role, own: &GlobalKey, alpha: bool, beta: bool) -> Share {
        self.ab
            .xor(self.b.and_public(alpha))
            .xor(self.a.and_public(beta))
            .xor(self.g)
            .xor_public(alpha & beta, role, own)
    }
}

/// A deviation of a cheating garbler, for the tests that check it is
/// caught. The honest garbler uses [`Deviation::default`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Deviation {
    /// Garble with this offset instead of the global key (labels and rows).
    pub delta: Option<Block>,
    /// Garble this AND (by index) as OR, by flipping `r^A` where OR and AND
    /// differ according to the garbler's own mask shares.
    pub or_gate: Option<usize>,
}

/// The garbler's labels and tables.
pub struct Garbling {
    /// `L_{w,0}` for every wire.
    pub zero: Zeroizing<Vec<Block>>,
    /// The garbled tables: [`BLOCKS_PER_AND`] blocks per AND, in gate order.
    pub tables: Vec<Block>,
    /// The free-XOR offset the labels use: `L_{w,1} = L_{w,0} ^ offset`
    /// (the global key, unless a test garbler deviates).
    pub offset: Zeroizing<Block>,
}

/// Garbles the circuit of `layout` with `A`'s masks; `first_and` numbers
/// its first AND within the session of `own` (both parties count alike).
pub fn garble(
    layout: &Layout,
    masks: &Masks,
    own: &GlobalKey,
    first_and: u64,
) -> Result<Garbling, AuthError> {
    garble_with(layout, masks, own, first_and, Deviation::default())
}

pub(crate) fn garble_with(
    layout: &Layout,
    masks: &Masks,
    own: &GlobalKey,
    first_and: u64,
    cheat: Deviation,
) -> Result<Garbling, AuthError> {
    check_numbering(first_and, layout.ands)?;
    let delta = cheat.delta.unwrap_or(own.block());
    let mut zero = Zeroizing::new(vec![Block::ZERO; layout.num_wires]);
    // All fresh zero-labels from one call of the OS generator (one
    // system call instead of one per label), colour bit cleared.
    let inputs = layout.garbler_inputs.len() + layout.evaluator_inputs.len();
    let mut random = Zeroizing::new(vec![Block::ZERO; inputs + layout.ands]);
    crate::block::fill_random(crate::block::blocks_as_bytes_mut(&mut random));
    let mut next = random.iter();
    let mut fresh = || Block(next.next().expect("one per input and AND").0 & !1);
    for &w in layout.garbler_inputs.iter().chain(&layout.evaluator_inputs) {
        zero[w as usize] = fresh();
    }
    for gate in &layout.gates {
        let label = match *gate {
            Gate::Xor { a, b, .. } => zero[a as usize] ^ zero[b as usize],
            Gate::Not { a, .. } => zero[a as usize],
            Gate::Const { .. } => Block::ZERO,
            Gate::And { .. } => fresh(),
        };
        zero[gate.output() as usize] = label;
    }
    let tccr = Tccr::new();
    let mut tables = vec![Block::ZERO; BLOCKS_PER_AND * layout.ands];
    let ands: Vec<(usize, usize, usize)> = layout
        .gates
        .iter()
        .filter_map(|g| match *g {
            Gate::And { a, b, out } => Some((a as usize, b as usize, out as usize)),
            _ => None,
        })
        .collect();
    // The tweaks of consecutive ANDs are consecutive (16 per AND), so a
    // batch of ANDs is one hash call over many blocks.
    let mut input = Zeroizing::new(vec![Block::ZERO; 16 * BATCH]);
    let mut pads = Zeroizing::new(vec![Block::ZERO; 16 * BATCH]);
    for (batch, chunk) in ands.chunks(BATCH).enumerate() {
        let k0 = batch * BATCH;
        for (i, &(a, b, _)) in chunk.iter().enumerate() {
            let la = [zero[a], zero[a] ^ delta];
            let lb = [zero[b], zero[b] ^ delta];
            for rho in 0..4 {
                let (alpha, beta) = (rho >> 1, rho & 1);
                input[16 * i + 4 * rho..][..4]
                    .copy_from_slice(&[la[alpha], la[alpha], lb[beta], lb[beta]]);
            }
        }
        let n = 16 * chunk.len();
        let first = gate_tweak(first_and + k0 as u64);
        record_tweaks(true, first, n);
        tccr.hash_many_in(Domain::AuthGarbling, &input[..n], &mut pads[..n], first);
        for (i, &(a, b, g)) in chunk.iter().enumerate() {
            let k = k0 + i;
            let pads = &pads[16 * i..][..16];
            let shares = GateShares {
                ab: masks.and_ab[k],
                a: masks.wire[a],
                b: masks.wire[b],
                g: masks.wire[g],
            };
            for rho in 0..4 {
                let (alpha, beta) = (rho & 2 != 0, rho & 1 != 0);
                let mut r = shares.row(Role::A, own, alpha, beta);
                if cheat.or_gate == Some(k) {
                    // OR = AND ^ a ^ b, as far as A's own shares tell.
                    r.bit ^= alpha ^ shares.a.bit ^ beta ^ shares.b.bit;
                }
                let row = &mut tables[BLOCKS_PER_AND * k + 2 * rho..][..2];
                row[0] = r.mac ^ pads[4 * rho] ^ pads[4 * rho + 2];
                row[1] = zero[g]
                    ^ (delta & Block::mask(r.bit))
                    ^ r.key
                    ^ pads[4 * rho + 1]
                    ^ pads[4 * rho + 3];
            }
        }
    }
    Ok(Garbling {
        zero,
        tables,
        offset: Zeroizing::new(delta),
    })
}
