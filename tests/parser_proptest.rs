//! Issue 12: random argument vectors built from the real flag names and random values, fed to
//! the command-line parser and the validators in-process, never panic (proptest fails the test on
//! a panic). Whatever parses is then checked by the same functions `samlab` calls first.

use clap::{Parser, Subcommand};
use proptest::prelude::*;
use samlab::cli;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: C,
}

#[derive(Subcommand)]
enum C {
    Toy(cli::toy::Args),
    Sharpness(cli::sharpness::Args),
    Train(cli::train::Args),
    Converge(cli::converge::Args),
    Bound(cli::bound::Args),
}

const HEADS: [&[&str]; 9] = [
    &["toy", "fig1"],
    &["toy", "fig2"],
    &["sharpness"],
    &["train"],
    &["converge", "theorem2"],
    &["converge", "quadratic-floor"],
    &["bound", "sam"],
    &["bound", "kl-inverse"],
    &["bound", "kl-gauss"],
];

const FLAGS: [&str; 40] = [
    "--eta",
    "--rho",
    "--iterations",
    "--start",
    "--optimizer",
    "--json",
    "--objective",
    "--at",
    "--matrix",
    "--linear",
    "--lr",
    "--epochs",
    "--seed",
    "--batch-size",
    "--train-size",
    "--m-sharpness",
    "--beta1",
    "--beta2",
    "--adam-eps",
    "--sam-eps",
    "--asam-eta",
    "--out",
    "--sigma",
    "--eta0",
    "--rho0",
    "--seeds",
    "--t-min",
    "--t-max",
    "--grid-points",
    "--confidence",
    "--lambda",
    "--steps",
    "--decay",
    "--d",
    "--n",
    "--delta",
    "--theta-norm",
    "--q",
    "--c",
    "--mu-dist2",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|v| v.to_string()),
        any::<i64>().prop_map(|v| v.to_string()),
        any::<u64>().prop_map(|v| v.to_string()),
        prop::sample::select(vec![
            "NaN",
            "inf",
            "-inf",
            "",
            "1e400",
            "1e-400",
            "0",
            "-0",
            "1,2",
            "1,x",
            ",",
            ";",
            "1,0;0,1",
            "sam",
            "adam",
            "usam",
            "asam",
            "quadratic",
            "rosenbrock",
            "fig1",
            "/",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Parsing and validating never panics, whatever the flags and values.
    #[test]
    fn parser_and_validators_never_panic(
        head in 0usize..HEADS.len(),
        pairs in prop::collection::vec((0usize..FLAGS.len(), value(), any::<bool>()), 0..8),
    ) {
        let mut args: Vec<String> = vec!["samlab".into()];
        args.extend(HEADS[head].iter().map(|s| s.to_string()));
        for (f, v, joined) in pairs {
            if joined {
                args.push(format!("{}={v}", FLAGS[f]));
            } else {
                args.push(FLAGS[f].into());
                args.push(v);
            }
        }
        if let Ok(parsed) = Cli::try_parse_from(&args) {
            match parsed.command {
                C::Train(a) => {
                    let _ = cli::train::config(&a);
                }
                C::Converge(a) => {
                    if let cli::converge::ConvergeCommand::Theorem2(t) = a.command {
                        let _ = cli::converge::config(&t);
                    }
                }
                C::Toy(a) => {
                    if let Some(s) = &a.start {
                        let _ = cli::parse_vector(s, "start");
                    }
                }
                C::Sharpness(a) => {
                    let _ = cli::parse_vector(&a.at, "at");
                    if let Some(m) = &a.matrix {
                        let _ = cli::sharpness::parse_matrix(m);
                    }
                }
                C::Bound(_) => {}
            }
        }
    }
}
