//! Top Hessian eigenvalue (dense for small d, Lanczos on a Hessian-vector product for large d)
//! and Hutchinson's trace estimate.

use crate::error::{check_finite, Result, SharpnessError};
use nalgebra::{DMatrix, SymmetricEigen};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::Serialize;

/// A Hessian-vector product v ↦ Hv written into the output slice (length d each).
///
/// ```
/// use sam_sharpness::Hvp;
/// let mut f = |v: &[f64], out: &mut [f64]| out.copy_from_slice(v); // H = I
/// let hvp: Hvp<'_> = &mut f;
/// let mut out = [0.0; 2];
/// hvp(&[1.0, 2.0], &mut out);
/// assert_eq!(out, [1.0, 2.0]);
/// ```
pub type Hvp<'a> = &'a mut dyn FnMut(&[f64], &mut [f64]);

/// An eigenvalue with a unit eigenvector.
///
/// ```
/// use sam_sharpness::{lambda_max_dense, DMatrix};
/// let p = lambda_max_dense(&DMatrix::from_row_slice(2, 2, &[2.0, 0.0, 0.0, 5.0])).unwrap();
/// assert_eq!(p.vector.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EigenPair {
    /// The eigenvalue.
    pub value: f64,
    /// A unit eigenvector.
    pub vector: Vec<f64>,
}

/// The largest eigenvalue λ₁ of a symmetric matrix (symmetrised first) by dense symmetric
/// eigendecomposition (nalgebra `SymmetricEigen`); for small d (say d ≤ 2000).
///
/// ```
/// use sam_sharpness::{lambda_max_dense, DMatrix};
/// let p = lambda_max_dense(&DMatrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 2.0])).unwrap();
/// assert!((p.value - 3.0).abs() < 1e-12);
/// ```
pub fn lambda_max_dense(h: &DMatrix<f64>) -> Result<EigenPair> {
    if h.nrows() != h.ncols() || h.nrows() == 0 {
        return Err(SharpnessError::Dimension {
            what: "matrix columns (it must be square and non-empty)",
            expected: h.nrows().max(1),
            got: h.ncols(),
        });
    }
    check_finite("matrix entry", h.as_slice())?;
    let eig = SymmetricEigen::new((h + h.transpose()) * 0.5);
    Ok(top_pair(&eig))
}

/// The eigendecomposition of the symmetric part ½(H + Hᵀ) of a square matrix, accurate to
/// rounding: cyclic Jacobi rotations (Golub & Van Loan, *Matrix Computations*, §8.5) until every
/// off-diagonal entry is below 1e-17 of the Frobenius norm. nalgebra 0.33's `SymmetricEigen`
/// can stop short on near-degenerate spectra: on a 3 × 3 matrix with two eigenvalues 7.7e-4
/// apart its residual ‖HV − VΛ‖ was 1.2e-5, which put the trust-region value 1.8e-6 below a
/// feasible point (tests/claims.rs, `definition1_exact_equals_trs_on_quadratics`). The
/// trust-region solutions (Example 2's second-order estimate, the starts and certificates of
/// the exact κ) use it; their dense Hessians are small, where Jacobi's O(d³) sweeps are cheap.
///
/// ```
/// use sam_sharpness::{symmetric_eigen, DMatrix};
/// let h = DMatrix::from_row_slice(2, 2, &[2.0, 1.0, 1.0, 2.0]);
/// let e = symmetric_eigen(&h);
/// let r = &h * &e.eigenvectors - &e.eigenvectors * DMatrix::from_diagonal(&e.eigenvalues);
/// assert!(r.norm() < 1e-14);
/// let mut l: Vec<f64> = e.eigenvalues.iter().copied().collect();
/// l.sort_by(f64::total_cmp);
/// assert!((l[0] - 1.0).abs() < 1e-14 && (l[1] - 3.0).abs() < 1e-14);
/// ```
pub fn symmetric_eigen(h: &DMatrix<f64>) -> SymmetricEigen<f64, nalgebra::Dyn> {
    let n = h.nrows().min(h.ncols());
    let mut a = (h + h.transpose()) * 0.5;
    let mut v = DMatrix::<f64>::identity(n, n);
    let frob = a.norm();
    let tol = (1e-17 * frob).powi(2);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| a[(i, j)] * a[(i, j)])
            .sum();
        if off <= tol || !off.is_finite() {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[(p, q)];
                if apq == 0.0 {
                    continue;
                }
                // the rotation that zeroes a_pq (Golub & Van Loan's sym.schur2)
                let tau = (a[(q, q)] - a[(p, p)]) / (2.0 * apq);
                let t = tau.signum() / (tau.abs() + (1.0 + tau * tau).sqrt());
                let c = 1.0 / (1.0 + t * t).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[(k, p)], a[(k, q)]);
                    a[(k, p)] = c * akp - s * akq;
                    a[(k, q)] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[(p, k)], a[(q, k)]);
                    a[(p, k)] = c * apk - s * aqk;
                    a[(q, k)] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[(k, p)], v[(k, q)]);
                    v[(k, p)] = c * vkp - s * vkq;
                    v[(k, q)] = s * vkp + c * vkq;
                }
            }
        }
    }
    SymmetricEigen {
        eigenvalues: a.diagonal(),
        eigenvectors: v,
    }
}

