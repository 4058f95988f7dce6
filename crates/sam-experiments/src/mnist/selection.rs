//! Validation-based selection for the MNIST experiment (issue 11, items 7-10): sweep picks made
//! on the validation set (training images 1000-5999, never trained on), early stopping on it,
//! and the analyses of the review's sentences that need whole curves (the gap ratio over SGD's
//! learning rates and at matched training loss, epochs to reach a training loss).
//!
//! Test numbers are reported only for settings picked on validation; the reference protocol
//! (the anchors' defaults) is kept beside them for comparability with the review.

use super::{RunRow, OPTIMIZERS};
use sam_mnist::train::EpochRow;
use sam_results::mean_std;
use serde::{Deserialize, Serialize};

/// What a setting or an epoch is selected by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// The lowest validation loss.
    ValLoss,
    /// The highest validation accuracy.
    ValAcc,
}

impl Criterion {
    /// Both criteria, in report order.
    pub const ALL: [Criterion; 2] = [Criterion::ValLoss, Criterion::ValAcc];

    /// The name used in the results files.
    ///
    /// ```
    /// use sam_experiments::mnist::selection::Criterion;
    /// assert_eq!(Criterion::ValAcc.name(), "val_acc");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Criterion::ValLoss => "val_loss",
            Criterion::ValAcc => "val_acc",
        }
    }

    /// The row's score, larger is better (None without a validation set).
    fn score(self, r: &EpochRow) -> Option<f64> {
        match self {
            Criterion::ValLoss => r.val_loss.map(|v| -v),
            Criterion::ValAcc => r.val_acc,
        }
    }
}

/// The early-stopping epoch of a run: the first epoch with the best score under `c` (None if the
/// run has no validation set).
///
/// ```
/// use sam_experiments::mnist::selection::{stop_epoch, Criterion};
/// use sam_mnist::train::EpochRow;
/// let row = |epoch, v: f64| EpochRow { epoch, grad_evals: 0, train_loss: 0.0, train_acc: 0.0,
///     test_loss: 0.0, test_acc: 0.0, gap: 0.0, wall_s: 0.0, cpu_s: 0.0,
///     val_loss: Some(v), val_acc: Some(1.0 - v), clean_train_acc: None, noisy_train_acc: None };
/// let rows = vec![row(0, 2.0), row(1, 0.5), row(2, 0.5), row(3, 0.7)];
/// assert_eq!(stop_epoch(&rows, Criterion::ValLoss), Some(1));
/// ```
pub fn stop_epoch(rows: &[EpochRow], c: Criterion) -> Option<usize> {
    let mut best: Option<(f64, usize)> = None;
    for (i, r) in rows.iter().enumerate() {
        let s = c.score(r)?;
        if best.is_none_or(|(b, _)| s > b) {
            best = Some((s, i));
        }
    }
    best.map(|(_, i)| i)
}

/// One optimizer's sweep pick under one criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    /// "val_loss" or "val_acc".
    pub criterion: String,
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Learning rate picked.
    pub lr: f64,
    /// ρ picked (0 for SGD and Adam).
    pub rho: f64,
    /// The validation loss (val_loss) or accuracy (val_acc) at the pick's stopping epoch.
    pub val_score: f64,
    /// That epoch.
    pub stop_epoch: usize,
}

/// For each optimizer and criterion, the sweep setting with the best validation score at its own
/// early-stopping epoch (`curves`: one sweep run's rows per entry; ties: the first in sweep
/// order).
pub fn picks(curves: &[(&RunRow, &[EpochRow])]) -> Vec<Pick> {
    let mut out = Vec::new();
    for c in Criterion::ALL {
        for o in OPTIMIZERS {
            let mut best: Option<(f64, &RunRow, usize)> = None;
            for (run, rows) in curves.iter().filter(|(r, _)| r.optimizer == o) {
                let Some(e) = stop_epoch(rows, c) else {
                    continue;
                };
                let Some(s) = c.score(&rows[e]) else { continue };
                if best.is_none_or(|(b, _, _)| s > b) {
                    best = Some((s, run, rows[e].epoch));
                }
            }
            if let Some((s, run, epoch)) = best {
                out.push(Pick {
                    criterion: c.name().into(),
                    optimizer: o.into(),
                    lr: run.lr,
                    rho: run.rho,
                    val_score: if c == Criterion::ValLoss { -s } else { s },
                    stop_epoch: epoch,
                });
            }
        }
    }
    out
}

