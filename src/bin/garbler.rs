//! `garbler`: the garbling party. Listens, garbles, and prints the outputs.

use anyhow::Result;
use clap::Parser;
use std::path::PathBuf;
use yao::circuit_file::CircuitArgs;
use yao::outputs::OutputArgs;
use yao::party::{self, InputArgs, NetArgs};
use yao::serve::{serve, ServeArgs};
use yao::windowed::{self, WindowedArgs};
use yao_compiler::Party;
use yao_runtime::protocol::{GarblerKeys, GarblerSetup};

#[derive(Parser)]
#[command(
    name = "garbler",
    version,
    about = "The garbler of a Yao two-party computation"
)]
struct Cli {
    #[command(flatten)]
    circuit: CircuitArgs,
    /// Address to listen on, e.g. 0.0.0.0:7000 (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:7000")]
    listen: String,
    /// The garbler's inputs: `NAME=VALUE` or bare values in input order.
    #[arg(
        long,
        alias = "input",
        num_args = 0..,
        value_name = "V",
        allow_negative_numbers = true
    )]
    garbler: Vec<String>,
    #[command(flatten)]
    input: InputArgs,
    /// A directory of providers' share files (`yao share`) for the circuit's
    /// `shared` inputs; its `garbler/` subdirectory is used if there is one.
    #[arg(long, value_name = "DIR")]
    shares: Option<PathBuf>,
    #[command(flatten)]
    serve: ServeArgs,
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
    let listener = party::listen(&cli.listen)?;
    if cli.stream.stream {
        return run_windowed(cli, listener);
    }
    // The first session's keys need no circuit: made while it loads.
    let first_keys = std::thread::spawn(GarblerKeys::new);
    let circuit = cli.circuit.open()?;
    tracing::debug!("garbler: circuit loaded");
    let values = party::with_input_file(cli.garbler, &cli.input)?;
    let inputs =
        yao::share::party_inputs(&circuit, Party::Garbler, &values, cli.shares.as_deref())?;
    let timeout = cli.net.timeout()?;
    let accept_timeout = cli.serve.accept_timeout(timeout)?;
    let progress = !cli.serve.overlapping();
    party::announce(&listener)?;
    let mut first_keys = Some(first_keys);
    // Every session gets fresh keys (a fresh `Delta`), made before its
    // evaluator arrives, so that it waits less.
    let prepare = || match first_keys.take() {
        Some(thread) => thread
            .join()
            .map_err(|_| anyhow::anyhow!("preparing the base OTs failed")),
        None => Ok(GarblerKeys::new()),
    };
    serve(
        &listener,
        &cli.serve,
        accept_timeout,
        prepare,
        |keys, stream| {
            let setup = GarblerSetup::identified(circuit.identified(), keys)?
                .with_settings(cli.net.settings());
            let (out, stats) =
                party::garble_session(stream, setup, &inputs, timeout, cli.net.repeat, progress)?;
            Ok(party::render_report(
                circuit.ir(),
                &out,
                &stats,
                cli.net.settings(),
                cli.output,
            ))
        },
    )
}

/// `--stream`: each session reads the circuit file window by window.
fn run_windowed(cli: Cli, listener: std::net::TcpListener) -> Result<()> {
    windowed::check_options(cli.shares.is_some())?;
    let values = party::with_input_file(cli.garbler, &cli.input)?;
    let inputs = windowed::party_inputs(&cli.circuit, Party::Garbler, &values)?;
    let circuit = windowed::open(&cli.circuit)?;
    let groups = windowed::groups(&circuit);
    let timeout = cli.net.timeout()?;
    let accept_timeout = cli.serve.accept_timeout(timeout)?;
    party::announce(&listener)?;
    serve(
        &listener,
        &cli.serve,
        accept_timeout,
        || Ok(()),
        |(), stream| {
            let (out, stats) = windowed::garble(
                stream,
                &circuit,
                &inputs,
                timeout,
                cli.stream.window,
                cli.net.repeat,
                cli.net.settings(),
            )?;
            Ok(party::render_report(
                &groups,
                &out,
                &stats,
                cli.net.settings(),
                cli.output,
            ))
        },
    )
}
