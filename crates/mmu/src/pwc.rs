//! Page-walk caches: one small set-associative cache per non-leaf level (as ChampSim's
//! paging-structure caches). The cache of level j holds pointer PTEs read at level j, keyed
//! by the VA bits that select them (`va >> page_shift(j)`); a hit lets the walk skip every
//! read above level j − 1. The deepest hit wins.

use crate::config::Geometry;
use crate::format::Format;
use crate::policy::{Policy, Replacement};
use crate::tlb::{first_match, match_from};
use crate::walker::WalkCache;

/// Number of levels that can hold pointer PTEs (1 to 4; level 0 PTEs are always leaves).
pub const PWC_LEVELS: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PwcEntry {
    /// `va >> shift`.
    tag: u64,
    /// The VA shift the tag was made with (the span one pointer covers).
    shift: u8,
    asid: u16,
    global: bool,
    next_table: u64,
}

/// The key of an invalid slot (no real key has all bits set: the shift is below 64).
const NO_KEY: u64 = u64::MAX;

/// The lookup key of a pointer: its tag and shift in one word, so one compare per way
/// rejects other VA ranges (a tag beyond 56 bits may collide; the entry is checked then).
#[inline(always)]
fn key(tag: u64, shift: u8) -> u64 {
    tag << 8 | u64::from(shift & 63)
}

/// One level's cache.
#[derive(Clone, Debug)]
pub struct Pwc {
    sets: usize,
    ways: usize,
    /// Per slot, its entry; meaningful only where the slot's key is not [`NO_KEY`].
    entries: Vec<PwcEntry>,
    /// Per slot, [`key`] of its entry or [`NO_KEY`]: lookups scan these packed words.
    keys: Vec<u64>,
    policy: Policy,
    /// `sets - 1` when `sets` is a power of two: the set index is then a mask, not a
    /// division (this is on every walk).
    set_mask: Option<u64>,
    /// The entry the last lookup hit, while a hit on it would change no replacement state
    /// and nothing was inserted or flushed since: a walk of the same range (a sweep walks
    /// hundreds of pages under one pointer) then takes it without searching the set, with
    /// the same outcome the search and the touch would have.
    last_hit: Option<PwcEntry>,
}

const EMPTY_ENTRY: PwcEntry = PwcEntry {
    tag: 0,
    shift: 0,
    asid: 0,
    global: false,
    next_table: 0,
};

impl Pwc {
    /// An empty cache of `geometry`.
    pub fn new(geometry: Geometry, seed: u64) -> Pwc {
        let sets = geometry.sets.max(1) as usize;
        let ways = geometry.ways.max(1) as usize;
        Pwc {
            sets,
            ways,
            entries: vec![EMPTY_ENTRY; sets * ways],
            keys: vec![NO_KEY; sets * ways],
            policy: Policy::new(geometry.policy, sets, ways, seed),
            set_mask: sets.is_power_of_two().then(|| sets as u64 - 1),
            last_hit: None,
        }
    }

    /// The set of `tag`: `tag mod sets`.
    #[inline(always)]
    fn set_of(&self, tag: u64) -> usize {
        match self.set_mask {
            Some(mask) => (tag & mask) as usize,
            None => (tag % self.sets as u64) as usize,
        }
    }

    #[inline]
    fn lookup(&mut self, tag: u64, shift: u8, asid: u16) -> Option<(u64, bool)> {
        if let Some(e) = &self.last_hit {
            if e.tag == tag && e.shift == shift && (e.global || e.asid == asid) {
                return Some((e.next_table, e.global));
            }
        }
        self.search(tag, shift, asid)
    }

    /// [`Pwc::lookup`] by searching the set; a hit is touched and becomes the last hit if
    /// touching it again would change nothing.
    #[inline]
    fn search(&mut self, tag: u64, shift: u8, asid: u16) -> Option<(u64, bool)> {
        let set = self.set_of(tag);
        let base = set * self.ways;
        let row = self.keys.get(base..base + self.ways)?;
        let wanted = key(tag, shift);
        let first = first_match(row, wanted)?;
        let way = match self.entries.get(base + first) {
            Some(e) if e.tag == tag && (e.global || e.asid == asid) => first,
            _ => self.find_after(set, tag, wanted, asid, first + 1)?,
        };
        let entry = self.entries.get(base + way).copied();
        self.policy.touch(set, way);
        self.last_hit = entry.filter(|_| !self.policy.hit_would_change_state(set, way));
        entry.map(|e| (e.next_table, e.global))
    }