/// One protocol run with its final and early-stopped test numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoppedRow {
    /// "reference" (the anchors' defaults), "val_loss" or "val_acc" (settings picked on
    /// validation by that criterion).
    pub protocol: String,
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Learning rate.
    pub lr: f64,
    /// ρ.
    pub rho: f64,
    /// Seed.
    pub seed: u64,
    /// Final test loss.
    pub final_test_loss: f64,
    /// Final test accuracy.
    pub final_test_acc: f64,
    /// Final gap.
    pub final_gap: f64,
    /// Epoch of the lowest validation loss.
    pub loss_stop_epoch: usize,
    /// Test loss there.
    pub loss_stop_test_loss: f64,
    /// Epoch of the highest validation accuracy.
    pub acc_stop_epoch: usize,
    /// Test accuracy there.
    pub acc_stop_test_acc: f64,
}

/// The [`StoppedRow`] of one run (None without a validation set or rows).
pub fn stopped_row(protocol: &str, run: &RunRow, rows: &[EpochRow]) -> Option<StoppedRow> {
    let last = rows.last()?;
    let l = stop_epoch(rows, Criterion::ValLoss)?;
    let a = stop_epoch(rows, Criterion::ValAcc)?;
    Some(StoppedRow {
        protocol: protocol.into(),
        optimizer: run.optimizer.clone(),
        lr: run.lr,
        rho: run.rho,
        seed: run.seed,
        final_test_loss: last.test_loss,
        final_test_acc: last.test_acc,
        final_gap: last.gap,
        loss_stop_epoch: rows[l].epoch,
        loss_stop_test_loss: rows[l].test_loss,
        acc_stop_epoch: rows[a].epoch,
        acc_stop_test_acc: rows[a].test_acc,
    })
}

/// Mean and standard deviation over the seeds of one (protocol, optimizer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoppedSummary {
    /// See [`StoppedRow::protocol`].
    pub protocol: String,
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Learning rate.
    pub lr: f64,
    /// ρ.
    pub rho: f64,
    /// Seeds.
    pub runs: usize,
    /// Final test loss, mean.
    pub final_test_loss_mean: f64,
    /// Its std.
    pub final_test_loss_std: f64,
    /// Final test accuracy, mean.
    pub final_test_acc_mean: f64,
    /// Its std.
    pub final_test_acc_std: f64,
    /// Final gap, mean.
    pub final_gap_mean: f64,
    /// Its std.
    pub final_gap_std: f64,
    /// Test loss at the lowest validation loss, mean.
    pub loss_stop_test_loss_mean: f64,
    /// Its std.
    pub loss_stop_test_loss_std: f64,
    /// Test accuracy at the highest validation accuracy, mean.
    pub acc_stop_test_acc_mean: f64,
    /// Its std.
    pub acc_stop_test_acc_std: f64,
}

/// Summaries of `rows` per (protocol, optimizer), in the order the pairs first appear.
pub fn summarize_stopped(rows: &[StoppedRow]) -> Vec<StoppedSummary> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for r in rows {
        let k = (r.protocol.clone(), r.optimizer.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .filter_map(|(p, o)| {
            let mine: Vec<&StoppedRow> = rows
                .iter()
                .filter(|r| r.protocol == p && r.optimizer == o)
                .collect();
            let first = mine.first()?;
            let col = |f: &dyn Fn(&StoppedRow) -> f64| {
                mean_std(&mine.iter().map(|r| f(r)).collect::<Vec<_>>())
            };
            let (a, b) = col(&|r| r.final_test_loss);
            let (c, d) = col(&|r| r.final_test_acc);
            let (e, f) = col(&|r| r.final_gap);
            let (g, h) = col(&|r| r.loss_stop_test_loss);
            let (i, j) = col(&|r| r.acc_stop_test_acc);
            Some(StoppedSummary {
                protocol: p.clone(),
                optimizer: o.clone(),
                lr: first.lr,
                rho: first.rho,
                runs: mine.len(),
                final_test_loss_mean: a,
                final_test_loss_std: b,
                final_test_acc_mean: c,
                final_test_acc_std: d,
                final_gap_mean: e,
                final_gap_std: f,
                loss_stop_test_loss_mean: g,
                loss_stop_test_loss_std: h,
                acc_stop_test_acc_mean: i,
                acc_stop_test_acc_std: j,
            })
        })
        .collect()
}

/// SAM's gap over SGD's at one SGD learning rate of the sweep (SAM at the reference setting).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapRatioRow {
    /// SGD's learning rate.
    pub sgd_lr: f64,
    /// SGD's final gap there.
    pub sgd_gap: f64,
    /// SAM's final gap at the reference setting (same seed).
    pub sam_gap: f64,
    /// sam_gap / sgd_gap.
    pub ratio: f64,
}

