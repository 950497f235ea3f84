//! `programs/fragment.s` in segmented mode with little memory: the heap and mmap segments
//! leapfrog each other in physical memory, and with worst or next fit a growth finally
//! needs compaction. The figures are exact (the run is deterministic) and the output is the
//! program's committed expected output.

use atlas_asm::{load_program, Options};
use atlas_isa::Xlen;
use atlas_os::{run_image, ExitReason, Fit, GuestIo, MmuMode, OsConfig, RunReport};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs fragment.s in segmented mode; the report and the guest's stdout.
fn run(xlen: Xlen, phys_mem: u64, fit: Fit) -> (RunReport, String) {
    let options = Options {
        xlen,
        ..Options::default()
    };
    let image = load_program(&root().join("programs/fragment.s"), &options).expect("assembles");
    let config = OsConfig {
        phys_mem,
        mmu_mode: Some(MmuMode::Segmented),
        fit,
        ..OsConfig::default()
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut io = GuestIo {
        stdin: &mut std::io::empty(),
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    let report = run_image(&image, &config, &mut io).expect("loads");
    (report, String::from_utf8_lossy(&stdout).into_owned())
}

/// Relocations, compactions and bytes copied.
fn moves(report: &RunReport) -> [u64; 3] {
    ["relocations", "compactions", "bytes_copied"].map(|name| {
        let found = report.mm.extra.iter().find(|(n, _)| *n == name);
        found.map(|&(_, v)| v).expect("reported")
    })
}

#[test]
fn fragment_relocates_and_compacts_in_320_kib() {
    let expected =
        std::fs::read_to_string(root().join("programs/fragment.expected")).expect("expected");
    // First and best fit reuse the holes the leapfrogging leaves; worst and next fit place
    // each relocated segment in the big free chunk at the top, splinter it, and need one
    // compaction. Every run prints the same sums.
    let table = [
        (Fit::First, [4, 0, 98_304]),
        (Fit::Best, [4, 0, 98_304]),
        (Fit::Worst, [5, 1, 229_376]),
        (Fit::Next, [5, 1, 229_376]),
    ];
    for xlen in [Xlen::X32, Xlen::X64] {
        for (fit, figures) in table {
            let (report, stdout) = run(xlen, 320 << 10, fit);
            assert_eq!(report.exit, ExitReason::Exited(0), "{fit:?} {xlen:?}");
            assert_eq!(stdout, expected, "{fit:?} {xlen:?}");
            assert_eq!(moves(&report), figures, "{fit:?} {xlen:?}");
        }
    }
    // With less memory best fit compacts four times, copying 800 KiB in 288 KiB.
    let (report, stdout) = run(Xlen::X64, 288 << 10, Fit::Best);
    assert_eq!(stdout, expected);
    assert_eq!(moves(&report), [6, 4, 819_200]);
}

#[test]
fn too_little_memory_is_a_failed_brk_or_mmap_not_a_crash() {
    // 256 KiB: even compaction cannot find room; the guest sees the failure and says so.
    let (report, stdout) = run(Xlen::X32, 256 << 10, Fit::First);
    assert_eq!(report.exit, ExitReason::Exited(1));
    assert_eq!(stdout, "brk or mmap failed\n");
    assert_eq!(moves(&report), [4, 2, 311_296]);
}
