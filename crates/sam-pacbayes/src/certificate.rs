//! PAC-Bayes certificates for a stochastic predictor Q given its (bound on the) empirical risk
//! and KL(Q ‖ P): the PAC-Bayes-kl bound (Seeger 2002, Maurer 2004), its McAllester/Pinsker
//! relaxation, Catoni's bound, and a union bound over a grid of Gaussian prior scales.

use crate::error::{
    check_d, check_delta, check_n, check_nonnegative, check_positive, check_probability,
    PacBayesError, Result,
};
use crate::kl::{kl_gauss_isotropic, kl_inverse_upper_unchecked};

/// The right-hand side budget (KL(Q‖P) + ln(2√n/δ)) / n of the PAC-Bayes-kl bound.
fn kl_budget(kl: f64, n: f64, delta: f64) -> f64 {
    (kl + std::f64::consts::LN_2 + 0.5 * n.ln() - delta.ln()) / n
}

/// PAC-Bayes-kl bound (Seeger 2002; Maurer 2004): with probability ≥ 1 − δ over S, for all Q,
///
/// ```text
/// kl(ê ‖ e) ≤ (KL(Q‖P) + ln(2√n/δ)) / n,   so   e ≤ kl_inverse_upper(ê, that)
/// ```
///
/// where ê = E_Q L_S and e = E_Q L_D for a loss in [0, 1]. Maurer proves
/// E_S e^{n kl(ê‖e)} ≤ 2√n for n ≥ 8; the same inequality holds for 2 ≤ n < 8 (direct evaluation of
/// Σ_k C(n,k)(k/n)^k(1 − k/n)^{n−k}, e.g. 2.5 ≤ 2√2 at n = 2), so n ≥ 2 is accepted.
/// `emp_risk` may be an upper bound on ê (e.g. from [`crate::mc_risk_bound_kl`]); the bound is
/// monotone in it, and the confidences then add up (δ + δ′).
///
/// ```
/// use sam_pacbayes::{pac_bayes_kl_bound, mcallester_bound};
/// let kl_form = pac_bayes_kl_bound(0.05, 100.0, 10_000, 0.05).unwrap();
/// let pinsker = mcallester_bound(0.05, 100.0, 10_000, 0.05).unwrap();
/// assert!(0.05 < kl_form && kl_form < pinsker);
/// ```
pub fn pac_bayes_kl_bound(emp_risk: f64, kl: f64, n: u64, delta: f64) -> Result<f64> {
    let emp = check_probability("emp_risk", emp_risk)?;
    let kl = check_nonnegative("kl", kl)?;
    let n = check_n(n)?;
    let delta = check_delta(delta)?;
    Ok(kl_inverse_upper_unchecked(emp, kl_budget(kl, n, delta)))
}

/// McAllester-form bound, the Pinsker relaxation (kl(ê‖e) ≥ 2(e − ê)²) of
/// [`pac_bayes_kl_bound`], with Maurer's constants:
///
/// ```text
/// e ≤ ê + sqrt( (KL(Q‖P) + ln(2√n/δ)) / (2n) )
/// ```
///
/// Never smaller than the kl form; not clipped at 1.
///
/// ```
/// use sam_pacbayes::mcallester_bound;
/// // python3: 0.1 + math.sqrt((5 + math.log(2*math.sqrt(1000)/0.05)) / 2000) = 0.17791905124424
/// let b = mcallester_bound(0.1, 5.0, 1000, 0.05).unwrap();
/// assert!((b - 0.177_919_051_244_24).abs() < 1e-12);
/// ```
pub fn mcallester_bound(emp_risk: f64, kl: f64, n: u64, delta: f64) -> Result<f64> {
    let emp = check_probability("emp_risk", emp_risk)?;
    let kl = check_nonnegative("kl", kl)?;
    let n = check_n(n)?;
    let delta = check_delta(delta)?;
    Ok(emp + (kl_budget(kl, n, delta) / 2.0).sqrt())
}

/// Catoni's bound (Catoni 2007, Theorem 1.2.6) for a fixed C > 0 chosen before seeing the data:
///
/// ```text
/// e ≤ (1 − exp(−C ê − (KL(Q‖P) + ln(1/δ))/n)) / (1 − e^{−C})
/// ```
///
/// Optimising C after seeing the data needs a union bound over a grid of C (not done here).
/// The result is ≥ ê (the map ê ↦ (1 − e^{−Cê})/(1 − e^{−C}) is concave with fixed points 0
/// and 1) and ≤ 1 only when the budget is small; it is not clipped.
///
/// ```
/// use sam_pacbayes::catoni_bound;
/// let b = catoni_bound(0.1, 5.0, 1000, 0.05, 1.0).unwrap();
/// assert!(b > 0.1 && b < 0.2);
/// ```
pub fn catoni_bound(emp_risk: f64, kl: f64, n: u64, delta: f64, c: f64) -> Result<f64> {
    let emp = check_probability("emp_risk", emp_risk)?;
    let kl = check_nonnegative("kl", kl)?;
    let n = check_n(n)?;
    let delta = check_delta(delta)?;
    let c = check_positive("c", c)?;
    let exponent = c * emp + (kl - delta.ln()) / n;
    Ok((-(-exponent).exp_m1()) / (-(-c).exp_m1()))
}

