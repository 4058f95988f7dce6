//! Bad input never panics: every function returns `Err` (with the documented variant) on NaN,
//! infinities, negative and out-of-range values, and returns *something* (never panics) on
//! arbitrary inputs.

use proptest::prelude::*;
use sam_pacbayes::*;

const NON_FINITE: [f64; 3] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];

fn is_delta_err<T: std::fmt::Debug>(r: Result<T>) -> bool {
    matches!(r, Err(PacBayesError::Delta(_)))
}

#[test]
fn delta_outside_open_unit_interval_is_rejected() {
    for delta in [0.0, 1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
        assert!(is_delta_err(sam_complexity(10, 100, delta, 0.1, 1.0)));
        assert!(is_delta_err(sam_bound(0.1, 10, 100, delta, 0.1, 1.0)));
        assert!(is_delta_err(n_for_complexity(10, delta, 0.1, 1.0, 0.5)));
        assert!(is_delta_err(lemma1_bound(1.0, 100, delta)));
        assert!(is_delta_err(mc_risk_bound_kl(1, 10, delta)));
        assert!(is_delta_err(mc_risk_bound_clopper_pearson(1, 10, delta)));
        assert!(is_delta_err(pac_bayes_kl_bound(0.1, 1.0, 100, delta)));
        assert!(is_delta_err(mcallester_bound(0.1, 1.0, 100, delta)));
        assert!(is_delta_err(catoni_bound(0.1, 1.0, 100, delta, 1.0)));
        assert!(is_delta_err(best_prior_certificate(
            100,
            10,
            1.0,
            0.1,
            &[1.0],
            0.1,
            delta
        )));
    }
    let msg = lemma1_bound(1.0, 100, 1.5).unwrap_err().to_string();
    assert_eq!(
        msg,
        "delta = 1.5 is invalid: it must lie in (0, 1), e.g. 0.05"
    );
}

#[test]
fn sample_size_and_dimension_are_checked() {
    for n in [0u64, 1, MAX_COUNT + 1, u64::MAX] {
        let e = Err::<(), _>(PacBayesError::SampleSize(n));
        assert_eq!(sam_complexity(10, n, 0.1, 0.1, 1.0).map(|_| ()), e);
        assert_eq!(lemma1_bound(1.0, n, 0.1).map(|_| ()), e);
        assert_eq!(pac_bayes_kl_bound(0.1, 1.0, n, 0.1).map(|_| ()), e);
        assert_eq!(mcallester_bound(0.1, 1.0, n, 0.1).map(|_| ()), e);
        assert_eq!(catoni_bound(0.1, 1.0, n, 0.1, 1.0).map(|_| ()), e);
        assert_eq!(
            best_prior_certificate(n, 10, 1.0, 0.1, &[1.0], 0.1, 0.1).map(|_| ()),
            e
        );
    }
    for d in [0u64, MAX_COUNT + 1] {
        let e = Err::<(), _>(PacBayesError::Dimension(d));
        assert_eq!(sam_complexity(d, 100, 0.1, 0.1, 1.0).map(|_| ()), e);
        assert_eq!(n_for_complexity(d, 0.1, 0.1, 1.0, 0.5).map(|_| ()), e);
        assert_eq!(kl_gauss_isotropic(d, 1.0, 1.0, 1.0).map(|_| ()), e);
        assert_eq!(
            best_prior_certificate(100, d, 1.0, 0.1, &[1.0], 0.1, 0.1).map(|_| ()),
            e
        );
    }
    assert!(PacBayesError::SampleSize(1)
        .to_string()
        .contains("n = 1 is invalid: it must lie in [2, 2^53]"));
}

