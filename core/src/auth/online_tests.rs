//! Authenticated garbling end to end, both parties in one process
//! ([`super::online_harness`]): honest runs on random circuits against
//! `Circuit::eval_plain`, and each cheating party of issue 18 caught by the
//! check that names it. Published and DSL circuits, which need files, are
//! in `core/tests/auth_garbling.rs`.

use super::online_harness::{Cheat, Session};
use super::{AuthError, Check, Role};
use crate::block::random_bits;
use yao_ir::{Circuit, Gate, Input, Output, Party, ValueType};

/// A small deterministic generator (xorshift64*) for circuit shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() % n as u64) as u32
    }
}

/// A random circuit: `g` garbler and `e` evaluator input bits, `gates`
/// gates of every kind reading any earlier wire, `outs` outputs (inputs,
/// constants and repeats included).
fn random_circuit(rng: &mut Rng, g: u32, e: u32, gates: u32, outs: u32) -> Circuit {
    let mut n = g + e;
    let mut list = Vec::new();
    for _ in 0..gates {
        let (a, b) = (rng.below(n.max(1)), rng.below(n.max(1)));
        list.push(match (n, rng.below(7)) {
            (0, _) | (_, 6) => Gate::Const {
                value: rng.below(2) == 1,
                out: n,
            },
            (_, 0..=2) => Gate::And { a, b, out: n },
            (_, 3..=4) => Gate::Xor { a, b, out: n },
            _ => Gate::Not { a, out: n },
        });
        n += 1;
    }
    let out: Vec<u32> = (0..outs).map(|_| rng.below(n.max(1))).collect();
    let mut inputs = Vec::new();
    if g > 0 {
        inputs.push(Input {
            name: "x".into(),
            party: Party::Garbler,
            ty: ValueType::UInt(g),
            wires: (0..g).collect(),
        });
    }
    if e > 0 {
        inputs.push(Input {
            name: "y".into(),
            party: Party::Evaluator,
            ty: ValueType::UInt(e),
            wires: (g..g + e).collect(),
        });
    }
    Circuit {
        name: "random".into(),
        num_wires: n,
        inputs,
        outputs: if n == 0 {
            vec![]
        } else {
            vec![Output {
                name: "z".into(),
                ty: ValueType::UInt(outs),
                wires: out,
            }]
        },
        gates: list,
    }
}

/// One AND of the garbler's and the evaluator's input bit.
fn one_and() -> Circuit {
    Circuit {
        name: "and".into(),
        num_wires: 3,
        inputs: vec![
            Input {
                name: "x".into(),
                party: Party::Garbler,
                ty: ValueType::Bool,
                wires: vec![0],
            },
            Input {
                name: "y".into(),
                party: Party::Evaluator,
                ty: ValueType::Bool,
                wires: vec![1],
            },
        ],
        outputs: vec![Output {
            name: "z".into(),
            ty: ValueType::Bool,
            wires: vec![2],
        }],
        gates: vec![Gate::And { a: 0, b: 1, out: 2 }],
    }
}

/// `circuit`'s expected outputs (flattened) on the parties' input bits.
fn expected(circuit: &Circuit, g: &[bool], e: &[bool]) -> Vec<bool> {
    let (mut gi, mut ei) = (g.iter(), e.iter());
    let groups: Vec<Vec<bool>> = circuit
        .inputs
        .iter()
        .map(|i| {
            let it: &mut dyn Iterator<Item = &bool> = match i.party {
                Party::Garbler => &mut gi,
                Party::Evaluator => &mut ei,
            };
            it.take(i.wires.len()).copied().collect()
        })
        .collect();
    circuit.eval_plain(&groups).unwrap().concat()
}

fn widths(circuit: &Circuit) -> (usize, usize) {
    let w = |p| -> usize { circuit.inputs_of(p).map(|i| i.wires.len()).sum() };
    (w(Party::Garbler), w(Party::Evaluator))
}

/// Runs honestly on random inputs; panics unless both outputs are right.
fn check_honest(s: &mut Session, circuit: &Circuit) {
    let (g, e) = widths(circuit);
    let (x, y) = (random_bits(g), random_bits(e));
    let (a, b) = s.run(circuit, &x, &y, Cheat::None).unwrap();
    let want = expected(circuit, &x, &y);
    assert_eq!(a, want, "garbler's output, {}", circuit.name);
    assert_eq!(b, want, "evaluator's output, {}", circuit.name);
}

