//! `atlas trace dump` and `atlas trace replay` on recorded runs: the dump format, and a
//! replay on another machine giving that machine's closed-form counts.

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

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("atlas-trace-{}-{name}", std::process::id()))
}

#[test]
fn dump_prints_one_access_per_line() {
    let program = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/hello.s");
    let trace = temp("hello.trc");
    let t = trace.to_string_lossy().into_owned();
    let (code, _, err) = atlas(&[
        "run",
        &program.to_string_lossy(),
        "-q",
        "--mmu",
        "bare",
        "--trace",
        &t,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (code, dump, err) = atlas(&["trace", "dump", &t]);
    let _ = std::fs::remove_file(&trace);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = dump.lines().collect();
    // Bare mode: PA = VA. The program starts at 0x10000.
    assert_eq!(lines.first().copied(), Some("I 10000 10000 10000 4"));
    assert_eq!(lines.get(1).copied(), Some("I 10004 10004 10004 4"));
    // Every line has the documented shape.
    for line in &lines {
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields.len(), 5, "{line}");
        assert!(matches!(fields[0], "I" | "L" | "S"), "{line}");
        for hex in &fields[1..4] {
            assert_eq!(u64::from_str_radix(hex, 16).map(|_| ()), Ok(()), "{line}");
        }
    }
    // One fetch per instruction retired (hello.s retires 87).
    assert_eq!(lines.iter().filter(|l| l.starts_with('I')).count(), 87);
}

/// The DTLB load misses a replay's JSON reports.
fn replay_dtlb_load_misses(trace: &str, machine: &[&str]) -> u64 {
    let json = temp(&format!(
        "replay-{}.json",
        machine.join("_").replace(':', "-")
    ));
    let mut args = vec!["trace", "replay", trace];
    args.extend_from_slice(machine);
    let j = json.to_string_lossy().into_owned();
    args.extend_from_slice(&["--stats-json", &j]);
    let (code, _, err) = atlas(&args);
    assert_eq!(code, Some(0), "{err}");
    let text = std::fs::read_to_string(&json).expect("JSON written");
    let _ = std::fs::remove_file(&json);
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    value["tlbs"]["dtlb"]["load"]["misses"]
        .as_u64()
        .unwrap_or(u64::MAX)
}

#[test]
fn replay_on_another_machine_gives_its_closed_form_misses() {
    // 9 pages loaded 5 times each; the first touch of each faults (a miss, no fill), its
    // retry misses and fills.
    let source = temp("stride9.s");
    std::fs::write(
        &source,
        "    .bss
    .balign 4096
buf: .space 9*4096
    .text
    .globl _start
_start:
    li s0, 5
outer:
    la t0, buf
    li t1, 9
inner:
    lw t2, 0(t0)
    li t3, 4096
    add t0, t0, t3
    addi t1, t1, -1
    bnez t1, inner
    addi s0, s0, -1
    bnez s0, outer
    li a0, 0
    li a7, 93
    ecall
",
    )
    .expect("temp file");
    let trace = temp("stride9.trc");
    let t = trace.to_string_lossy().into_owned();
    let (code, _, err) = atlas(&[
        "run",
        &source.to_string_lossy(),
        "-q",
        "--preset",
        "teaching",
        "--dtlb",
        "8:lru",
        "--trace",
        &t,
    ]);
    let _ = std::fs::remove_file(&source);
    assert_eq!(code, Some(0), "{err}");
    // The recording machine: 8 LRU entries, 9 pages: every load misses (45) + 9 faults.
    assert_eq!(
        replay_dtlb_load_misses(&t, &["--preset", "teaching", "--dtlb", "8:lru"]),
        54
    );
    // 16 entries hold all 9 pages: only the 9 faults and their 9 retries miss.
    assert_eq!(
        replay_dtlb_load_misses(&t, &["--preset", "teaching", "--dtlb", "16:lru"]),
        18
    );
    // 4 sets x 4 ways: at most 3 of 9 consecutive pages per set: as above.
    assert_eq!(
        replay_dtlb_load_misses(&t, &["--preset", "teaching", "--dtlb", "16x4:lru"]),
        18
    );
    // 4 sets x 2 ways: 9 consecutive pages put 3 in one set and 2 in the others; the
    // 3-page set thrashes under LRU: 3 misses in each of the 4 passes after the first.
    assert_eq!(
        replay_dtlb_load_misses(&t, &["--preset", "teaching", "--dtlb", "8x2:lru"]),
        18 + 3 * 4
    );
    let _ = std::fs::remove_file(&trace);
}
