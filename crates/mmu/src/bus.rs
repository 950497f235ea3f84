//! The memory interface the CPU uses: every fetch, load and store goes through a [`Bus`],
//! which owns physical memory, translates the access under its current mode and returns the
//! value or a typed [`MemFault`]. The CPU never decides translation itself.
//!
//! The CPU is generic over `B: Bus` (no `dyn`), so a bus whose translation is the identity
//! compiles down to a bounds check and a copy. [`SystemBus`] is the bus Atlas runs guests on:
//! physical memory, the MMU control registers and, when configured, the translation hardware
//! ([`Translator`]: TLBs, page-walk caches, walker, base/bounds, segments).

use crate::codewatch::CodeWatch;
use crate::config::MmuConfig;
use crate::fastpath::{FastFetch, FastTables, Window};
use crate::fault::{TranslateFault, TranslateReason};
use crate::observe::{AccessObserver, Before, Observation, ObserverSlot};
use crate::regs::MmuRegs;
use crate::translate::{Resolved, TlbLevel, Translation, Translator};
use crate::{AccessCtx, AccessKind, PhysMem, Privilege};
use atlas_isa::Xlen;
use std::fmt;

/// Why an access failed, kept typed until the trap boundary maps it to a cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultReason {
    /// The (translated) physical address range has no memory behind it.
    BeyondPhysicalMemory {
        /// First physical address of the access.
        pa: u64,
        /// Size of physical memory, for the message.
        phys_size: u64,
    },
    /// The translation hardware refused the access (page fault, bound or segment
    /// violation, PTE beyond memory).
    Translation(TranslateReason),
}

impl FaultReason {
    /// Whether the trap boundary reports this as a page fault (causes 12/13/15) rather than
    /// an access fault (causes 1/5/7).
    pub const fn is_page_fault(&self) -> bool {
        match self {
            FaultReason::BeyondPhysicalMemory { .. } => false,
            FaultReason::Translation(reason) => !reason.is_access_fault(),
        }
    }
}

impl fmt::Display for FaultReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            FaultReason::BeyondPhysicalMemory { pa, phys_size } => write!(
                f,
                "physical address {pa:#x} is beyond physical memory (size {phys_size:#x})"
            ),
            FaultReason::Translation(reason) => reason.fmt(f),
        }
    }
}

/// A failed access: what was accessed, where, and why it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemFault {
    /// Virtual address of the access (the trap value, `xtval`).
    pub va: u64,
    /// Fetch, load or store.
    pub kind: AccessKind,
    /// Size of the access in bytes.
    pub size: u8,
    /// Why it failed.
    pub reason: FaultReason,
}

impl fmt::Display for MemFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-byte {} at {:#x}: {}",
            self.size,
            self.kind.name(),
            self.va,
            self.reason
        )
    }
}

/// What code that does loads and stores itself may use directly, lent by
/// [`Bus::direct_memory`]: the fast path's data tables and hit counts, physical memory, and
/// the code watch's bitmap. An access served through them must be exactly a fast-path hit
/// ([`Bus::load_fast`], [`Bus::store_fast`]) or an access inside [`Bus::unpaged_window`]:
/// aligned, its tag found (or inside the window), wholly inside `phys`, and, for a store,
/// to a page the bitmap does not watch; anything else goes to the bus.
#[derive(Debug)]
pub struct DirectMemory<'a> {
    /// The fast path's load and store tables and hit counts.
    pub fast: FastTables<'a>,
    /// Physical memory.
    pub phys: &'a mut [u8],
    /// Bit `ppn % 64` of word `ppn / 64`: physical page `ppn` holds decoded instructions,
    /// so a store to it must go through the bus (which reports the write).
    pub watched: &'a [u64],
}

/// The memory system as the CPU sees it.
///
/// Implementations own physical memory and the translation hardware; they take an explicit
/// [`AccessCtx`] for every access and never read CPU state. Misaligned accesses are legal at
/// this interface (the CPU counts and charges them); a bus that translates must split an
/// access that crosses a page.
pub trait Bus {
    /// Fetches the 32-bit instruction word at `ctx.va` (`ctx.kind` is `Fetch`, size 4).
    fn fetch(&mut self, ctx: AccessCtx) -> Result<u32, MemFault>;

