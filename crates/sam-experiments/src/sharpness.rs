//! Tidy rows comparing the estimators with the exact κ_ρ over a log grid of ρ, and a cost table.

use crate::Result;
use sam_objectives::{
    AnyObjective, Fig1, Fig2, Gradient, Hessian, HessianVectorProduct, Objective, Quadratic,
    Rosenbrock,
};
use sam_optim::norm;
use sam_results::log_log_slope;
use sam_sharpness::{
    exact, exact_uncertified, first_order, hutchinson_trace, lambda_max_dense, lanczos,
    second_order, sharpness_report_detailed, ExactOptions, SharpnessError,
};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// A documented evaluation point.
///
/// ```
/// use sam_experiments::sharpness::default_points;
/// assert!(default_points().iter().any(|p| p.label == "saddle"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentPoint {
    /// The landscape.
    pub objective: AnyObjective,
    /// A short label for tables ("slope", "sharp_min", ...).
    pub label: &'static str,
    /// The point θ.
    pub point: Vec<f64>,
    /// Why this point.
    pub note: &'static str,
}

/// The points of the report: for each landscape one away from minima (large gradient), one at a
/// minimum, and one where the global maximizer is far from ρ g/‖g‖.
///
/// ```
/// use sam_experiments::sharpness::default_points;
/// assert_eq!(default_points().len(), 12);
/// ```
pub fn default_points() -> Vec<ExperimentPoint> {
    let indefinite = Quadratic::new(vec![-1.0, 0.0, 0.0, 4.0], vec![1.0, 0.0]).expect("valid");
    let psd = Quadratic::new(vec![2.0, 0.0, 0.0, 10.0], vec![0.0, 0.0]).expect("valid");
    let p = |objective, label, point: &[f64], note| ExperimentPoint {
        objective,
        label,
        point: point.to_vec(),
        note,
    };
    vec![
        p(
            AnyObjective::Fig1(Fig1),
            "slope",
            &[0.5],
            "between the minima, f' ~ -1: Example 1's regime",
        ),
        p(
            AnyObjective::Fig1(Fig1),
            "sharp_min",
            &[0.0],
            "sharp minimum, f''(0) = 2e4: Example 2's regime",
        ),
        p(
            AnyObjective::Fig1(Fig1),
            "flat_min",
            &[1.0],
            "flat minimum, f''(1) = 2/(1+1e-4)",
        ),
        p(
            AnyObjective::Fig2(Fig2),
            "slope",
            &[2.0, 1.0],
            "away from the minima, g = (2, 2)",
        ),
        p(
            AnyObjective::Fig2(Fig2),
            "min",
            &[3.0, 0.0],
            "minimum on y = 0, lambda_max = 8",
        ),
        p(
            AnyObjective::Fig2(Fig2),
            "crossing",
            &[1.0, 0.0],
            "g = 0 and H = 0: kappa = rho^4/4 along a diagonal, both expansions give 0",
        ),
        p(
            AnyObjective::Rosenbrock(Rosenbrock::new(2)),
            "slope",
            &[-1.5, 2.0],
            "steep wall, |g| ~ 10^2",
        ),
        p(
            AnyObjective::Rosenbrock(Rosenbrock::new(2)),
            "min",
            &[1.0, 1.0],
            "global minimum",
        ),
        p(
            AnyObjective::Rosenbrock(Rosenbrock::new(2)),
            "origin",
            &[0.0, 0.0],
            "g = (-2, 0) but H = diag(2, 200): for rho > ~0.02 the maximizer turns to the y axis",
        ),
        p(
            AnyObjective::Quadratic(psd.clone()),
            "slope",
            &[1.0, 1.0],
            "f = x^2 + 5y^2 at (1, 1)",
        ),
        p(
            AnyObjective::Quadratic(psd),
            "min",
            &[0.0, 0.0],
            "minimum: kappa = 5 rho^2 = rho^2 lambda_1 / 2 exactly",
        ),
        p(
            AnyObjective::Quadratic(indefinite),
            "saddle",
            &[0.0, 0.0],
            "f = -x^2/2 + 2y^2 + x: g = (1, 0); the maximizer leaves the gradient direction for rho > 1/5, to (1/5, ±sqrt(rho^2 - 1/25))",
        ),
    ]
}

