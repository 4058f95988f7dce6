//! `samlab converge`: Theorem 2 of the review (§3.2, Eq. 6) checked by Monte Carlo, and the
//! constant-ρ floor of normalized SAM on a quadratic.

use super::parse_vector;
use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sam_convergence::{
    decaying_floor_approx, floor_closed_form, quadratic_floor, theorem2_report, window_len,
    LogCoshCos, Noise, Theorem2Config,
};
use std::time::Duration;

/// At most this many seeds (each keeps a few numbers per grid point in memory).
const MAX_SEEDS: usize = 1_000_000;
/// At most this many grid points (the grid is materialised before deduplication).
const MAX_GRID_POINTS: usize = 10_000;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ConvergeCommand,
}

#[derive(Subcommand)]
pub enum ConvergeCommand {
    /// Monte Carlo check of Theorem 2: stochastic SAM with η_t = η₀/√(t+1), ρ_t = ρ₀/√(t+1) on
    /// f(x) = Σ aᵢ log cosh(xᵢ−cᵢ) + bᵢ(1−cos(xᵢ−cᵢ)) (exact G, L, σ); prints, per T,
    /// LHS = (1/T)Σ_{t=0}^{T}‖∇f(x_t)‖² (mean and CI over seeds) and RHS = C1/√T + C2 ln T/√T.
    /// Defaults: the documented experiment (sam_convergence::Theorem2Config::default()).
    Theorem2(Theorem2Args),
    /// Deterministic normalized SAM on f(w) = λw²/2 from w = 1 (ρ constant, or ρ/√(t+1) with
    /// --decay); prints the floor, max |w| over the last 10% of the steps.
    QuadraticFloor(FloorArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum NoiseArg {
    /// ξ ~ N(0, (σ²/d) I).
    Gaussian,
    /// ξᵢ ~ U[−s, s], s = σ√(3/d).
    Uniform,
}

impl From<NoiseArg> for Noise {
    fn from(n: NoiseArg) -> Self {
        match n {
            NoiseArg::Gaussian => Noise::Gaussian,
            NoiseArg::Uniform => Noise::Uniform,
        }
    }
}

impl From<Noise> for NoiseArg {
    fn from(n: Noise) -> Self {
        match n {
            Noise::Gaussian => NoiseArg::Gaussian,
            Noise::Uniform => NoiseArg::Uniform,
        }
    }
}

fn d() -> Theorem2Config {
    Theorem2Config::default()
}

fn csv(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(clap::Args)]
pub struct Theorem2Args {
    /// log cosh weights a (comma-separated, each >= 0).
    #[arg(long = "a", allow_hyphen_values = true, default_value_t = csv(d().problem.a()))]
    pub a: String,
    /// 1 − cos weights b (comma-separated, each >= 0; bᵢ >= aᵢ makes spurious local minima).
    #[arg(long = "b", allow_hyphen_values = true, default_value_t = csv(d().problem.b()))]
    pub b: String,
    /// Centres c, the global minimiser (comma-separated, finite).
    #[arg(long = "c", allow_hyphen_values = true, default_value_t = csv(d().problem.c()))]
    pub c: String,
    /// Start x₀ (comma-separated, same length as a).
    #[arg(long, allow_hyphen_values = true, default_value_t = csv(&d().x0))]
    pub x0: String,
    /// Noise law of the gradient oracle g = ∇f + ξ.
    #[arg(long, value_enum, default_value_t = NoiseArg::from(d().noise))]
    pub noise: NoiseArg,
    /// σ (>= 0): E‖ξ‖² = σ² (Assumption 2).
    #[arg(value_parser = super::number, long, allow_hyphen_values = true, default_value_t = d().sigma)]
    pub sigma: f64,
    /// η₀ (> 0) of η_t = η₀/√(t+1); the bound's 2/η₀ presumes η₀L <= 1.
    #[arg(value_parser = super::number, long, allow_hyphen_values = true, default_value_t = d().eta0)]
    pub eta0: f64,
    /// ρ₀ of ρ_t = ρ₀/√(t+1); Theorem 2 needs 0 <= ρ₀ <= Gη₀.
    #[arg(value_parser = super::number, long, allow_hyphen_values = true, default_value_t = d().rho0)]
    pub rho0: f64,
    /// Independent runs (>= 2).
    #[arg(long, allow_hyphen_values = true, default_value_t = d().seeds)]
    pub seeds: usize,
    /// Key of every run's ChaCha8 generator (run i uses stream i).
    #[arg(long, alias = "seed", allow_hyphen_values = true, default_value_t = d().base_seed)]
    pub base_seed: u64,
    /// Smallest T of the grid (>= 1; T = 1 is a counterexample to Eq. 6 as quoted).
    #[arg(long, allow_hyphen_values = true, default_value_t = d().t_min)]
    pub t_min: usize,
    /// Largest T of the grid (> t-min); every run takes this many steps.
    #[arg(long, allow_hyphen_values = true, default_value_t = d().t_max)]
    pub t_max: usize,
    /// Log-spaced grid points before rounding and deduplication (>= 2).
    #[arg(long, allow_hyphen_values = true, default_value_t = d().grid_points)]
    pub grid_points: usize,
    /// Level of the Student-t confidence intervals, in (0, 1).
    #[arg(value_parser = super::number, long, allow_hyphen_values = true, default_value_t = d().confidence)]
    pub confidence: f64,
    /// Print `{"rows": [{"t", "lhs", "lhs_ci", "rhs"}], "slope"}` on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct FloorArgs {
    /// Curvature λ (>= 0) of f(w) = λw²/2.
    #[arg(value_parser = super::number, long, allow_hyphen_values = true, default_value_t = 1.0)]
    pub lambda: f64,
    /// Constant step size η (>= 0); a floor exists for 0 < ηλ < 2.
    #[arg(value_parser = super::number, long, allow_hyphen_values = true, default_value_t = 0.5)]
    pub eta: f64,
    /// Radius ρ (>= 0), or ρ₀ of ρ/√(t+1) with --decay.
    #[arg(value_parser = super::number, long, allow_hyphen_values = true, default_value_t = 0.1)]
    pub rho: f64,
    /// Number of steps N (>= 1).
    #[arg(long, allow_hyphen_values = true, default_value_t = 10_000)]
    pub steps: usize,
    /// Use ρ_t = ρ/√(t+1) instead of a constant ρ.
    #[arg(long)]
    pub decay: bool,
    /// Print `{"floor": ...}` on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        ConvergeCommand::Theorem2(a) => theorem2(a),
        ConvergeCommand::QuadraticFloor(a) => floor(a),
    }
}

/// The Theorem 2 settings from the flags, checked (the first thing `converge theorem2` does).
pub fn config(a: &Theorem2Args) -> Result<Theorem2Config> {
    if a.seeds > MAX_SEEDS {
        return Err(sam_params::Invalid::new(
            "seeds",
            a.seeds,
            format!("at most {MAX_SEEDS} (the default 100 gives CI half-widths of about 3%)"),
        )
        .into());
    }
    if a.grid_points > MAX_GRID_POINTS {
        return Err(sam_params::Invalid::new(
            "grid_points",
            a.grid_points,
            format!("at most {MAX_GRID_POINTS} (e.g. 7)"),
        )
        .into());
    }
    let cfg = Theorem2Config {
        problem: LogCoshCos::new(
            parse_vector(&a.a, "a")?,
            parse_vector(&a.b, "b")?,
            parse_vector(&a.c, "c")?,
        )?,
        x0: parse_vector(&a.x0, "x0")?,
        noise: a.noise.into(),
        sigma: a.sigma,
        eta0: a.eta0,
        rho0: a.rho0,
        seeds: a.seeds,
        base_seed: a.base_seed,
        t_min: a.t_min,
        t_max: a.t_max,
        grid_points: a.grid_points,
        extra_t: Vec::new(),
        outside_hypothesis: false,
        confidence: a.confidence,
    };
    cfg.validate()?;
    Ok(cfg)
}

fn theorem2(a: Theorem2Args) -> Result<()> {
    let cfg = config(&a)?;
    // theorem2_report has no progress hook: a spinner with the elapsed time (drawn only when
    // stderr is a terminal, and not with --json).
    let spinner = if a.json {
        ProgressBar::hidden()
    } else {
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed_precise}")
                .expect("template")
                .tick_chars("|/-\\ "),
        );
        pb.set_message(format!(
            "Theorem 2: {} seeds x {} steps",
            cfg.seeds, cfg.t_max
        ));
        pb.enable_steady_tick(Duration::from_millis(200));
        pb
    };
    let rep = theorem2_report(&cfg);
    spinner.finish_and_clear();
    let rep = rep?;
    super::check_finite(
        &rep.result,
        &[],
        &format!(
            "sigma = {}, eta0 = {}, rho0 = {}, a = {:?}, b = {:?}, c = {:?}, x0 = {:?}",
            sam_params::show(cfg.sigma),
            sam_params::show(cfg.eta0),
            sam_params::show(cfg.rho0),
            cfg.problem.a(),
            cfg.problem.b(),
            cfg.problem.c(),
            cfg.x0
        ),
    )?;
    if a.json {
        super::emit_json(&rep.result)?;
        return Ok(());
    }
    crate::outln!(
        "d = {}, G = {:.4}, L = {}, sigma = {}, eta0 = {} (eta0*L = {}), rho0 = {} (<= G*eta0 = {:.4}), f(x0) = {:.4}, {} seeds",
        cfg.x0.len(),
        rep.g,
        rep.l,
        rep.sigma,
        cfg.eta0,
        rep.eta0_l,
        cfg.rho0,
        rep.g * cfg.eta0,
        rep.f0,
        cfg.seeds
    );
    crate::outln!(
        "{:>9}  {:>11}  {:>25}  {:>11}  {:>11}  {:>11}  {:>8}",
        "T",
        "LHS mean",
        format!("{}% CI", 100.0 * cfg.confidence),
        "C1/sqrt T",
        "C2 lnT/sqrtT",
        "RHS",
        "RHS/LHS"
    );
    for r in &rep.rows {
        crate::outln!(
            "{:>9}  {:>11.4e}  [{:>11.4e}, {:>11.4e}]  {:>11.4e}  {:>11.4e}  {:>11.4e}  {:>8.2}",
            r.t,
            r.lhs_mean,
            r.lhs_ci_lo,
            r.lhs_ci_hi,
            r.c1_term,
            r.c2_term,
            r.rhs,
            r.ratio
        );
    }
    crate::outln!(
        "bound holds at every T (CI below the RHS's lower end): {}; slope of ln LHS on ln T: {:.3} (RHS: {:.3})",
        rep.holds, rep.result.slope, rep.rhs_slope
    );
    Ok(())
}

