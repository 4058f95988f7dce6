//! The Figure 1 and Figure 2 outcomes reported in notebooks-md/01-toy-landscapes.md, each checked
//! against an independent oracle (closed forms, a hand-written reference loop).

use proptest::prelude::*;
use samlab::experiments::toy::{fig1_defaults, fig2_defaults};
use samlab::experiments::toy::{lambda_max, ToySettings};
use samlab::objectives::{Fig1, Fig2, Gradient, Hessian};

/// A hand-written GD/SAM loop (independent of sam-optim): Eq. (4) and Eq. (3).
fn reference<F: Gradient>(f: &F, s: &ToySettings, sam: bool) -> Vec<f64> {
    let mut x = s.start.clone();
    for _ in 0..s.iterations {
        let mut g = f.gradient(&x);
        if sam {
            let n = g.iter().map(|v| v * v).sum::<f64>().sqrt();
            if n > 0.0 {
                let p: Vec<f64> = x.iter().zip(&g).map(|(a, b)| a + s.rho * b / n).collect();
                g = f.gradient(&p);
            }
        }
        for (xi, gi) in x.iter_mut().zip(&g) {
            *xi -= s.eta * gi;
        }
    }
    x
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Review, Figure 1: "simple GD sometimes may stop when the landscape is sharp". Measured: GD
    /// stops at the sharp minimum x = 0 when it is stable there, η < 2/f''(0) = 1e-4
    /// (f''(0) = 2/ε, checked by finite differences in `fig1_stability_bound_is_1e_minus_4`);
    /// from a start left of the well it then ends at x = 0.
    #[test]
    fn fig1_gd_stops_at_sharp_minimum_when_eta_below_stability_bound(x0 in -1.2f64..-0.1, eta in 2e-5f64..9e-5) {
        let s = ToySettings { eta, rho: 0.0, iterations: (4.0 / eta) as usize, start: vec![x0] };
        let x = reference(&Fig1, &s, false)[0];
        prop_assert!(x.abs() < 1e-3, "GD ended at {}", x);
    }

    /// The other side of the bound (the "trapped" rows of the report's grid): just above
    /// η = 1e-4, GD can no longer settle at x = 0, but neither does it leave the sharp well: it
    /// keeps oscillating around 0 (the last 200 iterates do not all stay within 1e-3 of 0, so it
    /// has not converged there, yet all stay within 0.1 of it, far from the flat minimum x = 1).
    #[test]
    fn fig1_gd_trapped_oscillating_in_sharp_well_just_above_stability_bound(x0 in -1.2f64..-0.1, eta in 1.1e-4f64..4e-4) {
        let s = ToySettings { eta, rho: 0.0, iterations: (10.0 / eta) as usize, start: vec![x0] };
        let mut x = reference(&Fig1, &s, false)[0];
        let mut max_abs = 0.0f64;
        for _ in 0..200 {
            x -= eta * Fig1.gradient(&[x])[0];
            max_abs = max_abs.max(x.abs());
        }
        prop_assert!(max_abs > 1e-3, "GD converged to 0 with eta {}", eta);
        prop_assert!(max_abs < 0.1, "GD left the well (|x| up to {}) with eta {}", max_abs, eta);
    }

    /// Review, Figure 1: "SAM can go through the sharp landscape and get a flatter minima".
    /// Measured (the correct claim): with the same η < 1e-4 and ρ above the barrier top
    /// (x_peak ≈ 0.045), SAM does not reach x = 1: it stops at x = ρ, where the perturbed point
    /// x − ρ sits on the sharp minimum, so ∇f(x + ê) = 0 (the review's own warning that SAM stops
    /// where ∇L(θ+ê) = 0, section 2.1.1). x = ρ is not a minimum of f.
    #[test]
    fn fig1_sam_stops_at_x_equal_rho_not_at_flat_minimum(x0 in -1.2f64..-0.1, eta in 2e-5f64..9e-5, rho in 0.06f64..0.5) {
        let s = ToySettings { eta, rho, iterations: (4.0 / eta) as usize, start: vec![x0] };
        let x = reference(&Fig1, &s, true)[0];
        prop_assert!((x - rho).abs() < 1e-3, "SAM ended at {} with rho {}", x, rho);
        prop_assert!(Fig1.gradient(&[x - rho])[0].abs() < 1.0);
    }

    /// Measured: with η ≥ 1e-3 (well above GD's stability bound at x = 0), GD itself cannot stay
    /// in the sharp well and ends at the flat minimum x = 1 from every start in [−1.5, 2].
    #[test]
    fn fig1_gd_escapes_sharp_minimum_when_unstable_there(x0 in -1.5f64..2.0, eta in 1e-3f64..0.1) {
        let s = ToySettings { eta, rho: 0.0, iterations: (10.0 / eta) as usize, start: vec![x0] };
        let x = reference(&Fig1, &s, false)[0];
        prop_assert!((x - 1.0).abs() < 1e-2, "GD ended at {}", x);
    }

    /// Review, section 2.3.1 (Figure 2) with its ρ = 1e-5: away from GD's unstable region, GD and
    /// SAM end at the same λ_max to within 1e-3 relative, so ρ = 1e-5 cannot separate them. The
    /// oracle for where GD ends is the gradient-flow invariant a² − y² (a = x − 1):
    /// λ_max(GD) ≈ 2|a₀² − y₀²|.
    #[test]
    fn fig2_paper_rho_cannot_separate_gd_and_sam(x0 in -0.5f64..0.6, y0 in 0.3f64..1.0) {
        let s = ToySettings { eta: 0.1, rho: 1e-5, iterations: 1000, start: vec![x0, y0] };
        let gd = lambda_max(&Fig2, &reference(&Fig2, &s, false));
        let sam = lambda_max(&Fig2, &reference(&Fig2, &s, true));
        let a0 = x0 - 1.0;
        let invariant = 2.0 * (a0 * a0 - y0 * y0).abs();
        prop_assume!(invariant > 0.05);
        prop_assert!((gd - sam).abs() <= 1e-3 * gd.max(1e-3), "gd {} sam {}", gd, sam);
        prop_assert!((gd - invariant).abs() <= 0.15 * invariant, "gd {} invariant {}", gd, invariant);
    }
}

