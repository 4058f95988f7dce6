//! Label noise on the MNIST protocol (issue 14; review §2.3 and §3.6; SAM paper §3.3; report
//! `07-label-noise.md`, section `mnist-noise`).
//!
//! Symmetric label noise (`samlab train --label-noise P`: exactly ⌊n·p⌋ training labels, a
//! seeded choice, each replaced by a uniformly drawn *different* class; the noise seed is the
//! run's seed, so the 5 seeds also average over 5 noise draws) at p ∈ {0, 0.2, 0.4, 0.6, 0.8} on
//! the review's MLP and protocol (1000 training images, batch 10, lr 0.01; SGD 150 epochs,
//! SAM and 1-SAM 75, the same gradient budget). Three methods: SGD, SAM (one perturbation per
//! batch) and 1-SAM (one per sample, m-sharpness with m = 1), SAM and 1-SAM over a ρ grid.
//!
//! Selection is on a **clean** validation set (training images 1000–5999, never trained on,
//! labels untouched), evaluated after every epoch: each run's best epoch is the one of highest
//! validation accuracy (early stopping), and ρ is picked per (p, method) on the first seed by that
//! best validation accuracy; the other seeds then run at the pick. The clean test set is
//! evaluated only at each run's best epoch and at its final epoch. Every epoch also records the
//! accuracy on the kept-label training samples and on the flipped ones against their *noisy*
//! labels (memorization). For the first seed's network at each pick: λ_max and the trace of the
//! Hessian of the training loss it was trained on, and a κ_ρ lower bound (review §3.6: "Is
//! sharpness of loss landscape preserved after label pollution?").

use super::msharp::kappa_with;
use super::{paired, Paired};
use crate::{ExperimentError, Result};
use rayon::prelude::*;
use sam_mnist::data::{load, LoadOptions, Mnist};
use sam_mnist::model::{MlpObjective, Params};
use sam_mnist::train::{
    evaluate, train_observed, BatchGradient, Optimizer, SampleSets, TrainConfig,
};
use sam_mnist::MnistError;
use sam_params::ParamGuard;
use sam_results::mean_std;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The experiment's folder name under `results/` (and its `--only` name).
pub const NAME: &str = "mnist-noise";

/// The methods, in report order.
pub const METHODS: [&str; 3] = ["sgd", "sam", "1-sam"];

/// Settings of the study.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Noise levels p.
    pub noise: Vec<f64>,
    /// SAM's ρ grid (searched on the first seed per p).
    pub rhos: Vec<f64>,
    /// 1-SAM's ρ grid.
    pub one_sam_rhos: Vec<f64>,
    /// Seeds (of the weights, the batch order and the noise): the first selects ρ.
    pub seeds: Vec<u64>,
    /// Training images (the first ones).
    pub train_size: usize,
    /// Clean validation images (the next ones).
    pub val_size: usize,
    /// SGD's epochs.
    pub sgd_epochs: usize,
    /// SAM's and 1-SAM's epochs.
    pub sam_epochs: usize,
    /// Radius of the κ lower bound of the sharpness rows.
    pub kappa_rho: f64,
    /// Its projected-ascent steps.
    pub ascent_steps: usize,
    /// Lanczos steps of λ_max.
    pub lanczos_steps: usize,
    /// Hutchinson probes of the trace.
    pub trace_probes: usize,
}

impl Config {
    /// The grid: p ∈ {0, 0.2, 0.4, 0.6, 0.8}, 5 seeds, the review's epochs; SAM's ρ ∈
    /// {0.05, 0.1, 0.2} and 1-SAM's ρ ∈ {0.02, 0.05, 0.1}: the radii at which each trains on
    /// clean labels in the m-sharpness study's validation grid (there ρ = 0.5 leaves SAM at
    /// chance and ρ ≥ 0.2 leaves 1-SAM at chance; its picks were 0.2 and 0.1). Validation set:
    /// 2000 clean images (1000–2999), evaluated every epoch.
    pub fn full() -> Self {
        Self {
            noise: vec![0.0, 0.2, 0.4, 0.6, 0.8],
            rhos: vec![0.05, 0.1, 0.2],
            one_sam_rhos: vec![0.02, 0.05, 0.1],
            seeds: (0..5).collect(),
            train_size: 1000,
            val_size: 2000,
            sgd_epochs: 150,
            sam_epochs: 75,
            kappa_rho: 0.05,
            ascent_steps: 5,
            lanczos_steps: 20,
            trace_probes: 10,
        }
    }

