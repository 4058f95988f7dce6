//! samlab's commands behind the sweep seam ([`sam_sweep::Runner`]): a trial's settings are the
//! command's long flags, parsed by the same clap arguments and checked by the same code as on
//! the command line, so a trial is exactly `samlab <command> --key=value ...`.

use crate::cli;
use clap::Parser;
use sam_sweep::plan::Output;
use sam_sweep::spec::Value;
use sam_sweep::Settings;

/// The samlab commands a sweep can run; besides these, the studies' own jobs
/// ([`sam_experiments::JOB_COMMANDS`]: a training run plus what the study measures on it).
pub const COMMANDS: [&str; 2] = ["train", "diagnet"];

/// Settings as a JSON object with the keys as written (the studies' jobs take them so).
fn settings_json(s: &Settings) -> serde_json::Value {
    Value::object(s).into()
}

/// A study job's flat JSON settings as sweep settings.
fn job_settings(v: &serde_json::Value) -> Result<Settings, String> {
    let obj = v.as_object().ok_or("a job is a JSON object")?;
    obj.iter()
        .map(|(k, x)| {
            let val = match x {
                serde_json::Value::Bool(b) => Value::Bool(*b),
                serde_json::Value::String(t) => Value::Str(t.clone()),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Value::Int(i),
                    None => Value::Float(n.as_f64().ok_or("a number out of range")?),
                },
                _ => return Err(format!("job setting {k:?} is not a scalar")),
            };
            Ok((k.clone(), val))
        })
        .collect()
}

/// Settings the sweep sets itself, refused in a spec.
const RESERVED: [&str; 5] = ["json", "out", "help", "version", "threads"];

#[derive(Parser)]
#[command(name = "samlab train", no_binary_name = true)]
struct TrainArgv {
    #[command(flatten)]
    args: cli::train::Args,
}

#[derive(Parser)]
#[command(name = "samlab diagnet", no_binary_name = true)]
struct DiagnetArgv {
    #[command(flatten)]
    args: cli::diagnet::Args,
}

/// The command-line words of `settings`: `--key=value`, a `true` switch as `--key`.
///
/// ```
/// use sam_sweep::spec::Value;
/// let mut s = sam_sweep::Settings::new();
/// s.insert("lr".into(), Value::Float(0.05));
/// s.insert("json".into(), Value::Bool(true));
/// assert!(samlab::sweep::argv(&s).is_err()); // the sweep sets --json itself
/// s.remove("json");
/// assert_eq!(samlab::sweep::argv(&s).unwrap(), ["--lr=0.05"]);
/// ```
pub fn argv(settings: &Settings) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    for (k, v) in settings {
        if RESERVED.contains(&k.as_str()) {
            return Err(format!(
                "setting {k:?} is set by the sweep itself: remove it from the spec (threads: pass `samlab sweep run --threads`)"
            ));
        }
        match v {
            Value::Bool(true) => words.push(format!("--{k}")),
            Value::Bool(false) => {}
            v => words.push(format!("--{k}={}", v.arg())),
        }
    }
    Ok(words)
}

fn parse<P: Parser>(settings: &Settings) -> Result<P, String> {
    P::try_parse_from(argv(settings)?).map_err(|e| {
        // clap's message without its usage block
        e.to_string()
            .lines()
            .next()
            .unwrap_or("invalid settings")
            .trim_start_matches("error: ")
            .to_string()
    })
}

fn json_map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// A `train` trial's output: the `--json` summary (without its config), the epoch rows, and the
/// final weights as the attachment `params.f32` (little-endian f32 in the engine's flat order).
fn train_output(
    summary: &cli::train::Summary,
    rows: &[sam_mnist::train::EpochRow],
    params: &sam_mnist::model::Params,
) -> Result<Output, String> {
    let mut s = json_map(serde_json::to_value(summary).map_err(|e| e.to_string())?);
    s.remove("config");
    Ok(Output {
        summary: s,
        rows: rows
            .iter()
            .map(|r| serde_json::to_value(r).map(json_map))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?,
        timing: vec!["wall_s".into(), "cpu_s".into()],
        attachments: vec![("params.f32".into(), params.to_le_bytes())],
    })
}

