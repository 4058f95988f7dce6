//! The toy landscapes of Figures 1 and 2: GD vs SAM with the same η.

pub mod fig1;
pub mod fig2;

use crate::{ExperimentError, Result};
use nalgebra::SymmetricEigen;
use sam_objectives::{check_point, Gradient, Hessian, Objective};
use sam_optim::{run, ExactGradient, Gd, Plain, RunConfig, Sam, Schedule, TraceRow};
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

/// Runs GD and SAM (same η) from the same start; returns both full traces (start included).
pub fn run_pair<F: Gradient + ?Sized>(f: &F, s: &ToySettings) -> Result<(Trajectory, Trajectory)> {
    s.validate(f)?;
    let eta = Schedule::constant(s.eta)?;
    let rho = Schedule::constant(s.rho)?;
    let cfg = RunConfig::steps(s.iterations);
    let mut gd_trace = Vec::with_capacity(s.iterations + 1);
    let mut rec = |r: &TraceRow| gd_trace.push(r.x.clone());
    run(
        Plain(Gd::new(eta.clone())),
        &s.start,
        &mut ExactGradient(f),
        &cfg,
        &mut [&mut rec],
    )?;
    let mut sam_trace = Vec::with_capacity(s.iterations + 1);
    let mut rec = |r: &TraceRow| sam_trace.push(r.x.clone());
    run(
        Sam::new(Gd::new(eta), rho),
        &s.start,
        &mut ExactGradient(f),
        &cfg,
        &mut [&mut rec],
    )?;
    Ok((gd_trace, sam_trace))
}

/// Final points only, without keeping traces (for grids).
pub fn finals<F: Gradient + ?Sized>(f: &F, s: &ToySettings) -> Result<(Vec<f64>, Vec<f64>)> {
    s.validate(f)?;
    let cfg = RunConfig::steps(s.iterations);
    let gd = run(
        Plain(Gd::new(Schedule::constant(s.eta)?)),
        &s.start,
        &mut ExactGradient(f),
        &cfg,
        &mut [],
    )?;
    let sam = run(
        Sam::new(
            Gd::new(Schedule::constant(s.eta)?),
            Schedule::constant(s.rho)?,
        ),
        &s.start,
        &mut ExactGradient(f),
        &cfg,
        &mut [],
    )?;
    Ok((gd.x, sam.x))
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
