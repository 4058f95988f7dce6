//! # sam-results
//!
//! One job: results are data. Experiments write tidy CSV rows and a `meta.json` (config, seed,
//! version) under `results/<experiment>/`; figures and reports read them back. Every write goes
//! to a temporary file in the same folder and is then renamed, so a failed run never leaves a
//! partial file behind.
//!
//! It also holds the few helpers every experiment shares, once: [`Meta::new`] (run metadata),
//! [`mean_std`] (mean ± sample std), [`log_log_slope`] (least-squares slope of ln y on ln x) and
//! [`num`] (significant-digit formatting for titles and tables).
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! #[derive(Serialize, Deserialize, PartialEq, Debug)]
//! struct Row { step: usize, loss: f64 }
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("trace.csv");
//! sam_results::write_csv(&path, &[Row { step: 0, loss: 1.5 }]).unwrap();
//! let back: Vec<Row> = sam_results::read_csv(&path).unwrap();
//! assert_eq!(back, vec![Row { step: 0, loss: 1.5 }]);
//! ```

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Errors of this crate, naming the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// An I/O failure on a file.
    #[error("cannot {action} {path}: {source} (check that the folder exists and is writable, or pass another --out)")]
    Io {
        /// What was attempted.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A CSV failure.
    #[error("CSV error in {path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// A JSON failure.
    #[error("JSON error in {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, ResultsError>;

/// Metadata written beside every experiment's rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meta {
    /// Experiment name (the folder under results/).
    pub experiment: String,
    /// samlab's version.
    pub version: String,
    /// Base seed, if the experiment is random.
    pub seed: Option<u64>,
    /// Whether this was a `--quick` smoke run (not for reports).
    pub quick: bool,
    /// The full configuration, as JSON.
    pub config: serde_json::Value,
}

impl Meta {
    /// The metadata of one run of `experiment` with `config`, stamped with this workspace's
    /// version.
    ///
    /// ```
    /// let m = sam_results::Meta::new("fig2", None, false, &serde_json::json!({"eta": 0.1})).unwrap();
    /// assert_eq!(m.config["eta"], 0.1);
    /// ```
    pub fn new(
        experiment: &str,
        seed: Option<u64>,
        quick: bool,
        config: &impl Serialize,
    ) -> Result<Self> {
        Ok(Self {
            experiment: experiment.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            seed,
            quick,
            config: serde_json::to_value(config).map_err(|source| ResultsError::Json {
                path: PathBuf::from(format!("<config of {experiment}>")),
                source,
            })?,
        })
    }
}

/// Formats a number with `sig` significant digits, switching to scientific notation for very
/// small or large magnitudes.
///
/// ```
/// assert_eq!(sam_results::num(1.22500004, 4), "1.225");
/// assert_eq!(sam_results::num(0.0000123, 3), "1.23e-5");
/// ```
pub fn num(v: f64, sig: usize) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    if v == 0.0 {
        return "0".into();
    }
    let mag = v.abs().log10().floor() as i32;
    if !(-3..6).contains(&mag) {
        let s = format!("{:.*e}", sig.saturating_sub(1), v);
        // Rust prints 1.23e-5 already; keep it.
        return s;
    }
    let decimals = (sig as i32 - 1 - mag).max(0) as usize;
    format!("{v:.decimals$}")
}

/// Least-squares slope of ln y on ln x over the points with x > 0 and finite y > 0 (NaN when
/// fewer than two remain).
///
/// ```
/// let pts: Vec<(f64, f64)> = [1.0, 2.0, 4.0].iter().map(|&x| (x, 3.0 * x * x)).collect();
/// assert!((sam_results::log_log_slope(&pts) - 2.0).abs() < 1e-12);
/// ```
pub fn log_log_slope(pts: &[(f64, f64)]) -> f64 {
    let pts: Vec<(f64, f64)> = pts
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0 && y.is_finite())
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    let n = pts.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

/// Mean and sample standard deviation (n − 1; 0 for a single value) of `v`.
///
/// ```
/// let (m, s) = sam_results::mean_std(&[1.0, 2.0, 3.0]);
/// assert_eq!((m, s), (2.0, 1.0));
/// ```
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let s = if v.len() > 1 {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (m, s)
}

