//! The MNIST experiment of section 2.3.2 (Figures 3–5, report `03-mnist.md`): a hyperparameter
//! sweep, the 5-seed protocol for SGD, Adam and SAM, and an analysis of each optimizer's best
//! network (Hessian spectrum and trace, a κ_ρ lower bound, Theorem 1 and an honest PAC-Bayes
//! certificate, which also fill the `pacbayes-mnist` section of `04-pac-bayes.md`). The verdicts
//! on the review's claims are computed here ([`Verdicts`]), not by the report.

use crate::{logspace, ExperimentError, Result};
use sam_mnist::data::{load, LoadOptions};
use sam_mnist::model::{MlpObjective, Params, SIZES};
use sam_mnist::train::{evaluate, EpochRow, Optimizer, SampleSets, TrainConfig};
use sam_results::mean_std;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub mod drift;
pub mod msharp;
pub mod noise;
pub mod selection;
use selection::{
    convergence, matched_gap, picks, stopped_row, summarize_stopped, ConvergenceRow, GapRatioRow,
    MatchedGap, Pick, StoppedRow, StoppedSummary,
};

/// The experiment's folder name under `results/`.
pub const NAME: &str = "mnist";

/// The optimizers of the protocol, in report order.
pub const OPTIMIZERS: [&str; 3] = ["sgd", "adam", "sam"];

/// Settings of the whole MNIST experiment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Seeds of the protocol (paper: 5 runs).
    pub seeds: Vec<u64>,
    /// The protocol's three runs per seed (seed field ignored).
    pub protocol: Vec<TrainConfig>,
    /// The one-seed sweep.
    pub sweep: Vec<TrainConfig>,
    /// Lanczos steps for λ_max.
    pub lanczos_steps: usize,
    /// Rademacher probes for the Hessian trace.
    pub trace_probes: usize,
    /// Radii for the κ_ρ lower bound and Theorem 1.
    pub rhos: Vec<f64>,
    /// Projected-ascent steps for the κ_ρ lower bound.
    pub ascent_steps: usize,
    /// The longer budget of the lower bound's convergence check.
    #[serde(default)]
    pub ascent_check_steps: usize,
    /// Random restarts of the check at the largest ρ.
    #[serde(default)]
    pub ascent_restarts: usize,
    /// Confidence parameter δ of the bounds.
    pub delta: f64,
    /// Confidence spent on the Monte Carlo estimates, δ'.
    pub delta_mc: f64,
    /// Posterior standard deviations σ searched.
    pub sigmas: Vec<f64>,
    /// Prior standard deviations σ_P (union bound over this grid).
    pub sigma_priors: Vec<f64>,
    /// Posterior samples per σ.
    pub mc_samples: usize,
    /// Threads for independent runs.
    pub threads: usize,
    /// Validation images after the training images (every run evaluates them each epoch;
    /// every hyperparameter choice is made on them).
    #[serde(default)]
    pub val_size: usize,
}

impl Config {
    /// The review's protocol with the anchors' defaults, a wider sweep, and the analysis budgets.
    pub fn full() -> Self {
        let sgd = |lr| TrainConfig {
            lr,
            ..TrainConfig::sgd(0)
        };
        let adam = |lr| TrainConfig {
            lr,
            ..TrainConfig::adam(0)
        };
        let sam = |lr, rho| TrainConfig {
            lr,
            ..TrainConfig::paper(Optimizer::Sam { rho }, 0)
        };
        Self {
            seeds: (0..5).collect(),
            protocol: vec![
                TrainConfig::sgd(0),
                TrainConfig::adam(0),
                TrainConfig::sam(0),
            ],
            sweep: vec![
                sgd(0.001),
                sgd(0.003),
                sgd(0.01),
                sgd(0.03),
                sgd(0.1),
                adam(3e-5),
                adam(1e-4),
                adam(3e-4),
                adam(1e-3),
                adam(3e-3),
                sam(0.003, 0.1),
                sam(0.003, 0.2),
                sam(0.01, 0.05),
                sam(0.01, 0.1),
                sam(0.01, 0.2),
                sam(0.01, 0.5),
                sam(0.01, 1.0),
                sam(0.01, 2.0),
                sam(0.03, 0.2),
                sam(0.03, 0.5),
                sam(0.1, 0.5),
            ],
            lanczos_steps: 30,
            trace_probes: 20,
            rhos: vec![0.05, 0.2],
            ascent_steps: 20,
            ascent_check_steps: 200,
            ascent_restarts: 2,
            delta: 0.05,
            delta_mc: 0.01,
            sigmas: logspace(-3.0, -0.5, 11),
            sigma_priors: logspace(-3.0, 0.0, 13),
            mc_samples: 100,
            threads: 2,
            val_size: 5000,
        }
    }
    /// A few short runs for `--quick`.
    pub fn quick() -> Self {
        let short = |c: TrainConfig| TrainConfig { epochs: 2, ..c };
        let f = Self::full();
        Self {
            seeds: vec![0, 1],
            protocol: f.protocol.into_iter().map(short).collect(),
            sweep: f.sweep.into_iter().step_by(4).map(short).collect(),
            lanczos_steps: 3,
            trace_probes: 2,
            ascent_steps: 2,
            ascent_check_steps: 4,
            ascent_restarts: 1,
            sigmas: logspace(-3.0, -1.0, 2),
            mc_samples: 3,
            val_size: 500,
            ..Self::full()
        }
    }
}

macro_rules! epoch_fields {
    ($t:ty) => {
        impl $t {
            /// The epoch metrics of this row.
            pub fn row(&self) -> EpochRow {
                EpochRow {
                    epoch: self.epoch,
                    grad_evals: self.grad_evals,
                    train_loss: self.train_loss,
                    train_acc: self.train_acc,
                    test_loss: self.test_loss,
                    test_acc: self.test_acc,
                    gap: self.gap,
                    wall_s: self.wall_s,
                    cpu_s: self.cpu_s,
                    val_loss: self.val_loss,
                    val_acc: self.val_acc,
                    clean_train_acc: None,
                    noisy_train_acc: None,
                }
            }
        }
    };
}
epoch_fields!(RunRow);

/// One epoch of one run (the curves), or a run's final epoch (sweep and protocol finals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Learning rate.
    pub lr: f64,
    /// SAM's ρ (0 for the others).
    pub rho: f64,
    /// Seed.
    pub seed: u64,
    /// Epochs.
    pub epochs: usize,
    /// See [`EpochRow`].
    pub epoch: usize,
    /// See [`EpochRow`].
    pub grad_evals: usize,
    /// See [`EpochRow`].
    pub train_loss: f64,
    /// See [`EpochRow`].
    pub train_acc: f64,
    /// See [`EpochRow`].
    pub test_loss: f64,
    /// See [`EpochRow`].
    pub test_acc: f64,
    /// See [`EpochRow`].
    pub gap: f64,
    /// See [`EpochRow`].
    pub wall_s: f64,
    /// See [`EpochRow`].
    pub cpu_s: f64,
    /// See [`EpochRow`] (empty without a validation set).
    #[serde(default)]
    pub val_loss: Option<f64>,
    /// See [`EpochRow`] (empty without a validation set).
    #[serde(default)]
    pub val_acc: Option<f64>,
}

