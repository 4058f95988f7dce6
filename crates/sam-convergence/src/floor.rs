//! What Theorem 2 excludes: with a *constant* ρ, normalized SAM does not drive the gradient to
//! zero. Deterministic SAM on f(w) = λw²/2 from w₀ = 1, in closed form and by simulation.
//!
//! ## Derivation (normalized SAM, constant ρ ≥ 0, a = ηλ)
//! ∇f(w) = λw and ê = ρ sign(w) (ê = 0 at w = 0, sam-optim's convention), so one step is the odd
//! map F(w) = w − ηλ(w + ρ sign w) = (1 − a) w − aρ sign(w), F(0) = 0.
//!
//! A 2-cycle ±w* with w* > 0 needs F(w*) = −w*: (1 − a) w* − aρ = −w*, i.e.
//!
//! **w* = aρ / (2 − a) = ηλρ / (2 − ηλ),  for 0 < ηλ < 2.**
//!
//! How it is reached from w₀ = 1 (ρ > 0):
//! - **0 < a < 1.** While w > 0 the map is affine with fixed point −ρ, so
//!   wₙ = (1 − a)ⁿ (1 + ρ) − ρ decreases monotonically until the first n₁ with wₙ₁ ≤ 0.
//!   If wₙ₁ = 0 exactly (i.e. (1 − a)ⁿ¹(1 + ρ) = ρ, e.g. a = ½, ρ = 1, n₁ = 1) the iterate stays at
//!   0 forever (ê = 0 there) and the floor is 0: a measure-zero exception. Otherwise
//!   |wₙ₁| ≤ aρ and from then on the sign alternates every step with
//!   u ↦ aρ − (1 − a) u for u = |w| (it maps [0, aρ/(1 − a)] into itself), a contraction with
//!   factor (1 − a) and fixed point w*: |w| oscillates around w* and converges to it.
//! - **a = 1.** w₁ = −ρ, then ±ρ forever: w* = ρ, reached after one step.
//! - **1 < a < 2.** (1 − a)w and −aρ sign(w) have the same sign, so the sign alternates from the
//!   first step and |w| ↦ (a − 1)|w| + aρ, a contraction with factor a − 1 and fixed point w*:
//!   |w| converges monotonically (from above if w* < 1, from below if w* > 1); 0 is never hit.
//! - **a ≥ 2.** |w| ↦ (a − 1)|w| + aρ ≥ |w| + 2ρ: no floor, the iterate diverges (for ρ > 0).
//! - **a = 0** (η = 0 or λ = 0): w stays at 1.
//!
//! So for every 0 < ηλ < 2 and ρ > 0 the gradient λ|w| tends to λw* > 0, not to 0.
//!
//! **Decaying ρ_t = ρ/√(t+1)** removes the floor: the contraction tracks the moving fixed point,
//! |w_{t+1}| ≈ aρ_t/(2 − a) (an adiabatic approximation, excellent when ρ_t varies slowly compared
//! with the contraction rate), so the floor decays like N^{−1/2}.
//!
//! **Unnormalized SAM** (ê = ρ∇f = ρλw): w ← w − ηλ(w + ρλw) = q w with
//! q = 1 − ηλ(1 + ρλ), so wₜ = qᵗ exactly: it converges to 0 iff |q| < 1, i.e.
//! 0 < ηλ(1 + ρλ) < 2, and never has a floor.
//!
//! ## The measured floor
//! After N steps the floor is max |wₜ| over the last k = ⌈N/10⌉ iterates wₜ,
//! t = N − k + 1, …, N (see [`window_len`]).

use crate::error::{invalid, nonneg, Result};
use sam_objectives::Quadratic;
use sam_optim::{run, ExactGradient, Gd, Optimizer, RunConfig, Sam, Schedule, TraceRow, Usam};
use serde::{Deserialize, Serialize};

/// Which SAM perturbation: ê = ρ g/‖g‖ (Eq. 3) or ê = ρ g.
///
/// ```
/// use sam_convergence::SamVariant;
/// assert_eq!(serde_json::to_string(&SamVariant::Unnormalized).unwrap(), "\"unnormalized\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SamVariant {
    /// ê = ρ g/‖g‖, the review's Eq. (3).
    Normalized,
    /// ê = ρ g.
    Unnormalized,
}

