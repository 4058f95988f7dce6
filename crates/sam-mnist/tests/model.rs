//! The MLP against independent oracles: central finite differences in f64, a naive triple-loop
//! forward pass, and the HVP against differences of the gradient.

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use sam_mnist::model::{
    hvp_at, logits_naive, loss_and_grad_at, loss_at, preactivations_naive, Params, Samples,
};
use sam_mnist::train::{batch_loss_grad, evaluate, relu_pattern};

fn samples(n: usize, dim: usize, classes: u8, seed: u64, zeros: f64) -> Samples {
    let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let x = (0..n * dim)
        .map(|_| {
            if r.random_bool(zeros) {
                0.0
            } else {
                r.random_range(0.0f32..1.0)
            }
        })
        .collect();
    let y = (0..n).map(|_| r.random_range(0..classes)).collect();
    Samples::new(x, y, dim).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The f64 backprop gradient and the fast f32 minibatch gradient both match central finite
    /// differences of the f64 loss.
    #[test]
    fn gradient_matches_central_differences(seed in 0u64..1000, n in 1usize..6) {
        let sizes = [7, 6, 5, 3];
        let p = Params::init(&sizes, seed);
        let s = samples(n, 7, 3, seed + 1, 0.4);
        let theta = p.to_f64();
        let (_, g) = loss_and_grad_at(&sizes, &theta, &s).unwrap();
        let rows: Vec<usize> = (0..n).collect();
        let (_, g32) = batch_loss_grad(&p, &s, &rows);
        let h = 1e-6;
        for i in 0..theta.len() {
            let mut tp = theta.clone();
            tp[i] += h;
            let mut tm = theta.clone();
            tm[i] -= h;
            let fd = (loss_at(&sizes, &tp, &s).unwrap() - loss_at(&sizes, &tm, &s).unwrap()) / (2.0 * h);
            prop_assert!((g[i] - fd).abs() < 1e-6 + 1e-4 * fd.abs(), "f64 grad {} vs fd {} at {}", g[i], fd, i);
            prop_assert!((g32[i] as f64 - fd).abs() < 2e-5 + 1e-3 * fd.abs(), "f32 grad {} vs fd {} at {}", g32[i], fd, i);
        }
    }

    /// The exact R-operator HVP matches central differences of the f64 gradient.
    #[test]
    fn hvp_matches_gradient_differences(seed in 0u64..1000) {
        let sizes = [6, 5, 4, 3];
        let p = Params::init(&sizes, seed);
        let s = samples(4, 6, 3, seed + 7, 0.3);
        let theta = p.to_f64();
        let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(seed + 99);
        let v: Vec<f64> = (0..theta.len()).map(|_| r.random_range(-1.0..1.0)).collect();
        let hv = hvp_at(&sizes, &theta, &s, &v).unwrap();
        let h = 1e-5;
        let tp: Vec<f64> = theta.iter().zip(&v).map(|(a, b)| a + h * b).collect();
        let tm: Vec<f64> = theta.iter().zip(&v).map(|(a, b)| a - h * b).collect();
        let (_, gp) = loss_and_grad_at(&sizes, &tp, &s).unwrap();
        let (_, gm) = loss_and_grad_at(&sizes, &tm, &s).unwrap();
        for i in 0..theta.len() {
            let fd = (gp[i] - gm[i]) / (2.0 * h);
            prop_assert!((hv[i] - fd).abs() < 1e-6 + 1e-4 * fd.abs(), "hvp {} vs fd {} at {}", hv[i], fd, i);
        }
    }
}

/// The HVP is symmetric: u'Hv = v'Hu (a Hessian property, checked at the real widths' small cousin).
#[test]
fn hvp_is_symmetric() {
    let sizes = [20, 12, 8, 10];
    let p = Params::init(&sizes, 3);
    let s = samples(30, 20, 10, 4, 0.5);
    let theta = p.to_f64();
    let mut r = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let u: Vec<f64> = (0..theta.len())
        .map(|_| r.random_range(-1.0..1.0))
        .collect();
    let v: Vec<f64> = (0..theta.len())
        .map(|_| r.random_range(-1.0..1.0))
        .collect();
    let hu = hvp_at(&sizes, &theta, &s, &u).unwrap();
    let hv = hvp_at(&sizes, &theta, &s, &v).unwrap();
    let a: f64 = v.iter().zip(&hu).map(|(x, y)| x * y).sum();
    let b: f64 = u.iter().zip(&hv).map(|(x, y)| x * y).sum();
    assert!((a - b).abs() < 1e-10 * (1.0 + a.abs()), "{a} vs {b}");
}

