//! Speed of the MNIST hot path next to the JAX reference's numbers (anchors README).
//!
//! Prints one JSON object: evaluation pass, SGD / SAM / Adam step, complete SGD run, optionally
//! the full 15-run protocol, each with the reference value and the ratio reference / ours.

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

/// The JAX reference on this kind of machine (2 cores, quiet), from anchors/README.md.
mod jax {
    pub const EVAL_PASS_MS_2CORES: f64 = 89.0;
    pub const EVAL_PASS_MS_1CORE: f64 = 107.0;
    pub const SGD_STEP_US: f64 = 648.0;
    pub const SAM_STEP_US: f64 = 1337.0;
    pub const ADAM_STEP_US: f64 = 982.0;
    pub const SGD_RUN_S: f64 = 24.2;
    pub const PROTOCOL_S: f64 = 360.0;
    pub const EVAL_GFLOP: f64 = 12.0;
    pub const PEAK_GFLOPS: f64 = 269.0;
}

/// CPU seconds of this process (all threads).
fn cpu_s() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid pointer; CLOCK_PROCESS_CPUTIME_ID is supported on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn stats(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (v[0], v[v.len() / 2])
}

fn main() -> Result<()> {
    let a = Args::parse();
    let opts = LoadOptions::new(a.data_dir.clone(), PathBuf::from("data/mnist"));
    let (mnist, src) = data::load(&opts).context("loading MNIST")?;
    let sets = SampleSets::new(&mnist, 1000)?;
    if a.replay_init.is_some() {
        return replay(&a, &sets);
    }
    let load0 = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();

    // --- evaluation pass (1000 train + 10000 test)
    let p = Params::init(&SIZES, 0);
    let nnz: usize = [&sets.train, &sets.test]
        .iter()
        .map(|s| s.x().iter().filter(|&&v| v != 0.0).count())
        .sum();
    let n_eval = (sets.train.len() + sets.test.len()) as f64;
    let dense_flop = 2.0 * n_eval * (784.0 * 500.0 + 500.0 * 300.0 + 300.0 * 10.0);
    let done_flop = 2.0 * (nnz as f64 * 500.0 + n_eval * (500.0 * 300.0 + 300.0 * 10.0));
    // this machine's measured peak, per thread count (DESIGN.md: rates as fractions of it)
    let peak_1 = sam_mnist::kernels::peak_gflops(1, 0.3);
    let peak_n = sam_mnist::kernels::peak_gflops(a.threads.max(1), 0.3);
    let mut eval = serde_json::Map::new();
    for threads in [1, a.threads.max(1)] {
        let mut ts = Vec::new();
        let mut cs = Vec::new();
        for _ in 0..a.eval_reps + 1 {
            let (t, c) = (Instant::now(), cpu_s());
            let r = (
                evaluate(&p, &sets.train, threads),
                evaluate(&p, &sets.test, threads),
            );
            std::hint::black_box(r);
            ts.push(t.elapsed().as_secs_f64());
            cs.push(cpu_s() - c);
        }
        ts.remove(0);
        cs.remove(0);
        let (min, med) = stats(ts);
        let (cmin, cmed) = stats(cs);
        let jax_ms = if threads == 1 {
            jax::EVAL_PASS_MS_1CORE
        } else {
            jax::EVAL_PASS_MS_2CORES
        };
        let peak = jax::PEAK_GFLOPS * threads.min(2) as f64 / 2.0;
        eval.insert(
            format!("threads_{threads}"),
            json!({
                "min_ms": min * 1e3, "median_ms": med * 1e3,
                "process_cpu_min_ms": cmin * 1e3, "process_cpu_median_ms": cmed * 1e3,
                "gflop_done": done_flop / 1e9,
                "gflops_done": done_flop / min / 1e9,
                "gflops_dense_equivalent": dense_flop / min / 1e9,
                "fraction_of_peak_done": done_flop / min / 1e9 / peak,
                "fraction_of_peak_dense_equivalent": dense_flop / min / 1e9 / peak,
                "peak_gflops_used": peak,
                "fraction_of_measured_peak": done_flop / min / 1e9
                    / if threads == 1 { peak_1 } else { peak_n },
                "jax_ms": jax_ms, "speedup_vs_jax": jax_ms / (min * 1e3),
            }),
        );
    }
    let nz_frac = 1.0 - nnz as f64 / (n_eval * 784.0);

    // --- per-step timings: training-only time per epoch of 100 steps
    let mut steps = serde_json::Map::new();
    let sam = Optimizer::Sam { rho: 0.2 };
    let (fast, reference) = (SamPath::LowRank, SamPath::Reference);
    for (name, opt, m, path, jax_us) in [
        ("sgd_step", Optimizer::Sgd, None, fast, jax::SGD_STEP_US),
        ("sam_step", sam, None, fast, jax::SAM_STEP_US),
        ("sam_m1_step", sam, Some(1), fast, f64::NAN),
        ("sam_reference_step", sam, None, reference, f64::NAN),
        ("sam_m1_reference_step", sam, Some(1), reference, f64::NAN),
        ("adam_step", Optimizer::Adam, None, fast, jax::ADAM_STEP_US),
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
        let (cmin, cmed) = stats(t.cpu_us[1..].to_vec());
        let cpu = t.cpu_us[1..].iter().sum::<f64>() / t.wall_us[1..].iter().sum::<f64>();
        let gflop = match opt {
            Optimizer::Adam | Optimizer::Sgd => 26.0e-3,
            _ => 53.0e-3, // the SAM family: two passes
        };
        let mut row = json!({"min_us": min, "median_us": med, "cpu_over_wall": cpu,
               "thread_cpu_min_us": cmin, "thread_cpu_median_us": cmed,
               "dense_equivalent_gflops": gflop / (min * 1e-6),
               "fraction_of_measured_peak_1_thread": gflop / (min * 1e-6) / peak_1});
        if jax_us.is_finite() {
            // the anchors README has no m = 1 number: no comparison rather than a null
            row["jax_us"] = json!(jax_us);
            row["speedup_vs_jax"] = json!(jax_us / min);
        }
        steps.insert(name.to_string(), row);
    }

    // --- the bare gradient pass, and what a SAM and an SGD step spend beyond it (issue 11, item 12)
    {
        let t = sam_mnist::train::time_gradient_passes(&sets, 10, a.step_epochs + 1, 100)?;
        let (gmin, gmed) = stats(t.wall_us[1..].to_vec());
        let med = |k: &str| steps[k]["median_us"].as_f64().unwrap_or(f64::NAN);
        let (sgd, sam) = (med("sgd_step"), med("sam_step"));
        steps.insert(
            "gradient_pass".to_string(),
            json!({"min_us": gmin, "median_us": gmed}),
        );
        steps.insert(
            "breakdown".to_string(),
            json!({
                "sam_over_sgd": sam / sgd,
                "two_gradient_passes_over_sgd": 2.0 * gmed / sgd,
                "sam_beyond_two_passes_us": sam - 2.0 * gmed,
                "sgd_fused_over_one_pass": sgd / gmed,
            }),
        );
    }

    // --- complete SGD run (150 epochs + 151 evaluations), one thread
    let full = if a.no_full_run {
        None
    } else {
        let mut res = serde_json::Map::new();
        for threads in [1, a.threads.max(1)] {
            let t = Instant::now();
            let out = train_with(&TrainConfig::sgd(0).check()?, &sets, threads, |_| {})?;
            let s = t.elapsed().as_secs_f64();
            let last = out.rows.last().unwrap();
            res.insert(
                format!("eval_threads_{threads}"),
                json!({"wall_s": s, "training_only_s": last.wall_s, "final_test_loss": last.test_loss,
                       "jax_s": jax::SGD_RUN_S, "speedup_vs_jax": jax::SGD_RUN_S / s}),
            );
        }
        Some(json!(res))
    };

    // --- the whole protocol
    let protocol = if a.protocol {
        let mut cfgs = Vec::new();
        for opt in [Optimizer::Sgd, Optimizer::Adam, Optimizer::Sam { rho: 0.2 }] {
            for seed in 0..5 {
                cfgs.push(TrainConfig::paper(opt, seed).check()?);
            }
        }
        let t = Instant::now();
        let outs = run_many(&cfgs, &mnist, a.threads);
        let s = t.elapsed().as_secs_f64();
        let mut finals = Vec::new();
        for o in outs {
            let o = o?;
            let l = o.rows.last().unwrap().clone();
            finals.push(
                json!({"optimizer": o.config.optimizer.name(), "seed": o.config.seed,
                "train_loss": l.train_loss, "test_loss": l.test_loss, "test_acc": l.test_acc,
                "gap": l.gap, "grad_evals": l.grad_evals}),
            );
        }
        Some(
            json!({"wall_s": s, "threads": a.threads, "jax_readme_sequential_s": jax::PROTOCOL_S,
               "speedup_vs_jax_readme": jax::PROTOCOL_S / s, "finals": finals}),
        )
    } else {
        None
    };

    let out = json!({
        "data_source": {"kind": src.kind(), "path": src.path().display().to_string()},
        "kernel_path": sam_mnist::kernels::isa().name(),
        "loadavg_start": load0.trim(),
        "loadavg_end": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
        "zero_pixel_fraction": nz_frac,
        "eval_pass": eval,
        "eval_dense_equivalent_gflop": dense_flop / 1e9,
        "jax_eval_gflop": jax::EVAL_GFLOP,
        "steps": steps,
        "peak_gflops_measured": peak_n,
        "peak_gflops_measured_1_thread": peak_1,
        "peak_threads": a.threads.max(1),
    });
    // skipped parts are absent, never null
    let mut out = out;
    if let Some(f) = full {
        out["sgd_full_run"] = f;
    }
    if let Some(p) = protocol {
        out["protocol"] = p;
    }
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string_pretty(&out)?)
        .and_then(|_| stdout.flush())
        .map_err(|e| anyhow::anyhow!("cannot write the result to stdout: {e}"))?;
    Ok(())
}
