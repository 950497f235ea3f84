//! Compiled loops run against the registers, counts and access calls they must give.

use super::*;

const COUNTER: Reg = Reg::T0;

/// `loop: addi a0, a0, 3; [extra]; addi t0, t0, -1; bne t0, zero, loop; <end>`.
fn counting_loop(extra: Option<LoopOp>, end: LoopOp) -> Vec<LoopOp> {
    let mut body = vec![LoopOp::AluImm {
        op: AluImmOp::Addi,
        rd: Reg::A0,
        rs1: Reg::A0,
        imm: 3,
    }];
    body.extend(extra);
    looping(body, end)
}

/// `loop: <body>; addi t0, t0, -1; bne t0, zero, loop; <end>`.
fn looping(mut ops: Vec<LoopOp>, end: LoopOp) -> Vec<LoopOp> {
    ops.push(LoopOp::AluImm {
        op: AluImmOp::Addi,
        rd: COUNTER,
        rs1: COUNTER,
        imm: -1,
    });
    let len = ops.len() as u32 + 1;
    ops.push(LoopOp::Branch {
        op: BranchOp::Bne,
        rs1: COUNTER,
        rs2: Reg::Zero,
        exit: 0,
        taken: Taken::Loop { len },
    });
    ops.push(end);
    ops
}

/// Memory that lends nothing, so every access comes back through its function, and
/// records what each call was: (op, store, size, signed, address, value).
#[derive(Default)]
struct Recording {
    calls: Vec<(usize, bool, u8, bool, u64, u64)>,
}

impl LoopMemory for Recording {
    fn load<const SIZE: u8, const SIGNED: bool>(&mut self, op: usize, addr: u64) -> Access {
        self.calls.push((op, false, SIZE, SIGNED, addr, 0));
        Access::go_on(op as u64)
    }

    fn store<const SIZE: u8>(&mut self, op: usize, addr: u64, value: u64) -> Access {
        self.calls.push((op, true, SIZE, false, addr, value));
        Access::go_on(0)
    }

    fn direct(&mut self) -> Option<DirectMemory<'_>> {
        None
    }
}

#[test]
fn each_load_and_store_calls_the_function_of_its_own_kind_and_size() {
    // Every kind of access, each at its own offset from a0: loads into a1, stores of a2.
    let shapes: Vec<(bool, u8, bool)> = [1, 2, 4, 8]
        .into_iter()
        .flat_map(|size| {
            [
                (false, size, false),
                (false, size, true),
                (true, size, false),
            ]
        })
        .collect();
    let accesses = shapes
        .iter()
        .enumerate()
        .map(|(k, &(store, size, signed))| {
            let imm = 16 * k as i32;
            if store {
                LoopOp::Store {
                    rs1: Reg::A0,
                    rs2: Reg::A2,
                    imm,
                    size,
                }
            } else {
                LoopOp::Load {
                    rd: Reg::A1,
                    rs1: Reg::A0,
                    imm,
                    size,
                    signed,
                }
            }
        });
    let ops = looping(accesses.collect(), LoopOp::Fall);
    let len = ops.len() as u32 - 1;
    let code = LoopCode::compile(&ops, len, Xlen::X64).expect("compiles");
    let mut regs = [0u64; 32];
    regs[COUNTER.num() as usize] = 1;
    regs[Reg::A0.num() as usize] = 0x1000;
    regs[Reg::A2.num() as usize] = 0xabcd;
    let mut memory = Recording::default();
    let stopped = code.run_with(&mut regs, &mut LoopState::new(100, 0), &mut memory);
    assert_eq!(stopped, Some(Stopped::At(ops.len() - 1)));
    let expected: Vec<_> = shapes
        .iter()
        .enumerate()
        .map(|(k, &(store, size, signed))| {
            let value = if store { 0xabcd } else { 0 };
            (k, store, size, signed, 0x1000 + 16 * k as u64, value)
        })
        .collect();
    assert_eq!(memory.calls, expected);
    // The last load's value (its op index) is in a1.
    assert_eq!(regs[Reg::A1.num() as usize], 10);
}

