//! Running guest programs: every `programs/` program at each width it supports, compared
//! exactly with its expected output and exit status; and the documented endings of
//! faulting and runaway guests under `atlas run`.

use atlas_asm::{load_program, Options};
use atlas_isa::Xlen;
use atlas_os::{run_image, CapturedIo, ExitReason, OsConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::temp::TempFile;

mod random_programs;

fn programs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs")
}

/// The widths a program runs at, from its name (`NAME.rv32.s`, `NAME.rv64.s` or both).
fn widths(stem: &str) -> Vec<Xlen> {
    if stem.ends_with(".rv32") {
        vec![Xlen::X32]
    } else if stem.ends_with(".rv64") {
        vec![Xlen::X64]
    } else {
        vec![Xlen::X32, Xlen::X64]
    }
}

/// The `# expect-exit: N` directive of a source.
fn expected_exit(source: &str) -> Option<i32> {
    source
        .lines()
        .find_map(|l| l.split("expect-exit:").nth(1))
        .and_then(|v| v.trim().parse().ok())
}

/// Runs `path` at `xlen` through the library API with `stdin` as its standard input;
/// returns stdout and the exit reason.
fn run_program(path: &Path, xlen: Xlen, stdin: &[u8]) -> (Vec<u8>, ExitReason) {
    let options = Options {
        xlen,
        ..Options::default()
    };
    let image = load_program(path, &options).unwrap_or_else(|e| panic!("{e}"));
    let mut config = OsConfig {
        phys_mem: 64 << 20,
        max_insns: 200_000_000,
        ..OsConfig::default()
    };
    config.args = vec![path.display().to_string()];
    let mut streams = CapturedIo::new(stdin);
    let mut io = streams.io();
    let report = run_image(&image, &config, &mut io).unwrap_or_else(|e| panic!("{e}"));
    (streams.stdout, report.exit)
}

