//! The PAC-Bayes figure (report `04-pac-bayes.md`).

use crate::{render, FigureError, LineChart, Result, Series, Style};
use sam_experiments::pacbayes::{ComplexityRow, Config, Lemma1Row};
use sam_results::num;
use std::path::Path;

/// `pacbayes_complexity_vs_n.svg`: Theorem 1's complexity term against n for every (d, ρ), and
/// Lemma 1's bound for the MNIST network, with the vacuous line y = 1.
pub fn pacbayes_complexity_vs_n(
    path: &Path,
    cfg: &Config,
    rows: &[ComplexityRow],
    lemma1: &[Lemma1Row],
) -> Result<()> {
    if cfg.rhos.is_empty() {
        return Err(FigureError::Empty("PAC-Bayes: no radius".into()));
    }
    // Reference lines across a panel's n range: y = 1 (vacuous for a [0, 1] loss) and y = 0.1.
    let references = |chart: LineChart, ns: Vec<u64>| {
        let lo = ns.iter().copied().min().unwrap_or(100) as f64;
        let hi = ns.iter().copied().max().unwrap_or(100) as f64;
        let line = |y: f64| vec![(lo, y), (hi, y)];
        chart
            .series(
                Series::line("y = 1: vacuous above, for a 0-1 loss", line(1.0))
                    .styled(Style::Dashed)
                    .colored(7),
            )
            .series(Series::line("y = 0.1", line(0.1)).colored(7))
    };
    // The legend sits at the middle right of a panel; the y ranges leave the upper right, where
    // the decreasing curves never go, free for it.

    let mut theorem = LineChart::new(
        &format!(
            "Theorem 1 complexity term, δ = {}, |θ| = {} (solid ρ = {}, dashed ρ = {})",
            cfg.delta,
            num(cfg.theta_norm, 4),
            cfg.rhos[0],
            cfg.rhos.get(1).copied().unwrap_or(cfg.rhos[0]),
        ),
        "training set size n (log scale)",
        "complexity term (log scale)",
    )
    .log_x()
    .log_y();
    for (color, &d) in cfg.dims().iter().enumerate() {
        for (k, &rho) in cfg.rhos.iter().enumerate() {
            let pts: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.d == d && r.rho == rho)
                .map(|r| (r.n as f64, r.complexity))
                .collect();
            let s = Series::line(&format!("{}, ρ = {rho}", cfg.d_label(d)), pts).colored(color);
            theorem = theorem.series(if k == 0 { s } else { s.styled(Style::Dashed) });
        }
    }
    let theorem = references(theorem, rows.iter().map(|r| r.n).collect()).y_range(0.05, 1e5);

    let mut lemma = LineChart::new(
        &format!(
            "Lemma 1 for the MNIST MLP: Q = N(θ, σ_Q²I), σ_Q = ρ/√d, P = N(0, σ_P²I), δ = {}",
            cfg.delta
        ),
        "training set size n (log scale)",
        "bound on E_Q[L_D − L_S] (log scale)",
    )
    .log_x()
    .log_y();
    for (k, &rho) in cfg.rhos.iter().enumerate() {
        let pts: Vec<(f64, f64)> = lemma1
            .iter()
            .filter(|r| r.rho == rho)
            .map(|r| (r.n as f64, r.bound))
            .collect();
        let s = Series::line(&format!("ρ = {rho}"), pts).colored(3);
        lemma = lemma.series(if k == 0 { s } else { s.styled(Style::Dashed) });
    }
    let lemma = references(lemma, lemma1.iter().map(|r| r.n).collect()).y_range(0.01, 1e4);

    render(path, (1500, 600), &[theorem, lemma])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pacbayes_figure_renders_tiny_rows() {
        let cfg = Config::default();
        let d = cfg.d_mnist;
        let rows: Vec<ComplexityRow> = [100, 1000, 10_000]
            .into_iter()
            .flat_map(|n| {
                cfg.rhos.iter().map(move |&rho| ComplexityRow {
                    d,
                    rho,
                    n,
                    complexity: 1e4 / n as f64,
                })
            })
            .collect();
        let lemma1: Vec<Lemma1Row> = [100, 1000]
            .into_iter()
            .map(|n| Lemma1Row {
                rho: cfg.rhos[0],
                sigma_q: 1e-4,
                sigma_p: 1e-2,
                kl: 10.0,
                n,
                bound: 10.0 / n as f64,
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.svg");
        pacbayes_complexity_vs_n(&path, &cfg, &rows, &lemma1).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("(MNIST MLP)") && svg.contains("vacuous above"));
        let no_rho = Config {
            rhos: vec![],
            ..Config::default()
        };
        assert!(pacbayes_complexity_vs_n(&path, &no_rho, &rows, &lemma1).is_err());
    }
}
