//! m-sharpness on the MNIST protocol (issue 14; review §2.3 and §3.4; SAM paper §4.1; meant for
//! report `06-m-sharpness.md`, section `mnist-msharp`).
//!
//! SAM with one perturbation per chunk of m samples of each batch ([`TrainConfig::m_sharpness`])
//! at m ∈ {1, 2, 5, 10} with batch 10 and m ∈ {1, 10, 100} with batch 100, ρ chosen per m on a
//! validation set (training images after the first 1000, never trained on), then 5 seeds at the
//! pick. For every run: final test loss, accuracy and gap, and its final m-sharpness, the mean
//! over chunks of m training samples of a lower bound on κ_ρ(L_chunk) (projected ascent from
//! SAM's ê, [`sam_sharpness::projected_ascent_lower_bound`], at a fixed measuring radius so runs
//! compare); Kendall's τ between m-sharpness and gap per m. For the networks at the picks, the
//! variance question of §3.4: κ_ρ of ≥ 200 random batches of the run's batch size, their mean
//! and variance, against κ_ρ of the full training loss and the Gaussian-average sharpness
//! E L(w + ε) − L(w), ε ~ N(0, σ²I) with σ = ρ/√d (so that E‖ε‖² = ρ²).
//!
//! Batch 100 keeps the protocol's 75 epochs, so it takes 10× fewer steps; its learning rate is
//! 10× larger (0.1, the linear scaling rule: the same step per sample), a documented choice,
//! not a tuned one. The review's m = batch runs are plain SAM (`m_sharpness: None`; the claim
//! test `m_equal_to_batch_is_sam_bit_for_bit` shows the two are the same).

use super::{paired, Normal};
use crate::{ExperimentError, Result};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use sam_mnist::data::{load, LoadOptions};
use sam_mnist::model::{Params, Samples};
use sam_mnist::train::{
    evaluate, train_observed, BatchGradient, Optimizer, SampleSets, TrainConfig,
};
use sam_mnist::MnistError;
use sam_params::ParamGuard;
use sam_results::{kendall_tau_b, mean_std};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The experiment's folder name under `results/` (and its `--only` name).
pub const NAME: &str = "mnist-msharp";

/// One (batch size, m) setting with its learning rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    /// Minibatch size.
    pub batch_size: usize,
    /// Samples per perturbation (m = batch size: plain SAM).
    pub m: usize,
    /// Learning rate.
    pub lr: f64,
}

/// Settings of the study.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// The (batch, m) settings.
    pub settings: Vec<Setting>,
    /// ρ grid searched per setting (on the first seed, by final validation loss).
    pub rhos: Vec<f64>,
    /// Seeds: the first selects ρ, all are run at the pick.
    pub seeds: Vec<u64>,
    /// Epochs of every run.
    pub epochs: usize,
    /// Training images (the first ones).
    pub train_size: usize,
    /// Validation images (the next ones).
    pub val_size: usize,
    /// The radius at which every sharpness is measured.
    pub kappa_rho: f64,
    /// Projected-ascent steps of each κ lower bound.
    pub ascent_steps: usize,
    /// Chunks of m training samples measured per run for its m-sharpness (a fixed seeded
    /// partition; all chunks when there are fewer).
    pub chunks: usize,
    /// Random batches (of the run's batch size) of the variance question.
    pub variance_batches: usize,
    /// Draws of the Gaussian-average sharpness.
    pub gaussian_samples: usize,
}

impl Config {
    /// The issue's grid: batch 10 with m ∈ {1, 2, 5, 10} (lr 0.01, the review's), batch 100
    /// with m ∈ {1, 10, 100} (lr 0.1); ρ ∈ {0.02, 0.05, 0.1, 0.2, 0.5} for every setting (the
    /// review's 0.2, a factor 2.5 above and 10 below: at m ≤ 2 a radius of 0.2 no longer
    /// trains, so the grid must reach below the picks of small m), 5 seeds, 75 epochs,
    /// m-sharpness over 50 chunks, measured at ρ = 0.05.
    pub fn full() -> Self {
        let s = |batch_size, m, lr| Setting { batch_size, m, lr };
        Self {
            settings: vec![
                s(10, 1, 0.01),
                s(10, 2, 0.01),
                s(10, 5, 0.01),
                s(10, 10, 0.01),
                s(100, 1, 0.1),
                s(100, 10, 0.1),
                s(100, 100, 0.1),
            ],
            rhos: vec![0.02, 0.05, 0.1, 0.2, 0.5],
            seeds: (0..5).collect(),
            epochs: 75,
            train_size: 1000,
            val_size: 5000,
            kappa_rho: 0.05,
            ascent_steps: 5,
            chunks: 50,
            variance_batches: 200,
            gaussian_samples: 20,
        }
    }

