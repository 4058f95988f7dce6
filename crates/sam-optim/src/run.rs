//! The one run loop: iteration, stopping, gradient counting, divergence detection, observers.

use crate::{CountingOracle, Float, GradientOracle, OptimError, Optimizer, Result};

/// Settings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// Number of optimizer steps (≥ 1).
    pub max_steps: usize,
    /// Check every coordinate of the iterate for NaN/inf after each step (default). Large models
    /// turn it off and rely on the loss each step reports, which is non-finite one step later.
    pub check_iterate: bool,
}

impl RunConfig {
    /// A run of `n` steps that checks the iterate after each.
    pub fn steps(n: usize) -> Self {
        Self {
            max_steps: n,
            check_iterate: true,
        }
    }
}

/// The state after `step` steps (step 0 is the start), as observers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow<'a, T = f64> {
    /// Steps taken so far.
    pub step: usize,
    /// Gradient evaluations so far.
    pub grad_evals: u64,
    /// The iterate.
    pub x: &'a [T],
    /// ‖g‖ at the previous iterate (the first gradient of the last step); NaN at step 0 and
    /// where the step did not compute it (a fused SGD step).
    pub grad_norm: f64,
    /// The loss the last step reported (at the previous iterate), if any.
    pub loss: Option<f64>,
}

/// Receives every trace row (progress bars, trace collection, per-epoch evaluation); an error
/// stops the run with that error.
pub trait Observer<T: Float = f64> {
    /// Called once with the start (step 0) and after every step.
    fn observe(&mut self, row: &TraceRow<T>) -> Result<()>;
}

impl<T: Float, F: FnMut(&TraceRow<T>)> Observer<T> for F {
    fn observe(&mut self, row: &TraceRow<T>) -> Result<()> {
        self(row);
        Ok(())
    }
}

/// An observer from a fallible closure.
///
/// ```
/// use sam_objectives::Fig1;
/// use sam_optim::{run, ExactGradient, Fallible, Gd, OptimError, Plain, RunConfig, Schedule};
/// let mut stop = Fallible(|r: &sam_optim::TraceRow| {
///     if r.step == 3 { Err(OptimError::Stopped("enough".into())) } else { Ok(()) }
/// });
/// let e = run(Plain::new(Gd::new(Schedule::constant(0.01).unwrap())), &[1.5],
///             &mut ExactGradient(&Fig1), &RunConfig::steps(10), &mut [&mut stop]).unwrap_err();
/// assert_eq!(e, OptimError::Stopped("enough".into()));
/// ```
pub struct Fallible<F>(pub F);

impl<T: Float, F: FnMut(&TraceRow<T>) -> Result<()>> Observer<T> for Fallible<F> {
    fn observe(&mut self, row: &TraceRow<T>) -> Result<()> {
        (self.0)(row)
    }
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome<T = f64> {
    /// The last iterate.
    pub x: Vec<T>,
    /// Steps taken.
    pub steps: usize,
    /// Gradient evaluations used.
    pub grad_evals: u64,
}

/// Runs `opt` from `x0` for `cfg.max_steps` steps (see [`run_in_place`]).
///
/// ```
/// use sam_objectives::Fig1;
/// use sam_optim::{run, ExactGradient, Gd, Plain, RunConfig, Schedule};
/// let mut rows = Vec::new();
/// let mut collect = |r: &sam_optim::TraceRow| rows.push(r.x[0]);
/// let out = run(Plain::new(Gd::new(Schedule::constant(0.01).unwrap())), &[1.5],
///               &mut ExactGradient(&Fig1), &RunConfig::steps(10), &mut [&mut collect]).unwrap();
/// assert_eq!(out.grad_evals, 10);
/// assert_eq!(rows.len(), 11);
/// ```
pub fn run<T: Float, O: Optimizer<T>>(
    mut opt: O,
    x0: &[T],
    oracle: &mut dyn GradientOracle<T>,
    cfg: &RunConfig,
    observers: &mut [&mut dyn Observer<T>],
) -> Result<RunOutcome<T>> {
    if x0.is_empty() || x0.iter().any(|v| !v.is_finite()) {
        return Err(OptimError::Config(format!(
            "start {x0:?} is invalid: it must be non-empty and finite"
        )));
    }
    let mut x = x0.to_vec();
    let grad_evals = run_in_place(&mut opt, &mut x, oracle, cfg, observers)?;
    Ok(RunOutcome {
        x,
        steps: cfg.max_steps,
        grad_evals,
    })
}

/// Runs `opt` on `x` in place for `cfg.max_steps` steps and returns the gradient evaluations
/// used (counted by the loop, whatever the optimizer: SAM's two per step, m-sharpness chunks,
/// fused steps).
///
/// Stops with [`OptimError::Diverged`] naming the step if the iterate (when checked), a gradient
/// or a reported loss becomes NaN or infinite, and with an observer's error if one fails. Every
/// observer sees the start and every step.
pub fn run_in_place<T: Float>(
    opt: &mut dyn Optimizer<T>,
    x: &mut [T],
    oracle: &mut dyn GradientOracle<T>,
    cfg: &RunConfig,
    observers: &mut [&mut dyn Observer<T>],
) -> Result<u64> {
    if cfg.max_steps == 0 {
        return Err(OptimError::Config(
            "iterations = 0: a run needs at least one step".into(),
        ));
    }
    let mut counter = CountingOracle::new(oracle);
    let start = TraceRow {
        step: 0,
        grad_evals: 0,
        x: &*x,
        grad_norm: f64::NAN,
        loss: None,
    };
    for o in observers.iter_mut() {
        o.observe(&start)?;
    }
    for t in 0..cfg.max_steps {
        counter.begin_step(t);
        let info = opt.step(x, t, &mut counter)?;
        if cfg.check_iterate {
            if let Some(v) = x.iter().find(|v| !v.is_finite()) {
                return Err(OptimError::diverged(t + 1, "the iterate", v.to_f64()));
            }
        }
        let row = TraceRow {
            step: t + 1,
            grad_evals: counter.count(),
            x: &*x,
            grad_norm: info.grad_norm,
            loss: info.loss,
        };
        for o in observers.iter_mut() {
            o.observe(&row)?;
        }
    }
    Ok(counter.count())
}
