//! Garbling schemes in the protocol: a session garbles with the scheme its
//! settings name (half-gates or three-halves), both give `eval_plain`'s
//! outputs single and pipelined, a three-halves session never repeats a
//! tweak, and the scheme is part of the handshake (windowed circuits:
//! `windowed_three_halves.rs`).

mod common;

use common::random::{random_circuit, Reads};
use proptest::prelude::*;
use yao_core::ir::{Circuit, Party};
use yao_core::tweak::{self, first_repeat};
use yao_core::Scheme;
use yao_runtime::channel::MemChannel;
use yao_runtime::protocol::{
    EvaluatorSession, EvaluatorSetup, GarblerSession, GarblerSetup, ProtocolError, Settings,
};
use yao_runtime::report::report;

fn settings(scheme: Scheme) -> Settings {
    Settings {
        scheme,
        ..Settings::default()
    }
}

/// The bits of `party`'s groups of `all` (every group's bits, in order).
fn of(c: &Circuit, party: Party, all: &[Vec<bool>]) -> Vec<Vec<bool>> {
    c.inputs
        .iter()
        .zip(all)
        .filter(|(i, _)| i.party == party)
        .map(|(_, b)| b.clone())
        .collect()
}

/// What a session gave: both parties' outputs, the bytes the garbler
/// sent and the tweak ranges it hashed.
#[derive(Debug)]
struct Ran {
    garbler: Vec<Vec<Vec<bool>>>,
    evaluator: Vec<Vec<Vec<bool>>>,
    sent: u64,
    tweaks: Vec<tweak::TweakRange>,
}

/// Runs one session of `runs` (single executions, then the same again
/// pipelined) with `g` and `e` settings, or returns the first error.
fn session(
    c: &Circuit,
    g: Settings,
    e: Settings,
    runs: &[Vec<Vec<bool>>],
) -> Result<Ran, ProtocolError> {
    let (a, b) = MemChannel::pair();
    std::thread::scope(|s| {
        let garbler = s.spawn(|| {
            tweak::record(|| -> Result<_, ProtocolError> {
                let setup = GarblerSetup::new(c)?.with_settings(g);
                let mut g = GarblerSession::start_prepared(a, setup)?;
                let mut out = Vec::new();
                for r in runs {
                    out.push(g.execute(&of(c, Party::Garbler, r))?.0);
                }
                let stream: Vec<_> = runs.iter().map(|r| of(c, Party::Garbler, r)).collect();
                g.execute_pipelined(&stream, |o| out.push(o))?;
                let sent = g.traffic().sent;
                g.finish()?;
                Ok((out, sent))
            })
        });
        let evaluated = (|| -> Result<_, ProtocolError> {
            let setup = EvaluatorSetup::new(c)?.with_settings(e);
            let mut e = EvaluatorSession::start_prepared(b, setup)?;
            let mut out = Vec::new();
            for r in runs {
                out.push(e.execute(&of(c, Party::Evaluator, r))?.0);
            }
            let stream: Vec<_> = runs.iter().map(|r| of(c, Party::Evaluator, r)).collect();
            e.execute_pipelined(&stream, |o| out.push(o))?;
            e.finish()?;
            Ok(out)
        })();
        let (result, tweaks) = garbler.join().unwrap();
        let (g_out, sent) = result?;
        Ok(Ran {
            garbler: g_out,
            evaluator: evaluated?,
            sent,
            tweaks,
        })
    })
}

/// Inputs of every group of `c`, from the bits of `seed`.
fn inputs(c: &Circuit, seed: u64) -> Vec<Vec<bool>> {
    let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
    c.inputs
        .iter()
        .map(|i| {
            i.wires
                .iter()
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x & 1 == 1
                })
                .collect()
        })
        .collect()
}

