//! Branch-and-bound certificate of the global maximum over the ρ-ball for d ≤ 3.
//!
//! Over a box B with centre c (in perturbation space, x = θ + e), for every x ∈ B ∩ ball,
//! Taylor's theorem with the mean-value form of the remainder gives
//!
//! f(x) ≤ f(c) + min(Σᵢ |gᵢ| hᵢ, ρ‖g‖ − gᵀc) + ½ max(Λ_B, 0) r²,
//!
//! with g = ∇f(c), hᵢ the half-widths, r² = min(Σ hᵢ², (‖c‖+ρ)²) ≥ ‖x − c‖², and Λ_B an upper bound
//! of λ_max(∇²f) over B from interval arithmetic on the analytic Hessian and Gershgorin's theorem.
//! The ball term makes boxes straddling the sphere tight to second order, so best-first
//! branch-and-bound needs few boxes. Bounds are exact-arithmetic bounds evaluated in floating
//! point (no outward rounding); a relative slack of 1e-14 is added.

use crate::eigen::lambda_max_dense;
use crate::trs::norm;
use sam_objectives::{AnyObjective, Gradient, Objective, FIG1_EPS};
use std::collections::BinaryHeap;

/// A closed interval [lo, hi] with the natural interval extensions of + − ×.
#[derive(Debug, Clone, Copy)]
struct Iv {
    lo: f64,
    hi: f64,
}

