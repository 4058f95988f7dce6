//! Figure 1 (section 2.1.1): GD vs SAM on f(x) = x²(x−1)²/(x²+10⁻⁴).
//!
//! The review claims that GD "sometimes may stop" in the sharp minimum x = 0 while SAM "can go
//! through the sharp landscape and get a flatter minima" x = 1, without giving η, ρ or the start.
//! This module runs both optimizers with the same η over a grid of η, ρ and starts, classifies
//! where each ends, and picks the showcase setting that is closest to the claim.
//!
//! Two facts organise the outcomes (derived in `notebooks-md/01-toy-landscapes.md`):
//! - GD can only stay at x = 0 when η f''(0) < 2, i.e. η < ε = 10⁻⁴ (f''(0) = 2/ε);
//! - SAM has a stationary point wherever ∇f(x + ê) = 0: at x = ρ (perturbed point on the sharp
//!   minimum) and at x = ρ + x_peak, where x_peak ≈ 0.04 is the barrier top. x = ρ is stable for SAM
//!   under the same condition η < 10⁻⁴.

use super::{finals, ToySettings};
use crate::{linspace, logspace, Result};
use rayon::prelude::*;
use sam_objectives::Fig1;
use serde::{Deserialize, Serialize};

/// Where a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// |x − 1| ≤ 0.05: the flat minimum.
    Flat,
    /// |x| ≤ 10⁻³: converged into the sharp minimum (the well is ~0.01 wide; iterates that
    /// still bounce inside it are not counted as stopped).
    Sharp,
    /// |x − ρ| ≤ 10⁻³ (and not sharp): SAM's spurious stationary point next to the sharp minimum.
    ShiftedRho,
    /// Anywhere else (another stationary point, or still moving or cycling).
    Other,
}

/// Classifies a final point for radius ρ (ρ = 0 for GD).
///
/// ```
/// use sam_experiments::toy::fig1::{classify, Outcome};
/// assert_eq!(classify(0.999, 0.1), Outcome::Flat);
/// assert_eq!(classify(0.1001, 0.1), Outcome::ShiftedRho);
/// assert_eq!(classify(0.005, 0.1), Outcome::Other); // still bouncing in the well
/// ```
pub fn classify(x: f64, rho: f64) -> Outcome {
    if (x - 1.0).abs() <= 0.05 {
        Outcome::Flat
    } else if x.abs() <= 1e-3 {
        Outcome::Sharp
    } else if rho > 0.0 && (x - rho).abs() <= 1e-3 {
        Outcome::ShiftedRho
    } else {
        Outcome::Other
    }
}

/// The grid of the Figure 1 study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Learning rates, shared by GD and SAM.
    pub etas: Vec<f64>,
    /// SAM radii.
    pub rhos: Vec<f64>,
    /// Start points.
    pub starts: Vec<f64>,
    /// Continuous-time horizon: iterations = clamp(horizon/η, min_iterations, max_iterations).
    pub horizon: f64,
    /// Lower clamp on iterations.
    pub min_iterations: usize,
    /// Upper clamp on iterations.
    pub max_iterations: usize,
}

impl Default for Config {
    /// η from 10^−4.75 ≈ 1.8·10⁻⁵ to 10^−0.75 ≈ 0.18 (9 values, log grid, none exactly on GD's
    /// stability bound 2/f''(0) = 10⁻⁴), ρ ∈ {0.005 … 0.5}, 36 starts in [−1.49, 2.01] offset by
    /// 0.0123 so that no start sits exactly on a minimum or on x = ρ, horizon η·N = 5.
    fn default() -> Self {
        Self {
            etas: logspace(-4.75, -0.75, 9),
            rhos: vec![0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
            starts: linspace(-1.5, 2.0, 36)
                .into_iter()
                .map(|s| s + 0.0123)
                .collect(),
            horizon: 5.0,
            min_iterations: 1000,
            max_iterations: 500_000,
        }
    }
}

impl Config {
    /// A small grid for `--quick` smoke runs.
    pub fn quick() -> Self {
        Self {
            etas: vec![5e-5, 1e-3, 1e-2],
            rhos: vec![0.01, 0.1],
            starts: vec![-1.0123, -0.3123, 0.4877, 1.5123],
            horizon: 2.0,
            min_iterations: 200,
            max_iterations: 50_000,
        }
    }
    /// Iterations used for learning rate η.
    pub fn iterations(&self, eta: f64) -> usize {
        ((self.horizon / eta).ceil() as usize).clamp(self.min_iterations, self.max_iterations)
    }
}

/// One grid cell: one (η, ρ, start).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridRow {
    /// Learning rate.
    pub eta: f64,
    /// SAM radius.
    pub rho: f64,
    /// Start.
    pub start: f64,
    /// Iterations of each optimizer.
    pub iterations: usize,
    /// GD's last iterate.
    pub gd_final: f64,
    /// SAM's last iterate.
    pub sam_final: f64,
    /// Where GD ended.
    pub gd_outcome: Outcome,
    /// Where SAM ended.
    pub sam_outcome: Outcome,
}

