//! # sam-report
//!
//! One job: put generated text into the hand-written reports in `notebooks-md/`. A report marks
//! each generated part with a pair of HTML comments,
//!
//! ```text
//! <!-- BEGIN GENERATED fig2-table -->
//! ...replaced on every run...
//! <!-- END GENERATED fig2-table -->
//! ```
//!
//! and [`fill`] replaces what is between them, leaving the prose alone. Because every generated
//! part is a function of `results/`, a test can regenerate a report in memory and fail when the
//! committed file differs ([`fill`] then compare).
//!
//! One module per report turns the result rows of its experiment into those sections:
//! [`toy`] (`01-toy-landscapes.md`), [`sharpness`] (`02`), [`mnist`] (`03`, and the
//! `pacbayes-mnist` section of `04`), [`pacbayes`] (`04`), [`convergence`] (`05`), [`diagnet`] (`06`). They format;
//! every verdict they print was computed by the experiment.
//!
//! ```
//! let md = "intro\n<!-- BEGIN GENERATED t -->\nold\n<!-- END GENERATED t -->\nend\n";
//! let out = sam_report::fill(md, &[("t", "new".to_string())]).unwrap();
//! assert_eq!(out, "intro\n<!-- BEGIN GENERATED t -->\nnew\n<!-- END GENERATED t -->\nend\n");
//! ```

pub mod convergence;
pub mod diagnet;
pub mod mnist;
pub mod noise;
pub mod pacbayes;
pub mod sharpness;
pub mod toy;

/// One generated section of a report: its marker name and its markdown.
pub type Section = (&'static str, String);

/// Errors while filling a report.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReportError {
    /// A section's markers are missing or out of order.
    #[error("report has no well-formed markers for section '{0}': add '<!-- BEGIN GENERATED {0} -->' and '<!-- END GENERATED {0} -->' lines")]
    Markers(String),
}

/// Replaces the content of each named section; every section must exist.
pub fn fill(markdown: &str, sections: &[(&str, String)]) -> Result<String, ReportError> {
    let mut out = markdown.to_string();
    for (name, body) in sections {
        let begin = format!("<!-- BEGIN GENERATED {name} -->");
        let end = format!("<!-- END GENERATED {name} -->");
        let b = out
            .find(&begin)
            .ok_or_else(|| ReportError::Markers(name.to_string()))?;
        let content_start = b + begin.len();
        let e = out[content_start..]
            .find(&end)
            .map(|i| i + content_start)
            .ok_or_else(|| ReportError::Markers(name.to_string()))?;
        let body = body.trim_end_matches('\n');
        out.replace_range(content_start..e, &format!("\n{body}\n"));
    }
    Ok(out)
}

/// A markdown table from a header and rows of cells.
///
/// ```
/// let t = sam_report::table(&["a", "b"], &[vec!["1".into(), "2".into()]]);
/// assert_eq!(t, "| a | b |\n|---|---|\n| 1 | 2 |\n");
/// ```
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for r in rows {
        s.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    s
}

pub use sam_results::num;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_markers_are_an_error() {
        assert_eq!(
            fill("no markers", &[("x", "y".into())]),
            Err(ReportError::Markers("x".into()))
        );
    }

    #[test]
    fn fill_is_idempotent() {
        let md = "<!-- BEGIN GENERATED a -->\n<!-- END GENERATED a -->\n";
        let once = fill(md, &[("a", "body\n".into())]).unwrap();
        let twice = fill(&once, &[("a", "body\n".into())]).unwrap();
        assert_eq!(once, twice);
    }
}
