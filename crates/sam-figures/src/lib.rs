//! # sam-figures
//!
//! One job: draw. Every figure is a function of plain data already computed and stored under
//! `results/`; nothing here recomputes an experiment. Charts are SVG (plotters' SVG backend, no
//! system font libraries). The building block is [`LineChart`]: titled axes with units, optional
//! log scales (data are mapped to log10 and ticks labelled as powers of ten), line or marker series
//! with a legend, and shaded bands (mean ± std, confidence intervals). [`Heatmap`] draws a
//! banded (filled-contour) map with overlays.
//!
//! Above them, one module per report with **one public function per figure file** (rows → SVG;
//! each has a test that renders tiny rows): [`toy`] (Figures 1–2), [`sharpness`], [`mnist`]
//! (Figures 3–5 and the sweep), [`pacbayes`], [`convergence`]. The rows are the types of the
//! matching `sam-experiments` module, read back from `results/`.
//!
//! ```
//! use sam_figures::{LineChart, Series};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("demo.svg");
//! let chart = LineChart::new("demo", "step", "loss")
//!     .series(Series::line("gd", vec![(0.0, 1.0), (1.0, 0.5)]));
//! sam_figures::render(&path, (640, 480), &[chart]).unwrap();
//! assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
//! ```

mod chart;
pub mod convergence;
pub mod diagnet;
mod heatmap;
pub mod mnist;
pub mod msharp;
pub mod noise;
pub mod pacbayes;
pub mod sharpness;
pub mod toy;

pub use chart::{render, Band, LegendPos, LineChart, Series, Style};
pub use heatmap::{render_heatmap, Heatmap};

/// Errors while drawing; they name the file.
#[derive(Debug, thiserror::Error)]
pub enum FigureError {
    /// The backend failed.
    #[error(
        "cannot draw {path}: {message} (check that the folder is writable, or pass another --out)"
    )]
    Draw {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A chart had no finite data.
    #[error("chart '{0}' has no finite data to draw")]
    Empty(String),
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, FigureError>;

/// A fixed, colour-blind-friendly palette (Okabe–Ito).
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
    (240, 228, 66),
    (0, 0, 0),
];
