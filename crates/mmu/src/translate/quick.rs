//! The quick miss: the usual TLB miss of a sweep, modelled in one straight run.
//!
//! A miss in both TLBs is the slow path's longest trip: an L2 probe, the general walk loop
//! and its outcome, the counters of every level, two fills. A sweep over more pages than
//! the L2 holds takes it on every page, and nearly always the same way: the L2 misses, the
//! level-1 page-walk cache answers from the pointer it hit last (a hit that changes no
//! replacement state), and the leaf PTE is one the access may use with no A/D update.
//! After the L1 lookup has missed, [`Translator::quick_miss`] searches the L2. An L2 hit
//! whose entry grants the access with no D update (a working set larger than the L1 but
//! not the L2) is modelled here too, as the hit and L1 fill the slow path makes; any other
//! L2 hit goes to the slow path's L2 probe with this search, so it does not search twice.
//! A miss in the L2 is recognised as the usual miss by reading state only, then makes
//! exactly the changes the slow path would: the same counters and cycles, the same fills,
//! evictions and fast-path holding. Anything else declines before changing anything, and
//! the slow path goes on as if it had not looked. Each quick miss of an L2 miss also tells
//! the sweep prefetch ([`super::ahead`]) its page: a host hint that changes no count.
//!
//! It runs only with the fast path on, so the tests that compare runs with and without the
//! fast path (`fastpath_differential.rs`, `tests/all/fastpath.rs`) compare it with the slow
//! path too, counter for counter; `quick_miss.rs` compares every translation it makes.

use super::{entry_of, hit_allows, Resolved, Translation, Translator};
use crate::access::{AccessCtx, AccessKind};
use crate::format::Format;
use crate::phys::PhysMem;
use crate::regs::{MmuRegs, Mode};
use crate::stats::kind_index;
use crate::tlb::Slot;
use crate::walker::{quick_leaf, WalkRequest};

impl Translator {
    /// The rest of the paged access `ctx` (its VA canonical for `format`) after its L1
    /// lookup, counted and charged (`cycles` so far), found no entry for the page: the
    /// translation the slow path would go on to, if it is the usual miss described in
    /// [`self`](super::quick). Otherwise, with nothing changed, `Err` of what its search
    /// of the L2 found (`Tlb::find_slot`), for the slow path's L2 probe; `Err(None)` if
    /// there is no L2. `phys_size`: as `hold` of the slow path, which this does too.
    /// `accept`: asked the physical address before anything changes; false declines.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(super) fn quick_miss(
        &mut self,
        mem: &PhysMem,
        regs: &MmuRegs,
        ctx: &AccessCtx,
        format: &'static Format,
        phys_size: u64,
        cycles: u64,
        accept: impl FnOnce(u64) -> bool,
    ) -> Result<Translation, Option<Option<Slot>>> {
        let va = ctx.va;
        let Some(l2) = self.l2.as_ref() else {
            return Err(None);
        };
        let found = l2.find_slot(va, ctx.asid);
        if let Some(slot) = found {
            return self
                .quick_l2_hit(regs, ctx, slot, phys_size, cycles, accept)
                .ok_or(Some(found));
        }
        let declined = Err(Some(None));
        let Some((table, pointer_global)) = self.pwc.remembered_level1(format, va, ctx.asid) else {
            return declined;
        };
        let request = WalkRequest::of(ctx, regs, self.config.hardware_ad);
        let Some(leaf) = quick_leaf(mem, format, table, pointer_global, &request) else {
            return declined;
        };
        if !accept(leaf.pa) {
            return declined;
        }

        let _prefetched = self.ahead.note(mem, format, leaf.pte_addr, va);

        // From here on, what the slow path does for this miss, in its order. Its counters
        // and cycles (the L2 miss, the PWC hit, the one PTE read and the walk) are the same
        // for every quick miss of a format and kind: one count stands for them all, and
        // `fold_quick_misses` adds them in when the statistics are read.
        let k = kind_index(ctx.kind);
        let latencies = self.config.latencies;
        if let Some(n) = self
            .quick_counts
            .get_mut(format.kind.index())
            .and_then(|row| row.get_mut(k))
        {
            *n += 1;
        }
        let entry = entry_of(&leaf, va, ctx.asid);
        if let Some(l2) = self.l2.as_mut() {
            if l2.fill_absent(entry).1 {
                if let Some(n) = self.stats.l2.evictions.get_mut(k) {
                    *n += 1;
                }
            }
        }
        self.fill_l1(regs, ctx, k, entry, true, Some(phys_size));
        Ok(Translation {
            pa: leaf.pa,
            cycles: cycles + latencies.l2_lookup + latencies.pwc_lookup + latencies.pte_read,
            resolved: Resolved::Walk {
                pte_reads: 1,
                leaf_level: 0,
                pwc_hit_level: Some(1),
                ad_written: false,
            },
            page_shift: leaf.page_shift,
        })
    }

    /// The rest of the paged access `ctx` after its L1 lookup missed and its L2 search
    /// found the entry at `slot`: the L2 hit and L1 fill the slow path would make, if the
    /// entry grants the access with no D update. Otherwise `None`, with nothing changed.
    /// The hit's counters and cycles are one count (`quick_l2_hits`), added in by
    /// `fold_quick_misses`. `accept`: as for [`Translator::quick_miss`].
    #[inline(always)]
    fn quick_l2_hit(
        &mut self,
        regs: &MmuRegs,
        ctx: &AccessCtx,
        slot: Slot,
        phys_size: u64,
        cycles: u64,
        accept: impl FnOnce(u64) -> bool,
    ) -> Option<Translation> {
        let l2 = self.l2.as_mut()?;
        let entry = *l2.entry_at(slot)?;
        if !hit_allows(regs, ctx.kind, ctx.privilege, entry.perms, entry.dirty)
            || !accept(entry.translate(ctx.va))
        {
            return None;
        }
        l2.touch(slot);
        let k = kind_index(ctx.kind);
        if let Some(n) = self.quick_l2_hits.get_mut(k) {
            *n += 1;
        }
        self.fill_l1(regs, ctx, k, entry, true, Some(phys_size));
        Some(Translation {
            pa: entry.translate(ctx.va),
            cycles: cycles + self.config.latencies.l2_lookup,
            resolved: Resolved::L2,
            page_shift: u32::from(entry.page_shift),
        })
    }
}

