//! A set-associative TLB of any positive geometry holding pages of mixed sizes.
//!
//! # Set indexing with mixed page sizes
//!
//! An entry for a page of size 2^s lives in set `(va >> s) mod sets` — its own VPN at its own
//! size, so a superpage is one entry whatever offset within it is accessed. A lookup probes
//! the set of each page size currently resident (a bitmask of sizes with a count per size,
//! smallest first), so a TLB holding only 4 KiB pages probes one set. This is the
//! "hash-rehash" organisation; it needs no power-of-two set count (the index is a modulo), so
//! 1536 = 128 × 12 works as is. Hardware that probes sizes in parallel costs the same single
//! lookup latency, which is how Atlas charges it.

use crate::config::Geometry;
use crate::policy::{Policy, Replacement};
use crate::pte::Perms;

/// One cached translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbEntry {
    /// `va >> page_shift`.
    pub vtag: u64,
    /// Log2 of the page size.
    pub page_shift: u8,
    /// Address space (ignored when `global`).
    pub asid: u16,
    /// Global: matches every ASID and survives ASID flushes.
    pub global: bool,
    /// Leaf permissions (checked again on every hit: privilege, SUM and MXR may change).
    pub perms: Perms,
    /// D was set in the PTE when cached; a store to a clean entry walks again to set it.
    pub dirty: bool,
    /// Level of the leaf PTE (for fault reasons).
    pub level: u8,
    /// Physical address of the first byte of the page.
    pub page_base: u64,
    /// Physical address of the leaf PTE.
    pub pte_addr: u64,
}

impl TlbEntry {
    /// Whether this entry translates `va` in address space `asid`.
    #[inline(always)]
    pub fn matches(&self, va: u64, asid: u16) -> bool {
        va >> self.page_shift == self.vtag && (self.global || self.asid == asid)
    }

    /// The physical address of `va` (which the entry matches).
    #[inline(always)]
    pub fn translate(&self, va: u64) -> u64 {
        self.page_base | (va & ((1u64 << self.page_shift) - 1))
    }
}

/// The key of an invalid slot.
const NO_KEY: u32 = u32::MAX;

/// The lookup key of a page tag at a page shift: the shift and the tag's low 25 bits in one
/// 32-bit word, so one compare per way rejects nearly every entry of another page or size,
/// and four ways are compared at once ([`first_key`]). It is a filter: pages whose tags
/// agree in those bits share a key (in one set, pages 2^25 pages apart), so every lookup
/// checks the entry itself, and goes on past a key that matched another page's entry. Bit
/// 6 is always clear, so no key is [`NO_KEY`]: a slot is valid exactly when its key is not.
#[inline(always)]
fn key(vtag: u64, page_shift: u32) -> u32 {
    ((vtag << 7) as u32) | (page_shift & 63)
}

/// The first index where `keys` holds `wanted`. Keys are compared four at a time with one
/// branch per four, since a miss, the case that matters for speed, looks at every way.
#[inline(always)]
pub(crate) fn first_match<K: Copy + Eq>(keys: &[K], wanted: K) -> Option<usize> {
    let mut chunks = keys.chunks_exact(4);
    let mut base = 0;
    for chunk in &mut chunks {
        if let Ok([a, b, c, d]) = <[K; 4]>::try_from(chunk) {
            if (a == wanted) | (b == wanted) | (c == wanted) | (d == wanted) {
                return chunk.iter().position(|k| *k == wanted).map(|i| base + i);
            }
        }
        base += 4;
    }
    chunks
        .remainder()
        .iter()
        .position(|k| *k == wanted)
        .map(|i| base + i)
}

