//! The review's landscapes, with analytic gradients and Hessians.

use crate::{Gradient, Hessian, HessianVectorProduct, Objective, ObjectiveError};
use nalgebra::{DMatrix, DVector};

/// The smoothing constant of Figure 1's function, 10⁻⁴.
pub const FIG1_EPS: f64 = 1e-4;

fn hvp_from_dense<F: Hessian + ?Sized>(f: &F, x: &[f64], v: &[f64]) -> Vec<f64> {
    (f.hessian(x) * DVector::from_column_slice(v))
        .iter()
        .copied()
        .collect()
}

/// Figure 1 (section 2.1.1): f(x) = x²(x−1)²/(x²+ε), ε = 10⁻⁴.
///
/// Minima at x = 0 (f''(0) = 2/ε = 2·10⁴, sharp) and x = 1 (f''(1) = 2/(1+ε) ≈ 2, flat).
///
/// ```
/// use sam_objectives::{Fig1, Hessian, Objective};
/// assert_eq!(Fig1.value(&[1.0]), 0.0);
/// assert!((Fig1.hessian(&[0.0])[(0, 0)] - 2e4).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Fig1;

impl Fig1 {
    /// (f, f', f'') at x.
    fn derivatives(x: f64) -> (f64, f64, f64) {
        let p = x * x - x; // u = p², p = x(x−1)
        let u = p * p;
        let du = 2.0 * p * (2.0 * x - 1.0);
        let d2u = 2.0 * (2.0 * x - 1.0).powi(2) + 4.0 * p;
        let v = x * x + FIG1_EPS;
        let dv = 2.0 * x;
        let d2v = 2.0;
        // f ≥ 0: at a finite x whose powers overflow (|x| ≳ 1e77), f is +inf, not NaN
        let f = match u / v {
            f if f.is_nan() && x.is_finite() => f64::INFINITY,
            f => f,
        };
        let num = du * v - u * dv; // f' = num / v²
        let df = num / (v * v);
        let d2f = (d2u * v - u * d2v) / (v * v) - 2.0 * dv * num / (v * v * v);
        (f, df, d2f)
    }
}

impl Objective for Fig1 {
    fn dim(&self) -> usize {
        1
    }
    fn value(&self, x: &[f64]) -> f64 {
        Self::derivatives(x[0]).0
    }
    fn name(&self) -> String {
        "fig1".into()
    }
}
impl Gradient for Fig1 {
    fn gradient(&self, x: &[f64]) -> Vec<f64> {
        vec![Self::derivatives(x[0]).1]
    }
    fn gradient_into(&self, x: &[f64], out: &mut [f64]) {
        out[0] = Self::derivatives(x[0]).1;
    }
}
impl Hessian for Fig1 {
    fn hessian(&self, x: &[f64]) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, Self::derivatives(x[0]).2)
    }
}
impl HessianVectorProduct for Fig1 {
    fn hvp(&self, x: &[f64], v: &[f64]) -> Vec<f64> {
        hvp_from_dense(self, x, v)
    }
}

/// Figure 2 (section 2.3.1): f(x, y) = (x−1)²y².
///
/// Minima on the lines y = 0 (λ_max = 2(x−1)²) and x = 1 (λ_max = 2y²).
///
/// ```
/// use sam_objectives::{Fig2, Hessian};
/// let h = Fig2.hessian(&[3.0, 0.0]);
/// assert_eq!(h[(1, 1)], 8.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Fig2;

impl Objective for Fig2 {
    fn dim(&self) -> usize {
        2
    }
    fn value(&self, p: &[f64]) -> f64 {
        let (a, y) = (p[0] - 1.0, p[1]);
        a * a * y * y
    }
    fn name(&self) -> String {
        "fig2".into()
    }
}
impl Gradient for Fig2 {
    fn gradient(&self, p: &[f64]) -> Vec<f64> {
        let mut g = vec![0.0; 2];
        self.gradient_into(p, &mut g);
        g
    }
    fn gradient_into(&self, p: &[f64], out: &mut [f64]) {
        let (a, y) = (p[0] - 1.0, p[1]);
        out[0] = 2.0 * a * y * y;
        out[1] = 2.0 * a * a * y;
    }
}
impl Hessian for Fig2 {
    fn hessian(&self, p: &[f64]) -> DMatrix<f64> {
        let (a, y) = (p[0] - 1.0, p[1]);
        DMatrix::from_row_slice(2, 2, &[2.0 * y * y, 4.0 * a * y, 4.0 * a * y, 2.0 * a * a])
    }
}
impl HessianVectorProduct for Fig2 {
    fn hvp(&self, x: &[f64], v: &[f64]) -> Vec<f64> {
        hvp_from_dense(self, x, v)
    }
}

