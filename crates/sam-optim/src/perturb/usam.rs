//! Unnormalised SAM (USAM): ê = ρ g.

use super::PerturbationRule;
use crate::{Float, Grad, Saved};

/// USAM's rule ê = ρ g (no normalisation; Andriushchenko & Flammarion 2022 and Agarwala & Dauphin
/// 2023 analyse it): ‖ê‖ = ρ‖g‖, so the climb shrinks near a minimum.
///
/// ```
/// use sam_optim::{perturb::PerturbationRule, Grad, Saved, Usam};
/// let mut g = Grad::default();
/// g.dense_mut(2).copy_from_slice(&[3.0, 4.0]);
/// let mut x = [0.0, 0.0];
/// let n = Usam.climb(&mut x, &g, 5.0, 0.5, &mut Saved::default());
/// assert_eq!((x, n), ([1.5, 2.0], 2.5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usam;

impl<T: Float> PerturbationRule<T> for Usam {
    fn name(&self) -> &'static str {
        "usam"
    }
    fn climb(
        &mut self,
        x: &mut [T],
        g: &Grad<T>,
        g_norm: f64,
        rho: f64,
        saved: &mut Saved<T>,
    ) -> f64 {
        saved.climb(x, g, T::from_f64(rho));
        rho * g_norm
    }
    fn gradient_multiple(&self, _g_norm: f64, rho: f64) -> Option<T> {
        Some(T::from_f64(rho))
    }
}
