//! The evaluator's side of authenticated garbling (WRK17 section 4; the
//! table layout is in [`super::garble`]).
//!
//! At AND gate `(a, b) -> g` the evaluator holds labels whose colour bits
//! are `Lambda_a`, `Lambda_b`, decrypts row `(Lambda_a, Lambda_b)` (4 TCCR
//! hashes) into `M` and `X`, and computes its share `r^B` of the row's `r`.
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
use super::layout::{expect_count, Layout};
use super::wire_masks::Masks;
use super::{AuthError, Check, Role};
use crate::block::Block;
use crate::hash::{Domain, Tccr};
use subtle::ConstantTimeEq;
use yao_ir::Gate;
use zeroize::Zeroizing;

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
    let delta = own.block();
    let mut label = Zeroizing::new(vec![Block::ZERO; layout.num_wires]);
    for (&w, &l) in layout
        .garbler_inputs
        .iter()
        .chain(&layout.evaluator_inputs)
        .zip(inputs)
    {
        label[w as usize] = l;
    }
    let tccr = Tccr::new();
    let mut input = Zeroizing::new([Block::ZERO; 4]);
    let mut pads = Zeroizing::new([Block::ZERO; 4]);
    let mut wrong = Block::ZERO;
    let mut k = 0;
    for gate in &layout.gates {
        let out = match *gate {
            Gate::Xor { a, b, .. } => label[a as usize] ^ label[b as usize],
            Gate::Not { a, .. } => label[a as usize],
            Gate::Const { .. } => Block::ZERO,
            Gate::And { a, b, out } => {
                let (la, lb) = (label[a as usize], label[b as usize]);
                let (alpha, beta) = (la.lsb(), lb.lsb());
                let rho = 2 * alpha as usize + beta as usize;
                *input = [la, la, lb, lb];
                let first = gate_tweak(first_and + k as u64) + 4 * rho as u64;
                record_tweaks(false, first, 4);
                tccr.hash_many_in(Domain::AuthGarbling, &input[..], &mut pads[..], first);
                let row = &tables[BLOCKS_PER_AND * k + 2 * rho..][..2];
                let mac_a = row[0] ^ pads[0] ^ pads[2];
                let x = row[1] ^ pads[1] ^ pads[3];
                let shares = GateShares {
                    ab: masks.and_ab[k],
                    a: masks.wire[a as usize],
                    b: masks.wire[b as usize],
                    g: masks.wire[out as usize],
                };
                let r = shares.row(Role::B, own, alpha, beta);
                let l = x ^ r.mac;
                let r_a = l.lsb() ^ r.bit;
                wrong = Block(wrong.0 | (mac_a ^ r.key ^ (delta & Block::mask(r_a))).0);
                k += 1;
                l
            }
        };
        label[gate.output() as usize] = out;
    }
    if bool::from(wrong.0.ct_eq(&0)) {
        Ok(label)
    } else {
        Err(AuthError::CheckFailed(Check::GarbledRow))
    }
}
