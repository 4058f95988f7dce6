//! The convergence figures (report `05-convergence.md`): one function per SVG file.

use crate::{render, Band, LegendPos, LineChart, Result, Series, Style};
use sam_convergence::Theorem2Row;
use sam_experiments::convergence::{FloorKind, FloorRow, Results};
use sam_results::num;
use std::path::Path;

fn floor_rows(rows: &[FloorRow], steps: usize, kind: FloorKind) -> Vec<&FloorRow> {
    rows.iter()
        .filter(|r| r.steps == steps && r.kind == kind)
        .collect()
}

fn measured(rows: &[&FloorRow]) -> Vec<(f64, f64)> {
    rows.iter().map(|r| (r.rho, r.floor)).collect()
}

fn closed(rows: &[&FloorRow]) -> Vec<(f64, f64)> {
    rows.iter()
        .filter_map(|r| Some((r.rho, r.closed_form?)))
        .collect()
}

/// `convergence_theorem2.svg`: Eq. (6)'s two sides against T with the LHS's confidence band,
/// and how loose the bound is (RHS ÷ LHS).
pub fn convergence_theorem2(path: &Path, d: &Results) -> Result<()> {
    let s = &d.summary;
    let t = |r: &Theorem2Row| r.t as f64;
    let (t_lo, t_hi) = (d.rows.first().map_or(1.0, t), d.rows.last().map_or(1.0, t));
    // A T^(-1/2) guide through the last mean LHS (drawing aid only, no data).
    let guide = d.rows.last().map_or_else(Vec::new, |r| {
        let c = r.lhs_mean * t(r).sqrt();
        vec![(t_lo, c / t_lo.sqrt()), (t_hi, c / t_hi.sqrt())]
    });
    let bound = LineChart::new(
        &format!(
            "Theorem 2 (Eq. 6): d = {}, G = {}, L = {}, σ = {}, η₀ = {}, ρ₀ = {}, {} seeds",
            s.dim,
            num(s.g, 4),
            num(s.l, 3),
            s.sigma,
            s.eta0,
            s.rho0,
            s.seeds
        ),
        "T (steps, log scale)",
        "squared gradient norm (log scale)",
    )
    .log_x()
    .log_y()
    .band(Band {
        color: 0,
        points: d
            .rows
            .iter()
            .map(|r| (t(r), r.lhs_ci_lo, r.lhs_ci_hi))
            .collect(),
        label: String::new(),
    })
    .series(
        Series::line(
            &format!("LHS (band: {}% CI)", num(100.0 * s.confidence, 2)),
            d.rows.iter().map(|r| (t(r), r.lhs_mean)).collect(),
        )
        .styled(Style::LinePoints)
        .colored(0),
    )
    .series(
        Series::line(
            "RHS = C1/√T + C2 lnT/√T",
            d.rows.iter().map(|r| (t(r), r.rhs)).collect(),
        )
        .styled(Style::LinePoints)
        .colored(1),
    )
    .series(
        Series::line("C1/√T", d.rows.iter().map(|r| (t(r), r.c1_term)).collect())
            .styled(Style::Dashed)
            .colored(2),
    )
    .series(
        Series::line(
            "C2 lnT/√T",
            d.rows.iter().map(|r| (t(r), r.c2_term)).collect(),
        )
        .styled(Style::Dashed)
        .colored(3),
    )
    .series(
        Series::line("∝ T^(−1/2), guide", guide)
            .styled(Style::Dashed)
            .colored(7),
    )
    .tight_x()
    .legend_at(LegendPos::LowerLeft);
    let loose = LineChart::new(
        "How loose: bound ÷ measured LHS",
        "T (steps, log scale)",
        "ratio to the mean LHS (log scale)",
    )
    .log_x()
    .log_y()
    .series(
        Series::line(
            "RHS / LHS",
            d.rows.iter().map(|r| (t(r), r.ratio)).collect(),
        )
        .styled(Style::LinePoints)
        .colored(1),
    )
    .series(
        Series::line(
            "(C1/√T) / LHS",
            d.rows
                .iter()
                .map(|r| (t(r), r.c1_term / r.lhs_mean))
                .collect(),
        )
        .styled(Style::LinePoints)
        .colored(2),
    )
    .series(
        Series::line("ratio = 1", vec![(t_lo, 1.0), (t_hi, 1.0)])
            .styled(Style::Dashed)
            .colored(7),
    )
    .tight_x()
    .legend_at(LegendPos::UpperLeft);
    render(path, (1600, 600), &[bound, loose])
}

