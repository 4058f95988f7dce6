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
    /// Legend label (empty: no legend entry). On a log axis, a lower edge at or below 0 is drawn
    /// at the axis bottom, and the label says so.
    pub label: String,
}

/// Where a chart's legend box sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegendPos {
    /// Top right (the default).
    UpperRight,
    /// Top left.
    UpperLeft,
    /// Bottom left.
    LowerLeft,
    /// Bottom right.
    LowerRight,
    /// Middle of the left edge.
    MiddleLeft,
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
    /// Optional fixed y range (data units). Points below it are not dropped silently: they are
    /// drawn as triangles on the axis bottom with their own legend entry.
    pub y_range: Option<(f64, f64)>,
    /// Legend position.
    pub legend: LegendPos,
    /// The x axis ends where the data end (no padding).
    pub tight_x: bool,
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
            legend: LegendPos::UpperRight,
            tight_x: false,
        }
    }
    /// Puts the legend elsewhere.
    pub fn legend_at(mut self, pos: LegendPos) -> Self {
        self.legend = pos;
        self
    }
    /// No padding on the x axis: it ends where the data end.
    pub fn tight_x(mut self) -> Self {
        self.tight_x = true;
        self
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
        let range = |v: &[f64], rel: f64| -> Option<(f64, f64)> {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() || !hi.is_finite() {
                return None;
            }
            let pad = if hi > lo { rel * (hi - lo) } else { 0.5 };
            Some((lo - pad, hi + pad))
        };
        let xr = range(&xs, if self.tight_x { 0.0 } else { 0.04 })?;
        let range = |v: &[f64]| range(v, 0.04);
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

/// Draws one series in its style, with its legend entry if it has a name ("(dashed)" marks
/// dashed lines; the swatch shows the style: a dashed segment, a marker, or a solid segment).
pub(crate) fn draw_series<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
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
    // one element type for every swatch: a marker and two segments, the unused parts clear
    let (marker, line) = match s.style {
        Style::Points => (col.filled(), ShapeStyle::from(&TRANSPARENT)),
        _ => (TRANSPARENT.filled(), ShapeStyle::from(&col).stroke_width(3)),
    };
    let (gap_lo, gap_hi) = if s.style == Style::Dashed {
        (7, 11)
    } else {
        (9, 9)
    };
    // an unnamed series (e.g. further seeds of a named one) has no legend entry
    if !s.name.is_empty() {
        anno.label(label).legend(move |(x, y)| {
            EmptyElement::at((x, y))
                + Circle::new((9, 0), 3, marker)
                + PathElement::new(vec![(0, 0), (gap_lo, 0)], line)
                + PathElement::new(vec![(gap_hi, 0), (18, 0)], line)
        });
    }
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
        let mut clipped = false;
        let pts: Vec<(f64, f64, f64)> = b
            .points
            .iter()
            .filter_map(|&(x, lo, hi)| {
                let lo = c.ty(lo).or_else(|| {
                    // a lower edge at or below 0 on a log axis: drawn at the axis bottom
                    clipped = true;
                    Some(y0)
                })?;
                Some((c.tx(x)?, lo.max(y0), c.ty(hi)?))
            })
            .collect();
        if pts.len() < 2 {
            continue;
        }
        let mut poly: Vec<(f64, f64)> = pts.iter().map(|&(x, lo, _)| (x, lo)).collect();
        poly.extend(pts.iter().rev().map(|&(x, _, hi)| (x, hi)));
        let fill = color(b.color).mix(0.2).filled();
        let anno = chart
            .draw_series(std::iter::once(Polygon::new(poly, fill)))
            .map_err(|e| err(&e))?;
        if !b.label.is_empty() {
            let label = if clipped {
                format!("{} (lower edge ≤ 0 drawn at the axis)", b.label)
            } else {
                b.label.clone()
            };
            anno.label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], fill));
        }
    }
    for (i, s) in c.series.iter().enumerate() {
        let col = color(s.color.unwrap_or(i));
        let mut below = Vec::new();
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|&(x, y)| {
                let (tx, ty) = (c.tx(x)?, c.ty(y));
                match (c.y_range, ty) {
                    // below a fixed range (or ≤ 0 on a log axis with a fixed range): a marker on
                    // the axis instead of a silently clipped point
                    (Some(_), Some(ty)) if ty < y0 => {
                        below.push(tx);
                        None
                    }
                    (Some(_), None) if c.log_y => {
                        below.push(tx);
                        None
                    }
                    _ => Some((tx, ty?)),
                }
            })
            .collect();
        draw_series(&mut chart, s, pts, col).map_err(|m| FigureError::Draw {
            path: c.title.clone(),
            message: m,
        })?;
        if !below.is_empty() {
            let floor = c.y_range.map_or(0.0, |r| r.0);
            chart
                .draw_series(
                    below
                        .iter()
                        .map(|&x| TriangleMarker::new((x, y0), 5, col.filled())),
                )
                .map_err(|e| err(&e))?
                .label(format!(
                    "{}: below {} (on the axis)",
                    s.name,
                    tick_label(floor, false)
                ))
                .legend(move |(x, y)| TriangleMarker::new((x + 9, y), 5, col.filled()));
        }
    }
    if c.series.iter().any(|s| !s.name.is_empty()) {
        let pos = match c.legend {
            LegendPos::UpperRight => SeriesLabelPosition::UpperRight,
            LegendPos::UpperLeft => SeriesLabelPosition::UpperLeft,
            LegendPos::LowerLeft => SeriesLabelPosition::LowerLeft,
            LegendPos::LowerRight => SeriesLabelPosition::LowerRight,
            LegendPos::MiddleLeft => SeriesLabelPosition::MiddleLeft,
        };
        chart
            .configure_series_labels()
            .position(pos)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11, item 22: nothing is clipped silently. Points below a fixed y range become
    /// triangles on the axis with a legend entry; a band whose lower edge is ≤ 0 on a log axis is
    /// drawn to the axis and its legend says so; band legends appear.
    #[test]
    fn clipped_points_and_band_edges_are_announced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.svg");
        let chart = LineChart::new("t", "x", "y")
            .log_y()
            .series(Series::line("s", vec![(1.0, 1.0), (2.0, 1e-6), (3.0, 0.5)]))
            .band(Band {
                color: 1,
                points: vec![(1.0, -0.5, 2.0), (3.0, 0.1, 1.0)],
                label: "s: mean ± std".into(),
            })
            .y_range(1e-3, 10.0)
            .legend_at(LegendPos::LowerLeft)
            .tight_x();
        render(&path, (600, 400), &[chart]).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("s: below 1.0e-3 (on the axis)"), "{svg}");
        assert!(svg.contains("s: mean ± std (lower edge ≤ 0 drawn at the axis)"));
    }
}
