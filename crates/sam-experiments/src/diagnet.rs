//! m-sharpness on the diagonal linear network (issue 14; report `06-m-sharpness.md`, section
//! `diagnet`): GD, n-SAM (one perturbation from the full-batch gradient) and 1-SAM (one per
//! training example), both unnormalised (ê = ρ g), as in Andriushchenko & Flammarion (ICML 2022),
//! on sparse noiseless regression with β = u ⊙ v ([`sam_objectives::DiagNet`]; protocol in
//! `../shared/RESEARCH.md`, section 1). The review (§2.3) retells the SAM paper's claim that a
//! smaller m generalizes better; A&F's point is that on this model the benefit comes from m = 1,
//! not from full-batch SAM.
//!
//! Every method runs through the one optimizer stack: GD is [`Method::Sgd`], n-SAM is
//! [`Method::Usam`] on the full batch and 1-SAM the same with m-sharpness m = 1
//! ([`sam_optim::FullBatch`] splits the batch). ρ is selected per method on a validation set of
//! fresh samples; the test loss is the population loss ‖β − β*‖²/2 (closed form for Gaussian
//! inputs). Runs that diverge are listed apart, never plotted. Two ground truths ([`Truth`]):
//! the protocol's nonnegative one, where the interpolant is unique and the methods differ only
//! in speed, and a signed one, where they pick different interpolants; each method's pick is
//! rerun 10× longer to tell the two apart.
//!
//! | Name | Default | Range |
//! |---|---|---|
//! | `d`, `n`, `k` | 30, 20, 3 | d ≥ 1, n ≥ 1, k ≤ d |
//! | `alpha` | 0.1 (start u = v = α·1) | > 0 |
//! | `lr` | 0.05 | > 0 |
//! | `steps` | 10 000 | ≥ 1 |
//! | `rhos` | 13 values, 10⁻³ to 10⁰·⁶ (log-spaced), up to instability | ≥ 0 |
//! | `seeds` | 0..5 (data draws) | |
//! | `n_val` | 100 fresh samples | ≥ 1 |
//! | `long_steps` | 100 000 (each method's pick rerun 10× longer) | ≥ 1 |

use crate::{ExperimentError, Result};
use rayon::prelude::*;
use sam_objectives::{DiagNet, Objective};
use sam_optim::{build, run, FullBatch, Hyper, Method, OptimError, RunConfig};
use sam_results::mean_std;
use serde::{Deserialize, Serialize};

/// The experiment's folder name under `results/` (and its `--only` name).
pub const NAME: &str = "diagnet";

/// The three methods compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiagMethod {
    /// Full-batch gradient descent.
    #[serde(rename = "gd")]
    Gd,
    /// Unnormalised SAM with one perturbation from the full-batch gradient.
    #[serde(rename = "n-sam")]
    NSam,
    /// Unnormalised SAM with one perturbation per training example (m-sharpness, m = 1).
    #[serde(rename = "1-sam")]
    OneSam,
}

impl DiagMethod {
    /// All three, in report order.
    pub const ALL: [DiagMethod; 3] = [DiagMethod::Gd, DiagMethod::NSam, DiagMethod::OneSam];

    /// `gd`, `n-sam` or `1-sam`.
    ///
    /// ```
    /// assert_eq!(sam_experiments::diagnet::DiagMethod::OneSam.name(), "1-sam");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            DiagMethod::Gd => "gd",
            DiagMethod::NSam => "n-sam",
            DiagMethod::OneSam => "1-sam",
        }
    }
    /// Whether ρ applies.
    pub fn has_rho(&self) -> bool {
        *self != DiagMethod::Gd
    }
}

/// Which ground truth and start: the protocol's nonnegative one (u = v = α, β* ≥ 0: the model
/// is β = u² ≥ 0) or a signed one (u = √2α, v = 0, β* = ±1: the u² − v² model, where
/// interpolants are not unique and the implicit bias chooses among them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    /// β* ∈ {0, 1}ᵈ, start u = v = α·1 (RESEARCH.md's protocol).
    #[default]
    Nonnegative,
    /// β* ∈ {0, ±1}ᵈ, start u = √2α·1, v = 0.
    Signed,
}