impl Iv {
    fn new(lo: f64, hi: f64) -> Self {
        Self { lo, hi }
    }
    fn c(a: f64) -> Self {
        Self { lo: a, hi: a }
    }
    fn add(self, o: Iv) -> Iv {
        Iv::new(self.lo + o.lo, self.hi + o.hi)
    }
    fn sub(self, o: Iv) -> Iv {
        Iv::new(self.lo - o.hi, self.hi - o.lo)
    }
    fn mul(self, o: Iv) -> Iv {
        let p = [
            self.lo * o.lo,
            self.lo * o.hi,
            self.hi * o.lo,
            self.hi * o.hi,
        ];
        Iv::new(
            p.iter().copied().fold(f64::INFINITY, f64::min),
            p.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    }
    fn scale(self, k: f64) -> Iv {
        if k >= 0.0 {
            Iv::new(k * self.lo, k * self.hi)
        } else {
            Iv::new(k * self.hi, k * self.lo)
        }
    }
    fn sqr(self) -> Iv {
        let (a, b) = (self.lo.abs(), self.hi.abs());
        if self.lo <= 0.0 && self.hi >= 0.0 {
            Iv::new(0.0, a.max(b).powi(2))
        } else {
            Iv::new(a.min(b).powi(2), a.max(b).powi(2))
        }
    }
    /// self / o for o > 0.
    fn div_pos(self, o: Iv) -> Iv {
        debug_assert!(o.lo > 0.0);
        self.mul(Iv::new(1.0 / o.hi, 1.0 / o.lo))
    }
    fn mag(self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }
}

/// Upper bound of λ_max(∇²f(x)) over the box x ∈ [lo, hi], or None if unsupported.
pub(crate) fn lambda_upper(obj: &AnyObjective, lo: &[f64], hi: &[f64]) -> Option<f64> {
    let x: Vec<Iv> = lo.iter().zip(hi).map(|(&a, &b)| Iv::new(a, b)).collect();
    match obj {
        AnyObjective::Fig1(_) => {
            let x = x[0];
            let p = x.sqr().sub(x);
            let u = p.sqr();
            let dp = x.scale(2.0).sub(Iv::c(1.0));
            let du = p.mul(dp).scale(2.0);
            let d2u = dp.sqr().scale(2.0).add(p.scale(4.0));
            let v = x.sqr().add(Iv::c(FIG1_EPS));
            let dv = x.scale(2.0);
            let num = du.mul(v).sub(u.mul(dv));
            let v2 = v.sqr();
            let v3 = v2.mul(v);
            let d2f = d2u
                .mul(v)
                .sub(u.scale(2.0))
                .div_pos(v2)
                .sub(dv.mul(num).scale(2.0).div_pos(v3));
            Some(d2f.hi)
        }
        AnyObjective::Fig2(_) => {
            let a = x[0].sub(Iv::c(1.0));
            let y = x[1];
            let h11 = y.sqr().scale(2.0);
            let h22 = a.sqr().scale(2.0);
            let h12 = a.mul(y).scale(4.0).mag();
            Some((h11.hi + h12).max(h22.hi + h12))
        }
        AnyObjective::Rosenbrock(_) => {
            let d = x.len();
            let (a, b) = (sam_objectives::Rosenbrock::A, sam_objectives::Rosenbrock::B);
            let _ = a;
            let mut diag = vec![Iv::c(0.0); d];
            let mut off = vec![0.0; d]; // |H_{i,i+1}| upper bounds
            for i in 0..d - 1 {
                let t = x[i + 1].sub(x[i].sqr().scale(3.0));
                diag[i] = diag[i].add(Iv::c(2.0)).sub(t.scale(4.0 * b));
                diag[i + 1] = diag[i + 1].add(Iv::c(2.0 * b));
                off[i] = x[i].scale(4.0 * b).mag();
            }
            let mut m = f64::NEG_INFINITY;
            for i in 0..d {
                let mut r = diag[i].hi;
                if i + 1 < d {
                    r += off[i];
                }
                if i > 0 {
                    r += off[i - 1];
                }
                m = m.max(r);
            }
            Some(m)
        }
        AnyObjective::Quadratic(q) => lambda_max_dense(q.matrix()).ok().map(|p| p.value),
    }
}

/// An upper bound (exact up to the bisection's resolution, and never below the true value) of
/// max gᵀx over x ∈ box ∩ {‖x‖ ≤ ρ}, by Lagrangian duality: for every λ ≥ 0,
/// max ≤ φ(λ) = λρ² + Σᵢ max_{xᵢ∈[loᵢ,hiᵢ]} (gᵢxᵢ − λxᵢ²), a separable bound; φ(0) is the box bound
/// and the minimum over λ equals the maximum (strong duality, the problem is convex).
fn linear_max(g: &[f64], lo: &[f64], hi: &[f64], rho: f64) -> f64 {
    let point = |lam: f64, i: usize| -> f64 {
        let x = if lam > 0.0 {
            g[i] / (2.0 * lam)
        } else if g[i] > 0.0 {
            hi[i]
        } else if g[i] < 0.0 {
            lo[i]
        } else {
            0.0
        };
        x.clamp(lo[i], hi[i])
    };
    let phi = |lam: f64| -> f64 {
        lam * rho * rho
            + (0..g.len())
                .map(|i| {
                    let x = point(lam, i);
                    g[i] * x - lam * x * x
                })
                .sum::<f64>()
    };
    let norm2 = |lam: f64| -> f64 { (0..g.len()).map(|i| point(lam, i).powi(2)).sum() };
    if norm2(0.0) <= rho * rho {
        return phi(0.0);
    }
    let gn = norm(g);
    if gn == 0.0 {
        return 0.0;
    }
    // Bracket the λ where ‖x(λ)‖ = ρ, then bisect geometrically; every φ(λ) is a valid bound.
    let mut hi_l = gn / rho.max(f64::MIN_POSITIVE);
    let mut k = 0;
    while norm2(hi_l) > rho * rho && k < 200 {
        hi_l *= 2.0;
        k += 1;
    }
    let mut lo_l = hi_l;
    k = 0;
    while norm2(lo_l) <= rho * rho && k < 200 {
        lo_l *= 0.5;
        k += 1;
    }
    let mut best = phi(hi_l).min(phi(lo_l));
    for _ in 0..60 {
        let mid = (lo_l * hi_l).sqrt();
        if norm2(mid) > rho * rho {
            lo_l = mid;
        } else {
            hi_l = mid;
        }
        best = best.min(phi(mid));
        if hi_l <= lo_l * (1.0 + 1e-13) {
            break;
        }
    }
    best.min(phi(0.0))
}

/// The outcome of branch and bound, in f-values (not yet minus f(θ)).
pub(crate) struct Certified {
    /// Best feasible f(θ+e) found.
    pub best: f64,
    /// Its perturbation.
    pub best_e: Vec<f64>,
    /// An upper bound on max_{‖e‖≤ρ} f(θ+e).
    pub upper: f64,
    /// Objective evaluations (value + gradient at box centres, values at projected centres).
    pub evaluations: u64,
}

struct BoxItem {
    ub: f64,
    lo: Vec<f64>,
    hi: Vec<f64>,
}
impl PartialEq for BoxItem {
    fn eq(&self, o: &Self) -> bool {
        self.ub.total_cmp(&o.ub).is_eq()
    }
}
impl Eq for BoxItem {}
impl PartialOrd for BoxItem {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for BoxItem {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.ub.total_cmp(&o.ub)
    }
}

/// Best-first branch and bound over boxes covering the ball ‖e‖ ≤ ρ, seeded with an incumbent.
pub(crate) fn branch_and_bound(
    obj: &AnyObjective,
    theta: &[f64],
    rho: f64,
    incumbent: (f64, Vec<f64>),
    max_boxes: usize,
    rel_tol: f64,
) -> Option<Certified> {
    let d = theta.len();
    let (mut best, mut best_e) = incumbent;
    let mut evaluations = 0u64;
    let mut x = vec![0.0; d];
    let tol = |best: f64| rel_tol * (1.0 + best.abs());
    // Upper bound of f over box ∩ ball; None if the box misses the ball.
    let mut bound = |lo: &[f64],
                     hi: &[f64],
                     best: &mut f64,
                     best_e: &mut Vec<f64>,
                     evals: &mut u64|
     -> Option<f64> {
        let dist2: f64 = lo
            .iter()
            .zip(hi)
            .map(|(&l, &h)| (l.max(0.0) + (-h).max(0.0)).powi(2))
            .sum();
        if dist2 > rho * rho {
            return None;
        }
        let c: Vec<f64> = lo.iter().zip(hi).map(|(l, h)| 0.5 * (l + h)).collect();
        for i in 0..d {
            x[i] = theta[i] + c[i];
        }
        let fc = obj.value(&x);
        let g = obj.gradient(&x);
        *evals += 1;
        let cn = norm(&c);
        // Feasible candidate: the centre, projected onto the ball.
        let (fp, p) = if cn <= rho {
            (fc, c.clone())
        } else {
            let p: Vec<f64> = c.iter().map(|ci| ci * rho / cn).collect();
            let xp: Vec<f64> = theta.iter().zip(&p).map(|(t, pi)| t + pi).collect();
            *evals += 1;
            (obj.value(&xp), p)
        };
        if fp.is_finite() && fp > *best {
            *best = fp;
            *best_e = p;
        }
        let lin = linear_max(&g, lo, hi, rho) - g.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>();
        let r2 = lo
            .iter()
            .zip(hi)
            .map(|(l, h)| (0.5 * (h - l)).powi(2))
            .sum::<f64>()
            .min((cn + rho).powi(2));
        let xlo: Vec<f64> = theta.iter().zip(lo).map(|(t, l)| t + l).collect();
        let xhi: Vec<f64> = theta.iter().zip(hi).map(|(t, h)| t + h).collect();
        let lam = lambda_upper(obj, &xlo, &xhi)?;
        let quad = 0.5 * lam.max(0.0) * r2;
        let ub = fc + lin + quad;
        let slack = 1e-14 * (fc.abs() + lin.abs() + quad.abs());
        let ub = ub + slack;
        if ub.is_nan() {
            Some(f64::INFINITY)
        } else {
            Some(ub)
        }
    };
    let lo0 = vec![-rho; d];
    let hi0 = vec![rho; d];
    let ub0 = bound(&lo0, &hi0, &mut best, &mut best_e, &mut evaluations)?;
    let mut heap = BinaryHeap::new();
    heap.push(BoxItem {
        ub: ub0,
        lo: lo0,
        hi: hi0,
    });
    let mut pruned_ub = f64::NEG_INFINITY;
    let mut processed = 0usize;
    while let Some(top) = heap.peek() {
        if top.ub - best <= tol(best) || processed >= max_boxes {
            break;
        }
        let item = heap.pop().expect("peeked");
        processed += 1;
        // Split along the longest edge.
        let k = (0..d)
            .max_by(|&a, &b| (item.hi[a] - item.lo[a]).total_cmp(&(item.hi[b] - item.lo[b])))
            .expect("d >= 1");
        let mid = 0.5 * (item.lo[k] + item.hi[k]);
        for half in 0..2 {
            let mut lo = item.lo.clone();
            let mut hi = item.hi.clone();
            if half == 0 {
                hi[k] = mid;
            } else {
                lo[k] = mid;
            }
            if let Some(ub) = bound(&lo, &hi, &mut best, &mut best_e, &mut evaluations) {
                if ub - best > tol(best) {
                    heap.push(BoxItem { ub, lo, hi });
                } else {
                    pruned_ub = pruned_ub.max(ub);
                }
            }
        }
    }
    let upper = heap
        .peek()
        .map(|t| t.ub)
        .unwrap_or(f64::NEG_INFINITY)
        .max(pruned_ub)
        .max(best);
    Some(Certified {
        best,
        best_e,
        upper,
        evaluations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sam_objectives::{Fig1, Fig2, Hessian, Rosenbrock};

    fn objective(k: usize) -> AnyObjective {
        match k % 4 {
            0 => AnyObjective::Fig1(Fig1),
            1 => AnyObjective::Fig2(Fig2),
            2 => AnyObjective::Rosenbrock(Rosenbrock::new(2)),
            _ => AnyObjective::Rosenbrock(Rosenbrock::new(3)),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The certificate rests on this: the interval/Gershgorin bound is above λ_max(∇²f(x))
        /// at every sampled x of the box (dense eigenvalues of the analytic Hessian as oracle).
        #[test]
        fn lambda_upper_bounds_the_hessian_on_the_box(
            k in 0usize..4, c in prop::collection::vec(-2.0f64..2.0, 3), w in prop::collection::vec(0.0f64..1.0, 3),
            t in prop::collection::vec(0.0f64..1.0, 60),
        ) {
            let obj = objective(k);
            let d = obj.dim();
            let lo: Vec<f64> = (0..d).map(|i| c[i] - w[i]).collect();
            let hi: Vec<f64> = (0..d).map(|i| c[i] + w[i]).collect();
            let ub = lambda_upper(&obj, &lo, &hi).unwrap();
            for s in t.chunks(3).take(20) {
                let x: Vec<f64> = (0..d).map(|i| lo[i] + s[i] * (hi[i] - lo[i])).collect();
                let lam = lambda_max_dense(&obj.hessian(&x)).unwrap().value;
                prop_assert!(lam <= ub + 1e-9 * (1.0 + lam.abs()), "lambda {} > bound {} at {:?}", lam, ub, x);
            }
        }

        /// The dual bound of max gᵀx over box ∩ ball is above every feasible sample and close to
        /// the best of a dense sample.
        #[test]
        fn linear_max_is_a_tight_upper_bound(
            g in prop::collection::vec(-1.0f64..1.0, 2), c in prop::collection::vec(-1.0f64..1.0, 2),
            w in prop::collection::vec(0.01f64..0.8, 2), rho in 0.2f64..1.0,
        ) {
            let lo: Vec<f64> = (0..2).map(|i| c[i] - w[i]).collect();
            let hi: Vec<f64> = (0..2).map(|i| c[i] + w[i]).collect();
            let dist2: f64 = (0..2).map(|i| (lo[i].max(0.0) + (-hi[i]).max(0.0)).powi(2)).sum();
            prop_assume!(dist2 < rho * rho * 0.9);
            let ub = linear_max(&g, &lo, &hi, rho);
            let n = 400;
            let mut best = f64::NEG_INFINITY;
            for i in 0..=n {
                for j in 0..=n {
                    let x = [lo[0] + (hi[0] - lo[0]) * i as f64 / n as f64, lo[1] + (hi[1] - lo[1]) * j as f64 / n as f64];
                    if x[0] * x[0] + x[1] * x[1] <= rho * rho {
                        best = best.max(g[0] * x[0] + g[1] * x[1]);
                    }
                }
            }
            prop_assert!(ub >= best - 1e-12);
            let h = (hi[0] - lo[0]).max(hi[1] - lo[1]) / n as f64;
            prop_assert!(ub <= best + 4.0 * norm(&g) * h + 1e-9, "bound {} vs sampled {}", ub, best);
        }
    }
}
