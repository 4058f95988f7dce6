//! The Monte Carlo check of Theorem 2 (review section 3.2, Eq. 6).
//!
//! ## Indexing: what is compared
//! The review writes η_t = η₀/√t, ρ_t = ρ₀/√t, which is undefined at t = 0, and sums
//! Σ_{t=0}^{T}. sam-optim's [`Schedule::inv_sqrt`] uses c/√(t+1) for the 0-based step t, which
//! is the review's schedule with its first step (t = 1) renamed t = 0. So the run is
//! x_{t+1} = x_t − η₀/√(t+1) · g(x_t + ρ₀/√(t+1) · g(x_t)/‖g(x_t)‖), t = 0, …, T−1,
//! and we compare
//!
//! LHS(T) = (1/T) Σ_{t=0}^{T} ‖∇f(x_t)‖²  over the T + 1 iterates x_0, …, x_T of T steps,
//!
//! with RHS(T) = C1/√T + C2 ln T/√T, C1 = (2/η₀)(f(x_0) − E f(x_T)), C2 = 2(Lσ²η₀ + LGρ₀)
//! (natural log). This reading is **conservative** for the check: the sum has T + 1 terms but is
//! divided by T, and it includes x_0, usually the largest term, so our LHS is ≥ any average
//! over T of the iterates; each step uses a step size η₀/√(t+1) ≤ η₀ no larger than the
//! review's η₀/√t at the same count of steps.
//!
//! ## Statistics
//! - Seeds are independent runs; seed i uses ChaCha8 keyed by `base_seed` on stream i, so the
//!   result is bit-identical whatever the number of rayon threads (per-seed results are
//!   collected in seed order and reduced sequentially).
//! - One run of t_max steps per seed gives every T of the grid (the schedules do not depend on
//!   T), so rows at different T share trajectories and are *correlated*; each row's statistics
//!   are across independent seeds.
//! - `lhs_ci` is a two-sided Student-t interval (statrs, n − 1 degrees of freedom) for
//!   E[LHS(T)] at level `confidence`.
//! - E f(x_T) in C1 is a Monte Carlo estimate (mean over seeds); its t interval gives an interval
//!   for the RHS (`rhs_lo`, `rhs_hi` in [`Theorem2Row`]). The contract's `rhs` uses the mean.
//! - The slope is the least-squares slope of ln(mean LHS) against ln T.
//!
//! ## Defaults
//!
//! | Name | Default | Range |
//! |---|---|---|
//! | `problem` | a = (1, 1, 0.5, 0.5), b = (0, 0.5, 1, 0), c = (0, 1, −1, 2): G = √5.75 ≈ 2.398, L = 1.5 | aᵢ, bᵢ ≥ 0, c finite |
//! | `x0` | c + (3, −3, 4, 5) | finite, length d |
//! | `noise` | `gaussian` | `gaussian`, `uniform` |
//! | `sigma` | 1.0 | ≥ 0 |
//! | `eta0` | 0.5 (η₀L = 0.75) | > 0; the bound's constant 2/η₀ presumes η₀L ≤ 1 |
//! | `rho0` | 0.5 | 0 ≤ ρ₀ ≤ Gη₀ (the theorem's hypothesis, checked) |
//! | `seeds` | 100 (CI half-widths ≈ 3% of the LHS; 200 doubles the runtime) | ≥ 2 |
//! | `base_seed` | 0 | any u64 |
//! | `t_min`, `t_max` | 100, 100 000 | 1 ≤ t_min < t_max (T = 1 is a counterexample to Eq. 6 as quoted, see the crate docs) |
//! | `grid_points` | 7 (log-spaced, rounded, deduplicated) | ≥ 2 |
//! | `confidence` | 0.95 | (0, 1) |

