//! Figure 2 (section 2.3.1): GD vs SAM on f(x, y) = (x−1)²y², η = 0.1, ρ = 10⁻⁵, 1000 iterations.
//!
//! The review reports λ_max = 1.225 at the GD solution and 0.016 at the SAM solution, without the
//! start. Part A searches a grid of starts with the paper's ρ = 10⁻⁵ for starts that reproduce both
//! numbers (within the tolerance) and tests how fragile each hit is. Part B fixes a start on which GD
//! gives 1.225 and solves for the ρ at which SAM gives 0.016, then maps the sensitivity of both
//! eigenvalues to ρ and to the start.
//!
//! Under gradient flow, d(a²)/dt = d(y²)/dt = −4a²y² with a = x − 1, so Q = a² − y² is conserved
//! and GD from (x₀, y₀) ends near the minimum with λ_max = 2|a₀² − y₀²|. One step changes Q by an
//! exact factor ([`step_factor`]): GD by 1 − 4η²a²y², SAM by
//! 1 − 4ηρ(|ay|/r + ρ + ρ²|ay|/r³) − 4η²(ãỹ)²(1 − ρ²/r²), with r = √(a² + y²) and (ã, ỹ) the
//! perturbed point. SAM's extra drift is therefore first order in ρ (−4ηρQ|ay|(1/r + 2ηr))
//! wherever |ay| ≫ ρr, and second order (−4ηρ²Q) only in the valley |ay| ≪ ρr. Over a run the
//! difference from GD is linear in ρ for small ρ ([`Verdict::run_drift_slope`]); with ρ = 10⁻⁵ it
//! is of order 10⁻⁵ in λ_max, unless GD's instability at η = 0.1 amplifies it (Part C).

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
    /// Part C: the annulus r₀ ≤ |start − (1, 0)| ≤ r₁ searched at the paper's ρ, where η = 0.1 is
    /// unstable for GD and tiny differences are amplified.
    pub chaos_radius: (f64, f64),
    /// Part C, first pass: radii × angles (in one octant, see [`chaos_grid`]) of the polar grid
    /// over the annulus.
    pub chaos_grid: (usize, usize),
    /// Part C, second pass: the width of the shell just inside the largest radius from which the
    /// first pass had a finite run (GD and SAM decorrelate only there: see the profile).
    pub shell_width: f64,
    /// Part C, second pass: radii × angles (one octant) of the polar grid over the shell.
    pub shell_grid: (usize, usize),
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
            chaos_radius: (4.3, 6.5),
            chaos_grid: (2201, 180),
            shell_width: 0.005,
            shell_grid: (300, 1000),
        }
    }
}

