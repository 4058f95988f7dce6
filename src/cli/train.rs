//! `samlab train`: the review's MNIST protocol (section 2.3.2) for one optimizer and seed.

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};
use sam_mnist::data::{load, LoadOptions};
use sam_mnist::train::{train_with, Optimizer, SamPath, SampleSets, TrainConfig};
use sam_params::{Checked, ParamGuard};
use serde::Serialize;
use std::path::PathBuf;

/// The optimizers of the protocol.
#[derive(Clone, Copy, ValueEnum)]
pub enum OptName {
    /// Plain SGD (default lr 0.01, 150 epochs).
    Sgd,
    /// Adam 0.9/0.999, eps 1e-8 (default lr 3e-4, 150 epochs).
    Adam,
    /// SAM with base SGD (default lr 0.01, rho 0.2, 75 epochs).
    Sam,
    /// Unnormalised SAM, ê = ρ g (default lr 0.01, rho 0.2 as SAM's, untuned; 75 epochs).
    Usam,
    /// ASAM, ê = ρ T²g/‖Tg‖ with T = diag(|w| + η) (default lr 0.01, rho 2.0 = ten times
    /// SAM's as Kwon et al. advise, η 0.01; 75 epochs).
    Asam,
}

/// `--sam-path` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SamPathArg {
    /// The engine's fused low-rank step.
    LowRank,
    /// The two-phase reference.
    Reference,
}

/// Arguments of `samlab train`.
#[derive(clap::Args)]
pub struct Args {
    /// The optimizer.
    #[arg(long, value_enum)]
    pub optimizer: OptName,
    /// Learning rate [default: the paper's for the optimizer].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub lr: Option<f64>,
    /// Radius ρ (SAM family only) [default: 0.2; ASAM 2.0].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub rho: Option<f64>,
    /// Epochs [default: 150, SAM 75, i.e. 15000 gradient evaluations].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Seed of the initial weights and of the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Minibatch size.
    #[arg(long, default_value_t = 10)]
    pub batch_size: usize,
    /// Number of training images (the first ones).
    #[arg(long, default_value_t = 1000)]
    pub train_size: usize,
    /// SAM's m-sharpness: one perturbation per chunk of m samples of each batch.
    #[arg(long)]
    pub m_sharpness: Option<usize>,
    /// Validation images: the next V training images after the first --train-size (never
    /// trained on), evaluated every epoch [default: 0, none; e.g. 5000 for images 1000-5999].
    #[arg(long, default_value_t = 0)]
    pub val_size: usize,
    /// Symmetric label noise: exactly floor(train_size · P) training labels replaced by a
    /// uniformly drawn different class, fixed per --noise-seed [default: 0, clean labels].
    #[arg(value_parser = super::number, long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub label_noise: f64,
    /// Seed of which labels are flipped and to what (independent of --seed).
    #[arg(long, default_value_t = 0)]
    pub noise_seed: u64,
    /// Adam's first-moment decay (Adam only) [default: 0.9].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub beta1: Option<f64>,
    /// Adam's second-moment decay (Adam only) [default: 0.999].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub beta2: Option<f64>,
    /// Adam's epsilon (Adam only) [default: 1e-8].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub adam_eps: Option<f64>,
    /// Epsilon of the normalised rules, ê = ρ v/(‖v‖ + eps) (sam, asam) [default: 1e-12].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub sam_eps: Option<f64>,
    /// ASAM's offset η in T = diag(|w| + η) (asam only) [default: 0.01].
    #[arg(value_parser = super::number, long, allow_hyphen_values = true)]
    pub asam_eta: Option<f64>,
    /// How SAM and USAM over SGD compute a step: `low-rank` (the engine's fused step, w + ê
    /// never written) or `reference` (the optimizer stack's two phases); equal up to f32
    /// rounding [default: low-rank].
    #[arg(long, value_enum)]
    pub sam_path: Option<SamPathArg>,
    /// Folder with the four MNIST IDX files [default: $SAM_MNIST_DIR, then ./data/mnist, then the user's cache folder, fetched into it if missing].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Write one row per epoch to this CSV file (written atomically at the end; a folder, a
    /// symlink, a FIFO or a device is refused before training).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Threads of the per-epoch evaluation (training steps run on one; every row is
    /// bit-identical for any count) [default: the cores available to this process].
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// The `--json` summary.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The run's configuration.
    pub config: TrainConfig,
    /// Final mean training loss.
    pub train_loss: f64,
    /// Final training accuracy.
    pub train_acc: f64,
    /// Final mean test loss.
    pub test_loss: f64,
    /// Final test accuracy.
    pub test_acc: f64,
    /// test_loss − train_loss.
    pub gap: f64,
    /// Gradient evaluations (a SAM step counts 2).
    pub grad_evals: usize,
    /// Wall seconds spent training (evaluation excluded).
    pub wall_s: f64,
    /// CPU seconds spent training (evaluation excluded).
    pub cpu_s: f64,
    /// Final mean validation loss (with --val-size only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    /// Final validation accuracy (with --val-size only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub val_acc: Option<f64>,
    /// Training labels flipped (with --label-noise only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_flipped: Option<usize>,
    /// Final accuracy on the training samples whose labels were kept (with --label-noise only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clean_train_acc: Option<f64>,
    /// Final accuracy on the flipped training samples against their noisy labels: memorization
    /// (with --label-noise only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noisy_train_acc: Option<f64>,
}

