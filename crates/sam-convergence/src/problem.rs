//! Problem instances that satisfy Assumptions 1–3 of Theorem 2 with G, L and σ known exactly,
//! and a seeded stochastic gradient oracle for them.
//!
//! ## The objective
//! f(x) = Σᵢ [ aᵢ log cosh(uᵢ) + bᵢ (1 − cos uᵢ) ],  uᵢ = xᵢ − cᵢ,  aᵢ, bᵢ ≥ 0.
//!
//! - Gradient: ∂f/∂xᵢ = aᵢ tanh uᵢ + bᵢ sin uᵢ, so |∂f/∂xᵢ| ≤ aᵢ + bᵢ and
//!   ‖∇f(x)‖ ≤ **G = ‖a + b‖₂** (Assumption 1). G is the supremum, not a loose bound: at
//!   uᵢ = π/2 + 2πk with k → ∞, tanh uᵢ → 1 and sin uᵢ = 1.
//! - Hessian: diagonal, ∂²f/∂xᵢ² = aᵢ sech² uᵢ + bᵢ cos uᵢ ∈ [−bᵢ, aᵢ + bᵢ], so ∇f is
//!   **L = maxᵢ (aᵢ + bᵢ)**-Lipschitz (Assumption 3), with equality of the Hessian norm at x = c:
//!   L is the smallest valid constant.
//! - f ≥ 0 = f(c): the global minimum value is f* = 0.
//! - With bᵢ = 0 the objective is convex (log cosh, the "smooth absolute value"); with
//!   bᵢ > aᵢ sech²(π) ≈ 0.0075 aᵢ it is nonconvex (negative curvature at uᵢ = π) and with
//!   bᵢ ≥ aᵢ it has spurious local minima (aᵢ tanh u + bᵢ sin u changes sign on (π, 2π)).
//!
//! ## The noise (Assumption 2)
//! The oracle returns g(x) = ∇f(x) + ξ, with ξ drawn once per step (in
//! [`GradientOracle::begin_step`]) so both SAM gradients of a step see the same noise, and ξ
//! independent of x. Two laws, both with E ξ = 0 and **E‖ξ‖² = σ² exactly**:
//! - [`Noise::Gaussian`]: ξ ~ N(0, (σ²/d) I). Note that then ‖g(x)‖ is *unbounded*: only ‖∇f‖ is
//!   bounded by G, which is exactly what Assumption 1 asks (it bounds the true gradient, not the
//!   stochastic one).
//! - [`Noise::Uniform`]: ξᵢ ~ U[−s, s] with s = σ √(3/d), so ‖ξ‖ ≤ σ√3 and ‖g‖ ≤ G + σ√3.

use crate::error::{invalid, nonneg, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use sam_objectives::{Gradient, Objective};
use sam_optim::{Grad, GradientOracle};
use serde::{Deserialize, Serialize};

/// f(x) = Σᵢ aᵢ log cosh(xᵢ − cᵢ) + bᵢ (1 − cos(xᵢ − cᵢ)); see the module docs for G and L.
///
/// ```
/// use sam_convergence::LogCoshCos;
/// use sam_objectives::{Gradient, Objective};
/// let f = LogCoshCos::new(vec![3.0, 4.0], vec![0.0, 0.0], vec![1.0, -1.0]).unwrap();
/// assert_eq!(f.g_bound(), 5.0);
/// assert_eq!(f.l_smooth(), 4.0);
/// assert_eq!(f.value(&[1.0, -1.0]), 0.0);
/// assert_eq!(f.gradient(&[1.0, -1.0]), vec![0.0, 0.0]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogCoshCos {
    a: Vec<f64>,
    b: Vec<f64>,
    c: Vec<f64>,
}

/// log cosh(u) without overflow: |u| + ln(1 + e^{−2|u|}) − ln 2.
fn log_cosh(u: f64) -> f64 {
    let v = u.abs();
    v + (-2.0 * v).exp().ln_1p() - std::f64::consts::LN_2
}

