//! Figures 1 and 2: GD vs SAM on the toy landscapes (report `01-toy-landscapes.md`).

use super::Paths;
use anyhow::{Context, Result};
use sam_experiments::toy::{fig1, fig2, lambda_max, run_pair, run_pair_with, ToySettings};
use sam_figures::{render, render_heatmap, Heatmap, LineChart, Series, Style};
use sam_objectives::{AnyObjective, Fig1, Fig2, Hessian, Objective};
use sam_report::{num, table};
use sam_results::{read_csv, read_json, write_csv, write_json, Meta};
use serde::{Deserialize, Serialize};

/// The report file.
pub const REPORT: &str = "01-toy-landscapes.md";

/// `samlab toy fig1` defaults: the showcase cell picked by [`fig1::showcase`] from the committed
/// grid (`results/fig1/showcase.json`); a test checks that the two agree.
pub fn fig1_defaults() -> ToySettings {
    ToySettings {
        eta: FIG1_ETA,
        rho: 0.05,
        iterations: 88_914,
        start: vec![-0.4877],
    }
}
const FIG1_ETA: f64 = 5.623_413_251_903_491e-5;

/// `samlab toy fig2` defaults: η, iterations as in the review; the start and ρ found by
/// [`fig2::find_reproduction`] (`results/fig2/reproduction.json`); a test checks both agree.
pub fn fig2_defaults() -> ToySettings {
    ToySettings {
        eta: 0.1,
        rho: 0.1016,
        iterations: 1000,
        start: vec![0.0622585, 0.5],
    }
}

/// The end of one optimizer's run, as in the `toy` JSON contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEnd {
    /// The last iterate.
    #[serde(rename = "final")]
    pub final_point: Vec<f64>,
    /// Top Hessian eigenvalue there.
    pub lambda_max: f64,
    /// κ_ρ there (exact maximum over the ρ-ball, Definition 1) at the run's ρ.
    pub sharpness: f64,
    /// f there.
    pub loss: f64,
}

/// `samlab toy ... --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToyJson {
    /// GD's end.
    pub gd: RunEnd,
    /// The SAM-family member's end (SAM unless `--optimizer` names another).
    pub sam: RunEnd,
    /// Which SAM-family member ran as `sam` (`usam`, `asam`); absent for SAM itself, the
    /// default, so the committed Figure 1-2 results keep their shape.
    #[serde(default = "default_optimizer", skip_serializing_if = "is_sam")]
    pub optimizer: String,
    /// The settings.
    pub settings: ToySettings,
}

fn default_optimizer() -> String {
    "sam".into()
}

fn is_sam(name: &str) -> bool {
    name == "sam"
}

fn end(f: &AnyObjective, x: Vec<f64>, rho: f64) -> Result<RunEnd> {
    let sharpness = crate::sharpness_exact(f, &x, rho)?;
    Ok(RunEnd {
        lambda_max: lambda_max(f, &x),
        sharpness,
        loss: f.value(&x),
        final_point: x,
    })
}

/// Runs GD and SAM with `s` on `f` and summarises both ends.
pub fn toy_json(f: &AnyObjective, s: &ToySettings, optimizer: &str) -> Result<ToyJson> {
    let method = sam_experiments::toy::method(optimizer, s)?;
    let (gd, sam) = run_pair_with(f, s, method)?;
    let last = |t: Vec<Vec<f64>>| t.into_iter().last().expect("a run has at least its start");
    Ok(ToyJson {
        gd: end(f, last(gd), s.rho)?,
        sam: end(f, last(sam), s.rho)?,
        optimizer: method.name().into(),
        settings: s.clone(),
    })
}

/// One row of the Figure 1 showcase trajectories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig1Trace {
    /// "gd" or "sam".
    pub optimizer: String,
    /// Step.
    pub step: usize,
    /// x.
    pub x: f64,
    /// f(x).
    pub loss: f64,
}

/// f on a grid for drawing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// x.
    pub x: f64,
    /// f(x).
    pub f: f64,
}

fn meta(experiment: &str, quick: bool, config: &impl Serialize) -> Result<Meta> {
    Ok(Meta {
        experiment: experiment.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        seed: None,
        quick,
        config: serde_json::to_value(config)?,
    })
}

