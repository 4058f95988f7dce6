//! Figures 1 and 2 (report `01-toy-landscapes.md`): one function per SVG file.

use crate::{
    render, render_heatmap, FigureError, Heatmap, LegendPos, LineChart, Result, Series, Style,
};
use sam_experiments::toy::fig1::{Curve, Fig1Trace, SummaryRow};
use sam_experiments::toy::fig2::{LandscapeRow, Reproduction, SensitivityRow, TraceRow};
use sam_experiments::toy::ToySettings;
use sam_results::num;
use std::path::Path;

/// `fig1_trajectories.svg`: the landscape with both optimizers' iterates, and x_t against the
/// step (log scale) with the line x = ρ where SAM can stall.
pub fn fig1_trajectories(
    path: &Path,
    trace: &[Fig1Trace],
    landscape: &[Curve],
    s: &ToySettings,
) -> Result<()> {
    let start = s.start.first().copied().unwrap_or(f64::NAN);
    let pick = |o: &str| -> Vec<&Fig1Trace> { trace.iter().filter(|r| r.optimizer == o).collect() };
    let (gd, sam) = (pick("gd"), pick("sam"));
    let title = format!(
        "Figure 1: f(x)=x²(x−1)²/(x²+1e−4), η={}, ρ={}, x₀={}",
        num(s.eta, 3),
        s.rho,
        start
    );
    let landscape_pts: Vec<(f64, f64)> = landscape.iter().map(|c| (c.x, c.f)).collect();
    let landscape = LineChart::new(&title, "x", "f(x)")
        .series(Series::line("f", landscape_pts.clone()).colored(7))
        .series(
            Series::points("GD iterates", gd.iter().map(|r| (r.x, r.loss)).collect()).colored(0),
        )
        .series(
            Series::points("SAM iterates", sam.iter().map(|r| (r.x, r.loss)).collect()).colored(1),
        );
    let by_step = |rows: &[&Fig1Trace]| -> Vec<(f64, f64)> {
        rows.iter()
            .filter(|r| r.step > 0)
            .map(|r| (r.step as f64, r.x))
            .collect()
    };
    let paths_chart = LineChart::new("Position vs step", "step (log scale)", "x_t")
        .log_x()
        .series(Series::line("GD", by_step(&gd)).colored(0))
        .series(Series::line("SAM", by_step(&sam)).colored(1))
        .series(
            Series::line("x = ρ", vec![(1.0, s.rho), (s.iterations as f64, s.rho)])
                .styled(Style::Dashed)
                .colored(7),
        )
        .legend_at(LegendPos::LowerRight);
    // a zoom on the sharp well and the barrier, where the two runs part
    let (lo, hi) = (-0.02, 0.08);
    let inside = |x: f64| (lo..=hi).contains(&x);
    let zoom = LineChart::new("Zoom on the sharp well: x in [−0.02, 0.08]", "x", "f(x)")
        .series(
            Series::line(
                "f",
                landscape_pts
                    .iter()
                    .copied()
                    .filter(|p| inside(p.0))
                    .collect(),
            )
            .colored(7),
        )
        .series(
            Series::points(
                "GD iterates",
                gd.iter()
                    .map(|r| (r.x, r.loss))
                    .filter(|p| inside(p.0))
                    .collect(),
            )
            .colored(0),
        )
        .series(
            Series::points(
                "SAM iterates",
                sam.iter()
                    .map(|r| (r.x, r.loss))
                    .filter(|p| inside(p.0))
                    .collect(),
            )
            .colored(1),
        )
        .legend_at(LegendPos::UpperLeft);
    render(path, (1900, 480), &[landscape, zoom, paths_chart])
}

