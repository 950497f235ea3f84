//! The machine configuration of the MMU: TLB and page-walk-cache geometries, replacement
//! policies and every latency, with named presets.
//!
//! # Presets
//!
//! | setting | `teaching` | `modern` | meaning |
//! |---|---|---|---|
//! | L1 ITLB | 1 set × 4 ways, LRU | 16 sets × 4 ways (64 entries), tree-PLRU | instruction fetches |
//! | L1 DTLB | 1 set × 4 ways, LRU | 16 sets × 4 ways (64 entries), tree-PLRU | loads and stores |
//! | L2 STLB | none | 128 sets × 12 ways (1536 entries), tree-PLRU | unified, looked up after an L1 miss |
//! | PWC level 1 | none | 8 sets × 4 ways, LRU | caches pointer PTEs read at level 1 (skips all but the last read) |
//! | PWC level 2 | none | 4 sets × 4 ways, LRU | pointer PTEs read at level 2 |
//! | PWC level 3 | none | 1 set × 4 ways, LRU | pointer PTEs read at level 3 (Sv48/Sv57) |
//! | PWC level 4 | none | 1 set × 2 ways, LRU | pointer PTEs read at level 4 (Sv57) |
//! | `l1_lookup` | 1 | 1 | cycles of an L1 TLB lookup, charged on every paged access |
//! | `l2_lookup` | 0 | 7 | cycles of an L2 lookup, charged after an L1 miss |
//! | `pwc_lookup` | 0 | 2 | cycles of the PWC lookup, charged once per walk when any PWC exists |
//! | `pte_read` | 10 | 30 | cycles of each PTE read by the walker |
//! | `ad_write` | 10 | 30 | cycles of writing a PTE back to set A or D |
//! | `base_bounds` | 1 | 1 | cycles of the base-bounds check and add |
//! | `segment` | 1 | 1 | cycles of the segment select, check and add |
//! | `flush` | 10 | 20 | cycles of one `sfence.vma` |
//! | `hardware_ad` | true | true | set A/D in hardware (else fault when A, or D on a store, is clear) |
//! | `seed` | 1 | 1 | seed of the random replacement policy |
//!
//! Cycle model: a paged access costs `l1_lookup`; an L1 miss adds `l2_lookup` (if an L2
//! exists); an L2 miss adds a walk: `pwc_lookup` (if any PWC exists) + `pte_read` per PTE read
//! + `ad_write` if A or D had to be set. Bare-mode and M-mode accesses cost nothing.

use crate::policy::PolicyKind;

/// Sets × ways and a replacement policy: the shape of a TLB or a page-walk cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Number of sets (any positive number: the set index is `VPN mod sets`).
    pub sets: u32,
    /// Ways per set (any positive number).
    pub ways: u32,
    /// Replacement policy within a set.
    pub policy: PolicyKind,
}

impl Geometry {
    /// A geometry of `sets` × `ways` with `policy`.
    pub const fn new(sets: u32, ways: u32, policy: PolicyKind) -> Geometry {
        Geometry { sets, ways, policy }
    }

    /// Total entries.
    pub const fn entries(&self) -> u64 {
        self.sets as u64 * self.ways as u64
    }
}

/// Largest number of entries one structure may have (keeps a bad config from exhausting the
/// host).
pub const MAX_ENTRIES: u64 = 1 << 20;

/// Largest latency a config may give (keeps every cycle sum far from overflow).
pub const MAX_LATENCY: u64 = 1 << 32;

/// Every latency of the translation hardware, in cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latencies {
    /// L1 TLB lookup (hit or miss).
    pub l1_lookup: u64,
    /// L2 TLB lookup after an L1 miss.
    pub l2_lookup: u64,
    /// Page-walk-cache lookup, once per walk.
    pub pwc_lookup: u64,
    /// One PTE read by the walker.
    pub pte_read: u64,
    /// Writing a PTE back to set A/D.
    pub ad_write: u64,
    /// Base-bounds check.
    pub base_bounds: u64,
    /// Segment check.
    pub segment: u64,
    /// One `sfence.vma`.
    pub flush: u64,
}