    /// A few one-epoch runs on 200 images for `--quick`.
    pub fn quick() -> Self {
        let s = |batch_size, m, lr| Setting { batch_size, m, lr };
        Self {
            settings: vec![s(10, 2, 0.01), s(10, 10, 0.01), s(100, 10, 0.1)],
            rhos: vec![0.05, 0.2],
            seeds: vec![0, 1],
            epochs: 1,
            train_size: 200,
            val_size: 200,
            chunks: 4,
            variance_batches: 4,
            gaussian_samples: 2,
            ascent_steps: 2,
            ..Self::full()
        }
    }

    fn train_config(&self, s: &Setting, rho: f64, seed: u64) -> TrainConfig {
        TrainConfig {
            lr: s.lr,
            epochs: self.epochs,
            batch_size: s.batch_size,
            train_size: self.train_size,
            m_sharpness: (s.m < s.batch_size).then_some(s.m),
            val_size: self.val_size,
            ..TrainConfig::paper(Optimizer::Sam { rho }, seed)
        }
    }
}

/// One run's final state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// Batch size.
    pub batch_size: usize,
    /// m.
    pub m: usize,
    /// Learning rate.
    pub lr: f64,
    /// SAM's training radius.
    pub rho: f64,
    /// Seed.
    pub seed: u64,
    /// Whether the run is at its setting's pick (the seeds' runs; the first seed's is also in
    /// the grid).
    pub at_pick: bool,
    /// The run diverged (a non-finite loss); its metrics are 0 and it is never picked.
    pub diverged: bool,
    /// Final training loss (mean over the training images).
    pub train_loss: f64,
    /// Final validation loss.
    pub val_loss: f64,
    /// Final test loss.
    pub test_loss: f64,
    /// Final test accuracy.
    pub test_acc: f64,
    /// test_loss − train_loss.
    pub gap: f64,
    /// Mean over the measured chunks of m training samples of the κ lower bound at
    /// `kappa_rho`: the run's m-sharpness.
    pub m_sharpness: f64,
    /// Chunks measured.
    pub chunks: usize,
    /// Training seconds (wall).
    pub wall_s: f64,
}

/// The variance question for one network at a pick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarianceRow {
    /// Batch size (also the size of the measured batches).
    pub batch_size: usize,
    /// m.
    pub m: usize,
    /// ρ the network was trained with.
    pub rho: f64,
    /// Seed.
    pub seed: u64,
    /// Random batches measured.
    pub batches: usize,
    /// Mean of their κ lower bounds.
    pub kappa_batch_mean: f64,
    /// Their variance (n − 1).
    pub kappa_batch_var: f64,
    /// κ lower bound of the full training loss.
    pub kappa_full: f64,
    /// E L(w + ε) − L(w) over the training set, ε ~ N(0, (ρ²/d) I).
    pub gaussian_sharpness: f64,
    /// The run's gap.
    pub gap: f64,
}

/// One setting at its pick, over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Batch size.
    pub batch_size: usize,
    /// m.
    pub m: usize,
    /// The picked ρ (lowest final validation loss on the first seed).
    pub rho: f64,
    /// Seeds.
    pub runs: usize,
    /// Mean test loss.
    pub test_loss_mean: f64,
    /// Its std.
    pub test_loss_std: f64,
    /// Mean test accuracy.
    pub test_acc_mean: f64,
    /// Its std.
    pub test_acc_std: f64,
    /// Mean gap.
    pub gap_mean: f64,
    /// Its std.
    pub gap_std: f64,
    /// Mean m-sharpness.
    pub m_sharpness_mean: f64,
    /// Kendall τ-b of (m-sharpness, gap) over every non-diverged run of the setting (grid and
    /// seeds); absent when undefined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tau_msharp_gap: Option<f64>,
    /// Runs in that τ.
    pub tau_runs: usize,
}

