//! The streaming path (`yao_core::window`, `protocol::garble_windowed`):
//! garbled execution of Bristol files read window by window equals
//! `eval_plain` of the same file imported whole, on the published circuits,
//! our own circuits exported to Bristol, and random circuits, over
//! in-memory and TCP channels, with windows of every awkward size.

mod common;

use common::bristol::{bits_hex, hex_bits, shared_dir};
use common::labels::{check_slots, Labels};
use common::random::{folding_circuit, random_circuit, Reads};
use proptest::prelude::*;
use yao_compiler::bristol::{self, Options};
use yao_compiler::bristol_windowed::{ScanOptions, WindowedBristol, WindowedBristolError};
use yao_core::ir::{CircuitGates, GateSource, Party};
use yao_core::plan::Plan;
use yao_core::window::{self, WindowPlanner};
use yao_runtime::channel::{Channel, MemChannel, TcpChannel};
use yao_runtime::protocol::{evaluate_windowed, garble_windowed, windowed_id, ProtocolError};
use yao_runtime::report::report;

fn tcp_pair() -> (TcpChannel, TcpChannel) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let t = std::thread::spawn(move || l.accept().unwrap().0);
    let a = std::net::TcpStream::connect(addr).unwrap();
    let b = t.join().unwrap();
    let timeout = Some(std::time::Duration::from_secs(30));
    (
        TcpChannel::new(b, timeout).unwrap(),
        TcpChannel::new(a, timeout).unwrap(),
    )
}

/// The bits of `party`'s groups, in circuit order.
fn split<S: GateSource + ?Sized>(s: &S, inputs: &[Vec<bool>], party: Party) -> Vec<Vec<bool>> {
    s.inputs()
        .iter()
        .zip(inputs)
        .filter(|(i, _)| i.party == party)
        .map(|(_, b)| b.clone())
        .collect()
}

type Outputs = Result<Vec<Vec<bool>>, ProtocolError>;

/// Both parties of one streamed execution; returns the garbler's and the
/// evaluator's outputs.
fn run_streamed<C: Channel + Send + 'static, S: GateSource + Sync>(
    s: &S,
    inputs: &[Vec<bool>],
    window: usize,
    (a, b): (C, C),
) -> (Outputs, Outputs) {
    let g_in = split(s, inputs, Party::Garbler);
    let e_in = split(s, inputs, Party::Evaluator);
    std::thread::scope(|sc| {
        let g = sc.spawn(|| garble_windowed(a, s, window, &g_in).map(|o| o.outputs));
        let e = evaluate_windowed(b, s, window, &e_in).map(|o| o.outputs);
        (g.join().unwrap(), e)
    })
}

/// Streams `text` with the given windows and checks both parties' outputs
/// against `eval_plain` of the file imported whole.
fn check_text(text: &str, options: &Options, inputs: &[Vec<bool>], windows: &[usize], tcp: bool) {
    let c = bristol::parse("c", text, options).unwrap();
    let s = WindowedBristol::from_bytes("c", text.as_bytes().to_vec(), options).unwrap();
    assert_eq!(s.id(), c.id());
    let want = c.eval_plain(inputs).unwrap();
    for &w in windows {
        let (g, e) = run_streamed(&s, inputs, w, MemChannel::pair());
        assert_eq!(g.unwrap(), want, "garbler, window {w}");
        assert_eq!(e.unwrap(), want, "evaluator, window {w}");
    }
    if tcp {
        let (g, e) = run_streamed(&s, inputs, windows[0], tcp_pair());
        assert_eq!(g.unwrap(), want, "garbler over TCP");
        assert_eq!(e.unwrap(), want, "evaluator over TCP");
    }
}

fn random_bits(n: usize) -> Vec<bool> {
    let mut bytes = vec![0u8; n.div_ceil(8)];
    yao_core::block::fill_random(&mut bytes);
    (0..n).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect()
}

