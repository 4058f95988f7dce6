//! Helpers shared by the command-line tests: run the `samlab` binary and check its output.
// Each test file uses a different subset.
#![allow(dead_code)]

use std::process::Command;

/// Runs `samlab` with `args`; returns (exit code, stdout, stderr).
pub fn samlab<S: AsRef<str>>(args: &[S]) -> (i32, String, String) {
    let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
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

/// Runs `samlab` and parses its stdout as JSON, failing on a nonzero exit.
pub fn json<S: AsRef<str>>(args: &[S]) -> serde_json::Value {
    let (code, out, err) = samlab(args);
    let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
    assert_eq!(code, 0, "samlab {args:?} failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Asserts a nonzero exit, no panic, and a message that contains `needle`.
pub fn fails_with<S: AsRef<str>>(args: &[S], needle: &str) {
    let (code, out, err) = samlab(args);
    let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
    assert_ne!(code, 0, "samlab {args:?} should fail; stdout {out}");
    assert!(!err.contains("panicked"), "samlab {args:?} panicked: {err}");
    assert!(
        err.contains(needle),
        "samlab {args:?}: expected '{needle}' in: {err}"
    );
}

/// Valid, quick invocations of each subcommand (with `--json`), for the bad-input tests to vary.
pub mod valid {
    /// `bound sam` on a small model.
    pub const BOUND_SAM: &[&str] = &[
        "bound",
        "sam",
        "--d",
        "10",
        "--n",
        "100",
        "--delta",
        "0.05",
        "--rho",
        "0.1",
        "--theta-norm",
        "1",
        "--json",
    ];
    /// `bound kl-gauss` on a small model.
    pub const KL_GAUSS: &[&str] = &[
        "bound",
        "kl-gauss",
        "--d",
        "10",
        "--mu-dist2",
        "1",
        "--sigma-q",
        "0.1",
        "--sigma-p",
        "1",
        "--json",
    ];
    /// `converge theorem2`, 2 seeds to T = 20.
    pub const THEOREM2: &[&str] = &[
        "converge",
        "theorem2",
        "--seeds",
        "2",
        "--t-min",
        "2",
        "--t-max",
        "20",
        "--grid-points",
        "2",
        "--json",
    ];
    /// `sharpness` on Figure 2's landscape.
    pub const SHARPNESS: &[&str] = &[
        "sharpness",
        "--objective",
        "fig2",
        "--at",
        "1,1",
        "--rho",
        "0.1",
        "--json",
    ];
}
