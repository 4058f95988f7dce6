//! The review's MNIST training protocol (section 2.3.2): SGD, Adam or SAM on the first
//! `train_size` training images, batch 10, a fresh seeded permutation every epoch, evaluation of
//! loss and accuracy on all `train_size` training and all test images after every epoch.
//!
//! | setting | default | range |
//! |---|---|---|
//! | optimizer | SGD / Adam / SAM, USAM, ASAM (base SGD) | |
//! | lr | SGD 0.01, Adam 3e-4, SAM family 0.01 | finite, > 0 |
//! | rho (SAM family) | SAM 0.2 (ASAM: the CLI's 2.0) | finite, >= 0 |
//! | eta (ASAM) | 0.01 | finite, >= 0 |
//! | epochs | SGD/Adam 150, SAM 75 (15000 gradient evaluations) | >= 1 |
//! | batch_size | 10 | 1..=train_size |
//! | train_size | 1000 | 1..=60000 (and <= the images available) |
//! | m_sharpness | None (one perturbation per batch) | 1..=batch_size |
//! | beta1, beta2, adam_eps (Adam) | 0.9, 0.999, 1e-8 | [0, 1), [0, 1), finite > 0 |
//! | sam_eps (SAM, ASAM) | 1e-12 | finite > 0 |
//!
//! One run is single-threaded and deterministic: the same config gives bit-identical rows
//! (except the timings) whatever else runs; [`run_many`] runs independent configs in parallel.

use crate::data::{Mnist, PIXELS};
use crate::error::{MnistError, Result};
use crate::fast::{Engine, Pass};
use crate::kernels;
use crate::model::{Params, Samples, SIZES};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sam_optim::{
    run_in_place, Fallible, Fused, Grad, GradientOracle, Hyper, OptimError, RunConfig, SamPass,
    SamRequest, Schedule, TraceRow,
};
use sam_params::{Checked, ParamGuard};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Instant;

/// Adam's first-moment decay.
pub const BETA1: f64 = 0.9;
/// Adam's second-moment decay.
pub const BETA2: f64 = 0.999;
/// Adam's epsilon.
pub const ADAM_EPS: f64 = 1e-8;
/// SAM's epsilon in `e = rho g / (|g| + eps)`.
pub const SAM_EPS: f64 = 1e-12;

/// The optimizer of a run: sam-optim's [`Method`] (SGD, Adam and the SAM family), recorded in
/// result files as `{"kind": "sam", "rho": 0.2}`.
pub use sam_optim::Method as Optimizer;

/// Settings of one training run. Build with [`TrainConfig::new`] (validated) or the paper
/// defaults [`TrainConfig::paper`]; [`train`] validates again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Optimizer (and rho for SAM).
    pub optimizer: Optimizer,
    /// Learning rate.
    pub lr: f64,
    /// Number of epochs.
    pub epochs: usize,
    /// Seed of the initial weights (ChaCha8 stream 0) and of the batch order (stream 1).
    pub seed: u64,
    /// Minibatch size (the last incomplete batch of an epoch is dropped, as in the reference).
    pub batch_size: usize,
    /// Number of training images used (the first ones).
    pub train_size: usize,
    /// SAM's m-sharpness: one perturbation per chunk of `m` samples of the batch, gradients
    /// averaged (weighted by chunk size). `None`: one perturbation per batch.
    pub m_sharpness: Option<usize>,
    /// Adam's first-moment decay (Adam only; default [`BETA1`]).
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    /// Adam's second-moment decay (Adam only; default [`BETA2`]).
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    /// Adam's epsilon (Adam only; default [`ADAM_EPS`]).
    #[serde(default = "default_adam_eps")]
    pub adam_eps: f64,
    /// SAM's epsilon in `e = rho g/(|g| + eps)` (SAM only; default [`SAM_EPS`]).
    #[serde(default = "default_sam_eps")]
    pub sam_eps: f64,
    /// Validation images: the `val_size` training images after the first `train_size` (never
    /// trained on), evaluated after every epoch; 0: no validation set.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub val_size: usize,
    /// Symmetric label noise: exactly `floor(train_size · label_noise)` training labels are
    /// replaced by a uniformly drawn *different* class (see [`flip_labels`]); 0: clean labels.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub label_noise: f64,
    /// Seed of which labels are flipped and to what (independent of `seed`).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub noise_seed: u64,
    /// How SAM over SGD computes its step: the engine's low-rank step (default) or the
    /// optimizer stack's two phases, the reference it is tested against.
    #[serde(default, skip_serializing_if = "SamPath::is_low_rank")]
    pub sam_path: SamPath,
}

/// How SAM (and USAM) over SGD computes its step on the MNIST engine. Both take the same step
/// up to f32 rounding; other optimizers ignore it.
///
/// ```
/// use sam_mnist::train::SamPath;
/// assert_eq!(SamPath::default(), SamPath::LowRank);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SamPath {
    /// The engine's fused low-rank step (w + ê never written; see the crate docs).
    #[default]
    LowRank,
    /// sam-optim's two phases: climb to w + ê, gradient there, restore and step.
    Reference,
}

impl SamPath {
    fn is_low_rank(&self) -> bool {
        *self == SamPath::LowRank
    }
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}
fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}
fn is_zero_u64(v: &u64) -> bool {
    *v == 0
}

fn default_beta1() -> f64 {
    BETA1
}
fn default_beta2() -> f64 {
    BETA2
}
fn default_adam_eps() -> f64 {
    ADAM_EPS
}
fn default_sam_eps() -> f64 {
    SAM_EPS
}

impl TrainConfig {
    /// The review's settings for `optimizer` (lr SGD 0.01, Adam 3e-4, SAM 0.01 with the given rho;
    /// 150 epochs, SAM 75; batch 10; 1000 training images).
    ///
    /// ```
    /// use sam_mnist::train::{Optimizer, TrainConfig};
    /// let c = TrainConfig::paper(Optimizer::Sam { rho: 0.2 }, 3);
    /// assert_eq!((c.lr, c.epochs, c.batch_size, c.train_size), (0.01, 75, 10, 1000));
    /// ```
    pub fn paper(optimizer: Optimizer, seed: u64) -> Self {
        let (lr, epochs) = match optimizer {
            Optimizer::Sgd => (0.01, 150),
            Optimizer::Adam => (3e-4, 150),
            _ => (0.01, 75), // the SAM family: two gradients per step
        };
        TrainConfig {
            optimizer,
            lr,
            epochs,
            seed,
            batch_size: 10,
            train_size: 1000,
            m_sharpness: None,
            beta1: BETA1,
            beta2: BETA2,
            adam_eps: ADAM_EPS,
            sam_eps: SAM_EPS,
            val_size: 0,
            label_noise: 0.0,
            noise_seed: 0,
            sam_path: SamPath::LowRank,
        }
    }
    /// The paper's SGD run.
    pub fn sgd(seed: u64) -> Self {
        Self::paper(Optimizer::Sgd, seed)
    }
    /// The paper's Adam run.
    pub fn adam(seed: u64) -> Self {
        Self::paper(Optimizer::Adam, seed)
    }
    /// The paper's SAM run (rho 0.2).
    pub fn sam(seed: u64) -> Self {
        Self::paper(Optimizer::Sam { rho: 0.2 }, seed)
    }

