use super::*;
use crate::profile::Recorder;
use crate::trace::{TraceHeader, TraceReader, TraceWriter};
use atlas_isa::{csr, Xlen};
use atlas_mmu::pte::{Pte, PTE_A, PTE_R, PTE_U, PTE_V, PTE_W};
use atlas_mmu::{AccessCtx, Bus, FormatKind, PhysMem, Privilege, Satp, SystemBus};
use std::io::Write;

/// First VA of the mapped pages.
const BASE: u64 = 0x40_0000;

/// An Sv39 machine mapping `pages` pages from `BASE` (user, read-write, A set, D clear)
/// to frames from 0x10_0000. Tables: root 0x1000, level 1 0x2000, level 0 0x3000.
fn machine(config: MmuConfig, pages: u64) -> SystemBus {
    let mut bus = SystemBus::with_mmu(PhysMem::new(4 << 20).expect("4 MiB"), Xlen::X64, config)
        .expect("valid config");
    let mem = bus.phys_mut();
    mem.write(0x1000, 8, Pte::new(0x2, PTE_V).0)
        .expect("in memory");
    mem.write(0x2000 + 2 * 8, 8, Pte::new(0x3, PTE_V).0)
        .expect("in memory");
    for i in 0..pages {
        let leaf = Pte::new(0x100 + i, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A);
        mem.write(0x3000 + i * 8, 8, leaf.0).expect("in memory");
    }
    let satp = Satp {
        mode: Some(FormatKind::Sv39),
        asid: 1,
        ppn: 1,
    };
    assert_eq!(bus.write_csr(csr::SATP, satp.encode(Xlen::X64)), Some(()));
    bus
}

fn load(bus: &mut SystemBus, pc: u64, va: u64) {
    let ctx = AccessCtx {
        va,
        kind: AccessKind::Load,
        size: 8,
        privilege: Privilege::User,
        asid: 1,
        pc,
    };
    assert_eq!(bus.load(ctx).map(|_| ()), Ok(()));
}

/// Loads one word of each of `pages` pages, `passes` times.
fn stride(bus: &mut SystemBus, pages: u64, passes: u64) {
    for _ in 0..passes {
        for i in 0..pages {
            load(bus, 0x100, BASE + i * 4096 + 8);
        }
    }
}

#[test]
fn stride_misses_have_the_closed_form() {
    // (DTLB geometry, pages, passes, expected DTLB misses).
    let fully = Geometry::new(1, 8, atlas_mmu::PolicyKind::Lru);
    let set_assoc = Geometry::new(4, 2, atlas_mmu::PolicyKind::Lru);
    let cases = [
        // Within reach: only the first pass misses.
        (fully, 8, 5, 8),
        // One page beyond reach of a cyclic LRU: every access misses.
        (fully, 9, 5, 45),
        // 4 sets × 2 ways: 8 pages are 2 per set, within reach.
        (set_assoc, 8, 5, 8),
        // 12 pages are 3 per set: every access misses.
        (set_assoc, 12, 5, 60),
        // 6 pages: sets 0 and 1 hold 2, sets 2 and 3 hold 1: within reach.
        (set_assoc, 6, 5, 6),
    ];
    for (geometry, pages, passes, misses) in cases {
        let config = MmuConfig {
            l1d: Some(geometry),
            ..MmuConfig::teaching()
        };
        let mut bus = machine(config, pages);
        stride(&mut bus, pages, passes);
        let stats = bus.translator().expect("has an MMU").stats();
        let what = format!("{geometry:?} {pages} pages x {passes}");
        assert_eq!(stats.l1d.misses, [0, misses, 0], "{what}");
        assert_eq!(stats.l1d.hits, [0, pages * passes - misses, 0], "{what}");
        // No L2: every miss walks, reading three PTEs.
        assert_eq!(stats.walks_of(FormatKind::Sv39), misses, "{what}");
        assert_eq!(stats.pte_reads, 3 * misses, "{what}");
        assert_eq!(
            stats.pte_reads_by_level,
            [misses, misses, misses, 0, 0],
            "{what}"
        );
    }
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("atlas-replay-{}-{name}", std::process::id()))
}

