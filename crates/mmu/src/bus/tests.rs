//! Tests of the system bus: bare and translated accesses, page splits, the MMU registers,
//! SUM, and the fast path after fills.

use super::*;
use crate::fastpath::HitClass;
use crate::{FormatKind, Privilege};
use atlas_isa::csr;

fn ctx(va: u64, kind: AccessKind, size: u8) -> AccessCtx {
    AccessCtx {
        va,
        kind,
        size,
        privilege: Privilege::User,
        asid: 0,
        pc: 0,
    }
}

#[test]
fn bare_mode_is_identity_and_faults_beyond_memory() {
    let mut bus = SystemBus::new(PhysMem::new(0x2000).expect("8 KiB"));
    assert_eq!(
        bus.store(ctx(0x100, AccessKind::Store, 4), 0xdead_beef),
        Ok(())
    );
    assert_eq!(bus.load(ctx(0x100, AccessKind::Load, 2)), Ok(0xbeef));
    assert_eq!(bus.load(ctx(0x101, AccessKind::Load, 4)), Ok(0x00de_adbe));
    assert_eq!(bus.fetch(ctx(0x100, AccessKind::Fetch, 4)), Ok(0xdead_beef));
    assert_eq!(bus.translate(ctx(0x1ff8, AccessKind::Load, 8)), Ok(0x1ff8));
    let fault = bus.store(ctx(0x1ffe, AccessKind::Store, 4), 1);
    assert_eq!(
        fault,
        Err(MemFault {
            va: 0x1ffe,
            kind: AccessKind::Store,
            size: 4,
            // The part on the next page is the one beyond memory.
            reason: FaultReason::BeyondPhysicalMemory {
                pa: 0x2000,
                phys_size: 0x2000
            },
        })
    );
    assert_eq!(
        fault.map_err(|f| f.to_string()),
        Err(
            "4-byte store at 0x1ffe: physical address 0x2000 is beyond physical memory \
             (size 0x2000)"
                .to_string()
        )
    );
    assert_eq!(
        bus.load(ctx(u64::MAX, AccessKind::Load, 1))
            .map_err(|f| f.va),
        Err(u64::MAX)
    );
}

#[test]
fn mmu_registers_are_stored_and_others_refused() {
    let mut bus = SystemBus::new(PhysMem::new(0x1000).expect("4 KiB"));
    assert_eq!(bus.write_csr(csr::SATP, 0x8000_0000_0000_1234), Some(()));
    assert_eq!(bus.write_csr(csr::ATSEGFLAGS7, 0x1f), Some(()));
    assert_eq!(bus.read_csr(csr::SATP), Some(0x8000_0000_0000_1234));
    assert_eq!(bus.read_csr(csr::ATSEGFLAGS7), Some(0x1f));
    assert_eq!(bus.read_csr(csr::ATMODE), Some(0));
    assert_eq!(bus.write_csr(csr::MSTATUS, 1), None);
    assert_eq!(bus.read_csr(csr::CYCLE), None);
}

/// An Sv39 machine: root 0x1000 → 0x2000 → 0x3000; VA 0x10000 → PA 0x8000 (A/D clear),
/// VA 0x11000 → PA 0x5000 (A/D set). User pages, readable and writable.
fn sv39_bus() -> SystemBus {
    use crate::pte::{Pte, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W};
    use crate::Satp;
    let config = MmuConfig::teaching();
    let mut bus = SystemBus::with_mmu(PhysMem::new(0x10_0000).expect("1 MiB"), Xlen::X64, config)
        .expect("teaching preset is valid");
    let mem = bus.phys_mut();
    let rw_user = PTE_V | PTE_R | PTE_W | PTE_U;
    for (addr, pte) in [
        (0x1000, Pte::new(0x2, PTE_V)),
        (0x2000, Pte::new(0x3, PTE_V)),
        (0x3000 + 0x10 * 8, Pte::new(0x8, rw_user)),
        (0x3000 + 0x11 * 8, Pte::new(0x5, rw_user | PTE_A | PTE_D)),
    ] {
        mem.write(addr, 8, pte.0).expect("in memory");
    }
    let satp = Satp {
        mode: Some(FormatKind::Sv39),
        asid: 3,
        ppn: 1,
    }
    .encode(Xlen::X64);
    assert_eq!(bus.write_csr(csr::SATP, satp), Some(()));
    bus
}

