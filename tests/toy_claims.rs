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

/// The last 10% of the hand-written loop's iterates (1-D), the last one included.
fn reference_tail<F: Gradient>(f: &F, s: &ToySettings, sam: bool) -> Vec<f64> {
    let from = s.iterations - s.iterations / 10;
    let mut x = reference(
        f,
        &ToySettings {
            iterations: from,
            ..s.clone()
        },
        sam,
    )[0];
    let mut out = vec![x];
    for _ in from..s.iterations {
        x = reference(
            f,
            &ToySettings {
                iterations: 1,
                start: vec![x],
                ..s.clone()
            },
            sam,
        )[0];
        out.push(x);
    }
    out
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

    /// Review, section 2.3.1 (Figure 2) with its ρ = 1e-5: away from GD's unstable region,
    /// SAM ends where GD ends except for the first-order drift accumulated along the path:
    /// (λ_GD − λ_SAM) / (λ_GD·Σₜ 4ηρ|aₜyₜ|(1/rₜ + 2ηrₜ)) lies in [0.85, 1.05] (differences of
    /// order 1e-5, not a 1e-3 slack; see the test above for why the sum runs 0-10% high). The oracle for where GD ends is the gradient-flow invariant a² − y²
    /// (a = x − 1): λ_max(GD) ≈ 2|a₀² − y₀²|.
    #[test]
    fn fig2_paper_rho_cannot_separate_gd_and_sam(x0 in -0.5f64..0.6, y0 in 0.3f64..1.0) {
        let s = ToySettings { eta: 0.1, rho: 1e-5, iterations: 1000, start: vec![x0, y0] };
        let gd = lambda_max(&Fig2, &reference(&Fig2, &s, false));
        let sam = lambda_max(&Fig2, &reference(&Fig2, &s, true));
        let a0 = x0 - 1.0;
        let invariant = 2.0 * (a0 * a0 - y0 * y0).abs();
        prop_assume!(invariant > 0.05);
        let predicted = gd * first_order_drift(&s);
        let ratio = (gd - sam) / predicted;
        prop_assert!((0.85..=1.05).contains(&ratio), "gd {} sam {} predicted {}", gd, sam, predicted);
        prop_assert!((gd - invariant).abs() <= 0.15 * invariant, "gd {} invariant {}", gd, invariant);
    }

    /// The closed form behind the drift (fig2::step_factor, derived in its doc comment): one
    /// step of the hand-written GD or SAM loop multiplies Q = (x−1)² − y² by exactly
    /// 1 − 4ηρ·sãỹ/r − 4η²(ãỹ)²(1 − ρ²/r²), to rounding.
    #[test]
    fn fig2_one_step_changes_q_by_the_closed_form_factor(x in -2.0f64..3.0, y in -2.0f64..2.0, rho in 0.0f64..0.3) {
        use samlab::experiments::toy::fig2::{conserved, step_factor};
        let s = ToySettings { eta: 0.1, rho, iterations: 1, start: vec![x, y] };
        let q = conserved(&[x, y]);
        for sam in [false, true] {
            let after = conserved(&reference(&Fig2, &s, sam));
            let factor = step_factor(0.1, if sam { rho } else { 0.0 }, &[x, y]);
            prop_assert!((after - q * factor).abs() <= 1e-12 * (1.0 + q.abs() + after.abs()), "sam {} after {} closed {}", sam, after, q * factor);
        }
    }

    /// Issue 11, item 4(a): for ρ below the barrier top x* ≈ 0.045, SAM is attracted to the
    /// local maximum x* itself (x ± ρ sit on opposite slopes, so each step points back to x*):
    /// with η = 1.78e-3 and ρ = 0.02, SAM from a start left of the well ends with its whole last
    /// 10% of iterates within ρ of x*, while GD reaches the flat minimum.
    #[test]
    fn fig1_sam_is_attracted_to_the_barrier_top_for_small_rho(x0 in -1.2f64..-0.1) {
        use samlab::experiments::toy::fig1::barrier_top;
        let (eta, rho) = (1.778e-3, 0.02);
        let s = ToySettings { eta, rho, iterations: 3000, start: vec![x0] };
        let tail = reference_tail(&Fig1, &s, true);
        let peak = barrier_top();
        prop_assert!(tail.iter().all(|x| (x - peak).abs() < rho), "SAM tail {:?}", (tail.first(), tail.last()));
        prop_assert!((reference(&Fig1, &s, false)[0] - 1.0).abs() < 0.05);
    }
}

