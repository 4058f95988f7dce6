//! # sam-pacbayes
//!
//! One job: the PAC-Bayes bounds of section 2.2 of the review "Sharpness-Aware Minimization for
//! Efficiently Improving Generalization: A Review" (`paper/sam-review.txt`), as pure functions,
//! plus the tighter machinery needed to turn them into honest certificates on trained networks.
//!
//! - Theorem 1 (the SAM paper's bound, Foret et al. 2021, appendix Theorem 2):
//!   [`sam_complexity`] (its square-root term, natural logs), [`sam_bound`] (the full right-hand
//!   side) and [`n_for_complexity`] (samples needed for a target complexity);
//! - Lemma 1 (the PAC-Bayes bound it rests on): [`lemma1_bound`];
//! - divergences: [`kl_gauss_isotropic`] (Gaussian posterior vs Gaussian prior),
//!   [`kl_bernoulli`] and its upper inverse [`kl_inverse_upper`];
//! - Monte Carlo bounds on a stochastic predictor's empirical risk: [`mc_risk_bound_kl`]
//!   (Langford–Caruana) and [`mc_risk_bound_clopper_pearson`];
//! - certificates: [`pac_bayes_kl_bound`] (Seeger/Maurer), [`mcallester_bound`],
//!   [`catoni_bound`] and [`best_prior_certificate`] (union bound over a grid of prior scales).
//!
//! Every input is validated (δ ∈ (0, 1), n ≥ 2, d ≥ 1, scales > 0, finite values, probabilities in
//! [0, 1]); bad input gives a [`PacBayesError`] naming the value and the allowed range, never a
//! panic. Logs are natural.
//!
//! ```
//! use sam_pacbayes::{lemma1_bound, sam_complexity};
//! // The review's complaint: with d > n the Theorem 1 term is vacuous for a [0, 1] loss.
//! assert!(sam_complexity(1_000_000, 1000, 0.05, 0.05, 10.0).unwrap() > 1.0);
//! // Lemma 1 shrinks like sqrt(ln n / n) for a fixed KL.
//! assert!(lemma1_bound(10.0, 100_000, 0.05).unwrap() < lemma1_bound(10.0, 1000, 0.05).unwrap());
//! ```

mod certificate;
mod error;
mod kl;
mod montecarlo;
mod theorem1;

pub use certificate::{
    best_prior_certificate, catoni_bound, mcallester_bound, pac_bayes_kl_bound, Certificate,
};
pub use error::{PacBayesError, Result, MAX_COUNT};
pub use kl::{kl_bernoulli, kl_gauss_isotropic, kl_inverse_upper, posterior_sigma_for_kl};
pub use montecarlo::{mc_risk_bound_clopper_pearson, mc_risk_bound_kl};
pub use theorem1::{lemma1_bound, n_for_complexity, sam_bound, sam_complexity};
