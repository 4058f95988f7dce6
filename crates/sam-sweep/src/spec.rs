//! The sweep spec: a TOML file naming a samlab command, its fixed settings and its axes.
//!
//! ```toml
//! command = "diagnet"          # the samlab command each trial runs
//! trials_per_task = 2          # optional: trials packed into one task index (default 1)
//! out = "sweep-out/example"    # optional: the output folder, relative to the current folder
//!
//! [fixed]                      # settings of every trial: the command's flags without "--"
//! steps = 2000
//!
//! [axes]                       # the product of these is the trial list
//! method = ["gd", "n-sam"]
//! seed = [0, 1]
//!
//! [[grid]]                     # optional: further products, each with its own fixed/axes on
//! fixed = { method = "1-sam" } # top of the top-level ones; the trial list is their union
//! axes = { rho = [0.05, 0.1] }
//! ```

use crate::{Result, SweepError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One setting's value as written in the spec: the command-line text it becomes is
/// [`Value::arg`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string (`optimizer = "sam"`).
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A switch: `true` passes `--key`, `false` leaves it out.
    Bool(bool),
    /// A list, passed comma-separated (`at = [-1.5, 2]` becomes `--at=-1.5,2`).
    List(Vec<Value>),
}

impl Value {
    /// The text passed after `--key=`.
    ///
    /// ```
    /// use sam_sweep::spec::Value;
    /// assert_eq!(Value::Float(0.1).arg(), "0.1");
    /// assert_eq!(Value::List(vec![Value::Int(1), Value::Float(-2.5)]).arg(), "1,-2.5");
    /// ```
    pub fn arg(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::List(v) => v.iter().map(Value::arg).collect::<Vec<_>>().join(","),
        }
    }

    /// As JSON (the trial file's `settings`).
    pub fn json(&self) -> serde_json::Value {
        match self {
            Value::Str(s) => s.clone().into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
            }
            Value::Bool(b) => (*b).into(),
            Value::List(v) => v.iter().map(Value::json).collect::<Vec<_>>().into(),
        }
    }

    /// Settings as a JSON object, keys as written (a trial file's `settings`).
    ///
    /// ```
    /// use sam_sweep::spec::Value;
    /// let mut s = sam_sweep::Settings::new();
    /// s.insert("seed".into(), Value::Int(3));
    /// assert_eq!(serde_json::Value::Object(Value::object(&s)), serde_json::json!({"seed": 3}));
    /// ```
    pub fn object(settings: &crate::Settings) -> serde_json::Map<String, serde_json::Value> {
        settings
            .iter()
            .map(|(k, v)| (k.clone(), v.json()))
            .collect()
    }

    fn from_toml(key: &str, v: &toml::Value, file: &Path) -> Result<Self> {
        let bad = |what: &str| SweepError::Spec {
            path: file.to_path_buf(),
            message: format!("setting {key:?}: {what}"),
        };
        Ok(match v {
            toml::Value::String(s) => Value::Str(s.clone()),
            toml::Value::Integer(i) => Value::Int(*i),
            toml::Value::Float(f) if f.is_finite() => Value::Float(*f),
            toml::Value::Float(f) => return Err(bad(&format!("{f} is not a finite number"))),
            toml::Value::Boolean(b) => Value::Bool(*b),
            toml::Value::Array(a) => Value::List(
                a.iter()
                    .map(|x| match x {
                        toml::Value::Array(_) | toml::Value::Table(_) => {
                            Err(bad("a list inside a setting holds numbers or strings only"))
                        }
                        x => Value::from_toml(key, x, file),
                    })
                    .collect::<Result<_>>()?,
            ),
            toml::Value::Datetime(_) => return Err(bad("a date is not a setting value")),
            toml::Value::Table(_) => {
                return Err(bad(
                    "a table is not a setting value (settings go under [fixed] and [axes])",
                ))
            }
        })
    }
}

/// One product of axes with its fixed settings; keys are normalized to the flag spelling
/// (`train_size` and `train-size` are the same key).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Grid {
    /// Settings of every trial of this grid.
    pub fixed: BTreeMap<String, Value>,
    /// Axes, sorted by name: the product runs over them in this order, the last fastest.
    pub axes: BTreeMap<String, Vec<Value>>,
}

/// A parsed, checked sweep spec.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// The file it was read from.
    pub path: PathBuf,
    /// The samlab command each trial runs (`train`, `diagnet`, ...).
    pub command: String,
    /// Trials packed into one task index (`--trials-per-task` overrides it).
    pub trials_per_task: usize,
    /// The output folder written in the spec, if any.
    pub out: Option<PathBuf>,
    /// The products whose union is the trial list, in the spec's order.
    pub grids: Vec<Grid>,
}

/// At most this many trials in one spec: a larger product is almost surely a typo.
pub const MAX_TRIALS: usize = 1_000_000;