/// Runs the Figure 1 study and writes `results/fig1/`.
pub fn run_fig1(paths: &Paths, quick: bool, progress: &(dyn Fn(u64, &str) + Sync)) -> Result<()> {
    let cfg = if quick {
        fig1::Config::quick()
    } else {
        fig1::Config::default()
    };
    let dir = paths.results.join("fig1");
    let cells = (cfg.etas.len() * cfg.rhos.len() * cfg.starts.len()) as u64;
    progress(cells, "fig1 grid");
    let rows = fig1::run_grid(&cfg, &|| progress(0, ""))?;
    let show = fig1::showcase(&rows).context("no grid cell where GD ends at the sharp minimum")?;
    let settings = ToySettings {
        eta: show.eta,
        rho: show.rho,
        iterations: show.iterations,
        start: vec![show.start],
    };
    let (gd, sam) = run_pair(&Fig1, &settings)?;
    let every = (settings.iterations / 2000).max(1);
    let mut trace = Vec::new();
    for (name, t) in [("gd", gd), ("sam", sam)] {
        let n = t.len();
        for (step, p) in t.into_iter().enumerate() {
            if step % every == 0 || step + 1 == n || step < 50 {
                trace.push(Fig1Trace {
                    optimizer: name.into(),
                    step,
                    x: p[0],
                    loss: Fig1.value(&p),
                });
            }
        }
    }
    let curve: Vec<Curve> = sam_experiments::linspace(-0.7, 1.5, 2201)
        .into_iter()
        .map(|x| Curve {
            x,
            f: Fig1.value(&[x]),
        })
        .collect();
    write_csv(&dir.join("grid.csv"), &rows)?;
    write_csv(&dir.join("summary.csv"), &fig1::summarize(&rows))?;
    write_csv(&dir.join("showcase_trace.csv"), &trace)?;
    write_csv(&dir.join("landscape.csv"), &curve)?;
    write_json(
        &dir.join("showcase.json"),
        &toy_json(&AnyObjective::Fig1(Fig1), &settings, "sam")?,
    )?;
    write_json(&dir.join("facts.json"), &Fig1Facts::compute())?;
    write_json(&dir.join("meta.json"), &meta("fig1", quick, &cfg)?)?;
    Ok(())
}

/// Closed-form facts about Figure 1's function used in the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fig1Facts {
    /// f''(0) = 2/ε.
    pub curvature_sharp: f64,
    /// f''(1).
    pub curvature_flat: f64,
    /// GD's stability bound at the sharp minimum, 2/f''(0).
    pub eta_stable_sharp: f64,
    /// The barrier top between the minima.
    pub barrier_x: f64,
    /// f at the barrier top.
    pub barrier_f: f64,
}

impl Fig1Facts {
    fn compute() -> Self {
        let c0 = Fig1.hessian(&[0.0])[(0, 0)];
        let xb = fig1::barrier_top();
        Self {
            curvature_sharp: c0,
            curvature_flat: Fig1.hessian(&[1.0])[(0, 0)],
            eta_stable_sharp: 2.0 / c0,
            barrier_x: xb,
            barrier_f: Fig1.value(&[xb]),
        }
    }
}

