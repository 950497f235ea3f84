//! `--fit` selects the segment allocator's placement policy: in a small memory, worst and
//! next fit force a compaction that first and best fit avoid (programs/fragment.s).

use std::process::Command;

fn mm_counters(fit: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args([
            "run",
            "--mmu",
            "segmented",
            "--phys-mem",
            "320K",
            "--fit",
            fit,
        ])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/programs/fragment.s"))
        .output()
        .expect("run atlas");
    assert_eq!(out.status.code(), Some(0), "--fit {fit}");
    let report = String::from_utf8_lossy(&out.stderr);
    report
        .lines()
        .find_map(|l| l.trim().strip_prefix("mm counters"))
        .unwrap_or_else(|| panic!("no mm counters line in:\n{report}"))
        .trim()
        .to_string()
}

#[test]
fn fit_policies_place_segments_differently() {
    let common = "free_chunks 1, largest_free_chunk 36864, external_fragmentation_permille 0";
    for fit in ["first", "best"] {
        assert_eq!(
            mm_counters(fit),
            format!("relocations 4, compactions 0, bytes_copied 98304, {common}")
        );
    }
    for fit in ["worst", "next"] {
        assert_eq!(
            mm_counters(fit),
            format!("relocations 5, compactions 1, bytes_copied 229376, {common}")
        );
    }
}

#[test]
fn an_unknown_fit_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["run", "--fit", "random", "programs/hello.s"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run atlas");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("unknown fit policy `random` (expected first, best, worst, next)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
