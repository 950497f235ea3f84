//! The pre-lowered blocks of the decoded-instruction cache against the slow reference
//! (`step` alone, the cache off): a block cut by the instruction budget, a misaligned jump at
//! a block's end, a faulting load inside a block, a store into the running block. Every
//! counter, cycle, register, trap and pc must be the same, and is pinned to its value.

use crate::fastpath::addi_a0;
use atlas_asm::{assemble_str, Image, Options};
use atlas_cpu::{Trap, Word};
use atlas_isa::{encode, CostClass, Inst, Reg, Xlen};
use atlas_mmu::{AccessKind, Bus};
use atlas_os::{CapturedIo, ExitReason, MmuMode, OsConfig, Process, RunReport};

/// Everything a run can be observed by.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    report: RunReport,
    regs: Vec<u64>,
    pc: u64,
    bus_cycles: u64,
    /// The address of the last jump or taken branch.
    last_jump: Option<u64>,
}

/// How the hart runs: `step` alone, blocks interpreted, or loop blocks as native code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Step,
    Blocks,
    Native,
}

fn run_as<X: Word>(image: &Image, config: &OsConfig, engine: Engine) -> Outcome {
    let mut process = Process::<X>::load(image, config).unwrap_or_else(|e| panic!("{e}"));
    process.cpu_mut().set_icache(engine != Engine::Step);
    process.cpu_mut().set_jit(engine == Engine::Native);
    let mut streams = CapturedIo::new(&[]);
    let mut io = streams.io();
    let exit = process.run(&mut io, config.max_insns);
    Outcome {
        regs: Reg::ALL.iter().map(|&r| process.cpu().reg(r)).collect(),
        pc: process.cpu().pc(),
        bus_cycles: process.bus().cycles(),
        last_jump: process.cpu().last_jump_from(),
        report: process.report(exit),
    }
}

/// Runs `image` with the blocks (cache on), with their loops as native code, and with
/// `step` alone (cache off), asserts the three identical and returns the outcome.
fn same(image: &Image, config: &OsConfig, what: &str) -> Outcome {
    let run = |engine| match image.xlen {
        Xlen::X32 => run_as::<u32>(image, config, engine),
        Xlen::X64 => run_as::<u64>(image, config, engine),
    };
    let blocks = run(Engine::Blocks);
    assert_eq!(
        blocks,
        run(Engine::Step),
        "{what}: blocks and step disagree"
    );
    assert_eq!(
        blocks,
        run(Engine::Native),
        "{what}: native loops and blocks disagree"
    );
    blocks
}

fn assemble(source: &str, xlen: Xlen) -> Image {
    let options = Options {
        xlen,
        ..Options::default()
    };
    assemble_str(source, "blocks.s", &options).unwrap_or_else(|e| panic!("{e:?}\n{source}"))
}

fn symbol(image: &Image, name: &str) -> u64 {
    image
        .symbols
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no symbol {name}"))
        .addr
}

fn config(mode: MmuMode, max_insns: u64) -> OsConfig {
    OsConfig {
        phys_mem: 32 << 20,
        max_insns,
        mmu_mode: Some(mode),
        ..OsConfig::default()
    }
}

/// Bare mode and the paged mode of each width.
fn machines() -> [(Xlen, MmuMode); 4] {
    [
        (Xlen::X32, MmuMode::Bare),
        (Xlen::X32, MmuMode::Sv32),
        (Xlen::X64, MmuMode::Bare),
        (Xlen::X64, MmuMode::Sv39),
    ]
}

/// Four passes of a seven-instruction block with a load and a store in it.
const LOOP: &str = "    .text
    .globl _start
_start:
    la s1, buf
    li s0, 4
loop:
    addi a1, a1, 3
    lw a2, 0(s1)
    add a2, a2, a1
    sw a2, 0(s1)
    xor a3, a3, a2
    addi s0, s0, -1
    bnez s0, loop
    mv a0, a3
    li a7, 93
    ecall
    .data
buf:
    .word 5
";

