//! Per-instruction and per-page translation profiles, gathered by [`Recorder`], the access
//! observer installed on the bus when `--profile`, `--callgrind` or `--trace` is given.
//!
//! Each access is attributed to the PC of the instruction making it (`AccessCtx::pc`):
//! successful fetches count the instruction (`Ir`) unless one of its data accesses faults
//! (it did not retire, so `Ir` sums to the instructions retired), every access adds its translation cycles, and its
//! resolution adds misses by level (an L2 hit is an L1 miss; a walk is an L1 miss and, when
//! the machine has an L2, an L2 miss) and walk cycles. A flush's cycles go to the
//! instruction fetched last (the `sfence.vma`).

use crate::trace::{Flush, Mapping, Record, Resolution, TraceError, TraceWriter};
use atlas_mmu::{AccessKind, AccessObserver, Observation, Resolved, TranslateReason};
use std::any::Any;
use std::collections::HashMap;
use std::io::Write;

/// What one instruction (or one page) cost in translation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Times fetched (instructions executed, callgrind's `Ir`).
    pub ir: u64,
    /// Translation cycles charged to its accesses.
    pub cycles: u64,
    /// L1 ITLB misses.
    pub itlb_misses: u64,
    /// L1 DTLB misses.
    pub dtlb_misses: u64,
    /// L2 TLB misses.
    pub stlb_misses: u64,
    /// Page-table walks.
    pub walks: u64,
    /// Cycles of those walks (PWC lookup, PTE reads, A/D write-back).
    pub walk_cycles: u64,
    /// Translations that faulted.
    pub faults: u64,
}

impl Counts {
    /// All TLB misses (L1 and L2).
    pub fn misses(&self) -> u64 {
        self.itlb_misses + self.dtlb_misses + self.stlb_misses
    }

    fn add(&mut self, other: &Counts) {
        self.ir += other.ir;
        self.cycles += other.cycles;
        self.itlb_misses += other.itlb_misses;
        self.dtlb_misses += other.dtlb_misses;
        self.stlb_misses += other.stlb_misses;
        self.walks += other.walks;
        self.walk_cycles += other.walk_cycles;
        self.faults += other.faults;
    }
}

/// A page as profiles key it: address space and 4 KiB virtual page number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageKey {
    /// ASID of the accesses.
    pub asid: u16,
    /// Virtual address >> 12.
    pub vpn: u64,
}

/// The observer that builds profiles and, optionally, writes the access trace.
pub struct Recorder {
    profile: bool,
    per_pc: HashMap<u64, Counts>,
    per_page: HashMap<PageKey, Counts>,
    last_fetch_pc: u64,
    trace: Option<TraceWriter<Box<dyn Write>>>,
    trace_error: Option<TraceError>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("profile", &self.profile)
            .field("instructions", &self.per_pc.len())
            .field("tracing", &self.trace.is_some())
            .finish()
    }
}

/// The profile of a run: counts per instruction and per page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// Counts per PC.
    pub per_pc: HashMap<u64, Counts>,
    /// Counts per page.
    pub per_page: HashMap<PageKey, Counts>,
}

impl Profile {
    /// Sum over every instruction.
    pub fn total(&self) -> Counts {
        let mut total = Counts::default();
        for c in self.per_pc.values() {
            total.add(c);
        }
        total
    }

    /// The `n` instructions ranked highest by `key`, ties by PC, zero keys left out.
    pub fn top_pcs(&self, n: usize, key: impl Fn(&Counts) -> u64) -> Vec<(u64, Counts)> {
        top(&self.per_pc, n, key)
    }

    /// The `n` pages with most TLB misses, ties by page.
    pub fn top_pages(&self, n: usize) -> Vec<(PageKey, Counts)> {
        top(&self.per_page, n, Counts::misses)
    }
}

fn top<K: Copy + Ord>(
    map: &HashMap<K, Counts>,
    n: usize,
    key: impl Fn(&Counts) -> u64,
) -> Vec<(K, Counts)> {
    let mut rows: Vec<(K, Counts)> = map
        .iter()
        .filter(|(_, c)| key(c) > 0)
        .map(|(k, c)| (*k, *c))
        .collect();
    rows.sort_by(|a, b| key(&b.1).cmp(&key(&a.1)).then(a.0.cmp(&b.0)));
    rows.truncate(n);
    rows
}

impl Recorder {
    /// A recorder that profiles if `profile` and traces to `trace` if given.
    pub fn new(profile: bool, trace: Option<TraceWriter<Box<dyn Write>>>) -> Recorder {
        Recorder {
            profile,
            per_pc: HashMap::new(),
            per_page: HashMap::new(),
            last_fetch_pc: 0,
            trace,
            trace_error: None,
        }
    }

    /// Ends the recording: finishes the trace file (or reports its first error) and returns
    /// the profile.
    pub fn finish(self) -> Result<Profile, TraceError> {
        if let Some(e) = self.trace_error {
            return Err(e);
        }
        if let Some(trace) = self.trace {
            trace.finish()?;
        }
        Ok(Profile {
            per_pc: self.per_pc,
            per_page: self.per_page,
        })
    }