use crate::error::{invalid, nonneg, Result};
use crate::problem::{LogCoshCos, Noise, NoisyGradient};
use rayon::prelude::*;
use sam_objectives::Objective;
use sam_optim::{run, Gd, RunConfig, Sam, Schedule, TraceRow};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Settings of the Theorem 2 experiment; see the module's defaults table.
///
/// ```
/// use sam_convergence::Theorem2Config;
/// let cfg = Theorem2Config::default();
/// assert_eq!((cfg.seeds, cfg.t_min, cfg.t_max), (100, 100, 100_000));
/// assert!(cfg.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theorem2Config {
    /// The objective (its G and L are exact).
    pub problem: LogCoshCos,
    /// The start x₀.
    pub x0: Vec<f64>,
    /// The noise law.
    pub noise: Noise,
    /// σ, with E‖ξ‖² = σ².
    pub sigma: f64,
    /// η₀ of η_t = η₀/√(t+1).
    pub eta0: f64,
    /// ρ₀ of ρ_t = ρ₀/√(t+1).
    pub rho0: f64,
    /// Number of independent runs.
    pub seeds: usize,
    /// Key of every run's ChaCha8 generator (the stream is the seed index).
    pub base_seed: u64,
    /// Smallest T of the grid.
    pub t_min: usize,
    /// Largest T of the grid (steps of every run).
    pub t_max: usize,
    /// Number of log-spaced grid points before deduplication.
    pub grid_points: usize,
    /// Further T added to the log grid (each in 1..=t_max), e.g. every T up to 10.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_t: Vec<usize>,
    /// Run even when ρ₀ > Gη₀, outside the theorem's hypothesis (to measure what the hypothesis
    /// excludes; the bound is then not a theorem).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_hypothesis: bool,
    /// Level of the confidence intervals.
    pub confidence: f64,
}

impl Default for Theorem2Config {
    fn default() -> Self {
        let c = vec![0.0, 1.0, -1.0, 2.0];
        let x0 = c
            .iter()
            .zip([3.0, -3.0, 4.0, 5.0])
            .map(|(c, d)| c + d)
            .collect();
        Self {
            problem: LogCoshCos::new(vec![1.0, 1.0, 0.5, 0.5], vec![0.0, 0.5, 1.0, 0.0], c)
                .expect("valid default problem"),
            x0,
            noise: Noise::Gaussian,
            sigma: 1.0,
            eta0: 0.5,
            rho0: 0.5,
            seeds: 100,
            base_seed: 0,
            t_min: 100,
            t_max: 100_000,
            grid_points: 7,
            extra_t: Vec::new(),
            outside_hypothesis: false,
            confidence: 0.95,
        }
    }
}

impl Theorem2Config {
    /// The T grid: [`log_grid`] from `t_min` to `t_max` with `extra_t` added, sorted, without
    /// repeats.
    ///
    /// ```
    /// use sam_convergence::Theorem2Config;
    /// let cfg = Theorem2Config { t_min: 100, t_max: 1000, grid_points: 2, extra_t: vec![1, 2, 100], ..Theorem2Config::default() };
    /// assert_eq!(cfg.grid().unwrap(), vec![1, 2, 100, 1000]);
    /// ```
    pub fn grid(&self) -> Result<Vec<usize>> {
        let mut g = log_grid(self.t_min, self.t_max, self.grid_points)?;
        g.extend(&self.extra_t);
        g.sort_unstable();
        g.dedup();
        Ok(g)
    }

