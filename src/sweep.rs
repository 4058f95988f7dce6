//! samlab's commands behind the sweep seam ([`sam_sweep::Runner`]): a trial's settings are the
//! command's long flags, parsed by the same clap arguments and checked by the same code as on
//! the command line, so a trial is exactly `samlab <command> --key=value ...`.

use crate::cli;
use clap::Parser;
use sam_sweep::plan::Output;
use sam_sweep::spec::Value;
use sam_sweep::Settings;

/// The commands a sweep can run.
pub const COMMANDS: [&str; 2] = ["train", "diagnet"];

/// Settings the sweep sets itself, refused in a spec.
const RESERVED: [&str; 5] = ["json", "out", "help", "version", "threads"];

#[derive(Parser)]
#[command(name = "samlab train", no_binary_name = true)]
struct TrainArgv {
    #[command(flatten)]
    args: cli::train::Args,
}

#[derive(Parser)]
#[command(name = "samlab diagnet", no_binary_name = true)]
struct DiagnetArgv {
    #[command(flatten)]
    args: cli::diagnet::Args,
}

/// The command-line words of `settings`: `--key=value`, a `true` switch as `--key`.
///
/// ```
/// use sam_sweep::spec::Value;
/// let mut s = sam_sweep::Settings::new();
/// s.insert("lr".into(), Value::Float(0.05));
/// s.insert("json".into(), Value::Bool(true));
/// assert!(samlab::sweep::argv(&s).is_err()); // the sweep sets --json itself
/// s.remove("json");
/// assert_eq!(samlab::sweep::argv(&s).unwrap(), ["--lr=0.05"]);
/// ```
pub fn argv(settings: &Settings) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    for (k, v) in settings {
        if RESERVED.contains(&k.as_str()) {
            return Err(format!(
                "setting {k:?} is set by the sweep itself: remove it from the spec (threads: pass `samlab sweep run --threads`)"
            ));
        }
        match v {
            Value::Bool(true) => words.push(format!("--{k}")),
            Value::Bool(false) => {}
            v => words.push(format!("--{k}={}", v.arg())),
        }
    }
    Ok(words)
}

fn parse<P: Parser>(settings: &Settings) -> Result<P, String> {
    P::try_parse_from(argv(settings)?).map_err(|e| {
        // clap's message without its usage block
        e.to_string()
            .lines()
            .next()
            .unwrap_or("invalid settings")
            .trim_start_matches("error: ")
            .to_string()
    })
}

fn json_map(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// [`sam_sweep::Runner`] for samlab's commands.
pub struct Samlab;

impl sam_sweep::Runner for Samlab {
    fn commands(&self) -> Vec<&'static str> {
        COMMANDS.to_vec()
    }

    fn normalize(&self, command: &str, s: &Settings) -> Result<serde_json::Value, String> {
        let err = |e: anyhow::Error| cli::error_chain(&e);
        match command {
            "train" => {
                let a = parse::<TrainArgv>(s)?.args;
                let c = cli::train::config(&a).map_err(err)?;
                serde_json::to_value(&*c).map_err(|e| e.to_string())
            }
            "diagnet" => {
                let a = parse::<DiagnetArgv>(s)?.args;
                let c = cli::diagnet::setup(&a).map_err(err)?;
                serde_json::to_value(&c).map_err(|e| e.to_string())
            }
            other => Err(format!("{other:?} is not a sweepable command")),
        }
    }

    fn run(&self, command: &str, s: &Settings, threads: usize) -> Result<Output, String> {
        let err = |e: anyhow::Error| cli::error_chain(&e);
        let mut out = Output::default();
        match command {
            "train" => {
                let a = parse::<TrainArgv>(s)?.args;
                let c = cli::train::config(&a).map_err(err)?;
                let t =
                    cli::train::execute(&c, a.data_dir.clone(), threads, |_| {}).map_err(err)?;
                let mut summary =
                    json_map(serde_json::to_value(&t.summary).map_err(|e| e.to_string())?);
                summary.remove("config");
                out.summary = summary;
                out.rows = t
                    .rows
                    .iter()
                    .map(|r| serde_json::to_value(r).map(json_map))
                    .collect::<Result<_, _>>()
                    .map_err(|e| e.to_string())?;
                out.timing = vec!["wall_s".into(), "cpu_s".into()];
                // the final weights, little-endian f32 in the engine's flat order
                let bytes = t
                    .params
                    .flat()
                    .iter()
                    .flat_map(|x| x.to_le_bytes())
                    .collect();
                out.attachments = vec![("params.f32".into(), bytes)];
            }
            "diagnet" => {
                let a = parse::<DiagnetArgv>(s)?.args;
                let r = cli::diagnet::execute(&a).map_err(err)?;
                out.summary = json_map(serde_json::to_value(&r).map_err(|e| e.to_string())?);
            }
            other => return Err(format!("{other:?} is not a sweepable command")),
        }
        Ok(out)
    }
}