    fn write_trace(
        &mut self,
        entry: impl FnOnce(&mut TraceWriter<Box<dyn Write>>) -> Result<(), TraceError>,
    ) {
        if self.trace_error.is_some() {
            return;
        }
        if let Some(trace) = self.trace.as_mut() {
            if let Err(e) = entry(trace) {
                self.trace_error = Some(e);
            }
        }
    }
}

/// The counts one observation adds, and its trace resolution.
fn classify(o: &Observation<'_>) -> (Counts, Resolution) {
    let mut c = Counts {
        ir: u64::from(o.ctx.kind == AccessKind::Fetch && o.outcome.is_ok()),
        cycles: o.cycles(),
        ..Counts::default()
    };
    let (has_l1, has_l2, lat) = match o.translator {
        Some(t) => {
            let config = t.config();
            let l1 = match o.ctx.kind {
                AccessKind::Fetch => config.l1i.is_some(),
                _ => config.l1d.is_some(),
            };
            (l1, config.l2.is_some(), Some(config.latencies))
        }
        None => (false, false, None),
    };
    let l1_miss = |c: &mut Counts| {
        if has_l1 {
            match o.ctx.kind {
                AccessKind::Fetch => c.itlb_misses += 1,
                _ => c.dtlb_misses += 1,
            }
        }
    };
    let resolution = match o.outcome {
        Err(_) => {
            c.faults += 1;
            Resolution::Fault
        }
        Ok(t) => match t.resolved {
            Resolved::Bare => Resolution::NoTranslation,
            Resolved::BaseBounds => Resolution::BaseBounds,
            Resolved::Segment { .. } => Resolution::Segment,
            Resolved::L1 => Resolution::L1,
            Resolved::L2 => {
                l1_miss(&mut c);
                Resolution::L2
            }
            Resolved::Walk {
                pte_reads,
                leaf_level: _,
                pwc_hit_level,
                ad_written: _,
            } => {
                l1_miss(&mut c);
                if has_l2 {
                    c.stlb_misses += 1;
                }
                c.walks += 1;
                let lookups = lat.map_or(0, |l| {
                    (if has_l1 { l.l1_lookup } else { 0 }) + if has_l2 { l.l2_lookup } else { 0 }
                });
                c.walk_cycles = t.cycles.saturating_sub(lookups);
                Resolution::Walk {
                    depth: pte_reads.min(255) as u8,
                    pwc_hits: pwc_hit_level.map_or(0, |_| 1),
                }
            }
        },
    };
    (c, resolution)
}

/// Whether a translation failing for `reason` looked the TLBs up first (page-table faults)
/// or failed before them (non-canonical addresses, base-bounds and segment faults). A trace
/// marks the latter with page shift 0 so a replay leaves its TLBs alone.
pub fn reached_tlbs(reason: &TranslateReason) -> bool {
    !matches!(
        reason,
        TranslateReason::NonCanonical { .. }
            | TranslateReason::OutOfBounds { .. }
            | TranslateReason::BaseOverflow { .. }
            | TranslateReason::BeyondSegmentSpace { .. }
            | TranslateReason::SegmentInvalid { .. }
            | TranslateReason::SegmentOutOfBounds { .. }
            | TranslateReason::SegmentProtection { .. }
    )
}

impl AccessObserver for Recorder {
    fn access(&mut self, o: &Observation<'_>) {
        let (counts, resolved) = classify(o);
        if o.ctx.kind == AccessKind::Fetch {
            self.last_fetch_pc = o.ctx.pc;
        }
        if self.profile {
            let at_pc = self.per_pc.entry(o.ctx.pc).or_default();
            at_pc.add(&counts);
            // A faulting load or store does not retire its instruction: it runs again after
            // the OS serves the fault (or the run ends), so its fetch is not counted.
            if o.outcome.is_err() && o.ctx.kind != AccessKind::Fetch {
                at_pc.ir = at_pc.ir.saturating_sub(1);
            }
            let page = PageKey {
                asid: o.ctx.asid,
                vpn: o.ctx.va >> 12,
            };
            if counts.misses() > 0 || counts.faults > 0 {
                self.per_page
                    .entry(page)
                    .or_default()
                    .add(&Counts { ir: 0, ..counts });
            }
        }
        if self.trace.is_some() {
            let entry = o.entry();
            let (pa, page_shift) = match o.outcome {
                Ok(t) => (t.pa, t.page_shift.min(63) as u8),
                Err(f) if reached_tlbs(&f.reason) => (0, 12),
                Err(_) => (0, 0),
            };
            let record = Record {
                kind: o.ctx.kind,
                pc: o.ctx.pc,
                va: o.ctx.va,
                pa,
                size: o.ctx.size,
                resolved,
                mapping: Mapping {
                    asid: o.ctx.asid,
                    page_shift,
                    global: entry.is_some_and(|e| e.global),
                    dirty: entry.map_or(o.ctx.kind == AccessKind::Store, |e| e.dirty),
                },
            };
            self.write_trace(|t| t.write(&record));
        }
    }

    fn flush(&mut self, va: Option<u64>, asid: Option<u16>, cycles: u64) {
        if self.profile {
            self.per_pc.entry(self.last_fetch_pc).or_default().cycles += cycles;
        }
        self.write_trace(|t| t.write_flush(&Flush { va, asid }));
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
