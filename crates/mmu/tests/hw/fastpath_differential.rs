//! Differential test of the translation fast path at the bus: two `SystemBus`es over the
//! same random page tables (those of `differential.rs`), one with the fast path and one
//! without, run the same random sequence of fetches, loads and stores (every size, aligned,
//! misaligned and page-crossing; user, supervisor and machine mode) interleaved with address
//! space switches through `satp`, SUM/MXR changes and leaf rewrites with the `sfence.vma`
//! that covers them. Every result (value or fault) must match, and so must every counter and
//! cycle, checked as the run goes and at its end — for every replacement policy, the four
//! machines and every format. The fast path must serve a share of the accesses, stores
//! among them, and its quick miss (`translate/quick.rs`) must model a share of the TLB
//! misses, so the comparison is not vacuous. Seeded and deterministic.

use crate::differential::{asid_of, machines, mutation, World, MEM, SPACES};
use atlas_isa::csr;
use atlas_mmu::fastpath::HitClass;
use atlas_mmu::{
    AccessCtx, AccessKind, Bus, Format, FormatKind, MmuRegs, PolicyKind, Privilege, SystemBus,
};

/// Writes the translation registers of `regs` through the bus, as a kernel would.
fn switch(bus: &mut SystemBus, regs: &MmuRegs) {
    for (number, value) in [
        (csr::ATMODE, regs.atmode),
        (csr::ATLINBASE, regs.atlinbase),
        (csr::ATLINLEN, regs.atlinlen),
        (csr::SATP, regs.satp),
    ] {
        assert_eq!(bus.write_csr(number, value), Some(()), "CSR {number:#x}");
    }
}

/// What one bus did with one access, to compare.
fn access(bus: &mut SystemBus, ctx: AccessCtx, value: u64) -> Result<u64, String> {
    let result = match ctx.kind {
        AccessKind::Fetch => bus.fetch(ctx).map(u64::from),
        AccessKind::Load => bus.load(ctx),
        AccessKind::Store => bus.store(ctx, value).map(|()| 0),
    };
    result.map_err(|fault| fault.to_string())
}

