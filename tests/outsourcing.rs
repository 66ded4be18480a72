//! Secure outsourcing end to end: input providers run `yao share`, the two
//! servers run as separate processes (or `yao run`) on the share files, and
//! the answer matches the plaintext; a share alone is uniformly distributed;
//! every way a share directory goes wrong is a clear error; the
//! private-inference example agrees with a plaintext model in Rust.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use yao::share::{self, ShareFile, Slot};
use yao_compiler::value::Value;
use yao_compiler::Circuit;

const YAO: &str = env!("CARGO_BIN_EXE_yao");
const GARBLER: &str = env!("CARGO_BIN_EXE_garbler");
const EVALUATOR: &str = env!("CARGO_BIN_EXE_evaluator");

fn circuit_path(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/circuits")).join(name)
}

fn compile(name: &str) -> Circuit {
    yao_compiler::lang::compile_file(&circuit_path(name))
        .unwrap_or_else(|d| panic!("{name} does not compile:\n{d}"))
}

/// A fresh, empty scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("yao-outsourcing-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `yao share` for one slot; panics with its message if it fails.
fn share(circuit: &Path, slot: &str, value: &str, provider: &str, out: &Path) {
    let o = yao_share(circuit, slot, value, provider, out);
    assert!(
        o.status.success(),
        "yao share {slot}={value} failed: {}",
        text(&o.stderr)
    );
}

fn yao_share(circuit: &Path, slot: &str, value: &str, provider: &str, out: &Path) -> Output {
    Command::new(YAO)
        .arg("share")
        .arg(circuit)
        .args([
            "--input",
            slot,
            "--value",
            value,
            "--provider",
            provider,
            "--out",
        ])
        .arg(out)
        .output()
        .expect("run yao share")
}

/// What one server process did: exit status, standard output and error.
struct Ran {
    ok: bool,
    out: String,
    err: String,
}

/// Runs the garbler and the evaluator as two processes on loopback, each
/// with its own arguments after the circuit (`--shares DIR`, values, ...);
/// returns what each did.
fn run_servers(circuit: &Path, garbler_args: &[&str], evaluator_args: &[&str]) -> (Ran, Ran) {
    let mut garbler = Command::new(GARBLER)
        .arg(circuit)
        .args(["--listen", "127.0.0.1:0", "--timeout", "10"])
        .args(garbler_args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start garbler");
    let mut stderr = BufReader::new(garbler.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let addr = match line.trim().strip_prefix("garbler: listening on ") {
        Some(a) => a.to_string(),
        None => {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            let _ = garbler.kill();
            let _ = garbler.wait();
            panic!("garbler did not start: {line}{rest}");
        }
    };
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        rest
    });
    let ev = Command::new(EVALUATOR)
        .arg(circuit)
        .args(["--connect", &addr, "--timeout", "10"])
        .args(evaluator_args)
        .output()
        .expect("run evaluator");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = garbler.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            garbler.kill().unwrap();
            let _ = garbler.wait();
            panic!("the garbler hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut g_out = String::new();
    garbler
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut g_out)
        .unwrap();
    let g = Ran {
        ok: status.success(),
        out: g_out,
        err: drain.join().unwrap_or_default(),
    };
    let e = Ran {
        ok: ev.status.success(),
        out: text(&ev.stdout),
        err: text(&ev.stderr),
    };
    (g, e)
}

/// [`run_servers`] on two share directories; both must succeed. Returns
/// both standard outputs.
fn servers(circuit: &Path, garbler_shares: &Path, evaluator_shares: &Path) -> (String, String) {
    let (g, e) = run_servers(
        circuit,
        &["--shares", garbler_shares.to_str().unwrap()],
        &["--shares", evaluator_shares.to_str().unwrap()],
    );
    assert!(e.ok, "evaluator failed: {}", e.err);
    assert!(g.ok, "garbler failed: {}", g.err);
    (g.out, e.out)
}

/// [`run_servers`] on two share directories; both must refuse. Returns
/// both error messages.
fn servers_refuse(
    circuit: &Path,
    garbler_args: &[&str],
    evaluator_args: &[&str],
) -> (String, String) {
    let (g, e) = run_servers(circuit, garbler_args, evaluator_args);
    assert!(!g.ok && !e.ok, "a server accepted: {} / {}", g.out, e.out);
    for err in [&g.err, &e.err] {
        assert!(!err.contains("panicked"), "{err}");
    }
    (g.err, e.err)
}