/// Per (η, ρ): how many starts ended where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Learning rate.
    pub eta: f64,
    /// SAM radius.
    pub rho: f64,
    /// Iterations.
    pub iterations: usize,
    /// Number of starts.
    pub starts: usize,
    /// GD ended at the flat minimum.
    pub gd_flat: usize,
    /// GD ended at the sharp minimum.
    pub gd_sharp: usize,
    /// GD elsewhere.
    pub gd_other: usize,
    /// SAM ended at the flat minimum.
    pub sam_flat: usize,
    /// SAM ended at the sharp minimum.
    pub sam_sharp: usize,
    /// SAM ended at x ≈ ρ.
    pub sam_shifted_rho: usize,
    /// SAM elsewhere.
    pub sam_other: usize,
    /// Starts where the review's claim holds: GD sharp and SAM flat.
    pub claim_holds: usize,
}

/// Runs the grid (parallel over cells; results in grid order, deterministic).
pub fn run_grid(cfg: &Config, progress: &(dyn Fn() + Sync)) -> Result<Vec<GridRow>> {
    let cells: Vec<(f64, f64, f64)> = cfg
        .etas
        .iter()
        .flat_map(|&eta| {
            cfg.rhos
                .iter()
                .flat_map(move |&rho| cfg.starts.iter().map(move |&s| (eta, rho, s)))
        })
        .collect();
    cells
        .par_iter()
        .map(|&(eta, rho, start)| {
            let iterations = cfg.iterations(eta);
            let s = ToySettings {
                eta,
                rho,
                iterations,
                start: vec![start],
            };
            let (gd, sam) = finals(&Fig1, &s)?;
            progress();
            Ok(GridRow {
                eta,
                rho,
                start,
                iterations,
                gd_final: gd[0],
                sam_final: sam[0],
                gd_outcome: classify(gd[0], 0.0),
                sam_outcome: classify(sam[0], rho),
            })
        })
        .collect()
}

/// Counts outcomes per (η, ρ), in grid order.
pub fn summarize(rows: &[GridRow]) -> Vec<SummaryRow> {
    let mut out: Vec<SummaryRow> = Vec::new();
    for r in rows {
        let s = match out.last_mut() {
            Some(s) if s.eta == r.eta && s.rho == r.rho => s,
            _ => {
                out.push(SummaryRow {
                    eta: r.eta,
                    rho: r.rho,
                    iterations: r.iterations,
                    starts: 0,
                    gd_flat: 0,
                    gd_sharp: 0,
                    gd_other: 0,
                    sam_flat: 0,
                    sam_sharp: 0,
                    sam_shifted_rho: 0,
                    sam_other: 0,
                    claim_holds: 0,
                });
                out.last_mut().expect("just pushed")
            }
        };
        s.starts += 1;
        match r.gd_outcome {
            Outcome::Flat => s.gd_flat += 1,
            Outcome::Sharp => s.gd_sharp += 1,
            _ => s.gd_other += 1,
        }
        match r.sam_outcome {
            Outcome::Flat => s.sam_flat += 1,
            Outcome::Sharp => s.sam_sharp += 1,
            Outcome::ShiftedRho => s.sam_shifted_rho += 1,
            Outcome::Other => s.sam_other += 1,
        }
        if r.gd_outcome == Outcome::Sharp && r.sam_outcome == Outcome::Flat {
            s.claim_holds += 1;
        }
    }
    out
}

