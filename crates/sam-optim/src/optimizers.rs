//! Optimizers: base update rules (GD/SGD, Adam) and SAM wrapping a base rule.

use crate::{GradientOracle, OptimError, Result, Schedule};

/// A base update rule: turns a gradient into a parameter update (GD, SGD, Adam).
pub trait BaseOptimizer {
    /// A short name for results.
    fn name(&self) -> String;
    /// Applies the update for step t (0-based) with gradient `g` to `x` in place.
    fn update(&mut self, x: &mut [f64], g: &[f64], t: usize) -> Result<()>;
}

/// What one optimizer step reports to the loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInfo {
    /// ‖g(x_t)‖, the norm of the first gradient of the step.
    pub grad_norm: f64,
    /// ‖ê‖, the SAM perturbation's norm (0 for plain optimizers).
    pub perturbation_norm: f64,
}

/// An optimizer takes one step; [`crate::run`] owns the loop.
pub trait Optimizer {
    /// A short name for results.
    fn name(&self) -> String;
    /// Gradient evaluations per step (SAM: 2).
    fn grads_per_step(&self) -> u64;
    /// Takes step t (0-based) in place.
    fn step(
        &mut self,
        x: &mut [f64],
        t: usize,
        oracle: &mut dyn GradientOracle,
    ) -> Result<StepInfo>;
}

/// Euclidean norm, scaled by the largest entry so that it neither underflows nor overflows.
fn norm(v: &[f64]) -> f64 {
    let s = v.iter().fold(0.0f64, |m, a| m.max(a.abs()));
    if s == 0.0 || !s.is_finite() {
        return s;
    }
    s * v.iter().map(|a| (a / s).powi(2)).sum::<f64>().sqrt()
}

fn check_finite(v: &[f64], step: usize, what: &str) -> Result<()> {
    if v.iter().all(|a| a.is_finite()) {
        Ok(())
    } else {
        Err(OptimError::Diverged {
            step,
            what: what.to_string(),
        })
    }
}

/// Gradient descent x ← x − η_t g, Eq. (4). With a stochastic oracle this is SGD.
///
/// ```
/// use sam_optim::{BaseOptimizer, Gd, Schedule};
/// let mut gd = Gd::new(Schedule::constant(0.5).unwrap());
/// let mut x = [1.0];
/// gd.update(&mut x, &[2.0], 0).unwrap();
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

impl BaseOptimizer for Gd {
    fn name(&self) -> String {
        "gd".into()
    }
    fn update(&mut self, x: &mut [f64], g: &[f64], t: usize) -> Result<()> {
        let eta = self.eta.checked_at("eta", t)?;
        for (xi, gi) in x.iter_mut().zip(g) {
            *xi -= eta * gi;
        }
        Ok(())
    }
}

/// Adam (Kingma & Ba 2014) with bias correction.
///
/// ```
/// use sam_optim::{Adam, BaseOptimizer, Schedule};
/// let mut adam = Adam::new(Schedule::constant(0.1).unwrap(), 0.9, 0.999, 1e-8).unwrap();
/// let mut x = [1.0];
/// adam.update(&mut x, &[3.0], 0).unwrap();
/// assert!((x[0] - 0.9).abs() < 1e-6); // first bias-corrected step has size ≈ lr
/// ```
#[derive(Debug, Clone)]
pub struct Adam {
    lr: Schedule,
    beta1: f64,
    beta2: f64,
    eps: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: u64,
}

