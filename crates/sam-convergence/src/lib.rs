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
//! `cargo run --release -p sam-convergence --example theorem2` (100 seeds, T = 10² … 10⁵,
//! d = 4 nonconvex instance with a spurious local minimum, G ≈ 2.398, L = 1.5, σ = 1,
//! η₀ = ρ₀ = 0.5; about 6 s on 2 shared cores):
//!
//! | T | LHS (95% t CI) | RHS | RHS/LHS |
//! |---|---|---|---|
//! | 100 | 0.520 [0.500, 0.540] | 5.75 | 11 |
//! | 1 000 | 0.0659 [0.0636, 0.0683] | 2.21 | 33 |
//! | 10 000 | 0.0101 [0.0098, 0.0103] | 0.815 | 81 |
//! | 100 000 | 0.00207 [0.00203, 0.00211] | 0.295 | 143 |
//!
//! - **The bound holds** at every T of the grid, with the whole LHS interval below the RHS's
//!   lower end, here and on random instances (the `theorem2_lhs_below_rhs` property test).
//! - **It is loose, and looser as T grows**: RHS/LHS goes from 11 to 143. The C1 term alone
//!   (2(f(x₀) − E f(x_T))/(η₀√T)) exceeds the LHS: descent gives Σ η_t‖∇f‖² ≈ f(x₀) − f(x_T)
//!   with most of the decrease made early, where η_t is still of order η₀, so that part of the
//!   LHS is of order (f(x₀) − f(x_T))/(η₀T): C1/√T overestimates it by a factor of order √T
//!   (6.5 at T = 100, 53 at T = 10⁵).
//! - **Observed slope −0.80** (ln LHS on ln T), against −0.43 for the RHS (log T/√T fitted on
//!   the same grid). The LHS is a sum of a transient part ~ 1/T (the early descent) and a noise
//!   part ~ T^{−1/2} (near a minimum with curvature h, SGD with step η_t keeps
//!   E‖∇f‖² ≈ hη_tσ²/2, summing to ≈ hη₀σ²/√T): the local slope steepens from the transient
//!   towards −1/2 at large T (−0.65 between the last two grid points). The log T factor never
//!   shows: it is an artefact of the upper bound, which is a worst case over all problems
//!   satisfying the assumptions; problems with PL-like local structure decay faster.
//! - **Where Eq. (6) as quoted fails**: at T = 1, log T = 0 and the bound says
//!   LHS ≤ (2/η₀)(f(x₀) − E f(x₁)), negative whenever a SAM step raises f (e.g. started near a
//!   minimum): `eq6_as_quoted_fails_at_t_equal_1` is a deterministic counterexample satisfying
//!   every assumption. Telescoping proofs produce the harmonic number H_T ≤ 1 + log T, not log T.
//!   The quoted theorem also states no step-size condition, but its constant 2/η₀ needs one:
//!   deterministic GD on log cosh with η₀L = 4 violates the bound at T = 1, 2 and 5 (η₀L ≤ 1 is
//!   used in the tests; with η₀L up to 1.99 we saw no violation for T ≥ 1 on that instance).
//!
//! ## Reference
//! The review `paper/sam-review.txt`, section 3.2, Theorem 2, Eq. (6), citing [9] P. Mi, L. Shen,
//! T. Ren et al., arXiv:2210.05177, 2022.

mod error;
mod floor;
mod problem;
mod theorem2;

pub use error::{ConvergenceError, Result};
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
