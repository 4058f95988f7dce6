//! Emitters: the script or manifest that runs a plan's task indices on an engine researchers
//! already have (Slurm job arrays, GNU parallel, Kubernetes Indexed Jobs). Each task runs
//! `samlab sweep run SPEC --out OUT --trials-per-task T`, which reads its index from
//! `SLURM_ARRAY_TASK_ID`, `JOB_COMPLETION_INDEX` or `--index`.

use crate::plan::Plan;

/// `s` quoted for a POSIX shell (left bare when it holds only safe characters).
///
/// ```
/// assert_eq!(sam_sweep::emit::sh_quote("a/b.toml"), "a/b.toml");
/// assert_eq!(sam_sweep::emit::sh_quote("it's"), r"'it'\''s'");
/// ```
pub fn sh_quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./=:,+-@%".contains(c));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Where and how a task runs: the paths as the task will see them.
#[derive(Clone, Debug)]
pub struct Task {
    /// The samlab binary (a path or a name on PATH).
    pub samlab: String,
    /// The spec.
    pub spec: String,
    /// The output folder.
    pub out: String,
    /// Threads of each trial.
    pub threads: usize,
}

impl Task {
    /// The words of the task's command, before any `--index`.
    fn words(&self, plan: &Plan) -> Vec<String> {
        vec![
            self.samlab.clone(),
            "sweep".into(),
            "run".into(),
            self.spec.clone(),
            "--out".into(),
            self.out.clone(),
            "--trials-per-task".into(),
            plan.trials_per_task.to_string(),
            "--threads".into(),
            self.threads.to_string(),
        ]
    }

