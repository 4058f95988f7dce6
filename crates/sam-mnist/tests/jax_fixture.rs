//! Issue 11, item 20: samlab against the JAX reference (`../shared/anchors/mnist_sam_jax.py`,
//! an independent implementation) from the same initial weights and batch order, as a fixture:
//! `tests/fixtures/jax_seed0/` holds JAX's seed-0 initial weights and 3 epochs of permutations
//! (`mnist_sam_jax.py export --seed 0 --epochs 3`) and its per-epoch rows for SGD (lr 0.01), Adam
//! (lr 3e-4) and SAM (lr 0.01, ρ 0.2) (`mnist_sam_jax.py run --opt O --seed 0 --lr LR --rho RHO
//! --epochs 3`, jax 0.10.2 on this machine kind); `README.md` there says how to regenerate it.
//! Plus one SAM step with ρ > 0 and one Adam step against hand-written f64 updates.

mod common;
use common::real;

use sam_mnist::model::{loss_and_grad_at, Params, Samples, SIZES};
use sam_mnist::train::{load_replay, train_from, Optimizer, SampleSets, TrainConfig};
use sam_params::ParamGuard;
use serde_json::Value;
use std::path::Path;

fn fixture_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jax_seed0")
}

fn fixture(name: &str) -> Vec<u8> {
    let p = fixture_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn jax_init() -> Params {
    load_replay(&fixture_dir(), 1000).unwrap().init
}

fn jax_orders() -> Vec<Vec<usize>> {
    load_replay(&fixture_dir(), 1000).unwrap().orders
}

fn jax_rows(opt: &str) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&fixture("rows.json")).unwrap();
    v[opt]["rows"].as_array().unwrap().clone()
}

