//! `--stream`: the party binaries and `yao run` on a Bristol file read
//! window by window ([`yao_core::window`]) instead of loaded whole, so
//! that a circuit far larger than memory runs in memory bounded by its live
//! wires.

use crate::circuit_file::CircuitArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::net::TcpStream;
use std::time::{Duration, Instant};
use yao_compiler::bristol_stream::{StreamError, StreamedCircuit};
use yao_compiler::{Circuit, Party};
use yao_runtime::protocol::{evaluate_windowed, garble_windowed, ExecutionStats, WindowedOutcome};
use yao_runtime::TcpChannel;

/// The streaming options the party binaries and `yao run` share.
#[derive(Args, Debug, Clone)]
pub struct StreamArgs {
    /// Read the Bristol file window by window instead of loading it: memory
    /// follows the circuit's live wires, not its gate count. Both parties
    /// must stream, with the same --window.
    #[arg(long)]
    pub stream: bool,
    /// Gates per window with --stream.
    #[arg(long, default_value_t = yao_core::window::WINDOW, requires = "stream",
          value_parser = window_size)]
    pub window: usize,
}

fn window_size(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(w) if (1..=1 << 20).contains(&w) => Ok(w),
        _ => Err(format!("expected a number of gates from 1 to {}", 1 << 20)),
    }
}

/// Scans the circuit file for streaming; a `.yao` source is refused.
pub fn open(args: &CircuitArgs) -> Result<StreamedCircuit> {
    let path = bristol_path(args)?;
    StreamedCircuit::open(path, &args.bristol_options()).map_err(|e| refused(path, e))
}

/// The circuit's input groups from the file's header alone: a party checks
/// its input values against them before the scan, which reads a large file
/// several times over (a typo in a value is reported at once, not after
/// the scan).
pub fn input_groups(args: &CircuitArgs) -> Result<crate::Circuit> {
    let path = bristol_path(args)?;
    let inputs = StreamedCircuit::read_inputs(path, &args.bristol_options())
        .map_err(|e| refused(path, e))?;
    Ok(crate::Circuit::groups_only(inputs))
}

/// One party's input bits for a streamed run, from its values, checked
/// against the file's header before the long scan (see [`input_groups`]).
pub fn party_inputs(args: &CircuitArgs, party: Party, values: &[String]) -> Result<Vec<Vec<bool>>> {
    crate::party::party_inputs(&input_groups(args)?, party, values)
}

/// The error for a file the streamed reader refused: one it could not read
/// is reported as the loader reports it, not as an invalid circuit.
fn refused(path: &std::path::Path, e: StreamError) -> anyhow::Error {
    match e {
        StreamError::Io { source, .. } => {
            anyhow::Error::new(source).context(format!("cannot open circuit `{}`", path.display()))
        }
        e => anyhow::Error::new(e).context(format!(
            "`{}` is not a valid Bristol circuit",
            path.display()
        )),
    }
}

/// The circuit file, refused if it is a `.yao` source.
fn bristol_path(args: &CircuitArgs) -> Result<&std::path::Path> {
    let path = &args.circuit;
    if path.extension().is_some_and(|e| e == "yao") {
        bail!(
            "--stream runs Bristol files only; `{}` is a Yao source (export it first with \
             `yao compile {} --emit bristol -o FILE`)",
            path.display(),
            path.display()
        );
    }
    Ok(path)
}

/// The circuit's groups without its gates: what reading inputs and printing
/// outputs need.
pub fn groups(s: &StreamedCircuit) -> Circuit {
    Circuit {
        name: s.name().to_string(),
        num_wires: s.num_wires(),
        inputs: s.inputs().to_vec(),
        outputs: s.outputs().to_vec(),
        gates: Vec::new(),
    }
}

fn stats(o: &WindowedOutcome, took: Duration) -> ExecutionStats {
    ExecutionStats {
        and_gates: o.and_gates,
        traffic: o.traffic,
        tables: took,
        ..ExecutionStats::default()
    }
}

/// The garbler's side of one streamed execution on an accepted connection.
pub fn garble(
    stream: TcpStream,
    s: &StreamedCircuit,
    inputs: &[Vec<bool>],
    timeout: Duration,
    window: usize,
) -> Result<(Vec<Vec<bool>>, ExecutionStats)> {
    let start = Instant::now();
    let ch = TcpChannel::new(stream, Some(timeout))?;
    let o = garble_windowed(ch, s, window, inputs).context("garbler")?;
    let stats = stats(&o, start.elapsed());
    Ok((o.outputs, stats))
}

/// The evaluator's side of one streamed execution on a connected stream.
pub fn evaluate(
    stream: TcpStream,
    s: &StreamedCircuit,
    inputs: &[Vec<bool>],
    timeout: Duration,
    window: usize,
) -> Result<(Vec<Vec<bool>>, ExecutionStats)> {
    let start = Instant::now();
    let ch = TcpChannel::new(stream, Some(timeout))?;
    let o = evaluate_windowed(ch, s, window, inputs).context("evaluator")?;
    let stats = stats(&o, start.elapsed());
    Ok((o.outputs, stats))
}

/// Refuses the options that need the whole circuit.
pub fn check_options(repeat: u64, shares: bool) -> Result<()> {
    if repeat > 1 {
        bail!("--repeat is not supported with --stream");
    }
    if shares {
        bail!("share files are not supported with --stream (Bristol files have no shared inputs)");
    }
    Ok(())
}
