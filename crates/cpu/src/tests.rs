//! Interpreter tests on small programs built from `Inst` values.

use crate::{Costs, Cpu, Exit, Trap, Word};
use atlas_isa::{
    csr, encode, AluImmOp, AluOp, BranchOp, Cause, CostClass, CsrOp, Inst, LoadOp, Reg, ShiftImmOp,
    StoreOp, SystemOp,
};
use atlas_mmu::{AccessKind, Bus, FaultReason, MemFault, PhysMem, Privilege, SystemBus};

const BASE: u64 = 0x1000;
const MEM: u64 = 0x10000;

fn machine<X: Word>(prog: &[Inst], privilege: Privilege) -> (Cpu<X>, SystemBus) {
    let mut bus = SystemBus::new(PhysMem::new(MEM).expect("64 KiB"));
    for (i, inst) in prog.iter().enumerate() {
        let pa = BASE + 4 * i as u64;
        assert_eq!(
            bus.phys_mut().write(pa, 4, u64::from(encode(inst))),
            Some(())
        );
    }
    (Cpu::new(BASE, privilege, Costs::default()), bus)
}

fn li(rd: Reg, imm: i32) -> Inst {
    Inst::AluImm {
        op: AluImmOp::Addi,
        rd,
        rs1: Reg::Zero,
        imm,
    }
}

fn alu(op: AluOp, rd: Reg, rs1: Reg, rs2: Reg) -> Inst {
    Inst::Alu { op, rd, rs1, rs2 }
}

const ECALL: Inst = Inst::System {
    op: SystemOp::Ecall,
};

/// Runs until the first trap; returns it.
fn run<X: Word>(cpu: &mut Cpu<X>, bus: &mut SystemBus) -> Exit {
    cpu.run(bus, 10_000)
}

#[test]
fn arithmetic_wraps_at_each_width() {
    let prog = [
        li(Reg::A0, -1),
        li(Reg::A1, 1),
        alu(AluOp::Add, Reg::A2, Reg::A0, Reg::A1),
        Inst::ShiftImm {
            op: ShiftImmOp::Srli,
            rd: Reg::A3,
            rs1: Reg::A0,
            shamt: 1,
        },
        alu(AluOp::Sltu, Reg::A4, Reg::A1, Reg::A0),
        alu(AluOp::Slt, Reg::A5, Reg::A1, Reg::A0),
        ECALL,
    ];
    let (mut cpu, mut bus) = machine::<u32>(&prog, Privilege::User);
    assert_eq!(
        run(&mut cpu, &mut bus),
        Exit::Trap(Trap::Ecall {
            from: Privilege::User
        })
    );
    assert_eq!(cpu.reg(Reg::A0), 0xffff_ffff);
    assert_eq!(cpu.reg(Reg::A2), 0);
    assert_eq!(cpu.reg(Reg::A3), 0x7fff_ffff);
    assert_eq!((cpu.reg(Reg::A4), cpu.reg(Reg::A5)), (1, 0));
    assert_eq!(cpu.pc(), BASE + 24);
    assert_eq!(cpu.counters().instret, 7);

    let (mut cpu, mut bus) = machine::<u64>(&prog, Privilege::User);
    run(&mut cpu, &mut bus);
    assert_eq!(cpu.reg(Reg::A0), u64::MAX);
    assert_eq!(cpu.reg(Reg::A3), u64::MAX >> 1);
}

#[test]
fn word_operations_sign_extend_on_rv64() {
    let prog = [
        Inst::Lui {
            rd: Reg::A0,
            imm: 0x7fff_f000,
        },
        Inst::AluImm {
            op: AluImmOp::Addiw,
            rd: Reg::A1,
            rs1: Reg::A0,
            imm: 0x7ff,
        },
        Inst::AluImm {
            op: AluImmOp::Addiw,
            rd: Reg::A1,
            rs1: Reg::A1,
            imm: 0x7ff,
        },
        Inst::AluImm {
            op: AluImmOp::Addiw,
            rd: Reg::A1,
            rs1: Reg::A1,
            imm: 0x7ff,
        },
        Inst::ShiftImm {
            op: ShiftImmOp::Slliw,
            rd: Reg::A2,
            rs1: Reg::A0,
            shamt: 1,
        },
        li(Reg::A3, 0),
        alu(AluOp::Divw, Reg::A4, Reg::A0, Reg::A3),
        alu(AluOp::Remuw, Reg::A5, Reg::A2, Reg::A3),
        ECALL,
    ];
    let (mut cpu, mut bus) = machine::<u64>(&prog, Privilege::User);
    run(&mut cpu, &mut bus);
    assert_eq!(cpu.reg(Reg::A1), 0xffff_ffff_8000_07fd);
    assert_eq!(cpu.reg(Reg::A2), 0xffff_ffff_ffff_e000);
    assert_eq!(cpu.reg(Reg::A4), u64::MAX);
    assert_eq!(cpu.reg(Reg::A5), 0xffff_ffff_ffff_e000);
    assert_eq!(cpu.counters().of(CostClass::Div), 2);
}

