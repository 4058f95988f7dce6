//! The generated sections of `01-toy-landscapes.md` (Figures 1 and 2).

use crate::{num, table, Section};
use sam_experiments::toy::{fig1, fig2, RunEnd, ToyJson};

/// The report file.
pub const REPORT: &str = "01-toy-landscapes.md";

/// The Figure 1 sections: closed-form facts, the grid of outcomes, the showcase run.
pub fn fig1_sections(r: &fig1::Results) -> Vec<Section> {
    let rows: Vec<Vec<String>> = r
        .summary
        .iter()
        .map(|r| {
            vec![
                num(r.eta, 3),
                format!("{}", r.rho),
                r.iterations.to_string(),
                format!("{} / {} / {}", r.gd_sharp, r.gd_flat, r.gd_other),
                format!(
                    "{} / {} / {} / {}",
                    r.sam_sharp, r.sam_flat, r.sam_shifted_rho, r.sam_other
                ),
                r.claim_holds.to_string(),
            ]
        })
        .collect();
    let grid = format!(
        "{}\nThe review's claim (GD ends at the sharp minimum and SAM at the flat one, same η, same start) holds in **{} of {}** (η, ρ, start) cells.\n",
        table(
            &["η", "ρ", "iterations", "GD sharp / flat / other", "SAM sharp / flat / x≈ρ / other", "claim holds"],
            &rows
        ),
        r.verdict.claim_holds,
        r.verdict.cells,
    );
    let f = &r.facts;
    let facts_md = table(
        &["quantity", "value"],
        &[
            vec!["f''(0) (sharp minimum)".into(), num(f.curvature_sharp, 6)],
            vec!["f''(1) (flat minimum)".into(), num(f.curvature_flat, 6)],
            vec![
                "GD stability bound at x = 0, 2/f''(0)".into(),
                num(f.eta_stable_sharp, 4),
            ],
            vec!["barrier top x_peak".into(), num(f.barrier_x, 4)],
            vec!["f(x_peak)".into(), num(f.barrier_f, 4)],
        ],
    );
    vec![
        ("fig1-facts", facts_md),
        ("fig1-grid", grid),
        ("fig1-showcase", showcase_table(&r.showcase)),
    ]
}

fn showcase_table(j: &ToyJson) -> String {
    let s = &j.settings;
    let fmt_point = |p: &[f64]| p.iter().map(|v| num(*v, 6)).collect::<Vec<_>>().join(", ");
    let row = |name: &str, e: &RunEnd| {
        vec![
            name.to_string(),
            format!("({})", fmt_point(&e.final_point)),
            num(e.loss, 4),
            num(e.lambda_max, 4),
            num(e.sharpness, 4),
        ]
    };
    format!(
        "Settings: η = {}, ρ = {}, {} iterations, start ({}).\n\n{}",
        num(s.eta, 4),
        s.rho,
        s.iterations,
        fmt_point(&s.start),
        table(
            &["optimizer", "final point", "f", "λ_max", "κ_ρ (exact)"],
            &[row("GD", &j.gd), row("SAM", &j.sam)]
        )
    )
}

/// The Figure 2 sections: Part A's search, the ends of the runs, the sensitivity.
/// `cfg` is the config the results were made with.
pub fn fig2_sections(r: &fig2::Results, cfg: &fig2::Config) -> Vec<Section> {
    let summary = &r.grid_summary;
    let hits = &r.grid_hits;
    let rep = &r.reproduction;
    let search = format!(
        "Starts tried: {} (a {}×{} grid over [{}, {}]×[{}, {}]); runs that diverged: {}; starts where GD alone ends within 5% of 1.225: {}; starts where **both** numbers are reproduced within 5%: **{}**. Median |λ_GD − λ_SAM| over the grid: {}; largest: {} (in the region where η = 0.1 is unstable for GD).\n{}",
        summary.starts,
        cfg.grid_x.2,
        cfg.grid_y.2,
        cfg.grid_x.0,
        cfg.grid_x.1,
        cfg.grid_y.0,
        cfg.grid_y.1,
        summary.diverged,
        summary.gd_hits,
        summary.hits,
        num(summary.median_abs_difference, 3),
        num(summary.max_abs_difference, 3),
        if hits.is_empty() {
            String::new()
        } else {
            format!(
                "\n{}",
                table(
                    &["x₀", "y₀", "λ_GD", "λ_SAM", "neighbours ±1e-3 still reproducing (of 4)", "ρ×0.5, ρ×2 still reproducing (of 2)"],
                    &hits
                        .iter()
                        .map(|h| vec![
                            num(h.x0, 4),
                            num(h.y0, 4),
                            num(h.lambda_gd, 4),
                            num(h.lambda_sam, 4),
                            h.neighbours_reproducing.to_string(),
                            h.rho_variants_reproducing.to_string()
                        ])
                        .collect::<Vec<_>>()
                )
            )
        }
    );
    let end_row = |name: &str, j: &ToyJson, e: &RunEnd| {
        vec![
            name.to_string(),
            format!("{}", j.settings.rho),
            format!(
                "({}, {})",
                num(e.final_point[0], 5),
                num(e.final_point[1], 5)
            ),
            num(e.loss, 3),
            num(e.lambda_max, 4),
            num(e.sharpness, 4),
        ]
    };
    let (paper, repro) = (&r.paper_setting, &r.reproducing_setting);
    let v = &r.verdict;
    let ends = format!(
        "Start ({}, {}), η = 0.1, 1000 iterations; κ_ρ is evaluated at each run's own ρ.\n\n{}\nReview: λ_max(GD) = 1.225, λ_max(SAM) = 0.016. Reproduced with ρ = {}: λ_GD = {} ({:+.2}%), λ_SAM = {} ({:+.2}%).\n",
        num(rep.start[0], 6),
        rep.start[1],
        table(
            &["run", "ρ", "final point", "f", "λ_max", "κ_ρ (exact)"],
            &[
                end_row("GD", paper, &paper.gd),
                end_row("SAM, paper ρ", paper, &paper.sam),
                end_row("SAM, reproducing ρ", repro, &repro.sam),
            ]
        ),
        rep.rho,
        num(rep.lambda_gd, 5),
        v.gd_error_percent,
        num(rep.lambda_sam, 5),
        v.sam_error_percent,
    );
    let sensitivity = format!(
        "Elasticity d ln λ_SAM / d ln ρ near ρ = {}: {}. On the 51-point log grid of ρ in [1e-5, 1], the points within 5% of 0.016: {}.\n\n{}",
        rep.rho,
        num(v.elasticity.unwrap_or(f64::NAN), 3),
        if v.rho_within_tolerance.is_empty() {
            "none".to_string()
        } else {
            v.rho_within_tolerance.iter().map(|r| num(*r, 4)).collect::<Vec<_>>().join(", ")
        },
        table(
            &["iterations", "λ_max GD", "λ_max SAM"],
            &r.horizon
                .iter()
                .map(|h| vec![h.iterations.to_string(), num(h.lambda_gd, 4), num(h.lambda_sam, 4)])
                .collect::<Vec<_>>()
        )
    );
    vec![
        ("fig2-search", search),
        ("fig2-ends", ends),
        ("fig2-sensitivity", sensitivity),
    ]
}
