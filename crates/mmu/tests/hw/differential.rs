//! Differential test: random page tables (mixed page sizes, random permissions, holes,
//! misaligned superpages, pointers beyond memory, global regions shared by every address
//! space) and random access sequences interleaved with PTE changes, each followed by an
//! `sfence.vma` form that the spec says covers it, and with ASID switches. Every translation
//! through the TLBs and page-walk caches must equal the reference translator's (walk every
//! access) result, fault or PA — for every replacement policy, four geometries and every
//! format: 3.1 million accesses in all. Seeded and deterministic.

use crate::tables::{regs_for, Rng};
use atlas_mmu::config::Geometry;
use atlas_mmu::format::PAGE_SHIFT;
use atlas_mmu::pte::{Pte, PTE_A, PTE_D, PTE_G, PTE_R, PTE_U, PTE_V, PTE_W, PTE_X};
use atlas_mmu::{
    AccessCtx, AccessKind, Format, FormatKind, MmuConfig, MmuRegs, PhysMem, PolicyKind, Privilege,
    ReferenceTranslator, Translator,
};

const LOCAL_REGIONS: usize = 8;
const GLOBAL_REGIONS: usize = 4;
const REGIONS: usize = LOCAL_REGIONS + GLOBAL_REGIONS;
pub(crate) const SPACES: usize = 3;
pub(crate) const MEM: u64 = 64 << 20;

#[derive(Clone, Copy, Debug)]
enum Region {
    Hole,
    BadPointer,
    Super,
    Table(u64),
}

pub(crate) struct World {
    pub mem: PhysMem,
    next_free: u64,
    format: &'static Format,
    linear: bool,
    region_shift: u32,
    roots: Vec<u64>,
    /// Per space, per region (global regions share the entry of space 0).
    regions: Vec<[Region; REGIONS]>,
    pub rng: Rng,
    /// Leaves point below this physical page number.
    ppn_limit: u64,
}

fn is_global(r: usize) -> bool {
    r >= LOCAL_REGIONS
}

impl World {
    pub fn new(format: &'static Format, seed: u64) -> World {
        World::with_ppn_limit(format, seed, 1 << 20)
    }

    /// A world whose leaves point below physical page `ppn_limit` (a power of two).
    pub fn with_ppn_limit(format: &'static Format, seed: u64, ppn_limit: u64) -> World {
        let linear = format.kind == FormatKind::Linear;
        let region_shift = if linear { 21 } else { format.page_shift(1) };
        let mut w = World {
            mem: PhysMem::new(MEM).expect("memory"),
            next_free: 0x1000,
            format,
            linear,
            region_shift,
            roots: Vec::new(),
            regions: vec![[Region::Hole; REGIONS]; SPACES],
            rng: Rng(seed),
            ppn_limit,
        };
        for _ in 0..SPACES {
            let root_bytes = if linear {
                w.linear_len() * u64::from(format.pte_size)
            } else {
                4096
            };
            let root = w.alloc(root_bytes);
            w.roots.push(root);
        }
        for r in 0..REGIONS {
            if is_global(r) {
                w.build_region(0, r);
            } else {
                for s in 0..SPACES {
                    w.build_region(s, r);
                }
            }
        }
        if format.levels >= 3 {
            for s in 0..SPACES {
                w.build_big(s);
            }
        }
        w
    }

    fn pages_per_region(&self) -> u64 {
        1 << (self.region_shift - PAGE_SHIFT)
    }

    fn linear_len(&self) -> u64 {
        REGIONS as u64 * self.pages_per_region()
    }

    fn alloc(&mut self, bytes: u64) -> u64 {
        let at = self.next_free;
        self.next_free += bytes.div_ceil(4096) * 4096;
        assert!(self.next_free <= MEM, "differential memory exhausted");
        at
    }

    pub fn pte_size(&self) -> u64 {
        u64::from(self.format.pte_size)
    }