/// The garbler alone on a share directory: the errors of assembling shares
/// come before it listens. Returns its error message.
fn garbler_error(circuit: &Path, shares: &Path) -> String {
    let o = Command::new(GARBLER)
        .arg(circuit)
        .args(["--listen", "127.0.0.1:0", "--timeout", "2", "--shares"])
        .arg(shares)
        .stdin(Stdio::null())
        .output()
        .expect("run garbler");
    assert!(!o.status.success(), "the garbler accepted bad shares");
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        !err.contains("listening") && !err.contains("panicked"),
        "{err}"
    );
    err
}

/// Twenty pupils' grades and their providers' names.
fn pupils(rng: &mut StdRng) -> Vec<(String, u32)> {
    (0..20)
        .map(|i| (format!("pupil{i:02}"), rng.random_range(0..=100)))
        .collect()
}

/// Every pupil shares its grade for `grades[i]` into `out`.
fn share_grades(out: &Path, grades: &[(String, u32)]) {
    let c = circuit_path("average_grades.yao");
    for (i, (name, grade)) in grades.iter().enumerate() {
        share(&c, &format!("grades[{i}]"), &grade.to_string(), name, out);
    }
}

#[test]
fn twenty_pupils_average_between_two_server_processes() {
    let dir = scratch("twenty");
    let mut rng = StdRng::seed_from_u64(20);
    let grades = pupils(&mut rng);
    share_grades(&dir, &grades);
    let expected = grades.iter().map(|(_, g)| g).sum::<u32>() / 20;
    let c = circuit_path("average_grades.yao");
    // Each server sees only its own subdirectory.
    let (g, e) = servers(&c, &dir.join("garbler"), &dir.join("evaluator"));
    assert_eq!(g.trim(), format!("average = {expected}"));
    assert_eq!(e.trim(), format!("average = {expected}"));
    // `yao run` finds the per-server subdirectories of the same layout.
    let o = Command::new(YAO)
        .arg("run")
        .arg(&c)
        .arg("--garbler-shares")
        .arg(&dir)
        .arg("--evaluator-shares")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), format!("average = {expected}"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_share_file_never_holds_the_grade_and_the_two_reconstruct_it() {
    let dir = scratch("files");
    let c = circuit_path("average_grades.yao");
    share(&c, "grades[7]", "87", "pupil07", &dir);
    let read = |party: &str| -> ShareFile {
        let path = dir.join(party).join("pupil07.share");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let (g, e) = (read("garbler"), read("evaluator"));
    assert_eq!(g.input, "grades");
    assert_eq!(g.index, Some(7));
    assert_eq!(g.provider, "pupil07");
    // Both halves name one split, a fresh random one.
    assert_eq!(g.split, e.split);
    assert!(share::SplitId::parse(&g.split).is_some(), "{}", g.split);
    assert_eq!(g.circuit, compile("average_grades.yao").id().to_hex());
    assert_eq!((g.ty.as_str(), e.ty.as_str()), ("u8", "u8"));
    assert_eq!(u8_share(&g) ^ u8_share(&e), 87);
    #[cfg(unix)]
    for party in ["garbler", "evaluator"] {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir.join(party).join("pupil07.share")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{party}'s share");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn u8_share(f: &ShareFile) -> usize {
    let bits = Value::parse(&f.share)
        .unwrap()
        .encode(&yao_compiler::ValueType::UInt(8))
        .unwrap();
    bits.iter()
        .enumerate()
        .map(|(i, &b)| (b as usize) << i)
        .sum()
}

/// Pearson's chi-square of `counts` against the uniform distribution.
fn chi_square_uniform(counts: &[u64]) -> f64 {
    let n: u64 = counts.iter().sum();
    let expected = n as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum()
}

/// Chi-square test of homogeneity of two samples over the same bins.
fn chi_square_same(a: &[u64], b: &[u64]) -> f64 {
    let (na, nb) = (a.iter().sum::<u64>() as f64, b.iter().sum::<u64>() as f64);
    let mut chi = 0.0;
    for (&x, &y) in a.iter().zip(b) {
        let total = (x + y) as f64;
        if total == 0.0 {
            continue;
        }
        let (ea, eb) = (total * na / (na + nb), total * nb / (na + nb));
        chi += (x as f64 - ea).powi(2) / ea + (y as f64 - eb).powi(2) / eb;
    }
    chi
}

/// The chi-square value with 255 degrees of freedom that a correct
/// generator exceeds with probability about 1e-6 (Wilson-Hilferty): the
/// test fails spuriously about once in a million runs.
const CHI2_255_P1E6: f64 = 380.0;

#[test]
fn a_share_alone_is_uniform_whatever_the_grade() {
    let c = compile("average_grades.yao");
    let id = c.id();
    let slot = Slot::parse("grades[3]").unwrap();
    const SAMPLES: usize = 256 * 40;
    let histogram = |grade: u32| -> [Vec<u64>; 2] {
        let mut h = [vec![0u64; 256], vec![0u64; 256]];
        for _ in 0..SAMPLES {
            let files = share::split_for(&c, &id, &slot, grade, "p").unwrap();
            // Through the file format, as a server would read it.
            for (side, f) in files.iter().enumerate() {
                let f: ShareFile =
                    serde_json::from_str(&serde_json::to_string(f).unwrap()).unwrap();
                h[side][u8_share(&f)] += 1;
            }
        }
        h
    };
    let [g0, e0] = histogram(0);
    let [g100, e100] = histogram(100);
    for (what, h) in [
        ("garbler's share of 0", &g0),
        ("evaluator's share of 0", &e0),
        ("garbler's share of 100", &g100),
        ("evaluator's share of 100", &e100),
    ] {
        let chi = chi_square_uniform(h);
        assert!(chi < CHI2_255_P1E6, "{what}: chi-square {chi:.1}");
    }
    for (what, a, b) in [("garbler", &g0, &g100), ("evaluator", &e0, &e100)] {
        let chi = chi_square_same(a, b);
        assert!(
            chi < CHI2_255_P1E6,
            "the {what}'s shares of 0 and of 100 differ: chi-square {chi:.1}"
        );
    }
    // The test has power: the grade itself, or a share with one biased
    // bit, fails it.
    let mut biased = vec![0u64; 256];
    for (k, v) in g0.iter().enumerate() {
        biased[k | 1] += v;
    }
    assert!(chi_square_uniform(&biased) > CHI2_255_P1E6);
}

#[test]
fn whole_value_sharing_by_one_provider() {
    let dir = scratch("whole");
    let c = circuit_path("average_grades.yao");
    let grades: Vec<String> = (0..20).map(|i| (i * 5).to_string()).collect();
    share(
        &c,
        "grades",
        &format!("[{}]", grades.join(", ")),
        "school",
        &dir,
    );
    let o = Command::new(YAO)
        .arg("run")
        .arg(&c)
        .arg("--garbler-shares")
        .arg(dir.join("garbler"))
        .arg("--evaluator-shares")
        .arg(dir.join("evaluator"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), "average = 47"); // 950 / 20
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn average_age_per_zip_code() {
    let dir = scratch("age");
    let c = circuit_path("average_age.yao");
    let zips = [10001u32, 10002, 10003, 10004];
    let mut rng = StdRng::seed_from_u64(33);
    let mut sums = [0u32; 4];
    let mut counts = [0u32; 4];
    for r in 0..32 {
        // Some residents live outside the county's zip codes (or the slot is empty).
        let (zip, age) = if r % 9 == 8 {
            (if r % 2 == 0 { 0 } else { 99999 }, rng.random_range(0..100))
        } else {
            let z = rng.random_range(0..4);
            let age = rng.random_range(0..=110u32);
            sums[z] += age;
            counts[z] += 1;
            (zips[z], age)
        };
        share(
            &c,
            &format!("residents[{r}]"),
            &format!("({zip}, {age})"),
            &format!("resident{r}"),
            &dir,
        );
    }
    let (g, e) = servers(&c, &dir, &dir);
    let list = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
    let expected = format!("sums = [{}]\ncounts = [{}]", list(&sums), list(&counts));
    assert_eq!(g.trim(), expected);
    assert_eq!(e.trim(), expected);
    let _ = std::fs::remove_dir_all(&dir);
}

// ------------------------------------------------------------ private inference

/// The plaintext model: the first class with the highest score.
fn classify(weights: &[[i8; 4]; 3], bias: &[i16; 3], x: &[i8; 4]) -> u8 {
    let mut best = (i64::MIN, 0u8);
    for c in 0..3 {
        let score = bias[c] as i64
            + (0..4)
                .map(|i| weights[c][i] as i64 * x[i] as i64)
                .sum::<i64>();
        if score > best.0 {
            best = (score, c as u8);
        }
    }
    best.1
}

fn int_bits(v: i64, w: usize) -> Vec<bool> {
    (0..w).map(|i| (v >> i) & 1 == 1).collect()
}

struct Query {
    weights: [[i8; 4]; 3],
    bias: [i16; 3],
    x: [i8; 4],
}

fn random_query(rng: &mut StdRng, small: bool) -> Query {
    let mut r8 = || -> i8 {
        if small {
            rng.random_range(-3..=3)
        } else {
            rng.random()
        }
    };
    let weights = [
        [r8(), r8(), r8(), r8()],
        [r8(), r8(), r8(), r8()],
        [r8(), r8(), r8(), r8()],
    ];
    let x = [r8(), r8(), r8(), r8()];
    let bias = if small {
        [0, 0, 0]
    } else {
        [rng.random(), rng.random(), rng.random()]
    };
    Query { weights, bias, x }
}

#[test]
fn linear_classifier_agrees_with_plaintext_model() {
    let c = compile("linear_classifier.yao");
    let mut rng = StdRng::seed_from_u64(7);
    for k in 0..400 {
        // Small values make ties (the first class wins) frequent.
        let q = random_query(&mut rng, k % 4 == 0);
        let w: Vec<bool> = q
            .weights
            .iter()
            .flatten()
            .flat_map(|&v| int_bits(v as i64, 8))
            .collect();
        let b: Vec<bool> = q
            .bias
            .iter()
            .flat_map(|&v| int_bits(v as i64, 16))
            .collect();
        let x: Vec<bool> = q.x.iter().flat_map(|&v| int_bits(v as i64, 8)).collect();
        let out = c.eval_plain(&[w, b, x]).unwrap();
        let class: u8 = out[0]
            .iter()
            .enumerate()
            .map(|(i, &bit)| (bit as u8) << i)
            .sum();
        assert_eq!(
            class,
            classify(&q.weights, &q.bias, &q.x),
            "weights {:?} bias {:?} features {:?}",
            q.weights,
            q.bias,
            q.x
        );
    }
}

#[test]
fn linear_classifier_two_party_runs() {
    let path = circuit_path("linear_classifier.yao");
    let mut rng = StdRng::seed_from_u64(8);
    let list = |v: &[String]| format!("[{}]", v.join(", "));
    for k in 0..3 {
        let q = random_query(&mut rng, k == 0);
        let weights = list(
            &q.weights
                .iter()
                .map(|row| list(&row.iter().map(i8::to_string).collect::<Vec<_>>()))
                .collect::<Vec<_>>(),
        );
        let bias = list(&q.bias.iter().map(i16::to_string).collect::<Vec<_>>());
        let x = list(&q.x.iter().map(i8::to_string).collect::<Vec<_>>());
        let o = Command::new(YAO)
            .arg("run")
            .arg(&path)
            .arg("--garbler")
            .arg(format!("weights={weights}"))
            .arg(format!("bias={bias}"))
            .arg("--evaluator")
            .arg(format!("features={x}"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert_eq!(
            text(&o.stdout).trim(),
            format!("class = {}", classify(&q.weights, &q.bias, &q.x))
        );
    }
}

// --------------------------------------------------------------------- errors

/// A complete share directory for the twenty pupils.
fn complete(test: &str) -> PathBuf {
    let dir = scratch(test);
    let mut rng = StdRng::seed_from_u64(1);
    share_grades(&dir, &pupils(&mut rng));
    dir
}

#[test]
fn missing_slot_names_the_slot_and_who_has_shared() {
    let dir = complete("missing");
    std::fs::remove_file(dir.join("garbler/pupil03.share")).unwrap();
    let err = garbler_error(&circuit_path("average_grades.yao"), &dir);
    assert!(err.contains("no share for slot grades[3]"), "{err}");
    assert!(err.contains("19 providers have shared"), "{err}");
    assert!(err.contains("garbler"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_directory_misses_every_slot() {
    let dir = scratch("empty");
    let err = garbler_error(&circuit_path("average_grades.yao"), &dir);
    assert!(
        err.contains("20 of 20 slots missing") && err.contains("no provider has shared yet"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_shares_for_one_slot() {
    let dir = complete("duplicate");
    let c = circuit_path("average_grades.yao");
    share(&c, "grades[5]", "42", "impostor", &dir);
    let err = garbler_error(&c, &dir);
    assert!(err.contains("two shares for slot grades[5]"), "{err}");
    assert!(
        err.contains("`impostor`") && err.contains("`pupil05`"),
        "{err}"
    );
    assert!(err.contains("impostor.share"), "{err}");
    // A whole-value share overlaps every element share.
    let dir2 = complete("overlap");
    share(
        &c,
        "grades",
        &format!("[{}]", ["1"; 20].join(",")),
        "all",
        &dir2,
    );
    let err = garbler_error(&c, &dir2);
    assert!(err.contains("two shares for slot grades["), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

#[test]
fn a_share_made_for_another_circuit() {
    let dir = complete("other");
    // The same shared input, another function: another circuit id.
    let other = dir.join("median.yao");
    std::fs::write(
        &other,
        "circuit sum(shared grades: [u8; 20]) -> u16 {
            let mut t: u16 = 0;
            for i in 0..20 { t = t + (grades[i] as u16); }
            t
        }",
    )
    .unwrap();
    let stale = dir.join("stale");
    share(&other, "grades[9]", "70", "pupil09", &stale);
    std::fs::remove_file(dir.join("garbler/pupil09.share")).unwrap();
    std::fs::copy(
        stale.join("garbler/pupil09.share"),
        dir.join("garbler/pupil09.share"),
    )
    .unwrap();
    let err = garbler_error(&circuit_path("average_grades.yao"), &dir);
    assert!(err.contains("made for another circuit"), "{err}");
    assert!(
        err.contains("pupil09.share") && err.contains("`pupil09`"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Rewrites one field of pupil04's garbler share file.
fn tamper(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let path = dir.join("garbler/pupil04.share");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut json);
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

#[test]
fn a_share_of_the_wrong_width() {
    let c = circuit_path("average_grades.yao");
    // Out of the slot's range.
    let dir = complete("range");
    tamper(&dir, |j| j["share"] = "0x1ff".into());
    let err = garbler_error(&c, &dir);
    assert!(
        err.contains("wrong width for slot grades[4]") && err.contains("`pupil04`"),
        "{err}"
    );
    assert!(err.contains("pupil04.share"), "{err}");
    // Made for a slot of another type.
    let dir2 = complete("width");
    tamper(&dir2, |j| j["type"] = "u16".into());
    let err = garbler_error(&c, &dir2);
    assert!(
        err.contains("wrong width for slot grades[4] (u8)") && err.contains("u16"),
        "{err}"
    );
    // An element index the input does not have.
    let dir3 = complete("index");
    tamper(&dir3, |j| j["index"] = 20.into());
    let err = garbler_error(&c, &dir3);
    assert!(
        err.contains("grades[20]") && err.contains("out of range"),
        "{err}"
    );
    for d in [dir, dir2, dir3] {
        let _ = std::fs::remove_dir_all(&d);
    }
}

#[test]
fn a_malformed_share_file() {
    let c = circuit_path("average_grades.yao");
    for (test, content) in [
        ("garbage", "this is not JSON".to_string()),
        ("truncated", "{\"format\": \"yao-share-v2\", ".to_string()),
        (
            "missing-field",
            "{\"format\": \"yao-share-v2\"}".to_string(),
        ),
        ("binary", "\u{0}\u{1}\u{2}".to_string()),
    ] {
        let dir = complete(test);
        std::fs::write(dir.join("garbler/pupil11.share"), content).unwrap();
        let err = garbler_error(&c, &dir);
        assert!(
            err.contains("pupil11.share") && err.contains("is malformed"),
            "{test}: {err}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    let dir = complete("unknown-field");
    tamper(&dir, |j| j["extra"] = 1.into());
    let err = garbler_error(&c, &dir);
    assert!(
        err.contains("is malformed") && err.contains("extra"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let dir = complete("version");
    tamper(&dir, |j| j["format"] = "yao-share-v9".into());
    let err = garbler_error(&c, &dir);
    assert!(err.contains("is malformed") && err.contains("v9"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    let dir = complete("split");
    tamper(&dir, |j| j["split"] = "not hex".into());
    let err = garbler_error(&c, &dir);
    assert!(
        err.contains("is malformed") && err.contains("split `not hex`"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_other_servers_share_is_refused() {
    let dir = complete("party");
    std::fs::copy(
        dir.join("evaluator/pupil02.share"),
        dir.join("garbler/pupil02-copy.share"),
    )
    .unwrap();
    let err = garbler_error(&circuit_path("average_grades.yao"), &dir);
    assert!(
        err.contains("is the evaluator's share, not the garbler's") && err.contains("`pupil02`"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ----------------------------------------------------- shares of other splits

/// The share directory of one server, as a `--shares` argument.
fn shares_arg(dir: &Path) -> [&str; 2] {
    ["--shares", dir.to_str().unwrap()]
}

/// Both servers' refusals name `slot` and say why.
fn assert_names_slot(slot: &str, errors: &[&str]) {
    for err in errors {
        assert!(
            err.contains(&format!(
                "slot {slot}: the garbler's share belongs to another split than the evaluator's \
                 (stale or mixed share files)"
            )),
            "{err}"
        );
        assert!(err.contains("must share again"), "{err}");
    }
}

#[test]
fn a_stale_share_is_refused_naming_the_slot() {
    let dir = complete("stale");
    let c = circuit_path("average_grades.yao");
    let (g, _) = servers(&c, &dir.join("garbler"), &dir.join("evaluator"));
    assert!(g.starts_with("average = "), "{g}");
    // Pupil 3 corrects its grade and shares again; only the evaluator gets
    // the new file, the garbler keeps the one of the earlier run.
    let again = dir.join("again");
    share(&c, "grades[3]", "99", "pupil03", &again);
    std::fs::copy(
        again.join("evaluator/pupil03.share"),
        dir.join("evaluator/pupil03.share"),
    )
    .unwrap();
    let (g, e) = servers_refuse(
        &c,
        &shares_arg(&dir.join("garbler")),
        &shares_arg(&dir.join("evaluator")),
    );
    assert_names_slot("grades[3]", &[&g, &e]);
    assert!(g.contains("garbler/pupil03.share") && e.contains("evaluator/pupil03.share"));
    // `yao run` refuses the same way.
    let o = Command::new(YAO)
        .arg("run")
        .arg(&c)
        .arg("--garbler-shares")
        .arg(&dir)
        .arg("--evaluator-shares")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_names_slot("grades[3]", &[&text(&o.stderr)]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn halves_of_two_different_splits_are_refused_naming_the_slots() {
    // The class shared twice (the same grades): the garbler is given the
    // first run's files, the evaluator the second's.
    let first = complete("mixed-first");
    let second = complete("mixed-second");
    let c = circuit_path("average_grades.yao");
    let (g, e) = servers_refuse(
        &c,
        &shares_arg(&first.join("garbler")),
        &shares_arg(&second.join("evaluator")),
    );
    assert_names_slot("grades[0]", &[&g, &e]);
    for err in [&g, &e] {
        assert!(
            err.contains("19 other slots differ too: grades[1], grades[2]")
                && err.contains("and 11 more"),
            "{err}"
        );
    }
    // One element mixed into otherwise matching files.
    std::fs::copy(
        first.join("evaluator/pupil17.share"),
        second.join("evaluator/pupil17.share"),
    )
    .unwrap();
    let (g, e) = servers_refuse(
        &c,
        &shares_arg(&second.join("garbler")),
        &shares_arg(&second.join("evaluator")),
    );
    assert_names_slot("grades[17]", &[&g, &e]);
    assert!(!g.contains("other slot"), "{g}");
    let _ = std::fs::remove_dir_all(&first);
    let _ = std::fs::remove_dir_all(&second);
}

#[test]
fn a_substituted_share_is_refused_naming_the_slot() {
    let dir = complete("substituted");
    let c = circuit_path("average_grades.yao");
    // Someone else shares a value for pupil 5's slot and puts their file in
    // place of pupil 5's on the garbler's side.
    let forged = dir.join("forged");
    share(&c, "grades[5]", "100", "mallory", &forged);
    std::fs::remove_file(dir.join("garbler/pupil05.share")).unwrap();
    std::fs::copy(
        forged.join("garbler/mallory.share"),
        dir.join("garbler/mallory.share"),
    )
    .unwrap();
    let (g, e) = servers_refuse(
        &c,
        &shares_arg(&dir.join("garbler")),
        &shares_arg(&dir.join("evaluator")),
    );
    assert_names_slot("grades[5]", &[&g, &e]);
    assert!(
        g.contains("garbler/mallory.share") && g.contains("`mallory`"),
        "{g}"
    );
    assert!(
        e.contains("evaluator/pupil05.share") && e.contains("`pupil05`"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn share_files_on_one_server_only_are_refused_on_both() {
    let dir = complete("one-sided");
    let c = circuit_path("average_grades.yao");
    let typed = format!("grades.e=[{}]", ["0"; 20].join(","));
    let (g, e) = servers_refuse(
        &c,
        &shares_arg(&dir.join("garbler")),
        &["--evaluator", &typed],
    );
    assert!(
        g.contains("the evaluator does not use share files") && g.contains("--shares"),
        "{g}"
    );
    assert!(
        e.contains("the garbler uses share files (--shares) and this evaluator does not"),
        "{e}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_old_format_share_file_asks_to_share_again() {
    let dir = complete("old-format");
    let path = tamper(&dir, |j| {
        let map = j.as_object_mut().unwrap();
        map.remove("split");
        map.insert("format".into(), "yao-share-v1".into());
    });
    let err = garbler_error(&circuit_path("average_grades.yao"), &dir);
    assert!(
        err.contains(&format!(
            "share file `{}` is in the old format `yao-share-v1`",
            path.display()
        )) && err.contains("must share again"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_provider_may_stay_anonymous() {
    let dir = scratch("anonymous");
    let c = circuit_path("average_grades.yao");
    let o = Command::new(YAO)
        .arg("share")
        .arg(&c)
        .args(["--input", "grades[0]", "--value", "70", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let files: Vec<String> = std::fs::read_dir(dir.join("garbler"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 1);
    let label = files[0].strip_suffix(".share").unwrap();
    assert!(
        label.len() == 13
            && label.starts_with("anon-")
            && label[5..].chars().all(|c| c.is_ascii_hexdigit()),
        "{label}"
    );
    assert!(text(&o.stdout).starts_with(&format!("{label} shared grades[0]")));
    let g: ShareFile = serde_json::from_str(
        &std::fs::read_to_string(dir.join("garbler").join(&files[0])).unwrap(),
    )
    .unwrap();
    assert_eq!(g.provider, label);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sharing_errors_name_what_is_wrong() {
    let dir = scratch("share-errors");
    let c = circuit_path("average_grades.yao");
    let fails = |slot: &str, value: &str, provider: &str, needle: &str| {
        let o = yao_share(&c, slot, value, provider, &dir);
        assert_eq!(o.status.code(), Some(1), "{slot} {value} {provider}");
        let err = text(&o.stderr);
        assert!(err.contains(needle), "{slot} {value} {provider}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    };
    fails("grades[20]", "1", "p", "grades[20] is out of range");
    fails("grades[-1]", "1", "p", "is not a slot");
    fails("grade[2]", "1", "p", "no shared input `grade`");
    fails("grades[2]", "256", "p", "256 does not fit in u8");
    fails("grades[2]", "[1, 2]", "p", "expected u8");
    fails("grades", "[1, 2]", "p", "takes 20 elements");
    fails("grades[2]", "1", "../p", "not a valid provider name");
    fails("grades[2]", "1", "", "not a valid provider name");
    share(&c, "grades[2]", "1", "p", &dir);
    fails("grades[3]", "1", "p", "already exists");
    let plain = circuit_path("millionaires.yao");
    let o = yao_share(&plain, "alice", "1", "q", &dir);
    assert!(text(&o.stderr).contains("no shared inputs"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn servers_without_shares_are_told_how_to_give_them() {
    let o = Command::new(YAO)
        .arg("run")
        .arg(circuit_path("average_grades.yao"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("grades.g") && err.contains("--shares"),
        "{err}"
    );
    // Shares can also be typed as values of the share groups.
    let o = Command::new(YAO)
        .arg("eval")
        .arg(circuit_path("average_grades.yao"))
        .arg("--garbler")
        .arg(format!("grades.g=[{}]", ["255"; 20].join(",")))
        .arg("--evaluator")
        .arg(format!("grades.e=[{}]", ["155"; 20].join(",")))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).trim(), "average = 100"); // 255 ^ 155 = 100
}
