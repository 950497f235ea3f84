//! Native loop code against the interpreter: random loops (every ALU form, branches over
//! one op, skips, side exits, ops the compiler stops before; in half of them loads and
//! stores, some faulting and some rewriting the loop's own code), run at every instruction
//! budget, both widths, with native code on, with blocks interpreted, and with `step`
//! alone. Every counter, cycle, register, the pc, the last jump, the exit and the MMU
//! statistics must agree.

use crate::{Costs, Counters, Cpu, Exit, Word};
use atlas_isa::{
    csr, decode, encode, AluImmOp, AluOp, BranchOp, Inst, LoadOp, Reg, ShiftImmOp, StoreOp,
    SystemOp, Xlen,
};
use atlas_mmu::pte::{Pte, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use atlas_mmu::{Bus, FormatKind, MmuConfig, PhysMem, Privilege, Satp, SystemBus};

const BASE: u64 = 0x1000;

/// The loop counter: random ops never write it.
const COUNTER: Reg = Reg::T6;

/// Registers the random ops use (`zero` included, as a source and as a dropped result):
/// more than native code holds in host registers, so some stay in memory.
const REGS: [Reg; 16] = [
    Reg::Zero,
    Reg::Ra,
    Reg::T0,
    Reg::T1,
    Reg::T2,
    Reg::A0,
    Reg::A1,
    Reg::A2,
    Reg::A3,
    Reg::S2,
    Reg::S3,
    Reg::S4,
    Reg::S5,
    Reg::S6,
    Reg::S7,
    Reg::S8,
];

/// Register values at the edges: zero, one, all ones, the most negative and most
/// positive of each width.
const EDGES: [u64; 8] = [
    0,
    1,
    u64::MAX,
    1 << 63,
    (1 << 63) - 1,
    0x8000_0000,
    0xffff_ffff_8000_0000,
    0x7fff_ffff,
];

/// The register-register operations loops use most.
const COMMON_ALU: [AluOp; 19] = [
    AluOp::Add,
    AluOp::Sub,
    AluOp::Sll,
    AluOp::Slt,
    AluOp::Sltu,
    AluOp::Xor,
    AluOp::Srl,
    AluOp::Sra,
    AluOp::Or,
    AluOp::And,
    AluOp::Mul,
    AluOp::Mulh,
    AluOp::Mulhsu,
    AluOp::Mulhu,
    AluOp::Div,
    AluOp::Divu,
    AluOp::Rem,
    AluOp::Remu,
    AluOp::Addw,
];

/// A small deterministic generator (xorshift64*), so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

/// Points at the program: a store through it rewrites the loop's own code, which stops
/// the run after it (the rest of the block is stale). Random ops never write it.
const CODE: Reg = Reg::S9;

/// Holds the encoding of [`PATCH`], which stores through [`CODE`] write over the loop.
const PATCH_WORD: Reg = Reg::S10;

/// Holds 1 << 20, the lowest bit of an I-type immediate.
const IMM_ONE: Reg = Reg::S11;

/// What self-modifying loops write over their own body.
const PATCH: Inst = Inst::AluImm {
    op: AluImmOp::Addi,
    rd: Reg::A1,
    rs1: Reg::A1,
    imm: 7,
};

/// A random load or store valid for `xlen`: mostly in low memory (below the code, any
/// alignment), now and then [`PATCH`] over one of the instructions `body` (indices from
/// the program's start), or through a random register (mostly beyond memory: a fault).
fn memory_op(rng: &mut Rng, xlen: Xlen, body: std::ops::Range<usize>) -> Inst {
    loop {
        if rng.below(16) == 0 {
            return Inst::Store {
                op: StoreOp::Sw,
                rs1: CODE,
                rs2: PATCH_WORD,
                offset: 4 * (body.start + rng.below(body.len())) as i32,
            };
        }
        let (base, offset) = match rng.below(16) {
            0 => (rng.pick(&REGS), rng.below(64) as i32),
            _ => (Reg::Zero, rng.below(2040) as i32),
        };
        let inst = match rng.below(2) {
            0 => Inst::Load {
                op: rng.pick(&LoadOp::ALL),
                rd: rng.pick(&REGS),
                rs1: base,
                offset,
            },
            _ => Inst::Store {
                op: rng.pick(&StoreOp::ALL),
                rs1: base,
                rs2: rng.pick(&REGS),
                offset,
            },
        };
        if decode(encode(&inst), xlen) == Ok(inst) {
            return inst;
        }
    }
}

/// A random instruction that writes a register from registers, valid for `xlen`.
fn register_op(rng: &mut Rng, xlen: Xlen) -> Inst {
    loop {
        let (rd, rs1, rs2) = (rng.pick(&REGS), rng.pick(&REGS), rng.pick(&REGS));
        let inst = match rng.below(9) {
            0..=3 => Inst::Alu {
                // Mostly the operations native code covers; now and then any (the high
                // multiplies and divisions are left to the interpreter).
                op: match rng.below(8) {
                    0 => rng.pick(&AluOp::ALL),
                    _ => rng.pick(&COMMON_ALU),
                },
                rd,
                rs1,
                rs2,
            },
            4 | 5 => Inst::AluImm {
                op: rng.pick(&AluImmOp::ALL),
                rd,
                rs1,
                imm: rng.below(4096) as i32 - 2048,
            },
            6 | 7 => Inst::ShiftImm {
                op: rng.pick(&ShiftImmOp::ALL),
                rd,
                rs1,
                shamt: rng.below(64) as u8,
            },
            _ if rng.below(2) == 0 => Inst::Lui {
                rd,
                imm: ((rng.next() as i32) >> 12) << 12,
            },
            // Not compiled: native code stops before it and the interpreter goes on.
            _ => Inst::Auipc {
                rd,
                imm: ((rng.next() as i32) >> 12) << 12,
            },
        };
        if decode(encode(&inst), xlen) == Ok(inst) {
            return inst;
        }
    }
}

/// A random loop: a body of register ops and branches (over one op, skipping ahead,
/// leaving to the code after the loop, now and then to a misaligned target), then the
/// counter's decrement and a branch back to the entry (`bne`, `blt` or `bltu` on the
/// counter), then up to three ops in the same block (register ops, `auipc`, a load, a
/// branch over the next: native code that covers the loop hands them to the interpreter,
/// or stops before them) and an `ecall`. A third of the loops test the counter at the top
/// instead (`beqz` out of the loop) and close with `j` back to it. Starts at `BASE`, so the
/// loop's first block is entered at its head.
fn random_loop(rng: &mut Rng, xlen: Xlen) -> Vec<Inst> {
    let body_len = 2 + rng.below(14);
    let memory = rng.below(2) == 0;
    let top_tested = rng.below(3) == 0;
    let head = usize::from(top_tested);
    // Program indices: the body, the counter's decrement, the branch or jump back, the
    // code after the loop, the `ecall`.
    let decrement = head + body_len;
    let after = rng.below(4);
    let done = decrement + 2;
    let mut body: Vec<Option<Inst>> = Vec::new();
    while body.len() < body_len {
        if rng.below(4) == 0 {
            // A branch, its offset filled in below.
            body.push(None);
        } else {
            let op = match rng.below(5) {
                // Half the loops have loads and stores.
                0 if memory => memory_op(rng, xlen, head..decrement),
                _ => register_op(rng, xlen),
            };
            body.push(Some(op));
        }
    }
    let mut prog = Vec::new();
    if top_tested {
        prog.push(Inst::Branch {
            op: BranchOp::Beq,
            rs1: COUNTER,
            rs2: Reg::Zero,
            offset: 4 * done as i32,
        });
    }
    for (i, slot) in body.iter().enumerate() {
        let i = head + i;
        let inst = match *slot {
            Some(inst) => inst,
            None => {
                let target = match rng.below(3) {
                    // Over the next op (the branch-over-one form, when that op is
                    // register-only).
                    0 if i + 2 <= decrement => 4 * (i + 2),
                    // Ahead inside the loop, up to the counter's decrement (never past
                    // it, or the loop might not end).
                    0 | 1 => 4 * (i + 1 + rng.below(decrement - i)),
                    // Out of the loop: to an op after it, or to the `ecall`; now and
                    // then two bytes past it (a misaligned fetch, trapping unretired).
                    _ => 4 * (done + rng.below(after + 1)) + 2 * usize::from(rng.below(8) == 0),
                };
                Inst::Branch {
                    op: rng.pick(&BranchOp::ALL),
                    rs1: rng.pick(&REGS),
                    rs2: rng.pick(&REGS),
                    offset: target as i32 - 4 * i as i32,
                }
            }
        };
        prog.push(inst);
    }
    prog.push(Inst::AluImm {
        op: AluImmOp::Addi,
        rd: COUNTER,
        rs1: COUNTER,
        imm: -1,
    });
    let back = -4 * (decrement as i32 + 1);
    if top_tested {
        prog.push(Inst::Jal {
            rd: Reg::Zero,
            offset: back,
        });
    } else {
        // The counter is positive before the decrement, so each of these loops while it
        // is not zero.
        let (op, rs1, rs2) = match rng.below(3) {
            0 => (BranchOp::Bne, COUNTER, Reg::Zero),
            1 => (BranchOp::Blt, Reg::Zero, COUNTER),
            _ => (BranchOp::Bltu, Reg::Zero, COUNTER),
        };
        prog.push(Inst::Branch {
            op,
            rs1,
            rs2,
            offset: back,
        });
    }
    for k in 0..after {
        let inst = match rng.below(4) {
            0 => Inst::Auipc {
                rd: rng.pick(&REGS),
                imm: 0x1000,
            },
            // Low memory, which the bare machine has.
            1 => Inst::Load {
                op: LoadOp::Lw,
                rd: rng.pick(&REGS),
                rs1: Reg::Zero,
                offset: 4 * rng.below(512) as i32,
            },
            2 if k + 1 < after => Inst::Branch {
                op: rng.pick(&BranchOp::ALL),
                rs1: rng.pick(&REGS),
                rs2: rng.pick(&REGS),
                offset: 8,
            },
            _ => register_op(rng, xlen),
        };
        prog.push(inst);
    }
    prog.push(Inst::System {
        op: SystemOp::Ecall,
    });
    prog
}

/// How a run ended and everything it can be observed by.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    exit: Exit,
    counters: Counters,
    pc: u64,
    last_jump: Option<u64>,
    cycles: u64,
    regs: Vec<u64>,
    mmu: atlas_mmu::MmuStats,
}