impl LogCoshCos {
    /// Builds the objective; `a`, `b` ≥ 0 and finite, `c` finite, all of the same length d ≥ 1.
    ///
    /// ```
    /// use sam_convergence::LogCoshCos;
    /// assert!(LogCoshCos::new(vec![1.0], vec![-1.0], vec![0.0]).is_err());
    /// assert!(LogCoshCos::new(vec![1.0], vec![1.0], vec![]).is_err());
    /// ```
    pub fn new(a: Vec<f64>, b: Vec<f64>, c: Vec<f64>) -> Result<Self> {
        let d = a.len();
        if d == 0 || b.len() != d || c.len() != d {
            return Err(invalid(
                "dimensions of (a, b, c)",
                format!("({}, {}, {})", a.len(), b.len(), c.len()),
                "a, b and c must have the same length d >= 1",
            ));
        }
        for &v in &a {
            nonneg("a_i", v)?;
        }
        for &v in &b {
            nonneg("b_i", v)?;
        }
        if let Some(v) = c.iter().find(|v| !v.is_finite()) {
            return Err(invalid("c_i", v, "every centre must be finite"));
        }
        Ok(Self { a, b, c })
    }
    /// The log cosh weights a.
    ///
    /// ```
    /// # use sam_convergence::LogCoshCos;
    /// assert_eq!(LogCoshCos::new(vec![2.0], vec![1.0], vec![0.0]).unwrap().a(), &[2.0]);
    /// ```
    pub fn a(&self) -> &[f64] {
        &self.a
    }
    /// The cosine weights b.
    ///
    /// ```
    /// # use sam_convergence::LogCoshCos;
    /// assert_eq!(LogCoshCos::new(vec![2.0], vec![1.0], vec![0.0]).unwrap().b(), &[1.0]);
    /// ```
    pub fn b(&self) -> &[f64] {
        &self.b
    }
    /// The centres c (the global minimiser).
    ///
    /// ```
    /// # use sam_convergence::LogCoshCos;
    /// assert_eq!(LogCoshCos::new(vec![2.0], vec![1.0], vec![0.5]).unwrap().c(), &[0.5]);
    /// ```
    pub fn c(&self) -> &[f64] {
        &self.c
    }
    /// G = ‖a + b‖₂, the supremum of ‖∇f‖ (Assumption 1).
    ///
    /// ```
    /// # use sam_convergence::LogCoshCos;
    /// assert_eq!(LogCoshCos::new(vec![1.0, 2.0], vec![2.0, 2.0], vec![0.0, 0.0]).unwrap().g_bound(), 5.0);
    /// ```
    pub fn g_bound(&self) -> f64 {
        self.a
            .iter()
            .zip(&self.b)
            .map(|(a, b)| (a + b) * (a + b))
            .sum::<f64>()
            .sqrt()
    }
    /// L = maxᵢ (aᵢ + bᵢ), the smallest Lipschitz constant of ∇f (Assumption 3).
    ///
    /// ```
    /// # use sam_convergence::LogCoshCos;
    /// assert_eq!(LogCoshCos::new(vec![1.0, 2.0], vec![2.0, 2.0], vec![0.0, 0.0]).unwrap().l_smooth(), 4.0);
    /// ```
    pub fn l_smooth(&self) -> f64 {
        self.a
            .iter()
            .zip(&self.b)
            .map(|(a, b)| a + b)
            .fold(0.0, f64::max)
    }
    /// Writes ∇f(x) into `out` (no allocation).
    ///
    /// ```
    /// # use sam_convergence::LogCoshCos;
    /// let f = LogCoshCos::new(vec![1.0], vec![0.0], vec![0.0]).unwrap();
    /// let mut g = [0.0];
    /// f.gradient_into(&[100.0], &mut g);
    /// assert!((g[0] - 1.0).abs() < 1e-12);
    /// ```
    pub fn gradient_into(&self, x: &[f64], out: &mut [f64]) {
        for i in 0..self.a.len() {
            let u = x[i] - self.c[i];
            out[i] = self.a[i] * u.tanh() + self.b[i] * u.sin();
        }
    }
    /// ‖∇f(x)‖² (no allocation).
    ///
    /// ```
    /// # use sam_convergence::LogCoshCos;
    /// let f = LogCoshCos::new(vec![1.0, 1.0], vec![0.0, 0.0], vec![0.0, 0.0]).unwrap();
    /// assert_eq!(f.grad_norm_sq(&[0.0, 0.0]), 0.0);
    /// ```
    pub fn grad_norm_sq(&self, x: &[f64]) -> f64 {
        (0..self.a.len())
            .map(|i| {
                let u = x[i] - self.c[i];
                let g = self.a[i] * u.tanh() + self.b[i] * u.sin();
                g * g
            })
            .sum()
    }
}

impl Objective for LogCoshCos {
    fn dim(&self) -> usize {
        self.a.len()
    }
    fn value(&self, x: &[f64]) -> f64 {
        (0..self.a.len())
            .map(|i| {
                let u = x[i] - self.c[i];
                self.a[i] * log_cosh(u) + self.b[i] * (1.0 - u.cos())
            })
            .sum()
    }
    fn name(&self) -> String {
        "logcosh_cos".into()
    }
}

impl Gradient for LogCoshCos {
    fn gradient(&self, x: &[f64]) -> Vec<f64> {
        let mut g = vec![0.0; x.len()];
        self.gradient_into(x, &mut g);
        g
    }
}

/// The law of the additive gradient noise ξ (both have E‖ξ‖² = σ²; see the module docs).
///
/// ```
/// use sam_convergence::Noise;
/// assert_eq!(serde_json::to_string(&Noise::Gaussian).unwrap(), "\"gaussian\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Noise {
    /// ξ ~ N(0, (σ²/d) I): unbounded.
    Gaussian,
    /// ξᵢ ~ U[−σ√(3/d), σ√(3/d)]: ‖ξ‖ ≤ σ√3.
    Uniform,
}