/// `per_decade` log-spaced values from `lo` to `hi` inclusive.
///
/// ```
/// use sam_experiments::sharpness::log_grid;
/// let g = log_grid(1e-4, 1.0, 1).unwrap();
/// assert_eq!(g.len(), 5);
/// assert!((g[4] - 1.0).abs() < 1e-12);
/// ```
pub fn log_grid(lo: f64, hi: f64, per_decade: usize) -> Result<Vec<f64>> {
    if !(lo > 0.0 && hi >= lo && hi.is_finite()) {
        return Err(SharpnessError::from(sam_params::Invalid::new(
            "rho grid lower end",
            lo,
            "need 0 < lo <= hi < infinity",
        ))
        .into());
    }
    if per_decade == 0 {
        return Err(SharpnessError::from(sam_params::Invalid::new(
            "per_decade",
            0.0,
            "use at least 1 value per decade",
        ))
        .into());
    }
    let decades = (hi / lo).log10();
    let n = (decades * per_decade as f64).round() as usize;
    Ok((0..=n)
        .map(|i| {
            if n == 0 {
                lo
            } else {
                lo * 10f64.powf(decades * i as f64 / n as f64)
            }
        })
        .collect())
}

/// One row of the sharpness experiment.
///
/// ```
/// use sam_experiments::sharpness::{default_points, sweep};
/// use sam_sharpness::ExactOptions;
/// let rows = sweep(&default_points()[..1], &[0.01], &ExactOptions::default()).unwrap();
/// assert_eq!(rows[0].objective, "fig1");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharpnessRow {
    /// Objective name.
    pub objective: String,
    /// Point label.
    pub label: String,
    /// The point θ.
    pub point: Vec<f64>,
    /// ρ.
    pub rho: f64,
    /// κ_ρ(θ).
    pub exact: f64,
    /// ρ‖g‖.
    pub first_order: f64,
    /// TRS value of the quadratic model.
    pub second_order: f64,
    /// ρ²λ₁ (the review's Example 2 constant).
    pub rho2_lambda_max: f64,
    /// ½ρ²λ₁ (the correct Example 2 constant).
    pub half_rho2_lambda_max: f64,
    /// λ₁.
    pub lambda_max: f64,
    /// ‖g‖.
    pub grad_norm: f64,
    /// exact − first_order.
    pub err_first: f64,
    /// exact − second_order.
    pub err_second: f64,
    /// ‖argmax − ρ g/‖g‖‖ / ρ (0 to 2): how far the true maximizer is from SAM's ê.
    pub argmax_dist_first_order: f64,
    /// Certificate gap of `exact`.
    pub certificate_gap: Option<f64>,
    /// Objective evaluations of `exact`.
    pub exact_evals: u64,
    /// Wall time of `exact` in seconds (varies from run to run).
    pub exact_seconds: f64,
}