/// The gap ratio at matched training loss: SGD taken at the first epoch where its mean training
/// loss (over the reference protocol's seeds) is at or below SAM's final mean training loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedGap {
    /// SAM's final mean training loss.
    pub sam_train_loss: f64,
    /// The SGD epoch matched to it.
    pub sgd_epoch: usize,
    /// SGD's mean training loss there.
    pub sgd_train_loss: f64,
    /// Per-seed ratio SAM final gap / SGD gap at that epoch: mean.
    pub ratio_mean: f64,
    /// Its std over the seeds.
    pub ratio_std: f64,
    /// Seeds.
    pub seeds: usize,
}

/// Per seed, the rows of one optimizer's run in the reference protocol, in epoch order.
fn by_seed<'a>(curves: &'a [RunRow], optimizer: &str) -> Vec<(u64, Vec<&'a RunRow>)> {
    let mut out: Vec<(u64, Vec<&RunRow>)> = Vec::new();
    for r in curves.iter().filter(|r| r.optimizer == optimizer) {
        match out.iter_mut().find(|(s, _)| *s == r.seed) {
            Some((_, v)) => v.push(r),
            None => out.push((r.seed, vec![r])),
        }
    }
    out
}

/// [`MatchedGap`] from the reference protocol's curves (None if SGD never gets that low or a
/// seed is missing).
pub fn matched_gap(curves: &[RunRow]) -> Option<MatchedGap> {
    let (sgd, sam) = (by_seed(curves, "sgd"), by_seed(curves, "sam"));
    let sam_final: Vec<(u64, f64, f64)> = sam
        .iter()
        .map(|(s, rows)| rows.last().map(|r| (*s, r.train_loss, r.gap)))
        .collect::<Option<_>>()?;
    let sam_train_loss = mean_std(&sam_final.iter().map(|r| r.1).collect::<Vec<_>>()).0;
    let epochs = sgd.first()?.1.len();
    let mean_at = |e: usize| {
        let v: Vec<f64> = sgd.iter().map(|(_, rows)| rows[e].train_loss).collect();
        mean_std(&v).0
    };
    let e = (0..epochs).find(|&e| mean_at(e) <= sam_train_loss)?;
    let ratios: Vec<f64> = sam_final
        .iter()
        .map(|(seed, _, gap)| {
            let rows = &sgd.iter().find(|(s, _)| s == seed)?.1;
            Some(gap / rows[e].gap)
        })
        .collect::<Option<_>>()?;
    let (m, s) = mean_std(&ratios);
    Some(MatchedGap {
        sam_train_loss,
        sgd_epoch: sgd[0].1[e].epoch,
        sgd_train_loss: mean_at(e),
        ratio_mean: m,
        ratio_std: s,
        seeds: ratios.len(),
    })
}

/// Epochs (and gradient evaluations) one optimizer needs to bring its training loss to a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConvergenceRow {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// The training-loss level.
    pub level: f64,
    /// Seeds that reached it.
    pub reached: usize,
    /// Seeds.
    pub seeds: usize,
    /// First epoch at or below the level, mean over the seeds that reached it (none reached:
    /// empty).
    pub epochs_mean: Option<f64>,
    /// Its std.
    pub epochs_std: Option<f64>,
    /// The same in gradient evaluations.
    pub grad_evals_mean: Option<f64>,
}

/// The training-loss levels of [`convergence`] (round numbers above every optimizer's final
/// mean training loss at the reference settings).
pub const LEVELS: [f64; 3] = [0.5, 0.2, 0.1];