/// The drift predicted to first order along GD's own path: Σₜ 4ηρ|aₜyₜ|(1/rₜ + 2ηrₜ), the
/// relative amount by which SAM's steps shrink Q = a² − y² beyond GD's (report 01, "Why
/// ρ = 10⁻⁵ cannot do it"); λ_max at the end is 2|Q| on the valley y = 0.
fn first_order_drift(s: &ToySettings) -> f64 {
    let mut x = s.start.clone();
    let mut total = 0.0;
    for _ in 0..s.iterations {
        let (a, y) = (x[0] - 1.0, x[1]);
        let r = (a * a + y * y).sqrt();
        total += 4.0 * s.eta * s.rho * (a * y).abs() * (1.0 / r + 2.0 * s.eta * r);
        let g = Fig2.gradient(&x);
        x[0] -= s.eta * g[0];
        x[1] -= s.eta * g[1];
    }
    total
}

/// Issue 11, item 19 (replacing a test of the bisected setting): the review's Figure 2 claims
/// SAM with ρ = 1e-5 ends at λ_max = 0.016 where GD ends at 1.225. Found: from the start that
/// gives GD 1.225, ρ = 1e-5 moves SAM's end by λ_GD − λ_SAM ≈ 1.8e-5, and that difference is
/// the first-order drift accumulated along GD's path: their ratio lies in [0.85, 1.05] (a
/// tolerance tied to the true difference, not 1e-3; the sum neglects how a perturbation of the
/// iterate changes GD's later factors 1 − 4η²a²y², which makes it 0-10% too large over the
/// stable region, 6% here). Negative control: the "order ρ² per step" the report used to state
/// predicts 1000·4ηρ²·λ, over a hundred times too small.
#[test]
fn fig2_paper_rho_moves_sam_by_the_first_order_drift_only() {
    let rep = fig2_defaults();
    let s = ToySettings { rho: 1e-5, ..rep };
    let gd = lambda_max(&Fig2, &reference(&Fig2, &s, false));
    let sam = lambda_max(&Fig2, &reference(&Fig2, &s, true));
    let measured = gd - sam;
    let predicted = gd * first_order_drift(&s);
    assert!((gd / 1.225 - 1.0).abs() < 1e-3, "GD lambda_max {gd}");
    let ratio = measured / predicted;
    assert!(
        (0.85..=1.05).contains(&ratio),
        "measured {measured:e}, first-order prediction {predicted:e}"
    );
    assert!(
        measured < 1e-4 && sam > 1.2,
        "rho = 1e-5 does not reach 0.016: {sam}"
    );
    let second_order_only = gd * 4.0 * s.eta * s.rho * s.rho * s.iterations as f64;
    assert!(
        measured > 100.0 * second_order_only,
        "{measured:e} vs {second_order_only:e}"
    );
}

