//! `samlab sweep`: grids of samlab runs as index-sharded trials (`../shared/RESEARCH.md`
//! section 5): `plan` lists the trials, `run` runs a task index, a shard or all of them into
//! `OUT/trials/<id>.json`, `emit` prints a Slurm, GNU parallel or Kubernetes script over the
//! task indices, `merge` gathers the trial files into `OUT/results.csv`.

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sam_sweep::emit;
use sam_sweep::store::Event;
use sam_sweep::{Plan, Spec, Store};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Arguments of `samlab sweep`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

/// What to do with a spec.
#[derive(clap::Subcommand)]
pub enum Action {
    /// List the spec's trials: the canonical product of its axes, each with its id.
    Plan {
        /// The sweep spec (TOML; examples in sweeps/).
        spec: PathBuf,
        /// Trials per task index [default: the spec's trials_per_task, else 1].
        #[arg(long)]
        trials_per_task: Option<usize>,
        /// Print `{"trials": N, "ids": [...], "tasks": T}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run trials: one task index, a shard, or all of them; finished trials are skipped.
    Run {
        /// The sweep spec.
        spec: PathBuf,
        /// The task index to run [default: $SLURM_ARRAY_TASK_ID, then $JOB_COMPLETION_INDEX].
        #[arg(long, conflicts_with_all = ["shard", "all"])]
        index: Option<usize>,
        /// Every N-th trial from the K-th (K/N, 0 <= K < N), e.g. 0/2 on one machine, 1/2 on another.
        #[arg(long, conflicts_with = "all")]
        shard: Option<String>,
        /// Every trial, as a local pool of --jobs at a time.
        #[arg(long)]
        all: bool,
        /// Output folder [default: the spec's out, else sweep-out/<spec file stem>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Trials per task index (must match what the tasks were planned with) [default: the spec's, else 1].
        #[arg(long)]
        trials_per_task: Option<usize>,
        /// Trials run at once [default: the cores available with --all or --shard, 1 with an index].
        #[arg(long)]
        jobs: Option<usize>,
        /// Threads of each trial [default: the cores available divided by --jobs].
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Print a script or manifest that runs every task index on an engine.
    Emit {
        #[command(subcommand)]
        engine: Engine,
    },
    /// Gather the trial files into OUT/results.csv (and OUT/epochs.csv for per-epoch rows).
    Merge {
        /// The sweep spec.
        spec: PathBuf,
        /// Output folder [default: as for run].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the tables from the trials that finished even if some are missing or failed
        /// (the exit status is then 0).
        #[arg(long)]
        partial: bool,
        /// Print what was merged and what is missing as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Flags every emitter shares.
#[derive(clap::Args)]
pub struct EmitCommon {
    /// The sweep spec (its path as the tasks will see it).
    pub spec: PathBuf,
    /// Output folder, as the tasks will see it [default: as for run].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Trials per task index [default: the spec's, else 1].
    #[arg(long)]
    pub trials_per_task: Option<usize>,
    /// The samlab binary the tasks run (a path or a name on their PATH).
    #[arg(long, default_value = "samlab")]
    pub samlab: String,
}

/// The engines.
#[derive(clap::Subcommand)]
pub enum Engine {
    /// An sbatch script for a Slurm job array over the task indices.
    Slurm {
        #[command(flatten)]
        common: EmitCommon,
        /// Array tasks running at once (the array's %K) [default: no limit].
        #[arg(long)]
        concurrency: Option<usize>,
        /// CPUs of each array task (also each trial's threads).
        #[arg(long, default_value_t = 2)]
        cpus_per_task: usize,
        /// Memory of each array task.
        #[arg(long, default_value = "4G")]
        mem: String,
        /// Time limit of each array task.
        #[arg(long, default_value = "01:00:00")]
        time: String,
        /// The partition [default: the cluster's default].
        #[arg(long)]
        partition: Option<String>,
        /// The job name [default: samlab-<spec file stem>].
        #[arg(long)]
        job_name: Option<String>,
    },
    /// A GNU parallel command line with --joblog and --resume.
    Parallel {
        #[command(flatten)]
        common: EmitCommon,
        /// Tasks at once on each host (each trial then runs on 1 thread).
        #[arg(long, default_value_t = 2)]
        jobs: usize,
        /// Run over the ssh hosts listed in this file (they must share the filesystem).
        #[arg(long)]
        sshloginfile: Option<String>,
    },
    /// A Kubernetes Indexed Job manifest.
    K8s {
        #[command(flatten)]
        common: EmitCommon,
        /// The container image with samlab on its PATH.
        #[arg(long, default_value = "samlab:latest")]
        image: String,
        /// Pods running at once.
        #[arg(long, default_value_t = 4)]
        parallelism: usize,
        /// CPUs of each pod (also each trial's threads).
        #[arg(long, default_value_t = 2)]
        cpus: usize,
        /// Memory of each pod.
        #[arg(long, default_value = "4Gi")]
        mem: String,
        /// The PersistentVolumeClaim holding the spec and the output, mounted at --mount (a
        /// pod's own filesystem, and every result in it, is gone with the pod); it must exist.
        #[arg(long, default_value = "samlab-work")]
        pvc: String,
        /// Where the claim is mounted; also the pods' working folder.
        #[arg(long, default_value = "/work")]
        mount: String,
    },
}

fn plan_of(spec: &Path, trials_per_task: Option<usize>) -> Result<Plan> {
    let spec = Spec::read(spec)?;
    Ok(Plan::new(spec, &crate::sweep::Samlab, trials_per_task)?)
}

/// `samlab-<stem>` as a Kubernetes object name (DNS-1123: lowercase letters, digits and `-`,
/// at most 63 characters, alphanumeric at both ends).
fn k8s_name(stem: &str) -> String {
    let mut n: String = format!("samlab-{stem}")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(63)
        .collect();
    while n.ends_with('-') {
        n.pop();
    }
    n
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The task index from the environment of a job array (Slurm, then Kubernetes).
fn env_index() -> Result<Option<usize>> {
    for var in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
        if let Ok(v) = std::env::var(var) {
            let i = v.trim().parse::<usize>().with_context(|| {
                format!("${var} = {v:?} is not a task index: it must be a whole number >= 0")
            })?;
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn shard_of(s: &str) -> Result<(usize, usize)> {
    let parse = || -> Option<(usize, usize)> {
        let (k, n) = s.split_once('/')?;
        Some((k.trim().parse().ok()?, n.trim().parse().ok()?))
    };
    parse().with_context(|| format!("--shard {s:?}: give K/N, e.g. 0/2"))
}

#[derive(Serialize)]
struct PlanJson<'a> {
    trials: usize,
    ids: Vec<&'a str>,
    tasks: usize,
    trials_per_task: usize,
}

#[derive(Serialize)]
struct MergeJson {
    merged: usize,
    missing: Vec<usize>,
    failed: Vec<usize>,
    written: Vec<String>,
}

/// Runs `samlab sweep`.
pub fn run(a: Args) -> Result<()> {
    match a.action {
        Action::Plan {
            spec,
            trials_per_task,
            json,
        } => {
            let p = plan_of(&spec, trials_per_task)?;
            if json {
                return super::print_json(&PlanJson {
                    trials: p.trials.len(),
                    ids: p.trials.iter().map(|t| t.id.as_str()).collect(),
                    tasks: p.tasks(),
                    trials_per_task: p.trials_per_task,
                });
            }
            crate::outln!(
                "{}: {} trials of `samlab {}` in {} task(s) of {}",
                spec.display(),
                p.trials.len(),
                p.spec.command,
                p.tasks(),
                p.trials_per_task
            );
            for t in &p.trials {
                crate::outln!(
                    "{:>5} {} {}",
                    t.index,
                    t.id,
                    sam_sweep::plan::describe(&t.settings)
                );
            }
            Ok(())
        }
        Action::Run {
            spec,
            index,
            shard,
            all,
            out,
            trials_per_task,
            jobs,
            threads,
        } => {
            let p = plan_of(&spec, trials_per_task)?;
            let store = Store::new(&p.spec.out_dir(out.as_deref()));
            // a local pool (--all, --shard) fills the cores; a task index of a cluster job runs
            // its trials one at a time on the task's CPUs
            let (selection, what, local): (Vec<usize>, String, bool) = if all {
                ((0..p.trials.len()).collect(), "all trials".into(), true)
            } else if let Some(s) = shard {
                let (k, n) = shard_of(&s)?;
                (p.shard(k, n)?, format!("shard {k}/{n}"), true)
            } else {
                let Some(i) = index.map(Some).map_or_else(env_index, Ok)? else {
                    bail!("say which trials to run: --index I (or $SLURM_ARRAY_TASK_ID / $JOB_COMPLETION_INDEX), --shard K/N or --all")
                };
                (p.task(i)?.collect(), format!("task {i}"), false)
            };
            let jobs = match jobs {
                Some(0) => bail!("--jobs 0: run at least 1 trial at a time"),
                Some(j) => j.min(256),
                None if local => cores(),
                None => 1,
            };
            let threads = match threads {
                Some(0) => bail!("--threads 0: give each trial at least 1 thread"),
                Some(t) => t.min(256),
                None => (cores() / jobs.min(selection.len().max(1))).max(1),
            };
            let pb = ProgressBar::new(selection.len() as u64);
            pb.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} trials {elapsed_precise} eta {eta}",
                )
                .expect("template")
                .progress_chars("=> "),
            );
            pb.set_message(format!("{} {what}", spec.display()));
            let report = sam_sweep::store::run(
                &p,
                &store,
                &crate::sweep::Samlab,
                &selection,
                jobs,
                threads,
                &|t, e| {
                    pb.inc(1);
                    let line = match e {
                        Event::Skipped => {
                            format!("trial {} {}: done before, skipped", t.index, t.id)
                        }
                        Event::Done(s) => format!("trial {} {}: done in {s:.1} s", t.index, t.id),
                        Event::Failed(log, msg) => format!(
                            "trial {} {}: FAILED ({msg}); see {}",
                            t.index,
                            t.id,
                            log.display()
                        ),
                    };
                    // one line per trial, also when stderr is a log file (the bar is hidden then)
                    if pb.is_hidden() {
                        eprintln!("{line}");
                    } else {
                        pb.println(line);
                    }
                },
            )?;
            pb.finish_and_clear();
            let (ran, skipped, failed) = report.counts();
            eprintln!(
                "{what} of {}: {ran} ran, {skipped} skipped (done before), {failed} failed; results in {}",
                spec.display(),
                store.dir.join("trials").display()
            );
            if failed > 0 {
                let logs: Vec<String> = report
                    .events
                    .iter()
                    .filter_map(|(_, e)| match e {
                        Event::Failed(l, _) => Some(l.display().to_string()),
                        _ => None,
                    })
                    .collect();
                bail!("{failed} trial(s) failed; their logs: {}", logs.join(", "));
            }
            Ok(())
        }
        Action::Emit { engine } => {
            let common = match &engine {
                Engine::Slurm { common, .. }
                | Engine::Parallel { common, .. }
                | Engine::K8s { common, .. } => EmitCommon {
                    spec: common.spec.clone(),
                    out: common.out.clone(),
                    trials_per_task: common.trials_per_task,
                    samlab: common.samlab.clone(),
                },
            };
            let p = plan_of(&common.spec, common.trials_per_task)?;
            let out = p.spec.out_dir(common.out.as_deref());
            let stem = common
                .spec
                .file_stem()
                .map_or("sweep".into(), |s| s.to_string_lossy().into_owned());
            let task = |threads: usize| emit::Task {
                samlab: common.samlab.clone(),
                spec: common.spec.display().to_string(),
                out: out.display().to_string(),
                threads,
            };
            let script = match engine {
                Engine::Slurm {
                    concurrency,
                    cpus_per_task,
                    mem,
                    time,
                    partition,
                    job_name,
                    ..
                } => {
                    if cpus_per_task == 0 || concurrency == Some(0) {
                        bail!("--cpus-per-task and --concurrency must be at least 1");
                    }
                    emit::slurm(
                        &p,
                        &task(cpus_per_task),
                        &emit::Slurm {
                            concurrency,
                            cpus_per_task,
                            mem,
                            time,
                            partition,
                            job_name: job_name.unwrap_or(format!("samlab-{stem}")),
                        },
                    )
                }
                Engine::Parallel {
                    jobs, sshloginfile, ..
                } => {
                    if jobs == 0 {
                        bail!("--jobs 0: run at least 1 task at a time");
                    }
                    emit::parallel(&p, &task(1), jobs, sshloginfile.as_deref())
                }
                Engine::K8s {
                    image,
                    parallelism,
                    cpus,
                    mem,
                    pvc,
                    mount,
                    ..
                } => {
                    if cpus == 0 || parallelism == 0 {
                        bail!("--cpus and --parallelism must be at least 1");
                    }
                    emit::k8s(
                        &p,
                        &task(cpus),
                        &emit::K8s {
                            image,
                            parallelism,
                            cpus,
                            mem,
                            name: k8s_name(&stem),
                            pvc,
                            mount,
                        },
                    )
                }
            };
            super::write_line(format_args!("{}", script.trim_end()))
        }
        Action::Merge {
            spec,
            out,
            partial,
            json,
        } => {
            let p = plan_of(&spec, None)?;
            let store = Store::new(&p.spec.out_dir(out.as_deref()));
            let m = sam_sweep::merge::merge(&p, &store, partial)?;
            let ids = |v: &[usize]| -> String {
                let shown: Vec<String> = v
                    .iter()
                    .take(20)
                    .map(|&i| format!("{i} ({})", p.trials[i].id))
                    .collect();
                let more = if v.len() > 20 {
                    format!(" and {} more", v.len() - 20)
                } else {
                    String::new()
                };
                format!("{}{more}", shown.join(", "))
            };
            if json {
                super::print_json(&MergeJson {
                    merged: m.merged.len(),
                    missing: m.missing.clone(),
                    failed: m.failed.iter().map(|(i, _)| *i).collect(),
                    written: m.written.iter().map(|w| w.display().to_string()).collect(),
                })?;
            } else {
                for w in &m.written {
                    crate::outln!("wrote {}", w.display());
                }
            }
            if !m.complete() {
                let mut why = Vec::new();
                if !m.missing.is_empty() {
                    why.push(format!(
                        "{} missing: trials {}",
                        m.missing.len(),
                        ids(&m.missing)
                    ));
                }
                if !m.failed.is_empty() {
                    let f: Vec<usize> = m.failed.iter().map(|(i, _)| *i).collect();
                    why.push(format!(
                        "{} failed: trials {} (logs in {})",
                        f.len(),
                        ids(&f),
                        store.dir.join("logs").display()
                    ));
                }
                let msg = format!(
                    "{} of {} trials merged; {}",
                    m.merged.len(),
                    p.trials.len(),
                    why.join("; ")
                );
                if partial {
                    eprintln!("{msg} (--partial: tables written from the finished trials)");
                } else {
                    bail!(
                        "{msg}: run them (samlab sweep run {} --all --out {} skips the finished ones), or pass --partial",
                        spec.display(),
                        store.dir.display()
                    );
                }
            }
            Ok(())
        }
    }
}
