//! # sam-convergence
//!
//! One job: check the convergence theorem the review quotes, **Theorem 2 / Eq. (6)** of section
//! 3.2 (from [9], Mi et al. 2022, "Make Sharpness-Aware Minimization Stronger: A Sparsified
//! Perturbation Approach", arXiv:2210.05177), on problems where its constants are known exactly,
//! and show what it excludes (a constant ρ).
//!
//! Theorem 2 as quoted: stochastic SAM x_{t+1} = x_t − η_t g(x_t + ρ_t g(x_t)/‖g(x_t)‖) with
//! η_t = η₀/√t, ρ_t = ρ₀/√t, ρ₀ ≤ Gη₀, under bounded gradient ‖∇f‖ ≤ G, bounded variance
//! E‖g − ∇f‖² ≤ σ² and L-smoothness, satisfies
//!
//! (1/T) Σ_{t=0}^{T} E‖∇f(x_t)‖² ≤ C1/√T + C2 log T/√T,
//! C1 = (2/η₀)(f(x₀) − E f(x_T)), C2 = 2(Lσ²η₀ + LGρ₀).
//!
//! - [`LogCoshCos`], [`NoisyGradient`]: instances with exact G, L, σ (derivations in the
//!   `problem` module docs) and a seeded oracle implementing [`sam_optim::GradientOracle`].
//! - [`theorem2`] (the `samlab converge theorem2` contract) and [`theorem2_report`]
//!   (diagnostics): Monte Carlo over seeds, in parallel and thread-count independent, through
//!   sam-optim's one run loop with [`sam_optim::Sam`] and [`sam_optim::Schedule::inv_sqrt`].
//!   The indexing (η₀/√(t+1) for the 0-based step t; the sum over the T + 1 iterates
//!   x_0..x_T divided by T, a conservative reading) is explained in the `theorem2` module docs.
//! - [`quadratic_floor`] (the `samlab converge quadratic-floor` contract), [`floor_closed_form`]
//!   and friends: constant-ρ normalized SAM on λw²/2 settles into the 2-cycle ±w* with
//!   w* = ηλρ/(2 − ηλ) for 0 < ηλ < 2; decaying ρ removes the floor; unnormalized SAM is
//!   wₜ = (1 − ηλ(1 + ρλ))ᵗ. Derivation in the `floor` module docs.
//! - [`floor_sweep`]: tidy rows for the floor figure.
//!
//! ```
//! use sam_convergence::{floor_closed_form, quadratic_floor};
//! // constant rho: a floor; decaying rho: none.
//! let w = quadratic_floor(1.0, 0.5, 0.3, 10_000, false).unwrap();
//! assert!((w - floor_closed_form(1.0, 0.5, 0.3).unwrap()).abs() < 1e-12);
//! assert!(quadratic_floor(1.0, 0.5, 0.3, 10_000, true).unwrap() < w / 50.0);
//! ```
//!
//! ## Findings (default run, see `theorem2` module for the settings)
//! FINDINGS_PLACEHOLDER
//!
//! ## Reference
//! The review `paper/sam-review.txt`, section 3.2, Theorem 2, Eq. (6), citing [9] P. Mi, L. Shen,
//! T. Ren et al., arXiv:2210.05177, 2022.

mod error;
mod experiment;
mod floor;
mod problem;
mod theorem2;

pub use error::{ConvergenceError, Result};
pub use experiment::{floor_sweep, FloorKind, FloorRow, FloorSweepConfig};
pub use floor::{
    decaying_floor_approx, floor_closed_form, floor_settling_steps, quadratic_floor,
    quadratic_floor_with, unnormalized_converges, unnormalized_floor_closed_form, window_len,
    QuadraticFloorConfig, SamVariant,
};
pub use problem::{LogCoshCos, Noise, NoisyGradient};
pub use theorem2::{
    log_grid, loglog_slope, theorem2, theorem2_report, ContractRow, Theorem2Config, Theorem2Report,
    Theorem2Result, Theorem2Row,
};