    /// The way of `set` from `from` on whose key is `wanted` and whose entry is for `tag` in
    /// `asid`: the search past another address space's pointer for the same range. Out of
    /// line and cold: one address space never gets here (several that share a range do, at
    /// the cost of this call).
    #[cold]
    #[inline(never)]
    fn find_after(
        &self,
        set: usize,
        tag: u64,
        wanted: u64,
        asid: u16,
        from: usize,
    ) -> Option<usize> {
        let base = set * self.ways;
        let row = self.keys.get(base..base + self.ways)?;
        match_from(row, wanted, from, |way| {
            self.entries
                .get(base + way)
                .is_some_and(|e| e.tag == tag && (e.global || e.asid == asid))
        })
    }

    fn insert(&mut self, entry: PwcEntry) {
        self.last_hit = None;
        let set = self.set_of(entry.tag);
        let base = set * self.ways;
        let Some(row) = self.keys.get(base..base + self.ways) else {
            return;
        };
        let wanted = key(entry.tag, entry.shift);
        let same = row.iter().enumerate().position(|(way, k)| {
            *k == wanted
                && self.entries.get(base + way).is_some_and(|e| {
                    e.tag == entry.tag && (e.global || entry.global || e.asid == entry.asid)
                })
        });
        let way = same
            .or_else(|| row.iter().position(|k| *k == NO_KEY))
            .unwrap_or_else(|| self.policy.victim(set).min(self.ways - 1));
        if let (Some(k), Some(e)) = (
            self.keys.get_mut(base + way),
            self.entries.get_mut(base + way),
        ) {
            *k = wanted;
            *e = entry;
        }
        self.policy.fill(set, way);
    }

    /// `sfence.vma` semantics as for TLBs; with a VA, the pointers on that VA's path.
    fn flush(&mut self, va: Option<u64>, asid: Option<u16>) {
        self.last_hit = None;
        for (i, (k, e)) in self.keys.iter_mut().zip(&self.entries).enumerate() {
            if *k == NO_KEY {
                continue;
            }
            let va_hit = va.is_none_or(|va| va >> e.shift == e.tag);
            let asid_hit = asid.is_none_or(|a| !e.global && e.asid == a);
            if va_hit && asid_hit {
                *k = NO_KEY;
                self.policy.invalidate(i / self.ways, i % self.ways);
            }
        }
    }

    /// Number of valid entries.
    pub fn len(&self) -> usize {
        self.keys.iter().filter(|k| **k != NO_KEY).count()
    }

    /// Whether no entry is valid.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The page-walk caches of every level, with their hit counters.
#[derive(Clone, Debug, Default)]
pub struct PageWalkCaches {
    /// Index 0 is level 1.
    levels: [Option<Pwc>; PWC_LEVELS],
    /// Lookups that reached each level's cache (index 0 is level 1), but for those the
    /// translator's quick misses answered from the remembered level-1 pointer
    /// (`remembered_level1`): it counts those itself, and `Translator::stats` has the sum.
    pub lookups: [u64; PWC_LEVELS],
    /// Hits per level (index 0 is level 1), as `lookups`.
    pub hits: [u64; PWC_LEVELS],
}

impl PageWalkCaches {
    /// Caches for the levels configured in `geometries` (index 0 is level 1).
    pub fn new(geometries: &[Option<Geometry>; PWC_LEVELS], seed: u64) -> PageWalkCaches {
        let mut levels: [Option<Pwc>; PWC_LEVELS] = Default::default();
        for (i, (slot, g)) in levels.iter_mut().zip(geometries).enumerate() {
            *slot = g.map(|g| Pwc::new(g, seed.wrapping_add(i as u64 + 10)));
        }
        PageWalkCaches {
            levels,
            lookups: [0; PWC_LEVELS],
            hits: [0; PWC_LEVELS],
        }
    }

    /// Whether any level has a cache.
    pub fn any(&self) -> bool {
        self.levels.iter().any(Option::is_some)
    }

    /// The cache of `level` (1 to 4).
    pub fn level(&self, level: u32) -> Option<&Pwc> {
        self.levels.get((level as usize).checked_sub(1)?)?.as_ref()
    }

