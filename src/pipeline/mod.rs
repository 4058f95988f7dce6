//! The pipeline behind `figures`: experiments → `results/` → `figures/` → `notebooks-md/`.
//!
//! Each experiment has three functions: `run` (compute and write results), `draw` (results →
//! SVG) and `sections` (results → the generated parts of its report). `draw` and `sections` only
//! read result files, so the committed report can be checked against the committed results.

pub mod mnist;

pub use crate::registry::{update_report, Paths};
