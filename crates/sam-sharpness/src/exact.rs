//! κ_ρ(θ) of Definition 1: the global maximum of f(θ+e) − f(θ) over ‖e‖ ≤ ρ.

use crate::ascent::{ascend, Shifted};
use crate::certify::branch_and_bound;
use crate::error::{check_rho, Result, SharpnessError};
use crate::trs::{norm, trs_with_eigen};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use sam_objectives::{check_point, AnyObjective, Gradient, Hessian, Objective};
use serde::Serialize;

/// Settings of [`exact`] (validated by [`ExactOptions::validate`]).
///
/// | name | default | range |
/// |---|---|---|
/// | `sphere_starts` | 8 | ≥ 0 random starts on the sphere ‖e‖ = ρ |
/// | `interior_starts` | 4 | ≥ 0 random starts uniform in the ball |
/// | `eigen_starts` | 2 | ≥ 0 top Hessian eigenvectors v, each started at ±ρv |
/// | `trs_start` | true | start at the maximizer of the quadratic model |
/// | `max_iters` | 500 | ≥ 1 ascent iterations per start |
/// | `xtol` | 1e-12 | (0, 1): stop a start when a step is shorter than xtol·ρ |
/// | `seed` | 0 | any: the random starts are a ChaCha8 stream from it |
/// | `certify` | true | branch and bound for d ≤ 3 |
/// | `max_boxes` | 200000 | ≥ 1 boxes split by branch and bound |
/// | `gap_tol` | 1e-10 | (0, 1): stop when the gap ≤ gap_tol·(1 + |max f|) |
///
/// ```
/// use sam_sharpness::ExactOptions;
/// assert!(ExactOptions::default().validate().is_ok());
/// assert!(ExactOptions { max_iters: 0, ..Default::default() }.validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExactOptions {
    /// Random starts on the sphere.
    pub sphere_starts: usize,
    /// Random starts inside the ball.
    pub interior_starts: usize,
    /// Top eigenvectors used as ± starts.
    pub eigen_starts: usize,
    /// Start at the trust-region-subproblem solution of the quadratic model.
    pub trs_start: bool,
    /// Iterations per start.
    pub max_iters: usize,
    /// Relative step tolerance.
    pub xtol: f64,
    /// Seed of the random starts.
    pub seed: u64,
    /// Certify with branch and bound when d ≤ 3.
    pub certify: bool,
    /// Budget of box splits.
    pub max_boxes: usize,
    /// Relative gap tolerance of branch and bound.
    pub gap_tol: f64,
}

impl Default for ExactOptions {
    fn default() -> Self {
        Self {
            sphere_starts: 8,
            interior_starts: 4,
            eigen_starts: 2,
            trs_start: true,
            max_iters: 500,
            xtol: 1e-12,
            seed: 0,
            certify: true,
            max_boxes: 200_000,
            gap_tol: 1e-10,
        }
    }
}

impl ExactOptions {
    /// Checks every setting against its range.
    ///
    /// ```
    /// use sam_sharpness::ExactOptions;
    /// assert!(ExactOptions { xtol: -1.0, ..Default::default() }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        let bad = |name: &str, value: f64, allowed: &str| {
            Err(SharpnessError::from(sam_params::Invalid::new(
                name, value, allowed,
            )))
        };
        if self.max_iters == 0 {
            return bad(
                "max_iters",
                0.0,
                "use at least 1 iteration per start (default 500)",
            );
        }
        if !(self.xtol > 0.0 && self.xtol < 1.0) {
            return bad("xtol", self.xtol, "must be in (0, 1) (default 1e-12)");
        }
        if self.max_boxes == 0 {
            return bad("max_boxes", 0.0, "use at least 1 box (default 200000)");
        }
        if !(self.gap_tol > 0.0 && self.gap_tol < 1.0) {
            return bad("gap_tol", self.gap_tol, "must be in (0, 1) (default 1e-10)");
        }
        Ok(())
    }
}

/// The exact sharpness κ_ρ(θ) with its maximizer and how it was found.
///
/// ```
/// use sam_sharpness::{exact, ExactOptions};
/// use sam_objectives::{AnyObjective, Fig2};
/// let k = exact(&AnyObjective::Fig2(Fig2), &[3.0, 0.0], 0.1, &ExactOptions::default()).unwrap();
/// assert!(k.certificate_gap.unwrap() >= 0.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExactSharpness {
    /// κ_ρ(θ) = max_{‖e‖≤ρ} f(θ+e) − f(θ) (the best value found; global within `certificate_gap`).
    pub value: f64,
    /// A maximizer e, ‖e‖ ≤ ρ.
    pub argmax: Vec<f64>,
    /// Upper bound minus `value` when certified (d ≤ 3 by branch and bound; quadratics by the
    /// trust-region dual bound); None when not certified.
    pub certificate_gap: Option<f64>,
    /// Objective evaluations (value and gradient at perturbed points, ascent and branch and bound).
    pub evaluations: u64,
    /// Number of ascent starts.
    pub starts: usize,
}

