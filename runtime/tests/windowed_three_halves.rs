//! Three-halves garbling of circuits read window by window (`--stream`):
//! sessions of single and pipelined executions give `eval_plain`'s outputs
//! on the published Bristol circuits and on our DSL circuits exported to
//! Bristol, never repeat a tweak under the session's `Delta`, and refuse
//! an AND whose two inputs have one XOR sum even when the two sums were
//! computed in different windows (the check the whole-circuit path makes
//! on its plan, `three_halves::check_independent_inputs`).

mod common;

use common::bristol::shared_dir;
use yao_compiler::bristol::{self, Options};
use yao_compiler::bristol_windowed::WindowedBristol;
use yao_core::ir::{Circuit, Party};
use yao_core::tweak::{self, first_repeat, TweakRange};
use yao_core::window::WINDOW;
use yao_core::Scheme;
use yao_runtime::channel::MemChannel;
use yao_runtime::protocol::{
    EvaluatorSession, EvaluatorSetup, GarblerSession, GarblerSetup, ProtocolError, Settings,
};
use yao_runtime::report::report;

fn three_halves() -> Settings {
    Settings {
        scheme: Scheme::ThreeHalves,
        ..Settings::default()
    }
}

/// The bits of `party`'s groups of `all`.
fn of(s: &WindowedBristol, party: Party, all: &[Vec<bool>]) -> Vec<Vec<bool>> {
    s.inputs()
        .iter()
        .zip(all)
        .filter(|(i, _)| i.party == party)
        .map(|(_, b)| b.clone())
        .collect()
}

/// Inputs of every group of `c`, from the bits of `seed`.
fn inputs(c: &Circuit, seed: u64) -> Vec<Vec<bool>> {
    let mut x = seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x9e37_79b9_7f4a_7c15;
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

/// Both parties' outputs of one streamed three-halves session (each run
/// single, then all of them again pipelined) and the tweak ranges the
/// garbler hashed; or the first error of either party (the garbler's if
/// both failed).
struct Ran {
    garbler: Vec<Vec<Vec<bool>>>,
    evaluator: Vec<Vec<Vec<bool>>>,
    tweaks: Vec<TweakRange>,
}

fn session(
    s: &WindowedBristol,
    window: usize,
    runs: &[Vec<Vec<bool>>],
) -> Result<Ran, ProtocolError> {
    let (a, b) = MemChannel::pair();
    std::thread::scope(|sc| {
        let garbler = sc.spawn(|| {
            tweak::record(|| -> Result<_, ProtocolError> {
                let setup = GarblerSetup::windowed(s, window).with_settings(three_halves());
                let mut g = GarblerSession::start_prepared(a, setup)?;
                let mut out = Vec::new();
                for r in runs {
                    out.push(g.execute(&of(s, Party::Garbler, r))?.0);
                }
                let stream: Vec<_> = runs.iter().map(|r| of(s, Party::Garbler, r)).collect();
                g.execute_pipelined(&stream, |o| out.push(o))?;
                g.finish()?;
                Ok(out)
            })
        });
        let evaluated = (|| -> Result<_, ProtocolError> {
            let setup = EvaluatorSetup::windowed(s, window).with_settings(three_halves());
            let mut e = EvaluatorSession::start_prepared(b, setup)?;
            let mut out = Vec::new();
            for r in runs {
                out.push(e.execute(&of(s, Party::Evaluator, r))?.0);
            }
            let stream: Vec<_> = runs.iter().map(|r| of(s, Party::Evaluator, r)).collect();
            e.execute_pipelined(&stream, |o| out.push(o))?;
            e.finish()?;
            Ok(out)
        })();
        let (garbled, tweaks) = garbler.join().unwrap();
        Ok(Ran {
            garbler: garbled?,
            evaluator: evaluated?,
            tweaks,
        })
    })
}

/// Streams `text` with three-halves in windows of each size: every
/// execution's outputs equal `eval_plain`'s, and no tweak repeats. If the
/// whole circuit's plan has an AND of two equal sums, the streamed session
/// is refused by name instead. Returns whether it ran.
fn check_text(text: &str, options: &Options, windows: &[usize]) -> bool {
    let c = bristol::parse("c", text, options).unwrap();
    let s = WindowedBristol::from_bytes("c", text.as_bytes().to_vec(), options).unwrap();
    let plan = yao_core::plan::Plan::new(&c).unwrap();
    let independent = yao_core::three_halves::check_independent_inputs(&plan).is_ok();
    let runs: Vec<_> = (0..2).map(|k| inputs(&c, k)).collect();
    let want: Vec<_> = runs.iter().map(|r| c.eval_plain(r).unwrap()).collect();
    for &w in windows {
        match session(&s, w, &runs) {
            Ok(ran) => {
                assert!(independent, "window {w}: a dependent AND was garbled");
                for (k, out) in ran.evaluator.iter().enumerate() {
                    assert_eq!(*out, want[k % runs.len()], "window {w}, execution {k}");
                }
                assert_eq!(ran.garbler, ran.evaluator, "window {w}");
                assert_eq!(
                    first_repeat(&ran.tweaks),
                    None,
                    "window {w}: a tweak repeats"
                );
                let hashed: u64 = ran.tweaks.iter().map(|r| r.ands).sum();
                assert_eq!(hashed, 4 * plan.num_ands(), "window {w}: 4 executions");
            }
            Err(e) => {
                assert!(!independent, "window {w}: {}", report(&e));
                assert!(
                    report(&e).contains("the same XOR sum"),
                    "window {w}: {}",
                    report(&e)
                );
            }
        }
    }
    independent
}

#[test]
fn published_circuits_match_plaintext() {
    let Some(dir) = shared_dir() else { return };
    let mut ran = 0;
    for sub in ["bristol", "bristol/mand"] {
        let mut paths: Vec<_> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(c) = bristol::parse("c", &text, &Options::default()) else {
                continue;
            };
            // The default window, and one that divides nothing in particular.
            let small = (c.gates.len() / 5).max(1) + 3;
            if check_text(&text, &Options::default(), &[WINDOW, small]) {
                ran += 1;
            }
            eprintln!("{}: ok", path.display());
        }
    }
    assert!(ran >= 2, "AES-128 and SHA-256 at least");
}