#[test]
fn published_known_answers() {
    let Some(dir) = shared_dir() else { return };
    let path = dir.join("bristol/aes_128.txt");
    let s = WindowedBristol::open(&path, &Options::default()).unwrap();
    for (window, pair) in [(window::WINDOW, false), (1000, false), (4096, true)] {
        let key = hex_bits("000102030405060708090a0b0c0d0e0f", 128);
        let pt = hex_bits("00112233445566778899aabbccddeeff", 128);
        let (g, e) = if pair {
            run_streamed(&s, &[key, pt], window, tcp_pair())
        } else {
            run_streamed(&s, &[key, pt], window, MemChannel::pair())
        };
        assert_eq!(bits_hex(&g.unwrap()[0]), "69c4e0d86a7b0430d8cdb78070b4c55a");
        assert_eq!(bits_hex(&e.unwrap()[0]), "69c4e0d86a7b0430d8cdb78070b4c55a");
    }
    let path = dir.join("bristol/sha256.txt");
    let s = WindowedBristol::open(&path, &Options::default()).unwrap();
    let block = hex_bits(
        "61626380000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018",
        512,
    );
    let iv = hex_bits(
        "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19",
        256,
    );
    for window in [window::WINDOW, 777] {
        let (g, e) = run_streamed(&s, &[block.clone(), iv.clone()], window, MemChannel::pair());
        let want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(bits_hex(&g.unwrap()[0]), want);
        assert_eq!(bits_hex(&e.unwrap()[0]), want);
    }
}

#[test]
fn every_published_circuit_matches_plaintext() {
    let Some(dir) = shared_dir() else { return };
    for sub in ["bristol", "bristol/mand"] {
        let mut paths: Vec<_> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        paths.sort();
        assert!(!paths.is_empty());
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap();
            let Ok(c) = bristol::parse("c", &text, &Options::default()) else {
                // The importer's own tests cover files it refuses.
                continue;
            };
            let inputs: Vec<Vec<bool>> = c
                .inputs
                .iter()
                .map(|i| random_bits(i.wires.len()))
                .collect();
            // A window that divides nothing in particular, and the default.
            let small = (c.gates.len() / 5).max(1) + 3;
            check_text(
                &text,
                &Options::default(),
                &inputs,
                &[window::WINDOW, small],
                false,
            );
            eprintln!("{}: ok", path.display());
        }
    }
}

#[test]
fn window_edge_cases() {
    let Some(dir) = shared_dir() else { return };
    let text = std::fs::read_to_string(dir.join("bristol/adder64.txt")).unwrap();
    let c = bristol::parse("c", &text, &Options::default()).unwrap();
    let n = c.gates.len();
    let inputs: Vec<Vec<bool>> = c
        .inputs
        .iter()
        .map(|i| random_bits(i.wires.len()))
        .collect();
    // One gate per window; windows dividing the gate count exactly (the
    // last window is full); one more and one fewer than the gate count;
    // carried wires read across many windows (adder64's inputs are read
    // from the first window to the last).
    let divisor = (2..n).find(|&d| n.is_multiple_of(d)).unwrap_or(1);
    check_text(
        &text,
        &Options::default(),
        &inputs,
        &[1, 2, divisor, n / divisor, n - 1, n, n + 1],
        true,
    );
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
    for path in paths {
        let c = yao_compiler::lang::compile_file(&path).unwrap();
        let text = bristol::export(&c);
        let options = Options {
            parties: Some(c.inputs.iter().map(|i| i.party).collect()),
            ..Options::default()
        };
        let inputs: Vec<Vec<bool>> = c
            .inputs
            .iter()
            .map(|i| random_bits(i.wires.len()))
            .collect();
        // The exported file computes what the DSL circuit computes.
        let want = c.eval_plain(&inputs).unwrap();
        let imported = bristol::parse("c", &text, &options).unwrap();
        assert_eq!(imported.eval_plain(&inputs).unwrap(), want);
        check_text(&text, &options, &inputs, &[window::WINDOW, 997], false);
    }
}

