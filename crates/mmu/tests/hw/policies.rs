//! Every tuned replacement policy matches its naive reference hit for hit on random traces,
//! driven through a small tag store that fills invalid ways first, as the TLBs do.

use crate::tables::Rng;
use atlas_mmu::config::Geometry;
use atlas_mmu::policy::naive::NaivePolicy;
use atlas_mmu::policy::{Policy, PolicyKind, Replacement};
use atlas_mmu::pte::Perms;
use atlas_mmu::tlb::{Tlb, TlbEntry};

/// A tag store of `sets` × `ways` under policy `P`; returns per access whether it hit.
struct Store<P: Replacement> {
    sets: usize,
    ways: usize,
    tags: Vec<Option<u64>>,
    policy: P,
}

impl<P: Replacement> Store<P> {
    fn new(sets: usize, ways: usize, policy: P) -> Self {
        Store {
            sets,
            ways,
            tags: vec![None; sets * ways],
            policy,
        }
    }

    /// Accesses `tag`: (hit, way used, whether the hit would have changed state).
    fn access(&mut self, tag: u64) -> (bool, usize, bool) {
        let set = (tag % self.sets as u64) as usize;
        let row = &self.tags[set * self.ways..(set + 1) * self.ways];
        if let Some(way) = row.iter().position(|t| *t == Some(tag)) {
            let would_change = self.policy.hit_would_change_state(set, way);
            self.policy.touch(set, way);
            return (true, way, would_change);
        }
        // A full set is refilled by `replace` for odd tags and by `victim` then `fill`
        // for even ones, so both forms are held to the reference.
        let way = match row.iter().position(Option::is_none) {
            Some(way) => {
                self.policy.fill(set, way);
                way
            }
            None if tag % 2 == 1 => self.policy.replace(set),
            None => {
                let way = self.policy.victim(set);
                self.policy.fill(set, way);
                way
            }
        };
        self.tags[set * self.ways + way] = Some(tag);
        (false, way, true)
    }

    fn invalidate(&mut self, tag: u64) {
        let set = (tag % self.sets as u64) as usize;
        for way in 0..self.ways {
            if self.tags[set * self.ways + way] == Some(tag) {
                self.tags[set * self.ways + way] = None;
                self.policy.invalidate(set, way);
            }
        }
    }
}

#[test]
fn tuned_policies_match_naive_references_hit_for_hit() {
    let geometries = [
        (1, 1),
        (1, 2),
        (1, 3),
        (4, 4),
        (2, 5),
        (3, 7),
        (1, 12),
        (8, 12),
        (2, 16),
        (1, 33),
    ];
    for kind in PolicyKind::ALL {
        for (sets, ways) in geometries {
            for seed in [1u64, 7, 12345] {
                let mut fast = Store::new(sets, ways, Policy::new(kind, sets, ways, seed));
                let mut slow = Store::new(sets, ways, NaivePolicy::new(kind, sets, ways, seed));
                let mut rng = Rng(seed * 0x9e37_79b9 + ways as u64);
                let universe = (sets * ways) as u64 * 2 + 1;
                let mut hits = 0;
                for step in 0..4000 {
                    // Skewed tags so that hits are common and recency matters.
                    let tag = if rng.chance(60) {
                        rng.below(universe / 2 + 1)
                    } else {
                        rng.below(universe)
                    };
                    if rng.chance(3) {
                        fast.invalidate(tag);
                        slow.invalidate(tag);
                        continue;
                    }
                    let a = fast.access(tag);
                    let b = slow.access(tag);
                    assert_eq!(
                        a, b,
                        "{kind:?} {sets}x{ways} seed {seed} step {step} tag {tag}"
                    );
                    hits += u32::from(a.0);
                }
                assert!(
                    hits > 100,
                    "{kind:?} {sets}x{ways}: trace exercised hits ({hits})"
                );
            }
        }
    }
}

/// A TLB places its fills where the naive policies say: an invalid way first, else the
/// victim, for every policy and a range of geometries, with flushes of single pages between.
#[test]
fn tlbs_fill_the_ways_the_naive_policies_choose() {
    for kind in PolicyKind::ALL {
        for (sets, ways) in [(1, 1), (1, 4), (3, 5), (16, 4), (8, 12), (1, 33)] {
            let seed = 7u64;
            let geometry = Geometry::new(sets as u32, ways as u32, kind);
            let mut tlb = Tlb::new(geometry, seed);
            let mut naive = Store::new(sets, ways, NaivePolicy::new(kind, sets, ways, seed));
            let mut rng = Rng(seed * 31 + ways as u64);
            let universe = (sets * ways) as u64 * 2 + 1;
            let (mut hits, mut evictions) = (0, 0);
            for step in 0..4000 {
                let tag = if rng.chance(60) {
                    rng.below(universe / 2 + 1)
                } else {
                    rng.below(universe)
                };
                let va = tag << 12;
                if rng.chance(3) {
                    tlb.flush(Some(va), None);
                    naive.invalidate(tag);
                    continue;
                }
                let (hit, way, _) = naive.access(tag);
                let what = format!("{kind:?} {sets}x{ways} step {step} tag {tag}");
                if tlb.lookup(va, 1).is_some() {
                    assert!(hit, "{what}: the TLB hit, the model missed");
                    hits += 1;
                    continue;
                }
                assert!(!hit, "{what}: the model hit, the TLB missed");
                let (slot, evicted) = tlb.insert_at(page(va));
                assert_eq!(slot.way, way, "{what}");
                evictions += u32::from(evicted);
            }
            assert!(
                hits > 100 && evictions > 100,
                "{kind:?} {sets}x{ways}: {hits} hits, {evictions} evictions"
            );
        }
    }
}