#[test]
fn a_counting_loop_runs_to_its_fall_through_counting_each_run() {
    let ops = counting_loop(None, LoopOp::Fall);
    let code = LoopCode::compile(&ops, 3, Xlen::X64).expect("compiles");
    assert_eq!(code.resume_at(), None);
    let mut regs = [0u64; 32];
    regs[COUNTER.num() as usize] = 5;
    regs[Reg::A0.num() as usize] = u64::MAX - 1;
    let mut state = LoopState::new(100, 0x1000);
    // Four runs loop back; the fifth falls through to the `Fall` at op 3.
    assert_eq!(code.run(&mut regs, &mut state), Some(3));
    assert_eq!(regs[Reg::A0.num() as usize], 13);
    assert_eq!(regs[COUNTER.num() as usize], 0);
    assert_eq!(
        (state.budget, state.taken, state.last_taken),
        (100 - 4 * 3, 4, 3)
    );
    assert_eq!(state.runs[0], 4);
    // The same code on 32-bit registers is refused, having run nothing.
    let mut narrow = [0u32; 32];
    assert_eq!(
        code.run(&mut narrow, &mut LoopState::new(100, 0x1000)),
        None
    );
}

/// One pass of every shape `Emitter::in_place` handles (and the `sub` it leaves to
/// `rax`), each source and destination held in a host register.
fn in_place_forms() -> Vec<LoopOp> {
    use AluOp::{Add, And, Mul, Or, Sub, Xor};
    let alu = |op, rd, rs1, rs2| LoopOp::Alu { op, rd, rs1, rs2 };
    let imm = |op, rd, rs1, imm| LoopOp::AluImm { op, rd, rs1, imm };
    let body = vec![
        alu(Add, Reg::A0, Reg::A0, Reg::A1),
        alu(Sub, Reg::A2, Reg::A1, Reg::A2),
        alu(Sub, Reg::A3, Reg::A3, Reg::A1),
        alu(Xor, Reg::A4, Reg::A1, Reg::A5),
        alu(Mul, Reg::A5, Reg::A1, Reg::A5),
        alu(Or, Reg::A6, Reg::Zero, Reg::A1),
        alu(And, Reg::A7, Reg::A1, Reg::Zero),
        imm(AluImmOp::Addi, Reg::S2, Reg::A1, 0),
        imm(AluImmOp::Andi, Reg::S2, Reg::S2, -16),
        imm(AluImmOp::Xori, Reg::S3, Reg::A1, -1),
        LoopOp::ShiftImm {
            op: ShiftImmOp::Srai,
            rd: Reg::S4,
            rs1: Reg::A1,
            shamt: 3,
        },
        LoopOp::ShiftImm {
            op: ShiftImmOp::Slli,
            rd: Reg::S4,
            rs1: Reg::S4,
            shamt: 1,
        },
    ];
    looping(body, LoopOp::Fall)
}

/// The registers `in_place_forms` leaves, from a0..a7 = `start`, computed at `mask`'s
/// width (its results sign-extended from bit 31 at RV32 by `narrow`).
fn in_place_expected(start: [u64; 8], mask: u64, narrow: bool) -> [u64; 11] {
    let [a0, a1, a2, a3, _, a5, _, _] = start;
    let sra = if narrow {
        (i64::from(a1 as u32 as i32) >> 3) as u64
    } else {
        (a1 as i64 >> 3) as u64
    };
    [
        a0.wrapping_add(a1),
        a1.wrapping_sub(a2),
        a3.wrapping_sub(a1),
        a1 ^ a5,
        a1.wrapping_mul(a5),
        a1,
        0,
        a1 & !15,
        !a1,
        sra << 1,
        0,
    ]
    .map(|v| v & mask)
}

