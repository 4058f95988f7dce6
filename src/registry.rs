//! The registry the `figures` binary walks: every experiment once, in the order they run.
//!
//! An entry joins the three one-way steps of an experiment: `run` (its `sam-experiments` module:
//! config → result rows, written under `results/<name>/`), `draw` (its `sam-figures` functions:
//! rows → SVG) and `sections` (its `sam-report` functions: rows → the generated parts of its
//! report). `draw` and `sections` only read result files, so a test can regenerate every report
//! from the committed results and compare.

use anyhow::Result;
use sam_report::Section;
use std::path::{Path, PathBuf};

/// Where a run reads and writes.
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
    /// let p = samlab::registry::Paths::under(std::path::Path::new("/tmp/x"));
    /// assert!(p.results.ends_with("results"));
    /// ```
    pub fn under(root: &Path) -> Self {
        Self {
            results: root.join("results"),
            figures: root.join("figures"),
            reports: root.join("notebooks-md"),
        }
    }

    /// `results/<experiment>/`.
    pub fn results_of(&self, experiment: &str) -> PathBuf {
        self.results.join(experiment)
    }
}

/// What a run needs besides the paths (the experiments' own run context).
pub use sam_experiments::RunContext as Context;

/// Generated sections grouped by the report file they go into.
pub type ReportSections = Vec<(&'static str, Vec<Section>)>;

/// One experiment.
pub struct Experiment {
    /// Its name (the folder under `results/`, and the `--only` name).
    pub name: &'static str,
    /// Other `--only` names that select it.
    pub aliases: &'static [&'static str],
    /// Runs it with the paper's config (or the quick one) and writes `results/<name>/`.
    pub run: fn(&Paths, &Context) -> Result<()>,
    /// Draws its figures from `results/`.
    pub draw: fn(&Paths) -> Result<()>,
    /// Its generated report sections from `results/`, grouped by report file.
    pub sections: fn(&Paths) -> Result<ReportSections>,
    /// Whether its training runs go through the context's trainer as sweep trials (so that
    /// `figures --no-run` can compute it from trials run elsewhere).
    pub trials: bool,
}

impl Experiment {
    /// Whether `--only NAME` selects this experiment.
    pub fn answers_to(&self, name: &str) -> bool {
        self.name == name || self.aliases.contains(&name)
    }

    /// Draws the figures and fills the report sections from `results/`.
    /// A report is filled in place when `paths.reports` already holds it, else from its template
    /// in `templates` (the repository's `notebooks-md/`), and written atomically: a run writes
    /// only the reports of the experiments it ran.
    pub fn present(&self, paths: &Paths, templates: &Path) -> Result<()> {
        (self.draw)(paths)?;
        for (report, sections) in (self.sections)(paths)? {
            let target = paths.reports.join(report);
            let source = if target.exists() {
                target.clone()
            } else {
                templates.join(report)
            };
            update_report(&source, &target, &sections)?;
        }
        Ok(())
    }
}

/// Every experiment, in the order `figures` runs them.
pub fn registry() -> &'static [Experiment] {
    &REGISTRY
}

static REGISTRY: [Experiment; 10] = [
    Experiment {
        name: "fig1",
        aliases: &[],
        run: run::<sam_experiments::fig1::Study>,
        draw: toy::draw_fig1,
        sections: toy::fig1_sections,
        trials: false,
    },
    Experiment {
        name: "fig2",
        aliases: &[],
        run: run::<sam_experiments::fig2::Study>,
        draw: toy::draw_fig2,
        sections: toy::fig2_sections,
        trials: false,
    },
    Experiment {
        name: "sharpness",
        aliases: &[],
        run: run::<sam_experiments::sharpness::Study>,
        draw: sharpness::draw,
        sections: sharpness::sections,
        trials: false,
    },
    Experiment {
        name: "convergence",
        aliases: &[],
        run: run::<sam_experiments::convergence::Study>,
        draw: convergence::draw,
        sections: convergence::sections,
        trials: false,
    },
    Experiment {
        name: "pacbayes",
        aliases: &[],
        run: run::<sam_experiments::pacbayes::Study>,
        draw: pacbayes::draw,
        sections: pacbayes::sections,
        trials: false,
    },
    Experiment {
        name: "mnist",
        aliases: &["fig3", "fig4", "fig5"],
        run: run::<sam_experiments::mnist::Study>,
        draw: mnist::draw,
        sections: mnist::sections,
        trials: true,
    },
    Experiment {
        name: "mnist-drift",
        aliases: &[],
        run: run::<sam_experiments::mnist::drift::Study>,
        draw: mnist::draw_drift,
        sections: mnist::drift_sections,
        trials: false,
    },
    Experiment {
        name: "diagnet",
        aliases: &[],
        run: run::<sam_experiments::diagnet::Study>,
        draw: diagnet::draw,
        sections: diagnet::sections,
        trials: false,
    },
    Experiment {
        name: "mnist-msharp",
        aliases: &[],
        run: run::<sam_experiments::mnist::msharp::Study>,
        draw: mnist::draw_msharp,
        sections: mnist::msharp_sections,
        trials: true,
    },
    Experiment {
        name: "mnist-noise",
        aliases: &[],
        run: run::<sam_experiments::mnist::noise::Study>,
        draw: mnist::draw_noise,
        sections: mnist::noise_sections,
        trials: true,
    },
];

