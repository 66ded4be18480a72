//! The online protocol of authenticated garbling (WRK17 section 4) as two
//! I/O-free state machines and the four messages between them.
//!
//! With shares and triples from the preprocessing, for one circuit:
//!
//! 1. `A` -> `B`, [`MaskMsg`]: `A`'s opening of its `d`, `e` shares
//!    ([`super::wire_masks`]) and of its shares `lambda^A_w` of `B`'s input
//!    masks.
//! 2. `B` -> `A`, [`MaskMsg`] and [`InputMsg`]: the same from `B` (its
//!    shares of `A`'s input masks), and `Lambda_w = v_w ^ lambda_w` for its
//!    inputs, uniform to `A`. No OT: `A` never learns which label `B` takes
//!    in a way tied to `v`, so no abort can depend on `B`'s input.
//! 3. `A` -> `B`, [`GarbledMsg`]: the labels `L_{w, Lambda_w}` of both
//!    parties' inputs, the tables ([`super::garble`]) and `A`'s opening of
//!    its output-mask shares.
//! 4. `B` evaluates and checks every row ([`super::evaluate`]) and the
//!    output opening, and only then learns its outputs
//!    `Lambda_w ^ lambda_w`; `B` -> `A`, [`OutputMsg`]: its output labels
//!    and its opening of its output-mask shares. `A` checks each label is
//!    one of the wire's two (so `B` cannot change `Lambda_w`, it would need
//!    `Delta_A`) and the opening, and outputs `Lambda_w ^ lambda_w`.
//!
//! Both parties learn every output, as in semi-honest Yao (DESIGN.md).
//! Every message has one exact length, a function of [`Layout`] alone:
//! a peer's message is measured before anything is parsed or allocated.

use super::auth_bit::{open, verify_opening, GlobalKey, Opening, Share};
use super::evaluate::evaluate;
use super::garble::{garble_with, Deviation, BLOCKS_PER_AND};
use super::layout::{expect_count, Layout};
use super::triple::Triple;
use super::wire_masks::{self, Masks, PendingMasks};
use super::{expect_len, pack, unpack, AuthError, Check, Role};
use crate::block::{blocks_as_bytes, Block};
use subtle::ConstantTimeEq;
use yao_ir::Wire;
use zeroize::Zeroizing;

fn opening_len(n: usize) -> usize {
    n.div_ceil(8) + 32
}

fn blocks(what: &'static str, bytes: &[u8], n: usize) -> Result<Vec<Block>, AuthError> {
    expect_len(what, bytes, 16 * n)?;
    Ok(bytes
        .chunks_exact(16)
        .map(|c| Block::from_bytes(c.try_into().expect("16 bytes")))
        .collect())
}

/// Splits `bytes` into pieces of the given lengths, which must add up.
fn split<'a, const N: usize>(
    what: &'static str,
    bytes: &'a [u8],
    lens: [usize; N],
) -> Result<[&'a [u8]; N], AuthError> {
    expect_len(what, bytes, lens.iter().sum())?;
    let mut at = 0;
    Ok(lens.map(|n| {
        let piece = &bytes[at..at + n];
        at += n;
        piece
    }))
}

/// Step 1 and 2: a party's opening of its derandomization shares and of
/// its shares of the peer's input masks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskMsg {
    /// The `d`, `e` shares, two per AND.
    pub derandomize: Opening,
    /// The shares of the peer's input-wire masks.
    pub inputs: Opening,
}

impl MaskMsg {
    /// Its length when `sender` sends it for `layout`.
    pub fn len(layout: &Layout, sender: Role) -> usize {
        opening_len(2 * layout.ands) + opening_len(peer_inputs(layout, sender).len())
    }

    /// The message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.derandomize.to_bytes();
        out.extend_from_slice(&self.inputs.to_bytes());
        out
    }

    /// Parses the message `sender` sent for `layout`.
    pub fn from_bytes(bytes: &[u8], layout: &Layout, sender: Role) -> Result<MaskMsg, AuthError> {
        let (de, inputs) = (2 * layout.ands, peer_inputs(layout, sender).len());
        let [a, b] = split(
            "authenticated-garbling mask message",
            bytes,
            [opening_len(de), opening_len(inputs)],
        )?;
        Ok(MaskMsg {
            derandomize: Opening::from_bytes(a, de)?,
            inputs: Opening::from_bytes(b, inputs)?,
        })
    }
}

/// The input wires of the peer of `sender`.
fn peer_inputs(layout: &Layout, sender: Role) -> &[Wire] {
    match sender {
        Role::A => &layout.evaluator_inputs,
        Role::B => &layout.garbler_inputs,
    }
}

