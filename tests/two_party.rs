//! The `garbler` and `evaluator` binaries as separate processes over
//! loopback TCP: known answers, random inputs against Rust arithmetic, and
//! the faults a real deployment meets (wrong circuit, dead peer, garbage,
//! silence, bad inputs). Each fault must end both processes with a clear
//! message and a non-zero exit, within the timeout.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const GARBLER: &str = env!("CARGO_BIN_EXE_garbler");
const EVALUATOR: &str = env!("CARGO_BIN_EXE_evaluator");
const YAO: &str = env!("CARGO_BIN_EXE_yao");

/// Starts a garbler on a free loopback port and returns it with its address.
fn spawn_garbler(circuit: &Path, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(GARBLER)
        .arg(circuit)
        .args(["--listen", "127.0.0.1:0"])
        .args(if args.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "5"][..]
        })
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start garbler");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("garbler: listening on ")
        .unwrap_or_else(|| panic!("garbler did not announce its address: {line:?}"))
        .to_string();
    // Keep draining stderr so the garbler never blocks on a full pipe; the
    // rest is returned through `finish`.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        let _ = tx.send(rest);
    });
    GARBLER_STDERR.with(|s| s.borrow_mut().push(rx));
    (child, addr)
}

thread_local! {
    static GARBLER_STDERR: std::cell::RefCell<Vec<std::sync::mpsc::Receiver<String>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Waits for the garbler (killing it after 20 s) and returns exit status,
/// stdout and the rest of its stderr.
fn finish(mut child: Child) -> (bool, String, String) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the garbler hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let err = GARBLER_STDERR
        .with(|s| s.borrow_mut().remove(0))
        .recv()
        .unwrap_or_default();
    (status.success(), out, err)
}

