//! Perturbation rules: where SAM and its variants climb to before the base optimizer's step.
//! Each rule is one file; [`crate::Sam`] wraps a base optimizer and one rule.
//!
//! ## One convention for normalised rules
//! A normalised rule climbs along a direction v (v = g for SAM, v = T g for ASAM) scaled by
//! ρ/(‖v‖ + ε): ε = 0 is Eq. (3) of the review exactly, and ε = 1e-12 is the MNIST reference's
//! `rho g/(|g| + 1e-12)`; both are this one rule with a parameter. The review notes (section
//! 2.1.1) that Eq. (3) is undefined when ∇L = 0: here ê = 0 whenever ‖v‖ = 0 or the scale is not
//! finite, so SAM at a stationary point takes the base optimizer's step with the gradient at x.

mod asam;
mod sam;
mod usam;

pub use asam::{Asam, ASAM_ETA};
pub use sam::SamRule;
pub use usam::Usam;

use crate::{Float, Grad, Saved};

/// A rule that moves x to the perturbed point x + ê(x, g) before SAM's second gradient.
pub trait PerturbationRule<T: Float = f64> {
    /// A short name for results (`sam`, `usam`, `asam`).
    fn name(&self) -> &'static str;
    /// Climbs `x ← x + ê` for the gradient `g` at x (with `g_norm` = ‖g‖, computed once by the
    /// caller) and radius `rho`, saving into `saved` the values it changes (so SAM can restore
    /// them); returns ‖ê‖.
    fn climb(
        &mut self,
        x: &mut [T],
        g: &Grad<T>,
        g_norm: f64,
        rho: f64,
        saved: &mut Saved<T>,
    ) -> f64;
    /// For rules whose ê is a multiple of the gradient, ê = s g: that multiple s for ‖g‖ =
    /// `g_norm` and radius `rho` (then [`PerturbationRule::climb`] must be `x ← x + s g`).
    /// An oracle can then climb in its own representation of g (the MNIST engine's low-rank
    /// SAM step, [`crate::GradientOracle::fused_sam_step`]). `None` (the default): ê is not a
    /// multiple of g (ASAM).
    ///
    /// ```
    /// use sam_optim::{perturb::PerturbationRule, Asam, SamRule, Usam};
    /// assert_eq!(PerturbationRule::<f64>::gradient_multiple(&SamRule::EQ3, 4.0, 1.0), Some(0.25));
    /// assert_eq!(PerturbationRule::<f64>::gradient_multiple(&Usam, 4.0, 1.0), Some(1.0));
    /// assert_eq!(PerturbationRule::<f64>::gradient_multiple(&Asam::new(0.01, 0.0).unwrap(), 4.0, 1.0), None);
    /// ```
    fn gradient_multiple(&self, _g_norm: f64, _rho: f64) -> Option<T> {
        None
    }
}

/// The scale ρ/(‖v‖ + ε) of a normalised rule, 0 when ‖v‖ = 0 or the scale is not finite (see
/// the module docs).
///
/// ```
/// use sam_optim::perturb::normalized_scale;
/// assert_eq!(normalized_scale::<f64>(1.0, 4.0, 0.0), 0.25);
/// assert_eq!(normalized_scale::<f64>(1.0, 0.0, 0.0), 0.0);
/// ```
pub fn normalized_scale<T: Float>(rho: f64, norm_v: f64, eps: f64) -> T {
    let s = T::from_f64(rho) / (T::from_f64(norm_v) + T::from_f64(eps));
    if norm_v > 0.0 && s.is_finite() {
        s
    } else {
        T::ZERO
    }
}