    /// A validated config.
    ///
    /// ```
    /// use sam_mnist::train::{Optimizer, TrainConfig};
    /// assert!(TrainConfig::new(Optimizer::Sgd, 0.01, 2, 0, 10, 100, None).is_ok());
    /// let e = TrainConfig::new(Optimizer::Sgd, -1.0, 2, 0, 10, 100, None).unwrap_err();
    /// assert!(e.to_string().contains("lr = -1"));
    /// ```
    pub fn new(
        optimizer: Optimizer,
        lr: f64,
        epochs: usize,
        seed: u64,
        batch_size: usize,
        train_size: usize,
        m_sharpness: Option<usize>,
    ) -> Result<Checked<Self>> {
        let c = TrainConfig {
            optimizer,
            lr,
            epochs,
            seed,
            batch_size,
            train_size,
            m_sharpness,
            beta1: BETA1,
            beta2: BETA2,
            adam_eps: ADAM_EPS,
            sam_eps: SAM_EPS,
            val_size: 0,
            label_noise: 0.0,
            noise_seed: 0,
            sam_path: SamPath::LowRank,
        };
        Ok(c.check()?)
    }
}

/// Metrics after one epoch (epoch 0 = before training).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRow {
    /// Epoch number (0 = the initial weights).
    pub epoch: usize,
    /// Gradient evaluations so far (a SAM step counts 2).
    pub grad_evals: usize,
    /// Mean loss over the `train_size` training samples.
    pub train_loss: f64,
    /// Accuracy over the training samples.
    pub train_acc: f64,
    /// Mean loss over all test samples.
    pub test_loss: f64,
    /// Accuracy over the test samples.
    pub test_acc: f64,
    /// `test_loss - train_loss`.
    pub gap: f64,
    /// Wall-clock seconds spent in training steps so far (evaluation excluded).
    pub wall_s: f64,
    /// CPU seconds (this thread) spent in training steps so far (evaluation excluded).
    pub cpu_s: f64,
    /// Mean loss over the validation images (absent without a validation set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    /// Accuracy over the validation images (absent without a validation set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_acc: Option<f64>,
    /// With label noise: accuracy on the training samples whose labels were kept (absent
    /// without noise). `train_loss` and `train_acc` are against the labels trained on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clean_train_acc: Option<f64>,
    /// With label noise: accuracy on the flipped samples against their *noisy* labels
    /// (memorization; absent without noise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noisy_train_acc: Option<f64>,
}

/// What a run returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOutcome {
    /// The config that was run.
    pub config: TrainConfig,
    /// One row per epoch, starting with epoch 0.
    pub rows: Vec<EpochRow>,
    /// Final parameters.
    pub params: Params,
}

/// The protocol's sample sets built from the data: the first `train_size` training images and
/// all test images, pixels / 255.
#[derive(Clone, Debug)]
pub struct SampleSets {
    /// Training samples.
    pub train: Samples,
    /// Test samples.
    pub test: Samples,
    /// Validation samples (training images after the first `train_size`), if any.
    pub val: Option<Samples>,
    /// The label noise applied to `train`, if any.
    pub noise: Option<LabelNoise>,
}

/// Label noise applied to a training set: which samples were flipped, and the two subsets the
/// per-epoch accuracies are measured on.
#[derive(Clone, Debug)]
pub struct LabelNoise {
    /// Indices (into the training set, sorted) whose labels were replaced.
    pub flipped: Vec<usize>,
    /// The samples whose labels were kept.
    pub clean: Samples,
    /// The flipped samples, with their noisy labels.
    pub noisy: Samples,
}

