//! Base optimizers: a rule that turns a gradient into an update (SGD, Adam). SAM and its
//! variants wrap one of them ([`crate::Sam`]); [`crate::Plain`] drives one with the gradient at x.

mod adam;
mod sgd;

pub use adam::{Adam, ADAM_DEFAULTS};
pub use sgd::{Gd, Sgd};

use crate::{Float, Grad, GradientOracle, OptimError, Result, Saved, StepInfo};

/// A base update rule: turns a gradient into a parameter update.
pub trait BaseOptimizer<T: Float = f64> {
    /// A short name for results.
    fn name(&self) -> String;
    /// Applies the update of step t (0-based) with gradient `g` to `x` in place.
    fn update(&mut self, x: &mut [T], g: &Grad<T>, t: usize) -> Result<()>;
    /// Restores `saved` into `x`, then applies the update (SAM's return from the perturbed
    /// point). Rules that can do both in one pass override it; the result must be the same.
    fn update_from(&mut self, x: &mut [T], saved: &Saved<T>, g: &Grad<T>, t: usize) -> Result<()> {
        saved.restore(x);
        self.update(x, g, t)
    }
    /// The step size η_t when the update is plain SGD, x ← x − η_t g (lets an oracle fuse a
    /// whole SAM step, [`GradientOracle::fused_sam_step`]); `None` (the default) otherwise.
    ///
    /// ```
    /// use sam_optim::{Adam, BaseOptimizer, Gd, Schedule};
    /// let gd = Gd::new(Schedule::constant(0.1).unwrap());
    /// assert_eq!(BaseOptimizer::<f64>::sgd_rate(&gd, 0).unwrap(), Some(0.1));
    /// let adam = Adam::new(Schedule::constant(0.1).unwrap(), 0.9, 0.999, 1e-8).unwrap();
    /// assert_eq!(BaseOptimizer::<f64>::sgd_rate(&adam, 0).unwrap(), None);
    /// ```
    fn sgd_rate(&self, _t: usize) -> Result<Option<f64>> {
        Ok(None)
    }
    /// One step driven by the gradient at x, computed into `g` (SGD overrides it to use an
    /// oracle's fused step when there is one).
    fn plain_step(
        &mut self,
        x: &mut [T],
        t: usize,
        oracle: &mut dyn GradientOracle<T>,
        g: &mut Grad<T>,
    ) -> Result<StepInfo> {
        gradient_then_update(self, x, t, oracle, g)
    }
}

/// The unfused plain step: gradient at x, then `base`'s update. An oracle that reports the loss
/// is checked through it (a non-finite gradient makes the next loss non-finite), which spares
/// large models two passes over the gradient; otherwise the gradient itself is checked and its
/// norm reported.
pub(crate) fn gradient_then_update<T: Float, B: BaseOptimizer<T> + ?Sized>(
    base: &mut B,
    x: &mut [T],
    t: usize,
    oracle: &mut dyn GradientOracle<T>,
    g: &mut Grad<T>,
) -> Result<StepInfo> {
    let loss = oracle.gradient(x, g);
    check_loss(loss, t)?;
    let grad_norm = match loss {
        Some(_) => f64::NAN,
        None => {
            if !g.is_finite() {
                return Err(OptimError::diverged(t + 1, "the gradient", f64::NAN));
            }
            g.norm()
        }
    };
    base.update(x, g, t)?;
    Ok(StepInfo {
        loss,
        grad_norm,
        perturbation_norm: 0.0,
    })
}

/// Errors with [`OptimError::Diverged`] if a reported loss is not finite.
pub(crate) fn check_loss(loss: Option<f64>, t: usize) -> Result<()> {
    match loss {
        Some(l) if !l.is_finite() => Err(OptimError::diverged(t + 1, "the loss", l)),
        _ => Ok(()),
    }
}