/// Every point at every ρ.
///
/// ```
/// use sam_experiments::sharpness::{default_points, sweep};
/// use sam_sharpness::ExactOptions;
/// let rows = sweep(&default_points()[10..11], &[0.1], &ExactOptions::default()).unwrap();
/// assert!((rows[0].exact - rows[0].half_rho2_lambda_max).abs() < 1e-12);
/// ```
pub fn sweep(
    points: &[ExperimentPoint],
    rhos: &[f64],
    opts: &ExactOptions,
) -> Result<Vec<SharpnessRow>> {
    let mut rows = Vec::with_capacity(points.len() * rhos.len());
    for p in points {
        for &rho in rhos {
            let t = Instant::now();
            let (r, x) = sharpness_report_detailed(&p.objective, &p.point, rho, opts)?;
            let secs = t.elapsed().as_secs_f64();
            let dist = if rho > 0.0 {
                let diff: Vec<f64> = r
                    .argmax
                    .iter()
                    .zip(&x.first_order_argmax)
                    .map(|(a, b)| a - b)
                    .collect();
                norm(&diff) / rho
            } else {
                0.0
            };
            rows.push(SharpnessRow {
                objective: p.objective.name(),
                label: p.label.to_string(),
                point: p.point.clone(),
                rho,
                exact: r.exact,
                first_order: r.first_order,
                second_order: r.second_order,
                rho2_lambda_max: rho * rho * r.lambda_max,
                half_rho2_lambda_max: 0.5 * rho * rho * r.lambda_max,
                lambda_max: r.lambda_max,
                grad_norm: r.grad_norm,
                err_first: r.exact - r.first_order,
                err_second: r.exact - r.second_order,
                argmax_dist_first_order: dist,
                certificate_gap: x.certificate_gap,
                exact_evals: x.exact_evaluations,
                exact_seconds: secs,
            });
        }
    }
    Ok(rows)
}

/// The report's experiment: [`default_points`] over 13 values of ρ from 1e-4 to 1.
///
/// ```no_run
/// let rows = sam_experiments::sharpness::run_default().unwrap();
/// assert_eq!(rows.len(), 12 * 13);
/// ```
pub fn run_default() -> Result<Vec<SharpnessRow>> {
    sweep(
        &default_points(),
        &log_grid(1e-4, 1.0, 3)?,
        &ExactOptions::default(),
    )
}

/// One row of the cost table: time and evaluations per call of one estimator.
///
/// ```
/// use sam_experiments::sharpness::cost_table;
/// use sam_objectives::{AnyObjective, Rosenbrock};
/// let rows = cost_table(&AnyObjective::Rosenbrock(Rosenbrock::new(3)), &[0.5; 3], 0.1, 2).unwrap();
/// assert!(rows.iter().any(|r| r.estimator == "exact"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostRow {
    /// Estimator name.
    pub estimator: String,
    /// Objective name.
    pub objective: String,
    /// Dimension.
    pub dim: usize,
    /// ρ.
    pub rho: f64,
    /// Calls timed.
    pub repeats: usize,
    /// Mean seconds per call.
    pub mean_seconds: f64,
    /// Median seconds per call.
    pub median_seconds: f64,
    /// Objective (value/gradient) evaluations per call.
    pub evaluations: u64,
    /// Hessian-vector products per call (0 when a dense Hessian is used).
    pub hvps: u64,
    /// Dense Hessians per call.
    pub hessians: u64,
}

