//! The crate's single error type and the input checks shared by every function.

/// Everything that can be wrong with the inputs of this crate's functions.
///
/// Every message names the offending value and the allowed range.
///
/// ```
/// use sam_pacbayes::{lemma1_bound, PacBayesError};
/// let err = lemma1_bound(1.0, 100, 1.5).unwrap_err();
/// assert_eq!(err, PacBayesError::Delta(1.5));
/// assert_eq!(
///     err.to_string(),
///     "delta = 1.5 is invalid: it must lie in (0, 1), e.g. 0.05"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PacBayesError {
    /// A confidence parameter outside the open interval (0, 1) (or NaN).
    #[error("delta = {} is invalid: it must lie in (0, 1), e.g. 0.05", sam_params::show(*.0))]
    Delta(f64),
    /// A sample size below 2 or above 2^53 (where it stops being exact as an f64).
    #[error("n = {0} is invalid: it must lie in [2, 2^53] (the bounds need at least two training samples)")]
    SampleSize(u64),
    /// A dimension (number of parameters) of zero or above 2^53.
    #[error(
        "d = {0} is invalid: it must lie in [1, 2^53] (the number of parameters of the model)"
    )]
    Dimension(u64),
    /// A scale or target that must be finite and strictly positive.
    #[error("{name} = {} is invalid: it must be finite and > 0", sam_params::show(*.value))]
    NotPositive {
        /// Name of the parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A quantity that must be finite and non-negative (a norm, a KL divergence, a kl budget).
    #[error("{name} = {} is invalid: it must be finite and >= 0", sam_params::show(*.value))]
    Negative {
        /// Name of the parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// A probability or a [0, 1]-valued loss outside [0, 1] (or NaN).
    #[error("{name} = {} is invalid: it must lie in [0, 1] (a probability, or a loss bounded in [0, 1])", sam_params::show(*.value))]
    Probability {
        /// Name of the parameter.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// Monte Carlo counts that do not make sense (no samples, or more errors than samples).
    #[error("errors = {errors}, samples = {samples}: need samples in [1, 2^53] and errors in [0, samples]")]
    Counts {
        /// Number of errors counted.
        errors: u64,
        /// Number of Monte Carlo samples.
        samples: u64,
    },
    /// An empty grid of prior scales.
    #[error("the grid of prior scales sigma_p is empty: pass at least one sigma_p > 0")]
    EmptyGrid,
    /// A target complexity so small that the required n exceeds 2^53.
    #[error("target = {0} needs more than 2^53 samples: pass a larger target")]
    Unreachable(f64),
}

/// `Result` with this crate's error.
///
/// ```
/// use sam_pacbayes::{kl_bernoulli, Result};
/// fn doubled(q: f64, p: f64) -> Result<f64> {
///     Ok(2.0 * kl_bernoulli(q, p)?)
/// }
/// assert!(doubled(f64::NAN, 0.5).is_err());
/// ```
pub type Result<T> = std::result::Result<T, PacBayesError>;

/// Largest sample size / dimension / Monte Carlo count accepted: integers up to 2^53 are exact
/// in f64.
///
/// ```
/// use sam_pacbayes::{lemma1_bound, MAX_COUNT};
/// assert!(lemma1_bound(0.0, MAX_COUNT, 0.05).is_ok());
/// assert!(lemma1_bound(0.0, MAX_COUNT + 1, 0.05).is_err());
/// ```
pub const MAX_COUNT: u64 = 1 << 53;

pub(crate) fn check_delta(delta: f64) -> Result<f64> {
    if delta > 0.0 && delta < 1.0 {
        Ok(delta)
    } else {
        Err(PacBayesError::Delta(delta))
    }
}

pub(crate) fn check_n(n: u64) -> Result<f64> {
    if (2..=MAX_COUNT).contains(&n) {
        Ok(n as f64)
    } else {
        Err(PacBayesError::SampleSize(n))
    }
}

pub(crate) fn check_d(d: u64) -> Result<f64> {
    if (1..=MAX_COUNT).contains(&d) {
        Ok(d as f64)
    } else {
        Err(PacBayesError::Dimension(d))
    }
}

pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(PacBayesError::NotPositive { name, value })
    }
}

pub(crate) fn check_nonnegative(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(PacBayesError::Negative { name, value })
    }
}

pub(crate) fn check_probability(name: &'static str, value: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(PacBayesError::Probability { name, value })
    }
}