#[test]
fn scales_norms_and_targets_are_checked() {
    for bad in NON_FINITE.into_iter().chain([0.0, -1.0]) {
        assert!(sam_complexity(10, 100, 0.1, bad, 1.0).is_err(), "rho {bad}");
        assert!(n_for_complexity(10, 0.1, bad, 1.0, 0.5).is_err());
        assert!(
            n_for_complexity(10, 0.1, 0.1, 1.0, bad).is_err(),
            "target {bad}"
        );
        assert!(kl_gauss_isotropic(3, 1.0, bad, 1.0).is_err());
        assert!(kl_gauss_isotropic(3, 1.0, 1.0, bad).is_err());
        assert!(catoni_bound(0.1, 1.0, 100, 0.1, bad).is_err());
        assert!(best_prior_certificate(100, 10, 1.0, bad, &[1.0], 0.1, 0.1).is_err());
        assert!(best_prior_certificate(100, 10, 1.0, 0.1, &[1.0, bad], 0.1, 0.1).is_err());
    }
    // Non-negative quantities: 0 is fine, negative and non-finite are not.
    for bad in NON_FINITE.into_iter().chain([-1e-300, -1.0]) {
        assert!(
            sam_complexity(10, 100, 0.1, 0.1, bad).is_err(),
            "theta {bad}"
        );
        assert!(n_for_complexity(10, 0.1, 0.1, bad, 0.5).is_err());
        assert!(lemma1_bound(bad, 100, 0.1).is_err(), "kl {bad}");
        assert!(kl_gauss_isotropic(3, bad, 1.0, 1.0).is_err());
        assert!(kl_inverse_upper(0.1, bad).is_err(), "c {bad}");
        assert!(pac_bayes_kl_bound(0.1, bad, 100, 0.1).is_err());
        assert!(mcallester_bound(0.1, bad, 100, 0.1).is_err());
        assert!(catoni_bound(0.1, bad, 100, 0.1, 1.0).is_err());
        assert!(best_prior_certificate(100, 10, bad, 0.1, &[1.0], 0.1, 0.1).is_err());
    }
    assert_eq!(
        best_prior_certificate(100, 10, 1.0, 0.1, &[], 0.1, 0.1),
        Err(PacBayesError::EmptyGrid)
    );
    assert_eq!(
        n_for_complexity(10, 0.1, 0.1, 1.0, 1e-300),
        Err(PacBayesError::Unreachable(1e-300))
    );
}

#[test]
fn probabilities_outside_unit_interval_are_rejected() {
    for bad in NON_FINITE.into_iter().chain([-0.1, 1.0 + 1e-12, 2.0]) {
        assert!(sam_bound(bad, 10, 100, 0.1, 0.1, 1.0).is_err());
        assert!(kl_bernoulli(bad, 0.5).is_err());
        assert!(kl_bernoulli(0.5, bad).is_err());
        assert!(kl_inverse_upper(bad, 0.1).is_err());
        assert!(pac_bayes_kl_bound(bad, 1.0, 100, 0.1).is_err());
        assert!(mcallester_bound(bad, 1.0, 100, 0.1).is_err());
        assert!(catoni_bound(bad, 1.0, 100, 0.1, 1.0).is_err());
        assert!(best_prior_certificate(100, 10, 1.0, 0.1, &[1.0], bad, 0.1).is_err());
    }
    let counts = |e, s| {
        Err::<f64, _>(PacBayesError::Counts {
            errors: e,
            samples: s,
        })
    };
    assert_eq!(mc_risk_bound_kl(0, 0, 0.1), counts(0, 0));
    assert_eq!(mc_risk_bound_kl(11, 10, 0.1), counts(11, 10));
    assert_eq!(mc_risk_bound_clopper_pearson(11, 10, 0.1), counts(11, 10));
    assert_eq!(
        mc_risk_bound_clopper_pearson(0, MAX_COUNT + 1, 0.1),
        counts(0, MAX_COUNT + 1)
    );
}

/// Any f64 from the full range, including NaN, ±inf, subnormals and huge values.
fn any_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(0.0),
        Just(1.0),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(f64::MAX),
        -2.0f64..2.0,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No function panics on arbitrary input: it returns Ok (a non-NaN number) or Err.
    #[test]
    fn no_function_panics_on_arbitrary_input(
        a in any_f64(), b in any_f64(), c in any_f64(), e in any_f64(),
        n in prop_oneof![any::<u64>(), 0u64..5_000], d in prop_oneof![any::<u64>(), 0u64..5_000],
        k in prop_oneof![any::<u64>(), 0u64..5_000],
    ) {
        let ok = |r: Result<f64>| r.map_or(true, |v| !v.is_nan());
        prop_assert!(ok(sam_complexity(d, n, a, b, c)));
        prop_assert!(ok(sam_bound(e, d, n, a, b, c)));
        prop_assert!(ok(lemma1_bound(a, n, b)));
        prop_assert!(ok(kl_gauss_isotropic(d, a, b, c)));
        prop_assert!(ok(kl_bernoulli(a, b)));
        prop_assert!(ok(kl_inverse_upper(a, b)));
        prop_assert!(ok(mc_risk_bound_kl(k, n, a)));
        prop_assert!(ok(mc_risk_bound_clopper_pearson(k.min(n), n, a)));
        prop_assert!(ok(pac_bayes_kl_bound(a, b, n, c)));
        prop_assert!(ok(mcallester_bound(a, b, n, c)));
        prop_assert!(ok(catoni_bound(a, b, n, c, e)));
        prop_assert!(ok(best_prior_certificate(n, d, a, b, &[c, e], a, b).map(|c| c.bound)));
        let _ = n_for_complexity(d, a, b, c, e);
    }
}