/// How the hart runs its blocks.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// `step` alone (no decoded-instruction cache).
    Step,
    /// Blocks, all interpreted.
    Interpreted,
    /// Blocks, loops as native code.
    Native,
}

/// Where relocated machines put virtual address 0 (base-bounds `atbase`), and their bound.
const RELOCATION: u64 = 0x8000;

/// The translation a test machine runs its program under. Physical addresses differ from
/// virtual ones under all but `Bare`, which bare mode alone could not show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Space {
    /// No translation.
    Bare,
    /// Base-bounds, base and bound [`RELOCATION`].
    Relocated,
    /// Paged (Sv39 at RV64, Sv32 at RV32) in address space `asid`: virtual pages 0 to 3 on
    /// physical pages 4 to 7, user, readable, writable and executable; page 0 (the data)
    /// clean, so its first store walks to set D. Entries then stand for L1 TLB hits, and an
    /// ASID too wide for the fast path's tag (Sv39 only) leaves every access to the bus.
    Paged { asid: u16 },
}

/// Where [`Space::Paged`] keeps its tables (three pages from here) and how far it moves
/// its pages.
const TABLES: u64 = 0xc000;
const PAGE_SHIFT_OF_MAPPING: u64 = 4;

/// Sets up `space` on `bus` for a hart of width `xlen`; returns the physical address of
/// virtual address 0.
fn enter(bus: &mut SystemBus, xlen: Xlen, space: Space) -> u64 {
    match space {
        Space::Bare => 0,
        Space::Relocated => {
            relocate(bus, RELOCATION, RELOCATION);
            RELOCATION
        }
        Space::Paged { asid } => {
            let (format, pte_size, pointers) = match xlen {
                Xlen::X64 => (FormatKind::Sv39, 8, 2),
                Xlen::X32 => (FormatKind::Sv32, 4, 1),
            };
            let phys = bus.phys_mut();
            // The root and any middle table point at the next page; the last holds leaves.
            for level in 0..pointers {
                let table = TABLES + 0x1000 * level;
                let next = Pte::new((table >> 12) + 1, PTE_V).0;
                assert_eq!(phys.write(table, pte_size, next), Some(()));
            }
            let leaves = TABLES + 0x1000 * pointers;
            for page in 0..4u64 {
                let dirty = if page == 0 { 0 } else { PTE_D };
                let flags = PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | dirty;
                let leaf = Pte::new(page + PAGE_SHIFT_OF_MAPPING, flags).0;
                let at = leaves + pte_size * page;
                assert_eq!(phys.write(at, pte_size, leaf), Some(()));
            }
            let satp = Satp {
                mode: Some(format),
                asid,
                ppn: TABLES >> 12,
            };
            assert_eq!(bus.write_csr(csr::SATP, satp.encode(xlen)), Some(()));
            PAGE_SHIFT_OF_MAPPING << 12
        }
    }
}

