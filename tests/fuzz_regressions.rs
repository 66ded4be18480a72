//! Replays the fuzzers' inputs in the normal test suite: every file under
//! `fuzz/regressions/<target>/` (inputs that once crashed, hung or
//! misbehaved) and `fuzz/seeds/<target>/` (the seed corpus) goes through the
//! same harness function the fuzz target calls (`fuzz/src/lib.rs`, included
//! below). None may panic, abort, hang or exhaust memory (each runs in a
//! child process with limited address space); a regression input whose name
//! ends in `.err` must also be refused with an error.
//!
//! `cargo test --release --test fuzz_regressions -- --ignored record_seeds`
//! regenerates the recorded-session seeds.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none if it does not exist).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Address space a replaying child process may use: an input that makes the
/// code allocate without bound fails here instead of exhausting the machine.
const CHILD_MEMORY_KIB: u64 = 4 << 20;
/// A child still running after this long is a hang (a guard, not a timing).
const CHILD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(600);

/// Runs every input of `kind` through its target, each target's inputs in a
/// child process with limited memory (see `replay_child`), so that an input
/// that loops or allocates without bound is reported by name instead of
/// taking the test run down. Returns how many inputs ran.
fn replay(kind: &str) -> usize {
    let mut ran = 0;
    let mut failures = Vec::new();
    for (target, _) in harness::TARGETS {
        let files = inputs(kind, target);
        if files.is_empty() {
            continue;
        }
        ran += files.len();
        // Seeds share one child per target; each regression input gets its
        // own, so one that kills its process does not hide the others.
        let mut shared = None;
        for path in &files {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let (out, err, status) = if kind == "regressions" {
                run_child(kind, target, Some(&name))
            } else {
                shared
                    .get_or_insert_with(|| run_child(kind, target, None))
                    .clone()
            };
            let shown = format!("{kind}/{target}/{name}");
            let line = out
                .lines()
                .find_map(|l| l.strip_prefix(&format!("DONE {name} ")));
            match line {
                None if out.contains(&format!("START {name}\n")) => failures.push(format!(
                    "{shown}: the process died ({status}): it aborted, ran out of its \
                     {CHILD_MEMORY_KIB} KiB or hung\n{}",
                    tail(&err)
                )),
                None => failures.push(format!("{shown}: not run ({status})\n{}", tail(&err))),
                Some(l) if l.starts_with("panic") => failures.push(format!("{shown}: {l}")),
                // An allocation failure that surfaced as an error still means
                // the size was not bounded before allocating.
                Some(l) if l.contains("out of memory") => failures.push(format!(
                    "{shown}: ran out of its {CHILD_MEMORY_KIB} KiB: {l}"
                )),
                Some(l) if l == "ok" && kind == "regressions" && name.ends_with(".err") => {
                    failures.push(format!("{shown}: accepted, but must be refused"))
                }
                Some(l) if l.starts_with("err") && l.trim() == "err:" => {
                    failures.push(format!("{shown}: refused with an empty message"))
                }
                Some(l) => println!("{shown}: {l}"),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    ran
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}

/// Runs this test binary's `replay_child` on `kind/target` under
/// `ulimit -v`, killing it after [`CHILD_DEADLINE`].
fn run_child(kind: &str, target: &str, only: Option<&str>) -> (String, String, String) {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {CHILD_MEMORY_KIB} && exec \"$0\" \"$@\""
        ))
        .arg(exe)
        .args(["replay_child", "--exact", "--nocapture", "--test-threads=1"])
        .env("YAO_FUZZ_REPLAY", format!("{kind}/{target}"))
        .env("YAO_FUZZ_ONLY", only.unwrap_or(""))
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the replaying child");
    // Drain both pipes on threads so a chatty child cannot block.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut so, &mut s).ok();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut se, &mut s).ok();
        s
    });
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.to_string();
        }
        if started.elapsed() > CHILD_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break format!("killed after {CHILD_DEADLINE:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (out.join().unwrap(), err.join().unwrap(), status)
}

/// Not a test by itself: the child process `replay` starts. With
/// `YAO_FUZZ_REPLAY=kind/target` it feeds each input to the target and
/// prints `START name` before and `DONE name ok|err: ...|panic` after.
#[test]
fn replay_child() {
    let Ok(which) = std::env::var("YAO_FUZZ_REPLAY") else {
        return;
    };
    let (kind, target) = which.split_once('/').expect("kind/target");
    let run = harness::TARGETS
        .iter()
        .find(|(t, _)| *t == target)
        .expect("a known target")
        .1;
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
    let only = std::env::var("YAO_FUZZ_ONLY").unwrap_or_default();
    for path in inputs(kind, target) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !only.is_empty() && name != only {
            continue;
        }
        let data = std::fs::read(&path).expect("readable input");
        println!("START {name}");
        let said = match catch_unwind(AssertUnwindSafe(|| run(&data))) {
            Err(_) => "panic (message on stderr)".to_string(),
            Ok(Ok(())) => "ok".to_string(),
            Ok(Err(e)) => format!("err: {}", e.lines().next().unwrap_or("")),
        };
        println!("DONE {name} {said}");
    }
}

