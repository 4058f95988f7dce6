//! Unit tests against reference values computed independently in Python (mpmath 1.3.0 at
//! 50 significant digits, `mp.mp.dps = 50`), with the formulas typed from the sources, not from
//! this crate. Each comment gives the expression; `klinv`/`cp` there are plain bisections:
//!
//! ```text
//! kl(q,p)   = q*log(q/p) + (1-q)*log((1-q)/(1-p))            (0*log0 = 0)
//! klinv(q,c): 400 bisection steps on [q, 1] keeping kl(q,mid) <= c
//! cp(k,m,d): 300 bisection steps on [k/m, 1] for betainc(m-k, k+1, 0, 1-p, regularized=True) <= d
//! ```

// Reference digits are pasted as mpmath printed them (20 significant digits).
#![allow(clippy::excessive_precision)]

use sam_pacbayes::*;
use statrs::distribution::{Beta, ContinuousCDF};

fn close(got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "got {got:e}, want {want:e}, |diff| = {:e} > {tol:e}",
        (got - want).abs()
    );
}

/// Theorem 1 complexity term (review 2.2), mpmath:
/// sqrt((d*log(1+th**2/rho**2*(1+sqrt(log(n)/d))**2) + 4*log(n/delta) + 8*log(6*n+3*d))/(n-1)).
#[test]
fn sam_complexity_reference_values() {
    close(
        sam_complexity(10, 1000, 0.05, 0.05, 1.0).unwrap(),
        0.425_972_034_768_006_05,
        1e-13,
    );
    // d > n: vacuous, as the review says.
    close(
        sam_complexity(1_000_000, 1000, 0.05, 0.05, 10.0).unwrap(),
        103.017_866_662_793_43,
        1e-10,
    );
    // The review's MNIST MLP 784-500-300-10 (d = 545810 with biases), n = 1000, |θ| = 20.
    close(
        sam_complexity(545_810, 1000, 0.05, 0.05, 20.0).unwrap(),
        80.938_171_389_770_67,
        1e-10,
    );
    // θ = 0: only the log terms, sqrt(4 log 4 + 8 log 15).
    close(
        sam_complexity(1, 2, 0.5, 1.0, 0.0).unwrap(),
        5.216_280_193_135_453,
        1e-13,
    );
    // Overflow-safe: |θ|/ρ = 1e300 / 1e-300 overflows, the log path must stay finite.
    let huge = sam_complexity(10, 1000, 0.05, 1e-300, 1e300).unwrap();
    assert!(huge.is_finite() && huge > 0.0);
}

/// Lemma 1 (review 2.2), mpmath: sqrt((3.5 + log(5000/0.01)) / (2*4999)).
#[test]
fn lemma1_reference_value() {
    close(
        lemma1_bound(3.5, 5000, 0.01).unwrap(),
        0.040_774_610_378_405_03,
        1e-14,
    );
}

/// Gaussian KL, mpmath: (d*sq**2/sp**2 + M/sp**2 - d + 2*d*log(sp/sq))/2.
#[test]
fn gaussian_kl_reference_values() {
    close(
        kl_gauss_isotropic(3, 0.0, 0.5, 1.0).unwrap(),
        0.954_441_541_679_835_9,
        1e-14,
    );
    close(
        kl_gauss_isotropic(1000, 4.0, 0.05, 0.1).unwrap(),
        518.147_180_559_945_3,
        1e-10,
    );
    // σ_p = 1 + 1e-9: the scale term is ≈ 2·d·(1e-9)², the cancellation-prone case.
    close(
        kl_gauss_isotropic(10, 1.0, 1.0, 1.0 + 1e-9).unwrap(),
        0.499_999_998_999_999_93,
        1e-15,
    );
    close(
        kl_gauss_isotropic(7, 2.5, 2.0, 0.3).unwrap(),
        152.664_604_550_243_3,
        1e-11,
    );
}

/// kl inverse, mpmath klinv(q, c) (aim: 1e-12 absolute), and its exact special cases.
#[test]
fn kl_inverse_reference_values() {
    for (q, c, want) in [
        (0.1, 0.05, 0.220_078_601_106_924_63),
        (0.5, 0.3, 0.835_852_781_701_288_6),
        (1e-6, 1e-3, 0.001_007_408_366_891_592),
        (0.999, 0.01, 0.999_999_983_289_664_5),
        (0.02, 2.0, 0.882_144_628_262_047_9),
    ] {
        close(kl_inverse_upper(q, c).unwrap(), want, 1e-12);
    }
    // q = 0: closed form 1 − e^{−c}; c = 0: q; q = 1: 1; huge c: 1.
    for c in [1e-12, 0.01, 1.0, 30.0] {
        close(kl_inverse_upper(0.0, c).unwrap(), -(-c).exp_m1(), 1e-16);
    }
    assert_eq!(kl_inverse_upper(0.37, 0.0).unwrap(), 0.37);
    assert_eq!(kl_inverse_upper(1.0, 0.5).unwrap(), 1.0);
    assert_eq!(kl_inverse_upper(0.5, 1e300).unwrap(), 1.0);
    // Tiny budget: p* − q ≈ sqrt(2 q (1 − q) c) (second-order expansion of kl).
    let q = 0.3;
    let c = 1e-20;
    close(
        kl_inverse_upper(q, c).unwrap() - q,
        (2.0 * q * (1.0 - q) * c).sqrt(),
        1e-14,
    );
}