/// Symmetric label noise: exactly `k = floor(labels.len() · p)` distinct indices, drawn
/// uniformly with the seed `seed`, each get a label drawn uniformly from the `classes − 1`
/// *other* classes. Returns the new labels and the flipped indices (sorted). Deterministic per
/// seed; `p` must lie in [0, 1] and every label below `classes` (checked by the callers).
///
/// ```
/// use sam_mnist::train::flip_labels;
/// let y: Vec<u8> = (0..100).map(|i| (i % 10) as u8).collect();
/// let (noisy, flipped) = flip_labels(&y, 0.25, 10, 7);
/// assert_eq!(flipped.len(), 25);
/// assert!(flipped.iter().all(|&i| noisy[i] != y[i] && noisy[i] < 10));
/// assert_eq!(flip_labels(&y, 0.25, 10, 7), (noisy, flipped)); // same seed, same flips
/// ```
pub fn flip_labels(labels: &[u8], p: f64, classes: u8, seed: u64) -> (Vec<u8>, Vec<usize>) {
    let n = labels.len();
    let k = ((n as f64 * p).floor() as usize).min(n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(2);
    let mut flipped = rand::seq::index::sample(&mut rng, n, k).into_vec();
    flipped.sort_unstable();
    let mut out = labels.to_vec();
    for &i in &flipped {
        let shift = rng.random_range(1..classes);
        out[i] = ((labels[i] as u16 + shift as u16) % classes as u16) as u8;
    }
    (out, flipped)
}

impl SampleSets {
    /// Builds the sets; errors if fewer than `train_size` training images exist.
    ///
    /// ```
    /// let m = sam_mnist::data::Mnist::from_parts(vec![0; 3 * 784], vec![1, 2, 3], vec![9; 784], vec![4]).unwrap();
    /// let s = sam_mnist::train::SampleSets::new(&m, 2).unwrap();
    /// assert_eq!((s.train.len(), s.test.len()), (2, 1));
    /// ```
    pub fn new(data: &Mnist, train_size: usize) -> Result<Self> {
        Self::with_validation(data, train_size, 0)
    }

    /// The sets with a validation set of the `val_size` training images after the first
    /// `train_size` (none if `val_size` is 0); errors if the data hold fewer images.
    ///
    /// ```
    /// let m = sam_mnist::data::Mnist::from_parts(vec![0; 5 * 784], vec![1, 2, 3, 4, 5], vec![9; 784], vec![4]).unwrap();
    /// let s = sam_mnist::train::SampleSets::with_validation(&m, 2, 3).unwrap();
    /// assert_eq!((s.train.len(), s.val.as_ref().unwrap().len()), (2, 3));
    /// assert!(sam_mnist::train::SampleSets::with_validation(&m, 2, 4).is_err());
    /// ```
    pub fn with_validation(data: &Mnist, train_size: usize, val_size: usize) -> Result<Self> {
        if train_size + val_size > data.n_train() {
            let (name, value) = if val_size == 0 {
                ("train_size", train_size)
            } else {
                ("val_size", val_size)
            };
            return Err(sam_params::Invalid::new(
                name,
                value,
                format!(
                    "the data hold only {} training images (train_size + val_size must not exceed it)",
                    data.n_train()
                ),
            )
            .into());
        }
        let end = train_size + val_size;
        Ok(SampleSets {
            train: Samples::from_bytes(
                &data.train_images[..train_size * PIXELS],
                &data.train_labels[..train_size],
                PIXELS,
            )?,
            test: Samples::from_bytes(&data.test_images, &data.test_labels, PIXELS)?,
            noise: None,
            val: if val_size == 0 {
                None
            } else {
                Some(Samples::from_bytes(
                    &data.train_images[train_size * PIXELS..end * PIXELS],
                    &data.train_labels[train_size..end],
                    PIXELS,
                )?)
            },
        })
    }
}

impl SampleSets {
    /// The sets a run of `cfg` trains and evaluates on: [`SampleSets::with_validation`], then
    /// the config's label noise on the training labels.
    ///
    /// ```
    /// use sam_mnist::train::{Optimizer, SampleSets, TrainConfig};
    /// let imgs: Vec<u8> = (0..20 * 784).map(|i| (i % 200) as u8).collect();
    /// let labels: Vec<u8> = (0..20).map(|i| (i % 10) as u8).collect();
    /// let m = sam_mnist::data::Mnist::from_parts(imgs.clone(), labels.clone(), imgs, labels).unwrap();
    /// let cfg = TrainConfig { label_noise: 0.3, noise_seed: 1, train_size: 20, ..TrainConfig::sgd(0) };
    /// let s = SampleSets::for_config(&m, &cfg).unwrap();
    /// assert_eq!(s.noise.as_ref().unwrap().flipped.len(), 6);
    /// ```
    pub fn for_config(data: &Mnist, cfg: &TrainConfig) -> Result<Self> {
        Self::with_validation(data, cfg.train_size, cfg.val_size)?
            .with_label_noise(cfg.label_noise, cfg.noise_seed)
    }

    /// These sets with symmetric label noise `p` (seed `seed`, see [`flip_labels`]) on the
    /// training labels; `p = 0` leaves them as they are. Errors if `p` is not in [0, 1].
    pub fn with_label_noise(mut self, p: f64, seed: u64) -> Result<Self> {
        if !(0.0..=1.0).contains(&p) {
            return Err(sam_params::Invalid::new(
                "label_noise",
                sam_params::show(p),
                "pass --label-noise in [0, 1], e.g. 0.2",
            )
            .into());
        }
        if p == 0.0 {
            return Ok(self);
        }
        let t = &self.train;
        let classes = crate::data::CLASSES as u8;
        if let Some(&y) = t.y().iter().find(|&&y| y >= classes) {
            return Err(MnistError::InvalidData(format!(
                "training label {y} is not a class 0..{classes}: label noise needs MNIST's labels"
            )));
        }
        let (noisy, flipped) = flip_labels(t.y(), p, classes, seed);
        let subset = |keep: &dyn Fn(usize) -> bool| -> Result<Samples> {
            let rows: Vec<usize> = (0..t.len()).filter(|&i| keep(i)).collect();
            let x: Vec<f32> = rows
                .iter()
                .flat_map(|&i| t.row(i).iter().copied())
                .collect();
            Samples::new(x, rows.iter().map(|&i| noisy[i]).collect(), t.dim())
        };
        let is_flipped = |i: usize| flipped.binary_search(&i).is_ok();
        let clean = subset(&|i| !is_flipped(i))?;
        let noisy_set = subset(&is_flipped)?;
        self.train = Samples::new(t.x().to_vec(), noisy, t.dim())?;
        self.noise = Some(LabelNoise {
            flipped,
            clean,
            noisy: noisy_set,
        });
        Ok(self)
    }
}

/// Mean loss and accuracy of `params` over `samples` with the fast f32 path (blocks combined in
/// a fixed order: identical for any `threads`).
///
/// ```
/// use sam_mnist::{model::{Params, Samples}, train::evaluate};
/// let p = Params::init(&[4, 3, 2], 0);
/// let s = Samples::new(vec![0.0, 1.0, 0.0, 0.5], vec![1], 4).unwrap();
/// let (loss, acc) = evaluate(&p, &s, 1);
/// assert!(loss > 0.0 && (acc == 0.0 || acc == 1.0));
/// ```
pub fn evaluate(params: &Params, samples: &Samples, threads: usize) -> (f64, f64) {
    crate::fast::evaluate(params, samples, threads)
}

fn thread_cpu_s() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid pointer to a timespec; CLOCK_THREAD_CPUTIME_ID is supported on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// The batch-order generator of a run with seed `seed` (its own stream, so that the order does
/// not depend on how the weights were drawn).
fn order_rng(seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(1);
    rng
}

/// The batch order a run of `cfg` uses when none is given: `out[e]` is epoch `e + 1`'s
/// permutation of the training indices, cut into consecutive batches (each epoch reshuffles the
/// previous one).
///
/// ```
/// use sam_mnist::train::{batch_orders, TrainConfig, Optimizer};
/// let cfg = TrainConfig::new(Optimizer::Sgd, 0.01, 2, 7, 2, 4, None).unwrap();
/// let o = batch_orders(&cfg);
/// assert_eq!(o.len(), 2);
/// let mut e1 = o[0].clone();
/// e1.sort();
/// assert_eq!(e1, vec![0, 1, 2, 3]);
/// ```
pub fn batch_orders(cfg: &TrainConfig) -> Vec<Vec<usize>> {
    let mut rng = order_rng(cfg.seed);
    let mut perm: Vec<usize> = (0..cfg.train_size).collect();
    (0..cfg.epochs)
        .map(|_| {
            perm.shuffle(&mut rng);
            perm.clone()
        })
        .collect()
}

/// The MLP on the protocol's minibatches as sam-optim's gradient oracle (f32): step t uses batch
/// `t % steps_per_epoch` of epoch `t / steps_per_epoch`, whose order is a fresh seeded
/// permutation of the training indices (ChaCha8, stream 1) or a given one (replay). It offers
/// the engine's fused SGD step and minibatch chunks (m-sharpness).
pub(crate) struct MlpOracle<'a> {
    eng: Engine,
    samples: &'a Samples,
    batch_size: usize,
    steps_per_epoch: usize,
    perm: Vec<usize>,
    rng: ChaCha8Rng,
    orders: Option<&'a [Vec<usize>]>,
    start: usize,
    focus: Option<Range<usize>>,
    // the fused step's gradient buffer (its weight parts are not written)
    scratch: Grad<f32>,
    low_rank_sam: bool,
}

impl<'a> MlpOracle<'a> {
    pub(crate) fn new(
        cfg: &TrainConfig,
        samples: &'a Samples,
        orders: Option<&'a [Vec<usize>]>,
    ) -> Self {
        let rng = order_rng(cfg.seed);
        MlpOracle {
            eng: Engine::new(&SIZES, cfg.batch_size),
            samples,
            batch_size: cfg.batch_size,
            steps_per_epoch: cfg.train_size / cfg.batch_size,
            perm: (0..cfg.train_size).collect(),
            rng,
            orders,
            start: 0,
            focus: None,
            scratch: Grad::default(),
            low_rank_sam: cfg.sam_path == SamPath::LowRank,
        }
    }
}

impl GradientOracle<f32> for MlpOracle<'_> {
    fn begin_step(&mut self, t: usize) {
        let (epoch, step) = (t / self.steps_per_epoch, t % self.steps_per_epoch);
        if step == 0 {
            match self.orders {
                Some(o) => self.perm.copy_from_slice(&o[epoch]),
                None => self.perm.shuffle(&mut self.rng),
            }
        }
        self.start = step * self.batch_size;
        self.focus = None;
    }
    fn gradient(&mut self, x: &[f32], out: &mut Grad<f32>) -> Option<f64> {
        let batch = &self.perm[self.start..self.start + self.batch_size];
        let rows = match &self.focus {
            Some(c) => &batch[c.clone()],
            None => batch,
        };
        Some(
            self.eng
                .loss_grad(Pass::Gradient(x), self.samples, rows, out) as f64,
        )
    }
    fn fused_sgd_step(&mut self, x: &mut [f32], lr: f32) -> Fused {
        let batch = &self.perm[self.start..self.start + self.batch_size];
        let rows = match &self.focus {
            Some(c) => &batch[c.clone()],
            None => batch,
        };
        let loss = self
            .eng
            .loss_grad(Pass::Sgd(x, lr), self.samples, rows, &mut self.scratch);
        Fused::Stepped {
            loss: Some(loss as f64),
        }
    }
    fn fused_sam_step(&mut self, x: &mut [f32], req: &SamRequest<'_, f32>) -> Option<SamPass> {
        if !self.low_rank_sam || self.focus.is_some() {
            return None;
        }
        let rows = &self.perm[self.start..self.start + self.batch_size];
        let chunk = req.chunk.unwrap_or(rows.len());
        Some(
            self.eng
                .sam_step(x, self.samples, rows, chunk, req.lr, req.multiple),
        )
    }
    fn batch_len(&self) -> usize {
        self.batch_size
    }
    fn focus(&mut self, chunk: Option<Range<usize>>) {
        self.focus = chunk;
    }
}