/// Review, Figure 2: "max eigenvalue of ∇²f(x_GD) = 1.225 and ... ∇²f(x_SAM) = 0.016".
/// Reproduced within 5% by `samlab toy fig2`'s defaults (η = 0.1, 1000 iterations, the found start
/// and ρ ≈ 0.1), recomputed here with the hand-written loop.
#[test]
fn fig2_default_settings_reproduce_review_eigenvalues_within_5_percent() {
    let s = fig2_defaults();
    assert_eq!((s.eta, s.iterations), (0.1, 1000));
    let gd = lambda_max(&Fig2, &reference(&Fig2, &s, false));
    let sam = lambda_max(&Fig2, &reference(&Fig2, &s, true));
    assert!((gd / 1.225 - 1.0).abs() < 0.05, "GD lambda_max {gd}");
    assert!((sam / 0.016 - 1.0).abs() < 0.05, "SAM lambda_max {sam}");
}

/// Figure 1's showcase (`samlab toy fig1` defaults): GD ends at the sharp minimum, SAM at x = ρ.
#[test]
fn fig1_default_settings_show_gd_sharp_and_sam_at_rho() {
    let s = fig1_defaults();
    let gd = reference(&Fig1, &s, false)[0];
    let sam = reference(&Fig1, &s, true)[0];
    assert!(gd.abs() < 1e-3, "GD {gd}");
    assert!((sam - s.rho).abs() < 1e-3, "SAM {sam}");
}

/// GD's stability bound at the sharp minimum: 2/f''(0) = 1e-4, with f''(0) from central finite
/// differences of the analytic gradient (an oracle independent of the analytic Hessian) and from
/// the closed form 2/ε, ε = 1e-4.
#[test]
fn fig1_stability_bound_is_1e_minus_4() {
    let h = 1e-7;
    let fd = (Fig1.gradient(&[h])[0] - Fig1.gradient(&[-h])[0]) / (2.0 * h);
    assert!(
        (fd - 2.0 / 1e-4).abs() < 1e-3 * fd,
        "f''(0) by differences = {fd}"
    );
    assert!((Fig1.hessian(&[0.0])[(0, 0)] - fd).abs() < 1e-3 * fd);
    assert!((2.0 / fd - 1e-4).abs() < 1e-7);
}

/// Issue 11, item 21: the claim tests above use a hand-written loop; this one tests the code that
/// produced `results/fig1/grid.csv`. On a small grid (η on both sides of the stability bound,
/// ρ below and above the barrier top, starts on both sides of the sharp well) every outcome is
/// the classification of the hand-written GD/SAM loop's end point, and where that end point is a
/// stable fixed point (the flat minimum, SAM's x = ρ) the end points agree to rounding (the stack
/// scales by ρ/‖g‖ before multiplying, the loop after; inside the sharp well the bouncing is
/// chaotic, so there only the outcome is compared).
#[test]
fn fig1_grid_cells_match_the_reference_loop() {
    use samlab::experiments::toy::fig1::{classify, run_grid, Config};
    let cfg = Config {
        etas: vec![5e-5, 3e-4],
        rhos: vec![0.02, 0.2],
        starts: vec![-0.4877, 0.3123, 1.5123],
        horizon: 5.0,
        min_iterations: 200,
        max_iterations: 100_000,
    };
    let rows = run_grid(&cfg, &|| {}).unwrap();
    assert_eq!(rows.len(), 12);
    use samlab::experiments::toy::fig1::Outcome;
    let stable = |o| matches!(o, Outcome::Flat | Outcome::ShiftedRho);
    // the grid reaches both kinds of end: stable points (compared to rounding) and others
    assert!(rows
        .iter()
        .any(|r| stable(r.sam_outcome) && stable(r.gd_outcome)));
    assert!(rows.iter().any(|r| !stable(r.sam_outcome)));
    for r in &rows {
        let s = ToySettings {
            eta: r.eta,
            rho: r.rho,
            iterations: cfg.iterations(r.eta),
            start: vec![r.start],
        };
        assert_eq!(r.iterations, s.iterations);
        let gd = reference(&Fig1, &s, false)[0];
        let sam = reference(&Fig1, &s, true)[0];
        assert_eq!(r.gd_outcome, classify(gd, 0.0), "{r:?} vs GD {gd}");
        assert_eq!(r.sam_outcome, classify(sam, r.rho), "{r:?} vs SAM {sam}");
        if stable(r.gd_outcome) {
            assert!((r.gd_final - gd).abs() <= 1e-6, "{r:?} vs GD {gd}");
        }
        if stable(r.sam_outcome) {
            assert!((r.sam_final - sam).abs() <= 1e-6, "{r:?} vs SAM {sam}");
        }
    }
}