fn floor(a: FloorArgs) -> Result<()> {
    let floor = quadratic_floor(a.lambda, a.eta, a.rho, a.steps, a.decay)?;
    super::check_finite(
        &floor,
        &[],
        &format!(
            "lambda = {}, eta = {}, rho = {}",
            sam_params::show(a.lambda),
            sam_params::show(a.eta),
            sam_params::show(a.rho)
        ),
    )?;
    if a.json {
        super::emit_json(&serde_json::json!({ "floor": floor }))?;
        return Ok(());
    }
    crate::outln!(
        "normalized SAM on {}*w^2/2 from w = 1, eta = {}, rho = {}{}, {} steps",
        a.lambda,
        a.eta,
        a.rho,
        if a.decay { "/sqrt(t+1)" } else { " (constant)" },
        a.steps
    );
    crate::outln!(
        "floor (max |w| over the last {} iterates): {floor:.6e}",
        window_len(a.steps)
    );
    let reference = if a.decay {
        decaying_floor_approx(a.lambda, a.eta, a.rho, a.steps)
            .map(|v| format!("adiabatic approximation eta*lambda*rho_s/(2 - eta*lambda): {v:.6e}"))
    } else {
        floor_closed_form(a.lambda, a.eta, a.rho)
            .map(|v| format!("closed form w* = eta*lambda*rho/(2 - eta*lambda): {v:.6e}"))
    };
    crate::outln!(
        "{}",
        reference.unwrap_or_else(|| "no closed form outside 0 < eta*lambda < 2".into())
    );
    Ok(())
}