/// Switches `bus` to base-bounds translation with `base` and `bound`.
fn relocate(bus: &mut SystemBus, base: u64, bound: u64) {
    for (csr, value) in [(csr::ATMODE, 1), (csr::ATBASE, base), (csr::ATBOUND, bound)] {
        assert_eq!(bus.write_csr(csr, value), Some(()));
    }
}

/// Writes `prog` at physical address `at`.
fn place(bus: &mut SystemBus, at: u64, prog: &[Inst]) {
    for (i, inst) in prog.iter().enumerate() {
        let pa = at + 4 * i as u64;
        assert_eq!(
            bus.phys_mut().write(pa, 4, u64::from(encode(inst))),
            Some(())
        );
    }
}

/// A bare machine with `prog` at `BASE` and a hart about to run it in `mode`, its
/// registers set from `regs`.
fn machine<X: Word>(prog: &[Inst], regs: &[u64], mode: Mode) -> (Cpu<X>, SystemBus) {
    machine_in::<X>(prog, regs, mode, Space::Bare)
}

/// [`machine`], under the translation `space`.
fn machine_in<X: Word>(
    prog: &[Inst],
    regs: &[u64],
    mode: Mode,
    space: Space,
) -> (Cpu<X>, SystemBus) {
    let mut bus = SystemBus::with_mmu(
        PhysMem::new(0x10000).expect("64 KiB"),
        X::XLEN,
        MmuConfig::modern(),
    )
    .expect("modern machine");
    let base = enter(&mut bus, X::XLEN, space);
    place(&mut bus, base + BASE, prog);
    let mut cpu = Cpu::<X>::new(BASE, Privilege::User, Costs::default());
    cpu.sync_asid(&bus);
    cpu.set_icache(!matches!(mode, Mode::Step));
    cpu.set_jit(matches!(mode, Mode::Native));
    for (&r, &v) in REGS.iter().zip(regs).skip(1) {
        cpu.set_reg(r, v);
    }
    // The loop's passes: `regs[REGS.len()]` if given, else 1 to 5.
    let passes = regs.get(REGS.len()).copied().unwrap_or(1 + regs[0] % 5);
    cpu.set_reg(COUNTER, passes);
    cpu.set_reg(CODE, BASE);
    cpu.set_reg(PATCH_WORD, u64::from(encode(&PATCH)));
    cpu.set_reg(IMM_ONE, 1 << 20);
    (cpu, bus)
}

