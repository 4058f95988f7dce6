//! Figure 2 (section 2.3.1): GD vs SAM on f(x, y) = (x−1)²y², η = 0.1, ρ = 10⁻⁵, 1000 iterations.
//!
//! The review reports λ_max = 1.225 at the GD solution and 0.016 at the SAM solution, without the
//! start. Part A searches a grid of starts with the paper's ρ = 10⁻⁵ for starts that reproduce both
//! numbers (within the tolerance) and tests how fragile each hit is. Part B fixes a start on which GD
//! gives 1.225 and solves for the ρ at which SAM gives 0.016, then maps the sensitivity of both
//! eigenvalues to ρ and to the start.
//!
//! Under gradient flow, d(a²)/dt = d(y²)/dt = −4a²y² with a = x − 1, so a² − y² is conserved and GD
//! from (x₀, y₀) ends near the minimum with λ_max = 2|a₀² − y₀²|; SAM with ρ = 10⁻⁵ moves the
//! conserved quantity only at order ρ², so it cannot end far from GD unless GD is unstable.

use super::{finals, lambda_max, run_pair, ToySettings};
use crate::{linspace, logspace, ExperimentError, Result};
use rayon::prelude::*;
use sam_objectives::{Fig2, Objective};
use serde::{Deserialize, Serialize};

/// Settings of the Figure 2 study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// η (paper: 0.1).
    pub eta: f64,
    /// ρ (paper: 10⁻⁵).
    pub paper_rho: f64,
    /// Iterations (paper: 1000).
    pub iterations: usize,
    /// The review's λ_max at the GD solution.
    pub target_gd: f64,
    /// The review's λ_max at the SAM solution.
    pub target_sam: f64,
    /// Relative tolerance for "reproduced".
    pub tolerance: f64,
    /// Part A: x range and count of the start grid.
    pub grid_x: (f64, f64, usize),
    /// Part A: y range and count of the start grid.
    pub grid_y: (f64, f64, usize),
    /// Part B: the start's y coordinate (x is solved so that GD gives `target_gd`).
    pub start_y: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            eta: 0.1,
            paper_rho: 1e-5,
            iterations: 1000,
            target_gd: 1.225,
            target_sam: 0.016,
            tolerance: 0.05,
            grid_x: (-3.0, 5.0, 401),
            grid_y: (-3.0, 3.0, 301),
            start_y: 0.5,
        }
    }
}

impl Config {
    /// A small grid for `--quick` smoke runs.
    pub fn quick() -> Self {
        Self {
            grid_x: (-3.0, 5.0, 41),
            grid_y: (-3.0, 3.0, 31),
            ..Self::default()
        }
    }
    fn settings(&self, rho: f64, start: Vec<f64>) -> ToySettings {
        ToySettings {
            eta: self.eta,
            rho,
            iterations: self.iterations,
            start,
        }
    }
    fn hits(&self, gd: f64, sam: f64) -> bool {
        ((gd - self.target_gd) / self.target_gd).abs() <= self.tolerance
            && ((sam - self.target_sam) / self.target_sam).abs() <= self.tolerance
    }
}

/// λ_max at GD's and SAM's final points (NaN where a run diverged).
pub fn eigen_pair(cfg: &Config, rho: f64, start: [f64; 2]) -> (f64, f64) {
    match finals(&Fig2, &cfg.settings(rho, start.to_vec())) {
        Ok((gd, sam)) => (lambda_max(&Fig2, &gd), lambda_max(&Fig2, &sam)),
        Err(_) => (f64::NAN, f64::NAN),
    }
}

/// Part A: a start of the paper-setting grid that reproduces both numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitRow {
    /// Start x.
    pub x0: f64,
    /// Start y.
    pub y0: f64,
    /// λ_max at GD's end.
    pub lambda_gd: f64,
    /// λ_max at SAM's end.
    pub lambda_sam: f64,
    /// Of 4 neighbouring starts (±10⁻³ in x or y), how many still reproduce both numbers.
    pub neighbours_reproducing: usize,
    /// Of ρ ∈ {0.5ρ, 2ρ}, how many still reproduce both numbers.
    pub rho_variants_reproducing: usize,
}

/// Part A summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridSummary {
    /// Starts tried.
    pub starts: usize,
    /// Starts where a run diverged.
    pub diverged: usize,
    /// Starts where both numbers are reproduced.
    pub hits: usize,
    /// Starts where GD alone gives 1.225 (within tolerance).
    pub gd_hits: usize,
    /// Largest |λ_GD − λ_SAM| over the grid.
    pub max_abs_difference: f64,
    /// Median |λ_GD − λ_SAM| over the grid.
    pub median_abs_difference: f64,
}