#[test]
fn rv64_only_instructions_are_illegal_on_rv32() {
    let addw = alu(AluOp::Addw, Reg::A0, Reg::A0, Reg::A0);
    let (mut cpu, mut bus) = machine::<u32>(&[addw], Privilege::User);
    assert_eq!(
        run(&mut cpu, &mut bus),
        Exit::Trap(Trap::IllegalInstruction {
            word: encode(&addw)
        })
    );
    assert_eq!(cpu.pc(), BASE);
    assert_eq!(cpu.counters().instret, 0);
}

#[test]
fn loads_extend_and_misaligned_accesses_are_performed_and_charged() {
    let prog = [
        li(Reg::A0, 0x700),
        li(Reg::A1, -2),
        Inst::Store {
            op: StoreOp::Sw,
            rs1: Reg::A0,
            rs2: Reg::A1,
            offset: 1,
        },
        Inst::Load {
            op: LoadOp::Lb,
            rd: Reg::A2,
            rs1: Reg::A0,
            offset: 1,
        },
        Inst::Load {
            op: LoadOp::Lbu,
            rd: Reg::A3,
            rs1: Reg::A0,
            offset: 1,
        },
        Inst::Load {
            op: LoadOp::Lhu,
            rd: Reg::A4,
            rs1: Reg::A0,
            offset: 3,
        },
        Inst::Load {
            op: LoadOp::Lw,
            rd: Reg::A5,
            rs1: Reg::A0,
            offset: 1,
        },
        ECALL,
    ];
    let (mut cpu, mut bus) = machine::<u64>(&prog, Privilege::User);
    run(&mut cpu, &mut bus);
    assert_eq!(cpu.reg(Reg::A2), 0xffff_ffff_ffff_fffe);
    assert_eq!(cpu.reg(Reg::A3), 0xfe);
    assert_eq!(cpu.reg(Reg::A4), 0xffff);
    assert_eq!(cpu.reg(Reg::A5), u64::MAX - 1);
    let c = cpu.counters();
    assert_eq!((c.loads, c.stores, c.misaligned), (4, 1, 3));
    let costs = Costs::default();
    let expected = 3 * costs.of(CostClass::Alu)
        + 4 * costs.of(CostClass::Load)
        + costs.of(CostClass::Store)
        + 5 * costs.memory_latency
        + 3 * costs.misaligned;
    assert_eq!(c.cycles, expected);
}

#[test]
fn branches_and_jumps_link_and_charge_the_taken_penalty() {
    // a0 = 3; loop: a1 += a0; a0 -= 1; bnez a0, loop; jal ra, +8; (skipped) ; ecall
    let prog = [
        li(Reg::A0, 3),
        alu(AluOp::Add, Reg::A1, Reg::A1, Reg::A0),
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::A0,
            rs1: Reg::A0,
            imm: -1,
        },
        Inst::Branch {
            op: BranchOp::Bne,
            rs1: Reg::A0,
            rs2: Reg::Zero,
            offset: -8,
        },
        Inst::Jal {
            rd: Reg::Ra,
            offset: 8,
        },
        li(Reg::A1, 99),
        ECALL,
    ];
    let (mut cpu, mut bus) = machine::<u32>(&prog, Privilege::User);
    run(&mut cpu, &mut bus);
    assert_eq!(cpu.reg(Reg::A1), 6);
    assert_eq!(cpu.reg(Reg::Ra), BASE + 20);
    assert_eq!(cpu.counters().taken_branches, 2);
    assert_eq!(cpu.counters().of(CostClass::Branch), 3);
    assert_eq!(cpu.counters().of(CostClass::Jump), 1);
}

