//! Sharpness estimators vs the exact κ_ρ (report `02-sharpness.md`): Definition 1, Examples 1
//! and 2, Eq. (5).

use super::Paths;
use anyhow::Result;
use sam_figures::{render, LineChart, Series, Style};
use sam_objectives::{AnyObjective, Fig2, Gradient, Hessian, Quadratic, Rosenbrock};
use sam_report::{num, table};
use sam_results::{read_csv, read_json, write_csv, write_json, Meta};
use sam_sharpness::experiment::{cost_table, default_points, log_grid, sweep, CostRow};
use sam_sharpness::ExactOptions;
use serde::{Deserialize, Serialize};

/// The report file.
pub const REPORT: &str = "02-sharpness.md";

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
    /// Certificate gap (NaN when not certified).
    pub certificate_gap: f64,
    /// ‖∇f(θ+ê) − ∇f(θ) − Hê‖ with ê = ρg/‖g‖ (Eq. 5's residual; NaN when g = 0).
    pub eq5_residual: f64,
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

fn eq5_residual(obj: &AnyObjective, x: &[f64], rho: f64) -> f64 {
    let g = obj.gradient(x);
    let n = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    if n == 0.0 {
        return f64::NAN;
    }
    let e: Vec<f64> = g.iter().map(|v| rho * v / n).collect();
    let xp: Vec<f64> = x.iter().zip(&e).map(|(a, b)| a + b).collect();
    let gp = obj.gradient(&xp);
    let h = obj.hessian(x);
    (0..x.len())
        .map(|i| {
            let he: f64 = (0..x.len()).map(|j| h[(i, j)] * e[j]).sum();
            (gp[i] - g[i] - he).powi(2)
        })
        .sum::<f64>()
        .sqrt()
}

/// Least-squares slope of ln y on ln x.
fn slope(pts: &[(f64, f64)]) -> f64 {
    let pts: Vec<(f64, f64)> = pts
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && y.is_finite())
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    let n = pts.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

/// Runs the sweep and the cost table and writes `results/sharpness/`.
pub fn run(paths: &Paths, quick: bool, progress: &(dyn Fn(u64, &str) + Sync)) -> Result<()> {
    let dir = paths.results.join("sharpness");
    let points = default_points();
    let rhos = log_grid(1e-4, 1.0, if quick { 1 } else { 3 })?;
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
                certificate_gap: r.certificate_gap.unwrap_or(f64::NAN),
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
                slope(&err),
                2.0,
            ));
            let res: Vec<(f64, f64)> = small.iter().map(|r| (r.rho, r.eq5_residual)).collect();
            if matches!(p.objective, AnyObjective::Quadratic(_)) {
                // ∇f is affine: Eq. 5 is exact and the residual is rounding error only.
                let max = res.iter().map(|r| r.1).fold(0.0f64, f64::max);
                verdicts.push(v(
                    "largest Eq. 5 residual (quadratic: exact up to rounding)",
                    max,
                    0.0,
                ));
            } else {
                verdicts.push(v("slope of Eq. 5 residual vs ρ (O(ρ²))", slope(&res), 2.0));
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
        cost.extend(cost_table(obj, at, 0.1, if quick { 2 } else { 20 })?);
        progress(0, "");
    }
    write_csv(&dir.join("sweep.csv"), &rows)?;
    write_csv(&dir.join("verdicts.csv"), &verdicts)?;
    write_csv(&dir.join("cost.csv"), &cost)?;
    write_json(
        &dir.join("meta.json"),
        &Meta {
            experiment: "sharpness".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            seed: Some(ExactOptions::default().seed),
            quick,
            config: serde_json::json!({
                "rhos": rhos,
                "points": points.iter().map(|p| serde_json::json!({
                    "objective": p.objective_name(), "label": p.label, "point": p.point, "note": p.note
                })).collect::<Vec<_>>(),
                "exact_options": ExactOptions::default(),
                "cost_rho": 0.1,
            }),
        },
    )?;
    Ok(())
}

trait PointName {
    fn objective_name(&self) -> String;
}
impl PointName for sam_sharpness::experiment::ExperimentPoint {
    fn objective_name(&self) -> String {
        use sam_objectives::Objective;
        self.objective.name()
    }
}