/// Every circuit of the shared collection (Bristol Fashion, MAND and the
/// older format) and every circuit of ours, planned whole and window by
/// window (64 and 1000 gates, the cross-window knowledge of carried
/// constants and copies included): no AND reads a public constant or one
/// label twice, by slot (the planner's own check) and by label (the label
/// model, which also catches sums of stored labels that cancel).
/// `FP-mul.txt` and `divide64.txt` had ANDs that read a constant or one
/// wire twice: the plan keeps fewer ANDs than the file has.
#[test]
fn no_and_reads_a_constant_or_one_label_twice() {
    let mut cases: Vec<(String, String, Options)> = Vec::new();
    if let Some(dir) = shared_dir() {
        for sub in ["bristol", "bristol/mand", "bristol-old"] {
            let mut paths: Vec<_> = std::fs::read_dir(dir.join(sub))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect();
            paths.sort();
            for path in paths {
                let name = format!("{sub}/{}", path.file_name().unwrap().to_string_lossy());
                let text = std::fs::read_to_string(&path).unwrap();
                cases.push((name, text, Options::default()));
            }
        }
        assert!(cases.len() >= 50, "only {} shared circuits", cases.len());
    }
    let ours = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../circuits");
    let mut paths: Vec<_> = std::fs::read_dir(&ours)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yao"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10);
    for path in paths {
        let c = yao_compiler::lang::compile_file(&path).unwrap();
        let options = Options {
            parties: Some(c.inputs.iter().map(|i| i.party).collect()),
            ..Options::default()
        };
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        cases.push((name, bristol::export(&c), options));
    }
    let mut labels = Labels::new(0x5eed);
    for (name, text, options) in &cases {
        let c = bristol::parse(name, text, options).unwrap_or_else(|e| panic!("{name}: {e}"));
        let plan = Plan::new(&c).unwrap();
        let inputs = labels.inputs(&plan);
        if let Err(e) = labels.run(&plan, &inputs) {
            panic!("{name}: {e}");
        }
        if name.ends_with("FP-mul.txt") || name.ends_with("divide64.txt") {
            assert!(plan.num_ands() < c.stats().and, "{name}: nothing folded");
        }
        let s = WindowedBristol::from_bytes(name, text.as_bytes().to_vec(), options).unwrap();
        for window in [64, 1000] {
            if let Err(e) = labels.run_streamed(&s, window) {
                panic!("{name}, windows of {window}: {e:?}");
            }
        }
    }
}

