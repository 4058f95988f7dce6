//! # sam-sweep
//!
//! One job: run samlab's experiment grids as index-sharded trials, the pattern of
//! `../shared/RESEARCH.md` section 5, on engines researchers already have. A **spec** (TOML)
//! names a command, its fixed settings and its axes ([`spec`]); the **plan** is the
//! canonical, deterministic product of the axes, each trial identified by a hash of its full,
//! normalized settings, so reordering axes or spelling a default does not change an id
//! ([`plan`]); a **task index** runs one or several trials and writes each result atomically
//! under `OUT/trials/<id>.json`, skipping finished ones ([`store`]); **emitters** print the
//! Slurm job array, GNU parallel line or Kubernetes Indexed Job over the indices ([`emit`]);
//! **merge** turns the trial files into the tidy CSV the figures read ([`merge`]).
//!
//! The commands themselves (`samlab train`, `samlab diagnet`, ...) sit behind the [`Runner`]
//! seam: this crate knows none of them.
//!
//! ```
//! use sam_sweep::{plan::Output, Plan, Runner, Settings, Spec, Store};
//! // a toy command: "square" returns x²
//! struct Toy;
//! impl Runner for Toy {
//!     fn commands(&self) -> Vec<&'static str> { vec!["square"] }
//!     fn normalize(&self, _: &str, s: &Settings) -> Result<serde_json::Value, String> {
//!         let x: f64 = s.get("x").map_or(Ok(1.0), |v| v.arg().parse().map_err(|_| "x: a number".to_string()))?;
//!         Ok(serde_json::json!({ "x": x }))
//!     }
//!     fn run(&self, c: &str, s: &Settings, _: usize) -> Result<Output, String> {
//!         let x = self.normalize(c, s)?["x"].as_f64().unwrap();
//!         let mut o = Output::default();
//!         o.summary.insert("y".into(), (x * x).into());
//!         Ok(o)
//!     }
//! }
//! let dir = tempfile::tempdir().unwrap();
//! let spec = Spec::parse("command = \"square\"\n[axes]\nx = [1.0, 2.0, 3.0]\n", "s.toml".as_ref()).unwrap();
//! let plan = Plan::new(spec, &Toy, None).unwrap();
//! let store = Store::new(dir.path());
//! let all: Vec<usize> = (0..plan.trials.len()).collect();
//! sam_sweep::store::run(&plan, &store, &Toy, &all, 2, 1, &|_, _| {}).unwrap();
//! let m = sam_sweep::merge::merge(&plan, &store, false).unwrap();
//! assert!(m.complete());
//! let csv = std::fs::read_to_string(dir.path().join("results.csv")).unwrap();
//! assert!(csv.starts_with("index,id,x,y,seconds\n0,"));
//! ```

pub mod emit;
pub mod merge;
pub mod plan;
pub mod spec;
pub mod store;

pub use plan::{Plan, Runner, Settings};
pub use spec::Spec;
pub use store::Store;

use std::path::PathBuf;

/// Errors of sweeps; messages name the file or value and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The spec does not parse or names a bad setting.
    #[error("{}: {message}", path.display())]
    Spec {
        /// The spec file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A bad index, shard or count.
    #[error("{0}")]
    Usage(String),
    /// A file of the store cannot be used.
    #[error("{0}")]
    Store(String),
    /// Reading a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing or reading a result file failed.
    #[error(transparent)]
    Results(#[from] sam_results::ResultsError),
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, SweepError>;