/// The verdicts, computed here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// Per batch size: the smallest m against m = batch, seed by seed at the picks (seeds
    /// paired: same initial weights and batch order).
    pub smaller_m: Vec<MComparison>,
    /// "m-sharpness predicts the gap better as m falls": per batch size, τ at the smallest m
    /// exceeds τ at m = batch.
    pub tau_rises_as_m_falls: Vec<(usize, bool)>,
    /// Networks where the mean per-batch κ is at least the full-batch κ (a max of a mean is at
    /// most the mean of the maxes, for exact maxima; these are lower bounds).
    pub batch_mean_above_full: usize,
    /// Networks measured.
    pub variance_networks: usize,
    /// Per batch size: Kendall τ of (per-batch κ variance, gap) over the networks at the
    /// picks: whether a smaller variance goes with a smaller gap.
    pub tau_variance_gap: Vec<(usize, Option<f64>)>,
}

/// The smallest m against m = batch at one batch size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MComparison {
    /// Batch size.
    pub batch_size: usize,
    /// The smallest m.
    pub m: usize,
    /// Seeds where its test loss is below m = batch's.
    pub wins: usize,
    /// Seeds compared.
    pub seeds: usize,
    /// Mean over seeds of the test-loss difference (small m − m = batch).
    pub mean_diff: f64,
    /// Its standard error.
    pub diff_se: f64,
    /// Mean test-accuracy difference (small m − m = batch).
    pub acc_diff: f64,
    /// "lower", "higher" (by more than 2 standard errors) or "no clear difference".
    pub verdict: String,
}

/// Everything the study writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Every run.
    pub runs: Vec<RunRow>,
    /// The variance question, per network at a pick.
    pub variance: Vec<VarianceRow>,
    /// Per setting at its pick.
    pub summary: Vec<SummaryRow>,
    /// The verdicts.
    pub verdicts: Verdicts,
    /// Metadata (config, versions).
    pub meta: sam_results::Meta,
}

/// The κ lower bound of the mean loss over `rows` at `params`, with the training engine's f32
/// gradients ([`BatchGradient`], one made for this call; [`kappa_with`] reuses one).
///
/// ```
/// use sam_mnist::model::{Params, Samples, SIZES};
/// let p = Params::init(&SIZES, 0);
/// let s = Samples::new(vec![0.5; 2 * 784], vec![3, 7], 784).unwrap();
/// let k = sam_experiments::mnist::msharp::kappa(&p, &s, &[0, 1], 0.05, 3).unwrap();
/// assert!(k >= 0.0);
/// ```
pub fn kappa(
    params: &Params,
    samples: &Samples,
    rows: &[usize],
    rho: f64,
    steps: usize,
) -> Result<f64> {
    let mut oracle = BatchGradient::new(params.sizes(), rows.len());
    kappa_with(&mut oracle, params, samples, rows, rho, steps)
}

/// [`kappa`] with the caller's oracle (its capacity at least `rows.len()`): the same value
/// bit for bit, without an engine per evaluation.
///
/// ```
/// use sam_mnist::{model::{Params, Samples, SIZES}, train::BatchGradient};
/// use sam_experiments::mnist::msharp::{kappa, kappa_with};
/// let p = Params::init(&SIZES, 0);
/// let s = Samples::new(vec![0.5; 2 * 784], vec![3, 7], 784).unwrap();
/// let mut o = BatchGradient::new(&SIZES, 2);
/// let k = kappa_with(&mut o, &p, &s, &[0, 1], 0.05, 3).unwrap();
/// assert_eq!(k, kappa(&p, &s, &[0, 1], 0.05, 3).unwrap());
/// ```
pub fn kappa_with(
    oracle: &mut BatchGradient,
    params: &Params,
    samples: &Samples,
    rows: &[usize],
    rho: f64,
    steps: usize,
) -> Result<f64> {
    let theta = params.to_f64();
    Meter::new(oracle, &theta).kappa(samples, rows, rho, steps)
}