impl Config {
    /// A small grid for `--quick` smoke runs.
    pub fn quick() -> Self {
        Self {
            grid_x: (-3.0, 5.0, 41),
            grid_y: (-3.0, 3.0, 31),
            chaos_grid: (45, 72),
            shell_grid: (10, 100),
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

/// A start at the paper's ρ that reproduces both numbers, and how robust that is.
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
    /// The shift of the start tested in each of ±x, ±y.
    pub shift: f64,
    /// Of the 4 shifted starts, how many still reproduce both numbers.
    pub neighbours_reproducing: usize,
    /// The smaller ρ tested.
    pub rho_low: f64,
    /// The larger ρ tested.
    pub rho_high: f64,
    /// Of ρ ∈ {rho_low, rho_high}, how many still reproduce both numbers.
    pub rho_variants_reproducing: usize,
}

/// A search over starts at the paper's ρ (Part A: a rectangle; Part C: the chaotic annulus).
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
    /// Starts where SAM alone gives 0.016 (within tolerance).
    pub sam_hits: usize,
    /// Largest |λ_GD − λ_SAM| over the grid.
    pub max_abs_difference: f64,
    /// Median |λ_GD − λ_SAM| over the grid.
    pub median_abs_difference: f64,
}

/// How a hit is re-tested: the start shifted by `shift` in ±x and ±y, and ρ scaled by each of
/// `rho_factors`.
#[derive(Debug, Clone, Copy)]
pub struct Robustness {
    /// Shift of the start.
    pub shift: f64,
    /// Factors applied to the paper's ρ.
    pub rho_factors: [f64; 2],
}

/// Part A's re-test: neighbours on the grid's own scale, ρ halved and doubled.
pub const PART_A_ROBUSTNESS: Robustness = Robustness {
    shift: 1e-3,
    rho_factors: [0.5, 2.0],
};

/// Part C's re-test: a shift of 10⁻⁷ and ρ changed by 10%.
pub const PART_C_ROBUSTNESS: Robustness = Robustness {
    shift: 1e-7,
    rho_factors: [0.9, 1.1],
};

/// λ_max at GD's and SAM's ends at the paper's ρ from every start (in order; NaN: diverged).
pub fn scan(cfg: &Config, starts: &[[f64; 2]], progress: &(dyn Fn() + Sync)) -> Vec<(f64, f64)> {
    starts
        .par_iter()
        .map(|&s| {
            let r = eigen_pair(cfg, cfg.paper_rho, s);
            progress();
            r
        })
        .collect()
}

/// Runs GD and SAM at the paper's ρ from every start, counts the hits and re-tests each.
pub fn search_starts(
    cfg: &Config,
    starts: &[[f64; 2]],
    retest: Robustness,
    progress: &(dyn Fn() + Sync),
) -> (GridSummary, Vec<HitRow>) {
    let pairs = scan(cfg, starts, progress);
    summarize_scan(cfg, starts, &pairs, retest)
}

/// Counts the hits of a [`scan`] and re-tests each.
pub fn summarize_scan(
    cfg: &Config,
    starts: &[[f64; 2]],
    pairs: &[(f64, f64)],
    retest: Robustness,
) -> (GridSummary, Vec<HitRow>) {
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
    let near = |v: f64, target: f64| ((v - target) / target).abs() <= cfg.tolerance;
    let gd_hits = pairs.iter().filter(|p| near(p.0, cfg.target_gd)).count();
    let sam_hits = pairs.iter().filter(|p| near(p.1, cfg.target_sam)).count();
    let [low, high] = retest.rho_factors.map(|k| k * cfg.paper_rho);
    let hits: Vec<HitRow> = starts
        .iter()
        .zip(pairs)
        .filter(|(_, &(a, b))| cfg.hits(a, b))
        .map(|(&[x0, y0], &(a, b))| {
            let d = retest.shift;
            let neighbours_reproducing = [[x0 + d, y0], [x0 - d, y0], [x0, y0 + d], [x0, y0 - d]]
                .iter()
                .filter(|&&s| {
                    let (g, m) = eigen_pair(cfg, cfg.paper_rho, s);
                    cfg.hits(g, m)
                })
                .count();
            let rho_variants_reproducing = [low, high]
                .iter()
                .filter(|&&rho| {
                    let (g, m) = eigen_pair(cfg, rho, [x0, y0]);
                    cfg.hits(g, m)
                })
                .count();
            HitRow {
                x0,
                y0,
                lambda_gd: a,
                lambda_sam: b,
                shift: d,
                neighbours_reproducing,
                rho_low: low,
                rho_high: high,
                rho_variants_reproducing,
            }
        })
        .collect();
    let summary = GridSummary {
        starts: starts.len(),
        diverged,
        hits: hits.len(),
        gd_hits,
        sam_hits,
        max_abs_difference: diffs.last().copied().unwrap_or(f64::NAN),
        median_abs_difference: diffs.get(diffs.len() / 2).copied().unwrap_or(f64::NAN),
    };
    (summary, hits)
}

/// Part A's starts: the rectangle `grid_x` × `grid_y`.
pub fn paper_grid(cfg: &Config) -> Vec<[f64; 2]> {
    let xs = linspace(cfg.grid_x.0, cfg.grid_x.1, cfg.grid_x.2);
    let ys = linspace(cfg.grid_y.0, cfg.grid_y.1, cfg.grid_y.2);
    xs.iter()
        .flat_map(|&x| ys.iter().map(move |&y| [x, y]))
        .collect()
}

/// Part C's starts: a polar grid around the minimum (1, 0) over the annulus `chaos_radius`, in
/// the octant 0 < θ < π/4. f = a²y² (a = x − 1) is invariant under a ↦ −a, y ↦ −y and a ↔ y,
/// and so are GD and SAM (ê is built from ∇f), so every start is equivalent to one in that
/// octant: a grid over the whole circle would repeat each run eight times.
///
/// ```
/// let cfg = sam_experiments::toy::fig2::Config::quick();
/// let s = sam_experiments::toy::fig2::chaos_grid(&cfg);
/// assert_eq!(s.len(), cfg.chaos_grid.0 * cfg.chaos_grid.1);
/// let r = ((s[0][0] - 1.0).powi(2) + s[0][1].powi(2)).sqrt();
/// assert!((r - cfg.chaos_radius.0).abs() < 1e-12);
/// assert!(s.iter().all(|p| p[1] > 0.0 && p[1] < p[0] - 1.0)); // 0 < y < a
/// ```
pub fn chaos_grid(cfg: &Config) -> Vec<[f64; 2]> {
    polar_grid(cfg.chaos_radius, cfg.chaos_grid)
}

/// A polar grid around (1, 0): `n.0` radii over [r.0, r.1] × `n.1` angles in (0, π/4) (offset
/// by half a step, so that no start lies on the octant's edges), radius-major.
pub fn polar_grid(r: (f64, f64), n: (usize, usize)) -> Vec<[f64; 2]> {
    let (nr, na) = n;
    let radii = linspace(r.0, r.1, nr);
    let step = std::f64::consts::FRAC_PI_4 / na as f64;
    radii
        .iter()
        .flat_map(|&r| {
            (0..na).map(move |k| {
                let t = (k as f64 + 0.5) * step;
                [1.0 + r * t.cos(), r * t.sin()]
            })
        })
        .collect()
}

/// Part C's first pass, per radius: where runs stay finite and where GD and SAM decorrelate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileRow {
    /// |start − (1, 0)|.
    pub radius: f64,
    /// Starts at this radius.
    pub starts: usize,
    /// Starts whose GD and SAM runs both stayed finite.
    pub finite: usize,
    /// Finite starts where λ_GD and λ_SAM differ by more than a factor e (|ln λ_GD/λ_SAM| > 1).
    pub decorrelated: usize,
    /// Starts where GD alone gives 1.225 (within tolerance).
    pub gd_hits: usize,
    /// Starts where SAM alone gives 0.016 (within tolerance).
    pub sam_hits: usize,
}

