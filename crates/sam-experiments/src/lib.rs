//! # sam-experiments
//!
//! One job: run the review's experiments (`paper/sam-review.txt`). Each experiment is one module
//! with a `Config` whose defaults are the paper's settings (or, where the paper is silent, the
//! documented choice made here), a `run(&Config, quick, progress) -> Results` that computes every
//! result row **and its verdict rows** (whether a claim of the review holds is decided here, with
//! the experiment, never by the report), and `Results::write` / `Results::read` for
//! `results/<NAME>/`. `sam-figures` and `sam-report` present the rows and compute nothing.
//!
//! - [`toy::fig1`]: GD vs SAM on the 1-D landscape of Figure 1 (section 2.1.1);
//!   [`toy::fig2`]: on f(x,y) = (x−1)²y² of Figure 2 (section 2.3.1). Both through
//!   `sam-optim`'s one run loop ([`toy::run_pair_with`] takes any SAM-family member).
//! - [`sharpness`]: exact κ_ρ (Definition 1) against the first-order estimate (Example 1), the
//!   second-order one and ρ²λ₁ (Example 2), Eq. (5)'s residual, and the estimators' cost.
//! - [`convergence`]: Theorem 2 / Eq. (6) (section 3.2) by Monte Carlo, its T = 1 counterexample,
//!   and the constant-ρ floor sweep.
//! - [`pacbayes`]: Theorem 1's complexity term, Lemma 1, kl-inverse vs Pinsker (section 2.2).
//! - [`mnist`]: Figures 3–5 (section 2.3.2): the sweep, the 5-seed protocol, the analysis of the
//!   best networks and their PAC-Bayes certificates.
//!
//! ```
//! use sam_experiments::toy::{run_pair, ToySettings};
//! use sam_objectives::Fig2;
//! let s = ToySettings { eta: 0.1, rho: 0.0, iterations: 10, start: vec![0.0, 0.5] };
//! let (gd, sam) = run_pair(&Fig2, &s).unwrap();
//! assert_eq!(gd.last(), sam.last()); // rho = 0: SAM is GD
//! ```

pub use toy::{fig1, fig2};

