//! Tidy rows for the report's floor figure: floors against ρ for constant-ρ normalized SAM,
//! decaying-ρ normalized SAM and constant-ρ unnormalized SAM, each beside its closed form.
//! (The Theorem 2 figure's rows are [`Theorem2Row`], from [`theorem2_report`].)
//!
//! ## Defaults
//!
//! | Name | Default | Range |
//! |---|---|---|
//! | `lambda` | 1.0 | ≥ 0 |
//! | `eta` | 0.5 | ≥ 0; closed forms need 0 < ηλ < 2 |
//! | `rhos` | 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.9 (not 1: with ηλ = ½, ρ = 1 the orbit lands exactly on 0, the measure-zero exception) | each ≥ 0 |
//! | `steps` | 10 000 | ≥ 1 |

use crate::{ExperimentError, Result};
use sam_convergence::{
    decaying_floor_approx, floor_closed_form, quadratic_floor_with, theorem2_report,
    unnormalized_floor_closed_form, LogCoshCos, Noise, QuadraticFloorConfig, SamVariant,
    Theorem2Config, Theorem2Report, Theorem2Result, Theorem2Row,
};
use serde::{Deserialize, Serialize};

/// Settings of the floor sweep.
///
/// ```
/// use sam_experiments::convergence::FloorSweepConfig;
/// assert_eq!(FloorSweepConfig::default().steps, 10_000);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorSweepConfig {
    /// Curvature λ of f(w) = λw²/2.
    pub lambda: f64,
    /// Constant step size η.
    pub eta: f64,
    /// The radii ρ (ρ₀ for the decaying schedule).
    pub rhos: Vec<f64>,
    /// Steps N per run.
    pub steps: usize,
}

impl Default for FloorSweepConfig {
    fn default() -> Self {
        Self {
            lambda: 1.0,
            eta: 0.5,
            rhos: vec![0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.9],
            steps: 10_000,
        }
    }
}

/// Which run a floor row describes.
///
/// ```
/// use sam_experiments::convergence::FloorKind;
/// assert_eq!(serde_json::to_string(&FloorKind::Decaying).unwrap(), "\"decaying\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FloorKind {
    /// Normalized SAM, constant ρ; closed form = the exact limit w* = ηλρ/(2 − ηλ).
    Constant,
    /// Normalized SAM, ρ/√(t+1); closed form = the adiabatic approximation (not exact).
    Decaying,
    /// Unnormalized SAM, constant ρ; closed form = the exact finite-N value |q|^t.
    Unnormalized,
}

/// One tidy row: the floor of one run and its closed form (if any) beside it.
///
/// ```
/// use sam_experiments::convergence::{floor_sweep, FloorSweepConfig};
/// let rows = floor_sweep(&FloorSweepConfig { rhos: vec![0.1], ..Default::default() }).unwrap();
/// assert_eq!(rows.len(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloorRow {
    /// ρ (or ρ₀).
    pub rho: f64,
    /// The run.
    pub kind: FloorKind,
    /// Simulated max |w| over the last ⌈N/10⌉ iterates.
    pub floor: f64,
    /// The closed form for this kind (see [`FloorKind`]); `None` outside its regime.
    pub closed_form: Option<f64>,
    /// λ.
    pub lambda: f64,
    /// η.
    pub eta: f64,
    /// N.
    pub steps: usize,
}