/// The run's optimizer in sam-optim's one stack (f32), from the validated config.
fn optimizer(cfg: &TrainConfig) -> Result<Box<dyn sam_optim::Optimizer<f32> + Send>> {
    let h = Hyper {
        lr: Schedule::constant(cfg.lr)?,
        adam: (cfg.beta1, cfg.beta2, cfg.adam_eps),
        sam_eps: cfg.sam_eps,
        m: cfg.m_sharpness,
    };
    Ok(sam_optim::build::<f32>(cfg.optimizer, &h, None)?)
}

/// Runs `cfg`'s steps on `params` through sam-optim's run loop, with denormals flushed, calling
/// `observe` after every step with (step, gradient evaluations so far, parameters). Divergence
/// is reported as [`MnistError::NonFinite`] with the epoch and step.
fn run_steps(
    cfg: &TrainConfig,
    sets: &SampleSets,
    params: &mut Params,
    orders: Option<&[Vec<usize>]>,
    steps: usize,
    mut observe: impl FnMut(usize, usize, &[f32]) -> Result<()>,
) -> Result<()> {
    let mut opt = optimizer(cfg)?;
    let mut oracle = MlpOracle::new(cfg, &sets.train, orders);
    let spe = cfg.train_size / cfg.batch_size;
    let mut failed: Option<MnistError> = None;
    let res = {
        let mut obs = Fallible(|r: &TraceRow<f32>| {
            observe(r.step, r.grad_evals as usize, r.x).map_err(|e| {
                failed = Some(e);
                OptimError::Stopped("stopped by the epoch evaluation".into())
            })
        });
        let run = RunConfig {
            max_steps: steps,
            check_iterate: false, // 545k coordinates: the minibatch loss is checked instead
        };
        let _ftz = kernels::FlushDenormals::new();
        run_in_place(
            &mut opt,
            params.flat_mut(),
            &mut oracle,
            &run,
            &mut [&mut obs],
        )
    };
    match res {
        Ok(_) => Ok(()),
        Err(OptimError::Stopped(_)) if failed.is_some() => Err(failed.expect("checked")),
        Err(OptimError::Diverged { step, what, value }) => Err(MnistError::NonFinite {
            epoch: (step - 1) / spe + 1,
            step: (step - 1) % spe,
            loss: value,
            what: if what == "the loss" {
                "minibatch loss"
            } else {
                "minibatch gradient"
            },
        }),
        Err(e) => Err(e.into()),
    }
}

/// Runs the protocol with evaluation single-threaded (see [`train_with`]).
///
/// ```
/// use sam_mnist::{data::Mnist, train::{train, TrainConfig, Optimizer}};
/// // 4 tiny synthetic images, 2 classes
/// let imgs: Vec<u8> = (0..4 * 784).map(|i| ((i * 7) % 256) as u8).collect();
/// let m = Mnist::from_parts(imgs.clone(), vec![0, 1, 0, 1], imgs, vec![0, 1, 0, 1]).unwrap();
/// let cfg = TrainConfig::new(Optimizer::Sam { rho: 0.05 }, 0.01, 2, 0, 2, 4, None).unwrap();
/// let out = train(&cfg, &m, |row| assert!(row.test_loss.is_finite())).unwrap();
/// assert_eq!(out.rows.len(), 3); // epoch 0 (initial weights), 1, 2
/// assert_eq!(out.rows[2].grad_evals, 8);
/// ```
pub fn train(
    cfg: &Checked<TrainConfig>,
    data: &Mnist,
    on_epoch: impl FnMut(&EpochRow),
) -> Result<TrainOutcome> {
    let sets = SampleSets::for_config(data, cfg)?;
    train_with(cfg, &sets, 1, on_epoch)
}

/// Runs the protocol on prebuilt sample sets, evaluating with `eval_threads` threads (results do
/// not depend on it). Calls `on_epoch` after every evaluation (epoch 0 first).
pub fn train_with(
    cfg: &Checked<TrainConfig>,
    sets: &SampleSets,
    eval_threads: usize,
    on_epoch: impl FnMut(&EpochRow),
) -> Result<TrainOutcome> {
    train_from(
        cfg,
        sets,
        Params::init(&SIZES, cfg.seed),
        None,
        eval_threads,
        on_epoch,
    )
}

/// [`train_with`]'s steps without its evaluation: `observe(epoch, grad_evals, params)` is called
/// at epoch 0 and after every epoch and measures what it needs (experiments that select on a
/// validation set need not evaluate the test set every epoch). Returns the final parameters,
/// bit-identical to [`train_with`]'s.
///
/// ```
/// use sam_mnist::{data::Mnist, train::*};
/// let imgs: Vec<u8> = (0..4 * 784).map(|i| (i % 200) as u8).collect();
/// let m = Mnist::from_parts(imgs.clone(), vec![0, 1, 2, 3], imgs, vec![0, 1, 2, 3]).unwrap();
/// let sets = SampleSets::new(&m, 4).unwrap();
/// let cfg = TrainConfig::new(Optimizer::Sgd, 0.01, 2, 0, 2, 4, None).unwrap();
/// let mut seen = Vec::new();
/// let p = train_observed(&cfg, &sets, |e, g, _| { seen.push((e, g)); Ok(()) }).unwrap();
/// assert_eq!(seen, vec![(0, 0), (1, 2), (2, 4)]);
/// assert_eq!(p, train_with(&cfg, &sets, 1, |_| {}).unwrap().params);
/// ```
pub fn train_observed(
    cfg: &Checked<TrainConfig>,
    sets: &SampleSets,
    mut observe: impl FnMut(usize, usize, &Params) -> Result<()>,
) -> Result<Params> {
    let mut params = Params::init(&SIZES, cfg.seed);
    check_run(cfg, sets, &params, None)?;
    train_loop(cfg, sets, &mut params, None, |mark, p| {
        observe(mark.epoch, mark.grad_evals, p)
    })?;
    Ok(params)
}

/// Like [`train_with`] but from given initial parameters and, optionally, a given batch order
/// (`orders[e]` is the permutation of the training indices for epoch `e + 1`, cut into
/// consecutive batches); used to replay another implementation's run step for step.
///
/// ```
/// use sam_mnist::{data::Mnist, model::{Params, SIZES}, train::*};
/// let imgs: Vec<u8> = (0..4 * 784).map(|i| (i % 200) as u8).collect();
/// let m = Mnist::from_parts(imgs.clone(), vec![0, 1, 2, 3], imgs, vec![0, 1, 2, 3]).unwrap();
/// let sets = SampleSets::new(&m, 4).unwrap();
/// let cfg = TrainConfig::new(Optimizer::Sgd, 0.01, 1, 0, 2, 4, None).unwrap();
/// let order = vec![vec![3, 2, 1, 0]];
/// let out = train_from(&cfg, &sets, Params::init(&SIZES, 9), Some(&order), 1, |_| {}).unwrap();
/// assert_eq!(out.rows.len(), 2);
/// ```
pub fn train_from(
    cfg: &Checked<TrainConfig>,
    sets: &SampleSets,
    init: Params,
    orders: Option<&[Vec<usize>]>,
    eval_threads: usize,
    mut on_epoch: impl FnMut(&EpochRow),
) -> Result<TrainOutcome> {
    check_run(cfg, sets, &init, orders)?;
    let mut params = init;
    let mut rows = Vec::new();
    train_loop(cfg, sets, &mut params, orders, |mark, p| {
        let row = mark.row(measure(p, sets, eval_threads), cfg)?;
        on_epoch(&row);
        rows.push(row);
        Ok(())
    })?;
    Ok(TrainOutcome {
        config: TrainConfig::clone(cfg),
        rows,
        params,
    })
}