    /// Checks every setting once; errors name the value and the allowed range.
    ///
    /// ```
    /// use sam_convergence::Theorem2Config;
    /// let cfg = Theorem2Config { rho0: 100.0, ..Theorem2Config::default() };
    /// assert!(cfg.validate().unwrap_err().to_string().contains("rho0 = 100"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        let d = self.problem.dim();
        if self.x0.len() != d || self.x0.iter().any(|v| !v.is_finite()) {
            return Err(invalid(
                "x0",
                format!("{:?}", self.x0),
                format!("the start must have {d} finite coordinates"),
            ));
        }
        nonneg("sigma", self.sigma)?;
        if !(self.eta0.is_finite() && self.eta0 > 0.0) {
            return Err(invalid(
                "eta0",
                self.eta0,
                "it must be finite and > 0 (e.g. 0.5 with eta0 * L <= 1)",
            ));
        }
        let eta0_l = self.eta0 * self.problem.l_smooth();
        if eta0_l > 1.0 {
            return Err(invalid(
                "eta0 * L",
                eta0_l,
                format!(
                    "Theorem 2 presumes eta0 * L <= 1 (L = {}): lower eta0",
                    self.problem.l_smooth()
                ),
            ));
        }
        nonneg("rho0", self.rho0)?;
        let g_eta = self.problem.g_bound() * self.eta0;
        if self.rho0 > g_eta && !self.outside_hypothesis {
            return Err(invalid(
                "rho0",
                self.rho0,
                format!("Theorem 2 assumes rho0 <= G * eta0 = {g_eta}: lower rho0 or raise eta0"),
            ));
        }
        if self.seeds < 2 {
            return Err(invalid(
                "seeds",
                self.seeds,
                "a confidence interval needs at least 2 seeds (e.g. 200)",
            ));
        }
        if self.t_min < 1 || self.t_max <= self.t_min {
            return Err(invalid(
                "(t_min, t_max)",
                format!("({}, {})", self.t_min, self.t_max),
                "need 1 <= t_min < t_max (e.g. 100 and 100000)",
            ));
        }
        if self.t_max > MAX_T || (self.seeds as f64) * (self.t_max as f64) > MAX_WORK {
            return Err(invalid(
                "(seeds, t_max)",
                format!("({}, {})", self.seeds, self.t_max),
                format!("need t_max <= {MAX_T} and seeds * t_max <= {MAX_WORK:e} (about a minute of steps)"),
            ));
        }
        if self.grid_points < 2 {
            return Err(invalid(
                "grid_points",
                self.grid_points,
                "a slope needs at least 2 grid points (e.g. 7)",
            ));
        }
        if let Some(&t) = self.extra_t.iter().find(|&&t| t < 1 || t > self.t_max) {
            return Err(invalid(
                "extra_t",
                t,
                format!("every extra T must lie in 1..={} (t_max)", self.t_max),
            ));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(invalid(
                "confidence",
                self.confidence,
                "it must lie in (0, 1), e.g. 0.95",
            ));
        }
        Ok(())
    }

    /// C2 = 2(Lσ²η₀ + LGρ₀) with this problem's exact L and G.
    ///
    /// ```
    /// use sam_convergence::Theorem2Config;
    /// let cfg = Theorem2Config { rho0: 0.0, ..Theorem2Config::default() };
    /// assert!((cfg.c2() - 2.0 * 1.5 * 1.0 * 0.5).abs() < 1e-12);
    /// ```
    pub fn c2(&self) -> f64 {
        let l = self.problem.l_smooth();
        let g = self.problem.g_bound();
        2.0 * (l * self.sigma * self.sigma * self.eta0 + l * g * self.rho0)
    }
}

/// The largest T a Theorem 2 run accepts.
pub const MAX_T: usize = 100_000_000;
/// The most SAM steps (seeds × T) a Theorem 2 run accepts, so that it ends in bounded time.
pub const MAX_WORK: f64 = 2e9;

/// Log-spaced integer grid from `t_min` to `t_max` (both included), `n` points before
/// rounding and deduplication.
///
/// ```
/// use sam_convergence::log_grid;
/// assert_eq!(log_grid(100, 100_000, 4).unwrap(), vec![100, 1000, 10_000, 100_000]);
/// assert_eq!(log_grid(1, 3, 10).unwrap(), vec![1, 2, 3]);
/// ```
pub fn log_grid(t_min: usize, t_max: usize, n: usize) -> Result<Vec<usize>> {
    if t_min < 1 || t_max < t_min || n < 2 {
        return Err(invalid(
            "(t_min, t_max, n)",
            format!("({t_min}, {t_max}, {n})"),
            "need 1 <= t_min <= t_max and n >= 2",
        ));
    }
    let (lo, hi) = ((t_min as f64).ln(), (t_max as f64).ln());
    let mut g: Vec<usize> = (0..n)
        .map(|k| {
            let t = (lo + (hi - lo) * k as f64 / (n - 1) as f64).exp().round() as usize;
            t.clamp(t_min, t_max)
        })
        .collect();
    g.dedup();
    Ok(g)
}