/// Issue 11, item 1: "SAM changes GD's conserved quantity only at order ρ² per step" was wrong.
/// Over whole 1000-step runs from the Part B start, λ_GD − λ_SAM grows linearly in ρ: the
/// fitted log-log slope over ρ ∈ [1e-6, 1e-4] is 1 ± 0.03 (order ρ² would give 2), with the
/// hand-written loop.
#[test]
fn fig2_sam_drift_is_first_order_in_rho() {
    let base = fig2_defaults();
    let pts: Vec<(f64, f64)> = [1e-6, 3e-6, 1e-5, 3e-5, 1e-4]
        .iter()
        .map(|&rho| {
            let s = ToySettings {
                rho,
                ..base.clone()
            };
            let gd = lambda_max(&Fig2, &reference(&Fig2, &s, false));
            let sam = lambda_max(&Fig2, &reference(&Fig2, &s, true));
            (rho, gd - sam)
        })
        .collect();
    let slope = sam_results::log_log_slope(&pts);
    assert!((slope - 1.0).abs() < 0.03, "slope {slope} from {pts:?}");
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
/// the classification of the hand-written GD/SAM loop's last 10% of iterates, and where the run
/// ends at a stable fixed point (the flat minimum, SAM's x = ρ) the end points agree to rounding
/// (the stack scales by ρ/‖g‖ before multiplying, the loop after; inside the sharp well the
/// bouncing is chaotic, so there only the outcome is compared).
#[test]
fn fig1_grid_cells_match_the_reference_loop() {
    use samlab::experiments::toy::fig1::{barrier_top, classify, run_grid, Config, Outcome, Tail};
    let cfg = Config {
        etas: vec![5e-5, 3e-4],
        rhos: vec![0.02, 0.2],
        starts: vec![-0.4877, 0.3123, 1.5123],
        horizon: 5.0,
        min_iterations: 200,
        max_iterations: 100_000,
        ..Config::quick()
    };
    let rows = run_grid(&cfg, &|| {}).unwrap();
    assert_eq!(rows.len(), 12);
    let stable = |o| matches!(o, Outcome::Flat | Outcome::ShiftedRho);
    // the grid reaches both kinds of end: stable points (compared to rounding) and others
    assert!(rows
        .iter()
        .any(|r| stable(r.sam_outcome) && stable(r.gd_outcome)));
    assert!(rows.iter().any(|r| !stable(r.sam_outcome)));
    let peak = barrier_top();
    let tail_of = |v: Vec<f64>| Tail {
        last: *v.last().unwrap(),
        lo: v.iter().copied().fold(f64::INFINITY, f64::min),
        hi: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    };
    for r in &rows {
        let s = ToySettings {
            eta: r.eta,
            rho: r.rho,
            iterations: cfg.iterations(r.eta),
            start: vec![r.start],
        };
        assert_eq!(r.iterations, s.iterations);
        let gd = tail_of(reference_tail(&Fig1, &s, false));
        let sam = tail_of(reference_tail(&Fig1, &s, true));
        assert_eq!(r.gd_outcome, classify(gd, 0.0, peak), "{r:?} vs GD {gd:?}");
        assert_eq!(
            r.sam_outcome,
            classify(sam, r.rho, peak),
            "{r:?} vs SAM {sam:?}"
        );
        if stable(r.gd_outcome) {
            assert!((r.gd_final - gd.last).abs() <= 1e-6, "{r:?} vs GD {gd:?}");
        }
        if stable(r.sam_outcome) {
            assert!(
                (r.sam_final - sam.last).abs() <= 1e-6,
                "{r:?} vs SAM {sam:?}"
            );
        }
    }
}

/// Issue 11, item 4(c): on (x*, 1) f' < 0, so SAM's ê = −ρ and, written in y = x − ρ, SAM's step
/// y' = y − ηf'(y) is GD's. With the hand-written loop: SAM started at ρ + 0.003 stays exactly
/// ρ above GD started at 0.003 (to 1e-9 over 20000 steps of a stable η), so SAM's stall at x = ρ
/// is GD's stall at 0; and the experiment's escape study finds the same escape threshold
/// (about 7.6e-4) for GD and for SAM at every ρ, to 1e-3 relative.
#[test]
fn fig1_sam_stall_at_rho_is_gd_stall_at_zero_shifted() {
    use samlab::experiments::toy::fig1::{run_escape, Config};
    for rho in [0.1, 0.5, 0.9] {
        let mut gd = 0.003f64;
        let mut sam = rho + 0.003;
        let eta = 5e-5;
        for t in 0..20_000 {
            gd = reference(
                &Fig1,
                &ToySettings {
                    eta,
                    rho: 0.0,
                    iterations: 1,
                    start: vec![gd],
                },
                false,
            )[0];
            sam = reference(
                &Fig1,
                &ToySettings {
                    eta,
                    rho,
                    iterations: 1,
                    start: vec![sam],
                },
                true,
            )[0];
            assert!(
                (sam - rho - gd).abs() < 1e-9,
                "rho {rho} step {t}: SAM {sam} GD {gd}"
            );
        }
    }
    let cfg = Config {
        escape_etas: (7.0e-4, 8.2e-4, 7),
        escape_rhos: vec![0.2, 0.9],
        ..Config::default()
    };
    let (_, thresholds) = run_escape(&cfg).unwrap();
    assert_eq!(thresholds.len(), 3, "{thresholds:?}");
    let gd = thresholds[0].eta_escape;
    assert!((7.5e-4..7.8e-4).contains(&gd), "GD escapes at {gd}");
    for t in &thresholds[1..] {
        assert!((t.eta_escape / gd - 1.0).abs() < 1e-3, "{t:?} vs GD {gd}");
    }
}

/// Issue 11, item 4(e): the review's picture (GD at the sharp minimum, SAM at the flat one) needs
/// different η for the two. On the experiment's own grid code, with η fine around both GD's
/// stability bound 1e-4 and the escape threshold 7.6e-4, starts left of the well and ρ below and
/// above the barrier top up to 0.95: GD ends at 0 only below 1e-4, SAM at 1 only above the escape
/// threshold, so no η gives both; each happens at some η.
#[test]
fn fig1_gd_sharp_and_sam_flat_need_different_eta() {
    use samlab::experiments::toy::fig1::{run_grid, summarize, Config, Verdict};
    let cfg = Config {
        etas: vec![5e-5, 9e-5, 1.1e-4, 3e-4, 7e-4, 8.5e-4, 2e-3],
        rhos: vec![0.02, 0.2, 0.95],
        starts: vec![-0.9877, -0.4877],
        ..Config::default()
    };
    let rows = run_grid(&cfg, &|| {}).unwrap();
    let v = Verdict::compute(&rows, &summarize(&rows), &[]);
    assert_eq!(v.claim_holds, 0);
    let gd_max = v.gd_sharp_eta_max.expect("GD ends at 0 at some eta");
    let sam_min = v
        .sam_flat_from_left_eta_min
        .expect("SAM ends at 1 at some eta");
    assert!(
        gd_max < 1e-4 && sam_min > 7e-4,
        "GD sharp up to {gd_max}, SAM flat from {sam_min}"
    );
    assert!(v.needs_different_eta);
}

fn committed<T: serde::de::DeserializeOwned>(file: &str) -> Vec<T> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("results/fig2")
        .join(file);
    sam_results::read_csv(&path).unwrap()
}