/// Another implementation's run start, to replay it step for step with [`train_from`]: its
/// initial weights and its batch order (`orders[e]` for epoch `e + 1`).
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    /// The initial weights (the protocol's network).
    pub init: Params,
    /// One permutation of the training indices per epoch.
    pub orders: Vec<Vec<usize>>,
}

/// Reads a replay folder: `init.f32.gz` (the initial weights as little-endian f32 in samlab's
/// flat layout, gzip-compressed) and `perms.u32` (epochs × `train_size` little-endian u32
/// indices). The JAX reference's seed-0 start is committed in this format under
/// `crates/sam-mnist/tests/fixtures/jax_seed0` (its README says how it was exported). Errors
/// name the file and what is wrong with it.
///
/// ```
/// use sam_mnist::train::load_replay;
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jax_seed0");
/// let r = load_replay(&dir, 1000).unwrap();
/// assert_eq!((r.orders.len(), r.orders[0].len()), (3, 1000));
/// assert!(load_replay(&dir, 999).is_err()); // 3000 indices are not whole epochs of 999
/// ```
pub fn load_replay(dir: &std::path::Path, train_size: usize) -> Result<Replay> {
    use std::io::Read;
    let bad = |path: &std::path::Path, what: String| {
        MnistError::InvalidData(format!(
            "{}: {what}; re-export the replay (see the fixture's README.md)",
            path.display()
        ))
    };
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path)
            .map_err(|e| bad(&path, format!("cannot read it ({e})")))
            .map(|b| (path, b))
    };
    let (ipath, gz) = read("init.f32.gz")?;
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .take(4 * crate::model::n_params(&SIZES) as u64 + 1)
        .read_to_end(&mut raw)
        .map_err(|e| bad(&ipath, format!("not a gzip file ({e})")))?;
    if raw.len() != 4 * crate::model::n_params(&SIZES) {
        return Err(bad(
            &ipath,
            format!(
                "{} bytes after decompression, the protocol's network needs {} (f32 each)",
                raw.len(),
                4 * crate::model::n_params(&SIZES)
            ),
        ));
    }
    let init = Params::from_le_bytes(&SIZES, &raw)?;
    if let Some(i) = init.flat().iter().position(|w| !w.is_finite()) {
        return Err(bad(&ipath, format!("weight {i} is not finite")));
    }
    let (ppath, perms) = read("perms.u32")?;
    let idx: Vec<usize> = perms
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    if !perms.len().is_multiple_of(4)
        || train_size == 0
        || idx.is_empty()
        || !idx.len().is_multiple_of(train_size)
    {
        return Err(bad(
            &ppath,
            format!(
                "{} bytes are not whole epochs of {train_size} u32 indices",
                perms.len()
            ),
        ));
    }
    let orders: Vec<Vec<usize>> = idx.chunks(train_size).map(|c| c.to_vec()).collect();
    for (e, o) in orders.iter().enumerate() {
        if !is_permutation(o, train_size) {
            return Err(bad(
                &ppath,
                format!("epoch {} is not a permutation of 0..{train_size}", e + 1),
            ));
        }
    }
    Ok(Replay { init, orders })
}

/// Runs `cfg` from `init` (and the given batch order, else the seed's) without evaluating, and
/// calls `observe(step, parameters)` before the first step (step 0) and after every step; stops
/// at the first error, from a step (non-finite minibatch loss) or from `observe`. For studies
/// of the trajectory itself (e.g. two runs in lockstep).
///
/// ```
/// use sam_mnist::{data::Mnist, model::{Params, SIZES}, train::*};
/// let imgs: Vec<u8> = (0..4 * 784).map(|i| (i % 200) as u8).collect();
/// let m = Mnist::from_parts(imgs.clone(), vec![0, 1, 2, 3], imgs, vec![0, 1, 2, 3]).unwrap();
/// let sets = SampleSets::new(&m, 4).unwrap();
/// let cfg = TrainConfig::new(Optimizer::Adam, 1e-3, 1, 0, 2, 4, None).unwrap();
/// let mut seen = Vec::new();
/// let end = trajectory(&cfg, &sets, Params::init(&SIZES, 0), None, |t, _| { seen.push(t); Ok(()) }).unwrap();
/// assert_eq!(seen, vec![0, 1, 2]);
/// assert_eq!(end.flat(), train_with(&cfg, &sets, 1, |_| {}).unwrap().params.flat());
/// ```
pub fn trajectory(
    cfg: &Checked<TrainConfig>,
    sets: &SampleSets,
    init: Params,
    orders: Option<&[Vec<usize>]>,
    mut observe: impl FnMut(usize, &[f32]) -> Result<()>,
) -> Result<Params> {
    check_run(cfg, sets, &init, orders)?;
    let mut params = init;
    let steps = cfg.epochs * (cfg.train_size / cfg.batch_size);
    run_steps(cfg, sets, &mut params, orders, steps, |t, _, x| {
        observe(t, x)
    })?;
    Ok(params)
}

/// The training side of one epoch's row: what is known without evaluating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    pub epoch: usize,
    pub grad_evals: usize,
    pub wall_s: f64,
    pub cpu_s: f64,
}

/// One evaluation of a snapshot: train loss, train accuracy, test loss, test accuracy, the
/// validation loss and accuracy if there is a validation set, and with label noise the
/// accuracies on the clean and on the flipped training samples.
pub(crate) type Metrics = (f64, f64, f64, f64, Option<(f64, f64)>, Option<(f64, f64)>);

/// Evaluates `params` on every sample set.
pub(crate) fn measure(params: &Params, sets: &SampleSets, threads: usize) -> Metrics {
    let (train_loss, train_acc) = evaluate(params, &sets.train, threads);
    let (test_loss, test_acc) = evaluate(params, &sets.test, threads);
    let val = sets.val.as_ref().map(|v| evaluate(params, v, threads));
    // an empty subset (p = 1 leaves no clean sample) has no accuracy: 0 by convention
    let acc = |s: &Samples| {
        if s.is_empty() {
            0.0
        } else {
            evaluate(params, s, threads).1
        }
    };
    let noise = sets.noise.as_ref().map(|n| (acc(&n.clean), acc(&n.noisy)));
    (train_loss, train_acc, test_loss, test_acc, val, noise)
}

impl Mark {
    /// The epoch's row, or the error naming the epoch if an evaluated loss is not finite.
    pub(crate) fn row(&self, m: Metrics, cfg: &TrainConfig) -> Result<EpochRow> {
        let (train_loss, train_acc, test_loss, test_acc, val, noise) = m;
        for (l, what) in [
            (train_loss, "train evaluation"),
            (test_loss, "test evaluation"),
            (val.map_or(0.0, |v| v.0), "validation evaluation"),
        ] {
            if !l.is_finite() {
                return Err(MnistError::NonFinite {
                    epoch: self.epoch,
                    step: cfg.train_size / cfg.batch_size,
                    loss: l,
                    what,
                });
            }
        }
        Ok(EpochRow {
            epoch: self.epoch,
            grad_evals: self.grad_evals,
            train_loss,
            train_acc,
            test_loss,
            test_acc,
            gap: test_loss - train_loss,
            wall_s: self.wall_s,
            cpu_s: self.cpu_s,
            val_loss: val.map(|v| v.0),
            val_acc: val.map(|v| v.1),
            clean_train_acc: noise.map(|n| n.0),
            noisy_train_acc: noise.map(|n| n.1),
        })
    }
}