    /// Loads `ctx.size` bytes at `ctx.va`, zero-extended.
    fn load(&mut self, ctx: AccessCtx) -> Result<u64, MemFault>;

    /// Stores the low `ctx.size` bytes of `value` at `ctx.va`.
    fn store(&mut self, ctx: AccessCtx, value: u64) -> Result<(), MemFault>;

    /// [`Bus::load`] if the translation fast path serves it, with the hit counted; `None`
    /// (nothing done, nothing counted) to leave it to [`Bus::load_modelled`]. A CPU calls
    /// this from a small hot function and keeps the modelled access out of line.
    #[inline(always)]
    fn load_fast(&mut self, _ctx: &AccessCtx) -> Option<Result<u64, MemFault>> {
        None
    }

    /// [`Bus::load`] after [`Bus::load_fast`] declined it: the access through the modelled
    /// hardware, without asking the fast path again.
    #[inline(always)]
    fn load_modelled(&mut self, ctx: AccessCtx) -> Result<u64, MemFault> {
        self.load(ctx)
    }

    /// [`Bus::store`] if the translation fast path serves it, as [`Bus::load_fast`].
    #[inline(always)]
    fn store_fast(&mut self, _ctx: &AccessCtx, _value: u64) -> Option<Result<(), MemFault>> {
        None
    }

    /// [`Bus::store`] after [`Bus::store_fast`] declined it, as [`Bus::load_modelled`].
    #[inline(always)]
    fn store_modelled(&mut self, ctx: AccessCtx, value: u64) -> Result<(), MemFault> {
        self.store(ctx, value)
    }

    /// The physical address of the aligned data access `ctx`, whose page the fast path's
    /// tables do not hold, if the translator models it as a quick miss
    /// ([`crate::Translator::quick_data_miss`]) and the caller may serve it as a hit: its
    /// page inside memory and, for a store, not one of decoded instructions. Its
    /// translation is then counted and charged and its page held; the caller makes the
    /// access and counts it as a served hit. `None`, with nothing changed, otherwise (and
    /// by default): the access goes the usual way.
    #[inline(always)]
    fn quick_data_miss(&mut self, _ctx: &AccessCtx) -> Option<u64> {
        None
    }