#[test]
fn replay_reproduces_the_live_tlb_counters() {
    for (name, config) in [
        ("teaching", MmuConfig::teaching()),
        ("modern", MmuConfig::modern()),
        (
            "fifo",
            MmuConfig {
                l1d: Some(Geometry::new(2, 2, atlas_mmu::PolicyKind::Fifo)),
                l2: Some(Geometry::new(4, 3, atlas_mmu::PolicyKind::Random)),
                ..MmuConfig::teaching()
            },
        ),
    ] {
        let path = temp_path(name);
        let file = std::fs::File::create(&path).expect("temp file");
        let header = TraceHeader {
            xlen_bits: 64,
            mmu_mode: "sv39".to_string(),
            program: name.to_string(),
        };
        let writer = TraceWriter::new(Box::new(file) as Box<dyn Write>, &header).expect("header");
        let mut bus = machine(config.clone(), 40);
        bus.set_observer(Some(Box::new(Recorder::new(true, Some(writer)))));
        stride(&mut bus, 40, 3);
        // Stores to clean pages walk again to set D; a flush empties everything.
        for i in (0..40).step_by(3) {
            let ctx = AccessCtx {
                va: BASE + i * 4096,
                kind: AccessKind::Store,
                size: 4,
                privilege: Privilege::User,
                asid: 1,
                pc: 0x200,
            };
            assert_eq!(bus.store(ctx, i), Ok(()));
        }
        bus.sfence_vma(None, None);
        stride(&mut bus, 7, 2);
        // An unmapped page faults after missing every TLB.
        let fault = AccessCtx {
            va: BASE + 100 * 4096,
            kind: AccessKind::Load,
            size: 8,
            privilege: Privilege::User,
            asid: 1,
            pc: 0x300,
        };
        assert_eq!(
            bus.load(fault).map_err(|f| f.reason.is_page_fault()),
            Err(true)
        );
        let recorder = bus
            .take_observer()
            .expect("installed")
            .into_any()
            .downcast::<Recorder>()
            .expect("a Recorder");
        let profile = recorder.finish().expect("trace written");
        let live = bus.translator().expect("has an MMU").stats();
        assert_eq!(
            live.pte_reads_by_level.iter().sum::<u64>(),
            live.pte_reads,
            "{name}"
        );
        assert_eq!(profile.total().faults, 1);
        // Per-instruction misses add up to the hardware's, less the faulting lookup (a
        // fault is counted as a fault, not a miss, in profiles).
        let at = |pc: u64| profile.per_pc.get(&pc).copied().unwrap_or_default();
        assert_eq!(
            at(0x100).dtlb_misses + at(0x200).dtlb_misses + 1,
            live.l1d.misses.iter().sum::<u64>(),
            "{name}"
        );
        assert_eq!(at(0x200).dtlb_misses, live.l1d.misses[2], "{name}");
        assert_eq!((at(0x300).faults, at(0x300).dtlb_misses), (1, 0), "{name}");
        let top = profile.top_pcs(3, crate::profile::Counts::misses);
        assert_eq!(top.first().map(|(pc, _)| *pc), Some(0x100), "{name}");

        let reader =
            TraceReader::new(std::fs::File::open(&path).expect("written")).expect("header");
        let mut replay = Replay::new(&config).expect("valid");
        for entry in reader.entries() {
            replay.entry(&entry.expect("well-formed"));
        }
        let _ = std::fs::remove_file(&path);
        let replayed = replay.stats();
        assert_eq!(replayed.translations, live.translations, "{name}");
        assert_eq!(replayed.l1i, live.l1i, "{name}");
        assert_eq!(replayed.l1d, live.l1d, "{name}");
        assert_eq!(replayed.l2, live.l2, "{name}");
        assert_eq!(replayed.flushes, live.flushes, "{name}");
        assert_eq!(replay.walks(), live.walks_of(FormatKind::Sv39), "{name}");
        assert_eq!(
            profile.total().walks + 1,
            replay.walks(),
            "{name}: the fault walked too"
        );
    }
}