#[test]
fn regression_inputs_are_handled() {
    let ran = replay("regressions");
    println!("{ran} regression inputs replayed");
}

#[test]
fn seed_corpus_is_handled() {
    let ran = replay("seeds");
    assert!(ran > 0, "no seeds under fuzz/seeds");
}

/// Found by the `ot_messages` target: an OT-extension batch of zero OTs
/// made both IKNP cores panic ("chunk size must be non-zero") instead of
/// doing nothing. The session layer never asks for one, but these are
/// public functions.
#[test]
fn empty_ot_extension_batches_do_not_panic() {
    use yao_core::block::{Block, Delta};
    use yao_core::ot::iknp::{ChunkMsg, IknpReceiver, IknpSender, KAPPA};
    let seeds: Vec<Block> = (0..KAPPA as u128).map(Block).collect();
    let pairs: Vec<[Block; 2]> = (0..KAPPA as u128).map(|i| [Block(i), Block(!i)]).collect();
    let receive = catch_unwind(|| {
        let mut sender = IknpSender::new(&Delta::from_block(Block(3)), &seeds);
        sender.receive(&ChunkMsg::new(0), &mut Vec::new());
    });
    let send = catch_unwind(|| {
        let mut receiver = IknpReceiver::new(&pairs);
        let mut msg = ChunkMsg::default();
        receiver.send(&[], &mut msg, &mut Vec::new());
        assert_eq!(msg.ots(), 0);
    });
    assert!(
        receive.is_ok() && send.is_ok(),
        "IknpSender::receive of 0 OTs panicked: {}; IknpReceiver::send of 0 OTs panicked: {}",
        receive.is_err(),
        send.is_err()
    );
}

/// The DSL seeds that `run.sh` adds from `circuits/`: every real circuit
/// must compile through the fuzz harness.
#[test]
fn repository_circuits_pass_the_dsl_harness() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("circuits/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "yao") {
            let text = std::fs::read(&path).expect("readable");
            assert_eq!(harness::dsl(&text), Ok(()), "{}", path.display());
            n += 1;
        }
    }
    assert!(n > 0);
}

