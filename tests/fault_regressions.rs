//! Issue 12's command-line defects, each a regression test against the built binaries: no panic
//! on a full or closed stdout, bounded counts instead of aborts, no `null` for a non-finite
//! result, `figures` writing only what it ran, and each error cause printed once.

mod common;
use common::fails_with;
use std::process::{Command, Stdio};

fn samlab_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_samlab"));
    c.args(args);
    c
}

/// Item 2: "errors writing to stdout panic (exit 101)" for `> /dev/full`.
#[test]
fn full_stdout_is_an_error_not_a_panic() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // not Linux
    };
    for args in [
        &["toy", "fig2", "--json"][..],
        &["toy", "fig1", "--iterations", "100"],
        common::valid::SHARPNESS,
        &[
            "sharpness",
            "--objective",
            "fig2",
            "--at",
            "1,1",
            "--rho",
            "0.1",
        ],
        common::valid::BOUND_SAM,
        &["bound", "kl-inverse", "--q", "0.1", "--c", "0.1"],
        common::valid::KL_GAUSS,
        &["converge", "quadratic-floor", "--steps", "100"],
        common::valid::THEOREM2,
    ] {
        let out = samlab_cmd(args)
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("cannot write the result to stdout"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Item 2: "broken pipe ... panic in println!": a reader that closed stdout ends the run quietly
/// with status 141 (128 + SIGPIPE), as Unix tools do.
#[test]
fn closed_stdout_exits_quietly_with_141() {
    let mut child = samlab_cmd(&["converge", "theorem2", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Item 3: "huge counts abort the process" (SIGABRT from an up-front allocation).
#[test]
fn huge_counts_are_refused_with_their_bound() {
    fails_with(
        &["toy", "fig1", "--iterations", "1000000000000", "--json"],
        "iterations = 1000000000000 is invalid: at most 100000000",
    );
    fails_with(
        &[
            "toy",
            "fig1",
            "--iterations",
            "18446744073709551615",
            "--json",
        ],
        "iterations = 18446744073709551615 is invalid",
    );
    fails_with(
        &[
            "train",
            "--optimizer",
            "sgd",
            "--epochs",
            "1000000000000",
            "--json",
        ],
        "epochs = 1000000000000 is invalid",
    );
}

/// Item 4: "non-finite results printed as JSON null with exit 0".
#[test]
fn non_finite_results_are_errors_naming_the_quantity() {
    fails_with(
        &[
            "sharpness",
            "--objective",
            "quadratic",
            "--at",
            "0,0",
            "--rho",
            "1e160",
            "--matrix",
            "1,0;0,-1",
            "--linear",
            "0,0",
            "--json",
        ],
        "is not a finite number",
    );
    // item 12: "'-inf' reported for fig1 where f >= 0": an overflowing f is +inf
    fails_with(
        &[
            "sharpness",
            "--objective",
            "fig1",
            "--at",
            "1e200",
            "--rho",
            "0.1",
            "--json",
        ],
        "f(at) is inf",
    );
    fails_with(
        &["converge", "theorem2", "--c", "0,1e308,-1,2", "--json"],
        "rows[0].rhs is not a finite number",
    );
    fails_with(
        &[
            "converge",
            "theorem2",
            "--confidence",
            "0.9999999999999999",
            "--json",
        ],
        "lhs_ci[0] is not a finite number",
    );
}

/// Item 5: "`--quick --only fig1` writes reports 02-05 as copies"; and an I/O error names its
/// path once (item 12: "error chains printed twice").
#[test]
fn figures_writes_only_what_it_ran_and_names_the_path_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_figures"))
        .args(["--quick", "--only", "fig1", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reports: Vec<_> = std::fs::read_dir(dir.path().join("notebooks-md"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(reports, ["01-toy-landscapes.md"]);
    assert!(!dir.path().join("results/fig2").exists());
    // --out at a regular file: the error names the path, and its cause once
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_figures"))
        .args(["--quick", "--only", "fig1", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(&*file.to_string_lossy()), "{err}");
    assert_eq!(err.matches("Not a directory").count(), 1, "{err}");
}

/// Item 7: "`--out` replaces a symlink or FIFO with a regular file": refused up front, before
/// any data is read; and item 10: run lengths without a bound are refused with their cap.
#[test]
fn out_paths_that_are_not_regular_files_and_unbounded_runs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.csv");
    std::fs::write(&target, b"keep").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let link_s = link.to_string_lossy().to_string();
    fails_with(
        &[
            "train",
            "--optimizer",
            "sgd",
            "--epochs",
            "1",
            "--out",
            &link_s,
            "--json",
        ],
        "not a regular file",
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    let fifo = dir.path().join("fifo.csv");
    if Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let fifo_s = fifo.to_string_lossy().to_string();
        fails_with(
            &[
                "train",
                "--optimizer",
                "sgd",
                "--epochs",
                "1",
                "--out",
                &fifo_s,
                "--json",
            ],
            "not a regular file",
        );
    }
    fails_with(
        &[
            "converge",
            "theorem2",
            "--t-max",
            "1000000000000000000",
            "--json",
        ],
        "t_max <= 100000000",
    );
    fails_with(
        &[
            "converge",
            "quadratic-floor",
            "--steps",
            "1000000000000000000",
            "--json",
        ],
        "at most 1000000000",
    );
    let at = vec!["0.5"; 600].join(",");
    fails_with(
        &[
            "sharpness",
            "--objective",
            "rosenbrock",
            "--at",
            &at,
            "--rho",
            "0.1",
            "--json",
        ],
        "at most 500",
    );
}

/// Item 13: "committed results contain undocumented NaN/null": no result file under results/
/// holds a NaN or a null (metadata may record an absent setting as null).
#[test]
fn committed_results_hold_no_nan_or_null() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    let mut bad = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            if name == "meta.json" || !(name.ends_with(".csv") || name.ends_with(".json")) {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            if text.contains("NaN") || text.contains("null") || text.contains("inf,") {
                bad.push(p.display().to_string());
            }
        }
    }
    assert!(bad.is_empty(), "NaN/null in {bad:?}");
}

/// Item 12: an empty SAM_MNIST_DIR is unset (not the current folder), and long numbers are
/// shown in scientific notation, not with 50 digits (the non-finite matrix entry is named in
/// `tests/bad_input_suite.rs`).
#[test]
fn empty_data_env_is_unset_and_numbers_are_short() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_samlab"))
        .args(["train", "--optimizer", "sgd", "--epochs", "1", "--json"])
        .current_dir(dir.path())
        .env("SAM_MNIST_DIR", "")
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("SAM_MNIST_MIRRORS", "http://127.0.0.1:9")
        .env("SAM_MNIST_TIMEOUT", "2")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("could not fetch"), "{err}");
    // the failed download created no folder
    assert!(!dir.path().join("cache").exists(), "{err}");
    assert!(!dir.path().join("data").exists(), "{err}");
    fails_with(
        &["train", "--optimizer", "sgd", "--lr", "1e-50", "--json"],
        "lr = 1e-50 is invalid",
    );
}