fn check_both_schemes(c: &Circuit, runs: usize) {
    let runs: Vec<_> = (0..runs as u64).map(|k| inputs(c, k)).collect();
    let want: Vec<_> = runs.iter().map(|r| c.eval_plain(r).unwrap()).collect();
    let plan = yao_core::plan::Plan::new(c).unwrap();
    let independent = yao_core::three_halves::check_independent_inputs(&plan).is_ok();
    for scheme in Scheme::ALL {
        let result = session(c, settings(scheme), settings(scheme), &runs);
        if scheme == Scheme::ThreeHalves && !independent {
            // Refused by both parties, by name, before any execution.
            let err = result.unwrap_err();
            assert!(
                matches!(err, ProtocolError::DependentAnd(_)),
                "{}",
                report(&err)
            );
            continue;
        }
        let ran = result.unwrap_or_else(|err| panic!("{scheme}: {}", report(&err)));
        for out in [&ran.garbler, &ran.evaluator] {
            assert_eq!(out.len(), 2 * runs.len());
            for (k, o) in out.iter().enumerate() {
                assert_eq!(*o, want[k % runs.len()], "{scheme}, execution {k}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, .. ProptestConfig::default() })]

    #[test]
    fn both_schemes_match_eval_plain_on_random_circuits(
        g_bits in 1u32..6,
        e_bits in 0u32..6,
        ops in proptest::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 1..120),
        outs in proptest::collection::vec(any::<u32>(), 1..12),
    ) {
        let c = random_circuit(g_bits, e_bits, &ops, &outs, Reads::Anywhere);
        check_both_schemes(&c, 2);
    }
}

#[test]
fn both_schemes_run_aes_and_sha256() {
    for path in ["bristol/aes_128.txt", "bristol/sha256.txt"] {
        let Some(c) = common::bristol::load(path) else {
            return;
        };
        check_both_schemes(&c, 2);
    }
}

/// Three-halves sends 25 bytes per AND where half-gates sends 32.
#[test]
fn three_halves_sends_fewer_bytes() {
    let Some(c) = common::bristol::load("bristol/aes_128.txt") else {
        return;
    };
    let runs = vec![inputs(&c, 1)];
    let sent = |s| session(&c, settings(s), settings(s), &runs).unwrap().sent;
    let (half, three) = (sent(Scheme::HalfGates), sent(Scheme::ThreeHalves));
    let ands = 2 * 6400;
    assert!(
        half - three >= 7 * ands,
        "half-gates sent {half}, three-halves {three}"
    );
}

#[test]
fn a_three_halves_session_never_repeats_a_tweak() {
    let Some(c) = common::bristol::load("bristol/aes_128.txt") else {
        return;
    };
    let runs: Vec<_> = (0..3).map(|k| inputs(&c, k)).collect();
    let ranges = session(
        &c,
        settings(Scheme::ThreeHalves),
        settings(Scheme::ThreeHalves),
        &runs,
    )
    .unwrap()
    .tweaks;
    let hashed: u64 = ranges.iter().map(|r| r.ands).sum();
    assert_eq!(hashed, 6 * 6400, "every AND of 6 executions");
    assert_eq!(first_repeat(&ranges), None, "a tweak repeats");
}

#[test]
fn a_scheme_mismatch_is_refused_in_the_handshake() {
    let Some(c) = common::bristol::load("bristol/aes_128.txt") else {
        return;
    };
    let runs = vec![inputs(&c, 0)];
    let err = session(
        &c,
        settings(Scheme::HalfGates),
        settings(Scheme::ThreeHalves),
        &runs,
    )
    .unwrap_err();
    assert!(
        matches!(err, ProtocolError::SchemeMismatch { .. }),
        "{}",
        report(&err)
    );
    assert_eq!(
        report(&err),
        "the peer garbles with three-halves, this party with half-gates \
         (both must use the same --scheme)"
    );
}

/// Every OT extension gives a session the evaluator's labels (single and
/// pipelined executions, with refills), and a mismatch is refused.
#[test]
fn every_ot_extension_runs_a_session() {
    use yao_runtime::ot::Extension;
    let ops: Vec<(u8, u32, u32)> = (0..400u32)
        .map(|i| ((i % 5) as u8, i * 7, i * 13 + 1))
        .collect();
    let outs: Vec<u32> = (0..40).map(|i| 1000 + i * 37).collect();
    let c = random_circuit(40, 300, &ops, &outs, Reads::Anywhere);
    let runs: Vec<_> = (0..3).map(|k| inputs(&c, k)).collect();
    for ot in Extension::ALL {
        let s = Settings {
            ot,
            ..Settings::default()
        };
        let ran = session(&c, s, s, &runs).unwrap_or_else(|e| panic!("{ot}: {}", report(&e)));
        for (k, o) in ran.evaluator.iter().enumerate() {
            assert_eq!(
                *o,
                c.eval_plain(&runs[k % 3]).unwrap(),
                "{ot}, execution {k}"
            );
        }
        assert_eq!(ran.garbler, ran.evaluator, "{ot}");
    }
    let (iknp, k4) = (
        Settings {
            ot: Extension::Iknp,
            ..Settings::default()
        },
        Settings {
            ot: Extension::SoftSpoken { k: 4 },
            ..Settings::default()
        },
    );
    let err = session(&c, k4, iknp, &runs).unwrap_err();
    assert_eq!(
        report(&err),
        "the peer extends OTs with iknp, this party with softspoken-k4 (both must use the same --ot)"
    );
}

/// An AND whose two inputs are different wires with the same XOR sum
/// (`a ^ b` and `b ^ a`) is refused by three-halves, which would hash a
/// public `a ^ b`; half-gates runs it. The published circuits have none.
#[test]
fn three_halves_refuses_an_and_of_equal_sums() {
    use yao_core::ir::{Gate, Input, Output, ValueType};
    let c = Circuit {
        name: "equal-sums".into(),
        num_wires: 5,
        inputs: vec![
            Input {
                name: "a".into(),
                party: Party::Garbler,
                ty: ValueType::Bool,
                wires: vec![0],
            },
            Input {
                name: "b".into(),
                party: Party::Evaluator,
                ty: ValueType::Bool,
                wires: vec![1],
            },
        ],
        outputs: vec![Output {
            name: "out".into(),
            ty: ValueType::Bool,
            wires: vec![4],
        }],
        gates: vec![
            Gate::Xor { a: 0, b: 1, out: 2 },
            Gate::Xor { a: 1, b: 0, out: 3 },
            Gate::And { a: 2, b: 3, out: 4 },
        ],
    };
    let runs = vec![vec![vec![true], vec![false]]];
    let half = session(
        &c,
        settings(Scheme::HalfGates),
        settings(Scheme::HalfGates),
        &runs,
    );
    assert_eq!(half.unwrap().evaluator[0], vec![vec![true]]);
    let err = session(
        &c,
        settings(Scheme::ThreeHalves),
        settings(Scheme::ThreeHalves),
        &runs,
    )
    .unwrap_err();
    assert!(
        report(&err).contains("reads two wires that always hold equal or complementary values"),
        "{}",
        report(&err)
    );
    for path in ["bristol/aes_128.txt", "bristol/sha256.txt"] {
        let Some(c) = common::bristol::load(path) else {
            return;
        };
        let plan = yao_core::plan::Plan::new(&c).unwrap();
        assert_eq!(
            yao_core::three_halves::check_independent_inputs(&plan),
            Ok(()),
            "{path}"
        );
    }
}
