//! The plan: the spec's canonical trial list, each trial identified by a hash of its full,
//! normalized settings, and the task indices that cover it.

use crate::spec::{Spec, Value};
use crate::{Result, SweepError};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ops::Range;

/// One trial's settings as written (keys in flag spelling).
pub type Settings = BTreeMap<String, Value>;

/// What one trial computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    /// The summary: one scalar per key (the command's `--json` answer, flattened).
    pub summary: serde_json::Map<String, serde_json::Value>,
    /// Rows over time (e.g. one per epoch), each an object of scalars; may be empty.
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    /// The keys of `summary` and `rows` that are timings (the only values that may differ
    /// between two runs of one trial).
    pub timing: Vec<String>,
    /// Named binary payloads kept beside the trial file (e.g. final parameters), each written
    /// atomically before the trial file itself.
    pub attachments: Vec<(String, Vec<u8>)>,
}

/// The commands a sweep can run: samlab's, behind this seam (the sweep crate knows none of
/// them).
pub trait Runner: Sync {
    /// The commands this runner knows, for messages.
    fn commands(&self) -> Vec<&'static str>;
    /// Checks `settings` for `command` and returns its full configuration with every default
    /// spelled out, so that two spellings of one trial normalize to one value. The error says
    /// what is wrong with which setting.
    fn normalize(
        &self,
        command: &str,
        settings: &Settings,
    ) -> std::result::Result<serde_json::Value, String>;
    /// Runs one trial on `threads` threads of its own.
    fn run(
        &self,
        command: &str,
        settings: &Settings,
        threads: usize,
    ) -> std::result::Result<Output, String>;
}

/// One trial of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Its place in the canonical list.
    pub index: usize,
    /// The hash of its command and normalized configuration (16 hex digits).
    pub id: String,
    /// Its settings as written.
    pub settings: Settings,
    /// Its normalized configuration.
    pub config: serde_json::Value,
}

/// A spec's trials and how they are cut into tasks.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The spec.
    pub spec: Spec,
    /// The trials, in canonical order, each id once.
    pub trials: Vec<Trial>,
    /// Trials per task index.
    pub trials_per_task: usize,
}