/// Issue 11, item 2: starts exist in the chaotic region that give both review numbers with
/// ρ = 1e-5, but only fragilely. Every start of `results/fig2/chaos_hits.csv` reproduces both
/// numbers (5%) with the hand-written loop, and none survives a 10% change of ρ (the report's
/// "robustly only with ρ ≈ 0.1"); there is at least one such start.
#[test]
fn fig2_paper_rho_reproduces_both_numbers_only_fragilely() {
    use samlab::experiments::toy::fig2::HitRow;
    let hits: Vec<HitRow> = committed("chaos_hits.csv");
    assert!(!hits.is_empty());
    let near = |v: f64, t: f64| (v / t - 1.0).abs() <= 0.05;
    for h in &hits {
        let at = |rho: f64| {
            let s = ToySettings {
                eta: 0.1,
                rho,
                iterations: 1000,
                start: vec![h.x0, h.y0],
            };
            (
                lambda_max(&Fig2, &reference(&Fig2, &s, false)),
                lambda_max(&Fig2, &reference(&Fig2, &s, true)),
            )
        };
        let (gd, sam) = at(1e-5);
        assert!(near(gd, 1.225) && near(sam, 0.016), "{h:?}: {gd} {sam}");
        for k in [0.9, 1.1] {
            let (gd, sam) = at(k * 1e-5);
            assert!(
                !(near(gd, 1.225) && near(sam, 0.016)),
                "{h:?} survives rho x {k}"
            );
        }
    }
}

/// Issue 11, item 3: at a common radius the SAM end point of the reproducing run is the flatter
/// one (κ at ρ = 1e-5 and at ρ = 0.1016 both below GD's), although at each run's own ρ it looks
/// sharper. Oracle: brute force over 20000 points of the ball (boundary and interior radii)
/// against the committed exact values, to 1e-3 relative.
#[test]
fn fig2_sam_end_is_flatter_than_gd_end_at_a_common_radius() {
    use samlab::experiments::toy::fig2::CommonRadiusRow;
    use samlab::objectives::Objective;
    let rows: Vec<CommonRadiusRow> = committed("common_radius.csv");
    let brute = |x: f64, y: f64, rho: f64| {
        let f0 = Fig2.value(&[x, y]);
        let mut best = 0.0f64;
        for i in 0..2000 {
            let t = std::f64::consts::TAU * i as f64 / 2000.0;
            for k in 1..=10 {
                let r = rho * k as f64 / 10.0;
                best = best.max(Fig2.value(&[x + r * t.cos(), y + r * t.sin()]) - f0);
            }
        }
        best
    };
    for r in &rows {
        for (rho, kappa) in [(1e-5, r.kappa_paper_rho), (0.1016, r.kappa_reproducing_rho)] {
            let b = brute(r.x, r.y, rho);
            assert!((b / kappa - 1.0).abs() < 1e-3, "{r:?} at {rho}: brute {b}");
        }
    }
    let get = |run: &str| rows.iter().find(|r| r.run == run).unwrap();
    let (gd, sam) = (get("gd"), get("sam_reproducing_rho"));
    assert!(sam.kappa_paper_rho < gd.kappa_paper_rho);
    assert!(sam.kappa_reproducing_rho < gd.kappa_reproducing_rho);
}
