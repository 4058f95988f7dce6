//! Capability traits, one capability each.

use nalgebra::DMatrix;

/// A function f: Rᵈ → R that can be evaluated.
pub trait Objective {
    /// The dimension d of the parameter space.
    fn dim(&self) -> usize;
    /// f(x). `x.len()` must equal [`Objective::dim`].
    fn value(&self, x: &[f64]) -> f64;
    /// A short name used in results and error messages.
    fn name(&self) -> String;
}

/// The gradient ∇f(x).
pub trait Gradient: Objective {
    /// ∇f(x) as a new vector.
    fn gradient(&self, x: &[f64]) -> Vec<f64>;
    /// ∇f(x) written into `out` (of length d): the same values as [`Gradient::gradient`],
    /// without allocating; small objectives in long runs (the toy grids) override it.
    ///
    /// ```
    /// use sam_objectives::{Fig2, Gradient};
    /// let mut g = [0.0; 2];
    /// Fig2.gradient_into(&[2.0, 1.0], &mut g);
    /// assert_eq!(g.to_vec(), Fig2.gradient(&[2.0, 1.0]));
    /// ```
    fn gradient_into(&self, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(&self.gradient(x));
    }
    /// f(x) and ∇f(x) together; objectives where one pass gives both (a network's forward and
    /// backward pass) override this.
    fn value_and_gradient(&self, x: &[f64]) -> (f64, Vec<f64>) {
        (self.value(x), self.gradient(x))
    }
}

/// The dense Hessian ∇²f(x), for small d.
pub trait Hessian: Objective {
    /// ∇²f(x), symmetric d×d.
    fn hessian(&self, x: &[f64]) -> DMatrix<f64>;
}

/// The Hessian-vector product ∇²f(x)·v, for large d where the dense Hessian is too big.
pub trait HessianVectorProduct: Objective {
    /// ∇²f(x)·v.
    fn hvp(&self, x: &[f64], v: &[f64]) -> Vec<f64>;
}

/// An empirical risk f(x) = (1/n) Σᵢ ℓᵢ(x) whose gradient can be taken on a subset of samples.
pub trait Minibatch: Objective {
    /// The number of samples n.
    fn n_samples(&self) -> usize;
    /// (1/|B|) Σ_{i∈B} ∇ℓᵢ(x).
    fn batch_gradient(&self, x: &[f64], batch: &[usize]) -> Vec<f64>;
}

/// Central-difference gradient with step `h`: an independent oracle for tests.
///
/// ```
/// use sam_objectives::{central_difference_gradient, Fig2};
/// let g = central_difference_gradient(&Fig2, &[2.0, 3.0], 1e-6);
/// assert!((g[0] - 18.0).abs() < 1e-5 && (g[1] - 6.0).abs() < 1e-5);
/// ```
pub fn central_difference_gradient<F: Objective + ?Sized>(f: &F, x: &[f64], h: f64) -> Vec<f64> {
    let mut xp = x.to_vec();
    (0..x.len())
        .map(|i| {
            xp[i] = x[i] + h;
            let fp = f.value(&xp);
            xp[i] = x[i] - h;
            let fm = f.value(&xp);
            xp[i] = x[i];
            (fp - fm) / (2.0 * h)
        })
        .collect()
}

/// Central-difference Hessian from the analytic gradient, symmetrised: an independent oracle for tests.
///
/// ```
/// use sam_objectives::{central_difference_hessian, Fig2};
/// let h = central_difference_hessian(&Fig2, &[2.0, 3.0], 1e-5);
/// assert!((h[(0, 0)] - 18.0).abs() < 1e-4);
/// ```
pub fn central_difference_hessian<F: Gradient + ?Sized>(f: &F, x: &[f64], h: f64) -> DMatrix<f64> {
    let d = x.len();
    let mut m = DMatrix::zeros(d, d);
    let mut xp = x.to_vec();
    for j in 0..d {
        xp[j] = x[j] + h;
        let gp = f.gradient(&xp);
        xp[j] = x[j] - h;
        let gm = f.gradient(&xp);
        xp[j] = x[j];
        for i in 0..d {
            m[(i, j)] = (gp[i] - gm[i]) / (2.0 * h);
        }
    }
    (&m + m.transpose()) * 0.5
}
