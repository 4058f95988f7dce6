//! SAM's perturbation, Eq. (3) of the review: ê = ρ g/(‖g‖ + ε).

use super::{normalized_scale, PerturbationRule};
use crate::{Float, Grad, OptimError, Result, Saved};

/// SAM's rule ê = ρ g/(‖g‖ + ε) (Foret et al. 2021; the review's Eq. 3 with ε = 0).
///
/// | setting | default | range |
/// |---|---|---|
/// | ε | 0 (toys, theory); 1e-12 (MNIST protocol) | finite, ≥ 0 |
///
/// ```
/// use sam_optim::{perturb::PerturbationRule, Grad, SamRule, Saved};
/// let mut g = Grad::<f64>::default();
/// g.dense_mut(2).copy_from_slice(&[3.0, 4.0]);
/// let mut x = [0.0, 0.0];
/// let n = SamRule::new(0.0).unwrap().climb(&mut x, &g, 5.0, 1.0, &mut Saved::default());
/// assert!((x[0] - 0.6).abs() < 1e-15 && (x[1] - 0.8).abs() < 1e-15 && (n - 1.0).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamRule {
    eps: f64,
}

impl SamRule {
    /// The rule with ε (finite, ≥ 0).
    pub fn new(eps: f64) -> Result<Self> {
        check_eps(eps)?;
        Ok(Self { eps })
    }

    /// Eq. 3 exactly: ε = 0 (ê = 0 where g = 0).
    pub const EQ3: SamRule = SamRule { eps: 0.0 };
}

/// ε of a normalised rule: finite and ≥ 0.
pub(crate) fn check_eps(eps: f64) -> Result<()> {
    if eps.is_finite() && eps >= 0.0 {
        Ok(())
    } else {
        Err(OptimError::from(sam_params::Invalid::new(
            "sam_eps",
            sam_params::show(eps),
            "it must be finite and >= 0 (0: Eq. 3 exactly; 1e-12: the MNIST reference)",
        )))
    }
}

impl<T: Float> PerturbationRule<T> for SamRule {
    fn name(&self) -> &'static str {
        "sam"
    }
    fn climb(
        &mut self,
        x: &mut [T],
        g: &Grad<T>,
        g_norm: f64,
        rho: f64,
        saved: &mut Saved<T>,
    ) -> f64 {
        let s: T = normalized_scale(rho, g_norm, self.eps);
        saved.climb(x, g, s);
        s.abs().to_f64() * g_norm
    }
    fn gradient_multiple(&self, g_norm: f64, rho: f64) -> Option<T> {
        Some(normalized_scale(rho, g_norm, self.eps))
    }
}