impl Summary {
    /// The summary of the run of `cfg` with epoch rows `rows` (`n_flipped` training labels
    /// flipped by its label noise); an error when a value is not finite (a diverged run).
    pub fn of(
        cfg: &TrainConfig,
        rows: &[sam_mnist::train::EpochRow],
        n_flipped: Option<usize>,
    ) -> Result<Self> {
        let last = rows.last().context("a run has at least its epoch-0 row")?;
        let summary = Summary {
            config: cfg.clone(),
            train_loss: last.train_loss,
            train_acc: last.train_acc,
            test_loss: last.test_loss,
            test_acc: last.test_acc,
            gap: last.gap,
            grad_evals: last.grad_evals,
            wall_s: last.wall_s,
            cpu_s: last.cpu_s,
            val_loss: last.val_loss,
            val_acc: last.val_acc,
            n_flipped,
            clean_train_acc: last.clean_train_acc,
            noisy_train_acc: last.noisy_train_acc,
        };
        super::check_finite(
            &summary,
            &["config.m_sharpness"],
            &format!(
                "lr = {} (if the run diverged: lower --lr or --rho)",
                sam_params::show(summary.config.lr)
            ),
        )?;
        Ok(summary)
    }
}

/// Builds the validated configuration from the flags.
pub fn config(a: &Args) -> Result<Checked<TrainConfig>> {
    let optimizer = match a.optimizer {
        OptName::Sgd | OptName::Adam if a.rho.is_some() => {
            bail!("--rho applies to the SAM family (sam, usam, asam) only: drop it or use sam")
        }
        OptName::Sgd => Optimizer::Sgd,
        OptName::Adam => Optimizer::Adam,
        OptName::Sam => Optimizer::Sam {
            rho: a.rho.unwrap_or(0.2),
        },
        OptName::Usam => Optimizer::Usam {
            rho: a.rho.unwrap_or(0.2),
        },
        OptName::Asam => Optimizer::Asam {
            rho: a.rho.unwrap_or(2.0),
            eta: a.asam_eta.unwrap_or(sam_optim::perturb::ASAM_ETA),
        },
    };
    if a.asam_eta.is_some() && !matches!(a.optimizer, OptName::Asam) {
        bail!("--asam-eta applies to --optimizer asam only: drop it or use asam")
    }
    let adam_only = [
        ("--beta1", a.beta1),
        ("--beta2", a.beta2),
        ("--adam-eps", a.adam_eps),
    ];
    if !matches!(a.optimizer, OptName::Adam) {
        if let Some((flag, _)) = adam_only.iter().find(|(_, v)| v.is_some()) {
            bail!("{flag} applies to --optimizer adam only: drop it or use adam")
        }
    }
    if a.sam_path.is_some() && !matches!(a.optimizer, OptName::Sam | OptName::Usam) {
        bail!("--sam-path applies to --optimizer sam or usam only (the low-rank step needs ê = s g over SGD): drop it")
    }
    if a.sam_eps.is_some() && !matches!(a.optimizer, OptName::Sam | OptName::Asam) {
        bail!("--sam-eps applies to the normalised rules (--optimizer sam or asam) only: drop it")
    }
    let paper = TrainConfig::paper(optimizer, a.seed);
    let c = TrainConfig {
        lr: a.lr.unwrap_or(paper.lr),
        epochs: a.epochs.unwrap_or(paper.epochs),
        batch_size: a.batch_size,
        train_size: a.train_size,
        m_sharpness: a.m_sharpness,
        val_size: a.val_size,
        label_noise: a.label_noise,
        noise_seed: a.noise_seed,
        beta1: a.beta1.unwrap_or(paper.beta1),
        beta2: a.beta2.unwrap_or(paper.beta2),
        adam_eps: a.adam_eps.unwrap_or(paper.adam_eps),
        sam_eps: a.sam_eps.unwrap_or(paper.sam_eps),
        sam_path: match a.sam_path {
            Some(SamPathArg::Reference) => SamPath::Reference,
            _ => SamPath::LowRank,
        },
        ..paper
    };
    // checked once, here; training takes the checked set as it is
    Ok(c.check()?)
}

