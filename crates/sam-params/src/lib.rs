//! # sam-params
//!
//! One job: hyperparameters are checked once, at construction, with one error shape. A bad value
//! gives an [`Invalid`] whose message names the value and the allowed range,
//! `"rho = -1 is invalid: it must be finite and >= 0 (e.g. 0.05)"`, whichever crate found it
//! (each crate's error enum wraps it). Parameter sets implement [`ParamGuard`] (the pattern of
//! linfa's `ParamGuard`): [`ParamGuard::check`] turns them into a [`Checked`] value, which the
//! code that runs them takes, so a checked set is not checked again on the way down.
//!
//! ```
//! use sam_params::{finite_nonneg, Checked, Invalid, ParamGuard};
//! #[derive(Debug)]
//! struct Radius(f64);
//! impl ParamGuard for Radius {
//!     fn check_ref(&self) -> Result<(), Invalid> {
//!         finite_nonneg("rho", self.0, "0.05").map(|_| ())
//!     }
//! }
//! let e = Radius(-1.0).check().unwrap_err();
//! assert_eq!(e.to_string(), "rho = -1 is invalid: it must be finite and >= 0 (e.g. 0.05)");
//! let ok: Checked<Radius> = Radius(0.1).check().unwrap();
//! assert_eq!((*ok).0, 0.1);
//! ```

use std::fmt::Display;

/// A hyperparameter outside its allowed range: the one error shape of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} = {value} is invalid: {allowed}")]
pub struct Invalid {
    /// The hyperparameter, as the user spells it (`rho`, `lr`, `--m-sharpness`, ...).
    pub name: String,
    /// Its value as given.
    pub value: String,
    /// The allowed range, and what to pass instead.
    pub allowed: String,
}

impl Invalid {
    /// An error for `name = value` with the allowed range `allowed`.
    ///
    /// ```
    /// let e = sam_params::Invalid::new("epochs", 0, "run at least 1 epoch");
    /// assert_eq!(e.to_string(), "epochs = 0 is invalid: run at least 1 epoch");
    /// ```
    pub fn new(name: impl Into<String>, value: impl Display, allowed: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }
}

/// `v` as a user reads it: as written when short (`0.05`, `-1`, `NaN`), in scientific notation
/// when its plain form would run to many digits (`1e-50`, `1e308`).
///
/// ```
/// assert_eq!(sam_params::show(0.05), "0.05");
/// assert_eq!(sam_params::show(1e-50), "1e-50");
/// assert_eq!(sam_params::show(-1e308), "-1e308");
/// ```
pub fn show(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() <= 16 {
        plain
    } else {
        format!("{v:e}")
    }
}

/// Parses one number as a user typed it: a number, or `NaN`/`inf` (which the settings' own
/// checks then refuse with their allowed range), but never a value that silently overflows to
/// infinity or underflows to 0 (`1e400`, `1e-400`). The command-line parsers use it.
///
/// ```
/// assert_eq!(sam_params::parse_f64("-1.5"), Ok(-1.5));
/// assert!(sam_params::parse_f64("1e-400").unwrap_err().contains("underflows"));
/// assert!(sam_params::parse_f64("1e400").unwrap_err().contains("overflows"));
/// assert!(sam_params::parse_f64("x").unwrap_err().contains("not a number"));
/// ```
pub fn parse_f64(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let v: f64 = t.parse().map_err(|_| format!("'{s}' is not a number"))?;
    let mantissa = t.split(['e', 'E']).next().unwrap_or("");
    let named = t.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if v.is_infinite() && !named.starts_with("inf") {
        return Err(format!(
            "'{s}' overflows f64 (its magnitude is above 1.8e308)"
        ));
    }
    if v == 0.0 && mantissa.chars().any(|c| ('1'..='9').contains(&c)) {
        return Err(format!(
            "'{s}' underflows to 0 in f64 (its magnitude is below 5e-324)"
        ));
    }
    Ok(v)
}

/// `v` if it is finite and ≥ 0; `example` is a valid value to suggest.
///
/// ```
/// assert!(sam_params::finite_nonneg("rho", f64::NAN, "0.05").is_err());
/// assert_eq!(sam_params::finite_nonneg("rho", 0.0, "0.05"), Ok(0.0));
/// ```
pub fn finite_nonneg(name: &str, v: f64, example: &str) -> Result<f64, Invalid> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(Invalid::new(
            name,
            show(v),
            format!("it must be finite and >= 0 (e.g. {example})"),
        ))
    }
}

/// `v` if it is finite and > 0; `example` is a valid value to suggest.
///
/// ```
/// let e = sam_params::finite_pos("lr", 0.0, "0.01").unwrap_err();
/// assert_eq!(e.to_string(), "lr = 0 is invalid: it must be finite and > 0 (e.g. 0.01)");
/// ```
pub fn finite_pos(name: &str, v: f64, example: &str) -> Result<f64, Invalid> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Invalid::new(
            name,
            show(v),
            format!("it must be finite and > 0 (e.g. {example})"),
        ))
    }
}

/// `v` if it is at least `min`.
///
/// ```
/// assert!(sam_params::at_least("iterations", 0, 1, "1000").is_err());
/// assert_eq!(sam_params::at_least("iterations", 5, 1, "1000"), Ok(5));
/// ```
pub fn at_least(name: &str, v: usize, min: usize, example: &str) -> Result<usize, Invalid> {
    if v >= min {
        Ok(v)
    } else {
        Err(Invalid::new(
            name,
            v,
            format!("it must be >= {min} (e.g. {example})"),
        ))
    }
}

/// A parameter set that can check itself (linfa's `ParamGuard`).
pub trait ParamGuard: Sized {
    /// Checks every hyperparameter; the error names the first bad one and its range.
    fn check_ref(&self) -> Result<(), Invalid>;

    /// Checks once and wraps the set as [`Checked`].
    fn check(self) -> Result<Checked<Self>, Invalid> {
        self.check_ref()?;
        Ok(Checked(self))
    }
}

/// A parameter set that passed [`ParamGuard::check`]. Only `check` makes one, so code that takes
/// a `Checked<P>` need not check again. It dereferences to the set.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<P>(pub(crate) P);

impl<P> Checked<P> {
    /// The checked set.
    ///
    /// ```
    /// use sam_params::{Invalid, ParamGuard};
    /// struct N(usize);
    /// impl ParamGuard for N {
    ///     fn check_ref(&self) -> Result<(), Invalid> { sam_params::at_least("n", self.0, 1, "1").map(|_| ()) }
    /// }
    /// assert_eq!(N(3).check().unwrap().into_inner().0, 3);
    /// ```
    pub fn into_inner(self) -> P {
        self.0
    }
}

impl<P> std::ops::Deref for Checked<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.0
    }
}