    /// What loads and stores at `privilege` in address space `asid` may use to serve
    /// fast-path hits themselves ([`DirectMemory`]), until the next call on the bus; `None`
    /// if there is no fast path to serve them.
    fn direct_memory(&mut self, _privilege: Privilege, _asid: u16) -> Option<DirectMemory<'_>> {
        None
    }

    /// The unpaged [`Window`] through which loads and stores at `privilege` that
    /// [`Bus::direct_memory`] lends for may be served beyond the pages its tables hold, for
    /// as long as neither the privilege nor an MMU register changes; [`Window::NONE`] if
    /// there is none.
    fn unpaged_window(&mut self, _privilege: Privilege) -> Window {
        Window::NONE
    }

    /// Translates `ctx` to the physical address of its first byte, with the same checks and
    /// costs as a real access (used by the OS to copy syscall buffers).
    fn translate(&mut self, ctx: AccessCtx) -> Result<u64, MemFault>;

    /// Cycles the memory system has charged so far (translation and its latencies), added
    /// to the CPU's own count for `rdcycle` and the report.
    fn cycles(&self) -> u64;

    /// Reads an MMU control register (`satp`, the `at*` registers); `None` if `csr` is not
    /// one the bus owns.
    fn read_csr(&self, csr: u16) -> Option<u64>;

    /// Writes an MMU control register; `None` if `csr` is not one the bus owns.
    fn write_csr(&mut self, csr: u16, value: u64) -> Option<()>;

    /// The address-space identifier currently selected (from `satp`), for access contexts.
    fn asid(&self) -> u16;

    /// Copies `sstatus.SUM` and `sstatus.MXR`, which the CPU owns, into the MMU, which
    /// must not read CPU state. The CPU calls it whenever it writes `mstatus`/`sstatus`.
    fn set_status(&mut self, sum: bool, mxr: bool);

    /// `sfence.vma`: drops cached translations for `va` (or all) and `asid` (or all).
    fn sfence_vma(&mut self, va: Option<u64>, asid: Option<u16>);

    /// Physical memory, for loaders and the OS.
    fn phys(&self) -> &PhysMem;

    /// Physical memory, mutable, for loaders and the OS.
    fn phys_mut(&mut self) -> &mut PhysMem;

    /// Translates the fetch `ctx` exactly as [`Bus::fetch`] would (same checks, cycles and
    /// counters) and returns the physical address of the instruction instead of reading it,
    /// so that an instruction cache keyed by physical address can skip decoding.
    #[inline(always)]
    fn fetch_pa(&mut self, ctx: AccessCtx) -> Result<u64, MemFault> {
        self.translate(ctx)
    }

    /// The record of writes to pages holding decoded instructions, for an instruction
    /// cache; `None` if this bus does not track writes (the CPU then decodes every fetch).
    #[inline(always)]
    fn code_watch(&mut self) -> Option<&mut CodeWatch> {
        None
    }

    /// For a CPU that remembers the page it executes from: the fast-path entry now serving
    /// fetches of the page of `ctx` (see [`crate::fastpath`]), if any. Nothing is counted.
    fn fast_fetch_entry(&self, _ctx: &AccessCtx) -> Option<FastFetch> {
        None
    }

    /// A fetch from the page, privilege and ASID `entry` was handed out for: if the fast
    /// path still holds the entry, counts the fetch exactly as a fast-path hit and returns
    /// true; else returns false, having counted nothing (translate it with
    /// [`Bus::fetch_pa`]).
    #[inline(always)]
    fn fetch_again(&mut self, _entry: &FastFetch) -> bool {
        false
    }

    /// Counts `n` more fetches through `entry` exactly as `n` successful
    /// [`Bus::fetch_again`] calls would, for a CPU whose `fetch_again` with it succeeded and
    /// that has made no bus call since (so the entry is still held).
    fn fetch_again_n(&mut self, entry: &FastFetch, n: u64) {
        for _ in 0..n {
            self.fetch_again(entry);
        }
    }
}

/// The bus Atlas runs guests on: physical memory, the MMU registers, and the translation
/// hardware if the machine has one.
///
/// Without translation hardware ([`SystemBus::new`]) every access is bare (PA = VA) and the
/// MMU registers are stored but select nothing. With it ([`SystemBus::with_mmu`]) the
/// registers select bare, base-bounds, segmented, linear or Sv* translation, and every
/// access is translated and charged. An access that crosses a 4 KiB boundary is split into
/// two translated parts, as hardware splits it. An access beyond physical memory is an
/// access fault.
#[derive(Clone, Debug)]
pub struct SystemBus {
    phys: PhysMem,
    regs: MmuRegs,
    translator: Option<Translator>,
    cycles: u64,
    observer: ObserverSlot,
    code: CodeWatch,
}

/// [`PhysMem::read`] with the common sizes as fixed-size copies (one host load each) rather
/// than a copy of run-time length.
#[inline(always)]
fn read_sized(phys: &PhysMem, pa: u64, size: u8) -> Option<u64> {
    fn fixed<const N: usize>(phys: &PhysMem, pa: u64) -> Option<[u8; N]> {
        phys.slice(pa, N as u64)?.try_into().ok()
    }
    match size {
        8 => fixed::<8>(phys, pa).map(u64::from_le_bytes),
        4 => fixed::<4>(phys, pa).map(|b| u64::from(u32::from_le_bytes(b))),
        2 => fixed::<2>(phys, pa).map(|b| u64::from(u16::from_le_bytes(b))),
        1 => fixed::<1>(phys, pa).map(|b| u64::from(b[0])),
        _ => phys.read(pa, u64::from(size)),
    }
}