/// Settings of one deterministic SAM run on f(w) = λw²/2 from w = 1.
///
/// ```
/// use sam_convergence::{quadratic_floor_with, QuadraticFloorConfig, SamVariant};
/// let cfg = QuadraticFloorConfig { lambda: 1.0, eta: 0.1, rho: 0.1, steps: 1000,
///                                  decay: false, variant: SamVariant::Unnormalized };
/// assert!(quadratic_floor_with(&cfg).unwrap() < 1e-30);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuadraticFloorConfig {
    /// Curvature λ ≥ 0.
    pub lambda: f64,
    /// Step size η ≥ 0 (constant).
    pub eta: f64,
    /// Radius ρ ≥ 0 (or ρ₀ of ρ/√(t+1) with `decay`).
    pub rho: f64,
    /// Number of steps N ≥ 1.
    pub steps: usize,
    /// ρ_t = ρ/√(t+1) (0-based t) instead of a constant ρ.
    pub decay: bool,
    /// Normalized (Eq. 3) or unnormalized perturbation.
    pub variant: SamVariant,
}

/// The number of iterates in the floor window: k = ⌈N/10⌉ (≥ 1 for N ≥ 1).
///
/// ```
/// use sam_convergence::window_len;
/// assert_eq!((window_len(1), window_len(10), window_len(11), window_len(1000)), (1, 1, 2, 100));
/// ```
pub fn window_len(steps: usize) -> usize {
    steps.div_ceil(10)
}

fn check_qf(lambda: f64, eta: f64, rho: f64, steps: usize) -> Result<()> {
    nonneg("lambda", lambda)?;
    nonneg("eta", eta)?;
    nonneg("rho", rho)?;
    if steps == 0 {
        return Err(invalid(
            "steps",
            steps,
            "the floor is measured over the last 10% of the steps: pass steps >= 1 (e.g. 10000)",
        ));
    }
    if steps > MAX_STEPS {
        return Err(invalid(
            "steps",
            steps,
            format!("at most {MAX_STEPS} (about a minute); the floor settles within a few hundred steps"),
        ));
    }
    Ok(())
}

/// The most steps a floor run accepts, so that it ends in bounded time.
pub const MAX_STEPS: usize = 1_000_000_000;

/// Runs the configured SAM on f(w) = λw²/2 from w = 1 with sam-optim's run loop and returns
/// max |w| over the last [`window_len`] iterates.
///
/// ```
/// use sam_convergence::{quadratic_floor_with, QuadraticFloorConfig, SamVariant};
/// let cfg = QuadraticFloorConfig { lambda: 1.0, eta: 1.0, rho: 0.3, steps: 10,
///                                  decay: false, variant: SamVariant::Normalized };
/// assert!((quadratic_floor_with(&cfg).unwrap() - 0.3).abs() < 1e-15);
/// ```
pub fn quadratic_floor_with(cfg: &QuadraticFloorConfig) -> Result<f64> {
    check_qf(cfg.lambda, cfg.eta, cfg.rho, cfg.steps)?;
    // normalized SAM has a floor only for eta * lambda < 2; unnormalized SAM's |q|^t is
    // measured for every eta (its divergence is part of what it shows)
    if cfg.variant == SamVariant::Normalized && cfg.eta * cfg.lambda >= 2.0 {
        return Err(invalid(
            "eta * lambda",
            cfg.eta * cfg.lambda,
            "it must be < 2: for eta * lambda >= 2 normalized SAM diverges and there is no floor (lower --eta)",
        ));
    }
    let f = Quadratic::new(vec![cfg.lambda], vec![0.0])
        .map_err(|e| invalid("lambda", cfg.lambda, e.to_string()))?;
    let eta = Schedule::constant(cfg.eta)?;
    let rho = if cfg.decay {
        Schedule::inv_sqrt(cfg.rho)?
    } else {
        Schedule::constant(cfg.rho)?
    };
    let base = Gd::new(eta);
    let opt: Box<dyn Optimizer> = match cfg.variant {
        SamVariant::Normalized => Box::new(Sam::new(base, rho)),
        SamVariant::Unnormalized => Box::new(Sam::with_rule(base, Usam, rho)),
    };
    let first = cfg.steps - window_len(cfg.steps) + 1;
    let mut floor = 0.0_f64;
    let mut window_max = |row: &TraceRow| {
        if row.step >= first {
            floor = floor.max(row.x[0].abs());
        }
    };
    run(
        opt,
        &[1.0],
        &mut ExactGradient(&f),
        &RunConfig::steps(cfg.steps),
        &mut [&mut window_max],
    )?;
    Ok(floor)
}

