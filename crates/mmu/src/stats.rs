//! Counters and cycle accumulators of the translation hardware, for the profiler and reports.

use crate::access::AccessKind;
use crate::fault::TranslateReason;
use crate::format::FormatKind;
use crate::pwc::PWC_LEVELS;

/// Counters of one TLB, per access kind (index with [`kind_index`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlbCounters {
    /// Lookups.
    pub accesses: [u64; 3],
    /// Lookups that found a usable entry (a permission fault on a found entry is a hit).
    pub hits: [u64; 3],
    /// Lookups that did not (including a store finding a clean entry, which walks to set D).
    pub misses: [u64; 3],
    /// Valid entries of other pages replaced by fills caused by accesses of this kind.
    pub evictions: [u64; 3],
}

impl TlbCounters {
    /// Sum over kinds of `field`.
    pub fn total(field: &[u64; 3]) -> u64 {
        field.iter().sum()
    }
}

/// Position of `kind` in per-kind counter arrays (fetch, load, store).
#[inline(always)]
pub const fn kind_index(kind: AccessKind) -> usize {
    match kind {
        AccessKind::Fetch => 0,
        AccessKind::Load => 1,
        AccessKind::Store => 2,
    }
}

/// Translation cycles by component: their sum is all the translation cost charged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CycleBreakdown {
    /// L1 TLB lookups.
    pub l1: u64,
    /// L2 TLB lookups.
    pub l2: u64,
    /// Page-walk-cache lookups.
    pub pwc: u64,
    /// PTE reads by the walker.
    pub pte_reads: u64,
    /// A/D write-backs.
    pub ad_writes: u64,
    /// Base-bounds checks.
    pub base_bounds: u64,
    /// Segment checks.
    pub segment: u64,
    /// `sfence.vma` flushes.
    pub flush: u64,
}

impl CycleBreakdown {
    /// All translation cycles.
    pub fn total(&self) -> u64 {
        self.l1
            + self.l2
            + self.pwc
            + self.pte_reads
            + self.ad_writes
            + self.base_bounds
            + self.segment
            + self.flush
    }
}

/// The kinds of `sfence.vma`, by which operands are x0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FlushKind {
    /// rs1 = x0, rs2 = x0: everything.
    All,
    /// rs1 = x0, rs2 ≠ x0: one address space's non-global entries.
    Asid,
    /// rs1 ≠ x0, rs2 = x0: one address in every address space.
    Va,
    /// Both given: one address in one address space.
    VaAsid,
}

impl FlushKind {
    /// All kinds, in counter order.
    pub const ALL: [FlushKind; 4] = [
        FlushKind::All,
        FlushKind::Asid,
        FlushKind::Va,
        FlushKind::VaAsid,
    ];

    /// The kind of `sfence.vma` with these operands.
    pub const fn of(va: Option<u64>, asid: Option<u16>) -> FlushKind {
        match (va, asid) {
            (None, None) => FlushKind::All,
            (None, Some(_)) => FlushKind::Asid,
            (Some(_), None) => FlushKind::Va,
            (Some(_), Some(_)) => FlushKind::VaAsid,
        }
    }

    /// Name for reports.
    pub const fn name(self) -> &'static str {
        match self {
            FlushKind::All => "all",
            FlushKind::Asid => "asid",
            FlushKind::Va => "va",
            FlushKind::VaAsid => "va_asid",
        }
    }
}

/// Every counter of the translation hardware.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MmuStats {
    /// Translations requested, per kind.
    pub translations: [u64; 3],
    /// L1 instruction TLB.
    pub l1i: TlbCounters,
    /// L1 data TLB.
    pub l1d: TlbCounters,
    /// L2 TLB.
    pub l2: TlbCounters,
    /// Walks by format ([`FormatKind::index`]) and number of PTEs read (0 to 5).
    pub walks: [[u64; 6]; 5],
    /// PTEs read by walks.
    pub pte_reads: u64,
    /// PTEs read by walks, per level (index 0 is level 0, the leaf level of 4 KiB pages).
    pub pte_reads_by_level: [u64; 5],
    /// PTEs written back for A/D.
    pub ad_writes: u64,
    /// Page-walk-cache lookups per level (index 0 is level 1).
    pub pwc_lookups: [u64; PWC_LEVELS],
    /// Page-walk-cache hits per level (index 0 is level 1).
    pub pwc_hits: [u64; PWC_LEVELS],
    /// Faults by reason ([`TranslateReason::index`]).
    pub faults: [u64; 16],
    /// Flushes by kind ([`FlushKind::ALL`] order).
    pub flushes: [u64; 4],
    /// Cycles by component.
    pub cycles: CycleBreakdown,
}

impl MmuStats {
    /// Walks of `format` in total.
    pub fn walks_of(&self, format: FormatKind) -> u64 {
        self.walks.get(format.index()).map_or(0, |w| w.iter().sum())
    }

    /// Faults counted for reasons like `reason` (same variant).
    pub fn faults_of(&self, reason: &TranslateReason) -> u64 {
        self.faults.get(reason.index()).copied().unwrap_or(0)
    }

    /// Flushes of `kind`.
    pub fn flushes_of(&self, kind: FlushKind) -> u64 {
        self.flushes.get(kind as usize).copied().unwrap_or(0)
    }
}