/// A constant, a NOT and an AND folded to a copy, each written in one
/// window and read by ANDs in later ones (windows of one gate): the later
/// windows know them for what they are, so no window garbles an AND, and
/// the outputs are right.
#[test]
fn carried_constants_and_copies_fold_in_later_windows() {
    // Inputs x (wire 0, garbler) and y (wire 1, evaluator).
    let text = "\
11 13
2 1 1
1 3

1 1 1 2 EQ
1 1 0 3 INV
2 1 0 2 4 AND
2 1 3 0 5 AND
2 1 0 0 6 AND
2 1 6 3 7 AND
2 1 6 2 8 AND
1 1 2 9 INV
2 1 9 1 10 AND
2 1 10 6 11 AND
2 1 11 3 12 XOR
";
    // w2 = 1, w3 = !x, w4 = x, w5 = 0, w6 = x, w7 = 0, w8 = x, w9 = 0,
    // w10 = 0, w11 = 0; outputs w10, w11, w12 = !x.
    let c = bristol::parse("c", text, &Options::default()).unwrap();
    assert_eq!(c.stats().and, 7);
    let s =
        WindowedBristol::from_bytes("c", text.as_bytes().to_vec(), &Options::default()).unwrap();
    for window in [1, 2, 3, 100] {
        let (mut planner, _) = WindowPlanner::new(s.inputs(), s.num_gates(), |w| s.input_used(w));
        window::for_each_window::<window::WindowRunError>(&s, window, &mut planner, |w| {
            assert_eq!(
                w.plan.num_ands(),
                0,
                "window of {window} from AND {}",
                w.first_and
            );
            Ok(())
        })
        .unwrap();
        for (x, y) in [(false, false), (false, true), (true, false), (true, true)] {
            let inputs = [vec![x], vec![y]];
            let want = c.eval_plain(&inputs).unwrap();
            assert_eq!(want, vec![vec![false, false, !x]]);
            let (g, e) = run_streamed(&s, &inputs, window, MemChannel::pair());
            assert_eq!(g.unwrap(), want);
            assert_eq!(e.unwrap(), want);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random circuits made to fold, streamed with random windows: no
    /// window's AND reads a constant or one label twice (by label without
    /// XORs, by slot with them), and both parties' outputs equal plaintext.
    #[test]
    fn folding_circuits_stream_like_plaintext(
        g_bits in 1u32..5,
        e_bits in 1u32..5,
        ops in prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 0..100),
        outs in prop::collection::vec(any::<u32>(), 1..10),
        window in 1usize..30,
        seed in any::<u64>(),
    ) {
        // Without XORs, by label: carried constants and copies are known
        // in every later window.
        let c = folding_circuit(g_bits, e_bits, &ops, &outs, false);
        let text = bristol::export(&c);
        let s = WindowedBristol::from_bytes("c", text.into_bytes(), &Options::default()).unwrap();
        prop_assert!(Labels::new(seed).run_streamed(&s, window).is_ok());
        // With XORs, by slot.
        let c = folding_circuit(g_bits, e_bits, &ops, &outs, true);
        let text = bristol::export(&c);
        let s = WindowedBristol::from_bytes("c", text.into_bytes(), &Options::default()).unwrap();
        let (mut planner, _) = WindowPlanner::new(s.inputs(), s.num_gates(), |w| s.input_used(w));
        window::for_each_window::<window::WindowRunError>(&s, window, &mut planner, |w| {
            assert_eq!(check_slots(&w.plan), Ok(()));
            Ok(())
        })
        .unwrap();
        let inputs: Vec<Vec<bool>> = c
            .inputs
            .iter()
            .enumerate()
            .map(|(k, i)| (0..i.wires.len()).map(|b| (seed >> ((b + 5 * k) % 64)) & 1 == 1).collect())
            .collect();
        let want = c.eval_plain(&inputs).unwrap();
        let (g, e) = run_streamed(&s, &inputs, window, MemChannel::pair());
        prop_assert_eq!(&g.unwrap(), &want);
        prop_assert_eq!(&e.unwrap(), &want);
    }

    /// Random circuits (outputs that are inputs, constants, repeated and
    /// dead wires, exported with `EQW` copies) streamed with random windows
    /// equal plaintext; the streamed liveness and id equal the importer's.
    #[test]
    fn random_circuits_match_plaintext(
        g_bits in 1u32..6,
        e_bits in 1u32..6,
        ops in prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 0..150),
        outs in prop::collection::vec(any::<u32>(), 1..10),
        window in 1usize..40,
        seed in any::<u64>(),
    ) {
        let c = random_circuit(g_bits, e_bits, &ops, &outs, Reads::FarBack);
        let text = bristol::export(&c);
        let imported = bristol::parse("c", &text, &Options::default()).unwrap();
        // Half the runs keep their deaths in a temporary file.
        let scan = ScanOptions { spill_above: if seed % 2 == 1 { 0 } else { u64::MAX } };
        let s = WindowedBristol::from_bytes_with("c", text.as_bytes().to_vec(), &Options::default(), scan).unwrap();
        prop_assert_eq!(s.id(), imported.id());
        // Deaths agree with the importer's last uses.
        let last = imported.last_use();
        let mut k = 0usize;
        s.for_each_gate::<WindowedBristolError>(|g, d| {
            assert_eq!(g, imported.gates[k]);
            let at = Some(k as u32);
            for w in g.inputs() {
                assert_eq!(d.kills(&g, w), last[w as usize] == at, "gate {k} wire {w}");
            }
            assert_eq!(d.unused(), last[g.output() as usize].is_none(), "gate {k}");
            k += 1;
            Ok(())
        })
        .unwrap();
        prop_assert_eq!(k, imported.gates.len());
        prop_assert_eq!(s.stats().peak_live_wires, imported.peak_live_wires());
        // The same circuit in memory is the same gate source.
        let held = CircuitGates::new(&imported);
        prop_assert_eq!(GateSource::id(&held), s.id());
        prop_assert_eq!(GateSource::num_gates(&held), s.num_gates());
        let mut k = 0usize;
        s.for_each_gate::<WindowedBristolError>(|g, d| {
            assert_eq!((g, d), (imported.gates[k], held.deaths()[k]), "gate {k}");
            k += 1;
            Ok(())
        })
        .unwrap();
        for w in imported.inputs.iter().flat_map(|i| i.wires.iter().copied()) {
            prop_assert_eq!(held.input_used(w), s.input_used(w), "input wire {}", w);
        }
        let inputs: Vec<Vec<bool>> = c
            .inputs
            .iter()
            .enumerate()
            .map(|(k, i)| (0..i.wires.len()).map(|b| (seed >> ((b + 7 * k) % 64)) & 1 == 1).collect())
            .collect();
        let want = c.eval_plain(&inputs).unwrap();
        let (g, e) = run_streamed(&s, &inputs, window, MemChannel::pair());
        prop_assert_eq!(&g.unwrap(), &want);
        prop_assert_eq!(&e.unwrap(), &want);
        let (g, e) = run_streamed(&held, &inputs, window, MemChannel::pair());
        prop_assert_eq!(&g.unwrap(), &want);
        prop_assert_eq!(&e.unwrap(), &want);
    }
}