/// The registers [`in_place_forms`] leaves, compiled for `W`'s width and run once from
/// a0..a7 = `start` (each cut to the width by `word`), in [`in_place_expected`]'s order.
fn run_in_place<W: GuestWord + Default + Into<u64>>(
    start: [u64; 8],
    word: impl Fn(u64) -> W,
) -> [u64; 11] {
    let ops = in_place_forms();
    let len = ops.len() as u32 - 1;
    let code = LoopCode::compile(&ops, len, W::WIDTH).expect("compiles");
    let mut regs = [W::default(); 32];
    // a0..a7 are x10..x17.
    for (r, v) in Reg::ALL[10..18].iter().zip(start) {
        regs[r.num() as usize] = word(v);
    }
    regs[COUNTER.num() as usize] = word(1);
    let mut state = LoopState::new(100, 0x1000);
    assert_eq!(code.run(&mut regs, &mut state), Some(ops.len() - 1));
    let out = [
        Reg::A0,
        Reg::A2,
        Reg::A3,
        Reg::A4,
        Reg::A5,
        Reg::A6,
        Reg::A7,
        Reg::S2,
        Reg::S3,
        Reg::S4,
        COUNTER,
    ];
    out.map(|r| regs[r.num() as usize].into())
}

#[test]
fn ops_computed_in_their_destination_register_give_the_instructions_results() {
    let start: [u64; 8] = [
        0x7fff_ffff_ffff_fff0,
        0x8000_0000_9876_5431,
        5,
        0x1234_5678_9abc_def0,
        0xf0f0_f0f0_0f0f_0f0f,
        0xffff_ffff_ffff_fffd,
        0x55,
        0xaa,
    ];
    assert_eq!(
        run_in_place(start, |v| v),
        in_place_expected(start, u64::MAX, false)
    );
    assert_eq!(
        run_in_place(start, |v| v as u32),
        in_place_expected(start, u64::from(u32::MAX), true)
    );
}

#[test]
fn the_budget_stops_the_loop_at_its_branch_back() {
    let ops = counting_loop(None, LoopOp::Fall);
    let code = LoopCode::compile(&ops, 3, Xlen::X32).expect("compiles");
    let mut regs = [0u32; 32];
    regs[COUNTER.num() as usize] = 50;
    // 10 holds three runs, but after the third only 1 would be left, less than a
    // block: the code returns at the third run's branch back, that run taken and
    // counted in `taken` and `last_taken`, not in `runs` or the budget (the caller
    // retires it, as the op loop does).
    let mut state = LoopState::new(10, 0x1000);
    assert_eq!(code.run(&mut regs, &mut state), Some(2));
    assert_eq!(regs[Reg::A0.num() as usize], 9);
    assert_eq!((state.budget, state.runs[0], state.taken), (4, 2, 3));
    // Less than a block: nothing runs.
    let mut state = LoopState::new(2, 0x1000);
    assert_eq!(code.run(&mut regs, &mut state), None);
    assert_eq!(state, LoopState::new(2, 0x1000));
}

#[test]
fn code_stops_before_the_first_op_it_does_not_cover() {
    let ops = counting_loop(None, LoopOp::Other);
    let code = LoopCode::compile(&ops, 4, Xlen::X64).expect("compiles");
    assert_eq!(code.resume_at(), Some(3));
    let mut regs = [0u64; 32];
    regs[COUNTER.num() as usize] = 2;
    let mut state = LoopState::new(100, 0x1000);
    assert_eq!(code.run(&mut regs, &mut state), Some(3));
    assert_eq!(regs[Reg::A0.num() as usize], 6);
    // The same op ahead of the branch back leaves no loop to compile.
    let ops = counting_loop(Some(LoopOp::Other), LoopOp::Fall);
    assert!(LoopCode::compile(&ops, 4, Xlen::X64).is_none());
    // So does a word op on RV32.
    let addw = LoopOp::Alu {
        op: AluOp::Addw,
        rd: Reg::A1,
        rs1: Reg::A0,
        rs2: Reg::A0,
    };
    assert!(LoopCode::compile(&counting_loop(Some(addw), LoopOp::Fall), 4, Xlen::X32).is_none());
    assert!(LoopCode::compile(&counting_loop(Some(addw), LoopOp::Fall), 4, Xlen::X64).is_some());
}

