//! Claims about the SAM update itself (review section 2.1, Eq. 3 and Eq. 4).

use proptest::prelude::*;
use samlab::objectives::{Fig1, Fig2, Gradient, Objective, Rosenbrock};
use samlab::optim::{
    run, ExactGradient, Gd, Grad, Optimizer, PerturbationRule, Plain, RunConfig, Sam, SamRule,
    Saved, Schedule, TraceRow,
};

fn trace<O: Optimizer, F: Gradient>(opt: O, f: &F, x0: &[f64], n: usize) -> Vec<Vec<f64>> {
    let mut t = Vec::new();
    let mut rec = |r: &TraceRow| t.push(r.x.to_vec());
    run(
        opt,
        x0,
        &mut ExactGradient(f),
        &RunConfig::steps(n),
        &mut [&mut rec],
    )
    .unwrap();
    t
}

/// Independent reference: Eq. (3) written out by hand, x ← x − η ∇f(x + ρ g/‖g‖).
fn reference_sam<F: Gradient>(f: &F, x0: &[f64], eta: f64, rho: f64, n: usize) -> Vec<f64> {
    let mut x = x0.to_vec();
    for _ in 0..n {
        let g = f.gradient(&x);
        let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        let p: Vec<f64> = x
            .iter()
            .zip(&g)
            .map(|(a, b)| if norm > 0.0 { a + rho * b / norm } else { *a })
            .collect();
        let gs = f.gradient(&p);
        for (xi, gi) in x.iter_mut().zip(&gs) {
            *xi -= eta * gi;
        }
    }
    x
}

proptest! {
    /// "SAM is exactly GD when ρ=0" (section 2.1.2): with ρ = 0 the SAM iterates equal the GD
    /// iterates step for step, bit for bit.
    #[test]
    fn sam_with_rho_zero_equals_gd_step_for_step(
        x in -2.0f64..2.0, y in -2.0f64..2.0, eta in 1e-5f64..2e-4, n in 1usize..200,
    ) {
        let f = Rosenbrock::new(2);
        let gd = trace(Plain::new(Gd::new(Schedule::constant(eta).unwrap())), &f, &[x, y], n);
        let sam = trace(Sam::new(Gd::new(Schedule::constant(eta).unwrap()), Schedule::constant(0.0).unwrap()), &f, &[x, y], n);
        prop_assert_eq!(gd, sam);
    }

    /// Eq. (3): the perturbation ê = ρ ∇L/‖∇L‖ has norm exactly ρ whenever ∇L ≠ 0.
    #[test]
    fn perturbation_has_norm_rho_when_gradient_nonzero(
        g in proptest::collection::vec(-1e3f64..1e3, 1..20), rho in 1e-6f64..10.0,
    ) {
        prop_assume!(g.iter().any(|v| *v != 0.0));
        let mut grad = Grad::default();
        grad.dense_mut(g.len()).copy_from_slice(&g);
        let mut e = vec![0.0; g.len()]; // climbing from 0 leaves x = ê
        SamRule::new(0.0).unwrap().climb(&mut e, &grad, grad.norm(), rho, &mut Saved::default());
        let n = e.iter().map(|v| v * v).sum::<f64>().sqrt();
        prop_assert!((n - rho).abs() <= 1e-12 * rho, "|e| = {} vs rho = {}", n, rho);
    }

    /// Eq. (3) as implemented by the optimizer matches a hand-written reference of Eq. (3).
    #[test]
    fn sam_matches_hand_written_eq3(x in -1.5f64..2.5, y in -1.5f64..1.5, rho in 0.0f64..0.3, n in 1usize..100) {
        let t = trace(Sam::new(Gd::new(Schedule::constant(0.05).unwrap()), Schedule::constant(rho).unwrap()), &Fig2, &[x, y], n);
        let r = reference_sam(&Fig2, &[x, y], 0.05, rho, n);
        let last = t.last().unwrap();
        for (a, b) in last.iter().zip(&r) {
            prop_assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()));
        }
    }
}

/// "the update equation above invalid if ∇L_S = 0" (section 2.1.1): with the convention ê = 0
/// at a zero gradient, a SAM step from a stationary point is finite (here: it stays put).
#[test]
fn zero_gradient_gives_a_finite_sam_step() {
    let sam = |rho: f64| {
        Sam::new(
            Gd::new(Schedule::constant(0.1).unwrap()),
            Schedule::constant(rho).unwrap(),
        )
    };
    // (1, 0.7) lies on Figure 2's minimum line x = 1, where the gradient is exactly zero.
    let t = trace(sam(0.05), &Fig2, &[1.0, 0.7], 5);
    assert!(t.iter().flatten().all(|v| v.is_finite()));
    assert_eq!(t.last().unwrap(), &vec![1.0, 0.7]);
    // x = 0 is Figure 1's sharp minimum: gradient exactly zero.
    let t = trace(sam(0.1), &Fig1, &[0.0], 5);
    assert_eq!(t.last().unwrap(), &vec![0.0]);
}

/// Divergence is detected and reported with its step, never returned as numbers.
#[test]
fn divergence_is_reported_with_the_step() {
    let err = run(
        Plain::new(Gd::new(Schedule::constant(10.0).unwrap())),
        &[3.0, 3.0],
        &mut ExactGradient(&Rosenbrock::new(2)),
        &RunConfig::steps(1000),
        &mut [],
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("diverged at step"), "{msg}");
}

/// The loop counts two gradient evaluations per SAM step and one per GD step.
#[test]
fn sam_costs_two_gradients_per_step() {
    let s = run(
        Sam::new(
            Gd::new(Schedule::constant(0.01).unwrap()),
            Schedule::constant(0.1).unwrap(),
        ),
        &[0.3, 0.2],
        &mut ExactGradient(&Fig2),
        &RunConfig::steps(17),
        &mut [],
    )
    .unwrap();
    let g = run(
        Plain::new(Gd::new(Schedule::constant(0.01).unwrap())),
        &[0.3, 0.2],
        &mut ExactGradient(&Fig2),
        &RunConfig::steps(17),
        &mut [],
    )
    .unwrap();
    assert_eq!((s.grad_evals, g.grad_evals), (34, 17));
    assert!(Fig2.value(&s.x).is_finite());
}
