//! Projected gradient ascent over the ρ-ball, as an argmin `Solver` behind a private adapter.
//!
//! argmin minimizes, so the adapter's cost is −f(θ+e). argmin has no constrained solver; this one
//! takes e ← P(e + α∇f(θ+e)) (P the projection onto ‖e‖ ≤ ρ) with a Barzilai–Borwein (spectral)
//! step α and Armijo backtracking along the projection arc, so f(θ+e) never decreases.
//! Nothing from argmin appears in this crate's public API.

use crate::eigen::dot;
use crate::error::{check_finite, check_rho, Result, SharpnessError};
use crate::trs::norm;
use argmin::core::{
    Error as ArgminError, Executor, IterState, Problem, Solver, State, TerminationReason, KV,
};
use sam_objectives::Gradient;
use serde::Serialize;
use std::cell::RefCell;

/// f(θ+e) and its gradient, as a function of the perturbation e.
pub(crate) trait BallProblem {
    /// Writes ∇f(θ+e) into `grad` and returns f(θ+e).
    fn value_grad(&self, e: &[f64], grad: &mut [f64]) -> f64;
}

/// Adapter for objectives with an analytic gradient.
pub(crate) struct Shifted<'a, F: ?Sized> {
    pub f: &'a F,
    pub theta: &'a [f64],
    buf: RefCell<Vec<f64>>,
}

impl<'a, F: Gradient + ?Sized> Shifted<'a, F> {
    pub fn new(f: &'a F, theta: &'a [f64]) -> Self {
        Self {
            f,
            theta,
            buf: RefCell::new(vec![0.0; theta.len()]),
        }
    }
}

impl<F: Gradient + ?Sized> BallProblem for Shifted<'_, F> {
    fn value_grad(&self, e: &[f64], grad: &mut [f64]) -> f64 {
        let mut x = self.buf.borrow_mut();
        x.iter_mut()
            .zip(self.theta.iter().zip(e))
            .for_each(|(xi, (t, ei))| *xi = t + ei);
        grad.copy_from_slice(&self.f.gradient(&x));
        self.f.value(&x)
    }
}

/// Adapter for a user closure (e.g. a neural network's loss and backprop).
type ValueGradFn<'a> = &'a mut dyn FnMut(&[f64], &mut [f64]) -> f64;

struct ClosureProblem<'a, 'b> {
    f: RefCell<&'b mut ValueGradFn<'a>>,
    theta: &'b [f64],
    buf: RefCell<Vec<f64>>,
}

impl BallProblem for ClosureProblem<'_, '_> {
    fn value_grad(&self, e: &[f64], grad: &mut [f64]) -> f64 {
        let mut x = self.buf.borrow_mut();
        x.iter_mut()
            .zip(self.theta.iter().zip(e))
            .for_each(|(xi, (t, ei))| *xi = t + ei);
        (self.f.borrow_mut())(&x, grad)
    }
}

type St = IterState<Vec<f64>, Vec<f64>, (), (), (), f64>;

/// The solver: its hyperparameters and the spectral step carried between iterations.
struct ProjectedAscent {
    rho: f64,
    /// Stop when a step moves e by less than xtol·ρ.
    xtol: f64,
    /// Armijo constant.
    sigma: f64,
    max_backtracks: usize,
    alpha: f64,
    /// Scratch vectors kept between iterations (trial point, its gradient, the step and the
    /// gradient change): a network-sized allocation per backtrack would cost more than the
    /// arithmetic (page faults).
    scratch: Scratch,
}

#[derive(Default)]
struct Scratch {
    trial: Vec<f64>,
    gt: Vec<f64>,
    s: Vec<f64>,
    y: Vec<f64>,
}

const COUNT: &str = "value_grad_count";

fn project(e: &mut [f64], rho: f64) {
    let n = norm(e);
    if n > rho {
        let s = rho / n;
        e.iter_mut().for_each(|x| *x *= s);
    }
}

impl<O: BallProblem> Solver<O, St> for ProjectedAscent {
    fn name(&self) -> &str {
        "projected spectral gradient ascent on the rho-ball"
    }

    fn init(
        &mut self,
        problem: &mut Problem<O>,
        mut state: St,
    ) -> std::result::Result<(St, Option<KV>), ArgminError> {
        let mut e = state
            .take_param()
            .ok_or_else(|| ArgminError::msg("no start point"))?;
        project(&mut e, self.rho);
        let mut g = vec![0.0; e.len()];
        let v = problem.problem(COUNT, |p| Ok(p.value_grad(&e, &mut g)))?;
        let gn = norm(&g);
        self.alpha = if gn > 0.0 { self.rho / gn } else { 1.0 };
        Ok((state.param(e).gradient(g).cost(-v), None))
    }

