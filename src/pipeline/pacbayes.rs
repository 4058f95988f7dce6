//! Section 2.2 of the review: how large Theorem 1's complexity term is, when it stops being
//! vacuous, Lemma 1 for a Gaussian posterior/prior pair, and how much the kl-inverse gains over the
//! McAllester (Pinsker) form (report `04-pac-bayes.md`).
//!
//! Everything here is closed-form arithmetic with `sam-pacbayes`; no training. The evaluation on
//! the trained MNIST networks (measured norms, perturbed 0-1 loss, certificates) belongs to the
//! MNIST pipeline and fills the report's `pacbayes-mnist` section there.

use super::Paths;
use anyhow::{ensure, Result};
use sam_figures::{render, LineChart, Series, Style};
use sam_pacbayes::{
    kl_gauss_isotropic, kl_inverse_upper, lemma1_bound, n_for_complexity, sam_complexity,
    PacBayesError,
};
use sam_report::{num, table};
use sam_results::{read_csv, read_json, write_csv, write_json, Meta};
use serde::{Deserialize, Serialize};

/// The report file.
pub const REPORT: &str = "04-pac-bayes.md";

/// The review's MNIST network (section 2.3.2): 784 → 500 → 300 → 10, fully connected with biases.
pub const MNIST_LAYERS: [usize; 4] = [784, 500, 300, 10];

/// Number of parameters (weights and biases) of a fully connected network with these widths.
///
/// ```
/// use samlab::pipeline::pacbayes::{param_count, MNIST_LAYERS};
/// assert_eq!(param_count(&MNIST_LAYERS), 784 * 500 + 500 + 500 * 300 + 300 + 300 * 10 + 10);
/// ```
pub fn param_count(layers: &[usize]) -> u64 {
    layers.windows(2).map(|w| (w[0] * w[1] + w[1]) as u64).sum()
}

/// sqrt(E|θ|²) for PyTorch's default initialisation of `nn.Linear` layers with these widths:
/// weights and biases U(±1/√fan_in), each of variance 1/(3 fan_in), so
/// E|θ|² = Σ_layers (fan_in·fan_out + fan_out) / (3 fan_in).
///
/// It is the stand-in for |θ| in Theorem 1 until the trained networks' norms are measured (with
/// half a million independent entries, |θ| concentrates tightly around this value).
///
/// ```
/// use samlab::pipeline::pacbayes::init_theta_norm;
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
    fn dims(&self) -> Vec<u64> {
        let mut d = self.d_contrast.clone();
        d.push(self.d_mnist);
        d
    }

    /// The n grid, increasing, without duplicates.
    fn n_grid(&self) -> Vec<u64> {
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
    ensure!(
        (recomposed / row.complexity - 1.0).abs() < 1e-12,
        "Theorem 1 breakdown at rho = {rho}, n = {n} gives {recomposed}, sam_complexity gives {}",
        row.complexity
    );
    Ok(row)
}

fn meta(quick: bool, cfg: &Config) -> Result<Meta> {
    Ok(Meta {
        experiment: "pacbayes".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        seed: None,
        quick,
        config: serde_json::to_value(cfg)?,
    })
}

/// Computes the study and writes `results/pacbayes/`.
pub fn run(paths: &Paths, quick: bool, progress: &(dyn Fn(u64, &str) + Sync)) -> Result<()> {
    let cfg = if quick {
        Config::quick()
    } else {
        Config::default()
    };
    ensure!(
        cfg.d_mnist == param_count(&cfg.layers),
        "d_mnist = {} disagrees with the layers {:?}",
        cfg.d_mnist,
        cfg.layers
    );
    let dir = paths.results.join("pacbayes");
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
            breakdown.push(terms(&cfg, rho, n)?);
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

    write_csv(&dir.join("complexity.csv"), &complexity)?;
    write_csv(&dir.join("n_needed.csv"), &needed)?;
    write_csv(&dir.join("terms.csv"), &breakdown)?;
    write_csv(&dir.join("lemma1.csv"), &lemma1)?;
    write_csv(&dir.join("kl_inverse.csv"), &klinv)?;
    write_json(&dir.join("meta.json"), &meta(quick, &cfg)?)?;
    Ok(())
}

fn read_config(paths: &Paths) -> Result<Config> {
    let meta: Meta = read_json(&paths.results.join("pacbayes/meta.json"))?;
    Ok(serde_json::from_value(meta.config)?)
}

/// Legend / table label of a dimension, naming the MNIST network.
fn d_label(d: u64, cfg: &Config) -> String {
    if d == cfg.d_mnist {
        format!("d = {d} (MNIST MLP)")
    } else {
        format!("d = {d}")
    }
}