impl Truth {
    /// `nonnegative` or `signed`.
    pub fn name(&self) -> &'static str {
        match self {
            Truth::Nonnegative => "nonnegative",
            Truth::Signed => "signed",
        }
    }
}

/// The regression problem and the training budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Input dimension d.
    pub d: usize,
    /// Training samples n.
    pub n: usize,
    /// Nonzero entries of β*.
    pub k: usize,
    /// Start u = v = α·1.
    pub alpha: f64,
    /// Step size η.
    pub lr: f64,
    /// Full-batch steps.
    pub steps: usize,
    /// The ground truth and start.
    #[serde(default)]
    pub truth: Truth,
}

impl Default for Problem {
    fn default() -> Self {
        Problem {
            d: 30,
            n: 20,
            k: 3,
            alpha: 0.1,
            lr: 0.05,
            steps: 10_000,
            truth: Truth::Nonnegative,
        }
    }
}

impl Problem {
    /// Checks the settings, naming the bad one.
    pub fn check(&self) -> Result<()> {
        let bad = |what: &str| Err(ExperimentError::Config(what.to_string()));
        if self.d == 0 || self.n == 0 || self.k > self.d {
            return bad(&format!(
                "d = {}, n = {}, k = {}: need d >= 1, n >= 1 and k <= d (defaults 30, 20, 3)",
                self.d, self.n, self.k
            ));
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return bad(&format!(
                "alpha = {}: pass a finite alpha > 0 (default 0.1)",
                self.alpha
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(&format!(
                "lr = {}: pass a finite lr > 0 (default 0.05)",
                self.lr
            ));
        }
        if self.steps == 0 || self.steps > 10_000_000 {
            return bad(&format!(
                "steps = {}: pass steps between 1 and 10000000 (default 10000)",
                self.steps
            ));
        }
        Ok(())
    }
}

/// One finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// The ground truth and start.
    pub truth: Truth,
    /// The method.
    pub method: DiagMethod,
    /// ρ (0 for GD).
    pub rho: f64,
    /// The data seed.
    pub seed: u64,
    /// Full-batch steps.
    pub steps: usize,
    /// Gradient evaluations in full-batch units (a SAM step counts 2).
    pub grad_evals: u64,
    /// Final training loss ‖Xβ − y‖²/(2n).
    pub train_loss: f64,
    /// Final loss on the validation samples.
    pub val_loss: f64,
    /// Final population loss ‖β − β*‖²/2.
    pub test_loss: f64,
    /// ‖β‖₁ at the end (‖β*‖₁ = k).
    pub beta_l1: f64,
}

/// A run that diverged (non-finite gradient or iterate).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DivergedRow {
    /// The ground truth and start.
    pub truth: Truth,
    /// The method.
    pub method: DiagMethod,
    /// ρ.
    pub rho: f64,
    /// The data seed.
    pub seed: u64,
    /// The step at which it diverged.
    pub step: usize,
}

/// What a run ended in.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It finished.
    Done(RunRow),
    /// It diverged.
    Diverged(DivergedRow),
}

