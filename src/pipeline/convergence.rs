//! Theorem 2 (review §3.2, Eq. 6) and what it excludes, the constant-ρ floor (report
//! `05-convergence.md`).
//!
//! `run` writes `results/convergence/`:
//! - `theorem2.csv`: one [`Theorem2Row`] per T (LHS mean and CI, RHS, C1 and C2 terms, ratio);
//! - `theorem2.json`: the `samlab converge theorem2 --json` contract for the same run;
//! - `theorem2_summary.json`: the run's constants, slopes and verdict ([`Theorem2Summary`]);
//! - `counterexample.csv`, `counterexample_summary.json`: the T = 1 counterexample to Eq. (6)
//!   as quoted ([`counterexample_config`]), same row and summary types;
//! - `floor.csv`: [`FloorRow`]s of the two floor sweeps (N = 10⁴ and a short N, see [`Config`]);
//! - `meta.json`: the [`Config`] and the base seed.
//!
//! `draw` and `sections` read only these files.

use super::Paths;
use anyhow::Result;
use sam_convergence::{
    floor_sweep, theorem2_report, FloorKind, FloorRow, FloorSweepConfig, LogCoshCos, Noise,
    Theorem2Config, Theorem2Report, Theorem2Row,
};
use sam_figures::{render, Band, LineChart, Series, Style};
use sam_report::{num, table};
use sam_results::{read_csv, read_json, write_csv, write_json, Meta};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The report file.
pub const REPORT: &str = "05-convergence.md";

const EXPERIMENT: &str = "convergence";

/// Steps of the short floor sweep, where unnormalized SAM's |q|ᵗ is still representable in f64
/// (at N = 10⁴ it underflows to exactly 0 and vanishes from a log axis).
const SHORT_STEPS: usize = 50;

/// Everything one pipeline run computes (written to `meta.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The Theorem 2 Monte Carlo check (full run: `Theorem2Config::default()`, which is also
    /// what `samlab converge theorem2` runs without options).
    pub theorem2: Theorem2Config,
    /// The deterministic T = 1 counterexample to Eq. (6) as quoted.
    pub counterexample: Theorem2Config,
    /// The floor sweep (`FloorSweepConfig::default()`, N = 10⁴).
    pub floor: FloorSweepConfig,
    /// The same sweep with N = 50 steps, to show unnormalized SAM on a log axis.
    pub floor_short: FloorSweepConfig,
}

impl Config {
    /// The committed run: every default.
    pub fn full() -> Self {
        let floor = FloorSweepConfig::default();
        Self {
            theorem2: Theorem2Config::default(),
            counterexample: counterexample_config(),
            floor_short: FloorSweepConfig {
                steps: SHORT_STEPS,
                ..floor.clone()
            },
            floor,
        }
    }

    /// A smoke run: 20 seeds, T up to 10⁴.
    pub fn quick() -> Self {
        let mut c = Self::full();
        c.theorem2.seeds = 20;
        c.theorem2.t_max = 10_000;
        c.theorem2.grid_points = 5;
        c
    }
}

/// The T = 1 counterexample (the crate's `eq6_as_quoted_fails_at_t_equal_1` test): f = log cosh x
/// (G = L = 1), no noise (σ = 0), η₀ = ρ₀ = 1 (so ρ₀ = Gη₀ and η₀L = 1), started at x₀ = 0.01,
/// next to the minimum. One SAM step overshoots and raises f, so C1 < 0 at T = 1 while
/// log T = 0. The grid continues to T = 10⁴ to show the bound holding for T ≥ 2.
pub fn counterexample_config() -> Theorem2Config {
    Theorem2Config {
        problem: LogCoshCos::new(vec![1.0], vec![0.0], vec![0.0])
            .expect("log cosh x is a valid instance"),
        x0: vec![0.01],
        noise: Noise::Gaussian,
        sigma: 0.0,
        eta0: 1.0,
        rho0: 1.0,
        seeds: 2,
        base_seed: 0,
        t_min: 1,
        t_max: 10_000,
        grid_points: 9,
        confidence: 0.95,
    }
}

