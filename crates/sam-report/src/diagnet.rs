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
