//! The MMU-mode matrix: every `programs/` program in every mode it applies to (its
//! `# mmu-modes:` line, or all of them) at each width the mode and the program support,
//! compared exactly with its expected output and exit status; the fault reports of the
//! paged modes; running out of physical memory in every mode; `--mmu` errors.

use atlas_asm::{assemble_str, load_program, Options};
use atlas_isa::Xlen;
use atlas_os::{run_image, CapturedIo, ExitReason, MmuMode, OsConfig, RunReport};
use std::path::{Path, PathBuf};
use std::process::Command;

fn programs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("programs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "s"))
        .collect();
    entries.sort();
    entries
}

/// The value of a `# NAME: value` directive line of a source.
fn directive<'a>(source: &'a str, name: &str) -> Option<&'a str> {
    source
        .lines()
        .find_map(|l| l.strip_prefix("# ")?.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// The modes a program's expected output holds in.
fn modes_of(source: &str) -> Vec<MmuMode> {
    match directive(source, "mmu-modes") {
        Some(list) => list
            .split_whitespace()
            .map(|m| MmuMode::parse(m).unwrap_or_else(|e| panic!("{e}")))
            .collect(),
        None => MmuMode::ALL.to_vec(),
    }
}

fn widths_of(stem: &str) -> Vec<Xlen> {
    if stem.ends_with(".rv32") {
        vec![Xlen::X32]
    } else if stem.ends_with(".rv64") {
        vec![Xlen::X64]
    } else {
        vec![Xlen::X32, Xlen::X64]
    }
}

/// Runs `image` in `mode` with `phys_mem` bytes; returns stdout and the report.
fn run_in(
    image: &atlas_asm::Image,
    mode: MmuMode,
    phys_mem: u64,
    stdin: &[u8],
) -> (Vec<u8>, RunReport) {
    let config = OsConfig {
        phys_mem,
        max_insns: 200_000_000,
        mmu_mode: Some(mode),
        ..OsConfig::default()
    };
    let mut streams = CapturedIo::new(stdin);
    let mut io = streams.io();
    let report = run_image(image, &config, &mut io).unwrap_or_else(|e| panic!("{mode}: {e}"));
    (streams.stdout, report)
}

fn load(path: &Path, xlen: Xlen) -> atlas_asm::Image {
    let options = Options {
        xlen,
        ..Options::default()
    };
    load_program(path, &options).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_program_gives_its_expected_output_in_every_mode_it_applies_to() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for path in programs() {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 name")
            .to_string();
        let source = std::fs::read_to_string(&path).expect("readable source");
        let status: i32 = directive(&source, "expect-exit")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{stem}: no expect-exit"));
        let expected = std::fs::read(path.with_extension("expected"))
            .unwrap_or_else(|e| panic!("{stem}.expected: {e}"));
        let stdin = std::fs::read(path.with_extension("stdin")).unwrap_or_default();
        let modes = modes_of(&source);
        for xlen in widths_of(&stem) {
            let image = load(&path, xlen);
            for &mode in modes.iter().filter(|m| m.supports(xlen)) {
                runs += 1;
                let (stdout, report) = run_in(&image, mode, 64 << 20, &stdin);
                let exit_ok = match report.exit {
                    ExitReason::Exited(code) => code == status,
                    ExitReason::Fault { .. } => status == 139,
                    _ => false,
                };
                if stdout != expected || !exit_ok || report.mode != mode {
                    failures.push(format!(
                        "{stem} RV{} --mmu {mode}: {:?} (expected {status}), {:?}\n{}",
                        xlen.bits(),
                        report.exit,
                        report.os_reason,
                        String::from_utf8_lossy(&stdout)
                    ));
                }
            }
        }
    }
    assert_eq!(failures, Vec::<String>::new());
    assert!(runs >= 200, "only {runs} runs");
}

/// Runs one of this issue's programs in `mode` at `xlen`.
fn run_program(name: &str, mode: MmuMode, xlen: Xlen) -> (Vec<u8>, RunReport) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("programs")
        .join(name);
    run_in(&load(&path, xlen), mode, 64 << 20, b"")
}

