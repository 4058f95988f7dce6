//! The `samlab` subcommands, one module each: clap arguments and a `run` function that prints
//! human-readable text or, with `--json`, the contract of DESIGN.md on stdout.

pub mod bound;
pub mod converge;
pub mod sharpness;
pub mod toy;
pub mod train;

use anyhow::{Context, Result};

/// Parses "1.5,-2" into numbers, naming the bad piece.
///
/// ```
/// assert_eq!(samlab::cli::parse_vector("1.5,-2", "at").unwrap(), vec![1.5, -2.0]);
/// assert!(samlab::cli::parse_vector("1,x", "at").is_err());
/// ```
pub fn parse_vector(s: &str, what: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(|p| {
            p.trim().parse::<f64>().with_context(|| {
                format!("{what}: '{p}' is not a number (write e.g. --{what} -1.5,2)")
            })
        })
        .collect()
}