/// [`PhysMem::write`] with the common sizes as fixed-size copies.
#[inline(always)]
fn write_sized(phys: &mut PhysMem, pa: u64, size: u8, value: u64) -> Option<()> {
    fn fixed<const N: usize>(phys: &mut PhysMem, pa: u64, bytes: &[u8]) -> Option<()> {
        let dst: &mut [u8; N] = phys.slice_mut(pa, N as u64)?.try_into().ok()?;
        let src: &[u8; N] = bytes.get(..N)?.try_into().ok()?;
        *dst = *src;
        Some(())
    }
    let bytes = value.to_le_bytes();
    match size {
        8 => fixed::<8>(phys, pa, &bytes),
        4 => fixed::<4>(phys, pa, &bytes),
        2 => fixed::<2>(phys, pa, &bytes),
        1 => fixed::<1>(phys, pa, &bytes),
        _ => phys.write(pa, u64::from(size), value),
    }
}

/// Bytes in the smallest page: accesses crossing this boundary are split.
const SPLIT_BOUNDARY: u64 = 4096;

impl SystemBus {
    /// A bus over `phys` with no translation hardware: bare mode only.
    pub fn new(phys: PhysMem) -> SystemBus {
        SystemBus {
            phys,
            regs: MmuRegs::new(Xlen::X64),
            translator: None,
            cycles: 0,
            observer: ObserverSlot::default(),
            code: CodeWatch::default(),
        }
    }

    /// A bus over `phys` with the translation hardware `config` describes, for a hart of
    /// width `xlen` (which fixes the `satp` layout). Fails on an invalid configuration.
    pub fn with_mmu(phys: PhysMem, xlen: Xlen, config: MmuConfig) -> Result<SystemBus, String> {
        Ok(SystemBus {
            phys,
            regs: MmuRegs::new(xlen),
            translator: Some(Translator::new(config)?),
            cycles: 0,
            observer: ObserverSlot::default(),
            code: CodeWatch::default(),
        })
    }

    /// The MMU control registers.
    pub fn regs(&self) -> &MmuRegs {
        &self.regs
    }

    /// The translation hardware, if the machine has one (for statistics and profiles).
    pub fn translator(&self) -> Option<&Translator> {
        self.translator.as_ref()
    }

    /// Installs (or, with `None`, removes) the observer told of every translation and
    /// flush, for profiling and tracing.
    pub fn set_observer(&mut self, observer: Option<Box<dyn AccessObserver>>) {
        self.observer = ObserverSlot(observer);
        self.flush_fast_path();
    }

    /// Switches the translation fast path ([`crate::fastpath`]) on (the default) or off.
    /// Counters and cycles are identical either way; only host speed differs.
    pub fn set_fast_path(&mut self, on: bool) {
        if let Some(t) = self.translator.as_mut() {
            t.fast_path_mut().set_enabled(on);
        }
    }

    /// Drops every fast-path entry (the modelled state they stood on may have changed).
    fn flush_fast_path(&mut self) {
        if let Some(t) = self.translator.as_mut() {
            t.fast_path_mut().flush_all();
        }
    }

    /// The physical address of `ctx` from the fast path, with the hit counted; `None` to
    /// take the modelled path.
    #[inline(always)]
    fn fast_pa(&mut self, ctx: &AccessCtx) -> Option<u64> {
        self.translator.as_mut()?.fast_path_mut().lookup(ctx)
    }

    /// Removes the observer and hands it back.
    pub fn take_observer(&mut self) -> Option<Box<dyn AccessObserver>> {
        self.observer.0.take()
    }

    /// Tells the observer about the translation of `ctx`; called only when one is
    /// installed.
    #[cold]
    #[inline(never)]
    fn observe(&mut self, ctx: &AccessCtx, translated: &Result<Translation, TranslateFault>) {
        if let Some(observer) = self.observer.0.as_mut() {
            observer.access(&Observation {
                ctx,
                outcome: translated.as_ref(),
                translator: self.translator.as_ref(),
            });
        }
    }

    /// Shows the observer the hardware before `ctx` is translated.
    #[cold]
    #[inline(never)]
    fn observe_before(&mut self, ctx: &AccessCtx) {
        if let Some(observer) = self.observer.0.as_mut() {
            observer.before(&Before {
                ctx,
                translator: self.translator.as_ref(),
                regs: &self.regs,
                mem: &self.phys,
            });
        }
    }