/// The key spelled as the command's flag (`train_size` → `train-size`), checked.
fn flag_key(key: &str, file: &Path) -> Result<String> {
    let k = key.replace('_', "-");
    let ok = !k.is_empty()
        && !k.starts_with('-')
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        return Err(SweepError::Spec {
            path: file.to_path_buf(),
            message: format!(
                "setting {key:?} is not a flag name: use the command's long flag without \"--\" (e.g. train-size)"
            ),
        });
    }
    Ok(k)
}

fn table<'a>(
    v: Option<&'a toml::Value>,
    name: &str,
    file: &Path,
) -> Result<Option<&'a toml::Table>> {
    match v {
        None => Ok(None),
        Some(toml::Value::Table(t)) => Ok(Some(t)),
        Some(_) => Err(SweepError::Spec {
            path: file.to_path_buf(),
            message: format!(
                "{name} must be a table of settings (e.g. [{name}] with key = value lines)"
            ),
        }),
    }
}

fn read_grid(t: &toml::Table, where_: &str, file: &Path) -> Result<Grid> {
    for k in t.keys() {
        if k != "fixed" && k != "axes" {
            return Err(SweepError::Spec {
                path: file.to_path_buf(),
                message: format!("{where_}: unknown key {k:?} (a grid has fixed and axes)"),
            });
        }
    }
    let mut g = Grid::default();
    if let Some(fixed) = table(t.get("fixed"), &format!("{where_}fixed"), file)? {
        for (k, v) in fixed {
            let key = flag_key(k, file)?;
            let val = Value::from_toml(k, v, file)?;
            if g.fixed.insert(key.clone(), val).is_some() {
                return Err(dup(&key, file));
            }
        }
    }
    if let Some(axes) = table(t.get("axes"), &format!("{where_}axes"), file)? {
        for (k, v) in axes {
            let key = flag_key(k, file)?;
            let toml::Value::Array(vals) = v else {
                return Err(SweepError::Spec {
                    path: file.to_path_buf(),
                    message: format!("axis {k:?} must be a list of values, e.g. {k} = [0.01, 0.1]"),
                });
            };
            if vals.is_empty() {
                return Err(SweepError::Spec {
                    path: file.to_path_buf(),
                    message: format!("axis {k:?} is empty: give at least one value"),
                });
            }
            let vals = vals
                .iter()
                .map(|x| Value::from_toml(k, x, file))
                .collect::<Result<Vec<_>>>()?;
            if g.fixed.contains_key(&key) || g.axes.insert(key.clone(), vals).is_some() {
                return Err(dup(&key, file));
            }
        }
    }
    Ok(g)
}

fn dup(key: &str, file: &Path) -> SweepError {
    SweepError::Spec {
        path: file.to_path_buf(),
        message: format!(
            "setting {key:?} is given twice (as a fixed setting and an axis, or spelled with - and _): keep one"
        ),
    }
}

/// Merges `inner` on top of `outer`; a key in both is an error (no silent override).
fn combine(outer: &Grid, inner: Grid, file: &Path) -> Result<Grid> {
    let mut g = outer.clone();
    for (k, v) in inner.fixed {
        if g.axes.contains_key(&k) || g.fixed.insert(k.clone(), v).is_some() {
            return Err(dup(&k, file));
        }
    }
    for (k, v) in inner.axes {
        if g.fixed.contains_key(&k) || g.axes.insert(k.clone(), v).is_some() {
            return Err(dup(&k, file));
        }
    }
    Ok(g)
}