/// Runs `method` with radius `rho` on the problem drawn from `seed` (validation samples from the
/// seed's own second stream).
///
/// ```
/// use sam_experiments::diagnet::{run_one, DiagMethod, Outcome, Problem};
/// let p = Problem { steps: 200, ..Problem::default() };
/// let Outcome::Done(r) = run_one(&p, DiagMethod::OneSam, 0.01, 0, 10).unwrap() else { panic!() };
/// assert_eq!((r.steps, r.grad_evals), (200, 400));
/// assert!(r.train_loss.is_finite());
/// ```
pub fn run_one(
    p: &Problem,
    method: DiagMethod,
    rho: f64,
    seed: u64,
    n_val: usize,
) -> Result<Outcome> {
    p.check()?;
    if !(rho.is_finite() && rho >= 0.0) {
        return Err(ExperimentError::Config(format!(
            "rho = {rho}: pass a finite rho >= 0"
        )));
    }
    let net = match p.truth {
        Truth::Nonnegative => DiagNet::sparse_regression(p.d, p.n, p.k, seed),
        Truth::Signed => DiagNet::sparse_regression_signed(p.d, p.n, p.k, seed),
    };
    let val = net.fresh_samples(n_val.max(1), seed ^ 0x5eed_0000_0000_0001);
    let (m, chunks) = match method {
        DiagMethod::Gd => (Method::Sgd, None),
        DiagMethod::NSam => (Method::Usam { rho }, None),
        DiagMethod::OneSam => (Method::Usam { rho }, Some(1)),
    };
    let hyper = Hyper {
        m: chunks,
        ..Hyper::lr(p.lr)?
    };
    let opt = build::<f64>(m, &hyper, None)?;
    let start = match p.truth {
        Truth::Nonnegative => net.start(p.alpha),
        Truth::Signed => net.start_signed(p.alpha),
    };
    match run(
        opt,
        &start,
        &mut FullBatch::new(&net),
        &RunConfig::steps(p.steps),
        &mut [],
    ) {
        Ok(out) => {
            let w = out.x;
            let row = RunRow {
                truth: p.truth,
                method,
                rho: if method.has_rho() { rho } else { 0.0 },
                seed,
                steps: out.steps,
                grad_evals: out.grad_evals,
                train_loss: net.value(&w),
                val_loss: val.value(&w),
                test_loss: net.test_loss(&w),
                beta_l1: net.beta(&w).iter().map(|b| b.abs()).sum(),
            };
            if [row.train_loss, row.val_loss, row.test_loss, row.beta_l1]
                .iter()
                .all(|v| v.is_finite())
            {
                Ok(Outcome::Done(row))
            } else {
                Ok(Outcome::Diverged(DivergedRow {
                    truth: p.truth,
                    method,
                    rho,
                    seed,
                    step: p.steps,
                }))
            }
        }
        Err(OptimError::Diverged { step, .. }) => Ok(Outcome::Diverged(DivergedRow {
            truth: p.truth,
            method,
            rho,
            seed,
            step,
        })),
        Err(e) => Err(e.into()),
    }
}

/// Settings of the experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The problem and budget.
    pub problem: Problem,
    /// The ρ grid of n-SAM and 1-SAM.
    pub rhos: Vec<f64>,
    /// Data seeds.
    pub seeds: Vec<u64>,
    /// Validation samples per seed.
    pub n_val: usize,
    /// The longer budget each method reruns at its pick, to see whether the methods settle at
    /// different solutions or only get there at different speeds.
    pub long_steps: usize,
    /// The ground truths (and starts) to run; `problem.truth` is ignored.
    pub truths: Vec<Truth>,
}

impl Config {
    /// The defaults of RESEARCH.md (d = 30, n = 20, k = 3, α = 0.1, 10⁴ steps), 5 data seeds.
    pub fn full() -> Self {
        Config {
            problem: Problem::default(),
            rhos: crate::logspace(-3.0, 0.6, 13),
            seeds: (0..5).collect(),
            n_val: 100,
            long_steps: 100_000,
            truths: vec![Truth::Nonnegative, Truth::Signed],
        }
    }
    /// A few short runs for `--quick`.
    pub fn quick() -> Self {
        Config {
            problem: Problem {
                steps: 300,
                ..Problem::default()
            },
            rhos: crate::logspace(-2.0, 0.0, 3),
            seeds: vec![0, 1],
            n_val: 20,
            long_steps: 600,
            truths: vec![Truth::Nonnegative, Truth::Signed],
        }
    }
}

/// One method at one ρ, over the seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The ground truth and start.
    pub truth: Truth,
    /// The method.
    pub method: DiagMethod,
    /// ρ (0 for GD).
    pub rho: f64,
    /// Seeds that finished.
    pub finished: usize,
    /// Seeds that diverged.
    pub diverged: usize,
    /// Mean and std over finished seeds.
    pub train_loss_mean: f64,
    /// Std of the training loss.
    pub train_loss_std: f64,
    /// Mean validation loss.
    pub val_loss_mean: f64,
    /// Mean test loss.
    pub test_loss_mean: f64,
    /// Std of the test loss.
    pub test_loss_std: f64,
    /// Mean ‖β‖₁.
    pub beta_l1_mean: f64,
}