/// Whether `p` is a permutation of 0..n.
fn is_permutation(p: &[usize], n: usize) -> bool {
    let mut seen = vec![false; n];
    p.len() == n
        && p.iter()
            .all(|&i| i < n && !std::mem::replace(&mut seen[i], true))
}

/// Checks a run's inputs beyond its (already checked) hyperparameters: the sample set is large enough, the
/// initial parameters have the protocol's shape, a given batch order is a list of permutations.
pub(crate) fn check_run(
    cfg: &TrainConfig,
    sets: &SampleSets,
    init: &Params,
    orders: Option<&[Vec<usize>]>,
) -> Result<()> {
    if sets.train.len() < cfg.train_size {
        return Err(sam_params::Invalid::new(
            "train_size",
            cfg.train_size,
            format!("the sample set holds only {} samples", sets.train.len()),
        )
        .into());
    }
    if init.sizes() != SIZES {
        return Err(MnistError::Shape(format!(
            "initial parameters have widths {:?}, the protocol's network is {SIZES:?}",
            init.sizes()
        )));
    }
    if let Some(o) = orders {
        let ok = o.len() >= cfg.epochs && o.iter().all(|p| is_permutation(p, cfg.train_size));
        if !ok {
            return Err(MnistError::Shape(format!(
                "batch order: need {} permutations of 0..{}",
                cfg.epochs, cfg.train_size
            )));
        }
    }
    Ok(())
}

/// The training loop of one (checked) run: calls `snapshot` with the epoch's training-side
/// record and the parameters before training (epoch 0) and after every epoch, and stops at the
/// first error, from a step (non-finite minibatch loss) or from `snapshot`.
pub(crate) fn train_loop(
    cfg: &TrainConfig,
    sets: &SampleSets,
    params: &mut Params,
    orders: Option<&[Vec<usize>]>,
    mut snapshot: impl FnMut(Mark, &Params) -> Result<()>,
) -> Result<()> {
    let spe = cfg.train_size / cfg.batch_size;
    let mut mark = Mark {
        epoch: 0,
        grad_evals: 0,
        wall_s: 0.0,
        cpu_s: 0.0,
    };
    // training time only: the clocks restart after every snapshot
    let (mut t0, mut c0) = (Instant::now(), thread_cpu_s());
    run_steps(
        cfg,
        sets,
        params,
        orders,
        cfg.epochs * spe,
        |step, evals, x| {
            if step % spe != 0 {
                return Ok(());
            }
            if step > 0 {
                mark.epoch = step / spe;
                mark.grad_evals = evals;
                mark.wall_s += t0.elapsed().as_secs_f64();
                mark.cpu_s += thread_cpu_s() - c0;
            }
            snapshot(mark, &Params::from_flat(&SIZES, x.to_vec())?)?;
            (t0, c0) = (Instant::now(), thread_cpu_s());
            Ok(())
        },
    )
}

/// Runs independent configs on `threads` threads, results in input order. Each run is
/// bit-identical to running it alone with [`train_with`] (only the timing columns differ).
///
/// With more than one thread, the training loops and the per-epoch evaluations are scheduled
/// separately (see the `parallel` module): the longest runs start first, and a thread that has
/// no training to do evaluates the snapshots other runs leave behind, so both cores stay busy
/// to the end.
///
/// ```
/// use sam_mnist::{data::Mnist, train::{run_many, TrainConfig, Optimizer}};
/// let imgs: Vec<u8> = (0..4 * 784).map(|i| (i % 200) as u8).collect();
/// let m = Mnist::from_parts(imgs.clone(), vec![0, 1, 2, 3], imgs, vec![0, 1, 2, 3]).unwrap();
/// let cfgs: Vec<_> = (0..3).map(|s| TrainConfig::new(Optimizer::Sgd, 0.01, 1, s, 2, 4, None).unwrap()).collect();
/// let out = run_many(&cfgs, &m, 2);
/// assert_eq!(out[2].as_ref().unwrap().config.seed, 2);
/// ```
pub fn run_many(
    configs: &[Checked<TrainConfig>],
    data: &Mnist,
    threads: usize,
) -> Vec<Result<TrainOutcome>> {
    run_many_with(configs, data, threads, &|_| {})
}

/// [`run_many`] with `on_run(i)` called (from a worker thread) as soon as run `i` is complete,
/// for progress bars.
///
/// ```
/// use sam_mnist::{data::Mnist, train::{run_many_with, TrainConfig, Optimizer}};
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// let imgs: Vec<u8> = (0..4 * 784).map(|i| (i % 200) as u8).collect();
/// let m = Mnist::from_parts(imgs.clone(), vec![0, 1, 2, 3], imgs, vec![0, 1, 2, 3]).unwrap();
/// let cfgs: Vec<_> = (0..3).map(|s| TrainConfig::new(Optimizer::Sgd, 0.01, 1, s, 2, 4, None).unwrap()).collect();
/// let done = AtomicUsize::new(0);
/// let out = run_many_with(&cfgs, &m, 2, &|_| { done.fetch_add(1, Ordering::Relaxed); });
/// assert_eq!(done.into_inner(), 3);
/// assert!(out.iter().all(|o| o.is_ok()));
/// ```
pub fn run_many_with(
    configs: &[Checked<TrainConfig>],
    data: &Mnist,
    threads: usize,
    on_run: &(dyn Fn(usize) + Sync),
) -> Vec<Result<TrainOutcome>> {
    // one sample-set build per distinct (train_size, val_size, label noise)
    type Key = (usize, usize, u64, u64);
    let mut sets: Vec<(Key, Result<SampleSets>)> = Vec::new();
    let key = |c: &TrainConfig| {
        (
            c.train_size,
            c.val_size,
            c.label_noise.to_bits(),
            c.noise_seed,
        )
    };
    for c in configs {
        if !sets.iter().any(|(n, _)| *n == key(c)) {
            let capped = TrainConfig {
                train_size: c.train_size.min(60000),
                ..TrainConfig::clone(c)
            };
            sets.push((key(c), SampleSets::for_config(data, &capped)));
        }
    }
    // the sample sets of `c`, or the error `train` would give for it
    let find = |c: &Checked<TrainConfig>| -> Result<usize> {
        let k = sets.iter().position(|(n, _)| *n == key(c)).unwrap();
        match &sets[k].1 {
            Ok(_) => Ok(k),
            Err(_) => Err(SampleSets::for_config(data, c).err().unwrap_or_else(|| {
                MnistError::Shape("internal: sample sets failed once".to_string())
            })),
        }
    };
    let set = |k: usize| sets[k].1.as_ref().expect("checked by find");
    if threads <= 1 {
        return configs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let out = find(c).and_then(|k| train_with(c, set(k), 1, |_| {}));
                on_run(i);
                out
            })
            .collect();
    }
    let mut out: Vec<Option<Result<TrainOutcome>>> = Vec::with_capacity(configs.len());
    let (mut idx, mut cfgs, mut with) = (Vec::new(), Vec::new(), Vec::new());
    for (i, c) in configs.iter().enumerate() {
        match find(c) {
            Ok(k) => {
                out.push(None);
                idx.push(i);
                cfgs.push(TrainConfig::clone(c));
                with.push(set(k));
            }
            Err(e) => {
                on_run(i);
                out.push(Some(Err(e)));
            }
        }
    }
    let ran = crate::parallel::run(&cfgs, &with, threads, &|k| on_run(idx[k]));
    for (i, r) in idx.into_iter().zip(ran) {
        out[i] = Some(r);
    }
    out.into_iter()
        .map(|o| o.expect("every run has a result"))
        .collect()
}

