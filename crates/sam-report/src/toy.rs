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
                format!(
                    "{} / {} / {} / {}",
                    r.gd_sharp, r.gd_well, r.gd_flat, r.gd_other
                ),
                format!(
                    "{} / {} / {} / {} / {} / {} / {}",
                    r.sam_sharp,
                    r.sam_well,
                    r.sam_flat,
                    r.sam_shifted_rho,
                    r.sam_near_rho,
                    r.sam_local_max,
                    r.sam_other
                ),
                r.claim_holds.to_string(),
            ]
        })
        .collect();
    let grid = format!(
        "{}\nThe review's claim (GD ends at the sharp minimum and SAM at the flat one, same η, same start) holds in **{} of {}** (η, ρ, start) cells.\n",
        table(
            &["η", "ρ", "iterations", "GD sharp / well / flat / other", "SAM sharp / well / flat / x≈ρ / near ρ / x≈x* / other", "claim holds"],
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
    let v = &r.verdict;
    let opt = |e: Option<f64>| e.map_or("none".into(), |e| num(e, 4));
    let thresholds: Vec<Vec<String>> = r
        .escape_thresholds
        .iter()
        .map(|t| {
            vec![
                if t.rho == 0.0 {
                    "GD from x₀ = offset".into()
                } else {
                    format!("SAM, ρ = {}, from x₀ = ρ + offset", t.rho)
                },
                num(t.eta_stuck, 7),
                num(t.eta_escape, 7),
            ]
        })
        .collect();
    let mut etas: Vec<f64> = r.escape.iter().map(|e| e.eta).collect();
    etas.sort_by(f64::total_cmp);
    etas.dedup();
    let mut rhos: Vec<f64> = r.escape.iter().map(|e| e.rho).collect();
    rhos.sort_by(f64::total_cmp);
    rhos.dedup();
    let outcome_rows: Vec<Vec<String>> = etas
        .iter()
        .map(|&eta| {
            let mut row = vec![num(eta, 4)];
            row.extend(rhos.iter().map(|&rho| {
                r.escape
                    .iter()
                    .find(|e| e.eta == eta && e.rho == rho)
                    .map_or("–".into(), |e| outcome_name(e.outcome).to_string())
            }));
            row
        })
        .collect();
    let mut header = vec!["η".to_string(), "GD".to_string()];
    header.extend(
        rhos.iter()
            .filter(|&&r| r > 0.0)
            .map(|r| format!("SAM ρ = {r}")),
    );
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let escape = format!(
        "GD's escape threshold from the sharp well: η = **{}**; SAM's stall at x = ρ escapes at the same η to within a relative **{}** for every ρ tried. GD at the sharp minimum happens up to η = {} on the grid, SAM at the flat minimum from a start left of the well from η = {} on: {}.\n\n{}\n{}",
        opt(v.gd_escape_eta),
        opt(v.escape_max_relative_gap),
        opt(v.gd_sharp_eta_max),
        opt(v.sam_flat_from_left_eta_min),
        if v.needs_different_eta {
            "**the two never happen at the same η**"
        } else {
            "the two ranges overlap"
        },
        table(&["run", "largest η not escaping", "smallest η escaping (bisection)"], &thresholds),
        table(&header, &outcome_rows),
    );
    vec![
        ("fig1-facts", facts_md),
        ("fig1-grid", grid),
        ("fig1-escape", escape),
        ("fig1-showcase", showcase_table(&r.showcase)),
    ]
}

/// The name of an outcome as the report's tables print it.
fn outcome_name(o: fig1::Outcome) -> &'static str {
    match o {
        fig1::Outcome::Flat => "flat",
        fig1::Outcome::Sharp => "sharp",
        fig1::Outcome::ShiftedRho => "x≈ρ",
        fig1::Outcome::LocalMax => "x≈x*",
        fig1::Outcome::Well => "well",
        fig1::Outcome::NearRho => "near ρ",
        fig1::Outcome::Other => "other",
    }
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
        "Starts tried: {} (a {}×{} grid over [{}, {}]×[{}, {}]); runs that diverged: {}; starts where GD alone ends within 5% of 1.225: {}; where SAM alone ends within 5% of 0.016: {}; starts where **both** numbers are reproduced within 5%: **{}**. Median |λ_GD − λ_SAM| over the grid: {}; largest: {} (in the region where η = 0.1 is unstable for GD).\n{}",
        summary.starts,
        cfg.grid_x.2,
        cfg.grid_y.2,
        cfg.grid_x.0,
        cfg.grid_x.1,
        cfg.grid_y.0,
        cfg.grid_y.1,
        summary.diverged,
        summary.gd_hits,
        summary.sam_hits,
        summary.hits,
        num(summary.median_abs_difference, 3),
        num(summary.max_abs_difference, 3),
        hits_table(hits),
    );
    let common = |run: &str| r.common_radius.iter().find(|c| c.run == run);
    let end_row = |name: &str, run: &str, j: &ToyJson, e: &RunEnd| {
        let c = common(run);
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
            c.map_or("–".into(), |c| num(c.kappa_paper_rho, 4)),
            c.map_or("–".into(), |c| num(c.kappa_reproducing_rho, 4)),
        ]
    };
    let (paper, repro) = (&r.paper_setting, &r.reproducing_setting);
    let v = &r.verdict;
    let ends = format!(
        "Start ({}, {}), η = 0.1, 1000 iterations. κ_ρ (own ρ) is evaluated at each run's own ρ; the last two columns evaluate every end point at the same radius, which is what decides which end point is flatter.\n\n{}\nReview: λ_max(GD) = 1.225, λ_max(SAM) = 0.016. Reproduced with ρ = {}: λ_GD = {} ({:+.2}%), λ_SAM = {} ({:+.2}%).\n",
        num(rep.start[0], 6),
        rep.start[1],
        table(
            &[
                "run",
                "ρ",
                "final point",
                "f",
                "λ_max",
                "κ_ρ (own ρ)",
                &format!("κ at ρ = {}", sam_params::show(cfg.paper_rho)),
                &format!("κ at ρ = {}", rep.rho),
            ],
            &[
                end_row("GD", "gd", paper, &paper.gd),
                end_row("SAM, paper ρ", "sam_paper_rho", paper, &paper.sam),
                end_row("SAM, reproducing ρ", "sam_reproducing_rho", repro, &repro.sam),
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
    let c = &r.chaos_summary;
    let a = &c.annulus;
    let sh = &c.shell_search;
    // the first pass's radii with a finite run, pooled in bins of 0.02 for reading
    let mut bins: Vec<(f64, [usize; 5])> = Vec::new();
    for p in r.chaos_profile.iter().filter(|p| p.finite > 0) {
        let lo = (p.radius / 0.02 + 1e-9).floor() * 0.02;
        let counts = [p.starts, p.finite, p.decorrelated, p.gd_hits, p.sam_hits];
        match bins.last_mut() {
            Some((b, c)) if *b == lo => c.iter_mut().zip(counts).for_each(|(c, n)| *c += n),
            _ => bins.push((lo, counts)),
        }
    }
    let profile_rows: Vec<Vec<String>> = bins
        .iter()
        .map(|(lo, c)| {
            let mut row = vec![format!("[{}, {})", num(*lo, 3), num(lo + 0.02, 3))];
            row.extend(c.iter().map(|n| n.to_string()));
            row
        })
        .collect();
    let band = c.shell.map_or("none (no finite run)".into(), |(lo, hi)| {
        format!("[{}, {}]", num(lo, 5), num(hi, 5))
    });
    let chaos = format!(
        "First pass: {} starts (a polar grid of {} radii × {} angles over {} ≤ |start − (1, 0)| ≤ {}, in the octant 0 < θ < 45°, which stands for all eight: f, GD and SAM are invariant under x − 1 ↦ 1 − x, y ↦ −y and swapping x − 1 with y); runs that diverged: {}; of the {} that did not, GD alone ends within 5% of 1.225 from {}, SAM alone within 5% of 0.016 from {}, **both** from **{}**. Every run from a radius beyond the last row below diverged. Per radius with a finite run (decorrelated: λ_GD and λ_SAM differ by more than a factor e):\n\n{}\nGD and SAM decorrelate only at the edge of the divergence region, so the second pass fills the shell {} with {} radii × {} angles: {} starts, {} diverged; GD alone reproduces 1.225 from {}, SAM alone 0.016 from {}, **both from {}**. Each start reproducing both numbers is re-tested with the start shifted by ±{} in x or y and with ρ × {} and × {}; **{} of {}** survive every change.\n{}",
        a.starts,
        cfg.chaos_grid.0,
        cfg.chaos_grid.1,
        cfg.chaos_radius.0,
        cfg.chaos_radius.1,
        a.diverged,
        a.starts - a.diverged,
        a.gd_hits,
        a.sam_hits,
        a.hits,
        table(
            &["radius", "starts", "finite", "decorrelated", "GD alone 1.225", "SAM alone 0.016"],
            &profile_rows
        ),
        band,
        cfg.shell_grid.0,
        cfg.shell_grid.1,
        sh.starts,
        sh.diverged,
        sh.gd_hits,
        sh.sam_hits,
        sh.hits,
        sam_params::show(fig2::PART_C_ROBUSTNESS.shift),
        fig2::PART_C_ROBUSTNESS.rho_factors[0],
        fig2::PART_C_ROBUSTNESS.rho_factors[1],
        v.chaos_robust_hits,
        v.chaos_hits,
        hits_table(&r.chaos_hits),
    );
    let pick = |point: &str| -> Vec<Vec<String>> {
        r.drift
            .iter()
            .filter(|d| d.point == point)
            .step_by(4)
            .map(|d| {
                vec![
                    d.point.replace('_', " "),
                    num(d.rho, 3),
                    num(d.measured, 4),
                    num(d.closed_form, 4),
                    num(d.first_order, 4),
                ]
            })
            .collect()
    };
    let mut drift_rows = pick("off_valley");
    drift_rows.extend(pick("valley"));
    let point = |name: &str| {
        fig2::DRIFT_POINTS
            .iter()
            .find(|p| p.0 == name)
            .map_or(String::new(), |p| {
                format!("({}, {})", p.1[0], sam_params::show(p.1[1]))
            })
    };
    let drift = format!(
        "One step from the off-valley point {} and from the valley point {} (η = {}): Q after SAM's step minus Q after GD's, run by the optimizer stack, against the closed form and its first-order term. Fitted slope of |drift| against ρ off the valley (ρ ≤ ρ_c/100): **{}**; in the valley (100ρ_c ≤ ρ ≤ 0.01): **{}**; largest gap between the measured drift and the closed form, in units of Q: {}. Over whole 1000-step runs from the Part B start, the slope of λ_GD − λ_SAM against ρ (ρ ≤ 10⁻³, the sensitivity sweep) is **{}**.\n\n{}",
        point("off_valley"),
        point("valley"),
        cfg.eta,
        num(v.drift_slope_off_valley, 4),
        num(v.drift_slope_valley, 4),
        num(v.drift_closed_form_error, 2),
        num(v.run_drift_slope, 3),
        table(
            &["point", "ρ", "ΔQ_SAM − ΔQ_GD (measured)", "closed form", "first-order term"],
            &drift_rows
        ),
    );
    vec![
        ("fig2-search", search),
        ("fig2-ends", ends),
        ("fig2-sensitivity", sensitivity),
        ("fig2-chaos", chaos),
        ("fig2-drift", drift),
    ]
}

/// The table of starts that reproduce both numbers (empty when there are none).
fn hits_table(hits: &[fig2::HitRow]) -> String {
    if hits.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| {
            vec![
                num(h.x0, 9),
                num(h.y0, 9),
                num(h.lambda_gd, 4),
                num(h.lambda_sam, 4),
                h.neighbours_reproducing.to_string(),
                h.rho_variants_reproducing.to_string(),
            ]
        })
        .collect();
    format!(
        "\n{}",
        table(
            &[
                "x₀",
                "y₀",
                "λ_GD",
                "λ_SAM",
                "shifted starts still reproducing (of 4)",
                "changed ρ still reproducing (of 2)",
            ],
            &rows
        )
    )
}