fn replay(opt: Optimizer, lr: f64, epochs: usize) -> Option<Vec<sam_mnist::train::EpochRow>> {
    let data = real()?;
    let sets = SampleSets::new(&data, 1000).unwrap();
    let cfg = TrainConfig {
        lr,
        epochs,
        ..TrainConfig::paper(opt, 0)
    }
    .check()
    .unwrap();
    let orders = jax_orders();
    Some(
        train_from(&cfg, &sets, jax_init(), Some(&orders[..epochs]), 1, |_| {})
            .unwrap()
            .rows,
    )
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

/// SGD and SAM agree with JAX over 3 epochs to 1e-5 relative in the training and test losses
/// (and exactly in the accuracies, which count images); Adam at epoch 1 to 1e-6. Both are f32
/// implementations with different summation orders, so agreement is to rounding.
#[test]
fn sgd_sam_and_adam_replay_the_jax_reference() {
    for (name, opt, lr, epochs, tol) in [
        ("sgd", Optimizer::Sgd, 0.01, 3, 1e-5),
        ("sam", Optimizer::Sam { rho: 0.2 }, 0.01, 3, 1e-5),
        ("adam", Optimizer::Adam, 3e-4, 1, 1e-6),
    ] {
        let Some(rows) = replay(opt, lr, epochs) else {
            eprintln!("skipped: no MNIST files (set SAM_MNIST_DIR)");
            return;
        };
        let jax = jax_rows(name);
        for (r, j) in rows.iter().zip(&jax).take(epochs + 1) {
            let f = |k: &str| j[k].as_f64().unwrap();
            assert_eq!(r.epoch as f64, f("epoch"));
            for (mine, key) in [(r.train_loss, "train_loss"), (r.test_loss, "test_loss")] {
                assert!(
                    rel(mine, f(key)) <= tol,
                    "{name} epoch {}: {key} samlab {mine} JAX {} (rel {:e})",
                    r.epoch,
                    f(key),
                    rel(mine, f(key))
                );
            }
            assert!(
                (r.test_acc - f("test_acc")).abs() < 2e-4,
                "{name} epoch {}",
                r.epoch
            );
        }
    }
}

/// One step on the first batch of JAX's first epoch, against a hand-written f64 update from the
/// f64 gradient of `loss_and_grad_at` (an independent f64 path): SAM with ρ = 0.2,
/// θ' = θ − η∇L(θ + ρg/(‖g‖ + 1e-12)), and Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8, bias-corrected),
/// θ' = θ − η m̂/(√v̂ + ε) with m̂ = g, v̂ = g² at step 1. The f32 engine agrees to 1e-5 of the
/// largest step per coordinate (f32 rounding), for Adam on the coordinates whose gradient
/// exceeds 1e-3 of the largest, and on the others no first step differs by more than 0.1 lr.
/// Adam after epoch 1: how far samlab and JAX are apart at epochs 2 and 3 (measured, printed; the
/// issue reports 1e-4 to 1e-3 against independent implementations). Bounded here by 1e-2 so that
/// a real divergence fails. The cause is established by the drift study (report 03, section
/// `mnist-drift`; `sam-experiments/tests/drift.rs`): in this replay a hidden unit sits on its
/// ReLU kink for a sample of a batch early in epoch 2, so rounding-level differences put it on
/// different sides in the two implementations, and from then on their gradients differ by more
/// than rounding.
#[test]
fn adam_after_epoch_one_stays_within_one_percent_of_jax() {
    let Some(rows) = replay(Optimizer::Adam, 3e-4, 3) else {
        eprintln!("skipped: no MNIST files (set SAM_MNIST_DIR)");
        return;
    };
    let jax = jax_rows("adam");
    for (r, j) in rows.iter().zip(&jax).skip(2) {
        let d = rel(r.test_loss, j["test_loss"].as_f64().unwrap());
        eprintln!(
            "Adam epoch {}: test loss relative difference to JAX {d:e}",
            r.epoch
        );
        assert!(d < 1e-2, "epoch {}: {d:e}", r.epoch);
    }
}

#[test]
fn one_sam_step_and_one_adam_step_match_hand_written_f64_updates() {
    let Some(data) = real() else {
        eprintln!("skipped: no MNIST files (set SAM_MNIST_DIR)");
        return;
    };
    let init = jax_init();
    let first: Vec<usize> = jax_orders()[0][..10].to_vec();
    // the batch as a 10-sample set, in batch order, so that one epoch of batch 10 is one step
    let mut imgs = Vec::new();
    let mut labels = Vec::new();
    for &i in &first {
        imgs.extend_from_slice(&data.train_images[i * 784..(i + 1) * 784]);
        labels.push(data.train_labels[i]);
    }
    let batch = Samples::from_bytes(&imgs, &labels, 784).unwrap();
    let mut sets = SampleSets::new(&data, 10).unwrap();
    sets.train = batch.clone();
    let theta = init.to_f64();
    let (_, g) = loss_and_grad_at(&SIZES, &theta, &batch).unwrap();
    for opt in [Optimizer::Sam { rho: 0.2 }, Optimizer::Adam] {
        let lr = if opt == Optimizer::Adam { 3e-4 } else { 0.01 };
        let cfg = TrainConfig {
            lr,
            epochs: 1,
            train_size: 10,
            ..TrainConfig::paper(opt, 0)
        }
        .check()
        .unwrap();
        let order = vec![(0..10).collect::<Vec<usize>>()];
        let out = train_from(&cfg, &sets, init.clone(), Some(&order), 1, |_| {}).unwrap();
        let step: Vec<f64> = match opt {
            Optimizer::Adam => g.iter().map(|gi| lr * gi / (gi.abs() + 1e-8)).collect(),
            _ => {
                let n = g.iter().map(|v| v * v).sum::<f64>().sqrt();
                let p: Vec<f64> = theta
                    .iter()
                    .zip(&g)
                    .map(|(t, gi)| t + 0.2 * gi / (n + 1e-12))
                    .collect();
                let (_, g2) = loss_and_grad_at(&SIZES, &p, &batch).unwrap();
                g2.iter().map(|v| lr * v).collect()
            }
        };
        let after = out.params.to_f64();
        let gmax = g.iter().map(|v| v.abs()).fold(0.0f64, f64::max);
        // coordinates whose gradient is resolved in f32 (well above its rounding) must agree;
        // Adam's normalisation makes the others depend on rounding (counted below)
        let mut worst = 0.0f64;
        let mut rounding_driven = 0usize;
        for (((t, s), a), gi) in theta.iter().zip(&step).zip(&after).zip(&g) {
            let d = ((t - s) - a).abs();
            if opt != Optimizer::Adam || gi.abs() > 1e-3 * gmax {
                worst = worst.max(d);
            } else if d > 0.1 * lr {
                rounding_driven += 1;
            }
        }
        let scale = step.iter().map(|s| s.abs()).fold(0.0f64, f64::max);
        assert!(
            worst <= 1e-5 * scale + 1e-8,
            "{}: worst {worst:e}, largest step {scale:e}",
            opt.name()
        );
        if opt == Optimizer::Adam {
            // The explanation first offered for Adam's later drift (coordinates with |g| near ε
            // whose step of a sizable fraction of lr is decided by rounding) does not act at
            // step 1: no coordinate's first step differs from the f64 step by more than 0.1 lr
            // (the drift study finds ReLU flips behind the drift instead).
            assert_eq!(
                rounding_driven, 0,
                "coordinates whose first Adam step rounding decides"
            );
        }
    }
}
