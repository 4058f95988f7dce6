//! The generated section of `06-m-sharpness.md` for the diagonal linear network. The verdicts
//! come from [`sam_experiments::diagnet::Verdicts`]; this module only words them.

use crate::{num, table, Section};
use sam_experiments::diagnet::{DiagMethod, Results, SummaryRow, Truth, Verdicts};

/// The report file.
pub const REPORT: &str = "06-m-sharpness.md";

/// The `diagnet` section: for each ground truth, the validation picks, the verdicts and the ρ
/// grid per method.
pub fn sections(r: &Results) -> Vec<Section> {
    let text: Vec<String> = r.verdicts.iter().map(|v| block(r, v)).collect();
    vec![("diagnet", text.join("\n"))]
}

/// ρ of a row ("—" for GD, which has none).
fn rho_cell(s: &SummaryRow) -> String {
    if s.method == DiagMethod::Gd {
        "—".into()
    } else {
        num(s.rho, 3)
    }
}

/// One ground truth's part.
fn block(r: &Results, v: &Verdicts) -> String {
    let title = match v.truth {
        Truth::Nonnegative => "### Nonnegative truth, u = v = α (the protocol)",
        Truth::Signed => "### Signed truth, u = √2α, v = 0 (interpolants not unique)",
    };
    let pm = |m: f64, s: f64| format!("{} ± {}", num(m, 3), num(s, 2));
    let grid: Vec<Vec<String>> = r
        .summary
        .iter()
        .filter(|s| s.truth == v.truth)
        .map(|s| {
            // a setting where every seed diverged has no means
            let cell = |v: String| if s.finished == 0 { "—".into() } else { v };
            vec![
                s.method.name().to_string(),
                rho_cell(s),
                format!("{} of {}", s.finished, s.finished + s.diverged),
                cell(pm(s.train_loss_mean, s.train_loss_std)),
                cell(num(s.val_loss_mean, 3)),
                cell(pm(s.test_loss_mean, s.test_loss_std)),
                cell(num(s.beta_l1_mean, 4)),
            ]
        })
        .collect();
    let grid = table(
        &[
            "method",
            "ρ",
            "seeds finished",
            "train loss",
            "validation loss (mean)",
            "test loss ‖β − β*‖²/2",
            "‖β‖₁ (mean; ‖β*‖₁ = 3)",
        ],
        &grid,
    );
    let picks: Vec<Vec<String>> = v
        .picks
        .iter()
        .map(|s| {
            vec![
                s.method.name().to_string(),
                rho_cell(s),
                pm(s.test_loss_mean, s.test_loss_std),
                pm(s.train_loss_mean, s.train_loss_std),
                num(s.beta_l1_mean, 4),
            ]
        })
        .collect();
    let picks = table(
        &[
            "method",
            "ρ picked on validation",
            "test loss",
            "train loss",
            "‖β‖₁",
        ],
        &picks,
    );
    let n_div = r.diverged.iter().filter(|d| d.truth == v.truth).count();
    let diverged = if n_div == 0 {
        "No run diverged.".to_string()
    } else {
        format!(
            "{} runs diverged (non-finite iterate or gradient), all listed in `results/diagnet/diverged.csv`; their ρ are left out of the picks and the figure.",
            n_div
        )
    };
    let long: Vec<Vec<String>> = v
        .long
        .iter()
        .zip(&v.long_over_short)
        .map(|(s, ratio)| {
            vec![
                s.method.name().to_string(),
                pm(s.test_loss_mean, s.test_loss_std),
                pm(s.train_loss_mean, s.train_loss_std),
                num(*ratio, 2),
            ]
        })
        .collect();
    let long = table(
        &[
            "method (at its pick)",
            "test loss, 10× the steps",
            "train loss, 10× the steps",
            "test loss: long / short budget",
        ],
        &long,
    );
    let paired: Vec<Vec<String>> = v
        .paired
        .iter()
        .map(|p| {
            vec![
                format!("{} below {}", p.a.name(), p.b.name()),
                p.verdict(),
                num(p.geo_mean_ratio, 3),
                num(p.max_ratio, 3),
            ]
        })
        .collect();
    let paired = table(
        &[
            "test loss",
            "seed by seed",
            "geometric mean of the ratio",
            "largest ratio",
        ],
        &paired,
    );
    let text = format!(
        "{title}\n\nAt the picks (5 data seeds, mean ± std):\n\n{picks}\n\n\
         Seed by seed (same data for every method):\n\n{paired}\n\n\
         - Over the seeds' spread (unpaired mean ± std: the data seeds differ a lot), 1-SAM below \
         n-SAM: {}; n-SAM below GD: {}; 1-SAM below GD: {}.\n\
         - **Verdict** on \"the benefit comes from m = 1, not from full-batch SAM\" \
         (Andriushchenko & Flammarion; the review's \"as m decreases ... better generalization\" \
         in its sharpest form, m = 1 against m = n): **{}** at this budget.\n\
         - But 1-SAM's *training* loss is lower than GD's too: **{}**. Rerun with 10× the steps:\n\n{long}\n\n\
         - **Speed, not a different solution:** {}.\n\n{diverged}\n\n\
         The whole grid:\n\n{grid}\n",
        v.one_sam_vs_n_sam,
        v.n_sam_vs_gd,
        v.one_sam_vs_gd,
        if v.benefit_from_m1 { "holds" } else { "does not hold" },
        v.one_sam_train_vs_gd,
        if v.speed_not_solution {
            "every method's test loss falls by more than 10× with the longer budget, and GD's \
             long-budget test loss is below 1-SAM's at the default budget: all three head for the \
             same solution, 1-SAM gets there faster"
        } else {
            "not shown: some method's test loss levels off, or GD with 10× the steps stays above \
             1-SAM (see the table)"
        },
    );
    text
}