/// Mean loss and gradient (flat, f32) of the minibatch `rows` of `samples` with the fast path
/// used in training (sparse first layer, hand-written backprop): a one-off
/// [`BatchGradient`].
///
/// ```
/// use sam_mnist::{model::{Params, Samples}, train::batch_loss_grad};
/// let p = Params::init(&[3, 4, 2], 0);
/// let s = Samples::new(vec![1.0, 0.0, 0.5, 0.0, 0.0, 0.0], vec![1, 0], 3).unwrap();
/// let (loss, g) = batch_loss_grad(&p, &s, &[0, 1]);
/// assert!(loss > 0.0 && g.len() == p.flat().len());
/// ```
pub fn batch_loss_grad(params: &Params, samples: &Samples, rows: &[usize]) -> (f32, Vec<f32>) {
    let mut b = BatchGradient::new(params.sizes(), rows.len().max(1));
    match b.loss_grad(params.flat(), samples, rows) {
        Ok((loss, g)) => (loss, g.to_vec()),
        Err(_) => (f32::NAN, vec![f32::NAN; params.flat().len()]),
    }
}

/// The training engine's mean loss and gradient over any rows of a sample set, with its
/// buffers kept between calls: for oracles that evaluate many small batches (the κ ascents of
/// the m-sharpness study), where a fresh engine and gradient per call would cost more than
/// the pass itself. Same numbers as [`batch_loss_grad`] bit for bit.
///
/// ```
/// use sam_mnist::{model::{Params, Samples}, train::{batch_loss_grad, BatchGradient}};
/// let p = Params::init(&[3, 4, 2], 0);
/// let s = Samples::new(vec![1.0, 0.0, 0.5, 0.0, 0.0, 0.0], vec![1, 0], 3).unwrap();
/// let mut b = BatchGradient::new(p.sizes(), 2);
/// let (loss, g) = b.loss_grad(p.flat(), &s, &[0, 1]).unwrap();
/// assert_eq!((loss, g.to_vec()), batch_loss_grad(&p, &s, &[0, 1]));
/// assert!(b.loss_grad(p.flat(), &s, &[0, 1, 0]).is_err()); // more rows than its capacity
/// ```
pub struct BatchGradient {
    eng: Engine,
    grad: Grad<f32>,
    sizes: Vec<usize>,
    cap: usize,
}

impl BatchGradient {
    /// An oracle for the layer sizes `sizes` and batches of at most `max_rows` rows.
    pub fn new(sizes: &[usize], max_rows: usize) -> Self {
        Self {
            eng: Engine::new(sizes, max_rows.max(1)),
            grad: Grad::default(),
            sizes: sizes.to_vec(),
            cap: max_rows.max(1),
        }
    }

    /// The layer sizes it was made for.
    ///
    /// ```
    /// let b = sam_mnist::train::BatchGradient::new(&[3, 4, 2], 2);
    /// assert_eq!(b.sizes(), &[3, 4, 2]);
    /// ```
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Where the gradient over `rows` can be nonzero: the first layer's weight rows of the pixels
    /// nonzero in some row (a zero input adds nothing to its row), then everything from the
    /// first bias on; as ranges of the flat parameters, ascending.
    ///
    /// ```
    /// use sam_mnist::{model::Samples, train::BatchGradient};
    /// let s = Samples::new(vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.5], vec![1, 0], 3).unwrap();
    /// let b = BatchGradient::new(&[3, 4, 2], 2);
    /// // pixel 1 (row 0) and pixel 2 (row 1): weight rows 4..8 and 8..12, then biases on
    /// assert_eq!(b.support(&s, &[0, 1]), vec![4..8, 8..12, 12..26]);
    /// ```
    pub fn support(&self, samples: &Samples, rows: &[usize]) -> Vec<Range<usize>> {
        let (n0, n1) = (self.sizes[0], self.sizes.get(1).copied().unwrap_or(0));
        let mut on = vec![false; n0];
        for &r in rows.iter().filter(|&&r| r < samples.len()) {
            for (o, &v) in on.iter_mut().zip(samples.row(r)) {
                *o |= v != 0.0;
            }
        }
        let b0 = n0 * n1;
        let mut out: Vec<Range<usize>> = (0..n0)
            .filter(|&k| on[k])
            .map(|k| k * n1..(k + 1) * n1)
            .collect();
        out.push(b0..crate::model::n_params(&self.sizes));
        out
    }

    /// Mean loss over `rows` of `samples` at the flat parameters `params`, and its gradient.
    /// Errors (never panics) on an empty batch, more rows than the capacity, a row out of
    /// range, or parameters or samples of the wrong shape.
    pub fn loss_grad(
        &mut self,
        params: &[f32],
        samples: &Samples,
        rows: &[usize],
    ) -> Result<(f32, &[f32])> {
        let np = crate::model::n_params(&self.sizes);
        let bad = |what: String| Err(MnistError::InvalidData(what));
        if rows.is_empty() || rows.len() > self.cap {
            return bad(format!(
                "a batch of {} rows: this oracle takes 1 to {} rows",
                rows.len(),
                self.cap
            ));
        }
        if let Some(&r) = rows.iter().find(|&&r| r >= samples.len()) {
            return bad(format!("row {r} of a sample set of {}", samples.len()));
        }
        if params.len() != np || samples.dim() != self.sizes[0] {
            return bad(format!(
                "{} parameters on {}-pixel samples for layer sizes {:?} ({np} parameters)",
                params.len(),
                samples.dim(),
                self.sizes
            ));
        }
        let _ftz = kernels::FlushDenormals::new();
        let loss = self
            .eng
            .loss_grad(Pass::Gradient(params), samples, rows, &mut self.grad);
        Ok((loss, self.grad.values()))
    }
}

/// The hidden units' on/off pattern (activation > 0), layer by layer and row-major within a
/// layer, of the training engine's forward pass on the minibatch `rows` at `params`: bit for bit
/// what a gradient pass on that batch sees (a unit within rounding of its kink may be on here
/// and off in an f64 evaluation).
///
/// ```
/// use sam_mnist::{model::{Params, Samples}, train::relu_pattern};
/// let p = Params::init(&[3, 4, 2], 0);
/// let s = Samples::new(vec![1.0, 0.0, 0.5, 0.0, 0.0, 0.0], vec![1, 0], 3).unwrap();
/// assert_eq!(relu_pattern(&p, &s, &[0, 1]).len(), 2 * 4);
/// ```
pub fn relu_pattern(params: &Params, samples: &Samples, rows: &[usize]) -> Vec<bool> {
    let _ftz = kernels::FlushDenormals::new();
    Engine::new(params.sizes(), rows.len()).relu_pattern(params.flat(), samples, rows)
}

/// Timing of training steps alone (no evaluation), in blocks of `steps_per_block` steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepTiming {
    /// Steps per block.
    pub steps_per_block: usize,
    /// Wall-clock microseconds per step, one entry per block.
    pub wall_us: Vec<f64>,
    /// Thread CPU microseconds per step, one entry per block.
    pub cpu_us: Vec<f64>,
}

