//! The training protocol: validation, determinism, SAM with rho = 0 equals SGD, thread-count
//! independence, and a few real-data steps.

mod common;
use common::real;
use sam_params::{Checked, ParamGuard};

use sam_mnist::data::Mnist;
use sam_mnist::train::{run_many, train, Optimizer, TrainConfig};
use sam_mnist::MnistError;

/// Synthetic MNIST-shaped data: sparse "strokes" whose position depends on the label.
fn synthetic(n_train: usize, n_test: usize) -> Mnist {
    let make = |n: usize, off: usize| {
        let mut imgs = vec![0u8; n * 784];
        let mut labels = vec![0u8; n];
        for i in 0..n {
            let y = ((i + off) * 7 % 10) as u8;
            labels[i] = y;
            for k in 0..120 {
                let px = (y as usize * 61 + k * 5 + (i * 13 + off) % 17) % 784;
                imgs[i * 784 + px] = ((k * 37 + i) % 255) as u8 + 1;
            }
        }
        (imgs, labels)
    };
    let (a, b) = make(n_train, 0);
    let (c, d) = make(n_test, 3);
    Mnist::from_parts(a, b, c, d).unwrap()
}

fn cfg(opt: Optimizer, seed: u64, epochs: usize) -> TrainConfig {
    TrainConfig::new(opt, 0.05, epochs, seed, 10, 100, None)
        .unwrap()
        .into_inner()
}

/// Checks a config once, as every caller of the training functions does.
fn ck(c: TrainConfig) -> Checked<TrainConfig> {
    c.check().unwrap()
}

fn strip_time(rows: &[sam_mnist::train::EpochRow]) -> Vec<[f64; 7]> {
    rows.iter()
        .map(|r| {
            [
                r.epoch as f64,
                r.grad_evals as f64,
                r.train_loss,
                r.train_acc,
                r.test_loss,
                r.test_acc,
                r.gap,
            ]
        })
        .collect()
}

#[test]
fn invalid_settings_name_the_value() {
    let base = TrainConfig::sgd(0);
    let cases: Vec<(TrainConfig, &str)> = vec![
        (
            TrainConfig {
                lr: f64::NAN,
                ..base.clone()
            },
            "lr = NaN",
        ),
        (
            TrainConfig {
                lr: -0.1,
                ..base.clone()
            },
            "lr = -0.1",
        ),
        (
            TrainConfig {
                optimizer: Optimizer::Sam { rho: -1.0 },
                ..base.clone()
            },
            "rho = -1",
        ),
        (
            TrainConfig {
                optimizer: Optimizer::Sam { rho: f64::NAN },
                ..base.clone()
            },
            "rho = NaN",
        ),
        (
            TrainConfig {
                batch_size: 0,
                ..base.clone()
            },
            "batch_size = 0",
        ),
        (
            TrainConfig {
                epochs: 0,
                ..base.clone()
            },
            "epochs = 0",
        ),
        (
            TrainConfig {
                train_size: 0,
                ..base.clone()
            },
            "train_size = 0",
        ),
        (
            TrainConfig {
                train_size: 60001,
                ..base.clone()
            },
            "train_size = 60001",
        ),
        (
            TrainConfig {
                optimizer: Optimizer::Sam { rho: 0.1 },
                m_sharpness: Some(0),
                ..base.clone()
            },
            "m_sharpness = 0",
        ),
    ];
    for (c, want) in cases {
        let e = MnistError::from(c.check_ref().unwrap_err());
        assert!(matches!(e, MnistError::Invalid(_)));
        assert!(e.to_string().contains(want), "{e} should contain {want}");
        assert!(
            e.to_string().contains("pass"),
            "{e} should say what to pass"
        );
    }
    // more training images than the data hold
    let m = synthetic(20, 5);
    let e = train(
        &ck(TrainConfig {
            train_size: 50,
            ..base
        }),
        &m,
        |_| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("only 20"), "{e}");
}