    /// Two-epoch runs on 200 images for `--quick`.
    pub fn quick() -> Self {
        Self {
            noise: vec![0.0, 0.4],
            rhos: vec![0.05, 0.2],
            one_sam_rhos: vec![0.05],
            seeds: vec![0, 1],
            train_size: 200,
            val_size: 200,
            sgd_epochs: 2,
            sam_epochs: 1,
            lanczos_steps: 4,
            trace_probes: 2,
            ascent_steps: 2,
            ..Self::full()
        }
    }

    /// The run of `method` at noise `p`, radius `rho` (ignored by SGD) and `seed`.
    pub fn train_config(&self, method: &str, p: f64, rho: f64, seed: u64) -> Result<TrainConfig> {
        let (optimizer, epochs, m) = match method {
            "sgd" => (Optimizer::Sgd, self.sgd_epochs, None),
            "sam" => (Optimizer::Sam { rho }, self.sam_epochs, None),
            "1-sam" => (Optimizer::Sam { rho }, self.sam_epochs, Some(1)),
            other => {
                return Err(ExperimentError::Config(format!(
                    "mnist-noise: unknown method {other:?} (use one of {METHODS:?})"
                )))
            }
        };
        Ok(TrainConfig {
            epochs,
            train_size: self.train_size,
            val_size: self.val_size,
            m_sharpness: m,
            label_noise: p,
            noise_seed: seed,
            ..TrainConfig::paper(optimizer, seed)
        })
    }
}

/// One epoch of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveRow {
    /// Noise level.
    pub p: f64,
    /// sgd, sam or 1-sam.
    pub method: String,
    /// ρ (0 for SGD).
    pub rho: f64,
    /// Seed.
    pub seed: u64,
    /// Epoch (0: the initialization).
    pub epoch: usize,
    /// Training loss against the labels trained on (noisy ones included).
    pub train_loss: f64,
    /// Accuracy on the kept-label training samples.
    pub clean_train_acc: f64,
    /// Accuracy on the flipped samples against their noisy labels (memorization); absent at
    /// p = 0.
    pub noisy_train_acc: Option<f64>,
    /// Clean validation loss.
    pub val_loss: f64,
    /// Clean validation accuracy.
    pub val_acc: f64,
}

/// One run's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// Noise level.
    pub p: f64,
    /// sgd, sam or 1-sam.
    pub method: String,
    /// ρ (0 for SGD).
    pub rho: f64,
    /// Seed.
    pub seed: u64,
    /// Whether the run is at its (p, method)'s pick.
    pub at_pick: bool,
    /// A non-finite loss; its metrics are 0 and it is never picked.
    pub diverged: bool,
    /// Labels flipped.
    pub n_flipped: usize,
    /// The epoch of highest clean validation accuracy (the earliest on ties).
    pub best_epoch: usize,
    /// That validation accuracy.
    pub best_val_acc: f64,
    /// Clean test accuracy at the best epoch.
    pub test_acc_best: f64,
    /// Clean test accuracy at the final epoch.
    pub test_acc_final: f64,
    /// Clean test loss at the final epoch.
    pub test_loss_final: f64,
    /// Final accuracy on the kept-label training samples.
    pub clean_train_acc_final: f64,
    /// Final memorization (absent at p = 0).
    pub noisy_train_acc_final: Option<f64>,
    /// Memorization at the best epoch (absent at p = 0).
    pub noisy_train_acc_best: Option<f64>,
    /// Training seconds (wall, evaluation included).
    pub wall_s: f64,
}

/// Sharpness of the first seed's final network at a pick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharpnessRow {
    /// Noise level.
    pub p: f64,
    /// Method.
    pub method: String,
    /// ρ trained with.
    pub rho: f64,
    /// Seed.
    pub seed: u64,
    /// Top Hessian eigenvalue of the training loss (noisy labels), Lanczos on exact HVPs.
    pub lambda_max: f64,
    /// Hessian trace (Hutchinson).
    pub trace: f64,
    /// Its standard error.
    pub trace_se: f64,
    /// κ lower bound of the training loss at `kappa_rho` (projected ascent).
    pub kappa: f64,
    /// Final training loss.
    pub train_loss: f64,
}

