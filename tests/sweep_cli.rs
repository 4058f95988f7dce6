//! `samlab sweep` (issue 17, `../shared/RESEARCH.md` section 5): canonical plans whose ids do not
//! depend on how the spec is written, runs by index / shard / local pool that agree bit for bit
//! apart from timings, failures that leave a log and no result, merges that name what is
//! missing, golden emitted scripts, and end-to-end runs on GNU parallel (killed and resumed) and on
//! a single-node Slurm (started by `scripts/ci-services.sh`, which `.ci/run` calls).

mod common;

use common::{fails_with, json, samlab};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// A diagnet spec of `n_seeds` × 2 methods, each trial `steps` long.
fn diag_spec(dir: &Path, steps: usize, n_seeds: usize, per_task: usize) -> PathBuf {
    let seeds: Vec<String> = (0..n_seeds).map(|i| i.to_string()).collect();
    write(
        dir,
        "diag.toml",
        &format!(
            "command = \"diagnet\"\ntrials_per_task = {per_task}\n[fixed]\nsteps = {steps}\n[axes]\nmethod = [\"gd\", \"n-sam\"]\nseed = [{}]\n",
            seeds.join(", ")
        ),
    )
}

fn ids(spec: &Path) -> Vec<String> {
    let v = json(&["sweep", "plan", &s(spec), "--json"]);
    v["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

/// The merged table without its timing columns (`seconds` and the command's own, which merge
/// puts last), for comparing runs.
fn merged_without_timings(spec: &Path, out: &Path) -> String {
    let (code, _, err) = samlab(&["sweep", "merge", &s(spec), "--out", &s(out)]);
    assert_eq!(code, 0, "merge failed: {err}");
    let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    assert_eq!(header.last(), Some(&"seconds"));
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| !["seconds", "wall_s", "cpu_s"].contains(&header[i]))
        .collect();
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            keep.iter().map(|&i| f[i]).collect::<Vec<_>>().join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The merged table of `out` equals the one of a local `--all` run of `spec` (timings aside).
fn assert_same_as_local_pool(spec: &Path, out: &Path, scratch: &Path) {
    let local = scratch.join("local");
    let (code, _, err) = samlab(&["sweep", "run", &s(spec), "--all", "--out", &s(&local)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        merged_without_timings(spec, out),
        merged_without_timings(spec, &local)
    );
}

fn trial_files(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(out.join("trials"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&p).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn plan_is_the_canonical_product_and_ids_ignore_spelling_and_order() {
    let d = tempfile::tempdir().unwrap();
    let a = write(
        d.path(),
        "a.toml",
        "command = \"diagnet\"\n[fixed]\nsteps = 100\n[axes]\nmethod = [\"gd\", \"n-sam\"]\nseed = [0, 1, 2]\n",
    );
    // the same sweep: axes in the other order, a key spelled with _, a default spelled out
    // (lr 0.05 and n_val 100 are diagnet's defaults), a float written another way
    let b = write(
        d.path(),
        "b.toml",
        "command = \"diagnet\"\n[fixed]\nsteps = 100\nlr = 5e-2\nn_val = 100\n[axes]\nseed = [0, 1, 2]\nmethod = [\"gd\", \"n-sam\"]\n",
    );
    let v = json(&["sweep", "plan", &s(&a), "--json"]);
    assert_eq!(v["trials"], 6);
    let ia = ids(&a);
    assert_eq!(ia.len(), 6);
    assert_eq!(
        ia,
        ids(&b),
        "reordered axes and explicit defaults changed the ids"
    );
    let uniq: std::collections::BTreeSet<&String> = ia.iter().collect();
    assert_eq!(uniq.len(), 6, "ids collide: {ia:?}");
    // a setting that changes the run changes the id
    let c = write(
        d.path(),
        "c.toml",
        "command = \"diagnet\"\n[fixed]\nsteps = 101\n[axes]\nmethod = [\"gd\", \"n-sam\"]\nseed = [0, 1, 2]\n",
    );
    assert!(ids(&c).iter().all(|i| !ia.contains(i)));
    // the order is the product with axes by name, the last fastest: (gd,0),(gd,1),(gd,2),(n-sam,0)..
    let (code, text, _) = samlab(&["sweep", "plan", &s(&a)]);
    assert_eq!(code, 0);
    let methods: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| {
            if l.contains("method = gd") {
                "gd"
            } else {
                "n-sam"
            }
        })
        .collect();
    assert_eq!(methods, ["gd", "gd", "gd", "n-sam", "n-sam", "n-sam"]);
    // a duplicate point (the same trial spelled twice across grids) runs once
    let dup = write(
        d.path(),
        "dup.toml",
        "command = \"diagnet\"\n[fixed]\nsteps = 100\n[[grid]]\naxes = { method = [\"gd\"] }\n[[grid]]\nfixed = { method = \"gd\", lr = 0.05 }\n",
    );
    assert_eq!(json(&["sweep", "plan", &s(&dup), "--json"])["trials"], 1);
}

/// The committed example specs plan (every trial a valid command line).
#[test]
fn committed_example_specs_plan() {
    for name in ["example-diagnet", "example-train"] {
        let v = json(&["sweep", "plan", &format!("sweeps/{name}.toml"), "--json"]);
        assert!(v["trials"].as_u64().unwrap() >= 6, "{name}: {v}");
    }
}

#[test]
fn bad_specs_name_the_file_and_the_problem() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        ("command = \"train\"\n[axes]\nlr = []\n", "axis \"lr\" is empty"),
        ("command = \"nope\"\n", "is not a sweepable samlab command"),
        ("[axes]\nseed = [0]\n", "give the command"),
        ("command = \"diagnet\"\n[axes]\nseed = 3\n", "must be a list"),
        ("command = \"diagnet\"\nfoo = 1\n", "unknown key \"foo\""),
        ("command = \"diagnet\"\n[fixed]\nsteps = 10\n[axes]\nsteps = [1]\n", "given twice"),
        ("command = \"diagnet\"\n[fixed]\nmethod = \"gd\"\njson = true\n", "set by the sweep itself"),
        ("command = \"diagnet\"\n[fixed]\nmethod = \"gd\"\nrho = 0.1\n", "--rho applies to n-sam"),
        ("command = \"diagnet\"\n[fixed]\nmethod = \"bogus\"\n", "invalid value 'bogus'"),
        ("command = \"diagnet\"\n[fixed]\nmethod = \"gd\"\nsteps = 0\n", "steps"),
        ("command = \"diagnet\"\n[fixed]\nmethod = \"n-sam\"\nrho = -0.1\n", "rho"),
        ("command = \"diagnet\"\n[fixed]\nmethod = \"gd\"\nthreads = 2\n", "sweep run --threads"),
        ("command = \"diagnet\"\n[fixed]\nmethod = \"gd\"\nlr = nan\n", "not a finite number"),
        ("command = \"diagnet\"\n[fixed]\nmethod = \"gd\"\n[axes]\nseed = [[[0]]]\n", "numbers or strings only"),
        ("command = \"diagnet\"\n[axes]\na = [1,2,3,4,5,6,7,8,9,10]\nb = [1,2,3,4,5,6,7,8,9,10]\nc = [1,2,3,4,5,6,7,8,9,10]\nd = [1,2,3,4,5,6,7,8,9,10]\ne = [1,2,3,4,5,6,7,8,9,10]\nf = [1,2,3,4,5,6,7,8,9,10]\nfg = [1,2]\n", "exceeds 1000000 trials"),
        ("command = \"diagnet\"\n[axes\n", "not valid TOML"),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let p = write(d.path(), &format!("bad{i}.toml"), text);
        fails_with(&["sweep", "plan", &s(&p)], needle);
        fails_with(&["sweep", "plan", &s(&p)], &format!("bad{i}.toml"));
    }
    fails_with(
        &["sweep", "plan", "/nonexistent/x.toml"],
        "/nonexistent/x.toml",
    );
    fails_with(
        &["sweep", "plan", d.path().to_str().unwrap()],
        "not a regular file",
    );
}

#[test]
fn index_shard_and_pool_give_the_same_merged_table_and_reruns_skip() {
    let d = tempfile::tempdir().unwrap();
    let spec = diag_spec(d.path(), 500, 3, 2);
    // 6 trials in 3 tasks of 2
    let all = d.path().join("all");
    let (code, _, err) = samlab(&[
        "sweep",
        "run",
        &s(&spec),
        "--all",
        "--out",
        &s(&all),
        "--jobs",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("6 ran, 0 skipped"), "{err}");
    let first = trial_files(&all);
    assert_eq!(first.len(), 6);
    // a rerun skips everything and rewrites nothing
    let (code, _, err) = samlab(&["sweep", "run", &s(&spec), "--all", "--out", &s(&all)]);
    assert_eq!(code, 0);
    assert!(err.contains("0 ran, 6 skipped"), "{err}");
    assert_eq!(trial_files(&all), first);
    // per task index, and from the environment of a job array
    let by_index = d.path().join("idx");
    for i in 0..2 {
        let (code, _, err) = samlab(&[
            "sweep",
            "run",
            &s(&spec),
            "--index",
            &i.to_string(),
            "--out",
            &s(&by_index),
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("2 ran"), "{err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_samlab"))
        .args(["sweep", "run", &s(&spec), "--out", &s(&by_index)])
        .env("SLURM_ARRAY_TASK_ID", "2")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fails_with(
        &[
            "sweep",
            "run",
            &s(&spec),
            "--index",
            "3",
            "--out",
            &s(&by_index),
        ],
        "out of range",
    );
    let env_run = |args: &[&str], var: &str, val: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_samlab"))
            .args(args)
            .env(var, val)
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let k8s = d.path().join("k8s");
    let (ok, err) = env_run(
        &["sweep", "run", &s(&spec), "--out", &s(&k8s)],
        "JOB_COMPLETION_INDEX",
        "1",
    );
    assert!(ok && err.contains("task 1 of"), "{err}");
    let (ok, err) = env_run(
        &["sweep", "run", &s(&spec), "--index", "0", "--out", &s(&k8s)],
        "SLURM_ARRAY_TASK_ID",
        "2",
    );
    assert!(
        ok && err.contains("task 0 of"),
        "--index must win over the environment: {err}"
    );
    let (ok, err) = env_run(
        &["sweep", "run", &s(&spec), "--all", "--out", &s(&k8s)],
        "SLURM_ARRAY_TASK_ID",
        "junk",
    );
    assert!(ok && err.contains("2 ran, 4 skipped"), "{err}");
    let (ok, err) = env_run(
        &["sweep", "run", &s(&spec), "--out", &s(&k8s)],
        "SLURM_ARRAY_TASK_ID",
        "junk",
    );
    assert!(!ok && err.contains("SLURM_ARRAY_TASK_ID"), "{err}");
    // two shards
    let sharded = d.path().join("shard");
    for k in ["0/2", "1/2"] {
        let (code, _, err) = samlab(&[
            "sweep",
            "run",
            &s(&spec),
            "--shard",
            k,
            "--out",
            &s(&sharded),
        ]);
        assert_eq!(code, 0, "{err}");
    }
    let reference = merged_without_timings(&spec, &all);
    assert_eq!(reference.lines().count(), 7);
    assert_eq!(merged_without_timings(&spec, &by_index), reference);
    assert_eq!(merged_without_timings(&spec, &sharded), reference);
    // the merged numbers are the command's own: trial 0 is `samlab diagnet --method gd --seed 0`
    let direct = json(&[
        "diagnet", "--method", "gd", "--seed", "0", "--steps", "500", "--json",
    ]);
    let row0: Vec<String> = reference
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(String::from)
        .collect();
    let header: Vec<&str> = reference.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "test_loss").unwrap();
    assert_eq!(
        row0[col].parse::<f64>().unwrap(),
        direct["test_loss"].as_f64().unwrap()
    );
}

#[test]
fn a_failed_trial_leaves_a_log_and_no_result_and_merge_says_what_is_missing() {
    let d = tempfile::tempdir().unwrap();
    // n-SAM with rho 1000 diverges: that trial (index 1) fails, GD's (index 0) runs
    let spec = write(
        d.path(),
        "f.toml",
        "command = \"diagnet\"\n[fixed]\nsteps = 2000\n[[grid]]\nfixed = { method = \"gd\" }\n[[grid]]\nfixed = { method = \"n-sam\", rho = 1000 }\n",
    );
    let plan = ids(&spec);
    let out = d.path().join("o");
    let (code, _, err) = samlab(&["sweep", "run", &s(&spec), "--all", "--out", &s(&out)]);
    assert_ne!(code, 0);
    assert!(err.contains("failed") && err.contains("logs"), "{err}");
    let logs: Vec<PathBuf> = std::fs::read_dir(out.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!logs.is_empty());
    let log = std::fs::read_to_string(&logs[0]).unwrap();
    assert!(log.contains("diverged") && log.contains("f.toml"), "{log}");
    let done = trial_files(&out).len();
    assert_eq!(done, 1);
    assert!(out
        .join("trials")
        .join(format!("{}.json", plan[0]))
        .exists());
    assert_eq!(logs, [out.join("logs").join(format!("{}.log", plan[1]))]);
    // merge: nonzero, names the failed trials, writes nothing; --partial writes what finished
    fails_with(&["sweep", "merge", &s(&spec), "--out", &s(&out)], "failed");
    assert!(!out.join("results.csv").exists());
    let (code, _, _) = samlab(&["sweep", "merge", &s(&spec), "--out", &s(&out), "--partial"]);
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(out.join("results.csv"))
            .unwrap()
            .lines()
            .count(),
        1 + done
    );
    // a missing trial (never run) is named too
    let empty = d.path().join("empty");
    fails_with(
        &["sweep", "merge", &s(&spec), "--out", &s(&empty)],
        "2 missing",
    );
    // a damaged trial file is not taken as done: the trial reruns
    let ok = diag_spec(d.path(), 200, 1, 1);
    let o2 = d.path().join("o2");
    assert_eq!(
        samlab(&["sweep", "run", &s(&ok), "--all", "--out", &s(&o2)]).0,
        0
    );
    let (name, _) = &trial_files(&o2)[0];
    std::fs::write(o2.join("trials").join(name), b"{not json").unwrap();
    let (code, _, err) = samlab(&["sweep", "run", &s(&ok), "--all", "--out", &s(&o2)]);
    assert_eq!(code, 0);
    assert!(err.contains("1 ran, 1 skipped"), "{err}");
    // bad selections
    fails_with(
        &["sweep", "run", &s(&ok), "--shard", "2/2", "--out", &s(&o2)],
        "--shard 2/2",
    );
    fails_with(
        &["sweep", "run", &s(&ok), "--shard", "x", "--out", &s(&o2)],
        "K/N",
    );
    fails_with(
        &["sweep", "run", &s(&ok), "--out", &s(&o2)],
        "say which trials",
    );
}

#[test]
fn train_trials_are_samlab_train_runs_with_their_epochs_and_weights() {
    let d = tempfile::tempdir().unwrap();
    let spec = write(
        d.path(),
        "t.toml",
        "command = \"train\"\n[fixed]\ntrain-size = 100\nepochs = 2\n[axes]\noptimizer = [\"sgd\", \"sam\"]\n",
    );
    let out = d.path().join("o");
    let (code, _, err) = samlab(&["sweep", "run", &s(&spec), "--all", "--out", &s(&out)]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = samlab(&["sweep", "merge", &s(&spec), "--out", &s(&out)]);
    assert_eq!(code, 0, "{err}");
    // one trial at a time on two threads, or two at a time on one: the same numbers
    let out2 = d.path().join("o2");
    let (code, _, err) = samlab(&[
        "sweep",
        "run",
        &s(&spec),
        "--all",
        "--out",
        &s(&out2),
        "--jobs",
        "1",
        "--threads",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        merged_without_timings(&spec, &out2),
        merged_without_timings(&spec, &out)
    );
    let strip = |p: &Path| -> Vec<String> {
        // epochs.csv without its wall_s and cpu_s columns (timings, last)
        let t = std::fs::read_to_string(p).unwrap();
        t.lines()
            .map(|l| l.rsplitn(3, ',').nth(2).unwrap().to_string())
            .collect()
    };
    assert_eq!(
        strip(&out.join("epochs.csv")),
        strip(&out2.join("epochs.csv"))
    );
    let epochs = std::fs::read_to_string(out.join("epochs.csv")).unwrap();
    assert!(
        epochs.lines().next().unwrap().ends_with(",cpu_s,wall_s"),
        "timings last"
    );
    assert_eq!(epochs.lines().count(), 1 + 2 * 3, "{epochs}");
    let direct = json(&[
        "train",
        "--optimizer",
        "sam",
        "--train-size",
        "100",
        "--epochs",
        "2",
        "--json",
    ]);
    let results = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let header: Vec<&str> = results.lines().next().unwrap().split(',').collect();
    let sam_row: Vec<&str> = results
        .lines()
        .find(|l| l.contains(",sam,"))
        .unwrap()
        .split(',')
        .collect();
    for key in ["test_loss", "train_loss", "grad_evals"] {
        let c = header.iter().position(|h| *h == key).unwrap();
        assert_eq!(
            sam_row[c].parse::<f64>().unwrap(),
            direct[key].as_f64().unwrap(),
            "{key}"
        );
    }
    // the final weights beside each trial file: 784·500+500 + 500·300+300 + 300·10+10 f32
    let weights: Vec<_> = std::fs::read_dir(out.join("trials"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".params.f32"))
        .collect();
    assert_eq!(weights.len(), 2);
    assert_eq!(std::fs::metadata(&weights[0]).unwrap().len(), 4 * 545_810);
}

/// The emitted scripts, against files checked by hand (`tests/golden/`); set
/// `SAMLAB_BLESS=1` to rewrite them after a deliberate change, then read the diff.
#[test]
fn emitted_scripts_match_their_golden_files() {
    let spec = "sweeps/example-diagnet.toml";
    let cases: [(&str, Vec<&str>); 4] = [
        ("slurm", vec!["--concurrency", "4", "--partition", "debug"]),
        ("parallel", vec![]),
        (
            "parallel-ssh",
            vec!["--sshloginfile", "hosts.txt", "--jobs", "1"],
        ),
        (
            "k8s",
            vec![
                "--image",
                "registry.example/samlab:0.1",
                "--pvc",
                "samlab-work",
            ],
        ),
    ];
    for (name, extra) in cases {
        let engine = name.split('-').next().unwrap();
        let mut args = vec!["sweep", "emit", engine, spec];
        args.extend(extra);
        let (code, text, err) = samlab(&args);
        assert_eq!(code, 0, "{err}");
        let golden = Path::new("tests/golden").join(format!("sweep-{name}.txt"));
        if std::env::var_os("SAMLAB_BLESS").is_some() {
            std::fs::write(&golden, &text).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        assert_eq!(
            text,
            want,
            "{} differs from the emitted text",
            golden.display()
        );
    }
    // DESIGN.md's contract: `emit k8s SPEC` alone prints a manifest (on the claim samlab-work)
    let (code, k8s, err) = samlab(&["sweep", "emit", "k8s", spec]);
    assert_eq!(code, 0, "{err}");
    assert!(
        k8s.contains("claimName: \"samlab-work\"") && k8s.contains("completions: 5"),
        "{k8s}"
    );
    // the array covers exactly the plan's tasks (10 trials, 2 per task)
    let (_, slurm, _) = samlab(&["sweep", "emit", "slurm", spec]);
    assert!(slurm.contains("#SBATCH --array=0-4\n"), "{slurm}");
}

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether an engine is here; when `SAMLAB_REQUIRE_<NAME>=1` (set by `.ci/run` after
/// `scripts/ci-services.sh` started it) its absence is a failure, not a skip.
fn engine(name: &str, ok: bool) -> bool {
    if !ok {
        let var = format!("SAMLAB_REQUIRE_{}", name.to_uppercase());
        assert!(
            std::env::var_os(&var).is_none(),
            "{name} is required ({var} is set) but not available: run scripts/ci-services.sh"
        );
        eprintln!("{name} is not available here: skipped (scripts/ci-services.sh starts it)");
    }
    ok
}

/// Every process below `root` (from the parents in /proc/*/stat).
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // pid (comm) state ppid ...: comm may hold spaces, so split after its ')'
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut out = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for &(c, pp) in &parents {
            if pp == p && c != root && !out.contains(&c) {
                out.push(c);
                frontier.push(c);
            }
        }
    }
    out
}

fn wait_or_kill(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            panic!("did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The emitted GNU parallel line for `spec` into `out`, with `home` (the tasks' $HOME) holding
/// parallel's will-cite file.
fn parallel_line(spec: &Path, out: &Path, home: &Path) -> String {
    let (code, line, err) = samlab(&[
        "sweep",
        "emit",
        "parallel",
        &s(spec),
        "--out",
        &s(out),
        "--samlab",
        env!("CARGO_BIN_EXE_samlab"),
    ]);
    assert_eq!(code, 0, "{err}");
    std::fs::create_dir_all(home.join(".parallel")).unwrap();
    std::fs::write(home.join(".parallel/will-cite"), b"").unwrap();
    line
}

/// The emitted GNU parallel line, killed midway and rerun: nothing is lost and nothing repeated,
/// and the merged table equals the local pool's.
#[test]
fn gnu_parallel_killed_and_resumed_loses_and_repeats_nothing() {
    if !engine("parallel", have("parallel", "--version")) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    // 8 trials of a few tenths of a second each, one per task
    let spec = diag_spec(d.path(), 300_000, 4, 1);
    let out = d.path().join("par");
    let line = parallel_line(&spec, &out, d.path());
    let run = || {
        Command::new("bash")
            .args(["-c", line.trim()])
            .env("HOME", d.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = run();
    let t0 = Instant::now();
    while trial_files(&out).len() < 2 {
        assert!(t0.elapsed() < Duration::from_secs(120), "no trial finished");
        std::thread::sleep(Duration::from_millis(20));
    }
    // kill parallel and the running trials at once. By pid, never by group: procps-ng 4.0's
    // `kill -KILL -PGID` kills every process of the machine.
    // (bash's builtin kill, with positive pids only)
    let pids: Vec<String> = std::iter::once(first.id())
        .chain(descendants(first.id()))
        .map(|p| p.to_string())
        .collect();
    let _ = Command::new("bash")
        .args(["-c", &format!("kill -KILL -- {}", pids.join(" "))])
        .status();
    let _ = first.wait();
    // a trial started between the scan and the kill: kill it too
    for pid in pids.iter().skip(1) {
        let _ = Command::new("bash")
            .args(["-c", &format!("kill -KILL -- {pid} 2>/dev/null")])
            .status();
    }
    let before = trial_files(&out);
    assert!(
        before.len() < 8,
        "everything finished before the kill: make the trials longer"
    );
    let mut second = run();
    assert!(wait_or_kill(&mut second, Duration::from_secs(300)).success());
    let after = trial_files(&out);
    assert_eq!(after.len(), 8);
    for (name, bytes) in &before {
        let now = &after.iter().find(|(n, _)| n == name).unwrap().1;
        assert_eq!(
            now, bytes,
            "{name} was rewritten: a finished trial ran again"
        );
    }
    // every task finished exactly once according to parallel's joblog (Seq first, Exitval and
    // Signal 7th and 8th)
    let joblog_path = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("parallel-")
        })
        .expect("a joblog");
    let joblog = std::fs::read_to_string(joblog_path).unwrap();
    let mut ok_per_seq = std::collections::BTreeMap::new();
    for l in joblog.lines().skip(1) {
        let f: Vec<&str> = l.split('\t').collect();
        if f[6] == "0" && f[7] == "0" {
            *ok_per_seq.entry(f[0].to_string()).or_insert(0) += 1;
        }
    }
    assert_eq!(ok_per_seq.len(), 8, "{joblog}");
    assert!(
        ok_per_seq.values().all(|&n| n == 1),
        "a task succeeded twice: {joblog}"
    );
    assert_same_as_local_pool(&spec, &out, d.path());
}

/// The emitted sbatch script as a 4-task array on the single-node Slurm, then merge: the same
/// table as the local pool.
#[test]
fn slurm_array_runs_the_spec_like_the_local_pool() {
    let up = have("scontrol", "ping")
        && Command::new("sinfo")
            .args(["-h", "-o", "%T"])
            .output()
            .is_ok_and(|o| {
                let t = String::from_utf8_lossy(&o.stdout);
                o.status.success() && ["idle", "mixed", "allocated"].iter().any(|s| t.contains(s))
            });
    if !engine("slurm", up) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let spec = diag_spec(d.path(), 2000, 2, 1);
    let out = d.path().join("slurm-out");
    let (code, script, err) = samlab(&[
        "sweep",
        "emit",
        "slurm",
        &s(&spec),
        "--out",
        &s(&out),
        "--samlab",
        env!("CARGO_BIN_EXE_samlab"),
        "--concurrency",
        "2",
        "--cpus-per-task",
        "1",
        "--mem",
        "500M",
        "--time",
        "00:10:00",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(script.contains("#SBATCH --array=0-3%2"), "{script}");
    let file = write(d.path(), "job.sbatch", &script);
    std::fs::create_dir_all(out.join("slurm")).unwrap();
    let mut job = Command::new("sbatch")
        .args(["--wait", &s(&file)])
        .current_dir(d.path())
        .spawn()
        .unwrap();
    let st = wait_or_kill(&mut job, Duration::from_secs(600));
    let logs: Vec<String> = std::fs::read_dir(out.join("slurm"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    assert!(st.success(), "the array failed; task logs: {logs:?}");
    assert_eq!(logs.len(), 4, "one log per array task");
    assert_same_as_local_pool(&spec, &out, d.path());
}

/// Paths with a space, a quote and a `$` survive both shells of the emitted parallel line.
#[test]
fn gnu_parallel_line_quotes_awkward_paths() {
    if !engine("parallel", have("parallel", "--version")) {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("it's a $dir");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = diag_spec(&dir, 200, 1, 1);
    let out = dir.join("out put");
    let line = parallel_line(&spec, &out, d.path());
    let st = Command::new("bash")
        .args(["-c", line.trim()])
        .env("HOME", d.path())
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert_eq!(trial_files(&out).len(), 2);
}

/// The committed specs of the figures' MNIST training are the experiment's own runs: the first
/// phase from its config, the second from its committed validation picks, so a user running
/// them with `samlab sweep` (on a cluster, say) runs exactly what `figures` runs.
#[test]
fn committed_figures_specs_are_the_mnist_experiments_runs() {
    use samlab::experiments::mnist;
    let r = mnist::Results::read(Path::new("results/mnist")).unwrap();
    let (sweep, _, unique) = mnist::first_phase(&r.cfg);
    let (_, fresh) = mnist::second_phase(&r.cfg, &sweep, &r.picks, &unique).unwrap();
    for (phase, configs) in [("mnist-runs", &unique), ("mnist-picks", &fresh)] {
        let path = format!("sweeps/figures/{phase}.toml");
        let committed = std::fs::read_to_string(&path).unwrap();
        let want = samlab::sweep::train_spec(phase, configs, "sweep-out/figures");
        assert_eq!(
            committed, want,
            "{path} is stale: rerun figures --only mnist"
        );
        // every run is one trial, with the run's own id
        let plan: Vec<String> = ids(Path::new(&path));
        let own: Vec<String> = configs
            .iter()
            .map(|c| samlab::sweep::train_trial_id(c).unwrap())
            .collect();
        let (mut a, mut b) = (plan.clone(), own.clone());
        a.sort();
        b.sort();
        assert_eq!(a, b, "{path}");
    }
}

/// The figures' trainer (sweep trials, run here or elsewhere) gives the outcomes of training in
/// this process, bit for bit apart from the timings; with `no_run` it trains nothing and names
/// the spec of the missing trials.
#[test]
fn sweep_trainer_gives_the_in_process_outcomes() {
    use sam_mnist::train::{Optimizer, TrainConfig};
    use samlab::experiments::{InProcess, Trainer};
    let data = sam_mnist::data::load(&sam_mnist::data::LoadOptions::new(
        None,
        PathBuf::from("data/mnist"),
    ))
    .unwrap()
    .0;
    let small = |o: Optimizer, seed: u64| TrainConfig {
        train_size: 100,
        epochs: 2,
        val_size: 50,
        ..TrainConfig::paper(o, seed)
    };
    let configs = vec![
        small(Optimizer::Sgd, 0),
        small(Optimizer::Sam { rho: 0.05 }, 1),
        small(Optimizer::Adam, 2),
    ];
    let d = tempfile::tempdir().unwrap();
    let trainer = |no_run: bool| samlab::sweep::SweepTrainer {
        specs: d.path().join("specs"),
        store: d.path().join("store"),
        store_text: s(&d.path().join("store")),
        no_run,
    };
    let err = trainer(true)
        .train("demo", &configs, &data, 2, &|_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("3 of 3 trials") && err.contains("demo.toml"),
        "{err}"
    );
    let reference = InProcess
        .train("demo", &configs, &data, 2, &|_, _| {})
        .unwrap();
    let untimed = |o: &sam_mnist::train::TrainOutcome| {
        let rows: Vec<_> = o
            .rows
            .iter()
            .map(|r| sam_mnist::train::EpochRow {
                wall_s: 0.0,
                cpu_s: 0.0,
                ..r.clone()
            })
            .collect();
        let bits: Vec<u32> = o.params.flat().iter().map(|x| x.to_bits()).collect();
        (o.config.clone(), rows, bits)
    };
    for no_run in [false, true] {
        let got = trainer(no_run)
            .train("demo", &configs, &data, 2, &|_, _| {})
            .unwrap();
        assert_eq!(got.len(), 3);
        for (a, b) in got.iter().zip(&reference) {
            assert_eq!(untimed(a), untimed(b), "no_run = {no_run}");
        }
    }
    // the spec it wrote is a sweep a user can run
    assert_eq!(
        json(&[
            "sweep",
            "plan",
            &s(&d.path().join("specs/demo.toml")),
            "--json"
        ])["trials"],
        3
    );
}

/// The committed specs of the m-sharpness and label-noise studies are those studies' runs: the
/// grid on the first seed from the config (as `run` builds it), and the other seeds at each
/// pick from the committed rows.
#[test]
fn committed_study_specs_are_the_studies_runs() {
    use samlab::experiments::mnist::{msharp, noise};
    let check = |name: &str, command: &str, jobs: Vec<serde_json::Value>| {
        let path = format!("sweeps/figures/{name}.toml");
        let want = samlab::sweep::job_spec(name, command, &jobs, "sweep-out/figures").unwrap();
        let committed = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            committed, want,
            "{path} is stale: rerun figures --only {command}"
        );
        assert_eq!(
            json(&["sweep", "plan", &path, "--json"])["trials"].as_u64(),
            Some(jobs.len() as u64)
        );
    };
    fn to<T: serde::Serialize>(v: &T) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }
    let m = msharp::Results::read(Path::new("results/mnist-msharp")).unwrap();
    let first = m.meta.seed.unwrap();
    let cfg: msharp::Config = serde_json::from_value(m.meta.config.clone()).unwrap();
    let grid = cfg
        .settings
        .iter()
        .flat_map(|s| cfg.rhos.iter().map(move |&r| (*s, r)))
        .map(|(s, r)| to(&msharp::Job::new(&cfg, &s, r, first, false)))
        .collect();
    check("mnist-msharp-grid", msharp::JOB, grid);
    let picks = m
        .runs
        .iter()
        .filter(|r| r.at_pick && r.seed != first)
        .map(|r| {
            let s = msharp::Setting {
                batch_size: r.batch_size,
                m: r.m,
                lr: r.lr,
            };
            to(&msharp::Job::new(&cfg, &s, r.rho, r.seed, true))
        })
        .collect();
    check("mnist-msharp-picks", msharp::JOB, picks);
    let n = noise::Results::read(Path::new("results/mnist-noise")).unwrap();
    let first = n.meta.seed.unwrap();
    let cfg: noise::Config = serde_json::from_value(n.meta.config.clone()).unwrap();
    let job = |p: f64, method: &str, rho: f64, seed: u64, at_pick: bool| {
        to(&noise::TrialJob {
            p,
            method: method.into(),
            rho,
            seed,
            at_pick,
            train_size: cfg.train_size,
            val_size: cfg.val_size,
            sgd_epochs: cfg.sgd_epochs,
            sam_epochs: cfg.sam_epochs,
        })
    };
    let mut grid = Vec::new();
    for &p in &cfg.noise {
        grid.push(job(p, "sgd", 0.0, first, true));
        for (method, rhos) in [("sam", &cfg.rhos), ("1-sam", &cfg.one_sam_rhos)] {
            grid.extend(rhos.iter().map(|&r| job(p, method, r, first, false)));
        }
    }
    check("mnist-noise-grid", noise::JOB, grid);
    let picks = n
        .runs
        .iter()
        .filter(|r| r.at_pick && r.seed != first)
        .map(|r| job(r.p, &r.method, r.rho, r.seed, true))
        .collect();
    check("mnist-noise-picks", noise::JOB, picks);
}

/// A study job run by `samlab sweep run` (as on a cluster) gives the row the study computes in
/// process, bit for bit apart from its timing.
#[test]
fn study_job_trials_give_the_in_process_rows() {
    use samlab::experiments::mnist::msharp;
    use samlab::experiments::{InProcess, Trainer};
    let job = msharp::Job {
        batch_size: 10,
        m: 2,
        lr: 0.01,
        rho: 0.05,
        seed: 3,
        at_pick: false,
        epochs: 1,
        train_size: 100,
        val_size: 50,
        kappa_rho: 0.05,
        ascent_steps: 1,
        chunks: 2,
    };
    let jobs = vec![serde_json::to_value(&job).unwrap()];
    let d = tempfile::tempdir().unwrap();
    let text =
        samlab::sweep::job_spec("demo", msharp::JOB, &jobs, &s(&d.path().join("store"))).unwrap();
    let spec = write(d.path(), "demo.toml", &text);
    let (code, _, err) = samlab(&["sweep", "run", &s(&spec), "--all"]);
    assert_eq!(code, 0, "{err}");
    let data = sam_mnist::data::load(&sam_mnist::data::LoadOptions::new(
        None,
        PathBuf::from("data/mnist"),
    ))
    .unwrap()
    .0;
    let here = InProcess
        .jobs("demo", msharp::JOB, &jobs, &data, 1, &|_, _| {})
        .unwrap();
    let trainer = samlab::sweep::SweepTrainer {
        specs: d.path().join("specs"),
        store: d.path().join("store"),
        store_text: s(&d.path().join("store")),
        no_run: true,
    };
    let there = trainer
        .jobs("demo", msharp::JOB, &jobs, &data, 1, &|_, _| {})
        .unwrap();
    let untimed = |v: &serde_json::Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("wall_s");
        v
    };
    assert_eq!(untimed(&there[0].row), untimed(&here[0].row));
    assert_eq!(there[0].params, here[0].params);
    assert!(here[0].row["m_sharpness"].as_f64().unwrap() > 0.0);
}
