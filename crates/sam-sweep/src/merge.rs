//! Merge: the trial files of a plan gathered into the tidy tables the figures read:
//! `OUT/results.csv` (one row per trial: its index, id, settings as written, then the summary,
//! timings last) and, when the trials have rows over time, `OUT/epochs.csv` (one row per trial
//! and time, the same leading columns).

use crate::plan::Plan;
use crate::store::{Record, Store};
use crate::{Result, SweepError};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What [`merge`] found and wrote.
#[derive(Clone, Debug, Default)]
pub struct Merged {
    /// The trials merged (indices into the plan).
    pub merged: Vec<usize>,
    /// Trials with no result and no failure log.
    pub missing: Vec<usize>,
    /// Trials with no result and a failure log (its path).
    pub failed: Vec<(usize, PathBuf)>,
    /// The files written (none when the sweep is incomplete and `partial` is false).
    pub written: Vec<PathBuf>,
}

impl Merged {
    /// Whether every trial has its result.
    pub fn complete(&self) -> bool {
        self.missing.is_empty() && self.failed.is_empty()
    }
}

/// A JSON scalar as CSV text (numbers in serde_json's shortest round-trip form).
fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Bool(_) | serde_json::Value::Number(_) => v.to_string(),
        other => crate::plan::canonical(other),
    }
}

/// Sorted keys of `maps` not in `skip`, non-timing keys first, then the timings.
fn columns<'a>(
    maps: impl Iterator<Item = &'a serde_json::Map<String, serde_json::Value>>,
    skip: &BTreeSet<String>,
    timing: &BTreeSet<String>,
) -> Vec<String> {
    let keys: BTreeSet<String> = maps.flat_map(|m| m.keys().cloned()).collect();
    let (t, v): (Vec<String>, Vec<String>) = keys
        .into_iter()
        .filter(|k| !skip.contains(k))
        .partition(|k| timing.contains(k));
    v.into_iter().chain(t).collect()
}

fn write_table(path: &std::path::Path, header: &[String], rows: &[Vec<String>]) -> Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let csv_err = |e: csv::Error| SweepError::Store(format!("{}: {e}", path.display()));
    w.write_record(header).map_err(csv_err)?;
    for r in rows {
        w.write_record(r).map_err(csv_err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| SweepError::Store(format!("{}: {}", path.display(), e.error())))?;
    Ok(sam_results::write_atomic(path, &bytes)?)
}

/// Gathers `plan`'s trial files from `store`. Writes the tables when every trial is done, or
/// when `partial` (then with the trials that are). A summary key that is also a setting is left
/// out: the setting's column holds it as written.
pub fn merge(plan: &Plan, store: &Store, partial: bool) -> Result<Merged> {
    let mut m = Merged::default();
    let mut records: Vec<(usize, Record)> = Vec::new();
    for t in &plan.trials {
        match store.load(&t.id)? {
            Some(r) => {
                m.merged.push(t.index);
                records.push((t.index, r));
            }
            None if store.log_path(&t.id).exists() => {
                m.failed.push((t.index, store.log_path(&t.id)))
            }
            None => m.missing.push(t.index),
        }
    }
    if !m.complete() && !partial {
        return Ok(m);
    }
    let settings: Vec<String> = plan
        .trials
        .iter()
        .flat_map(|t| t.settings.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let skip: BTreeSet<String> = settings.iter().cloned().collect();
    let timing: BTreeSet<String> = records
        .iter()
        .flat_map(|(_, r)| r.timing.iter().cloned())
        .collect();
    let lead = |i: usize| -> Vec<String> {
        let t = &plan.trials[i];
        let mut row = vec![i.to_string(), t.id.clone()];
        row.extend(
            settings
                .iter()
                .map(|k| t.settings.get(k).map(|v| v.arg()).unwrap_or_default()),
        );
        row
    };
    let head = |rest: &[String]| -> Vec<String> {
        ["index".to_string(), "id".to_string()]
            .into_iter()
            .chain(settings.iter().cloned())
            .chain(rest.iter().cloned())
            .collect()
    };
    let summary_cols = columns(records.iter().map(|(_, r)| &r.summary), &skip, &timing);
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|(i, r)| {
            let mut row = lead(*i);
            row.extend(
                summary_cols
                    .iter()
                    .map(|k| r.summary.get(k).map(cell).unwrap_or_default()),
            );
            row.push(r.seconds.to_string());
            row
        })
        .collect();
    let results = store.dir.join("results.csv");
    let mut h = head(&summary_cols);
    h.push("seconds".into());
    write_table(&results, &h, &rows)?;
    m.written.push(results);
    if records.iter().any(|(_, r)| !r.rows.is_empty()) {
        let row_cols = columns(
            records.iter().flat_map(|(_, r)| r.rows.iter()),
            &skip,
            &timing,
        );
        let mut out = Vec::new();
        for (i, r) in &records {
            for x in &r.rows {
                let mut row = lead(*i);
                row.extend(
                    row_cols
                        .iter()
                        .map(|k| x.get(k).map(cell).unwrap_or_default()),
                );
                out.push(row);
            }
        }
        let epochs = store.dir.join("epochs.csv");
        write_table(&epochs, &head(&row_cols), &out)?;
        m.written.push(epochs);
    }
    Ok(m)
}