/// One (p, method) at its pick, over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Noise level.
    pub p: f64,
    /// Method.
    pub method: String,
    /// Picked ρ (0 for SGD).
    pub rho: f64,
    /// Seeds.
    pub runs: usize,
    /// Mean clean test accuracy at the best epoch.
    pub test_acc_best_mean: f64,
    /// Its std.
    pub test_acc_best_std: f64,
    /// Mean clean test accuracy at the final epoch.
    pub test_acc_final_mean: f64,
    /// Its std.
    pub test_acc_final_std: f64,
    /// Mean best epoch.
    pub best_epoch_mean: f64,
    /// Mean final memorization (absent at p = 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noisy_train_acc_final_mean: Option<f64>,
    /// Mean memorization at the best epoch (absent at p = 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noisy_train_acc_best_mean: Option<f64>,
}

/// A method against SGD at one noise level, seed by seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgainstSgd {
    /// Noise level.
    pub p: f64,
    /// sam or 1-sam.
    pub method: String,
    /// Clean test accuracy at the best epoch (method − SGD).
    pub best: Paired,
    /// Clean test accuracy at the final epoch (method − SGD).
    pub last: Paired,
}

/// The verdicts, computed here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// SAM and 1-SAM against SGD at every noise level.
    pub against_sgd: Vec<AgainstSgd>,
    /// SAM's picked ρ per noise level.
    pub sam_rho: Vec<(f64, f64)>,
    /// "The best ρ is smaller at the highest noise": SAM's pick there is below its largest pick
    /// at the lower positive noise levels (absent with fewer than two positive levels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sam_rho_smaller_at_highest_noise: Option<bool>,
    /// Per (p > 0, method): the final memorization exceeds the memorization at the best epoch
    /// by more than 0.1 (the noisy labels are learned after the early-stopping point).
    pub memorizes_after_best: Vec<(f64, String, bool)>,
}

/// Everything the study writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Every run.
    pub runs: Vec<RunRow>,
    /// Per-epoch curves of the runs at the picks.
    pub curves: Vec<CurveRow>,
    /// Sharpness of the first seed's networks at the picks.
    pub sharpness: Vec<SharpnessRow>,
    /// Per (p, method) at its pick.
    pub summary: Vec<SummaryRow>,
    /// The verdicts.
    pub verdicts: Verdicts,
    /// Metadata (config, versions).
    pub meta: sam_results::Meta,
}

struct Job {
    p: f64,
    method: &'static str,
    rho: f64,
    seed: u64,
    at_pick: bool,
}

/// The study command of one run as a sweep trial ([`crate::run_job`]).
pub const JOB: &str = "mnist-noise";

/// One run of the study as a sweep trial: noise level, method, radius and seed, with the
/// study's settings that a run uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TrialJob {
    /// Noise level.
    pub p: f64,
    /// One of [`METHODS`].
    pub method: String,
    /// Radius (0 for SGD).
    pub rho: f64,
    /// Seed (also the noise seed).
    pub seed: u64,
    /// Whether the run is one of the pick's seeds.
    pub at_pick: bool,
    /// [`Config::train_size`].
    pub train_size: usize,
    /// [`Config::val_size`].
    pub val_size: usize,
    /// [`Config::sgd_epochs`].
    pub sgd_epochs: usize,
    /// [`Config::sam_epochs`].
    pub sam_epochs: usize,
}

impl TrialJob {
    fn new(cfg: &Config, j: &Job) -> Self {
        TrialJob {
            p: j.p,
            method: j.method.into(),
            rho: j.rho,
            seed: j.seed,
            at_pick: j.at_pick,
            train_size: cfg.train_size,
            val_size: cfg.val_size,
            sgd_epochs: cfg.sgd_epochs,
            sam_epochs: cfg.sam_epochs,
        }
    }
}