/// [`kappa_with`] at one network for many batches: the network's f32 parameters are made once
/// (at 545 810 parameters, a fresh copy per κ is megabytes of new pages), and each ascent runs
/// on the coordinates where the batch's gradient can be nonzero ([`BatchGradient::support`]:
/// the first-layer rows of the batch's nonzero pixels and all later layers), which is the same
/// ascent (ê and every step vanish elsewhere) on about 40% (one image) to over 90% (the whole
/// training set) of the coordinates.
///
/// ```
/// use sam_mnist::{model::{Params, Samples, SIZES}, train::BatchGradient};
/// use sam_experiments::mnist::msharp::{kappa, Meter};
/// let p = Params::init(&SIZES, 0);
/// let s = Samples::new(vec![0.5; 2 * 784], vec![3, 7], 784).unwrap();
/// let (mut o, theta) = (BatchGradient::new(&SIZES, 2), p.to_f64());
/// let mut meter = Meter::new(&mut o, &theta);
/// assert_eq!(meter.kappa(&s, &[0, 1], 0.05, 3).unwrap(), kappa(&p, &s, &[0, 1], 0.05, 3).unwrap());
/// ```
pub struct Meter<'a> {
    oracle: &'a mut BatchGradient,
    theta: &'a [f64],
    /// θ in f32; an evaluation writes θ + e on the batch's support, restored after each κ.
    x32: Vec<f32>,
}

impl<'a> Meter<'a> {
    /// A meter at the parameters `theta` (f64, flat) with `oracle`.
    pub fn new(oracle: &'a mut BatchGradient, theta: &'a [f64]) -> Self {
        Self {
            oracle,
            theta,
            x32: theta.iter().map(|&t| t as f32).collect(),
        }
    }

    /// The κ lower bound of the mean loss over `rows` at radius `rho` ([`kappa`]).
    pub fn kappa(
        &mut self,
        samples: &Samples,
        rows: &[usize],
        rho: f64,
        steps: usize,
    ) -> Result<f64> {
        let support = self.oracle.support(samples, rows);
        let (oracle, theta, x32) = (&mut *self.oracle, self.theta, &mut self.x32);
        if support.last().is_some_and(|r| r.end > theta.len()) {
            return Err(ExperimentError::from(MnistError::InvalidData(format!(
                "{} parameters for layer sizes {:?}",
                theta.len(),
                oracle.sizes()
            ))));
        }
        let theta_s: Vec<f64> = support
            .iter()
            .flat_map(|r| &theta[r.clone()])
            .copied()
            .collect();
        let mut failure = None;
        let mut vg = |x: &[f64], g: &mut [f64]| -> f64 {
            let mut off = 0;
            for r in &support {
                let xs = &x[off..off + r.len()];
                x32[r.clone()]
                    .iter_mut()
                    .zip(xs)
                    .for_each(|(a, b)| *a = *b as f32);
                off += r.len();
            }
            match oracle.loss_grad(x32, samples, rows) {
                Ok((l, gr)) => {
                    let mut off = 0;
                    for r in &support {
                        let gs = &mut g[off..off + r.len()];
                        gs.iter_mut()
                            .zip(&gr[r.clone()])
                            .for_each(|(a, b)| *a = *b as f64);
                        off += r.len();
                    }
                    l as f64
                }
                Err(e) => {
                    failure.get_or_insert(e);
                    f64::NAN
                }
            }
        };
        let out = sam_sharpness::projected_ascent_lower_bound(&mut vg, &theta_s, rho, steps);
        for r in &support {
            x32[r.clone()]
                .iter_mut()
                .zip(&theta[r.clone()])
                .for_each(|(a, b)| *a = *b as f32);
        }
        if let Some(e) = failure {
            return Err(e.into());
        }
        Ok(out?.value)
    }
}

/// E L(w + ε) − L(w) over `samples`, ε ~ N(0, (ρ²/d) I), from `draws` draws (seeded).
fn gaussian_sharpness(
    params: &Params,
    samples: &Samples,
    rho: f64,
    draws: usize,
    seed: u64,
) -> Result<f64> {
    let base = evaluate(params, samples, 1).0;
    let sigma = rho / (params.flat().len() as f64).sqrt();
    let mut rng = Normal(0x6A55_u64 ^ seed);
    let mut sum = 0.0;
    for _ in 0..draws {
        let noisy: Vec<f32> = params
            .flat()
            .iter()
            .map(|w| (*w as f64 + sigma * rng.sample()) as f32)
            .collect();
        sum += evaluate(&Params::from_flat(params.sizes(), noisy)?, samples, 1).0;
    }
    Ok(sum / draws.max(1) as f64 - base)
}

