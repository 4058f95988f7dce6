//! Gradient oracles: where an optimizer gets its (possibly stochastic) gradients.

use sam_objectives::Gradient;

/// A source of gradients. Stochastic oracles draw their randomness (minibatch, noise) in
/// [`GradientOracle::begin_step`], so that both of SAM's gradient calls in one step see the same
/// sample, as in the SAM paper's minibatch algorithm.
pub trait GradientOracle {
    /// Called once at the start of every step t (0-based).
    fn begin_step(&mut self, _t: usize) {}
    /// Writes the gradient at x into `out`.
    fn gradient(&mut self, x: &[f64], out: &mut [f64]);
}

/// The exact gradient of a deterministic objective (GD).
///
/// ```
/// use sam_objectives::Fig2;
/// use sam_optim::{ExactGradient, GradientOracle};
/// let mut g = [0.0; 2];
/// ExactGradient(&Fig2).gradient(&[2.0, 3.0], &mut g);
/// assert_eq!(g, [18.0, 6.0]);
/// ```
pub struct ExactGradient<'a, F: ?Sized>(pub &'a F);

impl<F: Gradient + ?Sized> GradientOracle for ExactGradient<'_, F> {
    fn gradient(&mut self, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(&self.0.gradient(x));
    }
}

/// Wraps an oracle and counts its gradient evaluations; the run loop uses it.
///
/// ```
/// use sam_objectives::Fig2;
/// use sam_optim::{CountingOracle, ExactGradient, GradientOracle};
/// let mut inner = ExactGradient(&Fig2);
/// let mut c = CountingOracle::new(&mut inner);
/// let mut g = [0.0; 2];
/// c.gradient(&[0.0, 0.0], &mut g);
/// assert_eq!(c.count(), 1);
/// ```
pub struct CountingOracle<'a> {
    inner: &'a mut dyn GradientOracle,
    count: u64,
}

impl<'a> CountingOracle<'a> {
    /// Wraps `inner` with a zero count.
    pub fn new(inner: &'a mut dyn GradientOracle) -> Self {
        Self { inner, count: 0 }
    }
    /// Gradient evaluations so far.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl GradientOracle for CountingOracle<'_> {
    fn begin_step(&mut self, t: usize) {
        self.inner.begin_step(t);
    }
    fn gradient(&mut self, x: &[f64], out: &mut [f64]) {
        self.count += 1;
        self.inner.gradient(x, out);
    }
}