/// A study job's output as a trial's: its row as the summary, its rows over time, its weights
/// as the attachment `params.f32` when it has them; `wall_s` is a timing.
fn job_output(o: sam_experiments::JobOutput) -> Result<Output, String> {
    Ok(Output {
        summary: json_map(o.row),
        rows: o.rows.into_iter().map(json_map).collect(),
        timing: vec!["wall_s".into()],
        attachments: o
            .params
            .map(|p| vec![("params.f32".to_string(), p.to_le_bytes())])
            .unwrap_or_default(),
    })
}

/// [`sam_sweep::Runner`] for samlab's commands.
pub struct Samlab;

impl sam_sweep::Runner for Samlab {
    fn commands(&self) -> Vec<&'static str> {
        COMMANDS
            .iter()
            .chain(&sam_experiments::JOB_COMMANDS)
            .copied()
            .collect()
    }

    fn normalize(&self, command: &str, s: &Settings) -> Result<serde_json::Value, String> {
        let err = |e: anyhow::Error| cli::error_chain(&e);
        match command {
            "train" => {
                let a = parse::<TrainArgv>(s)?.args;
                let c = cli::train::config(&a).map_err(err)?;
                serde_json::to_value(&*c).map_err(|e| e.to_string())
            }
            "diagnet" => {
                let a = parse::<DiagnetArgv>(s)?.args;
                let c = cli::diagnet::setup(&a).map_err(err)?;
                serde_json::to_value(&c).map_err(|e| e.to_string())
            }
            job => {
                // a study job's settings are its fields; a `false` switch is a value here
                sam_experiments::normalize_job(job, &settings_json(s)).map_err(|e| e.to_string())
            }
        }
    }

    fn run(&self, command: &str, s: &Settings, threads: usize) -> Result<Output, String> {
        let err = |e: anyhow::Error| cli::error_chain(&e);
        let mut out = Output::default();
        match command {
            "train" => {
                let a = parse::<TrainArgv>(s)?.args;
                let c = cli::train::config(&a).map_err(err)?;
                let t =
                    cli::train::execute(&c, a.data_dir.clone(), threads, |_| {}).map_err(err)?;
                out = train_output(&t.summary, &t.rows, &t.params)?;
            }
            "diagnet" => {
                let a = parse::<DiagnetArgv>(s)?.args;
                let r = cli::diagnet::execute(&a).map_err(err)?;
                out.summary = json_map(serde_json::to_value(&r).map_err(|e| e.to_string())?);
            }
            job => {
                let (data, _) = sam_mnist::data::load(&sam_mnist::data::LoadOptions::new(
                    None,
                    std::path::PathBuf::from("data/mnist"),
                ))
                .map_err(|e| e.to_string())?;
                let o = sam_experiments::run_job(job, &settings_json(s), &data)
                    .map_err(|e| e.to_string())?;
                out = job_output(o)?;
            }
        }
        Ok(out)
    }
}