/// A seeded partition of `0..n` into chunks of `m` (the last incomplete one dropped), first
/// `take` chunks.
fn chunks(n: usize, m: usize, take: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut perm: Vec<usize> = (0..n).collect();
    perm.shuffle(&mut ChaCha8Rng::seed_from_u64(0x3C4A_u64 ^ seed));
    perm.chunks_exact(m)
        .take(take)
        .map(|c| c.to_vec())
        .collect()
}

/// The study command of one run as a sweep trial ([`crate::run_job`]).
pub const JOB: &str = "mnist-msharp";

/// One run of the study as a sweep trial: the setting, radius and seed, with the study's
/// settings that a run uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Job {
    /// Minibatch size.
    pub batch_size: usize,
    /// Samples per perturbation.
    pub m: usize,
    /// Learning rate.
    pub lr: f64,
    /// SAM's training radius.
    pub rho: f64,
    /// Seed.
    pub seed: u64,
    /// Whether the run is one of the pick's seeds (second phase).
    pub at_pick: bool,
    /// [`Config::epochs`].
    pub epochs: usize,
    /// [`Config::train_size`].
    pub train_size: usize,
    /// [`Config::val_size`].
    pub val_size: usize,
    /// [`Config::kappa_rho`].
    pub kappa_rho: f64,
    /// [`Config::ascent_steps`].
    pub ascent_steps: usize,
    /// [`Config::chunks`].
    pub chunks: usize,
}

impl Job {
    /// The job of `cfg`'s run of setting `s` at `rho` and `seed`.
    pub fn new(cfg: &Config, s: &Setting, rho: f64, seed: u64, at_pick: bool) -> Self {
        Job {
            batch_size: s.batch_size,
            m: s.m,
            lr: s.lr,
            rho,
            seed,
            at_pick,
            epochs: cfg.epochs,
            train_size: cfg.train_size,
            val_size: cfg.val_size,
            kappa_rho: cfg.kappa_rho,
            ascent_steps: cfg.ascent_steps,
            chunks: cfg.chunks,
        }
    }
}

/// Runs one job: the run of [`run`], with its m-sharpness.
pub fn run_job(job: &Job, data: &sam_mnist::data::Mnist) -> Result<(RunRow, Option<Params>)> {
    let s = Setting {
        batch_size: job.batch_size,
        m: job.m,
        lr: job.lr,
    };
    // the study's settings that a run reads; the others (the variance and Gaussian questions)
    // are not used by a run
    let cfg = Config {
        settings: vec![s],
        rhos: vec![job.rho],
        seeds: vec![job.seed],
        epochs: job.epochs,
        train_size: job.train_size,
        val_size: job.val_size,
        kappa_rho: job.kappa_rho,
        ascent_steps: job.ascent_steps,
        chunks: job.chunks,
        variance_batches: 0,
        gaussian_samples: 0,
    };
    let sets = SampleSets::with_validation(data, cfg.train_size, cfg.val_size)?;
    run_one(&cfg, &s, job.rho, job.seed, job.at_pick, &sets)
}