/// Runs one job: the run of [`run`] (its row, its curve, its final weights).
pub fn run_job(job: &TrialJob, data: &Mnist) -> Result<(RunRow, Vec<CurveRow>, Option<Params>)> {
    let method = METHODS
        .iter()
        .copied()
        .find(|m| *m == job.method)
        .ok_or_else(|| {
            ExperimentError::Config(format!(
                "{JOB}: method {:?} is not one of {METHODS:?}",
                job.method
            ))
        })?;
    // the study's settings that a run reads (Config::train_config); the rest is unused by a run
    let cfg = Config {
        noise: vec![job.p],
        seeds: vec![job.seed],
        train_size: job.train_size,
        val_size: job.val_size,
        sgd_epochs: job.sgd_epochs,
        sam_epochs: job.sam_epochs,
        ..Config::full()
    };
    let j = Job {
        p: job.p,
        method,
        rho: job.rho,
        seed: job.seed,
        at_pick: job.at_pick,
    };
    run_one(&cfg, &j, data)
}

/// One run with per-epoch evaluation; returns its row, its curve and its final parameters (for
/// the sharpness rows). A divergence is a row marked diverged.
fn run_one(
    cfg: &Config,
    job: &Job,
    data: &Mnist,
) -> Result<(RunRow, Vec<CurveRow>, Option<Params>)> {
    let tc = cfg.train_config(job.method, job.p, job.rho, job.seed)?;
    let sets = SampleSets::for_config(data, &tc)?;
    let tc = tc.check()?;
    let t0 = std::time::Instant::now();
    let val = sets.val.as_ref().ok_or_else(|| {
        ExperimentError::Config("mnist-noise needs a validation set: set val_size > 0".into())
    })?;
    let n_flipped = sets.noise.as_ref().map_or(0, |n| n.flipped.len());
    let mut row = RunRow {
        p: job.p,
        method: job.method.into(),
        rho: if job.method == "sgd" { 0.0 } else { job.rho },
        seed: job.seed,
        at_pick: job.at_pick,
        diverged: false,
        n_flipped,
        best_epoch: 0,
        best_val_acc: 0.0,
        test_acc_best: 0.0,
        test_acc_final: 0.0,
        test_loss_final: 0.0,
        clean_train_acc_final: 0.0,
        noisy_train_acc_final: None,
        noisy_train_acc_best: None,
        wall_s: 0.0,
    };
    let mut curve: Vec<CurveRow> = Vec::new();
    let mut best: Option<Params> = None;
    let observed = train_observed(&tc, &sets, |epoch, _, params| {
        let (val_loss, val_acc) = evaluate(params, val, 1);
        let (train_loss, clean_acc, noisy_acc) = match &sets.noise {
            Some(n) if !n.noisy.is_empty() => {
                let (lc, ac) = evaluate(params, &n.clean, 1);
                let (ln, an) = evaluate(params, &n.noisy, 1);
                let (nc, nn) = (n.clean.len() as f64, n.noisy.len() as f64);
                ((lc * nc + ln * nn) / (nc + nn), ac, Some(an))
            }
            _ => {
                let (l, a) = evaluate(params, &sets.train, 1);
                (l, a, None)
            }
        };
        if !(val_loss.is_finite() && train_loss.is_finite()) {
            return Err(MnistError::NonFinite {
                epoch,
                step: 0,
                loss: train_loss,
                what: "mnist-noise evaluation",
            });
        }
        if best.is_none() || val_acc > row.best_val_acc {
            row.best_epoch = epoch;
            row.best_val_acc = val_acc;
            row.noisy_train_acc_best = noisy_acc;
            best = Some(params.clone());
        }
        curve.push(CurveRow {
            p: job.p,
            method: job.method.into(),
            rho: row.rho,
            seed: job.seed,
            epoch,
            train_loss,
            clean_train_acc: clean_acc,
            noisy_train_acc: noisy_acc,
            val_loss,
            val_acc,
        });
        Ok(())
    });
    let params = match observed {
        Ok(p) => p,
        Err(MnistError::NonFinite { .. }) => {
            row.diverged = true;
            return Ok((row, curve, None));
        }
        Err(e) => return Err(e.into()),
    };
    let best = best
        .ok_or_else(|| ExperimentError::Config("mnist-noise: the run recorded no epoch".into()))?;
    let (_, acc_best) = evaluate(&best, &sets.test, 1);
    let (loss_final, acc_final) = evaluate(&params, &sets.test, 1);
    if !loss_final.is_finite() {
        row.diverged = true;
        return Ok((row, curve, None));
    }
    let last = curve.last().cloned();
    row.test_acc_best = acc_best;
    row.test_acc_final = acc_final;
    row.test_loss_final = loss_final;
    if let Some(l) = last {
        row.clean_train_acc_final = l.clean_train_acc;
        row.noisy_train_acc_final = l.noisy_train_acc;
    }
    row.wall_s = t0.elapsed().as_secs_f64();
    Ok((row, curve, Some(params)))
}

