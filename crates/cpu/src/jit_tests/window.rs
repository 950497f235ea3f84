//! The unpaged window: native code serves bare and base-bounds loads and stores to pages
//! its fast-path tables do not hold (they hold 64), counted exactly as the bus counts
//! them, and leaves to the bus what the bus must decide (past the bound, past memory).

use super::*;
use crate::trap::Trap;

/// Where the sweep starts (virtual).
const DATA: u64 = 0x1_0000;

/// Physical memory of the sweep machines: 2 MiB.
const MEMORY: u64 = 0x20_0000;

/// Where a relocated sweep machine puts virtual address 0.
const SWEEP_BASE: u64 = 0x4_0000;

/// A loop over `a1` pages from `a0`: load a word, add one, store it back, next page.
fn sweep() -> Vec<Inst> {
    vec![
        Inst::Load {
            op: LoadOp::Lw,
            rd: Reg::T0,
            rs1: Reg::A0,
            offset: 0,
        },
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::T0,
            rs1: Reg::T0,
            imm: 1,
        },
        Inst::Store {
            op: StoreOp::Sw,
            rs1: Reg::A0,
            rs2: Reg::T0,
            offset: 0,
        },
        Inst::Alu {
            op: AluOp::Add,
            rd: Reg::A0,
            rs1: Reg::A0,
            rs2: Reg::S2,
        },
        Inst::AluImm {
            op: AluImmOp::Addi,
            rd: Reg::A1,
            rs1: Reg::A1,
            imm: -1,
        },
        Inst::Branch {
            op: BranchOp::Bne,
            rs1: Reg::A1,
            rs2: Reg::Zero,
            offset: -20,
        },
        Inst::System {
            op: SystemOp::Ecall,
        },
    ]
}

/// The sweep of `pages` pages from `start`, bare (`bound` None) or relocated to
/// [`SWEEP_BASE`] below `bound`, run in `mode`: what it shows, and how many accesses
/// native code served itself.
fn run_sweep<X: Word>(start: u64, pages: u64, bound: Option<u64>, mode: Mode) -> (Observed, u64) {
    let mut bus = SystemBus::with_mmu(
        PhysMem::new(MEMORY).expect("2 MiB"),
        X::XLEN,
        MmuConfig::modern(),
    )
    .expect("modern machine");
    let base = match bound {
        None => 0,
        Some(bound) => {
            relocate(&mut bus, SWEEP_BASE, bound);
            SWEEP_BASE
        }
    };
    place(&mut bus, base + BASE, &sweep());
    let mut cpu = Cpu::<X>::new(BASE, Privilege::User, Costs::default());
    cpu.set_icache(!matches!(mode, Mode::Step));
    cpu.set_jit(matches!(mode, Mode::Native));
    cpu.set_reg(Reg::A0, start);
    cpu.set_reg(Reg::A1, pages);
    cpu.set_reg(Reg::S2, 0x1000);
    crate::native::SERVED.with(|n| n.set(0));
    let exit = cpu.run(&mut bus, 100_000);
    let observed = Observed::of(exit, &cpu, &bus);
    (observed, crate::native::SERVED.with(|n| n.get()))
}

/// Runs the sweep natively, interpreted and by `step`, requires all three to agree, and
/// returns the native run and what its code served.
fn agree<X: Word>(start: u64, pages: u64, bound: Option<u64>) -> (Observed, u64) {
    let step = run_sweep::<X>(start, pages, bound, Mode::Step).0;
    let interpreted = run_sweep::<X>(start, pages, bound, Mode::Interpreted).0;
    let native = run_sweep::<X>(start, pages, bound, Mode::Native);
    assert_eq!(
        interpreted, step,
        "interpreted, {pages} pages, bound {bound:?}"
    );
    assert_eq!(native.0, step, "native, {pages} pages, bound {bound:?}");
    native
}

/// The page-fault-free sweep of 200 pages ends at its `ecall`; the code serves every
/// access but the two of the first pass, which runs before the loop is compiled.
fn served_whole_sweep<X: Word>(bound: Option<u64>) {
    let (run, served) = agree::<X>(DATA, 200, bound);
    assert!(
        matches!(run.exit, Exit::Trap(Trap::Ecall { .. })),
        "{:?}",
        run.exit
    );
    assert_eq!(run.counters.loads + run.counters.stores, 400);
    if cfg!(all(target_arch = "x86_64", unix)) {
        assert_eq!(served, 398);
    }
}

#[test]
fn native_code_serves_a_bare_sweep_past_its_tables() {
    served_whole_sweep::<u64>(None);
    served_whole_sweep::<u32>(None);
}

#[test]
fn native_code_serves_a_relocated_sweep_past_its_tables() {
    served_whole_sweep::<u64>(Some(0x10_0000));
    served_whole_sweep::<u32>(Some(0x10_0000));
}

/// Past the bound, and past the end of memory, the bus faults the load, as `step` does.
#[test]
fn the_bound_and_the_end_of_memory_stay_the_bus_s() {
    for (start, bound, served) in [
        // Pages 0 to 99 below the bound, the load of page 100 out of bounds.
        (DATA, Some(DATA + 100 * 0x1000), 198),
        // Relocated, memory ends 64 pages above the start.
        (MEMORY - SWEEP_BASE - 64 * 0x1000, Some(u64::MAX), 126),
        // Bare memory ends 64 pages above the start.
        (MEMORY - 64 * 0x1000, None, 126),
    ] {
        for wide in [true, false] {
            let (run, n) = if wide {
                agree::<u64>(start, 200, bound)
            } else {
                agree::<u32>(start, 200, bound)
            };
            assert!(
                matches!(run.exit, Exit::Trap(Trap::Memory(ref f)) if f.kind == atlas_mmu::AccessKind::Load),
                "{start:#x}, {bound:?}: {:?}",
                run.exit
            );
            if cfg!(all(target_arch = "x86_64", unix)) {
                assert_eq!(n, served, "{start:#x}, {bound:?}, wide {wide}");
            }
        }
    }
}