/// Runs Part A.
pub fn search_paper_setting(
    cfg: &Config,
    progress: &(dyn Fn() + Sync),
) -> (GridSummary, Vec<HitRow>) {
    let xs = linspace(cfg.grid_x.0, cfg.grid_x.1, cfg.grid_x.2);
    let ys = linspace(cfg.grid_y.0, cfg.grid_y.1, cfg.grid_y.2);
    let starts: Vec<[f64; 2]> = xs
        .iter()
        .flat_map(|&x| ys.iter().map(move |&y| [x, y]))
        .collect();
    let pairs: Vec<(f64, f64)> = starts
        .par_iter()
        .map(|&s| {
            let r = eigen_pair(cfg, cfg.paper_rho, s);
            progress();
            r
        })
        .collect();
    let diverged = pairs
        .iter()
        .filter(|(a, b)| !(a.is_finite() && b.is_finite()))
        .count();
    let mut diffs: Vec<f64> = pairs
        .iter()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| (a - b).abs())
        .collect();
    diffs.sort_by(f64::total_cmp);
    let gd_hits = pairs
        .iter()
        .filter(|(a, _)| ((a - cfg.target_gd) / cfg.target_gd).abs() <= cfg.tolerance)
        .count();
    let hits: Vec<HitRow> = starts
        .iter()
        .zip(&pairs)
        .filter(|(_, &(a, b))| cfg.hits(a, b))
        .map(|(&[x0, y0], &(a, b))| {
            let d = 1e-3;
            let neighbours_reproducing = [[x0 + d, y0], [x0 - d, y0], [x0, y0 + d], [x0, y0 - d]]
                .iter()
                .filter(|&&s| {
                    let (g, m) = eigen_pair(cfg, cfg.paper_rho, s);
                    cfg.hits(g, m)
                })
                .count();
            let rho_variants_reproducing = [0.5, 2.0]
                .iter()
                .filter(|&&k| {
                    let (g, m) = eigen_pair(cfg, k * cfg.paper_rho, [x0, y0]);
                    cfg.hits(g, m)
                })
                .count();
            HitRow {
                x0,
                y0,
                lambda_gd: a,
                lambda_sam: b,
                neighbours_reproducing,
                rho_variants_reproducing,
            }
        })
        .collect();
    let summary = GridSummary {
        starts: starts.len(),
        diverged,
        hits: hits.len(),
        gd_hits,
        max_abs_difference: diffs.last().copied().unwrap_or(f64::NAN),
        median_abs_difference: diffs.get(diffs.len() / 2).copied().unwrap_or(f64::NAN),
    };
    (summary, hits)
}