fn time_it<T>(
    repeats: usize,
    mut f: impl FnMut() -> sam_sharpness::Result<T>,
) -> Result<(f64, f64, T)> {
    let mut times = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        let out = f()?;
        times.push(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    Ok((mean, median, last.expect("at least one call")))
}

/// Times every estimator `repeats` times at one point: exact (certified when d ≤ 3), exact
/// without certificate, first order, second order, dense λ₁, Lanczos λ₁ (k = d) and
/// Hutchinson's trace (100 probes).
///
/// ```
/// use sam_experiments::sharpness::cost_table;
/// use sam_objectives::{AnyObjective, Fig2};
/// let rows = cost_table(&AnyObjective::Fig2(Fig2), &[2.0, 1.0], 0.1, 1).unwrap();
/// assert_eq!(rows.len(), 7);
/// ```
pub fn cost_table(
    obj: &AnyObjective,
    at: &[f64],
    rho: f64,
    repeats: usize,
) -> Result<Vec<CostRow>> {
    let opts = ExactOptions::default();
    let d = obj.dim();
    let row = |estimator: &str, (mean, median): (f64, f64), evaluations, hvps, hessians| CostRow {
        estimator: estimator.into(),
        objective: obj.name(),
        dim: d,
        rho,
        repeats,
        mean_seconds: mean,
        median_seconds: median,
        evaluations,
        hvps,
        hessians,
    };
    let mut rows = Vec::new();
    let (m, md, k) = time_it(repeats, || exact(obj, at, rho, &opts))?;
    rows.push(row("exact", (m, md), k.evaluations, 0, 1));
    let (m, md, k) = time_it(repeats, || exact_uncertified(obj, at, rho, &opts))?;
    rows.push(row("exact_uncertified", (m, md), k.evaluations, 0, 1));
    let (m, md, _) = time_it(repeats, || first_order(&obj.gradient(at), rho))?;
    rows.push(row("first_order", (m, md), 1, 0, 0));
    let (m, md, _) = time_it(repeats, || {
        second_order(&obj.gradient(at), &obj.hessian(at), rho)
    })?;
    rows.push(row("second_order", (m, md), 1, 0, 1));
    let (m, md, _) = time_it(repeats, || lambda_max_dense(&obj.hessian(at)))?;
    rows.push(row("lambda_max_dense", (m, md), 0, 0, 1));
    let (m, md, l) = time_it(repeats, || {
        let mut hvp = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&obj.hvp(at, v));
        lanczos(&mut hvp, d, d, 0)
    })?;
    rows.push(row("lanczos_lambda_max", (m, md), 0, l.steps as u64, 0));
    let (m, md, t) = time_it(repeats, || {
        let mut hvp = |v: &[f64], out: &mut [f64]| out.copy_from_slice(&obj.hvp(at, v));
        hutchinson_trace(&mut hvp, d, 100, 0)
    })?;
    rows.push(row("hutchinson_trace", (m, md), 0, t.probes as u64, 0));
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sweep_produces_every_row_certified() {
        let rows = sweep(
            &default_points(),
            &log_grid(1e-4, 1.0, 1).unwrap(),
            &ExactOptions::default(),
        )
        .unwrap();
        assert_eq!(rows.len(), 12 * 5);
        for r in &rows {
            let gap = r
                .certificate_gap
                .expect("all default points have d <= 2 or are quadratics");
            assert!(gap >= 0.0 && gap <= 1e-7 * (1.0 + r.exact.abs()), "{r:?}");
            assert!(r.exact >= 0.0, "kappa >= 0 since e = 0 is feasible: {r:?}");
        }
        // The saddle of the indefinite quadratic: at rho = 1 the maximizer is far from rho g/|g|.
        let saddle = rows
            .iter()
            .find(|r| r.label == "saddle" && r.rho == 1.0)
            .unwrap();
        assert!(saddle.argmax_dist_first_order > 1.0);
    }
}

/// The experiment's folder name under `results/`.
pub const NAME: &str = "sharpness";

/// The radius of the cost table.
const COST_RHO: f64 = 0.1;

/// Budgets of the sharpness study; the points are [`default_points`], ρ runs over [1e-4, 1].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// ρ values per decade of the log grid.
    pub per_decade: usize,
    /// Timed calls per estimator in the cost table.
    pub cost_repeats: usize,
}

impl Default for Config {
    /// 3 radii per decade (13 in all), 20 timed calls.
    fn default() -> Self {
        Self {
            per_decade: 3,
            cost_repeats: 20,
        }
    }
}

impl Config {
    /// A small budget for `--quick` smoke runs.
    pub fn quick() -> Self {
        Self {
            per_decade: 1,
            cost_repeats: 2,
        }
    }
}

/// The radii at which Example 2 is quoted (report 02's table).
pub const PRACTICAL_RADII: [f64; 4] = [1e-3, 1e-2, 0.1, 1.0];

