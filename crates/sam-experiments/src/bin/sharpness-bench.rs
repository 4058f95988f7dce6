//! Times the sharpness estimators per call and prints JSON (mean/median seconds, evaluations).
//!
//! `cargo run --release -p sam-experiments --bin sharpness-bench -- --objective rosenbrock --dim 10`

use clap::Parser;
use sam_experiments::sharpness::cost_table;
use sam_objectives::{by_name, Objective, Quadratic};

/// Per-call cost of each sharpness estimator, as JSON on stdout.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Landscape: fig1, fig2, rosenbrock or quadratic (quadratic: A = diag(1..d), b = 1).
    #[arg(long, default_value = "rosenbrock")]
    objective: String,
    /// Dimension (rosenbrock and quadratic).
    #[arg(long, default_value_t = 10)]
    dim: usize,
    /// The point, comma-separated (default: 0.5, -0.5, 0.5, ... away from the minimum).
    #[arg(long, allow_hyphen_values = true, value_delimiter = ',', value_parser = sam_params::parse_f64)]
    at: Option<Vec<f64>>,
    /// Radius rho.
    #[arg(long, default_value_t = 0.1, allow_hyphen_values = true, value_parser = sam_params::parse_f64)]
    rho: f64,
    /// Timed calls per estimator.
    #[arg(long, default_value_t = 50)]
    repeats: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // the estimators build dense d x d Hessians: bounded memory and time
    const MAX_DIM: usize = 500;
    if args.dim == 0 || args.dim > MAX_DIM {
        anyhow::bail!(
            "--dim {} is invalid: it must lie in 1..={MAX_DIM}",
            args.dim
        );
    }
    let quad = if args.objective == "quadratic" {
        let d = args.dim.max(1);
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            a[i * d + i] = (i + 1) as f64;
        }
        Some(Quadratic::new(a, vec![1.0; d])?)
    } else {
        None
    };
    let obj = by_name(&args.objective, args.dim, quad)?;
    let at = args.at.unwrap_or_else(|| {
        (0..obj.dim())
            .map(|i| if i % 2 == 0 { 0.5 } else { -0.5 })
            .collect()
    });
    let rows = cost_table(&obj, &at, args.rho, args.repeats)?;
    let out = serde_json::json!({
        "objective": obj.name(),
        "dim": obj.dim(),
        "at": at,
        "rho": args.rho,
        "repeats": args.repeats,
        "profile": if cfg!(debug_assertions) { "debug" } else { "release" },
        "rows": rows,
    });
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string_pretty(&out)?)
        .and_then(|_| stdout.flush())
        .map_err(|e| anyhow::anyhow!("cannot write the result to stdout: {e}"))?;
    Ok(())
}
