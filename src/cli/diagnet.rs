//! `samlab diagnet`: one run of the diagonal linear network experiment (Andriushchenko &
//! Flammarion 2022; RESEARCH.md section 1): GD, n-SAM or 1-SAM (unnormalised) on sparse
//! noiseless regression with β = u ⊙ v.

use anyhow::{bail, Result};
use clap::ValueEnum;
use sam_experiments::diagnet::{run_one, DiagMethod, Outcome, Problem, Truth};
use serde::Serialize;

/// The methods.
#[derive(Clone, Copy, ValueEnum)]
pub enum MethodName {
    /// Full-batch gradient descent.
    Gd,
    /// Unnormalised SAM, one perturbation ρ∇L from the full-batch gradient.
    #[value(name = "n-sam")]
    NSam,
    /// Unnormalised SAM, one perturbation ρ∇ℓᵢ per training example (m-sharpness, m = 1).
    #[value(name = "1-sam")]
    OneSam,
}

/// The ground truths.
#[derive(Clone, Copy, ValueEnum)]
pub enum TruthName {
    /// β* ∈ {0, 1}ᵈ with start u = v = α·1 (RESEARCH.md's protocol).
    Nonnegative,
    /// β* ∈ {0, ±1}ᵈ with start u = √2α·1, v = 0.
    Signed,
}

/// Arguments of `samlab diagnet`.
#[derive(clap::Args)]
pub struct Args {
    /// The method.
    #[arg(long, value_enum)]
    pub method: MethodName,
    /// Perturbation scale ρ of ê = ρ g (n-sam and 1-sam only) [default: 0.1].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub rho: Option<f64>,
    /// Seed of the data (inputs, support of β*, validation samples).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Step size η.
    #[arg(value_parser = super::number, long, default_value_t = 0.05, allow_hyphen_values = true)]
    pub lr: f64,
    /// Full-batch steps.
    #[arg(long, default_value_t = 10_000)]
    pub steps: usize,
    /// Start u = v = α·1.
    #[arg(value_parser = super::number, long, default_value_t = 0.1, allow_hyphen_values = true)]
    pub alpha: f64,
    /// Input dimension d.
    #[arg(long, default_value_t = 30)]
    pub d: usize,
    /// Training samples n.
    #[arg(long, default_value_t = 20)]
    pub n: usize,
    /// Nonzero entries of the ground truth β*.
    #[arg(long, default_value_t = 3)]
    pub k: usize,
    /// Ground truth and start: nonnegative (β* ∈ {0,1}ᵈ, u = v = α; the protocol) or signed
    /// (β* ∈ {0,±1}ᵈ, u = √2α, v = 0).
    #[arg(long, value_enum, default_value_t = TruthName::Nonnegative)]
    pub truth: TruthName,
    /// Fresh validation samples.
    #[arg(long, default_value_t = 100)]
    pub n_val: usize,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The `--json` result (DESIGN.md: at least train_loss, test_loss, steps).
#[derive(Debug, Serialize)]
pub struct Summary {
    method: &'static str,
    truth: &'static str,
    rho: f64,
    seed: u64,
    lr: f64,
    steps: usize,
    grad_evals: u64,
    train_loss: f64,
    val_loss: f64,
    test_loss: f64,
    beta_l1: f64,
}

/// Runs `samlab diagnet`.
pub fn run(a: Args) -> Result<()> {
    let s = execute(&a)?;
    if a.json {
        super::emit_json(&s)?;
    } else {
        crate::outln!(
            "{} rho {} seed {}: train loss {:.3e}, test loss {:.3e}, ‖β‖₁ {:.4} after {} steps",
            s.method,
            s.rho,
            s.seed,
            s.train_loss,
            s.test_loss,
            s.beta_l1,
            s.steps
        );
    }
    Ok(())
}

/// The checked settings of one run: what [`execute`] runs, and a sweep trial's normalized
/// configuration (every default spelled out).
#[derive(Debug, Serialize)]
pub struct Setup {
    /// The method.
    pub method: DiagMethod,
    /// Its radius (0 for GD).
    pub rho: f64,
    /// The regression problem and budget.
    pub problem: Problem,
    /// The seed.
    pub seed: u64,
    /// Validation samples.
    pub n_val: usize,
}

/// Checks the flags (an error names the flag and what to pass).
pub fn setup(a: &Args) -> Result<Setup> {
    let method = match a.method {
        MethodName::Gd => DiagMethod::Gd,
        MethodName::NSam => DiagMethod::NSam,
        MethodName::OneSam => DiagMethod::OneSam,
    };
    if a.rho.is_some() && !method.has_rho() {
        bail!("--rho applies to n-sam and 1-sam only: drop it or use --method n-sam");
    }
    if a.n_val == 0 || a.n_val > 1_000_000 {
        bail!(
            "--n-val {}: pass between 1 and 1000000 validation samples",
            a.n_val
        );
    }
    if a.d.saturating_mul(a.n.max(a.n_val)) > 100_000_000 {
        bail!(
            "--d {} with --n {} / --n-val {}: the inputs would exceed 10^8 numbers; use smaller sizes",
            a.d,
            a.n,
            a.n_val
        );
    }
    let rho = a.rho.unwrap_or(if method.has_rho() { 0.1 } else { 0.0 });
    let p = Problem {
        d: a.d,
        n: a.n,
        k: a.k,
        alpha: a.alpha,
        lr: a.lr,
        steps: a.steps,
        truth: match a.truth {
            TruthName::Nonnegative => Truth::Nonnegative,
            TruthName::Signed => Truth::Signed,
        },
    };
    // every check run_one makes, here, so that a sweep's plan refuses a bad trial up front
    p.check()?;
    if !(rho.is_finite() && rho >= 0.0) {
        bail!("--rho {rho}: pass a finite rho >= 0 (default 0.1)");
    }
    Ok(Setup {
        method,
        rho,
        problem: p,
        seed: a.seed,
        n_val: a.n_val,
    })
}

/// Checks the flags and runs the experiment: the one computation behind `samlab diagnet` and
/// its sweep trials.
pub fn execute(a: &Args) -> Result<Summary> {
    let Setup {
        method,
        rho,
        problem: p,
        seed,
        n_val,
    } = setup(a)?;
    let r = match run_one(&p, method, rho, seed, n_val)? {
        Outcome::Done(r) => r,
        Outcome::Diverged(d) => bail!(
            "{} with rho = {} diverged at step {}: lower --lr or --rho",
            method.name(),
            sam_params::show(rho),
            d.step
        ),
    };
    let s = Summary {
        method: method.name(),
        truth: r.truth.name(),
        rho: r.rho,
        seed: r.seed,
        lr: a.lr,
        steps: r.steps,
        grad_evals: r.grad_evals,
        train_loss: r.train_loss,
        val_loss: r.val_loss,
        test_loss: r.test_loss,
        beta_l1: r.beta_l1,
    };
    super::check_finite(&s, &[], &format!("rho = {}", sam_params::show(rho)))?;
    Ok(s)
}