/// The showcase: the cell closest to the review's claim. Preference order: GD sharp and SAM flat
/// (the claim); else GD sharp and SAM not sharp; else GD sharp. Among equals, the (η, ρ) with the
/// most such starts, then the smallest ρ, then the largest η, then the start nearest −0.5 (left of
/// the sharp well, which both must cross to reach x = 1).
pub fn showcase(rows: &[GridRow]) -> Option<GridRow> {
    let score = |r: &GridRow| -> u8 {
        match (r.gd_outcome, r.sam_outcome) {
            (Outcome::Sharp, Outcome::Flat) => 3,
            (Outcome::Sharp, s) if s != Outcome::Sharp => 2,
            (Outcome::Sharp, _) => 1,
            _ => 0,
        }
    };
    let count = |r: &GridRow, level: u8| -> usize {
        rows.iter()
            .filter(|o| o.eta == r.eta && o.rho == r.rho && score(o) >= level)
            .count()
    };
    rows.iter()
        .filter(|r| score(r) > 0)
        .max_by(|a, b| {
            let (sa, sb) = (score(a), score(b));
            sa.cmp(&sb)
                .then(count(a, sa).cmp(&count(b, sb)))
                .then(b.rho.total_cmp(&a.rho))
                .then(a.eta.total_cmp(&b.eta))
                .then(
                    (b.start + 0.5)
                        .abs()
                        .partial_cmp(&(a.start + 0.5).abs())
                        .unwrap_or(std::cmp::Ordering::Equal),
                )
        })
        .cloned()
}

/// The barrier top x_peak in (0, 1): the local maximum of f between the two minima
/// (found by golden-section search on f).
///
/// ```
/// let p = sam_experiments::toy::fig1::barrier_top();
/// assert!(p > 0.0 && p < 0.1);
/// ```
pub fn barrier_top() -> f64 {
    use sam_objectives::Objective;
    let f = |x: f64| Fig1.value(&[x]);
    let (mut a, mut b) = (1e-3, 0.5);
    let r = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..200 {
        let c = b - r * (b - a);
        let d = a + r * (b - a);
        if f(c) > f(d) {
            b = d;
        } else {
            a = c;
        }
    }
    0.5 * (a + b)
}

/// One row of the Figure 1 showcase trajectories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig1Trace {
    /// "gd" or "sam".
    pub optimizer: String,
    /// Step.
    pub step: usize,
    /// x.
    pub x: f64,
    /// f(x).
    pub loss: f64,
}

/// f on a grid for drawing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// x.
    pub x: f64,
    /// f(x).
    pub f: f64,
}

/// Closed-form facts about Figure 1's function used in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig1Facts {
    /// f''(0) = 2/ε.
    pub curvature_sharp: f64,
    /// f''(1).
    pub curvature_flat: f64,
    /// GD's stability bound at the sharp minimum, 2/f''(0).
    pub eta_stable_sharp: f64,
    /// The barrier top between the minima.
    pub barrier_x: f64,
    /// f at the barrier top.
    pub barrier_f: f64,
}

impl Fig1Facts {
    /// Computes the facts from the analytic Hessian and [`barrier_top`].
    ///
    /// ```
    /// let f = sam_experiments::toy::fig1::Fig1Facts::compute();
    /// assert!((f.eta_stable_sharp - 1e-4).abs() < 1e-12);
    /// ```
    pub fn compute() -> Self {
        use sam_objectives::{Hessian, Objective};
        let c0 = Fig1.hessian(&[0.0])[(0, 0)];
        let xb = barrier_top();
        Self {
            curvature_sharp: c0,
            curvature_flat: Fig1.hessian(&[1.0])[(0, 0)],
            eta_stable_sharp: 2.0 / c0,
            barrier_x: xb,
            barrier_f: Fig1.value(&[xb]),
        }
    }
}

/// The verdict on the review's Figure 1 claim over the whole grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// (η, ρ, start) cells where GD ends at the sharp minimum and SAM at the flat one.
    pub claim_holds: usize,
    /// All (η, ρ, start) cells.
    pub cells: usize,
}

/// Everything the Figure 1 experiment writes under `results/fig1/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// Every grid cell (`grid.csv`).
    pub grid: Vec<GridRow>,
    /// Per (η, ρ) counts (`summary.csv`).
    pub summary: Vec<SummaryRow>,
    /// The showcase trajectories, thinned (`showcase_trace.csv`).
    pub trace: Vec<Fig1Trace>,
    /// f on [−0.7, 1.5] (`landscape.csv`).
    pub landscape: Vec<Curve>,
    /// Both ends of the showcase run (`showcase.json`).
    pub showcase: super::ToyJson,
    /// Closed-form facts (`facts.json`).
    pub facts: Fig1Facts,
    /// The claim's verdict (`verdict.json`).
    pub verdict: Verdict,
    /// Config and version (`meta.json`).
    pub meta: sam_results::Meta,
}