/// An honest session's bytes, as each party received them, become the seeds
/// of the protocol targets.
#[test]
#[ignore = "writes fuzz/seeds/; run by hand when the wire format changes"]
fn record_seeds() {
    use std::sync::{Arc, Mutex};
    use yao_compiler::ir::Party;
    use yao_runtime::channel::{Channel, ChannelError, Traffic};
    use yao_runtime::protocol::handshake::Role;
    use yao_runtime::protocol::{EvaluatorSession, GarblerSession};
    use yao_runtime::MemChannel;

    /// Records every byte read through it.
    struct Recording(MemChannel, Arc<Mutex<Vec<u8>>>);
    impl Channel for Recording {
        fn write_all(&mut self, data: &[u8]) -> Result<(), ChannelError> {
            self.0.write_all(data)
        }
        fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), ChannelError> {
            self.0.read_exact(buf)?;
            self.1.lock().unwrap().extend_from_slice(buf);
            Ok(())
        }
        fn flush(&mut self) -> Result<(), ChannelError> {
            self.0.flush()
        }
        fn traffic(&self) -> Traffic {
            self.0.traffic()
        }
    }

    let write = |target: &str, name: String, bytes: &[u8]| {
        let dir = fuzz_dir().join("seeds").join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    /// `party`'s input bits: `seed`'s bits, repeated across each input.
    fn seed_bits(circuit: &yao_compiler::ir::Circuit, party: Party, seed: u8) -> Vec<Vec<bool>> {
        circuit
            .inputs
            .iter()
            .filter(|i| i.party == party)
            .map(|i| {
                (0..i.wires.len())
                    .map(|b| seed >> (b % 8) & 1 == 1)
                    .collect()
            })
            .collect()
    }
    let seed = 0b1011_0110u8;
    for (k, circuit) in harness::protocol_circuits().iter().enumerate() {
        let (a, b) = MemChannel::pair();
        let (glog, elog) = (Arc::default(), Arc::default());
        let garbler_log = Arc::clone(&glog);
        let g_inputs = seed_bits(circuit, Party::Garbler, seed);
        let garbler = std::thread::spawn(move || {
            let mut s = GarblerSession::start(Recording(a, garbler_log), circuit).unwrap();
            s.execute(&g_inputs).unwrap();
            s.finish().unwrap();
        });
        let mut s = EvaluatorSession::start(Recording(b, Arc::clone(&elog)), circuit).unwrap();
        s.execute(&seed_bits(circuit, Party::Evaluator, seed))
            .unwrap();
        s.finish().unwrap();
        garbler.join().unwrap();
        let (glog, elog) = (glog.lock().unwrap(), elog.lock().unwrap());

        // Setup: a hello, then the base-OT frames each party reads.
        let e_setup = harness::setup_len(Role::Evaluator);
        let g_setup = harness::setup_len(Role::Garbler);
        let k8 = k as u8;
        write(
            "handshake",
            format!("recorded-evaluator-{k}"),
            &[&[k8 << 1], &elog[..]].concat(),
        );
        write(
            "handshake",
            format!("recorded-garbler-{k}"),
            &[&[k8 << 1 | 1], &glog[..]].concat(),
        );
        write(
            "evaluator_stream",
            format!("recorded-{k}"),
            &[&[k8, seed], &elog[e_setup..]].concat(),
        );
        write(
            "garbler_stream",
            format!("recorded-raw-{k}"),
            &[&[k8, seed | 1], &glog[g_setup..]].concat(),
        );
        // The harness supplies the OT count itself in this mode.
        write(
            "garbler_stream",
            format!("recorded-{k}"),
            &[&[k8, seed & !1], &glog[g_setup + 8..]].concat(),
        );
    }

    // The evaluator's table stream with three-halves (picks past the
    // circuits): the honest garbler's bytes after setup.
    let circuits = harness::protocol_circuits();
    let settings = yao_runtime::protocol::Settings {
        scheme: yao_core::Scheme::ThreeHalves,
        ..Default::default()
    };
    for (k, circuit) in circuits.iter().enumerate() {
        let (a, b) = MemChannel::pair();
        let elog: Arc<Mutex<Vec<u8>>> = Arc::default();
        let g_inputs = seed_bits(circuit, Party::Garbler, seed);
        let garbler = std::thread::spawn(move || {
            let setup = yao_runtime::protocol::GarblerSetup::new(circuit)
                .unwrap()
                .with_settings(settings);
            let mut s = GarblerSession::start_prepared(a, setup).unwrap();
            s.execute(&g_inputs).unwrap();
            s.finish().unwrap();
        });
        let setup = yao_runtime::protocol::EvaluatorSetup::new(circuit)
            .unwrap()
            .with_settings(settings);
        let mut s =
            EvaluatorSession::start_prepared(Recording(b, Arc::clone(&elog)), setup).unwrap();
        s.execute(&seed_bits(circuit, Party::Evaluator, seed))
            .unwrap();
        s.finish().unwrap();
        garbler.join().unwrap();
        let elog = elog.lock().unwrap();
        let pick = (k + circuits.len()) as u8;
        write(
            "evaluator_stream",
            format!("recorded-three-halves-{k}"),
            &[&[pick, seed], &elog[harness::setup_len(Role::Evaluator)..]].concat(),
        );
    }

    // Authenticated garbling: each honest online message, for every deal
    // circuit (accepted: the target's accepting paths).
    for seed in 0..harness::protocol_circuits().len() as u16 {
        for which in 0..4u8 {
            write(
                "auth_garbling_messages",
                format!("honest-{which}-{seed}"),
                &harness::auth_garbling_seed(which, seed),
            );
        }
    }

    // OT messages: one of each kind, valid.
    use yao_core::ot::{csw, iknp};
    let (_, msg) = csw::BaseReceiver::new(&[true, false]);
    write(
        "ot_messages",
        "csw-receiver-msg".into(),
        &[&[0u8, 2, 0][..], msg.as_bytes()].concat(),
    );
    // A sender key and a challenge for 3 OTs (of some other session).
    let sent = csw::BaseSender::new();
    let key = sent.key().clone();
    let (_, msg) = csw::BaseReceiver::new(&[true, false, true]);
    let keys = sent.keys(&msg).unwrap();
    write(
        "ot_messages",
        "csw-sender-key-challenge".into(),
        &[
            &[1u8, 0x05, 0x03][..],
            key.as_bytes(),
            keys.challenge().as_bytes(),
        ]
        .concat(),
    );
    let mut chunk = iknp::ChunkMsg::new(128);
    chunk
        .as_bytes_mut()
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = i as u8);
    write(
        "ot_messages",
        "chunk".into(),
        &[&[2u8, 128, 0][..], chunk.as_bytes()].concat(),
    );
    write(
        "ot_messages",
        "receiver-send".into(),
        &[3u8, 200, 0, 0xa5, 0x5a, 0xff, 0x00, 0x13],
    );
    // The malicious setup's bootstrap swap bits (any 16 bytes are valid).
    write(
        "preprocess_messages",
        "bootstrap-swap".into(),
        &[&[4u8, 0, 0][..], &[0xa5; 16]].concat(),
    );
    // The malicious preprocessing's SoftSpokenOT (k = 4): an honest tree
    // setup and extension of 40 OTs, then a check message of zeros.
    {
        use yao_core::auth::kos::KosReceiver;
        let (mut rx, tree) = KosReceiver::soft_spoken(4, &harness::soft_spoken_pairs());
        let (ext, _) = rx.extend(&[true; 40]);
        // count 121: k = [2, 4, 8][121 % 3] = 4, n = 121 / 3 = 40.
        write(
            "preprocess_messages",
            "softspoken-k4-extend-40".into(),
            &[
                &[5u8, 121, 0][..],
                &tree.to_bytes(),
                &ext.to_bytes(),
                &[0; 96],
            ]
            .concat(),
        );
    }
    // SoftSpokenOT: honest tree sums and one honest batch, for every k.
    use yao_core::ot::softspoken::{self, SoftSpokenReceiver};
    let pairs: Vec<[yao_core::Block; 2]> = (0..iknp::KAPPA as u128)
        .map(|i| [yao_core::Block(i * 3), yao_core::Block(!i)])
        .collect();
    for (i, &k) in softspoken::SUPPORTED_K.iter().enumerate() {
        let (mut rx, tree) = SoftSpokenReceiver::new(k, &pairs);
        let pick = (i as u8) << 1;
        write(
            "softspoken_messages",
            format!("tree-k{k}"),
            &[&[pick, 0, 0][..], tree.as_bytes()].concat(),
        );
        let mut msg = softspoken::ChunkMsg::new(k);
        let choices: Vec<bool> = (0..256).map(|j| j % 3 == 0).collect();
        rx.send(&choices, &mut msg, &mut Vec::new());
        write(
            "softspoken_messages",
            format!("chunk-k{k}"),
            &[&[pick | 1, 0, 1][..], msg.as_bytes()].concat(),
        );
    }
}

