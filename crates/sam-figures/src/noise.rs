//! The label-noise figures of report `07-label-noise.md`.

use crate::{render, render_heatmap, Heatmap, LegendPos, LineChart, Result, Series, Style};
use sam_experiments::mnist::noise::{CurveRow, RunRow, METHODS};
use std::path::Path;

/// Mean over seeds of `f` per epoch for one (p, method) of the curves at the picks.
fn mean_curve(
    curves: &[CurveRow],
    p: f64,
    method: &str,
    f: fn(&CurveRow) -> Option<f64>,
) -> Vec<(f64, f64)> {
    let mut sums: Vec<(f64, usize)> = Vec::new();
    for c in curves.iter().filter(|c| c.p == p && c.method == method) {
        if let Some(v) = f(c) {
            if sums.len() <= c.epoch {
                sums.resize(c.epoch + 1, (0.0, 0));
            }
            sums[c.epoch].0 += v;
            sums[c.epoch].1 += 1;
        }
    }
    sums.iter()
        .enumerate()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(e, (s, n))| (e as f64, 100.0 * s / *n as f64))
        .collect()
}

/// `noise_memorization.svg`: one panel per noise level p > 0; per method (mean over the seeds
/// at its pick) the training accuracy on the flipped samples against their noisy labels
/// (memorization, solid) and the clean validation accuracy (dashed), against the epoch.
pub fn noise_memorization(path: &Path, curves: &[CurveRow]) -> Result<()> {
    let mut ps: Vec<f64> = curves.iter().map(|c| c.p).filter(|p| *p > 0.0).collect();
    ps.sort_by(f64::total_cmp);
    ps.dedup();
    let charts: Vec<LineChart> = ps
        .iter()
        .map(|&p| {
            let mut chart = LineChart::new(
                &format!("label noise p = {p}: memorization and clean validation accuracy"),
                "epoch",
                "accuracy (%)",
            )
            .y_range(0.0, 100.0)
            .legend_at(LegendPos::LowerRight);
            for (i, m) in METHODS.iter().enumerate() {
                chart = chart
                    .series(
                        Series::line(
                            &format!("{m}: flipped samples vs noisy labels"),
                            mean_curve(curves, p, m, |c| c.noisy_train_acc),
                        )
                        .colored(i),
                    )
                    .series(
                        Series::line(
                            &format!("{m}: clean validation"),
                            mean_curve(curves, p, m, |c| Some(c.val_acc)),
                        )
                        .styled(Style::Dashed)
                        .colored(i),
                    );
            }
            chart
        })
        .collect();
    render(path, (560 * charts.len().max(1) as u32, 520), &charts)
}

/// `noise_heatmap_<method>.svg`: the first seed's grid of `method` (sam or 1-sam), clean test
/// accuracy at the best validation epoch over ρ × p, each cell labelled with its value (the
/// final-epoch accuracy in brackets).
pub fn noise_heatmap(path: &Path, runs: &[RunRow], method: &str) -> Result<()> {
    let first = runs.iter().map(|r| r.seed).min().unwrap_or(0);
    let grid: Vec<&RunRow> = runs
        .iter()
        .filter(|r| r.method == method && r.seed == first)
        .collect();
    let mut ps: Vec<f64> = grid.iter().map(|r| r.p).collect();
    let mut rhos: Vec<f64> = grid.iter().map(|r| r.rho).collect();
    for v in [&mut ps, &mut rhos] {
        v.sort_by(f64::total_cmp);
        v.dedup();
    }
    let at = |v: &[f64], x: f64| v.iter().position(|y| *y == x).unwrap_or(0) as f64;
    let cells = grid
        .iter()
        .map(|r| {
            let v = if r.diverged {
                f64::NAN
            } else {
                100.0 * r.test_acc_best
            };
            (at(&ps, r.p), at(&rhos, r.rho), v)
        })
        .collect();
    let notes = grid
        .iter()
        .map(|r| {
            let text = if r.diverged {
                "diverged".to_string()
            } else {
                format!(
                    "{:.1} ({:.1})",
                    100.0 * r.test_acc_best,
                    100.0 * r.test_acc_final
                )
            };
            (at(&ps, r.p), at(&rhos, r.rho), text)
        })
        .collect();
    let map = Heatmap {
        title: format!(
            "{method}, seed {first}: clean test accuracy (%) at the best validation epoch (final epoch in brackets)"
        ),
        x_label: "label noise p (fraction of training labels flipped)".into(),
        y_label: format!("{method} radius ρ"),
        value_label: "test acc. (%)".into(),
        cells,
        cell: (1.0, 1.0),
        levels: 8,
        overlays: vec![],
        notes,
        x_ticks: Some(ps.iter().enumerate().map(|(i, p)| (i as f64, format!("{p}"))).collect()),
        y_ticks: Some(rhos.iter().enumerate().map(|(i, r)| (i as f64, format!("{r}"))).collect()),
    };
    render_heatmap(path, (1000, 560), &map)
}
