//! A base optimizer driven directly by the gradient at x (one gradient per step).

use crate::{BaseOptimizer, Float, Grad, GradientOracle, Optimizer, Result, StepInfo};

/// A base optimizer driven directly by the oracle's gradient at x (GD, SGD, Adam).
///
/// ```
/// use sam_objectives::Fig2;
/// use sam_optim::{ExactGradient, Gd, Optimizer, Plain, Schedule};
/// let mut opt = Plain::new(Gd::new(Schedule::constant(0.1).unwrap()));
/// let mut x = [2.0, 1.0];
/// opt.step(&mut x, 0, &mut ExactGradient(&Fig2)).unwrap();
/// assert!((x[0] - 1.8).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Plain<B, T = f64> {
    base: B,
    g: Grad<T>,
}

impl<B, T: Float> Plain<B, T> {
    /// Wraps `base`.
    pub fn new(base: B) -> Self {
        Plain {
            base,
            g: Grad::default(),
        }
    }
}

impl<T: Float, B: BaseOptimizer<T>> Optimizer<T> for Plain<B, T> {
    fn name(&self) -> String {
        self.base.name()
    }
    fn step(
        &mut self,
        x: &mut [T],
        t: usize,
        oracle: &mut dyn GradientOracle<T>,
    ) -> Result<StepInfo> {
        self.base.plain_step(x, t, oracle, &mut self.g)
    }
}