    fn write(&mut self, addr: u64, raw: u64) {
        let size = self.pte_size();
        self.mem.write(addr, size, raw).expect("pte in memory");
    }

    /// The slot of `va` at `level` under `root`, creating non-global pointers above it.
    fn slot(&mut self, root: u64, va: u64, level: u32) -> u64 {
        let f = self.format;
        let (mut table, mut i) = (root, f.levels - 1);
        loop {
            let addr = table + f.vpn(va, i) * self.pte_size();
            if i == level {
                return addr;
            }
            let mut raw = self.mem.read(addr, self.pte_size()).expect("slot");
            if raw == 0 {
                let next = self.alloc(4096);
                raw = Pte::new(next >> PAGE_SHIFT, PTE_V).0;
                self.write(addr, raw);
            }
            table = Pte(raw).ppn(f.ppn_bits) << PAGE_SHIFT;
            i -= 1;
        }
    }

    fn random_flags(&mut self) -> u64 {
        let rng = &mut self.rng;
        let perms = [
            PTE_R,
            PTE_R | PTE_W,
            PTE_R | PTE_X,
            PTE_R | PTE_W | PTE_X,
            PTE_X,
            PTE_W,
        ];
        let weights = [20, 30, 15, 25, 8, 2];
        let mut pick = rng.below(100);
        let mut flags = PTE_V;
        for (p, w) in perms.iter().zip(weights) {
            if pick < w {
                flags |= p;
                break;
            }
            pick -= w;
        }
        if rng.chance(4) {
            flags &= !PTE_V;
        }
        if rng.chance(85) {
            flags |= PTE_U;
        }
        if rng.chance(70) {
            flags |= PTE_A;
        }
        if rng.chance(50) {
            flags |= PTE_D;
        }
        flags
    }

    /// A random leaf for `level`; G only in global regions (global mappings must be the same
    /// in every address space).
    fn random_leaf(&mut self, level: u32, global: bool) -> u64 {
        let align_bits = level * self.format.index_bits;
        let mut ppn = (self.rng.below(self.ppn_limit) >> align_bits) << align_bits;
        if level > 0 && self.rng.chance(10) {
            ppn |= 1;
        }
        let flags = self.random_flags() | if global { PTE_G } else { 0 };
        let mut raw = Pte::new(ppn, flags).0;
        if self.pte_size() == 8 && self.rng.chance(2) {
            raw |= 1 << 54;
        }
        raw
    }

    /// The level-1 slots of region `r` that must hold the same value (every space for a
    /// global region).
    fn region_slots(&mut self, space: usize, r: usize) -> Vec<u64> {
        let va = (r as u64) << self.region_shift;
        let spaces: Vec<usize> = if is_global(r) {
            (0..SPACES).collect()
        } else {
            vec![space]
        };
        spaces
            .into_iter()
            .map(|s| self.slot(self.roots[s], va, 1))
            .collect()
    }

    /// Fills region `r` of `space` (of every space if global) with random content.
    fn build_region(&mut self, space: usize, r: usize) {
        if self.linear {
            let n = self.pages_per_region();
            for page in 0..n {
                let raw = if self.rng.chance(85) {
                    self.random_leaf(0, is_global(r))
                } else {
                    0
                };
                for slot in self.leaf_slots(space, r, page) {
                    self.write(slot, raw);
                }
            }
            return;
        }
        let global_bit = if is_global(r) { PTE_G } else { 0 };
        let pick = self.rng.below(100);
        let (region, raw) = if pick < 12 {
            (Region::Hole, 0)
        } else if pick < 15 {
            (
                Region::BadPointer,
                Pte::new(
                    (MEM >> PAGE_SHIFT) + self.rng.below(1000),
                    PTE_V | global_bit,
                )
                .0,
            )
        } else if pick < 40 {
            (Region::Super, self.random_leaf(1, is_global(r)))
        } else {
            let table = self.alloc(4096);
            for page in 0..self.pages_per_region() {
                let raw = if self.rng.chance(80) {
                    self.random_leaf(0, is_global(r))
                } else {
                    0
                };
                self.write(table + page * self.pte_size(), raw);
            }
            (
                Region::Table(table),
                Pte::new(table >> PAGE_SHIFT, PTE_V | global_bit).0,
            )
        };
        for slot in self.region_slots(space, r) {
            self.write(slot, raw);
        }
        let owner = if is_global(r) { 0 } else { space };
        self.regions[owner][r] = region;
    }