impl Spec {
    /// Reads and checks the spec at `path` (an error names the file and the problem).
    pub fn read(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path).map_err(|source| SweepError::Io {
            action: "read the spec",
            path: path.to_path_buf(),
            source,
        })?;
        if !meta.is_file() || meta.len() > 1 << 20 {
            return Err(SweepError::Spec {
                path: path.to_path_buf(),
                message: "not a regular file of at most 1 MiB: give a .toml sweep spec".into(),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| SweepError::Io {
            action: "read the spec",
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses spec text; `path` is only for messages and is kept as [`Spec::path`].
    ///
    /// ```
    /// let s = sam_sweep::Spec::parse(
    ///     "command = \"diagnet\"\n[axes]\nseed = [0, 1]\nmethod = [\"gd\"]\n",
    ///     std::path::Path::new("s.toml"),
    /// ).unwrap();
    /// assert_eq!(s.command, "diagnet");
    /// assert_eq!(s.grids[0].axes.keys().collect::<Vec<_>>(), ["method", "seed"]);
    /// ```
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| SweepError::Spec {
                path: path.to_path_buf(),
                message: format!("not valid TOML: {}", e.message()),
            })?;
        for k in doc.keys() {
            if !["command", "trials_per_task", "out", "fixed", "axes", "grid"].contains(&k.as_str())
            {
                return Err(SweepError::Spec {
                    path: path.to_path_buf(),
                    message: format!(
                        "unknown key {k:?}: a spec has command, trials_per_task, out, [fixed], [axes] and [[grid]]"
                    ),
                });
            }
        }
        let command = match doc.get("command") {
            Some(toml::Value::String(s)) if !s.is_empty() => s.clone(),
            _ => {
                return Err(SweepError::Spec {
                    path: path.to_path_buf(),
                    message: "give the command each trial runs, e.g. command = \"train\"".into(),
                })
            }
        };
        let trials_per_task = match doc.get("trials_per_task") {
            None => 1,
            Some(toml::Value::Integer(t)) if (1..=100_000).contains(t) => *t as usize,
            Some(v) => {
                return Err(SweepError::Spec {
                    path: path.to_path_buf(),
                    message: format!(
                        "trials_per_task = {v} is invalid: give an integer from 1 to 100000"
                    ),
                })
            }
        };
        let out = match doc.get("out") {
            None => None,
            Some(toml::Value::String(s)) if !s.is_empty() => Some(PathBuf::from(s)),
            Some(_) => {
                return Err(SweepError::Spec {
                    path: path.to_path_buf(),
                    message: "out must be a folder path in quotes, e.g. out = \"sweep-out/mine\""
                        .into(),
                })
            }
        };
        let top = read_grid(
            &doc.iter()
                .filter(|(k, _)| *k == "fixed" || *k == "axes")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            "",
            path,
        )?;
        let grids = match doc.get("grid") {
            None => vec![top],
            Some(toml::Value::Array(list)) if !list.is_empty() => list
                .iter()
                .enumerate()
                .map(|(i, g)| match g {
                    toml::Value::Table(t) => combine(
                        &top,
                        read_grid(t, &format!("grid {}: ", i + 1), path)?,
                        path,
                    ),
                    _ => Err(SweepError::Spec {
                        path: path.to_path_buf(),
                        message: format!("grid {} must be a table ([[grid]])", i + 1),
                    }),
                })
                .collect::<Result<_>>()?,
            Some(_) => {
                return Err(SweepError::Spec {
                    path: path.to_path_buf(),
                    message: "grid must be a list of tables: write each as [[grid]]".into(),
                })
            }
        };
        let mut total: usize = 0;
        for g in &grids {
            let n = g
                .axes
                .values()
                .try_fold(1usize, |n, v| n.checked_mul(v.len()))
                .filter(|&n| n <= MAX_TRIALS);
            total = n.and_then(|n| total.checked_add(n)).unwrap_or(usize::MAX);
        }
        if total > MAX_TRIALS {
            return Err(SweepError::Spec {
                path: path.to_path_buf(),
                message: format!("the axes' product exceeds {MAX_TRIALS} trials: split the sweep into several specs"),
            });
        }
        Ok(Spec {
            path: path.to_path_buf(),
            command,
            trials_per_task,
            out,
            grids,
        })
    }

    /// Every grid point's settings, in the canonical order: grids in the spec's order, axes by
    /// name, the last axis fastest, values in the spec's order.
    ///
    /// ```
    /// let s = sam_sweep::Spec::parse("command = \"x\"\n[axes]\nb = [1, 2]\na = [3, 4]\n", "s.toml".as_ref()).unwrap();
    /// let p: Vec<String> = s.points().iter().map(sam_sweep::plan::describe).collect();
    /// assert_eq!(p, ["a = 3, b = 1", "a = 3, b = 2", "a = 4, b = 1", "a = 4, b = 2"]);
    /// ```
    pub fn points(&self) -> Vec<BTreeMap<String, Value>> {
        let mut out = Vec::new();
        for g in &self.grids {
            let axes: Vec<(&String, &Vec<Value>)> = g.axes.iter().collect();
            let n: usize = axes.iter().map(|(_, v)| v.len()).product();
            for mut i in 0..n {
                let mut s = g.fixed.clone();
                let mut picks = vec![0; axes.len()];
                for (slot, (_, vals)) in picks.iter_mut().zip(&axes).rev() {
                    *slot = i % vals.len();
                    i /= vals.len();
                }
                for ((k, vals), &j) in axes.iter().zip(&picks) {
                    s.insert((*k).clone(), vals[j].clone());
                }
                out.push(s);
            }
        }
        out
    }

    /// The output folder: `--out` if given, else the spec's `out`, else `sweep-out/<spec file
    /// stem>` under the current folder.
    ///
    /// ```
    /// let s = sam_sweep::Spec::parse("command = \"x\"\n", "dir/grid.toml".as_ref()).unwrap();
    /// assert_eq!(s.out_dir(None), std::path::Path::new("sweep-out/grid"));
    /// assert_eq!(s.out_dir(Some("o".as_ref())), std::path::Path::new("o"));
    /// ```
    pub fn out_dir(&self, flag: Option<&Path>) -> PathBuf {
        if let Some(f) = flag {
            return f.to_path_buf();
        }
        if let Some(o) = &self.out {
            return o.clone();
        }
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sweep".into());
        PathBuf::from("sweep-out").join(stem)
    }
}
