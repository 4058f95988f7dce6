//! The diagonal linear network of Andriushchenko & Flammarion (ICML 2022, "Towards understanding
//! sharpness-aware minimization"), the small model on which they separate 1-SAM from n-SAM
//! (review §2.3 and §3.4 retell the m-sharpness claim; protocol in `../shared/RESEARCH.md`,
//! section 1): sparse noiseless regression y = Xβ* with Gaussian inputs, fitted by
//! β = u ⊙ v under the square loss L(u, v) = ‖Xβ − y‖²/(2n).

use crate::{Gradient, Minibatch, Objective};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// A sparse regression problem and its diagonal-linear-network loss. The parameters are
/// w = (u, v) ∈ ℝ²ᵈ (u first), β = u ⊙ v.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagNet {
    d: usize,
    x: Vec<f64>,
    y: Vec<f64>,
    beta_star: Vec<f64>,
}

impl DiagNet {
    /// `n` training inputs in ℝᵈ with i.i.d. N(0, 1) entries and noiseless targets y = Xβ*,
    /// where β* has `k` entries equal to 1 on a support drawn uniformly (all from `seed`).
    /// The entries are positive because the symmetric start u = v keeps u = v, so β = u² ≥ 0.
    ///
    /// ```
    /// use sam_objectives::{DiagNet, Objective};
    /// let p = DiagNet::sparse_regression(30, 20, 3, 0);
    /// assert_eq!(p.beta_star().iter().filter(|b| **b != 0.0).count(), 3);
    /// // at β = β* (u = v = sqrt(β*)) the training loss is 0
    /// let w: Vec<f64> = p.beta_star().iter().chain(p.beta_star()).map(|b| b.sqrt()).collect();
    /// assert!(p.value(&w) < 1e-24);
    /// ```
    pub fn sparse_regression(d: usize, n: usize, k: usize, seed: u64) -> Self {
        Self::draw(d, n, k, seed, false)
    }

    /// As [`DiagNet::sparse_regression`] but the `k` nonzero entries of β* are ±1 with random
    /// signs (drawn after the support): the problem for the signed start
    /// [`DiagNet::start_signed`], under which the interpolants of Xβ = y are not unique.
    ///
    /// ```
    /// use sam_objectives::DiagNet;
    /// let p = DiagNet::sparse_regression_signed(30, 20, 3, 0);
    /// assert!(p.beta_star().iter().all(|b| [0.0, 1.0, -1.0].contains(b)));
    /// assert_eq!(p.beta_star().iter().filter(|b| **b != 0.0).count(), 3);
    /// ```
    pub fn sparse_regression_signed(d: usize, n: usize, k: usize, seed: u64) -> Self {
        Self::draw(d, n, k, seed, true)
    }

