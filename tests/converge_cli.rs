//! `samlab converge` contracts (DESIGN.md): JSON keys, determinism, both option spellings, and
//! clean errors for bad values.

mod common;

use common::{fails_with, json, samlab};

/// A small Theorem 2 run (well under a second).
const SMALL: &[&str] = &["converge", "theorem2", "--seeds", "4", "--t-max", "1000"];

fn small(extra: &[&str]) -> Vec<String> {
    SMALL.iter().chain(extra).map(|s| s.to_string()).collect()
}

#[test]
fn theorem2_json_has_the_contract_keys() {
    let v = json(&small(&["--json"]));
    let obj = v.as_object().unwrap();
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort();
    assert_eq!(keys, ["rows", "slope"]);
    assert!(v["slope"].is_f64());
    let rows = v["rows"].as_array().unwrap();
    assert!(rows.len() >= 2);
    let mut prev = 0;
    for r in rows {
        let mut k: Vec<&String> = r.as_object().unwrap().keys().collect();
        k.sort();
        assert_eq!(k, ["lhs", "lhs_ci", "rhs", "t"], "{r}");
        let t = r["t"].as_u64().unwrap();
        assert!(t > prev);
        prev = t;
        let ci = r["lhs_ci"].as_array().unwrap();
        assert_eq!(ci.len(), 2);
        let (lo, hi, lhs) = (
            ci[0].as_f64().unwrap(),
            ci[1].as_f64().unwrap(),
            r["lhs"].as_f64().unwrap(),
        );
        assert!(lo <= lhs && lhs <= hi, "{r}");
        assert!(r["rhs"].as_f64().unwrap() > lhs, "{r}");
    }
    assert_eq!(prev, 1000);
}

#[test]
fn theorem2_is_deterministic_and_seeded() {
    let a = samlab(&small(&["--base-seed", "7", "--json"]));
    let b = samlab(&small(&["--base-seed", "7", "--json"]));
    assert_eq!(a.0, 0, "{}", a.2);
    assert_eq!(a.1, b.1, "same seed, different output");
    let c = samlab(&small(&["--base-seed", "8", "--json"]));
    assert_ne!(a.1, c.1, "the seed has no effect");
}

#[test]
fn quadratic_floor_json_has_the_contract_key() {
    let v = json(&[
        "converge",
        "quadratic-floor",
        "--lambda",
        "1",
        "--eta",
        "1",
        "--rho",
        "0.3",
        "--steps",
        "100",
        "--json",
    ]);
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["floor"]);
    // ηλ = 1: w* = ηλρ/(2 − ηλ) = ρ, reached after one step.
    assert!((v["floor"].as_f64().unwrap() - 0.3).abs() < 1e-12, "{v}");
    let d = json(&[
        "converge",
        "quadratic-floor",
        "--lambda",
        "1",
        "--eta",
        "0.5",
        "--rho",
        "0.3",
        "--steps",
        "10000",
        "--decay",
        "--json",
    ]);
    assert!(d["floor"].as_f64().unwrap() < 0.01, "{d}");
}

#[test]
fn both_option_spellings_work() {
    let a = json(&small(&["--x0", "-1,2,-3,4", "--rho0", "0.25", "--json"]));
    let b = json(&small(&["--x0=-1,2,-3,4", "--rho0=0.25", "--json"]));
    assert_eq!(a, b);
    let f = |rho: &[&str]| {
        let mut args = vec!["converge", "quadratic-floor", "--steps", "50", "--json"];
        args.extend_from_slice(rho);
        json(&args)
    };
    assert_eq!(f(&["--rho", "0.2"]), f(&["--rho=0.2"]));
    // Negative values parse in both spellings and are then rejected by value.
    for spelling in [&["--rho", "-1"][..], &["--rho=-1"][..]] {
        let mut args = vec!["converge", "quadratic-floor", "--json"];
        args.extend_from_slice(spelling);
        fails_with(&args, "rho = -1");
    }
    fails_with(&small(&["--eta0=-0.5", "--json"]), "eta0 = -0.5");
    fails_with(&small(&["--eta0", "-0.5", "--json"]), "eta0 = -0.5");
}

#[test]
fn quadratic_floor_rejects_bad_input_cleanly() {
    let qf = |extra: &[&str], needle: &str| {
        let mut args = vec!["converge", "quadratic-floor", "--json"];
        args.extend_from_slice(extra);
        fails_with(&args, needle);
    };
    qf(&["--eta", "-0.1"], "eta = -0.1");
    qf(&["--eta", "NaN"], "eta = NaN");
    qf(&["--rho", "-0.2"], "rho = -0.2");
    qf(&["--rho", "NaN"], "rho = NaN");
    qf(&["--lambda", "-2"], "lambda = -2");
    qf(&["--lambda", "NaN"], "lambda = NaN");
    qf(&["--steps", "0"], "steps = 0");
    qf(&["--steps", "-3"], "'-3'");
    qf(
        &["--eta", "5", "--rho", "0.1"],
        "eta * lambda = 5 is invalid",
    );
}

#[test]
fn theorem2_rejects_bad_input_cleanly() {
    for (extra, needle) in [
        (&["--eta0", "NaN"][..], "eta0 = NaN"),
        (&["--eta0", "0"][..], "eta0 = 0"),
        (&["--rho0", "-1"][..], "rho0 = -1"),
        (&["--rho0", "NaN"][..], "rho0 = NaN"),
        (&["--rho0", "100"][..], "rho0 = 100"),
        (&["--sigma", "-1"][..], "sigma = -1"),
        (&["--a", "-1,1,0.5,0.5"][..], "a_i = -1"),
        (&["--x0", "1,2"][..], "x0"),
        (&["--x0", "1,x,3,4"][..], "'x' is not a number"),
        (&["--t-min", "2000"][..], "(2000, 1000)"),
        (&["--confidence", "1.5"][..], "confidence = 1.5"),
        (
            &["--grid-points", "18446744073709551615"][..],
            "grid_points = 18446744073709551615",
        ),
        (&["--noise", "cauchy"][..], "invalid value 'cauchy'"),
    ] {
        fails_with(&small(&[extra, &["--json"]].concat()), needle);
    }
    fails_with(
        &[
            "converge", "theorem2", "--seeds", "1", "--t-max", "1000", "--json",
        ],
        "seeds = 1",
    );
}
