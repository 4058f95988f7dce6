//! Schedules for η and ρ: constant, c/√(t+1), or a user function.

use crate::{OptimError, Result};
use std::fmt;
use std::sync::Arc;

/// A step-size (η) or radius (ρ) schedule indexed by the 0-based step t.
///
/// The decaying schedule is c/√(t+1): Theorem 2 of the review writes η₀/√t with t starting at 1;
/// with 0-based steps t+1 plays that role and avoids the undefined η₀/√0.
///
/// ```
/// use sam_optim::Schedule;
/// let s = Schedule::inv_sqrt(1.0).unwrap();
/// assert_eq!(s.at(3), 0.5);
/// assert!(Schedule::constant(-1.0).is_err());
/// ```
#[derive(Clone)]
pub enum Schedule {
    /// The same value at every step.
    Constant(f64),
    /// c/√(t+1).
    InvSqrt(f64),
    /// Any function of t; its values are checked when used.
    Custom(Arc<dyn Fn(usize) -> f64 + Send + Sync>),
}

fn check(name: &'static str, c: f64) -> Result<f64> {
    if c.is_finite() && c >= 0.0 {
        Ok(c)
    } else {
        Err(OptimError::from(sam_params::Invalid::new(
            name,
            sam_params::show(c),
            "it must be finite and >= 0",
        )))
    }
}

impl Schedule {
    /// A constant schedule; `c` must be finite and ≥ 0.
    pub fn constant(c: f64) -> Result<Self> {
        check("schedule constant", c).map(Schedule::Constant)
    }
    /// c/√(t+1); `c` must be finite and ≥ 0.
    pub fn inv_sqrt(c: f64) -> Result<Self> {
        check("schedule scale", c).map(Schedule::InvSqrt)
    }
    /// A user function of the 0-based step.
    pub fn custom(f: impl Fn(usize) -> f64 + Send + Sync + 'static) -> Self {
        Schedule::Custom(Arc::new(f))
    }
    /// The value at step t (unchecked).
    pub fn at(&self, t: usize) -> f64 {
        match self {
            Schedule::Constant(c) => *c,
            Schedule::InvSqrt(c) => c / ((t + 1) as f64).sqrt(),
            Schedule::Custom(f) => f(t),
        }
    }
    /// The value at step t, checked to be finite and ≥ 0; `name` is used in the error.
    pub fn checked_at(&self, name: &'static str, t: usize) -> Result<f64> {
        let value = self.at(t);
        if value.is_finite() && value >= 0.0 {
            Ok(value)
        } else {
            Err(OptimError::Schedule {
                name,
                step: t,
                value,
            })
        }
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Constant(c) => write!(f, "constant({c})"),
            Schedule::InvSqrt(c) => write!(f, "{c}/sqrt(t+1)"),
            Schedule::Custom(_) => write!(f, "custom"),
        }
    }
}