/// Least-squares slope of ln y against ln t.
///
/// ```
/// use sam_convergence::loglog_slope;
/// let t = [10.0, 100.0, 1000.0];
/// let y: Vec<f64> = t.iter().map(|t: &f64| 3.0 * t.powf(-0.5)).collect();
/// assert!((loglog_slope(&t, &y).unwrap() + 0.5).abs() < 1e-12);
/// ```
pub fn loglog_slope(t: &[f64], y: &[f64]) -> Result<f64> {
    if t.len() != y.len() || t.len() < 2 || t.iter().chain(y).any(|v| !v.is_finite() || *v <= 0.0) {
        return Err(invalid(
            "fit data",
            format!("{} t values, {} y values", t.len(), y.len()),
            "need >= 2 pairs of finite positive numbers of equal count",
        ));
    }
    if t.iter().all(|v| *v == t[0]) {
        return Err(invalid(
            "fit data",
            "all t equal",
            "need at least 2 distinct t",
        ));
    }
    // the one least-squares fit, shared by every experiment
    let pts: Vec<(f64, f64)> = t.iter().copied().zip(y.iter().copied()).collect();
    Ok(sam_results::log_log_slope(&pts))
}

/// One row of the contract: `{"t": T, "lhs": ..., "lhs_ci": [lo, hi], "rhs": ...}`.
///
/// ```
/// use sam_convergence::ContractRow;
/// let r = ContractRow { t: 100, lhs: 0.5, lhs_ci: [0.4, 0.6], rhs: 2.0 };
/// assert_eq!(serde_json::to_string(&r).unwrap(),
///            r#"{"t":100,"lhs":0.5,"lhs_ci":[0.4,0.6],"rhs":2.0}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractRow {
    /// T (steps).
    pub t: usize,
    /// Mean over seeds of (1/T) Σ_{t=0}^{T} ‖∇f(x_t)‖².
    pub lhs: f64,
    /// Student-t confidence interval of E[LHS].
    pub lhs_ci: [f64; 2],
    /// C1/√T + C2 ln T/√T with C1 from the Monte Carlo mean of f(x_T).
    pub rhs: f64,
}

/// The contract of `samlab converge theorem2 --json`: `{"rows": [...], "slope": ...}`.
///
/// ```
/// use sam_convergence::{ContractRow, Theorem2Result};
/// let r = Theorem2Result { rows: vec![], slope: -0.5 };
/// assert_eq!(serde_json::to_string(&r).unwrap(), r#"{"rows":[],"slope":-0.5}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theorem2Result {
    /// One row per T of the grid, increasing T.
    pub rows: Vec<ContractRow>,
    /// Least-squares slope of ln LHS against ln T (a run whose mean LHS is 0 at some T is an
    /// error, not a NaN slope).
    pub slope: f64,
}

