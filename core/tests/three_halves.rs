//! The scalar three-halves reference (`yao_core::three_halves::{garble_and_with,
//! eval_and}`) as the oracle of the batched [`ThreeHalvesGarbler`] and
//! [`ThreeHalvesEvaluator`], and the plaintext semantics
//! (`Circuit::eval_plain`) as the oracle of both.
//!
//! Each test garbles a circuit with the real garbler, replays the plan gate
//! by gate with the reference over the same input zero-labels, `Delta` and
//! AND numbering, and requires every table and output zero-label to be
//! equal. The garbler's two random bits per AND are its secret: the replay
//! finds them as the one value of the four for which the reference table
//! equals the real one (distinct bits give distinct control bits `z0, z1`),
//! and the test checks that all four values occur. The real evaluator's
//! output labels must equal a gate-by-gate evaluation with the reference,
//! which at every AND must give `C0 ^ (a & b)*Delta`.

use std::sync::Arc;
use yao_core::hash::Tccr;
use yao_core::ir::{Circuit, Gate, Input, Output, Party, ValueType};
use yao_core::plan::{FreeOps, Plan, NO_SLOT};
use yao_core::three_halves::{
    eval_and, garble_and_with, run_in_memory, step_bytes, unpack_step, Table, ThreeHalvesEvaluator,
    ThreeHalvesGarbler, TABLE_BYTES,
};
use yao_core::tweak::{first_repeat, record, AndCounter};
use yao_core::{Block, Delta};

/// A small deterministic generator (xorshift64*), so failures reproduce.
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

/// A random circuit: `g_bits` garbler and `e_bits` evaluator inputs, `gates`
/// gates (ANDs, XORs, NOTs, constants reading any earlier wire), `outs`
/// outputs (inputs, constants, repeats and dead wires included).
fn random_circuit(rng: &mut Rng, g_bits: u32, e_bits: u32, gates: u32, outs: u32) -> Circuit {
    let n_in = g_bits + e_bits;
    let mut n = n_in;
    let mut list = Vec::new();
    for _ in 0..gates {
        let (a, b) = (rng.below(n), rng.below(n));
        list.push(match rng.below(7) {
            0..=2 => Gate::And { a, b, out: n },
            3..=4 => Gate::Xor { a, b, out: n },
            5 => Gate::Not { a, out: n },
            _ => Gate::Const {
                value: a % 2 == 1,
                out: n,
            },
        });
        n += 1;
    }
    let out_wires: Vec<u32> = (0..outs).map(|_| rng.below(n)).collect();
    Circuit {
        name: "random".into(),
        num_wires: n,
        inputs: vec![
            Input {
                name: "in0".into(),
                party: Party::Garbler,
                ty: ValueType::UInt(g_bits),
                wires: (0..g_bits).collect(),
            },
            Input {
                name: "in1".into(),
                party: Party::Evaluator,
                ty: ValueType::UInt(e_bits),
                wires: (g_bits..n_in).collect(),
            },
        ],
        outputs: vec![Output {
            name: "out0".into(),
            ty: ValueType::UInt(out_wires.len() as u32),
            wires: out_wires,
        }],
        gates: list,
    }
}

fn random_bits(rng: &mut Rng, n: usize) -> Vec<bool> {
    (0..n).map(|_| rng.next() & 1 == 1).collect()
}

fn run_frees(labels: &mut [Block], ops: FreeOps<'_>) {
    for (out, ins) in ops.gates() {
        labels[out as usize] = ins
            .iter()
            .fold(Block::ZERO, |acc, &s| acc ^ labels[s as usize]);
    }
}

/// Garbles and evaluates `circuit` on `inputs` with the real parties
/// (ANDs numbered from `first_and`), checks them against the gate-by-gate
/// reference and returns the decoded outputs and how often each value of
/// the garbler's random bits occurred.
fn check(circuit: &Circuit, inputs: &[Vec<bool>], first_and: u64) -> (Vec<Vec<bool>>, [u64; 4]) {
    check_with(circuit, inputs, first_and, Tccr::new(), Tccr::new())
}