impl Translator {
    /// The aligned data access `ctx` (no fetch) of native code, whose page its fast-path
    /// table did not hold, when it is a quick miss: the L1 data TLB holds no entry for the
    /// page and [`Translator::quick_miss`] models the rest. Then everything the slow path
    /// would do for it is done (the translation and its L1 lookup counted, the TLBs filled,
    /// the page held) and its translation returned; the caller makes the access itself,
    /// as for a fast-path hit, and adds the cycles. Otherwise `None`, with nothing
    /// changed, and the access goes the slow way. `accept`: as for `quick_miss`, so a
    /// caller declines a physical address it could not serve before anything is counted.
    ///
    /// It spares native code the general access for the miss of a page sweep: the bus's
    /// page split and memory read, the translation's mode dispatch and the hart's
    /// after-access checks (a data quick miss changes no fetch entry, so they hold).
    #[inline(always)]
    pub fn quick_data_miss(
        &mut self,
        mem: &PhysMem,
        regs: &MmuRegs,
        ctx: &AccessCtx,
        phys_size: u64,
        accept: impl FnOnce(u64) -> bool,
    ) -> Option<Translation> {
        if !self.fast.enabled() || ctx.kind == AccessKind::Fetch {
            return None;
        }
        let Mode::Paged { format, .. } = self.mode(regs, ctx.privilege) else {
            return None;
        };
        if !format.is_canonical(ctx.va) || self.l1d.as_ref()?.find_slot(ctx.va, ctx.asid).is_some()
        {
            return None;
        }
        let lookup = self.config.latencies.l1_lookup;
        let translation = self
            .quick_miss(mem, regs, ctx, format, phys_size, lookup, accept)
            .ok()?;
        // What the slow path counted before its quick miss: the translation and the L1
        // lookup that missed.
        let k = kind_index(ctx.kind);
        self.stats.cycles.l1 += lookup;
        let l1d = &mut self.stats.l1d;
        for n in [
            self.stats.translations.get_mut(k),
            l1d.accesses.get_mut(k),
            l1d.misses.get_mut(k),
        ]
        .into_iter()
        .flatten()
        {
            *n += 1;
        }
        Some(translation)
    }
}