/// [`first_match`] over the TLB's 32-bit keys, four compared by one SSE2 instruction: the
/// L1 and L2 searches of every TLB miss scan their whole set, and this makes each four ways
/// one compare and one branch (measured: pagewalk's sv39 miss 874 -> 843 host instructions
/// a touch, its L2-hit sweep 808 -> 779; the compiler does not vectorise the plain loop).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
#[allow(unsafe_code)]
fn first_key(keys: &[u32], wanted: u32) -> Option<usize> {
    use std::arch::x86_64::{
        _mm_castsi128_ps, _mm_cmpeq_epi32, _mm_movemask_ps, _mm_set1_epi32, _mm_set_epi32,
    };
    // SAFETY: these intrinsics need SSE and SSE2, which every x86_64 target has (they are
    // part of the architecture's baseline); they only compute on values in registers.
    let want = unsafe { _mm_set1_epi32(wanted as i32) };
    let mut chunks = keys.chunks_exact(4);
    let mut base = 0;
    for chunk in &mut chunks {
        if let Ok([a, b, c, d]) = <[u32; 4]>::try_from(chunk) {
            // SAFETY: as above: baseline SSE/SSE2 instructions on register values.
            let equal = unsafe {
                let row = _mm_set_epi32(d as i32, c as i32, b as i32, a as i32);
                _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(row, want)))
            };
            if equal != 0 {
                return Some(base + equal.trailing_zeros() as usize);
            }
        }
        base += 4;
    }
    first_match(chunks.remainder(), wanted).map(|i| base + i)
}

/// [`first_match`] over the TLB's 32-bit keys (the portable form of the SSE2 search).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn first_key(keys: &[u32], wanted: u32) -> Option<usize> {
    first_match(keys, wanted)
}

