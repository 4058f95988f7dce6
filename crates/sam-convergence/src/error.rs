//! This crate's error type.

/// Errors of `sam-convergence`; messages name the offending value and what to do.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ConvergenceError {
    /// A setting is out of its range.
    #[error("{name} = {value} is invalid: {allowed}")]
    Invalid {
        /// Name of the setting.
        name: &'static str,
        /// Its value (as text, so vectors and integers fit too).
        value: String,
        /// The allowed range and what to do.
        allowed: String,
    },
    /// The optimizer or run loop failed (divergence, bad schedule value).
    #[error("optimizer run failed: {0}")]
    Optim(#[from] sam_optim::OptimError),
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, ConvergenceError>;

/// Builds an [`ConvergenceError::Invalid`].
pub(crate) fn invalid(
    name: &'static str,
    value: impl std::fmt::Display,
    allowed: impl Into<String>,
) -> ConvergenceError {
    ConvergenceError::Invalid {
        name,
        value: value.to_string(),
        allowed: allowed.into(),
    }
}

/// Checks that `v` is finite and >= 0.
pub(crate) fn nonneg(name: &'static str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(invalid(name, v, "it must be finite and >= 0"))
    }
}