/// Binary kl, mpmath kl(q,p); and the conventions at the ends.
#[test]
fn binary_kl_reference_values() {
    // python3: 0.1*math.log(0.1/0.3) + 0.9*math.log(0.9/0.7)
    close(
        kl_bernoulli(0.1, 0.3).unwrap(),
        0.116_321_756_586_004_6,
        1e-15,
    );
    assert_eq!(kl_bernoulli(0.0, 0.0).unwrap(), 0.0);
    assert_eq!(kl_bernoulli(1.0, 1.0).unwrap(), 0.0);
    assert_eq!(kl_bernoulli(0.0, 1.0).unwrap(), f64::INFINITY);
    assert_eq!(kl_bernoulli(1.0, 0.0).unwrap(), f64::INFINITY);
    assert_eq!(kl_bernoulli(0.5, 1.0).unwrap(), f64::INFINITY);
    close(kl_bernoulli(1.0, 0.25).unwrap(), 4f64.ln(), 1e-15);
    // Near p = q the value is ≈ (p − q)² / (2 q (1 − q)), relative accuracy kept.
    let (q, t) = (0.4, 1e-9);
    let kl = kl_bernoulli(q, q + t).unwrap();
    let approx = t * t / (2.0 * q * (1.0 - q));
    assert!((kl / approx - 1.0).abs() < 1e-6, "kl {kl:e} vs {approx:e}");
}

/// Clopper–Pearson upper bound, mpmath cp(k, m, δ′); also equal to statrs's Beta quantile
/// (the route the docs name) where that is accurate.
#[test]
fn clopper_pearson_reference_values() {
    for (k, m, d, want) in [
        (3u64, 50u64, 0.05, 0.147_837_176_364_181_24),
        (10, 100, 0.01, 0.191_330_285_386_031_01),
        (0, 20, 0.1, 0.108_749_061_866_254_47),
        (499, 1000, 0.001, 0.548_235_623_124_495_9),
    ] {
        let got = mc_risk_bound_clopper_pearson(k, m, d).unwrap();
        close(got, want, 1e-12);
        let beta = Beta::new((k + 1) as f64, (m - k) as f64).unwrap();
        close(got, beta.inverse_cdf(1.0 - d), 1e-9);
    }
    assert_eq!(mc_risk_bound_clopper_pearson(7, 7, 0.05).unwrap(), 1.0);
}

/// kl-form Monte Carlo bound: kl_inverse_upper(k/m, ln(2/δ′)/m), mpmath
/// klinv(0.01, log(2/0.01)/1000) for k = 10, m = 1000, δ′ = 0.01.
#[test]
fn monte_carlo_kl_reference_value() {
    close(
        mc_risk_bound_kl(10, 1000, 0.01).unwrap(),
        kl_inverse_upper(0.01, (2.0f64 / 0.01).ln() / 1000.0).unwrap(),
        0.0,
    );
}

/// PAC-Bayes-kl (Seeger/Maurer), mpmath klinv(e, (K + log(2*sqrt(n)/delta))/n); Catoni, mpmath
/// (1-exp(-C*e-(K+log(1/delta))/n))/(1-exp(-C)).
#[test]
fn certificate_reference_values() {
    close(
        pac_bayes_kl_bound(0.05, 100.0, 10_000, 0.05).unwrap(),
        0.088_660_109_678_251_24,
        1e-12,
    );
    close(
        pac_bayes_kl_bound(0.0, 10.0, 1000, 0.1).unwrap(),
        0.016_315_053_888_202_953,
        1e-12,
    );
    close(
        catoni_bound(0.1, 5.0, 1000, 0.05, 1.0).unwrap(),
        0.161_944_697_578_049_94,
        1e-13,
    );
}

/// Clopper–Pearson for Monte Carlo sizes used on networks (m up to 10⁶), against a python3
/// float reference: bisection on the sum over i ≤ k of exp(lgamma(m+1) − lgamma(i+1) −
/// lgamma(m−i+1) + i log p + (m−i) log1p(−p)), summed with math.fsum after factoring out the
/// max term. That script reproduces the mpmath value at (3, 50, 0.05) to 7e-16.
#[test]
fn clopper_pearson_large_sample_reference_values() {
    for (k, m, d, want) in [
        (1500u64, 100_000u64, 0.05, 0.015_647_767_837_703_57),
        (20, 150_000, 0.01, 0.000_220_677_815_276_886_44),
        (7000, 1_000_000, 0.05, 0.007_138_696_609_552_516),
    ] {
        let got = mc_risk_bound_clopper_pearson(k, m, d).unwrap();
        close(got, want, 1e-9 * want);
    }
}
