//! Command-line contracts (DESIGN.md): JSON keys, both option spellings, and clean errors.

use std::process::Command;

fn samlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_samlab"))
        .args(args)
        .output()
        .expect("run samlab");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = samlab(args);
    assert_eq!(code, 0, "samlab {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Asserts a nonzero exit, no panic, and a message that contains `needle`.
fn fails_with(args: &[&str], needle: &str) {
    let (code, out, err) = samlab(args);
    assert_ne!(code, 0, "samlab {args:?} should fail; stdout {out}");
    assert!(!err.contains("panicked"), "samlab {args:?} panicked: {err}");
    assert!(
        err.contains(needle),
        "samlab {args:?}: expected '{needle}' in: {err}"
    );
}

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