#[test]
fn honest_random_circuits_match_eval_plain() {
    let mut s = Session::new();
    let mut rng = Rng(0x5eed_a076);
    for case in 0..60u32 {
        let (g, e) = (rng.below(6), rng.below(6));
        let gates = rng.below(if case % 10 == 0 { 400 } else { 40 });
        let outs = 1 + rng.below(12);
        let c = random_circuit(&mut rng, g, e, gates, outs);
        check_honest(&mut s, &c);
    }
    // One session numbered every run's ANDs apart.
    assert!(s.numbering.next() > 0);
}

/// The property over proptest's choice of shapes and inputs.
#[test]
fn honest_runs_match_eval_plain_proptest() {
    use proptest::prelude::*;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    });
    let session = std::cell::RefCell::new(Session::new());
    runner
        .run(
            &(any::<u64>(), 0u32..5, 0u32..5, 0u32..60, 1u32..8),
            |(seed, g, e, gates, outs)| {
                let c = random_circuit(&mut Rng(seed | 1), g, e, gates, outs);
                let (gw, ew) = widths(&c);
                let (x, y) = (random_bits(gw), random_bits(ew));
                let got = session.borrow_mut().run(&c, &x, &y, Cheat::None);
                let want = expected(&c, &x, &y);
                prop_assert_eq!(got, Ok((want.clone(), want)));
                Ok(())
            },
        )
        .unwrap();
}

/// Runs `cheat` `runs` times on fresh inputs: every run either aborts with
/// one of `checks` (at the honest party, `by`'s peer, or at the party
/// named in the abort) or gives both parties the right outputs. Returns
/// how many aborted.
fn never_wrong(circuit: &Circuit, cheat: Cheat, runs: usize, checks: &[(Role, Check)]) -> usize {
    let mut s = Session::new();
    let (g, e) = widths(circuit);
    let mut aborts = 0;
    for _ in 0..runs {
        let (x, y) = (random_bits(g), random_bits(e));
        let want = expected(circuit, &x, &y);
        match s.run(circuit, &x, &y, cheat) {
            Ok((a, b)) => {
                // The cheater's own output is its business; the honest one's
                // must be right.
                assert_eq!(b, want, "{cheat:?}: evaluator's output");
                if !matches!(cheat, Cheat::EvaluatorOutputLabel { .. }) {
                    assert_eq!(a, want, "{cheat:?}: garbler's output");
                }
            }
            Err((role, AuthError::CheckFailed(check))) => {
                assert!(
                    checks.contains(&(role, check)),
                    "{cheat:?}: aborted at {role:?} with {check:?}"
                );
                let text = AuthError::CheckFailed(check).to_string();
                assert!(text.contains("check"), "{text}");
                aborts += 1;
            }
            Err(e) => panic!("{cheat:?}: {e:?}"),
        }
    }
    aborts
}

fn chain() -> Circuit {
    let mut rng = Rng(0xc4a1);
    // Dense enough that every input reaches ANDs through several levels.
    let mut c = random_circuit(&mut rng, 4, 4, 60, 6);
    c.gates.insert(
        0,
        Gate::And {
            a: 0,
            b: 4,
            out: c.num_wires,
        },
    );
    c.outputs[0].wires.push(c.num_wires);
    c.outputs[0].ty = ValueType::UInt(c.outputs[0].wires.len() as u32);
    c.num_wires += 1;
    c.validate().unwrap();
    c
}