#[test]
fn aes128_known_answer_in_small_windows() {
    let Some(dir) = shared_dir() else { return };
    let path = dir.join("bristol/aes_128.txt");
    let s = WindowedBristol::open(&path, &Options::default()).unwrap();
    let key = common::bristol::hex_bits("000102030405060708090a0b0c0d0e0f", 128);
    let pt = common::bristol::hex_bits("00112233445566778899aabbccddeeff", 128);
    let ran = session(&s, 1000, &[vec![key, pt]]).unwrap();
    for out in ran.garbler.iter().chain(&ran.evaluator) {
        assert_eq!(
            common::bristol::bits_hex(&out[0]),
            "69c4e0d86a7b0430d8cdb78070b4c55a"
        );
    }
    assert!(ran.tweaks.len() > 2, "several windows");
    assert_eq!(first_repeat(&ran.tweaks), None);
}

#[test]
fn our_circuits_exported_to_bristol() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../circuits");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yao"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    for path in paths {
        let c = yao_compiler::lang::compile_file(&path).unwrap();
        let text = bristol::export(&c);
        let options = Options {
            parties: Some(c.inputs.iter().map(|i| i.party).collect()),
            ..Options::default()
        };
        // The DSL's optimizer merges equal sums: every circuit runs.
        assert!(
            check_text(&text, &options, &[WINDOW, 97]),
            "{}",
            path.display()
        );
    }
}

/// `t1 = a ^ b` and `t2 = b ^ a` are written in different windows (one
/// gate per window), and a later window ANDs them: neither window's plan
/// sees both sums, but the carried fingerprints do, and both parties
/// refuse. The same circuit with `t2 = a ^ c` runs.
#[test]
fn equal_sums_from_different_windows_are_refused() {
    // Inputs a, b, c (wires 0, 1, 2); t1 = 3, t2 = 4, a spacer 5, out 6.
    let circuit = |second: &str| {
        format!(
            "4 7\n2 2 1\n1 1\n\n2 1 0 1 3 XOR\n2 1 {second} 4 XOR\n2 1 0 2 5 AND\n2 1 3 4 6 AND\n"
        )
    };
    let options = Options {
        parties: Some(vec![Party::Garbler, Party::Evaluator]),
        ..Options::default()
    };
    let dependent = circuit("1 0");
    let s = WindowedBristol::from_bytes("c", dependent.into_bytes(), &options).unwrap();
    let runs = vec![vec![vec![true, false], vec![true]]];
    for window in [1, 2, 3] {
        let err = match session(&s, window, &runs) {
            Ok(_) => panic!("window {window}: an AND of equal sums was garbled"),
            Err(e) => e,
        };
        assert!(
            report(&err).contains("the same XOR sum"),
            "window {window}: {}",
            report(&err)
        );
    }
    let independent = circuit("0 2");
    assert!(check_text(&independent, &options, &[1, 2, 3, 10]));
}
