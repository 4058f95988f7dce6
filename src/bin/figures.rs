//! `figures`: regenerate every experiment's results, figures and report tables.
//!
//! `cargo run --release --bin figures` runs everything; `--only fig1,fig2` picks some; `--quick`
//! runs a small budget for smoke checks (written under `--out`, default `target/quick` so that a
//! quick run never overwrites the committed results); `--out DIR` redirects all output.

use anyhow::{bail, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use samlab::registry::{registry, Context, Paths};
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Parser)]
#[command(
    name = "figures",
    version,
    about = "Regenerate results/, figures/ and the tables in notebooks-md/"
)]
struct Args {
    /// Comma-separated subset of: fig1, fig2, sharpness, convergence, pacbayes, mnist (alias fig3,
    /// fig4, fig5), mnist-drift, diagnet, mnist-msharp, mnist-noise.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Small budgets for a smoke run (output goes to target/quick unless --out is given).
    #[arg(long)]
    quick: bool,
    /// Train nothing: the MNIST experiment is computed from its sweep trials in
    /// sweep-out/figures/ when all are there (run elsewhere with `samlab sweep` on the specs in
    /// sweeps/figures/), every other experiment's figures and reports are redrawn from the
    /// results already in results/ (e.g. after `scripts/bench-mnist-vs-jax.sh` wrote a new
    /// bench.json).
    #[arg(long)]
    no_run: bool,
    /// Root folder for results/, figures/ and notebooks-md/ [default: the repository, or target/quick with --quick].
    #[arg(long)]
    out: Option<PathBuf>,
}

/// A progress bar that experiments drive through a closure: `(n, msg)` with n > 0 starts a new
/// phase of n units; `(0, _)` advances by one.
struct Progress(Mutex<Option<ProgressBar>>);

impl Progress {
    fn callback(&self, n: u64, msg: &str) {
        let mut guard = self.0.lock().expect("progress lock");
        if n > 0 {
            if let Some(pb) = guard.take() {
                pb.finish();
            }
            let pb = ProgressBar::new(n);
            pb.set_style(
                ProgressStyle::with_template(
                    "{msg:32} [{bar:40}] {pos}/{len} {elapsed_precise} eta {eta}",
                )
                .expect("template")
                .progress_chars("=> "),
            );
            pb.set_message(msg.to_string());
            *guard = Some(pb);
        } else if let Some(pb) = guard.as_ref() {
            pb.inc(1);
        }
    }
    fn finish(&self) {
        if let Some(pb) = self.0.lock().expect("progress lock").take() {
            pb.finish();
        }
    }
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn main() -> std::process::ExitCode {
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", samlab::cli::error_chain(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    let root = repo_root();
    let names = || {
        registry()
            .iter()
            .flat_map(|e| std::iter::once(e.name).chain(e.aliases.iter().copied()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for s in &args.only {
        if !registry().iter().any(|e| e.answers_to(s)) {
            bail!(
                "unknown experiment '{s}' in --only: choose from {}",
                names()
            );
        }
    }
    let out = match (&args.out, args.quick) {
        (Some(o), _) => o.clone(),
        (None, true) => root.join("target/quick"),
        (None, false) => root.clone(),
    };
    let paths = Paths::under(&out);
    let progress = Progress(Mutex::new(None));
    let cb = |n: u64, m: &str| progress.callback(n, m);
    // the MNIST training runs are sweep trials: specs in sweeps/figures/ (under --out), results
    // in sweep-out/figures/, so that the same specs can run on a cluster (README, "Sweeps")
    let store = out.join("sweep-out/figures");
    let trainer = samlab::sweep::SweepTrainer {
        specs: out.join("sweeps/figures"),
        store_text: store
            .strip_prefix(&root)
            .unwrap_or(&store)
            .display()
            .to_string(),
        store,
        no_run: args.no_run,
    };
    let ctx = Context {
        quick: args.quick,
        root: &root,
        progress: &cb,
        trainer: &trainer,
    };
    // In the registry's order, each once.
    let mut stages: Vec<(&str, f64)> = Vec::new();
    for e in registry()
        .iter()
        .filter(|e| args.only.is_empty() || args.only.iter().any(|s| e.answers_to(s)))
    {
        let t = std::time::Instant::now();
        if !args.no_run {
            (e.run)(&paths, &ctx)?;
        } else if e.trials {
            // train nothing: compute it from the trials when they are all there (e.g. run on a
            // cluster), else draw what results/ holds
            if let Err(err) = (e.run)(&paths, &ctx) {
                // only missing trials fall back to drawing; any other error is an error
                let missing = matches!(
                    err.downcast_ref::<sam_experiments::ExperimentError>(),
                    Some(sam_experiments::ExperimentError::TrialsMissing(_))
                );
                if !missing {
                    return Err(err);
                }
                progress.finish();
                eprintln!(
                    "{}: not recomputed from trials ({}); drawing the results in {}",
                    e.name,
                    samlab::cli::error_chain(&err),
                    paths.results_of(e.name).display()
                );
            }
        }
        progress.finish();
        e.present(&paths, &root.join("notebooks-md"))?;
        let secs = t.elapsed().as_secs_f64();
        eprintln!("{}: done in {secs:.1} s", e.name);
        stages.push((e.name, secs));
    }
    eprintln!("wrote {}", out.display());
    // the per-stage time table (wall seconds: run, figures and report)
    let total: f64 = stages.iter().map(|(_, s)| s).sum();
    eprintln!("\n| stage | wall (s) | share |\n|---|---|---|");
    for (name, secs) in &stages {
        eprintln!(
            "| {name} | {secs:.1} | {:.0}% |",
            100.0 * secs / total.max(1e-9)
        );
    }
    eprintln!("| total | {total:.1} | 100% |");
    Ok(())
}