    /// Translates the single-page access `ctx` and checks that physical memory holds it.
    #[inline(always)]
    fn translate_part(&mut self, ctx: &AccessCtx) -> Result<u64, MemFault> {
        let observed = self.observer.0.is_some();
        if observed {
            self.observe_before(ctx);
        }
        let phys_size = self.phys.size();
        let translated = match self.translator.as_mut() {
            None => Ok(Translation {
                pa: ctx.va,
                cycles: 0,
                resolved: Resolved::Bare,
                page_shift: 12,
            }),
            // Every translation but a segment's may put its page in the fast path; with an
            // observer installed none does, so that it sees every access.
            Some(t) if observed => t.translate(&mut self.phys, &self.regs, ctx),
            Some(t) => t.translate_and_hold(&mut self.phys, &self.regs, ctx, phys_size),
        };
        if observed {
            self.observe(ctx, &translated);
        }
        let pa = match translated {
            Ok(tr) => {
                if let Resolved::Walk {
                    ad_written: true, ..
                } = tr.resolved
                {
                    self.note_ad_write(ctx);
                }
                self.cycles = self.cycles.wrapping_add(tr.cycles);
                tr.pa
            }
            Err(fault) => {
                self.cycles = self.cycles.wrapping_add(fault.cycles);
                return Err(MemFault {
                    va: ctx.va,
                    kind: ctx.kind,
                    size: ctx.size,
                    reason: FaultReason::Translation(fault.reason),
                });
            }
        };
        if pa
            .checked_add(u64::from(ctx.size))
            .is_some_and(|end| end <= phys_size)
        {
            Ok(pa)
        } else {
            Err(self.beyond_memory(ctx, pa))
        }
    }

    /// Tells the instruction cache's write watch about the A/D write-back a walk for `ctx`
    /// just made (to the leaf PTE now cached for `ctx`).
    #[cold]
    fn note_ad_write(&mut self, ctx: &AccessCtx) {
        let l1 = match ctx.kind {
            AccessKind::Fetch => TlbLevel::L1I,
            AccessKind::Load | AccessKind::Store => TlbLevel::L1D,
        };
        let pte_addr = self.translator.as_ref().and_then(|t| {
            [l1, TlbLevel::L2].into_iter().find_map(|level| {
                t.tlb(level)
                    .and_then(|tlb| tlb.find(ctx.va, ctx.asid))
                    .map(|(_, entry)| entry.pte_addr)
            })
        });
        match pte_addr {
            Some(pa) => self.code.note_write(pa, 8),
            None => self.code.note_unknown_write(),
        }
    }

    /// Splits `ctx` at a 4 KiB boundary: the part in the first page and the rest, or `None`
    /// if it does not cross one.
    #[inline(always)]
    fn split(ctx: &AccessCtx) -> Option<(AccessCtx, AccessCtx)> {
        let first = SPLIT_BOUNDARY - (ctx.va % SPLIT_BOUNDARY);
        if u64::from(ctx.size) <= first {
            return None;
        }
        let first = first as u8;
        let lo = AccessCtx {
            size: first,
            ..*ctx
        };
        let hi = AccessCtx {
            va: ctx.va.wrapping_add(u64::from(first)),
            size: ctx.size - first,
            ..*ctx
        };
        Some((lo, hi))
    }

    #[cold]
    fn beyond_memory(&self, ctx: &AccessCtx, pa: u64) -> MemFault {
        MemFault {
            va: ctx.va,
            kind: ctx.kind,
            size: ctx.size,
            reason: FaultReason::BeyondPhysicalMemory {
                pa,
                phys_size: self.phys.size(),
            },
        }
    }

    #[inline(always)]
    fn read_part(&mut self, ctx: &AccessCtx) -> Result<u64, MemFault> {
        let pa = self.translate_part(ctx)?;
        read_sized(&self.phys, pa, ctx.size).ok_or_else(|| self.beyond_memory(ctx, pa))
    }

    #[inline(always)]
    fn write_part(&mut self, ctx: &AccessCtx, value: u64) -> Result<(), MemFault> {
        let pa = self.translate_part(ctx)?;
        self.code.note_write(pa, u64::from(ctx.size));
        match write_sized(&mut self.phys, pa, ctx.size, value) {
            Some(()) => Ok(()),
            None => Err(self.beyond_memory(ctx, pa)),
        }
    }

