//! SAM wrapping a base optimizer, Eq. (3) of the review, with m-sharpness.

use crate::base::check_loss;
use crate::perturb::{PerturbationRule, SamRule};
use crate::{
    BaseOptimizer, Float, Grad, GradientOracle, OptimError, Optimizer, Result, SamRequest, Saved,
    Schedule, StepInfo,
};

/// SAM (Foret et al. 2021; the review's Eq. 3) around a base optimizer `B` with perturbation
/// rule `P`, in two named phases:
///
/// 1. **climb**: the gradient g at x, then x ← x + ê(x, g) (the rule: ρ g/‖g‖ for SAM);
/// 2. **return and step**: the gradient at x + ê, then x is restored and the base optimizer
///    steps from it with that gradient.
///
/// With m-sharpness ([`Sam::with_m`]) the batch is cut into chunks of m samples, each chunk
/// gets its own ê from its own gradient, and the base optimizer steps with the chunk gradients
/// at their perturbed points averaged by chunk size (SAM paper, section 4.1). Any minibatch
/// oracle supports it through [`GradientOracle::focus`]; m ≥ the batch size is plain SAM.
///
/// With an SGD base and a rule whose ê is a multiple of g (SAM, USAM), an oracle may take the
/// whole step in its own passes ([`GradientOracle::fused_sam_step`]: the MNIST engine's
/// low-rank step); the two phases above are the reference it is tested against.
///
/// ```
/// use sam_objectives::Fig2;
/// use sam_optim::{ExactGradient, Gd, Optimizer, Sam, Schedule};
/// let mut sam = Sam::new(Gd::new(Schedule::constant(0.1).unwrap()), Schedule::constant(0.0).unwrap());
/// let mut x = [2.0, 1.0];
/// sam.step(&mut x, 0, &mut ExactGradient(&Fig2)).unwrap();
/// assert!((x[0] - 1.8).abs() < 1e-12); // rho = 0 is GD
/// ```
#[derive(Debug, Clone)]
pub struct Sam<B, P = SamRule, T = f64> {
    base: B,
    rule: P,
    rho: Schedule,
    m: Option<usize>,
    // work buffers reused across steps: g(x), then g(x + ê) in the same buffer (g is not needed
    // after the climb; one buffer keeps the working set in cache), the m-sharpness average,
    // the saved x
    g: Grad<T>,
    acc: Grad<T>,
    saved: Saved<T>,
}

impl<B> Sam<B, SamRule, f64> {
    /// SAM (Eq. 3, ε = 0) around `base` with radius schedule `rho`, in f64.
    pub fn new(base: B, rho: Schedule) -> Self {
        Sam::with_rule(base, SamRule::EQ3, rho)
    }
}

impl<B, P, T: Float> Sam<B, P, T> {
    /// SAM around `base` with the perturbation rule `rule`.
    pub fn with_rule(base: B, rule: P, rho: Schedule) -> Self {
        Sam {
            base,
            rule,
            rho,
            m: None,
            g: Grad::default(),
            acc: Grad::default(),
            saved: Saved::default(),
        }
    }
    /// m-sharpness: one perturbation per chunk of `m` ≥ 1 samples of each batch.
    pub fn with_m(mut self, m: usize) -> Result<Self> {
        if m == 0 {
            return Err(OptimError::from(sam_params::Invalid::new(
                "m_sharpness",
                0,
                "it must be >= 1 (samples per perturbation)",
            )));
        }
        self.m = Some(m);
        Ok(self)
    }
}

impl<T: Float, B: BaseOptimizer<T>, P: PerturbationRule<T>> Sam<B, P, T> {
    /// Phase 1 on the oracle's current samples: g at x into `self.g`, climb x ← x + ê. Returns
    /// the loss at x and ‖g‖, ‖ê‖.
    fn climb(
        &mut self,
        x: &mut [T],
        t: usize,
        rho: f64,
        oracle: &mut dyn GradientOracle<T>,
    ) -> Result<(Option<f64>, f64, f64)> {
        let loss = oracle.gradient(x, &mut self.g);
        check_loss(loss, t)?;
        let gn = self.g.norm();
        if !gn.is_finite() {
            return Err(OptimError::diverged(t + 1, "the gradient", gn));
        }
        let en = self.rule.climb(x, &self.g, gn, rho, &mut self.saved);
        Ok((loss, gn, en))
    }