/// The scalars of one Theorem 2 run. Slopes and ratios are `None` where undefined (a zero or
/// negative value on a log scale), so that the file always reads back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theorem2Summary {
    /// Independent runs.
    pub seeds: usize,
    /// Level of the confidence intervals.
    pub confidence: f64,
    /// Dimension d.
    pub dim: usize,
    /// G = ‖a + b‖ (exact supremum of ‖∇f‖).
    pub g: f64,
    /// L (exact smallest Lipschitz constant of ∇f).
    pub l: f64,
    /// σ (exact: E‖ξ‖² = σ²).
    pub sigma: f64,
    /// η₀.
    pub eta0: f64,
    /// ρ₀.
    pub rho0: f64,
    /// η₀L.
    pub eta0_l: f64,
    /// Gη₀, the largest ρ₀ the theorem allows.
    pub g_eta0: f64,
    /// f(x₀).
    pub f0: f64,
    /// C2 = 2(Lσ²η₀ + LGρ₀).
    pub c2: f64,
    /// Least-squares slope of ln(mean LHS) on ln T.
    pub slope: Option<f64>,
    /// The same for the RHS.
    pub rhs_slope: Option<f64>,
    /// Whether every row's LHS interval lies at or below the RHS's lower end.
    pub holds: bool,
    /// Smallest RHS/LHS over the grid.
    pub min_ratio: Option<f64>,
    /// Largest RHS/LHS over the grid.
    pub max_ratio: Option<f64>,
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl Theorem2Summary {
    fn of(rep: &Theorem2Report) -> Self {
        let c = &rep.config;
        Self {
            seeds: c.seeds,
            confidence: c.confidence,
            dim: c.x0.len(),
            g: rep.g,
            l: rep.l,
            sigma: rep.sigma,
            eta0: c.eta0,
            rho0: c.rho0,
            eta0_l: rep.eta0_l,
            g_eta0: rep.g * c.eta0,
            f0: rep.f0,
            c2: c.c2(),
            slope: finite(rep.result.slope),
            rhs_slope: finite(rep.rhs_slope),
            holds: rep.holds,
            min_ratio: finite(rep.min_ratio),
            max_ratio: finite(
                rep.rows
                    .iter()
                    .map(|r| r.ratio)
                    .fold(f64::NEG_INFINITY, f64::max),
            ),
        }
    }
}

fn dir(paths: &Paths) -> PathBuf {
    paths.results.join(EXPERIMENT)
}

/// Runs the Theorem 2 check, the T = 1 counterexample and the floor sweeps, and writes
/// `results/convergence/`.
pub fn run(paths: &Paths, quick: bool, progress: &(dyn Fn(u64, &str) + Sync)) -> Result<()> {
    let cfg = if quick {
        Config::quick()
    } else {
        Config::full()
    };
    let dir = dir(paths);
    progress(4, "convergence");
    let rep = theorem2_report(&cfg.theorem2)?;
    progress(0, "");
    let cex = theorem2_report(&cfg.counterexample)?;
    progress(0, "");
    let mut floor = floor_sweep(&cfg.floor)?;
    progress(0, "");
    floor.extend(floor_sweep(&cfg.floor_short)?);
    progress(0, "");
    write_csv(&dir.join("theorem2.csv"), &rep.rows)?;
    write_json(&dir.join("theorem2.json"), &rep.result)?;
    write_json(
        &dir.join("theorem2_summary.json"),
        &Theorem2Summary::of(&rep),
    )?;
    write_csv(&dir.join("counterexample.csv"), &cex.rows)?;
    write_json(
        &dir.join("counterexample_summary.json"),
        &Theorem2Summary::of(&cex),
    )?;
    write_csv(&dir.join("floor.csv"), &floor)?;
    write_json(
        &dir.join("meta.json"),
        &Meta {
            experiment: EXPERIMENT.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            seed: Some(cfg.theorem2.base_seed),
            quick,
            config: serde_json::to_value(&cfg)?,
        },
    )?;
    Ok(())
}

/// The result files, read back.
struct Loaded {
    rows: Vec<Theorem2Row>,
    summary: Theorem2Summary,
    cex: Vec<Theorem2Row>,
    cex_summary: Theorem2Summary,
    floor: Vec<FloorRow>,
    cfg: Config,
}