/// A 4 KiB user page at `va`.
fn page(va: u64) -> TlbEntry {
    TlbEntry {
        vtag: va >> 12,
        page_shift: 12,
        asid: 1,
        global: false,
        perms: Perms::default(),
        dirty: true,
        level: 0,
        page_base: va,
        pte_addr: 0,
    }
}

#[test]
fn lru_hit_on_mru_changes_nothing() {
    let mut p = Policy::new(PolicyKind::Lru, 1, 4, 1);
    for way in 0..4 {
        p.fill(0, way);
    }
    assert!(!p.hit_would_change_state(0, 3));
    assert!(p.hit_would_change_state(0, 0));
    p.touch(0, 0);
    assert!(!p.hit_would_change_state(0, 0));
    assert_eq!(p.victim(0), 1);
}

#[test]
fn plru_state_queries() {
    let mut p = Policy::new(PolicyKind::TreePlru, 1, 4, 1);
    for way in 0..4 {
        p.fill(0, way);
    }
    // After filling 0..3 in order, the tree points away from 3: victim 0.
    assert_eq!(p.victim(0), 0);
    assert!(!p.hit_would_change_state(0, 3));
    assert!(p.hit_would_change_state(0, 1));
    p.touch(0, 0);
    assert_eq!(p.victim(0), 2);
    // 12 ways: the victim is always an existing way.
    let mut p12 = Policy::new(PolicyKind::TreePlru, 1, 12, 1);
    for way in 0..12 {
        p12.fill(0, way);
        assert!(p12.victim(0) < 12);
    }
    assert_eq!(p12.victim(0), 0);
}

#[test]
fn fifo_and_random_hits_never_change_state_and_lfu_counts() {
    for kind in [PolicyKind::Fifo, PolicyKind::Random] {
        let mut p = Policy::new(kind, 2, 3, 5);
        p.fill(1, 2);
        assert!(!p.hit_would_change_state(1, 2), "{kind:?}");
    }
    let mut lfu = Policy::new(PolicyKind::Lfu, 1, 3, 1);
    for way in 0..3 {
        lfu.fill(0, way);
    }
    lfu.touch(0, 0);
    lfu.touch(0, 2);
    assert_eq!(lfu.victim(0), 1);
    assert!(lfu.hit_would_change_state(0, 1));
    let mut fifo = Policy::new(PolicyKind::Fifo, 1, 3, 1);
    for way in [2, 0, 1] {
        fifo.fill(0, way);
    }
    fifo.touch(0, 2);
    assert_eq!(fifo.victim(0), 2);
}

/// What `hit_after_fill_is_free` vouches for: on random traces of fills, hits and victim
/// replacements, a hit on a way just filled (or just chosen and filled as a victim) never
/// changes state, for every policy but LFU, which says no; and LFU's hits after a fill
/// do change state, so it must.
#[test]
fn a_hit_right_after_a_fill_is_free_for_every_policy_but_lfu() {
    for kind in PolicyKind::ALL {
        for (sets, ways) in [(1, 1), (1, 4), (2, 3), (4, 12), (3, 16), (1, 33)] {
            let mut p = Policy::new(kind, sets, ways, 9);
            assert_eq!(
                p.hit_after_fill_is_free(),
                kind != PolicyKind::Lfu,
                "{kind:?}"
            );
            let mut rng = Rng((sets * 64 + ways) as u64);
            let mut changed_after_fill = 0;
            for _ in 0..2000 {
                let set = rng.below(sets as u64) as usize;
                let way = match rng.below(3) {
                    0 => {
                        let way = rng.below(ways as u64) as usize;
                        p.touch(set, way);
                        continue;
                    }
                    1 => p.replace(set),
                    _ => {
                        let way = rng.below(ways as u64) as usize;
                        p.fill(set, way);
                        way
                    }
                };
                let changes = p.hit_would_change_state(set, way);
                if p.hit_after_fill_is_free() {
                    assert!(!changes, "{kind:?} {sets}x{ways}: set {set} way {way}");
                }
                changed_after_fill += u32::from(changes);
            }
            assert_eq!(changed_after_fill > 0, kind == PolicyKind::Lfu, "{kind:?}");
        }
    }
}

#[test]
fn random_policy_is_seeded_and_deterministic() {
    let run = |seed| {
        let mut p = Policy::new(PolicyKind::Random, 1, 12, seed);
        (0..32).map(|_| p.victim(0)).collect::<Vec<_>>()
    };
    assert_eq!(run(3), run(3));
    assert_ne!(run(3), run(4));
    assert!(run(3).iter().all(|w| *w < 12));
}
