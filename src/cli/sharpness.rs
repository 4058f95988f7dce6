//! `samlab sharpness`: κ_ρ (Definition 1) exactly, with its first- and second-order estimates.

use super::parse_vector;
use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use sam_objectives::{AnyObjective, Fig1, Fig2, Quadratic, Rosenbrock};

/// Landscapes `samlab sharpness` knows.
#[derive(Clone, Copy, ValueEnum)]
pub enum ObjectiveName {
    /// f(x) = x²(x−1)²/(x²+1e−4).
    Fig1,
    /// f(x, y) = (x−1)²y².
    Fig2,
    /// Rosenbrock in as many dimensions as --at has (>= 2).
    Rosenbrock,
    /// f(t) = ½tᵀAt + bᵀt, with --matrix and --linear.
    Quadratic,
}

/// Arguments of `samlab sharpness`.
#[derive(clap::Args)]
pub struct Args {
    /// The objective.
    #[arg(long, value_enum)]
    pub objective: ObjectiveName,
    /// The point θ, comma-separated (e.g. --at -1.5,2 or --at=-1.5,2).
    #[arg(long, allow_hyphen_values = true)]
    pub at: String,
    /// The radius ρ (>= 0).
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub rho: f64,
    /// Quadratic only: symmetric A, rows separated by ';' (e.g. "2,0;0,-1").
    #[arg(long, allow_hyphen_values = true)]
    pub matrix: Option<String>,
    /// Quadratic only: b, comma-separated.
    #[arg(long, allow_hyphen_values = true)]
    pub linear: Option<String>,
    /// Print JSON on stdout: exact, argmax, first_order, second_order, lambda_max, grad_norm.
    #[arg(long)]
    pub json: bool,
}

/// Parses "a11,a12;a21,a22" into a row-major vector and its dimension.
///
/// ```
/// let (a, d) = samlab::cli::sharpness::parse_matrix("2,0;0,-1").unwrap();
/// assert_eq!((a, d), (vec![2.0, 0.0, 0.0, -1.0], 2));
/// assert!(samlab::cli::sharpness::parse_matrix("1,2;3").is_err());
/// ```
pub fn parse_matrix(s: &str) -> Result<(Vec<f64>, usize)> {
    let rows: Vec<Vec<f64>> = s
        .split(';')
        .map(|r| parse_vector(r, "matrix"))
        .collect::<Result<_>>()?;
    let d = rows.len();
    if rows.iter().any(|r| r.len() != d) {
        bail!("--matrix \"{s}\" is not square: give d rows of d numbers, rows separated by ';'");
    }
    Ok((rows.concat(), d))
}

/// The largest dimension `sharpness` accepts: the exact maximum needs dense Hessians and
/// eigendecompositions, O(d³) each (d = 500 takes seconds).
pub const MAX_DIM: usize = 500;

fn objective(args: &Args, dim: usize) -> Result<AnyObjective> {
    if !matches!(args.objective, ObjectiveName::Quadratic)
        && (args.matrix.is_some() || args.linear.is_some())
    {
        bail!("--matrix and --linear define the quadratic only: drop them or use --objective quadratic");
    }
    if dim > MAX_DIM {
        bail!("--at has {dim} coordinates: at most {MAX_DIM} (the exact maximum is O(d^3) per Hessian)");
    }
    Ok(match args.objective {
        ObjectiveName::Fig1 => AnyObjective::Fig1(Fig1),
        ObjectiveName::Fig2 => AnyObjective::Fig2(Fig2),
        ObjectiveName::Rosenbrock => {
            if dim < 2 {
                bail!("rosenbrock needs a point of dimension >= 2, got {dim}: pass e.g. --at 0,0");
            }
            AnyObjective::Rosenbrock(Rosenbrock::new(dim))
        }
        ObjectiveName::Quadratic => {
            let m = args.matrix.as_deref().context(
                "the quadratic needs --matrix \"a11,a12;a21,a22\" and --linear \"b1,b2\"",
            )?;
            let b = args
                .linear
                .as_deref()
                .context("the quadratic needs --linear \"b1,b2\" as well as --matrix")?;
            let (a, _) = parse_matrix(m)?;
            AnyObjective::Quadratic(Quadratic::new(a, parse_vector(b, "linear")?)?)
        }
    })
}

/// Runs `samlab sharpness`.
pub fn run(args: Args) -> Result<()> {
    let at = parse_vector(&args.at, "at")?;
    let obj = objective(&args, at.len())?;
    let r = sam_sharpness::sharpness_report(&obj, &at, args.rho)?;
    super::check_finite(
        &r,
        &[],
        &format!("rho = {}, at = {:?}", sam_params::show(args.rho), at),
    )?;
    if args.json {
        super::emit_json(&r)?;
    } else {
        crate::outln!(
            "kappa_rho (exact)   {:.12e}  at e = {:?}",
            r.exact,
            r.argmax
        );
        crate::outln!("first order rho|g|  {:.12e}", r.first_order);
        crate::outln!("second order (TRS)  {:.12e}", r.second_order);
        crate::outln!("lambda_max          {:.12e}", r.lambda_max);
        crate::outln!("|grad|              {:.12e}", r.grad_norm);
    }
    Ok(())
}