/// Draws `figures/pacbayes_complexity_vs_n.svg` from `results/pacbayes/`.
pub fn draw(paths: &Paths) -> Result<()> {
    let dir = paths.results.join("pacbayes");
    let cfg = read_config(paths)?;
    let rows: Vec<ComplexityRow> = read_csv(&dir.join("complexity.csv"))?;
    let lemma1: Vec<Lemma1Row> = read_csv(&dir.join("lemma1.csv"))?;
    // Reference lines across a panel's n range: y = 1 (vacuous for a [0, 1] loss) and y = 0.1.
    let references = |chart: LineChart, ns: Vec<u64>| {
        let lo = ns.iter().copied().min().unwrap_or(100) as f64;
        let hi = ns.iter().copied().max().unwrap_or(100) as f64;
        let line = |y: f64| vec![(lo, y), (hi, y)];
        chart
            .series(
                Series::line("y = 1: vacuous above, for a 0-1 loss", line(1.0))
                    .styled(Style::Dashed)
                    .colored(7),
            )
            .series(Series::line("y = 0.1", line(0.1)).colored(7))
    };
    // The legend sits at the middle right of a panel; the y ranges leave the upper right, where
    // the decreasing curves never go, free for it.

    let mut theorem = LineChart::new(
        &format!(
            "Theorem 1 complexity term, δ = {}, |θ| = {} (solid ρ = {}, dashed ρ = {})",
            cfg.delta,
            num(cfg.theta_norm, 4),
            cfg.rhos[0],
            cfg.rhos.get(1).copied().unwrap_or(cfg.rhos[0]),
        ),
        "training set size n (log scale)",
        "complexity term (log scale)",
    )
    .log_x()
    .log_y();
    for (color, &d) in cfg.dims().iter().enumerate() {
        for (k, &rho) in cfg.rhos.iter().enumerate() {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.d == d && r.rho == rho)
                .map(|r| (r.n as f64, r.complexity))
                .collect();
            let s = Series::line(&format!("{}, ρ = {rho}", d_label(d, &cfg)), pts).colored(color);
            theorem = theorem.series(if k == 0 { s } else { s.styled(Style::Dashed) });
        }
    }
    let theorem = references(theorem, rows.iter().map(|r| r.n).collect()).y_range(0.05, 1e5);

    let mut lemma = LineChart::new(
        &format!(
            "Lemma 1 for the MNIST MLP: Q = N(θ, σ_Q²I), σ_Q = ρ/√d, P = N(0, σ_P²I), δ = {}",
            cfg.delta
        ),
        "training set size n (log scale)",
        "bound on E_Q[L_D − L_S] (log scale)",
    )
    .log_x()
    .log_y();
    for (k, &rho) in cfg.rhos.iter().enumerate() {
        let pts: Vec<(f64, f64)> = lemma1
            .iter()
            .filter(|r| r.rho == rho)
            .map(|r| (r.n as f64, r.bound))
            .collect();
        let s = Series::line(&format!("ρ = {rho}"), pts).colored(3);
        lemma = lemma.series(if k == 0 { s } else { s.styled(Style::Dashed) });
    }
    let lemma = references(lemma, lemma1.iter().map(|r| r.n).collect()).y_range(0.01, 1e4);

    render(
        &paths.figures.join("pacbayes_complexity_vs_n.svg"),
        (1500, 600),
        &[theorem, lemma],
    )?;
    Ok(())
}

fn n_cell(n: Option<u64>) -> String {
    match n {
        None => "> 2^53".to_string(),
        Some(n) if n >= 1_000_000 => format!("{n} (≈ {})", num(n as f64, 2)),
        Some(n) => n.to_string(),
    }
}

