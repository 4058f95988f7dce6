//! The toy landscapes of Figures 1 and 2: GD vs SAM with the same η.

pub mod fig1;
pub mod fig2;

use crate::{ExperimentError, Result};
use nalgebra::SymmetricEigen;
use sam_objectives::{check_point, Gradient, Hessian, Objective};
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
    /// Checks η > 0 finite, ρ ≥ 0 finite, iterations ≥ 1, and the start against `f`.
    ///
    /// ```
    /// use sam_experiments::toy::ToySettings;
    /// use sam_objectives::Fig1;
    /// let bad = ToySettings { eta: -0.1, rho: 0.1, iterations: 10, start: vec![0.5] };
    /// assert!(bad.validate(&Fig1).unwrap_err().to_string().contains("eta = -0.1"));
    /// ```
    pub fn validate<F: Objective + ?Sized>(&self, f: &F) -> Result<()> {
        if !(self.eta.is_finite() && self.eta > 0.0) {
            return Err(ExperimentError::Config(format!(
                "eta = {} is invalid: the learning rate must be finite and > 0 (e.g. --eta 0.1)",
                self.eta
            )));
        }
        if !(self.rho.is_finite() && self.rho >= 0.0) {
            return Err(ExperimentError::Config(format!(
                "rho = {} is invalid: the SAM radius must be finite and >= 0 (e.g. --rho 0.05)",
                self.rho
            )));
        }
        if self.iterations == 0 {
            return Err(ExperimentError::Config(
                "iterations = 0 is invalid: run at least one step (e.g. --iterations 1000)".into(),
            ));
        }
        check_point(f, &self.start)?;
        Ok(())
    }
}

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
    )?;
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