#[test]
fn a_misaligned_jump_traps_on_the_jump() {
    let prog = [
        li(Reg::A0, 0x102),
        Inst::Jalr {
            rd: Reg::Ra,
            rs1: Reg::A0,
            offset: 0,
        },
    ];
    let (mut cpu, mut bus) = machine::<u64>(&prog, Privilege::User);
    let exit = run(&mut cpu, &mut bus);
    assert_eq!(exit, Exit::Trap(Trap::MisalignedFetch { target: 0x102 }));
    assert_eq!((cpu.pc(), cpu.reg(Reg::Ra)), (BASE + 4, 0));
}

#[test]
fn jumps_beyond_memory_and_stores_beyond_memory_are_access_faults() {
    let jump = [
        Inst::Lui {
            rd: Reg::A0,
            imm: 0x100_0000,
        },
        Inst::Jalr {
            rd: Reg::Zero,
            rs1: Reg::A0,
            offset: 0,
        },
    ];
    let (mut cpu, mut bus) = machine::<u32>(&jump, Privilege::User);
    let exit = run(&mut cpu, &mut bus);
    let fault = MemFault {
        va: 0x100_0000,
        kind: AccessKind::Fetch,
        size: 4,
        reason: FaultReason::BeyondPhysicalMemory {
            pa: 0x100_0000,
            phys_size: MEM,
        },
    };
    assert_eq!(exit, Exit::Trap(Trap::Memory(fault)));
    assert_eq!(Trap::Memory(fault).cause(), Cause::FetchAccess);
    assert_eq!(cpu.pc(), 0x100_0000);

    let store = [
        Inst::Lui {
            rd: Reg::A0,
            imm: 0x10000,
        },
        Inst::Store {
            op: StoreOp::Sd,
            rs1: Reg::A0,
            rs2: Reg::A0,
            offset: -4,
        },
    ];
    let (mut cpu, mut bus) = machine::<u64>(&store, Privilege::User);
    let Exit::Trap(trap) = run(&mut cpu, &mut bus) else {
        panic!("expected a trap")
    };
    assert_eq!(trap.cause(), Cause::StoreAccess);
    assert_eq!(trap.tval(), 0xfffc);
    assert_eq!(cpu.counters().stores, 0);
}

#[test]
fn user_counters_read_modelled_cycles_and_instret() {
    let prog = [
        li(Reg::A0, 1),
        Inst::Csr {
            op: CsrOp::Csrrs,
            rd: Reg::A1,
            rs1: Reg::Zero,
            csr: csr::CYCLE,
        },
        Inst::Csr {
            op: CsrOp::Csrrs,
            rd: Reg::A2,
            rs1: Reg::Zero,
            csr: csr::INSTRET,
        },
        Inst::Csr {
            op: CsrOp::Csrrs,
            rd: Reg::A3,
            rs1: Reg::Zero,
            csr: csr::TIME,
        },
        Inst::Csr {
            op: CsrOp::Csrrs,
            rd: Reg::A4,
            rs1: Reg::Zero,
            csr: csr::CYCLEH,
        },
        ECALL,
    ];
    let (mut cpu, mut bus) = machine::<u32>(&prog, Privilege::User);
    run(&mut cpu, &mut bus);
    let alu = CostClass::Alu.default_cycles();
    let csr_cost = CostClass::Csr.default_cycles();
    assert_eq!(cpu.reg(Reg::A1), alu);
    assert_eq!(cpu.reg(Reg::A2), 2);
    assert_eq!(cpu.reg(Reg::A3), alu + 2 * csr_cost);
    assert_eq!(cpu.reg(Reg::A4), 0);
}

#[test]
fn privileged_registers_and_instructions_are_illegal_in_user_mode() {
    let cases = [
        Inst::Csr {
            op: CsrOp::Csrrs,
            rd: Reg::A0,
            rs1: Reg::Zero,
            csr: csr::MSTATUS,
        },
        Inst::Csr {
            op: CsrOp::Csrrw,
            rd: Reg::A0,
            rs1: Reg::A0,
            csr: csr::CYCLE,
        },
        Inst::Csr {
            op: CsrOp::Csrrs,
            rd: Reg::A0,
            rs1: Reg::Zero,
            csr: csr::SATP,
        },
        Inst::Csr {
            op: CsrOp::Csrrs,
            rd: Reg::A0,
            rs1: Reg::Zero,
            csr: 0x7ff,
        },
        Inst::System { op: SystemOp::Mret },
        Inst::System { op: SystemOp::Sret },
        Inst::System { op: SystemOp::Wfi },
        Inst::SfenceVma {
            rs1: Reg::Zero,
            rs2: Reg::Zero,
        },
    ];
    for inst in cases {
        let (mut cpu, mut bus) = machine::<u64>(&[inst], Privilege::User);
        let exit = run(&mut cpu, &mut bus);
        assert_eq!(
            exit,
            Exit::Trap(Trap::IllegalInstruction {
                word: encode(&inst)
            }),
            "{inst:?}"
        );
    }
    let rv64_cycleh = Inst::Csr {
        op: CsrOp::Csrrs,
        rd: Reg::A0,
        rs1: Reg::Zero,
        csr: csr::CYCLEH,
    };
    let (mut cpu, mut bus) = machine::<u64>(&[rv64_cycleh], Privilege::Machine);
    let exit = run(&mut cpu, &mut bus);
    assert_eq!(
        exit,
        Exit::Trap(Trap::IllegalInstruction {
            word: encode(&rv64_cycleh)
        })
    );
}

