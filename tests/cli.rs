//! Command-line contracts (DESIGN.md): JSON keys, both option spellings, and clean errors.

mod common;

use common::{fails_with, json};

#[test]
fn toy_json_has_the_contract_keys() {
    for which in ["fig1", "fig2"] {
        let v = json(&["toy", which, "--iterations", "50", "--json"]);
        for opt in ["gd", "sam"] {
            for key in ["final", "lambda_max", "sharpness", "loss"] {
                assert!(
                    v[opt].get(key).is_some(),
                    "{which}.{opt}.{key} missing: {v}"
                );
            }
            assert!(v[opt]["final"].is_array());
        }
        for key in ["eta", "rho", "iterations", "start"] {
            assert!(v["settings"].get(key).is_some(), "settings.{key} missing");
        }
    }
}

#[test]
fn negative_option_values_work_in_both_spellings() {
    let a = json(&[
        "toy",
        "fig2",
        "--start",
        "-0.5,0.5",
        "--iterations",
        "20",
        "--json",
    ]);
    let b = json(&[
        "toy",
        "fig2",
        "--start=-0.5,0.5",
        "--iterations=20",
        "--json",
    ]);
    assert_eq!(a, b);
    assert_eq!(a["settings"]["start"][0], -0.5);
}

#[test]
fn toy_rejects_bad_input_cleanly() {
    fails_with(&["toy", "fig1", "--rho", "-0.1", "--json"], "rho = -0.1");
    fails_with(&["toy", "fig1", "--rho", "NaN", "--json"], "rho = NaN");
    fails_with(&["toy", "fig1", "--eta", "-1", "--json"], "eta = -1");
    fails_with(&["toy", "fig1", "--eta", "0", "--json"], "eta = 0");
    fails_with(
        &["toy", "fig2", "--iterations", "0", "--json"],
        "iterations = 0",
    );
    fails_with(
        &["toy", "fig2", "--start", "1,2,3", "--json"],
        "dimension 3",
    );
    fails_with(
        &["toy", "fig2", "--start", "1,x", "--json"],
        "'x' is not a number",
    );
    fails_with(&["toy", "fig3", "--json"], "invalid value 'fig3'");
}

#[test]
fn toy_divergence_is_reported_with_its_step() {
    fails_with(
        &["toy", "fig2", "--eta", "5", "--start", "3,3", "--json"],
        "diverged at step",
    );
}

#[test]
fn sharpness_json_has_exactly_the_contract_keys() {
    let v = json(&[
        "sharpness",
        "--objective",
        "fig2",
        "--at",
        "2,1",
        "--rho",
        "0.1",
        "--json",
    ]);
    let mut keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "argmax",
            "exact",
            "first_order",
            "grad_norm",
            "lambda_max",
            "second_order"
        ]
    );
}

/// An indefinite quadratic in the trust-region hard case (g ⟂ top eigenvector): the exact value
/// is known in closed form. A = diag(-1, 4), b = (1, 0), θ = 0, ρ = 1: the maximizer of
/// x − x²/2 + 2y² on the unit disk has λ = 4 (hard case): x = 1/(4+1) = 0.2, y² = 1 − 0.04,
/// value = 0.2 − 0.02 + 2·0.96 = 2.1.
#[test]
fn sharpness_quadratic_hard_case_matches_closed_form() {
    let v = json(&[
        "sharpness",
        "--objective",
        "quadratic",
        "--at",
        "0,0",
        "--rho",
        "1",
        "--matrix",
        "-1,0;0,4",
        "--linear",
        "1,0",
        "--json",
    ]);
    let exact = v["exact"].as_f64().unwrap();
    assert!((exact - 2.1).abs() < 1e-9, "{exact}");
    assert!((v["second_order"].as_f64().unwrap() - 2.1).abs() < 1e-9);
    assert!((v["first_order"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert_eq!(v["lambda_max"].as_f64().unwrap(), 4.0);
}

#[test]
fn sharpness_rejects_bad_input_cleanly() {
    fails_with(
        &[
            "sharpness",
            "--objective",
            "fig2",
            "--at",
            "1,2",
            "--rho",
            "-0.1",
        ],
        "-0.1",
    );
    fails_with(
        &[
            "sharpness",
            "--objective",
            "fig2",
            "--at",
            "1,2",
            "--rho",
            "NaN",
        ],
        "NaN",
    );
    fails_with(
        &[
            "sharpness",
            "--objective",
            "fig2",
            "--at",
            "1",
            "--rho",
            "0.1",
        ],
        "dimension",
    );
    fails_with(
        &[
            "sharpness",
            "--objective",
            "quadratic",
            "--at",
            "0,0",
            "--rho",
            "0.1",
        ],
        "--matrix",
    );
    fails_with(
        &[
            "sharpness",
            "--objective",
            "quadratic",
            "--at",
            "0,0",
            "--rho",
            "0.1",
            "--matrix",
            "1,2;3,1",
            "--linear",
            "0,0",
        ],
        "not symmetric",
    );
    fails_with(
        &[
            "sharpness",
            "--objective",
            "nope",
            "--at",
            "0",
            "--rho",
            "0.1",
        ],
        "invalid value 'nope'",
    );
}
