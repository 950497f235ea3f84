//! TLB structure: geometries, mixed page sizes, flush semantics and the fast-path query.

use atlas_mmu::config::Geometry;
use atlas_mmu::pte::Perms;
use atlas_mmu::tlb::{Tlb, TlbEntry};
use atlas_mmu::PolicyKind;

fn entry(va: u64, page_shift: u8, asid: u16, global: bool) -> TlbEntry {
    TlbEntry {
        vtag: va >> page_shift,
        page_shift,
        asid,
        global,
        perms: Perms::new(true, true, false, true),
        dirty: true,
        level: (page_shift - 12) / 9,
        page_base: 0x4000_0000 + (va >> page_shift << page_shift & 0xfff_ffff),
        pte_addr: 0x1000,
    }
}

#[test]
fn a_1536_entry_12_way_tlb_fills_every_way() {
    let mut tlb = Tlb::new(Geometry::new(128, 12, PolicyKind::Lru), 1);
    for page in 0..1536u64 {
        assert_eq!(tlb.insert(entry(page << 12, 12, 1, false)), None);
    }
    assert_eq!(tlb.len(), 1536);
    for page in 0..1536u64 {
        assert_eq!(
            tlb.find(page << 12 | 0x123, 1).map(|(s, _)| s.set),
            Some((page % 128) as usize)
        );
    }
    // The 1537th page evicts the LRU way of set 0: page 0.
    let evicted = tlb.insert(entry(1536 << 12, 12, 1, false));
    assert_eq!(evicted.map(|e| e.vtag), Some(0));
    assert_eq!(tlb.len(), 1536);
}

#[test]
fn superpages_are_found_at_any_offset_beside_small_pages() {
    let mut tlb = Tlb::new(Geometry::new(3, 3, PolicyKind::Fifo), 1);
    let big = entry(0x4000_0000, 30, 1, false);
    let mid = entry(0x20_0000, 21, 1, false);
    let small = entry(0x1000, 12, 1, false);
    for e in [big, mid, small] {
        assert_eq!(tlb.insert(e), None);
    }
    for va in [0x4000_0000u64, 0x4000_1234, 0x5fff_ffff, 0x7fff_fff8] {
        assert_eq!(
            tlb.find(va, 1).map(|(_, e)| e.page_shift),
            Some(30),
            "va {va:#x}"
        );
    }
    for va in [0x20_0000u64, 0x2f_f000, 0x3f_ffff] {
        assert_eq!(
            tlb.find(va, 1).map(|(_, e)| e.page_shift),
            Some(21),
            "va {va:#x}"
        );
    }
    assert_eq!(tlb.find(0x1fff, 1).map(|(_, e)| e.page_shift), Some(12));
    assert_eq!(tlb.find(0x2000, 1), None);
    assert_eq!(tlb.find(0x8000_0000, 1), None);
    // A superpage's translation keeps the offset within it.
    assert_eq!(
        tlb.find(0x4123_4567, 1)
            .map(|(_, e)| e.translate(0x4123_4567)),
        Some(0x4123_4567)
    );
    // Flushing one address inside the 1 GiB page drops only that page.
    assert_eq!(tlb.flush(Some(0x6000_0000), None), 1);
    assert_eq!(tlb.len(), 2);
    assert_eq!(tlb.find(0x4000_0000, 1), None);
}

#[test]
fn flushes_follow_sfence_vma_semantics() {
    let fill = || {
        let mut tlb = Tlb::new(Geometry::new(4, 4, PolicyKind::Lru), 1);
        tlb.insert(entry(0x1000, 12, 1, false));
        tlb.insert(entry(0x1000, 12, 2, false));
        tlb.insert(entry(0x2000, 12, 1, false));
        tlb.insert(entry(0x3000, 12, 9, true));
        tlb
    };
    let mut t = fill();
    assert_eq!(t.flush(None, None), 4);
    assert!(t.is_empty());

    let mut t = fill();
    assert_eq!(t.flush(None, Some(1)), 2, "ASID 1's non-global entries");
    assert_eq!(
        t.find(0x3000, 1).map(|(_, e)| e.global),
        Some(true),
        "global survives"
    );
    assert_eq!(t.find(0x1000, 2).map(|(_, e)| e.asid), Some(2));

    let mut t = fill();
    assert_eq!(t.flush(Some(0x1abc), None), 2, "every ASID at that address");
    assert_eq!(t.len(), 2);

    let mut t = fill();
    assert_eq!(t.flush(Some(0x1abc), Some(2)), 1);
    assert_eq!(t.find(0x1000, 1).map(|(_, e)| e.asid), Some(1));
    assert_eq!(
        t.flush(Some(0x3000), Some(9)),
        0,
        "global entries survive ASID flushes"
    );
    assert_eq!(t.flush(Some(0x3000), None), 1);

    // A global entry matches every ASID.
    let t = fill();
    assert_eq!(t.find(0x3000, 42).map(|(_, e)| e.asid), Some(9));
    assert_eq!(t.find(0x2000, 42), None);
}

#[test]
fn reinserting_a_page_replaces_it_in_place() {
    let mut tlb = Tlb::new(Geometry::new(1, 2, PolicyKind::Lru), 1);
    let mut clean = entry(0x1000, 12, 1, false);
    clean.dirty = false;
    tlb.insert(clean);
    tlb.insert(entry(0x1000, 12, 1, false));
    assert_eq!(tlb.len(), 1);
    assert_eq!(tlb.find(0x1000, 1).map(|(_, e)| e.dirty), Some(true));
}