/// Runs `accesses` random accesses on both buses of each machine; returns the fast path's
/// hits standing for L1 TLB hits, for loads, stores and fetches, and the TLB misses its
/// quick miss modelled.
fn run(format: &'static Format, policy: PolicyKind, seed: u64, accesses: u64) -> ([u64; 3], u64) {
    let mut hits = [0; 3];
    let mut quick = 0;
    for (m, machine) in machines(policy).iter().enumerate() {
        // Leaves inside physical memory, so that translations reach memory.
        let mut w = World::with_ppn_limit(format, seed + m as u64, MEM >> 12);
        let xlen = w.regs(0).xlen;
        let config = machine.config(seed);
        let mut buses = [true, false].map(|fast| {
            let mut bus =
                SystemBus::with_mmu(w.mem.clone(), xlen, config.clone()).expect("valid machine");
            bus.set_fast_path(fast);
            switch(&mut bus, &w.regs(0));
            bus
        });
        let (mut space, mut sum, mut mxr) = (0, false, false);
        let mut recent: Vec<u64> = Vec::new();
        let mut last_page = None;
        let what = format!("{:?} {} {policy:?}", format.kind, machine.name);
        for i in 0..accesses {
            let op = w.rng.below(1000);
            if op < 10 {
                space = w.rng.below(SPACES as u64) as usize;
                let regs = w.regs(space);
                buses.iter_mut().for_each(|bus| switch(bus, &regs));
                continue;
            }
            if op < 15 {
                (sum, mxr) = (w.rng.chance(50), w.rng.chance(30));
                buses.iter_mut().for_each(|bus| bus.set_status(sum, mxr));
                continue;
            }
            if op < 25 {
                if let Some(change) = mutation(&mut w, space) {
                    let size = w.pte_size();
                    for bus in &mut buses {
                        for &slot in &change.slots {
                            assert_eq!(bus.phys_mut().write(slot, size, change.raw), Some(()));
                        }
                        bus.sfence_vma(change.flush_va, change.flush_asid);
                    }
                }
                continue;
            }
            let kind = AccessKind::ALL[w.rng.below(3) as usize];
            let size: u8 = match kind {
                AccessKind::Fetch => 4,
                _ => [1, 2, 4, 8][w.rng.below(4) as usize],
            };
            // Runs on one page, as programs make, so that pages stay in the fast path.
            let base = match last_page {
                Some(page) if w.rng.chance(70) => page | w.rng.below(4096),
                _ => w.random_va(&recent),
            };
            last_page = Some(base & !0xfff);
            let mut va = base & !u64::from(size - 1);
            if w.rng.chance(3) {
                va = (va | 0xfff) - w.rng.below(u64::from(size));
            }
            let privilege = match w.rng.below(100) {
                0..=79 => Privilege::User,
                80..=97 => Privilege::Supervisor,
                _ => Privilege::Machine,
            };
            let ctx = AccessCtx {
                va,
                kind,
                size,
                privilege,
                asid: asid_of(space),
                pc: 0x1000 + 4 * i,
            };
            let value = w.rng.next();
            let [fast, slow] = &mut buses;
            let with = access(fast, ctx, value);
            let without = access(slow, ctx, value);
            assert_eq!(
                with, without,
                "{what}: access {i} {ctx:?} sum {sum} mxr {mxr}"
            );
            if recent.len() < 48 {
                recent.push(va & !0xfff);
            } else if w.rng.chance(20) {
                recent[w.rng.below(48) as usize] = va & !0xfff;
            }
            if i % 997 == 0 || i + 1 == accesses {
                let [fast, slow] = &buses;
                assert_eq!(fast.cycles(), slow.cycles(), "{what}: cycles after {i}");
                assert_eq!(
                    fast.translator().map(|t| t.stats()),
                    slow.translator().map(|t| t.stats()),
                    "{what}: counters after {i}"
                );
            }
        }
        if let Some(t) = buses[0].translator() {
            quick += t.quick_misses();
            for (n, kind) in
                hits.iter_mut()
                    .zip([AccessKind::Load, AccessKind::Store, AccessKind::Fetch])
            {
                *n += t.fast_path().hits_of(kind, HitClass::L1);
            }
        }
    }
    (hits, quick)
}

fn check(format: &'static Format, accesses: u64) {
    for (p, policy) in PolicyKind::ALL.into_iter().enumerate() {
        let seed = 0xfa57 + p as u64 * 104_729 + format.kind.index() as u64;
        let ([loads, stores, fetches], quick) = run(format, policy, seed, accesses);
        let total = 4 * accesses;
        // The quick miss needs a level-1 page-walk-cache pointer remembered as its last hit
        // (the linear format has no pointer level; LFU's hits always change its state).
        if format.kind == FormatKind::Linear || policy == PolicyKind::Lfu {
            assert_eq!(quick, 0, "{:?} {policy:?}: quick misses", format.kind);
        } else {
            assert!(
                quick > accesses / 200,
                "{:?} {policy:?}: the quick miss modelled {quick} of {total} accesses",
                format.kind
            );
        }
        for (n, what) in [(loads, "loads"), (stores, "stores"), (fetches, "fetches")] {
            // Under LFU every hit bumps a use count, so no L1 hit is ever state-free.
            if policy == PolicyKind::Lfu {
                assert_eq!(n, 0, "{:?} LFU: {what} served as L1 hits", format.kind);
            } else {
                assert!(
                    n > total / 100,
                    "{:?} {policy:?}: the fast path served {n} {what} of {total} accesses",
                    format.kind
                );
            }
        }
    }
}

#[test]
fn sv39_fast_path_changes_nothing() {
    check(&Format::SV39, 20_000);
}

#[test]
fn sv32_and_linear_fast_path_changes_nothing() {
    check(&Format::SV32, 10_000);
    check(&Format::LINEAR32, 5_000);
}

#[test]
fn sv48_sv57_fast_path_changes_nothing() {
    check(&Format::SV48, 8_000);
    check(&Format::SV57, 8_000);
}

#[test]
fn linear64_fast_path_changes_nothing() {
    assert_eq!(Format::LINEAR64.kind, FormatKind::Linear);
    check(&Format::LINEAR64, 5_000);
}