#[test]
fn a_budget_ending_inside_a_block_stops_after_exactly_that_many_instructions() {
    // 3 before the loop, 4 passes of 7, then mv, li and the exit ecall.
    let total = 3 + 4 * 7 + 3;
    for (xlen, mode) in machines() {
        let image = assemble(LOOP, xlen);
        let looping = symbol(&image, "loop");
        for max in 1..=total + 1 {
            let out = same(&image, &config(mode, max), &format!("{mode:?} max {max}"));
            if max < total {
                assert_eq!(out.report.exit, ExitReason::InstructionLimit);
                assert_eq!(out.report.counters.instret, max, "{mode:?} max {max}");
            } else {
                assert_eq!(out.report.counters.instret, total, "{mode:?} max {max}");
                // buf: 5 + 3, + 6, + 9, + 12 -> a3 = 8 ^ 14 ^ 23 ^ 35.
                assert_eq!(out.report.exit, ExitReason::Exited(8 ^ 14 ^ 23 ^ 35));
            }
        }
        // Stopped in the second pass, before its `add`: two of its instructions ran.
        let out = same(&image, &config(mode, 3 + 7 + 2), "second pass");
        assert_eq!(out.pc, looping + 8);
        assert_eq!(out.report.counters.loads, 2);
        assert_eq!(out.report.counters.stores, 1);
        assert_eq!(out.regs[Reg::A1 as usize], 6);
        assert_eq!(out.regs[Reg::A2 as usize], 8, "the second load's value");
    }
}

/// Five passes of a register-only loop with a branch over one instruction in it: every
/// pass but the last keeps the `addi a2`, the last skips it.
const REGISTER_LOOP: &str = "    .text
    .globl _start
_start:
    li s0, 5
    li a1, 0
    li a2, 0
loop:
    addi a1, a1, 7
    andi t0, a1, 4
    beqz t0, 1f
    addi a2, a2, 1
1:
    addi s0, s0, -1
    bnez s0, loop
    add a0, a1, a2
    li a7, 93
    ecall
";

#[test]
fn a_loop_back_to_its_own_entry_runs_again_in_place_and_stops_at_any_budget() {
    // 3 before the loop, 4 passes of 6 and a last of 5, then add, li and the exit ecall.
    let total = 3 + 4 * 6 + 5 + 3;
    for (xlen, mode) in machines() {
        let image = assemble(REGISTER_LOOP, xlen);
        let looping = symbol(&image, "loop");
        for max in 1..=total + 1 {
            let out = same(&image, &config(mode, max), &format!("{mode:?} max {max}"));
            assert_eq!(
                out.report.counters.instret,
                max.min(total),
                "{mode:?} max {max}"
            );
        }
        let out = same(&image, &config(mode, total), "whole run");
        // a1 = 35 after five passes of 7; 7, 14, 21 and 28 have bit 2 set, 35 has not.
        assert_eq!(out.report.exit, ExitReason::Exited(35 + 4));
        // Four loop-backs and the last pass's skip.
        assert_eq!(out.report.counters.taken_branches, 5);
        assert_eq!(out.last_jump, Some(looping + 8), "the last pass's beqz");
        // Stopped after two whole passes and the first three instructions of the third.
        let out = same(&image, &config(mode, 3 + 2 * 6 + 3), "third pass");
        assert_eq!(out.pc, looping + 12);
        assert_eq!(out.regs[Reg::A1 as usize], 21);
        assert_eq!(out.regs[Reg::A2 as usize], 2);
        assert_eq!(out.report.counters.taken_branches, 2);
    }
}

/// Three passes; the last jumps through a register to `loop + 2`.
const MISALIGNED: &str = "    .text
    .globl _start
_start:
    la t0, loop
    li s0, 3
loop:
    addi a0, a0, 1
    addi s0, s0, -1
    bnez s0, jump
    addi t0, t0, 2
jump:
    jalr a1, 0(t0)
";