    fn draw(d: usize, n: usize, k: usize, seed: u64, signed: bool) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x: Vec<f64> = (0..n * d)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let mut beta_star = vec![0.0; d];
        for i in rand::seq::index::sample(&mut rng, d, k.min(d)) {
            beta_star[i] = 1.0;
        }
        if signed {
            for b in beta_star.iter_mut().filter(|b| **b != 0.0) {
                if rand::Rng::random::<bool>(&mut rng) {
                    *b = -1.0;
                }
            }
        }
        let y = (0..n)
            .map(|i| (0..d).map(|j| x[i * d + j] * beta_star[j]).sum())
            .collect();
        DiagNet { d, x, y, beta_star }
    }

    /// `n` fresh inputs of the same distribution and their targets (a validation or test set),
    /// from `seed`.
    pub fn fresh_samples(&self, n: usize, seed: u64) -> DiagNet {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let d = self.d;
        let x: Vec<f64> = (0..n * d)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let y = (0..n)
            .map(|i| (0..d).map(|j| x[i * d + j] * self.beta_star[j]).sum())
            .collect();
        DiagNet {
            d,
            x,
            y,
            beta_star: self.beta_star.clone(),
        }
    }

    /// The input dimension d (the parameters have 2d).
    pub fn input_dim(&self) -> usize {
        self.d
    }
    /// The ground truth β*.
    pub fn beta_star(&self) -> &[f64] {
        &self.beta_star
    }
    /// The start u = v = α·1.
    ///
    /// ```
    /// let p = sam_objectives::DiagNet::sparse_regression(4, 3, 1, 0);
    /// assert_eq!(p.start(0.1), vec![0.1; 8]);
    /// ```
    pub fn start(&self, alpha: f64) -> Vec<f64> {
        vec![alpha; 2 * self.d]
    }
    /// The signed start u = √2·α·1, v = 0: with p = (u + v)/√2 and q = (u − v)/√2,
    /// β = u ⊙ v = (p² − q²)/2 starts from p = q = α, the symmetric start of the u² − v² model,
    /// so β can take either sign (Andriushchenko & Flammarion's setting, as we read it).
    ///
    /// ```
    /// let p = sam_objectives::DiagNet::sparse_regression_signed(2, 3, 1, 0);
    /// let w = p.start_signed(0.1);
    /// assert_eq!(p.beta(&w), vec![0.0, 0.0]);
    /// assert!((w[0] - 0.1 * 2f64.sqrt()).abs() < 1e-15 && w[2] == 0.0);
    /// ```
    pub fn start_signed(&self, alpha: f64) -> Vec<f64> {
        let mut w = vec![std::f64::consts::SQRT_2 * alpha; self.d];
        w.extend(std::iter::repeat_n(0.0, self.d));
        w
    }
    /// β = u ⊙ v.
    pub fn beta(&self, w: &[f64]) -> Vec<f64> {
        let (u, v) = w.split_at(self.d);
        u.iter().zip(v).map(|(a, b)| a * b).collect()
    }
    /// The population (test) loss E[(xᵀβ − xᵀβ*)²]/2 over fresh x ~ N(0, I): ‖β − β*‖²/2,
    /// in closed form.
    ///
    /// ```
    /// let p = sam_objectives::DiagNet::sparse_regression(2, 3, 1, 0);
    /// assert_eq!(p.test_loss(&[0.0; 4]), 0.5); // ‖β*‖² / 2 with one entry 1
    /// ```
    pub fn test_loss(&self, w: &[f64]) -> f64 {
        let b = self.beta(w);
        0.5 * b
            .iter()
            .zip(&self.beta_star)
            .map(|(a, s)| (a - s) * (a - s))
            .sum::<f64>()
    }

    /// Residual xᵢᵀβ − yᵢ of sample i.
    fn residual(&self, beta: &[f64], i: usize) -> f64 {
        let row = &self.x[i * self.d..(i + 1) * self.d];
        row.iter().zip(beta).map(|(a, b)| a * b).sum::<f64>() - self.y[i]
    }

    /// (1/|B|) Σ_{i∈B} ∇ℓᵢ(w) into `out` (length 2d), with ℓᵢ = (xᵢᵀβ − yᵢ)²/2.
    fn batch_gradient_into(&self, w: &[f64], batch: &[usize], out: &mut [f64]) {
        let d = self.d;
        let beta = self.beta(w);
        // s = (1/|B|) X_Bᵀ r_B, then ∂/∂u = v ⊙ s, ∂/∂v = u ⊙ s
        let mut s = vec![0.0; d];
        for &i in batch {
            let r = self.residual(&beta, i);
            for (sj, xj) in s.iter_mut().zip(&self.x[i * d..(i + 1) * d]) {
                *sj += r * xj;
            }
        }
        let inv = 1.0 / batch.len().max(1) as f64;
        let (u, v) = w.split_at(d);
        let (gu, gv) = out.split_at_mut(d);
        for j in 0..d {
            gu[j] = v[j] * s[j] * inv;
            gv[j] = u[j] * s[j] * inv;
        }
    }
}

impl Objective for DiagNet {
    fn dim(&self) -> usize {
        2 * self.d
    }
    fn name(&self) -> String {
        "diagnet".into()
    }
    /// The training loss ‖Xβ − y‖²/(2n).
    fn value(&self, w: &[f64]) -> f64 {
        let beta = self.beta(w);
        let n = self.y.len();
        (0..n).map(|i| self.residual(&beta, i).powi(2)).sum::<f64>() / (2.0 * n.max(1) as f64)
    }
}

impl Gradient for DiagNet {
    fn gradient(&self, w: &[f64]) -> Vec<f64> {
        let mut g = vec![0.0; w.len()];
        self.gradient_into(w, &mut g);
        g
    }
    fn gradient_into(&self, w: &[f64], out: &mut [f64]) {
        let all: Vec<usize> = (0..self.y.len()).collect();
        self.batch_gradient_into(w, &all, out);
    }
}

impl Minibatch for DiagNet {
    fn n_samples(&self) -> usize {
        self.y.len()
    }
    fn batch_gradient(&self, w: &[f64], batch: &[usize]) -> Vec<f64> {
        let mut g = vec![0.0; w.len()];
        self.batch_gradient_into(w, batch, &mut g);
        g
    }
}
