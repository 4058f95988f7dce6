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
}

/// What every run of an experiment gets besides its config.
pub struct RunContext<'a> {
    /// `--quick`: a small budget for smoke runs (written to the metadata).
    pub quick: bool,
    /// The repository root (inputs such as `data/mnist/` and `../shared/anchors/`).
    pub root: &'a std::path::Path,
    /// Progress callback.
    pub progress: Progress<'a>,
}

/// One experiment of the review: a config whose defaults are the paper's, run into result rows
/// (verdicts included) that are written to and read from `results/<NAME>/`. The `figures` binary
/// runs every experiment through this trait.
///
/// ```
/// use sam_experiments::{pacbayes, Experiment, RunContext};
/// let dir = tempfile::tempdir().unwrap();
/// let ctx = RunContext { quick: true, root: dir.path(), progress: &|_, _| {} };
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