/// A tidy diagnostics row per T for the report's figure.
///
/// ```
/// use sam_convergence::{theorem2_report, Theorem2Config};
/// let cfg = Theorem2Config { seeds: 4, t_max: 400, ..Theorem2Config::default() };
/// let rep = theorem2_report(&cfg).unwrap();
/// let r = &rep.rows[0];
/// assert!((r.rhs - (r.c1_term + r.c2_term)).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theorem2Row {
    /// T (steps).
    pub t: usize,
    /// Mean LHS over seeds.
    pub lhs_mean: f64,
    /// Sample standard deviation of LHS over seeds.
    pub lhs_sd: f64,
    /// Lower end of the LHS confidence interval.
    pub lhs_ci_lo: f64,
    /// Upper end of the LHS confidence interval.
    pub lhs_ci_hi: f64,
    /// Mean of f(x_T) over seeds (estimate of E f(x_T)).
    pub f_t_mean: f64,
    /// Standard error of that mean.
    pub f_t_se: f64,
    /// C1 = (2/η₀)(f(x₀) − mean f(x_T)).
    pub c1: f64,
    /// C2 = 2(Lσ²η₀ + LGρ₀).
    pub c2: f64,
    /// C1/√T.
    pub c1_term: f64,
    /// C2 ln T/√T.
    pub c2_term: f64,
    /// c1_term + c2_term.
    pub rhs: f64,
    /// RHS with E f(x_T) at the upper end of its confidence interval (smallest C1).
    pub rhs_lo: f64,
    /// RHS with E f(x_T) at the lower end of its confidence interval (largest C1).
    pub rhs_hi: f64,
    /// rhs / lhs_mean: how loose the bound is.
    pub ratio: f64,
}

/// Everything the report needs: the contract result, per-T diagnostics and the constants.
///
/// ```
/// use sam_convergence::{theorem2_report, Theorem2Config};
/// let cfg = Theorem2Config { seeds: 4, t_max: 400, ..Theorem2Config::default() };
/// let rep = theorem2_report(&cfg).unwrap();
/// assert_eq!(rep.result.rows.len(), rep.rows.len());
/// assert!(rep.holds);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theorem2Report {
    /// The contract's `{"rows", "slope"}`.
    pub result: Theorem2Result,
    /// Diagnostics per T.
    pub rows: Vec<Theorem2Row>,
    /// G = ‖a + b‖.
    pub g: f64,
    /// L = max(aᵢ + bᵢ).
    pub l: f64,
    /// σ.
    pub sigma: f64,
    /// f(x₀).
    pub f0: f64,
    /// η₀ L (the bound's 2/η₀ presumes ≤ 1).
    pub eta0_l: f64,
    /// Least-squares slope of ln RHS against ln T, for comparison with `result.slope`.
    pub rhs_slope: f64,
    /// Whether every row's LHS confidence interval lies entirely at or below `rhs_lo`.
    pub holds: bool,
    /// Smallest RHS/LHS ratio over the grid.
    pub min_ratio: f64,
    /// The settings.
    pub config: Theorem2Config,
}

/// Per-seed outcome: LHS(T) and f(x_T) at each grid T.
struct SeedOutcome {
    lhs: Vec<f64>,
    f_t: Vec<f64>,
}

fn run_seed(cfg: &Theorem2Config, grid: &[usize], index: usize) -> Result<SeedOutcome> {
    let f = &cfg.problem;
    let mut oracle = NoisyGradient::new(f, cfg.noise, cfg.sigma, cfg.base_seed, index as u64)?;
    let opt = Sam::new(
        Gd::new(Schedule::inv_sqrt(cfg.eta0)?),
        Schedule::inv_sqrt(cfg.rho0)?,
    );
    let mut lhs = Vec::with_capacity(grid.len());
    let mut f_t = Vec::with_capacity(grid.len());
    let mut sum = 0.0;
    let mut next = 0;
    let mut observe = |row: &TraceRow| {
        sum += f.grad_norm_sq(row.x);
        if next < grid.len() && row.step == grid[next] {
            lhs.push(sum / row.step as f64);
            f_t.push(f.value(row.x));
            next += 1;
        }
    };
    run(
        opt,
        &cfg.x0,
        &mut oracle,
        &RunConfig::steps(cfg.t_max),
        &mut [&mut observe],
    )?;
    Ok(SeedOutcome { lhs, f_t })
}

fn mean_sd(v: impl Iterator<Item = f64> + Clone) -> (f64, f64, usize) {
    let n = v.clone().count();
    let m = v.clone().sum::<f64>() / n as f64;
    let var = v.map(|x| (x - m) * (x - m)).sum::<f64>() / (n as f64 - 1.0);
    (m, var.sqrt(), n)
}

