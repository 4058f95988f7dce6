//! Runs the Theorem 2 experiment with its defaults and prints the report as JSON, plus the
//! wall-clock time on stderr: `cargo run --release -p sam-convergence --example theorem2`.
use sam_convergence::{theorem2_report, Theorem2Config};

fn main() {
    let start = std::time::Instant::now();
    let rep = theorem2_report(&Theorem2Config::default()).expect("default run");
    eprintln!("elapsed: {:.2} s", start.elapsed().as_secs_f64());
    println!("{}", serde_json::to_string_pretty(&rep).expect("serialise"));
}