impl RunRow {
    /// The loss every choice among runs is made on: the validation loss, or the test loss for
    /// results made without a validation set.
    ///
    /// ```
    /// # use sam_experiments::mnist::RunRow;
    /// # let r: RunRow = serde_json::from_str(r#"{"optimizer":"sgd","lr":0.01,"rho":0.0,"seed":0,"epochs":1,"epoch":1,"grad_evals":100,"train_loss":0.5,"train_acc":0.8,"test_loss":0.7,"test_acc":0.8,"gap":0.2,"wall_s":0.1,"cpu_s":0.1,"val_loss":0.6}"#).unwrap();
    /// assert_eq!(r.selection_loss(), 0.6);
    /// ```
    pub fn selection_loss(&self) -> f64 {
        self.val_loss.unwrap_or(self.test_loss)
    }
}

fn rho_of(c: &TrainConfig) -> f64 {
    match c.optimizer {
        Optimizer::Sam { rho } => rho,
        _ => 0.0,
    }
}

fn run_row(c: &TrainConfig, r: &EpochRow) -> RunRow {
    RunRow {
        optimizer: c.optimizer.name().into(),
        lr: c.lr,
        rho: rho_of(c),
        seed: c.seed,
        epochs: c.epochs,
        epoch: r.epoch,
        grad_evals: r.grad_evals,
        train_loss: r.train_loss,
        train_acc: r.train_acc,
        test_loss: r.test_loss,
        test_acc: r.test_acc,
        gap: r.gap,
        wall_s: r.wall_s,
        cpu_s: r.cpu_s,
        val_loss: r.val_loss,
        val_acc: r.val_acc,
    }
}

/// The last epoch's row of a run.
fn final_row(c: &TrainConfig, rows: &[EpochRow]) -> Result<RunRow> {
    let last = rows.last().ok_or_else(|| {
        ExperimentError::Finding(format!(
            "the {} run (seed {}) produced no epoch rows: give at least one epoch",
            c.optimizer.name(),
            c.seed
        ))
    })?;
    Ok(run_row(c, last))
}

/// Per optimizer: the best seed and mean ± std (sample std, n − 1) over seeds of the final epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Learning rate.
    pub lr: f64,
    /// SAM's ρ.
    pub rho: f64,
    /// Seeds.
    pub runs: usize,
    /// The seed with the lowest final validation loss (test loss without a validation set).
    pub best_seed: u64,
    /// Best run: test loss.
    pub best_test_loss: f64,
    /// Best run: test accuracy.
    pub best_test_acc: f64,
    /// Best run: gap.
    pub best_gap: f64,
    /// Mean final test loss.
    pub test_loss_mean: f64,
    /// Its std.
    pub test_loss_std: f64,
    /// Mean final test accuracy.
    pub test_acc_mean: f64,
    /// Its std.
    pub test_acc_std: f64,
    /// Mean final gap.
    pub gap_mean: f64,
    /// Its std.
    pub gap_std: f64,
    /// Mean final train loss.
    pub train_loss_mean: f64,
    /// Mean CPU seconds per epoch of training.
    pub cpu_s_per_epoch: f64,
    /// Mean CPU seconds for the whole training (15000 gradient evaluations).
    pub cpu_s_total: f64,
}

fn summarize(finals: &[RunRow]) -> Vec<SummaryRow> {
    OPTIMIZERS
        .iter()
        .filter_map(|o| {
            let runs: Vec<&RunRow> = finals.iter().filter(|r| r.optimizer == *o).collect();
            // picked on validation (the test loss only without a validation set)
            let best = runs
                .iter()
                .min_by(|a, b| a.selection_loss().total_cmp(&b.selection_loss()))?;
            let col = |f: &dyn Fn(&RunRow) -> f64| {
                mean_std(&runs.iter().map(|r| f(r)).collect::<Vec<_>>())
            };
            let (tl, tls) = col(&|r| r.row().test_loss);
            let (ta, tas) = col(&|r| r.row().test_acc);
            let (g, gs) = col(&|r| r.row().gap);
            let (trl, _) = col(&|r| r.row().train_loss);
            let (cpu, _) = col(&|r| r.row().cpu_s);
            Some(SummaryRow {
                optimizer: o.to_string(),
                lr: best.lr,
                rho: best.rho,
                runs: runs.len(),
                best_seed: best.seed,
                best_test_loss: best.row().test_loss,
                best_test_acc: best.row().test_acc,
                best_gap: best.row().gap,
                test_loss_mean: tl,
                test_loss_std: tls,
                test_acc_mean: ta,
                test_acc_std: tas,
                gap_mean: g,
                gap_std: gs,
                train_loss_mean: trl,
                cpu_s_per_epoch: cpu / best.epochs as f64,
                cpu_s_total: cpu,
            })
        })
        .collect()
}

/// Sharpness and bounds at one optimizer's best network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisRow {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Seed of the network (the optimizer's best).
    pub seed: u64,
    /// ‖θ‖.
    pub theta_norm: f64,
    /// ‖θ − θ₀‖ (θ₀: the initialisation).
    pub dist_from_init: f64,
    /// Top Hessian eigenvalue of the training loss (Lanczos on exact HVPs).
    pub lambda_max: f64,
    /// Lanczos residual of that eigenpair.
    pub lanczos_residual: f64,
    /// Hessian trace (Hutchinson).
    pub trace: f64,
    /// Its standard error.
    pub trace_se: f64,
    /// ρ of the next three columns.
    pub rho: f64,
    /// Lower bound on κ_ρ of the training cross-entropy (projected ascent).
    pub kappa_lower: f64,
    /// Training 0-1 error at θ.
    pub train_err: f64,
    /// Training 0-1 error at the ascent's θ + e: a lower bound on max over the ball.
    pub perturbed_err_lower: f64,
    /// Theorem 1's complexity term (d = 545810, n = 1000, δ, ρ, ‖θ‖).
    pub theorem1_complexity: f64,
    /// Theorem 1's right-hand side with the perturbed-error lower bound (so itself a lower bound).
    pub theorem1_rhs_lower: f64,
    /// Smallest n with complexity < 1.
    pub n_for_complexity_1: u64,
    /// Smallest n with complexity < 0.1.
    pub n_for_complexity_01: u64,
    /// Test 0-1 error at θ.
    pub test_err: f64,
    /// Test loss at θ.
    pub test_loss: f64,
}

/// The best PAC-Bayes-kl certificate for one network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateRow {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Posterior σ.
    pub sigma: f64,
    /// Monte Carlo mean training error of the stochastic predictor N(θ, σ²I).
    pub stochastic_train_err: f64,
    /// Its upper bound (kl-inverse, confidence δ'/|σ grid|).
    pub stochastic_train_err_upper: f64,
    /// The σ_P that gave the best bound.
    pub sigma_prior: f64,
    /// KL(Q‖P).
    pub kl: f64,
    /// The certificate on the stochastic predictor's true error (probability ≥ 1 − δ − δ').
    pub bound: f64,
    /// Monte Carlo test error of the stochastic predictor (for comparison).
    pub stochastic_test_err: f64,
    /// Whether this σ is the one with the smallest bound for this network (ties: smallest KL).
    pub best: bool,
}

fn train_err_of(theta: &[f32], samples: &sam_mnist::model::Samples) -> Result<f64> {
    let p = Params::from_flat(&SIZES, theta.to_vec())?;
    Ok(1.0 - evaluate(&p, samples, 1).1)
}

