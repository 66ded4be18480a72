//! A model of the garbler's labels under free-XOR, to check what the plans
//! make the AND gates read: every label a random 128-bit value, `Delta`
//! random with its low bit set, a free gate the XOR of its inputs, an AND's
//! output a fresh random label. With random labels, an AND input whose
//! label is `0` or `Delta` is a public constant (its label is the same in
//! every execution), and two AND inputs whose labels are equal or differ by
//! `Delta` are one label read twice, whatever gates the plan took to get
//! there (a sum of stored labels that cancels included).
#![allow(dead_code)]

use yao_core::plan::{Plan, NO_SLOT, ZERO_SLOT};

/// The planner's own invariant, by slot: no AND reads [`ZERO_SLOT`] (a
/// public constant) or one slot twice; and the rest of `Plan::verify`.
pub fn check_slots(plan: &Plan) -> Result<(), String> {
    plan.verify()?;
    for i in 0..plan.num_steps() {
        for g in plan.step(i).unwrap().ands {
            if g.a == ZERO_SLOT || g.b == ZERO_SLOT || g.a == g.b {
                return Err(format!("step {i}: an AND reads slots {} and {}", g.a, g.b));
            }
        }
    }
    Ok(())
}

/// Random labels from a fixed seed (splitmix64).
pub struct Labels {
    state: u64,
    pub delta: u128,
}

impl Labels {
    pub fn new(seed: u64) -> Labels {
        let mut l = Labels {
            state: seed,
            delta: 0,
        };
        l.delta = l.fresh() | 1;
        l
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A fresh random label.
    pub fn fresh(&mut self) -> u128 {
        (self.next() as u128) << 64 | self.next() as u128
    }

    /// Fresh zero-labels for every input group of `plan`.
    pub fn inputs(&mut self, plan: &Plan) -> Vec<Vec<u128>> {
        plan.inputs()
            .iter()
            .map(|i| i.slots.iter().map(|_| self.fresh()).collect())
            .collect()
    }

    /// Whether `x` is a public constant's label (`0` or `Delta`).
    fn public(&self, x: u128) -> bool {
        x == 0 || x == self.delta
    }

    /// Runs `plan` on the input zero-labels `inputs` (by group) and returns
    /// the output zero-labels (flips applied), or a description of the
    /// first AND that reads a public constant or one label twice (by slot,
    /// see [`check_slots`], then by label).
    pub fn run(&mut self, plan: &Plan, inputs: &[Vec<u128>]) -> Result<Vec<Vec<u128>>, String> {
        check_slots(plan)?;
        let mut l = vec![0u128; plan.num_slots()];
        for (g, ls) in plan.inputs().iter().zip(inputs) {
            for (&s, &x) in g.slots.iter().zip(ls) {
                if s != NO_SLOT {
                    l[s as usize] = x;
                }
            }
        }
        let free = |l: &mut Vec<u128>, gates: Vec<(u32, Vec<u32>)>| {
            for (out, ins) in gates {
                l[out as usize] = ins.iter().fold(0, |acc, &s| acc ^ l[s as usize]);
            }
        };
        free(&mut l, plan.prelude().gates());
        let mut n_and = 0u64;
        for i in 0..plan.num_steps() {
            let step = plan.step(i).unwrap();
            for g in step.ands {
                let (a, b) = (l[g.a as usize], l[g.b as usize]);
                if self.public(a) || self.public(b) {
                    return Err(format!("AND {n_and} (step {i}) reads a public constant"));
                }
                if self.public(a ^ b) {
                    return Err(format!("AND {n_and} (step {i}) reads one label twice"));
                }
                n_and += 1;
            }
            for g in step.ands {
                l[g.out as usize] = self.fresh();
            }
            free(&mut l, step.frees.gates());
        }
        Ok(plan
            .outputs()
            .iter()
            .map(|o| {
                o.slots
                    .iter()
                    .zip(&o.flips)
                    .map(|(&s, &f)| l[s as usize] ^ if f { self.delta } else { 0 })
                    .collect()
            })
            .collect())
    }
}

use yao_compiler::bristol_windowed::WindowedBristol;
use yao_core::window::{for_each_window, WindowPlanner, WindowRunError};

/// Why [`Labels::run_streamed`] stopped.
#[derive(Debug)]
pub enum StreamFail {
    /// Planning failed, or the gate source (as `WindowRunError::Source`).
    Run(WindowRunError),
    /// A window's AND read a public constant or one label twice.
    Label(String),
}

impl From<WindowRunError> for StreamFail {
    fn from(e: WindowRunError) -> Self {
        StreamFail::Run(e)
    }
}

impl Labels {
    /// Plans `s` window by window (`window` gates each) as a streaming
    /// party does and runs every window plan on the model, carrying labels
    /// between windows as the parties do; returns the outputs' zero-labels
    /// or why it stopped (the first AND, in any window, that reads a public
    /// constant or one label twice).
    pub fn run_streamed(
        &mut self,
        s: &WindowedBristol,
        window: usize,
    ) -> Result<Vec<Vec<u128>>, StreamFail> {
        let (mut planner, slots) =
            WindowPlanner::new(s.inputs(), s.num_gates(), |w| s.input_used(w));
        let mut carry: Vec<u128> = Vec::new();
        let put = |carry: &mut Vec<u128>, at: u32, x: u128| {
            if carry.len() <= at as usize {
                carry.resize(at as usize + 1, 0);
            }
            carry[at as usize] = x;
        };
        for &slot in slots.iter().flatten().filter(|&&s| s != NO_SLOT) {
            let x = self.fresh();
            put(&mut carry, slot, x);
        }
        let out = for_each_window::<StreamFail>(s, window, &mut planner, |w| {
            let ins: Vec<u128> = w.inputs.iter().map(|&c| carry[c as usize]).collect();
            let outs = self
                .run(&w.plan, &[ins])
                .map_err(|e| StreamFail::Label(format!("window from AND {}: {e}", w.first_and)))?;
            for (&c, &x) in w.outputs.iter().zip(outs.iter().flatten()) {
                put(&mut carry, c, x);
            }
            Ok(())
        })?;
        Ok(out
            .iter()
            .map(|g| g.iter().map(|&c| carry[c as usize]).collect())
            .collect())
    }
}
