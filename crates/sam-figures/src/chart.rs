//! Line charts with legends, log axes and bands.

use crate::{FigureError, Result, PALETTE};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::path::Path;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Style {
    /// A solid line.
    Line,
    /// A dashed line.
    Dashed,
    /// Circle markers.
    Points,
    /// A line with circle markers.
    LinePoints,
}

/// One named series of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// Points in data units.
    pub points: Vec<(f64, f64)>,
    /// Drawing style.
    pub style: Style,
    /// Palette index (defaults to the series' position).
    pub color: Option<usize>,
}

impl Series {
    /// A solid line.
    pub fn line(name: &str, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            style: Style::Line,
            color: None,
        }
    }
    /// Markers only.
    pub fn points(name: &str, points: Vec<(f64, f64)>) -> Self {
        Self {
            style: Style::Points,
            ..Self::line(name, points)
        }
    }
    /// With another style.
    pub fn styled(mut self, style: Style) -> Self {
        self.style = style;
        self
    }
    /// With a palette colour.
    pub fn colored(mut self, c: usize) -> Self {
        self.color = Some(c);
        self
    }
}

/// A shaded band between `lower` and `upper` (same x values).
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Palette index.
    pub color: usize,
    /// (x, lower, upper).
    pub points: Vec<(f64, f64, f64)>,
}

/// A chart: title, axis labels (with units), optional log axes, series and bands.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// log10 x axis.
    pub log_x: bool,
    /// log10 y axis.
    pub log_y: bool,
    /// Series.
    pub series: Vec<Series>,
    /// Bands.
    pub bands: Vec<Band>,
    /// Optional fixed y range (data units).
    pub y_range: Option<(f64, f64)>,
}

impl LineChart {
    /// An empty chart.
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        Self {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
            series: Vec::new(),
            bands: Vec::new(),
            y_range: None,
        }
    }
    /// Log10 x axis.
    pub fn log_x(mut self) -> Self {
        self.log_x = true;
        self
    }
    /// Log10 y axis.
    pub fn log_y(mut self) -> Self {
        self.log_y = true;
        self
    }
    /// Adds a series.
    pub fn series(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }
    /// Adds a band.
    pub fn band(mut self, b: Band) -> Self {
        self.bands.push(b);
        self
    }
    /// Fixes the y range.
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    fn tx(&self, x: f64) -> Option<f64> {
        map(x, self.log_x)
    }
    fn ty(&self, y: f64) -> Option<f64> {
        map(y, self.log_y)
    }

    fn bounds(&self) -> Option<((f64, f64), (f64, f64))> {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for s in &self.series {
            for &(x, y) in &s.points {
                if let (Some(x), Some(y)) = (self.tx(x), self.ty(y)) {
                    xs.push(x);
                    ys.push(y);
                }
            }
        }
        for b in &self.bands {
            for &(x, lo, hi) in &b.points {
                if let Some(x) = self.tx(x) {
                    xs.push(x);
                    ys.extend(self.ty(lo));
                    ys.extend(self.ty(hi));
                }
            }
        }
        let range = |v: &[f64]| -> Option<(f64, f64)> {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() || !hi.is_finite() {
                return None;
            }
            let pad = if hi > lo { 0.04 * (hi - lo) } else { 0.5 };
            Some((lo - pad, hi + pad))
        };
        let xr = range(&xs)?;
        let yr = match self.y_range {
            Some((lo, hi)) => (self.ty(lo)?, self.ty(hi)?),
            None => range(&ys)?,
        };
        Some((xr, yr))
    }
}

fn map(v: f64, log: bool) -> Option<f64> {
    let m = if log {
        if v > 0.0 {
            v.log10()
        } else {
            f64::NAN
        }
    } else {
        v
    };
    m.is_finite().then_some(m)
}

