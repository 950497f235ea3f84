//! The floor under pagewalk's speed: how fast can *any* exact model of its TLB miss run on
//! this host? Atlas's own miss path is general (every geometry, policy, page size, ASID,
//! observer); this loop is the opposite, the least work the `modern` preset's data miss
//! needs, written for exactly that shape, with nothing else around it. It sweeps 64 MiB as
//! `programs/bench/pagewalk.s` does (one word per 4 KiB page, 64 passes, a 64-byte skew
//! per pass) and, on every touch, does what the model must:
//!
//! - a direct-mapped fast-path lookup (a miss: every touch is a new page);
//! - probes of the 16 × 4 L1 and the 128 × 12 L2 (both miss: the sweep is far larger);
//! - the PWC's last pointer, one leaf PTE read and its checks;
//! - tree-PLRU fills of the L2 and the L1, with eviction counts;
//! - the counters and cycle sums, and the refill of the load and store fast-path entries;
//! - the guest's own load, add and store, the store served by the fast path.
//!
//! Then it does it again with the host's help: a prefetch of the data the PTE some pages
//! ahead maps, 2 MiB host pages for the data (`madvise`), or the data kept inside the
//! host's caches. Run it with `cargo bench --bench miss_floor`; `MISS_FLOOR_ROUNDS` sets
//! the rounds of 64 passes (default 4, about a million touches a round).

use std::hint::black_box;
use std::time::Instant;

const PAGES: usize = 16384;
const BASE_VPN: u64 = 0x10000;
const HUGE: usize = 2 << 20;

/// A set-associative TLB of `W` ways with tree-PLRU replacement: the victim of a set's
/// node bits comes from a table, a fill sets the bits on the way's path.
struct PlruTlb<const W: usize> {
    tags: Vec<[u64; W]>,
    frames: Vec<[u64; W]>,
    bits: Vec<u16>,
    victim_of: Vec<u8>,
    path_mask: [u16; W],
    path_value: [u16; W],
    evictions: u64,
    generation: u64,
}

impl<const W: usize> PlruTlb<W> {
    fn new(sets: usize) -> Self {
        let leaves = W.next_power_of_two();
        let (mut path_mask, mut path_value) = ([0u16; W], [0u16; W]);
        for way in 0..W {
            let (mut node, mut lo, mut size) = (0, 0, leaves);
            while size > 1 {
                let half = size / 2;
                let upper = way >= lo + half;
                if lo + half < W {
                    path_mask[way] |= 1 << node;
                    path_value[way] |= u16::from(!upper) << node;
                }
                (node, lo) = if upper {
                    (2 * node + 2, lo + half)
                } else {
                    (2 * node + 1, lo)
                };
                size = half;
            }
        }
        let victim_of = (0..1usize << (leaves - 1))
            .map(|bits| {
                let mut node = 0;
                for _ in 0..leaves.trailing_zeros() {
                    node = 2 * node + 1 + (bits >> node & 1);
                }
                (node + 1 - leaves).min(W - 1) as u8
            })
            .collect();
        PlruTlb {
            tags: vec![[u64::MAX; W]; sets],
            frames: vec![[0; W]; sets],
            bits: vec![0; sets],
            victim_of,
            path_mask,
            path_value,
            evictions: 0,
            generation: 0,
        }
    }

    #[inline(always)]
    fn set(&self, vpn: u64) -> usize {
        vpn as usize % self.tags.len()
    }

    #[inline(always)]
    fn probe(&self, vpn: u64) -> Option<u64> {
        let set = self.set(vpn);
        let way = self.tags[set].iter().position(|t| *t == vpn)?;
        Some(self.frames[set][way])
    }

    #[inline(always)]
    fn fill(&mut self, vpn: u64, frame: u64) {
        let set = self.set(vpn);
        let bits = self.bits[set];
        let way = usize::from(self.victim_of[usize::from(bits) % self.victim_of.len()]);
        self.evictions += u64::from(self.tags[set][way] != u64::MAX);
        self.tags[set][way] = vpn;
        self.frames[set][way] = frame;
        self.bits[set] = (bits & !self.path_mask[way]) | self.path_value[way];
        self.generation += 1;
    }
}

/// What the model counted: identical in every variant, or a variant changed the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    l1_misses: u64,
    l2_misses: u64,
    pwc_hits: u64,
    pte_reads: u64,
    cycles: u64,
    evictions: u64,
}

/// One way to run the sweep.
struct Variant {
    name: &'static str,
    /// Prefetch the data the PTE this many pages ahead maps (0: none).
    prefetch_ahead: usize,
    huge_pages: bool,
    /// Fold every data address into 16 KiB (the data then stays in the host's caches).
    cached_data: bool,
}