/// Kendall's rank correlation τ-b of the pairs `(x_i, y_i)` (ties in either coordinate
/// corrected for, as in Kendall 1945): (concordant − discordant) / √((n₀ − n₁)(n₀ − n₂)) over all
/// pairs, with n₀ = n(n−1)/2 and n₁, n₂ the pairs tied in x and in y. `None` for fewer than two
/// points or when one coordinate is constant (τ undefined). O(n²), for the few dozen runs of an
/// experiment.
///
/// ```
/// assert_eq!(sam_results::kendall_tau_b(&[(1.0, 2.0), (2.0, 3.0), (3.0, 5.0)]), Some(1.0));
/// assert_eq!(sam_results::kendall_tau_b(&[(1.0, 2.0), (1.0, 3.0)]), None);
/// ```
pub fn kendall_tau_b(pts: &[(f64, f64)]) -> Option<f64> {
    let (mut conc, mut disc, mut tx, mut ty) = (0i64, 0i64, 0i64, 0i64);
    for (i, a) in pts.iter().enumerate() {
        for b in &pts[i + 1..] {
            let (dx, dy) = (a.0 - b.0, a.1 - b.1);
            match (dx == 0.0, dy == 0.0) {
                (true, true) => {
                    tx += 1;
                    ty += 1;
                }
                (true, false) => tx += 1,
                (false, true) => ty += 1,
                _ if (dx > 0.0) == (dy > 0.0) => conc += 1,
                _ => disc += 1,
            }
        }
    }
    let n = pts.len() as i64;
    let n0 = n * (n - 1) / 2;
    let den = (((n0 - tx) * (n0 - ty)) as f64).sqrt();
    (n >= 2 && den > 0.0).then(|| (conc - disc) as f64 / den)
}

/// A suffix no other writer uses at the same time: the process id, a per-process counter and
/// the clock's nanoseconds (processes on other hosts of a shared folder, or pods that are all
/// pid 1, differ in the clock).
///
/// ```
/// assert_ne!(sam_results::unique_suffix(), sam_results::unique_suffix());
/// ```
pub fn unique_suffix() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{n}-{t}", std::process::id())
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("a.txt");
/// sam_results::write_atomic(&p, b"hello").unwrap();
/// assert_eq!(std::fs::read(&p).unwrap(), b"hello");
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |action, source| ResultsError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| io("create the folder of", e))?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", unique_suffix()));
    let result = (|| {
        let mut f = fs::File::create(&tmp).map_err(|e| io("create", e))?;
        f.write_all(bytes).map_err(|e| io("write", e))?;
        f.sync_all().map_err(|e| io("sync", e))?;
        fs::rename(&tmp, path).map_err(|e| io("rename into", e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Serialises rows as CSV with a header, atomically.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|source| ResultsError::Csv {
            path: path.to_path_buf(),
            source,
        })?;
    }
    let bytes = w.into_inner().map_err(|e| ResultsError::Io {
        action: "buffer",
        path: path.to_path_buf(),
        source: e.into_error(),
    })?;
    write_atomic(path, &bytes)
}

/// Reads CSV rows written by [`write_csv`].
pub fn read_csv<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let mut r = csv::Reader::from_path(path).map_err(|source| ResultsError::Csv {
        path: path.to_path_buf(),
        source,
    })?;
    r.deserialize()
        .collect::<std::result::Result<Vec<T>, _>>()
        .map_err(|source| ResultsError::Csv {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes a value as pretty JSON (with a trailing newline), atomically.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("x.json");
/// sam_results::write_json(&p, &vec![1, 2]).unwrap();
/// let v: Vec<i32> = sam_results::read_json(&p).unwrap();
/// assert_eq!(v, vec![1, 2]);
/// ```
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|source| ResultsError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Reads JSON written by [`write_json`].
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = fs::read(path).map_err(|source| ResultsError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| ResultsError::Json {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwritable_output_is_an_error_and_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, b"x").unwrap();
        // A folder cannot be created under a regular file.
        let err = write_atomic(&blocker.join("sub/out.csv"), b"data").unwrap_err();
        assert!(err.to_string().contains("out.csv") || err.to_string().contains("sub"));
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }
}

#[cfg(test)]
mod kendall_tests {
    use super::kendall_tau_b;

    /// SciPy's documented example of `scipy.stats.kendalltau` (τ-b, with ties in both
    /// coordinates): x = [12, 2, 1, 12, 2], y = [1, 4, 7, 1, 0] gives −0.47140452079103173.
    #[test]
    fn matches_scipys_documented_example_with_ties() {
        let x = [12.0, 2.0, 1.0, 12.0, 2.0];
        let y = [1.0, 4.0, 7.0, 1.0, 0.0];
        let pts: Vec<_> = x.iter().copied().zip(y).collect();
        let t = kendall_tau_b(&pts).unwrap();
        assert!((t - -0.471_404_520_791_031_73).abs() < 1e-15, "{t}");
    }

    /// Without ties τ-b is τ-a: the mean over pairs of sign(dx)·sign(dy), and counting
    /// inversions of y sorted by x gives 1 − 4·inversions/(n(n−1)).
    #[test]
    fn without_ties_equals_one_minus_scaled_inversions() {
        let y = [3.0, 1.0, 4.0, 0.5, 5.0, 9.0, 2.0, 6.0];
        let pts: Vec<_> = y.iter().enumerate().map(|(i, &v)| (i as f64, v)).collect();
        let n = y.len();
        let inv = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .filter(|&(i, j)| y[i] > y[j])
            .count();
        let want = 1.0 - 4.0 * inv as f64 / (n * (n - 1)) as f64;
        assert!((kendall_tau_b(&pts).unwrap() - want).abs() < 1e-15);
        let rev: Vec<_> = pts.iter().map(|&(a, b)| (a, -b)).collect();
        assert!((kendall_tau_b(&rev).unwrap() + want).abs() < 1e-15);
    }
}