/// The `mnist-msharp` section: the picks per (batch, m), the seed-paired comparison of the
/// smallest m with m = batch, Kendall τ of m-sharpness with the gap, and the variance question.
/// The verdicts come from [`sam_experiments::mnist::msharp::Verdicts`].
pub fn msharp_sections(r: &sam_experiments::mnist::msharp::Results) -> Vec<Section> {
    let pm = |m: f64, s: f64| format!("{} ± {}", num(m, 3), num(s, 2));
    let tau = |t: Option<f64>| t.map_or("undefined".to_string(), |t| num(t, 2));
    let rows: Vec<Vec<String>> = r
        .summary
        .iter()
        .map(|s| {
            let grid: Vec<String> = r
                .runs
                .iter()
                // the grid: the first seed's runs (the seed that selects ρ)
                .filter(|x| x.batch_size == s.batch_size && x.m == s.m && x.seed == r.runs[0].seed)
                .map(|x| {
                    if x.diverged {
                        format!("{}: diverged", num(x.rho, 2))
                    } else {
                        format!("{}: {}", num(x.rho, 2), num(x.val_loss, 3))
                    }
                })
                .collect();
            vec![
                s.batch_size.to_string(),
                s.m.to_string(),
                grid.join(", "),
                num(s.rho, 2),
                pm(s.test_loss_mean, s.test_loss_std),
                pm(100.0 * s.test_acc_mean, 100.0 * s.test_acc_std),
                pm(s.gap_mean, s.gap_std),
                num(s.m_sharpness_mean, 3),
                format!("{} ({} runs)", tau(s.tau_msharp_gap), s.tau_runs),
            ]
        })
        .collect();
    let v = &r.verdicts;
    let mut text = String::from("### Picks and finals (5 seeds at each pick)\n\n");
    text += &table(
        &[
            "batch",
            "m",
            "validation loss per ρ (seed 0)",
            "picked ρ",
            "test loss",
            "test acc. (%)",
            "gap",
            "m-sharpness",
            "τ(m-sharpness, gap)",
        ],
        &rows,
    );
    text += "\n### Verdicts\n\n";
    for c in &v.smaller_m {
        text += &format!(
            "- Batch {}: m = {} against m = {} (plain SAM), seed by seed: test loss **{}** \
             (difference {} ± {} s.e., lower on {} of {} seeds; accuracy difference {} points).\n",
            c.batch_size,
            c.m,
            c.batch_size,
            c.verdict,
            num(c.mean_diff, 3),
            num(c.diff_se, 2),
            c.wins,
            c.seeds,
            num(100.0 * c.acc_diff, 2),
        );
    }
    for (b, rises) in &v.tau_rises_as_m_falls {
        text += &format!(
            "- Batch {b}: τ(m-sharpness, gap) at the smallest m {} τ at m = batch.\n",
            if *rises { "exceeds" } else { "does not exceed" }
        );
    }
    text += &format!(
        "- Per-batch κ: its mean is at least the full-batch κ for {} of {} networks.\n",
        v.batch_mean_above_full, v.variance_networks
    );
    for (b, t) in &v.tau_variance_gap {
        text += &format!(
            "- Batch {b}: τ(variance of per-batch κ, gap) over the networks at the picks: {}.\n",
            tau(*t)
        );
    }
    text += "\n### The variance question (networks at the picks)\n\n";
    let vrows: Vec<Vec<String>> = r
        .variance
        .iter()
        .map(|x| {
            vec![
                x.batch_size.to_string(),
                x.m.to_string(),
                x.seed.to_string(),
                x.batches.to_string(),
                num(x.kappa_batch_mean, 3),
                num(x.kappa_batch_var, 3),
                num(x.kappa_full, 3),
                num(x.gaussian_sharpness, 3),
                num(x.gap, 3),
            ]
        })
        .collect();
    text += &table(
        &[
            "batch",
            "m",
            "seed",
            "batches",
            "mean κ(L_B)",
            "var κ(L_B)",
            "κ(L) full batch",
            "Gaussian-average sharpness",
            "gap",
        ],
        &vrows,
    );
    text += "\n![test loss against m; m-sharpness against the gap](../figures/msharp_m.svg)\n";
    vec![("mnist-msharp", text)]
}