/// Runs experiment `E` with the paper's config (or the quick one) and writes its results.
fn run<E: sam_experiments::Experiment>(p: &Paths, c: &Context) -> Result<()> {
    let r = E::run(&E::config(c.quick), c)?;
    E::write(&r, &p.results_of(E::NAME))?;
    Ok(())
}

/// Reads experiment `E`'s results.
fn read<E: sam_experiments::Experiment>(p: &Paths) -> Result<E::Results> {
    Ok(E::read(&p.results_of(E::NAME))?)
}

/// Fills the generated sections of the report `source` and writes it to `target` (atomically;
/// not at all when nothing changed in place).
pub fn update_report(source: &Path, target: &Path, sections: &[Section]) -> Result<()> {
    let md = std::fs::read_to_string(source)
        .map_err(|e| anyhow::anyhow!("cannot read report {}: {e}", source.display()))?;
    let filled = sam_report::fill(&md, sections)
        .map_err(|e| anyhow::anyhow!("report {}: {e}", source.display()))?;
    if filled != md || source != target {
        sam_results::write_atomic(target, filled.as_bytes())?;
    }
    Ok(())
}

/// Figures 1 and 2: `sam_experiments::toy`, `sam_figures::toy`, `sam_report::toy`.
mod toy {
    use super::{read, Paths, ReportSections, Result};
    use sam_experiments::toy::{fig1, fig2};

    pub fn draw_fig1(p: &Paths) -> Result<()> {
        let r = read::<fig1::Study>(p)?;
        sam_figures::toy::fig1_trajectories(
            &p.figures.join("fig1_trajectories.svg"),
            &r.trace,
            &r.landscape,
            &r.showcase.settings,
        )?;
        sam_figures::toy::fig1_outcomes(&p.figures.join("fig1_outcomes.svg"), &r.summary)?;
        Ok(())
    }

    pub fn fig1_sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<fig1::Study>(p)?;
        Ok(vec![(
            sam_report::toy::REPORT,
            sam_report::toy::fig1_sections(&r),
        )])
    }

    pub fn draw_fig2(p: &Paths) -> Result<()> {
        let r = read::<fig2::Study>(p)?;
        sam_figures::toy::fig2_contours(
            &p.figures.join("fig2_contours.svg"),
            &r.landscape,
            &r.traces,
            &r.reproduction,
        )?;
        sam_figures::toy::fig2_sensitivity(
            &p.figures.join("fig2_sensitivity.svg"),
            &r.sensitivity,
            &r.reproduction,
        )?;
        Ok(())
    }

    pub fn fig2_sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<fig2::Study>(p)?;
        Ok(vec![(
            sam_report::toy::REPORT,
            sam_report::toy::fig2_sections(&r, &r.cfg),
        )])
    }
}

/// Sharpness estimators against the exact κ_ρ: `sam_experiments::sharpness`,
/// `sam_figures::sharpness`, `sam_report::sharpness`.
mod sharpness {
    use super::{read, Paths, ReportSections, Result};
    use sam_experiments::sharpness::Study;

    pub fn draw(p: &Paths) -> Result<()> {
        let r = read::<Study>(p)?;
        let fig = |name: &str| p.figures.join(name);
        sam_figures::sharpness::sharpness_errors_a(&fig("sharpness_errors_a.svg"), &r.sweep)?;
        sam_figures::sharpness::sharpness_errors_b(&fig("sharpness_errors_b.svg"), &r.sweep)?;
        sam_figures::sharpness::sharpness_minima(&fig("sharpness_minima.svg"), &r.sweep)?;
        Ok(())
    }

    pub fn sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<Study>(p)?;
        Ok(vec![(
            sam_report::sharpness::REPORT,
            sam_report::sharpness::sections(&r),
        )])
    }
}

/// Theorem 2, its T = 1 counterexample and the constant-ρ floor:
/// `sam_experiments::convergence`, `sam_figures::convergence`, `sam_report::convergence`.
mod convergence {
    use super::{read, Paths, ReportSections, Result};
    use sam_experiments::convergence::Study;

    pub fn draw(p: &Paths) -> Result<()> {
        let r = read::<Study>(p)?;
        let fig = |name: &str| p.figures.join(name);
        sam_figures::convergence::convergence_theorem2(&fig("convergence_theorem2.svg"), &r)?;
        sam_figures::convergence::convergence_floor(&fig("convergence_floor.svg"), &r)?;
        Ok(())
    }

    pub fn sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<Study>(p)?;
        Ok(vec![(
            sam_report::convergence::REPORT,
            sam_report::convergence::sections(&r),
        )])
    }
}