    /// A 1 GiB-or-larger region (level 2) per space, for formats with three or more levels.
    fn build_big(&mut self, space: usize) {
        let va = 1u64 << self.format.page_shift(2);
        let raw = if self.rng.chance(20) {
            0
        } else {
            self.random_leaf(2, false)
        };
        let slot = self.slot(self.roots[space], va, 2);
        self.write(slot, raw);
    }

    /// The PTE slots holding the leaf of `page` in region `r` (several for shared content).
    fn leaf_slots(&mut self, space: usize, r: usize, page: u64) -> Vec<u64> {
        if self.linear {
            let index = r as u64 * self.pages_per_region() + page;
            let spaces: Vec<usize> = if is_global(r) {
                (0..SPACES).collect()
            } else {
                vec![space]
            };
            return spaces
                .into_iter()
                .map(|s| self.roots[s] + index * self.pte_size())
                .collect();
        }
        let owner = if is_global(r) { 0 } else { space };
        match self.regions[owner][r] {
            Region::Table(t) => vec![t + page * self.pte_size()],
            Region::Super => self.region_slots(space, r),
            Region::Hole | Region::BadPointer => Vec::new(),
        }
    }

    pub fn regs(&self, space: usize) -> MmuRegs {
        regs_for(
            self.format,
            self.roots[space],
            asid_of(space),
            self.linear_len(),
        )
    }

    pub fn random_va(&mut self, recent: &[u64]) -> u64 {
        let rng = &mut self.rng;
        if !recent.is_empty() && rng.chance(75) {
            let page = recent[rng.below(recent.len() as u64) as usize];
            return page | rng.below(4096) & !3;
        }
        if rng.chance(1) {
            return 1 << self.format.va_bits | rng.below(1 << 20);
        }
        if self.format.levels >= 3 && rng.chance(5) {
            let shift = self.format.page_shift(2);
            return (1 << shift) | rng.below(1 << shift) & !3;
        }
        let r = rng.below(REGIONS as u64);
        (r << self.region_shift) | rng.below(1 << self.region_shift) & !3
    }
}

pub(crate) fn asid_of(space: usize) -> u16 {
    space as u16 + 1
}

pub(crate) struct Machine {
    pub name: &'static str,
    pub l1: Geometry,
    pub l2: Option<Geometry>,
    pub pwc: [Option<Geometry>; 4],
    pub hardware_ad: bool,
}

impl Machine {
    /// The machine as a configuration, with the modern latencies.
    pub fn config(&self, seed: u64) -> MmuConfig {
        MmuConfig {
            name: self.name.to_string(),
            l1i: Some(self.l1),
            l1d: Some(self.l1),
            l2: self.l2,
            pwc: self.pwc,
            latencies: MmuConfig::modern().latencies,
            hardware_ad: self.hardware_ad,
            seed,
        }
    }
}

