//! The generated sections of `02-sharpness.md`.

use crate::{num, table, Section};
use sam_experiments::sharpness::Results;

/// The report file.
pub const REPORT: &str = "02-sharpness.md";

/// The generated sections of the sharpness report.
pub fn sections(r: &Results) -> Vec<Section> {
    let (verdicts, cost, meta) = (&r.verdicts, &r.cost, &r.meta);
    let points_md = table(
        &["objective", "label", "point", "why this point"],
        &meta.config["points"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|p| {
                        vec![
                            p["objective"].as_str().unwrap_or("").to_string(),
                            p["label"].as_str().unwrap_or("").to_string(),
                            format!("{}", p["point"]),
                            p["note"].as_str().unwrap_or("").to_string(),
                        ]
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
    );
    let verdict_md = table(
        &[
            "objective",
            "point",
            "quantity",
            "measured",
            "review implies",
        ],
        &verdicts
            .iter()
            .map(|v| {
                vec![
                    v.objective.clone(),
                    v.label.clone(),
                    v.quantity.clone(),
                    num(v.value, 4),
                    num(v.review, 3),
                ]
            })
            .collect::<Vec<_>>(),
    );
    let far: Vec<Vec<String>> = r
        .far_from_first_order()
        .into_iter()
        .map(|r| {
            vec![
                r.objective.clone(),
                r.label.clone(),
                num(r.rho, 3),
                num(r.exact, 5),
                num(r.first_order, 5),
                num(r.second_order, 5),
                num(r.argmax_dist_first_order, 3),
            ]
        })
        .collect();
    let far_md = if far.is_empty() {
        "No (point, ρ) where the maximizer is far from ρg/‖g‖.".to_string()
    } else {
        table(
            &[
                "objective",
                "point",
                "ρ",
                "κ exact",
                "ρ‖g‖",
                "second order",
                "‖argmax − ρg/‖g‖‖/ρ",
            ],
            &far,
        )
    };
    let max_gap = r.max_certificate_gap();
    let cost_md = format!(
        "{}\nLargest certificate gap (upper bound − κ) over the sweep: {}.\n",
        table(
            &[
                "estimator",
                "objective",
                "d",
                "median time per call",
                "evaluations",
                "HVPs",
                "dense Hessians"
            ],
            &cost
                .iter()
                .map(|c| {
                    vec![
                        c.estimator.clone(),
                        c.objective.clone(),
                        c.dim.to_string(),
                        format!("{} µs", num(c.median_seconds * 1e6, 3)),
                        c.evaluations.to_string(),
                        c.hvps.to_string(),
                        c.hessians.to_string(),
                    ]
                })
                .collect::<Vec<_>>()
        ),
        num(max_gap, 3)
    );
    let ex2 = r.example2_at_practical_radii();
    let mut header = vec!["objective".to_string(), "point".into(), "λ₁".into()];
    header.extend(
        sam_experiments::sharpness::PRACTICAL_RADII
            .iter()
            .map(|rho| format!("κ/(ρ²λ₁) at ρ = {rho}")),
    );
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let ex2_md = table(
        &header,
        &ex2.iter()
            .map(|e| {
                let mut row = vec![e.objective.clone(), e.label.clone(), num(e.lambda_max, 5)];
                row.extend(e.ratios.iter().map(|(_, q)| num(*q, 4)));
                row
            })
            .collect::<Vec<_>>(),
    );
    vec![
        ("sharpness-points", points_md),
        ("sharpness-verdicts", verdict_md),
        ("sharpness-example2", ex2_md),
        ("sharpness-far", far_md),
        ("sharpness-cost", cost_md),
    ]
}
