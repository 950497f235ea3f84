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
        perms: Perms {
            read: true,
            write: true,
            execute: false,
            user: true,
        },
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
