//! # sam-sharpness
//!
//! One job: measure sharpness. Definition 1 of the review (`paper/sam-review.txt`, section 2.1.1)
//! defines κ_ρ(θ) = max_{‖ε‖≤ρ} f(θ+ε) − f(θ); this crate computes it exactly ([`exact`]: the
//! global maximum over the closed ball, certified for d ≤ 3), its first-order estimate
//! ρ‖∇f‖ of Example 1 ([`first_order`]), the exact maximum of the second-order model
//! gᵀε + ½εᵀHε ([`second_order`], a trust-region subproblem), the top Hessian eigenvalue λ₁ that
//! Example 2 relates κ to ([`lambda_max_dense`], [`lanczos`] for large d), Hutchinson's trace
//! ([`hutchinson_trace`]), and a lower bound on κ for models too large for the exact method
//! ([`projected_ascent_lower_bound`]).
//!
//! ## What the review gets right and wrong (checked in `tests/claims.rs`)
//! - Example 1: κ_ρ = ρ‖∇f‖ + O(ρ²) when ∇f ≠ 0. Correct.
//! - Example 2: at a minimum the review writes f(θ+ε) ≈ f(θ) + εᵀHε and κ_ρ ≈ ρ²λ₁. Taylor's
//!   theorem has a ½: f(θ+ε) = f(θ) + ½εᵀHε + O(‖ε‖³), so κ_ρ = ½ρ²λ₁ + O(ρ³).
//! - Eq. (5): ∇f(θ+ê) − ∇f(θ) = Hê + O(ρ²) for ê = ρ g/‖g‖. Correct.
//!
//! argmin does the ascent inside [`exact`], behind a private adapter: it is not part of this API.
//!
//! ```
//! use sam_sharpness::sharpness_report;
//! use sam_objectives::{AnyObjective, Fig2};
//! // At a minimum of (x-1)^2 y^2 on y = 0, lambda_1 = 8 and kappa ~ rho^2 lambda_1 / 2.
//! let r = sharpness_report(&AnyObjective::Fig2(Fig2), &[3.0, 0.0], 1e-3).unwrap();
//! assert!((r.exact / (0.5 * 1e-6 * 8.0) - 1.0).abs() < 1e-2);
//! ```
//!
//! ## Reference
//! Foret et al., "Sharpness-Aware Minimization for Efficiently Improving Generalization", ICLR 2021;
//! the review's Definition 1, Examples 1 and 2 and Eq. (5). Moré & Sorensen, "Computing a trust
//! region step" (1983) for the trust-region subproblem and its hard case. Lanczos with full
//! reorthogonalisation: Golub & Van Loan, "Matrix Computations", §10.3. Hutchinson, "A stochastic
//! estimator of the trace of the influence matrix" (1990).

mod ascent;
mod certify;
mod eigen;
mod error;
mod exact;
mod report;
mod trs;

pub use ascent::{
    projected_ascent_lower_bound, projected_ascent_lower_bound_at,
    projected_ascent_lower_bound_from, LowerBound,
};
pub use eigen::{
    hutchinson_trace, hutchinson_trace_at, lambda_max_dense, lanczos, lanczos_at, symmetric_eigen,
    EigenPair, Hvp, LanczosEstimate, TraceEstimate,
};
pub use error::{Result, SharpnessError};
pub use exact::{exact, exact_uncertified, ExactOptions, ExactSharpness};
pub use nalgebra::DMatrix;
pub use report::{sharpness_report, sharpness_report_detailed, ReportDetails, SharpnessReport};
pub use trs::{first_order, second_order, BallMax, TrsSolution};
