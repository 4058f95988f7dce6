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

use super::ToySettings;
use crate::{linspace, logspace, Result};
use rayon::prelude::*;
use sam_objectives::Fig1;
use serde::{Deserialize, Serialize};

/// Where a run ended, judged on its last 10% of iterates (not on the last one, which is noise
/// where the run still bounces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every tail iterate within 0.05 of 1: the flat minimum (SAM with constant ρ ends in a small
    /// 2-cycle around it).
    Flat,
    /// Every tail iterate within 10⁻³ of 0: converged into the sharp minimum (the well is ~0.01
    /// wide; iterates that still bounce inside it are not counted as stopped).
    Sharp,
    /// SAM only: every tail iterate within 10⁻³ of ρ, its spurious stationary point (the
    /// perturbed point x − ρ on the sharp minimum). Checked before `Flat`, so that SAM parked at
    /// x = ρ = 0.95 is not counted as the flat minimum.
    ShiftedRho,
    /// SAM only: every tail iterate within x* of ρ but not converged: bouncing around its stall,
    /// as GD bounces in the sharp well (in y = x − ρ it is the same motion, see [`run_escape`]).
    NearRho,
    /// SAM only, ρ below the barrier top x*: every tail iterate within ρ of x*. There the
    /// perturbed points x ± ρ sit on opposite slopes of the barrier, so SAM is pulled back to x*.
    LocalMax,
    /// Every tail iterate inside the sharp well, |x| < x* (the barrier top), but not converged:
    /// bouncing around the sharp minimum.
    Well,
    /// Anywhere else (still moving, or cycling elsewhere).
    Other,
}

/// The range [lo, hi] of a run's last 10% of iterates, and its last iterate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tail {
    /// The last iterate.
    pub last: f64,
    /// The smallest tail iterate.
    pub lo: f64,
    /// The largest tail iterate.
    pub hi: f64,
}

impl Tail {
    /// A tail of one point (a run that sits still).
    pub fn at(x: f64) -> Self {
        Self {
            last: x,
            lo: x,
            hi: x,
        }
    }
    /// The largest distance of a tail iterate from `t`.
    pub fn max_distance(&self, t: f64) -> f64 {
        (self.lo - t).abs().max((self.hi - t).abs())
    }
}

/// Classifies a run's tail for radius ρ (ρ = 0 for GD) with barrier top `peak`.
///
/// ```
/// use sam_experiments::toy::fig1::{classify, Outcome, Tail};
/// let peak = 0.045;
/// assert_eq!(classify(Tail::at(0.999), 0.1, peak), Outcome::Flat);
/// assert_eq!(classify(Tail::at(0.1001), 0.1, peak), Outcome::ShiftedRho);
/// assert_eq!(classify(Tail::at(0.95), 0.95, peak), Outcome::ShiftedRho); // not the flat minimum
/// assert_eq!(classify(Tail { last: 0.05, lo: 0.04, hi: 0.05 }, 0.02, peak), Outcome::LocalMax);
/// assert_eq!(classify(Tail { last: 0.0, lo: -0.005, hi: 0.005 }, 0.1, peak), Outcome::Well); // bouncing
/// assert_eq!(classify(Tail { last: 0.5, lo: 0.48, hi: 0.52 }, 0.5, peak), Outcome::NearRho);
/// assert_eq!(classify(Tail { last: 0.5, lo: 0.2, hi: 0.7 }, 0.1, peak), Outcome::Other);
/// ```
pub fn classify(tail: Tail, rho: f64, peak: f64) -> Outcome {
    if tail.max_distance(0.0) <= 1e-3 {
        Outcome::Sharp
    } else if rho > 0.0 && tail.max_distance(rho) <= 1e-3 {
        Outcome::ShiftedRho
    } else if rho > 0.0 && rho < peak && tail.max_distance(peak) < rho {
        Outcome::LocalMax
    } else if tail.max_distance(0.0) < peak {
        Outcome::Well
    } else if rho > peak && tail.max_distance(rho) < peak {
        Outcome::NearRho
    } else if tail.max_distance(1.0) <= 0.05 {
        Outcome::Flat
    } else {
        Outcome::Other
    }
}