#[test]
fn every_program_prints_its_expected_output_at_each_width() {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(programs_dir())
        .expect("programs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "s"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 10, "only {} programs", entries.len());
    let mut failures = Vec::new();
    let mut runs = 0;
    for path in &entries {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("utf-8 name");
        let source = std::fs::read_to_string(path).expect("readable source");
        let status = expected_exit(&source).unwrap_or_else(|| panic!("{stem}: no expect-exit"));
        let expected = std::fs::read(path.with_extension("expected"))
            .unwrap_or_else(|e| panic!("{stem}.expected: {e}"));
        let stdin = std::fs::read(path.with_extension("stdin")).unwrap_or_default();
        for xlen in widths(stem) {
            runs += 1;
            let (stdout, exit) = run_program(path, xlen, &stdin);
            // A program expecting 139 ends with a segmentation fault (the CLI's exit code).
            let faulted = status == 139 && matches!(exit, ExitReason::Fault { .. });
            if stdout != expected || (exit != ExitReason::Exited(status) && !faulted) {
                failures.push(format!(
                    "{stem} at RV{}: exit {exit:?} (expected {status}), stdout:\n{}",
                    xlen.bits(),
                    String::from_utf8_lossy(&stdout)
                ));
            }
        }
    }
    assert_eq!(failures, Vec::<String>::new());
    assert!(runs >= 20, "only {runs} runs");
}

/// A temporary assembly file holding `source`.
fn temp_source(name: &str, source: &str) -> TempFile {
    TempFile::new("atlas-run", name, source)
}

/// Runs `atlas run ARGS` and returns (exit code, stdout, stderr).
fn atlas_run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .arg("run")
        .args(args)
        .output()
        .expect("atlas runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const START: &str = "    .text\n    .globl _start\n_start:\n";

#[test]
fn an_illegal_instruction_ends_with_its_word_and_code_132() {
    let path = temp_source("illegal.s", &format!("{START}    li a0, 1\n    .word 0\n"));
    let (code, stdout, stderr) = atlas_run(&["-q", path.to_str().expect("utf-8")]);
    assert_eq!((code, stdout.as_str()), (Some(132), ""));
    assert_eq!(
        stderr,
        "atlas: guest fault: illegal instruction\n  \
         pc:          0x10004 <_start+0x4>\n  \
         instruction: 00000000  (not an instruction)\n  \
         reason:      illegal instruction 0x00000000\n"
    );
}

#[test]
fn a_jump_into_nowhere_is_an_instruction_access_fault_with_code_139() {
    let path = temp_source(
        "jump.s",
        &format!("{START}    li a0, 0x40000000\n    jr a0\n"),
    );
    let file = path.to_str().expect("utf-8");
    let (code, _, stderr) = atlas_run(&["-q", "--xlen", "32", "--mmu", "bare", file]);
    assert_eq!(code, Some(139));
    assert_eq!(
        stderr,
        format!(
            "atlas: guest fault: instruction access fault\n  \
             pc:          0x40000000\n  \
             instruction: (no memory at pc)\n  \
             address:     0x40000000\n  \
             last jump:   from 0x10004 <_start+0x4> at {file}:5\n  \
             reason:      instruction access fault: 4-byte fetch at 0x40000000: physical \
             address 0x40000000 is beyond physical memory (size 0x10000000)\n  \
             mmu mode:    bare\n  \
             os:          no translation in bare mode: the address is physical\n"
        )
    );
}

#[test]
fn a_store_beyond_physical_memory_names_the_source_line_and_address() {
    let path = temp_source(
        "store.s",
        &format!("{START}    li a0, 0x1000000\n    sw a0, 8(a0)\n"),
    );
    let file = path.to_str().expect("utf-8");
    let (code, _, stderr) = atlas_run(&["-q", "--phys-mem", "16M", "--mmu", "bare", file]);
    assert_eq!(code, Some(139));
    assert_eq!(
        stderr,
        format!(
            "atlas: guest fault: store/AMO access fault\n  \
             pc:          0x10004 <_start+0x4> at {file}:5\n  \
             instruction: 00a52423  sw\ta0,8(a0)\n  \
             address:     0x1000008\n  \
             reason:      store/AMO access fault: 4-byte store at 0x1000008: physical address \
             0x1000008 is beyond physical memory (size 0x1000000)\n  \
             mmu mode:    bare\n  \
             os:          no translation in bare mode: the address is physical\n"
        )
    );
}

#[test]
fn max_insns_stops_a_runaway_guest_with_code_124() {
    let path = temp_source("spin.s", &format!("{START}    j _start\n"));
    let (code, _, stderr) = atlas_run(&["--max-insns", "5000", path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(124));
    let first = stderr.lines().next();
    assert_eq!(
        first,
        Some(
            "atlas: instruction limit reached: stopped after 5000 instructions (--max-insns 5000)"
        )
    );
    let instructions = stderr
        .lines()
        .find_map(|l| l.strip_prefix("  instructions"))
        .map(str::trim);
    assert_eq!(instructions, Some("5,000"), "report:\n{stderr}");
}

#[test]
fn arguments_after_the_double_dash_reach_the_guest_and_stdout_is_the_guests() {
    // Prints argv[1] (RV64: argv[1] is at sp + 16) and exits with argc.
    let source = format!(
        "{START}    ld a1, 16(sp)\n    mv a2, zero\n\
         1:  add t0, a1, a2\n    lbu t0, 0(t0)\n    beqz t0, 2f\n    addi a2, a2, 1\n    j 1b\n\
         2:  li a0, 1\n    li a7, 64\n    ecall\n    ld a0, 0(sp)\n    li a7, 93\n    ecall\n"
    );
    let path = temp_source("args.s", &source);
    let (code, stdout, stderr) =
        atlas_run(&["-q", path.to_str().expect("utf-8"), "--", "hello", "world"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (Some(3), "hello", "")
    );
}

#[test]
fn the_run_report_names_unknown_syscalls_once() {
    let source = format!(
        "{START}    li a7, 80\n    ecall\n    ecall\n    li a7, 1000\n    ecall\n\
         \x20   li a0, 0\n    li a7, 93\n    ecall\n"
    );
    let path = temp_source("unknown.s", &source);
    let (code, _, stderr) = atlas_run(&[path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0));
    assert_eq!(
        stderr.lines().last(),
        Some("  unknown syscalls (returned -ENOSYS): fstat (80) x2, 1000 x1")
    );
}

#[test]
fn a_missing_file_is_a_host_error() {
    let (code, _, stderr) = atlas_run(&["/nonexistent/prog.s"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr.lines().next(),
        Some("/nonexistent/prog.s: cannot read file: No such file or directory (os error 2)")
    );
}

/// Assembles `source` at `xlen` and runs it through the library API.
fn run_source(source: &str, xlen: Xlen) -> ExitReason {
    let options = Options {
        xlen,
        ..Options::default()
    };
    let image =
        atlas_asm::assemble_str(source, "inline.s", &options).unwrap_or_else(|e| panic!("{e}"));
    let mut streams = CapturedIo::new(b"");
    let mut io = streams.io();
    // Bare mode: no translation cycles, so rdcycle differences are the core's alone.
    let config = OsConfig {
        phys_mem: 16 << 20,
        mmu_mode: Some(atlas_os::MmuMode::Bare),
        ..OsConfig::default()
    };
    run_image(&image, &config, &mut io)
        .unwrap_or_else(|e| panic!("{e}"))
        .exit
}

#[test]
fn rdcycle_rdtime_and_rdinstret_read_the_modelled_counts() {
    // Between the two reads: the first read itself, li, 100 x (addi + bnez), 99 of the
    // branches taken. Instructions: 1 + 1 + 200 = 202. Cycles with the default costs:
    // csr 1 + alu 1 + 100 x alu 1 + 100 x branch 1 + 99 x taken penalty 2 = 400.
    let measure = |first: &str, second: &str, adjust: i32| {
        format!(
            "{START}    {first} s0\n    li t0, 100\n1:  addi t0, t0, -1\n    bnez t0, 1b\n\
             \x20   {second} s1\n    sub a0, s1, s0\n    addi a0, a0, {adjust}\n\
             \x20   li a7, 93\n    ecall\n"
        )
    };
    for xlen in [Xlen::X32, Xlen::X64] {
        let instret = run_source(&measure("rdinstret", "rdinstret", 0), xlen);
        assert_eq!(instret, ExitReason::Exited(202), "RV{}", xlen.bits());
        let cycles = run_source(&measure("rdcycle", "rdcycle", -300), xlen);
        assert_eq!(cycles, ExitReason::Exited(100), "RV{}", xlen.bits());
        let time = run_source(&measure("rdtime", "rdcycle", -300), xlen);
        assert_eq!(time, ExitReason::Exited(100), "RV{}", xlen.bits());
    }
}

#[test]
fn an_elf_file_runs_and_an_explicit_xlen_must_match_its_class() {
    let path = temp_source(
        "elf.s",
        &format!("{START}    li a0, 9\n    li a7, 93\n    ecall\n"),
    );
    let elf = path.with_extension("elf");
    let status = Command::new(env!("CARGO_BIN_EXE_atlas"))
        .args(["asm", "--xlen", "64"])
        .arg(&path)
        .arg("-o")
        .arg(&elf)
        .status()
        .expect("atlas asm runs");
    assert_eq!(status.code(), Some(0));
    let elf_name = elf.to_str().expect("utf-8");
    assert_eq!(
        atlas_run(&["-q", elf_name]),
        (Some(9), String::new(), String::new())
    );
    let (code, _, stderr) = atlas_run(&["-q", "--xlen", "32", elf_name]);
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!("{elf_name}: file is ELFCLASS64 (RV64) but ELFCLASS32 (RV32) was requested\n")
    );
}

#[test]
fn a_misaligned_jump_and_a_breakpoint_end_with_their_codes() {
    let path = temp_source(
        "misaligned-jump.s",
        &format!("{START}    la a0, _start\n    addi a0, a0, 2\n    jr a0\n"),
    );
    let (code, _, stderr) = atlas_run(&["-q", path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(139));
    assert_eq!(
        stderr.lines().next(),
        Some("atlas: guest fault: instruction address misaligned")
    );
    assert_eq!(
        stderr.lines().last(),
        Some(
            "  reason:      jump target 0x10002 is not a multiple of 4 (instruction address \
             misaligned)"
        )
    );

    let path = temp_source("ebreak.s", &format!("{START}    ebreak\n"));
    let (code, _, stderr) = atlas_run(&["-q", path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(133));
    assert_eq!(
        stderr.lines().next(),
        Some("atlas: guest fault: breakpoint")
    );
}
