//! Figures 3–5 and the sweep (report `03-mnist.md`): one function per SVG file.

use crate::{render, Band, LegendPos, LineChart, Result, Series, Style};
use sam_experiments::mnist::drift::{PairRow, TraceRow, JAX_START};
use sam_experiments::mnist::{EpochStat, RunRow, SummaryRow};
use sam_mnist::train::EpochRow;
use std::path::Path;

/// One of Figures 3–5: for each optimizer its best seed's curve and the seeds' mean ± std band,
/// against epochs, gradient evaluations and CPU time. `stats_of(optimizer)` gives the band rows
/// of the plotted quantity, by epoch.
#[allow(clippy::too_many_arguments)]
fn curves_figure(
    path: &Path,
    title: &str,
    ylabel: &str,
    log_y: bool,
    f: fn(&EpochRow) -> f64,
    summary: &[SummaryRow],
    curves: &[RunRow],
    stats_of: &dyn Fn(&str) -> Vec<EpochStat>,
) -> Result<()> {
    let chart = |t: &str, x: &str| {
        let c = LineChart::new(t, x, ylabel);
        if log_y {
            // the losses fall to the bottom right: the legend goes to the empty bottom left
            c.log_y().legend_at(LegendPos::LowerLeft)
        } else {
            c
        }
    };
    let mut by_epoch = chart(&format!("{title} vs epoch"), "epoch");
    let mut by_evals = chart(
        &format!("{title} vs gradient evaluations"),
        "gradient evaluations",
    );
    let mut by_cpu = chart(
        &format!("{title} vs CPU time"),
        "CPU seconds (training only)",
    );
    for (i, s) in summary.iter().enumerate() {
        let best: Vec<&RunRow> = curves
            .iter()
            .filter(|c| c.optimizer == s.optimizer && c.seed == s.best_seed)
            .collect();
        let stats = stats_of(&s.optimizer);
        let evals_per_epoch = best.get(1).map_or(1.0, |r| r.row().grad_evals as f64);
        let label = format!("{} best (seed {})", s.optimizer.to_uppercase(), s.best_seed);
        let seeds = curves
            .iter()
            .filter(|c| c.optimizer == s.optimizer && c.row().epoch == 0)
            .count();
        let band = |x: &dyn Fn(&EpochStat) -> f64| Band {
            color: i,
            points: stats
                .iter()
                .map(|p| (x(p), p.mean - p.std, p.mean + p.std))
                .collect(),
            label: format!(
                "{}: mean ± std over {} seeds",
                s.optimizer.to_uppercase(),
                seeds
            ),
        };
        by_epoch = by_epoch.band(band(&|p| p.epoch as f64)).series(
            Series::line(
                &label,
                best.iter()
                    .map(|c| (c.row().epoch as f64, f(&c.row())))
                    .collect(),
            )
            .colored(i),
        );
        by_evals = by_evals
            .band(band(&|p| p.epoch as f64 * evals_per_epoch))
            .series(
                Series::line(
                    &label,
                    best.iter()
                        .map(|c| (c.row().grad_evals as f64, f(&c.row())))
                        .collect(),
                )
                .colored(i),
            );
        by_cpu = by_cpu.band(band(&|p| p.cpu_s)).series(
            Series::line(
                &label,
                best.iter().map(|c| (c.row().cpu_s, f(&c.row()))).collect(),
            )
            .colored(i),
        );
    }
    render(path, (1800, 500), &[by_epoch, by_evals, by_cpu])
}

/// Band rows of one optimizer and quantity.
fn pick_stats<'a>(
    stats: &'a [EpochStat],
    quantity: &'a str,
) -> impl Fn(&str) -> Vec<EpochStat> + 'a {
    move |opt| {
        stats
            .iter()
            .filter(|s| s.optimizer == opt && s.quantity == quantity)
            .cloned()
            .collect()
    }
}

/// `fig3_train_loss.svg`: Figure 3, the training loss.
pub fn fig3_train_loss(
    path: &Path,
    summary: &[SummaryRow],
    curves: &[RunRow],
    stats: &[EpochStat],
) -> Result<()> {
    curves_figure(
        path,
        "Figure 3: training loss",
        "training loss (mean cross-entropy, log scale)",
        true,
        |r| r.train_loss,
        summary,
        curves,
        &pick_stats(stats, "train_loss"),
    )
}

