//! The one run loop: iteration, stopping, gradient counting, divergence detection, observers.

use crate::{CountingOracle, GradientOracle, OptimError, Optimizer, Result};

/// Settings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunConfig {
    /// Number of optimizer steps (≥ 1).
    pub max_steps: usize,
}

impl RunConfig {
    /// A run of `n` steps.
    pub fn steps(n: usize) -> Self {
        Self { max_steps: n }
    }
}

/// One row of a trace: the state after `step` steps (step 0 is the start).
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow {
    /// Steps taken so far.
    pub step: usize,
    /// Gradient evaluations so far.
    pub grad_evals: u64,
    /// The iterate.
    pub x: Vec<f64>,
    /// ‖g‖ at the previous iterate (the first gradient of the last step); NaN at step 0.
    pub grad_norm: f64,
}

/// Receives every trace row (progress bars, trace collection).
pub trait Observer {
    /// Called after every step, and once with the start (step 0).
    fn observe(&mut self, row: &TraceRow);
}

impl<F: FnMut(&TraceRow)> Observer for F {
    fn observe(&mut self, row: &TraceRow) {
        self(row)
    }
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The last iterate.
    pub x: Vec<f64>,
    /// Steps taken.
    pub steps: usize,
    /// Gradient evaluations used.
    pub grad_evals: u64,
}

/// Runs `opt` from `x0` for `cfg.max_steps` steps.
///
/// Stops with [`OptimError::Diverged`] naming the step if the iterate or a gradient becomes NaN or
/// infinite. Every observer sees the start and every step.
///
/// ```
/// use sam_objectives::Fig1;
/// use sam_optim::{run, ExactGradient, Gd, Plain, RunConfig, Schedule};
/// let mut rows = Vec::new();
/// let mut collect = |r: &sam_optim::TraceRow| rows.push(r.x[0]);
/// let out = run(Plain(Gd::new(Schedule::constant(0.01).unwrap())), &[1.5],
///               &mut ExactGradient(&Fig1), &RunConfig::steps(10), &mut [&mut collect]).unwrap();
/// assert_eq!(out.grad_evals, 10);
/// assert_eq!(rows.len(), 11);
/// ```
pub fn run<O: Optimizer>(
    mut opt: O,
    x0: &[f64],
    oracle: &mut dyn GradientOracle,
    cfg: &RunConfig,
    observers: &mut [&mut dyn Observer],
) -> Result<RunOutcome> {
    if cfg.max_steps == 0 {
        return Err(OptimError::Config(
            "iterations = 0: a run needs at least one step".into(),
        ));
    }
    if x0.is_empty() || x0.iter().any(|v| !v.is_finite()) {
        return Err(OptimError::Config(format!(
            "start {x0:?} is invalid: it must be non-empty and finite"
        )));
    }
    let mut counter = CountingOracle::new(oracle);
    let mut x = x0.to_vec();
    let mut row = TraceRow {
        step: 0,
        grad_evals: 0,
        x: x.clone(),
        grad_norm: f64::NAN,
    };
    for o in observers.iter_mut() {
        o.observe(&row);
    }
    for t in 0..cfg.max_steps {
        counter.begin_step(t);
        let info = opt.step(&mut x, t, &mut counter)?;
        if x.iter().any(|v| !v.is_finite()) {
            return Err(OptimError::Diverged {
                step: t + 1,
                what: "the iterate".into(),
            });
        }
        row.step = t + 1;
        row.grad_evals = counter.count();
        row.x.copy_from_slice(&x);
        row.grad_norm = info.grad_norm;
        for o in observers.iter_mut() {
            o.observe(&row);
        }
    }
    Ok(RunOutcome {
        x,
        steps: cfg.max_steps,
        grad_evals: counter.count(),
    })
}