/// Runs the three kinds for every ρ; rows ordered by ρ then kind.
///
/// ```
/// use sam_experiments::convergence::{floor_sweep, FloorKind, FloorSweepConfig};
/// let rows = floor_sweep(&FloorSweepConfig::default()).unwrap();
/// for r in rows.iter().filter(|r| r.kind == FloorKind::Constant) {
///     assert!((r.floor - r.closed_form.unwrap()).abs() < 1e-12);
/// }
/// ```
pub fn floor_sweep(cfg: &FloorSweepConfig) -> Result<Vec<FloorRow>> {
    if cfg.rhos.is_empty() {
        return Err(
            sam_params::Invalid::new("rhos", "[]", "give at least one radius, e.g. 0.05").into(),
        );
    }
    let mut rows = Vec::with_capacity(3 * cfg.rhos.len());
    for &rho in &cfg.rhos {
        for kind in [
            FloorKind::Constant,
            FloorKind::Decaying,
            FloorKind::Unnormalized,
        ] {
            let (decay, variant, closed_form) = match kind {
                FloorKind::Constant => (
                    false,
                    SamVariant::Normalized,
                    floor_closed_form(cfg.lambda, cfg.eta, rho),
                ),
                FloorKind::Decaying => (
                    true,
                    SamVariant::Normalized,
                    decaying_floor_approx(cfg.lambda, cfg.eta, rho, cfg.steps),
                ),
                FloorKind::Unnormalized => (
                    false,
                    SamVariant::Unnormalized,
                    unnormalized_floor_closed_form(cfg.lambda, cfg.eta, rho, cfg.steps),
                ),
            };
            let floor = quadratic_floor_with(&QuadraticFloorConfig {
                lambda: cfg.lambda,
                eta: cfg.eta,
                rho,
                steps: cfg.steps,
                decay,
                variant,
            })?;
            rows.push(FloorRow {
                rho,
                kind,
                floor,
                closed_form,
                lambda: cfg.lambda,
                eta: cfg.eta,
                steps: cfg.steps,
            });
        }
    }
    Ok(rows)
}

/// Steps of the short floor sweep, where unnormalized SAM's |q|ᵗ is still representable in f64
/// (at N = 10⁴ it underflows to exactly 0 and vanishes from a log axis).
const SHORT_STEPS: usize = 50;

/// Everything one run of the experiment computes (written to `meta.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The Theorem 2 Monte Carlo check (full run: `Theorem2Config::default()`, which is also
    /// what `samlab converge theorem2` runs without options).
    pub theorem2: Theorem2Config,
    /// The ρ₀ of the rate sweep on the main instance.
    #[serde(default)]
    pub rho0_sweep: Rho0Sweep,
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
            rho0_sweep: Rho0Sweep::default(),
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
        extra_t: (1..=10).collect(),
        outside_hypothesis: false,
        confidence: 0.95,
    }
}

/// The main Theorem 2 instance at every T from 1 to 10 (the main grid starts at 100).
pub fn small_t_config(main: &Theorem2Config) -> Theorem2Config {
    Theorem2Config {
        t_min: 1,
        t_max: 10,
        grid_points: 2,
        extra_t: (1..=10).collect(),
        ..main.clone()
    }
}

/// The ρ₀ of the rate sweep: the values and the multiples of Gη₀ (the hypothesis is ρ₀ ≤ Gη₀).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rho0Sweep {
    /// ρ₀ given directly.
    pub values: Vec<f64>,
    /// ρ₀ = k·Gη₀ for each k.
    pub times_g_eta0: Vec<f64>,
}

impl Default for Rho0Sweep {
    /// ρ₀ ∈ {0, 0.1, 0.5, Gη₀, 2Gη₀} (issue 11, item 17; 2Gη₀ is outside the hypothesis).
    fn default() -> Self {
        Self {
            values: vec![0.0, 0.1, 0.5],
            times_g_eta0: vec![1.0, 2.0],
        }
    }
}

/// The Theorem 2 instance at one ρ₀: the fitted rate and whether Eq. 6 holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rho0Row {
    /// "0.1", "G·η₀", "2·G·η₀", ...
    pub label: String,
    /// ρ₀.
    pub rho0: f64,
    /// ρ₀ ≤ Gη₀ (the theorem's hypothesis).
    pub within_hypothesis: bool,
    /// Least-squares slope of ln LHS against ln T over the main grid.
    pub slope: f64,
    /// The same for the stated rate C1/√T + C2 ln T/√T.
    pub rhs_slope: f64,
    /// Mean LHS at the largest T.
    pub lhs_at_t_max: f64,
    /// Eq. 6 holds at every T of the grid.
    pub holds: bool,
    /// Smallest RHS/LHS over the grid.
    pub min_ratio: f64,
}

