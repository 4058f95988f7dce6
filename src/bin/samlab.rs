//! `samlab`: run one piece of the review on your own settings. Every command has `--help` and
//! `--json` (machine-readable output on stdout, contracts in DESIGN.md).

use anyhow::Result;
use clap::{Parser, Subcommand};
use samlab::cli;

#[derive(Parser)]
#[command(
    name = "samlab",
    version,
    about = "Sharpness-Aware Minimization lab: toy runs, sharpness, bounds, convergence, MNIST, m-sharpness"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// GD vs SAM (same η) on the review's toy landscapes (Figures 1 and 2).
    Toy(cli::toy::Args),
    /// Sharpness κ_ρ (Definition 1): exact global maximum over the ρ-ball, and its estimates.
    Sharpness(cli::sharpness::Args),
    /// The review's MNIST protocol (section 2.3.2) for one optimizer and seed.
    Train(cli::train::Args),
    /// Theorem 2 (convergence with decaying η, ρ) and the constant-ρ floor on a quadratic.
    Converge(cli::converge::Args),
    /// PAC-Bayes quantities of section 2.2: Theorem 1's complexity term, kl-inverse, Gaussian KL.
    Bound(cli::bound::Args),
    /// m-sharpness on the diagonal linear network: GD, n-SAM or 1-SAM (sections 2.3, 3.4).
    Diagnet(cli::diagnet::Args),
    /// Grids of runs as index-sharded trials: plan, run (locally or per task index), emit
    /// Slurm / GNU parallel / Kubernetes scripts, merge.
    Sweep(cli::sweep::Args),
}

fn main() -> std::process::ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // the reader closed stdout: stop quietly, with the status of a SIGPIPE death
        Err(e) if e.is::<cli::ClosedPipe>() => std::process::ExitCode::from(141),
        Err(e) => {
            // The whole cause chain on one line, without a backtrace even if RUST_BACKTRACE is set.
            eprintln!("error: {}", samlab::cli::error_chain(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Toy(a) => cli::toy::run(a),
        Command::Sharpness(a) => cli::sharpness::run(a),
        Command::Train(a) => cli::train::run(a),
        Command::Converge(a) => cli::converge::run(a),
        Command::Bound(a) => cli::bound::run(a),
        Command::Diagnet(a) => cli::diagnet::run(a),
        Command::Sweep(a) => cli::sweep::run(a),
    }
}
