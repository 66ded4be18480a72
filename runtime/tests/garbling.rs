//! Garbled execution equals plaintext evaluation: random circuits, published
//! Bristol circuits, in memory and over MemChannel / TcpChannel; the
//! evaluator's view is uniform; bad calls are errors.

mod common;

use common::bristol::{bits_hex, hex_bits, load, shared_dir};
use common::labels::{check_slots, Labels};
use common::random::{folding_circuit, random_circuit, Reads};
use proptest::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;
use yao_core::evaluator::{EvalError, Evaluator};
use yao_core::garbler::{GarbleError, Garbler};
use yao_core::hash::Tccr;
use yao_core::in_memory::{run_in_memory, run_plan, run_plan_with};
use yao_core::ir::{Circuit, Gate, Input, Output, Party, ValueType};
use yao_core::plan::Plan;
use yao_core::{Block, Delta};
use yao_runtime::channel::{Channel, MemChannel, TcpChannel};

fn random_bits(n: usize) -> Vec<bool> {
    let mut bytes = vec![0u8; n.div_ceil(8)];
    yao_core::block::fill_random(&mut bytes);
    (0..n).map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1).collect()
}

fn random_inputs(c: &Circuit) -> Vec<Vec<bool>> {
    c.inputs
        .iter()
        .map(|i| random_bits(i.wires.len()))
        .collect()
}