fn observe<X: Word>(prog: &[Inst], regs: &[u64], max: u64, mode: Mode) -> Observed {
    observe_in::<X>(prog, regs, max, mode, Space::Bare)
}

/// [`observe`] on a machine under `space` ([`machine_in`]).
fn observe_in<X: Word>(
    prog: &[Inst],
    regs: &[u64],
    max: u64,
    mode: Mode,
    space: Space,
) -> Observed {
    let (mut cpu, mut bus) = machine_in::<X>(prog, regs, mode, space);
    let exit = cpu.run(&mut bus, max);
    Observed::of(exit, &cpu, &bus)
}

impl Observed {
    /// What `cpu` and `bus` show after a run that ended with `exit`.
    fn of<X: Word>(exit: Exit, cpu: &Cpu<X>, bus: &SystemBus) -> Observed {
        Observed {
            exit,
            counters: *cpu.counters(),
            pc: cpu.pc(),
            last_jump: cpu.last_jump_from(),
            cycles: cpu.cycles(bus),
            regs: Reg::ALL.iter().map(|&r| cpu.reg(r)).collect(),
            mmu: bus.translator().expect("has hardware").stats(),
        }
    }
}

/// Seed `seed`'s random loop for `xlen` and its registers' values.
fn random_case(seed: u64, xlen: Xlen) -> (Vec<Inst>, Vec<u64>) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let prog = random_loop(&mut rng, xlen);
    // A quarter of the values are the edge cases of division and multiplication.
    let regs = (0..REGS.len())
        .map(|_| match rng.below(4) {
            0 => rng.pick(&EDGES),
            _ => rng.next(),
        })
        .collect();
    (prog, regs)
}