/// f(t) = ½ tᵀAt + bᵀt with A symmetric.
///
/// ```
/// use sam_objectives::{Gradient, Quadratic};
/// let q = Quadratic::new(vec![2.0, 0.0, 0.0, 1.0], vec![1.0, 0.0]).unwrap();
/// assert_eq!(q.gradient(&[1.0, 1.0]), vec![3.0, 1.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Quadratic {
    a: DMatrix<f64>,
    b: DVector<f64>,
}

impl Quadratic {
    /// Builds from a row-major d×d matrix `a` and a vector `b` of length d.
    /// Rejects non-square, mismatched, non-finite or non-symmetric (beyond 1e-12 relative) data.
    pub fn new(a: Vec<f64>, b: Vec<f64>) -> Result<Self, ObjectiveError> {
        let d = b.len();
        if d == 0 || a.len() != d * d {
            return Err(ObjectiveError::Quadratic(format!(
                "matrix has {} entries but the linear term has {} (need d*d = {} entries, d >= 1)",
                a.len(),
                d,
                d * d
            )));
        }
        if let Some(k) = a.iter().position(|v| !v.is_finite()) {
            return Err(ObjectiveError::Quadratic(format!(
                "matrix entry ({}, {}) is {}: every entry must be finite",
                k / d + 1,
                k % d + 1,
                a[k]
            )));
        }
        if let Some(k) = b.iter().position(|v| !v.is_finite()) {
            return Err(ObjectiveError::Quadratic(format!(
                "linear term entry {} is {}: every entry must be finite",
                k + 1,
                b[k]
            )));
        }
        let a = DMatrix::from_row_slice(d, d, &a);
        let scale = a.amax().max(1.0);
        for i in 0..d {
            for j in 0..i {
                if (a[(i, j)] - a[(j, i)]).abs() > 1e-12 * scale {
                    return Err(ObjectiveError::Quadratic(format!(
                        "matrix is not symmetric: a[{i}][{j}] = {} but a[{j}][{i}] = {}",
                        a[(i, j)],
                        a[(j, i)]
                    )));
                }
            }
        }
        Ok(Self {
            a,
            b: DVector::from_vec(b),
        })
    }
    /// The matrix A.
    pub fn matrix(&self) -> &DMatrix<f64> {
        &self.a
    }
    /// The linear term b.
    pub fn linear(&self) -> &DVector<f64> {
        &self.b
    }
}

impl Objective for Quadratic {
    fn dim(&self) -> usize {
        self.b.len()
    }
    fn value(&self, x: &[f64]) -> f64 {
        let t = DVector::from_column_slice(x);
        0.5 * t.dot(&(&self.a * &t)) + self.b.dot(&t)
    }
    fn name(&self) -> String {
        "quadratic".into()
    }
}
impl Gradient for Quadratic {
    fn gradient(&self, x: &[f64]) -> Vec<f64> {
        let t = DVector::from_column_slice(x);
        (&self.a * t + &self.b).iter().copied().collect()
    }
}
impl Hessian for Quadratic {
    fn hessian(&self, _x: &[f64]) -> DMatrix<f64> {
        self.a.clone()
    }
}
impl HessianVectorProduct for Quadratic {
    fn hvp(&self, _x: &[f64], v: &[f64]) -> Vec<f64> {
        (&self.a * DVector::from_column_slice(v))
            .iter()
            .copied()
            .collect()
    }
}

/// The Rosenbrock function f(x) = Σᵢ (a−xᵢ)² + b(xᵢ₊₁−xᵢ²)², a = 1, b = 100, in d ≥ 2 dimensions.
///
/// ```
/// use sam_objectives::{Objective, Rosenbrock};
/// assert_eq!(Rosenbrock::new(3).value(&[1.0, 1.0, 1.0]), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rosenbrock {
    d: usize,
}

impl Rosenbrock {
    /// a in (a−xᵢ)².
    pub const A: f64 = 1.0;
    /// b in b(xᵢ₊₁−xᵢ²)².
    pub const B: f64 = 100.0;
    /// Rosenbrock in `d` dimensions (d ≥ 2; smaller values are raised to 2).
    pub fn new(d: usize) -> Self {
        Self { d: d.max(2) }
    }
}

