//! The optimizer stack against hand-written oracles: m-sharpness on a minibatch objective, the
//! one-pass return of SGD, Adam's step, the gradient count.

use sam_optim::{
    build, run, Adam, BaseOptimizer, Gd, Grad, GradientOracle, Hyper, Method, Optimizer, RunConfig,
    Saved, Schedule,
};
use std::ops::Range;

/// f(x) = (1/B) Σ_i ½ a_i (x − c_i)², one sample per i; `focus` picks samples of the batch.
struct Quadratics {
    a: Vec<f64>,
    c: Vec<f64>,
    focus: Option<Range<usize>>,
}

impl GradientOracle<f64> for Quadratics {
    fn gradient(&mut self, x: &[f64], out: &mut Grad<f64>) -> Option<f64> {
        let r = self.focus.clone().unwrap_or(0..self.a.len());
        let n = r.len() as f64;
        let (mut g, mut l) = (0.0, 0.0);
        for i in r {
            g += self.a[i] * (x[0] - self.c[i]) / n;
            l += 0.5 * self.a[i] * (x[0] - self.c[i]).powi(2) / n;
        }
        out.dense_mut(1)[0] = g;
        Some(l)
    }
    fn batch_len(&self) -> usize {
        self.a.len()
    }
    fn focus(&mut self, chunk: Option<Range<usize>>) {
        self.focus = chunk;
    }
}

fn quads() -> Quadratics {
    Quadratics {
        a: vec![1.0, 3.0, 0.5, 2.0],
        c: vec![0.3, -0.2, 1.0, 0.1],
        focus: None,
    }
}

/// m-sharpness (SAM paper, section 4.1; review section 2.3): "the batch is split into chunks of m
/// samples, each with its own perturbation", the step uses the average of the chunk gradients at
/// their own perturbed points. Hand-written for m = 1 and m = 2 on four 1-D quadratics; every
/// step still costs two gradient evaluations of the batch.
#[test]
fn m_sharpness_matches_hand_written_chunked_sam_on_a_minibatch_objective() {
    let (eta, rho) = (0.1, 0.05);
    for m in [1usize, 2, 4] {
        let h = Hyper {
            m: Some(m),
            ..Hyper::lr(eta).unwrap()
        };
        let opt = build::<f64>(Method::Sam { rho }, &h, None).unwrap();
        let mut o = quads();
        let out = run(opt, &[2.0], &mut o, &RunConfig::steps(7), &mut []).unwrap();
        // reference
        let q = quads();
        let mut x = 2.0f64;
        for _ in 0..7 {
            let mut step = 0.0;
            for lo in (0..4).step_by(m) {
                let r = lo..(lo + m).min(4);
                let w = r.len() as f64 / 4.0;
                let grad =
                    |x: f64| r.clone().map(|i| q.a[i] * (x - q.c[i])).sum::<f64>() / r.len() as f64;
                let g = grad(x);
                let e = if g != 0.0 { rho * g.signum() } else { 0.0 };
                step += w * grad(x + e);
            }
            x -= eta * step;
        }
        assert!((out.x[0] - x).abs() < 1e-14, "m = {m}: {} vs {x}", out.x[0]);
        assert_eq!(out.grad_evals, 14, "m = {m}: two batch gradients per step");
    }
}

/// SGD's one-pass return `x ← saved − η g` is the same as restoring and then stepping.
#[test]
fn sgd_update_from_equals_restore_then_update_bit_for_bit() {
    let d = 37;
    let x0: Vec<f32> = (0..d).map(|i| (i as f32 * 0.37).sin()).collect();
    let mut g = Grad::<f32>::zeros(d);
    let (vals, sup) = g.parts_mut();
    for (i, v) in vals.iter_mut().enumerate() {
        *v = (i as f32 * 1.3).cos();
    }
    *sup = vec![0..10, 20..37];
    vals[10..20].fill(0.0);
    let mut saved = Saved::default();
    let mut x = x0.clone();
    saved.climb(&mut x, &g, 0.7);
    let mut a = x.clone();
    let mut b = x.clone();
    let mut sgd = Gd::new(Schedule::constant(0.01).unwrap());
    BaseOptimizer::<f32>::update_from(&mut sgd, &mut a, &saved, &g, 0).unwrap();
    saved.restore(&mut b);
    BaseOptimizer::<f32>::update(&mut sgd, &mut b, &g, 0).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, x0);
}

/// Adam (Kingma & Ba 2014, Algorithm 1: bias-corrected m̂, v̂, step lr·m̂/(√v̂ + ε)) for two steps
/// against a hand-written f64 update; the stack's PyTorch arrangement lr/(1−β₁ᵗ)·m/(√v/√(1−β₂ᵗ)+ε)
/// is the same formula, so they agree to rounding.
#[test]
fn adam_two_steps_match_hand_written_f64() {
    let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-8);
    let mut adam = Adam::<f64>::new(Schedule::constant(lr).unwrap(), b1, b2, eps).unwrap();
    let gs = [[0.5, -2.0], [0.1, 3.0]];
    let mut x = [1.0, -1.0];
    let (mut m, mut v, mut want) = ([0.0; 2], [0.0; 2], [1.0f64, -1.0]);
    for (t, gv) in gs.iter().enumerate() {
        let mut g = Grad::default();
        g.dense_mut(2).copy_from_slice(gv);
        adam.update(&mut x, &g, t).unwrap();
        let k = (t + 1) as i32;
        for i in 0..2 {
            m[i] = b1 * m[i] + (1.0 - b1) * gv[i];
            v[i] = b2 * v[i] + (1.0 - b2) * gv[i] * gv[i];
            let mhat = m[i] / (1.0 - b1.powi(k));
            let vhat = v[i] / (1.0 - b2.powi(k));
            want[i] -= lr * mhat / (vhat.sqrt() + eps);
        }
    }
    for i in 0..2 {
        assert!((x[i] - want[i]).abs() < 1e-14, "{} vs {}", x[i], want[i]);
    }
}

/// ρ = 0: every SAM-family member is its base optimizer (two gradients, same step).
#[test]
fn sam_family_with_rho_zero_is_sgd() {
    let mut o = quads();
    let sgd = build::<f64>(Method::Sgd, &Hyper::lr(0.1).unwrap(), None).unwrap();
    let a = run(sgd, &[2.0], &mut o, &RunConfig::steps(5), &mut []).unwrap();
    for m in [
        Method::Sam { rho: 0.0 },
        Method::Usam { rho: 0.0 },
        Method::Asam {
            rho: 0.0,
            eta: 0.01,
        },
    ] {
        let opt: Box<dyn Optimizer + Send> = build(m, &Hyper::lr(0.1).unwrap(), None).unwrap();
        let b = run(opt, &[2.0], &mut quads(), &RunConfig::steps(5), &mut []).unwrap();
        assert_eq!(a.x, b.x, "{m:?}");
        assert_eq!(b.grad_evals, 10);
    }
}
