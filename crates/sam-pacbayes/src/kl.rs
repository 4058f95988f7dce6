//! KL divergences: between isotropic Gaussians (the posterior/prior pair of the SAM paper's
//! proof) and between Bernoulli distributions (the "small kl" of PAC-Bayes-kl bounds), with the
//! upper inverse of the latter.

use crate::error::{check_d, check_nonnegative, check_positive, check_probability, Result};

/// KL(N(μ_q, σ_q² I_d) ‖ N(μ_p, σ_p² I_d)) in nats, from |μ_q − μ_p|² = `mu_dist2`:
///
/// ```text
/// ½ [ d σ_q²/σ_p² + |μ_q − μ_p|²/σ_p² − d + 2 d ln(σ_p/σ_q) ]
/// ```
///
/// Source: the closed form for multivariate normals, KL = ½[tr(Σ_p⁻¹Σ_q) + (μ_p − μ_q)ᵀΣ_p⁻¹(μ_p − μ_q)
/// − d + ln(det Σ_p / det Σ_q)], with Σ = σ²I. It is evaluated as ½[d (r − 1 − ln r) + M/σ_p²],
/// r = σ_q²/σ_p², which avoids cancellation when σ_q ≈ σ_p. The result can overflow to +inf for
/// extreme scale ratios.
///
/// ```
/// use sam_pacbayes::kl_gauss_isotropic;
/// // Equal covariances: only the mean term remains, M / (2 σ_p²).
/// assert_eq!(kl_gauss_isotropic(5, 2.0, 1.0, 1.0).unwrap(), 1.0);
/// // python3: 0.5*(3*0.25 + 0 - 3 + 2*3*math.log(2)) = 0.9544415416798357
/// let kl = kl_gauss_isotropic(3, 0.0, 0.5, 1.0).unwrap();
/// assert!((kl - 0.954_441_541_679_835_7).abs() < 1e-14);
/// ```
pub fn kl_gauss_isotropic(d: u64, mu_dist2: f64, sigma_q: f64, sigma_p: f64) -> Result<f64> {
    let d = check_d(d)?;
    let mu_dist2 = check_nonnegative("mu_dist2", mu_dist2)?;
    let sigma_q = check_positive("sigma_q", sigma_q)?;
    let sigma_p = check_positive("sigma_p", sigma_p)?;
    // t = r − 1 = (σ_q − σ_p)(σ_q + σ_p)/σ_p², computed without cancellation.
    let t = ((sigma_q - sigma_p) / sigma_p) * ((sigma_q + sigma_p) / sigma_p);
    let ln_r = 2.0 * (sigma_q.ln() - sigma_p.ln());
    // r − 1 − ln r ≥ 0; near r = 1 use ln_1p(t) for ln r.
    let scale_term = if t.abs() < 0.5 {
        t - t.ln_1p()
    } else {
        t - ln_r
    };
    let mean_term = mu_dist2 / sigma_p / sigma_p;
    Ok(0.5 * (d * scale_term.max(0.0) + mean_term))
}

/// Binary KL divergence kl(q ‖ p) = q ln(q/p) + (1 − q) ln((1 − q)/(1 − p)) in nats, for
/// q, p ∈ [0, 1], with the conventions 0 · ln 0 = 0 and 0 · ln(0/0) = 0; it is +inf when
/// p = 0 < q or p = 1 > q.
///
/// ```
/// use sam_pacbayes::kl_bernoulli;
/// assert_eq!(kl_bernoulli(0.3, 0.3).unwrap(), 0.0);
/// assert_eq!(kl_bernoulli(0.0, 0.5).unwrap(), 2f64.ln());
/// assert_eq!(kl_bernoulli(0.2, 0.0).unwrap(), f64::INFINITY);
/// // python3: 0.1*math.log(0.1/0.3) + 0.9*math.log(0.9/0.7) = 0.1163217565860046
/// assert!((kl_bernoulli(0.1, 0.3).unwrap() - 0.116_321_756_586_004_6).abs() < 1e-15);
/// ```
pub fn kl_bernoulli(q: f64, p: f64) -> Result<f64> {
    let q = check_probability("q", q)?;
    let p = check_probability("p", p)?;
    Ok(kl_bernoulli_unchecked(q, p))
}

/// φ(u) = u − ln(1 + u) ≥ 0 for u ≥ −1, accurate also for small |u| (where it is ≈ u²/2 and the
/// direct formula cancels).
fn u_minus_ln_1p(u: f64) -> f64 {
    if u.abs() < 0.5 {
        // u − ln(1 + u) = Σ_{k ≥ 2} (−1)^k u^k / k; |u| < 1/2 so 60 terms reach 1e-18 relative.
        let mut power = u * u;
        let mut sum = 0.0;
        for k in 2..64 {
            let term = power / k as f64;
            sum += if k % 2 == 0 { term } else { -term };
            if term.abs() <= 1e-18 * sum.abs() {
                break;
            }
            power *= u;
        }
        sum
    } else {
        u - u.ln_1p()
    }
}

