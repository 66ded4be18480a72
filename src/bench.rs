//! `yao bench`: this machine's figures, as `name: value` lines or one JSON
//! object. Every rate is set next to the ceiling the hash allows on the same
//! CPU, measured in the same run, so a figure means something on any machine.

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;
use yao_compiler::Circuit;
use yao_core::bench as garbling;
use yao_runtime::bench as ot;

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Print one JSON object instead of `name: value` lines.
    #[arg(long)]
    pub json: bool,
    /// Seconds spent measuring each figure.
    #[arg(long, default_value_t = 1.0)]
    pub seconds: f64,
    /// Only figures whose name starts with one of these prefixes (e.g. `garble`, `ot`,
    /// `e2e.aes128.three_halves`); a prefix that names no figure is an error.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

/// AES calls per AND gate with the two-call TCCR hash: half-gates hashes
/// four labels to garble and two to evaluate; three-halves six and three.
const AES_PER_GARBLED_AND: f64 = 8.0;
const AES_PER_EVALUATED_AND: f64 = 4.0;
const AES_PER_GARBLED_AND_3H: f64 = 12.0;
const AES_PER_EVALUATED_AND_3H: f64 = 6.0;

/// Benchmark groups, each with the names of the figures it prints. The
/// `--only` filter is matched against these names, so a prefix selects
/// exactly the groups that print a figure it names.
fn catalog() -> Vec<(String, Vec<String>)> {
    let with = |group: &str, tails: &[&str]| {
        let names = tails.iter().map(|t| format!("{group}.{t}")).collect();
        (group.to_string(), names)
    };
    let mut groups = vec![
        ("circuits".to_string(), vec!["circuits".to_string()]),
        with("ceiling", &["aes_blocks_per_s"]),
    ];
    for circuit in ["aes128", "sha256"] {
        for op in ["garble", "eval"] {
            for scheme in ["", ".three_halves"] {
                groups.push(with(
                    &format!("{op}.{circuit}{scheme}"),
                    &["and_per_s", "of_ceiling"],
                ));
            }
        }
    }
    let mut ot = vec![
        "ot.cot_per_s".to_string(),
        "ot.setup_ms".to_string(),
        "ot.setup_prepared_ms".to_string(),
    ];
    for ext in yao_runtime::ot::Extension::ALL {
        ot.push(format!("ot.{ext}.cot_per_s"));
        ot.push(format!("ot.{ext}.bytes_per_ot"));
    }
    groups.push(("ot".to_string(), ot));
    let hamming = yao_runtime::ot::Extension::ALL
        .into_iter()
        .map(|ext| format!("e2e.hamming.{ext}.bytes_per_and"))
        .collect();
    groups.push(("e2e.hamming".to_string(), hamming));
    for group in ["e2e.aes128", "e2e.aes128.three_halves"] {
        groups.push(with(group, &["and_per_s", "bytes_per_and", "oneshot_ms"]));
    }
    groups.push(with(
        "e2e.aes128.malicious",
        &[
            "and_per_s",
            "bytes_per_and",
            "oneshot_ms",
            "setup_ms",
            "preprocessing_ms",
            "online_ms",
            "preprocessing_bytes_per_and",
            "online_bytes_per_and",
            "stream_and_per_s",
            "stream_bytes_per_and",
            "stream_preprocessing_and_per_s",
            "stream_online_and_per_s",
        ],
    ));
    groups
}

/// The groups that `--only` selects: every group when it is empty,
/// otherwise those printing a figure whose name starts with one of the
/// prefixes. A prefix that selects nothing is an error naming the groups,
/// so a typo never silently measures nothing.
fn selected(only: &[String]) -> Result<Vec<String>> {
    let groups = catalog();
    if only.is_empty() {
        return Ok(groups.into_iter().map(|(g, _)| g).collect());
    }
    let names_one = |p: &str, names: &[String]| names.iter().any(|n| n.starts_with(p));
    if let Some(p) = only
        .iter()
        .find(|p| !groups.iter().any(|(_, names)| names_one(p, names)))
    {
        let all: Vec<&str> = groups.iter().map(|(g, _)| g.as_str()).collect();
        bail!(
            "--only `{p}` matches no benchmark; the groups are: {}",
            all.join(", ")
        );
    }
    Ok(groups
        .into_iter()
        .filter(|(_, names)| only.iter().any(|p| names_one(p, names)))
        .map(|(g, _)| g)
        .collect())
}