/// The per-radius profile of a radius-major polar [`scan`] with `angles` angles per radius.
pub fn profile(
    cfg: &Config,
    starts: &[[f64; 2]],
    pairs: &[(f64, f64)],
    angles: usize,
) -> Vec<ProfileRow> {
    let near = |v: f64, target: f64| ((v - target) / target).abs() <= cfg.tolerance;
    starts
        .chunks(angles.max(1))
        .zip(pairs.chunks(angles.max(1)))
        .map(|(s, p)| {
            let finite = p.iter().filter(|(a, b)| a.is_finite() && b.is_finite());
            ProfileRow {
                radius: ((s[0][0] - 1.0).powi(2) + s[0][1].powi(2)).sqrt(),
                starts: s.len(),
                finite: finite.clone().count(),
                decorrelated: finite.filter(|(a, b)| (a / b).ln().abs() > 1.0).count(),
                gd_hits: p.iter().filter(|q| near(q.0, cfg.target_gd)).count(),
                sam_hits: p.iter().filter(|q| near(q.1, cfg.target_sam)).count(),
            }
        })
        .collect()
}

/// Part C's second pass: the shell [r_max − width, r_max + step] around the edge of the
/// divergence region, where r_max is the largest radius of the first pass with a finite run and
/// step the first pass's radial spacing (the edge lies between r_max and r_max + step); none if
/// no run was finite.
pub fn shell(cfg: &Config, profile: &[ProfileRow]) -> Option<(f64, f64)> {
    let r_max = profile
        .iter()
        .filter(|p| p.finite > 0)
        .map(|p| p.radius)
        .fold(f64::NAN, f64::max);
    let step = (cfg.chaos_radius.1 - cfg.chaos_radius.0) / (cfg.chaos_grid.0.max(2) - 1) as f64;
    // up to the first radius of the first pass where every run diverged
    r_max
        .is_finite()
        .then_some((r_max - cfg.shell_width, r_max + step))
}