    /// Flushes every level with `sfence.vma` semantics. A VA flush also drops the pointers on
    /// that VA's path, although the spec requires that only for leaves: a conservative choice
    /// real implementations share.
    pub fn flush(&mut self, va: Option<u64>, asid: Option<u16>) {
        for pwc in self.levels.iter_mut().flatten() {
            pwc.flush(va, asid);
        }
    }
}

impl PageWalkCaches {
    /// The level-1 pointer covering `va` (next table, global) when level 1's cache holds it
    /// as its remembered last hit, so that a lookup of `va` would stop at level 1 and change
    /// no replacement state; nothing is counted (the caller counts the lookup and its hit).
    /// `None` says nothing about whether a lookup would hit.
    #[inline(always)]
    pub(crate) fn remembered_level1(
        &self,
        format: &Format,
        va: u64,
        asid: u16,
    ) -> Option<(u64, bool)> {
        if format.levels < 2 {
            return None;
        }
        let shift = format.page_shift(1);
        let e = self.levels.first()?.as_ref()?.last_hit.as_ref()?;
        let tag = va >> shift;
        (e.tag == tag && u32::from(e.shift) == shift && (e.global || e.asid == asid))
            .then_some((e.next_table, e.global))
    }
}

impl WalkCache for PageWalkCaches {
    fn lookup(&mut self, format: &Format, va: u64, asid: u16) -> Option<(u32, u64, bool)> {
        for level in 1..format.levels {
            let index = level as usize - 1;
            let shift = format.page_shift(level);
            let Some(Some(pwc)) = self.levels.get_mut(index) else {
                continue;
            };
            if let Some(l) = self.lookups.get_mut(index) {
                *l += 1;
            }
            if let Some((next, global)) = pwc.lookup(va >> shift, shift as u8, asid) {
                if let Some(h) = self.hits.get_mut(index) {
                    *h += 1;
                }
                return Some((level, next, global));
            }
        }
        None
    }

    fn record(
        &mut self,
        format: &Format,
        va: u64,
        asid: u16,
        level: u32,
        next_table: u64,
        global: bool,
    ) {
        let shift = format.page_shift(level);
        if let Some(Some(pwc)) = self.levels.get_mut((level as usize).wrapping_sub(1)) {
            pwc.insert(PwcEntry {
                tag: va >> shift,
                shift: shift as u8,
                asid,
                global,
                next_table,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyKind, XorShift64};

    /// The remembered last hit changes nothing but speed: a cache that looks up through it
    /// and one that always searches the set return the same pointers and end every step in
    /// the same state (entries and replacement state), under every policy, with lookups from
    /// several address spaces, global pointers, fills and flushes interleaved.
    #[test]
    fn the_remembered_last_hit_answers_as_a_search_would() {
        for policy in PolicyKind::ALL {
            for (sets, ways) in [(1, 4), (2, 3), (4, 1)] {
                let geometry = Geometry::new(sets, ways, policy);
                let mut remembering = Pwc::new(geometry, 7);
                let mut searching = Pwc::new(geometry, 7);
                let mut rng = XorShift64::new(u64::from(sets * 16 + ways));
                let mut hits = 0u32;
                // Lookups the remembered hit answered.
                let mut remembered = 0u32;
                for step in 0..20_000 {
                    let tag = rng.below(10);
                    let shift: u8 = if rng.below(8) == 0 { 30 } else { 21 };
                    let asid = rng.below(3) as u16;
                    match rng.below(16) {
                        0..=2 => {
                            let entry = PwcEntry {
                                tag,
                                shift,
                                asid,
                                global: rng.below(6) == 0,
                                next_table: rng.below(1 << 20) << 12,
                            };
                            remembering.insert(entry);
                            searching.insert(entry);
                        }
                        3 => {
                            let va = (rng.below(2) == 0).then_some(tag << shift);
                            let space = (rng.below(2) == 0).then_some(asid);
                            remembering.flush(va, space);
                            searching.flush(va, space);
                        }
                        _ => {
                            remembered += u32::from(remembering.last_hit.is_some_and(|e| {
                                e.tag == tag && e.shift == shift && (e.global || e.asid == asid)
                            }));
                            let found = remembering.lookup(tag, shift, asid);
                            let expected = searching.search(tag, shift, asid);
                            assert_eq!(found, expected, "{policy:?} {sets}x{ways} step {step}");
                            hits += u32::from(found.is_some());
                        }
                    }
                    let what = format!("{policy:?} {sets}x{ways} after step {step}");
                    assert_eq!(remembering.keys, searching.keys, "{what}");
                    assert_eq!(remembering.entries, searching.entries, "{what}");
                    assert_eq!(remembering.policy, searching.policy, "{what}");
                }
                assert!(hits > 1_000, "{policy:?} {sets}x{ways}: only {hits} hits");
                // A hit under LFU bumps a count (short of saturation): nothing is remembered.
                if policy == PolicyKind::Lfu {
                    assert_eq!(remembered, 0, "{policy:?} {sets}x{ways}");
                } else {
                    assert!(
                        remembered > 100,
                        "{policy:?} {sets}x{ways}: {remembered} lookups answered from memory"
                    );
                }
            }
        }
    }
}