#[test]
fn random_circuits_over_tcp() {
    let mut s = 0x0bad_cafe_1234_5678u64;
    for round in 0..6 {
        let mut ops = Vec::new();
        for _ in 0..(100 + round * 700) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ops.push(((s % 251) as u8, (s >> 8) as u32, (s >> 36) as u32));
        }
        let outs: Vec<u32> = (0..17).map(|i| (s >> i) as u32).collect();
        let c = random_circuit(9, 11, &ops, &outs, Reads::FarBack);
        let text = bristol::export(&c);
        let inputs: Vec<Vec<bool>> = c
            .inputs
            .iter()
            .map(|i| random_bits(i.wires.len()))
            .collect();
        let want = c.eval_plain(&inputs).unwrap();
        let st = WindowedBristol::from_bytes("c", text.into_bytes(), &Options::default()).unwrap();
        let (g, e) = run_streamed(&st, &inputs, 64 + round * 50, tcp_pair());
        assert_eq!(g.unwrap(), want);
        assert_eq!(e.unwrap(), want);
    }
}

#[test]
fn the_window_size_is_part_of_the_handshake() {
    let text = "2 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 5 XOR\n";
    let s =
        WindowedBristol::from_bytes("c", text.as_bytes().to_vec(), &Options::default()).unwrap();
    assert_ne!(windowed_id(&s, 1), windowed_id(&s, 2));
    assert_ne!(windowed_id(&s, 1), s.id());
    let (a, b) = MemChannel::pair();
    let (g, e) = std::thread::scope(|sc| {
        let g = sc.spawn(|| garble_windowed(a, &s, 1, &[vec![true]]));
        let e = evaluate_windowed(b, &s, 2, &[vec![true]]);
        (g.join().unwrap(), e)
    });
    assert!(
        matches!(g, Err(ProtocolError::CircuitMismatch { .. })),
        "{g:?}"
    );
    assert!(
        matches!(e, Err(ProtocolError::CircuitMismatch { .. })),
        "{e:?}"
    );
}