#[test]
fn a_skip_or_loop_branch_counted_unlike_the_block_is_not_compiled() {
    let skip = |skipped| LoopOp::Branch {
        op: BranchOp::Beq,
        rs1: Reg::Zero,
        rs2: Reg::Zero,
        exit: 1,
        taken: Taken::Skip { to: 3, skipped },
    };
    // From op 1 to op 3 passes over one instruction, not two.
    assert!(LoopCode::compile(&counting_loop(Some(skip(1)), LoopOp::Fall), 4, Xlen::X64).is_some());
    assert!(LoopCode::compile(&counting_loop(Some(skip(2)), LoopOp::Fall), 4, Xlen::X64).is_none());
    let mut ops = counting_loop(None, LoopOp::Fall);
    if let Some(LoopOp::Branch { taken, .. }) = ops.get_mut(2) {
        *taken = Taken::Loop { len: 2 };
    }
    assert!(LoopCode::compile(&ops, 3, Xlen::X64).is_none());
}

/// `op a2, a3, a4` once in a counting loop, at RV64 and at RV32.
fn divided(op: AluOp, a: u64, b: u64) -> (u64, u32) {
    let extra = LoopOp::Alu {
        op,
        rd: Reg::A2,
        rs1: Reg::A3,
        rs2: Reg::A4,
    };
    let ops = counting_loop(Some(extra), LoopOp::Fall);
    let wide = LoopCode::compile(&ops, 4, Xlen::X64).expect("compiles");
    let mut regs = [0u64; 32];
    regs[COUNTER.num() as usize] = 1;
    (regs[Reg::A3.num() as usize], regs[Reg::A4.num() as usize]) = (a, b);
    assert_eq!(wide.run(&mut regs, &mut LoopState::new(100, 0)), Some(4));
    let narrow = LoopCode::compile(&ops, 4, Xlen::X32).expect("compiles");
    let mut narrow_regs = [0u32; 32];
    narrow_regs[COUNTER.num() as usize] = 1;
    (
        narrow_regs[Reg::A3.num() as usize],
        narrow_regs[Reg::A4.num() as usize],
    ) = (a as u32, b as u32);
    assert_eq!(
        narrow.run(&mut narrow_regs, &mut LoopState::new(100, 0)),
        Some(4)
    );
    (
        regs[Reg::A2.num() as usize],
        narrow_regs[Reg::A2.num() as usize],
    )
}

/// The cases x86 would fault on get RISC-V's results (spec, M extension, table 1).
#[test]
fn division_by_zero_and_overflow_give_the_risc_v_results() {
    let (min64, min32) = (1u64 << 63, 0xffff_ffff_8000_0000u64);
    assert_eq!(divided(AluOp::Div, 7, 0), (u64::MAX, u32::MAX));
    assert_eq!(divided(AluOp::Divu, 7, 0), (u64::MAX, u32::MAX));
    assert_eq!(divided(AluOp::Rem, 7, 0), (7, 7));
    assert_eq!(divided(AluOp::Remu, 7, 0), (7, 7));
    assert_eq!(divided(AluOp::Div, min64, u64::MAX), (min64, 0));
    // -2^31 / -1: no overflow at 64 bits; at 32 bits the overflow, giving -2^31.
    assert_eq!(
        divided(AluOp::Div, min32, u64::MAX),
        (0x8000_0000, 0x8000_0000)
    );
    assert_eq!(divided(AluOp::Rem, min64, u64::MAX), (0, 0));
    assert_eq!(
        divided(AluOp::Div, (-7i64) as u64, 2),
        ((-3i64) as u64, (-3i32) as u32)
    );
    assert_eq!(
        divided(AluOp::Rem, (-7i64) as u64, 2),
        ((-1i64) as u64, (-1i32) as u32)
    );
    assert_eq!(
        divided(AluOp::Divu, u64::MAX, 2),
        (u64::MAX / 2, u32::MAX / 2)
    );
}