/// The fast forward pass (sparse first layer, blocked GEMM) matches the naive triple loop at the
/// real widths, and so do the evaluation loss and accuracy.
#[test]
fn forward_matches_naive_triple_loop() {
    let sizes = sam_mnist::model::SIZES;
    let p = Params::init(&sizes, 11);
    let s = samples(200, 784, 10, 12, 0.8);
    let naive = logits_naive(&p, &s);
    let mut loss = 0.0;
    let mut correct = 0;
    for (i, z) in naive.iter().enumerate() {
        let y = s.y()[i] as usize;
        let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = m + z.iter().map(|t| (t - m).exp()).sum::<f64>().ln();
        loss += lse - z[y];
        let am = (0..10).fold(0, |b, j| if z[j] > z[b] { j } else { b });
        correct += (am == y) as usize;
    }
    let (l, a) = evaluate(&p, &s, 1);
    assert!((l - loss / 200.0).abs() < 1e-5, "{l} vs {}", loss / 200.0);
    assert!((a - correct as f64 / 200.0).abs() <= 1.0 / 200.0);
    // same numbers with 3 threads (fixed block order)
    assert_eq!(evaluate(&p, &s, 3), (l, a));
    // minibatch loss of the fast path vs f64
    let rows: Vec<usize> = (0..10).collect();
    let sub = Samples::new(s.x()[..7840].to_vec(), s.y()[..10].to_vec(), 784).unwrap();
    let (lb, g32) = batch_loss_grad(&p, &s, &rows);
    let (l64, g64) = sam_mnist::model::loss_and_grad(&p, &sub).unwrap();
    assert!((lb as f64 - l64).abs() < 1e-5);
    let err = g32
        .iter()
        .zip(&g64)
        .map(|(a, b)| (*a as f64 - b).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-5, "max grad error {err}");
}

/// The training engine's ReLU pattern (which units a gradient pass on the batch sees on) is the
/// sign pattern of the naive f64 pre-activations, except for units within f32 rounding of their
/// kink, where the two may differ (the reason the drift study reads the engine's pattern).
#[test]
fn relu_pattern_is_the_sign_of_the_naive_preactivations() {
    let sizes = sam_mnist::model::SIZES;
    let p = Params::init(&sizes, 5);
    let s = samples(30, 784, 10, 6, 0.8);
    let rows: Vec<usize> = (10..20).collect();
    let got = relu_pattern(&p, &s, &rows);
    let z = preactivations_naive(&p, &s, &rows);
    // the engine's layout: layer by layer, row-major within a layer
    let mut want = Vec::new();
    let mut near = Vec::new();
    for l in 0..sizes.len() - 2 {
        for zi in &z {
            want.extend(zi[l].iter().map(|&v| v > 0.0));
            near.extend(zi[l].iter().map(|&v| v.abs() < 1e-5));
        }
    }
    assert_eq!(got.len(), 10 * (500 + 300));
    let differ = (0..got.len()).filter(|&i| got[i] != want[i]).count();
    let unexplained = (0..got.len())
        .filter(|&i| got[i] != want[i] && !near[i])
        .count();
    assert_eq!(unexplained, 0, "{differ} differences, not all at the kink");
    let on = got.iter().filter(|&&b| b).count();
    assert!(
        on > got.len() / 5 && on < got.len(),
        "a real mix of on and off units ({on})"
    );
}

#[test]
fn shape_errors_are_reported() {
    let p = Params::init(&[3, 2], 0);
    let s = samples(2, 4, 2, 0, 0.0);
    assert!(sam_mnist::model::hvp(&p, &s, &[0.0; 8]).is_err());
    let s3 = samples(2, 3, 2, 0, 0.0);
    assert!(sam_mnist::model::hvp(&p, &s3, &[0.0; 7]).is_err());
}