/// κ/(ρ²λ₁) at one minimum for the radii of [`PRACTICAL_RADII`].
#[derive(Debug, Clone, PartialEq)]
pub struct Example2Row {
    /// Objective name.
    pub objective: String,
    /// Point label.
    pub label: String,
    /// λ₁ at the minimum.
    pub lambda_max: f64,
    /// (swept ρ, κ/(ρ²λ₁)) per practical radius.
    pub ratios: Vec<(f64, f64)>,
}

/// Everything the sharpness experiment writes under `results/sharpness/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// One row per (point, ρ) (`sweep.csv`).
    pub sweep: Vec<Row>,
    /// Fitted slopes and limits against the review's claims (`verdicts.csv`).
    pub verdicts: Vec<Verdict>,
    /// Per-call cost of every estimator (`cost.csv`; timing columns vary between runs).
    pub cost: Vec<CostRow>,
    /// Points, radii, options (`meta.json`).
    pub meta: sam_results::Meta,
}

impl Results {
    /// Writes every file into `dir` (atomically, one by one).
    pub fn write(&self, dir: &std::path::Path) -> Result<()> {
        use sam_results::{write_csv, write_json};
        write_csv(&dir.join("sweep.csv"), &self.sweep)?;
        write_csv(&dir.join("verdicts.csv"), &self.verdicts)?;
        write_csv(&dir.join("cost.csv"), &self.cost)?;
        write_json(&dir.join("meta.json"), &self.meta)?;
        Ok(())
    }

    /// The (point, ρ) rows away from a stationary point whose maximizer is far from the
    /// first-order direction: ‖argmax − ρg/‖g‖‖/ρ > 0.5, i.e. where Example 1's approximation
    /// picks the wrong direction.
    pub fn far_from_first_order(&self) -> Vec<&Row> {
        self.sweep
            .iter()
            .filter(|r| r.grad_norm > 0.0 && r.argmax_dist_first_order > 0.5)
            .collect()
    }

    /// Example 2 at practical radii: κ/(ρ²λ₁) at every minimum of the sweep (∇f = 0, λ₁ > 0)
    /// for the swept ρ closest to each of [`PRACTICAL_RADII`], in sweep order.
    pub fn example2_at_practical_radii(&self) -> Vec<Example2Row> {
        let mut out: Vec<Example2Row> = Vec::new();
        for r in self
            .sweep
            .iter()
            .filter(|r| r.grad_norm == 0.0 && r.lambda_max > 0.0)
        {
            let row = match out.last_mut() {
                Some(o) if o.objective == r.objective && o.label == r.label => o,
                _ => {
                    out.push(Example2Row {
                        objective: r.objective.clone(),
                        label: r.label.clone(),
                        lambda_max: r.lambda_max,
                        ratios: vec![(f64::NAN, f64::NAN); PRACTICAL_RADII.len()],
                    });
                    out.last_mut().expect("just pushed")
                }
            };
            for (slot, &target) in row.ratios.iter_mut().zip(PRACTICAL_RADII.iter()) {
                let closer = |rho: f64| (rho.ln() - target.ln()).abs();
                if slot.0.is_nan() || closer(r.rho) < closer(slot.0) {
                    *slot = (r.rho, r.exact / r.rho2_lambda_max);
                }
            }
        }
        out
    }

    /// The largest certificate gap (upper bound − κ) over the certified rows.
    pub fn max_certificate_gap(&self) -> f64 {
        self.sweep
            .iter()
            .filter_map(|r| r.certificate_gap)
            .filter(|g| g.is_finite())
            .fold(0.0f64, f64::max)
    }

    /// Reads what [`Results::write`] wrote.
    pub fn read(dir: &std::path::Path) -> Result<Self> {
        use sam_results::{read_csv, read_json};
        Ok(Self {
            sweep: read_csv(&dir.join("sweep.csv"))?,
            verdicts: read_csv(&dir.join("verdicts.csv"))?,
            cost: read_csv(&dir.join("cost.csv"))?,
            meta: read_json(&dir.join("meta.json"))?,
        })
    }
}