/// Part C's two passes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChaosSummary {
    /// The first pass, over the whole annulus.
    pub annulus: GridSummary,
    /// The second pass's shell [lo, hi] of radii (none if no run of the first pass was finite).
    pub shell: Option<(f64, f64)>,
    /// The second pass, over the shell.
    pub shell_search: GridSummary,
}

/// Runs Part C: the annulus, its per-radius profile, then the shell at the divergence edge.
/// Returns the summary, the profile and the hits of both passes (annulus first).
pub fn search_chaotic_region(
    cfg: &Config,
    progress: crate::Progress,
) -> (ChaosSummary, Vec<ProfileRow>, Vec<HitRow>) {
    let annulus = chaos_grid(cfg);
    progress(annulus.len() as u64, "fig2 chaotic annulus (ρ = 1e-5)");
    let pairs = scan(cfg, &annulus, &|| progress(0, ""));
    let prof = profile(cfg, &annulus, &pairs, cfg.chaos_grid.1);
    let (annulus_summary, mut hits) = summarize_scan(cfg, &annulus, &pairs, PART_C_ROBUSTNESS);
    let band = shell(cfg, &prof);
    let shell_starts = band.map_or_else(Vec::new, |b| polar_grid(b, cfg.shell_grid));
    progress(
        shell_starts.len() as u64,
        "fig2 shell at the divergence edge",
    );
    let shell_pairs = scan(cfg, &shell_starts, &|| progress(0, ""));
    let (shell_search, shell_hits) =
        summarize_scan(cfg, &shell_starts, &shell_pairs, PART_C_ROBUSTNESS);
    hits.extend(shell_hits);
    let summary = ChaosSummary {
        annulus: annulus_summary,
        shell: band,
        shell_search,
    };
    (summary, prof, hits)
}

/// Q = (x − 1)² − y², the quantity gradient flow conserves on Figure 2's function.
pub fn conserved(p: &[f64]) -> f64 {
    let a = p[0] - 1.0;
    a * a - p[1] * p[1]
}

