//! `samlab`: run one piece of the review on your own settings. Every command has `--help` and
//! `--json` (machine-readable output on stdout, contracts in DESIGN.md).

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use sam_experiments::toy::ToySettings;
use sam_objectives::{AnyObjective, Fig1, Fig2};
use samlab::pipeline::toy::{fig1_defaults, fig2_defaults, toy_json};

#[derive(Parser)]
#[command(
    name = "samlab",
    version,
    about = "Sharpness-Aware Minimization lab: toy runs, sharpness, bounds, convergence, MNIST"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// GD vs SAM (same η) on the review's toy landscapes (Figures 1 and 2).
    Toy(ToyArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum ToyName {
    /// f(x) = x²(x−1)²/(x²+1e−4) (Figure 1).
    Fig1,
    /// f(x, y) = (x−1)²y² (Figure 2).
    Fig2,
}

#[derive(clap::Args)]
struct ToyArgs {
    /// Which landscape.
    #[arg(value_enum)]
    which: ToyName,
    /// Learning rate η (> 0), shared by GD and SAM [default: the documented setting].
    #[arg(long, allow_hyphen_values = true)]
    eta: Option<f64>,
    /// SAM radius ρ (>= 0).
    #[arg(long, allow_hyphen_values = true)]
    rho: Option<f64>,
    /// Number of steps (>= 1).
    #[arg(long)]
    iterations: Option<usize>,
    /// Start point, comma-separated (1 value for fig1, 2 for fig2).
    #[arg(long, allow_hyphen_values = true)]
    start: Option<String>,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Parses "1.5,-2" into numbers, naming the bad piece.
fn parse_vector(s: &str, what: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(|p| {
            p.trim().parse::<f64>().with_context(|| {
                format!("{what}: '{p}' is not a number (write e.g. --{what} -1.5,2)")
            })
        })
        .collect()
}

fn toy(args: ToyArgs) -> Result<()> {
    let (obj, defaults) = match args.which {
        ToyName::Fig1 => (AnyObjective::Fig1(Fig1), fig1_defaults()),
        ToyName::Fig2 => (AnyObjective::Fig2(Fig2), fig2_defaults()),
    };
    let settings = ToySettings {
        eta: args.eta.unwrap_or(defaults.eta),
        rho: args.rho.unwrap_or(defaults.rho),
        iterations: args.iterations.unwrap_or(defaults.iterations),
        start: match &args.start {
            Some(s) => parse_vector(s, "start")?,
            None => defaults.start,
        },
    };
    let out = toy_json(&obj, &settings)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "eta = {}, rho = {}, iterations = {}, start = {:?}",
            settings.eta, settings.rho, settings.iterations, settings.start
        );
        for (name, e) in [("GD ", &out.gd), ("SAM", &out.sam)] {
            println!(
                "{name}: final {:?}  loss {:.6e}  lambda_max {:.6}  sharpness {:.6e}",
                e.final_point, e.loss, e.lambda_max, e.sharpness
            );
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Toy(a) => toy(a),
    }
    .or_else(|e| bail!(e))
}
