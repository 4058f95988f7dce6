//! `samlab bound`: the PAC-Bayes quantities of the review's section 2.2 on your own numbers —
//! Theorem 1's complexity term, the kl-inverse, and the KL between isotropic Gaussians.
//!
//! Every value is validated by `sam-pacbayes`, whose errors name the value and the allowed range.
//! With `--json` the answer is one JSON object on stdout (DESIGN.md): `{"complexity": ...}`,
//! `{"p": ...}` or `{"kl": ...}`, printed with full precision (the f64 round-trips).

use anyhow::{bail, Result};
use sam_experiments::pacbayes::{init_theta_norm, param_count, MNIST_LAYERS};
use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub which: Which,
}

#[derive(clap::Subcommand)]
pub enum Which {
    /// Theorem 1's square-root (complexity) term as the review states it (natural logs):
    /// sqrt((d ln(1 + |θ|²/ρ² (1 + sqrt(ln n / d))²) + 4 ln(n/δ) + 8 ln(6n + 3d)) / (n − 1)).
    /// Defaults: the review's MNIST network (784-500-300-10, d = 545810) on its 1000 training
    /// images, δ = 0.05, ρ = 0.05, and |θ| = sqrt(E|θ|²) of PyTorch's default initialisation of
    /// that network (a stand-in for a trained network's norm).
    Sam(SamArgs),
    /// The upper kl-inverse: the largest p in [q, 1] with kl(q || p) <= c.
    KlInverse(KlInverseArgs),
    /// KL(N(μ_q, σ_q² I_d) || N(μ_p, σ_p² I_d)) in nats, given |μ_q − μ_p|².
    KlGauss(KlGaussArgs),
}

#[derive(clap::Args)]
pub struct SamArgs {
    /// Number of parameters d (>= 1) [default: 545810, the review's MNIST network].
    #[arg(long, allow_hyphen_values = true)]
    pub d: Option<u64>,
    /// Number of training samples n (>= 2).
    #[arg(long, default_value_t = 1000, allow_hyphen_values = true)]
    pub n: u64,
    /// Confidence δ in (0, 1).
    #[arg(value_parser = super::number, long, default_value_t = 0.05, allow_hyphen_values = true)]
    pub delta: f64,
    /// SAM radius ρ (> 0).
    #[arg(value_parser = super::number, long, default_value_t = 0.05, allow_hyphen_values = true)]
    pub rho: f64,
    /// Euclidean norm |θ| of the parameters (>= 0) [default: sqrt(E|θ|²) at PyTorch's default
    /// initialisation of the MNIST network, weights and biases U(±1/√fan_in)].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub theta_norm: Option<f64>,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct KlInverseArgs {
    /// Empirical risk q in [0, 1].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub q: f64,
    /// Budget c >= 0 (the right-hand side of kl(q || p) <= c).
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub c: f64,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct KlGaussArgs {
    /// Dimension d (>= 1).
    #[arg(long, allow_hyphen_values = true)]
    pub d: u64,
    /// Squared distance of the means |μ_q − μ_p|² (>= 0).
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub mu_dist2: f64,
    /// Posterior scale σ_q (> 0).
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub sigma_q: f64,
    /// Prior scale σ_p (> 0).
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub sigma_p: f64,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<()> {
    match args.which {
        Which::Sam(a) => {
            let d = a.d.unwrap_or_else(|| param_count(&MNIST_LAYERS));
            let theta_norm = a
                .theta_norm
                .unwrap_or_else(|| init_theta_norm(&MNIST_LAYERS));
            let c = sam_pacbayes::sam_complexity(d, a.n, a.delta, a.rho, theta_norm)?;
            if a.json {
                super::print_json(&json!({ "complexity": c }))?;
            } else {
                crate::outln!(
                    "Theorem 1 complexity term (d = {d}, n = {}, delta = {}, rho = {}, |theta| = {theta_norm}): {c}",
                    a.n, a.delta, a.rho
                );
                if c >= 1.0 {
                    crate::outln!("vacuous for a loss in [0, 1] (the term alone is >= 1)");
                }
            }
        }
        Which::KlInverse(a) => {
            let p = sam_pacbayes::kl_inverse_upper(a.q, a.c)?;
            if a.json {
                super::print_json(&json!({ "p": p }))?;
            } else {
                crate::outln!(
                    "largest p in [q, 1] with kl(q || p) <= c (q = {}, c = {}): {p}",
                    a.q,
                    a.c
                );
            }
        }
        Which::KlGauss(a) => {
            let kl = sam_pacbayes::kl_gauss_isotropic(a.d, a.mu_dist2, a.sigma_q, a.sigma_p)?;
            if !kl.is_finite() {
                // name the term that overflowed and the inputs it comes from
                use sam_params::show;
                let ratio = a.d as f64 * (a.sigma_q / a.sigma_p).powi(2);
                let mean = a.mu_dist2 / (a.sigma_p * a.sigma_p);
                if !ratio.is_finite() {
                    bail!(
                        "KL overflows f64: d (sigma_q / sigma_p)^2 is infinite for d = {}, sigma_q = {}, sigma_p = {}: bring the two scales closer",
                        a.d,
                        show(a.sigma_q),
                        show(a.sigma_p)
                    );
                }
                if !mean.is_finite() {
                    bail!(
                        "KL overflows f64: |mu_q - mu_p|^2 / sigma_p^2 is infinite for mu_dist2 = {}, sigma_p = {}: raise sigma_p or lower mu_dist2",
                        show(a.mu_dist2),
                        show(a.sigma_p)
                    );
                }
                bail!(
                    "KL overflows f64 for d = {}, mu_dist2 = {}, sigma_q = {}, sigma_p = {}",
                    a.d,
                    show(a.mu_dist2),
                    show(a.sigma_q),
                    show(a.sigma_p)
                );
            }
            if a.json {
                super::print_json(&json!({ "kl": kl }))?;
            } else {
                crate::outln!(
                    "KL(N(mu_q, sigma_q^2 I) || N(mu_p, sigma_p^2 I)) (d = {}, |mu_q - mu_p|^2 = {}, sigma_q = {}, sigma_p = {}): {kl} nats",
                    a.d, a.mu_dist2, a.sigma_q, a.sigma_p
                );
            }
        }
    }
    Ok(())
}