/// Two methods at their picks compared seed by seed (the seeds are paired: same data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// The method compared.
    pub a: DiagMethod,
    /// The method it is compared with.
    pub b: DiagMethod,
    /// Seeds where `a`'s test loss is below `b`'s.
    pub wins: usize,
    /// Seeds compared.
    pub seeds: usize,
    /// Geometric mean over seeds of test loss a / test loss b.
    pub geo_mean_ratio: f64,
    /// The largest per-seed ratio.
    pub max_ratio: f64,
}

impl Paired {
    /// "holds on every seed", "opposite on every seed" or "mixed (k of n)".
    pub fn verdict(&self) -> String {
        if self.wins == self.seeds && self.seeds > 0 {
            "holds on every seed".into()
        } else if self.wins == 0 {
            "the opposite holds on every seed".into()
        } else {
            format!("mixed ({} of {} seeds)", self.wins, self.seeds)
        }
    }
}

fn paired(runs: &[RunRow], a: &SummaryRow, b: &SummaryRow) -> Paired {
    let at = |p: &SummaryRow| {
        runs.iter()
            .filter(|r| r.method == p.method && r.rho == p.rho)
            .map(|r| (r.seed, r.test_loss))
            .collect::<Vec<_>>()
    };
    let (ra, rb) = (at(a), at(b));
    let ratios: Vec<f64> = ra
        .iter()
        .filter_map(|(s, la)| rb.iter().find(|(t, _)| t == s).map(|(_, lb)| la / lb))
        .collect();
    let n = ratios.len();
    Paired {
        a: a.method,
        b: b.method,
        wins: ratios.iter().filter(|r| **r < 1.0).count(),
        seeds: n,
        geo_mean_ratio: (ratios.iter().map(|r| r.ln()).sum::<f64>() / n.max(1) as f64).exp(),
        max_ratio: ratios.iter().copied().fold(0.0, f64::max),
    }
}

/// The verdicts, computed here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// The ground truth and start.
    pub truth: Truth,
    /// For each method, the ρ of lowest mean validation loss among the ρ where no seed
    /// diverged, and its summary row.
    pub picks: Vec<SummaryRow>,
    /// Seed-by-seed comparisons at the picks: 1-SAM vs n-SAM, n-SAM vs GD, 1-SAM vs GD.
    pub paired: Vec<Paired>,
    /// 1-SAM (at its pick) against n-SAM (at its pick) in mean ± std over seeds (unpaired; the
    /// seeds' data differ, so their spread is wide).
    pub one_sam_vs_n_sam: String,
    /// n-SAM against GD.
    pub n_sam_vs_gd: String,
    /// 1-SAM against GD.
    pub one_sam_vs_gd: String,
    /// The claim "the benefit comes from m = 1, not from full-batch SAM": 1-SAM beats GD on
    /// every seed and n-SAM's geometric-mean gain over GD is less than a tenth of 1-SAM's (in
    /// log ratio) or none.
    pub benefit_from_m1: bool,
    /// 1-SAM's training loss against GD's at the picks (a lower one means part of the test
    /// gain is speed).
    pub one_sam_train_vs_gd: String,
    /// The picks rerun for `long_steps` (same seeds): one row per method.
    pub long: Vec<SummaryRow>,
    /// Mean test loss after `long_steps` over mean test loss after `steps`, per method (GD,
    /// n-SAM, 1-SAM).
    pub long_over_short: Vec<f64>,
    /// Every method's test loss still falls by more than 10× with the longer budget, and GD's
    /// long-budget test loss is below 1-SAM's short-budget one: the methods head for the same
    /// solution and differ in how fast they get there.
    pub speed_not_solution: bool,
}

/// Everything the experiment writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Finished runs.
    pub runs: Vec<RunRow>,
    /// Diverged runs.
    pub diverged: Vec<DivergedRow>,
    /// Per method and ρ, over seeds.
    pub summary: Vec<SummaryRow>,
    /// Verdicts, one block per ground truth.
    pub verdicts: Vec<Verdicts>,
    /// Provenance.
    pub meta: sam_results::Meta,
}

