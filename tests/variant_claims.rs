//! Claims about the SAM-family perturbation rules (USAM, ASAM) and about the one optimizer stack
//! serving both number types: the MNIST engine's fast f32 SAM against the f64 reference MLP
//! through the same optimizer code.

use proptest::prelude::*;
use sam_mnist::data::Mnist;
use sam_mnist::model::{layer_offsets, loss_and_grad_at, Params, Samples, SIZES};
use sam_mnist::train::{train_from, Optimizer, SampleSets, TrainConfig};
use samlab::optim::{
    build, run, Asam, Grad, GradientOracle, Hyper, Method, PerturbationRule, RunConfig, SamRule,
    Saved, Usam,
};

fn grad_of(g: &[f64]) -> Grad<f64> {
    let mut out = Grad::default();
    out.dense_mut(g.len()).copy_from_slice(g);
    out
}

proptest! {
    /// USAM (Andriushchenko & Flammarion 2022; ../shared/RESEARCH.md section 3): "ê = ρ g", so
    /// ‖ê‖ = ρ‖g‖ — the climb shrinks with the gradient, unlike SAM's ‖ê‖ = ρ.
    #[test]
    fn usam_perturbation_norm_is_rho_times_gradient_norm(
        g in proptest::collection::vec(-1e3f64..1e3, 1..20), rho in 0.0f64..10.0,
    ) {
        let grad = grad_of(&g);
        let mut e = vec![0.0; g.len()];
        let reported = Usam.climb(&mut e, &grad, grad.norm(), rho, &mut Saved::default());
        let n_e = e.iter().map(|v| v * v).sum::<f64>().sqrt();
        let n_g = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        prop_assert!((n_e - rho * n_g).abs() <= 1e-12 * (1.0 + rho * n_g), "{} vs {}", n_e, rho * n_g);
        prop_assert!((reported - n_e).abs() <= 1e-12 * (1.0 + n_e));
    }
}

/// A small ReLU MLP and batch for the rescaling claims.
fn small_net() -> (Vec<usize>, Vec<f64>, Samples) {
    let sizes = vec![6, 5, 3];
    let theta = Params::init(&sizes, 3).to_f64();
    let x: Vec<f32> = (0..8 * 6)
        .map(|i| ((i * 37 % 23) as f32 / 23.0) - 0.3)
        .collect();
    let y: Vec<u8> = (0..8).map(|i| (i % 3) as u8).collect();
    (sizes.clone(), theta, Samples::new(x, y, 6).unwrap())
}

/// (W1, b1) → α(W1, b1), W2 → W2/α: the network's function is unchanged (ReLU is positively
/// homogeneous).
fn rescale(sizes: &[usize], theta: &[f64], alpha: f64) -> Vec<f64> {
    let offs = layer_offsets(sizes);
    let mut t = theta.to_vec();
    let (w0, b0) = offs[0];
    for v in &mut t[w0..b0 + sizes[1]] {
        *v *= alpha;
    }
    let (w1, b1) = offs[1];
    for v in &mut t[w1..b1] {
        *v /= alpha;
    }
    t
}

/// L(w + ê(w)) for a rule at w.
fn perturbed_loss(
    rule: &mut dyn PerturbationRule<f64>,
    sizes: &[usize],
    theta: &[f64],
    s: &Samples,
    rho: f64,
) -> f64 {
    let (_, g) = loss_and_grad_at(sizes, theta, s).unwrap();
    let mut w = theta.to_vec();
    let grad = grad_of(&g);
    rule.climb(&mut w, &grad, grad.norm(), rho, &mut Saved::default());
    loss_and_grad_at(sizes, &w, s).unwrap().0
}