fn sharpness_row(cfg: &Config, r: &RunRow, params: &Params, data: &Mnist) -> Result<SharpnessRow> {
    let sets = SampleSets::for_config(data, &cfg.train_config(&r.method, r.p, r.rho, r.seed)?)?;
    let theta = params.to_f64();
    let objective = MlpObjective::new(params.sizes(), &sets.train)?;
    let lz = sam_sharpness::lanczos_at(&objective, &theta, cfg.lanczos_steps, 0)?;
    let tr = sam_sharpness::hutchinson_trace_at(&objective, &theta, cfg.trace_probes, 0)?;
    let all: Vec<usize> = (0..sets.train.len()).collect();
    let mut oracle = BatchGradient::new(params.sizes(), all.len());
    let kappa = kappa_with(
        &mut oracle,
        params,
        &sets.train,
        &all,
        cfg.kappa_rho,
        cfg.ascent_steps,
    )?;
    Ok(SharpnessRow {
        p: r.p,
        method: r.method.clone(),
        rho: r.rho,
        seed: r.seed,
        lambda_max: lz.lambda_max,
        trace: tr.mean,
        trace_se: tr.std_error,
        kappa,
        train_loss: evaluate(params, &sets.train, 1).0,
    })
}

fn summarize(cfg: &Config, runs: &[RunRow]) -> Vec<SummaryRow> {
    let mut out = Vec::new();
    for &p in &cfg.noise {
        for m in METHODS {
            let picks: Vec<&RunRow> = runs
                .iter()
                .filter(|r| r.p == p && r.method == m && r.at_pick && !r.diverged)
                .collect();
            let Some(first) = picks.first() else {
                continue;
            };
            let col =
                |f: fn(&RunRow) -> f64| mean_std(&picks.iter().map(|r| f(r)).collect::<Vec<_>>());
            let opt = |f: fn(&RunRow) -> Option<f64>| -> Option<f64> {
                let v: Option<Vec<f64>> = picks.iter().map(|r| f(r)).collect();
                v.map(|v| mean_std(&v).0)
            };
            let (b, bs) = col(|r| r.test_acc_best);
            let (l, ls) = col(|r| r.test_acc_final);
            out.push(SummaryRow {
                p,
                method: m.into(),
                rho: first.rho,
                runs: picks.len(),
                test_acc_best_mean: b,
                test_acc_best_std: bs,
                test_acc_final_mean: l,
                test_acc_final_std: ls,
                best_epoch_mean: col(|r| r.best_epoch as f64).0,
                noisy_train_acc_final_mean: opt(|r| r.noisy_train_acc_final),
                noisy_train_acc_best_mean: opt(|r| r.noisy_train_acc_best),
            });
        }
    }
    out
}