/// The experiment's folder name under `results/`.
pub const NAME: &str = "fig1";

/// Runs the Figure 1 study: the grid, the showcase cell picked from it, its trajectories.
/// `progress(n, msg)` starts a phase of n units; `progress(0, "")` advances one.
pub fn run(cfg: &Config, quick: bool, progress: crate::Progress) -> Result<Results> {
    use sam_objectives::{AnyObjective, Objective};
    let cells = (cfg.etas.len() * cfg.rhos.len() * cfg.starts.len()) as u64;
    progress(cells, "fig1 grid");
    let grid = run_grid(cfg, &|| progress(0, ""))?;
    let show = showcase(&grid).ok_or_else(|| {
        crate::ExperimentError::Finding(
            "no grid cell where GD ends at the sharp minimum: widen the grid of eta (smaller values)"
                .into(),
        )
    })?;
    let settings = ToySettings {
        eta: show.eta,
        rho: show.rho,
        iterations: show.iterations,
        start: vec![show.start],
    };
    let (gd, sam) = super::run_pair(&Fig1, &settings)?;
    let every = (settings.iterations / 2000).max(1);
    let mut trace = Vec::new();
    for (name, t) in [("gd", gd), ("sam", sam)] {
        let n = t.len();
        for (step, p) in t.into_iter().enumerate() {
            if step % every == 0 || step + 1 == n || step < 50 {
                trace.push(Fig1Trace {
                    optimizer: name.into(),
                    step,
                    x: p[0],
                    loss: Fig1.value(&p),
                });
            }
        }
    }
    let landscape = linspace(-0.7, 1.5, 2201)
        .into_iter()
        .map(|x| Curve {
            x,
            f: Fig1.value(&[x]),
        })
        .collect();
    let summary = summarize(&grid);
    let verdict = Verdict {
        claim_holds: summary.iter().map(|r| r.claim_holds).sum(),
        cells: summary.iter().map(|r| r.starts).sum(),
    };
    Ok(Results {
        showcase: super::toy_json(&AnyObjective::Fig1(Fig1), &settings, "sam")?,
        grid,
        summary,
        trace,
        landscape,
        facts: Fig1Facts::compute(),
        verdict,
        meta: sam_results::Meta::new(NAME, None, quick, cfg)?,
    })
}

impl Results {
    /// Writes every file into `dir` (atomically, one by one).
    pub fn write(&self, dir: &std::path::Path) -> Result<()> {
        use sam_results::{write_csv, write_json};
        write_csv(&dir.join("grid.csv"), &self.grid)?;
        write_csv(&dir.join("summary.csv"), &self.summary)?;
        write_csv(&dir.join("showcase_trace.csv"), &self.trace)?;
        write_csv(&dir.join("landscape.csv"), &self.landscape)?;
        write_json(&dir.join("showcase.json"), &self.showcase)?;
        write_json(&dir.join("facts.json"), &self.facts)?;
        write_json(&dir.join("verdict.json"), &self.verdict)?;
        write_json(&dir.join("meta.json"), &self.meta)?;
        Ok(())
    }

    /// Reads what [`Results::write`] wrote.
    pub fn read(dir: &std::path::Path) -> Result<Self> {
        use sam_results::{read_csv, read_json};
        Ok(Self {
            grid: read_csv(&dir.join("grid.csv"))?,
            summary: read_csv(&dir.join("summary.csv"))?,
            trace: read_csv(&dir.join("showcase_trace.csv"))?,
            landscape: read_csv(&dir.join("landscape.csv"))?,
            showcase: read_json(&dir.join("showcase.json"))?,
            facts: read_json(&dir.join("facts.json"))?,
            verdict: read_json(&dir.join("verdict.json"))?,
            meta: read_json(&dir.join("meta.json"))?,
        })
    }
}

crate::study!(Config::quick(), Config::default(), |cfg, ctx| run(
    cfg,
    ctx.quick,
    ctx.progress
));
