//! `--stream`: the party binaries and `yao run` on a Bristol file read
//! window by window ([`yao_core::window`]) instead of loaded whole, so
//! that a circuit far larger than memory runs in memory bounded by its live
//! wires.

use crate::circuit_file::CircuitArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use std::net::TcpStream;
use std::time::Duration;
use yao_compiler::bristol_windowed::{WindowedBristol, WindowedBristolError};
use yao_compiler::{Circuit, Party};
use yao_runtime::protocol::{
    EvaluatorSession, EvaluatorSetup, ExecutionStats, GarblerSession, GarblerSetup, Settings,
};
use yao_runtime::TcpChannel;

/// The streaming options the party binaries and `yao run` share.
#[derive(Args, Debug, Clone)]
pub struct WindowedArgs {
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
pub fn open(args: &CircuitArgs) -> Result<WindowedBristol> {
    let path = bristol_path(args)?;
    WindowedBristol::open(path, &args.bristol_options()).map_err(|e| refused(path, e))
}

/// The circuit's input groups from the file's header alone: a party checks
/// its input values against them before the scan, which reads a large file
/// several times over (a typo in a value is reported at once, not after
/// the scan).
pub fn input_groups(args: &CircuitArgs) -> Result<crate::Circuit> {
    let path = bristol_path(args)?;
    let inputs = WindowedBristol::read_inputs(path, &args.bristol_options())
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
fn refused(path: &std::path::Path, e: WindowedBristolError) -> anyhow::Error {
    match e {
        WindowedBristolError::Io { source, .. } => {
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
pub fn groups(s: &WindowedBristol) -> Circuit {
    Circuit {
        name: s.name().to_string(),
        num_wires: s.num_wires(),
        inputs: s.inputs().to_vec(),
        outputs: s.outputs().to_vec(),
        gates: Vec::new(),
    }
}

/// The garbler's side of a session on an accepted connection: `repeat`
/// executions (pipelined, as for a whole circuit), each reading the file
/// window by window. Returns the last outputs and the summed costs.
pub fn garble(
    stream: TcpStream,
    s: &WindowedBristol,
    inputs: &[Vec<bool>],
    timeout: Duration,
    window: usize,
    repeat: u64,
    settings: Settings,
) -> Result<(Vec<Vec<bool>>, ExecutionStats)> {
    let ch = TcpChannel::new(stream, Some(timeout))?;
    let setup = GarblerSetup::windowed(s, window).with_settings(settings);
    let mut session = GarblerSession::start_prepared(ch, setup).context("garbler")?;
    let result = crate::party::repeated(repeat, inputs, |stream, last| {
        session.execute_pipelined(stream, last)
    })
    .context("garbler")?;
    session.finish().context("garbler")?;
    Ok(result)
}

/// The evaluator's side of a session on a connected stream (see [`garble`]).
pub fn evaluate(
    stream: TcpStream,
    s: &WindowedBristol,
    inputs: &[Vec<bool>],
    timeout: Duration,
    window: usize,
    repeat: u64,
    settings: Settings,
) -> Result<(Vec<Vec<bool>>, ExecutionStats)> {
    let ch = TcpChannel::new(stream, Some(timeout))?;
    let setup = EvaluatorSetup::windowed(s, window).with_settings(settings);
    let mut session = EvaluatorSession::start_prepared(ch, setup).context("evaluator")?;
    let result = crate::party::repeated(repeat, inputs, |stream, last| {
        session.execute_pipelined(stream, last)
    })
    .context("evaluator")?;
    session.finish().context("evaluator")?;
    Ok(result)
}

/// Refuses the options that need the whole circuit.
pub fn check_options(shares: bool) -> Result<()> {
    if shares {
        bail!("share files are not supported with --stream (Bristol files have no shared inputs)");
    }
    Ok(())
}