/// The `samlab train` flags of `c`: the settings of a sweep trial that is exactly the run `c`
/// (checked by [`train_trial_id`]).
///
/// ```
/// use sam_mnist::train::{Optimizer, TrainConfig};
/// let c = TrainConfig::paper(Optimizer::Sam { rho: 0.05 }, 3);
/// let s = samlab::sweep::train_settings(&c);
/// assert_eq!(s["optimizer"].arg(), "sam");
/// assert_eq!(s["rho"].arg(), "0.05");
/// assert!(!s.contains_key("beta1")); // an Adam flag, refused for SAM
/// ```
pub fn train_settings(c: &sam_mnist::train::TrainConfig) -> Settings {
    use sam_mnist::train::{Optimizer, SamPath};
    let mut s = Settings::new();
    let mut put = |k: &str, v: Value| {
        s.insert(k.to_string(), v);
    };
    let int = |x: usize| Value::Int(i64::try_from(x).unwrap_or(i64::MAX));
    put("optimizer", Value::Str(c.optimizer.name().into()));
    if let Some(rho) = c.optimizer.rho() {
        put("rho", Value::Float(rho));
    }
    if let Optimizer::Asam { eta, .. } = c.optimizer {
        put("asam-eta", Value::Float(eta));
    }
    put("lr", Value::Float(c.lr));
    put("epochs", int(c.epochs));
    put(
        "seed",
        Value::Int(i64::try_from(c.seed).unwrap_or(i64::MAX)),
    );
    put("batch-size", int(c.batch_size));
    put("train-size", int(c.train_size));
    if let Some(m) = c.m_sharpness {
        put("m-sharpness", int(m));
    }
    if c.val_size > 0 {
        put("val-size", int(c.val_size));
    }
    if c.label_noise > 0.0 {
        put("label-noise", Value::Float(c.label_noise));
    }
    if c.noise_seed > 0 {
        put(
            "noise-seed",
            Value::Int(i64::try_from(c.noise_seed).unwrap_or(i64::MAX)),
        );
    }
    if matches!(c.optimizer, Optimizer::Adam) {
        put("beta1", Value::Float(c.beta1));
        put("beta2", Value::Float(c.beta2));
        put("adam-eps", Value::Float(c.adam_eps));
    }
    if matches!(c.optimizer, Optimizer::Sam { .. } | Optimizer::Asam { .. }) {
        put("sam-eps", Value::Float(c.sam_eps));
    }
    if c.sam_path == SamPath::Reference
        && matches!(c.optimizer, Optimizer::Sam { .. } | Optimizer::Usam { .. })
    {
        put("sam-path", Value::Str("reference".into()));
    }
    s
}

/// The id of the `samlab train` trial that is the run `c`; an error when the flags of `c` do not
/// give back `c` itself (a setting the command line cannot express).
pub fn train_trial_id(c: &sam_mnist::train::TrainConfig) -> Result<String, String> {
    use sam_sweep::Runner;
    let want = serde_json::to_value(c).map_err(|e| e.to_string())?;
    let got = Samlab.normalize("train", &train_settings(c))?;
    if got != want {
        return Err(format!(
            "the run {want} is not a `samlab train` command line (its flags give {got})"
        ));
    }
    Ok(sam_sweep::plan::trial_id("train", &want))
}

