//! The review's MNIST training protocol (section 2.3.2): SGD, Adam or SAM on the first
//! `train_size` training images, batch 10, a fresh seeded permutation every epoch, evaluation of
//! loss and accuracy on all `train_size` training and all test images after every epoch.
//!
//! | setting | default | range |
//! |---|---|---|
//! | optimizer | SGD / Adam / SAM (base SGD) | |
//! | lr | SGD 0.01, Adam 3e-4, SAM 0.01 | finite, > 0 |
//! | rho (SAM) | 0.2 | finite, >= 0 |
//! | epochs | SGD/Adam 150, SAM 75 (15000 gradient evaluations) | >= 1 |
//! | batch_size | 10 | 1..=train_size |
//! | train_size | 1000 | 1..=60000 (and <= the images available) |
//! | m_sharpness | None (one perturbation per batch) | 1..=batch_size |
//!
//! One run is single-threaded and deterministic: the same config gives bit-identical rows
//! (except the timings) whatever else runs; [`run_many`] runs independent configs in parallel.

use crate::data::{Mnist, PIXELS};
use crate::error::{MnistError, Result};
use crate::fast::Engine;
use crate::kernels;
use crate::model::{Params, Samples, SIZES};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Adam's first-moment decay.
pub const BETA1: f64 = 0.9;
/// Adam's second-moment decay.
pub const BETA2: f64 = 0.999;
/// Adam's epsilon.
pub const ADAM_EPS: f64 = 1e-8;
/// SAM's epsilon in `e = rho g / (|g| + eps)`.
pub const SAM_EPS: f64 = 1e-12;

/// The optimizer of a run.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Optimizer {
    /// Plain SGD: `w <- w - lr g`.
    Sgd,
    /// Adam (betas 0.9/0.999, eps 1e-8, bias-corrected, PyTorch form).
    Adam,
    /// SAM with base SGD (review Eq. 3): `e = rho g/(|g|+1e-12)`, `w <- w - lr g(w + e)`.
    Sam {
        /// Radius of the perturbation.
        rho: f64,
    },
}

