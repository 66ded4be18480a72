//! `evaluator`: the evaluating party. Connects, evaluates, and prints the outputs.

use anyhow::Result;
use clap::Parser;
use std::path::PathBuf;
use yao::circuit_file::CircuitArgs;
use yao::outputs::OutputArgs;
use yao::party::{self, InputArgs, NetArgs};
use yao::windowed::{self, WindowedArgs};
use yao_compiler::Party;
use yao_runtime::protocol::EvaluatorSetup;

#[derive(Parser)]
#[command(
    name = "evaluator",
    version,
    about = "The evaluator of a Yao two-party computation"
)]
struct Cli {
    #[command(flatten)]
    circuit: CircuitArgs,
    /// The garbler's address.
    #[arg(long, default_value = "127.0.0.1:7000")]
    connect: String,
    /// The evaluator's inputs: `NAME=VALUE` or bare values in input order.
    #[arg(
        long,
        alias = "input",
        num_args = 0..,
        value_name = "V",
        allow_negative_numbers = true
    )]
    evaluator: Vec<String>,
    #[command(flatten)]
    input: InputArgs,
    /// A directory of providers' share files (`yao share`) for the circuit's
    /// `shared` inputs; its `evaluator/` subdirectory is used if there is one.
    #[arg(long, value_name = "DIR")]
    shares: Option<PathBuf>,
    #[command(flatten)]
    stream: WindowedArgs,
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    output: OutputArgs,
}

fn main() {
    party::tune_allocator();
    let args = yao::inputs::negative_values_as_values(std::env::args_os());
    if let Err(e) = run(Cli::parse_from(args)) {
        yao::exit_with(&e);
    }
}

fn run(cli: Cli) -> Result<()> {
    cli.net.init_logs();
    if cli.stream.stream {
        return run_windowed(cli);
    }
    let circuit = cli.circuit.open()?;
    tracing::debug!("evaluator: circuit loaded");
    let values = party::with_input_file(cli.evaluator, &cli.input)?;
    let inputs =
        yao::share::party_inputs(&circuit, Party::Evaluator, &values, cli.shares.as_deref())?;
    let timeout = cli.net.timeout()?;
    // The schedule is built while the handshake and base OTs wait for the
    // garbler, so the connection is made as soon as the inputs are known.
    let setup =
        EvaluatorSetup::deferred_identified(circuit.identified()).with_settings(cli.net.settings());
    tracing::debug!("evaluator: session prepared");
    let stream = party::connect(&cli.connect, timeout)?;
    tracing::debug!("evaluator: connected");
    let (out, stats) = party::evaluate_session(stream, setup, &inputs, timeout, cli.net.repeat)?;
    party::report(circuit.ir(), &out, &stats, cli.net.settings(), cli.output);
    Ok(())
}

/// `--stream`: the circuit file is read window by window.
fn run_windowed(cli: Cli) -> Result<()> {
    windowed::check_options(cli.shares.is_some())?;
    let values = party::with_input_file(cli.evaluator, &cli.input)?;
    let inputs = windowed::party_inputs(&cli.circuit, Party::Evaluator, &values)?;
    let circuit = windowed::open(&cli.circuit)?;
    let groups = windowed::groups(&circuit);
    let timeout = cli.net.timeout()?;
    let stream = party::connect(&cli.connect, timeout)?;
    let (out, stats) = windowed::evaluate(
        stream,
        &circuit,
        &inputs,
        timeout,
        cli.stream.window,
        cli.net.repeat,
        cli.net.settings(),
    )?;
    party::report(&groups, &out, &stats, cli.net.settings(), cli.output);
    Ok(())
}