/// `fig1_outcomes.svg`: per (η, ρ), where GD and SAM ended over all starts (colour: the
/// fraction of starts from which SAM ends at the flat minimum), with the claim's count in the
/// title.
pub fn fig1_outcomes(path: &Path, summary: &[SummaryRow]) -> Result<()> {
    let mut etas: Vec<f64> = summary.iter().map(|r| r.eta).collect();
    etas.dedup();
    let mut rhos: Vec<f64> = summary.iter().map(|r| r.rho).collect();
    rhos.sort_by(f64::total_cmp);
    rhos.dedup();
    let idx = |v: &[f64], x: f64| v.iter().position(|&a| a == x).unwrap_or(0) as f64;
    let cells = summary
        .iter()
        .map(|r| {
            (
                idx(&etas, r.eta),
                idx(&rhos, r.rho),
                r.sam_flat as f64 / r.starts as f64,
            )
        })
        .collect();
    // nonzero counts only, one letter per outcome (explained in the axis label)
    let counts = |pairs: &[(&str, usize)]| -> String {
        pairs
            .iter()
            .filter(|p| p.1 > 0)
            .map(|(k, n)| format!("{k}{n}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let notes = summary
        .iter()
        .map(|r| {
            (
                idx(&etas, r.eta),
                idx(&rhos, r.rho),
                format!(
                    "GD {}\nSAM {}",
                    counts(&[
                        ("s", r.gd_sharp),
                        ("w", r.gd_well),
                        ("f", r.gd_flat),
                        ("o", r.gd_other)
                    ]),
                    counts(&[
                        ("s", r.sam_sharp),
                        ("w", r.sam_well),
                        ("f", r.sam_flat),
                        ("ρ", r.sam_shifted_rho),
                        ("n", r.sam_near_rho),
                        ("x", r.sam_local_max),
                        ("o", r.sam_other)
                    ])
                ),
            )
        })
        .collect();
    let claim: usize = summary.iter().map(|r| r.claim_holds).sum();
    let cells_total: usize = summary.iter().map(|r| r.starts).sum();
    let map = Heatmap {
        title: format!(
            "Figure 1: the review's claim (GD at 0, SAM at 1, same η and start) holds in {claim} of {cells_total} cells ({} starts per cell)",
            summary.first().map_or(0, |r| r.starts)
        ),
        x_label: "learning rate η (same for GD and SAM) — counts: s sharp min, w in the sharp well, f flat min, ρ SAM's stall x = ρ, n near ρ, x barrier top x*, o other".into(),
        y_label: "SAM radius ρ".into(),
        value_label: "SAM at flat min (fraction)".into(),
        cells,
        cell: (1.0, 1.0),
        levels: 6,
        overlays: vec![],
        notes,
        x_ticks: Some(
            etas.iter()
                .enumerate()
                .map(|(i, e)| (i as f64, num(*e, 2)))
                .collect(),
        ),
        y_ticks: Some(
            rhos.iter()
                .enumerate()
                .map(|(i, r)| (i as f64, format!("{r}")))
                .collect(),
        ),
    };
    render_heatmap(path, (1500, 760), &map)
}

/// `fig2_contours.svg`: log10 f with GD's and SAM's paths at the paper's and the reproducing ρ.
/// `landscape` is a square grid in x-major order (as `fig2::landscape` makes it).
pub fn fig2_contours(
    path: &Path,
    landscape: &[LandscapeRow],
    traces: &[TraceRow],
    rep: &Reproduction,
) -> Result<()> {
    let n = (landscape.len() as f64).sqrt().round() as usize;
    if n < 2 || n * n != landscape.len() || rep.start.len() != 2 {
        return Err(FigureError::Empty(format!(
            "Figure 2 needs a square landscape grid of at least 2×2 points and a 2-D start (got {} points)",
            landscape.len()
        )));
    }
    let pick = |setting: &str, opt: &str| -> Vec<(f64, f64)> {
        traces
            .iter()
            .filter(|r| r.setting == setting && r.optimizer == opt)
            .map(|r| (r.x, r.y))
            .collect()
    };
    let dx = (landscape[n].x - landscape[0].x).abs();
    let dy = (landscape[1].y - landscape[0].y).abs();
    let map = Heatmap {
        title: format!(
            "Figure 2: f=(x−1)²y², η=0.1, 1000 steps from ({}, {})",
            num(rep.start[0], 4),
            rep.start[1]
        ),
        x_label: "x".into(),
        y_label: "y".into(),
        value_label: "log10 f".into(),
        cells: landscape
            .iter()
            .map(|r| (r.x, r.y, (r.f + 1e-4).log10()))
            .collect(),
        cell: (dx, dy),
        levels: 12,
        overlays: vec![
            Series::line("minima y = 0", vec![(-0.6, 0.0), (2.6, 0.0)])
                .styled(Style::Dashed)
                .colored(7),
            Series::line("minima x = 1", vec![(1.0, -1.1), (1.0, 1.1)])
                .styled(Style::Dashed)
                .colored(7),
            Series::line("GD", pick("reproducing_rho", "gd")).colored(0),
            Series::line("SAM ρ = 1e-5 (paper)", pick("paper_rho", "sam"))
                .styled(Style::Dashed)
                .colored(4),
            Series::line(
                &format!("SAM ρ = {}", rep.rho),
                pick("reproducing_rho", "sam"),
            )
            .colored(1),
            Series::points("start", vec![(rep.start[0], rep.start[1])]).colored(7),
            Series::points(
                "end points",
                [
                    ("reproducing_rho", "gd"),
                    ("paper_rho", "sam"),
                    ("reproducing_rho", "sam"),
                ]
                .iter()
                .filter_map(|(set, opt)| pick(set, opt).last().copied())
                .collect(),
            )
            .colored(3),
        ],
        notes: vec![],
        x_ticks: None,
        y_ticks: None,
    };
    render_heatmap(path, (1000, 700), &map)
}

/// `fig2_sensitivity.svg`: λ_max at the end against ρ, and against the start x₀, with the
/// review's two values as dashed lines.
pub fn fig2_sensitivity(path: &Path, sens: &[SensitivityRow], rep: &Reproduction) -> Result<()> {
    if rep.start.len() != 2 {
        return Err(FigureError::Empty(
            "Figure 2 sensitivity: a 2-D start".into(),
        ));
    }
    let sweep = |name: &str, gd: bool| -> Vec<(f64, f64)> {
        sens.iter()
            .filter(|r| r.sweep == name)
            .map(|r| {
                let x = if name == "rho" { r.rho } else { r.x0 };
                (x, if gd { r.lambda_gd } else { r.lambda_sam })
            })
            .collect()
    };
    let by_rho = LineChart::new(
        "λ_max at the end vs ρ (start fixed)",
        "ρ (log scale)",
        "λ_max (log scale)",
    )
    .log_x()
    .log_y()
    .series(Series::points("GD", sweep("rho", true)).colored(0))
    .series(
        Series::line("SAM", sweep("rho", false))
            .styled(Style::LinePoints)
            .colored(1),
    )
    .series(
        Series::line("review: 1.225", vec![(1e-5, 1.225), (1.0, 1.225)])
            .styled(Style::Dashed)
            .colored(7),
    )
    .series(
        Series::line("review: 0.016", vec![(1e-5, 0.016), (1.0, 0.016)])
            .styled(Style::Dashed)
            .colored(3),
    )
    .y_range(1e-4, 10.0)
    .legend_at(LegendPos::LowerLeft);
    let by_start = LineChart::new(
        &format!("λ_max vs start x₀ (y₀ = {}, ρ = {})", rep.start[1], rep.rho),
        "x₀",
        "λ_max (log scale)",
    )
    .log_y()
    .series(Series::line("GD", sweep("start_x", true)).colored(0))
    .series(Series::line("SAM", sweep("start_x", false)).colored(1))
    .series(
        Series::points(
            "found start",
            vec![
                (rep.start[0], rep.lambda_gd),
                (rep.start[0], rep.lambda_sam),
            ],
        )
        .colored(7),
    );
    render(path, (1300, 480), &[by_rho, by_start])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sam_experiments::toy::fig2::landscape;

    fn svg(dir: &tempfile::TempDir, name: &str) -> String {
        std::fs::read_to_string(dir.path().join(name)).unwrap()
    }

    #[test]
    fn fig1_figures_render_tiny_rows() {
        let dir = tempfile::tempdir().unwrap();
        let trace: Vec<Fig1Trace> = (0..4)
            .flat_map(|step| {
                ["gd", "sam"].map(|o| Fig1Trace {
                    optimizer: o.into(),
                    step,
                    x: 0.1 * step as f64,
                    loss: 1.0 / (1.0 + step as f64),
                })
            })
            .collect();
        let curve = vec![Curve { x: -0.5, f: 1.0 }, Curve { x: 1.0, f: 0.0 }];
        let s = ToySettings {
            eta: 1e-3,
            rho: 0.05,
            iterations: 3,
            start: vec![-0.5],
        };
        fig1_trajectories(&dir.path().join("t.svg"), &trace, &curve, &s).unwrap();
        assert!(svg(&dir, "t.svg").contains("Position vs step"));
        let row = |eta: f64, rho: f64| SummaryRow {
            eta,
            rho,
            iterations: 3,
            starts: 4,
            gd_flat: 1,
            gd_sharp: 3,
            gd_well: 0,
            gd_other: 0,
            sam_flat: 2,
            sam_sharp: 1,
            sam_shifted_rho: 1,
            sam_local_max: 0,
            sam_well: 0,
            sam_near_rho: 0,
            sam_other: 0,
            claim_holds: 2,
        };
        let summary = vec![
            row(1e-3, 0.1),
            row(1e-3, 0.2),
            row(1e-2, 0.1),
            row(1e-2, 0.2),
        ];
        fig1_outcomes(&dir.path().join("o.svg"), &summary).unwrap();
        let o = svg(&dir, "o.svg");
        assert!(o.contains("GD s3 f1") && o.contains("SAM s1 f2 ρ1"), "{o}");
        assert!(o.contains("holds in 8 of 16 cells"));
    }

    #[test]
    fn fig2_figures_render_tiny_rows_and_refuse_a_ragged_grid() {
        let dir = tempfile::tempdir().unwrap();
        let rep = Reproduction {
            start: vec![0.06, 0.5],
            rho: 0.1,
            lambda_gd: 1.2,
            lambda_sam: 0.02,
        };
        let traces: Vec<TraceRow> = ["gd", "sam"]
            .into_iter()
            .flat_map(|o| {
                (0..3).map(move |step| TraceRow {
                    setting: "reproducing_rho".into(),
                    optimizer: o.into(),
                    step,
                    x: 0.06 + 0.1 * step as f64,
                    y: 0.5 - 0.1 * step as f64,
                    loss: 0.1,
                    lambda_max: 1.0,
                })
            })
            .collect();
        let land = landscape((-0.6, 2.6), (-1.1, 1.1), 5);
        fig2_contours(&dir.path().join("c.svg"), &land, &traces, &rep).unwrap();
        assert!(svg(&dir, "c.svg").contains("log10 f"));
        assert!(fig2_contours(&dir.path().join("x.svg"), &land[..7], &traces, &rep).is_err());
        let sens: Vec<SensitivityRow> = [("rho", 1e-3), ("rho", 1e-1), ("start_x", 0.1)]
            .into_iter()
            .map(|(sweep, v)| SensitivityRow {
                sweep: sweep.into(),
                rho: if sweep == "rho" { v } else { 0.1 },
                x0: if sweep == "rho" { 0.06 } else { v },
                y0: 0.5,
                lambda_gd: 1.2,
                lambda_sam: 0.02,
            })
            .collect();
        fig2_sensitivity(&dir.path().join("s.svg"), &sens, &rep).unwrap();
        assert!(svg(&dir, "s.svg").contains("review: 0.016"));
    }
}
