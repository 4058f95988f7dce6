//! Section 2.2 of the review: how large Theorem 1's complexity term is, when it stops being
//! vacuous, Lemma 1 for a Gaussian posterior/prior pair, and how much the kl-inverse gains over the
//! McAllester (Pinsker) form (report `04-pac-bayes.md`).
//!
//! Everything here is closed-form arithmetic with `sam-pacbayes`; no training. The evaluation on
//! the trained MNIST networks (measured norms, perturbed 0-1 loss, certificates) belongs to the
//! MNIST experiment and fills the report's `pacbayes-mnist` section there.

use crate::{ExperimentError, Result};
use sam_pacbayes::{
    kl_gauss_isotropic, kl_inverse_upper, lemma1_bound, n_for_complexity, sam_complexity,
    PacBayesError,
};
use serde::{Deserialize, Serialize};

/// The review's MNIST network (section 2.3.2): 784 → 500 → 300 → 10, fully connected with biases
/// (the widths of `sam-mnist`'s model, defined there once).
pub const MNIST_LAYERS: [usize; 4] = sam_mnist::model::SIZES;

/// Number of parameters (weights and biases) of a fully connected network with these widths.
///
/// ```
/// use sam_experiments::pacbayes::{param_count, MNIST_LAYERS};
/// assert_eq!(param_count(&MNIST_LAYERS), 784 * 500 + 500 + 500 * 300 + 300 + 300 * 10 + 10);
/// ```
pub fn param_count(layers: &[usize]) -> u64 {
    sam_mnist::model::n_params(layers) as u64
}

/// sqrt(E|θ|²) for PyTorch's default initialisation of `nn.Linear` layers with these widths:
/// weights and biases U(±1/√fan_in), each of variance 1/(3 fan_in), so
/// E|θ|² = Σ_layers (fan_in·fan_out + fan_out) / (3 fan_in).
///
/// It is the stand-in for |θ| in Theorem 1 until the trained networks' norms are measured (with
/// half a million independent entries, |θ| concentrates tightly around this value).
///
/// ```
/// use sam_experiments::pacbayes::init_theta_norm;
/// // python3: math.sqrt((1*2+2)/(3*1)) for one layer 1 -> 2
/// assert!((init_theta_norm(&[1, 2]) - (4.0f64 / 3.0).sqrt()).abs() < 1e-15);
/// ```
pub fn init_theta_norm(layers: &[usize]) -> f64 {
    layers
        .windows(2)
        .map(|w| {
            let (fan_in, fan_out) = (w[0] as f64, w[1] as f64);
            (fan_in * fan_out + fan_out) / (3.0 * fan_in)
        })
        .sum::<f64>()
        .sqrt()
}

/// Settings of the study. Defaults are the review's network and the SAM paper's δ; the ρ values
/// are the SAM paper's usual range ends (0.05 is its default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Widths of the MNIST network.
    pub layers: Vec<usize>,
    /// Its number of parameters.
    pub d_mnist: u64,
    /// Smaller parameter counts for contrast (same |θ|).
    pub d_contrast: Vec<u64>,
    /// |θ| used for every d.
    pub theta_norm: f64,
    /// Where `theta_norm` comes from.
    pub theta_norm_source: String,
    /// Confidence δ.
    pub delta: f64,
    /// SAM radii ρ.
    pub rhos: Vec<f64>,
    /// The n grid: 10^(min_exp + k / points_per_decade) up to 10^max_exp, rounded.
    pub n_min_exp: u32,
    /// Last exponent of the n grid.
    pub n_max_exp: u32,
    /// Grid points per decade.
    pub points_per_decade: u32,
    /// A curve stops at the first grid point whose complexity is below this.
    pub stop_below: f64,
    /// Targets for the "n needed" table (1: no longer vacuous for a [0, 1] loss).
    pub targets: Vec<f64>,
    /// n at which the terms of Theorem 1 are broken down (the review trains on 1000 images).
    pub n_breakdown: Vec<u64>,
    /// Empirical risks q for the kl-inverse comparison.
    pub kl_q: Vec<f64>,
    /// kl budgets c for the kl-inverse comparison.
    pub kl_budget: Vec<f64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            layers: MNIST_LAYERS.to_vec(),
            d_mnist: param_count(&MNIST_LAYERS),
            d_contrast: vec![10, 1000, 100_000],
            theta_norm: init_theta_norm(&MNIST_LAYERS),
            theta_norm_source: "sqrt(E|θ|²) of PyTorch's default nn.Linear initialisation \
                U(±1/√fan_in) for weights and biases, closed form Σ (fan_in·fan_out + fan_out) \
                / (3 fan_in); used for these closed-form tables and the contrast dimensions, while the \
                trained networks' own norms (table \"on the trained networks\" below) enter their \
                bounds there"
                .into(),
            delta: 0.05,
            rhos: vec![0.05, 0.2],
            n_min_exp: 2,
            n_max_exp: 10,
            points_per_decade: 8,
            stop_below: 0.1,
            targets: vec![1.0, 0.1],
            n_breakdown: vec![1000, 10_000, 60_000],
            kl_q: vec![0.0, 0.01, 0.05, 0.1, 0.3],
            kl_budget: vec![0.001, 0.01, 0.1],
        }
    }
}