/// A flipped bit in a row: caught only when the evaluator's masked inputs
/// select that row (probability 1/4 per run), so over 60 runs the abort
/// happens, and the runs that go through give the right output.
#[test]
fn garbler_flipping_a_row_is_caught_when_the_row_is_used() {
    let c = one_and();
    for (block, mask) in [(0, 1u128 << 77), (1, 1)] {
        let cheat = Cheat::FlipRow {
            gate: 0,
            row: 2,
            block,
            mask,
        };
        let aborts = never_wrong(&c, cheat, 60, &[(Role::B, Check::GarbledRow)]);
        assert!(
            aborts > 0 && aborts < 60,
            "{cheat:?}: {aborts} aborts of 60"
        );
    }
    // A change of the label block that keeps its colour bit gives the
    // evaluator a label that is neither of the wire's two: its decoded
    // output is still right, and the garbler's check of the returned label
    // fails (the garbler is the cheater here, so only the evaluator's
    // output matters).
    let cheat = Cheat::FlipRow {
        gate: 0,
        row: 1,
        block: 1,
        mask: 1 << 90,
    };
    let aborts = never_wrong(&c, cheat, 60, &[(Role::A, Check::OutputLabel)]);
    assert!(aborts > 0, "{aborts}");
}

/// OR in place of AND: A can only flip its share `r^A` without a MAC for
/// it, so every row where OR and AND differ fails the MAC check.
#[test]
fn garbler_garbling_or_instead_of_and_is_caught() {
    let aborts = never_wrong(
        &one_and(),
        Cheat::OrGate { gate: 0 },
        60,
        &[(Role::B, Check::GarbledRow)],
    );
    assert!(aborts > 0, "{aborts}");
}

#[test]
fn garbler_with_another_delta_is_caught() {
    let aborts = never_wrong(
        &chain(),
        Cheat::OtherDelta,
        30,
        &[(Role::B, Check::GarbledRow), (Role::A, Check::OutputLabel)],
    );
    assert!(aborts > 0, "{aborts}");
}

#[test]
fn wrong_input_labels_are_caught() {
    let c = chain();
    // A colour bit that disagrees with the evaluator's masked input.
    let cheat = Cheat::EvaluatorInputLabel { index: 0, mask: 1 };
    assert_eq!(
        never_wrong(&c, cheat, 5, &[(Role::B, Check::InputLabel)]),
        5
    );
    // A label that is neither of the two, with the right colour: garbage
    // at the first AND that reads it.
    for cheat in [
        Cheat::EvaluatorInputLabel {
            index: 0,
            mask: 1 << 64,
        },
        Cheat::GarblerInputLabel {
            index: 0,
            mask: 1 << 64,
        },
    ] {
        let aborts = never_wrong(&c, cheat, 10, &[(Role::B, Check::GarbledRow)]);
        assert_eq!(aborts, 10, "{cheat:?}");
    }
}

#[test]
fn lies_about_output_decoding_are_caught() {
    let c = chain();
    let n = c.outputs[0].wires.len();
    for index in [0, n - 1] {
        let cheat = Cheat::OutputDecoding { index };
        assert_eq!(
            never_wrong(&c, cheat, 5, &[(Role::B, Check::OutputMask)]),
            5
        );
        let cheat = Cheat::EvaluatorOutputMask { index };
        assert_eq!(
            never_wrong(&c, cheat, 5, &[(Role::A, Check::OutputMask)]),
            5
        );
        // The evaluator cannot send the other label of an output.
        let cheat = Cheat::EvaluatorOutputLabel {
            index,
            mask: crate::block::Block::random().0 | 1,
        };
        assert_eq!(
            never_wrong(&c, cheat, 5, &[(Role::A, Check::OutputLabel)]),
            5
        );
    }
}

#[test]
fn wrong_macs_in_openings_are_caught() {
    let c = chain();
    for (by, honest) in [(Role::A, Role::B), (Role::B, Role::A)] {
        let cheat = Cheat::WrongDerandomization { by };
        assert_eq!(
            never_wrong(&c, cheat, 3, &[(honest, Check::Derandomization)]),
            3
        );
        let cheat = Cheat::WrongInputMask { by };
        assert_eq!(never_wrong(&c, cheat, 3, &[(honest, Check::InputMask)]), 3);
    }
}