/// Runs `blocks` blocks of `steps_per_block` training steps of `cfg` (from its seed's initial
/// weights and batch order) without evaluation and times each block (for benchmarks; compare
/// the reference's `--no-eval`).
///
/// ```
/// use sam_mnist::{data::Mnist, train::*};
/// let imgs: Vec<u8> = (0..4 * 784).map(|i| (i % 200) as u8).collect();
/// let m = Mnist::from_parts(imgs.clone(), vec![0, 1, 2, 3], imgs, vec![0, 1, 2, 3]).unwrap();
/// let sets = SampleSets::new(&m, 4).unwrap();
/// let cfg = TrainConfig::new(Optimizer::Adam, 1e-3, 1, 0, 2, 4, None).unwrap();
/// let t = time_steps(&cfg, &sets, 3, 5).unwrap();
/// assert_eq!((t.wall_us.len(), t.steps_per_block), (3, 5));
/// ```
pub fn time_steps(
    cfg: &Checked<TrainConfig>,
    sets: &SampleSets,
    blocks: usize,
    steps_per_block: usize,
) -> Result<StepTiming> {
    let mut params = Params::init(&SIZES, cfg.seed);
    let mut out = StepTiming {
        steps_per_block,
        wall_us: Vec::new(),
        cpu_us: Vec::new(),
    };
    let n = steps_per_block.max(1);
    let (mut t0, mut c0) = (Instant::now(), thread_cpu_s());
    run_steps(cfg, sets, &mut params, None, blocks * n, |step, _, _| {
        if step > 0 && step % n == 0 {
            out.wall_us
                .push(t0.elapsed().as_secs_f64() * 1e6 / n as f64);
            out.cpu_us.push((thread_cpu_s() - c0) * 1e6 / n as f64);
            (t0, c0) = (Instant::now(), thread_cpu_s());
        }
        Ok(())
    })?;
    Ok(out)
}

/// Times the bare gradient pass of training (forward and backward on a minibatch of
/// `batch_size` consecutive training samples, no update), in blocks of `steps_per_block`
/// passes: the unit a SAM step spends twice and an SGD step once, fused with its update.
///
/// ```
/// use sam_mnist::{data::Mnist, train::*};
/// let imgs: Vec<u8> = (0..4 * 784).map(|i| (i % 200) as u8).collect();
/// let m = Mnist::from_parts(imgs.clone(), vec![0, 1, 2, 3], imgs, vec![0, 1, 2, 3]).unwrap();
/// let sets = SampleSets::new(&m, 4).unwrap();
/// let t = time_gradient_passes(&sets, 2, 3, 5).unwrap();
/// assert_eq!(t.wall_us.len(), 3);
/// ```
pub fn time_gradient_passes(
    sets: &SampleSets,
    batch_size: usize,
    blocks: usize,
    steps_per_block: usize,
) -> Result<StepTiming> {
    let n = sets.train.len();
    if batch_size == 0 || batch_size > n {
        return Err(sam_params::Invalid::new(
            "batch_size",
            batch_size,
            format!("between 1 and the {n} training samples"),
        )
        .into());
    }
    let params = Params::init(&SIZES, 0);
    let _ftz = kernels::FlushDenormals::new();
    let mut eng = Engine::new(&SIZES, batch_size);
    let mut g = Grad::default();
    let spb = steps_per_block.max(1);
    let mut out = StepTiming {
        steps_per_block: spb,
        wall_us: Vec::new(),
        cpu_us: Vec::new(),
    };
    let mut start = 0;
    for _ in 0..blocks {
        let (t0, c0) = (Instant::now(), thread_cpu_s());
        for _ in 0..spb {
            let rows: Vec<usize> = (start..start + batch_size).map(|i| i % n).collect();
            std::hint::black_box(eng.loss_grad(
                Pass::Gradient(params.flat()),
                &sets.train,
                &rows,
                &mut g,
            ));
            start = (start + batch_size) % n;
        }
        out.wall_us
            .push(t0.elapsed().as_secs_f64() * 1e6 / spb as f64);
        out.cpu_us.push((thread_cpu_s() - c0) * 1e6 / spb as f64);
    }
    Ok(out)
}

/// The most epochs a run accepts (the paper's runs take 75-150), so that a run ends in bounded
/// time and its rows fit in memory.
pub const MAX_EPOCHS: usize = 100_000;

impl ParamGuard for TrainConfig {
    fn check_ref(&self) -> std::result::Result<(), sam_params::Invalid> {
        let bad = |name: &str, value: String, expected: &str| {
            Err(sam_params::Invalid::new(name, value, expected))
        };
        if !(self.lr.is_finite() && self.lr > 0.0 && (self.lr as f32) > 0.0) {
            return bad(
                "lr",
                sam_params::show(self.lr),
                "pass a finite learning rate > 0 that does not round to 0 in f32, e.g. --lr 0.01",
            );
        }
        if let Some(rho) = self.optimizer.rho() {
            if !(rho.is_finite() && rho >= 0.0) {
                return bad(
                    "rho",
                    sam_params::show(rho),
                    "pass a finite rho >= 0, e.g. --rho 0.2",
                );
            }
        }
        if let Optimizer::Asam { eta, .. } = self.optimizer {
            if !(eta.is_finite() && eta >= 0.0) {
                return bad(
                    "asam_eta",
                    sam_params::show(eta),
                    "pass a finite ASAM eta >= 0 (default 0.01)",
                );
            }
        }
        // checked as the f32 values the kernels use (0.99999999 rounds to 1.0f32)
        for (name, v, flag) in [
            ("beta1", self.beta1, "--beta1"),
            ("beta2", self.beta2, "--beta2"),
        ] {
            if !(0.0..1.0).contains(&(v as f32)) {
                return bad(
                    name,
                    sam_params::show(v),
                    &format!("pass {flag} in [0, 1) (default: 0.9 and 0.999)"),
                );
            }
        }
        for (name, v, flag, default) in [
            ("adam_eps", self.adam_eps, "--adam-eps", "1e-8"),
            ("sam_eps", self.sam_eps, "--sam-eps", "1e-12"),
        ] {
            if !((v as f32).is_finite() && v as f32 > 0.0) {
                return bad(
                    name,
                    sam_params::show(v),
                    &format!("pass a finite {flag} > 0 that does not round to 0 in f32 (default: {default})"),
                );
            }
        }
        if !(0.0..=1.0).contains(&self.label_noise) {
            return bad(
                "label_noise",
                sam_params::show(self.label_noise),
                "pass --label-noise in [0, 1] (a fraction of the training labels), e.g. 0.2",
            );
        }
        if self.epochs == 0 || self.epochs > MAX_EPOCHS {
            return bad(
                "epochs",
                self.epochs.to_string(),
                &format!("pass --epochs between 1 and {MAX_EPOCHS} (paper: 150, SAM 75)"),
            );
        }
        if self.train_size == 0 || self.train_size > 60000 {
            return bad(
                "train_size",
                self.train_size.to_string(),
                "pass --train-size between 1 and 60000 (paper: 1000)",
            );
        }
        if self.train_size + self.val_size > 60000 {
            return bad(
                "val_size",
                self.val_size.to_string(),
                &format!(
                    "pass --val-size of at most 60000 - train_size = {} (e.g. 5000: images 1000-5999)",
                    60000usize.saturating_sub(self.train_size)
                ),
            );
        }
        if self.batch_size == 0 || self.batch_size > self.train_size {
            return bad(
                "batch_size",
                self.batch_size.to_string(),
                &format!(
                    "pass --batch-size between 1 and train_size = {} (paper: 10)",
                    self.train_size
                ),
            );
        }
        if let Some(m) = self.m_sharpness {
            if m == 0 || m > self.batch_size {
                return bad(
                    "m_sharpness",
                    m.to_string(),
                    &format!(
                        "pass m between 1 and batch_size = {}, or none",
                        self.batch_size
                    ),
                );
            }
            if !self.optimizer.is_sam_family() {
                return bad(
                    "m_sharpness",
                    m.to_string(),
                    "m-sharpness applies to the SAM family only: pass none",
                );
            }
        }
        Ok(())
    }
}
