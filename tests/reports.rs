//! The committed reports agree with the committed results: regenerating every generated section
//! from `results/` must give exactly the text in `notebooks-md/`. Also checks that the CLI defaults
//! are the settings the committed experiments selected.

use samlab::experiments::toy::{fig1_defaults, fig2_defaults, ToyJson};
use samlab::registry::{registry, Paths};
use std::path::Path;

fn repo() -> Paths {
    Paths::under(Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Every experiment in the registry: its generated sections, regenerated from the committed
/// `results/`, are exactly the text of the committed reports.
#[test]
fn every_report_matches_committed_results() {
    let p = repo();
    let mut stale = Vec::new();
    for e in registry() {
        for (report, sections) in (e.sections)(&p).unwrap() {
            let md = std::fs::read_to_string(p.reports.join(report)).unwrap();
            if sam_report::fill(&md, &sections).unwrap() != md {
                stale.push(format!("{report} ({})", e.name));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "{} disagree with results/: run `cargo run --release --bin figures` and commit",
        stale.join(", ")
    );
}

#[test]
fn toy_cli_defaults_are_the_committed_selections() {
    let p = repo();
    let show: ToyJson = sam_results::read_json(&p.results.join("fig1/showcase.json")).unwrap();
    assert_eq!(show.settings, fig1_defaults());
    let rep: samlab::experiments::toy::fig2::Reproduction =
        sam_results::read_json(&p.results.join("fig2/reproduction.json")).unwrap();
    let d = fig2_defaults();
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
fn committed_sharpness_and_mnist_results_are_not_quick_runs() {
    for exp in [
        "sharpness",
        "mnist",
        "mnist-drift",
        "diagnet",
        "mnist-msharp",
        "mnist-noise",
    ] {
        let meta: sam_results::Meta =
            sam_results::read_json(&repo().results.join(exp).join("meta.json")).unwrap();
        assert!(!meta.quick, "results/{exp} comes from a --quick run");
    }
}
