//! The committed reports agree with the committed results: regenerating every generated section
//! from `results/` must give exactly the text in `notebooks-md/`. Also checks that the CLI defaults
//! are the settings the committed experiments selected.

use samlab::pipeline::{self, Paths};
use std::path::Path;

fn repo() -> Paths {
    Paths::under(Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn assert_report_matches(report: &str, sections: Vec<(&str, String)>) {
    let path = repo().reports.join(report);
    let md = std::fs::read_to_string(&path).unwrap();
    let regenerated = sam_report::fill(&md, &sections).unwrap();
    assert!(
        regenerated == md,
        "{report} disagrees with results/: run `cargo run --release --bin figures` and commit"
    );
}

#[test]
fn toy_report_matches_committed_results() {
    let p = repo();
    let mut sections = pipeline::toy::fig1_sections(&p).unwrap();
    sections.extend(pipeline::toy::fig2_sections(&p).unwrap());
    assert_report_matches(pipeline::toy::REPORT, sections);
}

#[test]
fn toy_cli_defaults_are_the_committed_selections() {
    let p = repo();
    let show: pipeline::toy::ToyJson =
        sam_results::read_json(&p.results.join("fig1/showcase.json")).unwrap();
    assert_eq!(show.settings, pipeline::toy::fig1_defaults());
    let rep: samlab::experiments::toy::fig2::Reproduction =
        sam_results::read_json(&p.results.join("fig2/reproduction.json")).unwrap();
    let d = pipeline::toy::fig2_defaults();
    assert_eq!((d.start.clone(), d.rho), (rep.start, rep.rho));
    // section 2.3.1 of the review fixes these two: η = 0.1, 1000 iterations
    assert_eq!((d.eta, d.iterations), (0.1, 1000));
}

#[test]
fn committed_results_are_not_quick_runs() {
    for exp in ["fig1", "fig2"] {
        let meta: sam_results::Meta =
            sam_results::read_json(&repo().results.join(exp).join("meta.json")).unwrap();
        assert!(!meta.quick, "results/{exp} comes from a --quick run");
    }
}

#[test]
fn sharpness_report_matches_committed_results() {
    assert_report_matches(
        pipeline::sharpness::REPORT,
        pipeline::sharpness::sections(&repo()).unwrap(),
    );
    let meta: sam_results::Meta =
        sam_results::read_json(&repo().results.join("sharpness/meta.json")).unwrap();
    assert!(!meta.quick);
}

#[test]
fn mnist_reports_match_committed_results() {
    assert_report_matches(
        pipeline::mnist::REPORT,
        pipeline::mnist::sections(&repo()).unwrap(),
    );
    assert_report_matches(
        pipeline::mnist::PACBAYES_REPORT,
        pipeline::mnist::pacbayes_sections(&repo()).unwrap(),
    );
    let meta: sam_results::Meta =
        sam_results::read_json(&repo().results.join("mnist/meta.json")).unwrap();
    assert!(!meta.quick, "results/mnist comes from a --quick run");
}