/// Runs the experiment and returns the contract result with diagnostics.
///
/// ```
/// use sam_convergence::{theorem2_report, Theorem2Config};
/// let cfg = Theorem2Config { seeds: 4, t_min: 10, t_max: 1000, ..Theorem2Config::default() };
/// let rep = theorem2_report(&cfg).unwrap();
/// assert_eq!(rep.rows.len(), 7);
/// assert!(rep.min_ratio > 1.0);
/// ```
pub fn theorem2_report(cfg: &Theorem2Config) -> Result<Theorem2Report> {
    cfg.validate()?;
    let grid = cfg.grid()?;
    let seeds: Vec<SeedOutcome> = (0..cfg.seeds)
        .into_par_iter()
        .map(|i| run_seed(cfg, &grid, i))
        .collect::<Result<_>>()?;
    let tdist = StudentsT::new(0.0, 1.0, (cfg.seeds - 1) as f64)
        .map_err(|e| invalid("seeds", cfg.seeds, e.to_string()))?;
    let q = tdist.inverse_cdf(0.5 + cfg.confidence / 2.0);
    let f0 = cfg.problem.value(&cfg.x0);
    let c2 = cfg.c2();
    let mut rows = Vec::with_capacity(grid.len());
    for (k, &t) in grid.iter().enumerate() {
        let (lm, lsd, n) = mean_sd(seeds.iter().map(|s| s.lhs[k]));
        let (fm, fsd, _) = mean_sd(seeds.iter().map(|s| s.f_t[k]));
        let lhw = q * lsd / (n as f64).sqrt();
        let f_se = fsd / (n as f64).sqrt();
        let st = (t as f64).sqrt();
        let c1_of = |fx: f64| 2.0 / cfg.eta0 * (f0 - fx);
        let c1 = c1_of(fm);
        let c2_term = c2 * (t as f64).ln() / st;
        let rhs = c1 / st + c2_term;
        rows.push(Theorem2Row {
            t,
            lhs_mean: lm,
            lhs_sd: lsd,
            lhs_ci_lo: lm - lhw,
            lhs_ci_hi: lm + lhw,
            f_t_mean: fm,
            f_t_se: f_se,
            c1,
            c2,
            c1_term: c1 / st,
            c2_term,
            rhs,
            rhs_lo: c1_of(fm + q * f_se) / st + c2_term,
            rhs_hi: c1_of(fm - q * f_se) / st + c2_term,
            ratio: rhs / lm,
        });
    }
    let ts: Vec<f64> = grid.iter().map(|&t| t as f64).collect();
    let lhs: Vec<f64> = rows.iter().map(|r| r.lhs_mean).collect();
    let rhs: Vec<f64> = rows.iter().map(|r| r.rhs).collect();
    // Degenerate runs (no noise, started at a stationary point) have LHS = 0: no slope, and the
    // contract's `slope` must be a number, so this is an error naming the cause.
    if let Some(r) = rows
        .iter()
        .find(|r| r.lhs_mean.is_nan() || r.lhs_mean <= 0.0)
    {
        return Err(invalid(
            "mean LHS",
            format!("{} at T = {}", r.lhs_mean, r.t),
            "the gradient vanished along every run (no noise and a stationary start?), so no \
             log-log slope exists: use a noise level sigma > 0 or another start",
        ));
    }
    let slope = loglog_slope(&ts, &lhs)?;
    let rhs_slope = loglog_slope(&ts, &rhs).unwrap_or(f64::NAN);
    let result = Theorem2Result {
        rows: rows
            .iter()
            .map(|r| ContractRow {
                t: r.t,
                lhs: r.lhs_mean,
                lhs_ci: [r.lhs_ci_lo, r.lhs_ci_hi],
                rhs: r.rhs,
            })
            .collect(),
        slope,
    };
    Ok(Theorem2Report {
        result,
        holds: rows.iter().all(|r| r.lhs_ci_hi <= r.rhs_lo),
        min_ratio: rows.iter().map(|r| r.ratio).fold(f64::INFINITY, f64::min),
        rows,
        g: cfg.problem.g_bound(),
        l: cfg.problem.l_smooth(),
        sigma: cfg.sigma,
        f0,
        eta0_l: cfg.eta0 * cfg.problem.l_smooth(),
        rhs_slope,
        config: cfg.clone(),
    })
}