/// ASAM (Kwon et al., ICML 2021, section 3): the adaptive sharpness is invariant under
/// scaling operators that leave the network's function unchanged, "whereas the sharpness of
/// SAM is not". With η = 0 (T = diag|w|) the perturbed loss L(w + ê) is the same at w and at the
/// function-preserving ReLU rescaling (W1, b1) → α(W1, b1), W2 → W2/α; plain SAM's is not.
#[test]
fn asam_perturbed_loss_is_invariant_under_relu_rescaling_while_sam_is_not() {
    let (sizes, theta, s) = small_net();
    let rho = 0.5;
    for alpha in [0.25, 4.0] {
        let scaled = rescale(&sizes, &theta, alpha);
        // the rescaling preserves the function (so the loss) to rounding
        let (l0, l1) = (
            loss_and_grad_at(&sizes, &theta, &s).unwrap().0,
            loss_and_grad_at(&sizes, &scaled, &s).unwrap().0,
        );
        assert!((l0 - l1).abs() < 1e-12 * l0, "rescaling changed the loss");
        let mut asam = Asam::<f64>::new(0.0, 0.0).unwrap();
        let a0 = perturbed_loss(&mut asam, &sizes, &theta, &s, rho);
        let a1 = perturbed_loss(&mut asam, &sizes, &scaled, &s, rho);
        assert!(
            (a0 - a1).abs() < 1e-10 * a0,
            "ASAM (eta = 0): L(w+e) = {a0} vs {a1} at alpha = {alpha}"
        );
        let mut sam = SamRule::new(0.0).unwrap();
        let s0 = perturbed_loss(&mut sam, &sizes, &theta, &s, rho);
        let s1 = perturbed_loss(&mut sam, &sizes, &scaled, &s, rho);
        assert!(
            (s0 - s1).abs() > 1e-3 * s0,
            "SAM: L(w+e) = {s0} vs {s1} at alpha = {alpha} should differ"
        );
        // the climb really moved the loss (a rule that did nothing would be invariant too)
        assert!((a0 - l0).abs() > 1e-3 * l0 && (s0 - l0).abs() > 1e-3 * l0);
    }
}

/// ASAM with η > 0 is only approximately invariant: the offset breaks the symmetry (Kwon et al.
/// use η = 0.01 for numerical stability). Negative control of the test above.
#[test]
fn asam_with_offset_is_not_exactly_invariant() {
    let (sizes, theta, s) = small_net();
    let scaled = rescale(&sizes, &theta, 4.0);
    let mut asam = Asam::<f64>::new(0.5, 0.0).unwrap();
    let a0 = perturbed_loss(&mut asam, &sizes, &theta, &s, 0.5);
    let a1 = perturbed_loss(&mut asam, &sizes, &scaled, &s, 0.5);
    assert!((a0 - a1).abs() > 1e-6 * a0, "{a0} vs {a1}");
}

/// Synthetic MNIST-shaped data (sparse strokes whose place depends on the label).
fn synthetic(n: usize) -> Mnist {
    let mut imgs = vec![0u8; n * 784];
    let mut labels = vec![0u8; n];
    for i in 0..n {
        let y = (i * 7 % 10) as u8;
        labels[i] = y;
        for k in 0..100 {
            let px = (y as usize * 61 + k * 5 + i * 13 % 17) % 784;
            imgs[i * 784 + px] = ((k * 37 + i) % 255) as u8 + 1;
        }
    }
    Mnist::from_parts(imgs.clone(), labels.clone(), imgs, labels).unwrap()
}

/// The f64 reference MLP on the same batches as the MNIST engine: a second, independent gradient
/// oracle (full f64 backprop in `sam_mnist::model`) behind the same trait.
struct F64Mlp<'a> {
    samples: &'a Samples,
    batches: Vec<Vec<usize>>,
    batch: Samples,
    focus: Option<std::ops::Range<usize>>,
    t: usize,
}

impl F64Mlp<'_> {
    fn rows(&self) -> Vec<usize> {
        let b = &self.batches[self.t];
        match &self.focus {
            Some(c) => b[c.clone()].to_vec(),
            None => b.clone(),
        }
    }
}