/// [`check`] with the garbler on the hash backend `hash` and the
/// evaluator on `eval_hash`: the VAES kernels (`Tccr::new()` on a CPU
/// that has it) or the portable batched paths (`Tccr::portable()`), each
/// checked against the reference.
fn check_with(
    circuit: &Circuit,
    inputs: &[Vec<bool>],
    first_and: u64,
    hash: Tccr,
    eval_hash: Tccr,
) -> (Vec<Vec<bool>>, [u64; 4]) {
    let plan = Arc::new(Plan::new(circuit).expect("plannable"));
    let delta = Delta::random();
    let d = delta.block();
    let mut g = ThreeHalvesGarbler::with_hash(Arc::clone(&plan), delta.clone(), hash);
    let mut e = ThreeHalvesEvaluator::with_hash(Arc::clone(&plan), eval_hash);
    g.set_first_and(first_and).unwrap();
    e.set_first_and(first_and).unwrap();
    let zero_in: Vec<Vec<Block>> = (0..plan.inputs().len())
        .map(|k| g.input_zero_labels(k).to_vec())
        .collect();
    for (k, bits) in inputs.iter().enumerate() {
        let active: Vec<Block> = zero_in[k]
            .iter()
            .zip(bits)
            .map(|(&l, &b)| l ^ (Block::mask(b) & d))
            .collect();
        if plan.inputs()[k].party == Party::Garbler {
            assert_eq!(g.encode_input(k, bits).unwrap(), active);
        }
        e.set_input_labels(k, &active).unwrap();
    }
    let mut real = Vec::new();
    let (_, ranges) = record(|| {
        let mut buf = vec![0u8; TABLE_BYTES * plan.max_step_ands()];
        loop {
            let n = g.garble_batch_into(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            real.extend_from_slice(&buf[..n]);
            e.eval_batch(&buf[..n]).unwrap();
        }
    });
    assert!(first_repeat(&ranges).is_none());
    assert_eq!(ranges.iter().map(|r| r.ands).sum::<u64>(), plan.num_ands());
    let wire: usize = (0..plan.num_steps())
        .map(|i| step_bytes(plan.step(i).unwrap().ands.len()))
        .sum();
    assert_eq!(real.len(), wire);
    assert!(8 * real.len() as u64 <= 197 * plan.num_ands() + 7 * plan.num_steps() as u64);

    // The reference, gate by gate.
    let h = Tccr::portable();
    let dm = |bit: bool| Block::mask(bit) & d;
    let mut z = vec![Block::ZERO; plan.num_slots().max(1)];
    let mut a = z.clone();
    for ((grp, zl), bits) in plan.inputs().iter().zip(&zero_in).zip(inputs) {
        for ((&s, &l), &bit) in grp.slots.iter().zip(zl).zip(bits) {
            if s != NO_SLOT {
                z[s as usize] = l;
                a[s as usize] = l ^ dm(bit);
            }
        }
    }
    run_frees(&mut z, plan.prelude());
    run_frees(&mut a, plan.prelude());
    let mut rhos = [0u64; 4];
    let mut at = 0;
    for i in 0..plan.num_steps() {
        let step = plan.step(i).unwrap();
        let n = step.ands.len();
        let tables = unpack_step(&real[at..at + step_bytes(n)], n).unwrap();
        at += step_bytes(n);
        for (j, op) in step.ands.iter().enumerate() {
            let k = first_and + step.first_and + j as u64;
            let a0 = z[op.a as usize] ^ dm(op.flip_a);
            let b0 = z[op.b as usize] ^ dm(op.flip_b);
            let got = tables[j].to_bytes();
            let matches: Vec<(usize, Table, Block)> = (0..4)
                .map(|r| {
                    let (t, c0) = garble_and_with(&h, d, a0, b0, k, [r & 1 == 1, r & 2 == 2]);
                    (r, t, c0)
                })
                .filter(|(_, t, _)| t.to_bytes()[..] == got[..])
                .collect();
            assert_eq!(
                matches.len(),
                1,
                "AND {k}: the real table is no reference table"
            );
            let (r, t, c0) = matches[0];
            rhos[r] += 1;
            let (la, lb) = (a[op.a as usize], a[op.b as usize]);
            let (va, vb) = (la != a0, lb != b0);
            assert!(
                la == a0 ^ dm(va) && lb == b0 ^ dm(vb),
                "AND {k}: not a label"
            );
            let c = eval_and(&h, la, lb, &t, k);
            assert_eq!(c, c0 ^ dm(va & vb), "AND {k}: eval_and against garble_and");
            z[op.out as usize] = c0;
            a[op.out as usize] = c;
        }
        run_frees(&mut z, step.frees);
        run_frees(&mut a, step.frees);
    }
    let zero_out: Vec<Vec<Block>> = plan
        .outputs()
        .iter()
        .map(|o| {
            o.slots
                .iter()
                .zip(&o.flips)
                .map(|(&s, &f)| z[s as usize] ^ dm(f))
                .collect()
        })
        .collect();
    let active_out: Vec<Vec<Block>> = plan
        .outputs()
        .iter()
        .map(|o| o.slots.iter().map(|&s| a[s as usize]).collect())
        .collect();
    assert_eq!(*g.output_zero_labels(), zero_out, "output zero-labels");
    assert_eq!(
        e.output_labels().unwrap(),
        active_out,
        "active output labels"
    );
    let out = e.decode(&g.decoding_bits()).unwrap();
    (out, rhos)
}

/// Random circuits: outputs equal the plaintext evaluation, and the real
/// parties equal the reference gate by gate, from AND number 0 and from a
/// large one.
#[test]
fn random_circuits_match_plain_and_reference() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for case in 0..150u64 {
        let g_bits = 1 + rng.below(12);
        let e_bits = 1 + rng.below(12);
        let gates = rng.below(if case % 10 == 0 { 3000 } else { 200 });
        let outs = 1 + rng.below(40);
        let c = random_circuit(&mut rng, g_bits, e_bits, gates, outs);
        let inputs = vec![
            random_bits(&mut rng, g_bits as usize),
            random_bits(&mut rng, e_bits as usize),
        ];
        let want = c.eval_plain(&inputs).unwrap();
        let first = if case % 2 == 0 { 0 } else { (1 << 61) + case };
        let (got, _) = check(&c, &inputs, first);
        assert_eq!(got, want, "case {case}");
        // The portable garbler and evaluator too (the VAES kernels above,
        // if the CPU has them), each with the other's counterpart.
        if case % 3 == 0 {
            let (got, _) = check_with(&c, &inputs, first, Tccr::portable(), Tccr::new());
            assert_eq!(got, want, "case {case}, portable garbler");
            let (got, _) = check_with(&c, &inputs, first, Tccr::new(), Tccr::portable());
            assert_eq!(got, want, "case {case}, portable evaluator");
        }
        let plan = Arc::new(Plan::new(&c).unwrap());
        assert_eq!(run_in_memory(&plan, &inputs).unwrap(), want, "case {case}");
    }
}