/// Q after one step divided by Q before, in closed form (ρ = 0: GD, Eq. 4; ρ > 0: SAM, Eq. 3 with
/// ê = ρ∇f/‖∇f‖). With a = x − 1, r = √(a² + y²), s = sign(ay) and the perturbed point
/// (ã, ỹ) = (a, y) + ρs(y, a)/r, the step is a' = a − 2ηãỹ², y' = y − 2ηã²ỹ, and since
/// yã − aỹ = −ρsQ/r and ã² − ỹ² = Q(1 − ρ²/r²):
/// Q'/Q = 1 − 4ηρ·sãỹ/r − 4η²(ãỹ)²(1 − ρ²/r²), with sãỹ = |ay| + ρr + ρ²|ay|/r².
///
/// ```
/// use sam_experiments::toy::fig2::step_factor;
/// // GD: 1 − 4η²a²y²
/// assert!((step_factor(0.1, 0.0, &[0.5, 0.5]) - (1.0 - 4.0 * 0.01 * 0.0625)).abs() < 1e-15);
/// ```
pub fn step_factor(eta: f64, rho: f64, p: &[f64]) -> f64 {
    let (a, y) = (p[0] - 1.0, p[1]);
    let ay = (a * y).abs();
    if ay == 0.0 {
        return 1.0; // a zero gradient: neither GD nor SAM (ê = 0 there) moves
    }
    let r = (a * a + y * y).sqrt();
    let s_at = ay + rho * r + rho * rho * ay / (r * r);
    1.0 - 4.0 * eta * rho * s_at / r - 4.0 * eta * eta * s_at * s_at * (1.0 - rho * rho / (r * r))
}

/// One row of the drift study: SAM's extra change of Q in one step, against GD's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftRow {
    /// "off_valley" (|ay| ≫ ρr) or "valley" (|ay| ≪ ρr).
    pub point: String,
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
    /// ρ.
    pub rho: f64,
    /// Q after one SAM step minus Q after one GD step, both run by the optimizer stack.
    pub measured: f64,
    /// The same from [`step_factor`].
    pub closed_form: f64,
    /// The first-order term −4ηρQ|ay|(1/r + 2ηr).
    pub first_order: f64,
}

/// The points of the drift study: the reproducing start (off the valley) and a point in it.
pub const DRIFT_POINTS: [(&str, [f64; 2]); 2] =
    [("off_valley", [0.0622585, 0.5]), ("valley", [0.2, 1e-6])];

/// SAM's one-step drift of Q against GD's at [`DRIFT_POINTS`], for ρ from 10⁻⁷ to 10⁻¹.
pub fn drift(cfg: &Config) -> Result<Vec<DriftRow>> {
    let mut rows = Vec::new();
    let one = Config {
        iterations: 1,
        ..cfg.clone()
    };
    for (name, p) in DRIFT_POINTS {
        let (a, y) = (p[0] - 1.0, p[1]);
        let r = (a * a + y * y).sqrt();
        for rho in logspace(-7.0, -1.0, 25) {
            let (gd, sam) = finals(&Fig2, &one.settings(rho, p.to_vec()))?;
            let q = conserved(&p);
            rows.push(DriftRow {
                point: name.into(),
                x: p[0],
                y: p[1],
                rho,
                measured: conserved(&sam) - conserved(&gd),
                closed_form: q * (step_factor(cfg.eta, rho, &p) - step_factor(cfg.eta, 0.0, &p)),
                first_order: -4.0
                    * cfg.eta
                    * rho
                    * q
                    * (a * y).abs()
                    * (1.0 / r + 2.0 * cfg.eta * r),
            });
        }
    }
    Ok(rows)
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

/// κ_ρ of one end point at both radii of the study, so that GD's and SAM's ends are compared at a
/// common ρ (the review's caption asks which end point is flatter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommonRadiusRow {
    /// "gd", "sam_paper_rho" or "sam_reproducing_rho".
    pub run: String,
    /// End point x.
    pub x: f64,
    /// End point y.
    pub y: f64,
    /// κ at the paper's ρ = 10⁻⁵ (exact maximum over the ball).
    pub kappa_paper_rho: f64,
    /// κ at the reproducing ρ.
    pub kappa_reproducing_rho: f64,
}