impl Config {
    /// A coarser n grid for smoke runs (everything else is cheap already).
    pub fn quick() -> Self {
        Self {
            points_per_decade: 2,
            ..Self::default()
        }
    }

    /// The dimensions studied, MNIST last.
    pub fn dims(&self) -> Vec<u64> {
        let mut d = self.d_contrast.clone();
        d.push(self.d_mnist);
        d
    }

    /// Legend / table label of a dimension, naming the MNIST network.
    pub fn d_label(&self, d: u64) -> String {
        if d == self.d_mnist {
            format!("d = {d} (MNIST MLP)")
        } else {
            format!("d = {d}")
        }
    }

    /// The n grid, increasing, without duplicates.
    pub fn n_grid(&self) -> Vec<u64> {
        let steps = (self.n_max_exp - self.n_min_exp) * self.points_per_decade.max(1);
        let mut grid: Vec<u64> = (0..=steps)
            .map(|k| {
                let e = self.n_min_exp as f64 + k as f64 / self.points_per_decade.max(1) as f64;
                10f64.powf(e).round() as u64
            })
            .collect();
        grid.dedup();
        grid
    }
}

/// Theorem 1's complexity term at one (d, ρ, n).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplexityRow {
    /// Number of parameters.
    pub d: u64,
    /// SAM radius.
    pub rho: f64,
    /// Number of training samples.
    pub n: u64,
    /// The square-root term of Theorem 1.
    pub complexity: f64,
}

/// The smallest n with complexity below a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeededRow {
    /// Number of parameters.
    pub d: u64,
    /// SAM radius.
    pub rho: f64,
    /// Target complexity.
    pub target: f64,
    /// The smallest such n (empty when above 2^53).
    pub n: Option<u64>,
}

/// The three terms under Theorem 1's square root for the MNIST network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermsRow {
    /// SAM radius.
    pub rho: f64,
    /// Number of training samples.
    pub n: u64,
    /// d ln(1 + |θ|²/ρ² (1 + sqrt(ln n / d))²).
    pub d_term: f64,
    /// 4 ln(n/δ).
    pub confidence_term: f64,
    /// 8 ln(6n + 3d).
    pub grid_term: f64,
    /// sqrt((sum of the three) / (n − 1)), as computed by `sam_complexity`.
    pub complexity: f64,
}

/// Lemma 1 for the MNIST network with Q = N(θ, σ_Q² I), σ_Q = ρ/√d (so E|ε|² = ρ²), and the
/// prior P = N(0, σ_P² I) with the KL-minimising scale σ_P² = σ_Q² + |θ|²/d.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lemma1Row {
    /// SAM radius.
    pub rho: f64,
    /// Posterior scale.
    pub sigma_q: f64,
    /// Prior scale.
    pub sigma_p: f64,
    /// KL(Q ‖ P) in nats.
    pub kl: f64,
    /// Number of training samples.
    pub n: u64,
    /// Lemma 1's right-hand side.
    pub bound: f64,
}

/// kl-inverse vs its Pinsker (McAllester-form) relaxation for one (q, c).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KlInverseRow {
    /// Empirical risk q.
    pub q: f64,
    /// Budget c (the right-hand side of kl(q ‖ p) ≤ c).
    pub budget: f64,
    /// max { p ≥ q : kl(q ‖ p) ≤ c }.
    pub kl_inverse: f64,
    /// q + sqrt(c/2), from kl(q ‖ p) ≥ 2(p − q)² (not clipped at 1).
    pub pinsker: f64,
}

