//! Callgrind-format profiles, so users can browse where translation cycles and TLB misses
//! go, per source line, in KCachegrind or `callgrind_annotate` (Debian `valgrind`).
//!
//! The writer follows the Callgrind Format Specification, version 1 (valgrind manual,
//! "Callgrind Format Specification"): a header of `key: value` lines ending with `events:`,
//! then `fl=` (file) and `fn=` (function) position lines and cost lines `line ev1 ev2 ...`.
//! File and function names are written with name compression: the first use defines an id,
//! `fl=(1) hello.s`, later uses repeat only `fl=(1)`. What Atlas writes:
//!
//! ```text
//! # callgrind format
//! version: 1
//! creator: atlas
//! cmd: <cmd>
//! positions: line
//! events: <event names>
//! summary: <sum of every event>
//!
//! fl=(1) <file>
//! fn=(1) <function>
//! <line> <cost per event>
//! ...
//!
//! totals: <sum of every event>
//! ```
//!
//! `summary:` sits right after `events:` because `callgrind_annotate` treats `events:` as the
//! last header line and reads `summary:` from the body; KCachegrind reads it there too.
//! Rows are merged per (file, function, line), sorted by file, function and line; rows whose
//! costs are all zero are left out. `.ci/callgrind-check` runs `callgrind_annotate` on a
//! sample and checks its per-file and per-line sums against the totals.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};

/// The `creator:` line's value.
pub const CREATOR: &str = "atlas";

/// The events an Atlas run profile offers, in the order `atlas run --callgrind` writes them:
/// instructions retired, cycles, L1 instruction-TLB misses, L1 data-TLB misses, L2 TLB
/// misses, cycles spent walking page tables, and page faults.
pub const DEFAULT_EVENTS: [&str; 7] = [
    "Ir",
    "Cycles",
    "ITLBMiss",
    "DTLBMiss",
    "STLBMiss",
    "WalkCycles",
    "PageFaults",
];

/// What replaces a name the format cannot hold (empty): callgrind's own "unknown".
const UNKNOWN_NAME: &str = "???";

/// Why a profile could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CallgrindError {
    /// Writing to the output failed.
    #[error("I/O error writing the callgrind profile: {0}")]
    Io(#[from] io::Error),
    /// The event list is empty, or an event name is not a letter followed by letters,
    /// digits or underscores (what the format's grammar and `callgrind_annotate` accept),
    /// or it repeats a name.
    #[error("invalid callgrind event list: {reason}")]
    InvalidEvents {
        /// What is wrong.
        reason: String,
    },
    /// The sum of one event over all rows does not fit in 64 bits.
    #[error("the total of callgrind event {event} does not fit in 64 bits")]
    CostOverflow {
        /// Event name.
        event: String,
    },
}

/// Costs merged per file, then function, then line.
type Aggregated<const N: usize> = BTreeMap<String, BTreeMap<String, BTreeMap<u32, [u64; N]>>>;

/// Writes a profile of `rows` — `(source file, function, line, costs)`, costs in the order
/// of `events` — to `out`, and returns the totals it wrote.
///
/// `cmd` names the profiled command (the guest program and its arguments). Rows may repeat a
/// position; their costs are added. Newlines and other control characters in names are
/// written as `?`, and an empty name as `???`, so guest-chosen symbol names cannot break
/// the file.
pub fn write_profile<W, F, G, I, const N: usize>(
    out: W,
    cmd: &str,
    events: &[&str; N],
    rows: I,
) -> Result<[u64; N], CallgrindError>
where
    W: Write,
    F: AsRef<str>,
    G: AsRef<str>,
    I: IntoIterator<Item = (F, G, u32, [u64; N])>,
{
    validate_events(events)?;
    let (aggregated, totals) = aggregate(events, rows)?;

    let mut out = BufWriter::new(out);
    writeln!(out, "# callgrind format")?;
    writeln!(out, "version: 1")?;
    writeln!(out, "creator: {CREATOR}")?;
    writeln!(out, "cmd: {}", clean_name(cmd))?;
    writeln!(out, "positions: line")?;
    writeln!(out, "events: {}", events.join(" "))?;
    writeln!(out, "summary: {}", join_costs(&totals))?;

    let mut function_ids: BTreeMap<&str, usize> = BTreeMap::new();
    for (file_id, (file, functions)) in aggregated.iter().enumerate() {
        writeln!(out)?;
        writeln!(out, "fl=({}) {file}", file_id + 1)?;
        for (function, lines) in functions {
            let next_id = function_ids.len() + 1;
            match function_ids.get(function.as_str()) {
                Some(id) => writeln!(out, "fn=({id})")?,
                None => {
                    function_ids.insert(function, next_id);
                    writeln!(out, "fn=({next_id}) {function}")?;
                }
            }
            for (line, costs) in lines {
                writeln!(out, "{line} {}", join_costs(costs))?;
            }
        }
    }
    writeln!(out)?;
    writeln!(out, "totals: {}", join_costs(&totals))?;
    out.flush()?;
    Ok(totals)
}

fn validate_events(events: &[&str]) -> Result<(), CallgrindError> {
    let invalid = |reason: String| Err(CallgrindError::InvalidEvents { reason });
    if events.is_empty() {
        return invalid("no events".to_string());
    }
    for (i, name) in events.iter().enumerate() {
        let mut chars = name.chars();
        let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        if !starts_with_letter || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return invalid(format!(
                "event name {name:?} is not a letter followed by letters, digits or _"
            ));
        }
        if events.iter().take(i).any(|earlier| earlier == name) {
            return invalid(format!("event name {name:?} appears twice"));
        }
    }
    Ok(())
}

fn aggregate<F, G, I, const N: usize>(
    events: &[&str; N],
    rows: I,
) -> Result<(Aggregated<N>, [u64; N]), CallgrindError>
where
    F: AsRef<str>,
    G: AsRef<str>,
    I: IntoIterator<Item = (F, G, u32, [u64; N])>,
{
    let mut aggregated: Aggregated<N> = BTreeMap::new();
    let mut totals = [0u64; N];
    for (file, function, line, costs) in rows {
        if costs.iter().all(|&c| c == 0) {
            continue;
        }
        add_costs(&mut totals, &costs, events)?;
        let slot = aggregated
            .entry(clean_name(file.as_ref()))
            .or_default()
            .entry(clean_name(function.as_ref()))
            .or_default()
            .entry(line)
            .or_insert([0; N]);
        add_costs(slot, &costs, events)?;
    }
    Ok((aggregated, totals))
}

fn add_costs<const N: usize>(
    sum: &mut [u64; N],
    costs: &[u64; N],
    events: &[&str; N],
) -> Result<(), CallgrindError> {
    for ((total, cost), event) in sum.iter_mut().zip(costs).zip(events) {
        *total = total
            .checked_add(*cost)
            .ok_or_else(|| CallgrindError::CostOverflow {
                event: (*event).to_string(),
            })?;
    }
    Ok(())
}

fn clean_name(name: &str) -> String {
    if name.is_empty() {
        return UNKNOWN_NAME.to_string();
    }
    name.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn join_costs(costs: &[u64]) -> String {
    costs
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
