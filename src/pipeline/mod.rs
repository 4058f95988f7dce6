//! The pipeline behind `figures`: experiments → `results/` → `figures/` → `notebooks-md/`.
//!
//! Each experiment has three functions: `run` (compute and write results), `draw` (results →
//! SVG) and `sections` (results → the generated parts of its report). `draw` and `sections` only
//! read result files, so the committed report can be checked against the committed results.

pub mod convergence;
pub mod mnist;
pub mod pacbayes;
pub mod sharpness;
pub mod toy;

use std::path::{Path, PathBuf};

/// Where a pipeline run reads and writes.
#[derive(Debug, Clone)]
pub struct Paths {
    /// `results/`.
    pub results: PathBuf,
    /// `figures/`.
    pub figures: PathBuf,
    /// `notebooks-md/`.
    pub reports: PathBuf,
}

impl Paths {
    /// The three folders under `root`.
    ///
    /// ```
    /// let p = samlab::pipeline::Paths::under(std::path::Path::new("/tmp/x"));
    /// assert!(p.results.ends_with("results"));
    /// ```
    pub fn under(root: &Path) -> Self {
        Self {
            results: root.join("results"),
            figures: root.join("figures"),
            reports: root.join("notebooks-md"),
        }
    }
}

/// Regenerates the generated sections of one report file in place (atomic write).
pub fn update_report(path: &Path, sections: &[(&str, String)]) -> anyhow::Result<()> {
    let md = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read report {}: {e}", path.display()))?;
    let filled = sam_report::fill(&md, sections)?;
    if filled != md {
        sam_results::write_atomic(path, filled.as_bytes())?;
    }
    Ok(())
}