/// `v` as JSON text with every object's keys sorted: one text per value, whatever order
/// the fields were built in.
///
/// ```
/// let v: serde_json::Value = serde_json::from_str(r#"{"b": 1, "a": [2.5, {"d": 0, "c": 1}]}"#).unwrap();
/// assert_eq!(sam_sweep::plan::canonical(&v), r#"{"a":[2.5,{"c":1,"d":0}],"b":1}"#);
/// ```
pub fn canonical(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            let body: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(k.as_str()),
                        canonical(&o[*k])
                    )
                })
                .collect();
            format!("{{{}}}", body.join(","))
        }
        serde_json::Value::Array(a) => {
            format!(
                "[{}]",
                a.iter().map(canonical).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

/// The id of a trial of `command` with normalized configuration `config`: the first 16 hex
/// digits of the SHA-256 of `command` and the canonical JSON of `config`.
///
/// ```
/// use serde_json::json;
/// let a = sam_sweep::plan::trial_id("train", &json!({"lr": 0.1, "seed": 0}));
/// let b = sam_sweep::plan::trial_id("train", &json!({"seed": 0, "lr": 1e-1}));
/// assert_eq!(a, b);
/// assert_eq!(a.len(), 16);
/// assert_ne!(a, sam_sweep::plan::trial_id("diagnet", &json!({"lr": 0.1, "seed": 0})));
/// ```
pub fn trial_id(command: &str, config: &serde_json::Value) -> String {
    let mut h = Sha256::new();
    h.update(command.as_bytes());
    h.update(b"\n");
    h.update(canonical(config).as_bytes());
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `settings` as `key = value` pairs, for messages.
pub fn describe(settings: &Settings) -> String {
    settings
        .iter()
        .map(|(k, v)| format!("{k} = {}", v.arg()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Plan {
    /// The spec's trials, normalized and identified by `runner`; `trials_per_task` overrides
    /// the spec's packing. A trial whose settings the command rejects is an error naming it.
    pub fn new(spec: Spec, runner: &dyn Runner, trials_per_task: Option<usize>) -> Result<Self> {
        if !runner.commands().contains(&spec.command.as_str()) {
            return Err(SweepError::Spec {
                path: spec.path.clone(),
                message: format!(
                    "command = {:?} is not a sweepable samlab command: use one of {}",
                    spec.command,
                    runner.commands().join(", ")
                ),
            });
        }
        let trials_per_task = match trials_per_task {
            Some(0) => {
                return Err(SweepError::Usage(
                    "--trials-per-task 0: pack at least 1 trial per task".into(),
                ))
            }
            Some(t) => t,
            None => spec.trials_per_task,
        };
        let mut trials: Vec<Trial> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (n, settings) in spec.points().into_iter().enumerate() {
            let config = runner
                .normalize(&spec.command, &settings)
                .map_err(|message| SweepError::Spec {
                    path: spec.path.clone(),
                    message: format!(
                        "grid point {n} ({}) is not a valid `samlab {}`: {message}",
                        describe(&settings),
                        spec.command
                    ),
                })?;
            let id = trial_id(&spec.command, &config);
            // two spellings of one trial (an explicit default, say) run once
            if seen.insert(id.clone()) {
                trials.push(Trial {
                    index: trials.len(),
                    id,
                    settings,
                    config,
                });
            }
        }
        Ok(Plan {
            spec,
            trials,
            trials_per_task,
        })
    }

    /// The number of task indices: ⌈trials / trials per task⌉.
    pub fn tasks(&self) -> usize {
        self.trials.len().div_ceil(self.trials_per_task)
    }

    /// The trials of task `i`.
    pub fn task(&self, i: usize) -> Result<Range<usize>> {
        if i >= self.tasks() {
            return Err(SweepError::Usage(format!(
                "task index {i} is out of range: {} has {} tasks (indices 0 to {}) of {} trial(s) each",
                self.spec.path.display(),
                self.tasks(),
                self.tasks().saturating_sub(1),
                self.trials_per_task
            )));
        }
        let a = i * self.trials_per_task;
        Ok(a..(a + self.trials_per_task).min(self.trials.len()))
    }

    /// The trials of shard `k` of `n`: every n-th trial from the k-th.
    pub fn shard(&self, k: usize, n: usize) -> Result<Vec<usize>> {
        if n == 0 || k >= n {
            return Err(SweepError::Usage(format!(
                "--shard {k}/{n} is invalid: give K/N with N >= 1 and 0 <= K < N (e.g. 0/2 and 1/2)"
            )));
        }
        Ok((k..self.trials.len()).step_by(n).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;
    impl Runner for Echo {
        fn commands(&self) -> Vec<&'static str> {
            vec!["echo"]
        }
        fn normalize(
            &self,
            _: &str,
            s: &Settings,
        ) -> std::result::Result<serde_json::Value, String> {
            Ok(Value::object(s).into())
        }
        fn run(&self, _: &str, _: &Settings, _: usize) -> std::result::Result<Output, String> {
            Ok(Output::default())
        }
    }

    fn plan(text: &str, per_task: Option<usize>) -> Plan {
        Plan::new(
            Spec::parse(text, "t.toml".as_ref()).unwrap(),
            &Echo,
            per_task,
        )
        .unwrap()
    }

    /// Tasks and shards partition the trials: every trial in exactly one task and one shard.
    #[test]
    fn tasks_and_shards_cover_every_trial_once() {
        let p = plan(
            "command = \"echo\"\n[axes]\na = [1, 2, 3]\nb = [4, 5, 6, 7]\n",
            Some(5),
        );
        assert_eq!(p.trials.len(), 12);
        assert_eq!(p.tasks(), 3);
        let by_task: Vec<usize> = (0..p.tasks()).flat_map(|i| p.task(i).unwrap()).collect();
        assert_eq!(by_task, (0..12).collect::<Vec<_>>());
        assert_eq!(p.task(2).unwrap(), 10..12);
        assert!(p.task(3).is_err());
        let mut by_shard: Vec<usize> = (0..5).flat_map(|k| p.shard(k, 5).unwrap()).collect();
        by_shard.sort();
        assert_eq!(by_shard, (0..12).collect::<Vec<_>>());
        assert!(p.shard(5, 5).is_err() && p.shard(0, 0).is_err());
        assert!(Plan::new(p.spec.clone(), &Echo, Some(0)).is_err());
    }

    /// The product runs over the axes by name, the last fastest, whatever order the spec wrote.
    #[test]
    fn points_are_the_product_with_the_last_axis_fastest() {
        let p = plan(
            "command = \"echo\"\n[axes]\nz = [1, 2]\na = [\"x\", \"y\"]\n",
            None,
        );
        let pts: Vec<String> = p.trials.iter().map(|t| describe(&t.settings)).collect();
        assert_eq!(
            pts,
            [
                "a = x, z = 1",
                "a = x, z = 2",
                "a = y, z = 1",
                "a = y, z = 2"
            ]
        );
        // a grid without axes is one point; grids add up
        let q = plan(
            "command = \"echo\"\n[fixed]\nk = 0\n[[grid]]\n[[grid]]\naxes = { a = [1, 2] }\n",
            None,
        );
        assert_eq!(q.trials.len(), 3);
    }
}
