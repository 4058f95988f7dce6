//! The PAC-Bayes report's sections split between two experiments: `sam_report::pacbayes` fills
//! all but `pacbayes-mnist`, which the MNIST experiment fills (that the committed report matches
//! the committed results is `tests/reports.rs`).

use sam_report::pacbayes::{sections, REPORT};
use samlab::experiments::pacbayes::{Results, NAME};
use samlab::registry::Paths;
use std::path::Path;

fn repo() -> Paths {
    Paths::under(Path::new(env!("CARGO_MANIFEST_DIR")))
}

#[test]
fn pacbayes_sections_leave_the_mnist_section_to_the_mnist_experiment() {
    let r = Results::read(&repo().results.join(NAME)).unwrap();
    let sections = sections(&r);
    assert!(!sections.is_empty());
    assert!(
        sections.iter().all(|(name, _)| *name != "pacbayes-mnist"),
        "pacbayes-mnist belongs to the MNIST experiment"
    );
}

#[test]
fn pacbayes_report_keeps_the_mnist_placeholder_section() {
    let md = std::fs::read_to_string(repo().reports.join(REPORT)).unwrap();
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
