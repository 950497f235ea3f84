//! The exact translation fast path: host-side, direct-mapped translation caches in front of
//! the modelled hardware, one per access kind (fetch, load, store), as Spike's.
//!
//! An entry maps one 4 KiB virtual page, for one privilege and address space, to the
//! physical address of its first byte. It is filled only for a translation whose modelled
//! resolution leaves no trace but counters and cycles:
//!
//! - bare mode (nothing is modelled but the translation count);
//! - base-bounds, when the whole page is below the bound (neither mode checks the kind of
//!   a data access, so a load's page is held for stores as well, and a store's for loads);
//! - a paged access whose next L1 TLB hit [`crate::tlb::Tlb::hit_would_change_state`] says
//!   changes no replacement state (the MRU way under LRU, any resident entry under FIFO or
//!   random, an entry whose tree-PLRU bits already point away from it), with the permission
//!   granted and, for a store, D already set. That holds right after the access hit its L1
//!   entry and also right after it filled one (from the L2 or a walk: the new entry is the
//!   most recently used), so a page is held from its first access. Loads and stores share
//!   the L1 data TLB: when one kind is held, the other is held too if its own permission
//!   (and D, for a store) allows, so a sweep's store after its load is a fast-path hit.
//!
//! A hit counts itself in [`FastPath::hits`] by kind and by what it stands for; the
//! translator adds those counts to its statistics exactly as the modelled hits would have
//! counted, so every counter and cycle is the same with the fast path on or off. The
//! translator drops the entries whenever the modelled state they stand on changes: any
//! replacement-state change, fill or flush of the L1 TLB behind them, `sfence.vma`, a write
//! to an MMU register, SUM or MXR. The privilege and the ASID are part of the tag, so a
//! privilege change needs no flush. Misaligned accesses (and so every page-crossing one)
//! always take the slow path.

use crate::access::{AccessCtx, AccessKind, Privilege};

/// Entries per access kind (direct-mapped by virtual page number).
pub const ENTRIES: usize = 64;
const _: () = assert!(ENTRIES.is_power_of_two() && ENTRIES <= 64);

/// Tag bit saying the entry is valid; tags of real keys always have it.
const VALID: u64 = 1 << 63;
/// An empty slot: privilege code 3, which no key uses, so it matches no key.
const EMPTY: u64 = VALID | 3 << 61;
/// ASIDs that fit in the tag (9 bits: every Sv32 ASID, and the first 512 of Sv39/48/57).
const TAG_ASIDS: u16 = 512;

/// What a fast-path hit stands for, so the translator can count it as that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum HitClass {
    /// A bare-mode translation.
    Bare = 0,
    /// A base-bounds translation within the bound.
    BaseBounds = 1,
    /// A paged access that hit its L1 TLB.
    L1 = 2,
}

impl HitClass {
    /// Every class, in index order.
    pub const ALL: [HitClass; 3] = [HitClass::Bare, HitClass::BaseBounds, HitClass::L1];
}

/// An unpaged translation compiled code may make itself for any page, held or not: the
/// identity in bare mode, `base + va` below the bound under base-bounds. Neither mode has
/// state a translation changes, and each counts every data translation it grants alike,
/// so an access the window takes counts exactly as a fast-path hit of `class` does: an
/// aligned access at `va` of `size` bytes with `va + size <= end` and `base + va` both
/// computed without wrapping is at physical address `base + va`. Anything else (and every
/// access while the window is [`Window::NONE`]) is left to the tables and the bus.
///
/// The tables alone hold 64 pages, so a sweep over more pages than that, bare or
/// relocated, would take the bus on every new page only to be granted what this says.
/// Laid out for compiled code (`#[repr(C)]`), which reads its fields as
/// [`FastEntry`]'s: the class is one byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct Window {
    /// What is added to a virtual address.
    pub base: u64,
    /// The first virtual address past the window.
    pub end: u64,
    /// How an access through the window is counted.
    pub class: HitClass,
}

impl Window {
    /// No window: paged and segmented translation, the fast path off, or an observer that
    /// must see every access.
    pub const NONE: Window = Window {
        base: 0,
        end: 0,
        class: HitClass::Bare,
    };
}