#[test]
fn paged_fault_reports_say_why_in_words() {
    // The mmap area's top is 4 KiB below the 8 MiB stack limit under the stack top; the
    // first one-page mapping is the highest page below it.
    let cases = [
        (MmuMode::Sv39, Xlen::X64, 0x3f_ff7f_e010u64),
        (MmuMode::Sv48, Xlen::X64, 0x3f_ff7f_e010),
        (MmuMode::Sv57, Xlen::X64, 0x3f_ff7f_e010),
        (MmuMode::Sv32, Xlen::X32, 0x3f7f_e010),
        (MmuMode::Linear, Xlen::X32, 0x3f7f_e010),
    ];
    for (mode, xlen, va) in cases {
        let (_, report) = run_program("use-after-munmap.s", mode, xlen);
        assert_eq!(
            report.os_reason,
            Some(format!("no mapping for {va:#x} (after munmap)")),
            "{mode}"
        );
        assert!(matches!(report.exit, ExitReason::Fault { .. }), "{mode}");
        let (_, report) = run_program("store-to-text.s", mode, xlen);
        assert_eq!(
            report.os_reason.as_deref(),
            Some("store to a read-only page at 0x10000"),
            "{mode}"
        );
    }
}

#[test]
fn the_cli_reports_a_paged_fault_with_the_mode_and_exit_code_139() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/store-to-text.s");
    let file = path.to_str().expect("utf-8");
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["run", "-q", "--mmu", "sv48", file])
        .output()
        .expect("atlas runs");
    assert_eq!(out.status.code(), Some(139));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
    assert_eq!(
        tail,
        vec![
            "  os:          store to a read-only page at 0x10000",
            "  mmu mode:    sv48",
            "  reason:      store/AMO page fault: 4-byte store at 0x10000: page fault: page not \
             writable (leaf PTE at level 0)",
        ]
    );
}

#[test]
fn a_mode_of_the_other_width_is_a_host_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/hello.s");
    let file = path.to_str().expect("utf-8");
    for (xlen, mode) in [("32", "sv39"), ("64", "linear"), ("64", "sv32")] {
        let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
            .args(["run", "-q", "--xlen", xlen, "--mmu", mode, file])
            .output()
            .expect("atlas runs");
        assert_eq!(out.status.code(), Some(2), "{mode}");
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!(
                "atlas: {file}: --mmu {mode} is not available on RV{xlen} (linear and sv32 are \
                 RV32 modes; sv39, sv48 and sv57 RV64 modes)\n"
            )
        );
    }
}

/// Maps 64 chunks of 1 MiB and touches every page of each; prints "mmap failed: ERRNO" and
/// exits 12 if a mapping is refused, else "touched 64 MiB" and exits 0.
const MAP_AND_TOUCH_64M: &str = r#"
    .text
    .globl _start
_start:
    li s0, 64
chunk:
    li a0, 0
    li a1, 0x100000
    li a2, 3
    li a3, 0x22
    li a4, -1
    li a5, 0
    li a7, 222
    ecall
    li t0, -4096
    bgeu a0, t0, refused
    li t1, 256
touch:
    sw t1, 0(a0)
    li t2, 4096
    add a0, a0, t2
    addi t1, t1, -1
    bnez t1, touch
    addi s0, s0, -1
    bnez s0, chunk
    la a1, done
    li a2, 15
    li a0, 1
    li a7, 64
    ecall
    li a0, 0
    li a7, 93
    ecall
refused:
    mv s1, a0
    la a1, failed
    li a2, 13
    li a0, 1
    li a7, 64
    ecall
    li a0, 12
    li a7, 93
    ecall
    .section .rodata
done:
    .ascii "touched 64 MiB\n"
failed:
    .ascii "mmap failed.\n"
"#;

#[test]
fn two_mib_of_physical_memory_runs_out_as_a_guest_outcome_in_every_mode() {
    for xlen in [Xlen::X32, Xlen::X64] {
        let options = Options {
            xlen,
            ..Options::default()
        };
        let image =
            assemble_str(MAP_AND_TOUCH_64M, "map64.s", &options).unwrap_or_else(|e| panic!("{e}"));
        for mode in MmuMode::ALL.into_iter().filter(|m| m.supports(xlen)) {
            let (stdout, report) = run_in(&image, mode, 2 << 20, b"");
            let ending = (report.exit, String::from_utf8_lossy(&stdout).into_owned());
            let refused = ending == (ExitReason::Exited(12), "mmap failed.\n".to_string());
            let killed = matches!(report.exit, ExitReason::OutOfMemory { .. })
                && report
                    .os_reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("out of physical memory"));
            assert!(
                refused || killed,
                "RV{} {mode}: {ending:?} {:?}",
                xlen.bits(),
                report.os_reason
            );
            assert!(report.mm.peak_frames <= 512, "{mode}: {:?}", report.mm);
        }
    }
}

