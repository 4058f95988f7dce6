//! # samlab
//!
//! The facade of the samlab workspace: it re-exports the crates so that the workspace-level
//! property tests in `tests/` (one named test per claim of the review) can reach them.
//!
//! ```
//! use samlab::objectives::{Fig2, Objective};
//! assert_eq!(Fig2.value(&[1.0, 5.0]), 0.0);
//! ```

pub use sam_experiments as experiments;
pub use sam_objectives as objectives;
pub use sam_optim as optim;
pub use sam_results as results;
pub use sam_sharpness as sharpness;

pub mod cli;
pub mod registry;
pub mod sweep;

/// κ_ρ at `x` (Definition 1): the exact global maximum of f(x+e) − f(x) over ‖e‖ ≤ ρ, from
/// `sam-sharpness` with its default options (certified for d ≤ 3).
///
/// ```
/// use samlab::objectives::{AnyObjective, Fig2};
/// // At (3, 0) on the minimum line y = 0: λ₁ = 8, and κ ≈ ½ρ²λ₁ for small ρ.
/// let k = samlab::sharpness_exact(&AnyObjective::Fig2(Fig2), &[3.0, 0.0], 1e-3).unwrap();
/// assert!((k / 4e-6 - 1.0).abs() < 1e-2);
/// ```
pub fn sharpness_exact(f: &objectives::AnyObjective, x: &[f64], rho: f64) -> anyhow::Result<f64> {
    Ok(sam_sharpness::exact(f, x, rho, &sam_sharpness::ExactOptions::default())?.value)
}
