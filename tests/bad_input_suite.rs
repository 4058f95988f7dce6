//! Issue 12's table-driven bad-input suite: every subcommand and every numeric flag, fed NaN,
//! ±inf, negative, zero, huge, overflowing, underflowing, empty and non-numeric values, wrong
//! lengths and duplicate flags. For each case: no panic and no signal, a nonzero exit with an
//! `error:` message that names the flag or the value (or a documented success), an end within
//! bounded time, and no file left at a requested output path.

mod common;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The values every numeric flag is fed.
const VALUES: [&str; 9] = [
    "NaN", "inf", "-inf", "-1", "1e400", "1e-400", "", "abc", "1e300",
];

/// Runs samlab with `args`; returns (exit code or None for a signal, stderr), killing it after
/// `limit`.
fn run(args: &[String], limit: Duration) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_samlab"))
        .args(args)
        .env("SAM_MNIST_DIR", "/nonexistent-samlab-test")
        .env("SAM_MNIST_MIRRORS", "http://127.0.0.1:9")
        .env("SAM_MNIST_TIMEOUT", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run samlab");
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code(), err);
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            panic!("samlab {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// One subcommand with valid base arguments and its numeric flags.
struct Command_ {
    base: &'static [&'static str],
    flags: &'static [&'static str],
    /// A failure that is documented for valid values (train: the test gives it no MNIST data).
    or: Option<&'static str>,
}

const COMMANDS: &[Command_] = &[
    Command_ {
        base: &["toy", "fig2", "--iterations", "10", "--json"],
        flags: &["--eta", "--rho", "--iterations"],
        or: None,
    },
    Command_ {
        base: common::valid::SHARPNESS,
        flags: &["--rho", "--at"],
        or: None,
    },
    Command_ {
        base: common::valid::BOUND_SAM,
        flags: &["--d", "--n", "--delta", "--rho", "--theta-norm"],
        or: None,
    },
    Command_ {
        base: &["bound", "kl-inverse", "--q", "0.1", "--c", "0.1", "--json"],
        flags: &["--q", "--c"],
        or: None,
    },
    Command_ {
        base: common::valid::KL_GAUSS,
        flags: &["--d", "--mu-dist2", "--sigma-q", "--sigma-p"],
        or: None,
    },
    Command_ {
        base: common::valid::THEOREM2,
        flags: &[
            "--sigma",
            "--eta0",
            "--rho0",
            "--confidence",
            "--seeds",
            "--t-max",
            "--grid-points",
        ],
        or: None,
    },
    Command_ {
        base: &["converge", "quadratic-floor", "--steps", "100", "--json"],
        flags: &["--lambda", "--eta", "--rho", "--steps"],
        or: None,
    },
    Command_ {
        base: &["train", "--optimizer", "sam", "--epochs", "1", "--json"],
        flags: &[
            "--lr",
            "--rho",
            "--epochs",
            "--seed",
            "--batch-size",
            "--train-size",
            "--m-sharpness",
            "--val-size",
            "--label-noise",
            "--noise-seed",
        ],
        or: Some("MNIST file"),
    },
];

/// Checks one case: no panic or signal; a failure says `error:` and names `flag` or `value`.
fn check(args: Vec<String>, flag: &str, value: &str, or: Option<&str>, failures: &mut Vec<String>) {
    let (code, err) = run(&args, Duration::from_secs(30));
    let shown = format!("samlab {args:?}");
    match code {
        None => failures.push(format!("{shown}: killed by a signal")),
        Some(101) => failures.push(format!("{shown}: panicked: {err}")),
        Some(_) if err.contains("panicked") => failures.push(format!("{shown}: {err}")),
        Some(0) => {} // a documented success (e.g. a valid 1e300 radius): bounded time held
        Some(_) => {
            let names = (!value.is_empty() && err.contains(value))
                || err.contains(flag)
                || err.contains(flag.trim_start_matches("--").replace('-', "_").as_str())
                || err.contains(flag.trim_start_matches("--"))
                || or.is_some_and(|o| err.contains(o));
            if !err.starts_with("error:") || !names {
                failures.push(format!(
                    "{shown}: message names neither {flag} nor '{value}': {err}"
                ));
            }
        }
    }
}