impl Objective for Rosenbrock {
    fn dim(&self) -> usize {
        self.d
    }
    fn value(&self, x: &[f64]) -> f64 {
        x.windows(2)
            .map(|w| (Self::A - w[0]).powi(2) + Self::B * (w[1] - w[0] * w[0]).powi(2))
            .sum()
    }
    fn name(&self) -> String {
        "rosenbrock".into()
    }
}
impl Gradient for Rosenbrock {
    fn gradient(&self, x: &[f64]) -> Vec<f64> {
        let mut g = vec![0.0; x.len()];
        for i in 0..x.len() - 1 {
            let r = x[i + 1] - x[i] * x[i];
            g[i] += -2.0 * (Self::A - x[i]) - 4.0 * Self::B * x[i] * r;
            g[i + 1] += 2.0 * Self::B * r;
        }
        g
    }
}
impl Hessian for Rosenbrock {
    fn hessian(&self, x: &[f64]) -> DMatrix<f64> {
        let d = x.len();
        let mut h = DMatrix::zeros(d, d);
        for i in 0..d - 1 {
            h[(i, i)] += 2.0 - 4.0 * Self::B * (x[i + 1] - 3.0 * x[i] * x[i]);
            h[(i, i + 1)] += -4.0 * Self::B * x[i];
            h[(i + 1, i)] += -4.0 * Self::B * x[i];
            h[(i + 1, i + 1)] += 2.0 * Self::B;
        }
        h
    }
}
impl HessianVectorProduct for Rosenbrock {
    fn hvp(&self, x: &[f64], v: &[f64]) -> Vec<f64> {
        hvp_from_dense(self, x, v)
    }
}

/// Any of the built-in landscapes, for command-line dispatch.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyObjective {
    /// [`Fig1`].
    Fig1(Fig1),
    /// [`Fig2`].
    Fig2(Fig2),
    /// [`Quadratic`].
    Quadratic(Quadratic),
    /// [`Rosenbrock`].
    Rosenbrock(Rosenbrock),
}

/// Looks a landscape up by name; `dim` sets Rosenbrock's dimension, `quadratic` the quadratic's data.
///
/// ```
/// use sam_objectives::{by_name, Objective};
/// assert_eq!(by_name("fig2", 2, None).unwrap().dim(), 2);
/// assert!(by_name("nope", 2, None).is_err());
/// ```
pub fn by_name(
    name: &str,
    dim: usize,
    quadratic: Option<Quadratic>,
) -> Result<AnyObjective, ObjectiveError> {
    match name {
        "fig1" => Ok(AnyObjective::Fig1(Fig1)),
        "fig2" => Ok(AnyObjective::Fig2(Fig2)),
        "rosenbrock" => Ok(AnyObjective::Rosenbrock(Rosenbrock::new(dim))),
        "quadratic" => quadratic.map(AnyObjective::Quadratic).ok_or_else(|| {
            ObjectiveError::Quadratic("the quadratic needs its matrix A and linear term b".into())
        }),
        other => Err(ObjectiveError::Unknown(other.into())),
    }
}

macro_rules! dispatch {
    ($self:ident, $f:ident => $e:expr) => {
        match $self {
            AnyObjective::Fig1($f) => $e,
            AnyObjective::Fig2($f) => $e,
            AnyObjective::Quadratic($f) => $e,
            AnyObjective::Rosenbrock($f) => $e,
        }
    };
}

impl Objective for AnyObjective {
    fn dim(&self) -> usize {
        dispatch!(self, f => f.dim())
    }
    fn value(&self, x: &[f64]) -> f64 {
        dispatch!(self, f => f.value(x))
    }
    fn name(&self) -> String {
        dispatch!(self, f => f.name())
    }
}
impl Gradient for AnyObjective {
    fn gradient(&self, x: &[f64]) -> Vec<f64> {
        dispatch!(self, f => f.gradient(x))
    }
    fn gradient_into(&self, x: &[f64], out: &mut [f64]) {
        dispatch!(self, f => f.gradient_into(x, out))
    }
}
impl Hessian for AnyObjective {
    fn hessian(&self, x: &[f64]) -> DMatrix<f64> {
        dispatch!(self, f => f.hessian(x))
    }
}
impl HessianVectorProduct for AnyObjective {
    fn hvp(&self, x: &[f64], v: &[f64]) -> Vec<f64> {
        dispatch!(self, f => f.hvp(x, v))
    }
}