fn check_width<X: Word>(seeds: std::ops::Range<u64>) {
    for seed in seeds {
        let (prog, regs) = random_case(seed, X::XLEN);
        let whole = observe::<X>(&prog, &regs, 10_000, Mode::Step);
        assert_ne!(whole.exit, Exit::InstructionLimit, "seed {seed}: {prog:#?}");
        let total = whole.counters.instret + 1;
        for max in 1..=total {
            let step = observe::<X>(&prog, &regs, max, Mode::Step);
            for mode in [Mode::Interpreted, Mode::Native] {
                let run = observe::<X>(&prog, &regs, max, mode);
                assert_eq!(run, step, "seed {seed}, budget {max}, {mode:?}: {prog:#?}");
            }
        }
    }
}

/// The random loops with loads and stores run for 60 passes, so their pages stay held
/// and native code serves most accesses itself: native code, interpreted blocks and `step`
/// agree at 16 budgets spread over each run, under `space`. Returns how many accesses the
/// code served.
fn check_memory_width<X: Word>(seeds: std::ops::Range<u64>, space: Space) -> u64 {
    crate::native::SERVED.with(|n| n.set(0));
    for seed in seeds {
        let (prog, mut regs) = random_case(seed, X::XLEN);
        let memory = prog
            .iter()
            .any(|i| matches!(i, Inst::Load { .. } | Inst::Store { .. }));
        if !memory {
            continue;
        }
        regs.push(60);
        let whole = observe_in::<X>(&prog, &regs, 100_000, Mode::Step, space);
        assert_ne!(whole.exit, Exit::InstructionLimit, "seed {seed}: {prog:#?}");
        // Paged machines really walk their tables.
        let paged = matches!(space, Space::Paged { .. });
        assert_eq!(whole.mmu.pte_reads > 0, paged, "seed {seed}, {space:?}");
        let total = whole.counters.instret + 1;
        for k in 0..16 {
            let max = 1 + k * total / 15;
            let step = observe_in::<X>(&prog, &regs, max, Mode::Step, space);
            for mode in [Mode::Interpreted, Mode::Native] {
                let run = observe_in::<X>(&prog, &regs, max, mode, space);
                assert_eq!(
                    run, step,
                    "seed {seed}, budget {max}, {mode:?}, {space:?}: {prog:#?}"
                );
            }
        }
    }
    crate::native::SERVED.with(|n| n.get())
}

#[test]
fn native_loads_and_stores_count_as_step_does() {
    let paged = Space::Paged { asid: 5 };
    let served = [Space::Bare, Space::Relocated, paged].map(|space| {
        (
            check_memory_width::<u64>(0..400, space),
            check_memory_width::<u32>(0..400, space),
        )
    });
    // An ASID too wide for the tag (Sv39's reach 16 bits): the code serves nothing.
    let wide = check_memory_width::<u64>(0..400, Space::Paged { asid: 600 });
    // On hosts without a loop compiler nothing is served, and the comparisons still hold.
    // Bare and relocated, the code also serves the first access to a page the tables do
    // not hold yet (through the unpaged window); paged, that access is the L1's to count.
    if cfg!(all(target_arch = "x86_64", unix)) {
        assert_eq!(served, [(30008, 37882), (30008, 37882), (29979, 37843)]);
        assert_eq!(wide, 0);
    }
}