/// Every seed of `target` is accepted by `harness`, except those whose name
/// says `wrong`, which are refused: the harness's fuzzing explores both paths.
fn check_seed_verdicts(target: &str, harness: harness::Target) {
    let seeds = inputs("seeds", target);
    assert!(!seeds.is_empty(), "no seeds for {target}");
    for path in seeds {
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let outcome = harness(&data);
        assert_eq!(
            outcome.is_ok(),
            !name.contains("wrong"),
            "{name}: {outcome:?}"
        );
    }
}

/// The `cli_inputs` harness accepts what a user would type correctly and
/// refuses the rest.
#[test]
fn cli_inputs_harness_accepts_good_values_and_refuses_bad_ones() {
    check_seed_verdicts("cli_inputs", harness::cli_inputs);
}

/// The `share_files` harness accepts a complete, consistent set of share
/// files and refuses missing, duplicate or misdirected shares.
#[test]
fn share_files_harness_accepts_good_directories_and_refuses_bad_ones() {
    check_seed_verdicts("share_files", harness::share_files);
}

/// The `split_check` harness accepts a peer whose shares come from the same
/// splits and refuses other splits, other circuits, the same role, a peer
/// without share files and truncated messages.
#[test]
fn split_check_harness_accepts_matching_splits_and_refuses_the_rest() {
    check_seed_verdicts("split_check", harness::split_check);
}

/// The recorded SoftSpokenOT seed of `preprocess_messages` is honest up to
/// the KOS15 check message (whose coin opening, zeros here, is the first
/// thing refused): it passes the tree check and the extension, so
/// the fuzzer starts past them (a seed refused at its first message would
/// leave the rest of the path unexplored).
#[test]
fn the_softspoken_seed_reaches_the_kos15_check() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds/preprocess_messages/softspoken-k4-extend-40");
    let seed = std::fs::read(&path).unwrap();
    let err = harness::preprocess_messages(&seed).unwrap_err();
    assert!(err.contains("commitment opening"), "{err}");
}