/// Theorem 1's complexity term against Lemma 1 with the same (oracle) Gaussian prior, at one
/// (ρ, n): why the first is about twice the second.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// SAM radius.
    pub rho: f64,
    /// Number of training samples.
    pub n: u64,
    /// Theorem 1's complexity term.
    pub theorem1: f64,
    /// Lemma 1's right-hand side (table `lemma1.csv`).
    pub lemma1: f64,
    /// theorem1 / lemma1.
    pub ratio: f64,
    /// Theorem 1's d-term d ln(1 + |θ|²/ρ²(1 + √(ln n/d))²) over Lemma 1's KL ½ d ln(1 + |θ|²/ρ²):
    /// 2 up to the (1 + √(ln n/d))² inside the log.
    pub d_term_over_kl: f64,
}

/// The Gaussian average of the review's assumption L(θ) ≤ E_{ε∼N(0, v)} L(θ + ε) for one 1-D case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssumptionRow {
    /// "local_min": L(x) = (1 + x²)e^{−x²/2} at its local minimum x = 0 (not global: L → 0);
    /// "convex": L(x) = eˣ at x = 0 (convex, not a minimum).
    pub case: String,
    /// The variance v of ε.
    pub variance: f64,
    /// L(θ).
    pub loss_at_theta: f64,
    /// E L(θ + ε) in closed form: (1 + 2v)/(1 + v)^{3/2}, resp. e^{v/2}.
    pub average_closed_form: f64,
    /// The same by composite Simpson quadrature over ±12 standard deviations (an independent check).
    pub average_quadrature: f64,
    /// Whether the assumption holds, L(θ) ≤ E L(θ + ε).
    pub holds: bool,
}

/// A 1-D function of one variable.
pub type Fn1 = fn(f64) -> f64;

/// The two cases of [`AssumptionRow`]: the loss and the closed-form Gaussian average.
///
/// ```
/// let (loss, avg) = sam_experiments::pacbayes::assumption_case("local_min").unwrap();
/// assert_eq!(loss(0.0), 1.0);
/// assert!(avg(3.0) < 1.0); // a wide perturbation sees the lower loss beyond the barrier
/// ```
pub fn assumption_case(case: &str) -> Option<(Fn1, Fn1)> {
    match case {
        "local_min" => Some((
            |x: f64| (1.0 + x * x) * (-0.5 * x * x).exp(),
            |v: f64| (1.0 + 2.0 * v) / (1.0 + v).powf(1.5),
        )),
        "convex" => Some((f64::exp, |v: f64| (0.5 * v).exp())),
        _ => None,
    }
}

/// E_{ε∼N(0, v)} f(ε) by composite Simpson's rule on [−12√v, 12√v] with 4000 intervals.
///
/// ```
/// let m = sam_experiments::pacbayes::gaussian_average(|x| x * x, 2.0);
/// assert!((m - 2.0).abs() < 1e-9);
/// ```
pub fn gaussian_average(f: impl Fn(f64) -> f64, variance: f64) -> f64 {
    let s = variance.sqrt();
    let (a, n) = (12.0 * s, 4000usize);
    let h = 2.0 * a / n as f64;
    let density = |x: f64| (-0.5 * x * x / variance).exp() / (s * std::f64::consts::TAU.sqrt());
    let g = |x: f64| f(x) * density(x);
    let inner: f64 = (1..n)
        .map(|i| {
            let x = -a + i as f64 * h;
            if i % 2 == 1 {
                4.0 * g(x)
            } else {
                2.0 * g(x)
            }
        })
        .sum();
    (g(-a) + inner + g(a)) * h / 3.0
}

/// The variance above which the assumption fails at the local minimum of the `local_min` case:
/// bisection on the quadrature (closed form: the golden ratio, from (1 + 2v)² = (1 + v)³).
///
/// ```
/// let t = sam_experiments::pacbayes::local_min_threshold_variance();
/// assert!((t - (1.0 + 5f64.sqrt()) / 2.0).abs() < 1e-6);
/// ```
pub fn local_min_threshold_variance() -> f64 {
    let (loss, _) = assumption_case("local_min").expect("known case");
    let fails = |v: f64| gaussian_average(loss, v) < loss(0.0);
    let (mut lo, mut hi) = (0.5, 5.0);
    for _ in 0..60 {
        let m = 0.5 * (lo + hi);
        if fails(m) {
            hi = m;
        } else {
            lo = m;
        }
    }
    0.5 * (lo + hi)
}