/// Deterministic standard normal draws (Box–Muller on a SplitMix64 stream) for the posterior.
pub(crate) struct Normal(pub(crate) u64);
impl Normal {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    pub(crate) fn sample(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn analyse(
    cfg: &Config,
    name: &str,
    run: &TrainConfig,
    params: &Params,
    sets: &SampleSets,
    progress: crate::Progress,
) -> Result<(Vec<AnalysisRow>, Vec<CertificateRow>)> {
    let theta = params.to_f64();
    let d = theta.len();
    let theta0 = Params::init(&SIZES, run.seed).to_f64();
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let dist2: f64 = theta
        .iter()
        .zip(&theta0)
        .map(|(a, b)| (a - b).powi(2))
        .sum();
    let objective = MlpObjective::new(&SIZES, &sets.train)?;
    let lz = sam_sharpness::lanczos_at(&objective, &theta, cfg.lanczos_steps, 0)?;
    progress(0, "");
    let tr = sam_sharpness::hutchinson_trace_at(&objective, &theta, cfg.trace_probes, 0)?;
    progress(0, "");
    let (test_loss, test_acc) = evaluate(params, &sets.test, 1);
    let train_err = 1.0 - evaluate(params, &sets.train, 1).1;
    let mut rows = Vec::new();
    for &rho in &cfg.rhos {
        let lb = sam_sharpness::projected_ascent_lower_bound_at(
            &objective,
            &theta,
            rho,
            cfg.ascent_steps,
        )?;
        let perturbed: Vec<f32> = theta
            .iter()
            .zip(&lb.argmax)
            .map(|(a, e)| (a + e) as f32)
            .collect();
        let perturbed_err = train_err_of(&perturbed, &sets.train)?.max(train_err);
        let tn = norm(&theta);
        let n = sets.train.len() as u64;
        let complexity = sam_pacbayes::sam_complexity(d as u64, n, cfg.delta, rho, tn)?;
        rows.push(AnalysisRow {
            optimizer: name.into(),
            seed: run.seed,
            theta_norm: tn,
            dist_from_init: dist2.sqrt(),
            lambda_max: lz.lambda_max,
            lanczos_residual: lz.residual,
            trace: tr.mean,
            trace_se: tr.std_error,
            rho,
            kappa_lower: lb.value,
            train_err,
            perturbed_err_lower: perturbed_err,
            theorem1_complexity: complexity,
            theorem1_rhs_lower: sam_pacbayes::sam_bound(
                perturbed_err,
                d as u64,
                n,
                cfg.delta,
                rho,
                tn,
            )?,
            n_for_complexity_1: sam_pacbayes::n_for_complexity(d as u64, cfg.delta, rho, tn, 1.0)?,
            n_for_complexity_01: sam_pacbayes::n_for_complexity(d as u64, cfg.delta, rho, tn, 0.1)?,
            test_err: 1.0 - test_acc,
            test_loss,
        });
        progress(0, "");
    }
    // The honest certificate: Q = N(θ, σ²I), P = N(θ₀, σ_P²I), PAC-Bayes-kl with a union bound
    // over the σ_P grid (inside best_prior_certificate) and over the σ grid for the Monte Carlo.
    let n = sets.train.len() as u64;
    let delta_each = cfg.delta_mc / cfg.sigmas.len() as f64;
    let mut certs = Vec::new();
    for (i, &sigma) in cfg.sigmas.iter().enumerate() {
        let mut rng = Normal(0x5A17_u64 ^ ((i as u64) << 32) ^ run.seed);
        let (mut train_sum, mut test_sum) = (0.0, 0.0);
        let test_draws = (cfg.mc_samples / 10).max(1);
        for j in 0..cfg.mc_samples {
            let sample: Vec<f32> = theta
                .iter()
                .map(|t| (t + sigma * rng.sample()) as f32)
                .collect();
            train_sum += train_err_of(&sample, &sets.train)?;
            if j < test_draws {
                test_sum += train_err_of(&sample, &sets.test)?;
            }
        }
        let mean = train_sum / cfg.mc_samples as f64;
        let upper =
            sam_pacbayes::kl_inverse_upper(mean, (2.0 / delta_each).ln() / cfg.mc_samples as f64)?;
        let c = sam_pacbayes::best_prior_certificate(
            n,
            d as u64,
            dist2,
            sigma,
            &cfg.sigma_priors,
            upper,
            cfg.delta,
        )?;
        certs.push(CertificateRow {
            optimizer: name.into(),
            sigma,
            stochastic_train_err: mean,
            stochastic_train_err_upper: upper,
            sigma_prior: c.sigma_p,
            kl: c.kl,
            bound: c.bound,
            stochastic_test_err: test_sum / test_draws as f64,
            best: false,
        });
        progress(0, "");
    }
    // the smallest bound; among equal bounds (e.g. all vacuous at 1.0) the smallest KL, not the
    // first grid point (issue 11, item 13)
    if let Some(best) = certs
        .iter_mut()
        .min_by(|a, b| a.bound.total_cmp(&b.bound).then(a.kl.total_cmp(&b.kl)))
    {
        best.best = true;
    }
    Ok((rows, certs))
}

/// The JAX reference's 5-seed table, parsed from `../shared/anchors/README.md` when present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceRow {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Mean final test loss.
    pub test_loss_mean: f64,
    /// Its std.
    pub test_loss_std: f64,
    /// Mean final test accuracy.
    pub test_acc_mean: f64,
    /// Its std.
    pub test_acc_std: f64,
    /// Mean final gap.
    pub gap_mean: f64,
    /// Its std.
    pub gap_std: f64,
}

fn parse_reference(readme: &str) -> Vec<ReferenceRow> {
    let pm = |s: &str| -> Option<(f64, f64)> {
        let mut it = s.split("+-").map(|p| p.trim().parse::<f64>());
        Some((it.next()?.ok()?, it.next()?.ok()?))
    };
    readme
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            if cells.len() < 6 {
                return None;
            }
            let name = cells[1].to_lowercase();
            let opt = OPTIMIZERS.iter().find(|o| name.starts_with(*o))?;
            let (tl, tls) = pm(cells[2])?;
            let (ta, tas) = pm(cells[3])?;
            let (g, gs) = pm(cells[4])?;
            Some(ReferenceRow {
                optimizer: opt.to_string(),
                test_loss_mean: tl,
                test_loss_std: tls,
                test_acc_mean: ta,
                test_acc_std: tas,
                gap_mean: g,
                gap_std: gs,
            })
        })
        .collect()
}

/// One run of the κ_ρ lower bound's convergence check (issue 11, item 11).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KappaCheckRow {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Seed of the analysed network.
    pub seed: u64,
    /// Radius.
    pub rho: f64,
    /// "sam_direction" (ê = ρg/‖g‖, as in the analysis) or "random_K" (a seeded uniform
    /// direction on the sphere).
    pub start: String,
    /// Step budget of projected ascent (it stops earlier once the step is below 1e-12).
    pub steps: usize,
    /// Evaluations of the loss and gradient it used.
    pub evaluations: u64,
    /// The lower bound found.
    pub kappa_lower: f64,
}