#[test]
fn machine_mode_traps_to_mtvec_and_mret_returns_to_user() {
    // M-mode: mtvec = handler; mepc = user code; mret. User: ebreak. Handler: ecall.
    let handler = BASE + 4 * 7;
    let user = BASE + 4 * 8;
    let prog = [
        Inst::Auipc {
            rd: Reg::T0,
            imm: 0,
        },
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::T1,
            rs1: Reg::T0,
            imm: 28,
        },
        Inst::Csr {
            op: CsrOp::Csrrw,
            rd: Reg::Zero,
            rs1: Reg::T1,
            csr: csr::MTVEC,
        },
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::T1,
            rs1: Reg::T0,
            imm: 32,
        },
        Inst::Csr {
            op: CsrOp::Csrrw,
            rd: Reg::Zero,
            rs1: Reg::T1,
            csr: csr::MEPC,
        },
        Inst::System { op: SystemOp::Wfi },
        Inst::System { op: SystemOp::Mret },
        ECALL,
        Inst::System {
            op: SystemOp::Ebreak,
        },
    ];
    let (mut cpu, mut bus) = machine::<u32>(&prog, Privilege::Machine);
    assert_eq!(run(&mut cpu, &mut bus), Exit::Trap(Trap::Breakpoint));
    assert_eq!((cpu.privilege(), cpu.pc()), (Privilege::User, user));
    cpu.enter_trap(&Trap::Breakpoint);
    assert_eq!((cpu.privilege(), cpu.pc()), (Privilege::Machine, handler));
    assert_eq!(cpu.csrs().mepc, user);
    assert_eq!(cpu.csrs().mcause, Cause::Breakpoint.code());
    assert_eq!(
        run(&mut cpu, &mut bus),
        Exit::Trap(Trap::Ecall {
            from: Privilege::Machine
        })
    );
}

#[test]
fn mmu_registers_go_to_the_bus() {
    let prog = [
        li(Reg::T0, 5),
        Inst::Csr {
            op: CsrOp::Csrrw,
            rd: Reg::Zero,
            rs1: Reg::T0,
            csr: csr::ATBOUND,
        },
        Inst::Csr {
            op: CsrOp::Csrrs,
            rd: Reg::A0,
            rs1: Reg::Zero,
            csr: csr::ATBOUND,
        },
        ECALL,
    ];
    let (mut cpu, mut bus) = machine::<u64>(&prog, Privilege::Supervisor);
    run(&mut cpu, &mut bus);
    assert_eq!(cpu.reg(Reg::A0), 5);
    assert_eq!(bus.read_csr(csr::ATBOUND), Some(5));
}

#[test]
fn the_instruction_limit_stops_a_loop() {
    let prog = [Inst::Jal {
        rd: Reg::Zero,
        offset: 0,
    }];
    let (mut cpu, mut bus) = machine::<u64>(&prog, Privilege::User);
    assert_eq!(cpu.run(&mut bus, 1000), Exit::InstructionLimit);
    assert_eq!(cpu.counters().instret, 1000);
    assert_eq!(cpu.counters().of(CostClass::Jump), 1000);
}

#[test]
fn every_word_decodes_or_traps_without_panicking() {
    // A sample of words spread over the whole space, each run as the only instruction.
    let mut word: u32 = 0x1234_5677;
    for _ in 0..5000 {
        word = word.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let mut bus = SystemBus::new(PhysMem::new(MEM).expect("64 KiB"));
        assert_eq!(bus.phys_mut().write(BASE, 4, u64::from(word)), Some(()));
        let mut cpu32 = Cpu::<u32>::new(BASE, Privilege::User, Costs::default());
        let mut cpu64 = Cpu::<u64>::new(BASE, Privilege::Machine, Costs::default());
        let _ = cpu32.run(&mut bus.clone(), 4);
        let _ = cpu64.run(&mut bus, 4);
    }
}