pub(crate) fn top_pair(eig: &SymmetricEigen<f64, nalgebra::Dyn>) -> EigenPair {
    let (i, &value) = eig
        .eigenvalues
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("non-empty");
    EigenPair {
        value,
        vector: eig.eigenvectors.column(i).iter().copied().collect(),
    }
}

/// The result of [`lanczos`].
///
/// ```
/// use sam_sharpness::lanczos;
/// let mut hvp = |v: &[f64], out: &mut [f64]| { out[0] = 2.0 * v[0]; out[1] = -v[1]; };
/// let r = lanczos(&mut hvp, 2, 2, 0).unwrap();
/// assert!((r.lambda_min + 1.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LanczosEstimate {
    /// The largest Ritz value: a lower bound on λ₁ that converges to it as steps grow.
    pub lambda_max: f64,
    /// The smallest Ritz value (an upper bound on λ_min).
    pub lambda_min: f64,
    /// ‖H y − λ y‖ for the top Ritz pair (y unit): some eigenvalue lies within this of `lambda_max`.
    pub residual: f64,
    /// Lanczos steps taken (≤ k; fewer on an invariant subspace).
    pub steps: usize,
    /// The top Ritz vector y (unit length).
    pub vector: Vec<f64>,
}

/// Lanczos with full reorthogonalisation, `k` steps (clamped to d), on a Hessian-vector product;
/// memory O(k·d). The start vector is Gaussian, seeded by `seed`. Uses k Hessian-vector products.
///
/// ```
/// use sam_sharpness::lanczos;
/// let diag = [1.0, 5.0, -3.0, 2.0];
/// let mut hvp = |v: &[f64], out: &mut [f64]| for i in 0..4 { out[i] = diag[i] * v[i] };
/// let r = lanczos(&mut hvp, 4, 4, 7).unwrap();
/// assert!((r.lambda_max - 5.0).abs() < 1e-10);
/// ```
///
/// ## Reference
/// Golub & Van Loan, "Matrix Computations", 4th ed., §10.1-10.3 (Lanczos, full reorthogonalisation).
pub fn lanczos(hvp: Hvp<'_>, d: usize, k: usize, seed: u64) -> Result<LanczosEstimate> {
    if d == 0 {
        return Err(SharpnessError::from(sam_params::Invalid::new(
            "d",
            0.0,
            "the dimension must be >= 1",
        )));
    }
    if k == 0 {
        return Err(SharpnessError::from(sam_params::Invalid::new(
            "k (Lanczos steps)",
            0.0,
            "use at least 1 step (20-100 is typical)",
        )));
    }
    let k = k.min(d);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut q: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
    let n = dot(&q, &q).sqrt();
    q.iter_mut().for_each(|x| *x /= n);
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(k);
    let mut alpha = Vec::with_capacity(k);
    let mut beta: Vec<f64> = Vec::with_capacity(k);
    let mut w = vec![0.0; d];
    let mut last_beta = 0.0;
    for j in 0..k {
        hvp(&q, &mut w);
        check_finite("Hessian-vector product", &w)?;
        let a = dot(&q, &w);
        alpha.push(a);
        basis.push(std::mem::take(&mut q));
        // Full reorthogonalisation against every basis vector, twice ("twice is enough").
        for _ in 0..2 {
            for b in &basis {
                let c = dot(b, &w);
                w.iter_mut().zip(b).for_each(|(wi, bi)| *wi -= c * bi);
            }
        }
        let bn = dot(&w, &w).sqrt();
        last_beta = bn;
        let scale = alpha
            .iter()
            .chain(beta.iter())
            .fold(0.0f64, |m, x| m.max(x.abs()));
        if j + 1 == k || bn <= 1e-12 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        beta.push(bn);
        q = w.iter().map(|x| x / bn).collect();
    }
    let m = alpha.len();
    let mut t = DMatrix::zeros(m, m);
    for i in 0..m {
        t[(i, i)] = alpha[i];
        if i + 1 < m {
            t[(i, i + 1)] = beta[i];
            t[(i + 1, i)] = beta[i];
        }
    }
    let eig = SymmetricEigen::new(t);
    let top = top_pair(&eig);
    let lambda_min = eig
        .eigenvalues
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let mut y = vec![0.0; d];
    for (s, b) in top.vector.iter().zip(&basis) {
        y.iter_mut().zip(b).for_each(|(yi, bi)| *yi += s * bi);
    }
    let residual = if m == d {
        0.0
    } else {
        last_beta * top.vector[m - 1].abs()
    };
    Ok(LanczosEstimate {
        lambda_max: top.value,
        lambda_min,
        residual,
        steps: m,
        vector: y,
    })
}

