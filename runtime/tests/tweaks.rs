//! A hash tweak is never used twice under one `Delta` (`yao_core::tweak`).
//!
//! Two guards, one per side of the table:
//!
//! - the garbler's side: every tweak range a garbler hashes over sessions of
//!   many executions (single, pipelined, windowed) is recorded, and no AND
//!   number may appear twice under one `Delta`;
//! - the evaluator's side: an evaluator records everything it receives over
//!   several executions and tries the two attacks that tweak reuse opened
//!   (the XOR of two executions' tables at the same place is `Delta` when an
//!   AND reads the same label under the same tweak). It must not find
//!   `Delta`. A control run with the numbering deliberately restarted shows
//!   that the same attack does find it then, so the test can fail.
//!
//! The circuit reads public constants in every way the planner must fold
//! (`AND(x, 1)`, `AND(0, x)`, an XOR sum that cancels, `AND(x, x)`,
//! `AND(x, !x)`), since those were the gates whose labels repeat across
//! executions.

mod common;

use std::sync::{Arc, Mutex};
use yao_compiler::bristol::{self, Options};
use yao_compiler::bristol_windowed::WindowedBristol;
use yao_core::block::{Block, Delta};
use yao_core::garbler::Garbler;
use yao_core::ir::{Circuit, Party};
use yao_core::plan::Plan;
use yao_core::tweak::{self, first_repeat, TweakRange};
use yao_runtime::channel::{Channel, ChannelError, MemChannel, Traffic};
use yao_runtime::protocol::{
    evaluate_windowed, garble_windowed, EvaluatorSession, EvaluatorSetup, GarblerSession,
};

/// Four garbler bits (wires 0-3), four evaluator bits (4-7); ANDs that read
/// constants directly, through an XOR sum that cancels, and through
/// `x & x` and `x & !x`, next to ANDs of real inputs.
const CONSTANT_READER: &str = "20 28
2 4 4
1 4

1 1 1 8 EQ
1 1 0 9 EQ
2 1 0 8 10 AND
2 1 9 4 11 AND
2 1 1 5 12 XOR
2 1 5 2 13 XOR
2 1 12 13 14 XOR
2 1 1 2 15 XOR
2 1 14 15 16 XOR
2 1 16 6 17 AND
2 1 3 7 18 AND
2 1 18 10 19 AND
2 1 19 11 20 XOR
1 1 3 21 INV
2 1 3 3 22 AND
2 1 3 21 23 AND
2 1 20 17 24 XOR
2 1 22 23 25 XOR
2 1 18 0 26 AND
2 1 10 6 27 AND
";

fn constant_reader() -> Circuit {
    bristol::parse("constant_reader", CONSTANT_READER, &Options::default()).unwrap()
}

/// Input bits of `circuit`'s groups of `party` for execution `k` (varied, so
/// that executions differ in both parties' inputs).
fn inputs_of(circuit: &Circuit, party: Party, k: usize) -> Vec<Vec<bool>> {
    circuit
        .inputs
        .iter()
        .enumerate()
        .filter(|(_, g)| g.party == party)
        .map(|(i, g)| {
            (0..g.wires.len())
                .map(|b| (k * 7 + i * 3 + b * 5).is_multiple_of(3))
                .collect()
        })
        .collect()
}

/// All inputs of execution `k`, in circuit order.
fn all_inputs(circuit: &Circuit, k: usize) -> Vec<Vec<bool>> {
    let mut g = inputs_of(circuit, Party::Garbler, k).into_iter();
    let mut e = inputs_of(circuit, Party::Evaluator, k).into_iter();
    circuit
        .inputs
        .iter()
        .map(|i| match i.party {
            Party::Garbler => g.next().unwrap(),
            Party::Evaluator => e.next().unwrap(),
        })
        .collect()
}

