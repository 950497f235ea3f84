//! `atlas trace replay`: pushes a recorded access stream through modelled TLBs built from any
//! machine configuration, without re-executing the program, and counts what they would do.
//!
//! The model is the translator's TLB path ([`atlas_mmu::Translator`]) without the memory
//! behind it: an L1 lookup (ITLB for fetches, DTLB otherwise), on a miss an L2 lookup, on a
//! miss a walk whose outcome the trace gives: a fill of the L2 and the L1 with the recorded
//! [`Mapping`] (page size, ASID, G, D), or no fill if the access faulted. As in the
//! hardware, a store finding a clean entry is a miss, an entry whose permissions refuse a
//! faulting access is a hit, and flushes drop what `sfence.vma` dropped. With the
//! configuration of the live run, the TLB counters are therefore exactly the live ones.
//! Walks are counted but not their cycles (the page tables are not in the trace).

use crate::trace::{Entry, Flush, Mapping, Record, Resolution};
use atlas_mmu::pte::Perms;
use atlas_mmu::stats::kind_index;
use atlas_mmu::tlb::{Tlb, TlbEntry};
use atlas_mmu::{AccessKind, FlushKind, Geometry, MmuConfig, MmuStats, TlbCounters};

/// Modelled TLBs fed from a trace.
#[derive(Debug)]
pub struct Replay {
    l1i: Option<Tlb>,
    l1d: Option<Tlb>,
    l2: Option<Tlb>,
    stats: MmuStats,
    fetches: u64,
    walks: u64,
}

fn new_tlb(geometry: Option<Geometry>, seed: u64) -> Option<Tlb> {
    geometry.map(|g| Tlb::new(g, seed))
}

impl Replay {
    /// TLBs as `config` describes them (seeded as the translator seeds them).
    pub fn new(config: &MmuConfig) -> Result<Replay, String> {
        config.validate()?;
        let seed = config.seed;
        Ok(Replay {
            l1i: new_tlb(config.l1i, seed),
            l1d: new_tlb(config.l1d, seed.wrapping_add(1)),
            l2: new_tlb(config.l2, seed.wrapping_add(2)),
            stats: MmuStats::default(),
            fetches: 0,
            walks: 0,
        })
    }

    /// The counters so far: translations, TLB counters and flushes (walk counters stay
    /// zero: see [`Replay::walks`]).
    pub fn stats(&self) -> &MmuStats {
        &self.stats
    }

    /// Walks the replayed TLBs needed (accesses that missed every TLB).
    pub fn walks(&self) -> u64 {
        self.walks
    }

    /// Instruction fetches replayed (the instruction count, for MPKI).
    pub fn fetches(&self) -> u64 {
        self.fetches
    }

    /// Replays one trace entry.
    pub fn entry(&mut self, entry: &Entry) {
        match entry {
            Entry::Access(record) => self.access(record),
            Entry::Flush(flush) => self.flush(flush),
        }
    }

    /// Replays one flush.
    pub fn flush(&mut self, flush: &Flush) {
        for tlb in [&mut self.l1i, &mut self.l1d, &mut self.l2]
            .into_iter()
            .flatten()
        {
            tlb.flush(flush.va, flush.asid);
        }
        if let Some(n) = self
            .stats
            .flushes
            .get_mut(FlushKind::of(flush.va, flush.asid) as usize)
        {
            *n += 1;
        }
    }

    /// Replays one access.
    pub fn access(&mut self, r: &Record) {
        let k = kind_index(r.kind);
        bump(&mut self.stats.translations, k);
        let fetch = r.kind == AccessKind::Fetch;
        if fetch {
            self.fetches += 1;
        }
        let paged = match r.resolved {
            Resolution::FastPath | Resolution::L1 | Resolution::L2 | Resolution::Walk { .. } => {
                true
            }
            Resolution::Fault => r.mapping.page_shift != 0,
            Resolution::NoTranslation | Resolution::BaseBounds | Resolution::Segment => false,
        };
        if !paged {
            return;
        }
        let faulted = r.resolved == Resolution::Fault;
        let (l1, l1_counters) = if fetch {
            (self.l1i.as_mut(), &mut self.stats.l1i)
        } else {
            (self.l1d.as_mut(), &mut self.stats.l1d)
        };
        if let Some(tlb) = l1 {
            if probe(tlb, l1_counters, k, r, faulted) {
                return;
            }
        }
        let fill = entry_of(r);
        if let Some(tlb) = self.l2.as_mut() {
            if probe(tlb, &mut self.stats.l2, k, r, faulted) {
                if let Some(entry) = tlb.find(r.va, r.mapping.asid).map(|(_, e)| e) {
                    self.fill_l1(fetch, k, entry);
                }
                return;
            }
        }
        self.walks += 1;
        if faulted {
            return;
        }
        if let Some(l2) = self.l2.as_mut() {
            if l2.insert(fill).is_some() {
                bump(&mut self.stats.l2.evictions, k);
            }
        }
        self.fill_l1(fetch, k, fill);
    }

    fn fill_l1(&mut self, fetch: bool, k: usize, entry: TlbEntry) {
        let (tlb, counters) = if fetch {
            (self.l1i.as_mut(), &mut self.stats.l1i)
        } else {
            (self.l1d.as_mut(), &mut self.stats.l1d)
        };
        if let Some(tlb) = tlb {
            if tlb.insert(entry).is_some() {
                bump(&mut counters.evictions, k);
            }
        }
    }
}

fn bump(field: &mut [u64; 3], k: usize) {
    if let Some(n) = field.get_mut(k) {
        *n += 1;
    }
}

/// One lookup as the translator's `probe` does it; true on a hit.
fn probe(tlb: &mut Tlb, counters: &mut TlbCounters, k: usize, r: &Record, faulted: bool) -> bool {
    bump(&mut counters.accesses, k);
    if let Some((slot, entry)) = tlb.find(r.va, r.mapping.asid) {
        // A faulting access that finds an entry was refused by its permissions: a hit.
        if faulted || r.kind != AccessKind::Store || entry.dirty {
            bump(&mut counters.hits, k);
            tlb.touch(slot);
            return true;
        }
    }
    bump(&mut counters.misses, k);
    false
}

/// The entry a walk for `r` fills. Permissions are not modelled (faults are in the trace).
fn entry_of(r: &Record) -> TlbEntry {
    let Mapping {
        asid,
        page_shift,
        global,
        dirty,
    } = r.mapping;
    let shift = u32::from(page_shift.min(63));
    TlbEntry {
        vtag: r.va >> shift,
        page_shift: shift as u8,
        asid,
        global,
        perms: Perms::default(),
        dirty: dirty || r.kind == AccessKind::Store,
        level: 0,
        page_base: r.pa & !((1u64 << shift) - 1),
        pte_addr: 0,
    }
}

#[cfg(test)]
mod tests;