/// `fig4_test_loss.svg`: Figure 4, the test loss.
pub fn fig4_test_loss(
    path: &Path,
    summary: &[SummaryRow],
    curves: &[RunRow],
    stats: &[EpochStat],
) -> Result<()> {
    curves_figure(
        path,
        "Figure 4: test loss",
        "test loss (mean cross-entropy)",
        false,
        |r| r.test_loss,
        summary,
        curves,
        &pick_stats(stats, "test_loss"),
    )
}

/// `fig5_gap.svg`: Figure 5, the generalization gap (test loss − training loss).
pub fn fig5_gap(
    path: &Path,
    summary: &[SummaryRow],
    curves: &[RunRow],
    stats: &[EpochStat],
) -> Result<()> {
    curves_figure(
        path,
        "Figure 5: generalization gap",
        "test loss − training loss",
        false,
        |r| r.gap,
        summary,
        curves,
        &pick_stats(stats, "gap"),
    )
}

/// `mnist_sweep.svg`: the one-seed sweep's final test loss against the learning rate (SGD, Adam)
/// and against ρ (SAM, one line per learning rate).
pub fn mnist_sweep(path: &Path, sweep: &[RunRow]) -> Result<()> {
    let pick = |o: &str, x: &dyn Fn(&RunRow) -> f64| -> Vec<(f64, f64)> {
        sweep
            .iter()
            .filter(|r| r.optimizer == o)
            .map(|r| (x(r), r.row().test_loss))
            .collect()
    };
    let lr_chart = LineChart::new(
        "Sweep (seed 0): final test loss vs learning rate",
        "learning rate (log scale)",
        "final test loss",
    )
    .log_x()
    .series(
        Series::line("SGD", pick("sgd", &|r| r.lr))
            .styled(Style::LinePoints)
            .colored(0),
    )
    .series(
        Series::line("Adam", pick("adam", &|r| r.lr))
            .styled(Style::LinePoints)
            .colored(1),
    );
    let mut rho_chart = LineChart::new(
        "Sweep (seed 0): SAM final test loss vs ρ",
        "ρ (log scale)",
        "final test loss",
    )
    .log_x();
    let mut lrs: Vec<f64> = sweep
        .iter()
        .filter(|r| r.optimizer == "sam")
        .map(|r| r.lr)
        .collect();
    lrs.sort_by(f64::total_cmp);
    lrs.dedup();
    for (i, lr) in lrs.iter().enumerate() {
        let pts: Vec<(f64, f64)> = sweep
            .iter()
            .filter(|r| r.optimizer == "sam" && r.lr == *lr)
            .map(|r| (r.rho, r.row().test_loss))
            .collect();
        rho_chart = rho_chart.series(
            Series::line(&format!("SAM lr {lr}"), pts)
                .styled(Style::LinePoints)
                .colored(i + 2),
        );
    }
    render(path, (1300, 480), &[lr_chart, rho_chart])
}