/// Several executions under one `Delta`-like numbering: AND numbers from an
/// [`AndCounter`], recorded tweak ranges never overlap.
#[test]
fn tweak_ranges_never_repeat_across_executions() {
    let mut rng = Rng(42);
    let c = random_circuit(&mut rng, 8, 8, 500, 8);
    let plan = Arc::new(Plan::new(&c).unwrap());
    let delta = Delta::random();
    let mut counter = AndCounter::new();
    let (_, ranges) = record(|| {
        for _ in 0..3 {
            let mut g = ThreeHalvesGarbler::from_plan(Arc::clone(&plan), delta.clone());
            g.set_first_and(counter.take(plan.num_ands()).unwrap())
                .unwrap();
            let mut out = Vec::new();
            while g.garble_batch(&mut out) {}
        }
    });
    assert!(first_repeat(&ranges).is_none());
    assert_eq!(
        ranges.iter().map(|r| r.ands).sum::<u64>(),
        3 * plan.num_ands()
    );
}

/// AES-128 (Bristol Fashion, from the shared circuits when present):
/// the plaintext answer, gate-by-gate agreement, and every value of the
/// garbler's random bits about a quarter of the time.
#[test]
fn aes128_known_answer() {
    let dir = std::env::var_os("YAO_SHARED_CIRCUITS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/circuits")
        });
    let path = dir.join("bristol/aes_128.txt");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: {} not found", path.display());
        return;
    };
    let c = yao_compiler::bristol::parse("aes_128", &text, &Default::default()).unwrap();
    let bits = |bytes: [u8; 16]| -> Vec<bool> {
        (0..128)
            .map(|i| (bytes[i / 8] >> (i % 8)) & 1 == 1)
            .collect()
    };
    let key: [u8; 16] = core::array::from_fn(|i| i as u8);
    let pt: [u8; 16] = core::array::from_fn(|i| (i as u8) * 0x11);
    let inputs = vec![bits(key), bits(pt)];
    let want = c.eval_plain(&inputs).unwrap();
    let (got, rhos) = check(&c, &inputs, 5);
    assert_eq!(got, want);
    let n: u64 = rhos.iter().sum();
    assert_eq!(n, 6400);
    for r in rhos {
        assert!(
            r > n / 4 - n / 20 && r < n / 4 + n / 20,
            "random bits skewed: {rhos:?}"
        );
    }
}