/// The whole MMU machine configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmuConfig {
    /// Preset name, or "custom".
    pub name: String,
    /// L1 instruction TLB (`None`: every fetch goes to L2 or the walker).
    pub l1i: Option<Geometry>,
    /// L1 data TLB.
    pub l1d: Option<Geometry>,
    /// Unified L2 TLB.
    pub l2: Option<Geometry>,
    /// Page-walk caches for the pointer PTEs of levels 1, 2, 3 and 4 (index 0 is level 1).
    pub pwc: [Option<Geometry>; 4],
    /// The latency table.
    pub latencies: Latencies,
    /// Hardware A/D updates (true) or page faults on clear A/D (false).
    pub hardware_ad: bool,
    /// Seed of the random replacement policy.
    pub seed: u64,
}

impl MmuConfig {
    /// Names of the presets, for the CLI.
    pub const PRESETS: [&'static str; 2] = ["teaching", "modern"];

    /// A tiny fully-associative TLB, no L2, no PWC: misses are visible.
    pub fn teaching() -> MmuConfig {
        MmuConfig {
            name: "teaching".to_string(),
            l1i: Some(Geometry::new(1, 4, PolicyKind::Lru)),
            l1d: Some(Geometry::new(1, 4, PolicyKind::Lru)),
            l2: None,
            pwc: [None; 4],
            latencies: Latencies {
                l1_lookup: 1,
                l2_lookup: 0,
                pwc_lookup: 0,
                pte_read: 10,
                ad_write: 10,
                base_bounds: 1,
                segment: 1,
                flush: 10,
            },
            hardware_ad: true,
            seed: 1,
        }
    }

    /// A current out-of-order core: 64-entry 4-way L1 TLBs, a 1536-entry 12-way STLB, PWCs.
    pub fn modern() -> MmuConfig {
        MmuConfig {
            name: "modern".to_string(),
            l1i: Some(Geometry::new(16, 4, PolicyKind::TreePlru)),
            l1d: Some(Geometry::new(16, 4, PolicyKind::TreePlru)),
            l2: Some(Geometry::new(128, 12, PolicyKind::TreePlru)),
            pwc: [
                Some(Geometry::new(8, 4, PolicyKind::Lru)),
                Some(Geometry::new(4, 4, PolicyKind::Lru)),
                Some(Geometry::new(1, 4, PolicyKind::Lru)),
                Some(Geometry::new(1, 2, PolicyKind::Lru)),
            ],
            latencies: Latencies {
                l1_lookup: 1,
                l2_lookup: 7,
                pwc_lookup: 2,
                pte_read: 30,
                ad_write: 30,
                base_bounds: 1,
                segment: 1,
                flush: 20,
            },
            hardware_ad: true,
            seed: 1,
        }
    }

    /// The preset called `name`.
    pub fn preset(name: &str) -> Option<MmuConfig> {
        match name {
            "teaching" => Some(MmuConfig::teaching()),
            "modern" => Some(MmuConfig::modern()),
            _ => None,
        }
    }

    /// Checks every geometry is positive and not absurdly large.
    pub fn validate(&self) -> Result<(), String> {
        let named = [("l1i", self.l1i), ("l1d", self.l1d), ("l2", self.l2)];
        let pwcs = self.pwc.iter().enumerate().map(|(i, g)| (i + 1, *g));
        for (what, geometry) in named
            .iter()
            .map(|(n, g)| (n.to_string(), *g))
            .chain(pwcs.map(|(l, g)| (format!("pwc level {l}"), g)))
        {
            if let Some(g) = geometry {
                if g.sets == 0 || g.ways == 0 {
                    return Err(format!("{what}: sets and ways must be positive"));
                }
                if g.entries() > MAX_ENTRIES {
                    return Err(format!(
                        "{what}: {} entries is above the maximum {MAX_ENTRIES}",
                        g.entries()
                    ));
                }
            }
        }
        let l = &self.latencies;
        let latencies = [
            l.l1_lookup,
            l.l2_lookup,
            l.pwc_lookup,
            l.pte_read,
            l.ad_write,
            l.base_bounds,
            l.segment,
            l.flush,
        ];
        if latencies.iter().any(|c| *c > MAX_LATENCY) {
            return Err(format!("latencies must be at most {MAX_LATENCY} cycles"));
        }
        Ok(())
    }
}

impl Default for MmuConfig {
    /// The `modern` preset.
    fn default() -> MmuConfig {
        MmuConfig::modern()
    }
}
