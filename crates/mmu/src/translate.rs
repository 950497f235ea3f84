//! The translator: the mode registers, split L1 instruction and data TLBs, a unified L2,
//! the page-walk caches and the walker, with per-component cycle accounting and counters.
//!
//! Flow of a paged access: canonical check (free) → L1 lookup (`l1_lookup`) → on a miss, L2
//! lookup (`l2_lookup`) → on a miss, a walk (`pwc_lookup` once if any PWC exists, `pte_read`
//! per PTE read, `ad_write` if A/D is set). A walk fills the L2 and the L1; an L2 hit fills
//! the L1. A hit re-checks the permissions (privilege, SUM and MXR may have changed since the
//! fill); a store that finds a clean entry (D clear) counts as a miss and walks, so D is set
//! in memory exactly as the spec's step 7 says.

use crate::access::{AccessCtx, AccessKind, Privilege};
use crate::basebound;
use crate::config::{Geometry, MmuConfig};
use crate::fastpath::{FastPath, HitClass};
use crate::fault::{TranslateFault, TranslateReason};
use crate::format::Format;
use crate::phys::PhysMem;
use crate::pte::Perms;
use crate::pwc::PageWalkCaches;
use crate::regs::{MmuRegs, Mode};
use crate::segment;
use crate::stats::{kind_index, FlushKind, MmuStats, TlbCounters};
use crate::tlb::{Slot, Tlb, TlbEntry};
use crate::walker::{check_permission, walk, Leaf, WalkRequest};
use atlas_isa::Xlen;

mod ahead;
mod counts;
mod hold;
mod quick;

/// Where a translation was resolved, for profilers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// No translation (bare mode or M-mode).
    Bare,
    /// Base-bounds.
    BaseBounds,
    /// Segmented, through this segment.
    Segment {
        /// Segment number.
        segment: u8,
    },
    /// An L1 TLB hit.
    L1,
    /// An L2 TLB hit.
    L2,
    /// A page-table walk.
    Walk {
        /// PTEs read.
        pte_reads: u32,
        /// Level of the leaf.
        leaf_level: u32,
        /// Level of the page-walk-cache hit that shortened the walk, if any.
        pwc_hit_level: Option<u32>,
        /// Whether A/D was written back.
        ad_written: bool,
    },
}

/// A successful translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Physical address.
    pub pa: u64,
    /// Translation cycles charged.
    pub cycles: u64,
    /// Where it was resolved.
    pub resolved: Resolved,
    /// Log2 of the size of the page (12 for unpaged modes: the bus splits accesses that
    /// cross 4 KiB in every mode).
    pub page_shift: u32,
}

/// Which TLB, for accessors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbLevel {
    /// L1 instruction TLB.
    L1I,
    /// L1 data TLB.
    L1D,
    /// Unified L2.
    L2,
}