mod word_ops_match_rv32 {
    use crate::exec::alu;
    use atlas_isa::AluOp;
    use proptest::prelude::*;

    /// Each RV64 word operation and the RV32 operation it must agree with.
    const PAIRS: [(AluOp, AluOp); 10] = [
        (AluOp::Addw, AluOp::Add),
        (AluOp::Subw, AluOp::Sub),
        (AluOp::Sllw, AluOp::Sll),
        (AluOp::Srlw, AluOp::Srl),
        (AluOp::Sraw, AluOp::Sra),
        (AluOp::Mulw, AluOp::Mul),
        (AluOp::Divw, AluOp::Div),
        (AluOp::Divuw, AluOp::Divu),
        (AluOp::Remw, AluOp::Rem),
        (AluOp::Remuw, AluOp::Remu),
    ];

    fn operand() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            Just(0u64),
            Just(u64::MAX),
            Just(0x8000_0000u64),
            Just(0xffff_ffff_8000_0000u64),
            Just(0x7fff_ffffu64),
            (0u64..64),
        ]
    }

    proptest! {
        /// `*w` at RV64 is the RV32 operation on the low halves, sign-extended, whatever
        /// the high halves hold: the RV32 interpreter is the reference for the RV64 one.
        #[test]
        fn rv64_word_ops_are_rv32_ops_sign_extended(a in operand(), b in operand()) {
            for (word_op, op32) in PAIRS {
                let wide = alu::<u64>(word_op, a, b);
                let narrow = alu::<u32>(op32, a as u32, b as u32);
                prop_assert_eq!(wide, narrow as i32 as i64 as u64, "{:?}", word_op);
            }
        }

        /// Operations on sign-extended 32-bit values agree between the widths in their low
        /// 32 bits (except the high-half products and unsigned division, which depend on
        /// the width by definition).
        #[test]
        fn low_halves_agree_between_widths(a in any::<i32>(), b in any::<i32>()) {
            let (a64, b64) = (a as i64 as u64, b as i64 as u64);
            for op in [AluOp::Add, AluOp::Sub, AluOp::Xor, AluOp::Or, AluOp::And, AluOp::Slt,
                       AluOp::Sltu, AluOp::Mul, AluOp::Div, AluOp::Rem] {
                let wide = alu::<u64>(op, a64, b64) as u32;
                let narrow = alu::<u32>(op, a as u32, b as u32);
                prop_assert_eq!(wide, narrow, "{:?}", op);
            }
        }
    }
}

/// A bus that records the privilege of every data access (and otherwise is a SystemBus).
struct Recording {
    inner: SystemBus,
    seen: Vec<Privilege>,
}

impl Bus for Recording {
    fn fetch(&mut self, ctx: atlas_mmu::AccessCtx) -> Result<u32, MemFault> {
        self.inner.fetch(ctx)
    }
    fn load(&mut self, ctx: atlas_mmu::AccessCtx) -> Result<u64, MemFault> {
        self.seen.push(ctx.privilege);
        self.inner.load(ctx)
    }
    fn store(&mut self, ctx: atlas_mmu::AccessCtx, value: u64) -> Result<(), MemFault> {
        self.seen.push(ctx.privilege);
        self.inner.store(ctx, value)
    }
    fn translate(&mut self, ctx: atlas_mmu::AccessCtx) -> Result<u64, MemFault> {
        self.inner.translate(ctx)
    }
    fn cycles(&self) -> u64 {
        self.inner.cycles()
    }
    fn read_csr(&self, csr: u16) -> Option<u64> {
        self.inner.read_csr(csr)
    }
    fn write_csr(&mut self, csr: u16, value: u64) -> Option<()> {
        self.inner.write_csr(csr, value)
    }
    fn asid(&self) -> u16 {
        self.inner.asid()
    }
    fn set_status(&mut self, sum: bool, mxr: bool) {
        self.inner.set_status(sum, mxr)
    }
    fn sfence_vma(&mut self, va: Option<u64>, asid: Option<u16>) {
        self.inner.sfence_vma(va, asid)
    }
    fn phys(&self) -> &PhysMem {
        self.inner.phys()
    }
    fn phys_mut(&mut self) -> &mut PhysMem {
        self.inner.phys_mut()
    }
}