impl Verdicts {
    /// From the rows.
    pub fn compute(cfg: &Config, runs: &[RunRow], summary: &[SummaryRow]) -> Self {
        let arm = |p: f64, m: &str, f: fn(&RunRow) -> f64| -> Vec<(u64, f64)> {
            runs.iter()
                .filter(|r| r.p == p && r.method == m && r.at_pick && !r.diverged)
                .map(|r| (r.seed, f(r)))
                .collect()
        };
        let mut against_sgd = Vec::new();
        for &p in &cfg.noise {
            for m in ["sam", "1-sam"] {
                let (a, b) = (
                    arm(p, m, |r| r.test_acc_best),
                    arm(p, "sgd", |r| r.test_acc_best),
                );
                let (c, d) = (
                    arm(p, m, |r| r.test_acc_final),
                    arm(p, "sgd", |r| r.test_acc_final),
                );
                if a.is_empty() || b.is_empty() {
                    continue;
                }
                against_sgd.push(AgainstSgd {
                    p,
                    method: m.into(),
                    best: paired(&a, &b),
                    last: paired(&c, &d),
                });
            }
        }
        let sam_rho: Vec<(f64, f64)> = summary
            .iter()
            .filter(|s| s.method == "sam")
            .map(|s| (s.p, s.rho))
            .collect();
        let positive: Vec<&(f64, f64)> = sam_rho.iter().filter(|(p, _)| *p > 0.0).collect();
        let smaller = match positive.split_last() {
            Some((last, rest)) if !rest.is_empty() => Some(
                last.1
                    < rest
                        .iter()
                        .map(|(_, r)| *r)
                        .fold(f64::NEG_INFINITY, f64::max),
            ),
            _ => None,
        };
        let memorizes_after_best = summary
            .iter()
            .filter_map(
                |s| match (s.noisy_train_acc_final_mean, s.noisy_train_acc_best_mean) {
                    (Some(f), Some(b)) => Some((s.p, s.method.clone(), f > b + 0.1)),
                    _ => None,
                },
            )
            .collect();
        Verdicts {
            against_sgd,
            sam_rho,
            sam_rho_smaller_at_highest_noise: smaller,
            memorizes_after_best,
        }
    }
}

