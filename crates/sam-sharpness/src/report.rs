//! The `samlab sharpness` contract: one function, one serde struct with exactly its keys.

use crate::eigen::top_pair;
use crate::error::{check_finite, check_rho, Result, SharpnessError};
use crate::exact::{exact, ExactOptions};
use crate::trs::{first_order, norm, trs_with_eigen};
use sam_objectives::{check_point, AnyObjective, Gradient, Hessian, Objective};
use serde::Serialize;

/// The JSON answer of `samlab sharpness` (DESIGN.md): exactly these six keys.
///
/// ```
/// use sam_sharpness::sharpness_report;
/// use sam_objectives::{AnyObjective, Fig2};
/// let r = sharpness_report(&AnyObjective::Fig2(Fig2), &[2.0, 1.0], 0.1).unwrap();
/// let json = serde_json::to_value(&r).unwrap();
/// assert_eq!(json.as_object().unwrap().len(), 6);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharpnessReport {
    /// κ_ρ(θ), the global maximum of f(θ+e) − f(θ) over ‖e‖ ≤ ρ (Definition 1).
    pub exact: f64,
    /// A maximizer e of `exact`.
    pub argmax: Vec<f64>,
    /// ρ‖∇f(θ)‖ (Example 1).
    pub first_order: f64,
    /// max over the ball of gᵀe + ½eᵀHe.
    pub second_order: f64,
    /// Top eigenvalue λ₁ of ∇²f(θ).
    pub lambda_max: f64,
    /// ‖∇f(θ)‖.
    pub grad_norm: f64,
}

/// What the report does not carry: certificate, costs and the estimators' maximizers.
///
/// ```
/// use sam_sharpness::{sharpness_report_detailed, ExactOptions};
/// use sam_objectives::{AnyObjective, Fig2};
/// let (_, x) = sharpness_report_detailed(&AnyObjective::Fig2(Fig2), &[2.0, 1.0], 0.1, &ExactOptions::default()).unwrap();
/// assert!(x.certificate_gap.unwrap() >= 0.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportDetails {
    /// Upper bound on κ minus `exact` (None when not certified).
    pub certificate_gap: Option<f64>,
    /// Objective evaluations used by the exact computation.
    pub exact_evaluations: u64,
    /// Ascent starts used by the exact computation.
    pub exact_starts: usize,
    /// ρ g/‖g‖.
    pub first_order_argmax: Vec<f64>,
    /// The quadratic model's maximizer.
    pub second_order_argmax: Vec<f64>,
    /// Whether the quadratic model hit the hard case.
    pub second_order_hard_case: bool,
    /// f(θ).
    pub value: f64,
}

/// [`sharpness_report_detailed`] with default [`ExactOptions`].
///
/// Errors: ρ not finite or negative, a point of the wrong dimension or with a non-finite
/// coordinate, or an objective that is not finite at θ. ρ = 0 gives 0 for `exact`,
/// `first_order` and `second_order` (λ₁ and ‖g‖ do not depend on ρ).
///
/// ```
/// use sam_sharpness::sharpness_report;
/// use sam_objectives::{AnyObjective, Fig1};
/// let r = sharpness_report(&AnyObjective::Fig1(Fig1), &[1.0], 0.0).unwrap();
/// assert_eq!((r.exact, r.first_order, r.second_order), (0.0, 0.0, 0.0));
/// assert!(sharpness_report(&AnyObjective::Fig1(Fig1), &[1.0], f64::NAN).is_err());
/// assert!(sharpness_report(&AnyObjective::Fig1(Fig1), &[1.0, 2.0], 0.1).is_err());
/// ```
pub fn sharpness_report(obj: &AnyObjective, at: &[f64], rho: f64) -> Result<SharpnessReport> {
    Ok(sharpness_report_detailed(obj, at, rho, &ExactOptions::default())?.0)
}

/// Every estimator of this crate at one point and radius, with the extras.
///
/// ```
/// use sam_sharpness::{sharpness_report_detailed, ExactOptions};
/// use sam_objectives::{AnyObjective, Fig2};
/// let (r, _) = sharpness_report_detailed(&AnyObjective::Fig2(Fig2), &[3.0, 0.0], 0.01, &ExactOptions::default()).unwrap();
/// assert!((r.lambda_max - 8.0).abs() < 1e-12);
/// ```
pub fn sharpness_report_detailed(
    obj: &AnyObjective,
    at: &[f64],
    rho: f64,
    opts: &ExactOptions,
) -> Result<(SharpnessReport, ReportDetails)> {
    check_rho(rho)?;
    check_point(obj, at)?;
    let value = obj.value(at);
    if !value.is_finite() {
        return Err(SharpnessError::NonFinite {
            what: "f(at)",
            value,
        });
    }
    let g = obj.gradient(at);
    check_finite("gradient at the point", &g)?;
    let h = obj.hessian(at);
    check_finite("Hessian at the point", h.as_slice())?;
    let eig = crate::eigen::symmetric_eigen(&h);
    let lambda_max = top_pair(&eig).value;
    let fo = first_order(&g, rho)?;
    let so = trs_with_eigen(&g, &eig, rho);
    let ex = exact(obj, at, rho, opts)?;
    Ok((
        SharpnessReport {
            exact: ex.value,
            argmax: ex.argmax,
            first_order: fo.value,
            second_order: so.value,
            lambda_max,
            grad_norm: norm(&g),
        },
        ReportDetails {
            certificate_gap: ex.certificate_gap,
            exact_evaluations: ex.evaluations,
            exact_starts: ex.starts,
            first_order_argmax: fo.argmax,
            second_order_argmax: so.argmax,
            second_order_hard_case: so.hard_case,
            value,
        },
    ))
}