/// A TOML value, for a spec file (floats in Rust's round-trip form, which TOML reads back
/// exactly).
fn toml_value(v: &Value) -> String {
    match v {
        Value::Str(s) => serde_json::Value::from(s.as_str()).to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::Bool(b) => b.to_string(),
        Value::List(l) => format!(
            "[{}]",
            l.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The sweep spec of `command` whose trials are `points` (one `[[grid]]` per point without its
/// seed, with the seeds as its axis), writing into `out`: what the `figures` binary writes for
/// each phase of an experiment's training, for a user to run with `samlab sweep` (on a cluster,
/// say).
pub fn spec_for(phase: &str, command: &str, points: &[Settings], out: &str) -> String {
    let mut groups: Vec<(Settings, Vec<Value>)> = Vec::new();
    let mut single: Vec<Settings> = Vec::new();
    for p in points {
        let mut s = p.clone();
        let Some(seed) = s.remove("seed") else {
            single.push(s);
            continue;
        };
        match groups.iter_mut().find(|(g, _)| *g == s) {
            Some((_, seeds)) => seeds.push(seed),
            None => groups.push((s, vec![seed])),
        }
    }
    let mut t = format!(
        "# The `{phase}` runs of `cargo run --release --bin figures`, as a sweep: written by figures\n\
         # from the experiment's config (do not edit; rerun figures). Run them anywhere with\n\
         # `samlab sweep run THIS_FILE --all` (or `samlab sweep emit slurm THIS_FILE`) from the\n\
         # repository root, then `figures --no-run` takes them from {out}.\n\
         # {} trials.\n\
         command = {}\nout = {}\n",
        points.len(),
        toml_value(&Value::Str(command.into())),
        toml_value(&Value::Str(out.into()))
    );
    for (s, seeds) in groups {
        let fixed: Vec<String> = s
            .iter()
            .map(|(k, v)| format!("{k} = {}", toml_value(v)))
            .collect();
        t += &format!(
            "\n[[grid]]\nfixed = {{ {} }}\naxes = {{ seed = {} }}\n",
            fixed.join(", "),
            toml_value(&Value::List(seeds))
        );
    }
    for s in single {
        let fixed: Vec<String> = s
            .iter()
            .map(|(k, v)| format!("{k} = {}", toml_value(v)))
            .collect();
        t += &format!("\n[[grid]]\nfixed = {{ {} }}\n", fixed.join(", "));
    }
    t
}

/// [`spec_for`] of study jobs (each a flat JSON object of settings).
pub fn job_spec(
    phase: &str,
    command: &str,
    jobs: &[serde_json::Value],
    out: &str,
) -> Result<String, String> {
    let points = jobs
        .iter()
        .map(job_settings)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(spec_for(phase, command, &points, out))
}

/// [`spec_for`] of `samlab train` runs.
pub fn train_spec(phase: &str, configs: &[sam_mnist::train::TrainConfig], out: &str) -> String {
    let points: Vec<Settings> = configs.iter().map(train_settings).collect();
    spec_for(phase, "train", &points, out)
}

/// The `figures` binary's [`sam_experiments::Trainer`]: each phase of an experiment's training is
/// the sweep spec `specs/<phase>.toml` (see [`spec_for`]). Without `no_run` every run trains
/// here (with the experiments' own in-process scheduling) and is stored as the trial file
/// `samlab sweep run` writes, replacing an older one; with `no_run` none trains and each must be
/// in the store (a missing one is [`sam_experiments::ExperimentError::TrialsMissing`], naming
/// the spec). Every outcome is read back from its trial file, so the rows are the same whether
/// this machine or a cluster computed them.
pub struct SweepTrainer {
    /// Where the spec files go (`sweeps/figures/`).
    pub specs: std::path::PathBuf,
    /// The trial store (`sweep-out/figures/`).
    pub store: std::path::PathBuf,
    /// The store as written in the specs (relative to the repository root).
    pub store_text: String,
    /// Train nothing: take every outcome from the store.
    pub no_run: bool,
}

/// A phase of a [`SweepTrainer`]: its plan, its store, where each asked-for run sits in the
/// plan, and which runs train here.
struct Phase {
    spec: std::path::PathBuf,
    plan: sam_sweep::Plan,
    store: sam_sweep::Store,
    index: Vec<usize>,
    to_run: Vec<usize>,
}

fn fail(m: String) -> sam_experiments::ExperimentError {
    sam_experiments::ExperimentError::Finding(m)
}

impl SweepTrainer {
    /// Writes the phase's spec, plans it, and finds each of `ids` in it; with `no_run`, a
    /// missing trial is an error naming the spec.
    fn phase(&self, phase: &str, text: &str, ids: &[String]) -> sam_experiments::Result<Phase> {
        let spec_path = self.specs.join(format!("{phase}.toml"));
        sam_results::write_atomic(&spec_path, text.as_bytes())?;
        let spec = sam_sweep::Spec::read(&spec_path).map_err(|e| fail(e.to_string()))?;
        let plan = sam_sweep::Plan::new(spec, &Samlab, None).map_err(|e| fail(e.to_string()))?;
        let store = sam_sweep::Store::new(&self.store);
        let index: Vec<usize> = ids
            .iter()
            .map(|id| plan.trials.iter().position(|t| &t.id == id))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                fail(format!(
                    "{}: a run is not among its trials (a bug)",
                    spec_path.display()
                ))
            })?;
        // without no_run every run trains (figures regenerates from scratch, and overwrites the
        // store's trials); with it none does, and every run must be in the store
        let to_run: Vec<usize> = if self.no_run {
            (0..ids.len())
                .filter(|&k| !store.is_done(&ids[k]))
                .collect()
        } else {
            (0..ids.len()).collect()
        };
        if self.no_run && !to_run.is_empty() {
            return Err(sam_experiments::ExperimentError::TrialsMissing(format!(
                "{} of {} trials of {} have no result in {}: run them (`samlab sweep run {} --all`, or on a cluster `samlab sweep emit slurm ...`), then `figures --no-run` again",
                to_run.len(),
                ids.len(),
                spec_path.display(),
                self.store.display(),
                spec_path.display()
            )));
        }
        Ok(Phase {
            spec: spec_path,
            plan,
            store,
            index,
            to_run,
        })
    }

    /// The stored record of run `k` of the phase, and its weights when it has them.
    fn load(
        &self,
        ph: &Phase,
        k: usize,
    ) -> sam_experiments::Result<(sam_sweep::store::Record, Option<sam_mnist::model::Params>)> {
        let id = &ph.plan.trials[ph.index[k]].id;
        let r = ph
            .store
            .load(id)
            .map_err(|e| fail(e.to_string()))?
            .ok_or_else(|| {
                fail(format!(
                    "trial {id} of {} has no result (a bug)",
                    ph.spec.display()
                ))
            })?;
        if !r.attachments.iter().any(|a| a == "params.f32") {
            return Ok((r, None));
        }
        let path = ph.store.attachment_path(id, "params.f32");
        let damaged = |what: String| {
            fail(format!(
                "{}: {what}: delete it and {}, then rerun trial {id}",
                path.display(),
                ph.store.trial_path(id).display()
            ))
        };
        let bytes = std::fs::read(&path).map_err(|e| damaged(e.to_string()))?;
        let params = sam_mnist::model::Params::from_le_bytes(&sam_mnist::model::SIZES, &bytes)
            .map_err(|e| damaged(e.to_string()))?;
        Ok((r, Some(params)))
    }

    /// Removes the spec of a phase that has no runs (an older one would list stale trials).
    fn clear(&self, phase: &str) -> sam_experiments::Result<()> {
        let p = self.specs.join(format!("{phase}.toml"));
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(fail(format!(
                "cannot remove the stale spec {}: {e}",
                p.display()
            ))),
            _ => Ok(()),
        }
    }

    fn save(&self, ph: &Phase, k: usize, out: Output, secs: f64) -> sam_experiments::Result<()> {
        let command = ph.plan.spec.command.clone();
        ph.store
            .save(&ph.plan.trials[ph.index[k]], &command, out, secs)
            .map_err(|e| fail(e.to_string()))
    }
}

impl sam_experiments::Trainer for SweepTrainer {
    fn train(
        &self,
        phase: &str,
        configs: &[sam_mnist::train::TrainConfig],
        data: &sam_mnist::data::Mnist,
        threads: usize,
        progress: sam_experiments::Progress,
    ) -> sam_experiments::Result<Vec<sam_mnist::train::TrainOutcome>> {
        if configs.is_empty() {
            // nothing to train (every pick already ran): no spec, and none left from before
            self.clear(phase)?;
            return Ok(Vec::new());
        }
        let ids = configs
            .iter()
            .map(train_trial_id)
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?;
        let ph = self.phase(phase, &train_spec(phase, configs, &self.store_text), &ids)?;
        // the runs train here (none with no_run) with the protocol's scheduler (runs and their
        // evaluations interleaved on every core) and are stored as the trial files `samlab sweep
        // run` writes: the same rows, only the timings differ
        let todo: Vec<sam_mnist::train::TrainConfig> =
            ph.to_run.iter().map(|&k| configs[k].clone()).collect();
        for _ in 0..configs.len() - todo.len() {
            progress(0, "");
        }
        let outs = sam_experiments::InProcess.train(phase, &todo, data, threads, progress)?;
        for (&k, out) in ph.to_run.iter().zip(&outs) {
            let c = &out.config;
            // the flips `samlab train` reports, from the same sample sets (built only when
            // there is label noise)
            let n_flipped = if c.label_noise > 0.0 {
                sam_mnist::train::SampleSets::for_config(data, c)?
                    .noise
                    .map(|n| n.flipped.len())
            } else {
                None
            };
            let summary = cli::train::Summary::of(c, &out.rows, n_flipped)
                .map_err(|e| fail(cli::error_chain(&e)))?;
            let output = train_output(&summary, &out.rows, &out.params).map_err(fail)?;
            // the trial's seconds: its training time (its evaluation ran interleaved)
            self.save(&ph, k, output, out.rows.last().map_or(0.0, |r| r.wall_s))?;
        }
        (0..configs.len())
            .map(|k| {
                let (r, params) = self.load(&ph, k)?;
                let rows: Vec<sam_mnist::train::EpochRow> = serde_json::from_value(
                    serde_json::Value::Array(r.rows.into_iter().map(Into::into).collect()),
                )
                .map_err(|e| {
                    fail(format!(
                        "trial {}: its rows do not parse ({e}): delete it and rerun",
                        r.id
                    ))
                })?;
                Ok(sam_mnist::train::TrainOutcome {
                    config: configs[k].clone(),
                    rows,
                    params: params.ok_or_else(|| {
                        fail(format!(
                            "trial {} has no weights: delete it and rerun",
                            r.id
                        ))
                    })?,
                })
            })
            .collect()
    }

    fn jobs(
        &self,
        phase: &str,
        command: &str,
        jobs: &[serde_json::Value],
        data: &sam_mnist::data::Mnist,
        threads: usize,
        progress: sam_experiments::Progress,
    ) -> sam_experiments::Result<Vec<sam_experiments::JobOutput>> {
        if jobs.is_empty() {
            self.clear(phase)?;
            return Ok(Vec::new());
        }
        let text = job_spec(phase, command, jobs, &self.store_text).map_err(fail)?;
        let ids = jobs
            .iter()
            .map(|j| {
                let n = sam_experiments::normalize_job(command, j)?;
                if &n != j {
                    return Err(fail(format!(
                        "the {command} job {j} is not in its normal form {n} (a bug)"
                    )));
                }
                Ok(sam_sweep::plan::trial_id(command, &n))
            })
            .collect::<sam_experiments::Result<Vec<_>>>()?;
        let ph = self.phase(phase, &text, &ids)?;
        let todo: Vec<serde_json::Value> = ph.to_run.iter().map(|&k| jobs[k].clone()).collect();
        for _ in 0..jobs.len() - todo.len() {
            progress(0, "");
        }
        let outs =
            sam_experiments::InProcess.jobs(phase, command, &todo, data, threads, progress)?;
        for (&k, o) in ph.to_run.iter().zip(outs) {
            let secs = o.row.get("wall_s").and_then(|w| w.as_f64()).unwrap_or(0.0);
            self.save(&ph, k, job_output(o).map_err(fail)?, secs)?;
        }
        (0..jobs.len())
            .map(|k| {
                let (r, params) = self.load(&ph, k)?;
                // a study row says whether its run diverged: only then has it no weights
                let diverged = r.summary.get("diverged").and_then(|d| d.as_bool());
                if diverged == Some(false) && params.is_none() {
                    return Err(fail(format!(
                        "trial {} has no weights though its run did not diverge: delete {} and rerun it",
                        r.id,
                        ph.store.trial_path(&r.id).display()
                    )));
                }
                Ok(sam_experiments::JobOutput {
                    row: serde_json::Value::Object(r.summary),
                    rows: r.rows.into_iter().map(serde_json::Value::Object).collect(),
                    params,
                })
            })
            .collect()
    }
}
