//! `--phys-mem 2M` and a guest that wants 64 MiB, in base-bounds and segmented modes: mmap
//! answers `-ENOMEM`, brk returns the old break, and a stack that cannot grow ends the run
//! with the out-of-memory report. Never a host panic.

use atlas_asm::{assemble_str, Options};
use atlas_isa::Xlen;
use atlas_os::{run_image, ExitReason, GuestIo, MmuMode, OsConfig, RunReport};

const MODES: [MmuMode; 2] = [MmuMode::BaseBounds, MmuMode::Segmented];

fn run(source: &str, xlen: Xlen, mode: MmuMode) -> (RunReport, String) {
    let options = Options {
        xlen,
        ..Options::default()
    };
    let image = assemble_str(source, "oom.s", &options).expect("assembles");
    let config = OsConfig {
        phys_mem: 2 << 20,
        mmu_mode: Some(mode),
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

/// mmap(64 MiB) and touch each page; exit 12 if mmap fails with -ENOMEM (-12).
const MMAP_64M: &str = "
    .text
    .globl _start
_start:
    li a0, 0
    li a1, 0x4000000
    li a2, 3
    li a3, 0x22
    li a4, -1
    li a5, 0
    li a7, 222
    ecall
    li t0, -12
    beq a0, t0, enomem
    li t1, 0x4000000
    add t1, a0, t1
touch:
    sw zero, 0(a0)
    li t2, 4096
    add a0, a0, t2
    bltu a0, t1, touch
    li a0, 0
    li a7, 93
    ecall
enomem:
    li a0, 12
    li a7, 93
    ecall
";

/// Grows the break 1 MiB at a time, touching each new page, until brk refuses (returns
/// the old break) or 64 MiB are reached; exits with the number of MiB obtained.
const BRK_64M: &str = "
    .text
    .globl _start
_start:
    li a0, 0
    li a7, 214
    ecall
    mv s0, a0
    mv s1, a0
    li s2, 0
grow:
    li t0, 0x100000
    add a0, s1, t0
    li a7, 214
    ecall
    beq a0, s1, done
    mv t1, s1
    mv s1, a0
touch:
    sw zero, 0(t1)
    li t2, 4096
    add t1, t1, t2
    bltu t1, s1, touch
    addi s2, s2, 1
    li t0, 64
    blt s2, t0, grow
done:
    mv a0, s2
    li a7, 93
    ecall
";

/// Recursion 64 bytes a frame, 1 Mi frames deep: 64 MiB of stack.
const STACK_64M: &str = "
    .text
    .globl _start
_start:
    li a0, 0x100000
    call down
    li a0, 0
    li a7, 93
    ecall
down:
    addi sp, sp, -64
    sw ra, 0(sp)
    addi a0, a0, -1
    beqz a0, back
    call down
back:
    lw ra, 0(sp)
    addi sp, sp, 64
    ret
";

#[test]
fn mmap_of_64_mib_is_enomem() {
    for mode in MODES {
        for xlen in [Xlen::X32, Xlen::X64] {
            let (report, _) = run(MMAP_64M, xlen, mode);
            assert_eq!(report.exit, ExitReason::Exited(12), "{mode} {xlen:?}");
        }
    }
}

#[test]
fn brk_stops_at_the_memory_limit() {
    // Segmented: code segment 0x11000 and a 16 KiB stack leave 0x1eb000 bytes, so one
    // MiB of heap fits and two do not. Base-bounds: the region (image, 512 KiB stack
    // reserve, 0x91000 bytes) cannot be copied to a larger one (old and new do not fit
    // together), so it grows in place: one MiB fits, two do not.
    for xlen in [Xlen::X32, Xlen::X64] {
        let (report, _) = run(BRK_64M, xlen, MmuMode::Segmented);
        assert_eq!(report.exit, ExitReason::Exited(1), "{xlen:?}");
        let (report, _) = run(BRK_64M, xlen, MmuMode::BaseBounds);
        assert_eq!(report.exit, ExitReason::Exited(1), "{xlen:?}");
    }
}

#[test]
fn a_stack_beyond_memory_is_the_out_of_memory_report() {
    // The stack takes every page but the code segment's 0x11000 bytes: 0x1ef000 bytes;
    // the fault that needs one page more ends the run.
    for xlen in [Xlen::X32, Xlen::X64] {
        let (report, _) = run(STACK_64M, xlen, MmuMode::Segmented);
        // At `sw ra, 0(sp)` in `down`, the first frame below 0x1ef000 bytes: 0x1ef040 or
        // 0x1ef030 below the top (the initial stack's size depends on the width, so the
        // 64-byte frames fall differently).
        let depth = match xlen {
            Xlen::X32 => 0x1ef040,
            Xlen::X64 => 0x1ef030,
        };
        let exit = ExitReason::OutOfMemory {
            pc: 0x1001c,
            va: 0x1_0000_0000 - depth,
        };
        assert_eq!(report.exit, exit, "{xlen:?}");
        assert_eq!(
            report.os_reason.as_deref(),
            Some("no physical memory to grow the stack segment to 0x1f0000 bytes")
        );
    }
}
