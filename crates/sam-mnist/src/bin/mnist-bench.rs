//! Speed of the MNIST hot path, measured on this machine, beside the JAX reference timed in the
//! same session.
//!
//! Prints one JSON object: this machine's measured peak (an FMA-throughput kernel and the
//! project's GEMM on the evaluation's shape), the evaluation pass, the SGD / SAM / m = 1 SAM /
//! Adam steps (and the two-phase SAM reference), a complete SGD run, optionally the 15-run
//! protocol; with the JAX reference (`--jax-script`, run with `--python`) its eval pass, steps and
//! complete runs from the same session, and every ratio from those same-session numbers. When
//! the reference cannot run (no Python, no jax), its fields are absent and `jax.status` says why:
//! no other machine's number is ever used.

use anyhow::{Context, Result};
use clap::Parser;
use sam_mnist::data::{self, LoadOptions};
use sam_mnist::model::{Params, SIZES};
use sam_mnist::train::{
    evaluate, run_many, train_with, Optimizer, SamPath, SampleSets, TrainConfig,
};
use sam_params::ParamGuard;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// Benchmark the MNIST training and evaluation against the JAX reference.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Directory with the four MNIST IDX files (else SAM_MNIST_DIR, else data/mnist).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Repetitions of the evaluation pass.
    #[arg(long, default_value_t = 10)]
    eval_reps: usize,
    /// Epochs (of 100 steps) timed per optimizer for the per-step numbers.
    #[arg(long, default_value_t = 10)]
    step_epochs: usize,
    /// Skip the complete SGD run.
    #[arg(long)]
    no_full_run: bool,
    /// Also run the whole 15-run protocol (5 seeds x SGD/Adam/SAM) on `--threads` threads.
    #[arg(long)]
    protocol: bool,
    /// Threads for the protocol (one run per thread) and the parallel evaluation.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Replay mode: initial weights as raw little-endian f32 (flat, the JAX leaves order
    /// W0,b0,W1,b1,W2,b2), e.g. dumped from `mnist_sam_jax.py export`; prints per-epoch rows of
    /// SGD, Adam and SAM started from them and exits.
    #[arg(long, requires = "replay_perms")]
    replay_init: Option<PathBuf>,
    /// Replay mode: per-epoch permutations as raw little-endian u32 (epochs x 1000).
    #[arg(long)]
    replay_perms: Option<PathBuf>,
    /// Replay mode: number of epochs.
    #[arg(long, default_value_t = 3)]
    replay_epochs: usize,
    /// The JAX reference script, timed in the same session.
    #[arg(long, default_value = "../shared/anchors/mnist_sam_jax.py")]
    jax_script: PathBuf,
    /// The Python that runs it (needs jax and numpy).
    #[arg(long, default_value = "python3")]
    python: PathBuf,
    /// Do not time the JAX reference.
    #[arg(long)]
    no_jax: bool,
    /// Print the whole measurement as one JSON object (else a short summary).
    #[arg(long)]
    json: bool,
}

fn replay(a: &Args, sets: &SampleSets) -> Result<()> {
    let raw = std::fs::read(a.replay_init.as_ref().unwrap())?;
    let flat: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let init = Params::from_flat(&SIZES, flat)?;
    let raw = std::fs::read(a.replay_perms.as_ref().unwrap())?;
    let idx: Vec<usize> = raw
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize)
        .collect();
    let orders: Vec<Vec<usize>> = idx.chunks(1000).map(|c| c.to_vec()).collect();
    let mut all = serde_json::Map::new();
    for opt in [Optimizer::Sgd, Optimizer::Adam, Optimizer::Sam { rho: 0.2 }] {
        let cfg = TrainConfig {
            epochs: a.replay_epochs,
            ..TrainConfig::paper(opt, 0)
        }
        .check()?;
        let out = sam_mnist::train::train_from(
            &cfg,
            sets,
            init.clone(),
            Some(&orders),
            a.threads,
            |_| {},
        )?;
        all.insert(opt.name().into(), serde_json::to_value(&out.rows)?);
    }
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string_pretty(&all)?)
        .and_then(|_| stdout.flush())
        .map_err(|e| anyhow::anyhow!("cannot write the result to stdout: {e}"))?;
    Ok(())
}