impl Optimizer {
    /// Short name: `sgd`, `adam` or `sam`.
    ///
    /// ```
    /// assert_eq!(sam_mnist::train::Optimizer::Sam { rho: 0.1 }.name(), "sam");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd => "sgd",
            Optimizer::Adam => "adam",
            Optimizer::Sam { .. } => "sam",
        }
    }
    /// Gradient evaluations per step (SAM: 2).
    pub fn grads_per_step(&self) -> usize {
        match self {
            Optimizer::Sam { .. } => 2,
            _ => 1,
        }
    }
}

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
            Optimizer::Sam { .. } => (0.01, 75),
        };
        TrainConfig {
            optimizer,
            lr,
            epochs,
            seed,
            batch_size: 10,
            train_size: 1000,
            m_sharpness: None,
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
    ) -> Result<Self> {
        let c = TrainConfig {
            optimizer,
            lr,
            epochs,
            seed,
            batch_size,
            train_size,
            m_sharpness,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks every setting; the error names the value and what to pass.
    pub fn validate(&self) -> Result<()> {
        let bad = |name, value: String, expected: &str| {
            Err(MnistError::InvalidConfig {
                name,
                value,
                expected: expected.to_string(),
            })
        };
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(
                "lr",
                self.lr.to_string(),
                "pass a finite learning rate > 0, e.g. --lr 0.01",
            );
        }
        if let Optimizer::Sam { rho } = self.optimizer {
            if !(rho.is_finite() && rho >= 0.0) {
                return bad(
                    "rho",
                    rho.to_string(),
                    "pass a finite rho >= 0, e.g. --rho 0.2",
                );
            }
        }
        if self.epochs == 0 {
            return bad(
                "epochs",
                "0".into(),
                "pass --epochs >= 1 (paper: 150, SAM 75)",
            );
        }
        if self.train_size == 0 || self.train_size > 60000 {
            return bad(
                "train_size",
                self.train_size.to_string(),
                "pass --train-size between 1 and 60000 (paper: 1000)",
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
            if !matches!(self.optimizer, Optimizer::Sam { .. }) {
                return bad(
                    "m_sharpness",
                    m.to_string(),
                    "m-sharpness applies to SAM only: pass none",
                );
            }
        }
        Ok(())
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
        if train_size > data.n_train() {
            return Err(MnistError::InvalidConfig {
                name: "train_size",
                value: train_size.to_string(),
                expected: format!("the data hold only {} training images", data.n_train()),
            });
        }
        Ok(SampleSets {
            train: Samples::from_bytes(
                &data.train_images[..train_size * PIXELS],
                &data.train_labels[..train_size],
                PIXELS,
            )?,
            test: Samples::from_bytes(&data.test_images, &data.test_labels, PIXELS)?,
        })
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

/// Optimizer state and one-step logic over the flat f32 parameters.
struct Stepper {
    opt: Optimizer,
    lr: f32,
    m_sharp: Option<usize>,
    eng: Engine,
    // Adam moments and step count
    m: Vec<f32>,
    v: Vec<f32>,
    t: i32,
    // SAM: saved parameters of the touched segments; m-sharpness: gradient accumulator
    saved: Vec<f32>,
    acc: Vec<f32>,
}

impl Stepper {
    fn new(cfg: &TrainConfig, sizes: &[usize]) -> Self {
        let np = crate::model::n_params(sizes);
        let adam = matches!(cfg.optimizer, Optimizer::Adam);
        let msh = cfg.m_sharpness.filter(|&m| m < cfg.batch_size);
        Stepper {
            opt: cfg.optimizer,
            lr: cfg.lr as f32,
            m_sharp: msh,
            eng: Engine::new(sizes, cfg.batch_size, true),
            m: vec![0.0; if adam { np } else { 0 }],
            v: vec![0.0; if adam { np } else { 0 }],
            t: 0,
            saved: Vec::with_capacity(np),
            acc: vec![0.0; if msh.is_some() { np } else { 0 }],
        }
    }

    /// One step on the batch `rows`; returns the loss at the current point.
    fn step(&mut self, p: &mut [f32], s: &Samples, rows: &[usize]) -> f32 {
        match self.opt {
            Optimizer::Sgd => self.eng.loss_grad(p, s, rows, Some(self.lr)),
            Optimizer::Adam => {
                let loss = self.eng.loss_grad(p, s, rows, None);
                self.t += 1;
                adam_update(
                    self.eng.simd,
                    p,
                    &self.eng.grad,
                    &mut self.m,
                    &mut self.v,
                    self.lr,
                    self.t,
                );
                loss
            }
            Optimizer::Sam { rho } => match self.m_sharp {
                None => {
                    let loss = self.sam_ascent(p, s, rows, rho as f32);
                    // w <- w_saved - lr g(w + e)
                    let mut off = 0;
                    for r in self.eng.segments() {
                        let len = r.len();
                        let (ps, gs) = (&mut p[r.clone()], &self.eng.grad[r]);
                        kernels::sgd_from(
                            self.eng.simd,
                            ps,
                            &self.saved[off..off + len],
                            gs,
                            self.lr,
                        );
                        off += len;
                    }
                    loss
                }
                Some(m) => {
                    self.acc.fill(0.0);
                    let mut loss = 0.0;
                    let b = rows.len() as f32;
                    for chunk in rows.chunks(m) {
                        let w = chunk.len() as f32 / b;
                        loss += w * self.sam_ascent(p, s, chunk, rho as f32);
                        let mut off = 0;
                        for r in self.eng.segments() {
                            let len = r.len();
                            p[r.clone()].copy_from_slice(&self.saved[off..off + len]);
                            for (a, &gv) in self.acc[r.clone()].iter_mut().zip(&self.eng.grad[r]) {
                                *a += w * gv;
                            }
                            off += len;
                        }
                    }
                    for (pv, &a) in p.iter_mut().zip(&self.acc) {
                        *pv -= self.lr * a;
                    }
                    loss
                }
            },
        }
    }

    /// SAM's first phase: gradient at `p`, climb to `p + rho g/(|g| + eps)` (saving the touched
    /// values), gradient there (left in `eng.grad`). Returns the loss at `p`.
    fn sam_ascent(&mut self, p: &mut [f32], s: &Samples, rows: &[usize], rho: f32) -> f32 {
        let loss = self.eng.loss_grad(p, s, rows, None);
        let g = &self.eng.grad;
        let ss: f64 = self.eng.segments().map(|r| kernels::sumsq(&g[r])).sum();
        let scale = rho / ((ss.sqrt() as f32) + SAM_EPS as f32);
        let total: usize = self.eng.segments().map(|r| r.len()).sum();
        self.saved.resize(total, 0.0);
        let mut off = 0;
        for r in self.eng.segments() {
            let len = r.len();
            let sv = &mut self.saved[off..off + len];
            kernels::climb(self.eng.simd, &mut p[r.clone()], &g[r], scale, sv);
            off += len;
        }
        self.eng.loss_grad(p, s, rows, None);
        loss
    }
}

#[allow(clippy::too_many_arguments)]
fn adam_update(
    simd: bool,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    lr: f32,
    t: i32,
) {
    let (b1, b2) = (BETA1 as f32, BETA2 as f32);
    let (c1, c2) = ((1.0 - BETA1) as f32, (1.0 - BETA2) as f32);
    let bc1 = 1.0 - b1.powf(t as f32);
    let bc2 = 1.0 - b2.powf(t as f32);
    let step = lr / bc1;
    let sbc2 = bc2.sqrt();
    let eps = ADAM_EPS as f32;
    kernels::adam(simd, p, g, m, v, [b1, c1, b2, c2, step, sbc2, eps]);
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
    cfg: &TrainConfig,
    data: &Mnist,
    on_epoch: impl FnMut(&EpochRow),
) -> Result<TrainOutcome> {
    cfg.validate()?;
    let sets = SampleSets::new(data, cfg.train_size)?;
    train_with(cfg, &sets, 1, on_epoch)
}

/// Runs the protocol on prebuilt sample sets, evaluating with `eval_threads` threads (results do
/// not depend on it). Calls `on_epoch` after every evaluation (epoch 0 first).
pub fn train_with(
    cfg: &TrainConfig,
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
    cfg: &TrainConfig,
    sets: &SampleSets,
    init: Params,
    orders: Option<&[Vec<usize>]>,
    eval_threads: usize,
    mut on_epoch: impl FnMut(&EpochRow),
) -> Result<TrainOutcome> {
    cfg.validate()?;
    if sets.train.len() < cfg.train_size {
        return Err(MnistError::InvalidConfig {
            name: "train_size",
            value: cfg.train_size.to_string(),
            expected: format!("the sample set holds only {} samples", sets.train.len()),
        });
    }
    if init.sizes() != SIZES {
        return Err(MnistError::Shape(format!(
            "initial parameters have widths {:?}, the protocol's network is {SIZES:?}",
            init.sizes()
        )));
    }
    if let Some(o) = orders {
        let ok = o.len() >= cfg.epochs
            && o.iter().all(|p| {
                let mut seen = vec![false; cfg.train_size];
                p.len() == cfg.train_size
                    && p.iter()
                        .all(|&i| i < cfg.train_size && !std::mem::replace(&mut seen[i], true))
            });
        if !ok {
            return Err(MnistError::Shape(format!(
                "batch order: need {} permutations of 0..{}",
                cfg.epochs, cfg.train_size
            )));
        }
    }
    let mut params = init;
    let mut order_rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    order_rng.set_stream(1);
    let mut stepper = Stepper::new(cfg, &SIZES);
    let steps = cfg.train_size / cfg.batch_size;
    let mut rows = Vec::with_capacity(cfg.epochs + 1);
    let (mut wall, mut cpu, mut grad_evals) = (0.0, 0.0, 0);
    let mut perm: Vec<usize> = (0..cfg.train_size).collect();
    let eval = |params: &Params, epoch, grad_evals, wall, cpu| -> Result<EpochRow> {
        let (train_loss, train_acc) = evaluate(params, &sets.train, eval_threads);
        let (test_loss, test_acc) = evaluate(params, &sets.test, eval_threads);
        for (l, what) in [
            (train_loss, "train evaluation"),
            (test_loss, "test evaluation"),
        ] {
            if !l.is_finite() {
                return Err(MnistError::NonFinite {
                    epoch,
                    step: steps,
                    loss: l,
                    what,
                });
            }
        }
        Ok(EpochRow {
            epoch,
            grad_evals,
            train_loss,
            train_acc,
            test_loss,
            test_acc,
            gap: test_loss - train_loss,
            wall_s: wall,
            cpu_s: cpu,
        })
    };
    let r0 = eval(&params, 0, 0, 0.0, 0.0)?;
    on_epoch(&r0);
    rows.push(r0);
    let train_set = &sets.train;
    for epoch in 1..=cfg.epochs {
        let (t0, c0) = (Instant::now(), thread_cpu_s());
        match orders {
            Some(o) => perm.copy_from_slice(&o[epoch - 1]),
            None => perm.shuffle(&mut order_rng),
        }
        for (step, batch) in perm.chunks_exact(cfg.batch_size).take(steps).enumerate() {
            let loss = stepper.step(params.flat_mut(), train_set, batch);
            if !loss.is_finite() {
                return Err(MnistError::NonFinite {
                    epoch,
                    step,
                    loss: loss as f64,
                    what: "minibatch loss",
                });
            }
            grad_evals += cfg.optimizer.grads_per_step();
        }
        wall += t0.elapsed().as_secs_f64();
        cpu += thread_cpu_s() - c0;
        let row = eval(&params, epoch, grad_evals, wall, cpu)?;
        on_epoch(&row);
        rows.push(row);
    }
    Ok(TrainOutcome {
        config: cfg.clone(),
        rows,
        params,
    })
}

/// Runs independent configs on `threads` threads (one run per thread at a time), results in
/// input order. Each run is bit-identical to running it alone.
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
    configs: &[TrainConfig],
    data: &Mnist,
    threads: usize,
) -> Vec<Result<TrainOutcome>> {
    use rayon::prelude::*;
    // one sample-set build per distinct train_size
    let mut sets: Vec<(usize, Result<SampleSets>)> = Vec::new();
    for c in configs {
        if !sets.iter().any(|(n, _)| *n == c.train_size) {
            sets.push((c.train_size, SampleSets::new(data, c.train_size.min(60000))));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .expect("thread pool");
    pool.install(|| {
        configs
            .par_iter()
            .with_max_len(1)
            .map(|c| {
                c.validate()?;
                match &sets.iter().find(|(n, _)| *n == c.train_size).unwrap().1 {
                    Ok(s) => train_with(c, s, 1, |_| {}),
                    Err(e) => Err(MnistError::InvalidConfig {
                        name: "train_size",
                        value: c.train_size.to_string(),
                        expected: e.to_string(),
                    }),
                }
            })
            .collect()
    })
}

/// Mean loss and gradient (flat, f32) of the minibatch `rows` of `samples` with the fast path
/// used in training (sparse first layer, hand-written backprop).
///
/// ```
/// use sam_mnist::{model::{Params, Samples}, train::batch_loss_grad};
/// let p = Params::init(&[3, 4, 2], 0);
/// let s = Samples::new(vec![1.0, 0.0, 0.5, 0.0, 0.0, 0.0], vec![1, 0], 3).unwrap();
/// let (loss, g) = batch_loss_grad(&p, &s, &[0, 1]);
/// assert!(loss > 0.0 && g.len() == p.flat().len());
/// ```
pub fn batch_loss_grad(params: &Params, samples: &Samples, rows: &[usize]) -> (f32, Vec<f32>) {
    let mut eng = Engine::new(params.sizes(), rows.len(), true);
    let mut p = params.flat().to_vec();
    let loss = eng.loss_grad(&mut p, samples, rows, None);
    (loss, eng.grad)
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
    cfg: &TrainConfig,
    sets: &SampleSets,
    blocks: usize,
    steps_per_block: usize,
) -> Result<StepTiming> {
    cfg.validate()?;
    let mut params = Params::init(&SIZES, cfg.seed);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    rng.set_stream(1);
    let mut stepper = Stepper::new(cfg, &SIZES);
    let mut perm: Vec<usize> = (0..cfg.train_size).collect();
    let mut batches = Vec::new();
    let per_epoch = cfg.train_size / cfg.batch_size;
    let mut out = StepTiming {
        steps_per_block,
        wall_us: Vec::new(),
        cpu_us: Vec::new(),
    };
    for _ in 0..blocks {
        while batches.len() < steps_per_block {
            perm.shuffle(&mut rng);
            batches.extend(
                perm.chunks_exact(cfg.batch_size)
                    .take(per_epoch)
                    .map(|b| b.to_vec()),
            );
        }
        let block: Vec<Vec<usize>> = batches.drain(..steps_per_block).collect();
        let (t0, c0) = (Instant::now(), thread_cpu_s());
        for (step, b) in block.iter().enumerate() {
            let loss = stepper.step(params.flat_mut(), &sets.train, b);
            if !loss.is_finite() {
                return Err(MnistError::NonFinite {
                    epoch: 0,
                    step,
                    loss: loss as f64,
                    what: "timed minibatch loss",
                });
            }
        }
        let n = steps_per_block.max(1) as f64;
        out.wall_us.push(t0.elapsed().as_secs_f64() * 1e6 / n);
        out.cpu_us.push((thread_cpu_s() - c0) * 1e6 / n);
    }
    Ok(out)
}
