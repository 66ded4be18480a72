//! Both parties of authenticated garbling in one process, preprocessing
//! included ([`super::in_process`]), every message through its wire
//! encoding: the reference run of the tests and benchmarks, gated like
//! [`crate::in_memory`]. [`Cheat`] makes one party deviate once.

use super::auth_bit::Share;
use super::garble::{AndNumbering, Deviation, BLOCKS_PER_AND};
use super::in_process::{Pair, Tamper};
use super::layout::Layout;
use super::online::{Evaluator, GarbledMsg, Garbler, InputMsg, MaskMsg, OutputMsg};
use super::triple::Triple;
use super::{AuthError, Role};
use crate::block::Block;
use yao_ir::Circuit;
use zeroize::Zeroizing;

/// One deviation from the online protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cheat {
    /// Both parties honest.
    None,
    /// `A` XORs `mask` into block `block` of row `row` of AND `gate`.
    FlipRow {
        /// Which AND (in gate order).
        gate: usize,
        /// Which row, `2 * alpha + beta`.
        row: usize,
        /// Which of the row's two blocks.
        block: usize,
        /// What is XORed in.
        mask: u128,
    },
    /// `A` corrupts block 0 of both rows of AND 0 with `beta = value`: a
    /// selective-failure attack on the AND's second input.
    CorruptRowsWithBeta {
        /// The `beta` of the corrupted rows.
        value: bool,
    },
    /// Not a possible attack, the control of the selective-failure test:
    /// `A` is told the mask `lambda` of the evaluator's first input (as an
    /// OT-based input step could leak it) and corrupts the rows of AND 0
    /// with `beta = !lambda`, so it aborts exactly when that input is 1.
    CorruptRowsWithMaskOracle,
    /// `A` garbles AND `gate` as OR, as far as its own shares allow.
    OrGate {
        /// Which AND.
        gate: usize,
    },
    /// `A` garbles with a free-XOR offset other than its global key.
    OtherDelta,
    /// `A` XORs `mask` into the label of evaluator input `index`.
    EvaluatorInputLabel {
        /// Which evaluator input bit.
        index: usize,
        /// What is XORed in.
        mask: u128,
    },
    /// `A` XORs `mask` into the label of garbler input `index`.
    GarblerInputLabel {
        /// Which garbler input bit.
        index: usize,
        /// What is XORed in.
        mask: u128,
    },
    /// `A` lies about its share of output mask `index`.
    OutputDecoding {
        /// Which output bit.
        index: usize,
    },
    /// `B` lies about its share of output mask `index`.
    EvaluatorOutputMask {
        /// Which output bit.
        index: usize,
    },
    /// `B` sends the other label of output `index`, guessed as its label
    /// XOR `mask`.
    EvaluatorOutputLabel {
        /// Which output bit.
        index: usize,
        /// Its guess at the garbler's offset.
        mask: u128,
    },
    /// `by` flips one bit of its opening of the derandomization `d`, `e`.
    WrongDerandomization {
        /// The cheater.
        by: Role,
    },
    /// `by` flips its share of the mask of the first input of the peer.
    WrongInputMask {
        /// The cheater.
        by: Role,
    },
    /// `by`'s triple `gate` has its share of `x`, `y` or `z` (`which` =
    /// 0, 1, 2) flipped, MAC unchanged.
    FlipTriple {
        /// Whose triple.
        by: Role,
        /// Which triple (its AND).
        gate: usize,
        /// Which bit of it.
        which: usize,
    },
}

/// Both parties' preprocessed shares and triples for one run.
pub struct Prepared {
    sa: Zeroizing<Vec<Share>>,
    sb: Zeroizing<Vec<Share>>,
    ta: Zeroizing<Vec<Triple>>,
    tb: Zeroizing<Vec<Triple>>,
}

/// Which party stopped the run, and why.
pub type Abort = (Role, AuthError);

/// Both parties, preprocessed together, running circuits one after the
/// other under one pair of global keys.
pub struct Session {
    /// The preprocessing.
    pub pair: Pair,
    /// The AND numbering of the session's runs (their hash tweaks).
    pub numbering: AndNumbering,
    /// Bytes of the online phase of the last run, both directions.
    pub online_bytes: usize,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// Fresh global keys and base OTs.
    pub fn new() -> Session {
        Session {
            pair: Pair::new(),
            numbering: AndNumbering::new(),
            online_bytes: 0,
        }
    }

    /// Runs `circuit` on the garbler's and evaluator's input bits (each
    /// party's groups concatenated in circuit order) with `cheat` applied:
    /// both parties' output bits, or who aborted and why.
    pub fn run(
        &mut self,
        circuit: &Circuit,
        garbler_inputs: &[bool],
        evaluator_inputs: &[bool],
        cheat: Cheat,
    ) -> Result<(Vec<bool>, Vec<bool>), Abort> {
        let prepared = self.prepare(circuit)?;
        self.online(circuit, prepared, garbler_inputs, evaluator_inputs, cheat)
    }

    /// The preprocessing of one run of `circuit`: both parties' shares and
    /// triples.
    pub fn prepare(&mut self, circuit: &Circuit) -> Result<Prepared, Abort> {
        let layout = Layout::new(circuit).map_err(|e| (Role::A, e))?;
        let (sa, sb) = self
            .pair
            .shares(layout.shares_needed())
            .map_err(|e| (Role::A, e))?;
        let (ta, tb) = self
            .pair
            .triples(layout.triples_needed(), Tamper::None)
            .map_err(|e| (Role::A, e))?;
        Ok(Prepared { sa, sb, ta, tb })
    }