/// Draws Figure 1 from `results/fig1/`.
pub fn draw_fig1(paths: &Paths) -> Result<()> {
    let dir = paths.results.join("fig1");
    let trace: Vec<Fig1Trace> = read_csv(&dir.join("showcase_trace.csv"))?;
    let curve: Vec<Curve> = read_csv(&dir.join("landscape.csv"))?;
    let show: ToyJson = read_json(&dir.join("showcase.json"))?;
    let pick = |o: &str| -> Vec<&Fig1Trace> { trace.iter().filter(|r| r.optimizer == o).collect() };
    let (gd, sam) = (pick("gd"), pick("sam"));
    let s = &show.settings;
    let title = format!(
        "Figure 1: f(x)=x²(x−1)²/(x²+1e−4), η={}, ρ={}, x₀={}",
        num(s.eta, 3),
        s.rho,
        s.start[0]
    );
    let landscape = LineChart::new(&title, "x", "f(x)")
        .series(Series::line("f", curve.iter().map(|c| (c.x, c.f)).collect()).colored(7))
        .series(
            Series::points("GD iterates", gd.iter().map(|r| (r.x, r.loss)).collect()).colored(0),
        )
        .series(
            Series::points("SAM iterates", sam.iter().map(|r| (r.x, r.loss)).collect()).colored(1),
        );
    let paths_chart = LineChart::new("Position vs step", "step (log scale)", "x_t")
        .log_x()
        .series(
            Series::line(
                "GD",
                gd.iter()
                    .filter(|r| r.step > 0)
                    .map(|r| (r.step as f64, r.x))
                    .collect(),
            )
            .colored(0),
        )
        .series(
            Series::line(
                "SAM",
                sam.iter()
                    .filter(|r| r.step > 0)
                    .map(|r| (r.step as f64, r.x))
                    .collect(),
            )
            .colored(1),
        )
        .series(
            Series::line("x = ρ", vec![(1.0, s.rho), (s.iterations as f64, s.rho)])
                .styled(Style::Dashed)
                .colored(7),
        );
    render(
        &paths.figures.join("fig1_trajectories.svg"),
        (1300, 480),
        &[landscape, paths_chart],
    )?;

    let summary: Vec<fig1::SummaryRow> = read_csv(&dir.join("summary.csv"))?;
    let mut etas: Vec<f64> = summary.iter().map(|r| r.eta).collect();
    etas.dedup();
    let mut rhos: Vec<f64> = summary.iter().map(|r| r.rho).collect();
    rhos.sort_by(f64::total_cmp);
    rhos.dedup();
    let idx = |v: &[f64], x: f64| v.iter().position(|&a| a == x).unwrap_or(0) as f64;
    let cells = summary
        .iter()
        .map(|r| {
            (
                idx(&etas, r.eta),
                idx(&rhos, r.rho),
                r.sam_shifted_rho as f64 / r.starts as f64,
            )
        })
        .collect();
    let notes = summary
        .iter()
        .map(|r| {
            (
                idx(&etas, r.eta),
                idx(&rhos, r.rho),
                format!(
                    "GD s{} f{} | SAM f{} s{} ρ{}",
                    r.gd_sharp, r.gd_flat, r.sam_flat, r.sam_sharp, r.sam_shifted_rho
                ),
            )
        })
        .collect();
    let map = Heatmap {
        title: format!(
            "Figure 1 outcomes over {} starts: GD at sharp (s) / flat (f); SAM at flat, sharp, x≈ρ",
            summary.first().map_or(0, |r| r.starts)
        ),
        x_label: "learning rate η (same for GD and SAM)".into(),
        y_label: "SAM radius ρ".into(),
        value_label: "SAM at x≈ρ (fraction)".into(),
        cells,
        cell: (1.0, 1.0),
        levels: 6,
        overlays: vec![],
        notes,
        x_ticks: Some(
            etas.iter()
                .enumerate()
                .map(|(i, e)| (i as f64, num(*e, 2)))
                .collect(),
        ),
        y_ticks: Some(
            rhos.iter()
                .enumerate()
                .map(|(i, r)| (i as f64, format!("{r}")))
                .collect(),
        ),
    };
    render_heatmap(&paths.figures.join("fig1_outcomes.svg"), (1500, 620), &map)?;
    Ok(())
}

/// The generated sections of the Figure 1 part of the report.
pub fn fig1_sections(paths: &Paths) -> Result<Vec<(&'static str, String)>> {
    let dir = paths.results.join("fig1");
    let summary: Vec<fig1::SummaryRow> = read_csv(&dir.join("summary.csv"))?;
    let show: ToyJson = read_json(&dir.join("showcase.json"))?;
    let facts: Fig1Facts = read_json(&dir.join("facts.json"))?;
    let rows: Vec<Vec<String>> = summary
        .iter()
        .map(|r| {
            vec![
                num(r.eta, 3),
                format!("{}", r.rho),
                r.iterations.to_string(),
                format!("{} / {} / {}", r.gd_sharp, r.gd_flat, r.gd_other),
                format!(
                    "{} / {} / {} / {}",
                    r.sam_sharp, r.sam_flat, r.sam_shifted_rho, r.sam_other
                ),
                r.claim_holds.to_string(),
            ]
        })
        .collect();
    let total_claim: usize = summary.iter().map(|r| r.claim_holds).sum();
    let cells: usize = summary.iter().map(|r| r.starts).sum();
    let grid = format!(
        "{}\nThe review's claim (GD ends at the sharp minimum and SAM at the flat one, same η, same start) holds in **{total_claim} of {cells}** (η, ρ, start) cells.\n",
        table(
            &["η", "ρ", "iterations", "GD sharp / flat / other", "SAM sharp / flat / x≈ρ / other", "claim holds"],
            &rows
        )
    );
    let facts_md = table(
        &["quantity", "value"],
        &[
            vec![
                "f''(0) (sharp minimum)".into(),
                num(facts.curvature_sharp, 6),
            ],
            vec!["f''(1) (flat minimum)".into(), num(facts.curvature_flat, 6)],
            vec![
                "GD stability bound at x = 0, 2/f''(0)".into(),
                num(facts.eta_stable_sharp, 4),
            ],
            vec!["barrier top x_peak".into(), num(facts.barrier_x, 4)],
            vec!["f(x_peak)".into(), num(facts.barrier_f, 4)],
        ],
    );
    Ok(vec![
        ("fig1-facts", facts_md),
        ("fig1-grid", grid),
        ("fig1-showcase", showcase_table(&show)),
    ])
}

