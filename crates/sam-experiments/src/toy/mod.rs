//! The toy landscapes of Figures 1 and 2: GD vs SAM with the same η.

pub mod fig1;
pub mod fig2;

use crate::{ExperimentError, Result};
use nalgebra::SymmetricEigen;
use sam_objectives::{check_point, AnyObjective, Gradient, Hessian, Objective};
use sam_optim::{build, run, ExactGradient, Hyper, Method, RunConfig, TraceRow};
use serde::{Deserialize, Serialize};

/// The settings of one GD-vs-SAM comparison (keys as in DESIGN.md's `toy` contract).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToySettings {
    /// Learning rate η, shared by GD and SAM.
    pub eta: f64,
    /// SAM radius ρ.
    pub rho: f64,
    /// Number of steps of each optimizer.
    pub iterations: usize,
    /// Start point.
    pub start: Vec<f64>,
}

impl ToySettings {
    /// Checks the hyperparameters ([`sam_params::ParamGuard`]) and the start against `f`.
    ///
    /// ```
    /// use sam_experiments::toy::ToySettings;
    /// use sam_objectives::Fig1;
    /// let bad = ToySettings { eta: -0.1, rho: 0.1, iterations: 10, start: vec![0.5] };
    /// assert!(bad.validate(&Fig1).unwrap_err().to_string().contains("eta = -0.1"));
    /// ```
    pub fn validate<F: Objective + ?Sized>(&self, f: &F) -> Result<()> {
        sam_params::ParamGuard::check_ref(self)?;
        check_point(f, &self.start)?;
        Ok(())
    }
}

impl sam_params::ParamGuard for ToySettings {
    /// η > 0 and ρ ≥ 0, both finite, and at least one iteration (the start is checked against
    /// the objective by [`ToySettings::validate`]).
    fn check_ref(&self) -> std::result::Result<(), sam_params::Invalid> {
        sam_params::finite_pos("eta", self.eta, "--eta 0.1")?;
        sam_params::finite_nonneg("rho", self.rho, "--rho 0.05")?;
        sam_params::at_least("iterations", self.iterations, 1, "--iterations 1000")?;
        if self.iterations > MAX_ITERATIONS {
            return Err(sam_params::Invalid::new(
                "iterations",
                self.iterations,
                format!("at most {MAX_ITERATIONS} (about a minute of steps; the paper's runs take 1000)"),
            ));
        }
        Ok(())
    }
}

/// The most iterations a toy run accepts, so that every run ends in bounded time.
pub const MAX_ITERATIONS: usize = 100_000_000;

/// A trajectory: every iterate, the start included.
pub type Trajectory = Vec<Vec<f64>>;

/// The SAM-family member `name` (`sam`, `usam`, `asam`, ...) at the settings' ρ.
///
/// ```
/// use sam_experiments::toy::{method, ToySettings};
/// let s = ToySettings { eta: 0.1, rho: 0.05, iterations: 10, start: vec![0.5] };
/// assert_eq!(method("usam", &s).unwrap().name(), "usam");
/// assert!(method("sgd", &s).is_err()); // the comparison is GD against a SAM-family member
/// ```
pub fn method(name: &str, s: &ToySettings) -> Result<Method> {
    if matches!(name, "sgd" | "gd" | "adam") {
        return Err(ExperimentError::Config(format!(
            "--optimizer {name}: the toy runs GD against a SAM-family member; use sam, usam or asam"
        )));
    }
    Ok(Method::parse(name, Some(s.rho))?)
}

/// Runs `method` (from the one optimizer stack, f64, base GD) with the settings' η from the
/// settings' start, calling `observe` with every iterate; returns the last iterate.
fn run_one<F: Gradient + ?Sized>(
    f: &F,
    s: &ToySettings,
    method: Method,
    observe: &mut dyn FnMut(&[f64]),
) -> Result<Vec<f64>> {
    let opt = build::<f64>(method, &Hyper::lr(s.eta)?, None)?;
    let mut rec = |r: &TraceRow| observe(r.x);
    let out = run(
        opt,
        &s.start,
        &mut ExactGradient(f),
        &RunConfig::steps(s.iterations),
        &mut [&mut rec],
    )
    .map_err(|e| match e {
        // name the settings that diverged and what to change
        sam_optim::OptimError::Diverged { .. } => ExperimentError::Finding(format!(
            "{} {e} with eta = {}, rho = {}, start = {:?}: lower --eta or --rho, or start nearer the minima",
            if method == Method::Sgd { "gd" } else { method.name() },
            sam_params::show(s.eta),
            sam_params::show(s.rho),
            s.start
        )),
        other => other.into(),
    })?;
    Ok(out.x)
}

/// Runs GD and SAM (same η) from the same start; returns both full traces (start included).
pub fn run_pair<F: Gradient + ?Sized>(f: &F, s: &ToySettings) -> Result<(Trajectory, Trajectory)> {
    run_pair_with(f, s, Method::Sam { rho: s.rho })
}