/// [`ConvergenceRow`] per optimizer and level of [`LEVELS`] from the reference protocol's curves.
pub fn convergence(curves: &[RunRow]) -> Vec<ConvergenceRow> {
    let mut out = Vec::new();
    for o in OPTIMIZERS {
        let runs = by_seed(curves, o);
        for level in LEVELS {
            let hits: Vec<&RunRow> = runs
                .iter()
                .filter_map(|(_, rows)| rows.iter().find(|r| r.train_loss <= level).copied())
                .collect();
            let some = !hits.is_empty();
            let (m, s) = mean_std(&hits.iter().map(|r| r.epoch as f64).collect::<Vec<_>>());
            let (g, _) = mean_std(&hits.iter().map(|r| r.grad_evals as f64).collect::<Vec<_>>());
            out.push(ConvergenceRow {
                optimizer: o.into(),
                level,
                reached: hits.len(),
                seeds: runs.len(),
                epochs_mean: some.then_some(m),
                epochs_std: some.then_some(s),
                grad_evals_mean: some.then_some(g),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(optimizer: &str, seed: u64, epoch: usize, train: f64, gap: f64, val: f64) -> RunRow {
        RunRow {
            optimizer: optimizer.into(),
            lr: 0.01,
            rho: if optimizer == "sam" { 0.2 } else { 0.0 },
            seed,
            epochs: 3,
            epoch,
            grad_evals: 100 * epoch,
            train_loss: train,
            train_acc: 0.0,
            test_loss: train + gap,
            test_acc: 1.0 - val,
            gap,
            wall_s: 0.0,
            cpu_s: 0.0,
            val_loss: Some(val),
            val_acc: Some(1.0 - val),
        }
    }

    /// Item 8(b) by hand: SGD's mean training loss over seeds 0 and 1 is (1.0, 0.45, 0.1) by
    /// epoch; SAM's final mean is 0.5, so SGD is matched at epoch 1 (0.45 ≤ 0.5, epoch 0 is not);
    /// per-seed ratios SAM gap / SGD gap at epoch 1: 0.2/0.4 and 0.3/0.5.
    #[test]
    fn matched_gap_takes_sgd_at_the_first_epoch_of_equal_training_loss() {
        let curves = vec![
            row("sgd", 0, 0, 1.0, 0.0, 2.0),
            row("sgd", 0, 1, 0.4, 0.4, 1.0),
            row("sgd", 0, 2, 0.1, 0.9, 1.0),
            row("sgd", 1, 0, 1.0, 0.0, 2.0),
            row("sgd", 1, 1, 0.5, 0.5, 1.0),
            row("sgd", 1, 2, 0.1, 0.9, 1.0),
            row("sam", 0, 0, 1.0, 0.0, 2.0),
            row("sam", 0, 1, 0.5, 0.2, 1.0),
            row("sam", 1, 0, 1.0, 0.0, 2.0),
            row("sam", 1, 1, 0.5, 0.3, 1.0),
        ];
        let m = matched_gap(&curves).unwrap();
        assert_eq!(m.sgd_epoch, 1);
        assert!((m.sam_train_loss - 0.5).abs() < 1e-15);
        let (a, b) = (0.2 / 0.4, 0.3 / 0.5);
        assert!((m.ratio_mean - 0.5 * (a + b)).abs() < 1e-12);
        assert!((m.ratio_std - (0.5f64 * ((a - b) * (a - b))).sqrt()).abs() < 1e-12);
        // item 9 on the same rows: SGD reaches 0.5 at epochs 1 and 1, 0.1 at 2 and 2
        let c = convergence(&curves);
        let sgd_half = c
            .iter()
            .find(|r| r.optimizer == "sgd" && r.level == 0.5)
            .unwrap();
        assert_eq!((sgd_half.reached, sgd_half.epochs_mean), (2, Some(1.0)));
        let sam_tenth = c
            .iter()
            .find(|r| r.optimizer == "sam" && r.level == 0.1)
            .unwrap();
        assert_eq!((sam_tenth.reached, sam_tenth.epochs_mean), (0, None));
    }

    /// Item 7: picks are made on the validation score at each run's own best epoch, whatever
    /// the test numbers say (the run with the better test loss but worse validation loses).
    #[test]
    fn picks_ignore_the_test_set() {
        let a = row("sgd", 0, 3, 0.1, 0.1, 0.5);
        let b = RunRow {
            lr: 0.1,
            ..row("sgd", 0, 3, 0.1, 0.0, 0.6)
        };
        let rows_a: Vec<EpochRow> = vec![a.row()];
        let rows_b: Vec<EpochRow> = vec![b.row()];
        let p = picks(&[(&a, rows_a.as_slice()), (&b, rows_b.as_slice())]);
        let sgd = p
            .iter()
            .find(|p| p.criterion == "val_loss" && p.optimizer == "sgd")
            .unwrap();
        assert_eq!(sgd.lr, 0.01);
        assert!(b.test_loss < a.test_loss);
    }
}