/// The contract of `samlab converge quadratic-floor`: normalized SAM on f(w) = λw²/2 from w = 1,
/// ρ constant or ρ/√(t+1) with `decay`; returns max |w| over the last 10% of the N steps.
///
/// ```
/// use sam_convergence::{floor_closed_form, quadratic_floor};
/// let floor = quadratic_floor(2.0, 0.25, 0.1, 10_000, false).unwrap();
/// assert!((floor - floor_closed_form(2.0, 0.25, 0.1).unwrap()).abs() < 1e-12);
/// assert!(quadratic_floor(2.0, 0.25, 0.1, 10_000, true).unwrap() < 1e-3);
/// assert!(quadratic_floor(-1.0, 0.1, 0.1, 10, false).is_err());
/// assert!(quadratic_floor(1.0, 0.1, 0.1, 0, false).is_err());
/// ```
pub fn quadratic_floor(lambda: f64, eta: f64, rho: f64, steps: usize, decay: bool) -> Result<f64> {
    quadratic_floor_with(&QuadraticFloorConfig {
        lambda,
        eta,
        rho,
        steps,
        decay,
        variant: SamVariant::Normalized,
    })
}

fn valid(lambda: f64, eta: f64, rho: f64) -> bool {
    [lambda, eta, rho]
        .iter()
        .all(|v| v.is_finite() && *v >= 0.0)
}

/// The limit of the constant-ρ normalized-SAM floor from w₀ = 1: w* = ηλρ/(2 − ηλ) for
/// 0 < ηλ < 2, and 1 for ηλ = 0 (w never moves). `None` for ηλ ≥ 2 (divergence for ρ > 0) or
/// invalid inputs. Exception (measure zero): if the orbit lands exactly on 0 (see the module
/// docs) the floor is 0.
///
/// ```
/// use sam_convergence::floor_closed_form;
/// assert_eq!(floor_closed_form(1.0, 1.0, 0.3), Some(0.3));
/// assert_eq!(floor_closed_form(1.0, 2.0, 0.3), None);
/// assert_eq!(floor_closed_form(f64::NAN, 1.0, 0.3), None);
/// ```
pub fn floor_closed_form(lambda: f64, eta: f64, rho: f64) -> Option<f64> {
    if !valid(lambda, eta, rho) {
        return None;
    }
    let a = eta * lambda;
    if a == 0.0 {
        Some(1.0)
    } else if a < 2.0 {
        Some(a * rho / (2.0 - a))
    } else {
        None
    }
}

/// A number of steps n after which every iterate of constant-ρ normalized SAM from w₀ = 1
/// satisfies ||wₜ| − w*| ≤ `tol` (t ≥ n), from the contraction argument of the module docs
/// (plus one step of margin for rounding). `None` outside 0 ≤ ηλ < 2 or for `tol` ≤ 0.
/// Ignores the measure-zero exact-zero exception.
///
/// ```
/// use sam_convergence::floor_settling_steps;
/// assert_eq!(floor_settling_steps(1.0, 1.0, 0.5, 1e-9), Some(2)); // 1 step + 1 of margin
/// assert!(floor_settling_steps(1.0, 0.1, 0.5, 1e-9).unwrap() > 100);
/// ```
pub fn floor_settling_steps(lambda: f64, eta: f64, rho: f64, tol: f64) -> Option<usize> {
    if !(valid(lambda, eta, rho) && tol > 0.0 && tol.is_finite()) {
        return None;
    }
    let a = eta * lambda;
    let steps_for = |ratio: f64, factor: f64| -> f64 {
        // smallest n >= 0 with factor^n * ratio <= 1 (0 < factor < 1)
        if ratio <= 1.0 {
            0.0
        } else {
            (ratio.ln() / -factor.ln()).ceil()
        }
    };
    let n = if a == 0.0 {
        0.0
    } else if a >= 2.0 {
        return None;
    } else if a == 1.0 {
        1.0
    } else if rho == 0.0 {
        steps_for(1.0 / tol, (1.0 - a).abs())
    } else if a < 1.0 {
        let n1 = steps_for((1.0 + rho) / rho, 1.0 - a);
        n1 + steps_for(a * rho / tol, 1.0 - a)
    } else {
        let w = a * rho / (2.0 - a);
        steps_for((1.0 - w).abs() / tol, a - 1.0)
    };
    Some(n as usize + 1)
}