/// Multi-start projected gradient ascent (argmin solver inside), no certificate. Starts: ρ g/‖g‖,
/// ±ρ vᵢ for the top `eigen_starts` Hessian eigenvectors, the quadratic model's TRS maximizer,
/// seeded random points on the sphere and in the ball. e = 0 is always a candidate (κ ≥ 0).
/// For any objective with a gradient and a dense Hessian.
///
/// ```
/// use sam_sharpness::{exact_uncertified, ExactOptions};
/// use sam_objectives::Rosenbrock;
/// let k = exact_uncertified(&Rosenbrock::new(4), &[1.0; 4], 0.01, &ExactOptions::default()).unwrap();
/// assert!(k.value > 0.0 && k.certificate_gap.is_none());
/// ```
pub fn exact_uncertified<F: Gradient + Hessian + ?Sized>(
    f: &F,
    theta: &[f64],
    rho: f64,
    opts: &ExactOptions,
) -> Result<ExactSharpness> {
    check_rho(rho)?;
    check_point(f, theta)?;
    opts.validate()?;
    let d = theta.len();
    let f0 = f.value(theta);
    if !f0.is_finite() {
        return Err(SharpnessError::NonFinite {
            what: "f(theta)",
            value: f0,
        });
    }
    if rho == 0.0 {
        return Ok(ExactSharpness {
            value: 0.0,
            argmax: vec![0.0; d],
            certificate_gap: Some(0.0),
            evaluations: 1,
            starts: 0,
        });
    }
    let g = f.gradient(theta);
    crate::error::check_finite("gradient at theta", &g)?;
    let h = f.hessian(theta);
    crate::error::check_finite("Hessian at theta", h.as_slice())?;
    let eig = crate::eigen::symmetric_eigen(&h);

    let mut starts: Vec<Vec<f64>> = Vec::new();
    let gn = norm(&g);
    if gn > 0.0 {
        starts.push(g.iter().map(|x| rho * (x / gn)).collect());
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    for &i in order.iter().take(opts.eigen_starts) {
        let v: Vec<f64> = eig.eigenvectors.column(i).iter().map(|x| rho * x).collect();
        starts.push(v.iter().map(|x| -x).collect());
        starts.push(v);
    }
    if opts.trs_start {
        starts.push(trs_with_eigen(&g, &eig, rho).argmax);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let random_dir = |rng: &mut ChaCha8Rng| -> Vec<f64> {
        loop {
            let v: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
            let n = norm(&v);
            if n > 0.0 {
                return v.into_iter().map(|x| x / n).collect();
            }
        }
    };
    for _ in 0..opts.sphere_starts {
        let u = random_dir(&mut rng);
        starts.push(u.into_iter().map(|x| rho * x).collect());
    }
    for _ in 0..opts.interior_starts {
        let u = random_dir(&mut rng);
        let r = rho * rng.random::<f64>().powf(1.0 / d as f64);
        starts.push(u.into_iter().map(|x| r * x).collect());
    }

    let mut best = (f0, vec![0.0; d]);
    let mut evaluations = 1u64;
    for e0 in starts.iter() {
        let (v, e, n) = ascend(
            Shifted::new(f, theta),
            e0.clone(),
            rho,
            opts.max_iters,
            opts.xtol,
        )?;
        evaluations += n;
        if v.is_finite() && v > best.0 {
            best = (v, e);
        }
    }
    Ok(ExactSharpness {
        value: best.0 - f0,
        argmax: best.1,
        certificate_gap: None,
        evaluations,
        starts: starts.len(),
    })
}

/// κ_ρ(θ) of Definition 1 for the built-in landscapes: the global maximum over the closed ball.
///
/// - `Quadratic`: f(θ+e) − f(θ) = gᵀe + ½eᵀAe exactly, so κ is the trust-region subproblem,
///   solved exactly ([`crate::second_order`]); the certificate is its Lagrangian dual gap.
/// - otherwise: [`exact_uncertified`]; then for d ≤ 3 (and `certify`) branch and bound over boxes
///   covering the ball with a rigorous Taylor/interval upper bound, which may also improve the
///   maximizer; `certificate_gap` = upper bound − value.
///
/// ```
/// use sam_sharpness::{exact, ExactOptions};
/// use sam_objectives::{AnyObjective, Fig1};
/// // At Figure 1's sharp minimum x = 0, kappa ~ rho^2 f''(0) / 2 = 1e4 rho^2.
/// let k = exact(&AnyObjective::Fig1(Fig1), &[0.0], 1e-3, &ExactOptions::default()).unwrap();
/// assert!((k.value / 1e-2 - 1.0).abs() < 0.1);
/// ```
pub fn exact(
    obj: &AnyObjective,
    theta: &[f64],
    rho: f64,
    opts: &ExactOptions,
) -> Result<ExactSharpness> {
    check_rho(rho)?;
    check_point(obj, theta)?;
    opts.validate()?;
    if let AnyObjective::Quadratic(q) = obj {
        let g = obj.gradient(theta);
        crate::error::check_finite("gradient at theta", &g)?;
        let eig = crate::eigen::symmetric_eigen(q.matrix());
        let s = trs_with_eigen(&g, &eig, rho);
        return Ok(ExactSharpness {
            value: s.value,
            argmax: s.argmax,
            certificate_gap: Some(s.dual_gap),
            evaluations: 0,
            starts: 0,
        });
    }
    let mut k = exact_uncertified(obj, theta, rho, opts)?;
    if rho == 0.0 || !opts.certify || theta.len() > 3 {
        return Ok(k);
    }
    let f0 = obj.value(theta);
    let incumbent = (k.value + f0, k.argmax.clone());
    if let Some(c) = branch_and_bound(obj, theta, rho, incumbent, opts.max_boxes, opts.gap_tol) {
        k.evaluations += c.evaluations;
        if c.best - f0 > k.value {
            k.value = c.best - f0;
            k.argmax = c.best_e;
        }
        k.certificate_gap = Some((c.upper - f0 - k.value).max(0.0));
    }
    Ok(k)
}