/// Bisection for a root of a continuous `g` on [lo, hi] with g(lo), g(hi) of opposite signs.
fn bisect(mut lo: f64, mut hi: f64, g: impl Fn(f64) -> f64) -> Option<f64> {
    let (mut glo, ghi) = (g(lo), g(hi));
    if !(glo.is_finite() && ghi.is_finite()) || glo.signum() == ghi.signum() {
        return None;
    }
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        let gm = g(mid);
        if gm.signum() == glo.signum() {
            lo = mid;
            glo = gm;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// Part B: the reproducing setting found by root finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reproduction {
    /// Start found so that GD gives the review's 1.225.
    pub start: Vec<f64>,
    /// ρ found so that SAM gives the review's 0.016.
    pub rho: f64,
    /// λ_max at GD's end.
    pub lambda_gd: f64,
    /// λ_max at SAM's end.
    pub lambda_sam: f64,
}

/// Runs Part B's root finding: x₀ ∈ [−0.9, 0.9] at y₀ = `cfg.start_y` such that λ_GD = 1.225, then
/// log ρ ∈ [−5, 0] such that λ_SAM = 0.016 (λ_SAM decreases in ρ over that range: see the sweep).
pub fn find_reproduction(cfg: &Config) -> Result<Reproduction> {
    let y0 = cfg.start_y;
    let x0 = bisect(-0.9, 0.9, |x0| {
        eigen_pair(cfg, 0.0, [x0, y0]).0 - cfg.target_gd
    })
    .ok_or_else(|| {
        ExperimentError::Config(format!(
            "no start x0 in [-0.9, 0.9] at y0 = {y0} gives GD lambda_max = {}",
            cfg.target_gd
        ))
    })?;
    let log_rho = bisect(-5.0, 0.0, |lr| {
        eigen_pair(cfg, 10f64.powf(lr), [x0, y0]).1.ln() - cfg.target_sam.ln()
    })
    .ok_or_else(|| {
        ExperimentError::Config(format!(
            "no rho in [1e-5, 1] gives SAM lambda_max = {} from ({x0}, {y0})",
            cfg.target_sam
        ))
    })?;
    // Round to 4 significant digits: a setting a person can type, re-evaluated below.
    let rho = round_sig(10f64.powf(log_rho), 4);
    let x0 = round_sig(x0, 6);
    let (lambda_gd, lambda_sam) = eigen_pair(cfg, rho, [x0, y0]);
    Ok(Reproduction {
        start: vec![x0, y0],
        rho,
        lambda_gd,
        lambda_sam,
    })
}

/// Rounds to `n` significant digits.
///
/// ```
/// assert_eq!(sam_experiments::toy::fig2::round_sig(0.123456, 3), 0.123);
/// ```
pub fn round_sig(v: f64, n: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let p = n - 1 - v.abs().log10().floor() as i32;
    let s = 10f64.powi(p);
    (v * s).round() / s
}

/// One row of a sensitivity sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityRow {
    /// "rho" (ρ varies, start fixed) or "start_x" (x₀ shifted, ρ fixed).
    pub sweep: String,
    /// ρ used.
    pub rho: f64,
    /// Start x.
    pub x0: f64,
    /// Start y.
    pub y0: f64,
    /// λ_max at GD's end.
    pub lambda_gd: f64,
    /// λ_max at SAM's end.
    pub lambda_sam: f64,
}

/// Sensitivity of both eigenvalues to ρ (log grid 10⁻⁵…1) and to the start (x₀ ± 0.1).
pub fn sensitivity(cfg: &Config, rep: &Reproduction) -> Vec<SensitivityRow> {
    let (x0, y0) = (rep.start[0], rep.start[1]);
    let mut rows: Vec<SensitivityRow> = logspace(-5.0, 0.0, 51)
        .into_par_iter()
        .map(|rho| {
            let (g, s) = eigen_pair(cfg, rho, [x0, y0]);
            SensitivityRow {
                sweep: "rho".into(),
                rho,
                x0,
                y0,
                lambda_gd: g,
                lambda_sam: s,
            }
        })
        .collect();
    rows.extend(
        linspace(-0.1, 0.1, 41)
            .into_par_iter()
            .map(|dx| {
                let (g, s) = eigen_pair(cfg, rep.rho, [x0 + dx, y0]);
                SensitivityRow {
                    sweep: "start_x".into(),
                    rho: rep.rho,
                    x0: x0 + dx,
                    y0,
                    lambda_gd: g,
                    lambda_sam: s,
                }
            })
            .collect::<Vec<_>>(),
    );
    rows
}

/// A trajectory point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRow {
    /// "paper_rho" or "reproducing_rho".
    pub setting: String,
    /// "gd" or "sam".
    pub optimizer: String,
    /// Step.
    pub step: usize,
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
    /// f(x, y).
    pub loss: f64,
    /// λ_max of the Hessian at (x, y).
    pub lambda_max: f64,
}

/// Trajectories of GD and SAM from `start` with radius `rho`, labelled `setting`.
pub fn traces(cfg: &Config, setting: &str, rho: f64, start: &[f64]) -> Result<Vec<TraceRow>> {
    let (gd, sam) = run_pair(&Fig2, &cfg.settings(rho, start.to_vec()))?;
    Ok([("gd", gd), ("sam", sam)]
        .into_iter()
        .flat_map(|(name, t)| {
            t.into_iter().enumerate().map(move |(step, p)| TraceRow {
                setting: setting.into(),
                optimizer: name.into(),
                step,
                x: p[0],
                y: p[1],
                loss: Fig2.value(&p),
                lambda_max: lambda_max(&Fig2, &p),
            })
        })
        .collect())
}

/// A sample of f on a grid, for the contour plot (figures never recompute f).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LandscapeRow {
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
    /// f(x, y).
    pub f: f64,
}

/// f on an n×n grid over [x0, x1]×[y0, y1].
pub fn landscape(x: (f64, f64), y: (f64, f64), n: usize) -> Vec<LandscapeRow> {
    let ys = linspace(y.0, y.1, n);
    linspace(x.0, x.1, n)
        .into_iter()
        .flat_map(|xv| {
            ys.iter().map(move |&yv| LandscapeRow {
                x: xv,
                y: yv,
                f: Fig2.value(&[xv, yv]),
            })
        })
        .collect()
}

