//! # sam-optim
//!
//! One job: take optimization steps. Base optimizers ([`Gd`] — which is SGD when its gradient
//! oracle is stochastic — and [`Adam`]) turn a gradient into an update; [`Sam`] wraps any base
//! optimizer and implements the review's Eq. (3),
//!
//! x_{t+1} = x_t − η ∇L|_{x_t + ρ ∇L/‖∇L‖},
//!
//! as two named phases (climb to x + ê, then let the base optimizer step with the gradient there).
//! One loop, [`run`], owns iteration, stopping, counting gradient evaluations (SAM costs two per
//! step), divergence detection (NaN/inf reported with the step) and observers.
//!
//! ## Zero-gradient convention
//! The review notes (section 2.1.1) that Eq. (3) is undefined when ∇L = 0. Here
//! ê = ρ g/‖g‖ when ‖g‖ > 0 and ê = 0 when ‖g‖ = 0 (or when ‖g‖ is so small that g/‖g‖ is not
//! finite), so SAM at a stationary point takes the base optimizer's step with the gradient at x,
//! which is finite.
//!
//! ```
//! use sam_objectives::Fig2;
//! use sam_optim::{run, Gd, Sam, Schedule, ExactGradient, RunConfig};
//! let sam = Sam::new(Gd::new(Schedule::constant(0.1).unwrap()), Schedule::constant(0.05).unwrap());
//! let out = run(sam, &[2.0, 1.0], &mut ExactGradient(&Fig2), &RunConfig::steps(100), &mut []).unwrap();
//! assert_eq!(out.grad_evals, 200);
//! ```
//!
//! ## Reference
//! Foret et al., "Sharpness-Aware Minimization for Efficiently Improving Generalization", ICLR 2021;
//! the review `paper/sam-review.txt`, Eq. (3) and Eq. (4).

mod optimizers;
mod oracle;
mod run;
mod schedule;

pub use optimizers::{Adam, BaseOptimizer, Gd, Optimizer, Plain, Sam, Sgd, StepInfo};
pub use oracle::{CountingOracle, ExactGradient, GradientOracle};
pub use run::{run, Observer, RunConfig, RunOutcome, TraceRow};
pub use schedule::Schedule;

/// Errors of this crate; messages name the offending value and what to do.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum OptimError {
    /// A hyperparameter is out of its range.
    #[error("{name} = {value} is invalid: {allowed}")]
    Hyperparameter {
        /// Name of the hyperparameter.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The allowed range and what to do.
        allowed: &'static str,
    },
    /// A schedule produced an invalid value at some step.
    #[error("schedule '{name}' gave {value} at step {step}: it must be finite and >= 0")]
    Schedule {
        /// Which schedule (eta or rho).
        name: &'static str,
        /// The step.
        step: usize,
        /// The value.
        value: f64,
    },
    /// The iterate or its gradient became NaN or infinite.
    #[error("diverged at step {step}: {what} is not finite (try a smaller learning rate)")]
    Diverged {
        /// The step at which it happened (1-based: the step that produced the bad value).
        step: usize,
        /// What became non-finite.
        what: String,
    },
    /// Zero iterations or a bad start.
    #[error("{0}")]
    Config(String),
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, OptimError>;
