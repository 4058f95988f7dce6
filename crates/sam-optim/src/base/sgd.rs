//! Gradient descent x ← x − η_t g, Eq. (4) of the review; SGD when the oracle is stochastic.

use super::BaseOptimizer;
use crate::oracle::Fused;
use crate::{kernels, Float, Grad, GradientOracle, Result, Saved, Schedule, StepInfo};

/// Gradient descent x ← x − η_t g, Eq. (4). With a stochastic oracle this is SGD. Only the
/// gradient's support is touched (the update is zero elsewhere).
///
/// ```
/// use sam_optim::{BaseOptimizer, Gd, Grad, Schedule};
/// let mut gd = Gd::new(Schedule::constant(0.5).unwrap());
/// let mut x = [1.0];
/// let mut g = Grad::default();
/// g.dense_mut(1)[0] = 2.0;
/// gd.update(&mut x, &g, 0).unwrap();
/// assert_eq!(x, [0.0]);
/// ```
#[derive(Debug, Clone)]
pub struct Gd {
    eta: Schedule,
}

/// SGD is [`Gd`] fed by a stochastic [`GradientOracle`] (minibatches or noise).
pub type Sgd = Gd;

impl Gd {
    /// GD with step-size schedule `eta` (values checked at every step).
    pub fn new(eta: Schedule) -> Self {
        Self { eta }
    }
}

impl<T: Float> BaseOptimizer<T> for Gd {
    fn name(&self) -> String {
        "gd".into()
    }
    fn update(&mut self, x: &mut [T], g: &Grad<T>, t: usize) -> Result<()> {
        let eta = T::from_f64(self.eta.checked_at("eta", t)?);
        for r in g.support() {
            kernels::sub_scaled(&mut x[r.clone()], &g.values()[r.clone()], eta);
        }
        Ok(())
    }
    fn update_from(&mut self, x: &mut [T], saved: &Saved<T>, g: &Grad<T>, t: usize) -> Result<()> {
        if saved.ranges() != g.support() {
            saved.restore(x);
            return self.update(x, g, t);
        }
        // x ← saved − η g in one pass (the same operations as restoring, then stepping)
        let eta = T::from_f64(self.eta.checked_at("eta", t)?);
        let mut off = 0;
        for r in g.support() {
            let base = &saved.values()[off..off + r.len()];
            kernels::sub_scaled_from(&mut x[r.clone()], base, &g.values()[r.clone()], eta);
            off += r.len();
        }
        Ok(())
    }
    fn sgd_rate(&self, t: usize) -> Result<Option<f64>> {
        Ok(Some(self.eta.checked_at("eta", t)?))
    }
    fn plain_step(
        &mut self,
        x: &mut [T],
        t: usize,
        oracle: &mut dyn GradientOracle<T>,
        g: &mut Grad<T>,
    ) -> Result<StepInfo> {
        let eta = self.eta.checked_at("eta", t)?;
        match oracle.fused_sgd_step(x, T::from_f64(eta)) {
            Fused::Stepped { loss } => {
                super::check_loss(loss, t)?;
                Ok(StepInfo {
                    loss,
                    grad_norm: f64::NAN,
                    perturbation_norm: 0.0,
                })
            }
            Fused::Unsupported => super::gradient_then_update(self, x, t, oracle, g),
        }
    }
}
