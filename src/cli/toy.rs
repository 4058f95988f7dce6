//! `samlab toy`: GD vs SAM (same η) on the review's toy landscapes (Figures 1 and 2).

use super::parse_vector;
use anyhow::Result;
use clap::ValueEnum;
use sam_experiments::toy::{fig1_defaults, fig2_defaults, toy_json, ToySettings};
use sam_objectives::{AnyObjective, Fig1, Fig2};

#[derive(Clone, Copy, ValueEnum)]
pub enum ToyName {
    /// f(x) = x²(x−1)²/(x²+1e−4) (Figure 1).
    Fig1,
    /// f(x, y) = (x−1)²y² (Figure 2).
    Fig2,
}

#[derive(clap::Args)]
pub struct Args {
    /// Which landscape.
    #[arg(value_enum)]
    pub which: ToyName,
    /// Learning rate η (> 0), shared by GD and SAM [default: the documented setting].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub eta: Option<f64>,
    /// SAM radius ρ (>= 0).
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub rho: Option<f64>,
    /// Number of steps (>= 1).
    #[arg(long)]
    pub iterations: Option<usize>,
    /// Start point, comma-separated (1 value for fig1, 2 for fig2).
    #[arg(long, allow_hyphen_values = true)]
    pub start: Option<String>,
    /// The SAM-family member run against GD: sam, usam or asam (ASAM with η = 0.01).
    #[arg(long, default_value = "sam")]
    pub optimizer: String,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<()> {
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
    let out = toy_json(&obj, &settings, &args.optimizer)?;
    super::check_finite(
        &out,
        &[],
        &format!(
            "eta = {}, rho = {}, start = {:?}",
            sam_params::show(settings.eta),
            sam_params::show(settings.rho),
            settings.start
        ),
    )?;
    if args.json {
        super::emit_json(&out)?;
    } else {
        crate::outln!(
            "eta = {}, rho = {}, iterations = {}, start = {:?}",
            settings.eta,
            settings.rho,
            settings.iterations,
            settings.start
        );
        let name = out.optimizer.to_uppercase();
        for (name, e) in [("GD", &out.gd), (name.as_str(), &out.sam)] {
            crate::outln!(
                "{name:4}: final {:?}  loss {:.6e}  lambda_max {:.6}  sharpness {:.6e}",
                e.final_point,
                e.loss,
                e.lambda_max,
                e.sharpness
            );
        }
    }
    Ok(())
}
