//! First-order estimate (Example 1) and the trust-region subproblem (second-order model).

use crate::error::{check_finite, check_rho, Result, SharpnessError};
use nalgebra::{DMatrix, DVector, SymmetricEigen};
use serde::Serialize;

/// The maximum of a model of f(θ+e) − f(θ) over ‖e‖ ≤ ρ and a point e that reaches it.
///
/// ```
/// use sam_sharpness::first_order;
/// let m = first_order(&[3.0, 4.0], 0.1).unwrap();
/// assert!((m.value - 0.5).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BallMax {
    /// The maximum value.
    pub value: f64,
    /// A maximizer e (‖e‖ ≤ ρ).
    pub argmax: Vec<f64>,
}

/// Example 1 of the review: κ_ρ(θ) ≈ ρ‖g‖, reached at ê = ρ g/‖g‖ (the maximum of the linear model
/// gᵀe over the ball). A zero gradient gives value 0 and argmax 0.
///
/// ```
/// use sam_sharpness::first_order;
/// let m = first_order(&[0.0, 2.0], 0.5).unwrap();
/// assert_eq!(m.value, 1.0);
/// assert_eq!(m.argmax, vec![0.0, 0.5]);
/// assert_eq!(first_order(&[0.0, 0.0], 0.5).unwrap().argmax, vec![0.0, 0.0]);
/// ```
pub fn first_order(g: &[f64], rho: f64) -> Result<BallMax> {
    check_rho(rho)?;
    check_finite("gradient", g)?;
    let n = norm(g);
    if n == 0.0 || rho == 0.0 {
        return Ok(BallMax {
            value: 0.0,
            argmax: vec![0.0; g.len()],
        });
    }
    // Scale before dividing so that tiny or huge gradients do not under/overflow.
    let argmax: Vec<f64> = g.iter().map(|gi| rho * (gi / n)).collect();
    Ok(BallMax {
        value: rho * n,
        argmax,
    })
}

/// The exact solution of the trust-region subproblem max_{‖e‖≤ρ} gᵀe + ½ eᵀHe.
///
/// ```
/// use sam_sharpness::{second_order, DMatrix};
/// let s = second_order(&[0.0, 0.0], &DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 3.0]), 0.1).unwrap();
/// assert!((s.value - 0.5 * 0.01 * 3.0).abs() < 1e-15);
/// assert!(s.hard_case);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrsSolution {
    /// max gᵀe + ½ eᵀHe over the ball.
    pub value: f64,
    /// A maximizer.
    pub argmax: Vec<f64>,
    /// The Lagrange multiplier μ ≥ max(λ₁, 0) with (μI − H)e = g and μ(ρ − ‖e‖) = 0.
    pub multiplier: f64,
    /// True in the "hard case": g has no component along the top eigenvector(s) and the
    /// boundary is reached by adding a multiple of that eigenvector.
    pub hard_case: bool,
    /// The Lagrangian dual bound ½gᵀ(μI−H)⁺g + ½μρ² minus `value`: an a-posteriori certificate
    /// that the maximum is at most `value + dual_gap` (0 up to rounding at the exact multiplier).
    pub dual_gap: f64,
}

/// Second-order estimate: the exact maximum over ‖e‖ ≤ ρ of the quadratic model
/// gᵀe + ½ eᵀHe (a trust-region subproblem), solved by eigendecomposition of H and a safeguarded
/// Newton/bisection on the secular equation 1/‖e(μ)‖ = 1/ρ, including the hard case.
///
/// `h` must be d×d (it is symmetrised); `g` of length d.
///
/// ```
/// use sam_sharpness::{second_order, DMatrix};
/// // Indefinite: the gradient points along x but the curvature along y wins for large rho.
/// let h = DMatrix::from_row_slice(2, 2, &[-1.0, 0.0, 0.0, 4.0]);
/// let s = second_order(&[1.0, 0.0], &h, 1.0).unwrap();
/// assert!(s.value > 2.0 && s.argmax[1].abs() > 0.9);
/// ```
///
/// ## Reference
/// Moré & Sorensen, "Computing a trust region step", SIAM J. Sci. Stat. Comput. 4 (1983);
/// Nocedal & Wright, "Numerical Optimization", §4.3 (the hard case).
pub fn second_order(g: &[f64], h: &DMatrix<f64>, rho: f64) -> Result<TrsSolution> {
    check_rho(rho)?;
    let d = g.len();
    if h.nrows() != d || h.ncols() != d {
        return Err(SharpnessError::Dimension {
            what: "Hessian (rows x columns)",
            expected: d,
            got: if h.nrows() != d { h.nrows() } else { h.ncols() },
        });
    }
    check_finite("gradient", g)?;
    check_finite("Hessian", h.as_slice())?;
    let sym = (h + h.transpose()) * 0.5;
    let eig = crate::eigen::symmetric_eigen(&sym);
    Ok(trs_with_eigen(g, &eig, rho))
}