fn evaluator(circuit: &Path, addr: &str, args: &[&str]) -> Output {
    Command::new(EVALUATOR)
        .arg(circuit)
        .args(["--connect", addr, "--timeout", "5"])
        .args(args)
        .output()
        .expect("run evaluator")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn shared(rel: &str) -> Option<PathBuf> {
    Some(common::shared_circuits()?.join(rel))
}

fn both(circuit: &Path, g: &[&str], e: &[&str]) -> (String, String) {
    let (garbler, addr) = spawn_garbler(circuit, g);
    let ev = evaluator(circuit, &addr, e);
    let (ok, g_out, g_err) = finish(garbler);
    assert!(
        ev.status.success(),
        "evaluator failed: {}",
        text(&ev.stderr)
    );
    assert!(ok, "garbler failed: {g_err}");
    (g_out, text(&ev.stdout))
}

#[test]
fn aes128_fips197_between_processes() {
    let Some(aes) = shared("bristol/aes_128.txt") else {
        return;
    };
    let (g, e) = both(
        &aes,
        &["--garbler", "0x000102030405060708090a0b0c0d0e0f", "--hex"],
        &["--evaluator", "0x00112233445566778899aabbccddeeff", "--hex"],
    );
    assert_eq!(g, "out0 = 0x69c4e0d86a7b0430d8cdb78070b4c55a\n");
    assert_eq!(e, g);
}

/// Three-halves garbling between processes: the FIPS-197 answer, in fewer
/// bytes than half-gates; a garbler and an evaluator that chose different
/// schemes are both told so.
#[test]
fn aes128_with_three_halves_between_processes() {
    let Some(aes) = shared("bristol/aes_128.txt") else {
        return;
    };
    let key = "0x000102030405060708090a0b0c0d0e0f";
    let block = "0x00112233445566778899aabbccddeeff";
    let sent = |scheme: &str| {
        let (g, e) = both(
            &aes,
            &["--garbler", key, "--json", "--scheme", scheme],
            &["--evaluator", block, "--hex", "--scheme", scheme],
        );
        assert_eq!(e, "out0 = 0x69c4e0d86a7b0430d8cdb78070b4c55a\n", "{scheme}");
        let v: serde_json::Value = serde_json::from_str(&g).unwrap();
        v["bytes_sent"].as_u64().unwrap_or_else(|| panic!("{g}"))
    };
    let (half, three) = (sent("half-gates"), sent("three-halves"));
    assert!(
        half - three >= 7 * 6400,
        "half-gates {half} bytes, three-halves {three}"
    );

    let (garbler, addr) = spawn_garbler(&aes, &["--garbler", "1", "--scheme", "three-halves"]);
    let ev = evaluator(&aes, &addr, &["--evaluator", "1"]);
    let (ok, _, g_err) = finish(garbler);
    assert!(!ev.status.success() && !ok);
    for err in [&g_err, &text(&ev.stderr)] {
        assert!(err.contains("both must use the same --scheme"), "{err}");
    }
}

/// The malicious level between processes: the FIPS-197 answer with the
/// same flags and outputs as the semi-honest level; the JSON names the
/// level; a garbler and an evaluator at different levels are both told so.
#[test]
fn aes128_at_the_malicious_level_between_processes() {
    let Some(aes) = shared("bristol/aes_128.txt") else {
        return;
    };
    let key = "0x000102030405060708090a0b0c0d0e0f";
    let block = "0x00112233445566778899aabbccddeeff";
    let (g, e) = both(
        &aes,
        &["--garbler", key, "--json", "--security", "malicious"],
        &["--evaluator", block, "--hex", "--security", "malicious"],
    );
    assert_eq!(e, "out0 = 0x69c4e0d86a7b0430d8cdb78070b4c55a\n");
    let v: serde_json::Value = serde_json::from_str(&g).unwrap();
    assert_eq!(v["security"], "malicious", "{g}");
    assert_eq!(v["and_gates"], 6400, "{g}");
    assert!(v["bytes_sent"].as_u64().unwrap() > 100 * 6400, "{g}");

    let (garbler, addr) = spawn_garbler(&aes, &["--garbler", "1", "--security", "malicious"]);
    let ev = evaluator(&aes, &addr, &["--evaluator", "1"]);
    let (ok, _, g_err) = finish(garbler);
    assert!(!ev.status.success() && !ok);
    for err in [&g_err, &text(&ev.stderr)] {
        assert!(err.contains("both must use the same --security"), "{err}");
    }
}

/// `--repeat` at the malicious level between processes: one session of
/// five AES-128 executions, each the FIPS-197 answer (the last printed),
/// every execution's ANDs counted. Parties asking for different counts are
/// both told so.
#[test]
fn a_malicious_stream_between_processes() {
    let Some(aes) = shared("bristol/aes_128.txt") else {
        return;
    };
    let key = "0x000102030405060708090a0b0c0d0e0f";
    let block = "0x00112233445566778899aabbccddeeff";
    let level = ["--security", "malicious", "--json"];
    let (g, e) = both(
        &aes,
        &[&["--garbler", key, "--repeat", "5"][..], &level].concat(),
        &[
            &["--evaluator", block, "--repeat", "5", "--hex"][..],
            &level,
        ]
        .concat(),
    );
    for report in [&g, &e] {
        let v: serde_json::Value = serde_json::from_str(report).unwrap();
        assert_eq!(v["and_gates"], 5 * 6400, "{report}");
        let bytes = v["bytes_sent"].as_f64().unwrap() + v["bytes_received"].as_f64().unwrap();
        assert!(bytes / (5.0 * 6400.0) > 100.0, "{report}");
    }
    let v: serde_json::Value = serde_json::from_str(&e).unwrap();
    assert_eq!(v["outputs"]["out0"], "0x69c4e0d86a7b0430d8cdb78070b4c55a");

    let (garbler, addr) = spawn_garbler(
        &aes,
        &["--garbler", "1", "--security", "malicious", "--repeat", "2"],
    );
    let ev = evaluator(
        &aes,
        &addr,
        &[
            "--evaluator",
            "1",
            "--security",
            "malicious",
            "--repeat",
            "3",
        ],
    );
    let (ok, _, g_err) = finish(garbler);
    assert!(!ev.status.success() && !ok);
    for err in [&g_err, &text(&ev.stderr)] {
        assert!(err.contains("both must use the same --repeat"), "{err}");
    }
}

/// `--repeat` runs a pipelined stream of executions in one session (what
/// `yao bench` measures); every execution's cost is reported, the outputs
/// are the last one's.
#[test]
fn a_stream_of_aes128_executions_between_processes() {
    let Some(aes) = shared("bristol/aes_128.txt") else {
        return;
    };
    let (g, e) = both(
        &aes,
        &[
            "--garbler",
            "0x000102030405060708090a0b0c0d0e0f",
            "--repeat",
            "200",
            "--hex",
        ],
        &[
            "--evaluator",
            "0x00112233445566778899aabbccddeeff",
            "--repeat",
            "200",
            "--json",
        ],
    );
    assert_eq!(g, "out0 = 0x69c4e0d86a7b0430d8cdb78070b4c55a\n");
    let v: serde_json::Value = serde_json::from_str(&e).unwrap();
    assert_eq!(
        v["outputs"]["out0"],
        "140591190147677442632770771134392354138"
    );
    assert_eq!(v["and_gates"], 200 * 6400);
    // 32 bytes per AND, plus labels, precomputed OTs and output labels.
    let sent = v["bytes_received"].as_f64().unwrap() + v["bytes_sent"].as_f64().unwrap();
    assert!((32.0..34.0).contains(&(sent / (200.0 * 6400.0))), "{sent}");
}

#[test]
fn sha256_abc_between_processes() {
    let Some(sha) = shared("bristol/sha256.txt") else {
        return;
    };
    let block = format!("0x6162638{}18", "0".repeat(119));
    let iv = "0x6a09e667bb67ae853c6ef372a54ff53a510e527f9b05688c1f83d9ab5be0cd19";
    let (g, e) = both(
        &sha,
        &["--garbler", &block, "--hex"],
        &["--evaluator", iv, "--hex"],
    );
    assert_eq!(
        g,
        "out0 = 0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
    );
    assert_eq!(e, g);
}

#[test]
fn arithmetic_on_random_inputs_over_several_sessions() {
    let Some(dir) = common::shared_circuits() else {
        return;
    };
    let mut rng = common::rng();
    for (file, op) in [
        (
            "bristol/adder64.txt",
            u64::wrapping_add as fn(u64, u64) -> u64,
        ),
        ("bristol/mult64.txt", u64::wrapping_mul),
        ("bristol/sub64.txt", u64::wrapping_sub),
    ] {
        let a: u64 = rand::RngExt::random(&mut rng);
        let bs: Vec<u64> = (0..3)
            .map(|_| rand::RngExt::random(&mut rng))
            .chain([0, u64::MAX])
            .collect();
        let path = dir.join(file);
        let (garbler, addr) = spawn_garbler(
            &path,
            &[
                "--garbler",
                &a.to_string(),
                "--sessions",
                &bs.len().to_string(),
            ],
        );
        for &b in &bs {
            let ev = evaluator(&path, &addr, &["--evaluator", &b.to_string()]);
            assert!(ev.status.success(), "{file}: {}", text(&ev.stderr));
            assert_eq!(
                text(&ev.stdout),
                format!("out0 = {}\n", op(a, b)),
                "{file} a={a} b={b}"
            );
        }
        let (ok, out, err) = finish(garbler);
        assert!(ok, "{err}");
        let expected: String = bs
            .iter()
            .map(|&b| format!("out0 = {}\n", op(a, b)))
            .collect();
        assert_eq!(out, expected);
    }
}

#[test]
fn json_report_has_outputs_and_costs() {
    let Some(adder) = shared("bristol/adder64.txt") else {
        return;
    };
    let (_, e) = both(
        &adder,
        &["--garbler", "40"],
        &["--evaluator", "2", "--json"],
    );
    let v: serde_json::Value = serde_json::from_str(&e).unwrap();
    assert_eq!(v["outputs"]["out0"], 42);
    assert_eq!(v["and_gates"], 63);
    assert!(v["bytes_received"].as_u64().unwrap() >= 63 * 32);
    assert!(v["ms"]["total"].as_f64().is_some());
}

#[test]
fn yao_run_agrees() {
    let Some(aes) = shared("bristol/aes_128.txt") else {
        return;
    };
    let out = Command::new(YAO)
        .arg("run")
        .arg(&aes)
        .args(["--garbler", "0x000102030405060708090a0b0c0d0e0f"])
        .args(["--evaluator", "0x00112233445566778899aabbccddeeff", "--hex"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "out0 = 0x69c4e0d86a7b0430d8cdb78070b4c55a\n"
    );
}

#[test]
fn different_circuits_are_refused_on_both_sides() {
    let Some(dir) = common::shared_circuits() else {
        return;
    };
    let (garbler, addr) = spawn_garbler(&dir.join("bristol/adder64.txt"), &["--garbler", "1"]);
    let ev = evaluator(&dir.join("bristol/sub64.txt"), &addr, &["--evaluator", "1"]);
    let (ok, _, g_err) = finish(garbler);
    let e_err = text(&ev.stderr);
    assert!(!ev.status.success() && !ok);
    for err in [&g_err, &e_err] {
        assert!(err.contains("the peer has a different circuit"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// A hello as the evaluator would send it, for the circuit at `path`.
fn hello(path: &Path, role: u8) -> Vec<u8> {
    let stats = Command::new(YAO).arg("compile").arg(path).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    let id = v["id"].as_str().unwrap();
    let mut h = b"YAO-2PC\0".to_vec();
    h.extend_from_slice(&yao_runtime::protocol::handshake::VERSION.to_le_bytes());
    h.push(role);
    h.extend((0..32).map(|i| u8::from_str_radix(&id[2 * i..2 * i + 2], 16).unwrap()));
    h.push(yao_core::Scheme::HalfGates.code());
    h.push(yao::Settings::default().ot.code());
    h.push(yao::Settings::default().security.code());
    h
}

#[test]
fn peer_that_dies_after_the_handshake() {
    let Some(adder) = shared("bristol/adder64.txt") else {
        return;
    };
    let (garbler, addr) = spawn_garbler(&adder, &["--garbler", "1"]);
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(&hello(&adder, 2)).unwrap();
    let mut theirs = [0u8; 43];
    s.read_exact(&mut theirs).unwrap();
    drop(s);
    let (ok, _, err) = finish(garbler);
    assert!(!ok);
    assert!(err.contains("the peer closed the connection"), "{err}");
    assert!(err.contains("oblivious transfer"), "{err}");
}

#[test]
fn garbler_that_dies_mid_stream() {
    let Some(aes) = shared("bristol/aes_128.txt") else {
        return;
    };
    // A fake garbler: answers the handshake, then vanishes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let h = hello(&aes, 1);
    let fake = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(&h).unwrap();
        let mut theirs = [0u8; 43];
        s.read_exact(&mut theirs).unwrap();
    });
    let ev = evaluator(&aes, &addr, &["--evaluator", "0"]);
    fake.join().unwrap();
    assert!(!ev.status.success());
    assert!(
        text(&ev.stderr).contains("the peer closed the connection"),
        "{}",
        text(&ev.stderr)
    );
}

#[test]
fn random_bytes_are_not_a_peer() {
    let Some(adder) = shared("bristol/adder64.txt") else {
        return;
    };
    let (garbler, addr) = spawn_garbler(&adder, &["--garbler", "1"]);
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let (ok, _, err) = finish(garbler);
    assert!(!ok);
    assert!(err.contains("not a Yao party"), "{err}");
}

#[test]
fn garbage_after_a_valid_handshake_is_an_error() {
    let Some(adder) = shared("bristol/adder64.txt") else {
        return;
    };
    let (garbler, addr) = spawn_garbler(&adder, &["--garbler", "1"]);
    let mut s = TcpStream::connect(&addr).unwrap();
    s.write_all(&hello(&adder, 2)).unwrap();
    // Random bytes where the base-OT message should be: not curve points.
    let junk: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let _ = s.write_all(&junk);
    let (ok, _, err) = finish(garbler);
    assert!(!ok);
    assert!(err.contains("error:") && !err.contains("panicked"), "{err}");
}

#[test]
fn silent_peer_times_out() {
    let Some(adder) = shared("bristol/adder64.txt") else {
        return;
    };
    let (garbler, addr) = spawn_garbler(&adder, &["--garbler", "1", "--timeout", "1"]);
    let s = TcpStream::connect(&addr).unwrap();
    let (ok, _, err) = finish(garbler);
    drop(s);
    assert!(!ok);
    assert!(
        err.contains("sent nothing") && err.contains("timed out"),
        "{err}"
    );
}

#[test]
fn wrong_input_width_is_refused_before_connecting() {
    let Some(adder) = shared("bristol/adder64.txt") else {
        return;
    };
    let ev = evaluator(
        &adder,
        "127.0.0.1:9",
        &["--evaluator", "0x1ffffffffffffffff"],
    );
    assert!(!ev.status.success());
    let err = text(&ev.stderr);
    assert!(err.contains("does not fit in u64"), "{err}");
}

#[test]
fn no_garbler_is_a_clear_error_after_retries() {
    let Some(adder) = shared("bristol/adder64.txt") else {
        return;
    };
    // A port nobody listens on: bind and drop.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(EVALUATOR)
        .arg(&adder)
        .args([
            "--connect",
            &format!("127.0.0.1:{port}"),
            "--timeout",
            "0.5",
            "--evaluator",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot connect to the garbler"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn millionaires_both_ways() {
    let path = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/circuits/millionaires.yao"
    ));
    for (alice, bob, richer) in [
        ("5000000", "4200000", "true"),
        ("4200000", "5000000", "false"),
        ("7", "7", "false"),
    ] {
        let (g, e) = both(path, &["--garbler", alice], &["--evaluator", bob]);
        assert_eq!(e, format!("out = {richer}\n"), "alice={alice} bob={bob}");
        assert_eq!(g, e);
    }
}

#[test]
fn concurrent_sessions_are_not_held_up_by_a_silent_or_broken_evaluator() {
    // Four sessions, two at a time. The first peer connects and says
    // nothing (its session times out after 4 s); the second sends junk (its
    // session fails at once). Two honest evaluators behind them must be
    // served at once, not after the silent session's timeout, and the two
    // failures must be reported each on its own.
    let circuit = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits/millionaires.yao");
    let (garbler, addr) = spawn_garbler(
        &circuit,
        &[
            "--garbler",
            "5000",
            "--sessions",
            "4",
            "--concurrent",
            "2",
            "--timeout",
            "4",
        ],
    );
    let silent = TcpStream::connect(&addr).unwrap();
    let started = Instant::now();
    let mut junk = TcpStream::connect(&addr).unwrap();
    junk.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    let richer = evaluator(&circuit, &addr, &["--evaluator", "7000"]);
    let poorer = evaluator(&circuit, &addr, &["--evaluator", "3000"]);
    let took = started.elapsed();
    for (ev, expected) in [(&richer, "out = false\n"), (&poorer, "out = true\n")] {
        assert!(ev.status.success(), "{}", text(&ev.stderr));
        assert_eq!(text(&ev.stdout), expected);
    }
    assert!(
        took < Duration::from_millis(2500),
        "the honest evaluators waited {took:?} behind a silent one"
    );
    let (ok, out, err) = finish(garbler);
    drop((silent, junk));
    assert!(!ok, "{err}");
    assert_eq!(out, "out = false\nout = true\n");
    assert!(
        err.contains("error: session 1 (evaluator 127.0.0.1:")
            && err.contains("the peer sent nothing for 4s (timed out)"),
        "{err}"
    );
    assert!(
        err.contains("error: session 2 (evaluator 127.0.0.1:") && err.contains("not a Yao party"),
        "{err}"
    );
    assert!(err.contains("error: 2 of 4 sessions failed"), "{err}");
}