fn tick_label(v: f64, log: bool) -> String {
    if log {
        if (v - v.round()).abs() < 1e-9 {
            format!("1e{}", v.round() as i64)
        } else {
            format!("{:.2e}", 10f64.powf(v))
        }
    } else if v.abs() < 1e-12 {
        "0".to_string()
    } else if v.abs() < 1e-2 || v.abs() >= 1e4 {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Draws one series in its style, with its legend entry ("(dashed)" marks dashed lines, whose
/// legend swatch is drawn solid).
pub(crate) fn draw_series<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    s: &Series,
    pts: Vec<(f64, f64)>,
    col: RGBColor,
) -> std::result::Result<(), String>
where
    DB::ErrorType: 'static,
{
    let style = ShapeStyle::from(&col).stroke_width(2);
    let anno = match s.style {
        Style::Line | Style::LinePoints => chart.draw_series(LineSeries::new(pts.clone(), style)),
        Style::Dashed => chart.draw_series(DashedLineSeries::new(pts.clone(), 8, 5, style)),
        Style::Points => chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, col.filled()))),
    }
    .map_err(|e| e.to_string())?;
    let label = if s.style == Style::Dashed {
        format!("{} (dashed)", s.name)
    } else {
        s.name.clone()
    };
    anno.label(label).legend(move |(x, y)| {
        PathElement::new(
            vec![(x, y), (x + 18, y)],
            ShapeStyle::from(&col).stroke_width(3),
        )
    });
    if s.style == Style::LinePoints {
        chart
            .draw_series(pts.iter().map(|&p| Circle::new(p, 3, col.filled())))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

pub(crate) fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    c: &LineChart,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: &dyn std::fmt::Display| FigureError::Draw {
        path: c.title.clone(),
        message: e.to_string(),
    };
    let ((x0, x1), (y0, y1)) = c
        .bounds()
        .ok_or_else(|| FigureError::Empty(c.title.clone()))?;
    let mut chart = ChartBuilder::on(area)
        .caption(&c.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| err(&e))?;
    let (lx, ly) = (c.log_x, c.log_y);
    chart
        .configure_mesh()
        .x_desc(c.x_label.as_str())
        .y_desc(c.y_label.as_str())
        .x_label_formatter(&|v| tick_label(*v, lx))
        .y_label_formatter(&|v| tick_label(*v, ly))
        .label_style(("sans-serif", 12))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| err(&e))?;
    for b in &c.bands {
        let pts: Vec<(f64, f64, f64)> = b
            .points
            .iter()
            .filter_map(|&(x, lo, hi)| Some((c.tx(x)?, c.ty(lo)?, c.ty(hi)?)))
            .collect();
        if pts.len() < 2 {
            continue;
        }
        let mut poly: Vec<(f64, f64)> = pts.iter().map(|&(x, lo, _)| (x, lo)).collect();
        poly.extend(pts.iter().rev().map(|&(x, _, hi)| (x, hi)));
        chart
            .draw_series(std::iter::once(Polygon::new(
                poly,
                color(b.color).mix(0.2).filled(),
            )))
            .map_err(|e| err(&e))?;
    }
    for (i, s) in c.series.iter().enumerate() {
        let col = color(s.color.unwrap_or(i));
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|&(x, y)| Some((c.tx(x)?, c.ty(y)?)))
            .collect();
        draw_series(&mut chart, s, pts, col).map_err(|m| FigureError::Draw {
            path: c.title.clone(),
            message: m,
        })?;
    }
    if c.series.iter().any(|s| !s.name.is_empty()) {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 12))
            .draw()
            .map_err(|e| err(&e))?;
    }
    Ok(())
}

/// Renders charts side by side (one row) into an SVG file of `size` pixels per chart row.
pub fn render(path: &Path, size: (u32, u32), charts: &[LineChart]) -> Result<()> {
    let file = path.display().to_string();
    let err = |e: &dyn std::fmt::Display| FigureError::Draw {
        path: file.clone(),
        message: e.to_string(),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let areas = root.split_evenly((1, charts.len().max(1)));
        for (a, c) in areas.iter().zip(charts) {
            draw_chart(a, c)?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    write_file(path, svg.as_bytes())
}

/// Writes bytes atomically (`sam_results::write_atomic`: temporary file, then rename) so no
/// partial figure is left behind.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    sam_results::write_atomic(path, bytes).map_err(|e| FigureError::Draw {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}