    /// A load that crosses pages. A fault in either part is reported for the whole access
    /// (its VA and size), as the trap value of a misaligned access.
    #[cold]
    fn load_split(
        &mut self,
        whole: &AccessCtx,
        lo: AccessCtx,
        hi: AccessCtx,
    ) -> Result<u64, MemFault> {
        let parts = self
            .read_part(&lo)
            .and_then(|low| Ok(low | self.read_part(&hi)? << (8 * u32::from(lo.size))));
        parts.map_err(|f| MemFault {
            va: whole.va,
            size: whole.size,
            ..f
        })
    }

    /// A store that crosses pages: both parts are translated before either is written, so
    /// a fault on the second page leaves memory unchanged.
    #[cold]
    fn store_split(
        &mut self,
        whole: &AccessCtx,
        lo: AccessCtx,
        hi: AccessCtx,
        value: u64,
    ) -> Result<(), MemFault> {
        let whole_fault = |f: MemFault| MemFault {
            va: whole.va,
            size: whole.size,
            ..f
        };
        let pa_lo = self.translate_part(&lo).map_err(whole_fault)?;
        let pa_hi = self.translate_part(&hi).map_err(whole_fault)?;
        let high = value >> (8 * u32::from(lo.size));
        self.code.note_write(pa_lo, u64::from(lo.size));
        self.code.note_write(pa_hi, u64::from(hi.size));
        match (
            self.phys.write(pa_lo, u64::from(lo.size), value),
            self.phys.write(pa_hi, u64::from(hi.size), high),
        ) {
            (Some(()), Some(())) => Ok(()),
            (None, _) => Err(whole_fault(self.beyond_memory(&lo, pa_lo))),
            (_, None) => Err(whole_fault(self.beyond_memory(&hi, pa_hi))),
        }
    }
}

impl Bus for SystemBus {
    #[inline(always)]
    fn fetch(&mut self, ctx: AccessCtx) -> Result<u32, MemFault> {
        self.load(ctx).map(|w| w as u32)
    }

    #[inline(always)]
    fn fetch_pa(&mut self, ctx: AccessCtx) -> Result<u64, MemFault> {
        if let Some(pa) = self.fast_pa(&ctx) {
            return Ok(pa);
        }
        self.translate(ctx)
    }

    #[inline(always)]
    fn load(&mut self, ctx: AccessCtx) -> Result<u64, MemFault> {
        match self.load_fast(&ctx) {
            Some(done) => done,
            None => self.load_modelled(ctx),
        }
    }

    #[inline(always)]
    fn store(&mut self, ctx: AccessCtx, value: u64) -> Result<(), MemFault> {
        match self.store_fast(&ctx, value) {
            Some(done) => done,
            None => self.store_modelled(ctx, value),
        }
    }

    #[inline(always)]
    fn load_modelled(&mut self, ctx: AccessCtx) -> Result<u64, MemFault> {
        match Self::split(&ctx) {
            None => self.read_part(&ctx),
            Some((lo, hi)) => self.load_split(&ctx, lo, hi),
        }
    }

    #[inline(always)]
    fn store_modelled(&mut self, ctx: AccessCtx, value: u64) -> Result<(), MemFault> {
        match Self::split(&ctx) {
            None => self.write_part(&ctx, value),
            Some((lo, hi)) => self.store_split(&ctx, lo, hi, value),
        }
    }

    #[inline(always)]
    fn load_fast(&mut self, ctx: &AccessCtx) -> Option<Result<u64, MemFault>> {
        let pa = self.fast_pa(ctx)?;
        Some(read_sized(&self.phys, pa, ctx.size).ok_or_else(|| self.beyond_memory(ctx, pa)))
    }

    #[inline(always)]
    fn store_fast(&mut self, ctx: &AccessCtx, value: u64) -> Option<Result<(), MemFault>> {
        let pa = self.fast_pa(ctx)?;
        self.code.note_write(pa, u64::from(ctx.size));
        Some(match write_sized(&mut self.phys, pa, ctx.size, value) {
            Some(()) => Ok(()),
            None => Err(self.beyond_memory(ctx, pa)),
        })
    }