/// Runs GD and `method` (a SAM-family member; same η) from the same start; returns both full
/// traces (start included).
///
/// ```
/// use sam_experiments::toy::{method, run_pair_with, ToySettings};
/// use sam_objectives::Fig2;
/// let s = ToySettings { eta: 0.1, rho: 0.05, iterations: 5, start: vec![2.0, 1.0] };
/// let (gd, asam) = run_pair_with(&Fig2, &s, method("asam", &s).unwrap()).unwrap();
/// assert_eq!((gd.len(), asam.len()), (6, 6));
/// ```
pub fn run_pair_with<F: Gradient + ?Sized>(
    f: &F,
    s: &ToySettings,
    method: Method,
) -> Result<(Trajectory, Trajectory)> {
    s.validate(f)?;
    let mut gd_trace = Vec::new();
    run_one(f, s, Method::Sgd, &mut |x| gd_trace.push(x.to_vec()))?;
    let mut sam_trace = Vec::new();
    run_one(f, s, method, &mut |x| sam_trace.push(x.to_vec()))?;
    Ok((gd_trace, sam_trace))
}

/// Final points only, without keeping traces (for grids).
pub fn finals<F: Gradient + ?Sized>(f: &F, s: &ToySettings) -> Result<(Vec<f64>, Vec<f64>)> {
    finals_with(f, s, Method::Sam { rho: s.rho })
}

/// Final points of GD and `method`, without keeping traces.
pub fn finals_with<F: Gradient + ?Sized>(
    f: &F,
    s: &ToySettings,
    method: Method,
) -> Result<(Vec<f64>, Vec<f64>)> {
    s.validate(f)?;
    let gd = run_one(f, s, Method::Sgd, &mut |_| {})?;
    let sam = run_one(f, s, method, &mut |_| {})?;
    Ok((gd, sam))
}

/// The top eigenvalue of the dense Hessian of `f` at `x`.
///
/// ```
/// use sam_experiments::toy::lambda_max;
/// use sam_objectives::Fig2;
/// assert!((lambda_max(&Fig2, &[1.5, 0.0]) - 0.5).abs() < 1e-12);
/// ```
pub fn lambda_max<F: Hessian + ?Sized>(f: &F, x: &[f64]) -> f64 {
    SymmetricEigen::new(f.hessian(x))
        .eigenvalues
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
}

/// `samlab toy fig1` defaults: the showcase cell picked by [`fig1::showcase`] from the committed
/// grid (`results/fig1/showcase.json`); a test checks that the two agree.
///
/// ```
/// assert_eq!(sam_experiments::toy::fig1_defaults().rho, 0.05);
/// ```
pub fn fig1_defaults() -> ToySettings {
    ToySettings {
        eta: 5.623_413_251_903_491e-5,
        rho: 0.05,
        iterations: 88_914,
        start: vec![-0.4877],
    }
}

/// `samlab toy fig2` defaults: η, iterations as in the review; the start and ρ found by
/// [`fig2::find_reproduction`] (`results/fig2/reproduction.json`); a test checks both agree.
///
/// ```
/// assert_eq!(sam_experiments::toy::fig2_defaults().iterations, 1000);
/// ```
pub fn fig2_defaults() -> ToySettings {
    ToySettings {
        eta: 0.1,
        rho: 0.1016,
        iterations: 1000,
        start: vec![0.0622585, 0.5],
    }
}

/// The end of one optimizer's run, as in the `toy` JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEnd {
    /// The last iterate.
    #[serde(rename = "final")]
    pub final_point: Vec<f64>,
    /// Top Hessian eigenvalue there.
    pub lambda_max: f64,
    /// κ_ρ there (exact maximum over the ρ-ball, Definition 1) at the run's ρ.
    pub sharpness: f64,
    /// f there.
    pub loss: f64,
}

/// `samlab toy ... --json`: both ends of a GD-vs-SAM comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToyJson {
    /// GD's end.
    pub gd: RunEnd,
    /// The SAM-family member's end (SAM unless `--optimizer` names another).
    pub sam: RunEnd,
    /// Which SAM-family member ran as `sam` (`usam`, `asam`); absent for SAM itself, the
    /// default, so the committed Figure 1-2 results keep their shape.
    #[serde(default = "default_optimizer", skip_serializing_if = "is_sam")]
    pub optimizer: String,
    /// The settings.
    pub settings: ToySettings,
}

fn default_optimizer() -> String {
    "sam".into()
}

fn is_sam(name: &str) -> bool {
    name == "sam"
}

fn end(f: &AnyObjective, x: Vec<f64>, rho: f64) -> Result<RunEnd> {
    let sharpness = sam_sharpness::exact(f, &x, rho, &sam_sharpness::ExactOptions::default())?;
    Ok(RunEnd {
        lambda_max: lambda_max(f, &x),
        sharpness: sharpness.value,
        loss: f.value(&x),
        final_point: x,
    })
}

/// Runs GD and the SAM-family member `optimizer` with `s` on `f` and summarises both ends.
///
/// ```
/// use sam_experiments::toy::{toy_json, ToySettings};
/// use sam_objectives::{AnyObjective, Fig2};
/// let s = ToySettings { eta: 0.1, rho: 0.05, iterations: 20, start: vec![2.0, 1.0] };
/// let j = toy_json(&AnyObjective::Fig2(Fig2), &s, "sam").unwrap();
/// assert!(j.sam.loss.is_finite() && j.gd.sharpness >= 0.0);
/// ```
pub fn toy_json(f: &AnyObjective, s: &ToySettings, optimizer: &str) -> Result<ToyJson> {
    let method = method(optimizer, s)?;
    // only the end points: memory does not grow with the number of iterations
    let (gd, sam) = finals_with(f, s, method)?;
    Ok(ToyJson {
        gd: end(f, gd, s.rho)?,
        sam: end(f, sam, s.rho)?,
        optimizer: method.name().into(),
        settings: s.clone(),
    })
}