#[test]
fn a_misaligned_jump_ending_a_block_traps_on_the_jump_unretired() {
    for (xlen, mode) in machines() {
        let image = assemble(MISALIGNED, xlen);
        let (looping, jump) = (symbol(&image, "loop"), symbol(&image, "jump"));
        let out = same(&image, &config(mode, 1000), &format!("{mode:?}"));
        assert_eq!(
            out.report.exit,
            ExitReason::Fault {
                trap: Trap::MisalignedFetch {
                    target: looping + 2
                },
                pc: jump,
                word: Some(encode(&Inst::Jalr {
                    rd: Reg::A1,
                    rs1: Reg::T0,
                    offset: 0
                })),
                // The jump of the second pass; the third pass's branch fell through.
                jumped_from: Some(jump),
            },
            "{mode:?}"
        );
        // 3 before the loop, two passes of 4, then 4 of the third: the jump is not retired.
        assert_eq!(out.report.counters.instret, 3 + 2 * 4 + 4);
        assert_eq!(out.report.counters.taken_branches, 2);
        assert_eq!(out.pc, jump);
        assert_eq!(out.regs[Reg::A0 as usize], 3);
        assert_eq!(
            out.regs[Reg::A1 as usize],
            jump + 4,
            "linked by the second pass only"
        );
    }
}

/// A loop whose load follows a pointer from a table; the fourth pointer is `BAD`.
fn faulting(bad: u64) -> String {
    format!(
        "    .text
    .globl _start
_start:
    la s2, table
    li s0, 5
loop:
    lw s1, 0(s2)
    addi s2, s2, 4
fault:
    lw a1, 0(s1)
    add a0, a0, a1
    addi s0, s0, -1
    bnez s0, loop
    li a7, 93
    ecall
    .data
table:
    .word buf, buf, buf, {bad}
buf:
    .word 7
"
    )
}

/// An address a load faults on in `mode`: beyond physical memory in bare mode, the
/// unmapped page 0 in the paged modes.
fn unreachable_address(mode: MmuMode) -> u64 {
    if mode == MmuMode::Bare {
        0x7ff_0000
    } else {
        0x10
    }
}

#[test]
fn a_faulting_load_inside_a_block_traps_at_the_load_after_the_instructions_before_it() {
    for (xlen, mode) in machines() {
        let bad = unreachable_address(mode);
        let image = assemble(&faulting(bad), xlen);
        let fault = symbol(&image, "fault");
        let out = same(&image, &config(mode, 1000), &format!("{mode:?}"));
        let ExitReason::Fault { trap, pc, .. } = out.report.exit else {
            panic!("{mode:?}: {:?}", out.report.exit);
        };
        assert_eq!(pc, fault, "{mode:?}");
        assert_eq!(out.pc, fault);
        let Trap::Memory(access) = trap else {
            panic!("{mode:?}: {trap:?}");
        };
        assert_eq!(
            (access.va, access.kind, access.size),
            (bad, AccessKind::Load, 4)
        );
        // 3 before the loop, three passes of 6, then the pointer load and the `addi`.
        assert_eq!(out.report.counters.instret, 3 + 3 * 6 + 2, "{mode:?}");
        assert_eq!(out.report.counters.loads, 3 * 2 + 1);
        assert_eq!(
            out.regs[Reg::A0 as usize],
            21,
            "the add after the fault did not run"
        );
    }
}

#[test]
fn a_store_into_the_running_block_changes_the_very_next_instruction() {
    // The block from `_start` holds the store and the instruction it rewrites, right after
    // it; the rewritten one must run on the first pass already.
    let source = format!(
        "    .text
    .globl _start
_start:
    la t0, patch
    li t1, {word}
    li s0, 2
loop:
    sw t1, 0(t0)
patch:
    addi a0, a0, 1
    addi s0, s0, -1
    bnez s0, loop
    li a7, 93
    ecall
",
        word = addi_a0(100) as i32
    );
    for xlen in [Xlen::X32, Xlen::X64] {
        let image = assemble(&source, xlen);
        let out = same(&image, &config(MmuMode::Bare, 1000), &format!("{xlen:?}"));
        assert_eq!(out.report.exit, ExitReason::Exited(200), "{xlen:?}");
        assert_eq!(out.report.counters.stores, 2);
    }
}