/// A channel that keeps a copy of every read it makes: the evaluator's
/// transcript, one entry per read.
struct Recording<C> {
    inner: C,
    reads: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl<C: Channel> Channel for Recording<C> {
    fn write_all(&mut self, bytes: &[u8]) -> Result<(), ChannelError> {
        self.inner.write_all(bytes)
    }
    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
        self.inner.read_exact(buf)?;
        self.reads.lock().unwrap().push(buf.to_vec());
        Ok(())
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        self.inner.flush()
    }
    fn traffic(&self) -> Traffic {
        self.inner.traffic()
    }
}

/// What one session produced: the garbler's tweak ranges, and every read
/// the evaluator made.
struct Session {
    ranges: Vec<TweakRange>,
    reads: Vec<Vec<u8>>,
}

const RUNS: usize = 6;

/// One session over `circuit`: two single executions, a pipelined stream of
/// three, and one more single execution; every output, on both sides,
/// checked against `eval_plain`.
fn run_session(circuit: &Circuit) -> Session {
    let (a, b) = MemChannel::pair();
    let check = |k: usize, got: &[Vec<bool>]| {
        let want = circuit.eval_plain(&all_inputs(circuit, k)).unwrap();
        assert_eq!(got, want, "execution {k}");
    };
    let reads = Arc::new(Mutex::new(Vec::new()));
    let ch = Recording {
        inner: b,
        reads: Arc::clone(&reads),
    };
    let ranges = std::thread::scope(|s| {
        let garbler = s.spawn(|| {
            tweak::record(|| {
                let mut g = GarblerSession::start(a, circuit).unwrap();
                for k in 0..2 {
                    let (out, _) = g.execute(&inputs_of(circuit, Party::Garbler, k)).unwrap();
                    check(k, &out);
                }
                let mut k = 2;
                let stream: Vec<_> = (2..5)
                    .map(|k| inputs_of(circuit, Party::Garbler, k))
                    .collect();
                g.execute_pipelined(&stream, |out| {
                    check(k, &out);
                    k += 1;
                })
                .unwrap();
                let (out, _) = g.execute(&inputs_of(circuit, Party::Garbler, 5)).unwrap();
                check(5, &out);
                g.finish().unwrap();
            })
            .1
        });
        let setup = EvaluatorSetup::new(circuit).unwrap();
        let mut e = EvaluatorSession::start_prepared(ch, setup).unwrap();
        let mut outputs = Vec::new();
        for k in 0..2 {
            outputs.push(
                e.execute(&inputs_of(circuit, Party::Evaluator, k))
                    .unwrap()
                    .0,
            );
        }
        let stream: Vec<_> = (2..5)
            .map(|k| inputs_of(circuit, Party::Evaluator, k))
            .collect();
        e.execute_pipelined(&stream, |out| outputs.push(out))
            .unwrap();
        outputs.push(
            e.execute(&inputs_of(circuit, Party::Evaluator, 5))
                .unwrap()
                .0,
        );
        e.finish().unwrap();
        assert_eq!(outputs.len(), RUNS);
        for (k, out) in outputs.iter().enumerate() {
            check(k, out);
        }
        garbler.join().unwrap()
    });
    let reads = std::mem::take(&mut *reads.lock().unwrap());
    Session { ranges, reads }
}

#[test]
fn no_tweak_repeats_over_a_session_of_single_and_pipelined_executions() {
    let mut circuits = vec![constant_reader()];
    for rel in ["bristol/FP-mul.txt", "bristol/aes_128.txt"] {
        if let Some(c) = common::bristol::load(rel) {
            circuits.push(c);
        }
    }
    for c in &circuits {
        let ands = Plan::new(c).unwrap().num_ands();
        let session = run_session(c);
        let r = &session.ranges;
        assert!(!r.is_empty() || ands == 0, "{}: nothing recorded", c.name);
        assert!(r.iter().all(|x| x.delta_id == r[0].delta_id), "one Delta");
        let hashed: u64 = r.iter().map(|x| x.ands).sum();
        assert_eq!(
            hashed,
            RUNS as u64 * ands,
            "{}: every AND of 6 executions",
            c.name
        );
        assert_eq!(first_repeat(r), None, "{}: a tweak repeats", c.name);
    }
}