/// Draws the error and minimum figures from `results/sharpness/`.
pub fn draw(paths: &Paths) -> Result<()> {
    let rows: Vec<Row> = read_csv(&paths.results.join("sharpness/sweep.csv"))?;
    let mut charts = Vec::new();
    for obj in ["fig1", "fig2", "rosenbrock", "quadratic"] {
        let mut labels: Vec<&str> = rows
            .iter()
            .filter(|r| r.objective == obj)
            .map(|r| r.label.as_str())
            .collect();
        labels.dedup();
        let mut c = LineChart::new(
            &format!("{obj}: error of the estimates"),
            "ρ (log scale)",
            "|κ_ρ − estimate| (log scale)",
        )
        .log_x()
        .log_y();
        for (i, l) in labels.iter().enumerate() {
            let pts = |f: &dyn Fn(&Row) -> f64| -> Vec<(f64, f64)> {
                rows.iter()
                    .filter(|r| r.objective == obj && r.label == *l)
                    .map(|r| (r.rho, f(r).abs()))
                    .collect()
            };
            c = c
                .series(
                    Series::line(
                        &format!("{l}: first order ρ‖g‖"),
                        pts(&|r| r.exact - r.first_order),
                    )
                    .colored(i),
                )
                .series(
                    Series::line(
                        &format!("{l}: second order (TRS)"),
                        pts(&|r| r.exact - r.second_order),
                    )
                    .styled(Style::Dashed)
                    .colored(i),
                );
        }
        charts.push(c);
    }
    render(
        &paths.figures.join("sharpness_errors_a.svg"),
        (1300, 480),
        &charts[..2],
    )?;
    render(
        &paths.figures.join("sharpness_errors_b.svg"),
        (1300, 480),
        &charts[2..],
    )?;
    let mut c = LineChart::new(
        "At minima: κ_ρ / (ρ²λ₁) (Example 2 claims 1; Taylor gives ½)",
        "ρ (log scale)",
        "κ_ρ / (ρ² λ₁)",
    )
    .log_x();
    let mut i = 0;
    let mut seen: Vec<(String, String)> = Vec::new();
    for r in &rows {
        let key = (r.objective.clone(), r.label.clone());
        if r.grad_norm == 0.0 && r.lambda_max > 0.0 && !seen.contains(&key) {
            seen.push(key.clone());
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|o| o.objective == key.0 && o.label == key.1)
                .map(|o| (o.rho, o.exact / o.rho2_lambda_max))
                .collect();
            c = c.series(
                Series::line(&format!("{} {}", key.0, key.1), pts)
                    .styled(Style::LinePoints)
                    .colored(i),
            );
            i += 1;
        }
    }
    c = c
        .series(
            Series::line("review: 1", vec![(1e-4, 1.0), (1.0, 1.0)])
                .styled(Style::Dashed)
                .colored(7),
        )
        .series(
            Series::line("Taylor: ½", vec![(1e-4, 0.5), (1.0, 0.5)])
                .styled(Style::Dashed)
                .colored(6),
        );
    render(
        &paths.figures.join("sharpness_minima.svg"),
        (800, 480),
        &[c],
    )?;
    Ok(())
}

/// The generated sections of the sharpness report.
pub fn sections(paths: &Paths) -> Result<Vec<(&'static str, String)>> {
    let dir = paths.results.join("sharpness");
    let verdicts: Vec<Verdict> = read_csv(&dir.join("verdicts.csv"))?;
    let cost: Vec<CostRow> = read_csv(&dir.join("cost.csv"))?;
    let rows: Vec<Row> = read_csv(&dir.join("sweep.csv"))?;
    let meta: Meta = read_json(&dir.join("meta.json"))?;
    let points_md = table(
        &["objective", "label", "point", "why this point"],
        &meta.config["points"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        vec![
                            p["objective"].as_str().unwrap_or("").to_string(),
                            p["label"].as_str().unwrap_or("").to_string(),
                            format!("{}", p["point"]),
                            p["note"].as_str().unwrap_or("").to_string(),
                        ]
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    let verdict_md = table(
        &[
            "objective",
            "point",
            "quantity",
            "measured",
            "review implies",
        ],
        &verdicts
            .iter()
            .map(|v| {
                vec![
                    v.objective.clone(),
                    v.label.clone(),
                    v.quantity.clone(),
                    num(v.value, 4),
                    num(v.review, 3),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let far: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r.grad_norm > 0.0 && r.argmax_dist_first_order > 0.5)
        .map(|r| {
            vec![
                r.objective.clone(),
                r.label.clone(),
                num(r.rho, 3),
                num(r.exact, 5),
                num(r.first_order, 5),
                num(r.second_order, 5),
                num(r.argmax_dist_first_order, 3),
            ]
        })
        .collect();
    let far_md = if far.is_empty() {
        "No (point, ρ) where the maximizer is far from ρg/‖g‖.".to_string()
    } else {
        table(
            &[
                "objective",
                "point",
                "ρ",
                "κ exact",
                "ρ‖g‖",
                "second order",
                "‖argmax − ρg/‖g‖‖/ρ",
            ],
            &far,
        )
    };
    let max_gap = rows
        .iter()
        .map(|r| r.certificate_gap)
        .filter(|g| g.is_finite())
        .fold(0.0f64, f64::max);
    let cost_md = format!(
        "{}\nLargest certificate gap (upper bound − κ) over the sweep: {}.\n",
        table(
            &[
                "estimator",
                "objective",
                "d",
                "median time per call",
                "evaluations",
                "HVPs",
                "dense Hessians"
            ],
            &cost
                .iter()
                .map(|c| {
                    vec![
                        c.estimator.clone(),
                        c.objective.clone(),
                        c.dim.to_string(),
                        format!("{} µs", num(c.median_seconds * 1e6, 3)),
                        c.evaluations.to_string(),
                        c.hvps.to_string(),
                        c.hessians.to_string(),
                    ]
                })
                .collect::<Vec<_>>()
        ),
        num(max_gap, 3)
    );
    Ok(vec![
        ("sharpness-points", points_md),
        ("sharpness-verdicts", verdict_md),
        ("sharpness-far", far_md),
        ("sharpness-cost", cost_md),
    ])
}