fn load(paths: &Paths) -> Result<Loaded> {
    let dir = dir(paths);
    let meta: Meta = read_json(&dir.join("meta.json"))?;
    Ok(Loaded {
        rows: read_csv(&dir.join("theorem2.csv"))?,
        summary: read_json(&dir.join("theorem2_summary.json"))?,
        cex: read_csv(&dir.join("counterexample.csv"))?,
        cex_summary: read_json(&dir.join("counterexample_summary.json"))?,
        floor: read_csv(&dir.join("floor.csv"))?,
        cfg: serde_json::from_value(meta.config)?,
    })
}

fn floor_rows(rows: &[FloorRow], steps: usize, kind: FloorKind) -> Vec<&FloorRow> {
    rows.iter()
        .filter(|r| r.steps == steps && r.kind == kind)
        .collect()
}

fn measured(rows: &[&FloorRow]) -> Vec<(f64, f64)> {
    rows.iter().map(|r| (r.rho, r.floor)).collect()
}

fn closed(rows: &[&FloorRow]) -> Vec<(f64, f64)> {
    rows.iter()
        .filter_map(|r| Some((r.rho, r.closed_form?)))
        .collect()
}

/// Widens a log-x chart to the right by `decades`, so that the legend (drawn at the middle right)
/// sits beside the data instead of over it. A one-point band enters the axis bounds but is not
/// drawn (a band needs two points), so nothing is added to the picture.
fn legend_gutter(chart: LineChart, x_max: f64, y: f64, decades: f64) -> LineChart {
    chart.band(Band {
        color: 7,
        points: vec![(x_max * 10f64.powf(decades), y, y)],
    })
}

