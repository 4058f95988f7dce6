//! # sam-objectives
//!
//! One job: describe objective functions by capability and provide the review's test landscapes.
//!
//! Capabilities are small traits, one each (as in argmin's `CostFunction`/`Gradient`/`Hessian`):
//! [`Objective`] (value), [`Gradient`], [`Hessian`] (dense), [`HessianVectorProduct`] and
//! [`Minibatch`]. An algorithm asks in its `where` clause for exactly what it needs.
//!
//! Landscapes (review "Sharpness-Aware Minimization ... A Review", `paper/sam-review.txt`):
//! - [`Fig1`]: f(x) = x²(x−1)²/(x²+10⁻⁴), Figure 1 (section 2.1.1): a sharp minimum at 0, a flat one at 1;
//! - [`Fig2`]: f(x,y) = (x−1)²y², Figure 2 (section 2.3.1): minima on the lines x = 1 and y = 0;
//! - [`Quadratic`]: f(t) = ½tᵀAt + bᵀt;
//! - [`Rosenbrock`]: f(x) = Σ (a−xᵢ)² + b(xᵢ₊₁−xᵢ²)²;
//! - [`DiagNet`]: the diagonal linear network β = u ⊙ v on sparse regression (Andriushchenko &
//!   Flammarion 2022), the m-sharpness model of review §2.3/§3.4.
//!
//! Every gradient and Hessian is analytic and checked against finite differences by property tests.
//!
//! ```
//! use sam_objectives::{Fig2, Gradient, Objective};
//! let f = Fig2;
//! assert_eq!(f.value(&[2.0, 3.0]), 9.0);
//! assert_eq!(f.gradient(&[2.0, 3.0]), vec![18.0, 6.0]);
//! ```

mod diagnet;
mod landscapes;
mod traits;

pub use diagnet::DiagNet;
pub use landscapes::{by_name, AnyObjective, Fig1, Fig2, Quadratic, Rosenbrock, FIG1_EPS};
pub use nalgebra::{DMatrix, DVector};
pub use traits::{
    central_difference_gradient, central_difference_hessian, Gradient, Hessian,
    HessianVectorProduct, Minibatch, Objective,
};

/// Errors of this crate: they carry the offending value.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ObjectiveError {
    /// A point of the wrong dimension was given.
    #[error("point has dimension {got}, but objective '{name}' needs {expected}: pass {expected} comma-separated coordinates")]
    Dimension {
        /// Objective name.
        name: String,
        /// Expected dimension.
        expected: usize,
        /// Received dimension.
        got: usize,
    },
    /// An unknown objective name.
    #[error("unknown objective '{0}': use one of fig1, fig2, rosenbrock, quadratic")]
    Unknown(String),
    /// Bad quadratic data.
    #[error("invalid quadratic: {0}")]
    Quadratic(String),
    /// A non-finite coordinate.
    #[error("coordinate {index} of the point is {value}: every coordinate must be finite")]
    NonFinite {
        /// Index of the coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },
}

/// Checks that `x` has the dimension `f` needs and only finite coordinates.
///
/// ```
/// use sam_objectives::{check_point, Fig2};
/// assert!(check_point(&Fig2, &[1.0, 2.0]).is_ok());
/// assert!(check_point(&Fig2, &[1.0]).is_err());
/// ```
pub fn check_point<F: Objective + ?Sized>(f: &F, x: &[f64]) -> Result<(), ObjectiveError> {
    if x.len() != f.dim() {
        return Err(ObjectiveError::Dimension {
            name: f.name(),
            expected: f.dim(),
            got: x.len(),
        });
    }
    if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(ObjectiveError::NonFinite { index, value });
    }
    Ok(())
}