/// Step 2: the evaluator's masked inputs `Lambda_w`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputMsg(pub Vec<bool>);

impl InputMsg {
    /// Its length for `layout`.
    pub fn len(layout: &Layout) -> usize {
        layout.evaluator_inputs.len().div_ceil(8)
    }

    /// The message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        pack(&self.0)
    }

    /// Parses the message for `layout`.
    pub fn from_bytes(bytes: &[u8], layout: &Layout) -> Result<InputMsg, AuthError> {
        Ok(InputMsg(unpack(
            "masked evaluator inputs",
            bytes,
            layout.evaluator_inputs.len(),
        )?))
    }
}

/// Step 3: input labels, garbled tables and the garbler's output-mask
/// opening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GarbledMsg {
    /// `L_{w, Lambda_w}` of the garbler's input wires.
    pub garbler_labels: Vec<Block>,
    /// `L_{w, Lambda_w}` of the evaluator's input wires.
    pub evaluator_labels: Vec<Block>,
    /// [`BLOCKS_PER_AND`] blocks per AND.
    pub tables: Vec<Block>,
    /// The garbler's shares of the output masks.
    pub outputs: Opening,
}

impl GarbledMsg {
    fn lens(layout: &Layout) -> [usize; 4] {
        [
            16 * layout.garbler_inputs.len(),
            16 * layout.evaluator_inputs.len(),
            16 * BLOCKS_PER_AND * layout.ands,
            opening_len(layout.outputs.len()),
        ]
    }

    /// Its length for `layout`.
    pub fn len(layout: &Layout) -> usize {
        GarbledMsg::lens(layout).iter().sum()
    }

    /// The message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = blocks_as_bytes(&self.garbler_labels).to_vec();
        out.extend_from_slice(blocks_as_bytes(&self.evaluator_labels));
        out.extend_from_slice(blocks_as_bytes(&self.tables));
        out.extend_from_slice(&self.outputs.to_bytes());
        out
    }

    /// Parses the message for `layout`.
    pub fn from_bytes(bytes: &[u8], layout: &Layout) -> Result<GarbledMsg, AuthError> {
        let [a, b, t, o] = split("garbled circuit message", bytes, GarbledMsg::lens(layout))?;
        Ok(GarbledMsg {
            garbler_labels: blocks("garbler input labels", a, layout.garbler_inputs.len())?,
            evaluator_labels: blocks("evaluator input labels", b, layout.evaluator_inputs.len())?,
            tables: blocks("garbled tables", t, BLOCKS_PER_AND * layout.ands)?,
            outputs: Opening::from_bytes(o, layout.outputs.len())?,
        })
    }
}

/// Step 4: the evaluator's output labels and output-mask opening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputMsg {
    /// `L_{w, Lambda_w}` of every output wire.
    pub labels: Vec<Block>,
    /// The evaluator's shares of the output masks.
    pub masks: Opening,
}

impl OutputMsg {
    fn lens(layout: &Layout) -> [usize; 2] {
        [16 * layout.outputs.len(), opening_len(layout.outputs.len())]
    }

    /// Its length for `layout`.
    pub fn len(layout: &Layout) -> usize {
        OutputMsg::lens(layout).iter().sum()
    }

    /// The message as sent.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = blocks_as_bytes(&self.labels).to_vec();
        out.extend_from_slice(&self.masks.to_bytes());
        out
    }

    /// Parses the message for `layout`.
    pub fn from_bytes(bytes: &[u8], layout: &Layout) -> Result<OutputMsg, AuthError> {
        let [l, m] = split("output message", bytes, OutputMsg::lens(layout))?;
        Ok(OutputMsg {
            labels: blocks("output labels", l, layout.outputs.len())?,
            masks: Opening::from_bytes(m, layout.outputs.len())?,
        })
    }
}

fn shares_of(wire: &[Share], wires: &[Wire]) -> Zeroizing<Vec<Share>> {
    Zeroizing::new(wires.iter().map(|&w| wire[w as usize]).collect())
}

/// The garbler `A` before step 2, for one execution of the circuit of a
/// [`Layout`] built once per session.
pub struct Garbler<'l> {
    layout: &'l Layout,
    key: GlobalKey,
    first_and: u64,
    inputs: Zeroizing<Vec<bool>>,
    pending: PendingMasks,
}