/// Inputs whose bits are read off `seed`, shifted by `spread` per group.
fn seeded_inputs(c: &Circuit, seed: u64, spread: usize) -> Vec<Vec<bool>> {
    c.inputs
        .iter()
        .enumerate()
        .map(|(k, i)| {
            (0..i.wires.len())
                .map(|b| (seed >> ((b + spread * k) % 64)) & 1 == 1)
                .collect()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Thousands of random circuits with random inputs and random plan
    /// limits (tiny windows and steps exercise every boundary).
    #[test]
    fn random_circuits_match_plaintext(
        g_bits in 1u32..6,
        e_bits in 1u32..6,
        ops in prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 0..120),
        outs in prop::collection::vec(any::<u32>(), 1..10),
        window in 1usize..80,
        step in 1usize..12,
        seed in any::<u64>(),
    ) {
        let c = random_circuit(g_bits, e_bits, &ops, &outs, Reads::Anywhere);
        let inputs = seeded_inputs(&c, seed, 7);
        let want = c.eval_plain(&inputs).unwrap();
        let plan = Arc::new(Plan::with_limits(&c, window, step).unwrap());
        prop_assert_eq!(plan.verify(), Ok(()));
        prop_assert_eq!(&run_plan(&plan, &inputs).unwrap(), &want);
        prop_assert_eq!(&run_in_memory(&c, &inputs).unwrap(), &want);
        // The VAES kernels and the `aes` crate path interoperate.
        prop_assert_eq!(&run_plan_with(&plan, &inputs, Tccr::portable(), Tccr::new()).unwrap(), &want);
        prop_assert_eq!(&run_plan_with(&plan, &inputs, Tccr::new(), Tccr::portable()).unwrap(), &want);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Random circuits made to fold (ANDs of constants, of a wire and
    /// itself or its NOT, and of what those fold to): no AND of the plan
    /// reads a constant or one slot twice, the plan keeps at most the
    /// circuit's ANDs, and garbled evaluation equals plaintext, at random
    /// limits and at the default ones. Without XORs, the label model finds
    /// no AND reading a constant or one label twice either.
    #[test]
    fn folding_circuits_match_plaintext(
        g_bits in 1u32..5,
        e_bits in 1u32..5,
        ops in prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 0..100),
        outs in prop::collection::vec(any::<u32>(), 1..10),
        window in 1usize..40,
        step in 1usize..6,
        seed in any::<u64>(),
    ) {
        for xors in [true, false] {
            let c = folding_circuit(g_bits, e_bits, &ops, &outs, xors);
            let inputs = seeded_inputs(&c, seed, 5);
            let want = c.eval_plain(&inputs).unwrap();
            for (w, s) in [(window, step), (1 << 16, 256)] {
                let plan = Arc::new(Plan::with_limits(&c, w, s).unwrap());
                prop_assert_eq!(check_slots(&plan), Ok(()));
                prop_assert!(plan.num_ands() <= c.stats().and);
                prop_assert_eq!(&run_plan(&plan, &inputs).unwrap(), &want);
                if !xors {
                    // No sums: the label model sees every constant and copy.
                    let mut labels = Labels::new(seed);
                    let x = labels.inputs(&plan);
                    prop_assert_eq!(labels.run(&plan, &x).err(), None);
                }
            }
            prop_assert_eq!(&run_in_memory(&c, &inputs).unwrap(), &want);
        }
    }
}

/// The planner folds every AND of `(((a ^ b) ^ (b ^ c)) ^ (a ^ c)) & d`
/// (the sum is 0) compiled as it is written, without the compiler's
/// optimizer, and the result is the constant 0.
#[test]
fn a_cancelling_sum_and_a_wire_plan_no_and() {
    let src = "circuit c(garbler a: bool, garbler b: bool, evaluator c: bool, evaluator d: bool) -> bool { (((a ^ b) ^ (b ^ c)) ^ (a ^ c)) & d }";
    let compiled = yao_compiler::lang::compile_str("c", src).unwrap();
    // The same function, gate for gate as written.
    let mut c = compiled.clone();
    let w = |k: usize| c.inputs[k].wires[0];
    let (a, b, cc, d) = (w(0), w(1), w(2), w(3));
    let n = c.num_wires;
    c.gates = vec![
        Gate::Xor { a, b, out: n },
        Gate::Xor {
            a: b,
            b: cc,
            out: n + 1,
        },
        Gate::Xor {
            a: n,
            b: n + 1,
            out: n + 2,
        },
        Gate::Xor {
            a,
            b: cc,
            out: n + 3,
        },
        Gate::Xor {
            a: n + 2,
            b: n + 3,
            out: n + 4,
        },
        Gate::And {
            a: n + 4,
            b: d,
            out: n + 5,
        },
    ];
    c.num_wires = n + 6;
    c.outputs[0].wires = vec![n + 5];
    assert_eq!(c.stats().and, 1);
    for circuit in [&compiled, &c] {
        let plan = Arc::new(Plan::new(circuit).unwrap());
        assert_eq!(plan.num_ands(), 0);
        assert_eq!(check_slots(&plan), Ok(()));
        for x in 0..16u32 {
            let inputs: Vec<Vec<bool>> = (0..4).map(|k| vec![x >> k & 1 == 1]).collect();
            assert_eq!(run_plan(&plan, &inputs).unwrap(), vec![vec![false]]);
        }
    }
}

/// A random circuit heavy in free gates: XOR chains over recent wires, NOTs,
/// constants and a few ANDs, so the planner's flips, fused XORs (single-use
/// chains longer than the widest fused gate), cancellations (`x ^ x`) and
/// memoized `pi` of AND inputs read many times are all exercised.
/// `ops[i] = (kind, back_a, back_b)`: inputs are picked a short distance back.
fn build_free_heavy(g_bits: u32, e_bits: u32, ops: &[(u8, u8, u8)], outs: &[u32]) -> Circuit {
    let n_in = g_bits + e_bits;
    let mut gates = Vec::new();
    let mut n = n_in;
    for &(kind, x, y) in ops {
        let a = n - 1 - (x as u32 % n.min(6));
        let b = n - 1 - (y as u32 % n.min(9));
        gates.push(match kind % 10 {
            0 => Gate::And { a, b, out: n },
            1..=5 => Gate::Xor { a, b, out: n },
            6 => Gate::Xor { a, b: a, out: n },
            7..=8 => Gate::Not { a, out: n },
            _ => Gate::Const {
                value: x % 2 == 1,
                out: n,
            },
        });
        n += 1;
    }
    let mut c = random_circuit(g_bits, e_bits, &[], &[0], Reads::Anywhere);
    c.num_wires = n;
    c.gates = gates;
    let wires: Vec<u32> = outs.iter().map(|&o| o % n).collect();
    c.outputs[0].ty = ValueType::UInt(wires.len() as u32);
    c.outputs[0].wires = wires;
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Free-gate-heavy random circuits with tiny windows and steps: garbled
    /// evaluation equals plaintext, with both hash backends on either side,
    /// and the garbler's output zero-labels (flips applied) decode the
    /// evaluator's output labels.
    #[test]
    fn free_heavy_circuits_match_plaintext(
        g_bits in 1u32..5,
        e_bits in 1u32..5,
        ops in prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 0..160),
        outs in prop::collection::vec(any::<u32>(), 1..12),
        window in 1usize..40,
        step in 1usize..6,
        seed in any::<u64>(),
    ) {
        let c = build_free_heavy(g_bits, e_bits, &ops, &outs);
        let inputs = seeded_inputs(&c, seed, 5);
        let want = c.eval_plain(&inputs).unwrap();
        for (w, s, wide) in [(window, step, false), (window, step, true), (1, 1, false), (1 << 16, 256, false)] {
            let plan = if wide {
                Plan::with_limits_wide(&c, w, s).unwrap()
            } else {
                Plan::with_limits(&c, w, s).unwrap()
            };
            prop_assert_eq!(plan.free_encoding(), if wide { "wide" } else { "narrow" });
            let plan = Arc::new(plan);
            prop_assert_eq!(plan.verify(), Ok(()));
            prop_assert_eq!(&run_plan(&plan, &inputs).unwrap(), &want);
            prop_assert_eq!(&run_plan_with(&plan, &inputs, Tccr::portable(), Tccr::new()).unwrap(), &want);
            prop_assert_eq!(&run_plan_with(&plan, &inputs, Tccr::new(), Tccr::portable()).unwrap(), &want);
        }
        // Output labels: active = zero-label ^ value * Delta.
        let mut g = Garbler::new(&c, Delta::random()).unwrap();
        let mut e = Evaluator::new(&c).unwrap();
        let d = g.delta().block();
        e.set_input_labels(0, &g.encode_input(0, &inputs[0]).unwrap()).unwrap();
        let y: Vec<Block> = g.input_zero_labels(1).iter().zip(&inputs[1])
            .map(|(&l, &b)| l ^ (Block::mask(b) & d)).collect();
        e.set_input_labels(1, &y).unwrap();
        let mut t = Vec::new();
        loop {
            t.clear();
            if !g.garble_batch(&mut t) {
                break;
            }
            e.eval_batch(&t).unwrap();
        }
        let active = e.output_labels().unwrap();
        let zero = g.output_zero_labels();
        for ((a, z), v) in active[0].iter().zip(&zero[0]).zip(&want[0]) {
            prop_assert_eq!(*a, *z ^ (Block::mask(*v) & d));
        }
    }
}

/// A layered random circuit: `levels` of `width` ANDs each, every AND
/// reading two wires of the layer below (or the inputs), each through a NOT
/// with probability 1/4. Wide layers are what the VAES kernels pipeline
/// (whole chunks of 4 ANDs when garbling, 8 when evaluating, with a tail);
/// inputs read by several ANDs exercise the memoized `pi` both fresh and
/// reused.
fn build_layers(width: u32, picks: &[(u32, u32, u8)], levels: u32) -> Circuit {
    let n_in = 8u32.max(width);
    let mut c = random_circuit(n_in / 2, n_in - n_in / 2, &[], &[0], Reads::Anywhere);
    let mut gates = Vec::new();
    let (mut lo, mut hi) = (0u32, n_in); // wires of the layer below
    let mut n = n_in;
    let mut k = 0usize;
    for _ in 0..levels {
        let start = n;
        for _ in 0..width {
            let (x, y, nots) = picks[k % picks.len()];
            k += 1;
            let mut pick = |v: u32, not: bool| {
                let w = lo + v % (hi - lo);
                if not {
                    gates.push(Gate::Not { a: w, out: n });
                    n += 1;
                    n - 1
                } else {
                    w
                }
            };
            let a = pick(x, nots & 3 == 0);
            let b = pick(y, nots & 12 == 0);
            gates.push(Gate::And { a, b, out: n });
            n += 1;
        }
        (lo, hi) = (start, n);
    }
    c.num_wires = n;
    c.gates = gates;
    c.outputs[0].ty = ValueType::UInt(hi - lo);
    c.outputs[0].wires = (lo..hi).collect();
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Wide layers of ANDs with flipped inputs: the pipelined VAES kernels
    /// against the `aes` crate path (both ways) and plaintext.
    #[test]
    fn wide_layers_match_plaintext(
        width in 1u32..90,
        levels in 1u32..5,
        picks in prop::collection::vec((any::<u32>(), any::<u32>(), any::<u8>()), 1..64),
        seed in any::<u64>(),
    ) {
        let c = build_layers(width, &picks, levels);
        let inputs = seeded_inputs(&c, seed, 11);
        let want = c.eval_plain(&inputs).unwrap();
        let plan = Arc::new(Plan::new(&c).unwrap());
        prop_assert_eq!(plan.verify(), Ok(()));
        prop_assert_eq!(&run_plan(&plan, &inputs).unwrap(), &want);
        prop_assert_eq!(&run_plan_with(&plan, &inputs, Tccr::portable(), Tccr::new()).unwrap(), &want);
        prop_assert_eq!(&run_plan_with(&plan, &inputs, Tccr::new(), Tccr::portable()).unwrap(), &want);
    }
}

/// A circuit large enough to span several default windows and full steps.
#[test]
fn large_random_circuit_matches_plaintext() {
    let mut ops = Vec::new();
    let mut s = 0x9e3779b97f4a7c15u64;
    for _ in 0..150_000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        // Mostly recent wires, so the circuit is deep and wide at once.
        ops.push(((s % 6) as u8, (s >> 8) as u32, (s >> 36) as u32));
    }
    let outs: Vec<u32> = (0..64).map(|i| u32::MAX - i).collect();
    let c = random_circuit(64, 64, &ops, &outs, Reads::Anywhere);
    for _ in 0..3 {
        let inputs = random_inputs(&c);
        assert_eq!(
            run_in_memory(&c, &inputs).unwrap(),
            c.eval_plain(&inputs).unwrap()
        );
    }
}

