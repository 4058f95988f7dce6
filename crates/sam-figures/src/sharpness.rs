//! The sharpness figures (report `02-sharpness.md`): one function per SVG file.

use crate::{render, LineChart, Result, Series, Style};
use sam_experiments::sharpness::Row;
use std::path::Path;

fn error_chart(rows: &[Row], obj: &str) -> LineChart {
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
    c
}

/// `sharpness_errors_a.svg`: |κ_ρ − estimate| against ρ for the first- and second-order
/// estimates, on fig1 and fig2.
pub fn sharpness_errors_a(path: &Path, rows: &[Row]) -> Result<()> {
    render(
        path,
        (1300, 480),
        &[error_chart(rows, "fig1"), error_chart(rows, "fig2")],
    )
}

/// `sharpness_errors_b.svg`: the same on rosenbrock and the quadratic.
pub fn sharpness_errors_b(path: &Path, rows: &[Row]) -> Result<()> {
    render(
        path,
        (1300, 480),
        &[
            error_chart(rows, "rosenbrock"),
            error_chart(rows, "quadratic"),
        ],
    )
}

/// `sharpness_minima.svg`: κ_ρ/(ρ²λ₁) at the minima against ρ, with Example 2's 1 and Taylor's ½.
pub fn sharpness_minima(path: &Path, rows: &[Row]) -> Result<()> {
    let mut c = LineChart::new(
        "At minima: κ_ρ / (ρ²λ₁) (Example 2 claims 1; Taylor gives ½)",
        "ρ (log scale)",
        "κ_ρ / (ρ² λ₁)",
    )
    .log_x();
    let mut i = 0;
    let mut seen: Vec<(String, String)> = Vec::new();
    for r in rows {
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
    render(path, (800, 480), &[c])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(objective: &str, label: &str, rho: f64, grad_norm: f64) -> Row {
        Row {
            objective: objective.into(),
            label: label.into(),
            point: "0;0".into(),
            rho,
            exact: 0.6 * rho * rho,
            first_order: rho * grad_norm,
            second_order: 0.5 * rho * rho,
            rho2_lambda_max: rho * rho,
            lambda_max: 1.0,
            grad_norm,
            argmax_dist_first_order: 0.0,
            certified: false,
            certificate_gap: None,
            eq5_residual: None,
        }
    }

    #[test]
    fn sharpness_figures_render_tiny_rows() {
        let dir = tempfile::tempdir().unwrap();
        let rows: Vec<Row> = ["fig1", "fig2", "rosenbrock", "quadratic"]
            .into_iter()
            .flat_map(|o| {
                [1e-3, 1e-2, 1e-1].map(|rho| {
                    row(
                        o,
                        if o == "fig2" { "min" } else { "slope" },
                        rho,
                        if o == "fig2" { 0.0 } else { 1.0 },
                    )
                })
            })
            .collect();
        for (name, f) in [
            (
                "a.svg",
                sharpness_errors_a as fn(&Path, &[Row]) -> Result<()>,
            ),
            ("b.svg", sharpness_errors_b),
            ("m.svg", sharpness_minima),
        ] {
            f(&dir.path().join(name), &rows).unwrap();
            assert!(std::fs::read_to_string(dir.path().join(name))
                .unwrap()
                .contains("<svg"));
        }
        let m = std::fs::read_to_string(dir.path().join("m.svg")).unwrap();
        assert!(m.contains("fig2 min") && m.contains("Taylor"));
    }
}