#[test]
fn native_loops_count_as_step_does_rv64() {
    check_width::<u64>(0..400);
}

#[test]
fn native_loops_count_as_step_does_rv32() {
    check_width::<u32>(0..400);
}

/// The generator reaches what it is meant to: most of its loops compile (on hosts with a
/// loop compiler).
#[cfg(all(target_arch = "x86_64", unix))]
#[test]
fn most_random_loops_compile() {
    let (mut compiled, mut resuming, mut jumping_back, mut with_memory) = (0, 0, 0, 0);
    for seed in 0..400u64 {
        let (prog, _) = random_case(seed, Xlen::X64);
        let words: Vec<u32> = prog.iter().map(encode).collect();
        let mut page = crate::block::BlockPage::new();
        let Some(index) = page.build(0, |s| words.get(s).copied(), Xlen::X64, &Costs::default())
        else {
            continue;
        };
        let Some(block) = page.get(index) else {
            continue;
        };
        if let Some(code) = block.native(Xlen::X64) {
            compiled += 1;
            resuming += usize::from(code.resume_at().is_some());
            let jumps = block.ops.last().map(|op| op.code) == Some(crate::block::OpCode::Jal);
            jumping_back += usize::from(jumps);
            with_memory += usize::from(code.has_memory());
        }
    }
    // Every loop: the compiler covers every operation the generator makes.
    assert_eq!(compiled, 400);
    // Those closed by `j` back to the top.
    assert_eq!(jumping_back, 128);
    // Those with loads or stores (the code serves fast-path hits itself).
    assert_eq!(with_memory, 201);
    // Those with an op it does not cover after the branch back (a jump out) hand it to
    // the interpreter.
    assert_eq!(resuming, 0);
}

/// Whether a whole run of `prog` in native mode left the block entered at `BASE` with
/// native code: the run loop asked for it (and so ran it) there.
fn ran_native(prog: &[Inst], regs: &[u64]) -> bool {
    let (mut cpu, mut bus) = machine::<u64>(prog, regs, Mode::Native);
    cpu.run(&mut bus, 10_000);
    let mut compiled = || {
        let page = cpu.icache.as_mut()?.blocks(BASE, bus.code_watch()?)?;
        let block = page.get(page.find(crate::icache::slot_of(BASE))?)?;
        block.native_compiled().then_some(())
    };
    compiled().is_some()
}

/// The hot loop runs native code (else the comparisons above would prove nothing): of the
/// 400 random loops, the run loop compiles (and so runs) 242; the others leave the loop,
/// trap or rewrite their code before a first loop back to their entry builds it. And the
/// code serves loads and stores itself: 176 of them in these short runs (1 to 5 passes) on
/// a bare machine, first touches of a page included (the unpaged window), the rest
/// (misaligned, stores to the code, faults) going through the bus.
#[cfg(all(target_arch = "x86_64", unix))]
#[test]
fn the_run_loop_runs_native_code() {
    let mut ran = 0;
    crate::native::SERVED.with(|n| n.set(0));
    for seed in 0..400u64 {
        let (prog, regs) = random_case(seed, Xlen::X64);
        ran += usize::from(ran_native(&prog, &regs));
    }
    assert_eq!(ran, 242);
    assert_eq!(crate::native::SERVED.with(|n| n.get()), 176);
}

/// Native code and `step` agree on `prog` at every budget up to `total`, at both widths
/// (`what` names the case in a failure).
fn native_as_step_at_every_budget(prog: &[Inst], regs: &[u64], total: u64, what: &str) {
    for max in 1..=total {
        let step = observe::<u64>(prog, regs, max, Mode::Step);
        assert_eq!(
            observe::<u64>(prog, regs, max, Mode::Native),
            step,
            "{what} {max}"
        );
        let step = observe::<u32>(prog, regs, max, Mode::Step);
        assert_eq!(
            observe::<u32>(prog, regs, max, Mode::Native),
            step,
            "{what} {max}"
        );
    }
}