    /// The online phase of one run on prepared shares and triples (see
    /// [`Session::run`]).
    pub fn online(
        &mut self,
        circuit: &Circuit,
        prepared: Prepared,
        garbler_inputs: &[bool],
        evaluator_inputs: &[bool],
        cheat: Cheat,
    ) -> Result<(Vec<bool>, Vec<bool>), Abort> {
        let a_err = |e| (Role::A, e);
        let b_err = |e| (Role::B, e);
        let layout = Layout::new(circuit).map_err(a_err)?;
        let Prepared {
            sa,
            sb,
            mut ta,
            mut tb,
        } = prepared;
        if let Cheat::FlipTriple { by, gate, which } = cheat {
            let t = if by == Role::A {
                &mut ta[gate]
            } else {
                &mut tb[gate]
            };
            let share = match which {
                0 => &mut t.x,
                1 => &mut t.y,
                _ => &mut t.z,
            };
            share.bit ^= true;
        }
        let oracle = layout
            .evaluator_inputs
            .first()
            .map(|_| sa[layout.garbler_inputs.len()].bit ^ sb[layout.garbler_inputs.len()].bit);
        let first = self.numbering.take(layout.ands).map_err(a_err)?.start;
        self.online_bytes = 0;
        let key_a = &self.pair.a.delta;
        let key_b = &self.pair.b.delta;
        // Step 1.
        let (garbler, mut m1) =
            Garbler::start(&layout, key_a, &sa, &ta, first, garbler_inputs).map_err(a_err)?;
        let evaluator =
            Evaluator::start(&layout, key_b, &sb, &tb, first, evaluator_inputs).map_err(b_err)?;
        tamper_masks(&mut m1, cheat, Role::A);
        let m1 = self.wire_mask(&m1, &layout, Role::A).map_err(b_err)?;
        // Step 2.
        let (waiting_b, mut m2, input) = evaluator.respond(&m1).map_err(b_err)?;
        tamper_masks(&mut m2, cheat, Role::B);
        let m2 = self.wire_mask(&m2, &layout, Role::B).map_err(a_err)?;
        let input = self.wire(&input.to_bytes(), |b| InputMsg::from_bytes(b, &layout));
        let input = input.map_err(a_err)?;
        // Step 3.
        let deviation = match cheat {
            Cheat::OrGate { gate } => Deviation {
                or_gate: Some(gate),
                ..Deviation::default()
            },
            Cheat::OtherDelta => Deviation {
                delta: Some(Block(Block::random().0 | 1)),
                ..Deviation::default()
            },
            _ => Deviation::default(),
        };
        let (waiting_a, mut m3) = garbler.garble_with(&m2, &input, deviation).map_err(a_err)?;
        match cheat {
            Cheat::FlipRow {
                gate,
                row,
                block,
                mask,
            } => m3.tables[BLOCKS_PER_AND * gate + 2 * row + block].0 ^= mask,
            Cheat::CorruptRowsWithBeta { value } => {
                for alpha in 0..2 {
                    m3.tables[2 * (2 * alpha + value as usize)].0 ^= 1 << 100;
                }
            }
            Cheat::CorruptRowsWithMaskOracle => {
                let beta = !oracle.expect("the evaluator has an input") as usize;
                for alpha in 0..2 {
                    m3.tables[2 * (2 * alpha + beta)].0 ^= 1 << 100;
                }
            }
            Cheat::EvaluatorInputLabel { index, mask } => m3.evaluator_labels[index].0 ^= mask,
            Cheat::GarblerInputLabel { index, mask } => m3.garbler_labels[index].0 ^= mask,
            Cheat::OutputDecoding { index } => m3.outputs.bits[index] ^= true,
            _ => {}
        }
        let m3 = self.wire(&m3.to_bytes(), |b| GarbledMsg::from_bytes(b, &layout));
        let m3 = m3.map_err(b_err)?;
        // Step 4.
        let (out_b, mut m4) = waiting_b.evaluate(&m3).map_err(b_err)?;
        match cheat {
            Cheat::EvaluatorOutputMask { index } => m4.masks.bits[index] ^= true,
            Cheat::EvaluatorOutputLabel { index, mask } => m4.labels[index].0 ^= mask,
            _ => {}
        }
        let m4 = self.wire(&m4.to_bytes(), |b| OutputMsg::from_bytes(b, &layout));
        let out_a = waiting_a.finish(&m4.map_err(a_err)?).map_err(a_err)?;
        Ok((out_a, out_b))
    }

    fn wire<T>(
        &mut self,
        bytes: &[u8],
        parse: impl FnOnce(&[u8]) -> Result<T, AuthError>,
    ) -> Result<T, AuthError> {
        self.online_bytes += bytes.len();
        parse(bytes)
    }

    fn wire_mask(
        &mut self,
        m: &MaskMsg,
        layout: &Layout,
        sender: Role,
    ) -> Result<MaskMsg, AuthError> {
        let bytes = m.to_bytes();
        assert_eq!(bytes.len(), MaskMsg::len(layout, sender));
        self.wire(&bytes, |b| MaskMsg::from_bytes(b, layout, sender))
    }
}

fn tamper_masks(m: &mut MaskMsg, cheat: Cheat, sender: Role) {
    match cheat {
        Cheat::WrongDerandomization { by } if by == sender && !m.derandomize.bits.is_empty() => {
            m.derandomize.bits[0] ^= true
        }
        Cheat::WrongInputMask { by } if by == sender && !m.inputs.bits.is_empty() => {
            m.inputs.bits[0] ^= true
        }
        _ => {}
    }
}