/// κ at both radii for GD's end and SAM's ends at both radii.
pub fn common_radius(
    cfg: &Config,
    paper: &super::ToyJson,
    reproducing: &super::ToyJson,
) -> Result<Vec<CommonRadiusRow>> {
    let f = sam_objectives::AnyObjective::Fig2(Fig2);
    let opts = sam_sharpness::ExactOptions::default();
    [
        ("gd", &paper.gd.final_point),
        ("sam_paper_rho", &paper.sam.final_point),
        ("sam_reproducing_rho", &reproducing.sam.final_point),
    ]
    .into_iter()
    .map(|(run, x)| {
        let k = |rho| sam_sharpness::exact(&f, x, rho, &opts).map(|e| e.value);
        Ok(CommonRadiusRow {
            run: run.into(),
            x: x[0],
            y: x[1],
            kappa_paper_rho: k(cfg.paper_rho)?,
            kappa_reproducing_rho: k(reproducing.settings.rho)?,
        })
    })
    .collect()
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
    /// Fitted d ln(λ_GD − λ_SAM) / d ln ρ over whole runs from the reproducing start, ρ ≤ 10⁻³:
    /// 1 means the drift is first order in ρ.
    pub run_drift_slope: f64,
    /// Fitted slope of |one-step drift| against ρ off the valley, for ρ ≤ ρ_c/100, where
    /// ρ_c = |ay|(1/r + 2ηr) is the radius at which the first- and second-order terms are equal.
    pub drift_slope_off_valley: f64,
    /// The same in the valley, for 100ρ_c ≤ ρ ≤ 10⁻².
    pub drift_slope_valley: f64,
    /// Largest |measured − closed form| of the one-step drift, in units of |Q| (rounding level:
    /// the smallest drifts measured are ~10⁻¹⁴ of Q).
    pub drift_closed_form_error: f64,
    /// Part C: starts of the chaotic annulus that reproduce both numbers at ρ = 10⁻⁵.
    pub chaos_hits: usize,
    /// Part C: of those, the ones that still reproduce both after every shift and ρ change.
    pub chaos_robust_hits: usize,
    /// Both numbers reproduced robustly at the paper's ρ anywhere searched (Part A or C).
    pub robust_at_paper_rho: bool,
}

/// The crossover radius ρ_c = |ay|(1/r + 2ηr) of the drift at `p` (module docs).
pub fn drift_crossover(eta: f64, p: &[f64]) -> f64 {
    let (a, y) = (p[0] - 1.0, p[1]);
    let r = (a * a + y * y).sqrt();
    (a * y).abs() * (1.0 / r + 2.0 * eta * r)
}

