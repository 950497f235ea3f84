//! The translator's counters: the modelled ones it keeps as it goes, and the ones the fast
//! path and the quick miss keep as one number each, folded in when the statistics are
//! read so that every counter and cycle is the same with the fast path on or off.

use super::Translator;
use crate::access::AccessKind;
use crate::fastpath::HitClass;
use crate::stats::{kind_index, MmuStats};

impl Translator {
    /// Every counter, with the page-walk-cache counters brought up to date.
    pub fn stats(&self) -> MmuStats {
        let mut stats = self.stats.clone();
        stats.pwc_lookups = self.pwc.lookups;
        stats.pwc_hits = self.pwc.hits;
        self.add_fast_hits(&mut stats);
        self.fold_quick_misses(&mut stats);
        stats
    }

    /// Counts the quick misses as the slow path counts such a miss: an L2 lookup that
    /// misses, a PWC lookup that hits at level 1, a walk of one PTE read at level 0, and
    /// their cycles; and the quick misses' L2 hits as L2 lookups that hit.
    fn fold_quick_misses(&self, stats: &mut MmuStats) {
        let lat = self.config.latencies;
        for (k, &n) in self.quick_l2_hits.iter().enumerate() {
            for field in [&mut stats.l2.accesses, &mut stats.l2.hits] {
                if let Some(count) = field.get_mut(k) {
                    *count += n;
                }
            }
            stats.cycles.l2 += n * lat.l2_lookup;
        }
        for (format, row) in self.quick_counts.iter().enumerate() {
            for (k, &n) in row.iter().enumerate() {
                for field in [&mut stats.l2.accesses, &mut stats.l2.misses] {
                    if let Some(count) = field.get_mut(k) {
                        *count += n;
                    }
                }
                if let Some(walks) = stats.walks.get_mut(format).and_then(|w| w.get_mut(1)) {
                    *walks += n;
                }
                stats.pwc_lookups[0] += n;
                stats.pwc_hits[0] += n;
                stats.pte_reads += n;
                stats.pte_reads_by_level[0] += n;
                stats.cycles.l2 += n * lat.l2_lookup;
                stats.cycles.pwc += n * lat.pwc_lookup;
                stats.cycles.pte_reads += n * lat.pte_read;
            }
        }
    }

    /// Counts the fast path's hits as the modelled translations they stand for.
    fn add_fast_hits(&self, stats: &mut MmuStats) {
        let lat = self.config.latencies;
        for kind in AccessKind::ALL {
            let k = kind_index(kind);
            let bare = self.fast.hits_of(kind, HitClass::Bare);
            let bounded = self.fast.hits_of(kind, HitClass::BaseBounds);
            let l1 = self.fast.hits_of(kind, HitClass::L1);
            if let Some(n) = stats.translations.get_mut(k) {
                *n += bare + bounded + l1;
            }
            stats.cycles.base_bounds += bounded * lat.base_bounds;
            stats.cycles.l1 += l1 * lat.l1_lookup;
            let counters = if kind == AccessKind::Fetch {
                &mut stats.l1i
            } else {
                &mut stats.l1d
            };
            for field in [&mut counters.accesses, &mut counters.hits] {
                if let Some(n) = field.get_mut(k) {
                    *n += l1;
                }
            }
        }
    }

    /// Zeroes every counter (the cached translations stay).
    pub fn reset_stats(&mut self) {
        self.stats = MmuStats::default();
        self.fast.hits = Default::default();
        self.quick_counts = [[0; 3]; 5];
        self.quick_l2_hits = [0; 3];
        self.pwc.lookups = Default::default();
        self.pwc.hits = Default::default();
    }

    /// TLB misses the fast path's quick miss modelled (see `translate/quick.rs`): a
    /// host-side count, zero with the fast path off.
    pub fn quick_misses(&self) -> u64 {
        self.quick_counts.iter().flatten().sum()
    }

    /// L2 hits the quick miss modelled (see `translate/quick.rs`): a host-side count, zero
    /// with the fast path off.
    pub fn quick_l2_hits(&self) -> u64 {
        self.quick_l2_hits.iter().sum()
    }
}