/// Every (subcommand, numeric flag, bad value): 9 values × 34 flags.
#[test]
fn every_numeric_flag_refuses_bad_values_cleanly() {
    let mut failures = Vec::new();
    let mut cases = 0;
    for c in COMMANDS {
        for flag in c.flags {
            for v in VALUES {
                // the flag's bad value replaces the base's value of the same flag
                let mut args: Vec<String> = Vec::new();
                let mut skip = false;
                for a in c.base {
                    if skip {
                        skip = false;
                        continue;
                    }
                    if a == flag {
                        skip = true;
                        continue;
                    }
                    args.push(a.to_string());
                }
                args.push(format!("{flag}={v}"));
                check(args, flag, v, c.or, &mut failures);
                cases += 1;
            }
        }
    }
    assert!(cases >= 150, "{cases} cases");
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Wrong lengths, duplicate flags, unknown names, extreme sizes and output paths.
#[test]
fn shapes_duplicates_and_output_paths_are_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run.csv");
    let out_s = out.to_string_lossy().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["toy", "fig2", "--start", "1", "--json"], "dimension"),
        (vec!["toy", "fig1", "--start", "1,2", "--json"], "dimension"),
        (
            vec!["toy", "fig2", "--eta", "0.1", "--eta", "0.2", "--json"],
            "--eta",
        ),
        (vec!["toy", "fig9", "--json"], "fig9"),
        (
            vec![
                "sharpness",
                "--objective",
                "quadratic",
                "--at",
                "0,0",
                "--rho",
                "1",
                "--matrix",
                "1,0;0",
                "--linear",
                "0,0",
                "--json",
            ],
            "square",
        ),
        (
            vec![
                "sharpness",
                "--objective",
                "quadratic",
                "--at",
                "0,0",
                "--rho",
                "1",
                "--matrix",
                "1,0;0,1",
                "--linear",
                "0",
                "--json",
            ],
            "linear",
        ),
        (
            vec![
                "sharpness",
                "--objective",
                "quadratic",
                "--at",
                "0,0",
                "--rho",
                "1",
                "--matrix",
                "1,NaN;0,1",
                "--linear",
                "0,0",
                "--json",
            ],
            "matrix entry (1, 2) is NaN",
        ),
        (
            vec![
                "sharpness",
                "--objective",
                "rosenbrock",
                "--at",
                "1",
                "--rho",
                "1",
                "--json",
            ],
            "dimension >= 2",
        ),
        (
            vec![
                "sharpness",
                "--objective",
                "fig2",
                "--at",
                "1,1",
                "--rho",
                "0.1",
                "--linear",
                "1,1",
                "--json",
            ],
            "--linear",
        ),
        (vec!["converge", "theorem2", "--c", "0,1", "--json"], "c"),
        (
            vec!["converge", "theorem2", "--x0", "1,2,3,4,5", "--json"],
            "x0",
        ),
        (
            vec!["converge", "theorem2", "--eta0", "10", "--json"],
            "eta0 * L",
        ),
        (
            vec!["converge", "quadratic-floor", "--eta", "3", "--json"],
            "eta * lambda",
        ),
        (
            vec!["train", "--optimizer", "sgd", "--rho", "0.1", "--json"],
            "--rho",
        ),
        (
            vec!["train", "--optimizer", "sam", "--beta1", "0.9", "--json"],
            "--beta1",
        ),
        (
            vec!["train", "--optimizer", "sgd", "--lr", "1e-50", "--json"],
            "lr",
        ),
        (
            vec!["train", "--optimizer", "sgd", "--out", "/", "--json"],
            "--out",
        ),
        (vec!["train", "--optimizer", "nadam", "--json"], "nadam"),
    ];
    let mut failures = Vec::new();
    for (args, needle) in &cases {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let (code, err) = run(&args, Duration::from_secs(30));
        if code == Some(0) || code.is_none() || code == Some(101) || !err.contains(needle) {
            failures.push(format!(
                "samlab {args:?} -> {code:?}: expected '{needle}' in: {err}"
            ));
        }
    }
    // a failing run leaves nothing at its --out path (no data: the download fails fast)
    let args: Vec<String> = [
        "train",
        "--optimizer",
        "sgd",
        "--epochs",
        "1",
        "--out",
        &out_s,
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (code, err) = run(&args, Duration::from_secs(30));
    assert_ne!(code, Some(0), "{err}");
    assert!(!out.exists(), "a failed run left {}", out.display());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