/// The analysis's κ_ρ lower bound (`analysis` rows, `ascent_steps` steps from ê) beside the same
/// ascent with `ascent_check_steps` steps, and, at the largest ρ, from `ascent_restarts` random
/// directions with that budget.
fn kappa_check(
    cfg: &Config,
    name: &str,
    run: &TrainConfig,
    params: &Params,
    sets: &SampleSets,
    analysis: &[AnalysisRow],
) -> Result<Vec<KappaCheckRow>> {
    let theta = params.to_f64();
    let objective = MlpObjective::new(&SIZES, &sets.train)?;
    let rho_max = cfg.rhos.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut rows = Vec::new();
    for &rho in &cfg.rhos {
        let row = |start: &str, steps: usize, lb: &sam_sharpness::LowerBound| KappaCheckRow {
            optimizer: name.into(),
            seed: run.seed,
            rho,
            start: start.into(),
            steps,
            evaluations: lb.evaluations,
            kappa_lower: lb.value,
        };
        if let Some(a) = analysis.iter().find(|a| a.rho == rho) {
            rows.push(KappaCheckRow {
                optimizer: name.into(),
                seed: run.seed,
                rho,
                start: "sam_direction".into(),
                steps: cfg.ascent_steps,
                evaluations: 0,
                kappa_lower: a.kappa_lower,
            });
        }
        let long = sam_sharpness::projected_ascent_lower_bound_at(
            &objective,
            &theta,
            rho,
            cfg.ascent_check_steps,
        )?;
        rows.push(row("sam_direction", cfg.ascent_check_steps, &long));
        if rho == rho_max {
            for k in 0..cfg.ascent_restarts {
                let mut rng = Normal(0xCA11_u64 ^ ((k as u64) << 40) ^ run.seed);
                let dir: Vec<f64> = theta.iter().map(|_| rng.sample()).collect();
                let n = dir.iter().map(|v| v * v).sum::<f64>().sqrt();
                let e0: Vec<f64> = dir.iter().map(|v| rho * v / n).collect();
                let mut vg = |x: &[f64], g: &mut [f64]| -> f64 {
                    use sam_objectives::Gradient;
                    let (v, gr) = objective.value_and_gradient(x);
                    g.copy_from_slice(&gr);
                    v
                };
                let lb = sam_sharpness::projected_ascent_lower_bound_from(
                    &mut vg,
                    &theta,
                    rho,
                    cfg.ascent_check_steps,
                    &e0,
                )?;
                rows.push(row(&format!("random_{k}"), cfg.ascent_check_steps, &lb));
            }
        }
    }
    Ok(rows)
}

/// The outcome of `c` among the scheduled `unique` configs.
fn outcome<'a>(
    unique: &[TrainConfig],
    outs: &'a [sam_mnist::train::TrainOutcome],
    c: &TrainConfig,
) -> Result<&'a sam_mnist::train::TrainOutcome> {
    unique
        .iter()
        .position(|u| u == c)
        .and_then(|i| outs.get(i))
        .ok_or_else(|| ExperimentError::Finding("a scheduled run has no outcome (a bug)".into()))
}

/// SAM's gap at the reference setting over SGD's gap at every SGD learning rate of the sweep.
fn gap_ratio_over_lr(sweep: &[RunRow], runs: &[TrainConfig]) -> Vec<GapRatioRow> {
    let sam_ref = runs
        .iter()
        .find(|c| c.optimizer.name() == "sam")
        .and_then(|c| {
            sweep
                .iter()
                .find(|s| s.optimizer == "sam" && s.lr == c.lr && s.rho == rho_of(c))
        });
    let Some(sam) = sam_ref else {
        return Vec::new();
    };
    sweep
        .iter()
        .filter(|s| s.optimizer == "sgd")
        .map(|s| GapRatioRow {
            sgd_lr: s.lr,
            sgd_gap: s.gap,
            sam_gap: sam.gap,
            ratio: sam.gap / s.gap,
        })
        .collect()
}

/// The sweep (seed 0), the reference protocol (every seed of every optimizer), and their union
/// in one scheduled batch, so both cores stay busy to the end: a config in both (the
/// protocol's seed 0 is the sweep's default point) runs once. Every run evaluates the
/// validation images (training images after the first train_size). The first phase of
/// [`run`]'s training, also the committed sweep spec `sweeps/figures/mnist-runs.toml`.
pub fn first_phase(cfg: &Config) -> (Vec<TrainConfig>, Vec<TrainConfig>, Vec<TrainConfig>) {
    let with_val = |c: &TrainConfig| TrainConfig {
        val_size: cfg.val_size,
        ..c.clone()
    };
    let runs: Vec<TrainConfig> = cfg
        .protocol
        .iter()
        .flat_map(|c| {
            cfg.seeds.iter().map(move |&seed| TrainConfig {
                seed,
                ..with_val(c)
            })
        })
        .collect();
    let sweep: Vec<TrainConfig> = cfg.sweep.iter().map(with_val).collect();
    let mut unique: Vec<TrainConfig> = Vec::new();
    for c in sweep.iter().chain(&runs) {
        if !unique.contains(c) {
            unique.push(c.clone());
        }
    }
    (sweep, runs, unique)
}

/// A run of a validation pick's protocol, with the pick's criterion.
pub type CriterionRun = (String, TrainConfig);

/// Each validation pick's protocol (every seed of the picked sweep setting, with the pick's
/// criterion) and the runs among them that the first phase (`unique`) did not make: the
/// second phase of [`run`]'s training, also the committed spec `sweeps/figures/mnist-picks.toml`.
pub fn second_phase(
    cfg: &Config,
    sweep: &[TrainConfig],
    picks: &[Pick],
    unique: &[TrainConfig],
) -> Result<(Vec<CriterionRun>, Vec<TrainConfig>)> {
    let mut val_runs: Vec<(String, TrainConfig)> = Vec::new();
    for p in picks {
        let c = sweep
            .iter()
            .find(|c| c.optimizer.name() == p.optimizer && c.lr == p.lr && rho_of(c) == p.rho)
            .ok_or_else(|| ExperimentError::Finding("a pick is not in the sweep (a bug)".into()))?;
        for &seed in &cfg.seeds {
            val_runs.push((p.criterion.clone(), TrainConfig { seed, ..c.clone() }));
        }
    }
    let fresh: Vec<TrainConfig> = {
        let mut v: Vec<TrainConfig> = Vec::new();
        for (_, c) in &val_runs {
            if !unique.contains(c) && !v.contains(c) {
                v.push(c.clone());
            }
        }
        v
    };
    Ok((val_runs, fresh))
}

