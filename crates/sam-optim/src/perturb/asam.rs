//! Adaptive SAM (ASAM, Kwon et al. 2021): ê = ρ T²g/‖T g‖ with T = diag(|w| + η).

use super::{normalized_scale, PerturbationRule};
use crate::{Float, Grad, OptimError, Result, Saved};

/// ASAM's rule ê = ρ T²g/(‖T g‖ + ε), T = diag(|w| + η) (Kwon et al., "ASAM: Adaptive
/// Sharpness-Aware Minimization for Scale-Invariant Learning of Deep Neural Networks", ICML
/// 2021, Eq. 9 with the element-wise operator T_w = |w| + η). With η = 0 the perturbed loss is
/// invariant under rescalings of the weights that leave the network's function unchanged.
///
/// | setting | default | range |
/// |---|---|---|
/// | η | 0.01 | finite, ≥ 0 |
/// | ε | as SAM's (0 or 1e-12) | finite, ≥ 0 |
///
/// ```
/// use sam_optim::{perturb::PerturbationRule, Asam, Grad, Saved};
/// let mut g = Grad::<f64>::default();
/// g.dense_mut(2).copy_from_slice(&[1.0, 1.0]);
/// let mut x = [1.0, 3.0]; // T = diag(1, 3): Tg = (1, 3), T²g = (1, 9)
/// Asam::new(0.0, 0.0).unwrap().climb(&mut x, &g, g.norm(), 10f64.sqrt(), &mut Saved::default());
/// assert!((x[0] - 2.0).abs() < 1e-12 && (x[1] - 12.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Asam<T = f64> {
    eta: f64,
    eps: f64,
    // T g, then ê, on g's support
    work: Grad<T>,
}

/// ASAM's default η (Kwon et al. 2021).
pub const ASAM_ETA: f64 = 0.01;

impl<T: Float> Asam<T> {
    /// The rule with offset η ≥ 0 and ε ≥ 0 (both finite).
    pub fn new(eta: f64, eps: f64) -> Result<Self> {
        if !(eta.is_finite() && eta >= 0.0) {
            return Err(OptimError::from(sam_params::Invalid::new(
                "asam_eta",
                sam_params::show(eta),
                "it must be finite and >= 0 (ASAM's default: 0.01)",
            )));
        }
        super::sam::check_eps(eps)?;
        Ok(Self {
            eta,
            eps,
            work: Grad::default(),
        })
    }
}

impl<T: Float> PerturbationRule<T> for Asam<T> {
    fn name(&self) -> &'static str {
        "asam"
    }
    fn climb(
        &mut self,
        x: &mut [T],
        g: &Grad<T>,
        _g_norm: f64,
        rho: f64,
        saved: &mut Saved<T>,
    ) -> f64 {
        let eta = T::from_f64(self.eta);
        // v = T g on g's support (zero elsewhere, like g)
        let (vals, sup) = self.work.parts_mut();
        vals.clear();
        vals.resize(g.len(), T::ZERO);
        sup.clear();
        sup.extend_from_slice(g.support());
        for r in g.support() {
            for i in r.clone() {
                vals[i] = (x[i].abs() + eta) * g.values()[i];
            }
        }
        let s: T = normalized_scale(rho, self.work.norm(), self.eps);
        // ê = s T (T g)
        let (vals, _) = self.work.parts_mut();
        for r in g.support() {
            for i in r.clone() {
                vals[i] = s * ((x[i].abs() + eta) * vals[i]);
            }
        }
        saved.climb(x, &self.work, T::ONE);
        self.work.norm()
    }
}