impl Verdict {
    /// The verdict from the rows of every part.
    pub fn compute(
        cfg: &Config,
        rep: &Reproduction,
        sens: &[SensitivityRow],
        drift: &[DriftRow],
        grid_hits: &[HitRow],
        chaos_hits: &[HitRow],
    ) -> Self {
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
        let run_drift: Vec<(f64, f64)> = rho_rows
            .iter()
            .filter(|r| r.rho <= 1e-3)
            .map(|r| (r.rho, r.lambda_gd - r.lambda_sam))
            .collect();
        let slope = |point: &str, keep: &dyn Fn(f64, f64) -> bool| {
            let pts: Vec<(f64, f64)> = drift
                .iter()
                .filter(|d| d.point == point && keep(d.rho, drift_crossover(cfg.eta, &[d.x, d.y])))
                .map(|d| (d.rho, d.measured.abs()))
                .collect();
            sam_results::log_log_slope(&pts)
        };
        let robust = |h: &&HitRow| h.neighbours_reproducing == 4 && h.rho_variants_reproducing == 2;
        let chaos_robust_hits = chaos_hits.iter().filter(robust).count();
        Self {
            gd_error_percent: 100.0 * (rep.lambda_gd / cfg.target_gd - 1.0),
            sam_error_percent: 100.0 * (rep.lambda_sam / cfg.target_sam - 1.0),
            reproduced: cfg.hits(rep.lambda_gd, rep.lambda_sam),
            elasticity,
            rho_within_tolerance,
            run_drift_slope: sam_results::log_log_slope(&run_drift),
            drift_slope_off_valley: slope("off_valley", &|rho, c| rho <= c / 100.0),
            drift_slope_valley: slope("valley", &|rho, c| rho >= 100.0 * c && rho <= 1e-2),
            drift_closed_form_error: drift
                .iter()
                .map(|d| ((d.measured - d.closed_form) / conserved(&[d.x, d.y])).abs())
                .fold(0.0, f64::max),
            chaos_hits: chaos_hits.len(),
            chaos_robust_hits,
            robust_at_paper_rho: chaos_robust_hits > 0 || grid_hits.iter().any(|h| robust(&h)),
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
    /// Part C's summary of both passes (`chaos_summary.json`).
    pub chaos_summary: ChaosSummary,
    /// Part C's first pass per radius (`chaos_profile.csv`).
    pub chaos_profile: Vec<ProfileRow>,
    /// Part C's starts that reproduce both numbers (`chaos_hits.csv`).
    pub chaos_hits: Vec<HitRow>,
    /// SAM's one-step drift of the conserved quantity (`drift.csv`).
    pub drift: Vec<DriftRow>,
    /// κ of every end point at both radii (`common_radius.csv`).
    pub common_radius: Vec<CommonRadiusRow>,
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
/// its sensitivity, horizon and trajectories, Part C's chaotic annulus, and the drift of GD's
/// conserved quantity under SAM.
pub fn run(cfg: &Config, quick: bool, progress: crate::Progress) -> Result<Results> {
    use sam_objectives::AnyObjective;
    let grid = paper_grid(cfg);
    progress(grid.len() as u64, "fig2 start grid (ρ = 1e-5)");
    let (grid_summary, grid_hits) =
        search_starts(cfg, &grid, PART_A_ROBUSTNESS, &|| progress(0, ""));
    let (chaos_summary, chaos_profile, chaos_hits) = search_chaotic_region(cfg, progress);
    let rep = find_reproduction(cfg)?;
    let sens = sensitivity(cfg, &rep);
    let horizon = horizon(cfg, &rep);
    let drift = drift(cfg)?;
    let mut traces = traces(cfg, "paper_rho", cfg.paper_rho, &rep.start)?;
    traces.extend(self::traces(cfg, "reproducing_rho", rep.rho, &rep.start)?);
    let paper = cfg.settings(cfg.paper_rho, rep.start.clone());
    let reproducing = cfg.settings(rep.rho, rep.start.clone());
    let f = AnyObjective::Fig2(Fig2);
    let paper_setting = super::toy_json(&f, &paper, "sam")?;
    let reproducing_setting = super::toy_json(&f, &reproducing, "sam")?;
    Ok(Results {
        verdict: Verdict::compute(cfg, &rep, &sens, &drift, &grid_hits, &chaos_hits),
        common_radius: common_radius(cfg, &paper_setting, &reproducing_setting)?,
        grid_summary,
        grid_hits,
        chaos_summary,
        chaos_profile,
        chaos_hits,
        drift,
        sensitivity: sens,
        horizon,
        traces,
        landscape: landscape((-0.6, 2.6), (-1.1, 1.1), 161),
        paper_setting,
        reproducing_setting,
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
        write_json(&dir.join("chaos_summary.json"), &self.chaos_summary)?;
        write_csv(&dir.join("chaos_profile.csv"), &self.chaos_profile)?;
        write_csv(&dir.join("chaos_hits.csv"), &self.chaos_hits)?;
        write_csv(&dir.join("drift.csv"), &self.drift)?;
        write_csv(&dir.join("common_radius.csv"), &self.common_radius)?;
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
            chaos_summary: read_json(&dir.join("chaos_summary.json"))?,
            chaos_profile: read_csv(&dir.join("chaos_profile.csv"))?,
            chaos_hits: read_csv(&dir.join("chaos_hits.csv"))?,
            drift: read_csv(&dir.join("drift.csv"))?,
            common_radius: read_csv(&dir.join("common_radius.csv"))?,
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