/// `convergence_floor.svg`: the constant-ρ floor against ρ beside its closed form, the
/// decaying schedule, and unnormalized SAM on a short run.
pub fn convergence_floor(path: &Path, d: &Results) -> Result<()> {
    let (long, short) = (d.cfg.floor.steps, d.cfg.floor_short.steps);
    let fl = &d.cfg.floor;
    let constant = floor_rows(&d.floor, long, FloorKind::Constant);
    let decaying = floor_rows(&d.floor, long, FloorKind::Decaying);
    let normalized = LineChart::new(
        &format!(
            "Normalized SAM on λw²/2 from w₀ = 1: λ = {}, η = {}, N = {} steps",
            fl.lambda, fl.eta, long
        ),
        "ρ (ρ₀ for the decaying schedule), log scale",
        "floor: max |w_t| over the last 10% of steps (log)",
    )
    .log_x()
    .log_y()
    .series(Series::line("constant ρ: w* = ηλρ/(2−ηλ)", closed(&constant)).colored(1))
    .series(Series::points("constant ρ: measured", measured(&constant)).colored(1))
    .series(
        Series::line("ρ/√(t+1): adiabatic approx.", closed(&decaying))
            .styled(Style::Dashed)
            .colored(2),
    )
    .series(Series::points("ρ/√(t+1): measured", measured(&decaying)).colored(2))
    .legend_at(LegendPos::UpperLeft);
    let s_const = floor_rows(&d.floor, short, FloorKind::Constant);
    let s_unnorm = floor_rows(&d.floor, short, FloorKind::Unnormalized);
    let unnormalized = LineChart::new(
        &format!("Constant ρ, N = {short} steps: normalized vs unnormalized SAM"),
        "ρ (log scale)",
        "floor: max |w_t| over the last 10% of steps (log)",
    )
    .log_x()
    .log_y()
    .series(Series::line("normalized: w* = ηλρ/(2−ηλ)", closed(&s_const)).colored(1))
    .series(Series::points("normalized: measured", measured(&s_const)).colored(1))
    .series(
        Series::line("unnormalized: |q|^t", closed(&s_unnorm))
            .styled(Style::Dashed)
            .colored(4),
    )
    .series(Series::points("unnormalized: measured", measured(&s_unnorm)).colored(4))
    .legend_at(LegendPos::MiddleLeft);
    render(path, (1600, 600), &[normalized, unnormalized])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sam_experiments::convergence::{run, Config};

    /// A few rows from a tiny run (2 seeds, T ≤ 1000, 2 radii).
    fn tiny() -> Results {
        let mut cfg = Config::quick();
        cfg.theorem2.seeds = 2;
        cfg.theorem2.t_max = 1000;
        cfg.theorem2.grid_points = 3;
        cfg.counterexample.t_max = 10;
        cfg.counterexample.grid_points = 3;
        for f in [&mut cfg.floor, &mut cfg.floor_short] {
            f.rhos = vec![0.05, 0.1];
        }
        cfg.floor.steps = 100;
        cfg.floor_short.steps = 20;
        run(&cfg, true, &|_, _| {}).unwrap()
    }

    #[test]
    fn convergence_figures_render_tiny_rows() {
        let r = tiny();
        let dir = tempfile::tempdir().unwrap();
        convergence_theorem2(&dir.path().join("t.svg"), &r).unwrap();
        convergence_floor(&dir.path().join("f.svg"), &r).unwrap();
        let t = std::fs::read_to_string(dir.path().join("t.svg")).unwrap();
        assert!(t.contains("2 seeds") && t.contains("RHS / LHS"));
        let f = std::fs::read_to_string(dir.path().join("f.svg")).unwrap();
        assert!(f.contains("N = 20 steps"));
    }
}