fn showcase_table(j: &ToyJson) -> String {
    let s = &j.settings;
    let fmt_point = |p: &[f64]| p.iter().map(|v| num(*v, 6)).collect::<Vec<_>>().join(", ");
    let row = |name: &str, e: &RunEnd| {
        vec![
            name.to_string(),
            format!("({})", fmt_point(&e.final_point)),
            num(e.loss, 4),
            num(e.lambda_max, 4),
            num(e.sharpness, 4),
        ]
    };
    format!(
        "Settings: η = {}, ρ = {}, {} iterations, start ({}).\n\n{}",
        num(s.eta, 4),
        s.rho,
        s.iterations,
        fmt_point(&s.start),
        table(
            &["optimizer", "final point", "f", "λ_max", "κ_ρ (exact)"],
            &[row("GD", &j.gd), row("SAM", &j.sam)]
        )
    )
}

/// Runs the Figure 2 study and writes `results/fig2/`.
pub fn run_fig2(paths: &Paths, quick: bool, progress: &(dyn Fn(u64, &str) + Sync)) -> Result<()> {
    let cfg = if quick {
        fig2::Config::quick()
    } else {
        fig2::Config::default()
    };
    let dir = paths.results.join("fig2");
    progress(
        (cfg.grid_x.2 * cfg.grid_y.2) as u64,
        "fig2 start grid (ρ = 1e-5)",
    );
    let (summary, hits) = fig2::search_paper_setting(&cfg, &|| progress(0, ""));
    let rep = fig2::find_reproduction(&cfg)?;
    let sens = fig2::sensitivity(&cfg, &rep);
    let horizon = fig2::horizon(&cfg, &rep);
    let mut traces = fig2::traces(&cfg, "paper_rho", cfg.paper_rho, &rep.start)?;
    traces.extend(fig2::traces(&cfg, "reproducing_rho", rep.rho, &rep.start)?);
    let settings_paper = ToySettings {
        eta: cfg.eta,
        rho: cfg.paper_rho,
        iterations: cfg.iterations,
        start: rep.start.clone(),
    };
    let settings_rep = ToySettings {
        rho: rep.rho,
        ..settings_paper.clone()
    };
    write_json(&dir.join("grid_summary.json"), &summary)?;
    write_csv(&dir.join("grid_hits.csv"), &hits)?;
    write_json(&dir.join("reproduction.json"), &rep)?;
    write_csv(&dir.join("sensitivity.csv"), &sens)?;
    write_csv(&dir.join("horizon.csv"), &horizon)?;
    write_csv(&dir.join("traces.csv"), &traces)?;
    write_csv(
        &dir.join("landscape.csv"),
        &fig2::landscape((-0.6, 2.6), (-1.1, 1.1), 161),
    )?;
    write_json(
        &dir.join("paper_setting.json"),
        &toy_json(&AnyObjective::Fig2(Fig2), &settings_paper, "sam")?,
    )?;
    write_json(
        &dir.join("reproducing_setting.json"),
        &toy_json(&AnyObjective::Fig2(Fig2), &settings_rep, "sam")?,
    )?;
    write_json(&dir.join("meta.json"), &meta("fig2", quick, &cfg)?)?;
    Ok(())
}