/// Runs the sweep, the reference protocol, the validation-selected protocols and the analysis of
/// each optimizer's best network, and computes the verdicts on the review's claims. `root` is
/// the repository (for `data/mnist/` and `../shared/anchors/README.md`, the JAX reference
/// table, read when present); `trainer` carries out the training runs, in two phases:
/// `mnist-runs` ([`first_phase`]) and `mnist-picks` (the validation-selected protocols, which
/// depend on the first phase's results).
pub fn run(
    cfg: &Config,
    root: &Path,
    quick: bool,
    progress: crate::Progress,
    trainer: &dyn crate::Trainer,
) -> Result<Results> {
    let (data, source) = load(&LoadOptions::new(None, root.join("data/mnist")))?;
    eprintln!("mnist: data from {source}");
    let (sweep, runs, mut unique) = first_phase(cfg);
    progress(
        unique.len() as u64,
        &format!(
            "mnist sweep ({}) and protocol ({}) runs",
            sweep.len(),
            runs.len()
        ),
    );
    let mut outs = trainer.train("mnist-runs", &unique, &data, cfg.threads, progress)?;
    let mut sweep_rows = Vec::new();
    let mut sweep_curves: Vec<(RunRow, Vec<EpochRow>)> = Vec::new();
    for c in &sweep {
        let out = outcome(&unique, &outs, c)?;
        let fin = final_row(c, &out.rows)?;
        sweep_rows.push(fin.clone());
        sweep_curves.push((fin, out.rows.clone()));
    }
    // the sweep picks on validation, then each pick's protocol (every seed), sharing runs
    let picks = picks(
        &sweep_curves
            .iter()
            .map(|(r, rows)| (r, rows.as_slice()))
            .collect::<Vec<_>>(),
    );
    let (val_runs, fresh) = second_phase(cfg, &sweep, &picks, &unique)?;
    progress(
        fresh.len().max(1) as u64,
        &format!(
            "mnist validation-selected protocols ({} new runs)",
            fresh.len()
        ),
    );
    outs.extend(trainer.train("mnist-picks", &fresh, &data, cfg.threads, progress)?);
    unique.extend(fresh);
    let mut curves = Vec::new();
    let mut finals = Vec::new();
    let mut params: Vec<(TrainConfig, Params)> = Vec::new();
    let mut stopped = Vec::new();
    for c in &runs {
        let out = outcome(&unique, &outs, c)?;
        for r in &out.rows {
            curves.push(run_row(c, r));
        }
        let fin = final_row(c, &out.rows)?;
        stopped.extend(stopped_row("reference", &fin, &out.rows));
        finals.push(fin);
        params.push((c.clone(), out.params.clone()));
    }
    for (criterion, c) in &val_runs {
        let out = outcome(&unique, &outs, c)?;
        stopped.extend(stopped_row(criterion, &final_row(c, &out.rows)?, &out.rows));
    }
    let stopped_summary = summarize_stopped(&stopped);
    let gap_ratio_lr = gap_ratio_over_lr(&sweep_rows, &runs);
    let summary = summarize(&finals);
    // Analysis of each optimizer's best network.
    let sets = SampleSets::new(&data, cfg.protocol[0].train_size)?;
    progress(
        (summary.len() * (2 + cfg.rhos.len() + cfg.sigmas.len())) as u64,
        "mnist sharpness and certificates",
    );
    use rayon::prelude::*;
    type PerOptimizer = (Vec<AnalysisRow>, Vec<CertificateRow>, Vec<KappaCheckRow>);
    let per_optimizer: Vec<PerOptimizer> = summary
        .par_iter()
        .with_max_len(1)
        .map(|s| {
            let (c, p) = params
                .iter()
                .find(|(c, _)| c.optimizer.name() == s.optimizer && c.seed == s.best_seed)
                .ok_or_else(|| {
                    ExperimentError::Finding(format!(
                        "no parameters for {}'s best run",
                        s.optimizer
                    ))
                })?;
            let (a, certs) = analyse(cfg, &s.optimizer, c, p, &sets, progress)?;
            let check = kappa_check(cfg, &s.optimizer, c, p, &sets, &a)?;
            Ok((a, certs, check))
        })
        .collect::<Result<_>>()?;
    let mut analysis = Vec::new();
    let mut certificates = Vec::new();
    let mut kappa_checks = Vec::new();
    for (a, c, k) in per_optimizer {
        analysis.extend(a);
        certificates.extend(c);
        kappa_checks.extend(k);
    }
    let reference = std::fs::read_to_string(root.join("../shared/anchors/README.md"))
        .map(|s| parse_reference(&s))
        .unwrap_or_default();
    let epoch_stats = epoch_stats(&curves);
    let matched_gap = matched_gap(&curves);
    let convergence = convergence(&curves);
    let mut r = Results {
        sweep: sweep_rows,
        curves,
        finals,
        summary,
        analysis,
        certificates,
        reference,
        epoch_stats,
        matched_gap,
        convergence,
        picks,
        stopped,
        stopped_summary,
        gap_ratio_lr,
        kappa_checks,
        verdicts: Verdicts::default(),
        meta: sam_results::Meta::new(NAME, cfg.seeds.first().copied(), quick, cfg)?,
        cfg: cfg.clone(),
    };
    r.verdicts = Verdicts::compute(&r)?;
    Ok(r)
}

/// The quantities of Figures 3–5, as named in [`EpochStat::quantity`].
pub const FIGURE_QUANTITIES: [&str; 3] = ["train_loss", "test_loss", "gap"];

fn quantity(name: &str, r: &EpochRow) -> f64 {
    match name {
        "train_loss" => r.train_loss,
        "test_loss" => r.test_loss,
        _ => r.gap,
    }
}

/// One epoch's statistics over the seeds of one optimizer (the bands of Figures 3–5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochStat {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// train_loss, test_loss or gap.
    pub quantity: String,
    /// Epoch (0: before training).
    pub epoch: usize,
    /// Mean over seeds.
    pub mean: f64,
    /// Sample standard deviation over seeds (n − 1; 0 for one seed).
    pub std: f64,
    /// Mean CPU seconds of training up to this epoch.
    pub cpu_s: f64,
}

/// Per optimizer, quantity and epoch: mean ± std over the seeds of the protocol's curves.
pub fn epoch_stats(curves: &[RunRow]) -> Vec<EpochStat> {
    let mut out = Vec::new();
    for opt in OPTIMIZERS {
        let mine: Vec<&RunRow> = curves.iter().filter(|c| c.optimizer == opt).collect();
        if mine.is_empty() {
            continue;
        }
        let max_epoch = mine.iter().map(|c| c.epoch).max().unwrap_or(0);
        for q in FIGURE_QUANTITIES {
            for e in 0..=max_epoch {
                let at: Vec<&&RunRow> = mine.iter().filter(|c| c.epoch == e).collect();
                let (mean, std) =
                    mean_std(&at.iter().map(|c| quantity(q, &c.row())).collect::<Vec<_>>());
                let cpu_s = at.iter().map(|c| c.cpu_s).sum::<f64>() / at.len().max(1) as f64;
                out.push(EpochStat {
                    optimizer: opt.into(),
                    quantity: q.into(),
                    epoch: e,
                    mean,
                    std,
                    cpu_s,
                });
            }
        }
    }
    out
}

/// Whether `a` is below `b` beyond both spreads (mean ± std), in words.
///
/// ```
/// use sam_experiments::mnist::compare;
/// assert_eq!(compare((1.0, 0.1), (2.0, 0.1)), "holds");
/// assert_eq!(compare((1.0, 0.6), (2.0, 0.6)), "not resolved (the seed spreads overlap)");
/// ```
pub fn compare(a: (f64, f64), b: (f64, f64)) -> &'static str {
    if a.0 + a.1 < b.0 - b.1 {
        "holds"
    } else if a.0 - a.1 > b.0 + b.1 {
        "does not hold (the opposite holds)"
    } else {
        "not resolved (the seed spreads overlap)"
    }
}

/// Two arms compared seed by seed: the differences a − b over the seeds both have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Seeds where a is below b.
    pub below: usize,
    /// Seeds compared.
    pub seeds: usize,
    /// Mean of the differences a − b.
    pub mean_diff: f64,
    /// Its standard error (sample std / √seeds).
    pub diff_se: f64,
    /// "lower" or "higher" (a against b, by more than 2 standard errors), else "no clear
    /// difference".
    pub verdict: String,
}

