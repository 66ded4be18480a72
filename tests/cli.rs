//! The `yao` binary end to end: it evaluates and compiles Bristol files, and
//! every kind of bad input gives a non-zero exit with a message that names
//! the problem, never a panic.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A Bristol Fashion circuit of two 1-bit inputs: out0 = (a & b) ^ (a ^ b)
/// = a | b, written out in full so that broken copies are easy to make.
const OR: &str = "3 5\n2 1 1\n1 1\n\n2 1 0 1 2 AND\n2 1 0 1 3 XOR\n2 1 2 3 4 XOR\n";

/// An 8-bit adder written as Bristol Fashion by hand is long; this circuit
/// adds nothing but passes an 8-bit garbler input and a 4-bit evaluator
/// input through two NOTs each, so that values of several widths can be fed.
fn wide() -> String {
    let mut s = String::from("24 36\n2 8 4\n2 8 4\n\n");
    for i in 0..12 {
        s += &format!("1 1 {i} {} INV\n", 12 + i);
    }
    for i in 0..12 {
        s += &format!("1 1 {} {} INV\n", 12 + i, 24 + i);
    }
    s
}

fn write(name: &str, text: impl AsRef<[u8]>) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}.txt"));
    std::fs::write(&path, text).unwrap();
    path
}

fn yao(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yao"))
        .args(args)
        .output()
        .expect("the yao binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `yao args`, expects success, returns standard output.
fn ok(args: &[&str]) -> String {
    let out = yao(args);
    assert!(
        out.status.success(),
        "yao {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// Runs `yao args`, expects exit code 1 (an error, not a panic's 101) with
/// every one of `needles` in standard error.
fn fails(args: &[&str], needles: &[&str]) {
    let out = yao(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "yao {args:?}: expected exit 1, stderr:\n{err}"
    );
    assert!(!err.contains("panicked"), "yao {args:?} panicked:\n{err}");
    assert!(
        out.stdout.is_empty(),
        "yao {args:?} printed a result: {}",
        stdout(&out)
    );
    for needle in needles {
        assert!(
            err.contains(needle),
            "yao {args:?}: stderr lacks `{needle}`:\n{err}"
        );
    }
    // A message said once: error chains must not repeat their cause.
    let first_line = err.lines().next().unwrap_or_default();
    for needle in needles {
        assert!(
            first_line.matches(needle).count() <= 1,
            "yao {args:?}: `{needle}` repeated:\n{err}"
        );
    }
    said_once(first_line);
}

/// Asserts that an `error: a: b: c` line says each cause once: the line is
/// the error chain joined with `: `, and no part of it repeats a later one
/// (as a wrapper error that printed its source would).
fn said_once(line: &str) {
    let parts: Vec<&str> = line
        .strip_prefix("error: ")
        .unwrap_or(line)
        .split(": ")
        .collect();
    for (i, outer) in parts.iter().enumerate() {
        for inner in &parts[i + 1..] {
            assert!(
                !outer.contains(inner),
                "`{inner}` is said twice in:\n{line}"
            );
        }
    }
}

/// Evaluates a broken copy of a circuit and expects the importer to refuse it.
fn bad_circuit(name: &str, text: &str, needles: &[&str]) {
    let path = write(name, text);
    let path = path.to_str().unwrap();
    let mut all = vec!["is not a valid Bristol circuit"];
    all.extend(needles);
    fails(&["eval", path, "--garbler", "1", "--evaluator", "0"], &all);
    fails(&["compile", path], &all);
}

#[test]
fn eval_prints_named_outputs() {
    let or = write("or", OR);
    let or = or.to_str().unwrap();
    for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        let out = ok(&[
            "eval",
            or,
            "--garbler",
            &a.to_string(),
            "--evaluator",
            &b.to_string(),
        ]);
        assert_eq!(out, format!("out0 = {}\n", a | b));
    }
    assert_eq!(
        ok(&[
            "eval",
            or,
            "--garbler",
            "in0=1",
            "--evaluator",
            "in1=0",
            "--json"
        ]),
        "{\"out0\":1}\n"
    );
    let wide = write("wide", wide());
    let wide = wide.to_str().unwrap();
    assert_eq!(
        ok(&[
            "eval",
            wide,
            "--garbler",
            "0xa5",
            "--evaluator",
            "9",
            "--hex"
        ]),
        "out0 = 0xa5\nout1 = 0x9\n"
    );
    assert_eq!(
        ok(&["eval", wide, "--garbler", "0b1010_0101", "--evaluator", "9"]),
        "out0 = 165\nout1 = 9\n"
    );
    // msb0 reverses every group, in and out: the value is unchanged.
    assert_eq!(
        ok(&[
            "eval",
            wide,
            "--bit-order",
            "msb0",
            "--garbler",
            "3",
            "--evaluator",
            "1"
        ]),
        "out0 = 3\nout1 = 1\n"
    );
    // Both groups to the garbler.
    let out = ok(&["eval", wide, "--parties", "g,g", "--garbler", "in1=2", "7"]);
    assert_eq!(out, "out0 = 7\nout1 = 2\n");
}

#[test]
fn compile_emits_stats_and_bristol_that_round_trips() {
    let or = write("or-compile", OR);
    let or = or.to_str().unwrap();
    let stats: serde_json::Value =
        serde_json::from_str(&ok(&["compile", or, "--emit", "stats"])).unwrap();
    for key in [
        "and",
        "xor",
        "not",
        "wires",
        "and_depth",
        "inputs",
        "outputs",
        "id",
    ] {
        assert!(stats.get(key).is_some(), "stats lack `{key}`: {stats}");
    }
    assert_eq!(
        (
            stats["and"].as_u64(),
            stats["xor"].as_u64(),
            stats["not"].as_u64()
        ),
        (Some(1), Some(2), Some(0))
    );
    assert_eq!(stats["wires"].as_u64(), Some(5));

    let exported = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-or-exported.txt");
    ok(&[
        "compile",
        or,
        "--emit",
        "bristol",
        "-o",
        exported.to_str().unwrap(),
    ]);
    let again: serde_json::Value = serde_json::from_str(&ok(&[
        "compile",
        exported.to_str().unwrap(),
        "--emit",
        "stats",
    ]))
    .unwrap();
    assert_eq!(again["id"], stats["id"]);

    let json: serde_json::Value =
        serde_json::from_str(&ok(&["compile", or, "--emit", "json"])).unwrap();
    assert_eq!(json["gates"].as_array().map(Vec::len), Some(3));
}

#[test]
fn published_aes_128_through_the_cli() {
    let Some(dir) = common::shared_circuits() else {
        return;
    };
    let aes = dir.join("bristol/aes_128.txt");
    let out = ok(&[
        "eval",
        aes.to_str().unwrap(),
        "--garbler",
        "0x000102030405060708090a0b0c0d0e0f",
        "--evaluator",
        "0x00112233445566778899aabbccddeeff",
        "--hex",
    ]);
    assert_eq!(out, "out0 = 0x69c4e0d86a7b0430d8cdb78070b4c55a\n");
    let old = dir.join("bristol-old/AES-non-expanded.txt");
    let out = ok(&[
        "eval",
        old.to_str().unwrap(),
        "--bit-order",
        "msb0",
        "--garbler",
        "0x00112233445566778899aabbccddeeff",
        "--evaluator",
        "0x000102030405060708090a0b0c0d0e0f",
        "--hex",
    ]);
    assert_eq!(out, "out0 = 0x69c4e0d86a7b0430d8cdb78070b4c55a\n");
    // A 513-bit value for a 512-bit group.
    let sha = dir.join("bristol/sha256.txt");
    let too_wide = format!("0x1{}", "0".repeat(128));
    fails(
        &[
            "eval",
            sha.to_str().unwrap(),
            "--garbler",
            &too_wide,
            "--evaluator",
            "0",
        ],
        &[
            "garbler input `in0: u512`",
            "2^512 does not fit in u512: the range is 0 to 2^512 - 1",
        ],
    );
}

#[test]
fn truncated_files() {
    bad_circuit("empty", "", &["the file is empty"]);
    bad_circuit(
        "header-only",
        "3 5\n",
        &["the file ends before the input header"],
    );
    bad_circuit(
        "no-gates",
        "3 5\n2 1 1\n1 1\n",
        &["the file ends after 0 gate lines, but its header promises 3"],
    );
    // Cut at a line boundary, then in the middle of a line.
    let lines: Vec<&str> = OR.lines().collect();
    bad_circuit(
        "cut-line",
        &lines[..6].join("\n"),
        &["the file ends after 2 gate lines, but its header promises 3"],
    );
    bad_circuit(
        "cut-mid",
        &OR[..OR.len() - 9],
        &["line 7", "`2 1 2` ends without a gate name"],
    );
    bad_circuit(
        "cut-op",
        &OR[..OR.len() - 3],
        &["line 7", "unknown gate `X`"],
    );
}

#[test]
fn header_that_disagrees_with_the_body() {
    bad_circuit(
        "more-gates",
        &OR.replacen("3 5", "2 5", 1),
        &["line 7", "the header promises 2 gates, but more"],
    );
    bad_circuit(
        "fewer-wires",
        &OR.replacen("3 5", "3 4", 1),
        &["line 7", "wire 4 is out of range: the circuit has 4 wires"],
    );
    bad_circuit(
        "more-wires",
        &OR.replacen("3 5", "3 6", 1),
        &["output wire 5 (group out0) is never written"],
    );
    bad_circuit(
        "input-count",
        &OR.replacen("2 1 1", "2 1", 1),
        &["line 2", "expected the input header"],
    );
    bad_circuit(
        "wide-inputs",
        &OR.replacen("2 1 1", "2 3 3", 1),
        &["the groups need 6 input and 1 output wires"],
    );
    bad_circuit(
        "arity",
        &OR.replacen("2 1 0 1 3 XOR", "2 1 0 1 XOR", 1),
        &["line 6", "lists 2 wires"],
    );
    bad_circuit(
        "inv-arity",
        &OR.replacen("2 1 0 1 3 XOR", "2 1 0 1 3 INV", 1),
        &["INV takes 1 inputs and 1 outputs"],
    );
    bad_circuit(
        "huge-wires",
        &OR.replacen("3 5", "3 2000000000", 1),
        &["the header declares 2000000000 wires", "can hold at most"],
    );
    bad_circuit(
        "huge-counts",
        &OR.replacen("2 1 0 1 3 XOR", "18446744073709551615 1 0 1 3 XOR", 1),
        &["line 6"],
    );
    bad_circuit(
        "letters",
        &OR.replacen("2 1 0 1 3 XOR", "2 1 0 x 3 XOR", 1),
        &["line 6", "expected a wire number, found `x`"],
    );
}

#[test]
fn unknown_gate() {
    bad_circuit(
        "nand",
        &OR.replacen("AND", "NAND", 1),
        &["line 5", "unknown gate `NAND`"],
    );
    // EQ belongs to Bristol Fashion only.
    let old = "2 4\n1 1 1\n\n1 1 0 2 INV\n1 1 1 3 EQ\n";
    bad_circuit(
        "old-eq",
        old,
        &["line 5", "unknown gate `EQ`", "the old Bristol format"],
    );
    bad_circuit(
        "eq-value",
        &OR.replacen("2 1 0 1 2 AND", "1 1 7 2 EQ", 1),
        &["EQ assigns a constant 0 or 1, not `7`"],
    );
}

#[test]
fn wire_read_before_written() {
    bad_circuit(
        "read-before",
        &OR.replacen("2 1 0 1 2 AND", "2 1 0 3 2 AND", 1),
        &[
            "line 5",
            "wire 3 is read by the AND gate before anything writes it",
        ],
    );
}

#[test]
fn wire_written_twice() {
    bad_circuit(
        "twice",
        &OR.replacen("2 1 0 1 3 XOR", "2 1 0 1 2 XOR", 1),
        &[
            "line 6",
            "wire 2 is written twice: by line 5 and by this XOR gate",
        ],
    );
    bad_circuit(
        "input-twice",
        &OR.replacen("2 1 0 1 2 AND", "2 1 0 1 1 AND", 1),
        &[
            "line 5",
            "wire 1 is written twice: by an input and by this AND gate",
        ],
    );
}

#[test]
fn out_of_range_wire() {
    bad_circuit(
        "range",
        &OR.replacen("2 1 0 1 2 AND", "2 1 0 99 2 AND", 1),
        &["line 5", "wire 99 is out of range: the circuit has 5 wires"],
    );
}

#[test]
fn values_that_do_not_fit() {
    let or = write("or-values", OR);
    let or = or.to_str().unwrap();
    fails(
        &["eval", or, "--garbler", "2", "--evaluator", "0"],
        &["garbler input `in0: u1`", "2 does not fit in u1"],
    );
    let wide = write("wide-values", wide());
    let wide = wide.to_str().unwrap();
    fails(
        &["eval", wide, "--garbler", "0x100", "--evaluator", "0"],
        &[
            "garbler input `in0: u8`",
            "256 does not fit in u8: the range is 0 to 255",
        ],
    );
    fails(
        &["eval", wide, "--garbler", "-1", "--evaluator", "0"],
        &["-1 does not fit in u8"],
    );
    fails(
        &["eval", wide, "--garbler", "1", "--evaluator", "16"],
        &["evaluator input `in1: u4`", "16 does not fit"],
    );
    fails(
        &["eval", wide, "--garbler", "1.5", "--evaluator", "0"],
        &["cannot read `1.5` as a value"],
    );
    fails(
        &["eval", wide, "--garbler", "[1, 2]", "--evaluator", "0"],
        &["expected u8, found an array of 2 elements"],
    );
}

#[test]
fn missing_unknown_and_extra_inputs() {
    let wide = write("wide-inputs-cli", wide());
    let wide = wide.to_str().unwrap();
    fails(
        &["eval", wide, "--garbler", "1"],
        &["missing evaluator input `in1: u4`; pass it with --evaluator in1=VALUE"],
    );
    fails(
        &["eval", wide, "--evaluator", "1"],
        &["missing garbler input `in0: u8`"],
    );
    fails(
        &["eval", wide, "--garbler", "1", "--evaluator", "inl=1"],
        &["evaluator input `inl` does not exist; did you mean `in1`?"],
    );
    fails(
        &["eval", wide, "--garbler", "1", "--evaluator", "key=1"],
        &["evaluator input `key` does not exist; the evaluator's inputs are in1"],
    );
    fails(
        &["eval", wide, "--garbler", "1", "2", "--evaluator", "3"],
        &["too many garbler values: the garbler has 1 input (in0: u8), and `2` is one too many"],
    );
    fails(
        &["eval", wide, "--garbler", "in1=1", "--evaluator", "3"],
        &["`in1` is the evaluator's input, not the garbler's; pass it with --evaluator"],
    );
    fails(
        &[
            "eval",
            wide,
            "--garbler",
            "in0=1",
            "in0=2",
            "--evaluator",
            "3",
        ],
        &["garbler input `in0` is given twice"],
    );
    fails(
        &[
            "eval",
            wide,
            "--parties",
            "g",
            "--garbler",
            "1",
            "--evaluator",
            "3",
        ],
        &["--parties names 1 parties, but the circuit has 2 input groups"],
    );
}

#[test]
fn unreadable_files() {
    fails(
        &["eval", "/nonexistent/yao/circuit.txt", "--garbler", "1"],
        &["cannot open circuit", "circuit.txt"],
    );
    let garbage = write("garbage", [0xffu8, 0xfe, 0x00, 0x80, 0x12, 0x34]);
    fails(
        &["compile", garbage.to_str().unwrap()],
        &["cannot read circuit", "UTF-8"],
    );
    let text_garbage = write("text-garbage", "hello world\nthis is not a circuit\n");
    fails(
        &["compile", text_garbage.to_str().unwrap()],
        &["line 1", "found `hello`"],
    );
}

#[test]
fn run_stream_reads_bristol_files_window_by_window() {
    let path = write("stream-or", OR);
    let p = path.to_str().unwrap();
    for (a, b, want) in [
        ("0", "0", "out0 = 0"),
        ("1", "0", "out0 = 1"),
        ("0", "1", "out0 = 1"),
    ] {
        let out = ok(&["run", p, "--stream", "--garbler", a, "--evaluator", b]);
        assert_eq!(out.trim(), want);
        // Windows of one gate: every wire is carried between windows.
        let out = ok(&[
            "run",
            p,
            "--stream",
            "--window",
            "1",
            "--garbler",
            a,
            "--evaluator",
            b,
        ]);
        assert_eq!(out.trim(), want);
    }
    let wide = write("stream-wide", wide());
    let out = ok(&[
        "run",
        wide.to_str().unwrap(),
        "--stream",
        "--garbler",
        "200",
        "--evaluator",
        "9",
        "--json",
    ]);
    assert!(
        out.contains("\"out0\":200") && out.contains("\"out1\":9"),
        "{out}"
    );
    // A windowed circuit runs in a session like a whole one: several
    // executions, pipelined, each reading the file window by window.
    let out = ok(&[
        "run",
        wide.to_str().unwrap(),
        "--stream",
        "--window",
        "3",
        "--repeat",
        "3",
        "--garbler",
        "200",
        "--evaluator",
        "9",
        "--json",
    ]);
    assert!(
        out.contains("\"out0\":200") && out.contains("\"out1\":9"),
        "{out}"
    );
    // Three-halves streams too (single and pipelined), and the JSON report
    // names the scheme and the OT extension.
    for repeat in ["1", "3"] {
        let out = ok(&[
            "run",
            wide.to_str().unwrap(),
            "--stream",
            "--window",
            "3",
            "--repeat",
            repeat,
            "--scheme",
            "three-halves",
            "--ot",
            "iknp",
            "--garbler",
            "200",
            "--evaluator",
            "9",
            "--json",
        ]);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["outputs"]["out0"], 200, "{out}");
        assert_eq!(json["outputs"]["out1"], 9, "{out}");
        assert_eq!(json["scheme"], "three-halves", "{out}");
        assert_eq!(json["ot"], "iknp", "{out}");
    }
    // Bad input: a clear error, exit code 1.
    fails(
        &[
            "run",
            "circuits/millionaires.yao",
            "--stream",
            "--garbler",
            "1",
            "--evaluator",
            "2",
        ],
        &["--stream runs Bristol files only"],
    );
    let cut = write("stream-cut", &OR[..OR.len() - 14]);
    fails(
        &[
            "run",
            cut.to_str().unwrap(),
            "--stream",
            "--garbler",
            "1",
            "--evaluator",
            "0",
        ],
        &["not a valid Bristol circuit", "ends after 2 gate lines"],
    );
    // A file that cannot be read is not called an invalid circuit.
    fails(
        &[
            "run",
            "no/such/circuit.txt",
            "--stream",
            "--garbler",
            "1",
            "--evaluator",
            "0",
        ],
        &["cannot open circuit `no/such/circuit.txt`", "No such file"],
    );
    // Nor is a missing source compiled straight into its file: the same
    // message, and no file written.
    let out = std::env::temp_dir().join(format!("yao-missing-{}.yaoc", std::process::id()));
    fails(
        &[
            "compile",
            "no/such/source.yao",
            "--emit",
            "compiled",
            "-o",
            out.to_str().unwrap(),
        ],
        &["cannot open circuit `no/such/source.yao`", "No such file"],
    );
    assert!(!out.exists());
    // Input values are checked against the header before the scan reads
    // the gates: a bad value in a file with a broken gate is the value's
    // error.
    fails(
        &[
            "run",
            cut.to_str().unwrap(),
            "--stream",
            "--garbler",
            "1",
            "--evaluator",
            "seven",
        ],
        &["evaluator input `in1", "cannot read `seven`"],
    );
    // Usage errors are clap's (exit code 2).
    let out = yao(&[
        "run",
        p,
        "--window",
        "4",
        "--garbler",
        "1",
        "--evaluator",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--stream"));
    let out = yao(&[
        "run",
        p,
        "--stream",
        "--window",
        "0",
        "--garbler",
        "1",
        "--evaluator",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("number of gates"));
}

// ------------------------------------------------------------ negative values

/// Two inputs per party, so that negative values fill value lists.
const NEGATIVE: &str =
    "circuit neg(garbler a: i8, garbler c: i16, evaluator b: i8, evaluator d: i32)
    -> (q: i8, r: i8, c: i16, d: i32) { (a / b, a % b, c, d) }";

/// What the circuit above prints for the values every test below gives:
/// -7 / -2 and -7 % -2 (truncating), then -0x100 and -0b101 as they are.
const NEGATIVE_OUT: &str = "q = 3\nr = -1\nc = -256\nd = -5\n";

fn negative_circuit() -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-negative.yao");
    std::fs::write(&path, NEGATIVE).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn eval_and_run_take_bare_negative_values_in_any_base() {
    let c = negative_circuit();
    for command in ["eval", "run"] {
        let out = ok(&[
            command,
            &c,
            "--garbler",
            "-7",
            "-0x100",
            "--evaluator",
            "-2",
            "-0b101",
        ]);
        assert_eq!(out, NEGATIVE_OUT, "yao {command}");
        // Named values, and a negative value right before another option.
        let out = ok(&[
            command,
            &c,
            "--evaluator",
            "d=-0b101",
            "-2",
            "--garbler",
            "c=-256",
            "-7",
            "--hex",
        ]);
        assert!(out.contains("r = -0x1\nc = -0x100"), "yao {command}: {out}");
    }
}

#[test]
fn garbler_and_evaluator_take_bare_negative_values_in_any_base() {
    use std::io::{BufRead, BufReader};
    let c = negative_circuit();
    for flag in ["--garbler", "--input"] {
        let mut garbler = Command::new(env!("CARGO_BIN_EXE_garbler"))
            .args([&c, "--listen", "127.0.0.1:0", "--timeout", "10", flag])
            .args(["-7", "-0x100"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(garbler.stderr.take().unwrap());
        // Compiler warnings (this circuit echoes inputs, which is reported)
        // come before the line that gives the address.
        let mut seen = String::new();
        let addr = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap() == 0 {
                let _ = garbler.kill();
                panic!("the garbler did not start: {seen}");
            }
            if let Some(a) = line.trim().strip_prefix("garbler: listening on ") {
                break a.to_string();
            }
            seen.push_str(&line);
        };
        let addr = addr.as_str();
        let flag = if flag == "--input" {
            flag
        } else {
            "--evaluator"
        };
        let ev = Command::new(env!("CARGO_BIN_EXE_evaluator"))
            .args([
                &c,
                "--connect",
                addr,
                "--timeout",
                "10",
                flag,
                "-2",
                "-0b101",
            ])
            .output()
            .unwrap();
        let g = garbler.wait_with_output().unwrap();
        assert!(
            ev.status.success(),
            "{}",
            String::from_utf8_lossy(&ev.stderr)
        );
        assert!(g.status.success());
        assert_eq!(stdout(&ev), NEGATIVE_OUT);
        assert_eq!(stdout(&g), NEGATIVE_OUT);
    }
}

// ------------------------------------------------------------ JSON integers

#[test]
fn json_output_gives_integers_beyond_2_pow_53_as_strings() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-big.yao");
    std::fs::write(
        &path,
        "circuit big(garbler a: [u64; 3], evaluator b: [i64; 3]) -> (a: [u64; 3], b: [i64; 3]) { (a, b) }",
    )
    .unwrap();
    let c = path.to_str().unwrap();
    for command in ["eval", "run"] {
        let out = ok(&[
            command,
            c,
            "--garbler",
            "[18446744073709551615, 9007199254740993, 9007199254740991]",
            "--evaluator",
            "[-9007199254740992, -9007199254740991, -9223372036854775808]",
            "--json",
        ]);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        // `yao run --json` reports costs too; the outputs are the same.
        let outputs = if command == "run" {
            &json["outputs"]
        } else {
            &json
        };
        assert_eq!(
            outputs["a"],
            serde_json::json!([
                "18446744073709551615",
                "9007199254740993",
                9007199254740991u64
            ]),
            "{command}: {out}"
        );
        assert_eq!(
            outputs["b"],
            serde_json::json!([
                "-9007199254740992",
                -9007199254740991i64,
                "-9223372036854775808"
            ]),
            "{command}: {out}"
        );
    }
}

// ------------------------------------------------------------ waiting for a peer

/// Runs `garbler args` with nobody connecting, killing it if it is still
/// waiting after 10 s; returns its output and how long it ran.
fn garbler_alone(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_garbler"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the garbler binary runs");
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            child.kill().unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = started.elapsed();
    (child.wait_with_output().unwrap(), took)
}

#[test]
fn a_garbler_nobody_connects_to_gives_up_after_its_timeout() {
    let circuit = write("or-alone", OR);
    let circuit = circuit.to_str().unwrap();
    let listen = ["--listen", "127.0.0.1:0", "--garbler", "1"];
    for (flags, within) in [
        (&["--timeout", "1"][..], "within 1s"),
        (
            &["--timeout", "30", "--accept-timeout", "0.5"][..],
            "within 500ms",
        ),
    ] {
        let args: Vec<&str> = [circuit]
            .iter()
            .chain(&listen)
            .chain(flags)
            .copied()
            .collect();
        let (out, took) = garbler_alone(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flags:?}: {err}");
        assert!(
            err.contains("error: no evaluator connected to 127.0.0.1:") && err.contains(within),
            "{flags:?}: {err}"
        );
        assert!(took < Duration::from_secs(4), "{flags:?}: waited {took:?}");
    }
}

// ------------------------------------------------------------ error messages

/// Each cause of an error is printed once, whole, outermost first: a
/// malformed Bristol file (the loader's context, the line, the wiring rule
/// it breaks) and a garbler that hangs up (the party, the phase, the
/// channel's reason).
#[test]
fn an_error_prints_each_cause_once() {
    let path = write("once", OR.replacen("2 1 0 1 2 AND", "2 1 0 99 2 AND", 1));
    let path = path.to_str().unwrap();
    let out = yao(&["compile", path]);
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().next().unwrap_or_default();
    assert_eq!(
        line,
        format!(
            "error: `{path}` is not a valid Bristol circuit: line 5: wire 99 is out of range: \
             the circuit has 5 wires (the AND gate)"
        ),
        "{err}"
    );
    said_once(line);

    // A "garbler" that accepts the connection and closes it at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let peer = std::thread::spawn(move || drop(listener.accept().unwrap()));
    let circuit = write("once-or", OR);
    let out = Command::new(env!("CARGO_BIN_EXE_evaluator"))
        .args([circuit.to_str().unwrap(), "--connect", &addr])
        .args(["--evaluator", "1", "--timeout", "10"])
        .output()
        .expect("the evaluator binary runs");
    peer.join().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err.lines().next().unwrap_or_default();
    assert_eq!(
        line, "error: evaluator: during the handshake: the peer closed the connection",
        "{err}"
    );
    said_once(line);
}

// ---------------------------------------------------------- compiled circuits

/// `yao compile --emit compiled` writes a `.yaoc` that every command loads
/// without compiling again: same id, same outputs, names and types kept.
#[test]
fn compiled_circuits_load_everywhere_and_refuse_damage() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-millionaires.yaoc");
    let p = path.to_str().unwrap();
    ok(&[
        "compile",
        "circuits/millionaires.yao",
        "--emit",
        "compiled",
        "-o",
        p,
    ]);
    let stats = |c: &str| ok(&["compile", c]);
    assert_eq!(stats(p), stats("circuits/millionaires.yao"));
    for (a, b, want) in [("5", "9", "false"), ("9", "5", "true")] {
        let out = ok(&["run", p, "--garbler", a, "--evaluator", b]);
        assert!(out.contains(want), "{out}");
        assert_eq!(out, ok(&["eval", p, "--garbler", a, "--evaluator", b]));
    }
    // Without -o there is nowhere to write bytes to.
    fails(
        &["compile", "circuits/millionaires.yao", "--emit", "compiled"],
        &["name it with -o"],
    );
    // A damaged file is refused by name, never run.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let bad = write("damaged-yaoc", &bytes);
    fails(
        &[
            "run",
            bad.to_str().unwrap(),
            "--garbler",
            "1",
            "--evaluator",
            "2",
        ],
        &["is not a usable compiled circuit"],
    );
    bytes.truncate(100);
    let cut = write("cut-yaoc", &bytes);
    fails(
        &["compile", cut.to_str().unwrap()],
        &["is not a usable compiled circuit", "cut short"],
    );
}

#[test]
fn warnings_are_printed_and_do_not_stop_the_command() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-warn.yao");
    std::fs::write(
        &path,
        "circuit t(garbler a: u8, evaluator b: u8) -> u8 {\n    let t = a + 1;\n    a\n}\n",
    )
    .unwrap();
    let path = path.to_str().unwrap();
    let out = yao(&["eval", path, "--garbler", "5", "--evaluator", "6"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(stdout(&out).contains('5'), "{}", stdout(&out));
    assert!(err.contains("warning: unused variable `t`"), "{err}");
    assert!(err.contains("cli-warn.yao:2:9"), "{err}");
    assert!(err.contains("warning: input `b` is never used"), "{err}");
    assert!(!err.contains("error"), "{err}");
}

// ------------------------------------------------------------ structs by name

const STRUCTS: &str = "struct Point { x: i16, y: i16 }
struct Rect { lo: Point, hi: Point }
circuit hit(garbler r: Rect, evaluator p: Point) -> (inside: bool, moved: Point) {
    let inside = r.lo.x <= p.x && p.x <= r.hi.x && r.lo.y <= p.y && p.y <= r.hi.y;
    (inside, Point { x: p.x - r.lo.x, y: p.y - r.lo.y })
}
";

#[test]
fn struct_inputs_and_outputs_by_field_name() {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-structs.yao");
    std::fs::write(&path, STRUCTS).unwrap();
    let c = path.to_str().unwrap();
    let rect = "{lo: {x: -5, y: 0}, hi: {y: 10, x: 5}}";
    for command in ["eval", "run"] {
        let out = ok(&[
            command,
            c,
            "--garbler",
            rect,
            "--evaluator",
            "p={y: 7, x: 2}",
        ]);
        assert_eq!(
            out, "inside = true\nmoved = {x: 7, y: 7}\n",
            "yao {command}"
        );
        let out = ok(&[
            command,
            c,
            "--garbler",
            rect,
            "--evaluator",
            "{x: -6, y: -1}",
            "--json",
        ]);
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        let outputs = if command == "run" {
            &json["outputs"]
        } else {
            &json
        };
        assert_eq!(outputs["inside"], serde_json::json!(false), "{out}");
        assert_eq!(
            outputs["moved"],
            serde_json::json!({"x": -1, "y": -1}),
            "{out}"
        );
    }
    fails(
        &[
            "eval",
            c,
            "--garbler",
            "{lo: {x: 0, y: 0}, hi: {x: 1}}",
            "--evaluator",
            "{x: 0, y: 0}",
        ],
        &["garbler input `r: Rect`: struct `Point`: field `y` is missing; its fields are `x`, `y`"],
    );
    fails(
        &["eval", c, "--garbler", rect, "--evaluator", "{x: 0, z: 0}"],
        &["struct `Point`: it has no field `z`"],
    );
}

#[test]
fn parties_read_struct_inputs_from_json_files() {
    use std::io::{BufRead, BufReader, Read};
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cli-structs-2pc.yao");
    std::fs::write(&path, STRUCTS).unwrap();
    let c = path.to_str().unwrap();
    let file = write(
        "structs-input.json",
        r#"{"r": {"lo": {"x": -5, "y": 0}, "hi": {"x": 5, "y": 10}}}"#,
    );
    let mut garbler = Command::new(env!("CARGO_BIN_EXE_garbler"))
        .args([c, "--listen", "127.0.0.1:0", "--timeout", "10", "--json"])
        .arg("--input-file")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(garbler.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let Some(addr) = line.trim().strip_prefix("garbler: listening on ") else {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        let _ = garbler.kill();
        panic!("the garbler did not start: {line}{rest}");
    };
    let ev = Command::new(env!("CARGO_BIN_EXE_evaluator"))
        .args([
            c,
            "--connect",
            addr,
            "--timeout",
            "10",
            "--evaluator",
            "{x: 4, y: 9}",
        ])
        .output()
        .unwrap();
    let g = garbler.wait_with_output().unwrap();
    assert!(
        ev.status.success(),
        "{}",
        String::from_utf8_lossy(&ev.stderr)
    );
    assert!(g.status.success());
    assert_eq!(stdout(&ev), "inside = true\nmoved = {x: 9, y: 9}\n");
    let json: serde_json::Value = serde_json::from_str(&stdout(&g)).unwrap();
    assert_eq!(
        json["outputs"],
        serde_json::json!({"inside": true, "moved": {"x": 9, "y": 9}})
    );
}

// ------------------------------------------------- a party without inputs

/// A party with nothing to give declares no input (a `()` input is refused,
/// pointing here): the circuit still runs in real 2PC, and its output,
/// depending on one party only, is a warning unless named with `_`.
#[test]
fn a_party_without_inputs_takes_part_and_zero_bit_inputs_explain_it() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let one = dir.join("cli-one-party.yao");
    std::fs::write(
        &one,
        "circuit sq(evaluator x: u16) -> (sq: u32, low: bool) {\n    let w = x as u32;\n    (w * w, x < 300)\n}\n",
    )
    .unwrap();
    let one = one.to_str().unwrap();
    let out = ok(&["run", one, "--evaluator", "1234"]);
    assert!(out.contains("sq = 1522756"), "{out}");
    assert!(out.contains("low = false"), "{out}");
    let empty = dir.join("cli-empty-input.yao");
    std::fs::write(
        &empty,
        "circuit sq(garbler nothing: (), evaluator x: u16) -> u32 { (x as u32) * (x as u32) }\n",
    )
    .unwrap();
    fails(
        &["eval", empty.to_str().unwrap(), "--evaluator", "3"],
        &[
            "input `nothing` of type `()` has no bits",
            "a party may declare no input at all",
        ],
    );
}

#[test]
fn run_at_the_malicious_level() {
    // The malicious level: same circuit, inputs and JSON outputs; options
    // it cannot honour are refused by name.
    let out = ok(&[
        "run",
        "circuits/millionaires.yao",
        "--security",
        "malicious",
        "--garbler",
        "7",
        "--evaluator",
        "5",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["outputs"]["out"], true, "{out}");
    assert_eq!(json["security"], "malicious", "{out}");
    // The report names what ran, not the semi-honest defaults.
    assert_eq!(json["scheme"], "authenticated-garbling", "{out}");
    assert_eq!(json["ot"], "kos15-softspoken-k4", "{out}");
    // A stream of executions in one session, every one's ANDs counted.
    let ands = json["and_gates"].as_u64().unwrap();
    let out = ok(&[
        "run",
        "circuits/millionaires.yao",
        "--security",
        "malicious",
        "--repeat",
        "3",
        "--garbler",
        "7",
        "--evaluator",
        "5",
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["outputs"]["out"], true, "{out}");
    assert_eq!(json["and_gates"].as_u64().unwrap(), 3 * ands, "{out}");
    fails(
        &[
            "run",
            "circuits/millionaires.yao",
            "--security",
            "malicious",
            "--scheme",
            "three-halves",
            "--garbler",
            "1",
            "--evaluator",
            "2",
        ],
        &["leave them out with --security malicious"],
    );
    // A level clap does not know: a usage error (exit 2) naming the levels.
    let out = yao(&[
        "run",
        "circuits/millionaires.yao",
        "--security",
        "paranoid",
        "--garbler",
        "1",
        "--evaluator",
        "2",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown security level `paranoid`"), "{err}");
}