/// One (point, ρ) row of the sweep, flattened for CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Objective name.
    pub objective: String,
    /// Point label.
    pub label: String,
    /// The point, as "x1;x2;…".
    pub point: String,
    /// ρ.
    pub rho: f64,
    /// Exact κ_ρ.
    pub exact: f64,
    /// ρ‖g‖ (Example 1).
    pub first_order: f64,
    /// Exact maximum of the quadratic model over the ball.
    pub second_order: f64,
    /// ρ²λ₁ (Example 2 as the review states it).
    pub rho2_lambda_max: f64,
    /// λ₁.
    pub lambda_max: f64,
    /// ‖g‖.
    pub grad_norm: f64,
    /// ‖argmax − ρg/‖g‖‖/ρ.
    pub argmax_dist_first_order: f64,
    /// Whether the exact value is certified (d ≤ 3); `certificate_gap` is empty otherwise.
    pub certified: bool,
    /// Certificate gap, upper bound − κ (an empty cell when `certified` is false).
    pub certificate_gap: Option<f64>,
    /// ‖∇f(θ+ê) − ∇f(θ) − Hê‖ with ê = ρg/‖g‖ (Eq. 5's residual; an empty cell at a stationary
    /// point, `grad_norm` = 0, where ê = ρg/‖g‖ is undefined).
    pub eq5_residual: Option<f64>,
}

/// A fitted log-log slope or limit, per point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Objective.
    pub objective: String,
    /// Point label.
    pub label: String,
    /// What was fitted.
    pub quantity: String,
    /// The fitted value.
    pub value: f64,
    /// What the review's claim implies.
    pub review: f64,
}

fn eq5_residual(obj: &AnyObjective, x: &[f64], rho: f64) -> Option<f64> {
    let g = obj.gradient(x);
    let n = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    if n == 0.0 {
        return None;
    }
    let e: Vec<f64> = g.iter().map(|v| rho * v / n).collect();
    let xp: Vec<f64> = x.iter().zip(&e).map(|(a, b)| a + b).collect();
    let gp = obj.gradient(&xp);
    let h = obj.hessian(x);
    Some(
        (0..x.len())
            .map(|i| {
                let he: f64 = (0..x.len()).map(|j| h[(i, j)] * e[j]).sum();
                (gp[i] - g[i] - he).powi(2)
            })
            .sum::<f64>()
            .sqrt(),
    )
}