impl Adam {
    /// Adam with betas in [0, 1) and eps > 0.
    pub fn new(lr: Schedule, beta1: f64, beta2: f64, eps: f64) -> Result<Self> {
        for (name, value) in [("beta1", beta1), ("beta2", beta2)] {
            if !(0.0..1.0).contains(&value) {
                return Err(OptimError::Hyperparameter {
                    name,
                    value,
                    allowed: "it must lie in [0, 1), e.g. 0.9 for beta1 and 0.999 for beta2",
                });
            }
        }
        if !(eps.is_finite() && eps > 0.0) {
            return Err(OptimError::Hyperparameter {
                name: "eps",
                value: eps,
                allowed: "it must be finite and > 0, e.g. 1e-8",
            });
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

impl BaseOptimizer for Adam {
    fn name(&self) -> String {
        "adam".into()
    }
    fn update(&mut self, x: &mut [f64], g: &[f64], t: usize) -> Result<()> {
        let lr = self.lr.checked_at("lr", t)?;
        if self.m.len() != x.len() {
            self.m = vec![0.0; x.len()];
            self.v = vec![0.0; x.len()];
        }
        self.t += 1;
        let c1 = 1.0 - self.beta1.powf(self.t as f64);
        let c2 = 1.0 - self.beta2.powf(self.t as f64);
        for i in 0..x.len() {
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * g[i];
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * g[i] * g[i];
            let mhat = self.m[i] / c1;
            let vhat = self.v[i] / c2;
            x[i] -= lr * mhat / (vhat.sqrt() + self.eps);
        }
        Ok(())
    }
}

/// A base optimizer driven directly by the oracle's gradient at x (one gradient per step).
///
/// ```
/// use sam_objectives::Fig2;
/// use sam_optim::{ExactGradient, Gd, Optimizer, Plain, Schedule};
/// let mut opt = Plain(Gd::new(Schedule::constant(0.1).unwrap()));
/// let mut x = [2.0, 1.0];
/// opt.step(&mut x, 0, &mut ExactGradient(&Fig2)).unwrap();
/// assert!((x[0] - 1.8).abs() < 1e-12);
/// ```
#[derive(Debug, Clone)]
pub struct Plain<B>(pub B);

thread_local! {
    static PLAIN_BUFFER: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl<B: BaseOptimizer> Optimizer for Plain<B> {
    fn name(&self) -> String {
        self.0.name()
    }
    fn grads_per_step(&self) -> u64 {
        1
    }
    fn step(
        &mut self,
        x: &mut [f64],
        t: usize,
        oracle: &mut dyn GradientOracle,
    ) -> Result<StepInfo> {
        PLAIN_BUFFER.with_borrow_mut(|g| {
            g.clear();
            g.resize(x.len(), 0.0);
            oracle.gradient(x, g);
            check_finite(g, t + 1, "the gradient")?;
            self.0.update(x, g, t)?;
            Ok(StepInfo {
                grad_norm: norm(g),
                perturbation_norm: 0.0,
            })
        })
    }
}

/// SAM, Eq. (3) of the review: climb to x + ê with ê = ρ_t g/‖g‖, then let the base optimizer step
/// with the gradient at x + ê. With `unnormalized`, ê = ρ_t g (the variant without the division).
///
/// Zero gradient: ê = 0 (see the crate docs), so the step is finite.
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
pub struct Sam<B> {
    base: B,
    rho: Schedule,
    normalized: bool,
    // Work buffers reused across steps: g(x), x + ê, g(x + ê).
    g: Vec<f64>,
    climbed: Vec<f64>,
    g_sam: Vec<f64>,
}

impl<B: BaseOptimizer> Sam<B> {
    /// Normalized SAM (Eq. 3) around `base` with radius schedule `rho`.
    pub fn new(base: B, rho: Schedule) -> Self {
        Self {
            base,
            rho,
            normalized: true,
            g: Vec::new(),
            climbed: Vec::new(),
            g_sam: Vec::new(),
        }
    }
    /// Unnormalized SAM: ê = ρ_t g.
    pub fn unnormalized(base: B, rho: Schedule) -> Self {
        Self {
            normalized: false,
            ..Self::new(base, rho)
        }
    }
    /// The perturbation ê for gradient `g` and radius `rho` under this variant's convention.
    ///
    /// ```
    /// use sam_optim::{Gd, Sam, Schedule};
    /// let sam = Sam::new(Gd::new(Schedule::constant(0.1).unwrap()), Schedule::constant(1.0).unwrap());
    /// let e = sam.perturbation(&[3.0, 4.0], 1.0);
    /// assert!((e[0] - 0.6).abs() < 1e-15 && (e[1] - 0.8).abs() < 1e-15);
    /// assert_eq!(sam.perturbation(&[0.0, 0.0], 1.0), vec![0.0, 0.0]);
    /// ```
    pub fn perturbation(&self, g: &[f64], rho: f64) -> Vec<f64> {
        let scale = self.scale(g, rho);
        g.iter().map(|gi| scale * gi).collect()
    }

    /// ê = scale · g: ρ/‖g‖ (normalized; 0 when g/‖g‖ is not finite) or ρ (unnormalized).
    fn scale(&self, g: &[f64], rho: f64) -> f64 {
        if self.normalized {
            let n = norm(g);
            let s = rho / n;
            if n > 0.0 && s.is_finite() {
                s
            } else {
                0.0
            }
        } else {
            rho
        }
    }
}

impl<B: BaseOptimizer> Optimizer for Sam<B> {
    fn name(&self) -> String {
        if self.normalized {
            format!("sam({})", self.base.name())
        } else {
            format!("usam({})", self.base.name())
        }
    }
    fn grads_per_step(&self) -> u64 {
        2
    }
    fn step(
        &mut self,
        x: &mut [f64],
        t: usize,
        oracle: &mut dyn GradientOracle,
    ) -> Result<StepInfo> {
        let rho = self.rho.checked_at("rho", t)?;
        // Phase 1: climb to the (first-order) worst point x + ê of the rho-ball.
        let d = x.len();
        self.g.resize(d, 0.0);
        self.climbed.resize(d, 0.0);
        self.g_sam.resize(d, 0.0);
        oracle.gradient(x, &mut self.g);
        check_finite(&self.g, t + 1, "the gradient")?;
        let scale = self.scale(&self.g, rho);
        for ((c, xi), gi) in self.climbed.iter_mut().zip(x.iter()).zip(&self.g) {
            *c = xi + scale * gi;
        }
        // Phase 2: the gradient there drives the base optimizer's step from x.
        oracle.gradient(&self.climbed, &mut self.g_sam);
        check_finite(&self.g_sam, t + 1, "the gradient at the perturbed point")?;
        self.base.update(x, &self.g_sam, t)?;
        let grad_norm = norm(&self.g);
        Ok(StepInfo {
            grad_norm,
            perturbation_norm: scale.abs() * grad_norm,
        })
    }
}