/// A loop with an `if` in it: the branch over the `if`'s body is a side exit of the loop's
/// block, taken on the odd passes.
const SIDE_EXIT: &str = "    .text
    .globl _start
_start:
    li s0, 6
loop:
    andi t0, s0, 1
    bnez t0, skip
    addi a0, a0, 10
    mul a1, a0, a0
skip:
    addi s0, s0, -1
    bnez s0, loop
    li a7, 93
    ecall
";

#[test]
fn a_side_exit_retires_only_the_instructions_before_it() {
    for (xlen, mode) in machines() {
        let image = assemble(SIDE_EXIT, xlen);
        let out = same(&image, &config(mode, 1000), &format!("{mode:?}"));
        assert_eq!(out.report.exit, ExitReason::Exited(30), "{mode:?}");
        let c = &out.report.counters;
        // 1, three passes of 6 (even s0), three of 4 (odd s0, the side exit), 2.
        assert_eq!(c.instret, 1 + 3 * 6 + 3 * 4 + 2);
        assert_eq!(c.of(CostClass::Mul), 3);
        assert_eq!(c.of(CostClass::Branch), 6 * 2);
        assert_eq!(c.of(CostClass::Alu), 1 + 6 + 3 + 6 + 1);
        assert_eq!(c.of(CostClass::System), 1);
        assert_eq!(c.taken_branches, 3 + 5);
        assert_eq!(out.regs[Reg::A1 as usize], 900);
        // Cut in the middle of an even pass and of an odd one.
        for max in [1 + 6 + 3, 1 + 6 + 4 + 2] {
            let out = same(&image, &config(mode, max), &format!("{mode:?} max {max}"));
            assert_eq!(out.report.counters.instret, max);
        }
    }
}

/// Six passes of a loop with an `if` inside: the branch jumps forward within the block when
/// the loaded word is zero (words 1, 0, 1, 1, 0, 1), and the loop's branch back to the
/// entry runs the block again. In the fault variant the word loaded after the join comes
/// through a pointer table whose fifth pointer (a pass that skips) is `BAD`.
fn skipping(bad: Option<u64>) -> String {
    let join_load = if bad.is_some() {
        "    lw t1, 0(s2)\n    addi s2, s2, 4\njoin_load:\n    lw a4, 0(t1)\n"
    } else {
        ""
    };
    let bad = bad.unwrap_or(0);
    format!(
        "    .text
    .globl _start
_start:
    la s1, words
    la s2, pointers
    li s0, 6
loop:
    lw a2, 0(s1)
    addi s1, s1, 4
    beqz a2, join
    addi a0, a0, 10
    mul a3, a0, a2
join:
{join_load}    addi s0, s0, -1
    bnez s0, loop
    li a7, 93
    ecall
    .data
words:
    .word 1, 0, 1, 1, 0, 1
pointers:
    .word words, words, words, words, {bad}, words
"
    )
}

#[test]
fn a_branch_forward_within_a_block_retires_only_what_ran() {
    // 5 before the loop; passes of 7 (word 1) or 5 (word 0, the `if` skipped); li, ecall.
    let total = 5 + 4 * 7 + 2 * 5 + 2;
    for (xlen, mode) in machines() {
        let image = assemble(&skipping(None), xlen);
        for max in 1..=total + 1 {
            let out = same(&image, &config(mode, max), &format!("{mode:?} max {max}"));
            let want = if max < total {
                ExitReason::InstructionLimit
            } else {
                ExitReason::Exited(40)
            };
            assert_eq!(out.report.exit, want, "{mode:?} max {max}");
            assert_eq!(
                out.report.counters.instret,
                max.min(total),
                "{mode:?} max {max}"
            );
        }
        let out = same(&image, &config(mode, 1000), &format!("{mode:?}"));
        // Two `if`s skipped and five branches back to the loop.
        assert_eq!(out.report.counters.taken_branches, 2 + 5, "{mode:?}");
        assert_eq!(out.report.counters.per_class[CostClass::Mul as usize], 4);
        assert_eq!(out.report.counters.loads, 6);
    }
}