/// Runs the sweep over [`default_points`] and the cost table.
pub fn run(cfg: &Config, quick: bool, progress: crate::Progress) -> Result<Results> {
    let points = default_points();
    let rhos = log_grid(1e-4, 1.0, cfg.per_decade)?;
    progress(points.len() as u64, "sharpness sweep (points)");
    let mut rows = Vec::new();
    for p in &points {
        for r in sweep(std::slice::from_ref(p), &rhos, &ExactOptions::default())? {
            rows.push(Row {
                objective: r.objective,
                label: r.label,
                point: p
                    .point
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(";"),
                rho: r.rho,
                exact: r.exact,
                first_order: r.first_order,
                second_order: r.second_order,
                rho2_lambda_max: r.rho2_lambda_max,
                lambda_max: r.lambda_max,
                grad_norm: r.grad_norm,
                argmax_dist_first_order: r.argmax_dist_first_order,
                certified: r.certificate_gap.is_some(),
                certificate_gap: r.certificate_gap,
                eq5_residual: eq5_residual(&p.objective, &p.point, r.rho),
            });
        }
        progress(0, "");
    }
    let mut verdicts = Vec::new();
    for p in &points {
        let mine: Vec<&Row> = rows
            .iter()
            .filter(|r| r.objective == p.objective_name() && r.label == p.label)
            .collect();
        let small: Vec<&&Row> = mine.iter().filter(|r| r.rho <= 1e-2).collect();
        let v = |quantity: &str, value: f64, review: f64| Verdict {
            objective: p.objective_name(),
            label: p.label.to_string(),
            quantity: quantity.into(),
            value,
            review,
        };
        if mine.first().is_some_and(|r| r.grad_norm > 0.0) {
            let err: Vec<(f64, f64)> = small
                .iter()
                .map(|r| (r.rho, (r.exact - r.first_order).abs()))
                .collect();
            verdicts.push(v(
                "slope of |κ − ρ‖g‖| vs ρ (Example 1: error O(ρ²))",
                log_log_slope(&err),
                2.0,
            ));
            // every row here has g ≠ 0, so every residual is defined
            let res: Vec<(f64, f64)> = small
                .iter()
                .filter_map(|r| Some((r.rho, r.eq5_residual?)))
                .collect();
            if matches!(p.objective, AnyObjective::Quadratic(_)) {
                // ∇f is affine: Eq. 5 is exact and the residual is rounding error only.
                let max = res.iter().map(|r| r.1).fold(0.0f64, f64::max);
                verdicts.push(v(
                    "largest Eq. 5 residual (quadratic: exact up to rounding)",
                    max,
                    0.0,
                ));
            } else {
                verdicts.push(v(
                    "slope of Eq. 5 residual vs ρ (O(ρ²))",
                    log_log_slope(&res),
                    2.0,
                ));
            }
        } else if mine.first().is_some_and(|r| r.lambda_max > 0.0) {
            let smallest = mine
                .iter()
                .min_by(|a, b| a.rho.total_cmp(&b.rho))
                .expect("rows");
            verdicts.push(v(
                "κ/(ρ²λ₁) at the smallest ρ (Example 2 says 1)",
                smallest.exact / smallest.rho2_lambda_max,
                1.0,
            ));
            // Example 2 only holds as ρ → 0: the same ratio at a practical radius
            if let Some(r) = mine.iter().find(|r| (r.rho - 0.1).abs() < 1e-12) {
                verdicts.push(v(
                    "κ/(ρ²λ₁) at ρ = 0.1 (Example 2 says 1; Taylor ½ as ρ → 0)",
                    r.exact / r.rho2_lambda_max,
                    1.0,
                ));
            }
        }
    }
    let psd = Quadratic::new(vec![2.0, 0.0, 0.0, 10.0], vec![0.0, 0.0])?;
    let cases = [
        (AnyObjective::Fig2(Fig2), vec![2.0, 1.0]),
        (AnyObjective::Quadratic(psd), vec![1.0, 1.0]),
        (
            AnyObjective::Rosenbrock(Rosenbrock::new(3)),
            vec![-0.5, 0.5, 1.5],
        ),
        (
            AnyObjective::Rosenbrock(Rosenbrock::new(10)),
            (0..10).map(|i| 0.1 * i as f64 - 0.3).collect(),
        ),
    ];
    progress(cases.len() as u64, "sharpness cost table");
    let mut cost: Vec<CostRow> = Vec::new();
    for (obj, at) in &cases {
        cost.extend(cost_table(obj, at, COST_RHO, cfg.cost_repeats)?);
        progress(0, "");
    }
    let meta = sam_results::Meta::new(
        NAME,
        Some(ExactOptions::default().seed),
        quick,
        &serde_json::json!({
                "rhos": rhos,
                "points": points.iter().map(|p| serde_json::json!({
                    "objective": p.objective_name(), "label": p.label, "point": p.point, "note": p.note
                })).collect::<Vec<_>>(),
                "exact_options": ExactOptions::default(),
                "cost_rho": COST_RHO,
                "per_decade": cfg.per_decade,
                "cost_repeats": cfg.cost_repeats,
        }),
    )?;
    Ok(Results {
        sweep: rows,
        verdicts,
        cost,
        meta,
    })
}

impl ExperimentPoint {
    fn objective_name(&self) -> String {
        self.objective.name()
    }
}

crate::study!(Config::quick(), Config::default(), |cfg, ctx| run(
    cfg,
    ctx.quick,
    ctx.progress
));