/// The contract's Theorem 2 result (see [`theorem2_report`] for the diagnostics).
///
/// ```
/// use sam_convergence::{theorem2, Theorem2Config};
/// let cfg = Theorem2Config { seeds: 4, t_max: 400, ..Theorem2Config::default() };
/// let r = theorem2(&cfg).unwrap();
/// assert!(r.rows.iter().all(|row| row.lhs < row.rhs));
/// ```
pub fn theorem2(cfg: &Theorem2Config) -> Result<Theorem2Result> {
    theorem2_report(cfg).map(|r| r.result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_whatever_the_thread_count() {
        let cfg = Theorem2Config {
            seeds: 6,
            t_max: 300,
            ..Theorem2Config::default()
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| theorem2_report(&cfg).unwrap());
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap()
            .install(|| theorem2_report(&cfg).unwrap());
        assert_eq!(one, two);
    }

    #[test]
    fn lhs_matches_a_brute_force_recomputation() {
        // Independent recomputation of one seed's LHS with a hand-written loop of the same
        // recursion (an oracle for the observer bookkeeping, not a second SAM implementation
        // used anywhere else).
        let cfg = Theorem2Config {
            seeds: 2,
            t_min: 5,
            t_max: 50,
            grid_points: 2,
            ..Theorem2Config::default()
        };
        let out = run_seed(&cfg, &[5, 50], 1).unwrap();
        let f = &cfg.problem;
        let mut o = NoisyGradient::new(f, cfg.noise, cfg.sigma, cfg.base_seed, 1).unwrap();
        let mut x = cfg.x0.clone();
        let mut sum = f.grad_norm_sq(&x);
        let d = x.len();
        let (mut gb, mut gsb) = (sam_optim::Grad::default(), sam_optim::Grad::default());
        use sam_optim::GradientOracle;
        for t in 0..50 {
            o.begin_step(t);
            o.gradient(&x, &mut gb);
            let g = gb.values();
            let n = g.iter().map(|v| v * v).sum::<f64>().sqrt();
            let rho = cfg.rho0 / ((t + 1) as f64).sqrt();
            let eta = cfg.eta0 / ((t + 1) as f64).sqrt();
            let xp: Vec<f64> = x.iter().zip(g).map(|(a, b)| a + rho * b / n).collect();
            o.gradient(&xp, &mut gsb);
            let gs = gsb.values();
            for i in 0..d {
                x[i] -= eta * gs[i];
            }
            sum += f.grad_norm_sq(&x);
            if t + 1 == 5 {
                assert!((out.lhs[0] - sum / 5.0).abs() < 1e-12);
            }
        }
        assert!((out.lhs[1] - sum / 50.0).abs() < 1e-12);
        assert!((out.f_t[1] - f.value(&x)).abs() < 1e-12);
    }

    #[test]
    fn validation_names_values() {
        for (cfg, needle) in [
            (
                Theorem2Config {
                    seeds: 1,
                    ..Default::default()
                },
                "seeds = 1",
            ),
            (
                Theorem2Config {
                    eta0: -1.0,
                    ..Default::default()
                },
                "eta0 = -1",
            ),
            (
                Theorem2Config {
                    sigma: f64::NAN,
                    ..Default::default()
                },
                "sigma = NaN",
            ),
            (
                Theorem2Config {
                    t_max: 100,
                    ..Default::default()
                },
                "(t_min, t_max)",
            ),
        ] {
            let e = theorem2(&cfg).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }
}