/// The translation hardware.
///
/// A bus owns one, with the physical memory and the [`MmuRegs`], and calls
/// [`Translator::translate`] for every access that does not cross a page:
///
/// ```
/// use atlas_isa::Xlen;
/// use atlas_mmu::pte::{Pte, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W};
/// use atlas_mmu::{AccessCtx, AccessKind, FormatKind, MmuConfig, MmuRegs, PhysMem};
/// use atlas_mmu::{Privilege, Resolved, Satp, Translator};
///
/// // An Sv39 table mapping VA 0x1000 to PA 0x8000: root at 0x1000, then 0x2000, 0x3000.
/// let mut mem = PhysMem::new(1 << 20).unwrap();
/// mem.write(0x1000, 8, Pte::new(0x2, PTE_V).0).unwrap();
/// mem.write(0x2000, 8, Pte::new(0x3, PTE_V).0).unwrap();
/// let leaf = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;
/// mem.write(0x3000 + 8, 8, Pte::new(0x8, leaf).0).unwrap();
///
/// let mut regs = MmuRegs::new(Xlen::X64);
/// regs.satp = Satp { mode: Some(FormatKind::Sv39), asid: 1, ppn: 0x1 }.encode(Xlen::X64);
/// let mut mmu = Translator::new(MmuConfig::modern()).unwrap();
/// let ctx = AccessCtx {
///     va: 0x1234,
///     kind: AccessKind::Load,
///     size: 4,
///     privilege: Privilege::User,
///     asid: 1,
///     pc: 0,
/// };
/// let first = mmu.translate(&mut mem, &regs, &ctx).unwrap();
/// assert_eq!(first.pa, 0x8234);
/// // L1 1 + L2 7 + PWC 2 + three PTE reads of 30.
/// assert_eq!(first.cycles, 100);
/// let again = mmu.translate(&mut mem, &regs, &ctx).unwrap();
/// assert_eq!((again.resolved, again.cycles), (Resolved::L1, 1));
/// assert_eq!(mmu.stats().cycles.total(), 101);
/// ```
#[derive(Clone, Debug)]
pub struct Translator {
    config: MmuConfig,
    l1i: Option<Tlb>,
    l1d: Option<Tlb>,
    l2: Option<Tlb>,
    pwc: PageWalkCaches,
    stats: MmuStats,
    fast: FastPath,
    /// Generations of the L1 instruction and data TLBs the fast-path entries stand on.
    fast_seen: [u64; 2],
    /// The mode last decoded from `satp`, with the `satp` value and width it came from:
    /// decoding is on every modelled translation, and `satp` rarely changes.
    satp_mode: Option<(u64, Xlen, Mode)>,
    /// Misses modelled by [`Translator::quick_miss`], by format
    /// ([`crate::format::FormatKind::index`]) and access kind: each stands for the same
    /// counters and cycles, added in when the statistics are read
    /// ([`Translator::fold_quick_misses`]), as the fast path's hits are.
    quick_counts: [[u64; 3]; 5],
    /// L2 hits modelled by the quick miss, by access kind: each stands for an L2 lookup
    /// that hits and its cycles ([`Translator::fold_quick_misses`]).
    quick_l2_hits: [u64; 3],
    /// The host prefetch ahead of page sweeps (a hint: it changes nothing modelled).
    ahead: ahead::SweepAhead,
}

fn new_tlb(geometry: Option<Geometry>, seed: u64) -> Option<Tlb> {
    geometry.map(|g| Tlb::new(g, seed))
}

