//! Theorem 1 (the SAM paper's generalization bound as the review states it) and Lemma 1 (the
//! PAC-Bayes bound it is derived from), review section 2.2.

use crate::error::{
    check_d, check_delta, check_n, check_nonnegative, check_positive, check_probability,
    PacBayesError, Result, MAX_COUNT,
};

/// `ln(1 + x)` for `x = (θ/ρ · b)²` (θ > 0, ρ > 0, b ≥ 1) without overflow when x is huge.
fn ln_1p_ratio_square(theta: f64, rho: f64, b: f64) -> f64 {
    let q = theta / rho * b;
    let x = q * q;
    if x.is_finite() {
        x.ln_1p()
    } else {
        // ln(1 + e^t) = t + ln(1 + e^-t), with t = ln x = 2 (ln θ − ln ρ + ln b) large here.
        let t = 2.0 * (theta.ln() - rho.ln() + b.ln());
        t + (-t).exp().ln_1p()
    }
}

/// The square-root (complexity) term of Theorem 1, exactly as the review states it, natural logs:
///
/// ```text
/// sqrt( ( d ln(1 + |θ|²/ρ² (1 + sqrt(ln n / d))²) + 4 ln(n/δ) + 8 ln(6n + 3d) ) / (n − 1) )
/// ```
///
/// `d` is the number of parameters, `n` the number of training samples, `delta` the confidence
/// parameter δ in (0, 1), `rho` the SAM radius ρ > 0 and `theta_norm` the Euclidean norm |θ| ≥ 0.
///
/// The value is not clipped: for a loss in [0, 1] anything ≥ 1 is a vacuous bound (typical when
/// d ≳ n, which is the review's point that the bound gives no guarantee when d > n).
///
/// It is strictly decreasing in n on all of n ≥ 2 (see [`n_for_complexity`] for the proof),
/// strictly decreasing in δ, non-increasing in ρ (strictly when |θ| > 0), increasing in |θ| and
/// strictly increasing in d (d ln(1 + x) has derivative ln(1 + x) − x s/((1 + s)(1 + x)) > 0).
///
/// # Source, and how it compares with the SAM paper
/// Review, section 2.2, Theorem 1, which restates Foret et al. (ICLR 2021), Theorem 2 of
/// appendix A.1 (Theorem 1 of the main text is the same bound with an unspecified increasing
/// function h). What I am sure of: the paper writes the number of parameters as `k` (the review
/// writes `d`) and the displayed formula has the same shape, with `log` the natural log:
///
/// ```text
/// sqrt( (k log(1 + |w|²/ρ² (1 + sqrt(log(n)/k))²) + 4 log(n/δ) + 8 log(6n + 3k)) / (n − 1) ).
/// ```
///
/// The derivation in the appendix uses a Gaussian posterior N(w, σ²I), a Gaussian prior whose
/// variance is taken from a predefined geometric grid with a union bound (that is where
/// `log(6n + 3k)` comes from), ρ = σ(√k + √(ln n)), and the Lemma 1 PAC-Bayes bound.
/// What I am not sure of (from memory, not checked against the PDF): the exact constants of
/// the intermediate bound in the proof (there the terms appear with factors like ¼ and an extra
/// 1/√n slack for |ε| > ρ, which the stated theorem absorbs by loosening the constants), and
/// whether the assumption's Gaussian N(0, ρ I) is meant as variance ρ (as written in both
/// texts) or σ² with ρ = σ(√k + √ln n) (what the proof uses). This function implements the
/// review's formula only.
///
/// ```
/// use sam_pacbayes::sam_complexity;
/// // d = 10, n = 1000, δ = 0.05, ρ = 0.05, |θ| = 1. python3:
/// // math.sqrt((10*math.log1p(1/0.05**2*(1+math.sqrt(math.log(1000)/10))**2)
/// //            + 4*math.log(1000/0.05) + 8*math.log(6*1000+3*10))/999)
/// let c = sam_complexity(10, 1000, 0.05, 0.05, 1.0).unwrap();
/// assert!((c - 0.425_972_034_768_006).abs() < 1e-12);
/// ```
pub fn sam_complexity(d: u64, n: u64, delta: f64, rho: f64, theta_norm: f64) -> Result<f64> {
    let d = check_d(d)?;
    let n = check_n(n)?;
    let delta = check_delta(delta)?;
    let rho = check_positive("rho", rho)?;
    let theta_norm = check_nonnegative("theta_norm", theta_norm)?;
    Ok(complexity_unchecked(d, n, delta, rho, theta_norm))
}

fn complexity_unchecked(d: f64, n: f64, delta: f64, rho: f64, theta_norm: f64) -> f64 {
    let s = (n.ln() / d).sqrt();
    let log_term = if theta_norm == 0.0 {
        0.0
    } else {
        ln_1p_ratio_square(theta_norm, rho, 1.0 + s)
    };
    let numerator = d * log_term + 4.0 * (n.ln() - delta.ln()) + 8.0 * (6.0 * n + 3.0 * d).ln();
    (numerator / (n - 1.0)).sqrt()
}