/// Draws Figure 2 from `results/fig2/`.
pub fn draw_fig2(paths: &Paths) -> Result<()> {
    let dir = paths.results.join("fig2");
    let land: Vec<fig2::LandscapeRow> = read_csv(&dir.join("landscape.csv"))?;
    let traces: Vec<fig2::TraceRow> = read_csv(&dir.join("traces.csv"))?;
    let rep: fig2::Reproduction = read_json(&dir.join("reproduction.json"))?;
    let pick = |setting: &str, opt: &str| -> Vec<(f64, f64)> {
        traces
            .iter()
            .filter(|r| r.setting == setting && r.optimizer == opt)
            .map(|r| (r.x, r.y))
            .collect()
    };
    let n = (land.len() as f64).sqrt().round() as usize;
    let dx = (land[n].x - land[0].x).abs();
    let dy = (land[1].y - land[0].y).abs();
    let map = Heatmap {
        title: format!(
            "Figure 2: f=(x−1)²y², η=0.1, 1000 steps from ({}, {})",
            num(rep.start[0], 4),
            rep.start[1]
        ),
        x_label: "x".into(),
        y_label: "y".into(),
        value_label: "log10 f".into(),
        cells: land
            .iter()
            .map(|r| (r.x, r.y, (r.f + 1e-4).log10()))
            .collect(),
        cell: (dx, dy),
        levels: 12,
        overlays: vec![
            Series::line("minima y = 0", vec![(-0.6, 0.0), (2.6, 0.0)])
                .styled(Style::Dashed)
                .colored(7),
            Series::line("minima x = 1", vec![(1.0, -1.1), (1.0, 1.1)])
                .styled(Style::Dashed)
                .colored(7),
            Series::line("GD", pick("reproducing_rho", "gd")).colored(0),
            Series::line("SAM ρ = 1e-5 (paper)", pick("paper_rho", "sam"))
                .styled(Style::Dashed)
                .colored(4),
            Series::line(
                &format!("SAM ρ = {}", rep.rho),
                pick("reproducing_rho", "sam"),
            )
            .colored(1),
        ],
        notes: vec![],
        x_ticks: None,
        y_ticks: None,
    };
    render_heatmap(&paths.figures.join("fig2_contours.svg"), (1000, 700), &map)?;

    let sens: Vec<fig2::SensitivityRow> = read_csv(&dir.join("sensitivity.csv"))?;
    let sweep = |name: &str, gd: bool| -> Vec<(f64, f64)> {
        sens.iter()
            .filter(|r| r.sweep == name)
            .map(|r| {
                let x = if name == "rho" { r.rho } else { r.x0 };
                (x, if gd { r.lambda_gd } else { r.lambda_sam })
            })
            .collect()
    };
    let by_rho = LineChart::new(
        "λ_max at the end vs ρ (start fixed)",
        "ρ (log scale)",
        "λ_max (log scale)",
    )
    .log_x()
    .log_y()
    .series(Series::line("GD", sweep("rho", true)).colored(0))
    .series(
        Series::line("SAM", sweep("rho", false))
            .styled(Style::LinePoints)
            .colored(1),
    )
    .series(
        Series::line("review: 1.225", vec![(1e-5, 1.225), (1.0, 1.225)])
            .styled(Style::Dashed)
            .colored(2),
    )
    .series(
        Series::line("review: 0.016", vec![(1e-5, 0.016), (1.0, 0.016)])
            .styled(Style::Dashed)
            .colored(3),
    )
    .y_range(1e-4, 10.0);
    let by_start = LineChart::new(
        &format!("λ_max vs start x₀ (y₀ = {}, ρ = {})", rep.start[1], rep.rho),
        "x₀",
        "λ_max (log scale)",
    )
    .log_y()
    .series(Series::line("GD", sweep("start_x", true)).colored(0))
    .series(Series::line("SAM", sweep("start_x", false)).colored(1))
    .series(
        Series::points(
            "found start",
            vec![
                (rep.start[0], rep.lambda_gd),
                (rep.start[0], rep.lambda_sam),
            ],
        )
        .colored(7),
    );
    render(
        &paths.figures.join("fig2_sensitivity.svg"),
        (1300, 480),
        &[by_rho, by_start],
    )?;
    Ok(())
}

