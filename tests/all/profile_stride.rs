//! Closed-form TLB misses for stride programs: N pages touched once per pass for M passes,
//! under fully associative and set-associative LRU TLBs, with N below and above reach.
//! The counts are those of the stride load itself (`--profile`), so the program's other
//! accesses do not blur them; the first touch of each page is a demand-paging fault, retried
//! after the OS maps it (reported as a fault, not as a miss of the load).

use std::process::Command;

/// The stride program: one word loaded from each of `pages` pages, `passes` times.
fn program(pages: u64, passes: u64) -> String {
    format!(
        "    .bss
    .balign 4096
buf: .space {pages}*4096
    .text
    .globl _start
_start:
    li s0, {passes}
outer:
    la t0, buf
    li t1, {pages}
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
"
    )
}

/// (count, DTLB misses, STLB misses, walks) of the stride load, from `--profile`, and the
/// faults of the whole run: one per data page plus one for the code page.
fn load_counts(pages: u64, passes: u64, machine: &[&str]) -> [u64; 5] {
    let dir = std::env::temp_dir();
    let path = dir.join(format!(
        "atlas-stride-{}-{pages}-{passes}-{}.s",
        std::process::id(),
        machine.join("_").replace([':', ' '], "-")
    ));
    std::fs::write(&path, program(pages, passes)).expect("temp file");
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .arg("run")
        .arg(&path)
        .args(machine)
        .args(["--profile", "20"])
        .output()
        .expect("atlas runs");
    let _ = std::fs::remove_file(&path);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // The row of the load in the "by TLB misses" table; cells are separated by 2+ spaces.
    let row = err
        .lines()
        .skip_while(|l| !l.contains("instructions by TLB misses"))
        .find(|l| l.contains("lw t2,0(t0)"))
        .unwrap_or_else(|| panic!("no row for the load in:\n{err}"));
    let cells: Vec<u64> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .skip(4)
        .map(|c| c.replace(',', "").parse().expect("a count"))
        .collect();
    // count, ITLB, DTLB, STLB, walks, walk cycles, translation cycles.
    let faults = err
        .lines()
        .skip_while(|l| !l.contains("pages by TLB misses"))
        .skip(3)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().last()?.parse::<u64>().ok())
        .sum::<u64>();
    [cells[0], cells[2], cells[3], cells[4], faults]
}

#[test]
fn fully_associative_lru_within_and_beyond_reach() {
    let lru8 = ["--preset", "teaching", "--dtlb", "8:lru"];
    // 8 pages in 8 entries: only the first pass misses.
    assert_eq!(load_counts(8, 5, &lru8), [40, 8, 0, 8, 9]);
    // 9 pages cycling through 8 LRU entries: every access misses.
    assert_eq!(load_counts(9, 5, &lru8), [45, 45, 0, 45, 10]);
}

#[test]
fn set_associative_lru_within_and_beyond_reach() {
    // 4 sets x 2 ways; consecutive pages spread over the sets.
    let sets = ["--preset", "teaching", "--dtlb", "8x2:lru"];
    // 8 pages: two per set, within reach.
    assert_eq!(load_counts(8, 4, &sets), [32, 8, 0, 8, 9]);
    // 6 pages: at most two per set.
    assert_eq!(load_counts(6, 4, &sets), [24, 6, 0, 6, 7]);
    // 12 pages: three per set of two ways: every access misses.
    assert_eq!(load_counts(12, 4, &sets), [48, 48, 0, 48, 13]);
}

#[test]
fn an_stlb_catches_what_the_dtlb_cannot_hold() {
    // 4-entry DTLB, 16-entry 4-way STLB: 9 pages miss the DTLB every time but the STLB
    // only on the first pass, so only those walk.
    let two_levels = [
        "--preset", "teaching", "--dtlb", "4:lru", "--stlb", "16x4:lru",
    ];
    assert_eq!(load_counts(9, 3, &two_levels), [27, 27, 9, 9, 10]);
}