/// Pairs `a` and `b` by seed (the first value of each pair) and compares them ([`Paired`]).
///
/// ```
/// use sam_experiments::mnist::paired;
/// let p = paired(&[(0, 1.0), (1, 1.1), (2, 0.9)], &[(2, 2.0), (0, 2.1), (1, 1.9)]);
/// assert_eq!((p.below, p.seeds, p.verdict.as_str()), (3, 3, "lower"));
/// assert_eq!(paired(&[(0, 1.0)], &[(1, 2.0)]).seeds, 0); // no shared seed
/// ```
pub fn paired(a: &[(u64, f64)], b: &[(u64, f64)]) -> Paired {
    let diffs: Vec<f64> = a
        .iter()
        .filter_map(|(s, x)| b.iter().find(|(t, _)| t == s).map(|(_, y)| x - y))
        .collect();
    let (mean, sd) = mean_std(&diffs);
    let se = sd / (diffs.len().max(1) as f64).sqrt();
    let verdict = if diffs.len() < 2 {
        "no clear difference"
    } else if mean < -2.0 * se {
        "lower"
    } else if mean > 2.0 * se {
        "higher"
    } else {
        "no clear difference"
    };
    Paired {
        below: diffs.iter().filter(|d| **d < 0.0).count(),
        seeds: diffs.len(),
        mean_diff: mean,
        diff_se: se,
        verdict: verdict.into(),
    }
}

/// The gap ratio on the one-seed sweep with SGD at its best learning rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepGapRatio {
    /// SGD's best sweep learning rate (lowest final validation loss).
    pub sgd_lr: f64,
    /// SAM's gap at the protocol's setting, seed 0.
    pub sam_gap: f64,
    /// SGD's gap at its best sweep learning rate.
    pub sgd_gap: f64,
    /// sam_gap / sgd_gap.
    pub ratio: f64,
}

/// The mean test loss against the JAX reference's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceAgreement {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// samlab's mean minus JAX's.
    pub difference: f64,
    /// The difference in combined seed standard deviations.
    pub z: f64,
}

/// The lowest final test loss of one optimizer in the sweep, and where its lr sits in the grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepBest {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Its learning rate.
    pub lr: f64,
    /// Its ρ (0 for SGD and Adam).
    pub rho: f64,
    /// Its final test loss.
    pub test_loss: f64,
    /// Its final validation loss, on which it was picked (absent in results without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    /// "the smallest lr tried", "the largest lr tried" or "an interior lr".
    pub position: String,
}

/// The verdict on one optimizer's tightest certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateVerdict {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// Below 0.9, the 10-class error of guessing: the certificate says something.
    pub non_vacuous: bool,
}

/// The verdicts on the review's claims about Figures 3–5 (section 2.3.2), computed from the
/// rows; the report only words them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// Mean gap SAM / SGD.
    pub gap_ratio: f64,
    /// Best runs' gap SAM / SGD.
    pub gap_ratio_best: f64,
    /// The same ratio on the sweep with SGD at its best lr.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_ratio_sweep: Option<SweepGapRatio>,
    /// "SAM's generalization gap is about 80% of SGD's" (0.7–0.9 counts as about 80%).
    pub gap_claim: String,
    /// "SAM significantly outperforms SGD on test loss".
    pub sam_beats_sgd_test_loss: String,
    /// "Adam beats SAM" on test loss.
    pub adam_beats_sam_test_loss: String,
    /// "Adam beats SAM" on test accuracy.
    pub adam_beats_sam_test_acc: String,
    /// Adam's final train loss is the lowest of the three.
    pub adam_lowest_train_loss: bool,
    /// SAM's final train loss / SGD's.
    pub train_loss_ratio: f64,
    /// That ratio is within ×2 ("similar").
    pub sam_train_loss_similar_to_sgd: bool,
    /// CPU seconds per epoch, SAM / SGD.
    pub cpu_per_epoch_ratio: f64,
    /// SAM is slower per epoch.
    pub sam_slower_per_epoch: bool,
    /// Agreement with the JAX reference (empty without it).
    pub reference: Vec<ReferenceAgreement>,
    /// The sweep's best setting per optimizer.
    pub sweep_best: Vec<SweepBest>,
    /// The tightest certificate's verdict per optimizer.
    pub certificates: Vec<CertificateVerdict>,
    /// The smallest and largest SAM/SGD gap ratio over SGD's learning rates in the sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_ratio_lr_range: Option<(f64, f64)>,
    /// "SAM and SGD use similar epochs to converge": epochs to bring the mean training loss to
    /// 0.1, SAM / SGD (similar: within [2/3, 3/2]); the verdict in words.
    #[serde(default)]
    pub similar_epochs: String,
    /// "ADAM converges much faster": Adam's epochs to 0.1 over the faster of SGD and SAM (much
    /// faster: at most one half); the verdict in words.
    #[serde(default)]
    pub adam_much_faster: String,
    /// Adam against SAM on test accuracy with both picked on validation accuracy and stopped at
    /// their best validation accuracy.
    #[serde(default)]
    pub adam_beats_sam_test_acc_val: String,
    /// Adam against SAM on test loss with both picked on validation loss and stopped at their
    /// lowest validation loss.
    #[serde(default)]
    pub adam_beats_sam_test_loss_val: String,
    /// SAM against SGD on test loss, both picked on validation loss and early-stopped.
    #[serde(default)]
    pub sam_beats_sgd_test_loss_val: String,
    /// The largest relative amount by which any longer or restarted ascent raised the analysis's
    /// κ_ρ lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kappa_max_improvement: Option<f64>,
    /// At every ρ, the networks ranked by the analysis's κ bound and by the best bound found come
    /// in the same order.
    #[serde(default)]
    pub kappa_ranking_unchanged: bool,
}

/// The epochs-to-level ratio in words: "similar" within [2/3, 3/2].
fn epochs_verdict(a: &str, b: &str, ra: Option<f64>, rb: Option<f64>) -> String {
    match (ra, rb) {
        (Some(x), Some(y)) => {
            let q = x / y;
            if (2.0 / 3.0..=1.5).contains(&q) {
                format!("holds: {a} needs {x:.1} epochs, {b} {y:.1} (ratio {q:.2})")
            } else {
                format!("does not hold: {a} needs {x:.1} epochs, {b} {y:.1} (ratio {q:.2})")
            }
        }
        _ => "not measurable: a run did not reach the level".into(),
    }
}

