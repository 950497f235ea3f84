//! Cycle accounting: scripted access sequences whose translation cycles equal a sum computed
//! by hand from the latency table, with the counters that go with them.

use crate::tables::{ctx, Tables};
use atlas_mmu::config::{Geometry, Latencies};
use atlas_mmu::pte::{PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use atlas_mmu::{
    AccessKind, Format, FormatKind, MmuConfig, PolicyKind, Privilege, Resolved, TlbCounters,
    TranslateReason, Translator,
};

use AccessKind::{Fetch, Load, Store};

/// Distinct latencies so that every sum identifies its parts.
const LAT: Latencies = Latencies {
    l1_lookup: 1,
    l2_lookup: 7,
    pwc_lookup: 3,
    pte_read: 50,
    ad_write: 200,
    base_bounds: 2,
    segment: 4,
    flush: 11,
};

fn small_machine() -> MmuConfig {
    MmuConfig {
        name: "cycles test".to_string(),
        l1i: Some(Geometry::new(1, 2, PolicyKind::Lru)),
        l1d: Some(Geometry::new(1, 2, PolicyKind::Lru)),
        l2: Some(Geometry::new(1, 4, PolicyKind::Lru)),
        pwc: [
            Some(Geometry::new(1, 4, PolicyKind::Lru)),
            Some(Geometry::new(1, 4, PolicyKind::Lru)),
            None,
            None,
        ],
        latencies: LAT,
        hardware_ad: true,
        seed: 1,
    }
}

const RWX_AD: u64 = PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D;

#[test]
fn sv39_sequence_costs_the_hand_computed_sum() {
    let mut t = Tables::new(&Format::SV39, 1 << 20, 0);
    t.map(0x1000, 0, 0x8000, PTE_V | PTE_R | PTE_W | PTE_U); // A and D clear
    t.map(0x2000, 0, 0x9000, RWX_AD);
    t.map(0x20_0000, 1, 0x20_0000, RWX_AD);
    t.map(0x4000_0000, 2, 0x4000_0000, RWX_AD);
    let regs = t.regs(1, 0);
    let mut tr = Translator::new(small_machine()).expect("config");
    let walk = |reads, leaf, pwc, ad| Resolved::Walk {
        pte_reads: reads,
        leaf_level: leaf,
        pwc_hit_level: pwc,
        ad_written: ad,
    };

    let script: Vec<(AccessKind, u64, u64, Resolved)> = vec![
        // L1 1 + L2 7 + PWC 3 + three reads 150 + A write 200.
        (Load, 0x1000, 361, walk(3, 0, None, true)),
        (Load, 0x1008, 1, Resolved::L1),
        // A store finds clean entries in L1 and L2: the level-1 pointer is in the PWC, one
        // read, and the D write: 1 + 7 + 3 + 50 + 200.
        (Store, 0x1010, 261, walk(1, 0, Some(1), true)),
        (Load, 0x2000, 61, walk(1, 0, Some(1), false)),
        // The 2 MiB leaf: level-1 PWC misses, the level-2 (root) pointer hits.
        (Load, 0x20_0000, 61, walk(1, 1, Some(2), false)),
        // The 1 GiB leaf is in the root: no PWC hit, one read.
        (Load, 0x4000_0000, 61, walk(1, 2, None, false)),
        // 0x1000 was evicted from the 2-entry L1 but is in the L2.
        (Load, 0x1000, 8, Resolved::L2),
        (Fetch, 0x2000, 8, Resolved::L2),
        (Load, 0x4000_1234, 1, Resolved::L1),
    ];
    let mut total = 0;
    for (i, (kind, va, cycles, resolved)) in script.iter().enumerate() {
        let got = tr
            .translate(&mut t.mem, &regs, &ctx(*va, *kind, Privilege::User, 1))
            .map(|t| (t.cycles, t.resolved));
        assert_eq!(got, Ok((*cycles, *resolved)), "step {i}: {kind:?} {va:#x}");
        total += cycles;
    }
    assert_eq!(tr.sfence_vma(None, None), 11);
    total += 11;
    // After the flush everything walks from the root again: 1 + 7 + 3 + 150.
    let again = tr
        .translate(&mut t.mem, &regs, &ctx(0x2000, Load, Privilege::User, 1))
        .map(|t| t.cycles);
    assert_eq!(again, Ok(161));
    total += 161;
    // An unmapped page beside it: level-1 PWC hit, one read of an invalid PTE.
    let fault = tr.translate(&mut t.mem, &regs, &ctx(0x5000, Load, Privilege::User, 1));
    assert_eq!(
        fault.map_err(|f| (f.reason, f.cycles)),
        Err((TranslateReason::NotValid { level: 0 }, 61))
    );
    total += 61;
    assert_eq!(total, 1056);

    let s = tr.stats();
    assert_eq!(s.cycles.total(), 1056);
    assert_eq!(s.cycles.l1, 11);
    assert_eq!(s.cycles.l2, 9 * 7);
    assert_eq!(s.cycles.pwc, 7 * 3);
    assert_eq!(s.cycles.pte_reads, 11 * 50);
    assert_eq!(s.cycles.ad_writes, 400);
    assert_eq!(s.cycles.flush, 11);
    assert_eq!(s.pte_reads, 11);
    assert_eq!(s.ad_writes, 2);
    assert_eq!(s.walks[FormatKind::Sv39.index()], [0, 5, 0, 2, 0, 0]);
    assert_eq!(s.walks_of(FormatKind::Sv39), 7);
    assert_eq!(s.pwc_hits, [3, 1, 0, 0]);
    assert_eq!(s.pwc_lookups, [7, 4, 0, 0]);
    assert_eq!(
        s.l1d,
        TlbCounters {
            accesses: [0, 9, 1],
            hits: [0, 2, 0],
            misses: [0, 7, 1],
            evictions: [0, 3, 0]
        }
    );
    assert_eq!(
        s.l1i,
        TlbCounters {
            accesses: [1, 0, 0],
            hits: [0, 0, 0],
            misses: [1, 0, 0],
            evictions: [0, 0, 0]
        }
    );
    assert_eq!(
        s.l2,
        TlbCounters {
            accesses: [1, 7, 1],
            hits: [1, 1, 0],
            misses: [0, 6, 1],
            evictions: [0, 0, 0]
        }
    );
    assert_eq!(s.faults_of(&TranslateReason::NotValid { level: 0 }), 1);
    assert_eq!(s.flushes, [1, 0, 0, 0]);
    assert_eq!(s.translations, [1, 9, 1]);
}

#[test]
fn teaching_preset_costs() {
    // Teaching: L1 1, no L2, no PWC, PTE read 10, A/D write 10.
    let mut t = Tables::new(&Format::SV32, 1 << 20, 0);
    t.map(0x1000, 0, 0x5000, PTE_V | PTE_R | PTE_W | PTE_U);
    for va in [0x40_0000u64, 0x80_0000, 0xc0_0000, 0x100_0000, 0x140_0000] {
        t.map(va, 1, va, RWX_AD);
    }
    let regs = t.regs(0, 0);
    let mut tr = Translator::new(MmuConfig::teaching()).expect("teaching");
    let mut cost = |kind, va| {
        tr.translate(&mut t.mem, &regs, &ctx(va, kind, Privilege::User, 0))
            .map(|t| t.cycles)
    };
    assert_eq!(cost(Load, 0x1000), Ok(1 + 20 + 10));
    assert_eq!(cost(Load, 0x1004), Ok(1));
    assert_eq!(cost(Store, 0x1004), Ok(1 + 20 + 10));
    assert_eq!(cost(Store, 0x1008), Ok(1));
    assert_eq!(cost(Fetch, 0x40_0000), Ok(1 + 10));
    assert_eq!(cost(Fetch, 0x7f_fffc), Ok(1));
    // Four L1 entries, LRU: cycling through five pages misses every time once 0x1000 (the
    // only data page resident) has been used.
    let pages = [0x1000u64, 0x80_0000, 0xc0_0000, 0x100_0000, 0x140_0000];
    let expected = [[1, 11, 11, 11, 11], [21, 11, 11, 11, 11]];
    for (round, costs) in expected.iter().enumerate() {
        for (va, want) in pages.iter().zip(costs) {
            assert_eq!(cost(Load, *va), Ok(*want), "round {round} va {va:#x}");
        }
    }
    assert_eq!(
        tr.stats().cycles.total(),
        31 + 1 + 31 + 1 + 11 + 1 + 45 + 65
    );
}

#[test]
fn base_bounds_and_segment_costs_accumulate() {
    let mut mem = atlas_mmu::PhysMem::new(0x1000).expect("memory");
    let mut config = small_machine();
    config.latencies = LAT;
    let mut tr = Translator::new(config).expect("config");
    let mut regs = atlas_mmu::MmuRegs::new(atlas_isa::Xlen::X32);
    regs.atmode = atlas_mmu::regs::ATMODE_BASE_BOUNDS;
    regs.atbound = 0x100;
    for va in [0, 0x10, 0x200] {
        let cycles = tr
            .translate(&mut mem, &regs, &ctx(va, Load, Privilege::User, 0))
            .map_or_else(|f| f.cycles, |t| t.cycles);
        assert_eq!(cycles, 2);
    }
    regs.atmode = atlas_mmu::regs::ATMODE_SEGMENTED;
    let cycles = tr
        .translate(&mut mem, &regs, &ctx(0, Load, Privilege::User, 0))
        .map_or_else(|f| f.cycles, |t| t.cycles);
    assert_eq!(cycles, 4);
    let s = tr.stats();
    assert_eq!(
        (s.cycles.base_bounds, s.cycles.segment, s.cycles.total()),
        (6, 4, 10)
    );
}

#[test]
fn sv57_walks_of_every_depth_with_the_modern_pwcs() {
    let mut t = Tables::new(&Format::SV57, 1 << 20, 0);
    let a = 0x1000u64;
    let targets = [
        a,
        a + (1 << 21),
        a + (1 << 30),
        a + (1 << 39),
        a + (1 << 48),
    ];
    for (i, va) in targets.iter().enumerate() {
        t.map(*va, 0, 0x10_0000 + ((i as u64) << 12), RWX_AD);
    }
    let regs = t.regs(3, 0);
    let mut tr = Translator::new(MmuConfig::modern()).expect("modern");
    // Modern: L1 1, L2 7, PWC 2, PTE read 30. Each new target shares one more level less
    // with the ones before, so the PWC hit moves up a level and the walk reads one more PTE.
    let expected = [
        (160, None, 5),
        (70, Some(2), 2),
        (100, Some(3), 3),
        (130, Some(4), 4),
        (160, None, 5),
    ];
    for (i, (va, (cycles, pwc, reads))) in targets.iter().zip(expected).enumerate() {
        let got = tr.translate(&mut t.mem, &regs, &ctx(*va, Load, Privilege::User, 3));
        let want = Resolved::Walk {
            pte_reads: reads,
            leaf_level: 0,
            pwc_hit_level: pwc,
            ad_written: false,
        };
        assert_eq!(
            got.map(|t| (t.pa, t.cycles, t.resolved)),
            Ok((0x10_0000 + ((i as u64) << 12), cycles, want)),
            "target {i}"
        );
    }
    let s = tr.stats();
    assert_eq!(s.walks[FormatKind::Sv57.index()], [0, 0, 1, 1, 1, 2]);
    assert_eq!(s.pwc_hits, [0, 1, 1, 1]);
    assert_eq!(s.cycles.total(), 160 + 70 + 100 + 130 + 160);
    assert_eq!(s.cycles.pte_reads, 19 * 30);
}
