//! The one error type of this crate.

use sam_objectives::ObjectiveError;

/// Errors of `sam-sharpness`: each names the offending value and what to do about it.
///
/// ```
/// use sam_sharpness::{first_order, SharpnessError};
/// let err = first_order(&[1.0], -0.5).unwrap_err();
/// assert!(matches!(err, SharpnessError::Rho(v) if v == -0.5));
/// ```
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum SharpnessError {
    /// ρ is negative, NaN or infinite.
    #[error("rho = {0} is invalid: the radius must be finite and >= 0 (for example 0.05)")]
    Rho(f64),
    /// The point has the wrong dimension or a non-finite coordinate.
    #[error(transparent)]
    Point(#[from] ObjectiveError),
    /// Two inputs disagree in length.
    #[error("{what} has length {got} but {expected} is needed: pass vectors and matrices of the objective's dimension")]
    Dimension {
        /// Which input.
        what: &'static str,
        /// Required length.
        expected: usize,
        /// Received length.
        got: usize,
    },
    /// An input or the objective produced a NaN or infinite number.
    #[error("{what} is {value}, not finite: move the point closer to where the objective is finite, or check the inputs")]
    NonFinite {
        /// What was not finite.
        what: &'static str,
        /// The value (first non-finite entry).
        value: f64,
    },
    /// A setting is out of its range (the workspace's one error shape).
    #[error(transparent)]
    Setting(#[from] sam_params::Invalid),
    /// The internal optimizer (argmin) failed; this is a bug, please report it with the inputs.
    #[error("internal ascent solver failed: {0}")]
    Solver(String),
}

/// This crate's result type.
///
/// ```
/// let r: sam_sharpness::Result<f64> = Ok(1.0);
/// assert!(r.is_ok());
/// ```
pub type Result<T> = std::result::Result<T, SharpnessError>;

/// Checks ρ: finite and >= 0.
pub(crate) fn check_rho(rho: f64) -> Result<()> {
    if rho.is_finite() && rho >= 0.0 {
        Ok(())
    } else {
        Err(SharpnessError::Rho(rho))
    }
}

/// Checks that every entry of `v` is finite.
pub(crate) fn check_finite(what: &'static str, v: &[f64]) -> Result<()> {
    match v.iter().find(|a| !a.is_finite()) {
        Some(&value) => Err(SharpnessError::NonFinite { what, value }),
        None => Ok(()),
    }
}
