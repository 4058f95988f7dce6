//! The generated sections of `05-convergence.md` (Theorem 2, its T = 1 counterexample, the
//! constant-ρ floor).

use crate::{num, table, Section};
use sam_convergence::Noise;
use sam_experiments::convergence::{FloorKind, FloorRow, Results};

/// The report file.
pub const REPORT: &str = "05-convergence.md";

fn opt(v: Option<f64>, sig: usize) -> String {
    v.map_or_else(|| "undefined".into(), |v| num(v, sig))
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn setup_section(d: &Results) -> String {
    let s = &d.summary;
    let c = &d.cfg.theorem2;
    let vec_fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let grid = d
        .rows
        .iter()
        .map(|r| r.t.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    table(
        &["quantity", "value"],
        &[
            vec![
                "objective".into(),
                format!(
                    "Σᵢ aᵢ log cosh(xᵢ − cᵢ) + bᵢ(1 − cos(xᵢ − cᵢ)), d = {}, a = ({}), b = ({}), c = ({})",
                    s.dim,
                    vec_fmt(c.problem.a()),
                    vec_fmt(c.problem.b()),
                    vec_fmt(c.problem.c())
                ),
            ],
            vec!["start x₀".into(), format!("({})", vec_fmt(&c.x0))],
            vec!["f(x₀) (f* = 0)".into(), num(s.f0, 4)],
            vec!["G = ‖a + b‖ (Assumption 1)".into(), num(s.g, 4)],
            vec!["L = maxᵢ(aᵢ + bᵢ) (Assumption 3)".into(), num(s.l, 4)],
            vec![
                format!(
                    "σ (Assumption 2, {} noise)",
                    match c.noise {
                        Noise::Gaussian => "Gaussian",
                        Noise::Uniform => "uniform",
                    }
                ),
                num(s.sigma, 4),
            ],
            vec!["η₀, with η_t = η₀/√(t+1)".into(), num(s.eta0, 4)],
            vec![
                "ρ₀, with ρ_t = ρ₀/√(t+1); hypothesis ρ₀ ≤ Gη₀".into(),
                format!("{} ≤ {}", num(s.rho0, 4), num(s.g_eta0, 4)),
            ],
            vec!["η₀L".into(), num(s.eta0_l, 3)],
            vec!["C2 = 2(Lσ²η₀ + LGρ₀)".into(), num(s.c2, 4)],
            vec![
                "independent seeds (base seed)".into(),
                format!("{} ({})", s.seeds, c.base_seed),
            ],
            vec!["T grid (steps)".into(), grid],
        ],
    )
}

fn theorem2_section(d: &Results) -> String {
    let s = &d.summary;
    let v = &d.verdicts;
    let slope_at = |t: usize| v.local_slopes.iter().find(|s| s.t == t).map(|s| s.slope);
    let rows: Vec<Vec<String>> = d
        .rows
        .iter()
        .map(|r| {
            let sl = slope_at(r.t);
            vec![
                r.t.to_string(),
                num(r.lhs_mean, 4),
                format!("[{}, {}]", num(r.lhs_ci_lo, 4), num(r.lhs_ci_hi, 4)),
                num(r.c1, 4),
                num(r.c1_term, 4),
                num(r.c2_term, 4),
                num(r.rhs, 4),
                num(r.ratio, 3),
                num(r.c1_term / r.lhs_mean, 3),
                sl.map_or_else(|| "–".into(), |v| num(v, 3)),
            ]
        })
        .collect();
    format!(
        "{}\nThe bound holds at every T (the whole {}% interval of the LHS at or below the RHS evaluated at the upper end of the interval for E f(x_T)): **{}**. RHS/LHS ranges from **{}** to **{}**; over this grid it grows like T^{} and (C1/√T)/LHS like T^{} (log-log slopes; √T would be T^0.5).\n\nLeast-squares slopes of ln(·) on ln T over this grid: measured LHS **{}**; RHS {}; the stated rate ln T/√T {}. Local slope of the LHS between the last two grid points: **{}**{}.\n",
        table(
            &[
                "T",
                "LHS mean",
                "LHS CI",
                "C1",
                "C1/√T",
                "C2 lnT/√T",
                "RHS",
                "RHS/LHS",
                "(C1/√T)/LHS",
                "local slope",
            ],
            &rows
        ),
        num(100.0 * s.confidence, 2),
        yes(s.holds),
        opt(s.min_ratio, 3),
        opt(s.max_ratio, 3),
        opt(v.ratio_growth, 2),
        opt(v.c1_growth, 2),
        opt(s.slope, 3),
        opt(s.rhs_slope, 3),
        opt(v.rate_slope, 3),
        d.rows
            .last()
            .and_then(|r| slope_at(r.t))
            .map_or_else(|| "undefined".into(), |v| num(v, 3)),
        v.steepest.map_or_else(String::new, |s| format!(
            "; steepest local slope {} at T = {}",
            num(s.slope, 3),
            s.t
        )),
    )
}

fn counterexample_section(d: &Results) -> String {
    let s = &d.cex_summary;
    let c = &d.cfg.counterexample;
    let rows: Vec<Vec<String>> = d
        .cex
        .iter()
        .zip(&d.verdicts.cex_holds)
        .map(|(r, holds)| {
            vec![
                r.t.to_string(),
                num(r.lhs_mean, 4),
                num(r.f_t_mean, 4),
                num(r.c1, 4),
                num(r.c2_term, 4),
                num(r.rhs, 4),
                yes(*holds).into(),
            ]
        })
        .collect();
    let first = d.cex.first();
    format!(
        "Instance: f(x) = log cosh x (G = {}, L = {}), σ = {}, η₀ = {}, ρ₀ = {} (= Gη₀), x₀ = {}, so f(x₀) = {}.\n\n{}\nAt T = {}: E f(x_T) = {} > f(x₀), so C1 = {} < 0 and the RHS is {}, below the LHS {}. For every later T of the grid the bound holds: **{}**.\n",
        num(s.g, 3),
        num(s.l, 3),
        s.sigma,
        s.eta0,
        s.rho0,
        c.x0.first().copied().unwrap_or(f64::NAN),
        num(s.f0, 4),
        table(
            &["T", "LHS", "E f(x_T)", "C1", "C2 lnT/√T", "RHS", "LHS ≤ RHS"],
            &rows
        ),
        first.map_or(0, |r| r.t),
        first.map_or_else(|| "–".into(), |r| num(r.f_t_mean, 4)),
        first.map_or_else(|| "–".into(), |r| num(r.c1, 4)),
        first.map_or_else(|| "–".into(), |r| num(r.rhs, 4)),
        first.map_or_else(|| "–".into(), |r| num(r.lhs_mean, 4)),
        yes(d.verdicts.cex_later_hold),
    )
}

fn small_t_section(d: &Results) -> String {
    let v = &d.verdicts;
    let rows: Vec<Vec<String>> = d
        .small_t
        .iter()
        .zip(&v.small_t_holds)
        .map(|(r, h)| {
            vec![
                r.t.to_string(),
                num(r.lhs_mean, 4),
                format!("[{}, {}]", num(r.lhs_ci_lo, 4), num(r.lhs_ci_hi, 4)),
                num(r.c1, 4),
                num(r.c2_term, 4),
                format!("[{}, {}]", num(r.rhs_lo, 4), num(r.rhs_hi, 4)),
                yes(*h).into(),
            ]
        })
        .collect();
    let from = |t: Option<usize>| t.map_or("none of the grid".into(), |t| format!("T = {t}"));
    format!(
        "The main instance (setup table above) at every T from 1 to 10:\n\n{}\nOn the main instance the bound holds (whole Monte Carlo interval) from **{}** on, through the largest T of the main grid; on the log cosh counterexample (whose grid also has every T up to 10) from **{}** on.\n",
        table(
            &["T", "LHS mean", "LHS CI", "C1", "C2 lnT/√T", "RHS CI", "LHS ≤ RHS"],
            &rows
        ),
        from(v.main_holds_from),
        from(v.cex_holds_from),
    )
}

fn rho0_section(d: &Results) -> String {
    let rows: Vec<Vec<String>> = d
        .rho0
        .iter()
        .map(|r| {
            vec![
                r.label.clone(),
                num(r.rho0, 4),
                yes(r.within_hypothesis).into(),
                num(r.slope, 4),
                num(r.rhs_slope, 4),
                num(r.lhs_at_t_max, 4),
                num(r.min_ratio, 4),
                yes(r.holds).into(),
            ]
        })
        .collect();
    format!(
        "{}\nThe fitted rates differ by at most **{}** over the sweep.\n",
        table(
            &[
                "ρ₀",
                "value",
                "ρ₀ ≤ Gη₀",
                "fitted slope of LHS",
                "slope of the stated RHS",
                "LHS at the largest T",
                "min RHS/LHS",
                "bound holds"
            ],
            &rows
        ),
        opt(d.verdicts.rho0_slope_spread, 3),
    )
}

fn floor_section(d: &Results) -> String {
    let fl = &d.cfg.floor;
    let a = fl.eta * fl.lambda;
    let regime = &d.verdicts.floor_regime;
    let long = fl.steps;
    let pick = |steps: usize, kind: FloorKind, rho: f64| {
        d.floor
            .iter()
            .find(|r| r.steps == steps && r.kind == kind && r.rho == rho)
    };
    let cell = |r: Option<&FloorRow>| r.map_or_else(|| "–".into(), |r| num(r.floor, 4));
    let cf = |r: Option<&FloorRow>| {
        r.and_then(|r| r.closed_form)
            .map_or_else(|| "–".into(), |v| num(v, 4))
    };
    let rel = |r: Option<&FloorRow>| {
        r.and_then(|r| Some((r.floor, r.closed_form?)))
            .map_or_else(|| "–".into(), |(f, c)| num((f - c).abs(), 2))
    };
    let ratio = |r: Option<&FloorRow>| {
        r.and_then(|r| Some(r.floor / r.closed_form?))
            .filter(|v| v.is_finite())
            .map_or_else(|| "–".into(), |v| num(v, 6))
    };
    let long_rows: Vec<Vec<String>> = fl
        .rhos
        .iter()
        .map(|&rho| {
            let c = pick(long, FloorKind::Constant, rho);
            let dec = pick(long, FloorKind::Decaying, rho);
            vec![
                format!("{rho}"),
                cell(c),
                cf(c),
                rel(c),
                cell(dec),
                cf(dec),
                ratio(dec),
            ]
        })
        .collect();
    let short = d.cfg.floor_short.steps;
    let short_rows: Vec<Vec<String>> = d
        .cfg
        .floor_short
        .rhos
        .iter()
        .map(|&rho| {
            let c = pick(short, FloorKind::Constant, rho);
            let u = pick(short, FloorKind::Unnormalized, rho);
            vec![format!("{rho}"), cell(c), cf(c), cell(u), cf(u), rel(u)]
        })
        .collect();
    format!(
        "λ = {}, η = {}, ηλ = {} ({regime}); w₀ = 1; the floor is max \\|w_t\\| over the last 10% of the N steps; ρ_s = ρ/√s at the window's first iterate s.\n\n**N = {long} steps.**\n\n{}\nUnnormalized SAM after N = {long} steps: largest floor over these ρ = {} (closed form \\|q\\|^t with q = 1 − ηλ(1 + ρλ): largest {}){}.\n\n**N = {short} steps**, where unnormalized SAM is still above f64 underflow:\n\n{}",
        fl.lambda,
        fl.eta,
        a,
        table(
            &[
                "ρ",
                "constant ρ: floor",
                "w* = ηλρ/(2−ηλ)",
                "abs. error",
                "ρ/√(t+1): floor",
                "adiabatic approx. ηλρ_s/(2−ηλ)",
                "floor / approx.",
            ],
            &long_rows
        ),
        num(d.verdicts.unnormalized_long_floor.unwrap_or(f64::NAN), 4),
        num(d.verdicts.unnormalized_long_closed_form.unwrap_or(f64::NAN), 4),
        if d.verdicts.unnormalized_long_underflows {
            ": underflow, below the smallest normal f64"
        } else {
            ""
        },
        table(
            &[
                "ρ",
                "normalized: floor",
                "w*",
                "unnormalized: floor",
                "closed form \\|q\\|^t",
                "abs. error",
            ],
            &short_rows
        ),
    )
}

/// The generated sections of `05-convergence.md`.
pub fn sections(d: &Results) -> Vec<Section> {
    vec![
        ("convergence-setup", setup_section(d)),
        ("convergence-theorem2", theorem2_section(d)),
        ("convergence-t1", counterexample_section(d)),
        ("convergence-floor", floor_section(d)),
        ("convergence-small-t", small_t_section(d)),
        ("convergence-rho0", rho0_section(d)),
    ]
}