/// The garbler after step 3, waiting for the evaluator's outputs.
pub struct GarblerWaiting<'l> {
    layout: &'l Layout,
    key: GlobalKey,
    zero: Zeroizing<Vec<Block>>,
    offset: Zeroizing<Block>,
    outputs: Zeroizing<Vec<Share>>,
}

impl<'l> Garbler<'l> {
    /// Starts a run of the circuit of `layout` with this party's global
    /// key, its [`Layout::shares_needed`] shares and
    /// [`Layout::triples_needed`] triples, the first number the session's
    /// [`AndNumbering`](super::garble::AndNumbering) gave this execution,
    /// and its input bits (its groups in circuit order, bit 0 first).
    /// Returns step 1.
    pub fn start(
        layout: &'l Layout,
        key: &GlobalKey,
        shares: &[Share],
        triples: &[Triple],
        first_and: u64,
        inputs: &[bool],
    ) -> Result<(Garbler<'l>, MaskMsg), AuthError> {
        expect_count(
            "garbler input bits",
            inputs.len(),
            layout.garbler_inputs.len(),
        )?;
        let (pending, derandomize) = wire_masks::start(layout, Role::A, key, shares, triples)?;
        let msg = MaskMsg {
            derandomize,
            inputs: open(&shares_of(pending.wire(), &layout.evaluator_inputs)),
        };
        Ok((
            Garbler {
                layout,
                key: key.clone(),
                first_and,
                inputs: Zeroizing::new(inputs.to_vec()),
                pending,
            },
            msg,
        ))
    }

    /// The circuit's layout (message lengths).
    pub fn layout(&self) -> &'l Layout {
        self.layout
    }

    /// Checks step 2 and garbles: returns step 3.
    pub fn garble(
        self,
        peer: &MaskMsg,
        masked: &InputMsg,
    ) -> Result<(GarblerWaiting<'l>, GarbledMsg), AuthError> {
        self.garble_with(peer, masked, Deviation::default())
    }

    pub(crate) fn garble_with(
        self,
        peer: &MaskMsg,
        masked: &InputMsg,
        cheat: Deviation,
    ) -> Result<(GarblerWaiting<'l>, GarbledMsg), AuthError> {
        let layout = self.layout;
        expect_count(
            "masked evaluator inputs",
            masked.0.len(),
            layout.evaluator_inputs.len(),
        )?;
        let masks: Masks = self.pending.finish(&self.key, &peer.derandomize)?;
        let lambda = verify_opening(
            &shares_of(&masks.wire, &layout.garbler_inputs),
            &self.key,
            &peer.inputs,
        )
        .map_err(|e| e.naming(Check::InputMask))?;
        let g = garble_with(layout, &masks, &self.key, self.first_and, cheat)?;
        let offset = *g.offset;
        let label = |w: Wire, v: bool| g.zero[w as usize] ^ (offset & Block::mask(v));
        let garbler_labels = layout
            .garbler_inputs
            .iter()
            .zip(self.inputs.iter().zip(lambda.iter()))
            .map(|(&w, (&v, &l))| label(w, v ^ l))
            .collect();
        let evaluator_labels = layout
            .evaluator_inputs
            .iter()
            .zip(&masked.0)
            .map(|(&w, &m)| label(w, m))
            .collect();
        let outputs = shares_of(&masks.wire, &layout.outputs);
        let msg = GarbledMsg {
            garbler_labels,
            evaluator_labels,
            tables: g.tables,
            outputs: open(&outputs),
        };
        Ok((
            GarblerWaiting {
                layout,
                key: self.key,
                zero: g.zero,
                offset: g.offset,
                outputs,
            },
            msg,
        ))
    }
}

impl GarblerWaiting<'_> {
    /// Checks step 4 and returns the output bits (every output group's
    /// wires, concatenated; [`Layout::split_outputs`] regroups them).
    pub fn finish(self, msg: &OutputMsg) -> Result<Vec<bool>, AuthError> {
        expect_count("output labels", msg.labels.len(), self.layout.outputs.len())?;
        let lambda = verify_opening(&self.outputs, &self.key, &msg.masks)
            .map_err(|e| e.naming(Check::OutputMask))?;
        let mut bad = subtle::Choice::from(0);
        let mut masked = Vec::with_capacity(lambda.len());
        for (&w, &l) in self.layout.outputs.iter().zip(&msg.labels) {
            let zero = self.zero[w as usize];
            let is0 = l.0.ct_eq(&zero.0);
            let is1 = l.0.ct_eq(&(zero ^ *self.offset).0);
            bad |= !(is0 | is1);
            masked.push(bool::from(is1));
        }
        if bool::from(bad) {
            return Err(AuthError::CheckFailed(Check::OutputLabel));
        }
        Ok(masked.iter().zip(&lambda).map(|(&m, &l)| m ^ l).collect())
    }
}

