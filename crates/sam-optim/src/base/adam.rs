//! Adam (Kingma & Ba 2014) with bias correction, in PyTorch's form.

use super::BaseOptimizer;
use crate::{kernels, Float, Grad, OptimError, Result, Schedule};

/// Adam with bias correction (PyTorch's form, the MNIST reference's):
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², x ← x − lr/(1−β₁ᵗ) · m/(√v/√(1−β₂ᵗ) + ε).
///
/// | setting | default | range |
/// |---|---|---|
/// | lr | (schedule) | finite, ≥ 0 |
/// | β₁, β₂ | 0.9, 0.999 | [0, 1) in the number type |
/// | ε | 1e-8 | finite, > 0 in the number type |
///
/// ```
/// use sam_optim::{Adam, BaseOptimizer, Grad, Schedule};
/// let mut adam = Adam::<f64>::new(Schedule::constant(0.1).unwrap(), 0.9, 0.999, 1e-8).unwrap();
/// let mut x = [1.0];
/// let mut g = Grad::default();
/// g.dense_mut(1)[0] = 3.0;
/// adam.update(&mut x, &g, 0).unwrap();
/// assert!((x[0] - 0.9).abs() < 1e-6); // first bias-corrected step has size ≈ lr
/// ```
#[derive(Debug, Clone)]
pub struct Adam<T = f64> {
    lr: Schedule,
    beta1: f64,
    beta2: f64,
    eps: f64,
    m: Vec<T>,
    v: Vec<T>,
    t: u64,
}

/// Adam's default constants (β₁, β₂, ε).
pub const ADAM_DEFAULTS: (f64, f64, f64) = (0.9, 0.999, 1e-8);

impl<T: Float> Adam<T> {
    /// Adam with betas in [0, 1) and eps > 0, both checked as values of `T` (0.99999999 rounds
    /// to 1 in f32).
    pub fn new(lr: Schedule, beta1: f64, beta2: f64, eps: f64) -> Result<Self> {
        for (name, value) in [("beta1", beta1), ("beta2", beta2)] {
            let v = T::from_f64(value).to_f64();
            if !(0.0..1.0).contains(&v) {
                return Err(OptimError::from(sam_params::Invalid::new(
                name,
                sam_params::show(value), "it must lie in [0, 1) (after rounding to the number type), e.g. 0.9 for beta1 and 0.999 for beta2")));
            }
        }
        let e = T::from_f64(eps).to_f64();
        if !(e.is_finite() && e > 0.0) {
            return Err(OptimError::from(sam_params::Invalid::new(
                "eps",
                sam_params::show(eps),
                "it must be finite and > 0 (and not round to 0 in the number type), e.g. 1e-8",
            )));
        }
        Ok(Self {
            lr,
            beta1,
            beta2,
            eps,
            m: Vec::new(),
            v: Vec::new(),
            t: 0,
        })
    }
}

impl<T: Float> BaseOptimizer<T> for Adam<T> {
    fn name(&self) -> String {
        "adam".into()
    }
    fn update(&mut self, x: &mut [T], g: &Grad<T>, t: usize) -> Result<()> {
        let lr = T::from_f64(self.lr.checked_at("lr", t)?);
        if self.m.len() != x.len() {
            self.m = vec![T::ZERO; x.len()];
            self.v = vec![T::ZERO; x.len()];
        }
        self.t += 1;
        let (b1, b2) = (T::from_f64(self.beta1), T::from_f64(self.beta2));
        let (c1, c2) = (T::from_f64(1.0 - self.beta1), T::from_f64(1.0 - self.beta2));
        let tt = T::from_f64(self.t as f64);
        let bc1 = T::ONE - b1.powf(tt);
        let bc2 = T::ONE - b2.powf(tt);
        let c = [b1, c1, b2, c2, lr / bc1, bc2.sqrt(), T::from_f64(self.eps)];
        // every coordinate moves (m decays where g = 0), so the whole vector is updated
        kernels::adam(x, g.values(), &mut self.m, &mut self.v, c);
        Ok(())
    }
}