/// One entry of a fast-path table. Laid out for compiled code too (`#[repr(C)]`): the
/// loop compiler (`atlas-jit`) reads the fields at [`FastEntry::TAG_OFFSET`],
/// [`FastEntry::PA_BASE_OFFSET`] and [`FastEntry::CLASS_OFFSET`] of entry
/// `(va >> 12) % ENTRIES`, `FastEntry::SIZE` bytes apart.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct FastEntry {
    tag: u64,
    /// Physical address of the first byte of the virtual page.
    pa_base: u64,
    class: HitClass,
}

impl FastEntry {
    /// Byte offset of the tag an access must find: `(va >> 12) | key_high` (see
    /// [`FastPath::direct`]).
    pub const TAG_OFFSET: usize = std::mem::offset_of!(FastEntry, tag);
    /// Byte offset of the physical address of the page's first byte (a `u64`).
    pub const PA_BASE_OFFSET: usize = std::mem::offset_of!(FastEntry, pa_base);
    /// Byte offset of the [`HitClass`] (one byte), the index of the hit counter to bump.
    pub const CLASS_OFFSET: usize = std::mem::offset_of!(FastEntry, class);
    /// Bytes from one entry to the next.
    pub const SIZE: usize = std::mem::size_of::<FastEntry>();
}

type Entry = FastEntry;

const EMPTY_ENTRY: Entry = Entry {
    tag: EMPTY,
    pa_base: 0,
    class: HitClass::Bare,
};

/// A table that holds nothing, for compiled code to look up in when the fast path is off
/// or absent: no key matches its tags.
pub static EMPTY_TABLE: [FastEntry; ENTRIES] = [EMPTY_ENTRY; ENTRIES];

/// The fast path's data tables and hit counts, lent to code that looks accesses up itself
/// (the loop compiler's loads and stores), with the key part of this privilege and ASID.
#[derive(Debug)]
pub struct FastTables<'a> {
    /// The load and store tables, in that order.
    pub tables: [&'a [FastEntry; ENTRIES]; 2],
    /// The hits of loads and stores, in that order, by [`HitClass`]: a hit on an entry adds
    /// one to `hits[kind][entry's class]`, as [`FastPath::lookup`] counts it.
    pub hits: [&'a mut [u64; 3]; 2],
    /// What a page's tag holds above its virtual page number: an aligned access at `va`
    /// hits the entry whose tag is `(va >> 12) | key_high`. Zero for an ASID too wide for
    /// the tag, which then matches nothing.
    pub key_high: u64,
}

/// The fast-path arrays and their hit counts.
#[derive(Clone, Debug)]
pub struct FastPath {
    enabled: bool,
    entries: Box<[[Entry; ENTRIES]; 3]>,
    /// Bit `i` of `live[k]`: entry `i` of kind `k` is filled (so a flush touches only those).
    live: [u64; 3],
    /// Hits served, by access kind and [`HitClass`].
    pub hits: [[u64; 3]; 3],
    /// Bumped whenever a fetch entry is filled or dropped, so a [`FastFetch`] handed out
    /// earlier knows whether its entry is still there.
    fetch_epoch: u64,
}

/// A fast-path fetch entry handed to a CPU that remembers the page it executes from, so it
/// can serve the next fetches of that page without a lookup ([`FastPath::fetch_again`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastFetch {
    /// Physical address of the first byte of the page.
    pub pa_base: u64,
    class: HitClass,
    epoch: u64,
}

impl Default for FastPath {
    fn default() -> FastPath {
        FastPath {
            enabled: true,
            entries: Box::new([[EMPTY_ENTRY; ENTRIES]; 3]),
            live: [0; 3],
            hits: [[0; 3]; 3],
            fetch_epoch: 0,
        }
    }
}

/// The array index of an access kind.
#[inline(always)]
const fn kind_slot(kind: AccessKind) -> usize {
    match kind {
        AccessKind::Fetch => 0,
        AccessKind::Load => 1,
        AccessKind::Store => 2,
    }
}