/// Runs `method` on Figure 1's function and returns its tail (the last 10% of iterates, the
/// last included).
pub fn run_tail(s: &ToySettings, method: sam_optim::Method) -> Result<Tail> {
    s.validate(&Fig1)?;
    let from = s.iterations - s.iterations / 10;
    let (mut step, mut lo, mut hi) = (0usize, f64::INFINITY, f64::NEG_INFINITY);
    let x = super::run_one(&Fig1, s, method, &mut |x| {
        if step >= from {
            lo = lo.min(x[0]);
            hi = hi.max(x[0]);
        }
        step += 1;
    })?;
    Ok(Tail { last: x[0], lo, hi })
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
    /// The escape study's fine η grid: (first, last, count), log-spaced around GD's escape
    /// threshold from the sharp well.
    pub escape_etas: (f64, f64, usize),
    /// The escape study's radii, all above the barrier top (so that x = ρ is SAM's stall).
    pub escape_rhos: Vec<f64>,
    /// The escape study's start: GD from this offset in the well, SAM from ρ + offset.
    pub escape_offset: f64,
}

impl Default for Config {
    /// η from 10^−4.75 ≈ 1.8·10⁻⁵ to 10^−0.75 ≈ 0.18 (9 values, log grid, none exactly on GD's
    /// stability bound 2/f''(0) = 10⁻⁴), ρ ∈ {0.005 … 0.95}, 36 starts in [−1.49, 2.01] offset by
    /// 0.0123 so that no start sits exactly on a minimum or on x = ρ, horizon η·N = 5. The radii
    /// run up to 0.95, where SAM's stall x = ρ lies next to the flat minimum.
    fn default() -> Self {
        Self {
            etas: logspace(-4.75, -0.75, 9),
            rhos: vec![0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.9, 0.95],
            starts: linspace(-1.5, 2.0, 36)
                .into_iter()
                .map(|s| s + 0.0123)
                .collect(),
            horizon: 5.0,
            min_iterations: 1000,
            max_iterations: 500_000,
            escape_etas: (5e-4, 1.2e-3, 29),
            escape_rhos: vec![0.1, 0.2, 0.5, 0.9],
            escape_offset: 0.003,
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
            escape_etas: (5e-4, 1.2e-3, 5),
            escape_rhos: vec![0.5],
            escape_offset: 0.003,
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
    /// The smallest of GD's last 10% of iterates.
    pub gd_tail_lo: f64,
    /// The largest of GD's last 10% of iterates.
    pub gd_tail_hi: f64,
    /// SAM's last iterate.
    pub sam_final: f64,
    /// The smallest of SAM's last 10% of iterates.
    pub sam_tail_lo: f64,
    /// The largest of SAM's last 10% of iterates.
    pub sam_tail_hi: f64,
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
    /// GD bouncing in the sharp well.
    pub gd_well: usize,
    /// GD elsewhere.
    pub gd_other: usize,
    /// SAM ended at the flat minimum.
    pub sam_flat: usize,
    /// SAM ended at the sharp minimum.
    pub sam_sharp: usize,
    /// SAM ended at x ≈ ρ.
    pub sam_shifted_rho: usize,
    /// SAM ended at the barrier top x* (ρ < x*).
    pub sam_local_max: usize,
    /// SAM bouncing in the sharp well.
    pub sam_well: usize,
    /// SAM bouncing around its stall x = ρ.
    pub sam_near_rho: usize,
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
    let peak = barrier_top();
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
            let gd = run_tail(&s, sam_optim::Method::Sgd)?;
            let sam = run_tail(&s, sam_optim::Method::Sam { rho })?;
            progress();
            Ok(GridRow {
                eta,
                rho,
                start,
                iterations,
                gd_final: gd.last,
                gd_tail_lo: gd.lo,
                gd_tail_hi: gd.hi,
                sam_final: sam.last,
                sam_tail_lo: sam.lo,
                sam_tail_hi: sam.hi,
                gd_outcome: classify(gd, 0.0, peak),
                sam_outcome: classify(sam, rho, peak),
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
                    gd_well: 0,
                    gd_other: 0,
                    sam_flat: 0,
                    sam_sharp: 0,
                    sam_shifted_rho: 0,
                    sam_local_max: 0,
                    sam_well: 0,
                    sam_near_rho: 0,
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
            Outcome::Well => s.gd_well += 1,
            _ => s.gd_other += 1,
        }
        match r.sam_outcome {
            Outcome::Flat => s.sam_flat += 1,
            Outcome::Sharp => s.sam_sharp += 1,
            Outcome::ShiftedRho => s.sam_shifted_rho += 1,
            Outcome::LocalMax => s.sam_local_max += 1,
            Outcome::Well => s.sam_well += 1,
            Outcome::NearRho => s.sam_near_rho += 1,
            Outcome::Other => s.sam_other += 1,
        }
        if r.gd_outcome == Outcome::Sharp && r.sam_outcome == Outcome::Flat {
            s.claim_holds += 1;
        }
    }
    out
}

/// The showcase: the cell closest to the review's claim. Preference order: GD sharp and SAM flat
/// (the claim); else GD sharp and SAM out of the sharp well; else GD sharp. Among equals, the (η, ρ) with the
/// most such starts, then the smallest ρ, then the largest η, then the start nearest −0.5 (left of
/// the sharp well, which both must cross to reach x = 1).
pub fn showcase(rows: &[GridRow]) -> Option<GridRow> {
    let score = |r: &GridRow| -> u8 {
        match (r.gd_outcome, r.sam_outcome) {
            (Outcome::Sharp, Outcome::Flat) => 3,
            (Outcome::Sharp, s) if !matches!(s, Outcome::Sharp | Outcome::Well) => 2,
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

/// One run of the escape study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscapeRow {
    /// Learning rate.
    pub eta: f64,
    /// Iterations.
    pub iterations: usize,
    /// 0 for GD (started at the offset), else SAM's ρ (started at ρ + offset).
    pub rho: f64,
    /// Where the run ended.
    pub outcome: Outcome,
    /// Its last iterate, minus ρ for SAM (comparable with GD's).
    pub final_shifted: f64,
}

/// The escape threshold of one optimizer: the η bracket where its run stops ending flat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscapeThreshold {
    /// 0 for GD, else SAM's ρ.
    pub rho: f64,
    /// The largest η of the fine grid from which the run does not end flat.
    pub eta_stuck: f64,
    /// The smallest η above it from which the run ends flat, refined by bisection between the
    /// two grid points (40 halvings).
    pub eta_escape: f64,
}

/// On (x*, 1), f' < 0, so SAM's ê = −ρ and, in y = x − ρ, SAM's step is y' = y − ηf'(y): GD on
/// f. SAM's stall at x = ρ is GD's stall at 0, with the same stability and escape thresholds.
/// This study runs GD from `escape_offset` and SAM from ρ + `escape_offset` on a fine η grid.
pub fn run_escape(cfg: &Config) -> Result<(Vec<EscapeRow>, Vec<EscapeThreshold>)> {
    let peak = barrier_top();
    let (lo, hi, n) = cfg.escape_etas;
    let etas = logspace(lo.log10(), hi.log10(), n);
    let mut rhos = vec![0.0];
    rhos.extend(&cfg.escape_rhos);
    let one = |eta: f64, rho: f64| -> Result<EscapeRow> {
        let s = ToySettings {
            eta,
            rho,
            iterations: cfg.iterations(eta),
            start: vec![rho + cfg.escape_offset],
        };
        let method = if rho > 0.0 {
            sam_optim::Method::Sam { rho }
        } else {
            sam_optim::Method::Sgd
        };
        let tail = run_tail(&s, method)?;
        Ok(EscapeRow {
            eta,
            iterations: s.iterations,
            rho,
            outcome: classify(tail, rho, peak),
            final_shifted: tail.last - rho,
        })
    };
    let cells: Vec<(f64, f64)> = rhos
        .iter()
        .flat_map(|&r| etas.iter().map(move |&e| (e, r)))
        .collect();
    let rows: Vec<EscapeRow> = cells
        .par_iter()
        .map(|&(e, r)| one(e, r))
        .collect::<Result<_>>()?;
    let thresholds = rhos
        .par_iter()
        .filter_map(|&rho| {
            let mine: Vec<&EscapeRow> = rows.iter().filter(|r| r.rho == rho).collect();
            let stuck = mine.iter().rposition(|r| r.outcome != Outcome::Flat)?;
            let next = mine.get(stuck + 1)?;
            let flat = |eta: f64| one(eta, rho).map(|r| r.outcome == Outcome::Flat);
            let (mut a, mut b) = (mine[stuck].eta, next.eta);
            for _ in 0..40 {
                let m = 0.5 * (a + b);
                match flat(m) {
                    Ok(true) => b = m,
                    Ok(false) => a = m,
                    Err(e) => return Some(Err(e)),
                }
            }
            Some(Ok(EscapeThreshold {
                rho,
                eta_stuck: a,
                eta_escape: b,
            }))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((rows, thresholds))
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
    /// The largest η of the grid at which GD ends at the sharp minimum from some start.
    pub gd_sharp_eta_max: Option<f64>,
    /// The smallest η of the grid at which SAM ends at the flat minimum from a start left of the
    /// sharp well (x₀ < 0, where a run must cross the well), at any ρ.
    pub sam_flat_from_left_eta_min: Option<f64>,
    /// GD at 0 and SAM at 1 happen only at different η: every η of the first is below every η of
    /// the second.
    pub needs_different_eta: bool,
    /// GD's escape threshold from the sharp well (the escape study's bisection).
    pub gd_escape_eta: Option<f64>,
    /// The largest |η_SAM − η_GD| / η_GD over the escape study's radii: SAM's stall at x = ρ
    /// and GD's stall at 0 escape at the same η.
    pub escape_max_relative_gap: Option<f64>,
}

impl Verdict {
    /// The verdict from the grid and the escape study.
    pub fn compute(
        grid: &[GridRow],
        summary: &[SummaryRow],
        thresholds: &[EscapeThreshold],
    ) -> Self {
        let gd_sharp_eta_max = grid
            .iter()
            .filter(|r| r.gd_outcome == Outcome::Sharp)
            .map(|r| r.eta)
            .reduce(f64::max);
        let sam_flat_from_left_eta_min = grid
            .iter()
            .filter(|r| r.start < 0.0 && r.sam_outcome == Outcome::Flat)
            .map(|r| r.eta)
            .reduce(f64::min);
        let gd_escape_eta = thresholds
            .iter()
            .find(|t| t.rho == 0.0)
            .map(|t| t.eta_escape);
        let escape_max_relative_gap = gd_escape_eta.and_then(|g| {
            thresholds
                .iter()
                .filter(|t| t.rho > 0.0)
                .map(|t| (t.eta_escape - g).abs() / g)
                .reduce(f64::max)
        });
        Self {
            claim_holds: summary.iter().map(|r| r.claim_holds).sum(),
            cells: summary.iter().map(|r| r.starts).sum(),
            gd_sharp_eta_max,
            sam_flat_from_left_eta_min,
            needs_different_eta: match (gd_sharp_eta_max, sam_flat_from_left_eta_min) {
                (Some(a), Some(b)) => a < b,
                _ => false,
            },
            gd_escape_eta,
            escape_max_relative_gap,
        }
    }
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
    /// The escape study's runs (`escape.csv`).
    pub escape: Vec<EscapeRow>,
    /// The escape thresholds of GD and of SAM at each ρ (`escape_thresholds.csv`).
    pub escape_thresholds: Vec<EscapeThreshold>,
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
    let (escape, escape_thresholds) = run_escape(cfg)?;
    let verdict = Verdict::compute(&grid, &summary, &escape_thresholds);
    Ok(Results {
        escape,
        escape_thresholds,
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

crate::results_files!(
    grid: csv "grid.csv",
    summary: csv "summary.csv",
    trace: csv "showcase_trace.csv",
    landscape: csv "landscape.csv",
    showcase: json "showcase.json",
    facts: json "facts.json",
    escape: csv "escape.csv",
    escape_thresholds: csv "escape_thresholds.csv",
    verdict: json "verdict.json",
    meta: json "meta.json",
);

crate::study!(Config::quick(), Config::default(), |cfg, ctx| run(
    cfg,
    ctx.quick,
    ctx.progress
));