/// A flipped bit of a triple (its MAC unchanged) is always caught: `x` and
/// `y` at the derandomization opening, `A`'s `z` in every row of its gate,
/// `B`'s `z` by `B`'s own row check (it can only hurt itself).
#[test]
fn flipped_triple_bits_are_caught() {
    let c = one_and();
    for which in 0..2 {
        let cheat = Cheat::FlipTriple {
            by: Role::A,
            gate: 0,
            which,
        };
        assert_eq!(
            never_wrong(&c, cheat, 3, &[(Role::B, Check::Derandomization)]),
            3
        );
        let cheat = Cheat::FlipTriple {
            by: Role::B,
            gate: 0,
            which,
        };
        assert_eq!(
            never_wrong(&c, cheat, 3, &[(Role::A, Check::Derandomization)]),
            3
        );
    }
    for by in [Role::A, Role::B] {
        let cheat = Cheat::FlipTriple {
            by,
            gate: 0,
            which: 2,
        };
        assert_eq!(
            never_wrong(&c, cheat, 5, &[(Role::B, Check::GarbledRow)]),
            5
        );
    }
}

/// Abort counts with the evaluator's input 0 and 1 under `cheat`.
fn abort_counts(cheat: Cheat, runs: usize) -> [usize; 2] {
    let c = one_and();
    let mut s = Session::new();
    let mut counts = [0; 2];
    for (v, count) in counts.iter_mut().enumerate() {
        for _ in 0..runs {
            let x = random_bits(1);
            match s.run(&c, &x, &[v == 1], cheat) {
                Ok((_, b)) => assert_eq!(b, vec![x[0] & (v == 1)]),
                Err((Role::B, AuthError::CheckFailed(Check::GarbledRow))) => *count += 1,
                Err(e) => panic!("{e:?}"),
            }
        }
    }
    counts
}

/// The two-proportion z statistic of `k0 / n` against `k1 / n`.
fn z_statistic([k0, k1]: [usize; 2], n: usize) -> f64 {
    let (p0, p1) = (k0 as f64 / n as f64, k1 as f64 / n as f64);
    let p = (p0 + p1) / 2.0;
    let se = (p * (1.0 - p) * 2.0 / n as f64).sqrt();
    if se == 0.0 {
        if p0 == p1 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        (p0 - p1) / se
    }
}

/// Selective failure: a garbler that corrupts the rows of an AND on the
/// evaluator's input aborts with a probability that does not depend on that
/// input, because the row is chosen by `Lambda = v ^ lambda`, uniform to the
/// garbler. 400 runs per input bit; `|z| < 5` fails a fair protocol with
/// probability below 6e-7 (two-sided normal tail), so the test does not
/// flake, and the control (a garbler that knows the mask, as an OT-based
/// input step could let it) must exceed the same bound: the test can fail.
#[test]
fn selective_failure_abort_does_not_depend_on_the_input() {
    let n = 400;
    for beta in [false, true] {
        let counts = abort_counts(Cheat::CorruptRowsWithBeta { value: beta }, n);
        let z = z_statistic(counts, n);
        assert!(z.abs() < 5.0, "abort counts {counts:?} of {n}: z = {z}");
        // And it aborts about half the time (Lambda = 1 or 0).
        assert!(
            counts.iter().all(|&k| k > n / 4 && k < 3 * n / 4),
            "{counts:?}"
        );
    }
    let n = 100;
    let counts = abort_counts(Cheat::CorruptRowsWithMaskOracle, n);
    assert_eq!(counts, [0, n], "the oracle aborts exactly on input 1");
    assert!(z_statistic(counts, n).abs() > 5.0);
}