/// The JAX reference timed in this session: its `timing` suite (eval pass, per-step blocks of
/// SGD, SAM and Adam, complete runs) through `python script --data DIR timing ...`.
mod jax {
    use anyhow::{bail, Context, Result};
    use std::path::Path;
    use std::process::Command;

    /// Runs the suite; `complete` lists the optimizers whose complete run (with evaluation) is
    /// timed. Returns the reference's JSON.
    pub fn time(
        python: &Path,
        script: &Path,
        data: &Path,
        eval_reps: usize,
        complete: &[&str],
    ) -> Result<serde_json::Value> {
        if !script.is_file() {
            bail!(
                "the JAX reference {} is not a file (pass --jax-script, or --no-jax)",
                script.display()
            );
        }
        let dir = std::env::temp_dir().join(format!("samlab-jax-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let out = dir.join("timing.json");
        let specs: Vec<String> = complete
            .iter()
            .map(|o| match *o {
                "sgd" => "sgd:0.01:0:step:1".to_string(),
                "adam" => "adam:0.0003:0:step:1".to_string(),
                _ => "sam:0.01:0.2:step:1".to_string(),
            })
            .collect();
        let mut cmd = Command::new(python);
        cmd.arg(script)
            .arg("--data")
            .arg(data)
            .arg("timing")
            .arg("--eval-reps")
            .arg(eval_reps.max(1).to_string())
            .arg("--bench")
            .args(["sgd:0.01:0:step", "sam:0.01:0.2:step", "adam:0.0003:0:step"])
            .arg("--specs")
            .args(&specs)
            .arg("--out")
            .arg(&out);
        let res = cmd
            .output()
            .with_context(|| format!("running {} {}", python.display(), script.display()));
        let text = std::fs::read_to_string(&out);
        let _ = std::fs::remove_dir_all(&dir);
        let res = res?;
        if !res.status.success() {
            let err = String::from_utf8_lossy(&res.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            bail!("the JAX reference failed ({}): {last}", res.status);
        }
        let text = text.context("the JAX reference wrote no timing file")?;
        serde_json::from_str(&text).context("the JAX reference's timing file is not JSON")
    }

    /// The median µs per step of `opt`'s block bench.
    pub fn step_us(t: &serde_json::Value, opt: &str) -> Option<f64> {
        t["step_bench"].as_array()?.iter().find_map(|e| {
            let spec = e["spec"].as_str()?;
            (spec.split(':').next() == Some(opt))
                .then(|| e["us_per_step_median"].as_f64())
                .flatten()
        })
    }

    /// The complete run of `opt` (wall s, compile excluded).
    pub fn run_s(t: &serde_json::Value, opt: &str) -> Option<f64> {
        t["runs"].as_array()?.iter().find_map(|r| {
            (r["optimizer"].as_str() == Some(opt))
                .then(|| r["wall_s"].as_f64())
                .flatten()
        })
    }
}

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[0], v[v.len() / 2])
}

fn main() -> Result<()> {
    let a = Args::parse();
    let opts = LoadOptions::new(a.data_dir.clone(), PathBuf::from("data/mnist"));
    let t_load = Instant::now();
    let (mnist, src) = data::load(&opts).context("loading MNIST")?;
    let sets = SampleSets::new(&mnist, 1000)?;
    let load_s = t_load.elapsed().as_secs_f64();
    if a.replay_init.is_some() {
        return replay(&a, &sets);
    }
    // start-up once the verified cache holds the files (the load above wrote it if needed)
    let t = Instant::now();
    let (again, _) = data::load(&opts).context("loading MNIST")?;
    let cached_load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    std::hint::black_box(SampleSets::new(&again, 1000)?);
    let sample_sets_s = t.elapsed().as_secs_f64();
    let load0 = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let threads = a.threads.max(1);

    // --- this machine's yardsticks: FMA throughput and the project's GEMM on the eval shape
    let peak_1 = sam_mnist::kernels::peak_gflops(1, 0.3);
    let peak_n = sam_mnist::kernels::peak_gflops(threads, 0.3);
    let gemm_1 = sam_mnist::kernels::gemm_gflops(1, 0.3);
    let gemm_n = sam_mnist::kernels::gemm_gflops(threads, 0.3);

    // --- the JAX reference, timed now (before ours, on the same quiet machine)
    let complete: &[&str] = if a.protocol {
        &["sgd", "adam", "sam"]
    } else if a.no_full_run {
        &[]
    } else {
        &["sgd"]
    };
    let jax_t = if a.no_jax {
        Err(anyhow::anyhow!("--no-jax"))
    } else {
        eprintln!("timing the JAX reference {} ...", a.jax_script.display());
        jax::time(&a.python, &a.jax_script, src.path(), a.eval_reps, complete)
    };
    let jt = jax_t.as_ref().ok();
    if let Err(e) = &jax_t {
        eprintln!("JAX reference not timed: {e:#}");
    }

    // --- evaluation pass (1000 train + 10000 test)
    let p = Params::init(&SIZES, 0);
    let nnz: usize = [&sets.train, &sets.test]
        .iter()
        .map(|s| s.x().iter().filter(|&&v| v != 0.0).count())
        .sum();
    let n_eval = (sets.train.len() + sets.test.len()) as f64;
    let dense_flop = 2.0 * n_eval * (784.0 * 500.0 + 500.0 * 300.0 + 300.0 * 10.0);
    let done_flop = 2.0 * (nnz as f64 * 500.0 + n_eval * (500.0 * 300.0 + 300.0 * 10.0));
    let mut eval = serde_json::Map::new();
    for t in [1, threads] {
        let mut ts = Vec::new();
        for _ in 0..a.eval_reps + 1 {
            let t0 = Instant::now();
            let r = (evaluate(&p, &sets.train, t), evaluate(&p, &sets.test, t));
            std::hint::black_box(r);
            ts.push(t0.elapsed().as_secs_f64());
        }
        ts.remove(0);
        let (min, med) = stats(ts);
        let (peak, gemm) = if t == 1 {
            (peak_1, gemm_1)
        } else {
            (peak_n, gemm_n)
        };
        let rate = done_flop / med / 1e9;
        let mut row = json!({
            "min_ms": min * 1e3, "median_ms": med * 1e3,
            "gflop_done": done_flop / 1e9,
            "gflops_done": rate,
            "gflops_dense_equivalent": dense_flop / med / 1e9,
            "fraction_of_measured_peak": rate / peak,
            "fraction_of_gemm_rate": rate / gemm,
        });
        // the reference's pass runs on its default thread pool (all cores)
        if let (true, Some(j)) = (t == threads, jt) {
            if let Some(s) = j["eval_pass"]["median_s"].as_f64() {
                row["jax_median_ms"] = json!(s * 1e3);
                row["speedup_vs_jax"] = json!(s / med);
            }
        }
        eval.insert(format!("threads_{t}"), row);
    }
    let nz_frac = 1.0 - nnz as f64 / (n_eval * 784.0);

    // --- per-step timings: training-only time per block of 100 steps
    let mut steps = serde_json::Map::new();
    let sam = Optimizer::Sam { rho: 0.2 };
    let (fast, reference) = (SamPath::LowRank, SamPath::Reference);
    for (name, opt, m, path, jax_name) in [
        ("sgd_step", Optimizer::Sgd, None, fast, Some("sgd")),
        ("sam_step", sam, None, fast, Some("sam")),
        ("sam_m1_step", sam, Some(1), fast, None),
        ("sam_reference_step", sam, None, reference, None),
        ("sam_m1_reference_step", sam, Some(1), reference, None),
        ("adam_step", Optimizer::Adam, None, fast, Some("adam")),
    ] {
        let cfg = TrainConfig {
            m_sharpness: m,
            sam_path: path,
            ..TrainConfig::paper(opt, 0)
        }
        .check()?;
        // one warm-up block, then `step_epochs` blocks of 100 steps, no evaluation
        let t = sam_mnist::train::time_steps(&cfg, &sets, a.step_epochs + 1, 100)?;
        let (min, med) = stats(t.wall_us[1..].to_vec());
        let (_, cmed) = stats(t.cpu_us[1..].to_vec());
        let mut row = json!({"min_us": min, "median_us": med, "thread_cpu_median_us": cmed});
        if let Some(us) = jax_name.and_then(|o| jt.and_then(|j| jax::step_us(j, o))) {
            row["jax_median_us"] = json!(us);
            row["speedup_vs_jax"] = json!(us / med);
        }
        steps.insert(name.to_string(), row);
    }
    let med = |k: &str| steps[k]["median_us"].as_f64().unwrap_or(f64::NAN);
    let (sgd, sam_us, m1) = (med("sgd_step"), med("sam_step"), med("sam_m1_step"));
    let mut breakdown = json!({
        "sam_over_sgd": sam_us / sgd,
        "sam_m1_over_sgd": m1 / sgd,
        "sam_reference_over_sgd": med("sam_reference_step") / sgd,
        "sam_m1_reference_over_sgd": med("sam_m1_reference_step") / sgd,
    });
    if let (Some(js), Some(jg)) = (
        jt.and_then(|j| jax::step_us(j, "sam")),
        jt.and_then(|j| jax::step_us(j, "sgd")),
    ) {
        breakdown["jax_sam_over_sgd"] = json!(js / jg);
    }
    steps.insert("breakdown".to_string(), breakdown);

    // --- complete SGD run (150 epochs + 151 evaluations), the data load included
    let full = if a.no_full_run {
        None
    } else {
        let t = Instant::now();
        let out = train_with(&TrainConfig::sgd(0).check()?, &sets, threads, |_| {})?;
        let s = t.elapsed().as_secs_f64() + load_s;
        let last = out
            .rows
            .last()
            .unwrap_or_else(|| unreachable!("150 epochs"));
        let mut row = json!({"wall_s_with_data_load": s, "data_load_s": load_s,
            "eval_threads": threads, "final_test_loss": last.test_loss});
        if let Some(j) = jt.and_then(|j| jax::run_s(j, "sgd")) {
            row["jax_in_loop_s"] = json!(j);
            row["speedup_vs_jax"] = json!(j / s);
        }
        Some(row)
    };

    // --- the whole protocol
    let protocol = if a.protocol {
        let mut cfgs = Vec::new();
        for opt in [Optimizer::Sgd, Optimizer::Adam, sam] {
            for seed in 0..5 {
                cfgs.push(TrainConfig::paper(opt, seed).check()?);
            }
        }
        let t = Instant::now();
        let outs = run_many(&cfgs, &mnist, threads);
        let s = t.elapsed().as_secs_f64();
        let mut finals = Vec::new();
        for o in outs {
            let o = o?;
            let l = o
                .rows
                .last()
                .cloned()
                .unwrap_or_else(|| unreachable!("epochs > 0"));
            finals.push(
                json!({"optimizer": o.config.optimizer.name(), "seed": o.config.seed,
                "train_loss": l.train_loss, "test_loss": l.test_loss, "test_acc": l.test_acc,
                "gap": l.gap, "grad_evals": l.grad_evals}),
            );
        }
        let mut row = json!({"wall_s": s, "threads": threads, "finals": finals});
        let runs: Option<Vec<f64>> = jt.and_then(|j| {
            ["sgd", "adam", "sam"]
                .iter()
                .map(|o| jax::run_s(j, o))
                .collect()
        });
        if let Some(r) = runs {
            // the reference runs the 15 one after another: 5 seeds x the three complete runs
            let seq = 5.0 * r.iter().sum::<f64>();
            row["jax_sequential_s"] = json!(seq);
            row["speedup_vs_jax"] = json!(seq / s);
        }
        Some(row)
    } else {
        None
    };

    // --- the targets, judged here from these same-session numbers
    let ratio = |v: &serde_json::Value| v.as_f64();
    let mut targets = serde_json::Map::new();
    let mut judge = |name: &str, value: Option<f64>, ok: fn(f64) -> bool| {
        if let Some(v) = value.filter(|v| v.is_finite()) {
            targets.insert(name.into(), json!({"value": v, "met": ok(v)}));
        }
    };
    judge("sam_over_sgd_at_most_1_6", Some(sam_us / sgd), |v| v <= 1.6);
    judge("sam_m1_over_sgd_at_most_1_7", Some(m1 / sgd), |v| v <= 1.7);
    judge(
        "eval_fraction_of_measured_peak_at_least_0_75",
        ratio(&eval[&format!("threads_{threads}")]["fraction_of_measured_peak"]),
        |v| v >= 0.75,
    );
    judge(
        "sam_step_vs_jax_at_least_2",
        ratio(&steps["sam_step"]["speedup_vs_jax"]),
        |v| v >= 2.0,
    );
    if let Some(f) = &full {
        judge(
            "sgd_run_vs_jax_at_least_2",
            ratio(&f["speedup_vs_jax"]),
            |v| v >= 2.0,
        );
    }
    if let Some(p) = &protocol {
        judge(
            "protocol_vs_jax_at_least_3",
            ratio(&p["speedup_vs_jax"]),
            |v| v >= 3.0,
        );
    }

    let jax_out = match &jax_t {
        Ok(j) => json!({"status": "timed in this session, before samlab's measurements",
            "env": j["env"], "eval_pass": j["eval_pass"], "step_bench": j["step_bench"],
            "runs": j["runs"]}),
        Err(e) => json!({"status": format!("not run: {e:#}")}),
    };
    let mut out = json!({
        "data_source": {"kind": src.kind(), "path": src.path().display().to_string()},
        "kernel_path": sam_mnist::kernels::isa().name(),
        "loadavg_start": load0.trim(),
        "loadavg_end": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        "zero_pixel_fraction": nz_frac,
        "startup": {"first_load_and_sets_s": load_s, "cached_load_s": cached_load_s,
            "sample_sets_s": sample_sets_s, "cache_enabled": std::env::var_os("SAM_MNIST_NO_CACHE").is_none()},
        "peak_gflops_measured": peak_n,
        "peak_gflops_measured_1_thread": peak_1,
        "gemm_gflops_eval_shape": gemm_n,
        "gemm_gflops_eval_shape_1_thread": gemm_1,
        "peak_threads": threads,
        "eval_pass": eval,
        "eval_dense_equivalent_gflop": dense_flop / 1e9,
        "steps": steps,
        "targets": targets,
        "jax": jax_out,
    });
    // skipped parts are absent, never null
    if let Some(f) = full {
        out["sgd_full_run"] = f;
    }
    if let Some(p) = protocol {
        out["protocol"] = p;
    }
    let text = if a.json {
        serde_json::to_string_pretty(&out)?
    } else {
        summary(&out)
    };
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|_| stdout.flush())
        .map_err(|e| anyhow::anyhow!("cannot write the result to stdout: {e}"))?;
    Ok(())
}