#[test]
fn a_fault_after_a_skip_in_the_same_run_retires_what_ran_before_it() {
    for (xlen, mode) in machines() {
        let bad = unreachable_address(mode);
        let image = assemble(&skipping(Some(bad)), xlen);
        let join_load = symbol(&image, "join_load");
        let out = same(&image, &config(mode, 1000), &format!("{mode:?}"));
        let ExitReason::Fault { trap, pc, .. } = out.report.exit else {
            panic!("{mode:?}: {:?}", out.report.exit);
        };
        assert_eq!((pc, out.pc), (join_load, join_load), "{mode:?}");
        let Trap::Memory(access) = trap else {
            panic!("{mode:?}: {trap:?}");
        };
        assert_eq!((access.va, access.kind), (bad, AccessKind::Load));
        // 5 before the loop; passes of 10 (word 1) or 8 (word 0): words 1, 0, 1, 1; then
        // the fifth pass (word 0) up to the faulting load: lw, addi, beqz, lw, addi.
        assert_eq!(out.report.counters.instret, 5 + 3 * 10 + 8 + 5, "{mode:?}");
        assert_eq!(out.report.counters.taken_branches, 1 + 4 + 1, "{mode:?}");
        assert_eq!(out.regs[Reg::A0 as usize], 30);
    }
}

/// Six passes over the words 3, 0, 7, 0, 0, 5 with two `if`s of one instruction each: a
/// count of the zeros (`bnez` over an `addi`) and a running maximum (`blt` over a `mv`).
/// Blocks run both branches as branch-over-one ops (results kept or dropped by selects).
const BRANCH_OVER_ONE: &str = "    .text
    .globl _start
_start:
    la s1, words
    li s0, 6
loop:
    lw a2, 0(s1)
    addi s1, s1, 4
    bnez a2, nonzero
    addi a0, a0, 1
nonzero:
    blt a2, a1, smaller
    mv a1, a2
smaller:
    addi s0, s0, -1
    bnez s0, loop
    slli a0, a0, 4
    add a0, a0, a1
    li a7, 93
    ecall
    .data
words:
    .word 3, 0, 7, 0, 0, 5
";

#[test]
fn a_branch_over_one_instruction_keeps_or_drops_it_exactly() {
    // 3 before the loop; passes of 6, plus the count for a zero and the `mv` for a new
    // maximum (3: mv; 0: count; 7: mv; 0; 0; 5: neither): 7 + 7 + 7 + 7 + 7 + 6; then 4.
    let total = 3 + 41 + 4;
    for (xlen, mode) in machines() {
        let image = assemble(BRANCH_OVER_ONE, xlen);
        let out = same(&image, &config(mode, 1000), &format!("{mode:?}"));
        // Three zeros, maximum 7.
        assert_eq!(out.report.exit, ExitReason::Exited(3 * 16 + 7), "{mode:?}");
        let c = &out.report.counters;
        assert_eq!(c.instret, total, "{mode:?}");
        // `bnez a2` taken for 3, 7 and 5; `blt` for 0, 0, 0 and 5; five loops back.
        assert_eq!(c.taken_branches, 3 + 4 + 5, "{mode:?}");
        assert_eq!(c.of(CostClass::Branch), 6 * 3, "{mode:?}");
        assert_eq!(c.of(CostClass::Load), 6, "{mode:?}");
        assert_eq!(c.of(CostClass::Alu), 3 + 6 * 2 + 3 + 2 + 2 + 1, "{mode:?}");
        // The last taken branch is the sixth pass's `blt` (5 < 7; the loop then falls out).
        assert_eq!(out.last_jump, Some(symbol(&image, "nonzero")), "{mode:?}");
        for max in 1..=total + 1 {
            let out = same(&image, &config(mode, max), &format!("{mode:?} max {max}"));
            assert_eq!(
                out.report.counters.instret,
                max.min(total),
                "{mode:?} {max}"
            );
        }
    }
}