/// Hutchinson's estimate of tr(H) = E(zᵀHz) with Rademacher probes z (seeded).
///
/// ```
/// use sam_sharpness::hutchinson_trace;
/// let mut hvp = |v: &[f64], out: &mut [f64]| { out[0] = 2.0 * v[0]; out[1] = 3.0 * v[1]; };
/// let t = hutchinson_trace(&mut hvp, 2, 10, 1).unwrap();
/// assert!((t.mean - 5.0).abs() < 1e-12); // diagonal H: every Rademacher probe is exact
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEstimate {
    /// Sample mean of zᵀHz.
    pub mean: f64,
    /// Standard error of the mean (sample standard deviation / √probes).
    pub std_error: f64,
    /// Number of probes (Hessian-vector products).
    pub probes: usize,
}

/// Hutchinson's trace estimator with `probes` ≥ 2 Rademacher vectors drawn from a ChaCha8 stream
/// seeded by `seed`; returns the mean and its standard error.
///
/// ```
/// use sam_sharpness::hutchinson_trace;
/// let mut hvp = |v: &[f64], out: &mut [f64]| { out[0] = v[0] + v[1]; out[1] = v[0] + v[1]; };
/// let t = hutchinson_trace(&mut hvp, 2, 200, 3).unwrap();
/// assert!((t.mean - 2.0).abs() < 4.0 * t.std_error + 1e-12);
/// ```
///
/// ## Reference
/// Hutchinson, "A stochastic estimator of the trace of the influence matrix for Laplacian
/// smoothing splines", Comm. Statist. Simul. Comput. 18 (1989).
pub fn hutchinson_trace(hvp: Hvp<'_>, d: usize, probes: usize, seed: u64) -> Result<TraceEstimate> {
    if probes < 2 {
        return Err(SharpnessError::from(sam_params::Invalid::new(
            "probes",
            probes as f64,
            "use at least 2 probes so that a standard error exists",
        )));
    }
    if d == 0 {
        return Err(SharpnessError::from(sam_params::Invalid::new(
            "d",
            0.0,
            "the dimension must be >= 1",
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut z = vec![0.0; d];
    let mut hz = vec![0.0; d];
    let (mut mean, mut m2) = (0.0, 0.0);
    for i in 0..probes {
        z.iter_mut()
            .for_each(|x| *x = if rng.random::<bool>() { 1.0 } else { -1.0 });
        hvp(&z, &mut hz);
        check_finite("Hessian-vector product", &hz)?;
        let s = dot(&z, &hz);
        // Welford's running mean and variance.
        let delta = s - mean;
        mean += delta / (i + 1) as f64;
        m2 += delta * (s - mean);
    }
    let var = m2 / (probes - 1) as f64;
    Ok(TraceEstimate {
        mean,
        std_error: (var / probes as f64).sqrt(),
        probes,
    })
}

pub(crate) use sam_optim::float::dot;

/// [`lanczos`] on the Hessian of `f` at `x`, through its Hessian-vector product.
///
/// ```
/// use sam_objectives::Quadratic;
/// let q = Quadratic::new(vec![2.0, 0.0, 0.0, 5.0], vec![0.0, 0.0]).unwrap();
/// let e = sam_sharpness::lanczos_at(&q, &[1.0, 1.0], 2, 0).unwrap();
/// assert!((e.lambda_max - 5.0).abs() < 1e-9);
/// ```
pub fn lanczos_at<F: sam_objectives::HessianVectorProduct + ?Sized>(
    f: &F,
    x: &[f64],
    k: usize,
    seed: u64,
) -> Result<LanczosEstimate> {
    let mut hvp = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&f.hvp(x, v));
    lanczos(&mut hvp, f.dim(), k, seed)
}

/// [`hutchinson_trace`] of the Hessian of `f` at `x`, through its Hessian-vector product.
///
/// ```
/// use sam_objectives::Quadratic;
/// let q = Quadratic::new(vec![2.0, 0.0, 0.0, 5.0], vec![0.0, 0.0]).unwrap();
/// let t = sam_sharpness::hutchinson_trace_at(&q, &[0.0, 0.0], 10, 0).unwrap();
/// assert!((t.mean - 7.0).abs() < 1e-9); // Rademacher probes are exact on a diagonal H
/// ```
pub fn hutchinson_trace_at<F: sam_objectives::HessianVectorProduct + ?Sized>(
    f: &F,
    x: &[f64],
    probes: usize,
    seed: u64,
) -> Result<TraceEstimate> {
    let mut hvp = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&f.hvp(x, v));
    hutchinson_trace(&mut hvp, f.dim(), probes, seed)
}