/// The first index at or after `from` where `keys` holds `wanted` and `accept` takes the
/// entry there: the search past a key that matched an entry of another address space (or
/// a colliding tag).
pub(crate) fn match_from<K: Copy + Eq>(
    keys: &[K],
    wanted: K,
    mut from: usize,
    mut accept: impl FnMut(usize) -> bool,
) -> Option<usize> {
    while let Some(i) = keys
        .get(from..)
        .and_then(|rest| first_match(rest, wanted))
        .map(|i| from + i)
    {
        if accept(i) {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// Where an entry sits: set and way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Set index.
    pub set: usize,
    /// Way within the set.
    pub way: usize,
}

/// A set-associative TLB.
#[derive(Clone, Debug)]
pub struct Tlb {
    sets: usize,
    ways: usize,
    /// Per slot, its entry; meaningful only where the slot's key is not [`NO_KEY`].
    entries: Vec<TlbEntry>,
    /// Per slot, [`key`] of its entry or [`NO_KEY`]: a lookup scans these packed words and
    /// looks at an entry only when its key matches (a filter: the entry is still checked).
    keys: Vec<u32>,
    /// Valid entries per set: a full set needs no search for an invalid way.
    filled: Vec<u32>,
    policy: Policy,
    /// Valid entries per page shift.
    size_counts: [u32; 64],
    /// Bit s set when `size_counts[s] > 0`.
    size_mask: u64,
    /// `sets - 1` when `sets` is a power of two (the set index is then a mask, not a
    /// division: this is on every modelled lookup).
    set_mask: Option<u64>,
    /// Bumped whenever contents or replacement state change, so a fast path in front of
    /// the TLB knows when its entries may no longer stand for state-free hits.
    generation: u64,
}

/// The placeholder in invalid slots (never read as an entry: its key is [`NO_KEY`]).
const EMPTY_ENTRY: TlbEntry = TlbEntry {
    vtag: 0,
    page_shift: 0,
    asid: 0,
    global: false,
    perms: Perms::new(false, false, false, false),
    dirty: false,
    level: 0,
    page_base: 0,
    pte_addr: 0,
};

impl Tlb {
    /// An empty TLB of `geometry` (sets and ways must be positive; zero counts as one).
    pub fn new(geometry: Geometry, seed: u64) -> Tlb {
        let sets = geometry.sets.max(1) as usize;
        let ways = geometry.ways.max(1) as usize;
        Tlb {
            sets,
            ways,
            entries: vec![EMPTY_ENTRY; sets * ways],
            keys: vec![NO_KEY; sets * ways],
            filled: vec![0; sets],
            policy: Policy::new(geometry.policy, sets, ways, seed),
            size_counts: [0; 64],
            size_mask: 0,
            generation: 0,
            set_mask: sets.is_power_of_two().then(|| sets as u64 - 1),
        }
    }

    /// Number of sets.
    pub fn sets(&self) -> usize {
        self.sets
    }

    /// Ways per set.
    pub fn ways(&self) -> usize {
        self.ways
    }

    /// The set a page of `1 << page_shift` bytes containing `va` maps to.
    #[inline(always)]
    pub fn set_of(&self, va: u64, page_shift: u32) -> usize {
        self.set_of_tag(va >> page_shift)
    }

    /// The set of a virtual page tag (`va >> page_shift`): `tag mod sets`.
    #[inline(always)]
    fn set_of_tag(&self, tag: u64) -> usize {
        match self.set_mask {
            Some(mask) => (tag & mask) as usize,
            None => (tag % self.sets as u64) as usize,
        }
    }

    /// Finds the entry translating `va` for `asid` without changing any state.
    #[inline(always)]
    pub fn find(&self, va: u64, asid: u16) -> Option<(Slot, TlbEntry)> {
        let slot = self.find_slot(va, asid)?;
        self.entry_at(slot).map(|e| (slot, *e))
    }

    /// The valid entry at `slot`, if any.
    #[inline(always)]
    pub fn entry_at(&self, slot: Slot) -> Option<&TlbEntry> {
        let index = slot.set * self.ways + slot.way;
        match self.keys.get(index) {
            Some(k) if *k != NO_KEY && slot.way < self.ways => self.entries.get(index),
            _ => None,
        }
    }

    /// Where the entry translating `va` for `asid` sits, without changing any state (the
    /// entry itself is read with [`Tlb::entry_at`], so a hit copies nothing).
    #[inline(always)]
    pub fn find_slot(&self, va: u64, asid: u16) -> Option<Slot> {
        let sizes = self.size_mask;
        if sizes & sizes.wrapping_sub(1) == 0 {
            // One page size resident (the usual case) or none: a single probe.
            return match sizes {
                0 => None,
                _ => self.find_sized(va, asid, sizes.trailing_zeros()),
            };
        }
        self.find_mixed(va, asid)
    }

    /// [`Tlb::find`] with several page sizes resident: probes the set of each, smallest
    /// first.
    #[inline(never)]
    fn find_mixed(&self, va: u64, asid: u16) -> Option<Slot> {
        let mut sizes = self.size_mask;
        while sizes != 0 {
            let shift = sizes.trailing_zeros();
            sizes &= sizes - 1;
            if let Some(found) = self.find_sized(va, asid, shift) {
                return Some(found);
            }
        }
        None
    }

    /// The entry for the page of `1 << shift` bytes containing `va`, if resident.
    #[inline(always)]
    fn find_sized(&self, va: u64, asid: u16, shift: u32) -> Option<Slot> {
        let tag = va >> shift;
        let wanted = key(tag, shift);
        let set = self.set_of_tag(tag);
        let base = set * self.ways;
        let row = self.keys.get(base..base + self.ways)?;
        let way = first_key(row, wanted)?;
        if self
            .entries
            .get(base + way)
            .is_some_and(|e| e.matches(va, asid))
        {
            return Some(Slot { set, way });
        }
        self.find_after(va, asid, set, wanted, way + 1)
    }

    /// [`Tlb::find_sized`] past a way whose key matched but whose entry did not (another
    /// address space's entry for the page, or a page sharing the key): the ways of `set`
    /// from `from` on whose key is `wanted`. Out of line and cold: it takes several address
    /// spaces mapping one page, or pages 2^25 pages apart resident in one set, to get here.
    #[cold]
    #[inline(never)]
    fn find_after(&self, va: u64, asid: u16, set: usize, wanted: u32, from: usize) -> Option<Slot> {
        let base = set * self.ways;
        let row = self.keys.get(base..base + self.ways)?;
        let way = match_from(row, wanted, from, |way| {
            self.entries
                .get(base + way)
                .is_some_and(|e| e.matches(va, asid))
        })?;
        Some(Slot { set, way })
    }

    /// Records a hit on `slot` with the replacement policy.
    #[inline(always)]
    pub fn touch(&mut self, slot: Slot) {
        if self.policy.hit_would_change_state(slot.set, slot.way) {
            self.generation = self.generation.wrapping_add(1);
        }
        self.policy.touch(slot.set, slot.way);
    }

    /// A count that changes whenever the TLB's contents or replacement state change (a
    /// fill, a flush, or a hit that moves replacement state); equal counts mean nothing
    /// changed in between.
    #[inline(always)]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Looks `va` up and, on a hit, updates the replacement state.
    pub fn lookup(&mut self, va: u64, asid: u16) -> Option<TlbEntry> {
        let (slot, entry) = self.find(va, asid)?;
        self.touch(slot);
        Some(entry)
    }

    /// For a fast path in front of the TLB: `None` if `va` would miss; else whether a hit
    /// would change the modelled replacement state (a fast path may serve the access without
    /// the TLB exactly when this is `Some(false)`; statistics counters are not "state" here).
    pub fn hit_would_change_state(&self, va: u64, asid: u16) -> Option<bool> {
        let slot = self.find_slot(va, asid)?;
        Some(self.hit_would_change_state_at(slot))
    }

    /// [`Tlb::hit_would_change_state`] for the entry at `slot` (found with [`Tlb::find`]).
    #[inline]
    pub fn hit_would_change_state_at(&self, slot: Slot) -> bool {
        self.policy.hit_would_change_state(slot.set, slot.way)
    }

    /// Whether a hit on an entry right after it was filled changes no replacement state
    /// (see [`Policy::hit_after_fill_is_free`]).
    #[inline(always)]
    pub fn hit_after_fill_is_free(&self) -> bool {
        self.policy.hit_after_fill_is_free()
    }

    /// Inserts `entry`, replacing an entry for the same page and address space if one is
    /// resident, else an invalid way, else the policy's victim. Returns the evicted valid
    /// entry of another page, if any.
    pub fn insert(&mut self, entry: TlbEntry) -> Option<TlbEntry> {
        let (set, same) = self.same_page(&entry);
        self.place_reporting(entry, set, same)
    }

    /// [`Tlb::insert`], saying where the entry went and whether it evicted another page's.
    pub fn insert_at(&mut self, entry: TlbEntry) -> (Slot, bool) {
        let (set, same) = self.same_page(&entry);
        self.place(entry, set, same)
    }

    /// The set of `entry` and the way holding an entry for the same page and address space,
    /// if one is resident.
    fn same_page(&self, entry: &TlbEntry) -> (usize, Option<usize>) {
        let set = self.set_of_tag(entry.vtag);
        let base = set * self.ways;
        let wanted = key(entry.vtag, u32::from(entry.page_shift));
        let row = self.keys.get(base..base + self.ways).unwrap_or(&[]);
        let same = row.iter().enumerate().position(|(way, k)| {
            *k == wanted
                && self.entries.get(base + way).is_some_and(|e| {
                    e.page_shift == entry.page_shift
                        && e.vtag == entry.vtag
                        && (e.global || entry.global || e.asid == entry.asid)
                })
        });
        (set, same)
    }

    /// [`Tlb::insert`] of an entry the caller has just looked up in this TLB for its own
    /// address and ASID and not found, with no change to the TLB since: no entry for the
    /// same page and address space can be resident unless the entry is global (which
    /// matches other ASIDs too), so the search for one is skipped.
    pub fn insert_absent(&mut self, entry: TlbEntry) -> Option<TlbEntry> {
        if entry.global {
            return self.insert(entry);
        }
        let set = self.set_of_tag(entry.vtag);
        self.place_reporting(entry, set, None)
    }

    /// [`Tlb::insert_absent`], saying where the entry went (so a fast path can stand on it
    /// without searching for it) and whether it evicted another page's entry.
    #[inline(always)]
    pub fn fill_absent(&mut self, entry: TlbEntry) -> (Slot, bool) {
        if entry.global {
            return self.insert_at(entry);
        }
        let set = self.set_of_tag(entry.vtag);
        self.place(entry, set, None)
    }

    /// [`Tlb::place`], returning the evicted entry itself.
    fn place_reporting(
        &mut self,
        entry: TlbEntry,
        set: usize,
        same: Option<usize>,
    ) -> Option<TlbEntry> {
        let (way, told) = self.choose_way(set, same);
        let index = set * self.ways + way;
        let old = self
            .keys
            .get(index)
            .filter(|k| **k != NO_KEY && same.is_none())
            .and_then(|_| self.entries.get(index).copied());
        self.put(entry, set, way, told);
        old
    }

    /// Puts `entry` in `set`: in way `same` if given, else in an invalid way, else in the
    /// policy's victim. Returns the slot and whether a valid entry of another page was
    /// evicted.
    #[inline(always)]
    fn place(&mut self, entry: TlbEntry, set: usize, same: Option<usize>) -> (Slot, bool) {
        let (way, told) = self.choose_way(set, same);
        let replaced = self.put(entry, set, way, told);
        (Slot { set, way }, replaced && same.is_none())
    }

    /// The way a fill of `set` goes to: `same` if given, else the lowest invalid way, else
    /// the policy's victim; and whether the policy has already been told of the fill (only
    /// the victim is: [`Replacement::replace`] chooses and records it in one step).
    #[inline(always)]
    fn choose_way(&mut self, set: usize, same: Option<usize>) -> (usize, bool) {
        if let Some(way) = same {
            return (way, false);
        }
        let ways = self.ways;
        if self.filled.get(set).is_some_and(|n| *n as usize >= ways) {
            let way = self.policy.replace(set);
            // Every policy's victim is one of the set's ways; the fallback only keeps an
            // impossible answer from indexing past the set.
            debug_assert!(way < ways, "victim way {way} of {ways}");
            return if way < ways {
                (way, true)
            } else {
                (ways - 1, false)
            };
        }
        let base = set * ways;
        let way = self
            .keys
            .get(base..base + ways)
            .and_then(|row| row.iter().position(|k| *k == NO_KEY))
            .unwrap_or(0);
        (way, false)
    }

    /// Writes `entry` into way `way` of `set` and tells the policy unless it was `told`;
    /// returns whether the slot held a valid entry.
    #[inline(always)]
    fn put(&mut self, entry: TlbEntry, set: usize, way: usize, told: bool) -> bool {
        let index = set * self.ways + way;
        let shift = entry.page_shift;
        let (Some(k), Some(e)) = (self.keys.get_mut(index), self.entries.get_mut(index)) else {
            return false;
        };
        let replaced = *k != NO_KEY;
        let old_shift = e.page_shift;
        *k = key(entry.vtag, u32::from(shift));
        *e = entry;
        if replaced {
            if old_shift != shift {
                self.forget_size(old_shift);
                self.note_size(shift);
            }
        } else {
            if let Some(n) = self.filled.get_mut(set) {
                *n += 1;
            }
            self.note_size(shift);
        }
        if !told {
            self.policy.fill(set, way);
        }
        self.generation = self.generation.wrapping_add(1);
        replaced
    }

    /// Counts one more valid entry of `page_shift`.
    #[inline(always)]
    fn note_size(&mut self, page_shift: u8) {
        let s = usize::from(page_shift & 63);
        self.size_counts[s] += 1;
        self.size_mask |= 1 << s;
    }

    fn forget_size(&mut self, page_shift: u8) {
        let s = usize::from(page_shift & 63);
        self.size_counts[s] = self.size_counts[s].saturating_sub(1);
        if self.size_counts[s] == 0 {
            self.size_mask &= !(1u64 << s);
        }
    }

    fn invalidate_where(&mut self, set: usize, mut doomed: impl FnMut(&TlbEntry) -> bool) -> u32 {
        let mut dropped = 0;
        for way in 0..self.ways {
            let index = set * self.ways + way;
            if self.keys.get(index).is_none_or(|k| *k == NO_KEY) {
                continue;
            }
            let Some(e) = self.entries.get(index).copied() else {
                continue;
            };
            if doomed(&e) {
                if let Some(k) = self.keys.get_mut(index) {
                    *k = NO_KEY;
                }
                if let Some(n) = self.filled.get_mut(set) {
                    *n = n.saturating_sub(1);
                }
                self.forget_size(e.page_shift);
                self.policy.invalidate(set, way);
                self.generation = self.generation.wrapping_add(1);
                dropped += 1;
            }
        }
        dropped
    }

    /// `sfence.vma` semantics: `va` None flushes every page, else the pages containing `va`;
    /// `asid` None flushes every address space including global entries, else only the
    /// non-global entries of that ASID. Returns the number of entries dropped.
    pub fn flush(&mut self, va: Option<u64>, asid: Option<u16>) -> u32 {
        let asid_hit = |e: &TlbEntry| match asid {
            None => true,
            Some(a) => !e.global && e.asid == a,
        };
        match va {
            None => (0..self.sets)
                .map(|set| self.invalidate_where(set, asid_hit))
                .sum(),
            Some(va) => {
                let mut dropped = 0;
                let mut sizes = self.size_mask;
                while sizes != 0 {
                    let shift = sizes.trailing_zeros();
                    sizes &= sizes - 1;
                    let set = self.set_of(va, shift);
                    dropped += self.invalidate_where(set, |e| {
                        u32::from(e.page_shift) == shift && va >> shift == e.vtag && asid_hit(e)
                    });
                }
                dropped
            }
        }
    }

    /// Every valid entry with its slot (for reports and tests).
    pub fn entries(&self) -> impl Iterator<Item = (Slot, &TlbEntry)> + '_ {
        let ways = self.ways;
        self.entries
            .iter()
            .zip(&self.keys)
            .enumerate()
            .filter(|(_, (_, k))| **k != NO_KEY)
            .map(move |(i, (e, _))| {
                (
                    Slot {
                        set: i / ways,
                        way: i % ways,
                    },
                    e,
                )
            })
    }

    /// Number of valid entries.
    pub fn len(&self) -> usize {
        self.size_counts.iter().map(|c| *c as usize).sum()
    }

    /// Whether no entry is valid.
    pub fn is_empty(&self) -> bool {
        self.size_mask == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicyKind, XorShift64};

    fn entry(vtag: u64, page_shift: u8, asid: u16, global: bool) -> TlbEntry {
        TlbEntry {
            vtag,
            page_shift,
            asid,
            global,
            perms: Perms::default(),
            dirty: false,
            level: 0,
            page_base: vtag << page_shift,
            pte_addr: 0,
        }
    }

    /// The packed keys and per-set fill counts agree with the entries.
    fn check_invariants(t: &Tlb) {
        for set in 0..t.sets {
            let row = set * t.ways..(set + 1) * t.ways;
            let valid = t.keys[row.clone()].iter().filter(|k| **k != NO_KEY).count();
            assert_eq!(t.filled[set] as usize, valid, "set {set}");
            for i in row {
                if t.keys[i] != NO_KEY {
                    let e = t.entries[i];
                    assert_eq!(t.keys[i], key(e.vtag, u32::from(e.page_shift)));
                }
            }
        }
    }

    /// The SSE2 search finds the first equal key exactly where the plain one does, for rows
    /// of every length up to 40 (whole chunks of four and remainders), with the wanted key
    /// absent, once, or repeated.
    #[test]
    fn the_key_search_is_the_plain_search() {
        let mut rng = XorShift64::new(11);
        for len in 0..40 {
            for _ in 0..200 {
                let row: Vec<u32> = (0..len).map(|_| (rng.next_u64() % 6) as u32).collect();
                for wanted in 0..7 {
                    assert_eq!(
                        first_key(&row, wanted),
                        row.iter().position(|k| *k == wanted),
                        "{row:?} {wanted}"
                    );
                }
            }
        }
    }

    /// Pages whose tags agree in the key's 25 bits share a key: in one set both are
    /// resident, each lookup finds its own entry (past the other's matching key), a fill of
    /// one does not replace the other, and a flush of one leaves the other.
    #[test]
    fn pages_sharing_a_key_stay_apart() {
        for policy in PolicyKind::ALL {
            let mut t = Tlb::new(Geometry::new(16, 4, policy), 3);
            let (low, high) = (0x5u64, 0x5 | (1 << 25) | (1 << 30));
            assert_eq!(key(low, 12), key(high, 12));
            assert_eq!(t.set_of_tag(low), t.set_of_tag(high));
            assert_eq!(t.insert(entry(high, 12, 1, false)), None);
            assert_eq!(t.insert(entry(low, 12, 1, false)), None);
            assert_eq!(t.len(), 2);
            assert_eq!(t.lookup(low << 12, 1).map(|e| e.vtag), Some(low));
            assert_eq!(t.lookup(high << 12 | 0x123, 1).map(|e| e.vtag), Some(high));
            assert_eq!(t.lookup((high ^ 1 << 26) << 12, 1), None);
            assert_eq!(t.flush(Some(low << 12), None), 1);
            assert_eq!(t.lookup(low << 12, 1), None);
            assert_eq!(t.lookup(high << 12, 1).map(|e| e.vtag), Some(high));
            check_invariants(&t);
        }
    }

    /// A TLB filled with `insert_absent` after every lookup that found nothing holds the
    /// same entries, evicts the same ones and finds the same ones as one filled with
    /// `insert` alone, through random lookups, fills of mixed sizes, ASIDs and global
    /// entries, and every kind of flush.
    #[test]
    fn insert_absent_after_a_miss_is_insert() {
        for policy in PolicyKind::ALL {
            for (sets, ways) in [(1, 4), (16, 4), (6, 3), (128, 12)] {
                let geometry = Geometry::new(sets, ways, policy);
                let (mut fast, mut plain) = (Tlb::new(geometry, 7), Tlb::new(geometry, 7));
                let mut rng = XorShift64::new(u64::from(sets * 31 + ways));
                for _ in 0..4000 {
                    let r = rng.next_u64();
                    let page_shift = if r.is_multiple_of(7) { 21 } else { 12 };
                    let vtag = (r >> 8) % 300;
                    let asid = ((r >> 20) % 3) as u16;
                    let global = (r >> 24).is_multiple_of(11);
                    let va = vtag << page_shift;
                    match (r >> 32) % 50 {
                        0 => assert_eq!(fast.flush(None, None), plain.flush(None, None)),
                        1 => assert_eq!(fast.flush(Some(va), None), plain.flush(Some(va), None)),
                        2 => assert_eq!(
                            fast.flush(Some(va), Some(asid)),
                            plain.flush(Some(va), Some(asid))
                        ),
                        3 => {
                            assert_eq!(fast.flush(None, Some(asid)), plain.flush(None, Some(asid)))
                        }
                        _ => {
                            let found = fast.lookup(va, asid);
                            assert_eq!(found, plain.lookup(va, asid));
                            if found.is_none() {
                                let e = entry(vtag, page_shift, asid, global);
                                assert_eq!(fast.insert_absent(e), plain.insert(e));
                            }
                        }
                    }
                    check_invariants(&fast);
                }
                let all = |t: &Tlb| t.entries().map(|(s, e)| (s, *e)).collect::<Vec<_>>();
                assert_eq!(all(&fast), all(&plain));
                assert_eq!(fast.len(), plain.len());
            }
        }
    }
}
