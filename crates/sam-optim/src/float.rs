//! The number type of the optimizer stack (f64 for the toys and the theory, f32 for the MLP hot
//! path) and the reductions whose fast form depends on it: the kernel seam's norm.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, Neg, Range, Sub, SubAssign};

/// A floating-point type the optimizers run in: f32 or f64.
///
/// The arithmetic of every update rule is written once, generic over this trait; the two
/// reductions below are where the types differ (f64: an overflow-safe scaled norm; f32: a sum
/// of squares accumulated in f64, the form the MNIST protocol's reference uses).
///
/// ```
/// use sam_optim::Float;
/// assert_eq!(<f32 as Float>::from_f64(0.1), 0.1f32);
/// assert_eq!(f64::norm(&[3.0, 4.0], &[0..2]), 5.0);
/// assert_eq!(f32::norm(&[3.0, 4.0], &[0..2]), 5.0);
/// ```
pub trait Float:
    Copy
    + Send
    + Sync
    + Debug
    + PartialOrd
    + Default
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The nearest value of this type (`as` conversion).
    fn from_f64(v: f64) -> Self;
    /// Widening (f32) or identity (f64) conversion.
    fn to_f64(self) -> f64;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `self^e`.
    fn powf(self, e: Self) -> Self;
    /// Neither NaN nor infinite.
    fn is_finite(self) -> bool;
    /// Euclidean norm of `v` restricted to `support` (entries outside it are zero), in f64.
    fn norm(v: &[Self], support: &[Range<usize>]) -> f64;
}

impl Float for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline]
    fn powf(self, e: Self) -> Self {
        f64::powf(self, e)
    }
    #[inline]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    /// One pass of squares in 8 partial sums (fixed order, vectorizable) when that sum is
    /// finite and at least 1e-200 (then squares that underflow change it by less than 1e-100
    /// relative); otherwise scaled by the largest entry so that it neither underflows nor
    /// overflows.
    fn norm(v: &[f64], support: &[Range<usize>]) -> f64 {
        let mut acc = [0.0f64; 8];
        for r in support {
            let seg = &v[r.clone()];
            let mut it = seg.chunks_exact(8);
            for c in &mut it {
                for (a, &x) in acc.iter_mut().zip(c) {
                    *a += x * x;
                }
            }
            for (a, &x) in acc.iter_mut().zip(it.remainder()) {
                *a += x * x;
            }
        }
        let fast =
            ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        if fast.is_finite() && fast >= 1e-200 {
            return fast.sqrt();
        }
        let s = support
            .iter()
            .flat_map(|r| &v[r.clone()])
            .fold(0.0f64, |m, a| m.max(a.abs()));
        if s == 0.0 || !s.is_finite() {
            // NaN entries are skipped by max: report them as a non-finite norm
            if support
                .iter()
                .flat_map(|r| &v[r.clone()])
                .any(|a| a.is_nan())
            {
                return f64::NAN;
            }
            return s;
        }
        let ss: f64 = support
            .iter()
            .flat_map(|r| &v[r.clone()])
            .map(|a| (a / s).powi(2))
            .sum();
        s * ss.sqrt()
    }
}

impl Float for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    #[inline]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    #[inline]
    fn powf(self, e: Self) -> Self {
        f32::powf(self, e)
    }
    #[inline]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    /// √(Σ over the segments of [`sumsq`]); f32 squares cannot overflow in f64.
    fn norm(v: &[f32], support: &[Range<usize>]) -> f64 {
        let ss: f64 = support.iter().map(|r| sumsq(&v[r.clone()])).sum();
        ss.sqrt()
    }
}

/// Sum of squares of f32 values in f64, with 8 partial sums in a fixed order (deterministic,
/// and vectorizable).
///
/// ```
/// assert_eq!(sam_optim::float::sumsq(&[1.0, 2.0, 2.0]), 9.0);
/// ```
pub fn sumsq(g: &[f32]) -> f64 {
    let mut acc = [0.0f64; 8];
    let mut it = g.chunks_exact(8);
    for c in &mut it {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v as f64 * v as f64;
        }
    }
    for (a, &v) in acc.iter_mut().zip(it.remainder()) {
        *a += v as f64 * v as f64;
    }
    acc.iter().sum()
}

/// Dot product of two f64 vectors (the shorter length) in 8 partial sums combined in a fixed
/// order: deterministic, and vectorizable (a single running sum is bound by the adds' latency).
///
/// ```
/// assert_eq!(sam_optim::float::dot(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]), 32.0);
/// ```
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    for (l, (x, y)) in ar.iter().zip(br).enumerate() {
        acc[l] += x * y;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))
}

/// Euclidean norm of a whole f64 vector (overflow-safe): the one norm helper of the workspace.
///
/// ```
/// assert_eq!(sam_optim::norm(&[1e200, 1e200]), 1e200 * 2f64.sqrt());
/// ```
pub fn norm(v: &[f64]) -> f64 {
    f64::norm(v, &[0..v.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The f64 norm against the same sum in extended precision (f64 pairs, i.e. compensated
    /// summation of exact squares), on both branches: ordinary vectors (one pass), and entries
    /// so small their squares underflow or so large they overflow (the scaled pass).
    #[test]
    fn f64_norm_is_accurate_on_both_branches() {
        let mut seed = 7u64;
        let mut rnd = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        for scale in [1.0, 1e-3, 1e100, 1e-170, 1e170, 1e-300] {
            let v: Vec<f64> = (0..1001).map(|_| rnd() * scale).collect();
            // reference: scale exactly by a power of two, then Kahan-sum the squares
            let m = v.iter().fold(0.0f64, |a, b| a.max(b.abs()));
            let p = 2f64.powi(m.log2().floor() as i32);
            let (mut sum, mut c) = (0.0f64, 0.0f64);
            for x in &v {
                let y = (x / p) * (x / p) - c;
                let t = sum + y;
                c = (t - sum) - y;
                sum = t;
            }
            let want = p * sum.sqrt();
            let got = f64::norm(&v, &[0..v.len()]);
            assert!(
                ((got - want) / want).abs() < 1e-13,
                "scale {scale:e}: {got:e} vs {want:e}"
            );
        }
        assert!(f64::norm(&[1.0, f64::NAN], &[0..2]).is_nan());
        assert_eq!(f64::norm(&[1.0, f64::INFINITY], &[0..2]), f64::INFINITY);
        assert_eq!(f64::norm(&[0.0; 9], &[0..9]), 0.0);
        assert_eq!(f64::norm(&[3.0, 9.0, 4.0], &[0..1, 2..3]), 5.0);
    }
}