#[test]
fn mprv_makes_machine_mode_data_accesses_use_mpp() {
    // lw; set MPRV with MPP = U (0); lw; sw.
    let mprv = crate::status::MPRV as i32;
    let prog = [
        Inst::Load {
            op: LoadOp::Lw,
            rd: Reg::A0,
            rs1: Reg::Zero,
            offset: 0x100,
        },
        Inst::Lui {
            rd: Reg::T0,
            imm: mprv,
        },
        Inst::Csr {
            op: CsrOp::Csrrs,
            rd: Reg::Zero,
            rs1: Reg::T0,
            csr: csr::MSTATUS,
        },
        Inst::Load {
            op: LoadOp::Lw,
            rd: Reg::A0,
            rs1: Reg::Zero,
            offset: 0x100,
        },
        Inst::Store {
            op: StoreOp::Sw,
            rs1: Reg::Zero,
            rs2: Reg::A0,
            offset: 0x100,
        },
        ECALL,
    ];
    let (mut cpu, inner) = machine::<u64>(&prog, Privilege::Machine);
    let mut bus = Recording {
        inner,
        seen: Vec::new(),
    };
    assert_eq!(
        cpu.run(&mut bus, 100),
        Exit::Trap(Trap::Ecall {
            from: Privilege::Machine
        })
    );
    assert_eq!(
        bus.seen,
        [Privilege::Machine, Privilege::User, Privilege::User]
    );
}

/// Runs `prog` in bare mode on a bus with the translation hardware (so the fast path and
/// the hot page loop serve the fetches) for at most `max` instructions, with the decoded-
/// instruction cache on or off; returns everything the run can be observed by.
fn observed_run(
    prog: &[Inst],
    max: u64,
    icache: bool,
) -> (
    Exit,
    crate::Counters,
    u64,
    Option<u64>,
    u64,
    atlas_mmu::MmuStats,
) {
    let mut bus = SystemBus::with_mmu(
        PhysMem::new(MEM).expect("64 KiB"),
        atlas_isa::Xlen::X64,
        atlas_mmu::MmuConfig::modern(),
    )
    .expect("modern machine");
    for (i, inst) in prog.iter().enumerate() {
        let pa = BASE + 4 * i as u64;
        assert_eq!(
            bus.phys_mut().write(pa, 4, u64::from(encode(inst))),
            Some(())
        );
    }
    let mut cpu = Cpu::<u64>::new(BASE, Privilege::User, Costs::default());
    cpu.set_icache(icache);
    let exit = cpu.run(&mut bus, max);
    let stats = bus.translator().expect("has hardware").stats();
    let cycles = cpu.cycles(&bus);
    (
        exit,
        *cpu.counters(),
        cpu.pc(),
        cpu.last_jump_from(),
        cycles,
        stats,
    )
}

#[test]
fn the_hot_page_loop_counts_as_the_plain_path_does() {
    // A loop of six passes; the last one's branch is taken, to a misaligned target, which
    // traps unretired from the hot loop (the branch was decoded by the earlier passes).
    let prog = [
        li(Reg::T0, 6),
        li(Reg::T1, 0),
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::T0,
            rs1: Reg::T0,
            imm: -1,
        },
        alu(AluOp::Add, Reg::T1, Reg::T1, Reg::T0),
        Inst::Branch {
            op: BranchOp::Beq,
            rs1: Reg::T0,
            rs2: Reg::Zero,
            offset: 6,
        },
        Inst::Jal {
            rd: Reg::Zero,
            offset: -12,
        },
    ];
    let plain = observed_run(&prog, 1000, false);
    assert_eq!(
        plain.0,
        Exit::Trap(Trap::MisalignedFetch {
            target: BASE + 16 + 6
        })
    );
    assert_eq!(plain.1.instret, 2 + 5 * 4 + 2);
    assert_eq!(plain.2, BASE + 16);
    assert_eq!(plain.3, Some(BASE + 20));
    assert_eq!(observed_run(&prog, 1000, true), plain);
    // Stopped by the budget inside the loop.
    let plain = observed_run(&prog, 15, false);
    assert_eq!(plain.0, Exit::InstructionLimit);
    assert_eq!(plain.1.instret, 15);
    assert_eq!(observed_run(&prog, 15, true), plain);
}