fn terms(cfg: &Config, rho: f64, n: u64) -> Result<TermsRow> {
    let (d, nf) = (cfg.d_mnist as f64, n as f64);
    let s = (nf.ln() / d).sqrt();
    let ratio = cfg.theta_norm / rho * (1.0 + s);
    let row = TermsRow {
        rho,
        n,
        d_term: d * (ratio * ratio).ln_1p(),
        confidence_term: 4.0 * (nf / cfg.delta).ln(),
        grid_term: 8.0 * (6.0 * nf + 3.0 * d).ln(),
        complexity: sam_complexity(cfg.d_mnist, n, cfg.delta, rho, cfg.theta_norm)?,
    };
    // The breakdown must add up to the crate's value, or the table would explain another formula.
    let recomposed = ((row.d_term + row.confidence_term + row.grid_term) / (nf - 1.0)).sqrt();
    if (recomposed / row.complexity - 1.0).abs() >= 1e-12 {
        return Err(ExperimentError::Finding(format!(
            "Theorem 1 breakdown at rho = {rho}, n = {n} gives {recomposed}, sam_complexity gives {} (a bug: please report it)",
            row.complexity
        )));
    }
    Ok(row)
}

/// Computes the study: Theorem 1's complexity over n, the n needed for each target, the terms'
/// breakdown, Lemma 1 for a Gaussian pair, the kl-inverse against Pinsker.
pub fn run(cfg: &Config, quick: bool, progress: crate::Progress) -> Result<Results> {
    if cfg.d_mnist != param_count(&cfg.layers) {
        return Err(ExperimentError::Config(format!(
            "d_mnist = {} disagrees with the layers {:?}: use {}",
            cfg.d_mnist,
            cfg.layers,
            param_count(&cfg.layers)
        )));
    }
    let grid = cfg.n_grid();
    let dims = cfg.dims();
    progress((dims.len() * cfg.rhos.len()) as u64, "pacbayes bounds");

    let mut complexity = Vec::new();
    let mut needed = Vec::new();
    for &d in &dims {
        for &rho in &cfg.rhos {
            for &n in &grid {
                let c = sam_complexity(d, n, cfg.delta, rho, cfg.theta_norm)?;
                complexity.push(ComplexityRow {
                    d,
                    rho,
                    n,
                    complexity: c,
                });
                if c < cfg.stop_below {
                    break;
                }
            }
            for &target in &cfg.targets {
                let n = match n_for_complexity(d, cfg.delta, rho, cfg.theta_norm, target) {
                    Ok(n) => Some(n),
                    Err(PacBayesError::Unreachable(_)) => None,
                    Err(e) => return Err(e.into()),
                };
                needed.push(NeededRow { d, rho, target, n });
            }
            progress(0, "");
        }
    }

    let mut breakdown = Vec::new();
    for &rho in &cfg.rhos {
        for &n in &cfg.n_breakdown {
            breakdown.push(terms(cfg, rho, n)?);
        }
    }

    let d = cfg.d_mnist;
    let mut lemma1 = Vec::new();
    for &rho in &cfg.rhos {
        let sigma_q = rho / (d as f64).sqrt();
        let sigma_p = (sigma_q * sigma_q + cfg.theta_norm * cfg.theta_norm / d as f64).sqrt();
        let kl = kl_gauss_isotropic(d, cfg.theta_norm * cfg.theta_norm, sigma_q, sigma_p)?;
        for &n in &grid {
            lemma1.push(Lemma1Row {
                rho,
                sigma_q,
                sigma_p,
                kl,
                n,
                bound: lemma1_bound(kl, n, cfg.delta)?,
            });
        }
    }

    let mut comparison = Vec::new();
    for &rho in &cfg.rhos {
        for &n in &[1000u64, 60000] {
            let t = terms(cfg, rho, n)?;
            let l = lemma1
                .iter()
                .find(|l| l.rho == rho)
                .map(|l| (l.kl, lemma1_bound(l.kl, n, cfg.delta)))
                .ok_or_else(|| ExperimentError::Config(format!("no Lemma 1 row at rho = {rho}")))?;
            let bound = l.1?;
            comparison.push(ComparisonRow {
                rho,
                n,
                theorem1: t.complexity,
                lemma1: bound,
                ratio: t.complexity / bound,
                d_term_over_kl: t.d_term / l.0,
            });
        }
    }

    let mut assumption = Vec::new();
    for case in ["local_min", "convex"] {
        let (loss, closed) = assumption_case(case).expect("known case");
        for v in [0.1, 0.5, 1.0, 1.5, 1.7, 2.0, 3.0, 5.0] {
            let avg = gaussian_average(loss, v);
            assumption.push(AssumptionRow {
                case: case.into(),
                variance: v,
                loss_at_theta: loss(0.0),
                average_closed_form: closed(v),
                average_quadrature: avg,
                holds: loss(0.0) <= avg,
            });
        }
    }

    let mut klinv = Vec::new();
    for &q in &cfg.kl_q {
        for &c in &cfg.kl_budget {
            klinv.push(KlInverseRow {
                q,
                budget: c,
                kl_inverse: kl_inverse_upper(q, c)?,
                pinsker: q + (c / 2.0).sqrt(),
            });
        }
    }

    Ok(Results {
        complexity,
        needed,
        terms: breakdown,
        lemma1,
        comparison,
        assumption,
        local_min_threshold: local_min_threshold_variance(),
        kl_inverse: klinv,
        meta: sam_results::Meta::new(NAME, None, quick, cfg)?,
        cfg: cfg.clone(),
    })
}