/// The summary rows of one ground truth (`runs` and `diverged` hold only its runs).
fn summarize(
    truth: Truth,
    runs: &[RunRow],
    diverged: &[DivergedRow],
    cfg: &Config,
) -> Vec<SummaryRow> {
    let mut out = Vec::new();
    for m in DiagMethod::ALL {
        let rhos: Vec<f64> = if m.has_rho() {
            cfg.rhos.clone()
        } else {
            vec![0.0]
        };
        for rho in rhos {
            let rs: Vec<&RunRow> = runs
                .iter()
                .filter(|r| r.method == m && r.rho == rho)
                .collect();
            let dv = diverged
                .iter()
                .filter(|r| r.method == m && (r.rho == rho || !m.has_rho()))
                .count();
            if rs.is_empty() {
                out.push(SummaryRow {
                    truth,
                    method: m,
                    rho,
                    finished: 0,
                    diverged: dv,
                    train_loss_mean: 0.0,
                    train_loss_std: 0.0,
                    val_loss_mean: 0.0,
                    test_loss_mean: 0.0,
                    test_loss_std: 0.0,
                    beta_l1_mean: 0.0,
                });
                continue;
            }
            let col = |f: fn(&RunRow) -> f64| rs.iter().map(|r| f(r)).collect::<Vec<f64>>();
            let (tr, trs) = mean_std(&col(|r| r.train_loss));
            let (va, _) = mean_std(&col(|r| r.val_loss));
            let (te, tes) = mean_std(&col(|r| r.test_loss));
            let (l1, _) = mean_std(&col(|r| r.beta_l1));
            out.push(SummaryRow {
                truth,
                method: m,
                rho,
                finished: rs.len(),
                diverged: dv,
                train_loss_mean: tr,
                train_loss_std: trs,
                val_loss_mean: va,
                test_loss_mean: te,
                test_loss_std: tes,
                beta_l1_mean: l1,
            });
        }
    }
    out
}

impl Verdicts {
    /// The picks and verdicts from the summary of the grid and of the picks rerun for the long
    /// budget (`long`: one row per method, GD, n-SAM, 1-SAM).
    pub fn compute(runs: &[RunRow], summary: &[SummaryRow], long: Vec<SummaryRow>) -> Result<Self> {
        let p = pick_rows(summary)?;
        let (gd, ns, os) = (p[0].clone(), p[1].clone(), p[2].clone());
        let t = |s: &SummaryRow| (s.test_loss_mean, s.test_loss_std);
        let pairs = vec![
            paired(runs, &os, &ns),
            paired(runs, &ns, &gd),
            paired(runs, &os, &gd),
        ];
        let gain_1 = -pairs[2].geo_mean_ratio.ln();
        let gain_n = -pairs[1].geo_mean_ratio.ln();
        let one_beats_gd = pairs[2].wins == pairs[2].seeds && pairs[2].seeds > 0;
        let compare = crate::mnist::compare;
        let picks = [&gd, &ns, &os];
        let long_over_short: Vec<f64> = picks
            .iter()
            .map(|p| {
                long.iter()
                    .find(|l| l.method == p.method)
                    .map_or(f64::NAN, |l| l.test_loss_mean / p.test_loss_mean)
            })
            .collect();
        if long_over_short.iter().any(|r| !r.is_finite()) {
            return Err(ExperimentError::Finding(
                "diagnet: a method's long-budget rerun is missing or diverged: lower lr".into(),
            ));
        }
        let long_gd = long
            .iter()
            .find(|l| l.method == DiagMethod::Gd)
            .map_or(f64::INFINITY, |l| l.test_loss_mean);
        let tr = |s: &SummaryRow| (s.train_loss_mean, s.train_loss_std);
        Ok(Verdicts {
            truth: gd.truth,
            one_sam_train_vs_gd: compare(tr(&os), tr(&gd)).into(),
            speed_not_solution: long_over_short.iter().all(|r| *r < 0.1)
                && long_gd < os.test_loss_mean,
            long_over_short,
            long,
            one_sam_vs_n_sam: compare(t(&os), t(&ns)).into(),
            n_sam_vs_gd: compare(t(&ns), t(&gd)).into(),
            one_sam_vs_gd: compare(t(&os), t(&gd)).into(),
            benefit_from_m1: one_beats_gd && gain_n < 0.1 * gain_1,
            paired: pairs,
            picks: vec![gd, ns, os],
        })
    }
}

