//! This crate's error type.

/// Errors of `sam-convergence`; messages name the offending value and what to do.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ConvergenceError {
    /// A setting is out of its range (the workspace's one error shape).
    #[error(transparent)]
    Invalid(#[from] sam_params::Invalid),
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
    ConvergenceError::Invalid(sam_params::Invalid::new(name, value, allowed))
}

/// Checks that `v` is finite and >= 0.
pub(crate) fn nonneg(name: &'static str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(invalid(name, v, "it must be finite and >= 0"))
    }
}
