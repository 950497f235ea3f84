//! The quick miss (`translate/quick.rs`) against the slow path it stands in for. Two
//! translators of one machine walk copies of the same tables: one translates with the fast
//! path's holding, so that its TLB misses may take the quick miss, the other without. Every
//! access's translation or fault (where it was resolved, what it cost) must match, and so
//! must every counter and the tables themselves (A/D write-backs) at the end.
//!
//! The sweeps run over more pages than the L2 holds, so nearly every access misses, and the
//! leaves mix those the quick miss takes with every kind it must leave to the slow path:
//! clean pages under stores, pages with A clear, supervisor pages, execute-only pages,
//! global pages, invalid PTEs and a superpage (which puts two page sizes in the TLBs), under
//! Sv32, Sv39, Sv48 and Sv57.

use crate::tables::{ctx, Tables};
use atlas_mmu::config::Geometry;
use atlas_mmu::pte::{PTE_A, PTE_D, PTE_G, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use atlas_mmu::{AccessKind, Format, MmuConfig, PolicyKind, Privilege, Translator};

/// First VA of the swept pages.
const BASE: u64 = 0x4000_0000;
/// 4 KiB pages swept: four 2 MiB ranges, more than the modern L2's 1536 entries.
const PAGES: u64 = 2048;
/// A superpage (2 MiB, or 4 MiB under Sv32) right after them.
const SUPERPAGE: u64 = BASE + PAGES * 4096;

/// The leaf flags of page `i`: mostly the usual user page with A and D set.
fn flags(i: u64) -> u64 {
    let usual = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;
    match i % 16 {
        3 => usual & !PTE_D,
        5 => usual & !(PTE_A | PTE_D),
        7 => usual & !PTE_U,
        9 => PTE_V | PTE_X | PTE_U | PTE_A,
        11 => usual | PTE_G,
        13 if i % 32 == 13 => 0,
        _ => usual,
    }
}

/// The modern machine with every TLB and page-walk cache under `policy`.
fn machine(policy: PolicyKind) -> MmuConfig {
    let mut config = MmuConfig::modern();
    let with = |g: Geometry| Geometry::new(g.sets, g.ways, policy);
    config.l1i = config.l1i.map(with);
    config.l1d = config.l1d.map(with);
    config.l2 = config.l2.map(with);
    config.pwc = config.pwc.map(|g| g.map(with));
    config
}

/// What the quick miss did in a sweep, and the accesses it made.
struct Quick {
    misses: u64,
    l2_hits: u64,
    accesses: u64,
    /// Accesses `Translator::quick_data_miss` translated (with `native`).
    native: u64,
}

/// Sweeps the first `span` pages (and, past `PAGES`, the superpage) with both
/// translators, four passes. With `native`, the quick translator first offers each access
/// to `quick_data_miss`, as native code does with a page its table does not hold, and
/// takes the usual way when it declines; its `accept` turns down every physical page
/// whose number is a multiple of 5, so that declining after the search is checked too.
fn sweep(format: &'static Format, policy: PolicyKind, span: u64, native: bool) -> Quick {
    let mut tables = Tables::new(format, 32 << 20, 0);
    for i in 0..PAGES {
        tables.map(BASE + i * 4096, 0, (16 << 20) + i * 4096, flags(i));
    }
    tables.map(
        SUPERPAGE,
        1,
        0x40_0000,
        PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D,
    );
    let mut regs = tables.regs(1, 0);
    let phys_size = tables.mem.size();
    let mut quick_mem = tables.mem.clone();
    let mut slow_mem = tables.mem.clone();
    let mut quick = Translator::new(machine(policy)).expect("machine");
    let mut slow = Translator::new(machine(policy)).expect("machine");
    let (mut accesses, mut served) = (0, 0);
    for pass in 0..4u64 {
        // The last pass runs in supervisor mode with SUM set, so user pages are reachable.
        let privilege = if pass == 3 {
            Privilege::Supervisor
        } else {
            Privilege::User
        };
        regs.sum = pass == 3;
        for page in 0..span {
            let va = BASE + page * 4096 + 64 * pass;
            for kind in [AccessKind::Load, AccessKind::Store] {
                let c = ctx(va, kind, privilege, 1);
                let offered = native
                    .then(|| {
                        let accept = |pa: u64| !(pa >> 12).is_multiple_of(5);
                        quick.quick_data_miss(&quick_mem, &regs, &c, phys_size, accept)
                    })
                    .flatten();
                served += u64::from(offered.is_some());
                let held = match offered {
                    Some(translation) => Ok(translation),
                    None => quick.translate_and_hold(&mut quick_mem, &regs, &c, phys_size),
                };
                let plain = slow.translate(&mut slow_mem, &regs, &c);
                assert_eq!(
                    held, plain,
                    "{:?} {policy:?} pass {pass}: {c:?}",
                    format.kind
                );
                accesses += 1;
            }
        }
    }
    assert_eq!(quick.stats(), slow.stats(), "{:?} {policy:?}", format.kind);
    assert!(
        quick_mem.bytes_mut() == slow_mem.bytes_mut(),
        "tables differ"
    );
    assert_eq!((slow.quick_misses(), slow.quick_l2_hits()), (0, 0));
    Quick {
        misses: quick.quick_misses(),
        l2_hits: quick.quick_l2_hits(),
        accesses,
        native: served,
    }
}

#[test]
fn the_quick_miss_translates_as_the_slow_path_does() {
    for format in [&Format::SV32, &Format::SV39, &Format::SV48, &Format::SV57] {
        for policy in PolicyKind::ALL {
            let Quick {
                misses: quick,
                accesses,
                ..
            } = sweep(format, policy, PAGES + 512, false);
            if policy == PolicyKind::Lfu {
                // Every LFU hit bumps a use count: no page-walk-cache pointer is ever held
                // as a hit that changes nothing, and the quick miss needs one.
                assert_eq!(quick, 0, "{:?} LFU", format.kind);
            } else {
                // Half the accesses are loads, and most of those are of pages the quick
                // miss takes, missing both TLBs (the sweep is larger than the L2; tree-PLRU
                // and random keep some pages a pass longer).
                assert!(
                    quick > accesses / 8,
                    "{:?} {policy:?}: {quick} quick misses of {accesses} accesses",
                    format.kind
                );
            }
        }
    }
}

#[test]
fn the_quick_l2_hit_translates_as_the_slow_path_does() {
    // 512 pages: more than the L1's 64 entries, fewer than the L2's 1536, so after the
    // first pass nearly every access misses the L1 and hits the L2.
    for format in [&Format::SV32, &Format::SV39, &Format::SV48, &Format::SV57] {
        for policy in PolicyKind::ALL {
            let Quick {
                l2_hits, accesses, ..
            } = sweep(format, policy, 512, false);
            // Loads of the usual pages hit the L2 in passes 1 to 3 (every policy keeps a
            // set's twelve ways, and a set receives four pages); stores to them hit their
            // L1 entry, which the load just filled.
            assert!(
                l2_hits > accesses / 4,
                "{:?} {policy:?}: {l2_hits} quick L2 hits of {accesses} accesses",
                format.kind
            );
        }
    }
}

#[test]
fn the_quick_data_miss_of_native_code_translates_as_the_slow_path_does() {
    // Both sweeps: the one that misses the L2 and the one that hits it.
    for span in [PAGES + 512, 512] {
        for format in [&Format::SV32, &Format::SV39, &Format::SV48, &Format::SV57] {
            for policy in PolicyKind::ALL {
                let Quick {
                    native, accesses, ..
                } = sweep(format, policy, span, true);
                // Under LFU only the L2 hits are quick (see the quick miss's own test).
                let least = if policy == PolicyKind::Lfu {
                    1
                } else {
                    accesses / 8
                };
                assert!(
                    native >= least,
                    "{:?} {policy:?}, {span} pages: {native} of {accesses} accesses",
                    format.kind
                );
            }
        }
    }
}
