//! `yao`: compile circuits, evaluate them in the clear, run both parties of a
//! two-party computation locally, and benchmark.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use yao::circuit_file::CircuitArgs;
use yao::outputs::OutputArgs;
use yao::{inputs, outputs};

#[derive(Parser)]
#[command(name = "yao", version, about = "Garbled-circuit two-party computation", propagate_version = true)]
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
}

#[derive(ValueEnum, Clone, Copy)]
enum Emit {
    Stats,
    Bristol,
    Json,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Compile { circuit, emit, output } => {
            let c = circuit.load()?;
            let text = match emit {
                Emit::Stats => serde_json::to_string_pretty(&c.stats())? + "\n",
                Emit::Bristol => yao_compiler::bristol::export(&c),
                Emit::Json => serde_json::to_string(&c)? + "\n",
            };
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write `{}`", path.display()))?,
                None => print!("{text}"),
            }
        }
        Command::Eval { circuit, garbler, evaluator, output } => {
            let c = circuit.load()?;
            let bits = inputs::assign_all(&c, &garbler, &evaluator)?;
            let out = c.eval_plain(&bits)?;
            outputs::print(&c, &out, output);
        }
    }
    Ok(())
}