#[test]
fn aes128_known_answer() {
    let Some(c) = load("bristol/aes_128.txt") else {
        return;
    };
    let key = hex_bits("000102030405060708090a0b0c0d0e0f", 128);
    let pt = hex_bits("00112233445566778899aabbccddeeff", 128);
    let out = run_in_memory(&c, &[key, pt]).unwrap();
    assert_eq!(bits_hex(&out[0]), "69c4e0d86a7b0430d8cdb78070b4c55a");
}

#[test]
fn sha256_known_answer() {
    let Some(c) = load("bristol/sha256.txt") else {
        return;
    };
    let block = hex_bits(
        "61626380000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000018",
        512,
    );
    let iv = hex_bits(
        "6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19",
        256,
    );
    let out = run_in_memory(&c, &[block, iv]).unwrap();
    assert_eq!(
        bits_hex(&out[0]),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

/// Every shared Bristol Fashion circuit (plain and MAND) on random inputs.
#[test]
fn every_shared_bristol_circuit_matches_plaintext() {
    let Some(dir) = shared_dir() else { return };
    let mut checked = 0;
    for sub in ["bristol", "bristol/mand"] {
        let mut files: Vec<_> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        for path in files {
            let rel = format!("{sub}/{}", path.file_name().unwrap().to_string_lossy());
            let c = load(&rel).unwrap();
            for _ in 0..2 {
                let inputs = random_inputs(&c);
                assert_eq!(
                    run_in_memory(&c, &inputs).unwrap(),
                    c.eval_plain(&inputs).unwrap(),
                    "{rel}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} circuits found");
}

/// Runs both parties over a channel pair: the garbler sends its active input
/// labels and (test-only, in place of OT) the evaluator's, then the tables
/// stream chunk by chunk (`garble_in_chunks` / `eval_in_chunks`), then the
/// decoding bits, one byte each (the cores do no I/O: this is the test's
/// own minimal protocol).
fn run_over<C: Channel + Send + 'static>(
    c: &Circuit,
    inputs: &[Vec<bool>],
    mut gch: C,
    mut ech: C,
) -> Vec<Vec<bool>> {
    let plan = Arc::new(Plan::new(c).unwrap());
    let (gplan, ginputs) = (Arc::clone(&plan), inputs.to_vec());
    let garbler = std::thread::spawn(move || {
        let mut g = Garbler::from_plan(gplan.clone(), Delta::random());
        for (k, bits) in ginputs.iter().enumerate() {
            let labels = match gplan.inputs()[k].party {
                Party::Garbler => g.encode_input(k, bits).unwrap(),
                Party::Evaluator => {
                    let d = g.delta().block();
                    g.input_zero_labels(k)
                        .iter()
                        .zip(bits)
                        .map(|(&l, &b)| l ^ (Block::mask(b) & d))
                        .collect()
                }
            };
            gch.send_blocks(&labels).unwrap();
        }
        let mut buf = Vec::new();
        g.garble_in_chunks(4096, &mut buf, |chunk| {
            gch.send_blocks(chunk)
                .map_err(|err| Box::new(err) as Box<dyn std::error::Error>)
        })
        .unwrap();
        let decoding: Vec<u8> = g
            .decoding_bits()
            .iter()
            .flatten()
            .map(|&b| b as u8)
            .collect();
        gch.write_all(&decoding).unwrap();
        gch.flush().unwrap();
    });
    let mut e = Evaluator::from_plan(Arc::clone(&plan));
    for (k, bits) in inputs.iter().enumerate() {
        let mut labels = vec![Block::ZERO; bits.len()];
        ech.recv_blocks(&mut labels).unwrap();
        e.set_input_labels(k, &labels).unwrap();
    }
    let mut buf = Vec::new();
    e.eval_in_chunks(4096, &mut buf, |chunk| {
        ech.recv_blocks(chunk)
            .map_err(|err| Box::new(err) as Box<dyn std::error::Error>)
    })
    .unwrap();
    let widths: Vec<usize> = c.outputs.iter().map(|o| o.wires.len()).collect();
    let mut bytes = vec![0u8; widths.iter().sum()];
    ech.read_exact(&mut bytes).unwrap();
    let mut at = 0;
    let decoding: Vec<Vec<bool>> = widths
        .iter()
        .map(|&w| {
            at += w;
            bytes[at - w..at].iter().map(|&b| b == 1).collect()
        })
        .collect();
    let out = e.decode(&decoding).unwrap();
    garbler.join().unwrap();
    out
}

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

#[test]
fn random_circuits_over_mem_and_tcp_channels() {
    let mut s = 0x1234_5678_9abc_def0u64;
    for round in 0..40 {
        let mut ops = Vec::new();
        for _ in 0..(50 + round * 200) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ops.push(((s % 7) as u8, (s >> 8) as u32, (s >> 36) as u32));
        }
        let outs: Vec<u32> = (0..17).map(|i| (s >> i) as u32).collect();
        let c = random_circuit(9, 11, &ops, &outs, Reads::Anywhere);
        let inputs = random_inputs(&c);
        let want = c.eval_plain(&inputs).unwrap();
        let (a, b) = MemChannel::pair();
        assert_eq!(run_over(&c, &inputs, a, b), want);
        if round % 4 == 0 {
            let (a, b) = tcp_pair();
            assert_eq!(run_over(&c, &inputs, a, b), want);
        }
    }
}

#[test]
fn shared_circuits_over_mem_and_tcp_channels() {
    for rel in [
        "bristol/aes_128.txt",
        "bristol/sha256.txt",
        "bristol/mult64.txt",
    ] {
        let Some(c) = load(rel) else { return };
        let inputs = random_inputs(&c);
        let want = c.eval_plain(&inputs).unwrap();
        let (a, b) = MemChannel::pair();
        assert_eq!(run_over(&c, &inputs, a, b), want, "{rel} mem");
        let (a, b) = tcp_pair();
        assert_eq!(run_over(&c, &inputs, a, b), want, "{rel} tcp");
    }
}

/// A circuit with no AND gate (and constants, NOTs, an input as output).
#[test]
fn circuit_without_ands() {
    let c = Circuit {
        name: "free".into(),
        num_wires: 6,
        inputs: vec![
            Input {
                name: "x".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(2),
                wires: vec![0, 1],
            },
            Input {
                name: "y".into(),
                party: Party::Evaluator,
                ty: ValueType::Bool,
                wires: vec![2],
            },
        ],
        outputs: vec![Output {
            name: "o".into(),
            ty: ValueType::UInt(4),
            wires: vec![3, 4, 5, 2],
        }],
        gates: vec![
            Gate::Xor { a: 0, b: 2, out: 3 },
            Gate::Not { a: 1, out: 4 },
            Gate::Const {
                value: true,
                out: 5,
            },
        ],
    };
    for x in 0..4u32 {
        for y in [false, true] {
            let inputs = vec![vec![x & 1 == 1, x & 2 == 2], vec![y]];
            assert_eq!(
                run_in_memory(&c, &inputs).unwrap(),
                c.eval_plain(&inputs).unwrap()
            );
        }
    }
}

/// out = XOR_i (x_i & y_i) ^ (x_i & x_{i+1} & y_i): with y = 0 the output is 0
/// for every x, so two garbler inputs give the same output.
fn view_circuit(n: u32) -> Circuit {
    let mut gates = Vec::new();
    let mut w = 2 * n;
    let mut acc = None;
    for i in 0..n {
        let (x, x2, y) = (i, (i + 1) % n, n + i);
        gates.push(Gate::And { a: x, b: y, out: w });
        gates.push(Gate::And {
            a: x,
            b: x2,
            out: w + 1,
        });
        gates.push(Gate::And {
            a: w + 1,
            b: y,
            out: w + 2,
        });
        gates.push(Gate::Xor {
            a: w,
            b: w + 2,
            out: w + 3,
        });
        let t = w + 3;
        w += 4;
        acc = Some(match acc {
            None => t,
            Some(a) => {
                gates.push(Gate::Xor { a, b: t, out: w });
                w += 1;
                w - 1
            }
        });
    }
    Circuit {
        name: "view".into(),
        num_wires: w,
        inputs: vec![
            Input {
                name: "x".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(n),
                wires: (0..n).collect(),
            },
            Input {
                name: "y".into(),
                party: Party::Evaluator,
                ty: ValueType::UInt(n),
                wires: (n..2 * n).collect(),
            },
        ],
        outputs: vec![Output {
            name: "o".into(),
            ty: ValueType::Bool,
            wires: vec![acc.unwrap()],
        }],
        gates,
    }
}

/// Everything the evaluator sees in one run: garbler input labels, its own
/// input labels (from OT), the tables, and the decoding bits (as a block).
fn evaluator_view(c: &Circuit, x: &[bool], y: &[bool]) -> (Vec<Block>, Vec<bool>) {
    let mut g = Garbler::new(c, Delta::random()).unwrap();
    let mut e = Evaluator::new(c).unwrap();
    let mut view = g.encode_input(0, x).unwrap();
    let d = g.delta().block();
    let ylabels: Vec<Block> = g
        .input_zero_labels(1)
        .iter()
        .zip(y)
        .map(|(&l, &b)| l ^ (Block::mask(b) & d))
        .collect();
    view.extend_from_slice(&ylabels);
    e.set_input_labels(0, &view[..x.len()]).unwrap();
    e.set_input_labels(1, &ylabels).unwrap();
    let mut tables = Vec::new();
    loop {
        let start = tables.len();
        if !g.garble_batch(&mut tables) {
            break;
        }
        e.eval_batch(&tables[start..]).unwrap();
    }
    view.extend_from_slice(&tables);
    let bits = g.decoding_bits();
    let out = e.decode(&bits).unwrap();
    (view, [bits[0].clone(), out[0].clone()].concat())
}

/// The evaluator's view for two garbler inputs with the same output: every
/// bit of every block is unbiased for both (within 6 sigma), the two
/// distributions agree, and no block ever repeats.
#[test]
fn evaluator_view_is_uniform_and_independent_of_garbler_input() {
    let n = 8;
    let c = view_circuit(n);
    let x_a = vec![false; n as usize];
    let x_b = vec![true; n as usize];
    let y = vec![false; n as usize];
    let runs = 2000;
    let mut seen = HashSet::new();
    let mut counts = [Vec::new(), Vec::new()];
    let mut dec_counts = [0usize; 2];
    for (side, x) in [&x_a, &x_b].into_iter().enumerate() {
        for _ in 0..runs {
            let (view, bits) = evaluator_view(&c, x, &y);
            assert!(!bits[1], "output must be 0");
            dec_counts[side] += bits[0] as usize;
            if counts[side].is_empty() {
                counts[side] = vec![0u32; view.len() * 128];
            }
            for (k, b) in view.iter().enumerate() {
                assert!(seen.insert(b.0), "a block of the view repeated");
                for bit in 0..128 {
                    counts[side][k * 128 + bit] += ((b.0 >> bit) & 1) as u32;
                }
            }
        }
    }
    // Binomial(runs, 1/2): sd = sqrt(runs)/2; 6 sigma over ~10^4 positions (false alarm ~1e-5).
    let sd = (runs as f64).sqrt() / 2.0;
    let half = runs as f64 / 2.0;
    for side in 0..2 {
        for (pos, &k) in counts[side].iter().enumerate() {
            assert!(
                (k as f64 - half).abs() < 6.0 * sd,
                "side {side} bit {pos}: {k}/{runs}"
            );
        }
        assert!(
            (dec_counts[side] as f64 - half).abs() < 6.0 * sd,
            "decoding bit biased"
        );
    }
    // The two distributions agree position by position (difference of two
    // binomials: sd * sqrt 2).
    for (pos, (&a, &b)) in counts[0].iter().zip(&counts[1]).enumerate() {
        assert!(
            (a as f64 - b as f64).abs() < 6.0 * sd * 2f64.sqrt(),
            "bit {pos}: {a} vs {b}"
        );
    }
}

#[test]
fn bad_calls_are_errors() {
    let c = view_circuit(4);
    let mut g = Garbler::new(&c, Delta::random()).unwrap();
    assert!(matches!(
        g.encode_input(0, &[true; 3]),
        Err(GarbleError::Width {
            expected: 4,
            found: 3,
            ..
        })
    ));
    assert!(matches!(
        g.encode_input(1, &[true; 4]),
        Err(GarbleError::WrongParty { .. })
    ));
    assert!(matches!(
        g.encode_input(7, &[]),
        Err(GarbleError::NoSuchGroup { group: 7, count: 2 })
    ));
    assert!(matches!(
        g.set_input_zero_labels(1, &[Block::ZERO; 5]),
        Err(GarbleError::Width { .. })
    ));
    assert!(matches!(
        g.set_input_zero_labels(2, &[]),
        Err(GarbleError::NoSuchGroup { .. })
    ));
    g.set_input_zero_labels(1, &[Block(1), Block(2), Block(3), Block(4)])
        .unwrap();
    assert_eq!(
        g.input_zero_labels(1),
        &[Block(1), Block(2), Block(3), Block(4)]
    );
    assert!(g.input_zero_labels(9).is_empty());

    let mut e = Evaluator::new(&c).unwrap();
    assert!(matches!(
        e.set_input_labels(0, &[Block::ZERO; 2]),
        Err(EvalError::Width { .. })
    ));
    assert!(matches!(
        e.set_input_labels(3, &[]),
        Err(EvalError::NoSuchGroup { .. })
    ));
    e.set_input_labels(0, &[Block::ZERO; 4]).unwrap();
    let n = e.next_batch_len();
    assert!(n > 0);
    assert!(
        matches!(e.eval_batch(&vec![Block::ZERO; n]), Err(EvalError::MissingInput { name }) if name == "y")
    );
    assert!(matches!(
        e.decode(&[vec![false]]),
        Err(EvalError::NotFinished { .. })
    ));
    e.set_input_labels(1, &[Block::ZERO; 4]).unwrap();
    assert!(matches!(
        e.eval_batch(&vec![Block::ZERO; n + 1]),
        Err(EvalError::TableLength { .. })
    ));
    e.eval_batch(&vec![Block::ZERO; n]).unwrap();
    assert!(matches!(
        e.set_input_labels(1, &[Block::ZERO; 4]),
        Err(EvalError::AlreadyStarted)
    ));
    while e.next_batch_len() > 0 {
        let n = e.next_batch_len();
        e.eval_batch(&vec![Block::ZERO; n]).unwrap();
    }
    assert!(matches!(e.eval_batch(&[]), Err(EvalError::Finished { .. })));
    assert!(matches!(
        e.decode(&[]),
        Err(EvalError::DecodingGroups {
            expected: 1,
            found: 0
        })
    ));
    assert!(matches!(
        e.decode(&[vec![false, true]]),
        Err(EvalError::DecodingWidth { .. })
    ));
    assert!(e.decode(&[vec![false]]).is_ok());

    let mut tables = Vec::new();
    while g.garble_batch(&mut tables) {}
    assert!(matches!(
        g.set_input_zero_labels(1, &[Block::ZERO; 4]),
        Err(GarbleError::AlreadyStarted)
    ));
    assert_eq!(tables.len() as u64, 2 * g.plan().num_ands());

    // An invalid circuit is an error from the constructors.
    let mut bad = c.clone();
    bad.gates[0] = Gate::And {
        a: 999,
        b: 0,
        out: 8,
    };
    assert!(matches!(
        Garbler::new(&bad, Delta::random()),
        Err(GarbleError::Circuit(_))
    ));
    assert!(matches!(Evaluator::new(&bad), Err(EvalError::Circuit(_))));
    assert!(run_in_memory(&c, &[vec![true; 4]]).is_err());
}

/// Tables hold exactly 2 blocks per AND and the batch lengths agree.
#[test]
fn batch_lengths_agree() {
    let Some(c) = load("bristol/aes_128.txt") else {
        return;
    };
    let mut g = Garbler::new(&c, Delta::random()).unwrap();
    let e = Evaluator::new(&c).unwrap();
    let mut total = 0;
    let mut buf = Vec::new();
    assert_eq!(g.next_batch_len(), e.next_batch_len());
    while g.garble_batch(&mut buf) {}
    total += buf.len();
    assert_eq!(total as u64, 2 * c.stats().and);
}

/// Garbling in place into a reused buffer makes the same tables as
/// appending to a vector, and a buffer too short for the step is an error.
#[test]
fn garble_batch_into_matches_garble_batch() {
    let Some(c) = load("bristol/sha256.txt") else {
        return;
    };
    let plan = Arc::new(Plan::new(&c).unwrap());
    let d = Block(0x0123_4567_89ab_cdef_0f1e_2d3c_4b5a_6979);
    let twin = || {
        let mut g = Garbler::from_plan(Arc::clone(&plan), Delta::from_block(d));
        for (k, i) in plan.inputs().iter().enumerate() {
            let labels: Vec<Block> = (0..i.slots.len() as u128)
                .map(|j| Block(((k as u128) << 64) | (j * 0x9e37_79b9)))
                .collect();
            g.set_input_zero_labels(k, &labels).unwrap();
        }
        g
    };
    let (mut a, mut b) = (twin(), twin());
    let mut appended = Vec::new();
    while a.garble_batch(&mut appended) {}
    // Stale contents must not leak into the tables: start from garbage.
    let mut buf = vec![Block(u128::MAX); 2 * plan.max_step_ands() + 3];
    let mut in_place = Vec::new();
    let short = b.next_batch_len() - 1;
    assert!(matches!(
        b.garble_batch_into(&mut buf[..short]),
        Err(GarbleError::BufferTooSmall { needed, found }) if needed == short + 1 && found == short
    ));
    loop {
        let n = b.garble_batch_into(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        in_place.extend_from_slice(&buf[..n]);
    }
    assert_eq!(in_place, appended);
    assert_eq!(b.garble_batch_into(&mut []).unwrap(), 0);
    assert_eq!(a.decoding_bits(), b.decoding_bits());
}

/// Output zero-labels are secret (one of them XOR the evaluator's one-label
/// of the same wire is `Delta`): the garbler hands them out only in a
/// wrapper that wipes them on drop, so no caller can drop a copy unwiped.
#[test]
fn output_zero_labels_are_handed_out_wiped_on_drop() {
    fn wiped_on_drop<T: zeroize::Zeroize>(_: &zeroize::Zeroizing<T>) {}
    let c = common::bristol::parse("and", "1 3\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n");
    let mut g = Garbler::new(&c, yao_core::Delta::random()).unwrap();
    let mut tables = Vec::new();
    while g.garble_batch(&mut tables) {}
    wiped_on_drop(&g.output_zero_labels());
}