    fn line(&self, plan: &Plan) -> String {
        self.words(plan)
            .iter()
            .map(|w| sh_quote(w))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// 8 hex digits naming the plan's task list (its trial ids and their packing).
fn plan_hash(plan: &Plan) -> String {
    let ids: Vec<&str> = plan.trials.iter().map(|t| t.id.as_str()).collect();
    let v = serde_json::json!({"ids": ids, "per_task": plan.trials_per_task});
    crate::plan::trial_id("tasks", &v)[..8].to_string()
}

fn what(plan: &Plan) -> String {
    format!(
        "{} trials of `samlab {}` in {} task(s) of {} trial(s)",
        plan.trials.len(),
        plan.spec.command,
        plan.tasks(),
        plan.trials_per_task
    )
}

/// Slurm resources of each array task.
#[derive(Clone, Debug)]
pub struct Slurm {
    /// Tasks running at once (`%K`); `None`: as many as Slurm allows.
    pub concurrency: Option<usize>,
    /// `--cpus-per-task`.
    pub cpus_per_task: usize,
    /// `--mem`, e.g. `4G`.
    pub mem: String,
    /// `--time`, e.g. `01:00:00`.
    pub time: String,
    /// `--partition`, if any.
    pub partition: Option<String>,
    /// `--job-name`.
    pub job_name: String,
}

/// An sbatch script for a job array over the plan's tasks; its logs go to `OUT/slurm/`.
pub fn slurm(plan: &Plan, task: &Task, o: &Slurm) -> String {
    let mut s = String::from("#!/bin/bash\n");
    s += &format!("# {}\n", what(plan));
    s += &format!(
        "# submit with: mkdir -p {}/slurm && sbatch THIS_FILE   (emitted by samlab sweep emit slurm)\n",
        sh_quote(&task.out)
    );
    s += &format!("#SBATCH --job-name={}\n", o.job_name);
    let conc = o.concurrency.map(|k| format!("%{k}")).unwrap_or_default();
    s += &format!(
        "#SBATCH --array=0-{}{conc}\n",
        plan.tasks().saturating_sub(1)
    );
    s += "#SBATCH --ntasks=1\n";
    s += &format!("#SBATCH --cpus-per-task={}\n", o.cpus_per_task);
    s += &format!("#SBATCH --mem={}\n", o.mem);
    s += &format!("#SBATCH --time={}\n", o.time);
    if let Some(p) = &o.partition {
        s += &format!("#SBATCH --partition={p}\n");
    }
    s += &format!("#SBATCH --output={}/slurm/%A_%a.out\n", task.out);
    s += "set -euo pipefail\n";
    s += "# the task index comes from SLURM_ARRAY_TASK_ID\n";
    s += &format!("exec {}\n", task.line(plan));
    s
}

/// A GNU parallel command line over the plan's tasks: `jobs` at a time per host, a joblog in
/// `OUT/parallel-<plan hash>.joblog` (one per plan: the joblog is keyed by task number) and
/// `--resume-failed`, so rerunning the same line runs only the tasks that did not finish;
/// with `sshloginfile`, over the hosts it lists (they must see the same paths).
pub fn parallel(plan: &Plan, task: &Task, jobs: usize, sshloginfile: Option<&str>) -> String {
    let mut words = vec![
        "parallel".to_string(),
        "--jobs".into(),
        jobs.to_string(),
        "--joblog".into(),
        sh_quote(&format!("{}/parallel-{}.joblog", task.out, plan_hash(plan))),
        // skip the tasks that finished, rerun those that failed or were killed (the store
        // skips their finished trials)
        "--resume-failed".into(),
        "--halt".into(),
        "never".into(),
    ];
    if let Some(f) = sshloginfile {
        words.extend([
            "--sshloginfile".into(),
            sh_quote(f),
            // the same absolute folder on every host: they must share the filesystem
            "--workdir".into(),
            "\"$PWD\"".into(),
        ]);
    }
    // parallel joins its arguments and hands them to a shell again: quote each word twice
    // (a word of safe characters stays as it is)
    words.extend(task.words(plan).iter().map(|w| sh_quote(&sh_quote(w))));
    words.extend(["--index".into(), "{}".into()]);
    format!(
        "mkdir -p {} && seq 0 {} | {}\n",
        sh_quote(&task.out),
        plan.tasks().saturating_sub(1),
        words.join(" ")
    )
}

/// Kubernetes resources of the Indexed Job.
#[derive(Clone, Debug)]
pub struct K8s {
    /// The container image with samlab on its PATH.
    pub image: String,
    /// Pods running at once.
    pub parallelism: usize,
    /// CPUs per pod.
    pub cpus: usize,
    /// Memory per pod, e.g. `4Gi`.
    pub mem: String,
    /// The job's name.
    pub name: String,
    /// The PersistentVolumeClaim mounted at `mount` that holds the spec and the output (a pod's
    /// own filesystem is gone with the pod).
    pub pvc: String,
    /// Where the claim is mounted (also the working directory).
    pub mount: String,
}

fn yaml_str(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// A Kubernetes Indexed Job manifest over the plan's tasks.
pub fn k8s(plan: &Plan, task: &Task, o: &K8s) -> String {
    let cmd: Vec<String> = task.words(plan).iter().map(|w| yaml_str(w)).collect();
    let mut s = format!(
        "# {}\n# apply with: kubectl apply -f THIS_FILE   (emitted by samlab sweep emit k8s)\n",
        what(plan)
    );
    s += "apiVersion: batch/v1\nkind: Job\nmetadata:\n";
    s += &format!("  name: {}\n", o.name);
    s += "spec:\n  completionMode: Indexed\n";
    s += &format!("  completions: {}\n", plan.tasks());
    s += &format!("  parallelism: {}\n", o.parallelism);
    s += "  backoffLimitPerIndex: 1\n  template:\n    spec:\n      restartPolicy: Never\n";
    s += "      containers:\n        - name: trial\n";
    s += &format!("          image: {}\n", yaml_str(&o.image));
    s += &format!("          workingDir: {}\n", yaml_str(&o.mount));
    s += "          # the task index comes from JOB_COMPLETION_INDEX\n";
    s += &format!("          command: [{}]\n", cmd.join(", "));
    s += "          resources:\n            requests:\n";
    s += &format!(
        "              cpu: \"{}\"\n              memory: {}\n",
        o.cpus,
        yaml_str(&o.mem)
    );
    s += &format!(
        "          volumeMounts:\n            - name: work\n              mountPath: {}\n",
        yaml_str(&o.mount)
    );
    s += &format!(
        "      volumes:\n        - name: work\n          persistentVolumeClaim:\n            claimName: {}\n",
        yaml_str(&o.pvc)
    );
    s
}
