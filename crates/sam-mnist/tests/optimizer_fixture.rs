//! Regression fixture of the optimizer stack on the MNIST engine: parameter checksums after
//! 300 steps (3 epochs of 100 batches of 10 on the first 1000 real training images) of each
//! optimizer. The fixture was written by the previous, separate MNIST stepper (commit 68f80ed)
//! before sam-mnist moved onto sam-optim's one stack; passing it shows the one stack takes
//! bit-identical steps. Regenerate (only when a change of results is intended and explained)
//! with `SAM_WRITE_FIXTURE=1 cargo test -p sam-mnist --test optimizer_fixture`.
//!
//! The checksums are kept per kind of arithmetic: "fma" for the SIMD kernels (AVX-512 and AVX2,
//! which do the same fused multiply-adds in the same order: the set was written on an AVX-512
//! machine, and an AVX2 machine must reproduce it bit for bit, which is the test that the AVX2
//! kernels emulate AVX-512's exactly), "portable" for the scalar kernels, which multiply and
//! add, so they round differently and every optimizer's bits differ (measured 2026-12-02 on a
//! 2-core AMD EPYC without AVX-512: the 300-step training losses move by 4e-10 to 3e-6
//! relative). Within a path, runs are bit-identical whatever the thread count. A missing set is
//! written only with `SAM_WRITE_FIXTURE=1`.

mod common;
use common::real;
use sam_params::{Checked, ParamGuard};

use sam_mnist::train::{train_with, Optimizer, SamPath, SampleSets, TrainConfig};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// FNV-1a over the bit patterns of the parameters.
fn checksum(p: &[f32]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in p {
        for b in v.to_bits().to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The SAM entries pin the two-phase reference path (`sam`, `sam_m2`, unchanged since the
/// fixture was written) and the engine's low-rank path (`*_low_rank`, added with it), which
/// agree with each other to f32 rounding (tests/low_rank_sam.rs).
fn configs() -> Vec<(&'static str, Checked<TrainConfig>)> {
    let mk = |opt, lr, m, path| {
        let mut c = TrainConfig::new(opt, lr, 3, 7, 10, 1000, m)
            .unwrap()
            .into_inner();
        c.sam_path = path;
        c.check().unwrap()
    };
    let (fast, reference) = (SamPath::LowRank, SamPath::Reference);
    let (sam, sam_m2) = (Optimizer::Sam { rho: 0.2 }, Optimizer::Sam { rho: 0.05 });
    vec![
        ("sgd", mk(Optimizer::Sgd, 0.01, None, fast)),
        ("adam", mk(Optimizer::Adam, 3e-4, None, fast)),
        ("sam", mk(sam, 0.01, None, reference)),
        ("sam_m2", mk(sam_m2, 0.01, Some(2), reference)),
        ("sam_low_rank", mk(sam, 0.01, None, fast)),
        ("sam_m2_low_rank", mk(sam_m2, 0.01, Some(2), fast)),
    ]
}

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/optimizer_checksums.json")
}

#[test]
fn mnist_steps_match_the_committed_parameter_checksums() {
    let Some(data) = real() else {
        eprintln!("MNIST files not found: skipped");
        return;
    };
    let sets = SampleSets::new(&data, 1000).unwrap();
    let mut got = BTreeMap::new();
    for (name, cfg) in configs() {
        let out = train_with(&cfg, &sets, 2, |_| {}).unwrap();
        let last = out.rows.last().unwrap();
        got.insert(
            name.to_string(),
            serde_json::json!({
                "params": checksum(out.params.flat()),
                "train_loss_bits": format!("{:016x}", last.train_loss.to_bits()),
                "train_loss": last.train_loss,
                "grad_evals": last.grad_evals,
            }),
        );
    }
    let got = serde_json::Value::Object(got.into_iter().collect());
    let isa = sam_mnist::kernels::isa();
    let path = if isa.fused() { "fma" } else { "portable" };
    let mut all: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture_path()).unwrap()).unwrap();
    if std::env::var_os("SAM_WRITE_FIXTURE").is_some() {
        all.insert(path.into(), got);
        std::fs::write(fixture_path(), serde_json::to_string_pretty(&all).unwrap()).unwrap();
        return;
    }
    let want = all.get(path).unwrap_or_else(|| {
        panic!("no checksums for the {path} kernel path: write them with SAM_WRITE_FIXTURE=1")
    });
    // the bits, not the decimal train_loss (JSON's decimal does not always read back exactly)
    let exact = |v: &serde_json::Value| {
        let mut v = v.clone();
        v.as_object_mut().map(|o| o.remove("train_loss"));
        v
    };
    for (name, w) in want.as_object().unwrap() {
        assert_eq!(
            exact(&got[name]),
            exact(w),
            "{name} ({} kernels): parameters after 300 steps differ from the {path} fixture",
            isa.name()
        );
    }
    // the two paths differ by rounding only: the same evaluations and training losses to 1e-5
    let other = all.get(if path == "fma" { "portable" } else { "fma" });
    for (name, o) in other.and_then(|o| o.as_object()).into_iter().flatten() {
        let (a, b) = (got[name]["train_loss"].as_f64(), o["train_loss"].as_f64());
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            (a - b).abs() <= 1e-5 * b.abs(),
            "{name}: {a} vs {b} on the other kernel path"
        );
        assert_eq!(got[name]["grad_evals"], o["grad_evals"]);
    }
}