    fn next_iter(
        &mut self,
        problem: &mut Problem<O>,
        mut state: St,
    ) -> std::result::Result<(St, Option<KV>), ArgminError> {
        let e = state
            .take_param()
            .ok_or_else(|| ArgminError::msg("no param"))?;
        let g = state
            .take_gradient()
            .ok_or_else(|| ArgminError::msg("no gradient"))?;
        let phi = -state.get_cost();
        let d = e.len();
        if !phi.is_finite() || !g.iter().all(|x| x.is_finite()) || norm(&g) == 0.0 {
            let st = state.param(e).gradient(g);
            return Ok((st.terminate_with(TerminationReason::SolverConverged), None));
        }
        let Scratch { trial, gt, s, y } = &mut self.scratch;
        for v in [&mut *trial, &mut *gt, &mut *s, &mut *y] {
            v.resize(d, 0.0);
        }
        let mut alpha = self.alpha;
        for _ in 0..self.max_backtracks {
            trial
                .iter_mut()
                .zip(e.iter().zip(&g))
                .for_each(|(t, (ei, gi))| *t = ei + alpha * gi);
            project(trial, self.rho);
            s.iter_mut()
                .zip(trial.iter().zip(&e))
                .for_each(|(si, (a, b))| *si = a - b);
            let sn = norm(s);
            if sn <= self.xtol * self.rho {
                break;
            }
            let vt = problem.problem(COUNT, |p| Ok(p.value_grad(trial, gt)))?;
            if vt.is_finite() && vt >= phi + self.sigma * dot(&g, s) {
                // Spectral step for the next iteration (curvature of −f along s).
                y.iter_mut()
                    .zip(gt.iter().zip(&g))
                    .for_each(|(yi, (a, b))| *yi = b - a);
                let sy = dot(s, y);
                let gtn = norm(gt);
                let alpha_max = if gtn > 0.0 { 1e6 * self.rho / gtn } else { 1.0 };
                self.alpha = if sy > 0.0 {
                    (dot(s, s) / sy).min(alpha_max)
                } else {
                    (4.0 * alpha).min(alpha_max)
                };
                // the accepted point moves into the state; the previous one becomes scratch
                let accepted = std::mem::replace(trial, e);
                let accepted_grad = std::mem::replace(gt, g);
                let st = state.param(accepted).gradient(accepted_grad).cost(-vt);
                return Ok((st, None));
            }
            alpha *= 0.25;
        }
        // No ascent step of measurable length: projected-stationary to working precision.
        let st = state.param(e).gradient(g).cost(-phi);
        Ok((st.terminate_with(TerminationReason::SolverConverged), None))
    }
}

/// One projected ascent run from `e0`: returns (f(θ+e*), e*, evaluations).
pub(crate) fn ascend<O: BallProblem>(
    problem: O,
    e0: Vec<f64>,
    rho: f64,
    max_iters: usize,
    xtol: f64,
) -> Result<(f64, Vec<f64>, u64)> {
    let solver = ProjectedAscent {
        rho,
        xtol,
        sigma: 1e-4,
        max_backtracks: 60,
        alpha: 1.0,
        scratch: Scratch::default(),
    };
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(e0).max_iters(max_iters as u64))
        .ctrlc(false)
        .timer(false)
        .run()
        .map_err(|e| SharpnessError::Solver(e.to_string()))?;
    let evals = res.problem().counts.get(COUNT).copied().unwrap_or(0);
    let state = res.state();
    let value = -state.get_best_cost();
    let e = match state.get_best_param() {
        Some(e) if value.is_finite() => e.clone(),
        // argmin keeps no best point when every cost was NaN or infinite.
        _ => {
            return Err(SharpnessError::NonFinite {
                what: "f(theta + e) inside the ball (is rho too large for this point?)",
                value: if value.is_finite() { f64::NAN } else { value },
            })
        }
    };
    Ok((value, e, evals))
}

/// A certified-feasible lower bound on κ_ρ(θ) from projected gradient ascent.
///
/// ```
/// use sam_sharpness::projected_ascent_lower_bound;
/// let mut f = |x: &[f64], g: &mut [f64]| { g[0] = 2.0 * x[0]; x[0] * x[0] };
/// let lb = projected_ascent_lower_bound(&mut f, &[1.0], 0.5, 10).unwrap();
/// assert!((lb.value - 1.25).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LowerBound {
    /// f(θ+e) − f(θ) at the returned e: κ_ρ(θ) ≥ value (e is feasible); not an upper bound.
    pub value: f64,
    /// The perturbation e (‖e‖ ≤ ρ).
    pub argmax: Vec<f64>,
    /// Calls of the value-and-gradient closure (including the one at θ).
    pub evaluations: u64,
}