/// Errors of the experiments; messages name the value and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// A hyperparameter out of its range (the workspace's one error shape).
    #[error(transparent)]
    Invalid(#[from] sam_params::Invalid),
    /// A bad setting that is not one value (a results file that does not parse, a mismatch).
    #[error("{0}")]
    Config(String),
    /// An optimizer error (including divergence with its step).
    #[error(transparent)]
    Optim(#[from] sam_optim::OptimError),
    /// A bad point or objective.
    #[error(transparent)]
    Objective(#[from] sam_objectives::ObjectiveError),
    /// Writing or reading results.
    #[error(transparent)]
    Results(#[from] sam_results::ResultsError),
    /// A convergence experiment failed (bad setting or divergence).
    #[error(transparent)]
    Convergence(#[from] sam_convergence::ConvergenceError),
    /// MNIST data or training failed.
    #[error(transparent)]
    Mnist(#[from] sam_mnist::MnistError),
    /// A PAC-Bayes computation failed.
    #[error(transparent)]
    PacBayes(#[from] sam_pacbayes::PacBayesError),
    /// Sharpness estimation failed.
    #[error(transparent)]
    Sharpness(#[from] sam_sharpness::SharpnessError),
    /// The experiment ran but found nothing to show (the message says what to widen).
    #[error("{0}")]
    Finding(String),
    /// Training runs asked for are not in a sweep's trial store, and training was not allowed
    /// (the message names the spec to run).
    #[error("{0}")]
    TrialsMissing(String),
}

/// What every run of an experiment gets besides its config.
pub struct RunContext<'a> {
    /// `--quick`: a small budget for smoke runs (written to the metadata).
    pub quick: bool,
    /// The repository root (inputs such as `data/mnist/` and `../shared/anchors/`).
    pub root: &'a std::path::Path,
    /// Progress callback.
    pub progress: Progress<'a>,
    /// Who carries out the MNIST training runs an experiment asks for.
    pub trainer: &'a dyn Trainer,
}

/// Carries out the MNIST training runs of an experiment: in this process ([`InProcess`]), or as
/// the trials of a sweep, whose results a cluster may have computed (the `figures` binary's
/// trainer). Either way an outcome is a function of its config only, so the experiment's rows
/// do not depend on who trained.
pub trait Trainer: Sync {
    /// The outcome of every config (each checked), in the order given; `phase` names the batch
    /// (`mnist-runs`, `mnist-picks`, ...), `threads` is what the experiment may use, and
    /// `progress(0, "")` is called once per config.
    fn train(
        &self,
        phase: &str,
        configs: &[sam_mnist::train::TrainConfig],
        data: &sam_mnist::data::Mnist,
        threads: usize,
        progress: Progress,
    ) -> Result<Vec<sam_mnist::train::TrainOutcome>>;

    /// The outputs of `jobs`, each the flat settings of one job of the study command `command`
    /// (one of [`JOB_COMMANDS`], run by [`run_job`]), in the order given; `progress(0, "")`
    /// once per job.
    fn jobs(
        &self,
        phase: &str,
        command: &str,
        jobs: &[serde_json::Value],
        data: &sam_mnist::data::Mnist,
        threads: usize,
        progress: Progress,
    ) -> Result<Vec<JobOutput>>;
}

/// What one study job computed: its result row, its rows over time, its final weights (none
/// when it diverged).
#[derive(Clone, Debug, PartialEq)]
pub struct JobOutput {
    /// The study's row for the job (a flat JSON object).
    pub row: serde_json::Value,
    /// Rows over time (e.g. one per epoch).
    pub rows: Vec<serde_json::Value>,
    /// Final parameters.
    pub params: Option<sam_mnist::model::Params>,
}

/// The studies' own units of work that a sweep can run as trials: a training run plus what the
/// study measures on it, so the study's numbers stay its own wherever the job runs.
pub const JOB_COMMANDS: [&str; 2] = [mnist::msharp::JOB, mnist::noise::JOB];

/// `settings` as the full settings of a job of `command` (every field spelled out, so two
/// spellings give one value); an error names what is wrong.
///
/// ```
/// let j = serde_json::json!({"batch-size": 10, "m": 1, "lr": 0.01, "rho": 0.05, "seed": 0,
///     "at-pick": false, "epochs": 1, "train-size": 100, "val-size": 100, "kappa-rho": 0.05,
///     "ascent-steps": 1, "chunks": 2});
/// assert_eq!(sam_experiments::normalize_job("mnist-msharp", &j).unwrap(), j);
/// assert!(sam_experiments::normalize_job("mnist-msharp", &serde_json::json!({"m": 1})).is_err());
/// ```
pub fn normalize_job(command: &str, settings: &serde_json::Value) -> Result<serde_json::Value> {
    fn round<T: serde::de::DeserializeOwned + serde::Serialize>(
        command: &str,
        v: &serde_json::Value,
    ) -> Result<serde_json::Value> {
        let job: T = serde_json::from_value(v.clone())
            .map_err(|e| ExperimentError::Config(format!("a {command} job: {e}")))?;
        serde_json::to_value(job).map_err(|e| ExperimentError::Config(e.to_string()))
    }
    match command {
        mnist::msharp::JOB => round::<mnist::msharp::Job>(command, settings),
        mnist::noise::JOB => round::<mnist::noise::TrialJob>(command, settings),
        other => Err(ExperimentError::Config(format!(
            "{other:?} is not a study job: use one of {JOB_COMMANDS:?}"
        ))),
    }
}

/// Runs one job of `command` with `settings` on `data`.
pub fn run_job(
    command: &str,
    settings: &serde_json::Value,
    data: &sam_mnist::data::Mnist,
) -> Result<JobOutput> {
    let parse = |e: serde_json::Error| ExperimentError::Config(format!("a {command} job: {e}"));
    fn row<T: serde::Serialize>(v: &T) -> Result<serde_json::Value> {
        serde_json::to_value(v).map_err(|e| ExperimentError::Config(e.to_string()))
    }
    match command {
        mnist::msharp::JOB => {
            let job: mnist::msharp::Job =
                serde_json::from_value(settings.clone()).map_err(parse)?;
            let (r, params) = mnist::msharp::run_job(&job, data)?;
            Ok(JobOutput {
                row: row(&r)?,
                rows: Vec::new(),
                params,
            })
        }
        mnist::noise::JOB => {
            let job: mnist::noise::TrialJob =
                serde_json::from_value(settings.clone()).map_err(parse)?;
            let (r, curve, params) = mnist::noise::run_job(&job, data)?;
            Ok(JobOutput {
                row: row(&r)?,
                rows: curve.iter().map(row).collect::<Result<_>>()?,
                params,
            })
        }
        other => Err(ExperimentError::Config(format!(
            "{other:?} is not a study job: use one of {JOB_COMMANDS:?}"
        ))),
    }
}

/// Trains in this process, `threads` runs at a time.
///
/// ```
/// use sam_experiments::{InProcess, Trainer};
/// let px = |n: usize| (0..n * 784).map(|i| (i * 37 % 256) as u8).collect::<Vec<u8>>();
/// let labels = |n: usize| (0..n).map(|i| (i % 10) as u8).collect::<Vec<u8>>();
/// let data = sam_mnist::data::Mnist::from_parts(px(60), labels(60), px(20), labels(20)).unwrap();
/// let mut c = sam_mnist::train::TrainConfig::paper(sam_mnist::train::Optimizer::Sgd, 0);
/// c.train_size = 50;
/// c.epochs = 1;
/// let out = InProcess.train("demo", &[c.clone()], &data, 1, &|_, _| {}).unwrap();
/// assert_eq!(out[0].config, c);
/// assert_eq!(out[0].rows.len(), 2); // epochs 0 and 1
/// ```
pub struct InProcess;

impl Trainer for InProcess {
    fn train(
        &self,
        _phase: &str,
        configs: &[sam_mnist::train::TrainConfig],
        data: &sam_mnist::data::Mnist,
        threads: usize,
        progress: Progress,
    ) -> Result<Vec<sam_mnist::train::TrainOutcome>> {
        let checked = configs
            .iter()
            .map(|c| sam_params::ParamGuard::check(c.clone()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        sam_mnist::train::run_many_with(&checked, data, threads, &|_| progress(0, ""))
            .into_iter()
            .map(|r| r.map_err(ExperimentError::from))
            .collect()
    }

    fn jobs(
        &self,
        _phase: &str,
        command: &str,
        jobs: &[serde_json::Value],
        data: &sam_mnist::data::Mnist,
        _threads: usize,
        progress: Progress,
    ) -> Result<Vec<JobOutput>> {
        use rayon::prelude::*;
        // on the global pool's threads, one job each, as the studies always ran
        jobs.par_iter()
            .with_max_len(1)
            .map(|j| {
                let out = run_job(command, j, data);
                progress(0, "");
                out
            })
            .collect()
    }
}

/// One experiment of the review: a config whose defaults are the paper's, run into result rows
/// (verdicts included) that are written to and read from `results/<NAME>/`. The `figures` binary
/// runs every experiment through this trait.
///
/// ```
/// use sam_experiments::{pacbayes, Experiment, RunContext};
/// let dir = tempfile::tempdir().unwrap();
/// let ctx = RunContext {
///     quick: true,
///     root: dir.path(),
///     progress: &|_, _| {},
///     trainer: &sam_experiments::InProcess,
/// };
/// let r = pacbayes::Study::run(&pacbayes::Study::config(true), &ctx).unwrap();
/// pacbayes::Study::write(&r, dir.path()).unwrap();
/// assert_eq!(pacbayes::Study::read(dir.path()).unwrap(), r);
/// ```
pub trait Experiment {
    /// The folder under `results/`.
    const NAME: &'static str;
    /// Its settings.
    type Config;
    /// Everything it writes.
    type Results;
    /// The paper's settings, or a small budget when `quick`.
    fn config(quick: bool) -> Self::Config;
    /// Computes every row.
    fn run(cfg: &Self::Config, ctx: &RunContext) -> Result<Self::Results>;
    /// Writes the rows into `dir` (each file atomically).
    fn write(r: &Self::Results, dir: &std::path::Path) -> Result<()>;
    /// Reads what [`Experiment::write`] wrote.
    fn read(dir: &std::path::Path) -> Result<Self::Results>;
}

/// Implements [`Experiment`] for a module's `Study` from its `NAME`, `Config`, `Results`
/// (with `write`/`read`), its quick and full configs, and its run call.
macro_rules! study {
    ($quick:expr, $full:expr, |$cfg:ident, $ctx:ident| $run:expr) => {
        /// This module's experiment, for the registry ([`crate::Experiment`]).
        pub struct Study;

        impl crate::Experiment for Study {
            const NAME: &'static str = NAME;
            type Config = Config;
            type Results = Results;
            fn config(quick: bool) -> Config {
                if quick {
                    $quick
                } else {
                    $full
                }
            }
            fn run($cfg: &Config, $ctx: &crate::RunContext) -> Result<Results> {
                $run
            }
            fn write(r: &Results, dir: &std::path::Path) -> Result<()> {
                r.write(dir)
            }
            fn read(dir: &std::path::Path) -> Result<Results> {
                Results::read(dir)
            }
        }
    };
}
pub(crate) use study;

/// Implements a module's `Results::write` and `Results::read` from its list of fields, each
/// with its file kind (`csv` for row tables, `json` for the rest) and name: the write goes field
/// by field (each file atomically), the read back from the same names.
macro_rules! results_files {
    ($($field:ident: $kind:ident $file:literal),+ $(,)?) => {
        impl Results {
            /// Writes every file into `dir` (atomically, one by one).
            pub fn write(&self, dir: &std::path::Path) -> Result<()> {
                $(crate::results_files!(@write $kind, &dir.join($file), &self.$field);)+
                Ok(())
            }

            /// Reads what [`Results::write`] wrote.
            pub fn read(dir: &std::path::Path) -> Result<Self> {
                Ok(Self {
                    $($field: crate::results_files!(@read $kind, &dir.join($file)),)+
                })
            }
        }
    };
    (@write csv, $path:expr, $value:expr) => { sam_results::write_csv($path, $value)? };
    (@write json, $path:expr, $value:expr) => { sam_results::write_json($path, $value)? };
    (@read csv, $path:expr) => { sam_results::read_csv($path)? };
    (@read json, $path:expr) => { sam_results::read_json($path)? };
}
pub(crate) use results_files;

pub mod convergence;
pub mod diagnet;
pub mod mnist;
pub mod pacbayes;
pub mod sharpness;
pub mod toy;

/// The config recorded in the metadata read from `dir` (an error names the file when it does not
/// parse as this experiment's config).
pub(crate) fn config_of<T: serde::de::DeserializeOwned>(
    meta: &sam_results::Meta,
    dir: &std::path::Path,
) -> Result<T> {
    serde_json::from_value(meta.config.clone()).map_err(|e| {
        ExperimentError::Config(format!(
            "{}: the config does not parse ({e}): rerun the experiment",
            dir.join("meta.json").display()
        ))
    })
}

/// How experiments report progress: `progress(n, msg)` with n > 0 starts a phase of n units,
/// `progress(0, "")` advances the current phase by one. The `figures` binary draws bars from it.
pub type Progress<'a> = &'a (dyn Fn(u64, &str) + Sync);

/// This crate's result type.
pub type Result<T> = std::result::Result<T, ExperimentError>;

/// `n` points evenly spaced in log10 from `10^a` to `10^b` inclusive.
///
/// ```
/// let v = sam_experiments::logspace(-2.0, 0.0, 3);
/// assert!((v[1] - 0.1).abs() < 1e-15);
/// ```
pub fn logspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let s = if n == 1 {
                0.0
            } else {
                i as f64 / (n - 1) as f64
            };
            10f64.powf(a + (b - a) * s)
        })
        .collect()
}

/// `n` points evenly spaced from `a` to `b` inclusive.
///
/// ```
/// assert_eq!(sam_experiments::linspace(0.0, 1.0, 3), vec![0.0, 0.5, 1.0]);
/// ```
pub fn linspace(a: f64, b: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| {
            if n == 1 {
                a
            } else {
                a + (b - a) * i as f64 / (n - 1) as f64
            }
        })
        .collect()
}