/// Runs the main instance at every ρ₀ of the sweep.
pub fn rho0_sweep(main: &Theorem2Config, sweep: &Rho0Sweep) -> Result<Vec<Rho0Row>> {
    let g = main.problem.g_bound();
    let mut cases: Vec<(String, f64)> = sweep.values.iter().map(|&v| (format!("{v}"), v)).collect();
    cases.extend(sweep.times_g_eta0.iter().map(|&k| {
        let label = if k == 1.0 {
            "G·η₀".to_string()
        } else {
            format!("{k}·G·η₀")
        };
        (label, k * g * main.eta0)
    }));
    cases
        .into_iter()
        .map(|(label, rho0)| {
            let rep = theorem2_report(&Theorem2Config {
                rho0,
                outside_hypothesis: rho0 > g * main.eta0,
                ..main.clone()
            })?;
            Ok(Rho0Row {
                label,
                rho0,
                within_hypothesis: rho0 <= g * main.eta0 * (1.0 + 1e-12),
                slope: rep.result.slope,
                rhs_slope: rep.rhs_slope,
                lhs_at_t_max: rep.rows.last().map_or(f64::NAN, |r| r.lhs_mean),
                holds: rep.holds,
                min_ratio: rep.min_ratio,
            })
        })
        .collect()
}

/// The scalars of one Theorem 2 run. Slopes and ratios are `None` where undefined (a zero or
/// negative value on a log scale) and then absent from the JSON (never `null`).
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slope: Option<f64>,
    /// The same for the RHS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rhs_slope: Option<f64>,
    /// Whether every row's LHS interval lies at or below the RHS's lower end.
    pub holds: bool,
    /// Smallest RHS/LHS over the grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ratio: Option<f64>,
    /// Largest RHS/LHS over the grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

/// Runs the Theorem 2 check, the T = 1 counterexample and the floor sweeps, and writes
/// their verdicts.
pub fn run(cfg: &Config, quick: bool, progress: crate::Progress) -> Result<Results> {
    progress(6, "convergence");
    let rep = theorem2_report(&cfg.theorem2)?;
    progress(0, "");
    let small = theorem2_report(&small_t_config(&cfg.theorem2))?;
    progress(0, "");
    let rho0 = rho0_sweep(&cfg.theorem2, &cfg.rho0_sweep)?;
    progress(0, "");
    let cex = theorem2_report(&cfg.counterexample)?;
    progress(0, "");
    let mut floor = floor_sweep(&cfg.floor)?;
    progress(0, "");
    floor.extend(floor_sweep(&cfg.floor_short)?);
    progress(0, "");
    let mut r = Results {
        summary: Theorem2Summary::of(&rep),
        result: rep.result,
        rows: rep.rows,
        cex_summary: Theorem2Summary::of(&cex),
        cex: cex.rows,
        small_t: small.rows,
        rho0,
        floor,
        verdicts: Verdicts::default(),
        meta: sam_results::Meta::new(NAME, Some(cfg.theorem2.base_seed), quick, cfg)?,
        cfg: cfg.clone(),
    };
    r.verdicts = Verdicts::compute(&r);
    Ok(r)
}

/// The experiment's folder name under `results/`.
pub const NAME: &str = "convergence";

/// Everything the convergence experiment writes under `results/convergence/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// One row per T of the Theorem 2 check (`theorem2.csv`).
    pub rows: Vec<Theorem2Row>,
    /// The `samlab converge theorem2 --json` contract for the same run (`theorem2.json`).
    pub result: Theorem2Result,
    /// Its constants, slopes and verdict (`theorem2_summary.json`).
    pub summary: Theorem2Summary,
    /// The T = 1 counterexample's rows (`counterexample.csv`).
    pub cex: Vec<Theorem2Row>,
    /// Its summary (`counterexample_summary.json`).
    pub cex_summary: Theorem2Summary,
    /// The main instance at T = 1..10 (`theorem2_small_t.csv`).
    pub small_t: Vec<Theorem2Row>,
    /// The main instance over ρ₀ (`rho0_sweep.csv`).
    pub rho0: Vec<Rho0Row>,
    /// Both floor sweeps (`floor.csv`).
    pub floor: Vec<FloorRow>,
    /// Fitted rates and verdicts (`verdicts.json`).
    pub verdicts: Verdicts,
    /// Config and seed (`meta.json`).
    pub meta: sam_results::Meta,
    /// The config, as in `meta.json`.
    pub cfg: Config,
}