    #[inline(always)]
    fn quick_data_miss(&mut self, ctx: &AccessCtx) -> Option<u64> {
        // An observer sees every access: none is served past it.
        if self.observer.0.is_some() {
            return None;
        }
        let phys_size = self.phys.size();
        let store = ctx.kind == AccessKind::Store;
        let code = &self.code;
        let servable = |pa: u64| {
            (pa & !0xfff)
                .checked_add(0x1000)
                .is_some_and(|end| end <= phys_size)
                && !(store && code.is_watched(pa >> 12))
        };
        let translation = self
            .translator
            .as_mut()?
            .quick_data_miss(&self.phys, &self.regs, ctx, phys_size, servable)?;
        self.cycles = self.cycles.wrapping_add(translation.cycles);
        Some(translation.pa)
    }

    fn direct_memory(&mut self, privilege: Privilege, asid: u16) -> Option<DirectMemory<'_>> {
        let fast = self
            .translator
            .as_mut()?
            .fast_path_mut()
            .direct(privilege, asid)?;
        Some(DirectMemory {
            fast,
            phys: self.phys.bytes_mut(),
            watched: self.code.watched_words(),
        })
    }

    fn unpaged_window(&mut self, privilege: Privilege) -> Window {
        match self.translator.as_mut() {
            // An observer sees every access, so nothing may be served past it.
            Some(t) if self.observer.0.is_none() => t.unpaged_window(&self.regs, privilege),
            _ => Window::NONE,
        }
    }

    fn translate(&mut self, ctx: AccessCtx) -> Result<u64, MemFault> {
        let first = match Self::split(&ctx) {
            None => ctx,
            Some((lo, _)) => lo,
        };
        self.translate_part(&first)
    }

    fn cycles(&self) -> u64 {
        let fast = self
            .translator
            .as_ref()
            .map_or(0, Translator::fast_path_cycles);
        self.cycles.wrapping_add(fast)
    }

    fn read_csr(&self, number: u16) -> Option<u64> {
        self.regs.read_csr(number)
    }

    fn write_csr(&mut self, number: u16, value: u64) -> Option<()> {
        let written = self.regs.write_csr(number, value);
        if written.is_some() {
            self.flush_fast_path();
        }
        written
    }

    fn asid(&self) -> u16 {
        self.regs.satp().asid
    }

    fn set_status(&mut self, sum: bool, mxr: bool) {
        if (sum, mxr) != (self.regs.sum, self.regs.mxr) {
            self.flush_fast_path();
        }
        self.regs.sum = sum;
        self.regs.mxr = mxr;
    }

    fn sfence_vma(&mut self, va: Option<u64>, asid: Option<u16>) {
        if let Some(t) = self.translator.as_mut() {
            let cycles = t.sfence_vma(va, asid);
            self.cycles = self.cycles.wrapping_add(cycles);
            if let Some(observer) = self.observer.0.as_mut() {
                observer.flush(va, asid, cycles);
            }
        }
    }

    fn phys(&self) -> &PhysMem {
        &self.phys
    }

    fn phys_mut(&mut self) -> &mut PhysMem {
        self.code.note_unknown_write();
        &mut self.phys
    }

    #[inline(always)]
    fn code_watch(&mut self) -> Option<&mut CodeWatch> {
        Some(&mut self.code)
    }

    fn fast_fetch_entry(&self, ctx: &AccessCtx) -> Option<FastFetch> {
        self.translator.as_ref()?.fast_path().fetch_entry(ctx)
    }

    #[inline(always)]
    fn fetch_again(&mut self, entry: &FastFetch) -> bool {
        self.translator
            .as_mut()
            .is_some_and(|t| t.fast_path_mut().fetch_again(entry))
    }

    #[inline(always)]
    fn fetch_again_n(&mut self, entry: &FastFetch, n: u64) {
        if let Some(t) = self.translator.as_mut() {
            t.fast_path_mut().fetch_again_n(entry, n);
        }
    }
}

#[cfg(test)]
mod tests;
