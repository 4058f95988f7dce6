//! # sam-optim
//!
//! One job: the one optimizer stack of the workspace, generic over the number type (f64 for the
//! toys and the theory, f32 for the MNIST hot path). Base optimizers ([`Gd`], which is SGD when
//! its oracle is stochastic, and [`Adam`]) turn a gradient into an update; [`Sam`] wraps a base
//! optimizer and a perturbation rule and implements the review's Eq. (3),
//!
//! x_{t+1} = x_t − η ∇L|_{x_t + ê},  ê = ρ ∇L/‖∇L‖,
//!
//! as two named phases (climb to x + ê, then return and let the base optimizer step with the
//! gradient there). Perturbation rules are one file each in [`perturb`]: SAM, USAM (ê = ρ g),
//! ASAM (ê = ρ T²g/‖Tg‖). m-sharpness (one ê per chunk of m samples) works for any minibatch
//! oracle. One loop, [`run`] / [`run_in_place`], owns iteration, stopping, counting gradient
//! evaluations (SAM costs two per step), divergence detection (NaN/inf reported with the step)
//! and observers (trace rows, progress, per-epoch evaluation).
//!
//! ## The kernel seam
//! Every update is made of the elementwise kernels in [`kernels`] (AVX-512, AVX2 and portable, the
//! same IEEE operations) and the norm of [`Float`]; gradients carry their support ([`Grad`]),
//! so a sparse engine's steps touch only the rows it changed; an oracle may fuse the SGD step
//! into its gradient ([`GradientOracle::fused_sgd_step`]), and a whole SAM step over SGD into
//! its own passes ([`GradientOracle::fused_sam_step`], for rules whose ê is a multiple of g).
//! The MNIST engine (sam-mnist) plugs in there: its fused SGD step equals the unfused path bit
//! for bit (tested against a committed fixture), its low-rank SAM step equals the two-phase
//! step up to f32 rounding (tested against it, which stays the reference).
//!
//! ## Zero-gradient convention and ε
//! See [`perturb`]: normalised rules scale by ρ/(‖v‖ + ε) (ε = 0 is Eq. 3; the MNIST protocol
//! uses 1e-12), and ê = 0 whenever ‖v‖ = 0.
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
//! Kwon et al., "ASAM", ICML 2021; the review `paper/sam-review.txt`, Eq. (3) and Eq. (4).

// Supports are lists of ranges; a list holding one range is intended, not `0..d` as a Vec.
#![allow(clippy::single_range_in_vec_init)]

pub mod base;
pub mod float;
mod grad;
pub mod kernels;
mod oracle;
pub mod perturb;
mod plain;
mod run;
mod sam;
mod schedule;
mod spec;

pub use base::{Adam, BaseOptimizer, Gd, Sgd};
pub use float::{norm, Float};
pub use grad::{Grad, Saved};
pub use oracle::{
    CountingOracle, ExactGradient, FullBatch, Fused, GradientOracle, SamPass, SamRequest,
};
pub use perturb::{Asam, PerturbationRule, SamRule, Usam};
pub use plain::Plain;
pub use run::{run, run_in_place, Fallible, Observer, RunConfig, RunOutcome, TraceRow};
pub use sam::Sam;
pub use schedule::Schedule;
pub use spec::{build, Hyper, Method, METHOD_NAMES};

/// What one optimizer step reports to the loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInfo {
    /// The loss at x_t, when the oracle computed it (minibatch oracles do).
    pub loss: Option<f64>,
    /// ‖g(x_t)‖, the norm of the first gradient of the step (NaN when not computed).
    pub grad_norm: f64,
    /// ‖ê‖, the SAM perturbation's norm (0 for plain optimizers).
    pub perturbation_norm: f64,
}

/// An optimizer takes one step; [`run`] owns the loop.
pub trait Optimizer<T: Float = f64> {
    /// A short name for results.
    fn name(&self) -> String;
    /// Takes step t (0-based) in place.
    fn step(
        &mut self,
        x: &mut [T],
        t: usize,
        oracle: &mut dyn GradientOracle<T>,
    ) -> Result<StepInfo>;
}

impl<T: Float, O: Optimizer<T> + ?Sized> Optimizer<T> for Box<O> {
    fn name(&self) -> String {
        (**self).name()
    }
    fn step(
        &mut self,
        x: &mut [T],
        t: usize,
        oracle: &mut dyn GradientOracle<T>,
    ) -> Result<StepInfo> {
        (**self).step(x, t, oracle)
    }
}

/// Errors of this crate; messages name the offending value and what to do.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum OptimError {
    /// A hyperparameter is out of its range (the workspace's one error shape).
    #[error(transparent)]
    Invalid(#[from] sam_params::Invalid),
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
    /// The iterate, a gradient or the loss became NaN or infinite.
    #[error("diverged at step {step}: {what} is not finite")]
    Diverged {
        /// The step at which it happened (1-based: the step that produced the bad value).
        step: usize,
        /// What became non-finite.
        what: String,
        /// The first non-finite value seen (NaN when several).
        value: f64,
    },
    /// An observer stopped the run.
    #[error("{0}")]
    Stopped(String),
    /// Zero iterations or a bad start.
    #[error("{0}")]
    Config(String),
}

impl OptimError {
    /// A [`OptimError::Diverged`].
    pub fn diverged(step: usize, what: &str, value: f64) -> Self {
        OptimError::Diverged {
            step,
            what: what.to_string(),
            value,
        }
    }
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, OptimError>;