/// The shared circuit collection, or `None` (the test is skipped) if it is
/// absent and `YAO_REQUIRE_SHARED` is not set.
fn shared_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("YAO_SHARED_CIRCUITS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/circuits")
        });
    if dir.join("bristol").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("YAO_REQUIRE_SHARED").is_none(),
        "YAO_REQUIRE_SHARED is set but {} has no bristol/",
        dir.display()
    );
    eprintln!("skipping: {} not found", dir.display());
    None
}

/// Every published Bristol / MAND circuit of the shared collection, on
/// random inputs: both VAES kernels against the reference gate by gate (and
/// the outputs against `eval_plain`), and the portable garbler and
/// evaluator against it too.
#[test]
fn published_circuits_match_reference() {
    let Some(dir) = shared_dir() else { return };
    let mut rng = Rng(0xb415_7013);
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
            let Ok(c) = yao_compiler::bristol::parse("c", &text, &Default::default()) else {
                continue;
            };
            let inputs: Vec<Vec<bool>> = c
                .inputs
                .iter()
                .map(|i| random_bits(&mut rng, i.wires.len()))
                .collect();
            let want = c.eval_plain(&inputs).unwrap();
            let name = path.display();
            let (got, _) = check(&c, &inputs, 3 + ran);
            assert_eq!(got, want, "{name}");
            let (got, _) = check_with(&c, &inputs, 1 << 40, Tccr::portable(), Tccr::portable());
            assert_eq!(got, want, "{name}, portable");
            ran += 1;
        }
    }
    assert!(ran >= 2, "AES-128 and SHA-256 at least");
}

/// Prints AND/s of both schemes on AES-128 (run with `--release --ignored
/// --nocapture`; the machine is shared, so each figure is the best of 20
/// windows, see `yao_core::bench::rate`).
#[test]
#[ignore]
fn print_rates() {
    use yao_core::bench::{
        eval_rate, eval_rate_three_halves, garble_rate, garble_rate_three_halves,
    };
    let dir = std::env::var_os("YAO_SHARED_CIRCUITS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/circuits")
        });
    let secs: f64 = std::env::var("YAO_RATE_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    for name in ["aes_128", "sha256"] {
        let path = dir.join(format!("bristol/{name}.txt"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipping {name}: {} not found", path.display());
            continue;
        };
        let c = yao_compiler::bristol::parse(name, &text, &Default::default()).unwrap();
        // YAO_RATE_ONLY=garble3 (or garble2, eval2, eval3) runs one rate,
        // for profiling.
        let only = std::env::var("YAO_RATE_ONLY").unwrap_or_default();
        let run = |tag: &str, f: &dyn Fn() -> f64| {
            if only.is_empty() || only == tag {
                f()
            } else {
                f64::NAN
            }
        };
        let hg = run("garble2", &|| garble_rate(&c, secs));
        let th = run("garble3", &|| garble_rate_three_halves(&c, secs));
        let he = run("eval2", &|| eval_rate(&c, secs));
        let te = run("eval3", &|| eval_rate_three_halves(&c, secs));
        println!(
            "{name}: garble half-gates {hg:.3e} AND/s, three-halves {th:.3e} ({:.2}x); \
             eval half-gates {he:.3e}, three-halves {te:.3e} ({:.2}x)",
            th / hg,
            te / he
        );
    }
}