/// The human-readable summary: yardsticks, steps and targets (everything is in `--json`).
fn summary(out: &serde_json::Value) -> String {
    let f = |v: &serde_json::Value| v.as_f64().map_or("-".to_string(), |x| format!("{x:.3}"));
    let mut s = format!(
        "peak {} GFLOP/s (FMA kernel), GEMM on the eval shape {} GFLOP/s; JAX: {}\n",
        f(&out["peak_gflops_measured"]),
        f(&out["gemm_gflops_eval_shape"]),
        out["jax"]["status"].as_str().unwrap_or("?")
    );
    s += "step                     samlab us   JAX us   JAX/samlab\n";
    if let Some(steps) = out["steps"].as_object() {
        for (k, v) in steps.iter().filter(|(k, _)| k.ends_with("_step")) {
            s += &format!(
                "{k:<24} {:>9} {:>8} {:>12}\n",
                f(&v["median_us"]),
                f(&v["jax_median_us"]),
                f(&v["speedup_vs_jax"])
            );
        }
    }
    if let Some(t) = out["targets"].as_object() {
        for (k, v) in t {
            let met = if v["met"].as_bool() == Some(true) {
                "met"
            } else {
                "NOT met"
            };
            s += &format!("target {k}: {} ({met})\n", f(&v["value"]));
        }
    }
    s
}
