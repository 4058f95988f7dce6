//! The committed PAC-Bayes report agrees with the committed results: regenerating the sections
//! that `pipeline::pacbayes::sections` produces from `results/pacbayes/` must give exactly the
//! text in `notebooks-md/04-pac-bayes.md`. The `pacbayes-mnist` section is not produced here (the
//! MNIST pipeline fills it) and is left alone.

use samlab::pipeline::{self, Paths};
use std::path::Path;

fn repo() -> Paths {
    Paths::under(Path::new(env!("CARGO_MANIFEST_DIR")))
}

#[test]
fn pacbayes_report_matches_committed_results() {
    let p = repo();
    let sections = pipeline::pacbayes::sections(&p).unwrap();
    assert!(!sections.is_empty());
    assert!(
        sections.iter().all(|(name, _)| *name != "pacbayes-mnist"),
        "pacbayes-mnist belongs to the MNIST pipeline"
    );
    let path = p.reports.join(pipeline::pacbayes::REPORT);
    let md = std::fs::read_to_string(&path).unwrap();
    let regenerated = sam_report::fill(&md, &sections).unwrap();
    assert!(
        regenerated == md,
        "{} disagrees with results/pacbayes/: run `cargo run --release --bin figures -- --only pacbayes` and commit",
        pipeline::pacbayes::REPORT
    );
}

#[test]
fn pacbayes_report_keeps_the_mnist_placeholder_section() {
    let md = std::fs::read_to_string(repo().reports.join(pipeline::pacbayes::REPORT)).unwrap();
    assert!(md.contains("<!-- BEGIN GENERATED pacbayes-mnist -->"));
    assert!(md.contains("<!-- END GENERATED pacbayes-mnist -->"));
}

#[test]
fn committed_pacbayes_results_are_not_a_quick_run() {
    let meta: sam_results::Meta =
        sam_results::read_json(&repo().results.join("pacbayes/meta.json")).unwrap();
    assert_eq!(meta.experiment, "pacbayes");
    assert!(!meta.quick, "results/pacbayes comes from a --quick run");
}

/// The committed results are for the review's network: d = 784·500+500 + 500·300+300 + 300·10+10.
#[test]
fn committed_pacbayes_results_are_for_the_review_network() {
    let meta: sam_results::Meta =
        sam_results::read_json(&repo().results.join("pacbayes/meta.json")).unwrap();
    assert_eq!(meta.config["d_mnist"], 545_810);
    // python3 -c "import math; print(math.sqrt(500*785/2352 + 300*501/1500 + 10*301/900))"
    // 16.444564334305873
    let norm = meta.config["theta_norm"].as_f64().unwrap();
    assert!(
        (norm / 16.444_564_334_305_873 - 1.0).abs() < 1e-12,
        "{norm}"
    );
}
