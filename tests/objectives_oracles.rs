//! Every landscape's analytic gradient and Hessian against central finite differences.

use proptest::prelude::*;
use samlab::objectives::{
    central_difference_gradient, central_difference_hessian, AnyObjective, Fig1, Fig2, Gradient,
    Hessian, HessianVectorProduct, Quadratic, Rosenbrock,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn check<F: Gradient + Hessian + HessianVectorProduct>(f: &F, x: &[f64], h: f64, tol: f64) {
    let g = f.gradient(x);
    let g_fd = central_difference_gradient(f, x, h);
    for (a, b) in g.iter().zip(&g_fd) {
        assert!(
            close(*a, *b, tol),
            "{}: gradient {a} vs fd {b} at {x:?}",
            f.name()
        );
    }
    let hm = f.hessian(x);
    let h_fd = central_difference_hessian(f, x, h);
    for (a, b) in hm.iter().zip(h_fd.iter()) {
        assert!(
            close(*a, *b, tol),
            "{}: hessian {a} vs fd {b} at {x:?}",
            f.name()
        );
    }
    let v: Vec<f64> = (0..x.len()).map(|i| 1.0 - 0.3 * i as f64).collect();
    let hv = f.hvp(x, &v);
    for i in 0..x.len() {
        let dense: f64 = (0..x.len()).map(|j| hm[(i, j)] * v[j]).sum();
        assert!(close(hv[i], dense, 1e-12));
    }
}

proptest! {
    /// Figure 1's f(x) = x²(x−1)²/(x²+1e−4): analytic f', f'' match finite differences away from
    /// the narrow well (where the step must be much smaller than √ε = 0.01).
    #[test]
    fn fig1_derivatives_match_finite_differences(x in -2.0f64..2.0) {
        let h = if x.abs() < 0.1 { 1e-7 } else { 1e-5 };
        check(&Fig1, &[x], h, 1e-5);
    }

    /// Figure 2's f(x, y) = (x−1)²y².
    #[test]
    fn fig2_derivatives_match_finite_differences(x in -3.0f64..3.0, y in -3.0f64..3.0) {
        check(&Fig2, &[x, y], 1e-5, 1e-6);
    }

    /// Rosenbrock in 2 to 6 dimensions.
    #[test]
    fn rosenbrock_derivatives_match_finite_differences(x in proptest::collection::vec(-2.0f64..2.0, 2..6)) {
        check(&Rosenbrock::new(x.len()), &x, 1e-5, 1e-6);
    }

    /// Random symmetric quadratics.
    #[test]
    fn quadratic_derivatives_match_finite_differences(
        m in proptest::collection::vec(-2.0f64..2.0, 9),
        b in proptest::collection::vec(-2.0f64..2.0, 3),
        x in proptest::collection::vec(-2.0f64..2.0, 3),
    ) {
        let mut a = vec![0.0; 9];
        for i in 0..3 { for j in 0..3 { a[i * 3 + j] = m[i * 3 + j] + m[j * 3 + i]; } }
        let q = Quadratic::new(a, b).unwrap();
        check(&q, &x, 1e-4, 1e-7);
    }
}

#[test]
fn unknown_objective_and_bad_quadratic_are_errors() {
    assert!(samlab::objectives::by_name("nope", 2, None).is_err());
    assert!(Quadratic::new(vec![1.0, 2.0, 3.0, 1.0], vec![0.0, 0.0]).is_err());
    assert!(Quadratic::new(vec![1.0, 0.0, 0.0], vec![0.0, 0.0]).is_err());
    let f = AnyObjective::Fig2(Fig2);
    assert!(samlab::objectives::check_point(&f, &[1.0]).is_err());
    assert!(samlab::objectives::check_point(&f, &[1.0, f64::NAN]).is_err());
}
