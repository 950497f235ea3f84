//! Profiling outputs end to end: `--stats-json` consistency, `--trace` + `trace replay`
//! reproducing the live TLB counters, and `--callgrind` per-line sums.

use std::path::{Path, PathBuf};
use std::process::Command;

fn atlas(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(args)
        .output()
        .expect("atlas runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn programs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
    let mut list: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("programs/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "s"))
        .collect();
    list.sort();
    list
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("atlas-profile-{}-{name}", std::process::id()))
}

fn u(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or(u64::MAX)
}

/// Internal consistency of one stats document.
fn check_json(json: &serde_json::Value, what: &str) {
    let cycles = &json["cycles"];
    assert_eq!(
        u(&cycles["translation"]) + u(&cycles["other"]),
        u(&cycles["total"]),
        "{what}"
    );
    let components: u64 = json["translation"]["cycles"]
        .as_object()
        .expect("object")
        .values()
        .map(u)
        .sum();
    assert_eq!(components, u(&cycles["translation"]), "{what}");
    for tlb in ["itlb", "dtlb", "stlb"] {
        let Some(kinds) = json["tlbs"][tlb].as_object() else {
            continue;
        };
        for (kind, line) in kinds {
            assert_eq!(
                u(&line["hits"]) + u(&line["misses"]),
                u(&line["accesses"]),
                "{what} {tlb} {kind}"
            );
        }
    }
}

#[test]
fn replay_reproduces_every_program_and_json_is_consistent() {
    for program in programs() {
        let name = program
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        for preset in ["teaching", "modern"] {
            let trace = temp(&format!("{name}-{preset}.trc"));
            let json = temp(&format!("{name}-{preset}.json"));
            let p = program.to_string_lossy().into_owned();
            let (_, _, live_report) = atlas(&[
                "run",
                &p,
                "--preset",
                preset,
                "--trace",
                &trace.to_string_lossy(),
                "--stats-json",
                &json.to_string_lossy(),
            ]);
            let text =
                std::fs::read_to_string(&json).unwrap_or_else(|_| panic!("{p}: {live_report}"));
            let live: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            check_json(&live, &format!("{name} {preset}"));
            let (code, out, err) = atlas(&[
                "trace",
                "replay",
                &trace.to_string_lossy(),
                "--preset",
                preset,
            ]);
            assert_eq!(code, Some(0), "{err}");
            // The replay prints the same TLB table as the live report.
            let table_of = |s: &str| -> String {
                s.lines()
                    .skip_while(|l| !l.trim_start().starts_with("tlb "))
                    .take_while(|l| l.starts_with("  ") && !l.contains("by class"))
                    .map(|l| {
                        // MPKI depends on the instruction count, which replays as fetches.
                        let cols: Vec<&str> = l.split_whitespace().collect();
                        cols[..cols.len().saturating_sub(1)].join(" ")
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            assert_eq!(table_of(&out), table_of(&live_report), "{name} {preset}");
            let _ = std::fs::remove_file(&trace);
            let _ = std::fs::remove_file(&json);
        }
    }
}

#[test]
fn callgrind_line_sums_equal_the_totals() {
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/sieve.s");
    let out = temp("sieve.callgrind");
    let (_, _, err) = atlas(&[
        "run",
        &program.to_string_lossy(),
        "-q",
        "--callgrind",
        &out.to_string_lossy(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap_or_else(|_| panic!("{err}"));
    let _ = std::fs::remove_file(&out);
    let totals: Vec<u64> = text
        .lines()
        .find_map(|l| l.strip_prefix("totals: "))
        .expect("totals line")
        .split_whitespace()
        .map(|n| n.parse().expect("number"))
        .collect();
    let mut sums = vec![0u64; totals.len()];
    for line in text
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
    {
        for (sum, n) in sums.iter_mut().zip(line.split_whitespace().skip(1)) {
            *sum += n.parse::<u64>().expect("number");
        }
    }
    assert_eq!(sums, totals);
    // Ir is the instruction count of the report.
    let (_, _, report) = atlas(&["run", &program.to_string_lossy()]);
    let insns = report
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("instructions"))
        .map(|n| n.trim().replace(',', ""))
        .expect("instructions line");
    assert_eq!(totals.first().map(u64::to_string), Some(insns));
}