/// TRS given the eigendecomposition of the (symmetric) H.
pub(crate) fn trs_with_eigen(
    g: &[f64],
    eig: &SymmetricEigen<f64, nalgebra::Dyn>,
    rho: f64,
) -> TrsSolution {
    let d = g.len();
    if rho == 0.0 || d == 0 {
        return TrsSolution {
            value: 0.0,
            argmax: vec![0.0; d],
            multiplier: 0.0,
            hard_case: false,
            dual_gap: 0.0,
        };
    }
    let lam: Vec<f64> = eig.eigenvalues.iter().copied().collect();
    let gv = DVector::from_column_slice(g);
    let gamma: Vec<f64> = (0..d)
        .map(|i| eig.eigenvectors.column(i).dot(&gv))
        .collect();
    let (top, &lam1) = lam
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("d >= 1");
    let gnorm = norm(g);
    let lam_scale = lam.iter().fold(0.0f64, |m, l| m.max(l.abs()));
    // Eigenvalues this close to λ₁ are treated as λ₁ (a cluster), components this small as zero.
    let eig_tol = 1e-12 * lam_scale.max(f64::MIN_POSITIVE);
    let gamma_tol = 1e-13 * (gnorm + rho * lam_scale);
    let in_top: Vec<bool> = lam.iter().map(|&l| l >= lam1 - eig_tol).collect();
    // Work in t = μ − λ₁ > 0, so that μ − λᵢ = t + (λ₁ − λᵢ) keeps full precision near λ₁.
    let gap: Vec<f64> = lam.iter().map(|&l| lam1 - l).collect();
    let norm2 = |t: f64| -> f64 {
        (0..d)
            .map(|i| {
                let c = gamma[i] / (t + gap[i]);
                c * c
            })
            .sum()
    };
    let build = |t: f64| -> Vec<f64> {
        let mut e = DVector::zeros(d);
        for i in 0..d {
            let c = gamma[i] / (t + gap[i]);
            if c != 0.0 {
                e.axpy(c, &eig.eigenvectors.column(i), 1.0);
            }
        }
        e.iter().copied().collect()
    };
    let model = |e: &[f64]| -> f64 {
        let ev = DVector::from_column_slice(e);
        let ec: Vec<f64> = (0..d)
            .map(|i| eig.eigenvectors.column(i).dot(&ev))
            .collect();
        (0..d)
            .map(|i| gamma[i] * ec[i] + 0.5 * lam[i] * ec[i] * ec[i])
            .sum()
    };
    let dual = |t: f64| -> f64 {
        let mu = t + lam1;
        let s: f64 = (0..d)
            .filter(|&i| t + gap[i] > 0.0)
            .map(|i| gamma[i] * gamma[i] / (t + gap[i]))
            .sum();
        0.5 * s + 0.5 * mu * rho * rho
    };
    let finish = |t: f64, e: Vec<f64>, hard: bool| -> TrsSolution {
        let value = model(&e);
        TrsSolution {
            value,
            dual_gap: (dual(t) - value).max(0.0),
            argmax: e,
            multiplier: t + lam1,
            hard_case: hard,
        }
    };

    // 1. Interior maximum: only possible when H is negative definite (μ = 0 < −λ₁... i.e. t = −λ₁).
    let t_lo = if lam1 < 0.0 { -lam1 } else { 0.0 };
    if lam1 < -eig_tol && norm2(t_lo) <= rho * rho {
        return finish(t_lo, build(t_lo), false);
    }
    // 2. Hard case: λ₁ ≥ 0, g ⟂ the top eigenspace and the rest of the solution is inside the ball.
    if t_lo == 0.0 || lam1 >= -eig_tol {
        let top_gamma2: f64 = (0..d)
            .filter(|&i| in_top[i])
            .map(|i| gamma[i] * gamma[i])
            .sum();
        if top_gamma2.sqrt() <= gamma_tol {
            let perp2: f64 = (0..d)
                .filter(|&i| !in_top[i])
                .map(|i| (gamma[i] / gap[i]).powi(2))
                .sum();
            if perp2 <= rho * rho {
                let tt = t_lo.max(0.0);
                let mut e = DVector::zeros(d);
                for i in (0..d).filter(|&i| !in_top[i]) {
                    e.axpy(gamma[i] / (tt + gap[i]), &eig.eigenvectors.column(i), 1.0);
                }
                let tau = (rho * rho - perp2).max(0.0).sqrt();
                e.axpy(tau, &eig.eigenvectors.column(top), 1.0);
                return finish(tt, e.iter().copied().collect(), true);
            }
        }
    }
    // 3. Boundary solution: ψ(t) = 1/‖e(t)‖ − 1/ρ = 0 with t in (t_lo, t_lo + ‖g‖/ρ].
    let psi = |t: f64| -> (f64, f64) {
        // returns ψ and ψ' = (Σ γ²/(t+gap)³) / ‖e‖³
        let mut n2 = 0.0;
        let mut d3 = 0.0;
        for i in 0..d {
            let q = t + gap[i];
            let c = gamma[i] / q;
            n2 += c * c;
            d3 += c * c / q;
        }
        let n = n2.sqrt();
        (1.0 / n - 1.0 / rho, d3 / (n2 * n))
    };
    let mut a = t_lo;
    let mut b = t_lo + gnorm / rho;
    let mut t = b;
    for _ in 0..400 {
        let (p, dp) = psi(t);
        if p == 0.0 {
            break;
        }
        if p > 0.0 {
            b = t;
        } else {
            a = t;
        }
        let newton = t - p / dp;
        let next = if newton.is_finite() && newton > a && newton < b {
            newton
        } else {
            0.5 * (a + b)
        };
        if (next - t).abs() <= 1e-15 * t.abs() || b - a <= 1e-15 * b.abs() {
            t = next;
            break;
        }
        t = next;
    }
    let mut e = build(t);
    // Put e exactly on the sphere (removes the last rounding of the root).
    let n = norm(&e);
    if n > 0.0 && n.is_finite() {
        e.iter_mut().for_each(|x| *x *= rho / n);
    }
    finish(t, e, false)
}

/// The Euclidean norm (overflow-safe), defined once in `sam-optim`.
pub(crate) use sam_optim::norm;