#[test]
fn same_seed_same_rows_and_threads_do_not_matter() {
    let m = synthetic(100, 50);
    for opt in [Optimizer::Sgd, Optimizer::Adam, Optimizer::Sam { rho: 0.1 }] {
        let a = train(&ck(cfg(opt, 5, 3)), &m, |_| {}).unwrap();
        let b = train(&ck(cfg(opt, 5, 3)), &m, |_| {}).unwrap();
        assert_eq!(strip_time(&a.rows), strip_time(&b.rows));
        assert_eq!(a.params, b.params);
        let c = train(&ck(cfg(opt, 6, 3)), &m, |_| {}).unwrap();
        assert_ne!(a.params, c.params, "another seed, other weights");
        assert!(
            a.rows[3].train_loss < a.rows[0].train_loss,
            "{opt:?} learns"
        );
    }
    let cfgs: Vec<_> = (0..4)
        .map(|s| ck(cfg(Optimizer::Sam { rho: 0.05 }, s, 2)))
        .collect();
    let one = run_many(&cfgs, &m, 1);
    let two = run_many(&cfgs, &m, 2);
    for (i, (x, y)) in one.iter().zip(&two).enumerate() {
        let (x, y) = (x.as_ref().unwrap(), y.as_ref().unwrap());
        assert_eq!(x.config.seed, i as u64);
        assert_eq!(strip_time(&x.rows), strip_time(&y.rows));
        assert_eq!(x.params, y.params);
    }
}

#[test]
fn sam_with_rho_zero_is_sgd_step_for_step() {
    let m = synthetic(100, 30);
    let sgd = train(&ck(cfg(Optimizer::Sgd, 9, 4)), &m, |_| {}).unwrap();
    let sam = train(&ck(cfg(Optimizer::Sam { rho: 0.0 }, 9, 4)), &m, |_| {}).unwrap();
    for (a, b) in sgd.rows.iter().zip(&sam.rows) {
        assert_eq!(
            (a.train_loss, a.test_loss, a.test_acc),
            (b.train_loss, b.test_loss, b.test_acc)
        );
    }
    assert_eq!(sgd.params, sam.params);
    // m-sharpness with m = batch is plain SAM; m < batch differs and still learns
    let s = train(&ck(cfg(Optimizer::Sam { rho: 0.1 }, 9, 2)), &m, |_| {}).unwrap();
    let c = TrainConfig {
        m_sharpness: Some(10),
        ..cfg(Optimizer::Sam { rho: 0.1 }, 9, 2)
    };
    assert_eq!(train(&ck(c.clone()), &m, |_| {}).unwrap().params, s.params);
    let c = TrainConfig {
        m_sharpness: Some(2),
        ..c
    };
    let ms = train(&ck(c.clone()), &m, |_| {}).unwrap();
    assert_ne!(ms.params, s.params);
    assert!(ms.rows[2].train_loss < ms.rows[0].train_loss);
    // m-sharpness at rho = 0 is SGD too (chunk gradients weighted by size average to the batch's)
    let c0 = TrainConfig {
        optimizer: Optimizer::Sam { rho: 0.0 },
        m_sharpness: Some(5),
        ..c
    };
    let z = train(&ck(c0), &m, |_| {}).unwrap();
    let g = train(&ck(cfg(Optimizer::Sgd, 9, 2)), &m, |_| {}).unwrap();
    for (a, b) in z.rows.iter().zip(&g.rows) {
        assert!((a.train_loss - b.train_loss).abs() < 1e-5);
    }
}

#[test]
fn diverging_run_reports_epoch_and_step() {
    let m = synthetic(100, 10);
    let c = TrainConfig::new(Optimizer::Sgd, 1e30, 2, 0, 10, 100, None).unwrap();
    let e = train(&c, &m, |_| {}).unwrap_err();
    assert!(matches!(e, MnistError::NonFinite { epoch: 1, .. }), "{e}");
}