/// λ_max at SAM's end when the reproducing run is continued past the paper's 1000 iterations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonRow {
    /// Iterations.
    pub iterations: usize,
    /// λ_max at GD's end.
    pub lambda_gd: f64,
    /// λ_max at SAM's end.
    pub lambda_sam: f64,
}

/// Does SAM's λ_max settle? Runs the reproducing setting for 250 … 16000 iterations.
pub fn horizon(cfg: &Config, rep: &Reproduction) -> Vec<HorizonRow> {
    [250, 500, 1000, 2000, 4000, 8000, 16000]
        .into_par_iter()
        .map(|iterations| {
            let c = Config {
                iterations,
                ..cfg.clone()
            };
            let (lambda_gd, lambda_sam) = eigen_pair(&c, rep.rho, [rep.start[0], rep.start[1]]);
            HorizonRow {
                iterations,
                lambda_gd,
                lambda_sam,
            }
        })
        .collect()
}

/// The verdicts of the Figure 2 study, computed from the rows it produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Relative error of λ_GD against the review's value, in percent, at the reproducing setting.
    pub gd_error_percent: f64,
    /// Relative error of λ_SAM against the review's value, in percent.
    pub sam_error_percent: f64,
    /// Both within the tolerance.
    pub reproduced: bool,
    /// d ln λ_SAM / d ln ρ between the two swept ρ around the reproducing ρ (none if the sweep
    /// does not bracket it).
    pub elasticity: Option<f64>,
    /// The swept ρ whose λ_SAM is within the tolerance of the review's value.
    pub rho_within_tolerance: Vec<f64>,
}

impl Verdict {
    /// The verdict from the reproduction and the sensitivity sweep.
    pub fn compute(cfg: &Config, rep: &Reproduction, sens: &[SensitivityRow]) -> Self {
        let rho_rows: Vec<&SensitivityRow> = sens.iter().filter(|r| r.sweep == "rho").collect();
        let rho_within_tolerance = rho_rows
            .iter()
            .filter(|r| ((r.lambda_sam - cfg.target_sam) / cfg.target_sam).abs() <= cfg.tolerance)
            .map(|r| r.rho)
            .collect();
        let elasticity = rho_rows
            .windows(2)
            .find(|w| w[0].rho <= rep.rho && rep.rho <= w[1].rho)
            .map(|w| {
                (w[1].lambda_sam.ln() - w[0].lambda_sam.ln()) / (w[1].rho.ln() - w[0].rho.ln())
            })
            .filter(|e| e.is_finite());
        Self {
            gd_error_percent: 100.0 * (rep.lambda_gd / cfg.target_gd - 1.0),
            sam_error_percent: 100.0 * (rep.lambda_sam / cfg.target_sam - 1.0),
            reproduced: cfg.hits(rep.lambda_gd, rep.lambda_sam),
            elasticity,
            rho_within_tolerance,
        }
    }
}

/// Everything the Figure 2 experiment writes under `results/fig2/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// Part A's summary (`grid_summary.json`).
    pub grid_summary: GridSummary,
    /// Part A's starts that reproduce both numbers (`grid_hits.csv`).
    pub grid_hits: Vec<HitRow>,
    /// Part B's setting (`reproduction.json`).
    pub reproduction: Reproduction,
    /// Sweeps over ρ and x₀ (`sensitivity.csv`).
    pub sensitivity: Vec<SensitivityRow>,
    /// λ_max against the number of iterations (`horizon.csv`).
    pub horizon: Vec<HorizonRow>,
    /// Trajectories at the paper's and the reproducing ρ (`traces.csv`).
    pub traces: Vec<TraceRow>,
    /// f on a grid (`landscape.csv`).
    pub landscape: Vec<LandscapeRow>,
    /// Both ends at the paper's ρ (`paper_setting.json`).
    pub paper_setting: super::ToyJson,
    /// Both ends at the reproducing ρ (`reproducing_setting.json`).
    pub reproducing_setting: super::ToyJson,
    /// Verdicts (`verdict.json`).
    pub verdict: Verdict,
    /// Config and version (`meta.json`).
    pub meta: sam_results::Meta,
    /// The config, as in `meta.json`.
    pub cfg: Config,
}

/// The experiment's folder name under `results/`.
pub const NAME: &str = "fig2";