#[test]
fn no_tweak_repeats_in_windowed_executions() {
    let text = match common::bristol::shared_dir() {
        Some(dir) => std::fs::read_to_string(dir.join("bristol/FP-mul.txt")).unwrap(),
        None => CONSTANT_READER.to_string(),
    };
    let c = bristol::parse("c", &text, &Options::default()).unwrap();
    let s = WindowedBristol::from_bytes("c", text.into_bytes(), &Options::default()).unwrap();
    let mut all = Vec::new();
    for (k, window) in [7usize, 64, 1000, 50_000].into_iter().enumerate() {
        let inputs = all_inputs(&c, k);
        let g_in = inputs_of(&c, Party::Garbler, k);
        let e_in = inputs_of(&c, Party::Evaluator, k);
        let (a, b) = MemChannel::pair();
        let (g, e) = std::thread::scope(|sc| {
            let g = sc.spawn(|| tweak::record(|| garble_windowed(a, &s, window, &g_in)));
            let e = evaluate_windowed(b, &s, window, &e_in);
            (g.join().unwrap(), e)
        });
        let (outcome, ranges) = g;
        let outcome = outcome.unwrap();
        assert_eq!(outcome.outputs, c.eval_plain(&inputs).unwrap());
        assert_eq!(e.unwrap().outputs, outcome.outputs);
        let hashed: u64 = ranges.iter().map(|x| x.ands).sum();
        assert_eq!(hashed, outcome.and_gates, "window {window}");
        assert!(outcome.windows > 1 || window == 50_000, "window {window}");
        assert_eq!(
            first_repeat(&ranges),
            None,
            "window {window}: a tweak repeats"
        );
        all.extend(ranges);
    }
    // Each windowed execution draws its own Delta.
    assert_eq!(first_repeat(&all), None);
}

/// A windowed circuit runs in a session like a whole one: its executions
/// share one `Delta` and take their AND numbers from the session, so they
/// must never repeat a tweak, single or pipelined.
#[test]
fn no_tweak_repeats_over_a_windowed_session() {
    let text = match common::bristol::shared_dir() {
        Some(dir) => std::fs::read_to_string(dir.join("bristol/FP-mul.txt")).unwrap(),
        None => CONSTANT_READER.to_string(),
    };
    let c = bristol::parse("c", &text, &Options::default()).unwrap();
    let s = WindowedBristol::from_bytes("c", text.into_bytes(), &Options::default()).unwrap();
    let window = 500;
    let (a, b) = MemChannel::pair();
    let ((ands, ranges), outputs) = std::thread::scope(|sc| {
        let g = sc.spawn(|| {
            tweak::record(|| {
                let setup = yao_runtime::protocol::GarblerSetup::windowed(&s, window);
                let mut g = GarblerSession::start_prepared(a, setup).unwrap();
                let mut ands = g
                    .execute(&inputs_of(&c, Party::Garbler, 0))
                    .unwrap()
                    .1
                    .and_gates;
                let stream: Vec<_> = (1..4).map(|k| inputs_of(&c, Party::Garbler, k)).collect();
                ands += g.execute_pipelined(&stream, |_| {}).unwrap().and_gates;
                ands += g
                    .execute(&inputs_of(&c, Party::Garbler, 4))
                    .unwrap()
                    .1
                    .and_gates;
                g.finish().unwrap();
                ands
            })
        });
        let mut e =
            EvaluatorSession::start_prepared(b, EvaluatorSetup::windowed(&s, window)).unwrap();
        let mut outputs = vec![e.execute(&inputs_of(&c, Party::Evaluator, 0)).unwrap().0];
        let stream: Vec<_> = (1..4).map(|k| inputs_of(&c, Party::Evaluator, k)).collect();
        e.execute_pipelined(&stream, |o| outputs.push(o)).unwrap();
        outputs.push(e.execute(&inputs_of(&c, Party::Evaluator, 4)).unwrap().0);
        e.finish().unwrap();
        (g.join().unwrap(), outputs)
    });
    for (k, out) in outputs.iter().enumerate() {
        assert_eq!(
            *out,
            c.eval_plain(&all_inputs(&c, k)).unwrap(),
            "execution {k}"
        );
    }
    let hashed: u64 = ranges.iter().map(|x| x.ands).sum();
    assert_eq!(hashed, ands, "every AND of 5 executions");
    assert!(ranges.len() > 5, "several windows per execution");
    assert_eq!(first_repeat(&ranges), None, "a tweak repeats");
}