/// The full right-hand side of Theorem 1 (review section 2.2):
///
/// ```text
/// max_{|ε| ≤ ρ} L_S(θ + ε) + sam_complexity(d, n, δ, ρ, |θ|)
/// ```
///
/// `perturbed_train_loss` is the measured maximum of the training loss over the ρ-ball (a
/// [0, 1]-valued loss, e.g. the 0-1 error, is what the theorem is about, so it must lie in
/// [0, 1]). The sum is not clipped at 1.
///
/// ```
/// use sam_pacbayes::{sam_bound, sam_complexity};
/// let c = sam_complexity(10, 1000, 0.05, 0.05, 1.0).unwrap();
/// let b = sam_bound(0.1, 10, 1000, 0.05, 0.05, 1.0).unwrap();
/// assert!((b - (0.1 + c)).abs() < 1e-15);
/// assert!(sam_bound(1.5, 10, 1000, 0.05, 0.05, 1.0).is_err());
/// ```
pub fn sam_bound(
    perturbed_train_loss: f64,
    d: u64,
    n: u64,
    delta: f64,
    rho: f64,
    theta_norm: f64,
) -> Result<f64> {
    let loss = check_probability("perturbed_train_loss", perturbed_train_loss)?;
    Ok(loss + sam_complexity(d, n, delta, rho, theta_norm)?)
}

/// The smallest number of samples n ≥ 2 with `sam_complexity(d, n, δ, ρ, |θ|) < target`.
///
/// Doubling finds a bracket, then integer bisection finds the first n below the target.
///
/// # Monotonicity (why bisection is exact here)
/// Write the complexity as sqrt(f(n)) with f(n) = N(n)/(n − 1) and
/// N(n) = d ln(1 + x) + 4 ln(n/δ) + 8 ln(6n + 3d), x = a(1 + s)², a = |θ|²/ρ², s = sqrt(ln n / d).
/// For real n ≥ 2, f'(n) < 0 iff (n − 1)N'(n) < N(n). Since N' > 0,
/// (n − 1)N'(n) < nN'(n) = 4 + 48n/(6n + 3d) + sqrt(d / ln n) · x / ((1 + s)(1 + x))
/// ≤ 12 + d · x/(1 + x) · 1/((1 + s) sqrt(d ln n)).
/// The last factor is ≤ 1 because (1 + s) sqrt(d ln n) = sqrt(d ln n) + ln n ≥ 1 for n ≥ 3, and
/// for n = 2 whenever d ≥ 1 (sqrt(0.69 d) + 0.69 ≥ 1). With x/(1 + x) ≤ ln(1 + x) and
/// 12 < 8 ln 15 ≤ 8 ln(6n + 3d) this gives (n − 1)N'(n) < N(n). So the complexity is strictly
/// decreasing on all of n ≥ 2 (there is no non-monotone small-n regime for this formula), and it
/// tends to 0, so every target > 0 is reached; the result is still checked at the end
/// (complexity(n) < target ≤ complexity(n − 1)), so a rounding tie cannot return a wrong n silently.
///
/// Errors with [`PacBayesError::Unreachable`] when the required n exceeds 2^53.
///
/// ```
/// use sam_pacbayes::{n_for_complexity, sam_complexity};
/// let n = n_for_complexity(10, 0.05, 0.05, 1.0, 0.1).unwrap();
/// assert!(sam_complexity(10, n, 0.05, 0.05, 1.0).unwrap() < 0.1);
/// assert!(sam_complexity(10, n - 1, 0.05, 0.05, 1.0).unwrap() >= 0.1);
/// ```
pub fn n_for_complexity(d: u64, delta: f64, rho: f64, theta_norm: f64, target: f64) -> Result<u64> {
    let df = check_d(d)?;
    let delta = check_delta(delta)?;
    let rho = check_positive("rho", rho)?;
    let theta_norm = check_nonnegative("theta_norm", theta_norm)?;
    let target = check_positive("target", target)?;
    let f = |n: u64| complexity_unchecked(df, n as f64, delta, rho, theta_norm);
    if f(2) < target {
        return Ok(2);
    }
    // Invariant: f(lo) >= target, f(hi) < target.
    let mut lo = 2u64;
    let mut hi = 4u64;
    while f(hi) >= target {
        if hi >= MAX_COUNT {
            return Err(PacBayesError::Unreachable(target));
        }
        lo = hi;
        hi = (hi * 2).min(MAX_COUNT);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if f(mid) < target {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    debug_assert!(f(hi) < target && f(hi - 1) >= target);
    Ok(hi)
}

/// Lemma 1 of the review (section 2.2), the PAC-Bayes bound behind Theorem 1:
/// with probability ≥ 1 − δ over S, for all posteriors Q,
///
/// ```text
/// E_{θ~Q} [L_D(θ) − L_S(θ)] ≤ sqrt( (KL(Q‖P) + ln(n/δ)) / (2(n − 1)) )
/// ```
///
/// This returns the right-hand side (natural log). The form is McAllester's (1999, 2003)
/// bound as used in the SAM paper's appendix; it holds for losses in [0, 1]. It is strictly
/// decreasing in n ≥ 2 and in δ, increasing in KL.
///
/// ```
/// use sam_pacbayes::lemma1_bound;
/// // python3: math.sqrt((2.0 + math.log(100/0.05)) / (2*99)) = 0.22020310252429154
/// let b = lemma1_bound(2.0, 100, 0.05).unwrap();
/// assert!((b - 0.220_203_102_524_291_5).abs() < 1e-12);
/// ```
pub fn lemma1_bound(kl: f64, n: u64, delta: f64) -> Result<f64> {
    let kl = check_nonnegative("kl", kl)?;
    let n = check_n(n)?;
    let delta = check_delta(delta)?;
    Ok(((kl + n.ln() - delta.ln()) / (2.0 * (n - 1.0))).sqrt())
}