pub(crate) fn machines(policy: PolicyKind) -> [Machine; 4] {
    let g = |sets, ways| Geometry::new(sets, ways, policy);
    [
        Machine {
            name: "modern 64x4 / 1536x12",
            l1: g(16, 4),
            l2: Some(g(128, 12)),
            pwc: [Some(g(8, 4)), Some(g(4, 4)), Some(g(1, 4)), Some(g(1, 2))],
            hardware_ad: true,
        },
        Machine {
            name: "direct-mapped",
            l1: g(8, 1),
            l2: Some(g(64, 1)),
            pwc: [Some(g(4, 1)), Some(g(2, 1)), Some(g(1, 1)), Some(g(1, 1))],
            hardware_ad: true,
        },
        Machine {
            name: "tiny fully associative",
            l1: g(1, 4),
            l2: None,
            pwc: [None; 4],
            hardware_ad: true,
        },
        Machine {
            name: "odd sizes, A/D faults",
            l1: g(3, 5),
            l2: Some(g(7, 3)),
            pwc: [Some(g(3, 3)), Some(g(1, 1)), None, Some(g(2, 3))],
            hardware_ad: false,
        },
    ]
}

/// Counts of what one run exercised.
#[derive(Default)]
struct Tally {
    accesses: u64,
    faults: u64,
    l1_hits: u64,
    l2_hits: u64,
    pwc_hits: u64,
    evictions: u64,
}

fn run(
    format: &'static Format,
    machine: &Machine,
    policy: PolicyKind,
    seed: u64,
    accesses: u64,
) -> Tally {
    let mut w = World::new(format, seed);
    let mut tr = Translator::new(machine.config(seed)).expect("config");
    let reference = ReferenceTranslator {
        hardware_ad: machine.hardware_ad,
    };
    let mut space = 0;
    let mut regs = w.regs(space);
    let mut recent: Vec<u64> = Vec::new();
    let mut tally = Tally::default();
    let mut done = 0;
    while done < accesses {
        let op = w.rng.below(1000);
        if op < 8 {
            space = w.rng.below(SPACES as u64) as usize;
            let (sum, mxr) = (regs.sum, regs.mxr);
            regs = w.regs(space);
            regs.sum = sum;
            regs.mxr = mxr;
            continue;
        }
        if op < 12 {
            regs.sum = w.rng.chance(50);
            regs.mxr = w.rng.chance(30);
            continue;
        }
        if op < 22 {
            mutate_leaf(&mut w, &mut tr, space);
            continue;
        }
        if op < 25 && !w.linear {
            let r = w.rng.below(REGIONS as u64) as usize;
            w.build_region(space, r);
            let asid = if is_global(r) || w.rng.chance(30) {
                None
            } else {
                Some(asid_of(space))
            };
            tr.sfence_vma(None, asid);
            continue;
        }
        let va = w.random_va(&recent);
        let kind = AccessKind::ALL[w.rng.below(3) as usize];
        let privilege = if w.rng.chance(85) {
            Privilege::User
        } else {
            Privilege::Supervisor
        };
        let ctx = AccessCtx {
            va,
            kind,
            size: 4,
            privilege,
            asid: asid_of(space),
            pc: 0,
        };
        let real = tr
            .translate(&mut w.mem, &regs, &ctx)
            .map(|t| t.pa)
            .map_err(|f| f.reason);
        let expected = reference.translate(&mut w.mem, &regs, &ctx);
        assert_eq!(
            real, expected,
            "{:?} {} {policy:?} seed {seed}: access {done} {ctx:?}",
            format.kind, machine.name
        );
        tally.faults += u64::from(expected.is_err());
        if recent.len() < 48 {
            recent.push(va & !0xfff);
        } else if w.rng.chance(20) {
            let i = w.rng.below(48) as usize;
            recent[i] = va & !0xfff;
        }
        done += 1;
    }
    let s = tr.stats();
    tally.accesses = done;
    tally.l1_hits = s.l1i.hits.iter().chain(&s.l1d.hits).sum();
    tally.l2_hits = s.l2.hits.iter().sum();
    tally.pwc_hits = s.pwc_hits.iter().sum();
    tally.evictions = s
        .l1i
        .evictions
        .iter()
        .chain(&s.l1d.evictions)
        .chain(&s.l2.evictions)
        .sum();
    tally
}

