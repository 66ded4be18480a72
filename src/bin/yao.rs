//! `yao`: compile circuits, evaluate them in the clear, run both parties of a
//! two-party computation locally, and benchmark.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use yao::circuit_file::CircuitArgs;
use yao::outputs::OutputArgs;
use yao::party::{self, NetArgs};
use yao::{inputs, outputs, share};
use yao_compiler::{Circuit, Party};
use yao_runtime::protocol::{EvaluatorSetup, GarblerKeys, GarblerSetup};

#[derive(Parser)]
#[command(
    name = "yao",
    version,
    about = "Garbled-circuit two-party computation",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile or import a circuit and print its statistics, Bristol or JSON form.
    Compile {
        #[command(flatten)]
        circuit: CircuitArgs,
        /// What to write.
        #[arg(long, value_enum, default_value = "stats")]
        emit: Emit,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Evaluate a circuit in the clear (the reference semantics; no cryptography).
    Eval {
        #[command(flatten)]
        circuit: CircuitArgs,
        /// The garbler's inputs: `NAME=VALUE` or bare values in input order.
        #[arg(long, num_args = 0.., value_name = "V", allow_negative_numbers = true)]
        garbler: Vec<String>,
        /// The evaluator's inputs: `NAME=VALUE` or bare values in input order.
        #[arg(long, num_args = 0.., value_name = "V", allow_negative_numbers = true)]
        evaluator: Vec<String>,
        #[command(flatten)]
        output: OutputArgs,
    },
    /// Measure this machine: AES ceiling, garbling, evaluation, OT and end-to-end figures.
    Bench {
        #[command(flatten)]
        args: yao::bench::BenchArgs,
    },
    /// Split an input provider's value into two XOR shares, one file per server.
    Share {
        #[command(flatten)]
        args: yao::share::ShareArgs,
    },
    /// Run both parties locally over a real loopback TCP connection.
    Run {
        #[command(flatten)]
        circuit: CircuitArgs,
        /// The garbler's inputs: `NAME=VALUE` or bare values in input order.
        #[arg(long, num_args = 0.., value_name = "V", allow_negative_numbers = true)]
        garbler: Vec<String>,
        /// The evaluator's inputs: `NAME=VALUE` or bare values in input order.
        #[arg(long, num_args = 0.., value_name = "V", allow_negative_numbers = true)]
        evaluator: Vec<String>,
        /// The garbler's share files for `shared` inputs (see `yao share`).
        #[arg(long, value_name = "DIR")]
        garbler_shares: Option<PathBuf>,
        /// The evaluator's share files for `shared` inputs.
        #[arg(long, value_name = "DIR")]
        evaluator_shares: Option<PathBuf>,
        #[command(flatten)]
        stream: yao::windowed::WindowedArgs,
        #[command(flatten)]
        net: NetArgs,
        #[command(flatten)]
        output: OutputArgs,
    },
}

#[derive(ValueEnum, Clone, Copy)]
enum Emit {
    Stats,
    Bristol,
    Json,
    /// The compact binary form (`.yaoc`) every command loads without
    /// compiling again; needs `-o`.
    Compiled,
}