/// The experiment's folder name under `results/`.
pub const NAME: &str = "pacbayes";

/// Everything the PAC-Bayes study writes under `results/pacbayes/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// Theorem 1's term over the n grid (`complexity.csv`).
    pub complexity: Vec<ComplexityRow>,
    /// The smallest n per target (`n_needed.csv`).
    pub needed: Vec<NeededRow>,
    /// The terms under the square root (`terms.csv`).
    pub terms: Vec<TermsRow>,
    /// Lemma 1 for the Gaussian pair (`lemma1.csv`).
    pub lemma1: Vec<Lemma1Row>,
    /// Theorem 1 against Lemma 1 (`theorem1_vs_lemma1.csv`).
    pub comparison: Vec<ComparisonRow>,
    /// The assumption of Theorem 1 on two 1-D cases (`assumption.csv`).
    pub assumption: Vec<AssumptionRow>,
    /// The variance above which it fails at the local minimum (`assumption_threshold.json`).
    pub local_min_threshold: f64,
    /// kl-inverse against Pinsker (`kl_inverse.csv`).
    pub kl_inverse: Vec<KlInverseRow>,
    /// Config and version (`meta.json`).
    pub meta: sam_results::Meta,
    /// The config, as in `meta.json`.
    pub cfg: Config,
}

impl Results {
    /// Writes every file into `dir` (atomically, one by one).
    pub fn write(&self, dir: &std::path::Path) -> Result<()> {
        use sam_results::{write_csv, write_json};
        write_csv(&dir.join("complexity.csv"), &self.complexity)?;
        write_csv(&dir.join("n_needed.csv"), &self.needed)?;
        write_csv(&dir.join("terms.csv"), &self.terms)?;
        write_csv(&dir.join("lemma1.csv"), &self.lemma1)?;
        write_csv(&dir.join("kl_inverse.csv"), &self.kl_inverse)?;
        write_csv(&dir.join("theorem1_vs_lemma1.csv"), &self.comparison)?;
        write_csv(&dir.join("assumption.csv"), &self.assumption)?;
        write_json(
            &dir.join("assumption_threshold.json"),
            &serde_json::json!({ "local_min_threshold_variance": self.local_min_threshold }),
        )?;
        write_json(&dir.join("meta.json"), &self.meta)?;
        Ok(())
    }

    /// Reads what [`Results::write`] wrote.
    pub fn read(dir: &std::path::Path) -> Result<Self> {
        use sam_results::{read_csv, read_json};
        let meta: sam_results::Meta = read_json(&dir.join("meta.json"))?;
        let cfg = crate::config_of(&meta, dir)?;
        Ok(Self {
            complexity: read_csv(&dir.join("complexity.csv"))?,
            needed: read_csv(&dir.join("n_needed.csv"))?,
            terms: read_csv(&dir.join("terms.csv"))?,
            lemma1: read_csv(&dir.join("lemma1.csv"))?,
            kl_inverse: read_csv(&dir.join("kl_inverse.csv"))?,
            comparison: read_csv(&dir.join("theorem1_vs_lemma1.csv"))?,
            assumption: read_csv(&dir.join("assumption.csv"))?,
            local_min_threshold: {
                let v: serde_json::Value = read_json(&dir.join("assumption_threshold.json"))?;
                v["local_min_threshold_variance"].as_f64().ok_or_else(|| {
                    ExperimentError::Config(format!(
                        "{}: assumption_threshold.json lacks local_min_threshold_variance: rerun the experiment",
                        dir.display()
                    ))
                })?
            },
            meta,
            cfg,
        })
    }
}

crate::study!(Config::quick(), Config::default(), |cfg, ctx| run(
    cfg,
    ctx.quick,
    ctx.progress
));