/// Whether unnormalized SAM (ê = ρ∇f) on λw²/2 converges to 0: |1 − ηλ(1 + ρλ)| < 1.
///
/// ```
/// use sam_convergence::unnormalized_converges;
/// assert!(unnormalized_converges(1.0, 0.5, 1.0));   // q = 0
/// assert!(!unnormalized_converges(1.0, 1.0, 1.0));  // q = -1
/// ```
pub fn unnormalized_converges(lambda: f64, eta: f64, rho: f64) -> bool {
    valid(lambda, eta, rho) && (1.0 - eta * lambda * (1.0 + rho * lambda)).abs() < 1.0
}

/// The exact floor of constant-ρ unnormalized SAM after N steps: wₜ = qᵗ with
/// q = 1 − ηλ(1 + ρλ), so the floor is max over the window of |q|ᵗ: |q|^{N−k+1} if |q| ≤ 1,
/// |q|^N otherwise. `None` for invalid inputs or N = 0.
///
/// ```
/// use sam_convergence::unnormalized_floor_closed_form;
/// assert_eq!(unnormalized_floor_closed_form(1.0, 0.25, 1.0, 10), Some(0.5f64.powi(10)));
/// ```
pub fn unnormalized_floor_closed_form(
    lambda: f64,
    eta: f64,
    rho: f64,
    steps: usize,
) -> Option<f64> {
    if !valid(lambda, eta, rho) || steps == 0 {
        return None;
    }
    let q = (1.0 - eta * lambda * (1.0 + rho * lambda)).abs();
    let t = if q <= 1.0 {
        steps - window_len(steps) + 1
    } else {
        steps
    };
    Some(q.powf(t as f64))
}

/// The adiabatic approximation of the decaying-ρ floor: aρ_s/(2 − a) with ρ_s = ρ/√s at the
/// window's first iterate s = N − ⌈N/10⌉ + 1 (produced by step s − 1, 0-based). An
/// approximation, not exact; `None` outside 0 < ηλ < 2.
///
/// ```
/// use sam_convergence::{decaying_floor_approx, quadratic_floor};
/// let approx = decaying_floor_approx(1.0, 0.5, 0.5, 10_000).unwrap();
/// let sim = quadratic_floor(1.0, 0.5, 0.5, 10_000, true).unwrap();
/// assert!((sim / approx - 1.0).abs() < 0.01);
/// ```
pub fn decaying_floor_approx(lambda: f64, eta: f64, rho: f64, steps: usize) -> Option<f64> {
    if steps == 0 {
        return None;
    }
    let a = eta * lambda;
    if !valid(lambda, eta, rho) || a <= 0.0 || a >= 2.0 {
        return None;
    }
    let s = (steps - window_len(steps) + 1) as f64;
    Some(a * rho / ((2.0 - a) * s.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_zero_exception() {
        // a = 1/2, rho = 1: w1 = 0.5 * 1 - 0.5 * 1 = 0, then 0 forever.
        assert_eq!(quadratic_floor(1.0, 0.5, 1.0, 100, false).unwrap(), 0.0);
    }

    #[test]
    fn divergence_is_an_error_not_a_panic() {
        // eta * lambda >= 2: no floor exists, refused up front (issue 12, item 9)
        let e = quadratic_floor(1.0, 3.0, 0.5, 100_000, false).unwrap_err();
        assert!(e.to_string().contains("eta * lambda = 3 is invalid"), "{e}");
        // unnormalized SAM with |1 - eta lambda (1 + rho lambda)| = 2 > 1: diverges in the run
        let r = quadratic_floor_with(&QuadraticFloorConfig {
            lambda: 1.0,
            eta: 1.5,
            rho: 1.0,
            steps: 100_000,
            decay: false,
            variant: SamVariant::Unnormalized,
        });
        assert!(r.unwrap_err().to_string().contains("diverged"));
    }

    #[test]
    fn invalid_inputs_name_the_value() {
        let e = quadratic_floor(1.0, f64::NAN, 0.1, 10, false).unwrap_err();
        assert!(e.to_string().contains("eta = NaN"), "{e}");
        let e = quadratic_floor(1.0, 0.1, -0.1, 10, false).unwrap_err();
        assert!(e.to_string().contains("rho = -0.1"), "{e}");
        let e = quadratic_floor(1.0, 0.1, 0.1, 0, false).unwrap_err();
        assert!(e.to_string().contains("steps = 0"), "{e}");
    }
}