/// Theorem 1, Lemma 1 and the kl-inverse in closed form: `sam_experiments::pacbayes`,
/// `sam_figures::pacbayes`, `sam_report::pacbayes`.
mod pacbayes {
    use super::{read, Paths, ReportSections, Result};
    use sam_experiments::pacbayes::Study;

    pub fn draw(p: &Paths) -> Result<()> {
        let r = read::<Study>(p)?;
        sam_figures::pacbayes::pacbayes_complexity_vs_n(
            &p.figures.join("pacbayes_complexity_vs_n.svg"),
            &r.cfg,
            &r.complexity,
            &r.lemma1,
        )?;
        Ok(())
    }

    pub fn sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<Study>(p)?;
        Ok(vec![(
            sam_report::pacbayes::REPORT,
            sam_report::pacbayes::sections(&r),
        )])
    }
}

/// Figures 3–5, the sweep, the analysis of the best networks and their certificates:
/// `sam_experiments::mnist`, `sam_figures::mnist`, `sam_report::mnist`.
mod mnist {
    use super::{read, Paths, ReportSections, Result};
    use sam_experiments::mnist::{drift, msharp, noise, Study};

    pub fn draw(p: &Paths) -> Result<()> {
        let r = read::<Study>(p)?;
        let fig = |name: &str| p.figures.join(name);
        let (s, c, st) = (&r.summary, &r.curves, &r.epoch_stats);
        sam_figures::mnist::fig3_train_loss(&fig("fig3_train_loss.svg"), s, c, st)?;
        sam_figures::mnist::fig4_test_loss(&fig("fig4_test_loss.svg"), s, c, st)?;
        sam_figures::mnist::fig5_gap(&fig("fig5_gap.svg"), s, c, st)?;
        sam_figures::mnist::mnist_sweep(&fig("mnist_sweep.svg"), &r.sweep)?;
        Ok(())
    }

    pub fn draw_drift(p: &Paths) -> Result<()> {
        let r = read::<drift::Study>(p)?;
        sam_figures::mnist::mnist_drift(&p.figures.join("mnist_drift.svg"), &r.pairs, &r.trace)?;
        Ok(())
    }

    pub fn draw_noise(p: &Paths) -> Result<()> {
        let r = read::<noise::Study>(p)?;
        let fig = |name: &str| p.figures.join(name);
        sam_figures::noise::noise_memorization(&fig("noise_memorization.svg"), &r.curves)?;
        for m in ["sam", "1-sam"] {
            sam_figures::noise::noise_heatmap(&fig(&format!("noise_heatmap_{m}.svg")), &r.runs, m)?;
        }
        Ok(())
    }

    pub fn noise_sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<noise::Study>(p)?;
        Ok(vec![(
            sam_report::noise::REPORT,
            sam_report::noise::sections(&r),
        )])
    }

    pub fn draw_msharp(p: &Paths) -> Result<()> {
        let r = read::<msharp::Study>(p)?;
        sam_figures::msharp::msharp_m(&p.figures.join("msharp_m.svg"), &r.summary, &r.runs)?;
        Ok(())
    }

    pub fn msharp_sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<msharp::Study>(p)?;
        Ok(vec![(
            sam_report::diagnet::REPORT,
            sam_report::diagnet::msharp_sections(&r),
        )])
    }

    pub fn drift_sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<drift::Study>(p)?;
        Ok(vec![(
            sam_report::mnist::REPORT,
            sam_report::mnist::drift_sections(&r),
        )])
    }

    pub fn sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<Study>(p)?;
        let bench_path = p
            .results_of(sam_experiments::mnist::NAME)
            .join("bench.json");
        let bench: Option<serde_json::Value> = if bench_path.exists() {
            Some(sam_results::read_json(&bench_path)?)
        } else {
            None
        };
        let mut main = sam_report::mnist::sections(&r)?;
        main.extend(sam_report::mnist::speed_section(bench.as_ref()));
        Ok(vec![
            (sam_report::mnist::REPORT, main),
            (
                sam_report::pacbayes::REPORT,
                sam_report::mnist::pacbayes_sections(&r)?,
            ),
        ])
    }
}

/// m-sharpness on the diagonal linear network: `sam_experiments::diagnet`,
/// `sam_figures::diagnet`, `sam_report::diagnet`.
mod diagnet {
    use super::{read, Paths, ReportSections, Result};
    use sam_experiments::diagnet::Study;

    pub fn draw(p: &Paths) -> Result<()> {
        let r = read::<Study>(p)?;
        sam_figures::diagnet::diagnet_rho(
            &p.figures.join("diagnet_rho.svg"),
            &r.summary,
            &r.verdicts,
        )?;
        Ok(())
    }

    pub fn sections(p: &Paths) -> Result<ReportSections> {
        let r = read::<Study>(p)?;
        Ok(vec![(
            sam_report::diagnet::REPORT,
            sam_report::diagnet::sections(&r),
        )])
    }
}