/// The parallel scheduler (training loops and evaluations apart, longest runs first) gives each
/// run exactly what running it alone gives: rows, weights, and the same first error, for runs
/// of different lengths and optimizers, a diverging run and a run whose sample set is invalid.
#[test]
fn run_many_equals_runs_alone_with_uneven_runs_and_errors() {
    let m = synthetic(100, 30);
    let diverging = TrainConfig::new(Optimizer::Sgd, 1e30, 3, 0, 10, 100, None)
        .unwrap()
        .into_inner();
    let too_big = TrainConfig {
        train_size: 101,
        ..cfg(Optimizer::Sgd, 0, 1)
    };
    let cfgs: Vec<_> = [
        cfg(Optimizer::Sgd, 1, 1),
        cfg(Optimizer::Adam, 2, 4),
        diverging,
        cfg(Optimizer::Sam { rho: 0.05 }, 3, 3),
        too_big,
        cfg(Optimizer::Sgd, 4, 5),
    ]
    .into_iter()
    .map(ck)
    .collect();
    let done = std::sync::Mutex::new(Vec::new());
    for threads in [2, 3] {
        done.lock().unwrap().clear();
        let par =
            sam_mnist::train::run_many_with(&cfgs, &m, threads, &|i| done.lock().unwrap().push(i));
        let mut seen = done.lock().unwrap().clone();
        seen.sort();
        assert_eq!(
            seen,
            (0..cfgs.len()).collect::<Vec<_>>(),
            "each run reported once"
        );
        for (c, p) in cfgs.iter().zip(&par) {
            match (train(c, &m, |_| {}), p) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(strip_time(&a.rows), strip_time(&b.rows));
                    assert_eq!(a.params, b.params);
                    assert_eq!(&a.config, &**c);
                    assert_eq!(&b.config, &**c);
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("alone {:?} vs parallel {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }
    assert!(par_err_is_divergence(&run_many(&cfgs[2..3], &m, 2)[0]));
}

fn par_err_is_divergence(r: &Result<sam_mnist::train::TrainOutcome, MnistError>) -> bool {
    matches!(r, Err(MnistError::NonFinite { epoch: 1, .. }))
}

#[test]
fn real_data_first_epoch_matches_reference_scale() {
    let Some(m) = real() else {
        eprintln!("skipped: no shared MNIST copy");
        return;
    };
    // one epoch of the paper's SGD and SAM settings on the real data
    let mut rows = Vec::new();
    let c = TrainConfig {
        epochs: 1,
        ..TrainConfig::sgd(1)
    };
    let out = train(&ck(c), &m, |r| rows.push(r.clone())).unwrap();
    assert_eq!(rows, out.rows);
    let (r0, r1) = (&out.rows[0], &out.rows[1]);
    // reference (JAX, seed 1): epoch 0 loss 2.3056, epoch 1 loss 2.2610 / acc 0.38
    assert!((r0.test_loss - 2.30).abs() < 0.03, "{r0:?}");
    assert!(
        r1.train_loss < r0.train_loss && r1.train_loss > 2.0,
        "{r1:?}"
    );
    assert!(r0.test_acc < 0.2);
    assert_eq!(r1.grad_evals, 100);
}

/// Adam's betas and epsilon and SAM's epsilon are settings, not constants: changing one changes
/// the run; an extreme SAM epsilon (much larger than |g|) shrinks the perturbation towards
/// zero, so SAM approaches SGD.
#[test]
fn optimizer_constants_are_settings_that_take_effect() {
    let m = synthetic(100, 20);
    let adam = train(&ck(cfg(Optimizer::Adam, 3, 2)), &m, |_| {}).unwrap();
    for c in [
        TrainConfig {
            beta1: 0.5,
            ..cfg(Optimizer::Adam, 3, 2)
        },
        TrainConfig {
            beta2: 0.9,
            ..cfg(Optimizer::Adam, 3, 2)
        },
        TrainConfig {
            adam_eps: 1e-3,
            ..cfg(Optimizer::Adam, 3, 2)
        },
    ] {
        let other = train(&ck(c.clone()), &m, |_| {}).unwrap();
        assert_ne!(other.params, adam.params, "{c:?} had no effect");
    }
    let sam = |eps| {
        let c = TrainConfig {
            sam_eps: eps,
            ..cfg(Optimizer::Sam { rho: 0.05 }, 3, 1)
        };
        train(&ck(c), &m, |_| {}).unwrap()
    };
    let dist = |a: &sam_mnist::model::Params, b: &sam_mnist::model::Params| -> f64 {
        a.flat()
            .iter()
            .zip(b.flat())
            .map(|(x, y)| ((x - y) as f64).powi(2))
            .sum::<f64>()
            .sqrt()
    };
    let sgd1 = train(&ck(cfg(Optimizer::Sgd, 3, 1)), &m, |_| {}).unwrap();
    let (near, far) = (sam(1e6), sam(1e-12));
    assert!(dist(&near.params, &sgd1.params) < 1e-3 * dist(&far.params, &sgd1.params));
}

/// Issue 11, item 7: the validation set is the `val_size` training images after the first
/// `train_size`, disjoint from the images trained on, and evaluating it changes nothing else:
/// the rows with a validation set equal the rows without it (timing apart), bit for bit, on one
/// thread and on two; the validation loss equals `evaluate` on exactly those images (oracle:
/// a `Samples` built by hand from the raw arrays).
#[test]
fn validation_set_is_disjoint_and_changes_nothing_else() {
    use sam_mnist::model::Samples;
    use sam_mnist::train::{evaluate, SampleSets};
    let data = synthetic(300, 50);
    let sets = SampleSets::with_validation(&data, 100, 150).unwrap();
    let val = sets.val.as_ref().unwrap();
    assert_eq!((sets.train.len(), val.len()), (100, 150));
    let by_hand = Samples::from_bytes(
        &data.train_images[100 * 784..250 * 784],
        &data.train_labels[100..250],
        784,
    )
    .unwrap();
    for opt in [Optimizer::Sgd, Optimizer::Sam { rho: 0.1 }] {
        let plain = cfg(opt, 3, 3);
        let with = TrainConfig {
            val_size: 150,
            ..plain.clone()
        };
        let a = train(&ck(plain.clone()), &data, |_| {}).unwrap();
        let b = train(&ck(with.clone()), &data, |_| {}).unwrap();
        assert_eq!(strip_time(&a.rows), strip_time(&b.rows));
        assert!(a.rows.iter().all(|r| r.val_loss.is_none()));
        let (loss, acc) = evaluate(&b.params, &by_hand, 1);
        let last = b.rows.last().unwrap();
        assert_eq!((last.val_loss, last.val_acc), (Some(loss), Some(acc)));
        let par = run_many(&[ck(with.clone()), ck(plain.clone())], &data, 2);
        let p = par[0].as_ref().unwrap();
        assert_eq!(strip_time(&p.rows), strip_time(&b.rows));
        assert_eq!(
            p.rows.iter().map(|r| r.val_loss).collect::<Vec<_>>(),
            b.rows.iter().map(|r| r.val_loss).collect::<Vec<_>>()
        );
    }
    // more validation images than the data hold after the training images: refused by name
    let e = SampleSets::with_validation(&data, 100, 201).unwrap_err();
    assert!(e.to_string().contains("val_size = 201"), "{e}");
}

/// `batch_orders` is the order a run draws for itself: replaying it with `train_from` gives the
/// same rows and weights bit for bit (an order drawn any other way would not), and `trajectory`
/// visits every step and ends on the same weights.
#[test]
fn batch_orders_and_trajectory_replay_the_run() {
    use sam_mnist::model::{Params, SIZES};
    use sam_mnist::train::{batch_orders, train_from, trajectory, SampleSets};
    let m = synthetic(100, 50);
    let sets = SampleSets::new(&m, 100).unwrap();
    for opt in [Optimizer::Sgd, Optimizer::Adam, Optimizer::Sam { rho: 0.1 }] {
        let c = ck(cfg(opt, 3, 3));
        let own = train(&c, &m, |_| {}).unwrap();
        let orders = batch_orders(&c);
        let replay =
            train_from(&c, &sets, Params::init(&SIZES, 3), Some(&orders), 1, |_| {}).unwrap();
        assert_eq!(strip_time(&own.rows), strip_time(&replay.rows));
        assert_eq!(own.params, replay.params);
        // another seed's order is a different run
        let other = batch_orders(&ck(cfg(opt, 4, 3)));
        let moved =
            train_from(&c, &sets, Params::init(&SIZES, 3), Some(&other), 1, |_| {}).unwrap();
        assert_ne!(own.params, moved.params);
        let mut steps = Vec::new();
        let end = trajectory(&c, &sets, Params::init(&SIZES, 3), Some(&orders), |t, _| {
            steps.push(t);
            Ok(())
        })
        .unwrap();
        assert_eq!(steps, (0..=30).collect::<Vec<_>>());
        assert_eq!(end, own.params);
    }
}

/// Issue 14, item 5: "the noise flips exactly floor(n·p) labels, each to a different class,
/// deterministically per seed". The count is checked against integer arithmetic (p = k/10, so
/// floor(n·p) = n·k div 10), every flipped label differs from its original, the others are
/// untouched, the same seed gives the same flips and another seed other ones, and at p = 0.8
/// every one of the nine shifts to another class occurs.
#[test]
fn label_noise_flips_exactly_floor_np_labels_to_other_classes() {
    use sam_mnist::train::flip_labels;
    for n in [1usize, 7, 100, 1000] {
        let y: Vec<u8> = (0..n).map(|i| ((i * 7 + 3) % 10) as u8).collect();
        for k in 0..=10usize {
            let p = k as f64 / 10.0;
            let (noisy, flipped) = flip_labels(&y, p, 10, 11);
            assert_eq!(flipped.len(), n * k / 10, "n {n}, p {p}");
            assert!(flipped.windows(2).all(|w| w[0] < w[1]), "sorted, distinct");
            for i in 0..n {
                if flipped.binary_search(&i).is_ok() {
                    assert!(noisy[i] != y[i] && noisy[i] < 10, "n {n} p {p} i {i}");
                } else {
                    assert_eq!(noisy[i], y[i]);
                }
            }
            assert_eq!(flip_labels(&y, p, 10, 11), (noisy, flipped.clone()));
        }
    }
    let y: Vec<u8> = (0..1000).map(|i| (i % 10) as u8).collect();
    let (a, fa) = flip_labels(&y, 0.2, 10, 1);
    let (b, fb) = flip_labels(&y, 0.2, 10, 2);
    assert!(fa != fb && a != b, "another seed, other flips");
    let (n8, f8) = flip_labels(&y, 0.8, 10, 3);
    let mut shifts = [0usize; 10];
    for &i in &f8 {
        shifts[((n8[i] + 10 - y[i]) % 10) as usize] += 1;
    }
    assert_eq!(shifts[0], 0);
    // 800 draws over 9 shifts: each expected 89, each far from 0
    assert!(shifts[1..].iter().all(|&c| c > 50), "{shifts:?}");
}

/// A run with label noise trains on the noisy labels and reports the clean and memorization
/// accuracies: the accuracy on all training samples (against the labels trained on) is their
/// weighted mean, measured by separate evaluations; label noise 0 is the clean run bit for bit;
/// a fraction outside [0, 1] is refused naming `label_noise`.
#[test]
fn label_noise_runs_report_clean_and_memorized_accuracy() {
    use sam_mnist::train::{train_with, SampleSets};
    let m = synthetic(100, 50);
    let noisy_cfg = TrainConfig {
        label_noise: 0.4,
        noise_seed: 9,
        ..cfg(Optimizer::Sgd, 1, 4)
    };
    let sets = SampleSets::for_config(&m, &noisy_cfg).unwrap();
    let noise = sets.noise.as_ref().unwrap();
    assert_eq!(
        (noise.flipped.len(), noise.clean.len(), noise.noisy.len()),
        (40, 60, 40)
    );
    let out = train_with(&ck(noisy_cfg.clone()), &sets, 1, |_| {}).unwrap();
    for r in &out.rows {
        let (c, n) = (r.clean_train_acc.unwrap(), r.noisy_train_acc.unwrap());
        assert!(
            (r.train_acc - (60.0 * c + 40.0 * n) / 100.0).abs() < 1e-12,
            "{r:?}"
        );
    }
    let plain = train(&ck(cfg(Optimizer::Sgd, 1, 4)), &m, |_| {}).unwrap();
    let zero = train(
        &ck(TrainConfig {
            label_noise: 0.0,
            noise_seed: 9,
            ..cfg(Optimizer::Sgd, 1, 4)
        }),
        &m,
        |_| {},
    )
    .unwrap();
    assert_eq!(strip_time(&plain.rows), strip_time(&zero.rows));
    assert!(zero.rows.iter().all(|r| r.clean_train_acc.is_none()));
    assert_ne!(plain.params, out.params);
    for bad in [-0.1, 1.5, f64::NAN] {
        let e = TrainConfig {
            label_noise: bad,
            ..cfg(Optimizer::Sgd, 1, 4)
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(e.contains("label_noise"), "{e}");
    }
}
