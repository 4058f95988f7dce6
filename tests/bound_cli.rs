//! `samlab bound` contracts (DESIGN.md): exactly the documented JSON keys, values equal to
//! independent references (computed with python3, commands in the comments), both option
//! spellings for negative values, and clean errors (nonzero exit, the value named, no panic).

mod common;

use common::samlab;

/// Runs `samlab bound <args> --json` and returns the single value under `key`, checking that the
/// object has exactly that key.
fn value(args: &[&str], key: &str) -> f64 {
    let mut all = vec!["bound"];
    all.extend_from_slice(args);
    all.push("--json");
    let (code, out, err) = samlab(&all);
    assert_eq!(code, 0, "samlab {all:?} failed: {err}");
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    assert_eq!(
        obj.keys().collect::<Vec<_>>(),
        vec![key],
        "samlab {all:?}: keys must be exactly [{key}]: {v}"
    );
    obj[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number: {v}"))
}

fn assert_rel(got: f64, want: f64, tol: f64) {
    assert!(
        ((got - want) / want).abs() <= tol,
        "got {got:e}, want {want:e} (relative tolerance {tol:e})"
    );
}

/// Asserts a nonzero exit, no panic, and a message that contains `needle`.
fn fails_with(args: &[&str], needle: &str) {
    let mut all = vec!["bound"];
    all.extend_from_slice(args);
    all.push("--json");
    let (code, out, err) = samlab(&all);
    assert_ne!(code, 0, "samlab {all:?} should fail; stdout {out}");
    assert!(!err.contains("panicked"), "samlab {all:?} panicked: {err}");
    assert!(
        err.contains(needle),
        "samlab {all:?}: expected '{needle}' in: {err}"
    );
    assert!(out.is_empty(), "samlab {all:?} printed on stdout: {out}");
}

// Reference for Theorem 1's term (the review's formula, natural logs):
// python3 -c "import math
// def c(d,n,dl,r,t):
//     s=math.sqrt(math.log(n)/d)
//     return math.sqrt((d*math.log1p(t**2/r**2*(1+s)**2)+4*math.log(n/dl)+8*math.log(6*n+3*d))/(n-1))
// print(repr(c(10,1000,0.05,0.05,1.0)), repr(c(100,50000,0.01,0.1,3.5)))"
// -> 0.42597203476800605 0.13642653695345405
#[test]
fn bound_sam_matches_the_reference() {
    let c = value(
        &[
            "sam",
            "--d",
            "10",
            "--n",
            "1000",
            "--delta",
            "0.05",
            "--rho",
            "0.05",
            "--theta-norm",
            "1",
        ],
        "complexity",
    );
    assert_rel(c, 0.425_972_034_768_006_05, 1e-9);
    let c = value(
        &[
            "sam",
            "--d=100",
            "--n=50000",
            "--delta=0.01",
            "--rho=0.1",
            "--theta-norm=3.5",
        ],
        "complexity",
    );
    assert_rel(c, 0.136_426_536_953_454_05, 1e-9);
}

// The defaults are the review's MNIST network on its 1000 training images, δ = ρ = 0.05, and |θ| =
// sqrt(E|θ|²) at PyTorch's default initialisation:
// python3 -c "import math
// L=[(784,500),(500,300),(300,10)]; d=sum(i*o+o for i,o in L)
// t=math.sqrt(sum((i*o+o)/(3*i) for i,o in L)); n=1000; s=math.sqrt(math.log(n)/d)
// print(d, repr(math.sqrt((d*math.log1p(t**2/0.05**2*(1+s)**2)+4*math.log(n/0.05)+8*math.log(6*n+3*d))/(n-1))))"
// -> 545810 79.60593314044506
#[test]
fn bound_sam_defaults_are_the_review_mnist_setting() {
    assert_rel(value(&["sam"], "complexity"), 79.605_933_140_445_06, 1e-9);
}

// KL(N(mu_q, sq^2 I) || N(mu_p, sp^2 I)) = 0.5*(d*sq^2/sp^2 + M/sp^2 - d + 2*d*ln(sp/sq)):
// python3 -c "import math
// k=lambda d,M,sq,sp: 0.5*(d*sq**2/sp**2+M/sp**2-d+2*d*math.log(sp/sq))
// print(repr(k(1000,4.0,0.01,0.1)), repr(k(3,0.0,0.5,1.0)))"
// -> 2007.5850929940457 0.9544415416798357
#[test]
fn bound_kl_gauss_matches_the_closed_form() {
    let kl = value(
        &[
            "kl-gauss",
            "--d",
            "1000",
            "--mu-dist2",
            "4",
            "--sigma-q",
            "0.01",
            "--sigma-p",
            "0.1",
        ],
        "kl",
    );
    assert_rel(kl, 2_007.585_092_994_045_7, 1e-9);
    let kl = value(
        &[
            "kl-gauss",
            "--d=3",
            "--mu-dist2=0",
            "--sigma-q=0.5",
            "--sigma-p=1",
        ],
        "kl",
    );
    assert_rel(kl, 0.954_441_541_679_835_7, 1e-9);
}

// Upper kl-inverse by bisection in python (200 halvings of [q, 1]):
// python3 -c "import math
// kl=lambda q,p: (q*math.log(q/p) if q else 0)+((1-q)*math.log((1-q)/(1-p)) if q<1 else 0)
// def inv(q,c):
//     lo,hi=q,1.0
//     for _ in range(200):
//         m=(lo+hi)/2; lo,hi=(m,hi) if kl(q,m)<=c else (lo,m)
//     return lo
// print(repr(inv(0.1,0.05)), repr(inv(0.02,0.01)), repr(inv(0.3,0.2)), repr(1-math.exp(-2)))"
// -> 0.2200786011069245 0.04651592106776775 0.61263272402374 0.8646647167633873
#[test]
fn bound_kl_inverse_matches_the_reference() {
    for (q, c, want) in [
        ("0.1", "0.05", 0.220_078_601_106_924_5),
        ("0.02", "0.01", 0.046_515_921_067_767_75),
        ("0.3", "0.2", 0.612_632_724_023_74),
        ("0", "2", 0.864_664_716_763_387_3),
    ] {
        assert_rel(value(&["kl-inverse", "--q", q, "--c", c], "p"), want, 1e-7);
        let (qe, ce) = (format!("--q={q}"), format!("--c={c}"));
        assert_rel(value(&["kl-inverse", &qe, &ce], "p"), want, 1e-7);
    }
    // Edge cases are exact: c = 0 gives q, q = 1 gives 1.
    assert_eq!(value(&["kl-inverse", "--q", "0.3", "--c", "0"], "p"), 0.3);
    assert_eq!(value(&["kl-inverse", "--q", "1", "--c", "0.5"], "p"), 1.0);
}

#[test]
fn json_numbers_round_trip_at_full_precision() {
    // The printed value is the f64 itself: printing it again and parsing gives the same bits.
    let p = value(&["kl-inverse", "--q", "0.1", "--c", "0.05"], "p");
    assert_eq!(p.to_string().parse::<f64>().unwrap(), p);
    assert!(p.to_string().len() > 12, "{p} looks rounded");
}

#[test]
fn human_readable_output_without_json() {
    let (code, out, err) = samlab(&["bound", "sam", "--n", "1000"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("complexity") && out.contains("vacuous"),
        "{out}"
    );
    let (code, out, err) = samlab(&["bound", "kl-inverse", "--q", "0.1", "--c", "0.05"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("0.22"), "{out}");
    let (code, out, err) = samlab(&[
        "bound",
        "kl-gauss",
        "--d",
        "3",
        "--mu-dist2",
        "0",
        "--sigma-q",
        "0.5",
        "--sigma-p",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nats"), "{out}");
}

#[test]
fn bound_sam_rejects_bad_input_cleanly() {
    // Negative values reach the validation in both spellings.
    fails_with(&["sam", "--rho", "-1"], "rho = -1");
    fails_with(&["sam", "--rho=-1"], "rho = -1");
    fails_with(&["sam", "--rho", "NaN"], "rho = NaN");
    fails_with(&["sam", "--rho", "0"], "rho = 0");
    fails_with(&["sam", "--delta", "1.5"], "delta = 1.5");
    fails_with(&["sam", "--delta=-0.1"], "delta = -0.1");
    fails_with(&["sam", "--delta", "0"], "delta = 0");
    fails_with(&["sam", "--delta", "1"], "delta = 1");
    fails_with(&["sam", "--n", "1"], "n = 1");
    fails_with(&["sam", "--n", "0"], "n = 0");
    fails_with(&["sam", "--d", "0"], "d = 0");
    fails_with(&["sam", "--theta-norm", "-2"], "theta_norm = -2");
    fails_with(&["sam", "--theta-norm=inf"], "theta_norm = inf");
    // Not an integer: clap's message names the value.
    fails_with(&["sam", "--n", "-5"], "'-5'");
    fails_with(&["sam", "--d=1.5"], "'1.5'");
}

#[test]
fn bound_kl_inverse_rejects_bad_input_cleanly() {
    fails_with(&["kl-inverse", "--q", "1.5", "--c", "0.1"], "q = 1.5");
    fails_with(&["kl-inverse", "--q", "-0.1", "--c", "0.1"], "q = -0.1");
    fails_with(&["kl-inverse", "--q=-0.1", "--c=0.1"], "q = -0.1");
    fails_with(&["kl-inverse", "--q", "NaN", "--c", "0.1"], "q = NaN");
    fails_with(&["kl-inverse", "--q", "0.1", "--c", "-1"], "c = -1");
    fails_with(&["kl-inverse", "--q=0.1", "--c=-1"], "c = -1");
    fails_with(&["kl-inverse", "--q", "0.1", "--c", "NaN"], "c = NaN");
    fails_with(&["kl-inverse", "--q", "0.1"], "--c");
}

#[test]
fn bound_kl_gauss_rejects_bad_input_cleanly() {
    let base = |sq: &'static str, sp: &'static str| {
        vec![
            "kl-gauss",
            "--d",
            "10",
            "--mu-dist2",
            "1",
            "--sigma-q",
            sq,
            "--sigma-p",
            sp,
        ]
    };
    fails_with(&base("0", "1"), "sigma_q = 0");
    fails_with(&base("-0.5", "1"), "sigma_q = -0.5");
    fails_with(&base("1", "0"), "sigma_p = 0");
    fails_with(&base("1", "-2"), "sigma_p = -2");
    fails_with(&base("NaN", "1"), "sigma_q = NaN");
    fails_with(
        &[
            "kl-gauss",
            "--d=10",
            "--mu-dist2=1",
            "--sigma-q=-0.5",
            "--sigma-p=1",
        ],
        "sigma_q = -0.5",
    );
    fails_with(
        &[
            "kl-gauss",
            "--d",
            "0",
            "--mu-dist2",
            "1",
            "--sigma-q",
            "1",
            "--sigma-p",
            "1",
        ],
        "d = 0",
    );
    fails_with(
        &[
            "kl-gauss",
            "--d",
            "10",
            "--mu-dist2",
            "-1",
            "--sigma-q",
            "1",
            "--sigma-p",
            "1",
        ],
        "mu_dist2 = -1",
    );
    // An overflowing KL is an error, not a `null` in the JSON.
    fails_with(
        &base("1e300", "1e-300"),
        "KL overflows f64: d (sigma_q / sigma_p)^2 is infinite",
    );
}
