//! Paged modes through the library: demand paging counted exactly, page tables freed on
//! munmap with exactly the flushes needed, brk and mmap semantics and errors, stack growth
//! and its limit.

use atlas_asm::{assemble_str, Image, Options};
use atlas_isa::Xlen;
use atlas_mmu::FlushKind;
use atlas_os::{run_image, CapturedIo, ExitReason, MmuMode, OsConfig, RunReport};

fn assemble(source: &str, xlen: Xlen) -> Image {
    let options = Options {
        xlen,
        ..Options::default()
    };
    assemble_str(source, "test.s", &options).unwrap_or_else(|e| panic!("{e}"))
}

fn run(image: &Image, mode: MmuMode) -> RunReport {
    let config = OsConfig {
        phys_mem: 16 << 20,
        max_insns: 10_000_000,
        mmu_mode: Some(mode),
        ..OsConfig::default()
    };
    let mut streams = CapturedIo::new(b"");
    let mut io = streams.io();
    run_image(image, &config, &mut io).unwrap_or_else(|e| panic!("{e}"))
}

fn extra(r: &RunReport, key: &str) -> Option<u64> {
    r.mm.extra.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// One store into each of N pages of a page-aligned .bss, then exit(0).
fn touch_pages(n: u32) -> String {
    format!(
        "    .text\n    .globl _start\n_start:\n    la t0, buf\n    li t1, {n}\n\
         1:  sw t1, 0(t0)\n    li t2, 4096\n    add t0, t0, t2\n    addi t1, t1, -1\n\
         \x20   bnez t1, 1b\n    li a0, 0\n    li a7, 93\n    ecall\n\
         \x20   .bss\n    .balign 4096\nbuf:\n    .space {}\n",
        n * 4096
    )
}

#[test]
fn touching_n_pages_costs_exactly_n_faults_n_frames_and_the_tables_above_them() {
    // The text page, 8 .bss pages right after it (all in the first 2 MiB) and the stack
    // page (written when the stack is built, not a fault). Tables: the root, then for each
    // of the two regions (the image near 0, the stack just under the top of the layout) a
    // table per level below the root; the regions part at the root in Sv39 (entries 0 and
    // 255) and Sv32, one level lower in Sv48 and two in Sv57 (shared upper tables).
    let cases = [
        (MmuMode::Sv39, Xlen::X64, 5),
        (MmuMode::Sv48, Xlen::X64, 6),
        (MmuMode::Sv57, Xlen::X64, 7),
        (MmuMode::Sv32, Xlen::X32, 3),
        (MmuMode::Linear, Xlen::X32, 256),
    ];
    for (mode, xlen, tables) in cases {
        let image = assemble(&touch_pages(8), xlen);
        let report = run(&image, mode);
        assert_eq!(report.exit, ExitReason::Exited(0), "{mode}");
        assert_eq!(report.mm.minor_faults, 1 + 8, "{mode}");
        assert_eq!(report.mm.table_frames, tables, "{mode}");
        assert_eq!(report.mm.frames_in_use, 1 + 8 + 1 + tables, "{mode}");
        assert_eq!(report.mm.peak_frames, report.mm.frames_in_use, "{mode}");
        assert_eq!(extra(&report, "resident_pages"), Some(10), "{mode}");
        assert_eq!(report.faults, 9, "{mode}: every fault was a minor fault");
        assert_eq!(report.mm.flushes, 0, "{mode}");
    }
}

/// Maps one page at a hint far from everything else (so it needs its own tables), stores
/// to it, unmaps it, then exits with the value of a7 = 93.
const MAP_FAR_AND_UNMAP: &str = "
    .text
    .globl _start
_start:
    li a0, 0x10
    slli a0, a0, 32
    li a1, 4096
    li a2, 3
    li a3, 0x22
    li a4, -1
    li a5, 0
    li a7, 222
    ecall
    mv s0, a0
    li t0, 7
    sw t0, 0(s0)
    mv a0, s0
    li a1, 4096
    li a7, 215
    ecall
    mv a0, s0
    srli a0, a0, 32
    li a7, 93
    ecall
";

#[test]
fn munmap_frees_the_frame_and_the_tables_that_became_empty_with_one_flush() {
    let image = assemble(MAP_FAR_AND_UNMAP, Xlen::X64);
    let report = run(&image, MmuMode::Sv39);
    // The hint 0x10_0000_0000 was honoured (exit status is its upper half).
    assert_eq!(report.exit, ExitReason::Exited(0x10));
    // Faults: the text page and the mapped page.
    assert_eq!(report.mm.minor_faults, 2);
    // At the peak: text, stack, the mapped page; the root, the image's level-1 and level-0
    // tables, the stack's, and the level-1 and level-0 tables under root entry 64.
    assert_eq!(report.mm.peak_frames, 3 + 7);
    // munmap gave back the page and its two tables: the root and four tables remain.
    assert_eq!(report.mm.frames_in_use, 2 + 5);
    assert_eq!(report.mm.table_frames, 5);
    // Exactly one flush, of that page in the process's address space.
    assert_eq!(report.mm.flushes, 1);
    assert_eq!(report.mmu.flushes_of(FlushKind::VaAsid), 1);
    assert_eq!(report.mmu.flushes_of(FlushKind::All), 0);
}

/// brk(0), brk(+3 pages), touch the last byte, brk(-2 pages), brk(huge): exit with the
/// number of checks that held (5).
const BRK_CHECKS: &str = "
    .text
    .globl _start
_start:
    li s1, 0
    li a0, 0
    li a7, 214
    ecall
    mv s0, a0
    li t1, 4095
    and t0, s0, t1
    bnez t0, 1f
    addi s1, s1, 1
1:  li t0, 0x3000
    add a0, s0, t0
    li a7, 214
    ecall
    li t0, 0x3000
    add t0, s0, t0
    bne a0, t0, 2f
    addi s1, s1, 1
2:  sb s1, -1(a0)
    li t0, 0x1000
    add a0, s0, t0
    li a7, 214
    ecall
    li t0, 0x1000
    add t0, s0, t0
    bne a0, t0, 3f
    addi s1, s1, 1
3:  li a0, -4096
    li a7, 214
    ecall
    li t0, 0x1000
    add t0, s0, t0
    bne a0, t0, 4f
    addi s1, s1, 1
4:  mv a0, s0
    addi a0, a0, -1
    li a7, 214
    ecall
    li t0, 0x1000
    add t0, s0, t0
    bne a0, t0, 5f
    addi s1, s1, 1
5:  mv a0, s1
    li a7, 93
    ecall
";

#[test]
fn brk_has_raw_linux_semantics_and_shrinking_frees_the_touched_page() {
    for (mode, xlen) in [(MmuMode::Sv39, Xlen::X64), (MmuMode::Sv32, Xlen::X32)] {
        let report = run(&assemble(BRK_CHECKS, xlen), mode);
        assert_eq!(report.exit, ExitReason::Exited(5), "{mode}");
        // The touched heap page (the third) was freed by the shrink, with its flush.
        assert_eq!(report.mm.minor_faults, 2, "{mode}: text and one heap page");
        assert_eq!(
            extra(&report, "resident_pages"),
            Some(2),
            "{mode}: text and stack"
        );
        assert_eq!(report.mm.flushes, 1, "{mode}");
    }
}

/// Calls mmap with the arguments in a0..a5 given as `args` and exits with the low byte of
/// the negated result (the errno on failure).
fn mmap_errno(args: [i64; 6], xlen: Xlen) -> ExitReason {
    let source = format!(
        "    .text\n    .globl _start\n_start:\n    li a0, {}\n    li a1, {}\n    li a2, {}\n\
         \x20   li a3, {}\n    li a4, {}\n    li a5, {}\n    li a7, 222\n    ecall\n\
         \x20   neg a0, a0\n    li a7, 93\n    ecall\n",
        args[0], args[1], args[2], args[3], args[4], args[5]
    );
    run(&assemble(&source, xlen), MmuMode::default_for(xlen)).exit
}

#[test]
fn mmap_errors_are_linux_errnos() {
    for xlen in [Xlen::X32, Xlen::X64] {
        let rw = 3;
        let anon = 0x22;
        // Unknown flag bit, no MAP_PRIVATE, MAP_SHARED, zero length, misaligned MAP_FIXED,
        // misaligned offset: EINVAL (22).
        for args in [
            [0, 4096, rw, anon | 0x4000_0000, -1, 0],
            [0, 4096, rw, 0x20, -1, 0],
            [0, 4096, rw, 0x21, -1, 0],
            [0, 0, rw, anon, -1, 0],
            [0x12345, 4096, rw, anon | 0x10, -1, 0],
            [0, 4096, 8, anon, -1, 0],
        ] {
            assert_eq!(mmap_errno(args, xlen), ExitReason::Exited(22), "{args:?}");
        }
        // A file mapping: EBADF (9). More than physical memory: ENOMEM (12).
        assert_eq!(
            mmap_errno([0, 4096, rw, 0x02, 3, 0], xlen),
            ExitReason::Exited(9)
        );
        assert_eq!(
            mmap_errno([0, 32 << 20, rw, anon, -1, 0], xlen),
            ExitReason::Exited(12)
        );
    }
    // RV32 passes the offset in pages (mmap2): 0x800 pages is aligned (and the mapping
    // lands at the top of the mmap area); 0x800 bytes at RV64 is not.
    assert_eq!(
        mmap_errno([0, 4096, 3, 0x22, -1, 0x800], Xlen::X32),
        ExitReason::Exited(0x3f7f_e000u32.wrapping_neg() as i32)
    );
    assert_eq!(
        mmap_errno([0, 4096, 3, 0x22, -1, 0x800], Xlen::X64),
        ExitReason::Exited(22)
    );
}

/// Recurses with 4 KiB frames `depth` times, touching each frame.
fn recurse(depth: u32) -> String {
    format!(
        "    .text\n    .globl _start\n_start:\n    li a0, {depth}\n    call down\n\
         \x20   li a0, 0\n    li a7, 93\n    ecall\n\
         down:\n    li t0, 4096\n    sub sp, sp, t0\n    sw ra, 0(sp)\n    beqz a0, 1f\n\
         \x20   addi a0, a0, -1\n    call down\n1:  lw ra, 0(sp)\n    li t0, 4096\n\
         \x20   add sp, sp, t0\n    ret\n"
    )
}

#[test]
fn the_stack_grows_on_faults_up_to_its_limit() {
    // 100 frames of 4 KiB below the initial stack pointer (in the first stack page):
    // 100 growth faults, each a page.
    let report = run(&assemble(&recurse(100), Xlen::X64), MmuMode::Sv39);
    assert_eq!(report.exit, ExitReason::Exited(0));
    assert_eq!(report.mm.stack_growths, 101);
    assert_eq!(report.mm.minor_faults, 1 + 101);
    // 8 MiB is 2048 pages: deeper recursion runs into the limit. The initial stack pointer
    // is 0x70 below the top (the stack holds argc, argv, envp, auxv, "prog", 16 random
    // bytes), so every frame sits at page offset 0xf90.
    let report = run(&assemble(&recurse(2100), Xlen::X64), MmuMode::Sv39);
    assert!(matches!(report.exit, ExitReason::Fault { .. }));
    assert_eq!(
        report.os_reason.as_deref(),
        Some("no mapping for 0x3fff7fff90 (below the stack limit)")
    );
}

/// Maps a page RW, stores to it, mprotects it to `prot`, then accesses it with `access`
/// (a load or a store instruction on s0); exits with mprotect's result if the access works.
fn protect_then(prot: u32, access: &str) -> String {
    format!(
        "    .text\n    .globl _start\n_start:\n    li a0, 0\n    li a1, 4096\n    li a2, 3\n\
         \x20   li a3, 0x22\n    li a4, -1\n    li a5, 0\n    li a7, 222\n    ecall\n\
         \x20   mv s0, a0\n    sw a1, 0(s0)\n    mv a0, s0\n    li a1, 4096\n    li a2, {prot}\n\
         \x20   li a7, 226\n    ecall\n    mv s1, a0\n    {access}\n    mv a0, s1\n\
         \x20   li a7, 93\n    ecall\n"
    )
}

#[test]
fn mprotect_rewrites_the_resident_pte_and_flushes_it() {
    let top = 0x3f_ff7f_e000u64;
    let cases = [
        (
            1,
            "sw a1, 8(s0)",
            Some(format!("store to a read-only page at {:#x}", top + 8)),
        ),
        (
            0,
            "lw a1, 4(s0)",
            Some(format!(
                "load from a page without read permission at {:#x}",
                top + 4
            )),
        ),
        (
            4,
            "lw a1, 4(s0)",
            Some(format!(
                "load from a page without read permission at {:#x}",
                top + 4
            )),
        ),
        (1, "lw a1, 4(s0)", None),
        (3, "sw a1, 8(s0)", None),
    ];
    for (prot, access, reason) in cases {
        let report = run(
            &assemble(&protect_then(prot, access), Xlen::X64),
            MmuMode::Sv39,
        );
        assert_eq!(report.os_reason, reason, "prot {prot}, {access}");
        match reason {
            Some(_) => assert!(matches!(report.exit, ExitReason::Fault { .. })),
            None => assert_eq!(report.exit, ExitReason::Exited(0)),
        }
        // The page was resident when mprotect ran: one PTE rewrite, one flush.
        assert_eq!(report.mm.flushes, 1, "prot {prot}");
        assert_eq!(report.mmu.flushes_of(FlushKind::VaAsid), 1);
    }
}

#[test]
fn mprotect_and_munmap_check_their_arguments() {
    // mprotect of an unmapped range: ENOMEM; misaligned: EINVAL; munmap of length 0:
    // EINVAL. Exit status: the three errnos packed as 12 + 22 * 2 + 22 * 4 = 144.
    let source = "
    .text
    .globl _start
_start:
    li a0, 0x20000000
    li a1, 4096
    li a2, 1
    li a7, 226
    ecall
    neg s0, a0
    li a0, 0x20000001
    li a1, 4096
    li a2, 1
    li a7, 226
    ecall
    neg a0, a0
    slli a0, a0, 1
    add s0, s0, a0
    li a0, 0x20000000
    li a1, 0
    li a7, 215
    ecall
    neg a0, a0
    slli a0, a0, 2
    add a0, s0, a0
    li a7, 93
    ecall
";
    for (mode, xlen) in [(MmuMode::Sv39, Xlen::X64), (MmuMode::Sv32, Xlen::X32)] {
        let report = run(&assemble(source, xlen), mode);
        assert_eq!(report.exit, ExitReason::Exited(144), "{mode}");
    }
}

#[test]
fn the_os_is_charged_from_its_cost_table() {
    let report = run(&assemble(&touch_pages(8), Xlen::X64), MmuMode::Sv39);
    // Defaults: syscall 100, fault 300, PTE write 4, zeroing a page 512, copying 4 KiB
    // 1024 (per byte, rounded up). The exit call: 100. Nine faults: 2,700. Nine zeroed
    // frames: 4,608. The 11-instruction text (44 bytes) copied: 11. PTE writes: the text
    // page's level-1 and level-0 tables are linked (2) and nine leaves written: 44. The
    // stack page, built before the program starts, is not charged.
    assert_eq!(report.os_cycles, 100 + 2_700 + 4_608 + 11 + 44);
    // The OS's charges are all the core cycles paging adds (translation is the memory
    // system's, counted apart).
    let bare = run(&assemble(&touch_pages(8), Xlen::X64), MmuMode::Bare);
    assert_eq!(bare.os_cycles, 100);
    assert_eq!(
        report.counters.cycles - report.os_cycles,
        bare.counters.cycles - bare.os_cycles
    );
}