#[test]
fn translated_accesses_split_at_pages_and_charge_the_walks() {
    let mut bus = sv39_bus();
    assert_eq!(bus.asid(), 3);
    let at = |va, kind, size| AccessCtx {
        asid: 3,
        ..ctx(va, kind, size)
    };
    // An 8-byte store straddling the two pages lands in two distant frames.
    assert_eq!(
        bus.store(at(0x10ffc, AccessKind::Store, 8), 0x1122_3344_5566_7788),
        Ok(())
    );
    assert_eq!(bus.phys().read(0x8ffc, 4), Some(0x5566_7788));
    assert_eq!(bus.phys().read(0x5000, 4), Some(0x1122_3344));
    // First part: L1 lookup 1 + three PTE reads 3 × 10 + A/D write-back 10.
    // Second part: L1 lookup 1 + three PTE reads (A and D already set).
    assert_eq!(bus.cycles(), 41 + 31);
    assert_eq!(
        bus.load(at(0x10ffc, AccessKind::Load, 8)),
        Ok(0x1122_3344_5566_7788)
    );
    assert_eq!(bus.cycles(), 72 + 2, "two L1 hits");
    // Hardware set A and D in the first leaf.
    let leaf = bus.phys().read(0x3000 + 0x10 * 8, 8).expect("in memory");
    assert_eq!(leaf & 0xc0, 0xc0);
    // An unmapped page is a page fault, reported for the whole access.
    let fault = bus
        .load(at(0x20000, AccessKind::Load, 4))
        .expect_err("unmapped");
    assert!(fault.reason.is_page_fault());
    assert_eq!(
        fault.to_string(),
        "4-byte load at 0x20000: page fault: PTE at level 0 not valid"
    );
    // sfence.vma charges the flush and the next access walks again.
    bus.sfence_vma(None, None);
    assert_eq!(bus.load(at(0x11000, AccessKind::Load, 4)), Ok(0x1122_3344));
}

/// A load that walks leaves its page in the fast path for the store after it when the
/// leaf is writable and dirty, and not when D is clear (that store must walk to set D);
/// every count is what the modelled path alone gives.
#[test]
fn a_walk_fills_the_fast_path_for_the_store_that_follows() {
    let run = |fast: bool| {
        let mut bus = sv39_bus();
        bus.set_fast_path(fast);
        let at = |va, kind| AccessCtx {
            asid: 3,
            ..ctx(va, kind, 4)
        };
        for va in [0x11000, 0x11008, 0x10000, 0x10008] {
            assert_eq!(bus.load(at(va, AccessKind::Load)), Ok(0), "load {va:#x}");
            assert_eq!(bus.store(at(va, AccessKind::Store), 7), Ok(()));
        }
        let t = bus.translator().expect("an MMU");
        let store_hits = t.fast_path().hits_of(AccessKind::Store, HitClass::L1);
        (store_hits, t.stats(), bus.cycles())
    };
    let (fast_hits, fast_stats, fast_cycles) = run(true);
    let (slow_hits, slow_stats, slow_cycles) = run(false);
    // Page 0x11000 (D set): both stores from the fast path. Page 0x10000 (D clear): the
    // first store walks to set D (its L1 entry is replaced, which is a change of state),
    // the second is served again.
    assert_eq!((fast_hits, slow_hits), (3, 0));
    assert_eq!(fast_stats, slow_stats);
    assert_eq!(fast_cycles, slow_cycles);
    assert_eq!(slow_stats.walks[FormatKind::Sv39.index()][3], 3);
}

#[test]
fn supervisor_access_to_user_pages_needs_sum() {
    let mut bus = sv39_bus();
    let sup = |va| AccessCtx {
        asid: 3,
        privilege: Privilege::Supervisor,
        ..ctx(va, AccessKind::Load, 4)
    };
    let fault = bus.load(sup(0x11000)).expect_err("SUM clear");
    assert_eq!(
        fault.reason.to_string(),
        "page fault: supervisor access to a user page with SUM clear (leaf PTE at level 0)"
    );
    bus.set_status(true, false);
    assert_eq!(bus.load(sup(0x11000)), Ok(0));
}