#[test]
fn the_out_of_memory_end_keeps_the_host_small_and_exits_137() {
    let path = crate::temp::TempFile::new("atlas-modes", "map64.s", MAP_AND_TOUCH_64M);
    // The host process may not reserve more than 100 MiB of address space.
    let script = format!(
        "ulimit -v 102400 && exec {} run -q --phys-mem 2M --mmu sv39 {}",
        env!("CARGO_BIN_EXE_atlas"),
        path.display()
    );
    let out = Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh runs");
    assert_eq!(out.status.code(), Some(137));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().next(),
        Some("atlas: out of memory: the process was killed")
    );
    // 2 MiB is 512 frames. Tables: the root; under its entries 0 (image) and 255 (stack
    // and mmap area) one level-1 table each; level-0 tables for the image's 2 MiB region,
    // the stack's, and the two regions the mappings reach: 7. Data: the text page, the
    // stack page, the first 1 MiB chunk (256 pages, at 0x3fff6ff000, the highest below the
    // mmap area's top 0x3fff7ff000) and 247 pages of the second chunk (from 0x3fff5ff000):
    // 505. So page 248 of the second chunk, 0x3fff6f6000, finds no frame.
    assert_eq!(
        stderr.lines().last(),
        Some(
            "  os:          out of physical memory: no free frame for the page at \
             0x3fff6f6000 (512 frames in use, 7 of them page tables)"
        )
    );
}

#[test]
fn every_mode_ends_the_64_mib_program_in_2_mib_with_the_host_under_100_mib() {
    let path = crate::temp::TempFile::new("atlas-modes-all", "map64.s", MAP_AND_TOUCH_64M);
    let mut endings = Vec::new();
    for (xlen, mode) in [
        ("32", "bare"),
        ("32", "base-bounds"),
        ("32", "segmented"),
        ("32", "linear"),
        ("32", "sv32"),
        ("64", "bare"),
        ("64", "base-bounds"),
        ("64", "segmented"),
        ("64", "sv39"),
        ("64", "sv48"),
        ("64", "sv57"),
    ] {
        let script = format!(
            "ulimit -v 102400 && exec {} run -q --xlen {xlen} --phys-mem 2M --mmu {mode} {}",
            env!("CARGO_BIN_EXE_atlas"),
            path.display()
        );
        let out = Command::new("sh")
            .args(["-c", &script])
            .output()
            .expect("sh runs");
        endings.push((mode, out.status.code()));
    }
    // Modes without demand paging refuse the first 1 MiB mapping (exit 12); paged modes
    // run out of frames while touching (137).
    assert_eq!(
        endings,
        vec![
            ("bare", Some(12)),
            ("base-bounds", Some(12)),
            ("segmented", Some(12)),
            ("linear", Some(137)),
            ("sv32", Some(137)),
            ("bare", Some(12)),
            ("base-bounds", Some(12)),
            ("segmented", Some(12)),
            ("sv39", Some(137)),
            ("sv48", Some(137)),
            ("sv57", Some(137)),
        ]
    );
}

#[test]
fn linear_mode_reports_its_flat_table_beside_what_sv32_needs() {
    let (_, linear) = run_program("hello.s", MmuMode::Linear, Xlen::X32);
    let (_, sv32) = run_program("hello.s", MmuMode::Sv32, Xlen::X32);
    let extra =
        |r: &RunReport, key: &str| r.mm.extra.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    // 2^18 four-byte PTEs cover the 1 GiB address space: 1 MiB, 256 frames.
    assert_eq!(linear.mm.table_frames, 256);
    assert_eq!(extra(&linear, "linear_table_entries"), Some(1 << 18));
    assert_eq!(extra(&linear, "page_table_bytes"), Some(1 << 20));
    // Sv32: the root, the table of the image's 4 MiB region and the stack's.
    assert_eq!(sv32.mm.table_frames, 3);
    assert_eq!(extra(&linear, "sv32_table_frames_for_same_pages"), Some(3));
    assert_eq!(linear.mm.minor_faults, sv32.mm.minor_faults);
}

#[test]
fn the_run_report_shows_the_linear_table_beside_sv32s() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/hello.s");
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["run", "--xlen", "32", "--mmu", "linear"])
        .arg(&path)
        .output()
        .expect("atlas runs");
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("  memory") || l.starts_with("  linear table"))
        .collect();
    assert_eq!(
        lines,
        vec![
            "  memory        --mmu linear: 2 minor faults, peak 259 frames, 0 stack growths, 0 \
             flushes",
            "  linear table  1048576 bytes (262144 PTEs) where Sv32 needs 12288 bytes (3 frames) \
             for the same pages",
        ]
    );
}

#[test]
fn an_unknown_mmu_mode_is_refused_with_the_list() {
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["run", "--mmu", "sv99", "programs/hello.s"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("atlas runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.lines().next(),
        Some(
            "error: invalid value 'sv99' for '--mmu <MODE>': unknown MMU mode `sv99` (expected \
             bare, base-bounds, segmented, linear, sv32, sv39, sv48, sv57)"
        )
    );
}