/// A loop followed, in the same block, by `if (a0 != 0 || a1 == 0) a2++` as compilers emit
/// it (`bnez a0, inc; bnez a1, past; inc: addi a2; past:`) and a load the compiler stops
/// before: the increment is both a branch-over's body and a skip's target, and the op after
/// it is not compiled (native code once failed to assemble this shape, panicking).
#[test]
fn a_branch_over_whose_body_is_a_skip_target_ends_the_native_code() {
    let branch = |rs1, offset| Inst::Branch {
        op: BranchOp::Bne,
        rs1,
        rs2: Reg::Zero,
        offset,
    };
    let prog = [
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: COUNTER,
            rs1: COUNTER,
            imm: -1,
        },
        branch(COUNTER, -4),
        branch(Reg::A0, 8),
        branch(Reg::A1, 8),
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::A2,
            rs1: Reg::A2,
            imm: 1,
        },
        Inst::Load {
            op: LoadOp::Lw,
            rd: Reg::A3,
            rs1: Reg::Zero,
            offset: 64,
        },
        Inst::System {
            op: SystemOp::Ecall,
        },
    ];
    // REGS[5] is a0, REGS[6] a1; the counter starts at 1 + regs[0] % 5 = 3.
    for (a0, a1) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        let mut regs = vec![0u64; REGS.len()];
        (regs[0], regs[5], regs[6]) = (2, a0, a1);
        let whole = observe::<u64>(&prog, &regs, 1000, Mode::Step);
        // Three passes of two, the branches taken or not, the increment if kept, lw, ecall.
        assert_eq!(
            whole.counters.instret,
            3 * 2 + 4 + u64::from(a0 == 0 && a1 == 0)
        );
        native_as_step_at_every_budget(
            &prog,
            &regs,
            whole.counters.instret + 1,
            &format!("{a0} {a1}"),
        );
    }
}

/// A loop whose store rewrites an instruction after it in the same pass, with a new
/// immediate every pass: the op loop stops after the store (the rest of the block is
/// stale) and so must native code, or it would run the immediate of an earlier pass.
#[test]
fn a_loop_rewriting_its_own_body_runs_the_new_code() {
    let addi = |rd, rs1, imm| Inst::AluImm {
        op: AluImmOp::Addi,
        rd,
        rs1,
        imm,
    };
    let prog = [
        addi(Reg::A0, Reg::A0, 1),
        Inst::Store {
            op: StoreOp::Sw,
            rs1: CODE,
            rs2: PATCH_WORD,
            offset: 12,
        },
        // The next patch adds one more: 1 << 20 is the immediate's lowest bit.
        Inst::Alu {
            op: AluOp::Add,
            rd: PATCH_WORD,
            rs1: PATCH_WORD,
            rs2: IMM_ONE,
        },
        addi(Reg::A1, Reg::A1, 0),
        addi(COUNTER, COUNTER, -1),
        Inst::Branch {
            op: BranchOp::Bne,
            rs1: COUNTER,
            rs2: Reg::Zero,
            offset: -20,
        },
        Inst::System {
            op: SystemOp::Ecall,
        },
    ];
    // The counter starts at 1 + regs[0] % 5 = 5.
    let mut regs = vec![0u64; REGS.len()];
    regs[0] = 4;
    let whole = observe::<u64>(&prog, &regs, 1000, Mode::Step);
    // Pass p runs `addi a1, a1, 7 + p`: 7 + 8 + 9 + 10 + 11.
    assert_eq!(
        (whole.regs[Reg::A0 as usize], whole.regs[Reg::A1 as usize]),
        (5, 45)
    );
    native_as_step_at_every_budget(&prog, &regs, whole.counters.instret + 1, "");
    // The page is rewritten before the loop's block is first run (the first pass runs
    // through `step` and a block entered past the loop's head), so the loop is left to the
    // interpreter: compiled, it would be compiled afresh on every pass (each store drops
    // the page's blocks).
    crate::block::COMPILED.with(|n| n.set(0));
    observe::<u64>(&prog, &regs, 1000, Mode::Native);
    assert_eq!(crate::block::COMPILED.with(|n| n.get()), 0);
}

mod window;
