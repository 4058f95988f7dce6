//! `samlab train` (DESIGN.md contract) on the real MNIST files: summary keys, the CSV, determinism
//! and clean errors. The data come from SAM_MNIST_DIR (CI sets it to ../shared/data/mnist), else
//! ../shared/data/mnist next to the repository, else the normal lookup (data/mnist, then fetching).

use std::path::PathBuf;
use std::process::Command;

fn data_args() -> Vec<String> {
    if std::env::var_os("SAM_MNIST_DIR").is_some() {
        return vec![];
    }
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/mnist");
    if shared.is_dir() {
        vec!["--data-dir".into(), shared.display().to_string()]
    } else {
        vec![]
    }
}

fn samlab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_samlab"))
        .args(args)
        .args(data_args())
        .output()
        .expect("run samlab");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn train_json_summary_and_csv_follow_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("run.csv");
    let csv_s = csv.display().to_string();
    let args = [
        "train",
        "--optimizer",
        "sam",
        "--rho",
        "0.1",
        "--epochs",
        "2",
        "--train-size",
        "100",
        "--seed",
        "3",
        "--out",
        &csv_s,
        "--json",
    ];
    let (code, out, err) = samlab(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in ["train_loss", "test_loss", "test_acc", "gap", "grad_evals"] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    // 100 samples / batch 10 = 10 SAM steps per epoch, 2 gradients each, 2 epochs.
    assert_eq!(v["grad_evals"], 40);
    let gap = v["test_loss"].as_f64().unwrap() - v["train_loss"].as_f64().unwrap();
    assert!((v["gap"].as_f64().unwrap() - gap).abs() < 1e-12);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        text.lines().count(),
        1 + 3,
        "header + epochs 0, 1, 2:\n{text}"
    );
    assert!(text.starts_with("epoch,grad_evals,train_loss"));
    // Same seed and settings: bit-identical losses, whatever the evaluation's thread count
    // (the default uses every available core), and the same rows in the CSV.
    for threads in ["1", "2", "3"] {
        let csv2 = dir.path().join(format!("run{threads}.csv"));
        let csv2_s = csv2.display().to_string();
        let mut a2 = args.to_vec();
        let k = a2.len() - 2;
        a2[k] = &csv2_s;
        a2.extend(["--threads", threads]);
        let (code, out2, err) = samlab(&a2);
        assert_eq!(code, 0, "{err}");
        let v2: serde_json::Value = serde_json::from_str(&out2).unwrap();
        for key in ["train_loss", "test_loss", "test_acc", "gap"] {
            assert_eq!(v[key], v2[key], "{key} differs with --threads {threads}");
        }
        let rows = |t: &str| -> Vec<String> {
            // every column but the timing ones
            let mut lines = t.lines();
            let head: Vec<&str> = lines.next().unwrap().split(',').collect();
            let keep: Vec<usize> = (0..head.len())
                .filter(|&i| !head[i].contains("wall") && !head[i].contains("cpu"))
                .collect();
            lines
                .map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    keep.iter().map(|&i| f[i]).collect::<Vec<_>>().join(",")
                })
                .collect()
        };
        assert_eq!(rows(&text), rows(&std::fs::read_to_string(&csv2).unwrap()));
    }
    let (code, _, err) = samlab(&["train", "--optimizer", "sgd", "--threads", "0"]);
    assert_ne!(code, 0);
    assert!(err.contains("--threads 0"), "{err}");
}

#[test]
fn train_rejects_bad_input_cleanly() {
    let cases: [(&[&str], &str); 10] = [
        (
            &["train", "--optimizer", "sgd", "--lr", "-0.1"],
            "lr = -0.1",
        ),
        (
            &["train", "--optimizer", "sam", "--rho", "NaN"],
            "rho = NaN",
        ),
        (
            &["train", "--optimizer", "sgd", "--batch-size", "0"],
            "batch_size",
        ),
        (&["train", "--optimizer", "sgd", "--epochs", "0"], "epochs"),
        (
            &["train", "--optimizer", "adam", "--rho", "0.1"],
            "--rho applies to the SAM family",
        ),
        (
            &["train", "--optimizer", "adam", "--beta2", "1.0"],
            "beta2 = 1",
        ),
        (
            &["train", "--optimizer", "adam", "--adam-eps", "-1e-8"],
            "adam_eps = -0.00000001",
        ),
        (
            &["train", "--optimizer", "sgd", "--beta1", "0.8"],
            "--beta1 applies to --optimizer adam only",
        ),
        (
            &["train", "--optimizer", "sam", "--sam-eps", "0"],
            "sam_eps = 0",
        ),
        (
            &[
                "train",
                "--optimizer",
                "sgd",
                "--out",
                "/nonexistent-dir/x.csv",
            ],
            "cannot write --out",
        ),
    ];
    for (args, needle) in cases {
        let (code, _, err) = samlab(args);
        assert_ne!(code, 0, "{args:?} should fail");
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected '{needle}' in {err}"
        );
    }
}

#[test]
fn train_reports_missing_data_with_the_file_and_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_samlab"))
        .args(["train", "--optimizer", "sgd", "--epochs", "1", "--data-dir"])
        .arg(empty.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(err.contains("train-images-idx3-ubyte"), "{err}");
}

/// `--label-noise P --noise-seed S` (DESIGN.md): the summary adds `n_flipped` = floor(100 · 0.3)
/// = 30, `clean_train_acc` and `noisy_train_acc`, the CSV carries both per epoch, and
/// `train_acc` (against the labels trained on) is their weighted mean; without the flag none of
/// them appears.
#[test]
fn train_with_label_noise_reports_flips_and_memorization() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("noisy.csv");
    let csv_s = csv.display().to_string();
    let base = [
        "train",
        "--optimizer",
        "sgd",
        "--lr",
        "0.05",
        "--epochs",
        "3",
        "--train-size",
        "100",
        "--json",
    ];
    let mut args: Vec<&str> = base.to_vec();
    args.extend(["--label-noise", "0.3", "--noise-seed", "4", "--out", &csv_s]);
    let (code, out, err) = samlab(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["n_flipped"], 30, "{v}");
    let (clean, noisy) = (
        v["clean_train_acc"].as_f64().unwrap(),
        v["noisy_train_acc"].as_f64().unwrap(),
    );
    let mixed = (70.0 * clean + 30.0 * noisy) / 100.0;
    assert!(
        (v["train_acc"].as_f64().unwrap() - mixed).abs() < 1e-12,
        "{v}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.contains("clean_train_acc") && header.contains("noisy_train_acc"),
        "{header}"
    );
    let (_, clean_out, _) = samlab(&base);
    let c: serde_json::Value = serde_json::from_str(&clean_out).unwrap();
    for key in ["n_flipped", "clean_train_acc", "noisy_train_acc"] {
        assert!(c.get(key).is_none(), "{key} without label noise: {c}");
    }
    assert_ne!(
        c["train_loss"], v["train_loss"],
        "the noise changes what is trained on"
    );
}