/// The tag an access must find: its virtual page number (52 bits), ASID, privilege, valid.
/// An ASID too wide for the tag gives a key that matches nothing.
#[inline(always)]
fn key(ctx: &AccessCtx) -> u64 {
    match key_high(ctx.privilege, ctx.asid) {
        0 => 0,
        high => (ctx.va >> 12) | high,
    }
}

/// The part of [`key`] above the virtual page number: ASID, privilege and valid; zero for
/// an ASID too wide for the tag.
#[inline(always)]
fn key_high(privilege: Privilege, asid: u16) -> u64 {
    if asid >= TAG_ASIDS {
        return 0;
    }
    let privilege: u64 = match privilege {
        Privilege::User => 0,
        Privilege::Supervisor => 1,
        Privilege::Machine => 2,
    };
    u64::from(asid) << 52 | privilege << 61 | VALID
}

#[inline(always)]
fn index(va: u64) -> usize {
    (va >> 12) as usize & (ENTRIES - 1)
}

impl FastPath {
    /// Whether the fast path is on (it is by default).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Switches the fast path on or off (off: every access takes the modelled path).
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
        self.flush_all();
    }

    /// The physical address of `ctx` if the fast path holds its page, counting the hit.
    #[inline(always)]
    pub fn lookup(&mut self, ctx: &AccessCtx) -> Option<u64> {
        if ctx.va & u64::from(ctx.size.wrapping_sub(1)) != 0 {
            return None;
        }
        let k = kind_slot(ctx.kind);
        let entry = self.entries.get(k)?.get(index(ctx.va))?;
        if entry.tag != key(ctx) {
            return None;
        }
        let (pa_base, class) = (entry.pa_base, entry.class);
        if let Some(n) = self.hits.get_mut(k).and_then(|h| h.get_mut(class as usize)) {
            *n += 1;
        }
        Some(pa_base.wrapping_add(ctx.va & 0xfff))
    }

    /// The load and store tables and their hit counts, for accesses at `privilege` in
    /// address space `asid`; `None` when the fast path is off.
    pub fn direct(&mut self, privilege: Privilege, asid: u16) -> Option<FastTables<'_>> {
        if !self.enabled {
            return None;
        }
        let [_, load, store] = &*self.entries;
        let [_, load_hits, store_hits] = &mut self.hits;
        Some(FastTables {
            tables: [load, store],
            hits: [load_hits, store_hits],
            key_high: key_high(privilege, asid),
        })
    }

    /// The fetch entry for the page of the fetch `ctx`, if held (nothing is counted).
    pub fn fetch_entry(&self, ctx: &AccessCtx) -> Option<FastFetch> {
        let entry = self.entries.first()?.get(index(ctx.va))?;
        (ctx.kind == AccessKind::Fetch && entry.tag == key(ctx)).then_some(FastFetch {
            pa_base: entry.pa_base,
            class: entry.class,
            epoch: self.fetch_epoch,
        })
    }

    /// A fetch of the page, privilege and ASID `entry` was handed out for: counts it as a
    /// hit and returns true if the entry is still held (no fetch entry was filled or dropped
    /// since), else returns false and counts nothing.
    #[inline(always)]
    pub fn fetch_again(&mut self, entry: &FastFetch) -> bool {
        if entry.epoch != self.fetch_epoch {
            return false;
        }
        if let Some(n) = self
            .hits
            .first_mut()
            .and_then(|h| h.get_mut(entry.class as usize))
        {
            *n += 1;
        }
        true
    }

    /// Counts `n` more fetches through `entry` as [`FastPath::fetch_again`] counts them, for
    /// a caller whose `fetch_again` with it succeeded and that has not touched the fast path
    /// since (so the entry is still held): a CPU batching the fetches of register-only
    /// instructions.
    #[inline]
    pub fn fetch_again_n(&mut self, entry: &FastFetch, n: u64) {
        if let Some(hits) = self
            .hits
            .first_mut()
            .and_then(|h| h.get_mut(entry.class as usize))
        {
            *hits += n;
        }
    }

    /// Holds the page of `ctx` as mapping to `pa_base`, served as `class`.
    pub fn fill(&mut self, ctx: &AccessCtx, pa_base: u64, class: HitClass) {
        self.fill_with(ctx, None, pa_base, class);
    }

    /// [`FastPath::fill`], and the same page for access kind `also` too if given (a load's
    /// page for stores, say): one tag and slot serve both. Inlined: it is on every miss
    /// that holds a page (measured: 891 -> 882 host instructions a pagewalk touch).
    #[inline(always)]
    pub fn fill_with(
        &mut self,
        ctx: &AccessCtx,
        also: Option<AccessKind>,
        pa_base: u64,
        class: HitClass,
    ) {
        let tag = key(ctx);
        if !self.enabled || tag == 0 {
            return;
        }
        let i = index(ctx.va);
        let entry = Entry {
            tag,
            pa_base,
            class,
        };
        self.put(ctx.kind, i, entry);
        if let Some(kind) = also {
            self.put(kind, i, entry);
        }
    }

    /// Writes `entry` in slot `i` of access kind `kind`.
    #[inline(always)]
    fn put(&mut self, kind: AccessKind, i: usize, entry: Entry) {
        if kind == AccessKind::Fetch {
            self.fetch_epoch = self.fetch_epoch.wrapping_add(1);
        }
        let k = kind_slot(kind);
        if let Some(slot) = self.entries.get_mut(k).and_then(|e| e.get_mut(i)) {
            *slot = entry;
            if let Some(live) = self.live.get_mut(k) {
                *live |= 1 << i;
            }
        }
    }

    /// Drops every entry of access kind `kind`.
    pub fn flush_kind(&mut self, kind: AccessKind) {
        if kind == AccessKind::Fetch {
            self.fetch_epoch = self.fetch_epoch.wrapping_add(1);
        }
        let k = kind_slot(kind);
        let (Some(live), Some(entries)) = (self.live.get_mut(k), self.entries.get_mut(k)) else {
            return;
        };
        let mut bits = std::mem::take(live);
        while bits != 0 {
            if let Some(e) = entries.get_mut(bits.trailing_zeros() as usize) {
                *e = EMPTY_ENTRY;
            }
            bits &= bits - 1;
        }
    }

    /// Drops the entries standing on the L1 data TLB (loads and stores). Inlined into the
    /// fast path's sync, which every L1 data fill runs (measured: 835 -> 823 host
    /// instructions a pagewalk touch).
    #[inline(always)]
    pub fn flush_data(&mut self) {
        self.flush_kind(AccessKind::Load);
        self.flush_kind(AccessKind::Store);
    }

    /// Drops every entry.
    pub fn flush_all(&mut self) {
        for kind in AccessKind::ALL {
            self.flush_kind(kind);
        }
    }

    /// Hits of access kind `kind` served as `class`.
    pub fn hits_of(&self, kind: AccessKind, class: HitClass) -> u64 {
        self.hits
            .get(kind_slot(kind))
            .and_then(|h| h.get(class as usize))
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(va: u64, kind: AccessKind, size: u8, privilege: Privilege, asid: u16) -> AccessCtx {
        AccessCtx {
            va,
            kind,
            size,
            privilege,
            asid,
            pc: 0,
        }
    }

    #[test]
    fn a_hit_needs_the_same_page_kind_privilege_and_asid() {
        let mut f = FastPath::default();
        let load = ctx(0x4_5000, AccessKind::Load, 4, Privilege::User, 7);
        f.fill(&load, 0x9000, HitClass::L1);
        assert_eq!(
            f.lookup(&ctx(0x4_5ffc, AccessKind::Load, 4, Privilege::User, 7)),
            Some(0x9ffc)
        );
        assert_eq!(f.hits_of(AccessKind::Load, HitClass::L1), 1);
        assert_eq!(
            f.lookup(&ctx(0x4_5ffe, AccessKind::Load, 4, Privilege::User, 7)),
            None,
            "misaligned"
        );
        assert_eq!(
            f.lookup(&ctx(0x4_5000, AccessKind::Store, 4, Privilege::User, 7)),
            None
        );
        assert_eq!(
            f.lookup(&ctx(
                0x4_5000,
                AccessKind::Load,
                4,
                Privilege::Supervisor,
                7
            )),
            None
        );
        assert_eq!(
            f.lookup(&ctx(0x4_5000, AccessKind::Load, 4, Privilege::User, 8)),
            None
        );
        // Same index, other page.
        let other = 0x4_5000 + (ENTRIES as u64) * 4096;
        assert_eq!(
            f.lookup(&ctx(other, AccessKind::Load, 4, Privilege::User, 7)),
            None
        );
        assert_eq!(f.hits_of(AccessKind::Load, HitClass::L1), 1);
        f.flush_data();
        assert_eq!(f.lookup(&load), None);
    }

    #[test]
    fn a_fetch_entry_serves_again_until_the_fetch_array_changes() {
        let mut f = FastPath::default();
        let fetch = ctx(0x1_0000, AccessKind::Fetch, 4, Privilege::User, 0);
        assert_eq!(f.fetch_entry(&fetch), None);
        f.fill(&fetch, 0x8000, HitClass::L1);
        let entry = f.fetch_entry(&fetch).expect("held");
        assert_eq!(entry.pa_base, 0x8000);
        assert!(f.fetch_again(&entry));
        assert!(f.fetch_again(&entry));
        assert_eq!(f.hits_of(AccessKind::Fetch, HitClass::L1), 2);
        // A data fill leaves it; a fetch fill or flush retires it.
        f.fill(
            &ctx(0x5000, AccessKind::Load, 4, Privilege::User, 0),
            0,
            HitClass::L1,
        );
        assert!(f.fetch_again(&entry));
        f.fill(
            &ctx(0x7000, AccessKind::Fetch, 4, Privilege::User, 0),
            0,
            HitClass::L1,
        );
        assert!(!f.fetch_again(&entry));
        let entry = f.fetch_entry(&fetch).expect("still held");
        f.flush_kind(AccessKind::Fetch);
        assert!(!f.fetch_again(&entry));
        assert_eq!(f.hits_of(AccessKind::Fetch, HitClass::L1), 3);
        f.fetch_again_n(&entry, 5);
        assert_eq!(f.hits_of(AccessKind::Fetch, HitClass::L1), 8);
        assert_eq!(f.fetch_entry(&fetch), None);
    }

    #[test]
    fn a_fill_with_a_sibling_kind_holds_the_page_for_both_kinds_only() {
        let mut f = FastPath::default();
        let load = ctx(0x3_2000, AccessKind::Load, 4, Privilege::User, 2);
        f.fill_with(&load, Some(AccessKind::Store), 0x7000, HitClass::L1);
        let store = AccessCtx {
            kind: AccessKind::Store,
            ..load
        };
        let fetch = AccessCtx {
            kind: AccessKind::Fetch,
            ..load
        };
        assert_eq!(f.lookup(&load), Some(0x7000));
        assert_eq!(f.lookup(&store), Some(0x7000));
        assert_eq!(f.lookup(&fetch), None);
        assert_eq!(f.hits_of(AccessKind::Store, HitClass::L1), 1);
        // Without a sibling, only the access's own kind is held.
        f.flush_data();
        f.fill_with(&load, None, 0x7000, HitClass::L1);
        assert_eq!(f.lookup(&store), None);
        assert_eq!(f.lookup(&load), Some(0x7000));
    }

    #[test]
    fn wide_asids_and_a_disabled_path_never_fill() {
        let mut f = FastPath::default();
        let wide = ctx(0x1000, AccessKind::Fetch, 4, Privilege::User, 600);
        f.fill(&wide, 0x1000, HitClass::Bare);
        assert_eq!(f.lookup(&wide), None);
        f.set_enabled(false);
        let narrow = ctx(0x1000, AccessKind::Fetch, 4, Privilege::User, 1);
        f.fill(&narrow, 0x1000, HitClass::Bare);
        assert_eq!(f.lookup(&narrow), None);
        f.set_enabled(true);
        f.fill(&narrow, 0x1000, HitClass::Bare);
        assert_eq!(f.lookup(&narrow), Some(0x1000));
        // An empty slot for page 0 of ASID 0 in M-mode does not match by accident.
        let zero = ctx(0, AccessKind::Load, 1, Privilege::Machine, 0);
        assert_eq!(f.lookup(&zero), None);
    }
}