impl Translator {
    /// Hardware built from `config` (checked with [`MmuConfig::validate`]).
    pub fn new(config: MmuConfig) -> Result<Translator, String> {
        config.validate()?;
        let seed = config.seed;
        Ok(Translator {
            l1i: new_tlb(config.l1i, seed),
            l1d: new_tlb(config.l1d, seed.wrapping_add(1)),
            l2: new_tlb(config.l2, seed.wrapping_add(2)),
            pwc: PageWalkCaches::new(&config.pwc, seed),
            stats: MmuStats::default(),
            fast: FastPath::default(),
            fast_seen: [0; 2],
            satp_mode: None,
            quick_counts: [[0; 3]; 5],
            quick_l2_hits: [0; 3],
            ahead: ahead::SweepAhead::default(),
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &MmuConfig {
        &self.config
    }

    /// One TLB, if configured.
    pub fn tlb(&self, level: TlbLevel) -> Option<&Tlb> {
        match level {
            TlbLevel::L1I => self.l1i.as_ref(),
            TlbLevel::L1D => self.l1d.as_ref(),
            TlbLevel::L2 => self.l2.as_ref(),
        }
    }

    /// The page-walk caches.
    pub fn pwc(&self) -> &PageWalkCaches {
        &self.pwc
    }

    /// `sfence.vma`: drops cached translations in every TLB and PWC (`va` None: all
    /// addresses; `asid` None: all address spaces, global entries included). Returns the
    /// cycles charged.
    pub fn sfence_vma(&mut self, va: Option<u64>, asid: Option<u16>) -> u64 {
        for tlb in [&mut self.l1i, &mut self.l1d, &mut self.l2]
            .into_iter()
            .flatten()
        {
            tlb.flush(va, asid);
        }
        self.pwc.flush(va, asid);
        self.fast.flush_all();
        self.sync_fast_path();
        if let Some(n) = self.stats.flushes.get_mut(FlushKind::of(va, asid) as usize) {
            *n += 1;
        }
        let cycles = self.config.latencies.flush;
        self.stats.cycles.flush += cycles;
        cycles
    }

    /// Translates one access under the mode `regs` selects for its privilege.
    #[inline]
    pub fn translate(
        &mut self,
        mem: &mut PhysMem,
        regs: &MmuRegs,
        ctx: &AccessCtx,
    ) -> Result<Translation, TranslateFault> {
        self.translate_holding(mem, regs, ctx, None)
    }

    /// [`Translator::translate`], then, if the fast path is on, holds the page of `ctx` in
    /// it when the next access to the page would resolve the same way with no state change
    /// (see [`crate::fastpath`]) and the whole page lies below `phys_size`. The bus calls
    /// this when no observer needs to see every translation: the entry the translation
    /// hit or filled is in hand, so holding it costs no search.
    #[inline]
    pub fn translate_and_hold(
        &mut self,
        mem: &mut PhysMem,
        regs: &MmuRegs,
        ctx: &AccessCtx,
        phys_size: u64,
    ) -> Result<Translation, TranslateFault> {
        let hold = self.fast.enabled().then_some(phys_size);
        self.translate_holding(mem, regs, ctx, hold)
    }

    /// The translation of `ctx`; `hold`: the physical memory size, to hold the page in the
    /// fast path afterwards (None: leave the fast path alone).
    #[inline(always)]
    fn translate_holding(
        &mut self,
        mem: &mut PhysMem,
        regs: &MmuRegs,
        ctx: &AccessCtx,
        hold: Option<u64>,
    ) -> Result<Translation, TranslateFault> {
        let k = kind_index(ctx.kind);
        if let Some(n) = self.stats.translations.get_mut(k) {
            *n += 1;
        }
        match self.mode(regs, ctx.privilege) {
            Mode::Bare => {
                if let Some(phys_size) = hold {
                    self.hold_unpaged(ctx, ctx.va & !0xfff, HitClass::Bare, phys_size);
                }
                Ok(Translation {
                    pa: ctx.va,
                    cycles: 0,
                    resolved: Resolved::Bare,
                    page_shift: 12,
                })
            }
            Mode::BaseBounds { base, bound } => {
                let cycles = self.config.latencies.base_bounds;
                self.stats.cycles.base_bounds += cycles;
                match basebound::translate(ctx.va, base, bound) {
                    Ok(pa) => {
                        // The whole page must be within the bound for every access to it
                        // to pass the check.
                        let va_page = ctx.va & !0xfff;
                        if let Some(phys_size) = hold
                            .filter(|_| va_page.checked_add(0x1000).is_some_and(|end| end <= bound))
                        {
                            if let Some(pa_page) = base.checked_add(va_page) {
                                self.hold_unpaged(ctx, pa_page, HitClass::BaseBounds, phys_size);
                            }
                        }
                        Ok(Translation {
                            pa,
                            cycles,
                            resolved: Resolved::BaseBounds,
                            page_shift: 12,
                        })
                    }
                    Err(reason) => Err(self.fault(reason, cycles)),
                }
            }
            Mode::Segmented { count } => {
                let cycles = self.config.latencies.segment;
                self.stats.cycles.segment += cycles;
                match segment::translate(ctx.va, ctx.kind, regs, count) {
                    Ok((pa, segment)) => Ok(Translation {
                        pa,
                        cycles,
                        resolved: Resolved::Segment { segment },
                        page_shift: 12,
                    }),
                    Err(reason) => Err(self.fault(reason, cycles)),
                }
            }
            Mode::Paged {
                format,
                root,
                linear_len,
            } => {
                let result = self.translate_paged(mem, regs, ctx, format, root, linear_len, hold);
                // A held translation synced in `hold_l1` after its last change to an L1.
                if hold.is_none() || result.is_err() {
                    self.sync_fast_path();
                }
                result
            }
        }
    }

    /// `regs.mode(privilege)`, with the decoding of `satp` remembered.
    #[inline(always)]
    fn mode(&mut self, regs: &MmuRegs, privilege: Privilege) -> Mode {
        if privilege == Privilege::Machine || !regs.uses_satp() {
            return regs.mode(privilege);
        }
        match self.satp_mode {
            Some((satp, xlen, mode)) if satp == regs.satp && xlen == regs.xlen => mode,
            _ => {
                let mode = regs.mode(privilege);
                self.satp_mode = Some((regs.satp, regs.xlen, mode));
                mode
            }
        }
    }

    #[cold]
    fn fault(&mut self, reason: TranslateReason, cycles: u64) -> TranslateFault {
        if let Some(n) = self.stats.faults.get_mut(reason.index()) {
            *n += 1;
        }
        TranslateFault { reason, cycles }
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn translate_paged(
        &mut self,
        mem: &mut PhysMem,
        regs: &MmuRegs,
        ctx: &AccessCtx,
        format: &'static Format,
        root: u64,
        linear_len: Option<u64>,
        hold: Option<u64>,
    ) -> Result<Translation, TranslateFault> {
        let va = ctx.va;
        if !format.is_canonical(va) {
            return Err(self.fault(TranslateReason::NonCanonical { va }, 0));
        }
        let k = kind_index(ctx.kind);
        let fetch = ctx.kind == AccessKind::Fetch;
        let mut cycles = 0;
        // Whether the L1 / L2 lookup found no entry at all for the page (a fill then needs
        // no search for one to replace).
        let mut l1_absent = false;

        // L1.
        let l1 = if fetch {
            self.l1i.as_mut()
        } else {
            self.l1d.as_mut()
        };
        if let Some(tlb) = l1 {
            cycles += self.config.latencies.l1_lookup;
            self.stats.cycles.l1 += self.config.latencies.l1_lookup;
            let counters = if fetch {
                &mut self.stats.l1i
            } else {
                &mut self.stats.l1d
            };
            match probe(tlb, counters, k, regs, ctx) {
                // A hit's slot holds its entry (`probe` just read it there).
                Probe::Hit(slot) => {
                    if let Some(entry) = tlb.entry_at(slot).copied() {
                        if let Some(phys_size) = hold {
                            self.hold_l1(regs, ctx, slot, &entry, phys_size, false);
                        }
                        return Ok(Translation {
                            pa: entry.translate(va),
                            cycles,
                            resolved: Resolved::L1,
                            page_shift: u32::from(entry.page_shift),
                        });
                    }
                }
                Probe::Denied(reason) => return Err(self.fault(reason, cycles)),
                Probe::Absent => l1_absent = true,
                Probe::Clean => {}
            }
        }

        // With the fast path on, the quick miss; else, or if it declines, the L2 probe (with
        // the quick miss's search of the L2, if it made one).
        let l2_found = match hold.filter(|_| l1_absent) {
            Some(phys_size) => {
                match self.quick_miss(mem, regs, ctx, format, phys_size, cycles, |_| true) {
                    Ok(done) => return Ok(done),
                    Err(found) => found,
                }
            }
            None => None,
        };
        let after_l1 = AfterL1 {
            cycles,
            l1_absent,
            l2_found,
        };
        self.translate_paged_rest(mem, regs, ctx, format, root, linear_len, hold, after_l1)
    }

    /// The rest of [`Translator::translate_paged`] after the L1 lookup and the quick miss:
    /// the L2 probe and the walk. Out of line: the common cases end before it, and the
    /// part before it is inlined into every access function.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn translate_paged_rest(
        &mut self,
        mem: &mut PhysMem,
        regs: &MmuRegs,
        ctx: &AccessCtx,
        format: &'static Format,
        root: u64,
        linear_len: Option<u64>,
        hold: Option<u64>,
        after_l1: AfterL1,
    ) -> Result<Translation, TranslateFault> {
        let AfterL1 {
            mut cycles,
            l1_absent,
            l2_found,
        } = after_l1;
        let va = ctx.va;
        let k = kind_index(ctx.kind);
        let mut l2_absent = false;

        // L2.
        if let Some(tlb) = self.l2.as_mut() {
            cycles += self.config.latencies.l2_lookup;
            self.stats.cycles.l2 += self.config.latencies.l2_lookup;
            let found = l2_found.unwrap_or_else(|| tlb.find_slot(va, ctx.asid));
            match probe_found(tlb, found, &mut self.stats.l2, k, regs, ctx) {
                // A hit's slot holds its entry (`probe` just read it there).
                Probe::Hit(slot) => {
                    if let Some(entry) = tlb.entry_at(slot).copied() {
                        self.fill_l1(regs, ctx, k, entry, l1_absent, hold);
                        return Ok(Translation {
                            pa: entry.translate(va),
                            cycles,
                            resolved: Resolved::L2,
                            page_shift: u32::from(entry.page_shift),
                        });
                    }
                }
                Probe::Denied(reason) => return Err(self.fault(reason, cycles)),
                Probe::Absent => l2_absent = true,
                Probe::Clean => {}
            }
        }

        // Walk.
        if self.pwc.any() {
            cycles += self.config.latencies.pwc_lookup;
            self.stats.cycles.pwc += self.config.latencies.pwc_lookup;
        }
        let request = WalkRequest::of(ctx, regs, self.config.hardware_ad);
        let outcome = walk(mem, format, root, linear_len, &request, &mut self.pwc);
        let reads = u64::from(outcome.pte_reads);
        if let Some(row) = self.stats.walks.get_mut(format.kind.index()) {
            if let Some(n) = row.get_mut((outcome.pte_reads as usize).min(5)) {
                *n += 1;
            }
        }
        self.stats.pte_reads += reads;
        // The walk read levels start, start − 1, … (start is below a PWC hit's level).
        let start = outcome
            .pwc_hit_level
            .map_or(format.levels - 1, |hit| hit.saturating_sub(1)) as usize;
        for i in 0..(outcome.pte_reads as usize).min(start + 1) {
            if let Some(n) = self.stats.pte_reads_by_level.get_mut(start - i) {
                *n += 1;
            }
        }
        let read_cycles = reads * self.config.latencies.pte_read;
        cycles += read_cycles;
        self.stats.cycles.pte_reads += read_cycles;
        if outcome.ad_written {
            cycles += self.config.latencies.ad_write;
            self.stats.cycles.ad_writes += self.config.latencies.ad_write;
            self.stats.ad_writes += 1;
        }
        match outcome.result {
            Ok(leaf) => {
                let entry = entry_of(&leaf, va, ctx.asid);
                if let Some(l2) = self.l2.as_mut() {
                    let (_, evicted) = if l2_absent {
                        l2.fill_absent(entry)
                    } else {
                        l2.insert_at(entry)
                    };
                    if evicted {
                        if let Some(n) = self.stats.l2.evictions.get_mut(k) {
                            *n += 1;
                        }
                    }
                }
                self.fill_l1(regs, ctx, k, entry, l1_absent, hold);
                Ok(Translation {
                    pa: leaf.pa,
                    cycles,
                    resolved: Resolved::Walk {
                        pte_reads: outcome.pte_reads,
                        leaf_level: leaf.level,
                        pwc_hit_level: outcome.pwc_hit_level,
                        ad_written: outcome.ad_written,
                    },
                    page_shift: leaf.page_shift,
                })
            }
            Err(reason) => Err(self.fault(reason, cycles)),
        }
    }

    /// Fills the L1 TLB of the access `ctx` with `entry`; `absent`: its lookup of this
    /// access found no entry for the page. With `hold`, then holds the page in the fast
    /// path ([`Translator::hold_l1`]) from the slot the entry went to.
    #[inline(always)]
    fn fill_l1(
        &mut self,
        regs: &MmuRegs,
        ctx: &AccessCtx,
        k: usize,
        entry: TlbEntry,
        absent: bool,
        hold: Option<u64>,
    ) {
        let fetch = ctx.kind == AccessKind::Fetch;
        let (tlb, counters) = if fetch {
            (self.l1i.as_mut(), &mut self.stats.l1i)
        } else {
            (self.l1d.as_mut(), &mut self.stats.l1d)
        };
        let Some(tlb) = tlb else {
            return;
        };
        let (slot, evicted) = if absent {
            tlb.fill_absent(entry)
        } else {
            tlb.insert_at(entry)
        };
        if evicted {
            if let Some(n) = counters.evictions.get_mut(k) {
                *n += 1;
            }
        }
        if let Some(phys_size) = hold {
            self.hold_l1(regs, ctx, slot, &entry, phys_size, true);
        }
    }
}

/// Where a paged translation stands after its L1 lookup (and the quick miss, if it
/// declined): the cycles charged so far, whether the L1 had no entry for the page, and
/// the quick miss's search of the L2 (`None` if it made none).
struct AfterL1 {
    cycles: u64,
    l1_absent: bool,
    l2_found: Option<Option<Slot>>,
}

/// The result of looking an access up in one TLB.
enum Probe {
    /// A usable entry, at this slot.
    Hit(Slot),
    /// An entry whose permissions refuse the access.
    Denied(TranslateReason),
    /// No entry for the page.
    Absent,
    /// A clean entry for a store (which walks to set D).
    Clean,
}

/// Looks `ctx` up in `tlb`, counting the lookup in `counters` (row `k`) and telling the
/// policy of a hit.
#[inline(always)]
fn probe(
    tlb: &mut Tlb,
    counters: &mut TlbCounters,
    k: usize,
    regs: &MmuRegs,
    ctx: &AccessCtx,
) -> Probe {
    let found = tlb.find_slot(ctx.va, ctx.asid);
    probe_found(tlb, found, counters, k, regs, ctx)
}

/// [`probe`] with the search done: `found` is `tlb.find_slot` of the access, made with no
/// change to `tlb` since.
#[inline(always)]
fn probe_found(
    tlb: &mut Tlb,
    found: Option<Slot>,
    counters: &mut TlbCounters,
    k: usize,
    regs: &MmuRegs,
    ctx: &AccessCtx,
) -> Probe {
    let bump = |field: &mut [u64; 3]| {
        if let Some(n) = field.get_mut(k) {
            *n += 1;
        }
    };
    bump(&mut counters.accesses);
    let Some(slot) = found else {
        bump(&mut counters.misses);
        return Probe::Absent;
    };
    let Some(&TlbEntry {
        perms,
        dirty,
        level,
        ..
    }) = tlb.entry_at(slot)
    else {
        bump(&mut counters.misses);
        return Probe::Absent;
    };
    if let Some(denied) = check_permission(perms, ctx.kind, ctx.privilege, regs.sum, regs.mxr) {
        bump(&mut counters.hits);
        tlb.touch(slot);
        return Probe::Denied(TranslateReason::Permission {
            level: u32::from(level),
            denied,
        });
    }
    if ctx.kind != AccessKind::Store || dirty {
        bump(&mut counters.hits);
        tlb.touch(slot);
        return Probe::Hit(slot);
    }
    bump(&mut counters.misses);
    Probe::Clean
}

/// Whether an entry with `perms` (and D as `dirty`) serves an access of `kind` at
/// `privilege` as a hit: its permission granted and, for a store, D already set (a store
/// to a clean entry walks to set it).
#[inline(always)]
pub(super) fn hit_allows(
    regs: &MmuRegs,
    kind: AccessKind,
    privilege: Privilege,
    perms: Perms,
    dirty: bool,
) -> bool {
    check_permission(perms, kind, privilege, regs.sum, regs.mxr).is_none()
        && (kind != AccessKind::Store || dirty)
}

fn entry_of(leaf: &Leaf, va: u64, asid: u16) -> TlbEntry {
    TlbEntry {
        vtag: va >> leaf.page_shift,
        page_shift: leaf.page_shift as u8,
        asid,
        global: leaf.global,
        perms: leaf.perms,
        dirty: leaf.dirty,
        level: leaf.level as u8,
        page_base: leaf.page_base,
        pte_addr: leaf.pte_addr,
    }
}