#[test]
fn hit_would_change_state_per_policy() {
    let expectations = [
        (PolicyKind::Lru, [Some(true), Some(false)]),
        (PolicyKind::TreePlru, [Some(true), Some(false)]),
        (PolicyKind::Fifo, [Some(false), Some(false)]),
        (PolicyKind::Random, [Some(false), Some(false)]),
        (PolicyKind::Lfu, [Some(true), Some(true)]),
    ];
    for (kind, [older, newest]) in expectations {
        let mut tlb = Tlb::new(Geometry::new(1, 2, kind), 1);
        tlb.insert(entry(0x1000, 12, 1, false));
        tlb.insert(entry(0x2000, 12, 1, false));
        assert_eq!(
            tlb.hit_would_change_state(0x1000, 1),
            older,
            "{kind:?} older entry"
        );
        assert_eq!(
            tlb.hit_would_change_state(0x2000, 1),
            newest,
            "{kind:?} newest entry"
        );
        assert_eq!(tlb.hit_would_change_state(0x9000, 1), None, "{kind:?} miss");
        // After a real hit on the older entry, LRU and PLRU would not change on a second one.
        tlb.lookup(0x1000, 1);
        let again = tlb.hit_would_change_state(0x1000, 1);
        assert_eq!(again, Some(kind == PolicyKind::Lfu), "{kind:?} after a hit");
    }
}

#[test]
fn translator_answers_the_fast_path_query() {
    use crate::tables::{ctx, Tables};
    use atlas_mmu::pte::{PTE_A, PTE_R, PTE_U, PTE_V, PTE_W};
    use atlas_mmu::{AccessKind, Format, MmuConfig, Privilege, Translator};
    let mut t = Tables::new(&Format::SV39, 1 << 20, 0);
    t.map(0x1000, 0, 0x8000, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A);
    t.map(0x2000, 0, 0x9000, PTE_V | PTE_R | PTE_U | PTE_A);
    let regs = t.regs(1, 0);
    let mut tr = Translator::new(MmuConfig::teaching()).expect("teaching");
    let load = |va| ctx(va, AccessKind::Load, Privilege::User, 1);
    assert_eq!(
        tr.l1_hit_would_change_state(&regs, &load(0x1000)),
        None,
        "cold TLB"
    );
    assert_eq!(
        tr.translate(&mut t.mem, &regs, &load(0x1000)).map(|t| t.pa),
        Ok(0x8000)
    );
    assert_eq!(
        tr.l1_hit_would_change_state(&regs, &load(0x1234)),
        Some(false),
        "MRU"
    );
    assert_eq!(
        tr.translate(&mut t.mem, &regs, &load(0x2000)).map(|t| t.pa),
        Ok(0x9000)
    );
    assert_eq!(
        tr.l1_hit_would_change_state(&regs, &load(0x1000)),
        Some(true),
        "no longer MRU"
    );
    // A store to a clean page, a permission failure and another ASID all take the slow path.
    let store = ctx(0x1000, AccessKind::Store, Privilege::User, 1);
    assert_eq!(tr.l1_hit_would_change_state(&regs, &store), None);
    let store_ro = ctx(0x2000, AccessKind::Store, Privilege::User, 1);
    assert_eq!(tr.l1_hit_would_change_state(&regs, &store_ro), None);
    assert_eq!(
        tr.l1_hit_would_change_state(&regs, &ctx(0x2000, AccessKind::Load, Privilege::User, 2)),
        None
    );
    // The query changed nothing: the counters saw two walks only.
    let s = tr.stats();
    assert_eq!(s.l1d.accesses, [0, 2, 0]);
    assert_eq!(s.walks_of(atlas_mmu::FormatKind::Sv39), 2);
}

#[test]
fn configs_are_validated() {
    use atlas_mmu::MmuConfig;
    assert_eq!(MmuConfig::teaching().validate(), Ok(()));
    assert_eq!(MmuConfig::modern().validate(), Ok(()));
    assert_eq!(
        MmuConfig::preset("modern").map(|c| c.l2),
        Some(Some(Geometry::new(128, 12, PolicyKind::TreePlru)))
    );
    assert_eq!(MmuConfig::preset("huge"), None);
    let mut c = MmuConfig::teaching();
    c.l1d = Some(Geometry::new(0, 4, PolicyKind::Lru));
    assert_eq!(
        c.validate(),
        Err("l1d: sets and ways must be positive".to_string())
    );
    let mut c = MmuConfig::teaching();
    c.pwc[2] = Some(Geometry::new(1 << 11, 1 << 10, PolicyKind::Lru));
    assert_eq!(
        c.validate(),
        Err("pwc level 3: 2097152 entries is above the maximum 1048576".to_string())
    );
    let mut c = MmuConfig::modern();
    c.latencies.pte_read = u64::MAX;
    assert_eq!(
        c.validate(),
        Err("latencies must be at most 4294967296 cycles".to_string())
    );
    assert_eq!(
        atlas_mmu::Translator::new(c).map(|_| ()),
        Err("latencies must be at most 4294967296 cycles".to_string())
    );
}
