//! The MNIST m-sharpness figure of report `06-m-sharpness.md`.

use crate::{render, Band, LegendPos, LineChart, Result, Series, Style};
use sam_experiments::mnist::msharp::{RunRow, SummaryRow};
use std::path::Path;

/// `msharp_m.svg`: left, the test loss at each (batch, m)'s validation pick against m (log
/// scale), mean over the seeds with a ± one-std band, one line per batch size; right, every
/// run's final m-sharpness against its gap (grid and seeds), one colour per batch size.
pub fn msharp_m(path: &Path, summary: &[SummaryRow], runs: &[RunRow]) -> Result<()> {
    let mut batches: Vec<usize> = summary.iter().map(|s| s.batch_size).collect();
    batches.dedup();
    let any_trained = runs
        .iter()
        .any(|r| !r.diverged && r.m_sharpness > 0.0 && r.train_loss < 1.0);
    let mut left = LineChart::new(
        "MNIST MLP: test loss at the validation pick against m",
        "m, samples per perturbation (log scale; m = batch is plain SAM)",
        "test loss (mean ± std over 5 seeds)",
    )
    .log_x()
    .legend_at(LegendPos::UpperRight);
    let mut right = LineChart::new(
        "m-sharpness against the generalization gap, every run",
        "final m-sharpness (κ lower bound at ρ = 0.05, mean over chunks)",
        "gap: test loss − train loss",
    )
    .log_x()
    .legend_at(LegendPos::LowerRight);
    for (i, b) in batches.iter().enumerate() {
        let rows: Vec<&SummaryRow> = summary.iter().filter(|s| s.batch_size == *b).collect();
        left = left
            .band(Band {
                color: i,
                points: rows
                    .iter()
                    .map(|s| {
                        (
                            s.m as f64,
                            s.test_loss_mean - s.test_loss_std,
                            s.test_loss_mean + s.test_loss_std,
                        )
                    })
                    .collect(),
                label: format!("batch {b}: ± std"),
            })
            .series(
                Series::line(
                    &format!("batch {b} (mean)"),
                    rows.iter()
                        .map(|s| (s.m as f64, s.test_loss_mean))
                        .collect(),
                )
                .styled(Style::LinePoints)
                .colored(i),
            );
        let pts: Vec<(f64, f64)> = runs
            .iter()
            .filter(|r| r.batch_size == *b && !r.diverged && r.m_sharpness > 0.0)
            // runs left at chance (their ρ did not train) would only stretch the axis, unless
            // every run is (a --quick budget trains too little for any to leave it)
            .filter(|r| r.train_loss < 1.0 || !any_trained)
            .map(|r| (r.m_sharpness, r.gap))
            .collect();
        right = right.series(Series::points(&format!("batch {b}"), pts).colored(i));
    }
    render(path, (1400, 560), &[left, right])
}