/// One run: train, evaluate at the end, measure its m-sharpness; the parameters for the
/// variance question. A divergence is a row marked diverged (never an error).
fn run_one(
    cfg: &Config,
    s: &Setting,
    rho: f64,
    seed: u64,
    at_pick: bool,
    sets: &SampleSets,
) -> Result<(RunRow, Option<Params>)> {
    let tc = cfg.train_config(s, rho, seed).check()?;
    let t0 = std::time::Instant::now();
    let mut row = RunRow {
        batch_size: s.batch_size,
        m: s.m,
        lr: s.lr,
        rho,
        seed,
        at_pick,
        diverged: false,
        train_loss: 0.0,
        val_loss: 0.0,
        test_loss: 0.0,
        test_acc: 0.0,
        gap: 0.0,
        m_sharpness: 0.0,
        chunks: 0,
        wall_s: 0.0,
    };
    let params = match train_observed(&tc, sets, |_, _, _| Ok(())) {
        Ok(p) => p,
        Err(MnistError::NonFinite { .. }) => {
            row.diverged = true;
            return Ok((row, None));
        }
        Err(e) => return Err(e.into()),
    };
    row.wall_s = t0.elapsed().as_secs_f64();
    let val = sets.val.as_ref().ok_or_else(|| {
        ExperimentError::Config("mnist-msharp needs a validation set: set val_size > 0".into())
    })?;
    let (train_loss, _) = evaluate(&params, &sets.train, 1);
    let (val_loss, _) = evaluate(&params, val, 1);
    let (test_loss, test_acc) = evaluate(&params, &sets.test, 1);
    if ![train_loss, val_loss, test_loss]
        .iter()
        .all(|v| v.is_finite())
    {
        row.diverged = true;
        return Ok((row, None));
    }
    let cs = chunks(cfg.train_size, s.m, cfg.chunks, seed);
    let mut ks = Vec::with_capacity(cs.len());
    let mut oracle = BatchGradient::new(params.sizes(), s.m);
    let theta = params.to_f64();
    let mut meter = Meter::new(&mut oracle, &theta);
    for c in &cs {
        ks.push(meter.kappa(&sets.train, c, cfg.kappa_rho, cfg.ascent_steps)?);
    }
    row.train_loss = train_loss;
    row.val_loss = val_loss;
    row.test_loss = test_loss;
    row.test_acc = test_acc;
    row.gap = test_loss - train_loss;
    row.m_sharpness = mean_std(&ks).0;
    row.chunks = ks.len();
    Ok((row, Some(params)))
}

fn variance_row(
    cfg: &Config,
    r: &RunRow,
    params: &Params,
    sets: &SampleSets,
) -> Result<VarianceRow> {
    let mut rng = ChaCha8Rng::seed_from_u64(0xBA7C_u64 ^ r.seed);
    let all: Vec<usize> = (0..cfg.train_size).collect();
    let mut ks = Vec::with_capacity(cfg.variance_batches);
    let mut oracle = BatchGradient::new(params.sizes(), cfg.train_size.max(r.batch_size));
    let theta = params.to_f64();
    let mut meter = Meter::new(&mut oracle, &theta);
    for _ in 0..cfg.variance_batches {
        let b: Vec<usize> = all
            .choose_multiple(&mut rng, r.batch_size)
            .copied()
            .collect();
        ks.push(meter.kappa(&sets.train, &b, cfg.kappa_rho, cfg.ascent_steps)?);
    }
    let (mean, std) = mean_std(&ks);
    Ok(VarianceRow {
        batch_size: r.batch_size,
        m: r.m,
        rho: r.rho,
        seed: r.seed,
        batches: ks.len(),
        kappa_batch_mean: mean,
        kappa_batch_var: std * std,
        kappa_full: meter.kappa(&sets.train, &all, cfg.kappa_rho, cfg.ascent_steps)?,
        gaussian_sharpness: gaussian_sharpness(
            params,
            &sets.train,
            cfg.kappa_rho,
            cfg.gaussian_samples,
            r.seed,
        )?,
        gap: r.gap,
    })
}

fn summarize(cfg: &Config, runs: &[RunRow]) -> Vec<SummaryRow> {
    cfg.settings
        .iter()
        .filter_map(|s| {
            let of = |r: &&RunRow| r.batch_size == s.batch_size && r.m == s.m && !r.diverged;
            let picks: Vec<&RunRow> = runs.iter().filter(of).filter(|r| r.at_pick).collect();
            let first = picks.first()?;
            let col =
                |f: fn(&RunRow) -> f64| mean_std(&picks.iter().map(|r| f(r)).collect::<Vec<_>>());
            let (tl, tls) = col(|r| r.test_loss);
            let (ta, tas) = col(|r| r.test_acc);
            let (g, gs) = col(|r| r.gap);
            let pts: Vec<(f64, f64)> = runs
                .iter()
                .filter(of)
                .map(|r| (r.m_sharpness, r.gap))
                .collect();
            Some(SummaryRow {
                batch_size: s.batch_size,
                m: s.m,
                rho: first.rho,
                runs: picks.len(),
                test_loss_mean: tl,
                test_loss_std: tls,
                test_acc_mean: ta,
                test_acc_std: tas,
                gap_mean: g,
                gap_std: gs,
                m_sharpness_mean: col(|r| r.m_sharpness).0,
                tau_msharp_gap: kendall_tau_b(&pts),
                tau_runs: pts.len(),
            })
        })
        .collect()
}

