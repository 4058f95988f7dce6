//! The `samlab` subcommands, one module each: clap arguments and a `run` function that prints
//! human-readable text or, with `--json`, the contract of DESIGN.md on stdout.

pub mod bound;
pub mod converge;
pub mod diagnet;
pub mod sharpness;
pub mod sweep;
pub mod toy;
pub mod train;

use anyhow::Result;
use std::io::Write;

/// stdout was closed by the reader (`samlab ... | head`): the binary exits quietly with status
/// 141 (128 + SIGPIPE), as Unix tools do.
#[derive(Debug, thiserror::Error)]
#[error("stdout was closed by the reader")]
pub struct ClosedPipe;

/// Writes one line to stdout and flushes it; a closed pipe is [`ClosedPipe`], any other failure
/// (a full disk, `> /dev/full`) an error that says so. Used instead of `println!`, which panics.
///
/// ```
/// samlab::cli::write_line(format_args!("{}", 1)).unwrap();
/// ```
pub fn write_line(args: std::fmt::Arguments) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let result = out
        .write_fmt(args)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush());
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(ClosedPipe.into()),
        Err(e) => Err(anyhow::anyhow!(
            "cannot write the result to stdout: {e} (check the disk or the file stdout goes to)"
        )),
    }
}

/// The first place in `v` that holds `null`, as a path like `rows[3].rhs`. In the JSON contracts
/// every value is a number, string, bool, array or object: serde writes a NaN or an infinity as
/// `null`, so a `null` here is a non-finite result.
fn first_null(v: &serde_json::Value, path: &str, optional: &[&str]) -> Option<String> {
    match v {
        serde_json::Value::Null if optional.contains(&path) => None,
        serde_json::Value::Null => Some(if path.is_empty() {
            "the result".into()
        } else {
            path.into()
        }),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| first_null(x, &format!("{path}[{i}]"), optional)),
        serde_json::Value::Object(o) => o.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            first_null(x, &p, optional)
        }),
        _ => None,
    }
}

/// Fails, naming the first quantity of `value` that is not a finite number and the `inputs` it
/// came from, unless every number is finite: a non-finite result is an error, never a `null` or
/// a printed NaN. Keys at the paths `optional` (e.g. `config.m_sharpness`) may be `null`: they are
/// absent settings, not results. Called before the text and the JSON output alike.
///
/// ```
/// use serde_json::json;
/// assert!(samlab::cli::check_finite(&json!({"p": 0.5}), &[], "q = 0.1").is_ok());
/// let e = samlab::cli::check_finite(&json!({"rows": [{"rhs": f64::NAN}]}), &[], "sigma = 1e300");
/// let msg = e.unwrap_err().to_string();
/// assert!(msg.contains("rows[0].rhs") && msg.contains("sigma = 1e300"));
/// ```
pub fn check_finite(value: &impl serde::Serialize, optional: &[&str], inputs: &str) -> Result<()> {
    let v = serde_json::to_value(value)?;
    if let Some(path) = first_null(&v, "", optional) {
        anyhow::bail!(
            "{path} is not a finite number (NaN or infinite) for {inputs}: the computation overflowed f64; use smaller magnitudes"
        );
    }
    Ok(())
}

/// Prints `value` as pretty JSON on stdout (the `--json` contract), after [`check_finite`].
///
/// ```
/// assert!(samlab::cli::print_json(&serde_json::json!({"p": 0.5})).is_ok());
/// assert!(samlab::cli::print_json(&serde_json::json!({"p": f64::NAN})).is_err());
/// ```
pub fn print_json(value: &impl serde::Serialize) -> Result<()> {
    check_finite(value, &[], "these settings")?;
    emit_json(value)
}

/// Writes `value` as pretty JSON on stdout, for a result [`check_finite`] already passed.
pub fn emit_json(value: &impl serde::Serialize) -> Result<()> {
    write_line(format_args!("{}", serde_json::to_string_pretty(value)?))
}

/// The error and its causes on one line, each cause once: a cause whose text the message already
/// contains (thiserror messages often embed their source) is not repeated.
///
/// ```
/// let e = anyhow::anyhow!("inner").context("outer: inner");
/// assert_eq!(samlab::cli::error_chain(&e), "outer: inner");
/// ```
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut s = e.to_string();
    for cause in e.chain().skip(1) {
        let t = cause.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
    }
    s
}

/// `println!` that returns an error instead of panicking (see [`write_line`]).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_line(format_args!($($arg)*))?
    };
}

/// Parses one numeric option value: a number, or `NaN`/`inf` (which the settings' own checks then
/// refuse with their allowed range), but never a value that silently overflows to infinity or
/// underflows to 0 (`1e400`, `1e-400`).
///
/// ```
/// assert_eq!(samlab::cli::number("-1.5"), Ok(-1.5));
/// assert!(samlab::cli::number("1e-400").unwrap_err().contains("underflows"));
/// assert!(samlab::cli::number("1e400").unwrap_err().contains("overflows"));
/// ```
pub fn number(s: &str) -> std::result::Result<f64, String> {
    sam_params::parse_f64(s)
}

/// Parses "1.5,-2" into numbers, naming the bad piece.
///
/// ```
/// assert_eq!(samlab::cli::parse_vector("1.5,-2", "at").unwrap(), vec![1.5, -2.0]);
/// assert!(samlab::cli::parse_vector("1,x", "at").is_err());
/// ```
pub fn parse_vector(s: &str, what: &str) -> Result<Vec<f64>> {
    s.split(',')
        .map(|p| {
            number(p).map_err(|e| anyhow::anyhow!("--{what}: {e} (write e.g. --{what} -1.5,2)"))
        })
        .collect()
}
