//! The translator's side of the fast path (see [`crate::fastpath`]): which translations it
//! holds there, and dropping what stood on L1 state that has since changed.

use super::{hit_allows, Translator};
use crate::access::{AccessCtx, AccessKind, Privilege};
use crate::fastpath::{FastPath, HitClass, Window};
use crate::pte::Perms;
use crate::regs::{MmuRegs, Mode};
use crate::tlb::{Slot, Tlb, TlbEntry};
use crate::walker::check_permission;

impl Translator {
    /// Translation cycles of the fast path's hits (what the modelled hits would have
    /// charged), which the bus adds to its own count.
    #[inline]
    pub fn fast_path_cycles(&self) -> u64 {
        let lat = self.config.latencies;
        AccessKind::ALL
            .into_iter()
            .map(|kind| {
                self.fast.hits_of(kind, HitClass::BaseBounds) * lat.base_bounds
                    + self.fast.hits_of(kind, HitClass::L1) * lat.l1_lookup
            })
            .sum()
    }

    /// The [`Window`] of data accesses at `privilege`: all of the address space in bare
    /// mode, below the bound under base-bounds, none for paged or segmented translation or
    /// with the fast path off.
    pub fn unpaged_window(&mut self, regs: &MmuRegs, privilege: Privilege) -> Window {
        if !self.fast.enabled() {
            return Window::NONE;
        }
        match self.mode(regs, privilege) {
            Mode::Bare => Window {
                base: 0,
                end: u64::MAX,
                class: HitClass::Bare,
            },
            Mode::BaseBounds { base, bound } => Window {
                base,
                end: bound,
                class: HitClass::BaseBounds,
            },
            Mode::Segmented { .. } | Mode::Paged { .. } => Window::NONE,
        }
    }

    /// The fast path (for its switch and hit counts).
    pub fn fast_path(&self) -> &FastPath {
        &self.fast
    }

    /// The fast path, mutable: the bus looks accesses up in it and flushes it when the MMU
    /// registers change.
    #[inline(always)]
    pub fn fast_path_mut(&mut self) -> &mut FastPath {
        &mut self.fast
    }

    /// Holds the unpaged page of `ctx` (bare or base-bounds: `pa_page` is where it starts)
    /// in the fast path as `class`, if it lies wholly below `phys_size`. Neither mode checks
    /// the kind of a data access, so a load's page is held for stores too, and a store's for
    /// loads: a sweep that loads and then stores each page takes the slow path once a page.
    #[inline(always)]
    pub(super) fn hold_unpaged(
        &mut self,
        ctx: &AccessCtx,
        pa_page: u64,
        class: HitClass,
        phys_size: u64,
    ) {
        if pa_page
            .checked_add(0x1000)
            .is_some_and(|end| end <= phys_size)
        {
            let also = match ctx.kind {
                AccessKind::Fetch => None,
                AccessKind::Load => Some(AccessKind::Store),
                AccessKind::Store => Some(AccessKind::Load),
            };
            self.fast.fill_with(ctx, also, pa_page, class);
        }
    }

    /// Right after the paged access `ctx` hit or filled the L1 entry at `slot`, with its
    /// permission (and D, for a store) granted: holds its page in the fast path if the
    /// next hit on that entry changes no replacement state (see [`crate::fastpath`]) and
    /// the whole page lies below `phys_size`. The entry is in hand, so nothing is searched;
    /// `filled`: the access has just filled the entry (else it hit it).
    #[inline(always)]
    pub(super) fn hold_l1(
        &mut self,
        regs: &MmuRegs,
        ctx: &AccessCtx,
        slot: Slot,
        entry: &TlbEntry,
        phys_size: u64,
        filled: bool,
    ) {
        // The hit or fill may have changed the L1's state: drop what stood on the old.
        self.sync_fast_path();
        let tlb = if ctx.kind == AccessKind::Fetch {
            &self.l1i
        } else {
            &self.l1d
        };
        let Some(tlb) = tlb.as_ref() else {
            return;
        };
        let (perms, dirty) = (entry.perms, entry.dirty);
        let pa_page = entry.translate(ctx.va & !0xfff);
        // Right after a fill the policy may vouch for the entry without looking at it.
        let free = filled && tlb.hit_after_fill_is_free();
        debug_assert!(!free || !tlb.hit_would_change_state_at(slot));
        if (!free && tlb.hit_would_change_state_at(slot))
            || pa_page
                .checked_add(0x1000)
                .is_none_or(|end| end > phys_size)
        {
            return;
        }
        let sibling = sibling_kind(regs, ctx, perms, dirty);
        self.fast.fill_with(ctx, sibling, pa_page, HitClass::L1);
    }

    /// Drops fast-path entries whose L1 TLB changed since they were filled. Inlined into
    /// every miss that fills an L1 (measured: 905 -> 891 host instructions a pagewalk touch).
    #[inline(always)]
    pub(super) fn sync_fast_path(&mut self) {
        let generations = [&self.l1i, &self.l1d].map(|t| t.as_ref().map_or(0, Tlb::generation));
        if generations[0] != self.fast_seen[0] {
            self.fast.flush_kind(AccessKind::Fetch);
        }
        if generations[1] != self.fast_seen[1] {
            self.fast.flush_data();
        }
        self.fast_seen = generations;
    }

    /// For a fast path: `None` unless `ctx` is a paged access that would hit its L1 TLB with
    /// the permission granted and no D update needed; else whether that hit would change the
    /// modelled replacement state (see [`Tlb::hit_would_change_state`]).
    pub fn l1_hit_would_change_state(&self, regs: &MmuRegs, ctx: &AccessCtx) -> Option<bool> {
        self.l1_usable_entry(regs, ctx).map(|(changes, _)| changes)
    }

    /// The L1 entry a paged access `ctx` would hit with its permission granted (and, for a
    /// store, D set), with whether that hit would change replacement state.
    fn l1_usable_entry(&self, regs: &MmuRegs, ctx: &AccessCtx) -> Option<(bool, TlbEntry)> {
        let Mode::Paged { format, .. } = regs.mode(ctx.privilege) else {
            return None;
        };
        if !format.is_canonical(ctx.va) {
            return None;
        }
        let tlb = if ctx.kind == AccessKind::Fetch {
            self.l1i.as_ref()
        } else {
            self.l1d.as_ref()
        }?;
        let (slot, entry) = tlb.find(ctx.va, ctx.asid)?;
        if check_permission(entry.perms, ctx.kind, ctx.privilege, regs.sum, regs.mxr).is_some()
            || (ctx.kind == AccessKind::Store && !entry.dirty)
        {
            return None;
        }
        Some((tlb.hit_would_change_state_at(slot), entry))
    }
}

/// Loads and stores share the L1 data TLB: when a load's (store's) entry may be held for a
/// state-free hit, a store (load) of the page hits the same entry without state change too,
/// and may be held as well if its own permission (and D, for a store) allows. A sweep that
/// loads and then stores each page so serves the store from the fast path. Returns that
/// other kind, if it may be held.
#[inline(always)]
fn sibling_kind(regs: &MmuRegs, ctx: &AccessCtx, perms: Perms, dirty: bool) -> Option<AccessKind> {
    let kind = match ctx.kind {
        AccessKind::Fetch => return None,
        AccessKind::Load => AccessKind::Store,
        AccessKind::Store => AccessKind::Load,
    };
    hit_allows(regs, kind, ctx.privilege, perms, dirty).then_some(kind)
}