impl Results {
    /// Writes every file into `dir` (atomically, one by one).
    pub fn write(&self, dir: &std::path::Path) -> Result<()> {
        use sam_results::{write_csv, write_json};
        write_csv(&dir.join("theorem2.csv"), &self.rows)?;
        write_json(&dir.join("theorem2.json"), &self.result)?;
        write_json(&dir.join("theorem2_summary.json"), &self.summary)?;
        write_csv(&dir.join("counterexample.csv"), &self.cex)?;
        write_json(&dir.join("counterexample_summary.json"), &self.cex_summary)?;
        write_csv(&dir.join("floor.csv"), &self.floor)?;
        write_csv(&dir.join("theorem2_small_t.csv"), &self.small_t)?;
        write_csv(&dir.join("rho0_sweep.csv"), &self.rho0)?;
        write_json(&dir.join("verdicts.json"), &self.verdicts)?;
        write_json(&dir.join("meta.json"), &self.meta)?;
        Ok(())
    }

    /// Reads what [`Results::write`] wrote.
    pub fn read(dir: &std::path::Path) -> Result<Self> {
        use sam_results::{read_csv, read_json};
        let meta: sam_results::Meta = read_json(&dir.join("meta.json"))?;
        let cfg = crate::config_of(&meta, dir)?;
        let r = Self {
            rows: read_csv(&dir.join("theorem2.csv"))?,
            result: read_json(&dir.join("theorem2.json"))?,
            summary: read_json(&dir.join("theorem2_summary.json"))?,
            cex: read_csv(&dir.join("counterexample.csv"))?,
            cex_summary: read_json(&dir.join("counterexample_summary.json"))?,
            floor: read_csv(&dir.join("floor.csv"))?,
            small_t: read_csv(&dir.join("theorem2_small_t.csv"))?,
            rho0: read_csv(&dir.join("rho0_sweep.csv"))?,
            verdicts: read_json(&dir.join("verdicts.json"))?,
            meta,
            cfg,
        };
        if r.verdicts.cex_holds.len() != r.cex.len() {
            return Err(ExperimentError::Config(format!(
                "{}: verdicts.json has {} counterexample verdicts for {} rows: rerun the experiment",
                dir.display(),
                r.verdicts.cex_holds.len(),
                r.cex.len()
            )));
        }
        Ok(r)
    }
}

/// A local slope of the LHS: d ln LHS / d ln T over the grid segment ending at `t`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LocalSlope {
    /// The T at the right end of the segment.
    pub t: usize,
    /// d ln LHS / d ln T there.
    pub slope: f64,
}

/// Rates and verdicts computed from the rows (slopes are `None` where undefined).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// d ln LHS / d ln T between consecutive grid points, where defined.
    pub local_slopes: Vec<LocalSlope>,
    /// The steepest of those.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steepest: Option<LocalSlope>,
    /// Least-squares slope of ln(ln T/√T) on ln T over the grid: the rate Eq. (6) states.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_slope: Option<f64>,
    /// Log-log slope of RHS/LHS: how fast the bound's looseness grows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio_growth: Option<f64>,
    /// Log-log slope of (C1/√T)/LHS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c1_growth: Option<f64>,
    /// Counterexample: whether LHS ≤ RHS, per row.
    pub cex_holds: Vec<bool>,
    /// Counterexample: whether the bound holds at every T after the first.
    pub cex_later_hold: bool,
    /// Which regime ηλ puts the floor sweep in (in words).
    pub floor_regime: String,
    /// Unnormalized SAM after the long sweep: the largest floor over the radii.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unnormalized_long_floor: Option<f64>,
    /// The same from the closed form |q|ᵗ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unnormalized_long_closed_form: Option<f64>,
    /// Whether that floor is below the smallest normal f64 (underflow).
    pub unnormalized_long_underflows: bool,
    /// The main instance at T = 1..10: whether the bound holds with the whole Monte Carlo
    /// interval (LHS CI upper end ≤ RHS CI lower end), per row of `theorem2_small_t.csv`.
    #[serde(default)]
    pub small_t_holds: Vec<bool>,
    /// The smallest T from which the bound holds at every T of the small-T and the main grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_holds_from: Option<usize>,
    /// The smallest T from which the bound holds at every T of the counterexample's grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cex_holds_from: Option<usize>,
    /// The largest minus the smallest fitted rate (slope of ln LHS on ln T) over the ρ₀ sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rho0_slope_spread: Option<f64>,
}