/// Runs the study: the grid on the first seed, then the other seeds at each pick, two runs at a
/// time; then the sharpness of the first seed's networks at the picks.
pub fn run(
    cfg: &Config,
    root: &Path,
    quick: bool,
    progress: crate::Progress,
    trainer: &dyn crate::Trainer,
) -> Result<Results> {
    let first = *cfg
        .seeds
        .first()
        .ok_or_else(|| ExperimentError::Config("mnist-noise: give at least one seed".into()))?;
    let (data, source) = load(&LoadOptions::new(None, root.join("data/mnist")))?;
    eprintln!("mnist-noise: data from {source}");
    let mut grid = Vec::new();
    for &p in &cfg.noise {
        grid.push(Job {
            p,
            method: "sgd",
            rho: 0.0,
            seed: first,
            at_pick: true,
        });
        for (m, rhos) in [("sam", &cfg.rhos), ("1-sam", &cfg.one_sam_rhos)] {
            for &rho in rhos {
                grid.push(Job {
                    p,
                    method: m,
                    rho,
                    seed: first,
                    at_pick: false,
                });
            }
        }
    }
    let arms = cfg.noise.len() * METHODS.len();
    progress(
        (grid.len() + arms * cfg.seeds.len().saturating_sub(1) + arms) as u64,
        "mnist-noise runs",
    );
    type Out = (RunRow, Vec<CurveRow>, Option<Params>);
    let go = |phase: &str, jobs: &[Job]| -> Result<Vec<Out>> {
        let settings = jobs
            .iter()
            .map(|j| serde_json::to_value(TrialJob::new(cfg, j)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| ExperimentError::Config(e.to_string()))?;
        let bad = |e: serde_json::Error| {
            ExperimentError::Config(format!("{JOB}: a row does not parse: {e}"))
        };
        trainer
            .jobs(phase, JOB, &settings, &data, 2, progress)?
            .into_iter()
            .map(|o| {
                let row: RunRow = serde_json::from_value(o.row).map_err(bad)?;
                let curve = o
                    .rows
                    .into_iter()
                    .map(|r| serde_json::from_value(r).map_err(bad))
                    .collect::<Result<Vec<CurveRow>>>()?;
                Ok((row, curve, o.params))
            })
            .collect()
    };
    let mut done = go("mnist-noise-grid", &grid)?;
    let mut next = Vec::new();
    for &p in &cfg.noise {
        for m in METHODS {
            let best = done
                .iter_mut()
                .filter(|(r, _, _)| r.p == p && r.method == m && !r.diverged)
                // highest best-epoch validation accuracy; ties to the smaller ρ (grid order)
                .reduce(|a, b| {
                    if b.0.best_val_acc > a.0.best_val_acc {
                        b
                    } else {
                        a
                    }
                });
            if let Some((r, _, _)) = best {
                r.at_pick = true;
                let rho = r.rho;
                next.extend(cfg.seeds.iter().skip(1).map(|&seed| Job {
                    p,
                    method: m,
                    rho,
                    seed,
                    at_pick: true,
                }));
            }
        }
    }
    done.extend(go("mnist-noise-picks", &next)?);
    let sharpness: Vec<SharpnessRow> = done
        .par_iter()
        .with_max_len(1)
        .filter(|(r, _, _)| r.at_pick && r.seed == first)
        .filter_map(|(r, _, ps)| ps.as_ref().map(|p| (r, p)))
        .map(|(r, p)| {
            let out = sharpness_row(cfg, r, p, &data);
            progress(0, "");
            out
        })
        .collect::<Result<_>>()?;
    let mut runs = Vec::with_capacity(done.len());
    let mut curves = Vec::new();
    for (r, c, _) in done {
        if r.at_pick {
            curves.extend(c);
        }
        runs.push(r);
    }
    let summary = summarize(cfg, &runs);
    let verdicts = Verdicts::compute(cfg, &runs, &summary);
    Ok(Results {
        runs,
        curves,
        sharpness,
        summary,
        verdicts,
        meta: sam_results::Meta::new(NAME, Some(first), quick, cfg)?,
    })
}

crate::results_files!(
    runs: csv "runs.csv",
    curves: csv "curves.csv",
    sharpness: csv "sharpness.csv",
    summary: json "summary.json",
    verdicts: json "verdicts.json",
    meta: json "meta.json",
);

crate::study!(Config::quick(), Config::full(), |cfg, ctx| run(
    cfg,
    ctx.root,
    ctx.quick,
    ctx.progress,
    ctx.trainer
));

#[cfg(test)]
mod tests {
    use super::*;

    fn row(p: f64, method: &str, rho: f64, seed: u64, best: f64, last: f64) -> RunRow {
        RunRow {
            p,
            method: method.into(),
            rho,
            seed,
            at_pick: true,
            diverged: false,
            n_flipped: 0,
            best_epoch: 1,
            best_val_acc: best,
            test_acc_best: best,
            test_acc_final: last,
            test_loss_final: 1.0,
            clean_train_acc_final: 1.0,
            noisy_train_acc_final: (p > 0.0).then_some(0.9),
            noisy_train_acc_best: (p > 0.0).then_some(0.2),
            wall_s: 0.0,
        }
    }

    /// Hand-made rows: SAM above SGD on every seed at the best epoch (beyond two standard
    /// errors), equal at the end; SAM's picks 0.2, 0.2, 0.05 make "smaller at the highest
    /// noise" true; memorization 0.9 against 0.2 at the best epoch counts as after the best.
    #[test]
    fn verdicts_of_hand_made_rows() {
        let cfg = Config {
            noise: vec![0.2, 0.4, 0.8],
            ..Config::full()
        };
        let mut runs = Vec::new();
        for (p, rho) in [(0.2, 0.2), (0.4, 0.2), (0.8, 0.05)] {
            for s in 0..4u64 {
                let e = 0.001 * s as f64;
                runs.push(row(p, "sgd", 0.0, s, 0.80 + e, 0.70 + e));
                runs.push(row(p, "sam", rho, s, 0.85 + 1.5 * e, 0.70 + e));
            }
        }
        let summary = summarize(&cfg, &runs);
        let v = Verdicts::compute(&cfg, &runs, &summary);
        let a = &v.against_sgd[0];
        assert_eq!((a.p, a.method.as_str()), (0.2, "sam"));
        assert_eq!(a.best.verdict, "higher");
        assert_eq!(a.best.below, 0);
        assert_eq!(a.last.verdict, "no clear difference");
        assert_eq!(v.sam_rho, vec![(0.2, 0.2), (0.4, 0.2), (0.8, 0.05)]);
        assert_eq!(v.sam_rho_smaller_at_highest_noise, Some(true));
        assert!(v.memorizes_after_best.iter().all(|(_, _, after)| *after));
    }
}
