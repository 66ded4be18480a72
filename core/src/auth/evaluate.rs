//! The evaluator's side of authenticated garbling (WRK17 section 4; the
//! table layout is in [`super::garble`]).
//!
//! At AND gate `(a, b) -> g` the evaluator holds labels whose colour bits
//! are `Lambda_a`, `Lambda_b`, decrypts row `(Lambda_a, Lambda_b)` (4 TCCR
//! hashes) into `M` and `X`, and computes its share `r^B` of the row's `r`.
//! The ANDs of one AND depth ([`Layout::by_and_depth`]) are independent,
//! so up to [`BATCH`] of them are hashed together: `pi(L_a)` and `pi(L_b)`
//! once each, then the four pads `pi(pi(L) ^ t) ^ pi(L)` of the TCCR hash
//! (GKWY20, [`crate::hash`]), 6 AES calls per AND in two wide calls
//! instead of 8 in one 4-block call per AND.
//! Then:
//!
//! - `L_g = X ^ M_B[r^B]` is the wire's label, `Lambda_g = lsb(L_g)`;
//! - `r^A = Lambda_g ^ r^B` is the garbler's share, and `M` must be its MAC:
//!   `M == K_B[r^A] ^ r^A * Delta_B`.
//!
//! The differences of every gate are ORed into one accumulator, compared
//! with zero once at the end: no branch on secret data per gate, and no
//! output before the check ([`Check::GarbledRow`]).

use super::auth_bit::GlobalKey;
use super::garble::{check_numbering, gate_tweak, record_tweaks, GateShares, BLOCKS_PER_AND};
use super::layout::{expect_count, Layout, Step};
use super::wire_masks::Masks;
use super::{AuthError, Check, Role};
use crate::block::Block;
use crate::hash::{domain_tweak_block, Domain, Tccr};
use subtle::ConstantTimeEq;
use yao_ir::Gate;
use zeroize::Zeroizing;

/// ANDs hashed per batch.
const BATCH: usize = 256;

/// Evaluates the garbled circuit: `inputs` holds one label per input wire
/// (the garbler's inputs first, as [`Layout`] orders them), `tables` the
/// garbler's tables. Returns the label of every wire, once every row's MAC
/// has been checked.
pub fn evaluate(
    layout: &Layout,
    masks: &Masks,
    own: &GlobalKey,
    first_and: u64,
    inputs: &[Block],
    tables: &[Block],
) -> Result<Zeroizing<Vec<Block>>, AuthError> {
    check_numbering(first_and, layout.ands)?;
    expect_count(
        "input labels",
        inputs.len(),
        layout.garbler_inputs.len() + layout.evaluator_inputs.len(),
    )?;
    expect_count(
        "garbled table blocks",
        tables.len(),
        BLOCKS_PER_AND * layout.ands,
    )?;
    let mut label = Zeroizing::new(vec![Block::ZERO; layout.num_wires]);
    for (&w, &l) in layout
        .garbler_inputs
        .iter()
        .chain(&layout.evaluator_inputs)
        .zip(inputs)
    {
        label[w as usize] = l;
    }
    let mut ands = Ands {
        layout,
        masks,
        own,
        first_and,
        tables,
        tccr: Tccr::new(),
        pi: Zeroizing::new(vec![Block::ZERO; 2 * BATCH]),
        pads: Zeroizing::new(vec![Block::ZERO; 4 * BATCH]),
        wrong: Block::ZERO,
    };
    let order = layout.by_and_depth();
    let mut at = 0;
    while at < order.len() {
        let is_and = |s: &Step| matches!(layout.gates[s.gate as usize], Gate::And { .. });
        if is_and(&order[at]) {
            let depth = order[at].depth;
            let run = order[at..]
                .iter()
                .take(BATCH)
                .take_while(|s| is_and(s) && s.depth == depth)
                .count();
            ands.batch(&order[at..at + run], &mut label);
            at += run;
            continue;
        }
        let gate = &layout.gates[order[at].gate as usize];
        label[gate.output() as usize] = match *gate {
            Gate::Xor { a, b, .. } => label[a as usize] ^ label[b as usize],
            Gate::Not { a, .. } => label[a as usize],
            _ => Block::ZERO,
        };
        at += 1;
    }
    if bool::from(ands.wrong.0.ct_eq(&0)) {
        Ok(label)
    } else {
        Err(AuthError::CheckFailed(Check::GarbledRow))
    }
}

/// The evaluation of the AND gates, batch by batch, with the differences
/// of every row MAC check ORed into `wrong`.
struct Ands<'a> {
    layout: &'a Layout,
    masks: &'a Masks,
    own: &'a GlobalKey,
    first_and: u64,
    tables: &'a [Block],
    tccr: Tccr,
    /// `pi(L_a)`, `pi(L_b)` of each AND of the batch.
    pi: Zeroizing<Vec<Block>>,
    /// The four pads of each AND's row.
    pads: Zeroizing<Vec<Block>>,
    wrong: Block,
}

impl Ands<'_> {
    /// Evaluates `batch`, ANDs that read no wire another of them writes.
    fn batch(&mut self, batch: &[Step], label: &mut [Block]) {
        let inputs = |s: &Step| match self.layout.gates[s.gate as usize] {
            Gate::And { a, b, out } => (a as usize, b as usize, out as usize),
            _ => unreachable!("a batch holds ANDs only"),
        };
        let n = batch.len();
        for (i, s) in batch.iter().enumerate() {
            let (a, b, _) = inputs(s);
            self.pi[2 * i] = label[a];
            self.pi[2 * i + 1] = label[b];
        }
        self.tccr.permute_in_place(&mut self.pi[..2 * n]);
        for (i, s) in batch.iter().enumerate() {
            let (a, b, _) = inputs(s);
            let rho = 2 * label[a].lsb() as u64 + label[b].lsb() as u64;
            let first = gate_tweak(self.first_and + u64::from(s.and)) + 4 * rho;
            record_tweaks(false, first, 4);
            for j in 0..4 {
                let t = domain_tweak_block(Domain::AuthGarbling, first + j as u64);
                self.pads[4 * i + j] = Block(self.pi[2 * i + j / 2].0 ^ t);
            }
        }
        self.tccr.permute_in_place(&mut self.pads[..4 * n]);
        let delta = self.own.block();
        for (i, s) in batch.iter().enumerate() {
            let (a, b, out) = inputs(s);
            let k = s.and as usize;
            let pad = |j: usize| self.pads[4 * i + j] ^ self.pi[2 * i + j / 2];
            let (la, lb) = (label[a], label[b]);
            let (alpha, beta) = (la.lsb(), lb.lsb());
            let rho = 2 * alpha as usize + beta as usize;
            let row = &self.tables[BLOCKS_PER_AND * k + 2 * rho..][..2];
            let mac_a = row[0] ^ pad(0) ^ pad(2);
            let x = row[1] ^ pad(1) ^ pad(3);
            let shares = GateShares {
                ab: self.masks.and_ab[k],
                a: self.masks.wire[a],
                b: self.masks.wire[b],
                g: self.masks.wire[out],
            };
            let r = shares.row(Role::B, self.own, alpha, beta);
            let l = x ^ r.mac;
            let r_a = l.lsb() ^ r.bit;
            self.wrong = Block(self.wrong.0 | (mac_a ^ r.key ^ (delta & Block::mask(r_a))).0);
            label[out] = l;
        }
    }
}
