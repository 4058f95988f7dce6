//! The generated section of `07-label-noise.md`. The verdicts come from
//! [`sam_experiments::mnist::noise::Verdicts`]; this module only words them.

use crate::{num, table, Section};
use sam_experiments::mnist::noise::{Results, METHODS};
use sam_experiments::mnist::Paired;

/// The report file.
pub const REPORT: &str = "07-label-noise.md";

fn pct(v: f64) -> String {
    num(100.0 * v, 3)
}

fn pm(m: f64, s: f64) -> String {
    format!("{} ± {}", num(100.0 * m, 3), num(100.0 * s, 2))
}

fn opt_pct(v: Option<f64>) -> String {
    v.map_or("—".into(), pct)
}

fn words(d: &Paired) -> String {
    format!(
        "{} ({} ± {} points, s.e.; below SGD on {} of {} seeds)",
        d.verdict,
        num(100.0 * d.mean_diff, 2),
        num(100.0 * d.diff_se, 2),
        d.below,
        d.seeds
    )
}

/// The `mnist-noise` section: the validation grid and picks, the finals at the picks, the
/// seed-paired comparisons with SGD, memorization and the sharpness of the networks.
pub fn sections(r: &Results) -> Vec<Section> {
    let first = r.runs.iter().map(|x| x.seed).min().unwrap_or(0);
    let mut text =
        String::from("### Picks and finals (clean test accuracy, %, 5 seeds at each pick)\n\n");
    let rows: Vec<Vec<String>> = r
        .summary
        .iter()
        .map(|s| {
            let grid: Vec<String> = r
                .runs
                .iter()
                .filter(|x| x.p == s.p && x.method == s.method && x.seed == first)
                .map(|x| {
                    let acc = if x.diverged {
                        "diverged".into()
                    } else {
                        pct(x.best_val_acc)
                    };
                    if x.method == "sgd" {
                        acc
                    } else {
                        format!("{}: {acc}", num(x.rho, 2))
                    }
                })
                .collect();
            vec![
                num(s.p, 1),
                s.method.clone(),
                grid.join(", "),
                if s.method == "sgd" {
                    "—".into()
                } else {
                    num(s.rho, 2)
                },
                pm(s.test_acc_best_mean, s.test_acc_best_std),
                num(s.best_epoch_mean, 3),
                pm(s.test_acc_final_mean, s.test_acc_final_std),
                opt_pct(s.noisy_train_acc_best_mean),
                opt_pct(s.noisy_train_acc_final_mean),
            ]
        })
        .collect();
    text += &table(
        &[
            "p",
            "method",
            "best validation acc. per ρ (seed 0)",
            "picked ρ",
            "test acc. at best epoch",
            "best epoch (mean)",
            "test acc. at final epoch",
            "memorized at best epoch",
            "memorized at final epoch",
        ],
        &rows,
    );
    text += "\n\"Memorized\": training accuracy on the flipped samples against their noisy labels \
             (%): 100 when every noisy label is learned, about 10 for a random guess, and 0 for a \
             network that predicts the true class of every flipped sample.\n";
    text += "\n### Verdicts (computed with the experiment)\n\n";
    for a in &r.verdicts.against_sgd {
        text += &format!(
            "- p = {}: {} against SGD, clean test accuracy at the best epoch {}; at the final \
             epoch {}.\n",
            num(a.p, 1),
            a.method,
            words(&a.best),
            words(&a.last)
        );
    }
    let picks: Vec<String> = r
        .verdicts
        .sam_rho
        .iter()
        .map(|(p, rho)| format!("p = {}: {}", num(*p, 1), num(*rho, 2)))
        .collect();
    text += &format!(
        "- SAM's ρ picked on validation: {}; smaller at the highest noise than at the lower \
         ones: {}.\n",
        picks.join(", "),
        match r.verdicts.sam_rho_smaller_at_highest_noise {
            Some(true) => "yes",
            Some(false) => "no",
            None => "undefined (fewer than two positive noise levels)",
        }
    );
    for (p, m, after) in &r.verdicts.memorizes_after_best {
        if *after {
            text += &format!(
                "- p = {}: {m} memorizes the noisy labels after its best epoch (final \
                 memorization more than 10 points above the best epoch's).\n",
                num(*p, 1)
            );
        }
    }
    text += "\n### Sharpness of the networks (seed 0 at each pick, final epoch, training loss \
             on the labels trained on)\n\n";
    let mut srows = Vec::new();
    for m in METHODS {
        for s in r.sharpness.iter().filter(|s| s.method == m) {
            srows.push(vec![
                m.to_string(),
                num(s.p, 1),
                if m == "sgd" {
                    "—".into()
                } else {
                    num(s.rho, 2)
                },
                num(s.train_loss, 3),
                num(s.lambda_max, 3),
                format!("{} ± {}", num(s.trace, 3), num(s.trace_se, 2)),
                num(s.kappa, 3),
            ]);
        }
    }
    text += &table(
        &[
            "method",
            "p",
            "ρ",
            "train loss",
            "λ_max",
            "trace (± s.e.)",
            "κ lower bound",
        ],
        &srows,
    );
    text += "\n![memorization](../figures/noise_memorization.svg)\n\n\
             ![SAM's grid](../figures/noise_heatmap_sam.svg)\n\n\
             ![1-SAM's grid](../figures/noise_heatmap_1-sam.svg)\n";
    vec![("mnist-noise", text)]
}
