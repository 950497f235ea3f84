//! Page-walk caches: one small set-associative cache per non-leaf level (as ChampSim's
//! paging-structure caches). The cache of level j holds pointer PTEs read at level j, keyed
//! by the VA bits that select them (`va >> page_shift(j)`); a hit lets the walk skip every
//! read above level j − 1. The deepest hit wins.

use crate::config::Geometry;
use crate::format::Format;
use crate::policy::{Policy, Replacement};
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

/// One level's cache.
#[derive(Clone, Debug)]
pub struct Pwc {
    sets: usize,
    ways: usize,
    entries: Vec<Option<PwcEntry>>,
    policy: Policy,
    /// `sets - 1` when `sets` is a power of two: the set index is then a mask, not a
    /// division (this is on every walk).
    set_mask: Option<u64>,
}

impl Pwc {
    /// An empty cache of `geometry`.
    pub fn new(geometry: Geometry, seed: u64) -> Pwc {
        let sets = geometry.sets.max(1) as usize;
        let ways = geometry.ways.max(1) as usize;
        Pwc {
            sets,
            ways,
            entries: vec![None; sets * ways],
            policy: Policy::new(geometry.policy, sets, ways, seed),
            set_mask: sets.is_power_of_two().then(|| sets as u64 - 1),
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
        let set = self.set_of(tag);
        let row = self.entries.get(set * self.ways..(set + 1) * self.ways)?;
        let way = row.iter().position(|e| {
            e.is_some_and(|e| e.tag == tag && e.shift == shift && (e.global || e.asid == asid))
        })?;
        let e = row.get(way).copied().flatten()?;
        self.policy.touch(set, way);
        Some((e.next_table, e.global))
    }

    fn insert(&mut self, entry: PwcEntry) {
        let set = self.set_of(entry.tag);
        let base = set * self.ways;
        let Some(row) = self.entries.get(base..base + self.ways) else {
            return;
        };
        let way = row
            .iter()
            .position(|e| {
                e.is_some_and(|e| {
                    e.tag == entry.tag
                        && e.shift == entry.shift
                        && (e.global || entry.global || e.asid == entry.asid)
                })
            })
            .or_else(|| row.iter().position(Option::is_none))
            .unwrap_or_else(|| self.policy.victim(set).min(self.ways - 1));
        if let Some(e) = self.entries.get_mut(base + way) {
            *e = Some(entry);
        }
        self.policy.fill(set, way);
    }

    /// `sfence.vma` semantics as for TLBs; with a VA, the pointers on that VA's path.
    fn flush(&mut self, va: Option<u64>, asid: Option<u16>) {
        for (i, slot) in self.entries.iter_mut().enumerate() {
            let Some(e) = slot else { continue };
            let va_hit = va.map_or(true, |va| va >> e.shift == e.tag);
            let asid_hit = asid.map_or(true, |a| !e.global && e.asid == a);
            if va_hit && asid_hit {
                *slot = None;
                self.policy.invalidate(i / self.ways, i % self.ways);
            }
        }
    }

    /// Number of valid entries.
    pub fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.is_some()).count()
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
    /// Lookups that reached each level's cache (index 0 is level 1).
    pub lookups: [u64; PWC_LEVELS],
    /// Hits per level (index 0 is level 1).
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