#[test]
fn a_file_that_changes_mid_run_is_an_error_on_both_sides() {
    let dir = std::env::temp_dir().join(format!("yao-stream-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A chain long enough for several windows.
    let n = 200u32;
    let mut text = format!("{n} {}\n2 1 1\n1 1\n\n", n + 2);
    for k in 0..n {
        let a = if k == 0 { 0 } else { k + 1 };
        text += &format!("2 1 {a} 1 {} AND\n", k + 2);
    }
    let path = dir.join("chain.txt");
    std::fs::write(&path, &text).unwrap();
    let g_side = WindowedBristol::open(&path, &Options::default()).unwrap();
    let e_side =
        WindowedBristol::from_bytes("chain", text.clone().into_bytes(), &Options::default())
            .unwrap();
    // Truncated after the scan: the garbler's gate pass ends early.
    let cut = text.len() / 2;
    std::fs::write(&path, &text[..cut]).unwrap();
    let (a, b) = MemChannel::pair();
    let (g, e) = std::thread::scope(|sc| {
        let g = sc.spawn(|| garble_windowed(a, &g_side, 16, &[vec![true]]));
        let e = evaluate_windowed(b, &e_side, 16, &[vec![true]]);
        (g.join().unwrap(), e)
    });
    let g = report(&g.unwrap_err());
    assert!(g.contains("changed") || g.contains("line"), "{g}");
    let e = e.unwrap_err();
    assert!(e.is_disconnect(), "{e}");
    // Truncated before the scan: a clear error naming the count.
    let err = report(&WindowedBristol::open(&path, &Options::default()).unwrap_err());
    assert!(err.contains("ends") || err.contains("truncated"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A window that fails to run stops the reading and planning threads ahead
/// of it (which may be blocked on a full channel) and its error is the one
/// returned, not a hang; windows run in order, each once.
#[test]
fn a_failing_window_stops_the_pipeline() {
    let n = 2000;
    let mut text = format!("{n} {}\n2 1 1\n1 1\n\n", n + 2);
    for k in 0..n {
        let a = if k == 0 { 0 } else { k + 1 };
        text += &format!("2 1 {a} 1 {} AND\n", k + 2);
    }
    let s = WindowedBristol::from_bytes("chain", text.into_bytes(), &Options::default()).unwrap();
    for fail_at in [0u64, 3, 1999] {
        let (mut planner, _) = WindowPlanner::new(s.inputs(), s.num_gates(), |w| s.input_used(w));
        let mut ran = 0u64;
        let r = window::for_each_window::<window::WindowRunError>(&s, 1, &mut planner, |w| {
            assert_eq!(w.first_and, ran, "windows run in order");
            if ran == fail_at {
                return Err(window::WindowRunError::GateCount {
                    expected: 7,
                    found: fail_at,
                });
            }
            ran += 1;
            Ok(())
        });
        let err = report(&r.unwrap_err());
        assert!(err.contains(&format!("yielded {fail_at} gates")), "{err}");
        assert_eq!(ran, fail_at);
        // Reading stopped a bounded distance past the failure: the failed
        // window, one queued, one being planned, one queued, one cut.
        assert!(planner.windows() <= fail_at + 5, "{}", planner.windows());
    }
}

#[test]
fn planner_memory_follows_live_wires() {
    // A long chain of ANDs with a few live wires: every window carries only
    // those, whatever the gate count.
    let n = 5000u32;
    let mut text = format!("{n} {}\n2 1 1\n1 1\n\n", n + 2);
    for k in 0..n {
        let a = if k == 0 { 0 } else { k + 1 };
        text += &format!("2 1 {a} 1 {} AND\n", k + 2);
    }
    let s = WindowedBristol::from_bytes("chain", text.into_bytes(), &Options::default()).unwrap();
    assert_eq!(s.stats().peak_live_wires, 3);
    let (mut planner, _) = WindowPlanner::new(s.inputs(), s.num_gates(), |w| s.input_used(w));
    // Every window numbers its ANDs after the previous windows' (fresh
    // tweaks throughout the circuit).
    let mut ands = 0u64;
    let slots = window::for_each_window::<window::WindowRunError>(&s, 7, &mut planner, |w| {
        assert!(w.carry_len <= 3, "{}", w.carry_len);
        assert_eq!(w.first_and, ands);
        ands += w.plan.num_ands();
        Ok(())
    })
    .unwrap();
    assert_eq!(ands, n as u64);
    assert_eq!(slots.len(), 1);
    assert!(planner.peak_carried() <= 3);
    assert_eq!(planner.windows(), (n as u64).div_ceil(7));
}

#[test]
fn a_streaming_party_and_an_in_memory_party_refuse_each_other() {
    let text = "2 6\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 5 XOR\n";
    let c = bristol::parse("c", text, &Options::default()).unwrap();
    let s =
        WindowedBristol::from_bytes("c", text.as_bytes().to_vec(), &Options::default()).unwrap();
    let (a, b) = MemChannel::pair();
    let (g, e) = std::thread::scope(|sc| {
        let g = sc.spawn(|| garble_windowed(a, &s, window::WINDOW, &[vec![true]]));
        let e = yao_runtime::protocol::EvaluatorSession::start(b, &c).map(|_| ());
        (g.join().unwrap(), e)
    });
    assert!(
        matches!(g, Err(ProtocolError::CircuitMismatch { .. })),
        "{g:?}"
    );
    assert!(
        matches!(e, Err(ProtocolError::CircuitMismatch { .. })),
        "{:?}",
        e.err()
    );
}

/// A garbler's channel that breaks after `left` bytes: the garbler fails
/// there and drops the connection, as a process that dies mid-stream would.
struct Cut {
    inner: TcpChannel,
    left: usize,
}

impl Channel for Cut {
    fn write_all(&mut self, data: &[u8]) -> Result<(), yao_runtime::channel::ChannelError> {
        if data.len() > self.left {
            return Err(yao_runtime::channel::ChannelError::Closed);
        }
        self.left -= data.len();
        self.inner.write_all(data)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), yao_runtime::channel::ChannelError> {
        self.inner.read_exact(buf)
    }

    fn flush(&mut self) -> Result<(), yao_runtime::channel::ChannelError> {
        self.inner.flush()
    }

    fn traffic(&self) -> yao_runtime::channel::Traffic {
        self.inner.traffic()
    }
}

/// A streamed evaluator facing a broken peer over TCP: one that sends
/// garbage, one that hangs up at once, one that dies at several points of
/// the stream, and one that says nothing. Each ends with an error naming
/// the phase, within the timeout, and nothing panics.
#[test]
fn a_broken_peer_ends_a_streamed_session_with_an_error() {
    use std::io::Write;
    use std::time::{Duration, Instant};
    // No constants (kind 6 of `random_circuit`): ANDs that read them fold
    // away, and the stream must hold many tables.
    let ops: Vec<(u8, u32, u32)> = (0..3000u32)
        .map(|i| {
            let kind = (i * 37 % 251) as u8;
            (
                kind - u8::from(kind % 7 == 6),
                i.wrapping_mul(2654435761),
                i ^ 0x5bd1e995,
            )
        })
        .collect();
    let c = random_circuit(8, 8, &ops, &[2990, 2991, 2992, 2993, 2994], Reads::FarBack);
    let text = bristol::export(&c);
    let s = WindowedBristol::from_bytes("c", text.into_bytes(), &Options::default()).unwrap();
    let inputs = [vec![true; 8], vec![false; 8]];
    let timeout = Duration::from_secs(2);
    let pair = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let t = std::thread::spawn(move || l.accept().unwrap().0);
        let evaluator = std::net::TcpStream::connect(addr).unwrap();
        (
            t.join().unwrap(),
            TcpChannel::new(evaluator, Some(timeout)).unwrap(),
        )
    };
    let check = |e: Outputs, what: &str| {
        let err = e.expect_err(what);
        assert!(!report(&err).is_empty(), "{what}");
        err
    };

    // Garbage, then hang up.
    let (mut peer, ch) = pair();
    peer.write_all(&[0x5a; 4096]).unwrap();
    drop(peer);
    check(
        evaluate_windowed(ch, &s, 7, &inputs[1..]).map(|o| o.outputs),
        "garbage",
    );

    // Hang up at once.
    let (peer, ch) = pair();
    drop(peer);
    let err = check(
        evaluate_windowed(ch, &s, 7, &inputs[1..]).map(|o| o.outputs),
        "hang-up",
    );
    assert!(report(&err).contains("closed"), "{err}");

    // A garbler that dies in the handshake, in the base OTs, halfway through
    // and just before the end (its whole output measured on a whole run).
    let whole = {
        let (a, b) = MemChannel::pair();
        std::thread::scope(|sc| {
            let g = sc.spawn(|| garble_windowed(a, &s, 7, &inputs[..1]).unwrap());
            evaluate_windowed(b, &s, 7, &inputs[1..]).unwrap();
            g.join().unwrap().traffic.sent as usize
        })
    };
    assert!(
        whole > 20_000,
        "{whole} bytes: the circuit should have many windows of tables"
    );
    for left in [10, 5_000, whole / 2, whole - 40] {
        let (peer, ch) = pair();
        let garbler = TcpChannel::new(peer, Some(timeout)).unwrap();
        let s2 = &s;
        let g_in = &inputs[..1];
        std::thread::scope(|sc| {
            let g = sc.spawn(move || {
                let cut = Cut {
                    inner: garbler,
                    left,
                };
                garble_windowed(cut, s2, 7, g_in).map(|o| o.outputs)
            });
            let started = Instant::now();
            check(
                evaluate_windowed(ch, s2, 7, &inputs[1..]).map(|o| o.outputs),
                "death",
            );
            assert!(
                started.elapsed() < 3 * timeout,
                "no hang after a death at {left}"
            );
            assert!(g.join().unwrap().is_err());
        });
    }

    // A peer that connects and says nothing: a timeout, not a hang.
    let (peer, ch) = pair();
    let started = Instant::now();
    let err = check(
        evaluate_windowed(ch, &s, 7, &inputs[1..]).map(|o| o.outputs),
        "silence",
    );
    assert!(started.elapsed() < 3 * timeout, "{err}");
    assert!(report(&err).contains("timed out"), "{err}");
    drop(peer);
}
