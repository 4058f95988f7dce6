//! # sam-mnist: the review's MNIST experiment
//!
//! One job: run the MNIST experiment of section 2.3.2 of the SAM review ("Performance on MNIST
//! Dataset") correctly and fast. It provides
//!
//! - [`data`]: the four canonical IDX files, read raw or gzip-compressed, verified (magic,
//!   dimensions, length, SHA-256 of the decompressed bytes), fetched from public mirrors when
//!   missing;
//! - [`model`]: the 784-500-300-10 ReLU MLP with mean softmax cross-entropy, its flat parameter
//!   vector, an f64 reference path with the full-batch gradient and the exact Hessian-vector
//!   product, also as an objective ([`model::MlpObjective`]: value and gradient in one pass,
//!   HVP) that sam-sharpness's Lanczos, Hutchinson and κ_ρ lower bound take through the
//!   objective traits;
//! - [`train`]: the protocol (SGD, Adam, SAM and its variants; batch 10; first 1000 training
//!   images; evaluation on all train and test samples after every epoch), deterministic per
//!   seed, with [`train::run_many`] running independent seeds in parallel (training loops and
//!   per-epoch evaluations scheduled apart, so both cores stay busy). A [`train::TrainConfig`]
//!   is checked once (`sam_params::ParamGuard::check`) and the training functions take the
//!   `Checked` config.
//!
//! The optimizers are not implemented here: the engine is a gradient oracle (f32) of
//! sam-optim's one optimizer stack, which every experiment uses. The oracle offers the fused SGD
//! step, gradients with their sparse support (the batch's nonzero pixels) and minibatch chunks
//! (m-sharpness). The SAM step is Eq. 3 of the review, `x_{t+1} = x_t - eta grad
//! L|_{x_t + rho g/||g||}`, on each minibatch `B` with `g = grad L_B(x_t)`; as the review
//! remarks below Eq. 3 the update is undefined at `g = 0`, and the protocol uses sam-optim's
//! normalised rule with `eps = 1e-12`, `rho g / (||g|| + 1e-12)`, as the reference does.
//!
//! ```
//! use sam_mnist::{model::{Params, Samples, hvp}, train::evaluate};
//! let p = Params::init(&[3, 4, 2], 1);
//! let s = Samples::new(vec![1.0, 0.0, 0.5], vec![1], 3).unwrap();
//! let (loss, _acc) = evaluate(&p, &s, 1);
//! let hv = hvp(&p, &s, &vec![1.0; p.flat().len()]).unwrap();
//! assert!(loss > 0.0 && hv.len() == p.flat().len());
//! ```
//!
//! ## Reference
//! Foret, Kleiner, Mobahi, Neyshabur, "Sharpness-Aware Minimization for Efficiently Improving
//! Generalization", ICLR 2021; the review, section 2.3.2 and Eq. 3.

#![warn(missing_docs)]

pub mod data;
pub mod error;
mod fast;
pub mod kernels;
pub mod model;
mod parallel;
pub mod train;

pub use error::{MnistError, Result};
