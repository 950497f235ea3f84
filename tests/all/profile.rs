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
        // The default mode (sv39, or sv32 for RV32 programs), and a deeper or flatter one.
        let other_mode = if name.contains("rv32") {
            "linear"
        } else {
            "sv48"
        };
        let runs = [
            ("teaching", None),
            ("modern", None),
            ("modern", Some(other_mode)),
            ("teaching", Some("segmented")),
            ("teaching", Some("base-bounds")),
        ];
        for (preset, mode) in runs {
            let tag = format!("{name}-{preset}-{}", mode.unwrap_or("default"));
            let trace = temp(&format!("{tag}.trc"));
            let json = temp(&format!("{tag}.json"));
            let p = program.to_string_lossy().into_owned();
            let mode_args = mode.map_or(Vec::new(), |m| vec!["--mmu", m]);
            let (_, _, live_report) = atlas(
                &[
                    ["run", &p].as_slice(),
                    &mode_args,
                    &[
                        "--preset",
                        preset,
                        "--trace",
                        &trace.to_string_lossy(),
                        "--stats-json",
                        &json.to_string_lossy(),
                    ],
                ]
                .concat(),
            );
            let text =
                std::fs::read_to_string(&json).unwrap_or_else(|_| panic!("{p}: {live_report}"));
            let live: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
            check_json(&live, &tag);
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
            assert_eq!(table_of(&out), table_of(&live_report), "{tag}");
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

/// The numbers of one `callgrind_annotate` row: `1,234 (12.34%)`, `0` or `.` per event.
fn annotate_counts(line: &str, events: usize) -> Vec<u64> {
    let mut text = String::new();
    let mut depth = 0;
    for c in line.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' => {}
            _ if depth == 0 => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace()
        .take(events)
        .map(|t| {
            if t == "." {
                0
            } else {
                t.parse().unwrap_or(u64::MAX)
            }
        })
        .collect()
}

#[test]
fn callgrind_annotate_reads_the_profile_and_agrees_with_its_totals() {
    if Command::new("callgrind_annotate")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("callgrind_annotate not installed (Debian valgrind): skipped");
        return;
    }
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/sort.s");
    let out = temp("sort.callgrind");
    let (_, _, err) = atlas(&[
        "run",
        &program.to_string_lossy(),
        "-q",
        "--preset",
        "teaching",
        "--callgrind",
        &out.to_string_lossy(),
    ]);
    let text = std::fs::read_to_string(&out).unwrap_or_else(|_| panic!("{err}"));
    let annotated = Command::new("callgrind_annotate")
        .args(["--threshold=100", &out.to_string_lossy()])
        .output()
        .expect("callgrind_annotate runs");
    let _ = std::fs::remove_file(&out);
    assert_eq!(String::from_utf8_lossy(&annotated.stderr), "");
    let report = String::from_utf8_lossy(&annotated.stdout);
    let totals: Vec<u64> = text
        .lines()
        .find_map(|l| l.strip_prefix("totals: "))
        .expect("totals line")
        .split_whitespace()
        .map(|n| n.parse().expect("number"))
        .collect();
    let program_totals = report
        .lines()
        .find(|l| l.ends_with("PROGRAM TOTALS"))
        .expect("PROGRAM TOTALS line");
    assert_eq!(annotate_counts(program_totals, totals.len()), totals);
    // The file:function rows add up to the totals.
    let mut sums = vec![0u64; totals.len()];
    let rows = report
        .lines()
        .skip_while(|l| !l.ends_with("file:function"))
        .skip(2)
        .take_while(|l| !l.trim().is_empty() && !l.starts_with("---"));
    for row in rows {
        for (sum, n) in sums.iter_mut().zip(annotate_counts(row, totals.len())) {
            *sum += n;
        }
    }
    assert_eq!(sums, totals);
    // Translation cycles in the profile are the run's translation cycles.
    let (_, _, run) = atlas(&["run", &program.to_string_lossy(), "--preset", "teaching"]);
    let translation = run
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("translation cycles"))
        .and_then(|rest| rest.split_whitespace().next())
        .map(|n| n.replace(',', ""))
        .expect("translation cycles line");
    assert_eq!(totals.get(1).map(u64::to_string), Some(translation));
}