impl Verdicts {
    /// Computes every verdict from the rows of `r`.
    pub fn compute(r: &Results) -> Result<Self> {
        let (sgd, adam, sam) = (
            r.summary_of("sgd")?,
            r.summary_of("adam")?,
            r.summary_of("sam")?,
        );
        let ratio = sam.gap_mean / sgd.gap_mean;
        let sgd_best = r
            .sweep
            .iter()
            .filter(|s| s.optimizer == "sgd")
            .min_by(|a, b| a.selection_loss().total_cmp(&b.selection_loss()));
        let sam_default = r
            .sweep
            .iter()
            .find(|s| s.optimizer == "sam" && s.lr == sam.lr && s.rho == sam.rho);
        let gap_ratio_sweep = sam_default.zip(sgd_best).map(|(a, b)| SweepGapRatio {
            sgd_lr: b.lr,
            sam_gap: a.gap,
            sgd_gap: b.gap,
            ratio: a.gap / b.gap,
        });
        let near80 = |r: f64| (0.7..=0.9).contains(&r);
        let gap_claim = match (near80(ratio), &gap_ratio_sweep) {
            (true, _) => "holds".to_string(),
            (false, Some(s)) => format!(
                "does not hold at the defaults ({:.0}%); depends on SGD's lr: {:.0}% with SGD at its best sweep lr{}",
                100.0 * ratio,
                100.0 * s.ratio,
                if near80(s.ratio) { ", near the review's 80%" } else { "" }
            ),
            (false, None) => format!("does not hold: {:.0}%, not ~80%", 100.0 * ratio),
        };
        let train_loss_ratio = sam.train_loss_mean / sgd.train_loss_mean;
        let reference = r
            .summary
            .iter()
            .filter_map(|s| {
                let j = r.reference.iter().find(|j| j.optimizer == s.optimizer)?;
                let spread = (s.test_loss_std.powi(2) + j.test_loss_std.powi(2)).sqrt();
                Some(ReferenceAgreement {
                    optimizer: s.optimizer.clone(),
                    difference: s.test_loss_mean - j.test_loss_mean,
                    z: (s.test_loss_mean - j.test_loss_mean) / spread.max(1e-12),
                })
            })
            .collect();
        let sweep_best = OPTIMIZERS
            .iter()
            .filter_map(|o| {
                let rows: Vec<&RunRow> = r.sweep.iter().filter(|s| s.optimizer == *o).collect();
                let lo = rows.iter().map(|s| s.lr).fold(f64::INFINITY, f64::min);
                let hi = rows.iter().map(|s| s.lr).fold(f64::NEG_INFINITY, f64::max);
                let best = rows
                    .iter()
                    .min_by(|a, b| a.selection_loss().total_cmp(&b.selection_loss()))?;
                Some(SweepBest {
                    optimizer: o.to_string(),
                    lr: best.lr,
                    rho: best.rho,
                    test_loss: best.test_loss,
                    val_loss: best.val_loss,
                    position: if best.lr == lo {
                        "the smallest lr tried"
                    } else if best.lr == hi {
                        "the largest lr tried"
                    } else {
                        "an interior lr"
                    }
                    .into(),
                })
            })
            .collect();
        let level = |o: &str| {
            r.convergence
                .iter()
                .find(|c| c.optimizer == o && c.level == 0.1 && c.reached == c.seeds)
                .and_then(|c| c.epochs_mean)
        };
        let (e_sgd, e_sam, e_adam) = (level("sgd"), level("sam"), level("adam"));
        let adam_much_faster = match (e_adam, e_sgd, e_sam) {
            (Some(a), Some(g), Some(m)) => {
                let q = a / g.min(m);
                format!(
                    "{}: Adam needs {a:.1} epochs to a training loss of 0.1, the faster of SGD and SAM {:.1} (ratio {q:.2})",
                    if q <= 0.5 { "holds" } else { "does not hold" },
                    g.min(m)
                )
            }
            _ => "not measurable: a run did not reach the level".into(),
        };
        let val = |protocol: &str, o: &str| {
            r.stopped_summary
                .iter()
                .find(|s| s.protocol == protocol && s.optimizer == o)
        };
        let cmp_or = |a: Option<(f64, f64)>, b: Option<(f64, f64)>| match (a, b) {
            (Some(a), Some(b)) => compare(a, b).to_string(),
            _ => "not measured (no validation set)".into(),
        };
        let acc =
            |o| val("val_acc", o).map(|s| (-s.acc_stop_test_acc_mean, s.acc_stop_test_acc_std));
        let loss =
            |o| val("val_loss", o).map(|s| (s.loss_stop_test_loss_mean, s.loss_stop_test_loss_std));
        let ratios: Vec<f64> = r.gap_ratio_lr.iter().map(|g| g.ratio).collect();
        let gap_ratio_lr_range = (!ratios.is_empty()).then(|| {
            (
                ratios.iter().copied().fold(f64::INFINITY, f64::min),
                ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            )
        });
        let best_kappa = |o: &str, rho: f64| {
            r.kappa_checks
                .iter()
                .filter(|k| k.optimizer == o && k.rho == rho)
                .map(|k| k.kappa_lower)
                .fold(f64::NEG_INFINITY, f64::max)
        };
        let mut kappa_max_improvement: Option<f64> = None;
        let mut kappa_ranking_unchanged = !r.kappa_checks.is_empty();
        for &rho in &r.cfg.rhos {
            let mine: Vec<&AnalysisRow> = r.analysis.iter().filter(|a| a.rho == rho).collect();
            for a in &mine {
                let b = best_kappa(&a.optimizer, rho);
                if a.kappa_lower > 0.0 && b.is_finite() {
                    let imp = b / a.kappa_lower - 1.0;
                    kappa_max_improvement = Some(kappa_max_improvement.map_or(imp, |m| m.max(imp)));
                }
            }
            let order = |key: &dyn Fn(&AnalysisRow) -> f64| {
                let mut v: Vec<&&AnalysisRow> = mine.iter().collect();
                v.sort_by(|x, y| key(x).total_cmp(&key(y)));
                v.iter().map(|a| a.optimizer.clone()).collect::<Vec<_>>()
            };
            if order(&|a| a.kappa_lower) != order(&|a| best_kappa(&a.optimizer, rho)) {
                kappa_ranking_unchanged = false;
            }
        }
        Ok(Self {
            kappa_max_improvement,
            kappa_ranking_unchanged,
            gap_ratio_lr_range,
            similar_epochs: epochs_verdict("SAM", "SGD", e_sam, e_sgd),
            adam_much_faster,
            adam_beats_sam_test_acc_val: cmp_or(acc("adam"), acc("sam")),
            adam_beats_sam_test_loss_val: cmp_or(loss("adam"), loss("sam")),
            sam_beats_sgd_test_loss_val: cmp_or(loss("sam"), loss("sgd")),
            gap_ratio: ratio,
            gap_ratio_best: sam.best_gap / sgd.best_gap,
            gap_ratio_sweep,
            gap_claim,
            sam_beats_sgd_test_loss: compare(
                (sam.test_loss_mean, sam.test_loss_std),
                (sgd.test_loss_mean, sgd.test_loss_std),
            )
            .into(),
            adam_beats_sam_test_loss: compare(
                (adam.test_loss_mean, adam.test_loss_std),
                (sam.test_loss_mean, sam.test_loss_std),
            )
            .into(),
            adam_beats_sam_test_acc: compare(
                (-adam.test_acc_mean, adam.test_acc_std),
                (-sam.test_acc_mean, sam.test_acc_std),
            )
            .into(),
            adam_lowest_train_loss: adam.train_loss_mean
                < sam.train_loss_mean.min(sgd.train_loss_mean),
            train_loss_ratio,
            sam_train_loss_similar_to_sgd: (0.5..=2.0).contains(&train_loss_ratio),
            cpu_per_epoch_ratio: sam.cpu_s_per_epoch / sgd.cpu_s_per_epoch,
            sam_slower_per_epoch: sam.cpu_s_per_epoch > sgd.cpu_s_per_epoch,
            reference,
            sweep_best,
            certificates: r
                .certificates
                .iter()
                .filter(|c| c.best)
                .map(|c| CertificateVerdict {
                    optimizer: c.optimizer.clone(),
                    // A 10-class error of 0.9 is what guessing achieves: a certificate at or
                    // above it says nothing about the network.
                    non_vacuous: c.bound < 0.9,
                })
                .collect(),
        })
    }
}