/// Draws `figures/convergence_theorem2.svg` and `figures/convergence_floor.svg` from
/// `results/convergence/`.
pub fn draw(paths: &Paths) -> Result<()> {
    let d = load(paths)?;
    let s = &d.summary;
    let t = |r: &Theorem2Row| r.t as f64;
    let (t_lo, t_hi) = (d.rows.first().map_or(1.0, t), d.rows.last().map_or(1.0, t));
    // A T^(-1/2) guide through the last mean LHS (drawing aid only, no data).
    let guide = d.rows.last().map_or_else(Vec::new, |r| {
        let c = r.lhs_mean * t(r).sqrt();
        vec![(t_lo, c / t_lo.sqrt()), (t_hi, c / t_hi.sqrt())]
    });
    let bound = LineChart::new(
        &format!(
            "Theorem 2 (Eq. 6): d = {}, G = {}, L = {}, σ = {}, η₀ = {}, ρ₀ = {}, {} seeds",
            s.dim,
            num(s.g, 4),
            num(s.l, 3),
            s.sigma,
            s.eta0,
            s.rho0,
            s.seeds
        ),
        "T (steps, log scale)",
        "squared gradient norm (log scale)",
    )
    .log_x()
    .log_y()
    .band(Band {
        color: 0,
        points: d
            .rows
            .iter()
            .map(|r| (t(r), r.lhs_ci_lo, r.lhs_ci_hi))
            .collect(),
    })
    .series(
        Series::line(
            &format!("LHS (band: {}% CI)", num(100.0 * s.confidence, 2)),
            d.rows.iter().map(|r| (t(r), r.lhs_mean)).collect(),
        )
        .styled(Style::LinePoints)
        .colored(0),
    )
    .series(
        Series::line(
            "RHS = C1/√T + C2 lnT/√T",
            d.rows.iter().map(|r| (t(r), r.rhs)).collect(),
        )
        .styled(Style::LinePoints)
        .colored(1),
    )
    .series(
        Series::line("C1/√T", d.rows.iter().map(|r| (t(r), r.c1_term)).collect())
            .styled(Style::Dashed)
            .colored(2),
    )
    .series(
        Series::line(
            "C2 lnT/√T",
            d.rows.iter().map(|r| (t(r), r.c2_term)).collect(),
        )
        .styled(Style::Dashed)
        .colored(3),
    )
    .series(
        Series::line("∝ T^(−1/2), guide", guide)
            .styled(Style::Dashed)
            .colored(7),
    );
    let last_lhs = d.rows.last().map_or(1.0, |r| r.lhs_mean);
    let bound = legend_gutter(bound, t_hi, last_lhs, 1.5);
    let loose = LineChart::new(
        "How loose: bound ÷ measured LHS",
        "T (steps, log scale)",
        "ratio to the mean LHS (log scale)",
    )
    .log_x()
    .log_y()
    .series(
        Series::line(
            "RHS / LHS",
            d.rows.iter().map(|r| (t(r), r.ratio)).collect(),
        )
        .styled(Style::LinePoints)
        .colored(1),
    )
    .series(
        Series::line(
            "(C1/√T) / LHS",
            d.rows
                .iter()
                .map(|r| (t(r), r.c1_term / r.lhs_mean))
                .collect(),
        )
        .styled(Style::LinePoints)
        .colored(2),
    )
    .series(
        Series::line("ratio = 1", vec![(t_lo, 1.0), (t_hi, 1.0)])
            .styled(Style::Dashed)
            .colored(7),
    );
    let loose = legend_gutter(loose, t_hi, 1.0, 1.0);
    render(
        &paths.figures.join("convergence_theorem2.svg"),
        (1600, 600),
        &[bound, loose],
    )?;

    let (long, short) = (d.cfg.floor.steps, d.cfg.floor_short.steps);
    let fl = &d.cfg.floor;
    let constant = floor_rows(&d.floor, long, FloorKind::Constant);
    let decaying = floor_rows(&d.floor, long, FloorKind::Decaying);
    let normalized = LineChart::new(
        &format!(
            "Normalized SAM on λw²/2 from w₀ = 1: λ = {}, η = {}, N = {} steps",
            fl.lambda, fl.eta, long
        ),
        "ρ (ρ₀ for the decaying schedule), log scale",
        "floor: max |w_t| over the last 10% of steps (log)",
    )
    .log_x()
    .log_y()
    .series(Series::line("constant ρ: w* = ηλρ/(2−ηλ)", closed(&constant)).colored(1))
    .series(Series::points("constant ρ: measured", measured(&constant)).colored(1))
    .series(
        Series::line("ρ/√(t+1): adiabatic approx.", closed(&decaying))
            .styled(Style::Dashed)
            .colored(2),
    )
    .series(Series::points("ρ/√(t+1): measured", measured(&decaying)).colored(2));
    let rho_max = fl.rhos.iter().copied().fold(f64::NAN, f64::max);
    let normalized = legend_gutter(normalized, rho_max, fl.eta * fl.lambda * rho_max, 1.4);
    let s_const = floor_rows(&d.floor, short, FloorKind::Constant);
    let s_unnorm = floor_rows(&d.floor, short, FloorKind::Unnormalized);
    let unnormalized = LineChart::new(
        &format!("Constant ρ, N = {short} steps: normalized vs unnormalized SAM"),
        "ρ (log scale)",
        "floor: max |w_t| over the last 10% of steps (log)",
    )
    .log_x()
    .log_y()
    .series(Series::line("normalized: w* = ηλρ/(2−ηλ)", closed(&s_const)).colored(1))
    .series(Series::points("normalized: measured", measured(&s_const)).colored(1))
    .series(
        Series::line("unnormalized: |q|^t", closed(&s_unnorm))
            .styled(Style::Dashed)
            .colored(4),
    )
    .series(Series::points("unnormalized: measured", measured(&s_unnorm)).colored(4));
    let unnormalized = legend_gutter(unnormalized, rho_max, 1.0, 1.0);
    render(
        &paths.figures.join("convergence_floor.svg"),
        (1600, 600),
        &[normalized, unnormalized],
    )?;
    Ok(())
}