struct Figures {
    json: bool,
    groups: Vec<String>,
    map: Map<String, Value>,
}

impl Figures {
    /// Whether `group` (a name from [`catalog`]) was selected.
    fn wants(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }

    fn put(&mut self, name: &str, value: impl Into<Value>) {
        let value = value.into();
        if !self.json {
            crate::say(&format!("{name}: {}\n", plain(&value)));
        }
        self.map.insert(name.to_string(), value);
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() != 0.0 && f.abs() < 1e3 => format!("{f:.3}"),
            Some(f) if n.is_f64() => format!("{f:.0}"),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs the benchmarks and prints the figures.
pub fn run(args: &BenchArgs) -> Result<()> {
    let mut f = Figures {
        json: args.json,
        groups: selected(&args.only)?,
        map: Map::new(),
    };
    let secs = args.seconds;
    let (aes, sha, source) = bench_circuits()?;
    f.put("circuits", source);

    let ceiling = garbling::aes_ceiling(secs);
    f.put("ceiling.aes_blocks_per_s", ceiling.round());
    for (name, c) in [("aes128", &aes), ("sha256", &sha)] {
        let key = format!("garble.{name}.and_per_s");
        if f.wants(&format!("garble.{name}")) {
            let rate = garbling::garble_rate(c, secs);
            f.put(&key, rate.round());
            f.put(
                &format!("garble.{name}.of_ceiling"),
                rate * AES_PER_GARBLED_AND / ceiling,
            );
        }
        let key = format!("eval.{name}.and_per_s");
        if f.wants(&format!("eval.{name}")) {
            let rate = garbling::eval_rate(c, secs);
            f.put(&key, rate.round());
            f.put(
                &format!("eval.{name}.of_ceiling"),
                rate * AES_PER_EVALUATED_AND / ceiling,
            );
        }
        let key = format!("garble.{name}.three_halves.and_per_s");
        if f.wants(&format!("garble.{name}.three_halves")) {
            let rate = garbling::garble_rate_three_halves(c, secs);
            f.put(&key, rate.round());
            f.put(
                &format!("garble.{name}.three_halves.of_ceiling"),
                rate * AES_PER_GARBLED_AND_3H / ceiling,
            );
        }
        let key = format!("eval.{name}.three_halves.and_per_s");
        if f.wants(&format!("eval.{name}.three_halves")) {
            let rate = garbling::eval_rate_three_halves(c, secs);
            f.put(&key, rate.round());
            f.put(
                &format!("eval.{name}.three_halves.of_ceiling"),
                rate * AES_PER_EVALUATED_AND_3H / ceiling,
            );
        }
    }
    if f.wants("ot") {
        let (rate, setup_ms) = ot::cot_rate(1 << 20, secs);
        f.put("ot.cot_per_s", rate.round());
        f.put("ot.setup_ms", setup_ms);
        f.put("ot.setup_prepared_ms", ot::setup_prepared_ms(5));
        for ext in yao_runtime::ot::Extension::ALL {
            let r = ot::cot_rate_with(1 << 20, secs, ext);
            f.put(&format!("ot.{ext}.cot_per_s"), r.cot_per_s.round());
            f.put(&format!("ot.{ext}.bytes_per_ot"), r.bytes_per_ot);
        }
    }
    if f.wants("e2e.hamming") {
        hamming(&mut f)?;
    }
    if f.wants("e2e.aes128")
        || f.wants("e2e.aes128.three_halves")
        || f.wants("e2e.aes128.malicious")
    {
        let dir = std::env::temp_dir().join(format!("yao-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("aes128.txt");
        std::fs::write(&path, yao_compiler::bristol::export(&aes))?;
        let result = e2e(&path, &aes, secs, &mut f);
        let _ = std::fs::remove_dir_all(&dir);
        result?;
    }
    if args.json {
        crate::say(&format!("{}\n", Value::Object(f.map)));
    }
    Ok(())
}

/// AES-128 and SHA-256: the published Bristol files when they are at hand
/// (`YAO_SHARED_CIRCUITS`, default `../shared/circuits`), so the figures
/// compare with other frameworks on the same circuits; otherwise Yao's own
/// DSL circuits, built into the binary (same AND counts).
fn bench_circuits() -> Result<(Circuit, Circuit, String)> {
    let dir = std::env::var_os("YAO_SHARED_CIRCUITS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/circuits"));
    let load = |rel: &str| -> Option<Circuit> {
        let text = std::fs::read_to_string(dir.join(rel)).ok()?;
        yao_compiler::bristol::parse(rel, &text, &Default::default()).ok()
    };
    if let (Some(aes), Some(sha)) = (load("bristol/aes_128.txt"), load("bristol/sha256.txt")) {
        return Ok((
            aes,
            sha,
            format!("{}/bristol/{{aes_128,sha256}}.txt", dir.display()),
        ));
    }
    let compile = |name: &str, source: &str| {
        yao_compiler::lang::compile_str(name, source)
            .map_err(|d| anyhow::anyhow!("built-in circuit {name}: {d}"))
    };
    let aes = compile("aes128.yao", include_str!("../circuits/aes128.yao"))?;
    let sha = compile("sha256.yao", include_str!("../circuits/sha256.yao"))?;
    Ok((aes, sha, "built-in circuits/{aes128,sha256}.yao".into()))
}

/// The party binaries live next to the running `yao`.
fn sibling(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        bail!(
            "cannot find the `{name}` binary next to {} (build the whole package)",
            exe.display()
        );
    }
    Ok(path)
}

const KEY: &str = "0x000102030405060708090a0b0c0d0e0f";
const PLAINTEXT: &str = "0x00112233445566778899aabbccddeeff";

/// Both parties as separate processes over loopback: a stream of AES-128
/// executions in one session, and single runs from process start to output.
fn e2e(path: &Path, aes: &Circuit, secs: f64, f: &mut Figures) -> Result<()> {
    let ands = aes.stats().and;
    // Size the stream to last about `secs` at 20M AND/s, at least 50 runs.
    let repeat = ((secs * 20e6 / ands as f64) as u64).max(50);
    for (prefix, scheme) in [
        ("e2e.aes128", "half-gates"),
        ("e2e.aes128.three_halves", "three-halves"),
    ] {
        if !f.wants(prefix) {
            continue;
        }
        let report = two_processes(path, repeat, &["--scheme", scheme])?;
        let json: Value =
            serde_json::from_str(&report).context("the evaluator's report is not JSON")?;
        let and_gates = json["and_gates"].as_f64().unwrap_or(0.0);
        let ms = json["ms"]["total"].as_f64().unwrap_or(f64::NAN);
        f.put(
            &format!("{prefix}.and_per_s"),
            (and_gates / ms * 1e3).round(),
        );
        let bytes = json["bytes_received"].as_f64().unwrap_or(0.0)
            + json["bytes_sent"].as_f64().unwrap_or(0.0);
        f.put(&format!("{prefix}.bytes_per_and"), bytes / and_gates);

        let mut times = Vec::new();
        for _ in 0..7 {
            let start = Instant::now();
            two_processes(path, 1, &["--scheme", scheme])?;
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        f.put(&format!("{prefix}.oneshot_ms"), times[times.len() / 2]);
    }
    if f.wants("e2e.aes128.malicious") {
        malicious(path, aes, f)?;
    }
    Ok(())
}

/// Executions of AES-128 in the malicious level's stream figures: emp-ag2pc
/// amortizes its published rate over 128.
const MALICIOUS_STREAM: u64 = 128;

/// The malicious level: where one run's time and bytes go, from the
/// driver's own accounts with the parties as two threads over an
/// in-process channel (median of 5 runs); `and_per_s` is the ANDs of one
/// run over its whole protocol time (setup, preprocessing and online). The
/// one-shot time and the bytes are those of two processes over loopback, as
/// for the semi-honest figures. The `stream_` figures are one session of
/// [`MALICIOUS_STREAM`] executions between two processes (`--repeat`): ANDs
/// per second over the whole session (setup included) and bytes per AND;
/// then ANDs per second of the preprocessing (setup included) and of the
/// online phases alone, from the evaluator's report.
fn malicious(path: &Path, aes: &Circuit, f: &mut Figures) -> Result<()> {
    use yao_runtime::protocol::malicious::{self as m, MaliciousStats};
    let ands = aes.stats().and as f64;
    let bits = |party| -> Vec<Vec<bool>> {
        aes.inputs
            .iter()
            .filter(|i| i.party == party)
            .map(|i| i.wires.iter().map(|w| w % 3 == 0).collect())
            .collect()
    };
    let mut runs: Vec<MaliciousStats> = Vec::new();
    for _ in 0..5 {
        let (mut a, mut b) = yao_runtime::MemChannel::pair();
        let stats = std::thread::scope(|s| -> Result<MaliciousStats> {
            let g = s.spawn(|| m::garble(&mut a, aes, &bits(yao_compiler::Party::Garbler)));
            let e = m::evaluate(&mut b, aes, &bits(yao_compiler::Party::Evaluator))?;
            g.join()
                .map_err(|_| anyhow::anyhow!("the garbler thread panicked"))??;
            Ok(e.stats)
        })?;
        runs.push(stats);
    }
    let total = |s: &MaliciousStats| s.setup + s.preprocessing + s.online;
    runs.sort_by_key(total);
    let s = runs[runs.len() / 2];
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    f.put(
        "e2e.aes128.malicious.and_per_s",
        (ands / total(&s).as_secs_f64()).round(),
    );
    f.put("e2e.aes128.malicious.setup_ms", ms(s.setup));
    f.put("e2e.aes128.malicious.preprocessing_ms", ms(s.preprocessing));
    f.put("e2e.aes128.malicious.online_ms", ms(s.online));
    f.put(
        "e2e.aes128.malicious.preprocessing_bytes_per_and",
        s.preprocessing_bytes as f64 / ands,
    );
    f.put(
        "e2e.aes128.malicious.online_bytes_per_and",
        s.online_bytes as f64 / ands,
    );
    let report = two_processes(path, 1, &["--security", "malicious"])?;
    let json: Value =
        serde_json::from_str(&report).context("the evaluator's report is not JSON")?;
    let bytes =
        json["bytes_received"].as_f64().unwrap_or(0.0) + json["bytes_sent"].as_f64().unwrap_or(0.0);
    f.put("e2e.aes128.malicious.bytes_per_and", bytes / ands);
    let mut times = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        two_processes(path, 1, &["--security", "malicious"])?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    f.put("e2e.aes128.malicious.oneshot_ms", times[times.len() / 2]);
    let report = two_processes(path, MALICIOUS_STREAM, &["--security", "malicious"])?;
    let json: Value =
        serde_json::from_str(&report).context("the evaluator's report is not JSON")?;
    let ms = |part: &str| json["ms"][part].as_f64().unwrap_or(f64::NAN);
    let and_gates = json["and_gates"].as_f64().unwrap_or(0.0);
    let rate = |ms: f64| (and_gates / ms * 1e3).round();
    f.put("e2e.aes128.malicious.stream_and_per_s", rate(ms("total")));
    let bytes =
        json["bytes_received"].as_f64().unwrap_or(0.0) + json["bytes_sent"].as_f64().unwrap_or(0.0);
    f.put(
        "e2e.aes128.malicious.stream_bytes_per_and",
        bytes / and_gates,
    );
    f.put(
        "e2e.aes128.malicious.stream_preprocessing_and_per_s",
        rate(ms("ot")),
    );
    f.put(
        "e2e.aes128.malicious.stream_online_and_per_s",
        rate(ms("tables")),
    );
    Ok(())
}

/// `circuits/hamming.yao` (256 input bits a party, 255 ANDs) in one session
/// of one execution, in process: every byte both parties send, handshake
/// and base OTs included, per AND, with each OT extension. Input-heavy
/// circuits are where the extension's bytes per OT show.
fn hamming(f: &mut Figures) -> Result<()> {
    use yao_runtime::protocol::{
        EvaluatorSession, EvaluatorSetup, GarblerSession, GarblerSetup, Settings,
    };
    let c = yao_compiler::lang::compile_str("hamming.yao", include_str!("../circuits/hamming.yao"))
        .map_err(|d| anyhow::anyhow!("built-in circuit hamming.yao: {d}"))?;
    let ands = c.stats().and as f64;
    let bits = |party| -> Vec<Vec<bool>> {
        c.inputs
            .iter()
            .filter(|i| i.party == party)
            .map(|i| i.wires.iter().map(|w| w % 3 == 0).collect())
            .collect()
    };
    for ot in yao_runtime::ot::Extension::ALL {
        let settings = Settings {
            ot,
            ..Settings::default()
        };
        let (a, b) = yao_runtime::MemChannel::pair();
        let total = std::thread::scope(|s| -> Result<u64> {
            let g = s.spawn(|| -> Result<(), yao_runtime::protocol::ProtocolError> {
                let setup = GarblerSetup::new(&c)?.with_settings(settings);
                let mut g = GarblerSession::start_prepared(a, setup)?;
                g.execute(&bits(yao_compiler::Party::Garbler))?;
                g.finish()
            });
            let setup = EvaluatorSetup::new(&c)?.with_settings(settings);
            let mut e = EvaluatorSession::start_prepared(b, setup)?;
            e.execute(&bits(yao_compiler::Party::Evaluator))?;
            let t = e.traffic();
            e.finish()?;
            g.join()
                .map_err(|_| anyhow::anyhow!("the garbler thread panicked"))??;
            Ok(t.sent + t.received)
        })?;
        f.put(
            &format!("e2e.hamming.{ot}.bytes_per_and"),
            total as f64 / ands,
        );
    }
    Ok(())
}

/// Runs garbler and evaluator on `path` with `--repeat`, both started at
/// once as a user on two machines would; returns the evaluator's JSON
/// report.
fn two_processes(path: &Path, repeat: u64, level: &[&str]) -> Result<String> {
    let repeat = repeat.to_string();
    // A port that was free a moment ago; the garbler binds it first thing.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .to_string();
    let mut garbler = Command::new(sibling("garbler")?)
        .arg(path)
        .args(["--listen", &addr, "--repeat", &repeat, "--garbler", KEY])
        .args(level)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start the garbler")?;
    let mut stderr = garbler.stderr.take().expect("piped");
    let said = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let evaluator = Command::new(sibling("evaluator")?)
        .arg(path)
        .args([
            "--connect",
            &addr,
            "--repeat",
            &repeat,
            "--json",
            "--evaluator",
            PLAINTEXT,
        ])
        .args(level)
        .output()
        .context("cannot start the evaluator")?;
    let status = garbler.wait()?;
    let garbler_said = said.join().unwrap_or_default();
    if !evaluator.status.success() || !status.success() {
        bail!(
            "the benchmark run failed: {}{garbler_said}",
            String::from_utf8_lossy(&evaluator.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&evaluator.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(filters: &[&str]) -> Result<Vec<String>> {
        selected(&filters.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn dotted_prefixes_select_their_groups() {
        assert_eq!(
            only(&["e2e.aes128"]).unwrap(),
            [
                "e2e.aes128",
                "e2e.aes128.three_halves",
                "e2e.aes128.malicious"
            ]
        );
        assert_eq!(
            only(&["e2e.aes128.three_halves"]).unwrap(),
            ["e2e.aes128.three_halves"]
        );
        assert_eq!(
            only(&["e2e.aes128.bytes"]).unwrap(),
            ["e2e.aes128"],
            "a prefix of a figure's name selects the group printing it"
        );
        assert_eq!(only(&["e2e.hamming"]).unwrap(), ["e2e.hamming"]);
        assert_eq!(
            only(&["e2e"]).unwrap(),
            [
                "e2e.hamming",
                "e2e.aes128",
                "e2e.aes128.three_halves",
                "e2e.aes128.malicious"
            ]
        );
        assert_eq!(
            only(&["garble.sha256", "ot"]).unwrap(),
            ["garble.sha256", "garble.sha256.three_halves", "ot"]
        );
        assert_eq!(only(&["ot.softspoken-k4"]).unwrap(), ["ot"]);
        assert_eq!(only(&[]).unwrap().len(), catalog().len());
    }

    #[test]
    fn a_filter_matching_nothing_is_an_error_naming_the_groups() {
        let err = only(&["garble", "e2e.aes256"]).unwrap_err().to_string();
        assert!(err.contains("`e2e.aes256`"), "{err}");
        assert!(err.contains("e2e.aes128.three_halves"), "{err}");
        assert!(err.contains("garble.sha256"), "{err}");
        assert!(only(&["nothing"]).is_err());
    }
}