/// Rewrites one leaf of the current space (or a global one) and issues an `sfence.vma` form
/// that covers it.
fn mutate_leaf(w: &mut World, tr: &mut Translator, space: usize) {
    if let Some(m) = mutation(w, space) {
        for &slot in &m.slots {
            w.write(slot, m.raw);
        }
        tr.sfence_vma(m.flush_va, m.flush_asid);
    }
}

/// A rewrite of one leaf (at every slot that holds it) and the `sfence.vma` form that
/// covers it.
pub(crate) struct Mutation {
    pub slots: Vec<u64>,
    pub raw: u64,
    pub flush_va: Option<u64>,
    pub flush_asid: Option<u16>,
}

/// A random leaf rewrite in the current space (or a global region), not yet applied.
pub(crate) fn mutation(w: &mut World, space: usize) -> Option<Mutation> {
    let r = w.rng.below(REGIONS as u64) as usize;
    let page = w.rng.below(w.pages_per_region());
    let owner = if is_global(r) { 0 } else { space };
    let level = match w.regions[owner][r] {
        Region::Super if !w.linear => 1,
        _ => 0,
    };
    let slots = w.leaf_slots(space, r, page);
    if slots.is_empty() {
        return None;
    }
    let raw = if w.rng.chance(15) {
        0
    } else {
        w.random_leaf(level, is_global(r))
    };
    let va = ((r as u64) << w.region_shift) | (page << PAGE_SHIFT) | w.rng.below(4096);
    let va = if level == 1 {
        ((r as u64) << w.region_shift) | w.rng.below(1 << w.region_shift)
    } else {
        va
    };
    let global = is_global(r);
    let form = w.rng.below(4);
    let (flush_va, flush_asid) = match (form, global) {
        (0, _) => (Some(va), None),
        (1, _) => (None, None),
        (2, false) => (Some(va), Some(asid_of(space))),
        (_, false) => (None, Some(asid_of(space))),
        (_, true) => (Some(va), None),
    };
    Some(Mutation {
        slots,
        raw,
        flush_va,
        flush_asid,
    })
}

fn check_all(format: &'static Format, accesses: u64) -> u64 {
    let mut total = 0;
    for (p, policy) in PolicyKind::ALL.into_iter().enumerate() {
        for (m, machine) in machines(policy).iter().enumerate() {
            let seed = 0x1234_5678 + (p * 16 + m) as u64 * 7919 + format.kind.index() as u64;
            let t = run(format, machine, policy, seed, accesses);
            let what = format!("{:?} {} {policy:?}", format.kind, machine.name);
            assert!(
                t.faults > accesses / 50,
                "{what}: faults exercised ({})",
                t.faults
            );
            assert!(
                t.faults < accesses * 9 / 10,
                "{what}: translations succeeded ({})",
                t.faults
            );
            assert!(
                t.l1_hits > accesses / 100,
                "{what}: L1 hits exercised ({})",
                t.l1_hits
            );
            assert!(t.evictions > 0, "{what}: evictions exercised");
            if machine.l2.is_some() {
                assert!(t.l2_hits > 0, "{what}: L2 hits exercised");
            }
            if machine.pwc.iter().any(Option::is_some) && format.levels > 1 {
                assert!(t.pwc_hits > 0, "{what}: PWC hits exercised");
            }
            total += t.accesses;
        }
    }
    total
}

#[test]
fn sv39_matches_reference() {
    assert_eq!(check_all(&Format::SV39, 60_000), 1_200_000);
}

#[test]
fn sv32_matches_reference() {
    assert_eq!(check_all(&Format::SV32, 30_000), 600_000);
}

#[test]
fn sv48_matches_reference() {
    assert_eq!(check_all(&Format::SV48, 30_000), 600_000);
}

#[test]
fn sv57_matches_reference() {
    assert_eq!(check_all(&Format::SV57, 20_000), 400_000);
}

#[test]
fn linear_matches_reference() {
    assert_eq!(check_all(&Format::LINEAR64, 7_500), 150_000);
    assert_eq!(check_all(&Format::LINEAR32, 7_500), 150_000);
}