pub(crate) fn kl_bernoulli_unchecked(q: f64, p: f64) -> f64 {
    if q == 0.0 {
        // kl(0 ‖ p) = −ln(1 − p), +inf at p = 1.
        return -(-p).ln_1p();
    }
    if q == 1.0 {
        // kl(1 ‖ p) = −ln p, +inf at p = 0.
        return -p.ln();
    }
    if p == 0.0 || p == 1.0 {
        return f64::INFINITY;
    }
    // With t = p − q, u = t/q, v = −t/(1 − q): kl = q φ(u) + (1 − q) φ(v), φ(u) = u − ln(1 + u).
    // Both terms are ≥ 0 (the linear parts cancel), so there is no cancellation when p ≈ q.
    let t = p - q;
    let u = t / q;
    let v = -t / (1.0 - q);
    let first = if u.abs() < 0.5 {
        q * u_minus_ln_1p(u)
    } else {
        t + q * (q.ln() - p.ln())
    };
    let second = if v.abs() < 0.5 {
        (1.0 - q) * u_minus_ln_1p(v)
    } else {
        -t + (1.0 - q) * ((-q).ln_1p() - (-p).ln_1p())
    };
    (first + second).max(0.0)
}

/// The upper inverse of the binary kl: max { p ∈ [q, 1] : kl(q ‖ p) ≤ c }.
///
/// This is how a bound of the form kl(ê ‖ e) ≤ c (PAC-Bayes-kl, Chernoff/Langford) becomes a
/// bound on e. Special cases are exact: c = 0 gives q; q = 1 gives 1; q = 0 gives the closed
/// form 1 − e^{−c}. Otherwise kl(q ‖ ·) is continuous and strictly increasing on [q, 1) with
/// kl(q ‖ 1) = +inf, and the answer is found by bisection on the bit patterns of the floats in
/// [q, 1] (at most 64 steps, ending on two adjacent floats, so the absolute error is one ulp,
/// ≤ 1.2e-16, up to the rounding of kl itself). When even the float just below 1 satisfies the
/// constraint (c ≳ 36.7(1 − q)), the answer lies within 2⁻⁵³ of 1 and 1 is returned.
///
/// ```
/// use sam_pacbayes::{kl_bernoulli, kl_inverse_upper};
/// let p = kl_inverse_upper(0.1, 0.05).unwrap();
/// assert!((kl_bernoulli(0.1, p).unwrap() - 0.05).abs() < 1e-12);
/// assert_eq!(kl_inverse_upper(0.0, 2.0).unwrap(), 1.0 - (-2f64).exp());
/// assert_eq!(kl_inverse_upper(0.3, 0.0).unwrap(), 0.3);
/// assert_eq!(kl_inverse_upper(0.3, 1e6).unwrap(), 1.0);
/// ```
pub fn kl_inverse_upper(q: f64, c: f64) -> Result<f64> {
    let q = check_probability("q", q)?;
    let c = check_nonnegative("c", c)?;
    Ok(kl_inverse_upper_unchecked(q, c))
}

pub(crate) fn kl_inverse_upper_unchecked(q: f64, c: f64) -> f64 {
    if c == 0.0 || q == 1.0 {
        return q;
    }
    if q == 0.0 {
        // kl(0 ‖ p) = −ln(1 − p) ≤ c  ⇔  p ≤ 1 − e^{−c}.
        return -(-c).exp_m1();
    }
    // Invariant: kl(q ‖ lo) ≤ c < kl(q ‖ hi). Non-negative floats are ordered like their bits.
    let mut lo = q.to_bits();
    let mut hi = 1f64.to_bits();
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if kl_bernoulli_unchecked(q, f64::from_bits(mid)) <= c {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    if hi == 1f64.to_bits() && lo == hi - 1 {
        1.0
    } else {
        f64::from_bits(lo)
    }
}

/// The per-coordinate posterior scale σ at which KL(N(θ, σ²I) ‖ N(θ₀, σ²I)) = |θ − θ₀|²/(2σ²)
/// equals `kl`: σ = |θ − θ₀|/√(2·kl). With the prior centred at the initialisation θ₀ and
/// σ_P = σ, a certificate whose KL may not exceed `kl` needs at least this σ; it is set by the
/// whole distance travelled, |θ − θ₀|, divided by √(2·kl), not by the per-coordinate
/// displacement |θ − θ₀|/√d.
///
/// ```
/// use sam_pacbayes::{kl_gauss_isotropic, posterior_sigma_for_kl};
/// let s = posterior_sigma_for_kl(8.0, 1000.0).unwrap();
/// let kl = kl_gauss_isotropic(545_810, 64.0, s, s).unwrap();
/// assert!((kl - 1000.0).abs() < 1e-9);
/// ```
pub fn posterior_sigma_for_kl(distance: f64, kl: f64) -> Result<f64> {
    let distance = check_nonnegative("distance", distance)?;
    let kl = check_positive("kl", kl)?;
    Ok(distance / (2.0 * kl).sqrt())
}
