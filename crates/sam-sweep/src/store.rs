//! The trial store: `OUT/trials/<id>.json` per finished trial (written atomically, so a file
//! that exists is complete), its attachments beside it, and `OUT/logs/<id>.log` per failed
//! trial; and the local pool that runs a selection of a plan's trials into it.

use crate::plan::{describe, Output, Plan, Runner, Trial};
use crate::{Result, SweepError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What a finished trial's file holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The trial's id.
    pub id: String,
    /// The command it ran.
    pub command: String,
    /// Its settings as written in the spec.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Its normalized configuration.
    pub config: serde_json::Value,
    /// The command's summary.
    pub summary: serde_json::Map<String, serde_json::Value>,
    /// Rows over time (may be empty).
    #[serde(default)]
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Which keys of `summary` and `rows` are timings.
    #[serde(default)]
    pub timing: Vec<String>,
    /// Names of the attachments written beside the file.
    #[serde(default)]
    pub attachments: Vec<String>,
    /// Wall seconds the whole trial took (a timing).
    pub seconds: f64,
    /// The samlab version that ran it.
    pub version: String,
}

/// A sweep's output folder.
#[derive(Clone, Debug)]
pub struct Store {
    /// The folder (`OUT`).
    pub dir: PathBuf,
}

impl Store {
    /// The store at `dir` (created when a trial is written).
    pub fn new(dir: &Path) -> Self {
        Store {
            dir: dir.to_path_buf(),
        }
    }

    /// `OUT/trials/<id>.json`.
    ///
    /// ```
    /// let st = sam_sweep::Store::new("out".as_ref());
    /// assert_eq!(st.trial_path("ab12"), std::path::Path::new("out/trials/ab12.json"));
    /// assert_eq!(st.log_path("ab12"), std::path::Path::new("out/logs/ab12.log"));
    /// assert!(!st.is_done("ab12"));
    /// ```
    pub fn trial_path(&self, id: &str) -> PathBuf {
        self.dir.join("trials").join(format!("{id}.json"))
    }

    /// `OUT/trials/<id>.<name>`: an attachment.
    pub fn attachment_path(&self, id: &str, name: &str) -> PathBuf {
        self.dir.join("trials").join(format!("{id}.{name}"))
    }

    /// `OUT/logs/<id>.log`: why a trial failed.
    pub fn log_path(&self, id: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{id}.log"))
    }

    /// The finished trial `id`, if its file exists; a file that does not parse or names another
    /// id is an error naming it.
    pub fn load(&self, id: &str) -> Result<Option<Record>> {
        let p = self.trial_path(id);
        if !p.exists() {
            return Ok(None);
        }
        let r: Record = sam_results::read_json(&p)?;
        if r.id != id {
            return Err(SweepError::Store(format!(
                "{} holds trial {}, not {id}: delete the file and rerun the trial",
                p.display(),
                r.id
            )));
        }
        Ok(Some(r))
    }

    /// Whether trial `id` has a complete result (a damaged file counts as not done).
    pub fn is_done(&self, id: &str) -> bool {
        matches!(self.load(id), Ok(Some(_)))
    }

    /// Writes a finished trial: the attachments first, then the trial file (atomically), then
    /// removes an old failure log.
    pub fn save(&self, trial: &Trial, command: &str, out: Output, seconds: f64) -> Result<()> {
        for (name, bytes) in &out.attachments {
            sam_results::write_atomic(&self.attachment_path(&trial.id, name), bytes)?;
        }
        let r = Record {
            id: trial.id.clone(),
            command: command.into(),
            settings: crate::spec::Value::object(&trial.settings),
            config: trial.config.clone(),
            summary: out.summary,
            rows: out.rows,
            timing: out.timing,
            attachments: out.attachments.into_iter().map(|(n, _)| n).collect(),
            seconds,
            version: env!("CARGO_PKG_VERSION").into(),
        };
        sam_results::write_json(&self.trial_path(&trial.id), &r)?;
        let log = self.log_path(&trial.id);
        if log.exists() {
            let _ = std::fs::remove_file(log);
        }
        Ok(())
    }