/// The stochastic oracle g(x) = ∇f(x) + ξ_t with ξ_t drawn in `begin_step(t)` from a ChaCha8
/// stream: `seed` picks the key and `stream` the ChaCha stream (use the seed index), so a run
/// depends only on (seed, stream), never on threads.
///
/// ```
/// use sam_convergence::{LogCoshCos, Noise, NoisyGradient};
/// use sam_optim::{Grad, GradientOracle};
/// let f = LogCoshCos::new(vec![1.0; 2], vec![0.0; 2], vec![0.0; 2]).unwrap();
/// let mut o = NoisyGradient::new(&f, Noise::Gaussian, 0.5, 7, 0).unwrap();
/// let (mut g1, mut g2) = (Grad::default(), Grad::default());
/// o.begin_step(0);
/// o.gradient(&[0.0, 0.0], &mut g1);
/// o.gradient(&[0.0, 0.0], &mut g2);
/// assert_eq!(g1, g2); // the same noise within a step
/// ```
#[derive(Debug, Clone)]
pub struct NoisyGradient<'a> {
    f: &'a LogCoshCos,
    noise: Noise,
    scale: f64,
    rng: ChaCha8Rng,
    xi: Vec<f64>,
}

impl<'a> NoisyGradient<'a> {
    /// An oracle for `f` with noise law `noise` and E‖ξ‖² = `sigma`² (σ ≥ 0, finite).
    ///
    /// ```
    /// # use sam_convergence::{LogCoshCos, Noise, NoisyGradient};
    /// let f = LogCoshCos::new(vec![1.0], vec![0.0], vec![0.0]).unwrap();
    /// assert!(NoisyGradient::new(&f, Noise::Uniform, f64::NAN, 0, 0).is_err());
    /// ```
    pub fn new(
        f: &'a LogCoshCos,
        noise: Noise,
        sigma: f64,
        seed: u64,
        stream: u64,
    ) -> Result<Self> {
        let sigma = nonneg("sigma", sigma)?;
        let d = f.dim() as f64;
        let scale = match noise {
            Noise::Gaussian => sigma / d.sqrt(),
            Noise::Uniform => sigma * (3.0 / d).sqrt(),
        };
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Ok(Self {
            f,
            noise,
            scale,
            rng,
            xi: vec![0.0; f.dim()],
        })
    }
    /// The noise ξ of the current step.
    ///
    /// ```
    /// # use sam_convergence::{LogCoshCos, Noise, NoisyGradient};
    /// # let f = LogCoshCos::new(vec![1.0], vec![0.0], vec![0.0]).unwrap();
    /// let o = NoisyGradient::new(&f, Noise::Uniform, 1.0, 0, 0).unwrap();
    /// assert_eq!(o.current_noise(), &[0.0]); // before the first begin_step
    /// ```
    pub fn current_noise(&self) -> &[f64] {
        &self.xi
    }
}

impl GradientOracle for NoisyGradient<'_> {
    fn begin_step(&mut self, _t: usize) {
        for v in self.xi.iter_mut() {
            *v = match self.noise {
                Noise::Gaussian => self.scale * self.rng.sample::<f64, _>(StandardNormal),
                Noise::Uniform => self.scale * self.rng.random_range(-1.0..=1.0),
            };
        }
    }
    fn gradient(&mut self, x: &[f64], out: &mut Grad<f64>) -> Option<f64> {
        let out = out.dense_mut(x.len());
        self.f.gradient_into(x, out);
        for (o, v) in out.iter_mut().zip(&self.xi) {
            *o += v;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sam_objectives::central_difference_gradient;

    #[test]
    fn gradient_matches_finite_differences() {
        let f = LogCoshCos::new(
            vec![1.0, 0.5, 2.0],
            vec![0.3, 2.0, 0.0],
            vec![0.1, -1.0, 3.0],
        )
        .unwrap();
        for x in [[0.0, 0.0, 0.0], [5.0, -3.0, 40.0], [-30.0, 2.5, 1.0]] {
            let fd = central_difference_gradient(&f, &x, 1e-6);
            for (a, b) in f.gradient(&x).iter().zip(&fd) {
                assert!((a - b).abs() < 1e-6, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn noise_has_the_stated_second_moment() {
        let f = LogCoshCos::new(vec![1.0; 4], vec![0.0; 4], vec![0.0; 4]).unwrap();
        for noise in [Noise::Gaussian, Noise::Uniform] {
            let mut o = NoisyGradient::new(&f, noise, 2.0, 3, 1).unwrap();
            let n = 40_000;
            let mut m2 = 0.0;
            for t in 0..n {
                o.begin_step(t);
                m2 += o.current_noise().iter().map(|v| v * v).sum::<f64>();
            }
            let m2 = m2 / n as f64;
            assert!((m2 - 4.0).abs() < 0.1, "{noise:?}: E|xi|^2 = {m2}");
        }
    }
}