/// The evaluator `B` before step 1, for one execution (see [`Garbler`]).
pub struct Evaluator<'l> {
    layout: &'l Layout,
    key: GlobalKey,
    first_and: u64,
    inputs: Zeroizing<Vec<bool>>,
    pending: PendingMasks,
    derandomize: Opening,
}

/// The evaluator after step 2, waiting for the garbled circuit.
pub struct EvaluatorWaiting<'l> {
    layout: &'l Layout,
    key: GlobalKey,
    first_and: u64,
    masks: Masks,
    masked: Zeroizing<Vec<bool>>,
}

impl<'l> Evaluator<'l> {
    /// Starts a run, as [`Garbler::start`] does for the garbler.
    pub fn start(
        layout: &'l Layout,
        key: &GlobalKey,
        shares: &[Share],
        triples: &[Triple],
        first_and: u64,
        inputs: &[bool],
    ) -> Result<Evaluator<'l>, AuthError> {
        expect_count(
            "evaluator input bits",
            inputs.len(),
            layout.evaluator_inputs.len(),
        )?;
        let (pending, derandomize) = wire_masks::start(layout, Role::B, key, shares, triples)?;
        Ok(Evaluator {
            layout,
            key: key.clone(),
            first_and,
            inputs: Zeroizing::new(inputs.to_vec()),
            pending,
            derandomize,
        })
    }

    /// The circuit's layout (message lengths).
    pub fn layout(&self) -> &'l Layout {
        self.layout
    }

    /// Checks step 1 and answers with step 2.
    pub fn respond(
        self,
        peer: &MaskMsg,
    ) -> Result<(EvaluatorWaiting<'l>, MaskMsg, InputMsg), AuthError> {
        let layout = self.layout;
        let theirs = shares_of(self.pending.wire(), &layout.garbler_inputs);
        let masks = self.pending.finish(&self.key, &peer.derandomize)?;
        let lambda = verify_opening(
            &shares_of(&masks.wire, &layout.evaluator_inputs),
            &self.key,
            &peer.inputs,
        )
        .map_err(|e| e.naming(Check::InputMask))?;
        let masked = Zeroizing::new(
            self.inputs
                .iter()
                .zip(&lambda)
                .map(|(&v, &l)| v ^ l)
                .collect::<Vec<bool>>(),
        );
        let reply = MaskMsg {
            derandomize: self.derandomize,
            inputs: open(&theirs),
        };
        let input = InputMsg(masked.to_vec());
        Ok((
            EvaluatorWaiting {
                layout,
                key: self.key,
                first_and: self.first_and,
                masks,
                masked,
            },
            reply,
            input,
        ))
    }
}

impl EvaluatorWaiting<'_> {
    /// Checks and evaluates step 3; returns the output bits (as
    /// [`GarblerWaiting::finish`] orders them) and step 4. Nothing is
    /// returned unless every check passed.
    pub fn evaluate(self, msg: &GarbledMsg) -> Result<(Vec<bool>, OutputMsg), AuthError> {
        let layout = self.layout;
        expect_count(
            "evaluator input labels",
            msg.evaluator_labels.len(),
            self.masked.len(),
        )?;
        let colours_differ = msg
            .evaluator_labels
            .iter()
            .zip(self.masked.iter())
            .fold(0u8, |acc, (l, &m)| acc | (l.lsb() ^ m) as u8);
        if colours_differ != 0 {
            return Err(AuthError::CheckFailed(Check::InputLabel));
        }
        let mut inputs = Zeroizing::new(msg.garbler_labels.clone());
        inputs.extend_from_slice(&msg.evaluator_labels);
        let labels = evaluate(
            layout,
            &self.masks,
            &self.key,
            self.first_and,
            &inputs,
            &msg.tables,
        )?;
        let shares = shares_of(&self.masks.wire, &layout.outputs);
        let lambda = verify_opening(&shares, &self.key, &msg.outputs)
            .map_err(|e| e.naming(Check::OutputMask))?;
        let out_labels: Vec<Block> = layout.outputs.iter().map(|&w| labels[w as usize]).collect();
        let values = out_labels
            .iter()
            .zip(&lambda)
            .map(|(l, &m)| l.lsb() ^ m)
            .collect();
        let reply = OutputMsg {
            labels: out_labels,
            masks: open(&shares),
        };
        Ok((values, reply))
    }
}