    /// Records why `trial` failed in its log (atomically) and returns the log's path.
    pub fn fail(&self, spec: &Path, trial: &Trial, message: &str) -> Result<PathBuf> {
        let p = self.log_path(&trial.id);
        let text = format!(
            "trial {} (index {}) of {} failed\nsettings: {}\nerror: {message}\n",
            trial.id,
            trial.index,
            spec.display(),
            describe(&trial.settings)
        );
        sam_results::write_atomic(&p, text.as_bytes())?;
        Ok(p)
    }
}

/// What happened to one trial of a run.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// Its result already existed.
    Skipped,
    /// It ran and its result was written (wall seconds).
    Done(f64),
    /// It failed; the log says why.
    Failed(PathBuf, String),
}

/// The outcome of [`run`]: one event per selected trial, in selection order.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// (trial index, event).
    pub events: Vec<(usize, Event)>,
}

impl Report {
    /// How many trials had each outcome: (ran, skipped, failed).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for (_, e) in &self.events {
            match e {
                Event::Done(_) => c.0 += 1,
                Event::Skipped => c.1 += 1,
                Event::Failed(..) => c.2 += 1,
            }
        }
        c
    }
}

/// Runs the trials `selection` (indices into `plan.trials`) of `plan` into `store`, `jobs` at a
/// time, each on `threads` threads; a trial whose result exists is skipped, a failed trial
/// leaves a log and no result, and the others go on. `on_event` is called after each trial
/// (from the worker threads). Results never depend on `jobs` or `threads`.
pub fn run(
    plan: &Plan,
    store: &Store,
    runner: &dyn Runner,
    selection: &[usize],
    jobs: usize,
    threads: usize,
    on_event: &(dyn Fn(&Trial, &Event) + Sync),
) -> Result<Report> {
    if let Some(&bad) = selection.iter().find(|&&i| i >= plan.trials.len()) {
        return Err(SweepError::Usage(format!(
            "trial {bad} is not in the plan of {} trials",
            plan.trials.len()
        )));
    }
    let next = AtomicUsize::new(0);
    let events: Mutex<Vec<(usize, Event)>> = Mutex::new(Vec::new());
    let fatal: Mutex<Option<SweepError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, selection.len().max(1)) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&i) = selection.get(k) else { break };
                if fatal.lock().map(|f| f.is_some()).unwrap_or(true) {
                    break;
                }
                let trial = &plan.trials[i];
                let event = if store.is_done(&trial.id) {
                    Ok(Event::Skipped)
                } else {
                    let t0 = std::time::Instant::now();
                    // a panic inside a command is that trial's failure, not the pool's
                    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        runner.run(&plan.spec.command, &trial.settings, threads)
                    }))
                    .unwrap_or_else(|p| {
                        let what = p
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| p.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "no message".into());
                        Err(format!(
                            "the command panicked ({what}): a bug, please report it"
                        ))
                    });
                    match ran {
                        Ok(out) => {
                            let secs = t0.elapsed().as_secs_f64();
                            store
                                .save(trial, &plan.spec.command, out, secs)
                                .map(|()| Event::Done(secs))
                        }
                        Err(msg) => store
                            .fail(&plan.spec.path, trial, &msg)
                            .map(|p| Event::Failed(p, msg)),
                    }
                };
                match event {
                    Ok(e) => {
                        on_event(trial, &e);
                        if let Ok(mut v) = events.lock() {
                            v.push((k, e));
                        }
                    }
                    // the store cannot be written (a full disk, say): stop every worker
                    Err(e) => {
                        if let Ok(mut f) = fatal.lock() {
                            f.get_or_insert(e);
                        }
                        break;
                    }
                }
            });
        }
    });
    if let Some(e) = fatal.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut events = events.into_inner().unwrap_or_default();
    events.sort_by_key(|(k, _)| *k);
    Ok(Report {
        events: events.into_iter().map(|(k, e)| (selection[k], e)).collect(),
    })
}