/// `bytes` as blocks.
fn blocks(bytes: &[u8]) -> Vec<Block> {
    bytes
        .chunks_exact(16)
        .map(|c| Block(u128::from_le_bytes(c.try_into().unwrap())))
        .collect()
}

/// What an evaluator sees of one execution: the garbler's active input
/// labels and the garbled tables.
struct View {
    labels: Vec<Block>,
    tables: Vec<Block>,
}

/// The attacks of tweak reuse on two executions: `TG1 ^ TG2` and
/// `TE1 ^ TE2 ^ A1 ^ A2` for table blocks at the same place and `A` the
/// active labels of any same input wire. True if a candidate is `Delta`,
/// told by its fingerprint `target`.
fn attack(x: &View, y: &View, target: &[u8; 32]) -> bool {
    let hit = |d: Block| d.lsb() && tweak::fingerprint(&d.0.to_le_bytes()) == *target;
    let label_diffs: Vec<Block> = x
        .labels
        .iter()
        .zip(&y.labels)
        .map(|(&p, &q)| p ^ q)
        .collect();
    x.tables.iter().zip(&y.tables).any(|(&p, &q)| {
        let t = p ^ q;
        hit(t) || label_diffs.iter().any(|&a| hit(t ^ a))
    })
}

/// The evaluator's views of the session's executions, from its reads: each
/// execution reads the garbler's labels (`16 * g_bits` bytes) and then its
/// tables (`32 * ands` bytes), sizes no other read of this circuit has.
fn views(reads: &[Vec<u8>], g_bits: usize, ands: usize) -> Vec<View> {
    reads
        .windows(2)
        .filter(|w| w[0].len() == 16 * g_bits && w[1].len() == 32 * ands)
        .map(|w| View {
            labels: blocks(&w[0]),
            tables: blocks(&w[1]),
        })
        .collect()
}

#[test]
fn an_evaluator_cannot_find_delta_in_its_transcript() {
    let c = constant_reader();
    let ands = Plan::new(&c).unwrap().num_ands() as usize;
    assert!(ands > 2, "the circuit keeps real ANDs");
    let session = run_session(&c);
    let target = session.ranges[0].delta_id;
    let views = views(&session.reads, 4, ands);
    assert_eq!(views.len(), RUNS, "one view per execution");
    for (i, x) in views.iter().enumerate() {
        for y in &views[i + 1..] {
            assert!(!attack(x, y, &target), "Delta found");
        }
    }
}

/// The control: two executions under one `Delta` with the AND numbering
/// restarted and the same zero-label on the gate's input `b` (what a public
/// constant gave), `a` differing: the attack above finds `Delta`. Without
/// this, the test above could pass by looking in the wrong place.
#[test]
fn the_attack_finds_delta_when_tweaks_repeat() {
    let c = bristol::parse(
        "and",
        "1 3\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n",
        &Options::default(),
    )
    .unwrap();
    let plan = Arc::new(Plan::new(&c).unwrap());
    assert_eq!(plan.num_ands(), 1);
    let delta = Delta::random();
    let target = tweak::delta_id(&delta);
    let b_zero = Block::random();
    let view = |first_and: u64, a: bool| {
        let mut g = Garbler::from_plan(Arc::clone(&plan), delta.clone());
        g.set_first_and(first_and).unwrap();
        g.set_input_zero_labels(1, &[b_zero]).unwrap();
        let labels = g.encode_input(0, &[a]).unwrap();
        let mut tables = Vec::new();
        g.garble_batch(&mut tables);
        View { labels, tables }
    };
    // Restarted numbering: found.
    assert!(attack(&view(0, false), &view(0, true), &target));
    // Numbering that runs on: not found.
    assert!(!attack(&view(0, false), &view(1, true), &target));
}