/// The generated sections of the Figure 2 part of the report.
pub fn fig2_sections(paths: &Paths) -> Result<Vec<(&'static str, String)>> {
    let dir = paths.results.join("fig2");
    let summary: fig2::GridSummary = read_json(&dir.join("grid_summary.json"))?;
    let hits: Vec<fig2::HitRow> = read_csv(&dir.join("grid_hits.csv"))?;
    let rep: fig2::Reproduction = read_json(&dir.join("reproduction.json"))?;
    let paper: ToyJson = read_json(&dir.join("paper_setting.json"))?;
    let repro: ToyJson = read_json(&dir.join("reproducing_setting.json"))?;
    let sens: Vec<fig2::SensitivityRow> = read_csv(&dir.join("sensitivity.csv"))?;
    let horizon: Vec<fig2::HorizonRow> = read_csv(&dir.join("horizon.csv"))?;
    let meta: Meta = read_json(&dir.join("meta.json"))?;
    let cfg: fig2::Config = serde_json::from_value(meta.config)?;
    let search = format!(
        "Starts tried: {} (a {}×{} grid over [{}, {}]×[{}, {}]); runs that diverged: {}; starts where GD alone ends within 5% of 1.225: {}; starts where **both** numbers are reproduced within 5%: **{}**. Median |λ_GD − λ_SAM| over the grid: {}; largest: {} (in the region where η = 0.1 is unstable for GD).\n{}",
        summary.starts,
        cfg.grid_x.2,
        cfg.grid_y.2,
        cfg.grid_x.0,
        cfg.grid_x.1,
        cfg.grid_y.0,
        cfg.grid_y.1,
        summary.diverged,
        summary.gd_hits,
        summary.hits,
        num(summary.median_abs_difference, 3),
        num(summary.max_abs_difference, 3),
        if hits.is_empty() {
            String::new()
        } else {
            format!(
                "\n{}",
                table(
                    &["x₀", "y₀", "λ_GD", "λ_SAM", "neighbours ±1e-3 still reproducing (of 4)", "ρ×0.5, ρ×2 still reproducing (of 2)"],
                    &hits
                        .iter()
                        .map(|h| vec![
                            num(h.x0, 4),
                            num(h.y0, 4),
                            num(h.lambda_gd, 4),
                            num(h.lambda_sam, 4),
                            h.neighbours_reproducing.to_string(),
                            h.rho_variants_reproducing.to_string()
                        ])
                        .collect::<Vec<_>>()
                )
            )
        }
    );
    // Elasticity of λ_SAM to ρ at the reproducing ρ, and the ρ interval within 5% of 0.016.
    let rho_rows: Vec<&fig2::SensitivityRow> = sens.iter().filter(|r| r.sweep == "rho").collect();
    let within: Vec<f64> = rho_rows
        .iter()
        .filter(|r| ((r.lambda_sam - 0.016) / 0.016).abs() <= 0.05)
        .map(|r| r.rho)
        .collect();
    let elasticity = rho_rows
        .windows(2)
        .find(|w| w[0].rho <= rep.rho && rep.rho <= w[1].rho)
        .map(|w| (w[1].lambda_sam.ln() - w[0].lambda_sam.ln()) / (w[1].rho.ln() - w[0].rho.ln()))
        .unwrap_or(f64::NAN);
    let end_row = |name: &str, j: &ToyJson, e: &RunEnd| {
        vec![
            name.to_string(),
            format!("{}", j.settings.rho),
            format!(
                "({}, {})",
                num(e.final_point[0], 5),
                num(e.final_point[1], 5)
            ),
            num(e.loss, 3),
            num(e.lambda_max, 4),
            num(e.sharpness, 4),
        ]
    };
    let ends = format!(
        "Start ({}, {}), η = 0.1, 1000 iterations; κ_ρ is evaluated at each run's own ρ.\n\n{}\nReview: λ_max(GD) = 1.225, λ_max(SAM) = 0.016. Reproduced with ρ = {}: λ_GD = {} ({:+.2}%), λ_SAM = {} ({:+.2}%).\n",
        num(rep.start[0], 6),
        rep.start[1],
        table(
            &["run", "ρ", "final point", "f", "λ_max", "κ_ρ (exact)"],
            &[
                end_row("GD", &paper, &paper.gd),
                end_row("SAM, paper ρ", &paper, &paper.sam),
                end_row("SAM, reproducing ρ", &repro, &repro.sam),
            ]
        ),
        rep.rho,
        num(rep.lambda_gd, 5),
        100.0 * (rep.lambda_gd / 1.225 - 1.0),
        num(rep.lambda_sam, 5),
        100.0 * (rep.lambda_sam / 0.016 - 1.0),
    );
    let sensitivity = format!(
        "Elasticity d ln λ_SAM / d ln ρ near ρ = {}: {}. On the 51-point log grid of ρ in [1e-5, 1], the points within 5% of 0.016: {}.\n\n{}",
        rep.rho,
        num(elasticity, 3),
        if within.is_empty() {
            "none".to_string()
        } else {
            within.iter().map(|r| num(*r, 4)).collect::<Vec<_>>().join(", ")
        },
        table(
            &["iterations", "λ_max GD", "λ_max SAM"],
            &horizon
                .iter()
                .map(|h| vec![h.iterations.to_string(), num(h.lambda_gd, 4), num(h.lambda_sam, 4)])
                .collect::<Vec<_>>()
        )
    );
    Ok(vec![
        ("fig2-search", search),
        ("fig2-ends", ends),
        ("fig2-sensitivity", sensitivity),
    ])
}