/// The smallest T of `ts` from which every later entry holds (`None` if the last does not).
fn holds_from(rows: &[(usize, bool)]) -> Option<usize> {
    let mut from = None;
    for &(t, ok) in rows.iter().rev() {
        if !ok {
            break;
        }
        from = Some(t);
    }
    from
}

impl Verdicts {
    /// Computes every verdict from the rows of `r`.
    pub fn compute(r: &Results) -> Self {
        let rows = &r.rows;
        let local_slopes: Vec<LocalSlope> = rows
            .windows(2)
            .filter_map(|w| {
                let s = (w[1].lhs_mean.ln() - w[0].lhs_mean.ln())
                    / ((w[1].t as f64).ln() - (w[0].t as f64).ln());
                finite(s).map(|slope| LocalSlope { t: w[1].t, slope })
            })
            .collect();
        let steepest = local_slopes
            .iter()
            .copied()
            .min_by(|a, b| a.slope.total_cmp(&b.slope));
        // ln T/√T on the same grid: the rate Eq. (6) states, fitted like the LHS.
        let n = rows.len() as f64;
        let lx: Vec<f64> = rows.iter().map(|r| (r.t as f64).ln()).collect();
        let ly: Vec<f64> = lx.iter().map(|l| l.ln() - 0.5 * l).collect();
        let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
        let sxx: f64 = lx.iter().map(|x| (x - mx).powi(2)).sum();
        let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
        let fit = |y: &dyn Fn(&Theorem2Row) -> f64| -> Option<f64> {
            let ly: Vec<f64> = rows.iter().map(|r| y(r).ln()).collect();
            let my = ly.iter().sum::<f64>() / n;
            let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
            finite(sxy / sxx)
        };
        let fl = &r.cfg.floor;
        let a = fl.eta * fl.lambda;
        let floor_regime = if a == 0.0 {
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
        let unnorm_long = |f: fn(&FloorRow) -> Option<f64>| {
            r.floor
                .iter()
                .filter(|row| row.steps == fl.steps && row.kind == FloorKind::Unnormalized)
                .filter_map(f)
                .fold(f64::NAN, f64::max)
        };
        let unnormalized_long_floor = unnorm_long(|r| Some(r.floor));
        let small_holds: Vec<bool> = r.small_t.iter().map(|x| x.lhs_ci_hi <= x.rhs_lo).collect();
        Self {
            steepest,
            local_slopes,
            rate_slope: finite(sxy / sxx),
            ratio_growth: fit(&|r| r.ratio),
            c1_growth: fit(&|r| r.c1_term / r.lhs_mean),
            cex_holds: r.cex.iter().map(|r| r.lhs_mean <= r.rhs).collect(),
            cex_later_hold: r.cex.iter().skip(1).all(|r| r.lhs_mean <= r.rhs),
            floor_regime: floor_regime.into(),
            unnormalized_long_floor: finite(unnormalized_long_floor),
            unnormalized_long_closed_form: finite(unnorm_long(|r| r.closed_form)),
            unnormalized_long_underflows: unnormalized_long_floor < f64::MIN_POSITIVE,
            small_t_holds: small_holds.clone(),
            main_holds_from: {
                let main_ok = |r: &Theorem2Row| r.lhs_ci_hi <= r.rhs_lo;
                let mut all: Vec<(usize, bool)> = r
                    .small_t
                    .iter()
                    .zip(&small_holds)
                    .map(|(x, &h)| (x.t, h))
                    .collect();
                all.extend(r.rows.iter().map(|x| (x.t, main_ok(x))));
                all.sort_by_key(|p| p.0);
                holds_from(&all)
            },
            cex_holds_from: holds_from(
                &r.cex
                    .iter()
                    .map(|x| (x.t, x.lhs_mean <= x.rhs))
                    .collect::<Vec<_>>(),
            ),
            rho0_slope_spread: {
                let s: Vec<f64> = r.rho0.iter().map(|x| x.slope).collect();
                finite(
                    s.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                        - s.iter().copied().fold(f64::INFINITY, f64::min),
                )
            },
        }
    }
}

crate::study!(Config::quick(), Config::full(), |cfg, ctx| run(
    cfg,
    ctx.quick,
    ctx.progress
));