#[test]
fn malformed_messages_and_counts_are_refused() {
    use super::layout::Layout;
    use super::online::{GarbledMsg, InputMsg, MaskMsg, OutputMsg};
    let c = chain();
    let l = Layout::new(&c).unwrap();
    for role in [Role::A, Role::B] {
        let len = MaskMsg::len(&l, role);
        assert!(MaskMsg::from_bytes(&vec![0; len - 1], &l, role).is_err());
        assert!(MaskMsg::from_bytes(&vec![0; len + 1], &l, role).is_err());
    }
    for len in [GarbledMsg::len(&l), OutputMsg::len(&l), InputMsg::len(&l)] {
        assert!(len > 0);
    }
    assert!(GarbledMsg::from_bytes(&vec![0; GarbledMsg::len(&l) - 1], &l).is_err());
    assert!(OutputMsg::from_bytes(&vec![0; OutputMsg::len(&l) + 16], &l).is_err());
    assert!(
        InputMsg::from_bytes(&[0xff], &l).is_err(),
        "padding bits set"
    );
    // Too few preprocessed shares or input bits for the circuit.
    let mut p = super::in_process::Pair::new();
    let (sa, _) = p.shares(l.shares_needed() - 1).unwrap();
    let (ta, _) = p.triples(l.ands, super::in_process::Tamper::None).unwrap();
    let key = p.a.delta.clone();
    let err = super::online::Garbler::start(&l, &key, &sa, &ta, 0, &[false; 4]).err();
    assert!(matches!(err, Some(AuthError::WrongCount { .. })), "{err:?}");
    let (sa, _) = p.shares(l.shares_needed()).unwrap();
    let err = super::online::Garbler::start(&l, &key, &sa, &ta, 0, &[false; 3]).err();
    assert!(matches!(err, Some(AuthError::WrongCount { .. })), "{err:?}");
    // AND numbers past the tweak domain are refused.
    use super::garble::{check_numbering, MAX_AUTH_ANDS};
    assert!(check_numbering(MAX_AUTH_ANDS - 5, 5).is_ok());
    assert_eq!(
        check_numbering(MAX_AUTH_ANDS - 5, 6),
        Err(AuthError::TweaksExhausted)
    );
    assert!(check_numbering(u64::MAX, 1).is_err());
}

/// Each AND hashes 16 labels (4 rows, 2 blocks, 2 inputs), at tweaks
/// `gate_tweak(n) + 4 * row + j` (the garbler's batch and the evaluator's
/// row alike): no two (AND, row, block, input) share a tweak under
/// `Delta_A`, and the last AND's last tweak fits in 64 bits. Fails if the
/// numbering gives an AND fewer than 16 tweaks.
#[test]
fn every_row_pad_has_its_own_tweak() {
    use super::garble::{gate_tweak, BLOCKS_PER_AND, MAX_AUTH_ANDS};
    let hashes_per_and = 2 * BLOCKS_PER_AND as u64;
    let mut seen = std::collections::HashSet::new();
    for n in (0..512).chain(MAX_AUTH_ANDS - 512..MAX_AUTH_ANDS) {
        for row in 0..4 {
            for j in 0..4 {
                assert!(
                    seen.insert(gate_tweak(n) + 4 * row + j),
                    "AND {n} row {row} block {j}"
                );
            }
        }
        assert!(gate_tweak(n).checked_add(hashes_per_and - 1).is_some());
    }
    assert_eq!(seen.len() as u64, 1024 * hashes_per_and);
    assert!(gate_tweak(1) - gate_tweak(0) >= hashes_per_and);
}

/// Two executions of one session (one `Delta_A`) hash their row pads under
/// tweaks that never meet: every hash call either side made, recorded as a
/// tweak range, is disjoint from every other of that side, across both
/// executions. Fails if a session numbers its executions' ANDs alike (each
/// from 0, as a run on its own would).
#[test]
fn two_executions_of_a_session_never_share_a_tweak() {
    use super::garble::hashed;
    use std::ops::Range;
    let take = |list: &'static std::thread::LocalKey<std::cell::RefCell<Vec<Range<u64>>>>| {
        list.with(|l| std::mem::take(&mut *l.borrow_mut()))
    };
    let c = chain();
    let mut s = Session::new();
    let mut calls = [Vec::new(), Vec::new()];
    for _ in 0..2 {
        take(&hashed::GARBLER);
        take(&hashed::EVALUATOR);
        check_honest(&mut s, &c);
        let (g, e) = (take(&hashed::GARBLER), take(&hashed::EVALUATOR));
        assert!(!g.is_empty() && !e.is_empty(), "both sides hashed");
        // The evaluator hashes some of the garbler's (label, tweak) pairs.
        for r in &e {
            assert!(g.iter().any(|w| w.start <= r.start && r.end <= w.end));
        }
        calls[0].extend(g);
        calls[1].extend(e);
    }
    for side in &mut calls {
        side.sort_by_key(|r| r.start);
        for w in side.windows(2) {
            assert!(
                w[0].end <= w[1].start,
                "tweaks {:?} and {:?} meet",
                w[0],
                w[1]
            );
        }
    }
    // The second execution went on where the first stopped.
    assert_eq!(calls[0].last().unwrap().end, 16 * s.numbering.next());
}