fn opt(v: Option<f64>, sig: usize) -> String {
    v.map_or_else(|| "undefined".into(), |v| num(v, sig))
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Local slopes d ln LHS / d ln T between consecutive grid points (None for the first row).
fn local_slopes(rows: &[Theorem2Row]) -> Vec<Option<f64>> {
    let mut out = vec![None];
    out.extend(rows.windows(2).map(|w| {
        let s = (w[1].lhs_mean.ln() - w[0].lhs_mean.ln())
            / ((w[1].t as f64).ln() - (w[0].t as f64).ln());
        finite(s)
    }));
    out.truncate(rows.len());
    out
}

fn setup_section(d: &Loaded) -> String {
    let s = &d.summary;
    let c = &d.cfg.theorem2;
    let vec_fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let grid = d
        .rows
        .iter()
        .map(|r| r.t.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    table(
        &["quantity", "value"],
        &[
            vec![
                "objective".into(),
                format!(
                    "Σᵢ aᵢ log cosh(xᵢ − cᵢ) + bᵢ(1 − cos(xᵢ − cᵢ)), d = {}, a = ({}), b = ({}), c = ({})",
                    s.dim,
                    vec_fmt(c.problem.a()),
                    vec_fmt(c.problem.b()),
                    vec_fmt(c.problem.c())
                ),
            ],
            vec!["start x₀".into(), format!("({})", vec_fmt(&c.x0))],
            vec!["f(x₀) (f* = 0)".into(), num(s.f0, 4)],
            vec!["G = ‖a + b‖ (Assumption 1)".into(), num(s.g, 4)],
            vec!["L = maxᵢ(aᵢ + bᵢ) (Assumption 3)".into(), num(s.l, 4)],
            vec![
                format!(
                    "σ (Assumption 2, {} noise)",
                    match c.noise {
                        Noise::Gaussian => "Gaussian",
                        Noise::Uniform => "uniform",
                    }
                ),
                num(s.sigma, 4),
            ],
            vec!["η₀, with η_t = η₀/√(t+1)".into(), num(s.eta0, 4)],
            vec![
                "ρ₀, with ρ_t = ρ₀/√(t+1); hypothesis ρ₀ ≤ Gη₀".into(),
                format!("{} ≤ {}", num(s.rho0, 4), num(s.g_eta0, 4)),
            ],
            vec!["η₀L".into(), num(s.eta0_l, 3)],
            vec!["C2 = 2(Lσ²η₀ + LGρ₀)".into(), num(s.c2, 4)],
            vec![
                "independent seeds (base seed)".into(),
                format!("{} ({})", s.seeds, c.base_seed),
            ],
            vec!["T grid (steps)".into(), grid],
        ],
    )
}

fn theorem2_section(d: &Loaded) -> String {
    let s = &d.summary;
    let slopes = local_slopes(&d.rows);
    let rows: Vec<Vec<String>> = d
        .rows
        .iter()
        .zip(&slopes)
        .map(|(r, sl)| {
            vec![
                r.t.to_string(),
                num(r.lhs_mean, 4),
                format!("[{}, {}]", num(r.lhs_ci_lo, 4), num(r.lhs_ci_hi, 4)),
                num(r.c1, 4),
                num(r.c1_term, 4),
                num(r.c2_term, 4),
                num(r.rhs, 4),
                num(r.ratio, 3),
                num(r.c1_term / r.lhs_mean, 3),
                sl.map_or_else(|| "–".into(), |v| num(v, 3)),
            ]
        })
        .collect();
    // ln T/√T on the same grid: the rate Eq. (6) states, fitted like the LHS.
    let n = d.rows.len() as f64;
    let lx: Vec<f64> = d.rows.iter().map(|r| (r.t as f64).ln()).collect();
    let ly: Vec<f64> = lx.iter().map(|l| l.ln() - 0.5 * l).collect();
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxx: f64 = lx.iter().map(|x| (x - mx).powi(2)).sum();
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let rate_slope = finite(sxy / sxx);
    // how fast the looseness grows: log-log slopes of RHS/LHS and (C1/√T)/LHS on the same grid
    let fit = |y: &dyn Fn(&Theorem2Row) -> f64| -> Option<f64> {
        let ly: Vec<f64> = d.rows.iter().map(|r| y(r).ln()).collect();
        let my = ly.iter().sum::<f64>() / n;
        let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
        finite(sxy / sxx)
    };
    let ratio_growth = fit(&|r| r.ratio);
    let c1_growth = fit(&|r| r.c1_term / r.lhs_mean);
    let steepest = d
        .rows
        .iter()
        .zip(&slopes)
        .filter_map(|(r, sl)| sl.map(|v| (r.t, v)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    format!(
        "{}\nThe bound holds at every T (the whole {}% interval of the LHS at or below the RHS evaluated at the upper end of the interval for E f(x_T)): **{}**. RHS/LHS ranges from **{}** to **{}**; over this grid it grows like T^{} and (C1/√T)/LHS like T^{} (log-log slopes; √T would be T^0.5).\n\nLeast-squares slopes of ln(·) on ln T over this grid: measured LHS **{}**; RHS {}; the stated rate ln T/√T {}. Local slope of the LHS between the last two grid points: **{}**{}.\n",
        table(
            &[
                "T",
                "LHS mean",
                "LHS CI",
                "C1",
                "C1/√T",
                "C2 lnT/√T",
                "RHS",
                "RHS/LHS",
                "(C1/√T)/LHS",
                "local slope",
            ],
            &rows
        ),
        num(100.0 * s.confidence, 2),
        yes(s.holds),
        opt(s.min_ratio, 3),
        opt(s.max_ratio, 3),
        opt(ratio_growth, 2),
        opt(c1_growth, 2),
        opt(s.slope, 3),
        opt(s.rhs_slope, 3),
        opt(rate_slope, 3),
        slopes.last().copied().flatten().map_or_else(|| "undefined".into(), |v| num(v, 3)),
        steepest.map_or_else(String::new, |(t, v)| format!(
            "; steepest local slope {} at T = {t}",
            num(v, 3)
        )),
    )
}

fn counterexample_section(d: &Loaded) -> String {
    let s = &d.cex_summary;
    let c = &d.cfg.counterexample;
    let rows: Vec<Vec<String>> = d
        .cex
        .iter()
        .map(|r| {
            vec![
                r.t.to_string(),
                num(r.lhs_mean, 4),
                num(r.f_t_mean, 4),
                num(r.c1, 4),
                num(r.c2_term, 4),
                num(r.rhs, 4),
                yes(r.lhs_mean <= r.rhs).into(),
            ]
        })
        .collect();
    let first = d.cex.first();
    let later_hold = d.cex.iter().skip(1).all(|r| r.lhs_mean <= r.rhs);
    format!(
        "Instance: f(x) = log cosh x (G = {}, L = {}), σ = {}, η₀ = {}, ρ₀ = {} (= Gη₀), x₀ = {}, so f(x₀) = {}.\n\n{}\nAt T = {}: E f(x_T) = {} > f(x₀), so C1 = {} < 0 and the RHS is {}, below the LHS {}. For every later T of the grid the bound holds: **{}**.\n",
        num(s.g, 3),
        num(s.l, 3),
        s.sigma,
        s.eta0,
        s.rho0,
        c.x0.first().copied().unwrap_or(f64::NAN),
        num(s.f0, 4),
        table(
            &["T", "LHS", "E f(x_T)", "C1", "C2 lnT/√T", "RHS", "LHS ≤ RHS"],
            &rows
        ),
        first.map_or(0, |r| r.t),
        first.map_or_else(|| "–".into(), |r| num(r.f_t_mean, 4)),
        first.map_or_else(|| "–".into(), |r| num(r.c1, 4)),
        first.map_or_else(|| "–".into(), |r| num(r.rhs, 4)),
        first.map_or_else(|| "–".into(), |r| num(r.lhs_mean, 4)),
        yes(later_hold),
    )
}

fn floor_section(d: &Loaded) -> String {
    let fl = &d.cfg.floor;
    let a = fl.eta * fl.lambda;
    let regime = if a == 0.0 {
        "ηλ = 0: w never moves"
    } else if a < 1.0 {
        "0 < ηλ < 1: w decreases monotonically until it changes sign, then alternates in sign with |w| → w*"
    } else if a == 1.0 {
        "ηλ = 1: ±ρ after one step"
    } else if a < 2.0 {
        "1 < ηλ < 2: w alternates in sign from the first step, |w| → w* monotonically"
    } else {
        "ηλ ≥ 2: no floor, the iterate diverges"
    };
    let long = fl.steps;
    let pick = |steps: usize, kind: FloorKind, rho: f64| {
        d.floor
            .iter()
            .find(|r| r.steps == steps && r.kind == kind && r.rho == rho)
    };
    let cell = |r: Option<&FloorRow>| r.map_or_else(|| "–".into(), |r| num(r.floor, 4));
    let cf = |r: Option<&FloorRow>| {
        r.and_then(|r| r.closed_form)
            .map_or_else(|| "–".into(), |v| num(v, 4))
    };
    let rel = |r: Option<&FloorRow>| {
        r.and_then(|r| Some((r.floor, r.closed_form?)))
            .map_or_else(|| "–".into(), |(f, c)| num((f - c).abs(), 2))
    };
    let ratio = |r: Option<&FloorRow>| {
        r.and_then(|r| Some(r.floor / r.closed_form?))
            .and_then(finite)
            .map_or_else(|| "–".into(), |v| num(v, 6))
    };
    let long_rows: Vec<Vec<String>> = fl
        .rhos
        .iter()
        .map(|&rho| {
            let c = pick(long, FloorKind::Constant, rho);
            let dec = pick(long, FloorKind::Decaying, rho);
            vec![
                format!("{rho}"),
                cell(c),
                cf(c),
                rel(c),
                cell(dec),
                cf(dec),
                ratio(dec),
            ]
        })
        .collect();
    let short = d.cfg.floor_short.steps;
    let short_rows: Vec<Vec<String>> = d
        .cfg
        .floor_short
        .rhos
        .iter()
        .map(|&rho| {
            let c = pick(short, FloorKind::Constant, rho);
            let u = pick(short, FloorKind::Unnormalized, rho);
            vec![format!("{rho}"), cell(c), cf(c), cell(u), cf(u), rel(u)]
        })
        .collect();
    let unnorm_long = |f: fn(&FloorRow) -> Option<f64>| {
        d.floor
            .iter()
            .filter(|r| r.steps == long && r.kind == FloorKind::Unnormalized)
            .filter_map(f)
            .fold(f64::NAN, f64::max)
    };
    format!(
        "λ = {}, η = {}, ηλ = {} ({regime}); w₀ = 1; the floor is max \\|w_t\\| over the last 10% of the N steps; ρ_s = ρ/√s at the window's first iterate s.\n\n**N = {long} steps.**\n\n{}\nUnnormalized SAM after N = {long} steps: largest floor over these ρ = {} (closed form \\|q\\|^t with q = 1 − ηλ(1 + ρλ): largest {}){}.\n\n**N = {short} steps**, where unnormalized SAM is still above f64 underflow:\n\n{}",
        fl.lambda,
        fl.eta,
        a,
        table(
            &[
                "ρ",
                "constant ρ: floor",
                "w* = ηλρ/(2−ηλ)",
                "abs. error",
                "ρ/√(t+1): floor",
                "adiabatic approx. ηλρ_s/(2−ηλ)",
                "floor / approx.",
            ],
            &long_rows
        ),
        num(unnorm_long(|r| Some(r.floor)), 4),
        num(unnorm_long(|r| r.closed_form), 4),
        if unnorm_long(|r| Some(r.floor)) < f64::MIN_POSITIVE {
            ": underflow, below the smallest normal f64"
        } else {
            ""
        },
        table(
            &[
                "ρ",
                "normalized: floor",
                "w*",
                "unnormalized: floor",
                "closed form \\|q\\|^t",
                "abs. error",
            ],
            &short_rows
        ),
    )
}

/// The generated sections of `05-convergence.md`, from `results/convergence/` only.
pub fn sections(paths: &Paths) -> Result<Vec<(&'static str, String)>> {
    let d = load(paths)?;
    Ok(vec![
        ("convergence-setup", setup_section(&d)),
        ("convergence-theorem2", theorem2_section(&d)),
        ("convergence-t1", counterexample_section(&d)),
        ("convergence-floor", floor_section(&d)),
    ])
}
