//! The diagonal-linear-network figure of report `06-m-sharpness.md`.

use crate::{render, Band, LegendPos, LineChart, Result, Series, Style};
use sam_experiments::diagnet::{DiagMethod, SummaryRow, Truth, Verdicts};
use std::path::Path;

/// `diagnet_rho.svg`: one panel per ground truth, the test loss ‖β − β*‖²/2 against ρ (both log
/// scale) for n-SAM and 1-SAM (mean over the data seeds, band ± one std), GD as a dashed line,
/// the validation picks as markers; ρ where a seed diverged are left out (the report counts
/// them).
pub fn diagnet_rho(path: &Path, summary: &[SummaryRow], verdicts: &[Verdicts]) -> Result<()> {
    let charts: Vec<LineChart> = verdicts
        .iter()
        .map(|v| {
            let rows: Vec<SummaryRow> = summary
                .iter()
                .filter(|s| s.truth == v.truth)
                .cloned()
                .collect();
            panel(&rows, v)
        })
        .collect();
    render(path, (820, 560), &charts)
}

fn panel(summary: &[SummaryRow], verdicts: &Verdicts) -> LineChart {
    let title = match verdicts.truth {
        Truth::Nonnegative => "Nonnegative truth, u = v = α: test loss after 10⁴ steps",
        Truth::Signed => "Signed truth, u = √2α, v = 0: test loss after 10⁴ steps",
    };
    let mut chart = LineChart::new(title, "ρ (log scale)", "test loss ‖β − β*‖²/2 (log scale)")
        .log_x()
        .log_y()
        .legend_at(LegendPos::UpperLeft);
    let ok = |s: &&SummaryRow| s.diverged == 0 && s.finished > 0;
    let rhos: Vec<f64> = summary
        .iter()
        .filter(|s| s.method != DiagMethod::Gd)
        .map(|s| s.rho)
        .collect();
    let (lo, hi) = rhos
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(a, b), &r| (a.min(r), b.max(r)));
    for (i, m) in [DiagMethod::NSam, DiagMethod::OneSam]
        .into_iter()
        .enumerate()
    {
        let rows: Vec<&SummaryRow> = summary
            .iter()
            .filter(|s| s.method == m)
            .filter(ok)
            .collect();
        chart = chart
            .band(Band {
                color: i,
                points: rows
                    .iter()
                    .map(|s| {
                        (
                            s.rho,
                            s.test_loss_mean - s.test_loss_std,
                            s.test_loss_mean + s.test_loss_std,
                        )
                    })
                    .collect(),
                label: format!("{} ± std over seeds", m.name()),
            })
            .series(
                Series::line(
                    &format!("{} (mean)", m.name()),
                    rows.iter().map(|s| (s.rho, s.test_loss_mean)).collect(),
                )
                .styled(Style::LinePoints)
                .colored(i),
            );
    }
    if let Some(gd) = summary
        .iter()
        .find(|s| s.method == DiagMethod::Gd)
        .filter(ok)
    {
        chart = chart.series(
            Series::line(
                "gd (no ρ)",
                vec![(lo, gd.test_loss_mean), (hi, gd.test_loss_mean)],
            )
            .styled(Style::Dashed)
            .colored(7),
        );
    }
    let picks: Vec<(f64, f64)> = verdicts
        .picks
        .iter()
        .filter(|p| p.method != DiagMethod::Gd)
        .map(|p| (p.rho, p.test_loss_mean))
        .collect();
    chart.series(Series::points("ρ picked on validation", picks).colored(2))
}