/// Everything the MNIST experiment writes under `results/mnist/`.
#[derive(Debug, Clone)]
pub struct Results {
    /// The one-seed sweep's final rows (`sweep.csv`).
    pub sweep: Vec<RunRow>,
    /// Every epoch of every protocol run (`curves.csv`).
    pub curves: Vec<RunRow>,
    /// The protocol runs' final rows (`finals.csv`).
    pub finals: Vec<RunRow>,
    /// Best seed and mean ± std per optimizer (`summary.csv`).
    pub summary: Vec<SummaryRow>,
    /// Sharpness and Theorem 1 at each best network (`analysis.csv`).
    pub analysis: Vec<AnalysisRow>,
    /// PAC-Bayes-kl certificates (`certificates.csv`).
    pub certificates: Vec<CertificateRow>,
    /// The JAX reference table (`jax_reference.csv`; empty without the anchors).
    pub reference: Vec<ReferenceRow>,
    /// The seed bands of Figures 3–5 (`epoch_stats.csv`).
    pub epoch_stats: Vec<EpochStat>,
    /// The sweep picks made on the validation set (`picks.csv`).
    pub picks: Vec<Pick>,
    /// Every run of the reference and the validation-selected protocols with its final and
    /// early-stopped test numbers (`stopped.csv`).
    pub stopped: Vec<StoppedRow>,
    /// Their means ± std per protocol and optimizer (`stopped_summary.csv`).
    pub stopped_summary: Vec<StoppedSummary>,
    /// SAM's gap over SGD's at every SGD learning rate of the sweep (`gap_ratio_lr.csv`).
    pub gap_ratio_lr: Vec<GapRatioRow>,
    /// The gap ratio at matched training loss (`matched_gap.json`).
    pub matched_gap: Option<MatchedGap>,
    /// Epochs to reach training-loss levels (`convergence_epochs.csv`).
    pub convergence: Vec<ConvergenceRow>,
    /// The κ_ρ lower bound's convergence check (`kappa_check.csv`).
    pub kappa_checks: Vec<KappaCheckRow>,
    /// Verdicts on the review's claims (`verdicts.json`).
    pub verdicts: Verdicts,
    /// Config and seed (`meta.json`).
    pub meta: sam_results::Meta,
    /// The config, as in `meta.json`.
    pub cfg: Config,
}

/// What a certificate with the prior at the initialisation would need of the posterior at one
/// trained network (report 04, issue 11 item 14).
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorScaleNeeded {
    /// sgd, adam or sam.
    pub optimizer: String,
    /// ‖θ − θ₀‖.
    pub distance: f64,
    /// The root-mean-square displacement per coordinate, ‖θ − θ₀‖/√d.
    pub per_coordinate_displacement: f64,
    /// The KL budget: n (beyond about 2.3n even a zero training error gives a certificate
    /// above 0.9).
    pub kl_budget: f64,
    /// The smallest σ with KL(N(θ, σ²I) ‖ N(θ₀, σ²I)) ≤ the budget: ‖θ − θ₀‖/√(2n).
    pub sigma_needed: f64,
    /// The largest σ of the certificate grid and the stochastic training error measured there.
    pub largest_sigma_tried: (f64, f64),
}

impl Results {
    /// [`PosteriorScaleNeeded`] for every analysed network.
    pub fn posterior_scale_needed(&self) -> Result<Vec<PosteriorScaleNeeded>> {
        let d = sam_mnist::model::n_params(&sam_mnist::model::SIZES) as f64;
        let n = self.cfg.protocol.first().map_or(0, |c| c.train_size) as f64;
        let mut out: Vec<PosteriorScaleNeeded> = Vec::new();
        for a in &self.analysis {
            if out.iter().any(|o| o.optimizer == a.optimizer) {
                continue;
            }
            let largest = self
                .certificates
                .iter()
                .filter(|c| c.optimizer == a.optimizer)
                .max_by(|x, y| x.sigma.total_cmp(&y.sigma))
                .map_or((f64::NAN, f64::NAN), |c| (c.sigma, c.stochastic_train_err));
            out.push(PosteriorScaleNeeded {
                optimizer: a.optimizer.clone(),
                distance: a.dist_from_init,
                per_coordinate_displacement: a.dist_from_init / d.sqrt(),
                kl_budget: n,
                sigma_needed: sam_pacbayes::posterior_sigma_for_kl(a.dist_from_init, n)
                    .map_err(|e| ExperimentError::Finding(e.to_string()))?,
                largest_sigma_tried: largest,
            });
        }
        Ok(out)
    }

    /// The summary row of `optimizer`.
    pub fn summary_of(&self, optimizer: &str) -> Result<&SummaryRow> {
        self.summary
            .iter()
            .find(|s| s.optimizer == optimizer)
            .ok_or_else(|| {
                ExperimentError::Finding(format!(
                    "the MNIST protocol has no {optimizer} run (its summary has no row for it): run the protocol with sgd, adam and sam"
                ))
            })
    }

    /// Writes every file into `dir` (atomically, one by one).
    pub fn write(&self, dir: &Path) -> Result<()> {
        use sam_results::{write_csv, write_json};
        write_csv(&dir.join("sweep.csv"), &self.sweep)?;
        write_csv(&dir.join("curves.csv"), &self.curves)?;
        write_csv(&dir.join("finals.csv"), &self.finals)?;
        write_csv(&dir.join("summary.csv"), &self.summary)?;
        write_csv(&dir.join("analysis.csv"), &self.analysis)?;
        write_csv(&dir.join("certificates.csv"), &self.certificates)?;
        write_csv(&dir.join("jax_reference.csv"), &self.reference)?;
        write_csv(&dir.join("epoch_stats.csv"), &self.epoch_stats)?;
        write_csv(&dir.join("picks.csv"), &self.picks)?;
        write_csv(&dir.join("stopped.csv"), &self.stopped)?;
        write_csv(&dir.join("stopped_summary.csv"), &self.stopped_summary)?;
        write_csv(&dir.join("gap_ratio_lr.csv"), &self.gap_ratio_lr)?;
        write_json(&dir.join("matched_gap.json"), &self.matched_gap)?;
        write_csv(&dir.join("convergence_epochs.csv"), &self.convergence)?;
        write_csv(&dir.join("kappa_check.csv"), &self.kappa_checks)?;
        write_json(&dir.join("verdicts.json"), &self.verdicts)?;
        write_json(&dir.join("meta.json"), &self.meta)?;
        Ok(())
    }

    /// Reads what [`Results::write`] wrote.
    pub fn read(dir: &Path) -> Result<Self> {
        use sam_results::{read_csv, read_json};
        let meta: sam_results::Meta = read_json(&dir.join("meta.json"))?;
        let cfg = crate::config_of(&meta, dir)?;
        Ok(Self {
            sweep: read_csv(&dir.join("sweep.csv"))?,
            curves: read_csv(&dir.join("curves.csv"))?,
            finals: read_csv(&dir.join("finals.csv"))?,
            summary: read_csv(&dir.join("summary.csv"))?,
            analysis: read_csv(&dir.join("analysis.csv"))?,
            certificates: read_csv(&dir.join("certificates.csv"))?,
            reference: read_csv(&dir.join("jax_reference.csv"))?,
            epoch_stats: read_csv(&dir.join("epoch_stats.csv"))?,
            picks: read_csv(&dir.join("picks.csv"))?,
            stopped: read_csv(&dir.join("stopped.csv"))?,
            stopped_summary: read_csv(&dir.join("stopped_summary.csv"))?,
            gap_ratio_lr: read_csv(&dir.join("gap_ratio_lr.csv"))?,
            matched_gap: read_json(&dir.join("matched_gap.json"))?,
            convergence: read_csv(&dir.join("convergence_epochs.csv"))?,
            kappa_checks: read_csv(&dir.join("kappa_check.csv"))?,
            verdicts: read_json(&dir.join("verdicts.json"))?,
            meta,
            cfg,
        })
    }
}

crate::study!(Config::quick(), Config::full(), |cfg, ctx| run(
    cfg,
    ctx.root,
    ctx.quick,
    ctx.progress,
    ctx.trainer
));