/// Fails early, before any training, when `path` cannot be written, is a folder, or exists as
/// something other than a regular file (a symlink or FIFO would be replaced by the atomic write).
fn check_writable(path: &std::path::Path) -> Result<()> {
    if path.as_os_str().to_string_lossy().ends_with('/') {
        bail!(
            "--out {} names a folder: give a file name, e.g. --out run.csv",
            path.display()
        );
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.is_dir() {
            bail!(
                "--out {} is a folder: give a file name inside it, e.g. --out {}/run.csv",
                path.display(),
                path.display()
            );
        }
        if !meta.file_type().is_file() {
            bail!("--out {} exists and is not a regular file (a symlink, FIFO or device): give another path", path.display());
        }
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let probe = dir.join(format!(".samlab-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "cannot write --out {}: the folder {} is missing or not writable",
            path.display(),
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// What one run of `samlab train` computed: the summary and the per-epoch rows.
pub struct Trained {
    /// The `--json` summary.
    pub summary: Summary,
    /// One row per epoch, from epoch 0.
    pub rows: Vec<sam_mnist::train::EpochRow>,
    /// The final parameters.
    pub params: sam_mnist::model::Params,
}

/// Trains the checked `cfg` on `threads` evaluation threads with the MNIST data looked up from
/// `data_dir` (DESIGN.md's order); `on_epoch` sees each epoch's row. The one computation behind
/// `samlab train` and its sweep trials.
pub fn execute(
    cfg: &Checked<TrainConfig>,
    data_dir: Option<PathBuf>,
    threads: usize,
    on_epoch: impl FnMut(&sam_mnist::train::EpochRow),
) -> Result<Trained> {
    // data/mnist under the current folder, then the user's cache folder (DESIGN.md)
    let (data, _) = load(&LoadOptions::new(data_dir, PathBuf::from("data/mnist")))?;
    let sets = SampleSets::for_config(&data, cfg)?;
    let out = train_with(cfg, &sets, threads, on_epoch)?;
    let summary = Summary::of(cfg, &out.rows, sets.noise.as_ref().map(|n| n.flipped.len()))?;
    Ok(Trained {
        summary,
        rows: out.rows,
        params: out.params,
    })
}

/// The evaluation threads `--threads` asks for (default: the cores available).
pub fn threads_of(t: Option<usize>) -> Result<usize> {
    Ok(match t {
        Some(0) => bail!("--threads 0: pass at least 1 (or omit it for the available cores)"),
        Some(t) => t.min(256),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}

/// Runs `samlab train`.
pub fn run(a: Args) -> Result<()> {
    let cfg = config(&a)?;
    let threads = threads_of(a.threads)?;
    if let Some(out) = &a.out {
        check_writable(out)?;
    }
    let pb = ProgressBar::new(cfg.epochs as u64);
    pb.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] epoch {pos}/{len} {elapsed_precise} eta {eta}",
        )
        .expect("template")
        .progress_chars("=> "),
    );
    pb.set_message(format!("{} seed {}", cfg.optimizer.name(), cfg.seed));
    let trained = execute(&cfg, a.data_dir.clone(), threads, |r| {
        if r.epoch > 0 {
            pb.inc(1);
        }
    })?;
    pb.finish_and_clear();
    if let Some(path) = &a.out {
        sam_results::write_csv(path, &trained.rows)?;
    }
    let s = trained.summary;
    if a.json {
        super::emit_json(&s)?;
    } else {
        crate::outln!(
            "{} lr {} seed {}: train loss {:.4}, test loss {:.4}, test acc {:.4}, gap {:.4}, {} gradient evaluations, {:.1} s training",
            s.config.optimizer.name(), s.config.lr, s.config.seed, s.train_loss, s.test_loss, s.test_acc, s.gap, s.grad_evals, s.wall_s
        );
        if let (Some(n), Some(c), Some(m)) = (s.n_flipped, s.clean_train_acc, s.noisy_train_acc) {
            crate::outln!(
                "label noise {}: {n} labels flipped; train accuracy on the kept labels {c:.4}, on the flipped ones against their noisy labels (memorized) {m:.4}",
                s.config.label_noise
            );
        }
    }
    Ok(())
}