/// The generated sections of the report (all but `pacbayes-mnist`, which the MNIST pipeline
/// fills once the trained networks exist).
pub fn sections(paths: &Paths) -> Result<Vec<(&'static str, String)>> {
    let dir = paths.results.join("pacbayes");
    let cfg = read_config(paths)?;
    let complexity: Vec<ComplexityRow> = read_csv(&dir.join("complexity.csv"))?;
    let needed: Vec<NeededRow> = read_csv(&dir.join("n_needed.csv"))?;
    let breakdown: Vec<TermsRow> = read_csv(&dir.join("terms.csv"))?;
    let lemma1: Vec<Lemma1Row> = read_csv(&dir.join("lemma1.csv"))?;
    let klinv: Vec<KlInverseRow> = read_csv(&dir.join("kl_inverse.csv"))?;

    let layer_rows: Vec<Vec<String>> = cfg
        .layers
        .windows(2)
        .map(|w| {
            let (i, o) = (w[0] as f64, w[1] as f64);
            vec![
                format!("{} → {}", w[0], w[1]),
                (w[0] * w[1] + w[1]).to_string(),
                num(1.0 / i.sqrt(), 4),
                num((i * o + o) / (3.0 * i), 5),
            ]
        })
        .collect();
    let setup = format!(
        "{}\nd = **{}** parameters; |θ| = sqrt(E|θ|²) = **{}** (|θ|² = {}); δ = {}; ρ ∈ {{{}}}; contrast dimensions d ∈ {{{}}} with the same |θ|. Source of |θ|: {}.\n",
        table(
            &["layer", "parameters", "init bound 1/√fan_in", "E|θ_layer|²"],
            &layer_rows
        ),
        cfg.d_mnist,
        num(cfg.theta_norm, 6),
        num(cfg.theta_norm * cfg.theta_norm, 6),
        cfg.delta,
        cfg.rhos.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "),
        cfg.d_contrast.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
        cfg.theta_norm_source,
    );

    let terms_md = table(
        &[
            "ρ",
            "n",
            "d ln(1 + |θ|²/ρ² (1 + √(ln n / d))²)",
            "4 ln(n/δ)",
            "8 ln(6n + 3d)",
            "complexity term",
        ],
        &breakdown
            .iter()
            .map(|r| {
                vec![
                    r.rho.to_string(),
                    r.n.to_string(),
                    num(r.d_term, 4),
                    num(r.confidence_term, 4),
                    num(r.grid_term, 4),
                    format!("**{}**", num(r.complexity, 4)),
                ]
            })
            .collect::<Vec<_>>(),
    );

    let needed_md = table(
        &[
            "d",
            "ρ",
            "target",
            "smallest n with complexity term < target",
        ],
        &needed
            .iter()
            .map(|r| {
                let n = n_cell(r.n);
                vec![
                    d_label(r.d, &cfg),
                    r.rho.to_string(),
                    format!("< {}", r.target),
                    if r.d == cfg.d_mnist {
                        format!("**{n}**")
                    } else {
                        n
                    },
                ]
            })
            .collect::<Vec<_>>(),
    );

    // The complexity at every decade of n (the grid points that are powers of ten), one column
    // per (d, ρ); empty where the curve stopped below the threshold.
    let dims = cfg.dims();
    let decades: Vec<u64> = (cfg.n_min_exp..=cfg.n_max_exp)
        .map(|e| 10u64.pow(e))
        .collect();
    let mut header = vec!["n".to_string()];
    for &d in &dims {
        for &rho in &cfg.rhos {
            header.push(format!("d = {d}, ρ = {rho}"));
        }
    }
    let grid_rows: Vec<Vec<String>> = decades
        .iter()
        .filter(|&&n| complexity.iter().any(|r| r.n == n))
        .map(|&n| {
            let mut row = vec![format!("1e{}", (n as f64).log10().round())];
            for &d in &dims {
                for &rho in &cfg.rhos {
                    row.push(
                        complexity
                            .iter()
                            .find(|r| r.d == d && r.rho == rho && r.n == n)
                            .map_or_else(|| "—".to_string(), |r| num(r.complexity, 3)),
                    );
                }
            }
            row
        })
        .collect();
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let grid_md = format!(
        "{}\n— : the curve was stopped after its first grid point below {}.\n",
        table(&header_refs, &grid_rows),
        cfg.stop_below
    );

    let mut lemma_rows = Vec::new();
    for &rho in &cfg.rhos {
        let rows: Vec<&Lemma1Row> = lemma1.iter().filter(|r| r.rho == rho).collect();
        let Some(first) = rows.first() else { continue };
        let at = |n: u64| {
            rows.iter()
                .find(|r| r.n == n)
                .map_or_else(|| "—".to_string(), |r| num(r.bound, 3))
        };
        let first_below = |t: f64| {
            rows.iter()
                .find(|r| r.bound < t)
                .map_or_else(|| "beyond the grid".to_string(), |r| num(r.n as f64, 2))
        };
        lemma_rows.push(vec![
            rho.to_string(),
            num(first.sigma_q, 3),
            num(first.sigma_p, 4),
            num(first.kl, 4),
            at(1000),
            at(100_000),
            first_below(1.0),
            first_below(0.1),
        ]);
    }
    let lemma_md = table(
        &[
            "ρ",
            "σ_Q = ρ/√d",
            "σ_P",
            "KL(Q‖P) (nats)",
            "bound at n = 1e3",
            "bound at n = 1e5",
            "first grid n with bound < 1",
            "first grid n with bound < 0.1",
        ],
        &lemma_rows,
    );

    let klinv_md = table(
        &[
            "q (empirical risk)",
            "c (budget)",
            "kl-inverse p",
            "Pinsker q + √(c/2)",
            "Pinsker − kl-inverse",
        ],
        &klinv
            .iter()
            .map(|r| {
                vec![
                    r.q.to_string(),
                    r.budget.to_string(),
                    num(r.kl_inverse, 4),
                    num(r.pinsker, 4),
                    num(r.pinsker - r.kl_inverse, 3),
                ]
            })
            .collect::<Vec<_>>(),
    );

    Ok(vec![
        ("pacbayes-setup", setup),
        ("pacbayes-terms", terms_md),
        ("pacbayes-needed", needed_md),
        ("pacbayes-grid", grid_md),
        ("pacbayes-lemma1", lemma_md),
        ("pacbayes-klinv", klinv_md),
    ])
}