/// Projected gradient ascent from SAM's ê = ρ g/‖g‖ for at most `steps` iterations on a
/// value-and-gradient closure `value_and_grad(x, grad_out) -> f(x)`: a LOWER bound on κ_ρ(θ)
/// (a local maximum, not the global one), for models too large for [`crate::exact`].
/// Memory is O(d) (a few vectors). Returns at least 0 (e = 0 is feasible).
///
/// ```
/// use sam_sharpness::projected_ascent_lower_bound;
/// // f(x, y) = x + 4 y^2 at 0: SAM's first-order direction is x, but y is better for rho = 1.
/// let mut f = |x: &[f64], g: &mut [f64]| { g[0] = 1.0; g[1] = 8.0 * x[1]; x[0] + 4.0 * x[1] * x[1] };
/// let lb = projected_ascent_lower_bound(&mut f, &[0.0, 0.0], 1.0, 100).unwrap();
/// assert!(lb.value >= 1.0);
/// ```
pub fn projected_ascent_lower_bound(
    value_and_grad: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    theta: &[f64],
    rho: f64,
    steps: usize,
) -> Result<LowerBound> {
    lower_bound_from(value_and_grad, theta, rho, steps, None)
}

/// [`projected_ascent_lower_bound`] from a given start `e0` (projected onto the ρ-ball first)
/// instead of SAM's ê: restarts from other directions test whether the ascent found the best
/// local maximum it can.
///
/// ```
/// use sam_sharpness::projected_ascent_lower_bound_from;
/// // f(x, y) = x + 4 y^2 at 0, started along y: reaches the better maximum at once
/// let mut f = |x: &[f64], g: &mut [f64]| { g[0] = 1.0; g[1] = 8.0 * x[1]; x[0] + 4.0 * x[1] * x[1] };
/// let lb = projected_ascent_lower_bound_from(&mut f, &[0.0, 0.0], 1.0, 50, &[0.1, 1.0]).unwrap();
/// assert!(lb.value >= 4.0 - 1e-9);
/// ```
pub fn projected_ascent_lower_bound_from(
    value_and_grad: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    theta: &[f64],
    rho: f64,
    steps: usize,
    e0: &[f64],
) -> Result<LowerBound> {
    if e0.len() != theta.len() {
        return Err(SharpnessError::Dimension {
            what: "start",
            expected: theta.len(),
            got: e0.len(),
        });
    }
    check_finite("start", e0)?;
    lower_bound_from(value_and_grad, theta, rho, steps, Some(e0))
}

fn lower_bound_from(
    value_and_grad: &mut dyn FnMut(&[f64], &mut [f64]) -> f64,
    theta: &[f64],
    rho: f64,
    steps: usize,
    start: Option<&[f64]>,
) -> Result<LowerBound> {
    check_rho(rho)?;
    check_finite("theta", theta)?;
    let d = theta.len();
    let mut g = vec![0.0; d];
    let f0 = value_and_grad(theta, &mut g);
    if !f0.is_finite() {
        return Err(SharpnessError::NonFinite {
            what: "f(theta)",
            value: f0,
        });
    }
    check_finite("gradient at theta", &g)?;
    let zero = |evaluations| LowerBound {
        value: 0.0,
        argmax: vec![0.0; d],
        evaluations,
    };
    if rho == 0.0 || d == 0 {
        return Ok(zero(1));
    }
    let gn = norm(&g);
    let e0: Vec<f64> = if let Some(e) = start {
        // projected onto the ball
        let n = norm(e);
        let k = if n > rho { rho / n } else { 1.0 };
        e.iter().map(|v| k * v).collect()
    } else if gn > 0.0 {
        g.iter().map(|x| rho * (x / gn)).collect()
    } else {
        // Zero gradient: start on the sphere along the first coordinate (documented, deterministic).
        let mut e = vec![0.0; d];
        e[0] = rho;
        e
    };
    let mut f: ValueGradFn<'_> = value_and_grad;
    let problem = ClosureProblem {
        f: RefCell::new(&mut f),
        theta,
        buf: RefCell::new(vec![0.0; d]),
    };
    let (v, e, evals) = ascend(problem, e0, rho, steps, 1e-12)?;
    let value = v - f0;
    if value > 0.0 {
        Ok(LowerBound {
            value,
            argmax: e,
            evaluations: evals + 1,
        })
    } else {
        Ok(zero(evals + 1))
    }
}

/// [`projected_ascent_lower_bound`] on an objective, through its one-pass value and gradient.
///
/// ```
/// use sam_objectives::Quadratic;
/// // f(t) = t'At/2 with A = diag(-1, 4) at 0: the maximum over the unit ball is 2, along y.
/// let q = Quadratic::new(vec![-1.0, 0.0, 0.0, 4.0], vec![0.0, 0.0]).unwrap();
/// let lb = sam_sharpness::projected_ascent_lower_bound_at(&q, &[0.0, 0.0], 1.0, 50).unwrap();
/// assert!(lb.value <= 2.0 + 1e-12);
/// ```
pub fn projected_ascent_lower_bound_at<F: sam_objectives::Gradient + ?Sized>(
    f: &F,
    theta: &[f64],
    rho: f64,
    steps: usize,
) -> Result<LowerBound> {
    let mut vg = |x: &[f64], g: &mut [f64]| -> f64 {
        let (v, gr) = f.value_and_gradient(x);
        g.copy_from_slice(&gr);
        v
    };
    projected_ascent_lower_bound(&mut vg, theta, rho, steps)
}