/// Runs the Figure 2 study: Part A's start grid at the paper's ρ, Part B's reproducing setting,
/// its sensitivity, horizon and trajectories.
pub fn run(cfg: &Config, quick: bool, progress: crate::Progress) -> Result<Results> {
    use sam_objectives::AnyObjective;
    progress(
        (cfg.grid_x.2 * cfg.grid_y.2) as u64,
        "fig2 start grid (ρ = 1e-5)",
    );
    let (grid_summary, grid_hits) = search_paper_setting(cfg, &|| progress(0, ""));
    let rep = find_reproduction(cfg)?;
    let sens = sensitivity(cfg, &rep);
    let horizon = horizon(cfg, &rep);
    let mut traces = traces(cfg, "paper_rho", cfg.paper_rho, &rep.start)?;
    traces.extend(self::traces(cfg, "reproducing_rho", rep.rho, &rep.start)?);
    let paper = cfg.settings(cfg.paper_rho, rep.start.clone());
    let reproducing = cfg.settings(rep.rho, rep.start.clone());
    let f = AnyObjective::Fig2(Fig2);
    Ok(Results {
        grid_summary,
        grid_hits,
        verdict: Verdict::compute(cfg, &rep, &sens),
        sensitivity: sens,
        horizon,
        traces,
        landscape: landscape((-0.6, 2.6), (-1.1, 1.1), 161),
        paper_setting: super::toy_json(&f, &paper, "sam")?,
        reproducing_setting: super::toy_json(&f, &reproducing, "sam")?,
        reproduction: rep,
        meta: sam_results::Meta::new(NAME, None, quick, cfg)?,
        cfg: cfg.clone(),
    })
}

impl Results {
    /// Writes every file into `dir` (atomically, one by one).
    pub fn write(&self, dir: &std::path::Path) -> Result<()> {
        use sam_results::{write_csv, write_json};
        write_json(&dir.join("grid_summary.json"), &self.grid_summary)?;
        write_csv(&dir.join("grid_hits.csv"), &self.grid_hits)?;
        write_json(&dir.join("reproduction.json"), &self.reproduction)?;
        write_csv(&dir.join("sensitivity.csv"), &self.sensitivity)?;
        write_csv(&dir.join("horizon.csv"), &self.horizon)?;
        write_csv(&dir.join("traces.csv"), &self.traces)?;
        write_csv(&dir.join("landscape.csv"), &self.landscape)?;
        write_json(&dir.join("paper_setting.json"), &self.paper_setting)?;
        write_json(
            &dir.join("reproducing_setting.json"),
            &self.reproducing_setting,
        )?;
        write_json(&dir.join("verdict.json"), &self.verdict)?;
        write_json(&dir.join("meta.json"), &self.meta)?;
        Ok(())
    }

    /// Reads what [`Results::write`] wrote.
    pub fn read(dir: &std::path::Path) -> Result<Self> {
        use sam_results::{read_csv, read_json};
        let meta: sam_results::Meta = read_json(&dir.join("meta.json"))?;
        let r = Self {
            grid_summary: read_json(&dir.join("grid_summary.json"))?,
            grid_hits: read_csv(&dir.join("grid_hits.csv"))?,
            reproduction: read_json(&dir.join("reproduction.json"))?,
            sensitivity: read_csv(&dir.join("sensitivity.csv"))?,
            horizon: read_csv(&dir.join("horizon.csv"))?,
            traces: read_csv(&dir.join("traces.csv"))?,
            landscape: read_csv(&dir.join("landscape.csv"))?,
            paper_setting: read_json(&dir.join("paper_setting.json"))?,
            reproducing_setting: read_json(&dir.join("reproducing_setting.json"))?,
            verdict: read_json(&dir.join("verdict.json"))?,
            cfg: crate::config_of(&meta, dir)?,
            meta,
        };
        // the shapes the report and the figures index (a 2-D start and end points)
        let two_d = |v: &[f64]| v.len() == 2;
        if !two_d(&r.reproduction.start)
            || ![&r.paper_setting, &r.reproducing_setting]
                .iter()
                .all(|j| two_d(&j.gd.final_point) && two_d(&j.sam.final_point))
        {
            return Err(ExperimentError::Config(format!(
                "{}: Figure 2 results need 2-D points: rerun the experiment",
                dir.display()
            )));
        }
        Ok(r)
    }
}

crate::study!(Config::quick(), Config::default(), |cfg, ctx| run(
    cfg,
    ctx.quick,
    ctx.progress
));