/// Each method's validation pick (see [`Verdicts::picks`]).
fn pick_rows(summary: &[SummaryRow]) -> Result<Vec<SummaryRow>> {
    DiagMethod::ALL
        .iter()
        .map(|&m| {
            summary
                .iter()
                .filter(|s| s.method == m && s.diverged == 0 && s.finished > 0)
                .min_by(|a, b| a.val_loss_mean.total_cmp(&b.val_loss_mean))
                .cloned()
                .ok_or_else(|| {
                    ExperimentError::Finding(format!(
                        "diagnet: every {} setting diverged: lower lr or the rho grid",
                        m.name()
                    ))
                })
        })
        .collect()
}

/// Runs the grid (every method × ρ × seed).
pub fn run_grid(cfg: &Config, quick: bool, progress: crate::Progress) -> Result<Results> {
    cfg.problem.check()?;
    let mut r = Results {
        runs: Vec::new(),
        diverged: Vec::new(),
        summary: Vec::new(),
        verdicts: Vec::new(),
        meta: sam_results::Meta::new(NAME, cfg.seeds.first().copied(), quick, cfg)?,
    };
    for &truth in &cfg.truths {
        run_truth(cfg, truth, progress, &mut r)?;
    }
    Ok(r)
}

/// Runs `jobs` (method, ρ, seed) of `problem` in parallel (results in job order).
fn run_jobs(
    problem: &Problem,
    jobs: &[(DiagMethod, f64, u64)],
    n_val: usize,
    progress: crate::Progress,
) -> Result<(Vec<RunRow>, Vec<DivergedRow>)> {
    let outcomes: Vec<Result<Outcome>> = jobs
        .par_iter()
        .map(|&(m, rho, seed)| {
            let o = run_one(problem, m, rho, seed, n_val);
            progress(0, "");
            o
        })
        .collect();
    let (mut runs, mut diverged) = (Vec::new(), Vec::new());
    for o in outcomes {
        match o? {
            Outcome::Done(r) => runs.push(r),
            Outcome::Diverged(d) => diverged.push(d),
        }
    }
    Ok((runs, diverged))
}

/// The grid, the picks' long reruns and the verdicts of one ground truth, appended to `out`.
fn run_truth(
    cfg: &Config,
    truth: Truth,
    progress: crate::Progress,
    out: &mut Results,
) -> Result<()> {
    let problem = Problem {
        truth,
        ..cfg.problem.clone()
    };
    let mut jobs: Vec<(DiagMethod, f64, u64)> = Vec::new();
    for &seed in &cfg.seeds {
        jobs.push((DiagMethod::Gd, 0.0, seed));
        for m in [DiagMethod::NSam, DiagMethod::OneSam] {
            for &rho in &cfg.rhos {
                jobs.push((m, rho, seed));
            }
        }
    }
    progress(
        jobs.len() as u64,
        &format!("diagnet runs ({} truth)", truth.name()),
    );
    let (runs, diverged) = run_jobs(&problem, &jobs, cfg.n_val, progress)?;
    let summary = summarize(truth, &runs, &diverged, cfg);
    // each method's validation pick, rerun with the long budget
    let long_jobs: Vec<(DiagMethod, f64, u64)> = pick_rows(&summary)?
        .iter()
        .flat_map(|p| cfg.seeds.iter().map(move |&s| (p.method, p.rho, s)))
        .collect();
    progress(long_jobs.len() as u64, "diagnet long-budget reruns");
    let long_problem = Problem {
        steps: cfg.long_steps,
        ..problem
    };
    let (long_runs, long_div) = run_jobs(&long_problem, &long_jobs, cfg.n_val, progress)?;
    let long: Vec<SummaryRow> = summarize(truth, &long_runs, &long_div, cfg)
        .into_iter()
        .filter(|s| s.finished > 0)
        .collect();
    out.verdicts.push(Verdicts::compute(&runs, &summary, long)?);
    out.runs.extend(runs);
    out.diverged.extend(diverged);
    out.summary.extend(summary);
    Ok(())
}

crate::results_files!(
    runs: csv "runs.csv",
    diverged: csv "diverged.csv",
    summary: csv "summary.csv",
    verdicts: json "verdicts.json",
    meta: json "meta.json",
);

crate::study!(Config::quick(), Config::full(), |cfg, ctx| run_grid(
    cfg,
    ctx.quick,
    ctx.progress
));
