//! The generated sections of `04-pac-bayes.md` (all but `pacbayes-mnist`, which the MNIST
//! experiment fills).

use crate::{num, table, Section};
use sam_experiments::pacbayes::{Lemma1Row, Results};

/// The report file.
pub const REPORT: &str = "04-pac-bayes.md";

fn n_cell(n: Option<u64>) -> String {
    match n {
        None => "> 2^53".to_string(),
        Some(n) if n >= 1_000_000 => format!("{n} (≈ {})", num(n as f64, 2)),
        Some(n) => n.to_string(),
    }
}

/// The generated sections of the report (all but `pacbayes-mnist`, which the MNIST experiment
/// fills once the trained networks exist).
pub fn sections(r: &Results) -> Vec<Section> {
    let cfg = &r.cfg;
    let (complexity, needed, breakdown, lemma1, klinv) =
        (&r.complexity, &r.needed, &r.terms, &r.lemma1, &r.kl_inverse);

    let layer_rows: Vec<Vec<String>> = cfg
        .layers
        .windows(2)
        .map(|w| {
            let (i, o) = (w[0] as f64, w[1] as f64);
            vec![
                format!("{} → {}", w[0], w[1]),
                (w[0] * w[1] + w[1]).to_string(),
                num(1.0 / i.sqrt(), 4),
                num((i * o + o) / (3.0 * i), 5),
            ]
        })
        .collect();
    let setup = format!(
        "{}\nd = **{}** parameters; |θ| = sqrt(E|θ|²) = **{}** (|θ|² = {}); δ = {}; ρ ∈ {{{}}}; contrast dimensions d ∈ {{{}}} with the same |θ|. Source of |θ|: {}.\n",
        table(
            &["layer", "parameters", "init bound 1/√fan_in", "E|θ_layer|²"],
            &layer_rows
        ),
        cfg.d_mnist,
        num(cfg.theta_norm, 6),
        num(cfg.theta_norm * cfg.theta_norm, 6),
        cfg.delta,
        cfg.rhos.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(", "),
        cfg.d_contrast.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "),
        cfg.theta_norm_source,
    );

    let terms_md = table(
        &[
            "ρ",
            "n",
            "d ln(1 + |θ|²/ρ² (1 + √(ln n / d))²)",
            "4 ln(n/δ)",
            "8 ln(6n + 3d)",
            "complexity term",
        ],
        &breakdown
            .iter()
            .map(|r| {
                vec![
                    r.rho.to_string(),
                    r.n.to_string(),
                    num(r.d_term, 4),
                    num(r.confidence_term, 4),
                    num(r.grid_term, 4),
                    format!("**{}**", num(r.complexity, 4)),
                ]
            })
            .collect::<Vec<_>>(),
    );

    let needed_md = table(
        &[
            "d",
            "ρ",
            "target",
            "smallest n with complexity term < target",
        ],
        &needed
            .iter()
            .map(|r| {
                let n = n_cell(r.n);
                vec![
                    cfg.d_label(r.d),
                    r.rho.to_string(),
                    format!("< {}", r.target),
                    if r.d == cfg.d_mnist {
                        format!("**{n}**")
                    } else {
                        n
                    },
                ]
            })
            .collect::<Vec<_>>(),
    );

    // The complexity at every decade of n (the grid points that are powers of ten), one column
    // per (d, ρ); empty where the curve stopped below the threshold.
    let dims = cfg.dims();
    let decades: Vec<u64> = (cfg.n_min_exp..=cfg.n_max_exp)
        .map(|e| 10u64.pow(e))
        .collect();
    let mut header = vec!["n".to_string()];
    for &d in &dims {
        for &rho in &cfg.rhos {
            header.push(format!("d = {d}, ρ = {rho}"));
        }
    }
    let grid_rows: Vec<Vec<String>> = decades
        .iter()
        .filter(|&&n| complexity.iter().any(|r| r.n == n))
        .map(|&n| {
            let mut row = vec![format!("1e{}", (n as f64).log10().round())];
            for &d in &dims {
                for &rho in &cfg.rhos {
                    row.push(
                        complexity
                            .iter()
                            .find(|r| r.d == d && r.rho == rho && r.n == n)
                            .map_or_else(|| "—".to_string(), |r| num(r.complexity, 3)),
                    );
                }
            }
            row
        })
        .collect();
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let grid_md = format!(
        "{}\n— : the curve was stopped after its first grid point below {}.\n",
        table(&header_refs, &grid_rows),
        cfg.stop_below
    );

    let mut lemma_rows = Vec::new();
    for &rho in &cfg.rhos {
        let rows: Vec<&Lemma1Row> = lemma1.iter().filter(|r| r.rho == rho).collect();
        let Some(first) = rows.first() else { continue };
        let at = |n: u64| {
            rows.iter()
                .find(|r| r.n == n)
                .map_or_else(|| "—".to_string(), |r| num(r.bound, 3))
        };
        let first_below = |t: f64| {
            rows.iter()
                .find(|r| r.bound < t)
                .map_or_else(|| "beyond the grid".to_string(), |r| num(r.n as f64, 2))
        };
        lemma_rows.push(vec![
            rho.to_string(),
            num(first.sigma_q, 3),
            num(first.sigma_p, 4),
            num(first.kl, 4),
            at(1000),
            at(100_000),
            first_below(1.0),
            first_below(0.1),
        ]);
    }
    let lemma_md = table(
        &[
            "ρ",
            "σ_Q = ρ/√d",
            "σ_P",
            "KL(Q‖P) (nats)",
            "bound at n = 1e3",
            "bound at n = 1e5",
            "first grid n with bound < 1",
            "first grid n with bound < 0.1",
        ],
        &lemma_rows,
    );

    let klinv_md = table(
        &[
            "q (empirical risk)",
            "c (budget)",
            "kl-inverse p",
            "Pinsker q + √(c/2)",
            "Pinsker − kl-inverse",
        ],
        &klinv
            .iter()
            .map(|r| {
                vec![
                    r.q.to_string(),
                    r.budget.to_string(),
                    num(r.kl_inverse, 4),
                    num(r.pinsker, 4),
                    num(r.pinsker - r.kl_inverse, 3),
                ]
            })
            .collect::<Vec<_>>(),
    );

    let compare_md = table(
        &[
            "ρ",
            "n",
            "Theorem 1 complexity",
            "Lemma 1 bound (same oracle prior)",
            "ratio",
            "Theorem 1's d-term / KL(Q‖P)",
        ],
        &r.comparison
            .iter()
            .map(|c| {
                vec![
                    format!("{}", c.rho),
                    c.n.to_string(),
                    num(c.theorem1, 4),
                    num(c.lemma1, 4),
                    num(c.ratio, 4),
                    num(c.d_term_over_kl, 5),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let assumption_md = format!(
        "{}\nAt the local minimum the assumption fails for every variance above **{}** (bisection on the quadrature; the closed form gives the golden ratio (1 + √5)/2 = {}).\n",
        table(
            &["case", "variance v of ε", "L(θ)", "E L(θ + ε), closed form", "E L(θ + ε), quadrature", "assumption holds"],
            &r.assumption
                .iter()
                .map(|a| {
                    vec![
                        match a.case.as_str() {
                            "local_min" => "(1 + x²)e^{−x²/2} at its local minimum 0".to_string(),
                            "convex" => "eˣ at 0 (convex, not a minimum)".to_string(),
                            other => other.to_string(),
                        },
                        format!("{}", a.variance),
                        num(a.loss_at_theta, 4),
                        num(a.average_closed_form, 6),
                        num(a.average_quadrature, 6),
                        if a.holds { "yes".into() } else { "**no**".into() },
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        num(r.local_min_threshold, 8),
        num((1.0 + 5f64.sqrt()) / 2.0, 8),
    );
    vec![
        ("pacbayes-compare", compare_md),
        ("pacbayes-assumption", assumption_md),
        ("pacbayes-setup", setup),
        ("pacbayes-terms", terms_md),
        ("pacbayes-needed", needed_md),
        ("pacbayes-grid", grid_md),
        ("pacbayes-lemma1", lemma_md),
        ("pacbayes-klinv", klinv_md),
    ]
}