fn main() {
    let cli = Cli::parse_from(yao::inputs::negative_values_as_values(std::env::args_os()));
    if let Err(e) = run(cli) {
        yao::exit_with(&e);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Compile {
            circuit,
            emit,
            output,
        } => {
            let text = match emit {
                Emit::Stats => serde_json::to_string_pretty(&circuit.load()?.stats())? + "\n",
                Emit::Bristol => yao_compiler::bristol::export(&circuit.load()?),
                Emit::Json => serde_json::to_string(&circuit.load()?)? + "\n",
                Emit::Compiled => {
                    let Some(path) = output else {
                        let stem = circuit.circuit.file_stem().unwrap_or_default();
                        bail!(
                            "--emit compiled writes a binary file: name it with -o, e.g. \
                             `-o {}.{}`",
                            stem.to_string_lossy(),
                            yao_compiler::compiled::EXTENSION
                        );
                    };
                    // Streamed from the compiler for a source: never held whole.
                    return circuit.write_compiled(&path);
                }
            };
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write `{}`", path.display()))?,
                None => yao::say(&text),
            }
        }
        Command::Eval {
            circuit,
            garbler,
            evaluator,
            output,
        } => {
            let c = circuit.open()?;
            let g = inputs::from_typed(&c, Party::Garbler, &garbler)?;
            let e = inputs::from_typed(&c, Party::Evaluator, &evaluator)?;
            let out = c.eval_plain(&g, &e)?;
            outputs::print(c.ir(), out.bits(), output);
        }
        Command::Bench { args } => yao::bench::run(&args)?,
        Command::Share { args } => yao::share::run(&args)?,
        Command::Run {
            circuit,
            garbler,
            evaluator,
            garbler_shares,
            evaluator_shares,
            stream,
            net,
            output,
        } => {
            party::tune_allocator();
            net.init_logs();
            if stream.stream {
                yao::windowed::check_options(
                    garbler_shares.is_some() || evaluator_shares.is_some(),
                )?;
                return run_windowed(&circuit, &stream, &garbler, &evaluator, &net, output);
            }
            let c = circuit.open()?;
            let g = share::party_inputs(&c, Party::Garbler, &garbler, garbler_shares.as_deref())?;
            let e = share::party_inputs(
                &c,
                Party::Evaluator,
                &evaluator,
                evaluator_shares.as_deref(),
            )?;
            let timeout = net.timeout()?;
            let listener =
                std::net::TcpListener::bind("127.0.0.1:0").context("cannot listen on loopback")?;
            let addr = listener.local_addr()?.to_string();
            let (g_out, (e_out, stats)) = std::thread::scope(|s| -> Result<_> {
                let garbler = s.spawn(|| -> Result<_> {
                    let setup = GarblerSetup::identified(c.identified(), GarblerKeys::new())?
                        .with_settings(net.settings());
                    let (stream, _) = party::accept(&listener, Some(timeout))?;
                    Ok(party::garble_session(stream, setup, &g, timeout, net.repeat, true)?.0)
                });
                let evaluated = (|| {
                    let setup = EvaluatorSetup::deferred_identified(c.identified())
                        .with_settings(net.settings());
                    let stream = party::connect(&addr, timeout)?;
                    party::evaluate_session(stream, setup, &e, timeout, net.repeat)
                })();
                let garbled = garbler
                    .join()
                    .map_err(|_| anyhow::anyhow!("the garbler thread panicked"))?;
                Ok((garbled?, evaluated?))
            })?;
            if g_out != e_out {
                anyhow::bail!("the garbler and the evaluator learned different outputs");
            }
            if c.eval_plain(&g, &e)?.bits() != e_out {
                anyhow::bail!(
                    "the two-party run disagrees with the plaintext evaluation: please report this bug"
                );
            }
            party::report(c.ir(), &e_out, &stats, net.settings(), output);
        }
    }
    Ok(())
}

/// Puts the garbler's groups followed by the evaluator's back in circuit order.
fn interleave(c: &Circuit, mut by_party: Vec<Vec<bool>>) -> Vec<Vec<bool>> {
    let n_garbler = c.inputs_of(Party::Garbler).count();
    let evaluator_part = by_party.split_off(n_garbler);
    let (mut g, mut e) = (by_party.into_iter(), evaluator_part.into_iter());
    c.inputs
        .iter()
        .map(|i| {
            if i.party == Party::Garbler {
                g.next()
            } else {
                e.next()
            }
            .unwrap_or_default()
        })
        .collect()
}

/// `yao run --stream`: both parties read the Bristol file window by window,
/// and the outputs are checked against a plaintext evaluation that streams
/// the file too (`WindowedBristol::eval_plain`): the whole circuit is never
/// loaded.
fn run_windowed(
    circuit: &CircuitArgs,
    stream: &yao::windowed::WindowedArgs,
    garbler: &[String],
    evaluator: &[String],
    net: &NetArgs,
    output: OutputArgs,
) -> Result<()> {
    let inputs = yao::windowed::input_groups(circuit)?;
    let g = party::party_inputs(&inputs, Party::Garbler, garbler)?;
    let e = party::party_inputs(&inputs, Party::Evaluator, evaluator)?;
    // One scan serves both parties: in one process they would read the
    // same file the same way twice.
    let scanned = yao::windowed::open(circuit)?;
    let groups = yao::windowed::groups(&scanned);
    let timeout = net.timeout()?;
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").context("cannot listen on loopback")?;
    let addr = listener.local_addr()?.to_string();
    let window = stream.window;
    let (g_out, (e_out, stats)) = std::thread::scope(|s| -> Result<_> {
        let garbler = s.spawn(|| -> Result<_> {
            let (conn, _) = party::accept(&listener, Some(timeout))?;
            Ok(yao::windowed::garble(
                conn,
                &scanned,
                &g,
                timeout,
                window,
                net.repeat,
                net.settings(),
            )?
            .0)
        });
        let evaluated = (|| {
            let conn = party::connect(&addr, timeout)?;
            yao::windowed::evaluate(
                conn,
                &scanned,
                &e,
                timeout,
                window,
                net.repeat,
                net.settings(),
            )
        })();
        let garbled = garbler
            .join()
            .map_err(|_| anyhow::anyhow!("the garbler thread panicked"))?;
        Ok((garbled?, evaluated?))
    })?;
    if g_out != e_out {
        anyhow::bail!("the garbler and the evaluator learned different outputs");
    }
    let mut all = g;
    all.extend(e);
    let plain = scanned
        .eval_plain(&interleave(&groups, all))
        .context("evaluating the circuit in the clear")?;
    if plain != e_out {
        anyhow::bail!(
            "the two-party run disagrees with the plaintext evaluation: please report this bug"
        );
    }
    party::report(&groups, &e_out, &stats, net.settings(), output);
    Ok(())
}