fn main() {
    let rounds: u64 = std::env::var("MISS_FLOOR_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let variants = [
        ("plain", 0, false, false),
        ("prefetch 8 pages ahead", 8, false, false),
        ("2 MiB host pages", 0, true, false),
        ("2 MiB host pages, prefetch 16 ahead", 16, true, false),
        ("data in the host's caches", 0, false, true),
    ]
    .map(|(name, prefetch_ahead, huge_pages, cached_data)| Variant {
        name,
        prefetch_ahead,
        huge_pages,
        cached_data,
    });
    let touches = rounds * 64 * PAGES as u64;
    let mut first: Option<Counts> = None;
    println!("exact modern data-miss floor, {touches} touches (6 guest instructions each):");
    for variant in &variants {
        let (seconds, counts) = (0..3)
            .map(|_| sweep(rounds, variant))
            .reduce(|a, b| if b.0 < a.0 { b } else { a })
            .expect("three runs");
        assert_eq!(*first.get_or_insert(counts), counts, "{}", variant.name);
        let ns = seconds * 1e9 / touches as f64;
        println!(
            "  {:<38} {ns:6.2} ns a touch, {:5.0} MIPS",
            variant.name,
            6e3 / ns
        );
    }
    println!("  counts: {:?}", first.unwrap_or_default());
}

/// One sweep under `variant`: its time in seconds and what the model counted.
fn sweep(rounds: u64, variant: &Variant) -> (f64, Counts) {
    // One spare page so the buffer can start on a 2 MiB boundary.
    let mut buffer = vec![0u32; (PAGES * 4096 + HUGE) / 4];
    let skip = buffer.as_ptr().align_offset(HUGE);
    let data = &mut buffer[skip..skip + PAGES * 1024];
    if variant.huge_pages && !atlas_mmu::advise_huge_pages(data) {
        eprintln!("madvise(MADV_HUGEPAGE) refused: host pages stay 4 KiB");
    }
    // Every page faulted in before the clock starts, in every variant.
    for page in data.chunks_mut(1024) {
        page[0] = 1;
    }
    // The leaf PTEs: V, R, W, U, A and D set; frame p backs page p.
    let leaf_ptes: Vec<u64> = (0..PAGES as u64 + 64).map(|p| (p << 10) | 0xd7).collect();
    let fold = if variant.cached_data {
        0xfff
    } else {
        usize::MAX
    };

    let mut l1 = PlruTlb::<4>::new(16);
    let mut l2 = PlruTlb::<12>::new(128);
    let (mut fast_tags, mut fast_frames) = ([u64::MAX; 512], [0u64; 512]);
    let mut fast_generation = 0;
    let mut pwc_tag = u64::MAX;
    let mut c = Counts::default();
    let mut checksum = 0u32;
    let start = Instant::now();
    for _ in 0..rounds {
        for pass in 0..64u64 {
            for page in 0..PAGES as u64 {
                let va = ((BASE_VPN + page) << 12) | (pass * 64);
                let vpn = va >> 12;
                let slot = (vpn % 256) as usize;
                let held = fast_tags[slot] == vpn && fast_generation == l1.generation;
                let frame = if held {
                    fast_frames[slot]
                } else {
                    c.cycles += 1;
                    match l1.probe(vpn) {
                        Some(frame) => frame,
                        None => {
                            c.l1_misses += 1;
                            c.cycles += 7;
                            let frame = match l2.probe(vpn) {
                                Some(frame) => frame,
                                None => {
                                    c.l2_misses += 1;
                                    c.cycles += 2 + 30;
                                    let index = (vpn - BASE_VPN) as usize;
                                    if vpn >> 9 == pwc_tag {
                                        c.pwc_hits += 1;
                                    } else {
                                        // The level-1 pointer is read too (the level-2
                                        // one stays in the PWC).
                                        pwc_tag = vpn >> 9;
                                        c.cycles += 30;
                                        c.pte_reads += 1;
                                    }
                                    let pte = leaf_ptes[index];
                                    c.pte_reads += 1;
                                    let readable = pte & 2 != 0;
                                    let bad = pte & 1 == 0
                                        || (!readable && pte & 4 != 0)
                                        || pte >> 54 != 0
                                        || pte & 0x50 != 0x50;
                                    assert!(!bad, "a bad PTE at page {index}");
                                    if variant.prefetch_ahead > 0 {
                                        let ahead = index + variant.prefetch_ahead;
                                        if let Some(next) = leaf_ptes.get(ahead) {
                                            let word = (next >> 10) as usize * 1024
                                                + (va & 0xfff) as usize / 4;
                                            if let Some(line) = data.get(word & fold) {
                                                atlas_mmu::prefetch_line(line);
                                            }
                                        }
                                    }
                                    let frame = pte >> 10;
                                    l2.fill(vpn, frame);
                                    frame
                                }
                            };
                            l1.fill(vpn, frame);
                            fast_generation = l1.generation;
                            fast_tags[slot] = vpn;
                            fast_frames[slot] = frame;
                            fast_tags[256 + slot] = vpn;
                            fast_frames[256 + slot] = frame;
                            frame
                        }
                    }
                };
                let word = (frame as usize * 1024 + (va & 0xfff) as usize / 4) & fold;
                let value = data[word].wrapping_add(pass as u32 * 64);
                let store_held = fast_tags[256 + slot] == vpn && fast_generation == l1.generation;
                assert!(store_held, "the store misses the fast path");
                data[word] = value;
                checksum = checksum.wrapping_add(value);
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    c.evictions = l1.evictions + l2.evictions;
    black_box(checksum);
    (seconds, c)
}