impl Verdicts {
    /// From the rows.
    pub fn compute(runs: &[RunRow], summary: &[SummaryRow], variance: &[VarianceRow]) -> Self {
        let mut batches: Vec<usize> = summary.iter().map(|s| s.batch_size).collect();
        batches.dedup();
        let mut smaller_m = Vec::new();
        let mut tau_rises = Vec::new();
        let mut tau_var = Vec::new();
        for &b in &batches {
            let at_b: Vec<&SummaryRow> = summary.iter().filter(|s| s.batch_size == b).collect();
            let (Some(small), Some(full)) = (
                at_b.iter().min_by_key(|s| s.m),
                at_b.iter().find(|s| s.m == b),
            ) else {
                continue;
            };
            if small.m < b {
                let pick = |s: &SummaryRow| {
                    runs.iter()
                        .filter(|r| r.batch_size == b && r.m == s.m && r.at_pick && !r.diverged)
                        .map(|r| (r.seed, r.test_loss, r.test_acc))
                        .collect::<Vec<_>>()
                };
                let (a, c) = (pick(small), pick(full));
                let loss = |v: &[(u64, f64, f64)]| v.iter().map(|x| (x.0, x.1)).collect::<Vec<_>>();
                let acc = |v: &[(u64, f64, f64)]| v.iter().map(|x| (x.0, x.2)).collect::<Vec<_>>();
                let l = paired(&loss(&a), &loss(&c));
                smaller_m.push(MComparison {
                    batch_size: b,
                    m: small.m,
                    wins: l.below,
                    seeds: l.seeds,
                    mean_diff: l.mean_diff,
                    diff_se: l.diff_se,
                    acc_diff: paired(&acc(&a), &acc(&c)).mean_diff,
                    verdict: l.verdict,
                });
                let t = |s: &SummaryRow| s.tau_msharp_gap.unwrap_or(f64::NEG_INFINITY);
                tau_rises.push((b, t(small) > t(full)));
            }
            let pts: Vec<(f64, f64)> = variance
                .iter()
                .filter(|v| v.batch_size == b)
                .map(|v| (v.kappa_batch_var, v.gap))
                .collect();
            tau_var.push((b, kendall_tau_b(&pts)));
        }
        Verdicts {
            smaller_m,
            tau_rises_as_m_falls: tau_rises,
            batch_mean_above_full: variance
                .iter()
                .filter(|v| v.kappa_batch_mean >= v.kappa_full)
                .count(),
            variance_networks: variance.len(),
            tau_variance_gap: tau_var,
        }
    }
}

