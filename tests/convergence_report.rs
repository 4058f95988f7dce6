//! The committed `results/convergence/` come from a full (not `--quick`) run with the CLI's
//! default settings (that report 05 matches them is `tests/reports.rs`).

use samlab::experiments::convergence;
use samlab::registry::Paths;
use std::path::Path;

fn repo() -> Paths {
    Paths::under(Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn meta() -> sam_results::Meta {
    sam_results::read_json(&repo().results.join("convergence/meta.json")).unwrap()
}

#[test]
fn committed_convergence_results_are_a_full_run() {
    let meta = meta();
    assert_eq!(meta.experiment, "convergence");
    assert!(!meta.quick, "results/convergence comes from a --quick run");
    let cfg: convergence::Config = serde_json::from_value(meta.config).unwrap();
    assert_eq!(cfg, convergence::Config::full());
}

#[test]
fn committed_theorem2_run_is_the_cli_default() {
    // `samlab converge theorem2` without options runs Theorem2Config::default(): the committed
    // contract file is what that command prints.
    let cfg: convergence::Config = serde_json::from_value(meta().config).unwrap();
    assert_eq!(cfg.theorem2, sam_convergence::Theorem2Config::default());
    let contract: serde_json::Value =
        sam_results::read_json(&repo().results.join("convergence/theorem2.json")).unwrap();
    let keys: Vec<&String> = contract.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["rows", "slope"]);
}
