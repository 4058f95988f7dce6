//! Banded heat maps (filled contours) with line overlays and text annotations.

use crate::chart::{color, draw_series, write_file};
use crate::{FigureError, Result, Series};
use plotters::prelude::*;
use std::path::Path;

/// A map of values on a regular grid, drawn in `levels` colour bands, with overlays.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Colour-bar label (what the value is, with units).
    pub value_label: String,
    /// Cells (x centre, y centre, value); NaN cells are left white.
    pub cells: Vec<(f64, f64, f64)>,
    /// Cell size (dx, dy).
    pub cell: (f64, f64),
    /// Number of colour bands.
    pub levels: usize,
    /// Overlaid series (lines/markers with legend).
    pub overlays: Vec<Series>,
    /// Text annotations at (x, y).
    pub notes: Vec<(f64, f64, String)>,
    /// Custom tick labels for x (value, label), e.g. for categorical grids.
    pub x_ticks: Option<Vec<(f64, String)>>,
    /// Custom tick labels for y.
    pub y_ticks: Option<Vec<(f64, String)>>,
}

fn ramp(t: f64) -> RGBColor {
    // A light-to-dark blue-green ramp that keeps overlays readable.
    let t = t.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(lerp(247.0, 67.0), lerp(252.0, 147.0), lerp(240.0, 195.0))
}

fn nearest_label(ticks: &Option<Vec<(f64, String)>>, v: f64, step: f64) -> String {
    match ticks {
        Some(t) => t
            .iter()
            .find(|(p, _)| (p - v).abs() < 0.25 * step.max(1e-12))
            .map(|(_, s)| s.clone())
            .unwrap_or_default(),
        None => {
            let s = format!("{v:.2}");
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    }
}

/// Renders a heat map with a colour bar to an SVG file.
pub fn render_heatmap(path: &Path, size: (u32, u32), h: &Heatmap) -> Result<()> {
    let file = path.display().to_string();
    let err = |e: &dyn std::fmt::Display| FigureError::Draw {
        path: file.clone(),
        message: e.to_string(),
    };
    let finite: Vec<f64> = h
        .cells
        .iter()
        .map(|c| c.2)
        .filter(|v| v.is_finite())
        .collect();
    if finite.is_empty() {
        return Err(FigureError::Empty(h.title.clone()));
    }
    let vmin = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let vmax = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if vmax > vmin { vmax - vmin } else { 1.0 };
    let levels = h.levels.max(2) as f64;
    let band = |v: f64| ((v - vmin) / span * levels).floor().min(levels - 1.0) / (levels - 1.0);
    let xs = h.cells.iter().map(|c| c.0);
    let ys = h.cells.iter().map(|c| c.1);
    let x0 = xs.clone().fold(f64::INFINITY, f64::min) - h.cell.0 / 2.0;
    let x1 = xs.fold(f64::NEG_INFINITY, f64::max) + h.cell.0 / 2.0;
    let y0 = ys.clone().fold(f64::INFINITY, f64::min) - h.cell.1 / 2.0;
    let y1 = ys.fold(f64::NEG_INFINITY, f64::max) + h.cell.1 / 2.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let (main, bar) = root.split_horizontally(size.0.saturating_sub(110));
        let mut chart = ChartBuilder::on(&main)
            .caption(&h.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(&e))?;
        let (cx, cy) = h.cell;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(h.x_label.as_str())
            .y_desc(h.y_label.as_str())
            .x_labels(h.x_ticks.as_ref().map_or(8, |t| t.len()))
            .y_labels(h.y_ticks.as_ref().map_or(8, |t| t.len()))
            .x_label_formatter(&|v| nearest_label(&h.x_ticks, *v, cx))
            .y_label_formatter(&|v| nearest_label(&h.y_ticks, *v, cy))
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(
                h.cells
                    .iter()
                    .filter(|c| c.2.is_finite())
                    .map(|&(x, y, v)| {
                        Rectangle::new(
                            [(x - cx / 2.0, y - cy / 2.0), (x + cx / 2.0, y + cy / 2.0)],
                            ramp(band(v)).filled(),
                        )
                    }),
            )
            .map_err(|e| err(&e))?;
        for (i, s) in h.overlays.iter().enumerate() {
            let col = color(s.color.unwrap_or(i));
            draw_series(&mut chart, s, s.points.clone(), col).map_err(|m| FigureError::Draw {
                path: file.clone(),
                message: m,
            })?;
        }
        for (x, y, text) in &h.notes {
            // one line per '\n', from a little above the cell's middle downwards
            let lines: Vec<&str> = text.split('\n').collect();
            let top = *y + cy * 0.12 * lines.len() as f64;
            for (k, line) in lines.iter().enumerate() {
                chart
                    .draw_series(std::iter::once(Text::new(
                        line.to_string(),
                        (*x - cx * 0.45, top - cy * 0.24 * k as f64),
                        ("sans-serif", 12),
                    )))
                    .map_err(|e| err(&e))?;
            }
        }
        if !h.overlays.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(|e| err(&e))?;
        }
        // Colour bar.
        let mut cb = ChartBuilder::on(&bar)
            .margin_top(40)
            .margin_bottom(54)
            .margin_right(8)
            .y_label_area_size(48)
            .caption(&h.value_label, ("sans-serif", 11))
            .build_cartesian_2d(0.0..1.0, vmin..vmax)
            .map_err(|e| err(&e))?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_label_formatter(&|v| format!("{v:.2}"))
            .label_style(("sans-serif", 11))
            .draw()
            .map_err(|e| err(&e))?;
        let n = h.levels.max(2);
        cb.draw_series((0..n).map(|k| {
            let lo = vmin + span * k as f64 / n as f64;
            let hi = vmin + span * (k + 1) as f64 / n as f64;
            Rectangle::new(
                [(0.0, lo), (1.0, hi)],
                ramp(k as f64 / (n - 1) as f64).filled(),
            )
        }))
        .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    write_file(path, svg.as_bytes())
}