/// `mnist_drift.svg` (issue 11, item 20): for every lockstep pair, the distance between a run
/// and its one-ulp-perturbed copy against the training step (log scale), one colour per
/// optimizer setting (solid from JAX's start, dashed from samlab's; the perturbation seeds of a
/// run share its line style), with a marker at each pair's first ReLU flip.
pub fn mnist_drift(path: &Path, pairs: &[PairRow], trace: &[TraceRow]) -> Result<()> {
    let mut runs: Vec<&str> = Vec::new();
    for p in pairs {
        if !runs.contains(&p.run.as_str()) {
            runs.push(&p.run);
        }
    }
    let mut chart = LineChart::new(
        "A run against its copy moved by one ulp: distance per step",
        "training step (batch 10)",
        "‖θ − θ′‖ (log scale)",
    )
    .log_y()
    .tight_x()
    .legend_at(LegendPos::UpperLeft);
    let mut flips = Vec::new();
    // one colour per optimizer setting, solid from JAX's start, dashed from samlab's
    let setting = |run: &str| run.split(", ").next().unwrap_or(run).to_string();
    let mut settings: Vec<String> = Vec::new();
    for r in &runs {
        if !settings.contains(&setting(r)) {
            settings.push(setting(r));
        }
    }
    for p in pairs {
        let c = settings
            .iter()
            .position(|s| *s == setting(&p.run))
            .unwrap_or(0);
        let style = if p.run.ends_with(JAX_START) {
            Style::Line
        } else {
            Style::Dashed
        };
        let first = pairs
            .iter()
            .position(|q| q.run == p.run)
            .is_some_and(|i| std::ptr::eq(&pairs[i], p));
        let pts: Vec<(f64, f64)> = trace
            .iter()
            .filter(|t| t.run == p.run && t.perturbation_seed == p.perturbation_seed)
            .map(|t| (t.step as f64, t.distance))
            .collect();
        let name = if first { p.run.as_str() } else { "" };
        chart = chart.series(Series::line(name, pts).styled(style).colored(c));
        if p.first_flip_step > 0 {
            flips.push((p.first_flip_step as f64, p.distance_after_first_flip));
        }
    }
    chart = chart
        .series(Series::points("first ReLU flip of a pair", flips).colored(settings.len().max(7)));
    render(path, (900, 520), &[chart])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sam_experiments::mnist::epoch_stats;

    fn run_row(optimizer: &str, lr: f64, rho: f64, seed: u64, epoch: usize) -> RunRow {
        let e = epoch as f64;
        RunRow {
            optimizer: optimizer.into(),
            lr,
            rho,
            seed,
            epochs: 2,
            epoch,
            grad_evals: 100 * epoch,
            train_loss: 2.0 / (1.0 + e),
            train_acc: 0.5 + 0.1 * e,
            test_loss: 2.1 / (1.0 + e) + 0.01 * seed as f64,
            test_acc: 0.5 + 0.09 * e,
            gap: 0.1 / (1.0 + e) + 0.01 * seed as f64,
            wall_s: 0.1 * e,
            cpu_s: 0.2 * e,
            val_loss: None,
            val_acc: None,
        }
    }

    fn summary(optimizer: &str) -> SummaryRow {
        SummaryRow {
            optimizer: optimizer.into(),
            lr: 0.01,
            rho: 0.0,
            runs: 2,
            best_seed: 0,
            best_test_loss: 0.7,
            best_test_acc: 0.7,
            best_gap: 0.03,
            test_loss_mean: 0.71,
            test_loss_std: 0.01,
            test_acc_mean: 0.7,
            test_acc_std: 0.01,
            gap_mean: 0.035,
            gap_std: 0.005,
            train_loss_mean: 0.67,
            cpu_s_per_epoch: 0.2,
            cpu_s_total: 0.4,
        }
    }

    #[test]
    fn mnist_figures_render_tiny_rows() {
        let curves: Vec<RunRow> = ["sgd", "sam"]
            .into_iter()
            .flat_map(|o| {
                (0..2).flat_map(move |seed| (0..3).map(move |e| run_row(o, 0.01, 0.0, seed, e)))
            })
            .collect();
        let stats = epoch_stats(&curves);
        let summaries = [summary("sgd"), summary("sam")];
        let dir = tempfile::tempdir().unwrap();
        for (name, f) in [
            (
                "3.svg",
                fig3_train_loss as fn(&Path, &[SummaryRow], &[RunRow], &[EpochStat]) -> Result<()>,
            ),
            ("4.svg", fig4_test_loss),
            ("5.svg", fig5_gap),
        ] {
            f(&dir.path().join(name), &summaries, &curves, &stats).unwrap();
        }
        let svg = std::fs::read_to_string(dir.path().join("5.svg")).unwrap();
        assert!(svg.contains("SAM best (seed 0)") && svg.contains("vs CPU time"));
        let sweep = vec![
            run_row("sgd", 0.01, 0.0, 0, 2),
            run_row("sgd", 0.1, 0.0, 0, 2),
            run_row("sam", 0.01, 0.05, 0, 2),
            run_row("sam", 0.01, 0.2, 0, 2),
        ];
        mnist_sweep(&dir.path().join("s.svg"), &sweep).unwrap();
        let svg = std::fs::read_to_string(dir.path().join("s.svg")).unwrap();
        assert!(svg.contains("SAM lr 0.01"));
    }
}