impl GradientOracle<f64> for F64Mlp<'_> {
    fn begin_step(&mut self, t: usize) {
        self.t = t;
        self.focus = None;
    }
    fn gradient(&mut self, x: &[f64], out: &mut Grad<f64>) -> Option<f64> {
        let rows = self.rows();
        let d = self.samples.dim();
        let xs: Vec<f32> = rows
            .iter()
            .flat_map(|&r| self.samples.row(r).to_vec())
            .collect();
        let ys: Vec<u8> = rows.iter().map(|&r| self.samples.y()[r]).collect();
        self.batch = Samples::new(xs, ys, d).unwrap();
        let (l, g) = loss_and_grad_at(&SIZES, x, &self.batch).unwrap();
        out.dense_mut(g.len()).copy_from_slice(&g);
        Some(l)
    }
    fn batch_len(&self) -> usize {
        self.batches[self.t].len()
    }
    fn focus(&mut self, chunk: Option<std::ops::Range<usize>>) {
        self.focus = chunk;
    }
}

/// The fast path and the reference path are one algorithm: the MNIST engine's f32 SAM (sparse
/// first layer, SIMD kernels, ε = 1e-12), and sam-optim's SAM in f64 on the independent f64 MLP,
/// started from the same weights with the same batches, agree to f32 rounding after 12 steps
/// (also with m-sharpness and for ASAM).
#[test]
fn mnist_fast_f32_path_matches_the_f64_reference_through_the_same_stack() {
    let data = synthetic(20);
    let sets = SampleSets::new(&data, 20).unwrap();
    let init = Params::init(&SIZES, 5);
    let orders: Vec<Vec<usize>> = (0..3)
        .map(|e| (0..20).map(|i| (i * 7 + e * 3) % 20).collect())
        .collect();
    for (method, m) in [
        (Optimizer::Sam { rho: 0.3 }, None),
        (Optimizer::Sam { rho: 0.3 }, Some(2)),
        (
            Optimizer::Asam {
                rho: 1.0,
                eta: 0.01,
            },
            None,
        ),
        (Optimizer::Sgd, None),
    ] {
        let cfg = TrainConfig::new(method, 0.05, 3, 0, 5, 20, m).unwrap();
        let fast = train_from(&cfg, &sets, init.clone(), Some(&orders), 1, |_| {}).unwrap();
        let batches: Vec<Vec<usize>> = orders
            .iter()
            .flat_map(|o| o.chunks(5).map(|c| c.to_vec()).collect::<Vec<_>>())
            .collect();
        let mut oracle = F64Mlp {
            samples: &sets.train,
            batch: sets.train.clone(),
            batches,
            focus: None,
            t: 0,
        };
        let h = Hyper {
            sam_eps: 1e-12,
            m,
            ..Hyper::lr(0.05).unwrap()
        };
        let opt = build::<f64>(method, &h, None).unwrap();
        let reference = run(
            opt,
            &init.to_f64(),
            &mut oracle,
            &RunConfig::steps(12),
            &mut [],
        )
        .unwrap();
        let (mut worst, mut moved) = (0.0f64, 0.0f64);
        for ((a, b), c) in fast.params.flat().iter().zip(&reference.x).zip(init.flat()) {
            worst = worst.max((*a as f64 - b).abs());
            moved = moved.max((b - *c as f64).abs());
        }
        assert!(moved > 1e-3, "{method:?}: the runs did not move");
        assert!(
            worst < 1e-4 * moved.max(1.0),
            "{method:?} m={m:?}: f32 engine vs f64 reference differ by {worst} (moved {moved})"
        );
        assert_eq!(
            reference.grad_evals as usize,
            fast.rows.last().unwrap().grad_evals
        );
    }
}

/// m-sharpness with m = the batch size is plain SAM, bit for bit (one chunk is the batch).
#[test]
fn m_sharpness_with_m_equal_to_the_batch_is_sam_bit_for_bit() {
    let data = synthetic(20);
    let sets = SampleSets::new(&data, 20).unwrap();
    let sam = TrainConfig::new(Optimizer::Sam { rho: 0.2 }, 0.05, 2, 1, 5, 20, None).unwrap();
    let m5 = sam_params::ParamGuard::check(TrainConfig {
        m_sharpness: Some(5),
        ..sam.clone().into_inner()
    })
    .unwrap();
    let a = train_from(&sam, &sets, Params::init(&SIZES, 1), None, 1, |_| {}).unwrap();
    let b = train_from(&m5, &sets, Params::init(&SIZES, 1), None, 1, |_| {}).unwrap();
    assert_eq!(a.params, b.params);
    let _ = Method::Sgd;
}
