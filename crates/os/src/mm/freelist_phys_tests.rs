//! Region growth against a shadow model: random sequences of growing, shrinking, allocating
//! and freeing regions (up and down), after which every region's bytes must equal the
//! shadow copy (relocations and compactions preserve contents; new bytes are zero), no two
//! regions may overlap, and the counters must add up.

use super::freelist::Fit;
use super::freelist_phys::{Direction, Growth, PhysRegions};
use super::{MmEnv, OsCosts, PAGE};
use atlas_isa::Xlen;
use atlas_mmu::{Bus, MmuConfig, PhysMem, SystemBus};
use proptest::prelude::*;

const PAGES: u64 = 48;

/// One region of the model: where it is and what it holds.
#[derive(Clone, Debug, Default)]
struct Region {
    addr: Option<u64>,
    dir_down: bool,
    bytes: Vec<u8>,
}

#[derive(Clone, Debug)]
enum Op {
    Resize(usize, u64, u8),
    Free(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0usize..4, 1u64..14, any::<u8>()).prop_map(|(r, p, b)| Op::Resize(r, p, b)),
        1 => (0usize..4).prop_map(Op::Free),
    ]
}

fn check(fit: Fit, ops: &[Op]) {
    let mem = PhysMem::new(PAGES * PAGE).expect("memory");
    let mut bus = SystemBus::with_mmu(mem, Xlen::X64, MmuConfig::modern()).expect("machine");
    let costs = OsCosts::default();
    let mut env = MmEnv {
        bus: &mut bus,
        costs: &costs,
        xlen: Xlen::X64,
        cycles: 0,
    };
    let mut phys = PhysRegions::new(PAGES * PAGE, fit).expect("valid");
    let mut regions: Vec<Region> = (0..4)
        .map(|i| Region {
            dir_down: i % 2 == 1,
            ..Region::default()
        })
        .collect();
    let mut copied = 0u64;
    for op in ops {
        match *op {
            Op::Resize(i, pages, fill) => {
                let new = pages * PAGE;
                let r = regions[i].clone();
                let dir = if r.dir_down {
                    Direction::Down
                } else {
                    Direction::Up
                };
                let old = r.bytes.len() as u64;
                let growth = match r.addr {
                    None => phys.alloc_region(&mut env, new),
                    Some(a) if new <= old => Some(Growth::InPlace { addr: a }),
                    Some(a) => phys.grow(&mut env, a, new, dir),
                };
                let Some(growth) = growth else {
                    let free = phys.stats().total_free;
                    assert!(free < new - old.min(new), "refused with {free:#x} free");
                    continue;
                };
                if let Growth::Compacted { moves, .. } = &growth {
                    copied += old + moves.iter().map(|m| m.size).sum::<u64>();
                    for m in moves {
                        for (k, other) in regions.iter_mut().enumerate() {
                            if k != i && other.addr == Some(m.from) {
                                other.addr = Some(m.to);
                            }
                        }
                    }
                } else if let Growth::Relocated { .. } = growth {
                    copied += old;
                }
                let addr = growth.addr();
                let size = phys.size_of(addr).expect("allocated");
                let added = size - old.min(size);
                let r = &mut regions[i];
                r.addr = Some(addr);
                // New bytes are zero; then the test writes `fill` over them.
                if r.dir_down {
                    let mut bytes = vec![fill; added as usize];
                    bytes.extend_from_slice(&r.bytes);
                    r.bytes = bytes;
                } else {
                    r.bytes.resize(size as usize, fill);
                }
                let mem = env.bus.phys_mut();
                let new_part = if r.dir_down { addr } else { addr + old };
                let zeros = mem.slice(new_part, added).expect("in memory");
                assert!(zeros.iter().all(|&b| b == 0), "new bytes are zero");
                mem.slice_mut(new_part, added)
                    .expect("in memory")
                    .fill(fill);
            }
            Op::Free(i) => {
                if let Some(a) = regions[i].addr.take() {
                    assert_eq!(phys.free(a), Some(regions[i].bytes.len() as u64));
                    regions[i].bytes.clear();
                }
            }
        }
        let mut spans: Vec<(u64, u64)> = Vec::new();
        for r in &regions {
            if let Some(a) = r.addr {
                let len = r.bytes.len() as u64;
                assert_eq!(env.bus.phys().slice(a, len), Some(&r.bytes[..]));
                spans.push((a, a + len));
            }
        }
        spans.sort_unstable();
        assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{spans:x?}");
        let in_use: u64 = spans.iter().map(|(s, e)| e - s).sum();
        assert_eq!(phys.stats().in_use, in_use);
        assert_eq!(phys.bytes_copied, copied);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]

    #[test]
    fn growth_preserves_every_region_first_fit(ops in prop::collection::vec(op(), 1..60)) {
        check(Fit::First, &ops);
    }

    #[test]
    fn growth_preserves_every_region_best_fit(ops in prop::collection::vec(op(), 1..60)) {
        check(Fit::Best, &ops);
    }

    #[test]
    fn growth_preserves_every_region_worst_fit(ops in prop::collection::vec(op(), 1..60)) {
        check(Fit::Worst, &ops);
    }

    #[test]
    fn growth_preserves_every_region_next_fit(ops in prop::collection::vec(op(), 1..60)) {
        check(Fit::Next, &ops);
    }
}