/// Runs the study: the ρ grid on the first seed, the other seeds at each setting's pick
/// (lowest final validation loss), two runs at a time.
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
        .ok_or_else(|| ExperimentError::Config("mnist-msharp: give at least one seed".into()))?;
    let (data, source) = load(&LoadOptions::new(None, root.join("data/mnist")))?;
    eprintln!("mnist-msharp: data from {source}");
    let sets = SampleSets::with_validation(&data, cfg.train_size, cfg.val_size)?;
    let grid: Vec<(Setting, f64)> = cfg
        .settings
        .iter()
        .flat_map(|s| cfg.rhos.iter().map(move |&r| (*s, r)))
        .collect();
    progress(
        (grid.len() + cfg.settings.len() * cfg.seeds.len()) as u64,
        "mnist-msharp runs",
    );
    let go = |phase: &str,
              jobs: &[(Setting, f64, u64, bool)]|
     -> Result<Vec<(RunRow, Option<Params>)>> {
        let settings = jobs
            .iter()
            .map(|(s, rho, seed, at)| serde_json::to_value(Job::new(cfg, s, *rho, *seed, *at)))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| ExperimentError::Config(e.to_string()))?;
        trainer
            .jobs(phase, JOB, &settings, &data, 2, progress)?
            .into_iter()
            .map(|o| {
                let row: RunRow = serde_json::from_value(o.row).map_err(|e| {
                    ExperimentError::Config(format!("{JOB}: a row does not parse: {e}"))
                })?;
                Ok((row, o.params))
            })
            .collect()
    };
    let jobs: Vec<_> = grid.iter().map(|(s, r)| (*s, *r, first, false)).collect();
    let mut done = go("mnist-msharp-grid", &jobs)?;
    // picks: lowest validation loss of the first seed among the ρ that did not diverge
    let mut next = Vec::new();
    for s in &cfg.settings {
        let best = done
            .iter_mut()
            .filter(|(r, _)| r.batch_size == s.batch_size && r.m == s.m && !r.diverged)
            .min_by(|a, b| a.0.val_loss.total_cmp(&b.0.val_loss));
        if let Some((r, _)) = best {
            r.at_pick = true;
            let rho = r.rho;
            next.extend(cfg.seeds.iter().skip(1).map(|&seed| (*s, rho, seed, true)));
        }
    }
    done.extend(go("mnist-msharp-picks", &next)?);
    let picked: Vec<&(RunRow, Option<Params>)> = done.iter().filter(|(r, _)| r.at_pick).collect();
    progress(picked.len() as u64, "mnist-msharp per-batch sharpness");
    let variance: Vec<VarianceRow> = picked
        .par_iter()
        .with_max_len(1)
        .filter_map(|(r, p)| p.as_ref().map(|p| (r, p)))
        .map(|(r, p)| {
            let v = variance_row(cfg, r, p, &sets);
            progress(0, "");
            v
        })
        .collect::<Result<_>>()?;
    let runs: Vec<RunRow> = done.into_iter().map(|(r, _)| r).collect();
    let summary = summarize(cfg, &runs);
    let verdicts = Verdicts::compute(&runs, &summary, &variance);
    Ok(Results {
        runs,
        variance,
        summary,
        verdicts,
        meta: sam_results::Meta::new(NAME, Some(first), quick, cfg)?,
    })
}

crate::results_files!(
    runs: csv "runs.csv",
    variance: csv "variance.csv",
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

    fn run_row(b: usize, m: usize, seed: u64, loss: f64, ms: f64, gap: f64) -> RunRow {
        RunRow {
            batch_size: b,
            m,
            lr: 0.01,
            rho: 0.05,
            seed,
            at_pick: true,
            diverged: false,
            train_loss: 0.0,
            val_loss: loss,
            test_loss: loss,
            test_acc: 0.9,
            gap,
            m_sharpness: ms,
            chunks: 1,
            wall_s: 0.0,
        }
    }

    /// Seed-paired differences decide "lower" only beyond two standard errors.
    #[test]
    fn verdict_of_hand_made_rows() {
        let cfg = Config {
            settings: vec![
                Setting {
                    batch_size: 10,
                    m: 1,
                    lr: 0.01,
                },
                Setting {
                    batch_size: 10,
                    m: 10,
                    lr: 0.01,
                },
            ],
            ..Config::quick()
        };
        let mut runs = Vec::new();
        for s in 0..4u64 {
            // m = 1: test loss lower by 0.1 ± small, m-sharpness ranks the gap exactly
            runs.push(run_row(10, 1, s, 0.5 + 0.01 * s as f64, s as f64, s as f64));
            runs.push(run_row(
                10,
                10,
                s,
                0.6 + 0.012 * s as f64,
                s as f64,
                3.0 - s as f64,
            ));
        }
        let summary = summarize(&cfg, &runs);
        assert_eq!(summary[0].tau_msharp_gap, Some(1.0));
        assert_eq!(summary[1].tau_msharp_gap, Some(-1.0));
        let v = Verdicts::compute(&runs, &summary, &[]);
        assert_eq!(v.smaller_m[0].verdict, "lower");
        assert_eq!(v.smaller_m[0].wins, 4);
        assert_eq!(v.tau_rises_as_m_falls, vec![(10, true)]);
        // equal losses: no clear difference
        for r in runs.iter_mut() {
            r.test_loss = 0.5;
        }
        let v = Verdicts::compute(&runs, &summarize(&cfg, &runs), &[]);
        assert_eq!(v.smaller_m[0].verdict, "no clear difference");
    }
}
