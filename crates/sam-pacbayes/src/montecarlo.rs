//! Upper bounds on the empirical risk of a stochastic predictor Q estimated by Monte Carlo:
//! draw m parameter vectors θ₁..θ_m ~ Q, count k errors (of a [0, 1] loss, e.g. 0-1 error on
//! the training set averaged per draw, or one Bernoulli trial per draw), and bound the mean.

use crate::error::{check_delta, PacBayesError, Result, MAX_COUNT};
use crate::kl::kl_inverse_upper_unchecked;
use statrs::function::beta::checked_beta_reg;

fn check_counts(errors: u64, samples: u64) -> Result<(f64, f64)> {
    if samples == 0 || samples > MAX_COUNT || errors > samples {
        Err(PacBayesError::Counts { errors, samples })
    } else {
        Ok((errors as f64, samples as f64))
    }
}

/// kl-inverse (Chernoff) upper bound on the mean of m i.i.d. Bernoulli trials with k successes,
/// holding with probability ≥ 1 − δ′:
///
/// ```text
/// p ≤ kl_inverse_upper(k/m, ln(2/δ′)/m)
/// ```
///
/// Source: the Chernoff bound in kl form (P(kl(k/m ‖ p) > t, k/m < p) ≤ e^{−mt}) as used for the
/// Monte Carlo step of Langford & Caruana (2002) and Dziugaite & Roy (2017, section 3, with
/// ln(2/δ′)); ln(1/δ′) would already suffice for this one-sided bound, so ln(2/δ′) is
/// conservative. Always ≥ k/m and ≤ 1.
///
/// ```
/// use sam_pacbayes::mc_risk_bound_kl;
/// let u = mc_risk_bound_kl(10, 1000, 0.01).unwrap();
/// assert!(u > 0.01 && u < 0.03);
/// ```
pub fn mc_risk_bound_kl(errors: u64, samples: u64, delta_prime: f64) -> Result<f64> {
    let (k, m) = check_counts(errors, samples)?;
    let delta = check_delta(delta_prime)?;
    Ok(kl_inverse_upper_unchecked(k / m, (2.0 / delta).ln() / m))
}

/// One-sided Clopper–Pearson upper confidence bound at level 1 − δ′ on a binomial proportion
/// from k successes in m trials: the smallest p with P(Bin(m, p) ≤ k) ≤ δ′, i.e. the
/// (1 − δ′)-quantile of Beta(k + 1, m − k) (and 1 when k = m).
///
/// Source: Clopper & Pearson (1934). The quantile is found by bisection over the floats of
/// [k/m, 1] on the binomial tail P(Bin(m, p) ≤ k) = I_{1−p}(m − k, k + 1), using statrs's
/// regularized incomplete beta function (`statrs::function::beta::checked_beta_reg`). This is the
/// same number as `statrs::distribution::Beta::new(k+1, m−k)?.inverse_cdf(1−δ′)` (the tests
/// compare them) but never panics and is accurate to one ulp of p even for tiny δ′, where
/// 1 − δ′ rounds. The returned p is the float just above the exact quantile (conservative).
///
/// ```
/// use sam_pacbayes::mc_risk_bound_clopper_pearson;
/// // Zero errors in m trials: closed form 1 − δ′^{1/m}.
/// let u = mc_risk_bound_clopper_pearson(0, 100, 0.05).unwrap();
/// assert!((u - (1.0 - 0.05f64.powf(0.01))).abs() < 1e-12);
/// ```
pub fn mc_risk_bound_clopper_pearson(errors: u64, samples: u64, delta_prime: f64) -> Result<f64> {
    let (k, m) = check_counts(errors, samples)?;
    let delta = check_delta(delta_prime)?;
    if errors == samples {
        return Ok(1.0);
    }
    // tail(p) = P(Bin(m, p) ≤ k) is decreasing in p; find the smallest p with tail(p) ≤ δ′.
    let tail = |p: f64| {
        if p >= 1.0 {
            0.0
        } else {
            checked_beta_reg(m - k, k + 1.0, 1.0 - p).unwrap_or(0.0)
        }
    };
    let start = k / m;
    if tail(start) <= delta {
        return Ok(start);
    }
    // Invariant: tail(lo) > δ′ ≥ tail(hi).
    let mut lo = start.to_bits();
    let mut hi = 1f64.to_bits();
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if tail(f64::from_bits(mid)) <= delta {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(f64::from_bits(hi))
}