/// The best PAC-Bayes-kl certificate over a grid of prior scales, see [`best_prior_certificate`].
///
/// ```
/// use sam_pacbayes::{best_prior_certificate, Certificate};
/// let cert: Certificate = best_prior_certificate(1000, 10, 1.0, 0.1, &[1.0], 0.0, 0.1).unwrap();
/// assert_eq!((cert.index, cert.sigma_p, cert.delta_per_prior), (0, 1.0, 0.1));
/// assert!(cert.kl > 0.0 && cert.bound > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Certificate {
    /// Upper bound on the true risk E_Q L_D, holding with probability ≥ 1 − δ.
    pub bound: f64,
    /// The prior scale σ_P that achieved it.
    pub sigma_p: f64,
    /// Its index in the grid.
    pub index: usize,
    /// KL(Q ‖ P) for that prior, in nats.
    pub kl: f64,
    /// The confidence spent on each prior, δ / (grid size).
    pub delta_per_prior: f64,
}

/// The "honest certificate" for a trained network with a Gaussian posterior
/// Q = N(θ, σ² I_d) and Gaussian priors P_j = N(θ₀, σ_{P,j}² I_d), θ₀ fixed before seeing the
/// data (e.g. the initialisation), σ_{P,j} from a grid also fixed in advance:
///
/// for every j, `KL_j = kl_gauss_isotropic(d, |θ − θ₀|², σ, σ_P[j])` and
/// `B_j = pac_bayes_kl_bound(ê, KL_j, n, δ/J)` (see [`kl_gauss_isotropic`],
/// [`pac_bayes_kl_bound`]); the certificate is min_j B_j.
///
/// Union bound: each B_j fails with probability ≤ δ/J, so all J hold simultaneously with
/// probability ≥ 1 − δ and taking the minimum after seeing the data is legitimate. The confidence
/// is split evenly over the J grid points (a non-uniform split would favour some scales; the
/// SAM paper's proof, as I recall it, uses a countable grid with weights 6δ/(π²j²)).
/// `emp_risk_bound` is an upper bound on the empirical risk of Q (e.g. [`crate::mc_risk_bound_kl`] at confidence δ′, in which case the
/// certificate holds with probability ≥ 1 − δ − δ′). Ties go to the first grid point.
///
/// ```
/// use sam_pacbayes::best_prior_certificate;
/// let grid = [0.01, 0.03, 0.1, 0.3];
/// let cert = best_prior_certificate(50_000, 1000, 4.0, 0.05, &grid, 0.05, 0.05).unwrap();
/// assert!(cert.bound > 0.05 && cert.bound < 1.0);
/// assert_eq!(cert.sigma_p, grid[cert.index]);
/// assert_eq!(cert.delta_per_prior, 0.05 / 4.0);
/// ```
pub fn best_prior_certificate(
    n: u64,
    d: u64,
    mu_dist2: f64,
    sigma_q: f64,
    sigma_p_grid: &[f64],
    emp_risk_bound: f64,
    delta: f64,
) -> Result<Certificate> {
    let nf = check_n(n)?;
    check_d(d)?;
    check_nonnegative("mu_dist2", mu_dist2)?;
    check_positive("sigma_q", sigma_q)?;
    let emp = check_probability("emp_risk_bound", emp_risk_bound)?;
    let delta = check_delta(delta)?;
    if sigma_p_grid.is_empty() {
        return Err(PacBayesError::EmptyGrid);
    }
    for &s in sigma_p_grid {
        check_positive("sigma_p", s)?;
    }
    let delta_per_prior = delta / sigma_p_grid.len() as f64;
    let mut best: Option<Certificate> = None;
    for (index, &sigma_p) in sigma_p_grid.iter().enumerate() {
        let kl = kl_gauss_isotropic(d, mu_dist2, sigma_q, sigma_p)?;
        let bound = if kl.is_finite() {
            kl_inverse_upper_unchecked(emp, kl_budget(kl, nf, delta_per_prior))
        } else {
            1.0
        };
        if best.is_none_or(|b| bound < b.bound) {
            best = Some(Certificate {
                bound,
                sigma_p,
                index,
                kl,
                delta_per_prior,
            });
        }
    }
    // The grid is non-empty, so `best` is set.
    best.ok_or(PacBayesError::EmptyGrid)
}