    /// The whole step in the oracle's own passes, when the base is SGD, the rule's ê is a
    /// multiple of g and the oracle offers it; `None` otherwise.
    fn fused(
        &mut self,
        x: &mut [T],
        t: usize,
        rho: f64,
        oracle: &mut dyn GradientOracle<T>,
    ) -> Result<Option<StepInfo>> {
        let Some(lr) = self.base.sgd_rate(t)? else {
            return Ok(None);
        };
        let rule = &self.rule;
        if rule.gradient_multiple(1.0, rho).is_none() {
            return Ok(None);
        }
        let multiple = |n: f64| rule.gradient_multiple(n, rho).unwrap_or(T::ZERO);
        let chunk = self.m.filter(|&m| m < oracle.batch_len());
        let req = SamRequest {
            lr: T::from_f64(lr),
            chunk,
            multiple: &multiple,
        };
        let Some(pass) = oracle.fused_sam_step(x, &req) else {
            return Ok(None);
        };
        check_loss(Some(pass.loss), t)?;
        if !pass.grad_norm.is_finite() {
            return Err(OptimError::diverged(t + 1, "the gradient", pass.grad_norm));
        }
        Ok(Some(StepInfo {
            loss: Some(pass.loss),
            grad_norm: if chunk.is_some() {
                f64::NAN
            } else {
                pass.grad_norm
            },
            perturbation_norm: pass.perturbation_norm,
        }))
    }
}

impl<T: Float, B: BaseOptimizer<T>, P: PerturbationRule<T>> Optimizer<T> for Sam<B, P, T> {
    fn name(&self) -> String {
        format!("{}({})", self.rule.name(), self.base.name())
    }
    fn step(
        &mut self,
        x: &mut [T],
        t: usize,
        oracle: &mut dyn GradientOracle<T>,
    ) -> Result<StepInfo> {
        let rho = self.rho.checked_at("rho", t)?;
        if let Some(info) = self.fused(x, t, rho, oracle)? {
            return Ok(info);
        }
        let b = oracle.batch_len();
        match self.m {
            Some(m) if m < b => {
                // m-sharpness: one ê per chunk, chunk gradients at x + ê averaged by size
                self.acc.reset(x.len());
                let bt = T::from_f64(b as f64);
                let mut loss = T::ZERO;
                let mut known = true;
                let mut e_mean = 0.0;
                for lo in (0..b).step_by(m) {
                    let hi = (lo + m).min(b);
                    oracle.focus(Some(lo..hi));
                    let w = T::from_f64((hi - lo) as f64) / bt;
                    let (l, _, en) = self.climb(x, t, rho, oracle)?;
                    e_mean += en * (hi - lo) as f64 / b as f64;
                    match l {
                        Some(l) => loss += w * T::from_f64(l),
                        None => known = false,
                    }
                    oracle.gradient(x, &mut self.g);
                    self.saved.restore(x);
                    self.acc.add_scaled(&self.g, w);
                }
                oracle.focus(None);
                self.base.update(x, &self.acc, t)?;
                Ok(StepInfo {
                    loss: known.then(|| loss.to_f64()),
                    grad_norm: f64::NAN,
                    perturbation_norm: e_mean,
                })
            }
            _ => {
                // phase 1: climb to the (first-order) worst point x + ê of the rho-ball
                let (loss, grad_norm, perturbation_norm) = self.climb(x, t, rho, oracle)?;
                // phase 2: the gradient there drives the base optimizer's step from x
                oracle.gradient(x, &mut self.g);
                self.base.update_from(x, &self.saved, &self.g, t)?;
                Ok(StepInfo {
                    loss,
                    grad_norm,
                    perturbation_norm,
                })
            }
        }
    }
}
